//! The bench fixtures (`support::backends`, served by `examples/fixture_backends.rs`) answer as
//! the probes expect: every kind at the small size measures with no failed call, over
//! keep-alive connections, and the counters count what the probe asked and was sent.

use std::sync::Arc;
use std::time::Duration;

use ipfs_kit_tui::probe::ProbeContext;
use serde_json::{json, Map, Value};

use crate::support;
use crate::support::backends::{huggingface, s3, Backend, Kind, Size};
use crate::support::fixture::{Counters, Fixture, Options};

/// The bench's configuration of a backend of `kind` at `url` (scripts/bench_backend_cost.py's).
fn bench_config(kind: Kind, url: &str) -> (ipfs_kit_tui::backends::Kind, Map<String, Value>) {
    let (probe_kind, config) = match kind {
        Kind::Ipfs => (ipfs_kit_tui::backends::Kind::Ipfs, json!({"api_url": url})),
        Kind::IpfsCluster => (
            ipfs_kit_tui::backends::Kind::IpfsCluster,
            json!({"api_url": url}),
        ),
        Kind::S3 => (
            ipfs_kit_tui::backends::Kind::S3,
            json!({"endpoint": url, "region": "garage", "bucket": s3::BENCH_BUCKET,
                   "access_key": "GKbench0123456789abcdef", "secret_key": "bench-secret-not-checked",
                   "path_style": true, "admin_url": url, "admin_token": s3::BENCH_ADMIN_TOKEN}),
        ),
        Kind::Huggingface => (
            ipfs_kit_tui::backends::Kind::HuggingFace,
            json!({"repo_id": huggingface::BENCH_REPO, "repo_type": "model", "endpoint": url,
                   "token": huggingface::BENCH_TOKEN}),
        ),
        Kind::Filecoin => (
            ipfs_kit_tui::backends::Kind::Filecoin,
            json!({"api_url": format!("{url}/rpc/v1"), "wallet": "f1abjxfbp274xpdqcpuaykwkfb43omjotacm2p3za"}),
        ),
        Kind::Rclone => (
            ipfs_kit_tui::backends::Kind::Rclone,
            json!({"rc_url": url, "remote": "bench:"}),
        ),
    };
    (probe_kind, config.as_object().cloned().unwrap_or_default())
}

#[tokio::test]
async fn every_bench_backend_measures_without_a_failed_call_and_is_counted() {
    let counters = Arc::new(Counters::default());
    let ctx = ProbeContext::new(Duration::from_secs(10)).unwrap();
    for kind in Kind::ALL {
        assert_eq!(Kind::named(kind.name()), Some(kind));
        let target = format!("{}/{}", kind.name(), Size::Small.name());
        let backend = Backend::bench(kind, Size::Small, false);
        let fixture = Fixture::start_with(Options::counted(counters.clone(), &target), move |r| {
            backend.answer(r)
        });
        let (probe_kind, config) = bench_config(kind, &fixture.url);
        let measured = support::measure_all(&ctx, probe_kind, &config)
            .await
            .unwrap_or_else(|e| panic!("{target}: {e}"));
        assert!(
            measured.failed.is_empty(),
            "{target}: {:?}",
            measured.failed
        );
        assert!(
            fixture.requests().is_empty(),
            "a bench fixture keeps no request"
        );
        let stats = counters.snapshot();
        let counted = &stats["targets"][&target];
        assert!(
            counted["requests"].as_u64().unwrap() > 0,
            "{target}: {stats}"
        );
        assert!(counted["bytes"].as_u64().unwrap() > 0, "{target}: {stats}");
    }
    let stats = counters.snapshot();
    assert_eq!(
        stats["targets"]["ipfs/small"]["ops"]["pin/ls?stream=true&type=recursive"]["items"],
        json!(Size::Small.kubo_pins()),
        "{stats}"
    );
    assert_eq!(Size::named("large"), Some(Size::Large));
    assert_eq!(Size::Large.describe()["s3_objects"], json!(200_000));
    counters.reset();
    assert_eq!(counters.snapshot()["targets"], json!({}));
}

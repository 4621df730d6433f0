//! The `s3` kind without Garage's admin API, against a second S3 implementation: the Versity
//! S3 gateway v1.6.0 over a directory.

use std::time::Duration;

use ipfs_kit_tui::backends::Kind;
use ipfs_kit_tui::probe::{Budget, ProbeContext};
use serde_json::{json, Map, Value};

use super::proxy::CountingProxy;
use super::servers::{Versity, VERSITY_ACCESS, VERSITY_SECRET};
use super::{
    assert_credentials_rejected, assert_steps_passed, backend_test, health, message, status_of,
};
use crate::support::home_with_backend;

const ID: &str = "bucket";
const BUCKET: &str = "media";

fn config(url: &str, bucket: &str, secret: &str) -> Value {
    json!({"type": "s3", "enabled": true, "endpoint": url, "region": "us-east-1",
           "bucket": bucket, "access_key": VERSITY_ACCESS, "secret_key": secret,
           "path_style": true})
}

fn map(value: Value) -> Map<String, Value> {
    value.as_object().unwrap().clone()
}

#[test]
#[ignore = "needs the Versity gateway (target/tools/versitygw); run by scripts/test.sh"]
fn a_bucket_is_healthy_and_the_write_check_passes_and_leaves_nothing() {
    let gateway = Versity::start();
    gateway.create_bucket(BUCKET);
    gateway.put_objects(BUCKET, "a/", 5, 1000);
    let home = home_with_backend(ID, config(&gateway.url, BUCKET, VERSITY_SECRET));
    let entry = status_of(home.path(), ID);
    assert_eq!(health(&entry), "healthy", "{entry:#}");
    assert_eq!(entry["files"]["count"], json!(5), "{entry:#}");
    assert_eq!(entry["files"]["bytes"], json!(5000), "{entry:#}");
    assert_eq!(entry["storage"]["used"], json!(5000), "{entry:#}");

    let (code, report) = backend_test(home.path(), ID, true);
    assert_eq!(code, 0, "{report:#}");
    assert_steps_passed(
        &report,
        &[
            "reachable+authenticated: HeadBucket",
            "read: list 1 key",
            "write: PutObject of 64 bytes",
            "read back: GetObject, the same 64 bytes",
            "delete: DeleteObject",
        ],
    );
    // Nothing of the write check is left in the bucket's directory but what Versity keeps
    // for itself (the emptied directory of the check's key prefix, if any).
    let left: Vec<String> = walk(&gateway.root.join(BUCKET))
        .into_iter()
        .filter(|p| p.contains("ipfs-kit-tui-write-check"))
        .filter(|p| std::path::Path::new(p).is_file())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(walk(&path));
        }
        found.push(path.to_string_lossy().into_owned());
    }
    found
}

/// A few thousand objects, counted over two runs of a small budget: the second run goes on
/// from the first's continuation token and the total is exact.
#[test]
#[ignore = "needs the Versity gateway (target/tools/versitygw); run by scripts/test.sh"]
fn an_inventory_of_thousands_is_exact_and_goes_on_from_its_continuation_token() {
    const OBJECTS: usize = 3_500;
    const SIZE: usize = 100;
    let gateway = Versity::start();
    gateway.create_bucket(BUCKET);
    gateway.put_objects(BUCKET, "many/object-", OBJECTS, SIZE);
    let proxy = CountingProxy::start(gateway.url.trim_start_matches("http://"));
    let config = map(config(&proxy.url, BUCKET, VERSITY_SECRET));
    let ctx = ProbeContext::new(Duration::from_secs(30)).unwrap();
    let spec = Kind::S3.spec();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    let budget = Budget::new(Duration::from_secs(60), 2);
    let first = runtime
        .block_on(spec.inventory(&ctx, &config, None, &budget))
        .unwrap();
    assert!(
        !first.complete,
        "two pages of 1000 are not the whole bucket"
    );
    assert_eq!(first.figures.files.count, Some(2_000));
    let resume = first.resume.clone().expect("a continuation token");
    let listed = proxy.take();
    assert_eq!(listed.len(), 2, "{listed:#?}");

    let budget = Budget::new(Duration::from_secs(60), 2);
    let second = runtime
        .block_on(spec.inventory(&ctx, &config, Some(resume), &budget))
        .unwrap();
    assert!(second.complete);
    assert_eq!(second.figures.files.count, Some(OBJECTS as u64));
    assert_eq!(second.figures.files.bytes, Some((OBJECTS * SIZE) as u64));
    assert_eq!(second.figures.files.largest, Some(SIZE as u64));
    // One page was left, and it was asked for by its token, not listed from the start again.
    let listed = proxy.take();
    assert_eq!(listed.len(), 2, "{listed:#?}");
    assert!(
        listed.iter().all(|l| l.contains("continuation-token=")),
        "{listed:#?}"
    );

    // And as the console shows it, in one run of the real budget.
    let home = home_with_backend(ID, config_value(&gateway.url));
    let entry = status_of(home.path(), ID);
    assert_eq!(entry["files"]["count"], json!(OBJECTS), "{entry:#}");
    assert_eq!(entry["storage"]["used"], json!(OBJECTS * SIZE), "{entry:#}");
}

fn config_value(url: &str) -> Value {
    config(url, BUCKET, VERSITY_SECRET)
}

#[test]
#[ignore = "needs the Versity gateway (target/tools/versitygw); run by scripts/test.sh"]
fn a_missing_bucket_is_not_found_and_a_wrong_secret_is_rejected() {
    let gateway = Versity::start();
    gateway.create_bucket(BUCKET);

    let home = home_with_backend(ID, config(&gateway.url, "no-such-bucket", VERSITY_SECRET));
    let entry = status_of(home.path(), ID);
    assert_eq!(health(&entry), "down", "{entry:#}");
    assert!(
        message(&entry).contains("bucket not found")
            || message(&entry).contains("bucket 'no-such-bucket' not found"),
        "{}",
        message(&entry)
    );

    let home = home_with_backend(ID, config(&gateway.url, BUCKET, "not-the-secret"));
    let entry = status_of(home.path(), ID);
    assert_credentials_rejected(&entry);
}

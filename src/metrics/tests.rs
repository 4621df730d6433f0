use std::collections::BTreeMap;

use serde_json::json;

use super::families::{build, Family, SampleValue};
use super::*;
use crate::monitor::tally::{PollResult, PollTally};
use crate::stats::{
    AlertBrief, BackendStats, Files, Health, HealthStatus, InventoryState, InventorySummary,
    NodeView, Quota, QuotaSource, Source, Storage,
};

fn local(id: &str) -> BackendStats {
    BackendStats {
        id: id.into(),
        kind: "local".into(),
        enabled: true,
        health: Health {
            status: HealthStatus::Healthy,
            message: None,
            checked_at: Some("2026-01-02T03:04:05+00:00".into()),
            failure: None,
            next_check_at: None,
        },
        storage: Storage::filesystem(Some(1000), Some(400), Some(500)),
        files: Files {
            count: Some(12),
            bytes: Some(300),
            largest: Some(100),
            partial: false,
            as_of: None,
        },
        inventory: Some(InventorySummary {
            as_of: Some("2026-01-02T03:00:00+00:00".into()),
            state: InventoryState::Complete,
            last_run: "2026-01-02T03:00:00+00:00".into(),
            requests: 0,
            message: None,
        }),
        source: Source::Live,
        updated_at: Some("2026-01-02T03:04:05.250+00:00".into()),
        ..BackendStats::default()
    }
}

/// A backend that never answered: nothing about it is known.
fn never_reached(id: &str) -> BackendStats {
    BackendStats {
        id: id.into(),
        kind: "ipfs".into(),
        enabled: true,
        health: Health {
            status: HealthStatus::Down,
            message: Some("connection refused".into()),
            checked_at: Some("2026-01-02T03:04:05+00:00".into()),
            failure: Some("refused".into()),
            next_check_at: None,
        },
        source: Source::Live,
        ..BackendStats::default()
    }
}

fn tally(results: &[(f64, PollResult)]) -> PollTally {
    let mut tally = PollTally::default();
    for (secs, result) in results {
        tally.observe(*secs, *result);
    }
    tally
}

fn snapshot(backends: Vec<BackendStats>) -> Snapshot {
    let tallies: BTreeMap<String, PollTally> = backends
        .iter()
        .map(|b| (b.id.clone(), tally(&[(0.002, PollResult::Ok)])))
        .collect();
    Snapshot::of_stats(backends, tallies)
}

fn text(snapshot: &Snapshot) -> String {
    render(snapshot, Format::OpenMetrics).unwrap()
}

/// The lines of `text` for one series name with a label matcher (`backend="a"`).
fn lines<'a>(text: &'a str, name: &str, matcher: &str) -> Vec<&'a str> {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
        .filter(|l| l.contains(matcher))
        .collect()
}

#[test]
fn a_local_backend_writes_its_figures() {
    let out = text(&snapshot(vec![local("data")]));
    for expected in [
        "ipfs_kit_backend_used_bytes{backend=\"data\",kind=\"local\"} 400",
        "ipfs_kit_backend_available_bytes{backend=\"data\",kind=\"local\"} 500",
        "ipfs_kit_backend_capacity_bytes{backend=\"data\",kind=\"local\"} 1000",
        "ipfs_kit_backend_objects{backend=\"data\",kind=\"local\"} 12",
        "ipfs_kit_backend_largest_object_bytes{backend=\"data\",kind=\"local\"} 100",
        "ipfs_kit_backend_up{backend=\"data\",kind=\"local\"} 1",
        "ipfs_kit_backend_stale{backend=\"data\",kind=\"local\"} 0",
        "ipfs_kit_backend_info{backend=\"data\",kind=\"local\",version=\"\"} 1",
        "ipfs_kit_backend_last_success_timestamp_seconds{backend=\"data\",kind=\"local\"} 1767323045.25",
        "ipfs_kit_backend_inventory_timestamp_seconds{backend=\"data\",kind=\"local\"} 1767322800.0",
        "ipfs_kit_backend_polls_total{backend=\"data\",kind=\"local\",result=\"ok\"} 1",
        "ipfs_kit_backend_polls_total{backend=\"data\",kind=\"local\",result=\"timeout\"} 0",
        "ipfs_kit_backend_alert_active{backend=\"data\",alert=\"quota\"} 0",
        "# TYPE ipfs_kit_backend_used_bytes gauge",
        "# UNIT ipfs_kit_backend_used_bytes bytes",
        "# TYPE ipfs_kit_backend_polls counter",
        "# TYPE ipfs_kit_backend_poll_duration_seconds histogram",
        "ipfs_kit_build_info{version=\"",
    ] {
        assert!(out.contains(expected), "no {expected:?} in:\n{out}");
    }
    assert!(out.ends_with("# EOF\n"));
    // Every family written has its help.
    for line in out.lines().filter(|l| l.starts_with("# TYPE ")) {
        let name = line.split(' ').nth(2).unwrap();
        assert!(
            out.contains(&format!("# HELP {name} ")),
            "no help for {name}"
        );
    }
}

#[test]
fn unknown_figures_are_absent_series_never_zero() {
    let mut partial = local("walking");
    partial.files.partial = true;
    let out = text(&snapshot(vec![never_reached("kubo"), partial]));
    for name in [
        "ipfs_kit_backend_used_bytes",
        "ipfs_kit_backend_available_bytes",
        "ipfs_kit_backend_capacity_bytes",
        "ipfs_kit_backend_quota_bytes",
        "ipfs_kit_backend_quota_objects",
        "ipfs_kit_backend_objects",
        "ipfs_kit_backend_largest_object_bytes",
        "ipfs_kit_backend_last_success_timestamp_seconds",
        "ipfs_kit_backend_inventory_timestamp_seconds",
        "ipfs_kit_ipfs_peers",
        "ipfs_kit_ipfs_pins",
    ] {
        assert_eq!(
            lines(&out, name, "backend=\"kubo\""),
            Vec::<&str>::new(),
            "{name}"
        );
    }
    // It was polled and did not answer: up is known, and 0.
    assert_eq!(
        lines(&out, "ipfs_kit_backend_up", "backend=\"kubo\""),
        ["ipfs_kit_backend_up{backend=\"kubo\",kind=\"ipfs\"} 0"]
    );
    // A count that stopped at a limit is a lower bound, not the count.
    assert!(lines(&out, "ipfs_kit_backend_objects", "backend=\"walking\"").is_empty());
    assert!(lines(
        &out,
        "ipfs_kit_backend_largest_object_bytes",
        "backend=\"walking\""
    )
    .is_empty());
    // No family is written without samples.
    assert!(!out.contains("# TYPE ipfs_kit_backend_quota_bytes"));
}

#[test]
fn objects_fall_back_to_the_count_the_backend_reports_with_its_quota() {
    let mut garage = local("bucket");
    garage.kind = "s3".into();
    garage.files = Files::default();
    garage.quota = Quota {
        objects_used: Some(77),
        objects_limit: Some(1000),
        ..Quota::bytes(Some(5000), Some(10), QuotaSource::Garage)
    };
    let out = text(&snapshot(vec![garage]));
    for expected in [
        "ipfs_kit_backend_objects{backend=\"bucket\",kind=\"s3\"} 77",
        "ipfs_kit_backend_quota_bytes{backend=\"bucket\",kind=\"s3\",source=\"garage\"} 5000",
        "ipfs_kit_backend_quota_objects{backend=\"bucket\",kind=\"s3\",source=\"garage\"} 1000",
    ] {
        assert!(out.contains(expected), "no {expected:?} in:\n{out}");
    }
}

#[test]
fn health_is_a_stateset_with_exactly_one_state_set() {
    for status in [
        HealthStatus::Healthy,
        HealthStatus::Down,
        HealthStatus::Disabled,
        HealthStatus::Unsupported,
    ] {
        let mut stats = local("a");
        stats.health.status = status;
        let families = build(&snapshot(vec![stats]));
        let (_, samples) = families
            .iter()
            .find(|(f, _)| *f == Family::BackendHealth)
            .unwrap();
        assert_eq!(samples.len(), HealthStatus::ALL.len());
        let set: Vec<&str> = samples
            .iter()
            .filter(|s| s.value == SampleValue::Int(1))
            .map(|s| s.labels[2].1.as_str())
            .collect();
        assert_eq!(set, [status.as_str()]);
        assert!(samples
            .iter()
            .all(|s| matches!(s.value, SampleValue::Int(0 | 1))));
    }
}

#[test]
fn disabled_and_unpolled_backends_have_no_up_and_no_poll_counters() {
    let mut disabled = local("off");
    disabled.enabled = false;
    disabled.health = Health::disabled();
    disabled.stale = true;
    let mut unsupported = local("odd");
    unsupported.kind = "storacha".into();
    unsupported.health = Health::unsupported("no probe for 'storacha'".into());
    let waiting = local("waiting");
    let mut tallies = BTreeMap::new();
    tallies.insert("off".to_string(), tally(&[(0.1, PollResult::Ok)]));
    let out = text(&Snapshot {
        backends: vec![disabled, unsupported, waiting],
        tallies,
        ..Snapshot::default()
    });
    for id in ["off", "odd", "waiting"] {
        let matcher = format!("backend=\"{id}\"");
        assert!(
            lines(&out, "ipfs_kit_backend_up", &matcher).is_empty(),
            "{id}"
        );
        assert_eq!(
            lines(&out, "ipfs_kit_backend_info", &matcher).len(),
            1,
            "{id}"
        );
    }
    for id in ["off", "odd"] {
        let matcher = format!("backend=\"{id}\"");
        assert!(lines(&out, "ipfs_kit_backend_polls_total", &matcher).is_empty());
    }
    // Polled by the engine, just not yet: its counters start at 0.
    assert_eq!(
        lines(&out, "ipfs_kit_backend_polls_total", "backend=\"waiting\"").len(),
        5
    );
    assert!(out.contains("ipfs_kit_backend_stale{backend=\"off\",kind=\"local\"} 1"));
    assert!(lines(&out, "ipfs_kit_backend_alert_active", "backend=\"off\"").is_empty());
    assert_eq!(
        lines(&out, "ipfs_kit_backend_alert_active", "backend=\"odd\"").len(),
        crate::monitor::alerts::Rule::ALL.len()
    );
}

#[test]
fn the_poll_histogram_is_cumulative_with_inf_last() {
    let mut tallies = BTreeMap::new();
    tallies.insert(
        "data".to_string(),
        tally(&[
            (0.0004, PollResult::Ok),
            (0.03, PollResult::Ok),
            (0.03, PollResult::Error),
            (12.0, PollResult::Timeout),
        ]),
    );
    let out = text(&Snapshot {
        backends: vec![local("data")],
        tallies,
        ..Snapshot::default()
    });
    let name = "ipfs_kit_backend_poll_duration_seconds";
    let buckets: Vec<&str> = lines(&out, &format!("{name}_bucket"), "backend=\"data\"");
    assert_eq!(buckets.len(), 13);
    assert_eq!(
        buckets[0],
        format!("{name}_bucket{{le=\"0.001\",backend=\"data\",kind=\"local\"}} 1")
    );
    assert_eq!(
        buckets[4],
        format!("{name}_bucket{{le=\"0.05\",backend=\"data\",kind=\"local\"}} 3")
    );
    assert_eq!(
        buckets[11],
        format!("{name}_bucket{{le=\"10.0\",backend=\"data\",kind=\"local\"}} 3")
    );
    assert_eq!(
        buckets[12],
        format!("{name}_bucket{{le=\"+Inf\",backend=\"data\",kind=\"local\"}} 4")
    );
    assert!(out.contains(&format!(
        "{name}_count{{backend=\"data\",kind=\"local\"}} 4\n"
    )));
    assert!(out.contains(&format!(
        "{name}_sum{{backend=\"data\",kind=\"local\"}} 12.0604\n"
    )));
    assert!(out.contains(
        "ipfs_kit_backend_polls_total{backend=\"data\",kind=\"local\",result=\"timeout\"} 1\n"
    ));
}

#[test]
fn labels_carry_no_url_or_secret_and_are_escaped() {
    let mut kubo = local("we\"ird\\id\nx");
    kubo.kind = "ipfs".into();
    // What a backend could put where a version goes; and vitals that are addresses.
    kubo.vital.insert(
        "version".into(),
        json!("http://user:s3cret@10.1.2.3:5001/api"),
    );
    kubo.vital.insert("peer_id".into(), json!("QmSecretish"));
    kubo.vital.insert("peers".into(), json!("42"));
    kubo.vital.insert("pins".into(), json!(7));
    kubo.set_alerts(vec![AlertBrief {
        rule: "down".into(),
        message: "http://10.1.2.3:5001 refused".into(),
        since: "2026-01-02T03:04:05+00:00".into(),
    }]);
    kubo.health.message = Some("http://10.1.2.3:5001: refused".into());
    // What the storage figures measure names the node's address: only its hash is exported.
    kubo.storage.identity = Some("ipfs:10.1.2.3:5001/repo".into());
    let out = text(&snapshot(vec![kubo]));
    for forbidden in ["://", "10.1.2.3", "s3cret", "QmSecretish", "refused"] {
        assert!(!out.contains(forbidden), "{forbidden:?} in:\n{out}");
    }
    let id = r#"backend="we\"ird\\id\nx""#;
    assert!(
        out.contains(&format!(
            "ipfs_kit_backend_info{{{id},kind=\"ipfs\",version=\"\",storage=\"{}\"}} 1",
            storage_hash("ipfs:10.1.2.3:5001/repo")
        )),
        "{out}"
    );
    assert!(out.contains(&format!("ipfs_kit_ipfs_peers{{{id}}} 42")));
    assert!(out.contains(&format!("ipfs_kit_ipfs_pins{{{id}}} 7")));
    assert!(out.contains(&format!(
        "ipfs_kit_backend_alert_active{{{id},alert=\"down\"}} 1"
    )));
    // Every sample line parses as name{labels} value.
    for line in out.lines().filter(|l| !l.starts_with('#')) {
        assert!(line.starts_with("ipfs_kit_"), "{line}");
        assert!(
            line.rsplit_once(' ').unwrap().1.parse::<f64>().is_ok() || line.ends_with("+Inf"),
            "{line}"
        );
    }
}

#[test]
fn a_version_is_a_label_and_kind_vitals_are_their_families() {
    let mut cluster = local("cluster");
    cluster.kind = "ipfs_cluster".into();
    for (key, value) in [
        ("version", json!("1.1.2")),
        ("peers_up", json!(3)),
        ("peers_down", json!(1)),
        ("pins_pinned", json!("10")),
        ("pins_error", json!(2)),
    ] {
        cluster.vital.insert(key.into(), value);
    }
    let mut lotus = local("lotus");
    lotus.kind = "filecoin".into();
    lotus.vital.insert("chain_height".into(), json!(4_200_000));
    lotus.vital.insert("sync_lag_secs".into(), json!(31));
    lotus
        .vital
        .insert("wallet_balance_atto".into(), json!("1000000000000000000"));
    let out = text(&snapshot(vec![cluster, lotus]));
    for expected in [
        "ipfs_kit_backend_info{backend=\"cluster\",kind=\"ipfs_cluster\",version=\"1.1.2\"} 1",
        "ipfs_kit_cluster_peers{backend=\"cluster\",state=\"up\"} 3",
        "ipfs_kit_cluster_peers{backend=\"cluster\",state=\"down\"} 1",
        "ipfs_kit_cluster_pins{backend=\"cluster\",state=\"pinned\"} 10",
        "ipfs_kit_cluster_pins{backend=\"cluster\",state=\"error\"} 2",
        "ipfs_kit_filecoin_chain_height{backend=\"lotus\"} 4200000",
        "ipfs_kit_filecoin_sync_lag_seconds{backend=\"lotus\"} 31",
    ] {
        assert!(out.contains(expected), "no {expected:?} in:\n{out}");
    }
    // Unknown states are absent, not 0.
    assert!(!out.contains("state=\"queued\""));
}

#[test]
fn the_classic_text_names_counters_by_their_samples_and_has_no_eof_or_unit() {
    let out = render(&snapshot(vec![local("data")]), Format::Classic).unwrap();
    assert!(!out.contains("# EOF"));
    assert!(!out.contains("# UNIT"));
    assert!(out.contains("# TYPE ipfs_kit_backend_polls_total counter\n"));
    assert!(out.contains("# HELP ipfs_kit_backend_polls_total "));
    assert!(out.contains("# TYPE ipfs_kit_backend_used_bytes gauge\n"));
    assert!(out.contains("ipfs_kit_backend_used_bytes{backend=\"data\",kind=\"local\"} 400\n"));
    // The same samples as the OpenMetrics text, in the same order.
    let samples = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .map(String::from)
            .collect()
    };
    let om = text(&snapshot(vec![local("data")]));
    assert_eq!(samples(&out), samples(&om));
}

#[test]
fn the_format_follows_the_accept_header() {
    let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;\
                      version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    assert_eq!(Format::negotiate(Some(prometheus)), Format::OpenMetrics);
    assert_eq!(Format::negotiate(None), Format::Classic);
    assert_eq!(Format::negotiate(Some("*/*")), Format::Classic);
    assert_eq!(Format::negotiate(Some("text/plain")), Format::Classic);
    assert_eq!(
        Format::negotiate(Some("text/plain;q=1, application/openmetrics-text;q=0.5")),
        Format::Classic
    );
    assert_eq!(
        Format::negotiate(Some("application/openmetrics-text; q=0")),
        Format::Classic
    );
    assert_eq!(
        Format::negotiate(Some("Application/OpenMetrics-Text; version=1.0.0")),
        Format::OpenMetrics
    );
}

#[test]
fn every_family_has_a_unique_name_that_ends_with_its_unit() {
    let names = series_names();
    let unique: std::collections::BTreeSet<&String> = names.iter().collect();
    assert_eq!(unique.len(), names.len());
    for family in Family::ALL {
        assert!(family.name().starts_with("ipfs_kit_"));
        if let Some(unit) = family.unit() {
            assert!(family.name().ends_with(&format!("_{}", unit.as_str())));
        }
        assert!(!family.help().is_empty());
        assert!(!family.help().contains(['"', '\\', '\n']));
    }
    assert!(names.contains(&"ipfs_kit_backend_polls_total".to_string()));
    assert!(names.contains(&"ipfs_kit_backend_poll_duration_seconds_bucket".to_string()));
}

#[test]
fn scrapes_answer_by_path_and_method() {
    use ::http::{Method, Request, StatusCode};
    let source = || snapshot(vec![local("data")]);
    let get = |path: &str, accept: Option<&str>, method: Method| {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        super::http::respond(&request.body(()).unwrap(), &source)
    };
    let om = get(
        "/metrics",
        Some("application/openmetrics-text; version=1.0.0"),
        Method::GET,
    );
    assert_eq!(om.status(), StatusCode::OK);
    assert_eq!(
        om.headers()["content-type"],
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    let classic = get("/metrics?x=1", None, Method::HEAD);
    assert_eq!(classic.status(), StatusCode::OK);
    assert_eq!(
        classic.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    assert_eq!(get("/", None, Method::GET).status(), StatusCode::OK);
    assert_eq!(
        get("/other", None, Method::GET).status(),
        StatusCode::NOT_FOUND
    );
    let post = get("/metrics", None, Method::POST);
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(post.headers()["allow"], "GET, HEAD");
}

/// 12 hex digits of SHA-256, as the exporter's `storage` label names an identity.
fn storage_hash(identity: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(identity.as_bytes())
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn each_node_of_a_cluster_has_its_series_and_unknown_figures_none() {
    let mut garage = local("garage");
    garage.kind = "s3".into();
    garage.nodes = vec![
        NodeView {
            up: true,
            free_bytes: Some(6_000),
            total_bytes: Some(27_000),
            resync_queue: Some(0),
            resync_errors: Some(2),
            ..NodeView::named(Some("vm"), Some("6aa10578"))
        },
        NodeView {
            up: false,
            error: Some("not connected".into()),
            last_seen_secs: Some(42),
            ..NodeView::named(Some("we\"ird"), Some("d9537c83"))
        },
    ];
    let mut cluster = local("cluster");
    cluster.kind = "ipfs_cluster".into();
    cluster.nodes = vec![NodeView {
        up: true,
        free_bytes: Some(900),
        pins_error: Some(3),
        pins_queued: Some(0),
        ..NodeView::named(Some("cluster-a"), Some("12D3KooWAAAA"))
    }];
    let out = text(&snapshot(vec![garage, cluster]));
    let g = r#"backend="garage",kind="s3""#;
    let c = r#"backend="cluster",kind="ipfs_cluster""#;
    for expected in [
        format!("ipfs_kit_node_up{{{g},node=\"vm\"}} 1"),
        format!("ipfs_kit_node_up{{{g},node=\"we\\\"ird\"}} 0"),
        format!("ipfs_kit_node_free_bytes{{{g},node=\"vm\"}} 6000"),
        format!("ipfs_kit_node_total_bytes{{{g},node=\"vm\"}} 27000"),
        format!("ipfs_kit_node_resync_queue{{{g},node=\"vm\"}} 0"),
        format!("ipfs_kit_node_resync_errors{{{g},node=\"vm\"}} 2"),
        format!("ipfs_kit_node_last_seen_seconds{{{g},node=\"we\\\"ird\"}} 42"),
        format!("ipfs_kit_node_up{{{c},node=\"cluster-a\"}} 1"),
        format!("ipfs_kit_node_free_bytes{{{c},node=\"cluster-a\"}} 900"),
        format!("ipfs_kit_node_pins{{{c},node=\"cluster-a\",state=\"error\"}} 3"),
        format!("ipfs_kit_node_pins{{{c},node=\"cluster-a\",state=\"queued\"}} 0"),
        "# UNIT ipfs_kit_node_free_bytes bytes".to_string(),
        "# UNIT ipfs_kit_node_last_seen_seconds seconds".to_string(),
        "# TYPE ipfs_kit_node_pins gauge".to_string(),
        "# HELP ipfs_kit_node_resync_errors ".to_string(),
    ] {
        assert!(out.contains(&expected), "no {expected:?} in:\n{out}");
    }
    // Unknown figures are absent series: the down node's space, the cluster peer's resync,
    // the Garage nodes' pins.
    assert!(lines(&out, "ipfs_kit_node_free_bytes", "ird").is_empty());
    assert!(lines(&out, "ipfs_kit_node_resync_queue", "cluster").is_empty());
    assert!(lines(&out, "ipfs_kit_node_pins", "garage").is_empty());
    assert!(lines(&out, "ipfs_kit_node_last_seen_seconds", "node=\"vm\"").is_empty());
    // A backend of one has no node series.
    let single = text(&snapshot(vec![local("data")]));
    assert!(!single.contains("ipfs_kit_node_"), "{single}");
}

#[test]
fn a_backend_in_maintenance_says_so_for_rules_to_leave_it_out() {
    let mut held = local("held");
    held.maintenance = Some(crate::stats::MaintenanceBrief {
        since: "2026-01-02T03:00:00+00:00".into(),
        until: "2026-01-02T05:00:00+00:00".into(),
        reason: Some("disk swap".into()),
    });
    let mut off = local("off");
    off.enabled = false;
    let out = text(&snapshot(vec![held, local("data"), off]));
    assert_eq!(
        lines(&out, "ipfs_kit_backend_maintenance", "backend=\"held\""),
        ["ipfs_kit_backend_maintenance{backend=\"held\"} 1"]
    );
    // Every configured backend has the series: a rule's `unless` never meets an absent one.
    for id in ["data", "off"] {
        assert_eq!(
            lines(
                &out,
                "ipfs_kit_backend_maintenance",
                &format!("backend=\"{id}\"")
            ),
            [format!(
                "ipfs_kit_backend_maintenance{{backend=\"{id}\"}} 0"
            )]
        );
    }
    assert!(out.contains("# TYPE ipfs_kit_backend_maintenance gauge"));
    assert!(out.contains("# HELP ipfs_kit_backend_maintenance 1 while the backend"));
    // The reason is the operator's text: never a label.
    assert!(!out.contains("disk swap"));
    let classic = render(&snapshot(vec![local("data")]), Format::Classic).unwrap();
    assert!(classic.contains("ipfs_kit_backend_maintenance{backend=\"data\"} 0"));
}

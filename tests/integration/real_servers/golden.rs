//! Golden files: the real servers' answers to every call the probes make, kept in
//! tests/golden/ so that the fixtures (tests/integration/kubo.rs and ipfs_cluster.rs), which run
//! in plain `cargo test`, can be checked against them. `RECORD_GOLDEN=1` writes them
//! (scripts/record-golden.sh); otherwise these tests check that the live servers still answer
//! in the recorded shape, so a server upgrade that changes an answer fails here first.
//!
//! And while every server runs: none of their processes holds a socket beyond loopback.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::servers::{wait_until, ClusterPeer, Kubo, KuboOptions, Versity};
use super::sockets::beyond_loopback;
use crate::support::shape_differences;

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn recording() -> bool {
    std::env::var_os("RECORD_GOLDEN").is_some_and(|v| v == "1")
}

/// A JSON body, or an NDJSON stream as an array of its lines.
fn parse(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or_else(|_| {
        Value::Array(
            body.split(|b| *b == b'\n')
                .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
                .map(|l| {
                    serde_json::from_slice(l).unwrap_or_else(|e| {
                        panic!("not JSON ({e}): {}", String::from_utf8_lossy(body))
                    })
                })
                .collect(),
        )
    })
}

/// A live answer: JSON (compared by keys and types) or S3's XML (by element paths).
enum Answer<'a> {
    Json(&'a [u8]),
    Xml(&'a str),
}

/// Records `answer` as `name`, or checks it against the recorded one.
fn keep_answer(
    name: &str,
    provenance: &str,
    status: u16,
    answer: Answer,
    failures: &mut Vec<String>,
) {
    let (field, value) = match answer {
        Answer::Json(body) => ("answer", parse(body)),
        Answer::Xml(body) => ("answer_xml", json!(body)),
    };
    let path = golden_dir().join(format!("{name}.json"));
    if recording() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let document = json!({"recorded_from": provenance, "status": status, field: value});
        let mut text = serde_json::to_string_pretty(&document).unwrap();
        text.push('\n');
        std::fs::write(&path, text).unwrap();
        return;
    }
    let recorded: Value = serde_json::from_str(
        &std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (RECORD_GOLDEN=1 writes it)", path.display())),
    )
    .unwrap();
    if recorded["status"] != json!(status) {
        failures.push(format!(
            "{name}: status {status}, recorded {}",
            recorded["status"]
        ));
    }
    let differences = match answer {
        Answer::Json(_) => shape_differences(&value, &recorded[field]),
        Answer::Xml(body) => {
            crate::support::xml_differences(body, recorded[field].as_str().unwrap_or_default())
        }
    };
    for difference in differences {
        failures.push(format!("{name}: {difference} (live answer vs recorded)"));
    }
}

fn keep(name: &str, provenance: &str, status: u16, body: &[u8], failures: &mut Vec<String>) {
    keep_answer(name, provenance, status, Answer::Json(body), failures);
}

fn keep_xml(name: &str, provenance: &str, status: u16, body: &str, failures: &mut Vec<String>) {
    keep_answer(name, provenance, status, Answer::Xml(body), failures);
}

fn report(failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "the live servers no longer answer as recorded in tests/golden/ \
         (scripts/record-golden.sh records them again):\n{}",
        failures.join("\n")
    );
}

/// Every call the `ipfs` probe makes, and the answers it must understand when things go wrong.
#[test]
#[ignore = "needs Kubo (target/tools/kubo); run by scripts/test.sh"]
fn kubo_answers_as_recorded() {
    let a = Kubo::start(KuboOptions::default());
    let b = Kubo::start(KuboOptions::default());
    a.connect(&b);
    a.add("golden.txt", b"recorded for the golden files");
    let from = "Kubo 0.43.1, `ipfs init --profile=test --empty-repo`, online, one peer";
    let mut failures = Vec::new();
    type Call<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);
    let calls: [Call; 8] = [
        ("kubo/version", "version", &[]),
        ("kubo/id", "id", &[]),
        (
            "kubo/repo_stat_size_only",
            "repo/stat",
            &[("size-only", "true")],
        ),
        ("kubo/repo_stat", "repo/stat", &[]),
        ("kubo/stats_bw", "stats/bw", &[]),
        ("kubo/swarm_peers", "swarm/peers", &[]),
        (
            "kubo/pin_ls_stream",
            "pin/ls",
            &[("stream", "true"), ("type", "recursive")],
        ),
        ("kubo/provide_stat", "provide/stat", &[]),
    ];
    for (name, cmd, args) in calls {
        let (status, body) = a.raw(cmd, args);
        keep(name, from, status, &body, &mut failures);
    }
    // The write check's calls.
    let (status, body) = a.multipart(
        "block/put",
        &[("cid-codec", "raw"), ("pin", "false")],
        b"golden",
    );
    keep("kubo/block_put", from, status, &body, &mut failures);
    let block = parse(&body)["Key"].as_str().unwrap().to_string();
    let (status, body) = a.raw("block/rm", &[("arg", &block)]);
    keep("kubo/block_rm", from, status, &body, &mut failures);
    // A command an offline node refuses, and a wrong token, in Kubo's words.
    let offline = Kubo::start(KuboOptions {
        offline: true,
        ..KuboOptions::default()
    });
    let offline_from = "Kubo 0.43.1, `ipfs daemon --offline`";
    for (name, cmd) in [
        ("kubo/offline_stats_bw", "stats/bw"),
        ("kubo/offline_swarm_peers", "swarm/peers"),
    ] {
        let (status, body) = offline.raw(cmd, &[]);
        keep(name, offline_from, status, &body, &mut failures);
    }
    report(failures);
}

/// Every call the `ipfs_cluster` probe makes, with two peers, a pin, and one peer stopped.
#[test]
#[ignore = "needs Kubo and IPFS Cluster (target/tools); run by scripts/test.sh"]
fn cluster_answers_as_recorded() {
    let kubo_a = Kubo::start(KuboOptions::default());
    let kubo_b = Kubo::start(KuboOptions::default());
    kubo_a.connect(&kubo_b);
    let a = ClusterPeer::start("peer-a", &kubo_a, None);
    let mut b = ClusterPeer::start("peer-b", &kubo_b, Some(&a));
    wait_until(Duration::from_secs(60), "two peers", || {
        a.get("peers").as_array().is_some_and(|p| p.len() == 2)
    });
    let cid = kubo_a.add("golden.txt", b"pinned for the golden files");
    a.ctl(&["pin", "add", "--wait", &cid]);
    wait_until(Duration::from_secs(60), "both peers' free space", || {
        a.get("monitor/metrics/freespace")
            .as_array()
            .is_some_and(|m| m.len() == 2)
    });
    let from = "IPFS Cluster 1.1.6, CRDT, two peers on two Kubo 0.43.1 nodes, one pin";
    let mut failures = Vec::new();
    for (name, path) in [
        ("cluster/id", "id"),
        ("cluster/version", "version"),
        ("cluster/peers", "peers"),
        ("cluster/pins", "pins"),
        ("cluster/freespace", "monitor/metrics/freespace"),
        ("cluster/pinqueue", "monitor/metrics/pinqueue"),
        ("cluster/ping", "monitor/metrics/ping"),
    ] {
        let (status, body) = a.raw(path);
        keep(name, from, status, &body, &mut failures);
    }
    // One peer stopped: its ping alert, and the peer list without it.
    b.stop();
    let deadline = Instant::now() + Duration::from_secs(60);
    while a.get("health/alerts").as_array().is_none_or(Vec::is_empty) {
        assert!(Instant::now() < deadline, "no alert for the stopped peer");
        std::thread::sleep(Duration::from_millis(250));
    }
    let stopped = "IPFS Cluster 1.1.6, CRDT, peer-b stopped";
    let (status, body) = a.raw("health/alerts");
    keep(
        "cluster/health_alerts",
        stopped,
        status,
        &body,
        &mut failures,
    );
    // The Kubo node under a running peer stopped: /id and /peers carry its error.
    drop(b);
    let mut kubo_a = kubo_a;
    kubo_a.stop();
    wait_until(
        Duration::from_secs(60),
        "peer-a reports its IPFS error",
        || {
            a.get("id")["ipfs"]["error"]
                .as_str()
                .is_some_and(|e| !e.is_empty())
        },
    );
    let (status, body) = a.raw("id");
    keep(
        "cluster/id_ipfs_down",
        "IPFS Cluster 1.1.6, its Kubo node stopped",
        status,
        &body,
        &mut failures,
    );
    report(failures);
}

/// The S3 answers the `s3` probe reads from Versity: a listing page (truncated, with its
/// continuation token), a missing bucket, a wrong secret.
#[test]
#[ignore = "needs the Versity gateway (target/tools/versitygw); run by scripts/test.sh"]
fn versity_answers_as_recorded() {
    let gateway = Versity::start();
    gateway.create_bucket("media");
    gateway.put_objects("media", "dir/object-", 3, 100);
    let from = "Versity S3 gateway 1.6.0 (posix), bucket 'media' with 3 objects";
    let mut failures = Vec::new();
    let (status, body) = gateway.list("media", 2, super::servers::VERSITY_SECRET);
    keep_xml(
        "versity/list_objects_v2",
        from,
        status,
        &body,
        &mut failures,
    );
    let (status, body) = gateway.list("no-such-bucket", 2, super::servers::VERSITY_SECRET);
    keep_xml("versity/no_such_bucket", from, status, &body, &mut failures);
    let (status, body) = gateway.list("media", 2, "not-the-secret");
    keep_xml("versity/wrong_secret", from, status, &body, &mut failures);
    report(failures);
}

/// While Kubo (two nodes), Cluster (two peers) and Versity run and are used, none of their
/// processes holds a socket beyond loopback: listening, dialled or sent from.
#[test]
#[ignore = "needs Kubo, IPFS Cluster and Versity (target/tools); run by scripts/test.sh"]
fn nothing_leaves_the_machine() {
    let kubo_a = Kubo::start(KuboOptions::default());
    let kubo_b = Kubo::start(KuboOptions::default());
    kubo_a.connect(&kubo_b);
    let a = ClusterPeer::start("peer-a", &kubo_a, None);
    let b = ClusterPeer::start("peer-b", &kubo_b, Some(&a));
    let gateway = Versity::start();
    gateway.create_bucket("media");
    gateway.put_objects("media", "x/", 20, 100);
    let cid = kubo_a.add("sockets.txt", b"a file for the socket watch");
    a.ctl(&["pin", "add", "--wait", &cid]);
    let processes = |a: &ClusterPeer, b: &ClusterPeer| -> Vec<(String, u32)> {
        [
            ("kubo-a", kubo_a.pid()),
            ("kubo-b", kubo_b.pid()),
            ("cluster-a", a.pid()),
            ("cluster-b", b.pid()),
            ("versitygw", Some(gateway.pid())),
        ]
        .into_iter()
        .map(|(name, pid)| (name.to_string(), pid.expect("running")))
        .collect()
    };
    // Sampled for 20 s while the nodes do their background work (DHT, reprovides, cluster
    // pings, informers): a dial out lasts at least a connection attempt.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut samples = 0;
    while Instant::now() < deadline {
        let found: Vec<String> = beyond_loopback(&processes(&a, &b))
            .into_iter()
            .filter(|s| !is_clusters_nat_discovery(s))
            .collect();
        assert!(
            found.is_empty(),
            "sockets beyond loopback:\n{}",
            found.join("\n")
        );
        samples += 1;
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(samples > 20, "{samples} samples");
    // The sampling sees sockets at all: each server's listener is there.
    for (name, pid) in processes(&a, &b) {
        assert!(
            !super::sockets::inet_sockets(pid).is_empty(),
            "{name} holds no inet socket at all: the check would see nothing"
        );
    }
}

/// The one exception, and only in this exact form: IPFS Cluster 1.1.6 builds its libp2p host
/// with `libp2p.NATPortMap()` unconditionally (clusterhost.go), so libp2p looks for a UPnP
/// gateway whatever the listen addresses: an unconnected UDP socket on each of the machine's
/// addresses, from which it multicasts SSDP searches. No Cluster setting turns it off. Any
/// other socket of a Cluster peer (a listener on 0.0.0.0, a dial out, a connected UDP socket)
/// still fails the test.
fn is_clusters_nat_discovery(socket: &str) -> bool {
    socket.starts_with("cluster-")
        && socket.contains(") udp: ")
        && socket.ends_with(" -> 0.0.0.0:0")
}

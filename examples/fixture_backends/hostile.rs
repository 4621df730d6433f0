//! Backends that answer hostile (`--hostile`), for scripts/bench-hostile.sh: a `KIND/hostile`
//! target answers the kind's liveness call as it should where the kind has one worth keeping
//! (so that the backend stays up and is polled at the full rate, not backed off) and every
//! other call in the kind's hostile mode:
//!
//!   length   200 with Content-Length: 1 GiB, then bytes until the client hangs up
//!   chunked  200 chunked and endless: bytes for a whole-body call, for a streamed call (pin/ls,
//!            /peers, /pins) valid NDJSON lines, 64 KiB every 100 ms, for ever; for Kubo's
//!            swarm/peers (counted as it arrives) a valid peer list that never closes
//!   line     200 chunked and endless, one line that never ends (no newline)
//!   drip     200 chunked, one byte every 100 ms, for ever
//!   error    500 chunked and endless (the error body never ends)
//!
//!   kind          liveness kept    mode
//!   ipfs          version          chunked
//!   ipfs_cluster  /health          line
//!   s3            HeadBucket       length   (Garage's admin API); chunked for the listing
//!   filecoin      Filecoin.Version drip
//!   huggingface   -                error    (down: the engine backs it off)
//!   rclone        -                length   (down: the engine backs it off)

use std::time::Duration;

use serde_json::json;

use crate::backends::{cid, s3, Kind};
use crate::fixture::{Answer, Reply, Request};

/// A hostile answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Length,
    Chunked,
    Line,
    Drip,
    Error,
}

impl Mode {
    pub fn of(kind: Kind) -> Mode {
        match kind {
            Kind::Ipfs => Mode::Chunked,
            Kind::IpfsCluster => Mode::Line,
            Kind::S3 | Kind::Rclone => Mode::Length,
            Kind::Filecoin => Mode::Drip,
            Kind::Huggingface => Mode::Error,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Mode::Length => "length",
            Mode::Chunked => "chunked",
            Mode::Line => "line",
            Mode::Drip => "drip",
            Mode::Error => "error",
        }
    }
}

const HUGE: u64 = 1 << 30;
const BLOCK: usize = 64 * 1024;
const DRIP_EVERY: Duration = Duration::from_millis(100);
/// Streamed calls, which get NDJSON lines in `chunked` mode.
const STREAMED: [&str; 3] = ["/api/v0/pin/ls", "/peers", "/pins"];

/// Whether `request` is the liveness call of `kind`, which is answered as it should.
pub fn is_liveness(kind: Kind, request: &Request) -> bool {
    let p = request.path.as_str();
    match kind {
        Kind::Ipfs => p == "/api/v0/version",
        Kind::IpfsCluster => p == "/health",
        Kind::S3 => request.method == "HEAD" && p.trim_matches('/') == s3::BENCH_BUCKET,
        Kind::Filecoin => request.json_body()["method"] == "Filecoin.Version",
        Kind::Huggingface | Kind::Rclone => false,
    }
}

/// What a hostile target of `kind` answers to a call other than its liveness.
pub fn answer(kind: Kind, request: &Request) -> Answer {
    let mut mode = Mode::of(kind);
    if kind == Kind::S3 && request.query_param("list-type").is_some() {
        mode = Mode::Chunked;
    }
    let filler = vec![b'x'; BLOCK];
    let chunked = |status: u16, opening: Vec<u8>, block: Vec<u8>, every: Duration| Reply::Flood {
        status,
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            ("Transfer-Encoding".into(), "chunked".into()),
        ],
        opening,
        block,
        every,
    };
    let path = request.path.as_str();
    let reply = match mode {
        Mode::Length => Reply::Flood {
            status: 200,
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                ("Content-Length".into(), HUGE.to_string()),
            ],
            opening: vec![],
            block: filler,
            every: Duration::ZERO,
        },
        Mode::Chunked if STREAMED.contains(&path) => {
            let lines: Vec<u8> = (0..BLOCK / 90)
                .flat_map(|i| {
                    format!("{}\n", json!({"Cid": cid("host", i), "Type": "recursive"}))
                        .into_bytes()
                })
                .collect();
            chunked(200, vec![], Reply::chunk(&lines), DRIP_EVERY)
        }
        Mode::Chunked if path == "/api/v0/swarm/peers" => {
            // Kubo's peer list, valid and never closed: it can only be refused at its cap.
            let peers: Vec<u8> = (0..BLOCK / 160)
                .flat_map(|i| {
                    let peer = json!({"Addr": format!("/ip4/10.1.{}.{}/udp/4001/quic-v1", i / 256 % 256, i % 256),
                                      "Peer": format!("12D3KooW{i:044}"), "Latency": "", "Muxer": "",
                                      "Direction": 0, "Streams": null});
                    format!("{peer},").into_bytes()
                })
                .collect();
            chunked(
                200,
                Reply::chunk(br#"{"Peers":["#),
                Reply::chunk(&peers),
                Duration::ZERO,
            )
        }
        Mode::Chunked => chunked(200, vec![], Reply::chunk(&filler), Duration::ZERO),
        Mode::Line => chunked(
            200,
            Reply::chunk(br#"{"id":""#),
            Reply::chunk(&filler),
            Duration::ZERO,
        ),
        Mode::Drip => chunked(200, vec![], Reply::chunk(b" "), DRIP_EVERY),
        Mode::Error => chunked(500, vec![], Reply::chunk(&filler), Duration::ZERO),
    };
    let endpoint = format!("hostile {} {} {path}", mode.name(), request.method);
    Answer::new(endpoint, reply)
}

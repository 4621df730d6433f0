//! Fixture servers that pose as every kind of backend ipfs-kit-tui watches, at two sizes, and
//! count what watching them costs: requests per endpoint, response bytes sent (status line,
//! headers, body and chunk framing) and the items each answer made the server enumerate (pins
//! streamed, blocks walked by repo/stat, keys listed, tree entries, ...). Used by
//! scripts/bench-backend-cost.sh and scripts/screenshots.sh; the answers are the tests' own
//! (`tests/support/backends/`), served by the tests' fixture server (`tests/support/fixture.rs`).
//!
//! One process; one loopback port per (kind, size) target, named like `ipfs/small`, `s3/large`.
//! Every port also answers `GET /__stats` (the counters of every target, as JSON) and
//! `POST /__reset` (zeroes every counter).
//!
//!   fixture_backends --ports-file FILE [--sizes small,large] [--kinds ipfs,...] [--kubo-diag-healthy]
//!
//! The ports file (`{"targets": {"ipfs/small": PORT, ...}, "sizes": {...}, "credentials": {...}}`)
//! is written once every server listens, so its existence means ready.
//!
//!   fixture_backends --rclone OK_PORT HANG_PORT
//!
//! An `rclone rcd` on OK_PORT, and on HANG_PORT a server that reads each request and never
//! answers (a hanging backend; the connection is held without a thread). Used by
//! bench-engine.sh, bench-tui.sh, bench-fleet.sh and benches/engine_soak.rs.
//!
//!   fixture_backends --hostile --ports-file FILE
//!
//! For scripts/bench-hostile.sh: each kind twice, at the small size, as `KIND/ok` (answering as
//! it should) and `KIND/hostile` (see `hostile`); the ports file also names each kind's mode.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use clap::Parser;
use serde_json::{json, Value};

// Shared with the tests: the bench uses only part of it, and its test-only starter panics
// (`start_with`: a test's failure with its reason; the bench uses `start_on`).
#[allow(dead_code, clippy::expect_used)]
#[path = "../../tests/support/fixture.rs"]
mod fixture;

#[allow(dead_code)]
#[path = "../../tests/support/backends/mod.rs"]
mod backends;

mod hostile;

use backends::{huggingface, s3, Backend, Kind, Size};
use fixture::{Answer, Counters, Fixture, Options, Reply, Request};

#[derive(Parser)]
#[command(about = "Fixture backends for the benches, counting what watching them costs")]
struct Args {
    /// Where to write the ports (JSON) once every server listens.
    #[arg(long, required_unless_present = "rclone")]
    ports_file: Option<PathBuf>,
    /// The sizes to serve, comma-separated: small, large.
    #[arg(long, default_value = "small,large")]
    sizes: String,
    /// The kinds to serve, comma-separated.
    #[arg(
        long,
        default_value = "ipfs,ipfs_cluster,s3,huggingface,filecoin,rclone"
    )]
    kinds: String,
    /// Answer Kubo's diag/healthy (v0.42+); by default it is a 404 as on older nodes.
    #[arg(long)]
    kubo_diag_healthy: bool,
    /// Serve each kind at the small size as KIND/ok and KIND/hostile instead.
    #[arg(long, requires = "ports_file")]
    hostile: bool,
    /// Serve one rclone rcd on OK_PORT and a hanging server on HANG_PORT instead.
    #[arg(long, num_args = 2, value_names = ["OK_PORT", "HANG_PORT"], conflicts_with = "ports_file")]
    rclone: Option<Vec<u16>>,
}

/// The counters' own endpoints, on every port (not counted): `GET /__stats`, `POST /__reset`.
fn stats_answer(counters: &Counters, request: &Request) -> Option<Answer> {
    let reply = match (request.method.as_str(), request.path.as_str()) {
        ("GET", "/__stats") => Reply::json(200, counters.snapshot()),
        ("POST", "/__reset") => {
            counters.reset();
            Reply::empty(204)
        }
        _ => return None,
    };
    Some(Answer {
        reply,
        endpoint: None,
        items: 0,
    })
}

fn names<T>(list: &str, named: fn(&str) -> Option<T>, what: &str) -> Result<Vec<T>, String> {
    list.split(',')
        .filter(|n| !n.is_empty())
        .map(|n| named(n).ok_or_else(|| format!("unknown {what} {n:?}")))
        .collect()
}

type Handler = Box<dyn Fn(&Request) -> Answer + Send + Sync>;

/// Serves each (target, handler) on a port of its own, counted in one set of counters, and
/// writes the ports file (`extra` added to it) once every server listens.
fn serve_counted(
    targets: Vec<(String, Handler)>,
    ports_file: &PathBuf,
    extra: Value,
) -> Result<Vec<Fixture>, String> {
    let counters = Arc::new(Counters::default());
    let mut fixtures = Vec::new();
    let mut ports = serde_json::Map::new();
    for (target, handler) in targets {
        let shared = counters.clone();
        let options = Options::counted(counters.clone(), &target);
        let fixture = Fixture::start_on(0, options, move |r| match stats_answer(&shared, r) {
            Some(answer) => answer,
            None => handler(r),
        })
        .map_err(|e| format!("{target}: {e}"))?;
        ports.insert(target, json!(fixture.addr.port()));
        fixtures.push(fixture);
    }
    let mut info = json!({
        "targets": ports,
        "credentials": {"garage_admin_token": s3::BENCH_ADMIN_TOKEN, "hf_token": huggingface::BENCH_TOKEN,
                        "bucket": s3::BENCH_BUCKET, "hf_repo": huggingface::BENCH_REPO},
        "pid": std::process::id(),
    });
    if let (Some(info), Value::Object(extra)) = (info.as_object_mut(), extra) {
        info.extend(extra);
    }
    // Written whole, then renamed: its existence means ready.
    let tmp = ports_file.with_extension("tmp");
    std::fs::write(&tmp, info.to_string()).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, ports_file).map_err(|e| format!("{}: {e}", ports_file.display()))?;
    Ok(fixtures)
}

fn serve_sizes(args: &Args, ports_file: &PathBuf) -> Result<Vec<Fixture>, String> {
    let started = Instant::now();
    let sizes = names(&args.sizes, Size::named, "size")?;
    let kinds = names(&args.kinds, Kind::named, "kind")?;
    let mut targets: Vec<(String, Handler)> = Vec::new();
    for kind in &kinds {
        for size in &sizes {
            let backend = Backend::bench(*kind, *size, args.kubo_diag_healthy);
            let target = format!("{}/{}", kind.name(), size.name());
            targets.push((target, Box::new(move |r| backend.answer(r))));
        }
    }
    let described: serde_json::Map<String, Value> = sizes
        .iter()
        .map(|s| (s.name().to_string(), s.describe()))
        .collect();
    let built = (started.elapsed().as_secs_f64() * 100.0).round() / 100.0;
    serve_counted(
        targets,
        ports_file,
        json!({"sizes": described, "build_secs": built}),
    )
}

fn serve_hostile(ports_file: &PathBuf) -> Result<Vec<Fixture>, String> {
    let mut targets: Vec<(String, Handler)> = Vec::new();
    let mut modes = serde_json::Map::new();
    for kind in Kind::ALL {
        let ok = Backend::bench(kind, Size::Small, false);
        targets.push((
            format!("{}/ok", kind.name()),
            Box::new(move |r| ok.answer(r)),
        ));
        let behaving = Backend::bench(kind, Size::Small, false);
        let answer = move |r: &Request| {
            if hostile::is_liveness(kind, r) {
                behaving.answer(r)
            } else {
                hostile::answer(kind, r)
            }
        };
        targets.push((format!("{}/hostile", kind.name()), Box::new(answer)));
        modes.insert(kind.name().into(), json!(hostile::Mode::of(kind).name()));
    }
    serve_counted(targets, ports_file, json!({ "modes": modes }))
}

fn serve_rclone(ok_port: u16, hang_port: u16) -> Result<Vec<Fixture>, String> {
    let ok = Fixture::start_on(ok_port, Options::uncounted(), |r| {
        backends::rclone::answer(r)
    })
    .map_err(|e| format!("port {ok_port}: {e}"))?;
    let hang = Fixture::start_on(hang_port, Options::uncounted(), |_| {
        Answer::new("hang", Reply::Hang)
    })
    .map_err(|e| format!("port {hang_port}: {e}"))?;
    Ok(vec![ok, hang])
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let served = match (&args.rclone, &args.ports_file) {
        (Some(ports), _) => serve_rclone(ports[0], ports[1]),
        (None, Some(ports_file)) if args.hostile => serve_hostile(ports_file),
        (None, Some(ports_file)) => serve_sizes(&args, ports_file),
        (None, None) => Err("--ports-file or --rclone is needed".into()),
    };
    let _fixtures = match served {
        Ok(fixtures) => fixtures,
        Err(e) => {
            eprintln!("fixture_backends: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    // Serve until signalled (SIGTERM and SIGINT end the process; there is nothing to flush).
    loop {
        std::thread::park();
    }
}

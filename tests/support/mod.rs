//! What the tests share. Here: the in-repo fixture HTTP server for backends that cannot run here
//! (Kubo, IPFS Cluster, Hugging Face, Lotus) and for fault injection, which speaks raw HTTP/1.1
//! so that tests control every byte (chunked bodies with trailers, drip-feeding, hanging,
//! closing mid-answer); running the binary on a home; the golden files' shapes. Beside it:
//! `home` (a home snapshotted byte for byte), `prometheus` (real exporters and a real
//! Prometheus), `jsipfs` (a real js-ipfs node).
//!
//! The integration binary (`tests/integration`) uses all of it, and is where unused support
//! code is found; a test binary of its own that uses a part declares it (or the one file it
//! uses) `pub mod`.

pub mod home;
pub mod jsipfs;
pub mod prometheus;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// A request as the fixture received it.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    /// Path without the query string.
    pub path: String,
    pub query: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A query parameter, percent-decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    pub fn json_body(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// How the fixture answers one request.
#[derive(Clone, Debug)]
pub enum Reply {
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// `Transfer-Encoding: chunked`, one chunk per element, then the trailers.
    Chunked {
        status: u16,
        headers: Vec<(String, String)>,
        chunks: Vec<Vec<u8>>,
        trailers: Vec<(String, String)>,
    },
    /// Reads the request and never answers (until the fixture is dropped or 120 s pass).
    Hang,
    /// Sends the head, then the body one byte every `every`.
    Drip {
        status: u16,
        body: Vec<u8>,
        every: Duration,
    },
    /// Closes the connection without a word.
    Close,
    /// `Transfer-Encoding: chunked`, `chunk` again and again until the client hangs up (or
    /// the fixture is dropped, or 120 s pass): an answer that never ends.
    Endless {
        status: u16,
        headers: Vec<(String, String)>,
        chunk: Vec<u8>,
    },
}

impl Reply {
    pub fn json(status: u16, value: serde_json::Value) -> Reply {
        Reply::Full {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: value.to_string().into_bytes(),
        }
    }
    pub fn raw_json(status: u16, text: &str) -> Reply {
        Reply::Full {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: text.as_bytes().to_vec(),
        }
    }
    pub fn text(status: u16, text: &str) -> Reply {
        Reply::Full {
            status,
            headers: vec![("Content-Type".into(), "text/plain".into())],
            body: text.as_bytes().to_vec(),
        }
    }
    pub fn xml(status: u16, text: &str) -> Reply {
        Reply::Full {
            status,
            headers: vec![("Content-Type".into(), "application/xml".into())],
            body: text.as_bytes().to_vec(),
        }
    }
    pub fn empty(status: u16) -> Reply {
        Reply::Full {
            status,
            headers: vec![],
            body: vec![],
        }
    }
    /// An endless chunked answer of `chunk`s.
    pub fn endless(status: u16, chunk: &[u8]) -> Reply {
        Reply::Endless {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            chunk: chunk.to_vec(),
        }
    }
    /// Adds a header to a Full, Chunked or Endless reply.
    pub fn with_header(mut self, name: &str, value: &str) -> Reply {
        match &mut self {
            Reply::Full { headers, .. }
            | Reply::Chunked { headers, .. }
            | Reply::Endless { headers, .. } => headers.push((name.to_string(), value.to_string())),
            _ => {}
        }
        self
    }
    /// NDJSON in chunks (one line per chunk), as Kubo and Cluster stream, with optional trailers.
    pub fn ndjson(lines: &[serde_json::Value], trailers: Vec<(String, String)>) -> Reply {
        Reply::Chunked {
            status: 200,
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                ("Trailer".into(), "X-Stream-Error".into()),
            ],
            chunks: lines
                .iter()
                .map(|l| format!("{l}\n").into_bytes())
                .collect(),
            trailers,
        }
    }
}

type Handler = dyn Fn(&Request) -> Reply + Send + Sync + 'static;

/// A running fixture server on a free loopback port. Stops when dropped.
pub struct Fixture {
    pub addr: SocketAddr,
    pub url: String,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
}

impl Fixture {
    pub fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Fixture {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("local addr");
        listener.set_nonblocking(true).expect("nonblocking");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        {
            let requests = requests.clone();
            let stop = stop.clone();
            thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let handler = handler.clone();
                            let requests = requests.clone();
                            let stop = stop.clone();
                            thread::spawn(move || serve(stream, &*handler, &requests, &stop));
                        }
                        Err(_) => thread::sleep(Duration::from_millis(5)),
                    }
                }
            });
        }
        Fixture {
            addr,
            url: format!("http://{addr}"),
            requests,
            stop,
        }
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().expect("requests lock").clone()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let length = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (target, String::new()),
    };
    Some(Request {
        method,
        path,
        query,
        headers,
        body,
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn head(status: u16, headers: &[(String, String)]) -> String {
    let mut text = format!(
        "HTTP/1.1 {status} {}\r\nConnection: close\r\n",
        reason(status)
    );
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text
}

fn serve(
    mut stream: TcpStream,
    handler: &Handler,
    requests: &Mutex<Vec<Request>>,
    stop: &AtomicBool,
) {
    let _ = stream.set_nonblocking(false);
    let Some(request) = read_request(&mut stream) else {
        return;
    };
    let reply = handler(&request);
    requests.lock().expect("requests lock").push(request);
    let _ = match reply {
        Reply::Full {
            status,
            headers,
            body,
        } => {
            let mut out = head(status, &headers).into_bytes();
            out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
            out.extend_from_slice(&body);
            stream.write_all(&out)
        }
        Reply::Chunked {
            status,
            headers,
            chunks,
            trailers,
        } => (|| {
            stream.write_all(head(status, &headers).as_bytes())?;
            stream.write_all(b"Transfer-Encoding: chunked\r\n\r\n")?;
            for chunk in chunks {
                stream.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())?;
                stream.write_all(&chunk)?;
                stream.write_all(b"\r\n")?;
                stream.flush()?;
            }
            stream.write_all(b"0\r\n")?;
            for (name, value) in trailers {
                stream.write_all(format!("{name}: {value}\r\n").as_bytes())?;
            }
            stream.write_all(b"\r\n")
        })(),
        Reply::Hang => {
            let until = Instant::now() + Duration::from_secs(120);
            while !stop.load(Ordering::Relaxed) && Instant::now() < until {
                thread::sleep(Duration::from_millis(20));
            }
            Ok(())
        }
        Reply::Drip {
            status,
            body,
            every,
        } => (|| {
            let mut text = head(
                status,
                &[("Content-Type".into(), "application/json".into())],
            );
            text.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
            stream.write_all(text.as_bytes())?;
            for byte in body {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                stream.write_all(&[byte])?;
                stream.flush()?;
                thread::sleep(every);
            }
            Ok(())
        })(),
        Reply::Close => Ok(()),
        Reply::Endless {
            status,
            headers,
            chunk,
        } => (|| {
            stream.write_all(head(status, &headers).as_bytes())?;
            stream.write_all(b"Transfer-Encoding: chunked\r\n\r\n")?;
            let framed = [
                format!("{:x}\r\n", chunk.len()).into_bytes(),
                chunk,
                b"\r\n".to_vec(),
            ]
            .concat();
            let until = Instant::now() + Duration::from_secs(120);
            while !stop.load(Ordering::Relaxed) && Instant::now() < until {
                stream.write_all(&framed)?;
            }
            Ok(())
        })(),
    };
    let _ = stream.flush();
}

/// A fresh home with `config` as its only backend (`id`), for tests that run the binary.
pub fn home_with_backend(id: &str, config: serde_json::Value) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = ipfs_kit_tui::store::Store::open(dir.path())
        .expect("open store")
        .0;
    let map = config.as_object().expect("config object").clone();
    store.create_backend(id, map).expect("create backend");
    dir
}

/// A free loopback port (bound, read, released: a race with another process is possible but
/// harmless in practice on a test machine).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Runs the real binary with `--home`; returns (exit code, stdout, stderr).
pub fn run_cli(home: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let output = std::process::Command::new(home::BIN)
        .arg("--home")
        .arg(home)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run ipfs-kit-tui");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// One backend's entry in a `status --json` report.
pub fn backend<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["backends"]
        .as_array()
        .expect("backends array")
        .iter()
        .find(|b| b["id"] == id)
        .unwrap_or_else(|| panic!("no backend '{id}' in {report}"))
}

/// Everything a backend reports, as the console shows it after an inventory: one pulse (under
/// the one rule for "down"), then one inventory run with a generous budget, its figures filling
/// what the pulse does not report. The inventory's failed calls join the pulse's.
pub async fn measure_all(
    ctx: &ipfs_kit_tui::probe::ProbeContext,
    kind: ipfs_kit_tui::backends::Kind,
    config: &serde_json::Map<String, serde_json::Value>,
) -> Result<ipfs_kit_tui::stats::Measurement, ipfs_kit_tui::probe::ProbeError> {
    let spec = kind.spec();
    let mut pulse = ipfs_kit_tui::poll::pulse(ctx, spec, config).await?;
    if spec.has_inventory() {
        let budget = ipfs_kit_tui::probe::Budget::new(Duration::from_secs(60), 100_000);
        let run = spec.inventory(ctx, config, None, &budget).await?;
        fill_missing(&mut pulse, run.figures);
        pulse.failed.extend(run.failed);
    }
    Ok(pulse)
}

/// Fills each figure the pulse left unknown with the inventory's.
fn fill_missing(pulse: &mut ipfs_kit_tui::stats::Measurement, inv: ipfs_kit_tui::stats::Figures) {
    fn fill<T: serde::Serialize + serde::de::DeserializeOwned>(live: &mut T, counted: &T) {
        let (Ok(serde_json::Value::Object(mut a)), Ok(serde_json::Value::Object(b))) =
            (serde_json::to_value(&*live), serde_json::to_value(counted))
        else {
            return;
        };
        for (key, value) in b {
            let known = a.get(&key).is_some_and(|v| !v.is_null() && *v != false);
            if !known {
                a.insert(key, value);
            }
        }
        if let Ok(merged) = serde_json::from_value(serde_json::Value::Object(a)) {
            *live = merged;
        }
    }
    fill(&mut pulse.storage, &inv.storage);
    fill(&mut pulse.files, &inv.files);
    fill(&mut pulse.quota, &inv.quota);
    for (key, value) in inv.vital {
        pulse.vital.entry(key).or_insert(value);
    }
}

/// Of two `status --json` entries for one backend, healthy then with one auxiliary call failing:
/// the second is degraded with exactly `message`; the figures `call` feeds (`groups`,
/// `vital` keys) keep the first run's values with the first run's time; every other figure is
/// live (or, for inventory figures, as of the same inventory as before).
pub fn assert_only_fed_figures_kept(
    first: &serde_json::Value,
    second: &serde_json::Value,
    message: &str,
    groups: &[&str],
    vital: &[&str],
) {
    assert_eq!(second["health"]["status"], "degraded", "{second}");
    assert_eq!(second["health"]["message"], message);
    assert_eq!(second["stale"], false);
    assert_eq!(second["source"], "live");
    let first_at = first["updated_at"].as_str().unwrap();
    assert_ne!(
        second["updated_at"].as_str().unwrap(),
        first_at,
        "a new poll"
    );
    // The same figures as before: the live ones because the backend answers the same, the
    // kept ones because they were kept.
    assert_eq!(second["vital"], first["vital"], "{second}");
    for group in ["storage", "files", "quota"] {
        let mut without_time = second[group].clone();
        let time = without_time
            .as_object_mut()
            .unwrap()
            .remove("as_of")
            .unwrap_or(serde_json::Value::Null);
        let mut before = first[group].clone();
        let before_time = before
            .as_object_mut()
            .unwrap()
            .remove("as_of")
            .unwrap_or(serde_json::Value::Null);
        assert_eq!(without_time, before, "{group}");
        let expected = if groups.contains(&group) {
            serde_json::json!(first_at)
        } else {
            before_time
        };
        assert_eq!(time, expected, "{group}.as_of: {second}");
    }
    let mut expected_times = first["vital_as_of"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for key in vital {
        assert!(!first["vital"][*key].is_null(), "{key} was known: {first}");
        expected_times.insert(key.to_string(), serde_json::json!(first_at));
    }
    assert_eq!(
        second["vital_as_of"],
        serde_json::Value::Object(expected_times),
        "{second}"
    );
}

impl Reply {
    /// The JSON documents this reply carries: its body, or each line of an NDJSON stream.
    pub fn json_documents(&self) -> Vec<serde_json::Value> {
        let bytes: Vec<u8> = match self {
            Reply::Full { body, .. } => body.clone(),
            Reply::Chunked { chunks, .. } => chunks.concat(),
            _ => Vec::new(),
        };
        if let Ok(value) = serde_json::from_slice(&bytes) {
            return vec![value];
        }
        bytes
            .split(|b| *b == b'\n')
            .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
            .filter_map(|line| serde_json::from_slice(line).ok())
            .collect()
    }
}

/// A recorded answer of a real server, `tests/golden/NAME.json` (scripts/record-golden.sh).
pub fn golden(name: &str) -> serde_json::Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (scripts/record-golden.sh writes it)",
            path.display()
        )
    });
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Where two JSON answers differ in shape: keys present on one side only, and values of
/// different JSON types. A `null` matches anything (Go writes `null` for an empty list), an
/// empty array any array, and an array's shape is its first element's.
pub fn shape_differences(real: &serde_json::Value, ours: &serde_json::Value) -> Vec<String> {
    fn kind(value: &serde_json::Value) -> &'static str {
        match value {
            serde_json::Value::Null => "null",
            serde_json::Value::Bool(_) => "boolean",
            serde_json::Value::Number(_) => "number",
            serde_json::Value::String(_) => "string",
            serde_json::Value::Array(_) => "array",
            serde_json::Value::Object(_) => "object",
        }
    }
    fn walk(real: &serde_json::Value, ours: &serde_json::Value, path: &str, out: &mut Vec<String>) {
        use serde_json::Value;
        match (real, ours) {
            (Value::Null, _) | (_, Value::Null) => {}
            // A map keyed by peer IDs or CIDs (Cluster's peer_map): its values' shape.
            (Value::Object(a), Value::Object(b))
                if a.keys().chain(b.keys()).all(|k| looks_like_an_id(k)) =>
            {
                if let (Some(x), Some(y)) = (a.values().next(), b.values().next()) {
                    walk(x, y, &format!("{path}.<id>"), out);
                }
            }
            (Value::Object(a), Value::Object(b)) => {
                for (key, value) in a {
                    match b.get(key) {
                        Some(other) => walk(value, other, &format!("{path}.{key}"), out),
                        None => out.push(format!("{path}.{key}: only in the real answer")),
                    }
                }
                for key in b.keys().filter(|k| !a.contains_key(*k)) {
                    out.push(format!("{path}.{key}: only in ours"));
                }
            }
            (Value::Array(a), Value::Array(b)) => {
                if let (Some(x), Some(y)) = (a.first(), b.first()) {
                    walk(x, y, &format!("{path}[]"), out);
                }
            }
            (a, b) if kind(a) != kind(b) => out.push(format!(
                "{path}: {} in the real answer, {} in ours",
                kind(a),
                kind(b)
            )),
            _ => {}
        }
    }
    fn looks_like_an_id(key: &str) -> bool {
        key.len() >= 32 && key.chars().all(|c| c.is_ascii_alphanumeric())
    }
    let mut out = Vec::new();
    walk(real, ours, "", &mut out);
    out
}

/// The element paths of an XML document (`ListBucketResult/Contents/Key`, ...), each once: the
/// shape of an S3 answer. Declarations, comments and attributes are left out.
pub fn xml_paths(xml: &str) -> std::collections::BTreeSet<String> {
    let mut stack: Vec<String> = Vec::new();
    let mut paths = std::collections::BTreeSet::new();
    let mut rest = xml;
    while let Some(start) = rest.find('<') {
        let Some(end) = rest[start..].find('>') else {
            break;
        };
        let tag = &rest[start + 1..start + end];
        rest = &rest[start + end + 1..];
        if tag.starts_with('?') || tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            if stack.last().map(String::as_str) == Some(name.trim()) {
                stack.pop();
            }
            continue;
        }
        let name = tag
            .trim_end_matches('/')
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_string();
        stack.push(name);
        paths.insert(stack.join("/"));
        if tag.ends_with('/') {
            stack.pop();
        }
    }
    paths
}

/// Where two XML answers differ in shape: element paths present on one side only.
pub fn xml_differences(real: &str, ours: &str) -> Vec<String> {
    let (real, ours) = (xml_paths(real), xml_paths(ours));
    real.difference(&ours)
        .map(|p| format!("{p}: only in the real answer"))
        .chain(ours.difference(&real).map(|p| format!("{p}: only in ours")))
        .collect()
}

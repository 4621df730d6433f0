//! The in-repo fixture HTTP server, shared by the tests and the bench fixtures
//! (`examples/fixture_backends.rs`): it speaks raw HTTP/1.1 so that its user controls every byte
//! (chunked bodies with trailers, drip-feeding, hanging, closing mid-answer).
//!
//! By default it answers one request per connection and keeps every request for the test to
//! read. `Options` turns on what the benches need: keep-alive, counting requests, response
//! bytes and enumerated items per endpoint (`Counters`), and not keeping the requests. A hung
//! connection is held open without a thread, so a hanging backend costs no wake-ups.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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
    /// The head, then `opening` once, then `block` again and again, `every` apart, until the
    /// client hangs up (or the fixture is dropped, or 120 s pass): a hostile answer. The bytes
    /// go out as they are: with `Transfer-Encoding: chunked` in `headers`, `opening` and
    /// `block` carry their own chunk framing (`chunk`); with a `Content-Length`, none.
    Flood {
        status: u16,
        headers: Vec<(String, String)>,
        opening: Vec<u8>,
        block: Vec<u8>,
        every: Duration,
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
        Reply::Flood {
            status,
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                ("Transfer-Encoding".into(), "chunked".into()),
            ],
            opening: vec![],
            block: Reply::chunk(chunk),
            every: Duration::ZERO,
        }
    }
    /// Replaces the Content-Type of a Full, Chunked or Flood reply.
    pub fn with_content_type(mut self, value: &str) -> Reply {
        if let Reply::Full { headers, .. }
        | Reply::Chunked { headers, .. }
        | Reply::Flood { headers, .. } = &mut self
        {
            headers.retain(|(name, _)| !name.eq_ignore_ascii_case("content-type"));
            headers.insert(0, ("Content-Type".into(), value.into()));
        }
        self
    }
    /// `data` framed as one chunk of a chunked body.
    pub fn chunk(data: &[u8]) -> Vec<u8> {
        [format!("{:x}\r\n", data.len()).as_bytes(), data, b"\r\n"].concat()
    }
    /// Adds a header to a Full, Chunked or Flood reply.
    pub fn with_header(mut self, name: &str, value: &str) -> Reply {
        match &mut self {
            Reply::Full { headers, .. }
            | Reply::Chunked { headers, .. }
            | Reply::Flood { headers, .. } => headers.push((name.to_string(), value.to_string())),
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

/// How the fixture answers one request, and what it costs: the endpoint it is counted under
/// (`None`: not counted, as the bench's own `/__stats`) and the items the server enumerated to
/// answer (pins streamed, blocks walked, keys listed).
#[derive(Clone, Debug)]
pub struct Answer {
    pub reply: Reply,
    pub endpoint: Option<String>,
    pub items: u64,
}

impl Answer {
    /// An answer counted under `endpoint`, having enumerated nothing.
    pub fn new(endpoint: impl Into<String>, reply: Reply) -> Answer {
        Answer {
            reply,
            endpoint: Some(endpoint.into()),
            items: 0,
        }
    }
    /// The same, having enumerated `items`.
    pub fn items(mut self, items: u64) -> Answer {
        self.items = items;
        self
    }
}

/// What one endpoint of one target cost.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Count {
    pub requests: u64,
    /// Everything sent: status line, headers, body and chunk framing.
    pub bytes: u64,
    pub items: u64,
    /// Answers by status code.
    pub statuses: BTreeMap<String, u64>,
}

/// Counts of every target (one fixture each) by endpoint, shared by the fixtures of a set.
#[derive(Debug)]
pub struct Counters {
    state: Mutex<CountersState>,
}

#[derive(Debug)]
struct CountersState {
    /// Seconds since the epoch at the start or the last reset.
    since: f64,
    targets: BTreeMap<String, BTreeMap<String, Count>>,
}

fn now_secs() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

impl Default for Counters {
    fn default() -> Counters {
        Counters {
            state: Mutex::new(CountersState {
                since: now_secs(),
                targets: BTreeMap::new(),
            }),
        }
    }
}

impl Counters {
    fn state(&self) -> std::sync::MutexGuard<'_, CountersState> {
        lock(&self.state)
    }

    pub fn add(&self, target: &str, endpoint: &str, status: u16, bytes: u64, items: u64) {
        let mut state = self.state();
        let count = state
            .targets
            .entry(target.to_string())
            .or_default()
            .entry(endpoint.to_string())
            .or_default();
        count.requests += 1;
        count.bytes += bytes;
        count.items += items;
        *count.statuses.entry(status.to_string()).or_default() += 1;
    }

    /// `{"since": SECS, "targets": {TARGET: {"requests", "bytes", "items", "ops": {ENDPOINT: Count}}}}`.
    pub fn snapshot(&self) -> serde_json::Value {
        let state = self.state();
        let targets: serde_json::Map<String, serde_json::Value> = state
            .targets
            .iter()
            .map(|(target, ops)| {
                let sum = |f: fn(&Count) -> u64| ops.values().map(f).sum::<u64>();
                let value = serde_json::json!({
                    "requests": sum(|c| c.requests),
                    "bytes": sum(|c| c.bytes),
                    "items": sum(|c| c.items),
                    "ops": ops,
                });
                (target.clone(), value)
            })
            .collect();
        serde_json::json!({"since": state.since, "targets": targets})
    }

    pub fn reset(&self) {
        let mut state = self.state();
        state.targets.clear();
        state.since = now_secs();
    }
}

/// What a fixture does beyond answering; the default is the tests' (one request per connection,
/// every request kept, nothing counted).
#[derive(Clone, Debug)]
pub struct Options {
    /// HTTP/1.1 keep-alive: answer requests on a connection until the client closes it.
    pub keep_alive: bool,
    /// Keep every request for `Fixture::requests` (a bench's fixture would grow for ever).
    pub record_requests: bool,
    /// Count each answer in these counters under this target's name.
    pub counters: Option<(Arc<Counters>, String)>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            keep_alive: false,
            record_requests: true,
            counters: None,
        }
    }
}

impl Options {
    /// A bench's: keep-alive, nothing kept, counted as `target` in `counters`.
    pub fn counted(counters: Arc<Counters>, target: &str) -> Options {
        Options {
            counters: Some((counters, target.to_string())),
            ..Options::uncounted()
        }
    }

    /// A bench's that counts nothing: keep-alive, nothing kept.
    pub fn uncounted() -> Options {
        Options {
            keep_alive: true,
            record_requests: false,
            counters: None,
        }
    }
}

type Handler = dyn Fn(&Request) -> Answer + Send + Sync + 'static;

/// How long a hung connection is held at most.
const HANG_FOR: Duration = Duration::from_secs(120);

/// What the server threads of one fixture share.
struct Shared {
    handler: Box<Handler>,
    options: Options,
    requests: Mutex<Vec<Request>>,
    stop: AtomicBool,
    /// Hung connections, held open (without a thread) until the fixture is dropped or
    /// `HANG_FOR` passes.
    held: Mutex<Vec<(Instant, TcpStream)>>,
}

/// A running fixture server on a free loopback port. Stops when dropped.
pub struct Fixture {
    pub addr: SocketAddr,
    pub url: String,
    shared: Arc<Shared>,
}

impl Fixture {
    /// A test's fixture: one request per connection, every request kept.
    pub fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Fixture {
        Fixture::start_with(Options::default(), move |request| {
            let endpoint = format!("{} {}", request.method, request.path);
            Answer::new(endpoint, handler(request))
        })
    }

    /// A fixture with `options`, on 127.0.0.1 at any free port.
    pub fn start_with(
        options: Options,
        handler: impl Fn(&Request) -> Answer + Send + Sync + 'static,
    ) -> Fixture {
        Fixture::start_on(0, options, handler).expect("bind a loopback port")
    }

    /// A fixture with `options` on 127.0.0.1:`port` (0: any free port).
    pub fn start_on(
        port: u16,
        options: Options,
        handler: impl Fn(&Request) -> Answer + Send + Sync + 'static,
    ) -> std::io::Result<Fixture> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            handler: Box::new(handler),
            options,
            requests: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
            held: Mutex::new(Vec::new()),
        });
        {
            let shared = shared.clone();
            // A blocking accept: an idle fixture costs no wake-ups. Drop wakes it with a
            // connection of its own.
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if shared.stop.load(Ordering::Relaxed) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        let shared = shared.clone();
                        thread::spawn(move || serve(stream, &shared));
                    }
                }
            });
        }
        Ok(Fixture {
            addr,
            url: format!("http://{addr}"),
            shared,
        })
    }

    /// Every request received so far (none if `Options::record_requests` is off).
    pub fn requests(&self) -> Vec<Request> {
        lock(&self.shared.requests).clone()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(self.addr);
        lock(&self.shared.held).clear();
    }
}

/// A lock of the server's state; a thread that panicked holding it left a state still usable.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
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

fn head(status: u16, headers: &[(String, String)], keep_alive: bool) -> String {
    let mut text = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    if !keep_alive {
        text.push_str("Connection: close\r\n");
    }
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text
}

/// The connection's writing half, counting what it sends.
struct Counted {
    stream: TcpStream,
    sent: u64,
}

impl Write for Counted {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.stream.write(buf)?;
        self.sent += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.stream.flush()
    }
}

/// After an answer: whether the connection can carry the next request.
enum After {
    Next,
    Close,
    /// Hold the connection open, answering nothing more.
    Hold,
}

fn serve(stream: TcpStream, shared: &Shared) {
    // Headers and body go out in separate writes: without this, Nagle and delayed ACKs add
    // 40 ms stalls that real servers do not have.
    let _ = stream.set_nodelay(true);
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut out = Counted { stream, sent: 0 };
    let keep_alive = shared.options.keep_alive;
    while let Some(request) = read_request(&mut reader) {
        let answer = (shared.handler)(&request);
        let head_only = request.method == "HEAD";
        if shared.options.record_requests {
            lock(&shared.requests).push(request);
        }
        let status = match &answer.reply {
            Reply::Full { status, .. }
            | Reply::Chunked { status, .. }
            | Reply::Drip { status, .. }
            | Reply::Flood { status, .. } => *status,
            Reply::Hang | Reply::Close => 0,
        };
        out.sent = 0;
        let after = write_reply(&mut out, answer.reply, keep_alive, head_only, &shared.stop);
        let _ = out.flush();
        if let (Some((counters, target)), Some(endpoint)) =
            (&shared.options.counters, &answer.endpoint)
        {
            counters.add(target, endpoint, status, out.sent, answer.items);
        }
        match after {
            Ok(After::Next) if keep_alive => continue,
            Ok(After::Hold) => {
                let mut held = lock(&shared.held);
                // Checked only when another connection is held: those the client closed, or
                // held too long, are let go (a bench's hanging backend is asked for ever).
                held.retain(|(since, stream)| {
                    since.elapsed() < HANG_FOR && !closed_by_the_client(stream)
                });
                let _ = out.stream.set_nonblocking(true);
                held.push((Instant::now(), out.stream));
                return;
            }
            _ => return,
        }
    }
}

/// Whether a held (non-blocking) connection was closed by its client.
fn closed_by_the_client(stream: &TcpStream) -> bool {
    match stream.peek(&mut [0u8; 1]) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
    }
}

fn write_reply(
    out: &mut Counted,
    reply: Reply,
    keep_alive: bool,
    head_only: bool,
    stop: &AtomicBool,
) -> std::io::Result<After> {
    match reply {
        Reply::Full {
            status,
            headers,
            body,
        } => {
            let mut bytes = head(status, &headers, keep_alive).into_bytes();
            bytes.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
            // A HEAD's answer has no body (a keep-alive client would read it as the next answer).
            if !head_only {
                bytes.extend_from_slice(&body);
            }
            out.write_all(&bytes)?;
        }
        Reply::Chunked {
            status,
            headers,
            chunks,
            trailers,
        } => {
            out.write_all(head(status, &headers, keep_alive).as_bytes())?;
            out.write_all(b"Transfer-Encoding: chunked\r\n\r\n")?;
            for chunk in chunks {
                out.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())?;
                out.write_all(&chunk)?;
                out.write_all(b"\r\n")?;
                out.flush()?;
            }
            out.write_all(b"0\r\n")?;
            for (name, value) in trailers {
                out.write_all(format!("{name}: {value}\r\n").as_bytes())?;
            }
            out.write_all(b"\r\n")?;
        }
        Reply::Hang => return Ok(After::Hold),
        Reply::Drip {
            status,
            body,
            every,
        } => {
            let mut text = head(
                status,
                &[("Content-Type".into(), "application/json".into())],
                false,
            );
            text.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
            out.write_all(text.as_bytes())?;
            for byte in body {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                out.write_all(&[byte])?;
                out.flush()?;
                thread::sleep(every);
            }
            return Ok(After::Close);
        }
        Reply::Close => return Ok(After::Close),
        Reply::Flood {
            status,
            headers,
            opening,
            block,
            every,
        } => {
            let mut text = head(status, &headers, false);
            text.push_str("\r\n");
            out.write_all(text.as_bytes())?;
            out.write_all(&opening)?;
            out.flush()?;
            let until = Instant::now() + HANG_FOR;
            while !stop.load(Ordering::Relaxed) && Instant::now() < until {
                out.write_all(&block)?;
                if !every.is_zero() {
                    out.flush()?;
                    thread::sleep(every);
                }
            }
            return Ok(After::Close);
        }
    }
    Ok(After::Next)
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

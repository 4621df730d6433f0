//! A TCP proxy in front of a real server that writes down each HTTP/1.1 request line passing
//! through it: how the tests count what the console asks of a server they did not write.
//! The console's requests have no bodies, so every line of the client's stream that looks like
//! a request line is one.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub struct CountingProxy {
    /// `http://127.0.0.1:PORT`: what a backend's address holds instead of the server's.
    pub url: String,
    seen: Arc<Mutex<Vec<String>>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for CountingProxy {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

const METHODS: [&str; 6] = ["GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS "];

impl CountingProxy {
    /// A proxy to `upstream` (`127.0.0.1:PORT`).
    pub fn start(upstream: &str) -> CountingProxy {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind the proxy");
        let port = listener.local_addr().expect("addr").port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let upstream = upstream.to_string();
        let recorded = seen.clone();
        runtime.spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let recorded = recorded.clone();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    let (mut client_read, mut client_write) = client.into_split();
                    let (mut server_read, mut server_write) = server.into_split();
                    let up = async {
                        let mut line = Vec::new();
                        let mut buffer = [0u8; 16 * 1024];
                        loop {
                            let n = match client_read.read(&mut buffer).await {
                                Ok(0) | Err(_) => break,
                                Ok(n) => n,
                            };
                            for &byte in &buffer[..n] {
                                if byte == b'\n' {
                                    let text = String::from_utf8_lossy(&line);
                                    let text = text.trim_end();
                                    if text.ends_with(" HTTP/1.1")
                                        && METHODS.iter().any(|m| text.starts_with(m))
                                    {
                                        recorded
                                            .lock()
                                            .expect("lock")
                                            .push(text.trim_end_matches(" HTTP/1.1").into());
                                    }
                                    line.clear();
                                } else if line.len() < 8192 {
                                    line.push(byte);
                                }
                            }
                            if server_write.write_all(&buffer[..n]).await.is_err() {
                                break;
                            }
                        }
                        let _ = server_write.shutdown().await;
                    };
                    let down = async {
                        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
                        let _ = client_write.shutdown().await;
                    };
                    tokio::join!(up, down);
                });
            }
        });
        CountingProxy {
            url: format!("http://127.0.0.1:{port}"),
            seen,
            runtime: Some(runtime),
        }
    }

    /// The request lines seen so far ("POST /api/v0/version"), and forgets them.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.seen.lock().expect("lock"))
    }
}

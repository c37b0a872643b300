//! A real HTTP server on 127.0.0.1 for integration tests, on a background thread.
//!
//! It serves a map of path → [`Reply`]: bytes, a page, 404, 500, a body cut short of its
//! `Content-Length`, and "fail N times, then serve". It counts requests per path so tests can
//! assert retries and cache hits, and it stops when dropped.
//!
//! It is written on std's `TcpListener` rather than tiny_http: every reply here closes its
//! connection, which is what lets a truncated body end (tiny_http keeps connections alive and
//! pads or hangs instead).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// What the server answers on one path.
#[derive(Debug, Clone)]
pub enum Reply {
    /// 200 with these bytes (`application/octet-stream`).
    Bytes(Vec<u8>),
    /// 200 with this HTML page (for release listings).
    Page(String),
    /// This status with a short text body (404, 500, …).
    Status(u16),
    /// 200 claiming twice the length, sending only these bytes, then closing.
    Truncated(Vec<u8>),
    /// The first `failures` requests get `first`, later ones `then`.
    FailThen {
        failures: usize,
        first: Box<Reply>,
        then: Box<Reply>,
    },
}

impl Reply {
    /// 500 for the first `failures` requests, then these bytes.
    pub fn fail_then(failures: usize, bytes: Vec<u8>) -> Reply {
        Reply::FailThen {
            failures,
            first: Box::new(Reply::Status(500)),
            then: Box::new(Reply::Bytes(bytes)),
        }
    }
}

type Routes = Arc<Mutex<HashMap<String, Reply>>>;
type Counts = Arc<Mutex<HashMap<String, usize>>>;

/// A running server; stops when dropped.
pub struct HttpServer {
    address: SocketAddr,
    routes: Routes,
    counts: Counts,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl HttpServer {
    /// Start a server on 127.0.0.1:0 with these routes (paths start with `/`).
    pub fn start<'a>(routes: impl IntoIterator<Item = (&'a str, Reply)>) -> HttpServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let address = listener.local_addr().expect("local address");
        let routes: Routes = Arc::new(Mutex::new(
            routes
                .into_iter()
                .map(|(path, reply)| (path.to_owned(), reply))
                .collect(),
        ));
        let counts: Counts = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (routes, counts, stop) = (routes.clone(), counts.clone(), stop.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        // A client that hangs up early is its own business.
                        let _ = serve(stream, &routes, &counts);
                    }
                }
            })
        };
        HttpServer {
            address,
            routes,
            counts,
            stop,
            thread: Some(thread),
        }
    }

    /// The full URL of `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// How many requests `path` has received.
    pub fn requests(&self, path: &str) -> usize {
        let counts = self.counts.lock().expect("counts lock");
        counts.get(path).copied().unwrap_or(0)
    }

    /// Replace (or add) the reply of `path`.
    pub fn set(&self, path: &str, reply: Reply) {
        let mut routes = self.routes.lock().expect("routes lock");
        routes.insert(path.to_owned(), reply);
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.address, Duration::from_secs(1));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Answer one request on `stream`, then close it.
fn serve(stream: TcpStream, routes: &Routes, counts: &Counts) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" || header == "\n" {
            break;
        }
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_owned();
    let seen = {
        let mut counts = counts.lock().expect("counts lock");
        let count = counts.entry(path.clone()).or_default();
        *count += 1;
        *count
    };
    let reply = routes
        .lock()
        .expect("routes lock")
        .get(&path)
        .cloned()
        .unwrap_or(Reply::Status(404));
    respond(stream, &reply, seen)
}

fn respond(mut stream: TcpStream, reply: &Reply, seen: usize) -> std::io::Result<()> {
    match reply {
        Reply::Bytes(bytes) => send(&mut stream, 200, "application/octet-stream", bytes, None),
        Reply::Page(page) => send(&mut stream, 200, "text/html", page.as_bytes(), None),
        Reply::Status(status) => {
            let body = format!("status {status}\n");
            send(&mut stream, *status, "text/plain", body.as_bytes(), None)
        }
        Reply::Truncated(bytes) => {
            let claimed = bytes.len() * 2 + 1;
            send(
                &mut stream,
                200,
                "application/octet-stream",
                bytes,
                Some(claimed),
            )
        }
        Reply::FailThen {
            failures,
            first,
            then,
        } => {
            let next = if seen <= *failures { first } else { then };
            respond(stream, next, seen)
        }
    }
}

fn send(
    stream: &mut TcpStream,
    status: u16,
    content_type: &str,
    body: &[u8],
    claimed_length: Option<usize>,
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };
    let length = claimed_length.unwrap_or(body.len());
    write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {length}\r\nConnection: close\r\n\r\n"
    )?;
    stream.write_all(body)?;
    stream.flush()?;
    stream.shutdown(std::net::Shutdown::Both)
}

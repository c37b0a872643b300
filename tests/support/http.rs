//! A real HTTP server on 127.0.0.1 for integration tests, on a background thread.
//!
//! It serves a map of path → [`Reply`]: bytes, a page, 404, 500, a body cut short of its
//! `Content-Length`, "fail N times, then serve", and the hostile ones: an endless body (with
//! no `Content-Length`, or a lying one), a body trickled a byte at a time, a server that never
//! answers, and a redirect anywhere. It counts requests and body bytes sent per path, so tests
//! can assert retries, cache hits and how much a client read, and it stops when dropped.
//!
//! It is written on std's `TcpListener` rather than tiny_http: every reply here closes its
//! connection, which is what lets a truncated body end (tiny_http keeps connections alive and
//! pads or hangs instead). Each connection is served on its own thread, so a trickling reply
//! does not hold up the others; the slow replies give up when the server is dropped or the
//! client hangs up.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// How much an endless body sends at most before the server gives up on it (so a client
/// without a size cap still ends, with a body far past any cap a test sets).
pub const ENDLESS_BOUND: u64 = 256 << 20;

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
    /// 200 with a body of `x` bytes that never ends (up to [`ENDLESS_BOUND`]), declaring
    /// `declared` as its `Content-Length` (a lie) or none (the body ends when the connection
    /// closes).
    Endless { declared: Option<u64> },
    /// 200 of `content_type` declaring `declared` bytes (or none), then the body one byte
    /// every `interval`, then the connection is closed.
    Trickle {
        content_type: &'static str,
        body: Vec<u8>,
        interval: Duration,
        declared: Option<u64>,
    },
    /// The request is read and never answered; the connection stays open until the client
    /// hangs up or the server stops.
    Silent,
    /// 302 Found to this location.
    Redirect(String),
}

impl Reply {
    /// A body of `length` bytes of `x`, one every `interval`, declaring `declared` bytes.
    pub fn trickle(length: usize, interval: Duration, declared: u64) -> Reply {
        Reply::Trickle {
            content_type: "application/octet-stream",
            body: vec![b'x'; length],
            interval,
            declared: Some(declared),
        }
    }

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
type Sent = Arc<Mutex<HashMap<String, u64>>>;

/// What every connection thread shares.
#[derive(Clone)]
struct Shared {
    routes: Routes,
    counts: Counts,
    sent: Sent,
    stop: Arc<AtomicBool>,
}

/// A running server; stops when dropped.
pub struct HttpServer {
    address: SocketAddr,
    shared: Shared,
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
        let shared = Shared {
            routes,
            counts: Arc::default(),
            sent: Arc::default(),
            stop: Arc::new(AtomicBool::new(false)),
        };
        let thread = {
            let shared = shared.clone();
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if shared.stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        let shared = shared.clone();
                        // A client that hangs up early is its own business.
                        std::thread::spawn(move || {
                            let _ = serve(stream, &shared);
                        });
                    }
                }
            })
        };
        HttpServer {
            address,
            shared,
            thread: Some(thread),
        }
    }

    /// The full URL of `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// How many requests `path` has received.
    pub fn requests(&self, path: &str) -> usize {
        let counts = self.shared.counts.lock().expect("counts lock");
        counts.get(path).copied().unwrap_or(0)
    }

    /// How many body bytes the server managed to send for `path`, over all its requests (a
    /// client that stops reading stops this count, give or take the sockets' buffers).
    pub fn sent(&self, path: &str) -> u64 {
        let sent = self.shared.sent.lock().expect("sent lock");
        sent.get(path).copied().unwrap_or(0)
    }

    /// Replace (or add) the reply of `path`.
    pub fn set(&self, path: &str, reply: Reply) {
        let mut routes = self.shared.routes.lock().expect("routes lock");
        routes.insert(path.to_owned(), reply);
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.address, Duration::from_secs(1));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Answer one request on `stream`, then close it.
fn serve(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
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
        let mut counts = shared.counts.lock().expect("counts lock");
        let count = counts.entry(path.clone()).or_default();
        *count += 1;
        *count
    };
    let reply = shared
        .routes
        .lock()
        .expect("routes lock")
        .get(&path)
        .cloned()
        .unwrap_or(Reply::Status(404));
    let mut connection = Connection {
        stream,
        path,
        shared: shared.clone(),
    };
    connection.respond(&reply, seen)
}

/// One connection being answered.
struct Connection {
    stream: TcpStream,
    path: String,
    shared: Shared,
}

impl Connection {
    fn respond(&mut self, reply: &Reply, seen: usize) -> std::io::Result<()> {
        match reply {
            Reply::Bytes(bytes) => self.send(200, "application/octet-stream", bytes, None),
            Reply::Page(page) => self.send(200, "text/html", page.as_bytes(), None),
            Reply::Status(status) => {
                let body = format!("status {status}\n");
                self.send(*status, "text/plain", body.as_bytes(), None)
            }
            Reply::Truncated(bytes) => {
                let claimed = bytes.len() as u64 * 2 + 1;
                self.send(200, "application/octet-stream", bytes, Some(claimed))
            }
            Reply::FailThen {
                failures,
                first,
                then,
            } => {
                let next = if seen <= *failures { first } else { then };
                self.respond(next, seen)
            }
            Reply::Endless { declared } => {
                self.head(200, "application/octet-stream", *declared, &[])?;
                let chunk = vec![b'x'; 64 * 1024];
                let mut sent = 0;
                while sent < ENDLESS_BOUND && !self.stopped() {
                    self.body(&chunk)?;
                    sent += chunk.len() as u64;
                }
                self.close()
            }
            Reply::Trickle {
                content_type,
                body,
                interval,
                declared,
            } => {
                self.head(200, content_type, *declared, &[])?;
                for byte in body {
                    if self.stopped() {
                        break;
                    }
                    self.body(&[*byte])?;
                    std::thread::sleep(*interval);
                }
                self.close()
            }
            Reply::Silent => {
                // Wait for the client to hang up (a read of 0 bytes) or the server to stop.
                self.stream
                    .set_read_timeout(Some(Duration::from_millis(50)))?;
                let mut byte = [0u8; 1];
                while !self.stopped() {
                    match self.stream.read(&mut byte) {
                        Ok(0) => break,
                        Ok(_) => {}
                        Err(error)
                            if matches!(
                                error.kind(),
                                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                            ) => {}
                        Err(error) => return Err(error),
                    }
                }
                Ok(())
            }
            Reply::Redirect(location) => {
                let header = format!("Location: {location}\r\n");
                self.head(302, "text/plain", Some(0), header.as_bytes())?;
                self.close()
            }
        }
    }

    fn stopped(&self) -> bool {
        self.shared.stop.load(Ordering::SeqCst)
    }

    /// A whole response: head, body, close.
    fn send(
        &mut self,
        status: u16,
        content_type: &str,
        body: &[u8],
        claimed_length: Option<u64>,
    ) -> std::io::Result<()> {
        let length = claimed_length.unwrap_or(body.len() as u64);
        self.head(status, content_type, Some(length), &[])?;
        self.body(body)?;
        self.close()
    }

    fn head(
        &mut self,
        status: u16,
        content_type: &str,
        length: Option<u64>,
        extra: &[u8],
    ) -> std::io::Result<()> {
        let reason = match status {
            200 => "OK",
            302 => "Found",
            404 => "Not Found",
            500 => "Internal Server Error",
            503 => "Service Unavailable",
            _ => "Status",
        };
        let length = length
            .map(|length| format!("Content-Length: {length}\r\n"))
            .unwrap_or_default();
        write!(
            self.stream,
            "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n\
             {length}Connection: close\r\n"
        )?;
        self.stream.write_all(extra)?;
        self.stream.write_all(b"\r\n")?;
        self.stream.flush()
    }

    fn body(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes)?;
        self.stream.flush()?;
        let mut sent = self.shared.sent.lock().expect("sent lock");
        *sent.entry(self.path.clone()).or_default() += bytes.len() as u64;
        Ok(())
    }

    fn close(&mut self) -> std::io::Result<()> {
        self.stream.shutdown(std::net::Shutdown::Both)
    }
}

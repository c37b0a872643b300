//! HTTP downloads (archives and listing pages), bounded while they stream.
//!
//! A download streams into a sink (a file in the cache, or memory for a page) and is hashed
//! as it arrives. Every bound holds *while* the body streams, never after: a size cap (checked
//! against `Content-Length` before the body, then on every read), never more than the declared
//! `Content-Length`, and the [`Watch`] of the fetch (overall deadline, low-speed limit).
//! Transient failures (connection reset, 5xx, 429, a body cut short of its `Content-Length`)
//! are retried three times with a short backoff, within the deadline; a 4xx, a failed connect
//! (refused, unreachable, DNS), a refused redirect, a size cap and a stalled transfer are
//! final. Redirects are followed only to `http` and `https` URLs.
//!
//! HTTP is reqwest's blocking client over rustls with the `ring` crypto provider: no system
//! OpenSSL is linked (loading libssl and libcrypto cost every run of the binary, `apply`
//! included, close to a millisecond at start-up), and ring builds far faster than aws-lc.
//! Certificates are checked by rustls-platform-verifier, which on Linux reads the system's CA
//! bundle (`/etc/ssl/certs`, or `SSL_CERT_FILE`/`SSL_CERT_DIR`) with Rust code, so the trust
//! store is the machine's own, as with OpenSSL, with no bundled roots to go stale.

use std::io::{Read, Seek, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

use super::transfer::{Stall, Watch};
use super::{FetchError, Fetcher, Progress};

/// Tries per download.
const TRIES: u32 = 3;
/// Bound on redirects followed for one request (curl's and git's default is 50; real release
/// hosts use one or two).
const MAX_REDIRECTS: usize = 10;

/// Where a download's bytes go.
pub(super) enum Sink<'a> {
    /// A file (a partial download in the cache), named for errors.
    File {
        file: &'a mut std::fs::File,
        path: &'a Path,
    },
    /// Memory (a listing page, already bounded by its cap).
    Memory(&'a mut Vec<u8>),
}

impl Sink<'_> {
    /// Empty the sink before a new try.
    fn reset(&mut self) -> Result<(), FetchError> {
        match self {
            Sink::File { file, path } => {
                file.set_len(0).map_err(|e| FetchError::io(*path, e))?;
                file.rewind().map_err(|e| FetchError::io(*path, e))
            }
            Sink::Memory(bytes) => {
                bytes.clear();
                Ok(())
            }
        }
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), FetchError> {
        match self {
            Sink::File { file, path } => {
                file.write_all(bytes).map_err(|e| FetchError::io(*path, e))
            }
            Sink::Memory(memory) => {
                memory.extend_from_slice(bytes);
                Ok(())
            }
        }
    }

    fn flush(&mut self) -> Result<(), FetchError> {
        match self {
            Sink::File { file, path } => file.flush().map_err(|e| FetchError::io(*path, e)),
            Sink::Memory(_) => Ok(()),
        }
    }
}

/// What is downloaded, for the error of a 404 and the size cap.
#[derive(Debug, Clone, Copy)]
pub(super) struct Request<'a> {
    pub url: &'a str,
    /// `release` or `release listing`, for [`FetchError::NotFound`].
    pub what: &'static str,
    /// The size cap.
    pub max_bytes: u64,
}

/// Download `request.url` into `sink`, with retries, within `watch`; returns the sha256 of
/// the bytes.
pub(super) fn download(
    fetcher: &Fetcher,
    request: Request<'_>,
    sink: &mut Sink<'_>,
    watch: &mut Watch,
) -> Result<String, FetchError> {
    use_ring_provider();
    let url = request.url;
    let mut last = String::new();
    for attempt in 1..=TRIES {
        if attempt > 1 {
            tracing::warn!(url, attempt, reason = %last, "retrying download");
            let backoff = fetcher.options().retry_backoff * 2u32.pow(attempt - 2);
            if !backoff.is_zero() {
                std::thread::sleep(backoff.min(watch.remaining()));
            }
            watch
                .check_deadline()
                .map_err(|stall| stall.into_error(url))?;
        }
        sink.reset()?;
        match try_download(fetcher, request, sink, watch) {
            Ok(sha) => return Ok(sha),
            Err(Failure::Final(error)) => return Err(error),
            Err(Failure::Transient(reason)) => last = reason,
        }
    }
    Err(FetchError::Unavailable {
        url: url.to_owned(),
        reason: format!("{last} (after {TRIES} tries)"),
    })
}

/// Why one try failed.
enum Failure {
    /// Worth another try.
    Transient(String),
    /// Final: report as is.
    Final(FetchError),
}

impl From<FetchError> for Failure {
    fn from(error: FetchError) -> Failure {
        Failure::Final(error)
    }
}

/// The client of one try: every wait for an answer or a read is bounded by the watch (the
/// deadline, and the low-speed window: no byte for that long is too slow); redirects only to
/// http(s).
fn client(fetcher: &Fetcher, watch: &Watch) -> Result<reqwest::blocking::Client, reqwest::Error> {
    let policy = reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
        } else if matches!(attempt.url().scheme(), "http" | "https") {
            attempt.follow()
        } else {
            // Stopped here, the 3xx answer itself comes back and is reported with its target.
            attempt.stop()
        }
    });
    reqwest::blocking::Client::builder()
        .connect_timeout(fetcher.options().connect_timeout.min(watch.wait_bound()))
        .timeout(watch.wait_bound())
        .redirect(policy)
        .build()
}

/// One try: stream the body into `sink`, hashing it.
fn try_download(
    fetcher: &Fetcher,
    request: Request<'_>,
    sink: &mut Sink<'_>,
    watch: &mut Watch,
) -> Result<String, Failure> {
    let url = request.url;
    let unavailable = |reason: String| {
        Failure::Final(FetchError::Unavailable {
            url: url.to_owned(),
            reason,
        })
    };
    let client = client(fetcher, watch)
        .map_err(|error| unavailable(format!("cannot set up the HTTP client: {error}")))?;
    let mut response = match client.get(url).send() {
        Ok(response) => response,
        Err(error) if error.is_timeout() => {
            watch
                .check_deadline()
                .map_err(|stall| stall.into_error(url))?;
            return Err(Failure::Transient(format!(
                "no answer within {}",
                super::transfer::seconds(&watch.wait_bound())
            )));
        }
        Err(error) if error.is_connect() || error.is_builder() || error.is_redirect() => {
            return Err(unavailable(error_chain(&error)));
        }
        Err(error) => return Err(Failure::Transient(error_chain(&error))),
    };
    let status = response.status();
    if status.is_redirection() {
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
            .unwrap_or_default();
        return Err(Failure::Final(FetchError::RefusedRedirect {
            url: url.to_owned(),
            location,
        }));
    }
    if status == reqwest::StatusCode::NOT_FOUND || status == reqwest::StatusCode::GONE {
        return Err(Failure::Final(FetchError::NotFound {
            what: request.what,
            url: url.to_owned(),
            status: status.to_string(),
        }));
    }
    if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        return Err(Failure::Transient(format!("HTTP {status}")));
    }
    if !status.is_success() {
        return Err(unavailable(format!("HTTP {status}")));
    }
    let declared = response.content_length();
    if let Some(declared) = declared
        && declared > request.max_bytes
    {
        return Err(Failure::Final(FetchError::DownloadTooLarge {
            url: url.to_owned(),
            limit: request.max_bytes,
            declared: Some(declared),
        }));
    }
    let progress = fetcher.progress();
    if let Some(progress) = progress {
        progress.start(
            &format!("download {}", super::tarball::file_name(url)),
            declared,
        );
    }
    watch.begin_transfer(0);
    let body = Body {
        request,
        declared,
        watch,
        progress,
    };
    let result = body.stream(&mut response, sink);
    if let Some(progress) = progress {
        progress.finish();
    }
    let (length, sha) = result?;
    if let Some(declared) = declared
        && length < declared
    {
        return Err(Failure::Transient(format!(
            "truncated body: got {length} of {declared} bytes"
        )));
    }
    Ok(sha)
}

/// The bounds one response body streams under.
struct Body<'w, 'p> {
    request: Request<'w>,
    /// The `Content-Length`, if any.
    declared: Option<u64>,
    watch: &'w mut Watch,
    progress: Option<&'p dyn Progress>,
}

impl Body<'_, '_> {
    /// Copy the body into `sink`, bounded; returns its length and sha256.
    fn stream(self, body: &mut impl Read, sink: &mut Sink<'_>) -> Result<(u64, String), Failure> {
        let url = self.request.url;
        let mut hasher = Sha256::new();
        let mut buffer = vec![0u8; 64 * 1024];
        let mut length = 0u64;
        loop {
            let read = match body.read(&mut buffer) {
                Ok(0) => break,
                Ok(read) => read,
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(error) if is_timeout(&error) => {
                    // Nothing for a whole wait: the watch says whether that is too slow or
                    // past the deadline; if neither (a window had just begun), read on.
                    self.watch
                        .check(length)
                        .map_err(|stall| stall_error(stall, url))?;
                    continue;
                }
                Err(error) => {
                    return Err(Failure::Transient(format!(
                        "body interrupted after {length} bytes: {}",
                        error_chain(&error)
                    )));
                }
            };
            let total = length + read as u64;
            if total > self.request.max_bytes {
                return Err(Failure::Final(FetchError::DownloadTooLarge {
                    url: url.to_owned(),
                    limit: self.request.max_bytes,
                    declared: None,
                }));
            }
            if let Some(declared) = self.declared
                && total > declared
            {
                return Err(Failure::Final(FetchError::Unavailable {
                    url: url.to_owned(),
                    reason: format!(
                        "the body is longer than its declared `Content-Length` of {declared} bytes"
                    ),
                }));
            }
            hasher.update(&buffer[..read]);
            sink.write(&buffer[..read])?;
            length = total;
            if let Some(progress) = self.progress {
                progress.advance(read as u64);
            }
            self.watch
                .check(length)
                .map_err(|stall| stall_error(stall, url))?;
        }
        sink.flush()?;
        Ok((length, hex::encode(hasher.finalize())))
    }
}

fn stall_error(stall: Stall, url: &str) -> Failure {
    Failure::Final(stall.into_error(url))
}

/// Whether a body read failed because its wait ran out.
fn is_timeout(error: &std::io::Error) -> bool {
    if error.kind() == std::io::ErrorKind::TimedOut {
        return true;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = error.get_ref().map(|e| e as _);
    while let Some(cause) = source {
        if let Some(reqwest) = cause.downcast_ref::<reqwest::Error>()
            && reqwest.is_timeout()
        {
            return true;
        }
        source = cause.source();
    }
    false
}

/// Make `ring` the process's rustls crypto provider, once, before any HTTP client is built:
/// ours here and the one gix builds for git over https alike.
///
/// reqwest is built without a provider of its own (its default, aws-lc, is slow to build) and
/// takes the process default. An application embedding the library that installed another
/// provider first keeps it.
pub(super) fn use_ring_provider() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        // `Err` means a provider is already installed, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// An error and its causes on one line (reqwest's top-level message alone is vague; the
/// expiry detectors quote fetch errors this way too).
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

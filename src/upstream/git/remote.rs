//! Talking to a git remote: fetch into the bare mirror, list the remote's tags. Everything that
//! reads a mirror afterwards goes through `crate::git`, locally.
//!
//! gix speaks the git protocol in Rust: `http(s)://` through reqwest with rustls (no system
//! OpenSSL, see `tarball.rs` for the TLS set-up), `git://` over TCP, `ssh://` and scp-like URLs
//! through the `ssh` program, and local paths and `file://` through `git upload-pack` (so a
//! local upstream needs git installed, as it does to be made). libgit2 used to do this, but its
//! https linked libssl and libcrypto into every run of the binary.
//!
//! Access is anonymous: no credential helper is asked and nothing prompts, as a batch tool must
//! not hang on a password. gix's reqwest transport fixes its own connect timeout (20 s), so a
//! network URL's host is first probed with a bounded TCP connect, which makes an unreachable
//! host fail within [`FetchOptions::connect_timeout`].
//!
//! Time is bounded as for downloads (`transfer.rs`): over http(s), every request gix makes is
//! given the time left before the fetch's deadline as reqwest's total timeout (which covers
//! the body), so neither a stalled ref advertisement nor a trickling pack outlives it; and a
//! watchdog thread counts the pack's bytes and raises gix's interrupt flag when the low-speed
//! limit or the deadline is passed (for every transport, while the pack arrives).

use std::any::Any;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gix::protocol::transport::client::blocking_io::http;
use gix::remote::Direction;
use gix::remote::fetch::Tags;

use super::progress::PackProgress;
use crate::upstream::http::use_ring_provider;
use crate::upstream::transfer::{Stall, Watch};
use crate::upstream::{FetchError, FetchOptions, Fetcher};

/// What the mirror fetches: every branch and tag, as a mirror clone does.
const REFSPECS: [&str; 2] = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"];

/// What a tag listing asks for (the server filters by its prefix).
const TAG_REFSPEC: &str = "+refs/tags/*:refs/tags/*";

/// How often the watchdog looks at a fetch's progress.
const WATCHDOG_TICK: Duration = Duration::from_millis(250);

/// Whether the fetch fills a new, empty mirror or brings an existing one up to date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fill {
    /// A new bare repository is created at the path first; refs go to `packed-refs`, as `git
    /// clone` writes them.
    Clone,
    /// The bare repository at the path exists; changed refs are written loose, as `git fetch`.
    Update,
}

/// Fetch every branch and tag of `remote_url` into the bare repository at `git_dir`.
///
/// Any failure to reach or talk to the remote is [`FetchError::Unavailable`] naming `url`;
/// a fetch past [`FetchOptions::deadline`] or under the low-speed limit is
/// [`FetchError::DeadlineExceeded`] or [`FetchError::TooSlow`].
pub(super) fn fetch(
    fetcher: &Fetcher,
    url: &str,
    remote_url: &str,
    git_dir: &Path,
    fill: Fill,
) -> Result<(), FetchError> {
    let options = fetcher.options();
    let unavailable = |reason: String| FetchError::Unavailable {
        url: url.to_owned(),
        reason,
    };
    let watch = Watch::new(options, options.deadline);
    probe_host(remote_url, options).map_err(unavailable)?;
    use_ring_provider();
    let repo = match fill {
        Fill::Clone => gix::init_bare(git_dir),
        Fill::Update => gix::open(git_dir),
    }
    .map_err(|error| local_error(url, git_dir, &error))?;
    let remote = repo
        .remote_at(remote_url)
        .and_then(|remote| remote.with_refspecs(REFSPECS, Direction::Fetch))
        .map(|remote| remote.with_fetch_tags(Tags::None))
        .map_err(|error| unavailable(reason(&error)))?;
    let progress = fetcher.progress.clone();
    if let Some(progress) = &progress {
        progress.start(&format!("fetch {url}"), None);
    }
    let pack_bytes = Arc::new(AtomicU64::new(0));
    let interrupt = AtomicBool::new(false);
    let stalled = Mutex::new(None);
    let result = std::thread::scope(|scope| {
        let (done, finished) = std::sync::mpsc::channel::<()>();
        let dog = Watchdog {
            watch: watch.clone(),
            pack_bytes: &pack_bytes,
            interrupt: &interrupt,
            stalled: &stalled,
        };
        scope.spawn(move || dog.run(&finished));
        let result = (|| {
            let mut connection = remote
                .connect(Direction::Fetch)?
                .with_credentials(|_| Ok(None));
            if let Some(transport) = bounded_transport(&repo, remote_url, &watch) {
                connection = connection.with_transport_options(transport);
            }
            let prepare = connection
                .prepare_fetch(gix::progress::Discard, Default::default())?
                .with_write_packed_refs_only(fill == Fill::Clone);
            prepare.receive(
                PackProgress::new(progress.clone(), pack_bytes.clone()),
                &interrupt,
            )
        })();
        drop(done);
        result
    });
    if let Some(progress) = &progress {
        progress.finish();
    }
    let stall = stalled
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take();
    match (result, stall) {
        (Ok(_), _) => Ok(()),
        (Err(_), Some(stall)) => Err(stall.into_error(url)),
        (Err(_), None) if watch.remaining().is_zero() => {
            Err(Stall::Deadline(options.deadline).into_error(url))
        }
        (Err(error), None) => Err(unavailable(reason(&error))),
    }
}

/// Watches a fetch from its own thread: interrupts gix once the low-speed limit (counted from
/// the first pack byte) or the deadline is passed, and says which.
struct Watchdog<'a> {
    watch: Watch,
    pack_bytes: &'a AtomicU64,
    interrupt: &'a AtomicBool,
    stalled: &'a Mutex<Option<Stall>>,
}

impl Watchdog<'_> {
    /// Run until `finished` hangs up (the fetch returned) or the fetch is stopped.
    fn run(mut self, finished: &Receiver<()>) {
        let mut transferring = false;
        loop {
            let wait = self.watch.remaining().min(WATCHDOG_TICK);
            match finished.recv_timeout(wait) {
                Err(RecvTimeoutError::Timeout) => {}
                Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
            }
            let total = self.pack_bytes.load(Ordering::Relaxed);
            if !transferring && total > 0 {
                transferring = true;
                self.watch.begin_transfer(0);
            }
            if let Err(stall) = self.watch.check(total) {
                *self
                    .stalled
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(stall);
                self.interrupt.store(true, Ordering::SeqCst);
                return;
            }
        }
    }
}

/// gix's transport options for `remote_url` with, over http(s), every request's total time
/// bounded by what is left before the deadline of `watch`; `None` for other transports (or
/// if gix cannot say), which keep their defaults.
fn bounded_transport(
    repo: &gix::Repository,
    remote_url: &str,
    watch: &Watch,
) -> Option<Box<dyn Any>> {
    let mut options = match repo.transport_options(remote_url, None) {
        Ok(options) => options?,
        Err(error) => {
            tracing::debug!(remote_url, %error, "no transport options");
            return None;
        }
    };
    let http = options.downcast_mut::<http::Options>()?;
    let deadline = Instant::now() + watch.remaining();
    let configure: Box<http::reqwest::ConfigureRequestFn> = Box::new(
        move |request: &mut reqwest::blocking::Request| -> gix::Result {
            let left = deadline.saturating_duration_since(Instant::now());
            *request.timeout_mut() = Some(left.max(Duration::from_millis(1)));
            Ok(())
        },
    );
    let backend = http::reqwest::Options {
        configure_client: None,
        configure_request: Some(configure),
    };
    http.backend = Some(Arc::new(std::sync::Mutex::new(backend)));
    Some(options)
}

/// `git ls-remote --tags`: the tag names `remote_url` advertises, sorted, without fetching,
/// within [`FetchOptions::lookup_deadline`] (over http(s)).
///
/// gix connects from a repository, so an empty bare one is made in the cache's `tmp/` for the
/// call and removed after.
pub(crate) fn remote_tags(
    fetcher: &Fetcher,
    url: &str,
    remote_url: &str,
) -> Result<Vec<String>, FetchError> {
    let options = fetcher.options();
    let unavailable = |reason: String| FetchError::Unavailable {
        url: url.to_owned(),
        reason,
    };
    let watch = Watch::new(options, options.lookup_deadline);
    probe_host(remote_url, options).map_err(unavailable)?;
    use_ring_provider();
    let temp_root = fetcher.cache().temp_dir()?;
    let scratch = tempfile::Builder::new()
        .prefix("ls-remote-")
        .tempdir_in(&temp_root)
        .map_err(|e| FetchError::io(&temp_root, e))?;
    let repo =
        gix::init_bare(scratch.path()).map_err(|error| local_error(url, scratch.path(), &error))?;
    let listed = (|| {
        let remote = repo
            .remote_at(remote_url)?
            .with_refspecs([TAG_REFSPEC], Direction::Fetch)?
            .with_fetch_tags(Tags::None);
        let mut connection = remote
            .connect(Direction::Fetch)?
            .with_credentials(|_| Ok(None));
        if let Some(transport) = bounded_transport(&repo, remote_url, &watch) {
            connection = connection.with_transport_options(transport);
        }
        let (ref_map, _handshake) =
            connection.ref_map(gix::progress::Discard, Default::default())?;
        Ok::<_, gix::Error>(ref_map.remote_refs)
    })()
    .map_err(|error| {
        if watch.remaining().is_zero() {
            Stall::Deadline(options.lookup_deadline).into_error(url)
        } else {
            unavailable(reason(&error))
        }
    })?;
    let mut tags: Vec<String> = listed
        .iter()
        .filter_map(|reference| {
            let (name, _, _) = reference.unpack();
            // A ref name that is not UTF-8 cannot be a release tag we could name; skip it.
            let name = std::str::from_utf8(name).ok()?;
            let tag = name.strip_prefix("refs/tags/")?;
            (!tag.is_empty() && !tag.ends_with("^{}")).then(|| tag.to_owned())
        })
        .collect();
    tags.sort();
    tags.dedup();
    Ok(tags)
}

/// A local failure to create or open the repository gix works in.
fn local_error(url: &str, git_dir: &Path, error: &gix::Error) -> FetchError {
    tracing::debug!(url, path = %git_dir.display(), error = %reason(error), "gix cannot open the repository");
    FetchError::io(git_dir, std::io::Error::other(reason(error)))
}

/// gix's error with its causes on one line (its top message alone is often just the step
/// that failed, like "could not initialize the handshake").
fn reason(error: &gix::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Check that a network URL's host accepts a TCP connection within the connect timeout.
///
/// Skipped behind a proxy (the proxy is what gets connected to) and for local paths.
pub(super) fn probe_host(remote_url: &str, options: &FetchOptions) -> Result<(), String> {
    let proxied = [
        "https_proxy",
        "HTTPS_PROXY",
        "http_proxy",
        "HTTP_PROXY",
        "ALL_PROXY",
    ]
    .iter()
    .any(|name| std::env::var_os(name).is_some_and(|value| !value.is_empty()));
    if proxied {
        return Ok(());
    }
    let Some((host, port)) = host_and_port(remote_url) else {
        return Ok(());
    };
    let addresses = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|error| format!("cannot resolve `{host}`: {error}"))?;
    let timeout = options.connect_timeout.max(Duration::from_millis(1));
    let mut last = format!("`{host}` has no address");
    for address in addresses {
        match TcpStream::connect_timeout(&address, timeout) {
            Ok(_) => return Ok(()),
            Err(error) => last = format!("cannot connect to {address}: {error}"),
        }
    }
    Err(last)
}

/// Host and port of a network git URL; `None` for local paths and `file://`.
fn host_and_port(url: &str) -> Option<(String, u16)> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return super::scp_host(url).map(|host| (host.to_owned(), 22));
    };
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "http" => 80,
        "https" => 443,
        "git" => 9418,
        "ssh" | "git+ssh" | "ssh+git" => 22,
        _ => return None,
    };
    let authority = rest.split('/').next().unwrap_or(rest);
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    if let Some(bracketed) = authority.strip_prefix('[') {
        let (host, after) = bracketed.split_once(']')?;
        let port = after.strip_prefix(':').and_then(|p| p.parse().ok());
        return Some((host.to_owned(), port.unwrap_or(default_port)));
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => Some((host.to_owned(), port.parse().unwrap_or(default_port))),
        None => Some((authority.to_owned(), default_port)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_hosts_of_network_urls() {
        assert_eq!(
            host_and_port("https://github.com/madler/zlib.git"),
            Some(("github.com".into(), 443))
        );
        assert_eq!(
            host_and_port("http://user@127.0.0.1:8080/x.git"),
            Some(("127.0.0.1".into(), 8080))
        );
        assert_eq!(
            host_and_port("ssh://[::1]:2222/x"),
            Some(("::1".into(), 2222))
        );
        assert_eq!(
            host_and_port("git@example.org:x.git"),
            Some(("example.org".into(), 22))
        );
        assert_eq!(host_and_port("/srv/git/x.git"), None);
        assert_eq!(host_and_port("file:///srv/git/x.git"), None);
    }

    #[test]
    fn an_unreachable_port_fails_the_probe() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let options = FetchOptions::new("unused");
        let url = format!("http://127.0.0.1:{port}/x.git");
        assert!(probe_host(&url, &options).is_err());
    }
}

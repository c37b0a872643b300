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

use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use gix::remote::Direction;
use gix::remote::fetch::Tags;

use super::progress::PackProgress;
use crate::upstream::{FetchError, FetchOptions, Fetcher, tarball};

/// What the mirror fetches: every branch and tag, as a mirror clone does.
const REFSPECS: [&str; 2] = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"];

/// What a tag listing asks for (the server filters by its prefix).
const TAG_REFSPEC: &str = "+refs/tags/*:refs/tags/*";

/// A fetch is never interrupted from outside; gix wants a flag all the same.
static NEVER_INTERRUPT: AtomicBool = AtomicBool::new(false);

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
/// Any failure to reach or talk to the remote is [`FetchError::Unavailable`] naming `url`.
pub(super) fn fetch(
    fetcher: &Fetcher,
    url: &str,
    remote_url: &str,
    git_dir: &Path,
    fill: Fill,
) -> Result<(), FetchError> {
    let unavailable = |reason: String| FetchError::Unavailable {
        url: url.to_owned(),
        reason,
    };
    probe_host(remote_url, fetcher.options()).map_err(unavailable)?;
    tarball::use_ring_provider();
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
    let result = (|| {
        let prepare = remote
            .connect(Direction::Fetch)?
            .with_credentials(|_| Ok(None))
            .prepare_fetch(gix::progress::Discard, Default::default())?
            .with_write_packed_refs_only(fill == Fill::Clone);
        prepare.receive(PackProgress::new(progress.clone()), &NEVER_INTERRUPT)
    })();
    if let Some(progress) = &progress {
        progress.finish();
    }
    result
        .map(drop)
        .map_err(|error| unavailable(reason(&error)))
}

/// `git ls-remote --tags`: the tag names `remote_url` advertises, sorted, without fetching.
///
/// gix connects from a repository, so an empty bare one is made in the cache's `tmp/` for the
/// call and removed after.
pub(crate) fn remote_tags(
    fetcher: &Fetcher,
    url: &str,
    remote_url: &str,
) -> Result<Vec<String>, FetchError> {
    let unavailable = |reason: String| FetchError::Unavailable {
        url: url.to_owned(),
        reason,
    };
    probe_host(remote_url, fetcher.options()).map_err(unavailable)?;
    tarball::use_ring_provider();
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
        let (ref_map, _handshake) = remote
            .connect(Direction::Fetch)?
            .with_credentials(|_| Ok(None))
            .ref_map(gix::progress::Discard, Default::default())?;
        Ok::<_, gix::Error>(ref_map.remote_refs)
    })()
    .map_err(|error| unavailable(reason(&error)))?;
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

//! Git upstreams: a bare mirror per URL in the cache, a tag resolved to a commit, and that
//! commit's tree written out without `.git`.
//!
//! The mirror (`<cache>/git/<sha256 of url>`) is cloned once (into the cache's `tmp/`, then
//! renamed into place) and its branches and tags fetched on later runs. Offline, a tag already
//! in the mirror is used and anything else is [`FetchError::NotCached`]; online, a failed fetch
//! still falls back to a tag the mirror holds (with a warning), since tags do not move.
//!
//! The tree is walked here rather than checked out, so the same vetted writer as for archives
//! applies: blobs with their exec bit, symbolic links only if they resolve inside the tree,
//! submodules (commits in the tree) skipped.
//!
//! libgit2's own connect timeout is only reachable through an `unsafe` global setter, and the
//! crate forbids `unsafe`; so a network URL's host is first probed with a bounded TCP connect,
//! which makes an unreachable host fail within [`FetchOptions::connect_timeout`].

use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::Duration;

use git2::{AutotagOption, Commit, Repository, Tree};

use super::archive::TreeWriter;
use super::{FetchError, FetchOptions, Fetcher, Provenance};

/// What the mirror fetches: every branch and tag, as a mirror clone does.
const REFSPECS: [&str; 2] = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"];

/// Write the tree of the first existing tag of `tags` into `dest`.
pub(super) fn materialize(
    fetcher: &Fetcher,
    url: &str,
    tags: &[String],
    dest: &Path,
) -> Result<Provenance, FetchError> {
    let mirror = mirror(fetcher, url, tags)?;
    let repo = open(url, &mirror)?;
    let Some((tag, commit)) = resolve_tag(&repo, tags) else {
        return Err(if fetcher.options().offline {
            FetchError::NotCached {
                url: url.to_owned(),
            }
        } else {
            FetchError::NoSuchTag {
                url: url.to_owned(),
                tried: tags.to_vec(),
            }
        });
    };
    let tree = commit.tree().map_err(|source| git_error(url, source))?;
    let options = fetcher.options();
    let mut writer = TreeWriter::new(dest, url, options.max_expanded_bytes)?;
    write_tree(&repo, url, &tree, &mut Vec::new(), &mut writer)?;
    writer.finish()?;
    Ok(Provenance {
        kind: "git".into(),
        url: url.to_owned(),
        commit: Some(commit.id().to_string()),
        sha256: None,
        tag: Some(tag),
    })
}

/// The mirror of `url`, up to date unless offline (for history walks).
pub(super) fn update_mirror(fetcher: &Fetcher, url: &str) -> Result<PathBuf, FetchError> {
    mirror(fetcher, url, &[])
}

/// Clone or fetch the mirror of `url`; `tags` are the ones a failed fetch may fall back on.
fn mirror(fetcher: &Fetcher, url: &str, tags: &[String]) -> Result<PathBuf, FetchError> {
    let remote_url = remote_url(url);
    let cache = fetcher.cache();
    let path = cache.git_mirror(&remote_url);
    let _lock = cache.lock(&path)?;
    let offline = fetcher.options().offline;
    if !path.exists() {
        if offline {
            return Err(FetchError::NotCached {
                url: url.to_owned(),
            });
        }
        let temp_root = cache.temp_dir()?;
        let temp = tempfile::Builder::new()
            .prefix("clone-")
            .tempdir_in(&temp_root)
            .map_err(|e| FetchError::io(&temp_root, e))?;
        let repo = Repository::init_bare(temp.path()).map_err(|e| git_error(url, e))?;
        fetch(fetcher, url, &remote_url, &repo)?;
        drop(repo);
        fs_err::rename(temp.path(), &path).map_err(|e| FetchError::io(&path, e))?;
        // The folder was renamed away; the `TempDir` has nothing left to remove.
        let _ = temp.keep();
        return Ok(path);
    }
    if offline {
        return Ok(path);
    }
    let repo = open(url, &path)?;
    if let Err(error) = fetch(fetcher, url, &remote_url, &repo) {
        if let Some((tag, _)) = resolve_tag(&repo, tags) {
            tracing::warn!(url, tag, %error, "fetch failed; using the tag already mirrored");
        } else {
            return Err(error);
        }
    }
    Ok(path)
}

/// The URL libgit2 fetches from: a local path made absolute, anything else as given.
pub(super) fn remote_url(url: &str) -> String {
    if url.contains("://") || scp_host(url).is_some() {
        return url.to_owned();
    }
    std::path::absolute(url)
        .map(|path| path.display().to_string())
        .unwrap_or_else(|_| url.to_owned())
}

/// The host of an scp-like URL (`git@example.org:project.git`).
fn scp_host(url: &str) -> Option<&str> {
    let colon = url.find(':')?;
    let before = &url[..colon];
    if before.is_empty() || before.contains('/') || url.contains("://") {
        return None;
    }
    Some(before.rsplit('@').next().unwrap_or(before))
}

fn open(url: &str, path: &Path) -> Result<Repository, FetchError> {
    Repository::open_bare(path).map_err(|e| git_error(url, e))
}

fn git_error(url: &str, source: git2::Error) -> FetchError {
    FetchError::Git {
        url: url.to_owned(),
        source,
    }
}

/// Fetch every branch and tag of `remote_url` into `repo`, reporting progress.
fn fetch(
    fetcher: &Fetcher,
    url: &str,
    remote_url: &str,
    repo: &Repository,
) -> Result<(), FetchError> {
    let unavailable = |reason: String| FetchError::Unavailable {
        url: url.to_owned(),
        reason,
    };
    probe_host(remote_url, fetcher.options()).map_err(unavailable)?;
    let mut remote = repo
        .remote_anonymous(remote_url)
        .map_err(|e| unavailable(e.message().to_owned()))?;
    let progress = fetcher.progress();
    let mut callbacks = git2::RemoteCallbacks::new();
    let mut reported = 0usize;
    callbacks.transfer_progress(move |stats| {
        if let Some(progress) = progress {
            let received = stats.received_bytes();
            progress.advance(received.saturating_sub(reported) as u64);
            reported = received;
        }
        true
    });
    let mut options = git2::FetchOptions::new();
    options
        .remote_callbacks(callbacks)
        .download_tags(AutotagOption::All);
    if let Some(progress) = progress {
        progress.start(&format!("fetch {url}"), None);
    }
    let result = remote.fetch(&REFSPECS, Some(&mut options), None);
    if let Some(progress) = progress {
        progress.finish();
    }
    result.map_err(|e| unavailable(e.message().to_owned()))
}

/// Check that a network URL's host accepts a TCP connection within the connect timeout.
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
        return scp_host(url).map(|host| (host.to_owned(), 22));
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

/// The first of `tags` that exists (annotated or lightweight), with its commit.
fn resolve_tag<'r>(repo: &'r Repository, tags: &[String]) -> Option<(String, Commit<'r>)> {
    tags.iter().find_map(|tag| {
        let reference = repo.find_reference(&format!("refs/tags/{tag}")).ok()?;
        let commit = reference.peel_to_commit().ok()?;
        Some((tag.clone(), commit))
    })
}

/// Git's file modes in a tree.
const MODE_TREE: i32 = 0o040000;
const MODE_BLOB: i32 = 0o100644;
const MODE_BLOB_GROUP_WRITABLE: i32 = 0o100664;
const MODE_EXECUTABLE: i32 = 0o100755;
const MODE_LINK: i32 = 0o120000;
const MODE_COMMIT: i32 = 0o160000;

/// Write `tree` (at `prefix`, `/`-separated) through the vetted writer.
fn write_tree(
    repo: &Repository,
    url: &str,
    tree: &Tree<'_>,
    prefix: &mut Vec<u8>,
    writer: &mut TreeWriter,
) -> Result<(), FetchError> {
    for entry in tree.iter() {
        let name = entry.name_bytes();
        let base = prefix.len();
        if !prefix.is_empty() {
            prefix.push(b'/');
        }
        prefix.extend_from_slice(name);
        if name.is_empty() || name.contains(&b'/') {
            return Err(writer.refuse(prefix, "an invalid name in a git tree"));
        }
        let blob = || {
            repo.find_blob(entry.id())
                .map_err(|source| git_error(url, source))
        };
        match entry.filemode() {
            MODE_TREE => {
                writer.directory(prefix, None)?;
                let subtree = repo
                    .find_tree(entry.id())
                    .map_err(|source| git_error(url, source))?;
                write_tree(repo, url, &subtree, prefix, writer)?;
            }
            MODE_BLOB | MODE_BLOB_GROUP_WRITABLE => {
                writer.file(prefix, 0o644, &mut blob()?.content())?
            }
            MODE_EXECUTABLE => writer.file(prefix, 0o755, &mut blob()?.content())?,
            MODE_LINK => writer.symlink(prefix, blob()?.content())?,
            MODE_COMMIT => {}
            other => {
                let reason = format!("an unknown git file mode {other:o}");
                return Err(writer.refuse(prefix, &reason));
            }
        }
        prefix.truncate(base);
    }
    Ok(())
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
    fn makes_local_paths_absolute() {
        assert!(Path::new(&remote_url("some/repo")).is_absolute());
        assert_eq!(remote_url("https://h/x.git"), "https://h/x.git");
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

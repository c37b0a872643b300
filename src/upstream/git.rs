//! Git upstreams: a bare mirror per URL in the cache, a tag resolved to a commit, and that
//! commit's tree written out without `.git`.
//!
//! The mirror (`<cache>/git/<sha256 of url>`) is cloned once (into the cache's `tmp/`, then
//! renamed into place) and its branches and tags fetched on later runs. Offline, a tag already
//! in the mirror is used and anything else is [`FetchError::NotCached`]; online, a failed fetch
//! still falls back to a tag the mirror holds (with a warning), since tags do not move.
//!
//! Talking to the remote (clone, fetch, listing its tags) is in `remote.rs`; the mirror it
//! leaves is a plain bare repository (`refs/heads/*`, `refs/tags/*`) that everything else reads
//! locally through `crate::git`.
//!
//! The tree is walked here rather than checked out, so the same vetted writer as for archives
//! applies: blobs with their exec bit, symbolic links only if they resolve inside the tree,
//! submodules (commits in the tree) skipped.

mod progress;
mod remote;

use std::path::{Path, PathBuf};

use super::archive::TreeWriter;
use super::{FetchError, Fetcher, Provenance};
use crate::git::{EntryKind, GitError, ObjectId, Repository};

pub(crate) use remote::remote_tags;
use remote::{Fill, fetch};

/// Write the tree of the first existing tag of `tags` into `dest`.
pub(super) fn materialize(
    fetcher: &Fetcher,
    url: &str,
    tags: &[String],
    dest: &Path,
) -> Result<Provenance, FetchError> {
    let mirror = mirror(fetcher, url, tags)?;
    let repo = open(url, &mirror)?;
    let Some((tag, commit)) = repo.resolve_tag(tags) else {
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
    let tree = repo
        .commit_tree(commit)
        .map_err(|source| git_error(url, source))?;
    let options = fetcher.options();
    let mut writer = TreeWriter::new(dest, url, options.max_expanded_bytes)?;
    write_tree(&repo, url, tree, &mut Vec::new(), &mut writer)?;
    writer.finish()?;
    Ok(Provenance {
        kind: "git".into(),
        url: url.to_owned(),
        commit: Some(commit.to_string()),
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
        fetch(fetcher, url, &remote_url, temp.path(), Fill::Clone)?;
        fs_err::rename(temp.path(), &path).map_err(|e| FetchError::io(&path, e))?;
        // The folder was renamed away; the `TempDir` has nothing left to remove.
        let _ = temp.keep();
        return Ok(path);
    }
    if offline {
        return Ok(path);
    }
    if let Err(error) = fetch(fetcher, url, &remote_url, &path, Fill::Update) {
        let repo = open(url, &path)?;
        if let Some((tag, _)) = repo.resolve_tag(tags) {
            tracing::warn!(url, tag, %error, "fetch failed; using the tag already mirrored");
        } else {
            return Err(error);
        }
    }
    Ok(path)
}

/// The URL the mirror is fetched from: a local path made absolute, anything else as given.
pub(super) fn remote_url(url: &str) -> String {
    if url.contains("://") || scp_host(url).is_some() {
        return url.to_owned();
    }
    std::path::absolute(url)
        .map(|path| path.display().to_string())
        .unwrap_or_else(|_| url.to_owned())
}

/// The host of an scp-like URL (`git@example.org:project.git`).
pub(super) fn scp_host(url: &str) -> Option<&str> {
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

fn git_error(url: &str, source: GitError) -> FetchError {
    FetchError::Git {
        url: url.to_owned(),
        source: Box::new(source),
    }
}

/// Write `tree` (at `prefix`, `/`-separated) through the vetted writer.
fn write_tree(
    repo: &Repository,
    url: &str,
    tree: ObjectId,
    prefix: &mut Vec<u8>,
    writer: &mut TreeWriter,
) -> Result<(), FetchError> {
    let entries = repo
        .tree_entries(tree)
        .map_err(|source| git_error(url, source))?;
    for entry in entries {
        let name = &entry.name;
        let base = prefix.len();
        if !prefix.is_empty() {
            prefix.push(b'/');
        }
        prefix.extend_from_slice(name);
        if name.is_empty() || name.contains(&b'/') {
            return Err(writer.refuse(prefix, "an invalid name in a git tree"));
        }
        let blob = || repo.blob(entry.id).map_err(|source| git_error(url, source));
        match entry.kind {
            EntryKind::Tree => {
                writer.directory(prefix, None)?;
                write_tree(repo, url, entry.id, prefix, writer)?;
            }
            EntryKind::Blob => writer.file(prefix, 0o644, &mut blob()?.as_slice())?,
            EntryKind::Executable => writer.file(prefix, 0o755, &mut blob()?.as_slice())?,
            EntryKind::Link => writer.symlink(prefix, &blob()?)?,
            EntryKind::Submodule => {}
        }
        prefix.truncate(base);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn makes_local_paths_absolute() {
        assert!(Path::new(&remote_url("some/repo")).is_absolute());
        assert_eq!(remote_url("https://h/x.git"), "https://h/x.git");
        assert_eq!(remote_url("git@h:x.git"), "git@h:x.git");
    }
}

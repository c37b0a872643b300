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
//! submodules (commits in the tree) skipped. A blob's size is read from its header first and
//! reserved from the shared decoder memory, as a blob is read whole.
//!
//! A mirror in the cache is untrusted: a link in its place, or an object store that is
//! damaged (`integrity.rs`: a truncated pack, a missing object behind a ref), is replaced by a
//! fresh clone online, and named as [`FetchError::CorruptMirror`] offline.

mod integrity;
mod progress;
mod remote;

use std::path::{Path, PathBuf};

use super::archive::TreeWriter;
use super::memory;
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
    match write_release(fetcher, url, &mirror, tags, dest) {
        Err(Release::Damaged(reason)) if !fetcher.options().offline => {
            // Damage the pack check could not see (a missing object): clone again, once.
            tracing::warn!(url, %reason, "the git mirror is damaged; cloning it again");
            replace_mirror(fetcher, url, &mirror)?;
            if dest.exists() {
                fs_err::remove_dir_all(dest).map_err(|e| FetchError::io(dest, e))?;
            }
            let mirror = mirror_path(fetcher, url);
            write_release(fetcher, url, &mirror, tags, dest)
                .map_err(|failure| failure.into_error(url, &mirror, fetcher.options().offline))
        }
        result => {
            result.map_err(|failure| failure.into_error(url, &mirror, fetcher.options().offline))
        }
    }
}

/// Why a release could not be written from a mirror.
enum Release {
    /// The mirror's objects are damaged.
    Damaged(String),
    /// Any other failure.
    Failed(FetchError),
}

impl From<FetchError> for Release {
    fn from(error: FetchError) -> Release {
        Release::Failed(error)
    }
}

impl Release {
    fn into_error(self, url: &str, mirror: &Path, offline: bool) -> FetchError {
        match self {
            Release::Damaged(reason) => FetchError::CorruptMirror {
                url: url.to_owned(),
                path: mirror.to_path_buf(),
                reason,
                offline,
            },
            Release::Failed(error) => error,
        }
    }
}

/// A git error while reading the mirror: damage, or a plain failure.
fn read_error(url: &str, source: GitError) -> Release {
    if source.is_damaged() {
        Release::Damaged(super::http::error_chain(&source))
    } else {
        Release::Failed(git_error(url, source))
    }
}

/// Write the tree of the first of `tags` the mirror holds into `dest`.
fn write_release(
    fetcher: &Fetcher,
    url: &str,
    mirror: &Path,
    tags: &[String],
    dest: &Path,
) -> Result<Provenance, Release> {
    let repo = open(url, mirror)?;
    let Some((tag, commit)) = repo
        .resolve_tag_checked(tags)
        .map_err(|e| read_error(url, e))?
    else {
        return Err(Release::Failed(if fetcher.options().offline {
            FetchError::NotCached {
                url: url.to_owned(),
            }
        } else {
            FetchError::NoSuchTag {
                url: url.to_owned(),
                tried: tags.to_vec(),
            }
        }));
    };
    let tree = repo
        .commit_tree(commit)
        .map_err(|source| read_error(url, source))?;
    let options = fetcher.options();
    let mut writer = TreeWriter::new(dest, url, options.max_expanded_bytes)?;
    let blobs = Blobs {
        repo: &repo,
        url,
        max_memory: options.max_decoder_memory,
    };
    write_tree(&blobs, tree, &mut Vec::new(), &mut writer)?;
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

/// Where the mirror of `url` lives.
fn mirror_path(fetcher: &Fetcher, url: &str) -> PathBuf {
    fetcher.cache().git_mirror(&remote_url(url))
}

/// Clone or fetch the mirror of `url`; `tags` are the ones a failed fetch may fall back on.
///
/// A mirror that is damaged ([`integrity::damage`]) is cloned anew online; offline it is
/// [`FetchError::CorruptMirror`], naming the folder to delete.
fn mirror(fetcher: &Fetcher, url: &str, tags: &[String]) -> Result<PathBuf, FetchError> {
    let remote_url = remote_url(url);
    let cache = fetcher.cache();
    cache.tidy();
    cache.real_dir(&["git"])?;
    let path = cache.git_mirror(&remote_url);
    let _lock = cache.lock(&path)?;
    let offline = fetcher.options().offline;
    let present = std::fs::symlink_metadata(&path).is_ok();
    if present && let Some(reason) = integrity::damage(&path) {
        if offline {
            return Err(FetchError::CorruptMirror {
                url: url.to_owned(),
                path,
                reason,
                offline,
            });
        }
        tracing::warn!(url, %reason, "the git mirror is damaged; cloning it again");
        cache.discard(&path)?;
    } else if present {
        if offline {
            return Ok(path);
        }
        if let Err(error) = fetch(fetcher, url, &remote_url, &path, Fill::Update) {
            let repo = open(url, &path)?;
            match repo.resolve_tag_checked(tags) {
                Ok(Some((tag, _))) => {
                    tracing::warn!(url, tag, %error, "fetch failed; using the tag already mirrored");
                }
                _ => return Err(error),
            }
        }
        return Ok(path);
    }
    if offline {
        return Err(FetchError::NotCached {
            url: url.to_owned(),
        });
    }
    clone_into(fetcher, url, &remote_url, &path)?;
    Ok(path)
}

/// Clone `remote_url` into a new mirror at `path` (absent): into this run's folder of the
/// cache first, renamed into place once complete.
fn clone_into(
    fetcher: &Fetcher,
    url: &str,
    remote_url: &str,
    path: &Path,
) -> Result<(), FetchError> {
    let temp_root = fetcher.cache().temp_dir()?;
    let temp = tempfile::Builder::new()
        .prefix("clone-")
        .tempdir_in(&temp_root)
        .map_err(|e| FetchError::io(&temp_root, e))?;
    fetch(fetcher, url, remote_url, temp.path(), Fill::Clone)?;
    fs_err::rename(temp.path(), path).map_err(|e| FetchError::io(path, e))?;
    // The folder was renamed away; the `TempDir` has nothing left to remove.
    let _ = temp.keep();
    Ok(())
}

/// Replace the damaged mirror at `path` by a fresh clone of `url`.
fn replace_mirror(fetcher: &Fetcher, url: &str, path: &Path) -> Result<(), FetchError> {
    let cache = fetcher.cache();
    let _lock = cache.lock(path)?;
    cache.discard(path)?;
    clone_into(fetcher, url, &remote_url(url), path)
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

/// Reads the blobs of a mirror.
struct Blobs<'r> {
    repo: &'r Repository,
    url: &'r str,
    max_memory: u64,
}

impl Blobs<'_> {
    /// Write the blob `id` as the file `name`, its size checked against what the writer may
    /// still write and reserved from the decoder memory before it is loaded whole.
    fn write(
        &self,
        id: ObjectId,
        name: &[u8],
        mode: u32,
        writer: &mut TreeWriter,
    ) -> Result<(), Release> {
        let (_reservation, content) = self.load(id, name, writer)?;
        writer.file(name, mode, &mut content.as_slice())?;
        Ok(())
    }

    /// The blob `id`, with its memory reservation (held while the blob is in memory).
    fn load(
        &self,
        id: ObjectId,
        name: &[u8],
        writer: &TreeWriter,
    ) -> Result<(memory::Reservation<'static>, Vec<u8>), Release> {
        let size = self
            .repo
            .object_size(id)
            .map_err(|source| read_error(self.url, source))?;
        if size > writer.remaining() {
            return Err(Release::Failed(FetchError::TooLarge {
                archive: self.url.to_owned(),
                limit: writer.limit(),
            }));
        }
        let reservation = memory::reserve(size, self.max_memory).map_err(|over| {
            Release::Failed(FetchError::DecoderMemory {
                archive: format!("{} ({})", self.url, String::from_utf8_lossy(name)),
                needed: over.needed,
                limit: over.limit,
            })
        })?;
        let blob = self
            .repo
            .blob(id)
            .map_err(|source| read_error(self.url, source))?;
        Ok((reservation, blob))
    }
}

/// Write `tree` (at `prefix`, `/`-separated) through the vetted writer.
fn write_tree(
    blobs: &Blobs<'_>,
    tree: ObjectId,
    prefix: &mut Vec<u8>,
    writer: &mut TreeWriter,
) -> Result<(), Release> {
    let entries = blobs
        .repo
        .tree_entries(tree)
        .map_err(|source| read_error(blobs.url, source))?;
    for entry in entries {
        let name = &entry.name;
        let base = prefix.len();
        if !prefix.is_empty() {
            prefix.push(b'/');
        }
        prefix.extend_from_slice(name);
        if name.is_empty() || name.contains(&b'/') {
            return Err(writer
                .refuse(prefix, "an invalid name in a git tree")
                .into());
        }
        match entry.kind {
            EntryKind::Tree => {
                writer.directory(prefix, None)?;
                write_tree(blobs, entry.id, prefix, writer)?;
            }
            EntryKind::Blob => blobs.write(entry.id, prefix, 0o644, writer)?,
            EntryKind::Executable => blobs.write(entry.id, prefix, 0o755, writer)?,
            EntryKind::Link => {
                let (_reservation, target) = blobs.load(entry.id, prefix, writer)?;
                writer.symlink(prefix, &target)?
            }
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

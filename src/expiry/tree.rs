//! Release R's files, as the `content` detector reads them.
//!
//! A git upstream is read straight from the bare mirror: R's tag is resolved to a tree and
//! only the blobs of the paths the series touches are read, with no checkout. That costs a
//! few object lookups instead of writing a whole tree (tens of thousands of files for a large
//! project) to disk, and the mirror is already there for the history detectors. Tarball and
//! dir upstreams have no object store, so R is written through `Fetcher::materialize` (the
//! same vetted writer as `prepare`) into a temporary folder that lives as long as the
//! `ReleaseTree`, and files are read from there, never through a symbolic link.
//!
//! A tarball of a release other than the pinned one has no checksum in the manifest: it is
//! fetched unverified, as is a pinned tarball without one (the check changes nothing and
//! builds nothing from it); a declared checksum of the pinned release is still verified.

use std::path::{Path, PathBuf};

use git2::{ObjectType, Oid, Repository};

use crate::patch::path::{check_no_symlink, safe_relative};
use crate::prepare::source_spec;
use crate::upstream::{FetchError, FetchOptions, Fetcher, SourceSpec};
use crate::workspace::{Package, UpstreamSource};

/// What is at a path of R.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A regular file (or executable) with these bytes.
    File(Vec<u8>),
    /// Nothing (or something that is not a regular file: a folder, a link, a submodule).
    Missing,
}

/// Read access to the files of one upstream release.
pub struct ReleaseTree {
    source: Source,
    /// The tag R resolved to (git upstreams).
    pub tag: Option<String>,
}

enum Source {
    Git {
        repo: Repository,
        tree: Oid,
    },
    Disk {
        root: PathBuf,
        _temp: tempfile::TempDir,
    },
}

impl ReleaseTree {
    /// R's tree for `package`; a git upstream's R is the first of `tags` that exists.
    pub fn open(
        package: &Package,
        release: &str,
        fetcher: &Fetcher,
        tags: &[String],
    ) -> Result<ReleaseTree, FetchError> {
        let mut spec = source_spec(package, release);
        if let SourceSpec::Git {
            tags: spec_tags, ..
        } = &mut spec
        {
            *spec_tags = tags.to_vec();
        }
        match &mut spec {
            SourceSpec::Git { url, tags } => {
                let mirror = fetcher.git_mirror(url)?;
                let repo = Repository::open_bare(&mirror).map_err(|source| FetchError::Git {
                    url: url.clone(),
                    source,
                })?;
                let Some((tag, commit)) = resolve_tag(&repo, tags) else {
                    return Err(if fetcher.options().offline {
                        FetchError::NotCached { url: url.clone() }
                    } else {
                        FetchError::NoSuchTag {
                            url: url.clone(),
                            tried: tags.clone(),
                        }
                    });
                };
                let tree = repo
                    .find_commit(commit)
                    .and_then(|c| c.tree())
                    .map_err(|source| FetchError::Git {
                        url: url.clone(),
                        source,
                    })?
                    .id();
                Ok(ReleaseTree {
                    source: Source::Git { repo, tree },
                    tag: Some(tag),
                })
            }
            SourceSpec::Tarball { sha256, .. } => {
                if release != package.manifest.upstream.version {
                    *sha256 = None;
                }
                let unverified = Fetcher::new(
                    FetchOptions {
                        allow_unverified: true,
                        ..fetcher.options().clone()
                    },
                    None,
                );
                Self::materialized(&unverified, &spec)
            }
            SourceSpec::Dir { .. } => Self::materialized(fetcher, &spec),
        }
    }

    fn materialized(fetcher: &Fetcher, spec: &SourceSpec) -> Result<ReleaseTree, FetchError> {
        let temp_root = fetcher.cache().temp_dir()?;
        let temp = tempfile::Builder::new()
            .prefix("check-")
            .tempdir_in(&temp_root)
            .map_err(|e| FetchError::Io {
                path: temp_root.clone(),
                source: e,
            })?;
        let root = temp.path().join("tree");
        fetcher.materialize(spec, &root)?;
        Ok(ReleaseTree {
            source: Source::Disk { root, _temp: temp },
            tag: None,
        })
    }

    /// What R holds at `path` (relative, `/`-separated, as a patch names it).
    pub fn read(&self, path: &[u8]) -> Result<Entry, String> {
        let relative = safe_relative(path).map_err(|e| e.to_string())?;
        match &self.source {
            Source::Git { repo, tree } => read_git(repo, *tree, &relative),
            Source::Disk { root, .. } => read_disk(root, &relative),
        }
    }
}

fn read_git(repo: &Repository, tree: Oid, relative: &Path) -> Result<Entry, String> {
    let tree = repo.find_tree(tree).map_err(|e| e.message().to_string())?;
    let entry = match tree.get_path(relative) {
        Ok(entry) => entry,
        Err(error) if error.code() == git2::ErrorCode::NotFound => return Ok(Entry::Missing),
        Err(error) => return Err(error.message().to_string()),
    };
    let mode = entry.filemode();
    if entry.kind() != Some(ObjectType::Blob) || mode == 0o120000 {
        return Ok(Entry::Missing);
    }
    let blob = repo
        .find_blob(entry.id())
        .map_err(|e| e.message().to_string())?;
    Ok(Entry::File(blob.content().to_vec()))
}

fn read_disk(root: &Path, relative: &Path) -> Result<Entry, String> {
    if check_no_symlink(root, relative).is_err() {
        return Ok(Entry::Missing);
    }
    let full = root.join(relative);
    match std::fs::symlink_metadata(&full) {
        Ok(meta) if meta.is_file() => std::fs::read(&full)
            .map(Entry::File)
            .map_err(|e| format!("cannot read `{}`: {e}", full.display())),
        Ok(_) => Ok(Entry::Missing),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Entry::Missing),
        Err(error) if error.kind() == std::io::ErrorKind::NotADirectory => Ok(Entry::Missing),
        Err(error) => Err(format!("cannot read `{}`: {error}", full.display())),
    }
}

/// The first of `tags` that exists in `repo` (annotated or lightweight), with its commit.
pub fn resolve_tag(repo: &Repository, tags: &[String]) -> Option<(String, Oid)> {
    tags.iter().find_map(|tag| {
        let reference = repo.find_reference(&format!("refs/tags/{tag}")).ok()?;
        let commit = reference.peel_to_commit().ok()?;
        Some((tag.clone(), commit.id()))
    })
}

/// The git repository holding the package's history: the git upstream itself, or the `git:`
/// a tarball upstream names. Local paths are taken relative to the package folder.
pub fn history_url(package: &Package) -> Option<String> {
    let url = match &package.manifest.upstream.source {
        UpstreamSource::Git { url, .. } => url,
        UpstreamSource::Tarball { git: Some(url), .. } => url,
        _ => return None,
    };
    if url.contains("://") || url.starts_with("git@") || Path::new(url).is_absolute() {
        Some(url.clone())
    } else {
        Some(package.dir.join(url).to_string_lossy().into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disk_reads_files_and_refuses_links() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path();
        std::fs::create_dir(root.join("src")).unwrap();
        std::fs::write(root.join("src/a.c"), b"int a;\n").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", root.join("link")).unwrap();
        assert_eq!(
            read_disk(root, Path::new("src/a.c")).unwrap(),
            Entry::File(b"int a;\n".to_vec())
        );
        assert_eq!(read_disk(root, Path::new("link")).unwrap(), Entry::Missing);
        assert_eq!(
            read_disk(root, Path::new("nope.c")).unwrap(),
            Entry::Missing
        );
        assert_eq!(
            read_disk(root, Path::new("src/a.c/x")).unwrap(),
            Entry::Missing
        );
    }
}

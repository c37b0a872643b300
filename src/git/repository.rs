//! [`Repository`]: a local repository opened with gix, and what mindelta asks of it — tags,
//! revisions, ancestry, the commits between two releases, their subjects, trees and blobs.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::path::{Path, PathBuf};

use super::{Cause, GitError, ObjectId};

/// Bytes of decoded objects kept by a repository handle for repeated reads (ancestry checks
/// read the same commits again; a release tree's folders are read once per path). Git's
/// `core.deltaBaseCacheLimit` default, for the delta bases of the packs.
const PACK_CACHE_BYTES: usize = 96 << 20;
/// Bytes of whole objects kept by a repository handle.
const OBJECT_CACHE_BYTES: usize = 16 << 20;

/// A local git repository (a bare mirror, or any repository the user names).
pub struct Repository {
    pub(super) repo: gix::Repository,
    path: PathBuf,
}

impl Repository {
    /// The bare repository at `path` (a mirror in the cache).
    pub fn open_bare(path: &Path) -> Result<Repository, GitError> {
        Repository::open(path)
    }

    /// The repository at `path`: a git directory (bare) or a work tree holding `.git`. Only
    /// the repository's own configuration is read, not the user's or the system's.
    pub fn open(path: &Path) -> Result<Repository, GitError> {
        let options = gix::open::Options::isolated();
        let repo = gix::open_opts(path, options).map_err(|source| GitError::Open {
            path: path.to_path_buf(),
            source: Box::new(source),
        })?;
        Ok(Repository::with_caches(repo))
    }

    /// The repository that holds `path`: the nearest of `path` and its ancestors that is a
    /// repository or a work tree, as `git` finds it from a folder inside a work tree. Only the
    /// repository's own configuration is read.
    pub fn discover(path: &Path) -> Result<Repository, GitError> {
        let repo = gix::discover_opts(
            path,
            gix::discover::upwards::Options::default(),
            gix::open::Options::isolated(),
        )
        .map_err(|source| GitError::Open {
            path: path.to_path_buf(),
            source: Box::new(source),
        })?;
        Ok(Repository::with_caches(repo))
    }

    fn with_caches(mut repo: gix::Repository) -> Repository {
        repo.objects.set_pack_cache(|| {
            Box::new(gix::odb::pack::cache::lru::MemoryCappedHashmap::new(
                PACK_CACHE_BYTES,
            ))
        });
        repo.object_cache_size(OBJECT_CACHE_BYTES);
        let path = repo.path().to_path_buf();
        Repository { repo, path }
    }

    /// The git directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The work tree, or `None` for a bare repository.
    pub fn workdir(&self) -> Option<&Path> {
        self.repo.workdir()
    }

    /// Whether the repository is a shallow clone (its history stops at grafted commits).
    pub fn is_shallow(&self) -> bool {
        self.repo.is_shallow().unwrap_or(false)
    }

    /// The commit `HEAD` names, or `None` when `HEAD` is unborn (no commit yet) or names no
    /// commit.
    pub fn head_commit(&self) -> Option<ObjectId> {
        let id = self.repo.head_id().ok()?;
        let commit = id.object().ok()?.peel_to_commit().ok()?;
        Some(ObjectId::from_gix(&commit.id))
    }

    /// The first-parent chain from `tip`, newest first, at most `limit` commits: each commit
    /// with its tree and committer time (seconds since the epoch). The chain stops early at a
    /// commit whose parent is not in the repository (the edge of a shallow clone); the second
    /// value says whether it did.
    pub fn first_parents(
        &self,
        tip: ObjectId,
        limit: usize,
    ) -> Result<(Vec<ChainCommit>, bool), GitError> {
        let mut chain = Vec::new();
        let mut next = Some(tip);
        while let Some(id) = next {
            if chain.len() >= limit {
                break;
            }
            let Some(object) = self
                .repo
                .try_find_object(id.to_gix())
                .map_err(|source| self.object_error(id, source))?
            else {
                if id == tip {
                    return Err(GitError::Missing {
                        path: self.path.clone(),
                        id,
                    });
                }
                return Ok((chain, true));
            };
            let malformed = || GitError::Malformed {
                path: self.path.clone(),
                id,
                kind: "commit",
            };
            let commit = object.try_into_commit().map_err(|_| malformed())?;
            let decoded = commit.decode().map_err(|_| malformed())?;
            chain.push(ChainCommit {
                id,
                tree: ObjectId::from_gix(&decoded.tree()),
                time: decoded.time().map_or(0, |t| t.seconds),
            });
            next = decoded.parents().next().map(|p| ObjectId::from_gix(&p));
        }
        Ok((chain, false))
    }

    /// The names of the repository's tags (`refs/tags/` left out), unsorted; names that are
    /// not UTF-8 and references that cannot be read are skipped.
    pub fn tag_names(&self) -> Result<Vec<String>, GitError> {
        let references = |source: Cause| GitError::References {
            path: self.path.clone(),
            source,
        };
        let platform = self
            .repo
            .references()
            .map_err(|e| references(Box::new(e)))?;
        let tags = platform.tags().map_err(|e| references(Box::new(e)))?;
        Ok(tags
            .flatten()
            .filter_map(|reference| {
                let name = reference.name().as_bstr();
                let short = name.strip_prefix(b"refs/tags/")?;
                std::str::from_utf8(short).ok().map(str::to_owned)
            })
            .collect())
    }

    /// The first of `tags` that exists (annotated tags peeled, lightweight tags as they are),
    /// with the commit it names; a tag that names no commit is passed over.
    pub fn resolve_tag(&self, tags: &[String]) -> Option<(String, ObjectId)> {
        tags.iter()
            .find_map(|tag| Some((tag.clone(), self.tag_commit(tag)?)))
    }

    /// The commit `refs/tags/<tag>` names, if it exists and names a commit.
    pub fn tag_commit(&self, tag: &str) -> Option<ObjectId> {
        let name = format!("refs/tags/{tag}");
        let mut reference = self.repo.try_find_reference(name.as_str()).ok()??;
        let commit = reference.peel_to_commit().ok()?;
        Some(ObjectId::from_gix(&commit.id))
    }

    /// Like [`Repository::resolve_tag`], but an object behind a tag that cannot be read is an
    /// error (so damage is told apart from absence); a tag that names something other than a
    /// commit is still passed over.
    pub fn resolve_tag_checked(
        &self,
        tags: &[String],
    ) -> Result<Option<(String, ObjectId)>, GitError> {
        /// Annotated tags pointing at annotated tags: git stops at this depth too.
        const MAX_PEEL: usize = 64;
        for tag in tags {
            let name = format!("refs/tags/{tag}");
            let Ok(Some(reference)) = self.repo.try_find_reference(name.as_str()) else {
                continue;
            };
            let Some(id) = reference.target().try_id().map(|id| id.to_owned()) else {
                continue;
            };
            let mut id = ObjectId::from_gix(&id);
            for _ in 0..MAX_PEEL {
                let object = self
                    .repo
                    .try_find_object(id.to_gix())
                    .map_err(|source| self.object_error(id, source))?
                    .ok_or_else(|| GitError::Missing {
                        path: self.path.clone(),
                        id,
                    })?;
                match object.kind {
                    gix::object::Kind::Commit => return Ok(Some((tag.clone(), id))),
                    gix::object::Kind::Tag => {
                        let target = object
                            .try_into_tag()
                            .ok()
                            .and_then(|tag| tag.target_id().ok());
                        let Some(target) = target else {
                            return Err(GitError::Malformed {
                                path: self.path.clone(),
                                id,
                                kind: "tag",
                            });
                        };
                        id = ObjectId::from_gix(&target);
                    }
                    _ => break,
                }
            }
        }
        Ok(None)
    }

    /// The size in bytes of object `id`, read from its header without loading it.
    pub fn object_size(&self, id: ObjectId) -> Result<u64, GitError> {
        let header = self
            .repo
            .find_header(id.to_gix())
            .map_err(|source| self.object_error(id, source))?;
        Ok(header.size())
    }

    /// The commit a revision names (`v1.2`, a full or abbreviated id, `HEAD~3`).
    pub fn revision(&self, spec: &str) -> Result<ObjectId, GitError> {
        let unknown = || GitError::UnknownRevision {
            path: self.path.clone(),
            spec: spec.to_string(),
        };
        let id = self.repo.rev_parse_single(spec).map_err(|_| unknown())?;
        let commit = id
            .object()
            .and_then(|object| object.peel_to_commit())
            .map_err(|_| unknown())?;
        Ok(ObjectId::from_gix(&commit.id))
    }

    /// The commit with this full or abbreviated (7+ digits) id, if the repository has exactly
    /// one object with that prefix and it is (or a tag peels to) a commit.
    pub fn find_commit(&self, id: &str) -> Option<ObjectId> {
        if id.len() < 7 || id.len() > 40 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let found = match ObjectId::from_hex(id.as_bytes()) {
            Some(full) => full.to_gix(),
            None => {
                let prefix = gix::hash::Prefix::from_hex(id).ok()?;
                self.repo.objects.lookup_prefix(prefix, None).ok()??.ok()?
            }
        };
        let commit = self
            .repo
            .try_find_object(found)
            .ok()??
            .peel_to_commit()
            .ok()?;
        Some(ObjectId::from_gix(&commit.id))
    }

    /// Whether `commit` is `tip` or one of its ancestors (their merge base is `commit`).
    pub fn is_ancestor(&self, commit: ObjectId, tip: ObjectId) -> Result<bool, GitError> {
        if commit == tip {
            return Ok(true);
        }
        let base = self
            .repo
            .merge_base(commit.to_gix(), tip.to_gix())
            .map_err(|source| GitError::Walk {
                path: self.path.clone(),
                source: Box::new(source),
            })?;
        Ok(base.is_some_and(|base| base.detach() == commit.to_gix()))
    }

    /// The non-merge commits reachable from `tip` and not from `hide`, newest first, at most
    /// `limit` of them.
    ///
    /// The order is topological (a commit before its parents) and, among commits free to go
    /// next, newest commit time first; ties in time keep the order of the walk. This is the
    /// order libgit2's `TOPOLOGICAL | TIME` walk gave before, and it decides which commit is
    /// named when two have the same patch id and where a `limit` cuts.
    pub fn non_merge_commits(
        &self,
        tip: ObjectId,
        hide: Option<ObjectId>,
        limit: Option<usize>,
    ) -> Result<Vec<ObjectId>, GitError> {
        let walk_error = |source: Cause| GitError::Walk {
            path: self.path.clone(),
            source,
        };
        let walk = self
            .repo
            .rev_walk([tip.to_gix()])
            .sorting(gix::revision::walk::Sorting::ByCommitTime(
                gix::traverse::commit::simple::CommitTimeOrder::NewestFirst,
            ))
            .with_hidden(hide.map(ObjectId::to_gix))
            .all()
            .map_err(|e| walk_error(Box::new(e)))?;
        let mut commits = Vec::new();
        for info in walk {
            let info = info.map_err(|e| walk_error(Box::new(e)))?;
            commits.push(Listed {
                id: ObjectId::from_gix(&info.id),
                parents: info
                    .parent_ids
                    .iter()
                    .map(|p| ObjectId::from_gix(p))
                    .collect(),
                time: info.commit_time.unwrap_or_default(),
            });
        }
        let limit = limit.unwrap_or(usize::MAX);
        Ok(topological_by_time(&commits)
            .into_iter()
            .filter(|&index| commits[index].parents.len() <= 1)
            .take(limit)
            .map(|index| commits[index].id)
            .collect())
    }

    /// The subject (first paragraph, lines joined) of each of `commits` that can be read and
    /// is UTF-8, in their order.
    pub fn subjects(&self, commits: &[ObjectId]) -> Vec<(ObjectId, String)> {
        commits
            .iter()
            .filter_map(|id| {
                let commit = self.repo.find_commit(id.to_gix()).ok()?;
                let message = commit.message().ok()?;
                let summary = message.summary();
                let text = std::str::from_utf8(summary.as_ref()).ok()?;
                Some((*id, text.to_string()))
            })
            .collect()
    }

    /// The tree of `commit`.
    pub fn commit_tree(&self, commit: ObjectId) -> Result<ObjectId, GitError> {
        let commit = self
            .repo
            .find_commit(commit.to_gix())
            .map_err(|source| self.object_error(commit, source))?;
        let tree = commit.tree_id().map_err(|_| GitError::Malformed {
            path: self.path.clone(),
            id: ObjectId::from_gix(&commit.id),
            kind: "commit",
        })?;
        Ok(ObjectId::from_gix(&tree))
    }

    /// The raw content of object `id`, which must be of `kind`.
    pub(super) fn object(
        &self,
        id: ObjectId,
        kind: gix::object::Kind,
    ) -> Result<Vec<u8>, GitError> {
        let object = self
            .repo
            .try_find_object(id.to_gix())
            .map_err(|source| self.object_error(id, source))?
            .ok_or_else(|| GitError::Missing {
                path: self.path.clone(),
                id,
            })?;
        if object.kind != kind {
            return Err(GitError::Malformed {
                path: self.path.clone(),
                id,
                kind: kind_name(kind),
            });
        }
        Ok(object.detach().data)
    }

    /// The bytes of blob `id`.
    pub fn blob(&self, id: ObjectId) -> Result<Vec<u8>, GitError> {
        self.object(id, gix::object::Kind::Blob)
    }

    fn object_error(&self, id: ObjectId, source: gix::Error) -> GitError {
        if source.is_not_found() {
            return GitError::Missing {
                path: self.path.clone(),
                id,
            };
        }
        GitError::Object {
            path: self.path.clone(),
            id,
            source: Box::new(source),
        }
    }
}

fn kind_name(kind: gix::object::Kind) -> &'static str {
    match kind {
        gix::object::Kind::Blob => "blob",
        gix::object::Kind::Tree => "tree",
        gix::object::Kind::Commit => "commit",
        gix::object::Kind::Tag => "tag",
    }
}

/// A commit of a first-parent chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainCommit {
    pub id: ObjectId,
    /// Its tree.
    pub tree: ObjectId,
    /// The committer's time, seconds since the Unix epoch (0 when it does not parse).
    pub time: i64,
}

/// A commit of a listing: its id, parents and commit time.
struct Listed {
    id: ObjectId,
    parents: Vec<ObjectId>,
    time: i64,
}

/// The positions of `commits` (in walk order) in topological order, newest time first among
/// the commits whose children have all been given (libgit2's `sort_in_topological_order`
/// with time sorting; ties in time go in walk order).
fn topological_by_time(commits: &[Listed]) -> Vec<usize> {
    let position: HashMap<ObjectId, usize> = commits
        .iter()
        .enumerate()
        .map(|(index, commit)| (commit.id, index))
        .collect();
    let mut children = vec![0usize; commits.len()];
    for commit in commits {
        for parent in &commit.parents {
            if let Some(&index) = position.get(parent) {
                children[index] += 1;
            }
        }
    }
    let mut ready: BinaryHeap<(i64, Reverse<usize>)> = children
        .iter()
        .enumerate()
        .filter(|(_, count)| **count == 0)
        .map(|(index, _)| (commits[index].time, Reverse(index)))
        .collect();
    let mut order = Vec::with_capacity(commits.len());
    while let Some((_, Reverse(index))) = ready.pop() {
        order.push(index);
        for parent in &commits[index].parents {
            if let Some(&parent) = position.get(parent) {
                children[parent] -= 1;
                if children[parent] == 0 {
                    ready.push((commits[parent].time, Reverse(parent)));
                }
            }
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(id: u8, parents: &[u8], time: i64) -> Listed {
        let id_of = |n: u8| ObjectId::from_bytes(&[n; 20]).unwrap();
        Listed {
            id: id_of(id),
            parents: parents.iter().map(|&p| id_of(p)).collect(),
            time,
        }
    }

    #[test]
    fn children_come_before_parents_whatever_the_clock_says() {
        // 3 merges 1 and 2; 2's clock is behind its parent 0's.
        let commits = [
            listed(3, &[1, 2], 30),
            listed(1, &[0], 20),
            listed(0, &[], 15),
            listed(2, &[0], 10),
        ];
        let order: Vec<usize> = topological_by_time(&commits);
        assert_eq!(order, [0, 1, 3, 2]);
    }
}

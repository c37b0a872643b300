//! The upstream history the `upstream-commit` and `patch-id` detectors read: a repository
//! (usually the cache's mirror, brought up to date) opened once per package, and each commit's
//! stable patch id from the on-disk cache (`history/cache.rs`) or, when unknown, from the walk
//! (`git::history`), reporting its progress.

mod cache;

use std::path::Path;
use std::sync::Arc;

pub use cache::PatchIdCache;

use super::CountProgress;
use crate::git::history::Walked;
use crate::git::{GitError, ObjectId, Repository};
use crate::upstream::{FetchError, Fetcher};

/// A repository whose history the detectors read.
pub struct History {
    repo: Repository,
    url: String,
    /// Receives the patch-id walk's progress (commits computed).
    progress: Option<Arc<dyn CountProgress>>,
}

impl History {
    /// The mirror of `url`, brought up to date unless offline.
    pub fn open(fetcher: &Fetcher, url: &str) -> Result<History, FetchError> {
        let path = fetcher.git_mirror(url)?;
        let repo = Repository::open_bare(&path).map_err(|source| FetchError::Git {
            url: url.to_string(),
            source: Box::new(source),
        })?;
        Ok(History {
            repo,
            url: url.to_string(),
            progress: None,
        })
    }

    /// This history, reporting the progress of [`History::patch_ids`] to `progress`.
    pub fn with_progress(self, progress: Option<Arc<dyn CountProgress>>) -> History {
        History { progress, ..self }
    }

    /// Any local repository (bare or not), for the debug walk and the benchmark; its git
    /// directory, absolute and ending in `/` (as libgit2 spelled it, so caches made before
    /// still match), is the key of its patch-id cache.
    pub fn open_path(path: &Path) -> Result<History, GitError> {
        let repo = Repository::open(path)?;
        let git_dir = std::fs::canonicalize(repo.path()).unwrap_or_else(|_| repo.path().into());
        Ok(History {
            url: format!("{}/", git_dir.display()),
            repo,
            progress: None,
        })
    }

    /// The repository.
    pub fn repository(&self) -> &Repository {
        &self.repo
    }

    /// The repository's git directory.
    pub fn path(&self) -> &Path {
        self.repo.path()
    }

    /// The URL (or path) the history was opened from: the key of its patch-id cache.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The commit a revision names (`v1.2`, a full or abbreviated id, `HEAD~3`).
    pub fn revision(&self, spec: &str) -> Result<ObjectId, GitError> {
        self.repo.revision(spec)
    }

    /// The non-merge commits reachable from `tip` and not from `hide`, newest first, at most
    /// `limit` of them ([`Repository::non_merge_commits`]).
    pub fn non_merge_commits(
        &self,
        tip: ObjectId,
        hide: Option<ObjectId>,
        limit: Option<usize>,
    ) -> Result<Vec<ObjectId>, GitError> {
        self.repo.non_merge_commits(tip, hide, limit)
    }

    /// The stable patch id of each commit (`None` for a commit with an empty diff, or one a
    /// partial clone cannot diff), from the cache where known, computed in parallel on the
    /// current rayon pool otherwise; new ids are added to the cache.
    pub fn patch_ids(
        &self,
        commits: &[ObjectId],
        cache: &mut PatchIdCache,
    ) -> Result<PatchIds, GitError> {
        patch_ids(self.path(), commits, cache, self.progress.as_deref())
    }
}

/// [`History::patch_ids`] for the repository at `git_dir`, reporting each computed commit to
/// `progress` (the total is the commits not already in the cache). It needs no open handle, so
/// it can run inside a rayon pool's `install`.
pub fn patch_ids(
    git_dir: &Path,
    commits: &[ObjectId],
    cache: &mut PatchIdCache,
    progress: Option<&dyn CountProgress>,
) -> Result<PatchIds, GitError> {
    let uncached: Vec<ObjectId> = commits
        .iter()
        .filter(|id| !cache.contains(id))
        .copied()
        .collect();
    let mut missing = 0;
    if !uncached.is_empty() {
        if let Some(progress) = progress {
            progress.start(uncached.len() as u64);
        }
        let advance = |done: u64| {
            if let Some(progress) = progress {
                progress.advance(done);
            }
        };
        let walked = crate::git::history::patch_ids(git_dir, &uncached, Some(&advance));
        if let Some(progress) = progress {
            progress.finish();
        }
        // A commit a partial clone cannot diff is not cached: a later, fuller clone gives it.
        let mut computed = Vec::with_capacity(uncached.len());
        for (commit, walked) in uncached.into_iter().zip(walked?) {
            match walked {
                Walked::Id(id) => computed.push((commit, id)),
                Walked::Missing => missing += 1,
            }
        }
        cache.add(&computed);
    }
    Ok(PatchIds {
        ids: commits.iter().map(|id| (*id, cache.get(id))).collect(),
        missing,
    })
}

/// The patch ids of a list of commits.
#[derive(Debug, Clone, Default)]
pub struct PatchIds {
    /// Each commit, in order, with its stable patch id (`None`: an empty change, or a commit
    /// counted in `missing`).
    pub ids: Vec<(ObjectId, Option<String>)>,
    /// How many commits have no id because the repository is a partial clone that lacks an
    /// object their diffs need.
    pub missing: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::history::is_partial_clone;
    use crate::git::testing::git;

    /// A file of `count` numbered lines, `seed` making it distinct.
    fn numbered(seed: &str, count: usize) -> String {
        (0..count).map(|i| format!("{seed} line {i}\n")).collect()
    }

    #[test]
    fn a_partial_clone_gives_the_ids_it_can_and_counts_the_rest() {
        let temp = tempfile::tempdir().unwrap();
        let full = temp.path().join("full");
        std::fs::create_dir(&full).unwrap();
        git(&full, &["init", "-q", "-b", "main"], None);
        git(&full, &["config", "uploadpack.allowFilter", "true"], None);
        let commit = |file: &str, text: &str, message: &str| {
            std::fs::write(full.join(file), text).unwrap();
            git(&full, &["add", file], None);
            git(&full, &["commit", "-q", "-m", message], None);
        };
        commit("small.c", "int a;\n", "small");
        commit("big.c", &numbered("big", 40), "big");
        commit("small.c", "int a;\nint b;\n", "small again");
        let url = format!("file://{}", full.display());
        let partial = temp.path().join("partial.git");
        git(
            temp.path(),
            &[
                "clone",
                "-q",
                "--bare",
                "--filter=blob:limit=200",
                &url,
                partial.to_str().unwrap(),
            ],
            None,
        );
        assert!(is_partial_clone(&partial));
        assert!(!is_partial_clone(&full.join(".git")));

        let history = History::open_path(&partial).unwrap();
        let head = history.revision("HEAD").unwrap();
        let commits = history.non_merge_commits(head, None, None).unwrap();
        let mut cache = PatchIdCache::in_memory();
        let walked = history.patch_ids(&commits, &mut cache).unwrap();
        assert_eq!(walked.missing, 1, "only the big file's blob is left out");
        let ids: Vec<Option<String>> = walked.ids.into_iter().map(|(_, id)| id).collect();
        let log = git(&full, &["log", "-p", "--no-merges", "HEAD"], None);
        let gits = String::from_utf8(git(&full, &["patch-id", "--stable"], Some(&log))).unwrap();
        let gits: Vec<&str> = gits.lines().map(|l| &l[..40]).collect();
        // Newest first: "small again", "big" (no id here), "small".
        assert_eq!(ids[0].as_deref(), Some(gits[0]));
        assert_eq!(ids[1], None);
        assert_eq!(ids[2].as_deref(), Some(gits[2]));
        // The commit without an id is not cached, so a fuller clone computes it later.
        assert_eq!(cache.len(), 2);

        // The same walk over the full repository has every id; a missing object there is an
        // error, not a gap.
        let full_history = History::open_path(&full).unwrap();
        let walked = full_history
            .patch_ids(&commits, &mut PatchIdCache::in_memory())
            .unwrap();
        assert_eq!(walked.missing, 0);
        assert_eq!(walked.ids[1].1.as_deref(), Some(gits[1]));
        // Without the promisor marks (packs and remote) the clone is simply damaged.
        for entry in partial.join("objects/pack").read_dir().unwrap().flatten() {
            if entry.path().extension().is_some_and(|x| x == "promisor") {
                std::fs::remove_file(entry.path()).unwrap();
            }
        }
        assert!(is_partial_clone(&partial), "the remote still says so");
        git(
            &partial,
            &["config", "--unset", "remote.origin.promisor"],
            None,
        );
        assert!(!is_partial_clone(&partial));
        assert!(
            History::open_path(&partial)
                .unwrap()
                .patch_ids(&commits, &mut PatchIdCache::in_memory())
                .is_err(),
            "a missing object is then an error"
        );
    }

    /// Counts what the walk reports.
    #[derive(Debug, Default)]
    struct Tally {
        total: std::sync::atomic::AtomicU64,
        done: std::sync::atomic::AtomicU64,
        finished: std::sync::atomic::AtomicBool,
    }

    impl CountProgress for Tally {
        fn start(&self, total: u64) {
            self.total.store(total, std::sync::atomic::Ordering::SeqCst);
        }
        fn advance(&self, done: u64) {
            self.done
                .fetch_add(done, std::sync::atomic::Ordering::SeqCst);
        }
        fn finish(&self) {
            self.finished
                .store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }

    #[test]
    fn the_walk_reports_each_computed_commit() {
        use std::sync::atomic::Ordering::SeqCst;
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path();
        git(dir, &["init", "-q", "-b", "main"], None);
        for i in 0..3 {
            std::fs::write(dir.join("file"), numbered(&i.to_string(), 5)).unwrap();
            git(dir, &["add", "-A"], None);
            git(dir, &["commit", "-q", "-m", &format!("c{i}")], None);
        }
        let history = History::open_path(dir).unwrap();
        let tip = history.revision("HEAD").unwrap();
        let commits = history.non_merge_commits(tip, None, None).unwrap();
        assert_eq!(commits.len(), 3);
        let tally = Arc::new(Tally::default());
        let history = history.with_progress(Some(tally.clone()));
        let mut cache = PatchIdCache::in_memory();
        history.patch_ids(&commits[..2], &mut cache).unwrap();
        assert_eq!((tally.total.load(SeqCst), tally.done.load(SeqCst)), (2, 2));
        assert!(tally.finished.load(SeqCst));
        // Cached ids are not walked again: only the third commit is counted.
        history.patch_ids(&commits, &mut cache).unwrap();
        assert_eq!((tally.total.load(SeqCst), tally.done.load(SeqCst)), (1, 3));
    }
}

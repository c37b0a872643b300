//! Upstream history for the `upstream-commit` and `patch-id` detectors: tags, ancestry, the
//! non-merge commits between two releases, and each commit's stable patch id, cached on disk.
//!
//! A commit's patch id is computed without a checkout: objects are read straight from the
//! packs (`history/objects.rs`), the first parent's tree (the empty tree for a root commit) and
//! the commit's tree are walked side by side, renames are paired with git's own rules
//! (`history/rename.rs`), each pair is written as `git log -p` writes it
//! (`history/commit_patch.rs`; text hunks from a port of git's xdiff, `history/xdiff.rs`: 3
//! context lines, indent heuristic), and the text goes through `patch_id::stable_patch_ids`,
//! the byte-for-byte replica of `git patch-id --stable`. So the ids equal `git log -p
//! --no-merges A..B | git patch-id --stable` (tested here and in `tests/it/check.rs`, measured on
//! curl's whole history by `bench/patch-id-walk.sh`).
//!
//! Commits are independent, so ids are computed in parallel on the current rayon pool
//! (`history/walk.rs`): each thread has its own `Repository` (libgit2 handles are not shared
//! across threads), open packs and cache of resolved objects, and works through a run of
//! neighbouring commits, whose trees and blobs it mostly has cached already. Ids never change
//! for a commit, so they are kept in `<cache>/patch-ids/<sha256 of url>.tsv`, one
//! `<commit>\t<patch id or ->` line each, appended under the cache's advisory lock with a
//! single write per batch; a torn last line (a crash mid-write) is ignored when loading.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use git2::{Oid, Repository, Sort};

mod commit_patch;
mod objects;
pub mod rename;
mod walk;
mod xdiff;

use commit_patch::CommitRenderer;
pub use objects::ObjectError;
use objects::Packs;
pub use rename::git_similarity;

use super::CountProgress;
use crate::patch::patch_id::stable_patch_ids;
use crate::upstream::cache::sha256_hex;
use crate::upstream::{Cache, FetchError, Fetcher};

/// First line of a cache file: the format and the diff options the ids were computed with.
const CACHE_HEADER: &str = "# mindelta patch-ids v1 (git log -p defaults, renames on)";

/// Why the history could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("git error in `{}`", path.display())]
    Git {
        path: PathBuf,
        #[source]
        source: git2::Error,
    },
    #[error("`{spec}` names no commit in `{}`", path.display())]
    UnknownRevision { path: PathBuf, spec: String },
    #[error("cannot read the history in `{}`", path.display())]
    Objects {
        path: PathBuf,
        #[source]
        source: ObjectError,
    },
}

/// A bare repository (usually the cache's mirror) whose history the detectors read.
pub struct History {
    repo: Repository,
    path: PathBuf,
    url: String,
    /// Receives the patch-id walk's progress (commits computed).
    progress: Option<Arc<dyn CountProgress>>,
}

impl History {
    /// The mirror of `url`, brought up to date unless offline.
    pub fn open(fetcher: &Fetcher, url: &str) -> Result<History, FetchError> {
        let path = fetcher.git_mirror(url)?;
        trust_object_store();
        let repo = Repository::open_bare(&path).map_err(|source| FetchError::Git {
            url: url.to_string(),
            source,
        })?;
        Ok(History {
            repo,
            path,
            url: url.to_string(),
            progress: None,
        })
    }

    /// This history, reporting the progress of [`History::patch_ids`] to `progress`.
    pub fn with_progress(self, progress: Option<Arc<dyn CountProgress>>) -> History {
        History { progress, ..self }
    }

    /// Any local repository (bare or not), for the debug walk and the benchmark.
    pub fn open_path(path: &Path) -> Result<History, HistoryError> {
        trust_object_store();
        let repo = Repository::open(path).map_err(|source| HistoryError::Git {
            path: path.to_path_buf(),
            source,
        })?;
        let path = repo.path().to_path_buf();
        Ok(History {
            repo,
            url: path.display().to_string(),
            path,
            progress: None,
        })
    }

    /// The repository's git directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The URL (or path) the history was opened from: the key of its patch-id cache.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The first of `tags` that exists, with its commit.
    pub fn resolve_tag(&self, tags: &[String]) -> Option<(String, Oid)> {
        super::tree::resolve_tag(&self.repo, tags)
    }

    /// The commit a revision names (`v1.2`, a full or abbreviated id, `HEAD~3`).
    pub fn revision(&self, spec: &str) -> Result<Oid, HistoryError> {
        self.repo
            .revparse_single(spec)
            .and_then(|object| object.peel_to_commit())
            .map(|commit| commit.id())
            .map_err(|_| HistoryError::UnknownRevision {
                path: self.path.clone(),
                spec: spec.to_string(),
            })
    }

    /// The commit with this full or abbreviated (7+ digits) id, if the repository has it.
    pub fn find_commit(&self, id: &str) -> Option<Oid> {
        if id.len() < 7 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let object = self.repo.revparse_single(id).ok()?;
        object.peel_to_commit().ok().map(|commit| commit.id())
    }

    /// Whether `commit` is `tip` or one of its ancestors.
    pub fn contains(&self, tip: Oid, commit: Oid) -> Result<bool, HistoryError> {
        if tip == commit {
            return Ok(true);
        }
        self.repo
            .graph_descendant_of(tip, commit)
            .map_err(|source| self.error(source))
    }

    /// The non-merge commits reachable from `tip` and not from `hide`, newest first, at most
    /// `limit` of them.
    pub fn non_merge_commits(
        &self,
        tip: Oid,
        hide: Option<Oid>,
        limit: Option<usize>,
    ) -> Result<Vec<Oid>, HistoryError> {
        let mut walk = self.repo.revwalk().map_err(|e| self.error(e))?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME)
            .map_err(|e| self.error(e))?;
        walk.push(tip).map_err(|e| self.error(e))?;
        if let Some(hide) = hide {
            walk.hide(hide).map_err(|e| self.error(e))?;
        }
        let limit = limit.unwrap_or(usize::MAX);
        let mut commits = Vec::new();
        for id in walk {
            if commits.len() >= limit {
                break;
            }
            let id = id.map_err(|e| self.error(e))?;
            let commit = self.repo.find_commit(id).map_err(|e| self.error(e))?;
            if commit.parent_count() <= 1 {
                commits.push(id);
            }
        }
        Ok(commits)
    }

    /// The stable patch id of each commit (`None` for a commit with an empty diff, or one a
    /// partial clone cannot diff), from the cache where known, computed in parallel otherwise;
    /// new ids are added to the cache.
    pub fn patch_ids(
        &self,
        commits: &[Oid],
        cache: &mut PatchIdCache,
    ) -> Result<PatchIds, HistoryError> {
        patch_ids_reporting(&self.path, commits, cache, self.progress.as_deref())
    }

    fn error(&self, source: git2::Error) -> HistoryError {
        HistoryError::Git {
            path: self.path.clone(),
            source,
        }
    }
}

/// [`History::patch_ids`] for the repository at `git_dir`, without a `Repository` handle (so
/// it can run inside a rayon pool's `install`: libgit2 handles are not `Sync`).
pub fn patch_ids(
    git_dir: &Path,
    commits: &[Oid],
    cache: &mut PatchIdCache,
) -> Result<PatchIds, HistoryError> {
    patch_ids_reporting(git_dir, commits, cache, None)
}

/// [`patch_ids`], reporting each computed commit to `progress` (the total is the commits not
/// already in the cache).
pub fn patch_ids_reporting(
    git_dir: &Path,
    commits: &[Oid],
    cache: &mut PatchIdCache,
    progress: Option<&dyn CountProgress>,
) -> Result<PatchIds, HistoryError> {
    let uncached: Vec<Oid> = commits
        .iter()
        .filter(|id| !cache.known.contains_key(id))
        .copied()
        .collect();
    let mut missing = 0;
    if !uncached.is_empty() {
        trust_object_store();
        let abbrev = default_abbrev(git_dir);
        if let Some(progress) = progress {
            progress.start(uncached.len() as u64);
        }
        let walked = walk::compute_patch_ids(git_dir, &uncached, abbrev, progress);
        if let Some(progress) = progress {
            progress.finish();
        }
        // A commit a partial clone cannot diff is not cached: a later, fuller clone gives it.
        let mut computed = Vec::with_capacity(uncached.len());
        for (commit, walked) in uncached.into_iter().zip(walked?) {
            match walked {
                walk::Walked::Id(id) => computed.push((commit, id)),
                walk::Walked::Missing => missing += 1,
            }
        }
        cache.add(&computed);
    }
    Ok(PatchIds {
        ids: commits
            .iter()
            .map(|id| (*id, cache.known.get(id).cloned().flatten()))
            .collect(),
        missing,
    })
}

/// The patch ids of a list of commits.
#[derive(Debug, Clone, Default)]
pub struct PatchIds {
    /// Each commit, in order, with its stable patch id (`None`: an empty change, or a commit
    /// counted in `missing`).
    pub ids: Vec<(Oid, Option<String>)>,
    /// How many commits have no id because the repository is a partial clone that lacks an
    /// object their diff needs.
    pub missing: usize,
}

/// Read objects as git does, without re-hashing each one. libgit2 checks every object it
/// reads against its id (with collision-detecting SHA-1), which took 40% of a history walk
/// (and still a few percent of listing the commits once the walk read packs itself); git
/// itself trusts its object store on read (packs are checked when they are written and by
/// `fsck`). The option is process-wide in libgit2; mindelta reads its own mirrors, which
/// libgit2 verified when it fetched them, and the repository `--git-dir` names.
fn trust_object_store() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| git2::opts::strict_hash_verification(false));
}

/// The stable patch id of one commit's change against its first parent (the empty tree for
/// a root commit); `None` when the change is empty.
pub fn commit_patch_id(
    repo: &Repository,
    commit: Oid,
    abbrev: u16,
) -> Result<Option<String>, HistoryError> {
    let text = commit_diff(repo, commit, abbrev)?;
    Ok(stable_patch_ids(&text).into_iter().next().map(|(id, _)| id))
}

/// The diff of one commit as `git log -p` prints it (without the commit header): every line
/// its patch id reads is git's.
pub fn commit_diff(repo: &Repository, commit: Oid, abbrev: u16) -> Result<Vec<u8>, HistoryError> {
    let path = repo.path().to_path_buf();
    let own = Repository::open(&path).map_err(|source| HistoryError::Git {
        path: path.clone(),
        source,
    })?;
    trust_object_store();
    let packs = Arc::new(Packs::open(&path));
    let mut text = Vec::new();
    CommitRenderer::new(own, packs, abbrev)
        .render(commit, &mut text)
        .map_err(|source| HistoryError::Objects { path, source })?;
    Ok(text)
}

/// The abbreviation git uses for object ids in this repository (`core.abbrev` auto): half
/// the bits of the packed object count, in hex digits, at least 7.
pub fn default_abbrev(git_dir: &Path) -> u16 {
    let mut count: u64 = 0;
    if let Ok(entries) = std::fs::read_dir(git_dir.join("objects").join("pack")) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "idx") {
                count += pack_object_count(&path).unwrap_or(0);
            }
        }
    }
    let bits = if count == 0 {
        1
    } else {
        64 - count.leading_zeros() as u16
    };
    bits.div_ceil(2).max(7)
}

/// The number of objects a pack index lists (the last fan-out entry).
fn pack_object_count(idx: &Path) -> Option<u64> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(idx).ok()?;
    let mut head = [0u8; 8];
    file.read_exact(&mut head).ok()?;
    let fanout_start = if head[..4] == [0xff, b't', b'O', b'c'] {
        8
    } else {
        0
    };
    file.seek(SeekFrom::Start(fanout_start + 255 * 4)).ok()?;
    let mut last = [0u8; 4];
    file.read_exact(&mut last).ok()?;
    Some(u64::from(u32::from_be_bytes(last)))
}

/// Patch ids by commit, loaded from and appended to the on-disk cache.
pub struct PatchIdCache {
    /// The cache file; `None` keeps ids in memory only.
    path: Option<PathBuf>,
    /// The cache entry's lock target.
    cache: Option<Cache>,
    known: HashMap<Oid, Option<String>>,
}

impl PatchIdCache {
    /// The cache of the history at `url` under `cache_root` (empty if there is none yet).
    pub fn load(cache_root: &Path, url: &str) -> PatchIdCache {
        let path = cache_root
            .join("patch-ids")
            .join(format!("{}.tsv", sha256_hex(url.as_bytes())));
        let mut known = HashMap::new();
        if let Ok(text) = std::fs::read_to_string(&path) {
            for line in text.lines() {
                if let Some((commit, patch_id)) = parse_line(line) {
                    known.insert(commit, patch_id);
                }
            }
        }
        PatchIdCache {
            path: Some(path),
            cache: Some(Cache::new(cache_root)),
            known,
        }
    }

    /// A cache that lives in memory only.
    pub fn in_memory() -> PatchIdCache {
        PatchIdCache {
            path: None,
            cache: None,
            known: HashMap::new(),
        }
    }

    /// How many commits the cache knows.
    pub fn len(&self) -> usize {
        self.known.len()
    }

    /// Whether the cache knows no commit.
    pub fn is_empty(&self) -> bool {
        self.known.is_empty()
    }

    /// Remember new ids, and append them to the file in one write under the lock. A cache
    /// that cannot be written is only a slower next run: it is logged, not an error.
    fn add(&mut self, ids: &[(Oid, Option<String>)]) {
        for (commit, patch_id) in ids {
            self.known.insert(*commit, patch_id.clone());
        }
        let (Some(path), Some(cache)) = (&self.path, &self.cache) else {
            return;
        };
        if ids.is_empty() {
            return;
        }
        if let Err(error) = append(cache, path, ids) {
            tracing::warn!(path = %path.display(), %error, "cannot write the patch-id cache");
        }
    }
}

fn append(cache: &Cache, path: &Path, ids: &[(Oid, Option<String>)]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let _lock = cache.lock(path).map_err(std::io::Error::other)?;
    let new = !path.exists();
    let mut text = String::with_capacity(ids.len() * 82 + CACHE_HEADER.len() + 1);
    if new {
        text.push_str(CACHE_HEADER);
        text.push('\n');
    }
    for (commit, patch_id) in ids {
        text.push_str(&commit.to_string());
        text.push('\t');
        text.push_str(patch_id.as_deref().unwrap_or("-"));
        text.push('\n');
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_data()
}

fn parse_line(line: &str) -> Option<(Oid, Option<String>)> {
    let (commit, patch_id) = line.split_once('\t')?;
    let is_id = |s: &str| s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit());
    if !is_id(commit) {
        return None;
    }
    let commit = Oid::from_str(commit).ok()?;
    match patch_id {
        "-" => Some((commit, None)),
        id if is_id(id) => Some((commit, Some(id.to_string()))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_lines_round_trip_and_torn_lines_are_ignored() {
        let temp = tempfile::tempdir().unwrap();
        let mut cache = PatchIdCache::load(temp.path(), "https://example.org/x.git");
        assert!(cache.is_empty());
        let a = Oid::from_str("0123456789abcdef0123456789abcdef01234567").unwrap();
        let b = Oid::from_str("89abcdef0123456789abcdef0123456789abcdef").unwrap();
        cache.add(&[(a, Some("f".repeat(40))), (b, None)]);
        let path = cache.path.clone().unwrap();
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        file.write_all(b"0123456789abcdef0123456789abcd").unwrap();
        let loaded = PatchIdCache::load(temp.path(), "https://example.org/x.git");
        assert_eq!(loaded.len(), 2);
        assert_eq!(loaded.known[&a], Some("f".repeat(40)));
        assert_eq!(loaded.known[&b], None);
    }

    /// Run git hermetically in `dir` (fixed identity and dates), returning stdout.
    fn git(dir: &Path, args: &[&str], input: Option<&[u8]>) -> Vec<u8> {
        use std::process::{Command, Stdio};
        let mut child = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "A")
            .env("GIT_AUTHOR_EMAIL", "a@example.org")
            .env("GIT_COMMITTER_NAME", "A")
            .env("GIT_COMMITTER_EMAIL", "a@example.org")
            .env("GIT_AUTHOR_DATE", "2020-01-01T00:00:00Z")
            .env("GIT_COMMITTER_DATE", "2020-01-01T00:00:00Z")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(input.unwrap_or_default()).unwrap();
        drop(stdin);
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "git {args:?} failed");
        output.stdout
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
        assert!(objects::is_partial_clone(&partial));
        assert!(!objects::is_partial_clone(&full.join(".git")));

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
        assert!(
            objects::is_partial_clone(&partial),
            "the remote still says so"
        );
        git(
            &partial,
            &["config", "--unset", "remote.origin.promisor"],
            None,
        );
        assert!(!objects::is_partial_clone(&partial));
        assert!(
            History::open_path(&partial)
                .unwrap()
                .patch_ids(&commits, &mut PatchIdCache::in_memory())
                .is_err(),
            "a missing object is then an error"
        );
    }

    /// A file of `count` numbered lines, `seed` making it distinct.
    fn numbered(seed: &str, count: usize) -> String {
        (0..count).map(|i| format!("{seed} line {i}\n")).collect()
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

    #[test]
    fn ambiguous_renames_pair_as_git_pairs_them() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path();
        git(dir, &["init", "-q", "-b", "main"], None);
        let write = |path: &str, text: &str| {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        let commit = |message: &str| {
            git(dir, &["add", "-A"], None);
            git(dir, &["commit", "-q", "--allow-empty", "-m", message], None);
        };
        // Similar files: each pair differs in a few lines, so several sources score above
        // 50% for several destinations.
        let base = numbered("common", 30);
        let similar = [
            "a/one.c",
            "a/two.c",
            "b/one.c",
            "b/three.c",
            "c/dup.txt",
            "d/dup.txt",
        ];
        for (i, name) in similar.iter().enumerate() {
            write(
                name,
                &format!("{base}{}", numbered(&format!("own{i}"), 4 + i)),
            );
        }
        write("same1.txt", "identical\n");
        write("same2.txt", "identical\n");
        write("empty-a", "");
        write("link-target", "target\n");
        write("image.bin", "\0binary\0content\n");
        commit("root");
        // Delete all, add similar ones under new names: exact duplicates, unique base names,
        // and an inexact many-to-many matrix with ties.
        for name in similar {
            std::fs::remove_file(dir.join(name)).unwrap();
        }
        for (i, name) in [
            "x/one.c",
            "y/one.c",
            "x/four.c",
            "x/five.c",
            "e/dup.txt",
            "f/dup.txt",
        ]
        .iter()
        .enumerate()
        {
            let mut text = format!("{base}{}", numbered(&format!("own{}", 5 - i), 9 - i));
            text.push_str("extra\n");
            write(name, &text);
        }
        std::fs::remove_file(dir.join("same1.txt")).unwrap();
        std::fs::remove_file(dir.join("same2.txt")).unwrap();
        write("moved/same1.txt", "identical\n");
        write("moved/other.txt", "identical\n");
        write("copy.txt", "identical\n");
        std::fs::remove_file(dir.join("empty-a")).unwrap();
        write("empty-b", "");
        std::fs::remove_file(dir.join("image.bin")).unwrap();
        write("pictures/image.bin", "\0binary\0content, changed\n");
        commit("shuffle");
        std::fs::remove_file(dir.join("link-target")).unwrap();
        std::os::unix::fs::symlink("x/one.c", dir.join("link-target")).unwrap();
        write("x/four.c", &numbered("rewritten", 50));
        commit("a file becomes a symlink, a rewrite");

        let log = git(dir, &["log", "-p", "--no-merges", "HEAD"], None);
        let expected = String::from_utf8(git(dir, &["patch-id", "--stable"], Some(&log))).unwrap();
        let history = History::open_path(dir).unwrap();
        let head = history.revision("HEAD").unwrap();
        let commits = history.non_merge_commits(head, None, None).unwrap();
        let mut cache = PatchIdCache::in_memory();
        let ids = history.patch_ids(&commits, &mut cache).unwrap().ids;
        let actual: String = ids
            .iter()
            .filter_map(|(commit, id)| id.as_ref().map(|id| format!("{id} {commit}\n")))
            .collect();
        assert_eq!(actual, expected);
        let shuffle = String::from_utf8(git(dir, &["show", "--format=", "HEAD~1"], None)).unwrap();
        assert!(
            shuffle.contains("rename from"),
            "the test makes renames: {shuffle}"
        );
    }

    /// `git log -p | git patch-id --stable` on `dir`'s whole history equals the walk's ids.
    fn assert_ids_are_gits(dir: &Path) {
        let log = git(dir, &["log", "-p", "--no-merges", "HEAD"], None);
        let expected = String::from_utf8(git(dir, &["patch-id", "--stable"], Some(&log))).unwrap();
        let history = History::open_path(dir).unwrap();
        let head = history.revision("HEAD").unwrap();
        let commits = history.non_merge_commits(head, None, None).unwrap();
        let ids = history
            .patch_ids(&commits, &mut PatchIdCache::in_memory())
            .unwrap()
            .ids;
        let actual: String = ids
            .iter()
            .filter_map(|(commit, id)| id.as_ref().map(|id| format!("{id} {commit}\n")))
            .collect();
        assert_eq!(actual, expected);
    }

    #[test]
    fn packed_and_loose_histories_give_gits_ids() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path();
        git(dir, &["init", "-q", "-b", "main"], None);
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut below = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        // Lines from a small vocabulary repeat often (xdiff's discarding and sliding); blocks
        // and blank lines feed the indent heuristic; a form feed and CRs are not whitespace to
        // git's indent measure; one big file of distinct lines makes long deltas and entries
        // that take several reads.
        let vocabulary = [
            "{\n",
            "}\n",
            "\n",
            "  return 0;\n",
            "\tx++;\n",
            "\x0c\n",
            "  if (a) {\n",
            "    b();\n",
            "  }\n",
            " \r\n",
            "int f(void)\n",
            "/* c */\n",
        ];
        let mut files: Vec<(String, Vec<String>)> = (0..6)
            .map(|i| {
                let lines = (0..30)
                    .map(|_| vocabulary[below(vocabulary.len())].to_string())
                    .collect();
                (format!("src/file{i}.c"), lines)
            })
            .collect();
        let big: Vec<String> = (0..6000)
            .map(|i| {
                format!(
                    "{i:05} {:016x}\n",
                    (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
                )
            })
            .collect();
        files.push(("data/big.txt".to_string(), big));
        let write = |files: &[(String, Vec<String>)]| {
            for (name, lines) in files {
                let path = dir.join(name);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, lines.concat()).unwrap();
            }
        };
        let commit = |message: &str| {
            git(dir, &["add", "-A"], None);
            git(dir, &["commit", "-q", "--allow-empty", "-m", message], None);
        };
        write(&files);
        commit("root");
        for round in 0..40 {
            for _ in 0..1 + below(3) {
                let f = below(files.len());
                let lines = &mut files[f].1;
                let at = below(lines.len() + 1);
                match below(4) {
                    0 => {
                        for _ in 0..1 + below(6) {
                            lines.insert(at, vocabulary[below(vocabulary.len())].to_string());
                        }
                    }
                    1 => {
                        let end = (at + 1 + below(5)).min(lines.len());
                        lines.drain(at.min(end)..end);
                    }
                    2 if at < lines.len() => lines[at] = format!("changed {round}\n"),
                    _ => lines.push(format!("appended {round}\n")),
                }
            }
            if round % 7 == 3 {
                // A file without a final newline, then with one again.
                let last = files[0].1.len() - 1;
                let line = files[0].1[last].trim_end_matches('\n').to_string();
                files[0].1[last] = if round % 14 == 3 { line } else { line + "\n" };
            }
            write(&files);
            if round == 10 {
                git(dir, &["mv", "src/file5.c", "src/renamed.c"], None);
                files[5].0 = "src/renamed.c".to_string();
            }
            if round == 20 {
                std::fs::write(dir.join("image.bin"), [0u8, 1, 2, 0, round as u8]).unwrap();
            }
            commit(&format!("round {round}"));
        }
        assert_ids_are_gits(dir);
        git(
            dir,
            &[
                "repack",
                "-a",
                "-d",
                "-f",
                "-q",
                "--depth=50",
                "--window=50",
            ],
            None,
        );
        assert_ids_are_gits(dir);
        git(
            dir,
            &[
                "-c",
                "repack.useDeltaBaseOffset=false",
                "repack",
                "-a",
                "-d",
                "-f",
                "-q",
            ],
            None,
        );
        assert_ids_are_gits(dir);
        // New commits stay loose next to the pack.
        files[1].1.insert(3, "loose\n".to_string());
        write(&files);
        commit("loose");
        assert_ids_are_gits(dir);
    }

    #[test]
    fn abbreviation_is_at_least_seven() {
        let temp = tempfile::tempdir().unwrap();
        assert_eq!(default_abbrev(temp.path()), 7);
    }
}

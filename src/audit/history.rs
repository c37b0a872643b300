//! The workspace's own git history, as `audit --history` reads it: every first-parent commit
//! that changed a watched path (default `patches/`), and for each, the packages whose folder
//! changed, measured as they were at that commit (patches carried, changed lines, the dates the
//! manifest and headers declare, the `expired:` trail).
//!
//! Git is read through `crate::git` (the first-parent chain, trees, blobs); month-by-month
//! aggregation is `timeline.rs`, which knows nothing of git.
//!
//! Speed (40 months, 1,200 commits, 3,400 packages): a commit whose watched trees have the same
//! ids as its parent's is skipped without reading more; in a commit that changed `patches/`,
//! only the package folders whose tree id changed are read; every manifest and patch blob is
//! parsed once, cached by its object id (a refreshed manifest keeps its patches' blobs).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::report::parse_date;
use crate::git::{EntryKind, GitError, ObjectId, Repository};
use crate::patch::metadata::read_metadata;
use crate::patch::{LineKind, parse_patches};
use crate::workspace::Manifest;
use crate::workspace::shard::Shard;

/// A blob larger than this is not read: no manifest or patch is this big, and the history
/// of a workspace must not be able to make `audit` hold an arbitrary object in memory. The
/// largest patches of real series (Debian's linux) are a few MiB.
pub const DEFAULT_MAX_BLOB_BYTES: u64 = 64 << 20;

/// How many first-parent commits are walked at most: far beyond any workspace's history
/// (Wolfi's package repository had about 70,000 commits in 2026), and a bound on the time a
/// pathological history can take.
pub const DEFAULT_MAX_COMMITS: usize = 1_000_000;

/// Choices for one history read.
#[derive(Debug, Clone)]
pub struct HistoryOptions {
    /// Paths relative to the workspace root whose change makes a commit count; `patches` is
    /// where the packages are read from, other paths (native package files) only select
    /// commits for now.
    pub watched: Vec<String>,
    /// Only these packages (folder names; empty: every package).
    pub packages: Vec<String>,
    /// Only the packages of this shard.
    pub shard: Option<Shard>,
    /// Blobs larger than this are counted as unreadable instead of read.
    pub max_blob_bytes: u64,
    /// First-parent commits walked at most, newest first.
    pub max_commits: usize,
}

impl Default for HistoryOptions {
    fn default() -> HistoryOptions {
        HistoryOptions {
            watched: vec!["patches".to_string()],
            packages: Vec::new(),
            shard: None,
            max_blob_bytes: DEFAULT_MAX_BLOB_BYTES,
            max_commits: DEFAULT_MAX_COMMITS,
        }
    }
}

/// What the history holds, oldest commit first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HistoryRead {
    /// The commits that changed a watched path, oldest first.
    pub commits: Vec<CommitChanges>,
    /// The repository is a shallow clone: the history starts later than the project did.
    pub shallow: bool,
    /// The walk stopped at `max_commits`.
    pub truncated: bool,
    /// Manifests and patches that could not be read or parsed (each object counted once).
    pub unreadable: usize,
}

/// One commit that changed a watched path.
#[derive(Debug, Clone, PartialEq)]
pub struct CommitChanges {
    /// The commit id, in hex.
    pub commit: String,
    /// The committer's time, seconds since the Unix epoch.
    pub time: i64,
    /// The packages whose folder changed, by folder name, sorted.
    pub packages: Vec<PackageChange>,
}

/// A package folder as one commit left it.
#[derive(Debug, Clone, PartialEq)]
pub struct PackageChange {
    /// The folder name under `patches/`.
    pub package: String,
    pub state: PackageState,
}

/// What a commit did to a package folder.
#[derive(Debug, Clone, PartialEq)]
pub enum PackageState {
    /// The folder holds a manifest that parses.
    Present(Arc<PackageVersion>),
    /// The folder (or its `package.yaml`) is gone.
    Removed,
    /// The manifest does not parse at this commit: the package is taken as it was before.
    Unreadable,
}

/// A package as one version of its folder declares it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PackageVersion {
    /// The series, in manifest order.
    pub patches: Vec<PatchVersion>,
    /// The `expired:` trail.
    pub expired: Vec<ExpiredMark>,
}

/// One patch of a series, measured.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PatchVersion {
    /// The `file:` entry.
    pub file: String,
    /// Lines added and removed (0 when the file is missing or does not parse).
    pub lines_added: usize,
    pub lines_removed: usize,
    /// The day the patch says it was added: the manifest's `added:`, else the header's
    /// `Last-Update:` or mail `Date:` (as `audit` counts ages).
    pub declared: Option<time::Date>,
}

/// One entry of a manifest's `expired:` trail.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExpiredMark {
    pub file: String,
    pub release: String,
    pub reason: String,
}

/// Why the history could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// No repository holds the workspace.
    #[error("`{}` is not inside a git repository", path.display())]
    NotARepository {
        path: PathBuf,
        #[source]
        source: GitError,
    },
    /// The repository that holds it has no work tree.
    #[error("the git repository of `{}` has no work tree", path.display())]
    Bare { path: PathBuf },
    /// An object of the history could not be read.
    #[error("cannot read the git history of `{}`", path.display())]
    Git {
        path: PathBuf,
        #[source]
        source: GitError,
    },
}

/// Read the first-parent history of the repository holding the workspace at `root`: every
/// commit that changed one of `options.watched`, with the packages it changed, measured.
/// An unborn `HEAD` gives an empty history.
pub fn read_history(root: &Path, options: &HistoryOptions) -> Result<HistoryRead, HistoryError> {
    let repo = Repository::discover(root).map_err(|source| HistoryError::NotARepository {
        path: root.to_path_buf(),
        source,
    })?;
    let git = |source: GitError| HistoryError::Git {
        path: root.to_path_buf(),
        source,
    };
    let workdir = repo.workdir().ok_or_else(|| HistoryError::Bare {
        path: root.to_path_buf(),
    })?;
    let prefix = workspace_prefix(root, workdir);
    let mut reader = Reader {
        repo: &repo,
        options,
        manifests: HashMap::new(),
        patches: HashMap::new(),
        unreadable: 0,
    };
    let mut read = HistoryRead {
        shallow: repo.is_shallow(),
        ..HistoryRead::default()
    };
    let Some(head) = repo.head_commit() else {
        return Ok(read);
    };

    // The first-parent chain, newest first (one more than the bound, to tell whether the
    // bound cut it), then reversed. A missing parent is the edge of a shallow clone.
    let limit = options.max_commits.saturating_add(1);
    let (mut chain, cut) = repo.first_parents(head, limit).map_err(git)?;
    read.shallow |= cut;
    if chain.len() > options.max_commits {
        chain.truncate(options.max_commits);
        read.truncated = true;
    }
    chain.reverse();

    let watched: Vec<String> = options
        .watched
        .iter()
        .map(|path| join(&prefix, path))
        .collect();
    let patches_path = join(&prefix, "patches");
    let mut last_watched: Vec<Option<ObjectId>> = vec![None; watched.len()];
    let mut last_patches: Option<ObjectId> = None;
    // The package folders of the last `patches/` tree read, sorted by name.
    let mut folders: Vec<(Vec<u8>, ObjectId)> = Vec::new();
    for commit in chain {
        let ids: Vec<Option<ObjectId>> = watched
            .iter()
            .map(|path| reader.entry_id(commit.tree, path))
            .collect::<Result<_, _>>()
            .map_err(git)?;
        if ids == last_watched {
            continue;
        }
        last_watched = ids;
        let patches = reader.entry_id(commit.tree, &patches_path).map_err(git)?;
        let mut changes = Vec::new();
        if patches != last_patches {
            last_patches = patches;
            let now = match patches {
                Some(id) => reader.package_folders(id).map_err(git)?,
                None => Vec::new(),
            };
            for (name, id) in changed_folders(&folders, &now) {
                // A folder whose name is not UTF-8 is no package name.
                let Ok(name) = std::str::from_utf8(name) else {
                    continue;
                };
                if !reader.selected(name) {
                    continue;
                }
                let state = match id {
                    Some(id) => reader.package(name, id).map_err(git)?,
                    None => PackageState::Removed,
                };
                changes.push(PackageChange {
                    package: name.to_string(),
                    state,
                });
            }
            folders = now;
        }
        read.commits.push(CommitChanges {
            commit: commit.id.to_string(),
            time: commit.time,
            packages: changes,
        });
    }
    read.unreadable = reader.unreadable;
    Ok(read)
}

/// The folders of `now` that are new or whose tree changed since `before` (with their new id),
/// and those of `before` that are gone (`None`), in name order: one merge of two sorted lists,
/// so a commit that changed one package of thousands costs no hashing of the others.
fn changed_folders<'a>(
    before: &'a [(Vec<u8>, ObjectId)],
    now: &'a [(Vec<u8>, ObjectId)],
) -> Vec<(&'a [u8], Option<ObjectId>)> {
    let mut changed = Vec::new();
    let (mut old, mut new) = (before.iter().peekable(), now.iter().peekable());
    loop {
        match (old.peek(), new.peek()) {
            (None, None) => break,
            (Some((name, _)), None) => {
                changed.push((name.as_slice(), None));
                old.next();
            }
            (None, Some((name, id))) => {
                changed.push((name.as_slice(), Some(*id)));
                new.next();
            }
            (Some((old_name, old_id)), Some((new_name, new_id))) => match old_name.cmp(new_name) {
                std::cmp::Ordering::Less => {
                    changed.push((old_name.as_slice(), None));
                    old.next();
                }
                std::cmp::Ordering::Greater => {
                    changed.push((new_name.as_slice(), Some(*new_id)));
                    new.next();
                }
                std::cmp::Ordering::Equal => {
                    if old_id != new_id {
                        changed.push((new_name.as_slice(), Some(*new_id)));
                    }
                    old.next();
                    new.next();
                }
            },
        }
    }
    changed
}

/// Where the workspace sits in the work tree, `/`-separated (empty at the top).
fn workspace_prefix(root: &Path, workdir: &Path) -> String {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let workdir = workdir
        .canonicalize()
        .unwrap_or_else(|_| workdir.to_path_buf());
    root.strip_prefix(&workdir)
        .map(|relative| {
            relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/")
        })
        .unwrap_or_default()
}

fn join(prefix: &str, path: &str) -> String {
    let path = path.trim_matches('/');
    if prefix.is_empty() {
        path.to_string()
    } else if path.is_empty() {
        prefix.to_string()
    } else {
        format!("{prefix}/{path}")
    }
}

/// Facts of one patch blob that do not depend on the manifest.
#[derive(Debug, Clone, Copy, Default)]
struct PatchFacts {
    lines_added: usize,
    lines_removed: usize,
    header_date: Option<time::Date>,
}

/// The reading state: the repository and the per-blob caches.
struct Reader<'r> {
    repo: &'r Repository,
    options: &'r HistoryOptions,
    /// Parsed manifests by blob id (`None`: does not parse).
    manifests: HashMap<ObjectId, Option<Arc<Manifest>>>,
    /// Measured patches by blob id (`None`: unreadable).
    patches: HashMap<ObjectId, Option<PatchFacts>>,
    unreadable: usize,
}

impl Reader<'_> {
    fn selected(&self, name: &str) -> bool {
        (self.options.packages.is_empty() || self.options.packages.iter().any(|p| p == name))
            && self.options.shard.is_none_or(|s| s.contains(name))
    }

    /// The id of the entry at `path` (`/`-separated) in the tree `tree`; the tree itself for
    /// an empty path.
    fn entry_id(&self, tree: ObjectId, path: &str) -> Result<Option<ObjectId>, GitError> {
        let components = path.split('/').filter(|c| !c.is_empty()).map(str::as_bytes);
        Ok(self.repo.entry_at(tree, components)?.map(|entry| entry.id))
    }

    /// The package folders of a `patches/` tree: every sub-tree, sorted by name.
    fn package_folders(&self, tree: ObjectId) -> Result<Vec<(Vec<u8>, ObjectId)>, GitError> {
        let mut folders: Vec<(Vec<u8>, ObjectId)> = self
            .repo
            .tree_entries(tree)?
            .into_iter()
            .filter(|entry| entry.kind == EntryKind::Tree)
            .map(|entry| (entry.name, entry.id))
            .collect();
        // Git keeps tree entries sorted already (folders as if their name ended in `/`); a
        // plain sort by name makes the merge below independent of that rule.
        folders.sort_unstable();
        Ok(folders)
    }

    /// Every regular file of a package folder, by `/`-separated path relative to it.
    fn files(&self, tree: ObjectId) -> Result<HashMap<String, ObjectId>, GitError> {
        let mut files = HashMap::new();
        let mut stack = vec![(String::new(), tree)];
        while let Some((prefix, id)) = stack.pop() {
            for entry in self.repo.tree_entries(id)? {
                let Ok(name) = String::from_utf8(entry.name) else {
                    continue;
                };
                let path = if prefix.is_empty() {
                    name
                } else {
                    format!("{prefix}/{name}")
                };
                if entry.kind == EntryKind::Tree {
                    stack.push((path, entry.id));
                } else if entry.kind.is_file() {
                    files.insert(path, entry.id);
                }
            }
        }
        Ok(files)
    }

    /// The bytes of a blob, or `None` when it is larger than the bound.
    fn blob(&self, id: ObjectId) -> Result<Option<Vec<u8>>, GitError> {
        if self.repo.object_size(id)? > self.options.max_blob_bytes {
            return Ok(None);
        }
        self.repo.blob(id).map(Some)
    }

    /// A package folder at one commit.
    fn package(&mut self, name: &str, tree: ObjectId) -> Result<PackageState, GitError> {
        let files = self.files(tree)?;
        let Some(manifest_id) = files.get("package.yaml").copied() else {
            return Ok(PackageState::Removed);
        };
        let Some(manifest) = self.manifest(name, manifest_id)? else {
            return Ok(PackageState::Unreadable);
        };
        let mut version = PackageVersion {
            patches: Vec::with_capacity(manifest.patches.len()),
            expired: manifest
                .expired
                .iter()
                .map(|entry| ExpiredMark {
                    file: entry.file.clone(),
                    release: entry.release.clone(),
                    reason: entry.reason.clone(),
                })
                .collect(),
        };
        for entry in &manifest.patches {
            let facts = match files.get(entry.file.trim_start_matches("./")) {
                Some(id) => self.patch(*id)?,
                None => {
                    self.unreadable += 1;
                    None
                }
            }
            .unwrap_or_default();
            version.patches.push(PatchVersion {
                file: entry.file.clone(),
                lines_added: facts.lines_added,
                lines_removed: facts.lines_removed,
                declared: entry
                    .added
                    .as_deref()
                    .and_then(parse_date)
                    .or(facts.header_date),
            });
        }
        Ok(PackageState::Present(Arc::new(version)))
    }

    fn manifest(&mut self, name: &str, id: ObjectId) -> Result<Option<Arc<Manifest>>, GitError> {
        if let Some(cached) = self.manifests.get(&id) {
            return Ok(cached.clone());
        }
        let parsed = self.blob(id)?.and_then(|bytes| {
            let text = String::from_utf8(bytes).ok()?;
            let path = PathBuf::from(format!("patches/{name}/package.yaml"));
            Manifest::parse(&text, &path).ok().map(Arc::new)
        });
        if parsed.is_none() {
            self.unreadable += 1;
        }
        self.manifests.insert(id, parsed.clone());
        Ok(parsed)
    }

    fn patch(&mut self, id: ObjectId) -> Result<Option<PatchFacts>, GitError> {
        if let Some(cached) = self.patches.get(&id) {
            return Ok(*cached);
        }
        let facts = self.blob(id)?.and_then(|bytes| measure(&bytes));
        if facts.is_none() {
            self.unreadable += 1;
        }
        self.patches.insert(id, facts);
        Ok(facts)
    }
}

/// Lines added and removed and the header's date, as `report::package_report` counts them.
fn measure(bytes: &[u8]) -> Option<PatchFacts> {
    let patches = parse_patches(bytes).ok()?;
    let mut facts = PatchFacts::default();
    for patch in &patches {
        for file in &patch.files {
            for hunk in &file.hunks {
                for line in &hunk.lines {
                    match line.kind {
                        LineKind::Add => facts.lines_added += 1,
                        LineKind::Remove => facts.lines_removed += 1,
                        LineKind::Context => {}
                    }
                }
            }
        }
    }
    if let Some(first) = patches.first() {
        let metadata = read_metadata(&first.header);
        facts.header_date = metadata
            .last_update
            .as_deref()
            .and_then(parse_date)
            .or_else(|| metadata.date.as_deref().and_then(parse_date));
    }
    Some(facts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// Run git hermetically in `dir`, committing at `date`.
    fn git(dir: &Path, date: &str, args: &[&str]) -> String {
        let output = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "A")
            .env("GIT_AUTHOR_EMAIL", "a@example.org")
            .env("GIT_COMMITTER_NAME", "A")
            .env("GIT_COMMITTER_EMAIL", "a@example.org")
            .env("GIT_AUTHOR_DATE", date)
            .env("GIT_COMMITTER_DATE", date)
            .output()
            .expect("run git");
        assert!(output.status.success(), "git {args:?}: {output:?}");
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }

    fn write(root: &Path, path: &str, text: &str) {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    fn commit(root: &Path, date: &str) -> String {
        git(root, date, &["add", "-A"]);
        git(root, date, &["commit", "-q", "-m", "change"]);
        git(root, date, &["rev-parse", "HEAD"])
    }

    const PATCH: &str =
        "Last-Update: 2025-12-24\n--- a/x.c\n+++ b/x.c\n@@ -1,2 +1,2 @@\n one\n-two\n+TWO\n";
    const MANIFEST: &str =
        "upstream:\n  version: \"1.0\"\n  dir: src\npatches:\n  - file: p/0001.patch\n";

    fn version(state: &PackageState) -> &PackageVersion {
        match state {
            PackageState::Present(version) => version,
            other => panic!("not present: {other:?}"),
        }
    }

    /// A repository whose workspace is the folder `ws/`, with five commits on `main` (one of
    /// them a merge) and one on a side branch.
    fn repository(root: &Path) -> Vec<String> {
        git(root, "2026-01-01T00:00:00Z", &["init", "-q", "-b", "main"]);
        let ws = root.join("ws");
        write(&ws, "patches/a/package.yaml", MANIFEST);
        write(&ws, "patches/a/p/0001.patch", PATCH);
        write(root, "README", "one\n");
        let first = commit(root, "2026-01-05T10:00:00Z");
        // Outside the watched paths: not a commit of the history.
        write(root, "README", "two\n");
        commit(root, "2026-01-10T10:00:00Z");
        // A side branch adds package b; main merges it.
        git(
            root,
            "2026-01-11T00:00:00Z",
            &["checkout", "-q", "-b", "side"],
        );
        write(&ws, "patches/b/package.yaml", "upstream: [not a manifest\n");
        commit(root, "2026-01-12T10:00:00Z");
        git(root, "2026-01-13T00:00:00Z", &["checkout", "-q", "main"]);
        git(
            root,
            "2026-02-01T10:00:00Z",
            &["merge", "-q", "--no-ff", "-m", "merge side", "side"],
        );
        let merge = git(root, "2026-02-01T10:00:00Z", &["rev-parse", "HEAD"]);
        // a gains a patch and records an expired one; b is repaired.
        write(
            &ws,
            "patches/a/package.yaml",
            &format!(
                "{MANIFEST}  - file: 0002.patch\n    added: 2026-02-02\nexpired:\n  - file: old.patch\n    release: \"0.9\"\n    reason: patch-id\n"
            ),
        );
        write(
            &ws,
            "patches/a/0002.patch",
            "--- a/y.c\n+++ b/y.c\n@@ -1 +1,2 @@\n y\n+z\n",
        );
        write(
            &ws,
            "patches/b/package.yaml",
            "upstream:\n  version: \"2\"\n  dir: s\npatches: []\n",
        );
        let third = commit(root, "2026-03-03T10:00:00Z");
        // a's folder goes.
        std::fs::remove_dir_all(ws.join("patches/a")).expect("remove a");
        let fourth = commit(root, "2026-04-04T10:00:00Z");
        vec![first, merge, third, fourth]
    }

    #[test]
    fn reads_the_first_parent_commits_that_changed_the_packages() {
        let temp = tempfile::tempdir().expect("temp dir");
        let ids = repository(temp.path());
        let read =
            read_history(&temp.path().join("ws"), &HistoryOptions::default()).expect("history");
        let commits: Vec<&str> = read.commits.iter().map(|c| c.commit.as_str()).collect();
        assert_eq!(
            commits, ids,
            "the README commit and the side branch's are not in it"
        );
        assert!(!read.shallow && !read.truncated);
        assert_eq!(
            read.commits[0].time, 1_767_607_200,
            "2026-01-05T10:00:00Z, the committer's time"
        );

        let first = &read.commits[0].packages;
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].package, "a");
        let a = version(&first[0].state);
        assert_eq!(
            a.patches,
            vec![PatchVersion {
                file: "p/0001.patch".into(),
                lines_added: 1,
                lines_removed: 1,
                declared: parse_date("2025-12-24"),
            }]
        );
        // The merge brought b, whose manifest does not parse.
        let merge = &read.commits[1].packages;
        assert_eq!(merge.len(), 1);
        assert_eq!(merge[0].package, "b");
        assert_eq!(merge[0].state, PackageState::Unreadable);
        assert_eq!(read.unreadable, 1);

        let third = &read.commits[2].packages;
        let names: Vec<&str> = third.iter().map(|c| c.package.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        let a = version(&third[0].state);
        assert_eq!(a.patches.len(), 2);
        assert_eq!(a.patches[1].declared, parse_date("2026-02-02"));
        assert_eq!(
            (a.patches[1].lines_added, a.patches[1].lines_removed),
            (1, 0)
        );
        assert_eq!(
            a.expired,
            vec![ExpiredMark {
                file: "old.patch".into(),
                release: "0.9".into(),
                reason: "patch-id".into(),
            }]
        );
        assert!(version(&third[1].state).patches.is_empty());

        let fourth = &read.commits[3].packages;
        assert_eq!(fourth.len(), 1);
        assert_eq!(fourth[0].state, PackageState::Removed);
    }

    #[test]
    fn watched_paths_and_the_package_selection_are_parameters() {
        let temp = tempfile::tempdir().expect("temp dir");
        let ids = repository(temp.path());
        let options = HistoryOptions {
            watched: vec!["patches".into(), "../README".into()],
            packages: vec!["b".into()],
            ..HistoryOptions::default()
        };
        // `../README` is not inside the workspace: watched paths are joined to its folder, so
        // it names nothing and only `patches` selects commits.
        let read = read_history(&temp.path().join("ws"), &options).expect("history");
        assert_eq!(read.commits.len(), ids.len());
        assert!(read.commits[0].packages.is_empty(), "a is not selected");
        // Watching the whole work tree (the workspace is `ws/`, so `..` is not allowed; watch
        // from the top instead) counts the README commit too.
        let read = read_history(
            temp.path(),
            &HistoryOptions {
                watched: vec![String::new()],
                ..HistoryOptions::default()
            },
        )
        .expect("history");
        assert_eq!(read.commits.len(), ids.len() + 1);
        assert!(
            read.commits.iter().all(|c| c.packages.is_empty()),
            "the top of the repository has no `patches/`"
        );
    }

    #[test]
    fn a_folder_outside_git_is_an_error_and_an_unborn_head_is_empty() {
        let temp = tempfile::tempdir().expect("temp dir");
        let error = read_history(temp.path(), &HistoryOptions::default());
        // The temporary folder may sit inside some repository; only check when it does not.
        if let Err(error) = error {
            assert!(
                matches!(error, HistoryError::NotARepository { .. }),
                "{error}"
            );
        }
        git(
            temp.path(),
            "2026-01-01T00:00:00Z",
            &["init", "-q", "-b", "main"],
        );
        let read = read_history(temp.path(), &HistoryOptions::default()).expect("history");
        assert!(read.commits.is_empty());
    }

    #[test]
    fn changed_folders_are_a_merge_of_two_sorted_lists() {
        let id = |n: u8| ObjectId::from_bytes(&[n; 20]).expect("an id");
        let entry = |name: &str, n: u8| (name.as_bytes().to_vec(), id(n));
        let before = [entry("a", 1), entry("b", 2), entry("d", 4)];
        let now = [entry("b", 2), entry("c", 3), entry("d", 5), entry("e", 6)];
        let changed: Vec<(&str, Option<ObjectId>)> = changed_folders(&before, &now)
            .into_iter()
            .map(|(name, id)| (std::str::from_utf8(name).expect("UTF-8"), id))
            .collect();
        assert_eq!(
            changed,
            [
                ("a", None),
                ("c", Some(id(3))),
                ("d", Some(id(5))),
                ("e", Some(id(6)))
            ]
        );
        assert!(changed_folders(&now, &now).is_empty());
    }

    #[test]
    fn a_blob_over_the_bound_is_unreadable_not_read() {
        let temp = tempfile::tempdir().expect("temp dir");
        repository(temp.path());
        let read = read_history(
            &temp.path().join("ws"),
            &HistoryOptions {
                max_blob_bytes: 16,
                ..HistoryOptions::default()
            },
        )
        .expect("history");
        assert_eq!(read.commits[0].packages[0].state, PackageState::Unreadable);
    }
}

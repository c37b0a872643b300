//! The journal of a multi-file edit, and the recovery of an interrupted one.
//!
//! [`ChangeSet::commit`](super::edit::ChangeSet::commit) replaces several files of one package
//! folder; a kill between two renames would leave some files old and some new, which no single
//! rename can prevent. So before its first rename a commit writes a journal naming every file,
//! the temporary file that holds its new content, the backup that will hold its old content,
//! and the sha256 of both; and the next command that opens the workspace finishes or undoes
//! what the journal describes before reading anything (docs/bounds.md, "The user's files and
//! interrupted commands").
//!
//! Place: `<workspace>/.mindelta/journal/<package folder>.json`, beside `<package folder>.lock`,
//! which a commit and a recovery hold (`flock`) so neither ever works on a live commit of
//! another process. Format: one JSON object (`format`, `version`, `command`, `package`, `state`,
//! `changes: [{file, old_sha256, new_sha256, staged, backup}]`, paths relative to the package
//! folder), written to a temporary file, fsynced, renamed into place and the folder fsynced.
//!
//! `state` is the commit point: `started` until every rename is done and fsynced, then
//! `committed`. Recovery of a `started` journal rolls back (each backup renamed back over its
//! file, each created file and each temporary removed); of a `committed` one it finishes
//! (the backups removed). Either way every file is then checked against the journal's sha256
//! before the journal goes; a file that matches neither keeps the journal and is reported.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::confined;

/// mindelta's state folder at the workspace root (`init` adds an ignore rule for it).
pub const STATE_DIR: &str = ".mindelta";

/// The journals' folder inside [`STATE_DIR`].
const JOURNAL_DIR: &str = "journal";

/// The `format` field every journal carries.
const FORMAT: &str = "mindelta-journal";

/// Largest journal read back. A journal lists each file of one package once (about 300 bytes
/// a file), so 64 MiB is over 200 000 files; anything larger was not written by mindelta and
/// is refused rather than read into memory.
pub const MAX_JOURNAL_BYTES: u64 = 64 << 20;

/// Why a journal could not be written, read or carried out.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("cannot write the journal `{}`", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the journal `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the journal `{}` is damaged: {message}", path.display())]
    Damaged { path: PathBuf, message: String },
    /// A file the journal names could not be restored or completed.
    #[error("cannot {action} `{}` as the journal `{}` says", file.display(), journal.display())]
    Apply {
        action: &'static str,
        file: PathBuf,
        journal: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file holds neither the content the journal expects: someone changed it meanwhile.
    #[error(
        "`{}` does not hold the content the journal `{}` expects; the journal was kept",
        file.display(), journal.display()
    )]
    Mismatch { file: PathBuf, journal: PathBuf },
    /// A journal path goes through a link or out of the package folder.
    #[error("the journal `{}` names a path mindelta will not touch", journal.display())]
    Confined {
        journal: PathBuf,
        #[source]
        source: confined::ConfinedError,
    },
    /// Another edit of the same package was interrupted and is still pending.
    #[error("an interrupted edit of `{package}` is pending (`{}`)", journal.display())]
    Pending { package: String, journal: PathBuf },
}

/// What the recovery of an interrupted edit did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecoveryOutcome {
    /// The commit point was not reached: every file is back to its old content.
    RolledBack,
    /// The commit point was passed: every file holds its new content.
    Finished,
}

/// One interrupted edit found and dealt with.
#[derive(Debug, Clone)]
pub struct Recovery {
    /// The package folder's name.
    pub package: String,
    /// The command that was interrupted (`expire`, `refresh`, …).
    pub command: String,
    pub outcome: RecoveryOutcome,
    /// How many files the edit changed.
    pub files: usize,
}

/// The two states of a journal; `committed` is the commit point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum State {
    Started,
    Committed,
}

/// The journal file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JournalFile {
    format: String,
    version: u32,
    command: String,
    package: String,
    state: State,
    changes: Vec<Entry>,
}

/// One file of the edit; every path is relative to the package folder.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Entry {
    pub file: String,
    /// The sha256 of the content before; `None`: the file did not exist.
    pub old_sha256: Option<String>,
    /// The sha256 of the content after; `None`: the file is removed.
    pub new_sha256: Option<String>,
    /// The temporary file holding the new content (beside `file`).
    pub staged: Option<String>,
    /// The hard link that keeps the old content (beside `file`).
    pub backup: Option<String>,
}

/// One file a commit is about to change: its path relative to the package folder, its
/// content before (`None`: missing) and after (`None`: removed).
pub(crate) struct Planned<'a> {
    pub file: String,
    pub old: Option<&'a [u8]>,
    pub new: Option<&'a [u8]>,
}

/// Where a package's journal lives.
#[derive(Debug, Clone)]
pub struct JournalPlace {
    /// The folder holding mindelta's state folder (the workspace root).
    pub root: PathBuf,
    /// The package folder's name under `patches/` (the journal's name).
    pub package: String,
    /// The folder the edit's paths are relative to, when it is not `root/patches/<package>`:
    /// a workspace read in place edits files beside its patch folder (`<pkg>.yaml` of a
    /// melange repository, `debian/patches/series`).
    pub folder: Option<PathBuf>,
}

impl JournalPlace {
    fn folder(&self) -> PathBuf {
        self.root.join(STATE_DIR).join(JOURNAL_DIR)
    }

    /// The journal file.
    pub fn path(&self) -> PathBuf {
        self.folder().join(format!("{}.json", self.package))
    }

    fn lock_path(&self) -> PathBuf {
        self.folder().join(format!("{}.lock", self.package))
    }

    /// The package folder (every path of the edit is inside it).
    pub fn package_dir(&self) -> PathBuf {
        match &self.folder {
            Some(folder) => folder.clone(),
            None => self.root.join("patches").join(&self.package),
        }
    }

    /// Whether a journal is waiting to be recovered (no lock taken, nothing written).
    pub fn is_pending(&self) -> bool {
        std::fs::symlink_metadata(self.path()).is_ok()
    }
}

/// The package folders that have a journal in the workspace at `root`, sorted.
pub fn pending(root: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(root.join(STATE_DIR).join(JOURNAL_DIR)) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter_map(|name| name.strip_suffix(".json").map(str::to_string))
        .filter(|name| !name.is_empty() && !name.starts_with('.'))
        .collect();
    names.sort();
    names
}

/// Finish or roll back the interrupted edit of one package, if there is one.
pub fn recover(place: &JournalPlace) -> Result<Option<Recovery>, JournalError> {
    if !place.is_pending() {
        return Ok(None);
    }
    let lock = lock(place)?;
    let Some(journal) = Journal::read(place, lock)? else {
        return Ok(None);
    };
    let files = journal.file.changes.len();
    let outcome = match journal.file.state {
        State::Started => {
            journal.roll_back()?;
            RecoveryOutcome::RolledBack
        }
        State::Committed => {
            journal.finish()?;
            RecoveryOutcome::Finished
        }
    };
    let recovery = Recovery {
        package: place.package.clone(),
        command: journal.file.command.clone(),
        outcome,
        files,
    };
    journal.remove()?;
    Ok(Some(recovery))
}

/// Take the package's journal lock, waiting for a live commit of another process to end.
fn lock(place: &JournalPlace) -> Result<File, JournalError> {
    let folder = place.folder();
    let write_error = |source| JournalError::Write {
        path: folder.clone(),
        source,
    };
    // The state folder must be a real folder of the workspace: a link would let the journal
    // (and its lock) live anywhere.
    confined::check(&place.root, &folder).map_err(|source| JournalError::Confined {
        journal: place.path(),
        source,
    })?;
    std::fs::create_dir_all(&folder).map_err(write_error)?;
    let path = place.lock_path();
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| JournalError::Write {
            path: path.clone(),
            source,
        })?;
    file.lock()
        .map_err(|source| JournalError::Write { path, source })?;
    Ok(file)
}

/// A journal on disk, with its package's lock held.
pub(crate) struct Journal {
    place: JournalPlace,
    dir: PathBuf,
    file: JournalFile,
    _lock: File,
}

impl Journal {
    /// Take the lock, check that no interrupted edit is pending, and write a `started` journal
    /// for `changes`. The temporary and backup names are chosen here, so the journal names
    /// them before they exist.
    pub(crate) fn begin(
        place: &JournalPlace,
        command: &str,
        changes: &[Planned],
    ) -> Result<Journal, JournalError> {
        let lock = lock(place)?;
        if place.is_pending() {
            return Err(JournalError::Pending {
                package: place.package.clone(),
                journal: place.path(),
            });
        }
        let id = unique_id();
        let entries = changes
            .iter()
            .map(|change| Entry {
                file: change.file.clone(),
                old_sha256: change.old.map(sha256),
                new_sha256: change.new.map(sha256),
                staged: change.new.map(|_| beside(&change.file, "new", &id)),
                backup: change.old.map(|_| beside(&change.file, "backup", &id)),
            })
            .collect();
        let journal = Journal {
            place: place.clone(),
            dir: place.package_dir(),
            file: JournalFile {
                format: FORMAT.into(),
                version: 1,
                command: command.into(),
                package: place.package.clone(),
                state: State::Started,
                changes: entries,
            },
            _lock: lock,
        };
        journal.write()?;
        Ok(journal)
    }

    /// Read the journal of `place` (the lock is held); `None` when it is gone.
    fn read(place: &JournalPlace, lock: File) -> Result<Option<Journal>, JournalError> {
        let path = place.path();
        let read_error = |source| JournalError::Read {
            path: path.clone(),
            source,
        };
        let file = match std::fs::File::open(&path) {
            Ok(file) => file,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(read_error(error)),
        };
        let mut bytes = Vec::new();
        file.take(MAX_JOURNAL_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(read_error)?;
        let damaged = |message: String| JournalError::Damaged {
            path: path.clone(),
            message,
        };
        if bytes.len() as u64 > MAX_JOURNAL_BYTES {
            return Err(damaged(format!(
                "it is larger than {MAX_JOURNAL_BYTES} bytes"
            )));
        }
        let file: JournalFile =
            serde_json::from_slice(&bytes).map_err(|e| damaged(e.to_string()))?;
        if file.format != FORMAT || file.version != 1 {
            return Err(damaged(format!(
                "format `{}` version {} is not `{FORMAT}` version 1",
                file.format, file.version
            )));
        }
        if file.package != place.package {
            return Err(damaged(format!(
                "it is the journal of `{}`, not of `{}`",
                file.package, place.package
            )));
        }
        // Temporary and backup names are mindelta's own, beside their file.
        for entry in &file.changes {
            for name in [&entry.staged, &entry.backup].into_iter().flatten() {
                let ours = Path::new(name).parent() == Path::new(&entry.file).parent()
                    && Path::new(name)
                        .file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with('.') && n.contains(".mindelta-"));
                if !ours {
                    return Err(damaged(format!(
                        "`{name}` is not a temporary or backup name of `{}`",
                        entry.file
                    )));
                }
            }
        }
        Ok(Some(Journal {
            place: place.clone(),
            dir: place.package_dir(),
            file,
            _lock: lock,
        }))
    }

    /// The journal's entries, in the order the files are changed.
    pub(crate) fn entries(&self) -> &[Entry] {
        &self.file.changes
    }

    /// The package folder.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// The journal's own path.
    pub(crate) fn path(&self) -> PathBuf {
        self.place.path()
    }

    /// Pass the commit point: every rename is done and fsynced.
    pub(crate) fn mark_committed(&mut self) -> Result<(), JournalError> {
        self.file.state = State::Committed;
        self.write()
    }

    /// Write the journal atomically and durably (temporary file, fsync, rename, fsync folder).
    fn write(&self) -> Result<(), JournalError> {
        let path = self.place.path();
        let folder = self.place.folder();
        let write_error = |source| JournalError::Write {
            path: path.clone(),
            source,
        };
        let mut text = serde_json::to_vec_pretty(&self.file)
            .map_err(|e| write_error(std::io::Error::other(e)))?;
        text.push(b'\n');
        let mut temp = tempfile::Builder::new()
            .prefix(&format!(".{}.json-", self.place.package))
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666))
            .tempfile_in(&folder)
            .map_err(write_error)?;
        temp.write_all(&text).map_err(write_error)?;
        temp.as_file().sync_all().map_err(write_error)?;
        temp.persist(&path).map_err(|e| write_error(e.error))?;
        sync_folder(&folder).map_err(write_error)?;
        step();
        Ok(())
    }

    /// Remove the journal (the edit is complete either way) and make that durable.
    pub(crate) fn remove(self) -> Result<(), JournalError> {
        let path = self.place.path();
        std::fs::remove_file(&path).map_err(|source| JournalError::Write {
            path: path.clone(),
            source,
        })?;
        sync_folder(&self.place.folder()).map_err(|source| JournalError::Write { path, source })?;
        step();
        Ok(())
    }

    /// The absolute path of a name the journal holds, checked to stay in the package folder
    /// without a link.
    fn resolve(&self, relative: &str) -> Result<PathBuf, JournalError> {
        let path = self.dir.join(relative);
        confined::check(&self.dir, &path).map_err(|source| JournalError::Confined {
            journal: self.place.path(),
            source,
        })?;
        Ok(path)
    }

    fn apply_error(
        &self,
        action: &'static str,
        file: &Path,
    ) -> impl FnOnce(std::io::Error) -> JournalError {
        let file = file.to_path_buf();
        let journal = self.place.path();
        move |source| JournalError::Apply {
            action,
            file,
            journal,
            source,
        }
    }

    /// Every path of the journal, resolved and checked before anything is touched.
    fn resolve_all(&self) -> Result<Vec<Resolved>, JournalError> {
        let optional = |name: &Option<String>| name.as_deref().map(|n| self.resolve(n)).transpose();
        self.file
            .changes
            .iter()
            .map(|entry| {
                Ok(Resolved {
                    target: self.resolve(&entry.file)?,
                    staged: optional(&entry.staged)?,
                    backup: optional(&entry.backup)?,
                })
            })
            .collect()
    }

    /// Put every file back to its old content, newest change first; remove the temporaries.
    pub(crate) fn roll_back(&self) -> Result<(), JournalError> {
        let resolved = self.resolve_all()?;
        for (entry, paths) in self.file.changes.iter().zip(resolved).rev() {
            let Resolved {
                target,
                staged,
                backup,
            } = paths;
            if let Some(staged) = staged {
                remove_if_exists(&staged).map_err(self.apply_error("remove", &staged))?;
            }
            match &entry.old_sha256 {
                Some(_) => {
                    if let Some(backup) = backup.filter(|b| exists(b)) {
                        if same_file(&backup, &target) {
                            // The backup link was made, the replacement was not: the file is
                            // still old (and `rename` between two links of one file does
                            // nothing, so the backup is removed instead).
                            std::fs::remove_file(&backup)
                                .map_err(self.apply_error("remove", &backup))?;
                        } else {
                            std::fs::rename(&backup, &target)
                                .map_err(self.apply_error("restore", &target))?;
                        }
                    }
                }
                None => {
                    // Created by the edit: removed, but only if it holds what the edit wrote.
                    if exists(&target) && self.holds(&target, entry.new_sha256.as_deref())? {
                        std::fs::remove_file(&target)
                            .map_err(self.apply_error("remove", &target))?;
                    }
                }
            }
            if !self.holds(&target, entry.old_sha256.as_deref())? {
                return Err(JournalError::Mismatch {
                    file: target,
                    journal: self.place.path(),
                });
            }
        }
        self.sync_folders();
        Ok(())
    }

    /// Complete an edit past its commit point: remove the backups (and any temporary), check
    /// every file holds its new content.
    pub(crate) fn finish(&self) -> Result<(), JournalError> {
        let resolved = self.resolve_all()?;
        for (entry, paths) in self.file.changes.iter().zip(resolved) {
            let Resolved {
                target,
                staged,
                backup,
            } = paths;
            for path in [staged, backup].into_iter().flatten() {
                if exists(&path) {
                    remove_if_exists(&path).map_err(self.apply_error("remove", &path))?;
                    step();
                }
            }
            if !self.holds(&target, entry.new_sha256.as_deref())? {
                return Err(JournalError::Mismatch {
                    file: target,
                    journal: self.place.path(),
                });
            }
        }
        self.sync_folders();
        Ok(())
    }

    /// Whether `path` holds the content of sha256 `expected` (`None`: does not exist).
    fn holds(&self, path: &Path, expected: Option<&str>) -> Result<bool, JournalError> {
        let current =
            confined::read_if_exists(&self.dir, path).map_err(|source| JournalError::Read {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(match (current, expected) {
            (None, None) => true,
            (Some(bytes), Some(expected)) => sha256(&bytes) == expected,
            _ => false,
        })
    }

    /// Make the renames and removals in the package's folders durable.
    pub(crate) fn sync_folders(&self) {
        let mut folders: Vec<PathBuf> = self
            .file
            .changes
            .iter()
            .filter_map(|e| self.dir.join(&e.file).parent().map(Path::to_path_buf))
            .collect();
        folders.sort();
        folders.dedup();
        for folder in folders {
            // Best effort: some file systems cannot fsync a folder; the rename is still atomic.
            let _ = sync_folder(&folder);
        }
    }
}

/// The absolute paths of one journal entry.
struct Resolved {
    target: PathBuf,
    staged: Option<PathBuf>,
    backup: Option<PathBuf>,
}

/// fsync a folder, so the renames and removals in it survive a crash of the machine.
pub(crate) fn sync_folder(folder: &Path) -> std::io::Result<()> {
    match File::open(folder).and_then(|dir| dir.sync_all()) {
        Ok(()) => Ok(()),
        // File systems that cannot fsync a folder (EINVAL) order their metadata themselves.
        Err(error) if error.raw_os_error() == Some(rustix::io::Errno::INVAL.raw_os_error()) => {
            Ok(())
        }
        Err(error) => Err(error),
    }
}

fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

fn remove_if_exists(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::symlink_metadata(a), std::fs::symlink_metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

pub(crate) fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// `.<name>.mindelta-<role>-<id>` in the folder of `file` (the name cut to 100 characters, so
/// the result stays a valid file name).
fn beside(file: &str, role: &str, id: &str) -> String {
    let (folder, name) = match file.rsplit_once('/') {
        Some((folder, name)) => (Some(folder), name),
        None => (None, file),
    };
    let short: String = name.chars().take(100).collect();
    let base = format!(".{short}.mindelta-{role}-{id}");
    match folder {
        Some(folder) => format!("{folder}/{base}"),
        None => base,
    }
}

/// A name no other commit uses: the process id, the time and a counter, hashed.
fn unique_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let seed = format!(
        "{}-{}-{}",
        std::process::id(),
        now.as_nanos(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    sha256(seed.as_bytes())[..12].to_string()
}

/// A hook called with a running count after each durable step of a commit or a `prepare`.
pub type StepHook = Box<dyn Fn(usize) + Send + Sync>;

static STEP_HOOK: OnceLock<StepHook> = OnceLock::new();
static STEPS: AtomicUsize = AtomicUsize::new(0);

/// Install a hook called after every durable step (a journal written, a file staged, linked,
/// renamed or removed, a staging folder filled). The command line uses it to stop the process
/// at step N as a kill would (`MINDELTA_TEST_ABORT_AFTER_STEP`), so the tests can interrupt a
/// commit at every step. Only the first hook installed counts.
pub fn set_step_hook(hook: StepHook) {
    let _ = STEP_HOOK.set(hook);
}

/// Count one durable step and tell the hook.
pub(crate) fn step() {
    let count = STEPS.fetch_add(1, Ordering::SeqCst) + 1;
    if let Some(hook) = STEP_HOOK.get() {
        hook(count);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_beside_the_file_stay_short() {
        assert_eq!(
            beside("debian/fix.patch", "new", "abc"),
            "debian/.fix.patch.mindelta-new-abc"
        );
        let long = "x".repeat(250);
        assert!(beside(&long, "backup", "abc").len() < 255);
        assert_ne!(unique_id(), unique_id());
    }
}

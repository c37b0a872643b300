//! The state of an unfinished upgrade, under `.mindelta/upgrade/<package>/` (beside the
//! journals: a Debian source package keeps it in the folder above the tree):
//! - `state.json`: the release, the steps decided so far, the stop; written atomically, last;
//! - `carried/<index>.patch`: the bytes of each patch carried so far (refreshed, merged or
//!   resolved), so a resume rebuilds R as the carried patches leave it without merging again;
//! - `tree/`: the work tree of the stop (R with the carried patches, the conflicts marked);
//! - `<package>.lock` beside the folder: held by a running upgrade.

use std::fs::File;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::UpgradeError;
use super::carry::ConflictFile;
use crate::refresh::SeriesPatch;
use crate::workspace::journal::STATE_DIR;
use crate::workspace::{Package, Workspace, confined};

/// The work tree's folder in the state folder.
pub(super) const TREE: &str = "tree";
const STATE_FILE: &str = "state.json";
const CARRIED: &str = "carried";

/// What happened to one patch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// `check` proves it expired: dropped, with its evidence.
    Expired,
    /// Applies to R with zero fuzz where it says: left byte-identical.
    Kept,
    /// Applies with offsets (new line numbers) or with a file upstream moved.
    Refreshed,
    /// Some hunks are already in R and went; the rest applies.
    Shrunk,
    /// Did not apply; merged three ways cleanly and rewritten.
    Merged,
    /// The merge leaves R unchanged: upstream made the change.
    MergedEmpty,
    /// Stopped at a conflict and resolved by the user (`--continue`).
    Resolved,
    /// Dropped by the user at a stop (`--skip`).
    Skipped,
    /// A real conflict (`--no-stop` leaves the patch untouched; otherwise the run stops).
    Conflict,
}

impl Outcome {
    /// The word used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Expired => "expired",
            Outcome::Kept => "kept",
            Outcome::Refreshed => "refreshed",
            Outcome::Shrunk => "shrunk",
            Outcome::Merged => "merged",
            Outcome::MergedEmpty => "merged-empty",
            Outcome::Resolved => "resolved",
            Outcome::Skipped => "skipped",
            Outcome::Conflict => "conflict",
        }
    }

    /// The patch goes on R (its carried bytes are in the state).
    pub fn carries(self) -> bool {
        matches!(
            self,
            Outcome::Kept
                | Outcome::Refreshed
                | Outcome::Shrunk
                | Outcome::Merged
                | Outcome::Resolved
        )
    }

    /// The patch leaves the series, recorded in `expired:`.
    pub fn drops(self) -> bool {
        matches!(
            self,
            Outcome::Expired | Outcome::MergedEmpty | Outcome::Skipped
        )
    }
}

/// One patch's step.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Step {
    pub file: String,
    pub outcome: Outcome,
    /// For a dropped patch: the reason recorded in `expired:` (a detector, `merged-empty`,
    /// `dropped`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<ConflictFile>,
}

/// Where a run stopped.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stop {
    pub patch: String,
    /// Its place in the series.
    pub index: usize,
    /// The tree paths it touches (what `--continue` reads back).
    pub touched: Vec<String>,
}

/// An unfinished upgrade.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UpgradeState {
    pub package: String,
    pub from: String,
    pub release: String,
    pub date: String,
    /// sha256 of the manifest and the patch files when the run started: a resume refuses a
    /// package changed since.
    pub fingerprint: String,
    /// `check`'s expired patches, with their evidence.
    pub expired: Vec<Step>,
    /// The steps decided, in series order.
    pub steps: Vec<Step>,
    pub stop: Option<Stop>,
}

/// The state folder of `package`'s upgrade.
pub fn state_dir(workspace: &Workspace, package: &str) -> PathBuf {
    let place = workspace.journal_place(package);
    place
        .root
        .join(STATE_DIR)
        .join("upgrade")
        .join(place.package)
}

impl UpgradeState {
    /// The saved state in `dir`, if a run stopped there.
    pub fn load(dir: &Path) -> Result<Option<UpgradeState>, UpgradeError> {
        let path = dir.join(STATE_FILE);
        let text = match std::fs::read(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(UpgradeError::Io { path, source }),
        };
        let state: UpgradeState =
            serde_json::from_slice(&text).map_err(|error| UpgradeError::State {
                package: dir
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                path: path.clone(),
                message: error.to_string(),
            })?;
        Ok(Some(state))
    }

    /// Write the state atomically: the commit point of a stop.
    pub(super) fn save(&self, dir: &Path) -> Result<(), UpgradeError> {
        let path = dir.join(STATE_FILE);
        let text = serde_json::to_vec_pretty(self).expect("the state serializes");
        crate::workspace::write::write_atomically(&path, &text)
            .map_err(|source| UpgradeError::Io { path, source })
    }

    /// The error for a state that does not fit the package.
    pub(super) fn damaged(&self, dir: &Path, message: &str) -> UpgradeError {
        UpgradeError::State {
            package: self.package.clone(),
            path: dir.join(STATE_FILE),
            message: message.to_string(),
        }
    }
}

/// A held upgrade lock, `PKG.lock` beside the state folder. Once no unfinished upgrade is left
/// (the state folder is gone), dropping it removes the lock file, and `.mindelta/upgrade/`
/// when that is empty: a finished or aborted upgrade leaves nothing behind.
pub(super) struct Lock {
    file: File,
    path: PathBuf,
    dir: PathBuf,
}

impl Drop for Lock {
    fn drop(&mut self) {
        if std::fs::symlink_metadata(&self.dir).is_ok() {
            return;
        }
        // Removed while held: a run that opened the file before sees, once it holds it, that
        // the path no longer names it, and opens the path again (`lock`).
        let _ = std::fs::remove_file(&self.path);
        // `.mindelta/upgrade/`, then `.mindelta/`, when nothing else is in them.
        for folder in self.path.ancestors().skip(1).take(2) {
            if std::fs::remove_dir(folder).is_err() {
                break;
            }
        }
        let _ = self.file.unlock();
    }
}

/// Take the package's upgrade lock (refused, not waited for, when another run holds it).
pub(super) fn lock(dir: &Path, package: &str) -> Result<Lock, UpgradeError> {
    let parent = dir.parent().unwrap_or(dir);
    // `.mindelta/upgrade` must be real folders of the workspace, never links elsewhere.
    if let Some(root) = parent.parent().and_then(Path::parent) {
        confined::check(root, dir).map_err(|error| UpgradeError::Io {
            path: dir.to_path_buf(),
            source: error.into_io(),
        })?;
    }
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let path = parent.join(format!("{name}.lock"));
    let io = |source| UpgradeError::Io {
        path: path.clone(),
        source,
    };
    // Another run may remove the file, and its folder, between two steps: try again, a bounded
    // number of times.
    for _ in 0..100 {
        fs_err::create_dir_all(parent).map_err(|source| UpgradeError::Io {
            path: parent.to_path_buf(),
            source,
        })?;
        // Never through a link: a lock file planted as a link to elsewhere is refused.
        use std::os::unix::fs::OpenOptionsExt;
        let file = match std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
            .open(&path)
        {
            Ok(file) => file,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) if error.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) => {
                return Err(io(std::io::Error::other(
                    "it is a symbolic link, which mindelta never writes through: remove it",
                )));
            }
            Err(error) => return Err(io(error)),
        };
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(UpgradeError::Busy {
                    package: package.to_string(),
                    lock: path,
                });
            }
            Err(std::fs::TryLockError::Error(source)) => return Err(io(source)),
        }
        // The file may have been removed by the run that held it before: then it locks nothing.
        use std::os::unix::fs::MetadataExt;
        let held = file.metadata().map_err(io)?;
        match std::fs::metadata(&path) {
            Ok(named) if named.dev() == held.dev() && named.ino() == held.ino() => {
                return Ok(Lock {
                    file,
                    path,
                    dir: dir.to_path_buf(),
                });
            }
            Ok(_) => continue,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) => return Err(io(error)),
        }
    }
    Err(UpgradeError::Busy {
        package: package.to_string(),
        lock: path,
    })
}

/// Remove the state folder (nothing when there is none).
pub(super) fn clear(dir: &Path) -> Result<(), UpgradeError> {
    match std::fs::symlink_metadata(dir) {
        Err(_) => Ok(()),
        Ok(meta) if meta.file_type().is_symlink() || meta.is_file() => fs_err::remove_file(dir)
            .map_err(|source| UpgradeError::Io {
                path: dir.to_path_buf(),
                source,
            }),
        Ok(_) => {
            // The state file first: a kill halfway leaves litter, never a half state.
            let state = dir.join(STATE_FILE);
            if state.exists() {
                fs_err::remove_file(&state).map_err(|source| UpgradeError::Io {
                    path: state.clone(),
                    source,
                })?;
            }
            fs_err::remove_dir_all(dir).map_err(|source| UpgradeError::Io {
                path: dir.to_path_buf(),
                source,
            })
        }
    }
}

/// The sha256 of the package's manifest and patch files.
pub(super) fn fingerprint(package: &Package, series: &[SeriesPatch]) -> String {
    let mut hash = Sha256::new();
    hash.update(std::fs::read(&package.manifest_path).unwrap_or_default());
    for patch in series {
        hash.update(patch.file.as_bytes());
        hash.update([0]);
        hash.update(&patch.bytes);
    }
    hex::encode(hash.finalize())
}

pub(super) fn write_carried(dir: &Path, index: usize, bytes: &[u8]) -> Result<(), UpgradeError> {
    let folder = dir.join(CARRIED);
    fs_err::create_dir_all(&folder).map_err(|source| UpgradeError::Io {
        path: folder.clone(),
        source,
    })?;
    let path = folder.join(format!("{index}.patch"));
    crate::workspace::write::write_atomically(&path, bytes)
        .map_err(|source| UpgradeError::Io { path, source })
}

pub(super) fn read_carried(
    dir: &Path,
    index: usize,
    patch: &SeriesPatch,
) -> Result<Vec<u8>, UpgradeError> {
    let path = dir.join(CARRIED).join(format!("{index}.patch"));
    std::fs::read(&path).map_err(|error| UpgradeError::State {
        package: String::new(),
        path: path.clone(),
        message: format!("the carried `{}` cannot be read: {error}", patch.file),
    })
}

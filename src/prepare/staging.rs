//! Staging folders beside `--out`, and the removal of those a killed run left behind.
//!
//! `prepare` builds the tree in `.mindelta-prepare-XXXXXX/` beside its output, then swaps it
//! into place. A killed run never gets to remove that folder (a kernel tree is hundreds of
//! MB), so each run holds an exclusive `flock` on its staging folder for as long as it lives,
//! and the next run removes every `.mindelta-prepare-*` folder beside the output whose lock it
//! can take: the kernel drops a lock when its process dies, so a lock that can be taken
//! belongs to a dead run, and a live run's folder (another `prepare` writing to the same place)
//! is left alone.
//!
//! A run locks its folder just after creating it; a cleaner that locks the new folder first
//! removes it, so the creator checks, once it holds the lock, that its folder still exists
//! (a removed folder has no links, or cannot be opened at all) and otherwise starts over with
//! a new name.

use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The name prefix of staging folders.
pub const PREFIX: &str = ".mindelta-prepare-";

/// A locked staging folder, removed when dropped.
#[derive(Debug)]
pub struct Staging {
    path: PathBuf,
    _lock: File,
}

impl Staging {
    /// Create and lock a new staging folder in `parent`.
    pub fn create(parent: &Path) -> std::io::Result<Staging> {
        loop {
            let path = tempfile::Builder::new()
                .prefix(PREFIX)
                .tempdir_in(parent)?
                .keep();
            // A cleaner that locked the new folder before us may already have removed it.
            let lock = match File::open(&path) {
                Ok(lock) => lock,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
                Err(error) => return Err(error),
            };
            // Where the file system has no locks, the folder stays unlocked: cleaners cannot
            // lock it either, so they leave it alone.
            let locked = lock.lock().is_ok();
            if !locked || lock.metadata()?.nlink() > 0 {
                return Ok(Staging { path, _lock: lock });
            }
        }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        // Still locked while it goes; a kill here leaves it to the next run.
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Remove the staging folders of dead runs in `parent`; the folders removed.
pub fn remove_stale(parent: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let is_staging = entry
            .file_name()
            .to_str()
            .is_some_and(|name| name.starts_with(PREFIX));
        // `file_type` does not follow links: a link named like a staging folder is left alone.
        if !is_staging || !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let path = entry.path();
        let Ok(lock) = File::open(&path) else {
            continue;
        };
        if lock.try_lock().is_ok() && std::fs::remove_dir_all(&path).is_ok() {
            removed.push(path);
        }
    }
    removed.sort();
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unlocked_staging_folders_are_removed() {
        let temp = tempfile::tempdir().unwrap();
        let dead = temp.path().join(format!("{PREFIX}dead"));
        std::fs::create_dir_all(dead.join("tree/src")).unwrap();
        std::fs::write(dead.join("tree/src/big.c"), "x").unwrap();
        let live = Staging::create(temp.path()).unwrap();
        let other = temp.path().join("mine");
        std::fs::create_dir_all(&other).unwrap();
        std::os::unix::fs::symlink(&other, temp.path().join(format!("{PREFIX}link"))).unwrap();

        assert_eq!(remove_stale(temp.path()), vec![dead.clone()]);
        assert!(!dead.exists());
        assert!(live.path().is_dir(), "a live run's folder stays");
        assert!(other.is_dir());
        let path = live.path().to_path_buf();
        drop(live);
        assert!(!path.exists());
    }

    #[test]
    fn a_cleaner_racing_the_creation_never_fails_it() {
        let temp = tempfile::tempdir().unwrap();
        let parent = temp.path().to_path_buf();
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let cleaner = {
            let (parent, done) = (parent.clone(), done.clone());
            std::thread::spawn(move || {
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    remove_stale(&parent);
                }
            })
        };
        for _ in 0..3000 {
            let staging = Staging::create(&parent).expect("created despite the cleaner");
            assert!(staging.path().is_dir(), "a locked folder is never removed");
        }
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        cleaner.join().unwrap();
    }
}

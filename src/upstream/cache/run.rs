//! One folder per running process under `<cache>/tmp/`, and the removal of the folders that
//! dead runs left behind (a killed download can leave gigabytes there).
//!
//! A run's folder is named `run-<host>-<pid>-<start>`: a hash of the host name, the process id
//! and the process's start time (Linux's `/proc/<pid>/stat`, in clock ticks since boot). The
//! first time a process uses a cache's `tmp/`, it removes every run folder of its own host
//! whose owner is gone: no process with that id, or one with another start time (the id was
//! reused). A live run's folder is never touched, and neither is another host's (a cache on a
//! shared file system). Where start times cannot be read, a process that exists counts as the
//! owner, which errs towards keeping a folder.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use crate::upstream::FetchError;

/// Prefix of every run folder.
const PREFIX: &str = "run-";

/// Remove the folders of dead runs from `tmp` (a real folder), once per process and cache.
pub(super) fn sweep_once(tmp: &Path) {
    static SWEPT: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);
    let first = {
        let mut swept = SWEPT
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        swept
            .get_or_insert_with(HashSet::new)
            .insert(tmp.to_path_buf())
    };
    if first {
        sweep(tmp, &Owner::current());
    }
}

/// This process's folder in the cache whose `tmp/` is `tmp` (created), after removing those
/// of dead runs.
pub(super) fn folder(tmp: &Path) -> Result<PathBuf, FetchError> {
    sweep_once(tmp);
    let folder = tmp.join(Owner::current().name());
    match fs_err::create_dir(&folder) {
        Ok(()) => Ok(folder),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            match std::fs::symlink_metadata(&folder) {
                Ok(meta) if meta.is_dir() => Ok(folder),
                _ => {
                    // Not a folder of ours (a link planted there): replace it.
                    fs_err::remove_file(&folder).map_err(|e| FetchError::io(&folder, e))?;
                    fs_err::create_dir(&folder).map_err(|e| FetchError::io(&folder, e))?;
                    Ok(folder)
                }
            }
        }
        Err(error) => Err(FetchError::io(&folder, error)),
    }
}

/// Remove the run folders of dead runs of this host, and any link, from `tmp`. Failures are
/// logged, not fatal: litter is no reason to fail the command.
fn sweep(tmp: &Path, me: &Owner) {
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let result = if kind.is_symlink() {
            std::fs::remove_file(&path)
        } else {
            let name = entry.file_name();
            let Some(owner) = name.to_str().and_then(Owner::parse) else {
                continue;
            };
            if owner.host != me.host || owner == *me || owner.is_alive() {
                continue;
            }
            tracing::info!(path = %path.display(), "removing what a dead run left in the cache");
            if kind.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            }
        };
        if let Err(error) = result {
            tracing::warn!(path = %path.display(), %error, "cannot remove a dead run's files");
        }
    }
}

/// The process a run folder belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Owner {
    /// The first 16 hex digits of the sha256 of the host name.
    host: String,
    pid: u32,
    /// Start time in clock ticks since boot; 0 where it cannot be read.
    start: u64,
}

impl Owner {
    /// This process.
    fn current() -> Owner {
        static CURRENT: OnceLock<Owner> = OnceLock::new();
        CURRENT
            .get_or_init(|| {
                let pid = std::process::id();
                Owner {
                    host: host_hash(),
                    pid,
                    start: start_time(pid).unwrap_or(0),
                }
            })
            .clone()
    }

    fn name(&self) -> String {
        format!("{PREFIX}{}-{}-{}", self.host, self.pid, self.start)
    }

    /// The owner a folder name says, if it is a run folder's.
    fn parse(name: &str) -> Option<Owner> {
        let rest = name.strip_prefix(PREFIX)?;
        let mut parts = rest.split('-');
        let host = parts.next()?.to_owned();
        let pid = parts.next()?.parse().ok()?;
        let start = parts.next()?.parse().ok()?;
        if parts.next().is_some() || host.len() != 16 {
            return None;
        }
        Some(Owner { host, pid, start })
    }

    /// Whether the process is still running.
    fn is_alive(&self) -> bool {
        if Path::new("/proc/self/stat").exists() {
            return start_time(self.pid).is_some_and(|start| start == self.start);
        }
        process_exists(self.pid)
    }
}

/// A short, path-safe stand-in for the host name.
fn host_hash() -> String {
    #[cfg(unix)]
    let host = rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned();
    #[cfg(not(unix))]
    let host = std::env::var("COMPUTERNAME").unwrap_or_default();
    super::sha256_hex(host.as_bytes())[..16].to_owned()
}

/// A process's start time, from `/proc/<pid>/stat` (field 22), on Linux.
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces and parentheses.
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(19)?.parse().ok()
}

/// Whether a process with this id exists (where `/proc` is not there to say more).
fn process_exists(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Some(pid) = i32::try_from(pid)
            .ok()
            .and_then(rustix::process::Pid::from_raw)
        else {
            return false;
        };
        match rustix::process::test_kill_process(pid) {
            Ok(()) => true,
            // It exists, and belongs to someone else.
            Err(error) => error == rustix::io::Errno::PERM,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_this_run_is_alive() {
        let me = Owner::current();
        assert_eq!(Owner::parse(&me.name()), Some(me.clone()));
        assert!(me.is_alive());
        assert_eq!(Owner::parse("run-x-1-2"), None);
        assert_eq!(Owner::parse("download-abc"), None);
    }

    #[test]
    fn removes_dead_runs_and_keeps_live_ones() {
        let temp = tempfile::tempdir().unwrap();
        let tmp = temp.path();
        let me = Owner::current();
        // A process that has exited: its id is free (and if reused, its start time differs).
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead_pid = child.id();
        child.wait().unwrap();
        let dead = Owner {
            pid: dead_pid,
            start: 1,
            ..me.clone()
        };
        let other_host = Owner {
            host: "0123456789abcdef".into(),
            ..dead.clone()
        };
        for owner in [&dead, &other_host, &me] {
            std::fs::create_dir_all(tmp.join(owner.name()).join("partial")).unwrap();
        }
        sweep(tmp, &me);
        assert!(!tmp.join(dead.name()).exists(), "a dead run's folder goes");
        assert!(tmp.join(other_host.name()).exists(), "another host's stays");
        assert!(
            tmp.join(me.name()).join("partial").exists(),
            "a live run's stays"
        );
    }
}

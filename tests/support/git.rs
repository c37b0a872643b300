//! Hermetic git repositories for integration tests, built with git's own CLI.
//!
//! Every command runs with `GIT_CONFIG_GLOBAL=/dev/null` and `GIT_CONFIG_NOSYSTEM=1`, a fixed
//! author and committer, and dates that step by one minute per commit, so commit ids are the
//! same on every machine and every run.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::Command;

/// First commit date (2023-11-14 22:13:20 UTC); each commit adds a minute.
const EPOCH: u64 = 1_700_000_000;

/// A git work tree driven through the `git` CLI.
pub struct GitRepo {
    dir: PathBuf,
    commits: Cell<u64>,
}

impl GitRepo {
    /// `git init` a repository (branch `main`) in `dir`, created if missing.
    pub fn new(dir: impl Into<PathBuf>) -> GitRepo {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).expect("create the repository folder");
        let repo = GitRepo {
            dir,
            commits: Cell::new(0),
        };
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    /// The work tree.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Write a file (parents created), relative to the work tree.
    pub fn write(&self, path: &str, bytes: impl AsRef<[u8]>) -> &GitRepo {
        let full = self.dir.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).expect("create parent folders");
        }
        std::fs::write(&full, bytes).expect("write a file");
        self
    }

    /// Mark a file executable (0755).
    #[cfg(unix)]
    pub fn make_executable(&self, path: &str) -> &GitRepo {
        use std::os::unix::fs::PermissionsExt;
        let full = self.dir.join(path);
        std::fs::set_permissions(&full, std::fs::Permissions::from_mode(0o755))
            .expect("chmod a file");
        self
    }

    /// Create a symbolic link at `path` pointing to `target`.
    #[cfg(unix)]
    pub fn symlink(&self, path: &str, target: &str) -> &GitRepo {
        let full = self.dir.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).expect("create parent folders");
        }
        std::os::unix::fs::symlink(target, &full).expect("create a symbolic link");
        self
    }

    /// Remove a file from the work tree.
    pub fn remove(&self, path: &str) -> &GitRepo {
        std::fs::remove_file(self.dir.join(path)).expect("remove a file");
        self
    }

    /// Stage everything and commit; returns the commit id.
    pub fn commit(&self, message: &str) -> String {
        self.commits.set(self.commits.get() + 1);
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }

    /// A lightweight tag on `HEAD`.
    pub fn tag(&self, name: &str) {
        self.git(&["tag", name]);
    }

    /// An annotated tag on `HEAD`.
    pub fn tag_annotated(&self, name: &str, message: &str) {
        self.git(&["tag", "-a", name, "-m", message]);
    }

    /// Run git with these arguments in the work tree; returns stdout, trimmed. Panics (with
    /// git's stderr) if git fails.
    pub fn git(&self, args: &[&str]) -> String {
        let output = git_command(&self.dir, self.date())
            .args(args)
            .output()
            .expect("run git");
        assert!(
            output.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    fn date(&self) -> String {
        format!("@{} +0000", EPOCH + 60 * self.commits.get())
    }
}

/// A git command with a hermetic environment, run in `dir`.
pub fn git_command(dir: &Path, date: String) -> Command {
    let mut command = Command::new("git");
    command.current_dir(dir);
    for name in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
    ] {
        command.env_remove(name);
    }
    command
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Test Author")
        .env("GIT_AUTHOR_EMAIL", "author@example.org")
        .env("GIT_COMMITTER_NAME", "Test Committer")
        .env("GIT_COMMITTER_EMAIL", "committer@example.org")
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_DATE", &date)
        .args(["-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"])
        .args(["-c", "core.autocrlf=false", "-c", "init.defaultBranch=main"]);
    command
}

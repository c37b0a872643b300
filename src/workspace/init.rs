//! `mindelta init`: a new workspace — `patches/`, the built-in policy packs written into
//! `policies/` for the user to edit, and `/.mindelta/` (mindelta's state: the journals of
//! interrupted edits) in `.gitignore`.
//!
//! Everything is planned before anything is written, and the plan is refused whole when a
//! piece is in the way (a link, a file where a folder belongs). A file that exists is never
//! replaced: a policy file that differs from the built-in pack is kept as the user wrote it,
//! and `.gitignore` only ever grows by the one line. A folder that is already a workspace is
//! refused unless nothing would change (running `init` twice is fine). Each file is written
//! atomically and never over a file that appeared meanwhile (`write::write_new_atomically`),
//! and `patches/` — what makes the folder a workspace — comes last, so a killed `init` leaves
//! no workspace and running it again finishes the job.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::WorkspaceKind;
use super::journal::STATE_DIR;
use super::write::{write_atomically, write_new_atomically};
use crate::audit::policy::builtin::BUILTIN_PACKS;

/// The line `init` adds to `.gitignore`.
pub const IGNORE_LINE: &str = "/.mindelta/";

/// What `init` did (or found already done), paths relative to the root.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct InitOutcome {
    /// The workspace root, as given.
    pub root: PathBuf,
    /// Folders and files created (folders end in `/`).
    pub created: Vec<String>,
    /// Files that grew (`.gitignore`).
    pub appended: Vec<String>,
    /// Pieces already in place, as `init` would make them.
    pub unchanged: Vec<String>,
    /// Policy files that differ from the built-in pack: kept as they are.
    pub kept: Vec<String>,
}

impl InitOutcome {
    /// Whether `init` changed nothing.
    pub fn is_unchanged(&self) -> bool {
        self.created.is_empty() && self.appended.is_empty()
    }
}

/// Why `init` wrote nothing (or, for [`InitError::Io`], stopped; what it wrote is named by
/// the error's path, and running `init` again finishes).
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// The root, or a piece of the workspace, is a symbolic link.
    #[error("`{}` is a symbolic link; `mindelta init` writes only into real folders and files", path.display())]
    Link { path: PathBuf },
    /// Something other than a folder is where a folder belongs (or the reverse).
    #[error("`{}` exists and is not a {expected}", path.display())]
    WrongKind {
        path: PathBuf,
        expected: &'static str,
    },
    /// The folder is already a workspace, and `init` would change it.
    #[error("`{}` is already a workspace ({}); `mindelta init` would add {}", root.display(), kind.as_str(), missing.join(", "))]
    AlreadyWorkspace {
        root: PathBuf,
        kind: WorkspaceKind,
        missing: Vec<String>,
    },
    #[error("cannot write `{}`", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// One piece of the plan.
enum Step {
    Folder(&'static str),
    NewFile {
        relative: String,
        text: &'static str,
    },
    Ignore {
        text: Option<String>,
    },
}

/// Make (or complete) a workspace at `root`; the folder is created when missing.
pub fn init(root: &Path) -> Result<InitOutcome, InitError> {
    let mut outcome = InitOutcome {
        root: root.to_path_buf(),
        ..InitOutcome::default()
    };
    let root_exists = match kind_of(root)? {
        Some(Kind::Folder) => true,
        Some(Kind::File) => {
            return Err(InitError::WrongKind {
                path: root.to_path_buf(),
                expected: "folder",
            });
        }
        None => false,
    };
    // The plan: every piece checked before anything is written.
    let mut steps = Vec::new();
    let policies = root.join("policies");
    match folder_state(&policies)? {
        true => outcome.unchanged.push("policies/".into()),
        false => steps.push(Step::Folder("policies")),
    }
    for pack in &BUILTIN_PACKS {
        let relative = format!("policies/{}", pack.file);
        let path = root.join(&relative);
        match kind_of(&path)? {
            None => steps.push(Step::NewFile {
                relative,
                text: pack.text,
            }),
            Some(Kind::Folder) => {
                return Err(InitError::WrongKind {
                    path,
                    expected: "file",
                });
            }
            Some(Kind::File) => {
                if std::fs::read(&path).map_err(|e| io(&path, e))? == pack.text.as_bytes() {
                    outcome.unchanged.push(relative);
                } else {
                    outcome.kept.push(relative);
                }
            }
        }
    }
    let gitignore = root.join(".gitignore");
    match kind_of(&gitignore)? {
        None => steps.push(Step::Ignore { text: None }),
        Some(Kind::Folder) => {
            return Err(InitError::WrongKind {
                path: gitignore,
                expected: "file",
            });
        }
        Some(Kind::File) => {
            let text = std::fs::read(&gitignore).map_err(|e| io(&gitignore, e))?;
            let text = String::from_utf8_lossy(&text).into_owned();
            if ignores_state(&text) {
                outcome.unchanged.push(".gitignore".into());
            } else {
                steps.push(Step::Ignore { text: Some(text) });
            }
        }
    }
    match folder_state(&root.join("patches"))? {
        true => outcome.unchanged.push("patches/".into()),
        false => steps.push(Step::Folder("patches")),
    }
    if root_exists
        && !steps.is_empty()
        && let Some(kind) = WorkspaceKind::detect(root)
    {
        return Err(InitError::AlreadyWorkspace {
            root: root.to_path_buf(),
            kind,
            missing: steps.iter().map(Step::describe).collect(),
        });
    }

    if !root_exists {
        fs_err::create_dir_all(root).map_err(|e| io(root, e))?;
        outcome.created.push("./".into());
    }
    for step in steps {
        match step {
            Step::Folder(name) => {
                let path = root.join(name);
                std::fs::create_dir(&path).map_err(|e| io(&path, e))?;
                outcome.created.push(format!("{name}/"));
            }
            Step::NewFile { relative, text } => {
                let path = root.join(&relative);
                write_new_atomically(&path, text.as_bytes()).map_err(|e| io(&path, e))?;
                outcome.created.push(relative);
            }
            Step::Ignore { text: None } => {
                write_new_atomically(&gitignore, format!("{IGNORE_LINE}\n").as_bytes())
                    .map_err(|e| io(&gitignore, e))?;
                outcome.created.push(".gitignore".into());
            }
            Step::Ignore {
                text: Some(mut text),
            } => {
                if !text.is_empty() && !text.ends_with('\n') {
                    text.push('\n');
                }
                text.push_str(IGNORE_LINE);
                text.push('\n');
                write_atomically(&gitignore, text.as_bytes()).map_err(|e| io(&gitignore, e))?;
                outcome.appended.push(".gitignore".into());
            }
        }
    }
    Ok(outcome)
}

impl Step {
    /// The piece in words, for [`InitError::AlreadyWorkspace`].
    fn describe(&self) -> String {
        match self {
            Step::Folder(name) => format!("`{name}/`"),
            Step::NewFile { relative, .. } => format!("`{relative}`"),
            Step::Ignore { .. } => format!("`{IGNORE_LINE}` to `.gitignore`"),
        }
    }
}

/// What is at a path, never through a link.
enum Kind {
    Folder,
    File,
}

/// What is at `path`: nothing, a folder, or a file; a link is an error.
fn kind_of(path: &Path) -> Result<Option<Kind>, InitError> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(InitError::Link {
            path: path.to_path_buf(),
        }),
        Ok(meta) if meta.is_dir() => Ok(Some(Kind::Folder)),
        Ok(_) => Ok(Some(Kind::File)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(io(path, error)),
    }
}

/// Whether the folder at `path` exists (a file there is an error).
fn folder_state(path: &Path) -> Result<bool, InitError> {
    match kind_of(path)? {
        Some(Kind::Folder) => Ok(true),
        Some(Kind::File) => Err(InitError::WrongKind {
            path: path.to_path_buf(),
            expected: "folder",
        }),
        None => Ok(false),
    }
}

/// Whether a `.gitignore` already ignores mindelta's state folder at the root.
fn ignores_state(text: &str) -> bool {
    let plain = STATE_DIR;
    text.lines().map(str::trim).any(|line| {
        let line = line.strip_prefix('/').unwrap_or(line);
        let line = line.strip_suffix('/').unwrap_or(line);
        line == plain
    })
}

fn io(path: &Path, source: std::io::Error) -> InitError {
    InitError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignore_lines_that_cover_the_state_folder() {
        for text in [
            "/.mindelta/\n",
            ".mindelta\n",
            "target\n  .mindelta/  \n",
            "/.mindelta",
        ] {
            assert!(ignores_state(text), "{text:?}");
        }
        for text in [
            "",
            "# /.mindelta/\n",
            ".mindelta-old/\n",
            "!.mindelta/\n",
            "sub/.mindelta/\n",
        ] {
            assert!(!ignores_state(text), "{text:?}");
        }
    }

    #[test]
    fn a_second_run_changes_nothing_and_a_killed_one_is_finished() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path().join("ws");
        let first = init(&root).unwrap();
        assert_eq!(first.created.first().map(String::as_str), Some("./"));
        assert_eq!(first.created.last().map(String::as_str), Some("patches/"));
        let second = init(&root).unwrap();
        assert!(second.is_unchanged(), "{second:?}");
        // A run killed before `patches/`: the next one finishes it.
        std::fs::remove_dir(root.join("patches")).unwrap();
        std::fs::remove_file(root.join("policies/yocto.yaml")).unwrap();
        let third = init(&root).unwrap();
        assert_eq!(third.created, vec!["policies/yocto.yaml", "patches/"]);
    }
}

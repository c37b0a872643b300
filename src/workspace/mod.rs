//! The workspace: the user's `patches/<package>/package.yaml` manifests and their patch files.
//!
//! `Workspace::discover` finds the root (the nearest ancestor holding `patches/`), `packages`
//! lists the package folders, and `load` reads and validates one manifest (`manifest.rs`)
//! into a `Package` that the commands work on. Before any of that, `recover` finishes or rolls
//! back an edit a killed command left (`journal.rs`); a package whose edit could not be
//! recovered is not loaded. A package's patch files are read through no link
//! (`Package::read_patch`, `confined.rs`).

pub mod confined;
pub mod edit;
pub mod journal;
pub mod manifest;
pub mod shard;
pub mod write;

use std::path::{Path, PathBuf};

pub use manifest::{
    ExpiredEntry, Manifest, ManifestError, PatchEntry, PatchStatus, Releases, Upstream,
    UpstreamSource,
};

/// A workspace root with its `patches/` folder.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub root: PathBuf,
}

/// One package: its folder and its validated manifest.
#[derive(Debug, Clone)]
pub struct Package {
    pub name: String,
    pub dir: PathBuf,
    pub manifest_path: PathBuf,
    pub manifest: Manifest,
}

/// Why the workspace could not be opened or a package not found.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("no workspace found: neither `{0}` nor any folder above it holds a `patches/` folder")]
    NotFound(PathBuf),
    #[error("`{0}` has no `patches/` folder")]
    NoPatchesFolder(PathBuf),
    #[error("no package `{name}` in the workspace (looked for `{path}`)")]
    UnknownPackage { name: String, path: PathBuf },
    #[error("cannot read `{path}`")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// An interrupted edit of the package could not be recovered (see [`Workspace::recover`]).
    #[error("`{name}` has an interrupted edit that was not recovered (`{}`)", journal.display())]
    Interrupted { name: String, journal: PathBuf },
}

/// What [`Workspace::recover`] found: the edits finished or rolled back, and those it could not.
#[derive(Debug, Default)]
pub struct RecoveryReport {
    pub recovered: Vec<journal::Recovery>,
    pub failed: Vec<journal::JournalError>,
}

impl Workspace {
    /// The workspace at `root` (which must hold `patches/`).
    pub fn open(root: &Path) -> Result<Workspace, WorkspaceError> {
        if !root.join("patches").is_dir() {
            return Err(WorkspaceError::NoPatchesFolder(root.to_path_buf()));
        }
        Ok(Workspace {
            root: root.to_path_buf(),
        })
    }

    /// The nearest ancestor of `start` (itself included) that holds `patches/`.
    pub fn discover(start: &Path) -> Result<Workspace, WorkspaceError> {
        let start = std::path::absolute(start).unwrap_or_else(|_| start.to_path_buf());
        start
            .ancestors()
            .find(|dir| dir.join("patches").is_dir())
            .map(|root| Workspace {
                root: root.to_path_buf(),
            })
            .ok_or(WorkspaceError::NotFound(start))
    }

    /// The `patches/` folder.
    pub fn patches_dir(&self) -> PathBuf {
        self.root.join("patches")
    }

    /// mindelta's state folder (`.mindelta/`: the journals of interrupted edits).
    pub fn state_dir(&self) -> PathBuf {
        self.root.join(journal::STATE_DIR)
    }

    /// Finish or roll back every edit a killed command left in the workspace (each package's
    /// journal, see `journal.rs`). Cheap when there is none: one folder read, nothing written.
    pub fn recover(&self) -> RecoveryReport {
        let mut report = RecoveryReport::default();
        for package in journal::pending(&self.root) {
            let place = journal::JournalPlace {
                root: self.root.clone(),
                package,
            };
            match journal::recover(&place) {
                Ok(Some(recovery)) => report.recovered.push(recovery),
                Ok(None) => {}
                Err(error) => report.failed.push(error),
            }
        }
        report
    }

    /// Names of the package folders (those holding a `package.yaml`), sorted.
    pub fn package_names(&self) -> Result<Vec<String>, WorkspaceError> {
        let dir = self.patches_dir();
        let entries = std::fs::read_dir(&dir).map_err(|source| WorkspaceError::Io {
            path: dir.clone(),
            source,
        })?;
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| WorkspaceError::Io {
                path: dir.clone(),
                source,
            })?;
            if entry.path().join("package.yaml").is_file()
                && let Some(name) = entry.file_name().to_str()
            {
                names.push(name.to_string());
            }
        }
        names.sort();
        Ok(names)
    }

    /// The packages a command works on: `names` (or every package when empty), kept to
    /// `shard` when given.
    pub fn select(
        &self,
        names: &[String],
        shard: Option<shard::Shard>,
    ) -> Result<Vec<String>, WorkspaceError> {
        let names = if names.is_empty() {
            self.package_names()?
        } else {
            names.to_vec()
        };
        Ok(names
            .into_iter()
            .filter(|name| shard.is_none_or(|s| s.contains(name)))
            .collect())
    }

    /// Read and validate one package's manifest.
    pub fn load(&self, name: &str) -> Result<Package, WorkspaceError> {
        let dir = self.patches_dir().join(name);
        let manifest_path = dir.join("package.yaml");
        if name.contains('/') || name.starts_with('.') || !manifest_path.is_file() {
            return Err(WorkspaceError::UnknownPackage {
                name: name.to_string(),
                path: manifest_path,
            });
        }
        let place = journal::JournalPlace {
            root: self.root.clone(),
            package: name.to_string(),
        };
        if place.is_pending() {
            // A commit of another process started after `recover` ran (wait for it to end),
            // or one was killed since: recover it now, or refuse the package.
            match journal::recover(&place) {
                Ok(None) => {}
                Ok(Some(recovery)) => tracing::warn!(
                    package = name,
                    command = recovery.command,
                    outcome = ?recovery.outcome,
                    "recovered an interrupted edit"
                ),
                Err(_) => {
                    return Err(WorkspaceError::Interrupted {
                        name: name.to_string(),
                        journal: place.path(),
                    });
                }
            }
        }
        let manifest = Manifest::load(&manifest_path)?;
        Ok(Package {
            name: manifest.name.clone().unwrap_or_else(|| name.to_string()),
            dir,
            manifest_path,
            manifest,
        })
    }
}

impl Package {
    /// The path of a patch file of this package (for messages: read it with
    /// [`Package::read_patch`]).
    pub fn patch_path(&self, entry: &PatchEntry) -> PathBuf {
        self.dir.join(&entry.file)
    }

    /// The bytes of a patch file, read from inside the package folder through no link (a
    /// link is an error naming it, whose kind is `InvalidInput`).
    pub fn read_patch(&self, entry: &PatchEntry) -> std::io::Result<Vec<u8>> {
        confined::read(&self.dir, Path::new(&entry.file))
    }

    /// The workspace root this package was loaded from.
    pub fn workspace_root(&self) -> &Path {
        self.dir
            .parent()
            .and_then(Path::parent)
            .unwrap_or(Path::new("."))
    }

    /// Where a multi-file edit of this package keeps its journal.
    pub fn journal_place(&self) -> journal::JournalPlace {
        journal::JournalPlace {
            root: self.workspace_root().to_path_buf(),
            package: self
                .dir
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default(),
        }
    }
}

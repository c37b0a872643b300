//! The workspace: the user's `patches/<package>/package.yaml` manifests and their patch files,
//! or a repository whose patches live in another format, read in place ([`WorkspaceKind`]: a
//! melange repository, an unpacked Debian source package; `crate::native`).
//!
//! `Workspace::discover` finds the root (the nearest ancestor holding `patches/`, a
//! `debian/changelog` or melange package files), `package_names` lists the packages, and
//! `load` reads and validates one manifest (`manifest.rs`), or one native package, into a
//! `Package` that the commands work on. Before any of that, `recover` finishes or rolls
//! back an edit a killed command left (`journal.rs`); a package whose edit could not be
//! recovered is not loaded. A package's patch files are read through no link
//! (`Package::read_patch`, `confined.rs`).

pub mod config;
pub mod confined;
pub mod edit;
pub mod init;
pub mod journal;
pub mod manifest;
pub mod shard;
pub mod write;

use std::path::{Path, PathBuf};

pub use manifest::{
    ExpiredEntry, Manifest, ManifestError, PatchEntry, PatchStatus, Releases, Upstream,
    UpstreamSource,
};

/// A workspace root and its kind.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub root: PathBuf,
    pub kind: WorkspaceKind,
}

/// Where a workspace keeps its patches (DESIGN.md §1, "Workspace kinds").
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WorkspaceKind {
    /// mindelta's own: `patches/<package>/package.yaml`.
    Manifests,
    /// A melange repository (Wolfi, Chainguard): top-level `<package>.yaml` files, patches in
    /// `<package>/`.
    Melange,
    /// An unpacked Debian source package: one package, patches in `debian/patches/`.
    Debian,
}

impl WorkspaceKind {
    /// The kind of workspace rooted at `root`, if it is one: `patches/` first (but for the
    /// `debian/` folder of a source package, whose `patches/` is quilt's), then
    /// `debian/changelog`, then a melange package file.
    pub fn detect(root: &Path) -> Option<WorkspaceKind> {
        let debian_folder = root.file_name().is_some_and(|name| name == "debian")
            && root.join("changelog").is_file();
        if root.join("patches").is_dir() && !debian_folder {
            Some(WorkspaceKind::Manifests)
        } else if crate::native::debian::is_source_tree(root) {
            Some(WorkspaceKind::Debian)
        } else if crate::native::melange::is_repository(root) {
            Some(WorkspaceKind::Melange)
        } else {
            None
        }
    }

    /// The name used in messages and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkspaceKind::Manifests => "manifests",
            WorkspaceKind::Melange => "melange",
            WorkspaceKind::Debian => "debian",
        }
    }
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
    #[error(
        "no workspace found: neither `{0}` nor any folder above it holds a `patches/` folder, a `debian/changelog` or melange package files"
    )]
    NotFound(PathBuf),
    #[error(
        "`{0}` is not a workspace: it has no `patches/` folder, no `debian/changelog` and no melange package file"
    )]
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
    /// A package read in place could not be read.
    #[error(transparent)]
    Native(#[from] crate::native::NativeError),
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
    /// The workspace at `root`, of the kind [`WorkspaceKind::detect`] finds there.
    pub fn open(root: &Path) -> Result<Workspace, WorkspaceError> {
        let kind = WorkspaceKind::detect(root)
            .ok_or_else(|| WorkspaceError::NoPatchesFolder(root.to_path_buf()))?;
        Ok(Workspace {
            root: root.to_path_buf(),
            kind,
        })
    }

    /// The nearest ancestor of `start` (itself included) that is a workspace of any kind.
    pub fn discover(start: &Path) -> Result<Workspace, WorkspaceError> {
        let start = std::path::absolute(start).unwrap_or_else(|_| start.to_path_buf());
        start
            .ancestors()
            .find_map(|dir| {
                WorkspaceKind::detect(dir).map(|kind| Workspace {
                    root: dir.to_path_buf(),
                    kind,
                })
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
        for place in self.pending_journals() {
            match journal::recover(&place) {
                Ok(Some(recovery)) => report.recovered.push(recovery),
                Ok(None) => {}
                Err(error) => report.failed.push(error),
            }
        }
        report
    }

    /// Where the journal of an edit of package `name` lives. A melange repository keeps it
    /// in its own `.mindelta/` and edits relative to the repository (a package's YAML is beside
    /// its folder); a Debian source package keeps it in the `.mindelta/` of the folder above the
    /// tree, named after the tree's folder (nothing of mindelta's in the tree, which
    /// `dpkg-source -b` would take for an upstream change), and edits inside `debian/`.
    pub fn journal_place(&self, name: &str) -> journal::JournalPlace {
        match self.kind {
            WorkspaceKind::Manifests => journal::JournalPlace {
                root: self.root.clone(),
                package: name.to_string(),
                folder: None,
            },
            WorkspaceKind::Melange => journal::JournalPlace {
                root: self.root.clone(),
                package: name.to_string(),
                folder: Some(self.root.clone()),
            },
            WorkspaceKind::Debian => crate::native::package::debian_journal_place(&self.root),
        }
    }

    /// The journals waiting in this workspace's state folder.
    fn pending_journals(&self) -> Vec<journal::JournalPlace> {
        match self.kind {
            WorkspaceKind::Debian => {
                let place = self.journal_place("");
                if place.is_pending() {
                    vec![place]
                } else {
                    Vec::new()
                }
            }
            _ => journal::pending(&self.root)
                .into_iter()
                .map(|name| self.journal_place(&name))
                .collect(),
        }
    }

    /// Names of the packages, sorted: the package folders holding a `package.yaml`, the
    /// package files of a melange repository, the source package of a Debian tree.
    pub fn package_names(&self) -> Result<Vec<String>, WorkspaceError> {
        match self.kind {
            WorkspaceKind::Manifests => {}
            WorkspaceKind::Melange | WorkspaceKind::Debian => {
                return Ok(crate::native::package_names(self)?);
            }
        }
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

    /// Read and validate one package's manifest (or read one native package).
    pub fn load(&self, name: &str) -> Result<Package, WorkspaceError> {
        if self.kind != WorkspaceKind::Manifests {
            self.recover_package(name)?;
            return crate::native::load(self, name);
        }
        let dir = self.patches_dir().join(name);
        let manifest_path = dir.join("package.yaml");
        if name.contains('/') || name.starts_with('.') || !manifest_path.is_file() {
            return Err(WorkspaceError::UnknownPackage {
                name: name.to_string(),
                path: manifest_path,
            });
        }
        self.recover_package(name)?;
        let manifest = Manifest::load(&manifest_path)?;
        Ok(Package {
            name: manifest.name.clone().unwrap_or_else(|| name.to_string()),
            dir,
            manifest_path,
            manifest,
        })
    }

    /// Finish or roll back an edit of `name` that another process started after
    /// [`Workspace::recover`] ran (wait for it to end), or one killed since; an edit that
    /// cannot be recovered keeps the package from being read.
    fn recover_package(&self, name: &str) -> Result<(), WorkspaceError> {
        let place = self.journal_place(name);
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
        Ok(())
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
        if let Some(native) = &self.manifest.upstream.native {
            return native.workspace_root();
        }
        self.dir
            .parent()
            .and_then(Path::parent)
            .unwrap_or(Path::new("."))
    }

    /// The package as its native reader read it, when it was read in place.
    pub fn native(&self) -> Option<&crate::native::NativeOrigin> {
        self.manifest.upstream.native.as_ref()
    }

    /// Where a multi-file edit of this package keeps its journal.
    pub fn journal_place(&self) -> journal::JournalPlace {
        if let Some(native) = self.native() {
            return native.journal_place();
        }
        journal::JournalPlace {
            root: self.workspace_root().to_path_buf(),
            package: self
                .dir
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default(),
            folder: None,
        }
    }
}

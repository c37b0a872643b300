//! The workspace: the user's `patches/<package>/package.yaml` manifests and their patch files.
//!
//! `Workspace::discover` finds the root (the nearest ancestor holding `patches/`), `packages`
//! lists the package folders, and `load` reads and validates one manifest (`manifest.rs`)
//! into a `Package` that the commands work on.

pub mod edit;
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
    /// The path of a patch file of this package.
    pub fn patch_path(&self, entry: &PatchEntry) -> PathBuf {
        self.dir.join(&entry.file)
    }
}

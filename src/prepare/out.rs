//! Which folders `prepare --out` may replace, and the marker that says which ones it wrote.
//!
//! `prepare` swaps a whole new tree into place, so whatever `--out` names is gone afterwards.
//! It therefore replaces only a folder it wrote itself, an empty folder, or — with `--force` —
//! any other folder; and never, `--force` or not, the workspace root, the cache, one of their
//! ancestors, a folder inside the cache, or the workspace's own files (`patches/`,
//! `policies/`, `.mindelta/`, `.git/`). Paths are compared canonicalised (links and `..`
//! resolved), so no spelling of a protected folder gets through.
//!
//! The mark sits beside the tree, not in it (the tree is exactly upstream plus the patches):
//! `<parent>/.<name>.mindelta-prepared` lists the identity (device, inode, birth time) of the
//! tree `prepare` wrote at `<parent>/<name>`. A folder is mindelta's when its identity is
//! listed, so a folder the user made in its place later (same name, new inode) is not. The
//! marker is written before the swap with both the new tree and the old one (when that one
//! was mindelta's too), so a kill between the two leaves whichever is in place marked; after
//! the swap it lists only the new tree.

use std::path::{Component, Path, PathBuf};

/// The suffix of the marker beside each tree `prepare` writes (`.<name>.mindelta-prepared`).
pub const MARKER_SUFFIX: &str = ".mindelta-prepared";

/// The workspace's own folders, never an output.
const WORKSPACE_FILES: [&str; 4] = ["patches", "policies", ".mindelta", ".git"];

/// Why `--out` was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutRefusal {
    /// The workspace root or one of its ancestors.
    Workspace,
    /// Inside the workspace's `patches/`, `policies/`, `.mindelta/` or `.git/`.
    WorkspaceFiles,
    /// The cache, one of its ancestors, or a folder inside it.
    Cache,
    /// It exists and is not a folder (a link included).
    NotAFolder,
    /// A non-empty folder mindelta did not write (no `--force`).
    NotOurs,
}

impl OutRefusal {
    /// The reason, after "`DIR` …".
    pub fn reason(self) -> &'static str {
        match self {
            OutRefusal::Workspace => {
                "is the workspace or a folder above it; `prepare` never replaces it"
            }
            OutRefusal::WorkspaceFiles => {
                "is inside the workspace's own files (`patches/`, `policies/`, `.mindelta/`, `.git/`); `prepare` never writes there"
            }
            OutRefusal::Cache => {
                "is the cache, a folder above it or inside it; `prepare` never writes there"
            }
            OutRefusal::NotAFolder => "exists and is not a folder",
            OutRefusal::NotOurs => {
                "is a folder that `prepare` did not write and it is not empty; replacing it would delete its files"
            }
        }
    }

    /// Whether `--force` lifts the refusal.
    pub fn forceable(self) -> bool {
        self == OutRefusal::NotOurs
    }
}

/// Why `--out` may be replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutAccepted {
    /// It does not exist.
    Missing,
    /// An empty folder.
    Empty,
    /// A tree `prepare` wrote (its marker says so).
    Ours,
    /// Any other folder, with `--force`.
    Forced,
}

/// Check that `out` may be replaced by a tree of the workspace at `workspace` with its cache at
/// `cache`.
pub fn check(
    out: &Path,
    workspace: &Path,
    cache: &Path,
    force: bool,
) -> Result<OutAccepted, OutRefusal> {
    let real = canonical(out);
    let root = canonical(workspace);
    let cache = canonical(cache);
    if root.starts_with(&real) {
        return Err(OutRefusal::Workspace);
    }
    if WORKSPACE_FILES
        .iter()
        .any(|name| real.starts_with(root.join(name)))
    {
        return Err(OutRefusal::WorkspaceFiles);
    }
    if cache.starts_with(&real) || real.starts_with(&cache) {
        return Err(OutRefusal::Cache);
    }
    let meta = match std::fs::symlink_metadata(out) {
        Ok(meta) => meta,
        // Missing (or unreadable: the swap will say why).
        Err(_) => return Ok(OutAccepted::Missing),
    };
    if !meta.is_dir() {
        return Err(OutRefusal::NotAFolder);
    }
    if is_ours(out) {
        Ok(OutAccepted::Ours)
    } else if std::fs::read_dir(out).is_ok_and(|mut entries| entries.next().is_none()) {
        Ok(OutAccepted::Empty)
    } else if force {
        Ok(OutAccepted::Forced)
    } else {
        Err(OutRefusal::NotOurs)
    }
}

/// The marker of the tree at `out`: `.<name>.mindelta-prepared` beside it.
pub fn marker_path(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    out.with_file_name(format!(".{name}{MARKER_SUFFIX}"))
}

/// The identity of the folder at `path`: device, inode and birth time (0 where the file system
/// keeps none), so a new folder of the same name is never taken for an old one.
pub fn identity(path: &Path) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_dir() {
        return None;
    }
    let birth = meta
        .created()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    Some(format!("{} {} {birth}", meta.dev(), meta.ino()))
}

/// Whether the marker beside `out` lists the folder at `out`.
pub fn is_ours(out: &Path) -> bool {
    let Some(identity) = identity(out) else {
        return false;
    };
    let marker = marker_path(out);
    // The marker is a small regular file (never read through a link).
    let is_file = std::fs::symlink_metadata(&marker).is_ok_and(|m| m.is_file() && m.len() < 4096);
    is_file
        && std::fs::read_to_string(&marker)
            .is_ok_and(|text| text.lines().any(|line| line.trim() == identity))
}

/// Write the marker beside `out` listing `identities`, atomically.
pub fn mark(out: &Path, identities: &[String]) -> std::io::Result<()> {
    let mut text = String::from(
        "# Written by `mindelta prepare`: the folder beside this file is a tree it wrote when its\n# identity (device, inode, birth time) is listed here; the next `prepare` may replace it.\n",
    );
    for identity in identities {
        text.push_str(identity);
        text.push('\n');
    }
    crate::workspace::write::write_atomically(&marker_path(out), text.as_bytes())
}

/// `path` made absolute with every link and `..` resolved; the part that does not exist yet
/// is appended as written (it holds no link), `..` in it taken lexically.
pub fn canonical(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let components: Vec<Component> = absolute.components().collect();
    for split in (1..=components.len()).rev() {
        let prefix: PathBuf = components[..split].iter().collect();
        if let Ok(mut real) = prefix.canonicalize() {
            for component in &components[split..] {
                match component {
                    Component::ParentDir => {
                        real.pop();
                    }
                    Component::Normal(name) => real.push(name),
                    _ => {}
                }
            }
            return real;
        }
    }
    absolute
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protected_folders_are_refused_in_any_spelling() {
        let temp = tempfile::tempdir().unwrap();
        let base = temp.path().canonicalize().unwrap();
        let workspace = base.join("ws");
        let cache = base.join("home/.cache/mindelta");
        std::fs::create_dir_all(workspace.join("patches/hello")).unwrap();
        std::fs::create_dir_all(&cache).unwrap();
        std::os::unix::fs::symlink(&workspace, base.join("link")).unwrap();
        let refused = |out: &Path| check(out, &workspace, &cache, true).err();
        assert_eq!(refused(&workspace), Some(OutRefusal::Workspace));
        assert_eq!(refused(&base), Some(OutRefusal::Workspace));
        assert_eq!(
            refused(&workspace.join("patches/../.")),
            Some(OutRefusal::Workspace)
        );
        assert_eq!(refused(&base.join("link")), Some(OutRefusal::Workspace));
        assert_eq!(
            refused(&base.join("link/patches/hello")),
            Some(OutRefusal::WorkspaceFiles)
        );
        assert_eq!(
            refused(&workspace.join(".git/new")),
            Some(OutRefusal::WorkspaceFiles)
        );
        assert_eq!(refused(&cache), Some(OutRefusal::Cache));
        assert_eq!(refused(&base.join("home")), Some(OutRefusal::Cache));
        assert_eq!(refused(&cache.join("git/x")), Some(OutRefusal::Cache));
        assert_eq!(refused(&workspace.join("build/hello")), None);
        assert_eq!(refused(&base.join("new/../out")), None);
    }

    #[test]
    fn only_empty_marked_or_forced_folders_are_replaced() {
        let temp = tempfile::tempdir().unwrap();
        let workspace = temp.path().join("ws");
        let cache = temp.path().join("cache");
        let out = temp.path().join("out");
        let check = |force| check(&out, &workspace, &cache, force);
        assert_eq!(check(false), Ok(OutAccepted::Missing));
        std::fs::create_dir_all(&out).unwrap();
        assert_eq!(check(false), Ok(OutAccepted::Empty));
        std::fs::write(out.join("notes.txt"), "mine").unwrap();
        assert_eq!(check(false), Err(OutRefusal::NotOurs));
        assert_eq!(check(true), Ok(OutAccepted::Forced));
        mark(&out, &[identity(&out).unwrap()]).unwrap();
        assert_eq!(check(false), Ok(OutAccepted::Ours));
        assert!(marker_path(&out).ends_with(".out.mindelta-prepared"));
        // A new folder of the same name is not the one that was marked.
        std::fs::rename(&out, temp.path().join("moved")).unwrap();
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("notes.txt"), "mine").unwrap();
        assert_eq!(check(false), Err(OutRefusal::NotOurs));
        let file = temp.path().join("file");
        std::fs::write(&file, "x").unwrap();
        assert_eq!(
            super::check(&file, &workspace, &cache, true),
            Err(OutRefusal::NotAFolder)
        );
    }
}

//! The orig tarballs beside the source tree, found as dpkg-source finds them for a
//! `3.0 (quilt)` package (dpkg `scripts/Dpkg/Source/Package/V2.pm`, `dpkg-source(1)`): in the
//! tree's parent folder, `<source>_<upstream>.orig.tar.<ext>` and, for each component,
//! `<source>_<upstream>.orig-<component>.tar.<ext>`, where `<upstream>` is the version without
//! epoch and revision, `<ext>` one of `gz`, `bz2`, `lzma`, `xz`, `zst`, and a component name is
//! letters, digits and `-`. Signatures (`.asc`) are not tarballs. Two main tarballs (or two of
//! one component) in different compressions are ambiguous, as dpkg-source finds them.

use std::path::{Path, PathBuf};

use super::DebianError;

/// The compressions dpkg-source unpacks, as file name extensions.
pub const COMPRESSIONS: &[&str] = &["gz", "bz2", "lzma", "xz", "zst"];

/// The orig tarballs of a source package.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrigTarballs {
    /// The folder searched (the source tree's parent).
    pub folder: PathBuf,
    /// The name every tarball starts with: `<source>_<upstream>.orig`.
    pub stem: String,
    /// `<stem>.tar.<ext>`, when present.
    pub main: Option<PathBuf>,
    /// `<stem>-<component>.tar.<ext>`, sorted by component; dpkg-source unpacks each into
    /// `<component>/` of the tree.
    pub components: Vec<Component>,
}

/// One component tarball.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    pub name: String,
    pub path: PathBuf,
}

/// Find the orig tarballs of `source` at `upstream` in `folder`.
pub fn find(folder: &Path, source: &str, upstream: &str) -> Result<OrigTarballs, DebianError> {
    let stem = format!("{source}_{upstream}.orig");
    let mut found = OrigTarballs {
        folder: folder.to_path_buf(),
        stem: stem.clone(),
        ..OrigTarballs::default()
    };
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        // No parent folder to search: no tarball.
        Err(_) => return Ok(found),
    };
    let mut main: Vec<PathBuf> = Vec::new();
    let mut components: Vec<Component> = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            continue;
        };
        let Some(rest) = name.strip_prefix(&stem) else {
            continue;
        };
        let Some((component, extension)) = rest.split_once(".tar.") else {
            continue;
        };
        if !COMPRESSIONS.contains(&extension) || !entry.path().is_file() {
            continue;
        }
        if component.is_empty() {
            main.push(entry.path());
        } else if let Some(component) = component.strip_prefix('-')
            && !component.is_empty()
            && component
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            components.push(Component {
                name: component.to_string(),
                path: entry.path(),
            });
        }
    }
    main.sort();
    if main.len() > 1 {
        return Err(DebianError::SeveralOrig { files: main });
    }
    found.main = main.pop();
    components.sort_by(|a, b| a.name.cmp(&b.name).then(a.path.cmp(&b.path)));
    for pair in components.windows(2) {
        if pair[0].name == pair[1].name {
            return Err(DebianError::SeveralOrig {
                files: vec![pair[0].path.clone(), pair[1].path.clone()],
            });
        }
    }
    found.components = components;
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn main_components_and_signatures() {
        let folder = tempfile::tempdir().unwrap();
        for name in [
            "x_1.0.orig.tar.xz",
            "x_1.0.orig.tar.xz.asc",
            "x_1.0.orig-www.tar.gz",
            "x_1.0.orig-git.tar.zst",
            "x_1.0.orig-bad_name.tar.gz",
            "x_1.0.orig.tar.7z",
            "x_1.0-1.debian.tar.xz",
            "x_1.1.orig.tar.gz",
            "xy_1.0.orig.tar.gz",
        ] {
            std::fs::write(folder.path().join(name), b"").unwrap();
        }
        let found = find(folder.path(), "x", "1.0").unwrap();
        assert_eq!(found.main, Some(folder.path().join("x_1.0.orig.tar.xz")));
        let names: Vec<&str> = found.components.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["git", "www"]);
        std::fs::write(folder.path().join("x_1.0.orig.tar.gz"), b"").unwrap();
        assert!(matches!(
            find(folder.path(), "x", "1.0"),
            Err(DebianError::SeveralOrig { files }) if files.len() == 2
        ));
        let none = find(folder.path(), "z", "1.0").unwrap();
        assert_eq!(none.main, None);
    }
}

//! The rest of `dpkg-source -x` once the main orig tarball is unpacked (dpkg
//! `scripts/Dpkg/Source/Package/V2.pm`, `do_extract`): each component tarball
//! `<source>_<upstream>.orig-<component>.tar.*` replaces the folder `<component>/` of the tree
//! (its single top folder stripped, as for the main tarball), then the tree's own `debian/` is
//! removed and the maintainer's `debian/` put in its place. The patches are applied after,
//! with GNU patch's `-E` (`prepare.rs`). dpkg-source's bookkeeping (`.pc/`) is not written.
//!
//! Each component is pinned by the `.dsc` when one lists it, else taken as the maintainer
//! placed it (its sha256 is reported), as `dpkg-source` takes the files beside a tree.

use std::path::Path;

use super::DebianSource;
use crate::upstream::{FetchError, Fetcher, Provenance, SourceSpec};

/// Unpack the component tarballs of `source` into `tree` and put its `debian/` there; the
/// provenance of each component, in order.
pub fn complete_tree(
    source: &DebianSource,
    fetcher: &Fetcher,
    tree: &Path,
) -> Result<Vec<Provenance>, FetchError> {
    let mut provenances = Vec::new();
    for component in &source.orig.components {
        let folder = tree.join(&component.name);
        remove(&folder)?;
        let sha256 = match source.dsc_sha256(&component.path) {
            Some(sum) => Some(sum),
            None => Some(crate::upstream::cache::sha256_file(&component.path)?),
        };
        let spec = SourceSpec::Tarball {
            url: component.path.to_string_lossy().into_owned(),
            sha256,
        };
        provenances.push(fetcher.materialize(&spec, &folder)?);
    }
    let debian = tree.join("debian");
    remove(&debian)?;
    fetcher.materialize(
        &SourceSpec::Dir {
            path: source.root.join("debian"),
        },
        &debian,
    )?;
    Ok(provenances)
}

/// Remove what is at `path` (a folder and its content, a file, a link: never followed).
fn remove(path: &Path) -> Result<(), FetchError> {
    match std::fs::symlink_metadata(path) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(FetchError::io(path, error)),
        Ok(meta) if meta.is_dir() => {
            fs_err::remove_dir_all(path).map_err(|e| FetchError::io(path, e))
        }
        Ok(_) => fs_err::remove_file(path).map_err(|e| FetchError::io(path, e)),
    }
}

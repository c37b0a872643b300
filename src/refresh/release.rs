//! V itself for a refresh: its tree, and moving the manifest's version (and a tarball's
//! checksum, from the real download) to it.

use super::RefreshError;
use crate::upstream::release::{available, not_found};
use crate::upstream::release_tree::ReleaseTree;
use crate::upstream::{FetchError, Fetcher, SourceSpec};
use crate::workspace::edit::ManifestEdit;
use crate::workspace::{Package, UpstreamSource};

/// V's tree for reading; a release the source cannot provide is
/// [`FetchError::NoSuchRelease`] (`upstream::release::available`), never another tree.
pub fn open_tree(
    package: &Package,
    release: &str,
    fetcher: &Fetcher,
) -> Result<ReleaseTree, RefreshError> {
    let tags = package.manifest.upstream.tag_candidates(release);
    available(package, fetcher, release)
        .and_then(|()| ReleaseTree::open(package, release, fetcher, &tags))
        .map_err(|error| RefreshError::Fetch {
            package: package.name.clone(),
            release: release.to_string(),
            source: Box::new(not_found(package, fetcher, release, error)),
        })
}

/// V's tree holding at least the paths `wanted` accepts (and every file named like one, where
/// upstream may have moved it): a tarball is extracted selectively
/// ([`ReleaseTree::open_selected`]), which spares writing every file of a large release.
pub fn open_tree_selected(
    package: &Package,
    release: &str,
    fetcher: &Fetcher,
    wanted: &[Vec<u8>],
) -> Result<ReleaseTree, RefreshError> {
    use crate::upstream::release_tree::last_component;
    let tags = package.manifest.upstream.tag_candidates(release);
    let paths: std::collections::HashSet<&[u8]> = wanted.iter().map(Vec::as_slice).collect();
    let names: std::collections::HashSet<&[u8]> =
        wanted.iter().map(|path| last_component(path)).collect();
    available(package, fetcher, release)
        .and_then(|()| {
            ReleaseTree::open_selected(package, release, fetcher, &tags, &|path| {
                paths.contains(path) || names.contains(last_component(path))
            })
        })
        .map_err(|error| RefreshError::Fetch {
            package: package.name.clone(),
            release: release.to_string(),
            source: Box::new(not_found(package, fetcher, release, error)),
        })
}

/// Move `upstream.version` to `release` and, for a tarball upstream that declares a sha256,
/// set the checksum of V's tarball as downloaded: the one `tree` (V's tree, when the caller has
/// it) was read from whole, else computed now.
pub fn move_version(
    edit: &mut ManifestEdit,
    package: &Package,
    release: &str,
    fetcher: &Fetcher,
    tree: Option<&ReleaseTree>,
) -> Result<(), RefreshError> {
    edit.set_upstream_version(release)?;
    if let UpstreamSource::Tarball {
        sha256: Some(_), ..
    } = &package.manifest.upstream.source
    {
        let sha256 = match tree.and_then(|tree| tree.archive_sha256.clone()) {
            Some(sha256) => sha256,
            None => release_sha256(package, release, fetcher)?,
        };
        edit.set_sha256(&sha256)?;
    }
    Ok(())
}

/// The sha256 of the tarball of `release`, computed from the real download, which is read
/// through once to prove that it unpacks ([`Fetcher::checked_archive`]).
pub fn release_sha256(
    package: &Package,
    release: &str,
    fetcher: &Fetcher,
) -> Result<String, RefreshError> {
    let fetch_error = |source: FetchError| RefreshError::Fetch {
        package: package.name.clone(),
        release: release.to_string(),
        source: Box::new(not_found(package, fetcher, release, source)),
    };
    match SourceSpec::of(package, release) {
        SourceSpec::Tarball { url, .. } => fetcher
            .checked_archive(&url)
            .map(|archive| archive.sha256)
            .map_err(fetch_error),
        _ => Err(fetch_error(FetchError::BadArchive {
            archive: release.to_string(),
            reason: "the upstream is not a tarball: it has no checksum".into(),
        })),
    }
}

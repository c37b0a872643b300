//! V itself for a refresh: its tree, and moving the manifest's version (and a tarball's
//! checksum, from the real download) to it.

use super::RefreshError;
use crate::upstream::release::{available, not_found};
use crate::upstream::release_tree::ReleaseTree;
use crate::upstream::{FetchError, FetchOptions, Fetcher, SourceSpec};
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
/// set the checksum of V's tarball as downloaded.
pub fn move_version(
    edit: &mut ManifestEdit,
    package: &Package,
    release: &str,
    fetcher: &Fetcher,
) -> Result<(), RefreshError> {
    edit.set_upstream_version(release)?;
    if let UpstreamSource::Tarball {
        sha256: Some(_), ..
    } = &package.manifest.upstream.source
    {
        let sha256 = release_sha256(package, release, fetcher)?;
        edit.set_sha256(&sha256)?;
    }
    Ok(())
}

/// The sha256 of the tarball of `release`, computed from the real download (fetched without a
/// declared checksum, then unpacked to a temporary folder like any upstream).
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
    let mut spec = SourceSpec::of(package, release);
    if let SourceSpec::Tarball { sha256, .. } = &mut spec {
        *sha256 = None;
    }
    let unverified = Fetcher::new(
        FetchOptions {
            allow_unverified: true,
            ..fetcher.options().clone()
        },
        None,
    );
    let temp_root = fetcher.cache().temp_dir().map_err(fetch_error)?;
    let temp = tempfile::Builder::new()
        .prefix("refresh-")
        .tempdir_in(&temp_root)
        .map_err(|e| {
            fetch_error(FetchError::Io {
                path: temp_root.clone(),
                source: e,
            })
        })?;
    let provenance = unverified
        .materialize(&spec, &temp.path().join("tree"))
        .map_err(fetch_error)?;
    provenance.sha256.ok_or_else(|| {
        fetch_error(FetchError::BadArchive {
            archive: release.to_string(),
            reason: "the download has no checksum".into(),
        })
    })
}

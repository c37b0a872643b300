//! `mindelta pin`: the integrity pins of a package's pinned release, computed from what the
//! fetcher really gets (through the cache, with every bound of a download), and the edit that
//! writes them — checksums are never computed by hand.
//!
//! - a tarball upstream: the sha256 of the download (`refresh::release_sha256`, the same value
//!   `expire` writes when it moves a version), set or added as `upstream.sha256`
//!   (`ManifestEdit::pin_sha256`);
//! - a git upstream: the commit the version's tag resolves to in the mirror, set or added as
//!   `upstream.commit` (`ManifestEdit::pin_commit`), which `prepare` then verifies;
//! - a melange package: the same values in the upstream step's `expected-commit`
//!   (`git-checkout`) or `expected-sha256` (`fetch`; `expected-sha512` when that is the pin the
//!   step uses), set or added (`native::edit::pin_upstream_input`);
//! - a `dir` upstream and a Debian source package have nothing to pin (the `.dsc`'s checksums
//!   are `dpkg-source`'s): an error that says so.
//!
//! A pin that differs from the manifest's is replaced (the user moved `upstream.version` by
//! hand, or upstream re-released): the plan says so, old and new, for the user to review.
//! Nothing is written here; the plan's [`ChangeSet`] is committed by the caller (journaled).

use serde::Serialize;

use crate::native::NativeOrigin;
use crate::refresh::{RefreshError, release_sha256};
use crate::upstream::release::fetch_message;
use crate::upstream::{FetchError, Fetcher, SourceSpec};
use crate::workspace::edit::{ChangeSet, EditError, ManifestEdit};
use crate::workspace::{Package, UpstreamSource};

/// One pin and what it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pin {
    /// The key as the file writes it: `sha256`, `commit`, `expected-sha256`, `expected-commit`,
    /// `expected-sha512`.
    pub key: String,
    /// The value before, when there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    pub new: String,
}

impl Pin {
    /// Whether the value was already the one written.
    pub fn is_unchanged(&self) -> bool {
        self.old.as_deref() == Some(self.new.as_str())
    }
}

/// What `pin` does (or found done) for one package.
#[derive(Debug, Clone, Serialize)]
pub struct PinPlan {
    pub name: String,
    pub version: String,
    /// The manifest (or melange package file) edited, as given.
    pub manifest: std::path::PathBuf,
    pub pins: Vec<Pin>,
    #[serde(skip)]
    pub changes: ChangeSet,
}

/// Why a package could not be pinned. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum PinError {
    /// The upstream has no checksum or commit to pin.
    #[error("`{package}` has nothing to pin: {reason}")]
    NothingToPin { package: String, reason: String },
    #[error("{}", fetch_message(package, version, source))]
    Fetch {
        package: String,
        version: String,
        #[source]
        source: Box<FetchError>,
    },
    #[error(transparent)]
    Refresh(#[from] RefreshError),
    #[error(transparent)]
    Edit(#[from] EditError),
}

/// Download (or find in the cache) the pinned release of `package` and plan writing its pins.
pub fn plan_pin(package: &Package, fetcher: &Fetcher) -> Result<PinPlan, PinError> {
    let version = package.manifest.upstream.version.clone();
    let nothing = |reason: &str| PinError::NothingToPin {
        package: package.name.clone(),
        reason: reason.to_string(),
    };
    let (pin, text) = match package.native() {
        Some(NativeOrigin::Debian(_)) => {
            return Err(nothing(
                "a Debian source package is pinned by the checksums of its `.dsc`, which \
                 `dpkg-source -b` writes; `mindelta pin` has nothing to write",
            ));
        }
        Some(NativeOrigin::Melange(_)) => melange_pin(package, &version, fetcher)?,
        None => {
            let mut edit = ManifestEdit::open(&package.manifest_path)?;
            let pin = match &package.manifest.upstream.source {
                UpstreamSource::Tarball { sha256, .. } => {
                    let new = release_sha256(package, &version, fetcher)?;
                    edit.pin_sha256(&new)?;
                    Pin {
                        key: "sha256".into(),
                        old: sha256.as_ref().map(|s| s.to_ascii_lowercase()),
                        new,
                    }
                }
                UpstreamSource::Git { commit, .. } => {
                    let new = resolve_commit(package, &version, fetcher)?;
                    edit.pin_commit(&new)?;
                    Pin {
                        key: "commit".into(),
                        old: commit.as_ref().map(|c| c.to_ascii_lowercase()),
                        new,
                    }
                }
                UpstreamSource::Dir { .. } => {
                    return Err(nothing(
                        "a `dir` upstream is a local folder, with no checksum or commit to pin",
                    ));
                }
            };
            (pin, (edit.original().to_string(), edit.text().to_string()))
        }
    };
    let mut changes = ChangeSet::new(package, "pin");
    let (old, new) = text;
    if old != new {
        changes.write(
            &package.manifest_path,
            Some(old.into_bytes()),
            new.into_bytes(),
        );
    }
    Ok(PinPlan {
        name: package.name.clone(),
        version,
        manifest: package.manifest_path.clone(),
        pins: vec![pin],
        changes,
    })
}

/// The pin of a melange package and the file's old and new text.
fn melange_pin(
    package: &Package,
    version: &str,
    fetcher: &Fetcher,
) -> Result<(Pin, (String, String)), PinError> {
    let path = &package.manifest_path;
    let old_text = std::fs::read_to_string(path).map_err(|source| EditError::Read {
        path: path.clone(),
        source,
    })?;
    let edit = |key: &str, value: &str, after: &[&str]| {
        crate::native::edit::pin_upstream_input(path, &old_text, key, value, after).map_err(
            |error| EditError::Edit {
                path: path.clone(),
                message: error.to_string(),
            },
        )
    };
    let (key, value, (new_text, old)) = match &package.manifest.upstream.source {
        UpstreamSource::Git { .. } => {
            let commit = resolve_commit(package, version, fetcher)?;
            let result = edit("expected-commit", &commit, &["tag", "branch", "repository"])?;
            ("expected-commit", commit, result)
        }
        UpstreamSource::Tarball { .. } => {
            let sha256 = release_sha256(package, version, fetcher)?;
            let sha512_only = package
                .native()
                .is_some_and(|native| native.expected_sha512(version).is_some());
            if sha512_only {
                let sha512 = tarball_sha512(package, version, fetcher, &sha256)?;
                let result = edit("expected-sha512", &sha512, &["uri"])?;
                ("expected-sha512", sha512, result)
            } else {
                let result = edit("expected-sha256", &sha256, &["uri"])?;
                ("expected-sha256", sha256, result)
            }
        }
        UpstreamSource::Dir { .. } => {
            return Err(PinError::NothingToPin {
                package: package.name.clone(),
                reason: "the package has no `git-checkout` or `fetch` step to pin".into(),
            });
        }
    };
    let pin = Pin {
        key: key.into(),
        old: old.map(|o| o.trim().to_ascii_lowercase()),
        new: value,
    };
    Ok((pin, (old_text, new_text)))
}

/// The commit the tag of `version` resolves to in the upstream's mirror (brought up to date
/// unless offline).
fn resolve_commit(package: &Package, version: &str, fetcher: &Fetcher) -> Result<String, PinError> {
    let fetch_error = |source: FetchError| PinError::Fetch {
        package: package.name.clone(),
        version: version.to_string(),
        source: Box::new(source),
    };
    let SourceSpec::Git { url, tags } = SourceSpec::of(package, version) else {
        return Err(PinError::NothingToPin {
            package: package.name.clone(),
            reason: "the upstream is not a git repository".into(),
        });
    };
    let mirror = fetcher.git_mirror(&url).map_err(fetch_error)?;
    let repository = crate::git::Repository::open_bare(&mirror).map_err(|source| {
        fetch_error(FetchError::Git {
            url: url.clone(),
            source: Box::new(source),
        })
    })?;
    let (_, id) = repository.resolve_tag(&tags).ok_or_else(|| {
        fetch_error(FetchError::NoSuchTag {
            url: url.clone(),
            tried: tags.clone(),
        })
    })?;
    Ok(id.to_string())
}

/// The sha512 of the release's archive whose sha256 is `sha256` (a local file, or the cached
/// download).
fn tarball_sha512(
    package: &Package,
    version: &str,
    fetcher: &Fetcher,
    sha256: &str,
) -> Result<String, PinError> {
    let fetch_error = |source: FetchError| PinError::Fetch {
        package: package.name.clone(),
        version: version.to_string(),
        source: Box::new(source),
    };
    let archive = match SourceSpec::of(package, version) {
        SourceSpec::Tarball { url, .. } if !url.contains("://") => Some(url.into()),
        SourceSpec::Tarball { url, .. } if url.starts_with("file://") => {
            Some(url.trim_start_matches("file://").into())
        }
        _ => fetcher.cache().find_tarball(sha256).map_err(fetch_error)?,
    };
    let archive: std::path::PathBuf = archive.ok_or_else(|| {
        fetch_error(FetchError::BadArchive {
            archive: version.to_string(),
            reason: "the download is not in the cache".into(),
        })
    })?;
    crate::native::package::sha512_file(&archive).map_err(fetch_error)
}

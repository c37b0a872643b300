//! The native side of `workspace::edit::ManifestEdit`: when the "manifest" of a package is a
//! melange package file or a Debian series, the edits `expire` and `refresh` ask for are made
//! by the format's own in-place editor (`melange/edit.rs`, `debian/edit.rs`), changing only the
//! lines they must.
//!
//! - melange: a dropped patch leaves its step (the step goes when it has none left, a comment
//!   records why), `package.version` moves, `epoch` resets to 0, the `fetch`'s
//!   `expected-sha256` follows the new tarball; `expected-commit` and `expected-sha512` are set
//!   from what was fetched by [`finish_expire`].
//! - melange pins: an expired Go module pin leaves its `go/bump` (or `bump`) step
//!   ([`remove_pins`], `melange/pins.rs`), the step going when no pin is left.
//! - Debian: a dropped patch's line leaves the series; the version and `debian/changelog` stay
//!   the maintainer's (a new upstream version is a new changelog entry, `dch -v`, and a new orig
//!   tarball, `uscan`).

use std::path::Path;

use super::debian;
use super::melange::{self, MelangeOptions};
use crate::workspace::ExpiredEntry;

/// The format of a file `ManifestEdit` edits in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NativeFormat {
    /// A package file of a melange repository.
    Melange,
    /// `debian/patches/series` (or the changelog of a package without one).
    Debian,
}

impl NativeFormat {
    /// The native format of the file at `path`, if it is one.
    pub fn of(path: &Path) -> Option<NativeFormat> {
        let parent = path.parent();
        let in_debian = |folder: &str| {
            parent
                .and_then(|p| p.file_name())
                .is_some_and(|name| name == folder)
        };
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if (name == "series" || name.ends_with(".series")) && in_debian("patches") {
            return Some(NativeFormat::Debian);
        }
        if name == "changelog" && in_debian("debian") {
            return Some(NativeFormat::Debian);
        }
        melange::is_package_file(path).then_some(NativeFormat::Melange)
    }
}

/// Why a native edit could not be made (the text is unchanged).
#[derive(Debug, thiserror::Error)]
pub enum NativeEditError {
    #[error(transparent)]
    Melange(#[from] melange::edit::MelangeEditError),
    #[error(transparent)]
    Debian(#[from] debian::DebianError),
}

/// The comment a dropped patch leaves in a melange file.
fn note(entry: &ExpiredEntry) -> String {
    let mut note = format!(
        "mindelta expire: dropped {} (upstream {}, {}",
        entry.file, entry.release, entry.reason
    );
    if let Some(evidence) = entry.evidence.as_deref().filter(|e| !e.is_empty()) {
        note.push_str(": ");
        note.push_str(evidence);
    }
    note.push(')');
    if let Some(date) = &entry.date {
        note.push_str(&format!(" {date}"));
    }
    note
}

/// The melange removals of `entries`, each with the note it leaves.
fn removals(entries: &[ExpiredEntry]) -> Vec<melange::edit::Removal> {
    entries
        .iter()
        .map(|entry| melange::edit::Removal {
            file: entry.file.clone(),
            note: note(entry),
        })
        .collect()
}

/// Drop the patches of `entries`.
pub fn expire_patches(
    format: NativeFormat,
    path: &Path,
    text: &str,
    entries: &[ExpiredEntry],
) -> Result<String, NativeEditError> {
    if entries.is_empty() {
        return Ok(text.to_string());
    }
    match format {
        NativeFormat::Melange => Ok(melange::edit::remove_patches(
            path,
            text,
            &removals(entries),
            &MelangeOptions::default(),
        )?),
        NativeFormat::Debian => {
            let files: Vec<&str> = entries.iter().map(|e| e.file.as_str()).collect();
            Ok(debian::edit::remove_series_entries(path, text, &files)?)
        }
    }
}

/// Make the lines of a melange package's `series:` files that list the patches of `entries`
/// comments (the note `expire` leaves) in `changes`; the entries left for
/// [`expire_patches`], named in the package file itself. Other formats have no series of
/// that kind: every entry is left.
pub fn expire_series_entries(
    package: &crate::workspace::Package,
    text: &str,
    changes: &mut crate::workspace::edit::ChangeSet,
    entries: &[ExpiredEntry],
) -> Result<Vec<ExpiredEntry>, crate::workspace::edit::EditError> {
    if !matches!(package.native(), Some(super::NativeOrigin::Melange(_))) || entries.is_empty() {
        return Ok(entries.to_vec());
    }
    let (edits, rest) = melange::edit::series_edits(
        &package.manifest_path,
        text,
        &removals(entries),
        &MelangeOptions::default(),
    )
    .map_err(|error| crate::workspace::edit::EditError::Edit {
        path: package.manifest_path.clone(),
        message: error.to_string(),
    })?;
    for edit in edits {
        changes.write(
            &edit.file,
            Some(edit.old.into_bytes()),
            edit.new.into_bytes(),
        );
    }
    Ok(entries
        .iter()
        .filter(|entry| rest.iter().any(|r| r.file == entry.file))
        .cloned()
        .collect())
}

/// Drop pins from the bump steps of a melange package file (`melange::pins::remove_pins`;
/// `keeps`: the lines of steps that keep pins in dependency files); the removals that cannot
/// be made in place come back held, with why. A Debian package has no pins: every removal is
/// held.
pub fn remove_pins(
    format: NativeFormat,
    path: &Path,
    text: &str,
    removals: &[melange::pins::PinRemoval],
    keeps: &std::collections::BTreeSet<usize>,
) -> Result<melange::pins::PinEdit, NativeEditError> {
    match format {
        NativeFormat::Melange => Ok(melange::pins::remove_pins(
            path,
            text,
            removals,
            keeps,
            &MelangeOptions::default(),
        )?),
        NativeFormat::Debian => Ok(melange::pins::PinEdit {
            text: text.to_string(),
            held: (0..removals.len())
                .map(|index| melange::pins::HeldRemoval {
                    index,
                    reason: "a Debian package has no bump steps".into(),
                })
                .collect(),
        }),
    }
}

/// Move the upstream version: melange's `package.version` (and `epoch` to 0); nothing for
/// Debian.
pub fn set_version(
    format: NativeFormat,
    path: &Path,
    text: &str,
    version: &str,
) -> Result<String, NativeEditError> {
    match format {
        NativeFormat::Melange => Ok(melange::edit::set_version(
            path,
            text,
            version,
            &MelangeOptions::default(),
        )?),
        NativeFormat::Debian => Ok(text.to_string()),
    }
}

/// Set the `expected-sha256` of the `fetch` the package's upstream comes from (when it has
/// one); nothing for Debian (the `.dsc` is made by `dpkg-source -b`).
pub fn set_sha256(
    format: NativeFormat,
    path: &Path,
    text: &str,
    sha256: &str,
) -> Result<String, NativeEditError> {
    if format != NativeFormat::Melange {
        return Ok(text.to_string());
    }
    set_upstream_input(path, text, "expected-sha256", sha256)
}

/// Set an input of the step the package's upstream comes from (the first `git-checkout`, else
/// the first `fetch`), when the step has it.
pub fn set_upstream_input(
    path: &Path,
    text: &str,
    key: &str,
    value: &str,
) -> Result<String, NativeEditError> {
    let options = MelangeOptions::default();
    let package = melange::parse_package(path, text, &options)
        .map_err(melange::edit::MelangeEditError::from)?;
    let checkout = package
        .steps()
        .find(|s| s.action == melange::Action::GitCheckout && s.input("repository").is_some());
    let fetch = package
        .steps()
        .find(|s| s.action == melange::Action::Fetch && s.input("uri").is_some());
    let Some(step) = checkout.or(fetch) else {
        return Ok(text.to_string());
    };
    if step.input(key).is_none() {
        return Ok(text.to_string());
    }
    let offset = step.position.offset.unwrap_or(0);
    Ok(melange::edit::set_input(
        path, text, offset, key, value, &options,
    )?)
}

/// `mindelta pin` on a melange package file: the input `key` of the step the package's
/// upstream comes from (the first `git-checkout`, else the first `fetch`) set to `value`, or,
/// when the step has none, added on a new line after the first of `after` it has. Also the
/// step's current value of `key`, if any.
pub fn pin_upstream_input(
    path: &Path,
    text: &str,
    key: &str,
    value: &str,
    after: &[&str],
) -> Result<(String, Option<String>), NativeEditError> {
    let options = MelangeOptions::default();
    let package = melange::parse_package(path, text, &options)
        .map_err(melange::edit::MelangeEditError::from)?;
    let checkout = package
        .steps()
        .find(|s| s.action == melange::Action::GitCheckout && s.input("repository").is_some());
    let fetch = package
        .steps()
        .find(|s| s.action == melange::Action::Fetch && s.input("uri").is_some());
    let Some(step) = checkout.or(fetch) else {
        return Err(melange::edit::MelangeEditError::Edit {
            path: path.to_path_buf(),
            message: "no `git-checkout` or `fetch` step to pin".into(),
        }
        .into());
    };
    let offset = step.position.offset.unwrap_or(0);
    let old = step.input_text(key).map(str::to_string);
    if step.input(key).is_some() {
        let new = melange::edit::set_input(path, text, offset, key, value, &options)?;
        return Ok((new, old));
    }
    let Some(anchor) = after.iter().find(|name| step.input(name).is_some()) else {
        return Err(melange::edit::MelangeEditError::Edit {
            path: path.to_path_buf(),
            message: format!("the step has none of {}", after.join(", ")),
        }
        .into());
    };
    let new = melange::edit::add_input(path, text, offset, anchor, key, value, &options)?;
    Ok((new, old))
}

/// What `expire` planned, completed with the integrity pins only the new release's fetch can
/// give: the commit the new tag resolves to (from the mirror `check` brought up to date) for
/// melange's `expected-commit` and a `package.yaml`'s `commit:`, and melange's
/// `expected-sha512` (of the new tarball). A plan that does not move the version, or a package
/// without such a pin, is returned as it is.
///
/// With `changelog`, a Debian package's dropped patches are also listed, with their evidence, in
/// a `dch`-style item of the top `UNRELEASED` entry of `debian/changelog`.
pub fn finish_expire(
    package: &crate::workspace::Package,
    mut plan: crate::expiry::expire::ExpirePlan,
    fetcher: &crate::upstream::Fetcher,
    changelog: bool,
) -> Result<crate::expiry::expire::ExpirePlan, crate::expiry::expire::ExpireError> {
    use crate::refresh::RefreshError;
    if changelog
        && !plan.blocked
        && !plan.expired.is_empty()
        && let Some(super::NativeOrigin::Debian(source)) = package.native()
    {
        let path = source.root.join("debian/changelog");
        let edit_error = |message: String| {
            crate::expiry::expire::ExpireError::Refresh(RefreshError::Edit(
                crate::workspace::edit::EditError::Edit {
                    path: path.clone(),
                    message,
                },
            ))
        };
        let old = fs_err::read_to_string(&path).map_err(|e| edit_error(e.to_string()))?;
        let dropped: Vec<String> = plan
            .expired
            .iter()
            .map(|gone| {
                if gone.evidence.is_empty() {
                    format!("{} ({})", gone.file, gone.reason)
                } else {
                    format!("{} ({}: {})", gone.file, gone.reason, gone.evidence)
                }
            })
            .collect();
        let item = format!(
            "Drop patches applied upstream in {}: {}",
            plan.release,
            dropped.join(", ")
        );
        let new = debian::edit::add_changelog_item(&path, &old, &item)
            .map_err(|e| edit_error(e.to_string()))?;
        plan.changes
            .write(&path, Some(old.into_bytes()), new.into_bytes());
    }
    let Some(moved) = plan.version_moved.clone() else {
        return Ok(plan);
    };
    complete_pins(package, &moved.to, &mut plan.changes, fetcher).map_err(|error| match error {
        PinError::Fetch(source) => {
            crate::expiry::expire::ExpireError::Refresh(RefreshError::Fetch {
                package: package.name.clone(),
                release: moved.to.clone(),
                source: Box::new(source),
            })
        }
        PinError::Edit(error) => {
            crate::expiry::expire::ExpireError::Refresh(RefreshError::Edit(error))
        }
    })?;
    Ok(plan)
}

/// Why the pins of a moved version could not be completed.
#[derive(Debug, thiserror::Error)]
pub enum PinError {
    #[error(transparent)]
    Fetch(#[from] crate::upstream::FetchError),
    #[error(transparent)]
    Edit(#[from] crate::workspace::edit::EditError),
}

/// Complete the planned edit of a package's manifest (in `changes`) that moves its version to
/// `release` with the pins only that release's fetch gives: the commit its tag resolves to (a
/// `package.yaml`'s `commit:`, melange's `expected-commit`), melange's `expected-sha512`. For
/// `expire` ([`finish_expire`]) and `refresh`; nothing is done for a package without such a pin
/// or a plan that does not change the manifest.
pub fn complete_pins(
    package: &crate::workspace::Package,
    release: &str,
    changes: &mut crate::workspace::edit::ChangeSet,
    fetcher: &crate::upstream::Fetcher,
) -> Result<(), PinError> {
    use crate::upstream::{FetchError, SourceSpec};
    use crate::workspace::UpstreamSource;
    use crate::workspace::edit::EditError;
    let edit_error = |message: String| EditError::Edit {
        path: package.manifest_path.clone(),
        message,
    };
    let mut commit = None;
    if let UpstreamSource::Git {
        commit: Some(_), ..
    } = &package.manifest.upstream.source
        && let SourceSpec::Git { url, tags } = SourceSpec::of(package, release)
    {
        let mirror = fetcher.git_mirror(&url)?;
        let git_error = |source| FetchError::Git {
            url: url.clone(),
            source: Box::new(source),
        };
        let repository = crate::git::Repository::open_bare(&mirror).map_err(git_error)?;
        let (_, id) = repository
            .resolve_tag(&tags)
            .ok_or_else(|| FetchError::NoSuchTag {
                url: url.clone(),
                tried: tags.clone(),
            })?;
        commit = Some(id.to_string());
    }
    let mut sha512 = None;
    if let Some(native) = package.native()
        && native
            .expected_sha512(&package.manifest.upstream.version)
            .is_some()
        && let Some(spec) = native.source_spec(release)
    {
        let archive = match spec {
            SourceSpec::Tarball { url, .. } => Some(fetcher.checked_archive(&url)?.path),
            _ => None,
        };
        if let Some(archive) = archive {
            sha512 = Some(super::package::sha512_file(&archive)?);
        }
    }
    if commit.is_none() && sha512.is_none() {
        return Ok(());
    }
    let path = package.manifest_path.clone();
    let Some(change) = changes.change_mut(&path) else {
        return Ok(());
    };
    let Some(new) = change.new.as_ref() else {
        return Ok(());
    };
    let mut text = String::from_utf8_lossy(new).into_owned();
    match package.native() {
        Some(super::NativeOrigin::Melange(_)) => {
            for (key, value) in [("expected-commit", commit), ("expected-sha512", sha512)] {
                if let Some(value) = value {
                    text = set_upstream_input(&path, &text, key, &value)
                        .map_err(|e| edit_error(e.to_string()))?;
                }
            }
        }
        Some(super::NativeOrigin::Debian(_)) => return Ok(()),
        None => {
            if let Some(commit) = commit {
                let mut edit = crate::workspace::edit::ManifestEdit::from_text(&path, text);
                edit.set_commit(&commit)?;
                text = edit.text().to_string();
            }
        }
    }
    change.new = Some(text.into_bytes());
    Ok(())
}

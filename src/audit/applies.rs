//! Does the series apply to the pinned release? The gate of `audit --check`: what `prepare`
//! would do to the release the package targets, without writing a tree — every patch in series
//! order, zero fuzz, a patch whose changes the tree already has skipped (as `prepare` skips
//! it). A patch that fails to apply is a broken build, an `error` finding
//! ([`APPLIES_RULE`]); one that applies is not.
//!
//! The release is read as `check` reads it (`upstream::release_tree`: blobs from the git
//! mirror, a selectively extracted tarball), through the cache and under `--offline`; only the
//! files the series touches are written to a temporary folder of the cache, where the applier
//! works in memory. A Debian source package is unpacked whole as `prepare` unpacks it (its
//! component tarballs and `debian/` included), and a file a patch empties is removed as
//! `dpkg-source` does. When the release cannot be had, the answer is an error for the caller to
//! report as unknown — never a finding.

use std::collections::BTreeSet;
use std::path::Path;

use crate::native::NativeOrigin;
use crate::patch::apply::{ApplyError, ApplyOptions, WorkTree};
use crate::patch::path::bytes_to_path;
use crate::patch::{Patch, parse_patches};
use crate::upstream::release_tree::{Entry, ReleaseTree};
use crate::upstream::{FetchError, Fetcher, SourceSpec, error_chain};
use crate::workspace::Package;

/// The id of the finding of a patch that does not apply to the pinned release.
pub const APPLIES_RULE: &str = "applies-to-pinned";

/// What applying one patch of the series to the pinned release did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// Every change applied (exactly, or at an offset).
    Applies,
    /// The tree already has every change (`prepare` skips it).
    AlreadyApplied,
    /// It does not apply: why, in words (the file, the hunk, the line).
    Fails(String),
    /// The patch could not be read or parsed (reported elsewhere): nothing is said.
    Unreadable,
}

/// One patch's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchApplies {
    pub file: String,
    pub outcome: ApplyOutcome,
}

/// Apply the series of `package` to its pinned release (`upstream.version`), in memory; the
/// outcome of each patch, in series order. `Err`: the release could not be had.
pub fn series_applies(
    package: &Package,
    fetcher: &Fetcher,
) -> Result<Vec<PatchApplies>, FetchError> {
    let version = &package.manifest.upstream.version;
    let parsed: Vec<Option<Vec<Patch>>> = package
        .manifest
        .patches
        .iter()
        .map(|entry| {
            package
                .read_patch(entry)
                .ok()
                .and_then(|bytes| parse_patches(&bytes).ok())
                .filter(|patches| patches.iter().any(|p| !p.files.is_empty()))
        })
        .collect();
    let temp_root = fetcher.cache().temp_dir()?;
    let temp = tempfile::Builder::new()
        .prefix("applies-")
        .tempdir_in(&temp_root)
        .map_err(|e| FetchError::io(&temp_root, e))?;
    let tree = temp.path().join("tree");
    let debian = match package.native() {
        Some(NativeOrigin::Debian(source)) => {
            let spec = SourceSpec::of(package, version);
            fetcher.materialize(&spec, &tree)?;
            crate::native::debian::unpack::complete_tree(source, fetcher, &tree)?;
            true
        }
        _ => {
            copy_touched(package, version, fetcher, &parsed, &tree)?;
            false
        }
    };
    let mut work = WorkTree::open(&tree).map_err(|e| apply_io(&tree, e))?;
    let mut outcomes = Vec::with_capacity(parsed.len());
    for (entry, patches) in package.manifest.patches.iter().zip(&parsed) {
        let outcome = match patches {
            None => ApplyOutcome::Unreadable,
            Some(patches) => apply_one(&mut work, patches, entry.strip, debian),
        };
        outcomes.push(PatchApplies {
            file: entry.file.clone(),
            outcome,
        });
    }
    Ok(outcomes)
}

/// Apply one patch file (its mails in order) as `prepare` does.
fn apply_one(work: &mut WorkTree, patches: &[Patch], strip: usize, debian: bool) -> ApplyOutcome {
    let options = ApplyOptions {
        strip,
        fuzz: 0,
        reverse: false,
    };
    let mut applied_any = false;
    let mut skipped_any = false;
    for patch in patches {
        match work.apply(patch, &options) {
            Ok(applied) => {
                applied_any = true;
                if debian {
                    work.remove_emptied(&applied);
                }
            }
            Err(ApplyError::AlreadyApplied { .. }) => skipped_any = true,
            Err(error) => return ApplyOutcome::Fails(error_chain(&error)),
        }
    }
    if skipped_any && !applied_any {
        ApplyOutcome::AlreadyApplied
    } else {
        ApplyOutcome::Applies
    }
}

/// Write to `tree` the files of the pinned release that the series reads or writes.
fn copy_touched(
    package: &Package,
    version: &str,
    fetcher: &Fetcher,
    parsed: &[Option<Vec<Patch>>],
    tree: &Path,
) -> Result<(), FetchError> {
    let mut touched = BTreeSet::new();
    for (entry, patches) in package.manifest.patches.iter().zip(parsed) {
        for file in patches.iter().flatten().flat_map(|p| &p.files) {
            touched.extend(file.old_target(entry.strip));
            touched.extend(file.new_target(entry.strip));
        }
    }
    let release = ReleaseTree::open_selected(
        package,
        version,
        fetcher,
        &package.manifest.upstream.tag_candidates(version),
        &|path| touched.contains(path),
    )?;
    fs_err::create_dir_all(tree).map_err(|e| FetchError::io(tree, e))?;
    for path in &touched {
        // An unsafe path is the applier's to refuse, as `prepare` refuses it.
        let Ok(Entry::File(bytes)) = release.read(path) else {
            continue;
        };
        let target = tree.join(bytes_to_path(path));
        // A path under what another touched path made a file cannot be written: the applier
        // then reports it, as it would on the real tree.
        let written = target
            .parent()
            .map_or(Ok(()), fs_err::create_dir_all)
            .and_then(|()| fs_err::write(&target, &bytes));
        if let Err(error) = written {
            tracing::debug!(path = %target.display(), %error, "not copied for the apply check");
        }
    }
    Ok(())
}

fn apply_io(tree: &Path, error: ApplyError) -> FetchError {
    FetchError::io(tree, std::io::Error::other(error_chain(&error)))
}

//! Expire: act on the verdicts of `check` (DESIGN.md §5).
//!
//! Flow: `plan_expire` runs `check_package` against release V, then plans every change before
//! anything is written: expired patches lose their file and manifest entry and gain an
//! `expired:` record (release, reason, evidence, date); the remaining patches are refreshed
//! onto V in series order (`refresh::refresh_series`), so a `partial` patch shrinks to its
//! remaining hunks (header kept) and a patch that moved gets new line numbers — except a
//! dependency patch that R has in part (`dependency-superseded` supports it), whose hunks
//! carry R's old versions: it is rewritten against R's manifests to the raises R lacks
//! (`detector::dependency_superseded::shrink`) before the refresh, or, when a lock file
//! carries a change, held as needing a refresh (listed in `needs_refresh`, blocking like a
//! conflict); and
//! `upstream.version` (with a declared tarball sha256, computed from the real download) moves
//! to V. `conflict` and `unknown` patches are left untouched and listed (with `fuzz`, a
//! `conflict` patch is first given to the refresh, which may place it with its context taken
//! from V; only what still conflicts then is held); they keep the version
//! where it is (and then nothing changes at all, since the other patches would no longer match
//! the pinned version) unless `allow_conflicts` is set.
//!
//! A melange package's bump pins that R already satisfies (`check`'s `pins`, verdict
//! `expired`) leave their steps in the same edit of the package file, and their dependency
//! files in the same change set (`pins::expire`).
//!
//! The plan carries one [`ChangeSet`]: patch rewrites, then removals, then the manifest, so the
//! manifest (the commit point of the series) changes last. The caller commits it or, for
//! `--dry-run`, shows its diff.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::detector::dependency_superseded::{self, DependencyShrink};
use super::pins::{ExpiredPin, HeldPin};
use super::{
    CheckError, CheckOptions, Detector, EvidenceResult, PatchCheck, Verdict, check_package,
    conflicts_only_by_a_move,
};
use crate::refresh::{self, RefreshError, RefreshOptions, RefreshOutcome, SeriesPatch};
use crate::upstream::Fetcher;
use crate::workspace::edit::{ChangeSet, ManifestEdit};
use crate::workspace::{ExpiredEntry, Package};

/// Choices for one expire.
#[derive(Debug, Clone, Default)]
pub struct ExpireOptions {
    pub check: CheckOptions,
    /// Fuzz allowed when refreshing the remaining patches (their context is taken from V).
    pub fuzz: usize,
    /// Move the version even when some patch conflicts.
    pub allow_conflicts: bool,
    /// The date recorded in `expired:` entries (`YYYY-MM-DD`).
    pub date: String,
}

/// Why a package could not be expired. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum ExpireError {
    #[error(transparent)]
    Check(#[from] CheckError),
    #[error(transparent)]
    Refresh(#[from] RefreshError),
}

/// One patch that goes, with why.
#[derive(Debug, Clone, Serialize)]
pub struct ExpiredPatch {
    pub file: String,
    pub reason: Detector,
    pub evidence: String,
}

/// A patch left untouched, with why.
#[derive(Debug, Clone, Serialize)]
pub struct HeldPatch {
    pub file: String,
    pub verdict: Verdict,
    pub detail: String,
}

/// The version move, when there is one.
#[derive(Debug, Clone, Serialize)]
pub struct VersionMove {
    pub from: String,
    pub to: String,
}

/// What expire does (or would do) for one package.
#[derive(Debug, Clone, Serialize)]
pub struct ExpirePlan {
    pub name: String,
    pub version: String,
    pub release: String,
    /// Conflicts keep the version (no `allow_conflicts`): nothing is changed.
    pub blocked: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_moved: Option<VersionMove>,
    pub expired: Vec<ExpiredPatch>,
    pub shrunk: Vec<String>,
    pub refreshed: Vec<String>,
    pub unchanged: Vec<String>,
    pub conflicts: Vec<HeldPatch>,
    /// Dependency patches R has in part that cannot be shrunk by editing (a lock file
    /// carries a change, …): left untouched, and they keep the version as conflicts do.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub needs_refresh: Vec<HeldPatch>,
    /// Patches found already upstream only in series order: left in place (check them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub already_upstream: Vec<String>,
    /// Pins of a melange package's bump steps that R already satisfies: dropped from their
    /// steps and dependency files (`pins::expire`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expired_pins: Vec<ExpiredPin>,
    /// Pins found expired that stay, with why (not editable in place, …).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub held_pins: Vec<HeldPin>,
    #[serde(skip)]
    pub changes: ChangeSet,
}

/// Plan the expiry of `package` against `release`; nothing is written (commit `changes`).
pub fn plan_expire(
    package: &Package,
    release: &str,
    fetcher: &Fetcher,
    options: &ExpireOptions,
) -> Result<ExpirePlan, ExpireError> {
    let check = check_package(package, release, fetcher, &options.check)?;
    let mut series = refresh::read_series(package)?;
    let tree = refresh::open_tree(package, release, fetcher)?;
    let mut expired = Vec::new();
    let mut conflicts = Vec::new();
    let mut needs_refresh = Vec::new();
    // Dependency patches rewritten to the raises R lacks: file → the bytes on disk.
    let mut rewritten: HashMap<String, Vec<u8>> = HashMap::new();
    let entries = &package.manifest.patches;
    for ((patch, verdict), entry) in series.iter_mut().zip(&check.patches).zip(entries) {
        if verdict.verdict == Verdict::Expired {
            expired.push(expired_patch(verdict));
            continue;
        }
        // The rest is refreshed in series order, so what counts is the verdict in series order
        // (a patch may apply only on top of an earlier one).
        let (in_order, hunks) = match &verdict.cumulative {
            Some(cumulative) => (cumulative.verdict, &cumulative.hunks),
            None => (verdict.verdict, &verdict.hunks),
        };
        if in_order == Verdict::Partial && dependencies_in_part(verdict) {
            // Its hunks carry R's old versions around the raises R has: the refresh could
            // not place them. The rest is made from R's manifests instead, or held.
            match dependency_superseded::shrink(entry, &patch.bytes, &tree) {
                Some(DependencyShrink::Rewritten(bytes)) => {
                    rewritten.insert(
                        patch.file.clone(),
                        std::mem::replace(&mut patch.bytes, bytes),
                    );
                    continue;
                }
                Some(DependencyShrink::NeedsRefresh(detail)) => {
                    patch.hold = Some(format!("needs a refresh: {detail}"));
                    needs_refresh.push(HeldPatch {
                        file: verdict.file.clone(),
                        verdict: in_order,
                        detail,
                    });
                    continue;
                }
                None => {}
            }
        }
        match in_order {
            // With fuzz, a conflicting patch gets a chance to be rebased (context from V); so
            // does one whose only trouble is a file upstream moved (refresh follows it).
            Verdict::Conflict if options.fuzz > 0 || conflicts_only_by_a_move(hunks) => {}
            Verdict::Conflict | Verdict::Unknown => {
                let detail = why(verdict);
                patch.hold = Some(format!("verdict {}: {detail}", in_order.as_str()));
                conflicts.push(HeldPatch {
                    file: verdict.file.clone(),
                    verdict: in_order,
                    detail,
                });
            }
            _ => {}
        }
    }
    let gone: HashSet<&str> = expired.iter().map(|e| e.file.as_str()).collect();
    let remaining: Vec<SeriesPatch> = series
        .iter()
        .filter(|p| !gone.contains(p.file.as_str()))
        .cloned()
        .collect();
    let refresh_options = RefreshOptions {
        fuzz: options.fuzz,
        allow_conflicts: options.allow_conflicts,
    };
    let results = refresh::refresh_series(&remaining, &tree, &refresh_options);

    let version = package.manifest.upstream.version.clone();
    let mut plan = ExpirePlan {
        name: package.name.clone(),
        version: version.clone(),
        release: release.to_string(),
        blocked: false,
        version_moved: None,
        expired,
        shrunk: Vec::new(),
        refreshed: Vec::new(),
        unchanged: Vec::new(),
        conflicts,
        needs_refresh,
        already_upstream: Vec::new(),
        expired_pins: Vec::new(),
        held_pins: Vec::new(),
        changes: ChangeSet::new(package, "expire"),
    };
    let mut writes = Vec::new();
    for (patch, result) in remaining.iter().zip(&results) {
        if let Some(original) = rewritten.get(&patch.file) {
            match result.outcome {
                RefreshOutcome::Conflict => plan.conflicts.push(HeldPatch {
                    file: patch.file.clone(),
                    verdict: Verdict::Partial,
                    detail: format!(
                        "shrunk to the dependencies R lacks, it does not apply in series order: {}",
                        result.detail.clone().unwrap_or_default()
                    ),
                }),
                _ => {
                    plan.shrunk.push(patch.file.clone());
                    let bytes = result.bytes.clone().unwrap_or_else(|| patch.bytes.clone());
                    writes.push((patch, original.clone(), bytes));
                }
            }
            continue;
        }
        match result.outcome {
            RefreshOutcome::Unchanged => plan.unchanged.push(patch.file.clone()),
            RefreshOutcome::Refreshed => plan.refreshed.push(patch.file.clone()),
            RefreshOutcome::Shrunk => plan.shrunk.push(patch.file.clone()),
            RefreshOutcome::Expired => plan.already_upstream.push(patch.file.clone()),
            RefreshOutcome::Conflict if patch.hold.is_none() => plan.conflicts.push(HeldPatch {
                file: patch.file.clone(),
                verdict: Verdict::Conflict,
                detail: result.detail.clone().unwrap_or_default(),
            }),
            RefreshOutcome::Conflict => {}
        }
        if let Some(bytes) = &result.bytes {
            writes.push((patch, patch.bytes.clone(), bytes.clone()));
        }
    }
    let held = !plan.conflicts.is_empty() || !plan.needs_refresh.is_empty();
    if held && !options.allow_conflicts {
        plan.blocked = true;
        return Ok(plan);
    }

    let mut edit = ManifestEdit::open(&package.manifest_path).map_err(RefreshError::from)?;
    // The pins first: `check` gave their lines in the file as read.
    let pins = super::pins::expire(
        package,
        &mut edit,
        &mut plan.changes,
        &check.pins,
        release,
        &options.date,
    )
    .map_err(RefreshError::from)?;
    plan.expired_pins = pins.expired_pins;
    plan.held_pins = pins.held_pins;
    for (patch, before, bytes) in writes {
        plan.changes
            .write(&package.dir.join(&patch.file), Some(before), bytes);
    }
    // One batch edit of the manifest for all expired patches: editing and re-reading it once
    // per patch made expire quadratic in the size of the series.
    let by_file: HashMap<&str, &SeriesPatch> =
        series.iter().map(|p| (p.file.as_str(), p)).collect();
    let mut records = Vec::with_capacity(plan.expired.len());
    for gone in &plan.expired {
        let Some(patch) = by_file.get(gone.file.as_str()) else {
            continue;
        };
        plan.changes
            .remove(&package.dir.join(&patch.file), patch.bytes.clone());
        records.push(ExpiredEntry {
            file: gone.file.clone(),
            release: release.to_string(),
            reason: gone.reason.to_string(),
            evidence: Some(gone.evidence.clone()),
            date: (!options.date.is_empty()).then(|| options.date.clone()),
        });
    }
    let records = crate::native::edit::expire_series_entries(
        package,
        edit.original(),
        &mut plan.changes,
        &records,
    )
    .map_err(RefreshError::from)?;
    edit.expire_patches(&records).map_err(RefreshError::from)?;
    if release != version {
        refresh::move_version(&mut edit, package, release, fetcher, Some(&tree))?;
        plan.version_moved = Some(VersionMove {
            from: version,
            to: release.to_string(),
        });
    }
    plan.changes.write(
        edit.path(),
        Some(edit.original().as_bytes().to_vec()),
        edit.text().as_bytes().to_vec(),
    );
    Ok(plan)
}

/// The record of an expired patch: the proving detector and its finding (and the other
/// proofs, if any).
pub(crate) fn expired_patch(check: &PatchCheck) -> ExpiredPatch {
    let reason = check.reason.unwrap_or(Detector::Content);
    let proofs: Vec<_> = check
        .evidence
        .iter()
        .filter(|e| e.result == EvidenceResult::Proves)
        .collect();
    let mut parts: Vec<String> = proofs
        .iter()
        .filter(|e| e.detector == reason)
        .map(|e| e.detail.clone())
        .collect();
    parts.extend(
        proofs
            .iter()
            .filter(|e| e.detector != reason)
            .map(|e| format!("{}: {}", e.detector, e.detail)),
    );
    ExpiredPatch {
        file: check.file.clone(),
        reason,
        evidence: parts.join("; "),
    }
}

/// True when `dependency-superseded` found some of the patch's dependencies in R and not the
/// others.
fn dependencies_in_part(check: &PatchCheck) -> bool {
    check.evidence.iter().any(|e| {
        e.detector == Detector::DependencySuperseded && e.result == EvidenceResult::Supports
    })
}

/// Why a patch is held, in a line: its first error, else the content finding.
fn why(check: &PatchCheck) -> String {
    check
        .evidence
        .iter()
        .find(|e| e.result == EvidenceResult::Error)
        .or_else(|| {
            check
                .evidence
                .iter()
                .find(|e| e.detector == Detector::Content)
        })
        .map(|e| format!("{}: {}", e.detector, e.detail))
        .unwrap_or_default()
}

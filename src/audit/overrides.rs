//! The dependency overrides a package carries: one entry per dependency that a patch changing
//! only dependency requirements raises, adds or removes (`crate::dependency::patch::analyze`),
//! and per item a melange bump step pins (`crate::expiry::pins`: Go modules, crates, Maven
//! artifacts and properties),
//! with the patch's age and, after `audit --check`, whether the release judged against
//! already declares it at that version or newer (the `dependency-superseded` detector's
//! per-dependency outcome, `crate::expiry::DependencyCheck`).

use serde::{Deserialize, Serialize};

use crate::dependency::DependencyOptions;
use crate::dependency::patch::{Analysis, Change, analyze};
use crate::expiry::{DependencyCheck, PackageCheck, pins};
use crate::patch::Patch;
use crate::workspace::Package;

/// One dependency a patch overrides.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DependencyOverride {
    /// The patch (`file:` entry) that carries it.
    pub patch: String,
    /// The dependency (`golang.org/x/net`, `io.netty:netty-handler`, a Maven property).
    pub name: String,
    /// `go`, `npm`, `cargo`, `python`, `maven`, `gradle` or `rubygems`.
    pub ecosystem: String,
    /// The manifest the patch changes.
    pub file: String,
    /// `raise`, `add` or `remove`.
    pub change: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The version the patch sets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Days since the patch was added (the patch's `age_days`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_days: Option<i64>,
    /// With `--check`: the release declares it at the patch's version or newer (or, for a
    /// removal, no longer declares it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub superseded: Option<bool>,
    /// With `--check`: how the release stands to it (`superseded`, `older`, `not-found`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// With `--check`: the release's version or range, when it declares one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_version: Option<String>,
    /// With `--check`: where the release declares it (`go.mod:9`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_location: Option<String>,
}

/// The overrides of one patch (`patches`, read from its file), empty unless every mail of it
/// changes only dependency requirements.
pub fn of_patch(
    file: &str,
    strip: usize,
    patches: &[Patch],
    age_days: Option<i64>,
) -> Vec<DependencyOverride> {
    let options = DependencyOptions::default();
    let mut overrides = Vec::new();
    for patch in patches.iter().filter(|p| !p.files.is_empty()) {
        let Analysis::Dependency(dependency_patch) = analyze(patch, strip, &options) else {
            return Vec::new();
        };
        for change in &dependency_patch.changes {
            let (word, from, to) = match &change.change {
                Change::Raise { from, to } => ("raise", Some(from.clone()), Some(to.clone())),
                Change::Add { to } => ("add", None, Some(to.clone())),
                Change::Remove { from } => ("remove", Some(from.clone()), None),
            };
            overrides.push(DependencyOverride {
                patch: file.to_string(),
                name: change.name.clone(),
                ecosystem: change.ecosystem.as_str().to_string(),
                file: change.file.clone(),
                change: word.to_string(),
                from,
                to,
                age_days,
                ..DependencyOverride::default()
            });
        }
    }
    overrides
}

/// What a melange package's bump steps pin, as overrides (`patch` names the step:
/// `go/bump (line 13)`; `change` is `pin`; their age is unknown).
pub fn of_pins(package: &Package) -> Vec<DependencyOverride> {
    pins::pinned(package)
        .into_iter()
        .map(|pin| DependencyOverride {
            patch: pin.step,
            name: pin.module,
            ecosystem: pin.ecosystem,
            file: pin.manifests,
            change: "pin".to_string(),
            from: None,
            to: Some(match pin.replaced_by {
                Some(target) => format!("{target}@{}", pin.version),
                None => pin.version,
            }),
            ..DependencyOverride::default()
        })
        .collect()
}

/// Fill each override with what `check` found for its patch's dependency (or its pin).
pub fn add_verdicts(overrides: &mut [DependencyOverride], check: &PackageCheck) {
    for entry in overrides {
        let pinned = check
            .pins
            .iter()
            .filter(|p| p.step() == entry.patch)
            .filter_map(|p| p.dependency.as_ref());
        let found: Option<&DependencyCheck> = check
            .patches
            .iter()
            .filter(|c| c.file == entry.patch)
            .flat_map(|c| &c.dependencies)
            .chain(pinned)
            .find(|d| d.name == entry.name && d.file == entry.file && d.to == entry.to);
        if let Some(found) = found {
            entry.superseded = Some(found.outcome.is_superseded());
            entry.outcome = Some(found.outcome.as_str().to_string());
            entry.release_version = found.release.as_ref().map(|r| r.version.clone());
            entry.release_location = found
                .release
                .as_ref()
                .map(|r| format!("{}:{}", r.file, r.line));
        }
    }
}

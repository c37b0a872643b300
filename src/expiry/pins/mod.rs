//! Dependency pins of a melange package: what its bump steps raise — the modules of `go/bump`,
//! the crates of `rust/cargobump`, the artifacts and version properties of `maven/pombump`, any
//! of these in Wolfi's `bump` (omnibump) — written inline or in the dependency files the steps
//! read (`steps.rs`), judged like a dependency patch by the `dependency-superseded` detector:
//! a Go module's effective version in R's go.mod (`crate::dependency::bump`), every locked
//! copy of a crate in R's `Cargo.lock`, every declaration of an artifact (or the property) in
//! R's pom.xml (`crate::dependency::pinned`) must be at or above the pin's.
//!
//! One [`PinCheck`] per pinned item, since a maintainer drops pins one by one: `expired`
//! (reason `dependency-superseded`) when R declares it at that version or newer, `needed` when
//! R declares it older, `unknown` when R does not declare it, redirects it, or has no manifest
//! where the step runs — a pin R has nothing to say about is never a silent expiry. Other
//! packages have no pins. `check` reports them; [`expire`] (called by `expire` and by
//! `upgrade`, in their one change set) drops every expired one from its step or its file — a
//! pin R already meets is at best a no-op for its tool, at worst a refused bump — and lists the
//! ones that cannot be removed in place (`docs/dependencies.md`, "Bump pins").

mod expire;
mod steps;

use std::collections::HashMap;

use serde::Serialize;

use super::detector::dependency_superseded::describe;
use super::detector::evidence;
use super::{DependencyCheck, Detector, Evidence, EvidenceResult, Verdict};
use crate::dependency::bump;
use crate::dependency::pinned::{self, PinnedKind};
use crate::dependency::{DependencyOptions, Ecosystem, ManifestKind, Outcome, Section};
use crate::upstream::release_tree::{Entry, ReleaseTree};
use crate::workspace::Package;

pub use expire::{ExpiredPin, HeldPin, PinExpiry, expire};
pub use steps::PinSource;
use steps::{ItemKind, PinItem, PinStep};

/// The verdict of one pinned item against R.
#[derive(Debug, Clone, Serialize)]
pub struct PinCheck {
    /// The step's tool: `go/bump`, `bump`, `rust/cargobump` or `maven/pombump`.
    pub tool: String,
    /// The package file and the line of the step.
    pub file: String,
    pub line: usize,
    /// `go`, `cargo` or `maven` (left out for an item that does not parse).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub ecosystem: String,
    /// What the step raises: a module (for a `replaces` item: the module it redirects), a
    /// crate, a Maven `groupId:artifactId` or version property.
    pub module: String,
    /// The version the step sets.
    pub version: String,
    /// For a `replaces` item: the module it points `module` at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<String>,
    /// For a crate pinned at one locked copy (`rand@0.8.5` in cargobump's file): that copy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locked: Option<String>,
    /// The dependency file the pin is written in (a path of the repository), and its line;
    /// left out for a pin written in the step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deps_file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deps_line: Option<usize>,
    /// The manifests the step raises (one per `modroot`), as paths of R.
    pub manifests: Vec<String>,
    pub verdict: Verdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Detector>,
    pub evidence: Vec<Evidence>,
    /// How R stands to the dependency, with R's version, file and line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dependency: Option<DependencyCheck>,
    /// Where the item is written (`None`: an item that did not parse).
    #[serde(skip)]
    pub source: Option<PinSource>,
    /// Which copy of the step it is: the index of the step among the package's bump steps at
    /// its version (a ranged subpackage repeats a step of the file once per item).
    #[serde(skip)]
    pub copy: usize,
}

/// One item a bump step of the package pins, before any release is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pinned {
    /// Where the pin is: `go/bump (line 13)`.
    pub step: String,
    /// `go`, `cargo` or `maven`.
    pub ecosystem: String,
    pub module: String,
    pub version: String,
    pub replaced_by: Option<String>,
    /// The manifests it raises, as paths of the source tree, separated by spaces.
    pub manifests: String,
}

/// How a step is named in reports: its tool and line.
fn step_label(tool: &str, line: usize) -> String {
    format!("{tool} (line {line})")
}

/// Every item the package's bump steps pin (none for other packages); an item that does not
/// parse is left out (`check` reports it).
pub fn pinned(package: &Package) -> Vec<Pinned> {
    let mut pinned = Vec::new();
    for step in steps::read(package) {
        for item in &step.items {
            pinned.push(Pinned {
                step: step_label(step.tool, step.line),
                ecosystem: item.ecosystem.as_str().to_string(),
                module: item.name.clone(),
                version: item.version.clone(),
                replaced_by: item.replaced_by.clone(),
                manifests: step.manifests(item.ecosystem).join(" "),
            });
        }
    }
    pinned
}

impl PinCheck {
    /// The step as [`Pinned::step`] names it.
    pub fn step(&self) -> String {
        step_label(&self.tool, self.line)
    }

    /// Where the pin is written, for a human: `line 13`, or `line 13, gw/deps.yaml:4`.
    pub fn place(&self) -> String {
        match (&self.deps_file, self.deps_line) {
            (Some(file), Some(line)) => format!("line {}, {file}:{line}", self.line),
            _ => format!("line {}", self.line),
        }
    }

    /// The item as the step writes it inline (`module@version`, `old=new@version`,
    /// `g@a@v`), or as `name@version` for an entry of a file.
    pub fn item(&self) -> String {
        match &self.source {
            Some(PinSource::Inline { item, .. }) => item.clone(),
            _ => match &self.replaced_by {
                Some(new) => format!("{}={new}@{}", self.module, self.version),
                None => format!("{}@{}", self.module, self.version),
            },
        }
    }
}

/// The manifest paths R must provide for the package's pins (a tarball release is extracted
/// selectively).
pub fn release_paths(package: &Package) -> Vec<Vec<u8>> {
    let mut paths = Vec::new();
    for step in steps::read(package) {
        for ecosystem in [Ecosystem::Go, Ecosystem::Cargo, Ecosystem::Maven] {
            if step.items.iter().any(|i| i.ecosystem == ecosystem) {
                paths.extend(
                    step.manifests(ecosystem)
                        .iter()
                        .map(|m| m.clone().into_bytes()),
                );
            }
        }
    }
    paths
}

/// Judge every item the package's bump steps pin against R.
pub fn check(package: &Package, tree: &ReleaseTree) -> Vec<PinCheck> {
    let Some(melange) = steps::melange(package) else {
        return Vec::new();
    };
    let file = melange
        .file
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let options = DependencyOptions::default();
    let mut manifests: HashMap<String, Result<Option<Vec<u8>>, String>> = HashMap::new();
    let mut read = |path: &str| -> Result<Option<Vec<u8>>, String> {
        manifests
            .entry(path.to_string())
            .or_insert_with(|| match tree.read(path.as_bytes()) {
                Ok(Entry::File(bytes)) => Ok(Some(bytes)),
                Ok(Entry::Missing) => Ok(None),
                Err(error) => Err(String::from(error)),
            })
            .clone()
    };
    let mut pins = Vec::new();
    for (copy, step) in steps::read(package).into_iter().enumerate() {
        let blank = |ecosystem: Ecosystem| PinCheck {
            tool: step.tool.to_string(),
            file: file.clone(),
            line: step.line,
            ecosystem: ecosystem.as_str().to_string(),
            module: String::new(),
            version: String::new(),
            replaced_by: None,
            locked: None,
            deps_file: None,
            deps_line: None,
            manifests: step.manifests(ecosystem).to_vec(),
            verdict: Verdict::Unknown,
            reason: None,
            evidence: Vec::new(),
            dependency: None,
            source: None,
            copy,
        };
        for problem in &step.problems {
            let mut failed = blank(Ecosystem::Go);
            failed.ecosystem = String::new();
            failed.manifests = Vec::new();
            failed.deps_file = problem.file.map(|f| step.files[f].shown.clone());
            failed.deps_line = problem.line;
            failed.evidence = vec![evidence(
                Detector::DependencySuperseded,
                EvidenceResult::Error,
                problem.message.clone(),
            )];
            pins.push(failed);
        }
        let outcomes = judge_step(&step, &mut read, &options);
        for (item, outcome) in step.items.iter().zip(outcomes) {
            let mut checked = blank(item.ecosystem);
            checked.module = item.name.clone();
            checked.version = item.version.clone();
            checked.replaced_by = item.replaced_by.clone();
            checked.locked = item.locked.clone();
            checked.source = Some(item.source.clone());
            if let PinSource::File { file, entry } = item.source {
                let shown = &step.files[file];
                checked.deps_file = Some(shown.shown.clone());
                checked.deps_line = shown
                    .entries
                    .as_ref()
                    .and_then(|entries| entries.get(entry))
                    .map(|e| e.line);
            }
            match outcome {
                Ok(outcome) => judge_pin(&mut checked, item, &outcome),
                Err(missing) => {
                    checked.evidence = vec![evidence(
                        Detector::DependencySuperseded,
                        EvidenceResult::NotApplicable,
                        format!("{missing} where the step runs"),
                    )];
                }
            }
            pins.push(checked);
        }
    }
    pins
}

/// R's file at a tree path (`None`: R has none), or why it cannot be read.
type ReadManifest<'r> = dyn FnMut(&str) -> Result<Option<Vec<u8>>, String> + 'r;

/// Each item's outcome over the manifests its step raises (`Err`: why none could be read).
fn judge_step(
    step: &PinStep,
    read: &mut ReadManifest,
    options: &DependencyOptions,
) -> Vec<Result<Outcome, String>> {
    let mut per_item: Vec<Vec<Outcome>> = vec![Vec::new(); step.items.len()];
    let mut missing: Vec<Vec<String>> = vec![Vec::new(); 3];
    let slot = |ecosystem: Ecosystem| match ecosystem {
        Ecosystem::Go => 0,
        Ecosystem::Cargo => 1,
        _ => 2,
    };
    for ecosystem in [Ecosystem::Go, Ecosystem::Cargo, Ecosystem::Maven] {
        let indices: Vec<usize> = (0..step.items.len())
            .filter(|&i| step.items[i].ecosystem == ecosystem)
            .collect();
        if indices.is_empty() {
            continue;
        }
        let manifests = step.manifests(ecosystem);
        if manifests.is_empty() {
            missing[slot(ecosystem)].push("the step runs outside melange's workspace".into());
        }
        for manifest in manifests {
            let bytes = match read(manifest) {
                Ok(Some(bytes)) => bytes,
                Ok(None) => {
                    missing[slot(ecosystem)].push(format!("R has no `{manifest}`"));
                    continue;
                }
                Err(error) => {
                    missing[slot(ecosystem)].push(error);
                    continue;
                }
            };
            let outcomes = match ecosystem {
                Ecosystem::Go => go_outcomes(step, &indices, manifest, &bytes, options),
                _ => {
                    let kind = if ecosystem == Ecosystem::Cargo {
                        ManifestKind::CargoLock
                    } else {
                        ManifestKind::Pom
                    };
                    let pins: Vec<pinned::Pinned> = indices
                        .iter()
                        .map(|&i| {
                            let item = &step.items[i];
                            pinned::Pinned {
                                name: item.name.clone(),
                                version: item.version.clone(),
                                kind: match (ecosystem, item.kind) {
                                    (Ecosystem::Cargo, _) => PinnedKind::Crate {
                                        locked: item.locked.clone(),
                                    },
                                    (_, ItemKind::Property) => PinnedKind::Property,
                                    _ => PinnedKind::Artifact,
                                },
                            }
                        })
                        .collect();
                    pinned::judge(kind, &pins, manifest, &bytes, options)
                }
            };
            for (&index, outcome) in indices.iter().zip(outcomes) {
                per_item[index].push(outcome);
            }
        }
    }
    step.items
        .iter()
        .zip(per_item)
        .map(|(item, outcomes)| {
            let outcomes: Vec<&Outcome> = outcomes.iter().collect();
            combined(&outcomes)
                .cloned()
                .ok_or_else(|| missing[slot(item.ecosystem)].join("; "))
        })
        .collect()
}

/// The Go items at `indices` judged against one go.mod, in that order.
fn go_outcomes(
    step: &PinStep,
    indices: &[usize],
    manifest: &str,
    go_mod: &[u8],
    options: &DependencyOptions,
) -> Vec<Outcome> {
    // `bump::judge_bump` takes `deps`, then `replaces`.
    let (replaces, deps): (Vec<usize>, Vec<usize>) = indices
        .iter()
        .partition(|&&i| step.items[i].kind == ItemKind::Replace);
    let words = |list: &[usize]| -> String {
        list.iter()
            .map(|&i| {
                let item = &step.items[i];
                match &item.replaced_by {
                    Some(new) => format!("{}={new}@{}", item.name, item.version),
                    None => format!("{}@{}", item.name, item.version),
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let order: Vec<usize> = deps.iter().chain(&replaces).copied().collect();
    let mut out: HashMap<usize, Outcome> = HashMap::new();
    match bump::judge_bump(&words(&deps), &words(&replaces), manifest, go_mod, options) {
        Ok(judgement) => {
            for judged in judgement.dependencies {
                if let Some(&index) = order.get(judged.change) {
                    out.insert(index, judged.outcome);
                }
            }
        }
        Err(error) => {
            for &index in indices {
                out.insert(
                    index,
                    Outcome::Unreadable {
                        file: manifest.to_string(),
                        message: error.to_string(),
                    },
                );
            }
        }
    }
    indices
        .iter()
        .map(|i| {
            out.remove(i).unwrap_or_else(|| Outcome::NotFound {
                patch: step.items[*i].version.clone(),
                file: manifest.to_string(),
            })
        })
        .collect()
}

/// One item's outcome over the manifests a step raises: superseded only when every manifest
/// that declares it declares it at the pin's version or newer (and one does); else the first
/// that is not; not found when none declares it.
fn combined<'o>(outcomes: &[&'o Outcome]) -> Option<&'o Outcome> {
    let declared: Vec<&Outcome> = outcomes
        .iter()
        .copied()
        .filter(|o| !matches!(o, Outcome::NotFound { .. }))
        .collect();
    declared
        .iter()
        .copied()
        .find(|o| !o.is_superseded())
        .or_else(|| declared.first().copied())
        .or_else(|| outcomes.first().copied())
}

fn judge_pin(pin: &mut PinCheck, item: &PinItem, outcome: &Outcome) {
    let section = match item.kind {
        ItemKind::Replace => Section::Replace,
        ItemKind::Property => Section::Property,
        ItemKind::Dependency => Section::Dependencies,
    };
    let dependency = super::detector::dependency_superseded::pin_dependency(
        item.ecosystem,
        section,
        &item.name,
        &item.version,
        item.replaced_by.as_deref(),
        &pin.manifests.join(" "),
        outcome,
    );
    let detail = describe(&dependency);
    let (verdict, result) = match outcome {
        Outcome::Superseded { .. } => (Verdict::Expired, EvidenceResult::Proves),
        Outcome::Older { .. } => (Verdict::Needed, EvidenceResult::Refutes),
        _ => (Verdict::Unknown, EvidenceResult::NotFound),
    };
    pin.verdict = verdict;
    pin.reason = (verdict == Verdict::Expired).then_some(Detector::DependencySuperseded);
    pin.evidence = vec![evidence(Detector::DependencySuperseded, result, detail)];
    pin.dependency = Some(dependency);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dependency::Declaration;

    #[test]
    fn every_manifest_that_declares_the_item_must_supersede_the_pin() {
        let at = |version: &str| Declaration {
            version: version.into(),
            file: "go.mod".into(),
            line: 3,
        };
        let newer = Outcome::Superseded {
            patch: "v1.1.0".into(),
            release: at("v1.2.0"),
            equal: false,
        };
        let older = Outcome::Older {
            patch: "v1.1.0".into(),
            release: at("v1.0.0"),
        };
        let absent = Outcome::NotFound {
            patch: "v1.1.0".into(),
            file: "tools/go.mod".into(),
        };
        assert_eq!(combined(&[&absent, &newer]), Some(&newer));
        assert_eq!(combined(&[&newer, &older]), Some(&older));
        assert_eq!(combined(&[&absent]), Some(&absent));
        assert_eq!(combined(&[]), None);
    }
}

//! Dependency pins of a melange package: the modules its `go/bump` steps (and Wolfi's
//! `bump` steps with inline `deps`) raise, judged like a go.mod patch by the
//! `dependency-superseded` detector (`crate::dependency::bump::judge_bump`): each module's
//! effective version in R's go.mod, after R's own `replace`s, must be at or above the pin's.
//!
//! One [`PinCheck`] per pinned module, since a maintainer drops pins one by one: `expired`
//! (reason `dependency-superseded`) when R declares the module at that version or newer,
//! `needed` when R declares it older, `unknown` when R does not declare it, redirects it, or has
//! no go.mod where the step runs — a pin R has nothing to say about is never a silent expiry.
//! Other packages have no pins. `check` reports them; [`expire`] (called by `expire` and by
//! `upgrade`, in their one edit of the package file) drops every expired one from its step —
//! a pin R already meets is at best a no-op for gobump, at worst a refused bump — and lists
//! the ones that cannot be removed in place (`docs/dependencies.md`, "`go/bump`").

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::detector::dependency_superseded::describe;
use super::detector::evidence;
use super::{DependencyCheck, Detector, Evidence, EvidenceResult, Verdict};
use crate::dependency::bump::{self, BumpedModule};
use crate::dependency::{DependencyOptions, Outcome};
use crate::native::NativeOrigin;
use crate::native::melange::pins::PinRemoval;
use crate::native::melange::{BumpTool, MelangePackage};
use crate::upstream::release_tree::{Entry, ReleaseTree};
use crate::workspace::Package;
use crate::workspace::edit::{EditError, ManifestEdit};

/// The verdict of one pinned module against R.
#[derive(Debug, Clone, Serialize)]
pub struct PinCheck {
    /// The step's tool: `go/bump` or `bump`.
    pub tool: String,
    /// The package file and the line of the step.
    pub file: String,
    pub line: usize,
    /// The module the step raises (for a `replaces` item: the module it redirects).
    pub module: String,
    /// The version the step sets.
    pub version: String,
    /// For a `replaces` item: the module it points `module` at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<String>,
    /// The go.mod files the step raises (one per `modroot`), as paths of R.
    pub manifests: Vec<String>,
    pub verdict: Verdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Detector>,
    pub evidence: Vec<Evidence>,
    /// How R stands to the module, with R's version, file and line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dependency: Option<DependencyCheck>,
    /// The item is one of the step's `replaces` (not its `deps`).
    #[serde(skip)]
    pub in_replaces: bool,
    /// Which copy of the step it is: the index of the step among the package's Go bump steps
    /// at its version (a ranged subpackage repeats a step of the file once per item).
    #[serde(skip)]
    pub copy: usize,
}

/// One Go bump step of the package at its current version: the tool, the step's line, the
/// go.mod paths in R (one per `modroot`: a step run over a `range` has several), and the
/// modules.
struct GoStep {
    tool: &'static str,
    line: usize,
    manifests: Vec<String>,
    deps: String,
    replaces: String,
}

/// The go.mod path in R for a `modroot` (relative to melange's workspace): without the
/// upstream checkout's `destination` folder, `.` and `./` dropped.
fn manifest_path(modroot: &str, destination: &str) -> String {
    let clean = |path: &str| -> Vec<String> {
        path.split('/')
            .filter(|part| !part.is_empty() && *part != ".")
            .map(str::to_string)
            .collect()
    };
    let mut parts = clean(modroot);
    let prefix = clean(destination);
    if !prefix.is_empty() && parts.starts_with(&prefix) {
        parts.drain(..prefix.len());
    }
    parts.push("go.mod".to_string());
    parts.join("/")
}

fn melange(package: &Package) -> Option<&MelangePackage> {
    match package.native()? {
        NativeOrigin::Melange(melange) => Some(melange),
        NativeOrigin::Debian(_) => None,
    }
}

/// The Go bump steps of `package` at its current version (none for a package that is not a
/// melange package, or whose steps cannot be read).
fn go_steps(package: &Package) -> Vec<GoStep> {
    let Some(melange) = melange(package) else {
        return Vec::new();
    };
    let Ok(at) = melange.at(&package.manifest.upstream.version) else {
        return Vec::new();
    };
    let mut steps = Vec::new();
    for step in at.bumps {
        let tool = match step.tool {
            BumpTool::GoBump => "go/bump",
            // Wolfi's omnibump takes Go modules inline as `module@version` too; its other
            // forms (a deps file, other languages) are not read here.
            BumpTool::Omnibump if step.files.is_empty() && is_go_bump(&step) => "bump",
            _ => continue,
        };
        if step.dependencies.is_empty() && step.replaces.is_empty() {
            continue;
        }
        let line = melange
            .steps()
            .find(|s| s.id == step.step)
            .map_or(0, |s| s.position.line);
        let destination = at
            .git_checkouts
            .first()
            .map_or(".", |checkout| checkout.destination.as_str());
        let mut manifests: Vec<String> = step
            .modroot
            .split_whitespace()
            .map(|root| manifest_path(root, destination))
            .collect();
        if manifests.is_empty() {
            manifests.push("go.mod".to_string());
        }
        manifests.dedup();
        steps.push(GoStep {
            tool,
            line,
            manifests,
            deps: step.dependencies.join(" "),
            replaces: step.replaces.join(" "),
        });
    }
    steps
}

/// Whether an omnibump step raises Go modules: its `language` is `go`, or, when omnibump
/// detects the language (`auto`), every item is a Go module path (`host/path@version`). Rust
/// crates (`bytes@1.11.1`) have no `/` in their name and Maven items name a group and an
/// artifact (`io.netty@netty-codec-http@4.1.94.Final`): neither is judged against a go.mod.
fn is_go_bump(step: &crate::native::melange::Bump) -> bool {
    match step.language.as_deref() {
        Some(language) => language == "go" || language == "golang",
        None => step.dependencies.iter().all(|item| {
            item.rsplit_once('@')
                .is_some_and(|(module, _)| module.contains('/') && !module.contains('@'))
        }),
    }
}

/// One module a Go bump step of the package pins, before any release is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pinned {
    /// Where the pin is: `go/bump (line 13)`.
    pub step: String,
    pub module: String,
    pub version: String,
    pub replaced_by: Option<String>,
    /// The go.mod files it raises, as paths of the source tree, separated by spaces.
    pub manifests: String,
}

/// How a step is named in reports: its tool and line.
fn step_label(tool: &str, line: usize) -> String {
    format!("{tool} (line {line})")
}

/// Every module the package's Go bump steps pin (none for other packages); a step whose
/// items do not parse is left out (`check` reports it).
pub fn pinned(package: &Package) -> Vec<Pinned> {
    let mut pinned = Vec::new();
    for step in go_steps(package) {
        let Ok(modules) = bump::parse(&step.deps, &step.replaces) else {
            continue;
        };
        for module in modules {
            pinned.push(Pinned {
                step: step_label(step.tool, step.line),
                module: module.module,
                version: module.version,
                replaced_by: module.replaced_by,
                manifests: step.manifests.join(" "),
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

    /// The item as the step writes it: `module@version` in `deps`, `old=new@version` in
    /// `replaces`.
    pub fn item(&self) -> String {
        if self.in_replaces {
            let new = self.replaced_by.as_deref().unwrap_or(&self.module);
            format!("{}={new}@{}", self.module, self.version)
        } else {
            format!("{}@{}", self.module, self.version)
        }
    }
}

/// The go.mod paths R must provide for the package's pins (a tarball release is extracted
/// selectively).
pub fn release_paths(package: &Package) -> Vec<Vec<u8>> {
    go_steps(package)
        .into_iter()
        .flat_map(|s| s.manifests)
        .map(String::into_bytes)
        .collect()
}

/// Judge every module the package's Go bump steps pin against R.
pub fn check(package: &Package, tree: &ReleaseTree) -> Vec<PinCheck> {
    let Some(melange) = melange(package) else {
        return Vec::new();
    };
    let file = melange
        .file
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let options = DependencyOptions::default();
    let mut pins = Vec::new();
    for (copy, step) in go_steps(package).into_iter().enumerate() {
        let manifests = step.manifests.join(" ");
        // `bump::parse` gives the `deps` items first, then the `replaces` ones.
        let dependency_count = step.deps.split_whitespace().count();
        let pin = |module: &BumpedModule| PinCheck {
            tool: step.tool.to_string(),
            file: file.clone(),
            line: step.line,
            module: module.module.clone(),
            version: module.version.clone(),
            replaced_by: module.replaced_by.clone(),
            manifests: step.manifests.clone(),
            verdict: Verdict::Unknown,
            reason: None,
            evidence: Vec::new(),
            dependency: None,
            in_replaces: false,
            copy,
        };
        let modules = match bump::parse(&step.deps, &step.replaces) {
            Ok(modules) => modules,
            Err(error) => {
                let mut failed = pin(&BumpedModule {
                    module: String::new(),
                    version: String::new(),
                    replaced_by: None,
                });
                failed.evidence = vec![evidence(
                    Detector::DependencySuperseded,
                    EvidenceResult::Error,
                    error.to_string(),
                )];
                pins.push(failed);
                continue;
            }
        };
        // Each go.mod the step raises, judged; the missing ones said why.
        let mut judgements = Vec::new();
        let mut missing = Vec::new();
        for manifest in &step.manifests {
            let judged = match tree.read(manifest.as_bytes()) {
                Ok(Entry::File(bytes)) => {
                    bump::judge_bump(&step.deps, &step.replaces, manifest, &bytes, &options)
                        .map_err(|error| error.to_string())
                }
                Ok(Entry::Missing) => Err(format!("R has no `{manifest}`")),
                Err(error) => Err(String::from(error)),
            };
            match judged {
                Ok(judgement) => judgements.push(judgement),
                Err(message) => missing.push(message),
            }
        }
        for (index, module) in modules.iter().enumerate() {
            let mut checked = pin(module);
            checked.in_replaces = index >= dependency_count;
            let outcomes: Vec<&Outcome> = judgements
                .iter()
                .filter_map(|j| j.dependencies.iter().find(|d| d.change == index))
                .map(|d| &d.outcome)
                .collect();
            match combined(&outcomes) {
                Some(outcome) => judge_pin(&mut checked, module, outcome, &manifests),
                None => {
                    checked.evidence = vec![evidence(
                        Detector::DependencySuperseded,
                        EvidenceResult::NotApplicable,
                        format!("{} where the step runs (`modroot`)", missing.join("; ")),
                    )];
                }
            }
            pins.push(checked);
        }
    }
    pins
}

/// One module's outcome over the go.mod files a step raises: superseded only when every go.mod
/// that declares the module declares it at the pin's version or newer (and one does); else the
/// first that is not; not found when none declares it.
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

fn judge_pin(pin: &mut PinCheck, module: &BumpedModule, outcome: &Outcome, manifests: &str) {
    let dependency = super::detector::dependency_superseded::pin_dependency(
        &module.module,
        &module.version,
        module.replaced_by.as_deref(),
        manifests,
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

/// A pin `expire` (or `upgrade`) drops from its step, with the evidence.
#[derive(Debug, Clone, Serialize)]
pub struct ExpiredPin {
    /// The step, as `check` names it: `go/bump (line 13)`.
    pub step: String,
    pub module: String,
    pub version: String,
    /// For a `replaces` item: the module it pointed `module` at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<String>,
    /// The version R declares (after its own `replace`s).
    pub release_version: String,
    /// The `dependency-superseded` finding: R's version, file and line.
    pub evidence: String,
}

/// A pin `check` found expired that stays in its step, with why.
#[derive(Debug, Clone, Serialize)]
pub struct HeldPin {
    pub step: String,
    pub module: String,
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<String>,
    pub detail: String,
}

/// What dropping the expired pins of a package did (the keys of `expire`'s and `upgrade`'s
/// JSON).
#[derive(Debug, Clone, Default, Serialize)]
pub struct PinExpiry {
    /// The pins dropped from their steps.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expired_pins: Vec<ExpiredPin>,
    /// The pins found expired that stay, with why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub held_pins: Vec<HeldPin>,
}

impl PinExpiry {
    /// No pin dropped or held.
    pub fn is_empty(&self) -> bool {
        self.expired_pins.is_empty() && self.held_pins.is_empty()
    }
}

/// Drop from the package file being edited every pin of `pins` (judged against `release`)
/// that is expired: its item leaves the step, the step goes when no pin is left, and a
/// comment above the step records what went and why (`date`, when given, ends it). Pins that
/// are `needed` or `unknown` stay; an expired pin that cannot be removed in place stays too
/// and is listed in [`PinExpiry::held`]. The first edit of `edit` (the pins' lines are the
/// file's as read); nothing for a package without pins.
pub fn expire(
    edit: &mut ManifestEdit,
    pins: &[PinCheck],
    release: &str,
    date: &str,
) -> Result<PinExpiry, EditError> {
    let mut expiry = PinExpiry::default();
    // A step of the file may be judged once per copy (a ranged subpackage): its item goes only
    // when every copy found it expired. Copies by line, each with its items in order.
    let mut by_line: BTreeMap<usize, BTreeMap<usize, Vec<&PinCheck>>> = BTreeMap::new();
    for pin in pins.iter().filter(|p| !p.module.is_empty()) {
        by_line
            .entry(pin.line)
            .or_default()
            .entry(pin.copy)
            .or_default()
            .push(pin);
    }
    let mut candidates: Vec<&PinCheck> = Vec::new();
    for copies in by_line.values() {
        let longest = copies.values().map(Vec::len).max().unwrap_or(0);
        for ordinal in 0..longest {
            let at: Vec<Option<&&PinCheck>> = copies.values().map(|c| c.get(ordinal)).collect();
            let Some(first) = at.iter().flatten().find(|p| p.verdict == Verdict::Expired) else {
                continue;
            };
            let everywhere = at.iter().all(|p| {
                p.is_some_and(|p| {
                    p.verdict == Verdict::Expired
                        && p.in_replaces == first.in_replaces
                        && p.item() == first.item()
                })
            });
            if everywhere {
                candidates.push(first);
            } else {
                expiry.held_pins.push(held(
                    first,
                    "the step runs once per item of a `range`, and not every run has the pin expired"
                        .into(),
                ));
            }
        }
    }
    let removals: Vec<PinRemoval> = candidates
        .iter()
        .map(|pin| PinRemoval {
            line: pin.line,
            item: pin.item(),
            replaces: pin.in_replaces,
            note: note(pin, release, date),
        })
        .collect();
    let kept = edit.remove_pins(&removals)?;
    let kept: HashMap<usize, String> = kept.into_iter().map(|h| (h.index, h.reason)).collect();
    for (index, pin) in candidates.into_iter().enumerate() {
        match kept.get(&index) {
            Some(reason) => expiry.held_pins.push(held(pin, reason.clone())),
            None => expiry.expired_pins.push(ExpiredPin {
                step: pin.step(),
                module: pin.module.clone(),
                version: pin.version.clone(),
                replaced_by: pin.replaced_by.clone(),
                release_version: pin
                    .dependency
                    .as_ref()
                    .and_then(|d| d.release.as_ref())
                    .map(|r| r.version.clone())
                    .unwrap_or_default(),
                evidence: proof(pin),
            }),
        }
    }
    Ok(expiry)
}

fn held(pin: &PinCheck, detail: String) -> HeldPin {
    HeldPin {
        step: pin.step(),
        module: pin.module.clone(),
        version: pin.version.clone(),
        replaced_by: pin.replaced_by.clone(),
        detail,
    }
}

/// The finding that proves the pin expired.
fn proof(pin: &PinCheck) -> String {
    pin.evidence
        .iter()
        .find(|e| e.result == EvidenceResult::Proves)
        .map(|e| e.detail.clone())
        .unwrap_or_default()
}

/// The comment a dropped pin leaves in the package file.
fn note(pin: &PinCheck, release: &str, date: &str) -> String {
    let mut note = format!(
        "mindelta expire: dropped {} from {} (upstream {release}, {}: {})",
        pin.item(),
        pin.tool,
        Detector::DependencySuperseded,
        proof(pin)
    );
    if !date.is_empty() {
        note.push(' ');
        note.push_str(date);
    }
    note
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dependency::Declaration;

    #[test]
    fn a_modroot_is_a_path_of_the_checkout() {
        assert_eq!(manifest_path(".", "."), "go.mod");
        assert_eq!(manifest_path("./api/", "."), "api/go.mod");
        assert_eq!(
            manifest_path("dataplaneapi/cmd", "dataplaneapi"),
            "cmd/go.mod"
        );
        assert_eq!(manifest_path("dataplaneapi", "./dataplaneapi"), "go.mod");
    }

    #[test]
    fn every_go_mod_that_declares_the_module_must_supersede_the_pin() {
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

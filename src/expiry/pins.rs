//! Dependency pins of a melange package: the modules its `go/bump` steps (and Wolfi's
//! `bump` steps with inline `deps`) raise, judged like a go.mod patch by the
//! `dependency-superseded` detector (`crate::dependency::bump::judge_bump`): each module's
//! effective version in R's go.mod, after R's own `replace`s, must be at or above the pin's.
//!
//! One [`PinCheck`] per pinned module, since a maintainer drops pins one by one: `expired`
//! (reason `dependency-superseded`) when R declares the module at that version or newer,
//! `needed` when R declares it older, `unknown` when R does not declare it, redirects it, or has
//! no go.mod where the step runs — a pin R has nothing to say about is never a silent expiry.
//! Other packages have no pins. `check` reports them; `expire` does not yet drop them.

use serde::Serialize;

use super::detector::dependency_superseded::describe;
use super::detector::evidence;
use super::{DependencyCheck, Detector, Evidence, EvidenceResult, Verdict};
use crate::dependency::bump::{self, BumpedModule};
use crate::dependency::judge::Judged;
use crate::dependency::{DependencyOptions, Outcome};
use crate::native::NativeOrigin;
use crate::native::melange::{BumpTool, MelangePackage};
use crate::upstream::release_tree::{Entry, ReleaseTree};
use crate::workspace::Package;

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
    /// The go.mod the step changes, as a path of R.
    pub manifest: String,
    pub verdict: Verdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Detector>,
    pub evidence: Vec<Evidence>,
    /// How R stands to the module, with R's version, file and line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dependency: Option<DependencyCheck>,
}

/// One Go bump step of the package at its current version: the tool, the step's line, the
/// go.mod path in R, and the modules.
struct GoStep {
    tool: &'static str,
    line: usize,
    manifest: String,
    deps: String,
    replaces: String,
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
            BumpTool::Omnibump if step.files.is_empty() => "bump",
            _ => continue,
        };
        if step.dependencies.is_empty() && step.replaces.is_empty() {
            continue;
        }
        let line = melange
            .steps()
            .find(|s| s.id == step.step)
            .map_or(0, |s| s.position.line);
        let root = step
            .modroot
            .trim_start_matches("./")
            .trim_end_matches('/')
            .to_string();
        let manifest = if root.is_empty() || root == "." {
            "go.mod".to_string()
        } else {
            format!("{root}/go.mod")
        };
        steps.push(GoStep {
            tool,
            line,
            manifest,
            deps: step.dependencies.join(" "),
            replaces: step.replaces.join(" "),
        });
    }
    steps
}

/// One module a Go bump step of the package pins, before any release is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pinned {
    /// Where the pin is: `go/bump (line 13)`.
    pub step: String,
    pub module: String,
    pub version: String,
    pub replaced_by: Option<String>,
    /// The go.mod it raises, as a path of the source tree.
    pub manifest: String,
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
                manifest: step.manifest.clone(),
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
}

/// The go.mod paths R must provide for the package's pins (a tarball release is extracted
/// selectively).
pub fn release_paths(package: &Package) -> Vec<Vec<u8>> {
    go_steps(package)
        .into_iter()
        .map(|s| s.manifest.into_bytes())
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
    for step in go_steps(package) {
        let pin = |module: &BumpedModule| PinCheck {
            tool: step.tool.to_string(),
            file: file.clone(),
            line: step.line,
            module: module.module.clone(),
            version: module.version.clone(),
            replaced_by: module.replaced_by.clone(),
            manifest: step.manifest.clone(),
            verdict: Verdict::Unknown,
            reason: None,
            evidence: Vec::new(),
            dependency: None,
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
        let go_mod = match tree.read(step.manifest.as_bytes()) {
            Ok(Entry::File(bytes)) => Ok(bytes),
            Ok(Entry::Missing) => Err(format!(
                "R has no `{}` where the step runs (`modroot`)",
                step.manifest
            )),
            Err(error) => Err(String::from(error)),
        };
        let judged = go_mod.and_then(|bytes| {
            bump::judge_bump(&step.deps, &step.replaces, &step.manifest, &bytes, &options)
                .map_err(|error| error.to_string())
        });
        for (index, module) in modules.iter().enumerate() {
            let mut checked = pin(module);
            match &judged {
                Ok(judgement) => {
                    if let Some(found) = judgement.dependencies.iter().find(|j| j.change == index) {
                        judge_pin(&mut checked, module, found, &step.manifest);
                    }
                }
                Err(message) => {
                    checked.evidence = vec![evidence(
                        Detector::DependencySuperseded,
                        EvidenceResult::NotApplicable,
                        message.clone(),
                    )];
                }
            }
            pins.push(checked);
        }
    }
    pins
}

fn judge_pin(pin: &mut PinCheck, module: &BumpedModule, judged: &Judged, manifest: &str) {
    let dependency = super::detector::dependency_superseded::pin_dependency(
        &module.module,
        &module.version,
        module.replaced_by.as_deref(),
        manifest,
        &judged.outcome,
    );
    let detail = describe(&dependency);
    let (verdict, result) = match &judged.outcome {
        Outcome::Superseded { .. } => (Verdict::Expired, EvidenceResult::Proves),
        Outcome::Older { .. } => (Verdict::Needed, EvidenceResult::Refutes),
        _ => (Verdict::Unknown, EvidenceResult::NotFound),
    };
    pin.verdict = verdict;
    pin.reason = (verdict == Verdict::Expired).then_some(Detector::DependencySuperseded);
    pin.evidence = vec![evidence(Detector::DependencySuperseded, result, detail)];
    pin.dependency = Some(dependency);
}

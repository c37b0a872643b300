//! Dropping the pins `check` found expired, for `expire` and `upgrade`: inline items leave
//! their steps in the package file (`ManifestEdit::remove_pins`), entries of a dependency file
//! leave that file (`bump_file::remove_entries`), and a file left with no entry is deleted,
//! the input naming it leaving its step — all in the command's one change set.
//!
//! A dependency file is edited only when exactly one step (one run of it) reads it, it is a
//! plain file of the package folder (no link on its way, no other hard link), it reads as it
//! did for `check`, and, when it would go, no `runs:` step names it and the step would not read
//! another file in its place (a default further down the pipeline's list). Otherwise its
//! expired pins stay, listed with why.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::steps::{self, PinSource, PinStep};
use super::{Detector, EvidenceResult, PinCheck, Verdict};
use crate::native::melange::bump_file;
use crate::native::melange::pins::{PinRemoval, PinTarget};
use crate::workspace::Package;
use crate::workspace::edit::{ChangeSet, EditError, ManifestEdit};

/// A pin `expire` (or `upgrade`) drops, with the evidence.
#[derive(Debug, Clone, Serialize)]
pub struct ExpiredPin {
    /// The step, as `check` names it: `go/bump (line 13)`.
    pub step: String,
    /// `go`, `cargo` or `maven`.
    pub ecosystem: String,
    pub module: String,
    pub version: String,
    /// For a `replaces` item: the module it pointed `module` at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<String>,
    /// The dependency file it was written in, and its line there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deps_file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deps_line: Option<usize>,
    /// The version R declares (for Go, after its own `replace`s).
    pub release_version: String,
    /// The `dependency-superseded` finding: R's version, file and line.
    pub evidence: String,
}

/// A pin `check` found expired that stays, with why.
#[derive(Debug, Clone, Serialize)]
pub struct HeldPin {
    pub step: String,
    pub ecosystem: String,
    pub module: String,
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deps_file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deps_line: Option<usize>,
    pub detail: String,
}

/// What dropping the expired pins of a package did (the keys of `expire`'s and `upgrade`'s
/// JSON).
#[derive(Debug, Clone, Default, Serialize)]
pub struct PinExpiry {
    /// The pins dropped from their steps and files.
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

/// The planned edit of one dependency file.
struct FilePlan {
    path: PathBuf,
    old: String,
    /// `None`: the file goes.
    new: Option<String>,
    /// The input of the step naming it.
    reference: Option<String>,
    /// The pins it drops.
    pins: Vec<usize>,
}

/// Drop every pin of `pins` (judged against `release`) that is expired: an inline item leaves
/// its step in the package file being edited, an entry of a dependency file leaves that file
/// (written or removed through `changes`), a step left with no pin goes, and a comment above
/// the step records what went and why (`date`, when given, ends it). Pins that are `needed`
/// or `unknown` stay; an expired pin that cannot be removed in place stays too and is listed
/// in [`PinExpiry::held_pins`]. The first edit of `edit` (the pins' lines are the file's as
/// read); nothing for a package without pins.
pub fn expire(
    package: &Package,
    edit: &mut ManifestEdit,
    changes: &mut ChangeSet,
    pins: &[PinCheck],
    release: &str,
    date: &str,
) -> Result<PinExpiry, EditError> {
    let mut expiry = PinExpiry::default();
    if !pins.iter().any(|p| p.verdict == Verdict::Expired) {
        return Ok(expiry);
    }
    let steps = steps::read(package);
    let mut candidates = inline_candidates(pins, &mut expiry);
    let (plans, held) = file_plans(package, &steps, pins);
    for (index, reason) in held {
        expiry.held_pins.push(held_pin(&pins[index], reason));
    }
    // The steps that keep pins in a file whatever goes here: a file not read, or one that
    // stays.
    let going: BTreeSet<&Path> = plans
        .iter()
        .filter(|p| p.new.is_none())
        .map(|p| p.path.as_path())
        .collect();
    let keeps: BTreeSet<usize> = steps
        .iter()
        .filter(|step| {
            step.files
                .iter()
                .any(|f| f.path.as_deref().is_none_or(|path| !going.contains(path)))
        })
        .map(|step| step.line)
        .collect();
    let mut removals: Vec<PinRemoval> = candidates
        .iter()
        .map(|&index| {
            let pin = &pins[index];
            let input = match &pin.source {
                Some(PinSource::Inline { input, .. }) => *input,
                _ => crate::native::melange::pins::PinInput::Dependencies,
            };
            PinRemoval {
                line: pin.line,
                target: PinTarget::Item {
                    item: pin.item(),
                    input,
                },
                note: note(pin, release, date),
            }
        })
        .collect();
    // Which plan each file removal belongs to.
    let mut plan_of: HashMap<usize, usize> = HashMap::new();
    for (number, plan) in plans.iter().enumerate() {
        for &index in &plan.pins {
            plan_of.insert(removals.len(), number);
            candidates.push(index);
            removals.push(PinRemoval {
                line: pins[index].line,
                target: PinTarget::Entry {
                    file: plan.path.to_string_lossy().into_owned(),
                    reference: plan.reference.clone(),
                    goes: plan.new.is_none(),
                },
                note: note(&pins[index], release, date),
            });
        }
    }
    let kept = edit.remove_pins(&removals, &keeps)?;
    let kept: HashMap<usize, String> = kept.into_iter().map(|h| (h.index, h.reason)).collect();
    // A file is edited only when none of its removals was held in the package file.
    let mut blocked: HashMap<usize, String> = HashMap::new();
    for (removal, plan) in &plan_of {
        if let Some(reason) = kept.get(removal) {
            blocked.entry(*plan).or_insert_with(|| reason.clone());
        }
    }
    for (number, plan) in plans.iter().enumerate() {
        if blocked.contains_key(&number) {
            continue;
        }
        match &plan.new {
            Some(new) => changes.write(
                &plan.path,
                Some(plan.old.clone().into_bytes()),
                new.clone().into_bytes(),
            ),
            None => changes.remove(&plan.path, plan.old.clone().into_bytes()),
        }
    }
    for (removal, &index) in candidates.iter().enumerate() {
        let pin = &pins[index];
        let reason = kept
            .get(&removal)
            .or_else(|| plan_of.get(&removal).and_then(|plan| blocked.get(plan)));
        match reason {
            Some(reason) => expiry.held_pins.push(held_pin(pin, reason.clone())),
            None => expiry.expired_pins.push(ExpiredPin {
                step: pin.step(),
                ecosystem: pin.ecosystem.clone(),
                module: pin.module.clone(),
                version: pin.version.clone(),
                replaced_by: pin.replaced_by.clone(),
                deps_file: pin.deps_file.clone(),
                deps_line: pin.deps_line,
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

/// The expired inline pins to remove (indices into `pins`). A step of the file may be judged
/// once per copy (a ranged subpackage): its item goes only when every copy found it expired;
/// the others are held into `expiry`.
fn inline_candidates(pins: &[PinCheck], expiry: &mut PinExpiry) -> Vec<usize> {
    // Copies by line, each with its inline items in order.
    let mut by_line: BTreeMap<usize, BTreeMap<usize, Vec<usize>>> = BTreeMap::new();
    for (index, pin) in pins.iter().enumerate() {
        if matches!(pin.source, Some(PinSource::Inline { .. })) && !pin.module.is_empty() {
            by_line
                .entry(pin.line)
                .or_default()
                .entry(pin.copy)
                .or_default()
                .push(index);
        }
    }
    let mut candidates = Vec::new();
    for copies in by_line.values() {
        let longest = copies.values().map(Vec::len).max().unwrap_or(0);
        for ordinal in 0..longest {
            let at: Vec<Option<&PinCheck>> = copies
                .values()
                .map(|c| c.get(ordinal).map(|&i| &pins[i]))
                .collect();
            let Some(first) = copies
                .values()
                .filter_map(|c| c.get(ordinal))
                .copied()
                .find(|&i| pins[i].verdict == Verdict::Expired)
            else {
                continue;
            };
            let everywhere = at.iter().all(|p| {
                p.is_some_and(|p| {
                    p.verdict == Verdict::Expired
                        && p.source == pins[first].source
                        && p.item() == pins[first].item()
                })
            });
            if everywhere {
                candidates.push(first);
            } else {
                expiry.held_pins.push(held_pin(
                    &pins[first],
                    "the step runs once per item of a `range`, and not every run has the pin expired"
                        .into(),
                ));
            }
        }
    }
    candidates
}

/// The edits of the dependency files holding expired pins, and the expired pins held with
/// why (indices into `pins`).
fn file_plans(
    package: &Package,
    steps: &[PinStep],
    pins: &[PinCheck],
) -> (Vec<FilePlan>, Vec<(usize, String)>) {
    // The expired pins of each file, with the step and entry.
    let mut by_file: BTreeMap<PathBuf, Vec<(usize, usize, usize)>> = BTreeMap::new();
    for (index, pin) in pins.iter().enumerate() {
        let Some(PinSource::File { file, entry }) = pin.source else {
            continue;
        };
        if pin.verdict != Verdict::Expired {
            continue;
        }
        if let Some(path) = steps
            .get(pin.copy)
            .and_then(|s| s.files.get(file))
            .and_then(|f| f.path.clone())
        {
            by_file
                .entry(path)
                .or_default()
                .push((index, pin.copy, entry));
        }
    }
    let folder = package.native().map(|n| n.edit_folder());
    let runs: Vec<(usize, String)> = steps::melange(package)
        .map(|m| {
            m.steps()
                .filter_map(|s| s.runs.as_ref().map(|r| (s.position.line, r.value.clone())))
                .collect()
        })
        .unwrap_or_default();
    let mut plans = Vec::new();
    let mut held = Vec::new();
    for (path, list) in by_file {
        let hold = |held: &mut Vec<(usize, String)>, reason: String| {
            held.extend(list.iter().map(|(index, ..)| (*index, reason.clone())));
        };
        let shown = pins[list[0].0].deps_file.clone().unwrap_or_default();
        let readers = steps
            .iter()
            .filter(|s| {
                s.files
                    .iter()
                    .any(|f| f.path.as_deref() == Some(path.as_path()))
            })
            .count();
        if readers > 1 {
            hold(
                &mut held,
                format!(
                    "`{shown}` is read by {readers} bump steps (or runs of one); edit it by hand"
                ),
            );
            continue;
        }
        if let Some(reason) = not_plain(folder.as_deref(), &path, &shown) {
            hold(&mut held, reason);
            continue;
        }
        let step = &steps[list[0].1];
        let file = step
            .files
            .iter()
            .find(|f| f.path.as_deref() == Some(path.as_path()));
        let (old, entries) = match bump_file::read(&path) {
            Ok(read) => read,
            Err(error) => {
                hold(&mut held, error.to_string());
                continue;
            }
        };
        if file.and_then(|f| f.entries.as_ref()) != Some(&entries) {
            hold(
                &mut held,
                format!("`{shown}` changed since it was read; run the command again"),
            );
            continue;
        }
        let remove: Vec<usize> = list.iter().map(|(.., entry)| *entry).collect();
        let new = match bump_file::remove_entries(&path, &old, &entries, &remove) {
            Ok(new) => new,
            Err(error) => {
                hold(&mut held, error.to_string());
                continue;
            }
        };
        if new.is_none() {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if let Some((line, _)) = runs.iter().find(|(_, script)| script.contains(&name)) {
                hold(
                    &mut held,
                    format!(
                        "`{shown}` would go, but the `runs:` step at line {line} names it; edit it by hand"
                    ),
                );
                continue;
            }
            if let Some(other) = file
                .into_iter()
                .flat_map(|f| &f.fallbacks)
                .find(|p| p.is_file())
            {
                hold(
                    &mut held,
                    format!(
                        "without `{shown}` the step would read `{}`; edit it by hand",
                        other.file_name().unwrap_or_default().to_string_lossy()
                    ),
                );
                continue;
            }
        }
        plans.push(FilePlan {
            path,
            old,
            reference: file.and_then(|f| f.input.clone()),
            new,
            pins: list.iter().map(|(index, ..)| *index).collect(),
        });
    }
    (plans, held)
}

/// Why the dependency file at `path` cannot be edited as a plain file of the package folder:
/// a link on its way, or other hard links to it (the file is shared).
fn not_plain(folder: Option<&Path>, path: &Path, shown: &str) -> Option<String> {
    let folder = folder?;
    if let Err(error) = crate::workspace::confined::check(folder, path) {
        return Some(error.to_string());
    }
    match std::fs::symlink_metadata(path) {
        Ok(metadata) => {
            use std::os::unix::fs::MetadataExt;
            (metadata.nlink() > 1)
                .then(|| format!("`{shown}` has other hard links (it is shared); edit it by hand"))
        }
        Err(error) => Some(format!("cannot read `{shown}`: {error}")),
    }
}

fn held_pin(pin: &PinCheck, detail: String) -> HeldPin {
    HeldPin {
        step: pin.step(),
        ecosystem: pin.ecosystem.clone(),
        module: pin.module.clone(),
        version: pin.version.clone(),
        replaced_by: pin.replaced_by.clone(),
        deps_file: pin.deps_file.clone(),
        deps_line: pin.deps_line,
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
    let from = match (&pin.deps_file, pin.deps_line) {
        (Some(file), Some(line)) => format!("{} ({file}:{line})", pin.tool),
        _ => pin.tool.clone(),
    };
    let mut note = format!(
        "mindelta expire: dropped {} from {from} (upstream {release}, {}: {})",
        pin.item(),
        Detector::DependencySuperseded,
        proof(pin)
    );
    if !date.is_empty() {
        note.push(' ');
        note.push_str(date);
    }
    note
}

//! The `dependency-superseded` detector: a patch that only raises dependency requirements is
//! upstream when release R declares every one of them at the same version or a newer one.
//!
//! The analysis is `crate::dependency`'s (what the patch raises: `patch::analyze`; how R
//! stands to each: `judge::judge`, R's manifests read from the release tree). This module
//! turns its judgement into evidence: `proves` when every change is upstream, `supports`
//! when some are (the verdict is then `partial`: `verdict.rs`), `refutes` when none is and R
//! declares some older, `not-found` when R declares none of them (a dropped dependency is
//! never a silent expiry), `not-applicable` for a patch that changes anything besides
//! requirements (the other detectors judge it, as before). [`shrink`] is what `expire` does
//! with a partial one: the patch rewritten against R's own manifests with only the changes R
//! lacks, or, where that cannot be done exactly (lock files), a request for a refresh.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet};

use super::evidence;
use crate::dependency::judge::{self, DependencyVerdict, Judged, Judgement, Replacement};
use crate::dependency::patch::{self, Analysis, Change, DependencyChange, DependencyPatch};
use crate::dependency::{
    Declaration, DependencyOptions, ManifestKind, Outcome, Requirement, Section, reader,
};
use crate::expiry::{
    DependencyCheck, DependencyOutcome, Detector, Evidence, EvidenceResult, ReleaseDeclaration,
};
use crate::patch::diff::diff_files;
use crate::patch::write::write_patch;
use crate::patch::{FilePatch, Patch, parse_patches};
use crate::upstream::release_tree::{Entry, ReleaseTree};
use crate::workspace::PatchEntry;

const NAME: Detector = Detector::DependencySuperseded;

/// Most dependencies named one by one in an evidence detail; JSON's `dependencies` has all.
const DETAIL_LIMIT: usize = 12;

/// The detector's finding for one patch: its evidence and, for a dependency patch, how R
/// stands to each dependency.
#[derive(Debug, Clone)]
pub struct DependencyFinding {
    pub evidence: Evidence,
    pub dependencies: Vec<DependencyCheck>,
}

/// One mail of the patch file: what it changes and how R stands to it.
struct Judged1 {
    patch: DependencyPatch,
    judgement: Judgement,
}

/// Analyze every mail of the patch and judge it against R, or say why it is not a
/// dependency patch (`not-applicable`) or R could not be read (`error`).
fn judge_patch(
    entry: &PatchEntry,
    patches: &[Patch],
    tree: &ReleaseTree,
    options: &DependencyOptions,
) -> Result<Vec<Judged1>, Evidence> {
    let mut analysed = Vec::with_capacity(patches.len());
    for patch in patches.iter().filter(|p| !p.files.is_empty()) {
        match patch::analyze(patch, entry.strip, options) {
            Analysis::Dependency(dependency_patch) => analysed.push(dependency_patch),
            Analysis::NotDependency(why) => {
                return Err(evidence(
                    NAME,
                    EvidenceResult::NotApplicable,
                    format!(
                        "not a dependency patch: {}",
                        not_dependency(&why).unwrap_or_else(|| format!("{why:?}"))
                    ),
                ));
            }
        }
    }
    if analysed.is_empty() {
        return Err(evidence(
            NAME,
            EvidenceResult::NotApplicable,
            "not a dependency patch: it changes no file",
        ));
    }
    let failure: RefCell<Option<String>> = RefCell::new(None);
    let read = |path: &str| -> Option<Vec<u8>> {
        match tree.read(path.as_bytes()) {
            Ok(Entry::File(bytes)) => Some(bytes),
            Ok(Entry::Missing) => None,
            Err(error) => {
                failure.borrow_mut().get_or_insert_with(|| {
                    format!("cannot read `{path}` in R: {}", String::from(error))
                });
                None
            }
        }
    };
    let replacements: Vec<Replacement> = entry
        .replaced_dependencies
        .iter()
        .map(|(from, to)| Replacement {
            from: from.clone(),
            to: to.clone(),
        })
        .collect();
    let judged = analysed
        .into_iter()
        .map(|patch| {
            let judgement = judge::judge(&patch, &read, &replacements, options);
            Judged1 { patch, judgement }
        })
        .collect();
    if let Some(message) = failure.into_inner() {
        return Err(evidence(NAME, EvidenceResult::Error, message));
    }
    Ok(judged)
}

/// Why a patch is not a dependency patch, in words (`None`: say it as the debug form).
fn not_dependency(why: &patch::NotDependency) -> Option<String> {
    use patch::NotDependency::*;
    Some(match why {
        Empty => "it changes no file".to_string(),
        NotManifest { file } => format!("`{file}` is not a dependency manifest"),
        WholeFile { file } => {
            format!("it creates, deletes, renames or rewrites `{file}` as a whole")
        }
        OtherChange { file, line, text } => {
            format!(
                "`{file}` line {line} is not a requirement: `{}`",
                clip(text)
            )
        }
        Lowers {
            file,
            name,
            from,
            to,
        } => format!("it lowers `{name}` from {from} to {to} in `{file}`"),
        Unordered {
            file,
            name,
            from,
            to,
        } => format!("`{name}` moves from {from} to {to} in `{file}`, which have no order"),
        NoRequirement => "it changes no requirement, only lock or structure lines".to_string(),
    })
}

fn clip(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(80) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

/// Run the detector on one patch against R's tree.
pub fn detect(entry: &PatchEntry, patches: &[Patch], tree: &ReleaseTree) -> DependencyFinding {
    let options = DependencyOptions::default();
    let judged = match judge_patch(entry, patches, tree, &options) {
        Ok(judged) => judged,
        Err(evidence) => {
            return DependencyFinding {
                evidence,
                dependencies: Vec::new(),
            };
        }
    };
    let mut dependencies = Vec::new();
    let mut outcomes: Vec<&Outcome> = Vec::new();
    for one in &judged {
        for judged in &one.judgement.dependencies {
            outcomes.push(&judged.outcome);
            if let Some(change) = one.patch.changes.get(judged.change) {
                dependencies.push(dependency_check(change, judged));
            }
        }
    }
    let verdict = Judgement::verdict_of(&outcomes);
    DependencyFinding {
        evidence: evidence(NAME, result_of(verdict), detail(verdict, &dependencies)),
        dependencies,
    }
}

fn result_of(verdict: DependencyVerdict) -> EvidenceResult {
    match verdict {
        DependencyVerdict::Expired => EvidenceResult::Proves,
        DependencyVerdict::Partial => EvidenceResult::Supports,
        DependencyVerdict::Needed => EvidenceResult::Refutes,
        DependencyVerdict::NotFound => EvidenceResult::NotFound,
    }
}

/// The JSON form of one change and its outcome.
fn dependency_check(change: &DependencyChange, judged: &Judged) -> DependencyCheck {
    let (word, from, to) = match &change.change {
        Change::Raise { from, to } => ("raise", Some(from.clone()), Some(to.clone())),
        Change::Add { to } => ("add", None, Some(to.clone())),
        Change::Remove { from } => ("remove", Some(from.clone()), None),
    };
    let check = DependencyCheck {
        name: change.name.clone(),
        ecosystem: change.ecosystem.as_str().to_string(),
        file: change.file.clone(),
        section: change.section.as_str().to_string(),
        change: word.to_string(),
        from,
        to,
        outcome: DependencyOutcome::NotFound,
        release: None,
        equal: false,
        replaced_by: None,
        detail: None,
    };
    with_outcome(check, &judged.outcome)
}

/// The JSON form of a dependency a melange bump step pins (`change` is `pin`): a Go module, a
/// crate, a Maven artifact or property (`section`: `dependencies`, `replace`, `property`).
pub fn pin_dependency(
    ecosystem: crate::dependency::Ecosystem,
    section: Section,
    module: &str,
    version: &str,
    replaced_by: Option<&str>,
    manifest: &str,
    outcome: &Outcome,
) -> DependencyCheck {
    let check = DependencyCheck {
        name: module.to_string(),
        ecosystem: ecosystem.as_str().to_string(),
        file: manifest.to_string(),
        section: section.as_str().to_string(),
        change: "pin".to_string(),
        from: None,
        to: Some(match replaced_by {
            Some(target) => format!("{target}@{version}"),
            None => version.to_string(),
        }),
        outcome: DependencyOutcome::NotFound,
        release: None,
        equal: false,
        replaced_by: None,
        detail: None,
    };
    with_outcome(check, outcome)
}

/// `check` with the outcome's kind, R's declaration and detail.
fn with_outcome(mut check: DependencyCheck, outcome: &Outcome) -> DependencyCheck {
    let declared = |d: &Declaration| ReleaseDeclaration {
        version: d.version.clone(),
        file: d.file.clone(),
        line: d.line,
    };
    match outcome {
        Outcome::Superseded { release, equal, .. } => {
            check.outcome = DependencyOutcome::Superseded;
            check.release = Some(declared(release));
            check.equal = *equal;
        }
        Outcome::Older { release, .. } => {
            check.outcome = DependencyOutcome::Older;
            check.release = Some(declared(release));
        }
        Outcome::NotFound { .. } => check.outcome = DependencyOutcome::NotFound,
        Outcome::Replaced { by, release, .. } => {
            check.outcome = DependencyOutcome::Replaced;
            check.replaced_by = Some(by.clone());
            check.release = release.as_ref().map(declared);
        }
        Outcome::AlsoRemoved { .. } => check.outcome = DependencyOutcome::AlsoRemoved,
        Outcome::StillDeclared { release } => {
            check.outcome = DependencyOutcome::StillDeclared;
            check.release = Some(declared(release));
        }
        Outcome::Unreadable { message, .. } => {
            check.outcome = DependencyOutcome::Unreadable;
            check.detail = Some(message.clone());
        }
        Outcome::Unordered {
            release, reason, ..
        } => {
            check.outcome = DependencyOutcome::Unordered;
            check.release = Some(declared(release));
            check.detail = Some(reason.clone());
        }
    }
    check
}

/// One dependency in words: `` `golang.org/x/net` v0.33.0: R has v0.35.0 at go.mod:12 ``.
pub fn describe(check: &DependencyCheck) -> String {
    let at = |r: &ReleaseDeclaration| format!("{} at {}:{}", r.version, r.file, r.line);
    let patch = match (&check.from, &check.to) {
        (_, Some(to)) => to.clone(),
        (Some(from), None) => format!("removes {from}"),
        (None, None) => String::new(),
    };
    let release = match (check.outcome, &check.release) {
        (DependencyOutcome::Superseded, Some(r)) if check.equal => format!("R has {}", at(r)),
        (DependencyOutcome::Superseded, Some(r)) => format!("R has newer {}", at(r)),
        (DependencyOutcome::Older, Some(r)) => format!("R has older {}", at(r)),
        (DependencyOutcome::StillDeclared, Some(r)) => format!("R still declares {}", at(r)),
        (DependencyOutcome::AlsoRemoved, _) => {
            format!("R does not declare it in {}", check.file)
        }
        (DependencyOutcome::NotFound, _) => format!("R does not declare it in {}", check.file),
        (DependencyOutcome::Replaced, r) => format!(
            "R has `{}` instead{}",
            check.replaced_by.as_deref().unwrap_or("?"),
            r.as_ref()
                .map(|r| format!(" at {}:{}", r.file, r.line))
                .unwrap_or_default()
        ),
        (DependencyOutcome::Unreadable, _) => format!(
            "R's {} cannot be read: {}",
            check.file,
            check.detail.as_deref().unwrap_or("")
        ),
        (DependencyOutcome::Unordered, r) => format!(
            "cannot compare with R's {}: {}",
            r.as_ref().map(at).unwrap_or_default(),
            check.detail.as_deref().unwrap_or("")
        ),
        (_, None) => "R has no declaration".to_string(),
    };
    format!("`{}` {patch}: {release}", check.name)
}

fn listing(checks: &[&DependencyCheck]) -> String {
    let mut parts: Vec<String> = checks
        .iter()
        .take(DETAIL_LIMIT)
        .map(|c| describe(c))
        .collect();
    if checks.len() > DETAIL_LIMIT {
        parts.push(format!("and {} more", checks.len() - DETAIL_LIMIT));
    }
    parts.join("; ")
}

fn detail(verdict: DependencyVerdict, checks: &[DependencyCheck]) -> String {
    let (upstream, rest): (Vec<&DependencyCheck>, Vec<&DependencyCheck>) =
        checks.iter().partition(|c| c.outcome.is_superseded());
    match verdict {
        DependencyVerdict::Expired => format!(
            "R declares every dependency the patch changes at its version or newer: {}",
            listing(&upstream)
        ),
        DependencyVerdict::Partial => format!(
            "{} of {} dependencies are superseded in R: {}; still needed: {}",
            upstream.len(),
            checks.len(),
            listing(&upstream),
            listing(&rest)
        ),
        DependencyVerdict::Needed => {
            format!("R does not have the patch's versions: {}", listing(&rest))
        }
        DependencyVerdict::NotFound => format!(
            "R declares none of the dependencies the patch changes as something to compare: {}",
            listing(&rest)
        ),
    }
}

/// What `expire` does with a patch whose dependencies R has only in part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DependencyShrink {
    /// The patch rewritten against R's manifests, with only the changes R lacks (header
    /// kept): it applies to R exactly.
    Rewritten(Vec<u8>),
    /// It cannot be shrunk by editing (a lock file carries a change, R lacks a dependency it
    /// raises, …): the reason. It needs a refresh by the ecosystem's tool, by hand.
    NeedsRefresh(String),
}

/// For a patch whose dependencies R has only in part, the patch shrunk to the rest; `None`
/// when the patch is not such a patch.
///
/// The rest is not made by dropping lines from the hunks — their context holds the old
/// versions of the dependencies upstream raised, so they would not apply to R. It is made
/// from R's own manifests: each change still needed replaces R's version at R's line with the
/// patch's, R's file is read again to check that exactly those requirements changed (a
/// Maven property shared by other artifacts would change them too), and the rest is the diff
/// of R's file and the edited one. Lock files cannot be edited so (their checksums and
/// resolution are the tool's), nor can a dependency R does not declare be placed: then the
/// answer is [`DependencyShrink::NeedsRefresh`], never a wrong patch.
pub fn shrink(entry: &PatchEntry, bytes: &[u8], tree: &ReleaseTree) -> Option<DependencyShrink> {
    let options = DependencyOptions::default();
    let patches = parse_patches(bytes).ok()?;
    let judged = judge_patch(entry, &patches, tree, &options).ok()?;
    let outcomes: Vec<&Outcome> = judged
        .iter()
        .flat_map(|j| j.judgement.dependencies.iter().map(|d| &d.outcome))
        .collect();
    if Judgement::verdict_of(&outcomes) != DependencyVerdict::Partial {
        return None;
    }
    let needs = |why: String| Some(DependencyShrink::NeedsRefresh(why));
    let [one] = judged.as_slice() else {
        return needs("the file holds several mails; shrink them one by one".to_string());
    };
    let patch = patches.iter().find(|p| !p.files.is_empty())?;
    let mut locks: Vec<String> = one
        .patch
        .changes
        .iter()
        .flat_map(|c| c.lock_files.iter().cloned())
        .collect();
    locks.extend(one.patch.other_lines.iter().filter_map(|location| {
        let path = patch.files.get(location.file)?.display_path(entry.strip);
        ManifestKind::from_path(&path)
            .is_some_and(ManifestKind::is_lock)
            .then_some(path)
    }));
    locks.sort();
    locks.dedup();
    if !locks.is_empty() {
        return needs(format!(
            "the lock file{} {} carr{} changes, and a lock file is regenerated by its tool, not shrunk by hand: refresh the patch against R",
            if locks.len() == 1 { "" } else { "s" },
            locks
                .iter()
                .map(|l| format!("`{l}`"))
                .collect::<Vec<_>>()
                .join(", "),
            if locks.len() == 1 { "ies" } else { "y" },
        ));
    }
    if !one.patch.other_lines.is_empty() {
        return needs(
            "the patch also moves requirements or raises a toolchain directive beside its raises"
                .to_string(),
        );
    }
    // The changes R still lacks, by file: each must be R's own declaration, older.
    let mut by_file: BTreeMap<&str, Vec<(&DependencyChange, &Declaration)>> = BTreeMap::new();
    for judged in &one.judgement.dependencies {
        if judged.outcome.is_superseded() {
            continue;
        }
        let change = one.patch.changes.get(judged.change)?;
        match &judged.outcome {
            Outcome::Older { release, .. } if release.file == change.file => {
                by_file
                    .entry(change.file.as_str())
                    .or_default()
                    .push((change, release));
            }
            _ => {
                return needs(format!(
                    "`{}` cannot be placed in R's {} by editing its declaration (R {})",
                    change.name,
                    change.file,
                    match &judged.outcome {
                        Outcome::Older { release, .. } =>
                            format!("resolves it in {}", release.file),
                        Outcome::NotFound { .. } => "does not declare it".to_string(),
                        Outcome::Replaced { by, .. } => format!("replaces it by `{by}`"),
                        Outcome::StillDeclared { .. } => "still declares it".to_string(),
                        Outcome::Unreadable { .. } => "cannot be read".to_string(),
                        Outcome::Unordered { .. } =>
                            "declares a version without an order".to_string(),
                        _ => "has it".to_string(),
                    }
                ));
            }
        }
    }
    let mut files = Vec::new();
    for (path, changes) in by_file {
        let original = patch
            .files
            .iter()
            .find(|f| f.display_path(entry.strip) == path)?;
        let Ok(Entry::File(release)) = tree.read(path.as_bytes()) else {
            return needs(format!("R's `{path}` cannot be read"));
        };
        match rewrite(path, &release, &changes, &options) {
            Ok(edited) => files.push(with_paths(
                diff_files(path, path, &release, &edited, 3),
                original,
            )),
            Err(why) => return needs(why),
        }
    }
    let shrunk = Patch {
        header: patch.header.clone(),
        files,
        trailer: patch.trailer.clone(),
    };
    Some(DependencyShrink::Rewritten(write_patch(&shrunk)))
}

/// The diff `generated` (of a tree path) written with the paths of the patch's own file diff
/// (`a/…`, `b/…` or whatever prefix its `-p` level strips).
fn with_paths(generated: FilePatch, original: &FilePatch) -> FilePatch {
    let old = original
        .old_path
        .clone()
        .or_else(|| original.new_path.clone())
        .unwrap_or_default();
    let new = original.new_path.clone().unwrap_or_else(|| old.clone());
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    let (old_text, new_text) = (text(&old), text(&new));
    FilePatch {
        preamble: if original.git {
            vec![format!("diff --git {old_text} {new_text}\n").into_bytes()]
        } else {
            Vec::new()
        },
        git: original.git,
        old_line: Some(format!("--- {old_text}\n").into_bytes()),
        new_line: Some(format!("+++ {new_text}\n").into_bytes()),
        old_path: Some(old),
        new_path: Some(new),
        rename: None,
        ..generated
    }
}

/// R's manifest `path` with each change's version written over R's at R's line; checked by
/// reading the result again.
fn rewrite(
    path: &str,
    release: &[u8],
    changes: &[(&DependencyChange, &Declaration)],
    options: &DependencyOptions,
) -> Result<Vec<u8>, String> {
    let kind =
        ManifestKind::from_path(path).ok_or_else(|| format!("`{path}` is not a manifest"))?;
    let text = std::str::from_utf8(release).map_err(|_| format!("R's `{path}` is not text"))?;
    let before = reader::read(kind, path, release, options).map_err(|e| e.to_string())?;
    let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
    let mut edited_lines = HashSet::new();
    for (change, declared) in changes {
        let target = change
            .change
            .target()
            .ok_or_else(|| format!("`{}` is removed, not raised", change.name))?;
        // The declaration edited must be R's own of this dependency, in the change's section.
        let own = before.iter().any(|r| {
            r.name == change.name
                && r.line == declared.line
                && (change.section == Section::Unknown || r.section == change.section)
        });
        let line = declared
            .line
            .checked_sub(1)
            .and_then(|i| lines.get_mut(i))
            .filter(|_| own)
            .ok_or_else(|| {
                format!(
                    "R declares `{}` at {}:{} in another form than the patch changes",
                    change.name, path, declared.line
                )
            })?;
        if line.matches(declared.version.as_str()).count() != 1 {
            return Err(format!(
                "R's {path}:{} does not hold `{}` exactly once",
                declared.line, declared.version
            ));
        }
        *line = line.replacen(declared.version.as_str(), target, 1);
        edited_lines.insert(declared.line);
    }
    let edited = lines.concat().into_bytes();
    let after = reader::read(kind, path, &edited, options).map_err(|e| e.to_string())?;
    let changed = changed_requirements(&before, &after);
    let allowed = |r: &Requirement| {
        edited_lines.contains(&r.line)
            && changes.iter().any(|(c, d)| {
                d.line == r.line
                    && (r.name == c.name
                        || r.section == Section::Property
                        || (c.section == Section::Property
                            && r.property.as_deref() == Some(c.name.as_str())))
            })
    };
    if let Some(other) = changed.iter().find(|r| !allowed(r)) {
        return Err(format!(
            "raising it in R's {path} would also change `{}` (line {})",
            other.name, other.line
        ));
    }
    for (change, declared) in changes {
        let target = change.change.target().unwrap_or_default();
        let landed = after
            .iter()
            .any(|r| r.name == change.name && r.line == declared.line && r.version == target);
        if !landed {
            return Err(format!(
                "R's {path}:{} does not read as `{}` {target} once edited",
                declared.line, change.name
            ));
        }
    }
    Ok(edited)
}

/// The requirements of `after` that `before` does not hold as they are (by name, section,
/// qualifier, line and version), and those `before` held that are gone.
fn changed_requirements<'a>(
    before: &'a [Requirement],
    after: &'a [Requirement],
) -> Vec<&'a Requirement> {
    type Key<'k> = (&'k str, Section, Option<&'k str>, usize, &'k str);
    let key = |r: &'a Requirement| -> Key<'a> {
        (
            r.name.as_str(),
            r.section,
            r.qualifier.as_deref(),
            r.line,
            r.version.as_str(),
        )
    };
    let old: HashSet<Key> = before.iter().map(key).collect();
    let new: HashSet<Key> = after.iter().map(key).collect();
    let mut changed: Vec<&Requirement> = after.iter().filter(|r| !old.contains(&key(r))).collect();
    changed.extend(before.iter().filter(|r| !new.contains(&key(r))));
    changed
}

/// The tree paths R must provide for this detector beyond the patch's own files: the lock
/// files beside each manifest the series touches (a tarball release is extracted
/// selectively).
pub fn release_paths<'p>(touched: impl IntoIterator<Item = &'p [u8]>) -> HashSet<Vec<u8>> {
    let mut paths = HashSet::new();
    for path in touched {
        let path = String::from_utf8_lossy(path);
        paths.extend(
            judge::lock_files_beside(&path)
                .into_iter()
                .map(String::into_bytes),
        );
    }
    paths
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patch::diff::diff_files;
    use crate::patch::write::write_file;

    /// R's tree holding `files`.
    fn release_tree(files: &[(&str, &str)]) -> ReleaseTree {
        let temp = tempfile::tempdir().unwrap();
        for (path, text) in files {
            std::fs::write(temp.path().join(path), text).unwrap();
        }
        ReleaseTree::in_folder(temp)
    }

    /// A git-style patch of `path` from `old` to `new`, under a mail header.
    fn patch(path: &str, old: &str, new: &str) -> Vec<u8> {
        let mut out = b"Subject: [PATCH] bump for CVEs\n\n---\n".to_vec();
        write_file(
            &diff_files(path, path, old.as_bytes(), new.as_bytes(), 3),
            &mut out,
        );
        out
    }

    fn go_mod(a: &str, b: &str) -> String {
        format!("module m\n\ngo 1.22\n\nrequire (\n\texample.com/a {a}\n\texample.com/b {b}\n)\n")
    }

    #[test]
    fn a_partial_go_mod_bump_is_rewritten_against_r() {
        let bytes = patch(
            "go.mod",
            &go_mod("v1.0.0", "v1.0.0"),
            &go_mod("v1.1.0", "v1.1.0"),
        );
        let release = go_mod("v1.2.0", "v1.0.5");
        let tree = release_tree(&[("go.mod", &release)]);
        let entry = PatchEntry::new("bump.patch");
        let parsed = parse_patches(&bytes).unwrap();
        let found = detect(&entry, &parsed, &tree);
        assert_eq!(found.evidence.result, EvidenceResult::Supports);
        let Some(DependencyShrink::Rewritten(shrunk)) = shrink(&entry, &bytes, &tree) else {
            panic!("not rewritten");
        };
        let text = String::from_utf8(shrunk).unwrap();
        assert!(
            text.starts_with("Subject: [PATCH] bump for CVEs\n"),
            "{text}"
        );
        assert!(
            text.contains("-\texample.com/b v1.0.5\n+\texample.com/b v1.1.0\n")
                && text.contains(" \texample.com/a v1.2.0\n"),
            "{text}"
        );
    }

    #[test]
    fn a_version_written_twice_on_r_s_line_is_not_edited() {
        let old = "{\n  \"dependencies\": {\n    \"a\": \"1.0.0\",\n    \"b\": \"1.0.0\"\n  }\n}\n";
        let new = old
            .replace("\"a\": \"1.0.0\"", "\"a\": \"1.1.0\"")
            .replace("\"b\": \"1.0.0\"", "\"b\": \"1.1.0\"");
        let bytes = patch("package.json", old, &new);
        let release =
            "{\"dependencies\": {\"a\": \"1.2.0\", \"b\": \"1.0.0\", \"c\": \"1.0.0\"}}\n";
        let tree = release_tree(&[("package.json", release)]);
        let entry = PatchEntry::new("bump.patch");
        match shrink(&entry, &bytes, &tree) {
            Some(DependencyShrink::NeedsRefresh(why)) => {
                assert!(why.contains("exactly once"), "{why}")
            }
            other => panic!("{other:?}"),
        }
        // With `c` elsewhere, the same patch is rewritten.
        let release = "{\"dependencies\": {\"a\": \"1.2.0\", \"b\": \"1.0.0\"}}\n";
        let tree = release_tree(&[("package.json", release)]);
        assert!(matches!(
            shrink(&entry, &bytes, &tree),
            Some(DependencyShrink::Rewritten(_))
        ));
    }

    #[test]
    fn not_dependency_patches_and_unreadable_trees_are_said_so() {
        let bytes = patch("main.c", "int a;\n", "int b;\n");
        let parsed = parse_patches(&bytes).unwrap();
        let found = detect(&PatchEntry::new("x.patch"), &parsed, &release_tree(&[]));
        assert_eq!(found.evidence.result, EvidenceResult::NotApplicable);
        assert!(
            found
                .evidence
                .detail
                .contains("`main.c` is not a dependency manifest")
        );
        assert!(found.dependencies.is_empty());
        assert_eq!(
            shrink(&PatchEntry::new("x.patch"), &bytes, &release_tree(&[])),
            None
        );
    }
}

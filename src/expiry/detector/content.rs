//! The `content` detector: hunk by hunk, is the patch's change in R's tree?
//!
//! Each hunk is looked for with zero fuzz, first at its own line, then at the nearest offset
//! anywhere in the file (the applier's `locate`, so "applies" means what `prepare` means):
//! - `applied`: its pre-image is found, so the hunk still applies;
//! - `present`: its post-image is found and its pre-image is not (when both are found, the
//!   nearer to the hunk's line wins, as the applier's double-apply guard decides); when the
//!   exact post-image is nowhere, it is looked for again ignoring whitespace, so a fix that
//!   upstream re-indented is still recognised;
//! - `absent`: neither.
//!
//! A hunk whose changed lines carry no content (blank lines, lone braces and punctuation)
//! cannot prove presence by itself: its post-image turns up by chance. It counts as present
//! only beside a present hunk that has content; otherwise it is reported `absent`.
//!
//! A patch whose hunks are partly in R and otherwise apply would shrink to the applying ones;
//! before it is called `partial`, each applying hunk's added lines are looked for elsewhere in
//! R's file ([`duplicate`]): a patch that moves a block is two hunks, and when upstream moved
//! the block too, the removal is "in R" while the addition still applies — and would define
//! everything a second time. Such a patch is a `conflict` (`refresh` and `expire` apply the
//! same rule before they write a shrunk patch).
//!
//! New files are present when R has the file with the patch's content (ignoring whitespace),
//! applied when R has no such file; deleted files are present when R lacks the file.
//!
//! A modified file that R no longer has at its path may have been moved upstream (qemu's
//! `softmmu/` became `system/`): its hunks are judged in R's files of the same name, at most
//! [`MAX_MOVED_CANDIDATES`], those sharing the most trailing path components first, and the one
//! where most hunks are present (then applied) is kept, if any hunk is present or applied
//! there. A hunk that applies only in a moved file does not apply as written: the patch then
//! conflicts rather than being needed or partial.
//!
//! The detector also reads R through an [`Overlay`]: the files as the earlier patches of the
//! series leave them, for the cumulative verdict. The overlay is kept in memory and the
//! earlier patches are applied to it with the applier's own `apply_hunks` (zero fuzz), only
//! their hunks that apply; nothing is written to disk.

use std::collections::{HashMap, HashSet};

use crate::expiry::detector::{evidence, modulo_context};
use crate::expiry::{Detector, Evidence, EvidenceResult, HunkReport, HunkState};
use crate::patch::apply::{apply_hunks, locate};
use crate::patch::content::{ContentLines, added_content, duplicate, removed_content, squeeze};
use crate::patch::{FilePatch, Hunk, LineKind, Patch};
use crate::upstream::release_tree::{Entry, MAX_MOVED_CANDIDATES, ReleaseTree};

const NAME: Detector = Detector::Content;

/// The looser match's evidence (`modulo_context.rs`).
const MODULO_CONTEXT: Detector = Detector::PresentModuloContext;

/// The files the earlier patches of a series changed, as they left them.
#[derive(Debug, Clone, Default)]
pub struct Overlay {
    files: HashMap<Vec<u8>, Entry>,
}

impl Overlay {
    /// Whether no earlier patch changed anything.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    fn read(&self, tree: &ReleaseTree, path: &[u8]) -> Result<Entry, String> {
        match self.files.get(path) {
            Some(entry) => Ok(entry.clone()),
            None => Ok(tree.read(path)?),
        }
    }
}

/// The overall finding of the content detector for one patch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every hunk is in R.
    AllPresent,
    /// Some hunks are in R, the others still apply.
    Partial,
    /// Every hunk still applies.
    AllApplied,
    /// Some hunks with content are in R, none applies, the others are not found: upstream
    /// very likely has the patch, with the context of the rest changed. Still a conflict
    /// unless another signal corroborates it (`verdict.rs`).
    PartlyPresent,
    /// Some hunk neither applies nor is in R.
    Conflict,
    /// The patch has no text hunks to compare (binary or mode changes only).
    Nothing,
    /// R's files could not be read.
    Error,
}

/// What the content detector found for one patch.
#[derive(Debug, Clone)]
pub struct Content {
    pub evidence: Evidence,
    pub outcome: Outcome,
    pub hunks: Vec<HunkReport>,
    /// The `present-modulo-context` evidence: hunks found `absent` whose change is in R with
    /// churned context.
    pub modulo_context: Evidence,
    /// The outcome when the hunks present modulo context count as present.
    pub loose_outcome: Outcome,
    /// The state of each hunk, per file diff of the patch (in order), for the overlay.
    states: Vec<Vec<HunkState>>,
    /// Per file diff of the patch: the path of R its hunks were judged in, when upstream moved
    /// the file.
    moved: Vec<Option<Vec<u8>>>,
}

/// One hunk's raw finding, before the triviality rule.
struct Found {
    state: HunkState,
    trivial: bool,
    whitespace: bool,
    /// An `absent` hunk that is present modulo its context.
    loose: bool,
    /// The path of R the hunk was judged in, when R has no file at the patch's path.
    moved_to: Option<Vec<u8>>,
}

impl Content {
    /// Judge every hunk of `patches` (the patches of one file) against R as `overlay` leaves it.
    pub fn judge(
        patches: &[Patch],
        strip: usize,
        tree: &ReleaseTree,
        overlay: &Overlay,
        release: &str,
    ) -> Content {
        let mut found: Vec<Vec<Found>> = Vec::new();
        let mut names = Vec::new();
        let removed_blocks: Vec<Vec<Vec<u8>>> = patches
            .iter()
            .flat_map(|p| &p.files)
            .flat_map(|f| &f.hunks)
            .map(modulo_context::removed_block)
            .filter(|block| !block.is_empty())
            .collect();
        let mut judged_in = Vec::new();
        for file in patches.iter().flat_map(|p| &p.files) {
            let target = plain_target(file, strip, tree, overlay);
            match judge_file(file, target.as_ref(), strip, tree, overlay, &removed_blocks) {
                Ok((states, content)) => {
                    found.push(states);
                    judged_in.push(content);
                }
                Err(message) => {
                    return Content {
                        evidence: evidence(
                            NAME,
                            EvidenceResult::Error,
                            format!(
                                "cannot read `{}` in {release}: {message}",
                                file.display_path(strip)
                            ),
                        ),
                        outcome: Outcome::Error,
                        hunks: Vec::new(),
                        modulo_context: evidence(
                            MODULO_CONTEXT,
                            EvidenceResult::NotApplicable,
                            "R's files could not be read",
                        ),
                        loose_outcome: Outcome::Error,
                        states: Vec::new(),
                        moved: Vec::new(),
                    };
                }
            }
            names.push(match &target {
                Some(path) => String::from_utf8_lossy(path).into_owned(),
                None => file.display_path(strip),
            });
        }
        let meaningful_present = found
            .iter()
            .flatten()
            .any(|f| f.state == HunkState::Present && !f.trivial);
        let mut hunks = Vec::new();
        let mut states = Vec::new();
        let mut loose = Vec::new();
        let mut moved = Vec::new();
        let mut moves = Vec::new();
        let mut unproven = Vec::new();
        let mut absent = Vec::new();
        let mut whitespace = 0;
        for (name, found) in names.iter().zip(&found) {
            let mut file_states = Vec::new();
            for (index, f) in found.iter().enumerate() {
                let mut state = f.state;
                if state == HunkState::Present && f.trivial && !meaningful_present {
                    state = HunkState::Absent;
                    unproven.push(format!("hunk {} of `{name}`", index + 1));
                } else if state == HunkState::Absent {
                    absent.push(format!("hunk {} of `{name}`", index + 1));
                }
                if state == HunkState::Present && f.whitespace {
                    whitespace += 1;
                }
                file_states.push(state);
                hunks.push(HunkReport {
                    file: name.clone(),
                    index: index + 1,
                    state,
                    modulo_context: state == HunkState::Absent && f.loose,
                    found_in: f
                        .moved_to
                        .as_deref()
                        .map(|path| String::from_utf8_lossy(path).into_owned()),
                });
            }
            states.push(file_states);
            loose.push(found.iter().map(|f| f.loose).collect::<Vec<_>>());
            let moved_to = found.first().and_then(|f| f.moved_to.clone());
            if let Some(moved_to) = &moved_to {
                let moved_to = String::from_utf8_lossy(moved_to);
                moves.push(format!(
                    "`{name}` is not in {release}, its hunks were looked for in `{moved_to}`"
                ));
            }
            moved.push(moved_to);
        }
        let total = hunks.len();
        let present = hunks
            .iter()
            .filter(|h| h.state == HunkState::Present)
            .count();
        let applied = hunks
            .iter()
            .filter(|h| h.state == HunkState::Applied)
            .count();
        let whitespace_note = if whitespace > 0 {
            format!(" ({whitespace} found only when ignoring whitespace)")
        } else {
            String::new()
        };
        // The hunks neither applying nor found, the first three named.
        let missing = || {
            absent
                .iter()
                .chain(&unproven)
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        };
        let (mut outcome, mut result, mut detail) = if total == 0 {
            (
                Outcome::Nothing,
                EvidenceResult::NotApplicable,
                "the patch has no text hunks to look for".to_string(),
            )
        } else if present == total {
            (
                Outcome::AllPresent,
                EvidenceResult::Proves,
                if total == 1 {
                    format!("the hunk is in {release}{whitespace_note}")
                } else {
                    format!("all {total} hunks are in {release}{whitespace_note}")
                },
            )
        } else if present + applied == total && present > 0 {
            (
                Outcome::Partial,
                EvidenceResult::Supports,
                format!(
                    "{present} of {total} hunks are in {release}{whitespace_note}; the other {applied} still apply"
                ),
            )
        } else if applied == total {
            (
                Outcome::AllApplied,
                EvidenceResult::Refutes,
                if total == 1 {
                    format!("the hunk applies to {release}")
                } else {
                    format!("all {total} hunks apply to {release}")
                },
            )
        } else if applied == 0 && meaningful_present {
            (
                Outcome::PartlyPresent,
                EvidenceResult::Supports,
                format!(
                    "{present} of {total} hunks are in {release}{whitespace_note} and none applies; {} neither applies nor is in {release}",
                    missing()
                ),
            )
        } else {
            (
                Outcome::Conflict,
                EvidenceResult::NotFound,
                format!("{} neither applies nor is in {release}", missing()),
            )
        };
        // Applying hunks that would add back what R has (a block the patch moves, which
        // upstream moved too): shrinking the patch to them would duplicate that code.
        let files: Vec<&FilePatch> = patches.iter().flat_map(|p| &p.files).collect();
        let duplicates = duplicated_hunks(&files, &states, &loose, &judged_in, &names, release);
        // A hunk that applies only where upstream moved its file does not apply as written.
        let moved_applied = moved_applied(&hunks);
        if !moved_applied.is_empty() && matches!(outcome, Outcome::AllApplied | Outcome::Partial) {
            let present_note = if present > 0 {
                format!("{present} of {total} hunks are in {release}{whitespace_note}; ")
            } else {
                String::new()
            };
            outcome = Outcome::Conflict;
            result = EvidenceResult::NotFound;
            let verb = if moved_applied.len() == 1 {
                "applies"
            } else {
                "apply"
            };
            detail = format!(
                "{present_note}{} {verb} only in a moved file, so the patch as written does not apply to {release}",
                moved_applied.join(", ")
            );
        }
        if !duplicates.is_empty() && outcome == Outcome::Partial {
            outcome = Outcome::Conflict;
            result = EvidenceResult::NotFound;
            let them = if duplicates.len() == 1 { "it" } else { "them" };
            detail = format!(
                "{present} of {total} hunks are in {release}{whitespace_note}; the other {applied} still apply, but {}: keeping {them} while the others go would duplicate that code",
                duplicates.join(", ")
            );
        }
        if !unproven.is_empty() {
            detail.push_str(&format!(
                "; {} changes only blank lines or punctuation, so finding it proves nothing",
                unproven.join(", ")
            ));
        }
        if !moves.is_empty() {
            let more = moves.len().saturating_sub(3);
            detail.push_str("; ");
            detail.push_str(&moves[..moves.len().min(3)].join("; "));
            if more > 0 {
                detail.push_str(&format!(" (and {more} more moved files)"));
            }
        }
        let (loose_outcome, modulo_context) =
            loose_outcome(&hunks, outcome, !duplicates.is_empty(), release);
        Content {
            evidence: evidence(NAME, result, detail),
            outcome,
            hunks,
            modulo_context,
            loose_outcome,
            states,
            moved,
        }
    }

    /// Apply the hunks found `applied` to the overlay (the series' next patches see them).
    pub fn apply_to(
        &self,
        patches: &[Patch],
        strip: usize,
        tree: &ReleaseTree,
        overlay: &mut Overlay,
    ) {
        let files = patches.iter().flat_map(|p| &p.files);
        for ((file, states), moved) in files.zip(&self.states).zip(&self.moved) {
            let hunks: Vec<Hunk> = file
                .hunks
                .iter()
                .zip(states)
                .filter(|(_, state)| **state == HunkState::Applied)
                .map(|(hunk, _)| hunk.clone())
                .collect();
            if hunks.is_empty() {
                continue;
            }
            // Hunks judged where upstream moved the file go there, as `refresh` moves them.
            if let Some(moved) = moved {
                if let Ok(Entry::File(base)) = overlay.read(tree, moved)
                    && let Some((content, _)) = apply_hunks(&hunks, &base, 0)
                {
                    overlay.files.insert(moved.clone(), Entry::File(content));
                }
                continue;
            }
            let (old, new) = match plain_target(file, strip, tree, overlay) {
                Some(path) => (Some(path.clone()), Some(path)),
                None => (file.old_target(strip), file.new_target(strip)),
            };
            let base = match &old {
                Some(path) => match overlay.read(tree, path) {
                    Ok(Entry::File(content)) => content,
                    _ => continue,
                },
                None => Vec::new(),
            };
            if file.is_delete {
                if let Some(old) = old {
                    overlay.files.insert(old, Entry::Missing);
                }
                continue;
            }
            let Some((content, _)) = apply_hunks(&hunks, &base, 0) else {
                continue;
            };
            if let (Some(old), Some(new)) = (&old, &new)
                && old != new
                && file.copy.is_none()
            {
                overlay.files.insert(old.clone(), Entry::Missing);
            }
            if let Some(new) = new {
                overlay.files.insert(new, Entry::File(content));
            }
        }
    }
}

/// The outcome when the hunks present modulo context count as present, and the
/// `present-modulo-context` evidence: `proves` when with them every hunk is in R, `supports`
/// when they lift the outcome otherwise (to `partial`, or to the partly present outcome the
/// `partial-upstream` rule weighs), `not-applicable` without such a hunk. `duplicates`: some
/// applying hunk would add back lines R has, so the patch cannot be `partial`.
fn loose_outcome(
    hunks: &[HunkReport],
    strict: Outcome,
    duplicates: bool,
    release: &str,
) -> (Outcome, Evidence) {
    let loose = hunks.iter().filter(|h| h.modulo_context).count();
    if loose == 0 {
        return (
            strict,
            evidence(
                MODULO_CONTEXT,
                EvidenceResult::NotApplicable,
                "no absent hunk's change is in R with other context",
            ),
        );
    }
    let total = hunks.len();
    let present = hunks
        .iter()
        .filter(|h| h.state == HunkState::Present)
        .count()
        + loose;
    let applied = hunks
        .iter()
        .filter(|h| h.state == HunkState::Applied)
        .count();
    let outcome = if present == total {
        Outcome::AllPresent
    } else if present + applied == total && moved_applied(hunks).is_empty() && !duplicates {
        Outcome::Partial
    } else if applied == 0 {
        Outcome::PartlyPresent
    } else {
        Outcome::Conflict
    };
    let names: Vec<String> = hunks
        .iter()
        .filter(|h| h.modulo_context)
        .take(3)
        .map(|h| format!("hunk {} of `{}`", h.index, h.file))
        .collect();
    let rest = match outcome {
        Outcome::AllPresent => "with them every hunk is in R".to_string(),
        Outcome::Partial => {
            format!("with them {present} of {total} hunks are in R, the others apply")
        }
        Outcome::PartlyPresent => {
            format!("with them {present} of {total} hunks are in R and none applies")
        }
        _ => format!("with them {present} of {total} hunks are in R"),
    };
    // Every hunk found, each either as written or its change anchored by its context with
    // its removed lines gone: two-sided evidence for the whole patch (docs/expiry.md).
    let result = if outcome == Outcome::AllPresent {
        EvidenceResult::Proves
    } else {
        EvidenceResult::Supports
    };
    (
        outcome,
        evidence(
            MODULO_CONTEXT,
            result,
            format!(
                "{loose} hunk(s) ({}) are in {release} with other context: the added lines as one block beside the hunk's context, the removed lines gone; {rest}",
                names.join(", ")
            ),
        ),
    )
}

/// The applying hunks of a patch that is partly in R (as written or modulo context) whose added
/// lines R's file already has ([`duplicate`]), each named with where: `hunk 2 of `f.c` adds
/// lines that 2.0 already has at line 16`. Empty when no hunk is in R or none applies.
fn duplicated_hunks(
    files: &[&FilePatch],
    states: &[Vec<HunkState>],
    loose: &[Vec<bool>],
    judged_in: &[Option<Vec<u8>>],
    names: &[String],
    release: &str,
) -> Vec<String> {
    let in_release =
        |file: usize, hunk: usize| states[file][hunk] == HunkState::Present || loose[file][hunk];
    let hunks = || {
        files
            .iter()
            .enumerate()
            .flat_map(|(file, patch)| (0..patch.hunks.len()).map(move |hunk| (file, hunk)))
    };
    let any_in_release = hunks().any(|(file, hunk)| in_release(file, hunk));
    let any_applied = hunks().any(|(file, hunk)| states[file][hunk] == HunkState::Applied);
    if !any_in_release || !any_applied {
        return Vec::new();
    }
    let moved_out: HashSet<Vec<u8>> = hunks()
        .filter(|&(file, hunk)| in_release(file, hunk))
        .flat_map(|(file, hunk)| removed_content(&files[file].hunks[hunk]))
        .collect();
    let mut named = Vec::new();
    for (file, patch) in files.iter().enumerate() {
        let Some(content) = &judged_in[file] else {
            continue;
        };
        let applied: Vec<usize> = (0..patch.hunks.len())
            .filter(|&hunk| states[file][hunk] == HunkState::Applied)
            .collect();
        if applied.is_empty() {
            continue;
        }
        let lines = ContentLines::of(content);
        let in_release_added: Vec<Vec<Vec<u8>>> = (0..patch.hunks.len())
            .filter(|&hunk| in_release(file, hunk))
            .map(|hunk| added_content(&patch.hunks[hunk]))
            .collect();
        for hunk in applied {
            if let Some(found) =
                duplicate(&patch.hunks[hunk], &lines, &in_release_added, &moved_out)
            {
                named.push(format!(
                    "hunk {} of `{}` {}",
                    hunk + 1,
                    names[file],
                    found.describe(release)
                ));
            }
        }
    }
    named
}

/// The hunks found `applied` only in a moved file, named (`hunk 2 of `a.c``, the first three).
fn moved_applied(hunks: &[HunkReport]) -> Vec<String> {
    hunks
        .iter()
        .filter(|h| h.state == HunkState::Applied && h.found_in.is_some())
        .take(3)
        .map(|h| format!("hunk {} of `{}`", h.index, h.file))
        .collect()
}

/// The hunks of one file diff as judged, and the content of R's file a modified file's hunks
/// were judged in (for [`duplicate`]).
type Judged = (Vec<Found>, Option<Vec<u8>>);

/// The file of R (as `overlay` leaves it) a plain diff naming two files patches, as GNU patch
/// (what melange and quilt run) and `apply` choose it ([`FilePatch::plain_target`]): Alpine's
/// `--- a/src/dbinc/atomic.h` / `+++ b/src/dbinc/atomic.h.change` patches `atomic.h`.
fn plain_target(
    file: &FilePatch,
    strip: usize,
    tree: &ReleaseTree,
    overlay: &Overlay,
) -> Option<Vec<u8>> {
    file.plain_target(strip, |path| {
        matches!(overlay.read(tree, path), Ok(Entry::File(_)))
    })
}

/// The state of each hunk of one file diff, and the content of R's file a modified file's hunks
/// were judged in (for [`duplicate`]).
fn judge_file(
    file: &FilePatch,
    target: Option<&Vec<u8>>,
    strip: usize,
    tree: &ReleaseTree,
    overlay: &Overlay,
    removed_blocks: &[Vec<Vec<u8>>],
) -> Result<Judged, String> {
    let (old_path, new_path) = match target {
        Some(path) => (Some(path.clone()), Some(path.clone())),
        None => (file.old_target(strip), file.new_target(strip)),
    };
    let read = |path: &Option<Vec<u8>>| -> Result<Option<Vec<u8>>, String> {
        match path {
            Some(path) => match overlay.read(tree, path)? {
                Entry::File(content) => Ok(Some(content)),
                Entry::Missing => Ok(None),
            },
            None => Ok(None),
        }
    };
    let old = if file.is_new { None } else { read(&old_path)? };
    let new = if file.is_delete {
        None
    } else if new_path == old_path {
        old.clone()
    } else {
        read(&new_path)?
    };
    if file.is_new {
        let whole: Vec<u8> = file
            .hunks
            .iter()
            .flat_map(|h| h.new_lines().flatten().copied())
            .collect();
        let state = match &new {
            None => (HunkState::Applied, false),
            Some(content) if *content == whole => (HunkState::Present, false),
            Some(content) if squeeze(content) == squeeze(&whole) => (HunkState::Present, true),
            Some(_) => (HunkState::Absent, false),
        };
        let found = file
            .hunks
            .iter()
            .map(|h| Found {
                state: state.0,
                trivial: h.is_trivial(),
                whitespace: state.1,
                loose: false,
                moved_to: None,
            })
            .collect();
        return Ok((found, None));
    }
    if file.is_delete {
        let old_lines = old.as_deref().map(split_lines);
        let found = file
            .hunks
            .iter()
            .map(|h| {
                let state = match &old_lines {
                    None => HunkState::Present,
                    Some(lines) if find_pre(h, lines).is_some() => HunkState::Applied,
                    Some(_) => HunkState::Absent,
                };
                Found {
                    state,
                    trivial: h.is_trivial(),
                    whitespace: false,
                    loose: false,
                    moved_to: None,
                }
            })
            .collect();
        return Ok((found, None));
    }
    if old.is_none()
        && new.is_none()
        && let Some(old_path) = &old_path
    {
        if let Some(module) = tree.submodule_of(old_path)? {
            return Err(format!(
                "it is in `{}`, a submodule of R, whose files are not read",
                String::from_utf8_lossy(&module)
            ));
        }
        return judge_moved(file, old_path, tree, overlay, removed_blocks);
    }
    let found = judge_modified(file, old.as_deref(), new.as_deref(), removed_blocks);
    Ok((found, old))
}

/// The hunks of a modified file whose path R does not have, judged in the best of R's files
/// of the same name ([`ReleaseTree::namesakes`]): the one with the most hunks present, then
/// applied. With none present or applied anywhere, every hunk is judged against no file
/// (`absent`).
fn judge_moved(
    file: &FilePatch,
    old_path: &[u8],
    tree: &ReleaseTree,
    overlay: &Overlay,
    removed_blocks: &[Vec<Vec<u8>>],
) -> Result<Judged, String> {
    let mut best: Option<((usize, usize), Judged)> = None;
    for candidate in tree.namesakes(old_path, MAX_MOVED_CANDIDATES)? {
        let Entry::File(content) = overlay.read(tree, &candidate)? else {
            continue;
        };
        let mut found = judge_modified(file, Some(&content), Some(&content), removed_blocks);
        let count = |state| found.iter().filter(|f| f.state == state).count();
        let score = (count(HunkState::Present), count(HunkState::Applied));
        if score == (0, 0) || best.as_ref().is_some_and(|(best, _)| *best >= score) {
            continue;
        }
        for f in &mut found {
            f.moved_to = Some(candidate.clone());
        }
        best = Some((score, (found, Some(content))));
    }
    Ok(match best {
        Some((_, judged)) => judged,
        None => (judge_modified(file, None, None, removed_blocks), None),
    })
}

/// The hunks of a modified file, its old and new content as R has them (`None`: no file).
fn judge_modified(
    file: &FilePatch,
    old: Option<&[u8]>,
    new: Option<&[u8]>,
    removed_blocks: &[Vec<Vec<u8>>],
) -> Vec<Found> {
    let old_lines = old.map(split_lines);
    let new_lines = new.map(split_lines);
    let old_squeezed = old_lines.as_ref().map(|l| squeeze_lines(l));
    let new_squeezed = new_lines.as_ref().map(|l| squeeze_lines(l));
    let old_normalized = old_lines.as_deref().map(modulo_context::normalize);
    let new_normalized = new_lines.as_deref().map(modulo_context::normalize);
    file.hunks
        .iter()
        .map(|hunk| {
            let (state, whitespace) = classify(
                hunk,
                old_lines.as_deref(),
                new_lines.as_deref(),
                old_squeezed.as_deref(),
                new_squeezed.as_deref(),
            );
            let loose = state == HunkState::Absent
                && match (&old_normalized, &new_normalized) {
                    (Some(old), Some(new)) => {
                        modulo_context::is_present(hunk, old, new, removed_blocks)
                    }
                    _ => false,
                };
            Found {
                state,
                trivial: hunk.is_trivial(),
                whitespace,
                loose,
                moved_to: None,
            }
        })
        .collect()
}

/// One hunk of a modified file: (state, found only ignoring whitespace).
fn classify(
    hunk: &Hunk,
    old: Option<&[&[u8]]>,
    new: Option<&[&[u8]]>,
    old_squeezed: Option<&[Vec<u8>]>,
    new_squeezed: Option<&[Vec<u8>]>,
) -> (HunkState, bool) {
    let pre = old.and_then(|lines| find_pre(hunk, lines));
    let post = new.and_then(|lines| find_post(hunk, lines));
    match (pre, post) {
        (Some(pre), Some(post)) if post <= pre => return (HunkState::Present, false),
        (Some(_), _) => return (HunkState::Applied, false),
        (None, Some(_)) => return (HunkState::Present, false),
        (None, None) => {}
    }
    // Neither image as written: look for the post-image ignoring whitespace.
    let Some(new_squeezed) = new_squeezed else {
        return (HunkState::Absent, false);
    };
    let squeeze_images = |kind: LineKind| -> Vec<Vec<u8>> {
        hunk.lines
            .iter()
            .filter(|l| l.kind != kind)
            .map(|l| squeeze(&l.text))
            .collect()
    };
    let post_image = squeeze_images(LineKind::Remove);
    let pre_image = squeeze_images(LineKind::Add);
    let post = (!post_image.is_empty() || new_squeezed.is_empty()).then(|| {
        find(
            hunk,
            &post_image,
            new_squeezed,
            hunk.new_start,
            hunk.new_count,
        )
    });
    let post = post.flatten();
    let pre =
        old_squeezed.and_then(|old| find(hunk, &pre_image, old, hunk.old_start, hunk.old_count));
    match (pre, post) {
        (Some(pre), Some(post)) if post <= pre => (HunkState::Present, true),
        (None, Some(_)) => (HunkState::Present, true),
        _ => (HunkState::Absent, false),
    }
}

/// Distance from the hunk's own line to where its pre-image is found, if it is.
fn find_pre(hunk: &Hunk, lines: &[&[u8]]) -> Option<usize> {
    let image: Vec<&[u8]> = hunk.old_lines().collect();
    find(hunk, &image, lines, hunk.old_start, hunk.old_count)
}

/// Distance from the hunk's own line to where its post-image is found, if it is. An empty
/// post-image (a hunk that only removes, with no context) fits anywhere, so it proves nothing:
/// it is found only in an empty file (the removal emptied it).
fn find_post(hunk: &Hunk, lines: &[&[u8]]) -> Option<usize> {
    let image: Vec<&[u8]> = hunk.new_lines().collect();
    if image.is_empty() && !lines.is_empty() {
        return None;
    }
    find(hunk, &image, lines, hunk.new_start, hunk.new_count)
}

/// Zero-fuzz placement of `image` in `lines` near the header's line; the distance to it.
fn find<T: AsRef<[u8]>>(
    hunk: &Hunk,
    image: &[T],
    lines: &[T],
    start: usize,
    count: usize,
) -> Option<usize> {
    let image: Vec<&[u8]> = image.iter().map(AsRef::as_ref).collect();
    let lines: Vec<&[u8]> = lines.iter().map(AsRef::as_ref).collect();
    let (before, after) = hunk.context_lengths();
    let expected = if count == 0 {
        start
    } else {
        start.saturating_sub(1)
    };
    let (position, _) = locate(&image, &lines, expected, before, after, 0)?;
    Some(position.abs_diff(expected))
}

fn split_lines(content: &[u8]) -> Vec<&[u8]> {
    content.split_inclusive(|&b| b == b'\n').collect()
}

fn squeeze_lines(lines: &[&[u8]]) -> Vec<Vec<u8>> {
    lines.iter().map(|l| squeeze(l)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patch::parse_patches;

    fn hunk(text: &str) -> Hunk {
        let patch = format!("--- a/x\n+++ b/x\n{text}");
        parse_patches(patch.as_bytes()).unwrap()[0].files[0].hunks[0].clone()
    }

    fn state(hunk: &Hunk, file: &str) -> (HunkState, bool) {
        let lines = split_lines(file.as_bytes());
        let squeezed = squeeze_lines(&lines);
        classify(
            hunk,
            Some(&lines),
            Some(&lines),
            Some(&squeezed),
            Some(&squeezed),
        )
    }

    const FIX: &str =
        "@@ -2,3 +2,3 @@\n a\n-strcpy(b, n);\n+snprintf(b, sizeof b, \"%s\", n);\n c\n";

    #[test]
    fn applied_present_absent() {
        let h = hunk(FIX);
        assert_eq!(state(&h, "0\na\nstrcpy(b, n);\nc\n").0, HunkState::Applied);
        assert_eq!(
            state(&h, "0\na\nsnprintf(b, sizeof b, \"%s\", n);\nc\n").0,
            HunkState::Present
        );
        assert_eq!(
            state(&h, "0\na\nmemcpy(b, n, 3);\nc\n").0,
            HunkState::Absent
        );
    }

    /// A hunk that only removes, with no context, has an empty post-image: it fits anywhere,
    /// so only an emptied file proves it (GNU patch `-E` and dpkg-source then remove the file).
    #[test]
    fn a_hunk_that_empties_a_file_is_present_only_in_an_empty_file() {
        let h = hunk("@@ -1,2 +0,0 @@\n-gone\n-  away\n");
        assert_eq!(state(&h, "gone\n  away\n").0, HunkState::Applied);
        assert_eq!(state(&h, "other\n").0, HunkState::Absent);
        assert_eq!(state(&h, "").0, HunkState::Present);
        let middle = hunk("@@ -3 +2,0 @@\n-drop me\n");
        assert_eq!(state(&middle, "a\nb\nc\n").0, HunkState::Absent);
    }

    #[test]
    fn finds_moved_and_reindented_fixes() {
        let h = hunk(FIX);
        let moved = "x\ny\nz\nw\n0\na\nsnprintf(b, sizeof b, \"%s\", n);\nc\n";
        assert_eq!(state(&h, moved), (HunkState::Present, false));
        let reindented = "0\n  a\n  snprintf(b, sizeof b, \"%s\", n);\n  c\n";
        assert_eq!(state(&h, reindented), (HunkState::Present, true));
    }

    /// A release tree holding `files` (path, content).
    fn release(files: &[(&str, &str)]) -> ReleaseTree {
        let temp = tempfile::tempdir().unwrap();
        for (path, content) in files {
            let full = temp.path().join(path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(full, content).unwrap();
        }
        ReleaseTree::in_folder(temp)
    }

    const BEFORE: &str = "0\na\nstrcpy(b, n);\nc\n";
    const AFTER: &str = "0\na\nsnprintf(b, sizeof b, \"%s\", n);\nc\n";

    /// FIX as a patch of `path`.
    fn fix_of(path: &str) -> Vec<Patch> {
        parse_patches(format!("--- a/{path}\n+++ b/{path}\n{FIX}").as_bytes()).unwrap()
    }

    fn judge(patches: &[Patch], tree: &ReleaseTree) -> Content {
        Content::judge(patches, 1, tree, &Overlay::default(), "1.1")
    }

    #[test]
    fn a_hunk_in_a_moved_file_is_present_there() {
        let tree = release(&[("system/physmem.c", AFTER), ("unrelated.c", BEFORE)]);
        let content = judge(&fix_of("softmmu/physmem.c"), &tree);
        assert_eq!(content.hunks[0].state, HunkState::Present);
        assert_eq!(
            content.hunks[0].found_in.as_deref(),
            Some("system/physmem.c")
        );
        assert_eq!(content.outcome, Outcome::AllPresent);
        assert_eq!(content.evidence.result, EvidenceResult::Proves);
        let detail = &content.evidence.detail;
        assert!(
            detail.contains(
                "`softmmu/physmem.c` is not in 1.1, its hunks were looked for in `system/physmem.c`"
            ),
            "{detail}"
        );
    }

    #[test]
    fn a_hunk_applying_only_in_a_moved_file_is_a_conflict() {
        let tree = release(&[("system/physmem.c", BEFORE)]);
        let patches = fix_of("softmmu/physmem.c");
        let content = judge(&patches, &tree);
        assert_eq!(content.hunks[0].state, HunkState::Applied);
        assert_eq!(
            content.hunks[0].found_in.as_deref(),
            Some("system/physmem.c")
        );
        assert_eq!(content.outcome, Outcome::Conflict);
        assert_eq!(content.loose_outcome, Outcome::Conflict);
        assert_eq!(content.evidence.result, EvidenceResult::NotFound);
        let detail = &content.evidence.detail;
        assert!(
            detail.contains("hunk 1 of `softmmu/physmem.c` applies only in a moved file"),
            "{detail}"
        );
        // The series goes on with the hunk applied where the file went, as `refresh` moves it;
        // the patch's own path stays absent.
        let mut overlay = Overlay::default();
        content.apply_to(&patches, 1, &tree, &mut overlay);
        assert_eq!(
            overlay.read(&tree, b"system/physmem.c").unwrap(),
            Entry::File(AFTER.as_bytes().to_vec())
        );
        assert_eq!(
            overlay.read(&tree, b"softmmu/physmem.c").unwrap(),
            Entry::Missing
        );
    }

    #[test]
    fn a_present_hunk_in_place_and_one_applying_in_a_moved_file_is_no_partial() {
        let tree = release(&[("lib/a.c", AFTER), ("system/physmem.c", BEFORE)]);
        let mut patches = fix_of("lib/a.c");
        patches.extend(fix_of("softmmu/physmem.c"));
        let content = judge(&patches, &tree);
        assert_eq!(content.hunks[0].found_in, None);
        assert_eq!(
            content.hunks.iter().map(|h| h.state).collect::<Vec<_>>(),
            [HunkState::Present, HunkState::Applied]
        );
        assert_eq!(content.outcome, Outcome::Conflict);
        assert!(
            content
                .evidence
                .detail
                .starts_with("1 of 2 hunks are in 1.1; "),
            "{}",
            content.evidence.detail
        );
    }

    #[test]
    fn the_namesake_with_most_hunks_present_wins() {
        // `softmmu/x/physmem.c` ranks first (two shared components) but only applies; the
        // fix is in `system/physmem.c`.
        let tree = release(&[("other/x/physmem.c", BEFORE), ("system/physmem.c", AFTER)]);
        let content = judge(&fix_of("softmmu/x/physmem.c"), &tree);
        assert_eq!(content.hunks[0].state, HunkState::Present);
        assert_eq!(
            content.hunks[0].found_in.as_deref(),
            Some("system/physmem.c")
        );
        // With neither image anywhere, the hunk is absent and judged nowhere.
        let tree = release(&[("system/physmem.c", "nothing alike\n")]);
        let content = judge(&fix_of("softmmu/physmem.c"), &tree);
        assert_eq!(content.hunks[0].state, HunkState::Absent);
        assert_eq!(content.hunks[0].found_in, None);
        assert!(!content.evidence.detail.contains("looked for"));
    }

    /// `line 1` … `line 30` with `block` after line `after`.
    fn with_block(block: &str, after: usize) -> String {
        (1..=30)
            .map(|n| {
                let extra = if n == after { block } else { "" };
                format!("line {n}\n{extra}")
            })
            .collect()
    }

    /// A patch of `f.c` moving `block` from after line 5 to after line 25 of
    /// `with_block(block, 5)`.
    fn moving(block: &str) -> Vec<Patch> {
        let count = block.lines().count();
        let removed: String = block.lines().map(|l| format!("-{l}\n")).collect();
        let added: String = block.lines().map(|l| format!("+{l}\n")).collect();
        let text = format!(
            "--- a/f.c\n+++ b/f.c\n@@ -3,{} +3,6 @@\n line 3\n line 4\n line 5\n{removed} line 6\n line 7\n line 8\n@@ -{},6 +23,{} @@\n line 23\n line 24\n line 25\n{added} line 26\n line 27\n line 28\n",
            6 + count,
            23 + count,
            6 + count
        );
        parse_patches(text.as_bytes()).unwrap()
    }

    const HELPERS: &str = "int alpha(void) { return 1; }\nint beta(void) { return 2; }\n";

    #[test]
    fn a_move_upstream_made_too_is_no_partial() {
        let patches = moving(HELPERS);
        let content = judge(&patches, &release(&[("f.c", &with_block(HELPERS, 15))]));
        assert_eq!(
            content.hunks.iter().map(|h| h.state).collect::<Vec<_>>(),
            [HunkState::Present, HunkState::Applied]
        );
        assert_eq!(content.outcome, Outcome::Conflict);
        assert_eq!(content.loose_outcome, Outcome::Conflict);
        assert_eq!(content.evidence.result, EvidenceResult::NotFound);
        assert!(
            content.evidence.detail.contains(
                "hunk 2 of `f.c` adds lines that 1.1 already has at line 16 (the patch moves them"
            ),
            "{}",
            content.evidence.detail
        );
        // Upstream deleted the helpers instead: the patch can shrink to its addition.
        let content = judge(&patches, &release(&[("f.c", &with_block("", 15))]));
        assert_eq!(content.outcome, Outcome::Partial);
        // A single moved line found elsewhere proves no duplicate.
        let one = "int alpha(void) { return 1; }\n";
        let content = judge(&moving(one), &release(&[("f.c", &with_block(one, 15))]));
        assert_eq!(content.outcome, Outcome::Partial);
    }
}

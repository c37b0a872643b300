//! One patch the refresh cannot place, carried onto the release three ways (DESIGN.md §5,
//! `upgrade`).
//!
//! For each file diff of the patch, as `git merge-file` sees it: base is the file at the pinned
//! release with the earlier patches applied (as they were written), ours is base with this
//! patch, theirs is the file at the new release with the earlier patches carried over. The
//! merge is `patch::merge` (git's algorithm); nothing here decides how two changes combine.
//!
//! - Every file merges cleanly: the patch is rewritten against theirs (its header and
//!   trailer kept; a file diff whose hunks still apply where they say is kept byte for byte,
//!   the others get new hunks from the difference between theirs and the merge), then
//!   refreshed onto the tree with zero fuzz, which leaves its changes there for the later
//!   patches. A file whose merge is theirs unchanged leaves the patch; a patch all of whose
//!   files do is empty: upstream made the same change (`merged-empty`, as `git rebase` drops a
//!   commit that became empty).
//! - Some file conflicts: the result names each file (and the lines of its markers) and holds,
//!   for every path the patch touches, what the work tree of the stop should show: the merge
//!   with diff3 markers, a clean merge, or the release's file. Binary, renamed or copied file
//!   diffs, a file the patch deletes that upstream changed, a file upstream removed, and a new
//!   file upstream added too with other content are conflicts with a sentence instead of
//!   markers: never merged by guess.

use serde::{Deserialize, Serialize};

use crate::patch::apply::apply_hunks;
use crate::patch::diff::diff_files;
use crate::patch::merge::{MergeLabels, MergeOutcome, merge3};
use crate::patch::rewrite::update_index;
use crate::patch::write::write_patches;
use crate::patch::{FilePatch, Patch};
use crate::refresh::{RefreshOptions, RefreshOutcome, SeriesPatch, SeriesTree};
use crate::upstream::release_tree::Entry;

/// How the three sides are named in conflict markers.
#[derive(Debug, Clone)]
pub struct Labels {
    /// The pinned release (with the earlier patches).
    pub base: String,
    /// The patch.
    pub ours: String,
    /// The new release (with the carried patches).
    pub theirs: String,
}

/// A file the merge could not finish.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictFile {
    /// The path in the tree.
    pub path: String,
    /// The 1-based lines where conflict blocks open (`<<<<<<<`), if the file holds markers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub markers: Vec<usize>,
    /// The patch's hunks for this file that do not apply to the release with zero fuzz.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hunks: Vec<ConflictHunk>,
    pub detail: String,
}

/// One hunk of a conflicting file diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictHunk {
    /// Its place among the file diff's hunks, from 1.
    pub number: usize,
    /// Its header, `@@ -old,count +new,count @@`.
    pub header: String,
}

/// The hunks of `file` that do not apply to `content` (each alone, zero fuzz).
fn failing_hunks(file: &FilePatch, content: Option<&[u8]>) -> Vec<ConflictHunk> {
    file.hunks
        .iter()
        .enumerate()
        .filter(|(_, hunk)| {
            content.is_none_or(|content| {
                apply_hunks(std::slice::from_ref(*hunk), content, 0).is_none()
            })
        })
        .map(|(index, hunk)| ConflictHunk {
            number: index + 1,
            header: format!(
                "@@ -{},{} +{},{} @@",
                hunk.old_start, hunk.old_count, hunk.new_start, hunk.new_count
            ),
        })
        .collect()
}

/// What carrying one patch three ways gave.
#[derive(Debug, Clone)]
pub enum Merge {
    /// The patch, rewritten against the new release; its changes are in the tree.
    Merged { bytes: Vec<u8>, detail: String },
    /// Every file came out as the new release already has it.
    Empty { detail: String },
    /// Some file needs a person. `tree` holds what each path the patch touches should show
    /// in the work tree (`Entry::Missing`: leave the release's state).
    Conflict {
        files: Vec<ConflictFile>,
        tree: Vec<(Vec<u8>, Entry)>,
        detail: String,
    },
}

/// One file diff, merged.
struct FileMerge<'a> {
    file: &'a FilePatch,
    path: Vec<u8>,
    /// The file at the new release before this patch.
    theirs: Entry,
    /// The file after the merge (or what the work tree should show, for a conflict).
    result: Entry,
    /// The original file diff still applies where it says and gives `result`: keep it.
    verbatim: bool,
    conflict: Option<ConflictFile>,
}

/// Carry `patch` onto `theirs` three ways against `base` (both before this patch). On
/// [`Merge::Merged`] the patch's changes are left in `theirs`; otherwise `theirs` is
/// unchanged.
pub fn merge_patch(
    patch: &SeriesPatch,
    base: &SeriesTree<'_>,
    theirs: &mut SeriesTree<'_>,
    labels: &Labels,
) -> Merge {
    let (mails, strip) = match patch.parse() {
        Ok(parsed) => parsed,
        Err(error) => {
            return Merge::Conflict {
                files: Vec::new(),
                tree: Vec::new(),
                detail: format!("cannot parse the patch: {error}"),
            };
        }
    };
    let merges: Vec<Vec<FileMerge<'_>>> = mails
        .iter()
        .map(|mail| {
            mail.files
                .iter()
                .map(|file| merge_file(file, strip, base, theirs, labels))
                .collect()
        })
        .collect();
    let all = || merges.iter().flatten();
    let conflicts: Vec<ConflictFile> = all().filter_map(|m| m.conflict.clone()).collect();
    if !conflicts.is_empty() {
        let detail = conflicts
            .iter()
            .map(|c| format!("`{}`: {}", c.path, c.detail))
            .collect::<Vec<_>>()
            .join("; ");
        return Merge::Conflict {
            files: conflicts,
            tree: all().map(|m| (m.path.clone(), m.result.clone())).collect(),
            detail,
        };
    }
    let merged: Vec<&FileMerge<'_>> = all().filter(|m| m.result != m.theirs).collect();
    if merged.is_empty() {
        return Merge::Empty {
            detail: format!(
                "a three-way merge onto {} leaves every file as the release has it",
                labels.theirs
            ),
        };
    }
    let mut new_mails: Vec<Patch> = Vec::with_capacity(mails.len());
    for (mail, files) in mails.iter().zip(&merges) {
        let files = files
            .iter()
            .filter(|m| m.result != m.theirs)
            .map(rewritten)
            .collect();
        new_mails.push(Patch {
            header: mail.header.clone(),
            files,
            trailer: mail.trailer.clone(),
        });
    }
    if new_mails.len() > 1 {
        new_mails.retain(|m| !m.files.is_empty());
    }
    let bytes = write_patches(&new_mails);
    // The rewritten patch must apply to the release as it stands, with zero fuzz; the refresh
    // checks it and leaves its changes in the tree.
    let carried = SeriesPatch {
        file: patch.file.clone(),
        strip: patch.strip,
        bytes,
        hold: None,
        folder: patch.folder.clone(),
    };
    let refreshed = theirs.refresh(&carried, &RefreshOptions::default());
    if refreshed.outcome != RefreshOutcome::Unchanged {
        return Merge::Conflict {
            files: Vec::new(),
            tree: Vec::new(),
            detail: format!(
                "the merged patch does not apply to {} as written ({}): carry it by hand",
                labels.theirs,
                refreshed.detail.unwrap_or_default()
            ),
        };
    }
    let names: Vec<String> = merged
        .iter()
        .map(|m| String::from_utf8_lossy(&m.path).into_owned())
        .collect();
    Merge::Merged {
        bytes: carried.bytes,
        detail: format!("merged three ways: {}", names.join(", ")),
    }
}

/// The file diff to write for a merged file: the original when it still applies where it
/// says, else new hunks from theirs to the merge (paths, modes and other header lines kept).
fn rewritten(merge: &FileMerge<'_>) -> FilePatch {
    if merge.verbatim {
        return merge.file.clone();
    }
    let (Entry::File(theirs), Entry::File(result)) = (&merge.theirs, &merge.result) else {
        return merge.file.clone();
    };
    let path = String::from_utf8_lossy(&merge.path);
    let fresh = diff_files(&path, &path, theirs, result, 3);
    let mut file = merge.file.clone();
    file.hunks = fresh.hunks;
    update_index(&mut file, theirs, result);
    file
}

fn merge_file<'a>(
    file: &'a FilePatch,
    strip: usize,
    base: &SeriesTree<'_>,
    theirs: &SeriesTree<'_>,
    labels: &Labels,
) -> FileMerge<'a> {
    let display = file.display_path(strip);
    let path = file
        .new_target(strip)
        .or_else(|| file.old_target(strip))
        .unwrap_or_default();
    let read = |tree: &SeriesTree<'_>, path: &[u8]| tree.read(path).unwrap_or(Entry::Missing);
    let theirs_entry = read(theirs, &path);
    let refuse = |detail: String| FileMerge {
        file,
        path: path.clone(),
        theirs: theirs_entry.clone(),
        result: theirs_entry.clone(),
        verbatim: false,
        conflict: Some(ConflictFile {
            path: display.clone(),
            markers: Vec::new(),
            hunks: Vec::new(),
            detail,
        }),
    };
    if file.binary.is_some() {
        return refuse("a binary file diff is not merged: make the change by hand".into());
    }
    if file.rename.is_some() || file.copy.is_some() {
        return refuse("a renamed or copied file is not merged: make the change by hand".into());
    }
    let done = |result: Entry, verbatim: bool| FileMerge {
        file,
        path: path.clone(),
        theirs: theirs_entry.clone(),
        result,
        verbatim,
        conflict: None,
    };
    if file.hunks.is_empty() {
        // A mode change alone: it applies or not, there is nothing to merge.
        return match &theirs_entry {
            Entry::File(_) => done(theirs_entry.clone(), true),
            Entry::Missing => refuse(format!("`{display}` is not in {}", labels.theirs)),
        };
    }
    if file.is_new {
        let ours: Vec<u8> = file
            .hunks
            .iter()
            .flat_map(|h| h.new_lines().flatten().copied())
            .collect();
        return match &theirs_entry {
            Entry::Missing => done(Entry::File(ours), true),
            Entry::File(existing) if *existing == ours => done(theirs_entry.clone(), false),
            Entry::File(existing) => {
                let mut merge = refuse(format!(
                    "{} adds this file too, with other content",
                    labels.theirs
                ));
                if let Ok(outcome) = merge3(b"", &ours, existing, &marker_labels(labels)) {
                    let (content, markers) = outcome_content(outcome);
                    merge.result = Entry::File(content);
                    if let Some(conflict) = &mut merge.conflict {
                        conflict.markers = markers;
                    }
                }
                merge
            }
        };
    }
    let base_entry = read(base, &file.old_target(strip).unwrap_or_default());
    let Entry::File(base_content) = base_entry else {
        return refuse(format!(
            "`{display}` is not in {} with the earlier patches: the series does not apply to the pinned release",
            labels.base
        ));
    };
    if file.is_delete {
        return match &theirs_entry {
            Entry::Missing => done(Entry::Missing, false),
            Entry::File(existing) if *existing == base_content => done(Entry::Missing, true),
            Entry::File(_) => refuse(format!(
                "{} changed this file, which the patch deletes: delete it or keep it by hand",
                labels.theirs
            )),
        };
    }
    let Some((ours, _)) = apply_hunks(&file.hunks, &base_content, 0) else {
        return refuse(format!(
            "the patch does not apply to {} with the earlier patches: the series is broken at the pinned release",
            labels.base
        ));
    };
    let Entry::File(theirs_content) = &theirs_entry else {
        let mut merge = refuse(format!(
            "`{display}` is not in {} (upstream removed or moved it): make the change by hand",
            labels.theirs
        ));
        if let Some(conflict) = &mut merge.conflict {
            conflict.hunks = failing_hunks(file, None);
        }
        return merge;
    };
    match merge3(&base_content, &ours, theirs_content, &marker_labels(labels)) {
        Err(error) => refuse(error.to_string()),
        Ok(MergeOutcome::Clean(result)) => {
            let verbatim =
                apply_hunks(&file.hunks, theirs_content, 0).is_some_and(|(applied, placements)| {
                    applied == result && placements.iter().all(|p| p.offset == 0)
                });
            done(Entry::File(result), verbatim)
        }
        Ok(outcome) => {
            let (content, markers) = outcome_content(outcome);
            let count = markers.len();
            let mut merge = refuse(format!(
                "{count} conflict{} (diff3 markers)",
                if count == 1 { "" } else { "s" }
            ));
            merge.result = Entry::File(content);
            if let Some(conflict) = &mut merge.conflict {
                conflict.markers = markers;
                conflict.hunks = failing_hunks(file, Some(theirs_content));
            }
            merge
        }
    }
}

fn marker_labels(labels: &Labels) -> MergeLabels<'_> {
    MergeLabels {
        base: &labels.base,
        ours: &labels.ours,
        theirs: &labels.theirs,
    }
}

/// The merged bytes and the lines of their conflict blocks.
fn outcome_content(outcome: MergeOutcome) -> (Vec<u8>, Vec<usize>) {
    match outcome {
        MergeOutcome::Clean(content) => (content, Vec::new()),
        MergeOutcome::Conflict { content, regions } => {
            (content, regions.iter().map(|r| r.line).collect())
        }
    }
}

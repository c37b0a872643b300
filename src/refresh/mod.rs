//! Refresh: rebase a package's patches onto a release V without churn (DESIGN.md §5).
//!
//! Flow: `plan_refresh` reads the series, opens V's tree (`upstream::release_tree`), and runs
//! `refresh_series`, which walks the patches in series order over V kept in memory (each
//! patch sees V as the earlier patches leave it). For every hunk of every file diff:
//! - its pre-image sits exactly where its header says: the hunk's bytes are kept as they are;
//! - it sits elsewhere (an offset): the hunk is kept with new line numbers (its `@@` section
//!   text is kept too);
//! - its post-image is already in V (nearer to the header's line than any pre-image, as the
//!   applier's double-apply guard decides): the hunk is dropped. A hunk whose changed lines
//!   carry no content (blank lines, lone braces) proves nothing alone: it is dropped only
//!   beside a dropped hunk of the same file that has content, else it is a conflict;
//! - with `--fuzz N` (0 by default, as everywhere), a hunk whose outer context changed is
//!   placed with up to N context lines ignored and regenerated with its context taken from V;
//! - otherwise the hunk is a conflict: the whole patch is left untouched and reported.
//!
//! A patch that drops some hunks is checked before it is written: a kept hunk whose added lines V's
//! file already has elsewhere (`patch::content`'s duplicate rule, which the `content` detector
//! applies too: a block the patch moves, which upstream moved too) would put that code in the tree
//! twice, so the patch is a conflict instead.
//!
//! A file diff modifying a path V lacks follows the file where upstream moved it: to the first
//! of V's files of the same name, ranked as the `content` detector ranks them
//! ([`ReleaseTree::namesakes`]), where every hunk places (as above) or is already there. The
//! file diff is rewritten to name that path (`---`/`+++`, `diff --git`, `Index:`; the prefixes
//! that `-p` strips are kept), its hunks report `moved_to`, and the later patches of the series
//! find the file there. With no such file it is a conflict that names the files tried.
//!
//! A changed patch keeps its header and trailer verbatim; only the changed file diffs are rewritten
//! (`patch::rewrite`: new numbers, context from V, a moved path; their `index` line gets the blob
//! ids of V's content and the result, in the same abbreviation), and the rewritten hunks are
//! checked to apply to V with zero offset before anything is returned. A patch whose hunks all kept
//! their place comes back byte-identical. A patch whose every hunk is already in V is reported
//! `expired` (refresh leaves it in place; `expire` removes it). Binary and mode-only file diffs are
//! kept verbatim.
//!
//! Nothing is written here: the plan carries a [`ChangeSet`] that the caller commits (or shows
//! as a diff with `--dry-run`).

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use serde::Serialize;

mod moved;
mod release;

pub use release::{move_version, open_tree, open_tree_selected, release_sha256};

use crate::patch::apply::{apply_hunks, locate};
use crate::patch::content::{ContentLines, added_content, duplicate, removed_content};
use crate::patch::rewrite::{context_from, header_line, update_index};
use crate::patch::write::write_patches;
use crate::patch::{FilePatch, Hunk, LineKind, Patch, parse_patches};
use crate::upstream::release::fetch_message;
use crate::upstream::release_tree::{Entry, MAX_MOVED_CANDIDATES, ReleaseTree};
use crate::upstream::{FetchError, Fetcher};
use crate::workspace::Package;
use crate::workspace::edit::{ChangeSet, EditError, ManifestEdit};

/// Choices for a refresh.
#[derive(Debug, Clone, Default)]
pub struct RefreshOptions {
    /// Context lines a hunk may ignore to be placed (its context is then taken from V).
    pub fuzz: usize,
    /// Move the version even when some patch conflicts (the conflicting ones stay untouched).
    pub allow_conflicts: bool,
}

/// One patch of a series, as the refresh reads it.
#[derive(Debug, Clone)]
pub struct SeriesPatch {
    /// The patch file, as the manifest names it.
    pub file: String,
    pub strip: usize,
    pub bytes: Vec<u8>,
    /// Leave this patch untouched and out of the tree the later patches see (a patch whose
    /// verdict is `conflict` or `unknown`); the text says why.
    pub hold: Option<String>,
    /// The folder of the source the patch applies in (a melange step's `working-directory`
    /// inside the source): its paths are read under it. `None`: the source's root.
    pub folder: Option<String>,
}

impl SeriesPatch {
    /// The patch's mails, with their paths as paths of the tree, and the `-p` to read them
    /// with (a patch of a folder gets the folder in front of its paths: [`FilePatch::move_into`];
    /// the lines it is written back with keep the paths as written).
    pub fn parse(&self) -> Result<(Vec<Patch>, usize), crate::patch::ParseError> {
        let mut mails = parse_patches(&self.bytes)?;
        let Some(folder) = &self.folder else {
            return Ok((mails, self.strip));
        };
        let strip = Patch::move_all_into(&mut mails, folder.as_bytes(), self.strip);
        Ok((mails, strip))
    }
}

/// What happened to one patch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RefreshOutcome {
    /// Every hunk applies where its header says: the file is left byte-identical.
    Unchanged,
    /// Hunks moved (new line numbers) or got new context from V.
    Refreshed,
    /// Some hunks are already in V and were dropped (the rest possibly moved).
    Shrunk,
    /// Every hunk is already in V.
    Expired,
    /// Some hunk neither applies nor is in V: the patch is left untouched.
    Conflict,
}

impl RefreshOutcome {
    /// The word used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            RefreshOutcome::Unchanged => "unchanged",
            RefreshOutcome::Refreshed => "refreshed",
            RefreshOutcome::Shrunk => "shrunk",
            RefreshOutcome::Expired => "expired",
            RefreshOutcome::Conflict => "conflict",
        }
    }
}

/// What happened to one hunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HunkFate {
    /// Applies where its header says; bytes kept.
    Kept,
    /// Applies at an offset; new line numbers.
    Moved,
    /// Placed with fuzz; context regenerated from V.
    Recontexted,
    /// Already in V; dropped.
    Dropped,
    /// Neither applies nor is in V.
    Conflict,
}

/// One hunk's fate.
#[derive(Debug, Clone, Serialize)]
pub struct HunkRefresh {
    /// The file the hunk changes (`-p` applied).
    pub file: String,
    /// 1-based index of the hunk within its file diff.
    pub index: usize,
    pub fate: HunkFate,
    /// The old-side start line the header named.
    pub from: usize,
    /// The old-side start line in V, for kept hunks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<usize>,
    /// The path of V the hunk was refreshed in when upstream moved the file (V has nothing at
    /// `file`); the patch is rewritten to name it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved_to: Option<String>,
}

/// What the refresh did (or would do) to one patch.
#[derive(Debug, Clone, Serialize)]
pub struct PatchRefresh {
    pub file: String,
    pub outcome: RefreshOutcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub hunks: Vec<HunkRefresh>,
    /// The new bytes of a refreshed or shrunk patch.
    #[serde(skip)]
    pub bytes: Option<Vec<u8>>,
}

/// Why a package could not be refreshed. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error("{}", fetch_message(package, release, source))]
    Fetch {
        package: String,
        release: String,
        #[source]
        source: Box<FetchError>,
    },
    #[error("cannot read patch `{}`", path.display())]
    Patch {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` is not a patch I can read", path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: crate::patch::ParseError,
    },
    #[error(transparent)]
    Edit(#[from] EditError),
}

/// The refresh of one package onto a release: what happens to each patch, and the files to
/// change.
#[derive(Debug, Clone, Serialize)]
pub struct RefreshPlan {
    pub name: String,
    /// The release the patches targeted.
    pub version: String,
    /// The release they are rebased onto.
    pub release: String,
    /// `upstream.version` moves from `version` to `release`.
    pub version_moved: bool,
    /// Conflicts keep the version where it is (no `--allow-conflicts`): nothing is changed.
    pub blocked: bool,
    pub patches: Vec<PatchRefresh>,
    #[serde(skip)]
    pub changes: ChangeSet,
}

/// Plan the refresh of `package` onto `release`: nothing is written (commit `changes`).
///
/// Unchanged patches are not touched; refreshed and shrunk ones are rewritten; expired and
/// conflicting ones are reported and left in place. When `release` is not the pinned version,
/// `upstream.version` (and a declared tarball sha256, computed from the real download) moves
/// to it — unless a patch conflicts and `allow_conflicts` is off, in which case nothing changes.
pub fn plan_refresh(
    package: &Package,
    release: &str,
    fetcher: &Fetcher,
    options: &RefreshOptions,
) -> Result<RefreshPlan, RefreshError> {
    let series = read_series(package)?;
    // A patch that does not parse (no diff at all, a path into `.git`, …) is an error that
    // names it, not a conflict to rebase by hand.
    for (entry, patch) in package.manifest.patches.iter().zip(&series) {
        patch.parse().map_err(|source| RefreshError::Parse {
            path: package.patch_path(entry),
            source,
        })?;
    }
    let tree = open_tree(package, release, fetcher)?;
    let patches = refresh_series(&series, &tree, options);
    let version = package.manifest.upstream.version.clone();
    let moving = release != version;
    let conflicts = patches
        .iter()
        .any(|p| p.outcome == RefreshOutcome::Conflict);
    let blocked = moving && conflicts && !options.allow_conflicts;
    let mut changes = ChangeSet::new(package, "refresh");
    if !blocked {
        for (patch, entry) in patches.iter().zip(&series) {
            if let Some(bytes) = &patch.bytes {
                let path = package.dir.join(&entry.file);
                changes.write(&path, Some(entry.bytes.clone()), bytes.clone());
            }
        }
        if moving {
            let mut edit = ManifestEdit::open(&package.manifest_path)?;
            move_version(&mut edit, package, release, fetcher, Some(&tree))?;
            changes.write(
                edit.path(),
                Some(edit.original().as_bytes().to_vec()),
                edit.text().as_bytes().to_vec(),
            );
        }
    }
    Ok(RefreshPlan {
        name: package.name.clone(),
        version,
        release: release.to_string(),
        version_moved: moving && !blocked,
        blocked,
        patches,
        changes,
    })
}

/// Read every patch of the series, in order.
pub fn read_series(package: &Package) -> Result<Vec<SeriesPatch>, RefreshError> {
    let trees = crate::native::package::patch_trees(package);
    package
        .manifest
        .patches
        .iter()
        .map(|entry| {
            let folder = match trees.get(&entry.file) {
                Some(crate::native::melange::PatchTree::Inside(folder)) => Some(folder.clone()),
                _ => None,
            };
            let path = package.patch_path(entry);
            let bytes = package
                .read_patch(entry)
                .map_err(|source| RefreshError::Patch {
                    path: path.clone(),
                    source,
                })?;
            Ok(SeriesPatch {
                file: entry.file.clone(),
                strip: entry.strip,
                bytes,
                hold: None,
                folder,
            })
        })
        .collect()
}

/// V as the earlier patches of the series leave it.
struct Files<'a> {
    release: &'a ReleaseTree,
    changed: HashMap<Vec<u8>, Entry>,
}

impl Files<'_> {
    fn read(&self, staged: &HashMap<Vec<u8>, Entry>, path: &[u8]) -> Result<Entry, String> {
        if let Some(entry) = staged.get(path).or_else(|| self.changed.get(path)) {
            return Ok(entry.clone());
        }
        Ok(self.release.read(path)?)
    }

    /// V's files named like `path`, where upstream may have moved it, ranked as `check` ranks
    /// them.
    fn namesakes(&self, path: &[u8]) -> Result<Vec<Vec<u8>>, String> {
        Ok(self.release.namesakes(path, MAX_MOVED_CANDIDATES)?)
    }
}

/// Refresh every patch of a series in order over V (`release`). Held patches are reported as
/// conflicts and left out of the tree the later patches see.
pub fn refresh_series(
    series: &[SeriesPatch],
    release: &ReleaseTree,
    options: &RefreshOptions,
) -> Vec<PatchRefresh> {
    let mut tree = SeriesTree::new(release);
    series
        .iter()
        .map(|patch| tree.refresh(patch, options))
        .collect()
}

/// A release as the patches carried so far leave it, one patch at a time: what
/// [`refresh_series`] walks, open to a caller that decides between patches (the upgrade
/// merges a patch the refresh cannot place, and sets the files it merged).
pub struct SeriesTree<'a> {
    files: Files<'a>,
}

impl<'a> SeriesTree<'a> {
    /// The release itself, before any patch.
    pub fn new(release: &'a ReleaseTree) -> SeriesTree<'a> {
        SeriesTree {
            files: Files {
                release,
                changed: HashMap::new(),
            },
        }
    }

    /// Refresh the next patch onto the tree; a patch that is not a conflict leaves its
    /// changes in the tree for the patches after it.
    pub fn refresh(&mut self, patch: &SeriesPatch, options: &RefreshOptions) -> PatchRefresh {
        refresh_patch(patch, &mut self.files, options)
    }

    /// What is at `path` now.
    pub fn read(&self, path: &[u8]) -> Result<Entry, String> {
        self.files.read(&HashMap::new(), path)
    }

    /// Put `entry` at `path` (a file the caller carried over itself).
    pub fn set(&mut self, path: Vec<u8>, entry: Entry) {
        self.files.changed.insert(path, entry);
    }

    /// The paths the carried patches changed, with what they hold now.
    pub fn changed(&self) -> impl Iterator<Item = (&Vec<u8>, &Entry)> {
        self.files.changed.iter()
    }
}

/// One file diff's result.
struct FileResult {
    /// The file diff to write (`None`: every hunk dropped).
    file: Option<FilePatch>,
    changed: bool,
    hunks: Vec<HunkRefresh>,
    /// What the file diff leaves in the tree.
    effects: Vec<(Vec<u8>, Entry)>,
    conflict: Option<String>,
    /// Text hunks it had.
    text_hunks: usize,
    /// V's content the hunks of a modified file were placed in (for the duplicate guard).
    judged_in: Option<Vec<u8>>,
}

fn refresh_patch(
    patch: &SeriesPatch,
    files: &mut Files<'_>,
    options: &RefreshOptions,
) -> PatchRefresh {
    let conflict = |detail: String, hunks| PatchRefresh {
        file: patch.file.clone(),
        outcome: RefreshOutcome::Conflict,
        detail: Some(detail),
        hunks,
        bytes: None,
    };
    if let Some(reason) = &patch.hold {
        return conflict(reason.clone(), Vec::new());
    }
    let (mails, strip) = match patch.parse() {
        Ok(parsed) => parsed,
        Err(error) => return conflict(format!("cannot parse the patch: {error}"), Vec::new()),
    };
    // A file of a folder's patch that upstream moved is not followed: its new path would be
    // written as a path of the whole tree.
    let follow_moves = patch.folder.is_none();
    let mut staged: HashMap<Vec<u8>, Entry> = HashMap::new();
    let mut hunks = Vec::new();
    let mut conflicts = Vec::new();
    let mut changed = false;
    let mut text_hunks = 0;
    let mut new_mails = Vec::with_capacity(mails.len());
    // Each file diff, its hunks' reports in `hunks`, and V's file they were placed in.
    let mut judged: Vec<JudgedFile<'_>> = Vec::new();
    for mail in &mails {
        let mut new_files = Vec::with_capacity(mail.files.len());
        for file in &mail.files {
            let result = match refresh_file(file, strip, files, &staged, options.fuzz, follow_moves)
            {
                Ok(result) => result,
                Err(message) => {
                    conflicts.push(message);
                    continue;
                }
            };
            judged.push(JudgedFile {
                file,
                reports: hunks.len()..hunks.len() + result.hunks.len(),
                content: result.judged_in,
            });
            hunks.extend(result.hunks);
            text_hunks += result.text_hunks;
            changed |= result.changed;
            if let Some(message) = result.conflict {
                conflicts.push(message);
            }
            staged.extend(result.effects);
            new_files.extend(result.file);
        }
        new_mails.push(Patch {
            header: mail.header.clone(),
            files: new_files,
            trailer: mail.trailer.clone(),
        });
    }
    // Files followed to where upstream moved them are named in every outcome's detail.
    let mut moves: Vec<String> = Vec::new();
    for hunk in &hunks {
        if let Some(to) = &hunk.moved_to {
            let note = format!("`{}` to `{to}`", hunk.file);
            if !moves.contains(&note) {
                moves.push(note);
            }
        }
    }
    let move_note = (!moves.is_empty()).then(|| format!("upstream moved {}", moves.join(", ")));
    let noted = |detail: String| match &move_note {
        Some(note) => format!("{detail}; {note}"),
        None => detail,
    };
    if !conflicts.is_empty() {
        return conflict(noted(conflicts.join("; ")), hunks);
    }
    // A shrunk patch is checked before it is written: a kept hunk must not add back what V
    // already has (a block the patch moves, which upstream moved too).
    let duplicates = duplicated_hunks(&judged, &mut hunks);
    if !duplicates.is_empty() {
        let them = if duplicates.len() == 1 { "it" } else { "them" };
        return conflict(
            noted(format!(
                "{}: keeping {them} while the hunks already upstream go would duplicate that code",
                duplicates.join(", ")
            )),
            hunks,
        );
    }
    files.changed.extend(staged);
    let dropped = hunks.iter().filter(|h| h.fate == HunkFate::Dropped).count();
    if text_hunks > 0 && new_mails.iter().all(|m| m.files.is_empty()) {
        return PatchRefresh {
            file: patch.file.clone(),
            outcome: RefreshOutcome::Expired,
            detail: Some(noted(if dropped == 1 {
                "the hunk is already upstream".into()
            } else {
                format!("all {dropped} hunks are already upstream")
            })),
            hunks,
            bytes: None,
        };
    }
    if !changed {
        return PatchRefresh {
            file: patch.file.clone(),
            outcome: RefreshOutcome::Unchanged,
            detail: None,
            hunks,
            bytes: None,
        };
    }
    // A mail of an mbox whose diffs all went is left out with its header.
    if new_mails.len() > 1 {
        new_mails.retain(|m| !m.files.is_empty());
    }
    let moved = hunks
        .iter()
        .filter(|h| matches!(h.fate, HunkFate::Moved | HunkFate::Recontexted))
        .count();
    let (outcome, detail) = if dropped > 0 {
        (
            RefreshOutcome::Shrunk,
            noted(format!(
                "{dropped} hunk(s) already upstream dropped, {moved} moved"
            )),
        )
    } else if moved == 0
        && let Some(note) = &move_note
    {
        (RefreshOutcome::Refreshed, note.clone())
    } else {
        (
            RefreshOutcome::Refreshed,
            noted(format!("{moved} hunk(s) moved")),
        )
    };
    PatchRefresh {
        file: patch.file.clone(),
        outcome,
        detail: Some(detail),
        hunks,
        bytes: Some(write_patches(&new_mails)),
    }
}

/// One file diff of a patch as refreshed: its hunks' reports (a range of the patch's) and V's
/// content they were placed in (modified files only).
struct JudgedFile<'a> {
    file: &'a FilePatch,
    reports: std::ops::Range<usize>,
    content: Option<Vec<u8>>,
}

/// The kept hunks of a patch that drops others whose added lines V's file already has
/// ([`duplicate`], the `content` detector's rule), each named and its fate turned to
/// `conflict`. Empty unless some hunk is dropped and some kept.
fn duplicated_hunks(judged: &[JudgedFile<'_>], hunks: &mut [HunkRefresh]) -> Vec<String> {
    let kept = |fate: HunkFate| {
        matches!(
            fate,
            HunkFate::Kept | HunkFate::Moved | HunkFate::Recontexted
        )
    };
    if !hunks.iter().any(|h| h.fate == HunkFate::Dropped) || !hunks.iter().any(|h| kept(h.fate)) {
        return Vec::new();
    }
    // Each hunk of a file diff with the index of its report.
    fn pairs<'a>(judged: &JudgedFile<'a>) -> Vec<(&'a Hunk, usize)> {
        judged
            .file
            .hunks
            .iter()
            .zip(judged.reports.clone())
            .collect()
    }
    let moved_out: HashSet<Vec<u8>> = judged
        .iter()
        .flat_map(pairs)
        .filter(|(_, report)| hunks[*report].fate == HunkFate::Dropped)
        .flat_map(|(hunk, _)| removed_content(hunk))
        .collect();
    let mut named = Vec::new();
    for file in judged {
        let Some(content) = &file.content else {
            continue;
        };
        let lines = ContentLines::of(content);
        let in_release_added: Vec<Vec<Vec<u8>>> = pairs(file)
            .into_iter()
            .filter(|(_, report)| hunks[*report].fate == HunkFate::Dropped)
            .map(|(hunk, _)| added_content(hunk))
            .collect();
        for (hunk, report) in pairs(file) {
            if !kept(hunks[report].fate) {
                continue;
            }
            if let Some(found) = duplicate(hunk, &lines, &in_release_added, &moved_out) {
                let report = &mut hunks[report];
                named.push(format!(
                    "hunk #{} of `{}` {}",
                    report.index,
                    report.file,
                    found.describe("the release")
                ));
                report.fate = HunkFate::Conflict;
            }
        }
    }
    named
}

/// Where a hunk goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// Its pre-image is at this 0-based line (with this much fuzz).
    Place {
        position: usize,
        fuzz: usize,
    },
    /// Its post-image is in V.
    Present {
        trivial: bool,
    },
    Conflict,
}

fn refresh_file(
    file: &FilePatch,
    strip: usize,
    files: &Files<'_>,
    staged: &HashMap<Vec<u8>, Entry>,
    fuzz: usize,
    follow_moves: bool,
) -> Result<FileResult, String> {
    let display = file.display_path(strip);
    let verbatim = |effects| FileResult {
        file: Some(file.clone()),
        changed: false,
        hunks: Vec::new(),
        effects,
        conflict: None,
        text_hunks: 0,
        judged_in: None,
    };
    if file.binary.is_some() || file.hunks.is_empty() {
        return Ok(verbatim(Vec::new()));
    }
    let read = |path: &Option<Vec<u8>>| -> Result<Option<Vec<u8>>, String> {
        let Some(path) = path else { return Ok(None) };
        match files.read(staged, path) {
            Ok(Entry::File(content)) => Ok(Some(content)),
            Ok(Entry::Missing) => Ok(None),
            Err(message) => Err(format!("cannot read `{display}`: {message}")),
        }
    };
    let all = |fate: HunkFate| fates(file, &display, fate);
    let old_path = file.old_target(strip);
    let new_path = file.new_target(strip);
    if file.is_new {
        let content: Vec<u8> = file
            .hunks
            .iter()
            .flat_map(|h| h.new_lines().flatten().copied())
            .collect();
        let (fate, keep, conflict) = match read(&new_path)? {
            None => (HunkFate::Kept, true, None),
            Some(existing) if existing == content => (HunkFate::Dropped, false, None),
            Some(_) => (
                HunkFate::Conflict,
                true,
                Some(format!("`{display}` already exists with other content")),
            ),
        };
        return Ok(FileResult {
            file: keep.then(|| file.clone()),
            changed: !keep,
            hunks: all(fate),
            effects: new_path
                .filter(|_| keep)
                .map(|p| (p, Entry::File(content)))
                .into_iter()
                .collect(),
            conflict,
            text_hunks: file.hunks.len(),
            judged_in: None,
        });
    }
    if file.is_delete {
        let content: Vec<u8> = file
            .hunks
            .iter()
            .flat_map(|h| h.old_lines().flatten().copied())
            .collect();
        let (fate, keep, conflict) = match read(&old_path)? {
            None => (HunkFate::Dropped, false, None),
            Some(existing) if existing == content => (HunkFate::Kept, true, None),
            Some(_) => (
                HunkFate::Conflict,
                true,
                Some(format!(
                    "`{display}` has other content than the patch deletes"
                )),
            ),
        };
        return Ok(FileResult {
            file: keep.then(|| file.clone()),
            changed: !keep,
            hunks: all(fate),
            effects: old_path
                .filter(|_| keep)
                .map(|p| (p, Entry::Missing))
                .into_iter()
                .collect(),
            conflict,
            text_hunks: file.hunks.len(),
            judged_in: None,
        });
    }
    match read(&old_path)? {
        Some(content) => refresh_modified(file, strip, &content, fuzz, false),
        None if !follow_moves => Err(format!(
            "`{display}` is not in the release, and a patch of a folder does not follow a \
             file upstream moved: rebase it by hand"
        )),
        None => moved::follow_move(file, strip, files, staged, fuzz),
    }
}

/// Every hunk of `file` with the same fate.
fn fates(file: &FilePatch, display: &str, fate: HunkFate) -> Vec<HunkRefresh> {
    file.hunks
        .iter()
        .enumerate()
        .map(|(index, hunk)| HunkRefresh {
            file: display.to_string(),
            index: index + 1,
            fate,
            from: hunk.old_start,
            to: None,
            moved_to: None,
        })
        .collect()
}

/// The hunks of a modified file placed in `content`, V's file at the diff's path as the
/// earlier file diffs leave it. `moved`: the diff was relocated to where upstream moved the
/// file, so it is rewritten even when every hunk keeps its lines.
fn refresh_modified(
    file: &FilePatch,
    strip: usize,
    content: &[u8],
    fuzz: usize,
    moved: bool,
) -> Result<FileResult, String> {
    let display = file.display_path(strip);
    let old_path = file.old_target(strip);
    let new_path = file.new_target(strip);
    let lines: Vec<&[u8]> = content.split_inclusive(|&b| b == b'\n').collect();
    let plans = place_hunks(&file.hunks, &lines, fuzz);
    let proven = plans.contains(&Plan::Present { trivial: false });
    let mut reports = Vec::with_capacity(plans.len());
    let mut new_hunks = Vec::new();
    let mut conflicts = Vec::new();
    let mut changed = moved;
    let mut delta: isize = 0;
    for (index, (hunk, plan)) in file.hunks.iter().zip(&plans).enumerate() {
        let mut report = HunkRefresh {
            file: display.clone(),
            index: index + 1,
            fate: HunkFate::Conflict,
            from: hunk.old_start,
            to: None,
            moved_to: None,
        };
        match *plan {
            Plan::Present { trivial } if !trivial || proven => {
                report.fate = HunkFate::Dropped;
                changed = true;
            }
            Plan::Present { .. } | Plan::Conflict => {
                conflicts.push(format!("hunk #{} of `{display}`", index + 1));
            }
            Plan::Place { position, fuzz } => {
                let body = if fuzz > 0 {
                    context_from(hunk, &lines, position)
                } else {
                    hunk.lines.clone()
                };
                let old_count = body.iter().filter(|l| l.kind != LineKind::Add).count();
                let new_count = body.iter().filter(|l| l.kind != LineKind::Remove).count();
                let old_begin = position;
                let new_begin = (position as isize + delta).max(0) as usize;
                let old_start = if old_count == 0 {
                    old_begin
                } else {
                    old_begin + 1
                };
                let new_start = if new_count == 0 {
                    new_begin
                } else {
                    new_begin + 1
                };
                delta += new_count as isize - old_count as isize;
                report.to = Some(old_start);
                let same = fuzz == 0
                    && old_start == hunk.old_start
                    && new_start == hunk.new_start
                    && old_count == hunk.old_count
                    && new_count == hunk.new_count;
                if same {
                    report.fate = HunkFate::Kept;
                    new_hunks.push(hunk.clone());
                } else {
                    report.fate = if fuzz > 0 {
                        HunkFate::Recontexted
                    } else {
                        HunkFate::Moved
                    };
                    changed = true;
                    new_hunks.push(Hunk {
                        old_start,
                        old_count,
                        new_start,
                        new_count,
                        header_line: header_line(hunk, old_start, old_count, new_start, new_count),
                        lines: body,
                        missing_context: 0,
                    });
                }
            }
        }
        reports.push(report);
    }
    if !conflicts.is_empty() {
        return Ok(FileResult {
            file: Some(file.clone()),
            changed: false,
            hunks: reports,
            effects: Vec::new(),
            conflict: Some(format!(
                "{} neither applies nor is upstream",
                conflicts.join(", ")
            )),
            text_hunks: file.hunks.len(),
            judged_in: None,
        });
    }
    // The rewritten hunks must apply to V exactly where they say.
    let Some((result, placements)) = apply_hunks(&new_hunks, content, 0) else {
        return Err(format!("the refreshed hunks of `{display}` do not apply"));
    };
    if placements.iter().any(|p| p.offset != 0 || p.fuzz != 0) {
        return Err(format!(
            "the refreshed hunks of `{display}` do not apply at their lines"
        ));
    }
    let mut effects = Vec::new();
    if let (Some(old), Some(new)) = (&old_path, &new_path)
        && old != new
        && file.copy.is_none()
    {
        effects.push((old.clone(), Entry::Missing));
    }
    if let Some(new) = new_path.or(old_path) {
        effects.push((new, Entry::File(result.clone())));
    }
    let renames = file.rename.is_some() || file.copy.is_some();
    let new_file = if new_hunks.is_empty() && !renames && file.old_mode == file.new_mode {
        None
    } else if changed {
        let mut rewritten = file.clone();
        rewritten.hunks = new_hunks;
        if rewritten.hunks.is_empty() {
            rewritten.old_line = None;
            rewritten.new_line = None;
        }
        update_index(&mut rewritten, content, &result);
        Some(rewritten)
    } else {
        Some(file.clone())
    };
    Ok(FileResult {
        file: new_file,
        changed,
        hunks: reports,
        effects,
        conflict: None,
        text_hunks: file.hunks.len(),
        judged_in: Some(content.to_vec()),
    })
}

/// Place every hunk of one file in order over `lines` (V's content).
fn place_hunks(hunks: &[Hunk], lines: &[&[u8]], fuzz: usize) -> Vec<Plan> {
    let mut plans = Vec::with_capacity(hunks.len());
    let mut shift: isize = 0;
    let mut min_start = 0usize;
    for hunk in hunks {
        let old: Vec<&[u8]> = hunk.old_lines().collect();
        let new: Vec<&[u8]> = hunk.new_lines().collect();
        let (before, after) = hunk.context_lengths();
        let base = header_position(hunk.old_start, hunk.old_count);
        let expected = (base + shift).max(0) as usize;
        let usable = |found: Option<(usize, usize)>| found.filter(|(p, _)| *p >= min_start);
        let pre = usable(locate(&old, lines, expected, before, after, 0));
        let post = if new == old {
            None
        } else {
            usable(locate(&new, lines, expected, before, after, 0))
        };
        let trivial = hunk.is_trivial();
        let distance = |p: usize| p.abs_diff(expected);
        let plan = match (pre, post) {
            (Some((p, _)), _) if p == expected => Plan::Place {
                position: p,
                fuzz: 0,
            },
            (pre, Some((q, _)))
                if !trivial && pre.is_none_or(|(p, _)| distance(q) <= distance(p)) =>
            {
                Plan::Present { trivial }
            }
            (Some((p, _)), _) => Plan::Place {
                position: p,
                fuzz: 0,
            },
            (None, post) => match usable(locate(&old, lines, expected, before, after, fuzz))
                .filter(|_| fuzz > 0)
            {
                Some((p, used)) => Plan::Place {
                    position: p,
                    fuzz: used,
                },
                None if post.is_some() => Plan::Present { trivial },
                None => Plan::Conflict,
            },
        };
        if let Plan::Place { position, .. } = plan {
            shift = position as isize - base;
            min_start = position + old.len();
        }
        plans.push(plan);
    }
    plans
}

/// The 0-based line a hunk header names for its pre-image (`-5,0` inserts after line 5).
fn header_position(start: usize, count: usize) -> isize {
    if count == 0 {
        start as isize
    } else {
        start as isize - 1
    }
}

#[cfg(test)]
mod tests;

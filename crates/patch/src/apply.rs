//! The applier: puts parsed patches into a source tree, all-or-nothing per patch.
//!
//! Flow: `parse_patches` → `WorkTree::apply` for each patch of a series → `WorkTree::write`
//! once at the end. Each file diff is planned against the tree as the earlier patches left it
//! (in memory, see `tree`), its hunks placed by `place` (exact, then nearest offset, fuzz only
//! when asked), and the result staged; only when every file of the patch applied does the
//! stage become part of the tree. Before it does, a patch that creates, changes or removes a
//! symbolic link has every link of the tree resolved through the others (`links`): none may
//! lead out of the tree. Written by hand: no crate places hunks with per-hunk evidence, guards
//! against applying twice and enforces the path rules of DESIGN.md §4.

mod links;
mod place;
mod refusal;
mod tree;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use place::locate;
pub use refusal::Refusal;

use crate::budget::{self, BudgetError, Reservation};
use crate::model::{BinaryKind, FilePatch, Hunk, LineKind, Patch};
use place::{Miss, Spot};
use refusal::{check_link_target, checked, refuse_gitmodules_link};
use tree::{EXECUTABLE, FileState, LineEnds, REGULAR, SYMLINK, Slot, Stage, Tree};

/// How to apply: `-p` level, allowed fuzz, direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyOptions {
    /// Leading path components to strip (`-p`); git's `a/` and `b/` need 1.
    pub strip: usize,
    /// Context lines a hunk may ignore at each end (`--fuzz`); 0 means exact context.
    pub fuzz: usize,
    /// Apply the patch backwards (`-R`).
    pub reverse: bool,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            strip: 1,
            fuzz: 0,
            reverse: false,
        }
    }
}

/// A source tree with a write-back cache: changed files stay in memory across a whole series
/// and each is written once by `write`. `apply` is all-or-nothing per patch (stage, then
/// commit to the cache).
#[derive(Debug)]
pub struct WorkTree {
    tree: Tree,
}

/// What one patch did, file by file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedPatch {
    pub files: Vec<AppliedFile>,
}

/// What one file diff did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedFile {
    /// The file's path in the tree (the new path of a rename).
    pub path: String,
    pub change: FileChange,
    /// Where each text hunk landed.
    pub hunks: Vec<Placement>,
}

/// The kind of change made to a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileChange {
    Modified,
    Created,
    Deleted,
    Renamed {
        from: String,
    },
    Copied {
        from: String,
    },
    /// Only the mode changed.
    ModeChanged,
}

/// Where a hunk landed: 1-based hunk index, 1-based line in the file as it was when the hunk
/// was placed, offset from the line the hunk header named, fuzz lines ignored (0 unless
/// `--fuzz`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    pub index: usize,
    pub line: usize,
    pub offset: isize,
    pub fuzz: usize,
}

/// What `WorkTree::write` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriteSummary {
    /// Files (and symlinks) written.
    pub written: usize,
    /// Files removed.
    pub deleted: usize,
}

/// The lines of the tree that best match a hunk that did not apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosestMatch {
    /// 1-based line where the best match starts.
    pub line: usize,
    /// The tree's lines there, as many as the hunk expects.
    pub text: String,
    /// How many of those lines equal the hunk's.
    pub matching_lines: usize,
}

/// Why a patch did not apply. Paths are relative to the tree, as the patch names them.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("hunk #{hunk} of `{file}` does not apply at line {line}")]
    HunkFailed {
        file: String,
        hunk: usize,
        line: usize,
        hunk_text: String,
        closest: Option<ClosestMatch>,
    },
    /// Every hunk's post-image is already in the tree (and the pre-image is not): the patch is
    /// already applied.
    #[error("the change to `{file}` is already in the tree (patch already applied)")]
    AlreadyApplied { file: String },
    #[error("refusing the unsafe path `{path}`")]
    Unsafe {
        path: String,
        #[source]
        reason: Refusal,
    },
    #[error("`{path}` does not exist")]
    MissingFile { path: String },
    #[error("`{path}` already exists")]
    FileExists { path: String },
    #[error("cannot apply the binary patch of `{file}`: {message}")]
    Binary { file: String, message: String },
    /// The file diff does not fit the tree in a way no hunk names (a deletion that would
    /// leave content, a path whose folder is a file, misordered hunks).
    #[error("`{file}`: {message}")]
    Mismatch { file: String, message: String },
    #[error("cannot access `{}`", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl WorkTree {
    /// A tree rooted at `root` (an existing folder); nothing is read until a patch needs it.
    pub fn open(root: &Path) -> Result<WorkTree, ApplyError> {
        Ok(WorkTree {
            tree: Tree::open(root)?,
        })
    }

    /// Read every file `patches` name into memory now, in parallel, instead of one by one as
    /// the patches reach them. Changes no result: the disk is not written before `write`, and
    /// a path that cannot be read here is read (and its error reported) by the patch.
    pub fn prefetch<'a>(
        &mut self,
        patches: impl IntoIterator<Item = &'a Patch>,
        options: &ApplyOptions,
    ) {
        let mut paths = Vec::new();
        for file in patches.into_iter().flat_map(|patch| &patch.files) {
            let targets = [
                file.old_target(options.strip),
                file.new_target(options.strip),
            ];
            paths.extend(
                targets
                    .into_iter()
                    .flatten()
                    .filter_map(|path| checked(&path).ok()),
            );
        }
        self.tree.prefetch(paths);
    }

    /// Apply one patch in memory: every file or none.
    pub fn apply(
        &mut self,
        patch: &Patch,
        options: &ApplyOptions,
    ) -> Result<AppliedPatch, ApplyError> {
        self.run(patch, options, true)
    }

    /// Same checks as apply, changes nothing (for --dry-run).
    pub fn check(
        &mut self,
        patch: &Patch,
        options: &ApplyOptions,
    ) -> Result<AppliedPatch, ApplyError> {
        self.run(patch, options, false)
    }

    /// Delete the files of `applied` that it left empty, as GNU patch's `-E` does (dpkg-source
    /// and quilt pass it); the paths deleted.
    pub fn remove_emptied(&mut self, applied: &AppliedPatch) -> Vec<String> {
        applied
            .files
            .iter()
            .filter(|file| file.change != FileChange::Deleted)
            .filter(|file| self.tree.remove_if_empty(Path::new(&file.path)))
            .map(|file| file.path.clone())
            .collect()
    }

    /// Write every changed file (and deletions, renames, modes) to disk once.
    pub fn write(self) -> Result<WriteSummary, ApplyError> {
        self.tree.write()
    }

    fn run(
        &mut self,
        patch: &Patch,
        options: &ApplyOptions,
        commit: bool,
    ) -> Result<AppliedPatch, ApplyError> {
        let reversed;
        let patch = if options.reverse {
            reversed = patch.reversed();
            &reversed
        } else {
            patch
        };
        let mut stage = Stage::default();
        let mut outcomes = Vec::with_capacity(patch.files.len());
        for file in &patch.files {
            let mut planner = Planner {
                tree: &mut self.tree,
                stage: &mut stage,
                file,
                options,
                display: file.display_path(options.strip),
                already: false,
            };
            let result = planner.plan();
            let already = planner.already;
            let display = planner.display;
            // Unsafe paths and I/O errors are never excused by "already applied".
            if let Err(error @ (ApplyError::Unsafe { .. } | ApplyError::Io { .. })) = result {
                return Err(error);
            }
            outcomes.push((display, result, already));
        }
        if !outcomes.is_empty() && outcomes.iter().all(|(_, _, already)| *already) {
            return Err(ApplyError::AlreadyApplied {
                file: outcomes.swap_remove(0).0,
            });
        }
        let mut files = Vec::with_capacity(outcomes.len());
        for (_, result, _) in outcomes {
            files.push(result?);
        }
        self.tree.check_links(&stage)?;
        if commit {
            self.tree.commit(stage);
        }
        Ok(AppliedPatch { files })
    }
}

/// What a file diff does to the tree, once its paths are known.
enum Action {
    Create(PathBuf),
    Delete(PathBuf),
    Modify {
        from: PathBuf,
        to: PathBuf,
        rename: bool,
        copy: bool,
    },
}

/// Plans one file diff against the tree and stages its result.
struct Planner<'a> {
    tree: &'a mut Tree,
    stage: &'a mut Stage,
    file: &'a FilePatch,
    options: &'a ApplyOptions,
    display: String,
    /// The file already looks like the patch's result.
    already: bool,
}

impl Planner<'_> {
    fn plan(&mut self) -> Result<AppliedFile, ApplyError> {
        match self.action()? {
            Action::Create(path) => self.create(path),
            Action::Delete(path) => self.delete(path),
            Action::Modify {
                from,
                to,
                rename,
                copy,
            } => self.modify(from, to, rename, copy),
        }
    }

    fn action(&mut self) -> Result<Action, ApplyError> {
        let strip = self.options.strip;
        let file = self.file;
        let old = file.old_target(strip).map(|p| checked(&p)).transpose()?;
        let new = file.new_target(strip).map(|p| checked(&p)).transpose()?;
        let missing = || ApplyError::MissingFile {
            path: self.display.clone(),
        };
        if file.is_new {
            return new.or(old).map(Action::Create).ok_or_else(missing);
        }
        if file.is_delete {
            return old.or(new).map(Action::Delete).ok_or_else(missing);
        }
        if file.git {
            let to = new.clone().or_else(|| old.clone()).ok_or_else(missing)?;
            let from = old.unwrap_or_else(|| to.clone());
            return Ok(Action::Modify {
                rename: file.rename.is_some() && from != to,
                copy: file.copy.is_some() && from != to,
                from,
                to,
            });
        }
        // A plain diff names the file twice (`--- x.orig`, `+++ x`): GNU patch takes the
        // existing one with the fewest components, then the shortest base name and name.
        let mut candidates: Vec<PathBuf> = old.into_iter().chain(new).collect();
        candidates.dedup();
        let mut existing = Vec::new();
        for candidate in &candidates {
            self.tree.check_path(self.stage, candidate, false)?;
            if matches!(
                self.tree.lookup(self.stage, candidate)?,
                Slot::File(_) | Slot::Directory | Slot::Special
            ) {
                existing.push(candidate.clone());
            }
        }
        let rank = |p: &PathBuf| {
            let base = p.file_name().map_or(0, |n| n.len());
            (p.components().count(), base, p.as_os_str().len())
        };
        if let Some(best) = existing.iter().min_by_key(|p| rank(p)) {
            return Ok(Action::Modify {
                from: best.clone(),
                to: best.clone(),
                rename: false,
                copy: false,
            });
        }
        let target = candidates.last().cloned().ok_or_else(missing)?;
        if !file.hunks.is_empty() && file.hunks.iter().all(|h| h.old_count == 0) {
            // `@@ -0,0 +1,n @@` on a file that is not there: GNU patch creates it.
            return Ok(Action::Create(target));
        }
        Err(ApplyError::MissingFile {
            path: target.display().to_string(),
        })
    }

    /// The file diff speaks of a symlink (mode 120000 on either side).
    fn is_link_patch(&self) -> bool {
        let link = |mode: Option<u32>| mode.is_some_and(|m| m & 0o170000 == SYMLINK);
        link(self.file.old_mode)
            || link(self.file.new_mode)
            || self.file.preamble.iter().any(|line| {
                line.starts_with(b"index ") && line.trim_ascii_end().ends_with(b" 120000")
            })
    }

    fn create(&mut self, path: PathBuf) -> Result<AppliedFile, ApplyError> {
        let link_ok = self.is_link_patch();
        self.tree.check_path(self.stage, &path, link_ok)?;
        let slot = self.tree.lookup(self.stage, &path)?;
        let empty = FileState {
            content: Arc::new(Vec::new()),
            mode: REGULAR,
            permissions: None,
            line_ends: LineEnds::default(),
            reservation: None,
        };
        let existing = match slot {
            Slot::Missing => None,
            Slot::File(state) if !self.file.git && state.content.is_empty() => Some(state),
            Slot::File(state) => {
                let produced = self.new_content(&empty)?;
                let mode = self.file.new_mode.map(git_mode).unwrap_or(REGULAR);
                self.already = state.content == produced.content && (state.mode == mode);
                return Err(ApplyError::FileExists {
                    path: path.display().to_string(),
                });
            }
            Slot::Directory | Slot::Special => {
                return Err(ApplyError::FileExists {
                    path: path.display().to_string(),
                });
            }
        };
        let base = existing.clone().unwrap_or(empty);
        let produced = self.new_content(&base)?;
        let mode = self.file.new_mode.map(git_mode).unwrap_or(base.mode);
        if mode == SYMLINK {
            check_link_target(&path, &produced.content)?;
        }
        let permissions = if mode == base.mode {
            base.permissions
        } else {
            None
        };
        let shown = path.display().to_string();
        let hunks = produced.stage(self.stage, path, mode, permissions);
        Ok(AppliedFile {
            path: shown,
            change: if existing.is_some() {
                FileChange::Modified
            } else {
                FileChange::Created
            },
            hunks,
        })
    }

    fn delete(&mut self, path: PathBuf) -> Result<AppliedFile, ApplyError> {
        let link_ok = self.is_link_patch();
        self.tree.check_path(self.stage, &path, link_ok)?;
        let state = match self.tree.lookup(self.stage, &path)? {
            Slot::File(state) => state,
            Slot::Missing => {
                self.already = true;
                return Err(ApplyError::MissingFile {
                    path: path.display().to_string(),
                });
            }
            Slot::Directory | Slot::Special => {
                return Err(ApplyError::Mismatch {
                    file: self.display.clone(),
                    message: "it is not a file".to_string(),
                });
            }
        };
        let hunks = if self.file.binary.is_some() {
            // A binary deletion is taken as it is: git verifies nothing else either.
            Vec::new()
        } else {
            let Produced { content, hunks, .. } = self.new_content(&state)?;
            if !content.is_empty() {
                return Err(ApplyError::Mismatch {
                    file: self.display.clone(),
                    message: "the deletion does not remove all of its content".to_string(),
                });
            }
            hunks
        };
        let shown = path.display().to_string();
        self.stage.set(path, Slot::Missing);
        Ok(AppliedFile {
            path: shown,
            change: FileChange::Deleted,
            hunks,
        })
    }

    fn modify(
        &mut self,
        from: PathBuf,
        to: PathBuf,
        rename: bool,
        copy: bool,
    ) -> Result<AppliedFile, ApplyError> {
        let link_ok = self.is_link_patch();
        self.tree.check_path(self.stage, &from, link_ok)?;
        if to != from {
            self.tree.check_path(self.stage, &to, link_ok)?;
        }
        let source = match self.tree.lookup(self.stage, &from)? {
            Slot::File(state) => state,
            Slot::Missing => {
                if rename {
                    // Renamed already? Then the new path holds the patch's result.
                    if let Slot::File(state) = self.tree.lookup(self.stage, &to)? {
                        self.already = self.looks_applied(&state);
                    }
                }
                return Err(ApplyError::MissingFile {
                    path: from.display().to_string(),
                });
            }
            Slot::Directory | Slot::Special => {
                return Err(ApplyError::Mismatch {
                    file: self.display.clone(),
                    message: "it is not a file".to_string(),
                });
            }
        };
        if to != from {
            if let Slot::File(state) = self.tree.lookup(self.stage, &to)? {
                self.already = copy && self.looks_applied(&state);
                return Err(ApplyError::FileExists {
                    path: to.display().to_string(),
                });
            } else if self.tree.lookup(self.stage, &to)? != Slot::Missing {
                return Err(ApplyError::FileExists {
                    path: to.display().to_string(),
                });
            }
        }
        let produced = self.new_content(&source)?;
        let mode = self.file.new_mode.map(git_mode).unwrap_or(source.mode);
        if mode == SYMLINK {
            if mode != source.mode || source.content != produced.content {
                check_link_target(&to, &produced.content)?;
            } else {
                // The same link under a new name: that name is checked as a link.
                refuse_gitmodules_link(&to)?;
            }
        }
        let changes_nothing = self.file.hunks.is_empty() && self.file.binary.is_none();
        if changes_nothing && !rename && !copy {
            self.already = mode == source.mode;
        }
        let change = if rename {
            FileChange::Renamed {
                from: from.display().to_string(),
            }
        } else if copy {
            FileChange::Copied {
                from: from.display().to_string(),
            }
        } else if changes_nothing && mode != source.mode {
            FileChange::ModeChanged
        } else {
            FileChange::Modified
        };
        let permissions = if mode == source.mode {
            source.permissions
        } else {
            None
        };
        if rename {
            self.stage.set(from, Slot::Missing);
        }
        let shown = to.display().to_string();
        let hunks = produced.stage(self.stage, to, mode, permissions);
        Ok(AppliedFile {
            path: shown,
            change,
            hunks,
        })
    }

    /// Whether `state` already holds what the patch would produce (text: every hunk's
    /// post-image present and its pre-image absent; binary: the literal content).
    fn looks_applied(&self, state: &FileState) -> bool {
        if let Some(binary) = &self.file.binary {
            return binary.forward.as_ref().is_some_and(|forward| {
                forward.kind == BinaryKind::Literal && *forward.data == **state.content
            });
        }
        let lines = state.lines();
        self.file.hunks.is_empty() || reverse_present(&self.file.hunks, &lines, false)
    }

    /// The content the file diff produces from `base`, and where its hunks landed.
    /// The line ends of the result come along when a splice found them.
    fn new_content(&mut self, base: &FileState) -> Result<Produced, ApplyError> {
        if let Some(binary) = &self.file.binary {
            let Some(forward) = &binary.forward else {
                return Err(ApplyError::Binary {
                    file: self.display.clone(),
                    message: "the patch has no binary payload (`Binary files … differ`)"
                        .to_string(),
                });
            };
            let binary_error = |message: String| ApplyError::Binary {
                file: self.display.clone(),
                message,
            };
            let produced = match forward.kind {
                // The file shares the payload's bytes and the budget they were reserved from.
                BinaryKind::Literal => Produced {
                    content: forward.data.shared(),
                    line_ends: LineEnds::default(),
                    hunks: Vec::new(),
                    reservation: Some(forward.data.reservation().clone()),
                },
                BinaryKind::Delta => {
                    let (content, reservation) =
                        delta(&base.content, &forward.data).map_err(binary_error)?;
                    Produced {
                        content: Arc::new(content),
                        line_ends: LineEnds::default(),
                        hunks: Vec::new(),
                        reservation: Some(reservation),
                    }
                }
            };
            self.already = base.content == produced.content;
            return Ok(produced);
        }
        if self.file.hunks.is_empty() {
            return Ok(Produced {
                content: Arc::clone(&base.content),
                line_ends: base.line_ends.clone(),
                hunks: Vec::new(),
                reservation: base.reservation.clone(),
            });
        }
        let hunks = &self.file.hunks;
        let lines = base.lines();
        match place::place_hunks(hunks, &lines, self.options.fuzz, true) {
            Ok(spots) => {
                // Both images fit: applied already only if every hunk only adds and every
                // post-image sits exactly where the header says.
                self.already = hunks
                    .iter()
                    .all(|h| h.lines.iter().all(|l| l.kind != LineKind::Remove))
                    && reverse_present(hunks, &lines, true);
                let (content, ends) = place::splice_with_ends(&lines, hunks, &spots);
                let placements = spots
                    .iter()
                    .enumerate()
                    .map(|(index, spot)| placement(index, spot))
                    .collect();
                Ok(Produced {
                    content: Arc::new(content),
                    line_ends: LineEnds::known(ends),
                    hunks: placements,
                    reservation: None,
                })
            }
            Err(miss) => {
                self.already = reverse_present(hunks, &lines, false);
                Err(hunk_failed(&self.display, hunks, &miss, &lines))
            }
        }
    }
}

/// What a file diff makes of a file: the content (shared with the payload of a binary literal,
/// or with the old file when nothing changes), its line ends when known, where the hunks
/// landed, and the budget reservation that pays for bytes inflated from a binary payload.
struct Produced {
    content: Arc<Vec<u8>>,
    line_ends: LineEnds,
    hunks: Vec<Placement>,
    reservation: Option<Reservation>,
}

impl Produced {
    /// Stage the content at `path` with `mode`; the placements are returned for the report.
    fn stage(
        self,
        stage: &mut Stage,
        path: PathBuf,
        mode: u32,
        permissions: Option<u32>,
    ) -> Vec<Placement> {
        stage.set(
            path,
            Slot::File(FileState {
                content: self.content,
                mode,
                permissions,
                line_ends: self.line_ends,
                reservation: self.reservation,
            }),
        );
        self.hunks
    }
}

/// Apply text hunks to one file's content in memory (exact, then offsets, then up to `fuzz`
/// context lines ignored; no double-apply guard): for refresh and the content detector.
/// `None` when a hunk finds no place.
pub fn apply_hunks(
    hunks: &[Hunk],
    content: &[u8],
    fuzz: usize,
) -> Option<(Vec<u8>, Vec<Placement>)> {
    let lines = place::split_lines(content);
    let spots = place::place_hunks(hunks, &lines, fuzz, false).ok()?;
    let placements = spots
        .iter()
        .enumerate()
        .map(|(index, spot)| placement(index, spot))
        .collect();
    Some((place::splice(&lines, hunks, &spots), placements))
}

/// Git's mode for a mode from a patch: symlink, executable or regular (never setuid/setgid).
fn git_mode(mode: u32) -> u32 {
    if mode & 0o170000 == SYMLINK {
        SYMLINK
    } else if mode & 0o111 != 0 {
        EXECUTABLE
    } else {
        REGULAR
    }
}

/// Apply a git delta (the binary module owns the format), its declared result reserved from
/// the binary payload budget before it is built.
fn delta(base: &[u8], delta: &[u8]) -> Result<(Vec<u8>, Reservation), String> {
    use crate::binary::{BinaryError, apply_delta, delta_target_size};
    let size = delta_target_size(delta).map_err(|error| error.to_string())?;
    let reservation = budget::global()
        .reserve(size)
        .map_err(|error: BudgetError| BinaryError::from(error).to_string())?;
    let content = apply_delta(base, delta).map_err(|error| error.to_string())?;
    Ok((content, reservation))
}

fn placement(index: usize, spot: &Spot) -> Placement {
    Placement {
        index: index + 1,
        line: spot.position + 1,
        offset: spot.offset,
        fuzz: spot.fuzz,
    }
}

/// Whether every hunk's post-image is in `lines` (at the header's place when `exact_only`)
/// while its pre-image is not there. A hunk that only removes lines, or whose changed lines
/// carry no content, proves nothing by its post-image: its pre-image must be nowhere.
fn reverse_present(hunks: &[Hunk], lines: &[&[u8]], exact_only: bool) -> bool {
    let meaningful = hunks.iter().any(|h| !h.is_trivial());
    if !meaningful {
        return false;
    }
    let reversed: Vec<Hunk> = hunks.iter().map(Hunk::reversed).collect();
    let Ok(spots) = place::place_hunks(&reversed, lines, 0, false) else {
        return false;
    };
    hunks.iter().zip(&spots).all(|(hunk, spot)| {
        if exact_only && spot.offset != 0 {
            return false;
        }
        let has_removals = hunk.lines.iter().any(|l| l.kind == LineKind::Remove);
        if !has_removals {
            return true;
        }
        let old: Vec<&[u8]> = hunk.old_lines().collect();
        if place::matches_at(&old, lines, spot.position, 0, 0) {
            return false;
        }
        hunk.adds_content() || !(0..lines.len()).any(|at| place::matches_at(&old, lines, at, 0, 0))
    })
}

/// The error for a hunk that found no place, with the closest match in the file.
fn hunk_failed(file: &str, hunks: &[Hunk], miss: &Miss, lines: &[&[u8]]) -> ApplyError {
    let hunk = &hunks[miss.index];
    let old: Vec<&[u8]> = hunk.old_lines().collect();
    let closest = place::closest(&old, lines, miss.expected).map(|(position, count)| {
        let end = (position + old.len()).min(lines.len());
        ClosestMatch {
            line: position + 1,
            text: String::from_utf8_lossy(&lines[position..end].concat()).into_owned(),
            matching_lines: count,
        }
    });
    ApplyError::HunkFailed {
        file: file.to_string(),
        hunk: miss.index + 1,
        line: miss.expected + 1,
        hunk_text: render_hunk(hunk),
        closest,
    }
}

/// A hunk as unified-diff text, for error messages.
fn render_hunk(hunk: &Hunk) -> String {
    let mut out = Vec::new();
    if hunk.header_line.is_empty() {
        out.extend_from_slice(
            format!(
                "@@ -{},{} +{},{} @@\n",
                hunk.old_start, hunk.old_count, hunk.new_start, hunk.new_count
            )
            .as_bytes(),
        );
    } else {
        out.extend_from_slice(&hunk.header_line);
        if !hunk.header_line.ends_with(b"\n") {
            out.push(b'\n');
        }
    }
    for line in &hunk.lines {
        out.push(match line.kind {
            LineKind::Context => b' ',
            LineKind::Remove => b'-',
            LineKind::Add => b'+',
        });
        out.extend_from_slice(&line.text);
        if !line.text.ends_with(b"\n") {
            out.extend_from_slice(b"\n\\ No newline at end of file\n");
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests;

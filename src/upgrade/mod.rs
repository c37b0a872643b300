//! Upgrade: move a package to a release and carry its whole series over (DESIGN.md §5,
//! `docs/upgrade.md`).
//!
//! Flow: `check` judges every patch against R first; then the series is walked in order over
//! two trees kept in memory — base, the pinned release with the earlier patches applied as
//! written, and theirs, R with the earlier patches as carried. Each patch is
//! - dropped when `check` proves it expired (its evidence goes to the `expired:` trail);
//! - kept, or refreshed with new line numbers, when the refresh places it on theirs with zero
//!   fuzz (`refresh::SeriesTree`);
//! - otherwise merged three ways (`carry`): a clean merge is written back as a refreshed patch,
//!   a merge that leaves theirs unchanged expires the patch (`merged-empty`);
//! - a real conflict stops the run: the work tree (R with every carried patch applied and the
//!   conflicting files holding diff3 markers) and the state are saved under
//!   `.mindelta/upgrade/<package>/`, and `--continue` (the patch rewritten from the files as the
//!   user left them, like `quilt refresh`), `--skip` (dropped with a reason) or `--abort` (the
//!   state removed) go on from there. With `no_stop`, a conflicting patch is left untouched in
//!   the series and reported instead.
//!
//! Nothing in the package changes until the walk reaches the end: then the patch files, the
//! removals, the `expired:` records, the version and the pins (checksum from the real
//! download) are one journaled change set. The state folder is the only thing written before;
//! its `state.json` is written atomically and last, so a killed run leaves either no stop or a
//! whole one. The run holds a lock beside the state, so a second run of the same package waits
//! for nothing: it is refused.

pub mod carry;
mod state;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use carry::{ConflictFile, Labels, Merge};
pub use state::{Outcome, Step, UpgradeState, state_dir};

use crate::expiry::detector::dependency_superseded::DependencyShrink;
use crate::expiry::{CheckError, CheckOptions, Verdict, check_package_with_tree};
use crate::patch::Patch;
use crate::patch::diff::diff_files;
use crate::patch::merge::conflict_marker;
use crate::patch::rewrite::update_index;
use crate::patch::write::write_patches;
use crate::refresh::{self, RefreshError, RefreshOptions, RefreshOutcome, SeriesPatch, SeriesTree};
use crate::upstream::release_tree::Entry;
use crate::upstream::{FetchError, FetchOptions, Fetcher, SourceSpec};
use crate::workspace::edit::{ChangeSet, EditError, ManifestEdit};
use crate::workspace::{ExpiredEntry, Package, Workspace, confined};

/// Choices for one upgrade run.
#[derive(Debug, Clone, Default)]
pub struct UpgradeOptions {
    pub check: CheckOptions,
    /// Carry what can be carried, leave conflicting patches untouched, never stop.
    pub no_stop: bool,
    /// The date recorded in `expired:` entries (`YYYY-MM-DD`).
    pub date: String,
}

/// What to do with a stopped upgrade.
#[derive(Debug, Clone)]
pub enum Resume {
    /// Take the stopped patch as the user resolved it in the work tree.
    Continue,
    /// Drop the stopped patch, recorded with this reason.
    Skip { reason: String },
}

/// Why an upgrade could not run or go on. Nothing in the package was changed.
#[derive(Debug, thiserror::Error)]
pub enum UpgradeError {
    #[error(transparent)]
    Check(#[from] CheckError),
    #[error(transparent)]
    Refresh(#[from] RefreshError),
    #[error(
        "`{package}` has an unfinished upgrade to {release} (stopped at `{patch}`): run `mindelta upgrade {package} --continue` after resolving it, `--skip` to drop that patch, or `--abort` to give it up"
    )]
    Unfinished {
        package: String,
        release: String,
        patch: String,
    },
    #[error(
        "`{package}` has no unfinished upgrade: start one with `mindelta upgrade {package} --release V`"
    )]
    NotStarted { package: String },
    #[error("another `mindelta upgrade {package}` is running (`{}` is locked)", lock.display())]
    Busy { package: String, lock: PathBuf },
    #[error(
        "`{}` line {line} still holds a conflict marker: resolve every conflict in the file, then run `mindelta upgrade {package} --continue` again",
        path.display()
    )]
    Markers {
        package: String,
        path: PathBuf,
        line: usize,
    },
    #[error(
        "the patches of `{package}` changed since the upgrade stopped: run `mindelta upgrade {package} --abort` and start again"
    )]
    Changed { package: String },
    #[error("`{}`: {message}", path.display())]
    Resolution { path: PathBuf, message: String },
    #[error("the upgrade state `{}` is damaged ({message}): run `mindelta upgrade {package} --abort` and start again", path.display())]
    State {
        package: String,
        path: PathBuf,
        message: String,
    },
    #[error("`{package}` has no patch `{file}` (its patches: {known})")]
    UnknownPatch {
        package: String,
        file: String,
        known: String,
    },
    #[error(
        "the upgrade of `{package}` to {release} was already committed; its leftover state is removed"
    )]
    Committed { package: String, release: String },
    #[error("cannot write `{}`", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write the work tree of the release")]
    WorkTree(#[source] FetchError),
}

impl From<EditError> for UpgradeError {
    fn from(error: EditError) -> Self {
        UpgradeError::Refresh(RefreshError::Edit(error))
    }
}

/// Where the run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Every patch carried or dropped; the package is at the release.
    Finished,
    /// At the release, with conflicting patches left untouched (`no_stop`).
    Held,
    /// Stopped at a conflict; the work tree waits for the user.
    Stopped,
}

/// A stop, as reported.
#[derive(Debug, Clone, Serialize)]
pub struct StopReport {
    pub patch: String,
    /// The work tree: R with the carried patches, the conflicts marked.
    pub tree: PathBuf,
    pub files: Vec<ConflictFile>,
}

/// What one run did.
#[derive(Debug, Clone, Serialize)]
pub struct UpgradeReport {
    pub name: String,
    pub from: String,
    pub release: String,
    pub status: Status,
    pub patches: Vec<Step>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop: Option<StopReport>,
    /// Go module pins of a melange package that R already satisfies, dropped from their
    /// bump steps (`expiry::pins::expire`), and those found expired that stay.
    #[serde(flatten)]
    pub pins: crate::expiry::pins::PinExpiry,
    /// The package's edit, when the run finished (commit it, or show its diff).
    #[serde(skip)]
    pub changes: Option<ChangeSet>,
}

/// The unfinished upgrade of `package`, if there is one (for `list` and `audit`).
pub fn pending(workspace: &Workspace, package: &str) -> Option<UpgradeState> {
    UpgradeState::load(&state_dir(workspace, package))
        .ok()
        .flatten()
}

/// Start the upgrade of `package` to `release`. A finished run returns its change set
/// (uncommitted); a stop has saved its state.
pub fn start(
    workspace: &Workspace,
    package: &Package,
    release: &str,
    fetcher: &Fetcher,
    options: &UpgradeOptions,
) -> Result<UpgradeReport, UpgradeError> {
    let dir = state_dir(workspace, &package.name);
    let _lock = state::lock(&dir, &package.name)?;
    if let Some(state) = UpgradeState::load(&dir)? {
        return Err(unfinished(&state));
    }
    state::clear(&dir)?;
    let (check, release_tree) = check_package_with_tree(package, release, fetcher, &options.check)?;
    let series = refresh::read_series(package)?;
    let mut state = UpgradeState {
        package: package.name.clone(),
        from: package.manifest.upstream.version.clone(),
        release: release.to_string(),
        date: options.date.clone(),
        fingerprint: state::fingerprint(package, &series),
        steps: Vec::new(),
        expired: Vec::new(),
        stop: None,
    };
    for (patch, verdict) in series.iter().zip(&check.patches) {
        if verdict.verdict == Verdict::Expired {
            let gone = crate::expiry::expire::expired_patch(verdict);
            state.expired.push(Step {
                file: patch.file.clone(),
                outcome: Outcome::Expired,
                reason: Some(gone.reason.to_string()),
                evidence: Some(gone.evidence),
                detail: None,
                conflicts: Vec::new(),
            });
        }
    }
    walk(
        &dir,
        package,
        fetcher,
        &series,
        state,
        Begin::Start(Box::new(release_tree)),
        options.no_stop,
    )
}

/// Go on with a stopped upgrade.
pub fn resume(
    workspace: &Workspace,
    package: &Package,
    fetcher: &Fetcher,
    action: Resume,
) -> Result<UpgradeReport, UpgradeError> {
    let dir = state_dir(workspace, &package.name);
    let _lock = state::lock(&dir, &package.name)?;
    let Some(state) = UpgradeState::load(&dir)? else {
        return Err(UpgradeError::NotStarted {
            package: package.name.clone(),
        });
    };
    let series = refresh::read_series(package)?;
    if package.manifest.upstream.version == state.release && state.release != state.from {
        // Killed after the package's edit was committed, before the state went.
        state::clear(&dir)?;
        return Err(UpgradeError::Committed {
            package: package.name.clone(),
            release: state.release,
        });
    }
    if state::fingerprint(package, &series) != state.fingerprint {
        return Err(UpgradeError::Changed {
            package: package.name.clone(),
        });
    }
    walk(
        &dir,
        package,
        fetcher,
        &series,
        state,
        Begin::Resume(action),
        false,
    )
}

/// Give up a stopped upgrade: its state and work tree go; the package was never changed.
/// `None` when there was none.
pub fn abort(workspace: &Workspace, name: &str) -> Result<Option<UpgradeState>, UpgradeError> {
    let dir = state_dir(workspace, name);
    let _lock = state::lock(&dir, name)?;
    let state = UpgradeState::load(&dir).ok().flatten();
    let existed = dir.exists();
    state::clear(&dir)?;
    if state.is_none() && !existed {
        return Err(UpgradeError::NotStarted {
            package: name.to_string(),
        });
    }
    Ok(state)
}

fn unfinished(state: &UpgradeState) -> UpgradeError {
    UpgradeError::Unfinished {
        package: state.package.clone(),
        release: state.release.clone(),
        patch: state
            .stop
            .as_ref()
            .map(|s| s.patch.clone())
            .unwrap_or_default(),
    }
}

/// Where a walk begins: at the first patch, with R's tree as `check` read it; or at the stop.
enum Begin {
    Start(Box<crate::upstream::release_tree::ReleaseTree>),
    Resume(Resume),
}

/// Walk the series from the start (or from the stop, with `resume`) to the end or the next
/// stop.
fn walk(
    dir: &Path,
    package: &Package,
    fetcher: &Fetcher,
    series: &[SeriesPatch],
    mut state: UpgradeState,
    begin: Begin,
    no_stop: bool,
) -> Result<UpgradeReport, UpgradeError> {
    let (resume, release_tree) = match begin {
        Begin::Start(tree) => (None, Some(*tree)),
        Begin::Resume(action) => (Some(action), None),
    };
    let release = state.release.clone();
    let from = state.from.clone();
    // Only the files the series touches (and their namesakes, where upstream moved one) are
    // read: a tarball is extracted selectively.
    let touched: Vec<Vec<u8>> = series
        .iter()
        .flat_map(touched_paths)
        .map(String::into_bytes)
        .collect();
    let old_tree = refresh::open_tree_selected(package, &from, fetcher, &touched)?;
    // R's tree also holds the go.mod files a melange package's Go bump pins are judged on.
    // `check` read the same files of R (and more): its tree is used when the run has it.
    let new_tree = match release_tree {
        Some(tree) => tree,
        None => {
            let mut wanted = touched.clone();
            wanted.extend(crate::expiry::pins::release_paths(package));
            refresh::open_tree_selected(package, &release, fetcher, &wanted)?
        }
    };
    let mut base = SeriesTree::new(&old_tree);
    let mut theirs = SeriesTree::new(&new_tree);
    let exact = RefreshOptions::default();
    let labels = Labels {
        base: from.clone(),
        ours: String::new(),
        theirs: release.clone(),
    };
    let expired: HashMap<String, Step> = state
        .expired
        .iter()
        .map(|s| (s.file.clone(), s.clone()))
        .collect();
    // The patches carried so far, by index: the bytes that go on R.
    let mut carried: HashMap<usize, Vec<u8>> = HashMap::new();
    let mut next = 0;
    if let Some(action) = resume {
        let Some(stop) = state.stop.clone() else {
            return Err(state.damaged(dir, "a stop without its patch"));
        };
        if stop.index >= series.len()
            || state.steps.len() < stop.index
            || series[stop.index].file != stop.patch
        {
            return Err(state.damaged(dir, "the stop does not fit the series"));
        }
        // Rebuild both trees as they stood at the stop.
        for (index, patch) in series.iter().enumerate().take(stop.index) {
            base.refresh(patch, &exact);
            let step = state
                .steps
                .get(index)
                .ok_or_else(|| state.damaged(dir, "fewer steps than the stop's place"))?;
            if step.outcome.carries() {
                let bytes = state::read_carried(dir, index, patch)?;
                let placed = theirs.refresh(&with_bytes(patch, bytes.clone()), &exact);
                if placed.outcome != RefreshOutcome::Unchanged {
                    return Err(state.damaged(dir, &format!("`{}` no longer applies", patch.file)));
                }
                carried.insert(index, bytes);
            }
        }
        let patch = &series[stop.index];
        let step = match action {
            Resume::Skip { reason } => Step {
                file: patch.file.clone(),
                outcome: Outcome::Skipped,
                reason: Some("dropped".into()),
                evidence: Some(reason),
                detail: None,
                conflicts: Vec::new(),
            },
            Resume::Continue => {
                let resolved = resolution(dir, package, patch, &theirs)?;
                match resolved {
                    None => {
                        return Err(UpgradeError::Resolution {
                            path: dir.join(state::TREE),
                            message: format!(
                                "the files `{}` touches hold {release}'s own content: nothing of the patch is left. If upstream made the change, run `mindelta upgrade {} --skip --reason TEXT`; otherwise make the change in the work tree and run `--continue` again",
                                patch.file, package.name
                            ),
                        });
                    }
                    Some(bytes) => {
                        let placed = theirs.refresh(&with_bytes(patch, bytes.clone()), &exact);
                        if placed.outcome != RefreshOutcome::Unchanged {
                            return Err(UpgradeError::Resolution {
                                path: dir.join(state::TREE),
                                message: format!(
                                    "the resolved `{}` does not apply to {release}: {}",
                                    patch.file,
                                    placed.detail.unwrap_or_default()
                                ),
                            });
                        }
                        carried.insert(stop.index, bytes);
                        Step {
                            file: patch.file.clone(),
                            outcome: Outcome::Resolved,
                            reason: None,
                            evidence: None,
                            detail: Some("resolved by hand".into()),
                            conflicts: Vec::new(),
                        }
                    }
                }
            }
        };
        base.refresh(patch, &exact);
        state.steps.truncate(stop.index);
        state.steps.push(step);
        state.stop = None;
        next = stop.index + 1;
    }
    for (index, patch) in series.iter().enumerate().skip(next) {
        if let Some(step) = expired.get(&patch.file) {
            base.refresh(patch, &exact);
            state.steps.push(step.clone());
            continue;
        }
        let placed = theirs.refresh(patch, &exact);
        let step = match placed.outcome {
            RefreshOutcome::Unchanged | RefreshOutcome::Refreshed | RefreshOutcome::Shrunk => {
                carried.insert(
                    index,
                    placed.bytes.clone().unwrap_or_else(|| patch.bytes.clone()),
                );
                Step {
                    file: patch.file.clone(),
                    outcome: match placed.outcome {
                        RefreshOutcome::Unchanged => Outcome::Kept,
                        RefreshOutcome::Shrunk => Outcome::Shrunk,
                        _ => Outcome::Refreshed,
                    },
                    reason: None,
                    evidence: None,
                    detail: placed.detail,
                    conflicts: Vec::new(),
                }
            }
            RefreshOutcome::Expired | RefreshOutcome::Conflict
                if let Some(shrink) = dependency_shrink(package, index, patch, &new_tree) =>
            {
                match shrink {
                    DependencyShrink::Rewritten(bytes)
                        if theirs
                            .refresh(&with_bytes(patch, bytes.clone()), &exact)
                            .outcome
                            == RefreshOutcome::Unchanged =>
                    {
                        carried.insert(index, bytes);
                        Step {
                            file: patch.file.clone(),
                            outcome: Outcome::Shrunk,
                            reason: Some("dependency-superseded".into()),
                            evidence: None,
                            detail: Some(format!(
                                "rebuilt from {release}'s manifests: only the raises {release} lacks"
                            )),
                            conflicts: Vec::new(),
                        }
                    }
                    DependencyShrink::Rewritten(_) | DependencyShrink::NeedsRefresh(_) => {
                        let detail = match shrink {
                            DependencyShrink::NeedsRefresh(detail) => detail,
                            _ => format!(
                                "the raises {release} lacks do not apply on top of the earlier patches"
                            ),
                        };
                        let step = Step {
                            file: patch.file.clone(),
                            outcome: Outcome::Conflict,
                            reason: None,
                            evidence: None,
                            detail: Some(format!("needs a refresh: {detail}")),
                            conflicts: Vec::new(),
                        };
                        if !no_stop {
                            return stop(
                                dir,
                                package,
                                fetcher,
                                series,
                                state,
                                &carried,
                                &theirs,
                                index,
                                step,
                                &[],
                            );
                        }
                        step
                    }
                }
            }
            RefreshOutcome::Expired | RefreshOutcome::Conflict => {
                let labels = Labels {
                    ours: patch.file.clone(),
                    ..labels.clone()
                };
                match carry::merge_patch(patch, &base, &mut theirs, &labels) {
                    Merge::Merged { bytes, detail } => {
                        carried.insert(index, bytes);
                        Step {
                            file: patch.file.clone(),
                            outcome: Outcome::Merged,
                            reason: None,
                            evidence: None,
                            detail: Some(detail),
                            conflicts: Vec::new(),
                        }
                    }
                    Merge::Empty { detail } => Step {
                        file: patch.file.clone(),
                        outcome: Outcome::MergedEmpty,
                        reason: Some("merged-empty".into()),
                        evidence: Some(detail),
                        detail: None,
                        conflicts: Vec::new(),
                    },
                    Merge::Conflict {
                        files,
                        tree,
                        detail,
                    } => {
                        let step = Step {
                            file: patch.file.clone(),
                            outcome: Outcome::Conflict,
                            reason: None,
                            evidence: None,
                            detail: Some(detail),
                            conflicts: files.clone(),
                        };
                        if !no_stop {
                            return stop(
                                dir, package, fetcher, series, state, &carried, &theirs, index,
                                step, &tree,
                            );
                        }
                        step
                    }
                }
            }
        };
        base.refresh(patch, &exact);
        state.steps.push(step);
    }
    finish(package, fetcher, series, state, &carried, &new_tree)
}

/// A dependency patch that R supersedes in part: the rest, rebuilt from R's own manifests, or
/// why it needs a refresh (a lock file); `None` for any other patch (`expire` does the same).
fn dependency_shrink(
    package: &Package,
    index: usize,
    patch: &SeriesPatch,
    tree: &crate::upstream::release_tree::ReleaseTree,
) -> Option<DependencyShrink> {
    let entry = package.manifest.patches.get(index)?;
    (entry.file == patch.file)
        .then(|| crate::expiry::detector::dependency_superseded::shrink(entry, &patch.bytes, tree))
        .flatten()
}

fn with_bytes(patch: &SeriesPatch, bytes: Vec<u8>) -> SeriesPatch {
    SeriesPatch {
        file: patch.file.clone(),
        strip: patch.strip,
        bytes,
        hold: None,
        folder: patch.folder.clone(),
    }
}

/// Save the stop: the work tree first, the state last (its commit point).
#[allow(clippy::too_many_arguments)]
fn stop(
    dir: &Path,
    package: &Package,
    fetcher: &Fetcher,
    series: &[SeriesPatch],
    mut state: UpgradeState,
    carried: &HashMap<usize, Vec<u8>>,
    theirs: &SeriesTree<'_>,
    index: usize,
    step: Step,
    conflict_tree: &[(Vec<u8>, Entry)],
) -> Result<UpgradeReport, UpgradeError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| UpgradeError::Io { path, source }
    };
    fs_err::create_dir_all(dir).map_err(|e| UpgradeError::Io {
        path: dir.to_path_buf(),
        source: e,
    })?;
    for (i, bytes) in carried {
        state::write_carried(dir, *i, bytes)?;
    }
    let staging = dir.join(format!("{}.partial", state::TREE));
    if staging.exists() {
        fs_err::remove_dir_all(&staging).map_err(|e| io(&staging)(e))?;
    }
    materialize(package, &state.release, fetcher, &staging)?;
    let mut writes: Vec<(Vec<u8>, Entry)> = theirs
        .changed()
        .map(|(path, entry)| (path.clone(), entry.clone()))
        .collect();
    writes.extend(
        conflict_tree
            .iter()
            .filter(|(_, entry)| matches!(entry, Entry::File(_)))
            .cloned(),
    );
    for (path, entry) in writes {
        let relative = PathBuf::from(String::from_utf8_lossy(&path).into_owned());
        let target = staging.join(&relative);
        confined::check(&staging, &target).map_err(|e| io(&target)(e.into_io()))?;
        match entry {
            Entry::File(content) => {
                if let Some(parent) = target.parent() {
                    fs_err::create_dir_all(parent).map_err(|e| io(parent)(e))?;
                }
                fs_err::write(&target, content).map_err(|e| io(&target)(e))?;
            }
            Entry::Missing => {
                if std::fs::symlink_metadata(&target).is_ok_and(|m| m.is_file()) {
                    fs_err::remove_file(&target).map_err(|e| io(&target)(e))?;
                }
            }
        }
    }
    let tree = dir.join(state::TREE);
    if tree.exists() {
        fs_err::remove_dir_all(&tree).map_err(|e| io(&tree)(e))?;
    }
    fs_err::rename(&staging, &tree).map_err(|e| io(&tree)(e))?;
    crate::workspace::journal::step();
    let touched = touched_paths(&series[index]);
    let files = step.conflicts.clone();
    state.stop = Some(state::Stop {
        patch: series[index].file.clone(),
        index,
        touched,
    });
    state.steps.push(step);
    state.save(dir)?;
    crate::workspace::journal::step();
    Ok(UpgradeReport {
        name: package.name.clone(),
        from: state.from.clone(),
        release: state.release.clone(),
        status: Status::Stopped,
        patches: state.steps.clone(),
        stop: Some(StopReport {
            patch: series[index].file.clone(),
            tree,
            files,
        }),
        pins: Default::default(),
        changes: None,
    })
}

/// The release's files on disk at `dest` (the checksum rules of `ReleaseTree::open`: a
/// release other than the pinned one has no declared checksum yet).
fn materialize(
    package: &Package,
    release: &str,
    fetcher: &Fetcher,
    dest: &Path,
) -> Result<(), UpgradeError> {
    let mut spec = SourceSpec::of(package, release);
    match &mut spec {
        SourceSpec::Git { tags, .. } => *tags = package.manifest.upstream.tag_candidates(release),
        SourceSpec::Tarball { sha256, .. } => *sha256 = None,
        SourceSpec::Dir { .. } => {}
    }
    let unverified = Fetcher::new(
        FetchOptions {
            allow_unverified: true,
            ..fetcher.options().clone()
        },
        None,
    );
    unverified
        .materialize(&spec, dest)
        .map_err(UpgradeError::WorkTree)?;
    if matches!(spec, SourceSpec::Tarball { .. }) {
        crate::upstream::release_tree::add_components(package, release, fetcher, dest)
            .map_err(UpgradeError::WorkTree)?;
    }
    Ok(())
}

/// The tree paths a patch touches, in order.
fn touched_paths(patch: &SeriesPatch) -> Vec<String> {
    let mut paths: Vec<String> = Vec::new();
    let (mails, strip) = patch.parse().unwrap_or_default();
    for mail in mails {
        for file in &mail.files {
            for path in [file.old_target(strip), file.new_target(strip)]
                .into_iter()
                .flatten()
            {
                let path = String::from_utf8_lossy(&path).into_owned();
                if !paths.contains(&path) {
                    paths.push(path);
                }
            }
        }
    }
    paths
}

/// The stopped patch rewritten from the work tree as the user left it: each file diff gets
/// new hunks from the tree before the patch (`theirs`) to the file now (`quilt refresh`).
/// `None` when no file differs any more (nothing of the patch is left).
fn resolution(
    dir: &Path,
    package: &Package,
    patch: &SeriesPatch,
    theirs: &SeriesTree<'_>,
) -> Result<Option<Vec<u8>>, UpgradeError> {
    let tree = dir.join(state::TREE);
    let (mails, strip) = patch.parse().map_err(|e| UpgradeError::Resolution {
        path: package.dir.join(&patch.file),
        message: e.to_string(),
    })?;
    let mut new_mails = Vec::with_capacity(mails.len());
    for mail in &mails {
        let mut files = Vec::new();
        for file in &mail.files {
            let Some(path) = file.new_target(strip).or_else(|| file.old_target(strip)) else {
                continue;
            };
            let relative = PathBuf::from(String::from_utf8_lossy(&path).into_owned());
            let on_disk = tree.join(&relative);
            confined::check(&tree, &on_disk).map_err(|e| UpgradeError::Resolution {
                path: on_disk.clone(),
                message: e.to_string(),
            })?;
            let after = match std::fs::symlink_metadata(&on_disk) {
                Ok(meta) if meta.is_file() => {
                    Entry::File(fs_err::read(&on_disk).map_err(|e| UpgradeError::Io {
                        path: on_disk.clone(),
                        source: e,
                    })?)
                }
                _ => Entry::Missing,
            };
            if let Entry::File(content) = &after
                && let Some(line) = conflict_marker(content)
            {
                return Err(UpgradeError::Markers {
                    package: package.name.clone(),
                    path: on_disk,
                    line,
                });
            }
            let before = theirs.read(&path).unwrap_or(Entry::Missing);
            if before == after {
                continue;
            }
            let shape_error = |what: &str| UpgradeError::Resolution {
                path: on_disk.clone(),
                message: format!(
                    "the resolution {what}, which the patch's file diff does not: edit `{}` by hand, or `--skip` it",
                    patch.file
                ),
            };
            let mut rewritten = file.clone();
            let display = String::from_utf8_lossy(&path).into_owned();
            match (&before, &after) {
                (Entry::File(old), Entry::File(new)) => {
                    if file.is_new || file.is_delete || file.binary.is_some() {
                        return Err(shape_error("modifies an existing file"));
                    }
                    rewritten.hunks = diff_files(&display, &display, old, new, 3).hunks;
                    update_index(&mut rewritten, old, new);
                }
                (Entry::Missing, Entry::File(new)) => {
                    if !file.is_new {
                        return Err(shape_error("creates the file"));
                    }
                    rewritten.hunks = diff_files(&display, &display, b"", new, 3).hunks;
                    update_index(&mut rewritten, b"", new);
                }
                (Entry::File(old), Entry::Missing) => {
                    if !file.is_delete {
                        return Err(shape_error("deletes the file"));
                    }
                    rewritten.hunks = diff_files(&display, &display, old, b"", 3).hunks;
                    update_index(&mut rewritten, old, b"");
                }
                (Entry::Missing, Entry::Missing) => continue,
            }
            files.push(rewritten);
        }
        new_mails.push(Patch {
            header: mail.header.clone(),
            files,
            trailer: mail.trailer.clone(),
        });
    }
    if new_mails.iter().all(|m| m.files.is_empty()) {
        return Ok(None);
    }
    if new_mails.len() > 1 {
        new_mails.retain(|m| !m.files.is_empty());
    }
    Ok(Some(write_patches(&new_mails)))
}

/// The end of the walk: one change set for the package (patch files, removals, `expired:`
/// records, version and pins). The state is removed by the caller once it is committed.
fn finish(
    package: &Package,
    fetcher: &Fetcher,
    series: &[SeriesPatch],
    state: UpgradeState,
    carried: &HashMap<usize, Vec<u8>>,
    tree: &crate::upstream::release_tree::ReleaseTree,
) -> Result<UpgradeReport, UpgradeError> {
    let release = state.release.clone();
    let mut changes = ChangeSet::new(package, "upgrade");
    let mut edit = ManifestEdit::open(&package.manifest_path)?;
    let pins = crate::expiry::pins::check(package, tree);
    let pins = crate::expiry::pins::expire(
        package,
        &mut edit,
        &mut changes,
        &pins,
        &release,
        &state.date,
    )?;
    let mut records = Vec::new();
    for (index, (patch, step)) in series.iter().zip(&state.steps).enumerate() {
        let path = package.dir.join(&patch.file);
        if step.outcome.drops() {
            changes.remove(&path, patch.bytes.clone());
            records.push(ExpiredEntry {
                file: patch.file.clone(),
                release: release.clone(),
                reason: step.reason.clone().unwrap_or_else(|| "dropped".into()),
                evidence: step.evidence.clone(),
                date: (!state.date.is_empty()).then(|| state.date.clone()),
            });
        } else if let Some(bytes) = carried.get(&index)
            && *bytes != patch.bytes
        {
            changes.write(&path, Some(patch.bytes.clone()), bytes.clone());
        }
    }
    let records = crate::native::edit::expire_series_entries(
        package,
        edit.original(),
        &mut changes,
        &records,
    )?;
    edit.expire_patches(&records)?;
    if release != state.from {
        refresh::move_version(&mut edit, package, &release, fetcher, Some(tree))?;
    }
    changes.write(
        edit.path(),
        Some(edit.original().as_bytes().to_vec()),
        edit.text().as_bytes().to_vec(),
    );
    if release != state.from {
        crate::native::edit::complete_pins(package, &release, &mut changes, fetcher).map_err(
            |error| match error {
                crate::native::edit::PinError::Fetch(source) => {
                    UpgradeError::Refresh(RefreshError::Fetch {
                        package: package.name.clone(),
                        release: release.clone(),
                        source: Box::new(source),
                    })
                }
                crate::native::edit::PinError::Edit(error) => error.into(),
            },
        )?;
    }
    let held = state.steps.iter().any(|s| s.outcome == Outcome::Conflict);
    Ok(UpgradeReport {
        name: package.name.clone(),
        from: state.from.clone(),
        release,
        status: if held { Status::Held } else { Status::Finished },
        patches: state.steps,
        stop: None,
        pins,
        changes: Some(changes),
    })
}

/// Commit a finished run's change set, then remove its state (a kill between the two leaves a
/// state whose package is already at the release: [`UpgradeState::load`] sees that and drops
/// it).
pub fn commit(workspace: &Workspace, report: &mut UpgradeReport) -> Result<(), UpgradeError> {
    let Some(changes) = report.changes.take() else {
        return Ok(());
    };
    changes.commit()?;
    let dir = state_dir(workspace, &report.name);
    state::clear(&dir)?;
    // The lock file goes too, unless another run holds it now.
    drop(state::lock(&dir, &report.name));
    Ok(())
}

/// Remove `file` from `package` by hand, recorded in `expired:` with the reason `dropped` and
/// `text` as its evidence (`mindelta drop`). Refused while an upgrade of the package is
/// unfinished (its state would no longer fit). The change set is returned uncommitted.
pub fn drop_patch(
    workspace: &Workspace,
    package: &Package,
    file: &str,
    text: &str,
    date: &str,
) -> Result<ChangeSet, UpgradeError> {
    if let Some(state) = pending(workspace, &package.name) {
        return Err(unfinished(&state));
    }
    let entry = package
        .manifest
        .patches
        .iter()
        .find(|entry| entry.file == file)
        .ok_or_else(|| UpgradeError::UnknownPatch {
            package: package.name.clone(),
            file: file.to_string(),
            known: package
                .manifest
                .patches
                .iter()
                .map(|e| e.file.clone())
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    let path = package.patch_path(entry);
    let bytes = package
        .read_patch(entry)
        .map_err(|source| UpgradeError::Io {
            path: path.clone(),
            source,
        })?;
    let mut changes = ChangeSet::new(package, "drop");
    changes.remove(&path, bytes);
    let mut edit = ManifestEdit::open(&package.manifest_path)?;
    edit.expire_patches(&[ExpiredEntry {
        file: entry.file.clone(),
        release: package.manifest.upstream.version.clone(),
        reason: "dropped".into(),
        evidence: Some(text.to_string()),
        date: (!date.is_empty()).then(|| date.to_string()),
    }])?;
    changes.write(
        edit.path(),
        Some(edit.original().as_bytes().to_vec()),
        edit.text().as_bytes().to_vec(),
    );
    Ok(changes)
}

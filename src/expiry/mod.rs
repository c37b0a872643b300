//! Expiry: does an upstream release R already contain a downstream patch? (DESIGN.md §3)
//!
//! Flow: `check_package` reads and parses every patch of a package, opens R's tree
//! (`tree.rs`) and, when the package names a git repository, its history (`history.rs`); then
//! each detector (`detector/`, cheapest first: `fixed-in`, `upstream-commit`, `patch-id`,
//! `content`, `present-modulo-context`, `release-notes`, `claims`, `upstream-subject`,
//! `notes-subject`, then the `partial-upstream` and `rewritten-upstream` combinations) adds its
//! evidence, and `verdict.rs` turns the evidence into a verdict. Each patch is judged against
//! pristine R and again in series order (the earlier needed and partial patches applied in
//! memory), and the second verdict is reported where it differs.
//!
//! One failing patch never stops the others: its verdict is `unknown` with an `error`
//! evidence. Only an unreachable upstream stops a package, as an error, never as a guess.

pub mod commit_url;
pub mod detector;
pub mod expire;
pub mod history;
pub mod refresh;
pub mod tags;
pub mod tree;
pub mod verdict;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use crate::patch::{Patch, parse_patches};
use crate::upstream::{FetchError, Fetcher, release};
use crate::workspace::{Package, PatchEntry};
use detector::content::{Content, Overlay};
use detector::release_notes::{self, ReleaseNotes};
use history::History;
use tree::ReleaseTree;

/// What `check` decides for one patch against a release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Applies to R and is not in R.
    Needed,
    /// R already contains it: the patch must go.
    Expired,
    /// Some hunks are already in R, the rest still apply: the patch can shrink.
    Partial,
    /// Does not apply to R and is not found in R: a human must rebase it.
    Conflict,
    /// The evidence could not be gathered; never a guess.
    Unknown,
}

impl Verdict {
    /// The word used in output and manifests.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Needed => "needed",
            Verdict::Expired => "expired",
            Verdict::Partial => "partial",
            Verdict::Conflict => "conflict",
            Verdict::Unknown => "unknown",
        }
    }

    /// Whether the patch can be dropped or shrunk (`expired` or `partial`).
    pub fn can_expire(self) -> bool {
        matches!(self, Verdict::Expired | Verdict::Partial)
    }
}

/// One detector's finding about one patch.
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    /// The detector's name: `fixed-in`, `upstream-commit`, `patch-id`, `content`,
    /// `present-modulo-context`, `release-notes`, `claims`, `upstream-subject`,
    /// `notes-subject`, or a combination rule (`partial-upstream`, `rewritten-upstream`); each
    /// is described in docs/expiry.md.
    pub detector: String,
    pub result: EvidenceResult,
    /// What was found, in words (commit, tag, hunk).
    pub detail: String,
}

/// What a detector's finding says about expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EvidenceResult {
    /// Proves that R contains the patch.
    Proves,
    /// Points towards expiry without proving it (part of the patch is in R).
    Supports,
    /// Says R does not contain the patch.
    Refutes,
    /// What the detector looked for is not there (an unknown commit, no matching id).
    NotFound,
    /// The detector has nothing to work on (no requirement declared, no git history).
    NotApplicable,
    /// The detector failed; the detail says why.
    Error,
}

/// Where one hunk stands in R.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HunkState {
    /// Its pre-image is in R: the hunk still applies.
    Applied,
    /// Its post-image is in R and its pre-image is not: upstream has it.
    Present,
    /// Neither image is in R.
    Absent,
}

/// The state of one hunk of one file of a patch.
#[derive(Debug, Clone, Serialize)]
pub struct HunkReport {
    /// The file the hunk changes (the new path, `-p` applied).
    pub file: String,
    /// 1-based index of the hunk within its file diff.
    pub index: usize,
    pub state: HunkState,
    /// An `absent` hunk whose change is in R with other context (`present-modulo-context`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub modulo_context: bool,
    /// The path of R where the hunk was judged when it is not the patch's own: R has no file
    /// at the patch's path, and the hunk was looked for in a file of the same name elsewhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found_in: Option<String>,
}

/// Whether a patch's hunks (as judged) make it a conflict only because a file it changes moved
/// upstream: every hunk is in R or applies, and some apply only in a moved file (`found_in`).
/// `refresh` rewrites such a patch to the new path, so the series goes on with it applied.
pub fn conflicts_only_by_a_move(hunks: &[HunkReport]) -> bool {
    hunks
        .iter()
        .all(|h| matches!(h.state, HunkState::Present | HunkState::Applied))
        && hunks
            .iter()
            .any(|h| h.state == HunkState::Applied && h.found_in.is_some())
}

/// The verdict of one patch, with its evidence.
#[derive(Debug, Clone, Serialize)]
pub struct PatchCheck {
    /// The patch file, as the manifest names it.
    pub file: String,
    pub verdict: Verdict,
    /// For an expired patch, the first detector (in the documented order) that proves it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub evidence: Vec<Evidence>,
    pub hunks: Vec<HunkReport>,
    /// The verdict when the series is applied in order on R (cumulative), when it differs from the pristine one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cumulative: Option<CumulativeCheck>,
}

/// The verdict of a patch judged on R with the earlier patches of the series applied.
#[derive(Debug, Clone, Serialize)]
pub struct CumulativeCheck {
    pub verdict: Verdict,
    pub hunks: Vec<HunkReport>,
}

/// The verdicts of every patch of one package against one release.
#[derive(Debug, Clone, Serialize)]
pub struct PackageCheck {
    pub name: String,
    /// The release the patches currently target (`upstream.version`).
    pub version: String,
    /// The release they were judged against.
    pub release: String,
    pub patches: Vec<PatchCheck>,
}

/// Progress of counted work (the commits of the patch-id walk, the packages of an audit),
/// implemented by the CLI: the library never prints.
pub trait CountProgress: Send + Sync + std::fmt::Debug {
    /// Work of `total` items begins.
    fn start(&self, total: u64);
    /// `done` more items were done (called from any thread).
    fn advance(&self, done: u64);
    /// The work ended.
    fn finish(&self);
}

/// Choices for one check.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// Never touch the network (the fetcher must have been made offline too).
    pub offline: bool,
    /// When the current version's tag is unknown, how many of R's commits (newest first) the
    /// `patch-id` detector reads at most.
    pub history_limit: usize,
    /// R's git tag when release discovery found it (`Release::tag`): tried before the tags
    /// the manifest's template gives, so releases found through `releases.pattern` resolve.
    pub release_tag: Option<String>,
    /// Receives the patch-id walk's progress: commits whose id is computed (cached ids are not
    /// counted).
    pub history_progress: Option<Arc<dyn CountProgress>>,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            offline: false,
            history_limit: DEFAULT_HISTORY_LIMIT,
            release_tag: None,
            history_progress: None,
        }
    }
}

/// Default bound on the commits the `patch-id` detector reads when it has no lower tag.
pub const DEFAULT_HISTORY_LIMIT: usize = 20_000;

/// Why a package could not be checked at all.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// Upstream could not be fetched (unreachable, not cached offline, no such release, …).
    #[error("{}", fetch_message(package, release, source))]
    Fetch {
        package: String,
        release: String,
        #[source]
        source: Box<FetchError>,
    },
    /// R's tree could not be read after it was fetched.
    #[error("cannot read the tree of `{package}` {release}: {message}")]
    Tree {
        package: String,
        release: String,
        message: String,
    },
}

/// What a failed fetch of `release` says first: that the release does not exist, when that is
/// the trouble (the error names the package and the known releases), else that upstream could
/// not be fetched.
pub(crate) fn fetch_message(package: &str, release: &str, source: &FetchError) -> String {
    match source {
        FetchError::NoSuchRelease { .. } => source.to_string(),
        _ => format!("cannot fetch upstream of `{package}` at {release}"),
    }
}

/// A patch of the series as read from disk (or why it could not be).
struct LoadedPatch {
    entry: PatchEntry,
    parsed: Result<Vec<Patch>, String>,
}

/// Judge every patch of `package` against release `release`. One failing patch never stops the
/// others (its verdict is `unknown` with an `error` evidence); an unreachable upstream gives
/// `Err(CheckError::Fetch)` (the CLI maps it to exit 5), no guess.
pub fn check_package(
    package: &Package,
    release: &str,
    fetcher: &Fetcher,
    options: &CheckOptions,
) -> Result<PackageCheck, CheckError> {
    let loaded: Vec<LoadedPatch> = package
        .manifest
        .patches
        .iter()
        .map(|entry| load_patch(package, entry))
        .collect();
    let touched = touched_paths(&loaded);
    // A touched file that upstream moved is looked for by its name (`content`), so a tarball's
    // extraction keeps every file named like a touched one.
    let touched_names: HashSet<&[u8]> = touched
        .iter()
        .map(|path| tree::last_component(path))
        .collect();
    // A release the source cannot provide is an error, never another tree judged as it.
    let release_tree = release::available(package, fetcher, release)
        .and_then(|()| {
            ReleaseTree::open_selected(
                package,
                release,
                fetcher,
                &release_tags(package, release, options),
                &|path| {
                    touched.contains(path) || touched_names.contains(tree::last_component(path))
                },
            )
        })
        .map_err(|e| release::not_found(package, fetcher, release, e))
        .map_err(|e| CheckError::Fetch {
            package: package.name.clone(),
            release: release.to_string(),
            source: Box::new(e),
        })?;
    // The history of a git upstream (or the `git:` of a tarball upstream). For a git upstream
    // the tree above already needed the mirror, so this cannot fail for want of a network.
    let history = tree::history_url(package).map(|url| {
        History::open(fetcher, &url)
            .map(|h| h.with_progress(options.history_progress.clone()))
            .map_err(|e| e.to_string())
    });
    let version = package.manifest.upstream.version.clone();
    let mut context = detector::Context {
        package,
        release,
        version: &version,
        history: history.as_ref().map(|h| h.as_ref().map_err(String::as_str)),
        options,
        cache_root: fetcher.cache().root().to_path_buf(),
        release_ids: None,
        fetcher,
        claimed: Default::default(),
        release_tag: Default::default(),
    };

    // Release notes, for the `release-notes` and `notes-subject` detectors: R's, when some
    // patch names a CVE or has a subject to look for, and the current release's only when R's
    // name one of those CVEs or list one of those subjects (reading them may mean reading
    // another archive; without such a mention there is nothing to compare).
    let mut cves = Vec::new();
    let mut subjects = Vec::new();
    for patch in &loaded {
        if let Ok(parsed) = &patch.parsed {
            cves.extend(release_notes::patch_cves(&patch.entry, parsed));
            subjects.extend(
                detector::upstream_subject::subject_candidates(parsed)
                    .into_iter()
                    .flatten(),
            );
        }
    }
    let notes = if cves.is_empty() && subjects.is_empty() {
        (Ok(ReleaseNotes::default()), Ok(ReleaseNotes::default()))
    } else {
        let release_notes = ReleaseNotes::read(&release_tree);
        let mentioned = release_notes.as_ref().is_ok_and(|notes| {
            cves.iter().any(|id| notes.naming(id).is_some())
                || subjects.iter().any(|s| notes.listing(s).is_some())
        });
        let current = if mentioned {
            ReleaseTree::open_selected(
                package,
                &version,
                fetcher,
                &package.manifest.upstream.tag_candidates(&version),
                &|_| false,
            )
            .map_err(|e| e.to_string())
            .and_then(|tree| ReleaseNotes::read(&tree))
        } else {
            Ok(ReleaseNotes::default())
        };
        (release_notes, current)
    };

    let mut overlay = Overlay::default();
    let mut patches = Vec::with_capacity(loaded.len());
    for patch in &loaded {
        let check = judge(&mut context, patch, &release_tree, &notes, &mut overlay);
        patches.push(check);
    }
    Ok(PackageCheck {
        name: package.name.clone(),
        version,
        release: release.to_string(),
        patches,
    })
}

/// Run every detector on one patch, pristine and cumulative, and apply what still applies to
/// the overlay for the patches after it.
fn judge(
    context: &mut detector::Context<'_>,
    patch: &LoadedPatch,
    release_tree: &ReleaseTree,
    notes: &(Result<ReleaseNotes, String>, Result<ReleaseNotes, String>),
    overlay: &mut Overlay,
) -> PatchCheck {
    let entry = &patch.entry;
    let parsed = match &patch.parsed {
        Ok(parsed) => parsed,
        Err(message) => {
            return PatchCheck {
                file: entry.file.clone(),
                verdict: Verdict::Unknown,
                reason: None,
                evidence: vec![Evidence {
                    detector: "patch".into(),
                    result: EvidenceResult::Error,
                    detail: message.clone(),
                }],
                hunks: Vec::new(),
                cumulative: None,
            };
        }
    };
    let mut evidence = vec![
        detector::fixed_in::detect(context, entry, parsed),
        detector::upstream_commit::detect(context, entry, parsed),
        detector::patch_id::detect(context, entry, parsed),
    ];
    let empty = Overlay::default();
    let pristine = Content::judge(parsed, entry.strip, release_tree, &empty, context.release);
    let content_index = evidence.len();
    evidence.push(pristine.evidence.clone());
    evidence.push(pristine.modulo_context.clone());
    evidence.push(release_notes::detect(entry, parsed, &notes.0, &notes.1));
    evidence.push(detector::claims::detect(context, entry, parsed));
    evidence.push(detector::upstream_subject::detect(context, parsed));
    evidence.push(detector::notes_subject::detect(parsed, &notes.0, &notes.1));
    let independent = evidence.len();
    evidence.push(verdict::partial_upstream(
        &evidence,
        pristine.loose_outcome,
        &partly_detail(&pristine),
        &pristine.hunks,
    ));
    evidence.push(verdict::rewritten_upstream(&evidence, &pristine.hunks));
    let (verdict, reason) = verdict::decide(&evidence, pristine.loose_outcome);

    let cumulative = if overlay.is_empty() {
        pristine.clone()
    } else {
        Content::judge(parsed, entry.strip, release_tree, overlay, context.release)
    };
    // The same evidence with the cumulative content, and the combination rules judged again.
    let mut strong = evidence[..independent].to_vec();
    strong[content_index] = cumulative.evidence.clone();
    strong[content_index + 1] = cumulative.modulo_context.clone();
    let combined = verdict::partial_upstream(
        &strong,
        cumulative.loose_outcome,
        &partly_detail(&cumulative),
        &cumulative.hunks,
    );
    strong.push(combined);
    strong.push(verdict::rewritten_upstream(&strong, &cumulative.hunks));
    let (cumulative_verdict, _) = verdict::decide(&strong, cumulative.loose_outcome);
    if matches!(cumulative_verdict, Verdict::Needed | Verdict::Partial)
        || conflicts_only_by_a_move(&cumulative.hunks)
    {
        cumulative.apply_to(parsed, entry.strip, release_tree, overlay);
    }
    let differs = cumulative_verdict != verdict
        || cumulative
            .hunks
            .iter()
            .zip(&pristine.hunks)
            .any(|(a, b)| a.state != b.state);
    PatchCheck {
        file: entry.file.clone(),
        verdict,
        reason,
        evidence,
        hunks: pristine.hunks,
        cumulative: differs.then_some(CumulativeCheck {
            verdict: cumulative_verdict,
            hunks: cumulative.hunks,
        }),
    }
}

/// What the `partial-upstream` rule quotes: the content's detail, or the looser match's when
/// that is what made the patch partly present.
fn partly_detail(content: &Content) -> String {
    if content.outcome == content.loose_outcome {
        content.evidence.detail.clone()
    } else {
        content.modulo_context.detail.clone()
    }
}

/// Every path the series reads or writes (`-p` applied): all a tarball's extraction needs.
fn touched_paths(loaded: &[LoadedPatch]) -> HashSet<Vec<u8>> {
    let mut touched = HashSet::new();
    for patch in loaded {
        let Ok(parsed) = &patch.parsed else { continue };
        for file in parsed.iter().flat_map(|p| &p.files) {
            let strip = patch.entry.strip;
            touched.extend(file.old_target(strip));
            touched.extend(file.new_target(strip));
        }
    }
    touched
}

fn load_patch(package: &Package, entry: &PatchEntry) -> LoadedPatch {
    let path: PathBuf = package.patch_path(entry);
    let parsed = package
        .read_patch(entry)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))
        .and_then(|bytes| parse_patches(&bytes).map_err(|e| format!("`{}`: {e}", path.display())))
        .and_then(|patches| {
            if patches.iter().all(|p| p.files.is_empty()) {
                Err(format!("`{}` holds no diff", path.display()))
            } else {
                Ok(patches)
            }
        });
    LoadedPatch {
        entry: entry.clone(),
        parsed,
    }
}

/// The tags R may have: the discovered one first, then the manifest's template.
pub fn release_tags(package: &Package, release: &str, options: &CheckOptions) -> Vec<String> {
    let mut tags: Vec<String> = options.release_tag.iter().cloned().collect();
    for tag in package.manifest.upstream.tag_candidates(release) {
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    tags
}

//! The check of one package against a release: read and parse every patch, open R's tree
//! (`upstream::release_tree`) and, when the package names a git repository, its history
//! (`history.rs`); run the detectors on each patch, pristine and in series order, and turn their
//! evidence into verdicts (`verdict.rs`).

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use super::detector::content::{Content, Overlay};
use super::detector::release_notes::{self, ReleaseNotes};
use super::history::History;
use super::verdict::{self, Findings};
use super::{
    CountProgress, CumulativeCheck, Detector, Evidence, EvidenceResult, PackageCheck, PatchCheck,
    Verdict, conflicts_only_by_a_move, detector,
};
use crate::native::melange::PatchTree;
use crate::patch::{Patch, parse_patches};
use crate::upstream::release_tree::{ReleaseTree, last_component};
use crate::upstream::{FetchError, Fetcher, history_url, release};
use crate::workspace::{Package, PatchEntry};

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
    #[error("{}", release::fetch_message(package, release, source))]
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

/// A patch of the series as read from disk (or why it could not be).
struct LoadedPatch {
    entry: PatchEntry,
    parsed: Result<Vec<Patch>, String>,
    /// Why R's tree is not the one the patch applies to (a melange step working in another
    /// checkout's tree): the patch is not judged.
    elsewhere: Option<String>,
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
    check_package_with_tree(package, release, fetcher, options).map(|(check, _)| check)
}

/// [`check_package`], and R's tree as it read it (the files the patches touch, their
/// namesakes, the lock files beside them, the release notes), for a caller that goes on
/// reading R — the upgrade's carry — without reading the archive again.
pub fn check_package_with_tree(
    package: &Package,
    release: &str,
    fetcher: &Fetcher,
    options: &CheckOptions,
) -> Result<(PackageCheck, ReleaseTree), CheckError> {
    let trees = crate::native::package::patch_trees(package);
    let loaded: Vec<LoadedPatch> = package
        .manifest
        .patches
        .iter()
        .map(|entry| load_patch(package, entry, trees.get(&entry.file)))
        .collect();
    let touched = touched_paths(&loaded);
    // A touched file that upstream moved is looked for by its name (`content`), so a tarball's
    // extraction keeps every file named like a touched one.
    let touched_names: HashSet<&[u8]> = touched.iter().map(|path| last_component(path)).collect();
    // `dependency-superseded` also reads the lock files beside a touched manifest.
    let mut locks =
        detector::dependency_superseded::release_paths(touched.iter().map(Vec::as_slice));
    // And the go.mod of each Go bump step of a melange package (`pins.rs`).
    locks.extend(super::pins::release_paths(package));
    // A release the source cannot provide is an error, never another tree judged as it.
    let release_tree = release::available(package, fetcher, release)
        .and_then(|()| {
            ReleaseTree::open_selected(
                package,
                release,
                fetcher,
                &release_tags(package, release, options),
                &|path| {
                    touched.contains(path)
                        || locks.contains(path)
                        || touched_names.contains(last_component(path))
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
    let history = history_url(package).map(|url| {
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
    let check = PackageCheck {
        name: package.name.clone(),
        version,
        release: release.to_string(),
        patches,
        pins: super::pins::check(package, &release_tree),
    };
    Ok((check, release_tree))
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
    let unjudged = |detector, detail: &str| PatchCheck {
        file: entry.file.clone(),
        verdict: Verdict::Unknown,
        reason: None,
        evidence: vec![Evidence {
            detector,
            result: EvidenceResult::Error,
            detail: detail.to_string(),
        }],
        hunks: Vec::new(),
        cumulative: None,
        dependencies: Vec::new(),
    };
    let parsed = match &patch.parsed {
        Ok(parsed) => parsed,
        Err(message) => return unjudged(Detector::Patch, message),
    };
    if let Some(elsewhere) = &patch.elsewhere {
        return unjudged(Detector::Content, elsewhere);
    }
    // Every detector runs (the evidence is complete), in the documented order.
    let fixed_in = detector::fixed_in::detect(context, entry, parsed);
    let upstream_commit = detector::upstream_commit::detect(context, entry, parsed);
    let patch_id = detector::patch_id::detect(context, entry, parsed);
    let empty = Overlay::default();
    let pristine = Content::judge(parsed, entry.strip, release_tree, &empty, context.release);
    let dependency = detector::dependency_superseded::detect(entry, parsed, release_tree);
    let findings = Findings {
        fixed_in,
        upstream_commit,
        patch_id,
        content: pristine.evidence.clone(),
        modulo_context: pristine.modulo_context.clone(),
        dependency_superseded: dependency.evidence,
        release_notes: release_notes::detect(entry, parsed, &notes.0, &notes.1),
        claims: detector::claims::detect(context, entry, parsed),
        upstream_subject: detector::upstream_subject::detect(context, parsed),
        notes_subject: detector::notes_subject::detect(parsed, &notes.0, &notes.1),
    };
    let judged = verdict::judge(&findings, &pristine);

    let cumulative = if overlay.is_empty() {
        pristine.clone()
    } else {
        Content::judge(parsed, entry.strip, release_tree, overlay, context.release)
    };
    // The same findings with the cumulative content, and the combination rules judged again.
    let cumulative_verdict =
        verdict::judge(&findings.with_content(&cumulative), &cumulative).verdict;
    if matches!(cumulative_verdict, Verdict::Needed | Verdict::Partial)
        || conflicts_only_by_a_move(&cumulative.hunks)
    {
        cumulative.apply_to(parsed, entry.strip, release_tree, overlay);
    }
    let differs = cumulative_verdict != judged.verdict
        || cumulative
            .hunks
            .iter()
            .zip(&pristine.hunks)
            .any(|(a, b)| a.state != b.state);
    PatchCheck {
        file: entry.file.clone(),
        verdict: judged.verdict,
        reason: judged.reason,
        evidence: judged.evidence,
        hunks: pristine.hunks,
        cumulative: differs.then_some(CumulativeCheck {
            verdict: cumulative_verdict,
            hunks: cumulative.hunks,
        }),
        dependencies: dependency.dependencies,
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

fn load_patch(package: &Package, entry: &PatchEntry, tree: Option<&PatchTree>) -> LoadedPatch {
    let path: PathBuf = package.patch_path(entry);
    let mut entry = entry.clone();
    let parsed = package
        .read_patch(&entry)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))
        .and_then(|bytes| parse_patches(&bytes).map_err(|e| format!("`{}`: {e}", path.display())))
        .and_then(|patches| {
            if patches.iter().all(|p| p.files.is_empty()) {
                Err(format!("`{}` holds no diff", path.display()))
            } else {
                Ok(patches)
            }
        });
    let mut elsewhere = None;
    let parsed = match (parsed, tree) {
        (Ok(mut patches), Some(PatchTree::Inside(folder))) => {
            // Its paths are relative to a folder of the source: as paths of R they start there.
            entry.strip = Patch::move_all_into(&mut patches, folder.as_bytes(), entry.strip);
            Ok(patches)
        }
        (
            parsed,
            Some(PatchTree::Elsewhere {
                directory,
                repository: Some(repository),
            }),
        ) => {
            elsewhere = Some(format!(
                "the patch applies in `{directory}`, the tree of another checkout \
                 (`{repository}`), not in the upstream's tree: it is not judged against R"
            ));
            parsed
        }
        // A folder the build makes is often made of the source's own files (dotnet's source
        // tarball, from the installer repository's): judged as a patch of R, whose files a
        // moved path is looked for in by name (`content`).
        (parsed, _) => parsed,
    };
    LoadedPatch {
        entry,
        parsed,
        elsewhere,
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

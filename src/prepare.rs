//! The pre-build step: upstream at the pinned release plus exactly the patches still needed.
//!
//! Flow: a `Package` → its `SourceSpec` → `Fetcher::materialize` into a staging folder beside
//! the output → every patch of the series applied in order through one `WorkTree` (changed
//! files stay in memory and are written once) → the staging tree swapped into place. Any
//! failure drops the staging folder, so the output folder is either the old tree or the new
//! one, never a half-written one. A patch whose changes are already in the tree is skipped
//! (reported, never applied twice).
//!
//! The output is checked before any work (`out.rs`: never the workspace, the cache or their
//! ancestors; only a folder `prepare` wrote, an empty one, or any with `force`), and every
//! tree written carries the marker that lets the next run replace it. Staging folders are
//! locked while their run lives; each run first removes those of dead runs (`staging.rs`).

pub mod out;
pub mod staging;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::native::melange::PatchTree;
use crate::patch::apply::{ApplyError, ApplyOptions, WorkTree};
use crate::patch::metadata::{PatchMetadata, read_metadata};
use crate::patch::{ParseError, Patch, parse_patches};
use crate::upstream::{FetchError, Fetcher, Provenance, SourceSpec};
use crate::workspace::journal::step;
use crate::workspace::{Package, PatchEntry, PatchStatus};
use out::{OutAccepted, OutRefusal};
use staging::Staging;

/// Choices for one `prepare` run.
#[derive(Debug, Clone, Default)]
pub struct PrepareOptions {
    /// Context lines a hunk may drop to apply (0: exact context only).
    pub fuzz: usize,
    /// Replace a non-empty output folder that `prepare` did not write (never the workspace,
    /// the cache or their ancestors).
    pub force: bool,
}

/// What `prepare` did for one package (the JSON shape of DESIGN.md §5).
#[derive(Debug, Clone, Serialize)]
pub struct PreparedPackage {
    pub name: String,
    pub version: String,
    pub out: PathBuf,
    pub upstream: Provenance,
    pub patches: Vec<PreparedPatch>,
    /// Staging folders of killed runs that were removed beside the output.
    #[serde(skip)]
    pub removed_staging: Vec<PathBuf>,
}

/// What happened to one patch of the series.
#[derive(Debug, Clone, Serialize)]
pub struct PreparedPatch {
    pub file: String,
    pub status: PatchOutcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub sha256: String,
    pub hunks: Vec<HunkPlacement>,
    /// CVEs the patch fixes (manifest and header), for the SBOM.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cves: Vec<String>,
    /// How the patch relates to upstream, for the SBOM: `backport`, `cherry-pick` or `unofficial`.
    pub kind: &'static str,
    #[serde(skip)]
    pub text: Vec<u8>,
}

/// Applied, or skipped because upstream already has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PatchOutcome {
    Applied,
    Skipped,
}

/// Where one hunk landed.
#[derive(Debug, Clone, Serialize)]
pub struct HunkPlacement {
    pub file: String,
    pub line: usize,
    pub offset: isize,
    pub fuzz: usize,
}

/// Why a package could not be prepared. The output folder is left as it was.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    #[error("cannot fetch upstream of `{package}`")]
    Fetch {
        package: String,
        #[source]
        source: FetchError,
    },
    #[error("patch `{file}` listed at `{manifest}` line {line} cannot be read")]
    PatchMissing {
        file: String,
        manifest: PathBuf,
        line: usize,
        #[source]
        source: std::io::Error,
    },
    #[error("`{path}` is not a patch I can read: {source}")]
    PatchParse {
        path: PathBuf,
        #[source]
        source: ParseError,
    },
    #[error("patch `{file}` of `{package}` does not apply")]
    Apply {
        package: String,
        file: String,
        #[source]
        source: Box<ApplyError>,
    },
    #[error("`--out` `{}` {}", path.display(), refusal.reason())]
    Out { path: PathBuf, refusal: OutRefusal },
    #[error("cannot write `{path}`")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Fetch, patch and write one package's tree to `out`, atomically.
pub fn prepare(
    package: &Package,
    fetcher: &Fetcher,
    out: &Path,
    options: &PrepareOptions,
) -> Result<PreparedPackage, PrepareError> {
    let version = package.manifest.upstream.version.clone();
    let refuse = |refusal| PrepareError::Out {
        path: out.to_path_buf(),
        refusal,
    };
    let check = || {
        out::check(
            out,
            package.workspace_root(),
            &fetcher.options().cache_dir,
            options.force,
        )
        .map_err(refuse)
    };
    check()?;
    // Work on the resolved path (`--out .` has a parent to stage in); report the given one.
    let given = out;
    let out = &out::canonical(out);
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs_err::create_dir_all(parent).map_err(|source| PrepareError::Io {
        path: parent.to_path_buf(),
        source,
    })?;
    let removed_staging = staging::remove_stale(parent);
    let staging = Staging::create(parent).map_err(|source| PrepareError::Io {
        path: parent.to_path_buf(),
        source,
    })?;
    let tree = staging.path().join("tree");
    let fetch_error = |source| PrepareError::Fetch {
        package: package.name.clone(),
        source,
    };
    // A tarball pinned by sha512 alone is fetched unverified, then checked below.
    let sha512_only = package
        .native()
        .is_some_and(|n| n.expected_sha512(&version).is_some());
    let unverified;
    let main_fetcher = if sha512_only {
        unverified = Fetcher::new(
            crate::upstream::FetchOptions {
                allow_unverified: true,
                ..fetcher.options().clone()
            },
            None,
        );
        &unverified
    } else {
        fetcher
    };
    let upstream = main_fetcher
        .materialize(&SourceSpec::of(package, &version), &tree)
        .map_err(fetch_error)?;
    // The manifest's `commit:` (melange's `expected-commit`) pins what the tag resolves to.
    if let crate::workspace::UpstreamSource::Git {
        commit: Some(pin), ..
    } = &package.manifest.upstream.source
    {
        let actual = upstream.commit.clone().unwrap_or_default();
        if !actual.starts_with(pin.as_str()) {
            return Err(fetch_error(crate::upstream::FetchError::CommitMismatch {
                url: upstream.url.clone(),
                tag: upstream.tag.clone().unwrap_or_default(),
                expected: pin.clone(),
                actual,
            }));
        }
    }
    if let Some(native) = package.native() {
        native
            .verify(&version, &upstream, fetcher)
            .map_err(fetch_error)?;
        if let crate::native::NativeOrigin::Debian(source) = native {
            crate::native::debian::unpack::complete_tree(source, fetcher, &tree)
                .map_err(fetch_error)?;
        }
    }

    let mut work = WorkTree::open(&tree).map_err(|source| PrepareError::Apply {
        package: package.name.clone(),
        file: String::new(),
        source: Box::new(source),
    })?;
    let trees = crate::native::package::patch_trees(package);
    let mut patches = Vec::with_capacity(package.manifest.patches.len());
    for entry in &package.manifest.patches {
        patches.push(apply_entry(package, entry, &trees, &mut work, options)?);
    }
    work.write().map_err(|source| PrepareError::Apply {
        package: package.name.clone(),
        file: String::new(),
        source: Box::new(source),
    })?;

    step();
    // Checked again (the folder may have changed while the tree was built), then marked: the
    // new tree, and the old one if it was ours, so a kill at the swap leaves either marked.
    let accepted = check()?;
    let mark = |identities: &[Option<String>]| {
        let identities: Vec<String> = identities.iter().flatten().cloned().collect();
        out::mark(out, &identities).map_err(|source| PrepareError::Io {
            path: out::marker_path(out),
            source,
        })
    };
    let old = (accepted == OutAccepted::Ours)
        .then(|| out::identity(out))
        .flatten();
    mark(&[out::identity(&tree), old])?;
    swap_into_place(&tree, out)?;
    step();
    // Best effort: the marker already lists the tree now in place.
    let _ = mark(&[out::identity(out)]);
    drop(staging);
    Ok(PreparedPackage {
        name: package.name.clone(),
        version,
        out: given.to_path_buf(),
        upstream,
        patches,
        removed_staging,
    })
}

fn apply_entry(
    package: &Package,
    entry: &PatchEntry,
    trees: &HashMap<String, PatchTree>,
    work: &mut WorkTree,
    options: &PrepareOptions,
) -> Result<PreparedPatch, PrepareError> {
    let path = package.patch_path(entry);
    let text = package
        .read_patch(entry)
        .map_err(|source| PrepareError::PatchMissing {
            file: entry.file.clone(),
            manifest: package.manifest_path.clone(),
            line: entry.line,
            source,
        })?;
    let mut parsed = parse_patches(&text).map_err(|source| PrepareError::PatchParse {
        path: path.clone(),
        source,
    })?;
    let mut strip = entry.strip;
    // A melange step working in a folder of the source patches the paths under it.
    if let Some(PatchTree::Inside(folder)) = trees.get(&entry.file) {
        strip = Patch::move_all_into(&mut parsed, folder.as_bytes(), strip);
    }
    let apply_options = ApplyOptions {
        strip,
        fuzz: options.fuzz,
        reverse: false,
    };
    // dpkg-source (and quilt) run GNU patch with `-E`: a file the patch empties is removed.
    let remove_emptied = package
        .native()
        .is_some_and(|n| n.kind() == crate::workspace::WorkspaceKind::Debian);
    let mut hunks = Vec::new();
    let mut applied_any = false;
    let mut skipped_any = false;
    let mut metadata = PatchMetadata::default();
    for (index, patch) in parsed.iter().enumerate() {
        if index == 0 {
            metadata = read_metadata(&patch.header);
        }
        match work.apply(patch, &apply_options) {
            Ok(applied) => {
                applied_any = true;
                if remove_emptied {
                    work.remove_emptied(&applied);
                }
                for file in applied.files {
                    hunks.extend(file.hunks.iter().map(|h| HunkPlacement {
                        file: file.path.clone(),
                        line: h.line,
                        offset: h.offset,
                        fuzz: h.fuzz,
                    }));
                }
            }
            Err(ApplyError::AlreadyApplied { .. }) => skipped_any = true,
            Err(source) => {
                return Err(PrepareError::Apply {
                    package: package.name.clone(),
                    file: entry.file.clone(),
                    source: Box::new(source),
                });
            }
        }
    }
    let (status, reason) = if skipped_any && !applied_any {
        (
            PatchOutcome::Skipped,
            Some("already-applied: every change is already in the upstream tree".to_string()),
        )
    } else {
        (PatchOutcome::Applied, None)
    };
    let mut cves = entry.cves.clone();
    for cve in metadata.cves {
        if !cves.contains(&cve) {
            cves.push(cve);
        }
    }
    let kind = if entry.status == Some(PatchStatus::Backport)
        || metadata
            .upstream_status
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("backport"))
    {
        "backport"
    } else if entry.upstream_commit.is_some() || !metadata.upstream_commits.is_empty() {
        "cherry-pick"
    } else {
        "unofficial"
    };
    Ok(PreparedPatch {
        file: entry.file.clone(),
        status,
        reason,
        sha256: hex::encode(Sha256::digest(&text)),
        hunks,
        cves,
        kind,
        text,
    })
}

/// Put the finished tree at `out`: a plain rename when `out` does not exist, else an atomic
/// exchange (Linux `renameat2(RENAME_EXCHANGE)`), falling back to two renames elsewhere. The old
/// tree ends up in the staging folder, which its owner removes.
fn swap_into_place(tree: &Path, out: &Path) -> Result<(), PrepareError> {
    let io = |source| PrepareError::Io {
        path: out.to_path_buf(),
        source,
    };
    match std::fs::symlink_metadata(out) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            std::fs::rename(tree, out).map_err(io)
        }
        Err(error) => Err(io(error)),
        Ok(meta) if !meta.is_dir() => Err(PrepareError::Out {
            path: out.to_path_buf(),
            refusal: OutRefusal::NotAFolder,
        }),
        Ok(_) => {
            #[cfg(target_os = "linux")]
            {
                use rustix::fs::{CWD, RenameFlags, renameat_with};
                if renameat_with(CWD, tree, CWD, out, RenameFlags::EXCHANGE).is_ok() {
                    return Ok(());
                }
            }
            let old = tree.with_file_name("old");
            std::fs::rename(out, &old).map_err(io)?;
            std::fs::rename(tree, out).map_err(io)
        }
    }
}

//! The shared package model for packages read in place: a melange package or a Debian source
//! package becomes the same [`Package`] a `package.yaml` gives, so every command works on it
//! unchanged. What a manifest has no place for stays reachable through [`NativeOrigin`] (kept
//! in `Upstream::native`): the tag of any version through melange's `var-transforms`, the
//! integrity pins of the package's own version, the component tarballs of a Debian package,
//! and the reader's positions for the editors.
//!
//! The mapping, field by field, is in docs/native.md.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::NativeError;
use super::debian::{self, DebianOptions, DebianSource};
use super::melange::{self, MelangeOptions, MelangePackage, PatchLocation, PatchTree};
use crate::upstream::{FetchError, Fetcher, Provenance, SourceSpec};
use crate::workspace::journal::JournalPlace;
use crate::workspace::{
    Manifest, Package, PatchEntry, Upstream, UpstreamSource, Workspace, WorkspaceError,
    WorkspaceKind,
};

/// A package read in place, as its reader read it.
#[derive(Debug, Clone)]
pub enum NativeOrigin {
    /// A package file of a melange repository.
    Melange(Arc<MelangePackage>),
    /// An unpacked Debian source package.
    Debian(Arc<DebianSource>),
}

impl PartialEq for NativeOrigin {
    /// The same reading (a package is read once per load).
    fn eq(&self, other: &NativeOrigin) -> bool {
        match (self, other) {
            (NativeOrigin::Melange(a), NativeOrigin::Melange(b)) => Arc::ptr_eq(a, b),
            (NativeOrigin::Debian(a), NativeOrigin::Debian(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl NativeOrigin {
    /// The kind of workspace the package was read from.
    pub fn kind(&self) -> WorkspaceKind {
        match self {
            NativeOrigin::Melange(_) => WorkspaceKind::Melange,
            NativeOrigin::Debian(_) => WorkspaceKind::Debian,
        }
    }

    /// The root of the workspace: the melange repository, the Debian source tree.
    pub fn workspace_root(&self) -> &Path {
        match self {
            NativeOrigin::Melange(package) => package
                .file
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new(".")),
            NativeOrigin::Debian(source) => &source.root,
        }
    }

    /// Where an edit of the package keeps its journal (`Workspace::journal_place`).
    pub fn journal_place(&self) -> JournalPlace {
        match self {
            NativeOrigin::Melange(package) => {
                let root = self.workspace_root().to_path_buf();
                JournalPlace {
                    package: package
                        .file
                        .file_stem()
                        .and_then(|s| s.to_str())
                        .unwrap_or_default()
                        .to_string(),
                    folder: Some(root.clone()),
                    root,
                }
            }
            NativeOrigin::Debian(source) => debian_journal_place(&source.root),
        }
    }

    /// The folder every file an edit of the package changes is in: the melange repository
    /// (`<pkg>.yaml` and `<pkg>/`), the Debian tree's `debian/`.
    pub fn edit_folder(&self) -> PathBuf {
        match self {
            NativeOrigin::Melange(_) => self.workspace_root().to_path_buf(),
            NativeOrigin::Debian(source) => source.root.join("debian"),
        }
    }

    /// The tags to try for `version`, when the native format decides them: melange computes
    /// the `git-checkout` tag of any version (`var-transforms` included); an empty list means
    /// the tag of that version cannot be computed (it is never guessed). `None`: the default
    /// rule of `package.yaml` applies.
    pub fn tag_candidates(&self, version: &str) -> Option<Vec<String>> {
        match self {
            NativeOrigin::Melange(package) => Some(melange_tags(package, version)),
            NativeOrigin::Debian(source) => Some(debian_tags(source, version)),
        }
    }

    /// Where the upstream tree of `version` comes from, when the native format says more than
    /// the manifest's source can: `None` leaves it to the manifest.
    pub fn source_spec(&self, version: &str) -> Option<SourceSpec> {
        match self {
            NativeOrigin::Melange(package) => melange_source(package, version),
            NativeOrigin::Debian(source) => Some(debian_source(source, version)),
        }
    }

    /// The component tarballs of `version` that dpkg-source unpacks into `<component>/` of the
    /// tree (Debian's `<source>_<upstream>.orig-<component>.tar.*` beside it): each one's name,
    /// archive and the sha256 the `.dsc` pins, if it does. Empty for every other format.
    pub fn components(&self, version: &str) -> Vec<(String, PathBuf, Option<String>)> {
        let NativeOrigin::Debian(source) = self else {
            return Vec::new();
        };
        if version == source.upstream_version() {
            return source
                .orig
                .components
                .iter()
                .map(|c| (c.name.clone(), c.path.clone(), source.dsc_sha256(&c.path)))
                .collect();
        }
        debian::orig::find(&source.orig.folder, source.name(), version)
            .map(|orig| {
                orig.components
                    .into_iter()
                    .map(|c| (c.name, c.path, None))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The sha512 a `fetch` of `version` must have (melange's `expected-sha512`, when no
    /// `expected-sha256` is given), for the package's own version only.
    pub fn expected_sha512(&self, version: &str) -> Option<String> {
        let NativeOrigin::Melange(package) = self else {
            return None;
        };
        let at = package.at(version).ok()?;
        if !at.own_version || !at.git_checkouts.is_empty() {
            return None;
        }
        let fetch = at.fetches.first()?;
        fetch
            .expected_sha256
            .is_none()
            .then(|| fetch.expected_sha512.clone())
            .flatten()
    }
}

impl NativeOrigin {
    /// Check what was fetched for `version` against the format's integrity pins that neither
    /// the fetcher nor the manifest's `commit:` check: melange's `expected-sha512`.
    pub fn verify(
        &self,
        version: &str,
        fetched: &Provenance,
        fetcher: &Fetcher,
    ) -> Result<(), FetchError> {
        if let Some(expected) = self.expected_sha512(version) {
            let expected = expected.trim().to_ascii_lowercase();
            let archive = if !fetched.url.contains("://") {
                Some(PathBuf::from(&fetched.url))
            } else if let Some(sha256) = &fetched.sha256 {
                fetcher.cache().find_tarball(sha256)?
            } else {
                None
            };
            let actual = match archive {
                Some(path) => sha512_file(&path)?,
                None => String::new(),
            };
            if actual != expected {
                return Err(FetchError::OtherChecksum {
                    url: fetched.url.clone(),
                    algorithm: "sha512",
                    expected,
                    actual,
                });
            }
        }
        Ok(())
    }
}

/// The sha512 of a file, in lower-case hex.
pub(crate) fn sha512_file(path: &Path) -> Result<String, FetchError> {
    use sha2::Digest;
    use std::io::Read;
    let mut file = fs_err::File::open(path).map_err(|e| FetchError::io(path, e))?;
    let mut hasher = sha2::Sha512::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let read = file
            .read(&mut buffer)
            .map_err(|e| FetchError::io(path, e))?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// The journal of an edit of the Debian source package at `tree`: in the `.mindelta/` of the
/// folder above the tree, named after the tree's folder; the edit's paths are in `debian/`.
pub fn debian_journal_place(tree: &Path) -> JournalPlace {
    let absolute = std::path::absolute(tree).unwrap_or_else(|_| tree.to_path_buf());
    let name = absolute
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "source".into());
    JournalPlace {
        root: absolute
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| absolute.clone()),
        package: name,
        folder: Some(tree.join("debian")),
    }
}

/// The packages of a native workspace, sorted.
pub fn package_names(workspace: &Workspace) -> Result<Vec<String>, NativeError> {
    match workspace.kind {
        WorkspaceKind::Melange => {
            let files =
                melange::package_files(&workspace.root).map_err(|source| NativeError::Io {
                    path: workspace.root.clone(),
                    source,
                })?;
            Ok(files
                .iter()
                .filter_map(|f| f.file_stem().and_then(|s| s.to_str()).map(str::to_string))
                .collect())
        }
        WorkspaceKind::Debian => {
            let changelog = debian::changelog::read(
                &workspace.root.join("debian/changelog"),
                DebianOptions::default().max_changelog_entry_bytes,
            )?;
            Ok(vec![changelog.source.value])
        }
        WorkspaceKind::Manifests => Ok(Vec::new()),
    }
}

/// Read one package of a native workspace into the shared model.
pub fn load(workspace: &Workspace, name: &str) -> Result<Package, WorkspaceError> {
    match workspace.kind {
        WorkspaceKind::Melange => {
            let path = workspace.root.join(format!("{name}.yaml"));
            let is_package = !name.is_empty()
                && !name.contains(['/', '\\'])
                && !name.starts_with('.')
                && melange::is_package_file(&path);
            if !is_package {
                return Err(WorkspaceError::UnknownPackage {
                    name: name.to_string(),
                    path,
                });
            }
            let package = melange::read_package(&path, &MelangeOptions::default())
                .map_err(NativeError::from)?;
            Ok(from_melange(name, package))
        }
        WorkspaceKind::Debian => {
            let source = debian::read_source(&workspace.root, &DebianOptions::default())
                .map_err(NativeError::from)?;
            if source.name() != name {
                return Err(WorkspaceError::UnknownPackage {
                    name: name.to_string(),
                    path: source.changelog.path.clone(),
                });
            }
            Ok(from_debian(source))
        }
        WorkspaceKind::Manifests => workspace.load(name),
    }
}

/// A melange package in the shared model: its version, its first `git-checkout` (else its
/// first `fetch`, else the package folder, which melange copies into an empty workspace) and
/// every patch of the package folder that a `patch` or `git-am` step applies, in pipeline
/// order, once each.
pub fn from_melange(name: &str, package: MelangePackage) -> Package {
    let at = package.at(&package.version.value).ok();
    let checkout = at
        .as_ref()
        .and_then(|at| at.git_checkouts.iter().find(|c| c.repository.is_some()));
    let fetch = at
        .as_ref()
        .and_then(|at| at.fetches.iter().find(|f| f.uri.is_some()));
    let source = if let Some(checkout) = checkout {
        UpstreamSource::Git {
            url: checkout.repository.clone().unwrap_or_default(),
            tag: None,
            commit: checkout
                .expected_commit
                .as_ref()
                .map(|c| c.trim().to_ascii_lowercase()),
        }
    } else if let Some(fetch) = fetch {
        UpstreamSource::Tarball {
            url: fetch.uri.clone().unwrap_or_default(),
            sha256: fetch.expected_sha256.clone(),
            git: package.history_repository(),
        }
    } else {
        UpstreamSource::Dir { path: ".".into() }
    };
    let mut patches: Vec<PatchEntry> = Vec::new();
    for patch in &package.patches {
        if patch.location == PatchLocation::BuildTree
            || patches.iter().any(|p| p.file == patch.workspace_path)
        {
            continue;
        }
        let mut entry = PatchEntry::new(patch.workspace_path.clone());
        entry.strip = patch.strip;
        entry.line = match &patch.origin {
            melange::PatchOrigin::Yaml(position) => position.line,
            melange::PatchOrigin::Series { position, .. } => position.line,
        };
        patches.push(entry);
    }
    let package = Arc::new(package);
    Package {
        name: name.to_string(),
        dir: package.source_dir.clone(),
        manifest_path: package.file.clone(),
        manifest: Manifest {
            name: Some(package.name.value.clone()),
            upstream: Upstream {
                version: package.version.value.clone(),
                source,
                releases: None,
                scheme: None,
                version_line: package.version.position.line,
                native: Some(NativeOrigin::Melange(package)),
            },
            patches,
            expired: Vec::new(),
        },
    }
}

/// Which tree each patch of a melange package applies to, by file (the first step that
/// applies it, as the package lists it once); empty for other kinds, whose patches all apply
/// to the upstream's root.
pub fn patch_trees(package: &Package) -> HashMap<String, PatchTree> {
    let Some(NativeOrigin::Melange(melange)) = package.native() else {
        return HashMap::new();
    };
    let Ok(at) = melange.at(&package.manifest.upstream.version) else {
        return HashMap::new();
    };
    let mut trees = HashMap::new();
    for patch in &at.patches {
        trees
            .entry(patch.workspace_path.clone())
            .or_insert_with(|| at.patch_tree(patch));
    }
    trees
}

/// A Debian source package in the shared model: the upstream part of the changelog's version,
/// the main orig tarball beside the tree (pinned by the `.dsc`'s sha256 when there is one),
/// the repository of `debian/upstream/metadata` for the history detectors, and the series.
pub fn from_debian(source: DebianSource) -> Package {
    let main = source
        .orig
        .main
        .clone()
        .unwrap_or_else(|| expected_orig(&source, source.upstream_version()));
    let sha256 = source.dsc_sha256(&main);
    let git = source
        .upstream_metadata
        .as_ref()
        .and_then(|m| m.repository_url())
        .filter(|(url, _)| looks_like_git(url))
        .map(|(url, _)| url.to_string());
    let patches = source
        .patches()
        .iter()
        .map(|entry| {
            let mut patch = PatchEntry::new(entry.file.clone());
            patch.strip = entry.strip;
            patch.line = entry.position.line;
            patch
        })
        .collect();
    let manifest_path = source
        .series
        .as_ref()
        .map(|s| s.path.clone())
        .unwrap_or_else(|| source.changelog.path.clone());
    let source = Arc::new(source);
    Package {
        name: source.name().to_string(),
        dir: source.root.join("debian/patches"),
        manifest_path,
        manifest: Manifest {
            name: Some(source.name().to_string()),
            upstream: Upstream {
                version: source.upstream_version().to_string(),
                source: UpstreamSource::Tarball {
                    url: main.to_string_lossy().into_owned(),
                    sha256,
                    git,
                },
                releases: None,
                scheme: Some("debian".into()),
                version_line: source.changelog.version.position.line,
                native: Some(NativeOrigin::Debian(source)),
            },
            patches,
            expired: Vec::new(),
        },
    }
}

/// Whether a `Repository` URL is a git one (Debian also names fossil, Mercurial, Subversion).
fn looks_like_git(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    lower.ends_with(".git")
        || lower.starts_with("git://")
        || lower.starts_with("git@")
        || [
            "github.com/",
            "gitlab.",
            "salsa.debian.org/",
            "codeberg.org/",
            "bitbucket.org/",
        ]
        .iter()
        .any(|host| lower.contains(host))
}

/// Where `dpkg-source` would look for the main orig tarball of `version` when none is there
/// (`.tar.xz`, the compression it prefers, for the message).
fn expected_orig(source: &DebianSource, version: &str) -> PathBuf {
    source
        .orig
        .folder
        .join(format!("{}_{version}.orig.tar.xz", source.name()))
}

fn melange_tags(package: &MelangePackage, version: &str) -> Vec<String> {
    match package.at(version) {
        Ok(at) => {
            if let Some(tag) = at.tag() {
                return vec![tag.to_string()];
            }
            // A `fetch` package (or a branch checkout): the tag its update rules map to the
            // version, then the usual spellings.
            let mut tags = Vec::new();
            if let Some(tag) = package.update.tag_for_version(version) {
                tags.push(tag);
            }
            for tag in [format!("v{version}"), version.to_string()] {
                if !tags.contains(&tag) {
                    tags.push(tag);
                }
            }
            tags
        }
        Err(error) => {
            tracing::debug!(%error, version, "no tag for this version");
            Vec::new()
        }
    }
}

fn melange_source(package: &MelangePackage, version: &str) -> Option<SourceSpec> {
    let at = package.at(version).ok()?;
    if let Some(checkout) = at.git_checkouts.iter().find(|c| c.repository.is_some()) {
        return Some(SourceSpec::Git {
            url: checkout.repository.clone().unwrap_or_default(),
            tags: at.tag().map(|t| vec![t.to_string()]).unwrap_or_default(),
        });
    }
    let fetch = at.fetches.iter().find(|f| f.uri.is_some())?;
    Some(SourceSpec::Tarball {
        url: fetch.uri.clone().unwrap_or_default(),
        sha256: fetch.expected_sha256.clone().filter(|_| at.own_version),
    })
}

fn debian_source(source: &DebianSource, version: &str) -> SourceSpec {
    if version == source.upstream_version() {
        let main = source
            .orig
            .main
            .clone()
            .unwrap_or_else(|| expected_orig(source, version));
        return SourceSpec::Tarball {
            sha256: source.dsc_sha256(&main).or_else(|| local_sha256(&main)),
            url: main.to_string_lossy().into_owned(),
        };
    }
    // Another release: its orig tarball beside the tree (where `uscan --download-version`
    // puts it), else the tag of the upstream repository.
    if let Ok(orig) = debian::orig::find(&source.orig.folder, source.name(), version)
        && let Some(main) = orig.main
    {
        return SourceSpec::Tarball {
            sha256: local_sha256(&main),
            url: main.to_string_lossy().into_owned(),
        };
    }
    if let Some((url, _)) = source
        .upstream_metadata
        .as_ref()
        .and_then(|m| m.repository_url())
        .filter(|(url, _)| looks_like_git(url))
    {
        return SourceSpec::Git {
            url: url.to_string(),
            tags: debian_tags(source, version),
        };
    }
    SourceSpec::Tarball {
        url: expected_orig(source, version)
            .to_string_lossy()
            .into_owned(),
        sha256: None,
    }
}

/// The sha256 of a local file the user placed beside the tree (trusted as `dpkg-source`
/// trusts it when no `.dsc` pins it); `None` when it cannot be read.
fn local_sha256(path: &Path) -> Option<String> {
    crate::upstream::cache::sha256_file(path).ok()
}

/// Tags of a Debian upstream version: the version without a Debian repack suffix
/// (`+dfsg`, `+ds`, `~ds1`; uscan's `dversionmangle=auto`), with and without `v`.
fn debian_tags(source: &DebianSource, version: &str) -> Vec<String> {
    let mangled = source
        .watch
        .as_ref()
        .and_then(|w| w.entries.iter().find(|e| e.options.component.is_none()))
        .filter(|e| !e.options.dversionmangle.is_empty())
        .and_then(|e| debian::mangle::apply_all(&e.options.dversionmangle, version).ok())
        .unwrap_or_else(|| debian::strip_repack_suffix(version).to_string());
    let mut tags = vec![format!("v{mangled}"), mangled.clone()];
    let underscored = format!("{}-{}", source.name(), mangled);
    if !tags.contains(&underscored) {
        tags.push(underscored);
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_repositories_are_told_apart() {
        assert!(looks_like_git("https://github.com/curl/curl.git"));
        assert!(looks_like_git("https://gitlab.gnome.org/GNOME/glib"));
        assert!(!looks_like_git("https://sqlite.org/src"));
        assert!(!looks_like_git("https://hg.example.org/x"));
    }
}

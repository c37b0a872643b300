//! Release R's files for reading, as the `content` detector and `refresh` read them.
//!
//! A git upstream is read straight from the bare mirror (`crate::git`): R's tag is resolved to
//! a tree and only the blobs of the paths the series touches are read, with no checkout.
//! Tarball and dir upstreams have no object store, so R is written through
//! `Fetcher::materialize` (the same vetted writer as `prepare`) into a temporary folder that
//! lives as long as the `ReleaseTree`, and files are read from there, never through a symbolic
//! link.
//!
//! A tarball of a release other than the pinned one has no checksum in the manifest: it is
//! fetched unverified, as is a pinned tarball without one (the check changes nothing and
//! builds nothing from it); a declared checksum of the pinned release is still verified.
//!
//! The `content` detector and `refresh` may look for a file that upstream moved
//! ([`ReleaseTree::namesakes`]): R's files are then indexed by name once, on first use (the
//! whole git tree, or the files on disk, which for a selectively extracted tarball are the
//! touched paths and their namesakes).

use std::cell::OnceCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::cache::sha256_file;
use super::{FetchError, FetchOptions, Fetcher, SourceSpec, archive};
use crate::git::{EntryKind, GitError, ObjectId, Repository};
use crate::patch::path::{UnsafePath, check_no_symlink, safe_relative};
use crate::workspace::Package;

/// How many of R's files named like a path R lacks are tried, at most, where upstream may
/// have moved it ([`ReleaseTree::namesakes`]).
pub const MAX_MOVED_CANDIDATES: usize = 4;

/// Bound on the bytes read of one release-notes file.
pub const MAX_NOTES_BYTES: usize = 16 << 20;

/// Folders that may hold release notes: `doc`, `docs`, `Documentation`, git's `RelNotes`.
fn is_notes_folder(path: &str) -> bool {
    matches!(
        path.to_ascii_lowercase().as_str(),
        "doc" | "docs" | "documentation" | "documentation/relnotes"
    )
}

/// Why R's files could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    /// The mirror's objects could not be read.
    #[error("cannot read the release's git tree")]
    Git(#[from] GitError),
    /// A file or folder of the extracted tree could not be read.
    #[error("cannot read `{}`", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A path that cannot name a file of the tree.
    #[error("cannot look up the path")]
    Path(#[from] UnsafePath),
}

/// Callers that still report errors as text get the whole cause chain.
impl From<TreeError> for String {
    fn from(error: TreeError) -> String {
        crate::upstream::error_chain(&error)
    }
}

/// What is at a path of R.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A regular file (or executable) with these bytes.
    File(Vec<u8>),
    /// Nothing (or something that is not a regular file: a folder, a link, a submodule).
    Missing,
}

/// Read access to the files of one upstream release.
pub struct ReleaseTree {
    source: Source,
    /// The tag R resolved to (git upstreams).
    pub tag: Option<String>,
    /// R's regular files by last path component, built on the first [`ReleaseTree::paths_named`].
    by_name: OnceCell<HashMap<Vec<u8>, Vec<Vec<u8>>>>,
    /// The sha256 of the archive a tarball upstream's tree was read from, whole (every entry
    /// decompressed and its header parsed): the checksum a move to R writes, without reading
    /// the archive again.
    pub archive_sha256: Option<String>,
}

enum Source {
    Git {
        /// Boxed: a gix handle is large, and most trees are read from disk.
        repo: Box<Repository>,
        tree: ObjectId,
    },
    Disk {
        root: PathBuf,
        _temp: tempfile::TempDir,
    },
}

impl ReleaseTree {
    fn new(source: Source, tag: Option<String>) -> ReleaseTree {
        ReleaseTree {
            source,
            tag,
            by_name: OnceCell::new(),
            archive_sha256: None,
        }
    }

    /// A tree read from the files of `temp` (the `content` detector's tests).
    #[cfg(test)]
    pub(crate) fn in_folder(temp: tempfile::TempDir) -> ReleaseTree {
        let root = temp.path().to_path_buf();
        ReleaseTree::new(Source::Disk { root, _temp: temp }, None)
    }

    /// R's tree for `package`; a git upstream's R is the first of `tags` that exists.
    pub fn open(
        package: &Package,
        release: &str,
        fetcher: &Fetcher,
        tags: &[String],
    ) -> Result<ReleaseTree, FetchError> {
        let mut spec = SourceSpec::of(package, release);
        if let SourceSpec::Git {
            tags: spec_tags, ..
        } = &mut spec
        {
            *spec_tags = tags.to_vec();
        }
        match &mut spec {
            SourceSpec::Git { url, tags } => {
                let mirror = fetcher.git_mirror(url)?;
                let git_error = |source| FetchError::Git {
                    url: url.clone(),
                    source: Box::new(source),
                };
                let repo = Repository::open_bare(&mirror).map_err(git_error)?;
                let Some((tag, commit)) = repo.resolve_tag(tags) else {
                    return Err(if fetcher.options().offline {
                        FetchError::NotCached { url: url.clone() }
                    } else {
                        FetchError::NoSuchTag {
                            url: url.clone(),
                            tried: tags.clone(),
                        }
                    });
                };
                let tree = repo.commit_tree(commit).map_err(git_error)?;
                Ok(ReleaseTree::new(
                    Source::Git {
                        repo: Box::new(repo),
                        tree,
                    },
                    Some(tag),
                ))
            }
            SourceSpec::Tarball { sha256, .. } => {
                if release != package.manifest.upstream.version {
                    *sha256 = None;
                }
                let unverified = Fetcher::new(
                    FetchOptions {
                        allow_unverified: true,
                        ..fetcher.options().clone()
                    },
                    None,
                );
                Self::materialized(package, release, &unverified, &spec)
            }
            SourceSpec::Dir { .. } => Self::materialized(package, release, fetcher, &spec),
        }
    }

    /// R's tree for `package`, holding at least the paths `wanted` accepts (relative to the
    /// release's root, `-p` applied) and the release notes ([`is_release_notes`]).
    ///
    /// A tarball upstream whose archive is local or already cached is extracted selectively:
    /// the archive is streamed once and only the accepted entries go through the vetted
    /// writer, so a large release costs its decompression and not the writing of every file.
    /// The checksum rules are those of [`ReleaseTree::open`]. Other upstreams are opened as
    /// `open` does (git reads blobs on demand anyway).
    pub fn open_selected(
        package: &Package,
        release: &str,
        fetcher: &Fetcher,
        tags: &[String],
        wanted: &dyn Fn(&[u8]) -> bool,
    ) -> Result<ReleaseTree, FetchError> {
        let spec = SourceSpec::of(package, release);
        let SourceSpec::Tarball { url, sha256 } = &spec else {
            return Self::open(package, release, fetcher, tags);
        };
        let expected = if release == package.manifest.upstream.version {
            sha256.as_deref().map(|s| s.trim().to_ascii_lowercase())
        } else {
            None
        };
        let Some((archive, sha256)) = cached_archive(fetcher, url, expected.as_deref())? else {
            return Self::open(package, release, fetcher, tags);
        };
        let temp = check_temp_dir(fetcher)?;
        let tree = temp.path().join("tree");
        let mut layout = Layout::default();
        let mut select = |name: &[u8]| {
            let name = layout.see(name);
            let inner = name
                .iter()
                .position(|b| *b == b'/')
                .map(|slash| &name[slash + 1..]);
            [Some(name), inner]
                .into_iter()
                .flatten()
                .any(|path| !path.is_empty() && (wanted(path) || is_release_notes(path)))
        };
        archive::extract_selected(&archive, &tree, fetcher.options(), &mut select)?;
        let root = match layout.single_top() {
            Some(top) => tree.join(crate::patch::path::bytes_to_path(&top)),
            None => tree,
        };
        add_components(package, release, fetcher, &root)?;
        let mut tree = ReleaseTree::new(Source::Disk { root, _temp: temp }, None);
        tree.archive_sha256 = Some(sha256);
        Ok(tree)
    }

    fn materialized(
        package: &Package,
        release: &str,
        fetcher: &Fetcher,
        spec: &SourceSpec,
    ) -> Result<ReleaseTree, FetchError> {
        let temp = check_temp_dir(fetcher)?;
        let root = temp.path().join("tree");
        let provenance = fetcher.materialize(spec, &root)?;
        if matches!(spec, SourceSpec::Tarball { .. }) {
            add_components(package, release, fetcher, &root)?;
        }
        let mut tree = ReleaseTree::new(Source::Disk { root, _temp: temp }, None);
        if matches!(spec, SourceSpec::Tarball { .. }) {
            tree.archive_sha256 = provenance.sha256;
        }
        Ok(tree)
    }

    /// R's release notes ([`is_release_notes`]): each file's path and bytes (at most
    /// [`MAX_NOTES_BYTES`] of each), in path order.
    pub fn release_notes(&self) -> Result<Vec<(String, Vec<u8>)>, TreeError> {
        let mut paths = Vec::new();
        let mut folders = vec![String::new()];
        while let Some(folder) = folders.pop() {
            for (name, is_dir) in self.list(&folder)? {
                let path = if folder.is_empty() {
                    name
                } else {
                    format!("{folder}/{name}")
                };
                let depth = path.matches('/').count();
                if is_dir && depth < 2 && is_notes_folder(&path) {
                    folders.push(path);
                } else if !is_dir && is_release_notes(path.as_bytes()) {
                    paths.push(path);
                }
            }
        }
        paths.sort();
        let mut notes = Vec::new();
        for path in paths {
            if let Entry::File(mut bytes) = self.read(path.as_bytes())? {
                bytes.truncate(MAX_NOTES_BYTES);
                notes.push((path, bytes));
            }
        }
        Ok(notes)
    }

    /// The names in a folder of R (`""` is the root), each with whether it is a folder.
    fn list(&self, folder: &str) -> Result<Vec<(String, bool)>, TreeError> {
        match &self.source {
            Source::Git { repo, tree } => {
                let mut current = *tree;
                for component in folder.split('/').filter(|c| !c.is_empty()) {
                    let entries = repo.tree_entries(current)?;
                    match entries.into_iter().find(|e| e.name == component.as_bytes()) {
                        Some(entry) if entry.kind == EntryKind::Tree => current = entry.id,
                        _ => return Ok(Vec::new()),
                    }
                }
                Ok(repo
                    .tree_entries(current)?
                    .into_iter()
                    .filter_map(|entry| {
                        let name = String::from_utf8(entry.name).ok()?;
                        Some((name, entry.kind == EntryKind::Tree))
                    })
                    .collect())
            }
            Source::Disk { root, .. } => {
                let relative = Path::new(folder);
                if check_no_symlink(root, relative).is_err() {
                    return Ok(Vec::new());
                }
                let Ok(entries) = std::fs::read_dir(root.join(relative)) else {
                    return Ok(Vec::new());
                };
                Ok(entries
                    .flatten()
                    .filter_map(|entry| {
                        let name = entry.file_name().into_string().ok()?;
                        let kind = entry.file_type().ok()?;
                        Some((name, kind.is_dir()))
                    })
                    .collect())
            }
        }
    }

    /// Every regular file of R whose last path component is `name`: relative, `/`-separated
    /// paths, sorted. Links and submodules are not files. The first call indexes R's files
    /// by name (a walk of the git tree, or of the folder without following links); later calls
    /// only look it up.
    pub fn paths_named(&self, name: &[u8]) -> Result<Vec<Vec<u8>>, TreeError> {
        let index = match self.by_name.get() {
            Some(index) => index,
            None => {
                let mut index: HashMap<Vec<u8>, Vec<Vec<u8>>> = HashMap::new();
                for path in self.files()? {
                    index
                        .entry(last_component(&path).to_vec())
                        .or_default()
                        .push(path);
                }
                for paths in index.values_mut() {
                    paths.sort();
                }
                self.by_name.get_or_init(|| index)
            }
        };
        Ok(index.get(name).cloned().unwrap_or_default())
    }

    /// R's regular files named like `path` (not `path` itself), where upstream may have moved
    /// it: those sharing the most trailing path components with `path` first, then by path; at
    /// most `max`. The `content` detector and `refresh` both look for a moved file here.
    pub fn namesakes(&self, path: &[u8], max: usize) -> Result<Vec<Vec<u8>>, TreeError> {
        let shared = |other: &[u8]| {
            other
                .split(|b| *b == b'/')
                .rev()
                .zip(path.split(|b| *b == b'/').rev())
                .take_while(|(a, b)| a == b)
                .count()
        };
        let mut paths: Vec<(usize, Vec<u8>)> = self
            .paths_named(last_component(path))?
            .into_iter()
            .filter(|other| other != path)
            .map(|other| (shared(&other), other))
            .collect();
        paths.sort_by(|(a, a_path), (b, b_path)| b.cmp(a).then_with(|| a_path.cmp(b_path)));
        Ok(paths
            .into_iter()
            .take(max)
            .map(|(_, other)| other)
            .collect())
    }

    /// Every regular file of R, as relative `/`-separated paths.
    fn files(&self) -> Result<Vec<Vec<u8>>, TreeError> {
        match &self.source {
            Source::Git { repo, tree } => Ok(repo.regular_files(*tree)?),
            Source::Disk { root, .. } => disk_files(root),
        }
    }

    /// What R holds at `path` (relative, `/`-separated, as a patch names it).
    pub fn read(&self, path: &[u8]) -> Result<Entry, TreeError> {
        let relative = safe_relative(path)?;
        match &self.source {
            Source::Git { repo, tree } => {
                let components = relative.iter().map(|c| c.as_encoded_bytes());
                Ok(repo
                    .file_at(*tree, components)?
                    .map_or(Entry::Missing, Entry::File))
            }
            Source::Disk { root, .. } => read_disk(root, &relative),
        }
    }

    /// The submodule of R that `path` lies in (its path), if it does: R's tree holds only the
    /// submodule's commit, not its files (a melange `git-checkout` with `recurse-submodules`
    /// has them; mindelta does not fetch other repositories). Trees read from disk have none.
    pub fn submodule_of(&self, path: &[u8]) -> Result<Option<Vec<u8>>, TreeError> {
        let relative = safe_relative(path)?;
        let Source::Git { repo, tree } = &self.source else {
            return Ok(None);
        };
        let components: Vec<&[u8]> = relative.iter().map(|c| c.as_encoded_bytes()).collect();
        for end in 1..components.len() {
            match repo.entry_at(*tree, components[..end].iter().copied())? {
                Some(entry) if entry.kind == EntryKind::Submodule => {
                    return Ok(Some(components[..end].join(&b'/')));
                }
                Some(entry) if entry.kind == EntryKind::Tree => {}
                _ => return Ok(None),
            }
        }
        Ok(None)
    }
}

/// Unpack the component tarballs of `release` (a Debian source package's
/// `orig-<component>.tar.*`) into `<component>/` of the tree at `root`, replacing what the main
/// tarball had there, as dpkg-source does (`native::debian::unpack`). Each is pinned by the
/// `.dsc` when it lists it, else taken as the maintainer placed it beside the tree.
pub(crate) fn add_components(
    package: &Package,
    release: &str,
    fetcher: &Fetcher,
    root: &Path,
) -> Result<(), FetchError> {
    let Some(native) = package.native() else {
        return Ok(());
    };
    for (name, path, sha256) in native.components(release) {
        let folder = root.join(&name);
        match std::fs::symlink_metadata(&folder) {
            Ok(meta) if meta.is_dir() => {
                fs_err::remove_dir_all(&folder).map_err(|e| FetchError::io(&folder, e))?
            }
            Ok(_) => fs_err::remove_file(&folder).map_err(|e| FetchError::io(&folder, e))?,
            Err(_) => {}
        }
        let unverified = Fetcher::new(
            FetchOptions {
                allow_unverified: sha256.is_none(),
                ..fetcher.options().clone()
            },
            None,
        );
        let spec = SourceSpec::Tarball {
            url: path.to_string_lossy().into_owned(),
            sha256,
        };
        unverified.materialize(&spec, &folder)?;
    }
    Ok(())
}

/// The archive of a tarball upstream when it can be read without a download: a local file
/// (its checksum verified when one is expected) or a cached download, with its sha256. `None`:
/// download it through the fetcher.
fn cached_archive(
    fetcher: &Fetcher,
    url: &str,
    expected: Option<&str>,
) -> Result<Option<(PathBuf, String)>, FetchError> {
    let local = match url.strip_prefix("file://") {
        Some(rest) => Some(PathBuf::from(
            rest.strip_prefix("localhost").unwrap_or(rest),
        )),
        None => (!url.contains("://")).then(|| PathBuf::from(url)),
    };
    if let Some(path) = local {
        if !path.is_file() {
            return Ok(None); // the fetcher reports it
        }
        let actual = sha256_file(&path)?;
        if let Some(expected) = expected
            && expected != actual
        {
            return Err(FetchError::Integrity {
                url: url.to_owned(),
                expected: expected.to_owned(),
                actual,
            });
        }
        return Ok(Some((path, actual)));
    }
    let cache = fetcher.cache();
    let known = expected
        .map(str::to_owned)
        .or_else(|| cache.recorded_sha256(url));
    match known {
        Some(sha) => Ok(cache.find_tarball(&sha)?.map(|path| (path, sha))),
        None => Ok(None),
    }
}

/// The first path components of an archive's entries, to tell whether it holds a single top
/// folder (which `Fetcher::materialize` takes as the tree's root).
#[derive(Default)]
struct Layout {
    top: Option<Vec<u8>>,
    several: bool,
    nested: bool,
}

impl Layout {
    /// Record an entry's name; returns it without `./` prefixes.
    fn see<'n>(&mut self, mut name: &'n [u8]) -> &'n [u8] {
        while let Some(rest) = name.strip_prefix(b"./") {
            name = rest;
        }
        let trimmed = name.strip_suffix(b"/").unwrap_or(name);
        if trimmed.is_empty() || trimmed == b"." {
            return name;
        }
        let (first, rest) = match trimmed.iter().position(|b| *b == b'/') {
            Some(slash) => (&trimmed[..slash], &trimmed[slash + 1..]),
            None => (trimmed, &b""[..]),
        };
        if !rest.is_empty() || name.ends_with(b"/") {
            self.nested = true;
        }
        match &self.top {
            Some(top) if top.as_slice() != first => self.several = true,
            Some(_) => {}
            None => self.top = Some(first.to_vec()),
        }
        name
    }

    fn single_top(self) -> Option<Vec<u8>> {
        if self.several || !self.nested {
            return None;
        }
        self.top
    }
}

/// Whether a path (relative to the release's root) names release notes: `NEWS`, `ChangeLog`,
/// `CHANGES*`, `RELEASE-NOTES*`, `HISTORY*`, `WHATSNEW*` and the like at the top or in a
/// `doc`/`docs`/`Documentation` folder, and git's `Documentation/RelNotes/*`.
pub fn is_release_notes(path: &[u8]) -> bool {
    let parts: Vec<&[u8]> = path.split(|b| *b == b'/').collect();
    let (folder, name) = match parts.as_slice() {
        [name] => (None, *name),
        [folder, name] => (Some(*folder), *name),
        [b"Documentation", b"RelNotes", name] => return !name.is_empty(),
        _ => return false,
    };
    if let Some(folder) = folder {
        let folder = folder.to_ascii_lowercase();
        if !matches!(folder.as_slice(), b"doc" | b"docs" | b"documentation") {
            return false;
        }
    }
    let name = name.to_ascii_lowercase();
    const STEMS: [&[u8]; 10] = [
        b"news",
        b"changelog",
        b"changes",
        b"release-notes",
        b"release_notes",
        b"releasenotes",
        b"relnotes",
        b"history",
        b"whatsnew",
        b"security",
    ];
    STEMS.iter().any(|stem| name.starts_with(stem))
}

/// The last component of a `/`-separated path.
pub fn last_component(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|b| *b == b'/') {
        Some(slash) => &path[slash + 1..],
        None => path,
    }
}

/// The regular files under `root`, by relative path; symbolic links are neither followed nor
/// listed (a folder entry's type is the link's own, never its target's).
fn disk_files(root: &Path) -> Result<Vec<Vec<u8>>, TreeError> {
    if std::fs::symlink_metadata(root).is_ok_and(|meta| meta.file_type().is_symlink()) {
        return Ok(Vec::new());
    }
    let mut files = Vec::new();
    let mut folders: Vec<Vec<u8>> = vec![Vec::new()];
    while let Some(folder) = folders.pop() {
        let relative = crate::patch::path::bytes_to_path(&folder);
        if check_no_symlink(root, &relative).is_err() {
            continue;
        }
        let full = root.join(&relative);
        let io = |path: &Path, source| TreeError::Io {
            path: path.to_path_buf(),
            source,
        };
        let entries = match std::fs::read_dir(&full) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) => return Err(io(&full, error)),
        };
        for entry in entries {
            let entry = entry.map_err(|e| io(&full, e))?;
            let kind = entry.file_type().map_err(|e| io(&entry.path(), e))?;
            let mut path = folder.clone();
            if !path.is_empty() {
                path.push(b'/');
            }
            path.extend_from_slice(entry.file_name().as_encoded_bytes());
            if kind.is_dir() {
                folders.push(path);
            } else if kind.is_file() {
                files.push(path);
            }
        }
    }
    Ok(files)
}

fn read_disk(root: &Path, relative: &Path) -> Result<Entry, TreeError> {
    if check_no_symlink(root, relative).is_err() {
        return Ok(Entry::Missing);
    }
    let full = root.join(relative);
    let io = |source| TreeError::Io {
        path: full.clone(),
        source,
    };
    match std::fs::symlink_metadata(&full) {
        Ok(meta) if meta.is_file() => std::fs::read(&full).map(Entry::File).map_err(io),
        Ok(_) => Ok(Entry::Missing),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Entry::Missing),
        Err(error) if error.kind() == std::io::ErrorKind::NotADirectory => Ok(Entry::Missing),
        Err(error) => Err(io(error)),
    }
}

/// A temporary folder in the cache for one release tree of a check, removed when dropped.
fn check_temp_dir(fetcher: &Fetcher) -> Result<tempfile::TempDir, FetchError> {
    let temp_root = fetcher.cache().temp_dir()?;
    tempfile::Builder::new()
        .prefix("check-")
        .tempdir_in(&temp_root)
        .map_err(|source| FetchError::Io {
            path: temp_root.clone(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disk_reads_files_and_refuses_links() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path();
        std::fs::create_dir(root.join("src")).unwrap();
        std::fs::write(root.join("src/a.c"), b"int a;\n").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", root.join("link")).unwrap();
        assert_eq!(
            read_disk(root, Path::new("src/a.c")).unwrap(),
            Entry::File(b"int a;\n".to_vec())
        );
        assert_eq!(read_disk(root, Path::new("link")).unwrap(), Entry::Missing);
        assert_eq!(
            read_disk(root, Path::new("nope.c")).unwrap(),
            Entry::Missing
        );
        assert_eq!(
            read_disk(root, Path::new("src/a.c/x")).unwrap(),
            Entry::Missing
        );
    }

    #[test]
    fn paths_named_on_disk_lists_regular_files_only() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path();
        for folder in ["system", "hw/misc", "outside"] {
            std::fs::create_dir_all(root.join(folder)).unwrap();
        }
        std::fs::write(root.join("system/physmem.c"), b"int a;\n").unwrap();
        std::fs::write(root.join("hw/misc/physmem.c"), b"int b;\n").unwrap();
        std::fs::write(root.join("physmem.c.orig"), b"int c;\n").unwrap();
        std::fs::write(root.join("outside/physmem.c"), b"int d;\n").unwrap();
        std::os::unix::fs::symlink("system/physmem.c", root.join("physmem.c")).unwrap();
        std::os::unix::fs::symlink(root.join("outside"), root.join("linked")).unwrap();
        std::fs::create_dir(root.join("folder.c")).unwrap();
        let tree = ReleaseTree::in_folder(temp);
        assert_eq!(
            tree.paths_named(b"physmem.c").unwrap(),
            [
                b"hw/misc/physmem.c".to_vec(),
                b"outside/physmem.c".to_vec(),
                b"system/physmem.c".to_vec()
            ]
        );
        assert!(tree.paths_named(b"folder.c").unwrap().is_empty());
        assert!(tree.paths_named(b"nothing.c").unwrap().is_empty());
    }

    /// Run git in `dir` with `input` on stdin; its output, trimmed.
    fn git(dir: &Path, args: &[&str], input: &str) -> String {
        let output = crate::git::testing::git(dir, args, Some(input.as_bytes()));
        String::from_utf8(output).unwrap().trim().to_string()
    }

    #[test]
    fn paths_named_in_git_skips_links_and_submodules() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path();
        git(dir, &["init", "-q", "--bare"], "");
        let blob = git(dir, &["hash-object", "-w", "--stdin"], "int a;\n");
        let commit_id = "0123456789abcdef0123456789abcdef01234567";
        let folder = |entries: &[(&str, &str, &str)]| {
            let listing: String = entries
                .iter()
                .map(|(name, id, mode)| {
                    let kind = match *mode {
                        "040000" => "tree",
                        "160000" => "commit",
                        _ => "blob",
                    };
                    format!("{mode} {kind} {id}\t{name}\n")
                })
                .collect();
            git(dir, &["mktree", "--missing"], &listing)
        };
        let lib = folder(&[("a.c", &blob, "100644"), ("b.c", &blob, "100755")]);
        let deep = folder(&[("a.c", &blob, "100644")]);
        let vendor = folder(&[("deep", &deep, "040000")]);
        let root = folder(&[
            ("lib", &lib, "040000"),
            ("vendor", &vendor, "040000"),
            ("link", &blob, "120000"),
            ("a.c", &blob, "120000"),
            ("sub", commit_id, "160000"),
        ]);
        let repo = Repository::open_bare(dir).unwrap();
        let root: ObjectId = root.parse().unwrap();
        let repo = Box::new(repo);
        let tree = ReleaseTree::new(Source::Git { repo, tree: root }, None);
        assert_eq!(
            tree.paths_named(b"a.c").unwrap(),
            [b"lib/a.c".to_vec(), b"vendor/deep/a.c".to_vec()]
        );
        assert_eq!(tree.paths_named(b"b.c").unwrap(), [b"lib/b.c".to_vec()]);
        assert!(tree.paths_named(b"sub").unwrap().is_empty());
        assert!(tree.paths_named(b"link").unwrap().is_empty());
        assert_eq!(
            tree.read(b"vendor/deep/a.c").unwrap(),
            Entry::File(b"int a;\n".to_vec())
        );
        assert_eq!(tree.read(b"a.c").unwrap(), Entry::Missing);
        assert_eq!(tree.read(b"lib").unwrap(), Entry::Missing);
        assert_eq!(tree.read(b"lib/a.c/x").unwrap(), Entry::Missing);
        assert_eq!(tree.read(b"sub").unwrap(), Entry::Missing);
    }

    #[test]
    fn namesakes_share_the_most_trailing_components_first() {
        let temp = tempfile::tempdir().unwrap();
        for path in [
            "a/physmem.c",
            "b/physmem.c",
            "c/physmem.c",
            "system/x/physmem.c",
            "d/physmem.c",
            "softmmu/x/physmem.c",
            "physmem.h",
        ] {
            let full = temp.path().join(path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(full, b"int x;\n").unwrap();
        }
        let tree = ReleaseTree::in_folder(temp);
        let found = tree.namesakes(b"softmmu/x/physmem.c", 4).unwrap();
        let found: Vec<&str> = found
            .iter()
            .map(|p| std::str::from_utf8(p).unwrap())
            .collect();
        assert_eq!(
            found,
            [
                "system/x/physmem.c",
                "a/physmem.c",
                "b/physmem.c",
                "c/physmem.c"
            ]
        );
        assert_eq!(tree.namesakes(b"softmmu/x/physmem.c", 1).unwrap().len(), 1);
        assert!(tree.namesakes(b"nowhere.c", 4).unwrap().is_empty());
    }

    #[test]
    fn last_component_of_a_path() {
        assert_eq!(last_component(b"softmmu/physmem.c"), b"physmem.c");
        assert_eq!(last_component(b"a.c"), b"a.c");
    }
}

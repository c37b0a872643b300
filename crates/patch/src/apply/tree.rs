//! The in-memory tree the applier works on: a lazy read cache of the files a series touches,
//! the staged changes of the patch being applied, and the final write-back.
//!
//! A file is read from disk the first time a patch needs it and then lives in memory for the
//! whole series; `Tree::commit` folds a patch's `Stage` into the cache only once every file of
//! the patch applied, so a failing patch leaves the cache as it was. `Tree::write` puts each
//! changed file on disk once (temporary file in the same folder, then rename), in parallel.
//! `Tree::check_links` judges where the symbolic links of the tree lead once a patch is staged.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;

use super::links::{self, Escape};
use super::{ApplyError, Refusal, WriteSummary};
use crate::budget::Reservation;
use crate::path::{UnsafePath, check_no_symlink};

/// Git's mode of a symbolic link.
pub(super) const SYMLINK: u32 = 0o120000;
/// Git's mode of an executable file.
pub(super) const EXECUTABLE: u32 = 0o100755;
/// Git's mode of a regular file.
pub(super) const REGULAR: u32 = 0o100644;

/// A file's content and mode as the tree holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FileState {
    /// The bytes of a file, or the target of a symlink.
    pub content: Arc<Vec<u8>>,
    /// `REGULAR`, `EXECUTABLE` or `SYMLINK`.
    pub mode: u32,
    /// The permission bits on disk, kept when a patch does not change the mode.
    pub permissions: Option<u32>,
    /// Where the lines of `content` end, found once per content and shared by its clones.
    pub line_ends: LineEnds,
    /// The share of the binary payload budget that pays for `content`, when it was inflated
    /// from a binary payload (held as long as the content is).
    pub reservation: Option<Reservation>,
}

impl FileState {
    /// The lines of `content`, each with its terminator (see `place::split_lines`). The ends
    /// are found on first use, or were recorded when the content was spliced, so a file that
    /// many patches touch is not split again for each of them.
    pub fn lines(&self) -> Vec<&[u8]> {
        let content = &self.content[..];
        let ends = self.line_ends.0.get_or_init(|| line_ends(content));
        let mut lines = Vec::with_capacity(ends.len());
        let mut start = 0;
        for &end in ends {
            lines.push(&content[start..end]);
            start = end;
        }
        lines
    }
}

/// The end offsets of a content's lines, once known; always equal to each other (they follow
/// from the content, which `FileState` compares).
#[derive(Clone, Default)]
pub(super) struct LineEnds(Arc<OnceLock<Vec<usize>>>);

impl LineEnds {
    pub fn known(ends: Vec<usize>) -> LineEnds {
        LineEnds(Arc::new(OnceLock::from(ends)))
    }
}

impl PartialEq for LineEnds {
    fn eq(&self, _other: &LineEnds) -> bool {
        true
    }
}

impl Eq for LineEnds {}

impl std::fmt::Debug for LineEnds {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("LineEnds")
    }
}

/// The end offset of every line of `content` (after each `\n`, and the end of a last line
/// without one).
pub(super) fn line_ends(content: &[u8]) -> Vec<usize> {
    let mut ends: Vec<usize> = memchr::memchr_iter(b'\n', content)
        .map(|at| at + 1)
        .collect();
    if ends.last().copied().unwrap_or(0) < content.len() {
        ends.push(content.len());
    }
    ends
}

/// What is at a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Slot {
    File(FileState),
    Missing,
    Directory,
    /// A fifo, socket or device: never read, never written.
    Special,
}

/// The changes of one patch, not yet visible in the cache.
#[derive(Debug, Default)]
pub(super) struct Stage {
    changes: HashMap<PathBuf, Slot>,
    order: Vec<PathBuf>,
}

impl Stage {
    pub fn set(&mut self, path: PathBuf, slot: Slot) {
        if self.changes.insert(path.clone(), slot).is_none() {
            self.order.push(path);
        }
    }
}

/// The read cache and the set of changed paths.
#[derive(Debug)]
pub(super) struct Tree {
    root: PathBuf,
    /// `root` made absolute once: temporary files are created under it, since `tempfile`
    /// would otherwise ask for the working directory again for every file written.
    absolute_root: PathBuf,
    cache: HashMap<PathBuf, Slot>,
    dirty: HashSet<PathBuf>,
    /// Folders found free of symlinks on disk. Nothing on disk changes before `write` (which
    /// checks again), so each folder is walked once per series, not once per patch.
    safe_folders: HashSet<PathBuf>,
    /// Whether a path is a symbolic link on disk (its target) or not, `lstat`ed once.
    disk_links: HashMap<PathBuf, Option<Vec<u8>>>,
    /// Every symbolic link on disk, found by one walk of the tree the first time a patch
    /// changes links (most series never do).
    all_disk_links: Option<Vec<(PathBuf, Vec<u8>)>>,
}

impl Tree {
    pub fn open(root: &Path) -> Result<Tree, ApplyError> {
        let meta = std::fs::metadata(root).map_err(|source| ApplyError::Io {
            path: root.to_path_buf(),
            source,
        })?;
        if !meta.is_dir() {
            return Err(ApplyError::Io {
                path: root.to_path_buf(),
                source: std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a directory"),
            });
        }
        Ok(Tree {
            root: root.to_path_buf(),
            absolute_root: std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf()),
            cache: HashMap::new(),
            dirty: HashSet::new(),
            safe_folders: HashSet::new(),
            disk_links: HashMap::new(),
            all_disk_links: None,
        })
    }

    /// What is at `path`, staged changes first, then the cache, then the disk.
    pub fn lookup(&mut self, stage: &Stage, path: &Path) -> Result<Slot, ApplyError> {
        if let Some(slot) = stage.changes.get(path) {
            return Ok(slot.clone());
        }
        if let Some(slot) = self.cache.get(path) {
            return Ok(slot.clone());
        }
        let slot = self.load(path)?;
        self.cache.insert(path.to_path_buf(), slot.clone());
        Ok(slot)
    }

    /// Read `paths` into the cache (in parallel from `PARALLEL_FROM` paths on), ahead of the
    /// patches that need them. Only a hint: a path already known, whose folders go through a
    /// symlink, or that fails to read is left to `lookup`, which reports it when a patch gets
    /// there.
    pub fn prefetch(&mut self, paths: Vec<PathBuf>) {
        let mut paths = paths;
        paths.sort_unstable();
        paths.dedup();
        paths.retain(|path| !self.cache.contains_key(path));
        // Folders are checked once each, on this thread; only the reads are spread.
        let mut folders = Folders::default();
        let paths: Vec<(PathBuf, Option<PathBuf>)> = paths
            .into_iter()
            .filter_map(|path| {
                let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
                if let Some(parent) = parent
                    && !folders.check(&self.root, parent)
                {
                    return None;
                }
                let parent = parent.map(Path::to_path_buf);
                Some((path, parent))
            })
            .collect();
        let read = |(path, parent): (PathBuf, Option<PathBuf>)| {
            let slot = self.load(&path).ok()?;
            Some((path, parent, slot))
        };
        let loaded: Vec<(PathBuf, Option<PathBuf>, Slot)> = if paths.len() >= PARALLEL_FROM {
            paths.into_par_iter().filter_map(read).collect()
        } else {
            paths.into_iter().filter_map(read).collect()
        };
        for (path, parent, slot) in loaded {
            self.safe_folders.extend(parent);
            self.cache.insert(path, slot);
        }
    }

    fn load(&self, path: &Path) -> Result<Slot, ApplyError> {
        let full = self.root.join(path);
        let io = |source| ApplyError::Io {
            path: full.clone(),
            source,
        };
        let meta = match std::fs::symlink_metadata(&full) {
            Ok(meta) => meta,
            Err(error)
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                return Ok(Slot::Missing);
            }
            Err(error) => return Err(io(error)),
        };
        let kind = meta.file_type();
        if kind.is_symlink() {
            let target = std::fs::read_link(&full).map_err(io)?;
            return Ok(Slot::File(FileState {
                content: Arc::new(path_bytes(&target)),
                mode: SYMLINK,
                permissions: None,
                line_ends: LineEnds::default(),
                reservation: None,
            }));
        }
        if kind.is_dir() {
            return Ok(Slot::Directory);
        }
        if !kind.is_file() {
            return Ok(Slot::Special);
        }
        let size = usize::try_from(meta.len()).unwrap_or(0);
        let content = std::fs::File::open(&full)
            .and_then(|file| read_sized(file, size))
            .map_err(io)?;
        let permissions = permission_bits(&meta);
        let mode = match permissions {
            Some(bits) if bits & 0o111 != 0 => EXECUTABLE,
            _ => REGULAR,
        };
        Ok(Slot::File(FileState {
            content: Arc::new(content),
            mode,
            permissions,
            line_ends: LineEnds::default(),
            reservation: None,
        }))
    }

    /// Refuse a path that goes through a symlink, on disk or created earlier in memory. The
    /// path itself may be a symlink only when `link_ok` (a git symlink patch replaces the link,
    /// never writes through it).
    pub fn check_path(
        &mut self,
        stage: &Stage,
        path: &Path,
        link_ok: bool,
    ) -> Result<(), ApplyError> {
        let unsafe_path = |reason: UnsafePath| ApplyError::Unsafe {
            path: path.display().to_string(),
            reason: reason.into(),
        };
        let through = || UnsafePath::ThroughSymlink(path.display().to_string());
        let mut prefix = PathBuf::new();
        let components: Vec<_> = path.components().collect();
        for (index, component) in components.iter().enumerate() {
            prefix.push(component);
            let last = index + 1 == components.len();
            let known = stage
                .changes
                .get(&prefix)
                .or_else(|| self.cache.get(&prefix));
            match known {
                Some(Slot::File(state)) if state.mode == SYMLINK && !(last && link_ok) => {
                    return Err(unsafe_path(through()));
                }
                Some(Slot::File(_)) if !last => {
                    return Err(ApplyError::Mismatch {
                        file: path.display().to_string(),
                        message: format!("`{}` is a file, not a folder", prefix.display()),
                    });
                }
                _ => {}
            }
        }
        let parent = path.parent().unwrap_or(Path::new(""));
        if !parent.as_os_str().is_empty() && !self.safe_folders.contains(parent) {
            check_no_symlink(&self.root, parent).map_err(|_| unsafe_path(through()))?;
            self.safe_folders.insert(parent.to_path_buf());
        }
        let known = stage.changes.contains_key(path) || self.cache.contains_key(path);
        if !known && !link_ok {
            // Not read yet: the disk decides (the loop above judged what memory holds).
            if let Ok(meta) = std::fs::symlink_metadata(self.root.join(path))
                && meta.file_type().is_symlink()
            {
                return Err(unsafe_path(through()));
            }
        }
        Ok(())
    }

    /// The target of the symbolic link at `path` on disk, `None` if there is none. A path
    /// beneath a link on disk is not in the tree, so it is no link of the tree either.
    fn disk_link(&mut self, path: &Path) -> Option<Vec<u8>> {
        if let Some(found) = self.disk_links.get(path) {
            return found.clone();
        }
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        let beneath_link = parent.is_some_and(|parent| self.disk_link(parent).is_some());
        let found = if beneath_link {
            None
        } else {
            let full = self.root.join(path);
            match std::fs::symlink_metadata(&full) {
                Ok(meta) if meta.file_type().is_symlink() => std::fs::read_link(&full)
                    .ok()
                    .map(|target| path_bytes(&target)),
                _ => None,
            }
        };
        self.disk_links.insert(path.to_path_buf(), found.clone());
        found
    }

    /// The target of the symbolic link at `path` once `stage` is committed: staged changes
    /// first, then the cache, then the disk.
    fn link_after(&mut self, stage: &Stage, path: &Path) -> Option<Vec<u8>> {
        match stage.changes.get(path).or_else(|| self.cache.get(path)) {
            Some(Slot::File(state)) if state.mode == SYMLINK => Some(state.content.to_vec()),
            Some(_) => None,
            None => self.disk_link(path),
        }
    }

    /// Refuse the staged patch if a symbolic link of the tree, as the patch leaves it, leads
    /// out of the tree (or into `.git`, or loops): each link is followed through all the others,
    /// those on disk, those earlier patches made and those of this patch, as the kernel would.
    /// Only a patch that creates, retargets or removes a link can change where links lead, so
    /// the others cost nothing. A link already on disk that led out of the tree before the
    /// series (a tree given to `apply -C` may hold one) is not this patch's doing and is left
    /// alone; the applier never writes through it.
    pub fn check_links(&mut self, stage: &Stage) -> Result<(), ApplyError> {
        let is_link =
            |slot: Option<&Slot>| matches!(slot, Some(Slot::File(s)) if s.mode == SYMLINK);
        let mut changes_links = false;
        for path in &stage.order {
            let was_link = match self.cache.get(path) {
                Some(slot) => is_link(Some(slot)),
                None => self.disk_link(path).is_some(),
            };
            changes_links |= was_link || is_link(stage.changes.get(path));
        }
        if !changes_links {
            return Ok(());
        }
        if self.all_disk_links.is_none() {
            self.all_disk_links = Some(links::disk_links(&self.root));
        }
        let on_disk: HashMap<PathBuf, Vec<u8>> =
            self.all_disk_links.iter().flatten().cloned().collect();
        // Every link of the tree after this patch, and whether it is as it was on disk.
        let mut all: BTreeMap<PathBuf, (Vec<u8>, bool)> = on_disk
            .iter()
            .map(|(path, target)| (path.clone(), (target.clone(), true)))
            .collect();
        for (path, slot) in self.cache.iter().chain(&stage.changes) {
            match slot {
                Slot::File(state) if state.mode == SYMLINK => {
                    let target = state.content.to_vec();
                    let as_on_disk = on_disk.get(path) == Some(&target);
                    all.insert(path.clone(), (target, as_on_disk));
                }
                _ => {
                    all.remove(path);
                }
            }
        }
        // The links this series made first, so that the error names the new link.
        let ordered = all
            .iter()
            .filter(|(_, (_, as_on_disk))| !as_on_disk)
            .chain(all.iter().filter(|(_, (_, as_on_disk))| *as_on_disk));
        for (link, (target, as_on_disk)) in ordered {
            let Err(escape) =
                links::resolve(link, target, &mut |path| self.link_after(stage, path))
            else {
                continue;
            };
            if *as_on_disk
                && links::resolve(link, target, &mut |path| self.disk_link(path)).is_err()
            {
                continue;
            }
            let shown = String::from_utf8_lossy(target).into_owned();
            let link_shown = link.display().to_string();
            let reason = match escape {
                Escape::Outside { via } => Refusal::LinkEscapes {
                    link: link_shown.clone(),
                    target: shown,
                    via: via.map(|via| via.display().to_string()),
                },
                Escape::IntoGit => Refusal::LinkIntoGit {
                    link: link_shown.clone(),
                    target: shown,
                },
                Escape::Loop => Refusal::LinkLoop {
                    link: link_shown.clone(),
                    target: shown,
                },
            };
            return Err(ApplyError::Unsafe {
                path: link_shown,
                reason,
            });
        }
        Ok(())
    }

    /// Delete the regular file at `path` if it is empty (not a link), as GNU patch's `-E`
    /// removes the output files a patch leaves empty; whether it did.
    pub fn remove_if_empty(&mut self, path: &Path) -> bool {
        let empty = matches!(
            self.cache.get(path),
            Some(Slot::File(state)) if state.mode != SYMLINK && state.content.is_empty()
        );
        if empty {
            self.cache.insert(path.to_path_buf(), Slot::Missing);
            self.dirty.insert(path.to_path_buf());
        }
        empty
    }

    /// Make a patch's staged changes part of the tree.
    pub fn commit(&mut self, stage: Stage) {
        let Stage { mut changes, order } = stage;
        for path in order {
            if let Some(slot) = changes.remove(&path) {
                self.cache.insert(path.clone(), slot);
                self.dirty.insert(path);
            }
        }
    }

    /// Put every changed path on disk once: deletions first (and the folders they empty),
    /// then the writes, in parallel.
    pub fn write(self) -> Result<WriteSummary, ApplyError> {
        let mut deletions = Vec::new();
        let mut writes = Vec::new();
        for path in &self.dirty {
            match self.cache.get(path) {
                Some(Slot::File(state)) => writes.push((path.clone(), state.clone())),
                Some(Slot::Missing) => deletions.push(path.clone()),
                _ => {}
            }
        }
        deletions.sort();
        writes.sort_by(|a, b| a.0.cmp(&b.0));
        let mut deleted = 0;
        let mut folders = Folders::default();
        for path in &deletions {
            let full = self.root.join(path);
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                // The folders above must still be real folders, not links put there since.
                if !folders.check(&self.root, parent) {
                    return Err(refused(path));
                }
            }
            match std::fs::remove_file(&full) {
                Ok(()) => deleted += 1,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(ApplyError::Io { path: full, source }),
            }
            self.remove_empty_parents(path);
        }
        // Checked again now that deletions may have removed folders: each folder once, on this
        // thread, before any file is written (the writes only add files and folders).
        let mut folders = Folders::default();
        let mut planned = Vec::with_capacity(writes.len());
        for (path, state) in &writes {
            let parent = path.parent().unwrap_or(Path::new(""));
            if !parent.as_os_str().is_empty() && !folders.check(&self.root, parent) {
                return Err(refused(path));
            }
            let exists = parent.as_os_str().is_empty() || folders.exists(parent);
            planned.push((path, state, exists));
        }
        let write = |(path, state, exists): &(&PathBuf, &FileState, bool)| {
            self.write_file(path, state, *exists)
        };
        let results: Vec<Result<(), ApplyError>> = if planned.len() >= PARALLEL_FROM {
            planned.par_iter().map(write).collect()
        } else {
            planned.iter().map(write).collect()
        };
        for result in results {
            result?;
        }
        Ok(WriteSummary {
            written: writes.len(),
            deleted,
        })
    }

    fn remove_empty_parents(&self, path: &Path) {
        let mut current = path.parent();
        while let Some(dir) = current.filter(|d| !d.as_os_str().is_empty()) {
            // `remove_dir` fails on a folder that is not empty: that is where we stop.
            if std::fs::remove_dir(self.root.join(dir)).is_err() {
                break;
            }
            current = dir.parent();
        }
    }

    /// Write one file whose folders were checked; `folder_exists` spares the `mkdir` calls of
    /// `create_dir_all` when the folder is known to be there.
    fn write_file(
        &self,
        path: &Path,
        state: &FileState,
        folder_exists: bool,
    ) -> Result<(), ApplyError> {
        let full = self.root.join(path);
        let parent = full.parent().unwrap_or(&self.root).to_path_buf();
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| ApplyError::Io { path, source }
        };
        if !folder_exists {
            std::fs::create_dir_all(&parent).map_err(io(&parent))?;
        }
        if state.mode == SYMLINK {
            return write_symlink(&parent, &full, &state.content);
        }
        let temp_folder = match path.parent() {
            Some(folder) => self.absolute_root.join(folder),
            None => self.absolute_root.clone(),
        };
        let mut temp = tempfile::Builder::new()
            .prefix(".mindelta-")
            .tempfile_in(&temp_folder)
            .map_err(io(&parent))?;
        temp.write_all(&state.content).map_err(io(&full))?;
        set_permissions(temp.as_file(), state).map_err(io(&full))?;
        temp.persist(&full).map_err(|error| ApplyError::Io {
            path: full.clone(),
            source: error.error,
        })?;
        Ok(())
    }
}

/// Read a whole file whose size `symlink_metadata` gave: one `read` for the content and one
/// that finds the end, without the `fstat` and `lseek` that `fs::read` spends on sizing its
/// buffer. A file that grew meanwhile is still read to its end.
fn read_sized(mut file: std::fs::File, size: usize) -> std::io::Result<Vec<u8>> {
    let mut content = vec![0; size.saturating_add(1)];
    let mut filled = 0;
    loop {
        if filled == content.len() {
            content.resize(filled.saturating_mul(2).max(8192), 0);
        }
        match file.read(&mut content[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    content.truncate(filled);
    Ok(content)
}

/// Below this many files, prefetching and writing stay on the calling thread: starting rayon's
/// pool and handing it the work costs more than it saves on a small series.
const PARALLEL_FROM: usize = 16;

/// Folders walked for symlinks during one pass, so that files sharing folders do not `lstat`
/// the same components again. The walk is `path::check_no_symlink`'s.
#[derive(Default)]
struct Folders {
    /// Folders whose every component exists on disk and is not a symlink.
    real: HashSet<PathBuf>,
}

impl Folders {
    /// Whether no existing component of `relative` (under `root`) is a symlink. A missing
    /// component ends the walk: nothing below it exists to be a link.
    fn check(&mut self, root: &Path, relative: &Path) -> bool {
        if self.real.contains(relative) {
            return true;
        }
        let mut prefix = PathBuf::new();
        for component in relative.components() {
            prefix.push(component);
            if self.real.contains(&prefix) {
                continue;
            }
            match std::fs::symlink_metadata(root.join(&prefix)) {
                Ok(meta) if meta.file_type().is_symlink() => return false,
                Ok(meta) if meta.is_dir() => {
                    self.real.insert(prefix.clone());
                }
                Ok(_) => {}
                Err(_) => return true,
            }
        }
        true
    }

    /// Whether `check` found `relative` to be an existing folder.
    fn exists(&self, relative: &Path) -> bool {
        self.real.contains(relative)
    }
}

fn refused(path: &Path) -> ApplyError {
    ApplyError::Unsafe {
        path: path.display().to_string(),
        reason: UnsafePath::ThroughSymlink(path.display().to_string()).into(),
    }
}

#[cfg(unix)]
fn permission_bits(meta: &std::fs::Metadata) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    Some(meta.permissions().mode() & 0o7777)
}

#[cfg(not(unix))]
fn permission_bits(_meta: &std::fs::Metadata) -> Option<u32> {
    None
}

/// The permission bits to give a written file: the old ones when the mode did not change,
/// else 0755/0644; setuid and setgid never survive.
#[cfg(unix)]
fn set_permissions(file: &std::fs::File, state: &FileState) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let bits = match state.permissions {
        Some(bits) => bits,
        None if state.mode == EXECUTABLE => 0o755,
        None => 0o644,
    } & !0o6000;
    file.set_permissions(std::fs::Permissions::from_mode(bits))
}

#[cfg(not(unix))]
fn set_permissions(_file: &std::fs::File, _state: &FileState) -> std::io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn write_symlink(parent: &Path, full: &Path, target: &[u8]) -> Result<(), ApplyError> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        ".mindelta-link-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let temp = parent.join(name);
    let target = crate::path::bytes_to_path(target);
    std::os::unix::fs::symlink(&target, &temp).map_err(|source| ApplyError::Io {
        path: temp.clone(),
        source,
    })?;
    std::fs::rename(&temp, full).map_err(|source| {
        let _ = std::fs::remove_file(&temp);
        ApplyError::Io {
            path: full.to_path_buf(),
            source,
        }
    })
}

#[cfg(not(unix))]
fn write_symlink(_parent: &Path, full: &Path, _target: &[u8]) -> Result<(), ApplyError> {
    Err(ApplyError::Io {
        path: full.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::Unsupported, "symbolic links"),
    })
}

/// The bytes of an OS path.
fn path_bytes(path: &Path) -> Vec<u8> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        path.as_os_str().as_bytes().to_vec()
    }
    #[cfg(not(unix))]
    {
        path.to_string_lossy().into_owned().into_bytes()
    }
}

//! Safe extraction of upstream archives, and the vetted tree writer every source uses.
//!
//! An archive is untrusted input. [`extract`] reads tar (plain, gzip, xz, bzip2, zstd) and zip,
//! and hands each entry to a [`TreeWriter`], which refuses what could escape the destination:
//! absolute paths and `..` (via `patch::path::safe_relative`), entries through a symbolic link
//! of the same tree, links that resolve outside it, hard links to anything but a regular file
//! already extracted, device files and fifos. Setuid/setgid/sticky bits are dropped, and the
//! expanded size is bounded ([`FetchError::TooLarge`]), so a decompression bomb stops early.
//!
//! Memory is bounded as well: a decompressor's dictionary or window is read from the archive's
//! header and reserved from the process's shared budget before the decoder exists
//! (`decoder.rs`, `memory.rs`), and the tar reader may hold at most
//! [`MAX_TAR_HEADER_BYTES`] of headers, long names and pax records per entry.
//!
//! The tar crate's own `unpack` is never called: it creates symbolic links that point out of
//! the tree. Symbolic links are instead collected while the entries stream by and created at
//! the end, once the whole set is known: each target is resolved through the other links of the
//! tree, exactly as the kernel would, and must stay inside the tree as it is written (for a
//! release, below its stripped top folder). Until then no link exists on disk, so no entry can
//! be written through one.

mod decoder;

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};
use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::patch::path::{UnsafePath, bytes_to_path, check_no_symlink, safe_relative};

use super::memory::{self, Reservation};
use super::{FetchError, FetchOptions};

/// Bytes charged per entry, so a bomb of empty entries is bounded too (one tar header).
const ENTRY_COST: u64 = 512;
/// Bound on link expansions while resolving one symbolic link (as Linux's `MAXSYMLINKS`).
const MAX_LINK_EXPANSIONS: usize = 40;
/// Bound on the bytes the tar reader may read between the end of one entry's data and the
/// start of the next: headers, GNU long names and link names, pax records and sparse maps,
/// which it holds in memory. Linux paths are at most 4 KiB and pax records of real archives a
/// few KiB; a long name of 4 GiB of zeros compresses to a few MB and would be read whole.
pub const MAX_TAR_HEADER_BYTES: u64 = 1 << 20;

/// The bounds of one extraction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveLimits {
    /// Bound on the bytes written, or decompressed and left out by a selection (plus
    /// [`ENTRY_COST`] per entry).
    pub max_expanded_bytes: u64,
    /// Bound on the decompressor's memory, shared with every other running decoder.
    pub max_decoder_memory: u64,
}

impl From<u64> for ArchiveLimits {
    /// `max_expanded_bytes`, with the default memory bound.
    fn from(max_expanded_bytes: u64) -> ArchiveLimits {
        ArchiveLimits {
            max_expanded_bytes,
            max_decoder_memory: memory::DEFAULT_MAX_DECODER_MEMORY,
        }
    }
}

impl From<&FetchOptions> for ArchiveLimits {
    fn from(options: &FetchOptions) -> ArchiveLimits {
        ArchiveLimits {
            max_expanded_bytes: options.max_expanded_bytes,
            max_decoder_memory: options.max_decoder_memory,
        }
    }
}

/// Extract `archive` into `dest` (created if missing), vetting every entry.
///
/// The format is read from the file's magic bytes, else from its name: `.tar`, `.tar.gz`/`.tgz`,
/// `.tar.xz`, `.tar.bz2`, `.tar.zst`, `.zip`. The size bound counts the bytes written plus 512
/// per entry.
pub fn extract(
    archive: &Path,
    dest: &Path,
    limits: impl Into<ArchiveLimits>,
) -> Result<(), FetchError> {
    let writer = extract_filtered(archive, dest, limits.into(), None)?;
    writer.finish()
}

/// Extract a release archive into `dest` as [`extract`] does; returns the root of the tree:
/// its single top-level folder (`zlib-1.3/`) if it has one, else `dest`. Symbolic links are
/// checked against that root, so none points above it once the top folder is stripped.
pub(crate) fn extract_release(
    archive: &Path,
    dest: &Path,
    limits: ArchiveLimits,
) -> Result<PathBuf, FetchError> {
    let writer = extract_filtered(archive, dest, limits, None)?;
    writer.finish_release()
}

/// Extract only the entries of `archive` whose name `wanted` accepts, vetting each one as
/// [`extract`] does; `wanted` sees every entry's name (as written in the archive), so a
/// caller can also learn the archive's layout. Folders are created only as parents of what
/// is written. A hard link whose target was not extracted is skipped (its target's bytes were
/// never read), and so is a symbolic link once an entry has been left out (a link can only
/// be vetted against the whole set of links).
pub fn extract_selected(
    archive: &Path,
    dest: &Path,
    limits: impl Into<ArchiveLimits>,
    wanted: &mut dyn FnMut(&[u8]) -> bool,
) -> Result<(), FetchError> {
    let writer = extract_filtered(archive, dest, limits.into(), Some(wanted))?;
    writer.finish()
}

/// Read `archive` through as [`extract`] would — every entry decompressed under the same
/// bounds, every header parsed, every name vetted — and write nothing: the proof that it unpacks
/// on which a checksum is written. (Links are vetted when a tree is extracted: they can only be
/// judged against the tree.) `scratch` is a folder this may create and leaves empty.
pub(crate) fn validate(
    archive: &Path,
    scratch: &Path,
    limits: ArchiveLimits,
) -> Result<(), FetchError> {
    let mut refused: Option<(Vec<u8>, UnsafePath)> = None;
    let mut vet = |name: &[u8]| {
        if refused.is_none()
            && let Err(error) = safe_relative(name)
        {
            refused = Some((name.to_vec(), error));
        }
        false
    };
    let writer = extract_filtered(archive, scratch, limits, Some(&mut vet))?;
    match refused {
        Some((name, error)) => Err(writer.refuse(&name, unsafe_reason(&error))),
        None => Ok(()),
    }
}

/// Why an entry's name is refused, in words.
fn unsafe_reason(error: &UnsafePath) -> &'static str {
    match error {
        UnsafePath::Absolute(_) => "absolute paths are refused",
        UnsafePath::ParentComponent(_) => "`..` components are refused",
        UnsafePath::Invalid(_) => "empty or invalid name",
        UnsafePath::ThroughSymlink(_) => "goes through a symbolic link",
    }
}

/// The selection of [`extract_selected`]; `None` extracts everything.
type Selection<'a> = Option<&'a mut dyn FnMut(&[u8]) -> bool>;

/// Stream every selected entry of `archive` into a writer; its links are created by the
/// caller's `finish`.
fn extract_filtered(
    archive: &Path,
    dest: &Path,
    limits: ArchiveLimits,
    mut wanted: Selection<'_>,
) -> Result<TreeWriter, FetchError> {
    let label = archive.display().to_string();
    let (format, head) = detect(archive)?;
    let file = fs_err::File::open(archive).map_err(|e| FetchError::io(archive, e))?;
    let file = std::io::BufReader::with_capacity(64 * 1024, file);
    let mut writer = TreeWriter::new(dest, &label, limits.max_expanded_bytes)?;
    let bad = |reason: std::io::Error| bad_archive(&label, reason);
    let reserve = |needed: u64| -> Result<Reservation<'static>, FetchError> {
        memory::reserve(needed, limits.max_decoder_memory).map_err(|over| {
            FetchError::DecoderMemory {
                archive: label.clone(),
                needed: over.needed,
                limit: over.limit,
            }
        })
    };
    match format {
        Format::Zip => extract_zip(archive, &label, &mut writer, &mut wanted)?,
        Format::Tar => extract_tar(file, &mut writer, &mut wanted)?,
        Format::TarGz => extract_tar(
            flate2::read::MultiGzDecoder::new(file),
            &mut writer,
            &mut wanted,
        )?,
        Format::TarXz => {
            let reservation = reserve(decoder::xz_memory(&head))?;
            // liblzma's own limit is what was reserved: a later block or stream that asks
            // for more fails instead of allocating.
            let stream = liblzma::stream::Stream::new_stream_decoder(
                reservation.bytes(),
                liblzma::stream::CONCATENATED,
            )
            .map_err(|e| bad(e.into()))?;
            let decoder = liblzma::read::XzDecoder::new_stream(file, stream);
            extract_tar(decoder, &mut writer, &mut wanted)
                .map_err(|error| memory_error(error, &label, reservation.bytes()))?
        }
        Format::TarBz2 => extract_tar(
            bzip2::read::MultiBzDecoder::new(file),
            &mut writer,
            &mut wanted,
        )?,
        Format::TarZst => {
            let (window_log, needed) = decoder::zstd_window(&head);
            let reservation = reserve(needed)?;
            let mut decoder = zstd::stream::read::Decoder::with_buffer(file).map_err(bad)?;
            decoder.window_log_max(window_log).map_err(bad)?;
            extract_tar(decoder, &mut writer, &mut wanted)
                .map_err(|error| memory_error(error, &label, reservation.bytes()))?
        }
    }
    Ok(writer)
}

/// A decoder's refusal to pass its reserved memory, said as such (the first block or frame
/// was within the reservation, a later one asked for more).
fn memory_error(error: FetchError, label: &str, reserved: u64) -> FetchError {
    match &error {
        FetchError::BadArchive { reason, .. }
            if reason.contains("memory limit") || reason.contains("too much memory") =>
        {
            FetchError::BadArchive {
                archive: label.to_owned(),
                reason: format!(
                    "a later block needs more than the {reserved} bytes of memory its first block declared"
                ),
            }
        }
        _ => error,
    }
}

/// The archive formats [`extract`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Tar,
    TarGz,
    TarXz,
    TarBz2,
    TarZst,
    Zip,
}

/// Bytes read from the start of an archive: its magic, the tar header's `ustar`, and the
/// compressor's first header (an xz block header is at most 1 KiB after 12 bytes).
const HEAD_BYTES: u64 = 2048;

/// The format of an archive, from its magic bytes, else from its name; and its first bytes.
fn detect(archive: &Path) -> Result<(Format, Vec<u8>), FetchError> {
    let mut head = Vec::with_capacity(HEAD_BYTES as usize);
    let file = fs_err::File::open(archive).map_err(|e| FetchError::io(archive, e))?;
    file.take(HEAD_BYTES)
        .read_to_end(&mut head)
        .map_err(|e| FetchError::io(archive, e))?;
    let by_magic = if head.starts_with(&[0x1f, 0x8b]) {
        Some(Format::TarGz)
    } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Some(Format::TarXz)
    } else if head.starts_with(b"BZh") {
        Some(Format::TarBz2)
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some(Format::TarZst)
    } else if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Some(Format::Zip)
    } else if head.get(257..262) == Some(b"ustar") {
        Some(Format::Tar)
    } else {
        None
    };
    if let Some(format) = by_magic {
        return Ok((format, head));
    }
    let name = archive
        .file_name()
        .map(|name| name.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let by_name = [
        (".tar", Format::Tar),
        (".tar.gz", Format::TarGz),
        (".tgz", Format::TarGz),
        (".tar.xz", Format::TarXz),
        (".txz", Format::TarXz),
        (".tar.bz2", Format::TarBz2),
        (".tbz2", Format::TarBz2),
        (".tar.zst", Format::TarZst),
        (".zip", Format::Zip),
    ];
    by_name
        .iter()
        .find(|(suffix, _)| name.ends_with(suffix))
        .map(|(_, format)| (*format, head))
        .ok_or_else(|| FetchError::BadArchive {
            archive: archive.display().to_string(),
            reason:
                "unknown archive format (expected tar, tar.gz, tar.xz, tar.bz2, tar.zst or zip)"
                    .into(),
        })
}

fn bad_archive(label: &str, reason: impl std::fmt::Display) -> FetchError {
    FetchError::BadArchive {
        archive: label.to_owned(),
        reason: reason.to_string(),
    }
}

/// Stream the entries of a tar archive into the writer.
fn extract_tar(
    reader: impl Read,
    writer: &mut TreeWriter,
    wanted: &mut Selection<'_>,
) -> Result<(), FetchError> {
    use tar::EntryType;
    let label = writer.label.clone();
    let bound = Rc::new(HeaderBound::default());
    let mut archive = tar::Archive::new(BoundedReader {
        inner: reader,
        bound: bound.clone(),
    });
    // With a selection, links are left out and hard links kept only to extracted files.
    let mut extracted: HashSet<Vec<u8>> = HashSet::new();
    let all = wanted.is_none();
    let entries = archive.entries().map_err(|e| bound.error(&label, e))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| bound.error(&label, e))?;
        bound.entry_read(&entry);
        let name = entry.path_bytes().into_owned();
        let header = entry.header();
        let mode = header.mode().unwrap_or(0o644);
        let kind = header.entry_type();
        let is_meta = matches!(
            kind,
            EntryType::XGlobalHeader
                | EntryType::XHeader
                | EntryType::GNULongName
                | EntryType::GNULongLink
        );
        if let Some(wanted) = wanted.as_mut()
            && !is_meta
            && !wanted(&name)
        {
            // Its data is still decompressed to reach the next header: it counts against the
            // bound, so a bomb is bounded whatever is selected.
            writer.skip(entry.size())?;
            continue;
        }
        // A partial tree never needs links: readers refuse to follow them anyway, and a link
        // checked without the rest of the tree's links could not be vetted as a whole.
        if !all && kind == EntryType::Symlink {
            continue;
        }
        if !all && kind == EntryType::Link {
            let target = entry.link_name_bytes().unwrap_or_default().into_owned();
            if !extracted.contains(&target) {
                continue;
            }
        }
        if !all {
            extracted.insert(name.clone());
        }
        match kind {
            EntryType::Regular if name.ends_with(b"/") => writer.directory(&name, Some(mode))?,
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
                writer.file(&name, mode, &mut entry)?
            }
            EntryType::Directory => writer.directory(&name, Some(mode))?,
            EntryType::Symlink => {
                let target = entry.link_name_bytes().unwrap_or_default().into_owned();
                writer.symlink(&name, &target)?
            }
            EntryType::Link => {
                let target = entry.link_name_bytes().unwrap_or_default().into_owned();
                writer.hard_link(&name, &target)?
            }
            EntryType::Char | EntryType::Block | EntryType::Fifo => {
                return Err(writer.refuse(&name, "device files and fifos are refused"));
            }
            EntryType::XGlobalHeader
            | EntryType::XHeader
            | EntryType::GNULongName
            | EntryType::GNULongLink => {}
            other => {
                // The byte, not `{other:?}`: tar's debug text of an unknown type is
                // `__Nonexhaustive(77)`.
                let byte = other.as_byte();
                let message = format!(
                    "unsupported entry type `{}` (byte {byte})",
                    char::from(byte).escape_default()
                );
                return Err(writer.refuse(&name, &message));
            }
        }
    }
    Ok(())
}

/// How far the tar reader may read: past the data of the last entry it returned, at most
/// [`MAX_TAR_HEADER_BYTES`] of headers before the next entry.
///
/// The tar crate reads GNU long names and pax records of any declared size into memory before
/// it returns the entry they describe; this bound is what keeps that memory small.
#[derive(Debug)]
struct HeaderBound {
    /// Bytes read from the archive so far.
    position: Cell<u64>,
    /// Position the reader may not pass.
    limit: Cell<u64>,
    /// Whether a read was refused for passing the limit.
    tripped: Cell<bool>,
}

impl Default for HeaderBound {
    fn default() -> HeaderBound {
        HeaderBound {
            position: Cell::new(0),
            limit: Cell::new(MAX_TAR_HEADER_BYTES),
            tripped: Cell::new(false),
        }
    }
}

impl HeaderBound {
    /// The tar crate returned `entry`, positioned at the start of its data: the data may be
    /// read (or skipped) whole, then at most [`MAX_TAR_HEADER_BYTES`] more.
    fn entry_read<R: Read>(&self, entry: &tar::Entry<'_, R>) {
        // A GNU sparse entry stores the header's size (its map says where the zeros go); any
        // other entry stores `size()` bytes (a pax `size` record overrides the header's).
        let stored = if entry.header().entry_type() == tar::EntryType::GNUSparse {
            entry.header().entry_size().unwrap_or(u64::MAX)
        } else {
            entry.size()
        };
        let blocks = stored.saturating_add(511) / 512 * 512;
        let data_end = self.position.get().saturating_add(blocks);
        self.limit
            .set(data_end.saturating_add(MAX_TAR_HEADER_BYTES));
    }

    /// The error for a failed read of the archive: the bound's own, or the archive's.
    fn error(&self, label: &str, error: std::io::Error) -> FetchError {
        if self.tripped.get() {
            return bad_archive(
                label,
                format!(
                    "the headers of one entry (long names, pax records) are longer than the limit of {MAX_TAR_HEADER_BYTES} bytes"
                ),
            );
        }
        bad_archive(label, error)
    }
}

/// The decompressed archive as the tar crate reads it, counted and bounded by a
/// [`HeaderBound`].
struct BoundedReader<R> {
    inner: R,
    bound: Rc<HeaderBound>,
}

impl<R: Read> Read for BoundedReader<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        if buffer.is_empty() {
            return Ok(0);
        }
        let position = self.bound.position.get();
        let allowed = self.bound.limit.get().saturating_sub(position);
        if allowed == 0 {
            self.bound.tripped.set(true);
            return Err(std::io::Error::other("tar headers longer than the limit"));
        }
        let length = buffer
            .len()
            .min(usize::try_from(allowed).unwrap_or(usize::MAX));
        let read = self.inner.read(&mut buffer[..length])?;
        self.bound.position.set(position + read as u64);
        Ok(read)
    }
}

/// Unix file-type bits of a zip entry's external attributes.
const S_IFMT: u32 = 0o170000;
const S_IFREG: u32 = 0o100000;
const S_IFDIR: u32 = 0o040000;
const S_IFLNK: u32 = 0o120000;

/// Copy the entries of a zip archive into the writer.
fn extract_zip(
    archive: &Path,
    label: &str,
    writer: &mut TreeWriter,
    wanted: &mut Selection<'_>,
) -> Result<(), FetchError> {
    let file = fs_err::File::open(archive).map_err(|e| FetchError::io(archive, e))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| bad_archive(label, e))?;
    for index in 0..zip.len() {
        let mut entry = zip.by_index(index).map_err(|e| bad_archive(label, e))?;
        let name = entry.name_raw().to_vec();
        if let Some(wanted) = wanted.as_mut()
            && !wanted(&name)
        {
            continue;
        }
        if name.contains(&b'\\') {
            return Err(writer.refuse(&name, "a backslash in a zip entry name is refused"));
        }
        let mode = entry.unix_mode();
        let file_type = mode.map(|mode| mode & S_IFMT).filter(|bits| *bits != 0);
        if entry.is_dir() || file_type == Some(S_IFDIR) {
            writer.directory(&name, mode)?;
        } else if file_type == Some(S_IFLNK) {
            if wanted.is_some() {
                continue; // a partial tree has no links (see `extract_tar`)
            }
            let mut target = Vec::new();
            (&mut entry)
                .take(4096)
                .read_to_end(&mut target)
                .map_err(|e| bad_archive(label, e))?;
            writer.symlink(&name, &target)?;
        } else if file_type.is_none() || file_type == Some(S_IFREG) {
            writer.file(&name, mode.unwrap_or(0o644), &mut entry)?;
        } else {
            return Err(writer.refuse(&name, "device files, fifos and sockets are refused"));
        }
    }
    Ok(())
}

/// Writes an untrusted tree under a root, refusing anything that could escape it.
///
/// Used by archive extraction, the git tree walk and the directory copy. Symbolic links are
/// recorded and only created by [`TreeWriter::finish`], after checking where they resolve.
pub(crate) struct TreeWriter {
    root: PathBuf,
    label: String,
    limit: u64,
    expanded: u64,
    links: BTreeMap<PathBuf, Vec<u8>>,
    safe_dirs: HashSet<PathBuf>,
}

impl TreeWriter {
    /// A writer into `root` (created); `label` names the source in errors.
    pub(crate) fn new(root: &Path, label: &str, limit: u64) -> Result<TreeWriter, FetchError> {
        fs_err::create_dir_all(root).map_err(|e| FetchError::io(root, e))?;
        let mut safe_dirs = HashSet::new();
        safe_dirs.insert(PathBuf::new());
        Ok(TreeWriter {
            root: root.to_path_buf(),
            label: label.to_owned(),
            limit,
            expanded: 0,
            links: BTreeMap::new(),
            safe_dirs,
        })
    }

    /// The error for a refused entry.
    pub(crate) fn refuse(&self, entry: &[u8], reason: &str) -> FetchError {
        FetchError::UnsafeArchive {
            archive: self.label.clone(),
            entry: String::from_utf8_lossy(entry).into_owned(),
            reason: reason.to_owned(),
        }
    }

    /// An entry left out of a selective extraction: its header and data count against the
    /// bound as if written, since they are decompressed all the same.
    fn skip(&mut self, size: u64) -> Result<(), FetchError> {
        self.charge(ENTRY_COST.saturating_add(size))
    }

    /// Count `bytes` against the bound.
    fn charge(&mut self, bytes: u64) -> Result<(), FetchError> {
        self.expanded = self.expanded.saturating_add(bytes);
        if self.expanded > self.limit {
            return Err(FetchError::TooLarge {
                archive: self.label.clone(),
                limit: self.limit,
            });
        }
        Ok(())
    }

    /// Whether an entry is git metadata (`.git` at any depth), which the tree never holds.
    fn skipped(name: &[u8]) -> bool {
        name.split(|b| *b == b'/').any(|part| part == b".git")
    }

    /// The safe relative path of an entry, its parent folders created; refuses paths through
    /// a symbolic link of the tree.
    fn place(&mut self, name: &[u8]) -> Result<PathBuf, FetchError> {
        let relative =
            safe_relative(name).map_err(|error| self.refuse(name, unsafe_reason(&error)))?;
        if !self.links.is_empty() {
            for ancestor in relative.ancestors().skip(1) {
                if self.links.contains_key(ancestor) {
                    return Err(self.refuse(name, "goes through a symbolic link of the tree"));
                }
            }
        }
        let parent = relative.parent().map(Path::to_path_buf).unwrap_or_default();
        if !self.safe_dirs.contains(&parent) {
            check_no_symlink(&self.root, &parent)
                .map_err(|_| self.refuse(name, "goes through a symbolic link"))?;
            let full = self.root.join(&parent);
            match std::fs::symlink_metadata(&full) {
                Ok(meta) if !meta.is_dir() => {
                    return Err(self.refuse(name, "a parent folder is a file"));
                }
                _ => {}
            }
            fs_err::create_dir_all(&full).map_err(|e| FetchError::io(&full, e))?;
            for ancestor in parent.ancestors() {
                self.safe_dirs.insert(ancestor.to_path_buf());
            }
        }
        Ok(relative)
    }

    /// Make room for a non-directory entry at `relative`: a file of the same name is replaced,
    /// a folder is not.
    fn clear(&mut self, name: &[u8], relative: &Path) -> Result<PathBuf, FetchError> {
        self.links.remove(relative);
        let full = self.root.join(relative);
        match std::fs::symlink_metadata(&full) {
            Ok(meta) if meta.is_dir() => Err(self.refuse(name, "would replace a folder")),
            Ok(_) => {
                fs_err::remove_file(&full).map_err(|e| FetchError::io(&full, e))?;
                Ok(full)
            }
            Err(_) => Ok(full),
        }
    }

    /// A folder; `mode` (permission bits only) when the source has one.
    pub(crate) fn directory(&mut self, name: &[u8], mode: Option<u32>) -> Result<(), FetchError> {
        let is_root = name
            .split(|b| *b == b'/')
            .all(|part| part.is_empty() || part == b".");
        if Self::skipped(name) || is_root {
            // The root itself (`./` in archives made with `tar -C dir .`) already exists.
            return Ok(());
        }
        self.charge(ENTRY_COST)?;
        let relative = self.place(name)?;
        if self.links.remove(&relative).is_some() {
            return Err(self.refuse(name, "a folder would replace a symbolic link"));
        }
        let full = self.root.join(&relative);
        match std::fs::symlink_metadata(&full) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err(self.refuse(name, "a folder would replace a file")),
            Err(_) => fs_err::create_dir(&full).map_err(|e| FetchError::io(&full, e))?,
        }
        self.safe_dirs.insert(relative);
        if let Some(mode) = mode {
            set_mode(&full, (mode & 0o777) | 0o700)?;
        }
        Ok(())
    }

    /// A regular file with the content of `content`; setuid/setgid/sticky bits are dropped.
    pub(crate) fn file(
        &mut self,
        name: &[u8],
        mode: u32,
        content: &mut dyn Read,
    ) -> Result<(), FetchError> {
        if Self::skipped(name) {
            return Ok(());
        }
        self.charge(ENTRY_COST)?;
        let relative = self.place(name)?;
        let full = self.clear(name, &relative)?;
        let mut out = fs_err::File::options()
            .write(true)
            .create_new(true)
            .open(&full)
            .map_err(|e| FetchError::io(&full, e))?;
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let read = match content.read(&mut buffer) {
                Ok(0) => break,
                Ok(read) => read,
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(bad_archive(&self.label, error)),
            };
            self.charge(read as u64)?;
            out.write_all(&buffer[..read])
                .map_err(|e| FetchError::io(&full, e))?;
        }
        drop(out);
        set_mode(&full, (mode & 0o777) | 0o600)
    }

    /// A symbolic link, created by [`TreeWriter::finish`] if it resolves inside the tree.
    pub(crate) fn symlink(&mut self, name: &[u8], target: &[u8]) -> Result<(), FetchError> {
        if Self::skipped(name) {
            return Ok(());
        }
        self.charge(ENTRY_COST + target.len() as u64)?;
        let relative = self.place(name)?;
        if target.is_empty() || target.contains(&0) {
            return Err(self.refuse(name, "a symbolic link with an empty or invalid target"));
        }
        if let Some(reason) = escapes(&BTreeMap::new(), &relative, target) {
            return Err(self.refuse(name, reason));
        }
        self.clear(name, &relative)?;
        self.links.insert(relative, target.to_vec());
        Ok(())
    }

    /// A hard link to a regular file already written (`target` is relative to the root); it is
    /// written as a copy.
    pub(crate) fn hard_link(&mut self, name: &[u8], target: &[u8]) -> Result<(), FetchError> {
        if Self::skipped(name) {
            return Ok(());
        }
        let target_relative = safe_relative(target)
            .map_err(|_| self.refuse(name, "a hard link to a path outside the tree"))?;
        if target_relative
            .ancestors()
            .any(|ancestor| self.links.contains_key(ancestor))
        {
            return Err(self.refuse(name, "a hard link through a symbolic link"));
        }
        let source = self.root.join(&target_relative);
        match std::fs::symlink_metadata(&source) {
            Ok(meta) if meta.is_file() => {}
            _ => {
                return Err(self.refuse(name, "a hard link to something not extracted as a file"));
            }
        }
        if safe_relative(name).ok().as_deref() == Some(target_relative.as_path()) {
            return Ok(());
        }
        let mode = file_mode(&source)?;
        let mut content = fs_err::File::open(&source).map_err(|e| FetchError::io(&source, e))?;
        self.file(name, mode, &mut content)
    }

    /// Bytes that may still be written before the bound.
    pub(crate) fn remaining(&self) -> u64 {
        self.limit.saturating_sub(self.expanded)
    }

    /// The bound on the bytes written.
    pub(crate) fn limit(&self) -> u64 {
        self.limit
    }

    /// Create the recorded symbolic links, each checked against the whole set.
    pub(crate) fn finish(self) -> Result<(), FetchError> {
        for (relative, target) in &self.links {
            if let Some(reason) = escapes(&self.links, relative, target) {
                return Err(self.refuse(relative.as_os_str().as_encoded_bytes(), reason));
            }
        }
        self.create_links()
    }

    /// Finish a release's tree, whose single top-level folder (`zlib-1.3/`), if it has one,
    /// becomes the root: each link is checked against that folder, the tree as it will be
    /// used, so `zlib-1.3/up -> ..` (inside the archive, but the parent of the stripped tree)
    /// is refused. Returns the root.
    pub(crate) fn finish_release(self) -> Result<PathBuf, FetchError> {
        let Some(top) = self.single_top_folder()? else {
            let root = self.root.clone();
            self.finish()?;
            return Ok(root);
        };
        let stripped: BTreeMap<PathBuf, Vec<u8>> = self
            .links
            .iter()
            .filter_map(|(link, target)| {
                let inner = link.strip_prefix(&top).ok()?;
                Some((inner.to_path_buf(), target.clone()))
            })
            .collect();
        for (relative, target) in &self.links {
            let Ok(inner) = relative.strip_prefix(&top) else {
                continue; // the top folder alone holds entries, so this never happens
            };
            if let Some(reason) = escapes(&stripped, inner, target) {
                let reason = format!(
                    "{reason} once the top folder `{}` is stripped",
                    top.display()
                );
                return Err(self.refuse(relative.as_os_str().as_encoded_bytes(), &reason));
            }
        }
        let root = self.root.join(&top);
        self.create_links()?;
        Ok(root)
    }

    /// The name of the one folder at the top of the tree, if the tree holds exactly one
    /// folder and nothing else (recorded links included).
    fn single_top_folder(&self) -> Result<Option<PathBuf>, FetchError> {
        let mut names: BTreeSet<PathBuf> = self
            .links
            .keys()
            .filter_map(|link| link.components().next())
            .map(|first| PathBuf::from(first.as_os_str()))
            .collect();
        let entries = fs_err::read_dir(&self.root).map_err(|e| FetchError::io(&self.root, e))?;
        let mut folder = None;
        for entry in entries {
            let entry = entry.map_err(|e| FetchError::io(&self.root, e))?;
            let name = PathBuf::from(entry.file_name());
            let is_dir = entry.file_type().is_ok_and(|kind| kind.is_dir());
            if is_dir && !self.links.contains_key(&name) {
                folder = Some(name.clone());
            }
            names.insert(name);
        }
        Ok(match (names.len(), folder) {
            (1, Some(folder)) => Some(folder),
            _ => None,
        })
    }

    /// Write the recorded links to disk (every one has been checked).
    fn create_links(&self) -> Result<(), FetchError> {
        for (relative, target) in &self.links {
            let full = self.root.join(relative);
            make_symlink(&bytes_to_path(target), &full)?;
        }
        Ok(())
    }
}

/// Why the link at `link` (relative to the root) with `target` resolves outside the root,
/// following the other links of `links`; `None` if it stays inside.
fn escapes(links: &BTreeMap<PathBuf, Vec<u8>>, link: &Path, target: &[u8]) -> Option<&'static str> {
    const OUTSIDE: &str = "a symbolic link that points outside the tree";
    if target.first() == Some(&b'/') {
        return Some(OUTSIDE);
    }
    let mut current: Vec<OsString> = link
        .parent()
        .map(|parent| {
            parent
                .components()
                .map(|c| c.as_os_str().to_owned())
                .collect()
        })
        .unwrap_or_default();
    let mut pending: VecDeque<Vec<u8>> = target.split(|b| *b == b'/').map(<[u8]>::to_vec).collect();
    let mut expansions = 0;
    while let Some(part) = pending.pop_front() {
        match part.as_slice() {
            b"" | b"." => {}
            b".." => {
                if current.pop().is_none() {
                    return Some(OUTSIDE);
                }
            }
            name => {
                current.push(bytes_to_path(name).into_os_string());
                let path: PathBuf = current.iter().collect();
                if let Some(next) = links.get(&path) {
                    expansions += 1;
                    if expansions > MAX_LINK_EXPANSIONS {
                        return Some("symbolic links that loop");
                    }
                    if next.first() == Some(&b'/') {
                        return Some(OUTSIDE);
                    }
                    current.pop();
                    for piece in next.split(|b| *b == b'/').rev() {
                        pending.push_front(piece.to_vec());
                    }
                }
            }
        }
    }
    None
}

/// Set the permission bits of a file or folder (no-op off Unix).
fn set_mode(path: &Path, mode: u32) -> Result<(), FetchError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs_err::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .map_err(|e| FetchError::io(path, e))
    }
    #[cfg(not(unix))]
    {
        let _ = (path, mode);
        Ok(())
    }
}

/// The permission bits of a file (0o644 off Unix).
fn file_mode(path: &Path) -> Result<u32, FetchError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = fs_err::metadata(path).map_err(|e| FetchError::io(path, e))?;
        Ok(meta.permissions().mode() & 0o777)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(0o644)
    }
}

/// Create a symbolic link at `link` pointing to `target`.
fn make_symlink(target: &Path, link: &Path) -> Result<(), FetchError> {
    #[cfg(unix)]
    {
        fs_err::os::unix::fs::symlink(target, link).map_err(|e| FetchError::io(link, e))
    }
    #[cfg(not(unix))]
    {
        let _ = target;
        Err(FetchError::io(
            link,
            std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                "symbolic links are not supported on this platform",
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(pairs: &[(&str, &str)]) -> BTreeMap<PathBuf, Vec<u8>> {
        pairs
            .iter()
            .map(|(link, target)| (PathBuf::from(link), target.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn resolves_links_lexically_and_through_other_links() {
        let none = BTreeMap::new();
        assert_eq!(escapes(&none, Path::new("a/l"), b"../b"), None);
        assert!(escapes(&none, Path::new("a/l"), b"../../b").is_some());
        assert!(escapes(&none, Path::new("l"), b"/etc/passwd").is_some());
        assert_eq!(escapes(&none, Path::new("l"), b"."), None);
        // `a` -> `b/c`, and `b/c` -> `..` (the root): `a/..` is then the root's parent.
        let set = links(&[("a", "b/c"), ("b/c", ".."), ("l", "a/..")]);
        assert_eq!(escapes(&set, Path::new("a"), b"b/c"), None);
        assert!(escapes(&set, Path::new("l"), b"a/..").is_some());
        let looping = links(&[("x", "y"), ("y", "x")]);
        assert_eq!(
            escapes(&looping, Path::new("x"), b"y"),
            Some("symbolic links that loop")
        );
    }

    #[test]
    fn writer_refuses_entries_through_links_and_creates_links_last() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path().join("tree");
        let mut writer = TreeWriter::new(&root, "test", 1 << 20).unwrap();
        writer.file(b"sub/a.txt", 0o4755, &mut &b"hi"[..]).unwrap();
        writer.symlink(b"link", b"sub").unwrap();
        assert!(
            std::fs::symlink_metadata(root.join("link")).is_err(),
            "links wait for finish"
        );
        let error = writer
            .file(b"link/b.txt", 0o644, &mut &b"x"[..])
            .unwrap_err();
        assert!(
            matches!(error, FetchError::UnsafeArchive { .. }),
            "{error:?}"
        );
        writer.finish().unwrap();
        assert_eq!(std::fs::read(root.join("link/a.txt")).unwrap(), b"hi");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(root.join("sub/a.txt"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o7777, 0o755, "setuid dropped");
        }
    }

    #[test]
    fn writer_bounds_the_expanded_size() {
        let temp = tempfile::tempdir().unwrap();
        let mut writer = TreeWriter::new(temp.path(), "test", 2000).unwrap();
        let mut zeros = std::io::repeat(0).take(1 << 20);
        let error = writer.file(b"bomb", 0o644, &mut zeros).unwrap_err();
        assert!(
            matches!(error, FetchError::TooLarge { limit: 2000, .. }),
            "{error:?}"
        );
    }

    #[test]
    fn detects_formats_by_magic_then_name() {
        let temp = tempfile::tempdir().unwrap();
        let gz = temp.path().join("x.bin");
        std::fs::write(&gz, [0x1f, 0x8b, 0, 0]).unwrap();
        assert_eq!(detect(&gz).unwrap().0, Format::TarGz);
        let named = temp.path().join("x.tar.zst");
        std::fs::write(&named, b"").unwrap();
        assert_eq!(detect(&named).unwrap().0, Format::TarZst);
        let unknown = temp.path().join("x.rar");
        std::fs::write(&unknown, b"Rar!").unwrap();
        assert!(matches!(
            detect(&unknown),
            Err(FetchError::BadArchive { .. })
        ));
    }
}

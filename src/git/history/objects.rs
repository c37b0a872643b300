//! The objects of the history walk, read straight from the repository's packs.
//!
//! The walk reads every changed blob and tree of tens of thousands of commits; each worker keeps
//! its own cache of resolved objects (bases and results, least recently used out first, like
//! git's `core.deltaBaseCacheLimit`), inflates with flate2 and applies git's delta format
//! itself. Why by hand and not through gix's object store: `docs/benchmarks.md`.
//!
//! [`Packs`] holds the `.idx` files (read once, shared by the workers); [`ObjectReader`] reads
//! objects through them with `pread` (no `mmap`: the crate forbids `unsafe`). An object that no
//! pack index lists (a loose object, one behind an alternate, a pack added meanwhile) is read
//! through gix. Only SHA-1 packs of index version 2 are read here; others are left to gix too.

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::hash::{BuildHasherDefault, Hasher};
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use crate::git::ObjectId as Oid;
use flate2::{Decompress, FlushDecompress, Status};

/// Bytes of resolved objects each reader keeps (git's `core.deltaBaseCacheLimit` is 96 MiB).
const CACHE_BUDGET: usize = 96 << 20;
/// An object larger than this is never cached (it would push out everything else).
const CACHE_OBJECT_LIMIT: usize = 16 << 20;
/// The first read of an entry: enough for the header and most deltas and small objects.
const FIRST_READ: usize = 16 << 10;
/// The largest object the walk reads. Sizes come from the pack, i.e. from upstream: a corrupt
/// or hostile size must be an error, not an allocation that aborts the process.
const MAX_OBJECT: usize = 1 << 30;

/// Why an object could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    #[error("cannot read `{}`", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` is damaged at offset {offset}: {problem}", path.display())]
    Corrupt {
        path: PathBuf,
        offset: u64,
        problem: &'static str,
    },
    #[error("object {id} is a {found}, not a {expected}")]
    Kind {
        id: Oid,
        found: &'static str,
        expected: &'static str,
    },
    #[error("object {id} is not a well-formed {kind}")]
    Malformed { id: Oid, kind: &'static str },
    #[error("object {id} is not in the repository")]
    Missing { id: Oid },
    #[error("cannot read object {id}")]
    Store {
        id: Oid,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl ObjectError {
    /// Whether the object is simply not in the repository (as in a partial clone, which leaves
    /// blobs to be fetched on demand), rather than damaged or unreadable.
    pub fn is_missing(&self) -> bool {
        matches!(self, ObjectError::Missing { .. })
    }
}

/// Whether `git_dir` is a partial clone: a pack with a `.promisor` file beside it (objects it
/// lacks are the promisor remote's to give), a remote with `promisor = true`, or (older git)
/// `extensions.partialClone` set.
pub fn is_partial_clone(git_dir: &Path) -> bool {
    let promisor_pack =
        std::fs::read_dir(git_dir.join("objects").join("pack")).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|entry| entry.path().extension().is_some_and(|e| e == "promisor"))
        });
    if promisor_pack {
        return true;
    }
    let Ok(repo) = gix::open_opts(git_dir, gix::open::Options::isolated()) else {
        return false;
    };
    let config = repo.config_snapshot();
    let promisor_remote = repo.remote_names().iter().any(|name| {
        config
            .boolean(format!("remote.{name}.promisor").as_str())
            .unwrap_or(false)
    });
    promisor_remote || config.string("extensions.partialclone").is_some()
}

/// The kind of a whole object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Commit,
    Tree,
    Blob,
    Tag,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Commit => "commit",
            Kind::Tree => "tree",
            Kind::Blob => "blob",
            Kind::Tag => "tag",
        }
    }
}

/// One object's kind and content; the content is shared with the reader's cache.
#[derive(Debug, Clone)]
pub struct Object {
    pub kind: Kind,
    pub data: Rc<Vec<u8>>,
}

/// The pack indexes of a repository, shared by the walk's workers.
#[derive(Debug, Default)]
pub struct Packs {
    packs: Vec<PackIndex>,
}

#[derive(Debug)]
struct PackIndex {
    pack: PathBuf,
    /// The whole `.idx` file (version 2).
    index: Vec<u8>,
    count: usize,
}

const ID_LEN: usize = 20;
const FANOUT: usize = 8;
const TABLES: usize = FANOUT + 256 * 4;

impl PackIndex {
    fn load(idx: &Path) -> Option<PackIndex> {
        let index = std::fs::read(idx).ok()?;
        if index.len() < TABLES || index[..8] != [0xff, b't', b'O', b'c', 0, 0, 0, 2] {
            return None;
        }
        let count = be32(&index, FANOUT + 255 * 4)? as usize;
        // ids, CRCs and offsets, then the large offsets, then two checksums.
        let fixed = TABLES + count * (ID_LEN + 4 + 4) + 2 * ID_LEN;
        if index.len() < fixed || !(index.len() - fixed).is_multiple_of(8) {
            return None;
        }
        let pack = idx.with_extension("pack");
        pack.is_file().then_some(PackIndex { pack, index, count })
    }

    fn id(&self, i: usize) -> &[u8] {
        &self.index[TABLES + i * ID_LEN..TABLES + (i + 1) * ID_LEN]
    }

    /// The position of `id` in the index, by the fan-out table then binary search.
    fn find(&self, id: &[u8]) -> Option<usize> {
        let first = usize::from(id[0]);
        let mut low = match first {
            0 => 0,
            _ => be32(&self.index, FANOUT + (first - 1) * 4)? as usize,
        };
        // A corrupt fan-out table must not send the search past the ids.
        let mut high = (be32(&self.index, FANOUT + first * 4)? as usize).min(self.count);
        low = low.min(high);
        while low < high {
            let middle = low + (high - low) / 2;
            match self.id(middle).cmp(id) {
                std::cmp::Ordering::Less => low = middle + 1,
                std::cmp::Ordering::Greater => high = middle,
                std::cmp::Ordering::Equal => return Some(middle),
            }
        }
        None
    }

    /// The pack offset of the object at index position `i`.
    fn offset(&self, i: usize) -> Option<u64> {
        let offsets = TABLES + self.count * (ID_LEN + 4);
        let small = be32(&self.index, offsets + i * 4)?;
        if small & 0x8000_0000 == 0 {
            return Some(u64::from(small));
        }
        let large = offsets + self.count * 4 + (small & 0x7fff_ffff) as usize * 8;
        let bytes = self.index.get(large..large + 8)?;
        Some(u64::from_be_bytes(bytes.try_into().ok()?))
    }
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

impl Packs {
    /// The version-2 pack indexes under `git_dir/objects/pack` (none if unreadable: then every
    /// object is read through gix).
    pub fn open(git_dir: &Path) -> Packs {
        let mut packs = Vec::new();
        if let Ok(entries) = std::fs::read_dir(git_dir.join("objects").join("pack")) {
            let mut paths: Vec<PathBuf> = entries
                .flatten()
                .map(|entry| entry.path())
                .filter(|path| path.extension().is_some_and(|e| e == "idx"))
                .collect();
            paths.sort();
            packs.extend(paths.iter().filter_map(|path| PackIndex::load(path)));
        }
        Packs { packs }
    }

    /// The pack and offset of `id`, if a pack index lists it.
    fn find(&self, id: Oid) -> Option<(usize, u64)> {
        let id = id.as_bytes();
        if id.len() != ID_LEN {
            return None;
        }
        self.packs.iter().enumerate().find_map(|(p, pack)| {
            let position = pack.find(id)?;
            Some((p, pack.offset(position)?))
        })
    }
}

/// Reads objects for one worker, with its own open packs, inflater and cache.
pub struct ObjectReader {
    packs: Arc<Packs>,
    files: Vec<Option<File>>,
    repo: gix::Repository,
    cache: Cache,
    inflater: Decompress,
    /// The last bytes read from a pack, and where they start.
    input: Vec<u8>,
    input_at: Option<(usize, u64)>,
}

/// Pack entry types.
const OFS_DELTA: u8 = 6;
const REF_DELTA: u8 = 7;

/// Where an entry's data is and what it is.
struct Entry {
    offset: u64,
    kind: u8,
    size: usize,
    /// The header's length: the compressed data follows.
    header: usize,
    base: Base,
}

enum Base {
    None,
    Offset(u64),
    Id(Oid),
}

impl ObjectReader {
    /// A reader of `repo`'s objects through `packs`.
    pub fn new(repo: gix::Repository, packs: Arc<Packs>) -> ObjectReader {
        let files = packs.packs.iter().map(|_| None).collect();
        ObjectReader {
            packs,
            files,
            repo,
            cache: Cache::default(),
            inflater: Decompress::new(true),
            input: Vec::new(),
            input_at: None,
        }
    }

    /// The repository behind the reader (for what packs do not answer: abbreviations).
    pub fn repository(&self) -> &gix::Repository {
        &self.repo
    }

    /// The object `id`, which must be of kind `kind`.
    pub fn read_kind(&mut self, id: Oid, kind: Kind) -> Result<Rc<Vec<u8>>, ObjectError> {
        let object = self.read(id)?;
        if object.kind != kind {
            return Err(ObjectError::Kind {
                id,
                found: object.kind.name(),
                expected: kind.name(),
            });
        }
        Ok(object.data)
    }

    /// The object `id`, from a pack where one lists it, else through gix.
    pub fn read(&mut self, id: Oid) -> Result<Object, ObjectError> {
        match self.packs.find(id) {
            Some((pack, offset)) => self.read_packed(pack, offset),
            None => self.read_elsewhere(id),
        }
    }

    fn read_elsewhere(&self, id: Oid) -> Result<Object, ObjectError> {
        let object = self
            .repo
            .try_find_object(id.to_gix())
            .map_err(|source| ObjectError::Store {
                id,
                source: Box::new(source),
            })?
            .ok_or(ObjectError::Missing { id })?;
        let kind = match object.kind {
            gix::object::Kind::Commit => Kind::Commit,
            gix::object::Kind::Tree => Kind::Tree,
            gix::object::Kind::Blob => Kind::Blob,
            gix::object::Kind::Tag => Kind::Tag,
        };
        Ok(Object {
            kind,
            data: Rc::new(object.detach().data),
        })
    }

    /// The object at `offset` of pack `pack`: the delta chain is followed down to a cached
    /// object or a whole one (inflating each delta on the way), then applied upwards, each
    /// result cached.
    fn read_packed(&mut self, pack: usize, offset: u64) -> Result<Object, ObjectError> {
        let mut chain = Vec::new();
        let mut at = offset;
        let mut base = loop {
            if let Some(object) = self.cache.get(pack, at) {
                break object;
            }
            let entry = self.entry(pack, at)?;
            match entry.base {
                Base::None => {
                    let data = Rc::new(self.inflate(pack, &entry)?);
                    let kind = match entry.kind {
                        1 => Kind::Commit,
                        2 => Kind::Tree,
                        3 => Kind::Blob,
                        4 => Kind::Tag,
                        _ => return Err(self.corrupt(pack, at, "unknown object type")),
                    };
                    let object = Object { kind, data };
                    self.cache.put(pack, at, &object);
                    break object;
                }
                Base::Offset(base) => {
                    chain.push((entry.offset, self.inflate(pack, &entry)?));
                    at = base;
                }
                Base::Id(id) => {
                    chain.push((entry.offset, self.inflate(pack, &entry)?));
                    match self.packs.find(id) {
                        Some((base_pack, base_offset)) if base_pack == pack => at = base_offset,
                        Some((base_pack, base_offset)) => {
                            break self.read_packed(base_pack, base_offset)?;
                        }
                        None => break self.read_elsewhere(id)?,
                    }
                }
            }
        };
        while let Some((offset, delta)) = chain.pop() {
            let data = apply_delta(&base.data, &delta)
                .ok_or_else(|| self.corrupt(pack, offset, "bad delta"))?;
            base = Object {
                kind: base.kind,
                data: Rc::new(data),
            };
            self.cache.put(pack, offset, &base);
        }
        Ok(base)
    }

    fn corrupt(&self, pack: usize, offset: u64, problem: &'static str) -> ObjectError {
        ObjectError::Corrupt {
            path: self.packs.packs[pack].pack.clone(),
            offset,
            problem,
        }
    }

    fn file(&mut self, pack: usize) -> Result<&File, ObjectError> {
        if self.files[pack].is_none() {
            let path = &self.packs.packs[pack].pack;
            let file = File::open(path).map_err(|source| ObjectError::Io {
                path: path.clone(),
                source,
            })?;
            self.files[pack] = Some(file);
        }
        Ok(self.files[pack].as_ref().expect("opened above"))
    }

    /// Read up to `length` bytes at `offset` into `self.input` (fewer at the end of the file).
    fn read_input(&mut self, pack: usize, offset: u64, length: usize) -> Result<(), ObjectError> {
        let mut input = std::mem::take(&mut self.input);
        input.resize(length, 0);
        let mut filled = 0;
        let result = (|| {
            let file = self.file(pack)?;
            while filled < length {
                match file.read_at(&mut input[filled..], offset + filled as u64) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(source) => {
                        return Err(ObjectError::Io {
                            path: self.packs.packs[pack].pack.clone(),
                            source,
                        });
                    }
                }
            }
            Ok(())
        })();
        input.truncate(filled);
        self.input = input;
        self.input_at = result.is_ok().then_some((pack, offset));
        result
    }

    /// The header of the entry at `offset`; its first bytes stay in `self.input`.
    fn entry(&mut self, pack: usize, offset: u64) -> Result<Entry, ObjectError> {
        self.read_input(pack, offset, FIRST_READ)?;
        let bad = |reader: &Self| reader.corrupt(pack, offset, "bad entry header");
        let mut at = 0;
        let mut next = |reader: &Self| {
            let byte = reader.input.get(at).copied();
            at += 1;
            byte.ok_or_else(|| bad(reader))
        };
        let mut byte = next(self)?;
        let kind = (byte >> 4) & 7;
        let mut size = u64::from(byte & 0x0f);
        let mut shift = 4;
        while byte & 0x80 != 0 {
            byte = next(self)?;
            if shift > 57 {
                return Err(bad(self));
            }
            size |= u64::from(byte & 0x7f) << shift;
            shift += 7;
        }
        let base = match kind {
            OFS_DELTA => {
                byte = next(self)?;
                let mut distance = u64::from(byte & 0x7f);
                while byte & 0x80 != 0 {
                    byte = next(self)?;
                    if distance >= 1 << 56 {
                        return Err(bad(self));
                    }
                    distance = ((distance + 1) << 7) | u64::from(byte & 0x7f);
                }
                match offset.checked_sub(distance) {
                    Some(base) if distance > 0 => Base::Offset(base),
                    _ => return Err(bad(self)),
                }
            }
            REF_DELTA => {
                let id = self.input.get(at..at + ID_LEN).ok_or_else(|| bad(self))?;
                at += ID_LEN;
                Base::Id(Oid::from_bytes(id).ok_or_else(|| bad(self))?)
            }
            _ => Base::None,
        };
        let size = usize::try_from(size).map_err(|_| bad(self))?;
        Ok(Entry {
            offset,
            kind,
            size,
            header: at,
            base,
        })
    }

    /// Inflate an entry's data (exactly `entry.size` bytes), continuing from the bytes
    /// [`ObjectReader::entry`] left in `self.input`.
    fn inflate(&mut self, pack: usize, entry: &Entry) -> Result<Vec<u8>, ObjectError> {
        let bad = |reader: &Self| reader.corrupt(pack, entry.offset, "bad compressed data");
        if self.input_at != Some((pack, entry.offset)) {
            self.read_input(pack, entry.offset, FIRST_READ)?;
        }
        let mut consumed = entry.header.min(self.input.len());
        let mut position = entry.offset + consumed as u64;
        if entry.size > MAX_OBJECT {
            return Err(self.corrupt(pack, entry.offset, "object larger than 1 GiB"));
        }
        let mut out = Vec::with_capacity(entry.size + 1);
        self.inflater.reset(true);
        loop {
            let (before, produced) = (self.inflater.total_in(), out.len());
            let status = self
                .inflater
                .decompress_vec(&self.input[consumed..], &mut out, FlushDecompress::None)
                .map_err(|_| bad(self))?;
            let used = (self.inflater.total_in() - before) as usize;
            consumed += used;
            position += used as u64;
            if status == Status::StreamEnd {
                break;
            }
            if out.len() > entry.size {
                return Err(bad(self));
            }
            if consumed < self.input.len() {
                if used == 0 && out.len() == produced {
                    return Err(bad(self));
                }
                continue;
            }
            // The data rarely compresses to more than its size: ask for that much at once.
            let rest = entry.size - out.len();
            self.read_input(pack, position, (rest + rest / 64 + 64).max(FIRST_READ))?;
            if self.input.is_empty() {
                return Err(bad(self));
            }
            consumed = 0;
        }
        if out.len() != entry.size {
            return Err(bad(self));
        }
        Ok(out)
    }
}

/// Git's delta format: the base's size, the result's size, then copy and insert instructions
/// (the applier of GIT binary patches, which checks every bound). `None` when the delta does
/// not fit its base.
pub fn apply_delta(base: &[u8], delta: &[u8]) -> Option<Vec<u8>> {
    crate::patch::binary::apply_delta(base, delta).ok()
}

/// Resolved objects by pack offset, least recently used out first once over budget.
#[derive(Default)]
struct Cache {
    entries: HashMap<u64, (Object, u64), BuildHasherDefault<OffsetHasher>>,
    /// Uses in order, `(key, tick)`; a pair whose tick is no longer its entry's is stale.
    uses: VecDeque<(u64, u64)>,
    tick: u64,
    bytes: usize,
}

impl Cache {
    fn key(pack: usize, offset: u64) -> u64 {
        (pack as u64) << 48 | offset
    }

    fn get(&mut self, pack: usize, offset: u64) -> Option<Object> {
        let key = Cache::key(pack, offset);
        let (object, tick) = self.entries.get_mut(&key)?;
        self.tick += 1;
        *tick = self.tick;
        self.uses.push_back((key, self.tick));
        let object = object.clone();
        self.compact();
        Some(object)
    }

    fn put(&mut self, pack: usize, offset: u64, object: &Object) {
        let size = object.data.len();
        if size > CACHE_OBJECT_LIMIT {
            return;
        }
        let key = Cache::key(pack, offset);
        self.tick += 1;
        if let Some((_, tick)) = self.entries.get_mut(&key) {
            *tick = self.tick;
        } else {
            self.entries.insert(key, (object.clone(), self.tick));
            self.bytes += size;
        }
        self.uses.push_back((key, self.tick));
        while self.bytes > CACHE_BUDGET {
            let Some((key, tick)) = self.uses.pop_front() else {
                break;
            };
            if self.entries.get(&key).is_some_and(|(_, t)| *t == tick)
                && let Some((object, _)) = self.entries.remove(&key)
            {
                self.bytes -= object.data.len();
            }
        }
        self.compact();
    }

    /// Drop stale uses once they outnumber the entries well.
    fn compact(&mut self) {
        if self.uses.len() > 4 * self.entries.len() + 1024 {
            let entries = &self.entries;
            self.uses
                .retain(|(key, tick)| entries.get(key).is_some_and(|(_, t)| t == tick));
        }
    }
}

/// Hashes a cache key (pack and offset) with one multiply: SipHash's resistance to chosen
/// keys buys nothing for offsets read from the repository's own pack index.
#[derive(Default)]
struct OffsetHasher(u64);

impl Hasher for OffsetHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }

    fn write_u64(&mut self, key: u64) {
        let mixed = (self.0 ^ key).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 = mixed ^ (mixed >> 29);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delta_copies_and_inserts() {
        let base = b"0123456789abcdef";
        // base size 16, result size 9; copy 4 bytes at offset 2; insert "xyz"; copy 2 at 10.
        let delta = [16, 9, 0x91, 2, 4, 3, b'x', b'y', b'z', 0x91, 10, 2];
        assert_eq!(apply_delta(base, &delta).unwrap(), b"2345xyzab");
        // A result size beyond any real object is refused, not allocated.
        let huge = [
            16, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x01, b'x',
        ];
        assert_eq!(apply_delta(base, &huge), None);
        // A copy past the base's end, a wrong base size and a zero opcode are refused.
        assert!(apply_delta(base, &[16, 4, 0x91, 14, 4]).is_none());
        assert!(apply_delta(base, &[15, 1, 1, b'x']).is_none());
        assert!(apply_delta(base, &[16, 1, 0]).is_none());
    }
}

//! One commit's change rendered as `git log -p` prints it (without the commit header), for
//! its stable patch id.
//!
//! The commit and its first parent's trees are read from the packs (`objects.rs`) and walked
//! side by side in git's tree order (subtrees with the same id are skipped), renames are paired
//! the way git pairs them (`rename.rs`), and each file pair is written with git's headers:
//! `new file mode`, `deleted file mode`, `old mode`/`new mode`, `similarity index`/`rename
//! from`/`rename to`, and `index` (abbreviated as git abbreviates, unique in the repository:
//! the patch id hashes it for binary files). A change of file type is a deletion and a
//! creation, as git writes it. Binary is git's rule (a NUL byte in the first 8000 bytes of
//! either side); text pairs go through the port of git's xdiff (`xdiff.rs`: 3 context lines,
//! indent heuristic), straight from the blobs' bytes.

use std::collections::HashMap;
use std::io::Write as _;
use std::rc::Rc;
use std::sync::Arc;

use crate::git::ObjectId as Oid;

use super::objects::{Kind, ObjectError, ObjectReader, Packs};
use super::rename::{BlobSource, Change, Side, detect_renames};
use super::xdiff::{DiffSink, Differ};
use crate::patch::path::git_quote_into;

/// Reads one commit after another, reusing its buffers and its object cache.
pub struct CommitRenderer {
    abbrev: usize,
    blobs: Blobs,
    differ: Differ,
    header: Vec<u8>,
}

/// The blobs of the commit being rendered, and the reader they come from.
struct Blobs {
    objects: ObjectReader,
    loaded: HashMap<Oid, Rc<Vec<u8>>>,
}

impl BlobSource for Blobs {
    fn blob(&mut self, id: Oid) -> Result<&[u8], ObjectError> {
        self.load(id)?;
        Ok(self.get(id))
    }
}

impl Blobs {
    fn load(&mut self, id: Oid) -> Result<(), ObjectError> {
        if !self.loaded.contains_key(&id) {
            let blob = self.objects.read_kind(id, Kind::Blob)?;
            self.loaded.insert(id, blob);
        }
        Ok(())
    }

    fn get(&self, id: Oid) -> &[u8] {
        self.loaded.get(&id).map_or(&[], |blob| blob.as_slice())
    }
}

const DIRECTORY: u32 = 0o040000;
const TYPE_MASK: u32 = 0o170000;
const SUBMODULE: u32 = 0o160000;

/// Git's `canon_mode`.
fn canonical_mode(mode: u32) -> u32 {
    match mode & TYPE_MASK {
        0o100000 if mode & 0o100 != 0 => 0o100755,
        0o100000 => 0o100644,
        0o120000 => 0o120000,
        DIRECTORY => DIRECTORY,
        _ => SUBMODULE,
    }
}

impl CommitRenderer {
    /// A renderer reading `repo` through `packs`, abbreviating object ids to at least
    /// `abbrev` digits.
    pub fn new(repo: gix::Repository, packs: Arc<Packs>, abbrev: u16) -> CommitRenderer {
        CommitRenderer {
            abbrev: usize::from(abbrev),
            blobs: Blobs {
                objects: ObjectReader::new(repo, packs),
                loaded: HashMap::new(),
            },
            differ: Differ::default(),
            header: Vec::new(),
        }
    }

    /// Write `commit`'s diff against its first parent (the empty tree for a root commit)
    /// into `out`, replacing what it held.
    pub fn render(&mut self, commit: Oid, out: &mut Vec<u8>) -> Result<(), ObjectError> {
        out.clear();
        self.blobs.loaded.clear();
        let objects = &mut self.blobs.objects;
        let (tree, parent) = commit_tree_and_parent(objects, commit)?;
        let parent_tree = match parent {
            Some(parent) => Some(commit_tree_and_parent(objects, parent)?.0),
            None => None,
        };
        let new = objects.read_kind(tree, Kind::Tree)?;
        let old = match parent_tree {
            Some(id) => Some(objects.read_kind(id, Kind::Tree)?),
            None => None,
        };
        let mut changes = Vec::new();
        let mut prefix = Vec::new();
        diff_trees(
            objects,
            (old.as_deref().map(Vec::as_slice), parent_tree),
            (Some(new.as_slice()), Some(tree)),
            &mut prefix,
            &mut changes,
        )?;
        let changes = detect_renames(changes, &mut self.blobs)?;
        for change in &changes {
            match (&change.old, &change.new) {
                (Some(old), Some(new)) if (old.mode ^ new.mode) & TYPE_MASK != 0 => {
                    self.render_pair(Some(old), None, 0, out)?;
                    self.render_pair(None, Some(new), 0, out)?;
                }
                (old, new) => self.render_pair(old.as_ref(), new.as_ref(), change.score, out)?,
            }
        }
        self.blobs.loaded.clear();
        Ok(())
    }

    fn render_pair(
        &mut self,
        old: Option<&Side>,
        new: Option<&Side>,
        score: u64,
        out: &mut Vec<u8>,
    ) -> Result<(), ObjectError> {
        let (Some(name_a), Some(name_b)) = (old.or(new), new.or(old)) else {
            return Ok(());
        };
        let (name_a, name_b) = (&name_a.path, &name_b.path);
        out.extend_from_slice(b"diff --git ");
        git_quote_into(b"a/", name_a, out);
        out.push(b' ');
        git_quote_into(b"b/", name_b, out);
        out.push(b'\n');
        match (old, new) {
            (None, Some(new)) => {
                let _ = writeln!(out, "new file mode {:06o}", new.mode);
            }
            (Some(old), None) => {
                let _ = writeln!(out, "deleted file mode {:06o}", old.mode);
            }
            (Some(old), Some(new)) if old.mode != new.mode => {
                let _ = write!(
                    out,
                    "old mode {:06o}\nnew mode {:06o}\n",
                    old.mode, new.mode
                );
            }
            _ => {}
        }
        if name_a != name_b {
            let _ = writeln!(
                out,
                "similarity index {}%",
                score * 100 / super::rename::MAX_SCORE
            );
            out.extend_from_slice(b"rename from ");
            git_quote_into(b"", name_a, out);
            out.extend_from_slice(b"\nrename to ");
            git_quote_into(b"", name_b, out);
            out.push(b'\n');
        }
        let old_id = old.map_or(Oid::NULL, |s| s.id);
        let new_id = new.map_or(Oid::NULL, |s| s.id);
        if old_id == new_id {
            return Ok(());
        }
        let old_own = self.content(old)?;
        let new_own = self.content(new)?;
        let old_data = bytes(&self.blobs, &old_own, old);
        let new_data = bytes(&self.blobs, &new_own, new);
        let label = |side: Option<&Side>, prefix: &[u8], out: &mut Vec<u8>| match side {
            Some(side) => git_quote_into(prefix, &side.path, out),
            None => out.extend_from_slice(b"/dev/null"),
        };
        if is_binary(old_data) || is_binary(new_data) {
            // Only binary pairs hash their `index` line: abbreviate exactly as git.
            out.extend_from_slice(b"index ");
            out.extend_from_slice(self.abbreviate(old_id).as_bytes());
            out.extend_from_slice(b"..");
            out.extend_from_slice(self.abbreviate(new_id).as_bytes());
            out.extend_from_slice(b"\nBinary files ");
            label(old, b"a/", out);
            out.extend_from_slice(b" and ");
            label(new, b"b/", out);
            out.extend_from_slice(b" differ\n");
            return Ok(());
        }
        self.header.clear();
        self.header.extend_from_slice(b"--- ");
        label(old, b"a/", &mut self.header);
        self.header.extend_from_slice(b"\n+++ ");
        label(new, b"b/", &mut self.header);
        self.header.push(b'\n');
        let mut text = Text {
            out,
            header: Some(&self.header),
        };
        self.differ.diff(old_data, new_data, &mut text);
        Ok(())
    }

    /// The content of one side: a submodule's is git's `Subproject commit` line (returned
    /// here), a file's is its blob (loaded into `self.blobs`; empty returned).
    fn content(&mut self, side: Option<&Side>) -> Result<Vec<u8>, ObjectError> {
        match side {
            Some(side) if side.mode == SUBMODULE => {
                Ok(format!("Subproject commit {}\n", side.id).into_bytes())
            }
            Some(side) => {
                self.blobs.load(side.id)?;
                Ok(Vec::new())
            }
            None => Ok(Vec::new()),
        }
    }

    /// The shortest unique abbreviation of at least `self.abbrev` digits (git's
    /// `find_unique_abbrev`); the null id keeps the minimum.
    fn abbreviate(&self, id: Oid) -> String {
        let hex = id.to_string();
        if id.is_null() {
            return hex[..self.abbrev.min(hex.len())].to_string();
        }
        let objects = &self.blobs.objects.repository().objects;
        let mut length = self.abbrev.min(hex.len());
        while length < hex.len() {
            let unique = gix::hash::Prefix::from_hex(&hex[..length])
                .ok()
                .and_then(|prefix| objects.lookup_prefix(prefix, None).ok().flatten())
                .is_some_and(|found| found.is_ok());
            if unique {
                break;
            }
            length += 1;
        }
        hex[..length].to_string()
    }
}

/// Writes xdiff's hunks as git does: the `---`/`+++` header before the first one, git's hunk
/// headers, and `\ No newline at end of file` after a last line without one.
struct Text<'a> {
    out: &'a mut Vec<u8>,
    header: Option<&'a [u8]>,
}

impl DiffSink for Text<'_> {
    fn hunk(&mut self, old_start: usize, old_count: usize, new_start: usize, new_count: usize) {
        if let Some(header) = self.header.take() {
            self.out.extend_from_slice(header);
        }
        // `xdl_format_hunk_hdr`: an empty side starts one line earlier, a count of 1 is left out.
        let range = |out: &mut Vec<u8>, start: usize, count: usize| {
            let _ = write!(out, "{}", if count == 0 { start - 1 } else { start });
            if count != 1 {
                let _ = write!(out, ",{count}");
            }
        };
        self.out.extend_from_slice(b"@@ -");
        range(self.out, old_start, old_count);
        self.out.extend_from_slice(b" +");
        range(self.out, new_start, new_count);
        self.out.extend_from_slice(b" @@\n");
    }

    fn line(&mut self, origin: u8, line: &[u8]) {
        self.out.push(origin);
        self.out.extend_from_slice(line);
        if line.last() != Some(&b'\n') {
            self.out
                .extend_from_slice(b"\n\\ No newline at end of file\n");
        }
    }
}

/// The bytes of one side: its blob, or `own` (a submodule's line, or nothing).
fn bytes<'a>(blobs: &'a Blobs, own: &'a [u8], side: Option<&Side>) -> &'a [u8] {
    match side {
        Some(side) if side.mode != SUBMODULE => blobs.get(side.id),
        _ => own,
    }
}

/// Git's `buffer_is_binary`.
fn is_binary(data: &[u8]) -> bool {
    memchr::memchr(0, &data[..data.len().min(8000)]).is_some()
}

/// A commit's tree and first parent.
fn commit_tree_and_parent(
    objects: &mut ObjectReader,
    commit: Oid,
) -> Result<(Oid, Option<Oid>), ObjectError> {
    let data = objects.read_kind(commit, Kind::Commit)?;
    let malformed = || ObjectError::Malformed {
        id: commit,
        kind: "commit",
    };
    let hex_id = |line: &[u8], key: &[u8]| {
        let hex = line.strip_prefix(key)?.get(..40)?;
        Oid::from_hex(hex)
    };
    let mut lines = data.split(|&b| b == b'\n');
    let tree = lines
        .next()
        .and_then(|line| hex_id(line, b"tree "))
        .ok_or_else(malformed)?;
    let parent = lines.next().and_then(|line| hex_id(line, b"parent "));
    Ok((tree, parent))
}

/// One entry of a raw tree: mode, name, id.
struct TreeEntry<'a> {
    mode: u32,
    name: &'a [u8],
    id: Oid,
}

/// The entries of a raw tree object (`<octal mode> <name>\0<20-byte id>`, repeated).
struct TreeEntries<'a> {
    data: &'a [u8],
    tree: Option<Oid>,
}

impl<'a> TreeEntries<'a> {
    fn next_entry(&mut self) -> Result<Option<TreeEntry<'a>>, ObjectError> {
        if self.data.is_empty() {
            return Ok(None);
        }
        let malformed = || ObjectError::Malformed {
            id: self.tree.unwrap_or(Oid::NULL),
            kind: "tree",
        };
        let space = memchr::memchr(b' ', self.data).ok_or_else(malformed)?;
        let nul = memchr::memchr(0, &self.data[space..]).ok_or_else(malformed)? + space;
        let id = self.data.get(nul + 1..nul + 21).ok_or_else(malformed)?;
        let mut mode = 0u32;
        for &digit in &self.data[..space] {
            if !(b'0'..=b'7').contains(&digit) || mode > 0o777777 {
                return Err(malformed());
            }
            mode = mode * 8 + u32::from(digit - b'0');
        }
        let entry = TreeEntry {
            mode: canonical_mode(mode),
            name: &self.data[space + 1..nul],
            id: Oid::from_bytes(id).ok_or_else(malformed)?,
        };
        self.data = &self.data[nul + 21..];
        Ok(Some(entry))
    }
}

/// Git's `base_name_compare`: a tree sorts as if its name ended in `/`.
fn tree_order(a: &[u8], a_dir: bool, b: &[u8], b_dir: bool) -> std::cmp::Ordering {
    let common = a.len().min(b.len());
    match a[..common].cmp(&b[..common]) {
        std::cmp::Ordering::Equal => {}
        other => return other,
    }
    let next = |name: &[u8], dir: bool| match name.get(common) {
        Some(&c) => c,
        None if dir => b'/',
        None => 0,
    };
    next(a, a_dir).cmp(&next(b, b_dir))
}

/// The file changes between two raw trees (with their ids, for errors), in git's order.
fn diff_trees(
    objects: &mut ObjectReader,
    old: (Option<&[u8]>, Option<Oid>),
    new: (Option<&[u8]>, Option<Oid>),
    prefix: &mut Vec<u8>,
    out: &mut Vec<Change>,
) -> Result<(), ObjectError> {
    let mut old_entries = TreeEntries {
        data: old.0.unwrap_or_default(),
        tree: old.1,
    };
    let mut new_entries = TreeEntries {
        data: new.0.unwrap_or_default(),
        tree: new.1,
    };
    let mut a = old_entries.next_entry()?;
    let mut b = new_entries.next_entry()?;
    loop {
        let order = match (&a, &b) {
            (Some(a), Some(b)) => {
                tree_order(a.name, a.mode == DIRECTORY, b.name, b.mode == DIRECTORY)
            }
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => break,
        };
        let (left, right) = match order {
            std::cmp::Ordering::Less => (a.take(), None),
            std::cmp::Ordering::Greater => (None, b.take()),
            std::cmp::Ordering::Equal => (a.take(), b.take()),
        };
        if a.is_none() {
            a = old_entries.next_entry()?;
        }
        if b.is_none() {
            b = new_entries.next_entry()?;
        }
        if let (Some(left), Some(right)) = (&left, &right)
            && left.id == right.id
            && left.mode == right.mode
        {
            continue;
        }
        let name = left.as_ref().or(right.as_ref()).map_or(&[][..], |e| e.name);
        let before = prefix.len();
        prefix.extend_from_slice(name);
        // Equal names in tree order have the same kind: a folder never pairs with a file.
        let is_dir = |e: &Option<TreeEntry<'_>>| e.as_ref().is_some_and(|e| e.mode == DIRECTORY);
        if is_dir(&left) || is_dir(&right) {
            let subtree = |objects: &mut ObjectReader, e: &Option<TreeEntry<'_>>| match e {
                Some(e) if e.mode == DIRECTORY => {
                    objects.read_kind(e.id, Kind::Tree).map(|t| Some((t, e.id)))
                }
                _ => Ok(None),
            };
            let old_tree = subtree(objects, &left)?;
            let new_tree = subtree(objects, &right)?;
            prefix.push(b'/');
            diff_trees(
                objects,
                (
                    old_tree.as_ref().map(|(t, _)| t.as_slice()),
                    old_tree.as_ref().map(|(_, id)| *id),
                ),
                (
                    new_tree.as_ref().map(|(t, _)| t.as_slice()),
                    new_tree.as_ref().map(|(_, id)| *id),
                ),
                prefix,
                out,
            )?;
            prefix.truncate(before);
        } else {
            let side = |e: &Option<TreeEntry<'_>>| {
                e.as_ref().map(|e| Side {
                    path: prefix.clone(),
                    id: e.id,
                    mode: e.mode,
                })
            };
            out.push(Change {
                old: side(&left),
                new: side(&right),
                score: 0,
            });
            prefix.truncate(before);
        }
    }
    Ok(())
}

//! One commit's change rendered as `git log -p` prints it (without the commit header), for
//! its stable patch id, without libgit2's diff machinery.
//!
//! The two trees are walked side by side in git's tree order (subtrees with the same id are
//! skipped), renames are paired the way git pairs them (`rename.rs`), and each file pair is
//! written with git's headers: `new file mode`, `deleted file mode`, `old mode`/`new mode`,
//! `similarity index`/`rename from`/`rename to`, and `index` (abbreviated as git abbreviates,
//! unique in the repository: the patch id hashes it for binary files). A change of file type
//! is a deletion and a creation, as git writes it. Binary is git's rule (a NUL byte in the
//! first 8000 bytes of either side); text pairs are diffed by libgit2's copy of git's xdiff
//! (3 context lines, indent heuristic), straight from the blobs' bytes.

use crate::patch::path::git_quote_into;
use std::collections::HashMap;

use git2::{Blob, DiffOptions, Oid, Patch, Repository, Tree};

use super::rename::{BlobSource, Change, Side, detect_renames};

/// Reads one commit after another, reusing its buffers.
pub struct CommitRenderer<'r> {
    repo: &'r Repository,
    abbrev: usize,
    options: DiffOptions,
    blobs: Blobs<'r>,
}

struct Blobs<'r> {
    repo: &'r Repository,
    loaded: HashMap<Oid, Blob<'r>>,
}

impl BlobSource for Blobs<'_> {
    fn blob(&mut self, id: Oid) -> Result<&[u8], git2::Error> {
        self.load(id)?;
        Ok(self.get(id))
    }
}

impl<'r> Blobs<'r> {
    fn load(&mut self, id: Oid) -> Result<(), git2::Error> {
        if !self.loaded.contains_key(&id) {
            let blob = self.repo.find_blob(id)?;
            self.loaded.insert(id, blob);
        }
        Ok(())
    }

    fn get(&self, id: Oid) -> &[u8] {
        self.loaded.get(&id).map_or(&[], |blob| blob.content())
    }
}

const DIRECTORY: u32 = 0o040000;
const TYPE_MASK: u32 = 0o170000;
const SUBMODULE: u32 = 0o160000;

/// Git's `canon_mode`.
fn canonical_mode(mode: i32) -> u32 {
    let mode = mode as u32;
    match mode & TYPE_MASK {
        0o100000 if mode & 0o100 != 0 => 0o100755,
        0o100000 => 0o100644,
        0o120000 => 0o120000,
        DIRECTORY => DIRECTORY,
        _ => SUBMODULE,
    }
}

impl<'r> CommitRenderer<'r> {
    /// A renderer for `repo`, abbreviating object ids to at least `abbrev` digits.
    pub fn new(repo: &'r Repository, abbrev: u16) -> CommitRenderer<'r> {
        let mut options = DiffOptions::new();
        options
            .context_lines(3)
            .interhunk_lines(0)
            .indent_heuristic(true)
            .force_text(true);
        CommitRenderer {
            repo,
            abbrev: usize::from(abbrev),
            options,
            blobs: Blobs {
                repo,
                loaded: HashMap::new(),
            },
        }
    }

    /// Write `commit`'s diff against its first parent (the empty tree for a root commit)
    /// into `out`, replacing what it held.
    pub fn render(&mut self, commit: Oid, out: &mut Vec<u8>) -> Result<(), git2::Error> {
        out.clear();
        self.blobs.loaded.clear();
        let commit = self.repo.find_commit(commit)?;
        let tree = commit.tree()?;
        let parent = match commit.parent_count() {
            0 => None,
            _ => Some(commit.parent(0)?.tree()?),
        };
        let mut changes = Vec::new();
        let mut prefix = Vec::new();
        diff_trees(
            self.repo,
            parent.as_ref(),
            Some(&tree),
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
    ) -> Result<(), git2::Error> {
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
                out.extend_from_slice(format!("new file mode {:06o}\n", new.mode).as_bytes())
            }
            (Some(old), None) => {
                out.extend_from_slice(format!("deleted file mode {:06o}\n", old.mode).as_bytes())
            }
            (Some(old), Some(new)) if old.mode != new.mode => out.extend_from_slice(
                format!("old mode {:06o}\nnew mode {:06o}\n", old.mode, new.mode).as_bytes(),
            ),
            _ => {}
        }
        if name_a != name_b {
            out.extend_from_slice(
                format!(
                    "similarity index {}%\n",
                    score * 100 / super::rename::MAX_SCORE
                )
                .as_bytes(),
            );
            out.extend_from_slice(b"rename from ");
            git_quote_into(b"", name_a, out);
            out.extend_from_slice(b"\nrename to ");
            git_quote_into(b"", name_b, out);
            out.push(b'\n');
        }
        let old_id = old.map_or(Oid::ZERO_SHA1, |s| s.id);
        let new_id = new.map_or(Oid::ZERO_SHA1, |s| s.id);
        if old_id == new_id {
            return Ok(());
        }
        let old_data = self.content(old)?;
        let new_data = self.content(new)?;
        let binary = is_binary(&old_data, old.map(|s| s.id), &self.blobs)
            || is_binary(&new_data, new.map(|s| s.id), &self.blobs);
        let label = |side: Option<&Side>, prefix: &[u8], out: &mut Vec<u8>| match side {
            Some(side) => git_quote_into(prefix, &side.path, out),
            None => out.extend_from_slice(b"/dev/null"),
        };
        if binary {
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
        let mut header = Vec::new();
        header.extend_from_slice(b"--- ");
        label(old, b"a/", &mut header);
        header.extend_from_slice(b"\n+++ ");
        label(new, b"b/", &mut header);
        header.push(b'\n');
        let text = std::cell::RefCell::new((out, Some(header)));
        let mut on_hunk = |_: git2::DiffDelta<'_>, hunk: git2::DiffHunk<'_>| {
            let mut text = text.borrow_mut();
            let (out, header) = &mut *text;
            if let Some(header) = header.take() {
                out.extend_from_slice(&header);
            }
            out.extend_from_slice(
                format!(
                    "@@ -{},{} +{},{} @@\n",
                    hunk.old_start(),
                    hunk.old_lines(),
                    hunk.new_start(),
                    hunk.new_lines()
                )
                .as_bytes(),
            );
            true
        };
        let mut on_line =
            |_: git2::DiffDelta<'_>, _: Option<git2::DiffHunk<'_>>, line: git2::DiffLine<'_>| {
                let mut text = text.borrow_mut();
                let out = &mut text.0;
                match line.origin() {
                    origin @ ('+' | '-' | ' ') => {
                        out.push(origin as u8);
                        out.extend_from_slice(line.content());
                        if out.last() != Some(&b'\n') {
                            out.push(b'\n');
                        }
                    }
                    '=' | '>' | '<' => out.extend_from_slice(b"\\ No newline at end of file\n"),
                    _ => {}
                }
                true
            };
        let submodule = |side: Option<&Side>| side.is_some_and(|s| s.mode == SUBMODULE);
        if submodule(old) || submodule(new) {
            let old_bytes = bytes(&self.blobs, &old_data, old);
            let new_bytes = bytes(&self.blobs, &new_data, new);
            let patch =
                Patch::from_buffers(old_bytes, None, new_bytes, None, Some(&mut self.options))?;
            for h in 0..patch.num_hunks() {
                let (hunk, lines) = patch.hunk(h)?;
                on_hunk(patch.delta(), hunk);
                for l in 0..lines {
                    let (hunk, _) = patch.hunk(h)?;
                    on_line(patch.delta(), Some(hunk), patch.line_in_hunk(h, l)?);
                }
            }
            return Ok(());
        }
        let old_blob = old.and_then(|s| self.blobs.loaded.get(&s.id));
        let new_blob = new.and_then(|s| self.blobs.loaded.get(&s.id));
        // Empty paths: libgit2 then skips its attribute lookup for a diff driver.
        self.repo.diff_blobs(
            old_blob,
            Some(""),
            new_blob,
            Some(""),
            Some(&mut self.options),
            None,
            None,
            Some(&mut on_hunk),
            Some(&mut on_line),
        )?;
        Ok(())
    }

    /// The content of one side: a submodule's is git's `Subproject commit` line (returned
    /// here), a file's is its blob (loaded into `self.blobs`; empty returned).
    fn content(&mut self, side: Option<&Side>) -> Result<Vec<u8>, git2::Error> {
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
        if id.is_zero() {
            return hex[..self.abbrev.min(hex.len())].to_string();
        }
        let odb = self.repo.odb().ok();
        let mut length = self.abbrev.min(hex.len());
        while length < hex.len() {
            let unique = odb.as_ref().is_some_and(|odb| {
                Oid::from_str(&hex[..length])
                    .and_then(|prefix| odb.exists_prefix(prefix, length))
                    .is_ok()
            });
            if unique {
                break;
            }
            length += 1;
        }
        hex[..length].to_string()
    }
}

/// The bytes of one side: its blob, or `own` (a submodule's line, or nothing).
fn bytes<'a>(blobs: &'a Blobs<'_>, own: &'a [u8], side: Option<&Side>) -> &'a [u8] {
    match side {
        Some(side) if side.mode != SUBMODULE => blobs.get(side.id),
        _ => own,
    }
}

/// Git's `buffer_is_binary` on a side's content.
fn is_binary(own: &[u8], id: Option<Oid>, blobs: &Blobs<'_>) -> bool {
    let data = match id {
        Some(id) if own.is_empty() => blobs.get(id),
        _ => own,
    };
    memchr::memchr(0, &data[..data.len().min(8000)]).is_some()
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

/// The file changes between two trees, in git's order.
fn diff_trees(
    repo: &Repository,
    old: Option<&Tree<'_>>,
    new: Option<&Tree<'_>>,
    prefix: &mut Vec<u8>,
    out: &mut Vec<Change>,
) -> Result<(), git2::Error> {
    let old_len = old.map_or(0, |t| t.len());
    let new_len = new.map_or(0, |t| t.len());
    let (mut i, mut j) = (0, 0);
    while i < old_len || j < new_len {
        let a = old.and_then(|t| t.get(i));
        let b = new.and_then(|t| t.get(j));
        let order = match (&a, &b) {
            (Some(a), Some(b)) => tree_order(
                a.name_bytes(),
                canonical_mode(a.filemode()) == DIRECTORY,
                b.name_bytes(),
                canonical_mode(b.filemode()) == DIRECTORY,
            ),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => break,
        };
        let entry = |e: &git2::TreeEntry<'_>| {
            (
                e.name_bytes().to_vec(),
                e.id(),
                canonical_mode(e.filemode()),
            )
        };
        let (a, b) = match order {
            std::cmp::Ordering::Less => {
                i += 1;
                (a.as_ref().map(entry), None)
            }
            std::cmp::Ordering::Greater => {
                j += 1;
                (None, b.as_ref().map(entry))
            }
            std::cmp::Ordering::Equal => {
                i += 1;
                j += 1;
                let (a, b) = (a.as_ref().map(entry), b.as_ref().map(entry));
                if let (Some(a), Some(b)) = (&a, &b)
                    && a.1 == b.1
                    && a.2 == b.2
                {
                    continue;
                }
                (a, b)
            }
        };
        let name = a
            .as_ref()
            .or(b.as_ref())
            .map(|e| e.0.clone())
            .unwrap_or_default();
        let before = prefix.len();
        prefix.extend_from_slice(&name);
        let is_dir = |e: &Option<(Vec<u8>, Oid, u32)>| e.as_ref().is_some_and(|e| e.2 == DIRECTORY);
        if is_dir(&a) || is_dir(&b) {
            let old_tree = match &a {
                Some((_, id, _)) => Some(repo.find_tree(*id)?),
                None => None,
            };
            let new_tree = match &b {
                Some((_, id, _)) => Some(repo.find_tree(*id)?),
                None => None,
            };
            prefix.push(b'/');
            diff_trees(repo, old_tree.as_ref(), new_tree.as_ref(), prefix, out)?;
        } else {
            let side = |e: &Option<(Vec<u8>, Oid, u32)>| {
                e.as_ref().map(|(_, id, mode)| Side {
                    path: prefix.clone(),
                    id: *id,
                    mode: *mode,
                })
            };
            out.push(Change {
                old: side(&a),
                new: side(&b),
                score: 0,
            });
        }
        prefix.truncate(before);
    }
    Ok(())
}

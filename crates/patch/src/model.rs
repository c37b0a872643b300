//! The patch model: what a patch file says, in a form that can be written back byte for byte.
//!
//! A `Patch` is one change (one mail of an mbox, or one quilt patch): the free text above the
//! first diff (mail headers, DEP-3 fields, a description), then one `FilePatch` per file. Line
//! content is kept as bytes, each with its own line terminator (`\n` or `\r\n`), so CRLF files
//! and non-UTF-8 content survive; a line marked `\ No newline at end of file` has no terminator.

pub use super::budget::Payload;

/// The marker git writes after a line that has no terminator.
pub const NO_NEWLINE: &[u8] = b"\\ No newline at end of file\n";

/// One patch: a header and the diffs of its files.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Patch {
    /// Everything above the first file diff, verbatim (mail headers, DEP-3 fields, prose, the
    /// `---` separator and diffstat of a format-patch mail).
    pub header: Vec<u8>,
    /// The file diffs, in the order they appear.
    pub files: Vec<FilePatch>,
    /// Anything after the last hunk that is not part of a diff, verbatim (for example the
    /// `-- \n2.43.0\n` signature of a format-patch mail).
    pub trailer: Vec<u8>,
}

/// The diff of one file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FilePatch {
    /// The lines that introduce this file diff before `---`/`+++` (`diff --git …`, `index …`,
    /// `new file mode …`, `Index: …`, `====…`), verbatim, each with its terminator. The writer
    /// emits them as they are; the parser also decodes them into the fields below.
    pub preamble: Vec<Vec<u8>>,
    /// True when the diff has a `diff --git` line (git semantics apply).
    pub git: bool,
    /// The old path as written (`a/src/x.c`), `None` for `/dev/null` (a new file).
    pub old_path: Option<Vec<u8>>,
    /// The new path as written (`b/src/x.c`), `None` for `/dev/null` (a deleted file).
    pub new_path: Option<Vec<u8>>,
    /// The raw `--- …` line (with timestamp), if present, for byte-exact writing.
    pub old_line: Option<Vec<u8>>,
    /// The raw `+++ …` line, if present.
    pub new_line: Option<Vec<u8>>,
    /// Git extended header: `old mode` / `deleted file mode`.
    pub old_mode: Option<u32>,
    /// Git extended header: `new mode` / `new file mode`.
    pub new_mode: Option<u32>,
    /// `new file mode` was given (or the old side is `/dev/null`).
    pub is_new: bool,
    /// `deleted file mode` was given (or the new side is `/dev/null`).
    pub is_delete: bool,
    /// `rename from` / `rename to` (paths without prefix, as git writes them).
    pub rename: Option<(Vec<u8>, Vec<u8>)>,
    /// `copy from` / `copy to`.
    pub copy: Option<(Vec<u8>, Vec<u8>)>,
    /// `index <old>..<new>[ <mode>]`: abbreviated or full blob ids.
    pub index: Option<(String, String)>,
    /// The text hunks.
    pub hunks: Vec<Hunk>,
    /// A `GIT binary patch` payload, or `Binary files … differ` (payload `None`).
    pub binary: Option<BinaryPatch>,
}

/// One `@@ -a,b +c,d @@` hunk.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Hunk {
    pub old_start: usize,
    pub old_count: usize,
    pub new_start: usize,
    pub new_count: usize,
    /// The raw `@@ … @@ section` line, with its terminator, for byte-exact writing.
    pub header_line: Vec<u8>,
    pub lines: Vec<Line>,
    /// Trailing context lines the header counts and the input lacks: a hunk at the very end
    /// of a patch whose last lines an editor chopped (`parse::MAX_CHOPPED_LINES` at most).
    /// GNU patch takes them as blank lines; they anchor the hunk as context lines do
    /// ([`Hunk::context_lengths`]) but are no text of the patch, so nothing is matched
    /// against them.
    pub missing_context: usize,
}

/// One line of a hunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub kind: LineKind,
    /// The line as it is in the file, including its terminator (`\n`, `\r\n`); no terminator
    /// when the patch marks it `\ No newline at end of file`.
    pub text: Vec<u8>,
    /// The raw `\ No newline…` marker line that followed, if any (its wording varies by locale).
    pub no_newline_marker: Option<Vec<u8>>,
}

/// Whether a hunk line is kept, removed or added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Context,
    Remove,
    Add,
}

/// A binary diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinaryPatch {
    /// The raw lines from `GIT binary patch` (or `Binary files … differ`) to the end of the
    /// payload, verbatim, for byte-exact writing.
    pub raw: Vec<Vec<u8>>,
    /// The forward payload; `None` when the patch only says `Binary files … differ`.
    pub forward: Option<BinaryHunk>,
    /// The reverse payload git writes after the forward one.
    pub reverse: Option<BinaryHunk>,
}

/// One base85 payload of a git binary patch, decoded and inflated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinaryHunk {
    pub kind: BinaryKind,
    /// The size git declared (`literal N` / `delta N`): the inflated length.
    pub size: usize,
    /// The inflated payload: the file itself (`literal`) or a git delta (`delta`), paid for
    /// from the binary payload budget for as long as it lives.
    pub data: Payload,
}

/// `literal` (the whole file) or `delta` (a git delta against the old file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryKind {
    Literal,
    Delta,
}

impl Hunk {
    /// The lines the hunk expects to find (context and removed lines), in order.
    pub fn old_lines(&self) -> impl Iterator<Item = &[u8]> {
        self.lines
            .iter()
            .filter(|l| l.kind != LineKind::Add)
            .map(|l| l.text.as_slice())
    }

    /// The lines the hunk leaves behind (context and added lines), in order.
    pub fn new_lines(&self) -> impl Iterator<Item = &[u8]> {
        self.lines
            .iter()
            .filter(|l| l.kind != LineKind::Remove)
            .map(|l| l.text.as_slice())
    }

    /// The context lines before the first change and after the last one. A hunk of context
    /// only counts its lines once, on both sides.
    pub fn context_lengths(&self) -> (usize, usize) {
        let is_context = |l: &&Line| l.kind == LineKind::Context;
        let before = self.lines.iter().take_while(is_context).count();
        if before == self.lines.len() {
            let all = before + self.missing_context;
            return (all, all);
        }
        (
            before,
            self.lines.iter().rev().take_while(is_context).count() + self.missing_context,
        )
    }

    /// The same hunk, undone: added lines become removed lines and the ranges swap.
    pub fn reversed(&self) -> Hunk {
        Hunk {
            old_start: self.new_start,
            old_count: self.new_count,
            new_start: self.old_start,
            new_count: self.old_count,
            header_line: self.header_line.clone(),
            lines: self
                .lines
                .iter()
                .map(|l| Line {
                    kind: match l.kind {
                        LineKind::Add => LineKind::Remove,
                        LineKind::Remove => LineKind::Add,
                        LineKind::Context => LineKind::Context,
                    },
                    text: l.text.clone(),
                    no_newline_marker: l.no_newline_marker.clone(),
                })
                .collect(),
            missing_context: self.missing_context,
        }
    }
}

impl FilePatch {
    /// The path this diff is about on the old side, `-p strip` applied (`None` if new or if
    /// the path has fewer components than `strip`). Git's `rename from` wins for renames.
    pub fn old_target(&self, strip: usize) -> Option<Vec<u8>> {
        if let Some((from, _)) = self.rename.as_ref().or(self.copy.as_ref()) {
            return Some(from.clone());
        }
        if self.is_new {
            return None;
        }
        self.old_path
            .as_deref()
            .and_then(|p| super::path::strip_components(p, strip))
    }

    /// The path this diff is about on the new side, `-p strip` applied (`None` if deleted).
    pub fn new_target(&self, strip: usize) -> Option<Vec<u8>> {
        if let Some((_, to)) = self.rename.as_ref().or(self.copy.as_ref()) {
            return Some(to.clone());
        }
        if self.is_delete {
            return None;
        }
        self.new_path
            .as_deref()
            .and_then(|p| super::path::strip_components(p, strip))
    }

    /// Whether the diff changes anything, as git judges it: a hunk, a binary payload (or
    /// notice), a new or deleted file, a rename or copy, or a mode change. A `diff --git` header
    /// with none of these is what git calls a "patch with only garbage".
    pub fn changes_anything(&self) -> bool {
        !self.hunks.is_empty()
            || self.binary.is_some()
            || self.is_new
            || self.is_delete
            || self.rename.is_some()
            || self.copy.is_some()
            || matches!((self.old_mode, self.new_mode), (Some(old), Some(new)) if old != new)
    }

    /// The one file a plain diff that names it differently on its two sides patches
    /// (`--- a/x.h`, `+++ b/x.h.new`), as GNU patch chooses it: of the two names that `exists`,
    /// the one with the fewest components, then the shortest base name, then the shortest
    /// name. `None` for a git diff (its names are a rename or a copy), a creation or deletion,
    /// a diff that names one file, or when neither name exists.
    pub fn plain_target(
        &self,
        strip: usize,
        mut exists: impl FnMut(&[u8]) -> bool,
    ) -> Option<Vec<u8>> {
        if self.git || self.is_new || self.is_delete {
            return None;
        }
        let old = self.old_target(strip)?;
        let new = self.new_target(strip)?;
        if old == new {
            return None;
        }
        let rank = |path: &[u8]| {
            let parts: Vec<&[u8]> = path
                .split(|&b| b == b'/')
                .filter(|part| !part.is_empty() && *part != b".")
                .collect();
            let base = parts.last().map_or(0, |part| part.len());
            (parts.len(), base, path.len())
        };
        [old, new]
            .into_iter()
            .filter(|path| exists(path))
            .min_by_key(|path| rank(path))
    }

    /// Make the diff's paths, `-p strip` applied, paths under `folder` and give them one
    /// leading component again (`a/`, `b/`), so that `-p1` reads them: a patch applied in a
    /// folder of a tree, read as a patch of the whole tree. A rename's or copy's paths (which
    /// no `-p` strips) move too.
    pub fn move_into(&mut self, folder: &[u8], strip: usize) {
        let folder = folder.strip_suffix(b"/").unwrap_or(folder);
        let under = |side: &[u8], path: &[u8]| {
            let mut moved = side.to_vec();
            moved.extend_from_slice(folder);
            moved.push(b'/');
            moved.extend_from_slice(path);
            moved
        };
        self.old_path = self
            .old_path
            .take()
            .and_then(|p| super::path::strip_components(&p, strip))
            .map(|p| under(b"a/", &p));
        self.new_path = self
            .new_path
            .take()
            .and_then(|p| super::path::strip_components(&p, strip))
            .map(|p| under(b"b/", &p));
        for pair in [&mut self.rename, &mut self.copy].into_iter().flatten() {
            pair.0 = under(b"", &pair.0);
            pair.1 = under(b"", &pair.1);
        }
    }

    /// The path to show a user: the new path, else the old one, `-p strip` applied.
    pub fn display_path(&self, strip: usize) -> String {
        let path = self
            .new_target(strip)
            .or_else(|| self.old_target(strip))
            .unwrap_or_default();
        String::from_utf8_lossy(&path).into_owned()
    }

    /// The same file diff, undone (new and old swap, hunks reversed).
    pub fn reversed(&self) -> FilePatch {
        FilePatch {
            preamble: self.preamble.clone(),
            git: self.git,
            old_path: self.new_path.clone(),
            new_path: self.old_path.clone(),
            old_line: self.new_line.clone(),
            new_line: self.old_line.clone(),
            old_mode: self.new_mode,
            new_mode: self.old_mode,
            is_new: self.is_delete,
            is_delete: self.is_new,
            rename: self.rename.as_ref().map(|(a, b)| (b.clone(), a.clone())),
            copy: self.copy.clone(),
            index: self.index.as_ref().map(|(a, b)| (b.clone(), a.clone())),
            hunks: self.hunks.iter().map(Hunk::reversed).collect(),
            binary: self.binary.as_ref().map(|b| BinaryPatch {
                raw: b.raw.clone(),
                forward: b.reverse.clone(),
                reverse: b.forward.clone(),
            }),
        }
    }
}

impl Patch {
    /// [`FilePatch::move_into`] for every file of `mails`; the `-p` that reads them now (1).
    pub fn move_all_into(mails: &mut [Patch], folder: &[u8], strip: usize) -> usize {
        for file in mails.iter_mut().flat_map(|mail| &mut mail.files) {
            file.move_into(folder, strip);
        }
        1
    }

    /// The same patch, undone.
    pub fn reversed(&self) -> Patch {
        Patch {
            header: self.header.clone(),
            files: self.files.iter().map(FilePatch::reversed).collect(),
            trailer: self.trailer.clone(),
        }
    }
}

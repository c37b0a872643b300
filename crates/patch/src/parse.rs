//! The patch parser: bytes of a patch file (or an mbox of several) → `Vec<Patch>`.
//!
//! First step of every flow that reads a patch (apply, patch id, check, refresh). The parser
//! is lossless: every input byte lands in some field of the model (header, preamble, raw
//! `---`/`+++` lines, hunk lines, binary raw lines, trailer), so `write::write_patch` gives
//! the input back. It works line by line over byte slices, with a little lookahead to decide
//! whether a line starts a file diff, and uses hunk line counts (never the look of a line) to
//! find where a hunk ends. One input is accepted but not kept verbatim: an empty line inside a
//! hunk (a context line whose leading space a mailer or editor stripped, which GNU patch and
//! git apply also accept) is read as the context line ` ` + newline and written back that way.
//!
//! The parser also refuses, with the line, what git apply refuses and what no reader of a patch
//! should act on: input that holds no diff at all (a 404 page, an empty file, headers only), a
//! `diff --git` header that changes nothing, a stray line between two hunks of a file (the
//! hunks after it would be lost), hunk counts larger than the rest of the input, paths with a
//! `.git` component (`dotgit`), and binary payloads beyond the budget (`budget`). No buffer is
//! sized from a count the input declares before that count is checked.
//! Written by hand: no crate parses git extended headers, binary
//! payloads and quilt/svn preambles losslessly (see DESIGN.md §9).

use super::binary::{self, BinaryError};
use super::budget;
use super::dotgit::verify_git_path;
use super::model::{BinaryHunk, BinaryKind, BinaryPatch, FilePatch, Hunk, Line, LineKind, Patch};

/// A patch that could not be parsed, with the 1-based line of the input where it went wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    /// 1-based line number in the input.
    pub line: usize,
    /// What is wrong, in sentence case.
    pub message: String,
}

/// How many trailing context lines a hunk may lack at the end of the input. GNU patch 2.7
/// (`pch.c`, "assume blank lines got chopped") accepts a unified hunk short by up to three
/// lines there and takes them as blank context; four is "unexpected end of file in patch".
/// Measured with GNU patch 2.7.6: short by 1 and 3 apply, short by 4, 5, 6 and 10 are refused.
pub const MAX_CHOPPED_LINES: usize = 3;

/// How many lines that belong to no header may follow a `diff --git` line before the rest of
/// its header, as a wrapped long line leaves them (the rest of a path, an empty line). GNU
/// patch skips any number; a few keep prose after a header that changes nothing an error.
pub const MAX_WRAPPED_LINES: usize = 3;

/// Every patch in the input: one for a plain diff / quilt patch, several for an mbox of
/// format-patch mails (each `From <sha> Mon Sep 17 00:00:00 2001` line starts a new patch).
///
/// Input that holds no file diff that changes anything (an empty file, prose or mail headers
/// only, an HTML error page) is an error, as it is for GNU patch ("Only garbage was found") and
/// git apply ("No valid patches"). A mail without a diff among mails with one (a cover letter)
/// is kept as a patch holding only a header.
pub fn parse_patches(input: &[u8]) -> Result<Vec<Patch>, ParseError> {
    let lines = split_lines(input);
    Parser {
        lines: &lines,
        next_dot: std::cell::OnceCell::new(),
    }
    .run()
}

/// Split into lines that keep their terminator (the last one may have none).
fn split_lines(input: &[u8]) -> Vec<&[u8]> {
    let mut lines = Vec::with_capacity(input.len() / 40 + 1);
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', input) {
        lines.push(&input[start..=end]);
        start = end + 1;
    }
    if start < input.len() {
        lines.push(&input[start..]);
    }
    lines
}

/// The line without its `\n` or `\r\n` terminator.
pub(crate) fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// How a file diff starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    /// `diff --git a/x b/x`.
    Git,
    /// A preamble line (`diff -u …`, `Index: …`) before `---`/`+++`.
    Plain,
    /// `---`/`+++` with no preamble.
    Bare,
    /// A lone `Binary files a/x and b/x differ` (as `diff -r` writes it).
    BinaryNotice,
}

struct Parser<'a> {
    lines: &'a [&'a [u8]],
    /// For each line, the index of the first `.` line at or after it (ed scripts end their
    /// text with one); built on first use so a run of ed-like lines stays linear.
    next_dot: std::cell::OnceCell<Vec<usize>>,
}

impl<'a> Parser<'a> {
    fn line(&self, index: usize) -> &'a [u8] {
        self.lines.get(index).copied().unwrap_or(b"")
    }

    fn run(&self) -> Result<Vec<Patch>, ParseError> {
        let mut patches = Vec::new();
        let mut current = Patch::default();
        // Lines not (yet) part of a file diff: the header, prose between diffs, the trailer.
        let mut pending: Vec<&[u8]> = Vec::new();
        // After the hunks of a file, the first line that is not part of them (0-based) and the
        // file: a hunk header before the next file diff means the lines between were stray.
        let mut after_hunks: Option<(usize, String)> = None;
        let mut index = 0;
        while index < self.lines.len() {
            let line = self.lines[index];
            if is_mbox_from(line) {
                after_hunks = None;
                if !pending.is_empty() || !current.files.is_empty() {
                    finish(&mut current, &mut pending, &mut patches);
                }
            }
            match self.diff_start(index) {
                Some(start) => {
                    let (mut file, next) = self.file(index, start)?;
                    after_hunks = (!file.hunks.is_empty() && next < self.lines.len())
                        .then(|| (next, file.display_path(0)));
                    if current.files.is_empty() {
                        current.header = pending.concat();
                    } else if !pending.is_empty() {
                        let mut preamble: Vec<Vec<u8>> =
                            pending.iter().map(|l| l.to_vec()).collect();
                        preamble.append(&mut file.preamble);
                        file.preamble = preamble;
                    }
                    pending.clear();
                    current.files.push(file);
                    index = next;
                }
                None => {
                    if let Some((stray, file)) = &after_hunks
                        && line.starts_with(b"@@ -")
                        && parse_hunk_header(line).is_some()
                    {
                        return Err(error(
                            *stray,
                            &format!(
                                "unexpected line between two hunks of `{file}` (the hunk at \
                                 line {} would be lost); a hunk ends when its header's line \
                                 counts are used up",
                                index + 1
                            ),
                        ));
                    }
                    self.refuse_non_unified(index)?;
                    pending.push(line);
                    index += 1;
                }
            }
        }
        if !pending.is_empty() || !current.files.is_empty() {
            finish(&mut current, &mut pending, &mut patches);
        }
        let has_diff = patches
            .iter()
            .flat_map(|patch| &patch.files)
            .any(FilePatch::changes_anything);
        if !has_diff {
            let message = if self.lines.is_empty() {
                "the input is empty: no diff to apply"
            } else {
                "no diff found: nothing here is a unified diff (`diff --git`, or `---`/`+++` \
                 lines and `@@` hunks), so there is nothing to apply"
            };
            return Err(error(0, message));
        }
        Ok(patches)
    }

    /// Whether the line at `index` starts a file diff, and how.
    fn diff_start(&self, index: usize) -> Option<Start> {
        let line = self.line(index);
        let next = self.line(index + 1);
        let is_old = |l: &[u8]| l.starts_with(b"--- ");
        let is_new = |l: &[u8]| l.starts_with(b"+++ ");
        if line.starts_with(b"diff --git ") {
            return Some(Start::Git);
        }
        if line.starts_with(b"diff ") {
            if (is_old(next) && is_new(self.line(index + 2))) || is_binary_notice(next) {
                return Some(Start::Plain);
            }
            return None;
        }
        if line.starts_with(b"Index: ") {
            let mut at = index + 1;
            if self.line(at).starts_with(b"====") {
                at += 1;
            }
            let first = self.line(at);
            if (is_old(first) && is_new(self.line(at + 1))) || is_binary_notice(first) {
                return Some(Start::Plain);
            }
            return None;
        }
        if is_old(line) && is_new(next) && self.line(index + 2).starts_with(b"@@") {
            return Some(Start::Bare);
        }
        if is_binary_notice(line) {
            return Some(Start::BinaryNotice);
        }
        None
    }

    /// Refuse ed scripts (`diff -e`) and normal diffs (`1,3c1,3`): they carry no context and
    /// cannot be applied safely.
    fn refuse_non_unified(&self, index: usize) -> Result<(), ParseError> {
        let line = trim_eol(self.line(index));
        let Some((command, has_second_range)) = ed_command(line) else {
            return Ok(());
        };
        let next = self.line(index + 1);
        let normal = has_second_range
            && (next.starts_with(b"< ") || next.starts_with(b"> ") || next == b"---\n");
        let ed = !has_second_range && (command == b'd' || self.has_dot_line_after(index));
        if normal || ed {
            let kind = if normal {
                "a normal diff"
            } else {
                "an ed script"
            };
            return Err(ParseError {
                line: index + 1,
                message: format!(
                    "`{}` starts {kind}, which is not supported; use a unified diff (`diff -u`)",
                    String::from_utf8_lossy(line)
                ),
            });
        }
        Ok(())
    }

    fn has_dot_line_after(&self, index: usize) -> bool {
        let next_dot = self.next_dot.get_or_init(|| {
            let mut next = vec![usize::MAX; self.lines.len() + 1];
            for at in (0..self.lines.len()).rev() {
                next[at] = if trim_eol(self.lines[at]) == b"." {
                    at
                } else {
                    next[at + 1]
                };
            }
            next
        });
        next_dot.get(index + 1).is_some_and(|&at| at != usize::MAX)
    }

    /// Parse one file diff starting at `index`; returns it and the index of the next line.
    fn file(&self, index: usize, start: Start) -> Result<(FilePatch, usize), ParseError> {
        let (file, next) = self.file_diff(index, start)?;
        if file.git && !file.changes_anything() {
            return Err(error(
                index,
                &format!(
                    "`diff --git` header of `{}` with no change after it (no hunk, mode change, \
                     rename, copy or binary payload)",
                    file.display_path(0)
                ),
            ));
        }
        refuse_git_paths(&file, index)?;
        Ok((file, next))
    }

    fn file_diff(&self, mut index: usize, start: Start) -> Result<(FilePatch, usize), ParseError> {
        let start_index = index;
        let mut file = FilePatch::default();
        match start {
            Start::Git => {
                let line = self.line(index);
                file.git = true;
                if let Some((old, new)) = git_header_names(&line[b"diff --git ".len()..]) {
                    file.old_path = Some(old);
                    file.new_path = Some(new);
                }
                file.preamble.push(line.to_vec());
                index += 1;
                index = self.git_extended_header(&mut file, index)?;
                if let Some(resume) = self.wrapped_git_header(&file, index) {
                    // GNU patch (what melange runs) skips lines it cannot read between
                    // `diff --git` and the rest of the header; a long `diff --git` line that an
                    // editor or mailer wrapped leaves such lines. The names then come from
                    // `---`/`+++`, as GNU patch takes them.
                    tracing::warn!(
                        "the `diff --git` line at line {} is followed by {} line(s) that are not \
                         part of a git header (a wrapped line?); they are skipped, as GNU patch \
                         skips them",
                        start_index + 1,
                        resume - index
                    );
                    file.preamble
                        .extend(self.lines[index..resume].iter().map(|l| l.to_vec()));
                    index = self.git_extended_header(&mut file, resume)?;
                }
            }
            Start::Plain => {
                file.preamble.push(self.line(index).to_vec());
                index += 1;
                if self.line(index).starts_with(b"====") {
                    file.preamble.push(self.line(index).to_vec());
                    index += 1;
                }
            }
            Start::Bare | Start::BinaryNotice => {}
        }

        let line = self.line(index);
        if index < self.lines.len() && is_binary_notice(line) {
            if let Some((old, new)) = binary_notice_names(line)
                && file.old_path.is_none()
                && file.new_path.is_none()
            {
                file.old_path = Some(old);
                file.new_path = Some(new);
            }
            file.binary = Some(BinaryPatch {
                raw: vec![line.to_vec()],
                forward: None,
                reverse: None,
            });
            index += 1;
        } else if index < self.lines.len() && trim_eol(line) == b"GIT binary patch" {
            index = self.git_binary(&mut file, index)?;
        } else if line.starts_with(b"--- ") && self.line(index + 1).starts_with(b"+++ ") {
            let new_line = self.line(index + 1);
            file.old_path = side_path(&line[4..]);
            file.new_path = side_path(&new_line[4..]);
            file.old_line = Some(line.to_vec());
            file.new_line = Some(new_line.to_vec());
            index += 2;
            index = self.hunks(&mut file, index)?;
        }
        settle_sides(&mut file);
        Ok((file, index))
    }

    /// The lines after `diff --git` up to `---`, a binary payload, or the end of the diff.
    fn git_extended_header(
        &self,
        file: &mut FilePatch,
        mut index: usize,
    ) -> Result<usize, ParseError> {
        while index < self.lines.len() {
            let raw = self.line(index);
            let line = trim_eol(raw);
            let number = index + 1;
            if let Some(rest) = line.strip_prefix(b"old mode ") {
                file.old_mode = Some(parse_mode(rest, number)?);
            } else if let Some(rest) = line.strip_prefix(b"new mode ") {
                file.new_mode = Some(parse_mode(rest, number)?);
            } else if let Some(rest) = line.strip_prefix(b"deleted file mode ") {
                file.old_mode = Some(parse_mode(rest, number)?);
                file.is_delete = true;
            } else if let Some(rest) = line.strip_prefix(b"new file mode ") {
                file.new_mode = Some(parse_mode(rest, number)?);
                file.is_new = true;
            } else if let Some(rest) = line.strip_prefix(b"rename from ") {
                let to = file.rename.take().map(|(_, to)| to).unwrap_or_default();
                file.rename = Some((unquote_path(rest), to));
            } else if let Some(rest) = line.strip_prefix(b"rename to ") {
                let from = file.rename.take().map(|(from, _)| from).unwrap_or_default();
                file.rename = Some((from, unquote_path(rest)));
            } else if let Some(rest) = line.strip_prefix(b"copy from ") {
                let to = file.copy.take().map(|(_, to)| to).unwrap_or_default();
                file.copy = Some((unquote_path(rest), to));
            } else if let Some(rest) = line.strip_prefix(b"copy to ") {
                let from = file.copy.take().map(|(from, _)| from).unwrap_or_default();
                file.copy = Some((from, unquote_path(rest)));
            } else if let Some(rest) = line.strip_prefix(b"index ") {
                file.index = parse_index(rest, number)?;
            } else if line.starts_with(b"similarity index ")
                || line.starts_with(b"dissimilarity index ")
            {
            } else {
                break;
            }
            file.preamble.push(raw.to_vec());
            index += 1;
        }
        Ok(index)
    }

    /// Where a git header resumes after the lines that a wrapped `diff --git` line left, if
    /// it does: nothing of the header was read yet (only the `diff --git` line), and within
    /// [`MAX_WRAPPED_LINES`] lines that start nothing a patch has come an extended header line
    /// (`index …`, a mode, a rename) or `---` and `+++`.
    fn wrapped_git_header(&self, file: &FilePatch, index: usize) -> Option<usize> {
        if file.preamble.len() != 1 {
            return None;
        }
        for resume in index + 1..=index + MAX_WRAPPED_LINES {
            let stray = self.line(resume - 1);
            if resume > self.lines.len() || starts_patch_syntax(stray) {
                return None;
            }
            let line = self.line(resume);
            if is_git_extended_header(trim_eol(line))
                || (line.starts_with(b"--- ") && self.line(resume + 1).starts_with(b"+++ "))
            {
                return Some(resume);
            }
        }
        None
    }

    /// `GIT binary patch`, a forward payload and an optional reverse payload.
    fn git_binary(&self, file: &mut FilePatch, mut index: usize) -> Result<usize, ParseError> {
        let mut raw = vec![self.line(index).to_vec()];
        index += 1;
        let mut payloads = Vec::new();
        while payloads.len() < 2 && index < self.lines.len() {
            let line = trim_eol(self.line(index));
            let (kind, size) = if let Some(rest) = line.strip_prefix(b"literal ") {
                (BinaryKind::Literal, rest)
            } else if let Some(rest) = line.strip_prefix(b"delta ") {
                (BinaryKind::Delta, rest)
            } else if payloads.is_empty() {
                return Err(error(
                    index,
                    "expected `literal <size>` or `delta <size>` after `GIT binary patch`",
                ));
            } else {
                break;
            };
            let size =
                parse_number(size).ok_or_else(|| error(index, "invalid binary payload size"))?;
            // Reserved before anything is decoded or allocated: the declared size is the
            // input's word, and a small zlib stream can claim gigabytes.
            let reservation = budget::global()
                .reserve(size)
                .map_err(|e| error(index, &BinaryError::from(e).to_string()))?;
            raw.push(self.line(index).to_vec());
            index += 1;
            let first = index;
            while index < self.lines.len() && !trim_eol(self.line(index)).is_empty() {
                raw.push(self.line(index).to_vec());
                index += 1;
            }
            let data_lines = &self.lines[first..index];
            if index < self.lines.len() {
                raw.push(self.line(index).to_vec());
                index += 1;
            }
            let deflated = binary::decode_base85_payload(data_lines).map_err(|e| match e {
                BinaryError::Base85 { line, .. } => error(first + line, &e.to_string()),
                other => error(first, &other.to_string()),
            })?;
            let data = binary::inflate(&deflated, &reservation)
                .map_err(|e| error(first, &e.to_string()))?;
            payloads.push(BinaryHunk {
                kind,
                size,
                data: budget::Payload::new(data, reservation),
            });
        }
        let mut payloads = payloads.into_iter();
        file.binary = Some(BinaryPatch {
            raw,
            forward: payloads.next(),
            reverse: payloads.next(),
        });
        Ok(index)
    }

    /// The `@@` hunks after `+++`.
    ///
    /// A hunk may lack up to [`MAX_CHOPPED_LINES`] trailing context lines at the very end of
    /// the input; they are taken as blank lines, as GNU patch does.
    fn hunks(&self, file: &mut FilePatch, mut index: usize) -> Result<usize, ParseError> {
        while index < self.lines.len() {
            let header = self.line(index);
            if header.starts_with(b"@@@") {
                return Err(error(
                    index,
                    "combined diff (merge) hunks are not supported",
                ));
            }
            if !header.starts_with(b"@@ ") {
                break;
            }
            let (old_start, old_count, new_start, new_count) = parse_hunk_header(header)
                .ok_or_else(|| {
                    error(
                        index,
                        &format!(
                            "invalid hunk header `{}`",
                            String::from_utf8_lossy(trim_eol(header))
                        ),
                    )
                })?;
            let header_index = index;
            index += 1;
            // Every line of a hunk uses up one old or one new line (a context line both), so a
            // hunk has at least max(old, new) lines: more than the input holds is refused here,
            // before anything is sized from the counts.
            let needed = old_count.max(new_count);
            let available = self.lines.len() - index;
            if needed > available + MAX_CHOPPED_LINES {
                return Err(error(
                    header_index,
                    &format!(
                        "hunk ends early: its header counts {needed} lines and only {available} \
                         follow in the input"
                    ),
                ));
            }
            let mut hunk = Hunk {
                old_start,
                old_count,
                new_start,
                new_count,
                header_line: header.to_vec(),
                lines: Vec::with_capacity(needed),
                missing_context: 0,
            };
            let (mut old_left, mut new_left) = (old_count, new_count);
            while old_left > 0 || new_left > 0 {
                if index >= self.lines.len() {
                    // The input ends a few context lines early: GNU patch takes them as blank
                    // lines an editor chopped (a trailing ` ` line loses its space, then the
                    // file its last empty line). They count as trailing context, as for GNU
                    // patch, but are no text of the patch: nothing is matched against them
                    // (melange's GNU patch, at fuzz 2, ignores them where they are not blank).
                    if old_left == new_left && old_left <= MAX_CHOPPED_LINES {
                        tracing::warn!(
                            "the hunk at line {} ends {old_left} context line(s) before its header \
                             says, at the end of the patch; they are taken as context lines the \
                             patch does not show, as GNU patch takes them",
                            header_index + 1
                        );
                        hunk.missing_context = old_left;
                        break;
                    }
                    return Err(error(
                        header_index,
                        &format!(
                            "hunk ends early: {old_left} old and {new_left} new lines missing at the end of the input"
                        ),
                    ));
                }
                let line = self.line(index);
                let (kind, text) = match line.first() {
                    Some(b' ') => (LineKind::Context, &line[1..]),
                    Some(b'-') => (LineKind::Remove, &line[1..]),
                    Some(b'+') => (LineKind::Add, &line[1..]),
                    // An empty context line whose space a mailer stripped.
                    Some(b'\n') => (LineKind::Context, line),
                    Some(b'\r') if line == b"\r\n" => (LineKind::Context, line),
                    Some(b'\\') => {
                        self.no_newline_marker(&mut hunk, index)?;
                        index += 1;
                        continue;
                    }
                    _ => {
                        return Err(error(
                            index,
                            &format!(
                                "unexpected line inside a hunk ({old_left} old and {new_left} new lines still expected)"
                            ),
                        ));
                    }
                };
                let fits = match kind {
                    LineKind::Context => old_left > 0 && new_left > 0,
                    LineKind::Remove => old_left > 0,
                    LineKind::Add => new_left > 0,
                };
                if !fits {
                    return Err(error(index, "hunk has more lines than its header says"));
                }
                if kind != LineKind::Add {
                    old_left -= 1;
                }
                if kind != LineKind::Remove {
                    new_left -= 1;
                }
                hunk.lines.push(Line {
                    kind,
                    text: text.to_vec(),
                    no_newline_marker: None,
                });
                index += 1;
            }
            if index < self.lines.len() && self.line(index).starts_with(b"\\") {
                self.no_newline_marker(&mut hunk, index)?;
                index += 1;
            }
            file.hunks.push(hunk);
        }
        Ok(index)
    }

    /// Attach a `\ No newline at end of file` marker to the hunk's last line.
    fn no_newline_marker(&self, hunk: &mut Hunk, index: usize) -> Result<(), ParseError> {
        let Some(last) = hunk.lines.last_mut() else {
            return Err(error(index, "`\\` marker before any hunk line"));
        };
        if last.no_newline_marker.is_some() || last.text.last() != Some(&b'\n') {
            return Err(error(
                index,
                "misplaced `\\ No newline at end of file` marker",
            ));
        }
        last.text.pop();
        last.no_newline_marker = Some(self.line(index).to_vec());
        Ok(())
    }
}

/// Refuse a file diff that names a path git refuses (a `.git` component in any spelling, or
/// `.gitmodules` as a symbolic link): every name it carries, both sides of a rename or copy,
/// as written (the `-p` prefix is a component like the others, so no strip level can make a
/// refused name safe). `index` is the first line of the file diff.
fn refuse_git_paths(file: &FilePatch, index: usize) -> Result<(), ParseError> {
    let is_link = |mode: Option<u32>| mode.is_some_and(|m| m & 0o170000 == 0o120000);
    let (old_link, new_link) = (is_link(file.old_mode), is_link(file.new_mode));
    let renamed = file.rename.iter().chain(&file.copy);
    let old_names = file
        .old_path
        .iter()
        .chain(renamed.clone().map(|(from, _)| from));
    let new_names = file.new_path.iter().chain(renamed.map(|(_, to)| to));
    let names = old_names
        .map(|name| (name, old_link))
        .chain(new_names.map(|name| (name, new_link)));
    for (name, link) in names {
        verify_git_path(name, link).map_err(|reason| {
            error(
                index,
                &format!("{reason}; git refuses such a path, and so does mindelta"),
            )
        })?;
    }
    Ok(())
}

/// Close the current patch: the pending lines become its header (no diff) or trailer.
/// Whether the line (without its terminator) is one of git's extended header lines.
fn is_git_extended_header(line: &[u8]) -> bool {
    [
        &b"old mode "[..],
        b"new mode ",
        b"deleted file mode ",
        b"new file mode ",
        b"rename from ",
        b"rename to ",
        b"copy from ",
        b"copy to ",
        b"index ",
        b"similarity index ",
        b"dissimilarity index ",
    ]
    .iter()
    .any(|prefix| line.starts_with(prefix))
}

/// Whether the line starts something of a patch (a file diff, a hunk, a binary payload, a
/// mail), so that it cannot be the rest of a wrapped line.
fn starts_patch_syntax(line: &[u8]) -> bool {
    let bare = trim_eol(line);
    line.starts_with(b"diff ")
        || line.starts_with(b"@@")
        || line.starts_with(b"--- ")
        || line.starts_with(b"+++ ")
        || line.starts_with(b"Index: ")
        || is_mbox_from(line)
        || is_binary_notice(line)
        || bare == b"GIT binary patch"
        || is_git_extended_header(bare)
}

fn finish(current: &mut Patch, pending: &mut Vec<&[u8]>, patches: &mut Vec<Patch>) {
    if current.files.is_empty() {
        current.header = pending.concat();
    } else {
        current.trailer = pending.concat();
    }
    pending.clear();
    patches.push(std::mem::take(current));
}

fn error(index: usize, message: &str) -> ParseError {
    ParseError {
        line: index + 1,
        message: message.to_string(),
    }
}

/// `From <sha> …`: the first line of a format-patch mail.
pub(crate) fn is_mbox_from(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(b"From ") else {
        return false;
    };
    let hex = rest.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    (hex == 40 || hex == 64) && rest.get(hex) == Some(&b' ')
}

fn is_binary_notice(line: &[u8]) -> bool {
    line.starts_with(b"Binary files ") && trim_eol(line).ends_with(b" differ")
}

/// The paths of `Binary files a/x and b/x differ`.
fn binary_notice_names(line: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let body = trim_eol(line)
        .strip_prefix(b"Binary files ")?
        .strip_suffix(b" differ")?;
    let split = memchr::memmem::find(body, b" and ")?;
    Some((
        unquote_path(&body[..split]),
        unquote_path(&body[split + 5..]),
    ))
}

/// A line like `1,3c` / `5d` (ed) or `1,3c1,3` (normal diff): the command letter and whether
/// a second range follows.
fn ed_command(line: &[u8]) -> Option<(u8, bool)> {
    let range = |s: &[u8]| -> usize {
        let first = s.iter().take_while(|b| b.is_ascii_digit()).count();
        if first == 0 {
            return 0;
        }
        if s.get(first) == Some(&b',') {
            let second = s[first + 1..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            if second > 0 {
                return first + 1 + second;
            }
        }
        first
    };
    let used = range(line);
    if used == 0 {
        return None;
    }
    let command = *line.get(used)?;
    if !matches!(command, b'a' | b'c' | b'd') {
        return None;
    }
    let rest = &line[used + 1..];
    if rest.is_empty() {
        return Some((command, false));
    }
    (range(rest) == rest.len()).then_some((command, true))
}

/// Parse `@@ -a[,b] +c[,d] @@…` into (a, b, c, d); an omitted count is 1.
fn parse_hunk_header(line: &[u8]) -> Option<(usize, usize, usize, usize)> {
    let rest = line.strip_prefix(b"@@ -")?;
    let (old_start, old_count, rest) = parse_range(rest)?;
    let rest = rest.strip_prefix(b" +")?;
    let (new_start, new_count, rest) = parse_range(rest)?;
    rest.starts_with(b" @@")
        .then_some((old_start, old_count, new_start, new_count))
}

fn parse_range(s: &[u8]) -> Option<(usize, usize, &[u8])> {
    let digits = s.iter().take_while(|b| b.is_ascii_digit()).count();
    let start = parse_number(&s[..digits])?;
    let rest = &s[digits..];
    if let Some(rest) = rest.strip_prefix(b",") {
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let count = parse_number(&rest[..digits])?;
        Some((start, count, &rest[digits..]))
    } else {
        Some((start, 1, rest))
    }
}

fn parse_number(digits: &[u8]) -> Option<usize> {
    if digits.is_empty() || digits.len() > 18 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

fn parse_mode(text: &[u8], number: usize) -> Result<u32, ParseError> {
    let text = text.trim_ascii();
    if text.is_empty() || text.len() > 7 || !text.iter().all(|b| (b'0'..=b'7').contains(b)) {
        return Err(ParseError {
            line: number,
            message: format!("invalid file mode `{}`", String::from_utf8_lossy(text)),
        });
    }
    // Checked above: 1 to 7 octal digits.
    Ok(text
        .iter()
        .fold(0, |mode, digit| mode * 8 + u32::from(digit - b'0')))
}

/// `index abc..def[ mode]` → (abc, def). Ids that are not hexadecimal (`1234567..abcdefg`,
/// written by hand) leave the line unread, as git and GNU patch leave it; a bad mode is an
/// error.
fn parse_index(text: &[u8], number: usize) -> Result<Option<(String, String)>, ParseError> {
    let ids = text.split(|b| *b == b' ').next().unwrap_or(b"");
    if let Some(mode) = text.get(ids.len() + 1..) {
        parse_mode(mode, number)?;
    }
    let Some(split) = memchr::memmem::find(ids, b"..") else {
        return Ok(None);
    };
    let (old, new) = (&ids[..split], &ids[split + 2..]);
    let hex = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_hexdigit);
    if !hex(old) || !hex(new) {
        return Ok(None);
    }
    // Checked above: ASCII hex digits.
    Ok(Some((
        String::from_utf8_lossy(old).into_owned(),
        String::from_utf8_lossy(new).into_owned(),
    )))
}

/// The path of a `---`/`+++` line (after the marker): up to a tab, C-unquoted;
/// `None` for `/dev/null`.
fn side_path(text: &[u8]) -> Option<Vec<u8>> {
    let text = trim_eol(text);
    let name = if text.first() == Some(&b'"') {
        match unquote_c(text) {
            Some((path, _)) => return (path != b"/dev/null").then_some(path),
            None => text,
        }
    } else {
        match memchr::memchr(b'\t', text) {
            Some(tab) => &text[..tab],
            None => text.trim_ascii_end(),
        }
    };
    (name != b"/dev/null").then(|| name.to_vec())
}

/// True if the `---` line carries the epoch timestamp `diff -N` writes for a missing file.
fn has_epoch_timestamp(side_line: &[u8]) -> bool {
    let text = trim_eol(side_line);
    match memchr::memchr(b'\t', text) {
        Some(tab) => {
            let stamp = text[tab + 1..].trim_ascii_start();
            stamp.starts_with(b"1970-01-01 00:00:00")
                || stamp.starts_with(b"1969-12-31 ")
                || stamp.starts_with(b"Thu Jan  1 00:00:00 1970")
        }
        None => false,
    }
}

/// Derive `is_new`/`is_delete` from `/dev/null` sides and `diff -N` epoch timestamps.
fn settle_sides(file: &mut FilePatch) {
    if file.old_line.is_some() && file.old_path.is_none() {
        file.is_new = true;
    }
    if file.new_line.is_some() && file.new_path.is_none() {
        file.is_delete = true;
    }
    if file.git {
        if file.is_new {
            file.old_path = None;
        }
        if file.is_delete {
            file.new_path = None;
        }
        return;
    }
    if !file.hunks.is_empty() {
        let all = |f: &dyn Fn(&Hunk) -> bool| file.hunks.iter().all(f);
        if file.old_line.as_deref().is_some_and(has_epoch_timestamp)
            && all(&|h| h.old_start == 0 && h.old_count == 0)
        {
            file.is_new = true;
        }
        if file.new_line.as_deref().is_some_and(has_epoch_timestamp)
            && all(&|h| h.new_start == 0 && h.new_count == 0)
        {
            file.is_delete = true;
        }
    }
}

/// The two names of a `diff --git` line (with their `a/`/`b/` prefixes as written).
fn git_header_names(rest: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let rest = trim_eol(rest);
    if rest.first() == Some(&b'"') {
        let (old, used) = unquote_c(rest)?;
        let second = rest[used..].trim_ascii_start();
        let new = if second.first() == Some(&b'"') {
            unquote_c(second)?.0
        } else {
            second.to_vec()
        };
        return Some((old, new));
    }
    if let Some(quote) = memchr::memmem::find(rest, b" \"")
        && let Some((new, _)) = unquote_c(&rest[quote + 1..])
    {
        return Some((rest[..quote].to_vec(), new));
    }
    // Unquoted: names may hold spaces. Same name on both sides (the common case): split in
    // the middle; otherwise at ` b/`, else at the first space.
    if rest.len() % 2 == 1 {
        let middle = rest.len() / 2;
        let (old, new) = (&rest[..middle], &rest[middle + 1..]);
        if rest[middle] == b' ' && strip_first(old) == strip_first(new) {
            return Some((old.to_vec(), new.to_vec()));
        }
    }
    let split = memchr::memmem::find(rest, b" b/").or_else(|| memchr::memchr(b' ', rest))?;
    Some((rest[..split].to_vec(), rest[split + 1..].to_vec()))
}

fn strip_first(path: &[u8]) -> &[u8] {
    match memchr::memchr(b'/', path) {
        Some(slash) => &path[slash + 1..],
        None => path,
    }
}

/// A path that may be C-quoted (`"t\303\251st"`); unquoted paths are taken as they are.
fn unquote_path(text: &[u8]) -> Vec<u8> {
    match unquote_c(text) {
        Some((path, _)) => path,
        None => text.to_vec(),
    }
}

/// Decode a C-quoted string at the start of `text`; returns it and the bytes consumed.
pub(crate) fn unquote_c(text: &[u8]) -> Option<(Vec<u8>, usize)> {
    if text.first() != Some(&b'"') {
        return None;
    }
    let mut out = Vec::with_capacity(text.len());
    let mut at = 1;
    while at < text.len() {
        let byte = text[at];
        at += 1;
        match byte {
            b'"' => return Some((out, at)),
            b'\\' => {
                let escaped = *text.get(at)?;
                at += 1;
                out.push(match escaped {
                    b'a' => 7,
                    b'b' => 8,
                    b't' => b'\t',
                    b'n' => b'\n',
                    b'v' => 11,
                    b'f' => 12,
                    b'r' => b'\r',
                    b'"' => b'"',
                    b'\\' => b'\\',
                    b'0'..=b'3' => {
                        let digits = text.get(at..at + 2)?;
                        if !digits.iter().all(|d| (b'0'..=b'7').contains(d)) {
                            return None;
                        }
                        at += 2;
                        (escaped - b'0') * 64 + (digits[0] - b'0') * 8 + (digits[1] - b'0')
                    }
                    _ => return None,
                });
            }
            _ => out.push(byte),
        }
    }
    None
}

#[cfg(test)]
mod tests;

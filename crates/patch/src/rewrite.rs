//! Rewriting a patch without diffing again: a hunk placed elsewhere gets new line numbers (its
//! `@@` section text kept), a hunk placed with fuzz takes its context from the file, a file
//! diff follows its file to another path, and a git `index` line gets the blob ids of the new
//! content. `refresh` rewrites patches with these; what is not rewritten stays byte for byte.

use sha1::{Digest, Sha1};

use super::model::NO_NEWLINE;
use super::parse::{trim_eol, unquote_c};
use super::path::{git_quote_into, strip_components};
use super::{FilePatch, Hunk, Line, LineKind};

/// The hunk's lines with its context (and removed lines) taken from a file's `lines` at
/// `position` (0-based), as a hunk placed there with fuzz is rewritten; context lines beyond
/// the end of the file are left out.
pub fn context_from(hunk: &Hunk, lines: &[&[u8]], position: usize) -> Vec<Line> {
    let mut at = position;
    let mut out = Vec::with_capacity(hunk.lines.len());
    for line in &hunk.lines {
        match line.kind {
            LineKind::Add => out.push(line.clone()),
            kind => {
                if let Some(text) = lines.get(at) {
                    out.push(Line {
                        kind,
                        text: text.to_vec(),
                        no_newline_marker: (!text.ends_with(b"\n")).then(|| NO_NEWLINE.to_vec()),
                    });
                }
                at += 1;
            }
        }
    }
    out
}

/// The hunk's `@@` line with new ranges; the section text after the second `@@` is kept.
pub fn header_line(
    hunk: &Hunk,
    old_start: usize,
    old_count: usize,
    new_start: usize,
    new_count: usize,
) -> Vec<u8> {
    let original = &hunk.header_line;
    let rest = original
        .get(2..)
        .and_then(|tail| {
            tail.windows(2)
                .position(|w| w == b"@@")
                .map(|at| &tail[at + 2..])
        })
        .unwrap_or(b"\n");
    let mut line = format!(
        "@@ -{} +{} @@",
        range(old_start, old_count),
        range(new_start, new_count)
    )
    .into_bytes();
    line.extend_from_slice(rest);
    if !line.ends_with(b"\n") {
        line.push(b'\n');
    }
    line
}

/// `start,count` as git writes it (`,1` left out).
fn range(start: usize, count: usize) -> String {
    if count == 1 {
        start.to_string()
    } else {
        format!("{start},{count}")
    }
}

/// Rewrite a git `index old..new[ mode]` line with the blob ids of `old` and `new`, each
/// abbreviated as the original was.
pub fn update_index(file: &mut FilePatch, old: &[u8], new: &[u8]) {
    let Some((old_id, new_id)) = &file.index else {
        return;
    };
    let old_blob = blob_id(old);
    let new_blob = blob_id(new);
    let abbreviate = |id: &str, length: usize| id[..length.clamp(7, 40)].to_string();
    let old_short = abbreviate(&old_blob, old_id.len());
    let new_short = abbreviate(&new_blob, new_id.len());
    for line in &mut file.preamble {
        if let Some(rest) = line.strip_prefix(b"index ") {
            let text = String::from_utf8_lossy(rest).into_owned();
            let (_, mode) = text
                .trim_end()
                .split_once(' ')
                .map_or((text.trim_end(), ""), |(ids, mode)| (ids, mode));
            let ending = if line.ends_with(b"\r\n") {
                "\r\n"
            } else {
                "\n"
            };
            let mode = if mode.is_empty() {
                String::new()
            } else {
                format!(" {mode}")
            };
            *line = format!("index {old_short}..{new_short}{mode}{ending}").into_bytes();
        }
    }
    file.index = Some((old_short, new_short));
}

/// Git's blob id of `content`.
pub fn blob_id(content: &[u8]) -> String {
    let mut hasher = Sha1::new();
    hasher.update(format!("blob {}\0", content.len()).as_bytes());
    hasher.update(content);
    hex::encode(hasher.finalize())
}

/// `file` rewritten to name `to` (a path with `-p` applied) instead of its own path: its
/// `---`/`+++` lines, its `diff --git` line and a quilt `Index:` line naming it. Each name keeps
/// the prefix the `-p` level strips (`a/`, `b/`, `pkg.orig/`), and what follows a name (a
/// timestamp, the line ending) is kept. `None` when a side has no path to replace.
pub fn relocate(file: &FilePatch, strip: usize, to: &[u8]) -> Option<FilePatch> {
    let prefixed = |written: &[u8]| -> Option<Vec<u8>> {
        let target = strip_components(written, strip)?;
        let mut path = written[..written.len() - target.len()].to_vec();
        path.extend_from_slice(to);
        Some(path)
    };
    let from = file.old_target(strip)?;
    let old = prefixed(file.old_path.as_deref()?)?;
    let new = prefixed(file.new_path.as_deref()?)?;
    let mut moved = file.clone();
    moved.old_line = file.old_line.as_deref().map(|line| side_line(line, &old));
    moved.new_line = file.new_line.as_deref().map(|line| side_line(line, &new));
    for line in &mut moved.preamble {
        let ending = line_ending(line).to_vec();
        if line.starts_with(b"diff --git ") {
            let mut text = b"diff --git ".to_vec();
            git_quote_into(b"", &old, &mut text);
            text.push(b' ');
            git_quote_into(b"", &new, &mut text);
            text.extend_from_slice(&ending);
            *line = text;
        } else if let Some(name) = line.strip_prefix(b"Index: ").map(trim_eol)
            && let Some(head) = name.strip_suffix(from.as_slice())
            && (head.is_empty() || head.ends_with(b"/"))
        {
            *line = [b"Index: ", head, to, &ending].concat();
        }
    }
    moved.old_path = Some(old);
    moved.new_path = Some(new);
    Some(moved)
}

/// A `---`/`+++` line naming `path` (quoted as git quotes names, when it must be): the marker
/// and what follows the old name are kept.
fn side_line(line: &[u8], path: &[u8]) -> Vec<u8> {
    let (marker, text) = line.split_at(line.len().min(4));
    let name = trim_eol(text);
    let end = if name.first() == Some(&b'"') {
        unquote_c(name).map_or(name.len(), |(_, used)| used)
    } else {
        name.iter()
            .position(|b| *b == b'\t')
            .unwrap_or(name.trim_ascii_end().len())
    };
    let mut out = marker.to_vec();
    git_quote_into(b"", path, &mut out);
    out.extend_from_slice(&text[end..]);
    out
}

/// The terminator of a line: `\r\n`, `\n` or none.
fn line_ending(line: &[u8]) -> &[u8] {
    &line[trim_eol(line).len()..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relocate_keeps_prefixes_quotes_and_line_ends() {
        // `-p0` and `-p2`, a CRLF line end and a name git must quote.
        let file = FilePatch {
            preamble: vec![b"diff --git x/y/src/a.c x/y/src/a.c\r\n".to_vec()],
            git: true,
            old_path: Some(b"x/y/src/a.c".to_vec()),
            new_path: Some(b"x/y/src/a.c".to_vec()),
            old_line: Some(b"--- x/y/src/a.c\r\n".to_vec()),
            new_line: Some(b"+++ \"x/y/src/a.c\"\r\n".to_vec()),
            ..FilePatch::default()
        };
        let moved = relocate(&file, 2, "lib/\u{e9}.c".as_bytes()).unwrap();
        assert_eq!(
            moved.preamble[0],
            b"diff --git \"x/y/lib/\\303\\251.c\" \"x/y/lib/\\303\\251.c\"\r\n"
        );
        assert_eq!(moved.new_line.unwrap(), b"+++ \"x/y/lib/\\303\\251.c\"\r\n");
        let plain = FilePatch {
            old_path: Some(b"src/a.c".to_vec()),
            new_path: Some(b"src/a.c".to_vec()),
            old_line: Some(b"--- src/a.c  \n".to_vec()),
            new_line: Some(b"+++ src/a.c\n".to_vec()),
            ..FilePatch::default()
        };
        let moved = relocate(&plain, 0, b"lib/a.c").unwrap();
        assert_eq!(moved.old_line.as_deref(), Some(&b"--- lib/a.c  \n"[..]));
        assert_eq!(moved.new_line.as_deref(), Some(&b"+++ lib/a.c\n"[..]));
        assert_eq!(moved.old_target(0).unwrap(), b"lib/a.c");
    }
}

//! Following a file upstream moved: the namesakes of a path V lacks, tried in rank order, and
//! the file diff rewritten to name the one that takes its hunks.

use std::collections::HashMap;

use super::{FileResult, Files, HunkFate, fates, refresh_modified};
use crate::expiry::tree::Entry;
use crate::patch::FilePatch;
use crate::patch::parse::{trim_eol, unquote_c};
use crate::patch::path::{git_quote_into, strip_components};

/// A modified file that V lacks at its path: follow it where upstream moved it, to the first
/// of V's files of the same name (ranked as `check` ranks them) where every hunk places (with
/// the fuzz allowed) or is already there; the file diff is rewritten to name that path
/// ([`relocate`]). Without one, the file conflicts, naming the files tried. A rename or copy
/// says itself where the file goes and is not followed.
pub(super) fn follow_move(
    file: &FilePatch,
    strip: usize,
    files: &Files<'_>,
    staged: &HashMap<Vec<u8>, Entry>,
    fuzz: usize,
) -> Result<FileResult, String> {
    let display = file.display_path(strip);
    let conflict = |detail: String| FileResult {
        file: Some(file.clone()),
        changed: false,
        hunks: fates(file, &display, HunkFate::Conflict),
        effects: Vec::new(),
        conflict: Some(detail),
        text_hunks: file.hunks.len(),
        judged_in: None,
    };
    let missing = format!("`{display}` does not exist");
    let path = match (file.old_target(strip), file.new_target(strip)) {
        (Some(old), Some(new)) if old == new && file.rename.is_none() && file.copy.is_none() => old,
        _ => return Ok(conflict(missing)),
    };
    let candidates = files
        .namesakes(&path)
        .map_err(|message| format!("cannot list the files named like `{display}`: {message}"))?;
    let mut tried = Vec::new();
    for candidate in candidates {
        let shown = String::from_utf8_lossy(&candidate).into_owned();
        let content = match files.read(staged, &candidate) {
            Ok(Entry::File(content)) => content,
            Ok(Entry::Missing) => continue,
            Err(message) => return Err(format!("cannot read `{shown}`: {message}")),
        };
        tried.push(format!("`{shown}`"));
        let Some(relocated) = relocate(file, strip, &candidate) else {
            continue;
        };
        let Ok(mut result) = refresh_modified(&relocated, strip, &content, fuzz, true) else {
            continue;
        };
        if result.conflict.is_some() {
            continue;
        }
        for hunk in &mut result.hunks {
            hunk.file.clone_from(&display);
            hunk.moved_to = Some(shown.clone());
        }
        return Ok(result);
    }
    if tried.is_empty() {
        return Ok(conflict(missing));
    }
    Ok(conflict(format!(
        "{missing}; its hunks neither apply nor are upstream in the files of that name tried ({})",
        tried.join(", ")
    )))
}

/// `file` rewritten to name `to` (a path with `-p` applied) instead of its own path: its
/// `---`/`+++` lines, its `diff --git` line and a quilt `Index:` line naming it. Each name keeps
/// the prefix the `-p` level strips (`a/`, `b/`, `pkg.orig/`), and what follows a name (a
/// timestamp, the line ending) is kept. `None` when a side has no path to replace.
pub(super) fn relocate(file: &FilePatch, strip: usize, to: &[u8]) -> Option<FilePatch> {
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

//! Following a file upstream moved: the namesakes of a path V lacks, tried in rank order, and
//! the file diff rewritten to name the one that takes its hunks.

use std::collections::HashMap;

use super::{FileResult, Files, HunkFate, fates, refresh_modified};
use crate::patch::FilePatch;
use crate::patch::rewrite::relocate;
use crate::upstream::release_tree::Entry;

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

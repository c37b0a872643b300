//! In-place edits of a melange package file for `expire`: the text outside what must change
//! stays byte for byte.
//!
//! - [`remove_patches`]: a dropped patch leaves the `patches:` input of every step that applies
//!   it (only the lines holding it are rewritten; a line continuation left dangling at the end
//!   is closed); a step left with no patch goes, with the comment lines right above it; a
//!   comment recording what went and why takes its place (or goes above the step that stays).
//! - [`set_version`]: `package.version` (its quoting kept) and `package.epoch` reset to 0.
//! - [`set_input`]: one `with:` input of a step (`expected-sha256`, `expected-commit`, …), its
//!   quoting kept; [`add_input`] adds one (`mindelta pin`) on its own line after another.
//!
//! Every edit works on the positions the reader gives and is checked by reading the new text
//! back ([`super::parse_package`]): a result that does not read, or reads differently from what
//! was meant, is an error and the text is left as it was.

use std::collections::BTreeMap;
use std::path::Path;

use super::model::{MelangePackage, Step};
use super::patches::{PatchOrigin, words};
use super::{MelangeOptions, PatchLocation, parse_package};
use crate::native::Position;

/// Why an edit could not be made. The text is unchanged.
#[derive(Debug, thiserror::Error)]
pub enum MelangeEditError {
    #[error(transparent)]
    Read(#[from] super::MelangeError),
    #[error("`{path}`: {message}")]
    Edit {
        path: std::path::PathBuf,
        message: String,
    },
}

/// One patch to drop, with the note recorded beside its step.
#[derive(Debug, Clone)]
pub struct Removal {
    /// The patch's path in the package folder (as the shared model names it).
    pub file: String,
    /// One line (no newline) written as a comment where the patch was.
    pub note: String,
}

pub(super) fn edit_error(path: &Path, message: impl Into<String>) -> MelangeEditError {
    MelangeEditError::Edit {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// A replacement of `text[start..end]`.
#[derive(Debug)]
struct Splice {
    start: usize,
    end: usize,
    with: String,
}

fn apply(text: &str, mut splices: Vec<Splice>) -> String {
    splices.sort_by(|a, b| b.start.cmp(&a.start).then(b.end.cmp(&a.end)));
    let mut out = text.to_string();
    for splice in splices {
        out.replace_range(splice.start..splice.end, &splice.with);
    }
    out
}

/// Byte offset of the start of the line holding `offset`.
pub(super) fn line_start(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1)
}

/// Byte offset just after the line holding `offset` (its newline included).
pub(super) fn line_end(text: &str, offset: usize) -> usize {
    text[offset.min(text.len())..]
        .find('\n')
        .map_or(text.len(), |i| offset + i + 1)
}

pub(super) fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// The byte range of a pipeline step's list item: from its `-` line (the comment lines right
/// above it included) to the last line before the next line indented no deeper than the `-`.
pub(super) fn step_range(text: &str, step: &Step) -> Option<(usize, usize, usize)> {
    let key = step.position.offset?;
    let mut start = line_start(text, key);
    let mut dash_line = &text[start..line_end(text, start)];
    if !dash_line.trim_start().starts_with('-') {
        // `-` alone on the line above the first key.
        let above = line_start(text, start.checked_sub(1)?);
        let line = &text[above..start];
        if line.trim() != "-" {
            return None;
        }
        start = above;
        dash_line = line;
    }
    let dash = indent_of(dash_line);
    let mut end = line_end(text, start);
    while end < text.len() {
        let next = line_end(text, end);
        let line = &text[end..next];
        let blank = line.trim().is_empty();
        if !blank && indent_of(line) <= dash {
            break;
        }
        end = next;
    }
    // Trailing blank lines are not part of the step.
    while end > start {
        let last = line_start(text, end - 1);
        if text[last..end].trim().is_empty() {
            end = last;
        } else {
            break;
        }
    }
    // Comment lines right above the `-`, at its indentation, describe it.
    let mut first = start;
    while first > 0 {
        let above = line_start(text, first - 1);
        let line = &text[above..first];
        if line.trim_start().starts_with('#') && indent_of(line) == dash {
            first = above;
        } else {
            break;
        }
    }
    Some((first, end, dash))
}

/// A `series:` file of the package folder with dropped patches' lines made comments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesEdit {
    pub file: std::path::PathBuf,
    pub old: String,
    pub new: String,
}

/// Split `removals` into the edits of the `series:` files that list them (each line becomes
/// the removal's note, a `#` comment melange skips; everything else byte for byte) and the
/// removals left for [`remove_patches`] (patches named in the YAML). A patch listed both in a
/// series and in the YAML is left to `remove_patches`, which refuses it.
pub fn series_edits(
    path: &Path,
    text: &str,
    removals: &[Removal],
    options: &MelangeOptions,
) -> Result<(Vec<SeriesEdit>, Vec<Removal>), MelangeEditError> {
    let package = parse_package(path, text, options)?;
    let mut lines: BTreeMap<std::path::PathBuf, Vec<(usize, &Removal, &str)>> = BTreeMap::new();
    let mut rest = Vec::new();
    for removal in removals {
        let entries: Vec<_> = package
            .patches
            .iter()
            .filter(|p| p.workspace_path == removal.file)
            .collect();
        let in_series: Vec<_> = entries
            .iter()
            .filter_map(|p| match &p.origin {
                PatchOrigin::Series { file, position } => Some((file, position, &p.written)),
                PatchOrigin::Yaml(_) => None,
            })
            .collect();
        if in_series.is_empty() || in_series.len() != entries.len() {
            rest.push(removal.clone());
            continue;
        }
        for (file, position, written) in in_series {
            let slot = lines.entry(file.clone()).or_default();
            if !slot.iter().any(|(line, _, _)| *line == position.line) {
                slot.push((position.line, removal, written.as_str()));
            }
        }
    }
    let mut edits = Vec::new();
    for (file, dropped) in lines {
        let old = crate::native::read_text(&file, options.max_series_bytes)
            .map_err(|error| edit_error(&file, error.to_string()))?;
        let mut new = String::with_capacity(old.len());
        for (index, line) in old.split_inclusive('\n').enumerate() {
            match dropped.iter().find(|(number, _, _)| *number == index + 1) {
                Some((number, removal, written)) => {
                    if line.trim() != written.trim() {
                        return Err(edit_error(
                            &file,
                            format!(
                                "line {number} no longer names `{}`: the series changed since it was read; run the command again",
                                removal.file
                            ),
                        ));
                    }
                    let indent = &line[..line.len() - line.trim_start().len()];
                    let ending = if line.ends_with("\r\n") {
                        "\r\n"
                    } else if line.ends_with('\n') {
                        "\n"
                    } else {
                        ""
                    };
                    new.push_str(&format!("{indent}# {}{ending}", removal.note));
                }
                None => new.push_str(line),
            }
        }
        edits.push(SeriesEdit { file, old, new });
    }
    Ok((edits, rest))
}

/// Drop `removals` from the steps that apply them; the new text.
pub fn remove_patches(
    path: &Path,
    text: &str,
    removals: &[Removal],
    options: &MelangeOptions,
) -> Result<String, MelangeEditError> {
    if removals.is_empty() {
        return Ok(text.to_string());
    }
    let package = parse_package(path, text, options)?;
    // Every step that applies a dropped patch, by its place in the file (a ranged subpackage
    // repeats its steps: they are one in the text).
    let mut steps: BTreeMap<usize, (&Step, Vec<&Removal>)> = BTreeMap::new();
    for removal in removals {
        let mut found = false;
        for entry in package.patches.iter().filter(|p| {
            p.workspace_path == removal.file
                && matches!(p.location, PatchLocation::PackageFolder(_))
        }) {
            if let PatchOrigin::Series { file, .. } = &entry.origin {
                return Err(edit_error(
                    path,
                    format!(
                        "patch `{}` is listed both in the series `{}` and in the YAML: remove it from one by hand",
                        removal.file,
                        file.display()
                    ),
                ));
            }
            let step = find_step(&package, &entry.step).ok_or_else(|| {
                edit_error(
                    path,
                    format!("the step applying `{}` is not found", removal.file),
                )
            })?;
            let offset = step.position.offset.unwrap_or(0);
            let slot = steps.entry(offset).or_insert((step, Vec::new()));
            if !slot.1.iter().any(|r| r.file == removal.file) {
                slot.1.push(removal);
            }
            found = true;
        }
        if !found {
            return Err(edit_error(
                path,
                format!("no step applies `{}` from the package folder", removal.file),
            ));
        }
    }
    let mut splices = Vec::new();
    for (step, dropped) in steps.values() {
        splices.extend(step_splices(path, text, &package, step, dropped)?);
    }
    let new = apply(text, splices);
    // Read back: every other patch is still there, in order.
    let after = parse_package(path, &new, options)
        .map_err(|error| edit_error(path, format!("the edited file does not read: {error}")))?;
    let gone: Vec<&str> = removals.iter().map(|r| r.file.as_str()).collect();
    let expected: Vec<&str> = package
        .patches
        .iter()
        .map(|p| p.workspace_path.as_str())
        .filter(|p| !gone.contains(p))
        .collect();
    let found: Vec<&str> = after
        .patches
        .iter()
        .map(|p| p.workspace_path.as_str())
        .collect();
    if expected != found || after.version.value != package.version.value {
        return Err(edit_error(
            path,
            format!(
                "the edit would change more than the dropped patches (expected {expected:?}, got {found:?})"
            ),
        ));
    }
    Ok(new)
}

fn find_step<'a>(package: &'a MelangePackage, id: &super::StepId) -> Option<&'a Step> {
    let pipeline = match id.subpackage {
        None => &package.pipeline,
        Some(index) => &package.subpackages.get(index)?.pipeline,
    };
    let (first, rest) = id.path.split_first()?;
    let mut step = pipeline.get(*first)?;
    for index in rest {
        step = step.pipeline.get(*index)?;
    }
    Some(step)
}

/// The splices that drop `dropped` from one step.
fn step_splices(
    path: &Path,
    text: &str,
    package: &MelangePackage,
    step: &Step,
    dropped: &[&Removal],
) -> Result<Vec<Splice>, MelangeEditError> {
    let value = step
        .input("patches")
        .ok_or_else(|| edit_error(path, "a patch step without `patches:`"))?;
    let crate::native::YamlValue::Text(value_text) = &value.value else {
        return Err(edit_error(path, "`patches:` is not text"));
    };
    if value.position.through_alias {
        return Err(edit_error(
            path,
            format!(
                "line {}: `patches:` is a YAML alias; edit its anchor by hand",
                value.position.line
            ),
        ));
    }
    // Each word with where it is written; a word the source does not hold as is (a template,
    // an escape) cannot be removed in place.
    let written = words(&package_source(package), value_text, value.position);
    let scope = package.substitution(&package.version.value)?;
    let mut keep = Vec::new();
    let mut drop = Vec::new();
    for (word, position) in &written {
        let resolved = scope.resolve(word).unwrap_or_else(|_| word.clone());
        let base = resolved.trim_start_matches("./");
        let is_dropped = dropped.iter().any(|r| {
            base == r.file || base.ends_with(&format!("/{}", r.file)) || resolved == r.file
        });
        if is_dropped {
            if position.length.is_none() || *position == value.position {
                return Err(edit_error(
                    path,
                    format!(
                        "line {}: `{word}` is not written as is in `patches:`; edit it by hand",
                        position.line
                    ),
                ));
            }
            drop.push(*position);
        } else {
            keep.push(*position);
        }
    }
    let (first, end, dash) = step_range(text, step).ok_or_else(|| {
        edit_error(
            path,
            format!(
                "line {}: the step is not a block list item",
                step.position.line
            ),
        )
    })?;
    let indent = " ".repeat(dash);
    let notes: String = dropped
        .iter()
        .map(|r| format!("{indent}# {}\n", r.note.replace('\n', " ")))
        .collect();
    if keep.is_empty() {
        // The step goes; the notes take its place.
        return Ok(vec![Splice {
            start: first,
            end,
            with: notes,
        }]);
    }
    let mut splices = vec![Splice {
        start: first,
        end: first,
        with: notes,
    }];
    splices.extend(word_splices(text, value.position, &drop));
    Ok(splices)
}

/// The text of the package file (the reader keeps it).
fn package_source(package: &MelangePackage) -> std::sync::Arc<str> {
    package.source_text.clone()
}

/// The splices that remove the words at `drop` from a `patches:` value: a word alone on its
/// line takes the line; otherwise the word and the blanks after it (or before it, at the end
/// of a line). A continuation `\` left at the end of the value is removed.
fn word_splices(text: &str, value: Position, drop: &[Position]) -> Vec<Splice> {
    let value_start = value.offset.unwrap_or(0);
    // The value's lines: the key's, then those indented deeper (or blank).
    let key_line = line_start(text, value_start);
    let key_indent = indent_of(&text[key_line..line_end(text, key_line)]);
    let mut value_end = line_end(text, key_line);
    while value_end < text.len() {
        let next = line_end(text, value_end);
        let line = &text[value_end..next];
        if !line.trim().is_empty() && indent_of(line) <= key_indent {
            break;
        }
        value_end = next;
    }
    let mut splices = Vec::new();
    let mut removed_lines: Vec<usize> = Vec::new();
    for position in drop {
        let (Some(start), Some(length)) = (position.offset, position.length) else {
            continue;
        };
        let end = start + length;
        let line_from = line_start(text, start);
        let line_to = line_end(text, start);
        let line = &text[line_from..line_to];
        let rest_of_line = line[end - line_from..].trim();
        let before = line[..start - line_from].trim();
        let alone = (rest_of_line.is_empty() || rest_of_line == "\\") && before.is_empty();
        if alone {
            removed_lines.push(line_from);
            splices.push(Splice {
                start: line_from,
                end: line_to,
                with: String::new(),
            });
            continue;
        }
        let content_end = line_from + line.trim_end_matches(['\n', '\r']).len();
        if rest_of_line == "\\" && before.ends_with(':') {
            // `key: word \` with the rest on the next lines: the key keeps them alone.
            let before_blanks = text[line_from..start]
                .chars()
                .rev()
                .take_while(|c| *c == ' ' || *c == '\t')
                .count();
            splices.push(Splice {
                start: start - before_blanks,
                end: content_end,
                with: String::new(),
            });
            continue;
        }
        let after_blanks = text[end..line_to]
            .find(|c: char| c != ' ' && c != '\t')
            .map_or(line_to - end, |n| n);
        let next_is_text = !text[end + after_blanks..line_to].trim().is_empty();
        if next_is_text
            && !text[end + after_blanks..line_to]
                .trim_start()
                .starts_with('\\')
        {
            splices.push(Splice {
                start,
                end: end + after_blanks,
                with: String::new(),
            });
        } else {
            let before_blanks = text[line_from..start]
                .chars()
                .rev()
                .take_while(|c| *c == ' ' || *c == '\t')
                .count();
            splices.push(Splice {
                start: start - before_blanks,
                end,
                with: String::new(),
            });
        }
    }
    // A `\` that now ends the value continues nothing: close it.
    let mut last_kept: Option<usize> = None;
    let mut cursor = key_line;
    while cursor < value_end {
        let next = line_end(text, cursor);
        if !removed_lines.contains(&cursor) && !text[cursor..next].trim().is_empty() {
            last_kept = Some(cursor);
        }
        if next == cursor {
            break;
        }
        cursor = next;
    }
    if let Some(line) = last_kept {
        let end = line_end(text, line);
        let content = text[line..end].trim_end_matches(['\n', '\r']);
        let trimmed = content.trim_end();
        let dropped_at_end = removed_lines.iter().any(|l| *l > line);
        if dropped_at_end && trimmed.ends_with('\\') && !trimmed.ends_with("\\\\") {
            let keep = trimmed[..trimmed.len() - 1].trim_end().len();
            let overlaps = splices
                .iter()
                .any(|s| s.start < line + content.len() && s.end > line + keep);
            if !overlaps {
                splices.push(Splice {
                    start: line + keep,
                    end: line + content.len(),
                    with: String::new(),
                });
            }
        }
    }
    splices
}

/// Set `package.version` (keeping its quotes) and, when it is not 0, `package.epoch` to 0.
pub fn set_version(
    path: &Path,
    text: &str,
    version: &str,
    options: &MelangeOptions,
) -> Result<String, MelangeEditError> {
    let package = parse_package(path, text, options)?;
    if package.version.value == version && package.epoch.value == 0 {
        return Ok(text.to_string());
    }
    let mut splices = vec![replace_scalar(
        path,
        text,
        package.version.position,
        version,
    )?];
    if package.epoch.value != 0 && package.epoch.position.offset.is_some() {
        splices.push(replace_scalar(path, text, package.epoch.position, "0")?);
    }
    let new = apply(text, splices);
    let after = parse_package(path, &new, options)
        .map_err(|error| edit_error(path, format!("the edited file does not read: {error}")))?;
    if after.version.value != version || after.epoch.value != 0 {
        return Err(edit_error(path, "the new version does not read back"));
    }
    Ok(new)
}

/// Set the `with:` input `key` of the step at `step` (its first key's byte offset).
pub fn set_input(
    path: &Path,
    text: &str,
    step_offset: usize,
    key: &str,
    value: &str,
    options: &MelangeOptions,
) -> Result<String, MelangeEditError> {
    let package = parse_package(path, text, options)?;
    let step = package
        .steps()
        .find(|s| s.position.offset == Some(step_offset))
        .ok_or_else(|| edit_error(path, "the step is not found"))?;
    let input = step
        .input(key)
        .ok_or_else(|| edit_error(path, format!("the step has no `{key}`")))?;
    if input.value.text() == Some(value) {
        return Ok(text.to_string());
    }
    let new = apply(
        text,
        vec![replace_scalar(path, text, input.position, value)?],
    );
    let after = parse_package(path, &new, options)
        .map_err(|error| edit_error(path, format!("the edited file does not read: {error}")))?;
    let changed = after
        .steps()
        .find(|s| s.position.line == step.position.line)
        .and_then(|s| s.input_text(key).map(str::to_string));
    if changed.as_deref() != Some(value) {
        return Err(edit_error(
            path,
            format!("the new `{key}` does not read back"),
        ));
    }
    Ok(new)
}

/// Add the `with:` input `key: value` to the step at `step` (its first key's byte offset), on
/// a new line right after the input `after` (which must be a one-line `after: value` of a block
/// mapping), with the same indentation. The value is written plain: callers add hex digests.
pub fn add_input(
    path: &Path,
    text: &str,
    step_offset: usize,
    after: &str,
    key: &str,
    value: &str,
    options: &MelangeOptions,
) -> Result<String, MelangeEditError> {
    let package = parse_package(path, text, options)?;
    let step = package
        .steps()
        .find(|s| s.position.offset == Some(step_offset))
        .ok_or_else(|| edit_error(path, "the step is not found"))?;
    if step.input(key).is_some() {
        return Err(edit_error(path, format!("the step already has `{key}`")));
    }
    let input = step
        .input(after)
        .ok_or_else(|| edit_error(path, format!("the step has no `{after}`")))?;
    let offset = input
        .position
        .offset
        .ok_or_else(|| edit_error(path, format!("the place of `{after}` is unknown")))?;
    let start = line_start(text, offset);
    let end = line_end(text, offset);
    let line = &text[start..end];
    let indent = indent_of(line);
    let written_key = line[indent..].split(':').next().unwrap_or_default().trim();
    let continues = text[end..]
        .lines()
        .next()
        .is_some_and(|next| !next.trim().is_empty() && indent_of(next) > indent);
    if written_key.trim_matches(['"', '\'']) != after || continues || input.position.through_alias {
        return Err(edit_error(
            path,
            format!(
                "line {}: `{after}` is not a one-line entry of a block mapping; add `{key}: {value}` by hand",
                input.position.line
            ),
        ));
    }
    let newline = if line.ends_with('\n') { "" } else { "\n" };
    let added = format!("{newline}{}{key}: {value}\n", " ".repeat(indent));
    let new = apply(
        text,
        vec![Splice {
            start: end,
            end,
            with: added,
        }],
    );
    let after_edit = parse_package(path, &new, options)
        .map_err(|error| edit_error(path, format!("the edited file does not read: {error}")))?;
    let added_value = after_edit
        .steps()
        .find(|s| s.position.line == step.position.line)
        .and_then(|s| s.input_text(key).map(str::to_string));
    if added_value.as_deref() != Some(value) {
        return Err(edit_error(
            path,
            format!("the new `{key}` does not read back"),
        ));
    }
    Ok(new)
}

/// Replace a scalar written at `position` with `value`, in the same quotes.
fn replace_scalar(
    path: &Path,
    text: &str,
    position: Position,
    value: &str,
) -> Result<Splice, MelangeEditError> {
    let (Some(start), Some(length)) = (position.offset, position.length) else {
        return Err(edit_error(
            path,
            format!("line {}: the value's place is unknown", position.line),
        ));
    };
    if position.through_alias {
        return Err(edit_error(
            path,
            format!(
                "line {}: the value is a YAML alias; edit its anchor by hand",
                position.line
            ),
        ));
    }
    let written = text.get(start..start + length).unwrap_or_default();
    let with = match written.chars().next() {
        Some('"') => format!("\"{value}\""),
        Some('\'') => format!("'{value}'"),
        Some('|' | '>') => {
            return Err(edit_error(
                path,
                format!(
                    "line {}: a block scalar is not edited in place",
                    position.line
                ),
            ));
        }
        _ => value.to_string(),
    };
    Ok(Splice {
        start,
        end: start + length,
        with,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PACKAGE: &str = "package:\n  name: demo\n  version: \"1.0\" # pinned\n  epoch: 4\n\npipeline:\n  - uses: git-checkout\n    with:\n      repository: https://example.org/demo\n      tag: v${{package.version}}\n      expected-commit: 1111111111111111111111111111111111111111\n\n  # Our fixes.\n  - uses: patch\n    with:\n      patches: a.patch b.patch\n\n  - uses: patch\n    with:\n      patches: |\n        c.patch \\\n        d.patch\n\n  - runs: make\n\nsubpackages:\n  - name: demo-doc\n    pipeline:\n      - uses: patch\n        with:\n          patches: e.patch\n      - runs: true\n";

    #[test]
    fn an_input_is_added_after_another_with_its_indentation() {
        let (_temp, path) = repository();
        let text = PACKAGE.replace(
            "      expected-commit: 1111111111111111111111111111111111111111\n",
            "",
        );
        let options = MelangeOptions::default();
        let package = parse_package(&path, &text, &options).unwrap();
        let checkout = package
            .steps()
            .find(|s| s.input("repository").is_some())
            .unwrap();
        let offset = checkout.position.offset.unwrap();
        let commit = "2".repeat(40);
        let new = add_input(
            &path,
            &text,
            offset,
            "tag",
            "expected-commit",
            &commit,
            &options,
        )
        .unwrap();
        assert_eq!(
            new,
            text.replace(
                "      tag: v${{package.version}}\n",
                &format!("      tag: v${{{{package.version}}}}\n      expected-commit: {commit}\n")
            )
        );
        // Never twice, and never after an input that is not there.
        assert!(
            add_input(
                &path,
                &new,
                offset,
                "tag",
                "expected-commit",
                &commit,
                &options
            )
            .is_err()
        );
        assert!(
            add_input(
                &path,
                &text,
                offset,
                "uri",
                "expected-sha256",
                "ab",
                &options
            )
            .is_err()
        );
    }

    fn repository() -> (tempfile::TempDir, std::path::PathBuf) {
        let temp = tempfile::tempdir().unwrap();
        let folder = temp.path().join("demo");
        std::fs::create_dir(&folder).unwrap();
        for name in ["a", "b", "c", "d", "e"] {
            std::fs::write(folder.join(format!("{name}.patch")), "x").unwrap();
        }
        let path = temp.path().join("demo.yaml");
        (temp, path)
    }

    fn removal(file: &str) -> Removal {
        Removal {
            file: file.into(),
            note: format!("mindelta: dropped {file}, in upstream 1.1"),
        }
    }

    fn remove(path: &Path, files: &[&str]) -> String {
        let removals: Vec<Removal> = files.iter().map(|f| removal(f)).collect();
        remove_patches(path, PACKAGE, &removals, &MelangeOptions::default()).unwrap()
    }

    #[test]
    fn a_word_leaves_its_line_and_the_rest_stays_byte_for_byte() {
        let (_temp, path) = repository();
        let new = remove(&path, &["a.patch"]);
        assert_eq!(
            new,
            PACKAGE.replace(
                "  # Our fixes.\n  - uses: patch\n    with:\n      patches: a.patch b.patch\n",
                "  # mindelta: dropped a.patch, in upstream 1.1\n  # Our fixes.\n  - uses: patch\n    with:\n      patches: b.patch\n"
            )
        );
    }

    #[test]
    fn a_step_left_without_patches_goes_with_its_comment() {
        let (_temp, path) = repository();
        let new = remove(&path, &["a.patch", "b.patch", "e.patch"]);
        assert!(
            new.contains("\n\n  # mindelta: dropped a.patch, in upstream 1.1\n  # mindelta: dropped b.patch, in upstream 1.1\n\n  - uses: patch\n    with:\n      patches: |\n"),
            "{new}"
        );
        assert!(!new.contains("Our fixes"), "{new}");
        assert!(
            new.contains("    pipeline:\n      # mindelta: dropped e.patch, in upstream 1.1\n      - runs: true\n"),
            "{new}"
        );
    }

    #[test]
    fn a_line_continuation_left_dangling_is_closed() {
        let (_temp, path) = repository();
        let new = remove(&path, &["d.patch"]);
        assert!(
            new.contains("      patches: |\n        c.patch\n\n  - runs: make\n"),
            "{new}"
        );
        let new = remove(&path, &["c.patch"]);
        assert!(new.contains("      patches: |\n        d.patch\n"), "{new}");
    }

    #[test]
    fn a_first_word_before_a_continuation_takes_the_backslash() {
        let (_temp, path) = repository();
        let text = PACKAGE.replace(
            "patches: a.patch b.patch\n",
            "patches: a.patch \\\n        b.patch\n",
        );
        let new = remove_patches(
            &path,
            &text,
            &[removal("a.patch")],
            &MelangeOptions::default(),
        )
        .unwrap();
        assert!(
            new.contains("    with:\n      patches:\n        b.patch\n"),
            "{new}"
        );
    }

    #[test]
    fn version_moves_in_its_quotes_and_epoch_resets() {
        let (_temp, path) = repository();
        let new = set_version(&path, PACKAGE, "1.1", &MelangeOptions::default()).unwrap();
        assert_eq!(
            new,
            PACKAGE
                .replace("version: \"1.0\" # pinned", "version: \"1.1\" # pinned")
                .replace("epoch: 4", "epoch: 0")
        );
        let package = parse_package(&path, PACKAGE, &MelangeOptions::default()).unwrap();
        let checkout = package.pipeline[0].position.offset.unwrap();
        let new = set_input(
            &path,
            &new,
            checkout,
            "expected-commit",
            &"2".repeat(40),
            &MelangeOptions::default(),
        )
        .unwrap();
        assert!(new.contains(&format!("expected-commit: {}\n", "2".repeat(40))));
    }

    #[test]
    fn an_unknown_patch_is_an_error_and_nothing_changes() {
        let (_temp, path) = repository();
        let error = remove_patches(
            &path,
            PACKAGE,
            &[removal("zzz.patch")],
            &MelangeOptions::default(),
        )
        .unwrap_err();
        assert!(
            error.to_string().contains("no step applies `zzz.patch`"),
            "{error}"
        );
    }
}

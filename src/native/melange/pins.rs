//! In-place removal of pins from the bump steps of a melange package file (`go/bump`, Wolfi's
//! `bump`, `rust/cargobump`, `maven/pombump`), for `expire` and `upgrade`;
//! `crate::expiry::pins` decides which pins go.
//!
//! An inline item leaves its input: a `module@version` (`crate@version`, `g@a@v`) word its
//! `deps` (`packages`, `dependencies`), an `old=new@version` word its `replaces`, a
//! `property@value` word pombump's `properties`; and every other byte of the file stays: the
//! value's quoting and style (plain, quoted, `|`/`>` block, `\` line continuations), comments
//! and indentation. A word alone on its line takes the line; otherwise the word and the blanks
//! between it and its neighbour go; a `\` left continuing nothing at the end of the value is
//! closed. An input left empty goes (its key and lines). A pin written in a dependency file
//! the step reads is removed from that file by the caller (`bump_file`); here it leaves its
//! note, and when the file goes, the input naming it (`deps: deps.yaml`) goes too. A step left
//! with no pin at all — no word, no file that stays (the caller says which steps keep files) —
//! goes with the comment lines right above it, as a `patch` step left without patches does.
//! Each removal leaves a comment line above the step (or where it was).
//!
//! A pin that cannot be removed in place is held, with the reason, and the rest are removed:
//! a value reached through a YAML alias or holding an anchor (an edit would change every use of
//! it), a flow mapping, an item not written as is (a variable, an escape, a continuation inside
//! the word), a ranged copy of a step whose other copies need it. And `go/bump` keeps one `deps`
//! item while its `replaces` keep one: its pipeline needs `deps` (melange's `go/bump` declares
//! it required; Wolfi's older one runs gobump only when it is set).
//!
//! The new text is read back: the version, the patches and every step but the removed ones
//! must be as they were, and each bump step must hold exactly its old items less the removed
//! ones; otherwise the edit is an error and the text is left as it was. Nothing in a value is
//! ever run.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::edit::{MelangeEditError, edit_error, indent_of, line_end, line_start, step_range};
use super::model::{Action, BumpTool, Step};
use super::raw::WithValue;
use super::substitution::Substitution;
use super::{MelangeOptions, parse_package};

/// The inputs that carry dependencies inline (the reader takes all three), then `replaces`
/// and pombump's `properties`.
const DEPENDENCY_KEYS: [&str; 3] = ["deps", "packages", "dependencies"];
const REPLACES_KEY: &str = "replaces";
const PROPERTIES_KEY: &str = "properties";

/// Which kind of inline input an item is a word of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PinInput {
    /// `deps`, `packages`, `dependencies`.
    Dependencies,
    /// `replaces` (Go).
    Replaces,
    /// pombump's `properties`.
    Properties,
}

impl PinInput {
    fn name(self) -> &'static str {
        match self {
            PinInput::Dependencies => "deps",
            PinInput::Replaces => REPLACES_KEY,
            PinInput::Properties => PROPERTIES_KEY,
        }
    }
}

/// What a removal takes out of the step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinTarget {
    /// A word of an inline input, as the reader resolved it: `module@version`,
    /// `old=new@version`, `g@a@v`, `property@value`.
    Item { item: String, input: PinInput },
    /// An entry of the dependency file `file` the step reads (the caller edits the file);
    /// `goes`: the file goes, and with it `reference`, the input that names it.
    Entry {
        file: String,
        reference: Option<String>,
        goes: bool,
    },
}

/// One pin to drop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinRemoval {
    /// The line of the step's first key, as `check` reports it.
    pub line: usize,
    pub target: PinTarget,
    /// One line (no newline) written as a comment where the pin was.
    pub note: String,
}

/// A removal that was not made, and why: the pin stays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldRemoval {
    /// Its index in the removals asked for.
    pub index: usize,
    pub reason: String,
}

/// The new text, and the removals that were held.
#[derive(Debug, Clone)]
pub struct PinEdit {
    pub text: String,
    pub held: Vec<HeldRemoval>,
}

/// One word of a pin input as written.
#[derive(Debug)]
struct Word {
    /// As the reader sees it (substituted).
    resolved: String,
    /// Its bytes in the file, when it is written there as is.
    span: Option<(usize, usize)>,
    /// The removal that takes it.
    claimed_by: Option<usize>,
}

/// One pin input of a step (`deps`, `replaces`, …) as written.
#[derive(Debug)]
struct Input {
    key: String,
    input: PinInput,
    /// The key's line start and the end of the value's last line (its newline included).
    start: usize,
    end: usize,
    words: Vec<Word>,
    /// Why its words cannot be edited in place.
    refused: Option<String>,
}

/// Drop `removals` from the bump steps of the package file `text`; removals that cannot be
/// made in place are held (see the module doc). `keeps`: the lines of the steps that keep pins
/// in dependency files whatever goes here (those steps stay). An error leaves the text as it
/// was.
pub fn remove_pins(
    path: &Path,
    text: &str,
    removals: &[PinRemoval],
    keeps: &BTreeSet<usize>,
    options: &MelangeOptions,
) -> Result<PinEdit, MelangeEditError> {
    let mut held = Vec::new();
    if removals.is_empty() {
        return Ok(PinEdit {
            text: text.to_string(),
            held,
        });
    }
    let package = parse_package(path, text, options)?;
    let scope = package.substitution(&package.version.value)?;
    let at = package.at(&package.version.value)?;
    let mut by_line: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (index, removal) in removals.iter().enumerate() {
        by_line.entry(removal.line).or_default().push(index);
    }
    let mut splices = Vec::new();
    // Per step line: the items removed, and the inputs naming files that went.
    let mut removed: BTreeMap<usize, Vec<(String, PinInput)>> = BTreeMap::new();
    let mut references: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let mut gone_steps = BTreeSet::new();
    for (line, indices) in &by_line {
        let hold_all = |held: &mut Vec<HeldRemoval>, reason: &str| {
            held.extend(indices.iter().map(|&index| HeldRemoval {
                index,
                reason: reason.to_string(),
            }));
        };
        let Some(step) = package
            .steps()
            .find(|s| s.position.line == *line && matches!(s.action, Action::Bump(_)))
        else {
            hold_all(&mut held, &format!("no bump step at line {line}"));
            continue;
        };
        let Some((first, end, dash)) = step_range(text, step) else {
            hold_all(
                &mut held,
                &format!("line {line}: the step is not a block list item; edit it by hand"),
            );
            continue;
        };
        // Inputs that name a dependency file are no lists of words.
        let file_keys: BTreeSet<&str> = at
            .bumps
            .iter()
            .filter(|b| b.step == step.id)
            .flat_map(|b| b.files.iter())
            .filter_map(|f| f.input.as_ref().map(|(key, _)| key.as_str()))
            .collect();
        let pombump = step.action == Action::Bump(BumpTool::MavenPombump);
        let mut inputs: Vec<Input> = DEPENDENCY_KEYS
            .iter()
            .map(|key| (*key, PinInput::Dependencies))
            .chain([(REPLACES_KEY, PinInput::Replaces)])
            .chain(pombump.then_some((PROPERTIES_KEY, PinInput::Properties)))
            .filter(|(key, _)| !file_keys.contains(key))
            .filter_map(|(key, input)| read_input(text, step, key, input, &scope))
            .collect();
        // The files whose entries go, and the inputs naming those that go.
        let mut entry_files: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for &index in indices {
            match &removals[index].target {
                PinTarget::Item { item, input } => {
                    if let Err(reason) = claim(&mut inputs, index, item, *input) {
                        held.push(HeldRemoval { index, reason });
                    }
                }
                PinTarget::Entry { file, .. } => {
                    entry_files.entry(file).or_default().push(index);
                }
            }
        }
        if step.action == Action::Bump(BumpTool::GoBump) {
            keep_one_dependency(&mut inputs, &mut held);
        }
        let mut files_stay = keeps.contains(line);
        let mut taken: Vec<usize> = Vec::new();
        let mut reference_splices = Vec::new();
        let mut gone_references = Vec::new();
        for list in entry_files.values() {
            let PinTarget::Entry {
                reference, goes, ..
            } = &removals[list[0]].target
            else {
                continue;
            };
            files_stay |= !goes;
            let named = reference.as_deref().filter(|_| *goes);
            let splice = match named {
                None => Ok(None),
                Some(key) => match read_input(text, step, key, PinInput::Dependencies, &scope) {
                    None => Err(format!(
                        "line {line}: the input `{key}` is not where expected; edit it by hand"
                    )),
                    Some(input) => match input.refused {
                        Some(why) => Err(why),
                        None => Ok(Some(Splice {
                            start: input.start,
                            end: input.end,
                            with: String::new(),
                        })),
                    },
                },
            };
            match splice {
                Ok(splice) => {
                    taken.extend(list);
                    reference_splices.extend(splice);
                    gone_references.extend(named.map(str::to_string));
                }
                Err(reason) => {
                    files_stay = true;
                    held.extend(list.iter().map(|&index| HeldRemoval {
                        index,
                        reason: reason.clone(),
                    }));
                }
            }
        }
        let claimed: Vec<usize> = inputs
            .iter()
            .flat_map(|input| input.words.iter().filter_map(|w| w.claimed_by))
            .collect();
        if claimed.is_empty() && taken.is_empty() {
            continue;
        }
        let mut noted: Vec<usize> = claimed.iter().chain(&taken).copied().collect();
        noted.sort_unstable();
        let indent = " ".repeat(dash);
        let notes: String = noted
            .iter()
            .map(|&index| format!("{indent}# {}\n", removals[index].note.replace('\n', " ")))
            .collect();
        removed.insert(
            *line,
            claimed
                .iter()
                .filter_map(|&index| match &removals[index].target {
                    PinTarget::Item { item, input } => Some((item.clone(), *input)),
                    PinTarget::Entry { .. } => None,
                })
                .collect(),
        );
        references.insert(*line, gone_references);
        let every_word = inputs
            .iter()
            .all(|input| input.words.iter().all(|w| w.claimed_by.is_some()));
        if every_word && !files_stay {
            // The step goes; the notes take its place.
            gone_steps.insert(*line);
            splices.push(Splice {
                start: first,
                end,
                with: notes,
            });
            continue;
        }
        splices.push(Splice {
            start: first,
            end: first,
            with: notes,
        });
        splices.extend(reference_splices);
        let mut emptied: BTreeSet<&str> = references
            .get(line)
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        for input in &inputs {
            if input.words.iter().all(|w| w.claimed_by.is_none()) {
                continue;
            }
            if input.words.iter().all(|w| w.claimed_by.is_some()) {
                emptied.insert(input.key.as_str());
                splices.push(Splice {
                    start: input.start,
                    end: input.end,
                    with: String::new(),
                });
            } else {
                splices.extend(word_splices(text, input));
            }
        }
        // A `with:` left with no input goes too (the step keeps pins in its files).
        if !step.with.is_empty()
            && step
                .with
                .iter()
                .all(|entry| emptied.contains(entry.key.value.as_str()))
            && let Some(splice) = with_line(text, first, end)
        {
            splices.push(splice);
        }
    }
    if splices.is_empty() {
        return Ok(PinEdit {
            text: text.to_string(),
            held,
        });
    }
    let new = apply(path, text, splices)?;
    read_back::read_back(
        path,
        &package,
        &new,
        &removed,
        &references,
        &gone_steps,
        options,
    )?;
    held.sort_by_key(|h| h.index);
    Ok(PinEdit { text: new, held })
}

/// The input `key` of `step` as written, when it holds text.
fn read_input(
    text: &str,
    step: &Step,
    key: &str,
    input: PinInput,
    scope: &Substitution,
) -> Option<Input> {
    let entry = step.with.iter().find(|e| e.key.value == key)?;
    let WithValue::Text(value) = &entry.value.value else {
        return None;
    };
    let kind = input;
    let mut input = Input {
        key: key.to_string(),
        input: kind,
        start: 0,
        end: 0,
        words: shell_words(value)
            .map(|word| Word {
                resolved: scope.resolve(word).unwrap_or_else(|_| word.to_string()),
                span: None,
                claimed_by: None,
            })
            .collect(),
        refused: None,
    };
    let line = entry.key.position.line;
    let refuse = |input: &mut Input, why: String| {
        input.refused = Some(format!("line {line}: {why}; edit it by hand"));
    };
    let (Some(key_offset), Some(value_offset)) =
        (entry.key.position.offset, entry.value.position.offset)
    else {
        refuse(&mut input, format!("the place of `{key}:` is unknown"));
        return Some(input);
    };
    if entry.value.position.through_alias {
        refuse(&mut input, format!("`{key}:` is a YAML alias"));
        return Some(input);
    }
    let start = line_start(text, key_offset);
    let key_line = &text[start..line_end(text, start)];
    let key_indent = indent_of(key_line);
    if start + key_indent != key_offset || value_offset < key_offset {
        refuse(
            &mut input,
            format!("`{key}:` is not an entry of a block mapping"),
        );
        return Some(input);
    }
    // The value's lines: the key's, then those indented deeper (or blank); trailing blank
    // lines are not the value's.
    let mut end = line_end(text, start);
    let mut last = end;
    while end < text.len() {
        let next = line_end(text, end);
        let line = &text[end..next];
        let blank = line.trim().is_empty();
        if !blank && indent_of(line) <= key_indent {
            break;
        }
        if !blank {
            last = next;
        }
        end = next;
    }
    input.start = start;
    input.end = last;
    if value_offset >= last {
        refuse(
            &mut input,
            format!("the value of `{key}:` is not where expected"),
        );
        return Some(input);
    }
    let between = &text[key_offset..value_offset];
    let value_head = text[value_offset..].chars().next();
    if between.contains('&') || value_head == Some('&') {
        refuse(
            &mut input,
            format!("`{key}:` carries a YAML anchor that other steps may use"),
        );
        return Some(input);
    }
    // Find each word in the value's bytes, in order, as a whole word.
    let mut from = value_offset;
    let words: Vec<&str> = shell_words(value).collect();
    for (word, written) in input.words.iter_mut().zip(words) {
        if let Some(at) = find_word(text, from, last, written) {
            word.span = Some((at, at + written.len()));
            from = at + written.len();
        }
    }
    Some(input)
}

/// The splice that takes out the `with:` line of the step at `text[first..end]` (not one
/// that opens the step: `- with:`).
fn with_line(text: &str, first: usize, end: usize) -> Option<Splice> {
    let mut at = first;
    while at < end {
        let next = line_end(text, at);
        let line = &text[at..next];
        let content = line.split(" #").next().unwrap_or(line).trim();
        if content == "with:" {
            return Some(Splice {
                start: at,
                end: next,
                with: String::new(),
            });
        }
        at = next;
    }
    None
}

/// The items of a value as the shell sees them inside the pipeline's double quotes: a `\`
/// before a line break joins the lines, a lone `\` separates nothing.
pub(super) fn shell_words(value: &str) -> impl Iterator<Item = &str> + '_ {
    // A continuation inside a word (`a\` + newline + `b`) makes one word the source does not
    // hold as is; it is split here on the line break and never found, so never edited.
    value
        .split(|c: char| c.is_whitespace())
        .filter(|word| !word.is_empty() && *word != "\\")
}

/// The first place at or after `from` and before `end` where `word` is written as a whole
/// word (not inside a longer one).
fn find_word(text: &str, mut from: usize, end: usize, word: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let boundary = |byte: Option<&u8>| {
        byte.is_none_or(|b| b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b':'))
    };
    while from < end {
        let found = from + text.get(from..end)?.find(word)?;
        let after = found + word.len();
        let before_ok = found == 0 || boundary(bytes.get(found - 1));
        let after_ok = boundary(bytes.get(after)) || bytes.get(after) == Some(&b'\\');
        if before_ok && after_ok {
            return Some(found);
        }
        from = found + 1;
        while from < end && !text.is_char_boundary(from) {
            from += 1;
        }
    }
    None
}

/// Give removal `index` the first free word of an input of kind `kind` that is `item`.
fn claim(inputs: &mut [Input], index: usize, item: &str, kind: PinInput) -> Result<(), String> {
    let mut refusal = None;
    for input in inputs.iter_mut().filter(|i| i.input == kind) {
        let Some(word) = input
            .words
            .iter_mut()
            .find(|w| w.claimed_by.is_none() && w.resolved == item)
        else {
            continue;
        };
        if let Some(why) = &input.refused {
            refusal.get_or_insert_with(|| why.clone());
            continue;
        }
        if word.span.is_none() {
            refusal.get_or_insert_with(|| {
                format!(
                    "`{item}` is not written as is (a variable, an escape or a line continuation inside it); edit it by hand"
                )
            });
            continue;
        }
        word.claimed_by = Some(index);
        return Ok(());
    }
    Err(refusal.unwrap_or_else(|| format!("`{item}` is not in the step's `{}`", kind.name())))
}

/// `go/bump` without `deps` but with `replaces` does not run (or fails): the first `deps`
/// item removed stays while a `replaces` item does.
fn keep_one_dependency(inputs: &mut [Input], held: &mut Vec<HeldRemoval>) {
    let replaces_left = inputs
        .iter()
        .filter(|i| i.input == PinInput::Replaces)
        .any(|i| i.words.iter().any(|w| w.claimed_by.is_none()));
    let dependencies = || inputs.iter().filter(|i| i.input == PinInput::Dependencies);
    let none_left = dependencies().all(|i| i.words.iter().all(|w| w.claimed_by.is_some()));
    if !replaces_left || !none_left || dependencies().all(|i| i.words.is_empty()) {
        return;
    }
    if let Some(word) = inputs
        .iter_mut()
        .filter(|i| i.input == PinInput::Dependencies)
        .flat_map(|i| i.words.iter_mut())
        .next()
        && let Some(index) = word.claimed_by.take()
    {
        held.push(HeldRemoval {
            index,
            reason: "`go/bump` needs `deps` while `replaces` remain: one item stays".into(),
        });
    }
}

/// A replacement of `text[start..end]`.
#[derive(Debug)]
struct Splice {
    start: usize,
    end: usize,
    with: String,
}

/// The text with `splices` made, in one pass (a step may lose thousands of words).
fn apply(path: &Path, text: &str, mut splices: Vec<Splice>) -> Result<String, MelangeEditError> {
    splices.sort_by_key(|s| (s.start, s.end));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for splice in splices {
        if splice.start < at || splice.end < splice.start {
            return Err(edit_error(
                path,
                "two pin removals overlap; edit them by hand",
            ));
        }
        out.push_str(&text[at..splice.start]);
        out.push_str(&splice.with);
        at = splice.end;
    }
    out.push_str(&text[at..]);
    Ok(out)
}

/// A word on one line of a value: its bytes relative to the line, and whether it goes.
#[derive(Debug, Clone, Copy)]
struct LineWord {
    start: usize,
    end: usize,
    claimed: bool,
}

/// One line of a value: its bytes in the file (newline included) and its words.
#[derive(Debug)]
struct ValueLine {
    start: usize,
    end: usize,
    words: Vec<LineWord>,
}

/// The splices that take the claimed words out of an input that keeps others: each changed
/// line is rewritten whole (a line left with nothing goes), and a `\` that ends the value
/// continuing nothing is closed.
fn word_splices(text: &str, input: &Input) -> Vec<Splice> {
    // The value's lines, each with its words (relative spans, claimed or not).
    let mut lines: Vec<ValueLine> = Vec::new();
    let mut cursor = input.start;
    while cursor < input.end {
        let next = line_end(text, cursor);
        lines.push(ValueLine {
            start: cursor,
            end: next,
            words: Vec::new(),
        });
        cursor = next;
    }
    for word in &input.words {
        let Some((start, end)) = word.span else {
            continue;
        };
        let at = lines.partition_point(|line| line.end <= start);
        if let Some(line) = lines.get_mut(at) {
            line.words.push(LineWord {
                start: start - line.start,
                end: end - line.start,
                claimed: word.claimed_by.is_some(),
            });
        }
    }
    // The new content of each line (`None`: the line goes), newline kept apart.
    let mut new: Vec<Option<String>> = Vec::with_capacity(lines.len());
    let mut changed = vec![false; lines.len()];
    for (index, line) in lines.iter().enumerate() {
        let content = text[line.start..line.end].trim_end_matches(['\n', '\r']);
        if line.words.iter().any(|w| w.claimed) {
            changed[index] = true;
            new.push(rewrite_line(content, &line.words, index == 0));
        } else {
            new.push(Some(content.to_string()));
        }
    }
    // A quoted value keeps its quotes beside its words: an opening quote left alone on the
    // key's line takes the next line's words up, a closing one alone on its line goes down
    // to the end of the line above.
    let quote = |line: &str| matches!(line.trim(), "\"" | "'");
    let kept_after =
        |new: &[Option<String>], from: usize| (from..new.len()).find(|&i| new[i].is_some());
    if changed.first() == Some(&true)
        && let Some(key_line) = new[0].clone()
        && key_line.trim_end().ends_with(['"', '\''])
        && key_line
            .trim_end()
            .rsplit_once(':')
            .is_some_and(|(_, rest)| quote(rest))
        && let Some(next) = kept_after(&new, 1)
    {
        let below = new[next].clone().unwrap_or_default();
        new[0] = Some(format!("{}{}", key_line.trim_end(), below.trim_start()));
        new[next] = None;
        changed[next] = true;
    }
    for index in 1..new.len() {
        if !changed[index] || !new[index].as_deref().is_some_and(quote) {
            continue;
        }
        let Some(above) = (0..index).rev().find(|&i| new[i].is_some()) else {
            continue;
        };
        let line = new[above].clone().unwrap_or_default();
        if line.trim_end().ends_with('\\') {
            continue;
        }
        let closing = new[index].as_deref().unwrap_or_default().trim().to_string();
        new[above] = Some(format!("{}{closing}", line.trim_end()));
        changed[above] = true;
        new[index] = None;
    }
    // A `\` now ending the value continues nothing (unless the user's value ended so).
    let continues = |line: &str| {
        let trimmed = line.trim_end();
        trimmed.ends_with('\\') && !trimmed.ends_with("\\\\")
    };
    let original_last = lines
        .iter()
        .rev()
        .map(|line| text[line.start..line.end].trim_end_matches(['\n', '\r']))
        .find(|l| !l.trim().is_empty());
    if let Some(last) = (0..new.len())
        .rev()
        .find(|&i| new[i].as_deref().is_some_and(|l| !l.trim().is_empty()))
    {
        let line = new[last].clone().unwrap_or_default();
        if continues(&line) && !original_last.is_some_and(continues) {
            let kept = line.trim_end();
            new[last] = Some(kept[..kept.len() - 1].trim_end().to_string());
            changed[last] = true;
        }
    }
    let mut splices = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        if !changed[index] {
            continue;
        }
        let content_end = line.start
            + text[line.start..line.end]
                .trim_end_matches(['\n', '\r'])
                .len();
        match &new[index] {
            Some(content) => splices.push(Splice {
                start: line.start,
                end: content_end,
                with: content.clone(),
            }),
            None => splices.push(Splice {
                start: line.start,
                end: line.end,
                with: String::new(),
            }),
        }
    }
    splices
}

/// One line of a value without its claimed words (`None`: nothing is left of it). `words`:
/// the line's words in order, claimed or not.
fn rewrite_line(line: &str, words: &[LineWord], key_line: bool) -> Option<String> {
    let mut residue = String::new();
    let mut at = 0;
    for word in words {
        residue.push_str(&line[at..word.start]);
        at = word.end;
    }
    residue.push_str(&line[at..]);
    if !key_line && words.iter().all(|w| w.claimed) && matches!(residue.trim(), "" | "\\") {
        return None;
    }
    let blanks_before = |s: &str| s.len() - s.trim_end_matches([' ', '\t']).len();
    let blanks_after = |s: &str| s.len() - s.trim_start_matches([' ', '\t']).len();
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        if !words[i].claimed {
            i += 1;
            continue;
        }
        let mut j = i;
        while j + 1 < words.len() && words[j + 1].claimed {
            j += 1;
        }
        let (start, end) = (words[i].start, words[j].end);
        if j + 1 < words.len() {
            // Up to the next word kept.
            cuts.push((start, words[j + 1].start));
        } else if i > 0 {
            // From the word kept before.
            cuts.push((words[i - 1].end, end));
        } else {
            let before = &line[..start];
            if before.trim().is_empty() {
                // The indentation stays (a quoted value's next line needs it).
                cuts.push((start, end + blanks_after(&line[end..])));
            } else {
                // `key: word` or `key: word \` with the rest below: the key keeps them alone.
                let rest = line[end..].trim();
                let stop = if rest == "\\" && before.trim_end().ends_with(':') {
                    line.trim_end().len()
                } else {
                    end
                };
                cuts.push((start - blanks_before(before), stop));
            }
        }
        i = j + 1;
    }
    let mut out = String::with_capacity(line.len());
    let mut at = 0;
    for (start, end) in cuts {
        out.push_str(&line[at..start]);
        at = end;
    }
    out.push_str(&line[at..]);
    Some(out)
}

mod read_back;

#[cfg(test)]
mod tests;

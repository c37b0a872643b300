//! The dependency files of melange bump steps, read with the line of each entry, and their
//! entries removed in place for `expire`.
//!
//! The formats are their tools' own: cargobump's `cargobump-deps.yaml` (`packages:` of
//! `name`/`version`; a `name@version` name raises only that locked copy), pombump's
//! `pombump-deps.yaml` (`patches:` of `groupId`/`artifactId`/`version`, `scope`, `type`) and
//! `pombump-properties.yaml` (`properties:` of `property`/`value`), and omnibump's unified
//! `deps.yaml` (`packages:` of either shape), `properties.yaml` and `replaces.yaml`
//! (`replaces:` of `oldName`/`name`/`version`). Keys the tools do not read are ignored.
//!
//! An entry leaves the file with its lines (from its `- ` through its last line) and the
//! comment lines right above it at its indentation (a `# CVE-…` note); every other byte stays.
//! A list left empty becomes `key: []`; a file left with no entry at all is for the caller to
//! delete. The new text is read back: it must hold exactly the old entries less the removed
//! ones, or the edit is an error and nothing changes. An entry written in flow style, or
//! holding or reached through a YAML anchor, is not removed (an error: edit it by hand).

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::native::{FileReadError, Position, read_text};

/// The most bytes of a dependency file read. Wolfi's largest is under 4 KiB (a few dozen
/// entries); 1 MiB keeps a mistaken or hostile file from being parsed whole.
pub const MAX_BUMP_FILE_BYTES: u64 = 1 << 20;

/// Why a dependency file could not be read or edited.
#[derive(Debug, thiserror::Error)]
pub enum BumpFileError {
    #[error(transparent)]
    Read(#[from] FileReadError),
    #[error("`{}` line {line}: {message}", path.display())]
    Yaml {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("cannot edit `{}`: {message}; edit it by hand", path.display())]
    Edit { path: PathBuf, message: String },
}

/// The list of a dependency file an entry belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntryList {
    /// `packages:` (cargobump, omnibump).
    Packages,
    /// `patches:` (pombump).
    Patches,
    /// `properties:` (pombump, omnibump).
    Properties,
    /// `replaces:` (omnibump, Go).
    Replaces,
}

impl EntryList {
    const ALL: [EntryList; 4] = [
        EntryList::Packages,
        EntryList::Patches,
        EntryList::Properties,
        EntryList::Replaces,
    ];

    /// The key of the list.
    pub fn key(self) -> &'static str {
        match self {
            EntryList::Packages => "packages",
            EntryList::Patches => "patches",
            EntryList::Properties => "properties",
            EntryList::Replaces => "replaces",
        }
    }
}

/// One entry of a dependency file: the fields the tools read, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BumpFileEntry {
    pub list: EntryList,
    /// The line of its first key.
    pub line: usize,
    pub name: Option<String>,
    pub version: Option<String>,
    pub group_id: Option<String>,
    pub artifact_id: Option<String>,
    pub classifier: Option<String>,
    pub property: Option<String>,
    pub value: Option<String>,
    pub old_name: Option<String>,
    /// Where the entry's mapping is (an alias or anchor makes it uneditable).
    position: Position,
}

impl BumpFileEntry {
    /// The fields, for comparing an entry with its copy in the edited text.
    fn fields(&self) -> impl PartialEq + '_ {
        (
            self.list,
            &self.name,
            &self.version,
            &self.group_id,
            &self.artifact_id,
            &self.classifier,
            &self.property,
            &self.value,
            &self.old_name,
        )
    }
}

#[derive(Debug, Default, Deserialize)]
struct RawFile {
    #[serde(default)]
    packages: Option<Vec<Spanned<RawEntry>>>,
    #[serde(default)]
    patches: Option<Vec<Spanned<RawEntry>>>,
    #[serde(default)]
    properties: Option<Vec<Spanned<RawEntry>>>,
    #[serde(default)]
    replaces: Option<Vec<Spanned<RawEntry>>>,
}

/// An entry; serde-saphyr keeps a scalar's text as written when a string is asked for
/// (`version: 1.10` stays `1.10`).
#[derive(Debug, Default, Deserialize)]
struct RawEntry {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default, rename = "groupId")]
    group_id: Option<String>,
    #[serde(default, rename = "artifactId")]
    artifact_id: Option<String>,
    #[serde(default)]
    classifier: Option<String>,
    #[serde(default)]
    property: Option<String>,
    #[serde(default)]
    value: Option<String>,
    #[serde(default, rename = "oldName")]
    old_name: Option<String>,
}

/// Read the dependency file at `path` (at most [`MAX_BUMP_FILE_BYTES`]): its text and entries.
pub fn read(path: &Path) -> Result<(String, Vec<BumpFileEntry>), BumpFileError> {
    let text = read_text(path, MAX_BUMP_FILE_BYTES)?;
    let entries = parse(path, &text)?;
    Ok((text, entries))
}

/// The entries of dependency file text, in file order within each list (`path` names the
/// file in errors).
pub fn parse(path: &Path, text: &str) -> Result<Vec<BumpFileEntry>, BumpFileError> {
    if text
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Ok(Vec::new());
    }
    let raw: RawFile = serde_saphyr::from_str(text).map_err(|error| BumpFileError::Yaml {
        path: path.to_path_buf(),
        line: error.location().map(|l| l.line() as usize).unwrap_or(0),
        message: crate::workspace::manifest::yaml_message(&error),
    })?;
    let mut entries = Vec::new();
    for (list, items) in [
        (EntryList::Packages, raw.packages),
        (EntryList::Patches, raw.patches),
        (EntryList::Properties, raw.properties),
        (EntryList::Replaces, raw.replaces),
    ] {
        for item in items.unwrap_or_default() {
            let position = Position::from_spanned(&item);
            let entry = item.value;
            entries.push(BumpFileEntry {
                list,
                line: position.line,
                name: entry.name,
                version: entry.version,
                group_id: entry.group_id,
                artifact_id: entry.artifact_id,
                classifier: entry.classifier,
                property: entry.property,
                value: entry.value,
                old_name: entry.old_name,
                position,
            });
        }
    }
    entries.sort_by_key(|e| (e.list, e.line));
    Ok(entries)
}

/// The text of the file without the entries at `remove` (indices into `entries`, which
/// [`parse`] gave for `text`); `None` when no entry is left (the file goes).
pub fn remove_entries(
    path: &Path,
    text: &str,
    entries: &[BumpFileEntry],
    remove: &[usize],
) -> Result<Option<String>, BumpFileError> {
    let refuse = |message: String| BumpFileError::Edit {
        path: path.to_path_buf(),
        message,
    };
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let blank = |l: &str| l.trim().is_empty();
    let comment = |l: &str| l.trim_start().starts_with('#');
    let mut dead = vec![false; lines.len()];
    for &index in remove {
        let entry = entries
            .get(index)
            .ok_or_else(|| refuse(format!("no entry {index}")))?;
        let line = entry.line;
        if entry.position.through_alias {
            return Err(refuse(format!("the entry at line {line} is a YAML alias")));
        }
        // The entry's dash: on its first key's line (`- name: x`), or alone on the line above.
        let at = line.wrapping_sub(1);
        let dash_line = |i: usize| -> Option<(usize, &str)> {
            let rest = lines.get(i)?.trim_start();
            rest.strip_prefix('-')
                .filter(|after| after.starts_with([' ', '\t', '\n', '\r']) || after.is_empty())
                .map(|after| (i, after))
        };
        let (start, after) = match dash_line(at) {
            Some(found) => found,
            None if at > 0 && lines.get(at - 1).is_some_and(|l| l.trim() == "-") => (at - 1, ""),
            None => {
                return Err(refuse(format!(
                    "the entry at line {line} is not an item of a block list"
                )));
            }
        };
        if after.trim_start().starts_with(['&', '{', '!']) {
            return Err(refuse(format!(
                "the entry at line {line} holds a YAML anchor, tag or flow mapping"
            )));
        }
        let dash = indent(lines[start]);
        let mut end = start + 1;
        while end < lines.len() && (blank(lines[end]) || indent(lines[end]) > dash) {
            end += 1;
        }
        // Blank and comment lines at its end belong to what follows.
        while end > start + 1 && (blank(lines[end - 1]) || comment(lines[end - 1])) {
            end -= 1;
        }
        let mut begin = start;
        while begin > 0 && comment(lines[begin - 1]) && indent(lines[begin - 1]) == dash {
            begin -= 1;
        }
        // No blank line left behind right under the list's key, nor doubled.
        let opens =
            begin == 0 || blank(lines[begin - 1]) || lines[begin - 1].trim_end().ends_with(':');
        if opens && end < lines.len() && blank(lines[end]) {
            end += 1;
        }
        if lines[start..end].iter().any(|l| anchor_or_alias(l)) {
            return Err(refuse(format!(
                "the entry at line {line} holds a YAML anchor or alias"
            )));
        }
        dead[begin..end].iter_mut().for_each(|d| *d = true);
    }
    let mut removed = vec![false; entries.len()];
    for &index in remove {
        removed[index] = true;
    }
    let left: Vec<&BumpFileEntry> = entries
        .iter()
        .zip(&removed)
        .filter(|(_, gone)| !**gone)
        .map(|(e, _)| e)
        .collect();
    if left.is_empty() {
        return Ok(None);
    }
    let mut out = String::with_capacity(text.len());
    for (i, line) in lines.iter().enumerate() {
        if dead[i] {
            continue;
        }
        // A list left empty reads as `key: []`.
        let emptied = EntryList::ALL.into_iter().find(|list| {
            line.strip_prefix(list.key())
                .and_then(|rest| rest.strip_prefix(':'))
                .is_some_and(|rest| rest.trim().is_empty() || rest.trim().starts_with('#'))
                && entries.iter().any(|e| e.list == *list)
                && !left.iter().any(|e| e.list == *list)
        });
        match emptied {
            Some(list) => {
                let rest = &line[list.key().len() + 1..];
                out.push_str(list.key());
                out.push_str(": []");
                out.push_str(rest.trim_end_matches(['\n', '\r']).trim_end());
                if line.ends_with('\n') {
                    out.push('\n');
                }
            }
            None => out.push_str(line),
        }
    }
    let after = parse(path, &out)
        .map_err(|error| refuse(format!("the edited file does not read: {error}")))?;
    let same = after.len() == left.len()
        && after
            .iter()
            .zip(&left)
            .all(|(a, b)| a.fields() == b.fields());
    if !same {
        return Err(refuse(
            "removing the entries would change more than them".into(),
        ));
    }
    Ok(Some(out))
}

/// Whether a line (its comment aside) holds a YAML anchor (`&a`) or alias (`*a`): a `&` or `*`
/// that starts a word. A quoted value with such a word is taken as one too (refused, never
/// mangled).
fn anchor_or_alias(line: &str) -> bool {
    let content = line.split(" #").next().unwrap_or(line);
    let bytes = content.as_bytes();
    bytes.iter().enumerate().any(|(i, b)| {
        matches!(b, b'&' | b'*')
            && (i == 0 || bytes[i - 1].is_ascii_whitespace())
            && bytes.get(i + 1).is_some_and(|n| !n.is_ascii_whitespace())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CARGO: &str = "# Pins for CVEs\npackages:\n  # CVE-2023-34062\n  - name: tokio\n    version: 1.38.2\n\n  - name: time\n    version: \"0.3.47\"\n  # GHSA-h97m\n  - name: rand@0.8.5\n    version: 0.8.6\n";

    fn path() -> &'static Path {
        Path::new("pkg/cargobump-deps.yaml")
    }

    #[test]
    fn entries_are_read_with_their_lines_and_text_as_written() {
        let entries = parse(path(), CARGO).unwrap();
        let names: Vec<(&str, &str, usize)> = entries
            .iter()
            .map(|e| {
                (
                    e.name.as_deref().unwrap(),
                    e.version.as_deref().unwrap(),
                    e.line,
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                ("tokio", "1.38.2", 4),
                ("time", "0.3.47", 7),
                ("rand@0.8.5", "0.8.6", 10)
            ]
        );
        let pom = "patches:\n  - groupId: org.bouncycastle\n    artifactId: bcprov-jdk18on\n    version: 1.80\n    scope: import\nproperties:\n  - property: cxf.version\n    value: 4.0.10\n";
        let entries = parse(path(), pom).unwrap();
        assert_eq!(entries[0].version.as_deref(), Some("1.80"));
        assert_eq!(entries[0].group_id.as_deref(), Some("org.bouncycastle"));
        assert_eq!(entries[1].list, EntryList::Properties);
        assert_eq!(entries[1].value.as_deref(), Some("4.0.10"));
        assert!(parse(path(), "# nothing\n\n").unwrap().is_empty());
        assert!(parse(path(), "packages: [\n").is_err());
    }

    #[test]
    fn an_entry_goes_with_its_comment_and_the_rest_stays_byte_for_byte() {
        let entries = parse(path(), CARGO).unwrap();
        let text = remove_entries(path(), CARGO, &entries, &[0])
            .unwrap()
            .unwrap();
        assert_eq!(
            text,
            "# Pins for CVEs\npackages:\n  - name: time\n    version: \"0.3.47\"\n  # GHSA-h97m\n  - name: rand@0.8.5\n    version: 0.8.6\n"
        );
        let text = remove_entries(path(), CARGO, &entries, &[2, 1])
            .unwrap()
            .unwrap();
        assert_eq!(
            text,
            "# Pins for CVEs\npackages:\n  # CVE-2023-34062\n  - name: tokio\n    version: 1.38.2\n\n"
        );
        assert_eq!(
            remove_entries(path(), CARGO, &entries, &[0, 1, 2]).unwrap(),
            None
        );
    }

    #[test]
    fn a_list_left_empty_beside_another_reads_as_empty() {
        let text = "patches: # deps\n  - groupId: a\n    artifactId: b\n    version: 1\nproperties:\n  - property: c.version\n    value: 2\n";
        let entries = parse(path(), text).unwrap();
        let new = remove_entries(path(), text, &entries, &[0])
            .unwrap()
            .unwrap();
        assert_eq!(
            new,
            "patches: [] # deps\nproperties:\n  - property: c.version\n    value: 2\n"
        );
    }

    #[test]
    fn flow_entries_anchors_and_aliases_are_refused() {
        for text in [
            "packages: [{name: a, version: 1}, {name: b, version: 2}]\n",
            "packages:\n  - &a\n    name: a\n    version: 1\n  - name: b\n    version: 2\n",
            "packages:\n  - {name: a, version: 1}\n  - name: b\n    version: 2\n",
        ] {
            let entries = parse(path(), text).unwrap();
            let error = remove_entries(path(), text, &entries, &[0]).unwrap_err();
            assert!(
                matches!(error, BumpFileError::Edit { .. }),
                "{text}: {error}"
            );
        }
        let text =
            "base: &b\n  name: a\n  version: 1\npackages:\n  - *b\n  - name: c\n    version: 3\n";
        let entries = parse(path(), text).unwrap();
        assert!(remove_entries(path(), text, &entries, &[0]).is_err());
    }
}

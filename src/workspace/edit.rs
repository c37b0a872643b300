//! Editing the user's files in place: lossless manifest edits and multi-file transactions.
//!
//! `expire` and `refresh` compute every new file first (`ManifestEdit` for `package.yaml`,
//! the patch writer for patches), collect them in a [`ChangeSet`], and only then touch the
//! disk with [`ChangeSet::commit`], so a failure while computing leaves every file as it was.
//!
//! Manifest edits keep the user's comments, key order and formatting everywhere they did not
//! change (DESIGN.md §1). Each edit works on the current text and is checked by re-reading the
//! result with [`Manifest::parse`] (the edited value must read back as intended, everything else
//! must read back unchanged); an edit that fails the check is refused and the text is left as
//! it was. Scalar edits (`upstream.version`, `upstream.sha256`) and appending to `expired:` go
//! through `yaml-edit`, which rewrites only the touched value and keeps its quoting style and
//! trailing comment. Removing a patch entry is a line edit of the entry's exact lines (the
//! parser knows where each entry starts): yaml-edit leaves the removed entry's own comment
//! lines behind and writes `[]` under a comment when the list becomes empty, so the line edit
//! also removes the comment lines directly above the entry and turns `patches:` into
//! `patches: []` when the last entry goes.
//!
//! A commit is as close to a transaction as plain files allow: (1) every new content is
//! written to a temporary file in its target's folder and fsynced (nothing visible changes; a
//! failure here removes the temporaries); (2) each target that exists is hard-linked to a
//! backup name beside it, then replaced by renaming its temporary over it (or removed); (3) a
//! failure in step 2 undoes the steps done so far in reverse order by renaming the backups
//! back (each rename is atomic); (4) the folders are fsynced and the backups removed. Each
//! file is therefore always either wholly old or wholly new. A process killed during step 2
//! leaves `.<name>.mindelta-backup-*` files beside the targets it had reached: renaming each
//! back over `<name>` restores the old state (docs/refresh.md).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use yaml_edit::{Document, Mapping, ScalarValue};

use super::manifest::{ExpiredEntry, Manifest, ManifestError, UpstreamSource};
use crate::patch::diff::diff_files;
use crate::patch::write::write_file;

/// Why a manifest edit or a commit failed. No user file was changed, unless
/// [`EditError::RollbackFailed`] says otherwise.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("cannot read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The edit could not be made so that the manifest reads back as intended.
    #[error("cannot edit `{}`: {message}", path.display())]
    Edit { path: PathBuf, message: String },
    /// The edited manifest does not validate.
    #[error("the edited manifest `{}` would not be valid", path.display())]
    Invalid {
        path: PathBuf,
        #[source]
        source: ManifestError,
    },
    /// A file changed on disk after it was read: nothing was written.
    #[error("`{}` changed on disk while the command ran; nothing was written", path.display())]
    Changed { path: PathBuf },
    /// Writing failed; every file written so far was restored.
    #[error("cannot write `{}`; every file was left as it was", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Writing failed and restoring an earlier file failed too.
    #[error(
        "cannot write `{}`, and restoring `{}` failed (its old content is in `{}`)",
        path.display(), restore.display(), backup.display()
    )]
    RollbackFailed {
        path: PathBuf,
        restore: PathBuf,
        backup: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// An in-memory edit of one `package.yaml`: every method changes the text, checks it, and
/// leaves it unchanged on error.
#[derive(Debug, Clone)]
pub struct ManifestEdit {
    path: PathBuf,
    original: String,
    text: String,
}

impl ManifestEdit {
    /// Read the manifest at `path` for editing.
    pub fn open(path: &Path) -> Result<ManifestEdit, EditError> {
        let text = std::fs::read_to_string(path).map_err(|source| EditError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(ManifestEdit::from_text(path, text))
    }

    /// Edit manifest text; `path` is where `commit` writes it and what messages name.
    pub fn from_text(path: &Path, text: String) -> ManifestEdit {
        ManifestEdit {
            path: path.to_path_buf(),
            original: text.clone(),
            text,
        }
    }

    /// The manifest's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The text as read.
    pub fn original(&self) -> &str {
        &self.original
    }

    /// The text with the edits made so far.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether any edit changed the text.
    pub fn is_changed(&self) -> bool {
        self.text != self.original
    }

    /// The manifest the current text describes.
    pub fn manifest(&self) -> Result<Manifest, EditError> {
        Manifest::parse(&self.text, &self.path).map_err(|source| EditError::Invalid {
            path: self.path.clone(),
            source,
        })
    }

    /// Set `upstream.version`, keeping the value's quoting style and trailing comment.
    pub fn set_upstream_version(&mut self, version: &str) -> Result<(), EditError> {
        let before = self.manifest()?;
        if before.upstream.version == version {
            return Ok(());
        }
        let style = scalar_style_at(&self.text, before.upstream.version_line, "version");
        let text = self.with_document(|root| {
            let upstream = root
                .get_mapping("upstream")
                .ok_or("`upstream` is not a mapping")?;
            upstream.set("version", styled(version, style));
            Ok(())
        })?;
        self.accept(text, |old, new| {
            let mut expected = old.clone();
            expected.upstream.version = version.to_string();
            same(&expected, new)
        })
    }

    /// Set `upstream.sha256` of a tarball upstream that declares one; a tarball without a
    /// declared checksum (the user chose `--allow-unverified`) is left without one.
    pub fn set_sha256(&mut self, sha256: &str) -> Result<(), EditError> {
        let before = self.manifest()?;
        let UpstreamSource::Tarball {
            sha256: Some(current),
            ..
        } = &before.upstream.source
        else {
            return Ok(());
        };
        let sha256 = sha256.to_ascii_lowercase();
        if *current == sha256 {
            return Ok(());
        }
        let text = self.with_document(|root| {
            let upstream = root
                .get_mapping("upstream")
                .ok_or("`upstream` is not a mapping")?;
            let quoted = upstream
                .get("sha256")
                .map(|node| node.to_string())
                .unwrap_or_default();
            let style = match quoted.trim_start().chars().next() {
                Some('"') => Style::Double,
                Some('\'') => Style::Single,
                _ => Style::Plain,
            };
            upstream.set("sha256", styled(&sha256, style));
            Ok(())
        })?;
        self.accept(text, |old, new| {
            let mut expected = old.clone();
            if let UpstreamSource::Tarball { sha256: sum, .. } = &mut expected.upstream.source {
                *sum = Some(sha256.clone());
            }
            same(&expected, new)
        })
    }

    /// Remove the `patches:` entry of `file`, with the comment lines directly above it.
    pub fn remove_patch(&mut self, file: &str) -> Result<(), EditError> {
        let before = self.manifest()?;
        let Some(index) = before.patches.iter().position(|p| p.file == file) else {
            return Err(self.edit_error(format!("no patch `{file}` in `patches:`")));
        };
        let line = before.patches[index].line;
        let text = match remove_block_entry(&self.text, line, before.patches.len() == 1) {
            Some(text) => text,
            // Not a block entry (a flow list): let yaml-edit do it.
            None => self.with_document(|root| {
                let patches = root
                    .get_sequence("patches")
                    .ok_or("`patches` is not a list")?;
                patches
                    .remove(index)
                    .ok_or("the entry is not in the list")?;
                Ok(())
            })?,
        };
        self.accept(text, |old, new| {
            let mut expected = old.clone();
            expected.patches.remove(index);
            same(&expected, new)
        })
    }

    /// Append an entry to `expired:`. A missing `expired:` key is added at the end of the file
    /// with the list indentation `patches:` uses (a text edit: yaml-edit would pick its own);
    /// an existing list grows through yaml-edit, which follows the list's indentation.
    pub fn append_expired(&mut self, entry: &ExpiredEntry) -> Result<(), EditError> {
        let mut fields = vec![
            ("release", super::write::quoted(&entry.release)),
            ("reason", super::write::scalar(&entry.reason)),
        ];
        if let Some(evidence) = &entry.evidence {
            fields.push(("evidence", super::write::scalar(evidence)));
        }
        if let Some(date) = &entry.date {
            // A plain ISO date, as users write `added:` (it reads back as a string).
            let plain = date.len() == 10
                && date.bytes().enumerate().all(|(i, b)| {
                    if i == 4 || i == 7 {
                        b == b'-'
                    } else {
                        b.is_ascii_digit()
                    }
                });
            let value = if plain {
                date.clone()
            } else {
                super::write::scalar(date)
            };
            fields.push(("date", value));
        }
        let has_key = self
            .text
            .lines()
            .any(|l| l.starts_with("expired:") || l.starts_with("\"expired\":"));
        let text = if has_key {
            self.with_document(|root| {
                let item = Mapping::new();
                item.set("file", styled(&entry.file, Style::Plain));
                item.set("release", styled(&entry.release, Style::Double));
                item.set("reason", styled(&entry.reason, Style::Plain));
                if let Some(evidence) = &entry.evidence {
                    item.set("evidence", styled(evidence, Style::Plain));
                }
                if let Some((_, date)) = fields.iter().find(|(key, _)| *key == "date") {
                    if date.starts_with('"') {
                        item.set(
                            "date",
                            styled(&entry.date.clone().unwrap_or_default(), Style::Double),
                        );
                    } else {
                        item.set("date", ScalarValue::plain(date.as_str()));
                    }
                }
                let list = root
                    .get_sequence("expired")
                    .ok_or("`expired` is not a list")?;
                list.push(item);
                Ok(())
            })?
        } else {
            let indent = " ".repeat(self.list_indent());
            let mut text = self.text.clone();
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str("expired:\n");
            text.push_str(&format!(
                "{indent}- file: {}\n",
                super::write::scalar(&entry.file)
            ));
            for (key, value) in fields {
                text.push_str(&format!("{indent}  {key}: {value}\n"));
            }
            text
        };
        self.accept(text, |old, new| {
            let mut expected = old.clone();
            expected.expired.push(entry.clone());
            same(&expected, new)
        })
    }

    /// The indentation of the `- ` of the `patches:` entries (2 when there are none).
    fn list_indent(&self) -> usize {
        let Ok(manifest) = self.manifest() else {
            return 2;
        };
        manifest
            .patches
            .first()
            .and_then(|entry| self.text.lines().nth(entry.line.saturating_sub(1)))
            .filter(|line| line.trim_start().starts_with('-'))
            .map_or(2, |line| line.len() - line.trim_start().len())
    }

    /// Write the edited text to the manifest's path atomically (a one-file [`ChangeSet`]).
    pub fn commit(self) -> Result<(), EditError> {
        if !self.is_changed() {
            return Ok(());
        }
        let mut changes = ChangeSet::default();
        changes.write(
            &self.path,
            Some(self.original.into_bytes()),
            self.text.into_bytes(),
        );
        changes.commit()
    }

    /// Run `edit` on a yaml-edit document of the current text; the new text.
    fn with_document(
        &self,
        edit: impl FnOnce(&Mapping) -> Result<(), &'static str>,
    ) -> Result<String, EditError> {
        let document = Document::from_str(&self.text)
            .map_err(|e| self.edit_error(format!("cannot parse the YAML: {e}")))?;
        let root = document
            .as_mapping()
            .ok_or_else(|| self.edit_error("the document is not a mapping".into()))?;
        edit(&root).map_err(|message| self.edit_error(message.into()))?;
        let mut text = document.to_string();
        if self.text.ends_with('\n') && !text.ends_with('\n') {
            text.push('\n');
        }
        Ok(text)
    }

    /// Keep `text` if it validates and `check(old, new)` holds; otherwise refuse it.
    fn accept(
        &mut self,
        text: String,
        check: impl FnOnce(&Manifest, &Manifest) -> bool,
    ) -> Result<(), EditError> {
        let old = self.manifest()?;
        let new = Manifest::parse(&text, &self.path).map_err(|source| EditError::Invalid {
            path: self.path.clone(),
            source,
        })?;
        if !check(&old, &new) {
            return Err(self.edit_error(
                "the edited text does not read back as intended (edit refused)".into(),
            ));
        }
        self.text = text;
        Ok(())
    }

    fn edit_error(&self, message: String) -> EditError {
        EditError::Edit {
            path: self.path.clone(),
            message,
        }
    }
}

/// Two manifests are the same apart from where things are in the text.
fn same(a: &Manifest, b: &Manifest) -> bool {
    fn lines_cleared(manifest: &Manifest) -> Manifest {
        let mut manifest = manifest.clone();
        manifest.upstream.version_line = 0;
        for entry in &mut manifest.patches {
            entry.line = 0;
        }
        manifest
    }
    lines_cleared(a) == lines_cleared(b)
}

/// How a scalar is quoted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
}

/// The quoting of `key:`'s value on 1-based `line` (plain when it cannot be told).
fn scalar_style_at(text: &str, line: usize, key: &str) -> Style {
    let Some(content) = text.lines().nth(line.saturating_sub(1)) else {
        return Style::Plain;
    };
    let value = content
        .split_once(&format!("{key}:"))
        .map_or("", |(_, value)| value.trim_start());
    match value.chars().next() {
        Some('"') => Style::Double,
        Some('\'') => Style::Single,
        _ => Style::Plain,
    }
}

/// A scalar in `style`, or double-quoted where plain would not read back as the same string.
fn styled(value: &str, style: Style) -> ScalarValue {
    match style {
        Style::Double => ScalarValue::double_quoted(value),
        Style::Single if !value.chars().any(char::is_control) => ScalarValue::single_quoted(value),
        _ if plain_is_safe(value) => ScalarValue::plain(value),
        _ => ScalarValue::double_quoted(value),
    }
}

/// Whether `value` written plain reads back as the same string (the new-manifest writer's
/// rule, so both write the same way).
fn plain_is_safe(value: &str) -> bool {
    !super::write::scalar(value).starts_with('"')
}

/// Remove the block-style sequence entry starting on 1-based `line` (`  - file: …`), its own
/// lines and the comment lines directly above it. `last` turns the emptied `patches:` into
/// `patches: []`. `None` when the line is not a block entry.
fn remove_block_entry(text: &str, line: usize, last: bool) -> Option<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let start = line.checked_sub(1)?;
    let first = *lines.get(start)?;
    let dash = first.len() - first.trim_start().len();
    if !first.trim_start().starts_with("- ") && first.trim() != "-" {
        return None;
    }
    let indent = |l: &str| l.len() - l.trim_start().len();
    let blank = |l: &str| l.trim().is_empty();
    let comment = |l: &str| l.trim_start().starts_with('#');
    // The entry runs until a line at the dash's indentation or less (blank and comment lines
    // at its end belong to what follows).
    let mut end = start + 1;
    while end < lines.len() && (blank(lines[end]) || indent(lines[end]) > dash) {
        end += 1;
    }
    while end > start + 1 && (blank(lines[end - 1]) || comment(lines[end - 1])) {
        end -= 1;
    }
    let mut begin = start;
    while begin > 0 && comment(lines[begin - 1]) && indent(lines[begin - 1]) == dash {
        begin -= 1;
    }
    // Avoid a doubled blank line where an entry between two blank lines goes.
    if begin > 0 && blank(lines[begin - 1]) && end < lines.len() && blank(lines[end]) {
        end += 1;
    }
    let mut out: Vec<String> = lines[..begin].iter().map(|l| l.to_string()).collect();
    if last {
        // The key line that owns the list: the nearest line above at a lower indentation.
        let key = out
            .iter()
            .rposition(|l| !blank(l) && !comment(l) && indent(l) < dash.max(1))
            .or_else(|| {
                out.iter()
                    .rposition(|l| l.trim_start().starts_with("patches:"))
            })?;
        let (head, tail) = out[key].split_once(':')?;
        if !tail.trim_start().is_empty() && !tail.trim_start().starts_with('#') {
            return None;
        }
        let newline = if tail.ends_with('\n') { "\n" } else { "" };
        let rest = tail.trim_end_matches('\n');
        out[key] = format!("{head}: []{rest}{newline}");
        // Comment lines that were inside the now empty list stay, after the key.
    }
    out.extend(lines[end..].iter().map(|l| l.to_string()));
    Some(out.concat())
}

/// One file a [`ChangeSet`] writes or removes.
#[derive(Debug, Clone)]
pub struct Change {
    pub path: PathBuf,
    /// The content when the change was planned (`None`: the file did not exist).
    pub old: Option<Vec<u8>>,
    /// The new content (`None`: remove the file).
    pub new: Option<Vec<u8>>,
}

/// Files to write and remove together, all or nothing (see the module comment).
#[derive(Debug, Clone, Default)]
pub struct ChangeSet {
    changes: Vec<Change>,
}

impl ChangeSet {
    /// Write `new` to `path`; `old` is its current content (checked again before writing).
    pub fn write(&mut self, path: &Path, old: Option<Vec<u8>>, new: Vec<u8>) {
        if old.as_deref() == Some(new.as_slice()) {
            return;
        }
        self.changes.push(Change {
            path: path.to_path_buf(),
            old,
            new: Some(new),
        });
    }

    /// Remove `path`, whose current content is `old`.
    pub fn remove(&mut self, path: &Path, old: Vec<u8>) {
        self.changes.push(Change {
            path: path.to_path_buf(),
            old: Some(old),
            new: None,
        });
    }

    /// The planned changes, in the order they are made.
    pub fn changes(&self) -> &[Change] {
        &self.changes
    }

    /// Whether nothing would change.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// A unified diff (git style) of every change, paths shown relative to `root`.
    pub fn diff(&self, root: &Path) -> String {
        let mut out = Vec::new();
        for change in &self.changes {
            let shown = change
                .path
                .strip_prefix(root)
                .unwrap_or(&change.path)
                .to_string_lossy()
                .into_owned();
            let old = change.old.as_deref().unwrap_or_default();
            let new = change.new.as_deref().unwrap_or_default();
            let mut file = diff_files(&shown, &shown, old, new, 3);
            if change.new.is_none() {
                file.preamble.push(b"deleted file mode 100644\n".to_vec());
                file.new_line = Some(b"+++ /dev/null\n".to_vec());
            } else if change.old.is_none() {
                file.preamble.push(b"new file mode 100644\n".to_vec());
                file.old_line = Some(b"--- /dev/null\n".to_vec());
            }
            write_file(&file, &mut out);
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Make every change, or none (see the module comment for the steps and what an
    /// interrupted commit leaves).
    pub fn commit(self) -> Result<(), EditError> {
        // Nothing may have changed since the plan was made.
        for change in &self.changes {
            let current = match std::fs::read(&change.path) {
                Ok(bytes) => Some(bytes),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
                Err(source) => {
                    return Err(EditError::Read {
                        path: change.path.clone(),
                        source,
                    });
                }
            };
            if current != change.old {
                return Err(EditError::Changed {
                    path: change.path.clone(),
                });
            }
        }
        // Step 1: stage every new content beside its target.
        let mut staged = Vec::with_capacity(self.changes.len());
        for change in &self.changes {
            let temp = match &change.new {
                Some(bytes) => {
                    Some(
                        stage(&change.path, bytes).map_err(|source| EditError::Write {
                            path: change.path.clone(),
                            source,
                        })?,
                    )
                }
                None => None,
            };
            staged.push(temp);
        }
        // Step 2: back up and replace, one file at a time; undo on failure.
        let mut done: Vec<(PathBuf, Option<tempfile::TempPath>)> = Vec::new();
        for (change, temp) in self.changes.iter().zip(staged) {
            if let Err(source) = replace(&change.path, change.old.is_some(), temp, &mut done) {
                return Err(rollback(&change.path, source, done));
            }
        }
        // Step 3: make the renames durable, then drop the backups.
        let mut folders: Vec<&Path> = self
            .changes
            .iter()
            .filter_map(|c| c.path.parent())
            .collect();
        folders.sort();
        folders.dedup();
        for folder in folders {
            if let Ok(dir) = std::fs::File::open(folder) {
                let _ = dir.sync_all();
            }
        }
        drop(done);
        Ok(())
    }
}

/// The folder of `path` (`.` for a bare name).
fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Write `bytes` to a fsynced temporary file beside `path`.
fn stage(path: &Path, bytes: &[u8]) -> std::io::Result<tempfile::NamedTempFile> {
    use std::io::Write;
    let mut temp = tempfile::Builder::new()
        .prefix(".mindelta-")
        .tempfile_in(folder_of(path))?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    if let Ok(meta) = std::fs::metadata(path) {
        temp.as_file().set_permissions(meta.permissions())?;
    }
    Ok(temp)
}

/// Back up `path` (when it exists) and put `temp` in its place, or remove it when `temp` is
/// `None`. Records what was done in `done` for a rollback.
fn replace(
    path: &Path,
    exists: bool,
    temp: Option<tempfile::NamedTempFile>,
    done: &mut Vec<(PathBuf, Option<tempfile::TempPath>)>,
) -> std::io::Result<()> {
    let backup = if exists {
        // The backup names its target, so a user can restore after a kill.
        let name: String = path
            .file_name()
            .map(|n| n.to_string_lossy().chars().take(100).collect())
            .unwrap_or_default();
        let prefix = format!(".{name}.mindelta-backup-");
        let backup = tempfile::Builder::new()
            .prefix(&prefix)
            .make_in(folder_of(path), |candidate| {
                std::fs::hard_link(path, candidate)
            })?;
        Some(backup.into_temp_path())
    } else {
        None
    };
    match temp {
        Some(temp) => {
            if let Err(error) = temp.persist(path) {
                drop(backup);
                return Err(error.error);
            }
        }
        None => {
            if let Err(error) = std::fs::remove_file(path) {
                drop(backup);
                return Err(error);
            }
        }
    }
    done.push((path.to_path_buf(), backup));
    Ok(())
}

/// Undo the replacements in `done`, newest first.
fn rollback(
    failed: &Path,
    source: std::io::Error,
    done: Vec<(PathBuf, Option<tempfile::TempPath>)>,
) -> EditError {
    for (path, backup) in done.into_iter().rev() {
        let restored = match &backup {
            Some(backup) => std::fs::rename(backup, &path),
            None => std::fs::remove_file(&path),
        };
        if let Err(error) = restored {
            let backup_path = backup
                .map(|b| b.keep().unwrap_or_default())
                .unwrap_or_default();
            return EditError::RollbackFailed {
                path: failed.to_path_buf(),
                restore: path,
                backup: backup_path,
                source: error,
            };
        }
    }
    EditError::Write {
        path: failed.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = "# hello: an example\nname: hello\nupstream:\n  version: \"1.0\"   # pinned\n  dir: ../src-{version}\npatches:\n  # the overflow fix\n  - file: 0001-a.patch\n    reason: A   # why\n    fixed-in: \">=1.1\"\n\n  - file: 0002-b.patch\n    status: pending\n  - file: 0003-c.patch\n# end\n";

    fn edit(text: &str) -> ManifestEdit {
        ManifestEdit::from_text(Path::new("patches/hello/package.yaml"), text.to_string())
    }

    #[test]
    fn version_keeps_quotes_comment_and_everything_else() {
        let mut edit = edit(MANIFEST);
        edit.set_upstream_version("1.1").unwrap();
        assert_eq!(
            edit.text(),
            MANIFEST.replace("version: \"1.0\"", "version: \"1.1\"")
        );
        assert_eq!(edit.manifest().unwrap().upstream.version, "1.1");
    }

    #[test]
    fn plain_version_stays_plain_only_when_it_reads_back_as_a_string() {
        let text = "upstream:\n  version: v1.0\n  dir: x\n";
        let mut plain = edit(text);
        plain.set_upstream_version("v1.1").unwrap();
        assert_eq!(plain.text(), "upstream:\n  version: v1.1\n  dir: x\n");
        let mut number = edit(text);
        number.set_upstream_version("1.1").unwrap();
        assert_eq!(number.text(), "upstream:\n  version: \"1.1\"\n  dir: x\n");
    }

    #[test]
    fn removing_an_entry_takes_its_comment_and_nothing_else() {
        let mut edit = edit(MANIFEST);
        edit.remove_patch("0001-a.patch").unwrap();
        assert_eq!(
            edit.text(),
            "# hello: an example\nname: hello\nupstream:\n  version: \"1.0\"   # pinned\n  dir: ../src-{version}\npatches:\n\n  - file: 0002-b.patch\n    status: pending\n  - file: 0003-c.patch\n# end\n"
        );
        edit.remove_patch("0003-c.patch").unwrap();
        assert!(edit.text().ends_with("    status: pending\n# end\n"));
        edit.remove_patch("0002-b.patch").unwrap();
        let manifest = edit.manifest().unwrap();
        assert!(manifest.patches.is_empty());
        assert!(edit.text().contains("patches: []\n"), "{}", edit.text());
        assert!(edit.remove_patch("0002-b.patch").is_err());
    }

    #[test]
    fn removing_from_a_flow_list_uses_the_yaml_editor() {
        let mut edit = edit(
            "upstream:\n  version: \"1\"\n  dir: x\npatches: [{file: a.patch}, {file: b.patch}]\n",
        );
        edit.remove_patch("a.patch").unwrap();
        let manifest = edit.manifest().unwrap();
        assert_eq!(manifest.patches.len(), 1);
        assert_eq!(manifest.patches[0].file, "b.patch");
    }

    #[test]
    fn expired_entries_are_appended_and_read_back() {
        let entry = ExpiredEntry {
            file: "0001-a.patch".into(),
            release: "1.1".into(),
            reason: "fixed-in".into(),
            evidence: Some("1.1 satisfies `>=1.1`: yes # really".into()),
            date: Some("2026-11-27".into()),
        };
        let mut edit = edit(MANIFEST);
        edit.remove_patch("0001-a.patch").unwrap();
        edit.append_expired(&entry).unwrap();
        let mut second = entry.clone();
        second.file = "0002-b.patch".into();
        second.evidence = None;
        edit.append_expired(&second).unwrap();
        let manifest = edit.manifest().unwrap();
        assert_eq!(manifest.expired, vec![entry, second]);
        assert_eq!(
            edit.text(),
            "# hello: an example\nname: hello\nupstream:\n  version: \"1.0\"   # pinned\n  dir: ../src-{version}\npatches:\n\n  - file: 0002-b.patch\n    status: pending\n  - file: 0003-c.patch\n# end\nexpired:\n  - file: 0001-a.patch\n    release: \"1.1\"\n    reason: fixed-in\n    evidence: \"1.1 satisfies `>=1.1`: yes # really\"\n    date: 2026-11-27\n  - file: 0002-b.patch\n    release: \"1.1\"\n    reason: fixed-in\n    date: 2026-11-27\n"
        );
    }

    #[test]
    fn sha256_is_replaced_only_where_declared() {
        let sum = "a".repeat(64);
        let text = format!(
            "upstream:\n  version: \"1\"\n  tarball: https://x/{{version}}.tgz\n  sha256: {sum}  # checked\n"
        );
        let mut edit = edit(&text);
        edit.set_sha256(&"B".repeat(64)).unwrap();
        assert_eq!(edit.text(), text.replace(&sum, &"b".repeat(64)));
        let mut unverified = ManifestEdit::from_text(
            Path::new("package.yaml"),
            "upstream:\n  version: \"1\"\n  tarball: https://x.tgz\n".into(),
        );
        unverified.set_sha256(&sum).unwrap();
        assert!(!unverified.is_changed());
    }

    #[test]
    fn commit_writes_all_files() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        std::fs::write(&a, "old a").unwrap();
        std::fs::write(&b, "old b").unwrap();
        let mut changes = ChangeSet::default();
        changes.write(&a, Some(b"old a".to_vec()), b"new a".to_vec());
        changes.remove(&b, b"old b".to_vec());
        changes.write(&dir.path().join("c"), None, b"new c".to_vec());
        changes.commit().unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), b"new a");
        assert!(!b.exists());
        assert_eq!(std::fs::read(dir.path().join("c")).unwrap(), b"new c");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 2, "no temporary or backup file is left");
    }

    #[test]
    fn a_failure_midway_restores_every_file() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let gone = dir.path().join("gone");
        let blocker = dir.path().join("blocker");
        std::fs::write(&a, "old a").unwrap();
        std::fs::write(&gone, "old gone").unwrap();
        // A folder where a file is expected: it cannot be backed up (no hard link to a
        // folder, even for root) nor replaced, so the third step fails after two succeeded.
        std::fs::create_dir(&blocker).unwrap();
        std::fs::write(blocker.join("inside"), "x").unwrap();
        let changes = ChangeSet {
            changes: vec![
                Change {
                    path: a.clone(),
                    old: Some(b"old a".to_vec()),
                    new: Some(b"new a".to_vec()),
                },
                Change {
                    path: gone.clone(),
                    old: Some(b"old gone".to_vec()),
                    new: None,
                },
                Change {
                    path: dir.path().join("new"),
                    old: None,
                    new: Some(b"new".to_vec()),
                },
                Change {
                    path: blocker.clone(),
                    old: None,
                    new: Some(b"new".to_vec()),
                },
            ],
        };
        // The blocker's current content (a folder reads as an error) differs from `old`.
        assert!(matches!(
            changes.clone().commit(),
            Err(EditError::Read { .. } | EditError::Changed { .. })
        ));
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, vec!["a", "blocker", "gone"]);

        // Now past the precheck: replace() fails on the folder after three changes were made.
        let mut done = Vec::new();
        replace(&a, true, Some(stage(&a, b"new a").unwrap()), &mut done).unwrap();
        replace(&gone, true, None, &mut done).unwrap();
        let created = dir.path().join("new");
        replace(
            &created,
            false,
            Some(stage(&created, b"new").unwrap()),
            &mut done,
        )
        .unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), b"new a");
        let error = replace(
            &blocker,
            true,
            Some(stage(&blocker, b"x").unwrap()),
            &mut done,
        )
        .unwrap_err();
        let error = rollback(&blocker, error, done);
        assert!(matches!(error, EditError::Write { .. }), "{error:?}");
        assert_eq!(std::fs::read(&a).unwrap(), b"old a");
        assert_eq!(std::fs::read(&gone).unwrap(), b"old gone");
        assert!(!created.exists());
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, vec!["a", "blocker", "gone"]);
    }

    #[test]
    fn a_file_changed_after_planning_is_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        std::fs::write(&a, "edited meanwhile").unwrap();
        let mut changes = ChangeSet::default();
        changes.write(&a, Some(b"old".to_vec()), b"new".to_vec());
        assert!(matches!(changes.commit(), Err(EditError::Changed { .. })));
        assert_eq!(std::fs::read(&a).unwrap(), b"edited meanwhile");
    }

    #[test]
    fn diff_shows_writes_and_removals() {
        let mut changes = ChangeSet::default();
        changes.write(
            Path::new("/w/patches/p/package.yaml"),
            Some(b"a\nb\n".to_vec()),
            b"a\nc\n".to_vec(),
        );
        changes.remove(Path::new("/w/patches/p/x.patch"), b"x\n".to_vec());
        let diff = changes.diff(Path::new("/w"));
        assert!(diff.contains("--- a/patches/p/package.yaml\n+++ b/patches/p/package.yaml\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n"), "{diff}");
        assert!(diff.contains("deleted file mode 100644\n--- a/patches/p/x.patch\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n"), "{diff}");
    }
}

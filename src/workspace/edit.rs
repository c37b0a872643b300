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
//! `patches: []` when the last entry goes. `expire` removes and records many patches at once
//! ([`ManifestEdit::expire_patches`]): one pass over the lines and one yaml-edit document for
//! the whole batch, checked once, so its cost grows with the manifest, not with the manifest
//! times the number of expired patches; the text is the one the edits made one by one give.
//!
//! A commit is as close to a transaction as plain files allow. Every path must stay inside the
//! package folder through no link (`confined.rs`) and hold what it held when the edit was
//! planned. Then: (0) a journal naming every file, its temporary, its backup and the sha256 of
//! its old and new content is written durably (`journal.rs`); (1) every new content is written
//! to its temporary beside its target and fsynced; (2) each target that exists is hard-linked
//! to its backup, then replaced by renaming its temporary over it (or removed); (3) the folders
//! are fsynced and the journal marked committed — the commit point; (4) the backups and the
//! journal are removed. A failure before the commit point undoes everything from the journal
//! (backups renamed back, new files and temporaries removed). A process killed at any instant
//! leaves the journal, and the next command that opens the workspace rolls the edit back
//! (before the commit point) or finishes it (after), so every file is wholly old or wholly new.

use crate::native::edit::{self as native, NativeFormat};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use yaml_edit::{Document, Mapping, ScalarValue};

use super::Package;
use super::confined::{self, ConfinedError};
use super::journal::{self, Journal, JournalError, JournalPlace, Planned};
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
    /// Writing failed and undoing the files already changed failed too; the journal keeps
    /// what the next command needs to retry.
    #[error(
        "cannot write `{}` ({error}), and undoing the files already changed failed; the journal `{}` is kept and the next mindelta command retries",
        path.display(), journal.display()
    )]
    RollbackFailed {
        path: PathBuf,
        error: String,
        journal: PathBuf,
        #[source]
        source: Box<JournalError>,
    },
    /// A path goes out of the package folder or through a link.
    #[error(transparent)]
    Confined(#[from] ConfinedError),
    /// The journal could not be written (nothing was changed) or another edit is pending.
    #[error(transparent)]
    Journal(Box<JournalError>),
}

impl From<JournalError> for EditError {
    fn from(error: JournalError) -> EditError {
        EditError::Journal(Box::new(error))
    }
}

/// An in-memory edit of one `package.yaml`: every method changes the text, checks it, and
/// leaves it unchanged on error. The manifest of a package read in place (a melange package
/// file, a Debian series) is edited by its format's own editor (`crate::native::edit`).
#[derive(Debug, Clone)]
pub struct ManifestEdit {
    path: PathBuf,
    original: String,
    text: String,
    native: Option<NativeFormat>,
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
            native: NativeFormat::of(path),
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
        if let Some(format) = self.native {
            return self.native_edit(|path, text| native::set_version(format, path, text, version));
        }
        let before = self.manifest()?;
        if before.upstream.version == version {
            return Ok(());
        }
        let style = scalar_style_at(&self.text, before.upstream.version_line, "version");
        let text = self.with_document(&self.text, |root| {
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
        if let Some(format) = self.native {
            let sha256 = sha256.to_ascii_lowercase();
            return self.native_edit(|path, text| native::set_sha256(format, path, text, &sha256));
        }
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
        let text = self.set_upstream_value("sha256", &sha256)?;
        self.accept(text, |old, new| {
            let mut expected = old.clone();
            if let UpstreamSource::Tarball { sha256: sum, .. } = &mut expected.upstream.source {
                *sum = Some(sha256.clone());
            }
            same(&expected, new)
        })
    }

    /// The manifest's text with `upstream.<key>` set to `value`, quoted as the old value was.
    fn set_upstream_value(&self, key: &str, value: &str) -> Result<String, EditError> {
        self.with_document(&self.text, |root| {
            let upstream = root
                .get_mapping("upstream")
                .ok_or("`upstream` is not a mapping")?;
            let quoted = upstream
                .get(key)
                .map(|node| node.to_string())
                .unwrap_or_default();
            let style = match quoted.trim_start().chars().next() {
                Some('"') => Style::Double,
                Some('\'') => Style::Single,
                _ => Style::Plain,
            };
            upstream.set(key, styled(value, style));
            Ok(())
        })
    }

    /// Set `upstream.commit` of a git upstream that declares one (the pin of the version).
    pub fn set_commit(&mut self, commit: &str) -> Result<(), EditError> {
        let before = self.manifest()?;
        let UpstreamSource::Git {
            commit: Some(current),
            ..
        } = &before.upstream.source
        else {
            return Ok(());
        };
        let commit = commit.to_ascii_lowercase();
        if *current == commit {
            return Ok(());
        }
        let text = self.set_upstream_value("commit", &commit)?;
        self.accept(text, |old, new| {
            let mut expected = old.clone();
            if let UpstreamSource::Git { commit: pin, .. } = &mut expected.upstream.source {
                *pin = Some(commit.clone());
            }
            same(&expected, new)
        })
    }

    /// Pin a tarball upstream's checksum (`mindelta pin`): set `upstream.sha256`, or add it
    /// right after `tarball:` when the manifest declares none. Other upstreams are an error.
    pub fn pin_sha256(&mut self, sha256: &str) -> Result<(), EditError> {
        if self.native.is_some() {
            return Err(self.edit_error(
                "a package read in place is pinned by its own format's editor".into(),
            ));
        }
        let before = self.manifest()?;
        let UpstreamSource::Tarball {
            sha256: current, ..
        } = &before.upstream.source
        else {
            return Err(self.edit_error("the upstream is not a tarball".into()));
        };
        let sha256 = sha256.to_ascii_lowercase();
        if current.as_deref() == Some(sha256.as_str()) {
            return Ok(());
        }
        let text = match current {
            Some(_) => self.set_upstream_value("sha256", &sha256)?,
            None => self.insert_upstream_value("tarball", "sha256", &sha256, Style::Plain)?,
        };
        self.accept(text, |old, new| {
            let mut expected = old.clone();
            if let UpstreamSource::Tarball { sha256: sum, .. } = &mut expected.upstream.source {
                *sum = Some(sha256.clone());
            }
            same(&expected, new)
        })
    }

    /// Pin a git upstream's commit (`mindelta pin`): set `upstream.commit`, or add it right
    /// after `tag:` (else `git:`) when the manifest declares none. Other upstreams are an
    /// error.
    pub fn pin_commit(&mut self, commit: &str) -> Result<(), EditError> {
        if self.native.is_some() {
            return Err(self.edit_error(
                "a package read in place is pinned by its own format's editor".into(),
            ));
        }
        let before = self.manifest()?;
        let UpstreamSource::Git {
            commit: current,
            tag,
            ..
        } = &before.upstream.source
        else {
            return Err(self.edit_error("the upstream is not a git repository".into()));
        };
        let commit = commit.to_ascii_lowercase();
        if current.as_deref() == Some(commit.as_str()) {
            return Ok(());
        }
        let after = if tag.is_some() { "tag" } else { "git" };
        let text = match current {
            Some(_) => self.set_upstream_value("commit", &commit)?,
            None => self.insert_upstream_value(after, "commit", &commit, Style::Double)?,
        };
        self.accept(text, |old, new| {
            let mut expected = old.clone();
            if let UpstreamSource::Git { commit: pin, .. } = &mut expected.upstream.source {
                *pin = Some(commit.clone());
            }
            same(&expected, new)
        })
    }

    /// The manifest's text with a new `upstream.<key>: value` right after `upstream.<after>`.
    fn insert_upstream_value(
        &self,
        after: &str,
        key: &str,
        value: &str,
        style: Style,
    ) -> Result<String, EditError> {
        self.with_document(&self.text, |root| {
            let upstream = root
                .get_mapping("upstream")
                .ok_or("`upstream` is not a mapping")?;
            if !upstream.insert_after(after, key, styled(value, style)) {
                return Err("the key to add after is not in `upstream`");
            }
            Ok(())
        })
    }

    /// Remove the `patches:` entry of `file`, with the comment lines directly above it.
    pub fn remove_patch(&mut self, file: &str) -> Result<(), EditError> {
        self.remove_patches(&[file])
    }

    /// Remove the `patches:` entries of `files`, in this order, each with the comment lines
    /// directly above it. The text is the one `remove_patch` gives file by file; block lists
    /// are edited in one pass over the lines and checked once.
    pub fn remove_patches(&mut self, files: &[&str]) -> Result<(), EditError> {
        if files.is_empty() {
            return Ok(());
        }
        if let Some(format) = self.native {
            let entries: Vec<ExpiredEntry> = files
                .iter()
                .map(|file| ExpiredEntry {
                    file: file.to_string(),
                    release: String::new(),
                    reason: "dropped".into(),
                    evidence: None,
                    date: None,
                })
                .collect();
            return self
                .native_edit(|path, text| native::expire_patches(format, path, text, &entries));
        }
        let before = self.manifest()?;
        let index_of: HashMap<&str, usize> = before
            .patches
            .iter()
            .enumerate()
            .map(|(index, entry)| (entry.file.as_str(), index))
            .collect();
        let mut removed = vec![false; before.patches.len()];
        let mut lines = LineList::new(&self.text);
        let mut left = before.patches.len();
        let mut by_lines = true;
        for file in files {
            let Some(&index) = index_of.get(file).filter(|&&index| !removed[index]) else {
                return Err(self.edit_error(format!("no patch `{file}` in `patches:`")));
            };
            removed[index] = true;
            if by_lines {
                let line = before.patches[index].line;
                by_lines = lines
                    .remove_entry(line.wrapping_sub(1), left == 1)
                    .is_some();
            }
            left -= 1;
        }
        if !by_lines {
            // Not all block entries (a flow list): one entry at a time, as `remove_one` does.
            for file in files {
                self.remove_one(file)?;
            }
            return Ok(());
        }
        let text = lines.text();
        self.accept(text, |old, new| {
            let mut expected = old.clone();
            let mut index = 0;
            expected.patches.retain(|_| {
                index += 1;
                !removed[index - 1]
            });
            same(&expected, new)
        })
    }

    /// Remove one entry: a line edit of a block entry, else through yaml-edit.
    fn remove_one(&mut self, file: &str) -> Result<(), EditError> {
        let before = self.manifest()?;
        let Some(index) = before.patches.iter().position(|p| p.file == file) else {
            return Err(self.edit_error(format!("no patch `{file}` in `patches:`")));
        };
        let line = before.patches[index].line;
        let text = match remove_block_entry(&self.text, line, before.patches.len() == 1) {
            Some(text) => text,
            // Not a block entry (a flow list): let yaml-edit do it.
            None => self.with_document(&self.text, |root| {
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
        self.append_expired_all(std::slice::from_ref(entry))
    }

    /// Append entries to `expired:`, in order, as `append_expired` does one by one: the first
    /// creates the key when it is missing, the rest grow the list in one yaml-edit document,
    /// and the result is checked once.
    pub fn append_expired_all(&mut self, entries: &[ExpiredEntry]) -> Result<(), EditError> {
        let indent = self.list_indent(None);
        self.append_expired_indented(entries, indent)
    }

    /// `append_expired_all`, a new `expired:` list indented by `indent`.
    fn append_expired_indented(
        &mut self,
        entries: &[ExpiredEntry],
        indent: usize,
    ) -> Result<(), EditError> {
        let Some((first, rest)) = entries.split_first() else {
            return Ok(());
        };
        let has_key = self
            .text
            .lines()
            .any(|l| l.starts_with("expired:") || l.starts_with("\"expired\":"));
        let (mut text, rest) = if has_key {
            (self.text.clone(), entries)
        } else {
            (self.expired_key_with(first, indent), rest)
        };
        if !rest.is_empty() {
            text = self.with_document(&text, |root| {
                let list = root
                    .get_sequence("expired")
                    .ok_or("`expired` is not a list")?;
                for entry in rest {
                    list.push(expired_item(entry));
                }
                Ok(())
            })?;
        }
        self.accept(text, |old, new| {
            let mut expected = old.clone();
            expected.expired.extend(entries.iter().cloned());
            same(&expected, new)
        })
    }

    /// Move the patches of `entries` from `patches:` to `expired:`: `remove_patches`, then
    /// `append_expired_all` (the same text as removing and recording them one by one).
    pub fn expire_patches(&mut self, entries: &[ExpiredEntry]) -> Result<(), EditError> {
        let Some(first) = entries.first() else {
            return Ok(());
        };
        if let Some(format) = self.native {
            // The format has no `expired:` record: the evidence goes in a comment (melange) or
            // in the report only (Debian).
            return self
                .native_edit(|path, text| native::expire_patches(format, path, text, entries));
        }
        // One by one, a new `expired:` list takes the indentation of `patches:` as it is after
        // the first removal.
        let indent = self.list_indent(Some(&first.file));
        let files: Vec<&str> = entries.iter().map(|e| e.file.as_str()).collect();
        self.remove_patches(&files)?;
        self.append_expired_indented(entries, indent)
    }

    /// Drop pins from the bump steps of a melange package file (`keeps`: the lines of the
    /// steps that keep pins in dependency files); the removals that cannot be made in place
    /// come back held, with why. The pins' lines are those of the file as read, so this is the
    /// first edit of the text.
    pub fn remove_pins(
        &mut self,
        removals: &[crate::native::melange::pins::PinRemoval],
        keeps: &std::collections::BTreeSet<usize>,
    ) -> Result<Vec<crate::native::melange::pins::HeldRemoval>, EditError> {
        if removals.is_empty() {
            return Ok(Vec::new());
        }
        let Some(format) = self.native else {
            return Err(self.edit_error("only a melange package file has bump pins".into()));
        };
        if self.is_changed() {
            return Err(self.edit_error(
                "pins are removed before any other edit of the file (their lines are the file's as read)"
                    .into(),
            ));
        }
        let edit = native::remove_pins(format, &self.path, &self.text, removals, keeps).map_err(
            |error| EditError::Edit {
                path: self.path.clone(),
                message: error.to_string(),
            },
        )?;
        self.text = edit.text;
        Ok(edit.held)
    }

    /// The text with a new `expired:` key at the end holding `entry`.
    fn expired_key_with(&self, entry: &ExpiredEntry, indent: usize) -> String {
        let indent = " ".repeat(indent);
        let mut text = self.text.clone();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str("expired:\n");
        text.push_str(&format!(
            "{indent}- file: {}\n",
            super::write::scalar(&entry.file)
        ));
        for (key, value) in expired_fields(entry) {
            text.push_str(&format!("{indent}  {key}: {value}\n"));
        }
        text
    }

    /// The indentation of the `- ` of the `patches:` entries, `without` the entry of that file
    /// (2 when there are none).
    fn list_indent(&self, without: Option<&str>) -> usize {
        let Ok(manifest) = self.manifest() else {
            return 2;
        };
        manifest
            .patches
            .iter()
            .find(|entry| Some(entry.file.as_str()) != without)
            .and_then(|entry| self.text.lines().nth(entry.line.saturating_sub(1)))
            .filter(|line| line.trim_start().starts_with('-'))
            .map_or(2, |line| line.len() - line.trim_start().len())
    }

    /// Write the edited text to the manifest of `package` (a one-file [`ChangeSet`]).
    pub fn commit(self, package: &Package, command: &str) -> Result<(), EditError> {
        if !self.is_changed() {
            return Ok(());
        }
        let mut changes = ChangeSet::new(package, command);
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
        text: &str,
        edit: impl FnOnce(&Mapping) -> Result<(), &'static str>,
    ) -> Result<String, EditError> {
        let document = Document::from_str(text)
            .map_err(|e| self.edit_error(format!("cannot parse the YAML: {e}")))?;
        let root = document
            .as_mapping()
            .ok_or_else(|| self.edit_error("the document is not a mapping".into()))?;
        edit(&root).map_err(|message| self.edit_error(message.into()))?;
        let mut out = document.to_string();
        if text.ends_with('\n') && !out.ends_with('\n') {
            out.push('\n');
        }
        Ok(out)
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

    /// Run a native editor on the text; its error leaves the text as it was.
    fn native_edit(
        &mut self,
        edit: impl FnOnce(&Path, &str) -> Result<String, native::NativeEditError>,
    ) -> Result<(), EditError> {
        let text = edit(&self.path, &self.text).map_err(|error| EditError::Edit {
            path: self.path.clone(),
            message: error.to_string(),
        })?;
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

/// The fields of an `expired:` entry after `file`, as the text edit writes them.
fn expired_fields(entry: &ExpiredEntry) -> Vec<(&'static str, String)> {
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
    fields
}

/// An `expired:` entry as a yaml-edit mapping, styled as the text edit writes it.
fn expired_item(entry: &ExpiredEntry) -> Mapping {
    let item = Mapping::new();
    item.set("file", styled(&entry.file, Style::Plain));
    item.set("release", styled(&entry.release, Style::Double));
    item.set("reason", styled(&entry.reason, Style::Plain));
    if let Some(evidence) = &entry.evidence {
        item.set("evidence", styled(evidence, Style::Plain));
    }
    if let Some((_, date)) = expired_fields(entry)
        .into_iter()
        .find(|(key, _)| *key == "date")
    {
        if date.starts_with('"') {
            item.set(
                "date",
                styled(&entry.date.clone().unwrap_or_default(), Style::Double),
            );
        } else {
            item.set("date", ScalarValue::plain(date.as_str()));
        }
    }
    item
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
    let mut lines = LineList::new(text);
    lines.remove_entry(line.checked_sub(1)?, last)?;
    Some(lines.text())
}

/// The lines of a text as a doubly linked list: entries are removed by their original line
/// numbers, one after another, each looking only at its own lines and its neighbours, so a
/// batch of removals costs one pass over the text.
struct LineList<'a> {
    lines: Vec<std::borrow::Cow<'a, str>>,
    /// Links of each line; index `lines.len()` is the sentinel before the first line and after
    /// the last.
    prev: Vec<usize>,
    next: Vec<usize>,
    alive: Vec<bool>,
}

impl<'a> LineList<'a> {
    fn new(text: &'a str) -> LineList<'a> {
        let lines: Vec<std::borrow::Cow<'a, str>> =
            text.split_inclusive('\n').map(Into::into).collect();
        let count = lines.len();
        // Node `count` is the sentinel: next of it is the first line, prev of it the last.
        let prev = (0..=count)
            .map(|i| if i == 0 { count } else { i - 1 })
            .collect();
        let next = (0..=count)
            .map(|i| if i == count { 0 } else { i + 1 })
            .collect();
        LineList {
            lines,
            prev,
            next,
            alive: vec![true; count],
        }
    }

    fn end(&self) -> usize {
        self.lines.len()
    }

    fn text(&self) -> String {
        let mut out = String::new();
        let mut at = self.next[self.end()];
        while at != self.end() {
            out.push_str(&self.lines[at]);
            at = self.next[at];
        }
        out
    }

    fn line(&self, at: usize) -> &str {
        &self.lines[at]
    }

    /// Remove the block entry whose first line is line `start` (0-based, as numbered in the
    /// original text), as [`remove_block_entry`] describes; `None` (nothing changed) when it
    /// is not a block entry.
    fn remove_entry(&mut self, start: usize, last: bool) -> Option<()> {
        if !self.alive.get(start).copied().unwrap_or(false) {
            return None;
        }
        let end_mark = self.end();
        let indent = |l: &str| l.len() - l.trim_start().len();
        let blank = |l: &str| l.trim().is_empty();
        let comment = |l: &str| l.trim_start().starts_with('#');
        let first = self.line(start);
        let dash = indent(first);
        if !first.trim_start().starts_with("- ") && first.trim() != "-" {
            return None;
        }
        // The entry runs until a line at the dash's indentation or less (blank and comment
        // lines at its end belong to what follows).
        let mut end = self.next[start];
        while end != end_mark && (blank(self.line(end)) || indent(self.line(end)) > dash) {
            end = self.next[end];
        }
        while self.prev[end] != start
            && (blank(self.line(self.prev[end])) || comment(self.line(self.prev[end])))
        {
            end = self.prev[end];
        }
        let mut begin = start;
        while self.prev[begin] != end_mark
            && comment(self.line(self.prev[begin]))
            && indent(self.line(self.prev[begin])) == dash
        {
            begin = self.prev[begin];
        }
        // Avoid a doubled blank line where an entry between two blank lines goes.
        if self.prev[begin] != end_mark
            && blank(self.line(self.prev[begin]))
            && end != end_mark
            && blank(self.line(end))
        {
            end = self.next[end];
        }
        if last {
            // The key line that owns the list: the nearest line above at a lower indentation.
            let above = |test: &dyn Fn(&str) -> bool| {
                let mut at = self.prev[begin];
                while at != end_mark {
                    if test(self.line(at)) {
                        return Some(at);
                    }
                    at = self.prev[at];
                }
                None
            };
            let key = above(&|l| !blank(l) && !comment(l) && indent(l) < dash.max(1))
                .or_else(|| above(&|l| l.trim_start().starts_with("patches:")))?;
            let (head, tail) = self.line(key).split_once(':')?;
            if !tail.trim_start().is_empty() && !tail.trim_start().starts_with('#') {
                return None;
            }
            let newline = if tail.ends_with('\n') { "\n" } else { "" };
            let rest = tail.trim_end_matches('\n');
            self.lines[key] = format!("{head}: []{rest}{newline}").into();
            // Comment lines that were inside the now empty list stay, after the key.
        }
        // Unlink [begin, end).
        let before = self.prev[begin];
        let mut at = begin;
        while at != end {
            self.alive[at] = false;
            at = self.next[at];
        }
        self.next[before] = end;
        self.prev[end] = before;
        Some(())
    }
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

/// Files of one package folder to write and remove together, all or nothing, journaled (see
/// the module comment).
#[derive(Debug, Clone)]
pub struct ChangeSet {
    /// The package folder: every path is inside it, and no link below it is followed.
    dir: PathBuf,
    journal: JournalPlace,
    /// The command making the edit, named by a recovery.
    command: String,
    changes: Vec<Change>,
}

impl ChangeSet {
    /// An empty change set for the files of `package`, made by `command` (`expire`, …).
    pub fn new(package: &Package, command: &str) -> ChangeSet {
        ChangeSet {
            dir: package
                .native()
                .map_or_else(|| package.dir.clone(), |native| native.edit_folder()),
            journal: package.journal_place(),
            command: command.to_string(),
            changes: Vec::new(),
        }
    }

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

    /// The planned change of `path`, to adjust it before the commit.
    pub fn change_mut(&mut self, path: &Path) -> Option<&mut Change> {
        self.changes.iter_mut().find(|change| change.path == path)
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

    /// Make every change, or none (see the module comment for the steps, the journal and what
    /// the next command does after a kill).
    pub fn commit(self) -> Result<(), EditError> {
        if self.changes.is_empty() {
            return Ok(());
        }
        // Every path stays in the package folder, through no link, and nothing may have
        // changed since the plan was made.
        let mut relative = Vec::with_capacity(self.changes.len());
        for change in &self.changes {
            confined::check(&self.dir, &change.path)?;
            let current = confined::read_if_exists(&self.dir, &change.path).map_err(|source| {
                EditError::Read {
                    path: change.path.clone(),
                    source,
                }
            })?;
            if current != change.old {
                return Err(EditError::Changed {
                    path: change.path.clone(),
                });
            }
            let name = confined::relative_to(&self.dir, &change.path)?;
            let Some(name) = name.to_str() else {
                return Err(EditError::Edit {
                    path: change.path.clone(),
                    message: "the file name is not UTF-8".into(),
                });
            };
            relative.push(Planned {
                file: name.to_string(),
                old: change.old.as_deref(),
                new: change.new.as_deref(),
            });
        }
        // The journal names every temporary and backup before any of them exists.
        let mut journal = Journal::begin(&self.journal, &self.command, &relative)?;
        drop(relative);
        let entries = journal.entries().to_vec();
        let dir = journal.dir().to_path_buf();
        // Step 1: stage every new content beside its target.
        for (change, entry) in self.changes.iter().zip(&entries) {
            if let (Some(bytes), Some(staged)) = (&change.new, &entry.staged) {
                if let Err(source) = stage(&dir.join(staged), &change.path, bytes) {
                    return Err(undo(journal, &change.path, source));
                }
                journal::step();
            }
        }
        // Step 2: back up and replace, one file at a time.
        for (change, entry) in self.changes.iter().zip(&entries) {
            if let Err(source) = replace(&dir, &change.path, entry) {
                return Err(undo(journal, &change.path, source));
            }
        }
        // Step 3: make the renames durable, then pass the commit point.
        journal.sync_folders();
        journal::step();
        if let Err(error) = journal.mark_committed() {
            let path = journal.path();
            return Err(undo(journal, &path, std::io::Error::other(error)));
        }
        // Step 4: drop the backups and the journal. The edit is done; a failure here leaves a
        // committed journal that the next command finishes.
        let _ = journal.finish().map(|()| journal.remove());
        Ok(())
    }
}

/// Write `bytes` to the new file `staged` and fsync it, with the mode of `target` (or the
/// default mode less the umask when `target` is new, as any editor would create it).
fn stage(staged: &Path, target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o666)
        .open(staged)?;
    file.write_all(bytes)?;
    if let Ok(meta) = std::fs::symlink_metadata(target) {
        file.set_permissions(meta.permissions())?;
    }
    file.sync_all()
}

/// Back up `path` (when it exists) to the journal's backup name, then put the staged file in
/// its place or remove it.
fn replace(dir: &Path, path: &Path, entry: &journal::Entry) -> std::io::Result<()> {
    if let Some(backup) = &entry.backup {
        std::fs::hard_link(path, dir.join(backup))?;
        journal::step();
    }
    match &entry.staged {
        Some(staged) => std::fs::rename(dir.join(staged), path)?,
        None => std::fs::remove_file(path)?,
    }
    journal::step();
    Ok(())
}

/// Undo a commit that failed before its commit point.
fn undo(journal: Journal, path: &Path, source: std::io::Error) -> EditError {
    match journal.roll_back() {
        Ok(()) => match journal.remove() {
            Ok(()) => EditError::Write {
                path: path.to_path_buf(),
                source,
            },
            Err(error) => error.into(),
        },
        Err(rollback) => EditError::RollbackFailed {
            path: path.to_path_buf(),
            error: source.to_string(),
            journal: journal.path(),
            source: Box::new(rollback),
        },
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
    fn pinning_adds_the_checksum_or_commit_where_the_format_puts_it() {
        let sum = "0".repeat(63) + "a";
        let mut tarball = edit(
            "upstream:\n  version: \"1\"  # pinned\n  tarball: https://x/{version}.tgz  # the release\n  releases:\n    url: https://x/\npatches: []\n",
        );
        tarball.pin_sha256(&sum.to_ascii_uppercase()).unwrap();
        assert_eq!(
            tarball.text(),
            format!(
                "upstream:\n  version: \"1\"  # pinned\n  tarball: https://x/{{version}}.tgz  # the release\n  sha256: {sum}\n  releases:\n    url: https://x/\npatches: []\n"
            )
        );
        // Set again: the value moves, its line stays.
        let other = "b".repeat(64);
        tarball.pin_sha256(&other).unwrap();
        assert!(
            tarball.text().contains(&format!("  sha256: {other}\n")),
            "{}",
            tarball.text()
        );
        assert!(!tarball.text().contains(&sum));

        let commit = "0123456789abcdef0123456789abcdef01234567";
        let mut git = edit(
            "upstream:\n  version: \"1\"\n  git: https://x.git\n  tag: \"v{version}\"\npatches: []\n",
        );
        git.pin_commit(commit).unwrap();
        assert_eq!(
            git.text(),
            format!(
                "upstream:\n  version: \"1\"\n  git: https://x.git\n  tag: \"v{{version}}\"\n  commit: \"{commit}\"\npatches: []\n"
            )
        );
        let mut untagged = edit("upstream:\n  version: \"1\"\n  git: https://x.git\npatches: []\n");
        untagged.pin_commit(commit).unwrap();
        assert!(
            untagged
                .text()
                .contains(&format!("  git: https://x.git\n  commit: \"{commit}\"\n"))
        );

        assert!(edit(MANIFEST).pin_sha256(&sum).is_err(), "a dir upstream");
        assert!(edit(MANIFEST).pin_commit(commit).is_err(), "a dir upstream");
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
    fn a_batch_of_expiries_gives_the_text_of_one_by_one() {
        let expired = |file: &str, evidence: Option<&str>| ExpiredEntry {
            file: file.into(),
            release: "1.1".into(),
            reason: "content".into(),
            evidence: evidence.map(Into::into),
            date: Some("2026-11-27".into()),
        };
        let manifests = [
            MANIFEST.to_string(),
            // `expired:` first, with an entry already; entries separated by blank lines and
            // comments; a deeper list indentation.
            "expired:\n    - file: old.patch\n      release: \"0.9\"\n      reason: dropped\nupstream:\n  version: \"1.0\"\n  dir: x\npatches:\n\n    # first\n    - file: 0001-a.patch\n\n    - file: 0002-b.patch\n      reason: B\n    # third\n    - file: 0003-c.patch\n\n    - file: 0004-d.patch\n# end\n".to_string(),
            // No indentation of the list, a trailing comment on `patches:`.
            "upstream:\n  version: \"1.0\"\n  dir: x\npatches:   # the series\n- file: 0001-a.patch\n- file: 0002-b.patch\n  strip: 0\n- file: 0003-c.patch\n- file: 0004-d.patch\n".to_string(),
            // A flow list.
            "upstream:\n  version: \"1.0\"\n  dir: x\npatches: [{file: 0001-a.patch}, {file: 0002-b.patch}, {file: 0003-c.patch}, {file: 0004-d.patch}]\n".to_string(),
        ];
        let batches: [&[&str]; 4] = [
            &["0001-a.patch"],
            &["0003-c.patch", "0001-a.patch"],
            &["0002-b.patch", "0003-c.patch", "0004-d.patch"],
            &[
                "0001-a.patch",
                "0002-b.patch",
                "0003-c.patch",
                "0004-d.patch",
            ],
        ];
        for text in &manifests {
            let files: Vec<String> = edit(text)
                .manifest()
                .unwrap()
                .patches
                .iter()
                .map(|p| p.file.clone())
                .collect();
            for batch in batches {
                if batch.iter().any(|f| !files.iter().any(|g| g == f)) {
                    continue;
                }
                let entries: Vec<ExpiredEntry> = batch
                    .iter()
                    .enumerate()
                    .map(|(i, f)| expired(f, (i % 2 == 0).then_some("in 1.1: `x` # y")))
                    .collect();
                let mut one_by_one = edit(text);
                for entry in &entries {
                    one_by_one.remove_patch(&entry.file).unwrap();
                    one_by_one.append_expired(entry).unwrap();
                }
                let mut all = edit(text);
                all.expire_patches(&entries).unwrap();
                assert_eq!(all.text(), one_by_one.text(), "{text}\n{batch:?}");
                let manifest = all.manifest().unwrap();
                assert_eq!(manifest.patches.len(), files.len() - batch.len());
                assert!(manifest.expired.ends_with(&entries));
            }
        }
        let mut twice = edit(MANIFEST);
        assert!(
            twice
                .remove_patches(&["0001-a.patch", "0001-a.patch"])
                .is_err()
        );
        assert_eq!(twice.text(), MANIFEST);
    }

    /// A workspace in `root` with one package `p`; the package.
    fn package(root: &Path) -> Package {
        std::fs::create_dir_all(root.join("patches/p")).unwrap();
        std::fs::write(
            root.join("patches/p/package.yaml"),
            "upstream:\n  version: \"1\"\n  dir: x\n",
        )
        .unwrap();
        crate::workspace::Workspace::open(root)
            .unwrap()
            .load("p")
            .unwrap()
    }

    /// The names in `dir`, sorted.
    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn commit_writes_all_files() {
        let temp = tempfile::tempdir().unwrap();
        let package = package(temp.path());
        let a = package.dir.join("a");
        let b = package.dir.join("b");
        std::fs::write(&a, "old a").unwrap();
        std::fs::write(&b, "old b").unwrap();
        let mut changes = ChangeSet::new(&package, "test");
        changes.write(&a, Some(b"old a".to_vec()), b"new a".to_vec());
        changes.remove(&b, b"old b".to_vec());
        changes.write(&package.dir.join("c"), None, b"new c".to_vec());
        changes.commit().unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), b"new a");
        assert!(!b.exists());
        assert_eq!(std::fs::read(package.dir.join("c")).unwrap(), b"new c");
        assert_eq!(
            names(&package.dir),
            ["a", "c", "package.yaml"],
            "no temporary or backup file is left"
        );
        assert!(!package.journal_place().is_pending());
    }

    /// Files `a` and `gone` (to be replaced and removed) and `new` (to be created).
    fn three_changes(package: &Package) -> ChangeSet {
        let dir = &package.dir;
        std::fs::write(dir.join("a"), "old a").unwrap();
        std::fs::write(dir.join("gone"), "old gone").unwrap();
        let mut changes = ChangeSet::new(package, "test");
        changes.write(&dir.join("a"), Some(b"old a".to_vec()), b"new a".to_vec());
        changes.remove(&dir.join("gone"), b"old gone".to_vec());
        changes.write(&dir.join("new"), None, b"new".to_vec());
        changes
    }

    /// The journal and the names of `changes`, as `commit` starts them.
    fn begin(changes: &ChangeSet) -> Journal {
        let relative: Vec<_> = changes
            .changes
            .iter()
            .map(|c| Planned {
                file: c.path.file_name().unwrap().to_str().unwrap().to_string(),
                old: c.old.as_deref(),
                new: c.new.as_deref(),
            })
            .collect();
        Journal::begin(&changes.journal, &changes.command, &relative).unwrap()
    }

    /// Stage every change and make the first `replaced` replacements.
    fn run_until(changes: &ChangeSet, journal: &Journal, replaced: usize) {
        let dir = journal.dir().to_path_buf();
        for (change, entry) in changes.changes.iter().zip(journal.entries()) {
            if let (Some(bytes), Some(staged)) = (&change.new, &entry.staged) {
                stage(&dir.join(staged), &change.path, bytes).unwrap();
            }
        }
        for (change, entry) in changes.changes.iter().zip(journal.entries()).take(replaced) {
            replace(&dir, &change.path, entry).unwrap();
        }
    }

    #[test]
    fn a_failure_midway_restores_every_file() {
        for replaced in 0..=3 {
            let temp = tempfile::tempdir().unwrap();
            let package = package(temp.path());
            let changes = three_changes(&package);
            let journal = begin(&changes);
            run_until(&changes, &journal, replaced);
            let error = undo(
                journal,
                &package.dir.join("x"),
                std::io::Error::other("boom"),
            );
            assert!(matches!(error, EditError::Write { .. }), "{error:?}");
            assert_eq!(std::fs::read(package.dir.join("a")).unwrap(), b"old a");
            assert_eq!(
                std::fs::read(package.dir.join("gone")).unwrap(),
                b"old gone"
            );
            assert_eq!(names(&package.dir), ["a", "gone", "package.yaml"]);
            assert!(!package.journal_place().is_pending());
        }
    }

    #[test]
    fn a_killed_commit_is_rolled_back_or_finished_by_the_next_recovery() {
        use crate::workspace::journal::{RecoveryOutcome, recover};
        for replaced in 0..=3 {
            for committed in [false, true] {
                if committed && replaced < 3 {
                    continue;
                }
                let temp = tempfile::tempdir().unwrap();
                let package = package(temp.path());
                let changes = three_changes(&package);
                let mut journal = begin(&changes);
                run_until(&changes, &journal, replaced);
                if committed {
                    journal.mark_committed().unwrap();
                }
                // The process dies: the lock goes, the journal and the files stay.
                drop(journal);
                let place = package.journal_place();
                assert!(place.is_pending());
                let recovery = recover(&place).unwrap().unwrap();
                assert_eq!(recovery.files, 3);
                assert_eq!(recovery.command, "test");
                let dir = &package.dir;
                if committed {
                    assert_eq!(recovery.outcome, RecoveryOutcome::Finished);
                    assert_eq!(names(dir), ["a", "new", "package.yaml"]);
                    assert_eq!(std::fs::read(dir.join("a")).unwrap(), b"new a");
                } else {
                    assert_eq!(recovery.outcome, RecoveryOutcome::RolledBack);
                    assert_eq!(names(dir), ["a", "gone", "package.yaml"]);
                    assert_eq!(std::fs::read(dir.join("a")).unwrap(), b"old a");
                }
                assert!(!place.is_pending());
                assert!(recover(&place).unwrap().is_none());
            }
        }
    }

    #[test]
    fn a_file_edited_after_the_kill_keeps_the_journal() {
        let temp = tempfile::tempdir().unwrap();
        let package = package(temp.path());
        let changes = three_changes(&package);
        let journal = begin(&changes);
        run_until(&changes, &journal, 3);
        drop(journal);
        std::fs::write(package.dir.join("new"), "edited by hand").unwrap();
        let place = package.journal_place();
        let error = crate::workspace::journal::recover(&place).unwrap_err();
        assert!(matches!(error, JournalError::Mismatch { .. }), "{error:?}");
        assert!(place.is_pending(), "the journal stays for the user");
        assert_eq!(
            std::fs::read(package.dir.join("new")).unwrap(),
            b"edited by hand"
        );
    }

    #[test]
    fn a_file_changed_after_planning_is_not_overwritten() {
        let temp = tempfile::tempdir().unwrap();
        let package = package(temp.path());
        let a = package.dir.join("a");
        std::fs::write(&a, "edited meanwhile").unwrap();
        let mut changes = ChangeSet::new(&package, "test");
        changes.write(&a, Some(b"old".to_vec()), b"new".to_vec());
        assert!(matches!(changes.commit(), Err(EditError::Changed { .. })));
        assert_eq!(std::fs::read(&a).unwrap(), b"edited meanwhile");
    }

    #[test]
    fn nothing_is_written_or_removed_through_a_link() {
        let temp = tempfile::tempdir().unwrap();
        let package = package(&temp.path().join("ws"));
        let outside = temp.path().join("outside");
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("fix.patch"), "old").unwrap();
        std::os::unix::fs::symlink(&outside, package.dir.join("ln")).unwrap();
        let mut changes = ChangeSet::new(&package, "test");
        changes.remove(&package.dir.join("ln/fix.patch"), b"old".to_vec());
        assert!(matches!(
            changes.commit(),
            Err(EditError::Confined(ConfinedError::Link { .. }))
        ));
        assert_eq!(std::fs::read(outside.join("fix.patch")).unwrap(), b"old");
    }

    #[test]
    fn new_files_get_the_default_mode_and_replaced_ones_keep_theirs() {
        use std::os::unix::fs::PermissionsExt;
        let temp = tempfile::tempdir().unwrap();
        let package = package(temp.path());
        let kept = package.dir.join("kept");
        std::fs::write(&kept, "old").unwrap();
        std::fs::set_permissions(&kept, std::fs::Permissions::from_mode(0o640)).unwrap();
        let reference = temp.path().join("reference");
        std::fs::write(&reference, "x").unwrap();
        let mut changes = ChangeSet::new(&package, "test");
        changes.write(&kept, Some(b"old".to_vec()), b"new".to_vec());
        changes.write(&package.dir.join("fresh"), None, b"new".to_vec());
        changes.commit().unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode(&kept), 0o640);
        assert_eq!(mode(&package.dir.join("fresh")), mode(&reference));
    }

    #[test]
    fn diff_shows_writes_and_removals() {
        let temp = tempfile::tempdir().unwrap();
        let package = package(temp.path());
        let mut changes = ChangeSet::new(&package, "test");
        changes.write(
            &package.dir.join("package.yaml"),
            Some(b"a\nb\n".to_vec()),
            b"a\nc\n".to_vec(),
        );
        changes.remove(&package.dir.join("x.patch"), b"x\n".to_vec());
        let diff = changes.diff(temp.path());
        assert!(diff.contains("--- a/patches/p/package.yaml\n+++ b/patches/p/package.yaml\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n"), "{diff}");
        assert!(diff.contains("deleted file mode 100644\n--- a/patches/p/x.patch\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n"), "{diff}");
    }
}

//! The `release-notes` detector: does R's own release notes name a CVE the patch fixes?
//!
//! The patch's CVE ids come from the manifest's `cves`, the header (`CVE:` lines, any
//! `CVE-YYYY-NNNN` in the DEP-3 fields or prose, `Bug-CVE`) and the file name. R's notes are
//! the files `ReleaseTree::release_notes` finds (`NEWS`, `ChangeLog`, `CHANGES*`,
//! `RELEASE-NOTES*`, git's `Documentation/RelNotes/`, …). An id named in R's notes and not in
//! the current release's notes **supports** expiry: upstream announced the fix between the two
//! releases. It never proves it (a note can name a CVE to say it does *not* apply, or a
//! partial fix), so it only counts together with content evidence (see `verdict.rs`). An id
//! the current release already names says nothing (`not-found`): the patch may fix a
//! regression of that fix, or the note may be older.

use std::collections::{BTreeMap, HashMap};

use crate::expiry::detector::evidence;
use crate::expiry::detector::upstream_subject::normalise;
use crate::expiry::{Detector, Evidence, EvidenceResult};
use crate::patch::Patch;
use crate::patch::metadata::{cve_ids, read_metadata};
use crate::upstream::release_tree::ReleaseTree;
use crate::workspace::PatchEntry;

const NAME: Detector = Detector::ReleaseNotes;

/// What a release's notes say: the CVE ids they name and the lines long enough to be a
/// commit's subject, each with the first file that has it.
#[derive(Debug, Clone, Default)]
pub struct ReleaseNotes {
    ids: BTreeMap<String, String>,
    /// Each line, a leading list marker dropped and normalised as subjects are
    /// (`upstream_subject::normalise`; shorter lines are left out).
    lines: HashMap<String, String>,
    files: usize,
}

impl ReleaseNotes {
    /// Read the notes of a release tree.
    pub fn read(tree: &ReleaseTree) -> Result<ReleaseNotes, String> {
        let mut notes = ReleaseNotes::default();
        for (path, bytes) in tree.release_notes()? {
            notes.files += 1;
            let text = String::from_utf8_lossy(&bytes);
            for id in cve_ids(&text) {
                notes.ids.entry(id).or_insert_with(|| path.clone());
            }
            for line in text.lines() {
                let line = line.trim_start().trim_start_matches(['-', '*', '+', '•']);
                if let Some(line) = normalise(line) {
                    notes.lines.entry(line).or_insert_with(|| path.clone());
                }
            }
        }
        Ok(notes)
    }

    /// The file that names `id`, if any.
    pub fn naming(&self, id: &str) -> Option<&str> {
        self.ids.get(id).map(String::as_str)
    }

    /// The file with a line that is `subject` (normalised), if any.
    pub fn listing(&self, subject: &str) -> Option<&str> {
        self.lines.get(subject).map(String::as_str)
    }

    /// Whether the release has notes at all.
    pub fn is_empty(&self) -> bool {
        self.files == 0
    }
}

/// R's notes and the current release's, ready to compare; or, for detector `name`, the
/// evidence of why they cannot be: R's notes unreadable (`error`), R without notes or the
/// current release's notes unreadable (`not-applicable`).
pub fn comparable<'n>(
    name: Detector,
    release: &'n Result<ReleaseNotes, String>,
    current: &'n Result<ReleaseNotes, String>,
) -> Result<(&'n ReleaseNotes, &'n ReleaseNotes), Evidence> {
    let release = match release {
        Ok(notes) if notes.is_empty() => {
            return Err(evidence(
                name,
                EvidenceResult::NotApplicable,
                "the release has no notes",
            ));
        }
        Ok(notes) => notes,
        Err(message) => {
            return Err(evidence(
                name,
                EvidenceResult::Error,
                format!("cannot read the release notes: {message}"),
            ));
        }
    };
    match current {
        Ok(current) => Ok((release, current)),
        Err(message) => Err(evidence(
            name,
            EvidenceResult::NotApplicable,
            format!("cannot read the current release's notes to compare: {message}"),
        )),
    }
}

/// The CVE ids a patch is about: manifest, header and file name, upper case, in order.
pub fn patch_cves(entry: &PatchEntry, patches: &[Patch]) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    let mut add = |found: Vec<String>| {
        for id in found {
            let id = id.to_ascii_uppercase();
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    };
    add(entry.cves.clone());
    for patch in patches {
        let metadata = read_metadata(&patch.header);
        add(metadata.cves.clone());
        let mut text = String::new();
        for (_, value) in &metadata.fields {
            text.push_str(value);
            text.push('\n');
        }
        text.push_str(metadata.description.as_deref().unwrap_or_default());
        text.push_str(metadata.subject.as_deref().unwrap_or_default());
        add(cve_ids(&text));
    }
    add(cve_ids(&entry.file.replace('_', " ")));
    ids
}

/// Run the detector on one patch: `release` are R's notes, `current` the current release's.
pub fn detect(
    entry: &PatchEntry,
    patches: &[Patch],
    release: &Result<ReleaseNotes, String>,
    current: &Result<ReleaseNotes, String>,
) -> Evidence {
    let ids = patch_cves(entry, patches);
    if ids.is_empty() {
        return evidence(
            NAME,
            EvidenceResult::NotApplicable,
            "the patch names no CVE",
        );
    }
    let (release, current) = match comparable(NAME, release, current) {
        Ok(pair) => pair,
        Err(unusable) => return unusable,
    };
    let mut new = Vec::new();
    let mut old = Vec::new();
    for id in &ids {
        match (release.naming(id), current.naming(id)) {
            (Some(file), None) => new.push(format!("{id} (`{file}`)")),
            (Some(_), Some(_)) => old.push(id.clone()),
            _ => {}
        }
    }
    if !new.is_empty() {
        evidence(
            NAME,
            EvidenceResult::Supports,
            format!(
                "the release notes name {} and the current release's do not",
                new.join(", ")
            ),
        )
    } else if !old.is_empty() {
        evidence(
            NAME,
            EvidenceResult::NotFound,
            format!(
                "{} is named by the current release's notes already, so it says nothing",
                old.join(", ")
            ),
        )
    } else {
        evidence(
            NAME,
            EvidenceResult::NotFound,
            format!("the release notes do not name {}", ids.join(", ")),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patch::parse_patches;

    #[test]
    fn cves_from_manifest_header_and_name() {
        let patches = parse_patches(
            b"Description: fix CVE-2023-1111\nBug-CVE: cve-2023-2222\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n",
        )
        .unwrap();
        let entry = PatchEntry {
            file: "CVE-2023-3333_CVE-2023-4444.patch".into(),
            reason: None,
            status: None,
            upstream_commit: None,
            upstream_url: None,
            fixed_in: None,
            cves: vec!["CVE-2023-0001".into()],
            added: None,
            strip: 1,
            replaced_dependencies: Vec::new(),
            line: 1,
        };
        assert_eq!(
            patch_cves(&entry, &patches),
            [
                "CVE-2023-0001",
                "CVE-2023-1111",
                "CVE-2023-2222",
                "CVE-2023-3333",
                "CVE-2023-4444"
            ]
        );
    }
}

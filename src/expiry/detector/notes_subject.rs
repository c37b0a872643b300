//! The `notes-subject` detector: do R's own release notes list the patch's subject?
//!
//! Many upstreams ship a `ChangeLog` written from their commit log (GNU's `gitlog-to-changelog`,
//! so tar 1.35's `ChangeLog` has "Fix handling of extended header prefixes", the subject of the
//! commit Debian backported), or a `NEWS` that repeats commit subjects. For a tarball upstream
//! with no history to read, a line of R's notes that is the patch's own subject, and that the
//! current release's notes do not have, is the same kind of evidence `upstream-subject` finds in
//! a history: upstream recorded that change between the two releases. Lines and subjects are
//! compared as `upstream-subject` compares them (case-folded, white space collapsed, a trailing
//! full stop and a leading list marker dropped, at least 4 words and 20 letters), whole line
//! against whole subject. It **supports** expiry and never proves it alone; it corroborates
//! `partial-upstream` and, with no hunk applying, proves `rewritten-upstream` (`verdict.rs`).

use crate::expiry::detector::evidence;
use crate::expiry::detector::release_notes::{ReleaseNotes, comparable};
use crate::expiry::detector::upstream_subject::subject_candidates;
use crate::expiry::{Detector, Evidence, EvidenceResult};
use crate::patch::Patch;

/// The detector's name.
pub const NAME: Detector = Detector::NotesSubject;

/// Run the detector on one patch: `release` are R's notes, `current` the current release's.
pub fn detect(
    patches: &[Patch],
    release: &Result<ReleaseNotes, String>,
    current: &Result<ReleaseNotes, String>,
) -> Evidence {
    let subjects = subject_candidates(patches);
    if subjects.is_empty() {
        return evidence(
            NAME,
            EvidenceResult::NotApplicable,
            "the patch has no subject specific enough to look for",
        );
    }
    let (release, current) = match comparable(NAME, release, current) {
        Ok(pair) => pair,
        Err(unusable) => return unusable,
    };
    // Every mail of the file must be listed (newly), by one of its subject's spellings.
    let mut files = Vec::new();
    for candidates in &subjects {
        let listed = candidates.iter().find_map(|subject| {
            let file = release.listing(subject)?;
            current.listing(subject).is_none().then_some(file)
        });
        match listed {
            Some(file) => files.push(format!("`{file}`")),
            None => {
                let already = candidates.iter().any(|s| current.listing(s).is_some());
                return evidence(
                    NAME,
                    EvidenceResult::NotFound,
                    if already {
                        "the current release's notes already list the patch's subject, so it says nothing"
                    } else {
                        "the release notes do not list the patch's subject"
                    },
                );
            }
        }
    }
    files.dedup();
    evidence(
        NAME,
        EvidenceResult::Supports,
        format!(
            "the release notes list the patch's subject ({}) and the current release's do not",
            files.join(", ")
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patch::parse_patches;
    use crate::upstream::release_tree::ReleaseTree;

    /// The notes of a release whose `ChangeLog` is `text`.
    fn notes(text: &str) -> Result<ReleaseNotes, String> {
        let temp = tempfile::tempdir().unwrap();
        std::fs::write(temp.path().join("ChangeLog"), text).unwrap();
        std::fs::write(
            temp.path().join("main.c"),
            "Fix handling of extended header prefixes\n",
        )
        .unwrap();
        ReleaseNotes::read(&ReleaseTree::in_folder(temp))
    }

    fn patch(header: &str) -> Vec<Patch> {
        parse_patches(format!("{header}\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n").as_bytes())
            .unwrap()
    }

    const CHANGELOG: &str = "2023-07-18  A U Thor  <a@example.org>\n\n\tVersion 1.35\n\n2023-06-01  A U Thor  <a@example.org>\n\n\tFix handling of extended header prefixes.\n\n\t* src/xheader.c (locate_handler): Recognize prefix keywords only\n\twhen followed by a dot.\n";

    #[test]
    fn a_subject_newly_listed_in_the_notes_supports() {
        let mail = patch(
            "From: A <a@example.org>\nSubject: [PATCH] Fix handling of extended header prefixes\n",
        );
        let dep3 = patch("Description: fix handling of extended  header prefixes\n");
        let empty = Ok(ReleaseNotes::default());
        for patches in [&mail, &dep3] {
            let found = detect(patches, &notes(CHANGELOG), &empty);
            assert_eq!(found.result, EvidenceResult::Supports, "{}", found.detail);
            assert!(found.detail.contains("`ChangeLog`"), "{}", found.detail);
        }
        // The current release lists it already: nothing is said.
        let found = detect(&mail, &notes(CHANGELOG), &notes(CHANGELOG));
        assert_eq!(found.result, EvidenceResult::NotFound);
        assert!(found.detail.contains("already"), "{}", found.detail);
    }

    #[test]
    fn only_whole_lines_of_the_notes_count() {
        let empty = Ok(ReleaseNotes::default());
        // A prose line that merely contains the subject, and a source file that has it, do not.
        let prose = "\tThis is a fix handling of extended header prefixes and more.\n";
        let found = detect(
            &patch("Subject: Fix handling of extended header prefixes\n"),
            &notes(prose),
            &empty,
        );
        assert_eq!(found.result, EvidenceResult::NotFound);
        // A list marker is not part of the line; a short subject is never looked for.
        let found = detect(
            &patch("Subject: Fix handling of extended header prefixes\n"),
            &notes("* Fix handling of extended header prefixes\n"),
            &empty,
        );
        assert_eq!(found.result, EvidenceResult::Supports);
        let found = detect(
            &patch("Subject: Fix build\n"),
            &notes("Fix build\n"),
            &empty,
        );
        assert_eq!(found.result, EvidenceResult::NotApplicable);
    }
}

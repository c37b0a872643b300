//! The `upstream-subject` detector: an upstream commit between the current version and R has
//! the patch's own subject line.
//!
//! Backports are often taken from upstream with `git format-patch`, so the patch keeps the
//! commit's subject while its diff is adapted to the older tree (its patch id then differs, and
//! the commit URL may be missing). A commit in that range with the same subject is evidence
//! that R has the change, independent of R's bytes — but only evidence: a subject is a few
//! words, and short or generic ones ("Fix build", "Update translations") repeat. So it
//! **supports** expiry and never proves it; it corroborates the `partial-upstream` rule like
//! `claims` and `release-notes` do (`verdict.rs`). Subjects are compared case-folded, with
//! white space collapsed and a trailing full stop dropped, and count only when they have at
//! least [`MIN_WORDS`] words and [`MIN_LETTERS`] letters.

use std::collections::HashMap;

use crate::expiry::detector::upstream_commit::short;
use crate::expiry::detector::{Context, evidence};
use crate::expiry::history::History;
use crate::expiry::{Detector, Evidence, EvidenceResult};
use crate::git::ObjectId;
use crate::patch::Patch;
use crate::patch::metadata::read_metadata;

const NAME: Detector = Detector::UpstreamSubject;

/// A subject shorter than this many words is too generic to count.
pub const MIN_WORDS: usize = 4;
/// A subject with fewer letters than this is too generic to count.
pub const MIN_LETTERS: usize = 20;

/// Run the detector on one patch (after `patch-id`, which reads the range's commits).
pub fn detect(context: &Context<'_>, patches: &[Patch]) -> Evidence {
    let subjects = subject_candidates(patches);
    if subjects.is_empty() {
        return evidence(
            NAME,
            EvidenceResult::NotApplicable,
            "the patch has no subject specific enough to look for",
        );
    }
    let release_ids = match &context.release_ids {
        Some(Ok(ids)) => ids,
        Some(Err(message)) => return evidence(NAME, EvidenceResult::Error, message.clone()),
        None => {
            return evidence(
                NAME,
                EvidenceResult::NotApplicable,
                "upstream has no git history to look in",
            );
        }
    };
    let found: Vec<&String> = subjects
        .iter()
        .filter_map(|candidates| {
            candidates
                .iter()
                .find_map(|subject| release_ids.subjects.get(subject))
        })
        .collect();
    if found.len() == subjects.len() {
        let commits: Vec<&str> = found.iter().map(|c| short(c)).collect();
        return evidence(
            NAME,
            EvidenceResult::Supports,
            format!(
                "upstream commit {} in {} has the patch's subject",
                commits.join(", "),
                release_ids.tag
            ),
        );
    }
    evidence(
        NAME,
        EvidenceResult::NotFound,
        format!(
            "no commit of the {} read up to {} has the patch's subject",
            release_ids.commits, release_ids.tag
        ),
    )
}

/// Each mail's subject, normalised, in the spellings it may have upstream: as mail folds it
/// and, when continuation lines follow, its first line alone. Mails without a subject specific
/// enough ([`normalise`]) are left out.
pub fn subject_candidates(patches: &[Patch]) -> Vec<Vec<String>> {
    patches
        .iter()
        .map(|patch| {
            let metadata = read_metadata(&patch.header);
            let mut candidates: Vec<String> = Vec::new();
            for subject in [metadata.subject, metadata.subject_line]
                .into_iter()
                .flatten()
            {
                if let Some(subject) = normalise(&subject)
                    && !candidates.contains(&subject)
                {
                    candidates.push(subject);
                }
            }
            candidates
        })
        .filter(|candidates| !candidates.is_empty())
        .collect()
}

/// The subjects of `commits`, normalised, each with the newest commit (the first listed).
pub fn subjects(history: &History, commits: &[ObjectId]) -> HashMap<String, String> {
    let mut subjects = HashMap::new();
    for (id, subject) in history.repository().subjects(commits) {
        if let Some(subject) = normalise(&subject) {
            subjects.entry(subject).or_insert_with(|| id.to_string());
        }
    }
    subjects
}

/// A subject case-folded, white space collapsed, a trailing full stop dropped; `None` when it
/// is too short to tell commits apart.
pub fn normalise(subject: &str) -> Option<String> {
    let words: Vec<&str> = subject.split_whitespace().collect();
    let text = words.join(" ").to_lowercase();
    let text = text.trim_end_matches('.').to_string();
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    (words.len() >= MIN_WORDS && letters >= MIN_LETTERS).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_and_refuses_generic_subjects() {
        assert_eq!(
            normalise("socks: return error if  hostname too long for remote resolve."),
            Some("socks: return error if hostname too long for remote resolve".into())
        );
        assert_eq!(normalise("Fix build"), None);
        assert_eq!(normalise("Update the translations"), None);
        assert_eq!(normalise("a b c d e"), None);
    }
}

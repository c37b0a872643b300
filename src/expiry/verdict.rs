//! Verdicts from evidence (DESIGN.md §3): which combinations expire a patch.
//!
//! A patch is `expired` as soon as one strong detector proves it: `fixed-in` (R satisfies the
//! declared requirement), `upstream-commit` (the declared commit is in R), `patch-id` (an
//! upstream commit between the current version and R makes the identical change) or `content`
//! (every hunk's post-image is in R, and not only trivial ones), then `present-modulo-context`
//! (every hunk in R, some of them only with their context changed: `modulo_context.rs`). The
//! `reason` is the first of them in that order, then the combination rules:
//! `partial-upstream` (some substantive hunks in R, as written or modulo context, none
//! applying, *and* either at least half of the hunks in R or `release-notes`, `claims`,
//! `upstream-subject` or `notes-subject` supporting it: [`partial_upstream`]) and
//! `rewritten-upstream` (the patch's subject recorded upstream and no hunk applying:
//! [`rewritten_upstream`]); why these, in `docs/expiry.md`. Otherwise the content decides,
//! counting hunks present modulo context as present: `partial` (some hunks in R, the rest
//! apply), `needed` (every hunk applies) or `conflict` (some hunk neither applies nor is in R).
//! When the content could not be judged and nothing proves expiry, the verdict is `unknown`: a
//! weak signal (`supports`) alone never expires a patch.

use super::detector::content::Outcome;
use super::{Evidence, EvidenceResult, Verdict};

/// The detectors whose `supports` corroborates a partly present patch: independent of the
/// content (they read the release notes, the patch's header and upstream's commit subjects,
/// not the hunks).
const CORROBORATING: [&str; 4] = [
    "release-notes",
    "claims",
    "upstream-subject",
    "notes-subject",
];

/// The detectors whose `supports` says upstream recorded a change of the patch's own subject
/// between the current release and R: in its history, or in R's release notes.
const SUBJECT: [&str; 2] = ["upstream-subject", "notes-subject"];

/// The name of the combination rule's evidence.
pub const PARTIAL_UPSTREAM: &str = "partial-upstream";

/// The `partial-upstream` evidence: the combination rule for a patch whose content is partly
/// in R with nothing applying ([`Outcome::PartlyPresent`]). It **proves** expiry when an
/// independent detector supports it too, or when at least half of the hunks are in R (as
/// written or modulo context); with fewer and nothing corroborating it only **supports** it
/// (the verdict stays `conflict`). It is `not-applicable` for any other content outcome.
pub fn partial_upstream(
    evidence: &[Evidence],
    content: Outcome,
    content_detail: &str,
    hunks: &[super::HunkReport],
) -> Evidence {
    if content != Outcome::PartlyPresent {
        return crate::expiry::detector::evidence(
            PARTIAL_UPSTREAM,
            EvidenceResult::NotApplicable,
            "no hunk-level sign that upstream has part of the patch with nothing applying",
        );
    }
    let corroborating: Vec<&Evidence> = evidence
        .iter()
        .filter(|e| {
            e.result == EvidenceResult::Supports && CORROBORATING.contains(&e.detector.as_str())
        })
        .collect();
    if corroborating.is_empty() {
        let present = hunks
            .iter()
            .filter(|h| h.state == super::HunkState::Present || h.modulo_context)
            .count();
        if 2 * present >= hunks.len() {
            return crate::expiry::detector::evidence(
                PARTIAL_UPSTREAM,
                EvidenceResult::Proves,
                format!(
                    "{content_detail}; with at least half of its hunks in R and none applying, the patch is upstream"
                ),
            );
        }
        return crate::expiry::detector::evidence(
            PARTIAL_UPSTREAM,
            EvidenceResult::Supports,
            format!(
                "{content_detail}; likely expired, but fewer than half of the hunks are in R and nothing corroborates it"
            ),
        );
    }
    let names: Vec<&str> = corroborating.iter().map(|e| e.detector.as_str()).collect();
    crate::expiry::detector::evidence(
        PARTIAL_UPSTREAM,
        EvidenceResult::Proves,
        format!("{content_detail}; corroborated by {}", names.join(" and ")),
    )
}

/// The name of the second combination rule's evidence.
pub const REWRITTEN_UPSTREAM: &str = "rewritten-upstream";

/// The `rewritten-upstream` evidence: an upstream commit between the current version and R has
/// the patch's own (specific) subject (`upstream-subject` supports), or R's release notes newly
/// list that subject (`notes-subject`), and not one of the patch's hunks applies to R — every
/// pre-image is gone, as when upstream took the change and the code around it moved on. It
/// **proves** expiry then: two independent kinds of evidence, upstream's record naming the
/// change and R's bytes no longer holding what the patch changes. With any hunk still applying it is `not-applicable` (the change may not be in R in
/// that form), as without the subject match.
pub fn rewritten_upstream(evidence: &[Evidence], hunks: &[super::HunkReport]) -> Evidence {
    let subject = evidence
        .iter()
        .find(|e| SUBJECT.contains(&e.detector.as_str()) && e.result == EvidenceResult::Supports);
    let none_applies =
        !hunks.is_empty() && hunks.iter().all(|h| h.state != super::HunkState::Applied);
    match subject {
        Some(subject) if none_applies => crate::expiry::detector::evidence(
            REWRITTEN_UPSTREAM,
            EvidenceResult::Proves,
            format!(
                "{}, and none of the patch's {} hunks applies to R",
                subject.detail,
                hunks.len()
            ),
        ),
        _ => crate::expiry::detector::evidence(
            REWRITTEN_UPSTREAM,
            EvidenceResult::NotApplicable,
            "no upstream commit with the patch's subject, or some hunk still applies",
        ),
    }
}

/// The verdict and, for an expired patch, the detector that proves it.
pub fn decide(evidence: &[Evidence], content: Outcome) -> (Verdict, Option<String>) {
    if let Some(proof) = evidence.iter().find(|e| e.result == EvidenceResult::Proves) {
        return (Verdict::Expired, Some(proof.detector.clone()));
    }
    let verdict = match content {
        Outcome::AllPresent => Verdict::Expired,
        Outcome::Partial => Verdict::Partial,
        Outcome::AllApplied => Verdict::Needed,
        Outcome::Conflict | Outcome::PartlyPresent => Verdict::Conflict,
        Outcome::Nothing | Outcome::Error => Verdict::Unknown,
    };
    (verdict, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expiry::detector::evidence;

    #[test]
    fn first_proof_in_order_is_the_reason() {
        let found = [
            evidence("fixed-in", EvidenceResult::Refutes, ""),
            evidence("upstream-commit", EvidenceResult::NotFound, ""),
            evidence("patch-id", EvidenceResult::Proves, ""),
            evidence("content", EvidenceResult::Proves, ""),
        ];
        assert_eq!(
            decide(&found, Outcome::AllPresent),
            (Verdict::Expired, Some("patch-id".into()))
        );
    }

    #[test]
    fn rewritten_upstream_needs_the_subject_and_no_applying_hunk() {
        use crate::expiry::{HunkReport, HunkState};
        let hunk = |state| HunkReport {
            file: "a.c".into(),
            index: 1,
            state,
            modulo_context: false,
            found_in: None,
        };
        let subject = [evidence(
            "upstream-subject",
            EvidenceResult::Supports,
            "commit",
        )];
        let other = [evidence("claims", EvidenceResult::Supports, "")];
        let gone = [hunk(HunkState::Absent), hunk(HunkState::Present)];
        let applying = [hunk(HunkState::Absent), hunk(HunkState::Applied)];
        assert_eq!(
            rewritten_upstream(&subject, &gone).result,
            EvidenceResult::Proves
        );
        let listed = [evidence("notes-subject", EvidenceResult::Supports, "")];
        assert_eq!(
            rewritten_upstream(&listed, &gone).result,
            EvidenceResult::Proves
        );
        for (found, hunks) in [
            (&subject[..], &applying[..]),
            (&other, &gone),
            (&subject, &[]),
        ] {
            assert_eq!(
                rewritten_upstream(found, hunks).result,
                EvidenceResult::NotApplicable
            );
        }
    }

    #[test]
    fn partly_present_proves_alone_from_half_the_hunks() {
        use crate::expiry::{HunkReport, HunkState};
        let hunk = |state, modulo_context| HunkReport {
            file: "a.c".into(),
            index: 1,
            state,
            modulo_context,
            found_in: None,
        };
        let half = [
            hunk(HunkState::Present, false),
            hunk(HunkState::Absent, false),
        ];
        let loose_half = [
            hunk(HunkState::Absent, true),
            hunk(HunkState::Absent, false),
        ];
        let third = [
            hunk(HunkState::Present, false),
            hunk(HunkState::Absent, false),
            hunk(HunkState::Absent, false),
        ];
        let judge = |hunks: &[HunkReport], found: &[Evidence]| {
            partial_upstream(found, Outcome::PartlyPresent, "d", hunks).result
        };
        assert_eq!(judge(&half, &[]), EvidenceResult::Proves);
        assert_eq!(judge(&loose_half, &[]), EvidenceResult::Proves);
        assert_eq!(judge(&third, &[]), EvidenceResult::Supports);
        let claim = [evidence("claims", EvidenceResult::Supports, "")];
        assert_eq!(judge(&third, &claim), EvidenceResult::Proves);
        assert_eq!(
            partial_upstream(&claim, Outcome::Conflict, "d", &half).result,
            EvidenceResult::NotApplicable
        );
    }

    #[test]
    fn content_decides_without_proof() {
        let found = [evidence("patch-id", EvidenceResult::Supports, "")];
        assert_eq!(decide(&found, Outcome::Partial).0, Verdict::Partial);
        assert_eq!(decide(&found, Outcome::AllApplied).0, Verdict::Needed);
        assert_eq!(decide(&found, Outcome::Conflict).0, Verdict::Conflict);
        assert_eq!(decide(&found, Outcome::Error).0, Verdict::Unknown);
    }
}

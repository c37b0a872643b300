//! Verdicts from evidence (DESIGN.md §3): which combinations expire a patch.
//!
//! A patch is `expired` as soon as one strong detector proves it: `fixed-in` (R satisfies the
//! declared requirement), `upstream-commit` (the declared commit is in R), `patch-id` (an
//! upstream commit between the current version and R makes the identical change) or `content`
//! (every hunk's post-image is in R, and not only trivial ones). The `reason` is the first of
//! them in that order. Otherwise the content decides: `partial` (some hunks in R, the rest
//! apply), `needed` (every hunk applies) or `conflict` (some hunk neither applies nor is in
//! R). When the content could not be judged and nothing proves expiry, the verdict is
//! `unknown`: a weak signal (`supports`) alone never expires a patch.

use super::detector::content::Outcome;
use super::{Evidence, EvidenceResult, Verdict};

/// The verdict and, for an expired patch, the detector that proves it.
pub fn decide(evidence: &[Evidence], content: Outcome) -> (Verdict, Option<String>) {
    if let Some(proof) = evidence.iter().find(|e| e.result == EvidenceResult::Proves) {
        return (Verdict::Expired, Some(proof.detector.clone()));
    }
    let verdict = match content {
        Outcome::AllPresent => Verdict::Expired,
        Outcome::Partial => Verdict::Partial,
        Outcome::AllApplied => Verdict::Needed,
        Outcome::Conflict => Verdict::Conflict,
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
    fn content_decides_without_proof() {
        let found = [evidence("patch-id", EvidenceResult::Supports, "")];
        assert_eq!(decide(&found, Outcome::Partial).0, Verdict::Partial);
        assert_eq!(decide(&found, Outcome::AllApplied).0, Verdict::Needed);
        assert_eq!(decide(&found, Outcome::Conflict).0, Verdict::Conflict);
        assert_eq!(decide(&found, Outcome::Error).0, Verdict::Unknown);
    }
}

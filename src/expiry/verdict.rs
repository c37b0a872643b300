//! Verdicts from evidence (DESIGN.md §3): which combinations expire a patch.
//!
//! A patch is `expired` as soon as one strong detector proves it: `fixed-in` (R satisfies the
//! declared requirement), `upstream-commit` (the declared commit is in R), `patch-id` (an
//! upstream commit between the current version and R makes the identical change) or `content`
//! (every hunk's post-image is in R, and not only trivial ones), then `present-modulo-context`
//! (every hunk in R, some of them only with their context changed: `modulo_context.rs`), then
//! `dependency-superseded` (R's manifests declare every dependency the patch raises at that
//! version or newer: `dependency_superseded.rs`). The
//! `reason` is the first of them in [`Detector`] order, then the combination rules:
//! `partial-upstream` (some substantive hunks in R, as written or modulo context, none
//! applying, *and* either at least half of the hunks in R or `release-notes`, `claims`,
//! `upstream-subject` or `notes-subject` supporting it: [`partial_upstream`]) and
//! `rewritten-upstream` (the patch's subject recorded upstream and no hunk applying:
//! [`rewritten_upstream`]); why these, in `docs/expiry.md`. Otherwise the content decides,
//! counting hunks present modulo context as present: `partial` (some hunks in R, the rest
//! apply), `needed` (every hunk applies) or `conflict` (some hunk neither applies nor is in R).
//! When the content could not be judged and nothing proves expiry, the verdict is `unknown`: a
//! weak signal (`supports`) alone never expires a patch. One exception to the content's say: a
//! dependency patch of which R declares some raises and not others (`dependency-superseded`
//! `supports`) is `partial`, and `expire` shrinks it (`detector/dependency_superseded.rs`).

use super::detector::content::{Content, Outcome};
use super::detector::evidence;
use super::{Detector, Evidence, EvidenceResult, HunkReport, HunkState, Verdict};

/// The evidence of the independent detectors for one patch, a field each: the combination
/// rules read them by name.
#[derive(Debug, Clone)]
pub struct Findings {
    pub fixed_in: Evidence,
    pub upstream_commit: Evidence,
    pub patch_id: Evidence,
    /// The `content` evidence, and with it `present-modulo-context` (one judging, `content.rs`).
    pub content: Evidence,
    pub modulo_context: Evidence,
    /// Versions in R's manifests (`dependency_superseded.rs`): `supports` when R has some of
    /// the dependencies the patch raises, which makes the verdict `partial`.
    pub dependency_superseded: Evidence,
    pub release_notes: Evidence,
    pub claims: Evidence,
    pub upstream_subject: Evidence,
    pub notes_subject: Evidence,
}

impl Findings {
    /// Every finding, in [`Detector`] order.
    fn all(&self) -> [&Evidence; 10] {
        [
            &self.fixed_in,
            &self.upstream_commit,
            &self.patch_id,
            &self.content,
            &self.modulo_context,
            &self.dependency_superseded,
            &self.release_notes,
            &self.claims,
            &self.upstream_subject,
            &self.notes_subject,
        ]
    }

    /// The findings whose `supports` corroborates a partly present patch: independent of the
    /// content (they read the release notes, the patch's header and upstream's commit
    /// subjects, not the hunks).
    fn corroborating(&self) -> [&Evidence; 4] {
        [
            &self.release_notes,
            &self.claims,
            &self.upstream_subject,
            &self.notes_subject,
        ]
    }

    /// The findings whose `supports` says upstream recorded a change of the patch's own subject
    /// between the current release and R: in its history, or in R's release notes.
    fn subject(&self) -> [&Evidence; 2] {
        [&self.upstream_subject, &self.notes_subject]
    }

    /// The same findings with `content`'s two pieces of evidence from another judging (the
    /// series applied in order).
    pub fn with_content(&self, content: &Content) -> Findings {
        Findings {
            content: content.evidence.clone(),
            modulo_context: content.modulo_context.clone(),
            ..self.clone()
        }
    }
}

/// What the evidence decides for one patch.
#[derive(Debug, Clone)]
pub struct Judgement {
    /// Every finding and the combination rules' evidence, in [`Detector`] order.
    pub evidence: Vec<Evidence>,
    pub verdict: Verdict,
    /// For an expired patch, the detector that proves it.
    pub reason: Option<Detector>,
}

/// Judge one patch: the combination rules over `findings` and `content` (the hunks as judged
/// with the same tree), then the verdict.
pub fn judge(findings: &Findings, content: &Content) -> Judgement {
    let mut evidence: Vec<Evidence> = findings.all().into_iter().cloned().collect();
    for rule in [
        partial_upstream(
            findings,
            content.loose_outcome,
            &partly_detail(content),
            &content.hunks,
        ),
        rewritten_upstream(findings, &content.hunks),
    ] {
        evidence.push(unless_dependencies_older(
            rule,
            &findings.dependency_superseded,
        ));
    }
    let (verdict, reason) = decide(&evidence, content.loose_outcome);
    Judgement {
        evidence,
        verdict,
        reason,
    }
}

/// A combination rule's proof, kept only when R's manifests do not say otherwise: the rules
/// infer from the shape of the hunks that upstream took the change, and for a dependency patch
/// R's declared versions are the direct evidence. When `dependency-superseded` found some of
/// the patch's dependencies older in R (`supports`: partial, `refutes`: none upstream), a
/// `proves` becomes `supports`.
fn unless_dependencies_older(rule: Evidence, dependencies: &Evidence) -> Evidence {
    let older = matches!(
        dependencies.result,
        EvidenceResult::Supports | EvidenceResult::Refutes
    );
    if rule.result != EvidenceResult::Proves || !older {
        return rule;
    }
    evidence(
        rule.detector,
        EvidenceResult::Supports,
        format!(
            "{}; but R declares some of the patch's dependencies at older versions ({})",
            rule.detail,
            Detector::DependencySuperseded
        ),
    )
}

/// What the `partial-upstream` rule quotes: the content's detail, or the looser match's when
/// that is what made the patch partly present.
fn partly_detail(content: &Content) -> String {
    if content.outcome == content.loose_outcome {
        content.evidence.detail.clone()
    } else {
        content.modulo_context.detail.clone()
    }
}

/// The `partial-upstream` evidence: the combination rule for a patch whose content is partly
/// in R with nothing applying ([`Outcome::PartlyPresent`]). It **proves** expiry when an
/// independent detector supports it too, or when at least half of the hunks are in R (as
/// written or modulo context); with fewer and nothing corroborating it only **supports** it
/// (the verdict stays `conflict`). It is `not-applicable` for any other content outcome.
pub fn partial_upstream(
    findings: &Findings,
    content: Outcome,
    content_detail: &str,
    hunks: &[HunkReport],
) -> Evidence {
    const NAME: Detector = Detector::PartialUpstream;
    if content != Outcome::PartlyPresent {
        return evidence(
            NAME,
            EvidenceResult::NotApplicable,
            "no hunk-level sign that upstream has part of the patch with nothing applying",
        );
    }
    let corroborating: Vec<&Evidence> = findings
        .corroborating()
        .into_iter()
        .filter(|e| e.result == EvidenceResult::Supports)
        .collect();
    if corroborating.is_empty() {
        let present = hunks
            .iter()
            .filter(|h| h.state == HunkState::Present || h.modulo_context)
            .count();
        if 2 * present >= hunks.len() {
            return evidence(
                NAME,
                EvidenceResult::Proves,
                format!(
                    "{content_detail}; with at least half of its hunks in R and none applying, the patch is upstream"
                ),
            );
        }
        return evidence(
            NAME,
            EvidenceResult::Supports,
            format!(
                "{content_detail}; likely expired, but fewer than half of the hunks are in R and nothing corroborates it"
            ),
        );
    }
    let names: Vec<&str> = corroborating.iter().map(|e| e.detector.as_str()).collect();
    evidence(
        NAME,
        EvidenceResult::Proves,
        format!("{content_detail}; corroborated by {}", names.join(" and ")),
    )
}

/// The `rewritten-upstream` evidence: an upstream commit between the current version and R has
/// the patch's own (specific) subject (`upstream-subject` supports), or R's release notes newly
/// list that subject (`notes-subject`), and not one of the patch's hunks applies to R — every
/// pre-image is gone, as when upstream took the change and the code around it moved on. It
/// **proves** expiry then: two independent kinds of evidence, upstream's record naming the
/// change and R's bytes no longer holding what the patch changes. With any hunk still applying
/// it is `not-applicable` (the change may not be in R in that form), as without the subject
/// match.
pub fn rewritten_upstream(findings: &Findings, hunks: &[HunkReport]) -> Evidence {
    const NAME: Detector = Detector::RewrittenUpstream;
    let subject = findings
        .subject()
        .into_iter()
        .find(|e| e.result == EvidenceResult::Supports);
    let none_applies = !hunks.is_empty() && hunks.iter().all(|h| h.state != HunkState::Applied);
    match subject {
        Some(subject) if none_applies => evidence(
            NAME,
            EvidenceResult::Proves,
            format!(
                "{}, and none of the patch's {} hunks applies to R",
                subject.detail,
                hunks.len()
            ),
        ),
        _ => evidence(
            NAME,
            EvidenceResult::NotApplicable,
            "no upstream commit with the patch's subject, or some hunk still applies",
        ),
    }
}

/// The verdict and, for an expired patch, the detector that proves it: the first in
/// [`Detector`] order.
pub fn decide(evidence: &[Evidence], content: Outcome) -> (Verdict, Option<Detector>) {
    if let Some(proof) = evidence
        .iter()
        .filter(|e| e.result == EvidenceResult::Proves)
        .min_by_key(|e| e.detector)
    {
        return (Verdict::Expired, Some(proof.detector));
    }
    // A dependency patch of which R has some raises and not the others is partial whatever
    // its hunks say: R's manifests changed around them, so they rarely apply as written.
    let dependencies_in_part = evidence.iter().any(|e| {
        e.detector == Detector::DependencySuperseded && e.result == EvidenceResult::Supports
    });
    let verdict = match content {
        Outcome::AllPresent => Verdict::Expired,
        _ if dependencies_in_part => Verdict::Partial,
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

    /// Findings where nothing applies but `found`, each in its detector's field.
    fn findings(found: &[Evidence]) -> Findings {
        let none = |detector| evidence(detector, EvidenceResult::NotApplicable, "");
        let mut findings = Findings {
            fixed_in: none(Detector::FixedIn),
            upstream_commit: none(Detector::UpstreamCommit),
            patch_id: none(Detector::PatchId),
            content: none(Detector::Content),
            modulo_context: none(Detector::PresentModuloContext),
            dependency_superseded: none(Detector::DependencySuperseded),
            release_notes: none(Detector::ReleaseNotes),
            claims: none(Detector::Claims),
            upstream_subject: none(Detector::UpstreamSubject),
            notes_subject: none(Detector::NotesSubject),
        };
        for e in found {
            let field = match e.detector {
                Detector::FixedIn => &mut findings.fixed_in,
                Detector::UpstreamCommit => &mut findings.upstream_commit,
                Detector::PatchId => &mut findings.patch_id,
                Detector::Content => &mut findings.content,
                Detector::PresentModuloContext => &mut findings.modulo_context,
                Detector::DependencySuperseded => &mut findings.dependency_superseded,
                Detector::ReleaseNotes => &mut findings.release_notes,
                Detector::Claims => &mut findings.claims,
                Detector::UpstreamSubject => &mut findings.upstream_subject,
                Detector::NotesSubject => &mut findings.notes_subject,
                other => panic!("{other} is not an independent detector"),
            };
            *field = e.clone();
        }
        findings
    }

    #[test]
    fn first_proof_in_detector_order_is_the_reason() {
        let found = [
            evidence(Detector::Content, EvidenceResult::Proves, ""),
            evidence(Detector::FixedIn, EvidenceResult::Refutes, ""),
            evidence(Detector::UpstreamCommit, EvidenceResult::NotFound, ""),
            evidence(Detector::PatchId, EvidenceResult::Proves, ""),
        ];
        assert_eq!(
            decide(&found, Outcome::AllPresent),
            (Verdict::Expired, Some(Detector::PatchId))
        );
        let all = findings(&found).all().map(|e| e.detector);
        assert!(all.windows(2).all(|pair| pair[0] < pair[1]), "{all:?}");
    }

    #[test]
    fn rewritten_upstream_needs_the_subject_and_no_applying_hunk() {
        let hunk = |state| HunkReport {
            file: "a.c".into(),
            index: 1,
            state,
            modulo_context: false,
            found_in: None,
        };
        let subject = findings(&[evidence(
            Detector::UpstreamSubject,
            EvidenceResult::Supports,
            "commit",
        )]);
        let other = findings(&[evidence(Detector::Claims, EvidenceResult::Supports, "")]);
        let gone = [hunk(HunkState::Absent), hunk(HunkState::Present)];
        let applying = [hunk(HunkState::Absent), hunk(HunkState::Applied)];
        assert_eq!(
            rewritten_upstream(&subject, &gone).result,
            EvidenceResult::Proves
        );
        let listed = findings(&[evidence(
            Detector::NotesSubject,
            EvidenceResult::Supports,
            "",
        )]);
        assert_eq!(
            rewritten_upstream(&listed, &gone).result,
            EvidenceResult::Proves
        );
        for (found, hunks) in [(&subject, &applying[..]), (&other, &gone), (&subject, &[])] {
            assert_eq!(
                rewritten_upstream(found, hunks).result,
                EvidenceResult::NotApplicable
            );
        }
    }

    #[test]
    fn partly_present_proves_alone_from_half_the_hunks() {
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
        let nothing = findings(&[]);
        let judge = |hunks: &[HunkReport], found: &Findings| {
            partial_upstream(found, Outcome::PartlyPresent, "d", hunks).result
        };
        assert_eq!(judge(&half, &nothing), EvidenceResult::Proves);
        assert_eq!(judge(&loose_half, &nothing), EvidenceResult::Proves);
        assert_eq!(judge(&third, &nothing), EvidenceResult::Supports);
        let claim = findings(&[evidence(Detector::Claims, EvidenceResult::Supports, "")]);
        assert_eq!(judge(&third, &claim), EvidenceResult::Proves);
        assert_eq!(
            partial_upstream(&claim, Outcome::Conflict, "d", &half).result,
            EvidenceResult::NotApplicable
        );
    }

    #[test]
    fn content_decides_without_proof() {
        let found = [evidence(Detector::PatchId, EvidenceResult::Supports, "")];
        assert_eq!(decide(&found, Outcome::Partial).0, Verdict::Partial);
        assert_eq!(decide(&found, Outcome::AllApplied).0, Verdict::Needed);
        assert_eq!(decide(&found, Outcome::Conflict).0, Verdict::Conflict);
        assert_eq!(decide(&found, Outcome::Error).0, Verdict::Unknown);
    }
}

//! The expiry model (DESIGN.md §3): what `check` decides for a patch ([`Verdict`]), the
//! evidence behind it ([`Evidence`], one per detector), where each hunk stands in R
//! ([`HunkReport`]), and the per-package result ([`PackageCheck`]). Plain data, serialised as
//! `check --format json` prints it.

use serde::Serialize;

/// What `check` decides for one patch against a release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Applies to R and is not in R.
    Needed,
    /// R already contains it: the patch must go.
    Expired,
    /// Some hunks are already in R, the rest still apply: the patch can shrink.
    Partial,
    /// Does not apply to R and is not found in R: a human must rebase it.
    Conflict,
    /// The evidence could not be gathered; never a guess.
    Unknown,
}

impl Verdict {
    /// The word used in output and manifests.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Needed => "needed",
            Verdict::Expired => "expired",
            Verdict::Partial => "partial",
            Verdict::Conflict => "conflict",
            Verdict::Unknown => "unknown",
        }
    }

    /// Whether the patch can be dropped or shrunk (`expired` or `partial`).
    pub fn can_expire(self) -> bool {
        matches!(self, Verdict::Expired | Verdict::Partial)
    }
}

/// Who found a piece of evidence: a detector or a combination rule, each described in
/// docs/expiry.md and spelled in output as the `serde` name shows (`fixed-in`, …).
///
/// The declaration order is the precedence (DESIGN.md §3): the cheapest and strongest
/// detectors first, then the weaker signals, then the combination rules. The `reason` of an
/// expired patch is the first of them that proves it, and the evidence is listed in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Detector {
    /// R satisfies the declared `fixed-in` requirement (or the header's `Applied-Upstream:`).
    FixedIn,
    /// The declared upstream commit is an ancestor of R.
    UpstreamCommit,
    /// An upstream commit between the current version and R has the patch's stable id.
    PatchId,
    /// Hunk by hunk, the patch's change is in R's tree.
    Content,
    /// Hunks absent as written are in R with other context.
    PresentModuloContext,
    /// Every dependency the patch raises is declared in R at that version or a newer one.
    /// After the detectors that find the patch's own change in R: it proves that upstream
    /// made an equivalent change (the same or a newer version), so a detector that finds the
    /// identical change names the reason more exactly; before the weak signals and the
    /// combination rules, since it proves alone (docs/expiry.md, docs/dependencies.md).
    DependencySuperseded,
    /// R's release notes name a CVE the patch fixes.
    ReleaseNotes,
    /// The patch's own header or manifest entry says it comes from upstream.
    Claims,
    /// An upstream commit has the patch's subject.
    UpstreamSubject,
    /// R's release notes newly list the patch's subject.
    NotesSubject,
    /// Combination: part of the patch is in R, nothing applies, and enough corroborates it.
    PartialUpstream,
    /// Combination: the subject is recorded upstream and no hunk applies.
    RewrittenUpstream,
    /// Not a detector: the patch itself could not be read or parsed.
    Patch,
}

impl Detector {
    /// The name used in output and in manifests' `expired:` records.
    pub fn as_str(self) -> &'static str {
        match self {
            Detector::FixedIn => "fixed-in",
            Detector::UpstreamCommit => "upstream-commit",
            Detector::PatchId => "patch-id",
            Detector::Content => "content",
            Detector::PresentModuloContext => "present-modulo-context",
            Detector::DependencySuperseded => "dependency-superseded",
            Detector::ReleaseNotes => "release-notes",
            Detector::Claims => "claims",
            Detector::UpstreamSubject => "upstream-subject",
            Detector::NotesSubject => "notes-subject",
            Detector::PartialUpstream => "partial-upstream",
            Detector::RewrittenUpstream => "rewritten-upstream",
            Detector::Patch => "patch",
        }
    }
}

impl std::fmt::Display for Detector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One detector's finding about one patch.
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    pub detector: Detector,
    pub result: EvidenceResult,
    /// What was found, in words (commit, tag, hunk).
    pub detail: String,
}

/// What a detector's finding says about expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EvidenceResult {
    /// Proves that R contains the patch.
    Proves,
    /// Points towards expiry without proving it (part of the patch is in R).
    Supports,
    /// Says R does not contain the patch.
    Refutes,
    /// What the detector looked for is not there (an unknown commit, no matching id).
    NotFound,
    /// The detector has nothing to work on (no requirement declared, no git history).
    NotApplicable,
    /// The detector failed; the detail says why.
    Error,
}

/// Where one hunk stands in R.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HunkState {
    /// Its pre-image is in R: the hunk still applies.
    Applied,
    /// Its post-image is in R and its pre-image is not: upstream has it.
    Present,
    /// Neither image is in R.
    Absent,
}

/// The state of one hunk of one file of a patch.
#[derive(Debug, Clone, Serialize)]
pub struct HunkReport {
    /// The file the hunk changes (the new path, `-p` applied).
    pub file: String,
    /// 1-based index of the hunk within its file diff.
    pub index: usize,
    pub state: HunkState,
    /// An `absent` hunk whose change is in R with other context (`present-modulo-context`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub modulo_context: bool,
    /// The path of R where the hunk was judged when it is not the patch's own: R has no file
    /// at the patch's path, and the hunk was looked for in a file of the same name elsewhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found_in: Option<String>,
}

/// Whether a patch's hunks (as judged) make it a conflict only because a file it changes moved
/// upstream: every hunk is in R or applies, and some apply only in a moved file (`found_in`).
/// `refresh` rewrites such a patch to the new path, so the series goes on with it applied.
pub fn conflicts_only_by_a_move(hunks: &[HunkReport]) -> bool {
    hunks
        .iter()
        .all(|h| matches!(h.state, HunkState::Present | HunkState::Applied))
        && hunks
            .iter()
            .any(|h| h.state == HunkState::Applied && h.found_in.is_some())
}

/// The verdict of one patch, with its evidence.
#[derive(Debug, Clone, Serialize)]
pub struct PatchCheck {
    /// The patch file, as the manifest names it.
    pub file: String,
    pub verdict: Verdict,
    /// For an expired patch, the first detector (in [`Detector`] order) that proves it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Detector>,
    pub evidence: Vec<Evidence>,
    pub hunks: Vec<HunkReport>,
    /// The verdict when the series is applied in order on R (cumulative), when it differs from the pristine one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cumulative: Option<CumulativeCheck>,
    /// For a patch that changes only dependency requirements: how R stands to each
    /// dependency it changes (`dependency-superseded`); left out for any other patch.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<DependencyCheck>,
}

/// How R stands to one dependency a patch changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DependencyCheck {
    /// The dependency's name in its ecosystem (`golang.org/x/net`, `io.netty:netty-handler`,
    /// a Maven property such as `netty.version`).
    pub name: String,
    /// `go`, `npm`, `cargo`, `python`, `maven`, `gradle` or `rubygems`.
    pub ecosystem: String,
    /// The manifest the patch changes (`-p` applied).
    pub file: String,
    /// Where in the manifest (`dependencies`, `overrides`, `replace`, `property`, …).
    pub section: String,
    /// `raise`, `add` or `remove`.
    pub change: String,
    /// The version or range before the patch (a raise or removal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The version or range the patch sets (a raise or an addition).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    pub outcome: DependencyOutcome,
    /// What R declares, and where.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<ReleaseDeclaration>,
    /// R declares exactly the patch's version (an outcome `superseded`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub equal: bool,
    /// What R redirects the dependency to (`replaced`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<String>,
    /// Why the versions could not be compared (`unordered`, `unreadable`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// What R declares for a dependency: the version or range, the file and the 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReleaseDeclaration {
    pub version: String,
    pub file: String,
    pub line: usize,
}

/// How R stands to one dependency (docs/dependencies.md, "What proves expiry").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DependencyOutcome {
    /// R declares the patch's version or a newer one.
    Superseded,
    /// R still admits an older version.
    Older,
    /// R does not declare the dependency (or lacks the manifest).
    NotFound,
    /// R redirects it, or dropped it for a recorded replacement.
    Replaced,
    /// The patch removes it and R does not declare it either.
    AlsoRemoved,
    /// The patch removes it and R still declares it.
    StillDeclared,
    /// R's manifest could not be read.
    Unreadable,
    /// The versions have no order (a git URL, a property from a parent pom, …).
    Unordered,
}

impl DependencyOutcome {
    /// The word used in output (its serde name).
    pub fn as_str(self) -> &'static str {
        match self {
            DependencyOutcome::Superseded => "superseded",
            DependencyOutcome::Older => "older",
            DependencyOutcome::NotFound => "not-found",
            DependencyOutcome::Replaced => "replaced",
            DependencyOutcome::AlsoRemoved => "also-removed",
            DependencyOutcome::StillDeclared => "still-declared",
            DependencyOutcome::Unreadable => "unreadable",
            DependencyOutcome::Unordered => "unordered",
        }
    }

    /// True when this dependency's part of the patch is upstream.
    pub fn is_superseded(self) -> bool {
        matches!(
            self,
            DependencyOutcome::Superseded | DependencyOutcome::AlsoRemoved
        )
    }
}

/// The verdict of a patch judged on R with the earlier patches of the series applied.
#[derive(Debug, Clone, Serialize)]
pub struct CumulativeCheck {
    pub verdict: Verdict,
    pub hunks: Vec<HunkReport>,
}

/// The verdicts of every patch of one package against one release.
#[derive(Debug, Clone, Serialize)]
pub struct PackageCheck {
    pub name: String,
    /// The release the patches currently target (`upstream.version`).
    pub version: String,
    /// The release they were judged against.
    pub release: String,
    pub patches: Vec<PatchCheck>,
    /// A melange package's dependency pins (`go/bump` steps), one per module (`pins.rs`);
    /// left out for other packages.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pins: Vec<super::pins::PinCheck>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detector_names_are_their_serde_names() {
        let all = [
            Detector::FixedIn,
            Detector::UpstreamCommit,
            Detector::PatchId,
            Detector::Content,
            Detector::PresentModuloContext,
            Detector::DependencySuperseded,
            Detector::ReleaseNotes,
            Detector::Claims,
            Detector::UpstreamSubject,
            Detector::NotesSubject,
            Detector::PartialUpstream,
            Detector::RewrittenUpstream,
            Detector::Patch,
        ];
        for detector in all {
            let json = serde_json::to_string(&detector).unwrap();
            assert_eq!(json, format!("\"{}\"", detector.as_str()));
        }
        assert!(all.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn dependency_outcome_names_are_their_serde_names() {
        use DependencyOutcome::*;
        for outcome in [
            Superseded,
            Older,
            NotFound,
            Replaced,
            AlsoRemoved,
            StillDeclared,
            Unreadable,
            Unordered,
        ] {
            let json = serde_json::to_string(&outcome).unwrap();
            assert_eq!(json, format!("\"{}\"", outcome.as_str()));
        }
    }
}

//! The `claims` detector: what the patch says about its own upstream status.
//!
//! DEP-3 `Applied-Upstream: <version>` naming a release no newer than R, `Applied-Upstream:`
//! with a URL or commit, `Origin: upstream|backport, <url or commit>`, Yocto
//! `Upstream-Status: Backport`, `Git-commit:` and `(cherry picked from commit …)`, and the
//! manifest's `status: backport`. A claim is the patch author's word, written when the patch
//! was taken from upstream, not proof that R has it (the commit may be on another branch, or
//! after R), so it **supports** expiry and counts only together with content evidence (see
//! `verdict.rs`). `Applied-Upstream:` naming a release newer than R **refutes** it. With a git
//! history, the `upstream-commit` detector checks commit claims for real.

use crate::expiry::detector::{Context, evidence};
use crate::expiry::{Detector, Evidence, EvidenceResult};
use crate::patch::Patch;
use crate::patch::metadata::{fixed_in_version, read_metadata};
use crate::upstream::version::{Scheme, compare};
use crate::workspace::{PatchEntry, PatchStatus};

const NAME: Detector = Detector::Claims;

/// Run the detector on one patch.
pub fn detect(context: &Context<'_>, entry: &PatchEntry, patches: &[Patch]) -> Evidence {
    let scheme = Scheme::parse(context.package.manifest.upstream.scheme.as_deref());
    let mut claims = Vec::new();
    if entry.status == Some(PatchStatus::Backport) {
        claims.push("the manifest's `status: backport`".to_string());
    }
    for patch in patches {
        let metadata = read_metadata(&patch.header);
        if let Some(applied) = &metadata.applied_upstream {
            match fixed_in_version(applied) {
                Some(version)
                    if compare(scheme, &version, context.release)
                        == std::cmp::Ordering::Greater =>
                {
                    return evidence(
                        NAME,
                        EvidenceResult::Refutes,
                        format!(
                            "`Applied-Upstream: {applied}` names a release after {}",
                            context.release
                        ),
                    );
                }
                Some(version) => claims.push(format!("`Applied-Upstream: {version}`")),
                None if applied.contains("://") || applied.contains("commit") => {
                    claims.push(format!("`Applied-Upstream: {}`", short(applied)))
                }
                None => {}
            }
        }
        if let Some(origin) = &metadata.origin {
            let kind = origin
                .split([',', ' '])
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            let pointer = origin.contains("://") || origin.contains("commit");
            if matches!(kind.as_str(), "upstream" | "backport") && pointer {
                claims.push(format!("`Origin: {}`", short(origin)));
            }
        }
        if metadata
            .upstream_status
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("backport"))
        {
            claims.push("`Upstream-Status: Backport`".to_string());
        }
        if !metadata.upstream_commits.is_empty() && metadata.origin.is_none() {
            claims.push(format!("upstream commit {}", metadata.upstream_commits[0]));
        }
    }
    if claims.is_empty() {
        return evidence(
            NAME,
            EvidenceResult::NotFound,
            "the patch claims no upstream origin",
        );
    }
    claims.dedup();
    evidence(
        NAME,
        EvidenceResult::Supports,
        format!(
            "the patch says it comes from upstream: {}",
            claims.join(", ")
        ),
    )
}

/// A claim's value cut to a readable length.
fn short(value: &str) -> String {
    match value.char_indices().nth(100) {
        Some((cut, _)) => format!("{}…", &value[..cut]),
        None => value.to_string(),
    }
}

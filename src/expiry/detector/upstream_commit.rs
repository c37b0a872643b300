//! The `upstream-commit` detector: is the commit the patch says it comes from in R?
//!
//! The declared commit is the manifest's `upstream-commit`, else what the patch header names
//! (`Git-commit:`, `(cherry picked from commit …)`, a commit id or URL in DEP-3 `Origin:` or
//! `Applied-Upstream:`; see `patch::metadata`). An mbox `From <id>` line is tried last and only
//! counts when upstream knows that commit (it is often a downstream commit). The commit proves
//! expiry when it is R's tagged commit or one of its ancestors (`graph_descendant_of` in the
//! bare mirror; no checkout). A commit upstream does not have is reported `not-found`: an
//! abbreviated id, a fork's commit or a typo; it is never guessed at.

use crate::expiry::detector::{Context, evidence};
use crate::expiry::{Evidence, EvidenceResult};
use crate::patch::Patch;
use crate::patch::metadata::read_metadata;
use crate::workspace::PatchEntry;

const NAME: &str = "upstream-commit";

/// The commits a patch declares, strongest source first, each with where it was found.
pub fn declared_commits(
    entry: &PatchEntry,
    patches: &[Patch],
) -> (Vec<(String, &'static str)>, Vec<String>) {
    let mut declared = Vec::new();
    let mut mail = Vec::new();
    if let Some(commit) = &entry.upstream_commit {
        declared.push((commit.to_ascii_lowercase(), "the manifest"));
    }
    for patch in patches {
        let metadata = read_metadata(&patch.header);
        if entry.upstream_commit.is_none() {
            for commit in metadata.upstream_commits {
                let commit = commit.to_ascii_lowercase();
                if !declared.iter().any(|(c, _)| *c == commit) {
                    declared.push((commit, "the patch header"));
                }
            }
        }
        if let Some(commit) = metadata.commit {
            mail.push(commit.to_ascii_lowercase());
        }
    }
    (declared, mail)
}

/// Run the detector on one patch.
pub fn detect(context: &Context<'_>, entry: &PatchEntry, patches: &[Patch]) -> Evidence {
    let (declared, mail) = declared_commits(entry, patches);
    if declared.is_empty() && mail.is_empty() {
        return evidence(
            NAME,
            EvidenceResult::NotApplicable,
            "no upstream commit declared",
        );
    }
    let history = match context.history_or_evidence(NAME) {
        Ok(history) => history,
        Err(evidence) => return evidence,
    };
    let tags = crate::expiry::release_tags(context.package, context.release, context.options);
    let Some((tag, tip)) = history.resolve_tag(&tags) else {
        return evidence(
            NAME,
            EvidenceResult::Error,
            format!(
                "no tag of {} in upstream history (tried {})",
                context.release,
                tags.join(", ")
            ),
        );
    };
    let mut refuted = Vec::new();
    let mut unknown = Vec::new();
    let candidates = declared
        .iter()
        .map(|(c, from)| (c.as_str(), *from, true))
        .chain(
            mail.iter()
                .map(|c| (c.as_str(), "the mail's `From` line", false)),
        );
    for (commit, from, declared) in candidates {
        let Some(id) = history.find_commit(commit) else {
            if declared {
                unknown.push(format!("{} (from {from})", short(commit)));
            }
            continue;
        };
        match history.contains(tip, id) {
            Ok(true) => {
                return evidence(
                    NAME,
                    EvidenceResult::Proves,
                    format!(
                        "commit {} (from {from}) is in {tag}",
                        short(&id.to_string())
                    ),
                );
            }
            Ok(false) => refuted.push(format!("{} (from {from})", short(&id.to_string()))),
            Err(error) => {
                return evidence(NAME, EvidenceResult::Error, error.to_string());
            }
        }
    }
    if !refuted.is_empty() {
        let mut detail = format!("commit {} is upstream but not in {tag}", refuted.join(", "));
        if !unknown.is_empty() {
            detail.push_str(&format!(
                "; {} is not in the upstream repository",
                unknown.join(", ")
            ));
        }
        return evidence(NAME, EvidenceResult::Refutes, detail);
    }
    if unknown.is_empty() {
        return evidence(
            NAME,
            EvidenceResult::NotApplicable,
            "no upstream commit declared",
        );
    }
    evidence(
        NAME,
        EvidenceResult::NotFound,
        format!(
            "commit {} is not in the upstream repository (unknown there, so nothing is concluded)",
            unknown.join(", ")
        ),
    )
}

/// The first 12 digits of a commit id.
pub fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

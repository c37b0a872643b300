//! The `upstream-commit` detector: is the commit the patch says it comes from in R?
//!
//! The declared commit is the manifest's `upstream-commit`, else what the patch header names
//! (`Git-commit:`, `(cherry picked from commit …)`, a commit id or URL in DEP-3 `Origin:` or
//! `Applied-Upstream:`; see `patch::metadata`). An mbox `From <id>` line is tried last and only
//! counts when upstream knows that commit (it is often a downstream commit). The commit proves
//! expiry when it is R's tagged commit or one of its ancestors (`git::Repository::is_ancestor`
//! in the bare mirror; no checkout). A commit upstream does not have is reported `not-found`:
//! an abbreviated id, a fork's commit or a typo; it is never guessed at.
//!
//! A package without a git history of its own (a tarball upstream without `git:`) still gets
//! this proof when the claim is a commit URL (`Origin:`, `Applied-Upstream:`, Yocto
//! `Upstream-Status: Backport [url]`, the manifest's `upstream-url`; shapes in
//! `commit_url.rs`): that repository is mirrored into the cache like any git upstream, R's tag
//! is found there (`tags.rs`), and the same ancestry check runs. Free text (a description
//! saying "pulled from …") is not a claim: it may as well name the commit a fix repairs.

use crate::expiry::commit_url::{CommitUrl, commit_urls_in};
use crate::expiry::detector::{Context, evidence};
use crate::expiry::{Detector, Evidence, EvidenceResult};
use crate::patch::Patch;
use crate::patch::metadata::read_metadata;
use crate::workspace::PatchEntry;

const NAME: Detector = Detector::UpstreamCommit;

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
    if context.history.is_none() {
        let urls = claimed_commit_urls(entry, patches);
        if !urls.is_empty() {
            return detect_in_claimed(context, &urls);
        }
    }
    let history = match context.history_or_evidence(NAME) {
        Ok(history) => history,
        Err(evidence) => return evidence,
    };
    let tags = crate::expiry::release_tags(context.package, context.release, context.options);
    let Some((tag, tip)) = context.release_tag(history) else {
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
        let Some(id) = history.repository().find_commit(commit) else {
            if declared {
                unknown.push(format!("{} (from {from})", short(commit)));
            }
            continue;
        };
        match history.repository().is_ancestor(id, tip) {
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

/// The commit URLs the patch's claims hold (manifest `upstream-url`, DEP-3 `Origin:` and
/// `Applied-Upstream:`, Yocto `Upstream-Status: Backport [url]`), each with where it was found.
pub fn claimed_commit_urls(
    entry: &PatchEntry,
    patches: &[Patch],
) -> Vec<(CommitUrl, &'static str)> {
    let mut urls: Vec<(CommitUrl, &'static str)> = Vec::new();
    let mut add = |text: &str, from: &'static str| {
        for url in commit_urls_in(text) {
            if !urls.iter().any(|(u, _)| *u == url) {
                urls.push((url, from));
            }
        }
    };
    if let Some(url) = &entry.upstream_url {
        add(url, "the manifest's `upstream-url`");
    }
    for patch in patches {
        let metadata = read_metadata(&patch.header);
        if let Some(origin) = &metadata.origin {
            add(origin, "`Origin:`");
        }
        if let Some(applied) = &metadata.applied_upstream {
            add(applied, "`Applied-Upstream:`");
        }
        if metadata
            .upstream_status
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("backport"))
            && let Some(reason) = &metadata.upstream_status_reason
        {
            add(reason, "`Upstream-Status: Backport`");
        }
    }
    urls
}

/// The ancestry check in the repositories the commit URLs name (no history of our own).
fn detect_in_claimed(context: &Context<'_>, urls: &[(CommitUrl, &'static str)]) -> Evidence {
    let mut refuted = Vec::new();
    let mut problems = Vec::new();
    for (url, from) in urls {
        let opened = context.claimed_history(&url.repository);
        let claimed = match opened.as_ref() {
            Ok(claimed) => claimed,
            Err(message) => {
                problems.push(format!(
                    "cannot read {} (from {from}): {message}",
                    url.repository
                ));
                continue;
            }
        };
        let Some((tag, tip)) = &claimed.release_tag else {
            problems.push(format!(
                "no tag of {} in {} (from {from})",
                context.release, url.repository
            ));
            continue;
        };
        let Some(id) = claimed.history.repository().find_commit(&url.commit) else {
            problems.push(format!(
                "commit {} (from {from}) is not in {}",
                short(&url.commit),
                url.repository
            ));
            continue;
        };
        match claimed.history.repository().is_ancestor(id, *tip) {
            Ok(true) => {
                return evidence(
                    NAME,
                    EvidenceResult::Proves,
                    format!(
                        "commit {} (from {from}) is in {tag} of {}",
                        short(&id.to_string()),
                        url.repository
                    ),
                );
            }
            Ok(false) => refuted.push(format!(
                "commit {} (from {from}) is in {} but not in {tag}",
                short(&id.to_string()),
                url.repository
            )),
            Err(error) => problems.push(error.to_string()),
        }
    }
    if !refuted.is_empty() {
        return evidence(NAME, EvidenceResult::Refutes, refuted.join("; "));
    }
    evidence(
        NAME,
        EvidenceResult::NotFound,
        format!("{} (nothing is concluded)", problems.join("; ")),
    )
}

/// The first 12 digits of a commit id.
pub fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

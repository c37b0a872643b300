//! The `patch-id` detector: did upstream make the same change between the current version
//! and R, whatever its commit message or line numbers?
//!
//! The patch's stable patch id (a quilt-style diff gets the id of its git twin, `-p` level
//! applied) is compared with the ids of every non-merge commit reachable from R's tag and not
//! from the current version's tag (when that tag is unknown, R's newest
//! `CheckOptions::history_limit` commits). The commit ids are computed once per package
//! (`history.rs`, cached on disk), then each patch is a hash lookup. A file of several patches
//! (an mbox) proves expiry only when every one of them is found.

use std::collections::HashMap;

use crate::expiry::detector::upstream_commit::short;
use crate::expiry::detector::{Context, ReleaseIds, evidence};
use crate::expiry::history::PatchIdCache;
use crate::expiry::tags::resolve_in_history;
use crate::expiry::{Detector, Evidence, EvidenceResult};
use crate::patch::Patch;
use crate::patch::patch_id::patch_id;
use crate::workspace::PatchEntry;

const NAME: Detector = Detector::PatchId;

/// Run the detector on one patch.
pub fn detect(context: &mut Context<'_>, entry: &PatchEntry, patches: &[Patch]) -> Evidence {
    let ids: Vec<String> = patches
        .iter()
        .filter_map(|p| patch_id(p, entry.strip))
        .collect();
    if ids.is_empty() {
        return evidence(
            NAME,
            EvidenceResult::NotApplicable,
            "the patch has no diff to identify",
        );
    }
    if let Err(evidence) = context.history_or_evidence(NAME) {
        return evidence;
    }
    if context.release_ids.is_none() {
        context.release_ids = Some(release_ids(context));
    }
    let release_ids = match &context.release_ids {
        Some(Ok(ids)) => ids,
        Some(Err(message)) => return evidence(NAME, EvidenceResult::Error, message.clone()),
        None => return evidence(NAME, EvidenceResult::Error, "no upstream history"),
    };
    let range = match &release_ids.from_tag {
        Some(from) => format!("{from}..{}", release_ids.tag),
        None => format!(
            "the newest {} commits of {}",
            release_ids.commits, release_ids.tag
        ),
    };
    let matches: Vec<Option<&String>> = ids
        .iter()
        .map(|id| release_ids.by_patch_id.get(id))
        .collect();
    if matches.iter().all(Option::is_some) {
        let commits: Vec<&str> = matches.iter().flatten().map(|c| short(c)).collect();
        return evidence(
            NAME,
            EvidenceResult::Proves,
            format!(
                "identical change in upstream commit {} ({})",
                commits.join(", "),
                release_ids.tag
            ),
        );
    }
    let found = matches.iter().filter(|m| m.is_some()).count();
    if found > 0 {
        return evidence(
            NAME,
            EvidenceResult::Supports,
            format!(
                "{found} of {} patches of the file have an identical upstream commit in {range}",
                ids.len()
            ),
        );
    }
    evidence(
        NAME,
        EvidenceResult::NotFound,
        format!(
            "no commit in {range} ({} commits{}) has patch id {}",
            release_ids.commits,
            missing_note(release_ids.missing),
            short(&ids[0])
        ),
    )
}

/// What the detail adds when a partial clone left some commits without an id.
fn missing_note(missing: usize) -> String {
    if missing == 0 {
        String::new()
    } else {
        format!(", {missing} of them without an id: the mirror is a partial clone")
    }
}

/// The patch ids of the commits between the current version's tag and R's.
fn release_ids(context: &Context<'_>) -> Result<ReleaseIds, String> {
    let Some(Ok(history)) = context.history else {
        return Err("no upstream history".into());
    };
    let upstream = &context.package.manifest.upstream;
    let tags = crate::expiry::release_tags(context.package, context.release, context.options);
    let (tag, tip) = context.release_tag(history).ok_or_else(|| {
        format!(
            "no tag of {} in upstream history (tried {})",
            context.release,
            tags.join(", ")
        )
    })?;
    let from = resolve_in_history(
        history,
        &upstream.tag_candidates(context.version),
        context.version,
    );
    let limit = from.is_none().then_some(context.options.history_limit);
    let commits = history
        .non_merge_commits(tip, from.as_ref().map(|(_, id)| *id), limit)
        .map_err(|e| e.to_string())?;
    let mut cache = PatchIdCache::load(&context.cache_root, history.url());
    let walked = history
        .patch_ids(&commits, &mut cache)
        .map_err(|e| e.to_string())?;
    let ids = walked.ids;
    let subjects = super::upstream_subject::subjects(history, &commits);
    let mut by_patch_id = HashMap::new();
    for (commit, patch_id) in ids {
        if let Some(patch_id) = patch_id {
            by_patch_id
                .entry(patch_id)
                .or_insert_with(|| commit.to_string());
        }
    }
    Ok(ReleaseIds {
        by_patch_id,
        tag,
        from_tag: from.map(|(tag, _)| tag),
        commits: commits.len(),
        missing: walked.missing,
        subjects,
    })
}

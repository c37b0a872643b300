//! The expiry detectors, one module each, cheapest first (DESIGN.md §3, docs/expiry.md):
//! `fixed_in`, `upstream_commit`, `patch_id`, `content` (which also gives
//! `present-modulo-context`), `dependency_superseded` (versions in R's manifests), then the
//! weaker signals `release_notes`, `claims`,
//! `upstream_subject` and `notes_subject` (`modulo_context.rs` holds the matching behind
//! `present-modulo-context`). Each turns what it can see into [`Evidence`](super::Evidence);
//! `verdict.rs` combines them.
//!
//! The detectors share a [`Context`]: the package, the release, the upstream history when
//! there is one (opened once per package), and the patch ids of the commits between the
//! current version and R, computed on first use and kept for the other patches.

pub mod claims;
pub mod content;
pub mod dependency_superseded;
pub mod fixed_in;
pub mod modulo_context;
pub mod notes_subject;
pub mod patch_id;
pub mod release_notes;
pub mod upstream_commit;
pub mod upstream_subject;

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;

use super::history::History;
use super::{CheckOptions, Detector, Evidence, EvidenceResult};
use crate::git::ObjectId;
use crate::upstream::Fetcher;
use crate::workspace::Package;

/// What every detector of one package's check may read.
pub struct Context<'a> {
    pub package: &'a Package,
    /// The release judged against.
    pub release: &'a str,
    /// The release the patches currently target.
    pub version: &'a str,
    /// The upstream history: `None` without a git repository, `Err` when it could not be read.
    pub history: Option<Result<&'a History, &'a str>>,
    pub options: &'a CheckOptions,
    /// The cache root (the patch-id cache lives under it).
    pub cache_root: PathBuf,
    /// The patch ids of the commits between the current version and R, once computed:
    /// patch id → (commit, R's tag), or why they could not be computed.
    pub release_ids: Option<Result<ReleaseIds, String>>,
    /// Fetches the repositories that patches' commit URLs name (`upstream-commit`).
    pub fetcher: &'a Fetcher,
    /// Those repositories once opened, by clone URL: the history and R's tag in it, or why
    /// they could not be read.
    pub claimed: RefCell<HashMap<String, Rc<Result<ClaimedHistory, String>>>>,
    /// R's tag in the package's own history and its commit, resolved on first use.
    pub release_tag: std::cell::OnceCell<Option<(String, ObjectId)>>,
}

/// A repository a patch's commit URL names, opened once per package check.
pub struct ClaimedHistory {
    pub history: History,
    /// R's tag there and its commit, when some tag names R.
    pub release_tag: Option<(String, ObjectId)>,
}

/// The patch ids of upstream's commits between the current version and R.
#[derive(Debug, Clone)]
pub struct ReleaseIds {
    /// Patch id → the newest commit with that id.
    pub by_patch_id: HashMap<String, String>,
    /// R's tag.
    pub tag: String,
    /// The current version's tag, when known (else the walk was bounded).
    pub from_tag: Option<String>,
    /// How many commits were read.
    pub commits: usize,
    /// How many of them have no patch id: objects their diffs need are not in a partial clone.
    pub missing: usize,
    /// Each commit's subject, normalised (`upstream_subject::normalise`) → the newest commit
    /// with it.
    pub subjects: HashMap<String, String>,
}

impl<'a> Context<'a> {
    /// R's tag in the package's own history (`history`), with its commit: the manifest's tags
    /// first, then any tag naming R (`tags.rs`). Resolved once per package.
    pub fn release_tag(&self, history: &History) -> Option<(String, ObjectId)> {
        self.release_tag
            .get_or_init(|| {
                let tags = super::release_tags(self.package, self.release, self.options);
                super::tags::resolve_in_history(history, &tags, self.release)
            })
            .clone()
    }

    /// The repository at `url` (a patch's claim), opened and its tag for R resolved on first
    /// use; later patches of the package reuse it.
    pub fn claimed_history(&self, url: &str) -> Rc<Result<ClaimedHistory, String>> {
        if let Some(found) = self.claimed.borrow().get(url) {
            return Rc::clone(found);
        }
        let opened = History::open(self.fetcher, url)
            .map_err(|error| crate::upstream::error_chain(&error))
            .map(|history| {
                let candidates = super::release_tags(self.package, self.release, self.options);
                let release_tag =
                    super::tags::resolve_in_history(&history, &candidates, self.release);
                ClaimedHistory {
                    history,
                    release_tag,
                }
            });
        let opened = Rc::new(opened);
        self.claimed
            .borrow_mut()
            .insert(url.to_string(), Rc::clone(&opened));
        opened
    }

    /// The upstream history, or the evidence `detector` reports when there is none to read
    /// (`not-applicable` without a git repository, `error` when it could not be opened).
    pub fn history_or_evidence(&self, detector: Detector) -> Result<&'a History, Evidence> {
        match self.history {
            Some(Ok(history)) => Ok(history),
            None => Err(evidence(
                detector,
                EvidenceResult::NotApplicable,
                "upstream has no git history to look in (a tarball upstream may name its `git:` repository)",
            )),
            Some(Err(message)) => Err(evidence(
                detector,
                EvidenceResult::Error,
                format!("cannot read upstream history: {message}"),
            )),
        }
    }
}

/// An evidence value.
pub fn evidence(detector: Detector, result: EvidenceResult, detail: impl Into<String>) -> Evidence {
    Evidence {
        detector,
        result,
        detail: detail.into(),
    }
}

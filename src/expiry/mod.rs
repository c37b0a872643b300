//! Expiry: does an upstream release R already contain a downstream patch? (DESIGN.md §3)
//!
//! The model (`model.rs`: verdicts, evidence, hunk states) is what a check returns. The
//! orchestration (`check.rs`) reads a package's patches, R's tree and the upstream history
//! (`history.rs`, tags in `tags.rs`), runs the detectors (`detector/`, one module each) on each
//! patch, pristine and in series order, and `verdict.rs` turns their evidence into a verdict.
//! `expire.rs` acts on the verdicts (with `crate::refresh` for the patches that stay).
//!
//! One failing patch never stops the others: its verdict is `unknown` with an `error`
//! evidence. Only an unreachable upstream stops a package, as an error, never as a guess.

mod check;
pub mod commit_url;
pub mod detector;
pub mod expire;
pub mod history;
mod model;
pub mod pins;
pub mod tags;
pub mod verdict;

pub use check::{
    CheckError, CheckOptions, DEFAULT_HISTORY_LIMIT, check_package, check_package_with_tree,
    release_tags,
};
pub use model::{
    CumulativeCheck, DependencyCheck, DependencyOutcome, Detector, Evidence, EvidenceResult,
    HunkReport, HunkState, PackageCheck, PatchCheck, ReleaseDeclaration, Verdict,
    conflicts_only_by_a_move,
};

/// Progress of counted work (the commits of the patch-id walk, the packages of an audit),
/// implemented by the CLI: the library never prints.
pub trait CountProgress: Send + Sync + std::fmt::Debug {
    /// Work of `total` items begins.
    fn start(&self, total: u64);
    /// `done` more items were done (called from any thread).
    fn advance(&self, done: u64);
    /// The work ended.
    fn finish(&self);
}

//! Audit: the delta report and policy findings of `mindelta audit`.
//!
//! Flow: the CLI resolves `AuditOptions` → `audit` measures every package in parallel
//! (`report.rs`: lines, files, ages, statuses from the manifest and the patch headers), looks
//! up the newest release, evaluates the policies (`policy.rs`, CEL rules over the report's JSON)
//! and totals it all into an `AuditReport`, which `format/` renders (human table, markdown,
//! SARIF; JSON is the report itself). `merge.rs` joins the reports of several shards
//! (`shard.rs`).

pub mod report;
pub mod shard;

pub use report::{AuditReport, Finding, Location, PackageReport, PatchReport, Severity, Summary};
pub use shard::{Shard, ShardError, in_shard};

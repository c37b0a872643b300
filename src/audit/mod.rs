//! Audit: the delta report and policy findings of `mindelta audit`.
//!
//! Flow: the CLI resolves `AuditOptions` → `audit` measures every package in parallel on the
//! current rayon pool (`report.rs`: lines, files, ages, statuses from the manifest and the patch
//! headers; the dependency overrides of dependency patches: `overrides.rs`), looks up the
//! newest known release, optionally judges every patch against it (`crate::expiry`; that also
//! tells which overrides the release already supersedes), evaluates the policies (`policy.rs`, CEL rules over the report's JSON) and
//! totals it all into an `AuditReport`, which `format/` renders (human table, markdown, SARIF;
//! JSON is the report itself). `merge.rs` joins the reports of several shards (`workspace::shard`).
//!
//! Nothing here stops at the first problem: a package that cannot be read is a failure next to
//! the others' reports, and an upstream that cannot be reached only leaves `latest` (or the
//! verdicts) unknown, with a warning.

pub mod format;
pub mod history;
pub mod merge;
pub mod overrides;
pub mod policy;
pub mod report;
pub mod timeline;

use std::collections::BTreeMap;
use std::sync::Arc;

use rayon::prelude::*;

pub use policy::{PolicyError, PolicySet};
pub use report::{
    AuditReport, EvidenceReport, Finding, Location, MetricsError, PackageReport, PatchReport,
    Severity, Summary,
};

use crate::expiry::{CheckOptions, CountProgress, check_package};
use crate::upstream::version::{Scheme, compare};
use crate::upstream::{FetchError, Fetcher};
use crate::workspace::{Package, Workspace, WorkspaceError};

/// Choices for one audit, resolved by the CLI.
#[derive(Debug, Clone)]
pub struct AuditOptions {
    /// The day ages count to (`MINDELTA_NOW` in the CLI, for reproducible output).
    pub today: time::Date,
    /// Look up the newest upstream release of each package (needs a fetcher).
    pub latest: bool,
    /// Judge every patch against the newest release (or the pinned one when unknown).
    pub check: bool,
    /// Never touch the network.
    pub offline: bool,
    /// Receives the count of packages audited.
    pub progress: Option<Arc<dyn CountProgress>>,
}

/// A package that could not be audited.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    #[error(transparent)]
    Metrics(#[from] MetricsError),
    #[error(transparent)]
    Policy(#[from] PolicyError),
}

/// Something the user should know that did not stop the audit (an unreachable upstream).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditWarning {
    pub package: String,
    pub message: String,
}

/// The report, with what went wrong on the way.
#[derive(Debug)]
pub struct AuditOutcome {
    pub report: AuditReport,
    pub warnings: Vec<AuditWarning>,
    pub failures: Vec<AuditError>,
}

/// Audit the packages `names` of `workspace` against `policies`, in parallel on the current
/// rayon pool. `fetcher` is needed for `latest` and `check`; without it both are skipped.
pub fn audit(
    workspace: &Workspace,
    names: &[String],
    policies: &PolicySet,
    fetcher: Option<&Fetcher>,
    options: &AuditOptions,
) -> AuditOutcome {
    type One = Result<(PackageReport, Vec<Finding>, Vec<AuditWarning>), AuditError>;
    let progress = options.progress.as_deref();
    if let Some(progress) = progress {
        progress.start(names.len() as u64);
    }
    let results: Vec<One> = names
        .par_iter()
        .map(|name| {
            let result = audit_one(workspace, name, policies, fetcher, options);
            if let Some(progress) = progress {
                progress.advance(1);
            }
            result
        })
        .collect();
    if let Some(progress) = progress {
        progress.finish();
    }
    let mut packages = Vec::new();
    let mut findings = Vec::new();
    let mut warnings = Vec::new();
    let mut failures = Vec::new();
    for result in results {
        match result {
            Ok((package, package_findings, package_warnings)) => {
                packages.push(package);
                findings.extend(package_findings);
                warnings.extend(package_warnings);
            }
            // A rule that exhausted its budget fails every package after the first: once is enough.
            Err(AuditError::Policy(error))
                if failures.iter().any(|f| {
                    matches!(f, AuditError::Policy(seen) if seen.to_string() == error.to_string())
                }) => {}
            Err(error) => failures.push(error),
        }
    }
    let summary = Summary::of(&packages, &findings);
    AuditOutcome {
        report: AuditReport {
            packages,
            findings,
            summary,
            history: None,
        },
        warnings,
        failures,
    }
}

/// One package's report, findings and warnings.
fn audit_one(
    workspace: &Workspace,
    name: &str,
    policies: &PolicySet,
    fetcher: Option<&Fetcher>,
    options: &AuditOptions,
) -> Result<(PackageReport, Vec<Finding>, Vec<AuditWarning>), AuditError> {
    let package = workspace.load(name)?;
    let mut report = report::package_report(&package, &workspace.root, options.today)?;
    report.upgrade = report::UnfinishedUpgrade::of(workspace, name);
    let mut warnings = Vec::new();
    if let Some(fetcher) = fetcher {
        upstream_facts(&package, &mut report, fetcher, options, &mut warnings);
    }
    let findings = policies.evaluate(&report)?;
    Ok((report, findings, warnings))
}

/// Fill `latest`, `outdated` and, with `check`, the verdicts. Failures become warnings.
fn upstream_facts(
    package: &Package,
    report: &mut PackageReport,
    fetcher: &Fetcher,
    options: &AuditOptions,
    warnings: &mut Vec<AuditWarning>,
) {
    let scheme = Scheme::parse(package.manifest.upstream.scheme.as_deref());
    if options.latest {
        match newest_release(package, fetcher) {
            Ok(Some(latest)) => {
                report.outdated =
                    Some(compare(scheme, &latest, &report.version) == std::cmp::Ordering::Greater);
                report.latest = Some(latest);
            }
            Ok(None) => {}
            Err(error) => warnings.push(AuditWarning {
                package: package.name.clone(),
                message: format!("newest release unknown: {}", with_causes(&error)),
            }),
        }
    }
    if options.check {
        let release = report
            .latest
            .clone()
            .unwrap_or_else(|| report.version.clone());
        let check_options = CheckOptions {
            offline: options.offline,
            ..CheckOptions::default()
        };
        match check_package(package, &release, fetcher, &check_options) {
            Ok(check) => {
                let mut by_verdict = BTreeMap::new();
                for patch in &check.patches {
                    let verdict = patch
                        .cumulative
                        .as_ref()
                        .map_or(patch.verdict, |c| c.verdict);
                    *by_verdict
                        .entry(verdict.as_str().to_string())
                        .or_insert(0usize) += 1;
                    if let Some(entry) = report.patches.iter_mut().find(|p| p.file == patch.file) {
                        entry.verdict = Some(verdict.as_str().to_string());
                        entry.verdict_reason = patch.reason.map(|reason| reason.to_string());
                        entry.evidence = patch.evidence.iter().map(evidence_report).collect();
                    }
                }
                overrides::add_verdicts(&mut report.dependency_overrides, &check);
                report.release = Some(check.release);
                report.by_verdict = Some(by_verdict);
            }
            Err(error) => warnings.push(AuditWarning {
                package: package.name.clone(),
                message: format!("no verdicts: {}", with_causes(&error)),
            }),
        }
    }
}

/// A detector's finding as the report carries it (the result in `check`'s JSON spelling).
fn evidence_report(evidence: &crate::expiry::Evidence) -> EvidenceReport {
    let result = serde_json::to_value(evidence.result)
        .ok()
        .and_then(|value| value.as_str().map(str::to_string))
        .unwrap_or_default();
    EvidenceReport {
        detector: evidence.detector.to_string(),
        result,
        detail: evidence.detail.clone(),
    }
}

/// The newest known release of `package`: `Ok(None)` when the manifest gives no way to find
/// one, `Err` when looking failed (network, offline without a cache).
fn newest_release(package: &Package, fetcher: &Fetcher) -> Result<Option<String>, FetchError> {
    crate::upstream::release::latest(package, fetcher, false)
        .map(|release| release.map(|r| r.version))
}

/// An error and its causes on one line (`a: b: c`), for a warning.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    message
}

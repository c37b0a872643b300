//! The audit report: its shape (the stable JSON of `mindelta audit --format json`) and the
//! metrics of one package (changed lines and files, ages, statuses, expiry conditions, CVEs).
//!
//! `package_report` reads a package's patch files (parser + header metadata) and turns the
//! manifest into a `PackageReport`; `Summary::of` totals a set of them. Policies (`policy/`)
//! evaluate over the JSON of these types and read their field tree from these types' own
//! `Deserialize` (`policy/schema.rs`), so a field added here is known to policies at once.
//! Optional values that are absent are left out of the JSON, never `null`, so
//! `has(patch.fixed_in)` works in a policy.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::overrides::{self, DependencyOverride};
use crate::patch::metadata::{PatchMetadata, read_metadata};
use crate::patch::parse_patches;
use crate::workspace::{Package, PatchEntry, PatchStatus, UpstreamSource};

/// The whole audit: every package, every policy finding, and the totals.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditReport {
    pub packages: Vec<PackageReport>,
    pub findings: Vec<Finding>,
    pub summary: Summary,
    /// With `--history`: the delta month by month over the workspace's git history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<super::timeline::Timeline>,
}

/// One package: its upstream, its delta and its patches.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PackageReport {
    pub name: String,
    /// The release the patches target (`upstream.version`).
    pub version: String,
    /// The newest known upstream release; absent when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest: Option<String>,
    /// True when `latest` is newer than `version`; absent when `latest` is unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outdated: Option<bool>,
    pub upstream: UpstreamReport,
    /// The manifest, relative to the workspace root (`patches/zlib/package.yaml`).
    pub manifest: String,
    /// Line of `upstream.version` in the manifest (where package findings point).
    pub manifest_line: usize,
    pub delta: Delta,
    /// Patch counts by status; patches without a status count under `none`.
    pub by_status: BTreeMap<String, usize>,
    /// Patches with no expiry condition (no `fixed-in`, no upstream commit).
    pub no_expiry: usize,
    /// Patches that fix at least one CVE.
    pub cve_patches: usize,
    /// Entries of the manifest's `expired:` trail.
    pub expired: usize,
    /// The oldest patch that is still `pending` or `submitted`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oldest_pending: Option<OldestPatch>,
    /// With `--check`: the release the verdicts are against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    /// With `--check`: patch counts by verdict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by_verdict: Option<BTreeMap<String, usize>>,
    pub patches: Vec<PatchReport>,
    /// The dependency requirements the package's dependency patches override (`overrides.rs`);
    /// left out when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependency_overrides: Vec<DependencyOverride>,
    /// An upgrade of the package that stopped at a conflict and waits (`mindelta upgrade`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade: Option<UnfinishedUpgrade>,
}

/// An unfinished upgrade, as `list` and `audit` name it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnfinishedUpgrade {
    pub release: String,
    pub stopped_at: String,
}

impl UnfinishedUpgrade {
    /// The upgrade of `package` waiting in `workspace`, if any.
    pub fn of(workspace: &crate::workspace::Workspace, package: &str) -> Option<Self> {
        let state = crate::upgrade::pending(workspace, package)?;
        Some(UnfinishedUpgrade {
            release: state.release,
            stopped_at: state.stop.map(|s| s.patch).unwrap_or_default(),
        })
    }
}

impl std::fmt::Display for UnfinishedUpgrade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "upgrade to {} stopped at {}",
            self.release, self.stopped_at
        )
    }
}

/// Where upstream comes from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UpstreamReport {
    /// `git`, `tarball` or `dir`.
    pub kind: String,
    /// The URL or path template as written in the manifest.
    pub url: String,
    /// The pinned tarball's checksum, when the manifest declares one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// The git repository named next to a tarball (for the history detectors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git: Option<String>,
    /// True when the manifest says how to discover newer releases (`releases:`).
    pub releases: bool,
}

/// The size of a package's delta.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delta {
    /// Patches in the series.
    pub patches: usize,
    /// Distinct files the series touches.
    pub files: usize,
    /// Lines added, over all patches.
    pub added: usize,
    /// Lines removed, over all patches.
    pub removed: usize,
}

/// The size of one patch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatchDelta {
    pub files: usize,
    pub added: usize,
    pub removed: usize,
}

/// One patch of a package.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PatchReport {
    /// The `file:` entry, relative to the package folder.
    pub file: String,
    /// The patch file relative to the workspace root (where header findings point).
    pub path: String,
    /// Line of the entry in the manifest.
    pub line: usize,
    /// The manifest's status, else the header's `Upstream-Status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Days since the patch was added (manifest `added:`, else the header's `Last-Update` or
    /// mail `Date`), relative to the audit's date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_days: Option<i64>,
    /// The date the age counts from (`YYYY-MM-DD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub added: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_in: Option<String>,
    /// The manifest's `upstream-commit`, else the first commit the header names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_commit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_url: Option<String>,
    /// CVE ids from the manifest and the header's `CVE:` lines.
    #[serde(default)]
    pub cves: Vec<String>,
    /// The conditions under which the patch expires: `fixed-in`, `upstream-commit`,
    /// `dependency-superseded` (a patch that changes only dependency requirements).
    #[serde(default)]
    pub expiry: Vec<String>,
    pub delta: PatchDelta,
    /// What the patch's own header says (DEP-3, Yocto, mail).
    pub header: PatchHeader,
    /// With `--check`: the verdict against `release`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
    /// With `--check`: the detector that proved an expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict_reason: Option<String>,
    /// With `--check`: every detector's finding behind the verdict, in detector order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<EvidenceReport>,
}

/// One detector's finding about a patch (`check`'s evidence, carried into the report).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EvidenceReport {
    /// The detector: `fixed-in`, `upstream-commit`, `patch-id`, `content`, …
    pub detector: String,
    /// `proves`, `supports`, `refutes`, `not-found`, `not-applicable` or `error`.
    pub result: String,
    /// What was found, in words.
    pub detail: String,
}

/// The header facts of a patch (see `patch::metadata`), absent fields left out.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PatchHeader {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forwarded: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_upstream: Option<String>,
    /// The release `Applied-Upstream` names (`1.1` of `Applied-Upstream: 1.1, https://…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_in: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_update: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_status_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    #[serde(default)]
    pub bugs: Vec<String>,
    #[serde(default)]
    pub cves: Vec<String>,
    #[serde(default)]
    pub upstream_commits: Vec<String>,
    /// The `CVE:` lines as written (`cves` keeps only well-formed ids).
    #[serde(default)]
    pub cve_tags: Vec<String>,
    /// The names of every `Key: value` field of the header, as written, in order.
    #[serde(default)]
    pub keys: Vec<String>,
}

/// The oldest patch still waiting upstream.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OldestPatch {
    /// The package (set in the workspace summary only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    pub file: String,
    pub status: String,
    pub age_days: i64,
}

/// How serious a finding is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    Info,
    Warning,
    Error,
}

impl Severity {
    /// The policy and JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A place in the workspace: a file relative to the root, and a 1-based line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub file: String,
    pub line: usize,
}

/// A rule of a policy that fired.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The rule's `id`.
    pub rule: String,
    pub severity: Severity,
    pub package: String,
    /// The patch (`file:` entry) for a patch rule; absent for a package rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch: Option<String>,
    pub message: String,
    pub location: Location,
    /// The policy file that holds the rule, relative to the workspace root when inside it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub policy: String,
    /// The rule's `help`, when it has one: what to do about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

/// Totals over the packages of a report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub packages: usize,
    pub patches: usize,
    /// Distinct (package, file) pairs touched.
    pub files: usize,
    pub added: usize,
    pub removed: usize,
    pub by_status: BTreeMap<String, usize>,
    pub no_expiry: usize,
    pub cve_patches: usize,
    /// Packages whose newest known release is newer than the pinned one.
    pub outdated: usize,
    /// Packages whose newest release is unknown.
    pub latest_unknown: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oldest_pending: Option<OldestPatch>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by_verdict: Option<BTreeMap<String, usize>>,
    /// Dependency overrides carried, over all packages (left out when none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub dependency_overrides: usize,
    /// With `--check`: of those, the ones the release judged against already supersedes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub superseded_overrides: Option<usize>,
    /// Findings by severity (`error`, `warning`, `info`; zero counts included).
    pub findings: BTreeMap<String, usize>,
}

impl Summary {
    /// The totals of `packages` and `findings`.
    pub fn of(packages: &[PackageReport], findings: &[Finding]) -> Summary {
        let mut summary = Summary {
            packages: packages.len(),
            ..Summary::default()
        };
        for package in packages {
            summary.patches += package.delta.patches;
            summary.files += package.delta.files;
            summary.added += package.delta.added;
            summary.removed += package.delta.removed;
            for (status, count) in &package.by_status {
                *summary.by_status.entry(status.clone()).or_default() += count;
            }
            summary.no_expiry += package.no_expiry;
            summary.cve_patches += package.cve_patches;
            match package.outdated {
                Some(true) => summary.outdated += 1,
                Some(false) => {}
                None => summary.latest_unknown += 1,
            }
            if let Some(oldest) = &package.oldest_pending
                && summary
                    .oldest_pending
                    .as_ref()
                    .is_none_or(|o| oldest.age_days > o.age_days)
            {
                summary.oldest_pending = Some(OldestPatch {
                    package: Some(package.name.clone()),
                    ..oldest.clone()
                });
            }
            summary.dependency_overrides += package.dependency_overrides.len();
            let superseded = package
                .dependency_overrides
                .iter()
                .filter_map(|o| o.superseded)
                .collect::<Vec<bool>>();
            if !superseded.is_empty() {
                *summary.superseded_overrides.get_or_insert(0) +=
                    superseded.iter().filter(|s| **s).count();
            }
            if let Some(by_verdict) = &package.by_verdict {
                let total = summary.by_verdict.get_or_insert_with(BTreeMap::new);
                for (verdict, count) in by_verdict {
                    *total.entry(verdict.clone()).or_default() += count;
                }
            }
        }
        for severity in [Severity::Error, Severity::Warning, Severity::Info] {
            let count = findings.iter().filter(|f| f.severity == severity).count();
            summary
                .findings
                .insert(severity.as_str().to_string(), count);
        }
        summary
    }
}

/// A package whose patches could not be measured.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error("{package}: cannot read patch `{}` (manifest line {line})", path.display())]
    Read {
        package: String,
        path: PathBuf,
        line: usize,
        #[source]
        source: std::io::Error,
    },
    #[error("{package}: patch `{}` does not parse", path.display())]
    Parse {
        package: String,
        path: PathBuf,
        #[source]
        source: crate::patch::ParseError,
    },
}

/// Measure one package: read and parse every patch, merge manifest and header facts, and
/// compute ages relative to `today`. `root` is the workspace root (paths in the report are
/// relative to it).
pub fn package_report(
    package: &Package,
    root: &Path,
    today: time::Date,
) -> Result<PackageReport, MetricsError> {
    let manifest = &package.manifest;
    let mut report = PackageReport {
        name: package.name.clone(),
        version: manifest.upstream.version.clone(),
        upstream: upstream_report(package),
        manifest: relative(&package.manifest_path, root),
        manifest_line: manifest.upstream.version_line.max(1),
        expired: manifest.expired.len(),
        ..PackageReport::default()
    };
    let mut files = BTreeSet::new();
    for entry in &manifest.patches {
        let path = package.patch_path(entry);
        let bytes = package
            .read_patch(entry)
            .map_err(|source| MetricsError::Read {
                package: package.name.clone(),
                path: path.clone(),
                line: entry.line,
                source,
            })?;
        let patches = parse_patches(&bytes).map_err(|source| MetricsError::Parse {
            package: package.name.clone(),
            path: path.clone(),
            source,
        })?;
        let mut delta = PatchDelta::default();
        let mut own_files = BTreeSet::new();
        for patch in &patches {
            for file in &patch.files {
                let target = file
                    .new_target(entry.strip)
                    .or_else(|| file.old_target(entry.strip))
                    .unwrap_or_default();
                own_files.insert(target.clone());
                files.insert(target);
                for hunk in &file.hunks {
                    for line in &hunk.lines {
                        match line.kind {
                            crate::patch::LineKind::Add => delta.added += 1,
                            crate::patch::LineKind::Remove => delta.removed += 1,
                            crate::patch::LineKind::Context => {}
                        }
                    }
                }
            }
        }
        delta.files = own_files.len();
        let metadata = patches
            .first()
            .map(|p| read_metadata(&p.header))
            .unwrap_or_default();
        let mut patch = patch_report(entry, &path, root, delta, metadata, today);
        let carried = overrides::of_patch(&entry.file, entry.strip, &patches, patch.age_days);
        if !carried.is_empty() {
            // A dependency patch expires by itself once upstream declares its versions.
            patch.expiry.push("dependency-superseded".to_string());
        }
        report.dependency_overrides.extend(carried);
        report.delta.added += delta.added;
        report.delta.removed += delta.removed;
        report.patches.push(patch);
    }
    report
        .dependency_overrides
        .extend(overrides::of_pins(package));
    report.delta.patches = report.patches.len();
    report.delta.files = files.len();
    for patch in &report.patches {
        let status = patch.status.clone().unwrap_or_else(|| "none".to_string());
        *report.by_status.entry(status).or_default() += 1;
        if patch.expiry.is_empty() {
            report.no_expiry += 1;
        }
        if !patch.cves.is_empty() {
            report.cve_patches += 1;
        }
        let waiting = matches!(patch.status.as_deref(), Some("pending" | "submitted"));
        if waiting
            && let Some(age) = patch.age_days
            && report
                .oldest_pending
                .as_ref()
                .is_none_or(|o| age > o.age_days)
        {
            report.oldest_pending = Some(OldestPatch {
                package: None,
                file: patch.file.clone(),
                status: patch.status.clone().unwrap_or_default(),
                age_days: age,
            });
        }
    }
    Ok(report)
}

fn upstream_report(package: &Package) -> UpstreamReport {
    let releases = package.manifest.upstream.releases.is_some();
    match &package.manifest.upstream.source {
        UpstreamSource::Git { url, .. } => UpstreamReport {
            kind: "git".into(),
            url: url.clone(),
            releases,
            ..UpstreamReport::default()
        },
        UpstreamSource::Tarball { url, sha256, git } => UpstreamReport {
            kind: "tarball".into(),
            url: url.clone(),
            sha256: sha256.clone(),
            git: git.clone(),
            releases,
        },
        UpstreamSource::Dir { path } => UpstreamReport {
            kind: "dir".into(),
            url: path.clone(),
            releases,
            ..UpstreamReport::default()
        },
    }
}

fn patch_report(
    entry: &PatchEntry,
    path: &Path,
    root: &Path,
    delta: PatchDelta,
    metadata: PatchMetadata,
    today: time::Date,
) -> PatchReport {
    let header = PatchHeader {
        keys: metadata.fields.iter().map(|(key, _)| key.clone()).collect(),
        cve_tags: metadata
            .fields
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case("cve"))
            .map(|(_, value)| value.clone())
            .collect(),
        subject: metadata.subject,
        author: metadata.author,
        date: metadata.date,
        description: metadata.description,
        origin: metadata.origin,
        forwarded: metadata.forwarded,
        applied_in: metadata
            .applied_upstream
            .as_deref()
            .and_then(applied_version),
        applied_upstream: metadata.applied_upstream,
        last_update: metadata.last_update,
        upstream_status: metadata.upstream_status,
        upstream_status_reason: metadata.upstream_status_reason,
        commit: metadata.commit,
        bugs: metadata.bugs,
        cves: metadata.cves,
        upstream_commits: metadata.upstream_commits,
    };
    let status = entry
        .status
        .or_else(|| {
            header
                .upstream_status
                .as_deref()
                .and_then(PatchStatus::parse)
        })
        .map(|s| s.as_str().to_string());
    let mut cves = entry.cves.clone();
    for cve in &header.cves {
        if !cves.iter().any(|c| c.eq_ignore_ascii_case(cve)) {
            cves.push(cve.clone());
        }
    }
    let upstream_commit = entry
        .upstream_commit
        .clone()
        .or_else(|| header.upstream_commits.first().cloned());
    let mut expiry = Vec::new();
    if entry.fixed_in.is_some() {
        expiry.push("fixed-in".to_string());
    }
    if upstream_commit.is_some() {
        expiry.push("upstream-commit".to_string());
    }
    let added = entry
        .added
        .as_deref()
        .and_then(parse_date)
        .or_else(|| header.last_update.as_deref().and_then(parse_date))
        .or_else(|| header.date.as_deref().and_then(parse_date));
    PatchReport {
        file: entry.file.clone(),
        path: relative(path, root),
        line: entry.line,
        status,
        reason: entry.reason.clone(),
        age_days: added.map(|date| (today - date).whole_days()),
        added: added.map(format_date),
        fixed_in: entry.fixed_in.clone(),
        upstream_commit,
        upstream_url: entry.upstream_url.clone(),
        cves,
        expiry,
        delta,
        header,
        verdict: None,
        verdict_reason: None,
        evidence: Vec::new(),
    }
}

/// The version an `Applied-Upstream:` value starts with (`1.1`, `v2.0.3`, `1.1, commit:…`),
/// without a leading `v`; `None` for a URL or a commit.
fn applied_version(value: &str) -> Option<String> {
    let first = value.split([',', ' ']).next()?.trim();
    let version = first.strip_prefix('v').unwrap_or(first);
    let well_formed = version.starts_with(|c: char| c.is_ascii_digit())
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".~+-_".contains(c))
        && !(version.len() >= 7 && version.chars().all(|c| c.is_ascii_hexdigit()));
    well_formed.then(|| version.to_string())
}

/// `path` relative to `root`, with `/` separators; as given when outside it.
pub fn relative(path: &Path, root: &Path) -> String {
    // Outside the root the path is shown as it is (joining its components would turn the
    // root `/` into `//`).
    let Ok(relative) = path.strip_prefix(root) else {
        return path.to_string_lossy().into_owned();
    };
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// A date from `YYYY-MM-DD` (anything after it ignored) or an RFC 2822 mail date.
pub fn parse_date(text: &str) -> Option<time::Date> {
    let text = text.trim();
    let iso = time::macros::format_description!("[year]-[month]-[day]");
    if let Some(prefix) = text.get(..10)
        && let Ok(date) = time::Date::parse(prefix, &iso)
    {
        return Some(date);
    }
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc2822)
        .ok()
        .map(|t| t.date())
}

/// `YYYY-MM-DD`.
pub fn format_date(date: time::Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// For `skip_serializing_if`: a count that is zero is left out of the JSON.
fn is_zero(count: &usize) -> bool {
    *count == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::Workspace;

    fn date(text: &str) -> time::Date {
        parse_date(text).expect("a date")
    }

    #[test]
    fn parses_iso_and_mail_dates() {
        assert_eq!(format_date(date("2022-08-08")), "2022-08-08");
        assert_eq!(format_date(date("2022-08-08T10:00:00Z")), "2022-08-08");
        assert_eq!(
            format_date(date("Mon, 8 Aug 2022 12:00:00 +0200")),
            "2022-08-08"
        );
        assert_eq!(parse_date("someday"), None);
        assert_eq!(applied_version("1.1"), Some("1.1".into()));
        assert_eq!(
            applied_version("v2.0.3, https://x/commit/1"),
            Some("2.0.3".into())
        );
        assert_eq!(applied_version("https://example.org/commit/abc"), None);
        assert_eq!(applied_version("commit:abcdef1"), None);
        assert_eq!(applied_version("1234567890abcdef"), None);
        assert_eq!(parse_date("2022-13-01"), None);
    }

    fn workspace(files: &[(&str, &str)]) -> (tempfile::TempDir, Workspace) {
        let dir = tempfile::tempdir().expect("temp dir");
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        }
        let workspace = Workspace::open(dir.path()).expect("workspace");
        (dir, workspace)
    }

    const TWO_FILES: &str = "Description: Fix two things\nUpstream-Status: Submitted [https://example.org/1]\nCVE: CVE-2026-1111\nLast-Update: 2026-01-01\n--- a/a.c\n+++ b/a.c\n@@ -1,2 +1,3 @@\n one\n-two\n+TWO\n+three\n--- a/b.c\n+++ b/b.c\n@@ -1 +1 @@\n-x\n+y\n";

    #[test]
    fn measures_lines_files_ages_and_header_facts() {
        let (_dir, workspace) = workspace(&[
            (
                "patches/demo/package.yaml",
                "upstream:\n  version: \"1.0\"\n  tarball: https://example.org/demo-{version}.tar.gz\npatches:\n  - file: 0001.patch\n  - file: 0002.patch\n    status: backport\n    fixed-in: \">=1.1\"\n    added: 2026-03-01\n    cves: [CVE-2026-2222]\nexpired:\n  - file: old.patch\n    release: \"0.9\"\n    reason: fixed-in\n",
            ),
            ("patches/demo/0001.patch", TWO_FILES),
            (
                "patches/demo/0002.patch",
                "--- a/a.c\n+++ b/a.c\n@@ -1 +1 @@\n-one\n+ONE\n",
            ),
        ]);
        let package = workspace.load("demo").expect("package");
        let today = date("2026-04-01");
        let report = package_report(&package, &workspace.root, today).expect("report");
        assert_eq!(report.manifest, "patches/demo/package.yaml");
        assert_eq!(
            report.delta,
            Delta {
                patches: 2,
                files: 2,
                added: 4,
                removed: 3
            }
        );
        assert_eq!(report.upstream.kind, "tarball");
        assert_eq!(report.upstream.sha256, None);
        assert_eq!(report.expired, 1);
        let first = &report.patches[0];
        assert_eq!(first.path, "patches/demo/0001.patch");
        assert_eq!(first.status.as_deref(), Some("submitted"));
        assert_eq!(first.cves, vec!["CVE-2026-1111"]);
        assert_eq!(first.age_days, Some(90));
        assert_eq!(
            first.delta,
            PatchDelta {
                files: 2,
                added: 3,
                removed: 2
            }
        );
        assert!(first.expiry.is_empty());
        assert_eq!(
            first.header.keys,
            vec!["Description", "Upstream-Status", "CVE", "Last-Update"]
        );
        let second = &report.patches[1];
        assert_eq!(second.age_days, Some(31));
        assert_eq!(second.expiry, vec!["fixed-in"]);
        assert_eq!(report.by_status.get("submitted"), Some(&1));
        assert_eq!(report.by_status.get("backport"), Some(&1));
        assert_eq!(report.no_expiry, 1);
        assert_eq!(report.cve_patches, 2);
        assert_eq!(
            report.oldest_pending.as_ref().map(|o| o.file.as_str()),
            Some("0001.patch")
        );

        let summary = Summary::of(std::slice::from_ref(&report), &[]);
        assert_eq!(summary.patches, 2);
        assert_eq!(summary.latest_unknown, 1);
        assert_eq!(summary.findings.get("error"), Some(&0));
        assert_eq!(
            summary.oldest_pending.and_then(|o| o.package),
            Some("demo".to_string())
        );
    }

    #[test]
    fn a_missing_patch_names_its_file_and_line() {
        let (_dir, workspace) = workspace(&[(
            "patches/demo/package.yaml",
            "upstream:\n  version: \"1.0\"\n  dir: src\npatches:\n  - file: gone.patch\n",
        )]);
        // The loader refuses a listed patch file that is not there.
        let text = workspace.load("demo").unwrap_err().to_string();
        assert!(
            text.contains("gone.patch") && text.contains("line 5"),
            "{text}"
        );
        // One that goes after the package was loaded is named by the report.
        let patch = workspace.root.join("patches/demo/gone.patch");
        std::fs::write(&patch, "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n").expect("write");
        let package = workspace.load("demo").expect("package");
        std::fs::remove_file(&patch).expect("remove");
        let error = package_report(&package, &workspace.root, date("2026-01-01")).unwrap_err();
        let text = error.to_string();
        assert!(
            text.contains("gone.patch") && text.contains("line 5"),
            "{text}"
        );
    }

    #[test]
    fn absent_fields_are_left_out_of_the_json() {
        let patch = PatchReport {
            file: "a.patch".into(),
            ..PatchReport::default()
        };
        let json = serde_json::to_value(&patch).expect("json");
        let object = json.as_object().expect("object");
        assert!(!object.contains_key("fixed_in"));
        assert!(!object.contains_key("status"));
        assert!(object.contains_key("cves"));
        assert!(!json.to_string().contains("null"));
    }
}

//! The markdown rendering of `mindelta audit`, sized for a pull-request comment: a summary,
//! the findings, the packages, and the patches folded in a `<details>` block.

use super::{age, expiry, finding_counts, lines, override_change, override_release, statuses};
use crate::audit::report::{AuditReport, Severity};

/// Render the report as GitHub-flavoured markdown.
pub fn render(report: &AuditReport) -> String {
    let summary = &report.summary;
    let mut out = String::from("### mindelta audit\n\n");
    out.push_str(&format!(
        "**{}** packages, **{}** patches ({} in {} files), **{}** without expiry, **{}** CVE fixes. Findings: {}.\n",
        summary.packages,
        summary.patches,
        lines(summary.added, summary.removed),
        summary.files,
        summary.no_expiry,
        summary.cve_patches,
        finding_counts(&summary.findings),
    ));
    if let Some(oldest) = &summary.oldest_pending {
        out.push_str(&format!(
            "Oldest {} patch: `{}/{}` ({} days).\n",
            oldest.status,
            oldest.package.as_deref().unwrap_or("?"),
            oldest.file,
            oldest.age_days
        ));
    }
    if !report.findings.is_empty() {
        out.push_str(
            "\n| | rule | package | patch | message | location |\n|---|---|---|---|---|---|\n",
        );
        for finding in &report.findings {
            let icon = match finding.severity {
                Severity::Error => ":x: error",
                Severity::Warning => ":warning: warning",
                Severity::Info => ":information_source: info",
            };
            out.push_str(&format!(
                "| {icon} | `{}` | {} | {} | {} | `{}:{}` |\n",
                cell(&finding.rule),
                cell(&finding.package),
                finding.patch.as_deref().map_or("-".to_string(), cell),
                cell(&finding.message),
                cell(&finding.location.file),
                finding.location.line
            ));
        }
    }
    if !report.packages.is_empty() {
        out.push_str("\n| package | version | latest | patches | lines | files | status | no expiry |\n|---|---|---|---:|---:|---:|---|---:|\n");
        for package in &report.packages {
            let latest = match (&package.latest, package.outdated) {
                (Some(latest), Some(true)) => format!("**{}**", cell(latest)),
                (Some(latest), _) => cell(latest),
                (None, _) => "?".to_string(),
            };
            out.push_str(&format!(
                "| {} | {} | {latest} | {} | {} | {} | {} | {} |\n",
                cell(&package.name),
                cell(&package.version),
                package.delta.patches,
                lines(package.delta.added, package.delta.removed),
                package.delta.files,
                cell(&statuses(&package.by_status)),
                package.no_expiry
            ));
        }
        out.push_str("\n<details><summary>Patches</summary>\n\n| package | patch | status | age | lines | expires | CVEs | verdict |\n|---|---|---|---:|---:|---|---|---|\n");
        for package in &report.packages {
            for patch in &package.patches {
                out.push_str(&format!(
                    "| {} | `{}` | {} | {} | {} | {} | {} | {} |\n",
                    cell(&package.name),
                    cell(&patch.file),
                    patch.status.as_deref().unwrap_or("-"),
                    age(patch.age_days),
                    lines(patch.delta.added, patch.delta.removed),
                    cell(&expiry(patch)),
                    if patch.cves.is_empty() {
                        "-".to_string()
                    } else {
                        patch.cves.join(" ")
                    },
                    patch.verdict.as_deref().unwrap_or("-")
                ));
            }
        }
        out.push_str("\n</details>\n");
    }
    let overrides: Vec<_> = report
        .packages
        .iter()
        .flat_map(|p| p.dependency_overrides.iter().map(move |o| (p, o)))
        .collect();
    if !overrides.is_empty() {
        out.push_str(&format!(
            "\n<details><summary>Dependency overrides ({})</summary>\n\n| package | patch | dependency | override | age | superseded upstream |\n|---|---|---|---|---:|---|\n",
            overrides.len()
        ));
        for (package, entry) in overrides {
            out.push_str(&format!(
                "| {} | `{}` | `{}` ({}) | {} | {} | {} |\n",
                cell(&package.name),
                cell(&entry.patch),
                cell(&entry.name),
                cell(&entry.ecosystem),
                cell(&override_change(entry)),
                age(entry.age_days),
                cell(&override_release(entry)),
            ));
        }
        out.push_str("\n</details>\n");
    }
    out
}

/// Text safe inside a table cell: pipes escaped, line breaks folded.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

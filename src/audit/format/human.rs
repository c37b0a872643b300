//! The human rendering of `mindelta audit`: a table of packages, a table of patches (for
//! reports small enough to read), the findings, and a summary line. Tables are sized to
//! `width` (the terminal's) by comfy-table; colour only when the caller asks for it.

use anstyle::{AnsiColor, Style};
use comfy_table::{Cell, Color, ContentArrangement, Table};

use super::{age, expiry, finding_counts, lines, override_change, override_release, statuses};
use crate::audit::report::{AuditReport, Severity};

/// Above this many patches the per-patch table is left out (JSON has them all).
pub const PATCH_TABLE_LIMIT: usize = 200;

/// How to lay the text out.
#[derive(Debug, Clone, Copy, Default)]
pub struct HumanStyle {
    /// The width to fit, in columns (`None`: no limit).
    pub width: Option<u16>,
    /// Emit ANSI colours.
    pub color: bool,
}

/// Render the report as tables and lines of text.
pub fn render(report: &AuditReport, style: HumanStyle) -> String {
    let mut out = String::new();
    if !report.packages.is_empty() {
        out.push_str(&packages_table(report, style));
        out.push('\n');
    }
    let patch_count: usize = report.packages.iter().map(|p| p.patches.len()).sum();
    if patch_count > 0 && patch_count <= PATCH_TABLE_LIMIT {
        out.push_str(&patches_table(report, style));
        out.push('\n');
    }
    let override_count: usize = report
        .packages
        .iter()
        .map(|p| p.dependency_overrides.len())
        .sum();
    if override_count > 0 && override_count <= PATCH_TABLE_LIMIT {
        out.push_str(&overrides_table(report, style));
        out.push('\n');
    }
    if !report.findings.is_empty() {
        out.push_str(&findings(report, style));
    }
    for package in &report.packages {
        if let Some(upgrade) = &package.upgrade {
            out.push_str(&format!("{}: {upgrade}\n", package.name));
        }
    }
    out.push_str(&summary_line(report, patch_count > PATCH_TABLE_LIMIT));
    out
}

fn table(style: HumanStyle) -> Table {
    let mut table = Table::new();
    table.load_style(comfy_table::presets::UTF8_BORDERS_ONLY);
    table.set_content_arrangement(ContentArrangement::Dynamic);
    if let Some(width) = style.width {
        table.set_width(width);
    }
    if style.color {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    table
}

fn packages_table(report: &AuditReport, style: HumanStyle) -> String {
    let mut table = table(style);
    table.set_header(vec![
        "package",
        "version",
        "latest",
        "patches",
        "lines",
        "files",
        "status",
        "no expiry",
        "oldest pending",
    ]);
    for package in &report.packages {
        let latest = match (&package.latest, package.outdated) {
            (Some(latest), Some(true)) => Cell::new(latest).fg(Color::Yellow),
            (Some(latest), _) => Cell::new(latest),
            (None, _) => Cell::new("?"),
        };
        let no_expiry = if package.no_expiry > 0 {
            Cell::new(package.no_expiry).fg(Color::Yellow)
        } else {
            Cell::new(0)
        };
        let oldest = package.oldest_pending.as_ref().map_or_else(
            || "-".to_string(),
            |o| format!("{} ({}d)", o.file, o.age_days),
        );
        table.add_row(vec![
            Cell::new(&package.name),
            Cell::new(&package.version),
            latest,
            Cell::new(package.delta.patches),
            Cell::new(lines(package.delta.added, package.delta.removed)),
            Cell::new(package.delta.files),
            Cell::new(statuses(&package.by_status)),
            no_expiry,
            Cell::new(oldest),
        ]);
    }
    format!("{table}\n")
}

fn patches_table(report: &AuditReport, style: HumanStyle) -> String {
    let check = report.packages.iter().any(|p| p.by_verdict.is_some());
    let mut table = table(style);
    let mut header = vec![
        "package", "patch", "status", "age", "lines", "expires", "CVEs",
    ];
    if check {
        header.push("verdict");
    }
    table.set_header(header);
    for package in &report.packages {
        for patch in &package.patches {
            let expires = expiry(patch);
            let expires = if expires == "-" {
                Cell::new(expires).fg(Color::Yellow)
            } else {
                Cell::new(expires)
            };
            let mut row = vec![
                Cell::new(&package.name),
                Cell::new(&patch.file),
                Cell::new(patch.status.as_deref().unwrap_or("-")),
                Cell::new(age(patch.age_days)),
                Cell::new(lines(patch.delta.added, patch.delta.removed)),
                expires,
                Cell::new(if patch.cves.is_empty() {
                    "-".to_string()
                } else {
                    patch.cves.join(" ")
                }),
            ];
            if check {
                let verdict = patch.verdict.as_deref().unwrap_or("-");
                let cell = Cell::new(verdict);
                row.push(match verdict {
                    "expired" | "partial" => cell.fg(Color::Green),
                    "conflict" => cell.fg(Color::Red),
                    _ => cell,
                });
            }
            table.add_row(row);
        }
    }
    format!("{table}\n")
}

/// The dependency overrides, one row each: what the patch pins, how old it is, and whether
/// the release judged against (`--check`) already declares it at that version or newer.
fn overrides_table(report: &AuditReport, style: HumanStyle) -> String {
    let mut table = table(style);
    table.set_header(vec![
        "package",
        "patch",
        "dependency",
        "override",
        "age",
        "superseded upstream",
    ]);
    for package in &report.packages {
        for entry in &package.dependency_overrides {
            let answer = override_release(entry);
            let cell = Cell::new(&answer);
            let cell = match entry.superseded {
                Some(true) => cell.fg(Color::Green),
                _ => cell,
            };
            table.add_row(vec![
                Cell::new(&package.name),
                Cell::new(&entry.patch),
                Cell::new(format!("{} ({})", entry.name, entry.ecosystem)),
                Cell::new(override_change(entry)),
                Cell::new(age(entry.age_days)),
                cell,
            ]);
        }
    }
    format!("{table}\n")
}

fn findings(report: &AuditReport, style: HumanStyle) -> String {
    let mut out = String::new();
    for finding in &report.findings {
        let (word, color) = match finding.severity {
            Severity::Error => ("error", AnsiColor::Red),
            Severity::Warning => ("warning", AnsiColor::Yellow),
            Severity::Info => ("info", AnsiColor::Cyan),
        };
        let subject = match &finding.patch {
            Some(patch) => format!("{}/{patch}", finding.package),
            None => finding.package.clone(),
        };
        let paint = Style::new().bold().fg_color(Some(color.into()));
        let dim = Style::new().dimmed();
        let (paint_on, paint_off, dim_on, dim_off) = if style.color {
            (
                paint.render().to_string(),
                paint.render_reset().to_string(),
                dim.render().to_string(),
                dim.render_reset().to_string(),
            )
        } else {
            Default::default()
        };
        out.push_str(&format!(
            "{paint_on}{word}{paint_off} [{}] {subject}: {}\n  {dim_on}at {}:{}{dim_off}\n",
            finding.rule, finding.message, finding.location.file, finding.location.line
        ));
        if let Some(help) = &finding.help {
            out.push_str(&format!("  {dim_on}help: {help}{dim_off}\n"));
        }
    }
    out.push('\n');
    out
}

fn summary_line(report: &AuditReport, patches_left_out: bool) -> String {
    let summary = &report.summary;
    let mut line = format!(
        "{} package{}, {} patch{} ({} in {} file{})",
        summary.packages,
        if summary.packages == 1 { "" } else { "s" },
        summary.patches,
        if summary.patches == 1 { "" } else { "es" },
        lines(summary.added, summary.removed),
        summary.files,
        if summary.files == 1 { "" } else { "s" },
    );
    line.push_str(&format!(
        "; {} without expiry, {} CVE fix{}",
        summary.no_expiry,
        summary.cve_patches,
        if summary.cve_patches == 1 { "" } else { "es" }
    ));
    if summary.outdated > 0 {
        line.push_str(&format!("; {} behind upstream", summary.outdated));
    }
    if let Some(oldest) = &summary.oldest_pending {
        line.push_str(&format!(
            "; oldest {}: {}/{} ({} days)",
            oldest.status,
            oldest.package.as_deref().unwrap_or("?"),
            oldest.file,
            oldest.age_days
        ));
    }
    if let Some(by_verdict) = &summary.by_verdict {
        let verdicts: Vec<String> = by_verdict.iter().map(|(v, n)| format!("{v} {n}")).collect();
        line.push_str(&format!("; verdicts: {}", verdicts.join(", ")));
    }
    if summary.dependency_overrides > 0 {
        line.push_str(&format!(
            "; {} dependency override{}",
            summary.dependency_overrides,
            if summary.dependency_overrides == 1 {
                ""
            } else {
                "s"
            }
        ));
        if let Some(superseded) = summary.superseded_overrides {
            line.push_str(&format!(" ({superseded} superseded upstream)"));
        }
    }
    line.push_str(&format!(
        "\nfindings: {}\n",
        finding_counts(&summary.findings)
    ));
    if patches_left_out {
        line.push_str("(patch table left out: use `--format json` for every patch)\n");
    }
    line
}

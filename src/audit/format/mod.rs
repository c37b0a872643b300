//! Renderings of an `AuditReport`: a human table (`human.rs`), a pull-request comment
//! (`markdown.rs`), SARIF 2.1.0 for code-scanning tools (`sarif.rs`) and one self-contained
//! HTML page with charts (`html.rs`). JSON, the stable machine interface, is the report itself
//! (`serde_json`).
//!
//! Renderers return text and never print; the CLI writes it to stdout or to `--out FILE`.

pub mod html;
pub mod human;
pub mod markdown;
pub mod sarif;

use super::overrides::DependencyOverride;
use super::report::{PatchReport, Severity};

/// `+12 -3`: lines added and removed.
pub(crate) fn lines(added: usize, removed: usize) -> String {
    format!("+{added} -{removed}")
}

/// `fixed-in >=1.1`, `commit …`, `dependency versions` (a dependency patch), or `-` for a
/// patch that never expires.
pub(crate) fn expiry(patch: &PatchReport) -> String {
    if let Some(fixed_in) = &patch.fixed_in {
        return format!("fixed-in {fixed_in}");
    }
    if let Some(commit) = &patch.upstream_commit {
        return format!("commit {}", &commit[..commit.len().min(12)]);
    }
    if patch.expiry.iter().any(|e| e == "dependency-superseded") {
        return "dependency versions".to_string();
    }
    "-".to_string()
}

/// An override's version change: `v0.23.0 -> v0.33.0`, `+ 7.0.5` (added), `- 1.2` (removed).
pub(crate) fn override_change(entry: &DependencyOverride) -> String {
    match (&entry.from, &entry.to) {
        (Some(from), Some(to)) => format!("{from} -> {to}"),
        (None, Some(to)) => format!("+ {to}"),
        (Some(from), None) => format!("- {from}"),
        (None, None) => "-".to_string(),
    }
}

/// Whether the release judged against supersedes an override: `yes (v0.34.0 at go.mod:9)`,
/// `no: older (v0.30.0 at go.mod:9)`, `no: not-found`, or `?` without `--check`.
pub(crate) fn override_release(entry: &DependencyOverride) -> String {
    let at = match (&entry.release_version, &entry.release_location) {
        (Some(version), Some(location)) => format!(" ({version} at {location})"),
        _ => String::new(),
    };
    match (entry.superseded, entry.outcome.as_deref()) {
        (Some(true), _) => format!("yes{at}"),
        (Some(false), Some(outcome)) => format!("no: {outcome}{at}"),
        (Some(false), None) => format!("no{at}"),
        (None, _) => "?".to_string(),
    }
}

/// `57d`, or `-` when the age is unknown.
pub(crate) fn age(days: Option<i64>) -> String {
    days.map_or_else(|| "-".to_string(), |d| format!("{d}d"))
}

/// `2 errors, 1 warning, 0 info`.
pub(crate) fn finding_counts(counts: &std::collections::BTreeMap<String, usize>) -> String {
    let get = |s: Severity| counts.get(s.as_str()).copied().unwrap_or(0);
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "{}, {}, {} info",
        plural(get(Severity::Error), "error"),
        plural(get(Severity::Warning), "warning"),
        get(Severity::Info)
    )
}

/// `pending 2, backport 1`, in a stable order (the manifest's status order, then `none`).
pub(crate) fn statuses(by_status: &std::collections::BTreeMap<String, usize>) -> String {
    let order = [
        "pending",
        "submitted",
        "backport",
        "denied",
        "inappropriate",
        "inactive-upstream",
        "none",
    ];
    let mut parts: Vec<String> = order
        .iter()
        .filter_map(|s| by_status.get(*s).map(|n| format!("{s} {n}")))
        .collect();
    for (status, count) in by_status {
        if !order.contains(&status.as_str()) {
            parts.push(format!("{status} {count}"));
        }
    }
    if parts.is_empty() {
        "-".to_string()
    } else {
        parts.join(", ")
    }
}

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

use super::report::{PatchReport, Severity};

/// `+12 -3`: lines added and removed.
pub(crate) fn lines(added: usize, removed: usize) -> String {
    format!("+{added} -{removed}")
}

/// `fixed-in >=1.1`, `upstream-commit`, or `-` for a patch that never expires.
pub(crate) fn expiry(patch: &PatchReport) -> String {
    if let Some(fixed_in) = &patch.fixed_in {
        return format!("fixed-in {fixed_in}");
    }
    if let Some(commit) = &patch.upstream_commit {
        return format!("commit {}", &commit[..commit.len().min(12)]);
    }
    "-".to_string()
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

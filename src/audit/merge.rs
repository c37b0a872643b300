//! `mindelta audit --merge REPORT.json…`: join the JSON reports of several shards (or runs)
//! into one, as if the packages had been audited together.
//!
//! Packages and findings are concatenated, packages sorted by name, and the summary is
//! recomputed. A shard's `history` is left out: the delta over time is the workspace's, read
//! again from its git history by `audit --merge … --history`. A package present in two reports is an error (two shards of different splits,
//! or the same report given twice), never a silent double count.

use std::path::{Path, PathBuf};

use super::report::{AuditReport, Summary};

/// Why reports cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("cannot read report `{}`", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` is not an audit report (from `mindelta audit --format json`): {source}", path.display())]
    Invalid {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("package `{package}` is in both `{}` and `{}`", first.display(), second.display())]
    Duplicate {
        package: String,
        first: PathBuf,
        second: PathBuf,
    },
}

/// Read one JSON report.
pub fn read_report(path: &Path) -> Result<AuditReport, MergeError> {
    let text = std::fs::read_to_string(path).map_err(|source| MergeError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| MergeError::Invalid {
        path: path.to_path_buf(),
        source,
    })
}

/// Merge reports read from `paths`, in order.
pub fn merge_files(paths: &[PathBuf]) -> Result<AuditReport, MergeError> {
    let mut reports = Vec::with_capacity(paths.len());
    for path in paths {
        reports.push((path.clone(), read_report(path)?));
    }
    merge(reports)
}

/// Merge reports, each labelled with where it came from (for the duplicate error).
pub fn merge(reports: Vec<(PathBuf, AuditReport)>) -> Result<AuditReport, MergeError> {
    let mut owner: std::collections::HashMap<String, PathBuf> = Default::default();
    let mut merged = AuditReport::default();
    for (path, report) in reports {
        for package in report.packages {
            if let Some(first) = owner.insert(package.name.clone(), path.clone()) {
                return Err(MergeError::Duplicate {
                    package: package.name,
                    first,
                    second: path,
                });
            }
            merged.packages.push(package);
        }
        merged.findings.extend(report.findings);
    }
    merged.packages.sort_by(|a, b| a.name.cmp(&b.name));
    let order: std::collections::HashMap<&str, usize> = merged
        .packages
        .iter()
        .enumerate()
        .map(|(i, p)| (p.name.as_str(), i))
        .collect();
    merged
        .findings
        .sort_by_key(|f| order.get(f.package.as_str()).copied().unwrap_or(usize::MAX));
    merged.summary = Summary::of(&merged.packages, &merged.findings);
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::report::{Finding, PackageReport, Severity};

    fn report(names: &[&str]) -> AuditReport {
        let packages: Vec<PackageReport> = names
            .iter()
            .map(|name| PackageReport {
                name: name.to_string(),
                ..PackageReport::default()
            })
            .collect();
        let findings = vec![Finding {
            rule: "r".into(),
            severity: Severity::Error,
            package: names[0].to_string(),
            ..Finding::default()
        }];
        let summary = Summary::of(&packages, &findings);
        AuditReport {
            packages,
            findings,
            summary,
            history: None,
        }
    }

    #[test]
    fn joins_packages_and_recomputes_the_summary() {
        let merged = merge(vec![
            ("a.json".into(), report(&["zlib", "hello"])),
            ("b.json".into(), report(&["curl"])),
        ])
        .expect("merge");
        let names: Vec<&str> = merged.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, vec!["curl", "hello", "zlib"]);
        assert_eq!(merged.summary.packages, 3);
        assert_eq!(merged.summary.findings.get("error"), Some(&2));
        assert_eq!(merged.findings[0].package, "curl");
    }

    #[test]
    fn a_package_in_two_reports_is_an_error() {
        let error = merge(vec![
            ("a.json".into(), report(&["zlib"])),
            ("b.json".into(), report(&["zlib"])),
        ])
        .unwrap_err();
        assert!(error.to_string().contains("`zlib` is in both"), "{error}");
    }

    #[test]
    fn a_report_round_trips_through_json() {
        let original = report(&["zlib"]);
        let text = serde_json::to_string(&original).expect("json");
        let back: AuditReport = serde_json::from_str(&text).expect("parse");
        assert_eq!(back, original);
    }
}

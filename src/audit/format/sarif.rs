//! SARIF 2.1.0, the format code-scanning tools (GitHub code scanning, GitLab, IDEs) load.
//!
//! One run, tool `mindelta`; one reporting descriptor per rule that fired; one result per
//! finding, located at the manifest line or the patch file (paths relative to the workspace
//! root, under the `%SRCROOT%` base), with a stable fingerprint (rule, package, patch) so a
//! finding keeps its identity across runs.

use serde_json::{Value, json};
use sha2::Digest;

use crate::audit::report::{AuditReport, Severity};

/// The SARIF document of a report.
pub fn render(report: &AuditReport) -> Value {
    let mut rules: Vec<Value> = Vec::new();
    let mut rule_ids: Vec<&str> = Vec::new();
    let mut results = Vec::new();
    for finding in &report.findings {
        let index = match rule_ids.iter().position(|id| *id == finding.rule) {
            Some(index) => index,
            None => {
                rule_ids.push(&finding.rule);
                let mut rule = json!({
                    "id": finding.rule,
                    "shortDescription": {"text": finding.message},
                    "defaultConfiguration": {"level": level(finding.severity)},
                });
                if let Some(help) = &finding.help {
                    rule["help"] = json!({"text": help});
                }
                if !finding.policy.is_empty() {
                    rule["properties"] = json!({"policy": finding.policy});
                }
                rules.push(rule);
                rule_ids.len() - 1
            }
        };
        let subject = match &finding.patch {
            Some(patch) => format!("{}/{patch}", finding.package),
            None => finding.package.clone(),
        };
        let identity = format!(
            "{}\0{}\0{}",
            finding.rule,
            finding.package,
            finding.patch.as_deref().unwrap_or("")
        );
        let fingerprint = hex::encode(sha2::Sha256::digest(identity.as_bytes()));
        let mut properties = json!({"package": finding.package});
        if let Some(patch) = &finding.patch {
            properties["patch"] = json!(patch);
        }
        results.push(json!({
            "ruleId": finding.rule,
            "ruleIndex": index,
            "level": level(finding.severity),
            "message": {"text": format!("{subject}: {}", finding.message)},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": finding.location.file, "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": finding.location.line.max(1)},
                },
            }],
            "partialFingerprints": {"mindeltaFinding/v1": fingerprint},
            "properties": properties,
        }));
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "mindelta",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "utf16CodeUnits",
            "results": results,
        }],
    })
}

/// SARIF's word for a severity.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

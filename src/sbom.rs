//! Provenance: the CycloneDX 1.6 document `prepare --sbom` writes (DESIGN.md §7).
//!
//! One component per prepared package (the upstream: URL, version, commit or sha256), with
//! `pedigree.patches` holding every applied patch: its type, its diff as text, and the CVEs it
//! resolves. The document is reproducible: its serial number is derived from its content and
//! its timestamp honours `SOURCE_DATE_EPOCH`, so the same inputs give the same bytes.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::prepare::{PatchOutcome, PreparedPackage};

/// The CycloneDX 1.6 JSON document for these packages. `timestamp` is RFC 3339.
pub fn cyclonedx(packages: &[PreparedPackage], timestamp: &str) -> Value {
    let components: Vec<Value> = packages.iter().map(component).collect();
    let mut hasher = Sha256::new();
    hasher.update(serde_json::to_vec(&components).unwrap_or_default());
    let digest = hex::encode(hasher.finalize());
    let serial = format!(
        "urn:uuid:{}-{}-5{}-a{}-{}",
        &digest[0..8],
        &digest[8..12],
        &digest[13..16],
        &digest[17..20],
        &digest[20..32]
    );
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": serial,
        "version": 1,
        "metadata": {
            "timestamp": timestamp,
            "tools": {"components": [{
                "type": "application",
                "name": "mindelta",
                "version": env!("CARGO_PKG_VERSION"),
            }]},
        },
        "components": components,
    })
}

fn component(package: &PreparedPackage) -> Value {
    let upstream = &package.upstream;
    let bom_ref = format!("{}@{}", package.name, package.version);
    let mut component = json!({
        "type": "library",
        "bom-ref": bom_ref,
        "name": package.name,
        "version": package.version,
    });
    let reference_type = match upstream.kind.as_str() {
        "git" => "vcs",
        "tarball" => "distribution",
        _ => "other",
    };
    if upstream.kind != "dir" {
        component["externalReferences"] = json!([{"type": reference_type, "url": upstream.url}]);
    }
    if let Some(sha256) = &upstream.sha256 {
        component["hashes"] = json!([{"alg": "SHA-256", "content": sha256}]);
    }
    let mut pedigree = serde_json::Map::new();
    if let Some(commit) = &upstream.commit {
        pedigree.insert(
            "commits".into(),
            json!([{"uid": commit, "url": upstream.url}]),
        );
    }
    let mut properties = Vec::new();
    let patches: Vec<Value> = package
        .patches
        .iter()
        .filter(|p| p.status == PatchOutcome::Applied)
        .map(|patch| {
            properties.push(json!({
                "name": format!("mindelta:patch:{}:sha256", patch.file),
                "value": patch.sha256,
            }));
            let mut entry = json!({
                "type": patch.kind,
                "diff": {"text": {
                    "contentType": "text/x-diff",
                    "content": String::from_utf8_lossy(&patch.text),
                }},
            });
            if !patch.cves.is_empty() {
                entry["resolves"] = patch
                    .cves
                    .iter()
                    .map(|cve| {
                        json!({
                            "type": "security",
                            "id": cve,
                            "source": {"name": "NVD", "url": format!("https://nvd.nist.gov/vuln/detail/{cve}")},
                        })
                    })
                    .collect();
            }
            entry
        })
        .collect();
    if !patches.is_empty() {
        pedigree.insert("patches".into(), Value::Array(patches));
    }
    if !pedigree.is_empty() {
        component["pedigree"] = Value::Object(pedigree);
    }
    if !properties.is_empty() {
        component["properties"] = Value::Array(properties);
    }
    component
}

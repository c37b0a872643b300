//! Which packs `audit` runs (docs/policies.md, "Which packs run"): with no `policies/` folder,
//! the built-in packs, said on stderr; a picked pack (built in, or in `policies/`) judges only
//! the patches its `applies-to` selects — DEP-3 advice for patches with DEP-3 headers, Yocto
//! advice for patches with `Upstream-Status:` — and a workspace that names its packs in
//! `mindelta.yaml` gets exactly those, on every patch.

use std::collections::BTreeSet;
use std::path::Path;

use crate::audit::{json_of, mindelta, write};

/// A DEP-3 patch (not forwarded), a Yocto patch (submitted, but not where), a plain diff.
const DEP3: &str = "Description: Bound the copy\nAuthor: A <a@example.org>\nForwarded: no\nLast-Update: 2026-11-01\n--- a/hello.c\n+++ b/hello.c\n@@ -1,3 +1,3 @@\n int main() {\n-  strcpy(buf, name);\n+  strncpy(buf, name, 31);\n }\n";
const YOCTO: &str = "Subject: [PATCH] Set the locale\n\nUpstream-Status: Submitted\nSigned-off-by: A <a@example.org>\n---\n--- a/locale.c\n+++ b/locale.c\n@@ -1,2 +1,3 @@\n void init() {\n+  setlocale(LC_ALL, \"\");\n }\n";
const PLAIN: &str = "--- a/notes.txt\n+++ b/notes.txt\n@@ -1 +1,2 @@\n notes\n+more\n";

/// Package `demo` on a local folder, its three patches: dep3.patch, yocto.patch, plain.patch.
fn workspace(root: &Path) {
    write(
        &root.join("upstream/demo-1.0/hello.c"),
        "int main() {\n  strcpy(buf, name);\n}\n",
    );
    write(
        &root.join("upstream/demo-1.0/locale.c"),
        "void init() {\n}\n",
    );
    write(&root.join("upstream/demo-1.0/notes.txt"), "notes\n");
    write(&root.join("patches/demo/dep3.patch"), DEP3);
    write(&root.join("patches/demo/yocto.patch"), YOCTO);
    write(&root.join("patches/demo/plain.patch"), PLAIN);
    write(
        &root.join("patches/demo/package.yaml"),
        "upstream:\n  version: \"1.0\"\n  dir: ../../upstream/demo-{version}\npatches:\n  - file: dep3.patch\n    status: pending\n    added: 2026-11-01\n  - file: yocto.patch\n    status: submitted\n    added: 2026-11-01\n  - file: plain.patch\n    status: inappropriate\n    added: 2026-11-01\n",
    );
}

/// `(pack, patch)` of every finding: the pack is the rule id's prefix (`dep3`, `yocto`) or
/// `delta` for the delta-minimization pack's rules.
fn judged(report: &serde_json::Value) -> BTreeSet<(String, String)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|finding| {
            let rule = finding["rule"].as_str().unwrap_or_default();
            let pack = match rule.split('-').next() {
                Some(prefix @ ("dep3" | "yocto")) => prefix.to_string(),
                _ => "delta".to_string(),
            };
            let patch = finding["patch"].as_str().unwrap_or("-").to_string();
            (pack, patch)
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    expected
        .iter()
        .map(|(pack, patch)| (pack.to_string(), patch.to_string()))
        .collect()
}

/// Packs other than delta's, and the patches they judged.
fn header_packs(report: &serde_json::Value) -> BTreeSet<(String, String)> {
    judged(report)
        .into_iter()
        .filter(|(pack, _)| pack != "delta")
        .collect()
}

#[test]
fn without_a_policies_folder_the_built_in_packs_run_and_say_so() {
    let temp = tempfile::tempdir().unwrap();
    workspace(temp.path());
    let output = mindelta(temp.path())
        .args(["--offline", "audit", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "note: no policies/ folder: using the built-in packs delta-minimization (every patch), dep3 (patches whose header has `Description:`"
        ) && stderr.contains("yocto (patches whose header has `Upstream-Status:`)"),
        "{stderr}"
    );
    let report = json_of(&output);
    // DEP-3 advice for the DEP-3 patch only, Yocto advice for the Yocto patch only.
    assert_eq!(
        header_packs(&report),
        pairs(&[("dep3", "dep3.patch"), ("yocto", "yocto.patch")])
    );
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert!(rules.contains(&"dep3-not-forwarded"), "{rules:?}");
    assert!(rules.contains(&"yocto-submitted-where"), "{rules:?}");
    let policy = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "dep3-not-forwarded")
        .map(|f| f["policy"].clone());
    assert_eq!(policy, Some("built-in dep3.yaml".into()));
    // `-q` keeps the note to itself.
    let quiet = mindelta(temp.path())
        .args(["--offline", "-q", "audit", "--format", "json"])
        .output()
        .unwrap();
    assert!(quiet.stderr.is_empty(), "{quiet:?}");
}

#[test]
fn a_policies_folder_is_picked_too_and_its_packs_keep_to_their_patches() {
    let temp = tempfile::tempdir().unwrap();
    workspace(temp.path());
    let shipped = crate::support::cli::example_workspace().join("policies");
    crate::support::cli::copy_tree(&shipped, &temp.path().join("policies"));
    let output = mindelta(temp.path())
        .args(["--offline", "audit", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(
        !String::from_utf8_lossy(&output.stderr).contains("built-in"),
        "{output:?}"
    );
    let report = json_of(&output);
    assert_eq!(
        header_packs(&report),
        pairs(&[("dep3", "dep3.patch"), ("yocto", "yocto.patch")])
    );
    // The user names the folder: every pack judges every patch, as before.
    let named = mindelta(temp.path())
        .args(["--offline", "audit", "--format", "json", "--policy"])
        .arg(temp.path().join("policies"))
        .output()
        .unwrap();
    let all = header_packs(&json_of(&named));
    for patch in ["dep3.patch", "yocto.patch", "plain.patch"] {
        assert!(all.contains(&("dep3".into(), patch.into())), "{all:?}");
    }
    assert!(
        all.contains(&("yocto".into(), "plain.patch".into())),
        "{all:?}"
    );
}

#[test]
fn mindelta_yaml_chooses_the_packs_and_they_judge_every_patch() {
    let temp = tempfile::tempdir().unwrap();
    workspace(temp.path());
    write(
        &temp.path().join("mindelta.yaml"),
        "# The packs this workspace follows.\npolicies:\n  - delta\n  - dep3\n",
    );
    let output = mindelta(temp.path())
        .args(["--offline", "audit", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(output.stderr.is_empty(), "no note: {output:?}");
    let report = json_of(&output);
    // DEP-3 on every patch (a plain diff has no description), Yocto nowhere.
    assert_eq!(
        header_packs(&report),
        pairs(&[
            ("dep3", "dep3.patch"),
            ("dep3", "plain.patch"),
            ("dep3", "yocto.patch")
        ])
    );
    assert!(
        judged(&report).iter().any(|(pack, _)| pack == "delta"),
        "{report}"
    );

    // A pack of the workspace's own `policies/` folder is found by its `name:`, and wins over
    // a built-in pack of the same name.
    write(
        &temp.path().join("policies/house.yaml"),
        "name: house-rules\nrules:\n  - id: house-reason\n    severity: warning\n    subject: patch\n    message: Say why\n    require: has(patch.reason)\n",
    );
    write(
        &temp.path().join("policies/dep3.yaml"),
        "name: dep3\nrules:\n  - id: dep3-local\n    severity: info\n    subject: package\n    message: Local DEP-3 rules\n    require: 'false'\n",
    );
    write(
        &temp.path().join("mindelta.yaml"),
        "policies: [house-rules, dep3]\n",
    );
    let output = mindelta(temp.path())
        .args(["--offline", "audit", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let report = json_of(&output);
    let rules: BTreeSet<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert_eq!(rules, BTreeSet::from(["house-reason", "dep3-local"]));

    // An empty list: the workspace wants no rules at all.
    write(&temp.path().join("mindelta.yaml"), "policies: []\n");
    let output = mindelta(temp.path())
        .args(["--offline", "audit", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(json_of(&output)["findings"], serde_json::json!([]));
}

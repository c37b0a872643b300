//! End-to-end tests of `mindelta audit`: the real binary on small workspaces with local `dir:`
//! upstreams (so release discovery and `--check` run offline), every output format, the exit
//! codes, sharding and merging, and policy errors.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

pub(crate) fn mindelta(workspace: &Path) -> Command {
    let mut command = Command::cargo_bin("mindelta").expect("the binary is built");
    command
        .arg("--workspace")
        .arg(workspace)
        .env("MINDELTA_CACHE_DIR", workspace.join(".cache"))
        .env("MINDELTA_RETRY_BACKOFF", "0")
        .env("MINDELTA_NOW", "2026-12-01")
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS");
    command
}

/// Snapshot settings that show the temporary workspace as `[ROOT]`.
fn redacted(root: &Path) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(&regex::escape(&root.display().to_string()), "[ROOT]");
    settings
}

pub(crate) fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(path, text).expect("write");
}

pub(crate) const FIX: &str = "Description: Bound the copy\nAuthor: A <a@example.org>\nForwarded: not-needed\n--- a/hello.c\n+++ b/hello.c\n@@ -1,3 +1,3 @@\n int main() {\n-  strcpy(buf, name);\n+  strncpy(buf, name, 31);\n }\n";
pub(crate) const LOCAL: &str = "Description: Local tweak\nAuthor: A <a@example.org>\nForwarded: no\n--- a/locale.c\n+++ b/locale.c\n@@ -1,2 +1,3 @@\n void init() {\n+  setlocale(LC_ALL, \"\");\n }\n";

/// A workspace with package `hello` (upstream folders 1.0 and 1.1; 1.1 contains FIX) and
/// package `zlib` (one pending patch), and a policy that errors on backports without expiry.
pub(crate) fn workspace(root: &Path, hello_entries: &str) {
    write(
        &root.join("upstream/hello-1.0/hello.c"),
        "int main() {\n  strcpy(buf, name);\n}\n",
    );
    write(
        &root.join("upstream/hello-1.1/hello.c"),
        "int main() {\n  strncpy(buf, name, 31);\n}\n",
    );
    for version in ["1.0", "1.1"] {
        write(
            &root.join(format!("upstream/hello-{version}/locale.c")),
            "void init() {\n}\n",
        );
    }
    write(&root.join("patches/hello/0001-fix.patch"), FIX);
    write(&root.join("patches/hello/0002-local.patch"), LOCAL);
    write(
        &root.join("patches/hello/package.yaml"),
        &format!(
            "upstream:\n  version: \"1.0\"\n  dir: ../../upstream/hello-{{version}}\npatches:\n{hello_entries}"
        ),
    );
    write(&root.join("upstream/zlib-1.3/zlib.c"), "int z;\n");
    write(&root.join("patches/zlib/0001.patch"), LOCAL);
    write(
        &root.join("patches/zlib/package.yaml"),
        "upstream:\n  version: \"1.3\"\n  dir: ../../upstream/zlib-{version}\npatches:\n  - file: 0001.patch\n    status: pending\n    added: 2026-11-01\n",
    );
    write(
        &root.join("policies/rules.yaml"),
        "rules:\n  - id: backport-expires\n    severity: error\n    subject: patch\n    message: A backport must say when it expires\n    when: has(patch.status) && patch.status == 'backport'\n    require: size(patch.expiry) > 0\n  - id: not-forwarded\n    severity: info\n    subject: patch\n    at: patch\n    message: Not forwarded\n    when: has(patch.header.forwarded)\n    require: patch.header.forwarded != 'no'\n",
    );
}

pub(crate) const GOOD_ENTRIES: &str = "  - file: 0001-fix.patch\n    status: backport\n    fixed-in: \">=1.1\"\n    cves: [CVE-2026-0001]\n    added: 2026-10-02\n  - file: 0002-local.patch\n    status: inappropriate\n";
pub(crate) const BAD_ENTRIES: &str = "  - file: 0001-fix.patch\n    status: backport\n    added: 2026-10-02\n  - file: 0002-local.patch\n    status: inappropriate\n";

pub(crate) fn json_of(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

#[test]
fn json_report_measures_packages_offline() {
    let temp = tempfile::tempdir().unwrap();
    workspace(temp.path(), GOOD_ENTRIES);
    let output = mindelta(temp.path())
        .args(["--offline", "audit", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let report = json_of(&output);
    let hello = &report["packages"][0];
    assert_eq!(hello["name"], "hello");
    assert_eq!(hello["version"], "1.0");
    assert_eq!(hello["latest"], "1.1", "releases from the sibling folders");
    assert_eq!(hello["outdated"], true);
    assert_eq!(hello["manifest"], "patches/hello/package.yaml");
    assert_eq!(
        hello["delta"],
        serde_json::json!({"patches": 2, "files": 2, "added": 2, "removed": 1})
    );
    let fix = &hello["patches"][0];
    assert_eq!(fix["age_days"], 60);
    assert_eq!(fix["fixed_in"], ">=1.1");
    assert_eq!(fix["cves"], serde_json::json!(["CVE-2026-0001"]));
    assert_eq!(fix["line"], 5);
    assert_eq!(fix["header"]["forwarded"], "not-needed");
    assert!(
        hello["patches"][1].get("fixed_in").is_none(),
        "absent, not null"
    );
    assert_eq!(report["summary"]["packages"], 2);
    assert_eq!(report["summary"]["no_expiry"], 2);
    assert_eq!(report["summary"]["oldest_pending"]["package"], "zlib");
    // The default policies folder ran: two info findings (Forwarded: no), at the patch files.
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2, "{findings:?}");
    assert_eq!(findings[0]["rule"], "not-forwarded");
    assert_eq!(
        findings[0]["location"],
        serde_json::json!({"file": "patches/hello/0002-local.patch", "line": 1})
    );
    assert!(!String::from_utf8_lossy(&output.stdout).contains("null"));
    insta::assert_json_snapshot!(report);
}

#[test]
fn an_error_finding_exits_4_and_names_the_manifest_line() {
    let temp = tempfile::tempdir().unwrap();
    workspace(temp.path(), BAD_ENTRIES);
    let output = mindelta(temp.path())
        .args(["--offline", "audit", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(4), "{output:?}");
    let report = json_of(&output);
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "backport-expires")
        .expect("the rule fired");
    assert_eq!(finding["severity"], "error");
    assert_eq!(finding["package"], "hello");
    assert_eq!(finding["patch"], "0001-fix.patch");
    assert_eq!(
        finding["location"],
        serde_json::json!({"file": "patches/hello/package.yaml", "line": 5})
    );
    assert_eq!(report["summary"]["findings"]["error"], 1);
    insta::assert_snapshot!(String::from_utf8_lossy(&output.stderr));
}

#[test]
fn human_output_is_a_plain_table_when_piped() {
    let temp = tempfile::tempdir().unwrap();
    workspace(temp.path(), BAD_ENTRIES);
    let output = mindelta(temp.path())
        .args(["--offline", "audit"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(4));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(!text.contains('\u{1b}'), "no colour when piped: {text}");
    insta::assert_snapshot!(text);
    let coloured = mindelta(temp.path())
        .env_remove("NO_COLOR")
        .args(["--offline", "--color", "always", "audit"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&coloured.stdout).contains('\u{1b}'));
}

#[test]
fn sarif_locates_findings_for_code_scanning() {
    let temp = tempfile::tempdir().unwrap();
    workspace(temp.path(), BAD_ENTRIES);
    let output = mindelta(temp.path())
        .args(["--offline", "audit", "--format", "sarif"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(4));
    let sarif = json_of(&output);
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "mindelta");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        let location = &result["locations"][0]["physicalLocation"];
        assert!(
            location["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .starts_with("patches/")
        );
        assert!(location["region"]["startLine"].as_u64().unwrap() >= 1);
        assert!(result["partialFingerprints"].is_object());
    }
    let error = results.iter().find(|r| r["level"] == "error").unwrap();
    assert_eq!(
        error["locations"][0]["physicalLocation"]["region"]["startLine"],
        5
    );
    assert!(results.iter().any(|r| r["level"] == "note"));
    insta::assert_json_snapshot!(sarif);
}

#[test]
fn markdown_fits_a_pull_request_comment() {
    let temp = tempfile::tempdir().unwrap();
    workspace(temp.path(), BAD_ENTRIES);
    let output = mindelta(temp.path())
        .args(["--offline", "audit", "--format", "markdown"])
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    insta::assert_snapshot!(text);
}

#[test]
fn check_adds_verdicts_against_the_newest_release() {
    let temp = tempfile::tempdir().unwrap();
    workspace(temp.path(), GOOD_ENTRIES);
    let output = mindelta(temp.path())
        .args(["--offline", "audit", "hello", "--check", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let report = json_of(&output);
    let hello = &report["packages"][0];
    assert_eq!(report["packages"].as_array().unwrap().len(), 1);
    assert_eq!(hello["release"], "1.1");
    assert_eq!(hello["patches"][0]["verdict"], "expired");
    assert_eq!(hello["patches"][0]["verdict_reason"], "fixed-in");
    assert_eq!(hello["patches"][1]["verdict"], "needed");
    assert_eq!(report["summary"]["by_verdict"]["expired"], 1);
}

#[test]
fn shards_split_the_packages_and_merge_back() {
    let temp = tempfile::tempdir().unwrap();
    workspace(temp.path(), BAD_ENTRIES);
    let mut files: Vec<PathBuf> = Vec::new();
    let mut names = Vec::new();
    for shard in ["1/2", "2/2"] {
        let output = mindelta(temp.path())
            .args(["--offline", "audit", "--shard", shard, "--format", "json"])
            .output()
            .unwrap();
        let report = json_of(&output);
        for package in report["packages"].as_array().unwrap() {
            names.push(package["name"].as_str().unwrap().to_string());
        }
        let file = temp.path().join(format!("shard-{}.json", &shard[..1]));
        fs::write(&file, &output.stdout).unwrap();
        files.push(file);
    }
    names.sort();
    assert_eq!(
        names,
        vec!["hello", "zlib"],
        "each package in exactly one shard"
    );
    let merged = mindelta(temp.path())
        .args(["audit", "--format", "json", "--merge"])
        .args(&files)
        .output()
        .unwrap();
    assert_eq!(
        merged.status.code(),
        Some(4),
        "the error finding survives the merge"
    );
    let whole = mindelta(temp.path())
        .args(["--offline", "audit", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(json_of(&merged), json_of(&whole));
    // Merging a shard with itself is an error, not a double count.
    let twice = mindelta(temp.path())
        .args(["audit", "--merge"])
        .args([&files[0], &files[0]])
        .output()
        .unwrap();
    assert_eq!(twice.status.code(), Some(1));
    let bad = mindelta(temp.path())
        .args(["audit", "--shard", "3/2"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn a_bad_policy_names_file_line_and_rule() {
    let temp = tempfile::tempdir().unwrap();
    workspace(temp.path(), GOOD_ENTRIES);
    let policy = temp.path().join("other.yaml");
    write(
        &policy,
        "rules:\n  - id: typo\n    severity: warning\n    subject: patch\n    message: m\n    require: has(patch.fixedin)\n",
    );
    let output = mindelta(temp.path())
        .args(["--offline", "audit", "--policy"])
        .arg(&policy)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    redacted(temp.path()).bind(|| insta::assert_snapshot!(stderr));
}

#[test]
fn an_unreachable_upstream_only_warns() {
    let temp = tempfile::tempdir().unwrap();
    workspace(temp.path(), GOOD_ENTRIES);
    write(
        &temp.path().join("patches/remote/package.yaml"),
        "upstream:\n  version: \"1.0\"\n  git: https://127.0.0.1:9/remote.git\n",
    );
    let output = mindelta(temp.path())
        .args(["--offline", "audit", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let report = json_of(&output);
    let remote = &report["packages"][1];
    assert_eq!(remote["name"], "remote");
    assert!(remote.get("latest").is_none());
    assert_eq!(report["summary"]["latest_unknown"], 1);
    insta::assert_snapshot!(String::from_utf8_lossy(&output.stderr));
}

#[test]
fn a_missing_patch_fails_its_package_only() {
    let temp = tempfile::tempdir().unwrap();
    workspace(temp.path(), GOOD_ENTRIES);
    fs::remove_file(temp.path().join("patches/zlib/0001.patch")).unwrap();
    let output = mindelta(temp.path())
        .args(["--offline", "audit", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report = json_of(&output);
    assert_eq!(report["packages"].as_array().unwrap().len(), 1);
    let stderr = String::from_utf8_lossy(&output.stderr);
    redacted(temp.path()).bind(|| insta::assert_snapshot!(stderr));
}

#[test]
fn markdown_sarif_and_html_are_only_for_audit() {
    let temp = tempfile::tempdir().unwrap();
    workspace(temp.path(), GOOD_ENTRIES);
    for format in ["sarif", "markdown", "html"] {
        let output = mindelta(temp.path())
            .args(["list", "--format", format])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{format}");
    }
}

#[test]
fn the_example_workspace_audits_offline() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let temp = tempfile::tempdir().unwrap();
    let output = Command::cargo_bin("mindelta")
        .unwrap()
        .current_dir(&root)
        .env("MINDELTA_CACHE_DIR", temp.path())
        .env("MINDELTA_NOW", "2026-12-01")
        .args(["--offline", "audit", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let report = json_of(&output);
    let hello = report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "hello")
        .expect("hello");
    assert_eq!(hello["latest"], "1.1");
}

#[test]
fn html_goes_to_a_file_atomically_and_history_needs_a_format_that_shows_it() {
    let temp = tempfile::tempdir().unwrap();
    workspace(temp.path(), GOOD_ENTRIES);
    let out = temp.path().join("report.html");
    let output = mindelta(temp.path())
        .args(["--offline", "audit", "--format", "html", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(output.stdout.is_empty(), "the page goes to the file only");
    let page = fs::read_to_string(&out).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("Run <code>mindelta audit --format html --history</code>"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644, "a report is readable by all");
    }
    let leftovers: Vec<_> = fs::read_dir(temp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|name| name.starts_with(".mindelta-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // A folder that does not exist: an error naming the file, nothing written.
    let missing = temp.path().join("no/such/report.html");
    let failed = mindelta(temp.path())
        .args(["--offline", "audit", "--format", "html", "--out"])
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(failed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&failed.stderr).contains("cannot write"));
    // `--history` outside git is an error with a hint; with the human format, a usage error.
    let outside = mindelta(temp.path())
        .args(["--offline", "audit", "--format", "json", "--history"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&outside.stderr);
    if !stderr.contains("history") || outside.status.code() != Some(1) {
        // The temporary folder sits inside a git repository on this machine: nothing to test.
        assert_eq!(outside.status.code(), Some(0), "{stderr}");
    } else {
        assert!(stderr.contains("not inside a git repository"), "{stderr}");
    }
    let human = mindelta(temp.path())
        .args(["--offline", "audit", "--history"])
        .output()
        .unwrap();
    assert_eq!(human.status.code(), Some(2));
}

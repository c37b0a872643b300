//! End-to-end tests of `mindelta audit`: the real binary on small workspaces with local `dir:`
//! upstreams (so release discovery and `--check` run offline), every output format, the exit
//! codes, sharding and merging (and the CI examples that use them), and policy errors.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn mindelta(workspace: &Path) -> Command {
    let mut command = Command::cargo_bin("mindelta").expect("the binary is built");
    command
        .arg("--workspace")
        .arg(workspace)
        .env("MINDELTA_CACHE_DIR", workspace.join(".cache"))
        .env("MINDELTA_NOW", "2026-12-01")
        .env("NO_COLOR", "1");
    command
}

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(path, text).expect("write");
}

const FIX: &str = "Description: Bound the copy\nAuthor: A <a@example.org>\nForwarded: not-needed\n--- a/hello.c\n+++ b/hello.c\n@@ -1,3 +1,3 @@\n int main() {\n-  strcpy(buf, name);\n+  strncpy(buf, name, 31);\n }\n";
const LOCAL: &str = "Description: Local tweak\nAuthor: A <a@example.org>\nForwarded: no\n--- a/locale.c\n+++ b/locale.c\n@@ -1,2 +1,3 @@\n void init() {\n+  setlocale(LC_ALL, \"\");\n }\n";

/// A workspace with package `hello` (upstream folders 1.0 and 1.1; 1.1 contains FIX) and
/// package `zlib` (one pending patch), and a policy that errors on backports without expiry.
fn workspace(root: &Path, hello_entries: &str) {
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

const GOOD_ENTRIES: &str = "  - file: 0001-fix.patch\n    status: backport\n    fixed-in: \">=1.1\"\n    cves: [CVE-2026-0001]\n    added: 2026-10-02\n  - file: 0002-local.patch\n    status: inappropriate\n";
const BAD_ENTRIES: &str = "  - file: 0001-fix.patch\n    status: backport\n    added: 2026-10-02\n  - file: 0002-local.patch\n    status: inappropriate\n";

fn json_of(output: &std::process::Output) -> Value {
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
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("1 finding of severity `error`"), "{stderr}");
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
    for wanted in [
        "package",
        "hello",
        "zlib",
        "0001-fix.patch",
        "backport-expires",
        "at patches/hello/package.yaml:5",
        "2 packages, 3 patches",
        "findings: 1 error, 0 warnings, 2 info",
    ] {
        assert!(text.contains(wanted), "`{wanted}` missing:\n{text}");
    }
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
    assert!(text.starts_with("### mindelta audit"), "{text}");
    assert!(
        text.contains("| :x: error | `backport-expires` | hello | 0001-fix.patch |"),
        "{text}"
    );
    assert!(
        text.contains("<details><summary>Patches</summary>"),
        "{text}"
    );
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
    assert!(
        stderr.contains("other.yaml` line 6, rule `typo`"),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `fixed_in`"), "{stderr}");
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
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("warning: remote: newest release unknown"),
        "{stderr}"
    );
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
    assert!(
        stderr.contains("0001.patch") && stderr.contains("line 5"),
        "{stderr}"
    );
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

/// A workspace of 16 packages in a git repository, each with local upstream releases 1.0 and
/// 1.1 (1.1 holds the fix of every other package), so `--check` judges offline; every third
/// backport does not say when it expires (an error finding).
fn sixteen_packages(repo: &crate::support::git::GitRepo) {
    for index in 0..16 {
        let name = format!("package-{index:02}");
        let fixed = if index % 2 == 0 {
            "strncpy(buf, name, 31);"
        } else {
            "strcpy(buf, name);"
        };
        repo.write(
            &format!("upstream/{name}-1.0/hello.c"),
            "int main() {\n  strcpy(buf, name);\n}\n",
        );
        repo.write(
            &format!("upstream/{name}-1.1/hello.c"),
            format!("int main() {{\n  {fixed}\n}}\n"),
        );
        for version in ["1.0", "1.1"] {
            repo.write(
                &format!("upstream/{name}-{version}/locale.c"),
                "void init() {\n}\n",
            );
        }
        repo.write(&format!("patches/{name}/0001-fix.patch"), FIX);
        repo.write(&format!("patches/{name}/0002-local.patch"), LOCAL);
        let entries = if index % 3 == 0 { BAD_ENTRIES } else { GOOD_ENTRIES };
        repo.write(
            &format!("patches/{name}/package.yaml"),
            format!(
                "upstream:\n  version: \"1.0\"\n  dir: ../../upstream/{name}-{{version}}\npatches:\n{entries}"
            ),
        );
    }
    let root = repo.path().to_path_buf();
    workspace_policies(&root);
    repo.commit("sixteen packages");
}

/// The policies of `workspace`, alone.
fn workspace_policies(root: &Path) {
    let temp = tempfile::tempdir().unwrap();
    workspace(temp.path(), GOOD_ENTRIES);
    write(
        &root.join("policies/rules.yaml"),
        &fs::read_to_string(temp.path().join("policies/rules.yaml")).unwrap(),
    );
}

/// The `mindelta audit …` lines of an example of `examples/ci/`, and whether each tolerates
/// exit 4 (`|| test $? -eq 4`).
fn example_commands(file: &str) -> Vec<(String, bool)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/ci").join(file);
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .filter_map(|line| {
            let at = line.find("mindelta audit")?;
            let (command, rest) = match line[at..].split_once(" || ") {
                Some((command, rest)) => (command, Some(rest)),
                None => (&line[at..], None),
            };
            Some((
                command.trim().to_string(),
                rest.is_some_and(|r| r.trim() == "test $? -eq 4"),
            ))
        })
        .collect()
}

/// Run one example command line in `workspace` (as CI would: no `--offline`, no
/// `--workspace`), globs expanded; returns the exit code.
fn run_example(workspace: &Path, line: &str, env: &[(&str, String)]) -> i32 {
    let mut words = line.split_whitespace();
    assert_eq!(words.next(), Some("mindelta"), "{line}");
    let mut args: Vec<String> = Vec::new();
    for word in words {
        if let Some((prefix, suffix)) = word.split_once('*') {
            let pattern = workspace.join(prefix);
            let dir = pattern.parent().unwrap();
            let start = pattern.file_name().unwrap().to_string_lossy().to_string();
            let mut matches: Vec<String> = fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
                .filter(|name| name.starts_with(&start) && name.ends_with(suffix))
                .map(|name| dir.join(name).display().to_string())
                .collect();
            matches.sort();
            assert!(!matches.is_empty(), "`{word}` matches nothing");
            args.extend(matches);
        } else {
            args.push(word.to_string());
        }
    }
    let mut command = Command::cargo_bin("mindelta").unwrap();
    command
        .current_dir(workspace)
        .env("MINDELTA_CACHE_DIR", workspace.join(".cache"))
        .env("MINDELTA_NOW", "2026-12-01")
        .env("NO_COLOR", "1")
        .args(&args);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    let code = output.status.code().unwrap();
    assert!(
        code == 0 || code == 4,
        "`{line}` exited {code}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    code
}

#[test]
fn the_ci_examples_shard_four_ways_and_merge_to_the_unsharded_report() {
    let temp = tempfile::tempdir().unwrap();
    let repo = crate::support::git::GitRepo::new(temp.path().join("workspace"));
    sixteen_packages(&repo);
    let root = repo.path();
    let unsharded = mindelta(root)
        .args(["audit", "--check", "--format", "json"])
        .output()
        .unwrap();
    let whole = json_of(&unsharded);
    assert_eq!(unsharded.status.code(), Some(4), "error findings");
    assert_eq!(whole["summary"]["packages"], 16);
    // Expired: the eight fixes 1.1 holds, and five more whose `fixed-in: >=1.1` 1.1 meets.
    assert_eq!(whole["summary"]["by_verdict"]["expired"], 13);
    let expired = &whole["packages"][0]["patches"][0];
    assert!(
        !expired["evidence"].as_array().unwrap().is_empty(),
        "verdicts carry their evidence: {expired}"
    );

    // GitHub Actions: the matrix values 1..=4, then the report job.
    let github = example_commands("github-actions.yml");
    assert_eq!(github.len(), 4, "{github:?}");
    for shard in 1..=4 {
        let line = github[0].0.replace("${{ matrix.shard }}", &shard.to_string());
        assert!(github[0].1, "a shard tolerates error findings");
        run_example(root, &line, &[]);
    }
    for (line, tolerates) in &github[1..] {
        let code = run_example(root, line, &[]);
        assert!(*tolerates || code == 4, "the last merge fails on error findings");
    }
    assert_eq!(json_of_file(&root.join("audit.json")), whole);
    let page = fs::read_to_string(root.join("delta.html")).unwrap();
    let data = crate::report_html::page_data(&page);
    assert_eq!(data["p"].as_array().unwrap().len(), 16);
    assert_eq!(data["h"]["commits"], 1, "the merged page has the history");
    assert!(root.join("audit.sarif").is_file());

    // Kubernetes: JOB_COMPLETION_INDEX 0..4 (0-based), then the report Job.
    let reports = temp.path().join("reports");
    fs::create_dir(&reports).unwrap();
    let reports_dir = format!("{}/", reports.display());
    let kubernetes = example_commands("kubernetes-job.yaml");
    assert_eq!(kubernetes.len(), 3, "{kubernetes:?}");
    for index in 0..4 {
        let line = kubernetes[0]
            .0
            .replace("${JOB_COMPLETION_INDEX}", &index.to_string())
            .replace("/reports/", &reports_dir);
        run_example(root, &line, &[("JOB_COMPLETION_INDEX", index.to_string())]);
    }
    for (line, _) in &kubernetes[1..] {
        run_example(root, &line.replace("/reports/", &reports_dir), &[]);
    }
    assert_eq!(json_of_file(&reports.join("audit.json")), whole);
    assert!(reports.join("delta.html").is_file());
    // The two engines split alike: shard K of GitHub is index K-1 of Kubernetes.
    for shard in 1..=4 {
        assert_eq!(
            json_of_file(&root.join(format!("audit-{shard}.json"))),
            json_of_file(&reports.join(format!("audit-{}.json", shard - 1)))
        );
    }
}

fn json_of_file(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn a_shard_index_from_the_environment_is_checked() {
    let temp = tempfile::tempdir().unwrap();
    workspace(temp.path(), GOOD_ENTRIES);
    let unset = mindelta(temp.path())
        .env_remove("MINDELTA_TEST_INDEX")
        .args(["--offline", "audit", "--shard-index-env", "MINDELTA_TEST_INDEX"])
        .args(["--shard-count", "4"])
        .output()
        .unwrap();
    assert_eq!(unset.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&unset.stderr);
    assert!(
        stderr.contains("`MINDELTA_TEST_INDEX` is not set") && stderr.contains("JOB_COMPLETION_INDEX"),
        "{stderr}"
    );
    let out_of_range = mindelta(temp.path())
        .env("MINDELTA_TEST_INDEX", "4")
        .args(["--offline", "audit", "--shard-index-env", "MINDELTA_TEST_INDEX"])
        .args(["--shard-count", "4"])
        .output()
        .unwrap();
    assert_eq!(out_of_range.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out_of_range.stderr).contains("from 0 to 3"),
        "{out_of_range:?}"
    );
    // Both spellings at once, or an index without a count, are usage errors.
    for args in [
        &["--shard", "1/4", "--shard-index-env", "X", "--shard-count", "4"][..],
        &["--shard-index-env", "X"][..],
    ] {
        let output = mindelta(temp.path())
            .args(["--offline", "audit"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
    // `check` takes the same options.
    let check = mindelta(temp.path())
        .env("MINDELTA_TEST_INDEX", "0")
        .args(["--offline", "check", "hello", "--release", "1.1", "--shard-index-env"])
        .args(["MINDELTA_TEST_INDEX", "--shard-count", "1", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(0), "{check:?}");
    assert_eq!(json_of(&check)["packages"][0]["name"], "hello");
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

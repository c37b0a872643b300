//! mindelta in place in a melange repository (Wolfi style): `list`, `audit`, `versions`,
//! `prepare` and `check` on real package YAMLs, a real upstream git repository whose tags follow
//! openssh's `V_1_0_P1` scheme (reached through `var-transforms`), patches in the package
//! folder, a subpackage's pipeline and a nested pipeline, and a `fetch` package served by a real
//! HTTP server on 127.0.0.1.

use crate::support;

use std::fs;
use std::path::{Path, PathBuf};

use support::cli::mindelta;
use support::git::GitRepo;
use support::http::{HttpServer, Reply};

const GREETING: &str = "one\ntwo\nthree\n";
/// The fix the packagers carry, which upstream ships in 1.1_p1.
const FIX: &str = "From: A <a@example.org>\nSubject: fix two\n\n--- a/greeting.txt\n+++ b/greeting.txt\n@@ -1,3 +1,3 @@\n one\n-two\n+TWO\n three\n";
/// A patch of the subpackage's pipeline (nested, in `docs/`), still needed everywhere.
const DOC: &str = "--- a/doc.txt\n+++ b/doc.txt\n@@ -1 +1,2 @@\n manual\n+packaged for demo\n";
/// A patch named through `working-directory` and `../`.
const BUILD: &str = "--- a/build.sh\n+++ b/build.sh\n@@ -1 +1 @@\n-make\n+make -j1\n";

struct Repository {
    _temp: tempfile::TempDir,
    root: PathBuf,
    cache: PathBuf,
    commit_1_0: String,
}

/// An upstream with tags `V_1_0_P1` and `V_1_1_P1` (1.1 holds FIX), and a melange repository
/// with the package `demo` at 1.0_p1 and an unrelated YAML file.
fn repository() -> Repository {
    let temp = tempfile::tempdir().unwrap();
    let upstream = GitRepo::new(temp.path().join("upstream"));
    upstream
        .write("greeting.txt", GREETING)
        .write("docs/doc.txt", "manual\n")
        .write("build.sh", "make\n");
    let commit_1_0 = upstream.commit("1.0p1");
    upstream.tag("V_1_0_P1");
    upstream.write("greeting.txt", "one\nTWO\nthree\n");
    upstream.commit("1.1p1");
    upstream.tag("V_1_1_P1");

    let root = temp.path().join("os");
    fs::create_dir_all(root.join("demo")).unwrap();
    fs::write(root.join("demo/fix-two.patch"), FIX).unwrap();
    fs::write(root.join("demo/doc.patch"), DOC).unwrap();
    fs::write(root.join("demo/build.patch"), BUILD).unwrap();
    fs::write(
        root.join("demo.yaml"),
        demo_yaml(&upstream.path().display().to_string(), &commit_1_0),
    )
    .unwrap();
    // Not a package: CI settings and a lint configuration.
    fs::write(root.join(".yam.yaml"), "indent: 2\n").unwrap();
    fs::create_dir_all(root.join(".github")).unwrap();
    fs::write(root.join(".github/ci.yaml"), "on: push\n").unwrap();
    Repository {
        cache: temp.path().join("cache"),
        root,
        _temp: temp,
        commit_1_0,
    }
}

fn demo_yaml(upstream: &str, commit: &str) -> String {
    format!(
        r#"package:
  name: demo
  version: "1.0_p1"
  epoch: 3
  description: a demo

var-transforms:
  - from: ${{{{package.version}}}}
    match: ^(\d+)\.(\d+)_p(\d+)$
    replace: V_${{1}}_${{2}}_P${{3}}
    to: mangled-package-version

pipeline:
  - uses: git-checkout
    with:
      repository: {upstream}
      tag: ${{{{vars.mangled-package-version}}}}
      expected-commit: {commit}

  - uses: patch
    with:
      patches: fix-two.patch \
        build.patch
      strip-components: 1

  - runs: make

subpackages:
  - name: demo-doc
    pipeline:
      - working-directory: docs
        pipeline:
          - uses: patch
            with:
              patches: ../doc.patch

update:
  enabled: true
  git:
    tag-filter-prefix: V_
  version-transform:
    - match: ^V_(\d+)_(\d+)_P(\d+)$
      replace: $1.${{2}}_p$3
"#
    )
}

fn json(output: &std::process::Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn list_reads_the_repository_in_place_from_the_flag_or_from_inside() {
    let repo = repository();
    let from_flag = mindelta(&repo.cache)
        .arg("--workspace")
        .arg(&repo.root)
        .args(["list", "--format", "json"])
        .output()
        .unwrap();
    let report = json(&from_flag);
    let packages = report["packages"].as_array().unwrap();
    assert_eq!(packages.len(), 1, "{report}");
    let demo = &packages[0];
    assert_eq!(demo["name"], "demo");
    assert_eq!(demo["version"], "1.0_p1");
    assert_eq!(demo["upstream"]["kind"], "git");
    let files: Vec<&str> = demo["patches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["file"].as_str().unwrap())
        .collect();
    // The package's pipeline (a line continuation), then the subpackage's nested one, whose
    // `../doc.patch` under `working-directory: docs` is the package folder's `doc.patch`.
    assert_eq!(files, ["fix-two.patch", "build.patch", "doc.patch"]);

    let inside = mindelta(&repo.cache)
        .current_dir(repo.root.join("demo"))
        .args(["list"])
        .output()
        .unwrap();
    assert!(inside.status.success(), "{inside:?}");
    let text = String::from_utf8_lossy(&inside.stdout);
    assert!(text.starts_with("demo 1.0_p1 (git "), "{text}");
    assert!(text.contains("3 patches"), "{text}");
}

#[test]
fn prepare_checks_out_the_transformed_tag_and_applies_every_patch() {
    let repo = repository();
    let out = repo.root.parent().unwrap().join("out");
    let output = mindelta(&repo.cache)
        .arg("--workspace")
        .arg(&repo.root)
        .args(["prepare", "demo", "--format", "json", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let report = json(&output);
    let package = &report["packages"][0];
    assert_eq!(package["upstream"]["tag"], "V_1_0_P1");
    assert_eq!(package["upstream"]["commit"], repo.commit_1_0.as_str());
    assert_eq!(
        fs::read_to_string(out.join("greeting.txt")).unwrap(),
        "one\nTWO\nthree\n"
    );
    assert_eq!(
        fs::read_to_string(out.join("docs/doc.txt")).unwrap(),
        "manual\npackaged for demo\n"
    );
    assert_eq!(
        fs::read_to_string(out.join("build.sh")).unwrap(),
        "make -j1\n"
    );
}

#[test]
fn an_expected_commit_that_the_tag_does_not_resolve_to_exits_6() {
    let repo = repository();
    let yaml = repo.root.join("demo.yaml");
    let text = fs::read_to_string(&yaml).unwrap();
    fs::write(&yaml, text.replace(&repo.commit_1_0, &"0".repeat(40))).unwrap();
    let out = repo.root.parent().unwrap().join("out");
    let output = mindelta(&repo.cache)
        .arg("--workspace")
        .arg(&repo.root)
        .args(["prepare", "demo", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(6), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "is commit {}, not the pinned {}",
            repo.commit_1_0,
            "0".repeat(40)
        )),
        "{stderr}"
    );
    assert!(!out.exists());
}

#[test]
fn versions_follow_the_update_rules_and_check_judges_the_release_s_own_tag() {
    let repo = repository();
    let versions = mindelta(&repo.cache)
        .arg("--workspace")
        .arg(&repo.root)
        .args(["versions", "demo", "--format", "json"])
        .output()
        .unwrap();
    let report = json(&versions);
    let found: Vec<(&str, &str)> = report["releases"]
        .as_array()
        .unwrap_or_else(|| panic!("{report}"))
        .iter()
        .map(|r| (r["version"].as_str().unwrap(), r["tag"].as_str().unwrap()))
        .collect();
    assert_eq!(found, [("1.1_p1", "V_1_1_P1"), ("1.0_p1", "V_1_0_P1")]);

    let check = mindelta(&repo.cache)
        .arg("--workspace")
        .arg(&repo.root)
        .args(["check", "demo", "--release", "1.1_p1", "--format", "json"])
        .output()
        .unwrap();
    let report = json(&check);
    let package = &report["packages"][0];
    let verdict = |file: &str| {
        package["patches"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["file"] == file)
            .map(|p| p["verdict"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("no {file} in {package}"))
    };
    assert_eq!(verdict("fix-two.patch"), "expired", "{package}");
    assert_eq!(verdict("doc.patch"), "needed", "{package}");
    assert_eq!(verdict("build.patch"), "needed", "{package}");
}

#[test]
fn a_release_whose_tag_cannot_be_computed_is_not_judged() {
    let repo = repository();
    let check = mindelta(&repo.cache)
        .arg("--workspace")
        .arg(&repo.root)
        .args(["check", "demo", "--release", "2.0", "--format", "json"])
        .output()
        .unwrap();
    // `2.0` does not match the transform: its tag is `2.0` itself, which upstream lacks.
    assert_ne!(check.status.code(), Some(0), "{check:?}");
    let report: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap_or_default();
    let verdicts: Vec<&str> = report["packages"][0]["patches"]
        .as_array()
        .map(|p| p.iter().filter_map(|p| p["verdict"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        verdicts.iter().all(|v| *v == "unknown"),
        "{verdicts:?} {}",
        String::from_utf8_lossy(&check.stderr)
    );
}

#[test]
fn audit_reports_every_package_of_the_repository() {
    let repo = repository();
    let server = HttpServer::start([(
        "/hello-2.0.tar.gz",
        Reply::Bytes(support::gzip(&support::tar(&[support::TarEntry::file(
            "hello-2.0/hello.c",
            "int main;\n",
        )]))),
    )]);
    fs::write(
        repo.root.join("hello.yaml"),
        format!(
            "package:\n  name: hello\n  version: 2.0\n  epoch: 0\npipeline:\n  - uses: fetch\n    with:\n      uri: {}\n      expected-sha256: {}\n",
            server.url("/hello-${{package.version}}.tar.gz"),
            "a".repeat(64)
        ),
    )
    .unwrap();
    let output = mindelta(&repo.cache)
        .arg("--workspace")
        .arg(&repo.root)
        .args(["audit", "--offline", "--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let names: Vec<&str> = report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["demo", "hello"], "{report}");
    assert_eq!(report["packages"][0]["delta"]["patches"], 3);
    assert_eq!(report["packages"][1]["version"], "2.0");
}

#[test]
fn a_fetch_package_is_prepared_from_its_uri_and_its_checksum_is_verified() {
    let repo = repository();
    let archive = support::gzip(&support::tar(&[support::TarEntry::file(
        "hello-2.0/hello.c",
        "int main;\n",
    )]));
    let server = HttpServer::start([("/hello-2.0.tar.gz", Reply::Bytes(archive.clone()))]);
    fs::create_dir_all(repo.root.join("hello")).unwrap();
    fs::write(
        repo.root.join("hello/main.patch"),
        "--- a/hello.c\n+++ b/hello.c\n@@ -1 +1 @@\n-int main;\n+int main(void);\n",
    )
    .unwrap();
    let yaml = |sha256: &str| {
        format!(
            "package:\n  name: hello\n  version: 2.0\n  epoch: 0\npipeline:\n  - uses: fetch\n    with:\n      uri: {}\n      expected-sha256: {sha256}\n  - uses: patch\n    with:\n      patches: main.patch\n",
            server.url("/hello-${{package.version}}.tar.gz"),
        )
    };
    let prepare = |out: &Path| {
        mindelta(&repo.cache)
            .arg("--workspace")
            .arg(&repo.root)
            .args(["prepare", "hello", "--out"])
            .arg(out)
            .output()
            .unwrap()
    };
    fs::write(repo.root.join("hello.yaml"), yaml(&"b".repeat(64))).unwrap();
    let refused = prepare(&repo.root.parent().unwrap().join("refused"));
    assert_eq!(refused.status.code(), Some(6), "{refused:?}");

    fs::write(
        repo.root.join("hello.yaml"),
        yaml(&support::sha256(&archive)),
    )
    .unwrap();
    let out = repo.root.parent().unwrap().join("out");
    let output = prepare(&out);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        fs::read_to_string(out.join("hello.c")).unwrap(),
        "int main(void);\n"
    );
}

#[test]
fn expire_edits_the_package_file_in_place() {
    let repo = repository();
    let yaml = repo.root.join("demo.yaml");
    let before = fs::read_to_string(&yaml).unwrap();
    let upstream = repo.root.parent().unwrap().join("upstream");
    let commit_1_1 = GitRepo::new(&upstream).git(&["rev-parse", "V_1_1_P1^{commit}"]);
    let output = mindelta(&repo.cache)
        .env("SOURCE_DATE_EPOCH", "1795780800")
        .arg("--workspace")
        .arg(&repo.root)
        .args(["expire", "demo", "--release", "1.1_p1", "--format", "json"])
        .output()
        .unwrap();
    let report = json(&output);
    let plan = &report["packages"][0];
    assert_eq!(plan["expired"][0]["file"], "fix-two.patch", "{plan}");
    assert!(!repo.root.join("demo/fix-two.patch").exists());
    assert!(repo.root.join("demo/build.patch").exists());
    let after = fs::read_to_string(&yaml).unwrap();
    // Only the lines that had to change: the version, the epoch, the pin, the patch list (and
    // the note where the patch was).
    let commit_1_1 = commit_1_1.trim();
    let note = format!(
        "  # mindelta expire: dropped fix-two.patch (upstream 1.1_p1, patch-id: identical change in upstream commit {} (V_1_1_P1); content: the hunk is in 1.1_p1) 2026-11-27\n",
        &commit_1_1[..12]
    );
    let expected = before
        .replace("version: \"1.0_p1\"", "version: \"1.1_p1\"")
        .replace("epoch: 3", "epoch: 0")
        .replace(&repo.commit_1_0, commit_1_1)
        .replace(
            "  - uses: patch\n    with:\n      patches: fix-two.patch \\\n        build.patch\n",
            &format!("{note}  - uses: patch\n    with:\n      patches:\n        build.patch\n"),
        );
    assert_eq!(after, expected);
    // The repository reads back and prepares at the new version.
    let out = repo.root.parent().unwrap().join("out");
    let prepared = mindelta(&repo.cache)
        .arg("--workspace")
        .arg(&repo.root)
        .args(["prepare", "demo", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(prepared.status.success(), "{prepared:?}");
    assert_eq!(
        fs::read_to_string(out.join("greeting.txt")).unwrap(),
        "one\nTWO\nthree\n"
    );
    // No journal is left behind.
    assert!(
        fs::read_dir(repo.root.join(".mindelta/journal"))
            .map(|d| d
                .flatten()
                .all(|e| !e.file_name().to_string_lossy().ends_with(".json")))
            .unwrap_or(true)
    );
}

/// A `patch` step that reads a `series:` file of the package folder: `expire` makes the dropped
/// patch's line a comment there (melange skips `#` lines), keeps every other byte of the series
/// and of the YAML's step, and deletes the patch file; the repository reads back.
#[test]
fn expire_edits_a_series_file_in_place() {
    let repo = repository();
    let yaml = repo.root.join("demo.yaml");
    let text = fs::read_to_string(&yaml).unwrap().replace(
        "      patches: fix-two.patch \\\n        build.patch\n",
        "      series: demo.series\n",
    );
    fs::write(&yaml, &text).unwrap();
    let series = repo.root.join("demo/demo.series");
    fs::write(
        &series,
        "# applied in order\nfix-two.patch\n\nbuild.patch\n",
    )
    .unwrap();
    let output = mindelta(&repo.cache)
        .env("SOURCE_DATE_EPOCH", "1795780800")
        .arg("--workspace")
        .arg(&repo.root)
        .args(["expire", "demo", "--release", "1.1_p1", "--format", "json"])
        .output()
        .unwrap();
    let report = json(&output);
    assert_eq!(report["packages"][0]["expired"][0]["file"], "fix-two.patch");
    assert!(!repo.root.join("demo/fix-two.patch").exists());
    let after = fs::read_to_string(&series).unwrap();
    let lines: Vec<&str> = after.lines().collect();
    assert_eq!(lines.len(), 4, "{after}");
    assert_eq!(lines[0], "# applied in order");
    assert!(
        lines[1].starts_with("# mindelta expire: dropped fix-two.patch (upstream 1.1_p1, "),
        "{after}"
    );
    assert_eq!(&lines[2..], ["", "build.patch"]);
    // The step still reads the series; only the version lines of the YAML moved.
    let yaml_after = fs::read_to_string(&yaml).unwrap();
    assert!(
        yaml_after.contains("      series: demo.series\n"),
        "{yaml_after}"
    );
    assert!(!yaml_after.contains("mindelta expire"), "{yaml_after}");
    let listed = mindelta(&repo.cache)
        .arg("--workspace")
        .arg(&repo.root)
        .args(["list", "--format", "json"])
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert!(
        listed.contains("build.patch") && !listed.contains("fix-two.patch"),
        "{listed}"
    );
}

#[test]
fn a_package_yaml_commit_pin_means_what_expected_commit_means() {
    let repo = repository();
    let upstream = repo.root.parent().unwrap().join("upstream");
    let commit_1_1 = GitRepo::new(&upstream)
        .git(&["rev-parse", "V_1_1_P1^{commit}"])
        .trim()
        .to_string();
    let workspace = repo.root.parent().unwrap().join("ws");
    let folder = workspace.join("patches/demo");
    fs::create_dir_all(&folder).unwrap();
    fs::write(folder.join("fix-two.patch"), FIX).unwrap();
    fs::write(folder.join("build.patch"), BUILD).unwrap();
    let manifest = |commit: &str| {
        format!(
            "upstream:\n  version: \"1_0\"\n  git: {}\n  tag: \"V_{{version}}_P1\"\n  commit: \"{commit}\"\npatches:\n  - file: fix-two.patch\n  - file: build.patch\n",
            upstream.display()
        )
    };
    let prepare = |out: &str| {
        mindelta(&repo.cache)
            .arg("--workspace")
            .arg(&workspace)
            .args(["prepare", "demo", "--out"])
            .arg(workspace.parent().unwrap().join(out))
            .output()
            .unwrap()
    };
    fs::write(folder.join("package.yaml"), manifest(&"f".repeat(40))).unwrap();
    let refused = prepare("refused");
    assert_eq!(refused.status.code(), Some(6), "{refused:?}");
    fs::write(folder.join("package.yaml"), manifest(&repo.commit_1_0)).unwrap();
    let prepared = prepare("out");
    assert!(prepared.status.success(), "{prepared:?}");

    // `expire` moves the pin with the version.
    let expired = mindelta(&repo.cache)
        .arg("--workspace")
        .arg(&workspace)
        .args(["expire", "demo", "--release", "1_1"])
        .output()
        .unwrap();
    assert!(expired.status.success(), "{expired:?}");
    let text = fs::read_to_string(folder.join("package.yaml")).unwrap();
    assert!(text.contains("  version: \"1_1\"\n"), "{text}");
    assert!(
        text.contains(&format!("  commit: \"{commit_1_1}\"\n")),
        "{text}"
    );
}

#[test]
fn refresh_moves_the_version_and_its_pin() {
    let repo = repository();
    // Without the patch upstream ships in 1.1_p1, the rest moves there as it is.
    let yaml = repo.root.join("demo.yaml");
    let text = fs::read_to_string(&yaml).unwrap();
    fs::write(
        &yaml,
        text.replace(
            "patches: fix-two.patch \\\n        build.patch",
            "patches: build.patch",
        ),
    )
    .unwrap();
    let upstream = repo.root.parent().unwrap().join("upstream");
    let commit_1_1 = GitRepo::new(&upstream)
        .git(&["rev-parse", "V_1_1_P1^{commit}"])
        .trim()
        .to_string();
    let output = mindelta(&repo.cache)
        .arg("--workspace")
        .arg(&repo.root)
        .args(["refresh", "demo", "--release", "1.1_p1"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let after = fs::read_to_string(&yaml).unwrap();
    assert!(
        after.contains("  version: \"1.1_p1\"\n  epoch: 0\n"),
        "{after}"
    );
    assert!(
        after.contains(&format!("expected-commit: {commit_1_1}\n")),
        "{after}"
    );
}

#[test]
fn upgrade_edits_the_package_file_in_place() {
    let repo = repository();
    let yaml = repo.root.join("demo.yaml");
    let before = fs::read_to_string(&yaml).unwrap();
    let upstream = repo.root.parent().unwrap().join("upstream");
    let commit_1_1 = GitRepo::new(&upstream).git(&["rev-parse", "V_1_1_P1^{commit}"]);
    let output = mindelta(&repo.cache)
        .env("SOURCE_DATE_EPOCH", "1795780800")
        .arg("--workspace")
        .arg(&repo.root)
        .args(["upgrade", "demo", "--release", "1.1_p1", "--format", "json"])
        .output()
        .unwrap();
    let report = json(&output);
    let outcomes: Vec<(&str, &str)> = report["packages"][0]["patches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["file"].as_str().unwrap(), p["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("fix-two.patch", "expired"),
            ("build.patch", "kept"),
            ("doc.patch", "kept")
        ],
        "{report}"
    );
    assert!(!repo.root.join("demo/fix-two.patch").exists());
    let after = fs::read_to_string(&yaml).unwrap();
    assert!(after.contains("version: \"1.1_p1\""), "{after}");
    assert!(after.contains("epoch: 0"), "{after}");
    assert!(after.contains(commit_1_1.trim()), "{after}");
    assert!(!after.contains("fix-two.patch \\"), "{after}");
    // Everything else is kept byte for byte.
    assert!(
        after.contains("update:\n  enabled: true\n")
            && before.contains("update:\n  enabled: true\n")
    );
    assert!(!repo.root.join(".mindelta/upgrade/demo").exists());
    let out = repo.root.parent().unwrap().join("out");
    let prepared = mindelta(&repo.cache)
        .arg("--workspace")
        .arg(&repo.root)
        .args(["prepare", "demo", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(prepared.status.success(), "{prepared:?}");
}

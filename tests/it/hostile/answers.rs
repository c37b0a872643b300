//! Silent wrong answers: inputs on which mindelta used to answer with confidence and wrongly.
//! A release that the source cannot provide, a typo in `fixed-in` or a patch file that is not
//! there, and a shrunk patch that would duplicate code upstream already has: each is now an
//! error or a conflict that names what is wrong, and nothing in the workspace changes.

use crate::support;

use std::fs;
use std::path::Path;

use support::cli::{mindelta, numbered, snapshot};
use support::git::GitRepo;

/// Run `mindelta --workspace ROOT ARGS…` with a private cache; (exit code, stdout, stderr).
fn run(root: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let output = mindelta(&root.join("cache"))
        .arg("--workspace")
        .arg(root.join("ws"))
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Write package `name` of the workspace `ROOT/ws`: `upstream` is the manifest's `upstream:`
/// body; `patches` are (file, extra manifest keys, text), the text `None` for a file that is
/// listed but not written.
fn package(root: &Path, name: &str, upstream: &str, patches: &[(&str, &str, Option<&str>)]) {
    let dir = root.join("ws/patches").join(name);
    fs::create_dir_all(&dir).unwrap();
    let mut manifest = format!("upstream:\n{upstream}patches:\n");
    for (file, keys, text) in patches {
        if let Some(text) = text {
            fs::write(dir.join(file), text).unwrap();
        }
        manifest.push_str(&format!("  - file: {file}\n{keys}"));
    }
    fs::write(dir.join("package.yaml"), manifest).unwrap();
}

/// A patch of `f.c` that changes `line 3;` of [`numbered`] content.
const FIX: &str =
    "--- a/f.c\n+++ b/f.c\n@@ -2,3 +2,3 @@\n line 2;\n-line 3;\n+fixed 3;\n line 4;\n";

// ---------------------------------------------------------------------------------------------
// 17. A release the source cannot provide is an error that names the known releases.

/// `bash` on a `dir:` upstream whose path has no `{version}`: the tree is 5.2 and only 5.2.
/// Its one patch declares `fixed-in: ">=9"`, so judging the tree as 9.9.9 expires it.
fn fixed_dir_workspace(root: &Path) {
    let tree = root.join("ws/upstream/bash");
    fs::create_dir_all(&tree).unwrap();
    fs::write(tree.join("f.c"), numbered(10)).unwrap();
    package(
        root,
        "bash",
        "  version: \"5.2\"\n  dir: ../../upstream/bash\n",
        &[("0001-fix.patch", "    fixed-in: \">=9\"\n", Some(FIX))],
    );
}

#[test]
fn a_dir_without_version_provides_only_the_pinned_release() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    fixed_dir_workspace(root);
    let before = snapshot(&root.join("ws"));

    for command in [
        &["check", "bash", "--release", "9.9.9"][..],
        &["expire", "bash", "--release", "9.9.9"],
        &["refresh", "bash", "--release", "9.9.9"],
    ] {
        let (code, stdout, stderr) = run(root, command);
        assert_eq!(code, Some(5), "{command:?}: {stdout}{stderr}");
        assert!(
            stderr.contains("error: no release 9.9.9 of `bash`; known: 5.2"),
            "{command:?}: {stderr}"
        );
        assert!(
            stderr.contains("has no `{version}`, so it holds only the pinned release 5.2"),
            "{command:?}: {stderr}"
        );
        assert!(!stdout.contains("expired"), "{command:?}: {stdout}");
        assert_eq!(
            snapshot(&root.join("ws")),
            before,
            "{command:?} changed files"
        );
    }
    let (_, _, stderr) = run(root, &["check", "bash", "--release", "9.9.9"]);
    assert!(stderr.contains("hint:"), "{stderr}");
    assert!(!stderr.contains("(retryable)"), "{stderr}");

    // The pinned release is judged as before.
    let (code, stdout, stderr) = run(root, &["check", "bash", "--release", "5.2"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("needed"), "{stdout}");
}

#[test]
fn a_dir_template_without_the_release_folder_names_the_known_releases() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    for version in ["1.0", "1.1"] {
        let tree = root.join(format!("ws/upstream/demo-{version}"));
        fs::create_dir_all(&tree).unwrap();
        fs::write(tree.join("f.c"), numbered(10)).unwrap();
    }
    package(
        root,
        "demo",
        "  version: \"1.0\"\n  dir: ../../upstream/demo-{version}\n",
        &[("0001-fix.patch", "", Some(FIX))],
    );
    let before = snapshot(&root.join("ws"));
    for command in [
        &["check", "demo", "--release", "9.9.9"][..],
        &["expire", "demo", "--release", "9.9.9"],
    ] {
        let (code, _, stderr) = run(root, command);
        assert_eq!(code, Some(5), "{command:?}: {stderr}");
        assert!(
            stderr.contains("error: no release 9.9.9 of `demo`; known: 1.1, 1.0"),
            "{command:?}: {stderr}"
        );
        assert!(stderr.contains("demo-9.9.9` does not exist"), "{stderr}");
        assert_eq!(snapshot(&root.join("ws")), before);
    }
}

#[test]
fn a_git_tag_that_does_not_exist_is_a_release_not_found() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    let origin = GitRepo::new(root.join("origin"));
    origin.write("f.c", numbered(10));
    origin.commit("1.0");
    origin.tag("v1.0");
    origin.write("f.c", numbered(12));
    origin.commit("1.1");
    origin.tag("v1.1");
    package(
        root,
        "demo",
        &format!(
            "  version: \"1.0\"\n  git: {}\n",
            root.join("origin").display()
        ),
        &[("0001-fix.patch", "", Some(FIX))],
    );
    let before = snapshot(&root.join("ws"));
    for command in [
        &["check", "demo", "--release", "9.9"][..],
        &["expire", "demo", "--release", "9.9"],
    ] {
        let (code, _, stderr) = run(root, command);
        assert_eq!(code, Some(5), "{command:?}: {stderr}");
        assert!(
            stderr.contains("error: no release 9.9 of `demo`; known: 1.1, 1.0"),
            "{command:?}: {stderr}"
        );
        assert!(stderr.contains("tried v9.9, 9.9"), "{stderr}");
        assert!(!stderr.contains("(retryable)"), "{stderr}");
        assert_eq!(snapshot(&root.join("ws")), before);
    }
}

/// A quilt series of one patch at `ROOT/series`.
fn quilt_series(root: &Path) -> std::path::PathBuf {
    let series = root.join("series");
    fs::create_dir_all(&series).unwrap();
    fs::write(series.join("series"), "0001-fix.patch\n").unwrap();
    fs::write(series.join("0001-fix.patch"), FIX).unwrap();
    series
}

#[test]
fn import_writes_a_version_template_for_a_versioned_folder() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    fs::create_dir_all(root.join("ws")).unwrap();
    let series = quilt_series(root);
    let tree = root.join("vendor/demo-1.3");
    fs::create_dir_all(&tree).unwrap();
    fs::write(tree.join("f.c"), numbered(10)).unwrap();
    let output = mindelta(&root.join("cache"))
        .arg("--workspace")
        .arg(root.join("ws"))
        .args(["import", "quilt"])
        .arg(&series)
        .args(["--name", "demo", "--version", "1.3", "--upstream-dir"])
        .arg(&tree)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(!String::from_utf8_lossy(&output.stderr).contains("warning"));
    assert_eq!(
        dir_upstream(root),
        root.join("vendor/demo-{version}").display().to_string()
    );
    // The next release, beside it, can be judged.
    let next = root.join("vendor/demo-1.4");
    fs::create_dir_all(&next).unwrap();
    fs::write(next.join("f.c"), numbered(10)).unwrap();
    let (code, stdout, stderr) = run(root, &["check", "demo", "--release", "1.4"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("demo 1.3 -> 1.4"), "{stdout}");
}

/// The `dir:` the imported package `demo` was given.
fn dir_upstream(root: &Path) -> String {
    let manifest =
        mindelta::workspace::Manifest::load(&root.join("ws/patches/demo/package.yaml")).unwrap();
    match manifest.upstream.source {
        mindelta::workspace::UpstreamSource::Dir { path } => path,
        other => panic!("not a dir upstream: {other:?}"),
    }
}

#[test]
fn import_says_why_a_folder_cannot_be_a_version_template() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    fs::create_dir_all(root.join("ws")).unwrap();
    let series = quilt_series(root);
    let tree = root.join("vendor/src");
    fs::create_dir_all(&tree).unwrap();
    let output = mindelta(&root.join("cache"))
        .arg("--workspace")
        .arg(root.join("ws"))
        .args(["import", "quilt"])
        .arg(&series)
        .args(["--name", "demo", "--version", "1.3", "--upstream-dir"])
        .arg(&tree)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("does not name the version 1.3")
            && stderr.contains("only 1.3 can be judged"),
        "{stderr}"
    );
    assert!(stderr.contains("{version}"), "{stderr}");
    assert_eq!(dir_upstream(root), tree.display().to_string());
}

// ---------------------------------------------------------------------------------------------
// 18. A typo in `fixed-in` and a listed patch file that is not there are manifest errors.

/// `good` and `bad` on one `dir:` upstream; `bad`'s one patch has `keys` (line 5 of its
/// manifest is the entry, line 6 the first key) and its file written or not.
fn typo_workspace(root: &Path, keys: &str, written: bool) {
    for version in ["1.0", "1.1"] {
        let tree = root.join(format!("ws/upstream/demo-{version}"));
        fs::create_dir_all(&tree).unwrap();
        fs::write(tree.join("f.c"), numbered(10)).unwrap();
    }
    let upstream = "  version: \"1.0\"\n  dir: ../../upstream/demo-{version}\n";
    package(root, "good", upstream, &[("0001-fix.patch", "", Some(FIX))]);
    package(
        root,
        "bad",
        upstream,
        &[("0001-fix.patch", keys, written.then_some(FIX))],
    );
}

/// Every command that reads the package `bad`, each stopping with exit 1.
fn commands_on_bad(root: &Path) -> Vec<Vec<String>> {
    let out = root.join("out").display().to_string();
    let export = root.join("export").display().to_string();
    [
        vec!["list"],
        vec!["list", "bad"],
        vec!["check", "--release", "1.1", "--offline"],
        vec!["check", "bad", "--release", "1.1"],
        vec!["audit"],
        vec!["prepare", "bad", "--out", &out],
        vec!["expire", "bad", "--release", "1.1"],
        vec!["refresh", "bad", "--release", "1.1"],
        vec!["export", "quilt", "bad", "--out", &export],
    ]
    .into_iter()
    .map(|args| args.into_iter().map(str::to_owned).collect())
    .collect()
}

/// Each command exits 1 with `wanted` in its message (file and line included), prints the
/// good package where it reads the whole workspace, and changes nothing.
fn assert_manifest_error(root: &Path, wanted: &[&str]) {
    let before = snapshot(&root.join("ws"));
    for command in commands_on_bad(root) {
        let args: Vec<&str> = command.iter().map(String::as_str).collect();
        let (code, stdout, stderr) = run(root, &args);
        assert_eq!(code, Some(1), "{args:?}: {stdout}{stderr}");
        assert!(
            stderr.contains("patches/bad/package.yaml` line 6"),
            "{args:?}: {stderr}"
        );
        for text in wanted {
            assert!(stderr.contains(text), "{args:?}: `{text}` in {stderr}");
        }
        if args.len() == 1 || args[1] == "--release" {
            // A batch command reports the bad package and goes on with the others.
            assert!(stdout.contains("good"), "{args:?}: {stdout}");
        }
        assert!(!root.join("out").exists(), "{args:?}");
        assert!(!root.join("export").exists(), "{args:?}");
        assert_eq!(snapshot(&root.join("ws")), before, "{args:?} changed files");
    }
}

#[test]
fn a_fixed_in_that_is_no_version_is_a_manifest_error() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    typo_workspace(root, "    fixed-in: \"banana\"\n", true);
    assert_manifest_error(
        root,
        &[
            "`fixed-in` `banana`",
            "is not a version",
            "hint:",
            "`>=1.3.1`",
        ],
    );
}

#[test]
fn a_misspelt_operator_in_fixed_in_names_the_right_spelling() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    typo_workspace(root, "    fixed-in: \"=>1.1\"\n", true);
    assert_manifest_error(
        root,
        &[
            "`fixed-in` `=>1.1`",
            "unknown operator `=>`",
            "write `>=1.1`",
        ],
    );
}

#[test]
fn a_listed_patch_file_that_does_not_exist_is_a_manifest_error() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    typo_workspace(root, "    reason: test\n", false);
    // The entry's line is 5; its file is missing.
    let before = snapshot(&root.join("ws"));
    let (code, stdout, stderr) = run(root, &["check", "bad", "--release", "1.1"]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains("patches/bad/package.yaml` line 5"),
        "{stderr}"
    );
    assert!(
        stderr.contains("patch file `0001-fix.patch` does not exist"),
        "{stderr}"
    );
    assert!(stderr.contains("hint:"), "{stderr}");
    assert!(!stdout.contains("unknown"), "{stdout}");
    let (code, stdout, stderr) = run(root, &["list"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stdout.contains("good"), "{stdout}");
    assert!(stderr.contains("does not exist"), "{stderr}");
    assert_eq!(snapshot(&root.join("ws")), before);
}

#[test]
fn a_misspelt_patch_file_name_suggests_the_file_that_is_there() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    typo_workspace(root, "", false);
    fs::write(root.join("ws/patches/bad/0001-fix.diff"), FIX).unwrap();
    let (code, _, stderr) = run(root, &["list", "bad"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("did you mean `0001-fix.diff`"), "{stderr}");
}

// ---------------------------------------------------------------------------------------------
// 19. A shrunk patch must not add back what the release already has.

/// Three definitions the patch moves from after `line 5;` to after `line 25;`.
const DEFINITIONS: &str =
    "int alpha(void) { return 1; }\nint beta(void) { return 2; }\nint gamma(void) { return 3; }\n";

/// `numbered(30)` with [`DEFINITIONS`] after line `after`.
fn with_definitions(after: usize) -> String {
    let mut text = String::new();
    for n in 1..=30 {
        text.push_str(&format!("line {n};\n"));
        if n == after {
            text.push_str(DEFINITIONS);
        }
    }
    text
}

/// The patch, against `with_definitions(5)`: the block removed after line 5 (hunk 1), added
/// after line 25 (hunk 2).
fn moving_patch() -> String {
    let removed: String = DEFINITIONS.lines().map(|l| format!("-{l}\n")).collect();
    let added: String = DEFINITIONS.lines().map(|l| format!("+{l}\n")).collect();
    format!(
        "Description: move the helpers below the table\n---\n--- a/f.c\n+++ b/f.c\n@@ -3,9 +3,6 @@\n line 3;\n line 4;\n line 5;\n{removed} line 6;\n line 7;\n line 8;\n@@ -26,6 +23,9 @@\n line 23;\n line 24;\n line 25;\n{added} line 26;\n line 27;\n line 28;\n"
    )
}

#[test]
fn a_shrunk_patch_that_would_duplicate_moved_code_is_a_conflict() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    // Release 2.0 moved the helpers too, below line 15: the patch's removal is in 2.0, and its
    // addition still applies below line 25 — where it would define them a second time.
    for (version, content) in [("1.0", with_definitions(5)), ("2.0", with_definitions(15))] {
        let tree = root.join(format!("ws/upstream/demo-{version}"));
        fs::create_dir_all(&tree).unwrap();
        fs::write(tree.join("f.c"), content).unwrap();
    }
    let patch = moving_patch();
    package(
        root,
        "demo",
        "  version: \"1.0\"\n  dir: ../../upstream/demo-{version}\n",
        &[("0001-move.patch", "    reason: test\n", Some(&patch))],
    );
    // The patch is sound on its own release.
    let (code, stdout, stderr) = run(root, &["check", "demo", "--release", "1.0"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("needed"), "{stdout}");

    let before = snapshot(&root.join("ws"));
    let (code, stdout, stderr) = run(
        root,
        &["check", "demo", "--release", "2.0", "--format", "json"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let verdict = &report["packages"][0]["patches"][0];
    assert_eq!(verdict["verdict"], "conflict", "{verdict}");
    let content = verdict["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["detector"] == "content")
        .unwrap();
    let detail = content["detail"].as_str().unwrap();
    assert!(
        detail.contains("hunk 2 of `f.c` adds lines that 2.0 already has at line 16"),
        "{detail}"
    );

    for command in [
        &["expire", "demo", "--release", "2.0"][..],
        &["refresh", "demo", "--release", "2.0"],
        &["expire", "demo", "--release", "2.0", "--fuzz", "2"],
    ] {
        let (code, stdout, stderr) = run(root, command);
        assert_eq!(code, Some(3), "{command:?}: {stdout}{stderr}");
        assert!(stdout.contains("0001-move.patch"), "{command:?}: {stdout}");
        assert!(
            stdout.contains("already has at line 16"),
            "{command:?}: {stdout}"
        );
        assert!(!stdout.contains("shrunk"), "{command:?}: {stdout}");
        assert_eq!(
            snapshot(&root.join("ws")),
            before,
            "{command:?} changed files"
        );
    }
}

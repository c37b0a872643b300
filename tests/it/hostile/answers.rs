//! Silent wrong answers: inputs on which mindelta used to answer with confidence and wrongly.
//! A release that the source cannot provide, a typo in `fixed-in` or a patch file that is not
//! there, and a shrunk patch that would duplicate code upstream already has: each is now an
//! error or a conflict that names what is wrong, and nothing in the workspace changes.

use crate::support;

use std::fs;
use std::path::Path;

use support::cli::{mindelta, numbered, snapshot};

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


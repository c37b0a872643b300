//! End-to-end tests of `mindelta refresh`: unchanged patches stay byte-identical, moved hunks
//! get new line numbers and apply with zero offset (judged by GNU `patch` and `git apply`),
//! conflicts leave everything untouched.

use crate::support;

use support::cli::{applies_exactly, mindelta, numbered, snapshot};

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use support::git::GitRepo;

/// A format-patch mail changing two far-apart lines of `f.c` (1.0 has `numbered(40)`).
fn mail() -> String {
    let temp = tempfile::tempdir().unwrap();
    let repo = GitRepo::new(temp.path().join("repo"));
    repo.write("f.c", numbered(40));
    repo.commit("base");
    repo.write(
        "f.c",
        numbered(40)
            .replace("line 5;\n", "five;\n")
            .replace("line 30;\n", "thirty;\n"),
    );
    repo.commit("Change two lines");
    repo.git(&["format-patch", "-1", "--stdout"])
}

/// A package `demo` with a git upstream (tags v1.0, v2.0) and one format-patch mail.
fn git_workspace(root: &Path, v2: &str) -> PathBuf {
    let repo = GitRepo::new(root.join("upstream"));
    repo.write("f.c", numbered(40));
    repo.commit("release 1.0");
    repo.tag("v1.0");
    repo.write("f.c", v2);
    repo.commit("release 2.0");
    repo.tag("v2.0");
    let dir = root.join("ws/patches/demo");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("0001-change.patch"), mail()).unwrap();
    fs::write(
        dir.join("package.yaml"),
        "upstream:\n  # the pinned release\n  version: \"1.0\"\n  git: ../../../upstream\npatches:\n  - file: 0001-change.patch\n",
    )
    .unwrap();
    dir
}

#[test]
fn an_unchanged_series_stays_byte_identical() {
    let temp = tempfile::tempdir().unwrap();
    let dir = git_workspace(temp.path(), &format!("{}more;\n", numbered(40)));
    let before = snapshot(&temp.path().join("ws"));
    let output = mindelta(&temp.path().join("cache"))
        .args(["--workspace"])
        .arg(temp.path().join("ws"))
        .args(["refresh", "demo", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["packages"][0]["patches"][0]["outcome"], "unchanged");
    assert_eq!(snapshot(&temp.path().join("ws")), before);
    // Onto 2.0, which only appended a line: same bytes, only the version moves.
    let patch = fs::read(dir.join("0001-change.patch")).unwrap();
    let output = mindelta(&temp.path().join("cache"))
        .args(["--workspace"])
        .arg(temp.path().join("ws"))
        .args(["refresh", "demo", "--release", "2.0"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(fs::read(dir.join("0001-change.patch")).unwrap(), patch);
    let manifest = fs::read_to_string(dir.join("package.yaml")).unwrap();
    assert_eq!(
        manifest,
        "upstream:\n  # the pinned release\n  version: \"2.0\"\n  git: ../../../upstream\npatches:\n  - file: 0001-change.patch\n"
    );
}

#[test]
fn moved_hunks_get_new_line_numbers_and_apply_with_zero_offset() {
    let temp = tempfile::tempdir().unwrap();
    let v2 = format!("new 1;\nnew 2;\nnew 3;\n{}", numbered(40))
        .replace("line 20;\n", "line 20;\ninserted;\n");
    let dir = git_workspace(temp.path(), &v2);
    let before = fs::read_to_string(dir.join("0001-change.patch")).unwrap();
    let output = mindelta(&temp.path().join("cache"))
        .args(["--workspace"])
        .arg(temp.path().join("ws"))
        .args(["refresh", "demo", "--release", "2.0", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let patch = &report["packages"][0]["patches"][0];
    assert_eq!(patch["outcome"], "refreshed");
    assert_eq!(patch["hunks"][0]["fate"], "moved");
    assert_eq!(patch["hunks"][0]["to"], 5);
    assert_eq!(patch["hunks"][1]["to"], 31);

    let after = fs::read_to_string(dir.join("0001-change.patch")).unwrap();
    // The mail header (From, Date, Subject, diffstat) is kept verbatim.
    let header = before.find("diff --git").unwrap();
    assert_eq!(after[..header], before[..header]);
    assert!(after.contains("@@ -5,7 +5,7 @@"), "{after}");
    assert!(after.contains("@@ -31,7 +31,7 @@"), "{after}");
    assert!(after.ends_with(&before[before.rfind("-- \n").unwrap()..]));
    // Check the result against V's tree.
    let tree = temp.path().join("v2");
    fs::create_dir_all(&tree).unwrap();
    fs::write(tree.join("f.c"), &v2).unwrap();
    applies_exactly(&tree, &dir.join("0001-change.patch"));
    // The index line names V's blob, as git would.
    let blob = Process::new("git")
        .args(["hash-object", "f.c"])
        .current_dir(&tree)
        .output()
        .unwrap();
    let blob = String::from_utf8_lossy(&blob.stdout).trim().to_string();
    assert!(
        after.contains(&format!("index {}..", &blob[..7])),
        "{after}"
    );
    // A second refresh finds nothing to do.
    let again = fs::read(dir.join("0001-change.patch")).unwrap();
    let output = mindelta(&temp.path().join("cache"))
        .args(["--workspace"])
        .arg(temp.path().join("ws"))
        .args(["refresh", "demo"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(fs::read(dir.join("0001-change.patch")).unwrap(), again);
}

#[test]
fn a_conflict_changes_nothing_and_exits_3() {
    let temp = tempfile::tempdir().unwrap();
    let v2 = numbered(40).replace("line 5;\n", "line five;\n");
    let dir = git_workspace(temp.path(), &v2);
    let before = snapshot(&temp.path().join("ws"));
    let output = mindelta(&temp.path().join("cache"))
        .args(["--workspace"])
        .arg(temp.path().join("ws"))
        .args(["refresh", "demo", "--release", "2.0"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(snapshot(&temp.path().join("ws")), before);
    assert!(dir.join("0001-change.patch").exists());
}

#[test]
fn hello_rebased_onto_1_1_with_fuzz() {
    let temp = tempfile::tempdir().unwrap();
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let root = temp.path().join("ws");
    for part in [
        "patches/hello",
        "examples/upstream/hello-1.0",
        "examples/upstream/hello-1.1",
    ] {
        fs::create_dir_all(root.join(part)).unwrap();
        for entry in fs::read_dir(source.join(part)).unwrap() {
            let entry = entry.unwrap();
            fs::copy(entry.path(), root.join(part).join(entry.file_name())).unwrap();
        }
    }
    let dir = root.join("patches/hello");
    let first = fs::read(dir.join("0001-fix-name-overflow.patch")).unwrap();
    let output = mindelta(&temp.path().join("cache"))
        .args(["--workspace"])
        .arg(&root)
        .args([
            "refresh",
            "hello",
            "--release",
            "1.1",
            "--fuzz",
            "1",
            "--offline",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // 0001 is upstream in 1.1: reported, left for `expire`.
    assert!(
        stdout.contains("expired    0001-fix-name-overflow.patch"),
        "{stdout}"
    );
    assert_eq!(
        fs::read(dir.join("0001-fix-name-overflow.patch")).unwrap(),
        first
    );
    assert!(
        stdout.contains("refreshed  0002-greeting-from-environment.patch"),
        "{stdout}"
    );
    assert!(
        stdout.contains("unchanged  0003-install-to-usr.patch"),
        "{stdout}"
    );
    let tree = root.join("examples/upstream/hello-1.1");
    applies_exactly(&tree, &dir.join("0002-greeting-from-environment.patch"));
}

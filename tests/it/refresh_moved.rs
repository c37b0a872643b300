//! End-to-end test of `mindelta refresh` following a file that upstream moved: the patches are
//! rewritten to the new path (their hunks re-placed, their headers and other files kept), a
//! later patch of the series sees the file at its new path with the earlier one applied, and
//! the refreshed series applies to the release (judged by GNU `patch`, `git apply` and
//! `mindelta prepare`).

use crate::support;

use support::cli::{applies_exactly, mindelta, numbered, snapshot};

use std::fs;
use std::path::Path;
use std::process::Command as Process;

use support::git::GitRepo;

/// `src/b.c` in both releases.
const B: &str = "int b(void)\n{\n\treturn 0;\n}\n";

/// 2.0 moved `src/a.c` to `lib/a.c` and added three lines at its top; `docs/a.c` is a file of
/// the same name that holds nothing of the patches.
fn v2() -> String {
    format!("new 1;\nnew 2;\nnew 3;\n{}", numbered(40))
}

/// A format-patch mail changing lines 5 and 30 of `src/a.c`, and `src/b.c`.
fn mail() -> String {
    let temp = tempfile::tempdir().unwrap();
    let repo = GitRepo::new(temp.path().join("repo"));
    repo.write("src/a.c", numbered(40)).write("src/b.c", B);
    repo.commit("base");
    repo.write(
        "src/a.c",
        numbered(40)
            .replace("line 5;\n", "five;\n")
            .replace("line 30;\n", "thirty;\n"),
    )
    .write("src/b.c", B.replace("return 0", "return 1"));
    repo.commit("Change a and b");
    repo.git(&["format-patch", "-1", "--stdout"]) + "\n"
}

/// A quilt patch written over the mail: its context holds the mail's `five;`.
const QUILT: &str = "Description: change line 6\n\
Index: demo/src/a.c\n\
===================================================================\n\
--- demo.orig/src/a.c\t2024-01-01 00:00:00.000000000 +0000\n\
+++ demo/src/a.c\t2024-01-02 00:00:00.000000000 +0000\n\
@@ -3,7 +3,7 @@\n \
line 3;\n \
line 4;\n \
five;\n\
-line 6;\n\
+six;\n \
line 7;\n \
line 8;\n \
line 9;\n";

/// A patch of `src/b.c` only, which upstream left in place.
const OTHER: &str =
    "--- a/src/b.c\n+++ b/src/b.c\n@@ -1,2 +1,2 @@\n-int b(void)\n+int b(int x)\n {\n";

/// A package `demo` with a git upstream (tags v1.0, v2.0) and three patches.
fn workspace(root: &Path) -> std::path::PathBuf {
    let repo = GitRepo::new(root.join("upstream"));
    repo.write("src/a.c", numbered(40)).write("src/b.c", B);
    repo.commit("release 1.0");
    repo.tag("v1.0");
    repo.remove("src/a.c")
        .write("lib/a.c", v2())
        .write("docs/a.c", "an example\n");
    repo.commit("release 2.0");
    repo.tag("v2.0");
    let dir = root.join("ws/patches/demo");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("0001-change.patch"), mail()).unwrap();
    fs::write(dir.join("0002-six.patch"), QUILT).unwrap();
    fs::write(dir.join("0003-other.patch"), OTHER).unwrap();
    fs::write(
        dir.join("package.yaml"),
        "upstream:\n  version: \"1.0\"\n  git: ../../../upstream\npatches:\n  - file: 0001-change.patch\n  - file: 0002-six.patch\n  - file: 0003-other.patch\n",
    )
    .unwrap();
    dir
}

/// Release 2.0's tree in `root/v2` with the package's three patches applied in order by GNU
/// `patch`, each first checked (GNU `patch` and `git apply`) to apply exactly.
fn series_on_v2(root: &Path, dir: &Path) -> std::path::PathBuf {
    let tree = root.join("v2");
    fs::create_dir_all(tree.join("lib")).unwrap();
    fs::create_dir_all(tree.join("src")).unwrap();
    fs::write(tree.join("lib/a.c"), v2()).unwrap();
    fs::write(tree.join("src/b.c"), B).unwrap();
    for patch in ["0001-change.patch", "0002-six.patch", "0003-other.patch"] {
        applies_exactly(&tree, &dir.join(patch));
        let status = Process::new("patch")
            .args(["-p1", "--batch", "--quiet", "-i"])
            .arg(dir.join(patch))
            .current_dir(&tree)
            .status()
            .unwrap();
        assert!(status.success(), "GNU patch failed on {patch}");
    }
    tree
}

#[test]
fn refresh_follows_a_file_upstream_moved_and_the_series_prepares() {
    let temp = tempfile::tempdir().unwrap();
    let dir = workspace(temp.path());
    let ws = temp.path().join("ws");
    let cache = temp.path().join("cache");
    let mail_before = fs::read_to_string(dir.join("0001-change.patch")).unwrap();
    let output = mindelta(&cache)
        .arg("--workspace")
        .arg(&ws)
        .args(["refresh", "demo", "--release", "2.0", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let patches = &report["packages"][0]["patches"];
    assert_eq!(patches[0]["outcome"], "refreshed");
    assert_eq!(
        patches[0]["detail"],
        "2 hunk(s) moved; upstream moved `src/a.c` to `lib/a.c`"
    );
    let hunks = patches[0]["hunks"].as_array().unwrap();
    assert_eq!(hunks.len(), 3);
    for hunk in &hunks[..2] {
        assert_eq!(hunk["file"], "src/a.c");
        assert_eq!(hunk["moved_to"], "lib/a.c");
        assert_eq!(hunk["fate"], "moved");
    }
    assert_eq!(hunks[0]["to"], 5);
    assert_eq!(hunks[1]["to"], 30);
    assert_eq!(hunks[2]["file"], "src/b.c");
    assert!(hunks[2].get("moved_to").is_none(), "{}", hunks[2]);
    assert_eq!(patches[1]["outcome"], "refreshed");
    assert_eq!(patches[1]["hunks"][0]["moved_to"], "lib/a.c");
    assert_eq!(patches[2]["outcome"], "unchanged");

    // The mail: header (with its diffstat) and `src/b.c` kept; `src/a.c` now `lib/a.c`.
    let mail_after = fs::read_to_string(dir.join("0001-change.patch")).unwrap();
    let header = mail_before.find("diff --git").unwrap();
    assert_eq!(mail_after[..header], mail_before[..header]);
    let diffs = &mail_after[header..];
    assert!(
        diffs.starts_with("diff --git a/lib/a.c b/lib/a.c\n"),
        "{diffs}"
    );
    assert!(
        diffs.contains("\n--- a/lib/a.c\n+++ b/lib/a.c\n@@ -5,7 +5,7 @@"),
        "{diffs}"
    );
    assert!(diffs.contains("\n@@ -30,7 +30,7 @@"), "{diffs}");
    assert!(!diffs.contains("src/a.c"), "{diffs}");
    let b_section = &mail_before[mail_before.find("diff --git a/src/b.c").unwrap()..];
    assert!(mail_after.ends_with(b_section), "{mail_after}");
    // The quilt patch: prefixes and timestamps kept, re-placed after the mail's change.
    assert_eq!(
        fs::read_to_string(dir.join("0002-six.patch")).unwrap(),
        QUILT
            .replace("src/a.c", "lib/a.c")
            .replace("@@ -3,7 +3,7 @@", "@@ -6,7 +6,7 @@")
    );
    assert_eq!(
        fs::read_to_string(dir.join("0003-other.patch")).unwrap(),
        OTHER
    );
    let manifest = fs::read_to_string(dir.join("package.yaml")).unwrap();
    assert!(manifest.contains("version: \"2.0\""), "{manifest}");

    // GNU patch and git apply take the series on 2.0, each patch exactly where it says.
    let tree = series_on_v2(temp.path(), &dir);
    let expected = v2()
        .replace("line 5;\n", "five;\n")
        .replace("line 6;\n", "six;\n")
        .replace("line 30;\n", "thirty;\n");
    assert_eq!(fs::read_to_string(tree.join("lib/a.c")).unwrap(), expected);

    // `prepare` builds 2.0 with the refreshed series.
    let out = temp.path().join("out");
    let output = mindelta(&cache)
        .arg("--workspace")
        .arg(&ws)
        .args(["prepare", "demo", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(fs::read_to_string(out.join("lib/a.c")).unwrap(), expected);
    assert_eq!(
        fs::read_to_string(out.join("src/b.c")).unwrap(),
        "int b(int x)\n{\n\treturn 1;\n}\n"
    );
    assert!(!out.join("src/a.c").exists());

    // A second refresh finds the patches in place: nothing changes.
    let before = snapshot(&ws);
    let output = mindelta(&cache)
        .arg("--workspace")
        .arg(&ws)
        .args(["refresh", "demo"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(snapshot(&ws), before);
}

#[test]
fn a_moved_file_without_the_patch_s_lines_conflicts_and_names_the_files_tried() {
    let temp = tempfile::tempdir().unwrap();
    let dir = workspace(temp.path());
    // Only the mail, whose second hunk `lib/a.c` cannot take once line 31 changed.
    let repo = GitRepo::new(temp.path().join("upstream"));
    repo.write("lib/a.c", v2().replace("line 31;\n", "other;\n"));
    repo.commit("release 3.0");
    repo.tag("v3.0");
    fs::write(
        dir.join("package.yaml"),
        "upstream:\n  version: \"1.0\"\n  git: ../../../upstream\npatches:\n  - file: 0001-change.patch\n",
    )
    .unwrap();
    let ws = temp.path().join("ws");
    let before = snapshot(&ws);
    let output = mindelta(&temp.path().join("cache"))
        .arg("--workspace")
        .arg(&ws)
        .args(["refresh", "demo", "--release", "3.0"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(
            "`src/a.c` does not exist; its hunks neither apply nor are upstream in the files of that name tried (`docs/a.c`, `lib/a.c`)"
        ),
        "{stdout}"
    );
    assert_eq!(snapshot(&ws), before);
}

#[test]
fn expire_moves_the_version_and_follows_the_moved_file() {
    let temp = tempfile::tempdir().unwrap();
    let dir = workspace(temp.path());
    let ws = temp.path().join("ws");
    let cache = temp.path().join("cache");
    // `check` sees the move: the mail's hunks apply only in `lib/a.c`, and the quilt patch
    // applies there on top of it (in series order).
    let output = mindelta(&cache)
        .arg("--workspace")
        .arg(&ws)
        .args(["check", "demo", "--release", "2.0", "--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let patches = &report["packages"][0]["patches"];
    assert_eq!(patches[0]["verdict"], "conflict");
    assert_eq!(patches[0]["hunks"][0]["found_in"], "lib/a.c");
    assert_eq!(patches[1]["verdict"], "conflict", "alone it misses `five;`");
    assert_eq!(patches[1]["cumulative"]["verdict"], "conflict");
    assert_eq!(patches[1]["cumulative"]["hunks"][0]["state"], "applied");
    assert_eq!(patches[1]["cumulative"]["hunks"][0]["found_in"], "lib/a.c");

    // `expire` holds neither: refresh rewrites both to the new path, and the version moves.
    let output = mindelta(&cache)
        .arg("--workspace")
        .arg(&ws)
        .args(["expire", "demo", "--release", "2.0"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let mail = fs::read_to_string(dir.join("0001-change.patch")).unwrap();
    assert!(mail.contains("\n--- a/lib/a.c\n+++ b/lib/a.c\n"), "{mail}");
    assert_eq!(
        fs::read_to_string(dir.join("0002-six.patch")).unwrap(),
        QUILT
            .replace("src/a.c", "lib/a.c")
            .replace("@@ -3,7 +3,7 @@", "@@ -6,7 +6,7 @@")
    );
    let manifest = fs::read_to_string(dir.join("package.yaml")).unwrap();
    assert!(manifest.contains("version: \"2.0\""), "{manifest}");
    series_on_v2(temp.path(), &dir);
}

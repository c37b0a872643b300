//! End-to-end tests of `mindelta upgrade` and `mindelta drop`: the real binary on small
//! workspaces with `dir:` upstreams, patches made by `diff -u`, and GNU `patch` and
//! `git apply` judging every carried patch on the new release.

use crate::support;

use support::cli::{applies_exactly, mindelta, numbered, snapshot};

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Output};

/// A workspace with one package `demo`: a `dir:` upstream with one file `f.c` per release,
/// and a series made by `diff -u` from each content to the next (the first is release 1.0).
pub(crate) struct Demo {
    _temp: tempfile::TempDir,
    pub(crate) root: PathBuf,
    cache: PathBuf,
}

impl Demo {
    fn new(releases: &[(&str, &str)], series: &[(&str, &str)]) -> Demo {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path().join("ws");
        for (version, content) in releases {
            let dir = root.join(format!("upstream/demo-{version}"));
            fs::create_dir_all(&dir).unwrap();
            fs::write(dir.join("f.c"), content).unwrap();
        }
        let dir = root.join("patches/demo");
        fs::create_dir_all(&dir).unwrap();
        let mut manifest = String::from(
            "# demo: a test package\nupstream:\n  version: \"1.0\"  # pinned\n  dir: ../../upstream/demo-{version}\npatches:\n",
        );
        let mut before = releases[0].1.to_string();
        for (name, after) in series {
            let patch = format!("Subject: {name}\n\n{}", unified(&before, after));
            fs::write(dir.join(name), patch).unwrap();
            manifest.push_str(&format!("  - file: {name}\n"));
            before = after.to_string();
        }
        fs::write(dir.join("package.yaml"), manifest).unwrap();
        Demo {
            cache: temp.path().join("cache"),
            _temp: temp,
            root,
        }
    }

    pub(crate) fn run(&self, args: &[&str]) -> Output {
        mindelta(&self.cache)
            .env("MINDELTA_NOW", "2026-12-07")
            .arg("--workspace")
            .arg(&self.root)
            .args(args)
            .output()
            .unwrap()
    }

    pub(crate) fn package(&self) -> PathBuf {
        self.root.join("patches/demo")
    }

    pub(crate) fn manifest(&self) -> String {
        fs::read_to_string(self.package().join("package.yaml")).unwrap()
    }

    pub(crate) fn work_tree(&self) -> PathBuf {
        self.root.join(".mindelta/upgrade/demo/tree")
    }

    /// Every file of the workspace but mindelta's state and the upstream releases.
    pub(crate) fn files(&self) -> std::collections::BTreeMap<PathBuf, String> {
        snapshot(&self.package())
    }
}

/// `diff -u` of two contents, as `a/f.c` and `b/f.c`.
fn unified(before: &str, after: &str) -> String {
    let temp = tempfile::tempdir().unwrap();
    fs::write(temp.path().join("a"), before).unwrap();
    fs::write(temp.path().join("b"), after).unwrap();
    let output = Command::new("diff")
        .args(["-u", "--label", "a/f.c", "--label", "b/f.c", "a", "b"])
        .current_dir(temp.path())
        .output()
        .unwrap();
    String::from_utf8(output.stdout).unwrap()
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `content` with line `n` (1-based) replaced.
fn with_line(content: &str, n: usize, text: &str) -> String {
    let mut lines: Vec<String> = content.lines().map(|l| format!("{l}\n")).collect();
    lines[n - 1] = format!("{text}\n");
    lines.concat()
}

/// The four-patch series of most tests, on 40 numbered lines:
/// - `0001-fix25`: 2.0 has it (expired by `content`);
/// - `0002-twelve`: 2.0 changed its context (line 10): merged cleanly three ways;
/// - `0003-five`: 2.0 changed the same line otherwise: a real conflict;
/// - `0004-thirtyfive`: applies with an offset (2.0 has two new lines at the top): refreshed.
pub(crate) fn four_patches() -> Demo {
    let v1 = numbered(40);
    let mut v2 = with_line(&v1, 10, "upstream 10;");
    v2 = with_line(&v2, 25, "fixed 25;");
    v2 = with_line(&v2, 5, "theirs 5;");
    let v2 = format!("new a;\nnew b;\n{v2}");
    let p1 = with_line(&v1, 25, "fixed 25;");
    let p2 = with_line(&p1, 12, "ours 12;");
    let p3 = with_line(&p2, 5, "ours 5;");
    let p4 = with_line(&p3, 35, "ours 35;");
    Demo::new(
        &[("1.0", &v1), ("2.0", &v2)],
        &[
            ("0001-fix25.patch", &p1),
            ("0002-twelve.patch", &p2),
            ("0003-five.patch", &p3),
            ("0004-thirtyfive.patch", &p4),
        ],
    )
}

/// Apply the package's series to a copy of release `version` with GNU patch (each patch
/// checked first to apply exactly, also by `git apply`); the resulting `f.c`.
fn apply_series(demo: &Demo, version: &str) -> String {
    let tree = demo.root.join(format!("applied-{version}"));
    let _ = fs::remove_dir_all(&tree);
    support::cli::copy_tree(&demo.root.join(format!("upstream/demo-{version}")), &tree);
    let manifest = demo.manifest();
    let series = manifest.split("expired:").next().unwrap();
    for file in series.lines().filter_map(|l| l.strip_prefix("  - file: ")) {
        let patch = demo.package().join(file);
        applies_exactly(&tree, &patch);
        let status = Command::new("patch")
            .args(["-p1", "--batch", "-s", "-i"])
            .arg(&patch)
            .current_dir(&tree)
            .status()
            .unwrap();
        assert!(status.success(), "{file}");
    }
    fs::read_to_string(tree.join("f.c")).unwrap()
}

#[test]
fn a_conflict_stops_and_continue_carries_the_rest() {
    let demo = four_patches();
    let before = demo.files();
    let output = demo.run(&["upgrade", "demo", "--release", "2.0"]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(text.contains("stopped at `0003-five.patch`"), "{text}");
    assert!(text.contains("mindelta upgrade demo --continue"), "{text}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("expired       0001-fix25.patch"),
        "{stdout}"
    );
    assert!(
        stdout.contains("merged        0002-twelve.patch"),
        "{stdout}"
    );
    // Nothing in the package changed yet.
    assert_eq!(demo.files(), before);
    // The work tree: 2.0 with the carried patches, the conflict in diff3 style, labelled.
    let marked = fs::read_to_string(demo.work_tree().join("f.c")).unwrap();
    assert!(marked.contains("ours 12;\n"), "{marked}");
    assert!(
        marked.contains(
            "<<<<<<< 0003-five.patch\nours 5;\n||||||| 1.0\nline 5;\n=======\ntheirs 5;\n>>>>>>> 2.0\n"
        ),
        "{marked}"
    );

    // `list` names the stop; a second run is refused with the way out.
    let listed = demo.run(&["list"]);
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.contains("upgrade to 2.0 stopped at 0003-five.patch"),
        "{listed}"
    );
    let again = demo.run(&["upgrade", "demo", "--release", "2.0"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("--continue"), "{}", stderr(&again));

    // Markers left: refused, nothing changed.
    let refused = demo.run(&["upgrade", "demo", "--continue"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("line 7 still holds a conflict marker"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(demo.files(), before);

    // Resolved by hand: the patch is rewritten from the tree, the rest carried, one commit.
    let resolved = marked.replace(
        "<<<<<<< 0003-five.patch\nours 5;\n||||||| 1.0\nline 5;\n=======\ntheirs 5;\n>>>>>>> 2.0\n",
        "theirs and ours 5;\n",
    );
    fs::write(demo.work_tree().join("f.c"), &resolved).unwrap();
    let output = demo.run(&["upgrade", "demo", "--continue", "--format", "json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let outcomes: Vec<&str> = report["packages"][0]["patches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["expired", "merged", "resolved", "refreshed"]);
    assert_eq!(report["packages"][0]["status"], "finished");
    assert!(!demo.root.join(".mindelta/upgrade").exists());

    let manifest = demo.manifest();
    assert!(
        manifest.contains("  version: \"2.0\"  # pinned\n"),
        "{manifest}"
    );
    assert!(manifest.starts_with("# demo: a test package\n"));
    assert!(
        manifest.contains(
            "expired:\n  - file: 0001-fix25.patch\n    release: \"2.0\"\n    reason: content\n"
        ),
        "{manifest}"
    );
    assert!(!demo.package().join("0001-fix25.patch").exists());
    // Headers kept; every carried patch applies to 2.0 exactly, in order, to the tree the
    // user resolved.
    let third = fs::read_to_string(demo.package().join("0003-five.patch")).unwrap();
    assert!(third.starts_with("Subject: 0003-five.patch\n\n--- a/f.c\n+++ b/f.c\n"));
    let applied = apply_series(&demo, "2.0");
    assert_eq!(applied, with_line(&resolved, 37, "ours 35;"));
}

#[test]
fn skip_drops_the_patch_with_its_reason() {
    let demo = four_patches();
    let output = demo.run(&["upgrade", "demo", "--release", "2.0"]);
    assert_eq!(output.status.code(), Some(3));
    // Not on a terminal, a reason must be given.
    let refused = demo.run(&["upgrade", "demo", "--skip"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("--reason"),
        "{}",
        stderr(&refused)
    );
    let output = demo.run(&[
        "upgrade",
        "demo",
        "--skip",
        "--reason",
        "2.0 reworked the fifth line",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!demo.package().join("0003-five.patch").exists());
    let manifest = demo.manifest();
    assert!(
        manifest.contains("  - file: 0003-five.patch\n    release: \"2.0\"\n    reason: dropped\n    evidence: \"2.0 reworked the fifth line\"\n    date: 2026-12-07\n"),
        "{manifest}"
    );
    assert!(!manifest.contains("  - file: 0003-five.patch\n  -"));
    let applied = apply_series(&demo, "2.0");
    assert!(applied.contains("theirs 5;\n") && applied.contains("ours 12;\n"));
}

#[test]
fn abort_leaves_the_package_exactly_as_it_was() {
    let demo = four_patches();
    let before = demo.files();
    let output = demo.run(&["upgrade", "demo", "--release", "2.0"]);
    assert_eq!(output.status.code(), Some(3));
    let output = demo.run(&["upgrade", "demo", "--abort"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(demo.files(), before);
    assert!(!demo.root.join(".mindelta/upgrade").exists());
    // Nothing left to go on with.
    let output = demo.run(&["upgrade", "demo", "--continue"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("no unfinished upgrade"));
}

#[test]
fn continuing_with_nothing_of_the_patch_left_asks_for_skip() {
    let demo = four_patches();
    let output = demo.run(&["upgrade", "demo", "--release", "2.0"]);
    assert_eq!(output.status.code(), Some(3));
    // Resolved to 2.0's side: nothing of the patch is left; like `git rebase --continue`
    // with nothing staged, that is refused with the way out.
    let path = demo.work_tree().join("f.c");
    let marked = fs::read_to_string(&path).unwrap();
    let start = marked.find("<<<<<<<").unwrap();
    let end = marked.find(">>>>>>> 2.0\n").unwrap() + ">>>>>>> 2.0\n".len();
    fs::write(
        &path,
        format!("{}theirs 5;\n{}", &marked[..start], &marked[end..]),
    )
    .unwrap();
    let output = demo.run(&["upgrade", "demo", "--continue"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("--skip --reason"),
        "{}",
        stderr(&output)
    );
    assert!(demo.root.join(".mindelta/upgrade/demo/state.json").exists());
}

#[test]
fn no_stop_carries_what_it_can_and_leaves_conflicts_untouched() {
    let demo = four_patches();
    let third = fs::read(demo.package().join("0003-five.patch")).unwrap();
    let output = demo.run(&["upgrade", "demo", "--release", "2.0", "--no-stop"]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(stderr(&output).contains("1 conflicting patch(es) left untouched"));
    let manifest = demo.manifest();
    assert!(manifest.contains("  version: \"2.0\""), "{manifest}");
    assert!(manifest.contains("  - file: 0003-five.patch\n"));
    assert_eq!(
        fs::read(demo.package().join("0003-five.patch")).unwrap(),
        third
    );
    assert!(!demo.root.join(".mindelta/upgrade").exists());
    // The carried ones apply exactly.
    let tree = demo.root.join("check");
    support::cli::copy_tree(&demo.root.join("upstream/demo-2.0"), &tree);
    for file in ["0002-twelve.patch", "0004-thirtyfive.patch"] {
        applies_exactly(&tree, &demo.package().join(file));
    }
}

/// A conflict in JSON names the file, the lines of its markers and the patch's hunks that do
/// not apply to the release, as a bot opening a pull request would list them.
#[test]
fn a_conflict_in_json_names_its_file_markers_and_hunks() {
    let demo = four_patches();
    let output = demo.run(&[
        "upgrade",
        "demo",
        "--release",
        "2.0",
        "--no-stop",
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let conflict = report["packages"][0]["patches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["outcome"] == "conflict")
        .unwrap()
        .clone();
    assert_eq!(conflict["file"], "0003-five.patch", "{conflict}");
    let files = conflict["conflicts"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{conflict}");
    assert_eq!(files[0]["path"], "f.c");
    assert_eq!(files[0]["markers"], serde_json::json!([7]), "{conflict}");
    assert_eq!(
        files[0]["hunks"],
        serde_json::json!([{"number": 1, "header": "@@ -2,7 +2,7 @@"}]),
        "{conflict}"
    );
}

#[test]
fn a_change_upstream_made_with_other_context_expires_as_merged_empty() {
    // The patch closes a block with a lone brace (a trivial hunk: no detector may prove it
    // alone); 2.0 added the same brace and changed a line beside it.
    let v1 = numbered(20);
    let patched = v1.replace("line 10;\n", "line 10;\n}\n");
    let v2 = patched.replace("line 12;\n", "changed 12;\n");
    let demo = Demo::new(
        &[("1.0", &v1), ("2.0", &v2)],
        &[("0001-brace.patch", &patched)],
    );
    let output = demo.run(&["upgrade", "demo", "--release", "2.0", "--format", "json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let patch = &report["packages"][0]["patches"][0];
    assert_eq!(patch["outcome"], "merged-empty", "{report}");
    assert!(!demo.package().join("0001-brace.patch").exists());
    assert!(demo.manifest().contains("    reason: merged-empty\n"));
}

#[test]
fn drop_records_the_reason_and_removes_the_file() {
    let demo = four_patches();
    let output = demo.run(&[
        "drop",
        "demo",
        "0002-twelve.patch",
        "--reason",
        "not needed since the build uses clang",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!demo.package().join("0002-twelve.patch").exists());
    let manifest = demo.manifest();
    assert!(manifest.contains("expired:\n  - file: 0002-twelve.patch\n    release: \"1.0\"\n    reason: dropped\n    evidence: not needed since the build uses clang\n"), "{manifest}");
    let unknown = demo.run(&["drop", "demo", "0009-none.patch", "--reason", "x"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(stderr(&unknown).contains("0001-fix25.patch"));
}

/// The files a finished upgrade of [`four_patches`] leaves (resolved as `resolve` does).
fn resolve(demo: &Demo) {
    let path = demo.work_tree().join("f.c");
    let marked = fs::read_to_string(&path).unwrap();
    let start = marked.find("<<<<<<<").unwrap();
    let end = marked.find(">>>>>>> 2.0\n").unwrap() + ">>>>>>> 2.0\n".len();
    fs::write(
        &path,
        format!("{}both 5;\n{}", &marked[..start], &marked[end..]),
    )
    .unwrap();
}

fn killed_at(demo: &Demo, step: usize, args: &[&str]) -> Output {
    mindelta(&demo.cache)
        .current_dir(demo.root.parent().unwrap())
        .env("MINDELTA_NOW", "2026-12-07")
        .env("MINDELTA_TEST_ABORT_AFTER_STEP", step.to_string())
        .arg("--workspace")
        .arg(&demo.root)
        .args(args)
        .output()
        .unwrap()
}

/// Run the upgrade to its end from whatever a kill left: start (or find the stop), resolve,
/// continue.
fn finish_after_kill(demo: &Demo) {
    let state = demo.root.join(".mindelta/upgrade/demo/state.json");
    if !state.exists() && demo.manifest().contains("version: \"1.0\"") {
        let output = demo.run(&["upgrade", "demo", "--release", "2.0"]);
        assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    }
    if state.exists() {
        if fs::read_to_string(demo.work_tree().join("f.c"))
            .unwrap()
            .contains("<<<<<<<")
        {
            resolve(demo);
        }
        let output = demo.run(&["upgrade", "demo", "--continue"]);
        assert!(
            output.status.success() || stderr(&output).contains("already committed"),
            "{}",
            stderr(&output)
        );
    }
    assert!(!state.exists());
}

#[test]
fn a_kill_at_any_step_is_resumed_to_the_same_result() {
    let reference = four_patches();
    reference.run(&["upgrade", "demo", "--release", "2.0"]);
    resolve(&reference);
    let output = reference.run(&["upgrade", "demo", "--continue"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let expected: Vec<String> = reference.files().into_values().collect();

    // Killed while stopping, then while continuing.
    for phase in ["stop", "continue"] {
        for step in 1.. {
            let demo = four_patches();
            let output = if phase == "stop" {
                killed_at(&demo, step, &["upgrade", "demo", "--release", "2.0"])
            } else {
                let output = demo.run(&["upgrade", "demo", "--release", "2.0"]);
                assert_eq!(output.status.code(), Some(3));
                resolve(&demo);
                killed_at(&demo, step, &["upgrade", "demo", "--continue"])
            };
            let done = output.status.code().is_some();
            if !done {
                finish_after_kill(&demo);
            } else if phase == "stop" {
                assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
                finish_after_kill(&demo);
            } else {
                assert!(output.status.success(), "{}", stderr(&output));
            }
            let files: Vec<String> = demo.files().into_values().collect();
            assert_eq!(files, expected, "{phase} killed at step {step}");
            // No litter beside the work tree or the package, not even the lock.
            let upgrade = demo.root.join(".mindelta/upgrade");
            assert!(
                !upgrade.exists(),
                "{:?}",
                fs::read_dir(&upgrade).map(|d| d.count())
            );
            if done {
                assert!(step > 1, "{phase}: no step was reached");
                break;
            }
            assert!(step < 50, "{phase}: the kill never stopped coming");
        }
    }
}

#[test]
fn audit_names_an_unfinished_upgrade() {
    let demo = four_patches();
    demo.run(&["upgrade", "demo", "--release", "2.0"]);
    let output = demo.run(&["audit", "--offline"]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("demo: upgrade to 2.0 stopped at 0003-five.patch"),
        "{text}"
    );
    let json = demo.run(&["audit", "--offline", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        report["packages"][0]["upgrade"]["stopped_at"],
        "0003-five.patch"
    );
}

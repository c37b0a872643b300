//! Workspaces read in place (a melange repository, a Debian source package) built to attack the
//! readers: YAML bombs, huge files, deep nesting, hostile regular expressions, patch paths and
//! series entries that leave the tree, links out of the repository. Each is refused with a
//! message naming the file and the line (exit 1), nothing is written, and the packages beside a
//! hostile one are still read. Bounds: docs/bounds.md, "Workspaces read in place".

use crate::support;

use std::fs;
use std::path::Path;
use std::process::Output;

use support::cli::mindelta;

fn run(root: &Path, args: &[&str]) -> Output {
    mindelta(&root.join("../cache"))
        .arg("--workspace")
        .arg(root)
        .args(args)
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A melange repository with a harmless package `good` beside the hostile `bad.yaml`.
fn melange(bad: &str) -> tempfile::TempDir {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("os");
    fs::create_dir_all(&root).unwrap();
    fs::write(
        root.join("good.yaml"),
        "package:\n  name: good\n  version: 1.0\npipeline:\n  - runs: true\n",
    )
    .unwrap();
    fs::write(root.join("bad.yaml"), bad).unwrap();
    temp
}

/// `list` reads `good`, refuses `bad` with `message`, and exits 1.
fn refused(temp: &tempfile::TempDir, message: &str) -> String {
    let root = temp.path().join("os");
    let output = run(&root, &["list", "--format", "json"]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("bad.yaml"), "{text}");
    assert!(text.contains(message), "{text}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["packages"][0]["name"], "good", "{report}");
    text
}

#[test]
fn a_billion_laughs_package_file_stops_at_the_yaml_budget() {
    let mut bomb = String::from("package:\n  name: bad\n  version: 1.0\nlol0: &l0 [lol]\n");
    for level in 1..10 {
        let previous = format!("*l{}", level - 1);
        let list = [previous.as_str(); 10].join(", ");
        bomb.push_str(&format!("lol{level}: &l{level} [{list}]\n"));
    }
    bomb.push_str("pipeline:\n  - runs: *l9\n");
    let temp = melange(&bomb);
    refused(&temp, "the YAML is too large or too complex to read safely");
}

#[test]
fn a_huge_package_file_is_refused_unread() {
    let mut text =
        String::from("package:\n  name: bad\n  version: 1.0\npipeline:\n  - runs: true\n");
    let padding = format!("# {}\n", "x".repeat(1022));
    while text.len() <= 4 << 20 {
        text.push_str(&padding);
    }
    let temp = melange(&text);
    refused(&temp, "is larger than 4194304 bytes");
}

#[test]
fn pipelines_nested_beyond_the_bound_are_refused() {
    let mut text = String::from("package:\n  name: bad\n  version: 1.0\npipeline:\n");
    for depth in 0..20 {
        let indent = "  ".repeat(2 * depth + 1);
        text.push_str(&format!("{indent}- pipeline:\n"));
    }
    text.push_str(&format!("{}- runs: true\n", "  ".repeat(41)));
    let temp = melange(&text);
    let message = refused(&temp, "bad.yaml");
    assert!(
        message.contains("pipelines nest deeper than 16 levels")
            || message.contains("the YAML is too large or too complex"),
        "{message}"
    );
}

#[test]
fn a_var_transform_whose_regex_is_too_large_is_refused() {
    let temp = melange(
        "package:\n  name: bad\n  version: 1.0\nvar-transforms:\n  - from: ${{package.version}}\n    match: (((a{100}){100}){100})\n    replace: x\n    to: y\npipeline:\n  - runs: true\n",
    );
    refused(&temp, "line 6");
}

#[test]
fn patch_paths_that_leave_the_build_workspace_are_refused() {
    for path in [
        "../../../etc/passwd",
        "/etc/passwd",
        "${{package.srcdir}}/../x.patch",
    ] {
        let temp = melange(&format!(
            "package:\n  name: bad\n  version: 1.0\npipeline:\n  - uses: patch\n    with:\n      patches: ok.patch {path}\n"
        ));
        let text = refused(&temp, "outside the build workspace `/home/build`");
        assert!(text.contains("line 7"), "{text}");
    }
}

#[test]
fn a_package_folder_linking_out_of_the_repository_is_refused() {
    let temp = melange(
        "package:\n  name: bad\n  version: 1.0\npipeline:\n  - uses: patch\n    with:\n      patches: secret.patch\n",
    );
    let outside = temp.path().join("outside");
    fs::create_dir_all(&outside).unwrap();
    fs::write(
        outside.join("secret.patch"),
        "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(&outside, temp.path().join("os/bad")).unwrap();
    refused(
        &temp,
        "leads outside the repository through a symbolic link",
    );
}

#[test]
fn a_package_file_that_is_a_link_is_not_a_package() {
    let temp = melange("package:\n  name: bad\n  version: 1.0\npipeline:\n  - runs: true\n");
    let root = temp.path().join("os");
    let outside = temp.path().join("elsewhere.yaml");
    fs::write(
        &outside,
        "package:\n  name: linked\n  version: 1.0\npipeline:\n  - runs: true\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(&outside, root.join("linked.yaml")).unwrap();
    let output = run(&root, &["list", "--format", "json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let names: Vec<&str> = report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["bad", "good"]);
}

/// An unpacked Debian source package whose series is `series` (patch `ok.patch` present).
fn debian(series: &str) -> tempfile::TempDir {
    let temp = tempfile::tempdir().unwrap();
    let tree = temp.path().join("os");
    let write = |path: &str, text: &str| {
        let path = tree.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    };
    write(
        "debian/changelog",
        "hello (1.0-1) unstable; urgency=medium\n\n  * x\n\n -- A <a@example.org>  Mon, 01 Jan 2024 00:00:00 +0000\n",
    );
    write("debian/source/format", "3.0 (quilt)\n");
    write(
        "debian/patches/ok.patch",
        "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n",
    );
    write("debian/patches/series", series);
    temp
}

fn debian_refused(temp: &tempfile::TempDir, message: &str) {
    let output = run(&temp.path().join("os"), &["list"]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains(message), "{text}");
}

#[test]
fn series_entries_that_leave_debian_patches_are_refused() {
    for (entry, line) in [
        ("../../../etc/passwd", 2),
        ("/etc/passwd", 2),
        ("a/../../x.patch -p1", 2),
    ] {
        let temp = debian(&format!("ok.patch\n{entry}\n"));
        debian_refused(&temp, &format!("series` line {line}: patch"));
    }
}

#[test]
fn a_series_linking_out_of_the_tree_is_refused() {
    let temp = debian("ok.patch\n");
    let series = temp.path().join("os/debian/patches/series");
    let outside = temp.path().join("outside-series");
    fs::write(&outside, "ok.patch\n").unwrap();
    fs::remove_file(&series).unwrap();
    std::os::unix::fs::symlink(&outside, &series).unwrap();
    debian_refused(
        &temp,
        "leads outside the source tree through a symbolic link",
    );
}

#[test]
fn a_huge_series_is_refused_unread() {
    let series = "ok.patch\n".repeat((1 << 20) / 9 + 1);
    let temp = debian(&series);
    debian_refused(&temp, "is larger than 1048576 bytes");
}

#[test]
fn a_patch_that_is_a_link_is_not_read() {
    let temp = debian("ok.patch\nlinked.patch\n");
    let outside = temp.path().join("secret");
    fs::write(&outside, "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n").unwrap();
    std::os::unix::fs::symlink(&outside, temp.path().join("os/debian/patches/linked.patch"))
        .unwrap();
    fs::write(
        temp.path().join("hello_1.0.orig.tar.gz"),
        support::gzip(&support::tar(&[support::TarEntry::file(
            "hello-1.0/x",
            "a\n",
        )])),
    )
    .unwrap();
    let out = temp.path().join("out");
    let output = run(
        &temp.path().join("os"),
        &["prepare", "hello", "--out", out.to_str().unwrap()],
    );
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("linked.patch"), "{text}");
    assert!(!out.exists());
}

/// Every file under `root` but mindelta's `.mindelta/` (relative path → content).
fn files(root: &Path) -> std::collections::BTreeMap<std::path::PathBuf, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in fs::read_dir(&folder).unwrap().flatten() {
            let path = entry.path();
            if entry.file_name() == ".mindelta" {
                continue;
            }
            if entry.file_type().unwrap().is_dir() {
                stack.push(path);
            } else {
                out.insert(
                    path.strip_prefix(root).unwrap().to_path_buf(),
                    fs::read(&path).unwrap(),
                );
            }
        }
    }
    out
}

/// Kill `expire` after each durable step in turn: the next command (`list`) finds the whole
/// old state or the whole new one, and says which. `make` builds a fresh workspace in a folder
/// and returns its root; `journal` is where the journal of that root lives.
pub(super) fn killed_expire(
    temp: &Path,
    make: &dyn Fn(&Path) -> std::path::PathBuf,
    journal: &dyn Fn(&Path) -> std::path::PathBuf,
    args: &[&str],
    name: &str,
) {
    let cache = temp.join("cache");
    let expire = |root: &Path, step: Option<usize>| {
        let mut command = mindelta(&cache);
        command
            .current_dir(temp)
            .env("SOURCE_DATE_EPOCH", "1795780800")
            .arg("--workspace")
            .arg(root)
            .args(args);
        if let Some(step) = step {
            command.env("MINDELTA_TEST_ABORT_AFTER_STEP", step.to_string());
        }
        command.output().unwrap()
    };
    let reference = make(&temp.join("reference"));
    let old = files(&reference);
    let output = expire(&reference, None);
    assert!(output.status.success(), "{}", stderr(&output));
    let new = files(&reference);
    assert_ne!(old, new);
    let (mut rolled_back, mut finished) = (0, 0);
    for step in 1.. {
        let root = make(&temp.join(format!("ws-{step}")));
        let output = expire(&root, Some(step));
        if output.status.success() {
            assert_eq!(files(&root), new);
            break;
        }
        assert_eq!(
            output.status.code(),
            None,
            "step {step}: killed, not failed: {}",
            stderr(&output)
        );
        let pending = journal(&root).exists();
        let listed = run(&root, &["list"]);
        let text = stderr(&listed);
        assert!(listed.status.success(), "step {step}: {text}");
        let state = files(&root);
        if !pending {
            assert_eq!(state, new, "step {step}");
        } else if state == old {
            rolled_back += 1;
            assert!(
                text.contains(&format!(
                    "`{name}`: an interrupted `expire` was rolled back"
                )),
                "step {step}: {text}"
            );
        } else {
            assert_eq!(state, new, "step {step}: neither the old nor the new state");
            finished += 1;
            assert!(
                text.contains(&format!("`{name}`: an interrupted `expire` was finished")),
                "step {step}: {text}"
            );
        }
        assert!(!journal(&root).exists(), "step {step}: the journal is gone");
    }
    assert!(rolled_back > 0 && finished > 0, "{rolled_back} {finished}");
}

#[test]
fn a_killed_expire_in_a_melange_repository_leaves_the_old_or_the_new_state() {
    let temp = tempfile::tempdir().unwrap();
    let upstream = support::git::GitRepo::new(temp.path().join("upstream"));
    upstream.write("x", "a\n");
    upstream.commit("1.0");
    upstream.tag("v1.0");
    upstream.write("x", "b\n");
    upstream.commit("1.1");
    upstream.tag("v1.1");
    let url = upstream.path().display().to_string();
    let make = |root: &Path| {
        fs::create_dir_all(root.join("demo")).unwrap();
        fs::write(
            root.join("demo.yaml"),
            format!(
                "package:\n  name: demo\n  version: 1.0\n  epoch: 2\npipeline:\n  - uses: git-checkout\n    with:\n      repository: {url}\n      tag: v${{{{package.version}}}}\n  - uses: patch\n    with:\n      patches: fix.patch\n"
            ),
        )
        .unwrap();
        fs::write(
            root.join("demo/fix.patch"),
            "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n",
        )
        .unwrap();
        root.to_path_buf()
    };
    killed_expire(
        temp.path(),
        &make,
        &|root| root.join(".mindelta/journal/demo.json"),
        &["expire", "demo", "--release", "1.1"],
        "demo",
    );
}

#[test]
fn a_killed_expire_that_drops_go_pins_leaves_the_old_or_the_new_state() {
    let temp = tempfile::tempdir().unwrap();
    let upstream = support::git::GitRepo::new(temp.path().join("upstream"));
    let go_mod = |crypto: &str| {
        format!("module example.com/demo\n\ngo 1.22\n\nrequire golang.org/x/crypto {crypto}\n")
    };
    upstream
        .write("x", "a\n")
        .write("go.mod", go_mod("v0.21.0"));
    upstream.commit("1.0");
    upstream.tag("v1.0");
    upstream
        .write("x", "b\n")
        .write("go.mod", go_mod("v0.32.0"));
    upstream.commit("1.1");
    upstream.tag("v1.1");
    let url = upstream.path().display().to_string();
    let bump = "  # CVE-2024-45337\n  - uses: go/bump\n    with:\n      deps: golang.org/x/crypto@v0.31.0\n";
    let make = |root: &Path| {
        fs::create_dir_all(root.join("demo")).unwrap();
        fs::write(
            root.join("demo.yaml"),
            format!(
                "package:\n  name: demo\n  version: 1.0\n  epoch: 2\npipeline:\n  - uses: git-checkout\n    with:\n      repository: {url}\n      tag: v${{{{package.version}}}}\n  - uses: patch\n    with:\n      patches: fix.patch\n{bump}  - runs: go build\n"
            ),
        )
        .unwrap();
        fs::write(
            root.join("demo/fix.patch"),
            "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n",
        )
        .unwrap();
        root.to_path_buf()
    };
    killed_expire(
        temp.path(),
        &make,
        &|root| root.join(".mindelta/journal/demo.json"),
        &["expire", "demo", "--release", "1.1"],
        "demo",
    );
    // The new state is the one without the pin's step.
    let expired = fs::read_to_string(temp.path().join("reference/demo.yaml")).unwrap();
    assert!(!expired.contains(bump), "{expired}");
    assert!(
        expired.contains("  # mindelta expire: dropped golang.org/x/crypto@v0.31.0 from go/bump"),
        "{expired}"
    );
}

#[test]
fn a_killed_expire_in_a_debian_tree_leaves_the_old_or_the_new_state() {
    let temp = tempfile::tempdir().unwrap();
    let make = |folder: &Path| {
        let tree = folder.join("hello-1.0");
        let write = |path: &str, text: &str| {
            let path = tree.join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        };
        write(
            "debian/changelog",
            "hello (1.0-1) unstable; urgency=medium\n\n  * x\n\n -- A <a@example.org>  Mon, 01 Jan 2024 00:00:00 +0000\n",
        );
        write("debian/source/format", "3.0 (quilt)\n");
        write("debian/patches/series", "fix.patch\nkeep.patch\n");
        write(
            "debian/patches/fix.patch",
            "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n",
        );
        write(
            "debian/patches/keep.patch",
            "--- a/y\n+++ b/y\n@@ -1 +1 @@\n-y\n+z\n",
        );
        write("x", "a\n");
        write("y", "y\n");
        for (version, x) in [("1.0", "a\n"), ("1.1", "b\n")] {
            fs::write(
                folder.join(format!("hello_{version}.orig.tar.gz")),
                support::gzip(&support::tar(&[
                    support::TarEntry::file(&format!("hello-{version}/x"), x),
                    support::TarEntry::file(&format!("hello-{version}/y"), "y\n"),
                ])),
            )
            .unwrap();
        }
        tree
    };
    killed_expire(
        temp.path(),
        &make,
        &|tree| {
            tree.parent()
                .unwrap()
                .join(".mindelta/journal/hello-1.0.json")
        },
        &["expire", "hello", "--release", "1.1"],
        // The journal is named after the tree's folder (several trees may share a parent).
        "hello-1.0",
    );
}

/// A melange `series:` file linking out of the repository: never read, never written through
/// (an `expire` that would edit it has nothing to edit), and the package says why.
#[test]
fn a_melange_series_linking_out_of_the_repository_is_refused() {
    let temp = melange(
        "package:\n  name: bad\n  version: 1.0\npipeline:\n  - uses: patch\n    with:\n      series: bad.series\n",
    );
    let outside = temp.path().join("secret.series");
    fs::write(&outside, "a.patch\n").unwrap();
    fs::create_dir_all(temp.path().join("os/bad")).unwrap();
    fs::write(
        temp.path().join("os/bad/a.patch"),
        "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(&outside, temp.path().join("os/bad/bad.series")).unwrap();
    let text = refused(&temp, "bad.series");
    assert!(!text.is_empty());
    assert_eq!(fs::read_to_string(&outside).unwrap(), "a.patch\n");
}

//! Hostile dependency files and pins of melange bump steps (`rust/cargobump`, `maven/pombump`,
//! Wolfi's `bump`): a file over the size bound, one nested past the YAML depth bound, one with
//! ten thousand entries, odd versions, deps-file names that leave the build workspace
//! or the repository, links to another package's file, and a kill in the middle of an
//! `expire` that edits and deletes dependency files. Each is refused or held with a reason
//! (never an expiry, never a crash, never a write outside the package folder), and a kill
//! leaves the whole old state or the whole new one.

use crate::support;

use std::fs;
use std::path::{Path, PathBuf};

use support::cli::mindelta;
use support::git::GitRepo;

/// An upstream at v1.0 and v1.1 whose `Cargo.lock` locks `packages` (the same at both).
fn upstream(dir: &Path, packages: &[(String, String)]) -> GitRepo {
    let repo = GitRepo::new(dir);
    let mut lock = String::from("version = 3\n");
    for (name, version) in packages {
        lock.push_str(&format!(
            "\n[[package]]\nname = \"{name}\"\nversion = \"{version}\"\n"
        ));
    }
    repo.write("Cargo.lock", "version = 3\n").write("x", "a\n");
    repo.commit("1.0");
    repo.tag("v1.0");
    repo.write("Cargo.lock", lock).write("x", "b\n");
    repo.commit("1.1");
    repo.tag("v1.1");
    repo
}

/// A melange repository with package `app` running `steps` after the checkout of `repo`, and
/// `files` in its folder.
fn workspace(root: &Path, repo: &GitRepo, steps: &str, files: &[(&str, &[u8])]) -> PathBuf {
    fs::create_dir_all(root.join("app")).unwrap();
    for (name, bytes) in files {
        fs::write(root.join("app").join(name), bytes).unwrap();
    }
    fs::write(
        root.join("app.yaml"),
        format!(
            "package:\n  name: app\n  version: \"1.0\"\n\npipeline:\n  - uses: git-checkout\n    with:\n      repository: {}\n      tag: v${{{{package.version}}}}\n\n{steps}",
            repo.path().display()
        ),
    )
    .unwrap();
    root.to_path_buf()
}

fn run(root: &Path, args: &[&str]) -> std::process::Output {
    mindelta(&root.join("../cache"))
        .env("SOURCE_DATE_EPOCH", "1795780800")
        .arg("--workspace")
        .arg(root)
        .args(args)
        .output()
        .unwrap()
}

fn json(output: &std::process::Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn pins(root: &Path) -> Vec<serde_json::Value> {
    let report = json(&run(
        root,
        &["check", "app", "--release", "1.1", "--format", "json"],
    ));
    report["packages"][0]["pins"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn locked(names: &[&str], version: &str) -> Vec<(String, String)> {
    names
        .iter()
        .map(|n| (n.to_string(), version.to_string()))
        .collect()
}

#[test]
fn an_oversized_or_too_deep_deps_file_is_an_error_pin_and_stays() {
    let temp = tempfile::tempdir().unwrap();
    let repo = upstream(&temp.path().join("upstream"), &locked(&["tokio"], "1.40.0"));
    let mut huge = String::from("packages:\n");
    while huge.len() <= 1 << 20 {
        huge.push_str("  - name: tokio\n    version: 1.0.0 # padding padding padding\n");
    }
    let mut deep = String::from("packages:\n  - name: tokio\n    version: 1.0.0\n    extra: ");
    deep.push_str(&"[".repeat(500));
    deep.push_str(&"]".repeat(500));
    deep.push('\n');
    for (name, text, message) in [
        ("huge", huge.as_str(), "larger than 1048576 bytes"),
        ("deep", deep.as_str(), "recursion limit exceeded"),
    ] {
        let root = workspace(
            &temp.path().join(name),
            &repo,
            "  - uses: rust/cargobump\n    with:\n      bump-file: pins.yaml\n",
            &[("pins.yaml", text.as_bytes())],
        );
        let pins = pins(&root);
        assert_eq!(pins.len(), 1, "{pins:?}");
        assert_eq!(pins[0]["verdict"], "unknown");
        assert_eq!(pins[0]["evidence"][0]["result"], "error");
        let detail = pins[0]["evidence"][0]["detail"].as_str().unwrap();
        assert!(detail.contains(message), "{name}: {detail}");
        let report = json(&run(
            &root,
            &["expire", "app", "--release", "1.1", "--format", "json"],
        ));
        assert!(report["packages"][0].get("expired_pins").is_none());
        assert_eq!(
            fs::read(root.join("app/pins.yaml")).unwrap(),
            text.as_bytes()
        );
        assert!(
            fs::read_to_string(root.join("app.yaml"))
                .unwrap()
                .contains("bump-file: pins.yaml")
        );
    }
}

#[test]
fn a_deps_file_of_many_entries_loses_exactly_the_superseded_ones() {
    const COUNT: usize = 10_000;
    let temp = tempfile::tempdir().unwrap();
    let name = |i: usize| format!("crate-{i}");
    // R locks every even crate at the pin's version and knows nothing of the odd ones.
    let declared: Vec<(String, String)> = (0..COUNT)
        .step_by(2)
        .map(|i| (name(i), "1.0.0".to_string()))
        .collect();
    let repo = upstream(&temp.path().join("upstream"), &declared);
    let entry = |i: usize| format!("  # pin {i}\n  - name: {}\n    version: 1.0.0\n", name(i));
    let text: String = std::iter::once("packages:\n".to_string())
        .chain((0..COUNT).map(entry))
        .collect();
    let root = workspace(
        &temp.path().join("os"),
        &repo,
        "  - uses: bump\n    with:\n      deps: deps.yaml\n",
        &[("deps.yaml", text.as_bytes())],
    );
    let report = json(&run(
        &root,
        &["expire", "app", "--release", "1.1", "--format", "json"],
    ));
    let plan = &report["packages"][0];
    assert_eq!(
        plan["expired_pins"].as_array().unwrap().len(),
        COUNT / 2,
        "{}",
        plan["held_pins"]
    );
    let expected: String = std::iter::once("packages:\n".to_string())
        .chain((1..COUNT).step_by(2).map(entry))
        .collect();
    assert_eq!(
        fs::read_to_string(root.join("app/deps.yaml")).unwrap(),
        expected
    );
}

#[test]
fn odd_versions_and_items_never_expire_and_never_crash() {
    let temp = tempfile::tempdir().unwrap();
    let long = "1.".repeat(200) + "0";
    let repo = upstream(
        &temp.path().join("upstream"),
        &[
            ("star".into(), "1.0.0".into()),
            ("long".into(), "1.0.0".into()),
            ("huge".into(), "1.0.0".into()),
            ("pre".into(), "1.0.0-rc.1".into()),
            ("weird".into(), "not a version".into()),
            ("empty".into(), "1.0.0".into()),
        ],
    );
    let deps = format!(
        "packages:\n  - name: star\n    version: \"*\"\n  - name: long\n    version: \"{long}\"\n  - name: huge\n    version: 99999999999999999999999.0.0\n  - name: pre\n    version: 1.0.0\n  - name: weird\n    version: 1.0.0\n  - name: empty\n    version: ~\n  - name: \"\"\n    version: 1.0.0\n  - name: both@\n    version: 1.0.0\n"
    );
    let steps = "  - uses: bump\n    with:\n      deps: deps.yaml\n\n  - uses: rust/cargobump\n    with:\n      packages: tokio@ @1.0 a@b@c star@>=0.1\n";
    let root = workspace(
        &temp.path().join("os"),
        &repo,
        steps,
        &[("deps.yaml", deps.as_bytes())],
    );
    let pins = pins(&root);
    let verdicts: Vec<(&str, &str, &str)> = pins
        .iter()
        .map(|p| {
            (
                p["module"].as_str().unwrap(),
                p["verdict"].as_str().unwrap(),
                p["evidence"][0]["result"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        verdicts.iter().all(|(_, verdict, _)| *verdict != "expired"),
        "{verdicts:?}"
    );
    // Errors name the item; the rest are judged and unknown or needed.
    let errors: Vec<&str> = pins
        .iter()
        .filter(|p| p["evidence"][0]["result"] == "error")
        .map(|p| p["evidence"][0]["detail"].as_str().unwrap())
        .collect();
    assert_eq!(errors.len(), 5, "{errors:?}");
    assert!(
        errors
            .iter()
            .any(|e| e.contains("line 12: the entry has no `version`")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("`tokio@` is not `crate@version`")),
        "{errors:?}"
    );
    // The human report names the step of an item in error.
    let output = run(&root, &["check", "app", "--release", "1.1"]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("unknown   rust/cargobump (line 15)"),
        "{text}"
    );
    let before = fs::read_to_string(root.join("app/deps.yaml")).unwrap();
    let report = json(&run(
        &root,
        &["expire", "app", "--release", "1.1", "--format", "json"],
    ));
    assert!(report["packages"][0].get("expired_pins").is_none());
    assert_eq!(
        fs::read_to_string(root.join("app/deps.yaml")).unwrap(),
        before
    );
}

#[test]
fn deps_files_outside_the_workspace_or_behind_a_link_are_refused_or_held() {
    let temp = tempfile::tempdir().unwrap();
    let repo = upstream(&temp.path().join("upstream"), &locked(&["tokio"], "1.40.0"));
    let pin = b"packages:\n  - name: tokio\n    version: 1.38.2\n";
    let root = temp.path().join("os");
    // A file beside the repository, and one in another package's folder.
    fs::write(temp.path().join("x.yaml"), pin).unwrap();
    fs::create_dir_all(root.join("other")).unwrap();
    fs::write(root.join("other/deps.yaml"), pin).unwrap();
    let steps = "  - uses: bump\n    with:\n      deps: ../../x.yaml\n\n  - uses: maven/pombump\n    with:\n      patch-file: ../../../../etc/passwd\n\n  - uses: rust/cargobump\n    with:\n      bump-file: escape.yaml\n\n  - uses: rust/cargobump\n    with:\n      bump-file: shared.yaml\n\n  - uses: bump\n    with:\n      deps: tokio@1.38.2\n      language: rust\n";
    let root = workspace(&root, &repo, steps, &[]);
    std::os::unix::fs::symlink(temp.path().join("x.yaml"), root.join("app/escape.yaml")).unwrap();
    std::os::unix::fs::symlink("../other/deps.yaml", root.join("app/shared.yaml")).unwrap();
    let pins = pins(&root);
    let refused: Vec<&str> = pins
        .iter()
        .filter(|p| p["evidence"][0]["result"] == "error")
        .map(|p| p["evidence"][0]["detail"].as_str().unwrap())
        .collect();
    assert_eq!(refused.len(), 3, "{pins:?}");
    assert!(
        refused[0].contains("`../../x.yaml` (line 13) is refused")
            && refused[0].contains("outside the build workspace"),
        "{refused:?}"
    );
    assert!(
        refused[1].contains("`../../../../etc/passwd`"),
        "{refused:?}"
    );
    assert!(
        refused[2].contains("leads outside the repository"),
        "{refused:?}"
    );
    // The link inside the repository is read, and judged; the inline pin too.
    let judged: Vec<(&str, &str)> = pins
        .iter()
        .filter(|p| p["verdict"] == "expired")
        .map(|p| (p["tool"].as_str().unwrap(), p["module"].as_str().unwrap()))
        .collect();
    assert_eq!(judged, [("rust/cargobump", "tokio"), ("bump", "tokio")]);
    let report = json(&run(
        &root,
        &["expire", "app", "--release", "1.1", "--format", "json"],
    ));
    let plan = &report["packages"][0];
    assert_eq!(plan["expired_pins"][0]["step"], "bump (line 27)", "{plan}");
    assert_eq!(plan["expired_pins"].as_array().unwrap().len(), 1, "{plan}");
    assert!(
        plan["held_pins"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("symbolic link"),
        "{plan}"
    );
    // Nothing outside the package's own files changed.
    assert_eq!(fs::read(temp.path().join("x.yaml")).unwrap(), pin);
    assert_eq!(fs::read(root.join("other/deps.yaml")).unwrap(), pin);
    assert!(
        fs::symlink_metadata(root.join("app/shared.yaml"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn a_killed_expire_that_edits_and_deletes_deps_files_leaves_the_old_or_the_new_state() {
    let temp = tempfile::tempdir().unwrap();
    let repo = upstream(
        &temp.path().join("upstream"),
        &locked(&["tokio", "bytes"], "1.40.0"),
    );
    let make = |root: &Path| {
        workspace(
            root,
            &repo,
            "  - uses: rust/cargobump\n\n  - uses: bump\n    with:\n      deps: deps.yaml\n  - uses: patch\n    with:\n      patches: fix.patch\n",
            &[
                (
                    "cargobump-deps.yaml",
                    b"packages:\n  - name: tokio\n    version: 1.38.2\n  - name: time\n    version: 0.3.47\n",
                ),
                ("deps.yaml", b"packages:\n  - name: bytes\n    version: 1.11.1\n"),
                ("fix.patch", b"--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"),
            ],
        )
    };
    super::native::killed_expire(
        temp.path(),
        &make,
        &|root| root.join(".mindelta/journal/app.json"),
        &["expire", "app", "--release", "1.1"],
        "app",
    );
    // The new state: one entry left in one file, the other file gone with its step.
    let reference = temp.path().join("reference");
    assert_eq!(
        fs::read_to_string(reference.join("app/cargobump-deps.yaml")).unwrap(),
        "packages:\n  - name: time\n    version: 0.3.47\n"
    );
    assert!(!reference.join("app/deps.yaml").exists());
    assert!(
        !fs::read_to_string(reference.join("app.yaml"))
            .unwrap()
            .contains("deps: deps.yaml")
    );
}

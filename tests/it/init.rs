//! `mindelta init`: an empty workspace ready for `import` and `audit` — `patches/`, the
//! built-in packs in `policies/` (byte for byte the shipped files), `/.mindelta/` in
//! `.gitignore` — made again without harm, refused where a workspace is already there.

use std::fs;
use std::path::Path;

use crate::support::cli::{example_workspace, mindelta, snapshot};
use crate::support::list_tree;

fn init(cache: &Path, dir: &Path, args: &[&str]) -> std::process::Output {
    mindelta(cache)
        .current_dir(dir)
        .arg("init")
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn init_makes_a_workspace_that_audit_and_import_use() {
    let temp = tempfile::tempdir().unwrap();
    let cache = temp.path().join("cache");
    let output = init(&cache, temp.path(), &["demo"]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stderr = text(&output.stderr);
    assert!(
        stderr.starts_with("initialised a workspace in demo\n"),
        "{stderr}"
    );
    assert!(stderr.contains("  created   patches/\n"), "{stderr}");
    assert!(stderr.contains("next: "), "{stderr}");
    let root = temp.path().join("demo");
    assert_eq!(
        list_tree(&root),
        vec![
            ".gitignore",
            "patches",
            "policies",
            "policies/delta-minimization.yaml",
            "policies/dep3.yaml",
            "policies/yocto.yaml"
        ]
    );
    for pack in ["delta-minimization.yaml", "dep3.yaml", "yocto.yaml"] {
        assert_eq!(
            fs::read(root.join("policies").join(pack)).unwrap(),
            fs::read(example_workspace().join("policies").join(pack)).unwrap(),
            "{pack} is the shipped pack"
        );
    }
    assert_eq!(
        fs::read_to_string(root.join(".gitignore")).unwrap(),
        "/.mindelta/\n"
    );

    // A series comes in, and audit runs the written packs (no note about built-in ones).
    fs::create_dir_all(temp.path().join("series")).unwrap();
    fs::write(temp.path().join("series/series"), "fix.patch\n").unwrap();
    fs::write(
        temp.path().join("series/fix.patch"),
        "Description: Fix\nForwarded: no\n--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-a\n+b\n",
    )
    .unwrap();
    fs::create_dir_all(temp.path().join("upstream-1.0")).unwrap();
    fs::write(temp.path().join("upstream-1.0/a.txt"), "a\n").unwrap();
    let import = mindelta(&cache)
        .current_dir(&root)
        .args([
            "import",
            "quilt",
            "../series",
            "--name",
            "demo",
            "--version",
            "1.0",
        ])
        .arg("--upstream-dir")
        .arg(temp.path().join("upstream-1.0"))
        .output()
        .unwrap();
    assert_eq!(import.status.code(), Some(0), "{import:?}");
    let audit = mindelta(&cache)
        .current_dir(&root)
        .args(["--offline", "audit", "--format", "json"])
        .env("MINDELTA_NOW", "2026-12-01")
        .output()
        .unwrap();
    assert_eq!(audit.status.code(), Some(0), "{audit:?}");
    assert!(!text(&audit.stderr).contains("built-in"), "{audit:?}");
    let report: serde_json::Value = serde_json::from_slice(&audit.stdout).unwrap();
    let policies: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["policy"].as_str())
        .collect();
    assert!(policies.contains(&"policies/dep3.yaml"), "{policies:?}");
}

#[test]
fn a_second_init_changes_nothing_and_json_says_what_is_there() {
    let temp = tempfile::tempdir().unwrap();
    let cache = temp.path().join("cache");
    let root = temp.path().join("ws");
    fs::create_dir(&root).unwrap();
    // `--workspace` names the folder when no DIR is given.
    let first = mindelta(&cache)
        .args(["--format", "json", "--workspace"])
        .arg(&root)
        .arg("init")
        .output()
        .unwrap();
    assert_eq!(first.status.code(), Some(0), "{first:?}");
    let json: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(json["created"].as_array().unwrap().len(), 6, "{json}");
    assert_eq!(json["unchanged"], serde_json::json!([]));
    let before = snapshot(&root);
    let second = init(&cache, &root, &["--format", "json"]);
    assert_eq!(second.status.code(), Some(0), "{second:?}");
    let json: serde_json::Value = serde_json::from_slice(&second.stdout).unwrap();
    assert_eq!(json["created"], serde_json::json!([]));
    assert_eq!(json["unchanged"].as_array().unwrap().len(), 6, "{json}");
    assert_eq!(snapshot(&root), before);
    let third = init(&cache, &root, &[]);
    assert_eq!(third.status.code(), Some(0), "{third:?}");
    assert_eq!(
        text(&third.stderr),
        ". is already a workspace: nothing to do\n"
    );
}

#[test]
fn an_existing_gitignore_grows_by_one_line_and_edited_packs_are_kept() {
    let temp = tempfile::tempdir().unwrap();
    let cache = temp.path().join("cache");
    let root = temp.path();
    fs::write(
        root.join(".gitignore"),
        "target\n# no newline at the end\n*.o",
    )
    .unwrap();
    fs::create_dir(root.join("policies")).unwrap();
    fs::write(root.join("policies/dep3.yaml"), "name: dep3\nrules: []\n").unwrap();
    fs::write(root.join("policies/house.yaml"), "rules: []\n").unwrap();
    let output = init(&cache, root, &[]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("warning: kept `policies/dep3.yaml`: it differs from the built-in pack"),
        "{stderr}"
    );
    assert!(
        stderr.contains("  appended  `/.mindelta/` to .gitignore\n"),
        "{stderr}"
    );
    assert_eq!(
        fs::read_to_string(root.join(".gitignore")).unwrap(),
        "target\n# no newline at the end\n*.o\n/.mindelta/\n"
    );
    assert_eq!(
        fs::read_to_string(root.join("policies/dep3.yaml")).unwrap(),
        "name: dep3\nrules: []\n"
    );
    assert_eq!(
        fs::read_to_string(root.join("policies/house.yaml")).unwrap(),
        "rules: []\n"
    );
    assert!(root.join("policies/yocto.yaml").is_file());
    // A `.gitignore` that already ignores the state folder is left alone.
    let other = root.join("other");
    fs::create_dir(&other).unwrap();
    fs::write(other.join(".gitignore"), ".mindelta\n").unwrap();
    let output = init(&cache, &other, &[]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(
        fs::read_to_string(other.join(".gitignore")).unwrap(),
        ".mindelta\n"
    );
}

#[test]
fn an_existing_workspace_is_refused_unless_nothing_would_change() {
    let temp = tempfile::tempdir().unwrap();
    let cache = temp.path().join("cache");
    // mindelta's own workspace kind, with no policies yet.
    let manifests = temp.path().join("manifests");
    fs::create_dir_all(manifests.join("patches/zlib")).unwrap();
    // A melange repository and a Debian source package.
    let melange = temp.path().join("melange");
    fs::create_dir_all(&melange).unwrap();
    fs::write(
        melange.join("hello.yaml"),
        "package:\n  name: hello\n  version: 1.0\n  epoch: 0\npipeline:\n  - uses: fetch\n    with:\n      uri: https://example.org/hello-${{package.version}}.tar.gz\n      expected-sha256: 0000000000000000000000000000000000000000000000000000000000000000\n",
    )
    .unwrap();
    let debian = temp.path().join("debian-src");
    fs::create_dir_all(debian.join("debian")).unwrap();
    fs::write(
        debian.join("debian/changelog"),
        "hello (1.0-1) unstable; urgency=medium\n\n  * Initial release.\n\n -- A <a@example.org>  Mon, 01 Jan 2024 00:00:00 +0000\n",
    )
    .unwrap();
    for (root, kind) in [
        (&manifests, "manifests"),
        (&melange, "melange"),
        (&debian, "debian"),
    ] {
        let before = snapshot(root);
        let output = init(
            &cache,
            temp.path(),
            &[root.file_name().unwrap().to_str().unwrap()],
        );
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{kind}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "is already a workspace ({kind}); `mindelta init` would add"
            )) && stderr.contains("`/.mindelta/` to `.gitignore`")
                && stderr.contains("hint: nothing was written"),
            "{kind}: {stderr}"
        );
        assert_eq!(snapshot(root), before, "{kind}: nothing written");
    }
}

//! End-to-end tests of `mindelta import quilt|melange` and `export quilt`: the real binary on
//! our own fixtures in `tests/data/interop/` (a quilt series with DEP-3, Yocto and mail headers,
//! `-p0`, a subfolder and comments; Wolfi-shaped melange YAMLs), with GNU `patch` applying the
//! series in order as the oracle for `prepare`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use mindelta::patch::parse_patches;
use mindelta::workspace::{Manifest, PatchEntry, PatchStatus, UpstreamSource};

/// Snapshot settings that show the test's folder as `[ROOT]` and the fixtures as `[DATA]`.
fn redacted(root: &Path) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(&regex::escape(&root.display().to_string()), "[ROOT]");
    settings.add_filter(&regex::escape(&data().display().to_string()), "[DATA]");
    settings
}

/// The same settings without the warning about `--upstream-dir .`, which names the folder the
/// tests run in (named differently in each checkout).
fn without_template_warning(mut settings: insta::Settings) -> insta::Settings {
    settings.add_filter(
        r"warning: cannot write a `\{version\}` template for `--upstream-dir`: [^\n]*\n",
        "",
    );
    settings
}

fn data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/interop")
}

fn mindelta(root: &Path) -> Command {
    let mut command = Command::cargo_bin("mindelta").expect("the binary is built");
    command
        .env("MINDELTA_CACHE_DIR", root.join("cache"))
        .env("MINDELTA_RETRY_BACKOFF", "0")
        .env("NO_COLOR", "1")
        .arg("--workspace")
        .arg(root.join("ws"));
    command
}

/// A fresh workspace root (without `patches/`: import creates it).
fn workspace() -> tempfile::TempDir {
    let temp = tempfile::tempdir().unwrap();
    fs::create_dir_all(temp.path().join("ws")).unwrap();
    temp
}

fn import_fixture_series(root: &Path, name: &str) {
    mindelta(root)
        .args(["import", "quilt"])
        .arg(data().join("quilt"))
        .args(["--name", name, "--version", "1.3", "--upstream-dir"])
        .arg(data().join("upstream"))
        .assert()
        .success();
}

fn load(root: &Path, name: &str) -> Manifest {
    Manifest::load(&root.join("ws/patches").join(name).join("package.yaml")).unwrap()
}

/// The manifest facts of an entry (its line in the file is not one).
fn facts(entry: &PatchEntry) -> PatchEntry {
    PatchEntry {
        line: 0,
        ..entry.clone()
    }
}

/// Every regular file under `root`, relative path → bytes.
fn snapshot(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let relative = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(relative, fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn copy_tree(from: &Path, to: &Path) {
    for (relative, bytes) in snapshot(from) {
        let path = to.join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
    }
}

#[test]
fn quilt_import_maps_dep3_yocto_and_mail_headers() {
    let temp = workspace();
    let root = temp.path();
    let output = mindelta(root)
        .args(["--format", "json", "import", "quilt"])
        .arg(data().join("quilt"))
        .args(["--name", "demo", "--version", "1.3", "--upstream-dir"])
        .arg(data().join("upstream"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["name"], "demo");
    assert_eq!(report["patches"].as_array().unwrap().len(), 4);

    let manifest = load(root, "demo");
    assert_eq!(manifest.name.as_deref(), Some("demo"));
    assert_eq!(manifest.upstream.version, "1.3");
    assert!(matches!(
        manifest.upstream.source,
        UpstreamSource::Dir { .. }
    ));
    let files: Vec<&str> = manifest.patches.iter().map(|p| p.file.as_str()).collect();
    assert_eq!(
        files,
        [
            "01-bound-header-copy.patch",
            "debian/02-config-path.patch",
            "03-validate-count.diff",
            "04-document-config.patch",
        ]
    );
    let [dep3, vendor, yocto, mail] = &manifest.patches[..] else {
        panic!("four patches")
    };
    assert_eq!(
        dep3.reason.as_deref(),
        Some("Bound the header copy in read_header")
    );
    assert_eq!(dep3.status, Some(PatchStatus::Backport));
    assert_eq!(
        dep3.upstream_commit.as_deref(),
        Some("3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a")
    );
    assert_eq!(
        dep3.upstream_url.as_deref(),
        Some("https://github.com/example/demo/commit/3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a")
    );
    assert_eq!(dep3.fixed_in.as_deref(), Some(">=1.3.1"));
    assert_eq!(dep3.cves, ["CVE-2024-0001"]);
    assert_eq!(dep3.added.as_deref(), Some("2024-03-01"));
    assert_eq!(dep3.strip, 1);

    assert_eq!(vendor.status, Some(PatchStatus::Inappropriate));
    assert_eq!(vendor.added.as_deref(), Some("2024-02-11"));
    assert_eq!(vendor.upstream_commit, None);

    assert_eq!(yocto.reason.as_deref(), Some("Validate counts with strtol"));
    assert_eq!(yocto.status, Some(PatchStatus::Submitted));
    assert_eq!(yocto.cves, ["CVE-2024-1111"]);
    assert_eq!(yocto.strip, 0);

    assert_eq!(
        mail.reason.as_deref(),
        Some("Document the configuration file")
    );
    assert_eq!(
        mail.upstream_commit.as_deref(),
        Some("9f8e7d6c5b4a39281706f5e4d3c2b1a098765432")
    );

    // Patch files are copied byte for byte, subfolders kept; the disabled one is not.
    let package = root.join("ws/patches/demo");
    for file in files {
        assert_eq!(
            fs::read(package.join(file)).unwrap(),
            fs::read(data().join("quilt").join(file)).unwrap(),
            "{file}"
        );
    }
    assert!(!package.join("05-disabled.patch").exists());
    assert!(!package.join("series").exists());
}

#[test]
fn prepare_of_an_imported_series_equals_gnu_patch_in_series_order() {
    let temp = workspace();
    let root = temp.path();
    import_fixture_series(root, "demo");
    let out = root.join("out");
    mindelta(root)
        .args(["prepare", "demo", "--out"])
        .arg(&out)
        .assert()
        .success();

    // `quilt push -a`, the long way: GNU patch, each patch at its level, zero fuzz.
    let oracle = root.join("oracle");
    copy_tree(&data().join("upstream"), &oracle);
    let series = fs::read_to_string(data().join("quilt/series")).unwrap();
    let mut applied = 0;
    for line in series.lines() {
        let line = line.split(" #").next().unwrap().trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut words = line.split_whitespace();
        let file = words.next().unwrap();
        let level = words.next().unwrap_or("-p1");
        let status = std::process::Command::new("patch")
            .current_dir(&oracle)
            .args([level, "--fuzz=0", "--batch", "--quiet", "-i"])
            .arg(data().join("quilt").join(file))
            .status()
            .expect("GNU patch runs");
        assert!(status.success(), "GNU patch failed on {file}");
        applied += 1;
    }
    assert_eq!(applied, 4);
    let prepared = snapshot(&out);
    assert_eq!(prepared, snapshot(&oracle));
    assert_ne!(prepared, snapshot(&data().join("upstream")));
}

#[test]
fn import_refuses_to_overwrite_without_force() {
    let temp = workspace();
    let root = temp.path();
    import_fixture_series(root, "demo");
    let manifest = root.join("ws/patches/demo/package.yaml");
    fs::write(
        &manifest,
        "# edited by hand\n".to_string() + &fs::read_to_string(&manifest).unwrap(),
    )
    .unwrap();
    let before = fs::read(&manifest).unwrap();
    let output = mindelta(root)
        .args(["import", "quilt"])
        .arg(data().join("quilt"))
        .args(["--name", "demo", "--version", "1.4", "--upstream-dir"])
        .arg(data().join("upstream"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    redacted(root).bind(|| insta::assert_snapshot!(stderr));
    assert_eq!(fs::read(&manifest).unwrap(), before);

    mindelta(root)
        .args(["import", "quilt"])
        .arg(data().join("quilt"))
        .args([
            "--name",
            "demo",
            "--version",
            "1.4",
            "--force",
            "--upstream-dir",
        ])
        .arg(data().join("upstream"))
        .assert()
        .success();
    assert_eq!(load(root, "demo").upstream.version, "1.4");
    // No staging folder is left behind.
    let leftovers: Vec<_> = fs::read_dir(root.join("ws/patches"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, ["demo"]);
}

#[test]
fn a_broken_series_names_the_line_and_writes_nothing() {
    let temp = workspace();
    let root = temp.path();
    let series = root.join("series-dir");
    fs::create_dir_all(&series).unwrap();
    fs::write(series.join("series"), "a.patch\n\nb.patch -R\n").unwrap();
    fs::write(
        series.join("a.patch"),
        "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n",
    )
    .unwrap();
    let output = mindelta(root)
        .args(["import", "quilt"])
        .arg(&series)
        .args(["--name", "demo", "--version", "1", "--upstream-dir", "."])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    without_template_warning(redacted(root))
        .bind(|| insta::assert_snapshot!("a_broken_series_bad_line", stderr));
    assert!(!root.join("ws/patches/demo").exists());

    fs::write(series.join("series"), "a.patch\nmissing.patch\n").unwrap();
    let output = mindelta(root)
        .args(["import", "quilt"])
        .arg(&series)
        .args(["--name", "demo", "--version", "1", "--upstream-dir", "."])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    without_template_warning(redacted(root))
        .bind(|| insta::assert_snapshot!("a_broken_series_missing_patch", stderr));
    assert!(!root.join("ws/patches/demo").exists());
}

#[test]
fn export_writes_series_and_dep3_headers_and_round_trips() {
    let temp = workspace();
    let root = temp.path();
    import_fixture_series(root, "demo");
    let exported = root.join("exported");
    mindelta(root)
        .args(["export", "quilt", "demo", "--out"])
        .arg(&exported)
        .assert()
        .success();
    assert_eq!(
        fs::read_to_string(exported.join("series")).unwrap(),
        "01-bound-header-copy.patch\ndebian/02-config-path.patch\n03-validate-count.diff -p0\n04-document-config.patch\n"
    );
    // Headers that already say everything are left byte-identical.
    for file in ["01-bound-header-copy.patch", "debian/02-config-path.patch"] {
        assert_eq!(
            fs::read(exported.join(file)).unwrap(),
            fs::read(data().join("quilt").join(file)).unwrap(),
            "{file}"
        );
    }

    // import → export → import: the same manifest facts and the same diffs.
    mindelta(root)
        .args(["import", "quilt"])
        .arg(&exported)
        .args(["--name", "again", "--version", "1.3", "--upstream-dir"])
        .arg(data().join("upstream"))
        .assert()
        .success();
    let first = load(root, "demo");
    let second = load(root, "again");
    assert_eq!(
        first.patches.iter().map(facts).collect::<Vec<_>>(),
        second.patches.iter().map(facts).collect::<Vec<_>>()
    );
    for entry in &first.patches {
        let before =
            parse_patches(&fs::read(data().join("quilt").join(&entry.file)).unwrap()).unwrap();
        let after = parse_patches(&fs::read(exported.join(&entry.file)).unwrap()).unwrap();
        let diffs = |patches: &[mindelta::patch::Patch]| {
            patches.iter().map(|p| p.files.clone()).collect::<Vec<_>>()
        };
        assert_eq!(diffs(&before), diffs(&after), "{}", entry.file);
    }

    // The output folder is not replaced without `--force`.
    let output = mindelta(root)
        .args(["export", "quilt", "demo", "--out"])
        .arg(&exported)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    mindelta(root)
        .args(["export", "quilt", "demo", "--force", "--out"])
        .arg(&exported)
        .assert()
        .success();
}

#[test]
fn manifest_facts_survive_export_and_import() {
    let temp = workspace();
    let root = temp.path();
    let package = root.join("ws/patches/hand");
    fs::create_dir_all(package.join("sub")).unwrap();
    let diff =
        "--- a/README\n+++ b/README\n@@ -1,2 +1,2 @@\n-demo 1.3\n+demo 1.3 patched\n ========\n";
    fs::write(package.join("a.patch"), diff).unwrap();
    fs::write(
        package.join("sub/b.patch"),
        format!(
            "Description: Has its own header\nForwarded: no\n\n{}",
            diff.replace("README", "docs/usage.txt")
                .replace("demo 1.3 patched", "x")
                .replace("-demo 1.3", "-Usage: demo HEADER")
                .replace(" ========", " ")
        ),
    )
    .unwrap();
    fs::write(
        package.join("package.yaml"),
        "upstream:\n  version: \"1.3\"\n  dir: ../../../upstream\npatches:\n  - file: a.patch\n    reason: Say it is patched\n    status: denied\n    upstream-commit: 0123456789abcdef0123456789abcdef01234567\n    upstream-url: https://example.org/review/42\n    fixed-in: \">=2.0\"\n    cves: [CVE-2024-4242]\n    added: \"2024-05-06\"\n  - file: sub/b.patch\n    status: inactive-upstream\n    strip: 1\n",
    )
    .unwrap();
    let exported = root.join("exported");
    let output = mindelta(root)
        .args(["--format", "json", "export", "quilt", "hand", "--out"])
        .arg(&exported)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    for patch in report["patches"].as_array().unwrap() {
        assert!(patch.get("lost").is_none(), "{patch}");
    }
    let header = String::from_utf8(fs::read(exported.join("a.patch")).unwrap()).unwrap();
    assert!(
        header.starts_with("Upstream-Status: Denied\nDescription: Say it is patched\n"),
        "{header}"
    );
    assert!(header.contains(
        "Bug-Debian-Security: https://security-tracker.debian.org/tracker/CVE-2024-4242\n"
    ));
    let own = String::from_utf8(fs::read(exported.join("sub/b.patch")).unwrap()).unwrap();
    assert_eq!(own.matches("Description:").count(), 1, "{own}");

    mindelta(root)
        .args(["import", "quilt"])
        .arg(&exported)
        .args(["--name", "back", "--version", "1.3", "--upstream-dir"])
        .arg(data().join("upstream"))
        .assert()
        .success();
    let original = load(root, "hand");
    let back = load(root, "back");
    let wanted: Vec<PatchEntry> = original.patches.iter().map(facts).collect();
    let mut found: Vec<PatchEntry> = back.patches.iter().map(facts).collect();
    // The header of `sub/b.patch` states its reason; the hand-written manifest left it out.
    assert_eq!(found[1].reason.as_deref(), Some("Has its own header"));
    found[1].reason = None;
    assert_eq!(wanted, found);
}

#[test]
fn melange_import_maps_source_patches_and_update() {
    let temp = workspace();
    let root = temp.path();
    let output = mindelta(root)
        .args(["--format", "json", "import", "melange"])
        .arg(data().join("melange/demo.yaml"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let notes: Vec<String> = report["not_imported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect();
    assert_eq!(notes.len(), 3, "{notes:?}");
    insta::assert_snapshot!("melange_not_imported", notes.join("\n"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    redacted(root).bind(|| insta::assert_snapshot!("melange_warnings", stderr));

    let manifest = load(root, "demo");
    assert_eq!(manifest.upstream.version, "1.3.0");
    assert_eq!(
        manifest.upstream.source,
        UpstreamSource::Git {
            url: "https://github.com/example/demo".into(),
            tag: Some("v{version}".into()),
            commit: Some("0a1b2c3d4e5f60718293a4b5c6d7e8f901234567".into()),
        }
    );
    let pattern = manifest
        .upstream
        .releases
        .as_ref()
        .and_then(|r| r.pattern.clone())
        .unwrap();
    let regex = regex::Regex::new(&pattern).unwrap();
    assert_eq!(&regex.captures("v1.4.2").unwrap()["version"], "1.4.2");
    assert!(!regex.is_match("v2.0.0"));
    let files: Vec<(&str, usize, Option<PatchStatus>)> = manifest
        .patches
        .iter()
        .map(|p| (p.file.as_str(), p.strip, p.status))
        .collect();
    assert_eq!(
        files,
        [
            ("bound-header-copy.patch", 1, Some(PatchStatus::Backport)),
            ("config-path.patch", 1, Some(PatchStatus::Inappropriate)),
            ("document-config.patch", 1, None),
        ]
    );
    assert_eq!(manifest.patches[0].cves, ["CVE-2024-0001"]);
    assert_eq!(
        fs::read(root.join("ws/patches/demo/config-path.patch")).unwrap(),
        fs::read(data().join("melange/demo/config-path.patch")).unwrap()
    );
}

#[test]
fn melange_tarball_with_sha512_and_var_transforms() {
    let temp = workspace();
    let root = temp.path();
    let output = mindelta(root)
        .args(["--format", "json", "import", "melange"])
        .arg(data().join("melange/demo-tarball.yaml"))
        .args(["--name", "renamed"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    insta::assert_json_snapshot!(report["not_imported"]);
    let manifest = load(root, "renamed");
    assert_eq!(manifest.upstream.version, "1.10");
    assert_eq!(
        manifest.upstream.source,
        UpstreamSource::Tarball {
            url: "https://downloads.example.org/demo/demo-1_10.tar.gz".into(),
            sha256: None,
            git: None,
        }
    );
    assert_eq!(manifest.upstream.releases, None);
    assert_eq!(manifest.patches.len(), 1);

    // A second import of the same package is refused.
    let output = mindelta(root)
        .args(["import", "melange"])
        .arg(data().join("melange/demo-tarball.yaml"))
        .args(["--name", "renamed"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn import_of_a_debian_source_takes_the_upstream_repository_from_dep12() {
    let temp = workspace();
    let root = temp.path();
    let source = root.join("demo-1.3");
    let debian = source.join("debian");
    fs::create_dir_all(debian.join("patches")).unwrap();
    fs::create_dir_all(debian.join("upstream")).unwrap();
    fs::write(debian.join("patches/series"), "fix.patch\n").unwrap();
    fs::write(
        debian.join("patches/fix.patch"),
        "Description: fix\n--- a/f.c\n+++ b/f.c\n@@ -1 +1 @@\n-a\n+b\n",
    )
    .unwrap();
    fs::write(
        debian.join("upstream/metadata"),
        "---\nBug-Database: https://example.org/demo/issues\nRepository: https://example.org/demo.git\n",
    )
    .unwrap();
    let tarball = "https://example.org/demo-{version}.tar.gz";
    let import = |name: &str, extra: &[&str]| {
        mindelta(root)
            .args(["import", "quilt"])
            .arg(&source)
            .args([
                "--name",
                name,
                "--version",
                "1.3",
                "--upstream-tarball",
                tarball,
            ])
            .args(["--sha256", &"0".repeat(64)])
            .args(extra)
            .assert()
            .success();
    };
    let git_of = |name: &str| match load(root, name).upstream.source {
        UpstreamSource::Tarball { git, .. } => git,
        other => panic!("not a tarball upstream: {other:?}"),
    };
    import("from-metadata", &[]);
    assert_eq!(
        git_of("from-metadata").as_deref(),
        Some("https://example.org/demo.git")
    );
    import(
        "given",
        &["--history", "https://example.org/mirror/demo.git"],
    );
    assert_eq!(
        git_of("given").as_deref(),
        Some("https://example.org/mirror/demo.git")
    );
    fs::remove_file(debian.join("upstream/metadata")).unwrap();
    import("without", &[]);
    assert_eq!(git_of("without"), None);
}

//! mindelta in place in an unpacked Debian source package: `list`, `audit`, `versions` (a
//! `debian/watch` page served on 127.0.0.1), `check` against the next release's orig tarball
//! beside the tree, and `prepare`, compared byte for byte with `dpkg-source -x` when dpkg-dev is
//! installed (component tarball, upstream's own `debian/` replaced, a file a patch empties
//! removed as GNU patch's `-E` does).

use crate::support;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::cli::mindelta;
use support::http::{HttpServer, Reply};
use support::{TarEntry, gzip, tar};

const CHANGELOG: &str = "hello (1.0-1) unstable; urgency=medium\n\n  * Initial release.\n\n -- A Maintainer <a@example.org>  Mon, 01 Jan 2024 00:00:00 +0000\n";
const CONTROL: &str = "Source: hello\nMaintainer: A Maintainer <a@example.org>\n\nPackage: hello\nArchitecture: any\nDescription: a demo\n a demo\n";
const SERIES: &str =
    "# Fixes from upstream\nfix-two.patch\n\nsub/empty-gone.patch -p1\ndoc.patch # the manual\n";
const FIX: &str = "Description: say two louder\nOrigin: upstream, https://example.org/commit/1\nApplied-Upstream: 1.1\n---\n--- a/greeting.txt\n+++ b/greeting.txt\n@@ -1,3 +1,3 @@\n one\n-two\n+TWO\n three\n";
const EMPTY: &str = "--- a/gone.txt\n+++ b/gone.txt\n@@ -1 +0,0 @@\n-gone\n";
const DOC: &str =
    "--- a/doc/manual.txt\n+++ b/doc/manual.txt\n@@ -1 +1,2 @@\n manual\n+for Debian\n";

fn orig(version: &str, greeting: &str) -> Vec<u8> {
    let top = format!("hello-{version}");
    gzip(&tar(&[
        TarEntry::dir(&format!("{top}/")),
        TarEntry::file(&format!("{top}/greeting.txt"), greeting),
        TarEntry::file(&format!("{top}/gone.txt"), "gone\n"),
        TarEntry::File {
            path: format!("{top}/configure"),
            bytes: b"#!/bin/sh\n".to_vec(),
            mode: 0o755,
        },
        TarEntry::symlink(&format!("{top}/README"), "greeting.txt"),
        // Upstream's own `debian/`, which dpkg-source replaces by the maintainer's.
        TarEntry::file(&format!("{top}/debian/upstream-rules"), "old\n"),
    ]))
}

fn component() -> Vec<u8> {
    gzip(&tar(&[
        TarEntry::dir("hello-doc-1.0/"),
        TarEntry::file("hello-doc-1.0/manual.txt", "manual\n"),
    ]))
}

struct Package {
    _temp: tempfile::TempDir,
    /// The folder holding the orig tarballs and the tree.
    folder: PathBuf,
    /// The unpacked source package (`dpkg-source -x --skip-patches`).
    tree: PathBuf,
    cache: PathBuf,
}

fn write(path: &Path, text: impl AsRef<[u8]>) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// `hello` 1.0-1 with a component tarball `doc`, three patches, a watch file pointing at
/// `watch_url` and the upstream metadata.
fn package(watch_url: &str) -> Package {
    let temp = tempfile::tempdir().unwrap();
    let folder = temp.path().join("src");
    write(
        &folder.join("hello_1.0.orig.tar.gz"),
        orig("1.0", "one\ntwo\nthree\n"),
    );
    write(&folder.join("hello_1.0.orig-doc.tar.gz"), component());
    let tree = folder.join("hello-1.0");
    // The tree as `dpkg-source -x --skip-patches` leaves it.
    write(&tree.join("greeting.txt"), "one\ntwo\nthree\n");
    write(&tree.join("gone.txt"), "gone\n");
    write(&tree.join("configure"), "#!/bin/sh\n");
    fs::set_permissions(tree.join("configure"), fs::Permissions::from_mode(0o755)).unwrap();
    std::os::unix::fs::symlink("greeting.txt", tree.join("README")).unwrap();
    write(&tree.join("doc/manual.txt"), "manual\n");
    let debian = tree.join("debian");
    write(&debian.join("changelog"), CHANGELOG);
    write(&debian.join("control"), CONTROL);
    write(&debian.join("source/format"), "3.0 (quilt)\n");
    write(&debian.join("patches/series"), SERIES);
    write(&debian.join("patches/fix-two.patch"), FIX);
    write(&debian.join("patches/sub/empty-gone.patch"), EMPTY);
    write(&debian.join("patches/doc.patch"), DOC);
    write(
        &debian.join("watch"),
        format!(
            "version=4\nopts=\"uversionmangle=s/rc/~rc/\" \\\n  {watch_url} hello-(\\d[\\d.]*(?:rc\\d+)?)\\.tar\\.gz\n"
        ),
    );
    write(
        &debian.join("upstream/metadata"),
        "Repository: https://example.org/hello.git\n",
    );
    Package {
        cache: temp.path().join("cache"),
        folder,
        tree,
        _temp: temp,
    }
}

fn run(package: &Package, args: &[&str]) -> std::process::Output {
    mindelta(&package.cache)
        .arg("--workspace")
        .arg(&package.tree)
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

#[test]
fn list_and_audit_read_the_series_in_place() {
    let package = package("https://example.org/releases/");
    let report = json(&run(&package, &["list", "--format", "json"]));
    let hello = &report["packages"][0];
    assert_eq!(hello["name"], "hello");
    assert_eq!(hello["version"], "1.0");
    assert_eq!(hello["upstream"]["kind"], "tarball");
    assert!(
        hello["upstream"]["url"]
            .as_str()
            .unwrap()
            .ends_with("hello_1.0.orig.tar.gz"),
        "{hello}"
    );
    let files: Vec<&str> = hello["patches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["file"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        ["fix-two.patch", "sub/empty-gone.patch", "doc.patch"]
    );

    // From inside the tree, without `--workspace`.
    let inside = mindelta(&package.cache)
        .current_dir(package.tree.join("debian/patches/sub"))
        .args(["list"])
        .output()
        .unwrap();
    assert!(inside.status.success(), "{inside:?}");
    assert!(
        String::from_utf8_lossy(&inside.stdout).starts_with("hello 1.0 (tarball "),
        "{inside:?}"
    );

    let audit = run(&package, &["audit", "--offline", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&audit.stdout).unwrap();
    let hello = &report["packages"][0];
    assert_eq!(hello["delta"]["patches"], 3, "{report}");
    let fix = hello["patches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["file"] == "fix-two.patch")
        .unwrap();
    // The DEP-3 header is read.
    assert_eq!(fix["header"]["applied_upstream"], "1.1", "{fix}");
    assert_eq!(fix["path"], "debian/patches/fix-two.patch", "{fix}");
}

#[test]
fn versions_come_from_the_watch_file_and_check_uses_the_next_orig_tarball() {
    let page = "<a href=\"hello-1.0.tar.gz\">1.0</a> <a href=\"/dl/hello-1.1.tar.gz\">1.1</a> <a href=\"hello-1.2rc1.tar.gz\">rc</a> <a href=\"other-9.tar.gz\">x</a>";
    let server = HttpServer::start([("/releases/", Reply::Page(page.into()))]);
    let package = package(&server.url("/releases/"));
    let report = json(&run(
        &package,
        &["versions", "hello", "--prereleases", "--format", "json"],
    ));
    let versions: Vec<&str> = report["releases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["1.2~rc1", "1.1", "1.0"], "{report}");
    assert_eq!(
        report["releases"][1]["url"],
        server.url("/dl/hello-1.1.tar.gz")
    );

    // `uscan --download-version 1.1` would put 1.1's tarball beside the tree.
    write(
        &package.folder.join("hello_1.1.orig.tar.gz"),
        orig("1.1", "one\nTWO\nthree\n"),
    );
    let report = json(&run(
        &package,
        &["check", "hello", "--release", "1.1", "--format", "json"],
    ));
    let patches = report["packages"][0]["patches"].as_array().unwrap();
    let verdict = |file: &str| {
        patches
            .iter()
            .find(|p| p["file"] == file)
            .map(|p| p["verdict"].as_str().unwrap())
            .unwrap()
    };
    assert_eq!(verdict("fix-two.patch"), "expired", "{report}");
    assert_eq!(report["packages"][0]["release"], "1.1");
}

#[test]
fn prepare_gives_the_tree_dpkg_source_gives() {
    let package = package("https://example.org/releases/");
    let out = package.folder.parent().unwrap().join("out");
    let report = json(&run(
        &package,
        &[
            "prepare",
            "hello",
            "--format",
            "json",
            "--out",
            out.to_str().unwrap(),
        ],
    ));
    assert_eq!(
        report["packages"][0]["patches"].as_array().unwrap().len(),
        3
    );
    assert!(
        !out.join("gone.txt").exists(),
        "emptied files go (`patch -E`)"
    );
    assert_eq!(
        fs::read_to_string(out.join("doc/manual.txt")).unwrap(),
        "manual\nfor Debian\n"
    );
    assert!(!out.join("debian/upstream-rules").exists());
    assert_eq!(
        fs::read_to_string(out.join("debian/changelog")).unwrap(),
        CHANGELOG
    );

    let Some(reference) = dpkg_source_x(&package) else {
        eprintln!("skipped the comparison with `dpkg-source -x`: dpkg-source is not installed");
        return;
    };
    assert_eq!(listing(&out), listing(&reference));
}

/// Build the source package from a copy of the tree (`dpkg-source -b`), then unpack it
/// (`dpkg-source -x`); `None` when dpkg-source is not installed.
fn dpkg_source_x(package: &Package) -> Option<PathBuf> {
    let available = Command::new("dpkg-source")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        return None;
    }
    let build = package.folder.parent().unwrap().join("build");
    fs::create_dir_all(&build).unwrap();
    for name in ["hello_1.0.orig.tar.gz", "hello_1.0.orig-doc.tar.gz"] {
        fs::copy(package.folder.join(name), build.join(name)).unwrap();
    }
    let copy = Command::new("cp")
        .args(["-a"])
        .arg(&package.tree)
        .arg(build.join("hello-1.0"))
        .status()
        .unwrap();
    assert!(copy.success());
    let dpkg = |args: &[&str]| {
        let output = Command::new("dpkg-source")
            .current_dir(&build)
            .args(args)
            .output()
            .unwrap();
        assert!(output.status.success(), "dpkg-source {args:?}: {output:?}");
    };
    dpkg(&["-b", "hello-1.0"]);
    dpkg(&["-x", "hello_1.0-1.dsc", "reference"]);
    Some(build.join("reference"))
}

/// Every entry under `root` but dpkg-source's `.pc/`: its kind, content or link target, and
/// whether it is executable.
fn listing(root: &Path) -> BTreeMap<String, String> {
    let mut entries = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            let relative = path.strip_prefix(root).unwrap().display().to_string();
            if relative == ".pc" || relative == ".mindelta-prepared" {
                continue;
            }
            let meta = fs::symlink_metadata(&path).unwrap();
            let value = if meta.file_type().is_symlink() {
                format!("link {}", fs::read_link(&path).unwrap().display())
            } else if meta.is_dir() {
                stack.push(path.clone());
                "folder".into()
            } else {
                format!(
                    "file {} {}",
                    if meta.permissions().mode() & 0o111 != 0 {
                        "x"
                    } else {
                        "-"
                    },
                    support::sha256(&fs::read(&path).unwrap())
                )
            };
            entries.insert(relative, value);
        }
    }
    entries
}

#[test]
fn a_dsc_checksum_the_orig_tarball_does_not_have_exits_6() {
    let package = package("https://example.org/releases/");
    write(
        &package.folder.join("hello_1.0-1.dsc"),
        format!(
            "Format: 3.0 (quilt)\nSource: hello\nVersion: 1.0-1\nChecksums-Sha256:\n {} 100 hello_1.0.orig.tar.gz\n",
            "c".repeat(64)
        ),
    );
    let out = package.folder.parent().unwrap().join("out");
    let output = run(
        &package,
        &["prepare", "hello", "--out", out.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(6), "{output:?}");
    assert!(!out.exists());
}

#[test]
fn expire_drops_the_series_lines_and_the_files_only() {
    let package = package("https://example.org/releases/");
    write(
        &package.folder.join("hello_1.1.orig.tar.gz"),
        orig("1.1", "one\nTWO\nthree\n"),
    );
    let series = package.tree.join("debian/patches/series");
    let output = run(
        &package,
        &[
            "expire",
            "hello",
            "--release",
            "1.1",
            "--allow-conflicts",
            "--format",
            "json",
        ],
    );
    let report = json(&output);
    let expired: Vec<&str> = report["packages"][0]["expired"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["file"].as_str().unwrap())
        .collect();
    assert!(expired.contains(&"fix-two.patch"), "{report}");
    let after = fs::read_to_string(&series).unwrap();
    assert!(!after.contains("fix-two.patch"), "{after}");
    assert!(after.starts_with("# Fixes from upstream\n"), "{after}");
    assert!(after.contains("doc.patch # the manual\n"), "{after}");
    assert!(!package.tree.join("debian/patches/fix-two.patch").exists());
    // The version stays the maintainer's, and nothing of mindelta's is left in the tree.
    assert_eq!(
        fs::read_to_string(package.tree.join("debian/changelog")).unwrap(),
        CHANGELOG
    );
    assert!(!package.tree.join(".mindelta").exists());
    assert!(!package.tree.join("debian/.mindelta").exists());
}

#[test]
fn expire_changelog_lists_the_dropped_patches_in_the_unreleased_entry() {
    let package = package("https://example.org/releases/");
    write(
        &package.folder.join("hello_1.1.orig.tar.gz"),
        orig("1.1", "one\nTWO\nthree\n"),
    );
    let args = [
        "expire",
        "hello",
        "--release",
        "1.1",
        "--allow-conflicts",
        "--changelog",
    ];
    // A released top entry is history: nothing changes.
    let series = fs::read_to_string(package.tree.join("debian/patches/series")).unwrap();
    let refused = run(&package, &args);
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("dch -i"),
        "{refused:?}"
    );
    assert_eq!(
        fs::read_to_string(package.tree.join("debian/patches/series")).unwrap(),
        series
    );

    let unreleased = CHANGELOG.replace("unstable", "UNRELEASED");
    write(&package.tree.join("debian/changelog"), &unreleased);
    let output = run(&package, &args);
    assert!(output.status.success(), "{output:?}");
    let changelog = fs::read_to_string(package.tree.join("debian/changelog")).unwrap();
    assert!(
        changelog.starts_with(
            "hello (1.0-1) UNRELEASED; urgency=medium\n\n  * Initial release.\n  * Drop patches applied upstream in 1.1: fix-two.patch (fixed-in: 1.1 satisfies\n"
        ),
        "{changelog}"
    );
    assert!(
        changelog
            .ends_with("\n\n -- A Maintainer <a@example.org>  Mon, 01 Jan 2024 00:00:00 +0000\n"),
        "{changelog}"
    );
}

#[test]
fn audit_check_applies_the_series_to_the_orig_tarballs_as_dpkg_source_does() {
    let package = package("https://example.invalid/releases/");
    let audit = |package: &Package| {
        run(
            package,
            &["audit", "--check", "--offline", "--format", "json"],
        )
    };
    // A patch to the component tarball's files applies: no invented finding.
    let output = audit(&package);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let applies: Vec<Option<bool>> = report["packages"][0]["patches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["applies"].as_bool())
        .collect();
    assert_eq!(applies, [Some(true), Some(true), Some(true)], "{report}");
    assert!(
        !report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "applies-to-pinned"),
        "{report}"
    );
    // A patch whose context is not in the orig tarball breaks the build: exit 4.
    write(
        &package.tree.join("debian/patches/broken.patch"),
        "Description: stale\n--- a/greeting.txt\n+++ b/greeting.txt\n@@ -1,3 +1,3 @@\n one\n-deux\n+DEUX\n three\n",
    );
    write(
        &package.tree.join("debian/patches/series"),
        format!("{SERIES}broken.patch\n"),
    );
    let output = audit(&package);
    assert_eq!(
        output.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let gate: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "applies-to-pinned")
        .collect();
    assert_eq!(gate.len(), 1, "{report}");
    assert_eq!(gate[0]["patch"], "broken.patch");
    assert_eq!(gate[0]["location"]["file"], "debian/patches/series");
}

/// The upgrade in a Debian source package, read in place: R's orig tarball and its component
/// beside the tree (where `uscan` puts them) make R's tree as dpkg-source would unpack it; the
/// series and the patches are edited in place, the changelog stays the maintainer's.
#[test]
fn upgrade_in_a_debian_package_edits_the_series_in_place() {
    let package = package("https://example.org/releases/");
    // 1.1 has fix-two upstream; its component's manual gained a line above the one
    // `doc.patch` follows, so that patch is refreshed; `gone.txt` is unchanged.
    write(
        &package.folder.join("hello_1.1.orig.tar.gz"),
        orig("1.1", "one\nTWO\nthree\n"),
    );
    write(
        &package.folder.join("hello_1.1.orig-doc.tar.gz"),
        gzip(&tar(&[
            TarEntry::dir("hello-doc-1.1/"),
            TarEntry::file("hello-doc-1.1/manual.txt", "intro\nmanual\n"),
        ])),
    );
    let series = package.tree.join("debian/patches/series");
    let output = run(
        &package,
        &["upgrade", "hello", "--release", "1.1", "--format", "json"],
    );
    let report = json(&output);
    let outcomes: BTreeMap<String, String> = report["packages"][0]["patches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let field = |key: &str| p[key].as_str().unwrap().to_string();
            (field("file"), field("outcome"))
        })
        .collect();
    let expected: BTreeMap<String, String> = [
        ("doc.patch", "refreshed"),
        ("fix-two.patch", "expired"),
        ("sub/empty-gone.patch", "kept"),
    ]
    .into_iter()
    .map(|(file, outcome)| (file.to_string(), outcome.to_string()))
    .collect();
    assert_eq!(outcomes, expected, "{report}");
    assert_eq!(report["packages"][0]["status"], "finished", "{report}");
    assert_eq!(
        fs::read_to_string(&series).unwrap(),
        "# Fixes from upstream\n\nsub/empty-gone.patch -p1\ndoc.patch # the manual\n"
    );
    assert!(!package.tree.join("debian/patches/fix-two.patch").exists());
    // The refreshed patch applies exactly to R's component, as GNU patch and git see it.
    let doc = tempfile::tempdir().unwrap();
    write(&doc.path().join("doc/manual.txt"), "intro\nmanual\n");
    support::cli::applies_exactly(doc.path(), &package.tree.join("debian/patches/doc.patch"));
    assert_eq!(
        fs::read_to_string(package.tree.join("debian/changelog")).unwrap(),
        CHANGELOG
    );
    assert!(!package.tree.join(".mindelta").exists());
    assert!(!package.tree.join("debian/.mindelta").exists());
}

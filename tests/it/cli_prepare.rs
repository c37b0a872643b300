//! End-to-end tests of `mindelta prepare`, `list` and `patch-id` as a user runs them: the real
//! binary on real workspaces, real git repositories and a real HTTP server on 127.0.0.1.

use crate::support;

use support::cli::{example_workspace, mindelta};

use std::fs;
use std::path::Path;

use sha2::{Digest, Sha256};
use support::git::GitRepo;
use support::http::{HttpServer, Reply};

/// A workspace with one package `demo` whose upstream is written by `upstream` (a manifest
/// fragment) and whose patches are `patches` (file name, text).
fn workspace(root: &Path, name: &str, upstream: &str, patches: &[(&str, &str)]) {
    let dir = root.join("patches").join(name);
    fs::create_dir_all(&dir).unwrap();
    let mut manifest = format!("upstream:\n{upstream}patches:\n");
    for (file, text) in patches {
        fs::write(dir.join(file), text).unwrap();
        manifest.push_str(&format!("  - file: {file}\n"));
    }
    fs::write(dir.join("package.yaml"), manifest).unwrap();
}

const GREETING_PATCH: &str =
    "--- a/greeting.txt\n+++ b/greeting.txt\n@@ -1,3 +1,3 @@\n one\n-two\n+TWO\n three\n";
const CONFLICT_PATCH: &str =
    "--- a/greeting.txt\n+++ b/greeting.txt\n@@ -1,3 +1,3 @@\n one\n-zwei\n+ZWEI\n three\n";

fn tar_gz(files: &[(&str, &[u8])]) -> Vec<u8> {
    let encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut builder = tar::Builder::new(encoder);
    for (path, bytes) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(&mut header, format!("demo-1.0/{path}"), *bytes)
            .unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

#[test]
fn prepares_the_example_package_offline() {
    let temp = tempfile::tempdir().unwrap();
    let out = temp.path().join("build/hello");
    let output = mindelta(&temp.path().join("cache"))
        .current_dir(example_workspace())
        .args(["prepare", "hello", "--offline", "--format", "json", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let source = fs::read_to_string(out.join("hello.c")).unwrap();
    assert!(source.contains("snprintf(buffer, sizeof(buffer)"));
    assert!(source.contains("HELLO_GREETING"));
    assert!(
        fs::read_to_string(out.join("Makefile"))
            .unwrap()
            .contains("PREFIX ?= /usr\n")
    );

    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let package = &report["packages"][0];
    assert_eq!(package["name"], "hello");
    assert_eq!(package["version"], "1.0");
    assert_eq!(package["upstream"]["kind"], "dir");
    let patches = package["patches"].as_array().unwrap();
    assert_eq!(patches.len(), 3);
    for patch in patches {
        assert_eq!(patch["status"], "applied");
        let file = example_workspace()
            .join("patches/hello")
            .join(patch["file"].as_str().unwrap());
        let digest = hex::encode(Sha256::digest(fs::read(file).unwrap()));
        assert_eq!(patch["sha256"], digest);
    }
    // 0002 was written on top of 0001: its hunks land where their headers say.
    let hunks = patches[1]["hunks"].as_array().unwrap();
    assert_eq!(hunks.len(), 2);
    assert!(hunks.iter().all(|h| h["offset"] == 0 && h["fuzz"] == 0));
}

#[test]
fn skips_a_patch_upstream_already_ships() {
    // hello 1.1 contains 0001's fix: preparing 1.1 skips it with a warning and applies the rest.
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("ws");
    let dir = root.join("patches/hello");
    fs::create_dir_all(&dir).unwrap();
    for entry in fs::read_dir(example_workspace().join("patches/hello")).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
    }
    let upstream = example_workspace().join("examples/upstream");
    // 0002 was written against 1.0 (its context names the old usage line): leave it out.
    let manifest = format!(
        "upstream:\n  version: \"1.1\"\n  dir: {}/hello-{{version}}\npatches:\n  - file: 0001-fix-name-overflow.patch\n  - file: 0003-install-to-usr.patch\n",
        upstream.display()
    );
    fs::write(dir.join("package.yaml"), manifest).unwrap();
    let out = temp.path().join("out");
    let output = mindelta(&temp.path().join("cache"))
        .args(["--workspace"])
        .arg(&root)
        .args(["prepare", "hello", "--format", "json", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("skipped `0001-fix-name-overflow.patch`"),
        "{stderr}"
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let patches = &report["packages"][0]["patches"];
    assert_eq!(patches[0]["status"], "skipped");
    assert_eq!(patches[1]["status"], "applied");
    let source = fs::read_to_string(out.join("hello.c")).unwrap();
    assert_eq!(
        source.matches("snprintf").count(),
        1,
        "applied twice:\n{source}"
    );
    assert!(
        fs::read_to_string(out.join("Makefile"))
            .unwrap()
            .contains("PREFIX ?= /usr\n")
    );
}

#[test]
fn a_conflict_leaves_the_previous_tree_as_it_was() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    let upstream = root.join("upstream");
    fs::create_dir_all(&upstream).unwrap();
    fs::write(upstream.join("greeting.txt"), "one\ntwo\nthree\n").unwrap();
    let fragment = format!("  version: \"1.0\"\n  dir: {}\n", upstream.display());
    workspace(root, "demo", &fragment, &[("ok.patch", GREETING_PATCH)]);
    let out = root.join("out");
    mindelta(&root.join("cache"))
        .current_dir(root)
        .args(["prepare", "demo", "--out"])
        .arg(&out)
        .assert()
        .success();
    assert_eq!(
        fs::read_to_string(out.join("greeting.txt")).unwrap(),
        "one\nTWO\nthree\n"
    );

    // Now the series gains a patch that does not apply: exit 3, the old tree stays.
    workspace(
        root,
        "demo",
        &fragment,
        &[("ok.patch", GREETING_PATCH), ("bad.patch", CONFLICT_PATCH)],
    );
    let output = mindelta(&root.join("cache"))
        .current_dir(root)
        .args(["prepare", "demo", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("bad.patch"), "{stderr}");
    assert!(stderr.contains("greeting.txt"), "{stderr}");
    assert!(stderr.contains("hunk #1"), "{stderr}");
    assert_eq!(
        fs::read_to_string(out.join("greeting.txt")).unwrap(),
        "one\nTWO\nthree\n"
    );
    let leftovers: Vec<_> = fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".mindelta"))
        .collect();
    assert!(leftovers.is_empty(), "staging left behind: {leftovers:?}");
}

#[test]
fn tarball_upstream_over_http_with_checksum_and_sbom() {
    let archive = tar_gz(&[("greeting.txt", b"one\ntwo\nthree\n")]);
    let digest = hex::encode(Sha256::digest(&archive));
    let server = HttpServer::start([("/demo-1.0.tar.gz", Reply::Bytes(archive.clone()))]);
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    let fragment = format!(
        "  version: \"1.0\"\n  tarball: {}\n  sha256: {digest}\n",
        server.url("/demo-{version}.tar.gz")
    );
    workspace(root, "demo", &fragment, &[("ok.patch", GREETING_PATCH)]);
    let out = root.join("out");
    let sbom = root.join("sbom.json");
    mindelta(&root.join("cache"))
        .current_dir(root)
        .args(["prepare", "demo", "--out"])
        .arg(&out)
        .arg("--sbom")
        .arg(&sbom)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .assert()
        .success();
    assert_eq!(
        fs::read_to_string(out.join("greeting.txt")).unwrap(),
        "one\nTWO\nthree\n"
    );
    let document: serde_json::Value = serde_json::from_slice(&fs::read(&sbom).unwrap()).unwrap();
    assert_eq!(document["bomFormat"], "CycloneDX");
    assert_eq!(document["specVersion"], "1.6");
    assert_eq!(document["metadata"]["timestamp"], "2023-11-14T22:13:20Z");
    let component = &document["components"][0];
    assert_eq!(component["name"], "demo");
    assert_eq!(component["hashes"][0]["content"], digest.as_str());
    let patch = &component["pedigree"]["patches"][0];
    assert_eq!(patch["type"], "unofficial");
    assert_eq!(patch["diff"]["text"]["content"], GREETING_PATCH);

    // A second run is served from the cache: no new request, even offline.
    let before = server.requests("/demo-1.0.tar.gz");
    mindelta(&root.join("cache"))
        .current_dir(root)
        .args(["--offline", "prepare", "demo", "--out"])
        .arg(&out)
        .assert()
        .success();
    assert_eq!(server.requests("/demo-1.0.tar.gz"), before);
}

#[test]
fn checksum_mismatch_exits_6_and_unreachable_exits_5() {
    let archive = tar_gz(&[("greeting.txt", b"one\ntwo\nthree\n")]);
    let server = HttpServer::start([
        ("/demo-1.0.tar.gz", Reply::Bytes(archive)),
        ("/gone-1.0.tar.gz", Reply::Status(404)),
    ]);
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    let wrong = "0".repeat(64);
    workspace(
        root,
        "bad-sum",
        &format!(
            "  version: \"1.0\"\n  tarball: {}\n  sha256: {wrong}\n",
            server.url("/demo-{version}.tar.gz")
        ),
        &[],
    );
    workspace(
        root,
        "gone",
        &format!(
            "  version: \"1.0\"\n  tarball: {}\n  sha256: {wrong}\n",
            server.url("/gone-{version}.tar.gz")
        ),
        &[],
    );
    let upstream = root.join("upstream");
    fs::create_dir_all(&upstream).unwrap();
    fs::write(upstream.join("greeting.txt"), "one\ntwo\nthree\n").unwrap();
    workspace(
        root,
        "local",
        &format!("  version: \"1.0\"\n  dir: {}\n", upstream.display()),
        &[("ok.patch", GREETING_PATCH)],
    );

    let out = root.join("out");
    let output = mindelta(&root.join("cache"))
        .current_dir(root)
        .args(["prepare", "bad-sum", "--out"])
        .arg(out.join("bad-sum"))
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(6),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!out.join("bad-sum").exists());

    let output = mindelta(&root.join("cache"))
        .current_dir(root)
        .args(["prepare", "gone", "--out"])
        .arg(out.join("gone"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(5));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&server.url("/gone-1.0.tar.gz")), "{stderr}");

    // --all: every other package is still prepared, and every failure is reported.
    let output = mindelta(&root.join("cache"))
        .current_dir(root)
        .args(["prepare", "--all", "--out"])
        .arg(root.join("all"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(6), "{stderr}");
    assert!(
        stderr.contains("bad-sum") && stderr.contains("gone"),
        "{stderr}"
    );
    assert_eq!(
        fs::read_to_string(root.join("all/local/greeting.txt")).unwrap(),
        "one\nTWO\nthree\n"
    );
}

#[test]
fn git_upstream_from_a_local_repository() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    let repo = GitRepo::new(root.join("upstream"));
    repo.write("greeting.txt", "one\ntwo\nthree\n");
    repo.commit("release 1.0");
    repo.tag_annotated("v1.0", "1.0");
    repo.write("greeting.txt", "one\ntwo\nthree\nfour\n");
    repo.commit("after 1.0");
    workspace(
        root,
        "demo",
        &format!("  version: \"1.0\"\n  git: {}\n", repo.path().display()),
        &[("ok.patch", GREETING_PATCH)],
    );
    let out = root.join("out");
    let output = mindelta(&root.join("cache"))
        .current_dir(root)
        .args(["--format", "json", "prepare", "demo", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        fs::read_to_string(out.join("greeting.txt")).unwrap(),
        "one\nTWO\nthree\n"
    );
    assert!(!out.join(".git").exists());
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let commit = repo.git(&["rev-parse", "v1.0^{commit}"]);
    assert_eq!(report["packages"][0]["upstream"]["commit"], commit.trim());
}

#[test]
fn offline_without_cache_names_what_is_missing() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    workspace(
        root,
        "demo",
        &format!(
            "  version: \"1.0\"\n  tarball: http://127.0.0.1:9/demo.tar.gz\n  sha256: {}\n",
            "1".repeat(64)
        ),
        &[],
    );
    let output = mindelta(&root.join("cache"))
        .current_dir(root)
        .args(["--offline", "prepare", "demo", "--out", "out"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&output.stderr).contains("http://127.0.0.1:9/demo.tar.gz"));
}

#[test]
fn list_shows_packages_and_a_typo_names_file_line_and_key() {
    let output = mindelta(Path::new("/nonexistent-cache"))
        .current_dir(example_workspace())
        .arg("list")
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("hello 1.0 (dir"), "{text}");
    assert!(text.contains("0001-fix-name-overflow.patch"), "{text}");
    assert!(text.contains("gnu-hello 2.10, 1 patch"), "{text}");
    assert!(text.contains("(tarball https://ftp.gnu.org/"), "{text}");

    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("patches/typo");
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("package.yaml"),
        "upstream:\n  version: \"1.0\"\n  dir: x\npatches:\n  - file: a.patch\n    fixed_in: \">=2\"\n",
    )
    .unwrap();
    let output = mindelta(Path::new("/nonexistent-cache"))
        .current_dir(temp.path())
        .arg("list")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("package.yaml` line 6"), "{stderr}");
    assert!(stderr.contains("fixed_in"), "{stderr}");
    assert!(stderr.contains("hint:"), "{stderr}");
}

#[test]
fn usage_errors_exit_2() {
    mindelta(Path::new("/nonexistent-cache"))
        .args(["prepare"])
        .assert()
        .code(2);
    mindelta(Path::new("/nonexistent-cache"))
        .args(["no-such-command"])
        .assert()
        .code(2);
}

#[test]
fn shards_split_the_packages_without_overlap() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    let upstream = root.join("upstream");
    fs::create_dir_all(&upstream).unwrap();
    fs::write(upstream.join("greeting.txt"), "one\ntwo\nthree\n").unwrap();
    let names: Vec<String> = (0..8).map(|i| format!("pkg{i}")).collect();
    for name in &names {
        workspace(
            root,
            name,
            &format!("  version: \"1.0\"\n  dir: {}\n", upstream.display()),
            &[("ok.patch", GREETING_PATCH)],
        );
    }
    let mut seen = Vec::new();
    for shard in ["1/3", "2/3", "3/3"] {
        let out = root.join(format!("out-{}", shard.replace('/', "-")));
        mindelta(&root.join("cache"))
            .current_dir(root)
            .args(["prepare", "--all", "--shard", shard, "--out"])
            .arg(&out)
            .assert()
            .success();
        if out.exists() {
            for entry in fs::read_dir(&out).unwrap() {
                let name = entry.unwrap().file_name().to_string_lossy().into_owned();
                // Beside each tree is the marker that lets the next `prepare` replace it.
                match name.strip_suffix(".mindelta-prepared") {
                    Some(marker) => assert!(out.join(&marker[1..]).is_dir(), "{name}"),
                    None => seen.push(name),
                }
            }
        }
    }
    seen.sort();
    assert_eq!(seen, names);
    mindelta(&root.join("cache"))
        .current_dir(root)
        .args(["prepare", "--all", "--shard", "4/3", "--out", "x"])
        .assert()
        .code(2);
}

#[test]
fn apply_dry_run_checks_a_series_in_order_and_writes_nothing() {
    let temp = tempfile::tempdir().unwrap();
    let tree = temp.path().join("tree");
    fs::create_dir_all(&tree).unwrap();
    fs::write(tree.join("greeting.txt"), "one\ntwo\nthree\n").unwrap();
    // The second patch only applies on top of the first.
    let second =
        "--- a/greeting.txt\n+++ b/greeting.txt\n@@ -1,3 +1,3 @@\n one\n-TWO\n+deux\n three\n";
    fs::write(temp.path().join("1.patch"), GREETING_PATCH).unwrap();
    fs::write(temp.path().join("2.patch"), second).unwrap();
    mindelta(&temp.path().join("cache"))
        .current_dir(temp.path())
        .args(["apply", "-C", "tree", "--dry-run", "1.patch", "2.patch"])
        .assert()
        .success();
    assert_eq!(
        fs::read_to_string(tree.join("greeting.txt")).unwrap(),
        "one\ntwo\nthree\n"
    );
    // Out of order, the dry run fails like the real run would (exit 3) and still writes nothing.
    mindelta(&temp.path().join("cache"))
        .current_dir(temp.path())
        .args(["apply", "-C", "tree", "--dry-run", "2.patch", "1.patch"])
        .assert()
        .code(3);
    mindelta(&temp.path().join("cache"))
        .current_dir(temp.path())
        .args(["apply", "-C", "tree", "1.patch", "2.patch"])
        .assert()
        .success();
    assert_eq!(
        fs::read_to_string(tree.join("greeting.txt")).unwrap(),
        "one\ndeux\nthree\n"
    );
}

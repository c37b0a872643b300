//! The gate of `audit --check`: a patch that does not apply to the pinned release — in series
//! order, zero fuzz, as `prepare` applies it — is an `error` finding (exit 4). The release comes
//! through the cache (a real HTTP server on 127.0.0.1, a real git repository); when it cannot
//! be had the answer is unknown (a warning), never a finding.

use crate::support;

use std::fs;
use std::path::Path;

use support::cli::mindelta;
use support::git::GitRepo;
use support::http::{HttpServer, Reply};
use support::{TarEntry, gzip, sha256, tar};

const UPSTREAM: &str = "alpha\nbeta\ngamma\ndelta\n";
/// Applies to UPSTREAM.
const FIRST: &str =
    "--- a/a.txt\n+++ b/a.txt\n@@ -1,4 +1,4 @@\n alpha\n-beta\n+BETA\n gamma\n delta\n";
/// Its context is not in UPSTREAM: does not apply, not even with offsets.
const BROKEN: &str = "--- a/a.txt\n+++ b/a.txt\n@@ -1,3 +1,3 @@\n alpha\n-zeta\n+ZETA\n gamma\n";
/// Applies only on top of FIRST (series order).
const ON_FIRST: &str =
    "--- a/a.txt\n+++ b/a.txt\n@@ -1,4 +1,4 @@\n alpha\n BETA\n-gamma\n+GAMMA\n delta\n";
/// Already in the tree: `prepare` skips it, the build does not break.
const PRESENT: &str = "--- a/b.txt\n+++ b/b.txt\n@@ -1 +1 @@\n-old\n+new\n";

fn release() -> Vec<u8> {
    gzip(&tar(&[
        TarEntry::dir("demo-1.0/"),
        TarEntry::file("demo-1.0/a.txt", UPSTREAM),
        TarEntry::file("demo-1.0/b.txt", "new\n"),
        TarEntry::file("demo-1.0/c.txt", "untouched\n"),
    ]))
}

/// Package `demo` on the tarball at `url` (pinned by `sum`) with the four patches.
fn workspace(root: &Path, url: &str, sum: &str) {
    let dir = root.join("patches/demo");
    fs::create_dir_all(&dir).unwrap();
    for (file, text) in [
        ("first.patch", FIRST),
        ("broken.patch", BROKEN),
        ("on-first.patch", ON_FIRST),
        ("present.patch", PRESENT),
    ] {
        fs::write(dir.join(file), text).unwrap();
    }
    fs::write(
        dir.join("package.yaml"),
        format!(
            "upstream:\n  version: \"1.0\"\n  tarball: {url}\n  sha256: {sum}\npatches:\n  - file: first.patch\n  - file: broken.patch\n  - file: on-first.patch\n  - file: present.patch\n"
        ),
    )
    .unwrap();
}

fn audit(cache: &Path, root: &Path, extra: &[&str]) -> std::process::Output {
    mindelta(cache)
        .arg("--workspace")
        .arg(root)
        .args(["audit", "--format", "json"])
        .args(extra)
        .env("MINDELTA_NOW", "2026-12-01")
        .output()
        .unwrap()
}

fn report(output: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stderr)))
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The `applies-to-pinned` findings: (patch, line).
fn gate(report: &serde_json::Value) -> Vec<(String, u64)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "applies-to-pinned")
        .map(|f| {
            assert_eq!(f["severity"], "error");
            (
                f["patch"].as_str().unwrap().to_string(),
                f["location"]["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_patch_that_does_not_apply_to_the_pinned_tarball_is_an_error() {
    let tarball = release();
    let server = HttpServer::start([("/demo-1.0.tar.gz", Reply::Bytes(tarball.clone()))]);
    let temp = tempfile::tempdir().unwrap();
    let (root, cache) = (temp.path().join("ws"), temp.path().join("cache"));
    workspace(
        &root,
        &server.url("/demo-{version}.tar.gz"),
        &sha256(&tarball),
    );
    fs::create_dir_all(root.join("policies")).unwrap();

    // Without `--check`: no gate, no download.
    let plain = audit(&cache, &root, &[]);
    assert_eq!(plain.status.code(), Some(0), "{}", stderr(&plain));
    assert_eq!(server.requests("/demo-1.0.tar.gz"), 0);

    let checked = audit(&cache, &root, &["--check"]);
    assert_eq!(checked.status.code(), Some(4), "{}", stderr(&checked));
    let report = report(&checked);
    assert_eq!(gate(&report), vec![("broken.patch".to_string(), 7)]);
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "applies-to-pinned")
        .unwrap();
    assert_eq!(
        finding["message"],
        "The patch does not apply to demo 1.0 (in series order, zero fuzz): hunk #1 of `a.txt` does not apply at line 1"
    );
    assert_eq!(finding["location"]["file"], "patches/demo/package.yaml");
    let applies: Vec<Option<bool>> = report["packages"][0]["patches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["applies"].as_bool())
        .collect();
    assert_eq!(applies, [Some(true), Some(false), Some(true), Some(true)]);
    assert!(
        stderr(&checked).contains("1 finding of severity `error`"),
        "{}",
        stderr(&checked)
    );
    assert_eq!(
        server.requests("/demo-1.0.tar.gz"),
        1,
        "downloaded once, then cached"
    );

    // Offline, from the cache: the same answer.
    let offline = audit(&cache, &root, &["--check", "--offline"]);
    assert_eq!(offline.status.code(), Some(4), "{}", stderr(&offline));
    assert_eq!(
        gate(&self::report(&offline)),
        vec![("broken.patch".to_string(), 7)]
    );

    // The human report names it with what to do.
    let human = mindelta(&cache)
        .arg("--workspace")
        .arg(&root)
        .args(["--offline", "audit", "--check"])
        .env("MINDELTA_NOW", "2026-12-01")
        // Wide enough that each finding is one line.
        .env("COLUMNS", "1000")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains(
            "error [applies-to-pinned] demo/broken.patch: The patch does not apply to demo 1.0"
        ) && text.contains("at patches/demo/package.yaml:7")
            && text.contains("help: The build breaks here: rebase the patch onto 1.0"),
        "{text}"
    );
}

#[test]
fn when_the_release_cannot_be_had_nothing_is_invented() {
    let server = HttpServer::start([("/demo-1.0.tar.gz", Reply::Status(500))]);
    let temp = tempfile::tempdir().unwrap();
    let (root, cache) = (temp.path().join("ws"), temp.path().join("cache"));
    workspace(
        &root,
        &server.url("/demo-{version}.tar.gz"),
        &"0".repeat(64),
    );
    fs::create_dir_all(root.join("policies")).unwrap();
    for extra in [&["--check"][..], &["--check", "--offline"][..]] {
        let output = audit(&cache, &root, extra);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{extra:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output)
                .contains("warning: demo: no verdicts, and cannot tell whether the patches apply"),
            "{extra:?}: {}",
            stderr(&output)
        );
        let report = report(&output);
        assert!(gate(&report).is_empty());
        assert!(
            report["packages"][0]["patches"][0].get("applies").is_none(),
            "unknown, not false"
        );
    }
}

#[test]
fn the_gate_judges_the_pinned_release_not_the_newest() {
    // A git upstream: v1.0 breaks the second patch, v1.1 (the newest) would take it.
    let temp = tempfile::tempdir().unwrap();
    let upstream = GitRepo::new(temp.path().join("upstream"));
    upstream.write("a.txt", UPSTREAM);
    upstream.commit("1.0");
    upstream.tag("v1.0");
    upstream.write("a.txt", "alpha\nzeta\ngamma\ndelta\n");
    upstream.commit("1.1");
    upstream.tag("v1.1");
    let (root, cache) = (temp.path().join("ws"), temp.path().join("cache"));
    let dir = root.join("patches/demo");
    fs::create_dir_all(&dir).unwrap();
    fs::create_dir_all(root.join("policies")).unwrap();
    fs::write(dir.join("broken.patch"), BROKEN).unwrap();
    fs::write(
        dir.join("package.yaml"),
        format!(
            "upstream:\n  version: \"1.0\"\n  git: {}\n  releases:\n    pattern: 'v(?<version>.*)'\npatches:\n  - file: broken.patch\n",
            upstream.path().display()
        ),
    )
    .unwrap();
    let output = audit(&cache, &root, &["--check"]);
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    let report = report(&output);
    assert_eq!(report["packages"][0]["latest"], "1.1");
    assert_eq!(
        report["packages"][0]["patches"][0]["verdict"], "needed",
        "against 1.1"
    );
    assert_eq!(gate(&report), vec![("broken.patch".to_string(), 7)]);
}

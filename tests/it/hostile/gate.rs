//! The apply check of `audit --check` writes the release's touched files to a temporary folder
//! of the cache and applies the series there: a patch that climbs out of the tree, or a release
//! whose file is a link out of it, is a finding (the build would refuse it too), never a write
//! outside, and nothing is left in the cache.

use crate::support;

use std::fs;

use support::cli::mindelta;
use support::http::{HttpServer, Reply};
use support::{TarEntry, gzip, sha256, tar};

#[test]
fn escaping_patches_and_linked_files_are_findings_not_writes() {
    let tarball = gzip(&tar(&[
        TarEntry::dir("demo-1.0/"),
        TarEntry::file("demo-1.0/a.txt", "a\n"),
        TarEntry::symlink("demo-1.0/link.txt", "../../../../outside.txt"),
    ]));
    let server = HttpServer::start([("/demo-1.0.tar.gz", Reply::Bytes(tarball.clone()))]);
    let temp = tempfile::tempdir().unwrap();
    let (root, cache) = (temp.path().join("ws"), temp.path().join("cache"));
    let dir = root.join("patches/demo");
    fs::create_dir_all(&dir).unwrap();
    fs::create_dir_all(root.join("policies")).unwrap();
    fs::write(temp.path().join("outside.txt"), "outside\n").unwrap();
    let patches = [
        (
            "climb.patch",
            "--- a/../../outside.txt\n+++ b/../../outside.txt\n@@ -1 +1 @@\n-outside\n+pwned\n",
        ),
        (
            "absolute.patch",
            "--- /etc/hostname\n+++ /etc/hostname\n@@ -1 +1 @@\n-x\n+y\n",
        ),
        (
            "through-link.patch",
            "--- a/link.txt\n+++ b/link.txt\n@@ -1 +1 @@\n-outside\n+pwned\n",
        ),
        (
            "fine.patch",
            "--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-a\n+b\n",
        ),
    ];
    let mut entries = String::new();
    for (file, text) in patches {
        fs::write(dir.join(file), text).unwrap();
        entries.push_str(&format!("  - file: {file}\n"));
    }
    fs::write(
        dir.join("package.yaml"),
        format!(
            "upstream:\n  version: \"1.0\"\n  tarball: {}\n  sha256: {}\npatches:\n{entries}",
            server.url("/demo-{version}.tar.gz"),
            sha256(&tarball)
        ),
    )
    .unwrap();
    let output = mindelta(&cache)
        .arg("--workspace")
        .arg(&root)
        .args(["audit", "--check", "--format", "json"])
        .env("MINDELTA_NOW", "2026-12-01")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    let failing: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "applies-to-pinned")
        .filter_map(|f| f["patch"].as_str())
        .collect();
    for file in ["climb.patch", "absolute.patch", "through-link.patch"] {
        assert!(failing.contains(&file), "{file} is a finding: {report}");
    }
    assert!(!failing.contains(&"fine.patch"), "{report}");
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert_eq!(
        fs::read_to_string(temp.path().join("outside.txt")).unwrap(),
        "outside\n"
    );
    // The temporary trees are gone: the cache's run folders hold nothing of the check.
    let leftovers: Vec<String> = walk(&cache)
        .into_iter()
        .filter(|path| path.contains("applies-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        out.push(path.display().to_string());
        if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
            out.extend(walk(&path));
        }
    }
    out
}

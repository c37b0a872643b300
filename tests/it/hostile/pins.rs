//! Hostile answers to the downloads behind a checksum (`import` without `--sha256`, `pin`):
//! every bound of a download holds, an archive that escapes its tree is refused, and a refused
//! download writes no checksum — nor anything through a link in the workspace.

use crate::support;

use std::fs;
use std::path::Path;

use support::cli::{mindelta, snapshot};
use support::http::{HttpServer, Reply};
use support::{TarEntry, gzip, tar};

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Package `demo` on the tarball at `url`, no checksum.
fn workspace(root: &Path, url: &str) {
    fs::create_dir_all(root.join("patches/demo")).unwrap();
    fs::write(
        root.join("patches/demo/package.yaml"),
        format!("upstream:\n  version: \"1.0\"\n  tarball: {url}\npatches: []\n"),
    )
    .unwrap();
}

fn pin(cache: &Path, root: &Path, extra: &[&str]) -> std::process::Output {
    mindelta(cache)
        .arg("--workspace")
        .arg(root)
        .args(extra)
        .args(["pin", "demo"])
        .output()
        .unwrap()
}

#[test]
fn a_pin_download_keeps_every_bound_and_writes_nothing_when_refused() {
    let escaping = gzip(&tar(&[
        TarEntry::dir("demo-1.0/"),
        TarEntry::file("demo-1.0/../../escaped.txt", "out\n"),
    ]));
    let server = HttpServer::start([
        ("/big-1.0.tar.gz", Reply::Bytes(vec![0u8; 64 << 10])),
        ("/endless-1.0.tar.gz", Reply::Endless { declared: None }),
        ("/escaping-1.0.tar.gz", Reply::Bytes(escaping)),
        ("/cut-1.0.tar.gz", Reply::Truncated(vec![1u8; 4096])),
    ]);
    let temp = tempfile::tempdir().unwrap();
    let cache = temp.path().join("cache");
    for (name, extra, code, wanted) in [
        ("big", &["--max-download-size", "16K"][..], 1, "16384"),
        ("endless", &["--max-download-size", "1M"][..], 1, "1048576"),
        ("escaping", &[][..], 1, "escaped.txt"),
        ("cut", &[][..], 5, "unavailable"),
    ] {
        let root = temp.path().join(name);
        workspace(&root, &server.url(&format!("/{name}-{{version}}.tar.gz")));
        let before = snapshot(&root);
        let output = pin(&cache, &root, extra);
        assert_eq!(
            output.status.code(),
            Some(code),
            "{name}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(wanted),
            "{name}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains("nothing was changed"),
            "{name}: {}",
            stderr(&output)
        );
        assert_eq!(snapshot(&root), before, "{name}: no checksum written");
    }
    assert!(
        server.sent("/endless-1.0.tar.gz") < 64 << 20,
        "the endless body was cut at the bound"
    );
    assert!(!temp.path().join("escaped.txt").exists());
    assert!(!temp.path().parent().unwrap().join("escaped.txt").exists());
}

#[test]
fn a_manifest_that_is_a_link_is_never_written_through() {
    let tarball = gzip(&tar(&[
        TarEntry::dir("demo-1.0/"),
        TarEntry::file("demo-1.0/a.txt", "a\n"),
    ]));
    let server = HttpServer::start([("/demo-1.0.tar.gz", Reply::Bytes(tarball))]);
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("ws");
    workspace(&root, &server.url("/demo-{version}.tar.gz"));
    let outside = temp.path().join("outside.yaml");
    fs::rename(root.join("patches/demo/package.yaml"), &outside).unwrap();
    std::os::unix::fs::symlink(&outside, root.join("patches/demo/package.yaml")).unwrap();
    let before = fs::read_to_string(&outside).unwrap();
    let output = pin(&temp.path().join("cache"), &root, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(fs::read_to_string(&outside).unwrap(), before);
    assert!(
        fs::symlink_metadata(root.join("patches/demo/package.yaml"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn an_import_download_keeps_the_bounds_and_imports_nothing_when_refused() {
    let server = HttpServer::start([(
        "/big-1.0.tar.gz",
        Reply::Endless {
            declared: Some(1 << 40),
        },
    )]);
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("ws");
    fs::create_dir_all(root.join("patches")).unwrap();
    let series = temp.path().join("series");
    fs::create_dir_all(&series).unwrap();
    fs::write(series.join("series"), "a.patch\n").unwrap();
    fs::write(
        series.join("a.patch"),
        "--- a/a\n+++ b/a\n@@ -1 +1 @@\n-a\n+b\n",
    )
    .unwrap();
    let output = mindelta(&temp.path().join("cache"))
        .arg("--workspace")
        .arg(&root)
        .args(["--max-download-size", "1M", "import", "quilt"])
        .arg(&series)
        .args(["--name", "big", "--version", "1.0", "--upstream-tarball"])
        .arg(server.url("/big-{version}.tar.gz"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("nothing was imported"),
        "{}",
        stderr(&output)
    );
    assert!(!root.join("patches/big").exists());
    assert!(stderr(&output).contains("1048576"), "{}", stderr(&output));
    let sent = server.sent("/big-1.0.tar.gz");
    assert!(
        sent < 64 << 20,
        "the client stopped reading: {sent} bytes sent"
    );
}

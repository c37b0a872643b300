//! Releases that move, end to end with a real HTTP server on 127.0.0.1: a tarball whose
//! compression changed upstream (`.tar.gz` → `.tar.xz`, as bash's did) is found through the
//! folder's listing page or by asking for each compression, under the same checksum rules; and
//! `versions` reads the listing page when the git upstream cannot be reached.

use crate::support;

use std::fs;
use std::path::Path;

use support::cli::mindelta;
use support::http::{HttpServer, Reply};
use support::{TarEntry, sha256};

/// A workspace at `root` with one package whose `upstream:` block is `upstream` (indented).
fn package(root: &Path, name: &str, upstream: &str) {
    let dir = root.join("patches").join(name);
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("package.yaml"),
        format!("upstream:\n{upstream}patches: []\n"),
    )
    .unwrap();
}

/// The tar of bash 5.2's tree (uncompressed).
fn bash_tar() -> Vec<u8> {
    support::tar(&[
        TarEntry::dir("bash-5.2/"),
        TarEntry::file("bash-5.2/shell.c", "int main(void) { return 0; }\n"),
    ])
}

fn listing(files: &[&str]) -> String {
    let links: String = files
        .iter()
        .map(|f| format!("<a href=\"{f}\">{f}</a>\n"))
        .collect();
    format!("<html><body>\n<a href=\"../\">../</a>\n{links}</body></html>\n")
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_tarball_moved_to_xz_is_found_through_the_listing() {
    let xz = support::xz(&bash_tar());
    let server = HttpServer::start([
        ("/bash/bash-5.2.tar.gz", Reply::Status(404)),
        (
            "/bash/",
            Reply::Page(listing(&[
                "bash-5.1.tar.gz",
                "bash-5.2.tar.xz",
                "bash-5.2.tar.xz.sig",
            ])),
        ),
        ("/bash/bash-5.2.tar.xz", Reply::Bytes(xz.clone())),
        ("/bash/bash-5.2.tar.bz2", Reply::Status(500)),
    ]);
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("ws");
    // The checksum declared is the xz's: the release is verified, whatever its file name.
    package(
        &root,
        "bash",
        &format!(
            "  version: \"5.2\"\n  tarball: {}\n  sha256: {}\n",
            server.url("/bash/bash-{version}.tar.gz"),
            sha256(&xz)
        ),
    );
    let output = mindelta(&temp.path().join("cache"))
        .current_dir(&root)
        .args(["--format", "json", "prepare", "bash", "--out", "out"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        fs::read_to_string(root.join("out/shell.c")).unwrap(),
        "int main(void) { return 0; }\n"
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let upstream = &json["packages"][0]["upstream"];
    assert_eq!(upstream["url"], server.url("/bash/bash-5.2.tar.xz"));
    assert_eq!(upstream["sha256"], sha256(&xz));
    assert!(
        stderr(&output).contains("using `http://"),
        "the move is said: {}",
        stderr(&output)
    );
    assert_eq!(server.requests("/bash/bash-5.2.tar.gz"), 1);
    assert_eq!(server.requests("/bash/"), 1);
    assert_eq!(server.requests("/bash/bash-5.2.tar.xz"), 1);
    // Not on the listing: never asked for.
    assert_eq!(server.requests("/bash/bash-5.2.tar.bz2"), 0);
    assert_eq!(server.requests("/bash/bash-5.2.tgz"), 0);
}

#[test]
fn without_a_listing_each_compression_is_asked_for_in_turn() {
    let tgz = support::gzip(&bash_tar());
    let server = HttpServer::start([
        ("/bash/bash-5.2.tar.xz", Reply::Status(404)),
        ("/bash/", Reply::Status(403)),
        ("/bash/bash-5.2.tgz", Reply::Bytes(tgz.clone())),
    ]);
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("ws");
    package(
        &root,
        "bash",
        &format!(
            "  version: \"5.2\"\n  tarball: {}\n",
            server.url("/bash/bash-{version}.tar.xz")
        ),
    );
    let output = mindelta(&temp.path().join("cache"))
        .current_dir(&root)
        .args(["prepare", "bash", "--out", "out", "--allow-unverified"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(root.join("out/shell.c").is_file());
    for path in [
        "/bash/bash-5.2.tar.xz",
        "/bash/",
        "/bash/bash-5.2.tar.gz",
        "/bash/bash-5.2.tar.bz2",
        "/bash/bash-5.2.tar.zst",
        "/bash/bash-5.2.tgz",
    ] {
        assert_eq!(server.requests(path), 1, "{path}");
    }
}

#[test]
fn a_release_in_no_compression_is_not_found_and_not_retryable() {
    let server = HttpServer::start([
        ("/bash/bash-5.2.tar.gz", Reply::Status(404)),
        (
            "/bash/",
            Reply::Page(listing(&["bash-5.1.tar.gz", "bash-5.1.tar.xz"])),
        ),
    ]);
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("ws");
    package(
        &root,
        "bash",
        &format!(
            "  version: \"5.2\"\n  tarball: {}\n  sha256: {}\n",
            server.url("/bash/bash-{version}.tar.gz"),
            "0".repeat(64)
        ),
    );
    let output = mindelta(&temp.path().join("cache"))
        .current_dir(&root)
        .args(["prepare", "bash", "--out", "out"])
        .output()
        .unwrap();
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(5), "{text}");
    assert!(text.contains("release not found"), "{text}");
    assert!(text.contains("bash-5.2.tar.gz"), "{text}");
    assert!(text.contains("retrying will not help"), "{text}");
    assert!(!text.contains("--offline"), "{text}");
    assert_eq!(
        server.requests("/bash/bash-5.2.tar.gz"),
        1,
        "a 404 is not retried"
    );
    // The listing offers no other compression of 5.2: nothing else is asked for.
    assert_eq!(server.requests("/bash/bash-5.2.tar.xz"), 0);
    assert!(!root.join("out").exists());
}

/// Tags of a git upstream that cannot be reached: a closed port on 127.0.0.1.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    port
}

#[test]
fn versions_reads_the_listing_when_the_git_upstream_is_unreachable() {
    let server = HttpServer::start([(
        "/bash/",
        Reply::Page(listing(&[
            "bash-5.1.tar.gz",
            "bash-5.2.tar.gz",
            "bash-5.3-rc1.tar.gz",
            "bash-5.3.tar.gz",
            "bash-5.3.tar.xz",
        ])),
    )]);
    let port = closed_port();
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("ws");
    // A tarball upstream that names its repository: the folder of the tarball is the listing.
    package(
        &root,
        "bash",
        &format!(
            "  version: \"5.2\"\n  tarball: {}\n  sha256: {}\n  git: http://127.0.0.1:{port}/bash.git\n",
            server.url("/bash/bash-{version}.tar.gz"),
            "0".repeat(64)
        ),
    );
    // A git upstream with a listing page and a pattern.
    package(
        &root,
        "readline",
        &format!(
            "  version: \"8.2\"\n  git: http://127.0.0.1:{port}/readline.git\n  releases:\n    url: {}\n    pattern: 'bash-(?<version>[0-9.]+)\\.tar\\.(gz|xz)'\n",
            server.url("/bash/")
        ),
    );
    let cache = temp.path().join("cache");
    let run = |args: &[&str]| {
        mindelta(&cache)
            .current_dir(&root)
            .args(args)
            .output()
            .unwrap()
    };

    let output = run(&["versions", "bash"]);
    let text = stderr(&output);
    assert!(output.status.success(), "{text}");
    let listed = String::from_utf8(output.stdout).unwrap();
    let versions: Vec<&str> = listed
        .lines()
        .map(|l| l[2..].split_whitespace().next().unwrap())
        .collect();
    assert_eq!(versions, ["5.3", "5.2", "5.1"], "{listed}");
    // The tarball template gives each release's URL.
    assert!(
        listed.contains(&server.url("/bash/bash-5.3.tar.gz")),
        "{listed}"
    );
    assert!(text.starts_with("warning: bash: "), "{text}");
    assert!(
        text.contains(&format!("127.0.0.1:{port}/bash.git")),
        "{text}"
    );
    assert!(text.contains(&server.url("/bash/")), "{text}");

    // JSON on stdout is untouched by the warning.
    let output = run(&["versions", "readline", "--format", "json"]);
    let text = stderr(&output);
    assert!(output.status.success(), "{text}");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let releases = json["releases"].as_array().unwrap();
    let versions: Vec<&str> = releases
        .iter()
        .map(|r| r["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["5.3", "5.2", "5.1"]);
    // Without a template, a release's URL is its link on the page (the first of its two).
    assert_eq!(releases[0]["url"], server.url("/bash/bash-5.3.tar.gz"));
    assert!(
        text.contains("the releases are read from the listing"),
        "{text}"
    );

    // `-q` keeps the warning quiet, not the releases.
    let output = run(&["versions", "bash", "-q"]);
    assert!(output.status.success());
    assert!(output.stderr.is_empty(), "{}", stderr(&output));
    assert_eq!(String::from_utf8(output.stdout).unwrap(), listed);
}

#[test]
fn versions_without_git_or_listing_exits_5_naming_the_git_upstream() {
    let server = HttpServer::start([("/bash/", Reply::Status(500))]);
    let port = closed_port();
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("ws");
    package(
        &root,
        "bash",
        &format!(
            "  version: \"5.2\"\n  tarball: {}\n  sha256: {}\n  git: http://127.0.0.1:{port}/bash.git\n",
            server.url("/bash/bash-{version}.tar.gz"),
            "0".repeat(64)
        ),
    );
    let output = mindelta(&temp.path().join("cache"))
        .current_dir(&root)
        .args(["versions", "bash"])
        .output()
        .unwrap();
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(5), "{text}");
    // The source the manifest prefers is the one named.
    assert!(
        text.contains(&format!("127.0.0.1:{port}/bash.git")),
        "{text}"
    );
    assert!(server.requests("/bash/") >= 1, "the listing was tried");
}

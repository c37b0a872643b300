//! Hostile answers to a release that moved: a recompressed tarball under a pinned checksum
//! (an integrity failure, never accepted), and a listing page that offers a flood of
//! candidates (at most the four other compressions are ever requested).

use crate::support;

use std::fs;
use std::path::Path;

use support::cli::mindelta;
use support::http::{HttpServer, Reply};
use support::{TarEntry, sha256};

fn package(root: &Path, name: &str, upstream: &str) {
    let dir = root.join("patches").join(name);
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("package.yaml"),
        format!("upstream:\n{upstream}patches: []\n"),
    )
    .unwrap();
}

fn bash_tar() -> Vec<u8> {
    support::tar(&[
        TarEntry::dir("bash-5.2/"),
        TarEntry::file("bash-5.2/shell.c", "int main(void) { return 0; }\n"),
    ])
}

#[test]
fn a_recompressed_tarball_under_the_old_checksum_is_an_integrity_failure() {
    let tar = bash_tar();
    let gz = support::gzip(&tar);
    let xz = support::xz(&tar);
    let server = HttpServer::start([
        ("/bash/bash-5.2.tar.gz", Reply::Status(404)),
        (
            "/bash/",
            Reply::Page("<a href=\"bash-5.2.tar.xz\">bash-5.2.tar.xz</a>\n".to_owned()),
        ),
        ("/bash/bash-5.2.tar.xz", Reply::Bytes(xz)),
    ]);
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("ws");
    let cache = temp.path().join("cache");
    // The manifest pins the gzip that upstream took down: the same files, another archive.
    package(
        &root,
        "bash",
        &format!(
            "  version: \"5.2\"\n  tarball: {}\n  sha256: {}\n",
            server.url("/bash/bash-{version}.tar.gz"),
            sha256(&gz)
        ),
    );
    let output = mindelta(&cache)
        .current_dir(&root)
        .args(["prepare", "bash", "--out", "out"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(6), "{text}");
    assert!(text.contains("another compression"), "{text}");
    assert!(text.contains("bash-5.2.tar.xz"), "{text}");
    assert!(
        text.contains(&sha256(&gz)),
        "the pinned checksum is named: {text}"
    );
    assert!(text.contains("do not retry"), "{text}");
    assert!(!root.join("out").exists(), "nothing was prepared");
    assert_eq!(server.requests("/bash/bash-5.2.tar.xz"), 1, "not retried");
    // Nothing unverified was kept in the cache.
    let kept: Vec<_> = support::list_tree(&cache.join("tarballs"))
        .into_iter()
        .filter(|p| p.ends_with(".tar.xz"))
        .collect();
    assert!(kept.is_empty(), "{kept:?}");
}

#[test]
fn a_listing_that_offers_a_flood_of_candidates_costs_at_most_four_requests() {
    let xz = support::xz(&bash_tar());
    // 60,000 links that look like the release: other folders, queries, suffixes, fragments.
    let mut page = String::from("<html><body>\n");
    for i in 0..15_000 {
        page.push_str(&format!(
            "<a href=\"mirror{i}/bash-5.2.tar.xz\">x</a><a href=\"bash-5.2.tar.xz?m={i}\">x</a>\
             <a href=\"bash-5.2.tar.xz.{i}\">x</a><a href=\"bash-5.2.tar.bz2#{i}\">x</a>\n"
        ));
    }
    page.push_str("</body></html>\n");
    let server = HttpServer::start([
        ("/bash/bash-5.2.tar.gz", Reply::Status(404)),
        ("/bash/", Reply::Page(page)),
        ("/bash/bash-5.2.tar.bz2", Reply::Status(404)),
        ("/bash/bash-5.2.tar.xz", Reply::Bytes(xz.clone())),
    ]);
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("ws");
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
        .args(["prepare", "bash", "--out", "out"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Each compression once, in its order (`.tar.xz` before `.tar.bz2`: found first), from
    // the release's own folder; no mirror folder is ever asked for.
    assert_eq!(server.requests("/bash/"), 1);
    assert_eq!(server.requests("/bash/bash-5.2.tar.xz"), 1);
    assert_eq!(server.requests("/bash/bash-5.2.tar.bz2"), 0);
    for i in [0, 1, 14_999] {
        assert_eq!(
            server.requests(&format!("/bash/mirror{i}/bash-5.2.tar.xz")),
            0
        );
    }
}

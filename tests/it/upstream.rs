//! Upstream sources end to end: real git repositories (built with git's CLI) and a real HTTP
//! server on 127.0.0.1, through the public `Fetcher` API.

use crate::support;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use mindelta::upstream::{FetchError, FetchErrorKind, Fetcher, Progress, SourceSpec};
use support::git::GitRepo;
use support::http::{HttpServer, Reply};
use support::{TarEntry, ZipEntry};

fn fetcher(cache: &Path) -> Fetcher {
    Fetcher::new(support::fetch_options(cache), None)
}

fn offline_fetcher(cache: &Path) -> Fetcher {
    let mut options = support::fetch_options(cache);
    options.offline = true;
    Fetcher::new(options, None)
}

fn git_spec(url: &Path, tags: &[&str]) -> SourceSpec {
    SourceSpec::Git {
        url: url.display().to_string(),
        tags: tags.iter().map(|tag| tag.to_string()).collect(),
    }
}

/// A repository with a 1.2 release and a 1.3 release (tagged by the caller).
fn zlib_like(dir: &Path) -> (GitRepo, String, String) {
    let repo = GitRepo::new(dir);
    repo.write("zlib.h", "#define ZLIB_VERSION \"1.2\"\n")
        .write("src/inflate.c", "int inflate(void) { return 0; }\n");
    let first = repo.commit("zlib 1.2");
    repo.tag("v1.2");
    repo.write("zlib.h", "#define ZLIB_VERSION \"1.3\"\n")
        .write("configure", "#!/bin/sh\necho configured\n")
        .make_executable("configure")
        .symlink("include/zlib.h", "../zlib.h");
    let second = repo.commit("zlib 1.3");
    (repo, first, second)
}

fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(path).expect("read a file")
}

#[test]
fn git_annotated_tag_gives_the_tree_without_git_metadata() {
    let temp = tempfile::tempdir().unwrap();
    let (repo, _, second) = zlib_like(&temp.path().join("origin"));
    repo.tag_annotated("v1.3", "release 1.3");
    let dest = temp.path().join("out");
    let provenance = fetcher(&temp.path().join("cache"))
        .materialize(&git_spec(repo.path(), &["v1.3", "1.3"]), &dest)
        .unwrap();
    assert_eq!(provenance.kind, "git");
    assert_eq!(provenance.commit.as_deref(), Some(second.as_str()));
    assert_eq!(provenance.tag.as_deref(), Some("v1.3"));
    assert_eq!(read(dest.join("zlib.h")), "#define ZLIB_VERSION \"1.3\"\n");
    assert_eq!(read(dest.join("include/zlib.h")), read(dest.join("zlib.h")));
    assert_eq!(
        std::fs::read_link(dest.join("include/zlib.h")).unwrap(),
        PathBuf::from("../zlib.h")
    );
    assert!(!dest.join(".git").exists());
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dest.join("configure"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o111, 0o111, "the exec bit is kept");
    let mode = std::fs::metadata(dest.join("zlib.h"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o111, 0, "plain files are not executable");
}

#[test]
fn git_falls_back_to_the_next_tag_form_and_reads_lightweight_tags() {
    let temp = tempfile::tempdir().unwrap();
    let (repo, first, _) = zlib_like(&temp.path().join("origin"));
    repo.git(&["tag", "1.2-final", &first]);
    let dest = temp.path().join("out");
    let provenance = fetcher(&temp.path().join("cache"))
        .materialize(&git_spec(repo.path(), &["v1.2-final", "1.2-final"]), &dest)
        .unwrap();
    assert_eq!(provenance.tag.as_deref(), Some("1.2-final"));
    assert_eq!(provenance.commit.as_deref(), Some(first.as_str()));
    assert_eq!(read(dest.join("zlib.h")), "#define ZLIB_VERSION \"1.2\"\n");
    assert!(!dest.join("configure").exists());
}

#[test]
fn git_without_the_tag_names_every_form_tried() {
    let temp = tempfile::tempdir().unwrap();
    let (repo, _, _) = zlib_like(&temp.path().join("origin"));
    let dest = temp.path().join("out");
    let error = fetcher(&temp.path().join("cache"))
        .materialize(&git_spec(repo.path(), &["v9.9", "9.9"]), &dest)
        .unwrap_err();
    match &error {
        FetchError::NoSuchTag { tried, .. } => assert_eq!(tried, &["v9.9", "9.9"]),
        other => panic!("expected NoSuchTag, got {other:?}"),
    }
    assert_eq!(error.kind(), FetchErrorKind::NotFound);
    assert!(!dest.exists());
}

#[test]
fn git_mirror_is_reused_offline_after_the_origin_is_gone() {
    let temp = tempfile::tempdir().unwrap();
    let cache = temp.path().join("cache");
    let origin = temp.path().join("origin");
    let (repo, _, second) = zlib_like(&origin);
    repo.tag("v1.3");
    let spec = git_spec(&origin, &["v1.3"]);
    fetcher(&cache)
        .materialize(&spec, &temp.path().join("first"))
        .unwrap();
    // A tag added later is fetched by the next online run.
    repo.write("NEWS", "1.4\n");
    let third = repo.commit("zlib 1.4");
    repo.tag_annotated("v1.4", "release 1.4");
    let newer = fetcher(&cache)
        .materialize(&git_spec(&origin, &["v1.4"]), &temp.path().join("newer"))
        .unwrap();
    assert_eq!(newer.commit.as_deref(), Some(third.as_str()));

    std::fs::remove_dir_all(&origin).unwrap();
    let again = offline_fetcher(&cache)
        .materialize(&spec, &temp.path().join("second"))
        .unwrap();
    assert_eq!(again.commit.as_deref(), Some(second.as_str()));
    assert_eq!(
        read(temp.path().join("second/zlib.h")),
        "#define ZLIB_VERSION \"1.3\"\n"
    );
    // Online with the origin gone, a mirrored tag still works (tags do not move).
    fetcher(&cache)
        .materialize(&spec, &temp.path().join("third"))
        .unwrap();
    // Offline, a tag the mirror lacks is "not cached", not "no such tag".
    let error = offline_fetcher(&cache)
        .materialize(&git_spec(&origin, &["v2.0"]), &temp.path().join("fourth"))
        .unwrap_err();
    assert!(matches!(error, FetchError::NotCached { .. }), "{error:?}");
    // Online with the origin gone and the tag missing: unavailable, naming the URL.
    let error = fetcher(&cache)
        .materialize(&git_spec(&origin, &["v2.0"]), &temp.path().join("fifth"))
        .unwrap_err();
    assert_eq!(error.kind(), FetchErrorKind::Unavailable, "{error:?}");
    assert!(error.to_string().contains("origin"), "{error}");
}

#[test]
fn git_offline_without_a_mirror_is_not_cached() {
    let temp = tempfile::tempdir().unwrap();
    let (repo, _, _) = zlib_like(&temp.path().join("origin"));
    repo.tag("v1.3");
    let error = offline_fetcher(&temp.path().join("cache"))
        .materialize(&git_spec(repo.path(), &["v1.3"]), &temp.path().join("out"))
        .unwrap_err();
    assert!(matches!(error, FetchError::NotCached { .. }), "{error:?}");
    assert_eq!(error.kind(), FetchErrorKind::Unavailable);
}

#[test]
fn git_unreachable_host_is_unavailable() {
    let temp = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{}/zlib.git", closed_port());
    let spec = SourceSpec::Git {
        url: url.clone(),
        tags: vec!["v1.3".into()],
    };
    let error = fetcher(&temp.path().join("cache"))
        .materialize(&spec, &temp.path().join("out"))
        .unwrap_err();
    match &error {
        FetchError::Unavailable { url: named, .. } => assert_eq!(named, &url),
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[test]
fn git_submodules_are_skipped_and_escaping_links_refused() {
    let temp = tempfile::tempdir().unwrap();
    let repo = GitRepo::new(temp.path().join("origin"));
    repo.write("README", "hello\n");
    let first = repo.commit("first");
    repo.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("160000,{first},vendor/sub"),
    ]);
    repo.git(&["commit", "-q", "-m", "add a submodule"]);
    repo.tag("with-submodule");
    repo.symlink("passwd", "../../../../etc/passwd");
    repo.commit("an escaping link");
    repo.tag("with-bad-link");
    let cache = temp.path().join("cache");

    let dest = temp.path().join("out");
    fetcher(&cache)
        .materialize(&git_spec(repo.path(), &["with-submodule"]), &dest)
        .unwrap();
    assert_eq!(support::list_tree(&dest), ["README", "vendor"]);

    let dest = temp.path().join("bad");
    let error = fetcher(&cache)
        .materialize(&git_spec(repo.path(), &["with-bad-link"]), &dest)
        .unwrap_err();
    assert!(
        matches!(error, FetchError::UnsafeArchive { .. }),
        "{error:?}"
    );
    assert!(!dest.exists(), "nothing is left behind");
}

/// A port on 127.0.0.1 that nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A zlib-1.3.tar.gz with one top-level folder.
fn release_tarball() -> Vec<u8> {
    support::gzip(&support::tar(&[
        TarEntry::dir("zlib-1.3/"),
        TarEntry::file("zlib-1.3/zlib.h", "#define ZLIB_VERSION \"1.3\"\n"),
        TarEntry::file("zlib-1.3/src/inflate.c", "int inflate(void);\n"),
        TarEntry::symlink("zlib-1.3/inflate.c", "src/inflate.c"),
    ]))
}

fn tarball_spec(url: String, sha256: Option<String>) -> SourceSpec {
    SourceSpec::Tarball { url, sha256 }
}

/// Files in the cache's tarball store (not the `by-url` index).
fn cached_tarballs(cache: &Path) -> Vec<String> {
    support::list_tree(&cache.join("tarballs"))
        .into_iter()
        .filter(|path| path.ends_with(".tar.gz"))
        .collect()
}

#[derive(Default)]
struct RecordingProgress {
    total: Mutex<Option<u64>>,
    advanced: AtomicU64,
    finished: AtomicU64,
}

impl Progress for RecordingProgress {
    fn start(&self, _label: &str, total: Option<u64>) {
        *self.total.lock().unwrap() = total;
    }
    fn advance(&self, bytes: u64) {
        self.advanced.fetch_add(bytes, Ordering::SeqCst);
    }
    fn finish(&self) {
        self.finished.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn tarball_is_downloaded_verified_stripped_and_cached() {
    let temp = tempfile::tempdir().unwrap();
    let bytes = release_tarball();
    let sha = support::sha256(&bytes);
    let server = HttpServer::start([("/zlib-1.3.tar.gz", Reply::Bytes(bytes.clone()))]);
    let cache = temp.path().join("cache");
    let progress = Arc::new(RecordingProgress::default());
    let fetcher = Fetcher::new(support::fetch_options(&cache), Some(progress.clone()));
    let spec = tarball_spec(server.url("/zlib-1.3.tar.gz"), Some(sha.to_uppercase()));

    let dest = temp.path().join("out");
    let provenance = fetcher.materialize(&spec, &dest).unwrap();
    assert_eq!(provenance.kind, "tarball");
    assert_eq!(provenance.sha256.as_deref(), Some(sha.as_str()));
    assert_eq!(
        support::list_tree(&dest),
        ["inflate.c", "src", "src/inflate.c", "zlib.h"]
    );
    assert_eq!(read(dest.join("inflate.c")), "int inflate(void);\n");
    assert_eq!(*progress.total.lock().unwrap(), Some(bytes.len() as u64));
    assert_eq!(progress.advanced.load(Ordering::SeqCst), bytes.len() as u64);
    assert_eq!(progress.finished.load(Ordering::SeqCst), 1);

    // A second run (and an offline one) is served from the cache.
    fetcher
        .materialize(&spec, &temp.path().join("again"))
        .unwrap();
    offline_fetcher(&cache)
        .materialize(&spec, &temp.path().join("offline"))
        .unwrap();
    assert_eq!(server.requests("/zlib-1.3.tar.gz"), 1);
    assert_eq!(cached_tarballs(&cache).len(), 1);
}

#[test]
fn tarball_checksum_mismatch_extracts_and_keeps_nothing() {
    let temp = tempfile::tempdir().unwrap();
    let server = HttpServer::start([("/zlib-1.3.tar.gz", Reply::Bytes(release_tarball()))]);
    let cache = temp.path().join("cache");
    let wrong = support::sha256(b"something else");
    let spec = tarball_spec(server.url("/zlib-1.3.tar.gz"), Some(wrong.clone()));
    let dest = temp.path().join("out");
    let error = fetcher(&cache).materialize(&spec, &dest).unwrap_err();
    match &error {
        FetchError::Integrity {
            expected, actual, ..
        } => {
            assert_eq!(expected, &wrong);
            assert_eq!(actual, &support::sha256(&release_tarball()));
        }
        other => panic!("expected Integrity, got {other:?}"),
    }
    assert_eq!(error.kind(), FetchErrorKind::Integrity);
    assert!(!dest.exists());
    assert_eq!(
        support::list_tree(temp.path())
            .iter()
            .filter(|p| p.starts_with("out"))
            .count(),
        0
    );
    assert!(cached_tarballs(&cache).is_empty());
    let partial: Vec<_> = support::list_tree(&cache.join("tmp"))
        .into_iter()
        .filter(|path| cache.join("tmp").join(path).is_file())
        .collect();
    assert!(partial.is_empty(), "no partial download: {partial:?}");
    assert_eq!(
        server.requests("/zlib-1.3.tar.gz"),
        1,
        "an integrity failure is not retried"
    );
}

#[test]
fn tarball_404_is_release_not_found_without_retries() {
    let temp = tempfile::tempdir().unwrap();
    let server = HttpServer::start([]);
    let url = server.url("/missing.tar.gz");
    let spec = tarball_spec(url.clone(), Some(support::sha256(b"x")));
    let error = fetcher(temp.path())
        .materialize(&spec, &temp.path().join("out"))
        .unwrap_err();
    match &error {
        FetchError::NotFound {
            url: named,
            status,
            what,
        } => {
            assert_eq!(named, &url);
            assert_eq!(*what, "release");
            assert!(status.contains("404"), "{status}");
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
    assert_eq!(
        error.kind(),
        FetchErrorKind::NotFound,
        "exit 5, not retryable"
    );
    assert!(!error.retryable());
    assert_eq!(server.requests("/missing.tar.gz"), 1);
}

#[test]
fn tarball_server_errors_are_retried() {
    let temp = tempfile::tempdir().unwrap();
    let bytes = release_tarball();
    let server = HttpServer::start([("/z.tar.gz", Reply::fail_then(2, bytes.clone()))]);
    let spec = tarball_spec(server.url("/z.tar.gz"), Some(support::sha256(&bytes)));
    fetcher(temp.path())
        .materialize(&spec, &temp.path().join("out"))
        .unwrap();
    assert_eq!(server.requests("/z.tar.gz"), 3);

    let always = HttpServer::start([("/z.tar.gz", Reply::Status(500))]);
    let spec = tarball_spec(always.url("/z.tar.gz"), Some(support::sha256(&bytes)));
    let error = fetcher(&temp.path().join("other-cache"))
        .materialize(&spec, &temp.path().join("out2"))
        .unwrap_err();
    assert_eq!(error.kind(), FetchErrorKind::Unavailable, "{error:?}");
    assert_eq!(always.requests("/z.tar.gz"), 3, "three tries, then give up");
}

#[test]
fn tarball_truncated_body_is_retried() {
    let temp = tempfile::tempdir().unwrap();
    let bytes = release_tarball();
    let half = bytes[..bytes.len() / 2].to_vec();
    let server = HttpServer::start([(
        "/z.tar.gz",
        Reply::FailThen {
            failures: 1,
            first: Box::new(Reply::Truncated(half.clone())),
            then: Box::new(Reply::Bytes(bytes.clone())),
        },
    )]);
    let spec = tarball_spec(server.url("/z.tar.gz"), Some(support::sha256(&bytes)));
    fetcher(temp.path())
        .materialize(&spec, &temp.path().join("out"))
        .unwrap();
    assert_eq!(server.requests("/z.tar.gz"), 2);

    server.set("/t.tar.gz", Reply::Truncated(half));
    let spec = tarball_spec(server.url("/t.tar.gz"), Some(support::sha256(&bytes)));
    let error = fetcher(&temp.path().join("other-cache"))
        .materialize(&spec, &temp.path().join("out2"))
        .unwrap_err();
    assert!(matches!(error, FetchError::Unavailable { .. }), "{error:?}");
    assert_eq!(server.requests("/t.tar.gz"), 3);
}

#[test]
fn tarball_offline_without_cache_is_not_cached() {
    let temp = tempfile::tempdir().unwrap();
    let server = HttpServer::start([("/z.tar.gz", Reply::Bytes(release_tarball()))]);
    let spec = tarball_spec(
        server.url("/z.tar.gz"),
        Some(support::sha256(&release_tarball())),
    );
    let error = offline_fetcher(temp.path())
        .materialize(&spec, &temp.path().join("out"))
        .unwrap_err();
    assert!(matches!(error, FetchError::NotCached { .. }), "{error:?}");
    assert_eq!(server.requests("/z.tar.gz"), 0, "offline means no request");
}

#[test]
fn tarball_connection_refused_is_unavailable() {
    let temp = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{}/z.tar.gz", closed_port());
    let spec = tarball_spec(url.clone(), Some(support::sha256(b"x")));
    let error = fetcher(temp.path())
        .materialize(&spec, &temp.path().join("out"))
        .unwrap_err();
    match &error {
        FetchError::Unavailable { url: named, .. } => assert_eq!(named, &url),
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[test]
fn tarball_unverified_needs_permission_and_reports_its_checksum() {
    let temp = tempfile::tempdir().unwrap();
    let bytes = release_tarball();
    let server = HttpServer::start([("/z.tar.gz", Reply::Bytes(bytes.clone()))]);
    let spec = tarball_spec(server.url("/z.tar.gz"), None);
    let error = fetcher(temp.path())
        .materialize(&spec, &temp.path().join("out"))
        .unwrap_err();
    assert!(
        matches!(error, FetchError::MissingChecksum { .. }),
        "{error:?}"
    );
    assert_eq!(server.requests("/z.tar.gz"), 0);

    let mut options = support::fetch_options(temp.path().join("cache"));
    options.allow_unverified = true;
    let provenance = Fetcher::new(options.clone(), None)
        .materialize(&spec, &temp.path().join("out"))
        .unwrap();
    assert_eq!(provenance.sha256, Some(support::sha256(&bytes)));
    // Offline, the unverified tarball is found again through the URL index.
    options.offline = true;
    Fetcher::new(options, None)
        .materialize(&spec, &temp.path().join("offline"))
        .unwrap();
    assert_eq!(server.requests("/z.tar.gz"), 1);
}

#[test]
fn local_archives_in_every_format() {
    let temp = tempfile::tempdir().unwrap();
    let tar = support::tar(&[TarEntry::file("pkg-1.0/README", "hi\n")]);
    let zip = support::zip(&[ZipEntry::File {
        path: "pkg-1.0/README".into(),
        bytes: b"hi\n".to_vec(),
    }]);
    let cases = [
        ("pkg-1.0.tar", tar.clone()),
        ("pkg-1.0.tar.gz", support::gzip(&tar)),
        ("pkg-1.0.tar.xz", support::xz(&tar)),
        ("pkg-1.0.zip", zip),
    ];
    let cache = temp.path().join("cache");
    for (name, bytes) in cases {
        let archive = temp.path().join(name);
        std::fs::write(&archive, &bytes).unwrap();
        let sha = Some(support::sha256(&bytes));
        for (index, url) in [
            archive.display().to_string(),
            format!("file://{}", archive.display()),
        ]
        .into_iter()
        .enumerate()
        {
            let dest = temp.path().join(format!("out-{name}-{index}"));
            offline_fetcher(&cache)
                .materialize(&tarball_spec(url, sha.clone()), &dest)
                .unwrap_or_else(|error| panic!("{name}: {error}"));
            assert_eq!(read(dest.join("README")), "hi\n", "{name}");
        }
    }
}

#[test]
fn dir_source_copies_the_tree_without_git() {
    let temp = tempfile::tempdir().unwrap();
    let (repo, _, _) = zlib_like(&temp.path().join("vendor"));
    let dest = temp.path().join("out");
    let provenance = fetcher(&temp.path().join("cache"))
        .materialize(
            &SourceSpec::Dir {
                path: repo.path().to_path_buf(),
            },
            &dest,
        )
        .unwrap();
    assert_eq!(provenance.kind, "dir");
    assert_eq!(
        support::list_tree(&dest),
        [
            "configure",
            "include",
            "include/zlib.h",
            "src",
            "src/inflate.c",
            "zlib.h"
        ]
    );
    let json = serde_json::to_value(&provenance).unwrap();
    assert!(json.get("commit").is_none(), "{json}");
}

#[test]
fn pages_are_fetched_with_retries_and_never_offline() {
    let temp = tempfile::tempdir().unwrap();
    let page = "<a href=\"zlib-1.3.1.tar.gz\">zlib-1.3.1.tar.gz</a>\n";
    let server = HttpServer::start([(
        "/releases/",
        Reply::FailThen {
            failures: 1,
            first: Box::new(Reply::Status(503)),
            then: Box::new(Reply::Page(page.into())),
        },
    )]);
    let url = server.url("/releases/");
    assert_eq!(fetcher(temp.path()).fetch_page(&url).unwrap(), page);
    assert_eq!(server.requests("/releases/"), 2);
    let error = offline_fetcher(temp.path()).fetch_page(&url).unwrap_err();
    assert!(matches!(error, FetchError::NotCached { .. }), "{error:?}");
    assert_eq!(server.requests("/releases/"), 2);
}

#[test]
fn git_archive_tarballs_and_root_entries_are_read() {
    let temp = tempfile::tempdir().unwrap();
    let (repo, _, _) = zlib_like(&temp.path().join("origin"));
    repo.tag("v1.3");
    // `git archive` writes a pax global header holding the commit id first.
    let archive = temp.path().join("zlib-1.3.tar.gz");
    repo.git(&[
        "archive",
        "--format=tar.gz",
        "--prefix=zlib-1.3/",
        "-o",
        &archive.display().to_string(),
        "v1.3",
    ]);
    let bytes = std::fs::read(&archive).unwrap();
    let dest = temp.path().join("out");
    offline_fetcher(&temp.path().join("cache"))
        .materialize(
            &tarball_spec(archive.display().to_string(), Some(support::sha256(&bytes))),
            &dest,
        )
        .unwrap();
    assert_eq!(
        support::list_tree(&dest),
        [
            "configure",
            "include",
            "include/zlib.h",
            "src",
            "src/inflate.c",
            "zlib.h"
        ]
    );

    // A tarball made with `tar -C dir .` starts with a `./` entry, and is not stripped.
    let tar = support::tar(&[TarEntry::dir("./"), TarEntry::file("./README", "hi\n")]);
    let archive = temp.path().join("dot.tar");
    std::fs::write(&archive, &tar).unwrap();
    let dest = temp.path().join("dot");
    offline_fetcher(&temp.path().join("cache"))
        .materialize(
            &tarball_spec(archive.display().to_string(), Some(support::sha256(&tar))),
            &dest,
        )
        .unwrap();
    assert_eq!(support::list_tree(&dest), ["README"]);
}

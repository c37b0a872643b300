//! Hostile downloads, archives, caches and git mirrors.
//!
//! Each test builds the hostile input in code (an archive whose header asks for gigabytes, a
//! tarball whose links escape once its top folder is stripped, a server that never stops, one
//! that trickles or never answers, a cache whose entries are links, a truncated pack, a killed
//! download) and asserts the error, the exit code and the message, and that nothing outside the
//! tree or the cache changed. Time-bounded tests set a bound of about a second through
//! `FetchOptions` or the environment; they assert the kind of error, never a duration.

use crate::support;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use mindelta::upstream::archive::{ArchiveLimits, extract};
use mindelta::upstream::release::discover;
use mindelta::upstream::{Cache, FetchError, FetchErrorKind, Fetcher, SourceSpec};
use mindelta::workspace::Workspace;
use support::TarEntry;
use support::cli::mindelta;
use support::git::GitRepo;
use support::http::{HttpServer, Reply};

// ---------------------------------------------------------------------------------------------
// Helpers.

/// A package `name` in the workspace at `root`, with this `upstream:` fragment and no patches.
fn package(root: &Path, name: &str, upstream: &str) {
    let dir = root.join("patches").join(name);
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("package.yaml"),
        format!("upstream:\n{upstream}patches: []\n"),
    )
    .unwrap();
}

/// A tarball package `name` served at `url` with this checksum.
fn tarball_package(root: &Path, name: &str, url: &str, sha256: &str) {
    let fragment = format!("  version: \"1.0\"\n  tarball: {url}\n  sha256: {sha256}\n");
    package(root, name, &fragment);
}

/// Every file under `root` with its size (links are not followed).
fn files_with_sizes(root: &Path) -> Vec<(PathBuf, u64)> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                stack.push(entry.path());
            } else {
                let size = fs::symlink_metadata(entry.path()).map_or(0, |m| m.len());
                found.push((entry.path(), size));
            }
        }
    }
    found
}

/// A gzipped tar with one file `demo-1.0/greeting.txt`.
fn greeting_tarball() -> Vec<u8> {
    support::gzip(&support::tar(&[TarEntry::file(
        "demo-1.0/greeting.txt",
        "hello\n",
    )]))
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// An xz stream of `bytes` whose first block header declares the LZMA2 dictionary size
/// `properties` (40 is 4 GiB): the data decodes with any dictionary at least as large as the
/// encoder's, so only the header changes, and its CRC32 is recomputed.
fn xz_with_dictionary(bytes: &[u8], properties: u8) -> Vec<u8> {
    let mut xz = support::xz(bytes);
    let header_size = (usize::from(xz[12]) + 1) * 4;
    // Preset encoders write one LZMA2 filter and no sizes: flags 0, id 0x21, one property.
    assert_eq!(&xz[13..16], &[0x00, 0x21, 0x01], "an LZMA2 block header");
    xz[16] = properties;
    let mut crc = flate2::Crc::new();
    crc.update(&xz[12..12 + header_size - 4]);
    xz[12 + header_size - 4..12 + header_size].copy_from_slice(&crc.sum().to_le_bytes());
    xz
}

/// A zstd stream of `bytes` whose frame header declares a window of 2^`window_log` bytes.
fn zstd_with_window(bytes: &[u8], window_log: u8) -> Vec<u8> {
    let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
    encoder.write_all(bytes).unwrap();
    let mut zst = encoder.finish().unwrap();
    assert_eq!(zst[4] & 0x20, 0, "a frame with a window descriptor");
    zst[5] = (window_log - 10) << 3;
    zst
}

// ---------------------------------------------------------------------------------------------
// 5. Memory from tiny inputs.

#[test]
fn an_xz_header_asking_for_a_4_gib_dictionary_is_refused_before_decoding() {
    let tar = support::tar(&[TarEntry::file("demo-1.0/greeting.txt", "hello\n")]);
    let bomb = xz_with_dictionary(&tar, 40);
    assert!(bomb.len() < 4096, "the archive itself is tiny");
    let temp = tempfile::tempdir().unwrap();
    let archive = temp.path().join("demo-1.0.tar.xz");
    fs::write(&archive, &bomb).unwrap();
    let error = extract(&archive, &temp.path().join("out"), 1 << 20).unwrap_err();
    match &error {
        FetchError::DecoderMemory { needed, limit, .. } => {
            assert!(*needed > 4_000_000_000, "{error}");
            assert_eq!(*limit, mindelta::upstream::DEFAULT_MAX_DECODER_MEMORY);
        }
        other => panic!("expected DecoderMemory, got {other:?}"),
    }
    assert!(
        !temp.path().join("out/demo-1.0").exists(),
        "nothing extracted"
    );

    // The same archive with an honest 8 MiB dictionary extracts; with the limit lowered below
    // that (the environment variable of the CLI), `prepare` refuses it with exit 1.
    let honest = xz_with_dictionary(&tar, 22);
    fs::write(&archive, &honest).unwrap();
    extract(&archive, &temp.path().join("ok"), 1 << 20).unwrap();
    let root = temp.path().join("ws");
    tarball_package(
        &root,
        "demo",
        &archive.display().to_string(),
        &support::sha256(&honest),
    );
    let output = mindelta(&temp.path().join("cache"))
        .current_dir(&root)
        .env("MINDELTA_DECODER_MEMORY", "4M")
        .args(["prepare", "demo", "--out", "out"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("more than the limit of 4194304 bytes"),
        "{}",
        stderr(&output)
    );
    assert!(!root.join("out").exists());
}

#[test]
fn a_zstd_window_of_2_gib_is_refused_before_decoding() {
    let tar = support::tar(&[TarEntry::file("greeting.txt", "hello\n")]);
    let temp = tempfile::tempdir().unwrap();
    let archive = temp.path().join("demo.tar.zst");
    fs::write(&archive, zstd_with_window(&tar, 31)).unwrap();
    let limits = ArchiveLimits {
        max_expanded_bytes: 1 << 20,
        max_decoder_memory: 1 << 30,
    };
    let error = extract(&archive, &temp.path().join("out"), limits).unwrap_err();
    assert!(
        matches!(error, FetchError::DecoderMemory { needed, .. } if needed > 1 << 31),
        "{error:?}"
    );
    // An ordinary window (here 2^20) decodes.
    fs::write(&archive, zstd_with_window(&tar, 20)).unwrap();
    extract(&archive, &temp.path().join("ok"), limits).unwrap();
    assert_eq!(
        fs::read(temp.path().join("ok/greeting.txt")).unwrap(),
        b"hello\n"
    );
}

#[test]
fn a_gnu_long_name_of_64_mib_is_refused_before_it_is_read_whole() {
    // A GNU long-name entry declaring 64 MiB of `a`, then a file: a few KiB gzipped.
    let size: u64 = 64 << 20;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::GNULongName);
    header.set_size(size);
    header.set_mode(0o644);
    header.as_old_mut().name[..13].copy_from_slice(b"././@LongLink");
    header.set_cksum();
    encoder.write_all(header.as_bytes()).unwrap();
    let chunk = vec![b'a'; 1 << 20];
    for _ in 0..(size >> 20) {
        encoder.write_all(&chunk).unwrap();
    }
    encoder
        .write_all(&support::tar(&[TarEntry::file("x.txt", "x")]))
        .unwrap();
    let bomb = encoder.finish().unwrap();
    assert!(bomb.len() < 1 << 20, "the archive itself is small");
    let temp = tempfile::tempdir().unwrap();
    let archive = temp.path().join("long.tar.gz");
    fs::write(&archive, &bomb).unwrap();
    let error = extract(&archive, &temp.path().join("out"), 1 << 30).unwrap_err();
    match &error {
        FetchError::BadArchive { reason, .. } => {
            assert!(reason.contains("headers of one entry"), "{error}")
        }
        other => panic!("expected BadArchive, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// 6. Links that escape once the top folder is stripped.

#[test]
fn links_are_checked_against_the_stripped_tree_prepare_writes() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("ws");
    // `pkga` holds, below its top folder, links that stay inside the archive but leave the
    // tree once the folder is stripped: to `--out`'s parent, and into `pkgb`'s tree.
    for (name, link, target) in [
        ("up", "pkga-1.0/up", ".."),
        ("peek", "pkga-1.0/peek", "../pkgb/secret"),
    ] {
        let tarball = support::gzip(&support::tar(&[
            TarEntry::file("pkga-1.0/ok.txt", "ok\n"),
            TarEntry::symlink(link, target),
        ]));
        let archive = temp.path().join(format!("pkga-{name}.tar.gz"));
        fs::write(&archive, &tarball).unwrap();
        let _ = fs::remove_dir_all(root.join("patches"));
        tarball_package(
            &root,
            "pkga",
            &archive.display().to_string(),
            &support::sha256(&tarball),
        );
        let secret = temp.path().join("secret-source");
        fs::create_dir_all(&secret).unwrap();
        fs::write(secret.join("secret"), "pkgb's own\n").unwrap();
        package(
            &root,
            "pkgb",
            &format!("  version: \"1.0\"\n  dir: {}\n", secret.display()),
        );
        let out = temp.path().join(format!("out-{name}"));
        let output = mindelta(&temp.path().join("cache"))
            .current_dir(&root)
            .arg("prepare")
            .arg("--all")
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        let text = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{text}");
        assert!(text.contains(&format!("`{link}`")), "{text}");
        assert!(text.contains("top folder `pkga-1.0` is stripped"), "{text}");
        assert!(!out.join("pkga").exists(), "nothing of pkga is written");
        assert_eq!(
            fs::read_to_string(out.join("pkgb/secret")).unwrap(),
            "pkgb's own\n"
        );
        let links: Vec<_> = files_with_sizes(&out)
            .into_iter()
            .filter(|(path, _)| fs::symlink_metadata(path).unwrap().is_symlink())
            .collect();
        assert!(links.is_empty(), "{links:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// 7. Downloads have a size limit, enforced while they stream.

#[test]
fn an_endless_body_stops_at_the_download_limit() {
    let server = HttpServer::start([("/demo-1.0.tar.gz", Reply::Endless { declared: None })]);
    let temp = tempfile::tempdir().unwrap();
    let cache = temp.path().join("cache");
    let mut options = support::fetch_options(&cache);
    options.max_download_bytes = 1 << 20;
    let spec = SourceSpec::Tarball {
        url: server.url("/demo-1.0.tar.gz"),
        sha256: Some("0".repeat(64)),
    };
    let error = Fetcher::new(options, None)
        .materialize(&spec, &temp.path().join("tree"))
        .unwrap_err();
    assert!(
        matches!(
            error,
            FetchError::DownloadTooLarge {
                limit: 1048576,
                declared: None,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(error.kind(), FetchErrorKind::Invalid);
    let kept: u64 = files_with_sizes(&cache).iter().map(|(_, size)| size).sum();
    assert_eq!(kept, 0, "no partial download is kept");
    let sent = server.sent("/demo-1.0.tar.gz");
    assert!(
        sent < 64 << 20,
        "the client stopped reading: {sent} bytes sent"
    );

    // The command line: the default limit is lowered by the environment; exit 1.
    let root = temp.path().join("ws");
    tarball_package(
        &root,
        "demo",
        &server.url("/demo-1.0.tar.gz"),
        &"0".repeat(64),
    );
    let output = mindelta(&cache)
        .current_dir(&root)
        .env("MINDELTA_MAX_DOWNLOAD_SIZE", "2M")
        .args(["prepare", "demo", "--out", "out"])
        .output()
        .unwrap();
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains("is larger than the download limit of 2097152 bytes"),
        "{text}"
    );
}

#[test]
fn a_declared_length_over_the_limit_is_refused_before_the_body() {
    let server = HttpServer::start([(
        "/demo-1.0.tar.gz",
        Reply::Endless {
            declared: Some(5 << 30),
        },
    )]);
    let temp = tempfile::tempdir().unwrap();
    let mut options = support::fetch_options(temp.path().join("cache"));
    options.max_download_bytes = 1 << 20;
    let spec = SourceSpec::Tarball {
        url: server.url("/demo-1.0.tar.gz"),
        sha256: Some("0".repeat(64)),
    };
    let error = Fetcher::new(options, None)
        .materialize(&spec, &temp.path().join("tree"))
        .unwrap_err();
    assert!(
        matches!(error, FetchError::DownloadTooLarge { declared: Some(declared), .. } if declared == 5 << 30),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("it declares 5368709120"),
        "{error}"
    );
}

#[test]
fn no_more_than_the_declared_length_is_read() {
    // The server declares 1000 bytes and sends on and on: exactly 1000 are read and hashed.
    let server = HttpServer::start([(
        "/demo-1.0.tar.gz",
        Reply::Endless {
            declared: Some(1000),
        },
    )]);
    let temp = tempfile::tempdir().unwrap();
    let spec = SourceSpec::Tarball {
        url: server.url("/demo-1.0.tar.gz"),
        sha256: Some("0".repeat(64)),
    };
    let error = Fetcher::new(support::fetch_options(temp.path().join("cache")), None)
        .materialize(&spec, &temp.path().join("tree"))
        .unwrap_err();
    match error {
        FetchError::Integrity { actual, .. } => {
            assert_eq!(actual, support::sha256(&[b'x'; 1000]))
        }
        other => panic!("expected Integrity, got {other:?}"),
    }
}

#[test]
fn a_release_listing_stops_at_the_page_limit_while_it_streams() {
    let server = HttpServer::start([("/releases/", Reply::Endless { declared: None })]);
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("ws");
    package(
        &root,
        "demo",
        &format!(
            "  version: \"1.0\"\n  tarball: {}\n  sha256: {}\n  releases:\n    url: {}\n",
            server.url("/demo-{version}.tar.gz"),
            "0".repeat(64),
            server.url("/releases/")
        ),
    );
    let demo = Workspace::open(&root).unwrap().load("demo").unwrap();
    let mut options = support::fetch_options(temp.path().join("cache"));
    options.max_page_bytes = 64 << 10;
    let error = discover(&demo, &Fetcher::new(options, None), false).unwrap_err();
    assert!(
        matches!(error, FetchError::DownloadTooLarge { limit: 65536, .. }),
        "{error:?}"
    );
    let sent = server.sent("/releases/");
    assert!(
        sent < 64 << 20,
        "the client stopped reading: {sent} bytes sent"
    );
}

// ---------------------------------------------------------------------------------------------
// 8. Deadlines and the low-speed limit.

/// A body trickled one byte every 50 ms, declaring far more: it would take minutes.
fn trickle() -> Reply {
    Reply::trickle(2000, Duration::from_millis(50), 1 << 20)
}

#[test]
fn a_trickling_tarball_stops_at_the_deadline() {
    let server = HttpServer::start([("/demo-1.0.tar.gz", trickle())]);
    let temp = tempfile::tempdir().unwrap();
    let mut options = support::fetch_options(temp.path().join("cache"));
    options.deadline = Duration::from_secs(1);
    let spec = SourceSpec::Tarball {
        url: server.url("/demo-1.0.tar.gz"),
        sha256: Some("0".repeat(64)),
    };
    let error = Fetcher::new(options, None)
        .materialize(&spec, &temp.path().join("tree"))
        .unwrap_err();
    assert!(
        matches!(error, FetchError::DeadlineExceeded { .. }),
        "{error:?}"
    );
    assert_eq!(error.kind(), FetchErrorKind::Unavailable);
    assert!(error.retryable());
    assert!(
        error
            .to_string()
            .contains("did not finish within the deadline of 1 s"),
        "{error}"
    );
    let sent = server.sent("/demo-1.0.tar.gz");
    assert!(
        sent < 1000,
        "the client hung up early: {sent} of 2000 bytes sent"
    );
}

#[test]
fn a_trickling_tarball_trips_the_low_speed_limit() {
    let server = HttpServer::start([("/demo-1.0.tar.gz", trickle())]);
    let temp = tempfile::tempdir().unwrap();
    let mut options = support::fetch_options(temp.path().join("cache"));
    options.speed_limit = 1 << 20;
    options.speed_time = Duration::from_secs(1);
    let spec = SourceSpec::Tarball {
        url: server.url("/demo-1.0.tar.gz"),
        sha256: Some("0".repeat(64)),
    };
    let error = Fetcher::new(options, None)
        .materialize(&spec, &temp.path().join("tree"))
        .unwrap_err();
    assert!(
        matches!(error, FetchError::TooSlow { limit: 1048576, .. }),
        "{error:?}"
    );
    assert_eq!(
        server.requests("/demo-1.0.tar.gz"),
        1,
        "a stall is not retried"
    );
    let sent = server.sent("/demo-1.0.tar.gz");
    assert!(
        sent < 1000,
        "the client hung up early: {sent} of 2000 bytes sent"
    );
}

#[test]
fn a_listing_server_that_never_answers_is_bounded_by_the_lookup_deadline() {
    let server = HttpServer::start([("/releases/", Reply::Silent)]);
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("ws");
    package(
        &root,
        "demo",
        &format!(
            "  version: \"1.0\"\n  tarball: {}\n  sha256: {}\n  releases:\n    url: {}\n",
            server.url("/demo-{version}.tar.gz"),
            "0".repeat(64),
            server.url("/releases/")
        ),
    );
    let demo = Workspace::open(&root).unwrap().load("demo").unwrap();
    let mut options = support::fetch_options(temp.path().join("cache"));
    options.lookup_deadline = Duration::from_secs(1);
    let error = discover(&demo, &Fetcher::new(options, None), false).unwrap_err();
    assert!(
        matches!(error, FetchError::DeadlineExceeded { .. }),
        "{error:?}"
    );

    // `audit` bounds each look-up by its documented 5 seconds: a warning, and the report.
    let output = mindelta(&temp.path().join("cache"))
        .current_dir(&root)
        .args(["audit", "--format", "json"])
        .output()
        .unwrap();
    let text = stderr(&output);
    assert!(
        text.contains("did not finish within the deadline of 5 s"),
        "{text}"
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["packages"][0]["name"], "demo");
}

#[test]
fn a_git_server_that_trickles_its_ref_list_stops_at_the_deadline() {
    // A valid but endless pkt-line stream: the first line's 4,095 bytes arrive one by one.
    let mut advertisement = b"001e# service=git-upload-pack\n0000".to_vec();
    advertisement.extend_from_slice(b"0fff");
    advertisement.extend(std::iter::repeat_n(b'a', 4091));
    let server = HttpServer::start([(
        "/slow.git/info/refs?service=git-upload-pack",
        Reply::Trickle {
            content_type: "application/x-git-upload-pack-advertisement",
            body: advertisement,
            interval: Duration::from_millis(50),
            declared: None,
        },
    )]);
    let temp = tempfile::tempdir().unwrap();
    let mut options = support::fetch_options(temp.path().join("cache"));
    options.deadline = Duration::from_secs(1);
    let spec = SourceSpec::Git {
        url: server.url("/slow.git"),
        tags: vec!["v1.0".into()],
    };
    let error = Fetcher::new(options, None)
        .materialize(&spec, &temp.path().join("tree"))
        .unwrap_err();
    assert!(
        matches!(error, FetchError::DeadlineExceeded { .. }),
        "{error:?}"
    );
    let sent = server.sent("/slow.git/info/refs?service=git-upload-pack");
    assert!(
        sent < 2000,
        "the client hung up early: {sent} of 4129 bytes sent"
    );
}

// ---------------------------------------------------------------------------------------------
// 9. The cache is never trusted or cleaned through a link.

#[cfg(unix)]
#[test]
fn a_cache_entry_that_is_a_link_is_replaced_not_followed() {
    let tarball = greeting_tarball();
    let sha = support::sha256(&tarball);
    let server = HttpServer::start([("/demo-1.0.tar.gz", Reply::Bytes(tarball))]);
    let temp = tempfile::tempdir().unwrap();
    let victim = temp.path().join("victim");
    fs::create_dir(&victim).unwrap();
    fs::write(victim.join("precious.txt"), "keep me\n").unwrap();
    let cache = Cache::new(temp.path().join("cache"));
    fs::create_dir_all(cache.root().join("tarballs")).unwrap();
    std::os::unix::fs::symlink(&victim, cache.tarball_dir(&sha)).unwrap();
    // `tmp/` a link too: partial downloads must not land in (or be cleaned from) the victim.
    std::os::unix::fs::symlink(&victim, cache.root().join("tmp")).unwrap();

    let spec = SourceSpec::Tarball {
        url: server.url("/demo-1.0.tar.gz"),
        sha256: Some(sha.clone()),
    };
    let fetcher = Fetcher::new(support::fetch_options(cache.root()), None);
    fetcher
        .materialize(&spec, &temp.path().join("tree"))
        .unwrap();
    assert_eq!(
        fs::read_to_string(temp.path().join("tree/greeting.txt")).unwrap(),
        "hello\n"
    );
    assert_eq!(support::list_tree(&victim), ["precious.txt"]);
    assert_eq!(
        fs::read_to_string(victim.join("precious.txt")).unwrap(),
        "keep me\n"
    );
    let entry = fs::symlink_metadata(cache.tarball_dir(&sha)).unwrap();
    assert!(entry.is_dir(), "the link was replaced by a real entry");
    assert!(
        fs::symlink_metadata(cache.root().join("tmp"))
            .unwrap()
            .is_dir()
    );
}

#[cfg(unix)]
#[test]
fn a_git_mirror_that_is_a_link_is_replaced_not_fetched_into() {
    let temp = tempfile::tempdir().unwrap();
    let upstream = GitRepo::new(temp.path().join("upstream"));
    upstream.write("a.txt", "one\n");
    upstream.commit("one");
    upstream.tag("v1.0");
    // Another repository, which a planted link would have us fetch into and read tags from.
    let victim = GitRepo::new(temp.path().join("victim"));
    victim.write("evil.txt", "evil\n");
    victim.commit("evil");
    victim.tag("v1.0");
    let victim_git = victim.path().join(".git");
    let before = support::cli::snapshot(&victim_git);

    let url = upstream.path().display().to_string();
    let cache = Cache::new(temp.path().join("cache"));
    fs::create_dir_all(cache.root().join("git")).unwrap();
    std::os::unix::fs::symlink(&victim_git, cache.git_mirror(&url)).unwrap();
    let fetcher = Fetcher::new(support::fetch_options(cache.root()), None);
    let spec = SourceSpec::Git {
        url: url.clone(),
        tags: vec!["v1.0".into()],
    };
    fetcher
        .materialize(&spec, &temp.path().join("tree"))
        .unwrap();
    assert!(
        temp.path().join("tree/a.txt").exists(),
        "the upstream's tree"
    );
    assert!(!temp.path().join("tree/evil.txt").exists());
    assert_eq!(
        support::cli::snapshot(&victim_git),
        before,
        "the victim is untouched"
    );
    assert!(
        fs::symlink_metadata(cache.git_mirror(&url))
            .unwrap()
            .is_dir()
    );
}

// ---------------------------------------------------------------------------------------------
// 10. A damaged git mirror is detected and replaced (online) or named (offline).

#[test]
fn a_truncated_pack_in_the_mirror_is_named_offline_and_recloned_online() {
    let temp = tempfile::tempdir().unwrap();
    let upstream = GitRepo::new(temp.path().join("upstream"));
    upstream.write("a.txt", "one\n".repeat(200));
    upstream.commit("one");
    upstream.tag("v1.0");
    let root = temp.path().join("ws");
    package(
        &root,
        "demo",
        &format!("  version: \"1.0\"\n  git: {}\n", upstream.path().display()),
    );
    let cache = temp.path().join("cache");
    let prepare = |offline: bool, out: &str| {
        let mut command = mindelta(&cache);
        command.current_dir(&root);
        if offline {
            command.arg("--offline");
        }
        command
            .args(["prepare", "demo", "--out", out])
            .output()
            .unwrap()
    };
    let first = prepare(false, "out1");
    assert!(first.status.success(), "{}", stderr(&first));

    let mirror = Cache::new(&cache).git_mirror(&upstream.path().display().to_string());
    let pack = fs::read_dir(mirror.join("objects/pack"))
        .unwrap()
        .flatten()
        .map(|entry| entry.path())
        .find(|path| path.extension().is_some_and(|e| e == "pack"))
        .expect("the mirror holds a pack");
    let length = fs::metadata(&pack).unwrap().len();
    fs::OpenOptions::new()
        .write(true)
        .open(&pack)
        .unwrap()
        .set_len(length / 2)
        .unwrap();

    let offline = prepare(true, "out2");
    let text = stderr(&offline);
    assert_eq!(offline.status.code(), Some(5), "{text}");
    assert!(text.contains("is damaged"), "{text}");
    assert!(
        text.contains(&format!("delete `{}`", mirror.display())),
        "{text}"
    );
    assert!(!text.contains("no tag"), "{text}");

    let online = prepare(false, "out3");
    assert!(online.status.success(), "{}", stderr(&online));
    assert_eq!(
        fs::read_to_string(root.join("out3/a.txt")).unwrap(),
        "one\n".repeat(200)
    );
    let whole = fs::read_dir(mirror.join("objects/pack"))
        .unwrap()
        .flatten()
        .all(|entry| entry.path() != pack || fs::metadata(&pack).unwrap().len() == length);
    assert!(whole, "the mirror was cloned again");
}

// ---------------------------------------------------------------------------------------------
// 14. Partial downloads of a killed run are removed by the next run, and a live run's kept.

/// Wait (a bounded poll, not a timing assertion) until a partial download exists under
/// `cache/tmp`; returns it.
fn wait_for_partial(cache: &Path) -> PathBuf {
    for _ in 0..3000 {
        let partial = files_with_sizes(&cache.join("tmp"))
            .into_iter()
            .map(|(path, _)| path)
            .find(|path| {
                path.file_name()
                    .is_some_and(|name| name.to_string_lossy().starts_with("download-"))
            });
        if let Some(partial) = partial {
            return partial;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("no partial download appeared in {}", cache.display());
}

#[test]
fn a_killed_download_is_removed_by_the_next_run_and_a_live_one_is_kept() {
    let tarball = greeting_tarball();
    let server = HttpServer::start([
        ("/slow-1.0.tar.gz", trickle()),
        ("/demo-1.0.tar.gz", Reply::Bytes(tarball.clone())),
    ]);
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("ws");
    let cache = temp.path().join("cache");
    tarball_package(
        &root,
        "slow",
        &server.url("/slow-1.0.tar.gz"),
        &"0".repeat(64),
    );
    tarball_package(
        &root,
        "demo",
        &server.url("/demo-1.0.tar.gz"),
        &support::sha256(&tarball),
    );
    let spawn_slow = || {
        Command::new(env!("CARGO_BIN_EXE_mindelta"))
            .env("MINDELTA_CACHE_DIR", &cache)
            .env("MINDELTA_RETRY_BACKOFF", "0")
            .env("NO_COLOR", "1")
            .current_dir(&root)
            .args(["prepare", "slow", "--out", "slow-out"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };

    // A run downloading (slowly) while another runs: its partial file is left alone.
    let mut live = spawn_slow();
    let partial = wait_for_partial(&cache);
    let other = mindelta(&cache)
        .current_dir(&root)
        .args(["prepare", "demo", "--out", "demo-out"])
        .output()
        .unwrap();
    assert!(other.status.success(), "{}", stderr(&other));
    assert!(partial.exists(), "a live run's partial download is kept");

    // Killed (SIGKILL: no clean-up of its own), it leaves the partial file behind; the next
    // run, even one served from the cache, removes it.
    live.kill().unwrap();
    live.wait().unwrap();
    assert!(partial.exists(), "the killed run left its partial download");
    let next = mindelta(&cache)
        .current_dir(&root)
        .args(["prepare", "demo", "--out", "demo-out-2"])
        .output()
        .unwrap();
    assert!(next.status.success(), "{}", stderr(&next));
    assert!(!partial.exists(), "the dead run's partial download is gone");
    let left: Vec<_> = files_with_sizes(&cache.join("tmp"));
    assert!(left.is_empty(), "{left:?}");
}

// ---------------------------------------------------------------------------------------------
// 20. Messages: a 404, a refused redirect, and `--offline` only when it was given.

#[test]
fn a_missing_release_is_not_found_and_not_retryable_and_redirects_are_named() {
    let server = HttpServer::start([
        ("/gone-1.0.tar.gz", Reply::Status(404)),
        (
            "/moved-1.0.tar.gz",
            Reply::Redirect("file:///etc/passwd".into()),
        ),
    ]);
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("ws");
    let cache = temp.path().join("cache");
    tarball_package(
        &root,
        "gone",
        &server.url("/gone-1.0.tar.gz"),
        &"0".repeat(64),
    );
    tarball_package(
        &root,
        "moved",
        &server.url("/moved-1.0.tar.gz"),
        &"0".repeat(64),
    );
    let run = |args: &[&str]| {
        mindelta(&cache)
            .current_dir(&root)
            .args(args)
            .output()
            .unwrap()
    };

    let gone = run(&["prepare", "gone", "--out", "out"]);
    let text = stderr(&gone);
    assert_eq!(gone.status.code(), Some(5), "{text}");
    assert!(text.contains("release not found"), "{text}");
    assert!(text.contains("404 Not Found"), "{text}");
    assert!(!text.contains("retryable"), "{text}");
    assert!(!text.contains("--offline"), "{text}");
    assert_eq!(
        server.requests("/gone-1.0.tar.gz"),
        1,
        "a 404 is not retried"
    );

    let moved = run(&["prepare", "moved", "--out", "out"]);
    let text = stderr(&moved);
    assert_eq!(moved.status.code(), Some(5), "{text}");
    assert!(text.contains("redirects to `file:///etc/passwd`"), "{text}");
    assert!(!text.contains("302"), "{text}");
    assert!(!text.contains("--offline"), "{text}");

    // Offline, and not cached: now the hint is to run without `--offline`.
    let offline = run(&["--offline", "prepare", "gone", "--out", "out"]);
    let text = stderr(&offline);
    assert_eq!(offline.status.code(), Some(5), "{text}");
    assert!(text.contains("without `--offline`"), "{text}");
}

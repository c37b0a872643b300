//! Git upstreams over smart HTTP: gix's reqwest transport (rustls on `ring`) against git's own
//! `git http-backend`, served from 127.0.0.1 by a small CGI bridge in this file. Checks the
//! clone, the update of the mirror, that the mirror stays a plain bare repository git reads,
//! progress in bytes, the remote tag listing of `versions`, the fallbacks when the server
//! is gone, and the low-speed limit against a server that trickles its pack.

use crate::support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mindelta::upstream::release::discover;
use mindelta::upstream::{Cache, FetchError, FetchErrorKind, Fetcher, Progress, SourceSpec};
use mindelta::workspace::Workspace;
use support::git::GitRepo;

/// `git http-backend` behind a minimal HTTP/1.1 server: one thread per connection, one request
/// per connection (`Connection: close`), chunked request bodies decoded.
struct GitHttpServer {
    port: u16,
}

impl GitHttpServer {
    /// Serve the repositories under `root` (every one exported).
    fn start(root: &Path) -> GitHttpServer {
        GitHttpServer::start_with(root, None)
    }

    /// Serve the repositories under `root`, sending the pack in the body of every POST in
    /// pieces of `trickle.0` bytes every `trickle.1`, when given: a slow proxy in front of
    /// the backend.
    fn start_with(root: &Path, trickle: Option<(usize, Duration)>) -> GitHttpServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let root = root.to_path_buf();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let root = root.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &root, trickle);
                });
            }
        });
        GitHttpServer { port }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }
}

fn serve(
    stream: TcpStream,
    root: &Path,
    trickle: Option<(usize, Duration)>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    // A connection closed without a request (the fetcher's connect probe) gets no answer.
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return Ok(());
    };
    let (method, target) = (method.to_owned(), target.to_owned());
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    let mut body = Vec::new();
    if header("transfer-encoding").is_some_and(|value| value.contains("chunked")) {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16)
                .unwrap_or(0);
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk)?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(length) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        body.resize(length, 0);
        reader.read_exact(&mut body)?;
    }
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let mut command = Command::new("git");
    command
        .arg("http-backend")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("REQUEST_METHOD", &method)
        .env("PATH_INFO", path)
        .env("QUERY_STRING", query)
        .env("CONTENT_LENGTH", body.len().to_string())
        .env("REMOTE_ADDR", "127.0.0.1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (name, variable) in [
        ("content-type", "CONTENT_TYPE"),
        ("content-encoding", "HTTP_CONTENT_ENCODING"),
        ("git-protocol", "GIT_PROTOCOL"),
    ] {
        if let Some(value) = header(name) {
            command.env(variable, value);
        }
    }
    let mut child = command.spawn()?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    let writer = std::thread::spawn(move || stdin.write_all(&body));
    let output = child.wait_with_output()?;
    let _ = writer.join();
    let split = output
        .stdout
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| (at, 4))
        .or_else(|| {
            output
                .stdout
                .windows(2)
                .position(|w| w == b"\n\n")
                .map(|at| (at, 2))
        });
    let (cgi_headers, cgi_body) = match split {
        Some((at, gap)) => (&output.stdout[..at], &output.stdout[at + gap..]),
        None => (&b""[..], &output.stdout[..]),
    };
    let mut status = "200 OK".to_owned();
    let mut response = Vec::new();
    for line in String::from_utf8_lossy(cgi_headers).lines() {
        match line.split_once(':') {
            Some((name, value)) if name.eq_ignore_ascii_case("status") => {
                status = value.trim().to_owned();
            }
            Some(_) => response.extend_from_slice(format!("{line}\r\n").as_bytes()),
            None => {}
        }
    }
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
        cgi_body.len()
    )?;
    stream.write_all(&response)?;
    stream.write_all(b"\r\n")?;
    match trickle {
        Some((piece, interval)) if method == "POST" => {
            // The negotiation and the server's messages at full speed, then the pack slowly;
            // stops when the client hangs up (a write fails).
            let pack = cgi_body
                .windows(4)
                .position(|w| w == b"PACK")
                .unwrap_or(cgi_body.len());
            stream.write_all(&cgi_body[..pack])?;
            for chunk in cgi_body[pack..].chunks(piece) {
                stream.write_all(chunk)?;
                stream.flush()?;
                std::thread::sleep(interval);
            }
            Ok(())
        }
        _ => {
            stream.write_all(cgi_body)?;
            stream.flush()
        }
    }
}

/// A bare `origin.git` under `root`, pushed from a work tree with releases v1.2 and v1.3.
fn served_origin(root: &Path) -> (GitRepo, PathBuf, String) {
    let work = GitRepo::new(root.join("work"));
    work.write("zlib.h", "#define ZLIB_VERSION \"1.2\"\n");
    work.commit("zlib 1.2");
    work.tag("v1.2");
    work.write("zlib.h", "#define ZLIB_VERSION \"1.3\"\n")
        .write("configure", "#!/bin/sh\necho configured\n")
        .make_executable("configure");
    let second = work.commit("zlib 1.3");
    work.tag_annotated("v1.3", "release 1.3");
    let bare = root.join("served").join("origin.git");
    work.git(&[
        "clone",
        "-q",
        "--bare",
        &work.path().display().to_string(),
        &bare.display().to_string(),
    ]);
    (work, bare, second)
}

/// Push the work tree's branches and tags to the served repository.
fn publish(work: &GitRepo, bare: &Path) {
    work.git(&[
        "push",
        "-q",
        &bare.display().to_string(),
        "refs/heads/*:refs/heads/*",
        "refs/tags/*:refs/tags/*",
    ]);
}

fn spec(url: &str, tag: &str) -> SourceSpec {
    SourceSpec::Git {
        url: url.to_owned(),
        tags: vec![tag.to_owned()],
    }
}

/// The refs of a repository as git itself lists them.
fn git_refs(git_dir: &Path) -> Vec<String> {
    let output = Command::new("git")
        .arg("--git-dir")
        .arg(git_dir)
        .args(["for-each-ref", "--format=%(refname)"])
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[derive(Default)]
struct Bytes {
    labels: Mutex<Vec<String>>,
    bytes: AtomicU64,
}

impl Progress for Bytes {
    fn start(&self, label: &str, _total: Option<u64>) {
        self.labels.lock().unwrap().push(label.to_owned());
    }
    fn advance(&self, bytes: u64) {
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }
    fn finish(&self) {}
}

#[test]
fn clones_and_updates_a_mirror_over_http() {
    let temp = tempfile::tempdir().unwrap();
    let (work, bare, second) = served_origin(temp.path());
    let server = GitHttpServer::start(&temp.path().join("served"));
    let url = server.url("origin.git");
    let cache = temp.path().join("cache");
    let progress = Arc::new(Bytes::default());
    let fetcher = Fetcher::new(support::fetch_options(&cache), Some(progress.clone()));

    let dest = temp.path().join("v1.3");
    let provenance = fetcher.materialize(&spec(&url, "v1.3"), &dest).unwrap();
    assert_eq!(provenance.commit.as_deref(), Some(second.as_str()));
    assert_eq!(provenance.tag.as_deref(), Some("v1.3"));
    assert_eq!(
        std::fs::read_to_string(dest.join("zlib.h")).unwrap(),
        "#define ZLIB_VERSION \"1.3\"\n"
    );
    assert!(!dest.join(".git").exists());
    assert_eq!(
        progress.labels.lock().unwrap().as_slice(),
        [format!("fetch {url}")]
    );
    assert!(
        progress.bytes.load(Ordering::Relaxed) > 0,
        "pack bytes seen"
    );

    // The mirror is a plain bare repository with the origin's branches and tags.
    let mirror = Cache::new(&cache).git_mirror(&url);
    assert_eq!(
        git_refs(&mirror),
        ["refs/heads/main", "refs/tags/v1.2", "refs/tags/v1.3"]
    );
    let repo = mindelta::git::Repository::open_bare(&mirror).unwrap();
    let tag = repo.revision("v1.3^{commit}").unwrap();
    assert_eq!(tag.to_string(), second);

    // A release published later is fetched into the same mirror.
    work.write("zlib.h", "#define ZLIB_VERSION \"1.4\"\n");
    let third = work.commit("zlib 1.4");
    work.tag("v1.4");
    publish(&work, &bare);
    let newer = fetcher
        .materialize(&spec(&url, "v1.4"), &temp.path().join("v1.4"))
        .unwrap();
    assert_eq!(newer.commit.as_deref(), Some(third.as_str()));
    assert_eq!(
        git_refs(&mirror),
        [
            "refs/heads/main",
            "refs/tags/v1.2",
            "refs/tags/v1.3",
            "refs/tags/v1.4"
        ]
    );
    let fsck = Command::new("git")
        .arg("--git-dir")
        .arg(&mirror)
        .args(["fsck", "--no-progress"])
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(fsck.status.success(), "{fsck:?}");
}

#[test]
fn a_gone_server_falls_back_to_mirrored_tags_and_names_the_url() {
    let temp = tempfile::tempdir().unwrap();
    let (_work, bare, second) = served_origin(temp.path());
    let server = GitHttpServer::start(&temp.path().join("served"));
    let url = server.url("origin.git");
    let cache = temp.path().join("cache");
    let fetcher = Fetcher::new(support::fetch_options(&cache), None);
    fetcher
        .materialize(&spec(&url, "v1.3"), &temp.path().join("first"))
        .unwrap();

    // The server answers, but the repository is gone: the fetch fails, the mirrored tag is
    // used; a tag the mirror lacks is unavailable, naming the URL.
    std::fs::remove_dir_all(&bare).unwrap();
    let again = fetcher
        .materialize(&spec(&url, "v1.3"), &temp.path().join("second"))
        .unwrap();
    assert_eq!(again.commit.as_deref(), Some(second.as_str()));
    let error = fetcher
        .materialize(&spec(&url, "v9.9"), &temp.path().join("third"))
        .unwrap_err();
    assert_eq!(error.kind(), FetchErrorKind::Unavailable, "{error:?}");
    match &error {
        FetchError::Unavailable { url: named, .. } => assert_eq!(named, &url),
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[test]
fn versions_lists_remote_tags_over_http_then_falls_back_to_the_mirror() {
    let temp = tempfile::tempdir().unwrap();
    let (work, bare, _) = served_origin(temp.path());
    work.write("zlib.h", "#define ZLIB_VERSION \"1.4-rc1\"\n");
    work.commit("zlib 1.4-rc1");
    work.tag("v1.4-rc1");
    work.git(&["tag", "docs"]);
    publish(&work, &bare);
    let server = GitHttpServer::start(&temp.path().join("served"));
    let url = server.url("origin.git");
    let root = temp.path().join("ws");
    let dir = root.join("patches").join("zlib");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("package.yaml"),
        format!("upstream:\n  version: \"1.3\"\n  git: {url}\n"),
    )
    .unwrap();
    let package = Workspace::open(&root).unwrap().load("zlib").unwrap();
    let cache = temp.path().join("cache");
    let fetcher = Fetcher::new(support::fetch_options(&cache), None);

    let releases = discover(&package, &fetcher, true).unwrap();
    let versions: Vec<_> = releases.iter().map(|r| r.version.as_str()).collect();
    assert_eq!(versions, ["1.4-rc1", "1.3", "1.2"]);
    assert!(
        !Cache::new(&cache).git_mirror(&url).exists(),
        "listing tags does not clone"
    );

    // With a mirror in the cache and the server gone, the mirror's tags are listed.
    fetcher
        .materialize(&spec(&url, "v1.3"), &temp.path().join("tree"))
        .unwrap();
    std::fs::remove_dir_all(&bare).unwrap();
    let releases = discover(&package, &fetcher, true).unwrap();
    let versions: Vec<_> = releases.iter().map(|r| r.version.as_str()).collect();
    assert_eq!(versions, ["1.4-rc1", "1.3", "1.2"]);
}

#[test]
fn a_trickling_pack_trips_the_low_speed_limit() {
    // A release whose pack spans several of the protocol's 64 KiB lines (gix counts pack
    // bytes line by line): 320 KiB that do not compress.
    let temp = tempfile::tempdir().unwrap();
    let work = GitRepo::new(temp.path().join("work"));
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let noise: Vec<u8> = (0..320 << 10)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    work.write("noise.bin", &noise);
    work.commit("noise");
    work.tag("v1.0");
    let bare = temp.path().join("served").join("origin.git");
    work.git(&[
        "clone",
        "-q",
        "--bare",
        &work.path().display().to_string(),
        &bare.display().to_string(),
    ]);
    // 4 KiB every 100 ms: 40 KiB/s, the whole pack in about 8 s; the limit asks 1 MiB/s.
    let server = GitHttpServer::start_with(
        &temp.path().join("served"),
        Some((4096, Duration::from_millis(100))),
    );
    let url = server.url("origin.git");
    let mut options = support::fetch_options(temp.path().join("cache"));
    options.speed_limit = 1 << 20;
    options.speed_time = Duration::from_secs(1);
    let error = Fetcher::new(options, None)
        .materialize(&spec(&url, "v1.0"), &temp.path().join("tree"))
        .unwrap_err();
    assert!(
        matches!(&error, FetchError::TooSlow { url: named, .. } if named == &url),
        "{error:?}"
    );
    assert_eq!(error.kind(), FetchErrorKind::Unavailable);
    assert!(!temp.path().join("tree").exists());
}

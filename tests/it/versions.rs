//! Release discovery and `mindelta versions` end to end: real git repositories (tags with
//! prefixes and pre-releases), a real HTTP server with a listing page, the offline mirror, and
//! the example workspace's `dir` upstream.

use crate::support;

use support::cli::{example_workspace, mindelta};

use std::fs;
use std::path::Path;

use mindelta::upstream::release::{Release, discover, latest};
use mindelta::upstream::{FetchError, Fetcher};
use mindelta::workspace::{Package, Workspace};
use support::git::GitRepo;
use support::http::{HttpServer, Reply};

/// Snapshot settings that show `root` as `[ROOT]` and a local port as `[PORT]`.
fn redacted(root: &Path) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(&regex::escape(&root.display().to_string()), "[ROOT]");
    settings.add_filter(r"127\.0\.0\.1:[0-9]+", "127.0.0.1:[PORT]");
    settings
}

fn fetcher(cache: &Path, offline: bool) -> Fetcher {
    let mut options = support::fetch_options(cache);
    options.offline = offline;
    Fetcher::new(options, None)
}

/// A workspace at `root` with one package whose `upstream:` block is `upstream` (indented).
fn package(root: &Path, name: &str, upstream: &str) -> Package {
    let dir = root.join("patches").join(name);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("package.yaml"), format!("upstream:\n{upstream}")).unwrap();
    Workspace::open(root).unwrap().load(name).unwrap()
}

fn versions(releases: &[Release]) -> Vec<&str> {
    releases.iter().map(|r| r.version.as_str()).collect()
}

/// Tags `v1.0`, `v1.1`, `v1.2-rc1`, `v1.10`, `zlib-1.9` and an unrelated `docs`.
fn tagged_repo(dir: &Path) -> GitRepo {
    let repo = GitRepo::new(dir);
    for tag in ["v1.0", "v1.1", "v1.2-rc1", "zlib-1.9", "v1.10"] {
        repo.write("VERSION", format!("{tag}\n"));
        repo.commit(&format!("release {tag}"));
        if tag == "v1.1" {
            repo.tag_annotated(tag, "an annotated release");
        } else {
            repo.tag(tag);
        }
    }
    repo.write("doc.txt", "docs\n");
    repo.commit("docs");
    repo.tag("docs");
    repo
}

fn git_package(root: &Path, origin: &Path) -> Package {
    package(
        root,
        "zlib",
        &format!("  version: \"1.1\"\n  git: {}\n", origin.display()),
    )
}

#[test]
fn git_tags_with_prefixes_and_prereleases() {
    let temp = tempfile::tempdir().unwrap();
    let origin = tagged_repo(&temp.path().join("origin"));
    let package = git_package(&temp.path().join("ws"), origin.path());
    let fetcher = fetcher(&temp.path().join("cache"), false);

    let releases = discover(&package, &fetcher, false).unwrap();
    assert_eq!(versions(&releases), ["1.10", "1.9", "1.1", "1.0"]);
    let tags: Vec<_> = releases.iter().map(|r| r.tag.as_deref().unwrap()).collect();
    assert_eq!(tags, ["v1.10", "zlib-1.9", "v1.1", "v1.0"]);
    assert!(releases[1].explanation.contains("package prefix `zlib-`"));
    assert!(releases[0].explanation.contains("leading `v`"));
    assert!(releases.iter().all(|r| !r.prerelease && r.url.is_none()));

    let all = discover(&package, &fetcher, true).unwrap();
    assert_eq!(versions(&all), ["1.10", "1.9", "1.2-rc1", "1.1", "1.0"]);
    assert!(all[2].prerelease);
    assert_eq!(
        latest(&package, &fetcher, false).unwrap().unwrap().version,
        "1.10"
    );
    // Listing tags is not a clone: nothing was mirrored.
    assert!(!temp.path().join("cache").join("git").exists());
}

#[test]
fn git_tags_through_the_release_pattern() {
    let temp = tempfile::tempdir().unwrap();
    let origin = tagged_repo(&temp.path().join("origin"));
    let package = package(
        &temp.path().join("ws"),
        "zlib",
        &format!(
            "  version: \"1.1\"\n  git: {}\n  releases:\n    pattern: 'v(?<version>[0-9]+(\\.[0-9]+)+)'\n",
            origin.path().display()
        ),
    );
    let releases = discover(&package, &fetcher(&temp.path().join("cache"), false), true).unwrap();
    // `zlib-1.9` and `v1.2-rc1` do not match the pattern.
    assert_eq!(versions(&releases), ["1.10", "1.1", "1.0"]);
    assert!(releases[0].explanation.contains("`releases.pattern`"));
}

#[test]
fn a_bad_release_pattern_names_the_manifest() {
    let temp = tempfile::tempdir().unwrap();
    let origin = tagged_repo(&temp.path().join("origin"));
    let package = package(
        &temp.path().join("ws"),
        "zlib",
        &format!(
            "  version: \"1.1\"\n  git: {}\n  releases:\n    pattern: 'v[0-9.]+'\n",
            origin.path().display()
        ),
    );
    let error = discover(&package, &fetcher(&temp.path().join("cache"), false), false).unwrap_err();
    assert!(matches!(error, FetchError::Io { .. }), "{error:?}");
    assert!(error.to_string().contains("package.yaml"), "{error}");
}

#[test]
fn offline_discovery_reads_the_mirror() {
    let temp = tempfile::tempdir().unwrap();
    let cache = temp.path().join("cache");
    let origin = tagged_repo(&temp.path().join("origin"));
    let package = git_package(&temp.path().join("ws"), origin.path());

    // Nothing cached yet: offline discovery is unavailable (retryable).
    let error = discover(&package, &fetcher(&cache, true), false).unwrap_err();
    assert!(matches!(error, FetchError::NotCached { .. }), "{error:?}");

    fetcher(&cache, false)
        .git_mirror(&origin.path().display().to_string())
        .unwrap();
    fs::remove_dir_all(origin.path()).unwrap();
    let releases = discover(&package, &fetcher(&cache, true), true).unwrap();
    assert_eq!(
        versions(&releases),
        ["1.10", "1.9", "1.2-rc1", "1.1", "1.0"]
    );
    // Online with the origin gone, the mirror still answers.
    let releases = discover(&package, &fetcher(&cache, false), false).unwrap();
    assert_eq!(versions(&releases), ["1.10", "1.9", "1.1", "1.0"]);
}

const LISTING: &str = r#"<html><body><h1>Index of /hello/</h1>
<a href="../">Parent</a>
<a href="hello-1.0.tar.gz">hello-1.0.tar.gz</a>
<a href="hello-1.0.tar.gz.sig">hello-1.0.tar.gz.sig</a>
<a href="hello-1.9.tar.gz">hello-1.9.tar.gz</a>
<a href="https://mirror.example.org/hello/hello-1.10.tar.gz">hello-1.10.tar.gz</a>
<a href="hello-1.10.tar.gz.asc">hello-1.10.tar.gz.asc</a>
<a href="hello-2.0rc1.tar.gz">hello-2.0rc1.tar.gz</a>
<a href="hello-latest.tar.gz">hello-latest.tar.gz</a>
<a href="othello-3.0.tar.gz">othello-3.0.tar.gz</a>
<a href="hello-1.9.zip">hello-1.9.zip</a>
<p>hello-9.9.tar.gz is mentioned in text only</p>
</body></html>"#;

#[test]
fn listing_page_with_prereleases_and_decoys() {
    let temp = tempfile::tempdir().unwrap();
    let server = HttpServer::start([("/hello/", Reply::Page(LISTING.to_owned()))]);
    let package = package(
        &temp.path().join("ws"),
        "hello",
        &format!(
            "  version: \"1.9\"\n  tarball: {}\n  releases:\n    url: {}\n",
            server.url("/dl/hello-{version}.tar.gz"),
            server.url("/hello/")
        ),
    );
    let fetcher = fetcher(&temp.path().join("cache"), false);
    let releases = discover(&package, &fetcher, false).unwrap();
    assert_eq!(versions(&releases), ["1.10", "1.9", "1.0"]);
    assert_eq!(
        releases[0].url.as_deref(),
        Some(server.url("/dl/hello-1.10.tar.gz").as_str())
    );
    assert!(
        releases[0]
            .explanation
            .contains("tarball file name `hello-{version}.tar.gz`"),
        "{}",
        releases[0].explanation
    );
    let all = discover(&package, &fetcher, true).unwrap();
    assert_eq!(versions(&all), ["2.0rc1", "1.10", "1.9", "1.0"]);
    assert_eq!(server.requests("/hello/"), 2);
}

#[test]
fn listing_page_through_the_release_pattern() {
    let temp = tempfile::tempdir().unwrap();
    let server = HttpServer::start([("/hello/", Reply::Page(LISTING.to_owned()))]);
    let package = package(
        &temp.path().join("ws"),
        "hello",
        &format!(
            "  version: \"1.9\"\n  tarball: {}\n  releases:\n    url: {}\n    pattern: 'hello-(?<version>[0-9]+(\\.[0-9]+)+)\\.(tar\\.gz|zip)'\n    prereleases: true\n",
            server.url("/dl/hello-{version}.tar.gz"),
            server.url("/hello/")
        ),
    );
    let releases = discover(&package, &fetcher(&temp.path().join("cache"), false), false).unwrap();
    // `2.0rc1` does not match this pattern; 1.9 (tar.gz and zip) is listed once.
    assert_eq!(versions(&releases), ["1.10", "1.9", "1.0"]);
}

#[test]
fn an_unreachable_listing_is_unavailable() {
    let temp = tempfile::tempdir().unwrap();
    let server = HttpServer::start([("/hello/", Reply::Status(404))]);
    let package = package(
        &temp.path().join("ws"),
        "hello",
        &format!(
            "  version: \"1.9\"\n  tarball: {}\n  releases:\n    url: {}\n",
            server.url("/dl/hello-{version}.tar.gz"),
            server.url("/hello/")
        ),
    );
    let error = discover(&package, &fetcher(&temp.path().join("cache"), false), false).unwrap_err();
    assert!(matches!(error, FetchError::NotFound { .. }), "{error:?}");
    assert!(error.to_string().contains("/hello/"), "{error}");
}

#[test]
fn dir_template_finds_the_example_releases_offline() {
    let temp = tempfile::tempdir().unwrap();
    let package = Workspace::open(&example_workspace())
        .unwrap()
        .load("hello")
        .unwrap();
    let releases = discover(&package, &fetcher(&temp.path().join("cache"), true), false).unwrap();
    assert_eq!(versions(&releases), ["1.1", "1.0"]);
    let url = releases[0].url.as_deref().unwrap();
    assert!(url.ends_with("examples/upstream/hello-1.1"), "{url}");
    assert!(!url.contains(".."), "{url}");
}

#[test]
fn cli_lists_marks_and_explains() {
    let temp = tempfile::tempdir().unwrap();
    let origin = tagged_repo(&temp.path().join("origin"));
    let root = temp.path().join("ws");
    git_package(&root, origin.path());
    let output = mindelta(&temp.path().join("cache"))
        .args(["versions", "zlib", "--workspace"])
        .arg(&root)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        stdout,
        "  1.10  v1.10\n  1.9   zlib-1.9\n* 1.1   v1.1\n  1.0   v1.0\n"
    );

    let output = mindelta(&temp.path().join("cache"))
        .args([
            "versions",
            "zlib",
            "--explain",
            "--prereleases",
            "--workspace",
        ])
        .arg(&root)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    redacted(temp.path()).bind(|| insta::assert_snapshot!(stdout));
}

#[test]
fn cli_json_on_the_example_workspace() {
    let temp = tempfile::tempdir().unwrap();
    let output = mindelta(&temp.path().join("cache"))
        .args([
            "--offline",
            "--format",
            "json",
            "versions",
            "hello",
            "--workspace",
        ])
        .arg(example_workspace())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["name"], "hello");
    assert_eq!(json["version"], "1.0");
    let releases = json["releases"].as_array().unwrap();
    assert_eq!(releases.len(), 2);
    assert_eq!(releases[0]["version"], "1.1");
    assert_eq!(releases[0]["prerelease"], false);
    assert!(releases[0].get("tag").is_none(), "absent, not null");
    redacted(&example_workspace()).bind(|| insta::assert_json_snapshot!(json));
}

#[test]
fn cli_exits_5_when_upstream_is_unreachable() {
    let temp = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let root = temp.path().join("ws");
    package(
        &root,
        "gone",
        &format!("  version: \"1.0\"\n  git: http://127.0.0.1:{port}/gone.git\n"),
    );
    let output = mindelta(&temp.path().join("cache"))
        .args(["versions", "gone", "--workspace"])
        .arg(&root)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(5), "{output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains(&format!("127.0.0.1:{port}/gone.git")),
        "{stderr}"
    );
    assert!(stderr.contains("hint:"), "{stderr}");

    let output = mindelta(&temp.path().join("cache"))
        .args(["--offline", "versions", "gone", "--workspace"])
        .arg(&root)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(5), "{output:?}");
    // Offline, the message names no error of the system's network stack: the same everywhere.
    let stderr = String::from_utf8(output.stderr).unwrap();
    redacted(temp.path()).bind(|| insta::assert_snapshot!(stderr));
}

#[test]
fn tarball_upstream_with_git_lists_tags_and_fills_the_template() {
    let temp = tempfile::tempdir().unwrap();
    let origin = tagged_repo(&temp.path().join("origin"));
    let package = package(
        &temp.path().join("ws"),
        "zlib",
        &format!(
            "  version: \"1.1\"\n  tarball: https://example.org/zlib-{{version}}.tar.xz\n  git: {}\n",
            origin.path().display()
        ),
    );
    let releases = discover(&package, &fetcher(&temp.path().join("cache"), false), false).unwrap();
    assert_eq!(versions(&releases), ["1.10", "1.9", "1.1", "1.0"]);
    assert_eq!(
        releases[1].url.as_deref(),
        Some("https://example.org/zlib-1.9.tar.xz")
    );
    assert_eq!(releases[1].tag.as_deref(), Some("zlib-1.9"));
}

#[test]
fn a_custom_tag_template_selects_the_tags() {
    let temp = tempfile::tempdir().unwrap();
    let origin = GitRepo::new(temp.path().join("origin"));
    for tag in ["release-2.0", "release-2.1", "v9.9", "release-notes"] {
        origin.write("VERSION", tag);
        origin.commit(tag);
        origin.tag(tag);
    }
    let package = package(
        &temp.path().join("ws"),
        "tool",
        &format!(
            "  version: \"2.0\"\n  git: {}\n  tag: \"release-{{version}}\"\n",
            origin.path().display()
        ),
    );
    let releases = discover(&package, &fetcher(&temp.path().join("cache"), false), false).unwrap();
    assert_eq!(versions(&releases), ["2.1", "2.0"]);
    assert!(
        releases[0]
            .explanation
            .contains("the tag template `release-{version}`"),
        "{}",
        releases[0].explanation
    );
}

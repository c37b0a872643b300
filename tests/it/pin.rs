//! Checksums are never computed by hand: `import --upstream-tarball` without `--sha256`
//! downloads once and writes what it fetched; `prepare --allow-unverified` prints the checksum
//! and the line that pins it; `mindelta pin PKG` writes a tarball's sha256, a git tag's commit,
//! melange's `expected-sha256`/`expected-commit` — through a real HTTP server on 127.0.0.1 and
//! real git repositories, the cache counted.

use crate::support;

use std::fs;
use std::path::Path;

use support::cli::{mindelta, snapshot};
use support::git::GitRepo;
use support::http::{HttpServer, Reply};
use support::{TarEntry, gzip, sha256, tar};

/// A gzipped release `demo-VERSION/` holding `a.txt` with `text`.
fn release(version: &str, text: &str) -> Vec<u8> {
    gzip(&tar(&[
        TarEntry::dir(&format!("demo-{version}/")),
        TarEntry::file(&format!("demo-{version}/a.txt"), text),
    ]))
}

const PATCH: &str =
    "Description: Say more\n--- a/a.txt\n+++ b/a.txt\n@@ -1 +1,2 @@\n hello\n+world\n";

/// A quilt series of one patch at `dir`.
fn series(dir: &Path) {
    fs::create_dir_all(dir).unwrap();
    fs::write(dir.join("series"), "more.patch\n").unwrap();
    fs::write(dir.join("more.patch"), PATCH).unwrap();
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `mindelta --workspace ROOT ARGS…`, the cache in `cache`.
fn run(cache: &Path, root: &Path, args: &[&str]) -> std::process::Output {
    mindelta(cache)
        .arg("--workspace")
        .arg(root)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn import_without_a_checksum_downloads_once_and_writes_what_it_fetched() {
    let tarball = release("1.0", "hello\n");
    let server = HttpServer::start([("/demo-1.0.tar.gz", Reply::Bytes(tarball.clone()))]);
    let temp = tempfile::tempdir().unwrap();
    let (root, cache) = (temp.path().join("ws"), temp.path().join("cache"));
    fs::create_dir_all(root.join("patches")).unwrap();
    series(&temp.path().join("series"));
    let url = server.url("/demo-{version}.tar.gz");
    let import = mindelta(&cache)
        .arg("--workspace")
        .arg(&root)
        .args(["import", "quilt"])
        .arg(temp.path().join("series"))
        .args([
            "--name",
            "demo",
            "--version",
            "1.0",
            "--upstream-tarball",
            &url,
        ])
        .output()
        .unwrap();
    assert_eq!(import.status.code(), Some(0), "{}", stderr(&import));
    let sum = sha256(&tarball);
    assert!(
        stderr(&import).contains(&format!(
            "downloaded `{}`: sha256 {sum}",
            server.url("/demo-1.0.tar.gz")
        )),
        "{}",
        stderr(&import)
    );
    let manifest = fs::read_to_string(root.join("patches/demo/package.yaml")).unwrap();
    assert!(
        manifest.contains(&format!("  sha256: {sum}\n")),
        "{manifest}"
    );
    assert_eq!(server.requests("/demo-1.0.tar.gz"), 1);
    // `prepare` verifies against it and finds the download in the cache.
    let out = temp.path().join("out");
    let prepare = mindelta(&cache)
        .arg("--workspace")
        .arg(&root)
        .args(["prepare", "demo", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(prepare.status.code(), Some(0), "{}", stderr(&prepare));
    assert_eq!(
        fs::read_to_string(out.join("a.txt")).unwrap(),
        "hello\nworld\n"
    );
    assert_eq!(server.requests("/demo-1.0.tar.gz"), 1, "downloaded once");
}

#[test]
fn import_says_so_when_it_cannot_download() {
    let server = HttpServer::start([
        ("/missing-1.0.tar.gz", Reply::Status(404)),
        (
            "/garbage-1.0.tar.gz",
            Reply::Bytes(b"not an archive".to_vec()),
        ),
    ]);
    let temp = tempfile::tempdir().unwrap();
    let (root, cache) = (temp.path().join("ws"), temp.path().join("cache"));
    fs::create_dir_all(root.join("patches")).unwrap();
    series(&temp.path().join("series"));
    let import = |name: &str, extra: &[&str]| {
        mindelta(&cache)
            .arg("--workspace")
            .arg(&root)
            .args(extra)
            .args(["import", "quilt"])
            .arg(temp.path().join("series"))
            .args(["--name", name, "--version", "1.0", "--upstream-tarball"])
            .arg(server.url(&format!("/{name}-{{version}}.tar.gz")))
            .output()
            .unwrap()
    };
    // 404: exit 5, nothing imported.
    let missing = import("missing", &[]);
    assert_eq!(missing.status.code(), Some(5), "{}", stderr(&missing));
    assert!(
        stderr(&missing).contains("nothing was imported"),
        "{}",
        stderr(&missing)
    );
    assert!(!root.join("patches/missing").exists());
    // Not an archive: never written as a checksum.
    let garbage = import("garbage", &[]);
    assert_eq!(garbage.status.code(), Some(1), "{}", stderr(&garbage));
    assert!(!root.join("patches/garbage").exists());
    // Offline: imported without a checksum, and told how to add it later; no request.
    let before = server.requests("/missing-1.0.tar.gz");
    let offline = import("missing", &["--offline"]);
    assert_eq!(offline.status.code(), Some(0), "{}", stderr(&offline));
    assert!(
        stderr(&offline).contains("run `mindelta pin PKG` once online"),
        "{}",
        stderr(&offline)
    );
    assert_eq!(server.requests("/missing-1.0.tar.gz"), before);
    let manifest = fs::read_to_string(root.join("patches/missing/package.yaml")).unwrap();
    assert!(!manifest.contains("sha256"), "{manifest}");
}

#[test]
fn prepare_allow_unverified_prints_the_checksum_and_the_line_to_add() {
    let tarball = release("1.0", "hello\n");
    let server = HttpServer::start([("/demo-1.0.tar.gz", Reply::Bytes(tarball.clone()))]);
    let temp = tempfile::tempdir().unwrap();
    let (root, cache) = (temp.path().join("ws"), temp.path().join("cache"));
    fs::create_dir_all(root.join("patches/demo")).unwrap();
    fs::write(root.join("patches/demo/more.patch"), PATCH).unwrap();
    fs::write(
        root.join("patches/demo/package.yaml"),
        format!(
            "upstream:\n  version: \"1.0\"\n  tarball: {}\npatches:\n  - file: more.patch\n",
            server.url("/demo-{version}.tar.gz")
        ),
    )
    .unwrap();
    let out = temp.path().join("out");
    let sum = sha256(&tarball);
    let prepare = |extra: &[&str]| {
        mindelta(&cache)
            .arg("--workspace")
            .arg(&root)
            .args(["prepare", "demo", "--allow-unverified", "--out"])
            .arg(&out)
            .args(extra)
            .output()
            .unwrap()
    };
    let human = prepare(&[]);
    assert_eq!(human.status.code(), Some(0), "{}", stderr(&human));
    assert!(
        stderr(&human).contains(&format!(
            "warning: demo: the tarball was not verified (no checksum to check it against); what was fetched has sha256 {sum}\nhint: add the line `  sha256: {sum}` after `tarball:` (line 3) of `patches/demo/package.yaml`, or run `mindelta pin demo`\n"
        )),
        "{}",
        stderr(&human)
    );
    let json = prepare(&["--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["packages"][0]["upstream"]["sha256"], sum.as_str());
    // The line, added as shown, makes the checksum verified: no warning any more.
    let manifest = root.join("patches/demo/package.yaml");
    let text = fs::read_to_string(&manifest).unwrap();
    fs::write(
        &manifest,
        text.replace("tar.gz\n", &format!("tar.gz\n  sha256: {sum}\n")),
    )
    .unwrap();
    let verified = mindelta(&cache)
        .arg("--workspace")
        .arg(&root)
        .args(["prepare", "demo", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(verified.status.code(), Some(0), "{}", stderr(&verified));
    assert!(
        !stderr(&verified).contains("warning"),
        "{}",
        stderr(&verified)
    );
}

#[test]
fn pin_writes_the_checksum_of_the_pinned_tarball() {
    let one = release("1.0", "hello\n");
    let two = release("1.1", "hello\n");
    let server = HttpServer::start([
        ("/demo-1.0.tar.gz", Reply::Bytes(one.clone())),
        ("/demo-1.1.tar.gz", Reply::Bytes(two.clone())),
    ]);
    let temp = tempfile::tempdir().unwrap();
    let (root, cache) = (temp.path().join("ws"), temp.path().join("cache"));
    fs::create_dir_all(root.join("patches/demo")).unwrap();
    fs::write(root.join("patches/demo/more.patch"), PATCH).unwrap();
    let manifest = root.join("patches/demo/package.yaml");
    let original = format!(
        "# demo, by hand\nupstream:\n  version: \"1.0\"   # the release we build\n  tarball: {}  # upstream's\n  releases:\n    url: {}\npatches:\n  - file: more.patch\n",
        server.url("/demo-{version}.tar.gz"),
        server.url("/")
    );
    fs::write(&manifest, &original).unwrap();

    // --dry-run: the diff, nothing written.
    let dry = run(&cache, &root, &["pin", "demo", "--dry-run"]);
    assert_eq!(dry.status.code(), Some(0), "{}", stderr(&dry));
    assert!(
        stdout(&dry).contains(&format!("+  sha256: {}", sha256(&one))),
        "{}",
        stdout(&dry)
    );
    assert_eq!(fs::read_to_string(&manifest).unwrap(), original);

    let pin = run(&cache, &root, &["pin", "demo"]);
    assert_eq!(pin.status.code(), Some(0), "{}", stderr(&pin));
    assert_eq!(
        stdout(&pin),
        format!("demo 1.0: sha256 {} (added)\n", sha256(&one))
    );
    // Added right after `tarball:`, every other byte kept.
    assert_eq!(
        fs::read_to_string(&manifest).unwrap(),
        original.replace(
            "  # upstream's\n",
            &format!("  # upstream's\n  sha256: {}\n", sha256(&one))
        )
    );
    assert_eq!(
        server.requests("/demo-1.0.tar.gz"),
        1,
        "the dry run's download was cached"
    );
    let again = run(&cache, &root, &["pin", "demo", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(
        report["packages"][0]["pins"][0]["old"],
        report["packages"][0]["pins"][0]["new"]
    );

    // The version moved by hand: the old pin does not match, which `pin` refuses as an
    // integrity failure (exit 6) until told the change is the user's; then it replaces the
    // checksum, and says so.
    let text = fs::read_to_string(&manifest).unwrap();
    let hand_moved = text.replace("\"1.0\"", "\"1.1\"");
    fs::write(&manifest, &hand_moved).unwrap();
    let refused = run(&cache, &root, &["pin", "demo"]);
    assert_eq!(refused.status.code(), Some(6), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("mindelta pin demo --force"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(fs::read_to_string(&manifest).unwrap(), hand_moved);
    let moved = run(&cache, &root, &["pin", "demo", "--force"]);
    assert_eq!(moved.status.code(), Some(0), "{}", stderr(&moved));
    assert!(
        stderr(&moved).contains(&format!(
            "warning: demo: `patches/demo/package.yaml` now has the download's sha256, not {}",
            sha256(&one)
        )),
        "{}",
        stderr(&moved)
    );
    let text = fs::read_to_string(&manifest).unwrap();
    assert!(
        text.contains(&format!("  sha256: {}\n", sha256(&two))),
        "{text}"
    );
    let out = temp.path().join("out");
    let prepare = mindelta(&cache)
        .arg("--workspace")
        .arg(&root)
        .args(["prepare", "demo", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(prepare.status.code(), Some(0), "{}", stderr(&prepare));
}

#[test]
fn pin_of_an_unreachable_or_missing_release_changes_nothing() {
    let server = HttpServer::start([
        ("/down-1.0.tar.gz", Reply::Status(500)),
        ("/gone-1.0.tar.gz", Reply::Status(404)),
    ]);
    let temp = tempfile::tempdir().unwrap();
    let (root, cache) = (temp.path().join("ws"), temp.path().join("cache"));
    for name in ["down", "gone"] {
        fs::create_dir_all(root.join("patches").join(name)).unwrap();
        fs::write(
            root.join("patches").join(name).join("package.yaml"),
            format!(
                "upstream:\n  version: \"1.0\"\n  tarball: {}\npatches: []\n",
                server.url(&format!("/{name}-{{version}}.tar.gz"))
            ),
        )
        .unwrap();
    }
    fs::create_dir_all(root.join("patches/local")).unwrap();
    fs::write(
        root.join("patches/local/package.yaml"),
        "upstream:\n  version: \"1.0\"\n  dir: ../../src\npatches: []\n",
    )
    .unwrap();
    let before = snapshot(&root);
    for (name, code, wanted) in [
        ("down", 5, "cannot fetch upstream of `down` at 1.0"),
        ("gone", 5, "not found"),
        (
            "local",
            1,
            "`local` has nothing to pin: a `dir` upstream is a local folder",
        ),
    ] {
        let output = run(&cache, &root, &["pin", name]);
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
    }
    // Several at once: every failure reported, the most severe exit.
    let all = run(&cache, &root, &["pin", "down", "local"]);
    assert_eq!(all.status.code(), Some(5), "{}", stderr(&all));
    assert!(
        stderr(&all).contains("2 packages failed"),
        "{}",
        stderr(&all)
    );
    assert_eq!(snapshot(&root), before);
}

#[test]
fn pin_writes_the_commit_a_git_tag_resolves_to() {
    let temp = tempfile::tempdir().unwrap();
    let upstream = GitRepo::new(temp.path().join("upstream"));
    upstream.write("a.txt", "hello\n");
    let commit = upstream.commit("1.0");
    upstream.tag("v1.0");
    let (root, cache) = (temp.path().join("ws"), temp.path().join("cache"));
    fs::create_dir_all(root.join("patches/demo")).unwrap();
    let manifest = root.join("patches/demo/package.yaml");
    let original = format!(
        "upstream:\n  version: \"1.0\"\n  git: {}\n  tag: \"v{{version}}\"\npatches: []\n",
        upstream.path().display()
    );
    fs::write(&manifest, &original).unwrap();
    let pin = run(&cache, &root, &["pin", "demo"]);
    assert_eq!(pin.status.code(), Some(0), "{}", stderr(&pin));
    assert_eq!(stdout(&pin), format!("demo 1.0: commit {commit} (added)\n"));
    assert_eq!(
        fs::read_to_string(&manifest).unwrap(),
        original.replace(
            "  tag: \"v{version}\"\n",
            &format!("  tag: \"v{{version}}\"\n  commit: \"{commit}\"\n")
        )
    );
    // `prepare` verifies the pin: a moved tag is an integrity failure.
    upstream.write("a.txt", "moved\n");
    upstream.commit("moved");
    upstream.git(&["tag", "-f", "v1.0"]);
    let out = temp.path().join("out");
    let prepare = mindelta(&cache)
        .arg("--workspace")
        .arg(&root)
        .args(["prepare", "demo", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(prepare.status.code(), Some(6), "{}", stderr(&prepare));
}

#[test]
fn pin_edits_a_melange_package_in_place_and_refuses_debian() {
    let tarball = release("2.0", "hello\n");
    let server = HttpServer::start([("/hello-2.0.tar.gz", Reply::Bytes(tarball.clone()))]);
    let temp = tempfile::tempdir().unwrap();
    let cache = temp.path().join("cache");
    let upstream = GitRepo::new(temp.path().join("upstream"));
    upstream.write("a.txt", "hello\n");
    let commit = upstream.commit("1.0");
    upstream.tag("v1.0");
    let os = temp.path().join("os");
    fs::create_dir_all(&os).unwrap();
    let fetch = format!(
        "package:\n  name: hello\n  version: 2.0\n  epoch: 0\npipeline:\n  - uses: fetch\n    with:\n      uri: {}\n      expected-sha256: {}\n",
        server.url("/hello-${{package.version}}.tar.gz"),
        "0".repeat(64)
    );
    fs::write(os.join("hello.yaml"), &fetch).unwrap();
    let checkout = format!(
        "package:\n  name: tool\n  version: 1.0\n  epoch: 0\npipeline:\n  - uses: git-checkout\n    with:\n      repository: {}\n      tag: v${{{{package.version}}}}\n  - runs: make\n",
        upstream.path().display()
    );
    fs::write(os.join("tool.yaml"), &checkout).unwrap();
    // A placeholder checksum does not match the download: refused, then replaced on request.
    let refused = run(&cache, &os, &["pin", "hello", "tool"]);
    assert_eq!(refused.status.code(), Some(6), "{}", stderr(&refused));
    assert_eq!(fs::read_to_string(os.join("hello.yaml")).unwrap(), fetch);
    let pin = run(&cache, &os, &["pin", "hello", "tool", "--force"]);
    assert_eq!(pin.status.code(), Some(0), "{}", stderr(&pin));
    assert_eq!(
        fs::read_to_string(os.join("hello.yaml")).unwrap(),
        fetch.replace(&"0".repeat(64), &sha256(&tarball))
    );
    assert_eq!(
        fs::read_to_string(os.join("tool.yaml")).unwrap(),
        checkout.replace(
            "      tag: v${{package.version}}\n",
            &format!("      tag: v${{{{package.version}}}}\n      expected-commit: {commit}\n")
        )
    );
    // The refusal was the mismatching package's alone: `tool` was pinned by the first run.
    assert!(
        stdout(&refused).contains(&format!("tool 1.0: expected-commit {commit} (added)")),
        "{}",
        stdout(&refused)
    );

    // A Debian source package has no pin of mindelta's to write.
    let tree = temp.path().join("hello-1.0");
    fs::create_dir_all(tree.join("debian/patches")).unwrap();
    fs::write(
        tree.join("debian/changelog"),
        "hello (1.0-1) unstable; urgency=medium\n\n  * Initial release.\n\n -- A <a@example.org>  Mon, 01 Jan 2024 00:00:00 +0000\n",
    )
    .unwrap();
    fs::write(tree.join("debian/patches/series"), "").unwrap();
    fs::create_dir_all(tree.join("debian/source")).unwrap();
    fs::write(tree.join("debian/source/format"), "3.0 (quilt)\n").unwrap();
    let debian = run(&cache, &tree, &["pin", "hello"]);
    assert_eq!(debian.status.code(), Some(1), "{}", stderr(&debian));
    assert!(
        stderr(&debian).contains("`hello` has nothing to pin: a Debian source package is pinned by the checksums of its `.dsc`"),
        "{}",
        stderr(&debian)
    );
}

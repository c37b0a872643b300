//! `mindelta check` and the expiry detectors on real upstreams: hermetic git repositories with
//! real tags (`support::git::GitRepo`), a tarball upstream on a real HTTP server on 127.0.0.1,
//! an unreachable upstream, and the repository's own example workspace.
//!
//! One upstream (`upstream_repo`) carries a commit per scenario between `v1.0` and `v1.1`;
//! the `demo` package holds one patch per scenario, each on its own file so the series order
//! only matters where a test means it to (`s.c`).

use crate::support;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use mindelta::expiry::history::{History, PatchIdCache};
use mindelta::expiry::{
    CheckError, CheckOptions, Detector, EvidenceResult, HunkState, PackageCheck, PatchCheck,
    Verdict, check_package,
};
use mindelta::upstream::{FetchErrorKind, Fetcher};
use mindelta::workspace::Workspace;
use support::git::{GitRepo, git_command};
use support::http::{HttpServer, Reply};

fn mindelta(cache: &Path) -> Command {
    let mut command = Command::cargo_bin("mindelta").expect("the binary is built");
    command
        .env("MINDELTA_CACHE_DIR", cache)
        .env("MINDELTA_RETRY_BACKOFF", "0")
        .env("NO_COLOR", "1");
    command
}

/// Write package `name` of the workspace at `root`: `upstream` is the manifest's `upstream:`
/// body, `patches` are (file, extra manifest keys, text).
fn package(root: &Path, name: &str, upstream: &str, patches: &[(&str, &str, String)]) {
    let dir = root.join("patches").join(name);
    fs::create_dir_all(&dir).unwrap();
    let mut manifest = format!("upstream:\n{upstream}patches:\n");
    for (file, keys, text) in patches {
        fs::write(dir.join(file), text).unwrap();
        manifest.push_str(&format!("  - file: {file}\n{keys}"));
    }
    fs::write(dir.join("package.yaml"), manifest).unwrap();
}

fn check(root: &Path, name: &str, release: &str) -> Result<PackageCheck, CheckError> {
    let workspace = Workspace::open(root).unwrap();
    let package = workspace.load(name).unwrap();
    let fetcher = Fetcher::new(support::fetch_options(root.join("cache")), None);
    check_package(&package, release, &fetcher, &CheckOptions::default())
}

fn patch<'a>(checked: &'a PackageCheck, file: &str) -> &'a PatchCheck {
    checked
        .patches
        .iter()
        .find(|p| p.file == file)
        .unwrap_or_else(|| panic!("no verdict for {file}"))
}

fn result(patch: &PatchCheck, detector: &str) -> (EvidenceResult, String) {
    let evidence = patch
        .evidence
        .iter()
        .find(|e| e.detector.as_str() == detector)
        .unwrap_or_else(|| panic!("no {detector} evidence for {}", patch.file));
    (evidence.result, evidence.detail.clone())
}

fn states(patch: &PatchCheck) -> Vec<HunkState> {
    patch.hunks.iter().map(|h| h.state).collect()
}

/// `count` numbered declarations, `int <name>N = N;`.
fn lines(name: &str, count: usize) -> String {
    (1..=count)
        .map(|n| format!("int {name}{n} = {n};\n"))
        .collect()
}

const D_V10: &str = "int check(int len)\n{\n\tif (len < 0)\n\t\treturn -1;\n\treturn len;\n}\n";
const D_PATCH: &str = "--- a/d.c\n+++ b/d.c\n@@ -2,5 +2,7 @@\n {\n \tif (len < 0)\n \t\treturn -1;\n+\tif (len > 64)\n+\t\treturn -1;\n \treturn len;\n }\n";
const D_V11: &str = "int check(int len)\n{\n    if (len < 0)\n        return -1;\n    if (len > 64)\n        return -1;\n    return len;\n}\n";
const T_V10: &str = "void t(void)\n{\n\tx();\n\ty();\n}\n";
const T_PATCH: &str =
    "--- a/t.c\n+++ b/t.c\n@@ -1,5 +1,6 @@\n void t(void)\n {\n \tx();\n+\n \ty();\n }\n";
const S_V10: &str = "int base;\nint other;\nint more;\n";
const S_ADD: &str = "--- a/s.c\n+++ b/s.c\n@@ -1,3 +1,4 @@\n int base;\n+int feature = 1;\n int other;\n int more;\n";
const S_CHANGE: &str = "--- a/s.c\n+++ b/s.c\n@@ -1,4 +1,4 @@\n int base;\n-int feature = 1;\n+int feature = 2;\n int other;\n int more;\n";

/// The upstream of the `demo` package, and the ids of its commits `A` (clamp in a.c) and `B`
/// (b.c and g.c).
struct Upstream {
    repo: GitRepo,
    clamp: String,
    backport: String,
}

fn upstream_repo(dir: &Path) -> Upstream {
    let repo = GitRepo::new(dir);
    repo.write(
        "a.c",
        "/* a.c */\nint parse(const char *s)\n{\n\tint n = atoi(s);\n\treturn n;\n}\n",
    )
    .write("b.c", "int b(void)\n{\n\treturn 1;\n}\n")
    .write("c.c", "int c(void)\n{\n\treturn 3;\n}\n")
    .write("d.c", D_V10)
    .write("e.c", lines("e", 10))
    .write("f.c", lines("f", 30))
    .write("g.c", "int g(void)\n{\n\treturn 7;\n}\n")
    .write("h.c", lines("h", 5))
    .write("t.c", T_V10)
    .write("s.c", S_V10);
    repo.commit("hello 1.0");
    repo.tag_annotated("v1.0", "release 1.0");
    repo.write(
        "a.c",
        "/* a.c */\nint parse(const char *s)\n{\n\tint n = atoi(s);\n\treturn n < 0 ? 0 : n;\n}\n",
    );
    let clamp = repo.commit("parse: clamp negative numbers to zero");
    repo.write("b.c", "int b(void)\n{\n\treturn 2;\n}\n")
        .write("g.c", "int g(void)\n{\n\treturn 9;\n}\n");
    let backport = repo.commit("b, g: new return values");
    let filler: String = (1..=30).map(|n| format!("/* filler {n} */\n")).collect();
    repo.write("d.c", D_V11)
        .write(
            "e.c",
            filler + &lines("e", 10).replace("int e5 = 5;", "int e5 = 50;"),
        )
        .write("f.c", lines("f", 30).replace("int f3 = 3;", "int f3 = 33;"))
        .write("t.c", "void t(void)\n{\n\tx();\n\n\ty();\n}\n");
    repo.commit("restyle d.c, fill e.c, fix f3, space out t.c");
    repo.tag("v1.1");
    Upstream {
        repo,
        clamp,
        backport,
    }
}

/// The `demo` package on `upstream`, one patch per scenario.
fn demo_package(root: &Path, upstream: &Upstream) {
    let diff = |range: &str, file: &str| upstream.repo.git(&["diff", range, "--", file]) + "\n";
    let clamp_diff = diff(&format!("{}^..{}", upstream.clamp, upstream.clamp), "a.c");
    let cherry = format!(
        "From: Downstream <d@example.org>\nSubject: [PATCH] Never return a negative count\n\nOur own words for the same fix.\n---\n{clamp_diff}"
    );
    let backport = diff(
        &format!("{}^..{}", upstream.backport, upstream.backport),
        "b.c",
    );
    let unknown = "Description: return 4\nGit-commit: 0123456789abcdef0123456789abcdef01234567\n---\n--- a/c.c\n+++ b/c.c\n@@ -1,4 +1,4 @@\n int c(void)\n {\n-\treturn 3;\n+\treturn 4;\n }\n".to_string();
    let moved = "--- a/e.c\n+++ b/e.c\n@@ -2,7 +2,7 @@\n int e2 = 2;\n int e3 = 3;\n int e4 = 4;\n-int e5 = 5;\n+int e5 = 50;\n int e6 = 6;\n int e7 = 7;\n int e8 = 8;\n".to_string();
    let partial = "--- a/f.c\n+++ b/f.c\n@@ -1,6 +1,6 @@\n int f1 = 1;\n int f2 = 2;\n-int f3 = 3;\n+int f3 = 33;\n int f4 = 4;\n int f5 = 5;\n int f6 = 6;\n@@ -22,7 +22,7 @@\n int f22 = 22;\n int f23 = 23;\n int f24 = 24;\n-int f25 = 25;\n+int f25 = 250;\n int f26 = 26;\n int f27 = 27;\n int f28 = 28;\n".to_string();
    let conflict =
        "--- a/g.c\n+++ b/g.c\n@@ -1,4 +1,4 @@\n int g(void)\n {\n-\treturn 7;\n+\treturn 8;\n }\n"
            .to_string();
    let fixed = "--- a/h.c\n+++ b/h.c\n@@ -1,3 +1,3 @@\n int h1 = 1;\n-int h2 = 2;\n+int h2 = 20;\n int h3 = 3;\n".to_string();
    let url = upstream.repo.path().display();
    package(
        root,
        "demo",
        &format!("  version: \"1.0\"\n  git: {url}\n"),
        &[
            ("0001-cherry-pick.patch", "", cherry),
            (
                "0002-backport.patch",
                &format!("    upstream-commit: {}\n", upstream.backport),
                backport,
            ),
            ("0003-unknown-commit.patch", "", unknown),
            ("0004-reindented.patch", "", D_PATCH.to_string()),
            ("0005-moved.patch", "", moved),
            ("0006-half-upstream.patch", "", partial),
            ("0007-conflict.patch", "", conflict),
            ("0008-fixed-in.patch", "    fixed-in: \">=1.1\"\n", fixed),
            ("0009-blank-line.patch", "", T_PATCH.to_string()),
            ("0010-add-feature.patch", "", S_ADD.to_string()),
            ("0011-tune-feature.patch", "", S_CHANGE.to_string()),
        ],
    );
}

/// A workspace with the `demo` package; the temp dir also holds the upstream and the cache.
fn demo() -> (tempfile::TempDir, Upstream) {
    let temp = tempfile::tempdir().unwrap();
    let upstream = upstream_repo(&temp.path().join("upstream"));
    demo_package(temp.path(), &upstream);
    (temp, upstream)
}

#[test]
fn every_detector_and_verdict_on_a_git_upstream() {
    let (temp, upstream) = demo();
    let checked = check(temp.path(), "demo", "1.1").unwrap();
    assert_eq!(checked.version, "1.0");
    assert_eq!(checked.release, "1.1");
    let verdicts: BTreeMap<&str, (Verdict, Option<&str>)> = checked
        .patches
        .iter()
        .map(|p| (p.file.as_str(), (p.verdict, p.reason.map(Detector::as_str))))
        .collect();
    let expected: BTreeMap<&str, (Verdict, Option<&str>)> = [
        (
            "0001-cherry-pick.patch",
            (Verdict::Expired, Some("patch-id")),
        ),
        (
            "0002-backport.patch",
            (Verdict::Expired, Some("upstream-commit")),
        ),
        ("0003-unknown-commit.patch", (Verdict::Needed, None)),
        ("0004-reindented.patch", (Verdict::Expired, Some("content"))),
        ("0005-moved.patch", (Verdict::Expired, Some("content"))),
        ("0006-half-upstream.patch", (Verdict::Partial, None)),
        ("0007-conflict.patch", (Verdict::Conflict, None)),
        ("0008-fixed-in.patch", (Verdict::Expired, Some("fixed-in"))),
        ("0009-blank-line.patch", (Verdict::Conflict, None)),
        ("0010-add-feature.patch", (Verdict::Needed, None)),
        ("0011-tune-feature.patch", (Verdict::Conflict, None)),
    ]
    .into_iter()
    .collect();
    assert_eq!(verdicts, expected);

    // patch-id: a cherry-pick with another message, named by commit and tag.
    let cherry = patch(&checked, "0001-cherry-pick.patch");
    let (found, detail) = result(cherry, "patch-id");
    assert_eq!(found, EvidenceResult::Proves);
    assert!(detail.contains(&upstream.clamp[..12]), "{detail}");
    assert!(detail.contains("v1.1"), "{detail}");
    assert_eq!(result(cherry, "content").0, EvidenceResult::Proves);

    // upstream-commit: declared and in R; declared and unknown (said so, nothing concluded).
    let backport = patch(&checked, "0002-backport.patch");
    let (found, detail) = result(backport, "upstream-commit");
    assert_eq!(found, EvidenceResult::Proves);
    assert!(detail.contains(&upstream.backport[..12]), "{detail}");
    let unknown = patch(&checked, "0003-unknown-commit.patch");
    let (found, detail) = result(unknown, "upstream-commit");
    assert_eq!(found, EvidenceResult::NotFound);
    assert!(detail.contains("0123456789ab"), "{detail}");
    let (found, detail) = result(unknown, "patch-id");
    assert_eq!(found, EvidenceResult::NotFound);
    assert!(detail.contains("v1.0..v1.1"), "{detail}");
    assert_eq!(states(unknown), [HunkState::Applied]);

    // content: re-indented upstream, moved upstream, half upstream, conflicting.
    let reindented = patch(&checked, "0004-reindented.patch");
    assert_eq!(states(reindented), [HunkState::Present]);
    assert!(result(reindented, "content").1.contains("whitespace"));
    assert_eq!(result(reindented, "patch-id").0, EvidenceResult::NotFound);
    assert_eq!(
        states(patch(&checked, "0005-moved.patch")),
        [HunkState::Present]
    );
    let partial = patch(&checked, "0006-half-upstream.patch");
    assert_eq!(states(partial), [HunkState::Present, HunkState::Applied]);
    assert_eq!(result(partial, "content").0, EvidenceResult::Supports);
    assert_eq!(
        states(patch(&checked, "0007-conflict.patch")),
        [HunkState::Absent]
    );

    // fixed-in proves on its own; the content still says the change is not there.
    let fixed = patch(&checked, "0008-fixed-in.patch");
    assert_eq!(result(fixed, "fixed-in").0, EvidenceResult::Proves);
    assert_eq!(result(fixed, "content").0, EvidenceResult::Refutes);

    // A blank line found where the patch adds one proves nothing.
    let blank = patch(&checked, "0009-blank-line.patch");
    assert_eq!(states(blank), [HunkState::Absent]);
    let (found, detail) = result(blank, "content");
    assert_ne!(found, EvidenceResult::Proves);
    assert!(detail.contains("proves nothing"), "{detail}");

    // Cumulative: 0011 only applies on top of 0010.
    assert!(
        patch(&checked, "0010-add-feature.patch")
            .cumulative
            .is_none()
    );
    let tune = patch(&checked, "0011-tune-feature.patch");
    assert_eq!(states(tune), [HunkState::Absent]);
    let cumulative = tune.cumulative.as_ref().expect("a cumulative verdict");
    assert_eq!(cumulative.verdict, Verdict::Needed);
    assert_eq!(cumulative.hunks[0].state, HunkState::Applied);
}

#[test]
fn against_the_current_release_every_patch_is_needed_or_in_series() {
    let (temp, _upstream) = demo();
    let checked = check(temp.path(), "demo", "1.0").unwrap();
    for patch in &checked.patches {
        if patch.file == "0011-tune-feature.patch" {
            assert_eq!(patch.verdict, Verdict::Conflict);
            assert_eq!(patch.cumulative.as_ref().unwrap().verdict, Verdict::Needed);
        } else {
            assert_eq!(patch.verdict, Verdict::Needed, "{}", patch.file);
        }
        assert_ne!(result(patch, "patch-id").0, EvidenceResult::Proves);
    }
}

#[test]
fn a_second_check_reads_patch_ids_from_the_cache() {
    let (temp, upstream) = demo();
    check(temp.path(), "demo", "1.1").unwrap();
    let cache_dir = temp.path().join("cache").join("patch-ids");
    let files: Vec<PathBuf> = fs::read_dir(&cache_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "tsv"))
        .collect();
    assert_eq!(files.len(), 1);
    let text = fs::read_to_string(&files[0]).unwrap();
    assert!(text.contains(&upstream.clamp), "{text}");
    assert_eq!(text.lines().filter(|l| !l.starts_with('#')).count(), 3);
    // A second run finds the same proofs and adds nothing to the cache.
    let again = check(temp.path(), "demo", "1.1").unwrap();
    assert_eq!(
        patch(&again, "0001-cherry-pick.patch")
            .reason
            .map(Detector::as_str),
        Some("patch-id")
    );
    assert_eq!(fs::read_to_string(&files[0]).unwrap(), text);
}

/// `git log -p --no-merges | git patch-id --stable`, as (commit, patch id) pairs.
fn git_patch_ids(repo: &GitRepo, range: &str) -> BTreeMap<String, String> {
    let log = git_command(repo.path(), "@0 +0000".into())
        .args(["log", "-p", "--no-merges", range])
        .output()
        .unwrap();
    assert!(log.status.success());
    let mut patch_id = git_command(repo.path(), "@0 +0000".into())
        .args(["patch-id", "--stable"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    patch_id
        .stdin
        .take()
        .unwrap()
        .write_all(&log.stdout)
        .unwrap();
    let output = patch_id.wait_with_output().unwrap();
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let (id, commit) = line.split_once(' ').unwrap();
            (commit.to_string(), id.to_string())
        })
        .collect()
}

#[test]
fn commit_patch_ids_equal_git_patch_id_stable() {
    let temp = tempfile::tempdir().unwrap();
    let repo = GitRepo::new(temp.path().join("repo"));
    repo.write("README", "root commit\n")
        .write("src/lib.c", lines("l", 40))
        .write("crlf.txt", "one\r\ntwo\r\nthree\r\n")
        .write("t\u{e9}st file.txt", "quoted name\n");
    repo.commit("root");
    repo.write(
        "src/lib.c",
        lines("l", 40).replace("int l20 = 20;", "int l20 = 21;"),
    )
    .write("no-newline.txt", "no newline at the end");
    repo.commit("modify and add without a final newline");
    repo.write("no-newline.txt", "no newline at the end, still")
        .write("crlf.txt", "one\r\nTWO\r\nthree\r\n");
    repo.commit("no newline on both sides, crlf");
    repo.git(&["mv", "src/lib.c", "src/library.c"]);
    repo.write(
        "src/library.c",
        lines("l", 40).replace("int l1 = 1;", "int l1 = 100;"),
    );
    repo.commit("rename with a change");
    repo.write("run.sh", "#!/bin/sh\necho hi\n");
    repo.make_executable("run.sh");
    repo.commit("an executable");
    repo.write("run.sh", "#!/bin/sh\necho hi\n");
    std::process::Command::new("chmod")
        .args(["644", &repo.path().join("run.sh").display().to_string()])
        .status()
        .unwrap();
    repo.commit("mode change only");
    repo.write("image.bin", [0u8, 1, 2, 3, 0, 255, 10, 0]);
    repo.commit("binary file");
    repo.write("image.bin", [0u8, 9, 9, 9, 0, 255, 10, 0]);
    repo.commit("binary change");
    repo.remove("README")
        .write("t\u{e9}st file.txt", "quoted name, changed\n");
    repo.write("empty.txt", "");
    repo.commit("delete, a quoted path, an empty file");
    repo.remove("empty.txt");
    repo.commit("delete an empty file");
    repo.commit("empty commit");
    repo.git(&["checkout", "-q", "-b", "side", "HEAD~2"]);
    repo.write("side.txt", "side\n");
    repo.commit("side branch");
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["merge", "-q", "--no-ff", "-m", "merge side", "side"]);
    repo.write("after.txt", "after the merge\n");
    repo.commit("after merge");

    let expected = git_patch_ids(&repo, "HEAD");
    let history = History::open_path(repo.path()).unwrap();
    let head = history.revision("HEAD").unwrap();
    let commits = history.non_merge_commits(head, None, None).unwrap();
    assert_eq!(
        commits.len(),
        13,
        "every non-merge commit, the empty one included"
    );
    let mut cache = PatchIdCache::in_memory();
    let ours: BTreeMap<String, String> = history
        .patch_ids(&commits, &mut cache)
        .unwrap()
        .ids
        .into_iter()
        .filter_map(|(commit, id)| id.map(|id| (commit.to_string(), id)))
        .collect();
    assert_eq!(ours, expected);
    assert_eq!(ours.len(), 12, "the empty commit has no id");
}

#[test]
fn a_tarball_upstream_is_judged_by_content_only() {
    let temp = tempfile::tempdir().unwrap();
    let tarball = |version: &str, greeting: &str| {
        support::gzip(&support::tar(&[support::TarEntry::file(
            &format!("demo-{version}/greet.c"),
            format!(
                "#include <stdio.h>\nint main(void)\n{{\n\tputs(\"{greeting}\");\n\treturn 0;\n}}\n"
            ),
        )]))
    };
    let server = HttpServer::start([
        ("/demo-1.0.tar.gz", Reply::Bytes(tarball("1.0", "hello"))),
        (
            "/demo-1.1.tar.gz",
            Reply::Bytes(tarball("1.1", "Hello, world")),
        ),
    ]);
    let fix = "--- a/greet.c\n+++ b/greet.c\n@@ -1,6 +1,6 @@\n #include <stdio.h>\n int main(void)\n {\n-\tputs(\"hello\");\n+\tputs(\"Hello, world\");\n \treturn 0;\n }\n".to_string();
    package(
        temp.path(),
        "tarred",
        &format!(
            "  version: \"1.0\"\n  tarball: {}\n",
            server.url("/demo-{version}.tar.gz")
        ),
        &[("0001-capitalise.patch", "", fix)],
    );
    let checked = check(temp.path(), "tarred", "1.1").unwrap();
    let fix = &checked.patches[0];
    assert_eq!(fix.verdict, Verdict::Expired);
    assert_eq!(fix.reason.map(Detector::as_str), Some("content"));
    assert_eq!(result(fix, "patch-id").0, EvidenceResult::NotApplicable);
    assert_eq!(
        result(fix, "upstream-commit").0,
        EvidenceResult::NotApplicable
    );
    let before = check(temp.path(), "tarred", "1.0").unwrap();
    assert_eq!(before.patches[0].verdict, Verdict::Needed);
}

/// A git URL on a port nothing listens on.
fn unreachable_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}/gone.git")
}

#[test]
fn an_unreachable_upstream_is_an_error_never_a_guess() {
    let temp = tempfile::tempdir().unwrap();
    let fix = "--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\n".to_string();
    package(
        temp.path(),
        "gone",
        &format!("  version: \"1.0\"\n  git: {}\n", unreachable_url()),
        &[("0001-x.patch", "    fixed-in: \">=1.1\"\n", fix)],
    );
    match check(temp.path(), "gone", "1.1") {
        Err(CheckError::Fetch { source, .. }) => {
            assert_eq!(source.kind(), FetchErrorKind::Unavailable)
        }
        other => panic!("expected an unavailable upstream, got {other:?}"),
    }
}

#[test]
fn cli_reports_every_package_and_exits_5_for_the_unreachable_one() {
    let (temp, _upstream) = demo();
    let fix = "--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\n".to_string();
    package(
        temp.path(),
        "gone",
        &format!("  version: \"1.0\"\n  git: {}\n", unreachable_url()),
        &[("0001-x.patch", "", fix)],
    );
    let output = mindelta(&temp.path().join("cache"))
        .current_dir(temp.path())
        .args(["check", "--release", "1.1", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(5), "{output:?}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let packages = report["packages"].as_array().unwrap();
    assert_eq!(packages.len(), 1);
    assert_eq!(packages[0]["name"], "demo");
    assert_eq!(packages[0]["patches"][0]["verdict"], "expired");
    assert_eq!(packages[0]["patches"][0]["reason"], "patch-id");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("gone"), "{stderr}");
}

#[test]
fn cli_exit_code_flag_exits_4_when_a_patch_can_expire() {
    let (temp, _upstream) = demo();
    let run = |release: &str, flag: bool| {
        let mut command = mindelta(&temp.path().join("cache"));
        // Wide enough that each patch is one line.
        command
            .current_dir(temp.path())
            .env("COLUMNS", "1000")
            .args(["check", "demo", "--release", release]);
        if flag {
            command.arg("--exit-code");
        }
        command.output().unwrap()
    };
    let output = run("1.1", true);
    assert_eq!(output.status.code(), Some(4));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("demo 1.0 -> 1.1"), "{text}");
    assert!(
        text.lines().any(|l| l.contains("expired")
            && l.contains("0002-backport.patch")
            && l.contains("upstream-commit")),
        "{text}"
    );
    assert_eq!(run("1.1", false).status.code(), Some(0));
    assert_eq!(run("1.0", true).status.code(), Some(0));
}

#[test]
fn the_example_workspace_hello_against_1_1() {
    let temp = tempfile::tempdir().unwrap();
    let output = mindelta(temp.path())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "check",
            "hello",
            "--release",
            "1.1",
            "--offline",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let patches = report["packages"][0]["patches"].as_array().unwrap();
    let find = |file: &str| {
        patches
            .iter()
            .find(|p| p["file"] == file)
            .unwrap_or_else(|| panic!("{file}"))
    };
    let fix = find("0001-fix-name-overflow.patch");
    assert_eq!(fix["verdict"], "expired");
    assert_eq!(fix["reason"], "fixed-in");
    let proofs: Vec<&str> = fix["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["result"] == "proves")
        .map(|e| e["detector"].as_str().unwrap())
        .collect();
    assert_eq!(proofs, ["fixed-in", "content"]);
    // 0002's first hunk has the usage comment and the includes as context; 1.1 rewrote the
    // usage line and added a define there, so the hunk neither applies nor is in 1.1.
    let greeting = find("0002-greeting-from-environment.patch");
    assert_eq!(greeting["verdict"], "conflict");
    assert_eq!(greeting["hunks"][0]["state"], "absent");
    assert_eq!(greeting["hunks"][1]["state"], "applied");
    assert_eq!(find("0003-install-to-usr.patch")["verdict"], "needed");
}

#[test]
fn cli_judges_against_the_newest_release_by_default() {
    let (temp, _upstream) = demo();
    for args in [&["check", "demo"][..], &["check", "demo", "--latest"][..]] {
        let output = mindelta(&temp.path().join("cache"))
            .current_dir(temp.path())
            .args(args)
            .args(["--format", "json"])
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(report["packages"][0]["release"], "1.1");
    }
}

/// `count` numbered lines of a file `name`, with the lines of `changed` replaced.
fn numbered(name: &str, count: usize, changed: &[(usize, &str)]) -> String {
    (1..=count)
        .map(|n| match changed.iter().find(|(line, _)| *line == n) {
            Some((_, text)) => format!("{text}\n"),
            None => format!("int {name}{n} = {n};\n"),
        })
        .collect()
}

/// A patch of `file` (of [`numbered`] lines) changing line 5 to `fix5` and line 25 to
/// `fix25`, each hunk with three lines of context, under `header`.
fn two_hunk_patch(header: &str, file: &str) -> String {
    hunks_patch(header, file, &[5, 25])
}

/// A patch of `file` (of [`numbered`] lines) changing each of `lines` (line `n` to
/// `fixed_n(n)`), each hunk with three lines of context, under `header`.
fn hunks_patch(header: &str, file: &str, lines: &[usize]) -> String {
    let name = file.trim_end_matches(".c");
    let hunk = |line: usize| {
        let context = |n: usize| format!(" int {name}{n} = {n};\n");
        format!(
            "@@ -{s},7 +{s},7 @@\n{}{}{}-int {name}{line} = {line};\n+int {name}{line} = fixed_{line}({line});\n{}{}{}",
            context(line - 3),
            context(line - 2),
            context(line - 1),
            context(line + 1),
            context(line + 2),
            context(line + 3),
            s = line - 3,
        )
    };
    let hunks: String = lines.iter().map(|line| hunk(*line)).collect();
    format!("{header}--- a/{file}\n+++ b/{file}\n{hunks}")
}

/// In release 1.1, each file has the fix of line 5 verbatim and the fixes of lines 15 and 25
/// with their leading context rewritten (so those hunks neither apply nor are found).
fn fixed_upstream(name: &str) -> String {
    let fix5 = format!("int {name}5 = fixed_5(5);");
    let fix15 = format!("int {name}15 = fixed_15(15);");
    let fix25 = format!("int {name}25 = fixed_25(25);");
    let churn: Vec<String> = (0..30).map(|n| format!("long {name}{n} = {n};")).collect();
    numbered(
        name,
        30,
        &[
            (5, &fix5),
            (12, &churn[12]),
            (13, &churn[13]),
            (14, &churn[14]),
            (15, &fix15),
            (22, &churn[22]),
            (23, &churn[23]),
            (24, &churn[24]),
            (25, &fix25),
        ],
    )
}

#[test]
fn partial_upstream_expires_with_half_the_hunks_or_a_corroborating_signal() {
    let temp = tempfile::tempdir().unwrap();
    let files = ["a.c", "b.c", "c.c", "d.c", "e.c"];
    let tarball = |version: &str, news: &str| {
        let mut entries = vec![support::TarEntry::file(
            &format!("demo-{version}/NEWS"),
            news,
        )];
        for file in files {
            let name = file.trim_end_matches(".c");
            let text = if version == "1.0" {
                numbered(name, 30, &[])
            } else {
                fixed_upstream(name)
            };
            entries.push(support::TarEntry::file(
                &format!("demo-{version}/src/{file}"),
                text,
            ));
        }
        entries.push(support::TarEntry::file(
            &format!("demo-{version}/unrelated.c"),
            "int unrelated;\n",
        ));
        support::gzip(&support::tar(&entries))
    };
    let dir = temp.path().join("patches/demo");
    fs::create_dir_all(&dir).unwrap();
    let old = tarball("1.0", "1.0: fixes CVE-2024-2222 (heap overflow)\n");
    fs::write(dir.join("demo-1.0.tar.gz"), &old).unwrap();
    fs::write(
        dir.join("demo-1.1.tar.gz"),
        tarball(
            "1.1",
            "1.1: fixes CVE-2024-1111 and CVE-2024-2222 (follow-up)\n1.0: fixes CVE-2024-2222\n",
        ),
    )
    .unwrap();
    let sha = mindelta::upstream::cache::sha256_hex(&old);
    // With lines 5, 15 and 25: one hunk of three in 1.1, none applying, not enough alone.
    let with_path = |header: &str, file: &str, lines: &[usize]| {
        hunks_patch(header, file, lines)
            .replace(&format!("a/{file}"), &format!("a/src/{file}"))
            .replace(&format!("b/{file}"), &format!("b/src/{file}"))
    };
    package(
        temp.path(),
        "demo",
        &format!("  version: \"1.0\"\n  tarball: demo-{{version}}.tar.gz\n  sha256: {sha}\n"),
        &[
            // A third upstream, nothing applies, the release notes name its CVE: expired.
            (
                "0001-CVE-2024-1111.patch",
                "",
                with_path("Description: fix an overflow\n", "a.c", &[5, 15, 25]),
            ),
            // The same shape without a second signal: a conflict that says why.
            (
                "0002-plain.patch",
                "",
                with_path("Description: fix an overflow\n", "b.c", &[5, 15, 25]),
            ),
            // The header's own claim corroborates it: expired.
            (
                "0003-backport.patch",
                "",
                with_path(
                    "Description: fix\nOrigin: upstream, https://example.org/demo/commit/0123456789abcdef\n",
                    "c.c",
                    &[5, 15, 25],
                ),
            ),
            // A CVE the current release's notes already name says nothing: a conflict.
            (
                "0004-regression.patch",
                "",
                with_path(
                    "Description: regression of the CVE-2024-2222 fix\n",
                    "d.c",
                    &[5, 15, 25],
                ),
            ),
            // Half of its hunks in 1.1 and none applying: expired without a second signal.
            (
                "0005-half.patch",
                "",
                with_path("Description: fix an overflow\n", "e.c", &[5, 25]),
            ),
        ],
    );
    let checked = check(temp.path(), "demo", "1.1").unwrap();

    let cve = patch(&checked, "0001-CVE-2024-1111.patch");
    assert_eq!(
        states(cve),
        [HunkState::Present, HunkState::Absent, HunkState::Absent]
    );
    assert_eq!(cve.verdict, Verdict::Expired);
    assert_eq!(cve.reason.map(Detector::as_str), Some("partial-upstream"));
    let (notes, detail) = result(cve, "release-notes");
    assert_eq!(notes, EvidenceResult::Supports);
    assert!(detail.contains("CVE-2024-1111 (`NEWS`)"), "{detail}");
    assert_eq!(result(cve, "content").0, EvidenceResult::Supports);

    let plain = patch(&checked, "0002-plain.patch");
    assert_eq!(plain.verdict, Verdict::Conflict);
    let (alone, detail) = result(plain, "partial-upstream");
    assert_eq!(alone, EvidenceResult::Supports);
    assert!(detail.contains("1 of 3 hunks are in 1.1"), "{detail}");
    assert!(detail.contains("fewer than half"), "{detail}");
    assert_eq!(result(plain, "claims").0, EvidenceResult::NotFound);

    let half = patch(&checked, "0005-half.patch");
    assert_eq!(states(half), [HunkState::Present, HunkState::Absent]);
    assert_eq!(half.verdict, Verdict::Expired);
    assert_eq!(half.reason.map(Detector::as_str), Some("partial-upstream"));
    let (alone, detail) = result(half, "partial-upstream");
    assert_eq!(alone, EvidenceResult::Proves);
    assert!(detail.contains("at least half of its hunks"), "{detail}");

    let backport = patch(&checked, "0003-backport.patch");
    assert_eq!(backport.verdict, Verdict::Expired);
    assert_eq!(result(backport, "claims").0, EvidenceResult::Supports);

    let regression = patch(&checked, "0004-regression.patch");
    assert_eq!(regression.verdict, Verdict::Conflict);
    assert_eq!(
        result(regression, "release-notes").0,
        EvidenceResult::NotFound
    );

    // The pinned tarball's checksum is still verified: judging against it fails, and its
    // notes are not trusted for the comparison (no corroboration, no expiry).
    let manifest = dir.join("package.yaml");
    let text = fs::read_to_string(&manifest).unwrap();
    fs::write(&manifest, text.replace(&sha, &"0".repeat(64))).unwrap();
    assert!(matches!(
        check(temp.path(), "demo", "1.0"),
        Err(CheckError::Fetch { .. })
    ));
    let unverified = check(temp.path(), "demo", "1.1").unwrap();
    let cve = patch(&unverified, "0001-CVE-2024-1111.patch");
    assert_eq!(cve.verdict, Verdict::Conflict);
    assert_eq!(
        result(cve, "release-notes").0,
        EvidenceResult::NotApplicable
    );
}

#[test]
fn a_claim_alone_never_expires_a_patch() {
    let temp = tempfile::tempdir().unwrap();
    let upstream = temp.path().join("upstream");
    for version in ["1.0", "1.1"] {
        fs::create_dir_all(upstream.join(version)).unwrap();
        fs::write(upstream.join(version).join("a.c"), numbered("a", 30, &[])).unwrap();
        fs::write(
            upstream.join(version).join("NEWS"),
            "fixes CVE-2024-1111\n".repeat(usize::from(version == "1.1")),
        )
        .unwrap();
    }
    package(
        temp.path(),
        "claimed",
        &format!(
            "  version: \"1.0\"\n  dir: {}/{{version}}\n",
            upstream.display()
        ),
        &[(
            "0001-CVE-2024-1111.patch",
            "",
            two_hunk_patch(
                "Origin: upstream, https://example.org/commit/0123456789abcdef\nUpstream-Status: Backport\n",
                "a.c",
            ),
        )],
    );
    let checked = check(temp.path(), "claimed", "1.1").unwrap();
    let claimed = &checked.patches[0];
    // Both weak signals, but every hunk still applies: needed.
    assert_eq!(result(claimed, "claims").0, EvidenceResult::Supports);
    assert_eq!(result(claimed, "release-notes").0, EvidenceResult::Supports);
    assert_eq!(
        result(claimed, "partial-upstream").0,
        EvidenceResult::NotApplicable
    );
    assert_eq!(claimed.verdict, Verdict::Needed);
}

/// Release 1.0 of `ssh.c`: the fingerprint is freed before the failure is reported.
const SSH_V10: &str = "int verify(struct conn *data)\n{\n\tif (!check_host(data->host)) {\n\t\tfree(fingerprint_b64);\n\t\tfailf(data, \"fingerprint mismatch\");\n\t\tstate(data, SSH_SESSION_FREE);\n\t\treturn data->actualcode;\n\t}\n\treturn 0;\n}\n";
/// The fix: report first, then free (with the helper that also clears the pointer).
const SSH_PATCH: &str = "--- a/ssh.c\n+++ b/ssh.c\n@@ -3,6 +3,6 @@\n \tif (!check_host(data->host)) {\n-\t\tfree(fingerprint_b64);\n \t\tfailf(data, \"fingerprint mismatch\");\n+\t\tCurl_safefree(fingerprint_b64);\n \t\tstate(data, SSH_SESSION_FREE);\n \t\treturn data->actualcode;\n \t}\n";

#[test]
fn a_fix_whose_context_churned_is_present_modulo_context() {
    let temp = tempfile::tempdir().unwrap();
    let upstream = temp.path().join("upstream");
    // 1.1 has the fix, but the lines after it were rewritten (a renamed helper, a new return).
    let churned = "int verify(struct conn *data)\n{\n    if (!check_host(data->host)) {\n        failf(data, \"fingerprint mismatch\");\n        Curl_safefree(fingerprint_b64);\n        myssh_state(data, sshc, SSH_SESSION_FREE);\n        return CURLE_PEER_FAILED_VERIFICATION;\n    }\n    return 0;\n}\n";
    // 1.2 has the added line, but in another function, far from the hunk's context; the
    // patched function was rewritten and no longer frees anything there.
    let elsewhere = "int verify(struct conn *data)\n{\n\tif (!host_ok(data))\n\t\treturn fail(data);\n\treturn 0;\n}\n\nstatic void cleanup(struct conn *data)\n{\n\tlog_it(data);\n\tCurl_safefree(fingerprint_b64);\n\tclose_it(data);\n}\n";
    for (version, text) in [("1.0", SSH_V10), ("1.1", churned), ("1.2", elsewhere)] {
        fs::create_dir_all(upstream.join(version)).unwrap();
        fs::write(upstream.join(version).join("ssh.c"), text).unwrap();
    }
    package(
        temp.path(),
        "ssh",
        &format!(
            "  version: \"1.0\"\n  dir: {}/{{version}}\n",
            upstream.display()
        ),
        &[("0001-free-after-failf.patch", "", SSH_PATCH.to_string())],
    );

    let checked = check(temp.path(), "ssh", "1.1").unwrap();
    let fix = &checked.patches[0];
    assert_eq!(states(fix), [HunkState::Absent]);
    assert!(fix.hunks[0].modulo_context);
    assert_eq!(result(fix, "content").0, EvidenceResult::NotFound);
    let (loose, detail) = result(fix, "present-modulo-context");
    assert_eq!(loose, EvidenceResult::Proves);
    assert!(detail.contains("hunk 1 of `ssh.c`"), "{detail}");
    assert_eq!(fix.verdict, Verdict::Expired);
    assert_eq!(
        fix.reason.map(Detector::as_str),
        Some("present-modulo-context")
    );

    // The same lines in another function do not count: the hunk's context is not beside them.
    let checked = check(temp.path(), "ssh", "1.2").unwrap();
    let fix = &checked.patches[0];
    assert!(!fix.hunks[0].modulo_context);
    assert_eq!(
        result(fix, "present-modulo-context").0,
        EvidenceResult::NotApplicable
    );
    assert_eq!(fix.verdict, Verdict::Conflict);
}

/// A tarball-style package (no git history of its own) whose patches point at upstream commits
/// by URL: the repository behind the URL decides. The repository is put in the cache the way
/// an online run would clone it, and the check runs offline.
#[test]
fn commit_urls_of_a_tarball_package_are_checked_in_their_repository() {
    let temp = tempfile::tempdir().unwrap();
    let repo = GitRepo::new(temp.path().join("upstream-git"));
    repo.write("a.c", numbered("a", 30, &[]));
    repo.commit("release 1.0");
    repo.tag("release_1_0");
    repo.write("a.c", numbered("a", 30, &[(5, "int a5 = 500;")]));
    let fix = repo.commit("a5: the right value");
    repo.write(
        "a.c",
        numbered("a", 30, &[(5, "int a5 = 500;"), (20, "int a20 = 0;")]),
    );
    repo.commit("a20: restyle");
    repo.tag("release_1_1");
    repo.write(
        "a.c",
        numbered(
            "a",
            30,
            &[
                (5, "int a5 = 500;"),
                (20, "int a20 = 0;"),
                (25, "int a25 = 7;"),
            ],
        ),
    );
    let late = repo.commit("a25: after 1.1");

    // Released trees: 1.1 has the fix under other context, so content alone proves nothing.
    let releases = temp.path().join("releases");
    for (version, text) in [
        ("1.0", numbered("a", 30, &[])),
        (
            "1.1",
            numbered(
                "a",
                30,
                &[
                    (4, "int a4 = 40;"),
                    (5, "int a5 = 500;"),
                    (6, "int a6 = 60;"),
                    (20, "int a20 = 0;"),
                ],
            ),
        ),
    ] {
        fs::create_dir_all(releases.join(version)).unwrap();
        fs::write(releases.join(version).join("a.c"), text).unwrap();
    }
    let base = "http://127.0.0.1:9/acme/demo";
    let hunk = |line: usize, old: &str, new: &str| {
        let context: Vec<String> = (line - 3..=line + 3)
            .map(|n| format!("int a{n} = {n};"))
            .collect();
        format!(
            "--- a/a.c\n+++ b/a.c\n@@ -{},7 +{},7 @@\n {}\n {}\n {}\n-{old}\n+{new}\n {}\n {}\n {}\n",
            line - 3,
            line - 3,
            context[0],
            context[1],
            context[2],
            context[4],
            context[5],
            context[6]
        )
    };
    package(
        temp.path(),
        "tarred",
        &format!(
            "  version: \"1.0\"\n  dir: {}/{{version}}\n",
            releases.display()
        ),
        &[
            (
                "0001-fix.patch",
                "",
                format!(
                    "Origin: upstream, {base}/commit/{fix}\n---\n{}",
                    hunk(5, "int a5 = 5;", "int a5 = 500;")
                ),
            ),
            (
                "0002-late.patch",
                "",
                format!(
                    "Origin: backport, {base}/commit/{}\n---\n{}",
                    &late[..12],
                    hunk(25, "int a25 = 25;", "int a25 = 7;")
                ),
            ),
            (
                "0003-applied.patch",
                "",
                format!(
                    "Applied-Upstream: 1.1\n---\n{}",
                    hunk(10, "int a10 = 10;", "int a10 = 11;")
                ),
            ),
        ],
    );
    let cache = mindelta::upstream::Cache::new(temp.path().join("cache"));
    let workspace = Workspace::open(temp.path()).unwrap();
    let package = workspace.load("tarred").unwrap();
    let check_offline = |release: &str| {
        let mut options = support::fetch_options(temp.path().join("cache"));
        options.offline = true;
        let fetcher = Fetcher::new(options, None);
        check_package(&package, release, &fetcher, &CheckOptions::default()).unwrap()
    };

    // Not in the cache and offline: nothing concluded, nothing guessed.
    let checked = check_offline("1.1");
    let (found, detail) = result(patch(&checked, "0001-fix.patch"), "upstream-commit");
    assert_eq!(found, EvidenceResult::NotFound, "{detail}");
    assert!(detail.contains("http://127.0.0.1:9/acme/demo"), "{detail}");
    assert_ne!(patch(&checked, "0001-fix.patch").verdict, Verdict::Expired);

    let mirror = cache.git_mirror("http://127.0.0.1:9/acme/demo");
    fs::create_dir_all(mirror.parent().unwrap()).unwrap();
    let status = std::process::Command::new("git")
        .args(["clone", "--quiet", "--mirror"])
        .arg(repo.path())
        .arg(&mirror)
        .status()
        .unwrap();
    assert!(status.success());
    let checked = check_offline("1.1");

    let fixed = patch(&checked, "0001-fix.patch");
    assert_eq!(fixed.verdict, Verdict::Expired);
    assert_eq!(fixed.reason.map(Detector::as_str), Some("upstream-commit"));
    let (_, detail) = result(fixed, "upstream-commit");
    assert!(
        detail.contains(&fix[..12]) && detail.contains("release_1_1"),
        "{detail}"
    );

    let late_patch = patch(&checked, "0002-late.patch");
    let (found, detail) = result(late_patch, "upstream-commit");
    assert_eq!(found, EvidenceResult::Refutes, "{detail}");
    assert_eq!(late_patch.verdict, Verdict::Needed);

    let applied = patch(&checked, "0003-applied.patch");
    assert_eq!(applied.verdict, Verdict::Expired);
    assert_eq!(applied.reason.map(Detector::as_str), Some("fixed-in"));
    let (_, detail) = result(applied, "fixed-in");
    assert!(detail.contains("Applied-Upstream: 1.1"), "{detail}");
    let before = check_offline("1.0");
    assert_eq!(
        result(patch(&before, "0003-applied.patch"), "fixed-in").0,
        EvidenceResult::Refutes
    );
}

/// A backport adapted to the old tree keeps the upstream commit's subject but not its patch
/// id. Upstream later rewrote the code around it: no hunk of the backport applies to R and
/// none is found, yet the commit with the same subject is in the range — `rewritten-upstream`.
#[test]
fn an_upstream_commit_with_the_patch_subject_and_nothing_applying_expires_it() {
    let temp = tempfile::tempdir().unwrap();
    let repo = GitRepo::new(temp.path().join("upstream"));
    repo.write("a.c", numbered("a", 30, &[]))
        .write("b.c", numbered("b", 30, &[]));
    repo.commit("release 1.0");
    repo.tag("v1.0");
    // Upstream's fix changes a5 and a6 at once; Debian's backport only a5.
    repo.write(
        "a.c",
        numbered("a", 30, &[(5, "int a5 = 500;"), (6, "int a6 = 600;")]),
    );
    repo.commit("parser: reject oversized lengths in the header");
    // Then upstream rewrote the whole neighbourhood.
    let rewritten: String = (1..=30)
        .map(|n| format!("long a{n} = {};\n", n * 100))
        .collect();
    repo.write("a.c", rewritten);
    repo.commit("a.c: use long everywhere");
    repo.tag("v1.1");
    let url = repo.path().display().to_string();
    let backport = |subject: &str, file: &str, name: &str| {
        format!(
            "From: Downstream <d@example.org>\nSubject: [PATCH] {subject}\n\n---\n--- a/{file}\n+++ b/{file}\n@@ -2,7 +2,7 @@\n int {name}2 = 2;\n int {name}3 = 3;\n int {name}4 = 4;\n-int {name}5 = 5;\n+int {name}5 = 500;\n int {name}6 = 6;\n int {name}7 = 7;\n int {name}8 = 8;\n"
        )
    };
    package(
        temp.path(),
        "subjects",
        &format!("  version: \"1.0\"\n  git: {url}\n"),
        &[
            (
                "0001-same-subject.patch",
                "",
                backport("parser: reject oversized lengths in the header", "a.c", "a"),
            ),
            (
                "0002-same-subject-still-applies.patch",
                "",
                backport("parser: reject oversized lengths in the header", "b.c", "b"),
            ),
            (
                "0003-own-subject.patch",
                "",
                backport("a.c: our own change of the fifth value", "a.c", "a"),
            ),
        ],
    );
    let checked = check(temp.path(), "subjects", "1.1").unwrap();

    let rewritten = patch(&checked, "0001-same-subject.patch");
    assert_eq!(states(rewritten), vec![HunkState::Absent]);
    assert_eq!(result(rewritten, "patch-id").0, EvidenceResult::NotFound);
    assert_eq!(
        result(rewritten, "upstream-subject").0,
        EvidenceResult::Supports
    );
    assert_eq!(rewritten.verdict, Verdict::Expired);
    assert_eq!(
        rewritten.reason.map(Detector::as_str),
        Some("rewritten-upstream")
    );

    // The same subject, but its hunk still applies: the subject alone proves nothing.
    let applies = patch(&checked, "0002-same-subject-still-applies.patch");
    assert_eq!(
        result(applies, "upstream-subject").0,
        EvidenceResult::Supports
    );
    assert_eq!(
        result(applies, "rewritten-upstream").0,
        EvidenceResult::NotApplicable
    );
    assert_eq!(applies.verdict, Verdict::Needed);

    // Nothing applies, but no upstream commit has this subject: a human must look.
    let own = patch(&checked, "0003-own-subject.patch");
    assert_eq!(result(own, "upstream-subject").0, EvidenceResult::NotFound);
    assert_eq!(own.verdict, Verdict::Conflict);
}

/// A patch changing line 5 of `file` (of [`numbered`] lines named `name`) to `fixed(5)`.
fn line_five_patch(file: &str, name: &str) -> String {
    let context = |n: usize| format!(" int {name}{n} = {n};\n");
    format!(
        "--- a/{file}\n+++ b/{file}\n@@ -2,7 +2,7 @@\n{}{}{}-int {name}5 = 5;\n+int {name}5 = fixed(5);\n{}{}{}",
        context(2),
        context(3),
        context(4),
        context(6),
        context(7),
        context(8),
    )
}

/// `check --format json` of one package against 1.1: its patches, by file.
fn json_patches(root: &Path, name: &str) -> BTreeMap<String, serde_json::Value> {
    let output = mindelta(&root.join("cache"))
        .current_dir(root)
        .args(["check", name, "--release", "1.1", "--format", "json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    report["packages"][0]["patches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["file"].as_str().unwrap().to_string(), p.clone()))
        .collect()
}

/// Upstream moved `src/a.c` and `src/b.c` to `lib/` in 1.1 and fixed `a.c` there: the patch of
/// `src/a.c` is found in `lib/a.c` and expires; the patch of `src/b.c` still applies, but only
/// to the moved file, so as written it cannot apply: a conflict, never `needed`.
#[test]
fn hunks_of_a_file_upstream_moved_are_judged_where_it_went() {
    let temp = tempfile::tempdir().unwrap();
    let repo = GitRepo::new(temp.path().join("upstream"));
    repo.write("src/a.c", numbered("a", 10, &[]))
        .write("src/b.c", numbered("b", 10, &[]))
        .write("src/c.c", numbered("c", 10, &[]));
    repo.commit("release 1.0");
    repo.tag("v1.0");
    repo.remove("src/a.c")
        .remove("src/b.c")
        .write("lib/a.c", numbered("a", 10, &[]))
        .write("lib/b.c", numbered("b", 10, &[]));
    repo.commit("move a.c and b.c to lib/");
    repo.write("lib/a.c", numbered("a", 10, &[(5, "int a5 = fixed(5);")]));
    repo.commit("a5: fixed");
    repo.tag("v1.1");
    package(
        temp.path(),
        "moved",
        &format!("  version: \"1.0\"\n  git: {}\n", repo.path().display()),
        &[
            ("0001-fix-a.patch", "", line_five_patch("src/a.c", "a")),
            ("0002-fix-b.patch", "", line_five_patch("src/b.c", "b")),
            ("0003-fix-c.patch", "", line_five_patch("src/c.c", "c")),
        ],
    );

    let checked = check(temp.path(), "moved", "1.1").unwrap();
    let fixed = patch(&checked, "0001-fix-a.patch");
    assert_eq!(states(fixed), [HunkState::Present]);
    assert_eq!(fixed.hunks[0].found_in.as_deref(), Some("lib/a.c"));
    assert_eq!(fixed.verdict, Verdict::Expired);
    assert_eq!(fixed.reason.map(Detector::as_str), Some("content"));
    let (_, detail) = result(fixed, "content");
    assert!(
        detail.contains("`src/a.c` is not in 1.1, its hunks were looked for in `lib/a.c`"),
        "{detail}"
    );
    let applies = patch(&checked, "0002-fix-b.patch");
    assert_eq!(states(applies), [HunkState::Applied]);
    assert_eq!(applies.hunks[0].found_in.as_deref(), Some("lib/b.c"));
    assert_eq!(applies.verdict, Verdict::Conflict);
    let (found, detail) = result(applies, "content");
    assert_eq!(found, EvidenceResult::NotFound);
    assert!(detail.contains("only in a moved file"), "{detail}");
    let in_place = patch(&checked, "0003-fix-c.patch");
    assert_eq!(in_place.verdict, Verdict::Needed);
    assert_eq!(in_place.hunks[0].found_in, None);

    // The JSON report names the file a hunk was judged in, and only then.
    let report = json_patches(temp.path(), "moved");
    let fixed = &report["0001-fix-a.patch"];
    assert_eq!(fixed["verdict"], "expired");
    assert_eq!(fixed["reason"], "content");
    assert_eq!(fixed["hunks"][0]["state"], "present");
    assert_eq!(fixed["hunks"][0]["found_in"], "lib/a.c");
    let applies = &report["0002-fix-b.patch"];
    assert_eq!(applies["verdict"], "conflict");
    assert_eq!(applies["hunks"][0]["state"], "applied");
    assert_eq!(applies["hunks"][0]["found_in"], "lib/b.c");
    let in_place = &report["0003-fix-c.patch"];
    assert_eq!(in_place["verdict"], "needed");
    assert!(in_place["hunks"][0].get("found_in").is_none(), "{in_place}");

    // Against 1.0 every file is where the patches say: nothing is looked for elsewhere.
    let before = check(temp.path(), "moved", "1.0").unwrap();
    for patch in &before.patches {
        assert_eq!(patch.verdict, Verdict::Needed, "{}", patch.file);
        assert_eq!(patch.hunks[0].found_in, None);
    }
}

/// A tarball is extracted selectively (only the paths the series touches): the files named like
/// a touched one are extracted too, so a moved file is found in a tarball upstream as well.
#[test]
fn a_moved_file_is_found_in_a_selectively_extracted_tarball() {
    let temp = tempfile::tempdir().unwrap();
    let tarball = |version: &str, entries: &[(&str, String)]| {
        let entries: Vec<support::TarEntry> = entries
            .iter()
            .map(|(path, text)| support::TarEntry::file(&format!("demo-{version}/{path}"), text))
            .collect();
        support::gzip(&support::tar(&entries))
    };
    let dir = temp.path().join("patches/tarred");
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("demo-1.0.tar.gz"),
        tarball("1.0", &[("src/a.c", numbered("a", 10, &[]))]),
    )
    .unwrap();
    fs::write(
        dir.join("demo-1.1.tar.gz"),
        tarball(
            "1.1",
            &[
                ("README", "moved to lib/\n".to_string()),
                ("lib/a.c", numbered("a", 10, &[(5, "int a5 = fixed(5);")])),
                ("lib/b.c", numbered("b", 10, &[])),
            ],
        ),
    )
    .unwrap();
    package(
        temp.path(),
        "tarred",
        "  version: \"1.0\"\n  tarball: demo-{version}.tar.gz\n",
        &[("0001-fix-a.patch", "", line_five_patch("src/a.c", "a"))],
    );
    let checked = check(temp.path(), "tarred", "1.1").unwrap();
    let fixed = &checked.patches[0];
    assert_eq!(states(fixed), [HunkState::Present]);
    assert_eq!(fixed.hunks[0].found_in.as_deref(), Some("lib/a.c"));
    assert_eq!(fixed.verdict, Verdict::Expired);
    assert_eq!(fixed.reason.map(Detector::as_str), Some("content"));
    let report = json_patches(temp.path(), "tarred");
    assert_eq!(
        report["0001-fix-a.patch"]["hunks"][0]["found_in"],
        "lib/a.c"
    );
}

#[test]
fn a_subject_newly_in_the_release_notes_with_no_hunk_applying_is_rewritten_upstream() {
    let temp = tempfile::tempdir().unwrap();
    let upstream = temp.path().join("upstream");
    // 1.1 rewrote the code around line 5 its own way (neither image of the hunk is left) and
    // its ChangeLog, written from upstream's commits, lists the change by the patch's subject.
    let rewritten = numbered(
        "a",
        30,
        &[
            (3, "long a3 = 3;"),
            (4, "long a4 = 4;"),
            (5, "int a5 = checked_5(5);"),
            (6, "long a6 = 6;"),
        ],
    );
    let changelog = |entries: &[&str]| -> String {
        entries
            .iter()
            .map(|entry| format!("2024-01-01  A U Thor  <a@example.org>\n\n\t{entry}\n\n"))
            .collect()
    };
    for (version, content, notes) in [
        ("1.0", numbered("a", 30, &[]), changelog(&["Version 1.0"])),
        (
            "1.1",
            rewritten.clone(),
            changelog(&[
                "Version 1.1",
                "Reject an overlong name in the header parser.",
            ]),
        ),
        (
            "1.2",
            rewritten,
            changelog(&[
                "Version 1.2",
                "Reject an overlong name in the header parser.",
            ]),
        ),
    ] {
        fs::create_dir_all(upstream.join(version)).unwrap();
        fs::write(upstream.join(version).join("a.c"), content).unwrap();
        fs::write(upstream.join(version).join("ChangeLog"), notes).unwrap();
    }
    let header = "From: A <a@example.org>\nSubject: [PATCH] Reject an overlong name in the header parser\n\n";
    let hunk = "--- a/a.c\n+++ b/a.c\n@@ -2,7 +2,7 @@\n int a2 = 2;\n int a3 = 3;\n int a4 = 4;\n-int a5 = 5;\n+int a5 = fixed_5(5);\n int a6 = 6;\n int a7 = 7;\n int a8 = 8;\n";
    package(
        temp.path(),
        "noted",
        &format!(
            "  version: \"1.0\"\n  dir: {}/{{version}}\n",
            upstream.display()
        ),
        &[("0001-overlong-name.patch", "", format!("{header}{hunk}"))],
    );
    let checked = check(temp.path(), "noted", "1.1").unwrap();
    let patch = &checked.patches[0];
    assert_eq!(states(patch), [HunkState::Absent]);
    let (listed, detail) = result(patch, "notes-subject");
    assert_eq!(listed, EvidenceResult::Supports, "{detail}");
    assert!(detail.contains("`ChangeLog`"), "{detail}");
    assert_eq!(patch.verdict, Verdict::Expired);
    assert_eq!(
        patch.reason.map(Detector::as_str),
        Some("rewritten-upstream")
    );

    // Pinned at 1.1, whose notes list the subject already, the same patch against 1.2 is only a
    // conflict: nothing says the change came between the two releases.
    let manifest = temp.path().join("patches/noted/package.yaml");
    let text = fs::read_to_string(&manifest).unwrap();
    fs::write(
        &manifest,
        text.replace("version: \"1.0\"", "version: \"1.1\""),
    )
    .unwrap();
    let checked = check(temp.path(), "noted", "1.2").unwrap();
    let patch = &checked.patches[0];
    assert_eq!(result(patch, "notes-subject").0, EvidenceResult::NotFound);
    assert_eq!(patch.verdict, Verdict::Conflict);
}

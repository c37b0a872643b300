//! Hostile and broken patch files: paths, links, counts, garbage, payload sizes.
//!
//! Each test writes the hostile patch, runs the real `mindelta` binary on it (every command
//! that reads patches, where it matters), and asserts the exit code, the message, and that the
//! sandbox around the tree (and the tree itself, for a refused patch) is exactly as it was.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support;
use support::cli::{applies_exactly, mindelta};
use support::git::{GitRepo, git_command};

/// A temporary folder holding `tree/` (what patches apply to), `outside/victim.txt` (what an
/// escape would reach), `input/` (the patch files) and `cache/`.
struct Sandbox {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        for folder in ["tree/src", "outside", "input", "cache"] {
            fs::create_dir_all(root.join(folder)).unwrap();
        }
        fs::write(root.join("outside/victim.txt"), "secret\n").unwrap();
        fs::write(root.join("tree/src/main.c"), "int x;\n").unwrap();
        Sandbox { _dir: dir, root }
    }

    fn tree(&self) -> PathBuf {
        self.root.join("tree")
    }

    /// Write a patch file into `input/`.
    fn patch(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.root.join("input").join(name);
        fs::write(&path, bytes).unwrap();
        path
    }

    /// `mindelta apply -C tree PATCH…` with extra environment variables.
    fn apply(&self, patches: &[&Path], env: &[(&str, &str)]) -> Output {
        let mut command = mindelta(&self.root.join("cache"));
        command.arg("apply").arg("-C").arg(self.tree());
        command.args(patches).envs(env.iter().copied());
        command.output().unwrap()
    }

    /// Everything in the sandbox but the cache and the patches: path → file bytes (with mode)
    /// or link target.
    fn snapshot(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let mut stack = vec![self.root.clone()];
        while let Some(dir) = stack.pop() {
            for item in fs::read_dir(&dir).unwrap() {
                let path = item.unwrap().path();
                let name = path.strip_prefix(&self.root).unwrap().display().to_string();
                if name == "cache" || name == "input" {
                    continue;
                }
                let meta = fs::symlink_metadata(&path).unwrap();
                let value = if meta.file_type().is_symlink() {
                    format!("-> {}", fs::read_link(&path).unwrap().display())
                } else if meta.is_dir() {
                    stack.push(path);
                    "folder".to_string()
                } else {
                    let mode = meta.permissions().mode() & 0o7777;
                    format!("{mode:o} {}", support::sha256(&fs::read(&path).unwrap()))
                };
                out.insert(name, value);
            }
        }
        out
    }

    /// Every symbolic link under `tree/` whose target exists resolves inside the tree.
    fn assert_links_stay_inside(&self) {
        let root = self.tree().canonicalize().unwrap();
        for (name, value) in self.snapshot() {
            if !name.starts_with("tree/") || !value.starts_with("-> ") {
                continue;
            }
            if let Ok(resolved) = self.root.join(&name).canonicalize() {
                assert!(
                    resolved.starts_with(&root),
                    "`{name}` resolves outside the tree, to {}",
                    resolved.display()
                );
            }
        }
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The process exited with `code` (not a signal) and its stderr holds every one of `words`.
#[track_caller]
fn assert_fails(output: &Output, code: i32, words: &[&str]) {
    let text = stderr(output);
    assert_eq!(output.status.code(), Some(code), "stderr:\n{text}");
    for word in words {
        assert!(text.contains(word), "`{word}` not in stderr:\n{text}");
    }
}

// ---- 1. Paths into `.git` ----

/// A new file at `path` (git diff, `a/` and `b/` prefixes).
fn new_file(path: &str, mode: &str, lines: &[&str]) -> String {
    let mut text = format!(
        "diff --git a/{path} b/{path}\nnew file mode {mode}\n--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{} @@\n",
        lines.len()
    );
    for line in lines {
        text.push_str(&format!("+{line}\n"));
    }
    text
}

#[test]
fn a_patch_may_not_write_into_dot_git_in_any_spelling() {
    let sandbox = Sandbox::new();
    let repo = GitRepo::new(sandbox.tree());
    repo.commit("upstream");
    let marker = sandbox.root.join("outside/pwned");
    // Append `core.fsmonitor` to the repository's real config: `git status` would run it.
    let config = fs::read_to_string(sandbox.tree().join(".git/config")).unwrap();
    let old: Vec<&str> = config.lines().collect();
    let mut fsmonitor = format!(
        "diff --git a/.git/config b/.git/config\n--- a/.git/config\n+++ b/.git/config\n@@ -1,{} +1,{} @@\n",
        old.len(),
        old.len() + 2
    );
    for line in &old {
        fsmonitor.push_str(&format!(" {line}\n"));
    }
    fsmonitor.push_str(&format!(
        "+[core]\n+\tfsmonitor = \"touch {}\"\n",
        marker.display()
    ));
    let hook = ["#!/bin/sh", &format!("touch {}", marker.display())];
    let mut attacks = vec![
        fsmonitor,
        new_file(".git/hooks/post-checkout", "100755", &hook),
        new_file(".GIT/hooks/post-checkout", "100755", &hook),
        new_file("git~1/hooks/post-checkout", "100755", &hook),
        new_file(".git./hooks/post-checkout", "100755", &hook),
        new_file(".git . /hooks/post-checkout", "100755", &hook),
        new_file(
            ".git::$INDEX_ALLOCATION/hooks/post-checkout",
            "100755",
            &hook,
        ),
        new_file(".g\u{200c}it/hooks/post-checkout", "100755", &hook),
        new_file("src/.Git/config", "100644", &["[core]"]),
        // Both sides of renames and copies.
        "diff --git a/src/main.c b/.git/hooks/pre-commit\nsimilarity index 100%\n\
         rename from src/main.c\nrename to .git/hooks/pre-commit\n"
            .to_string(),
        "diff --git a/.git/config b/leak.txt\nsimilarity index 100%\n\
         copy from .git/config\ncopy to leak.txt\n"
            .to_string(),
    ];
    // Plain (quilt) diffs are judged the same way, whatever the `-p` level.
    attacks.push(
        "--- a/.git/hooks/pre-push\t2026-01-01 00:00:00\n+++ b/.git/hooks/pre-push\t2026-01-02 00:00:00\n\
         @@ -0,0 +1 @@\n+#!/bin/sh\n"
            .to_string(),
    );
    let before = sandbox.snapshot();
    for (index, attack) in attacks.iter().enumerate() {
        let patch = sandbox.patch(&format!("attack-{index}.patch"), attack);
        let output = sandbox.apply(&[&patch], &[]);
        assert_fails(&output, 1, &[&format!("attack-{index}.patch"), "`.git`"]);
        assert_eq!(
            sandbox.snapshot(),
            before,
            "attack {index} changed the sandbox"
        );
    }
    // And git, run in the tree, runs nothing the patches wrote.
    let _ = git_command(&sandbox.tree(), "@1700000000 +0000".into())
        .args(["status", "--short"])
        .output()
        .unwrap();
    assert!(!marker.exists(), "git ran a command a patch put in `.git`");
}

#[test]
fn a_gitmodules_symlink_is_refused() {
    let sandbox = Sandbox::new();
    let before = sandbox.snapshot();
    for name in [
        ".gitmodules",
        "sub/.GITMODULES",
        "gitmod~1",
        ".gitmodules .",
    ] {
        let patch = sandbox.patch(
            "link.patch",
            format!(
                "diff --git a/{name} b/{name}\nnew file mode 120000\n--- /dev/null\n+++ b/{name}\n\
                 @@ -0,0 +1 @@\n+src/main.c\n\\ No newline at end of file\n"
            ),
        );
        let output = sandbox.apply(&[&patch], &[]);
        assert_fails(
            &output,
            1,
            &["link.patch", "`.gitmodules`", "symbolic link"],
        );
        assert_eq!(sandbox.snapshot(), before, "{name}");
    }
}

// ---- 2. Symbolic link chains ----

/// A git diff creating the symbolic link `path` -> `target`.
fn new_link(path: &str, target: &str) -> String {
    format!(
        "diff --git a/{path} b/{path}\nnew file mode 120000\n--- /dev/null\n+++ b/{path}\n\
         @@ -0,0 +1 @@\n+{target}\n\\ No newline at end of file\n"
    )
}

#[test]
fn a_link_chain_out_of_the_tree_is_refused() {
    // `a/s1 -> ..` stays in the tree and so does `a/s2 -> s1/..` read as text, but through
    // `a/s1` it is `a/../..`: the folder above the tree, and from there any host file.
    let sandbox = Sandbox::new();
    let before = sandbox.snapshot();
    let one_patch = sandbox.patch(
        "chain.patch",
        format!(
            "{}{}",
            new_link("a/s1", ".."),
            new_link("a/s2", "s1/../outside/victim.txt")
        ),
    );
    let output = sandbox.apply(&[&one_patch], &[]);
    assert_fails(
        &output,
        1,
        &["chain.patch", "`a/s2`", "leads out of the tree", "`a/s1`"],
    );
    assert_eq!(sandbox.snapshot(), before);

    // The same chain over two patches of a series.
    let first = sandbox.patch("1.patch", new_link("a/s1", ".."));
    let second = sandbox.patch("2.patch", new_link("a/s2", "s1/.."));
    let output = sandbox.apply(&[&first, &second], &[]);
    assert_fails(&output, 1, &["2.patch", "`a/s2`", "leads out of the tree"]);
    assert_eq!(sandbox.snapshot(), before);
    sandbox.assert_links_stay_inside();
}

#[test]
fn a_new_link_is_followed_through_the_links_already_in_the_tree() {
    let sandbox = Sandbox::new();
    fs::create_dir_all(sandbox.tree().join("a")).unwrap();
    symlink("..", sandbox.tree().join("a/s1")).unwrap();
    let before = sandbox.snapshot();
    let patch = sandbox.patch("chain.patch", new_link("a/s2", "s1/../outside"));
    let output = sandbox.apply(&[&patch], &[]);
    assert_fails(&output, 1, &["`a/s2`", "leads out of the tree", "`a/s1`"]);
    assert_eq!(sandbox.snapshot(), before);
    sandbox.assert_links_stay_inside();
}

#[test]
fn a_new_link_may_not_send_a_link_of_the_tree_out() {
    // Upstream's `l -> d/m/..` is `d`. A patch adding `d/m -> ..` (the tree's root, inside)
    // makes `l` the folder above the tree.
    let sandbox = Sandbox::new();
    fs::create_dir_all(sandbox.tree().join("d")).unwrap();
    fs::write(sandbox.tree().join("d/keep"), "x\n").unwrap();
    symlink("d/m/..", sandbox.tree().join("l")).unwrap();
    let before = sandbox.snapshot();
    let patch = sandbox.patch("redirect.patch", new_link("d/m", ".."));
    let output = sandbox.apply(&[&patch], &[]);
    assert_fails(&output, 1, &["`l`", "leads out of the tree", "`d/m`"]);
    assert_eq!(sandbox.snapshot(), before);
    sandbox.assert_links_stay_inside();
}

// ---- 3. Counts larger than the input ----

/// 38 bytes that once made the parser ask for 56 GB (and abort, exit 134).
const HUGE_COUNT: &str = "--- a/x\n+++ b/x\n@@ -1,999999999 +1 @@\n";

/// A workspace at `root/ws` with one package per (name, patch text): upstream is the folder
/// `root/upstream` (`greeting.txt`), the patch fixes CVE-2026-0002.
fn workspace(root: &Path, packages: &[(&str, &[u8])]) -> PathBuf {
    let upstream = root.join("upstream");
    fs::create_dir_all(&upstream).unwrap();
    fs::write(upstream.join("greeting.txt"), "one\ntwo\nthree\n").unwrap();
    let ws = root.join("ws");
    for (name, patch) in packages {
        let dir = ws.join("patches").join(name);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("0001-fix.patch"), patch).unwrap();
        fs::write(
            dir.join("package.yaml"),
            format!(
                "upstream:\n  version: \"1.0\"\n  dir: {}\npatches:\n  - file: 0001-fix.patch\n    \
                 cves: [CVE-2026-0002]\n",
                upstream.display()
            ),
        )
        .unwrap();
    }
    ws
}

const GOOD_PATCH: &[u8] =
    b"--- a/greeting.txt\n+++ b/greeting.txt\n@@ -1,3 +1,3 @@\n one\n-two\n+TWO\n three\n";

#[test]
fn a_huge_hunk_count_is_a_parse_error_naming_the_line() {
    let sandbox = Sandbox::new();
    let before = sandbox.snapshot();
    let patch = sandbox.patch("count.patch", HUGE_COUNT);
    let output = sandbox.apply(&[&patch], &[]);
    assert_fails(
        &output,
        1,
        &["count.patch` line 3", "999999999", "hunk ends early"],
    );
    assert_eq!(sandbox.snapshot(), before);

    let ws = workspace(&sandbox.root, &[("demo", HUGE_COUNT.as_bytes())]);
    let output = mindelta(&sandbox.root.join("cache"))
        .arg("--workspace")
        .arg(&ws)
        .args(["audit", "demo"])
        .output()
        .unwrap();
    assert_fails(&output, 1, &["0001-fix.patch", "line 3"]);
}

#[test]
fn prepare_all_goes_on_after_a_huge_hunk_count() {
    let sandbox = Sandbox::new();
    let ws = workspace(
        &sandbox.root,
        &[("a-bad", HUGE_COUNT.as_bytes()), ("b-good", GOOD_PATCH)],
    );
    let out = sandbox.root.join("out");
    let output = mindelta(&sandbox.root.join("cache"))
        .arg("--workspace")
        .arg(&ws)
        .args(["--jobs", "1", "prepare", "--all", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_fails(&output, 1, &["a-bad", "0001-fix.patch", "line 3"]);
    assert!(!out.join("a-bad").exists());
    assert_eq!(
        fs::read_to_string(out.join("b-good/greeting.txt")).unwrap(),
        "one\nTWO\nthree\n"
    );
}

// ---- 4. Files with no diff in them ----

/// Bytes that hold no diff: what a download of a patch can give instead of one.
fn garbage() -> Vec<(&'static str, Vec<u8>)> {
    let mut random = Vec::with_capacity(4096);
    let mut state: u32 = 0x2545_f491;
    for _ in 0..4096 {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        random.push(state as u8);
    }
    vec![
        (
            "404.patch",
            b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\n<body><h1>Not Found</h1>\n\
              <p>The requested URL was not found on this server.</p></body></html>\n"
                .to_vec(),
        ),
        ("empty.patch", Vec::new()),
        (
            "headers.patch",
            b"From 1234567890123456789012345678901234567890 Mon Sep 17 00:00:00 2001\n\
              From: A U Thor <author@example.org>\nSubject: [PATCH] Fix CVE-2026-0002\n\n\
              Description: fix the overflow\nOrigin: upstream\nCVE: CVE-2026-0002\n---\n"
                .to_vec(),
        ),
        ("random.patch", random),
        // A git header with nothing after it: git's "patch with only garbage".
        (
            "bare-header.patch",
            b"diff --git a/greeting.txt b/greeting.txt\nindex 1234567..89abcde 100644\n".to_vec(),
        ),
    ]
}

#[test]
fn a_file_without_a_diff_is_refused_by_apply() {
    let sandbox = Sandbox::new();
    let before = sandbox.snapshot();
    for (name, bytes) in garbage() {
        let patch = sandbox.patch(name, &bytes);
        let output = sandbox.apply(&[&patch], &[]);
        assert_fails(&output, 1, &[&format!("{name}` line ")]);
        assert!(!stderr(&output).contains("applied"), "{name}");
        assert_eq!(sandbox.snapshot(), before, "{name}");
    }
}

/// Every command that reads a workspace's patches (`prepare`, `check`, `audit`, `refresh`,
/// `import quilt`) refuses the patch `bytes`: exit 1, naming the file; no tree, no SBOM entry
/// for its CVE, no imported package, and the user's files as they were.
#[track_caller]
fn assert_every_reader_refuses(label: &str, bytes: &[u8]) {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    let ws = workspace(root, &[("demo", bytes)]);
    let user_files = support::cli::snapshot(&ws);
    let run = |args: &[&str]| {
        mindelta(&root.join("cache"))
            .arg("--workspace")
            .arg(&ws)
            .args(args)
            .output()
            .unwrap()
    };
    let out = root.join("out").display().to_string();
    let sbom = root.join("sbom.json");
    let output = run(&[
        "prepare",
        "demo",
        "--out",
        &out,
        "--sbom",
        &sbom.to_string_lossy(),
    ]);
    assert_fails(&output, 1, &["0001-fix.patch"]);
    assert!(!root.join("out").exists(), "{label}: prepare wrote a tree");
    let sbom_text = fs::read_to_string(&sbom).unwrap_or_default();
    assert!(!sbom_text.contains("CVE-2026-0002"), "{label}: {sbom_text}");
    for args in [
        &["check", "demo", "--release", "1.0"][..],
        &["audit", "demo"],
        &["refresh", "demo"],
    ] {
        let output = run(args);
        assert_fails(&output, 1, &["0001-fix.patch"]);
    }
    let quilt = root.join("quilt");
    fs::create_dir_all(&quilt).unwrap();
    fs::write(quilt.join("series"), "0001-fix.patch\n").unwrap();
    fs::write(quilt.join("0001-fix.patch"), bytes).unwrap();
    let output = run(&[
        "import",
        "quilt",
        &quilt.to_string_lossy(),
        "--name",
        "imported",
        "--version",
        "1.0",
        "--upstream-dir",
        &root.join("upstream").to_string_lossy(),
    ]);
    assert_fails(&output, 1, &["0001-fix.patch"]);
    assert!(!ws.join("patches/imported").exists(), "{label}");
    assert_eq!(support::cli::snapshot(&ws), user_files, "{label}");
}

#[test]
fn every_reader_refuses_a_patch_into_dot_git() {
    let hook = new_file(
        ".git/hooks/post-checkout",
        "100755",
        &["#!/bin/sh", "touch pwned"],
    );
    assert_every_reader_refuses("hook", hook.as_bytes());
    let config = "--- a/.GIT/config\n+++ b/.GIT/config\n@@ -1 +1,2 @@\n [core]\n+\tfsmonitor = touch pwned\n";
    assert_every_reader_refuses("config", config.as_bytes());
}

#[test]
fn a_wrapped_diff_git_line_hides_nothing() {
    // The lines skipped after a wrapped `diff --git` line (what GNU patch skips) cannot carry a
    // path past the checks: the names read are `---`/`+++`'s, checked as every name is.
    let wrapped = "diff --git a/README b/READ\nME\nindex 1111111..2222222 100644\n\
                   --- a/.git/config\n+++ b/.git/config\n@@ -1 +1,2 @@\n [core]\n+\tfsmonitor = touch pwned\n";
    assert_every_reader_refuses("wrapped", wrapped.as_bytes());
    // More stray lines than a wrapped line leaves: a header that changes nothing, an error.
    let prose = "diff --git a/x b/x\none\ntwo\nthree\nfour\n--- a/src/main.c\n+++ b/src/main.c\n\
                 @@ -1 +1 @@\n-int x;\n+int y;\n";
    assert_every_reader_refuses("prose", prose.as_bytes());
}

#[test]
fn a_file_without_a_diff_is_refused_by_every_reader() {
    for (name, bytes) in garbage() {
        assert_every_reader_refuses(name, &bytes);
        // `patch-id` stays what `git patch-id --stable` is: no id, exit 0.
        let temp = tempfile::tempdir().unwrap();
        let patch = temp.path().join(name);
        fs::write(&patch, &bytes).unwrap();
        let ours = mindelta(&temp.path().join("cache"))
            .arg("patch-id")
            .arg(&patch)
            .output()
            .unwrap();
        assert_eq!(ours.status.code(), Some(0), "{name}: {}", stderr(&ours));
        let mut git = git_command(temp.path(), "@1700000000 +0000".into())
            .args(["patch-id", "--stable"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        git.stdin.take().unwrap().write_all(&bytes).unwrap();
        let git = git.wait_with_output().unwrap();
        assert_eq!(ours.stdout, git.stdout, "{name}");
    }
}

#[test]
fn a_stray_line_between_two_hunks_is_an_error_naming_it() {
    let sandbox = Sandbox::new();
    fs::write(sandbox.tree().join("x"), "a\nb\nc\nd\n").unwrap();
    let before = sandbox.snapshot();
    for stray in ["stray words", ""] {
        let patch = sandbox.patch(
            "stray.patch",
            format!("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+A\n{stray}\n@@ -4 +4 @@\n-d\n+D\n"),
        );
        let output = sandbox.apply(&[&patch], &[]);
        assert_fails(
            &output,
            1,
            &["stray.patch` line 6", "between two hunks", "line 7"],
        );
        assert_eq!(sandbox.snapshot(), before, "{stray:?}");
    }
}

#[test]
fn context_lines_a_patch_lacks_never_let_it_apply_twice() {
    // A last hunk short of trailing context (nothing is matched against the missing lines):
    // its change already in the tree is still found there, and the tree is left alone.
    let sandbox = Sandbox::new();
    fs::write(sandbox.tree().join("x.h"), "a\nb\nlimits\n\nnamespace\n{\n").unwrap();
    let before = sandbox.snapshot();
    let patch = sandbox.patch(
        "short.patch",
        "--- a/x.h\n+++ b/x.h\n@@ -1,5 +1,6 @@\n a\n b\n+limits\n \n namespace\n",
    );
    let output = sandbox.apply(&[&patch], &[]);
    assert_fails(&output, 3, &["short.patch", "already"]);
    assert_eq!(sandbox.snapshot(), before);
    // Short by more than GNU patch takes as chopped, or short before the end: an error.
    for bad in [
        "--- a/x.h\n+++ b/x.h\n@@ -1,8 +1,9 @@\n a\n b\n+limits\n \n",
        "--- a/x.h\n+++ b/x.h\n@@ -1,5 +1,6 @@\n a\n b\n+limits\n--- a/y\n+++ b/y\n@@ -1 +1 @@\n-a\n+b\n",
    ] {
        let patch = sandbox.patch("bad.patch", bad);
        assert_fails(&sandbox.apply(&[&patch], &[]), 1, &["bad.patch"]);
        assert_eq!(sandbox.snapshot(), before);
    }
}

#[test]
fn noise_that_gnu_patch_and_git_accept_is_still_accepted() {
    let sandbox = Sandbox::new();
    fs::write(sandbox.tree().join("x"), "a\n").unwrap();
    fs::write(sandbox.tree().join("y"), "b\n").unwrap();
    let patch = sandbox.patch(
        "noisy.patch",
        "From: A U Thor <author@example.org>\nSubject: [PATCH] two files\n\nSome prose.\n\n\
         Description: DEP-3 too\n---\n x | 2 +-\n\n\
         diff -ur a/x b/x\n--- a/x\t2026-01-01 00:00:00\n+++ b/x\t2026-01-02 00:00:00\n\
         @@ -1 +1 @@\n-a\n+A\nOnly in b: extra\nOnly in a: gone\n\
         diff -ur a/y b/y\n--- a/y\t2026-01-01 00:00:00\n+++ b/y\t2026-01-02 00:00:00\n\
         @@ -1 +1 @@\n-b\n+B\n-- \n2.43.0\n\n",
    );
    applies_exactly(&sandbox.tree(), &patch);
    let output = sandbox.apply(&[&patch], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(fs::read_to_string(sandbox.tree().join("x")).unwrap(), "A\n");
    assert_eq!(fs::read_to_string(sandbox.tree().join("y")).unwrap(), "B\n");
}

// ---- 5. Binary payloads and the memory budget ----

/// A git diff creating `name` from a `literal` payload of `real` zero bytes that declares
/// `declared` bytes.
fn binary_literal(name: &str, real: usize, declared: usize) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(&vec![0u8; real]).unwrap();
    let deflated = encoder.finish().unwrap();
    let mut text = format!(
        "diff --git a/{name} b/{name}\nnew file mode 100644\nGIT binary patch\nliteral {declared}\n"
    )
    .into_bytes();
    text.extend_from_slice(&mindelta::patch::binary::encode_base85_payload(&deflated));
    text.extend_from_slice(b"\n");
    text
}

#[test]
fn a_binary_payload_is_checked_against_the_budget_before_it_is_inflated() {
    let sandbox = Sandbox::new();
    let before = sandbox.snapshot();
    // 2 KiB of input inflating to 2 MiB, over a 1 MiB budget.
    let patch = sandbox.patch("blob.patch", binary_literal("blob.bin", 2 << 20, 2 << 20));
    let output = sandbox.apply(&[&patch], &[("MINDELTA_BINARY_PAYLOAD_BUDGET", "1M")]);
    assert_fails(
        &output,
        1,
        &[
            "blob.patch` line 4",
            "2097152 bytes",
            "budget",
            "MINDELTA_BINARY_PAYLOAD_BUDGET",
        ],
    );
    assert_eq!(sandbox.snapshot(), before);
    // A declared gibibyte is refused by the default budget, before anything is allocated.
    let patch = sandbox.patch("gib.patch", binary_literal("gib.bin", 64, 1 << 30));
    let output = sandbox.apply(&[&patch], &[]);
    assert_fails(
        &output,
        1,
        &["gib.patch` line 4", "1073741824 bytes", "budget"],
    );
    assert_eq!(sandbox.snapshot(), before);
    // An invalid budget is a usage error.
    let output = sandbox.apply(&[&patch], &[("MINDELTA_BINARY_PAYLOAD_BUDGET", "lots")]);
    assert_fails(&output, 2, &["MINDELTA_BINARY_PAYLOAD_BUDGET"]);
}

#[test]
fn the_budget_bounds_the_sum_over_parallel_workers() {
    // Eight patch files, parsed in parallel, each with 256 KiB of payload: 2 MiB alive at once.
    let sandbox = Sandbox::new();
    let patches: Vec<PathBuf> = (0..8)
        .map(|index| {
            sandbox.patch(
                &format!("{index}.patch"),
                binary_literal(&format!("blob-{index}.bin"), 256 << 10, 256 << 10),
            )
        })
        .collect();
    let patches: Vec<&Path> = patches.iter().map(PathBuf::as_path).collect();
    let before = sandbox.snapshot();
    let output = sandbox.apply(
        &patches,
        &[
            ("MINDELTA_BINARY_PAYLOAD_BUDGET", "1M"),
            ("RAYON_NUM_THREADS", "2"),
        ],
    );
    assert_fails(&output, 1, &["budget", "are free"]);
    assert_eq!(sandbox.snapshot(), before);
    // The same series fits a budget that holds the sum.
    let output = sandbox.apply(&patches, &[("MINDELTA_BINARY_PAYLOAD_BUDGET", "4M")]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        fs::read(sandbox.tree().join("blob-7.bin")).unwrap().len(),
        256 << 10
    );
}

//! Hostile policies and the messages of failures.
//!
//! A policy is untrusted: a rule that would run for hours, or build values that double at each
//! step, stops at its evaluation budget with an error naming the file, line and rule. And the
//! messages of any failure: a reader that goes away never turns an exit code into a panic,
//! `--color never` and `NO_COLOR` turn off every colour, and no Rust debug text reaches a user.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Output, Stdio};
use std::time::Duration;

use crate::support;
use support::cli::{hello_workspace, mindelta, snapshot};

/// A guard, not a timing: before the budget existed, the audits below ran for hours (or until
/// memory ran out), and a test must fail rather than hang.
const GUARD: Duration = Duration::from_secs(600);

/// `[0, 1, …, count - 1]` in CEL.
fn list(count: usize) -> String {
    let items: Vec<String> = (0..count).map(|i| i.to_string()).collect();
    format!("[{}]", items.join(", "))
}

/// A copy of the example `hello` package with `policy` as its only policy file
/// (`policies/hostile.yaml`); the workspace root.
fn policy_workspace(dir: &Path, policy: &str) -> PathBuf {
    let root = dir.join("workspace");
    hello_workspace(&root);
    fs::create_dir_all(root.join("policies")).unwrap();
    fs::write(root.join("policies/hostile.yaml"), policy).unwrap();
    root
}

/// `mindelta audit --offline` in `root` (with `extra` arguments), its cache beside the root.
fn audit(root: &Path, extra: &[&str]) -> Output {
    mindelta(&root.with_file_name("cache"))
        .arg("--workspace")
        .arg(root)
        .args(["audit", "--offline"])
        .args(extra)
        .env("MINDELTA_NOW", "2026-12-01")
        .timeout(GUARD)
        .output()
        .unwrap()
}

/// A package rule whose `require` is `expression`, on line 2 of its file.
fn rule(id: &str, expression: &str) -> String {
    format!(
        "rules:\n  - id: {id}\n    severity: error\n    subject: package\n    message: never fires\n    require: \"{expression}\"\n"
    )
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn three_nested_alls_over_long_lists_stop_at_the_budget() {
    // The policy: 12 KB, 10⁹ iterations, over 180 s without a budget.
    let items = list(1000);
    let expression = format!("{items}.all(a, {items}.all(b, {items}.all(c, a + b + c >= 0)))");
    let policy = rule("nested", &expression);
    assert!(policy.len() > 12_000, "{}", policy.len());
    let dir = tempfile::tempdir().unwrap();
    let root = policy_workspace(dir.path(), &policy);
    let before = snapshot(&root);

    let output = audit(&root, &[]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains(
            "error: `policies/hostile.yaml` line 2, rule `nested`: the evaluation exceeded its budget of 1000000 steps"
        ),
        "{text}"
    );
    assert!(text.contains("`--policy-steps N`"), "{text}");
    assert_eq!(text.matches("rule `nested`").count(), 1, "{text}");
    assert_eq!(snapshot(&root), before);
}

#[test]
fn values_that_double_at_each_step_stop_at_the_budget() {
    // Forty doublings of a string: 2⁴⁰ bytes if nothing stops it. Then a chain of replaces
    // that grows the text tenfold at each call.
    let mut doubling = "'ab'".to_string();
    for _ in 0..40 {
        doubling = format!("[{doubling}].map(s, s + s)[0]");
    }
    let replaces = format!(
        "'aaaaaaaaaa'{} != ''",
        ".replace('a', 'aaaaaaaaaa')".repeat(12)
    );
    for (id, expression) in [
        ("doubling", format!("size({doubling}) > 0")),
        ("replaces", replaces),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let root = policy_workspace(dir.path(), &rule(id, &expression));
        let output = audit(&root, &[]);
        let text = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{text}");
        assert!(
            text.contains(&format!(
                "`policies/hostile.yaml` line 2, rule `{id}`: the evaluation exceeded its budget"
            )),
            "{text}"
        );
    }
}

#[test]
fn the_budget_is_set_with_policy_steps() {
    // About 200 steps: within the default budget, beyond a budget of 50.
    let policy = rule("modest", &format!("{}.all(x, x >= 0)", list(100)));
    let dir = tempfile::tempdir().unwrap();
    let root = policy_workspace(dir.path(), &policy);
    let output = audit(&root, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let output = audit(&root, &["--policy-steps", "50"]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains("rule `modest`: the evaluation exceeded its budget of 50 steps"),
        "{text}"
    );
    let output = audit(&root, &["--policy-steps", "0"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}

/// The sha256 the manifest of [`unreachable_upstream`] pins.
fn pinned() -> String {
    support::sha256(b"the real tarball")
}

/// A workspace whose package `demo` has a tarball upstream that is not cached, except for a
/// corrupt copy in the cache ([`corrupt_cache_entry`]), which mindelta removes with a warning
/// (from the library, through `tracing`) before failing with exit 5 under `--offline`.
/// Returns (root, cache).
fn unreachable_upstream(dir: &Path) -> (PathBuf, PathBuf) {
    let root = dir.join("workspace");
    let cache = dir.join("cache");
    fs::create_dir_all(root.join("patches/demo")).unwrap();
    fs::write(
        root.join("patches/demo/package.yaml"),
        format!(
            "upstream:\n  version: \"1.0\"\n  tarball: https://example.invalid/demo-{{version}}.tar.gz\n  sha256: {}\npatches: []\n",
            pinned()
        ),
    )
    .unwrap();
    (root, cache)
}

/// Put the corrupt cached tarball (back) in place: each run removes it.
fn corrupt_cache_entry(cache: &Path) {
    let dir = cache.join("tarballs").join(pinned());
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("demo-1.0.tar.gz"), "not the tarball").unwrap();
}

fn prepare_offline(root: &Path, cache: &Path) -> Process {
    let mut command = Process::new(assert_cmd::cargo::cargo_bin("mindelta"));
    command
        .env("MINDELTA_CACHE_DIR", cache)
        .env("NO_COLOR", "1")
        .arg("--workspace")
        .arg(root)
        .args(["prepare", "demo", "--offline", "--out"])
        .arg(root.join("out"))
        .stdin(Stdio::null());
    command
}

#[test]
fn an_error_written_to_a_reader_that_went_away_keeps_its_exit_code() {
    // `mindelta prepare … 2>&1 | head -1` once `head` has exited: every write fails with a
    // broken pipe, the error message included. The reading end is closed before the run, so
    // every write fails, not only those after some point.
    let dir = tempfile::tempdir().unwrap();
    let (root, cache) = unreachable_upstream(dir.path());
    let before = snapshot(&root);

    corrupt_cache_entry(&cache);
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let status = prepare_offline(&root, &cache)
        .stdout(writer.try_clone().unwrap())
        .stderr(writer)
        .status()
        .unwrap();
    assert_eq!(
        status.code(),
        Some(5),
        "a broken pipe must not become a panic"
    );

    // Only stdout gone: the error still reaches stderr, without panic text.
    corrupt_cache_entry(&cache);
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let output = prepare_offline(&root, &cache)
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(5), "{text}");
    assert!(
        text.contains("error: cannot fetch upstream of `demo`"),
        "{text}"
    );
    assert!(!text.contains("panicked"), "{text}");
    assert_eq!(snapshot(&root), before);
}

#[test]
fn color_never_and_no_color_turn_off_every_colour() {
    let dir = tempfile::tempdir().unwrap();
    let (root, cache) = unreachable_upstream(dir.path());
    let run = |color: Option<&str>, no_color: bool| {
        corrupt_cache_entry(&cache);
        let mut command = prepare_offline(&root, &cache);
        command.env_remove("NO_COLOR");
        if no_color {
            command.env("NO_COLOR", "1");
        }
        if let Some(color) = color {
            command.args(["--color", color]);
        }
        let output = command.output().unwrap();
        assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
        let text = stderr(&output);
        assert!(
            text.contains("replacing a damaged cached tarball"),
            "{text}"
        );
        text
    };
    for (color, no_color) in [(Some("never"), false), (None, true), (Some("auto"), false)] {
        let text = run(color, no_color);
        assert!(
            !text.contains('\x1b'),
            "--color {color:?}, NO_COLOR {no_color}: {text:?}"
        );
    }
    // The check can fail: asked for, the colour is there.
    assert!(run(Some("always"), false).contains('\x1b'));
}

#[test]
fn a_yaml_limit_reads_as_a_sentence_not_debug_text() {
    // One anchor and 119 aliases: serde-saphyr's limit on the ratio of aliases to anchors.
    let mut policy = String::from("rules:\n");
    for index in 0..120 {
        let severity = if index == 0 { "&s info" } else { "*s" };
        policy.push_str(&format!(
            "  - id: r{index}\n    severity: {severity}\n    subject: package\n    message: m\n    require: \"true\"\n"
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let root = policy_workspace(dir.path(), &policy);
    let output = audit(&root, &[]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains(
            "the YAML is too large or too complex to read safely: 119 aliases of 1 anchor(s)"
        ),
        "{text}"
    );
    assert!(
        !text.contains("budget breached") && !text.contains('{'),
        "{text}"
    );
}

#[test]
fn evaluation_errors_read_as_sentences_not_debug_text() {
    let dir = tempfile::tempdir().unwrap();
    let root = policy_workspace(dir.path(), &rule("typed", "package.name + 1 == 2"));
    let output = audit(&root, &["--format", "json"]);
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let message = report["findings"][0]["message"].as_str().unwrap();
    assert_eq!(
        message,
        "rule `typed` (policies/hostile.yaml line 2) cannot be evaluated: `require`: `+` does not apply to `'hello'` and `1`"
    );
}

#[test]
fn an_unknown_tar_entry_type_is_named_by_its_byte() {
    // GNU's multi-volume continuation (`M`): the tar crate's debug text for it is
    // `__Nonexhaustive(77)`.
    let mut header = tar::Header::new_gnu();
    header.set_path("demo-1.0/part").unwrap();
    header.set_size(0);
    header.set_mode(0o644);
    header.set_entry_type(tar::EntryType::new(b'M'));
    header.set_cksum();
    let mut builder = tar::Builder::new(Vec::new());
    builder.append(&header, std::io::empty()).unwrap();
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gzip.write_all(&builder.into_inner().unwrap()).unwrap();
    let tarball = gzip.finish().unwrap();
    let sha256 = support::sha256(&tarball);

    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("workspace");
    let cache = dir.path().join("cache");
    fs::create_dir_all(root.join("patches/demo")).unwrap();
    fs::write(
        root.join("patches/demo/package.yaml"),
        format!(
            "upstream:\n  version: \"1.0\"\n  tarball: https://example.invalid/demo-{{version}}.tar.gz\n  sha256: {sha256}\npatches: []\n"
        ),
    )
    .unwrap();
    let cached = cache.join("tarballs").join(&sha256);
    fs::create_dir_all(&cached).unwrap();
    fs::write(cached.join("demo-1.0.tar.gz"), &tarball).unwrap();

    let output = prepare_offline(&root, &cache).output().unwrap();
    let text = stderr(&output);
    assert_ne!(output.status.code(), Some(0), "{text}");
    assert!(
        text.contains("unsupported entry type `M` (byte 77)"),
        "{text}"
    );
    assert!(!text.contains("Nonexhaustive"), "{text}");
    assert!(!root.join("out").exists());
}

#[test]
fn a_broken_applies_to_names_the_file_and_line() {
    let temp = tempfile::tempdir().unwrap();
    for (applies_to, wanted) in [
        ("applies-to: {header-fields: Upstream-Status}\n", "line 2"),
        ("applies-to:\n  header-fields: [\"a: b\"]\n", "line 3"),
        ("applies-to:\n  header-fields: []\n", "line 3"),
        ("applies-to:\n  headers: [Upstream-Status]\n", "line 3"),
        ("applies-to: all\n", "line 2"),
    ] {
        let root = policy_workspace(
            temp.path(),
            &format!(
                "name: scoped\n{applies_to}{}",
                rule("quiet", "true").trim_start()
            ),
        );
        let output = audit(&root, &[]);
        let stderr = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{applies_to}: {stderr}");
        assert!(
            stderr.contains("policies/hostile.yaml") && stderr.contains(wanted),
            "{applies_to}: {stderr}"
        );
        fs::remove_dir_all(&root).unwrap();
    }
}

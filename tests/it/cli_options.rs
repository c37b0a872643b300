//! The command line's shape: each command's `--help` lists the options it takes and the
//! `--format` values it writes; the shared options are accepted before or after the command
//! name; the environment never shows in a usage line; and human output fits 80 columns when it
//! is not on a terminal (or `COLUMNS`).

use crate::support;

use std::fs;
use std::path::Path;

use support::cli::{hello_workspace, mindelta};

fn run(cache: &Path, dir: &Path, args: &[&str]) -> std::process::Output {
    mindelta(cache)
        .current_dir(dir)
        .env_remove("COLUMNS")
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn each_help_lists_only_what_the_command_takes() {
    let temp = tempfile::tempdir().unwrap();
    let help = |args: &[&str]| {
        let output = run(temp.path(), temp.path(), args);
        assert!(output.status.success(), "{output:?}");
        text(&output.stdout)
    };
    let check = help(&["check", "--help"]);
    let apply = help(&["apply", "--help"]);
    let patch_id = help(&["patch-id", "--help"]);
    let list = help(&["list", "-h"]);
    let audit = help(&["audit", "-h"]);
    insta::assert_snapshot!("check_help", check);
    insta::assert_snapshot!("apply_help", apply);
    insta::assert_snapshot!("patch_id_help", patch_id);
    insta::assert_snapshot!("list_help", list);
    insta::assert_snapshot!("audit_short_help", audit);
    // The snapshots say it all; these say what matters most, should they be updated blindly.
    assert!(check.contains("[possible values: human, json]"), "{check}");
    assert!(!check.contains("sarif"), "{check}");
    assert!(check.contains("--offline") && check.contains("--cache-dir"));
    for flag in ["--offline", "--cache-dir", "--jobs", "--workspace", "sarif"] {
        assert!(!apply.contains(flag), "apply lists {flag}: {apply}");
    }
    assert!(!patch_id.contains("--format"), "{patch_id}");
    assert!(!list.contains("--offline"), "{list}");
    assert!(
        audit.contains("human, json, markdown, sarif, html"),
        "{audit}"
    );
}

#[test]
fn a_format_a_command_does_not_write_is_a_usage_error() {
    let temp = tempfile::tempdir().unwrap();
    let after = run(temp.path(), temp.path(), &["check", "--format", "sarif"]);
    let message = text(&after.stderr);
    assert_eq!(after.status.code(), Some(2), "{message}");
    assert!(
        message.contains("invalid value 'sarif' for '--format <FORMAT>'"),
        "{message}"
    );
    assert!(
        message.contains("[possible values: human, json]"),
        "{message}"
    );

    // The same before the command name, with the command's usage.
    let before = run(temp.path(), temp.path(), &["--format", "sarif", "check"]);
    let message = text(&before.stderr);
    assert_eq!(before.status.code(), Some(2), "{message}");
    assert!(
        message.contains("`mindelta check` does not write `--format sarif`"),
        "{message}"
    );
    assert!(
        message.contains("[possible values: human, json]"),
        "{message}"
    );
    assert!(message.contains("Usage: mindelta check"), "{message}");

    let none = run(temp.path(), temp.path(), &["--format", "json", "patch-id"]);
    let message = text(&none.stderr);
    assert_eq!(none.status.code(), Some(2), "{message}");
    assert!(
        message.contains("`mindelta patch-id` has no `--format`"),
        "{message}"
    );

    // An option a command does not take is refused after its name.
    let offline = run(temp.path(), temp.path(), &["apply", "--offline"]);
    assert_eq!(offline.status.code(), Some(2), "{offline:?}");
    assert!(text(&offline.stderr).contains("unexpected argument '--offline'"));
}

#[test]
fn shared_options_work_before_and_after_the_command_name() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("ws");
    hello_workspace(&root);
    let cache = temp.path().join("cache");
    let workspace = root.to_str().unwrap();
    let outside = temp.path();
    let before = run(
        &cache,
        outside,
        &[
            "--workspace",
            workspace,
            "--format",
            "json",
            "--offline",
            "list",
        ],
    );
    let after = run(
        &cache,
        outside,
        &["list", "--workspace", workspace, "--format", "json"],
    );
    assert!(before.status.success(), "{}", text(&before.stderr));
    assert!(after.status.success(), "{}", text(&after.stderr));
    assert_eq!(before.stdout, after.stdout);
    let json: serde_json::Value = serde_json::from_slice(&after.stdout).unwrap();
    assert_eq!(json["packages"][0]["name"], "hello");

    // After the name wins over before it.
    let both = run(
        &cache,
        outside,
        &[
            "--format",
            "json",
            "list",
            "--workspace",
            workspace,
            "--format",
            "human",
        ],
    );
    assert!(text(&both.stdout).starts_with("hello 1.0"), "{both:?}");

    // Global options anywhere; `-q` and `--color` for every command.
    let check = run(
        &cache,
        &root,
        &[
            "-q",
            "check",
            "hello",
            "--release",
            "1.1",
            "--offline",
            "--color",
            "never",
        ],
    );
    assert!(check.status.success(), "{}", text(&check.stderr));
    let check = run(
        &cache,
        &root,
        &[
            "--offline",
            "--jobs",
            "2",
            "check",
            "hello",
            "--release",
            "1.1",
        ],
    );
    assert!(check.status.success(), "{}", text(&check.stderr));
}

#[test]
fn the_environment_is_not_shown_as_given_in_the_usage_line() {
    let temp = tempfile::tempdir().unwrap();
    // `mindelta` sets `MINDELTA_CACHE_DIR`.
    let output = mindelta(temp.path())
        .env("MINDELTA_MAX_PAGE_SIZE", "1M")
        .arg("versions")
        .output()
        .unwrap();
    let message = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert!(
        message.contains("Usage: mindelta versions <PACKAGE>"),
        "{message}"
    );
    assert!(!message.contains("--cache-dir"), "{message}");
    assert!(!message.contains("--max-page-size"), "{message}");

    // A variable that does not parse is named, as a usage error.
    let output = mindelta(temp.path())
        .env("MINDELTA_MAX_PAGE_SIZE", "lots")
        .args(["list", "--workspace"])
        .arg(temp.path())
        .output()
        .unwrap();
    let message = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert!(message.contains("`MINDELTA_MAX_PAGE_SIZE`"), "{message}");
}

/// Every line of `output` is at most `width` columns.
fn assert_fits(output: &str, width: usize) {
    for line in output.lines() {
        assert!(
            line.chars().count() <= width,
            "a line of {} columns:\n{line}\nin:\n{output}",
            line.chars().count()
        );
    }
}

/// The words of `text`, for comparing wrapped text with the original.
fn words(text: &str) -> Vec<&str> {
    text.split_whitespace().collect()
}

#[test]
fn a_long_reason_fits_80_columns_when_piped() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("ws");
    let dir = root.join("patches/long");
    fs::create_dir_all(&dir).unwrap();
    let reason = "Keep the configuration file where the distribution's policy puts it, \
                  because the upstream default of a folder under the prefix breaks \
                  read-only images and every other package expects the file under /etc";
    fs::write(
        dir.join("package.yaml"),
        format!(
            "upstream:\n  version: \"1.0\"\n  dir: ../../upstream-{{version}}\npatches:\n\
             \x20 - file: 0001-move-the-configuration-file-to-etc.patch\n\
             \x20   status: inappropriate\n\
             \x20   fixed-in: \">=2.0\"\n\
             \x20   cves: [CVE-2026-12345, CVE-2026-12346]\n\
             \x20   reason: \"{reason}\"\n\
             \x20 - file: 0002-short.patch\n\
             \x20   reason: Short\n"
        ),
    )
    .unwrap();
    for patch in [
        "0001-move-the-configuration-file-to-etc.patch",
        "0002-short.patch",
    ] {
        fs::write(dir.join(patch), "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n").unwrap();
    }
    let cache = temp.path().join("cache");
    let list = run(&cache, &root, &["list"]);
    assert!(list.status.success(), "{}", text(&list.stderr));
    let listed = text(&list.stdout);
    assert_fits(&listed, 80);
    // Nothing is cut: every word of the reason is there, in order.
    let found = words(&listed);
    let start = found.iter().position(|w| *w == "Keep").expect("the reason");
    assert_eq!(found[start..start + words(reason).len()], words(reason)[..]);
    insta::assert_snapshot!("long_reason_at_80_columns", listed);

    // `COLUMNS` widens it.
    let wide = mindelta(&cache)
        .current_dir(&root)
        .env("COLUMNS", "200")
        .arg("list")
        .output()
        .unwrap();
    let wide = text(&wide.stdout);
    assert!(wide.lines().any(|l| l.chars().count() > 80), "{wide}");
    assert!(wide.lines().count() < listed.lines().count(), "{wide}");
    assert_fits(&wide, 200);
}

#[test]
fn check_expire_and_audit_fit_80_columns_when_piped() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("ws");
    hello_workspace(&root);
    let cache = temp.path().join("cache");
    let check = run(
        &cache,
        &root,
        &["--offline", "check", "hello", "--release", "1.1"],
    );
    assert!(check.status.success(), "{}", text(&check.stderr));
    let checked = text(&check.stdout);
    assert_fits(&checked, 80);
    assert!(
        checked.contains("fixed-in: 1.1 satisfies `>=1.1`"),
        "{checked}"
    );

    let audit = mindelta(&cache)
        .current_dir(&root)
        .env_remove("COLUMNS")
        .env("MINDELTA_NOW", "2026-11-27")
        .args(["--offline", "audit", "--check"])
        .output()
        .unwrap();
    let audited = text(&audit.stdout);
    assert!(audited.contains("findings:"), "{}", text(&audit.stderr));
    assert_fits(&audited, 80);

    let expire = run(
        &cache,
        &root,
        &[
            "--offline",
            "expire",
            "hello",
            "--release",
            "1.1",
            "--fuzz",
            "1",
        ],
    );
    assert!(expire.status.success(), "{}", text(&expire.stderr));
    let expired = text(&expire.stdout);
    assert_fits(&expired, 80);
    assert!(
        expired.contains("0001-fix-name-overflow.patch"),
        "{expired}"
    );
}

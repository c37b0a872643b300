//! Hostile input for the HTML report: package names, patch file names, reasons, status words,
//! policy messages, evidence and history that carry markup and script must reach the page as
//! text, and huge histories and texts must leave the page bounded. The page is checked as
//! written (exactly the page's own two script blocks, no raw markup) and, where Chromium is
//! installed, as a browser runs it: the payloads never execute and the
//! Content-Security-Policy reports nothing.

use std::io::Write as _;
use std::path::Path;
use std::process::Stdio;

use crate::report_html::{chromium, open};
use crate::support::cli::snapshot;
use crate::support::git::{GitRepo, git_command};

/// Each payload marks the page if it ever runs.
const SCRIPT: &str = "</script><script>document.body.setAttribute('data-pwned','script')</script>";
const IMAGE: &str = "<img src=x onerror=\"document.body.setAttribute('data-pwned','img')\">";
const COMMENT: &str = "<!--<script>document.title='pwned'</script>";

fn hostile_workspace(repo: &GitRepo) {
    // The folder name is plain; the manifest names the package with a script.
    repo.write(
        "patches/evil/package.yaml",
        format!(
            "name: \"{}\"\nupstream:\n  version: \"1.0{}\"\n  dir: src\npatches:\n  - file: \"{}.patch\"\n    reason: \"{}\"\n    status: pending\n    cves: [\"{}\"]\n",
            SCRIPT.replace('"', "\\\""),
            IMAGE.replace('"', "\\\""),
            IMAGE.replace('"', "\\\""),
            COMMENT.replace('"', "\\\""),
            SCRIPT.replace('"', "\\\""),
        ),
    );
    repo.write(
        &format!("patches/evil/{IMAGE}.patch"),
        format!(
            "Description: {SCRIPT}\nUpstream-Status: Pending\n--- a/a.c\n+++ b/a.c\n@@ -1 +1 @@\n-a\n+{IMAGE}\n"
        ),
    );
    repo.write(
        "policies/hostile.yaml",
        format!(
            "rules:\n  - id: hostile-message\n    severity: warning\n    subject: patch\n    message: \"{}\"\n    help: \"{}\"\n    require: \"false\"\n",
            IMAGE.replace('"', "\\\""),
            COMMENT.replace('"', "\\\""),
        ),
    );
    // A second package whose evidence names a file with markup: the patch's hunk neither
    // applies to 1.1 nor is in it, and the `content` evidence says so, naming the file.
    repo.write(&format!("upstream/ev-1.0/{EVIDENCE_FILE}"), "old\n");
    repo.write(&format!("upstream/ev-1.1/{EVIDENCE_FILE}"), "rewritten\n");
    repo.write(
        "patches/evidence/package.yaml",
        "upstream:\n  version: \"1.0\"\n  dir: ../../upstream/ev-{version}\npatches:\n  - file: fix.patch\n    status: backport\n",
    );
    repo.write(
        "patches/evidence/fix.patch",
        format!("--- a/{EVIDENCE_FILE}\n+++ b/{EVIDENCE_FILE}\n@@ -1 +1 @@\n-old\n+new\n"),
    );
    repo.commit(SCRIPT);
}

/// A file name that is markup (no `/`, so it is one path component).
const EVIDENCE_FILE: &str = "<script>document.title='pwned'<!--.c";

fn audit_page(workspace: &Path, out: &Path) -> std::process::Output {
    crate::support::cli::mindelta(&workspace.join(".cache"))
        .arg("--workspace")
        .arg(workspace)
        .env("MINDELTA_NOW", "2026-12-01")
        .args([
            "--offline",
            "audit",
            "--check",
            "--format",
            "html",
            "--history",
            "--out",
        ])
        .arg(out)
        .output()
        .expect("run mindelta")
}

#[test]
fn markup_in_names_messages_and_history_is_text_on_the_page() {
    let temp = tempfile::tempdir().expect("temp dir");
    let repo = GitRepo::new(temp.path().join("workspace"));
    hostile_workspace(&repo);
    let before = snapshot(repo.path());
    let out = temp.path().join("report.html");
    let output = audit_page(repo.path(), &out);
    // Exit 4 if a policy makes the conflicting patch an error finding; the page is written.
    assert!(
        matches!(output.status.code(), Some(0 | 4)),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(snapshot(repo.path()), before, "the workspace is untouched");

    let page = std::fs::read_to_string(&out).expect("the page");
    assert_eq!(
        page.matches("<script").count(),
        2,
        "only the data block and the page's own script"
    );
    for raw in ["<img", "<!--", "</script><script>"] {
        assert!(!page.contains(raw), "`{raw}` reached the page unescaped");
    }
    // The payloads are in the data, as text: the evidence names the file.
    let data = crate::report_html::page_data(&page);
    let strings: Vec<&str> = data["t"]
        .as_array()
        .expect("string table")
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    assert_eq!(data["p"][1]["n"], SCRIPT);
    assert_eq!(data["q"][1]["f"], format!("{IMAGE}.patch"));
    let evidence = &data["q"][0]["ev"];
    assert!(
        evidence.as_array().is_some_and(|e| e
            .iter()
            .any(|e| strings[e[2].as_u64().expect("detail") as usize].contains(EVIDENCE_FILE))),
        "the evidence names `{EVIDENCE_FILE}`: {evidence}"
    );

    let Some(chromium) = chromium() else {
        return;
    };
    let opened = open(&chromium, &out);
    assert!(
        opened.console.is_empty(),
        "console messages: {:#?}",
        opened.console
    );
    assert_eq!(opened.check["ok"], true, "{}", opened.check);
    // The payloads would mark the body or the title (the data block holds them as text).
    let body = &opened.dom[opened.dom.find("<body").expect("body")..];
    let body_tag = &body[..body.find('>').expect("end of the body tag")];
    assert!(!body_tag.contains("pwned"), "a payload ran: {body_tag}");
    assert!(!opened.dom.contains("<title>pwned"), "a payload ran");
    // The package's name is shown, as text, in the table the script drew.
    assert!(
        opened
            .dom
            .contains("<td>&lt;/script&gt;&lt;script&gt;document.body.setAttribute"),
        "the name is not in the table: {}",
        &opened.dom[opened.dom.find("<tbody>").unwrap_or(0)..]
    );
}

/// Write a fast-import stream: `commits` commits of one package in one day, after a root commit
/// dated 1970 and before one dated 3000, each changing the package's one patch; the last gives
/// it a reason `reason_bytes` long.
fn huge_history(root: &Path, commits: usize, reason_bytes: usize) {
    let mut stream = Vec::new();
    let times = std::iter::once(0)
        .chain((0..commits).map(|i| 1_780_000_000 + i as i64))
        .chain(std::iter::once(32_503_680_000)); // 3000-01-01
    for (index, time) in times.enumerate() {
        let reason = "R".repeat(if index == commits + 1 {
            reason_bytes
        } else {
            1
        });
        let manifest = format!(
            "upstream:\n  version: \"1.0\"\n  dir: src\npatches:\n  - file: p.patch\n    reason: {reason}\n"
        );
        let patch = format!("--- a/a.c\n+++ b/a.c\n@@ -1 +1 @@\n-a\n+{index}\n");
        let _ = write!(
            stream,
            "commit refs/heads/main\nmark :{}\ncommitter C <c@example.org> {time} +0000\ndata 2\nc\n",
            index + 1
        );
        if index > 0 {
            let _ = writeln!(stream, "from :{index}");
        }
        for (path, text) in [
            ("patches/big/package.yaml", manifest),
            ("patches/big/p.patch", patch),
        ] {
            let _ = write!(
                stream,
                "M 100644 inline {path}\ndata {}\n{text}\n",
                text.len()
            );
        }
    }
    let run = |args: &[&str], input: Option<&[u8]>| {
        let mut child = git_command(root, "@0 +0000".into())
            .args(args)
            .stdin(Stdio::piped())
            .spawn()
            .expect("run git");
        if let Some(input) = input {
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(input)
                .expect("feed git");
        }
        drop(child.stdin.take());
        assert!(child.wait().expect("git").success(), "git {args:?}");
    };
    std::fs::create_dir_all(root).expect("workspace");
    run(&["init", "-q", "-b", "main"], None);
    run(&["fast-import", "--quiet"], Some(&stream));
    run(&["reset", "-q", "--hard", "main"], None);
}

#[test]
fn a_huge_history_and_huge_text_leave_the_page_bounded() {
    let temp = tempfile::tempdir().expect("temp dir");
    let root = temp.path().join("workspace");
    // 5,000 commits, and a 1 MiB reason.
    huge_history(&root, 5_000, 1 << 20);
    let out = temp.path().join("report.html");
    let output = crate::support::cli::mindelta(&temp.path().join("cache"))
        .arg("--workspace")
        .arg(&root)
        .env("MINDELTA_NOW", "2026-12-01")
        .args([
            "--offline",
            "audit",
            "--format",
            "html",
            "--history",
            "--out",
        ])
        .arg(&out)
        .output()
        .expect("run mindelta");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let page = std::fs::read_to_string(&out).expect("the page");
    let data = crate::report_html::page_data(&page);
    assert_eq!(data["h"]["commits"], 5_002);
    // 1970-01 to 2026-12, one record a month: the commit dated 3000 counts today.
    let months = data["h"]["months"].as_array().expect("months");
    assert_eq!(months.len(), 57 * 12);
    assert_eq!(months[0]["month"], "1970-01");
    assert_eq!(months[months.len() - 1]["month"], "2026-12");
    // The page grows with months, not with commits or with the reason's size.
    assert!(page.len() < 256 << 10, "the page is {} bytes", page.len());
    let why = data["q"][0]["w"].as_str().expect("the reason");
    assert_eq!(
        why.chars().count(),
        241,
        "cut to 240 characters and an ellipsis"
    );

    let Some(chromium) = chromium() else {
        return;
    };
    let opened = open(&chromium, &out);
    assert!(opened.console.is_empty(), "{:#?}", opened.console);
    assert_eq!(opened.check["ok"], true, "{}", opened.check);
    assert_eq!(opened.check["points"]["patches"], 57 * 12);
}

//! Hostile text in the HTML report: package names, patch file names, reasons, status words,
//! policy messages and history that carry markup and script must reach the page as text. The
//! page is checked as written (exactly the page's own two script blocks, no raw markup) and,
//! where Chromium is installed, as a browser runs it: the payloads never execute and the
//! Content-Security-Policy reports nothing.

use std::path::Path;

use crate::report_html::{chromium, open};
use crate::support::cli::snapshot;
use crate::support::git::GitRepo;

/// Each payload marks the page if it ever runs.
const SCRIPT: &str = "</script><script>document.body.setAttribute('data-pwned','script')</script>";
const IMAGE: &str = "<img src=x onerror=\"document.body.setAttribute('data-pwned','img')\">";
const COMMENT: &str = "<!--<script>document.title='pwned'</script>";

fn hostile_workspace(repo: &GitRepo) {
    // The folder name is plain; the manifest names the package with a script.
    repo.write(
        "patches/evil/package.yaml",
        &format!(
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
        &format!(
            "rules:\n  - id: hostile-message\n    severity: warning\n    subject: patch\n    message: \"{}\"\n    help: \"{}\"\n    require: \"false\"\n",
            IMAGE.replace('"', "\\\""),
            COMMENT.replace('"', "\\\""),
        ),
    );
    repo.commit(SCRIPT);
}

fn audit_page(workspace: &Path, out: &Path) -> std::process::Output {
    crate::support::cli::mindelta(&workspace.join(".cache"))
        .arg("--workspace")
        .arg(workspace)
        .env("MINDELTA_NOW", "2026-12-01")
        .args([
            "--offline",
            "audit",
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
    assert_eq!(
        output.status.code(),
        Some(0),
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
    // The payloads are in the data, as text.
    let data = crate::report_html::page_data(&page);
    assert_eq!(data["p"][0]["n"], SCRIPT);
    assert_eq!(data["q"][0]["f"], format!("{IMAGE}.patch"));

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

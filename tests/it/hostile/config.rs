//! A hostile or broken `mindelta.yaml` (the workspace's settings): every problem is an error
//! that names the file and the line, `audit` writes no report, and exits 1 — a typo must never
//! silently change which rules judge the patches.

use std::path::Path;
use std::process::Output;

use crate::audit::{mindelta, write};

/// A one-package workspace whose `mindelta.yaml` holds `config`.
fn workspace(root: &Path, config: &[u8]) {
    write(&root.join("upstream/demo-1.0/a.txt"), "a\n");
    write(
        &root.join("patches/demo/0001.patch"),
        "--- a/a.txt\n+++ b/a.txt\n@@ -1 +1,2 @@\n a\n+b\n",
    );
    write(
        &root.join("patches/demo/package.yaml"),
        "upstream:\n  version: \"1.0\"\n  dir: ../../upstream/demo-{version}\npatches:\n  - file: 0001.patch\n",
    );
    std::fs::write(root.join("mindelta.yaml"), config).unwrap();
}

fn audit(config: &[u8]) -> (Output, tempfile::TempDir) {
    let temp = tempfile::tempdir().unwrap();
    workspace(temp.path(), config);
    let output = mindelta(temp.path())
        .args(["--offline", "audit", "--format", "json"])
        .output()
        .unwrap();
    (output, temp)
}

/// The audit failed with exit 1, wrote nothing on stdout, and its error contains `wanted`.
fn refused(config: &[u8], wanted: &[&str]) -> String {
    let (output, _temp) = audit(config);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(output.stdout.is_empty(), "no report: {output:?}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains("mindelta.yaml"), "names the file: {stderr}");
    for text in wanted {
        assert!(stderr.contains(text), "`{text}` in {stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn an_unknown_pack_names_the_file_the_line_and_the_packs_there_are() {
    let stderr = refused(
        b"policies:\n  - delta\n  - dep-3\n",
        &[
            "line 3",
            "no policy pack `dep-3`",
            "`delta-minimization` (or `delta`), `dep3`, `yocto`",
            "hint:",
        ],
    );
    assert!(!stderr.contains("line 2"), "{stderr}");
}

#[test]
fn wrong_types_unknown_keys_and_repeats_are_located() {
    refused(b"policies: dep3\n", &["line 1"]);
    refused(b"# packs\npolicies:\n  - {dep3: true}\n", &["line 3"]);
    refused(
        b"policies: [delta]\npolices: [dep3]\n",
        &["line 2", "polices"],
    );
    refused(
        b"policies:\n  - yocto\n  - yocto\n",
        &["line 3", "already listed on line 2"],
    );
    refused(b"policies: [\"two words\"]\n", &["line 1", "`two words`"]);
    refused(b"policies: [delta\n", &["mindelta.yaml"]);
}

#[test]
fn a_huge_binary_or_unreadable_file_is_refused_not_read_whole() {
    let mut huge = b"policies:\n".to_vec();
    while huge.len() < 200 << 10 {
        huge.extend_from_slice(b"  # padding padding padding padding padding padding\n");
    }
    refused(&huge, &["larger than 65536 bytes"]);
    refused(b"policies: [\xff\xfe]\n", &["not UTF-8"]);
    // A folder where the file should be.
    let temp = tempfile::tempdir().unwrap();
    workspace(temp.path(), b"");
    std::fs::remove_file(temp.path().join("mindelta.yaml")).unwrap();
    std::fs::create_dir(temp.path().join("mindelta.yaml")).unwrap();
    let output = mindelta(temp.path())
        .args(["--offline", "audit"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot read") && stderr.contains("mindelta.yaml"),
        "{stderr}"
    );
}

#[test]
fn an_alias_bomb_is_refused_without_being_expanded() {
    // Nine levels of ten aliases each: a billion strings if expanded.
    let mut bomb = String::from("policies:\n  - &a [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..9u8 {
        let previous = (b'a' + level - 1) as char;
        let name = (b'a' + level) as char;
        let items = vec![format!("*{previous}"); 10].join(", ");
        bomb.push_str(&format!("  - &{name} [{items}]\n"));
    }
    refused(bomb.as_bytes(), &["line 2"]);
}

#[test]
fn an_empty_or_comment_only_file_changes_nothing() {
    let (output, _temp) = audit(b"# settings to come\n");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("built-in packs"),
        "{output:?}"
    );
}

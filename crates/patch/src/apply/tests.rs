//! Unit tests of the applier, on hand-built patches and temporary trees.

use super::*;
use crate::dotgit::GitPathError;
use crate::model::Line;

/// A hunk from unified text: a `@@ -a,b +c,d @@` line, then ` `/`-`/`+` lines; a `\` line
/// strips the terminator of the line before it.
fn hunk(text: &str) -> Hunk {
    let mut rows = text.split_inclusive('\n');
    let header = rows.next().expect("header");
    let ranges: Vec<(usize, usize)> = header
        .trim_start_matches("@@ ")
        .split(" @@")
        .next()
        .expect("ranges")
        .split(' ')
        .map(|range| {
            let mut parts = range[1..].split(',');
            let start = parts.next().expect("start").parse().expect("number");
            let count = parts.next().map_or(1, |c| c.parse().expect("number"));
            (start, count)
        })
        .collect();
    let mut lines: Vec<Line> = Vec::new();
    for row in rows {
        let (kind, body) = row.split_at(1);
        let kind = match kind {
            " " => LineKind::Context,
            "-" => LineKind::Remove,
            "+" => LineKind::Add,
            _ => {
                let last = lines.last_mut().expect("line before marker");
                last.text.pop();
                last.no_newline_marker = Some(row.as_bytes().to_vec());
                continue;
            }
        };
        lines.push(Line {
            kind,
            text: body.as_bytes().to_vec(),
            no_newline_marker: None,
        });
    }
    Hunk {
        old_start: ranges[0].0,
        old_count: ranges[0].1,
        new_start: ranges[1].0,
        new_count: ranges[1].1,
        header_line: header.as_bytes().to_vec(),
        lines,
        missing_context: 0,
    }
}

fn file_patch(old: Option<&str>, new: Option<&str>, hunks: &[&str]) -> FilePatch {
    FilePatch {
        git: true,
        old_path: old.map(|p| format!("a/{p}").into_bytes()),
        new_path: new.map(|p| format!("b/{p}").into_bytes()),
        is_new: old.is_none(),
        is_delete: new.is_none(),
        hunks: hunks.iter().map(|h| hunk(h)).collect(),
        ..FilePatch::default()
    }
}

fn patch(files: Vec<FilePatch>) -> Patch {
    Patch {
        files,
        ..Patch::default()
    }
}

fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, content) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, content).expect("write");
    }
    dir
}

fn read(dir: &tempfile::TempDir, path: &str) -> String {
    std::fs::read_to_string(dir.path().join(path)).expect("read")
}

const TEN: &str = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n";

const CHANGE_FIVE: &str = "@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n";

#[test]
fn applies_in_memory_and_writes_once() {
    let dir = tree(&[("x.txt", TEN)]);
    let mut work = WorkTree::open(dir.path()).unwrap();
    let result = work
        .apply(
            &patch(vec![file_patch(
                Some("x.txt"),
                Some("x.txt"),
                &[CHANGE_FIVE],
            )]),
            &ApplyOptions::default(),
        )
        .unwrap();
    assert_eq!(result.files[0].change, FileChange::Modified);
    assert_eq!(
        result.files[0].hunks,
        vec![Placement {
            index: 1,
            line: 2,
            offset: 0,
            fuzz: 0
        }]
    );
    assert_eq!(
        read(&dir, "x.txt"),
        TEN,
        "nothing is written before `write`"
    );
    let summary = work.write().unwrap();
    assert_eq!(
        summary,
        WriteSummary {
            written: 1,
            deleted: 0
        }
    );
    assert_eq!(read(&dir, "x.txt"), TEN.replace("5\n", "five\n"));
}

#[test]
fn reports_offsets_and_shifts_later_hunks() {
    let dir = tree(&[("x.txt", &format!("a\nb\nc\n{TEN}"))]);
    let hunks = [CHANGE_FIVE, "@@ -9,2 +9,2 @@\n-9\n+nine\n 10\n"];
    let mut work = WorkTree::open(dir.path()).unwrap();
    let result = work
        .apply(
            &patch(vec![file_patch(Some("x.txt"), Some("x.txt"), &hunks)]),
            &ApplyOptions::default(),
        )
        .unwrap();
    let offsets: Vec<isize> = result.files[0].hunks.iter().map(|p| p.offset).collect();
    assert_eq!(offsets, vec![3, 3]);
    assert_eq!(result.files[0].hunks[1].line, 12);
    work.write().unwrap();
    assert!(read(&dir, "x.txt").ends_with("8\nnine\n10\n"));
}

#[test]
fn fuzz_is_off_by_default_and_reported_when_used() {
    let dir = tree(&[("x.txt", &TEN.replace("2\n", "two\n"))]);
    let file = patch(vec![file_patch(
        Some("x.txt"),
        Some("x.txt"),
        &[CHANGE_FIVE],
    )]);
    let mut work = WorkTree::open(dir.path()).unwrap();
    let error = work.apply(&file, &ApplyOptions::default()).unwrap_err();
    assert!(
        matches!(
            error,
            ApplyError::HunkFailed {
                hunk: 1,
                line: 2,
                ..
            }
        ),
        "{error:?}"
    );
    let options = ApplyOptions {
        fuzz: 2,
        ..ApplyOptions::default()
    };
    let result = work.apply(&file, &options).unwrap();
    assert_eq!(result.files[0].hunks[0].fuzz, 1);
    work.write().unwrap();
    assert_eq!(
        read(&dir, "x.txt"),
        TEN.replace("2\n", "two\n").replace("5\n", "five\n")
    );
}

#[test]
fn failed_hunk_names_the_closest_match() {
    let dir = tree(&[("x.txt", &TEN.replace("5\n", "FIVE\n"))]);
    let mut work = WorkTree::open(dir.path()).unwrap();
    let error = work
        .apply(
            &patch(vec![file_patch(
                Some("x.txt"),
                Some("x.txt"),
                &[CHANGE_FIVE],
            )]),
            &ApplyOptions::default(),
        )
        .unwrap_err();
    let ApplyError::HunkFailed {
        file,
        hunk,
        line,
        hunk_text,
        closest,
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!((file.as_str(), *hunk, *line), ("x.txt", 1, 2));
    assert!(hunk_text.contains("-5\n+five\n"));
    let closest = closest.as_ref().expect("closest");
    assert_eq!((closest.line, closest.matching_lines), (2, 6));
    assert!(closest.text.contains("FIVE"));
    assert_eq!(
        error.to_string(),
        "hunk #1 of `x.txt` does not apply at line 2"
    );
}

#[test]
fn failing_patch_changes_nothing() {
    let dir = tree(&[("x.txt", TEN), ("y.txt", "y\n")]);
    let mut work = WorkTree::open(dir.path()).unwrap();
    let bad = patch(vec![
        file_patch(Some("x.txt"), Some("x.txt"), &[CHANGE_FIVE]),
        file_patch(
            Some("y.txt"),
            Some("y.txt"),
            &["@@ -1 +1 @@\n-nope\n+yes\n"],
        ),
    ]);
    assert!(work.apply(&bad, &ApplyOptions::default()).is_err());
    // The first file's change was not kept: the same hunk still applies at its place.
    let good = patch(vec![file_patch(
        Some("x.txt"),
        Some("x.txt"),
        &[CHANGE_FIVE],
    )]);
    work.apply(&good, &ApplyOptions::default()).unwrap();
    assert_eq!(work.write().unwrap().written, 1);
}

#[test]
fn applying_twice_is_refused_as_already_applied() {
    let dir = tree(&[("x.txt", TEN)]);
    let once = patch(vec![file_patch(
        Some("x.txt"),
        Some("x.txt"),
        &[CHANGE_FIVE],
    )]);
    let mut work = WorkTree::open(dir.path()).unwrap();
    work.apply(&once, &ApplyOptions::default()).unwrap();
    let error = work
        .apply(
            &once,
            &ApplyOptions {
                fuzz: 3,
                ..ApplyOptions::default()
            },
        )
        .unwrap_err();
    assert!(
        matches!(error, ApplyError::AlreadyApplied { .. }),
        "{error:?}"
    );
}

#[test]
fn post_image_at_its_place_blocks_an_offset_match() {
    // The pre-image also occurs further down: GNU patch would apply there a second time.
    let block = "x\ny\nz\na\nb\nc\n";
    let content = format!(
        "{}{}{block}",
        block.replace("z\n", "z\nnew\n"),
        "\n".repeat(5)
    );
    let dir = tree(&[("x.txt", &content)]);
    let add_with_tail = "@@ -1,6 +1,7 @@\n x\n y\n z\n+new\n a\n b\n c\n";
    let mut work = WorkTree::open(dir.path()).unwrap();
    let error = work
        .apply(
            &patch(vec![file_patch(
                Some("x.txt"),
                Some("x.txt"),
                &[add_with_tail],
            )]),
            &ApplyOptions::default(),
        )
        .unwrap_err();
    assert!(
        matches!(error, ApplyError::AlreadyApplied { .. }),
        "{error:?}"
    );
}

#[test]
fn pure_addition_at_end_of_file_is_not_applied_twice() {
    let dir = tree(&[("x.txt", "a\nb\nc\n")]);
    let add = patch(vec![file_patch(
        Some("x.txt"),
        Some("x.txt"),
        &["@@ -2,2 +2,3 @@\n b\n c\n+d\n"],
    )]);
    let mut work = WorkTree::open(dir.path()).unwrap();
    work.apply(&add, &ApplyOptions::default()).unwrap();
    let error = work.apply(&add, &ApplyOptions::default()).unwrap_err();
    assert!(
        matches!(error, ApplyError::AlreadyApplied { .. }),
        "{error:?}"
    );
    work.write().unwrap();
    assert_eq!(read(&dir, "x.txt"), "a\nb\nc\nd\n");
}

#[test]
fn partial_application_is_a_hunk_failure_not_already_applied() {
    let dir = tree(&[("x.txt", &TEN.replace("5\n", "five\n"))]);
    let two = patch(vec![file_patch(
        Some("x.txt"),
        Some("x.txt"),
        &[CHANGE_FIVE, "@@ -9,2 +9,2 @@\n-9\n+nine\n 10\n"],
    )]);
    let mut work = WorkTree::open(dir.path()).unwrap();
    let error = work.apply(&two, &ApplyOptions::default()).unwrap_err();
    assert!(
        matches!(error, ApplyError::HunkFailed { hunk: 1, .. }),
        "{error:?}"
    );
}

#[test]
fn new_and_deleted_files() {
    let dir = tree(&[("gone/old.txt", "bye\n"), ("keep.txt", "k\n")]);
    let mut work = WorkTree::open(dir.path()).unwrap();
    let change = patch(vec![
        file_patch(
            None,
            Some("sub/new.txt"),
            &["@@ -0,0 +1,2 @@\n+hello\n+world\n"],
        ),
        file_patch(Some("gone/old.txt"), None, &["@@ -1 +0,0 @@\n-bye\n"]),
    ]);
    let result = work.apply(&change, &ApplyOptions::default()).unwrap();
    assert_eq!(result.files[0].change, FileChange::Created);
    assert_eq!(result.files[1].change, FileChange::Deleted);
    let again = work.apply(&change, &ApplyOptions::default()).unwrap_err();
    assert!(
        matches!(again, ApplyError::AlreadyApplied { .. }),
        "{again:?}"
    );
    assert_eq!(
        work.write().unwrap(),
        WriteSummary {
            written: 1,
            deleted: 1
        }
    );
    assert_eq!(read(&dir, "sub/new.txt"), "hello\nworld\n");
    assert!(!dir.path().join("gone").exists(), "emptied folder removed");
}

#[test]
fn deletion_checks_the_content() {
    let dir = tree(&[("x.txt", "one\ntwo\n")]);
    let mut work = WorkTree::open(dir.path()).unwrap();
    let delete = patch(vec![file_patch(
        Some("x.txt"),
        None,
        &["@@ -1 +0,0 @@\n-one\n"],
    )]);
    let error = work.apply(&delete, &ApplyOptions::default()).unwrap_err();
    assert!(
        matches!(
            error,
            ApplyError::HunkFailed { .. } | ApplyError::Mismatch { .. }
        ),
        "{error:?}"
    );
}

#[test]
fn new_file_over_different_content_is_refused() {
    let dir = tree(&[("x.txt", "other\n")]);
    let mut work = WorkTree::open(dir.path()).unwrap();
    let create = patch(vec![file_patch(
        None,
        Some("x.txt"),
        &["@@ -0,0 +1 @@\n+hello\n"],
    )]);
    let error = work.apply(&create, &ApplyOptions::default()).unwrap_err();
    assert!(matches!(error, ApplyError::FileExists { .. }), "{error:?}");
}

#[test]
fn no_newline_at_end_and_crlf() {
    let dir = tree(&[("a.txt", "one\ntwo"), ("b.txt", "one\r\ntwo\r\n")]);
    let mut work = WorkTree::open(dir.path()).unwrap();
    let change = patch(vec![
        file_patch(
            Some("a.txt"),
            Some("a.txt"),
            &["@@ -1,2 +1,2 @@\n one\n-two\n\\ No newline at end of file\n+two\n"],
        ),
        file_patch(
            Some("b.txt"),
            Some("b.txt"),
            &["@@ -1,2 +1,2 @@\n one\r\n-two\r\n+2\r\n"],
        ),
    ]);
    work.apply(&change, &ApplyOptions::default()).unwrap();
    work.write().unwrap();
    assert_eq!(read(&dir, "a.txt"), "one\ntwo\n");
    assert_eq!(read(&dir, "b.txt"), "one\r\n2\r\n");
}

#[test]
fn reverse_undoes_a_patch() {
    let dir = tree(&[("x.txt", TEN)]);
    let change = patch(vec![file_patch(
        Some("x.txt"),
        Some("x.txt"),
        &[CHANGE_FIVE],
    )]);
    let mut work = WorkTree::open(dir.path()).unwrap();
    work.apply(&change, &ApplyOptions::default()).unwrap();
    work.apply(
        &change,
        &ApplyOptions {
            reverse: true,
            ..ApplyOptions::default()
        },
    )
    .unwrap();
    work.write().unwrap();
    assert_eq!(read(&dir, "x.txt"), TEN);
}

#[cfg(unix)]
#[test]
fn rename_with_mode_change_strips_setuid() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tree(&[("old.sh", "echo hi\n")]);
    let mut file = file_patch(Some("old.sh"), Some("new.sh"), &[]);
    file.rename = Some((b"old.sh".to_vec(), b"new.sh".to_vec()));
    file.old_mode = Some(0o100644);
    file.new_mode = Some(0o104755);
    let mut work = WorkTree::open(dir.path()).unwrap();
    let result = work
        .apply(&patch(vec![file]), &ApplyOptions::default())
        .unwrap();
    assert_eq!(
        result.files[0].change,
        FileChange::Renamed {
            from: "old.sh".into()
        }
    );
    work.write().unwrap();
    assert!(!dir.path().join("old.sh").exists());
    let mode = std::fs::metadata(dir.path().join("new.sh"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o7777, 0o755);
}

#[cfg(unix)]
#[test]
fn symlinks_must_stay_inside_the_tree() {
    let dir = tree(&[]);
    let link = |target: &str| {
        let mut file = file_patch(
            None,
            Some("d/link"),
            &[&format!(
                "@@ -0,0 +1 @@\n+{target}\n\\ No newline at end of file\n"
            )],
        );
        file.new_mode = Some(0o120000);
        patch(vec![file])
    };
    let mut work = WorkTree::open(dir.path()).unwrap();
    for bad in ["/etc/passwd", "../../x", "../.."] {
        let error = work
            .apply(&link(bad), &ApplyOptions::default())
            .unwrap_err();
        assert!(
            matches!(error, ApplyError::Unsafe { .. }),
            "{bad}: {error:?}"
        );
    }
    work.apply(&link("../file"), &ApplyOptions::default())
        .unwrap();
    // A later path through the new link is refused even before it is on disk.
    let through = patch(vec![file_patch(
        None,
        Some("d/link/x"),
        &["@@ -0,0 +1 @@\n+x\n"],
    )]);
    let error = work.apply(&through, &ApplyOptions::default()).unwrap_err();
    assert!(matches!(error, ApplyError::Unsafe { .. }), "{error:?}");
    work.write().unwrap();
    let target = std::fs::read_link(dir.path().join("d/link")).unwrap();
    assert_eq!(target, PathBuf::from("../file"));
}

#[test]
fn refuses_absolute_and_parent_paths() {
    let dir = tree(&[]);
    let mut work = WorkTree::open(dir.path()).unwrap();
    for bad in ["/tmp/x", "../x", "a/../../x"] {
        let mut file = file_patch(None, Some("x"), &["@@ -0,0 +1 @@\n+x\n"]);
        file.new_path = Some(format!("b/{bad}").replace("b//", "/").into_bytes());
        if bad.starts_with('/') {
            file.new_path = Some(bad.as_bytes().to_vec());
        }
        let options = ApplyOptions {
            strip: 0,
            ..ApplyOptions::default()
        };
        let error = work.apply(&patch(vec![file]), &options).unwrap_err();
        assert!(
            matches!(error, ApplyError::Unsafe { .. }),
            "{bad}: {error:?}"
        );
    }
}

#[test]
fn check_changes_nothing() {
    let dir = tree(&[("x.txt", TEN)]);
    let change = patch(vec![file_patch(
        Some("x.txt"),
        Some("x.txt"),
        &[CHANGE_FIVE],
    )]);
    let mut work = WorkTree::open(dir.path()).unwrap();
    work.check(&change, &ApplyOptions::default()).unwrap();
    // Still applies afterwards (the check staged nothing), and only once.
    work.apply(&change, &ApplyOptions::default()).unwrap();
    assert!(work.check(&change, &ApplyOptions::default()).is_err());
}

#[test]
fn binary_without_payload_is_refused() {
    use crate::model::BinaryPatch;
    let dir = tree(&[("x.bin", "\0")]);
    let mut file = file_patch(Some("x.bin"), Some("x.bin"), &[]);
    file.binary = Some(BinaryPatch {
        raw: vec![b"Binary files a/x.bin and b/x.bin differ\n".to_vec()],
        forward: None,
        reverse: None,
    });
    let mut work = WorkTree::open(dir.path()).unwrap();
    let error = work
        .apply(&patch(vec![file]), &ApplyOptions::default())
        .unwrap_err();
    assert!(matches!(error, ApplyError::Binary { .. }), "{error:?}");
}

#[test]
fn refuses_dot_git_paths_after_stripping() {
    // Hand-built patches never met the parser: the applier checks the stripped paths itself.
    let dir = tree(&[("x.txt", "x\n")]);
    let mut work = WorkTree::open(dir.path()).unwrap();
    for bad in [
        ".git/config",
        "sub/.GIT/hooks/x",
        "git~1/config",
        ".git. /x",
    ] {
        let created = patch(vec![file_patch(None, Some(bad), &["@@ -0,0 +1 @@\n+x\n"])]);
        let error = work.apply(&created, &ApplyOptions::default()).unwrap_err();
        assert!(
            matches!(
                error,
                ApplyError::Unsafe {
                    reason: Refusal::Git(GitPathError::DotGit(_)),
                    ..
                }
            ),
            "{bad}: {error:?}"
        );
    }
    // Both sides of a rename and of a copy.
    for (from, to) in [
        ("x.txt", ".git/hooks/pre-commit"),
        (".git/config", "leak.txt"),
    ] {
        let mut file = file_patch(Some(from), Some(to), &[]);
        file.copy = Some((from.as_bytes().to_vec(), to.as_bytes().to_vec()));
        let error = work.apply(&patch(vec![file]), &ApplyOptions::default());
        assert!(
            matches!(error, Err(ApplyError::Unsafe { .. })),
            "{from} -> {to}: {error:?}"
        );
    }
    // A link named `.gitmodules`, also when an existing link is only renamed to it.
    let mut link = file_patch(None, Some(".gitmodules"), &["@@ -0,0 +1 @@\n+x.txt\n"]);
    link.new_mode = Some(SYMLINK);
    let error = work.apply(&patch(vec![link]), &ApplyOptions::default());
    assert!(
        matches!(
            error,
            Err(ApplyError::Unsafe {
                reason: Refusal::Git(GitPathError::GitmodulesLink(_)),
                ..
            })
        ),
        "{error:?}"
    );
    work.write().unwrap();
    assert!(!dir.path().join(".git").exists());
    assert!(!dir.path().join(".gitmodules").exists());
}

#[test]
fn link_targets_are_followed_through_every_link_of_the_tree() {
    let dir = tree(&[("a/file", "x\n"), ("d/keep", "x\n")]);
    std::os::unix::fs::symlink("d/m/..", dir.path().join("l")).unwrap();
    let link = |path: &str, target: &str| {
        let mut file = file_patch(
            None,
            Some(path),
            &[&format!(
                "@@ -0,0 +1 @@\n+{target}\n\\ No newline at end of file\n"
            )],
        );
        file.new_mode = Some(SYMLINK);
        file
    };
    let mut work = WorkTree::open(dir.path()).unwrap();
    // Each link alone stays in the tree; the second through the first does not.
    work.apply(&patch(vec![link("a/s1", "..")]), &ApplyOptions::default())
        .unwrap();
    let error = work
        .apply(
            &patch(vec![link("a/s2", "s1/..")]),
            &ApplyOptions::default(),
        )
        .unwrap_err();
    assert!(
        matches!(
            &error,
            ApplyError::Unsafe {
                reason: Refusal::LinkEscapes { via: Some(via), .. },
                ..
            } if via == "a/s1"
        ),
        "{error:?}"
    );
    // `d/m -> ..` stays in the tree, but sends the link `l -> d/m/..` already on disk out.
    let error = work
        .apply(&patch(vec![link("d/m", "..")]), &ApplyOptions::default())
        .unwrap_err();
    assert!(
        matches!(&error, ApplyError::Unsafe { path, .. } if path == "l"),
        "{error:?}"
    );
    // Links that loop, and links into `.git`.
    let error = work
        .apply(
            &patch(vec![link("x", "y"), link("y", "x")]),
            &ApplyOptions::default(),
        )
        .unwrap_err();
    assert!(
        matches!(
            error,
            ApplyError::Unsafe {
                reason: Refusal::LinkLoop { .. },
                ..
            }
        ),
        "{error:?}"
    );
    let error = work
        .apply(
            &patch(vec![link("g", "a/.Git/hooks")]),
            &ApplyOptions::default(),
        )
        .unwrap_err();
    assert!(
        matches!(
            error,
            ApplyError::Unsafe {
                reason: Refusal::LinkIntoGit { .. },
                ..
            }
        ),
        "{error:?}"
    );
    work.write().unwrap();
    assert_eq!(
        std::fs::read_link(dir.path().join("a/s1")).unwrap(),
        PathBuf::from("..")
    );
    assert!(!dir.path().join("a/s2").exists() && !dir.path().join("d/m").exists());
}

#[test]
fn a_link_already_out_of_the_tree_is_not_the_patch_s_doing() {
    // `apply -C` on a tree that already holds a link out of it still applies links that stay in.
    let dir = tree(&[("x.txt", "x\n")]);
    std::os::unix::fs::symlink("/usr/share", dir.path().join("share")).unwrap();
    let mut file = file_patch(
        None,
        Some("here"),
        &["@@ -0,0 +1 @@\n+x.txt\n\\ No newline at end of file\n"],
    );
    file.new_mode = Some(SYMLINK);
    let mut work = WorkTree::open(dir.path()).unwrap();
    work.apply(&patch(vec![file]), &ApplyOptions::default())
        .unwrap();
    work.write().unwrap();
    assert_eq!(
        std::fs::read_link(dir.path().join("here")).unwrap(),
        PathBuf::from("x.txt")
    );
}

#[test]
fn a_binary_literal_shares_its_bytes_and_budget_with_the_tree() {
    use crate::model::{BinaryHunk, BinaryPatch};
    let dir = tree(&[]);
    let data = crate::budget::Payload::reserve(b"\0binary\0".to_vec()).unwrap();
    let mut file = file_patch(None, Some("x.bin"), &[]);
    file.binary = Some(BinaryPatch {
        raw: Vec::new(),
        forward: Some(BinaryHunk {
            kind: BinaryKind::Literal,
            size: data.len(),
            data: data.clone(),
        }),
        reverse: None,
    });
    let mut work = WorkTree::open(dir.path()).unwrap();
    work.apply(&patch(vec![file]), &ApplyOptions::default())
        .unwrap();
    let Slot::File(state) = work
        .tree
        .lookup(&Stage::default(), Path::new("x.bin"))
        .unwrap()
    else {
        panic!("x.bin is staged");
    };
    assert!(Arc::ptr_eq(&state.content, &data.shared()), "no copy");
    assert!(state.reservation.is_some());
    work.write().unwrap();
    assert_eq!(
        std::fs::read(dir.path().join("x.bin")).unwrap(),
        b"\0binary\0"
    );
}

//! Unit tests of the parser, on small inputs.

use super::*;

fn one(input: &[u8]) -> Patch {
    let mut patches = parse_patches(input).unwrap();
    assert_eq!(patches.len(), 1);
    patches.remove(0)
}

#[test]
fn parses_git_diff_with_header() {
    let input = b"From: A <a@example.org>\nSubject: fix\n\n---\n x | 2 +-\n\ndiff --git a/x b/x\nindex 1234567..89abcde 100644\n--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n-- \n2.43.0\n";
    let patch = one(input);
    assert!(patch.header.ends_with(b" x | 2 +-\n\n"));
    assert_eq!(patch.trailer, b"-- \n2.43.0\n");
    let file = &patch.files[0];
    assert!(file.git);
    assert_eq!(file.old_path.as_deref(), Some(&b"a/x"[..]));
    assert_eq!(file.index, Some(("1234567".into(), "89abcde".into())));
    assert_eq!(file.hunks[0].lines.len(), 3);
    assert_eq!(file.hunks[0].lines[2].kind, LineKind::Add);
}

#[test]
fn removed_line_that_looks_like_a_signature_stays_in_the_hunk() {
    let input = b"--- a/x\n+++ b/x\n@@ -1,2 +1 @@\n-- \n a\n";
    let patch = one(input);
    let hunk = &patch.files[0].hunks[0];
    assert_eq!(hunk.lines[0].kind, LineKind::Remove);
    assert_eq!(hunk.lines[0].text, b"- \n");
    assert_eq!(hunk.new_count, 1);
}

#[test]
fn no_newline_marker_removes_terminator() {
    let input = b"--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+b\r\n";
    let patch = one(input);
    let lines = &patch.files[0].hunks[0].lines;
    assert_eq!(lines[0].text, b"a");
    assert!(lines[0].no_newline_marker.is_some());
    assert_eq!(lines[1].text, b"b\r\n");
}

#[test]
fn quilt_preamble_and_timestamps() {
    let input = b"Index: pkg/src/x.c\n===================================================================\n--- pkg.orig/src/x.c\t2020-01-01 00:00:00.000000000 +0000\n+++ pkg/src/x.c\t2020-01-02 00:00:00.000000000 +0000\n@@ -1 +1 @@\n-a\n+b\n";
    let file = &one(input).files[0];
    assert_eq!(file.preamble.len(), 2);
    assert_eq!(file.old_path.as_deref(), Some(&b"pkg.orig/src/x.c"[..]));
    assert!(!file.git);
}

#[test]
fn diff_n_epoch_is_a_new_file() {
    let input = b"diff -urN a/n b/n\n--- a/n\t1970-01-01 00:00:00.000000000 +0000\n+++ b/n\t2020-01-02 00:00:00.000000000 +0000\n@@ -0,0 +1 @@\n+b\n";
    let file = &one(input).files[0];
    assert!(file.is_new);
    assert_eq!(file.old_target(1), None);
}

#[test]
fn git_rename_and_mode_only() {
    let input = b"diff --git a/old name b/new name\nsimilarity index 100%\nrename from old name\nrename to new name\ndiff --git a/m b/m\nold mode 100644\nnew mode 100755\n";
    let patch = one(input);
    assert_eq!(patch.files.len(), 2);
    assert_eq!(
        patch.files[0].rename,
        Some((b"old name".to_vec(), b"new name".to_vec()))
    );
    assert_eq!(patch.files[1].old_mode, Some(0o100644));
    assert_eq!(patch.files[1].new_mode, Some(0o100755));
}

#[test]
fn quoted_paths() {
    let input = b"diff --git \"a/t\\303\\251st\" \"b/t\\303\\251st\"\nnew file mode 100644\n--- /dev/null\n+++ \"b/t\\303\\251st\"\n@@ -0,0 +1 @@\n+x\n";
    let file = &one(input).files[0];
    assert!(file.is_new);
    assert_eq!(file.new_path.as_deref(), Some("b/tést".as_bytes()));
    assert_eq!(file.old_path, None);
}

#[test]
fn mbox_splits_into_patches() {
    let mail = |n: u8| {
        format!(
            "From {} Mon Sep 17 00:00:00 2001\nSubject: [PATCH {n}/2] x\n\n---\ndiff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n-- \n2.43.0\n\n",
            "a".repeat(40)
        )
    };
    let input = format!("{}{}", mail(1), mail(2));
    let patches = parse_patches(input.as_bytes()).unwrap();
    assert_eq!(patches.len(), 2);
    assert_eq!(patches[1].trailer, b"-- \n2.43.0\n\n");
}

#[test]
fn errors_name_the_line() {
    let short = b"--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n-b\n";
    assert_eq!(parse_patches(short).unwrap_err().line, 3);
    let garbage = b"--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\ngarbage\n";
    assert_eq!(parse_patches(garbage).unwrap_err().line, 5);
    let ed = b"1,3c\nfoo\n.\n";
    let err = parse_patches(ed).unwrap_err();
    assert_eq!(err.line, 1);
    assert!(err.message.contains("ed script"));
    let normal = b"2c2\n< a\n---\n> b\n";
    assert!(
        parse_patches(normal)
            .unwrap_err()
            .message
            .contains("normal diff")
    );
}

#[test]
fn stripped_empty_context_line_is_read_as_context() {
    let input = b"--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n\n-b\n+c\n";
    let lines = &one(input).files[0].hunks[0].lines;
    assert_eq!(lines[1].kind, LineKind::Context);
    assert_eq!(lines[1].text, b"\n");
}

#[test]
fn prose_between_diffs_goes_to_the_next_preamble() {
    let input = b"--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\nsome words\n--- a/y\n+++ b/y\n@@ -1 +1 @@\n-a\n+b\n";
    let patch = one(input);
    assert_eq!(patch.files[1].preamble, vec![b"some words\n".to_vec()]);
}

#[test]
fn a_hunk_short_of_up_to_three_context_lines_at_the_end_counts_them_as_missing_context() {
    // GNU patch 2.7 applies these ("assume blank lines got chopped"). They anchor the hunk as
    // trailing context does, and no text is made up for them: written back, the patch is the
    // input.
    for missing in 1..=MAX_CHOPPED_LINES {
        let count = 2 + missing;
        let input = format!("--- a/x\n+++ b/x\n@@ -1,{count} +1,{count} @@\n a\n-b\n+c\n");
        let patch = one(input.as_bytes());
        let hunk = &patch.files[0].hunks[0];
        assert_eq!(hunk.lines.len(), 3, "{input}");
        assert_eq!(hunk.missing_context, missing);
        assert_eq!(hunk.context_lengths(), (1, missing));
        assert_eq!(crate::write::write_patch(&patch), input.as_bytes());
    }
    // One more is GNU patch's "unexpected end of file in patch".
    let input = b"--- a/x\n+++ b/x\n@@ -1,6 +1,6 @@\n a\n-b\n+c\n";
    let error = parse_patches(input).unwrap_err();
    assert_eq!(error.line, 3);
    assert!(error.message.contains("hunk ends early"), "{error}");
    // Only context can be missing, and only at the end of the input.
    assert!(parse_patches(b"--- a/x\n+++ b/x\n@@ -1,2 +1,3 @@\n a\n-b\n+c\n").is_err());
    assert!(
        parse_patches(b"--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n-b\n+c\ndiff --git a/y b/y\n")
            .is_err()
    );
}

#[test]
fn index_lines_whose_ids_are_not_hex_are_left_unread_as_git_leaves_them() {
    let input = b"diff --git a/x b/x\nindex 1234567..abcdefg 100644\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n";
    let patch = one(input);
    assert_eq!(patch.files[0].index, None);
    assert_eq!(
        patch.files[0].preamble[1],
        b"index 1234567..abcdefg 100644\n"
    );
    assert!(parse_patches(b"diff --git a/x b/x\nindex 1234567..89abcde 1o0644\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n").is_err());
}

#[test]
fn a_wrapped_diff_git_line_is_read_as_gnu_patch_reads_it() {
    // The rest of a long path on its own line, or an empty line, between `diff --git` and the
    // header (both seen in wolfi-os): skipped, the names taken from `---`/`+++`.
    for wrapped in [
        &b"diff --git a/dir/long-name.txt b/dir/long-na\nme.txt\n"[..],
        b"diff --git a/dir/long-name.txt b/dir/long-name.txt\n\n",
    ] {
        let mut input = wrapped.to_vec();
        input.extend_from_slice(
            b"index 1111111..2222222 100644\n--- a/dir/long-name.txt\n+++ b/dir/long-name.txt\n\
              @@ -1 +1 @@\n-a\n+b\n",
        );
        let patch = one(&input);
        let file = &patch.files[0];
        assert_eq!(file.new_path.as_deref(), Some(&b"b/dir/long-name.txt"[..]));
        assert_eq!(file.hunks.len(), 1);
        // Lossless: every line is kept, the skipped ones in the preamble.
        assert_eq!(crate::write::write_patch(&patch), input);
    }
    // Prose longer than a wrapped line, or a second file diff, is not a wrapped line: a
    // `diff --git` header that changes nothing is still an error.
    let prose =
        b"diff --git a/x b/x\none\ntwo\nthree\nfour\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n";
    assert!(parse_patches(prose).is_err());
    let empty = b"diff --git a/x b/x\ndiff --git a/y b/y\n--- a/y\n+++ b/y\n@@ -1 +1 @@\n-a\n+b\n";
    assert!(parse_patches(empty).is_err());
}

use super::*;
use crate::patch::rewrite::blob_id;

fn numbered(count: usize) -> String {
    (1..=count).map(|i| format!("line {i}\n")).collect()
}

fn series(file: &str, bytes: &[u8]) -> SeriesPatch {
    SeriesPatch {
        file: file.into(),
        strip: 1,
        bytes: bytes.to_vec(),
        hold: None,
        folder: None,
    }
}

/// Refresh `patches` over a release whose files (path, content) are written to a folder.
fn run(tree: &[(&str, &str)], patches: &[SeriesPatch], fuzz: usize) -> Vec<PatchRefresh> {
    let temp = tempfile::tempdir().unwrap();
    for (path, content) in tree {
        let full = temp.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, content).unwrap();
    }
    refresh_series(
        patches,
        &ReleaseTree::in_folder(temp),
        &RefreshOptions {
            fuzz,
            allow_conflicts: false,
        },
    )
}

const PATCH: &str = "Subject: change two lines\n\n---\ndiff --git a/f b/f\nindex 1111111..2222222 100644\n--- a/f\n+++ b/f\n@@ -2,3 +2,3 @@ section\n line 2\n-line 3\n+LINE 3\n line 4\n@@ -10,3 +10,3 @@\n line 10\n-line 11\n+LINE 11\n line 12\n-- \n2.43.0\n";

#[test]
fn a_patch_in_place_is_left_alone() {
    let base = numbered(15);
    let result = run(&[("f", &base)], &[series("p", PATCH.as_bytes())], 0);
    assert_eq!(result[0].outcome, RefreshOutcome::Unchanged);
    assert!(result[0].bytes.is_none());
    assert!(result[0].hunks.iter().all(|h| h.fate == HunkFate::Kept));
}

#[test]
fn moved_hunks_get_new_numbers_and_apply_exactly() {
    let moved = format!("new a\nnew b\n{}", numbered(15));
    let result = run(&[("f", &moved)], &[series("p", PATCH.as_bytes())], 0);
    assert_eq!(result[0].outcome, RefreshOutcome::Refreshed);
    let bytes = result[0].bytes.clone().unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(
        text.starts_with("Subject: change two lines\n\n---\n"),
        "{text}"
    );
    assert!(text.contains("@@ -4,3 +4,3 @@ section\n"), "{text}");
    assert!(text.contains("@@ -12,3 +12,3 @@\n"), "{text}");
    assert!(text.ends_with("-- \n2.43.0\n"));
    let expected_index = format!(
        "index {}..{} 100644\n",
        &blob_id(moved.as_bytes())[..7],
        &blob_id(
            moved
                .replace("line 3\n", "LINE 3\n")
                .replace("line 11\n", "LINE 11\n")
                .as_bytes()
        )[..7]
    );
    assert!(text.contains(&expected_index), "{text}");
    let parsed = parse_patches(&bytes).unwrap();
    let (_, placements) = apply_hunks(&parsed[0].files[0].hunks, moved.as_bytes(), 0).unwrap();
    assert!(placements.iter().all(|p| p.offset == 0));
}

#[test]
fn hunks_already_upstream_are_dropped_and_the_header_kept() {
    let partly = numbered(15).replace("line 3\n", "LINE 3\n");
    let result = run(&[("f", &partly)], &[series("p", PATCH.as_bytes())], 0);
    assert_eq!(result[0].outcome, RefreshOutcome::Shrunk);
    let text = String::from_utf8(result[0].bytes.clone().unwrap()).unwrap();
    assert!(text.starts_with("Subject: change two lines\n\n---\ndiff --git a/f b/f\n"));
    assert!(!text.contains("LINE 3"), "{text}");
    assert!(
        text.contains("@@ -10,3 +10,3 @@\n line 10\n-line 11\n+LINE 11\n"),
        "{text}"
    );

    let fully = partly.replace("line 11\n", "LINE 11\n");
    let result = run(&[("f", &fully)], &[series("p", PATCH.as_bytes())], 0);
    assert_eq!(result[0].outcome, RefreshOutcome::Expired);
    assert!(result[0].bytes.is_none());
}

#[test]
fn changed_context_is_a_conflict_unless_fuzz_is_allowed() {
    let changed = numbered(15).replace("line 4\n", "line four\n");
    let result = run(&[("f", &changed)], &[series("p", PATCH.as_bytes())], 0);
    assert_eq!(result[0].outcome, RefreshOutcome::Conflict);
    assert!(result[0].bytes.is_none());
    let result = run(&[("f", &changed)], &[series("p", PATCH.as_bytes())], 1);
    assert_eq!(result[0].outcome, RefreshOutcome::Refreshed);
    let text = String::from_utf8(result[0].bytes.clone().unwrap()).unwrap();
    assert!(
        text.contains(" line 2\n-line 3\n+LINE 3\n line four\n"),
        "{text}"
    );
    assert_eq!(result[0].hunks[0].fate, HunkFate::Recontexted);
}

#[test]
fn later_patches_see_the_earlier_ones() {
    let first = "--- a/f\n+++ b/f\n@@ -1,2 +1,3 @@\n line 1\n+inserted\n line 2\n";
    let second = "--- a/f\n+++ b/f\n@@ -3,3 +3,3 @@\n line 2\n-line 3\n+LINE 3\n line 4\n";
    let base = numbered(6);
    let result = run(
        &[("f", &base)],
        &[
            series("1", first.as_bytes()),
            series("2", second.as_bytes()),
        ],
        0,
    );
    assert_eq!(result[0].outcome, RefreshOutcome::Unchanged);
    assert_eq!(result[1].outcome, RefreshOutcome::Unchanged);
    // Held back, the first patch is not seen: the second moves up a line.
    let mut held = series("1", first.as_bytes());
    held.hold = Some("verdict conflict".into());
    let result = run(&[("f", &base)], &[held, series("2", second.as_bytes())], 0);
    assert_eq!(result[0].outcome, RefreshOutcome::Conflict);
    assert_eq!(result[1].outcome, RefreshOutcome::Refreshed);
    let text = String::from_utf8(result[1].bytes.clone().unwrap()).unwrap();
    assert!(text.contains("@@ -2,3 +2,3 @@\n"), "{text}");
}

#[test]
fn trivial_hunks_prove_nothing_alone() {
    let patch = "--- a/f\n+++ b/f\n@@ -1,3 +1,4 @@\n a\n b\n+}\n c\n";
    let result = run(
        &[("f", "x\na\nb\n}\nc\n")],
        &[series("p", patch.as_bytes())],
        0,
    );
    assert_eq!(result[0].outcome, RefreshOutcome::Conflict);
}

#[test]
fn new_and_deleted_files() {
    let create = "--- /dev/null\n+++ b/n\n@@ -0,0 +1,2 @@\n+one\n+two\n";
    let result = run(&[], &[series("c", create.as_bytes())], 0);
    assert_eq!(result[0].outcome, RefreshOutcome::Unchanged);
    let result = run(&[("n", "one\ntwo\n")], &[series("c", create.as_bytes())], 0);
    assert_eq!(result[0].outcome, RefreshOutcome::Expired);
    let result = run(&[("n", "other\n")], &[series("c", create.as_bytes())], 0);
    assert_eq!(result[0].outcome, RefreshOutcome::Conflict);
    let delete = "--- a/d\n+++ /dev/null\n@@ -1 +0,0 @@\n-gone\n";
    assert_eq!(
        run(&[("d", "gone\n")], &[series("d", delete.as_bytes())], 0)[0].outcome,
        RefreshOutcome::Unchanged
    );
    assert_eq!(
        run(&[], &[series("d", delete.as_bytes())], 0)[0].outcome,
        RefreshOutcome::Expired
    );
}

/// PATCH as a change of `src/a.c`.
fn patch_of_src() -> String {
    PATCH
        .replace("a/f", "a/src/a.c")
        .replace("b/f", "b/src/a.c")
}

#[test]
fn a_patch_follows_a_file_upstream_moved() {
    let moved = format!("new a\nnew b\n{}", numbered(15));
    // `aaa/a.c` ranks before `lib/a.c` (same shared components, path order) but lacks the
    // pre-image; `src/a.c.orig` is no namesake.
    let tree = [
        ("aaa/a.c", "nothing alike\n"),
        ("lib/a.c", moved.as_str()),
        ("src/a.c.orig", moved.as_str()),
    ];
    let result = run(&tree, &[series("p", patch_of_src().as_bytes())], 0);
    assert_eq!(result[0].outcome, RefreshOutcome::Refreshed);
    let detail = result[0].detail.as_deref().unwrap();
    assert_eq!(
        detail,
        "2 hunk(s) moved; upstream moved `src/a.c` to `lib/a.c`"
    );
    for hunk in &result[0].hunks {
        assert_eq!(hunk.file, "src/a.c");
        assert_eq!(hunk.moved_to.as_deref(), Some("lib/a.c"));
        assert_eq!(hunk.fate, HunkFate::Moved);
    }
    let bytes = result[0].bytes.clone().unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(
        text.starts_with("Subject: change two lines\n\n---\ndiff --git a/lib/a.c b/lib/a.c\n"),
        "{text}"
    );
    assert!(text.contains("\n--- a/lib/a.c\n+++ b/lib/a.c\n"), "{text}");
    assert!(!text.contains("src/a.c"), "{text}");
    assert!(text.contains("@@ -4,3 +4,3 @@ section\n"), "{text}");
    assert!(text.contains("@@ -12,3 +12,3 @@\n"), "{text}");
    assert!(text.ends_with("-- \n2.43.0\n"));
    assert!(
        text.contains(&format!("index {}..", &blob_id(moved.as_bytes())[..7])),
        "{text}"
    );
    let parsed = parse_patches(&bytes).unwrap();
    assert_eq!(parsed[0].files[0].old_target(1).unwrap(), b"lib/a.c");
    let (_, placements) = apply_hunks(&parsed[0].files[0].hunks, moved.as_bytes(), 0).unwrap();
    assert!(placements.iter().all(|p| p.offset == 0));
}

#[test]
fn a_plain_diff_keeps_its_prefixes_and_timestamps_when_its_file_moved() {
    let quilt = "Index: pkg/src/a.c\n===================================================================\n--- pkg.orig/src/a.c\t2020-01-01 00:00:00.000000000 +0000\n+++ pkg/src/a.c\t2020-01-02 00:00:00.000000000 +0000\n@@ -2,3 +2,3 @@\n line 2\n-line 3\n+LINE 3\n line 4\n";
    let result = run(
        &[("lib/a.c", &numbered(6))],
        &[series("q", quilt.as_bytes())],
        0,
    );
    // Every hunk kept its lines: only the names change.
    assert_eq!(result[0].outcome, RefreshOutcome::Refreshed);
    assert_eq!(result[0].hunks[0].fate, HunkFate::Kept);
    assert_eq!(
        result[0].detail.as_deref(),
        Some("upstream moved `src/a.c` to `lib/a.c`")
    );
    let text = String::from_utf8(result[0].bytes.clone().unwrap()).unwrap();
    assert_eq!(text, quilt.replace("src/a.c", "lib/a.c"));
}

#[test]
fn hunks_already_in_the_moved_file_are_dropped() {
    let partly = numbered(15).replace("line 3\n", "LINE 3\n");
    let result = run(
        &[("lib/a.c", &partly)],
        &[series("p", patch_of_src().as_bytes())],
        0,
    );
    assert_eq!(result[0].outcome, RefreshOutcome::Shrunk);
    assert_eq!(result[0].hunks[0].fate, HunkFate::Dropped);
    assert_eq!(result[0].hunks[0].moved_to.as_deref(), Some("lib/a.c"));
    let detail = result[0].detail.as_deref().unwrap();
    assert!(
        detail.ends_with("; upstream moved `src/a.c` to `lib/a.c`"),
        "{detail}"
    );
    let text = String::from_utf8(result[0].bytes.clone().unwrap()).unwrap();
    assert!(!text.contains("LINE 3"), "{text}");
    assert!(
        text.contains("--- a/lib/a.c\n+++ b/lib/a.c\n@@ -10,3 +10,3 @@\n"),
        "{text}"
    );

    let fully = partly.replace("line 11\n", "LINE 11\n");
    let result = run(
        &[("lib/a.c", &fully)],
        &[series("p", patch_of_src().as_bytes())],
        0,
    );
    assert_eq!(result[0].outcome, RefreshOutcome::Expired);
    assert_eq!(
        result[0].detail.as_deref(),
        Some("all 2 hunks are already upstream; upstream moved `src/a.c` to `lib/a.c`")
    );
}

#[test]
fn no_namesake_holding_the_pre_image_is_a_conflict_naming_those_tried() {
    let other = numbered(15).replace("line 4\n", "line four\n");
    let tree = [("lib/a.c", other.as_str()), ("x/a.c", "nothing alike\n")];
    let patches = [series("p", patch_of_src().as_bytes())];
    let result = run(&tree, &patches, 0);
    assert_eq!(result[0].outcome, RefreshOutcome::Conflict);
    assert!(result[0].bytes.is_none());
    assert!(result[0].hunks.iter().all(|h| h.fate == HunkFate::Conflict));
    assert!(result[0].hunks.iter().all(|h| h.moved_to.is_none()));
    assert_eq!(
        result[0].detail.as_deref(),
        Some(
            "`src/a.c` does not exist; its hunks neither apply nor are upstream in the files of that name tried (`lib/a.c`, `x/a.c`)"
        )
    );
    // Fuzz, when the user allows it, places the hunk in the moved file.
    let result = run(&tree, &patches, 1);
    assert_eq!(result[0].outcome, RefreshOutcome::Refreshed);
    assert_eq!(result[0].hunks[0].fate, HunkFate::Recontexted);
    assert_eq!(result[0].hunks[0].moved_to.as_deref(), Some("lib/a.c"));
    // No file of that name at all: the conflict is as it was.
    let result = run(&[("lib/b.c", "x\n")], &patches, 0);
    assert_eq!(
        result[0].detail.as_deref(),
        Some("`src/a.c` does not exist")
    );
}

#[test]
fn later_patches_see_the_moved_file_as_the_earlier_ones_leave_it() {
    let first = "--- a/src/a.c\n+++ b/src/a.c\n@@ -1,2 +1,3 @@\n line 1\n+inserted\n line 2\n";
    let second =
        "--- a/src/a.c\n+++ b/src/a.c\n@@ -3,3 +3,3 @@\n line 2\n-line 3\n+LINE 3\n line 4\n";
    let moved = format!("new a\nnew b\n{}", numbered(6));
    let result = run(
        &[("lib/a.c", &moved)],
        &[
            series("1", first.as_bytes()),
            series("2", second.as_bytes()),
        ],
        0,
    );
    assert_eq!(result[0].outcome, RefreshOutcome::Refreshed);
    assert_eq!(result[1].outcome, RefreshOutcome::Refreshed);
    let text = String::from_utf8(result[0].bytes.clone().unwrap()).unwrap();
    assert_eq!(
        text,
        "--- a/lib/a.c\n+++ b/lib/a.c\n@@ -3,2 +3,3 @@\n line 1\n+inserted\n line 2\n"
    );
    // Two lines down for upstream's, one for the first patch's.
    let text = String::from_utf8(result[1].bytes.clone().unwrap()).unwrap();
    assert_eq!(
        text,
        "--- a/lib/a.c\n+++ b/lib/a.c\n@@ -5,3 +5,3 @@\n line 2\n-line 3\n+LINE 3\n line 4\n"
    );
}

#[test]
fn header_lines_keep_their_section() {
    let hunk = Hunk {
        header_line: b"@@ -1,3 +1,4 @@ int main(void)\n".to_vec(),
        ..Hunk::default()
    };
    assert_eq!(
        header_line(&hunk, 5, 3, 6, 1),
        b"@@ -5,3 +6 @@ int main(void)\n"
    );
}

/// `numbered(30)` with `block` after line `after`.
fn with_block(block: &str, after: usize) -> String {
    numbered(30).replace(
        &format!("line {after}\n"),
        &format!("line {after}\n{block}"),
    )
}

/// A patch that takes `block` out after line 5 (hunk 1) and puts it in after line 25 (hunk 2),
/// against `with_block(block, 5)`.
fn moving(block: &str) -> String {
    let count = block.lines().count();
    let removed: String = block.lines().map(|l| format!("-{l}\n")).collect();
    let added: String = block.lines().map(|l| format!("+{l}\n")).collect();
    format!(
        "--- a/f\n+++ b/f\n@@ -3,{} +3,6 @@\n line 3\n line 4\n line 5\n{removed} line 6\n line 7\n line 8\n@@ -{},6 +23,{} @@\n line 23\n line 24\n line 25\n{added} line 26\n line 27\n line 28\n",
        6 + count,
        23 + count,
        6 + count
    )
}

#[test]
fn a_kept_hunk_adding_back_a_block_upstream_moved_is_a_conflict() {
    let block = "int alpha(void) { return 1; }\nint beta(void) { return 2; }\n";
    let patch = moving(block);
    // On its own release, the patch is kept as it is.
    let result = run(
        &[("f", &with_block(block, 5))],
        &[series("p", patch.as_bytes())],
        0,
    );
    assert_eq!(result[0].outcome, RefreshOutcome::Unchanged);
    // Upstream moved the pair below line 15: the removal is there, the addition would define
    // both functions twice.
    let result = run(
        &[("f", &with_block(block, 15))],
        &[series("p", patch.as_bytes())],
        0,
    );
    assert_eq!(
        result[0].outcome,
        RefreshOutcome::Conflict,
        "{:?}",
        result[0]
    );
    assert!(result[0].bytes.is_none());
    let detail = result[0].detail.as_deref().unwrap();
    assert!(
        detail.contains("hunk #2 of `f` adds lines that the release already has at line 16 (the patch moves them"),
        "{detail}"
    );
    let fates: Vec<HunkFate> = result[0].hunks.iter().map(|h| h.fate).collect();
    assert_eq!(fates, [HunkFate::Dropped, HunkFate::Conflict]);
    // Upstream only deleted the pair: the patch shrinks to its addition.
    let result = run(&[("f", &numbered(30))], &[series("p", patch.as_bytes())], 0);
    assert_eq!(result[0].outcome, RefreshOutcome::Shrunk, "{:?}", result[0]);
}

#[test]
fn a_short_added_block_found_elsewhere_still_shrinks() {
    // Hunk 1 is upstream; hunk 2 adds two lines that the file has elsewhere by chance (not
    // moved by the patch, fewer than three): the patch shrinks as before.
    let patch = "--- a/f\n+++ b/f\n@@ -2,3 +2,3 @@\n line 2\n-line 3\n+LINE 3\n line 4\n@@ -20,2 +20,4 @@\n line 20\n+free(p);\n+goto out;\n line 21\n";
    let release = numbered(30)
        .replace("line 3\n", "LINE 3\n")
        .replace("line 10\n", "free(p);\ngoto out;\n");
    let result = run(&[("f", &release)], &[series("p", patch.as_bytes())], 0);
    assert_eq!(result[0].outcome, RefreshOutcome::Shrunk, "{:?}", result[0]);
}

#[test]
fn a_fix_made_twice_and_taken_once_upstream_still_shrinks() {
    // The same three-line fix in two places; upstream took the first. R holds the block once,
    // and that copy is the dropped hunk's own: the second still goes in.
    let fix = "+check(a);\n+check(b);\n+check(c);\n";
    let patch = format!(
        "--- a/f\n+++ b/f\n@@ -2,2 +2,5 @@\n line 2\n{fix} line 3\n@@ -20,2 +23,5 @@\n line 20\n{fix} line 21\n"
    );
    let release = numbered(30).replace("line 2\n", "line 2\ncheck(a);\ncheck(b);\ncheck(c);\n");
    let result = run(&[("f", &release)], &[series("p", patch.as_bytes())], 0);
    assert_eq!(result[0].outcome, RefreshOutcome::Shrunk, "{:?}", result[0]);
    // A three-line block the patch does not account for is a duplicate.
    let twice = release.replace("line 9\n", "line 9\ncheck(a);\ncheck(b);\ncheck(c);\n");
    let result = run(&[("f", &twice)], &[series("p", patch.as_bytes())], 0);
    assert_eq!(
        result[0].outcome,
        RefreshOutcome::Conflict,
        "{:?}",
        result[0]
    );
}

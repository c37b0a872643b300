//! Diff generation: two versions of a file's bytes in, one `FilePatch` out.
//!
//! Its one user in the program is the `--dry-run` display of a planned workspace edit
//! (`workspace::edit::ChangeSet::diff`); refresh and shrinking re-place the patch's own hunks
//! and never re-diff. The property tests and the apply benchmark build patches with it too.
//! The line matching is `imara-diff`'s histogram algorithm with its line post-processing;
//! grouping the changes into hunks with context, and the git-style headers, are done here so
//! the result is the patch model (`model`) that the writer turns into bytes. Lines keep their
//! terminators, so CRLF content and a missing newline at the end come out exactly.

use imara_diff::{Algorithm, Diff, InternedInput};

use crate::model::{FilePatch, Hunk, Line, LineKind, NO_NEWLINE};

/// A unified diff of two byte contents as one FilePatch (git-style `a/`/`b/` paths, `context`
/// lines of context): apply(diff(a, b), a) == b, including no-newline-at-end and CRLF.
///
/// Different paths make it a rename. Identical contents give a patch without hunks.
pub fn diff_files(
    old_path: &str,
    new_path: &str,
    old: &[u8],
    new: &[u8],
    context: usize,
) -> FilePatch {
    let input = InternedInput::new(old, new);
    let mut diff = Diff::compute(Algorithm::Histogram, &input);
    diff.postprocess_lines(&input);
    let old_lines = split_lines(old);
    let new_lines = split_lines(new);
    let changes: Vec<imara_diff::Hunk> = diff.hunks().collect();
    let hunks = group(&changes, context)
        .into_iter()
        .map(|group| hunk(group, &old_lines, &new_lines, context))
        .collect::<Vec<_>>();

    let mut preamble = vec![format!("diff --git a/{old_path} b/{new_path}\n").into_bytes()];
    let rename = (old_path != new_path).then(|| {
        preamble.push(format!("rename from {old_path}\n").into_bytes());
        preamble.push(format!("rename to {new_path}\n").into_bytes());
        (old_path.as_bytes().to_vec(), new_path.as_bytes().to_vec())
    });
    let has_hunks = !hunks.is_empty();
    FilePatch {
        preamble,
        git: true,
        old_path: Some(format!("a/{old_path}").into_bytes()),
        new_path: Some(format!("b/{new_path}").into_bytes()),
        old_line: has_hunks.then(|| format!("--- a/{old_path}\n").into_bytes()),
        new_line: has_hunks.then(|| format!("+++ b/{new_path}\n").into_bytes()),
        rename,
        hunks,
        ..FilePatch::default()
    }
}

/// Changes close enough that their contexts touch or overlap go into one hunk.
fn group(changes: &[imara_diff::Hunk], context: usize) -> Vec<&[imara_diff::Hunk]> {
    let mut groups = Vec::new();
    let mut start = 0;
    for index in 1..=changes.len() {
        let split = index == changes.len() || {
            let gap = changes[index].before.start - changes[index - 1].before.end;
            gap as usize > 2 * context
        };
        if split {
            if start < index {
                groups.push(&changes[start..index]);
            }
            start = index;
        }
    }
    groups
}

/// One hunk from a group of changes, with `context` lines around it.
fn hunk(changes: &[imara_diff::Hunk], old: &[&[u8]], new: &[&[u8]], context: usize) -> Hunk {
    let first = &changes[0];
    let last = &changes[changes.len() - 1];
    let lead = (first.before.start as usize).min(context);
    let old_begin = first.before.start as usize - lead;
    let new_begin = first.after.start as usize - lead;
    let trail = (old.len() - last.before.end as usize).min(context);
    let old_end = last.before.end as usize + trail;

    let mut lines = Vec::new();
    let mut cursor = old_begin;
    for change in changes {
        for text in &old[cursor..change.before.start as usize] {
            lines.push(line(LineKind::Context, text));
        }
        for text in &old[change.before.start as usize..change.before.end as usize] {
            lines.push(line(LineKind::Remove, text));
        }
        for text in &new[change.after.start as usize..change.after.end as usize] {
            lines.push(line(LineKind::Add, text));
        }
        cursor = change.before.end as usize;
    }
    for text in &old[cursor..old_end] {
        lines.push(line(LineKind::Context, text));
    }
    let old_count = old_end - old_begin;
    let new_count = lines.iter().filter(|l| l.kind != LineKind::Remove).count();
    let old_start = if old_count == 0 {
        old_begin
    } else {
        old_begin + 1
    };
    let new_start = if new_count == 0 {
        new_begin
    } else {
        new_begin + 1
    };
    Hunk {
        old_start,
        old_count,
        new_start,
        new_count,
        header_line: format!(
            "@@ -{} +{} @@\n",
            range(old_start, old_count),
            range(new_start, new_count)
        )
        .into_bytes(),
        lines,
        missing_context: 0,
    }
}

/// `start,count` as git writes it (`,1` left out).
fn range(start: usize, count: usize) -> String {
    if count == 1 {
        start.to_string()
    } else {
        format!("{start},{count}")
    }
}

fn line(kind: LineKind, text: &[u8]) -> Line {
    Line {
        kind,
        text: text.to_vec(),
        no_newline_marker: (!text.ends_with(b"\n")).then(|| NO_NEWLINE.to_vec()),
    }
}

fn split_lines(content: &[u8]) -> Vec<&[u8]> {
    content.split_inclusive(|&b| b == b'\n').collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apply::apply_hunks;
    use proptest::prelude::*;

    fn roundtrip(old: &[u8], new: &[u8], context: usize) {
        let patch = diff_files("f", "f", old, new, context);
        let (applied, _) = apply_hunks(&patch.hunks, old, 0).expect("diff applies to its base");
        assert_eq!(applied, new);
        let reversed = patch.reversed();
        let (back, _) = apply_hunks(&reversed.hunks, new, 0).expect("reverse applies");
        assert_eq!(back, old);
    }

    #[test]
    fn writes_git_style_hunks() {
        let patch = diff_files("x.c", "x.c", b"a\nb\nc\nd\n", b"a\nB\nc\nd\n", 1);
        assert_eq!(patch.hunks.len(), 1);
        let hunk = &patch.hunks[0];
        assert_eq!(hunk.header_line, b"@@ -1,3 +1,3 @@\n");
        assert_eq!(hunk.lines.len(), 4);
        assert_eq!(patch.old_path.as_deref(), Some(&b"a/x.c"[..]));
        assert!(
            diff_files("x", "x", b"same\n", b"same\n", 3)
                .hunks
                .is_empty()
        );
    }

    #[test]
    fn no_newline_at_end_and_crlf_survive() {
        roundtrip(b"a\nb", b"a\nb\n", 3);
        roundtrip(b"a\nb\n", b"a\nc", 3);
        roundtrip(b"a\r\nb\r\n", b"a\r\nB\r\n", 3);
        roundtrip(b"", b"x\n", 3);
        roundtrip(b"x\n", b"", 3);
        let patch = diff_files("f", "f", b"a\nb", b"a\nc", 3);
        let last = patch.hunks[0].lines.last().expect("line");
        assert_eq!(last.no_newline_marker.as_deref(), Some(NO_NEWLINE));
    }

    #[test]
    fn far_apart_changes_make_separate_hunks() {
        let old: String = (0..30).map(|i| format!("line {i}\n")).collect();
        let new = old
            .replace("line 3\n", "three\n")
            .replace("line 25\n", "twenty-five\n");
        let patch = diff_files("f", "f", old.as_bytes(), new.as_bytes(), 3);
        assert_eq!(patch.hunks.len(), 2);
        roundtrip(old.as_bytes(), new.as_bytes(), 0);
    }

    fn text() -> impl Strategy<Value = Vec<u8>> {
        // Few distinct lines, so the texts share lines and diffs have context.
        prop::collection::vec(
            prop::sample::select(vec![
                "a\n", "b\n", "c\n", "{\n", "}\n", "\n", "x\r\n", "end",
            ]),
            0..40,
        )
        .prop_map(|lines| lines.concat().into_bytes())
    }

    proptest! {
        #[test]
        fn applying_the_diff_gives_the_new_text(old in text(), new in text(), context in 0usize..4) {
            roundtrip(&old, &new, context);
        }
    }
}

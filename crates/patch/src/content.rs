//! What a hunk's changed lines carry, and whether a file already has what a hunk adds.
//!
//! A line *carries content* when it has a letter, a digit or a non-ASCII character; blank
//! lines, lone braces and punctuation do not, and finding them proves nothing (they turn up by
//! chance). The `content` expiry detector, `refresh` and the applier's double-apply guard all
//! judge lines by this one rule.
//!
//! The duplicate rule ([`duplicate`]) is shared by the `content` detector and `refresh`: a
//! patch that shrinks to the hunks still applying must not add back a block the file already
//! has (a block the patch moves, which upstream moved too).

use std::collections::HashSet;

use super::{Hunk, LineKind};

/// A line without any whitespace (line ends included).
pub fn squeeze(line: &[u8]) -> Vec<u8> {
    line.iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect()
}

/// Whether a line says something: a letter or digit (or any non-ASCII character). Blank lines,
/// lone braces, semicolons, operators and comment marks do not. This is the one definition of a
/// trivial line (and, through [`Hunk::is_trivial`], of a trivial hunk).
pub fn carries_content(line: &[u8]) -> bool {
    line.iter()
        .any(|b| b.is_ascii_alphanumeric() || !b.is_ascii())
}

impl Hunk {
    /// Whether the hunk is *trivial*: none of its changed lines carries content
    /// ([`carries_content`]). Finding a trivial hunk's post-image proves nothing by itself.
    pub fn is_trivial(&self) -> bool {
        self.lines
            .iter()
            .filter(|l| l.kind != LineKind::Context)
            .all(|l| !carries_content(&l.text))
    }

    /// Whether some line the hunk adds carries content.
    pub fn adds_content(&self) -> bool {
        self.lines
            .iter()
            .any(|l| l.kind == LineKind::Add && carries_content(&l.text))
    }
}

/// The fewest lines with content an applying hunk's added block must have for finding it
/// elsewhere in the file to make it a duplicate: one or two such lines (`free(p);`, `goto out;`)
/// recur in any file, while a function or a table does not.
pub const MIN_DUPLICATE_LINES: usize = 3;

/// The same for a block the patch itself removes in a hunk that is already in the file (it moves
/// the block, and upstream took the removal): a pair of lines moved together is already a block, a
/// single line (`return ret;`) is not.
pub const MIN_MOVED_LINES: usize = 2;

/// The lines with content a hunk adds, whitespace dropped, in order.
pub fn added_content(hunk: &Hunk) -> Vec<Vec<u8>> {
    changed_content(hunk, LineKind::Add)
}

/// The lines with content a hunk removes, whitespace dropped, in order.
pub fn removed_content(hunk: &Hunk) -> Vec<Vec<u8>> {
    changed_content(hunk, LineKind::Remove)
}

fn changed_content(hunk: &Hunk, kind: LineKind) -> Vec<Vec<u8>> {
    hunk.lines
        .iter()
        .filter(|l| l.kind == kind && carries_content(&l.text))
        .map(|l| squeeze(&l.text))
        .collect()
}

/// A file's lines with content, whitespace dropped, each with its 1-based line number: where
/// [`duplicate`] looks for an added block.
pub struct ContentLines {
    lines: Vec<(usize, Vec<u8>)>,
}

impl ContentLines {
    pub fn of(content: &[u8]) -> ContentLines {
        ContentLines {
            lines: content
                .split_inclusive(|&b| b == b'\n')
                .enumerate()
                .filter(|(_, line)| carries_content(line))
                .map(|(index, line)| (index + 1, squeeze(line)))
                .collect(),
        }
    }

    /// The 1-based lines where `block` starts, each occurrence counted once (no overlaps).
    fn occurrences(&self, block: &[Vec<u8>]) -> Vec<usize> {
        let mut found = Vec::new();
        let mut at = 0;
        while !block.is_empty() && at + block.len() <= self.lines.len() {
            let window = &self.lines[at..at + block.len()];
            if window
                .iter()
                .zip(block)
                .all(|((_, line), want)| line == want)
            {
                found.push(window[0].0);
                at += block.len();
            } else {
                at += 1;
            }
        }
        found
    }
}

/// An applying hunk of a partial patch whose added lines the file already has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// The 1-based line of the file where the lines are.
    pub line: usize,
    /// The patch removes them in a hunk already in the file: it moves them, as upstream did.
    pub moved: bool,
}

impl Duplicate {
    /// `adds lines that <release> already has at line N …`, for details.
    pub fn describe(&self, release: &str) -> String {
        let moved = if self.moved {
            format!(" (the patch moves them, and {release} already has the removal)")
        } else {
            String::new()
        };
        format!(
            "adds lines that {release} already has at line {}{moved}",
            self.line
        )
    }
}

/// Whether applying `hunk` to a release's file (`lines`) would add lines the file already has: its
/// added lines with content, as one block of consecutive lines of the file (lines without content
/// skipped, whitespace ignored), found more often than the patch's hunks already in the file
/// account for (`in_release_added`: the added lines of those hunks, each hunk's block), and at
/// least [`MIN_DUPLICATE_LINES`] long, or [`MIN_MOVED_LINES`] when every line is among those the
/// hunks already in the file remove (`moved_out`). Then keeping the hunk while dropping the others
/// would put a second copy of that code in the tree. `None` when it would not.
pub fn duplicate(
    hunk: &Hunk,
    lines: &ContentLines,
    in_release_added: &[Vec<Vec<u8>>],
    moved_out: &HashSet<Vec<u8>>,
) -> Option<Duplicate> {
    let block = added_content(hunk);
    if block.is_empty() {
        return None;
    }
    let moved = block.iter().all(|line| moved_out.contains(line));
    let least = if moved {
        MIN_MOVED_LINES
    } else {
        MIN_DUPLICATE_LINES
    };
    if block.len() < least {
        return None;
    }
    let found = lines.occurrences(&block);
    let accounted = in_release_added
        .iter()
        .filter(|added| {
            added.len() >= block.len() && added.windows(block.len()).any(|w| w == block)
        })
        .count();
    (found.len() > accounted).then(|| Duplicate {
        line: found[0],
        moved,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn punctuation_carries_no_content() {
        for line in ["  });\n", "\n", "*/\n", "#\n", "  ||\n", "=====\n", "-->\n"] {
            assert!(!carries_content(line.as_bytes()), "{line:?}");
        }
        for line in ["return;\n", "}  else {\n", "#endif\n", "0\n", "\u{e9}\n"] {
            assert!(carries_content(line.as_bytes()), "{line:?}");
        }
    }

    #[test]
    fn a_hunk_is_trivial_when_no_changed_line_carries_content() {
        let hunk = |text: &str| {
            let patch = format!("--- a/x\n+++ b/x\n{text}");
            crate::parse_patches(patch.as_bytes()).unwrap()[0].files[0].hunks[0].clone()
        };
        let braces = hunk("@@ -1,2 +1,4 @@\n int a;\n+}\n+\n x();\n");
        assert!(braces.is_trivial());
        assert!(!braces.adds_content());
        let fix = hunk("@@ -1,2 +1,2 @@\n int a;\n-f();\n+g();\n");
        assert!(!fix.is_trivial());
        assert!(fix.adds_content());
        let removal = hunk("@@ -1,2 +1,1 @@\n int a;\n-f();\n");
        assert!(!removal.is_trivial());
        assert!(!removal.adds_content());
    }

    #[test]
    fn a_block_is_found_with_lines_without_content_and_whitespace_skipped() {
        let lines =
            ContentLines::of(b"a;\n\n  int x = 1;\n}\n\tint y = 2;\nz;\nint x = 1;\nint y = 2;\n");
        let block = vec![b"intx=1;".to_vec(), b"inty=2;".to_vec()];
        assert_eq!(lines.occurrences(&block), [3, 7]);
        assert!(lines.occurrences(&[]).is_empty());
    }
}

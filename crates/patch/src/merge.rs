//! The three-way text merge under `mindelta upgrade`: a patched file (ours), the release it was
//! patched from (base) and the new release (theirs) merged line by line into one file, with
//! diff3 conflict blocks where both sides changed the same lines. The merge is gix-merge's
//! (0.23, the version gix 0.90 uses: `gix_merge::blob::builtin_driver::text`, Myers diff, diff3
//! style, no zealous shrinking); this module bounds its input, refuses binary files, writes
//! git's line ends on the blocks and finds where the blocks are.
//!
//! `tests/it/merge_differential.rs` holds it to `git merge-file -p --diff3`, byte for byte and
//! conflict for conflict. gix-merge picks the line end of each marker from the lines next to it,
//! git one per block (`is_cr_needed` in `xdiff/xmerge.c`); [`merge3`] rewrites the marker lines
//! git's way, which is what makes CRLF files and files without a final newline come out as git
//! writes them. What stays different, both in gix-merge's diff and merge, not in settings:
//! - Sliders: gix-merge diffs each side with imara-diff's indent heuristic, `git merge-file`
//!   with none. Where a run of added or removed lines could sit at several places, the two may
//!   place it differently, so a block starts a line earlier or later, or two changes touch in
//!   one and not in the other (a block in git, clean here, or the reverse).
//! - Equal sides cut differently: where both sides turn the same base lines into the same text
//!   through different changes, git keeps a block with equal sides, gix-merge takes the text.
//!
//! Measured: 12 of 2000 generated small-alphabet cases differ (11 sliders, 1 equal sides), 0 of
//! 1203 edits of this crate's own sources.

use std::num::NonZeroU8;
use std::ops::Range;

use gix_imara_diff::{Algorithm, InternedInput};
use gix_merge::blob::Resolution;
use gix_merge::blob::builtin_driver::text::{Conflict, ConflictStyle, Labels, Merge};

/// The largest side [`merge3`] takes: 64 MiB. The Myers diff is linear in memory but its time
/// grows with size times edit distance. Three 61 MiB sides (1.15 M lines) took 5 s with 1000
/// scattered edits a side, 9 s with every line changed and 44 s with half the lines shared in
/// shuffled order (test build, dependencies optimized, two busy cores). Source files a patch
/// touches are KiB to a few MiB; a larger side is refused, not left to stall `upgrade`.
pub const MAX_MERGE_INPUT: u64 = 64 << 20;

/// How far git looks for a NUL byte to call a file binary (`FIRST_FEW_BYTES` in git's
/// `xdiff-interface.c`); `git merge-file` refuses such files and so does [`merge3`].
pub const BINARY_PROBE: usize = 8000;

/// The length of a conflict marker (`<<<<<<<`), git's default.
pub const MARKER_SIZE: usize = 7;

/// The names written after the markers: `<<<<<<< ours`, `||||||| base`, `>>>>>>> theirs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MergeLabels<'a> {
    pub base: &'a str,
    pub ours: &'a str,
    pub theirs: &'a str,
}

/// One conflict block left in a merged file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConflictRegion {
    /// The 1-based line of the block's `<<<<<<<` marker in the merged content.
    pub line: usize,
    /// The block's length in lines, both markers included.
    pub lines: usize,
}

/// The merged file: clean, or with conflict blocks (diff3 style) to resolve by hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeOutcome {
    Clean(Vec<u8>),
    Conflict {
        content: Vec<u8>,
        /// The blocks in file order; never empty.
        regions: Vec<ConflictRegion>,
    },
}

impl MergeOutcome {
    /// The merged bytes, markers included.
    pub fn content(&self) -> &[u8] {
        match self {
            MergeOutcome::Clean(content) | MergeOutcome::Conflict { content, .. } => content,
        }
    }

    /// The conflict blocks; empty for a clean merge.
    pub fn regions(&self) -> &[ConflictRegion] {
        match self {
            MergeOutcome::Clean(_) => &[],
            MergeOutcome::Conflict { regions, .. } => regions,
        }
    }
}

/// A merge refused before it started.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    /// A NUL byte in the first [`BINARY_PROBE`] bytes of one side (`which`: `ours`, `base` or
    /// `theirs`), git's test for a binary file.
    #[error(
        "the {which} side is a binary file (a NUL byte in its first {BINARY_PROBE} bytes) and \
         cannot be merged line by line; take one side whole and redo the other side's change \
         by hand"
    )]
    Binary { which: &'static str },
    /// One side is larger than [`MAX_MERGE_INPUT`].
    #[error(
        "a side of the merge is {bytes} bytes, over the {limit}-byte limit of a three-way \
         merge; merge this file by hand (for instance with `git merge-file`)"
    )]
    TooLarge { bytes: u64, limit: u64 },
}

/// `git merge-file -p --diff3 -L <ours> -L <base> -L <theirs> ours base theirs`, byte for byte
/// (see the module doc for the cases where the bytes differ).
///
/// Conflict blocks are diff3 style (`<<<<<<< ours`, `||||||| base`, `=======`,
/// `>>>>>>> theirs`, seven marker characters); changes both sides made identically are not
/// conflicts. Sides are checked in git's order (ours, base, theirs) for size, then for binary.
pub fn merge3(
    base: &[u8],
    ours: &[u8],
    theirs: &[u8],
    labels: &MergeLabels<'_>,
) -> Result<MergeOutcome, MergeError> {
    let sides = [("ours", ours), ("base", base), ("theirs", theirs)];
    for (_, bytes) in sides {
        let size = bytes.len() as u64;
        if size > MAX_MERGE_INPUT {
            return Err(MergeError::TooLarge {
                bytes: size,
                limit: MAX_MERGE_INPUT,
            });
        }
    }
    for (which, bytes) in sides {
        if is_binary(bytes) {
            return Err(MergeError::Binary { which });
        }
    }

    let mut input = InternedInput::default();
    let merge = Merge::new(&mut input, ours, base, theirs, Algorithm::Myers);
    let mut rendered = Vec::new();
    let resolution = merge.run(&mut rendered, gix_labels(labels), conflict(MARKER_SIZE));
    if resolution != Resolution::Conflict {
        return Ok(MergeOutcome::Clean(rendered));
    }
    // The same merge with one marker character more: only the marker lines differ, so a line
    // of the files that looks like a marker is never taken for one.
    let mut probe = Vec::new();
    merge.run(&mut probe, gix_labels(labels), conflict(MARKER_SIZE + 1));
    let lines = line_starts(&rendered);
    let blocks = find_blocks(&rendered, &lines, &probe, labels);
    debug_assert!(
        !blocks.is_empty(),
        "gix reported a conflict without a block"
    );
    let content = git_line_ends(&rendered, &lines, &blocks, [base, ours, theirs], labels);
    let regions = blocks
        .iter()
        .map(|block| ConflictRegion {
            line: block.open.start + 1,
            lines: block.close.end - block.open.start,
        })
        .collect();
    Ok(MergeOutcome::Conflict { content, regions })
}

/// The first line (1-based) that opens a conflict block left in `content`: a `<<<<<<< ` (or
/// bare `<<<<<<<`) line followed later by a `=======` line and then a `>>>>>>> ` line — each
/// exactly 7 marker characters then a space or end of line. A lone `=======` (reST underline)
/// is NOT a marker. `None` when no block remains.
pub fn conflict_marker(content: &[u8]) -> Option<usize> {
    let mut open = None;
    let mut separated = false;
    for (index, line) in content.split(|&byte| byte == b'\n').enumerate() {
        match open {
            None if is_marker(line, b'<') => open = Some(index + 1),
            Some(_) if !separated && is_marker(line, b'=') => separated = true,
            Some(line_number) if separated && is_marker(line, b'>') => return Some(line_number),
            _ => {}
        }
    }
    None
}

/// A line (without its `\n`) made of exactly [`MARKER_SIZE`] `marker` bytes, then a space, a
/// `\r` ending the line, or nothing.
fn is_marker(line: &[u8], marker: u8) -> bool {
    let Some((head, rest)) = line.split_at_checked(MARKER_SIZE) else {
        return false;
    };
    head.iter().all(|&byte| byte == marker)
        && matches!(rest.first(), None | Some(b' ') | Some(b'\r'))
        && (rest.first() != Some(&b'\r') || rest.len() == 1)
}

fn is_binary(bytes: &[u8]) -> bool {
    memchr::memchr(0, &bytes[..bytes.len().min(BINARY_PROBE)]).is_some()
}

fn gix_labels<'a>(labels: &MergeLabels<'a>) -> Labels<'a> {
    Labels {
        ancestor: Some(labels.base.into()),
        current: Some(labels.ours.into()),
        other: Some(labels.theirs.into()),
    }
}

fn conflict(marker_size: usize) -> Conflict {
    Conflict::Keep {
        style: ConflictStyle::Diff3,
        marker_size: u8::try_from(marker_size)
            .ok()
            .and_then(NonZeroU8::new)
            .expect("marker sizes are 7 and 8"),
    }
}

/// The offset of every line's first byte, and the end of the content last: line `i` is
/// `starts[i]..starts[i + 1]`, its `\n` included.
fn line_starts(content: &[u8]) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(memchr::memchr_iter(b'\n', content).map(|at| at + 1));
    if starts.last() != Some(&content.len()) {
        starts.push(content.len());
    }
    starts
}

/// One conflict block of the rendered merge: the lines (0-based, end excluded) of its four
/// markers; a label with line breaks makes its marker longer than one line.
#[derive(Debug)]
struct Block {
    open: Range<usize>,
    base: Range<usize>,
    separator: usize,
    close: Range<usize>,
}

/// The blocks of `rendered`: its marker lines are the lines that differ from `probe`, the same
/// merge rendered with longer markers. gix writes the four markers of a block in order.
fn find_blocks(
    rendered: &[u8],
    lines: &[usize],
    probe: &[u8],
    labels: &MergeLabels<'_>,
) -> Vec<Block> {
    let probe_lines = line_starts(probe);
    let marker_lines = |start: usize, label: &str| {
        start..start + 1 + label.bytes().filter(|&byte| byte == b'\n').count()
    };
    let mut blocks = Vec::new();
    let (mut open, mut base, mut separator) = (None, None, None);
    let mut line = 0;
    while line + 1 < lines.len() && line + 1 < probe_lines.len() {
        let ours = &rendered[lines[line]..lines[line + 1]];
        let longer = &probe[probe_lines[line]..probe_lines[line + 1]];
        if ours == longer {
            line += 1;
            continue;
        }
        let kind = ours.first().copied().unwrap_or_default();
        let marker = match kind {
            b'<' => marker_lines(line, labels.ours),
            b'|' => marker_lines(line, labels.base),
            b'>' => marker_lines(line, labels.theirs),
            _ => line..line + 1,
        };
        match kind {
            b'<' => open = Some(marker.clone()),
            b'|' => base = Some(marker.clone()),
            b'=' => separator = Some(line),
            b'>' => {
                if let (Some(open), Some(base), Some(separator)) =
                    (open.take(), base.take(), separator.take())
                {
                    blocks.push(Block {
                        open,
                        base,
                        separator,
                        close: marker.clone(),
                    });
                }
            }
            _ => {}
        }
        line = marker.end;
    }
    blocks
}

/// `rendered` with git's line ends in every block. `git merge-file` picks one line end per
/// block (`is_cr_needed` in git's `xdiff/xmerge.c`): CRLF when the line before the block in
/// ours and in theirs (their first line for a block at the start) and the base's first line
/// end in CRLF, a side's undecidable line (empty file, a lone line without line end) not
/// deciding against it; LF otherwise. It ends the four markers with it, and the last line of a
/// section that had none (the end of a file without a final newline). gix-merge guesses per
/// marker from the lines next to it.
fn git_line_ends(
    rendered: &[u8],
    lines: &[usize],
    blocks: &[Block],
    [base, ours, theirs]: [&[u8]; 3],
    labels: &MergeLabels<'_>,
) -> Vec<u8> {
    // (lines replaced, their new bytes), in file order.
    let mut edits: Vec<(Range<usize>, Vec<u8>)> = Vec::with_capacity(blocks.len() * 4);
    for block in blocks {
        let before = (block.open.start > 0).then(|| {
            rendered[lines[block.open.start - 1]..lines[block.open.start]].ends_with(b"\r\n")
        });
        let (ours_end, theirs_end) = match before {
            Some(crlf) => (Some(crlf), Some(crlf)),
            None => (first_line_crlf(ours), first_line_crlf(theirs)),
        };
        let crlf = ours_end != Some(false)
            && theirs_end != Some(false)
            && first_line_crlf(base) == Some(true);
        let end: &[u8] = if crlf { b"\r\n" } else { b"\n" };
        let marker = |kind: u8, label: Option<&str>| {
            let mut line = vec![kind; MARKER_SIZE];
            if let Some(label) = label {
                line.push(b' ');
                line.extend_from_slice(label.as_bytes());
            }
            line.extend_from_slice(end);
            line
        };
        // Only a block that ends the merged file holds the last lines of the three files.
        let at_end = lines[block.close.end] == rendered.len();
        let last_line = |file: &[u8], section: Range<usize>| {
            let last = unterminated_line(file).filter(|_| at_end && !section.is_empty())?;
            Some((section.end - 1..section.end, [last, end].concat()))
        };
        edits.push((block.open.clone(), marker(b'<', Some(labels.ours))));
        edits.extend(last_line(ours, block.open.end..block.base.start));
        edits.push((block.base.clone(), marker(b'|', Some(labels.base))));
        edits.extend(last_line(base, block.base.end..block.separator));
        edits.push((block.separator..block.separator + 1, marker(b'=', None)));
        edits.extend(last_line(theirs, block.separator + 1..block.close.start));
        edits.push((block.close.clone(), marker(b'>', Some(labels.theirs))));
    }
    let mut content = Vec::with_capacity(rendered.len() + edits.len());
    let mut copied = 0;
    for (replaced, bytes) in edits {
        content.extend_from_slice(&rendered[copied..lines[replaced.start]]);
        content.extend_from_slice(&bytes);
        copied = lines[replaced.end];
    }
    content.extend_from_slice(&rendered[copied..]);
    content
}

/// The last line of a file that does not end in a newline.
fn unterminated_line(file: &[u8]) -> Option<&[u8]> {
    if file.is_empty() || file.ends_with(b"\n") {
        return None;
    }
    Some(&file[memchr::memrchr(b'\n', file).map_or(0, |at| at + 1)..])
}

/// Whether a file's first line ends in CRLF; `None` when that cannot be told (an empty file, or
/// one line without a line end), as git's `is_eol_crlf(file, 0)`.
fn first_line_crlf(file: &[u8]) -> Option<bool> {
    let end = memchr::memchr(b'\n', file)?;
    Some(end > 0 && file[end - 1] == b'\r')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_diff3_block() {
        let content = b"a\n<<<<<<< ours\nb\n||||||| base\nc\n=======\nd\n>>>>>>> theirs\ne\n";
        assert_eq!(conflict_marker(content), Some(2));
    }

    #[test]
    fn finds_bare_markers_and_crlf_markers() {
        assert_eq!(
            conflict_marker(b"<<<<<<<\nx\n=======\ny\n>>>>>>>\n"),
            Some(1)
        );
        let crlf = b"a\r\n<<<<<<< ours\r\nx\r\n=======\r\ny\r\n>>>>>>> theirs\r\n";
        assert_eq!(conflict_marker(crlf), Some(2));
        let bare_crlf = b"a\r\nb\r\n<<<<<<<\r\nx\r\n=======\r\ny\r\n>>>>>>>\r\n";
        assert_eq!(conflict_marker(bare_crlf), Some(3));
        // The last line without a line break still closes a block.
        assert_eq!(conflict_marker(b"<<<<<<< a\n=======\n>>>>>>> b"), Some(1));
    }

    #[test]
    fn a_rest_underline_is_not_a_marker() {
        let rest = b"Title\n=======\n\nText\n";
        assert_eq!(conflict_marker(rest), None);
        // Under and over lines of a longer title, with something that looks like an opener.
        let rest = b"=======\nTitle\n=======\n\n.. code::\n\n   >>>>>>> quoted\n";
        assert_eq!(conflict_marker(rest), None);
    }

    #[test]
    fn markers_of_other_sizes_are_not_markers() {
        assert_eq!(
            conflict_marker(b"<<<<<<<< a\nx\n=======\ny\n>>>>>>> b\n"),
            None
        );
        assert_eq!(
            conflict_marker(b"<<<<<<< a\nx\n========\ny\n>>>>>>> b\n"),
            None
        );
        assert_eq!(
            conflict_marker(b"<<<<<<< a\nx\n=======\ny\n>>>>>> b\n"),
            None
        );
        assert_eq!(
            conflict_marker(b"<<<<<< a\nx\n=======\ny\n>>>>>>> b\n"),
            None
        );
        // Seven characters glued to text are not markers either.
        assert_eq!(
            conflict_marker(b"<<<<<<<a\nx\n=======\ny\n>>>>>>> b\n"),
            None
        );
        assert_eq!(
            conflict_marker(b"<<<<<<< a\nx\n=======\ny\n>>>>>>>\tb\n"),
            None
        );
        assert_eq!(
            conflict_marker(b"<<<<<<< a\nx\n=======\r\r\ny\n>>>>>>> b\n"),
            None
        );
    }

    #[test]
    fn markers_out_of_order_are_no_block() {
        assert_eq!(conflict_marker(b">>>>>>> b\n=======\n<<<<<<< a\n"), None);
        assert_eq!(conflict_marker(b"<<<<<<< a\n>>>>>>> b\n=======\n"), None);
        assert_eq!(conflict_marker(b"=======\n<<<<<<< a\n>>>>>>> b\n"), None);
        // A stray opener before a whole block: the block opens at the stray one.
        let content = b"<<<<<<< stray\nx\n<<<<<<< a\ny\n=======\nz\n>>>>>>> b\n";
        assert_eq!(conflict_marker(content), Some(1));
    }

    #[test]
    fn no_markers_in_plain_text() {
        assert_eq!(conflict_marker(b""), None);
        assert_eq!(conflict_marker(b"fn main() {}\n"), None);
    }

    #[test]
    fn regions_match_the_markers_in_the_content() {
        let labels = MergeLabels {
            base: "1.0",
            ours: "patched",
            theirs: "2.0",
        };
        let base = b"a\nb\nc\nd\ne\nf\ng\n";
        let ours = b"a\nB1\nc\nd\ne\nF1\ng\n";
        let theirs = b"a\nB2\nc\nd\ne\nF2\ng\n";
        let outcome = merge3(base, ours, theirs, &labels).unwrap();
        let expected = "a\n<<<<<<< patched\nB1\n||||||| 1.0\nb\n=======\nB2\n>>>>>>> 2.0\nc\nd\ne\n\
                        <<<<<<< patched\nF1\n||||||| 1.0\nf\n=======\nF2\n>>>>>>> 2.0\ng\n";
        assert_eq!(String::from_utf8_lossy(outcome.content()), expected);
        assert_eq!(
            outcome.regions(),
            [
                ConflictRegion { line: 2, lines: 7 },
                ConflictRegion { line: 12, lines: 7 }
            ]
        );
        assert_eq!(conflict_marker(outcome.content()), Some(2));
    }

    #[test]
    fn content_that_looks_like_markers_is_not_a_region() {
        let labels = MergeLabels {
            base: "b",
            ours: "o",
            theirs: "t",
        };
        let base = b"<<<<<<< o\nx\n>>>>>>> t\n";
        let ours = b"<<<<<<< o\ny\n>>>>>>> t\n";
        let theirs = b"<<<<<<< o\nz\n>>>>>>> t\n";
        let outcome = merge3(base, ours, theirs, &labels).unwrap();
        assert_eq!(outcome.regions(), [ConflictRegion { line: 2, lines: 7 }]);
    }

    #[test]
    fn labels_with_line_breaks_count_in_the_regions() {
        let labels = MergeLabels {
            base: "b\nb",
            ours: "o",
            theirs: "t\nt\nt",
        };
        let outcome = merge3(
            b"x\n1\nx\nx\nx\n2\n",
            b"x\n3\nx\nx\nx\n4\n",
            b"x\n5\nx\nx\nx\n6\n",
            &labels,
        )
        .unwrap();
        let content = outcome.content();
        let lines: Vec<&[u8]> = content.split(|&byte| byte == b'\n').collect();
        for region in outcome.regions() {
            assert_eq!(lines[region.line - 1], b"<<<<<<< o");
            assert_eq!(lines[region.line + region.lines - 2], b"t");
            assert_eq!(lines[region.line + region.lines - 4], b">>>>>>> t");
        }
        assert_eq!(outcome.regions().len(), 2);
    }
}

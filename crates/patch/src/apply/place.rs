//! Hunk placement: where a hunk's pre-image sits in a file, with GNU patch's search order.
//!
//! The applier (`super`) asks `place_hunks` to place every hunk of one file; the expiry work's
//! content detector calls `locate` directly. Placement is exact first, then the nearest offset
//! (forward before backward at equal distance), then, only when the caller allows it, with up
//! to `fuzz` context lines dropped from the ends, exactly as GNU patch's `locate_hunk` does.
//! A hunk with fewer leading than trailing context lines is anchored to the start of the
//! file, one with fewer trailing lines to the end (that is how diff writes hunks there).
//!
//! `place_hunks` also carries the double-apply guard: a hunk whose post-image sits where it
//! is expected, or nearer than any place its pre-image is found, is never placed at an offset.

use crate::content::carries_content;
use crate::model::{Hunk, LineKind};

/// Find `needle` lines in `haystack` lines: exact position `expected` (0-based) first, then the
/// nearest offset, with up to `fuzz` context lines dropped from the ends (GNU patch semantics).
///
/// `context_before` and `context_after` are the numbers of leading and trailing context lines
/// of the needle. Returns the 0-based position of the needle's first line and the fuzz used.
pub fn locate(
    needle: &[&[u8]],
    haystack: &[&[u8]],
    expected: usize,
    context_before: usize,
    context_after: usize,
    fuzz: usize,
) -> Option<(usize, usize)> {
    let shape = Shape {
        before: context_before,
        after: context_after,
        at_file_start: expected == 0,
    };
    search(needle, haystack, expected as isize, 0, shape, fuzz)
}

/// How a pre-image is anchored: its leading and trailing context line counts.
#[derive(Debug, Clone, Copy)]
pub(super) struct Shape {
    pub before: usize,
    pub after: usize,
    /// The hunk header names the first line of the file.
    pub at_file_start: bool,
}

impl Shape {
    pub fn of(hunk: &Hunk) -> Shape {
        let (before, after) = hunk.context_lengths();
        Shape {
            before,
            after,
            at_file_start: hunk.old_start <= 1,
        }
    }
}

/// Search with fuzz 0, 1, … up to `max_fuzz` (never more than the context), nearest first.
pub(super) fn search(
    needle: &[&[u8]],
    haystack: &[&[u8]],
    expected: isize,
    min_start: usize,
    shape: Shape,
    max_fuzz: usize,
) -> Option<(usize, usize)> {
    let context = shape.before.max(shape.after);
    for fuzz in 0..=max_fuzz.min(context) {
        if let Some(position) =
            search_with_fuzz(needle, haystack, expected, min_start, shape, context, fuzz)
        {
            return Some((position, fuzz));
        }
    }
    None
}

fn search_with_fuzz(
    needle: &[&[u8]],
    haystack: &[&[u8]],
    expected: isize,
    min_start: usize,
    shape: Shape,
    context: usize,
    fuzz: usize,
) -> Option<usize> {
    let lines = haystack.len() as isize;
    let length = needle.len() as isize;
    let min_start = min_start as isize;
    if length == 0 {
        return Some(expected.clamp(min_start, lines.max(min_start)) as usize);
    }
    let prefix_fuzz = fuzz as isize + shape.before as isize - context as isize;
    let suffix_fuzz = fuzz as isize + shape.after as isize - context as isize;
    if prefix_fuzz < 0 && shape.at_file_start {
        // Only the start of the file will do (the whole file when both ends are anchored).
        if suffix_fuzz < 0 && length != lines {
            return None;
        }
        let suffix = suffix_fuzz.max(0) as usize;
        return (min_start == 0 && matches_at(needle, haystack, 0, 0, suffix)).then_some(0);
    }
    let prefix = prefix_fuzz.max(0) as usize;
    if suffix_fuzz < 0 {
        // Only the end of the file will do.
        let position = lines - length;
        return (position >= min_start
            && matches_at(needle, haystack, position as usize, prefix, 0))
        .then_some(position as usize);
    }
    let suffix = suffix_fuzz as usize;
    // The needle minus its dropped trailing lines must end inside the file.
    let max_start = lines - (length - suffix as isize);
    if max_start < min_start {
        return None;
    }
    let first = expected.clamp(min_start, max_start);
    let reach = (first - min_start).max(max_start - first);
    // Offsets are measured from `expected`; when it lies outside the window, start at its edge.
    for distance in 0..=reach {
        let forward = first + distance;
        if forward <= max_start && matches_at(needle, haystack, forward as usize, prefix, suffix) {
            return Some(forward as usize);
        }
        let backward = first - distance;
        if distance > 0
            && backward >= min_start
            && matches_at(needle, haystack, backward as usize, prefix, suffix)
        {
            return Some(backward as usize);
        }
    }
    None
}

/// Whether `needle[prefix..len - suffix]` equals the haystack lines at `position + prefix`.
pub(super) fn matches_at(
    needle: &[&[u8]],
    haystack: &[&[u8]],
    position: usize,
    prefix: usize,
    suffix: usize,
) -> bool {
    let end = needle.len().saturating_sub(suffix);
    if prefix > end || position + end > haystack.len() {
        return false;
    }
    needle[prefix..end]
        .iter()
        .zip(&haystack[position + prefix..position + end])
        .all(|(a, b)| a == b)
}

/// Where one hunk of a file was placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Spot {
    /// 0-based line of the pre-image's first line in the file.
    pub position: usize,
    /// Offset from the position the header named.
    pub offset: isize,
    pub fuzz: usize,
}

/// Why a hunk could not be placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Miss {
    /// 0-based index of the hunk.
    pub index: usize,
    /// 0-based line where the hunk was expected.
    pub expected: usize,
    /// The hunk's post-image is where it would be if the patch were already applied.
    pub looks_applied: bool,
}

/// The 0-based line a hunk header names for its pre-image (`-5,0` inserts after line 5).
pub(super) fn header_position(start: usize, count: usize) -> isize {
    if count == 0 {
        start as isize
    } else {
        start as isize - 1
    }
}

/// Place every hunk of one file in order: each hunk's expected line shifts by the offset the
/// previous one needed, and hunks never overlap or go backwards.
///
/// With `guard`, a hunk whose post-image is at its expected place (or nearer than its
/// pre-image) is refused instead of placed at an offset: the double-apply guard.
pub(super) fn place_hunks(
    hunks: &[Hunk],
    lines: &[&[u8]],
    fuzz: usize,
    guard: bool,
) -> Result<Vec<Spot>, Miss> {
    let mut spots = Vec::with_capacity(hunks.len());
    let mut shift: isize = 0;
    let mut min_start = 0usize;
    for (index, hunk) in hunks.iter().enumerate() {
        let old: Vec<&[u8]> = hunk.old_lines().collect();
        let base = header_position(hunk.old_start, hunk.old_count);
        let expected = base + shift;
        let shape = Shape::of(hunk);
        let exact = exact_fit(&old, lines, expected, min_start, shape);
        let found = if exact {
            Some((expected as usize, 0))
        } else {
            search(&old, lines, expected, min_start, shape, fuzz)
        };
        let miss = |looks_applied| Miss {
            index,
            expected: expected.max(0) as usize,
            looks_applied,
        };
        if guard && !exact {
            let new: Vec<&[u8]> = hunk.new_lines().collect();
            let new_expected = header_position(hunk.new_start, hunk.new_count) + shift;
            if post_image_wins(hunk, &new, lines, new_expected, min_start, found, expected) {
                return Err(miss(true));
            }
        }
        let Some((position, used)) = found else {
            return Err(miss(false));
        };
        let offset = position as isize - base;
        shift = offset;
        min_start = position + old.len();
        spots.push(Spot {
            position,
            offset,
            fuzz: used,
        });
    }
    Ok(spots)
}

/// The pre-image sits exactly at `expected` (with the start/end anchoring of its shape).
fn exact_fit(
    old: &[&[u8]],
    lines: &[&[u8]],
    expected: isize,
    min_start: usize,
    shape: Shape,
) -> bool {
    if expected < min_start as isize {
        return false;
    }
    let position = expected as usize;
    if old.is_empty() {
        return position <= lines.len();
    }
    if shape.before < shape.after && shape.at_file_start && position != 0 {
        return false;
    }
    if shape.after < shape.before && position + old.len() != lines.len() {
        return false;
    }
    matches_at(old, lines, position, 0, 0)
}

/// The double-apply guard for one hunk whose pre-image is not at its expected place.
fn post_image_wins(
    hunk: &Hunk,
    new: &[&[u8]],
    lines: &[&[u8]],
    new_expected: isize,
    min_start: usize,
    found: Option<(usize, usize)>,
    expected: isize,
) -> bool {
    if new.is_empty() || !new.iter().any(|l| carries_content(l)) {
        return false;
    }
    if new_expected >= min_start as isize && matches_at(new, lines, new_expected as usize, 0, 0) {
        return true;
    }
    // Nearer than the pre-image: only when the hunk adds lines that carry content.
    if !hunk.adds_content() {
        return false;
    }
    let shape = Shape::of(&hunk.reversed());
    let Some((post, _)) = search(new, lines, new_expected, min_start, shape, 0) else {
        return false;
    };
    match found {
        None => true,
        Some((pre, _)) => (post as isize - new_expected).abs() <= (pre as isize - expected).abs(),
    }
}

/// Build the new content: the file's lines with each placed hunk spliced in. Context lines
/// keep the file's own text (so a fuzzed context line is left as the file has it).
pub(super) fn splice(lines: &[&[u8]], hunks: &[Hunk], spots: &[Spot]) -> Vec<u8> {
    splice_with_ends(lines, hunks, spots).0
}

/// `splice`, and the end offset of every line of the result (as `tree::line_ends` would find
/// them), recorded while copying: the next patch of the file need not split it again.
pub(super) fn splice_with_ends(
    lines: &[&[u8]],
    hunks: &[Hunk],
    spots: &[Spot],
) -> (Vec<u8>, Vec<usize>) {
    let size: usize = lines.iter().map(|l| l.len()).sum();
    let mut out = Vec::with_capacity(size + 64);
    let mut ends = Vec::with_capacity(lines.len() + 8);
    // A line of the file holds at most one `\n`, at its end.
    let copy_line = |out: &mut Vec<u8>, ends: &mut Vec<usize>, line: &[u8]| {
        out.extend_from_slice(line);
        if line.last() == Some(&b'\n') {
            ends.push(out.len());
        }
    };
    let mut cursor = 0;
    for (hunk, spot) in hunks.iter().zip(spots) {
        for line in &lines[cursor..spot.position.min(lines.len())] {
            copy_line(&mut out, &mut ends, line);
        }
        let mut at = spot.position;
        for line in &hunk.lines {
            match line.kind {
                LineKind::Context => {
                    if let Some(kept) = lines.get(at) {
                        copy_line(&mut out, &mut ends, kept);
                    }
                    at += 1;
                }
                LineKind::Remove => at += 1,
                LineKind::Add => {
                    let start = out.len();
                    out.extend_from_slice(&line.text);
                    ends.extend(memchr::memchr_iter(b'\n', &line.text).map(|i| start + i + 1));
                }
            }
        }
        cursor = at.min(lines.len()).max(cursor);
    }
    for line in &lines[cursor.min(lines.len())..] {
        copy_line(&mut out, &mut ends, line);
    }
    if ends.last().copied().unwrap_or(0) < out.len() {
        ends.push(out.len());
    }
    (out, ends)
}

/// The best partial match of a pre-image: 0-based line, number of equal lines.
pub(super) fn closest(old: &[&[u8]], lines: &[&[u8]], expected: usize) -> Option<(usize, usize)> {
    if old.is_empty() || lines.is_empty() {
        return None;
    }
    let mut best: Option<(usize, usize)> = None;
    let last = lines.len().saturating_sub(1);
    for position in 0..=last {
        let equal = old
            .iter()
            .zip(&lines[position..])
            .filter(|(a, b)| a == b)
            .count();
        let better = match best {
            None => equal > 0,
            Some((at, count)) => {
                equal > count
                    || (equal == count && position.abs_diff(expected) < at.abs_diff(expected))
            }
        };
        if better {
            best = Some((position, equal));
        }
    }
    best
}

/// Split content into lines, each with its terminator; the last may have none.
/// `memchr` finds the terminators (a byte-at-a-time split costs more than the rest of a patch).
pub(super) fn split_lines(content: &[u8]) -> Vec<&[u8]> {
    let mut lines = Vec::with_capacity(content.len() / 32 + 1);
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', content) {
        lines.push(&content[start..=end]);
        start = end + 1;
    }
    if start < content.len() {
        lines.push(&content[start..]);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<&[u8]> {
        split_lines(text.as_bytes())
    }

    #[test]
    fn exact_position_wins_over_an_earlier_match() {
        let haystack = lines("a\nb\nx\na\nb\n");
        let needle = lines("a\nb\n");
        assert_eq!(locate(&needle, &haystack, 3, 0, 0, 0), Some((3, 0)));
        assert_eq!(locate(&needle, &haystack, 2, 0, 0, 0), Some((3, 0)));
        assert_eq!(locate(&needle, &haystack, 1, 0, 0, 0), Some((0, 0)));
    }

    #[test]
    fn forward_offset_is_tried_before_backward_at_equal_distance() {
        let haystack = lines("k\nx\nk\nx\nk\n");
        let needle = lines("x\n");
        assert_eq!(locate(&needle, &haystack, 2, 0, 0, 0), Some((3, 0)));
    }

    #[test]
    fn fuzz_drops_context_only_when_allowed() {
        let haystack = lines("1\n2\n3\nchanged\n5\n6\n");
        let needle = lines("2\n3\nX\n5\n");
        assert_eq!(locate(&needle, &haystack, 1, 2, 0, 0), None);
        let needle = lines("changedX\n3\n4\n5\n");
        assert_eq!(locate(&needle, &haystack, 1, 1, 1, 0), None);
        assert_eq!(locate(&needle, &haystack, 1, 1, 1, 1), None);
        let needle = lines("zz\n3\nchanged\nyy\n");
        assert_eq!(locate(&needle, &haystack, 1, 1, 1, 0), None);
        assert_eq!(locate(&needle, &haystack, 1, 1, 1, 1), Some((1, 1)));
    }

    #[test]
    fn fewer_trailing_context_lines_anchor_to_the_end() {
        let haystack = lines("a\nb\nc\na\nb\n");
        // Two leading context lines, none trailing: must end at end of file.
        let needle = lines("a\nb\n");
        assert_eq!(locate(&needle, &haystack, 0, 2, 0, 0), Some((3, 0)));
    }

    #[test]
    fn splice_records_the_line_ends_a_split_would_find() {
        use crate::model::Line;
        let file = lines("a\nb\nc\nlast");
        let line = |kind, text: &str| Line {
            kind,
            text: text.as_bytes().to_vec(),
            no_newline_marker: None,
        };
        let hunk = Hunk {
            lines: vec![
                line(LineKind::Context, "b\n"),
                line(LineKind::Remove, "c\n"),
                line(LineKind::Add, "no newline"),
            ],
            ..Hunk::default()
        };
        let spots = [Spot {
            position: 1,
            offset: 0,
            fuzz: 0,
        }];
        let (content, ends) = splice_with_ends(&file, &[hunk], &spots);
        assert_eq!(content, b"a\nb\nno newlinelast");
        assert_eq!(ends, super::super::tree::line_ends(&content));
    }

    #[test]
    fn closest_counts_equal_lines() {
        let haystack = lines("a\nb\nc\nd\n");
        let needle = lines("b\nX\nd\n");
        assert_eq!(closest(&needle, &haystack, 0), Some((1, 2)));
    }
}

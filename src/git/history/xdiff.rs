//! Git's xdiff (Myers with git's heuristics), ported for the history walk: the hunks and lines
//! `git log -p` prints for a pair of texts, with git's defaults (3 lines of context, no
//! inter-hunk context, indent heuristic on, no whitespace options).
//!
//! A commit's patch id hashes every line of its diff, so the walk needs git's exact hunks, and
//! no crate gives them (imara-diff's Myers finds other, equally short, diffs where lines
//! repeat; gix diffs blobs through imara-diff). So this follows git's `xdiff/` function by
//! function, each named where it starts (`xprepare.c`, `xdiffi.c`, `xemit.c`); the steps are
//! described in `docs/patch-id.md`. Whitespace is git's (`' '`, `\t`, `\n`, `\r`; not `\v`,
//! `\f` as C's `isspace`).

/// Receives a diff's hunks, each followed by its lines (`b' '`, `b'-'` or `b'+'` and the line
/// as in the file, with its `\n` if it has one).
pub trait DiffSink {
    /// A hunk's header: git's 1-based starts and line counts.
    fn hunk(&mut self, old_start: usize, old_count: usize, new_start: usize, new_count: usize);
    /// One line of the current hunk.
    fn line(&mut self, origin: u8, line: &[u8]);
}

mod compact;
mod myers;

use std::cell::RefCell;
use std::collections::VecDeque;

use compact::compact;
use myers::Search;

/// Myers' cost heuristics (`xdiffi.c`).
const MAX_COST_MIN: isize = 256;
const HEURISTIC_MIN_COST: isize = 256;
const SNAKE_COUNT: isize = 20;
const K_HEURISTIC: isize = 4;
const LINE_MAX: isize = isize::MAX;
/// `xprepare.c`: runs of discardable lines, and the window they are looked for in.
const DISCARD_RUN: isize = 4;
const MAX_EQUAL_LIMIT: usize = 1024;
const SIMILAR_SCAN_WINDOW: isize = 100;
/// Lines of context around a change (`-U3`).
const CONTEXT: isize = 3;

/// Diffs texts, reusing its buffers from one pair to the next.
#[derive(Default)]
pub struct Differ {
    classes: Classifier,
    old: Side,
    new: Side,
    discard: Vec<u8>,
    diagonals: Vec<isize>,
    boxes: Vec<(isize, isize, isize, isize, bool)>,
    changes: Vec<Change>,
}

/// One text being diffed (`xdfile_t`).
#[derive(Default)]
struct Side {
    /// The lines found so far: those between the common ends, then any that sliding, the
    /// indent heuristic or the context of a hunk looked at.
    window: RefCell<Window>,
    /// How many lines the text has.
    count: isize,
    /// The class of each line between the common ends: equal classes, equal bytes.
    class: Vec<u32>,
    /// For each line between the common ends, how often it occurs in the other text.
    matches: Vec<u32>,
    /// The changed mark of line `i` at `changed[i + 1]`, with a zero on each end.
    changed: Vec<u8>,
    /// The lines left to Myers (`rindex`) and their classes (`ha`).
    kept: Vec<usize>,
    kept_class: Vec<u32>,
    /// The lines between the common prefix and suffix.
    start: isize,
    end: isize,
}

/// A run of changed lines (`xdchange_t`).
#[derive(Debug, Clone, Copy)]
struct Change {
    i1: isize,
    i2: isize,
    chg1: isize,
    chg2: isize,
}

/// A run of consecutive lines of a text: line `first` starts at byte `start`, the last ends
/// at byte `end`.
#[derive(Default)]
struct Window {
    first: isize,
    lines: VecDeque<(usize, usize)>,
    start: usize,
    end: usize,
}

impl Window {
    /// The lines of `text[range]`, line `first` the first of them.
    fn load(&mut self, text: &[u8], first: isize, range: std::ops::Range<usize>) {
        self.lines.clear();
        self.first = first;
        (self.start, self.end) = (range.start, range.end);
        let mut start = range.start;
        for_each_newline(&text[range.clone()], |newline| {
            let end = range.start + newline + 1;
            self.lines.push_back((start, end));
            start = end;
        });
        if start < range.end {
            self.lines.push_back((start, range.end));
        }
    }

    /// Find the lines up to line `i`, backwards or forwards.
    fn reach(&mut self, text: &[u8], i: isize) {
        while i < self.first {
            let end = self.start;
            let start = memchr::memrchr(b'\n', &text[..end - 1]).map_or(0, |newline| newline + 1);
            self.lines.push_front((start, end));
            self.first -= 1;
            self.start = start;
        }
        while i >= self.first + self.lines.len() as isize {
            let start = self.end;
            assert!(start < text.len(), "xdiff: line {i} is past the end");
            let end = memchr::memchr(b'\n', &text[start..]).map_or(text.len(), |n| start + n + 1);
            self.lines.push_back((start, end));
            self.end = end;
        }
    }
}

impl Side {
    fn len(&self) -> isize {
        self.count
    }

    fn is_changed(&self, i: isize) -> bool {
        self.changed[(i + 1) as usize] != 0
    }

    fn set_changed(&mut self, i: isize, value: bool) {
        self.changed[(i + 1) as usize] = u8::from(value);
    }

    fn line<'t>(&self, text: &'t [u8], i: isize) -> &'t [u8] {
        let mut window = self.window.borrow_mut();
        window.reach(text, i);
        let (start, end) = window.lines[(i - window.first) as usize];
        &text[start..end]
    }

    /// Number the window's lines from `first` on: they are the lines between the common
    /// ends of a text of `count` lines, all unchanged so far.
    fn number(&mut self, first: isize, count: isize) {
        let window = self.window.get_mut();
        window.first = first;
        self.start = first;
        self.end = first + window.lines.len() as isize - 1;
        self.count = count;
        self.changed.clear();
        self.changed.resize(count as usize + 2, 0);
    }

    /// Whether lines `a` and `b` are equal (`recs_match`).
    fn same_lines(&self, text: &[u8], a: isize, b: isize) -> bool {
        same_bytes(self.line(text, a), self.line(text, b))
    }
}

/// The lines both texts start with and end with (`xdl_trim_ends`), found on the bytes: where
/// the whole lines of the common byte prefix end, and how long the common byte suffix is from
/// its first line start in both texts on (never overlapping the prefix).
fn common_ends(old: &[u8], new: &[u8]) -> (usize, usize) {
    if old == new {
        return (old.len(), 0);
    }
    let same = common_prefix(old, new);
    let prefix = memchr::memrchr(b'\n', &old[..same]).map_or(0, |newline| newline + 1);
    let same = common_suffix(old, new, old.len().min(new.len()) - prefix);
    let starts_line = |text: &[u8], at: usize| at == 0 || text[at - 1] == b'\n';
    let suffix =
        if same > 0 && starts_line(old, old.len() - same) && starts_line(new, new.len() - same) {
            same
        } else {
            memchr::memchr(b'\n', &old[old.len() - same..]).map_or(0, |newline| same - newline - 1)
        };
    (prefix, suffix)
}

/// Call `f` with each line of `text` (a `\n` ends a line, the last may have none).
fn for_each_line(text: &[u8], mut f: impl FnMut(&[u8])) {
    let mut start = 0;
    for_each_newline(text, |newline| {
        f(&text[start..newline + 1]);
        start = newline + 1;
    });
    if start < text.len() {
        f(&text[start..]);
    }
}

/// How many lines `text` has.
fn count_lines(text: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', text).count()
        + usize::from(!text.is_empty() && !text.ends_with(b"\n"))
}

/// The length of the longest common prefix: a `memcmp` per 1 KiB block, then words.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    const BLOCK: usize = 1024;
    let limit = a.len().min(b.len());
    let mut at = 0;
    while at + BLOCK <= limit && a[at..at + BLOCK] == b[at..at + BLOCK] {
        at += BLOCK;
    }
    while at + 8 <= limit {
        let (x, y) = (word(&a[at..at + 8]), word(&b[at..at + 8]));
        if x != y {
            return at + ((x ^ y).trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    at + a[at..limit]
        .iter()
        .zip(&b[at..limit])
        .take_while(|(x, y)| x == y)
        .count()
}

/// The length of the longest common suffix, at most `limit`.
fn common_suffix(a: &[u8], b: &[u8], limit: usize) -> usize {
    const BLOCK: usize = 1024;
    let (a, b) = (&a[a.len() - limit..], &b[b.len() - limit..]);
    let mut same = 0;
    while same + BLOCK <= limit
        && a[limit - same - BLOCK..limit - same] == b[limit - same - BLOCK..limit - same]
    {
        same += BLOCK;
    }
    while same + 8 <= limit {
        let end = limit - same;
        let (x, y) = (word(&a[end - 8..end]), word(&b[end - 8..end]));
        if x != y {
            return same + ((x ^ y).leading_zeros() / 8) as usize;
        }
        same += 8;
    }
    same + a[..limit - same]
        .iter()
        .rev()
        .zip(b[..limit - same].iter().rev())
        .take_while(|(x, y)| x == y)
        .count()
}

/// Eight bytes as a little-endian word.
fn word(bytes: &[u8]) -> u64 {
    u64::from_le_bytes(bytes.try_into().expect("eight bytes"))
}

/// Whether two lines are equal, compared a word at a time in place (lines are short: a
/// `memcmp` call costs more than the compare).
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    if a.len() < 8 {
        return a == b;
    }
    let mut at = 0;
    while at + 8 <= a.len() {
        if word(&a[at..at + 8]) != word(&b[at..at + 8]) {
            return false;
        }
        at += 8;
    }
    let end = a.len();
    word(&a[end - 8..]) == word(&b[end - 8..])
}

/// Call `f` with the position of each `\n` of `text`, in order. Newlines are found 64 bytes
/// at a time as a bit mask (the compare vectorizes, the mask is gathered 8 bytes per multiply),
/// twice as fast as a `memchr` call per line on source code's short lines.
fn for_each_newline(text: &[u8], mut f: impl FnMut(usize)) {
    let mut chunks = text.chunks_exact(64);
    let mut base = 0;
    for chunk in &mut chunks {
        let mut equal = [0u8; 64];
        for (flag, &byte) in equal.iter_mut().zip(chunk) {
            *flag = u8::from(byte == b'\n');
        }
        let mut mask = 0u64;
        for (word, flags) in equal.chunks_exact(8).enumerate() {
            // Eight 0/1 bytes to eight bits: the products land in the top byte, no carries.
            let flags = u64::from_le_bytes(flags.try_into().expect("eight bytes"));
            mask |= (flags.wrapping_mul(0x0102_0408_1020_4080) >> 56) << (word * 8);
        }
        while mask != 0 {
            f(base + mask.trailing_zeros() as usize);
            mask &= mask - 1;
        }
        base += 64;
    }
    for (i, &byte) in chunks.remainder().iter().enumerate() {
        if byte == b'\n' {
            f(base + i);
        }
    }
}

/// A summary of the lines being classified (length, first and last byte): a trimmed line
/// whose summary is not in it cannot equal any of them.
struct LineFilter {
    bits: [u64; 64],
}

impl Default for LineFilter {
    fn default() -> Self {
        LineFilter { bits: [0; 64] }
    }
}

impl LineFilter {
    fn key(line: &[u8]) -> usize {
        let (first, last) = (line.first().copied(), line.last().copied());
        let summary = (line.len() as u64) << 16
            | u64::from(first.unwrap_or(0)) << 8
            | u64::from(last.unwrap_or(0));
        (summary.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 52) as usize
    }

    fn insert(&mut self, line: &[u8]) {
        let key = LineFilter::key(line);
        self.bits[key / 64] |= 1 << (key % 64);
    }

    fn may_contain(&self, line: &[u8]) -> bool {
        let key = LineFilter::key(line);
        self.bits[key / 64] & (1 << (key % 64)) != 0
    }
}

/// A 64-bit hash of a line, word by word; only used to find equal lines.
fn line_hash(line: &[u8]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut hash = line.len() as u64;
    let mut words = line.chunks_exact(8);
    for chunk in &mut words {
        hash = (hash.rotate_left(5) ^ word(chunk)).wrapping_mul(K);
    }
    let rest = words.remainder();
    if !rest.is_empty() {
        // The last eight bytes (overlapping the words before), or the short line byte by byte:
        // no call to copy a few bytes.
        let last = if line.len() >= 8 {
            word(&line[line.len() - 8..])
        } else {
            rest.iter()
                .enumerate()
                .fold(0, |word, (i, &byte)| word | u64::from(byte) << (8 * i))
        };
        hash = (hash.rotate_left(5) ^ last).wrapping_mul(K);
    }
    (hash ^ (hash >> 32)).wrapping_mul(K)
}

/// Classes of equal lines over both texts, with each class's count per text (`xdlclassifier_t`).
#[derive(Default)]
struct Classifier {
    /// Open addressing: class + 1, 0 for an empty slot.
    table: Vec<u32>,
    shift: u32,
    classes: Vec<Class>,
}

struct Class {
    hash: u64,
    /// The text (0 old, 1 new) and range of its first line.
    side: u8,
    start: usize,
    end: usize,
    count: [u32; 2],
    /// Lines of the common ends in this class (each is in both texts).
    common: u32,
}

impl Classifier {
    fn reset(&mut self, lines: usize) {
        let bits = (lines * 2).max(16).next_power_of_two().trailing_zeros();
        self.table.clear();
        self.table.resize(1 << bits, 0);
        self.shift = 64 - bits;
        self.classes.clear();
    }

    fn classify(&mut self, texts: [&[u8]; 2], side: u8, range: (usize, usize), hash: u64) -> u32 {
        let line = &texts[usize::from(side)][range.0..range.1];
        let mask = self.table.len() - 1;
        let mut slot = (hash >> self.shift) as usize;
        loop {
            let entry = self.table[slot];
            if entry == 0 {
                let class = self.classes.len() as u32;
                self.classes.push(Class {
                    hash,
                    side,
                    start: range.0,
                    end: range.1,
                    count: [0, 0],
                    common: 0,
                });
                self.classes[class as usize].count[usize::from(side)] += 1;
                self.table[slot] = class + 1;
                return class;
            }
            let class = &mut self.classes[entry as usize - 1];
            if class.hash == hash
                && same_bytes(
                    &texts[usize::from(class.side)][class.start..class.end],
                    line,
                )
            {
                class.count[usize::from(side)] += 1;
                return entry - 1;
            }
            slot = (slot + 1) & mask;
        }
    }

    /// Count a line of the common ends for its class, if one has it.
    fn count_common(&mut self, texts: [&[u8]; 2], line: &[u8], hash: u64) {
        let mask = self.table.len() - 1;
        let mut slot = (hash >> self.shift) as usize;
        loop {
            let entry = self.table[slot];
            if entry == 0 {
                return;
            }
            let class = &mut self.classes[entry as usize - 1];
            if class.hash == hash
                && same_bytes(
                    &texts[usize::from(class.side)][class.start..class.end],
                    line,
                )
            {
                class.common += 1;
                return;
            }
            slot = (slot + 1) & mask;
        }
    }
}

/// Git's `xdl_bogosqrt`.
fn bogo_sqrt(mut n: isize) -> isize {
    let mut i = 1;
    while n > 0 {
        i <<= 1;
        n >>= 2;
    }
    i
}

impl Differ {
    /// Diff `old` against `new` as git does, sending the hunks to `sink`.
    pub fn diff(&mut self, old: &[u8], new: &[u8], sink: &mut dyn DiffSink) {
        if old.is_empty() || new.is_empty() {
            // What xdiff finds for an added or deleted file: every line, one hunk.
            let (text, origin) = if old.is_empty() {
                (new, b'+')
            } else {
                (old, b'-')
            };
            if text.is_empty() {
                return;
            }
            let count =
                memchr::memchr_iter(b'\n', text).count() + usize::from(!text.ends_with(b"\n"));
            match origin {
                b'+' => sink.hunk(1, 0, 1, count),
                _ => sink.hunk(1, count, 1, 0),
            }
            let mut start = 0;
            for_each_newline(text, |newline| {
                sink.line(origin, &text[start..newline + 1]);
                start = newline + 1;
            });
            if start < text.len() {
                sink.line(origin, &text[start..]);
            }
            return;
        }
        self.prepare(old, new);
        self.finish(old, new, sink);
    }

    /// Everything after the preparation: Myers, sliding, hunks.
    fn finish(&mut self, old: &[u8], new: &[u8], sink: &mut dyn DiffSink) {
        self.myers();
        compact(&mut self.old, &self.new, old);
        compact(&mut self.new, &self.old, new);
        self.build_script();
        self.emit(old, new, sink);
    }

    /// `xdl_prepare_env`: split into lines, trim the common ends, classify, discard lines.
    ///
    /// Git classifies every line of both texts, then trims the common ends. Here the ends are
    /// found on the bytes first and only the lines between them are classified: a commit
    /// mostly changes a few lines of a long file. What git's discarding reads of the trimmed
    /// lines (how often each remaining line occurs in the whole other text) is counted by
    /// looking the trimmed lines up among the remaining ones.
    fn prepare(&mut self, old: &[u8], new: &[u8]) {
        let (prefix_end, suffix_len) = common_ends(old, new);
        let (prefix_text, suffix_text) = (&old[..prefix_end], &old[old.len() - suffix_len..]);
        let texts = [old, new];
        let middles = [
            prefix_end..old.len() - suffix_len,
            prefix_end..new.len() - suffix_len,
        ];
        // The lines between the ends, numbered from 0 until the prefix's lines are counted.
        for (side, text, middle) in [
            (&mut self.old, old, &middles[0]),
            (&mut self.new, new, &middles[1]),
        ] {
            side.window.get_mut().load(text, 0, middle.clone());
        }
        let lines = |side: &mut Side| side.window.get_mut().lines.len();
        self.classes
            .reset(lines(&mut self.old) + lines(&mut self.new));
        let mut filter = LineFilter::default();
        for (index, side) in [(0u8, &mut self.old), (1, &mut self.new)] {
            side.class.clear();
            for &range in &side.window.get_mut().lines {
                let line = &texts[usize::from(index)][range.0..range.1];
                filter.insert(line);
                side.class
                    .push(self.classes.classify(texts, index, range, line_hash(line)));
            }
        }
        // The trimmed lines are the same in both texts: each counts once on both sides.
        let (mut prefix, mut suffix) = (0, 0);
        if self.classes.classes.is_empty() {
            (prefix, suffix) = (count_lines(prefix_text), count_lines(suffix_text));
        } else {
            for (text, count) in [(prefix_text, &mut prefix), (suffix_text, &mut suffix)] {
                for_each_line(text, |line| {
                    *count += 1;
                    if filter.may_contain(line) {
                        self.classes.count_common(texts, line, line_hash(line));
                    }
                });
            }
        }
        for (index, side) in [(0usize, &mut self.old), (1, &mut self.new)] {
            let count = prefix + side.window.get_mut().lines.len() + suffix;
            side.number(prefix as isize, count as isize);
            side.matches.clear();
            side.matches.extend(side.class.iter().map(|&c| {
                let class = &self.classes.classes[c as usize];
                class.count[1 - index] + class.common
            }));
        }
        self.discard();
    }

    /// `xdl_cleanup_records`: lines without a match on the other side (and lines with many,
    /// in runs of those) go straight to the changed lines; the rest are kept for Myers.
    fn discard(&mut self) {
        for side in [&mut self.old, &mut self.new] {
            let limit = bogo_sqrt(side.len()).min(MAX_EQUAL_LIMIT as isize) as u32;
            self.discard.clear();
            self.discard.resize(side.count as usize + 1, 0);
            for (i, &matches) in (side.start..).zip(&side.matches) {
                self.discard[i as usize] = match matches {
                    0 => 0,
                    m if m >= limit => 2,
                    _ => 1,
                };
            }
            side.kept.clear();
            side.kept_class.clear();
            for i in side.start..=side.end {
                let mark = self.discard[i as usize];
                if mark == 1
                    || (mark == 2 && !clean_multiple_match(&self.discard, i, side.start, side.end))
                {
                    side.kept.push(i as usize);
                    side.kept_class.push(side.class[(i - side.start) as usize]);
                } else {
                    side.set_changed(i, true);
                }
            }
        }
    }

    /// `xdl_do_diff`'s Myers part: `xdl_recs_cmp` over the kept lines, its recursion made a
    /// stack (low half first, as the recursion).
    fn myers(&mut self) {
        let (n1, n2) = (self.old.kept.len() as isize, self.new.kept.len() as isize);
        let diagonals = n1 + n2 + 3;
        self.diagonals.clear();
        self.diagonals.resize((2 * diagonals + 2) as usize, 0);
        let mut search = Search {
            ha1: &self.old.kept_class,
            ha2: &self.new.kept_class,
            kv: &mut self.diagonals,
            forward: n2 + 1,
            backward: diagonals + n2 + 1,
            max_cost: bogo_sqrt(diagonals).max(MAX_COST_MIN),
        };
        let (kept1, changed1) = (&self.old.kept, &mut self.old.changed);
        let (kept2, changed2) = (&self.new.kept, &mut self.new.changed);
        self.boxes.clear();
        self.boxes.push((0, n1, 0, n2, false));
        while let Some((mut off1, mut lim1, mut off2, mut lim2, need_min)) = self.boxes.pop() {
            while off1 < lim1 && off2 < lim2 && search.same(off1, off2) {
                off1 += 1;
                off2 += 1;
            }
            while off1 < lim1 && off2 < lim2 && search.same(lim1 - 1, lim2 - 1) {
                lim1 -= 1;
                lim2 -= 1;
            }
            if off1 == lim1 {
                for &line in &kept2[off2 as usize..lim2 as usize] {
                    changed2[line + 1] = 1;
                }
            } else if off2 == lim2 {
                for &line in &kept1[off1 as usize..lim1 as usize] {
                    changed1[line + 1] = 1;
                }
            } else {
                let split = search.split(off1, lim1, off2, lim2, need_min);
                self.boxes
                    .push((split.i1, lim1, split.i2, lim2, split.min_high));
                self.boxes
                    .push((off1, split.i1, off2, split.i2, split.min_low));
            }
        }
    }

    /// `xdl_build_script`: the runs of changed lines, in order.
    fn build_script(&mut self) {
        self.changes.clear();
        let (a, b) = (&self.old, &self.new);
        // Unchanged lines pair up: skip the unchanged ends of both texts at once.
        let bounds = |side: &Side| {
            let marks = &side.changed[1..side.changed.len() - 1];
            let first = marks.iter().position(|&c| c != 0).unwrap_or(marks.len());
            let last = marks
                .iter()
                .rposition(|&c| c != 0)
                .map_or(-1, |i| i as isize);
            (first as isize, side.len() - 1 - last)
        };
        let ((first1, tail1), (first2, tail2)) = (bounds(a), bounds(b));
        let tail = tail1.min(tail2);
        let (mut i1, mut i2) = (a.len() - tail, b.len() - tail);
        while i1 > first1 || i2 > first2 {
            if a.is_changed(i1 - 1) || b.is_changed(i2 - 1) {
                let (l1, l2) = (i1, i2);
                while a.is_changed(i1 - 1) {
                    i1 -= 1;
                }
                while b.is_changed(i2 - 1) {
                    i2 -= 1;
                }
                self.changes.push(Change {
                    i1,
                    i2,
                    chg1: l1 - i1,
                    chg2: l2 - i2,
                });
            }
            i1 -= 1;
            i2 -= 1;
        }
        self.changes.reverse();
    }

    /// `xdl_emit_diff` with `xdl_get_hunk`: changes at most 6 lines apart share a hunk.
    fn emit(&self, old: &[u8], new: &[u8], sink: &mut dyn DiffSink) {
        let (a, b) = (&self.old, &self.new);
        let mut first = 0;
        while first < self.changes.len() {
            let mut last = first;
            while let Some(next) = self.changes.get(last + 1) {
                let previous = &self.changes[last];
                if next.i1 - (previous.i1 + previous.chg1) > 2 * CONTEXT {
                    break;
                }
                last += 1;
            }
            let (start, end) = (&self.changes[first], &self.changes[last]);
            let s1 = (start.i1 - CONTEXT).max(0);
            let mut s2 = (start.i2 - CONTEXT).max(0);
            let trailing = CONTEXT
                .min(a.len() - (end.i1 + end.chg1))
                .min(b.len() - (end.i2 + end.chg2));
            let e1 = end.i1 + end.chg1 + trailing;
            let e2 = end.i2 + end.chg2 + trailing;
            sink.hunk(
                (s1 + 1) as usize,
                (e1 - s1) as usize,
                (s2 + 1) as usize,
                (e2 - s2) as usize,
            );
            while s2 < start.i2 {
                sink.line(b' ', b.line(new, s2));
                s2 += 1;
            }
            let (mut s1, mut s2) = (start.i1, start.i2);
            for change in &self.changes[first..=last] {
                while s1 < change.i1 && s2 < change.i2 {
                    sink.line(b' ', b.line(new, s2));
                    s1 += 1;
                    s2 += 1;
                }
                for i in change.i1..change.i1 + change.chg1 {
                    sink.line(b'-', a.line(old, i));
                }
                for i in change.i2..change.i2 + change.chg2 {
                    sink.line(b'+', b.line(new, i));
                }
                s1 = change.i1 + change.chg1;
                s2 = change.i2 + change.chg2;
            }
            for i in end.i2 + end.chg2..e2 {
                sink.line(b' ', b.line(new, i));
            }
            first = last + 1;
        }
    }
}

/// `xdl_clean_mmatch`: whether a line with many matches sits in a run of lines without one
/// (then it is discarded too).
fn clean_multiple_match(discard: &[u8], i: isize, start: isize, end: isize) -> bool {
    let start = start.max(i - SIMILAR_SCAN_WINDOW);
    let end = end.min(i + SIMILAR_SCAN_WINDOW);
    let mark = |j: isize| discard[j as usize];
    let (mut r, mut none_before, mut many_before) = (1, 0, 1);
    while i - r >= start {
        match mark(i - r) {
            0 => none_before += 1,
            2 => many_before += 1,
            _ => break,
        }
        r += 1;
    }
    if none_before == 0 {
        return false;
    }
    let (mut r, mut none_after, mut many_after) = (1, 0, 1);
    while i + r <= end {
        match mark(i + r) {
            0 => none_after += 1,
            2 => many_after += 1,
            _ => break,
        }
        r += 1;
    }
    if none_after == 0 {
        return false;
    }
    let none = none_after + none_before;
    let many = many_after + many_before;
    many * DISCARD_RUN < many + none
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes hunks as `git diff` does (headers simplified).
    struct Text(Vec<u8>);

    impl DiffSink for Text {
        fn hunk(&mut self, a: usize, b: usize, c: usize, d: usize) {
            self.0
                .extend_from_slice(format!("@@ -{a},{b} +{c},{d} @@\n").as_bytes());
        }
        fn line(&mut self, origin: u8, line: &[u8]) {
            self.0.push(origin);
            self.0.extend_from_slice(line);
        }
    }

    fn diff(old: &str, new: &str) -> String {
        let mut text = Text(Vec::new());
        Differ::default().diff(old.as_bytes(), new.as_bytes(), &mut text);
        String::from_utf8(text.0).unwrap()
    }

    /// Git's own order of preparation: classify every line, then trim on classes.
    fn prepare_as_git(differ: &mut Differ, old: &[u8], new: &[u8]) {
        let texts = [old, new];
        let mut lines: [Vec<(usize, usize)>; 2] = Default::default();
        for (index, side) in [(0usize, &mut differ.old), (1, &mut differ.new)] {
            let window = side.window.get_mut();
            window.load(texts[index], 0, 0..texts[index].len());
            lines[index] = window.lines.iter().copied().collect();
            side.count = lines[index].len() as isize;
            side.changed = vec![0; lines[index].len() + 2];
        }
        differ.classes.reset(lines[0].len() + lines[1].len());
        let mut classes: [Vec<u32>; 2] = Default::default();
        for index in [0u8, 1] {
            for &range in &lines[usize::from(index)] {
                let line = &texts[usize::from(index)][range.0..range.1];
                let class = differ
                    .classes
                    .classify(texts, index, range, line_hash(line));
                classes[usize::from(index)].push(class);
            }
        }
        let (a, b) = (&classes[0], &classes[1]);
        let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let suffix = a[prefix..]
            .iter()
            .rev()
            .zip(b[prefix..].iter().rev())
            .take_while(|(x, y)| x == y)
            .count();
        for (index, side) in [(0usize, &mut differ.old), (1, &mut differ.new)] {
            side.start = prefix as isize;
            side.end = side.len() - suffix as isize - 1;
            let middle = &classes[index][prefix..classes[index].len() - suffix];
            side.class = middle.to_vec();
            side.matches = middle
                .iter()
                .map(|&c| differ.classes.classes[c as usize].count[1 - index])
                .collect();
        }
        differ.discard();
    }

    /// Random texts whose lines repeat a lot, sharing a long prefix and suffix.
    fn texts(seed: u64) -> (Vec<u8>, Vec<u8>) {
        let mut state = seed | 1;
        let mut below = |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n) as usize
        };
        let vocabulary: [&[u8]; 9] = [
            b"{\n",
            b"}\n",
            b"\n",
            b"  x;\n",
            b"\ty;\n",
            b"    z;\n",
            b"\x0c\n",
            b"a\n",
            b"b",
        ];
        let line = |below: &mut dyn FnMut(u64) -> usize| vocabulary[below(9)].to_vec();
        let common: Vec<Vec<u8>> = (0..below(60)).map(|_| line(&mut below)).collect();
        let (head, tail) = common.split_at(below(common.len() as u64 + 1));
        let text = |below: &mut dyn FnMut(u64) -> usize| {
            let mut lines: Vec<Vec<u8>> = head.to_vec();
            lines.extend((0..below(12)).map(|_| line(below)));
            lines.extend(tail.iter().cloned());
            let mut text: Vec<u8> = Vec::new();
            for l in &lines {
                // A line without a newline ends up inside a longer one unless it is last.
                text.extend_from_slice(l);
                if l.last() != Some(&b'\n') {
                    text.push(b'\n');
                }
            }
            if below(4) == 0 {
                text.pop();
            }
            text
        };
        let old = text(&mut below);
        let new = text(&mut below);
        (old, new)
    }

    #[test]
    fn trimming_first_gives_gits_hunks() {
        for seed in 0..20_000 {
            let (old, new) = texts(seed);
            let mut fast = Text(Vec::new());
            Differ::default().diff(&old, &new, &mut fast);
            let mut reference = Text(Vec::new());
            let mut differ = Differ::default();
            prepare_as_git(&mut differ, &old, &new);
            differ.finish(&old, &new, &mut reference);
            assert_eq!(
                String::from_utf8_lossy(&fast.0),
                String::from_utf8_lossy(&reference.0),
                "seed {seed}: {:?} -> {:?}",
                String::from_utf8_lossy(&old),
                String::from_utf8_lossy(&new)
            );
        }
    }

    #[test]
    fn common_ends_are_found_by_blocks_and_words() {
        let naive_prefix = |a: &[u8], b: &[u8]| a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let base: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
        for cut in [0, 1, 7, 8, 9, 1023, 1024, 1025, 3000, 4999] {
            let mut other = base.clone();
            other[cut] ^= 1;
            assert_eq!(common_prefix(&base, &other), naive_prefix(&base, &other));
            let limit = base.len();
            let naive_suffix = base
                .iter()
                .rev()
                .zip(other.iter().rev())
                .take_while(|(x, y)| x == y)
                .count();
            assert_eq!(common_suffix(&base, &other, limit), naive_suffix);
            assert_eq!(
                common_suffix(&base, &other, cut.min(100)),
                naive_suffix.min(cut.min(100))
            );
        }
        assert_eq!(common_prefix(&base, &base[..1500]), 1500);
        assert!(same_bytes(b"0123456789", b"0123456789"));
        assert!(!same_bytes(b"0123456789", b"0123456788"));
        assert!(!same_bytes(b"abc", b"abd"));
    }

    #[test]
    fn hunks_carry_three_lines_of_context() {
        let old: String = (1..=20).map(|i| format!("{i}\n")).collect();
        let new = old.replace("10\n", "ten\n");
        assert_eq!(
            diff(&old, &new),
            "@@ -7,7 +7,7 @@\n 7\n 8\n 9\n-10\n+ten\n 11\n 12\n 13\n"
        );
        assert_eq!(diff(&old, &old), "");
        assert_eq!(diff("", "a\n"), "@@ -1,0 +1,1 @@\n+a\n");
    }

    #[test]
    fn the_indent_heuristic_slides_an_added_block_to_its_blank_line() {
        let old = "a {\n  x\n}\n\nb {\n  y\n}\n";
        let new = "a {\n  x\n}\n\nn {\n  z\n}\n\nb {\n  y\n}\n";
        assert_eq!(
            diff(old, new),
            "@@ -2,6 +2,10 @@\n   x\n }\n \n+n {\n+  z\n+}\n+\n b {\n   y\n }\n"
        );
    }
}

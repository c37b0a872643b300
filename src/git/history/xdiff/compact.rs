//! Git's sliding of change groups (`xdiffi.c`: `xdl_change_compact`): each group of changed
//! lines moves up and down over equal lines, merges with groups it meets, and settles in line
//! with a change of the other text if it can, else where the indent heuristic scores best
//! (`measure_split`, `score_add_split`, with git's empirical weights).

use super::Side;

/// The indent heuristic's limits.
const MAX_INDENT: i32 = 200;
const MAX_BLANKS: i32 = 20;
const INDENT_HEURISTIC_MAX_SLIDING: isize = 100;

/// A group of changed lines (`struct xdlgroup`): `start..end`, empty between two unchanged
/// lines.
#[derive(Debug, Clone, Copy)]
struct Group {
    start: isize,
    end: isize,
}

impl Side {
    /// `group_init`.
    fn first_group(&self) -> Group {
        let mut end = 0;
        while self.is_changed(end) {
            end += 1;
        }
        Group { start: 0, end }
    }

    /// `group_next`: false at the end of the text.
    fn next_group(&self, group: &mut Group) -> bool {
        if group.end == self.len() {
            return false;
        }
        group.start = group.end + 1;
        group.end = group.start;
        while self.is_changed(group.end) {
            group.end += 1;
        }
        true
    }

    /// `group_previous`: false at the start of the text.
    fn previous_group(&self, group: &mut Group) -> bool {
        if group.start == 0 {
            return false;
        }
        group.end = group.start - 1;
        group.start = group.end;
        while self.is_changed(group.start - 1) {
            group.start -= 1;
        }
        true
    }

    /// `group_slide_down`, merging with a group it reaches.
    fn slide_down(&mut self, text: &[u8], group: &mut Group) -> bool {
        if group.end < self.len() && self.same_lines(text, group.start, group.end) {
            self.set_changed(group.start, false);
            group.start += 1;
            self.set_changed(group.end, true);
            group.end += 1;
            while self.is_changed(group.end) {
                group.end += 1;
            }
            true
        } else {
            false
        }
    }

    /// `group_slide_up`, merging with a group it reaches.
    fn slide_up(&mut self, text: &[u8], group: &mut Group) -> bool {
        if group.start > 0 && self.same_lines(text, group.start - 1, group.end - 1) {
            group.start -= 1;
            self.set_changed(group.start, true);
            group.end -= 1;
            self.set_changed(group.end, false);
            while self.is_changed(group.start - 1) {
                group.start -= 1;
            }
            true
        } else {
            false
        }
    }
}

/// `xdl_change_compact`: slide each group of changed lines of `side` up and down, merging
/// groups that meet; then place it in line with a change of `other` if it can, else where the
/// indent heuristic scores best.
pub(super) fn compact(side: &mut Side, other: &Side, text: &[u8]) {
    const BROKEN: &str = "xdiff: the change groups of both texts stay in step";
    let mut g = side.first_group();
    let mut go = other.first_group();
    loop {
        if g.end != g.start {
            let mut earliest_end;
            let mut end_matching_other;
            let mut group_size;
            loop {
                group_size = g.end - g.start;
                end_matching_other = -1;
                while side.slide_up(text, &mut g) {
                    assert!(other.previous_group(&mut go), "{BROKEN}");
                }
                earliest_end = g.end;
                if go.end > go.start {
                    end_matching_other = g.end;
                }
                while side.slide_down(text, &mut g) {
                    assert!(other.next_group(&mut go), "{BROKEN}");
                    if go.end > go.start {
                        end_matching_other = g.end;
                    }
                }
                if group_size == g.end - g.start {
                    break;
                }
            }
            if g.end == earliest_end {
                // It cannot slide.
            } else if end_matching_other != -1 {
                while go.end == go.start {
                    assert!(side.slide_up(text, &mut g), "{BROKEN}");
                    assert!(other.previous_group(&mut go), "{BROKEN}");
                }
            } else {
                let mut shift = earliest_end
                    .max(g.end - group_size - 1)
                    .max(g.end - INDENT_HEURISTIC_MAX_SLIDING);
                let mut best: Option<(isize, Score)> = None;
                while shift <= g.end {
                    let mut score = Score::default();
                    score.add(&measure_split(side, text, shift));
                    score.add(&measure_split(side, text, shift - group_size));
                    if best.is_none_or(|(_, best)| score.compare(&best) <= 0) {
                        best = Some((shift, score));
                    }
                    shift += 1;
                }
                let best_shift = best.map_or(g.end, |(shift, _)| shift);
                while g.end > best_shift {
                    assert!(side.slide_up(text, &mut g), "{BROKEN}");
                    assert!(other.previous_group(&mut go), "{BROKEN}");
                }
            }
        }
        if !side.next_group(&mut g) {
            break;
        }
        assert!(other.next_group(&mut go), "{BROKEN}");
    }
    assert!(!other.next_group(&mut go), "{BROKEN}");
}

/// Git's `get_indent`: columns of leading whitespace (tabs to 8), -1 for a blank line.
fn indent(line: &[u8]) -> i32 {
    let mut columns = 0;
    for &c in line {
        match c {
            b' ' => columns += 1,
            b'\t' => columns += 8 - columns % 8,
            b'\n' | b'\r' => {}
            _ => return columns,
        }
        if columns >= MAX_INDENT {
            return MAX_INDENT;
        }
    }
    -1
}

/// `struct split_measurement`: the surroundings of a split above line `split`.
struct Measurement {
    end_of_file: bool,
    indent: i32,
    pre_blank: i32,
    pre_indent: i32,
    post_blank: i32,
    post_indent: i32,
}

/// `measure_split`.
fn measure_split(side: &Side, text: &[u8], split: isize) -> Measurement {
    let (end_of_file, line_indent) = if split >= side.len() {
        (true, -1)
    } else {
        (false, indent(side.line(text, split)))
    };
    let (mut pre_blank, mut pre_indent) = (0, -1);
    let mut i = split - 1;
    while i >= 0 {
        pre_indent = indent(side.line(text, i));
        if pre_indent != -1 {
            break;
        }
        pre_blank += 1;
        if pre_blank == MAX_BLANKS {
            pre_indent = 0;
            break;
        }
        i -= 1;
    }
    let (mut post_blank, mut post_indent) = (0, -1);
    let mut i = split + 1;
    while i < side.len() {
        post_indent = indent(side.line(text, i));
        if post_indent != -1 {
            break;
        }
        post_blank += 1;
        if post_blank == MAX_BLANKS {
            post_indent = 0;
            break;
        }
        i += 1;
    }
    Measurement {
        end_of_file,
        indent: line_indent,
        pre_blank,
        pre_indent,
        post_blank,
        post_indent,
    }
}

/// `struct split_score`: smaller is better.
#[derive(Debug, Default, Clone, Copy)]
struct Score {
    effective_indent: i32,
    penalty: i32,
}

impl Score {
    /// `score_add_split`, with git's empirical weights.
    fn add(&mut self, m: &Measurement) {
        const START_OF_FILE_PENALTY: i32 = 1;
        const END_OF_FILE_PENALTY: i32 = 21;
        const TOTAL_BLANK_WEIGHT: i32 = -30;
        const POST_BLANK_WEIGHT: i32 = 6;
        const RELATIVE_INDENT_PENALTY: i32 = -4;
        const RELATIVE_INDENT_WITH_BLANK_PENALTY: i32 = 10;
        const RELATIVE_OUTDENT_PENALTY: i32 = 24;
        const RELATIVE_OUTDENT_WITH_BLANK_PENALTY: i32 = 17;
        const RELATIVE_DEDENT_PENALTY: i32 = 23;
        const RELATIVE_DEDENT_WITH_BLANK_PENALTY: i32 = 17;

        if m.pre_indent == -1 && m.pre_blank == 0 {
            self.penalty += START_OF_FILE_PENALTY;
        }
        if m.end_of_file {
            self.penalty += END_OF_FILE_PENALTY;
        }
        let post_blank = if m.indent == -1 { 1 + m.post_blank } else { 0 };
        let total_blank = m.pre_blank + post_blank;
        self.penalty += TOTAL_BLANK_WEIGHT * total_blank;
        self.penalty += POST_BLANK_WEIGHT * post_blank;
        let indent = if m.indent != -1 {
            m.indent
        } else {
            m.post_indent
        };
        let any_blanks = total_blank != 0;
        self.effective_indent += indent;
        if indent == -1 || m.pre_indent == -1 {
        } else if indent > m.pre_indent {
            self.penalty += if any_blanks {
                RELATIVE_INDENT_WITH_BLANK_PENALTY
            } else {
                RELATIVE_INDENT_PENALTY
            };
        } else if indent == m.pre_indent {
        } else if m.post_indent != -1 && m.post_indent > indent {
            self.penalty += if any_blanks {
                RELATIVE_OUTDENT_WITH_BLANK_PENALTY
            } else {
                RELATIVE_OUTDENT_PENALTY
            };
        } else {
            self.penalty += if any_blanks {
                RELATIVE_DEDENT_WITH_BLANK_PENALTY
            } else {
                RELATIVE_DEDENT_PENALTY
            };
        }
    }

    /// `score_cmp`: negative when `self` is better.
    fn compare(&self, other: &Score) -> i32 {
        const INDENT_WEIGHT: i32 = 60;
        let indents = (self.effective_indent > other.effective_indent) as i32
            - (self.effective_indent < other.effective_indent) as i32;
        INDENT_WEIGHT * indents + (self.penalty - other.penalty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_feed_is_not_whitespace_to_git() {
        assert_eq!(indent(b"\x0c  x\n"), 0);
        assert_eq!(indent(b"\t x\n"), 9);
        assert_eq!(indent(b" \r\n"), -1);
    }
}

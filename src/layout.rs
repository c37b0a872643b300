//! Plain-text layout of human output fitted to a width: word wrapping with a hanging indent,
//! and rows of aligned columns that end in free text (a reason, the evidence).
//!
//! The commands' human output (`check`, `list`, `expire`, `versions`, `audit`'s findings and
//! summary) is laid out here so that it reads at 80 columns. Widths are counted in terminal
//! columns (`unicode-width`). A word longer than the room it has (a URL, a long path) is kept
//! whole and overflows its line: broken, it could no longer be copied.

use unicode_width::UnicodeWidthStr;

/// The width of `text` in terminal columns.
pub fn text_width(text: &str) -> usize {
    text.width()
}

/// `text` wrapped to `width` columns at spaces: the first line starts with `first`, the others
/// with `rest` (both counted in the width). Each line ends in `\n`; runs of spaces between
/// words are kept on a line and dropped where it breaks.
pub fn wrap(text: &str, width: usize, first: &str, rest: &str) -> String {
    let mut out = String::new();
    let mut line = first.to_owned();
    let mut start = true;
    for (gap, word) in words(text) {
        let fits = text_width(&line) + text_width(gap) + text_width(word) <= width;
        if start || fits {
            if !start {
                line.push_str(gap);
            }
            line.push_str(word);
            start = false;
        } else {
            out.push_str(line.trim_end());
            out.push('\n');
            line = format!("{rest}{word}");
        }
    }
    out.push_str(line.trim_end());
    out.push('\n');
    out
}

/// The words of `text`, each with the spaces before it.
fn words(text: &str) -> Vec<(&str, &str)> {
    let mut words = Vec::new();
    let mut rest = text.trim_start_matches(' ');
    let mut gap = "";
    while !rest.is_empty() {
        let end = rest.find(' ').unwrap_or(rest.len());
        words.push((gap, &rest[..end]));
        let after = &rest[end..];
        let next = after.trim_start_matches(' ');
        gap = &after[..after.len() - next.len()];
        rest = next;
    }
    words
}

/// Rows of aligned columns whose last cell is free text, as `check` prints its verdicts:
/// `  expired   0001-fix.patch  fixed-in: 1.1 satisfies >=1.1`.
///
/// When every row fits the width, each is one line, the columns padded to their widest cell.
/// Otherwise the rows are stacked: the columns on one line, the text on the lines below it,
/// indented to the second column (or four spaces past the indent when that leaves less than
/// two thirds of the width) and wrapped. All rows of a block take the same form, so the columns stay aligned.
#[derive(Debug, Default)]
pub struct Rows {
    indent: String,
    rows: Vec<(Vec<String>, String)>,
}

impl Rows {
    /// Rows whose lines start with `indent`.
    pub fn new(indent: &str) -> Rows {
        Rows {
            indent: indent.to_owned(),
            rows: Vec::new(),
        }
    }

    /// Add a row: its columns and its text (empty for none).
    pub fn push(&mut self, columns: Vec<String>, text: impl Into<String>) {
        self.rows.push((columns, text.into()));
    }

    /// The rows laid out for `width` columns (`None`: no limit).
    pub fn render(&self, width: Option<usize>) -> String {
        let count = self.rows.iter().map(|(c, _)| c.len()).max().unwrap_or(0);
        let widths: Vec<usize> = (0..count)
            .map(|i| {
                self.rows
                    .iter()
                    .filter_map(|(columns, _)| columns.get(i))
                    .map(|cell| text_width(cell))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |columns: &[String], text: &str| {
            let mut line = self.indent.clone();
            for (index, cell) in columns.iter().enumerate() {
                line.push_str(cell);
                let last = index + 1 == columns.len();
                if !last || !text.is_empty() {
                    line.push_str(&" ".repeat(widths[index] - text_width(cell) + 2));
                }
            }
            line.push_str(text);
            line.trim_end().to_owned()
        };
        let single: Vec<String> = self.rows.iter().map(|(c, t)| line(c, t)).collect();
        let fits = width.is_none_or(|w| single.iter().all(|l| text_width(l) <= w));
        if fits {
            return single.iter().map(|l| format!("{l}\n")).collect();
        }
        let width = width.unwrap_or(usize::MAX);
        let under_second = text_width(&self.indent) + widths.first().map_or(0, |w| w + 2);
        // Under the second column when the first is narrow (a verdict), leaving two thirds of
        // the line to the text; else four columns past the indent.
        let text_indent = if width.saturating_sub(under_second) * 3 >= width * 2 {
            under_second
        } else {
            text_width(&self.indent) + 4
        };
        let text_indent = " ".repeat(text_indent);
        let mut out = String::new();
        for (columns, text) in &self.rows {
            out.push_str(&line(columns, ""));
            out.push('\n');
            if !text.is_empty() {
                out.push_str(&wrap(text, width, &text_indent, &text_indent));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_spaces_with_a_hanging_indent() {
        let text = wrap("one two three four five", 12, "- ", "  ");
        assert_eq!(text, "- one two\n  three four\n  five\n");
        assert_eq!(wrap("", 10, "x ", "  "), "x\n");
        // A word longer than the width stays whole.
        assert_eq!(
            wrap("a https://example.org/long b", 10, "", ""),
            "a\nhttps://example.org/long\nb\n"
        );
        assert_eq!(wrap("a  b", 80, "", ""), "a  b\n");
    }

    #[test]
    fn rows_stay_on_one_line_when_they_fit() {
        let mut rows = Rows::new("  ");
        rows.push(vec!["needed".into(), "a.patch".into()], "applies");
        rows.push(vec!["expired".into(), "bb.patch".into()], "");
        assert_eq!(
            rows.render(Some(80)),
            "  needed   a.patch   applies\n  expired  bb.patch\n"
        );
    }

    #[test]
    fn rows_that_do_not_fit_are_stacked_and_wrapped() {
        let mut rows = Rows::new("  ");
        let long = "content: hunk 1 of `hello.c` neither applies nor is in 1.1; upstream-commit: not an ancestor";
        rows.push(vec!["conflict".into(), "0002-greeting.patch".into()], long);
        rows.push(vec!["needed".into(), "0003.patch".into()], "applies");
        let text = rows.render(Some(34));
        assert_eq!(
            text,
            "  conflict  0002-greeting.patch\n\
             \x20     content: hunk 1 of `hello.c`\n\
             \x20     neither applies nor is in\n\
             \x20     1.1; upstream-commit: not an\n\
             \x20     ancestor\n\
             \x20 needed    0003.patch\n\
             \x20     applies\n"
        );
        assert!(text.lines().all(|l| text_width(l) <= 34), "{text}");
        let wide = rows.render(Some(80));
        assert!(
            wide.contains("\n            upstream-commit: not an ancestor\n"),
            "{wide}"
        );
        assert_eq!(rows.render(None).lines().count(), 2);
    }
}

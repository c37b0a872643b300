//! The default scheme (also calver's): a version is split into numeric and alphabetic runs,
//! numbers compare numerically and letters lexically; `~` and pre-release words sort before
//! the release; a leading `v`, a package-name prefix and trailing zero runs are ignored.
//! Written here because no crate orders pre-release words and package prefixes this way.

use std::cmp::Ordering;

use super::compare_numbers;

/// Words that mark a pre-release, in the order they sort (all before the release itself).
const PRERELEASE_WORDS: [&str; 5] = ["dev", "alpha", "beta", "pre", "rc"];

/// Whether a version holds `~` or a pre-release word as a run of letters.
pub(super) fn is_prerelease(version: &str) -> bool {
    tokens(strip_prefix(version))
        .iter()
        .any(|token| matches!(token, Token::Tilde | Token::Prerelease(_)))
}

/// One run of a version in the default scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// `~`: before everything, even the end.
    Tilde,
    /// A pre-release word, by its rank in [`PRERELEASE_WORDS`].
    Prerelease(usize),
    /// A run of digits without leading zeros (`"0"` for zero).
    Number(String),
    /// Any other run of letters, lower-cased.
    Word(String),
}

/// Drop a leading `v` (`v1.3`) or a name prefix ending in `-`/`_` before a digit (`zlib-1.3`,
/// `release-1.3`, `python3-3.11`).
fn strip_prefix(version: &str) -> &str {
    let version = version.trim();
    let bytes = version.as_bytes();
    if bytes.len() > 1 && matches!(bytes[0], b'v' | b'V') && bytes[1].is_ascii_digit() {
        return &version[1..];
    }
    if bytes.first().is_some_and(u8::is_ascii_alphabetic) {
        for (index, pair) in bytes.windows(2).enumerate() {
            if matches!(pair[0], b'-' | b'_') && pair[1].is_ascii_digit() {
                return &version[index + 1..];
            }
            if pair[0] == b'.' {
                break;
            }
        }
    }
    version
}

fn tokens(version: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = version.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c == '~' {
            out.push(Token::Tilde);
        } else if c.is_ascii_digit() {
            let mut end = start + 1;
            while let Some((index, next)) = chars.peek().copied()
                && next.is_ascii_digit()
            {
                end = index + 1;
                chars.next();
            }
            let digits = version[start..end].trim_start_matches('0');
            out.push(Token::Number(if digits.is_empty() {
                "0".to_owned()
            } else {
                digits.to_owned()
            }));
        } else if c.is_alphabetic() {
            let mut end = start + c.len_utf8();
            while let Some((index, next)) = chars.peek().copied()
                && next.is_alphabetic()
            {
                end = index + next.len_utf8();
                chars.next();
            }
            let word = version[start..end].to_lowercase();
            match PRERELEASE_WORDS.iter().position(|known| *known == word) {
                Some(rank) => out.push(Token::Prerelease(rank)),
                None => out.push(Token::Word(word)),
            }
        }
        // Anything else separates runs and is otherwise ignored.
    }
    out
}

/// The class of a position, in the order classes sort: `~`, pre-release word, the end, other
/// letters, numbers. The end against a number compares as the number zero.
fn class(token: Option<&Token>) -> u8 {
    match token {
        Some(Token::Tilde) => 0,
        Some(Token::Prerelease(_)) => 1,
        None => 2,
        Some(Token::Word(_)) => 3,
        Some(Token::Number(_)) => 4,
    }
}

/// The position that decided a default-scheme comparison, for [`super::explain`].
#[derive(Debug)]
pub(super) enum Step {
    Equal,
    Numbers(String, String),
    /// A number against the end (which counts as zero).
    MoreRuns(String),
    Prereleases(usize, usize),
    /// A pre-release word (or `~`) against anything that is not one.
    Prerelease(String),
    Words(String, String),
    Classes(String, String),
}

impl Step {
    /// The reason, phrased for `ordering` (of the left version against the right one).
    pub(super) fn describe(&self, ordering: Ordering) -> String {
        let ordered = |x: &str, y: &str| -> (String, String) {
            if ordering == Ordering::Less {
                (y.to_owned(), x.to_owned())
            } else {
                (x.to_owned(), y.to_owned())
            }
        };
        match self {
            Step::Equal => {
                "equal once a `v` or name prefix, separators and trailing zeros are ignored"
                    .to_owned()
            }
            Step::Numbers(a, b) => {
                let (high, low) = ordered(a, b);
                format!("numeric run {high} > {low}")
            }
            Step::MoreRuns(number) => format!("the extra numeric run {number} makes it later"),
            Step::Prereleases(a, b) => {
                let (high, low) = ordered(PRERELEASE_WORDS[*a], PRERELEASE_WORDS[*b]);
                format!("pre-release {high} > {low} (dev < alpha < beta < pre < rc)")
            }
            Step::Prerelease(word) => format!("{word} is a pre-release"),
            Step::Words(a, b) => {
                let (high, low) = ordered(a, b);
                format!("letters `{high}` > `{low}`")
            }
            Step::Classes(a, b) => {
                let (high, low) = ordered(a, b);
                format!("{high} sorts after {low}")
            }
        }
    }
}

fn describe_token(token: Option<&Token>) -> String {
    match token {
        None => "the end".to_owned(),
        Some(Token::Tilde) => "`~`".to_owned(),
        Some(Token::Prerelease(rank)) => format!("pre-release `{}`", PRERELEASE_WORDS[*rank]),
        Some(Token::Number(n)) => format!("number {n}"),
        Some(Token::Word(w)) => format!("letters `{w}`"),
    }
}

/// Compare in the default order; the step that decided, for [`super::explain`].
pub(super) fn compare(a: &str, b: &str) -> (Ordering, Step) {
    let left = tokens(strip_prefix(a));
    let right = tokens(strip_prefix(b));
    let length = left.len().max(right.len());
    for index in 0..length {
        let (x, y) = (left.get(index), right.get(index));
        let ordering = match (x, y) {
            (Some(Token::Number(p)), Some(Token::Number(q))) => {
                let ordering = compare_numbers(p, q);
                if ordering != Ordering::Equal {
                    return (ordering, Step::Numbers(p.clone(), q.clone()));
                }
                continue;
            }
            (Some(Token::Number(n)), None) | (None, Some(Token::Number(n))) => {
                if n == "0" {
                    continue;
                }
                let ordering = if x.is_some() {
                    Ordering::Greater
                } else {
                    Ordering::Less
                };
                return (ordering, Step::MoreRuns(n.clone()));
            }
            (Some(Token::Prerelease(p)), Some(Token::Prerelease(q))) => {
                let ordering = p.cmp(q);
                if ordering != Ordering::Equal {
                    return (ordering, Step::Prereleases(*p, *q));
                }
                continue;
            }
            (Some(Token::Word(p)), Some(Token::Word(q))) => {
                let ordering = p.cmp(q);
                if ordering != Ordering::Equal {
                    return (ordering, Step::Words(p.clone(), q.clone()));
                }
                continue;
            }
            (Some(Token::Tilde), Some(Token::Tilde)) => continue,
            _ => class(x).cmp(&class(y)),
        };
        let step = match (x, y) {
            (Some(Token::Prerelease(rank)), _) | (_, Some(Token::Prerelease(rank)))
                if !matches!((x, y), (Some(Token::Tilde), _) | (_, Some(Token::Tilde))) =>
            {
                Step::Prerelease(format!("`{}`", PRERELEASE_WORDS[*rank]))
            }
            (Some(Token::Tilde), _) | (_, Some(Token::Tilde)) => {
                Step::Prerelease("what follows `~`".to_owned())
            }
            _ => {
                let (high, low) = if ordering == Ordering::Less {
                    (y, x)
                } else {
                    (x, y)
                };
                let (first, second) = (describe_token(high), describe_token(low));
                if ordering == Ordering::Less {
                    Step::Classes(second, first)
                } else {
                    Step::Classes(first, second)
                }
            }
        };
        return (ordering, step);
    }
    (Ordering::Equal, Step::Equal)
}

#[cfg(test)]
mod tests {
    use super::super::tests::check;
    use super::super::{Scheme, explain};
    use super::*;
    use Ordering::{Equal, Greater, Less};

    #[test]
    fn default_orders_runs_and_prereleases() {
        check(
            Scheme::Default,
            &[
                ("1.10", "1.9", Greater),
                ("1.3", "1.3rc1", Greater),
                ("1.3rc1", "1.3beta2", Greater),
                ("1.3beta2", "1.3alpha", Greater),
                ("1.3alpha", "1.3dev1", Greater),
                ("1.3rc2", "1.3rc1", Greater),
                ("1.3-rc1", "1.3rc1", Equal),
                ("1.3~rc1", "1.3", Less),
                ("1.3~rc1", "1.2", Greater),
                ("1.3.1", "1.3", Greater),
                ("1.3.1", "1.3rc1", Greater),
                ("1.3.0", "1.3", Equal),
                ("1.1.1a", "1.1.1", Greater),
                ("1.1.1b", "1.1.1a", Greater),
                ("2.0", "1.99.99", Greater),
                ("1.010", "1.9", Greater),
                (
                    "12345678901234567890123",
                    "12345678901234567890122",
                    Greater,
                ),
                ("1.0.0-RC1", "1.0.0-rc1", Equal),
            ],
        );
    }

    #[test]
    fn default_ignores_v_and_name_prefixes() {
        check(
            Scheme::Default,
            &[
                ("v1.3", "1.3", Equal),
                ("zlib-1.3", "1.3", Equal),
                ("zlib-1.3", "v1.3", Equal),
                ("release-1.3", "1.3", Equal),
                ("python3-3.11", "3.11", Equal),
                ("V2.0", "v1.9", Greater),
                ("zlib-1.9", "v1.10", Less),
            ],
        );
    }

    #[test]
    fn calver_orders_dates() {
        check(
            Scheme::Calver,
            &[
                ("2024.01.15", "2023.12.31", Greater),
                ("2024.1.5", "2024.01.05", Equal),
                ("24.04", "23.10", Greater),
                ("2024.10.1", "2024.9.30", Greater),
                ("2024-03-01", "2024-02-29", Greater),
            ],
        );
    }

    #[test]
    fn finds_prereleases() {
        for version in [
            "1.3rc1",
            "1.2-rc1",
            "2.0.0-beta.2",
            "1.0~rc1",
            "1.0.dev3",
            "1.3alpha",
        ] {
            assert!(super::super::is_prerelease(version), "{version}");
        }
        for version in [
            "1.3",
            "1.1.1a",
            "1.0+dfsg",
            "2024.01.15",
            "1.0-1",
            "1.0-devel1",
        ] {
            assert!(!super::super::is_prerelease(version), "{version}");
        }
    }

    #[test]
    fn explains_orders() {
        assert_eq!(
            explain(Scheme::Default, "1.10", "1.9"),
            "1.10 > 1.9: numeric run 10 > 9"
        );
        assert_eq!(
            explain(Scheme::Default, "1.3", "1.3rc1"),
            "1.3 > 1.3rc1: `rc` is a pre-release"
        );
        assert_eq!(
            explain(Scheme::Default, "1.3rc1", "1.3beta2"),
            "1.3rc1 > 1.3beta2: pre-release rc > beta (dev < alpha < beta < pre < rc)"
        );
        assert_eq!(
            explain(Scheme::Default, "1.9", "1.10"),
            "1.9 < 1.10: numeric run 10 > 9"
        );
        assert!(explain(Scheme::Default, "1.3.1", "1.3").contains("extra numeric run 1"));
        assert!(explain(Scheme::Default, "1.3", "1.3~rc1").contains("`~`"));
        assert!(explain(Scheme::Default, "v1.3", "1.3").starts_with("v1.3 = 1.3: equal"));
    }
}

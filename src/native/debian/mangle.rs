//! uscan's mangling rules (`uversionmangle=s/…/…/`, `tr/…/…/`), applied as uscan's
//! `safe_replace` applies them (devscripts `lib/Devscripts/Uscan/Utils.pm`): a Perl `s` rule
//! with the flags `g`, `i`, `x`; in the replacement, `\X` stands for `X` (except the case
//! escapes `\l`, `\u`, `\L`, `\U`, `\E`), `$N`, `\N` and `${N}` for a group (one digit), `$&` for
//! the match, then the first `\l`/`\u`/`\L…\E`/`\U…\E` changes case. A `tr`/`y` rule maps
//! characters (`a-z` ranges; flag `d` deletes the unmapped). The patterns are Perl's; Rust's
//! `regex` reads the common part of the syntax, and a rule using what it lacks (look-around,
//! backreferences) is kept with its error, as uscan keeps a rule it cannot run and skips the
//! watch line.

use std::sync::LazyLock;

use regex::Regex;

/// One mangling rule.
#[derive(Debug, Clone)]
pub struct MangleRule {
    /// The rule as written.
    pub text: String,
    pub kind: MangleKind,
}

/// What a rule does.
#[derive(Debug, Clone)]
pub enum MangleKind {
    Substitute {
        regex: Regex,
        replacement: String,
        global: bool,
    },
    Translate {
        from: Vec<char>,
        to: Vec<char>,
        delete: bool,
    },
    /// A rule uscan would refuse, or one Rust's regex cannot run.
    Unusable { reason: String },
}

/// Why a rule cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("mangling rule `{rule}` cannot be applied: {reason}")]
pub struct MangleError {
    pub rule: String,
    pub reason: String,
}

/// Apply rules in order.
pub fn apply_all(rules: &[MangleRule], text: &str) -> Result<String, MangleError> {
    let mut out = text.to_string();
    for rule in rules {
        out = rule.apply(&out)?;
    }
    Ok(out)
}

impl MangleRule {
    /// Parse one rule; `size_limit` bounds its compiled regular expression.
    pub fn parse(text: &str, size_limit: usize) -> MangleRule {
        let text = text.trim().to_string();
        let kind =
            parse_kind(&text, size_limit).unwrap_or_else(|reason| MangleKind::Unusable { reason });
        MangleRule { text, kind }
    }

    /// The rule applied to `text`.
    pub fn apply(&self, text: &str) -> Result<String, MangleError> {
        match &self.kind {
            MangleKind::Unusable { reason } => Err(MangleError {
                rule: self.text.clone(),
                reason: reason.clone(),
            }),
            MangleKind::Translate { from, to, delete } => Ok(text
                .chars()
                .filter_map(|c| match from.iter().position(|f| *f == c) {
                    Some(index) => match to.get(index) {
                        Some(mapped) => Some(*mapped),
                        None if *delete => None,
                        // Perl repeats the last character of a shorter replacement list.
                        None => to.last().copied().or(Some(c)),
                    },
                    None => Some(c),
                })
                .collect()),
            MangleKind::Substitute {
                regex,
                replacement,
                global,
            } => {
                let mut out = String::new();
                let mut last = 0;
                for captures in regex.captures_iter(text) {
                    let Some(whole) = captures.get(0) else {
                        continue;
                    };
                    out.push_str(&text[last..whole.start()]);
                    out.push_str(&expand(replacement, &captures));
                    last = whole.end();
                    if !global {
                        break;
                    }
                }
                out.push_str(&text[last..]);
                Ok(out)
            }
        }
    }
}

fn parse_kind(text: &str, size_limit: usize) -> Result<MangleKind, String> {
    let (operator, rest) = if let Some(rest) = text.strip_prefix("tr") {
        ("tr", rest)
    } else if let Some(rest) = text.strip_prefix('s') {
        ("s", rest)
    } else if let Some(rest) = text.strip_prefix('y') {
        ("tr", rest)
    } else {
        return Err("a rule is `s/…/…/` or `tr/…/…/`".into());
    };
    let separator = rest.chars().next().ok_or("the rule has no separator")?;
    let closing = match separator {
        '{' => '}',
        '(' => ')',
        '[' => ']',
        '<' => '>',
        other => other,
    };
    let body = &rest[separator.len_utf8()..];
    let (pattern, after) = take_part(body, closing).ok_or("the rule is not closed")?;
    // With brackets, the replacement has brackets of its own: `s{a}{b}`.
    let after = if closing != separator {
        after
            .trim_start()
            .strip_prefix(separator)
            .ok_or("the replacement of a bracketed rule needs its own brackets")?
    } else {
        after
    };
    let (replacement, flags) = take_part(after, closing).ok_or("the rule is not closed")?;
    if !flags.chars().all(|c| c.is_ascii_lowercase()) {
        return Err(format!("unexpected text `{flags}` after the rule"));
    }
    if operator == "tr" {
        if let Some(bad) = flags.chars().find(|c| *c != 'd') {
            return Err(format!("the `tr` flag `{bad}` is not supported"));
        }
        return Ok(MangleKind::Translate {
            from: expand_ranges(&unescape(&pattern)),
            to: expand_ranges(&unescape(&replacement)),
            delete: flags.contains('d'),
        });
    }
    if let Some(bad) = flags.chars().find(|c| !matches!(c, 'g' | 'i' | 'x')) {
        return Err(format!("flags must be `g`, `i` or `x`, found `{bad}`"));
    }
    let inline: String = flags.chars().filter(|c| *c != 'g').collect();
    let source = if inline.is_empty() {
        pattern.clone()
    } else {
        format!("(?{inline}){pattern}")
    };
    let regex = regex::RegexBuilder::new(&source)
        .size_limit(size_limit)
        .dfa_size_limit(size_limit)
        .build()
        .map_err(|error| format!("`{pattern}`: {error}"))?;
    Ok(MangleKind::Substitute {
        regex,
        replacement: prepare_replacement(&replacement, separator, closing),
        global: flags.contains('g'),
    })
}

/// Text up to an unescaped `closing`, and what follows it (uscan's
/// `((?:\\.|[^\\$sep])*)$sep`).
fn take_part(text: &str, closing: char) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = text.char_indices();
    while let Some((index, c)) = chars.next() {
        if c == '\\' {
            out.push(c);
            if let Some((_, next)) = chars.next() {
                out.push(next);
            }
        } else if c == closing {
            return Some((out, &text[index + c.len_utf8()..]));
        } else {
            out.push(c);
        }
    }
    None
}

/// uscan's replacement preparation: `\X` → `X` except the case escapes (its own regular
/// expression, `(^|[^\\])\\([^luLUE])`, so `\1` is `1` and the second of two adjacent
/// escapes stays), then escaped separators.
fn prepare_replacement(replacement: &str, separator: char, closing: char) -> String {
    static UNESCAPE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(^|[^\\])\\([^luLUE])").expect("a valid regular expression"));
    let mut out = UNESCAPE.replace_all(replacement, "${1}${2}").into_owned();
    for quote in [separator, closing] {
        out = out.replace(&format!("\\{quote}"), &quote.to_string());
    }
    out
}

/// `$N`, `\N`, `${N}`, `$&`, then the first case escape of each kind.
fn expand(replacement: &str, captures: &regex::Captures<'_>) -> String {
    let group = |n: usize| captures.get(n).map(|m| m.as_str()).unwrap_or("");
    let mut out = String::new();
    let mut chars = replacement.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek().copied()) {
            // `\X` stands for `X`, but for the case escapes, which `case_escapes` reads.
            ('\\', Some(next)) if !matches!(next, 'l' | 'u' | 'L' | 'U' | 'E') => {
                chars.next();
                out.push(next);
            }
            ('$', Some(digit)) if digit.is_ascii_digit() => {
                chars.next();
                out.push_str(group(digit as usize - '0' as usize));
            }
            ('$', Some('{')) => {
                let mut probe = chars.clone();
                probe.next();
                match (probe.next(), probe.next()) {
                    (Some(digit), Some('}')) if digit.is_ascii_digit() => {
                        chars = probe;
                        out.push_str(group(digit as usize - '0' as usize));
                    }
                    _ => out.push(c),
                }
            }
            ('$', Some('&')) => {
                chars.next();
                out.push_str(group(0));
            }
            _ => out.push(c),
        }
    }
    case_escapes(&out)
}

/// uscan's `\l`, `\L…\E`, `\u`, `\U…\E`, each applied once, in that order.
fn case_escapes(text: &str) -> String {
    let mut out = text.to_string();
    if let Some(at) = out.find("\\l") {
        out = single_case(&out, at, false);
    }
    if let Some(at) = out.find("\\L") {
        out = span_case(&out, at, false);
    }
    if let Some(at) = out.find("\\u") {
        out = single_case(&out, at, true);
    }
    if let Some(at) = out.find("\\U") {
        out = span_case(&out, at, true);
    }
    out
}

fn single_case(text: &str, at: usize, upper: bool) -> String {
    let rest = &text[at + 2..];
    let Some(next) = rest.chars().next() else {
        return text.to_string();
    };
    let changed: String = if upper {
        next.to_uppercase().collect()
    } else {
        next.to_lowercase().collect()
    };
    format!("{}{changed}{}", &text[..at], &rest[next.len_utf8()..])
}

fn span_case(text: &str, at: usize, upper: bool) -> String {
    let rest = &text[at + 2..];
    let (span, after) = match rest.find("\\E") {
        Some(end) => (&rest[..end], &rest[end + 2..]),
        None => (rest, ""),
    };
    let changed = if upper {
        span.to_uppercase()
    } else {
        span.to_lowercase()
    };
    format!("{}{changed}{after}", &text[..at])
}

fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `a-z` to the characters it spans (a `-` at either end is itself).
fn expand_ranges(text: &str) -> Vec<char> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut index = 0;
    while index < chars.len() {
        if index + 2 < chars.len() && chars[index + 1] == '-' && chars[index] <= chars[index + 2] {
            out.extend(chars[index]..=chars[index + 2]);
            index += 3;
        } else {
            out.push(chars[index]);
            index += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mangle(rule: &str, text: &str) -> Result<String, MangleError> {
        MangleRule::parse(rule, 1 << 20).apply(text)
    }

    #[test]
    fn substitutions_of_real_watch_files() {
        // glib2.0: uversionmangle=s/\.(alpha|beta|rc)/~$1/
        assert_eq!(
            mangle(r"s/\.(alpha|beta|rc)/~$1/", "2.85.rc1").unwrap(),
            "2.85~rc1"
        );
        // sqlite3's file names carry `3460100` for 3.46.1.
        let rules: Vec<MangleRule> = [
            r"s/^(\d)(\d\d)(\d\d)(\d\d)$/$1.$2.$3.$4/",
            r"s/\.0/\./g",
            r"s/\.0+$//",
        ]
        .iter()
        .map(|r| MangleRule::parse(r, 1 << 20))
        .collect();
        assert_eq!(apply_all(&rules, "3460100").unwrap(), "3.46.1");
        assert_eq!(apply_all(&rules, "3.46.0.1").unwrap(), "3.46..1");
        // cups: s/(rc|b)/~$1/ (first match only)
        assert_eq!(mangle("s/(rc|b)/~$1/", "2.5b1rc2").unwrap(), "2.5~b1rc2");
        // libwebp: s/(\d)[_\.\-\+]?(rc)[.]?(\d*)$/$1~$2$3/
        assert_eq!(
            mangle(r"s/(\d)[_\.\-\+]?(rc)[.]?(\d*)$/$1~$2$3/", "1.5.0-rc1").unwrap(),
            "1.5.0~rc1"
        );
        // dversionmangle=auto removes Debian repack suffixes.
        assert_eq!(
            mangle(
                r"s/(?:[\+~](debian|dfsg|ds|deb)(\.)?(\d+)?$)//",
                "5.2+dfsg1"
            )
            .unwrap(),
            "5.2"
        );
        // Brackets, flags, `\1`, `${1}`, `$&`, case escapes.
        assert_eq!(mangle("s{^V}{}i", "v1.2").unwrap(), "1.2");
        assert_eq!(
            mangle(r"s/(\d+)_(\d+)/${1}.$2/g", "1_2-3_4").unwrap(),
            "1.2-3.4"
        );
        // uscan unescapes `\1` to `1` before it expands groups.
        assert_eq!(mangle(r"s/(\d+)_(\d+)/$1-\2/", "1_2").unwrap(), "1-2");
        assert_eq!(mangle(r"s/(\d+)_(\d+)/$1.\2/", "7_8").unwrap(), "7.2");
        assert_eq!(mangle("s/a+/[$&]/", "baac").unwrap(), "b[aa]c");
        assert_eq!(mangle(r"s/(rc)/\U$1\E/", "1rc2").unwrap(), "1RC2");
        assert_eq!(mangle(r"s/\//-/g", "a/b/c").unwrap(), "a-b-c");
        // tr.
        assert_eq!(mangle("tr/a-c/A-C/", "abcd").unwrap(), "ABCd");
        assert_eq!(mangle("y/_//d", "1_2").unwrap(), "12");
    }

    #[test]
    fn unusable_rules_say_why() {
        for rule in ["s/(?<=a)b/c/", "s/a/b/e", "s/a/b", "q/a/b/", "tr/a/b/c"] {
            let error = mangle(rule, "ab").unwrap_err();
            assert_eq!(error.rule, rule);
        }
        // A rule whose compiled size is over the bound.
        assert!(
            MangleRule::parse("s/(a{1000}){1000}//", 1 << 20)
                .apply("a")
                .is_err()
        );
    }
}

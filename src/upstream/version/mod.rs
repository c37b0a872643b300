//! Version ordering (DESIGN.md §2): which of two upstream versions is newer, and why.
//!
//! Release watchers get this wrong more than anything else (`1.10` < `1.9` as strings,
//! `1.3rc1` > `1.3` as runs, `v1.3` ≠ `1.3`), so mindelta owns it. Release discovery
//! (`release.rs`) sorts with [`compare`], `fixed-in` requirements (`requirement.rs`) match with
//! it, and `mindelta versions --explain` shows the [`explain`] of each adjacent pair.
//!
//! Schemes: `default` (and `calver`) split a version into numeric and alphabetic runs, written
//! here because no crate orders pre-release words and package prefixes this way; `semver` uses
//! the `semver` crate's precedence; `debian` is dpkg's algorithm written by hand (the general
//! crates disagree with dpkg; the tests check it against `dpkg --compare-versions`); `rpm` is
//! rpmvercmp, also by hand (about forty lines, not worth a dependency).

use std::cmp::Ordering;

/// How a package's upstream numbers its releases (`upstream.scheme` in the manifest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scheme {
    /// Numeric and alphabetic runs; pre-release words and `~` before the release.
    #[default]
    Default,
    /// Semantic versioning 2.0 precedence (build metadata ignored).
    Semver,
    /// dpkg's order: epoch, upstream version, revision; `~` before everything.
    Debian,
    /// rpmvercmp: epoch, version, release; `~` before and `^` after.
    Rpm,
    /// Calendar versions (`2024.01.15`, `24.04`): ordered like the default scheme.
    Calver,
}

impl Scheme {
    /// The scheme a manifest names; `None` or an unknown name is the default (the manifest
    /// loader has already refused unknown names).
    pub fn parse(name: Option<&str>) -> Scheme {
        match name.map(str::trim) {
            Some("semver") => Scheme::Semver,
            Some("debian") => Scheme::Debian,
            Some("rpm") => Scheme::Rpm,
            Some("calver") => Scheme::Calver,
            _ => Scheme::Default,
        }
    }

    /// The manifest spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Default => "default",
            Scheme::Semver => "semver",
            Scheme::Debian => "debian",
            Scheme::Rpm => "rpm",
            Scheme::Calver => "calver",
        }
    }
}

/// Words that mark a pre-release, in the order they sort (all before the release itself).
const PRERELEASE_WORDS: [&str; 5] = ["dev", "alpha", "beta", "pre", "rc"];

/// Compare two versions under a scheme.
///
/// Default: split into numeric and alphabetic runs, numbers numerically, letters lexically;
/// `~` and pre-release words (alpha, beta, rc, pre, dev) sort before the release; a leading `v`
/// and a package-name prefix are ignored (`zlib-1.3`, `v1.3`, `1.3` are equal), and so are
/// trailing zero runs (`1.3.0` = `1.3`). semver: the `semver` crate's `cmp_precedence` (a
/// version that is not semver falls back to the default order); rpm: rpmvercmp; debian: dpkg;
/// calver: like default.
pub fn compare(scheme: Scheme, a: &str, b: &str) -> Ordering {
    match scheme {
        Scheme::Default | Scheme::Calver => compare_default(a, b).0,
        Scheme::Semver => match (parse_semver(a), parse_semver(b)) {
            (Some(a), Some(b)) => a.cmp_precedence(&b),
            _ => compare_default(a, b).0,
        },
        Scheme::Debian => compare_debian(a, b).0,
        Scheme::Rpm => compare_rpm(a, b).0,
    }
}

/// Why `a` and `b` order the way they do, as one line: `1.10 > 1.9: numeric run 10 > 9`.
pub fn explain(scheme: Scheme, a: &str, b: &str) -> String {
    let (ordering, reason) = match scheme {
        Scheme::Default | Scheme::Calver => {
            let (ordering, step) = compare_default(a, b);
            (ordering, step.describe(ordering))
        }
        Scheme::Semver => match (parse_semver(a), parse_semver(b)) {
            (Some(x), Some(y)) => {
                let ordering = x.cmp_precedence(&y);
                let reason = if (x.major, x.minor, x.patch) != (y.major, y.minor, y.patch) {
                    "semver precedence of major.minor.patch".to_owned()
                } else if x.pre.is_empty() != y.pre.is_empty() {
                    "semver: a pre-release sorts before its release".to_owned()
                } else if ordering == Ordering::Equal {
                    "semver precedence ignores build metadata".to_owned()
                } else {
                    "semver precedence of the pre-release identifiers".to_owned()
                };
                (ordering, reason)
            }
            _ => {
                let (ordering, step) = compare_default(a, b);
                let reason = format!("not semver, default order: {}", step.describe(ordering));
                (ordering, reason)
            }
        },
        Scheme::Debian => compare_debian(a, b),
        Scheme::Rpm => compare_rpm(a, b),
    };
    let sign = match ordering {
        Ordering::Less => "<",
        Ordering::Equal => "=",
        Ordering::Greater => ">",
    };
    format!("{a} {sign} {b}: {reason}")
}

/// Whether a version is a pre-release: it holds `~` or a pre-release word (`dev`, `alpha`,
/// `beta`, `pre`, `rc`) as a run of letters (`1.3rc1`, `2.0.0-beta.2`, `1.0~rc1`).
pub fn is_prerelease(version: &str) -> bool {
    tokens(strip_prefix(version))
        .iter()
        .any(|token| matches!(token, Token::Tilde | Token::Prerelease(_)))
}

/// A tag or file-name fragment turned into a version, or `None` when it is not clearly one.
///
/// Strips `refs/tags/`, the package-name prefix (`zlib-1.3`, `zlib_1.3`), `release-`,
/// `version-`, `rel-`, and a leading `v` (`v1.3`); underscores between numbers become dots
/// when there are no dots (`zlib_1_3` → `1.3`). What is left must start with a digit and hold
/// only version characters (`docs`, `latest`, `other-1.0` are not versions).
pub fn normalize(text: &str, package: &str) -> Option<String> {
    normalize_explained(text, package).map(|(version, _)| version)
}

/// [`normalize`], with the steps taken (`stripped the package prefix `zlib-``), for `--explain`.
pub fn normalize_explained(text: &str, package: &str) -> Option<(String, String)> {
    let mut rest = text.trim();
    let mut steps = Vec::new();
    if let Some(stripped) = rest.strip_prefix("refs/tags/") {
        rest = stripped;
    }
    if !package.is_empty()
        && rest.len() > package.len()
        && rest.is_char_boundary(package.len())
        && rest[..package.len()].eq_ignore_ascii_case(package)
    {
        let after = &rest[package.len()..];
        if let Some(stripped) = after.strip_prefix(['-', '_']) {
            steps.push(format!(
                "stripped the package prefix `{}`",
                &rest[..=package.len()]
            ));
            rest = stripped;
        }
    }
    for word in ["release-", "release_", "version-", "rel-"] {
        if rest.len() > word.len()
            && rest.is_char_boundary(word.len())
            && rest[..word.len()].eq_ignore_ascii_case(word)
        {
            steps.push(format!("stripped `{}`", &rest[..word.len()]));
            rest = &rest[word.len()..];
            break;
        }
    }
    if let Some(stripped) = rest.strip_prefix(['v', 'V'])
        && stripped.starts_with(|c: char| c.is_ascii_digit())
    {
        steps.push("stripped the leading `v`".to_owned());
        rest = stripped;
    }
    if !rest.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '~' | '+');
    if !rest.chars().all(allowed) {
        return None;
    }
    let mut version = rest.to_owned();
    let underscored = !version.contains('.')
        && version.contains('_')
        && version
            .split('_')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()));
    if underscored {
        version = version.replace('_', ".");
        steps.push("read underscores as dots".to_owned());
    }
    let explanation = if steps.is_empty() {
        format!("`{text}` is the version as written")
    } else {
        format!("`{text}`: {}", steps.join(", "))
    };
    Some((version, explanation))
}

// ---------------------------------------------------------------------------------------------
// The default scheme.

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

fn compare_numbers(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
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

/// The position that decided a default-scheme comparison, for [`explain`].
#[derive(Debug)]
enum Step {
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
    fn describe(&self, ordering: Ordering) -> String {
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

fn compare_default(a: &str, b: &str) -> (Ordering, Step) {
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

// ---------------------------------------------------------------------------------------------
// semver.

fn parse_semver(text: &str) -> Option<semver::Version> {
    let text = text.trim();
    let text = text.strip_prefix(['v', 'V']).unwrap_or(text);
    semver::Version::parse(text).ok()
}

// ---------------------------------------------------------------------------------------------
// Debian: dpkg's algorithm (lib/dpkg/version.c).

/// Epoch, upstream version and revision of a Debian version (`1:2.0-3`).
fn split_debian(version: &str) -> (&str, &str, &str) {
    let version = version.trim();
    let (epoch, rest) = match version.split_once(':') {
        Some((epoch, rest)) if epoch.bytes().all(|b| b.is_ascii_digit()) => (epoch, rest),
        _ => ("0", version),
    };
    match rest.rsplit_once('-') {
        Some((upstream, revision)) => (epoch, upstream, revision),
        None => (epoch, rest, ""),
    }
}

/// dpkg's `order()`: digits and the end 0, letters themselves, `~` before all, others after
/// letters.
fn debian_order(c: u8) -> i32 {
    if c.is_ascii_digit() || c == 0 {
        0
    } else if c.is_ascii_alphabetic() {
        i32::from(c)
    } else if c == b'~' {
        -1
    } else {
        i32::from(c) + 256
    }
}

/// dpkg's `verrevcmp()`.
fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let at = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let mut first_difference = Ordering::Equal;
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let (x, y) = (debian_order(at(a, i)), debian_order(at(b, j)));
            if x != y {
                return x.cmp(&y);
            }
            i += 1;
            j += 1;
        }
        while at(a, i) == b'0' {
            i += 1;
        }
        while at(b, j) == b'0' {
            j += 1;
        }
        while at(a, i).is_ascii_digit() && at(b, j).is_ascii_digit() {
            if first_difference == Ordering::Equal {
                first_difference = at(a, i).cmp(&at(b, j));
            }
            i += 1;
            j += 1;
        }
        if at(a, i).is_ascii_digit() {
            return Ordering::Greater;
        }
        if at(b, j).is_ascii_digit() {
            return Ordering::Less;
        }
        if first_difference != Ordering::Equal {
            return first_difference;
        }
    }
    Ordering::Equal
}

fn compare_debian(a: &str, b: &str) -> (Ordering, String) {
    let (epoch_a, upstream_a, revision_a) = split_debian(a);
    let (epoch_b, upstream_b, revision_b) = split_debian(b);
    let epoch = compare_numbers(
        epoch_a.trim_start_matches('0'),
        epoch_b.trim_start_matches('0'),
    );
    if epoch != Ordering::Equal {
        return (
            epoch,
            format!("dpkg: epoch {epoch_a} against {epoch_b} decides"),
        );
    }
    let upstream = verrevcmp(upstream_a, upstream_b);
    if upstream != Ordering::Equal {
        let tilde = if upstream_a.contains('~') || upstream_b.contains('~') {
            " (`~` sorts before everything, even the end)"
        } else {
            ""
        };
        return (
            upstream,
            format!("dpkg: upstream version {upstream_a} against {upstream_b} decides{tilde}"),
        );
    }
    let revision = verrevcmp(revision_a, revision_b);
    if revision != Ordering::Equal {
        return (
            revision,
            format!(
                "dpkg: same upstream version, revision `{revision_a}` against `{revision_b}` decides"
            ),
        );
    }
    (
        Ordering::Equal,
        "dpkg: equal epoch, upstream version and revision".to_owned(),
    )
}

// ---------------------------------------------------------------------------------------------
// RPM: rpmvercmp (rpmio/rpmvercmp.c) over epoch:version-release.

fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let at = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    let separator = |c: u8| c != 0 && !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        while separator(at(a, i)) {
            i += 1;
        }
        while separator(at(b, j)) {
            j += 1;
        }
        let (x, y) = (at(a, i), at(b, j));
        if x == b'~' || y == b'~' {
            if x != b'~' {
                return Ordering::Greater;
            }
            if y != b'~' {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if x == b'^' || y == b'^' {
            if x == 0 {
                return Ordering::Less;
            }
            if y == 0 {
                return Ordering::Greater;
            }
            if x != b'^' {
                return Ordering::Greater;
            }
            if y != b'^' {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if x == 0 || y == 0 {
            break;
        }
        let numeric = x.is_ascii_digit();
        let run = |s: &[u8], mut k: usize| {
            while k < s.len()
                && if numeric {
                    s[k].is_ascii_digit()
                } else {
                    s[k].is_ascii_alphabetic()
                }
            {
                k += 1;
            }
            k
        };
        let (end_a, end_b) = (run(a, i), run(b, j));
        if end_b == j {
            // A number against letters: the number is newer.
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let (mut segment_a, mut segment_b) = (&a[i..end_a], &b[j..end_b]);
        let ordering = if numeric {
            while segment_a.first() == Some(&b'0') {
                segment_a = &segment_a[1..];
            }
            while segment_b.first() == Some(&b'0') {
                segment_b = &segment_b[1..];
            }
            segment_a
                .len()
                .cmp(&segment_b.len())
                .then_with(|| segment_a.cmp(segment_b))
        } else {
            segment_a.cmp(segment_b)
        };
        if ordering != Ordering::Equal {
            return ordering;
        }
        i = end_a;
        j = end_b;
    }
    match (i >= a.len(), j >= b.len()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

/// Epoch, version and release of an RPM EVR (`1:2.0-3.fc40`); the release may be absent.
fn split_rpm(evr: &str) -> (&str, &str, Option<&str>) {
    let evr = evr.trim();
    let (epoch, rest) = match evr.split_once(':') {
        Some((epoch, rest)) if epoch.bytes().all(|b| b.is_ascii_digit()) => (epoch, rest),
        _ => ("0", evr),
    };
    match rest.rsplit_once('-') {
        Some((version, release)) => (epoch, version, Some(release)),
        None => (epoch, rest, None),
    }
}

fn compare_rpm(a: &str, b: &str) -> (Ordering, String) {
    let (epoch_a, version_a, release_a) = split_rpm(a);
    let (epoch_b, version_b, release_b) = split_rpm(b);
    let epoch = compare_numbers(
        epoch_a.trim_start_matches('0'),
        epoch_b.trim_start_matches('0'),
    );
    if epoch != Ordering::Equal {
        return (
            epoch,
            format!("rpm: epoch {epoch_a} against {epoch_b} decides"),
        );
    }
    let version = rpmvercmp(version_a, version_b);
    if version != Ordering::Equal {
        return (
            version,
            format!("rpmvercmp: version {version_a} against {version_b} decides"),
        );
    }
    if let (Some(release_a), Some(release_b)) = (release_a, release_b) {
        let release = rpmvercmp(release_a, release_b);
        if release != Ordering::Equal {
            return (
                release,
                format!("rpmvercmp: same version, release {release_a} against {release_b} decides"),
            );
        }
    }
    (
        Ordering::Equal,
        "rpm: equal epoch, version and release".to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::{Equal, Greater, Less};

    fn check(scheme: Scheme, table: &[(&str, &str, Ordering)]) {
        for (a, b, expected) in table {
            assert_eq!(compare(scheme, a, b), *expected, "{scheme:?}: {a} vs {b}");
            assert_eq!(
                compare(scheme, b, a),
                expected.reverse(),
                "{scheme:?}: {b} vs {a}"
            );
        }
    }

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
    fn semver_uses_precedence_and_ignores_build_metadata() {
        check(
            Scheme::Semver,
            &[
                ("1.0.0+build.1", "1.0.0+build.2", Equal),
                ("1.0.0", "1.0.0-rc.1", Greater),
                ("1.0.0-alpha.1", "1.0.0-alpha", Greater),
                ("1.0.0-alpha.beta", "1.0.0-alpha.1", Greater),
                ("1.0.0-rc.11", "1.0.0-rc.2", Greater),
                ("v2.0.0", "1.10.0", Greater),
                // Not semver: the default order.
                ("1.10", "1.9", Greater),
            ],
        );
        assert!(explain(Scheme::Semver, "1.0.0+a", "1.0.0+b").contains("build metadata"));
    }

    #[test]
    fn rpm_follows_rpmvercmp() {
        check(
            Scheme::Rpm,
            &[
                ("1.0", "1.0", Equal),
                ("1.0", "2.0", Less),
                ("2.0.1", "2.0", Greater),
                ("2.0.1a", "2.0.1", Greater),
                ("5.5p1", "5.5p2", Less),
                ("5.5p10", "5.5p1", Greater),
                ("10xyz", "10.1xyz", Less),
                ("xyz10", "xyz10.1", Less),
                ("1.0~rc1", "1.0", Less),
                ("1.0~rc1", "1.0~rc2", Less),
                ("1.0^", "1.0", Greater),
                ("1.0^git1", "1.0.1", Less),
                ("a", "1", Less),
                ("1.0a", "1.0.a", Equal),
                ("1:1.0-1", "2.0-1", Greater),
                ("1.0-2", "1.0-10", Less),
                ("1.0-1", "1.0", Equal),
                ("001", "1", Equal),
            ],
        );
    }

    #[test]
    fn debian_follows_dpkg() {
        check(
            Scheme::Debian,
            &[
                ("1:1.0-1", "2.0-1", Greater),
                ("1.0~rc1-1", "1.0-1", Less),
                ("1.0-1", "1.0", Greater),
                ("1.0-0", "1.0", Equal),
                ("1.0+dfsg-1", "1.0-1", Greater),
                ("1.0~~", "1.0~", Less),
                ("2.30-1ubuntu1", "2.30-1", Greater),
                ("1.2.3-1-2", "1.2.3-1-1", Greater),
            ],
        );
    }

    /// Versions built from parts that dpkg orders in surprising ways.
    fn generated_debian_versions() -> Vec<String> {
        let epochs = ["", "1:"];
        let upstreams = [
            "1.0", "1.0~rc1", "1.0~~", "1.0a", "1.0+dfsg", "1.00", "1.0.1", "1.a", "1.0-git", "1:0",
        ];
        let revisions = ["", "-1", "-0", "-1~bpo1", "-1ubuntu2", "-10"];
        let mut versions = Vec::new();
        for epoch in epochs {
            for upstream in upstreams {
                for revision in revisions {
                    // dpkg refuses a colon in the upstream version without an epoch.
                    if upstream.contains(':') && epoch.is_empty() {
                        continue;
                    }
                    versions.push(format!("{epoch}{upstream}{revision}"));
                }
            }
        }
        versions
    }

    #[test]
    fn debian_agrees_with_dpkg_on_generated_pairs() {
        if std::process::Command::new("dpkg")
            .arg("--version")
            .output()
            .is_err()
        {
            // dpkg is not installed: there is no oracle to compare with.
            return;
        }
        let versions = generated_debian_versions();
        let mut checked = 0;
        // Adjacent and strided pairs keep the number of dpkg runs small but varied.
        for (index, a) in versions.iter().enumerate() {
            for b in [
                versions.get(index + 1),
                versions.get(index + 7),
                versions.get(index + 31),
            ]
            .into_iter()
            .flatten()
            {
                let less = std::process::Command::new("dpkg")
                    .args(["--compare-versions", a, "lt", b])
                    .status()
                    .expect("run dpkg");
                let equal = std::process::Command::new("dpkg")
                    .args(["--compare-versions", a, "eq", b])
                    .status()
                    .expect("run dpkg");
                let expected = if less.success() {
                    Less
                } else if equal.success() {
                    Equal
                } else {
                    Greater
                };
                assert_eq!(compare(Scheme::Debian, a, b), expected, "dpkg: {a} vs {b}");
                checked += 1;
            }
        }
        assert!(checked > 200, "only {checked} pairs");
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
            assert!(is_prerelease(version), "{version}");
        }
        for version in [
            "1.3",
            "1.1.1a",
            "1.0+dfsg",
            "2024.01.15",
            "1.0-1",
            "1.0-devel1",
        ] {
            assert!(!is_prerelease(version), "{version}");
        }
    }

    #[test]
    fn normalizes_tags() {
        let table = [
            ("v1.3", Some("1.3")),
            ("1.3", Some("1.3")),
            ("zlib-1.3", Some("1.3")),
            ("ZLIB_1.3.1", Some("1.3.1")),
            ("zlib_1_3", Some("1.3")),
            ("release-2.0", Some("2.0")),
            ("refs/tags/v1.2-rc1", Some("1.2-rc1")),
            ("docs", None),
            ("latest", None),
            ("other-1.0", None),
            ("v", None),
            ("1.0 beta", None),
            ("zlib-", None),
        ];
        for (text, expected) in table {
            assert_eq!(normalize(text, "zlib").as_deref(), expected, "{text}");
        }
        let (_, why) = normalize_explained("zlib-1.9", "zlib").unwrap();
        assert!(why.contains("package prefix `zlib-`"), "{why}");
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
        assert!(explain(Scheme::Debian, "1:1.0-1", "2.0-1").contains("epoch"));
        assert!(explain(Scheme::Rpm, "1.0-2", "1.0-10").contains("release"));
    }

    #[test]
    fn parses_scheme_names() {
        assert_eq!(Scheme::parse(None), Scheme::Default);
        assert_eq!(Scheme::parse(Some("debian")), Scheme::Debian);
        assert_eq!(Scheme::parse(Some("rpm")).as_str(), "rpm");
        assert_eq!(Scheme::parse(Some("bogus")), Scheme::Default);
    }
}

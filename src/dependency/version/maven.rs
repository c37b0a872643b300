//! Maven's version order: `org.apache.maven.artifact.versioning.ComparableVersion` (Maven 3.9
//! and 4), ported by hand because no maintained crate implements it. The algorithm follows the
//! class's javadoc and source: a version splits into items at `.`, `-` and digit/letter
//! transitions; a `-` or a transition opens a sub-list; numbers compare numerically, the known
//! qualifiers in the order `alpha < beta < milestone < rc = cr < snapshot < "" = ga = final =
//! release < sp`, unknown qualifiers after them lexically; trailing null items (`0`, `""`) are
//! dropped, so `1.0.0 == 1`; a letter run followed by digits (`rc1`, `alpha-1`) is one
//! combination item. The tests are Maven's own `ComparableVersionTest` table.
//!
//! Deviation: only ASCII digits are digits (Java's `Character.isDigit` also takes other
//! scripts' digits inside a combination); such versions do not occur in real poms.

use std::cmp::Ordering;

/// Index of the release qualifier (`""`, `ga`, `final`, `release`) in [`QUALIFIERS`].
const RELEASE_INDEX: &str = "5";
const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];

#[derive(Debug, Clone)]
enum Item {
    /// Digits without leading zeros (`"0"` for zero): Java's Int/Long/BigInteger items.
    Number(String),
    /// A qualifier, aliases applied.
    Text(String),
    /// A qualifier followed by a number (`rc1`, `alpha-2`).
    Combination(String, String),
    /// A sub-list, by index in the version's arena.
    List(usize),
}

/// A parsed Maven version.
#[derive(Debug, Clone)]
pub struct MavenVersion {
    /// `lists[0]` is the top-level list; sub-lists follow in creation order.
    lists: Vec<Vec<Item>>,
}

impl MavenVersion {
    /// Parse any string: like Maven, every string is a version.
    pub fn parse(version: &str) -> MavenVersion {
        let version = version.to_lowercase();
        let chars: Vec<(usize, char)> = version.char_indices().collect();
        let mut lists: Vec<Vec<Item>> = vec![Vec::new()];
        let mut current = 0usize;
        let mut is_digit = false;
        let mut is_combination = false;
        let mut start = 0usize; // byte index
        let new_list = |lists: &mut Vec<Vec<Item>>, current: &mut usize| {
            let index = lists.len();
            lists.push(Vec::new());
            lists[*current].push(Item::List(index));
            *current = index;
        };
        let mut k = 0;
        while k < chars.len() {
            let (i, c) = chars[k];
            if c == '.' {
                if i == start {
                    lists[current].push(Item::Number("0".into()));
                } else {
                    lists[current].push(parse_item(is_combination, is_digit, &version[start..i]));
                }
                is_combination = false;
                start = i + 1;
            } else if c == '-' {
                if i == start {
                    lists[current].push(Item::Number("0".into()));
                } else {
                    // X-1 is read as X1.
                    if !is_digit && k + 1 < chars.len() && chars[k + 1].1.is_ascii_digit() {
                        is_combination = true;
                        k += 1;
                        continue;
                    }
                    lists[current].push(parse_item(is_combination, is_digit, &version[start..i]));
                }
                start = i + 1;
                if !lists[current].is_empty() {
                    new_list(&mut lists, &mut current);
                }
                is_combination = false;
            } else if c.is_ascii_digit() {
                if !is_digit && i > start {
                    is_combination = true;
                    if !lists[current].is_empty() {
                        new_list(&mut lists, &mut current);
                    }
                }
                is_digit = true;
            } else {
                if is_digit && i > start {
                    lists[current].push(parse_item(is_combination, true, &version[start..i]));
                    start = i;
                    new_list(&mut lists, &mut current);
                    is_combination = false;
                }
                is_digit = false;
            }
            k += 1;
        }
        if version.len() > start {
            // 1.0.0.X1 < 1.0.0-X2: a trailing .X is read as -X.
            if !is_digit && !lists[current].is_empty() {
                new_list(&mut lists, &mut current);
            }
            lists[current].push(parse_item(is_combination, is_digit, &version[start..]));
        }
        // Maven normalizes the lists innermost first (its stack pops in reverse creation order).
        for index in (0..lists.len()).rev() {
            normalize(&mut lists, index);
        }
        MavenVersion { lists }
    }
}

fn parse_item(is_combination: bool, is_digit: bool, buf: &str) -> Item {
    if is_combination {
        let buf = buf.replace('-', "");
        match buf.find(|c: char| c.is_ascii_digit()) {
            Some(at) => Item::Combination(text_value(&buf[..at], true), number(&buf[at..])),
            None => Item::Text(text_value(&buf, false)),
        }
    } else if is_digit {
        Item::Number(number(buf))
    } else {
        Item::Text(text_value(buf, false))
    }
}

fn number(digits: &str) -> String {
    let trimmed = digits.trim_start_matches('0');
    if trimmed.is_empty() {
        "0".into()
    } else {
        trimmed.into()
    }
}

fn text_value(value: &str, followed_by_digit: bool) -> String {
    let value = match (followed_by_digit, value) {
        (true, "a") => "alpha",
        (true, "b") => "beta",
        (true, "m") => "milestone",
        (_, "cr") => "rc",
        (_, other) => other,
    };
    value.to_string()
}

fn comparable_qualifier(qualifier: &str) -> String {
    if matches!(qualifier, "ga" | "final" | "release") {
        return RELEASE_INDEX.to_string();
    }
    match QUALIFIERS.iter().position(|q| *q == qualifier) {
        Some(i) => i.to_string(),
        None => format!("{}-{qualifier}", QUALIFIERS.len()),
    }
}

fn normalize(lists: &mut [Vec<Item>], index: usize) {
    let mut i = lists[index].len();
    while i > 0 {
        i -= 1;
        let list = &lists[index];
        let null = match &list[i] {
            Item::Number(n) => n == "0",
            Item::Text(t) => t.is_empty(),
            Item::Combination(..) => false,
            Item::List(sub) => lists[*sub].is_empty(),
        };
        if !null {
            continue;
        }
        let remove = match list.get(i + 1) {
            None | Some(Item::Text(_)) => true,
            Some(Item::List(sub)) => matches!(
                lists[*sub].first(),
                Some(Item::Combination(..)) | Some(Item::Text(_))
            ),
            _ => false,
        };
        if remove {
            lists[index].remove(i);
        }
    }
}

impl MavenVersion {
    fn cmp_item(&self, a: &Item, other: &MavenVersion, b: Option<&Item>) -> Ordering {
        use Item::*;
        let Some(b) = b else {
            return match a {
                Number(n) => {
                    if n == "0" {
                        Ordering::Equal
                    } else {
                        Ordering::Greater
                    }
                }
                Text(t) => comparable_qualifier(t).as_str().cmp(RELEASE_INDEX),
                Combination(t, _) => comparable_qualifier(t).as_str().cmp(RELEASE_INDEX),
                List(index) => {
                    for item in &self.lists[*index] {
                        let order = self.cmp_item(item, other, None);
                        if order != Ordering::Equal {
                            return order;
                        }
                    }
                    Ordering::Equal
                }
            };
        };
        match (a, b) {
            (Number(x), Number(y)) => super::go::compare_number(x, y),
            (Number(_), _) => Ordering::Greater,
            (Text(_), Number(_)) => Ordering::Less,
            (Text(x), Text(y)) => comparable_qualifier(x).cmp(&comparable_qualifier(y)),
            (Text(x), Combination(y, _)) => {
                match comparable_qualifier(x).cmp(&comparable_qualifier(y)) {
                    Ordering::Equal => Ordering::Less,
                    order => order,
                }
            }
            (Text(_), List(_)) => Ordering::Less,
            (Combination(..), Number(_)) => Ordering::Less,
            (Combination(x, _), Text(y)) => {
                match comparable_qualifier(x).cmp(&comparable_qualifier(y)) {
                    Ordering::Equal => Ordering::Greater,
                    order => order,
                }
            }
            (Combination(..), List(_)) => Ordering::Less,
            (Combination(x, dx), Combination(y, dy)) => comparable_qualifier(x)
                .cmp(&comparable_qualifier(y))
                .then_with(|| super::go::compare_number(dx, dy)),
            (List(_), Number(_)) => Ordering::Less,
            (List(_), Text(_)) | (List(_), Combination(..)) => Ordering::Greater,
            (List(x), List(y)) => self.cmp_lists(*x, other, *y),
        }
    }

    fn cmp_lists(&self, x: usize, other: &MavenVersion, y: usize) -> Ordering {
        let left = &self.lists[x];
        let right = &other.lists[y];
        for k in 0..left.len().max(right.len()) {
            let order = match (left.get(k), right.get(k)) {
                (Some(l), r) => self.cmp_item(l, other, r),
                (None, Some(r)) => other.cmp_item(r, self, None).reverse(),
                (None, None) => Ordering::Equal,
            };
            if order != Ordering::Equal {
                return order;
            }
        }
        Ordering::Equal
    }
}

impl PartialEq for MavenVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for MavenVersion {}

impl PartialOrd for MavenVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for MavenVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.cmp_lists(0, other, 0)
    }
}

/// Compare two Maven versions.
pub fn compare(a: &str, b: &str) -> Ordering {
    MavenVersion::parse(a).cmp(&MavenVersion::parse(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // The tables below are Maven's ComparableVersionTest (maven-artifact), case for case.
    const VERSIONS_QUALIFIER: [&str; 22] = [
        "1-alpha2snapshot",
        "1-alpha2",
        "1-alpha-123",
        "1-beta-2",
        "1-beta123",
        "1-m2",
        "1-m11",
        "1-rc",
        "1-cr2",
        "1-rc123",
        "1-SNAPSHOT",
        "1",
        "1-sp",
        "1-sp2",
        "1-sp123",
        "1-abc",
        "1-def",
        "1-pom-1",
        "1-1-snapshot",
        "1-1",
        "1-2",
        "1-123",
    ];
    const VERSIONS_NUMBER: [&str; 24] = [
        "2.0", "2.0.a", "2-1", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c", "2.1-1",
        "2.1.0.1", "2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2", "11.m11", "11",
        "11.a", "11b", "11c", "11m",
    ];

    fn check_order_list(versions: &[&str]) {
        for i in 0..versions.len() {
            for j in i + 1..versions.len() {
                check_order(versions[i], versions[j]);
            }
        }
    }

    fn check_order(low: &str, high: &str) {
        assert_eq!(
            compare(low, high),
            Ordering::Less,
            "expected {low} < {high}"
        );
        assert_eq!(
            compare(high, low),
            Ordering::Greater,
            "expected {high} > {low}"
        );
    }

    fn check_equal(a: &str, b: &str) {
        assert_eq!(compare(a, b), Ordering::Equal, "expected {a} == {b}");
        assert_eq!(compare(b, a), Ordering::Equal, "expected {b} == {a}");
    }

    #[test]
    fn versions_qualifier() {
        check_order_list(&VERSIONS_QUALIFIER);
    }

    #[test]
    fn versions_number() {
        check_order_list(&VERSIONS_NUMBER);
    }

    #[test]
    fn versions_equal() {
        for (a, b) in [
            ("1", "1"),
            ("1", "1.0"),
            ("1", "1.0.0"),
            ("1.0", "1.0.0"),
            ("1", "1-0"),
            ("1", "1.0-0"),
            ("1.0", "1.0-0"),
            ("1a", "1-a"),
            ("1a", "1.0-a"),
            ("1a", "1.0.0-a"),
            ("1.0a", "1-a"),
            ("1.0.0a", "1-a"),
            ("1x", "1-x"),
            ("1x", "1.0-x"),
            ("1x", "1.0.0-x"),
            ("1.0x", "1-x"),
            ("1.0.0x", "1-x"),
            ("1cr", "1rc"),
            ("1a1", "1-alpha-1"),
            ("1b2", "1-beta-2"),
            ("1m3", "1-milestone-3"),
            ("1X", "1x"),
            ("1A", "1a"),
            ("1B", "1b"),
            ("1M", "1m"),
            ("1Cr", "1Rc"),
            ("1cR", "1rC"),
            ("1m3", "1Milestone3"),
            ("1m3", "1MileStone3"),
            ("1m3", "1MILESTONE3"),
            // Same order, not equal objects in Java; the order is what matters here.
            ("1ga", "1"),
            ("1release", "1"),
            ("1final", "1"),
            ("1Ga", "1"),
            ("1GA", "1"),
            ("1RELEASE", "1"),
            ("1RELeaSE", "1"),
            ("1Final", "1"),
            ("1FinaL", "1"),
            ("1FINAL", "1"),
            (
                "1-abcdefghijklmnopqrstuvwxyz",
                "1-ABCDEFGHIJKLMNOPQRSTUVWXYZ",
            ),
            ("1.0.0-alpha1", "1.0.0-ALPHA1"),
            ("1.a", "1.A"),
            ("1.é", "1.É"),
        ] {
            check_equal(a, b);
        }
    }

    #[test]
    fn version_comparing() {
        for (low, high) in [
            ("1", "2"),
            ("1.5", "2"),
            ("1", "2.5"),
            ("1.0", "1.1"),
            ("1.1", "1.2"),
            ("1.0.0", "1.1"),
            ("1.0.1", "1.1"),
            ("1.1", "1.2.0"),
            ("1.0-alpha-1", "1.0"),
            ("1.0-alpha-1", "1.0-alpha-2"),
            ("1.0-alpha-1", "1.0-beta-1"),
            ("1.0-beta-1", "1.0-SNAPSHOT"),
            ("1.0-SNAPSHOT", "1.0"),
            ("1.0-alpha-1-SNAPSHOT", "1.0-alpha-1"),
            ("1.0", "1.0-1"),
            ("1.0-1", "1.0-2"),
            ("1.0.0", "1.0-1"),
            ("2.0-1", "2.0.1"),
            ("2.0.1-klm", "2.0.1-lmn"),
            ("2.0.1", "2.0.1-xyz"),
            ("2.0.1", "2.0.1-123"),
            ("2.0.1-xyz", "2.0.1-123"),
            ("0.7", "2"),
            ("0.2", "1.0.7"),
            // Letters before digits, in any script.
            ("é", "1"),
            ("J", "7"),
            ("c", "7"),
            ("\u{0668}", "1"),
            ("\u{0668}", "9"),
            ("aardvark", "zebra"),
            ("zebra", "ζέβρα"),
        ] {
            check_order(low, high);
        }
    }

    #[test]
    fn mng_5568_6572_6964_7644_7714() {
        check_order("6.1.0rc3", "6.1.0");
        check_order("6.1.0rc3", "6.1H.5-beta");
        check_order("6.1.0", "6.1H.5-beta");
        let (a, b, c, d) = (
            "20190126.230843",
            "1234567890.12345",
            "123456789012345.1H.5-beta",
            "12345678901234567890.1H.5-beta",
        );
        check_order_list(&[a, b, c, d]);
        let ones: Vec<String> = (0..19).map(|n| format!("{}1", "0".repeat(n))).collect();
        let zeros: Vec<String> = (1..20).map(|n| "0".repeat(n)).collect();
        for set in [ones, zeros] {
            for x in &set {
                for y in &set {
                    check_equal(x, y);
                }
            }
        }
        check_order("1-0.alpha", "1");
        check_order("1-0.beta", "1");
        check_order("1-0.alpha", "1-0.beta");
        for x in [
            "abc",
            "alpha",
            "a",
            "beta",
            "b",
            "def",
            "milestone",
            "m",
            "RC",
        ] {
            check_order(&format!("1.0.0.{x}1"), &format!("1.0.0-{x}2"));
            check_equal(&format!("2-{x}"), &format!("2.0.{x}"));
            check_equal(&format!("2-{x}"), &format!("2.0.0.{x}"));
            check_equal(&format!("2.0.{x}"), &format!("2.0.0.{x}"));
        }
        for sp in ["1.0-sp1-redhat", "1.0-sp-1-redhat", "1.0-sp.1-redhat"] {
            check_order("1.0.final-redhat", sp);
        }
    }

    #[test]
    fn netty_and_tomcat_versions() {
        check_order("4.1.94.Final", "4.1.100.Final");
        check_equal("4.1.100.Final", "4.1.100");
        check_order("10.1.15", "10.1.16");
        check_order("2.15.0-rc1", "2.15.0");
        check_order("1.70", "1.78.1");
    }

    /// Versions as poms write them: a number, then `.`/`-` items of numbers and qualifiers.
    /// (Maven's order is not transitive on every string: `-a0 < "" < a` yet `-a0 > a`, since
    /// a leading `-` opens a sub-list; its own tests stick to versions like these.)
    fn real_version() -> impl Strategy<Value = String> {
        let item = prop_oneof![
            "[0-9]{1,2}".prop_map(String::from),
            prop::sample::select(vec![
                "alpha", "beta", "rc", "sp", "final", "snapshot", "ga", "a1", "rc2", "b"
            ])
            .prop_map(String::from),
        ];
        (
            "[0-9]{1,2}",
            prop::collection::vec((prop::sample::select(vec![".", "-"]), item), 0..4),
        )
            .prop_map(|(first, rest)| {
                rest.into_iter().fold(first, |mut v, (sep, item)| {
                    v.push_str(sep);
                    v.push_str(&item);
                    v
                })
            })
    }

    proptest! {
        #[test]
        fn order_is_antisymmetric_and_transitive(a in real_version(), b in real_version(), c in real_version()) {
            prop_assert_eq!(compare(&a, &b), compare(&b, &a).reverse());
            if compare(&a, &b) != Ordering::Greater && compare(&b, &c) != Ordering::Greater {
                prop_assert_ne!(compare(&a, &c), Ordering::Greater, "{} {} {}", a, b, c);
            }
        }
    }
}

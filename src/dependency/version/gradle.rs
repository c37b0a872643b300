//! Gradle's version order (`StaticVersionComparator`, documented under "Version ordering" in
//! Gradle's user manual), by hand: no crate has it, and it is not Maven's — `1.2.0 > 1.2` in
//! Gradle where Maven calls them equal.
//!
//! A version splits at `.`, `-`, `_`, `+` and where digits meet letters. Parts compare in
//! turn: numbers numerically; a number is higher than a word; words alphabetically (case
//! sensitive), except the special words `dev` (lower than any word) and `rc < snapshot < final
//! < ga < release < sp` (higher than any other word), compared without case. When one version
//! runs out of parts, an extra number makes the other higher and an extra word lower
//! (`1.2-beta < 1.2 < 1.2.0`).

use std::cmp::Ordering;

fn special(word: &str) -> Option<i8> {
    Some(match word.to_ascii_lowercase().as_str() {
        "dev" => -1,
        "rc" => 1,
        "snapshot" => 2,
        "final" => 3,
        "ga" => 4,
        "release" => 5,
        "sp" => 6,
        _ => return None,
    })
}

fn parts(version: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    for piece in version.split(['.', '-', '_', '+']) {
        let bytes = piece.as_bytes();
        let mut start = 0;
        for i in 1..bytes.len() {
            if bytes[i].is_ascii_digit() != bytes[i - 1].is_ascii_digit() {
                parts.push(&piece[start..i]);
                start = i;
            }
        }
        parts.push(&piece[start..]);
    }
    parts
}

fn is_number(part: &str) -> bool {
    !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit())
}

/// Compare two Gradle versions.
pub fn compare(a: &str, b: &str) -> Ordering {
    let (left, right) = (parts(a), parts(b));
    for k in 0..left.len().max(right.len()) {
        let (l, r) = match (left.get(k), right.get(k)) {
            (Some(l), Some(r)) => (*l, *r),
            (Some(l), None) => {
                return if is_number(l) {
                    Ordering::Greater
                } else {
                    Ordering::Less
                };
            }
            (None, Some(r)) => {
                return if is_number(r) {
                    Ordering::Less
                } else {
                    Ordering::Greater
                };
            }
            (None, None) => break,
        };
        let order = match (is_number(l), is_number(r)) {
            (true, true) => {
                super::go::compare_number(l.trim_start_matches('0'), r.trim_start_matches('0'))
            }
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => match (special(l), special(r)) {
                (Some(x), y) => x.cmp(&y.unwrap_or(0)),
                (None, Some(y)) => 0.cmp(&y),
                (None, None) => l.cmp(r),
            },
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn orders_as_the_gradle_manual() {
        // The manual's examples, in increasing order.
        let ordered = [
            "1.0-dev-1",
            "1.0-alpha-1",
            "1.0-rc-1",
            "1.0-SNAPSHOT",
            "1.0-FINAL",
            "1.0-GA",
            "1.0-RELEASE",
            "1.0-SP1",
            "1.0",
            "1.0.0",
            "1.1",
            "1.2-beta",
            "1.2",
            "1.2.0",
            "1.10",
            "2.0a",
            "2.0",
        ];
        for pair in ordered.windows(2) {
            assert_eq!(compare(pair[0], pair[1]), Ordering::Less, "{pair:?}");
        }
        assert_eq!(compare("1.a.1", "1.a-1"), Ordering::Equal);
        assert_eq!(compare("1a1", "1.a.1"), Ordering::Equal);
        assert_eq!(compare("4.1.94.Final", "4.1.100.Final"), Ordering::Less);
        assert_eq!(compare("1.0-rc", "1.0-RC"), Ordering::Equal);
    }

    proptest! {
        #[test]
        fn order_is_antisymmetric_and_transitive(
            a in "[0-9a-d.-]{0,8}", b in "[0-9a-d.-]{0,8}", c in "[0-9a-d.-]{0,8}",
        ) {
            prop_assert_eq!(compare(&a, &b), compare(&b, &a).reverse());
            if compare(&a, &b) != Ordering::Greater && compare(&b, &c) != Ordering::Greater {
                prop_assert_ne!(compare(&a, &c), Ordering::Greater);
            }
        }
    }
}

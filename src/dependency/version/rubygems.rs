//! RubyGems' `Gem::Version` order, ported by hand (about thirty lines of Ruby, no crate):
//! `-` reads as `.pre.`, the version splits into digit runs and letter runs, trailing zeros of
//! the numeric part and of the part after the first letter run are dropped, then segments
//! compare pairwise with a missing segment read as `0`; a letter run sorts before any number
//! (`1.0.a < 1.0`), letter runs compare as strings.

use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Number(String),
    Text(String),
}

/// A parsed `Gem::Version`.
#[derive(Debug, Clone)]
pub struct GemVersion {
    segments: Vec<Segment>,
}

impl GemVersion {
    /// Parse as `Gem::Version.new` does after its `correct?` check: digits, letters, `.` and
    /// `-` only (anything else: `None`).
    pub fn parse(text: &str) -> Option<GemVersion> {
        let text = text.trim();
        if text.is_empty()
            || !text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
            || !text.as_bytes()[0].is_ascii_digit()
        {
            return None;
        }
        let text = text.replace('-', ".pre.");
        let mut segments = Vec::new();
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let start = i;
            if bytes[i].is_ascii_digit() {
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                let digits = text[start..i].trim_start_matches('0');
                segments.push(Segment::Number(if digits.is_empty() {
                    "0".into()
                } else {
                    digits.into()
                }));
            } else if bytes[i].is_ascii_alphabetic() {
                while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                    i += 1;
                }
                segments.push(Segment::Text(text[start..i].to_string()));
            } else {
                i += 1;
            }
        }
        // canonical_segments: drop trailing zeros of the numeric part and of the rest.
        let split = segments
            .iter()
            .position(|s| matches!(s, Segment::Text(_)))
            .unwrap_or(segments.len());
        let mut numeric: Vec<Segment> = segments[..split].to_vec();
        let mut rest: Vec<Segment> = segments[split..].to_vec();
        for part in [&mut numeric, &mut rest] {
            while part.last() == Some(&Segment::Number("0".into())) {
                part.pop();
            }
        }
        numeric.extend(rest);
        Some(GemVersion { segments: numeric })
    }

    /// True for a pre-release (any letter in the version).
    pub fn is_prerelease(&self) -> bool {
        self.segments.iter().any(|s| matches!(s, Segment::Text(_)))
    }
}

impl Ord for GemVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let zero = Segment::Number("0".into());
        for k in 0..self.segments.len().max(other.segments.len()) {
            let l = self.segments.get(k).unwrap_or(&zero);
            let r = other.segments.get(k).unwrap_or(&zero);
            let order = match (l, r) {
                (Segment::Number(a), Segment::Number(b)) => super::go::compare_number(a, b),
                (Segment::Text(_), Segment::Number(_)) => Ordering::Less,
                (Segment::Number(_), Segment::Text(_)) => Ordering::Greater,
                (Segment::Text(a), Segment::Text(b)) => a.cmp(b),
            };
            if order != Ordering::Equal {
                return order;
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for GemVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for GemVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for GemVersion {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn v(text: &str) -> GemVersion {
        GemVersion::parse(text).unwrap()
    }

    #[test]
    fn orders_as_gem_version() {
        // From RubyGems' test_gem_version.rb (test_spaceship, test_prerelease, test_eql).
        for (low, high) in [
            ("1.0.a", "1.0"),
            ("1.8.2.a", "1.8.2"),
            ("1.0.0", "1.0.1"),
            ("1.0.a", "1.0.b"),
            ("1.0.b1", "1.0"),
            ("1.0.a.2", "1.0.b1"),
            ("1.0.a9", "1.0.a10"),
            ("5.a", "5.0.0.rc2"),
            ("1.9.3", "1.9.3.1"),
            ("2.2.8", "2.2.10"),
            ("1.0.0-rc1", "1.0.0"),
            ("1.15.4", "1.16.0"),
        ] {
            assert_eq!(v(low).cmp(&v(high)), Ordering::Less, "{low} < {high}");
        }
        assert_eq!(v("1.0"), v("1"));
        assert_eq!(v("1.0.0"), v("1"));
        assert_eq!(v("1.2.b1"), v("1.2.b.1"));
        assert_eq!(v("1.0.0-rc1"), v("1.0.0.pre.rc1"));
        assert!(v("1.0.0-rc1").is_prerelease());
        assert!(GemVersion::parse("junk!").is_none());
    }

    proptest! {
        #[test]
        fn order_is_antisymmetric_and_transitive(
            a in "[0-9][0-9a-b.]{0,6}", b in "[0-9][0-9a-b.]{0,6}", c in "[0-9][0-9a-b.]{0,6}",
        ) {
            let (a, b, c) = (v(&a), v(&b), v(&c));
            prop_assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
            if a <= b && b <= c {
                prop_assert!(a <= c);
            }
        }
    }
}

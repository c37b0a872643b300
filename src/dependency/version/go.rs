//! Go module versions, ordered as `golang.org/x/mod/semver.Compare` orders them, and Go
//! toolchain versions (`go 1.22`, `toolchain go1.22.5`) as `go/version.Compare` does.
//!
//! Written by hand: the `semver` crate refuses Go's shorthands (`v1`, `v1.2`), reads numbers
//! into `u64` where Go compares digit strings of any length, and has no notion of Go's
//! "an invalid version sorts before every valid one". Pseudo-versions
//! (`v0.0.0-20231010123456-abcdef123456`, `v1.2.4-0.2023…`) need no special case: they are
//! semver pre-releases, so their base and then their timestamp order them, exactly as in Go.
//! `+incompatible` is build metadata, which Go's comparison ignores.

use std::cmp::Ordering;

/// A parsed Go module version (`v1.2.3-pre+build`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoVersion {
    major: String,
    minor: String,
    patch: String,
    prerelease: Vec<String>,
    build: String,
}

impl GoVersion {
    /// Parse as Go's `semver.parse` does: a leading `v` is required, `v1` and `v1.2` are
    /// shorthands for `v1.0.0` and `v1.2.0` (without pre-release or build), numbers have no
    /// leading zeros, identifiers are `[0-9A-Za-z-]`.
    pub fn parse(text: &str) -> Option<GoVersion> {
        let rest = text.strip_prefix('v')?;
        let (core, build) = match rest.split_once('+') {
            Some((core, build)) => (core, Some(build)),
            None => (rest, None),
        };
        let (core, prerelease) = match core.split_once('-') {
            Some((core, pre)) => (core, Some(pre)),
            None => (core, None),
        };
        let parts: Vec<&str> = core.split('.').collect();
        if parts.is_empty() || parts.len() > 3 || !parts.iter().all(|p| is_number(p)) {
            return None;
        }
        if parts.len() < 3 && (prerelease.is_some() || build.is_some()) {
            return None;
        }
        let prerelease = match prerelease {
            Some(pre) => {
                let ids: Vec<String> = pre.split('.').map(str::to_string).collect();
                if ids.iter().any(|id| !is_prerelease_identifier(id)) {
                    return None;
                }
                ids
            }
            None => Vec::new(),
        };
        let build = match build {
            Some(build) => {
                if build
                    .split('.')
                    .any(|id| id.is_empty() || !id.bytes().all(is_ident_byte))
                {
                    return None;
                }
                build.to_string()
            }
            None => String::new(),
        };
        Some(GoVersion {
            major: parts[0].to_string(),
            minor: parts.get(1).unwrap_or(&"0").to_string(),
            patch: parts.get(2).unwrap_or(&"0").to_string(),
            prerelease,
            build,
        })
    }

    /// True for a pseudo-version (`vX.Y.Z-[0.]yyyymmddhhmmss-abcdefabcdef`): a commit, not a
    /// tagged release.
    pub fn is_pseudo(&self) -> bool {
        let joined = self.prerelease.join(".");
        let Some((before, revision)) = joined.rsplit_once('-') else {
            return false;
        };
        let stamp = before.rsplit('.').next().unwrap_or(before);
        revision.len() == 12
            && revision.bytes().all(|b| b.is_ascii_hexdigit())
            && stamp.len() == 14
            && stamp.bytes().all(|b| b.is_ascii_digit())
    }

    /// True when the version carries `+incompatible` (a v2+ module without a `/vN` path).
    pub fn is_incompatible(&self) -> bool {
        self.build == "incompatible"
    }
}

impl Ord for GoVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_number(&self.major, &other.major)
            .then_with(|| compare_number(&self.minor, &other.minor))
            .then_with(|| compare_number(&self.patch, &other.patch))
            .then_with(|| compare_prerelease(&self.prerelease, &other.prerelease))
    }
}

impl PartialOrd for GoVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// `semver.Compare`: an invalid version is less than every valid one and equal to another
/// invalid one; build metadata is ignored.
pub fn compare(a: &str, b: &str) -> Ordering {
    match (GoVersion::parse(a), GoVersion::parse(b)) {
        (Some(a), Some(b)) => a.cmp(&b),
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
    }
}

fn is_number(text: &str) -> bool {
    !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'))
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

fn is_prerelease_identifier(id: &str) -> bool {
    if id.is_empty() || !id.bytes().all(is_ident_byte) {
        return false;
    }
    // A numeric identifier has no leading zero (semver §9, as Go checks).
    !(id.bytes().all(|b| b.is_ascii_digit()) && id.len() > 1 && id.starts_with('0'))
}

/// Digit strings without leading zeros: the longer is larger, then lexical.
pub(crate) fn compare_number(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn compare_prerelease(a: &[String], b: &[String]) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        (false, false) => {}
    }
    for (x, y) in a.iter().zip(b) {
        let xn = x.bytes().all(|c| c.is_ascii_digit());
        let yn = y.bytes().all(|c| c.is_ascii_digit());
        let order = match (xn, yn) {
            (true, true) => compare_number(x, y),
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => x.cmp(y),
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    a.len().cmp(&b.len())
}

/// A Go toolchain version (`1.21`, `1.21rc1`, `1.21.0`, with or without the `go` prefix of a
/// `toolchain` line), ordered as `go/version.Compare`: the language version `1.21` sorts
/// before its release candidates, which sort before `1.21.0`.
pub fn compare_toolchain(a: &str, b: &str) -> Ordering {
    match (parse_toolchain(a), parse_toolchain(b)) {
        (Some(a), Some(b)) => compare_number(&a.0, &b.0)
            .then_with(|| compare_number(&a.1, &b.1))
            .then_with(|| compare_number(&a.2, &b.2))
            .then_with(|| a.3.cmp(&b.3))
            .then_with(|| compare_number(&a.4, &b.4)),
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
    }
}

/// True for a Go toolchain version (`1.22`, `1.22rc1`, `go1.22.5`).
pub fn is_toolchain(text: &str) -> bool {
    parse_toolchain(text).is_some()
}

/// `(major, minor, patch, kind, pre)`, with `""` for a missing part; `kind` is `""`,
/// `alpha`, `beta` or `rc`, which sort in that order as strings.
fn parse_toolchain(text: &str) -> Option<(String, String, String, String, String)> {
    let text = text.strip_prefix("go").unwrap_or(text);
    let digits = |s: &str| -> Option<(String, usize)> {
        let n = s.bytes().take_while(u8::is_ascii_digit).count();
        (n > 0 && (n == 1 || !s.starts_with('0'))).then(|| (s[..n].to_string(), n))
    };
    let (major, n) = digits(text)?;
    let mut rest = &text[n..];
    let mut minor = String::new();
    let mut patch = String::new();
    if let Some(after) = rest.strip_prefix('.') {
        let (m, n) = digits(after)?;
        minor = m;
        rest = &after[n..];
        if let Some(after) = rest.strip_prefix('.') {
            let (p, n) = digits(after)?;
            patch = p;
            rest = &after[n..];
        }
    }
    let (kind, pre) = if rest.is_empty() {
        (String::new(), String::new())
    } else {
        let kind = ["alpha", "beta", "rc"]
            .into_iter()
            .find(|k| rest.starts_with(k))?;
        if !patch.is_empty() {
            return None;
        }
        let (pre, n) = digits(&rest[kind.len()..])?;
        if n != rest.len() - kind.len() {
            return None;
        }
        (kind.to_string(), pre)
    };
    Some((major, minor, patch, kind, pre))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn orders_as_go_semver() {
        // In increasing order; taken from golang.org/x/mod/semver's own test table.
        let ordered = [
            "bad",
            "v1-alpha.beta.gamma",
            "v1-pre",
            "v1+meta",
            "v1.2+meta",
            "v1.0.0-alpha",
            "v1.0.0-alpha.1",
            "v1.0.0-alpha.beta",
            "v1.0.0-beta",
            "v1.0.0-beta.2",
            "v1.0.0-beta.11",
            "v1.0.0-rc.1",
            "v1",
            "v1.0",
            "v1.0.0",
            "v1.2",
            "v1.2.0",
            "v1.2.3-456",
            "v1.2.3-456.789",
            "v1.2.3-456-789",
            "v1.2.3-456a",
            "v1.2.3-pre",
            "v1.2.3-pre+meta",
            "v1.2.3-pre.1",
            "v1.2.3-zzz",
            "v1.2.3",
            "v1.2.3+meta",
            "v1.2.3+meta-pre",
            "v1.2.3+meta-pre.sha.256a",
        ];
        // Go's table groups equal entries; check that each is ≤ the next and that the
        // groups Go calls equal are equal.
        for pair in ordered.windows(2) {
            assert_ne!(compare(pair[0], pair[1]), Ordering::Greater, "{pair:?}");
        }
        assert_eq!(compare("v1", "v1.0.0"), Ordering::Equal);
        assert_eq!(compare("v1.2.3", "v1.2.3+meta"), Ordering::Equal);
        assert_eq!(compare("bad", "v1-pre"), Ordering::Equal);
        assert_eq!(compare("v1.0.0-beta.2", "v1.0.0-beta.11"), Ordering::Less);
        assert_eq!(compare("v1.2.3-pre", "v1.2.3"), Ordering::Less);
    }

    #[test]
    fn pseudo_versions_order_by_base_then_time() {
        let older = "v0.0.0-20230101000000-aaaaaaaaaaaa";
        let newer = "v0.0.0-20231010123456-abcdef123456";
        assert_eq!(compare(older, newer), Ordering::Less);
        // A pseudo-version after a tag sorts after the tag and before the next patch.
        assert_eq!(
            compare("v0.17.0", "v0.17.1-0.20231010123456-abcdef123456"),
            Ordering::Less
        );
        assert_eq!(
            compare("v0.17.1-0.20231010123456-abcdef123456", "v0.17.1"),
            Ordering::Less
        );
        assert!(GoVersion::parse(newer).unwrap().is_pseudo());
        assert!(
            GoVersion::parse("v0.17.1-0.20231010123456-abcdef123456")
                .unwrap()
                .is_pseudo()
        );
        assert!(
            GoVersion::parse("v1.5.0-pre.0.20231010123456-abcdef123456")
                .unwrap()
                .is_pseudo()
        );
        assert!(!GoVersion::parse("v1.5.0-rc.1").unwrap().is_pseudo());
    }

    #[test]
    fn incompatible_is_ignored_by_the_order() {
        let v = GoVersion::parse("v2.0.0+incompatible").unwrap();
        assert!(v.is_incompatible());
        assert_eq!(compare("v2.0.0+incompatible", "v2.0.0"), Ordering::Equal);
        assert_eq!(
            compare("v2.0.0+incompatible", "v3.1.0+incompatible"),
            Ordering::Less
        );
    }

    #[test]
    fn refuses_what_go_refuses() {
        for bad in [
            "1.2.3",
            "v01.2.3",
            "v1.2.3-01",
            "v1.2-pre",
            "v1.2.3-",
            "v1.2.3+",
            "v1..2",
        ] {
            assert!(GoVersion::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn toolchain_versions() {
        let ordered = [
            "1.20", "1.21", "1.21rc1", "1.21rc2", "1.21.0", "1.21.1", "go1.22.5", "1.23",
        ];
        for pair in ordered.windows(2) {
            assert_eq!(
                compare_toolchain(pair[0], pair[1]),
                Ordering::Less,
                "{pair:?}"
            );
        }
    }

    fn go_version() -> impl Strategy<Value = String> {
        (
            0u8..3,
            0u8..3,
            0u8..3,
            prop::option::of("[a-c0-9]{1,3}"),
            any::<bool>(),
        )
            .prop_map(|(a, b, c, pre, inc)| {
                let mut v = format!("v{a}.{b}.{c}");
                if let Some(pre) = pre {
                    let pre = if pre.len() > 1 && pre.starts_with('0') {
                        format!("x{pre}")
                    } else {
                        pre
                    };
                    v.push('-');
                    v.push_str(&pre);
                }
                if inc {
                    v.push_str("+incompatible");
                }
                v
            })
    }

    proptest! {
        #[test]
        fn order_is_antisymmetric_and_transitive(a in go_version(), b in go_version(), c in go_version()) {
            prop_assert_eq!(compare(&a, &b), compare(&b, &a).reverse());
            if compare(&a, &b) != Ordering::Greater && compare(&b, &c) != Ordering::Greater {
                prop_assert_ne!(compare(&a, &c), Ordering::Greater);
            }
        }
    }
}

//! Version ordering (DESIGN.md §2; the rules and their reasons are in docs/versions.md): which
//! of two upstream versions is newer, and why. Release discovery (`release.rs`) sorts with
//! [`compare`], `fixed-in` requirements (`requirement.rs`) match with it, and
//! `mindelta versions --explain` shows the [`explain`] of each adjacent pair.
//!
//! One file per scheme — `default.rs` (numeric and alphabetic runs; calver too), `semantic.rs`
//! (semver), `debian.rs` (dpkg), `rpm.rs` (rpmvercmp) — and `normalize.rs`, which turns a tag
//! or a file name into a version.

mod debian;
mod default;
mod normalize;
mod rpm;
mod semantic;

pub use normalize::{normalize, normalize_explained};

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
        Scheme::Default | Scheme::Calver => default::compare(a, b).0,
        Scheme::Semver => semantic::compare(a, b),
        Scheme::Debian => debian::compare(a, b).0,
        Scheme::Rpm => rpm::compare(a, b).0,
    }
}

/// Why `a` and `b` order the way they do, as one line: `1.10 > 1.9: numeric run 10 > 9`.
pub fn explain(scheme: Scheme, a: &str, b: &str) -> String {
    let (ordering, reason) = match scheme {
        Scheme::Default | Scheme::Calver => {
            let (ordering, step) = default::compare(a, b);
            (ordering, step.describe(ordering))
        }
        Scheme::Semver => semantic::explain(a, b),
        Scheme::Debian => debian::compare(a, b),
        Scheme::Rpm => rpm::compare(a, b),
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
    default::is_prerelease(version)
}

/// Two runs of digits without leading zeros, compared as numbers of any length.
fn compare_numbers(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::Greater;

    pub(super) fn check(scheme: Scheme, table: &[(&str, &str, Ordering)]) {
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
    fn explains_orders() {
        assert!(explain(Scheme::Debian, "1:1.0-1", "2.0-1").contains("epoch"));
        assert!(explain(Scheme::Rpm, "1.0-2", "1.0-10").contains("release"));
        assert!(explain(Scheme::Semver, "1.0.0+a", "1.0.0+b").contains("build metadata"));
        check(Scheme::Calver, &[("24.04", "23.10", Greater)]);
    }

    #[test]
    fn parses_scheme_names() {
        assert_eq!(Scheme::parse(None), Scheme::Default);
        assert_eq!(Scheme::parse(Some("debian")), Scheme::Debian);
        assert_eq!(Scheme::parse(Some("rpm")).as_str(), "rpm");
        assert_eq!(Scheme::parse(Some("bogus")), Scheme::Default);
    }
}

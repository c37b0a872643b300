//! The `semver` scheme: Semantic Versioning 2.0 precedence from the `semver` crate (build
//! metadata ignored); a version that is not semver falls back to the default order.

use std::cmp::Ordering;

use super::default;

fn parse(text: &str) -> Option<semver::Version> {
    let text = text.trim();
    let text = text.strip_prefix(['v', 'V']).unwrap_or(text);
    semver::Version::parse(text).ok()
}

/// Compare by semver precedence, or in the default order when either is not semver.
pub(super) fn compare(a: &str, b: &str) -> Ordering {
    match (parse(a), parse(b)) {
        (Some(a), Some(b)) => a.cmp_precedence(&b),
        _ => default::compare(a, b).0,
    }
}

/// [`compare`], with the reason.
pub(super) fn explain(a: &str, b: &str) -> (Ordering, String) {
    match (parse(a), parse(b)) {
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
            let (ordering, step) = default::compare(a, b);
            let reason = format!("not semver, default order: {}", step.describe(ordering));
            (ordering, reason)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Scheme;
    use super::super::tests::check;
    use super::*;
    use Ordering::{Equal, Greater};

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
    }
}

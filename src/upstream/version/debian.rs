//! The `debian` scheme: dpkg's order (lib/dpkg/version.c) over epoch, upstream version and
//! revision, `~` before everything. Written by hand: the general crates disagree with dpkg,
//! and the tests check this one against `dpkg --compare-versions`.

use std::cmp::Ordering;

use super::compare_numbers;

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

/// Compare two Debian versions, with the reason.
pub(super) fn compare(a: &str, b: &str) -> (Ordering, String) {
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

#[cfg(test)]
mod tests {
    use super::super::tests::check;
    use super::super::{Scheme, compare};
    use super::*;
    use Ordering::{Equal, Greater, Less};

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
}

//! The `rpm` scheme: rpmvercmp (rpmio/rpmvercmp.c) over epoch:version-release, `~` before
//! and `^` after. Written by hand, following rpmvercmp.c step by step: one function, not worth
//! a dependency.

use std::cmp::Ordering;

use super::compare_numbers;

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

/// Compare two RPM EVRs, with the reason.
pub(super) fn compare(a: &str, b: &str) -> (Ordering, String) {
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
    use super::super::Scheme;
    use super::super::tests::check;
    use super::*;
    use Ordering::{Equal, Greater, Less};

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
}

//! PEP 440 versions and specifiers through `pep440_rs` (the parser uv uses), reduced to a
//! floor; plus Poetry's own `^`/`~` and the bare versions of lock files.
//!
//! A specifier set's floor is the largest floor of its clauses: `==V`, `>=V`, `~=V` and
//! `===V` start at V, `>V` just above V, `==V.*` at `V.dev0` (the smallest version with that
//! prefix); `<`, `<=`, `!=` set none. `pep440_rs` orders versions (epochs, pre-, post- and
//! dev-releases, local versions) exactly as `packaging.version` does; the tests check it
//! against a table written with `packaging`.

use super::Floor;
use pep440_rs::{Operator, Version, VersionSpecifiers};
use std::str::FromStr;

/// The floor of a PEP 440 specifier set (`>=2.31,<3`), a Poetry constraint (`^2.31`,
/// `~2.31`, `2.31.*`, `*`) or a bare version (a lock file's `2.31.0`, Poetry's exact pin).
pub fn specifier_floor(spec: &str) -> Option<Floor<Version>> {
    let spec = spec.trim();
    if spec.is_empty() || spec == "*" {
        return Some(Floor::Unbounded);
    }
    if let Ok(version) = Version::from_str(spec) {
        return Some(Floor::At {
            version,
            inclusive: true,
        });
    }
    // Poetry: comma-separated (`>=1.2,<1.5`) or space-separated clauses, `^` and `~`, `||`.
    if spec.contains("||") {
        let mut union: Option<Floor<Version>> = None;
        for alternative in spec.split("||") {
            let floor = specifier_floor(alternative)?;
            union = Some(match union {
                None => floor,
                Some(previous) => Floor::min(previous, floor),
            });
        }
        return union;
    }
    let mut floor = Floor::Unbounded;
    let mut standard = Vec::new();
    for clause in spec.split(',') {
        let clause = clause.trim();
        if let Some(rest) = clause.strip_prefix('^').or_else(|| {
            clause
                .strip_prefix('~')
                .filter(|rest| !rest.starts_with('='))
        }) {
            let version = Version::from_str(rest.trim()).ok()?;
            floor = Floor::max(
                floor,
                Floor::At {
                    version,
                    inclusive: true,
                },
            );
        } else if let Some(prefix) = clause
            .strip_suffix(".*")
            .filter(|p| !p.contains(['=', '<', '>', '!', '~']))
        {
            let version = Version::from_str(prefix.trim()).ok()?.with_dev(Some(0));
            floor = Floor::max(
                floor,
                Floor::At {
                    version,
                    inclusive: true,
                },
            );
        } else if !clause.is_empty() {
            standard.push(clause);
        }
    }
    if standard.is_empty() {
        return Some(floor);
    }
    let specifiers = VersionSpecifiers::from_str(&standard.join(",")).ok()?;
    for specifier in specifiers.iter() {
        let version = specifier.version().clone();
        let this = match specifier.operator() {
            Operator::Equal
            | Operator::ExactEqual
            | Operator::GreaterThanEqual
            | Operator::TildeEqual => Floor::At {
                version,
                inclusive: true,
            },
            Operator::EqualStar => Floor::At {
                version: version.with_dev(Some(0)),
                inclusive: true,
            },
            Operator::GreaterThan => Floor::At {
                version,
                inclusive: false,
            },
            _ => Floor::Unbounded,
        };
        floor = Floor::max(floor, this);
    }
    Some(floor)
}

/// PEP 503's normalized project name: lower case, runs of `-`, `_`, `.` as one `-`.
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut separator = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            separator = true;
            continue;
        }
        if separator && !out.is_empty() {
            out.push('-');
        }
        separator = false;
        out.extend(c.to_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering;

    /// Pairs `(a, b, order)` as `packaging.version.Version` (packaging 24) orders them; the
    /// table was generated with python3 and packaging, kept here so the suite needs no network
    /// and no Python: `Version(a) < Version(b)` etc.
    const PACKAGING_TABLE: &[(&str, &str, Ordering)] = &include!("python_packaging_table.in");

    #[test]
    fn orders_as_packaging() {
        for (a, b, expected) in PACKAGING_TABLE {
            let (x, y) = (Version::from_str(a).unwrap(), Version::from_str(b).unwrap());
            assert_eq!(x.cmp(&y), *expected, "{a} vs {b}");
        }
    }

    fn floor(spec: &str) -> String {
        match specifier_floor(spec) {
            Some(Floor::At { version, inclusive }) => {
                format!("{}{version}", if inclusive { ">=" } else { ">" })
            }
            Some(Floor::Unbounded) => "*".into(),
            None => "none".into(),
        }
    }

    #[test]
    fn floors() {
        for (spec, expected) in [
            ("==2.31.0", ">=2.31.0"),
            (">=2.31,<3", ">=2.31"),
            ("~=2.31.0", ">=2.31.0"),
            (">2.31", ">2.31"),
            ("<3", "*"),
            ("!=2.30", "*"),
            ("==2.31.*", ">=2.31.dev0"),
            ("2.31.0", ">=2.31.0"),
            ("^2.31", ">=2.31"),
            ("~2.31.1", ">=2.31.1"),
            (">=1.2,<1.5", ">=1.2"),
            ("^1.2 || ^2.0", ">=1.2"),
            ("*", "*"),
            ("git+https://x", "none"),
        ] {
            assert_eq!(floor(spec), expected, "{spec}");
        }
    }

    #[test]
    fn names_normalize() {
        assert_eq!(
            normalize_name("Django_REST.framework"),
            "django-rest-framework"
        );
        assert_eq!(normalize_name("ruamel.yaml"), "ruamel-yaml");
    }
}

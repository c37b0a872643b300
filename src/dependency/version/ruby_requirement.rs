//! RubyGems requirements (`Gem::Requirement`): `~> 2.2`, `>= 2.2.3, < 4`, `= 1.0`, a bare
//! version (`= version`), reduced to a floor in `Gem::Version` order. `~>` and `=` and `>=`
//! start at their version, `>` just above it; `<`, `<=`, `!=` set none.

use super::Floor;
use super::rubygems::GemVersion;

/// The floor of a requirement list. Several constraints may come as separate strings (a
/// gemspec's `add_dependency "rack", ">= 2.2", "< 4"`); the reader joins them with `,`.
pub fn requirement_floor(requirement: &str) -> Option<Floor<GemVersion>> {
    let mut floor = Floor::Unbounded;
    for clause in requirement.split(',') {
        let clause = clause.trim();
        if clause.is_empty() {
            continue;
        }
        let split = clause
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(clause.len());
        let (operator, version) = clause.split_at(split);
        let version = GemVersion::parse(version)?;
        let this = match operator.trim() {
            "" | "=" | ">=" | "~>" => Floor::At {
                version,
                inclusive: true,
            },
            ">" => Floor::At {
                version,
                inclusive: false,
            },
            "<" | "<=" | "!=" => Floor::Unbounded,
            _ => return None,
        };
        floor = Floor::max(floor, this);
    }
    Some(floor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering;

    #[test]
    fn floors() {
        let at = |v: &str| Floor::At {
            version: GemVersion::parse(v).unwrap(),
            inclusive: true,
        };
        let floor = requirement_floor(">= 2.2.3, < 4").unwrap();
        assert_eq!(floor.compare_to_patch(&at("2.2.3")), Ordering::Equal);
        assert_eq!(
            requirement_floor("~> 3.0")
                .unwrap()
                .compare_to_patch(&at("2.2.8")),
            Ordering::Greater
        );
        assert_eq!(requirement_floor("< 4").unwrap(), Floor::Unbounded);
        assert!(requirement_floor("=~ 1").is_none());
    }
}

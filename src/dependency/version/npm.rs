//! npm's versions and ranges (node-semver), reduced to what expiry needs: the smallest
//! version a range admits (its floor). R's range admits only versions ≥ the patch's pin when
//! its floor is ≥ the pin's floor.
//!
//! Versions are semver 2.0 (the `semver` crate's precedence). Ranges are written here: no
//! maintained crate gives a range's lower bound, and the grammar is small: `||` alternatives
//! of space-separated comparators (`>=`, `>`, `=`, `<`, `<=`), `^` and `~`, X-ranges (`1.x`,
//! `1.2.*`, `1`), hyphen ranges (`1.2 - 2.3`), a leading `v`/`=`. The floor of a comparator
//! set is the largest floor of its comparators; of a union, the smallest of its sets; `<`
//! alone, `*`, `x` and `""` admit everything. `npm:name@range` aliases read the range; git,
//! file, link, workspace, tag (`latest`) and URL specs have no order: `None`.

use super::Floor;
use semver::{BuildMetadata, Prerelease, Version};

/// A version as npm reads it (loose: a leading `v` or `=` and white space allowed).
pub fn parse_version(text: &str) -> Option<Version> {
    let text = text.trim();
    let text = text.strip_prefix('=').unwrap_or(text).trim_start();
    let text = text.strip_prefix('v').unwrap_or(text);
    Version::parse(text).ok()
}

/// A partial version of a range: `1`, `1.2`, `1.2.3-pre`, with `x`/`X`/`*` wildcards.
struct Partial {
    major: Option<u64>,
    minor: Option<u64>,
    patch: Option<u64>,
    pre: Prerelease,
}

fn parse_partial(text: &str) -> Option<Partial> {
    let text = text.strip_prefix('v').unwrap_or(text);
    let text = text.split('+').next().unwrap_or(text);
    let (core, pre) = match text.split_once('-') {
        Some((core, pre)) => (core, Prerelease::new(pre).ok()?),
        None => (text, Prerelease::EMPTY),
    };
    let mut numbers = [None; 3];
    let pieces: Vec<&str> = core.split('.').collect();
    if pieces.is_empty() || pieces.len() > 3 {
        return None;
    }
    for (slot, piece) in numbers.iter_mut().zip(&pieces) {
        if matches!(*piece, "x" | "X" | "*") {
            break;
        }
        *slot = Some(piece.parse::<u64>().ok()?);
    }
    Some(Partial {
        major: numbers[0],
        minor: numbers[1],
        patch: numbers[2],
        pre,
    })
}

fn version(major: u64, minor: u64, patch: u64, pre: Prerelease) -> Version {
    Version {
        major,
        minor,
        patch,
        pre,
        build: BuildMetadata::EMPTY,
    }
}

/// The floor of one comparator (operator and partial version), `Unbounded` when it sets no
/// lower bound.
fn comparator_floor(operator: &str, partial: &Partial) -> Option<Floor<Version>> {
    let Some(major) = partial.major else {
        return Some(Floor::Unbounded); // `*`, `x`, `>=*`
    };
    let minor = partial.minor.unwrap_or(0);
    let patch = partial.patch.unwrap_or(0);
    let at = version(major, minor, patch, partial.pre.clone());
    Some(match operator {
        "" | "=" | ">=" | "^" | "~" => Floor::At {
            version: at,
            inclusive: true,
        },
        ">" => match (partial.minor, partial.patch) {
            // `>1` means `>=2.0.0`, `>1.2` means `>=1.3.0` (X-range rules).
            (None, _) => Floor::At {
                version: version(major + 1, 0, 0, Prerelease::EMPTY),
                inclusive: true,
            },
            (Some(_), None) => Floor::At {
                version: version(major, minor + 1, 0, Prerelease::EMPTY),
                inclusive: true,
            },
            (Some(_), Some(_)) => Floor::At {
                version: at,
                inclusive: false,
            },
        },
        "<" | "<=" => Floor::Unbounded,
        _ => return None,
    })
}

/// The smallest version a range admits. `None` for specs without an order (git, file, tags).
pub fn range_floor(range: &str) -> Option<Floor<Version>> {
    let range = range.trim();
    if let Some(alias) = range.strip_prefix("npm:") {
        // `npm:@scope/name@range`: the range follows the last `@` after the name.
        let at = alias.get(1..)?.find('@')? + 1;
        return range_floor(&alias[at + 1..]);
    }
    if range.contains("://") || range.contains(':') || range.contains('/') {
        return None; // URLs, git+ssh, file:, link:, workspace:, github shorthands
    }
    let mut union_floor: Option<Floor<Version>> = None;
    for set in range.split("||") {
        let floor = set_floor(set.trim())?;
        union_floor = Some(match union_floor {
            None => floor,
            Some(previous) => Floor::min(previous, floor),
        });
    }
    union_floor
}

fn set_floor(set: &str) -> Option<Floor<Version>> {
    if set.is_empty() {
        return Some(Floor::Unbounded);
    }
    // Hyphen range: `a - b` admits from `a`.
    if let Some((from, _to)) = set.split_once(" - ") {
        return comparator_floor(">=", &parse_partial(from.trim())?);
    }
    // Join an operator separated from its version by spaces (`>= 1.2.3`).
    let tokens: Vec<&str> = set.split_whitespace().collect();
    let mut floor = Floor::Unbounded;
    let mut k = 0;
    while k < tokens.len() {
        let mut token = tokens[k].to_string();
        if matches!(
            token.as_str(),
            ">" | ">=" | "<" | "<=" | "=" | "^" | "~" | "~>"
        ) && k + 1 < tokens.len()
        {
            k += 1;
            token.push_str(tokens[k]);
        }
        k += 1;
        let split = token
            .find(|c: char| c.is_ascii_alphanumeric() || c == '*')
            .unwrap_or(token.len());
        let (operator, rest) = token.split_at(split);
        let operator = if operator == "~>" { "~" } else { operator };
        if rest.is_empty() {
            return None;
        }
        let partial = parse_partial(rest)?;
        floor = Floor::max(floor, comparator_floor(operator, &partial)?);
    }
    Some(floor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn floor(range: &str) -> String {
        match range_floor(range) {
            Some(Floor::At { version, inclusive }) => {
                format!("{}{version}", if inclusive { ">=" } else { ">" })
            }
            Some(Floor::Unbounded) => "*".into(),
            None => "none".into(),
        }
    }

    #[test]
    fn floors_of_ranges() {
        for (range, expected) in [
            ("^1.7.4", ">=1.7.4"),
            ("~1.2", ">=1.2.0"),
            ("1.x", ">=1.0.0"),
            ("1.2.*", ">=1.2.0"),
            ("1", ">=1.0.0"),
            ("1.6.8", ">=1.6.8"),
            ("=v1.6.8", ">=1.6.8"),
            (">=1.2.3 <2", ">=1.2.3"),
            (">= 1.2.3 < 2", ">=1.2.3"),
            (">1.2.3", ">1.2.3"),
            (">1.2", ">=1.3.0"),
            (">1", ">=2.0.0"),
            ("<2.0.0", "*"),
            ("*", "*"),
            ("", "*"),
            ("^1.6.0 || ^2.0.0", ">=1.6.0"),
            ("^2.0.0 || <1.0.0", "*"),
            ("1.2.3 - 2.3.4", ">=1.2.3"),
            ("^3.0.0-beta.2", ">=3.0.0-beta.2"),
            ("npm:@types/node@^20.1.0", ">=20.1.0"),
            ("npm:string-width@^4.2.0", ">=4.2.0"),
            ("git+https://github.com/a/b.git", "none"),
            ("file:../x", "none"),
            ("workspace:*", "none"),
            ("latest", "none"),
        ] {
            assert_eq!(floor(range), expected, "{range}");
        }
    }
}

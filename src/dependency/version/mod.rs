//! Version orderings of the dependency ecosystems, and the one question expiry asks of them:
//! does the requirement R declares admit only versions at or above the one the patch sets?
//!
//! Every requirement is reduced to its *floor*, the smallest version it admits (a pin's floor
//! is the pin itself; `^1.7.4`'s is `1.7.4`; `<2` has none). R supersedes the patch when R's
//! floor is at or above the patch's: every version R can resolve to is one the patch asked for
//! or a newer one. Upper bounds do not matter here: the patch raises a minimum.
//!
//! Orderings: Go (`go.rs`, by hand), npm (`npm.rs`: `semver` for versions, ranges by hand),
//! Cargo (`semver`'s `VersionReq`), PEP 440 (`pep440_rs`), Maven (`maven.rs`, by hand), Gradle
//! (`gradle.rs`, by hand), RubyGems (`rubygems.rs`, by hand). Each file says why.

pub mod go;
pub mod gradle;
pub mod maven;
pub mod npm;
pub mod python;
pub mod ruby_requirement;
pub mod rubygems;

use super::Ecosystem;
use std::cmp::Ordering;

/// Longest version or requirement string that is compared, in bytes. Real ones are under 100
/// bytes (a Go pseudo-version is 34); a longer one is reported unordered instead of being
/// parsed, which keeps hostile manifests from costing time or stack (Maven's order nests a
/// list per `-`). Change it with [`super::DependencyOptions::max_version_bytes`].
pub const MAX_VERSION_BYTES: usize = 256;

/// The smallest version a requirement admits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Floor<V> {
    /// No lower bound (`*`, `<2`, `latest`).
    Unbounded,
    /// At `version`, inclusive (`>=`, `^`, a pin) or not (`>`).
    At { version: V, inclusive: bool },
}

impl<V: Ord> Floor<V> {
    /// The stricter of two floors (both constraints hold).
    pub fn max(a: Floor<V>, b: Floor<V>) -> Floor<V> {
        match (&a, &b) {
            (Floor::Unbounded, _) => b,
            (_, Floor::Unbounded) => a,
            (
                Floor::At {
                    version: x,
                    inclusive: xi,
                },
                Floor::At {
                    version: y,
                    inclusive: yi,
                },
            ) => match x.cmp(y) {
                Ordering::Less => b,
                Ordering::Greater => a,
                Ordering::Equal if !xi => a,
                Ordering::Equal if !yi => b,
                Ordering::Equal => a,
            },
        }
    }

    /// The looser of two floors (either alternative holds).
    pub fn min(a: Floor<V>, b: Floor<V>) -> Floor<V> {
        match (&a, &b) {
            (Floor::Unbounded, _) | (_, Floor::Unbounded) => Floor::Unbounded,
            (
                Floor::At {
                    version: x,
                    inclusive: xi,
                },
                Floor::At {
                    version: y,
                    inclusive: yi,
                },
            ) => match x.cmp(y) {
                Ordering::Less => a,
                Ordering::Greater => b,
                Ordering::Equal if *xi => a,
                Ordering::Equal if *yi => b,
                Ordering::Equal => a,
            },
        }
    }

    /// How `self` (R's floor) stands to `patch`'s: `Some(Equal)` or `Some(Greater)` when R
    /// admits only versions the patch admits (equal floors, or R's higher), `Some(Less)` when
    /// R admits an older version.
    pub fn compare_to_patch(&self, patch: &Floor<V>) -> Ordering {
        match (self, patch) {
            (Floor::Unbounded, Floor::Unbounded) => Ordering::Equal,
            (_, Floor::Unbounded) => Ordering::Greater,
            (Floor::Unbounded, _) => Ordering::Less,
            (
                Floor::At {
                    version: r,
                    inclusive: ri,
                },
                Floor::At {
                    version: p,
                    inclusive: pi,
                },
            ) => match r.cmp(p) {
                Ordering::Equal => match (ri, pi) {
                    (true, false) => Ordering::Less,
                    (false, true) => Ordering::Greater,
                    _ => Ordering::Equal,
                },
                order => order,
            },
        }
    }
}

/// How R's requirement stands to the patch's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Comparison {
    /// R admits only versions at or above the patch's: `equal` when the floors are the same.
    AtLeast { equal: bool },
    /// R admits a version older than the patch's.
    Below,
    /// The two cannot be ordered (a git URL, a tag, a malformed or oversized version); the
    /// reason says which side and why.
    Unordered { reason: String },
}

/// Compare the requirement a patch sets with the one R declares, in `ecosystem`'s order.
pub fn compare(ecosystem: Ecosystem, patch: &str, release: &str, max_bytes: usize) -> Comparison {
    for (side, text) in [("the patch's", patch), ("R's", release)] {
        if text.len() > max_bytes {
            return Comparison::Unordered {
                reason: format!("{side} version is longer than {max_bytes} bytes"),
            };
        }
    }
    let order = match ecosystem {
        Ecosystem::Go => go_floor_order(patch, release),
        Ecosystem::Npm => floors(npm::range_floor(patch), npm::range_floor(release)),
        Ecosystem::Cargo => floors(cargo_floor(patch), cargo_floor(release)),
        Ecosystem::Python => floors(
            python::specifier_floor(patch),
            python::specifier_floor(release),
        ),
        Ecosystem::Maven => floors(maven_floor(patch), maven_floor(release)),
        Ecosystem::Gradle => match (gradle_floor(patch), gradle_floor(release)) {
            (Some(p), Some(r)) => Ok(r.compare_to_patch(&p)),
            (p, _) => Err(p.is_none()),
        },
        Ecosystem::RubyGems => floors(
            ruby_requirement::requirement_floor(patch),
            ruby_requirement::requirement_floor(release),
        ),
    };
    match order {
        Ok(Ordering::Less) => Comparison::Below,
        Ok(order) => Comparison::AtLeast {
            equal: order == Ordering::Equal,
        },
        Err(patch_side) => Comparison::Unordered {
            reason: format!(
                "`{}` is not a {} version or range",
                if patch_side { patch } else { release },
                ecosystem.as_str()
            ),
        },
    }
}

/// R's floor against the patch's; `Err(true)` when the patch's side has no order,
/// `Err(false)` when R's has none.
fn floors<V: Ord>(patch: Option<Floor<V>>, release: Option<Floor<V>>) -> Result<Ordering, bool> {
    match (patch, release) {
        (Some(p), Some(r)) => Ok(r.compare_to_patch(&p)),
        (None, _) => Err(true),
        (_, None) => Err(false),
    }
}

/// Go requirements are exact versions (minimal version selection); `go`/`toolchain`
/// directives use the toolchain order.
fn go_floor_order(patch: &str, release: &str) -> Result<Ordering, bool> {
    match (go::GoVersion::parse(patch), go::GoVersion::parse(release)) {
        (Some(p), Some(r)) => Ok(r.cmp(&p)),
        (p, r) => {
            if p.is_none() && r.is_none() && go::is_toolchain(patch) && go::is_toolchain(release) {
                Ok(go::compare_toolchain(release, patch))
            } else {
                Err(p.is_none())
            }
        }
    }
}

/// A Cargo requirement's floor: `"1.2"` is `^1.2`, a lock file's `1.2.3` pins.
fn cargo_floor(requirement: &str) -> Option<Floor<semver::Version>> {
    let requirement = semver::VersionReq::parse(requirement.trim()).ok()?;
    let mut floor = Floor::Unbounded;
    for comparator in &requirement.comparators {
        let minor = comparator.minor.unwrap_or(0);
        let patch = comparator.patch.unwrap_or(0);
        let at = semver::Version {
            major: comparator.major,
            minor,
            patch,
            pre: comparator.pre.clone(),
            build: semver::BuildMetadata::EMPTY,
        };
        let this = match comparator.op {
            semver::Op::Exact
            | semver::Op::GreaterEq
            | semver::Op::Tilde
            | semver::Op::Caret
            | semver::Op::Wildcard => Floor::At {
                version: at,
                inclusive: true,
            },
            semver::Op::Greater => match (comparator.minor, comparator.patch) {
                (None, _) => Floor::At {
                    version: semver::Version::new(comparator.major + 1, 0, 0),
                    inclusive: true,
                },
                (Some(_), None) => Floor::At {
                    version: semver::Version::new(comparator.major, minor + 1, 0),
                    inclusive: true,
                },
                _ => Floor::At {
                    version: at,
                    inclusive: false,
                },
            },
            _ => Floor::Unbounded,
        };
        floor = Floor::max(floor, this);
    }
    Some(floor)
}

/// A Maven version or range's floor: a plain version is a soft requirement (its floor is
/// itself, which is what the build resolves to); `[1.0,2.0)`, `(1.0,)`, `[1.5]` and unions
/// `[1.0,1.2),[1.3,)` take the smallest lower bound; `(,1.0]` has none.
fn maven_floor(spec: &str) -> Option<Floor<maven::MavenVersion>> {
    let spec = spec.trim();
    if spec.is_empty() || spec.contains("${") {
        return None;
    }
    if !spec.starts_with(['[', '(']) {
        return Some(Floor::At {
            version: maven::MavenVersion::parse(spec),
            inclusive: true,
        });
    }
    let mut union: Option<Floor<maven::MavenVersion>> = None;
    let mut rest = spec;
    while !rest.is_empty() {
        let open = rest.chars().next()?;
        let close = rest.find([']', ')'])?;
        let inner = &rest[1..close];
        let lower = inner.split(',').next().unwrap_or("").trim();
        let floor = if lower.is_empty() {
            Floor::Unbounded
        } else {
            Floor::At {
                version: maven::MavenVersion::parse(lower),
                inclusive: open == '[',
            }
        };
        union = Some(match union {
            None => floor,
            Some(previous) => Floor::min(previous, floor),
        });
        rest = rest[close + 1..].trim_start_matches([',', ' ']);
        if !rest.is_empty() && !rest.starts_with(['[', '(']) {
            return None;
        }
    }
    union
}

/// A Gradle version's floor, in Gradle's order: a plain version, `1.+` (prefix), a Maven-style
/// range, `!!` (strictly). `latest.release` and friends: `None`.
fn gradle_floor(spec: &str) -> Option<Floor<GradleVersion>> {
    let spec = spec.trim().trim_end_matches("!!");
    if spec.is_empty() || spec.starts_with("latest.") || spec.contains("${") || spec.contains('$') {
        return None;
    }
    if let Some(prefix) = spec.strip_suffix('+') {
        let prefix = prefix.trim_end_matches('.');
        if prefix.is_empty() {
            return Some(Floor::Unbounded);
        }
        return Some(Floor::At {
            version: GradleVersion(prefix.to_string()),
            inclusive: true,
        });
    }
    if spec.starts_with(['[', '(', ']']) {
        let open = spec.chars().next()?;
        let lower = spec[1..].split(',').next().unwrap_or("").trim();
        if lower.is_empty() {
            return Some(Floor::Unbounded);
        }
        return Some(Floor::At {
            version: GradleVersion(lower.to_string()),
            inclusive: open == '[',
        });
    }
    Some(Floor::At {
        version: GradleVersion(spec.to_string()),
        inclusive: true,
    })
}

/// A Gradle version, ordered by [`gradle::compare`].
#[derive(Debug, Clone)]
pub struct GradleVersion(pub String);

impl PartialEq for GradleVersion {
    fn eq(&self, other: &Self) -> bool {
        gradle::compare(&self.0, &other.0) == Ordering::Equal
    }
}
impl Eq for GradleVersion {}
impl PartialOrd for GradleVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for GradleVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        gradle::compare(&self.0, &other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at_least(ecosystem: Ecosystem, patch: &str, release: &str) -> Comparison {
        compare(ecosystem, patch, release, MAX_VERSION_BYTES)
    }

    #[test]
    fn every_ecosystem_orders_equal_newer_and_older() {
        use Ecosystem::*;
        let cases = [
            (Go, "v0.33.0", "v0.33.0", "v0.35.0", "v0.23.0"),
            (
                Go,
                "v0.0.0-20231010123456-abcdef123456",
                "v0.0.0-20231010123456-abcdef123456",
                "v0.1.0",
                "v0.0.0-20220101000000-abcdef123456",
            ),
            (
                Go,
                "v2.0.0+incompatible",
                "v2.0.0+incompatible",
                "v2.1.0+incompatible",
                "v1.9.0",
            ),
            (Go, "1.22.5", "1.22.5", "1.23", "1.22rc1"),
            (Npm, "^1.7.4", "1.7.4", "^1.8.0", "^1.6.0"),
            (Cargo, "1.0.100", "1.0.100", "1.0.200", "1"),
            (Python, ">=2.31.0", "==2.31.0", "~=2.32.3", ">=2.28,<3"),
            (
                Maven,
                "4.1.100.Final",
                "4.1.100.Final",
                "4.1.108.Final",
                "4.1.94.Final",
            ),
            (Maven, "[2.15.0,)", "2.15.0", "2.17.1", "[2.14,2.16)"),
            (
                Gradle,
                "4.1.100.Final",
                "4.1.100.Final",
                "4.1.108.Final",
                "4.1.94.Final",
            ),
            (RubyGems, ">= 2.2.8", "2.2.8", "~> 3.0", ">= 2.2.3, < 4"),
        ];
        for (ecosystem, patch, equal, newer, older) in cases {
            assert_eq!(
                at_least(ecosystem, patch, equal),
                Comparison::AtLeast { equal: true },
                "{patch} = {equal}"
            );
            assert_eq!(
                at_least(ecosystem, patch, newer),
                Comparison::AtLeast { equal: false },
                "{patch} < {newer}"
            );
            assert_eq!(
                at_least(ecosystem, patch, older),
                Comparison::Below,
                "{patch} > {older}"
            );
        }
    }

    /// `compare` as an ordering of requirements by floor (`None` when unordered).
    fn order(ecosystem: Ecosystem, a: &str, b: &str) -> Option<Ordering> {
        match compare(ecosystem, a, b, MAX_VERSION_BYTES) {
            Comparison::AtLeast { equal: true } => Some(Ordering::Equal),
            Comparison::AtLeast { equal: false } => Some(Ordering::Less),
            Comparison::Below => Some(Ordering::Greater),
            Comparison::Unordered { .. } => None,
        }
    }

    /// A requirement of `ecosystem`: an operator the ecosystem writes, then a version.
    fn requirement(ecosystem: Ecosystem) -> BoxedStrategy<String> {
        let (operators, version): (Vec<&'static str>, &'static str) = match ecosystem {
            Ecosystem::Npm => (
                vec!["", "^", "~", ">=", ">", "<", "="],
                "[0-2]\\.[0-2]\\.[0-2](-rc\\.[0-2])?",
            ),
            Ecosystem::Cargo => (
                vec!["", "^", "~", ">=", ">", "<", "="],
                "[0-2]\\.[0-2]\\.[0-2]",
            ),
            Ecosystem::Python => (
                vec!["==", ">=", "~=", ">", "<", "!=", ""],
                "[0-2]\\.[0-2](\\.[0-2])?(a1|rc1|\\.post1|\\.dev1)?",
            ),
            Ecosystem::RubyGems => (
                vec!["", "= ", ">= ", "~> ", "> ", "< "],
                "[0-2]\\.[0-2](\\.[0-2])?(\\.pre1)?",
            ),
            Ecosystem::Go => (
                vec!["v"],
                "[0-2]\\.[0-2]\\.[0-2](-0\\.2023010[1-3]000000-abcdefabcdef)?(\\+incompatible)?",
            ),
            Ecosystem::Maven => (
                vec!["", "[", "("],
                "[0-2]\\.[0-2](\\.[0-2])?(-rc1|\\.Final|-SNAPSHOT)?",
            ),
            Ecosystem::Gradle => (
                vec!["", "["],
                "[0-2]\\.[0-2](\\.[0-2])?(-rc1|\\.Final|-SNAPSHOT)?",
            ),
        };
        (
            prop::sample::select(operators),
            proptest::string::string_regex(version).expect("a valid pattern"),
        )
            .prop_map(move |(operator, version)| match operator {
                "[" | "(" => format!("{operator}{version},)"),
                _ => format!("{operator}{version}"),
            })
            .boxed()
    }

    fn ecosystem() -> impl Strategy<Value = Ecosystem> {
        prop::sample::select(vec![
            Ecosystem::Go,
            Ecosystem::Npm,
            Ecosystem::Cargo,
            Ecosystem::Python,
            Ecosystem::Maven,
            Ecosystem::Gradle,
            Ecosystem::RubyGems,
        ])
    }

    proptest! {
        /// Every ecosystem's requirement order (by floor) is antisymmetric and transitive.
        #[test]
        fn floors_order_consistently(
            (ecosystem, a, b, c) in ecosystem().prop_flat_map(|e| (Just(e), requirement(e), requirement(e), requirement(e)))
        ) {
            if let (Some(ab), Some(ba)) = (order(ecosystem, &a, &b), order(ecosystem, &b, &a)) {
                prop_assert_eq!(ab, ba.reverse(), "{} {} {}", ecosystem, a, b);
            }
            if let (Some(ab), Some(bc), Some(ac)) = (order(ecosystem, &a, &b), order(ecosystem, &b, &c), order(ecosystem, &a, &c))
                && ab != Ordering::Greater
                && bc != Ordering::Greater
            {
                prop_assert_ne!(ac, Ordering::Greater, "{} {} {} {}", ecosystem, a, b, c);
            }
        }
    }

    /// The property above is not vacuous: the generated requirements parse and order.
    #[test]
    fn generated_requirements_are_ordered() {
        use proptest::strategy::ValueTree;
        use proptest::test_runner::TestRunner;
        let mut runner = TestRunner::deterministic();
        for ecosystem in [
            Ecosystem::Go,
            Ecosystem::Npm,
            Ecosystem::Cargo,
            Ecosystem::Python,
            Ecosystem::Maven,
            Ecosystem::Gradle,
            Ecosystem::RubyGems,
        ] {
            let strategy = requirement(ecosystem);
            let ordered = (0..50)
                .filter(|_| {
                    let value = strategy.new_tree(&mut runner).expect("a value").current();
                    order(ecosystem, &value, &value) == Some(Ordering::Equal)
                })
                .count();
            assert!(ordered >= 45, "{ecosystem}: {ordered} of 50 ordered");
        }
    }

    #[test]
    fn unordered_and_oversized() {
        assert!(matches!(
            at_least(Ecosystem::Npm, "^1.0.0", "github:a/b"),
            Comparison::Unordered { .. }
        ));
        assert!(matches!(
            at_least(Ecosystem::Go, "v1.0.0", "../local"),
            Comparison::Unordered { .. }
        ));
        let long = format!("1.{}", "0.".repeat(200));
        assert!(
            matches!(at_least(Ecosystem::Maven, "1.0", &long), Comparison::Unordered { reason } if reason.contains("longer"))
        );
    }
}

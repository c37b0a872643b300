//! Crates and Maven artifacts pinned by a melange bump step (`rust/cargobump`,
//! `maven/pombump`, omnibump's `bump`), judged against R's own declarations: a crate against
//! R's `Cargo.lock`, an artifact against R's pom.xml (`<dependencies>` and
//! `<dependencyManagement>`, a `${property}` version resolved), a version property against
//! R's `<properties>`. The readers and orders are the patch detector's (`reader::cargo`,
//! `reader::maven`, `version`); `bump.rs` does the same for Go modules.
//!
//! Every declaration the tool would raise must be at or above the pin: cargobump raises every
//! locked copy of the crate that is older than the pin (several major versions of a crate can
//! be locked side by side), pombump every declaration of the artifact. A crate pinned with a
//! locked version (`rand@0.8.5`, raised to 0.8.6) concerns only the copies of that
//! semver-compatible series (`0.8.x`): cargo keeps one copy per series.

use super::DependencyOptions;
use super::judge::compare_candidates;
use super::model::{Declaration, Ecosystem, ManifestKind, Outcome, Requirement, Section};
use super::reader;

/// What a bump step pins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinnedKind {
    /// A crate of R's `Cargo.lock`; `locked`: the copy it raises (`name@0.8.5` in
    /// cargobump's file), `None` for every copy.
    Crate { locked: Option<String> },
    /// A Maven artifact, named `groupId:artifactId`.
    Artifact,
    /// A Maven version property (`netty.version`).
    Property,
}

/// One pinned dependency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pinned {
    pub name: String,
    pub version: String,
    pub kind: PinnedKind,
}

/// The outcome of each pin of `pins` (in order) against R's `Cargo.lock` or pom.xml (`kind`)
/// `text` at tree path `file`. A pin of the other manifest's kind is not found there.
pub fn judge(
    kind: ManifestKind,
    pins: &[Pinned],
    file: &str,
    text: &[u8],
    options: &DependencyOptions,
) -> Vec<Outcome> {
    let declared = match reader::read(kind, file, text, options) {
        Ok(list) => list,
        Err(error) => {
            let message = error.to_string();
            return pins
                .iter()
                .map(|_| Outcome::Unreadable {
                    file: file.to_string(),
                    message: message.clone(),
                })
                .collect();
        }
    };
    let mut by_name: std::collections::HashMap<&str, Vec<&Requirement>> =
        std::collections::HashMap::new();
    for requirement in &declared {
        by_name
            .entry(requirement.name.as_str())
            .or_default()
            .push(requirement);
    }
    pins.iter()
        .map(|pin| {
            let named = by_name
                .get(pin.name.as_str())
                .map_or(&[][..], Vec::as_slice);
            let candidates: Vec<&Requirement> = named
                .iter()
                .copied()
                .filter(|r| candidate(pin, r, kind))
                .collect();
            if candidates.is_empty() {
                return Outcome::NotFound {
                    patch: pin.version.clone(),
                    file: file.to_string(),
                };
            }
            let ecosystem = match kind {
                ManifestKind::CargoLock => Ecosystem::Cargo,
                _ => Ecosystem::Maven,
            };
            // cargo pins one version (`cargo update --precise`): a range is no pin.
            if ecosystem == Ecosystem::Cargo
                && pin.version.len() <= options.max_version_bytes
                && semver::Version::parse(pin.version.trim()).is_err()
            {
                return Outcome::Unordered {
                    patch: pin.version.clone(),
                    release: Declaration {
                        version: candidates[0].version.clone(),
                        file: candidates[0].file.clone(),
                        line: candidates[0].line,
                    },
                    reason: format!("the pin `{}` is not a crate version", pin.version),
                };
            }
            compare_candidates(ecosystem, &pin.version, &candidates, options)
        })
        .collect()
}

/// Whether R's `requirement` (of the pin's name) is one the tool would raise.
fn candidate(pin: &Pinned, requirement: &Requirement, kind: ManifestKind) -> bool {
    match (&pin.kind, kind) {
        (PinnedKind::Crate { locked }, ManifestKind::CargoLock) => {
            requirement.section == Section::Lock
                && locked
                    .as_deref()
                    .is_none_or(|locked| same_series(locked, &requirement.version))
        }
        (PinnedKind::Artifact, ManifestKind::Pom) => matches!(
            requirement.section,
            Section::Dependencies | Section::Management
        ),
        (PinnedKind::Property, ManifestKind::Pom) => requirement.section == Section::Property,
        _ => false,
    }
}

/// Whether two crate versions are of one semver-compatible series (cargo's rule: same major,
/// or for `0.x` the same minor, for `0.0.x` the same patch). Versions that do not parse are
/// taken as one series: every copy is compared, the stricter choice.
fn same_series(a: &str, b: &str) -> bool {
    let (Ok(a), Ok(b)) = (
        semver::Version::parse(a.trim()),
        semver::Version::parse(b.trim()),
    ) else {
        return true;
    };
    a.major == b.major && (a.major > 0 || a.minor == b.minor && (a.minor > 0 || a.patch == b.patch))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = "version = 3\n\n[[package]]\nname = \"rand\"\nversion = \"0.8.6\"\n\n[[package]]\nname = \"rand\"\nversion = \"0.9.2\"\n\n[[package]]\nname = \"tokio\"\nversion = \"1.43.1\"\n\n[[package]]\nname = \"time\"\nversion = \"0.3.47\"\n";

    const POM: &str = r#"<project>
  <properties>
    <netty.version>4.1.118.Final</netty.version>
    <cxf.version>4.0.5</cxf.version>
  </properties>
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>io.netty</groupId>
        <artifactId>netty-handler</artifactId>
        <version>${netty.version}</version>
      </dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
    <dependency>
      <groupId>commons-beanutils</groupId>
      <artifactId>commons-beanutils</artifactId>
      <version>1.9.4</version>
    </dependency>
    <dependency>
      <groupId>io.netty</groupId>
      <artifactId>netty-handler</artifactId>
      <version>4.1.119.Final</version>
    </dependency>
  </dependencies>
</project>
"#;

    fn crate_pin(name: &str, version: &str, locked: Option<&str>) -> Pinned {
        Pinned {
            name: name.into(),
            version: version.into(),
            kind: PinnedKind::Crate {
                locked: locked.map(str::to_string),
            },
        }
    }

    fn judged(pins: &[Pinned], text: &str) -> Vec<Outcome> {
        let (kind, file) = if text.starts_with('<') {
            (ManifestKind::Pom, "pom.xml")
        } else {
            (ManifestKind::CargoLock, "Cargo.lock")
        };
        judge(
            kind,
            pins,
            file,
            text.as_bytes(),
            &DependencyOptions::default(),
        )
    }

    #[test]
    fn every_locked_copy_of_a_crate_must_be_at_or_above_the_pin() {
        let outcomes = judged(
            &[
                crate_pin("tokio", "1.43.1", None),
                crate_pin("tokio", "1.38.2", None),
                crate_pin("time", "0.3.48", None),
                crate_pin("rand", "0.8.6", None),
                crate_pin("bytes", "1.11.1", None),
            ],
            LOCK,
        );
        let at = |version: &str, line| Declaration {
            version: version.into(),
            file: "Cargo.lock".into(),
            line,
        };
        assert_eq!(
            outcomes[0],
            Outcome::Superseded {
                patch: "1.43.1".into(),
                release: at("1.43.1", 13),
                equal: true
            }
        );
        assert!(matches!(
            &outcomes[1],
            Outcome::Superseded { equal: false, .. }
        ));
        assert_eq!(
            outcomes[2],
            Outcome::Older {
                patch: "0.3.48".into(),
                release: at("0.3.47", 17)
            }
        );
        // Both locked copies of rand, 0.8.6 and 0.9.2, are at or above 0.8.6.
        assert!(outcomes[3].is_superseded(), "{:?}", outcomes[3]);
        assert!(matches!(outcomes[4], Outcome::NotFound { .. }));
        // A range is no pin: cargo pins one version.
        for range in ["*", ">=0.1", "^1", "1.x"] {
            let outcome = &judged(&[crate_pin("tokio", range, None)], LOCK)[0];
            assert!(
                matches!(outcome, Outcome::Unordered { .. }),
                "{range}: {outcome:?}"
            );
        }
        // A pin above one copy but below another is not superseded.
        let outcome = &judged(&[crate_pin("rand", "0.9.0", None)], LOCK)[0];
        assert_eq!(
            *outcome,
            Outcome::Older {
                patch: "0.9.0".into(),
                release: at("0.8.6", 5)
            }
        );
    }

    #[test]
    fn a_crate_pinned_at_a_locked_version_concerns_its_series_only() {
        let outcomes = judged(
            &[
                crate_pin("rand", "0.9.3", Some("0.9.2")),
                crate_pin("rand", "0.8.6", Some("0.8.5")),
                crate_pin("rand", "0.7.4", Some("0.7.3")),
            ],
            LOCK,
        );
        assert!(matches!(outcomes[0], Outcome::Older { .. }), "{outcomes:?}");
        assert!(outcomes[1].is_superseded(), "{outcomes:?}");
        // R locks no rand 0.7: nothing to say.
        assert!(matches!(outcomes[2], Outcome::NotFound { .. }));
        assert!(same_series("1.2.3", "1.9.0"));
        assert!(!same_series("0.8.5", "0.9.2"));
        assert!(!same_series("0.0.3", "0.0.4"));
        assert!(same_series("not-semver", "1.0.0"));
    }

    #[test]
    fn every_declaration_of_an_artifact_counts_and_properties_are_their_own() {
        let artifact = |name: &str, version: &str| Pinned {
            name: name.into(),
            version: version.into(),
            kind: PinnedKind::Artifact,
        };
        let property = |name: &str, version: &str| Pinned {
            name: name.into(),
            version: version.into(),
            kind: PinnedKind::Property,
        };
        let outcomes = judged(
            &[
                artifact("io.netty:netty-handler", "4.1.118.Final"),
                artifact("io.netty:netty-handler", "4.1.119.Final"),
                artifact("commons-beanutils:commons-beanutils", "1.11.0"),
                property("netty.version", "4.1.118.Final"),
                property("cxf.version", "4.0.6"),
                property("jetty.version", "12.0.1"),
                artifact("org.json:json", "20231013"),
            ],
            POM,
        );
        // Declared directly (line 24) and managed through `${netty.version}` (line 3).
        match &outcomes[0] {
            Outcome::Superseded { release, equal, .. } => {
                assert_eq!((release.line, *equal), (24, false));
            }
            other => panic!("{other:?}"),
        }
        // 4.1.119.Final is declared directly, but the managed version is older.
        assert!(
            matches!(&outcomes[1], Outcome::Older { release, .. } if release.line == 3),
            "{:?}",
            outcomes[1]
        );
        assert!(matches!(outcomes[2], Outcome::Older { .. }));
        assert!(outcomes[3].is_superseded());
        assert!(matches!(outcomes[4], Outcome::Older { .. }));
        assert!(matches!(outcomes[5], Outcome::NotFound { .. }));
        assert!(matches!(outcomes[6], Outcome::NotFound { .. }));
    }

    #[test]
    fn an_unreadable_manifest_judges_nothing() {
        let outcomes = judged(&[crate_pin("tokio", "1.0.0", None)], "[[package]\n");
        assert!(matches!(outcomes[0], Outcome::Unreadable { .. }));
        let outcomes = judge(
            ManifestKind::Pom,
            &[Pinned {
                name: "a:b".into(),
                version: "1".into(),
                kind: PinnedKind::Artifact,
            }],
            "pom.xml",
            b"<!DOCTYPE x [<!ENTITY a \"b\">]><project/>",
            &DependencyOptions::default(),
        );
        assert!(matches!(outcomes[0], Outcome::Unreadable { .. }));
    }
}

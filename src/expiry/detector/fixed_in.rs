//! The `fixed-in` detector: does R satisfy the manifest's `fixed-in` requirement?
//!
//! The cheapest detector and the maintainer's own word: `fixed-in: ">=1.3.1"` says the patch
//! expires in any matching release. Versions are ordered by the package's scheme
//! (`upstream.scheme`, DESIGN.md §2) through `upstream::requirement`.
//!
//! Without a manifest `fixed-in`, a DEP-3 `Applied-Upstream:` naming a version is read as
//! `>=version` (the manifest wins where both speak; `import` writes the same requirement).
//! That is the maintainer's word that this release has the change, as strong as `fixed-in`.
//! A single number (`Applied-Upstream: 609`) counts only for a package whose release is a
//! single number too (less, `668`): elsewhere it may be a pull request or a bug. Without
//! either, a version listed in `Origin: upstream, 1.17.2, commit:…` (or `Origin: backport, …`)
//! is read the same way: the header names the upstream release the patch comes from.

use crate::expiry::detector::{Context, evidence};
use crate::expiry::{Detector, Evidence, EvidenceResult};
use crate::patch::Patch;
use crate::patch::metadata::{fixed_in_version, read_metadata};
use crate::upstream::requirement::Requirement;
use crate::upstream::version::Scheme;
use crate::workspace::PatchEntry;

const NAME: Detector = Detector::FixedIn;

/// Run the detector on one patch.
pub fn detect(context: &Context<'_>, entry: &PatchEntry, patches: &[Patch]) -> Evidence {
    let (requirement, from) = match &entry.fixed_in {
        Some(requirement) => (requirement.clone(), String::new()),
        None => match applied_upstream(patches, context.release) {
            Some((version, value)) => (format!(">={version}"), format!(" (from `{value}`)")),
            None => {
                return evidence(
                    NAME,
                    EvidenceResult::NotApplicable,
                    "no `fixed-in` declared",
                );
            }
        },
    };
    let requirement = requirement.as_str();
    let scheme = Scheme::parse(context.package.manifest.upstream.scheme.as_deref());
    match matches(requirement, scheme, context.release) {
        Ok(true) => evidence(
            NAME,
            EvidenceResult::Proves,
            format!("{} satisfies `{requirement}`{from}", context.release),
        ),
        Ok(false) => evidence(
            NAME,
            EvidenceResult::Refutes,
            format!("{} does not satisfy `{requirement}`{from}", context.release),
        ),
        Err(message) => evidence(
            NAME,
            EvidenceResult::Error,
            format!("cannot read `fixed-in: {requirement}`: {message}"),
        ),
    }
}

/// The version a patch's `Applied-Upstream:` names, or else one its `Origin: upstream, …` or
/// `Origin: backport, …` lists beside the URL or commit (`Origin: upstream, 1.17.2,
/// commit:90e85c24`), with the header field as written.
fn applied_upstream(patches: &[Patch], release: &str) -> Option<(String, String)> {
    let metadata: Vec<_> = patches.iter().map(|p| read_metadata(&p.header)).collect();
    let from_applied = metadata.iter().find_map(|metadata| {
        let value = metadata.applied_upstream.as_ref()?;
        let version = fixed_in_version(value).or_else(|| {
            let number = value.trim().trim_start_matches(['v', 'V']);
            let plain = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
            (plain(number) && plain(release)).then(|| number.to_string())
        })?;
        Some((version, format!("Applied-Upstream: {value}")))
    });
    from_applied.or_else(|| {
        metadata.iter().find_map(|metadata| {
            let value = metadata.origin.as_ref()?;
            let mut parts = value.split(',').map(str::trim);
            let kind = parts.next()?.to_ascii_lowercase();
            if kind != "upstream" && kind != "backport" {
                return None;
            }
            // Only the listed items after the kind: a version inside a URL does not count.
            let rest: Vec<&str> = parts.collect();
            let version = fixed_in_version(&rest.join(","))?;
            Some((version, format!("Origin: {value}")))
        })
    })
}

/// Whether `version` satisfies `requirement` under `scheme`.
fn matches(requirement: &str, scheme: Scheme, version: &str) -> Result<bool, String> {
    Requirement::parse(requirement)
        .map(|parsed| parsed.matches(scheme, version))
        .map_err(|error| error.problem.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ranges_and_wildcards() {
        let m = |r: &str, v: &str| matches(r, Scheme::Default, v).unwrap();
        assert!(m(">=1.3.1", "1.3.1"));
        assert!(m(">=1.3.1", "1.10"));
        assert!(!m(">=1.3.1", "1.3"));
        assert!(m(">=2.0, <3", "2.5"));
        assert!(!m(">=2.0, <3", "3.0"));
        assert!(m("1.2.x", "1.2.7"));
        assert!(!m("1.2.x", "1.3"));
        assert!(matches("", Scheme::Default, "1").is_err());
    }

    fn header(text: &str) -> Vec<Patch> {
        let input = format!("{text}\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n");
        crate::patch::parse_patches(input.as_bytes()).unwrap()
    }

    #[test]
    fn reads_applied_upstream_versions() {
        let found = |text: &str, release: &str| {
            applied_upstream(&header(text), release).map(|(version, _)| version)
        };
        assert_eq!(
            found("Applied-Upstream: 1.2.13", "1.3"),
            Some("1.2.13".into())
        );
        assert_eq!(
            found("Applied-Upstream: 2.4, commit:0123abcd", "2.5"),
            Some("2.4".into())
        );
        assert_eq!(found("Applied-Upstream: 609", "668"), Some("609".into()));
        assert_eq!(found("Applied-Upstream: 609", "1.2"), None);
        assert_eq!(
            found("Applied-Upstream: https://example.org/c/1", "1.2"),
            None
        );
        assert_eq!(found("Origin: upstream", "1.2"), None);
        assert_eq!(
            found(
                "Origin: upstream, 1.17.2, commit:90e85c2493fdfa3551f202ff10282463f1e36645",
                "1.18.4"
            ),
            Some("1.17.2".into())
        );
        assert_eq!(found("Origin: backport, v2.4", "2.5"), Some("2.4".into()));
        assert_eq!(
            found("Origin: vendor, 1.2.3", "1.3"),
            None,
            "only upstream's own release counts"
        );
        assert_eq!(
            found(
                "Origin: upstream, https://example.org/v1.2.3/fix.patch",
                "1.3"
            ),
            None
        );
        assert_eq!(
            found("Applied-Upstream: 2.0\nOrigin: upstream, 1.5", "2.1"),
            Some("2.0".into())
        );
    }
}

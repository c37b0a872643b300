//! The `fixed-in` detector: does R satisfy the manifest's `fixed-in` requirement?
//!
//! The cheapest detector and the maintainer's own word: `fixed-in: ">=1.3.1"` says the patch
//! expires in any matching release. Versions are ordered by the package's scheme
//! (`upstream.scheme`, DESIGN.md §2) through `upstream::requirement`.

use crate::expiry::detector::{Context, evidence};
use crate::expiry::{Evidence, EvidenceResult};
use crate::upstream::requirement::Requirement;
use crate::upstream::version::Scheme;
use crate::workspace::PatchEntry;

const NAME: &str = "fixed-in";

/// Run the detector on one patch.
pub fn detect(context: &Context<'_>, entry: &PatchEntry) -> Evidence {
    let Some(requirement) = &entry.fixed_in else {
        return evidence(
            NAME,
            EvidenceResult::NotApplicable,
            "no `fixed-in` declared",
        );
    };
    let scheme = Scheme::parse(context.package.manifest.upstream.scheme.as_deref());
    match matches(requirement, scheme, context.release) {
        Ok(true) => evidence(
            NAME,
            EvidenceResult::Proves,
            format!("{} satisfies `{requirement}`", context.release),
        ),
        Ok(false) => evidence(
            NAME,
            EvidenceResult::Refutes,
            format!("{} does not satisfy `{requirement}`", context.release),
        ),
        Err(message) => evidence(
            NAME,
            EvidenceResult::Error,
            format!("cannot read `fixed-in: {requirement}`: {message}"),
        ),
    }
}

/// Whether `version` satisfies `requirement` under `scheme`.
fn matches(requirement: &str, scheme: Scheme, version: &str) -> Result<bool, String> {
    Requirement::parse(requirement)
        .map(|parsed| parsed.matches(scheme, version))
        .map_err(|error| error.message)
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
}

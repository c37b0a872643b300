//! Dependency requirements: the core of the `dependency-superseded` detector (DESIGN §3).
//!
//! Many downstream patches bump a dependency for a CVE (`go.mod`, `pom.xml`, `package.json`,
//! `Cargo.toml`, `requirements.txt`, `Gemfile.lock`, `build.gradle`, a melange `go/bump`
//! step). Upstream never takes such a patch as written: it moves to the same or a newer
//! version in its own commit. This module proves that: it reads what each manifest declares
//! (`reader`), orders versions as each ecosystem does (`version`), tells which dependencies a
//! patch raises and to what (`patch`), reads a `go/bump` step the same way (`bump`) and the
//! crates and Maven artifacts other bump steps pin (`pinned`), and
//! compares them with what release R declares (`judge`). The expiry detector that runs it is
//! `expiry::detector::dependency_superseded`. The design, and what proves expiry and what
//! never does: `docs/dependencies.md`.
//!
//! Flow: `Patch` → [`patch::analyze`] → [`patch::DependencyPatch`] →
//! [`judge::judge`] (reading R's manifests through a plain `Fn(&str) -> Option<Vec<u8>>`) →
//! [`judge::Judgement`].

pub mod bump;
pub mod judge;
pub mod model;
pub mod patch;
pub mod pinned;
pub mod reader;
pub mod version;

pub use model::{Declaration, Ecosystem, ManifestKind, Outcome, Requirement, Section};
pub use reader::ManifestError;

/// Bounds on what the readers accept. Every manifest read here is untrusted (a patch, an
/// upstream tree).
#[derive(Debug, Clone)]
pub struct DependencyOptions {
    /// Largest manifest read, in bytes (default [`MAX_MANIFEST_BYTES`]).
    pub max_manifest_bytes: usize,
    /// Deepest JSON/TOML bracket nesting accepted (default [`MAX_NESTING`]).
    pub max_nesting: usize,
    /// Most XML nodes in a pom.xml (default [`MAX_XML_NODES`]).
    pub max_xml_nodes: u32,
    /// Longest version string ordered (default [`version::MAX_VERSION_BYTES`]).
    pub max_version_bytes: usize,
}

/// Default bound on a manifest's size: 64 MiB. The largest real manifests are lock files: a
/// big monorepo's package-lock.json is 10–30 MiB; pom.xml and go.mod stay under 1 MiB.
pub const MAX_MANIFEST_BYTES: usize = 64 << 20;

/// Default bound on JSON/TOML nesting: real manifests nest under 10 levels (a package-lock v1
/// nests `dependencies` a few levels per package depth); 256 keeps recursive parsers far from
/// the stack's end on a hostile file.
pub const MAX_NESTING: usize = 256;

/// Default bound on a pom.xml's XML nodes (elements, text, comments): a large real pom (Spring
/// Boot's dependencies BOM, ~3 000 lines) has about 20 000; two million is ~100× that, and
/// bounds roxmltree's memory at roughly 100 MiB.
pub const MAX_XML_NODES: u32 = 2_000_000;

impl Default for DependencyOptions {
    fn default() -> Self {
        DependencyOptions {
            max_manifest_bytes: MAX_MANIFEST_BYTES,
            max_nesting: MAX_NESTING,
            max_xml_nodes: MAX_XML_NODES,
            max_version_bytes: version::MAX_VERSION_BYTES,
        }
    }
}

//! mindelta: keep the delta between a distribution and its upstreams small.
//!
//! The library owns the domain: the patch model, parser, writer, applier and patch id
//! (`patch`, the `mindelta-patch` crate in `crates/patch/`), the workspace of manifests (`workspace`), upstream sources and the cache
//! (`upstream`), and the pre-build step that ties them together (`prepare`). It returns data
//! and typed errors; it never prints and never exits (the binary in `src/main.rs` does that).
#![forbid(unsafe_code)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod audit;
pub mod dependency;
pub mod expiry;
pub mod git;
pub mod interop;
pub mod layout;
pub mod native;
pub use mindelta_patch as patch;
pub mod pin;
pub mod prepare;
pub mod refresh;
pub mod sbom;
pub mod upgrade;
pub mod upstream;
pub mod workspace;

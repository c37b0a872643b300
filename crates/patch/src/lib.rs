//! mindelta's patches, re-exported by the library as `mindelta::patch`: the model (`model`), the
//! parser (`parse`), the writer (`write`), the applier (`apply`, `binary`) and git's stable patch
//! id (`patch_id`); the rules every path and payload obeys (`path`, `dotgit`, `budget`); the
//! three-way merge of a patched file onto a new release (`merge`).
//!
//! Flow: bytes → `parse::parse_patches` → `Vec<Patch>` → `apply::WorkTree::apply` (or
//! `patch_id::stable_patch_id`, or `write::write_patch` to get the bytes back).
//!
//! A crate of its own so that it builds, is fuzzed (`fuzz/`) and benchmarked (`benches/`)
//! without the network stack. It never prints and never exits.
#![forbid(unsafe_code)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod apply;
pub mod binary;
pub mod budget;
pub mod content;
pub mod diff;
pub mod dotgit;
pub mod merge;
pub mod metadata;
pub mod model;
pub mod parse;
pub mod patch_id;
pub mod path;
pub mod rewrite;
pub mod write;

pub use model::{BinaryHunk, BinaryKind, BinaryPatch, FilePatch, Hunk, Line, LineKind, Patch};
pub use parse::{ParseError, parse_patches};

//! The integration tests, one binary: every module below builds real repositories, archives
//! and servers through `support/` and drives the library or the `mindelta` binary.

#[path = "../support/mod.rs"]
mod support;

mod apply_differential;
mod apply_safety;
mod archive_safety;
mod audit;
mod audit_gate;
mod check;
mod ci_examples;
mod cli_options;
mod cli_prepare;
mod dependencies;
mod expire;
mod git_http;
mod hostile;
mod init;
mod interop;
mod merge_differential;
mod native_debian;
mod native_melange;
mod parse_roundtrip;
mod patch_id;
mod pin;
mod pins_cargo_maven;
mod pins_expire;
mod policies;
mod policy_choice;
mod readme;
mod refresh;
mod refresh_moved;
mod releases_moved;
mod report_html;
mod upgrade;
mod upstream;
mod versions;
mod wolfi_reading;

//! The `mindelta` binary: parse the command line, run one command, map errors to exit codes.
//!
//! Everything that prints lives here and in `cli/`; the library only returns data and errors.

#![forbid(unsafe_code)]

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::run()
}

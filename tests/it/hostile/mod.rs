//! The hostile-input suite: each test builds one hostile or broken input (a patch, an archive, a
//! server, a cache, a manifest, a policy, text for a report, a kill) and asserts that mindelta
//! refuses it, bounds it or recovers from it: the exit code, the message, and that nothing
//! outside the tree changed. A new attack goes beside its kind.

mod answers;
mod archives;
mod bump_files;
mod config;
mod dependencies;
mod gate;
mod go_pins;
mod merge;
mod moved;
mod native;
mod patches;
mod pins;
mod policies;
mod report;
mod upgrade;
mod workspace;

//! Telling the user about edits a killed command left, and the test hook that kills one.
//!
//! `Workspace::recover` finishes or rolls back each interrupted edit; this module says which
//! on stderr, for every command that opens the workspace. `MINDELTA_TEST_ABORT_AFTER_STEP=N`
//! aborts the process right after the N-th durable step of a commit or a `prepare` (as a kill
//! would: no destructor runs), so the tests can interrupt an edit at every step.

use mindelta::workspace::RecoveryReport;
use mindelta::workspace::journal::{RecoveryOutcome, set_step_hook};

use super::error::warn;
use super::{CliError, Context, ErrorKind};

/// The environment variable of the abort hook (tests only).
const ABORT_AFTER_STEP: &str = "MINDELTA_TEST_ABORT_AFTER_STEP";

/// Print what the recovery did, and what it could not do.
pub fn report(context: &Context, report: &RecoveryReport) {
    for recovery in &report.recovered {
        let files = match recovery.files {
            1 => "its file".to_string(),
            count => format!("its {count} files"),
        };
        let what = match recovery.outcome {
            RecoveryOutcome::RolledBack => {
                format!("was rolled back: {files} are as they were before it")
            }
            RecoveryOutcome::Finished => format!("was finished: {files} hold its result"),
        };
        warn(
            context.quiet,
            &format!(
                "`{}`: an interrupted `{}` {what}",
                recovery.package, recovery.command
            ),
        );
    }
    for failure in &report.failed {
        CliError::from_error(ErrorKind::Error, failure)
            .hint("each file's old content is in a `.<name>.mindelta-backup-*` file beside it; fix the cause and run mindelta again, or restore the files by hand and delete the journal")
            .print();
    }
}

/// Abort after step N when `MINDELTA_TEST_ABORT_AFTER_STEP=N` is set.
pub fn install_abort_hook() {
    let Some(target) = std::env::var(ABORT_AFTER_STEP)
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
    else {
        return;
    };
    set_step_hook(Box::new(move |step| {
        if step == target {
            std::process::abort();
        }
    }));
}

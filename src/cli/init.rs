//! `mindelta init [DIR]`: make an empty workspace in DIR (default: `--workspace`, else the
//! current folder) — `patches/`, the built-in policy packs in `policies/`, `/.mindelta/` in
//! `.gitignore` (`workspace::init`) — and say what was made and what to do next.

use std::path::PathBuf;
use std::process::ExitCode;

use super::error::warn;
use super::{CliError, Context, ErrorKind, Format, output};
use mindelta::workspace::init::{InitError, InitOutcome, init};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The folder to make a workspace of (created when missing; default: `--workspace`, else
    /// the current folder)
    dir: Option<PathBuf>,
    #[command(flatten)]
    pub workspace: super::options::WorkspaceArg,
    #[command(flatten)]
    pub format: super::options::FormatArgs,
}

pub fn run(context: &Context, args: Args) -> Result<ExitCode, CliError> {
    let root = args
        .dir
        .or_else(|| context.workspace.clone())
        .unwrap_or_else(|| PathBuf::from("."));
    let outcome = init(&root).map_err(|error| from_init(&error))?;
    match context.format {
        Format::Json => output::json(&outcome)?,
        Format::Human => render(context, &outcome),
    }
    Ok(ExitCode::SUCCESS)
}

fn render(context: &Context, outcome: &InitOutcome) {
    for kept in &outcome.kept {
        warn(
            context.quiet,
            &format!("kept `{kept}`: it differs from the built-in pack (yours wins)"),
        );
    }
    if context.quiet {
        return;
    }
    let root = outcome.root.display();
    if outcome.is_unchanged() {
        status!("{root} is already a workspace: nothing to do");
        return;
    }
    status!("initialised a workspace in {root}");
    for created in outcome.created.iter().filter(|c| *c != "./") {
        status!("  created   {created}");
    }
    for appended in &outcome.appended {
        status!("  appended  `/.mindelta/` to {appended}");
    }
    status!(
        "next: bring a series in with `mindelta import quilt DIR --name PKG --version V --upstream-tarball URL`, then `mindelta audit`"
    );
}

fn from_init(error: &InitError) -> CliError {
    let cli = CliError::from_error(ErrorKind::Error, error);
    match error {
        InitError::AlreadyWorkspace { .. } => cli.hint(
            "nothing was written; `mindelta init` makes new workspaces (copy the packs from a new one, or give another folder)",
        ),
        InitError::Link { .. } | InitError::WrongKind { .. } => {
            cli.hint("nothing was written; move it out of the way, or give another folder")
        }
        InitError::Io { .. } => {
            cli.hint("fix the cause and run `mindelta init` again: it finishes what is missing")
        }
    }
}

//! `mindelta drop PKG PATCH --reason TEXT`: remove a patch by hand, recorded in the manifest's
//! `expired:` trail with the reason `dropped` and the text (one journaled edit).

use std::process::ExitCode;

use super::{CliError, Context};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The package
    package: String,
    /// The patch file, as the manifest names it
    patch: String,
    /// Why it goes (recorded as the evidence of the `expired:` entry)
    #[arg(long, value_name = "TEXT")]
    reason: String,
}

pub fn run(context: &Context, args: Args) -> Result<ExitCode, CliError> {
    let workspace = context.workspace()?;
    let package = workspace
        .load(&args.package)
        .map_err(|e| CliError::from(&e))?;
    let changes = mindelta::upgrade::drop_patch(
        &workspace,
        &package,
        &args.patch,
        &args.reason,
        &context.today()?,
    )
    .map_err(|e| CliError::from(&e).hint("nothing was changed"))?;
    changes.commit().map_err(|e| CliError::from(&e))?;
    if !context.quiet {
        status!("dropped `{}` from `{}`", args.patch, args.package);
    }
    Ok(ExitCode::SUCCESS)
}

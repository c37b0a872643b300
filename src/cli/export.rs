//! `mindelta export quilt PKG --out DIR`: a package's patches as a quilt series with DEP-3
//! headers built from the manifest (`interop::export`).

use std::path::PathBuf;
use std::process::ExitCode;

use super::error::warn;
use super::{CliError, Context, Format, output};
use mindelta::interop::export_quilt;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    format: Target,
}

impl Args {
    /// `--workspace` and `--format`, taken after the kind (`export quilt … --format json`).
    pub fn shared(&self) -> (&super::options::WorkspaceArg, &super::options::FormatArgs) {
        let Target::Quilt(args) = &self.format;
        (&args.workspace, &args.output)
    }
}

#[derive(Debug, clap::Subcommand)]
enum Target {
    /// A quilt series: `series` plus the patches, with DEP-3 headers
    Quilt(QuiltArgs),
}

#[derive(Debug, clap::Args)]
struct QuiltArgs {
    /// The package to export
    package: String,
    /// The folder to write (`series` and the patches, subfolders kept)
    #[arg(long, short = 'o', value_name = "DIR")]
    out: PathBuf,
    /// Replace DIR when it exists and is not empty
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    workspace: super::options::WorkspaceArg,
    #[command(flatten)]
    output: super::options::FormatArgs,
}

pub fn run(context: &Context, args: Args) -> Result<ExitCode, CliError> {
    let Target::Quilt(args) = args.format;
    let workspace = context.workspace()?;
    let package = workspace
        .load(&args.package)
        .map_err(|e| CliError::from(&e))?;
    let exported = export_quilt(&package, &args.out, args.force).map_err(|e| CliError::from(&e))?;
    for patch in &exported.patches {
        for lost in &patch.lost {
            warn(
                context.quiet,
                &format!("{}: the header cannot carry {lost}", patch.file),
            );
        }
    }
    match context.format {
        Format::Json => output::json(&exported)?,
        Format::Human if !context.quiet => status!(
            "exported {} to {}: {} patch{}",
            exported.name,
            exported.out.display(),
            exported.patches.len(),
            if exported.patches.len() == 1 {
                ""
            } else {
                "es"
            }
        ),
        Format::Human => {}
    }
    Ok(ExitCode::SUCCESS)
}

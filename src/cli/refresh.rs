//! `mindelta refresh PKG [--release V] [--fuzz N] [--dry-run] [--allow-conflicts]`: rebase a
//! package's patches onto a release (default: the pinned version) without churn.
//!
//! The library plans (`refresh::plan_refresh`, nothing written); this module commits
//! the plan as one all-or-nothing change set, or prints its diff with `--dry-run`. A conflict
//! exits 3 (the conflicting patches are left untouched).

use std::process::ExitCode;

use super::progress::Bars;
use super::{CliError, Context, ErrorKind, Format, output};
use mindelta::refresh::{RefreshOptions, RefreshOutcome, RefreshPlan, plan_refresh};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The package to refresh
    package: String,
    /// The release to rebase onto (default: the pinned `upstream.version`)
    #[arg(long, value_name = "V")]
    release: Option<String>,
    /// Context lines a hunk may ignore to be placed (its context is then taken from the release)
    #[arg(long, value_name = "N", default_value_t = 0)]
    fuzz: usize,
    /// Print the diff of every file that would change; change nothing
    #[arg(long)]
    dry_run: bool,
    /// Move the version even when some patch conflicts (conflicting patches stay untouched)
    #[arg(long)]
    allow_conflicts: bool,
    #[command(flatten)]
    pub workspace: super::options::WorkspaceArg,
    #[command(flatten)]
    pub format: super::options::FormatArgs,
    #[command(flatten)]
    pub network: super::options::NetworkArgs,
}

#[derive(serde::Serialize)]
struct Report<'a> {
    packages: [&'a RefreshPlan; 1],
    dry_run: bool,
}

pub fn run(context: &Context, args: Args) -> Result<ExitCode, CliError> {
    let workspace = context.workspace()?;
    let package = workspace
        .load(&args.package)
        .map_err(|e| CliError::from(&e))?;
    let release = args
        .release
        .clone()
        .unwrap_or_else(|| package.manifest.upstream.version.clone());
    let fetcher = context.fetcher(&Bars::new(context));
    let options = RefreshOptions {
        fuzz: args.fuzz,
        allow_conflicts: args.allow_conflicts,
    };
    let mut plan = plan_refresh(&package, &release, &fetcher, &options)
        .map_err(|e| CliError::from(&e).hint("nothing was changed"))?;
    if plan.version_moved {
        // The commit (or melange's sha512) the new release is pinned by.
        mindelta::native::edit::complete_pins(&package, &release, &mut plan.changes, &fetcher)
            .map_err(|e| CliError::from(&e).hint("nothing was changed"))?;
    }
    if args.dry_run {
        if context.format == Format::Human {
            output::stdout(&plan.changes.diff(&workspace.root))?;
        }
    } else {
        plan.changes
            .clone()
            .commit()
            .map_err(|e| CliError::from(&e))?;
    }
    match context.format {
        Format::Json => output::json(&Report {
            packages: [&plan],
            dry_run: args.dry_run,
        })?,
        Format::Human if args.dry_run => {}
        Format::Human => output::stdout(&render(&plan))?,
    }
    let conflicts = plan
        .patches
        .iter()
        .filter(|p| p.outcome == RefreshOutcome::Conflict)
        .count();
    if conflicts > 0 {
        let message = if plan.blocked {
            format!(
                "`{}` stays at {}: {conflicts} patch(es) conflict with {}",
                plan.name, plan.version, plan.release
            )
        } else {
            format!("{conflicts} patch(es) conflict and were left untouched")
        };
        return Err(CliError::new(ErrorKind::Conflict, message)
            .hint("rebase the conflicting patches by hand, or try `--fuzz 1` to take their context from the release"));
    }
    Ok(ExitCode::SUCCESS)
}

/// A heading, then `outcome  file  detail` per patch.
fn render(plan: &RefreshPlan) -> String {
    let mut text = if plan.version_moved {
        format!("{} {} -> {}\n", plan.name, plan.version, plan.release)
    } else {
        format!("{} {}\n", plan.name, plan.release)
    };
    for patch in &plan.patches {
        text.push_str(&format!("  {:<9}  {}", patch.outcome.as_str(), patch.file));
        if let Some(detail) = &patch.detail {
            text.push_str(&format!("  ({detail})"));
        }
        if patch.outcome == RefreshOutcome::Expired {
            text.push_str("  run `mindelta expire` to drop it");
        }
        text.push('\n');
    }
    text
}

//! `mindelta pin PKG… [--dry-run]`: download (or find in the cache) each package's pinned
//! release and write its integrity pin — a tarball's `sha256`, the commit a git tag resolves
//! to, melange's `expected-sha256`/`expected-commit` (`mindelta::pin`) — through the journaled
//! edit. Every package is tried; each failure is reported and the exit code is the most severe.

use std::process::ExitCode;

use super::error::{report_failures, warn};
use super::progress::Bars;
use super::{CliError, Context, ErrorKind, Format, output};
use mindelta::pin::{PinPlan, plan_pin};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Packages to pin
    #[arg(required = true)]
    packages: Vec<String>,
    /// Print the diff of every file that would change; change nothing
    #[arg(long)]
    dry_run: bool,
    /// Replace a pin the download does not match (a version moved by hand, a tarball
    /// re-released on purpose); without it such a package is refused (exit 6)
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    pub workspace: super::options::WorkspaceArg,
    #[command(flatten)]
    pub format: super::options::FormatArgs,
    #[command(flatten)]
    pub network: super::options::NetworkArgs,
}

#[derive(serde::Serialize)]
struct Report<'a> {
    packages: Vec<&'a PinPlan>,
    dry_run: bool,
}

pub fn run(context: &Context, args: Args) -> Result<ExitCode, CliError> {
    let workspace = context.workspace()?;
    let bars = Bars::new(context);
    let fetcher = context.fetcher(&bars);
    let mut plans = Vec::new();
    let mut failures = Vec::new();
    for name in &args.packages {
        let planned = workspace
            .load(name)
            .map_err(|e| CliError::from(&e))
            .and_then(|package| {
                plan_pin(&package, &fetcher)
                    .map_err(|e| CliError::from(&e).hint("nothing was changed"))
            });
        match planned {
            Ok(plan) => plans.push(plan),
            Err(error) => failures.push(error),
        }
    }
    // A pin the download does not match is an integrity failure unless the user says the
    // change is theirs: `pin` must never launder a tampered download into the manifest.
    let (plans, refused): (Vec<PinPlan>, Vec<PinPlan>) = plans.into_iter().partition(|plan| {
        args.force
            || args.dry_run
            || !plan
                .pins
                .iter()
                .any(|pin| pin.old.is_some() && !pin.is_unchanged())
    });
    for plan in &refused {
        for pin in plan
            .pins
            .iter()
            .filter(|p| p.old.is_some() && !p.is_unchanged())
        {
            failures.push(
                CliError::new(
                    ErrorKind::Integrity,
                    format!(
                        "{}: `{}` pins {} {}, but the download of {} has {}",
                        plan.name,
                        plan.manifest
                            .strip_prefix(&workspace.root)
                            .unwrap_or(&plan.manifest)
                            .display(),
                        pin.key,
                        pin.old.as_deref().unwrap_or_default(),
                        plan.version,
                        pin.new
                    ),
                )
                .hint(format!(
                    "nothing was changed; if you moved the version by hand or upstream re-released it on purpose, run `mindelta pin {} --force`; otherwise do not trust this download",
                    plan.name
                )),
            );
        }
    }
    let mut diff = String::new();
    let mut written = Vec::new();
    for plan in &plans {
        if args.dry_run {
            diff.push_str(&plan.changes.diff(&workspace.root));
            continue;
        }
        match plan.changes.clone().commit() {
            Ok(()) => written.push(plan),
            Err(error) => failures.push(CliError::from(&error)),
        }
    }
    for plan in &plans {
        for pin in plan
            .pins
            .iter()
            .filter(|pin| pin.old.is_some() && !pin.is_unchanged())
        {
            warn(
                context.quiet,
                &format!(
                    "{}: `{}` {} the download's {}, not {}: check why (a version moved by hand, a re-released tarball, a moved tag) before you commit it",
                    plan.name,
                    plan.manifest
                        .strip_prefix(&workspace.root)
                        .unwrap_or(&plan.manifest)
                        .display(),
                    if args.dry_run { "would get" } else { "now has" },
                    pin.key,
                    pin.old.as_deref().unwrap_or_default()
                ),
            );
        }
    }
    match context.format {
        Format::Json => output::json(&Report {
            packages: plans.iter().collect(),
            dry_run: args.dry_run,
        })?,
        Format::Human if args.dry_run => output::stdout(&diff)?,
        Format::Human => output::stdout(&render(&plans))?,
    }
    if args.dry_run && !context.quiet && context.format == Format::Human {
        status!("dry run: nothing was changed");
    }
    report_failures(failures)
}

/// One line per pin: the package, the version, the key, the value and what happened.
fn render(plans: &[PinPlan]) -> String {
    let mut text = String::new();
    for plan in plans {
        for pin in &plan.pins {
            let what = match &pin.old {
                None => "added".to_string(),
                Some(_) if pin.is_unchanged() => "already pinned".to_string(),
                Some(old) => format!("was {old}"),
            };
            text.push_str(&format!(
                "{} {}: {} {} ({what})\n",
                plan.name, plan.version, pin.key, pin.new
            ));
        }
    }
    text
}

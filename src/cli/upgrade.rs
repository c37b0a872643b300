//! `mindelta upgrade PKG [--release V | --latest] [--no-stop]`, `--continue`, `--skip`,
//! `--abort`: move a package to a release and carry its series over (`upgrade`).
//!
//! A run ends finished (the package's edit committed, exit 0), held (`--no-stop`: committed,
//! the conflicting patches left untouched and listed, exit 3) or stopped at a conflict (the
//! work tree's path and what to do next on stderr, exit 3). JSON output is one object per
//! run: what happened to each patch and, at a stop, the work tree.

use std::io::IsTerminal;
use std::process::ExitCode;

use super::progress::Bars;
use super::release::release_for;
use super::{CliError, Context, ErrorKind, Format, output};
use mindelta::expiry::CheckOptions;
use mindelta::upgrade::{self, Resume, Status, UpgradeOptions, UpgradeReport};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The package to upgrade
    package: String,
    /// The upstream release to move to
    #[arg(long, value_name = "V", conflicts_with_all = ["latest", "resume", "skip", "abort"])]
    release: Option<String>,
    /// Move to the newest discovered release (the default)
    #[arg(long, conflicts_with_all = ["resume", "skip", "abort"])]
    latest: bool,
    /// Carry every patch that can be carried, leave the conflicting ones untouched and list
    /// them (exit 3): for bots
    #[arg(long, conflicts_with_all = ["resume", "skip", "abort"])]
    no_stop: bool,
    /// Go on after resolving the conflicts in the work tree
    #[arg(long = "continue", id = "resume", conflicts_with_all = ["skip", "abort"])]
    resume: bool,
    /// Drop the patch the upgrade stopped at (recorded with `--reason`)
    #[arg(long, conflicts_with = "abort")]
    skip: bool,
    /// Why the skipped patch goes (asked for on a terminal when not given)
    #[arg(long, value_name = "TEXT", requires = "skip")]
    reason: Option<String>,
    /// Give up the unfinished upgrade: its state and work tree go, the package is unchanged
    #[arg(long)]
    abort: bool,
    #[command(flatten)]
    pub workspace: super::options::WorkspaceArg,
    #[command(flatten)]
    pub format: super::options::FormatArgs,
    #[command(flatten)]
    pub network: super::options::NetworkArgs,
}

pub fn run(context: &Context, args: Args) -> Result<ExitCode, CliError> {
    let workspace = context.workspace()?;
    if args.abort {
        let state = upgrade::abort(&workspace, &args.package).map_err(|e| CliError::from(&e))?;
        if !context.quiet {
            match state {
                Some(state) => status!(
                    "the upgrade of `{}` to {} is given up; the package is as it was",
                    state.package,
                    state.release
                ),
                None => status!("the leftovers of an interrupted upgrade were removed"),
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let package = workspace
        .load(&args.package)
        .map_err(|e| CliError::from(&e))?;
    let bars = Bars::new(context);
    let fetcher = context.fetcher(&bars);
    let report = if args.resume || args.skip {
        let action = if args.skip {
            Resume::Skip {
                reason: skip_reason(args.reason)?,
            }
        } else {
            Resume::Continue
        };
        upgrade::resume(&workspace, &package, &fetcher, action)
    } else {
        let (release, _) = release_for(&package, &fetcher, args.release.as_deref())?;
        let options = UpgradeOptions {
            check: CheckOptions {
                offline: context.offline,
                history_progress: bars.history(&package.name),
                ..CheckOptions::default()
            },
            no_stop: args.no_stop,
            date: context.today()?,
        };
        upgrade::start(&workspace, &package, &release, &fetcher, &options)
    };
    let mut report = report.map_err(|e| CliError::from(&e))?;
    upgrade::commit(&workspace, &mut report).map_err(|e| CliError::from(&e))?;
    match context.format {
        Format::Json => output::json(&serde_json::json!({ "packages": [&report] }))?,
        Format::Human => output::stdout(&render(&report))?,
    }
    match report.status {
        Status::Finished => Ok(ExitCode::SUCCESS),
        Status::Held => Err(CliError::new(
            ErrorKind::Conflict,
            format!(
                "`{}` moved to {} with {} conflicting patch(es) left untouched",
                report.name,
                report.release,
                report
                    .patches
                    .iter()
                    .filter(|p| p.outcome == upgrade::Outcome::Conflict)
                    .count()
            ),
        )
        .hint("rebase them by hand, or run `mindelta upgrade` without `--no-stop` to resolve them one by one")),
        Status::Stopped => {
            let stop = report.stop.as_ref().expect("a stop has its report");
            let mut files = String::new();
            for file in &stop.files {
                files.push_str(&format!("\n  {}", stop.tree.join(&file.path).display()));
                if !file.markers.is_empty() {
                    let lines: Vec<String> = file.markers.iter().map(|l| l.to_string()).collect();
                    files.push_str(&format!(" (markers at line {})", lines.join(", ")));
                }
                files.push_str(&format!(": {}", file.detail));
            }
            Err(CliError::new(
                ErrorKind::Conflict,
                format!(
                    "the upgrade of `{}` to {} stopped at `{}`:{files}",
                    report.name, report.release, stop.patch
                ),
            )
            .hint(format!(
                "edit those files in `{}` until they hold what the patch should do on {}, then run `mindelta upgrade {} --continue`; `--skip --reason TEXT` drops the patch, `--abort` gives the upgrade up (nothing in the package has changed yet)",
                stop.tree.display(),
                report.release,
                report.name
            )))
        }
    }
}

/// The reason for `--skip`: given, or asked for on a terminal.
fn skip_reason(given: Option<String>) -> Result<String, CliError> {
    if let Some(reason) = given.filter(|r| !r.trim().is_empty()) {
        return Ok(reason);
    }
    let usage = || {
        CliError::new(ErrorKind::Error, "`--skip` needs a reason")
            .hint("pass `--reason TEXT`: it is recorded in the manifest's `expired:` trail")
    };
    if !std::io::stdin().is_terminal() {
        return Err(usage());
    }
    output::stderr("Why does this patch go? ");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).map_err(|_| usage())?;
    let line = line.trim().to_string();
    if line.is_empty() {
        return Err(usage());
    }
    Ok(line)
}

/// What happened to each patch, one line each.
fn render(report: &UpgradeReport) -> String {
    let mut text = match report.status {
        Status::Stopped => format!(
            "{} {} -> {} (stopped)\n",
            report.name, report.from, report.release
        ),
        _ => format!("{} {} -> {}\n", report.name, report.from, report.release),
    };
    for step in &report.patches {
        let why = match (&step.reason, &step.evidence, &step.detail) {
            (Some(reason), Some(evidence), _) => format!("  ({reason}: {evidence})"),
            (Some(reason), None, _) => format!("  ({reason})"),
            (None, _, Some(detail)) => format!("  ({detail})"),
            _ => String::new(),
        };
        text.push_str(&format!(
            "  {:<12}  {}{why}\n",
            step.outcome.as_str(),
            step.file
        ));
    }
    for pin in &report.pins.expired_pins {
        text.push_str(&format!(
            "  {:<12}  {} in {}  (dependency-superseded: {})\n",
            "expired",
            super::expire::pin_item(&pin.module, pin.replaced_by.as_deref(), &pin.version),
            super::expire::pin_step(&pin.step, pin.deps_file.as_deref(), pin.deps_line),
            pin.evidence
        ));
    }
    for pin in &report.pins.held_pins {
        text.push_str(&format!(
            "  {:<12}  {} in {}  (expired, but {})\n",
            "kept",
            super::expire::pin_item(&pin.module, pin.replaced_by.as_deref(), &pin.version),
            super::expire::pin_step(&pin.step, pin.deps_file.as_deref(), pin.deps_line),
            pin.detail
        ));
    }
    text
}

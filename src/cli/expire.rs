//! `mindelta expire [PKG…] [--release V | --latest] [--dry-run] [--allow-conflicts]`: act on
//! the verdicts of `check` — drop expired patches, shrink partial ones, refresh the rest and
//! move `upstream.version` to the release.
//!
//! Every package is planned first (`expiry::expire::plan_expire`, nothing written); then each
//! plan is committed as one all-or-nothing change set, or, with `--dry-run`, its diff is
//! printed to stdout. A package whose conflicts keep the version exits 3 after the others are
//! done. JSON output is one object per package: expired, shrunk, refreshed, unchanged,
//! conflicts and the version move, and a melange package's dropped Go pins (`expired_pins`,
//! and `held_pins` for those that stay).

use std::process::ExitCode;

use super::error::report_failures;
use super::progress::Bars;
use super::release::release_for;
use super::{CliError, Context, ErrorKind, Format, output};
use mindelta::expiry::CheckOptions;
use mindelta::expiry::expire::{ExpireOptions, ExpirePlan, plan_expire};
use mindelta::layout::Rows;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Packages to expire (default: every package of the workspace)
    packages: Vec<String>,
    /// The upstream release to move to
    #[arg(long, value_name = "V", conflicts_with = "latest")]
    release: Option<String>,
    /// Move to the newest discovered release (the default)
    #[arg(long)]
    latest: bool,
    /// Print the diff of every file that would change; change nothing
    #[arg(long)]
    dry_run: bool,
    /// Move the version even when some patch conflicts (conflicting patches stay untouched)
    #[arg(long)]
    allow_conflicts: bool,
    /// In a Debian source package, also list the dropped patches and their evidence in the
    /// top `UNRELEASED` entry of `debian/changelog`
    #[arg(long)]
    changelog: bool,
    /// Context lines a moved hunk may ignore (its context is then taken from the release)
    #[arg(long, value_name = "N", default_value_t = 0)]
    fuzz: usize,
    #[command(flatten)]
    pub workspace: super::options::WorkspaceArg,
    #[command(flatten)]
    pub format: super::options::FormatArgs,
    #[command(flatten)]
    pub network: super::options::NetworkArgs,
}

#[derive(serde::Serialize)]
struct Report<'a> {
    packages: Vec<&'a ExpirePlan>,
    dry_run: bool,
}

pub fn run(context: &Context, args: Args) -> Result<ExitCode, CliError> {
    let workspace = context.workspace()?;
    let names = if args.packages.is_empty() {
        workspace.package_names().map_err(|e| CliError::from(&e))?
    } else {
        args.packages.clone()
    };
    let bars = Bars::new(context);
    let fetcher = context.fetcher(&bars);
    let options = ExpireOptions {
        check: CheckOptions {
            offline: context.offline,
            ..CheckOptions::default()
        },
        fuzz: args.fuzz,
        allow_conflicts: args.allow_conflicts,
        date: context.today()?,
    };
    let mut plans = Vec::new();
    let mut failures = Vec::new();
    let counter = bars.packages("expiring", names.len());
    for name in &names {
        let options = ExpireOptions {
            check: CheckOptions {
                history_progress: bars.history(name),
                ..options.check.clone()
            },
            ..options.clone()
        };
        let planned = workspace
            .load(name)
            .map_err(|e| CliError::from(&e))
            .and_then(|package| {
                // The discovered tag is not used: the refresh reads the release through the
                // manifest's tag template, and the check must judge the same tree.
                let (release, _) = release_for(&package, &fetcher, args.release.as_deref())?;
                plan_expire(&package, &release, &fetcher, &options)
                    .and_then(|plan| {
                        mindelta::native::edit::finish_expire(
                            &package,
                            plan,
                            &fetcher,
                            args.changelog,
                        )
                    })
                    .map_err(|e| CliError::from(&e).hint("nothing was changed"))
            });
        match planned {
            Ok(plan) => plans.push(plan),
            Err(error) => failures.push(error),
        }
        counter.inc();
    }
    drop(counter);
    let mut diff = String::new();
    let mut committed = Vec::new();
    for plan in &plans {
        if plan.blocked {
            failures.push(
                CliError::new(
                    ErrorKind::Conflict,
                    format!(
                        "`{}` stays at {}: {} patch(es) conflict with {}{}",
                        plan.name,
                        plan.version,
                        plan.conflicts.len(),
                        plan.release,
                        if plan.needs_refresh.is_empty() {
                            String::new()
                        } else {
                            format!(
                                ", {} dependency patch(es) need a refresh",
                                plan.needs_refresh.len()
                            )
                        }
                    ),
                )
                .hint("rebase the conflicting patches by hand, or pass `--allow-conflicts` to move the version and leave them untouched"),
            );
        } else if args.dry_run {
            diff.push_str(&plan.changes.diff(&workspace.root));
        } else {
            match plan.changes.clone().commit() {
                Ok(()) => committed.push(plan),
                Err(error) => failures.push(CliError::from(&error)),
            }
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

/// One block per package: what went, what changed, what stays, fitted to the width of the
/// output (`output::width`).
fn render(plans: &[ExpirePlan]) -> String {
    let mut text = String::new();
    for plan in plans {
        match (&plan.version_moved, plan.blocked) {
            (_, true) => text.push_str(&format!(
                "{} {} (not moved to {}: {})\n",
                plan.name,
                plan.version,
                plan.release,
                if plan.needs_refresh.is_empty() {
                    "conflicts"
                } else {
                    "patches held"
                }
            )),
            (Some(moved), false) => {
                text.push_str(&format!("{} {} -> {}\n", plan.name, moved.from, moved.to))
            }
            (None, false) => text.push_str(&format!("{} {}\n", plan.name, plan.version)),
        }
        let mut rows = Rows::new("  ");
        for gone in &plan.expired {
            rows.push(
                vec!["expired".to_owned(), gone.file.clone()],
                format!("({}: {})", gone.reason, gone.evidence),
            );
        }
        for pin in &plan.expired_pins {
            text.push_str(&format!(
                "  expired    {} in {}  (dependency-superseded: {})\n",
                pin_item(&pin.module, pin.replaced_by.as_deref(), &pin.version),
                pin_step(&pin.step, pin.deps_file.as_deref(), pin.deps_line),
                pin.evidence
            ));
        }
        for pin in &plan.held_pins {
            text.push_str(&format!(
                "  kept       {} in {}  (expired, but {})\n",
                pin_item(&pin.module, pin.replaced_by.as_deref(), &pin.version),
                pin_step(&pin.step, pin.deps_file.as_deref(), pin.deps_line),
                pin.detail
            ));
        }
        for (word, files) in [
            ("shrunk", &plan.shrunk),
            ("refreshed", &plan.refreshed),
            ("unchanged", &plan.unchanged),
            ("upstream?", &plan.already_upstream),
        ] {
            for file in files {
                rows.push(vec![word.to_owned(), file.clone()], "");
            }
        }
        for held in &plan.conflicts {
            rows.push(
                vec![held.verdict.as_str().to_owned(), held.file.clone()],
                format!("({})", held.detail),
            );
        }
        for held in &plan.needs_refresh {
            rows.push(
                vec![held.verdict.as_str().to_owned(), held.file.clone()],
                format!("(needs a refresh: {})", held.detail),
            );
        }
        text.push_str(&rows.render(Some(output::width())));
    }
    text
}

/// A pinned item as its step writes it: `module@version`, `old=new@version` for a replace.
pub(super) fn pin_item(module: &str, replaced_by: Option<&str>, version: &str) -> String {
    match replaced_by {
        Some(new) => format!("{module}={new}@{version}"),
        None => format!("{module}@{version}"),
    }
}

/// Where a pin was: its step (`go/bump (line 13)`), and the dependency file and line it is
/// written in when it is not the step (`bump (line 40), gw/deps.yaml:3`).
pub(super) fn pin_step(step: &str, deps_file: Option<&str>, deps_line: Option<usize>) -> String {
    match (deps_file, deps_line) {
        (Some(file), Some(line)) => format!("{step}, {file}:{line}"),
        _ => step.to_string(),
    }
}

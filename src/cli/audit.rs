//! `mindelta audit [PKG…] [--policy FILE|DIR] [--check] [--shard K/N] [--merge REPORT…]`:
//! the delta report and the policy findings.
//!
//! Resolves the options (policies: `--policy`, else the workspace's `policies/` folder if present;
//! the date ages count to: `Context::now`, so `MINDELTA_NOW=YYYY-MM-DD` fixes it), runs the
//! library's audit on `--jobs` threads, prints warnings (an upstream whose newest release is
//! unknown) on stderr and the report on stdout in the chosen format. Exit 4 when a finding of
//! severity `error` is present, 1 when a package could not be read (after printing the rest).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use super::error::{report_failures, warn};
use super::progress::Bars;
use super::{CliError, Context, ErrorKind, FormatArg, output};
use mindelta::audit::format::{human, markdown, sarif};
use mindelta::audit::merge::merge_files;
use mindelta::audit::policy::{Budget, DEFAULT_STEPS, DEFAULT_TIME};
use mindelta::audit::{AuditOptions, AuditReport, PolicySet, Severity, audit};
use mindelta::upstream::FetchOptions;
use mindelta::workspace::shard::Shard;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only these packages (default: all)
    packages: Vec<String>,
    /// Policy files or folders of `*.yaml` rules (default: the workspace's `policies/`)
    #[arg(long, value_name = "FILE|DIR")]
    policy: Vec<PathBuf>,
    /// Judge every patch against the newest release and report the verdicts
    #[arg(long)]
    check: bool,
    /// Audit only shard K of N (a stable split by package name: FNV-1a of the name mod N)
    #[arg(long, value_name = "K/N")]
    shard: Option<Shard>,
    /// Steps one evaluation of a rule may take (default 1,000,000); see docs/policies.md
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    policy_steps: Option<u64>,
    /// Seconds one evaluation of a rule may take (default 10), a backstop to `--policy-steps`
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    policy_seconds: Option<u64>,
    /// Join the JSON reports of several shards instead of auditing
    #[arg(long, value_name = "REPORT.json", num_args = 1.., conflicts_with_all = ["packages", "policy", "check", "shard", "policy_steps", "policy_seconds"])]
    merge: Vec<PathBuf>,
}

/// Connection timeout and deadline of release look-ups: an unreachable host, or one that
/// never answers, must not stall the audit (docs/policies.md).
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

pub fn run(context: &Context, args: Args) -> Result<ExitCode, CliError> {
    let mut failures = Vec::new();
    let report = if args.merge.is_empty() {
        let (report, package_failures) = run_audit(context, &args)?;
        failures = package_failures;
        report
    } else {
        merge_files(&args.merge).map_err(|e| {
            CliError::from_error(ErrorKind::Error, &e)
                .hint("merge the reports written by `mindelta audit --shard K/N --format json`")
        })?
    };
    render(context, &report)?;
    let errors = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    if !failures.is_empty() {
        return report_failures(failures);
    }
    if errors > 0 {
        return Err(CliError::new(
            ErrorKind::Findings,
            format!(
                "{errors} finding{} of severity `error`",
                if errors == 1 { "" } else { "s" }
            ),
        ));
    }
    Ok(ExitCode::SUCCESS)
}

fn run_audit(context: &Context, args: &Args) -> Result<(AuditReport, Vec<CliError>), CliError> {
    let workspace = context.workspace()?;
    let policy_paths = if args.policy.is_empty() {
        let folder = workspace.root.join("policies");
        if folder.is_dir() {
            vec![folder]
        } else {
            vec![]
        }
    } else {
        args.policy.clone()
    };
    let budget = Budget {
        steps: args.policy_steps.unwrap_or(DEFAULT_STEPS),
        time: args
            .policy_seconds
            .map_or(DEFAULT_TIME, Duration::from_secs),
    };
    let policies = PolicySet::load(&policy_paths, &workspace.root)
        .map_err(|e| CliError::from(&e))?
        .with_budget(budget);
    let names = workspace
        .select(&args.packages, args.shard)
        .map_err(|e| CliError::from(&e))?;
    let bars = Bars::new(context);
    let fetcher = context.fetcher_with(
        FetchOptions {
            connect_timeout: LOOKUP_TIMEOUT,
            lookup_deadline: context.fetch.lookup_deadline().unwrap_or(LOOKUP_TIMEOUT),
            ..context.fetch_options()
        },
        &bars,
    );
    let options = AuditOptions {
        today: context.now()?.date(),
        latest: true,
        check: args.check,
        offline: context.offline,
        progress: bars.package_hook("auditing"),
    };
    let outcome = context
        .pool()?
        .install(|| audit(&workspace, &names, &policies, Some(&fetcher), &options));
    for warning in &outcome.warnings {
        warn(
            context.quiet,
            &format!("{}: {}", warning.package, warning.message),
        );
    }
    let failures = outcome.failures.iter().map(CliError::from).collect();
    Ok((outcome.report, failures))
}

/// The report on stdout, in the chosen format.
fn render(context: &Context, report: &AuditReport) -> Result<(), CliError> {
    match context.format_arg {
        FormatArg::Json => output::json(report),
        FormatArg::Sarif => output::json(&sarif::render(report)),
        FormatArg::Markdown => output::stdout(&markdown::render(report)),
        FormatArg::Human => {
            let stdout = std::io::stdout();
            let color = anstream::AutoStream::choice(&stdout) != anstream::ColorChoice::Never;
            // The terminal's width; when piped, `COLUMNS` if the caller set it, else no limit.
            let width = if stdout.is_terminal() {
                comfy_table::Table::new().width()
            } else {
                std::env::var("COLUMNS")
                    .ok()
                    .and_then(|c| c.trim().parse::<u16>().ok())
                    .filter(|c| *c > 0)
            };
            output::stdout(&human::render(report, human::HumanStyle { width, color }))
        }
    }
}

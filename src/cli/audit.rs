//! `mindelta audit [PKG…] [--policy FILE|DIR] [--check] [--shard K/N] [--merge REPORT…]
//! [--history] [--out FILE]`: the delta report and the policy findings.
//!
//! Resolves the options (policies: `--policy`, else the `policies:` list of the workspace's
//! `mindelta.yaml`, else its `policies/` folder, else the built-in packs, said on stderr —
//! `audit::policy::select`; the date ages count to: `Context::now`, so `MINDELTA_NOW=YYYY-MM-DD` fixes it), runs the
//! library's audit on `--jobs` threads (or merges shard reports), adds the delta over the
//! workspace's git history with `--history`, prints warnings (an upstream whose newest release is
//! unknown) on stderr and the report on stdout, or atomically into `--out FILE`, in the chosen
//! format. Exit 4 when a finding of severity `error` is present, 1 when a package could not be
//! read (after writing the rest).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use super::error::{report_failures, warn};
use super::progress::Bars;
use super::{CliError, Context, ErrorKind, FormatArg, output};
use mindelta::audit::format::{html, human, markdown, sarif};
use mindelta::audit::history::{HistoryError, HistoryOptions, read_history};
use mindelta::audit::merge::merge_files;
use mindelta::audit::policy::{Budget, DEFAULT_STEPS, DEFAULT_TIME, PolicyOrigin, select};
use mindelta::audit::timeline::{DEFAULT_MAX_MONTHS, Timeline, TimelineOptions, timeline};
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
    /// Add the delta month by month over the workspace's git history (`--format html` charts
    /// it, `--format json` adds `history`)
    #[arg(long)]
    history: bool,
    /// Write the report to FILE (atomically: a temporary file beside it, then a rename)
    /// instead of stdout
    #[arg(long, short = 'o', value_name = "FILE")]
    out: Option<PathBuf>,
    #[command(flatten)]
    pub workspace: super::options::WorkspaceArg,
    /// Output format: human text (the default), JSON on stdout (the stable machine
    /// interface), markdown (a pull-request comment), SARIF (code scanning) or one HTML page
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<super::FormatArg>,
    #[command(flatten)]
    pub jobs: super::options::JobsArg,
    #[command(flatten)]
    pub network: super::options::NetworkArgs,
}

/// Connection timeout and deadline of release look-ups: an unreachable host, or one that
/// never answers, must not stall the audit (docs/policies.md).
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

pub fn run(context: &Context, args: Args) -> Result<ExitCode, CliError> {
    if args.history && !matches!(context.format_arg, FormatArg::Html | FormatArg::Json) {
        CliError::new(
            ErrorKind::Error,
            "`--history` is shown by `--format html` (charts) and `--format json` (`history`)",
        )
        .hint("add `--format html --out delta.html`")
        .print();
        return Ok(ExitCode::from(USAGE));
    }
    let today = context.now()?.date();
    let mut failures = Vec::new();
    let mut report = if args.merge.is_empty() {
        let (report, package_failures) = run_audit(context, &args, today)?;
        failures = package_failures;
        report
    } else {
        merge_files(&args.merge).map_err(|e| {
            CliError::from_error(ErrorKind::Error, &e)
                .hint("merge the reports written by `mindelta audit --shard K/N --format json`")
        })?
    };
    if args.history {
        // Merged shards chart the whole workspace; a shard or a package list, its own part.
        let (packages, shard) = if args.merge.is_empty() {
            (args.packages.clone(), args.shard)
        } else {
            (Vec::new(), None)
        };
        report.history = Some(history(context, packages, shard, today)?);
    }
    let text = render(context, &report, args.out.is_some(), today)?;
    match &args.out {
        Some(path) => write_out(path, &text)?,
        None => output::stdout(&text)?,
    }
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

/// Exit code of a usage error (DESIGN.md §5), as clap gives it.
const USAGE: u8 = 2;

fn run_audit(
    context: &Context,
    args: &Args,
    today: time::Date,
) -> Result<(AuditReport, Vec<CliError>), CliError> {
    let workspace = context.workspace()?;
    let config = if args.policy.is_empty() {
        workspace.config().map_err(|e| CliError::from(&e))?
    } else {
        None
    };
    let budget = Budget {
        steps: args.policy_steps.unwrap_or(DEFAULT_STEPS),
        time: args
            .policy_seconds
            .map_or(DEFAULT_TIME, Duration::from_secs),
    };
    let selection =
        select(&workspace.root, &args.policy, config.as_ref()).map_err(|e| CliError::from(&e))?;
    if selection.origin == PolicyOrigin::Builtin && !context.quiet {
        status!("note: {}", builtin_note(&selection.policies));
    }
    let policies = selection.policies.with_budget(budget);
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
        today,
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

/// What a workspace without a `policies/` folder is judged by: the built-in packs, each with
/// the patches it judges.
fn builtin_note(policies: &PolicySet) -> String {
    let packs: Vec<String> = policies
        .packs()
        .iter()
        .map(|pack| match &pack.scope {
            Some(scope) => format!("{} ({})", pack.name, scope.describe()),
            None => format!("{} (every patch)", pack.name),
        })
        .collect();
    format!(
        "no policies/ folder: using the built-in packs {}; `mindelta init` writes them into \
         `policies/` to edit, and `policies:` in `mindelta.yaml` chooses them",
        packs.join(", ")
    )
}

/// The delta over the workspace's git history, month by month.
fn history(
    context: &Context,
    packages: Vec<String>,
    shard: Option<Shard>,
    today: time::Date,
) -> Result<Timeline, CliError> {
    let workspace = context.workspace()?;
    let options = HistoryOptions {
        packages,
        shard,
        ..HistoryOptions::default()
    };
    let read = read_history(&workspace.root, &options).map_err(|error| {
        let cli = CliError::from_error(ErrorKind::Error, &error);
        match error {
            HistoryError::NotARepository { .. } | HistoryError::Bare { .. } => cli.hint(
                "`--history` reads the git history of the repository that holds the workspace; \
                 commit the workspace to git, or leave out `--history`",
            ),
            HistoryError::Git { .. } => cli,
        }
    })?;
    if read.shallow {
        warn(
            context.quiet,
            "the repository is a shallow clone: the history starts at its oldest fetched commit \
             (fetch the whole history, e.g. `git fetch --unshallow` or `fetch-depth: 0`)",
        );
    }
    Ok(timeline(
        &read,
        &TimelineOptions {
            today,
            max_months: DEFAULT_MAX_MONTHS,
        },
    ))
}

/// The report in the chosen format. Human text is fitted to the terminal on stdout, to 80
/// columns (or `COLUMNS`) in a pipe or a file, and has no colour in a file.
fn render(
    context: &Context,
    report: &AuditReport,
    to_file: bool,
    today: time::Date,
) -> Result<String, CliError> {
    Ok(match context.format_arg {
        FormatArg::Json => pretty(report)?,
        FormatArg::Sarif => pretty(&sarif::render(report))?,
        FormatArg::Markdown => markdown::render(report),
        FormatArg::Html => html::render(
            report,
            &html::HtmlOptions {
                generated: mindelta::audit::report::format_date(today),
            },
        ),
        FormatArg::Human => {
            let stdout = std::io::stdout();
            let color =
                !to_file && anstream::AutoStream::choice(&stdout) != anstream::ColorChoice::Never;
            // The terminal's width; in a file or a pipe, `COLUMNS` or 80 (`output::width`).
            let width = if to_file {
                output::file_width()
            } else {
                output::width()
            };
            let width = Some(u16::try_from(width).unwrap_or(u16::MAX));
            human::render(report, human::HumanStyle { width, color })
        }
    })
}

/// Pretty JSON, newline-terminated.
fn pretty(value: &impl serde::Serialize) -> Result<String, CliError> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|error| CliError::new(ErrorKind::Error, format!("cannot encode JSON: {error}")))?;
    text.push('\n');
    Ok(text)
}

/// Write the report to `path` atomically (a temporary file in the same folder, fsync, rename):
/// a failure leaves any earlier file as it was. The file is readable by all (0644) unless it
/// replaces one, whose permissions it keeps: a report is meant to be published.
fn write_out(path: &Path, text: &str) -> Result<(), CliError> {
    let error = |error: std::io::Error| {
        let mut cli = CliError::new(
            ErrorKind::Error,
            format!("cannot write `{}`", path.display()),
        );
        cli.causes.push(error.to_string());
        cli.hint("check that the folder exists and is writable")
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let permissions = match std::fs::metadata(path) {
        Ok(metadata) if metadata.is_file() => Some(metadata.permissions()),
        _ => default_permissions(),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".mindelta-");
    if let Some(permissions) = permissions {
        builder.permissions(permissions);
    }
    let mut file = builder.tempfile_in(dir).map_err(error)?;
    std::io::Write::write_all(&mut file, text.as_bytes()).map_err(error)?;
    file.as_file().sync_all().map_err(error)?;
    file.persist(path).map_err(|e| error(e.error))?;
    Ok(())
}

#[cfg(unix)]
fn default_permissions() -> Option<std::fs::Permissions> {
    Some(std::os::unix::fs::PermissionsExt::from_mode(0o644))
}

#[cfg(not(unix))]
fn default_permissions() -> Option<std::fs::Permissions> {
    None
}

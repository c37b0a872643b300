//! `mindelta check [PKG…] [--release V | --latest] [--exit-code]`: the verdict of every patch
//! against an upstream release, with its evidence. Changes nothing.
//!
//! Packages are judged in parallel (`--jobs`); every package is judged even when one fails
//! (an unreachable upstream is reported and exits 5 after the others are printed). Human
//! output is one line per patch, grouped by package; JSON is DESIGN.md §5's `check` shape.

use std::process::ExitCode;

use rayon::prelude::*;

use super::error::report_failures;
use super::progress::Bars;
use super::release::release_for;
use super::{CliError, Context, ErrorKind, Format, output};
use mindelta::expiry::{
    CheckOptions, Detector, EvidenceResult, PackageCheck, PatchCheck, Verdict, check_package,
};
use mindelta::layout::Rows;
use mindelta::workspace::shard::Shard;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Packages to check (default: every package of the workspace)
    packages: Vec<String>,
    /// The upstream release to judge the patches against
    #[arg(long, value_name = "V", conflicts_with = "latest")]
    release: Option<String>,
    /// Judge against the newest discovered release (the default)
    #[arg(long)]
    latest: bool,
    /// Exit with 4 when some patch can expire (verdict `expired` or `partial`)
    #[arg(long)]
    exit_code: bool,
    /// Check only shard K of N (a stable split by package name, as `audit --shard`)
    #[arg(long, value_name = "K/N")]
    shard: Option<Shard>,
    #[command(flatten)]
    pub workspace: super::options::WorkspaceArg,
    #[command(flatten)]
    pub format: super::options::FormatArgs,
    #[command(flatten)]
    pub jobs: super::options::JobsArg,
    #[command(flatten)]
    pub network: super::options::NetworkArgs,
}

/// The JSON document: `{"packages": [PackageCheck…]}`, keys in their declared order.
#[derive(serde::Serialize)]
struct Report<'a> {
    packages: &'a [PackageCheck],
}

/// Exit code when `--exit-code` is given and some patch can expire (DESIGN.md §5).
const FINDINGS: u8 = 4;

pub fn run(context: &Context, args: Args) -> Result<ExitCode, CliError> {
    let workspace = context.workspace()?;
    let names = workspace
        .select(&args.packages, args.shard)
        .map_err(|e| CliError::from(&e))?;
    let bars = Bars::new(context);
    let fetcher = context.fetcher(&bars);
    let options = CheckOptions {
        offline: context.offline,
        ..CheckOptions::default()
    };
    let counter = bars.packages("checking", names.len());
    let results: Vec<Result<PackageCheck, CliError>> = context.pool()?.install(|| {
        names
            .par_iter()
            .map(|name| {
                let checked = (|| {
                    let package = workspace.load(name).map_err(|e| CliError::from(&e))?;
                    let (release, tag) = release_for(&package, &fetcher, args.release.as_deref())
                        .map_err(|error| match error.kind {
                        ErrorKind::Unavailable => error.hint("no verdict was guessed"),
                        _ => error,
                    })?;
                    let options = CheckOptions {
                        release_tag: tag,
                        history_progress: bars.history(name),
                        ..options.clone()
                    };
                    check_package(&package, &release, &fetcher, &options)
                        .map_err(|e| CliError::from(&e))
                })();
                counter.inc();
                checked
            })
            .collect()
    });
    drop(counter);
    let mut checked = Vec::new();
    let mut failures = Vec::new();
    for result in results {
        match result {
            Ok(package) => checked.push(package),
            Err(error) => failures.push(error),
        }
    }
    match context.format {
        Format::Json => output::json(&Report { packages: &checked })?,
        Format::Human => output::stdout(&render(&checked))?,
    }
    let can_expire = checked.iter().any(|package| {
        package.patches.iter().any(|p| p.verdict.can_expire())
            || package.pins.iter().any(|p| p.verdict.can_expire())
    });
    // A patch that cannot be read or parsed is judged `unknown` so that the others are still
    // judged; the command still fails (exit 1), naming the file.
    for package in &checked {
        let unreadable = package.patches.iter().flat_map(|patch| &patch.evidence);
        for evidence in unreadable
            .filter(|e| e.detector == Detector::Patch && e.result == EvidenceResult::Error)
        {
            failures.push(CliError::new(
                ErrorKind::Error,
                format!("{}: {}", package.name, evidence.detail),
            ));
        }
    }
    let code = report_failures(failures)?;
    if args.exit_code && can_expire {
        return Ok(ExitCode::from(FINDINGS));
    }
    Ok(code)
}

/// One block per package: a heading, then `verdict  file  why` per patch, fitted to the
/// width of the output (`output::width`).
fn render(packages: &[PackageCheck]) -> String {
    let width = Some(output::width());
    let mut text = String::new();
    for package in packages {
        text.push_str(&format!(
            "{} {} -> {}\n",
            package.name, package.version, package.release
        ));
        let mut rows = Rows::new("  ");
        for patch in &package.patches {
            rows.push(
                vec![verdict(patch.verdict), patch.file.clone()],
                summary(patch),
            );
        }
        text.push_str(&rows.render(width));
        // A melange package's pins: `go/bump golang.org/x/net@v0.33.0 (line 42)`, `bump
        // tokio@1.38.2 (line 40, gw/deps.yaml:3)`.
        let mut pins = Rows::new("  ");
        for pin in &package.pins {
            let why = pin
                .evidence
                .iter()
                .map(|e| format!("{}: {}", e.detector, e.detail))
                .collect::<Vec<_>>()
                .join("; ");
            pins.push(
                vec![
                    verdict(pin.verdict),
                    if pin.module.is_empty() {
                        // An item or file that does not read: the error says which.
                        format!("{} ({})", pin.tool, pin.place())
                    } else {
                        format!(
                            "{} {}@{} ({})",
                            pin.tool,
                            pin.module,
                            pin.version,
                            pin.place()
                        )
                    },
                ],
                why,
            );
        }
        text.push_str(&pins.render(width));
    }
    text
}

/// A verdict's cell, as wide as the widest verdict (`conflict`), so that every package's
/// block aligns alike.
fn verdict(verdict: Verdict) -> String {
    format!("{:<8}", verdict.as_str())
}

/// Why a patch has its verdict, in one line: the proving evidence of an expired patch (and
/// the other proofs), else the content finding, plus the cumulative verdict where it differs.
fn summary(patch: &PatchCheck) -> String {
    let mut parts = Vec::new();
    if patch.verdict == Verdict::Expired {
        for evidence in patch
            .evidence
            .iter()
            .filter(|e| e.result == EvidenceResult::Proves)
        {
            parts.push(format!("{}: {}", evidence.detector, evidence.detail));
        }
    } else if let Some(evidence) = patch
        .evidence
        .iter()
        .find(|e| e.result == EvidenceResult::Error)
    {
        parts.push(format!("{}: {}", evidence.detector, evidence.detail));
    } else if let Some(dependency) = patch.evidence.iter().find(|e| {
        // A dependency patch: how R stands to its dependencies says more than its hunks.
        e.detector == Detector::DependencySuperseded && e.result != EvidenceResult::NotApplicable
    }) {
        parts.push(format!("{}: {}", dependency.detector, dependency.detail));
    } else if let Some(content) = patch
        .evidence
        .iter()
        .find(|e| e.detector == Detector::Content)
    {
        parts.push(format!("content: {}", content.detail));
        if let Some(commit) = patch.evidence.iter().find(|e| {
            e.detector == Detector::UpstreamCommit && e.result == EvidenceResult::NotFound
        }) {
            parts.push(format!("upstream-commit: {}", commit.detail));
        }
    }
    if let Some(cumulative) = &patch.cumulative {
        parts.push(format!("in series order: {}", cumulative.verdict.as_str()));
    }
    parts.join("; ")
}

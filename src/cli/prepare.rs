//! `mindelta prepare PKG… | --all --out DIR [--sbom FILE]`: the pre-build step.
//!
//! Packages are prepared in parallel (`--jobs`); one failing package never stops the others:
//! every failure is reported, the rest are written, and the exit code is the most severe one.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use rayon::prelude::*;
use time::OffsetDateTime;

use super::error::{report_failures, warn};
use super::progress::Bars;
use super::{CliError, Context, ErrorKind, Format, output};
use mindelta::prepare::{PatchOutcome, PrepareOptions, PreparedPackage, prepare};
use mindelta::upstream::FetchOptions;
use mindelta::workspace::shard::Shard;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Packages to prepare
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    packages: Vec<String>,
    /// Prepare every package of the workspace (each into DIR/PKG)
    #[arg(long)]
    all: bool,
    /// Where to write the tree (DIR/PKG when several packages are prepared)
    #[arg(long, short = 'o', value_name = "DIR")]
    out: PathBuf,
    /// Write a CycloneDX 1.6 SBOM of the prepared packages to FILE
    #[arg(long, value_name = "FILE")]
    sbom: Option<PathBuf>,
    /// Let a hunk drop up to N context lines (every fuzzed hunk is reported)
    #[arg(long, value_name = "N", default_value_t = 0)]
    fuzz: usize,
    /// Accept tarballs that have no `sha256` in the manifest
    #[arg(long)]
    allow_unverified: bool,
    /// Prepare only shard K of N (a stable split by package name, as `audit --shard`)
    #[arg(long, value_name = "K/N")]
    shard: Option<Shard>,
    /// Replace an output folder that `prepare` did not write, with everything in it (never
    /// the workspace, the cache or a folder above them)
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    pub workspace: super::options::WorkspaceArg,
    #[command(flatten)]
    pub format: super::options::FormatArgs,
    #[command(flatten)]
    pub jobs: super::options::JobsArg,
    #[command(flatten)]
    pub network: super::options::NetworkArgs,
}

pub fn run(context: &Context, args: Args) -> Result<ExitCode, CliError> {
    let workspace = context.workspace()?;
    let names = workspace
        .select(&args.packages, args.shard)
        .map_err(|e| CliError::from(&e))?;
    let nested = args.all || names.len() > 1;
    let bars = Bars::new(context);
    let fetcher = context.fetcher_with(
        FetchOptions {
            allow_unverified: args.allow_unverified,
            ..context.fetch_options()
        },
        &bars,
    );
    let options = PrepareOptions {
        fuzz: args.fuzz,
        force: args.force,
    };
    // Read before any work, so an invalid `MINDELTA_NOW` fails fast.
    let now = args.sbom.as_ref().map(|_| context.now()).transpose()?;
    let counter = bars.packages("preparing", names.len());
    let results: Vec<Result<PreparedPackage, CliError>> = context.pool()?.install(|| {
        names
            .par_iter()
            .map(|name| {
                let package = workspace.load(name).map_err(|e| CliError::from(&e))?;
                let out = if nested {
                    args.out.join(name)
                } else {
                    args.out.clone()
                };
                let prepared =
                    prepare(&package, &fetcher, &out, &options).map_err(|e| CliError::from(&e));
                counter.inc();
                prepared
            })
            .collect()
    });
    drop(counter);

    let mut prepared = Vec::new();
    let mut failures = Vec::new();
    for result in results {
        match result {
            Ok(package) => prepared.push(package),
            Err(error) => failures.push(error),
        }
    }
    for package in &prepared {
        if let Some(first) = package.removed_staging.first() {
            warn(
                context.quiet,
                &format!(
                    "removed {} staging folder(s) of killed runs in `{}`",
                    package.removed_staging.len(),
                    first.parent().unwrap_or(Path::new(".")).display()
                ),
            );
        }
        for patch in &package.patches {
            if patch.status == PatchOutcome::Skipped {
                warn(
                    context.quiet,
                    &format!(
                        "{}: skipped `{}`: its changes are already in {} {} (it can expire)",
                        package.name, patch.file, package.name, package.version
                    ),
                );
            }
            for hunk in patch.hunks.iter().filter(|h| h.fuzz > 0) {
                warn(
                    context.quiet,
                    &format!(
                        "{}: `{}` hunk in `{}` applied with fuzz {} at line {}",
                        package.name, patch.file, hunk.file, hunk.fuzz, hunk.line
                    ),
                );
            }
        }
    }
    if let (Some(path), Some(now)) = (&args.sbom, now) {
        write_sbom(path, &prepared, now)?;
    }
    match context.format {
        Format::Json => output::json(&serde_json::json!({ "packages": prepared }))?,
        Format::Human if !context.quiet => {
            for package in &prepared {
                let applied = package
                    .patches
                    .iter()
                    .filter(|p| p.status == PatchOutcome::Applied)
                    .count();
                let skipped = package.patches.len() - applied;
                let mut line = format!(
                    "prepared {} {} in {}: {applied} patch{} applied",
                    package.name,
                    package.version,
                    package.out.display(),
                    if applied == 1 { "" } else { "es" }
                );
                if skipped > 0 {
                    line.push_str(&format!(", {skipped} skipped"));
                }
                status!("{line}");
            }
        }
        Format::Human => {}
    }
    report_failures(failures)
}

/// The SBOM of `prepared` at `path`, stamped with `now` (RFC 3339).
fn write_sbom(
    path: &Path,
    prepared: &[PreparedPackage],
    now: OffsetDateTime,
) -> Result<(), CliError> {
    let timestamp = now
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let document = mindelta::sbom::cyclonedx(prepared, &timestamp);
    let mut text = serde_json::to_string_pretty(&document)
        .map_err(|e| CliError::new(ErrorKind::Error, format!("cannot encode the SBOM: {e}")))?;
    text.push('\n');
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let write = || -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let mut file = tempfile::NamedTempFile::new_in(dir)?;
        std::io::Write::write_all(&mut file, text.as_bytes())?;
        file.as_file().sync_all()?;
        file.persist(path).map_err(|e| e.error)?;
        Ok(())
    };
    write().map_err(|e| {
        CliError::new(
            ErrorKind::Error,
            format!("cannot write the SBOM to `{}`: {e}", path.display()),
        )
    })
}

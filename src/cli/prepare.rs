//! `mindelta prepare PKG… | --all --out DIR [--sbom FILE]`: the pre-build step.
//!
//! Packages are prepared in parallel (`--jobs`); one failing package never stops the others:
//! every failure is reported, the rest are written, and the exit code is the most severe one.
//! A tarball fetched with no checksum to verify (`--allow-unverified`) gets a warning with the
//! checksum of what was fetched and the exact line that pins it (JSON: `upstream.sha256`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use rayon::prelude::*;
use time::OffsetDateTime;

use super::error::{report_failures, warn};
use super::progress::Bars;
use super::{CliError, Context, ErrorKind, Format, output};
use mindelta::native::NativeOrigin;
use mindelta::prepare::{PatchOutcome, PrepareOptions, PreparedPackage, prepare};
use mindelta::upstream::FetchOptions;
use mindelta::workspace::shard::Shard;
use mindelta::workspace::{Package, UpstreamSource};

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
    type Prepared = (PreparedPackage, Option<Unverified>);
    let results: Vec<Result<Prepared, CliError>> = context.pool()?.install(|| {
        names
            .par_iter()
            .map(|name| {
                let package = workspace.load(name).map_err(|e| CliError::from(&e))?;
                let out = if nested {
                    args.out.join(name)
                } else {
                    args.out.clone()
                };
                let prepared = prepare(&package, &fetcher, &out, &options)
                    .map_err(|e| CliError::from(&e))
                    .map(|prepared| {
                        let unverified = unverified(&package, &prepared, &workspace.root);
                        (prepared, unverified)
                    });
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
            Ok((package, unverified)) => {
                if let Some(unverified) = unverified {
                    unverified.print(context.quiet);
                }
                prepared.push(package);
            }
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

/// A tarball that was fetched with no checksum to verify (`--allow-unverified`): the checksum
/// of what was fetched and the line that pins it, so it is never computed by hand.
struct Unverified {
    package: String,
    sha256: String,
    /// Where the checksum goes, in words, with the exact line to add.
    hint: String,
}

impl Unverified {
    fn print(&self, quiet: bool) {
        warn(
            quiet,
            &format!(
                "{}: the tarball was not verified (no checksum to check it against); what was fetched has sha256 {}",
                self.package, self.sha256
            ),
        );
        if !quiet {
            status!("hint: {}", self.hint);
        }
    }
}

/// What to tell about `prepared` when its tarball had no checksum in the manifest.
fn unverified(package: &Package, prepared: &PreparedPackage, root: &Path) -> Option<Unverified> {
    let sha256 = prepared.upstream.sha256.clone()?;
    if prepared.upstream.kind != "tarball" {
        return None;
    }
    let UpstreamSource::Tarball { sha256: None, .. } = &package.manifest.upstream.source else {
        return None;
    };
    // Melange's `expected-sha512` alone pins it (checked by `prepare` itself).
    if package
        .native()
        .is_some_and(|native| native.expected_sha512(&prepared.version).is_some())
    {
        return None;
    }
    let shown = package
        .manifest_path
        .strip_prefix(root)
        .unwrap_or(&package.manifest_path)
        .display()
        .to_string();
    let text = std::fs::read_to_string(&package.manifest_path).unwrap_or_default();
    // The line of the source key, and its indentation for the new line.
    let place = |key: &str| {
        text.lines().enumerate().find_map(|(index, line)| {
            let trimmed = line.trim_start();
            let trimmed = trimmed.strip_prefix("- ").unwrap_or(trimmed);
            trimmed
                .starts_with(&format!("{key}:"))
                .then(|| (index + 1, line.len() - line.trim_start().len()))
        })
    };
    let pin = format!("or run `mindelta pin {}`", package.name);
    let hint = match package.native() {
        None => match place("tarball") {
            Some((line, indent)) => format!(
                "add the line `{}sha256: {sha256}` after `tarball:` (line {line}) of `{shown}`, {pin}",
                " ".repeat(indent)
            ),
            None => format!("add `sha256: {sha256}` under `upstream:` in `{shown}`, {pin}"),
        },
        Some(NativeOrigin::Melange(_)) => match place("uri") {
            Some((line, indent)) => format!(
                "add the line `{}expected-sha256: {sha256}` after `uri:` (line {line}) of `{shown}`, {pin}",
                " ".repeat(indent)
            ),
            None => {
                format!("add `expected-sha256: {sha256}` to the `fetch` step in `{shown}`, {pin}")
            }
        },
        // The `.dsc` that pins an orig tarball is `dpkg-source`'s to write.
        Some(NativeOrigin::Debian(_)) => format!(
            "a Debian source package is pinned by its `.dsc`; `dpkg-source -b` writes sha256 {sha256} for this orig tarball"
        ),
    };
    Some(Unverified {
        package: package.name.clone(),
        sha256,
        hint,
    })
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

//! `mindelta apply -C DIR [-p N] [--fuzz N] [--reverse] [--dry-run] PATCH…`: the applier on its
//! own. The whole series is applied in memory first and written once at the end: if any patch
//! fails, nothing is written (exit 3).

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use rayon::prelude::*;
use serde::Serialize;

use super::error::warn;
use super::{CliError, Context, ErrorKind, Format, output};
use mindelta::patch::apply::{AppliedPatch, ApplyError, ApplyOptions, WorkTree};
use mindelta::patch::{Patch, parse_patches};

/// From this many patch files on, they are read and parsed in parallel.
const PARALLEL_FROM: usize = 8;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The tree to patch
    #[arg(
        short = 'C',
        long = "directory",
        value_name = "DIR",
        default_value = "."
    )]
    directory: PathBuf,
    /// Strip N leading path components (like `patch -pN`)
    #[arg(short = 'p', long = "strip", value_name = "N", default_value_t = 1)]
    strip: usize,
    /// Let a hunk drop up to N context lines to apply (every fuzzed hunk is reported)
    #[arg(long, value_name = "N", default_value_t = 0)]
    fuzz: usize,
    /// Undo the patches (apply them in reverse, last first)
    #[arg(short = 'R', long)]
    reverse: bool,
    /// Check that everything applies; change nothing
    #[arg(long)]
    dry_run: bool,
    /// Patch files or mboxes, applied in order (default: standard input)
    patches: Vec<PathBuf>,
    #[command(flatten)]
    pub format: super::options::FormatArgs,
}

#[derive(Serialize)]
struct Report {
    patches: Vec<PatchReport>,
}

#[derive(Serialize)]
struct PatchReport {
    file: String,
    status: &'static str,
    hunks: Vec<HunkReport>,
}

#[derive(Serialize)]
struct HunkReport {
    file: String,
    index: usize,
    line: usize,
    offset: isize,
    fuzz: usize,
}

pub fn run(context: &Context, args: Args) -> Result<ExitCode, CliError> {
    let mut series: Vec<(String, Patch)> = Vec::new();
    if args.patches.is_empty() {
        let mut input = Vec::new();
        std::io::stdin()
            .read_to_end(&mut input)
            .map_err(|e| CliError::new(ErrorKind::Error, format!("cannot read stdin: {e}")))?;
        series.extend(parse(&input, "<stdin>")?);
    } else {
        // Read and parse the files (in parallel for a long series, where it pays for starting
        // the thread pool); errors are still reported in series order.
        let read = |path: &PathBuf| {
            let input = std::fs::read(path).map_err(|e| {
                CliError::new(
                    ErrorKind::Error,
                    format!("cannot read `{}`: {e}", path.display()),
                )
            })?;
            parse(&input, &path.display().to_string())
        };
        let parsed: Vec<Result<Vec<(String, Patch)>, CliError>> =
            if args.patches.len() >= PARALLEL_FROM {
                args.patches.par_iter().map(read).collect()
            } else {
                args.patches.iter().map(read).collect()
            };
        for patches in parsed {
            series.extend(patches?);
        }
    }
    if args.reverse {
        series.reverse();
    }
    let options = ApplyOptions {
        strip: args.strip,
        fuzz: args.fuzz,
        reverse: args.reverse,
    };
    let mut tree = WorkTree::open(&args.directory)
        .map_err(|e| apply_error(&args.directory.display().to_string(), &e))?;
    tree.prefetch(series.iter().map(|(_, patch)| patch), &options);
    let mut report = Report {
        patches: Vec::new(),
    };
    // The series is applied in memory either way, so a dry run checks each patch on top of the
    // earlier ones, as the real run would; only the final write is skipped.
    // Each patch is dropped once applied: the tree holds what it changed.
    for (name, patch) in series {
        let applied = tree
            .apply(&patch, &options)
            .map_err(|e| apply_error(&name, &e))?;
        report.patches.push(patch_report(&name, &applied));
    }
    if !args.dry_run {
        tree.write()
            .map_err(|e| apply_error(&args.directory.display().to_string(), &e))?;
    }
    for patch in &report.patches {
        for hunk in patch.hunks.iter().filter(|h| h.fuzz > 0) {
            warn(
                context.quiet,
                &format!(
                    "{}: hunk #{} of `{}` applied with fuzz {} at line {}",
                    patch.file, hunk.index, hunk.file, hunk.fuzz, hunk.line
                ),
            );
        }
    }
    match context.format {
        Format::Json => output::json(&report)?,
        Format::Human if !context.quiet => {
            // One write for the whole report: a long series would otherwise cost a terminal
            // probe and a system call per patch.
            let mut text = String::new();
            for patch in &report.patches {
                let verb = match (args.dry_run, args.reverse) {
                    (true, false) => "would apply",
                    (true, true) => "would reverse",
                    (false, false) => "applied",
                    (false, true) => "reversed",
                };
                let moved: Vec<String> = patch
                    .hunks
                    .iter()
                    .filter(|h| h.offset != 0)
                    .map(|h| format!("hunk #{} of `{}` at offset {:+}", h.index, h.file, h.offset))
                    .collect();
                let mut line = format!("{verb} {}", patch.file);
                if !moved.is_empty() {
                    line.push_str(&format!(" ({})", moved.join(", ")));
                }
                text.push_str(&line);
                text.push('\n');
            }
            super::output::stderr(&text);
        }
        Format::Human => {}
    }
    Ok(ExitCode::SUCCESS)
}

fn parse(input: &[u8], name: &str) -> Result<Vec<(String, Patch)>, CliError> {
    let patches = parse_patches(input).map_err(|error| {
        CliError::new(
            ErrorKind::Error,
            format!("`{name}` line {}: {}", error.line, error.message),
        )
        .hint("the input must be a unified diff (`diff -u`, `git diff`, `git format-patch`)")
    })?;
    let count = patches.len();
    Ok(patches
        .into_iter()
        .enumerate()
        .map(|(index, patch)| {
            let label = if count > 1 {
                format!("{name} [{}/{count}]", index + 1)
            } else {
                name.to_string()
            };
            (label, patch)
        })
        .collect())
}

fn patch_report(name: &str, applied: &AppliedPatch) -> PatchReport {
    PatchReport {
        file: name.to_string(),
        status: "applied",
        hunks: applied
            .files
            .iter()
            .flat_map(|file| {
                file.hunks.iter().map(|h| HunkReport {
                    file: file.path.clone(),
                    index: h.index,
                    line: h.line,
                    offset: h.offset,
                    fuzz: h.fuzz,
                })
            })
            .collect(),
    }
}

/// A user-facing error for a patch that did not apply: names the patch, the file, the hunk and
/// the line, shows the hunk and the closest match.
pub fn apply_error(patch: &str, error: &ApplyError) -> CliError {
    let kind = match error {
        ApplyError::HunkFailed { .. }
        | ApplyError::AlreadyApplied { .. }
        | ApplyError::MissingFile { .. }
        | ApplyError::FileExists { .. }
        | ApplyError::Mismatch { .. } => ErrorKind::Conflict,
        _ => ErrorKind::Error,
    };
    let mut cli = CliError::from_error(kind, error);
    cli.message = format!("`{patch}`: {}", cli.message);
    match error {
        ApplyError::HunkFailed {
            hunk_text, closest, ..
        } => {
            let mut detail = String::from("the hunk:\n");
            detail.push_str(&indent(hunk_text));
            match closest {
                Some(close) => {
                    detail.push_str(&format!(
                        "the closest match, at line {} ({} lines agree):\n",
                        close.line, close.matching_lines
                    ));
                    detail.push_str(&indent(&close.text));
                }
                None => detail.push_str("nothing in the file comes close\n"),
            }
            cli.detail = Some(detail);
            cli = cli.hint(
                "rebase the patch on this tree, or retry with `--fuzz 1` if only context moved (fuzzed hunks are reported)",
            );
        }
        ApplyError::AlreadyApplied { .. } => {
            cli = cli.hint("the change is already in the tree: drop the patch, or apply with `--reverse` to undo it");
        }
        ApplyError::Unsafe { .. } => {
            cli = cli.hint("mindelta never writes outside the tree or through a symbolic link");
        }
        _ => {}
    }
    cli
}

fn indent(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        out.push_str("    ");
        out.push_str(line);
        out.push('\n');
    }
    out
}

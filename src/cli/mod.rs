//! The command line: global options, one module per command, one exhaustive `match`.
//!
//! Flow: clap arguments → `Context` (resolved global options) → the command's module turns its
//! own arguments into library options, calls the library, and renders the result (human text on
//! stderr/stdout, or JSON on stdout). Errors become `CliError`, whose kind picks the exit code.

/// `eprintln!` for the command line: a line on stderr that is dropped, not a panic, when stderr
/// is closed or its reader went away (see `output::stderr`).
macro_rules! status {
    ($($arg:tt)*) => {
        $crate::cli::output::stderr(&format!("{}\n", format_args!($($arg)*)))
    };
}

mod apply;
mod audit;
mod check;
mod conversion;
mod drop;
mod error;
mod expire;
mod export;
mod fetch;
mod import;
mod list;
mod output;
mod patch_id;
mod patch_id_walk;
mod prepare;
mod progress;
mod recovery;
mod refresh;
mod release;
mod upgrade;
mod versions;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use mindelta::upstream::{FetchOptions, Fetcher};
use time::OffsetDateTime;

pub use error::{CliError, ErrorKind};
use progress::Bars;

/// Keep the delta between a distribution and its upstreams small.
#[derive(Debug, Parser)]
#[command(name = "mindelta", version, about, max_term_width = 100)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

/// Options every command accepts, before or after the command name.
#[derive(Debug, clap::Args)]
pub struct GlobalArgs {
    /// The workspace root (default: the nearest ancestor holding `patches/`)
    #[arg(long, global = true, value_name = "DIR")]
    workspace: Option<PathBuf>,
    /// Output format: human text, or JSON on stdout (the stable machine interface); `audit`
    /// also writes `markdown`, `sarif` and `html`
    #[arg(long, global = true, value_enum, default_value_t = FormatArg::Human)]
    format: FormatArg,
    /// Parallel jobs (default: the number of cores)
    #[arg(long, short = 'j', global = true, value_name = "N")]
    jobs: Option<usize>,
    /// Use only the cache; never touch the network
    #[arg(long, global = true)]
    offline: bool,
    /// Where downloads and git mirrors are kept (default: the platform cache folder)
    #[arg(long, global = true, value_name = "DIR", env = "MINDELTA_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
    /// When to use colour (`NO_COLOR` is honoured)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Print less (errors only)
    #[arg(long, short = 'q', global = true)]
    quiet: bool,
    /// Print more (repeat for debug logs)
    #[arg(long, short = 'v', global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(flatten)]
    fetch: fetch::FetchArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

/// Every `--format` value; commands other than `audit` accept only `human` and `json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Human,
    Json,
    Markdown,
    Sarif,
    Html,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Packages and their patches, one line each
    List(list::Args),
    /// Apply patches to a tree, like `patch`/`git apply` but safe by default
    Apply(apply::Args),
    /// Stable patch ids, the same output as `git patch-id --stable`
    PatchId(patch_id::Args),
    /// Fetch upstream at the pinned version, apply the needed patches, write the tree atomically
    Prepare(prepare::Args),
    /// Verdict for every patch against an upstream release, with evidence; changes nothing
    Check(check::Args),
    /// Act on `check`: drop expired patches, shrink partial ones, refresh the rest, move the version
    Expire(expire::Args),
    /// Rebase the patches onto a release: re-place moved hunks, drop hunks already upstream
    Refresh(refresh::Args),
    /// Move a package to a release and carry its series over (three-way merges, resumable stops)
    Upgrade(upgrade::Args),
    /// Remove a patch by hand, recorded in `expired:` with the reason `dropped`
    Drop(drop::Args),
    /// The delta report and policy findings (human, JSON, markdown, SARIF or an HTML page)
    Audit(audit::Args),
    /// Discovered upstream releases, newest first (`--explain`: how and why in this order)
    Versions(versions::Args),
    /// Bring an existing patch series in (quilt series, melange YAML), metadata included
    Import(import::Args),
    /// Write a package's patches out in another format (quilt series with DEP-3 headers)
    Export(export::Args),
}

/// Global options, resolved once before any work starts.
pub struct Context {
    pub workspace: Option<PathBuf>,
    pub format: Format,
    /// `--format` as given (`markdown`, `sarif` and `html` only for `audit`).
    pub format_arg: FormatArg,
    pub jobs: usize,
    pub offline: bool,
    pub cache_dir: PathBuf,
    /// The bounds of downloads, archives and git fetches.
    pub fetch: fetch::FetchArgs,
    pub quiet: bool,
    /// Progress bars only when stderr is a terminal and not quiet.
    pub progress: bool,
}

impl Context {
    fn new(global: GlobalArgs) -> Context {
        let jobs = global
            .jobs
            .filter(|n| *n > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        Context {
            workspace: global.workspace,
            format: match global.format {
                FormatArg::Json => Format::Json,
                _ => Format::Human,
            },
            format_arg: global.format,
            jobs,
            offline: global.offline,
            cache_dir: global.cache_dir.unwrap_or_else(default_cache_dir),
            fetch: global.fetch,
            quiet: global.quiet,
            progress: !global.quiet && std::io::stderr().is_terminal(),
        }
    }

    /// The fetch options of this run: the cache, `--offline` and every bound given.
    pub fn fetch_options(&self) -> FetchOptions {
        let mut options = FetchOptions::new(&self.cache_dir);
        options.offline = self.offline;
        self.fetch.apply(&mut options);
        options
    }

    /// The fetcher of this run ([`Context::fetch_options`]), its progress drawn by `bars`.
    pub fn fetcher(&self, bars: &Bars) -> Fetcher {
        self.fetcher_with(self.fetch_options(), bars)
    }

    /// A fetcher with `options` (this run's, adjusted by a command), its progress drawn by
    /// `bars`.
    pub fn fetcher_with(&self, options: FetchOptions, bars: &Bars) -> Fetcher {
        Fetcher::new(options, bars.fetch())
    }

    /// The worker pool of `--jobs` threads that parallel commands run on.
    pub fn pool(&self) -> Result<rayon::ThreadPool, CliError> {
        rayon::ThreadPoolBuilder::new()
            .num_threads(self.jobs)
            .build()
            .map_err(|e| CliError::new(ErrorKind::Error, format!("cannot start workers: {e}")))
    }

    /// The date of this run (`YYYY-MM-DD`, [`Context::now`]), as `expired:` records keep it.
    pub fn today(&self) -> Result<String, CliError> {
        let date = self.now()?.date();
        Ok(format!(
            "{:04}-{:02}-{:02}",
            date.year(),
            u8::from(date.month()),
            date.day()
        ))
    }

    /// The time of this run, for expiry records, audit ages and SBOM timestamps:
    /// `MINDELTA_NOW` (`YYYY-MM-DD`, midnight UTC) when set, else `SOURCE_DATE_EPOCH` (seconds)
    /// when it is a number, else the system clock (UTC). Either variable makes a run
    /// reproducible; an invalid `MINDELTA_NOW` is an error, never ignored.
    pub fn now(&self) -> Result<OffsetDateTime, CliError> {
        if let Ok(text) = std::env::var("MINDELTA_NOW")
            && !text.trim().is_empty()
        {
            let date = mindelta::audit::report::parse_date(&text).ok_or_else(|| {
                CliError::new(
                    ErrorKind::Error,
                    format!("`MINDELTA_NOW` is not a date: `{text}`"),
                )
                .hint("use `YYYY-MM-DD`, e.g. `MINDELTA_NOW=2026-12-01`")
            })?;
            return Ok(date.midnight().assume_utc());
        }
        Ok(std::env::var("SOURCE_DATE_EPOCH")
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok())
            .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
            .unwrap_or_else(OffsetDateTime::now_utc))
    }

    /// The workspace: `--workspace`, else discovered from the current folder; an edit that a
    /// killed command left is finished or rolled back first, and said so on stderr.
    pub fn workspace(&self) -> Result<mindelta::workspace::Workspace, CliError> {
        use mindelta::workspace::Workspace;
        let found = match &self.workspace {
            Some(dir) => Workspace::open(dir),
            None => Workspace::discover(&std::env::current_dir().unwrap_or_default()),
        };
        let workspace = found.map_err(|error| {
            CliError::from(&error).hint("run inside a workspace or pass `--workspace DIR`")
        })?;
        recovery::report(self, &workspace.recover());
        Ok(workspace)
    }
}

/// `$XDG_CACHE_HOME/mindelta`, else `~/.cache/mindelta`, else a folder in the temp dir.
fn default_cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("mindelta");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(home).join(".cache").join("mindelta");
    }
    std::env::temp_dir().join("mindelta-cache")
}

/// Run the command line and return the process exit code.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() { 2 } else { 0 };
            let _ = error.print();
            return ExitCode::from(code);
        }
    };
    match cli.global.color {
        ColorChoice::Always => anstream::ColorChoice::Always.write_global(),
        ColorChoice::Never => anstream::ColorChoice::Never.write_global(),
        ColorChoice::Auto => {}
    }
    // Logs and warnings of the library (`tracing`) follow `--color` and `NO_COLOR` as the
    // rest of stderr does.
    let color = anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never;
    init_logging(cli.global.verbose, cli.global.quiet, color);
    recovery::install_abort_hook();
    let context = Context::new(cli.global);
    if matches!(
        context.format_arg,
        FormatArg::Markdown | FormatArg::Sarif | FormatArg::Html
    ) && !matches!(cli.command, Command::Audit(_))
    {
        CliError::new(
            ErrorKind::Error,
            "`--format markdown`, `--format sarif` and `--format html` are only for `mindelta audit`",
        )
        .hint("use `--format human` or `--format json`")
        .print();
        return ExitCode::from(2);
    }
    if let Err(error) = binary_payload_budget() {
        error.print();
        return ExitCode::from(2);
    }
    let result = match cli.command {
        Command::List(args) => list::run(&context, args),
        Command::Apply(args) => apply::run(&context, args),
        Command::PatchId(args) => patch_id::run(&context, args),
        Command::Prepare(args) => prepare::run(&context, args),
        Command::Check(args) => check::run(&context, args),
        Command::Expire(args) => expire::run(&context, args),
        Command::Refresh(args) => refresh::run(&context, args),
        Command::Upgrade(args) => upgrade::run(&context, args),
        Command::Drop(args) => drop::run(&context, args),
        Command::Audit(args) => audit::run(&context, args),
        Command::Versions(args) => versions::run(&context, args),
        Command::Import(args) => import::run(&context, args),
        Command::Export(args) => export::run(&context, args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            error.print();
            error.exit_code()
        }
    }
}

/// `MINDELTA_BINARY_PAYLOAD_BUDGET`, when set, replaces the default bound on the bytes of binary
/// payloads alive at once in the whole process (`mindelta::patch::budget`).
fn binary_payload_budget() -> Result<(), CliError> {
    use mindelta::patch::budget::{
        BINARY_PAYLOAD_BUDGET_VARIABLE as VARIABLE, parse_byte_count, set_binary_payload_budget,
    };
    let Some(value) = std::env::var_os(VARIABLE) else {
        return Ok(());
    };
    let bytes = value.to_str().and_then(parse_byte_count).ok_or_else(|| {
        CliError::new(
            ErrorKind::Error,
            format!(
                "`{VARIABLE}` is not a byte count: `{}`",
                value.to_string_lossy()
            ),
        )
        .hint("give bytes, or a number with a `K`, `M` or `G` suffix, e.g. `512M`")
    })?;
    set_binary_payload_budget(bytes);
    Ok(())
}

fn init_logging(verbose: u8, quiet: bool, color: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, _) => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("MINDELTA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("mindelta={level}")));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(color)
        // Its fallback for a failed write is `eprintln!`, which panics on a broken pipe.
        .log_internal_errors(false)
        .without_time()
        .with_target(false)
        .try_init();
}

//! `mindelta patch-id --rev-range A..B [--git-dir DIR]`: the stable patch id of every non-merge
//! commit of a range, as `git log -p --no-merges A..B | git patch-id --stable` prints them.
//!
//! The entry point of the `patch-id` expiry detector's history walk (`git::history`), for
//! checking it against git and for `bench/patch-id-walk.sh`. Ids go through the same on-disk
//! cache as `check` (keyed by the repository's path), unless `--no-cache`.

use std::path::PathBuf;
use std::process::ExitCode;

use super::{CliError, Context, ErrorKind, output};
use mindelta::expiry::history::{History, PatchIdCache, patch_ids};

/// The options of the history walk, flattened into `patch-id`'s arguments.
#[derive(Debug, clap::Args)]
pub struct WalkArgs {
    /// Print the patch id of every non-merge commit of RANGE (`A..B`, or `B` for all of its
    /// history) instead of reading patches
    #[arg(long, value_name = "RANGE", conflicts_with = "patches")]
    pub rev_range: Option<String>,
    /// The repository RANGE is read from (default: the current folder)
    #[arg(long, value_name = "DIR", requires = "rev_range")]
    pub git_dir: Option<PathBuf>,
    /// Neither read nor write the patch-id cache (a cold walk)
    #[arg(long, requires = "rev_range")]
    pub no_cache: bool,
}

pub fn run(context: &Context, args: &WalkArgs, range: &str) -> Result<ExitCode, CliError> {
    let dir = args.git_dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let history = History::open_path(&dir).map_err(|e| {
        CliError::from_error(ErrorKind::Error, &e).hint("pass `--git-dir` a git repository")
    })?;
    let revision = |spec: &str| {
        history
            .revision(spec)
            .map_err(|e| CliError::from_error(ErrorKind::Error, &e))
    };
    let (hide, tip) = match range.split_once("..") {
        Some((from, to)) => (
            Some(revision(from)?),
            revision(if to.is_empty() { "HEAD" } else { to })?,
        ),
        None => (None, revision(range)?),
    };
    let commits = history
        .non_merge_commits(tip, hide, None)
        .map_err(|e| CliError::from_error(ErrorKind::Error, &e))?;
    let mut cache = if args.no_cache {
        PatchIdCache::in_memory()
    } else {
        PatchIdCache::load(&context.cache_dir, history.url())
    };
    let git_dir = history.path().to_path_buf();
    let walked = context
        .pool()?
        .install(|| patch_ids(&git_dir, &commits, &mut cache, None))
        .map_err(|e| CliError::from_error(ErrorKind::Error, &e))?;
    if walked.missing > 0 {
        status!(
            "warning: {} of {} commits have no patch id: `{}` is a partial clone that lacks objects their diffs need",
            walked.missing,
            commits.len(),
            git_dir.display()
        );
    }
    let ids = walked.ids;
    let mut text = String::with_capacity(ids.len() * 82);
    for (commit, patch_id) in ids {
        if let Some(patch_id) = patch_id {
            text.push_str(&format!("{patch_id} {commit}\n"));
        }
    }
    output::stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}

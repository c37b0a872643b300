//! The options several commands share, and how they are resolved into a `Context`.
//!
//! Each command flattens the groups it takes (`--workspace`, `--format`, `--jobs`, the network
//! and cache options), so its `--help` lists only those, and its `--format` only the values it
//! writes. The same options are accepted before the command name (DESIGN.md §5): `Cli` holds
//! them there too, as plain options of the top level (not clap's `global`, which would list
//! them under every command). Resolution, in `Given::resolve`: the value after the command
//! name, else the one before it, else the environment (`MINDELTA_CACHE_DIR` and the bounds of
//! `fetch.rs`), else the default. A value given before the name of a command that does not take
//! it is ignored, except `--format`, which must be one the command writes.
//!
//! The environment is read here rather than through clap's `env`: clap counts a value from the
//! environment as given on the command line, and so printed `--cache-dir <DIR>` among the
//! required arguments of the usage line whenever `MINDELTA_CACHE_DIR` was set.

use std::path::PathBuf;

use super::fetch::FetchArgs;
use super::{Format, FormatArg};

/// `--workspace DIR`, for the commands that read a workspace.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct WorkspaceArg {
    /// The workspace root (default: the nearest ancestor holding `patches/`)
    #[arg(long, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
}

/// `--format human|json`, for the commands that write JSON too.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct FormatArgs {
    /// Output format: human text (the default), or JSON on stdout (the stable machine
    /// interface)
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,
}

/// `--jobs N`, for the commands that work in parallel.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct JobsArg {
    /// Parallel jobs (default: the number of cores)
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
}

/// `--cache-dir DIR`, for the commands that keep something in the cache.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CacheArg {
    /// Where downloads, git mirrors and patch ids are kept (default: the platform cache
    /// folder) [env: MINDELTA_CACHE_DIR]
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
}

/// `--offline`, `--cache-dir` and the bounds of downloads, for the commands that fetch
/// upstream releases.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct NetworkArgs {
    /// Use only the cache; never touch the network
    #[arg(long)]
    pub offline: bool,
    #[command(flatten)]
    pub cache: CacheArg,
    #[command(flatten)]
    pub fetch: FetchArgs,
}

/// The shared options as one command line gave them, before the command name (`Cli`) or
/// after it (the command's own groups).
#[derive(Debug, Clone, Default)]
pub struct Given {
    pub workspace: Option<PathBuf>,
    pub format: Option<FormatArg>,
    pub jobs: Option<usize>,
    pub offline: bool,
    pub cache_dir: Option<PathBuf>,
    pub fetch: FetchArgs,
}

impl Given {
    /// What a command's groups hold; a command passes `None` for a group it does not take.
    pub fn of(
        workspace: Option<&WorkspaceArg>,
        format: Option<FormatArg>,
        jobs: Option<&JobsArg>,
        cache: Option<&CacheArg>,
        network: Option<&NetworkArgs>,
    ) -> Given {
        Given {
            workspace: workspace.and_then(|w| w.workspace.clone()),
            format,
            jobs: jobs.and_then(|j| j.jobs),
            offline: network.is_some_and(|n| n.offline),
            cache_dir: cache
                .or(network.map(|n| &n.cache))
                .and_then(|c| c.cache_dir.clone()),
            fetch: network.map(|n| n.fetch.clone()).unwrap_or_default(),
        }
    }

    /// This command's values, each taken from `before` (the options before the command name)
    /// where the command's own is missing.
    pub fn or(self, before: Given) -> Given {
        Given {
            workspace: self.workspace.or(before.workspace),
            format: self.format.or(before.format),
            jobs: self.jobs.or(before.jobs),
            offline: self.offline || before.offline,
            cache_dir: self.cache_dir.or(before.cache_dir),
            fetch: self.fetch.or(before.fetch),
        }
    }

    /// The cache folder: given, else `MINDELTA_CACHE_DIR`, else the platform's.
    pub fn cache_dir(&self) -> PathBuf {
        self.cache_dir
            .clone()
            .or_else(|| {
                std::env::var_os("MINDELTA_CACHE_DIR")
                    .filter(|d| !d.is_empty())
                    .map(PathBuf::from)
            })
            .unwrap_or_else(default_cache_dir)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_value_wins_over_the_one_before_it() {
        let before = Given {
            workspace: Some("a".into()),
            format: Some(FormatArg::Json),
            jobs: Some(2),
            offline: true,
            ..Given::default()
        };
        let after = Given {
            workspace: Some("b".into()),
            ..Given::default()
        };
        let merged = after.or(before);
        assert_eq!(merged.workspace, Some("b".into()));
        assert_eq!(merged.format, Some(FormatArg::Json));
        assert_eq!(merged.jobs, Some(2));
        assert!(merged.offline);
    }
}

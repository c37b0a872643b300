//! The shard options of `audit`, `check` and `prepare`: `--shard K/N` (K from 1, as a CI
//! matrix lists it), or `--shard-index-env VAR --shard-count N` (a 0-based job index read from
//! the environment, as Kubernetes sets `JOB_COMPLETION_INDEX` in an Indexed Job), resolved into
//! one `Shard` before any work starts.

use super::{CliError, ErrorKind};
use mindelta::workspace::shard::Shard;

/// Which shard of the packages to work on.
#[derive(Debug, Clone, clap::Args)]
pub struct ShardArgs {
    /// Only shard K of N, K from 1 (a stable split by package name: FNV-1a of the name mod N)
    #[arg(long, value_name = "K/N", conflicts_with = "shard_index_env")]
    shard: Option<Shard>,
    /// Take the shard from a 0-based job index in the environment variable VAR (Kubernetes:
    /// `JOB_COMPLETION_INDEX`); index 0 is shard 1 of `--shard-count`
    #[arg(long, value_name = "VAR", requires = "shard_count")]
    shard_index_env: Option<String>,
    /// How many shards in all, with `--shard-index-env`
    #[arg(long, value_name = "N", requires = "shard_index_env")]
    shard_count: Option<usize>,
}

impl ShardArgs {
    /// The shard to keep, or `None` to keep every package.
    pub fn resolve(&self) -> Result<Option<Shard>, CliError> {
        if let Some(shard) = self.shard {
            return Ok(Some(shard));
        }
        let (Some(variable), Some(count)) = (&self.shard_index_env, self.shard_count) else {
            return Ok(None);
        };
        let index = std::env::var(variable).map_err(|_| {
            CliError::new(
                ErrorKind::Error,
                format!("the environment variable `{variable}` is not set"),
            )
            .hint(format!(
                "`--shard-index-env {variable}` reads this job's 0-based index from it \
                 (Kubernetes sets `JOB_COMPLETION_INDEX` in an Indexed Job); or pass `--shard K/N`"
            ))
        })?;
        Shard::from_zero_based_text(&index, count)
            .map(Some)
            .map_err(|error| {
                CliError::from_error(ErrorKind::Error, &error)
                    .hint(format!("`{variable}` must hold this job's index, from 0"))
            })
    }
}

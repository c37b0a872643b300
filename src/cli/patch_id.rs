//! `mindelta patch-id PATCH…`: `<patch-id> <commit-id>` lines, exactly as `git patch-id --stable`.

use std::io::Read;
use std::path::PathBuf;

use super::{CliError, Context, ErrorKind, output};
use mindelta::patch::patch_id::stable_patch_ids;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Patch files or mboxes (default: standard input)
    patches: Vec<PathBuf>,
    #[command(flatten)]
    walk: super::patch_id_walk::WalkArgs,
    #[command(flatten)]
    pub jobs: super::options::JobsArg,
    #[command(flatten)]
    pub cache: super::options::CacheArg,
}

pub fn run(_context: &Context, args: Args) -> Result<std::process::ExitCode, CliError> {
    if let Some(range) = &args.walk.rev_range {
        return super::patch_id_walk::run(_context, &args.walk, range);
    }
    let mut text = String::new();
    let inputs = if args.patches.is_empty() {
        let mut input = Vec::new();
        std::io::stdin()
            .read_to_end(&mut input)
            .map_err(|e| CliError::new(ErrorKind::Error, format!("cannot read stdin: {e}")))?;
        vec![input]
    } else {
        let mut inputs = Vec::new();
        for path in &args.patches {
            inputs.push(std::fs::read(path).map_err(|e| {
                CliError::new(
                    ErrorKind::Error,
                    format!("cannot read `{}`: {e}", path.display()),
                )
            })?);
        }
        inputs
    };
    for input in inputs {
        for (patch_id, commit_id) in stable_patch_ids(&input) {
            text.push_str(&format!("{patch_id} {commit_id}\n"));
        }
    }
    output::stdout(&text)?;
    Ok(std::process::ExitCode::SUCCESS)
}

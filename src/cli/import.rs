//! `mindelta import quilt DIR …` and `mindelta import melange FILE`: bring an existing patch
//! series into the workspace (`interop`), metadata included.
//!
//! The workspace is `--workspace` (its `patches/` is created when missing) or the discovered
//! one. Local upstream paths are made absolute (they are resolved from the package folder
//! otherwise); a tarball without `--sha256` (its `{version}` filled in) is fetched once through
//! the cache and the checksum of what was fetched is written (`Fetcher::checksum`); an
//! `--upstream-dir` that names the version becomes a `{version}` template, and one that does
//! not is kept with a warning that says why (it provides that one release only).

use std::path::PathBuf;
use std::process::ExitCode;

use super::error::warn;
use super::progress::Bars;
use super::{CliError, Context, ErrorKind, Format, output};
use mindelta::interop::{
    DirUpstream, ImportedPackage, MelangeImport, QuiltImport, dir_upstream, import_melange,
    import_quilt,
};
use mindelta::workspace::manifest::expand;
use mindelta::workspace::{Upstream, UpstreamSource, Workspace};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    format: Source,
}

impl Args {
    /// `--workspace`, `--format` and (`quilt`, which may download a tarball) the network
    /// options, taken after the kind (`import quilt … --format json`).
    pub fn shared(
        &self,
    ) -> (
        &super::options::WorkspaceArg,
        &super::options::FormatArgs,
        Option<&super::options::NetworkArgs>,
    ) {
        match &self.format {
            Source::Quilt(args) => (&args.workspace, &args.output, Some(&args.network)),
            Source::Melange(args) => (&args.workspace, &args.output, None),
        }
    }
}

#[derive(Debug, clap::Subcommand)]
enum Source {
    /// A quilt series: DIR holds `series` (or is a source tree with `debian/patches/series`)
    Quilt(Box<QuiltArgs>),
    /// A melange package YAML (fetch/git-checkout source, patch steps, update block)
    Melange(MelangeArgs),
}

#[derive(Debug, clap::Args)]
struct QuiltArgs {
    /// The folder holding `series`, or the `series` file itself
    dir: PathBuf,
    /// The package name (its folder under `patches/`)
    #[arg(long)]
    name: String,
    /// The upstream release the series applies to
    #[arg(long)]
    version: String,
    /// A git upstream (URL or local path)
    #[arg(long, value_name = "URL", group = "upstream")]
    upstream_git: Option<String>,
    /// The tag template of a git upstream (default `v{version}`, then `{version}`)
    #[arg(long, value_name = "TEMPLATE", requires = "upstream_git")]
    tag: Option<String>,
    /// A tarball upstream (URL, `file://` URL or local path; `{version}` allowed)
    #[arg(long, value_name = "URL", group = "upstream")]
    upstream_tarball: Option<String>,
    /// The sha256 of the tarball (left out: the tarball is downloaded once, through the cache,
    /// and the checksum of what was fetched is written)
    #[arg(long, value_name = "HEX", requires = "upstream_tarball")]
    sha256: Option<String>,
    /// The git repository of a tarball upstream's project, for the history detectors of
    /// `check` (default: the `Repository:` of a Debian source's `debian/upstream/metadata`)
    #[arg(long, value_name = "URL", requires = "upstream_tarball")]
    history: Option<String>,
    /// A local upstream tree
    #[arg(long, value_name = "PATH", group = "upstream")]
    upstream_dir: Option<PathBuf>,
    /// Replace an existing package of the same name
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    workspace: super::options::WorkspaceArg,
    #[command(flatten)]
    output: super::options::FormatArgs,
    #[command(flatten)]
    network: super::options::NetworkArgs,
}

#[derive(Debug, clap::Args)]
struct MelangeArgs {
    /// The melange YAML file (patches are looked up in `<its folder>/<package>/`, then beside it)
    file: PathBuf,
    /// The package name (default: `package.name` of the YAML)
    #[arg(long)]
    name: Option<String>,
    /// Replace an existing package of the same name
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    workspace: super::options::WorkspaceArg,
    #[command(flatten)]
    output: super::options::FormatArgs,
}

pub fn run(context: &Context, args: Args) -> Result<ExitCode, CliError> {
    let workspace = workspace(context)?;
    let imported = match args.format {
        Source::Quilt(quilt) => {
            let upstream = upstream(&quilt, context)?;
            import_quilt(
                &workspace.patches_dir(),
                &QuiltImport {
                    source: quilt.dir,
                    name: quilt.name,
                    upstream,
                    force: quilt.force,
                },
            )
        }
        Source::Melange(melange) => import_melange(
            &workspace.patches_dir(),
            &MelangeImport {
                file: melange.file,
                name: melange.name,
                force: melange.force,
            },
        ),
    }
    .map_err(|e| CliError::from(&e))?;
    render(context, &imported)?;
    Ok(ExitCode::SUCCESS)
}

/// `--workspace DIR` (creating its `patches/`), else the discovered workspace.
fn workspace(context: &Context) -> Result<Workspace, CliError> {
    if let Some(root) = &context.workspace
        && root.is_dir()
        && !root.join("patches").exists()
    {
        std::fs::create_dir_all(root.join("patches")).map_err(|e| {
            CliError::new(
                ErrorKind::Error,
                format!("cannot create `{}`: {e}", root.join("patches").display()),
            )
        })?;
    }
    context.workspace()
}

fn upstream(args: &QuiltArgs, context: &Context) -> Result<Upstream, CliError> {
    let source = if let Some(url) = &args.upstream_git {
        UpstreamSource::Git {
            url: absolute_if_local(url),
            tag: args.tag.clone(),
            commit: None,
        }
    } else if let Some(url) = &args.upstream_tarball {
        let url = absolute_if_local(url);
        let sha256 = match &args.sha256 {
            Some(sum) => Some(sum.trim().to_ascii_lowercase()),
            None if context.offline => {
                warn(
                    context.quiet,
                    "no `--sha256` and `--offline`: the tarball was not downloaded, so the manifest \
                     has no checksum; run `mindelta pin PKG` once online",
                );
                None
            }
            None => {
                // Downloaded once, through the cache: `prepare` then finds it there.
                let expanded = expand(&url, args.version.trim());
                let bars = Bars::new(context);
                let sum = context.fetcher(&bars).checksum(&expanded).map_err(|e| {
                    CliError::from(&e)
                        .hint("nothing was imported; pass `--sha256 HEX` if you know it")
                })?;
                if !context.quiet {
                    status!("downloaded `{expanded}`: sha256 {sum}");
                }
                Some(sum)
            }
        };
        let git = args
            .history
            .clone()
            .or_else(|| mindelta::interop::quilt::dep12_repository(&args.dir));
        UpstreamSource::Tarball { url, sha256, git }
    } else if let Some(dir) = &args.upstream_dir {
        let path = std::path::absolute(dir)
            .unwrap_or_else(|_| dir.clone())
            .to_string_lossy()
            .into_owned();
        let path = match dir_upstream(&path, &args.version) {
            DirUpstream::Template(template) => template,
            DirUpstream::Fixed { path, reason } => {
                warn(
                    context.quiet,
                    &format!(
                        "cannot write a `{{version}}` template for `--upstream-dir`: {reason}"
                    ),
                );
                path
            }
        };
        UpstreamSource::Dir { path }
    } else {
        return Err(CliError::new(
            ErrorKind::Error,
            "the upstream is missing".to_string(),
        )
        .hint("pass `--upstream-git URL`, `--upstream-tarball URL [--sha256 HEX]` or `--upstream-dir PATH`"));
    };
    Ok(Upstream {
        version: args.version.trim().to_string(),
        source,
        releases: None,
        scheme: None,
        version_line: 0,
        native: None,
    })
}

/// URLs stay as they are; a local path becomes absolute.
fn absolute_if_local(location: &str) -> String {
    if location.contains("://") || location.starts_with("git@") {
        return location.to_string();
    }
    std::path::absolute(location)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| location.to_string())
}

fn render(context: &Context, imported: &ImportedPackage) -> Result<(), CliError> {
    for note in &imported.not_imported {
        warn(context.quiet, &format!("not imported: {note}"));
    }
    match context.format {
        Format::Json => output::json(imported),
        Format::Human => {
            let mut text = String::new();
            for patch in &imported.patches {
                let mut line = format!("  {}", patch.file);
                if let Some(status) = patch.status {
                    line.push_str(&format!("  {}", status.as_str()));
                }
                if patch.strip != 1 {
                    line.push_str(&format!("  -p{}", patch.strip));
                }
                if let Some(commit) = &patch.upstream_commit {
                    line.push_str(&format!("  {}", &commit[..commit.len().min(12)]));
                }
                if !patch.cves.is_empty() {
                    line.push_str(&format!("  {}", patch.cves.join(",")));
                }
                text.push_str(&line);
                text.push('\n');
            }
            output::stdout(&text)?;
            if !context.quiet {
                status!(
                    "imported {} {} into {}: {} patch{}",
                    imported.name,
                    imported.version,
                    imported.dir.display(),
                    imported.patches.len(),
                    if imported.patches.len() == 1 {
                        ""
                    } else {
                        "es"
                    }
                );
            }
            Ok(())
        }
    }
}

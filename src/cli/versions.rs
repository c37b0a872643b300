//! `mindelta versions PKG [--explain] [--prereleases]`: the discovered upstream releases.
//!
//! Human output: one release per line, newest first, with its tag (or tarball URL or folder);
//! `*` marks the version the manifest targets. `--explain` adds how each tag became a version
//! and, between neighbours, why they order that way. JSON: `{"name", "version", "scheme",
//! "releases": [Release…]}`. An unreachable upstream exits 5, unless the manifest names a
//! listing page to read instead (a warning on stderr says so).

use std::process::ExitCode;

use super::error::warn;
use super::progress::Bars;
use super::{CliError, Context, Format, output};
use mindelta::layout::wrap;
use mindelta::upstream::release::{Release, discover_with_fallback};
use mindelta::upstream::version::{Scheme, compare, explain};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The package
    package: String,
    /// Show how each tag became a version and why the releases order as they do
    #[arg(long)]
    explain: bool,
    /// Include pre-releases (rc, beta, alpha, dev, pre, `~`)
    #[arg(long)]
    prereleases: bool,
    #[command(flatten)]
    pub workspace: super::options::WorkspaceArg,
    #[command(flatten)]
    pub format: super::options::FormatArgs,
    #[command(flatten)]
    pub network: super::options::NetworkArgs,
}

pub fn run(context: &Context, args: Args) -> Result<ExitCode, CliError> {
    let workspace = context.workspace()?;
    let package = workspace
        .load(&args.package)
        .map_err(|e| CliError::from(&e))?;
    let fetcher = context.fetcher(&Bars::new(context));
    let discovery = discover_with_fallback(&package, &fetcher, args.prereleases)
        .map_err(|e| CliError::from(&e))?;
    if let Some(fallback) = &discovery.fallback {
        warn(
            context.quiet,
            &format!(
                "{}: {}; the releases are read from the listing `{}` instead of the git tags",
                package.name, fallback.error, fallback.listing
            ),
        );
    }
    let releases = discovery.releases;
    let upstream = &package.manifest.upstream;
    let scheme = Scheme::parse(upstream.scheme.as_deref());
    match context.format {
        Format::Json => output::json(&serde_json::json!({
            "name": package.name,
            "version": upstream.version,
            "scheme": scheme.as_str(),
            "releases": releases,
        }))?,
        Format::Human => {
            let text = render(
                &releases,
                scheme,
                &upstream.version,
                args.explain,
                output::width(),
            );
            output::stdout(&text)?;
            if releases.is_empty() && !context.quiet {
                status!("{}: no upstream releases found", package.name);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The human listing: `* 1.1  v1.1`, newest first, with explanations when asked, wrapped to
/// `width` columns.
fn render(
    releases: &[Release],
    scheme: Scheme,
    current: &str,
    explain_order: bool,
    width: usize,
) -> String {
    let version_width = releases
        .iter()
        .map(|r| r.version.chars().count())
        .max()
        .unwrap_or(0);
    let mut text = String::new();
    for (index, release) in releases.iter().enumerate() {
        let marker = if compare(scheme, &release.version, current).is_eq() {
            '*'
        } else {
            ' '
        };
        let source = release
            .tag
            .as_deref()
            .or(release.url.as_deref())
            .unwrap_or("");
        let mut line = format!("{marker} {:<version_width$}  {source}", release.version);
        if release.prerelease {
            line.push_str("  (pre-release)");
        }
        text.push_str(line.trim_end());
        text.push('\n');
        if explain_order {
            text.push_str(&wrap(
                &release.explanation,
                width,
                "    from: ",
                "          ",
            ));
            if let Some(next) = releases.get(index + 1) {
                let why = explain(scheme, &release.version, &next.version);
                text.push_str(&wrap(&why, width, "    order: ", "           "));
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(version: &str, tag: &str, prerelease: bool) -> Release {
        Release {
            version: version.into(),
            tag: Some(tag.into()),
            url: None,
            prerelease,
            explanation: format!("tag `{tag}`"),
        }
    }

    #[test]
    fn marks_the_current_version_and_explains_neighbours() {
        let releases = [
            release("1.10", "v1.10", false),
            release("1.9", "zlib-1.9", false),
            release("1.9rc1", "v1.9rc1", true),
        ];
        let text = render(&releases, Scheme::Default, "1.9", false, 80);
        assert_eq!(
            text,
            "  1.10    v1.10\n* 1.9     zlib-1.9\n  1.9rc1  v1.9rc1  (pre-release)\n"
        );
        let explained = render(&releases, Scheme::Default, "v1.9", true, 80);
        assert!(explained.contains("    order: 1.10 > 1.9: numeric run 10 > 9\n"));
        assert!(explained.contains("    order: 1.9 > 1.9rc1: `rc` is a pre-release\n"));
        assert!(explained.contains("    from: tag `zlib-1.9`\n"));
    }
}

//! `mindelta list`: the packages of the workspace and their patches, one line each.

use serde::Serialize;

use super::error::report_failures;
use super::{CliError, Context, Format, output};
use mindelta::audit::report::UnfinishedUpgrade;
use mindelta::layout::{Rows, text_width, wrap};
use mindelta::workspace::{Package, UpstreamSource, Workspace};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only these packages (default: all)
    packages: Vec<String>,
    #[command(flatten)]
    pub workspace: super::options::WorkspaceArg,
    #[command(flatten)]
    pub format: super::options::FormatArgs,
}

#[derive(Serialize)]
struct ListedPackage {
    name: String,
    version: String,
    upstream: ListedUpstream,
    patches: Vec<ListedPatch>,
    #[serde(skip_serializing_if = "Option::is_none")]
    upgrade: Option<UnfinishedUpgrade>,
}

#[derive(Serialize)]
struct ListedUpstream {
    kind: &'static str,
    url: String,
}

#[derive(Serialize)]
struct ListedPatch {
    file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fixed_in: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    cves: Vec<String>,
}

pub fn run(context: &Context, args: Args) -> Result<std::process::ExitCode, CliError> {
    let workspace = context.workspace()?;
    let names = if args.packages.is_empty() {
        workspace.package_names().map_err(|e| CliError::from(&e))?
    } else {
        args.packages
    };
    let mut listed = Vec::new();
    let mut failures = Vec::new();
    for name in &names {
        match workspace.load(name) {
            Ok(package) => listed.push(describe(&workspace, &package)),
            Err(error) => failures.push(CliError::from(&error)),
        }
    }
    match context.format {
        Format::Json => output::json(&serde_json::json!({ "packages": listed }))?,
        Format::Human => output::stdout(&render(&listed))?,
    }
    report_failures(failures)
}

fn describe(workspace: &Workspace, package: &Package) -> ListedPackage {
    let upstream = &package.manifest.upstream;
    let (kind, url) = match &upstream.source {
        UpstreamSource::Git { url, .. } => ("git", url.clone()),
        UpstreamSource::Tarball { url, .. } => ("tarball", url.clone()),
        UpstreamSource::Dir { path } => ("dir", path.clone()),
    };
    ListedPackage {
        name: package.name.clone(),
        version: upstream.version.clone(),
        upstream: ListedUpstream { kind, url },
        patches: package
            .manifest
            .patches
            .iter()
            .map(|p| ListedPatch {
                file: p.file.clone(),
                status: p.status.map(|s| s.as_str()),
                reason: p.reason.clone(),
                fixed_in: p.fixed_in.clone(),
                cves: p.cves.clone(),
            })
            .collect(),
        upgrade: UnfinishedUpgrade::of(workspace, &package.name),
    }
}

/// One heading per package, then `file  status  fixed-in CVEs  reason` per patch, fitted to
/// the width of the output (`output::width`): a heading too long puts the upstream on a line
/// of its own, and patch rows too long put the reason under the file.
fn render(packages: &[ListedPackage]) -> String {
    let width = output::width();
    let mut text = String::new();
    for package in packages {
        let count = format!(
            "{} patch{}",
            package.patches.len(),
            if package.patches.len() == 1 { "" } else { "es" }
        );
        let heading = format!(
            "{} {} ({} {}), {count}",
            package.name, package.version, package.upstream.kind, package.upstream.url,
        );
        if text_width(&heading) <= width {
            text.push_str(&heading);
            text.push('\n');
        } else {
            text.push_str(&format!(
                "{} {}, {count}\n    ({} {})\n",
                package.name, package.version, package.upstream.kind, package.upstream.url
            ));
        }
        if let Some(upgrade) = &package.upgrade {
            let line = format!(
                "{upgrade} (`mindelta upgrade {} --continue`, `--skip` or `--abort`)",
                package.name
            );
            text.push_str(&wrap(&line, width, "  ", "    "));
        }
        let mut rows = Rows::new("  ");
        for patch in &package.patches {
            let mut about = Vec::new();
            if let Some(fixed_in) = &patch.fixed_in {
                about.push(format!("fixed-in {fixed_in}"));
            }
            if !patch.cves.is_empty() {
                about.push(patch.cves.join(","));
            }
            if let Some(reason) = &patch.reason {
                about.push(reason.clone());
            }
            rows.push(
                vec![patch.file.clone(), patch.status.unwrap_or("-").to_owned()],
                about.join("  "),
            );
        }
        text.push_str(&rows.render(Some(width)));
    }
    text
}

//! `mindelta list`: the packages of the workspace and their patches, one line each.

use serde::Serialize;

use super::error::report_failures;
use super::{CliError, Context, Format, output};
use mindelta::audit::report::UnfinishedUpgrade;
use mindelta::workspace::{Package, UpstreamSource, Workspace};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only these packages (default: all)
    packages: Vec<String>,
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

fn render(packages: &[ListedPackage]) -> String {
    let mut text = String::new();
    for package in packages {
        text.push_str(&format!(
            "{} {} ({} {}), {} patch{}\n",
            package.name,
            package.version,
            package.upstream.kind,
            package.upstream.url,
            package.patches.len(),
            if package.patches.len() == 1 { "" } else { "es" }
        ));
        let width = package
            .patches
            .iter()
            .map(|p| p.file.len())
            .max()
            .unwrap_or(0);
        if let Some(upgrade) = &package.upgrade {
            text.push_str(&format!(
                "  {upgrade} (`mindelta upgrade {} --continue`, `--skip` or `--abort`)\n",
                package.name
            ));
        }
        for patch in &package.patches {
            let mut line = format!(
                "  {:width$}  {:<17}",
                patch.file,
                patch.status.unwrap_or("-")
            );
            if let Some(fixed_in) = &patch.fixed_in {
                line.push_str(&format!(" fixed-in {fixed_in}"));
            }
            if !patch.cves.is_empty() {
                line.push_str(&format!(" {}", patch.cves.join(",")));
            }
            if let Some(reason) = &patch.reason {
                line.push_str(&format!("  {reason}"));
            }
            text.push_str(line.trim_end());
            text.push('\n');
        }
    }
    text
}

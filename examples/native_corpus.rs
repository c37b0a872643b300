//! Read a corpus with the native readers and report what could not be read (run by hand; the
//! corpora are not in CI):
//!
//! ```text
//! cargo run --example native_corpus -- melange WOLFI_OS_CHECKOUT [--against REVISION]
//! cargo run --example native_corpus -- debian SOURCE_TREE...
//! ```
//!
//! `melange`: every package file of the repository is read (count, time, every failure and its
//! reason); for every package with a `git-checkout` the tag at its own version is computed, and
//! checked against the update rules (the tag must map back to the version). With `--against`,
//! the package files of an older revision of the same repository are read from git, and the tag
//! today's file computes for the old version is compared with the tag the old file wrote.
//! `debian`: each unpacked source package is read and summarised.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use mindelta::native::debian::{self, DebianOptions};
use mindelta::native::melange::{self, MelangeOptions, MelangePackage, PatchLocation};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("melange") if args.len() >= 2 => {
            let against = args
                .iter()
                .position(|a| a == "--against")
                .and_then(|i| args.get(i + 1));
            melange_corpus(Path::new(&args[1]), against.map(String::as_str));
        }
        Some("debian") if args.len() >= 2 => {
            for folder in &args[1..] {
                debian_tree(Path::new(folder));
            }
        }
        _ => {
            eprintln!("usage: native_corpus melange DIR [--against REV] | debian DIR...");
            std::process::exit(2);
        }
    }
}

fn melange_corpus(repository: &Path, against: Option<&str>) {
    let options = MelangeOptions::default();
    let started = Instant::now();
    let files = melange::package_files(repository).expect("list the repository");
    let listed = started.elapsed();
    let mut packages = Vec::new();
    let mut failures: Vec<(PathBuf, String)> = Vec::new();
    for file in &files {
        match melange::read_package(file, &options) {
            Ok(package) => packages.push(package),
            Err(error) => failures.push((file.clone(), chain(&error))),
        }
    }
    let elapsed = started.elapsed();
    println!(
        "{} package files ({} listed in {:.2?}); read {} in {:.2?}; {} failed",
        files.len(),
        files.len(),
        listed,
        packages.len(),
        elapsed,
        failures.len()
    );
    for (file, reason) in &failures {
        println!("  FAILED {}: {reason}", file.display());
    }

    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for package in &packages {
        let package_patches = package.patches.len();
        *counts.entry("patches").or_default() += package_patches;
        if package_patches > 0 {
            *counts.entry("packages with patches").or_default() += 1;
        }
        *counts.entry("patches in the build tree").or_default() += package
            .patches
            .iter()
            .filter(|p| p.location == PatchLocation::BuildTree)
            .count();
        *counts.entry("patches in subpackage pipelines").or_default() += package
            .patches
            .iter()
            .filter(|p| p.step.subpackage.is_some())
            .count();
        *counts.entry("patches in nested pipelines").or_default() += package
            .patches
            .iter()
            .filter(|p| p.step.path.len() > 1)
            .count();
        *counts
            .entry("series not in the package folder")
            .or_default() += package.unread_series.len();
        *counts.entry("shell patch commands").or_default() += package.shell_patches.len();
        *counts.entry("var-transforms").or_default() += package.var_transforms.len();
        if package.update.reads_tags() {
            *counts.entry("update reads tags").or_default() += 1;
        }
        if package.history_repository().is_some() {
            *counts.entry("history repository known").or_default() += 1;
        }
    }
    for (what, count) in &counts {
        println!("  {what}: {count}");
    }
    for package in &packages {
        for patch in package
            .patches
            .iter()
            .filter(|p| p.location == PatchLocation::BuildTree)
        {
            println!(
                "  build-tree patch {}: {}",
                package.file.display(),
                patch.written
            );
        }
    }
    tags(&packages);
    if let Some(revision) = against {
        older_revision(repository, revision, &packages, &options);
    }
}

/// Tag at the own version; round trip through the update rules.
fn tags(packages: &[MelangePackage]) {
    let mut with_checkout = 0;
    let mut with_tag = 0;
    let mut failed = Vec::new();
    let mut round_trip = (0, 0, Vec::new());
    let mut frozen = Vec::new();
    for package in packages {
        let version = &package.version.value;
        let at = match package.at(version) {
            Ok(at) => at,
            Err(error) => {
                failed.push(format!("{}: {}", package.file.display(), chain(&error)));
                continue;
            }
        };
        if at.git_checkouts.is_empty() {
            continue;
        }
        with_checkout += 1;
        let Some(tag) = at.tag() else {
            continue;
        };
        with_tag += 1;
        // A tag that does not move with the version is frozen to it.
        let other = format!("{version}.9");
        if let Ok(Some(moved)) = package.tag_at(&other)
            && moved == tag
        {
            frozen.push(format!("{}: `{tag}`", package.file.display()));
        }
        if package.update.reads_tags() {
            match package.update.version_from_tag(tag) {
                Ok(Some(back)) if &back == version => round_trip.0 += 1,
                other => {
                    round_trip.1 += 1;
                    round_trip.2.push(format!(
                        "{}: version `{version}`, tag `{tag}` → {other:?}",
                        package.file.display()
                    ));
                }
            }
        }
    }
    println!(
        "git-checkout: {with_checkout} packages, {with_tag} with a tag, {} could not be computed",
        failed.len()
    );
    for line in &failed {
        println!("  TAG FAILED {line}");
    }
    println!(
        "update round trip (tag → version): {} agree, {} do not",
        round_trip.0, round_trip.1
    );
    for line in &round_trip.2 {
        println!("  ROUND TRIP {line}");
    }
    println!("tags that do not follow the version: {}", frozen.len());
    for line in &frozen {
        println!("  FROZEN {line}");
    }
}

/// Today's files against the tags an older revision wrote for its own versions.
fn older_revision(
    repository: &Path,
    revision: &str,
    packages: &[MelangePackage],
    options: &MelangeOptions,
) {
    // git's own CLI reads the old files (an example run by hand; no git library needed).
    let show = |name: &str| -> Option<String> {
        let output = std::process::Command::new("git")
            .arg("-C")
            .arg(repository)
            .args(["show", &format!("{revision}:{name}")])
            .output()
            .ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8(output.stdout).ok())
            .flatten()
    };
    let mut compared = 0;
    let mut same_version = 0;
    let mut agree = 0;
    let mut disagree = Vec::new();
    for package in packages {
        let Some(name) = package.file.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(text) = show(name) else {
            continue;
        };
        let Ok(old) = melange::parse_package(&package.file, &text, options) else {
            continue;
        };
        let Ok(Some(old_tag)) = old.tag_at(&old.version.value) else {
            continue;
        };
        if old.version.value == package.version.value {
            same_version += 1;
            continue;
        }
        compared += 1;
        match package.tag_at(&old.version.value) {
            Ok(Some(tag)) if tag == old_tag => agree += 1,
            other => disagree.push(format!(
                "{name}: old version `{}` tagged `{old_tag}`, today's file computes {other:?}",
                old.version.value
            )),
        }
    }
    println!(
        "against {revision}: {compared} packages changed version since ({same_version} did not); \
         today's file computes the old tag for {agree}, not for {}",
        disagree.len()
    );
    for line in &disagree {
        println!("  OLD TAG {line}");
    }
}

fn debian_tree(folder: &Path) {
    let started = Instant::now();
    match debian::read_source(folder, &DebianOptions::default()) {
        Ok(source) => {
            println!(
                "{}: {} {} (upstream {}) in {:.2?}",
                folder.display(),
                source.changelog.source.value,
                source.changelog.version.value,
                source.changelog.version.value.upstream,
                started.elapsed()
            );
            println!("  {source:#?}");
        }
        Err(error) => println!("{}: FAILED {}", folder.display(), chain(&error)),
    }
}

/// An error and its causes on one line.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

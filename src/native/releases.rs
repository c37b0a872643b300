//! Release discovery for packages read in place (`mindelta versions`, `check --latest`):
//! where their own format says to look.
//!
//! - melange: the `update:` block. `github` lists the tags of `github.com/<identifier>` (as
//!   with `use-tag: true`; a GitHub release is named after its tag, and tags are read without
//!   the GitHub API), `git` the tags of the first `git-checkout` repository; each tag becomes a
//!   version as Wolfi's update bot made it (`Update::version_from_tag`). `release-monitor`
//!   asks release-monitoring.org's API for the project's stable versions. Without a block, the
//!   tags of the package's history repository, read as `package.yaml` tags are.
//! - Debian: the main line of `debian/watch` (the one without `component=`): its page's links
//!   (or, with `mode=git`, the repository's tags as `refs/tags/…`) matched against the line's
//!   pattern, the groups joined with `.` and `uversionmangle` applied, as uscan does. Without a
//!   watch file, the tags of `debian/upstream/metadata`'s repository.
//!
//! Ordering and pre-releases are left to `upstream::release`.

use regex::Regex;

use super::NativeOrigin;
use super::debian::{DebianSource, WatchEntry, mangle};
use super::melange::{MelangePackage, TagRejection};
use crate::upstream::release::{Candidate, links, list_tags, release};
use crate::upstream::version::normalize_explained;
use crate::upstream::{FetchError, Fetcher};
use crate::workspace::Package;

/// release-monitoring.org's API for the versions of one project.
const RELEASE_MONITOR_API: &str = "https://release-monitoring.org/api/v2/versions/?project_id=";

/// The releases a native package's format finds, before ordering.
pub(crate) fn candidates(
    package: &Package,
    native: &NativeOrigin,
    fetcher: &Fetcher,
) -> Result<Vec<Candidate>, FetchError> {
    match native {
        NativeOrigin::Melange(melange) => melange_candidates(package, melange, fetcher),
        NativeOrigin::Debian(source) => debian_candidates(package, source, fetcher),
    }
}

fn rank(package: &Package, version: &str, tag: &str) -> usize {
    package
        .manifest
        .upstream
        .tag_candidates(version)
        .iter()
        .position(|candidate| candidate == tag)
        .unwrap_or(usize::MAX)
}

fn melange_candidates(
    package: &Package,
    melange: &MelangePackage,
    fetcher: &Fetcher,
) -> Result<Vec<Candidate>, FetchError> {
    let update = &melange.update;
    if let Some(monitor) = &update.release_monitor
        && !update.reads_tags()
    {
        let Some(identifier) = monitor.identifier.as_ref().map(|i| i.value.trim()) else {
            return Ok(Vec::new());
        };
        return release_monitor(melange, identifier, fetcher);
    }
    let repository = match &update.github {
        Some(github) => github
            .identifier
            .as_ref()
            .map(|i| format!("https://github.com/{}", i.value.trim())),
        None if update.git.is_some() => melange.at(&melange.version.value).ok().and_then(|at| {
            at.git_checkouts
                .iter()
                .find_map(|checkout| checkout.repository.clone())
        }),
        None => melange.history_repository(),
    };
    let Some(repository) = repository else {
        return Ok(Vec::new());
    };
    let mut candidates = Vec::new();
    for tag in list_tags(fetcher, &repository)? {
        let found = match update.version_from_tag(&tag) {
            Ok(Some(version)) => Some((
                version.clone(),
                format!("tag `{tag}` → {version} (the `update:` rules)"),
            )),
            Ok(None) => normalize_explained(&tag, &package.name)
                .map(|(version, why)| (version.clone(), format!("tag {why} → {version}"))),
            Err(rejection) => {
                tracing::debug!(tag, ?rejection, "not a release tag");
                None
            }
        };
        let Some((version, why)) = found else {
            continue;
        };
        candidates.push(Candidate {
            rank: rank(package, &version, &tag),
            release: release(version, Some(tag), None, why),
        });
    }
    Ok(candidates)
}

/// The versions release-monitoring.org knows for a project, through the `update:` rules.
fn release_monitor(
    melange: &MelangePackage,
    identifier: &str,
    fetcher: &Fetcher,
) -> Result<Vec<Candidate>, FetchError> {
    #[derive(serde::Deserialize)]
    struct Versions {
        #[serde(default)]
        versions: Vec<String>,
        #[serde(default)]
        stable_versions: Vec<String>,
    }
    if identifier.is_empty() || !identifier.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(Vec::new());
    }
    let url = format!("{RELEASE_MONITOR_API}{identifier}");
    let page = fetcher.fetch_page(&url)?;
    let versions: Versions =
        serde_json::from_str(&page).map_err(|error| FetchError::Unavailable {
            url: url.clone(),
            reason: format!("the answer is not the API's JSON: {error}"),
        })?;
    let found = if melange.update.enable_prerelease_tags {
        versions.versions
    } else {
        versions.stable_versions
    };
    let mut candidates = Vec::new();
    for text in found {
        match melange.update.version_from_monitor(&text) {
            Ok(Some(version)) => candidates.push(Candidate {
                rank: 0,
                release: release(
                    version.clone(),
                    None,
                    None,
                    format!("release-monitoring.org project {identifier}: `{text}` → {version}"),
                ),
            }),
            Ok(None) => {}
            Err(TagRejection::Filtered { .. } | TagRejection::Ignored { .. }) => {}
            Err(rejection) => tracing::debug!(text, ?rejection, "not a release"),
        }
    }
    Ok(candidates)
}

fn debian_candidates(
    package: &Package,
    source: &DebianSource,
    fetcher: &Fetcher,
) -> Result<Vec<Candidate>, FetchError> {
    let main = source
        .watch
        .as_ref()
        .and_then(|watch| watch.entries.iter().find(|e| e.options.component.is_none()));
    if let Some(entry) = main
        && let Some(pattern) = entry.pattern.as_deref()
    {
        return watch_candidates(package, source, entry, pattern, fetcher);
    }
    let Some((url, _)) = source
        .upstream_metadata
        .as_ref()
        .and_then(|m| m.repository_url())
    else {
        return Ok(Vec::new());
    };
    let mut candidates = Vec::new();
    for tag in list_tags(fetcher, url)? {
        if let Some((version, why)) = normalize_explained(&tag, source.name()) {
            candidates.push(Candidate {
                rank: rank(package, &version, &tag),
                release: release(
                    version.clone(),
                    Some(tag),
                    None,
                    format!("tag {why} → {version}"),
                ),
            });
        }
    }
    Ok(candidates)
}

/// uscan's reading of one watch line.
fn watch_candidates(
    package: &Package,
    source: &DebianSource,
    entry: &WatchEntry,
    pattern: &str,
    fetcher: &Fetcher,
) -> Result<Vec<Candidate>, FetchError> {
    let invalid = |message: String| {
        FetchError::io(
            source.root.join("debian/watch"),
            std::io::Error::new(std::io::ErrorKind::InvalidData, message),
        )
    };
    let regex = regex::RegexBuilder::new(&format!("(?:^|/)(?:{pattern})$"))
        .size_limit(super::debian::REGEX_SIZE_LIMIT)
        .build()
        .map_err(|error| {
            invalid(format!(
                "line {}: the pattern `{pattern}` cannot be read: {error}",
                entry.position.line
            ))
        })?;
    let git = entry.mode() == "git";
    let found: Vec<(String, Option<String>)> = if git {
        list_tags(fetcher, &entry.url)?
            .into_iter()
            .map(|tag| (format!("refs/tags/{tag}"), Some(tag)))
            .collect()
    } else if matches!(entry.mode(), "http" | "ftp") {
        let page = fetcher.fetch_page(&entry.url)?;
        links(&page).into_iter().map(|link| (link, None)).collect()
    } else {
        return Err(invalid(format!(
            "line {}: `mode={}` is not read (http, ftp and git are)",
            entry.position.line,
            entry.mode()
        )));
    };
    let mut candidates = Vec::new();
    for (text, tag) in found {
        let Some(version) = matched_version(&regex, &text) else {
            continue;
        };
        let version = match mangle::apply_all(&entry.options.uversionmangle, &version) {
            Ok(version) => version,
            Err(error) => {
                return Err(invalid(format!("line {}: {error}", entry.position.line)));
            }
        };
        if version.is_empty() {
            continue;
        }
        let why = format!(
            "{} `{text}` matched the watch pattern of line {} → {version}",
            if git { "tag" } else { "link" },
            entry.position.line
        );
        let (rank, url) = match &tag {
            Some(tag) => (rank(package, &version, tag), None),
            None => (0, Some(join_url(&entry.url, &text))),
        };
        candidates.push(Candidate {
            rank,
            release: release(version, tag, url, why),
        });
    }
    Ok(candidates)
}

/// The version in `text`: uscan joins the pattern's groups with `.`.
fn matched_version(regex: &Regex, text: &str) -> Option<String> {
    let text = text.split(['?', '#']).next().unwrap_or(text);
    let captures = regex.captures(text)?;
    let parts: Vec<&str> = captures
        .iter()
        .skip(1)
        .flatten()
        .map(|m| m.as_str())
        .filter(|part| !part.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join("."))
}

/// A link of a page as an absolute URL.
fn join_url(page: &str, link: &str) -> String {
    if link.contains("://") {
        return link.to_string();
    }
    if let Some(path) = link.strip_prefix('/') {
        let origin_end = page
            .find("://")
            .and_then(|scheme| page[scheme + 3..].find('/').map(|slash| scheme + 3 + slash))
            .unwrap_or(page.len());
        return format!("{}/{path}", &page[..origin_end]);
    }
    match page.rfind('/') {
        Some(slash) => format!("{}{link}", &page[..=slash]),
        None => link.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_joined_with_dots() {
        let regex = Regex::new(r"(?:^|/)(?:foo-(\d+)_(\d+)\.tar\.gz)$").unwrap();
        assert_eq!(
            matched_version(&regex, "https://x.org/dl/foo-1_2.tar.gz?raw=1"),
            Some("1.2".into())
        );
        assert_eq!(matched_version(&regex, "barfoo-1_2.tar.gz"), None);
    }

    #[test]
    fn links_become_urls() {
        assert_eq!(
            join_url("https://x.org/dl/", "a-1.tar.gz"),
            "https://x.org/dl/a-1.tar.gz"
        );
        assert_eq!(
            join_url("https://x.org/dl/", "/other/a-1.tar.gz"),
            "https://x.org/other/a-1.tar.gz"
        );
        assert_eq!(
            join_url("https://x.org/dl/", "https://y.org/a"),
            "https://y.org/a"
        );
    }
}

//! Release discovery (DESIGN.md §2): which upstream releases exist, newest first.
//!
//! `mindelta versions` lists them, `check --latest` and `expire --latest` take the first, and
//! `audit` reports the newest. Where the releases come from depends on the upstream:
//! - git (and a tarball upstream that names its `git:` repository): the remote's tags, listed
//!   without a clone (an `ls-remote` through gix, see `git/remote.rs`); offline, or when the
//!   remote cannot be reached, the tags of the bare mirror in the cache (read locally, `crate::git`),
//!   and without a mirror the listing page the manifest names, if any ([`Fallback`]);
//! - a tarball with `releases.url`: the listing page (uscan-style), whose links are matched
//!   against `releases.pattern` (or a pattern derived from the tarball URL's file name); each
//!   release's tarball URL comes from the manifest's template. Without `releases.url` (and
//!   without `git:`), the folder of the tarball URL is the listing;
//! - a local `dir`: the sibling folders that match the template (`hello-{version}`).
//!
//! A tag or link becomes a version through `releases.pattern` (its `version` group, or its
//! first group), a custom tag template, or [`normalize`](super::version::normalize); each
//! [`Release`] says which, for `versions --explain`. Versions are ordered by the package's
//! [`Scheme`], equal versions are listed once (the tag the manifest's template names wins),
//! and pre-releases are left out unless asked for.
//!
//! A release the source cannot provide is an error, never another tree under its name:
//! [`available`] says so before anything is fetched where that is known locally (a `dir` path
//! without `{version}` holds only the pinned release), and [`not_found`] turns a fetch that
//! found no such release (no tag, no folder) into [`FetchError::NoSuchRelease`], which names the
//! package and the releases that do exist.

use std::path::Path;

use regex::Regex;

use super::version::{Scheme, compare, is_prerelease, normalize_explained};
use super::{FetchError, FetchErrorKind, Fetcher, git, local_or_url};
use crate::workspace::manifest::expand;
use crate::workspace::{Package, UpstreamSource};

/// One upstream release.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Release {
    /// The version (`1.3.1`), as the package's scheme reads it.
    pub version: String,
    /// The git tag it comes from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// The tarball URL (from the manifest's template) or the folder of a `dir` upstream.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Whether the version is a pre-release (`rc`, `beta`, `~`, …).
    pub prerelease: bool,
    /// How the tag/link became this version (for --explain).
    pub explanation: String,
}

/// Upstream releases of a package, newest first.
///
/// Pre-releases are included only if `include_prereleases` or the manifest's
/// `releases.prereleases` says so. An unreachable upstream is [`FetchError::Unavailable`] (or
/// [`FetchError::NotCached`] offline), naming the URL; a `releases.pattern` that is not a
/// usable regex is [`FetchError::Io`] on the manifest (invalid data). When a git upstream
/// cannot be reached and the manifest names a listing page, the page's releases are returned
/// ([`discover_with_fallback`] says when that happened).
pub fn discover(
    package: &Package,
    fetcher: &Fetcher,
    include_prereleases: bool,
) -> Result<Vec<Release>, FetchError> {
    let discovery = discover_with_fallback(package, fetcher, include_prereleases)?;
    if let Some(fallback) = &discovery.fallback {
        tracing::info!(
            package = package.name,
            git = fallback.unreachable,
            listing = fallback.listing,
            "the git upstream is unreachable; releases read from the listing page"
        );
    }
    Ok(discovery.releases)
}

/// The releases [`discover`] found, and whether they come from a fallback listing page.
#[derive(Debug)]
pub struct Discovery {
    /// The releases, newest first.
    pub releases: Vec<Release>,
    /// Set when the git upstream could not be reached and a listing page was read instead.
    pub fallback: Option<Fallback>,
}

/// A git upstream that could not be reached, and the listing page read in its place.
#[derive(Debug)]
pub struct Fallback {
    /// The git URL that failed.
    pub unreachable: String,
    /// Why it failed.
    pub error: FetchError,
    /// The listing page the releases were read from.
    pub listing: String,
}

/// [`discover`], saying whether the releases come from a listing page because the git
/// upstream could not be reached (a network failure, or offline without a mirror).
///
/// The listing is `releases.url` (a git upstream's releases are then its links matched by
/// `releases.pattern`, each release's URL the link itself), or, for a tarball upstream that
/// names its `git:` repository, the folder of the tarball URL (as without `git:`). When the
/// listing fails too, the git upstream's error is returned: it is the source the manifest
/// prefers.
pub fn discover_with_fallback(
    package: &Package,
    fetcher: &Fetcher,
    include_prereleases: bool,
) -> Result<Discovery, FetchError> {
    let upstream = &package.manifest.upstream;
    let scheme = Scheme::parse(upstream.scheme.as_deref());
    let releases = upstream.releases.as_ref();
    let include = include_prereleases || releases.is_some_and(|r| r.prereleases);
    let found = |candidates| Discovery {
        releases: order(candidates, scheme, include),
        fallback: None,
    };
    if let Some(native) = &upstream.native {
        // A package read in place: its own format says where releases are found.
        let candidates = crate::native::releases::candidates(package, native, fetcher)?;
        return Ok(found(candidates));
    }
    let pattern = match releases.and_then(|r| r.pattern.as_deref()) {
        Some(text) => Some(Matcher::pattern(package, text)?),
        None => None,
    };
    let page = releases.and_then(|r| r.url.as_deref());
    // The git upstream, and the listing page to read when it cannot be reached.
    let (git_url, tag, tarball, listing) = match &upstream.source {
        UpstreamSource::Git { url, tag, .. } => (
            url,
            tag.as_deref(),
            None,
            page.filter(|_| pattern.is_some()).map(str::to_owned),
        ),
        UpstreamSource::Tarball { url, git, .. } => match (page, git) {
            (Some(page), _) => {
                let candidates = from_page(package, fetcher, page, Some(url), pattern.as_ref())?;
                return Ok(found(candidates));
            }
            (None, Some(git)) => (git, None, Some(url.as_str()), tarball_folder(url)),
            (None, None) => {
                let candidates = match tarball_folder(url) {
                    Some(page) => from_page(package, fetcher, &page, Some(url), pattern.as_ref())?,
                    None => Vec::new(),
                };
                return Ok(found(candidates));
            }
        },
        UpstreamSource::Dir { path } => {
            return Ok(found(from_dir(package, path, pattern.as_ref())?));
        }
    };
    let error = match from_git(package, fetcher, git_url, tag, pattern.as_ref(), tarball) {
        Ok(candidates) => return Ok(found(candidates)),
        Err(error) => error,
    };
    let Some(listing) = listing.filter(|_| error.kind() == FetchErrorKind::Unavailable) else {
        return Err(error);
    };
    match from_page(package, fetcher, &listing, tarball, pattern.as_ref()) {
        Ok(candidates) => Ok(Discovery {
            fallback: Some(Fallback {
                unreachable: local_or_url(package, git_url),
                error,
                listing: local_or_url(package, &listing),
            }),
            ..found(candidates)
        }),
        Err(page_error) => {
            tracing::debug!(%page_error, listing, "the fallback listing failed too");
            Err(error)
        }
    }
}

/// The folder of a tarball URL as a listing page (`https://h/p/x-{version}.tar.gz` →
/// `https://h/p/`); `None` when the folder depends on the version.
fn tarball_folder(url: &str) -> Option<String> {
    match url.rsplit_once('/') {
        Some((folder, _)) if !folder.contains("{version}") => Some(format!("{folder}/")),
        _ => None,
    }
}

/// The newest release (first of [`discover`]), for `--latest`.
pub fn latest(
    package: &Package,
    fetcher: &Fetcher,
    include_prereleases: bool,
) -> Result<Option<Release>, FetchError> {
    Ok(discover(package, fetcher, include_prereleases)?
        .into_iter()
        .next())
}

/// Whether the source of `package` can provide `release`, where that is known without fetching
/// anything: a `dir` path without `{version}` holds only the pinned release (any other would
/// be the pinned tree under another name), and a `dir` template must name a folder that
/// exists. Git tags and tarballs are found out when they are fetched; pass what fails then
/// through [`not_found`]. The error is [`FetchError::NoSuchRelease`].
pub fn available(package: &Package, fetcher: &Fetcher, release: &str) -> Result<(), FetchError> {
    let UpstreamSource::Dir { path } = &package.manifest.upstream.source else {
        return Ok(());
    };
    let pinned = &package.manifest.upstream.version;
    let error = if !path.contains("{version}") {
        if release == pinned {
            return Ok(());
        }
        FetchError::PinnedOnly {
            path: path.clone(),
            pinned: pinned.clone(),
        }
    } else {
        let folder = package.dir.join(expand(path, release));
        if folder.is_dir() {
            return Ok(());
        }
        FetchError::NoSuchFolder {
            path: clean(&folder).display().to_string(),
        }
    };
    Err(not_found(package, fetcher, release, error))
}

/// `error` as [`FetchError::NoSuchRelease`] when it says that `release` does not exist
/// ([`FetchErrorKind::NotFound`]: no such tag or folder), naming the package and its known
/// releases; any other error as it is. The known releases are discovered again (pre-releases
/// included) only here, on the way to an error; when that fails too, the pinned release is
/// the one known.
pub fn not_found(
    package: &Package,
    fetcher: &Fetcher,
    release: &str,
    error: FetchError,
) -> FetchError {
    if error.kind() != FetchErrorKind::NotFound || matches!(error, FetchError::NoSuchRelease { .. })
    {
        return error;
    }
    let upstream = &package.manifest.upstream;
    let scheme = Scheme::parse(upstream.scheme.as_deref());
    let mut known: Vec<String> = match discover(package, fetcher, true) {
        Ok(releases) => releases.into_iter().map(|r| r.version).collect(),
        Err(error) => {
            tracing::debug!(%error, "cannot list the known releases");
            Vec::new()
        }
    };
    if !known
        .iter()
        .any(|v| compare(scheme, v, &upstream.version).is_eq())
    {
        known.push(upstream.version.clone());
        known.sort_by(|a, b| compare(scheme, b, a));
    }
    FetchError::NoSuchRelease {
        package: package.name.clone(),
        release: release.to_owned(),
        known,
        source: Box::new(error),
    }
}

/// How many known releases an error names; the rest are counted (`mindelta versions` lists
/// them all). A repository may have thousands of tags.
const MAX_NAMED_RELEASES: usize = 10;

/// The known releases for a message: the newest [`MAX_NAMED_RELEASES`], then how many more.
pub(super) fn known_list(known: &[String]) -> String {
    if known.is_empty() {
        return "none".to_owned();
    }
    let mut text = known[..known.len().min(MAX_NAMED_RELEASES)].join(", ");
    if known.len() > MAX_NAMED_RELEASES {
        text.push_str(&format!(
            " and {} older (`mindelta versions` lists them)",
            known.len() - MAX_NAMED_RELEASES
        ));
    }
    text
}

/// A release before ordering; a lower `rank` wins among equal versions.
pub(crate) struct Candidate {
    pub(crate) release: Release,
    pub(crate) rank: usize,
}

/// Sort newest first, keep one release per version, drop pre-releases unless included.
fn order(mut candidates: Vec<Candidate>, scheme: Scheme, include: bool) -> Vec<Release> {
    candidates.retain(|c| include || !c.release.prerelease);
    candidates.sort_by(|a, b| {
        a.rank
            .cmp(&b.rank)
            .then_with(|| a.release.tag.cmp(&b.release.tag))
            .then_with(|| a.release.explanation.cmp(&b.release.explanation))
    });
    // Stable: among equal versions the preferred candidate stays first.
    candidates.sort_by(|a, b| compare(scheme, &b.release.version, &a.release.version));
    candidates.dedup_by(|later, kept| {
        compare(scheme, &later.release.version, &kept.release.version).is_eq()
    });
    candidates.into_iter().map(|c| c.release).collect()
}

pub(crate) fn release(
    version: String,
    tag: Option<String>,
    url: Option<String>,
    why: String,
) -> Release {
    Release {
        prerelease: is_prerelease(&version),
        version,
        tag,
        url,
        explanation: why,
    }
}

/// Turns a tag, link or folder name into a version: a full match of a regex whose `version`
/// group (or first group) is the version.
struct Matcher {
    regex: Regex,
    /// How to name it in explanations.
    label: String,
}

/// What a version looks like inside a template: a digit, then version characters.
const VERSION_CHARACTERS: &str = "[0-9][A-Za-z0-9.~+_-]*?";

impl Matcher {
    /// `releases.pattern`, anchored so it must match a whole tag or file name.
    fn pattern(package: &Package, text: &str) -> Result<Matcher, FetchError> {
        let regex = Regex::new(&format!("^(?:{text})$")).map_err(|error| {
            manifest_error(
                package,
                format!("`releases.pattern` is not a valid regular expression: {error}"),
            )
        })?;
        if regex.captures_len() < 2 {
            return Err(manifest_error(
                package,
                format!(
                    "`releases.pattern` `{text}` has no group for the version (write `(?<version>…)`)"
                ),
            ));
        }
        Ok(Matcher {
            regex,
            label: "`releases.pattern`".to_owned(),
        })
    }

    /// A pattern derived from a template (`hello-{version}.tar.gz`); `None` without
    /// `{version}`.
    fn template(template: &str, what: &str) -> Option<Matcher> {
        let mut pieces = template.split("{version}");
        let mut source = format!("^{}", regex::escape(pieces.next()?));
        let mut count = 0;
        for piece in pieces {
            if count == 0 {
                source.push_str(&format!("(?<version>{VERSION_CHARACTERS})"));
            } else {
                source.push_str(&format!("(?:{VERSION_CHARACTERS})"));
            }
            source.push_str(&regex::escape(piece));
            count += 1;
        }
        source.push('$');
        (count > 0).then(|| Matcher {
            regex: Regex::new(&source).expect("an escaped template is a valid regex"),
            label: format!("the {what} `{template}`"),
        })
    }

    /// The version in `text`, if the whole of `text` matches.
    fn version(&self, text: &str) -> Option<String> {
        let captures = self.regex.captures(text)?;
        let group = captures.name("version").or_else(|| captures.get(1))?;
        let version = group.as_str().trim();
        (!version.is_empty()).then(|| version.to_owned())
    }
}

/// A `releases.pattern` problem, reported on the manifest file (exit 1, not retryable).
fn manifest_error(package: &Package, message: String) -> FetchError {
    FetchError::io(
        &package.manifest_path,
        std::io::Error::new(std::io::ErrorKind::InvalidData, message),
    )
}

// ---------------------------------------------------------------------------------------------
// Git tags.

fn from_git(
    package: &Package,
    fetcher: &Fetcher,
    url: &str,
    tag_template: Option<&str>,
    pattern: Option<&Matcher>,
    tarball_template: Option<&str>,
) -> Result<Vec<Candidate>, FetchError> {
    let location = local_or_url(package, url);
    let tags = list_tags(fetcher, &location)?;
    let custom = tag_template
        .filter(|t| *t != "v{version}" && *t != "{version}")
        .and_then(|t| Matcher::template(t, "tag template"));
    let upstream = &package.manifest.upstream;
    let mut candidates = Vec::new();
    for tag in tags {
        let found = match (pattern, &custom) {
            (Some(matcher), _) | (None, Some(matcher)) => matcher.version(&tag).map(|version| {
                let why = format!("tag `{tag}` matched {} → {version}", matcher.label);
                (version, why)
            }),
            (None, None) => normalize_explained(&tag, &package.name)
                .map(|(version, why)| (version.clone(), format!("tag {why} → {version}"))),
        };
        let Some((version, why)) = found else {
            tracing::debug!(tag, "not a release tag");
            continue;
        };
        let rank = upstream
            .tag_candidates(&version)
            .iter()
            .position(|candidate| *candidate == tag)
            .unwrap_or(usize::MAX);
        let url = tarball_template.map(|t| local_or_url(package, &expand(t, &version)));
        candidates.push(Candidate {
            release: release(version, Some(tag), url, why),
            rank,
        });
    }
    Ok(candidates)
}

/// The tag names of a git upstream: from the remote without cloning, else from the mirror.
pub(crate) fn list_tags(fetcher: &Fetcher, location: &str) -> Result<Vec<String>, FetchError> {
    let remote = git::remote_url(location);
    let mirror = fetcher.cache().git_mirror(&remote);
    if fetcher.options().offline {
        if !mirror.exists() {
            return Err(FetchError::NotCached {
                url: location.to_owned(),
            });
        }
        return mirror_tags(location, &mirror);
    }
    match git::remote_tags(fetcher, location, &remote) {
        Ok(tags) => Ok(tags),
        Err(error) if mirror.exists() => {
            tracing::warn!(url = location, %error, "cannot list the remote tags; using the mirror's");
            mirror_tags(location, &mirror)
        }
        Err(error) => Err(error),
    }
}

/// The tag names held by the bare mirror in the cache.
fn mirror_tags(location: &str, mirror: &Path) -> Result<Vec<String>, FetchError> {
    let git_error = |source| FetchError::Git {
        url: location.to_owned(),
        source: Box::new(source),
    };
    let repo = crate::git::Repository::open_bare(mirror).map_err(git_error)?;
    let mut tags = repo.tag_names().map_err(git_error)?;
    tags.sort();
    Ok(tags)
}

// ---------------------------------------------------------------------------------------------
// Listing pages.

/// The releases on a listing page: its links matched by `pattern`, else by the tarball
/// template's file name. Each release's URL is the template filled in, or, without a template
/// (a git upstream's fallback), the link itself resolved against the page.
fn from_page(
    package: &Package,
    fetcher: &Fetcher,
    page: &str,
    tarball_template: Option<&str>,
    pattern: Option<&Matcher>,
) -> Result<Vec<Candidate>, FetchError> {
    let derived;
    let matcher = match (pattern, tarball_template) {
        (Some(matcher), _) => matcher,
        (None, None) => {
            return Err(manifest_error(
                package,
                format!("cannot tell releases apart on `{page}`: set `releases.pattern`"),
            ));
        }
        (None, Some(tarball_template)) => {
            let file_name = tarball_template
                .rsplit('/')
                .next()
                .unwrap_or(tarball_template);
            derived = Matcher::template(file_name, "tarball file name").ok_or_else(|| {
                manifest_error(
                    package,
                    format!(
                        "cannot tell releases apart on `{page}`: the tarball file name `{file_name}` has no `{{version}}`; set `releases.pattern`"
                    ),
                )
            })?;
            &derived
        }
    };
    let location = local_or_url(package, page);
    let text = fetcher.fetch_page(&location)?;
    let mut found = match_links(matcher, &links(&text));
    if found.is_empty() {
        // A plain-text listing (or links the page writes without `href`).
        found = match_links(matcher, &words(&text));
    }
    Ok(found
        .into_iter()
        .map(|(link, full, version)| {
            let why = format!("link `{link}` matched {} → {version}", matcher.label);
            let url = match tarball_template {
                Some(template) => local_or_url(package, &expand(template, &version)),
                None => resolve_link(&location, &full),
            };
            Candidate {
                release: release(version, None, Some(url), why),
                rank: 0,
            }
        })
        .collect())
}

/// The `href` targets of a page, `&amp;` decoded.
pub(crate) fn links(page: &str) -> Vec<String> {
    let href = Regex::new(r#"(?i)\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))"#)
        .expect("a valid link regex");
    href.captures_iter(page)
        .filter_map(|c| c.get(1).or_else(|| c.get(2)).or_else(|| c.get(3)))
        .map(|m| m.as_str().replace("&amp;", "&"))
        .collect()
}

/// The words of a plain-text listing.
pub(crate) fn words(page: &str) -> Vec<String> {
    page.split(|c: char| c.is_whitespace() || "\"'<>()[]".contains(c))
        .filter(|word| !word.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `link` as an absolute URL, resolved against the page it is on (as is when that fails).
fn resolve_link(page: &str, link: &str) -> String {
    reqwest::Url::parse(page)
        .and_then(|base| base.join(link))
        .map_or_else(|_| link.to_owned(), String::from)
}

/// The links that match: each one's last path segment, the link itself and its version. The
/// whole link (query and fragment dropped) or its last path segment must match.
fn match_links(matcher: &Matcher, links: &[String]) -> Vec<(String, String, String)> {
    links
        .iter()
        .filter_map(|link| {
            let path = link.split(['?', '#']).next().unwrap_or(link);
            let last = path
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or(path);
            matcher
                .version(path)
                .or_else(|| matcher.version(last))
                .map(|version| (last.to_owned(), link.clone(), version))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Local folders.

fn from_dir(
    package: &Package,
    template: &str,
    pattern: Option<&Matcher>,
) -> Result<Vec<Candidate>, FetchError> {
    let template = template.trim_end_matches('/');
    let (parent, name) = match template.rsplit_once('/') {
        Some((parent, name)) => (parent, name),
        None => (".", template),
    };
    if parent.contains("{version}") {
        return Ok(Vec::new());
    }
    let derived;
    let matcher = match pattern {
        Some(matcher) => matcher,
        None => match Matcher::template(name, "`dir` template") {
            Some(matcher) => {
                derived = matcher;
                &derived
            }
            None => return Ok(Vec::new()),
        },
    };
    let folder = package
        .dir
        .join(if parent.is_empty() { "/" } else { parent });
    let entries = fs_err::read_dir(&folder).map_err(|e| FetchError::io(&folder, e))?;
    let mut candidates = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| FetchError::io(&folder, e))?;
        let path = entry.path();
        let Some(file_name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if !path.is_dir() {
            continue;
        }
        if let Some(version) = matcher.version(&file_name) {
            let why = format!("folder `{file_name}` matched {} → {version}", matcher.label);
            let url = Some(clean(&path).display().to_string());
            candidates.push(Candidate {
                release: release(version, None, url, why),
                rank: 0,
            });
        }
    }
    Ok(candidates)
}

/// `path` with `.` and `..` resolved lexically (`patches/hello/../../x` → `x`), for display.
fn clean(path: &Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut out = std::path::PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// What a failed fetch of `release` says first: that the release does not exist, when that is
/// the trouble (the error names the package and the known releases), else that upstream could
/// not be fetched.
pub fn fetch_message(package: &str, release: &str, source: &FetchError) -> String {
    match source {
        FetchError::NoSuchRelease { .. } => source.to_string(),
        _ => format!("cannot fetch upstream of `{package}` at {release}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_paths_lexically() {
        assert_eq!(
            clean(Path::new("/w/patches/hello/../../examples/./hello-1.1")),
            Path::new("/w/examples/hello-1.1")
        );
        assert_eq!(clean(Path::new("../x/../y")), Path::new("../y"));
    }

    #[test]
    fn derives_patterns_from_templates() {
        let matcher = Matcher::template("hello-{version}.tar.gz", "tarball file name").unwrap();
        assert_eq!(
            matcher.version("hello-2.10.tar.gz").as_deref(),
            Some("2.10")
        );
        assert_eq!(
            matcher.version("hello-2.10-rc1.tar.gz").as_deref(),
            Some("2.10-rc1")
        );
        assert_eq!(matcher.version("hello-2.10.tar.gz.sig"), None);
        assert_eq!(matcher.version("hello-latest.tar.gz"), None);
        assert_eq!(matcher.version("xhello-2.10.tar.gz"), None);
        assert!(Matcher::template("hello.tar.gz", "x").is_none());
        let twice = Matcher::template("{version}/hello-{version}.tgz", "x").unwrap();
        assert_eq!(twice.version("1.0/hello-1.0.tgz").as_deref(), Some("1.0"));
    }

    #[test]
    fn reads_links_and_words() {
        let page = r#"<a href="hello-1.0.tar.gz">x</a> <A HREF='sub/hello-1.1.tar.gz?x=1&amp;y=2'>
            <a href=hello-2.0.tar.gz>"#;
        assert_eq!(
            links(page),
            vec![
                "hello-1.0.tar.gz",
                "sub/hello-1.1.tar.gz?x=1&y=2",
                "hello-2.0.tar.gz"
            ]
        );
        assert_eq!(words("a  b\n(c)"), vec!["a", "b", "c"]);
        let matcher = Matcher::template("hello-{version}.tar.gz", "x").unwrap();
        let found = match_links(&matcher, &links(page));
        let versions: Vec<&str> = found.iter().map(|(_, _, v)| v.as_str()).collect();
        assert_eq!(versions, ["1.0", "1.1", "2.0"]);
    }

    #[test]
    fn orders_newest_first_without_duplicates_or_prereleases() {
        let candidate = |version: &str, tag: &str, rank| Candidate {
            release: release(version.into(), Some(tag.into()), None, String::new()),
            rank,
        };
        let candidates = || {
            vec![
                candidate("1.9", "zlib-1.9", usize::MAX),
                candidate("1.10", "v1.10", 0),
                candidate("1.2-rc1", "v1.2-rc1", 0),
                candidate("1.9", "v1.9", 0),
                candidate("1.1", "v1.1", 0),
            ]
        };
        let ordered = order(candidates(), Scheme::Default, false);
        let tags: Vec<_> = ordered.iter().map(|r| r.tag.as_deref().unwrap()).collect();
        assert_eq!(tags, ["v1.10", "v1.9", "v1.1"]);
        let with_pre = order(candidates(), Scheme::Default, true);
        let versions: Vec<_> = with_pre.iter().map(|r| r.version.as_str()).collect();
        assert_eq!(versions, ["1.10", "1.9", "1.2-rc1", "1.1"]);
        assert!(with_pre[2].prerelease);
    }

    #[test]
    fn names_at_most_ten_known_releases() {
        let known: Vec<String> = (0..13).rev().map(|n| format!("1.{n}")).collect();
        assert_eq!(
            known_list(&known),
            "1.12, 1.11, 1.10, 1.9, 1.8, 1.7, 1.6, 1.5, 1.4, 1.3 and 3 older (`mindelta versions` lists them)"
        );
        assert_eq!(known_list(&known[..2]), "1.12, 1.11");
        assert_eq!(known_list(&[]), "none");
    }

    #[test]
    fn serializes_without_missing_fields() {
        let json = serde_json::to_string(&release("1.0".into(), None, None, "why".into()));
        assert_eq!(
            json.unwrap(),
            r#"{"version":"1.0","prerelease":false,"explanation":"why"}"#
        );
    }
}

//! The `update:` block of a melange package: how new upstream releases are found, and how a tag
//! becomes a package version.
//!
//! melange declares the block (`pkg/config/config.go`: `Update`, `GitHubMonitor`, `GitMonitor`,
//! `ReleaseMonitor`, `VersionTransform`; `docs/UPDATE.md`); Wolfi's update bot read it
//! (wolfi-dev/wolfictl, `pkg/update/githubReleases.go` `prepareVersion` and
//! `pkg/update/update.go` `transformVersion`, at commit 96fcac2, before the bot left that
//! repository). [`Update::version_from_tag`] follows that order: `tag-filter` (a prefix,
//! deprecated), `tag-filter-prefix`, `tag-filter-contains`, then `strip-prefix`,
//! `strip-suffix`, `ignore-regex-patterns` (a version matching one is skipped),
//! `version-separator` (replaced by `.`), and each `version-transform` in order (Go's
//! `ReplaceAllString`). A filter that is empty filters nothing.

use regex::Regex;

use super::substitution::{MAX_SUBSTITUTED_BYTES, replace_all};
use crate::native::Located;

/// The `update:` block. A package without one has `enabled: false` (melange's default). The
/// filters and the GitHub identifier are substituted at the package's version, as melange does
/// when it parses the file; their positions are those of the text as written.
#[derive(Debug, Clone, Default)]
pub struct Update {
    /// Whether the block is present at all.
    pub present: bool,
    pub enabled: bool,
    pub manual: bool,
    pub github: Option<GithubMonitor>,
    pub git: Option<GitMonitor>,
    pub release_monitor: Option<ReleaseMonitor>,
    /// Versions matching one of these are skipped. A pattern that is not a regular expression
    /// is kept with its error (the bot skipped every version then).
    pub ignore_regex_patterns: Vec<IgnorePattern>,
    pub version_transform: Vec<VersionTransform>,
    pub version_separator: Option<String>,
    pub enable_prerelease_tags: bool,
}

/// `update.github`: tags or releases of a GitHub repository.
#[derive(Debug, Clone, Default)]
pub struct GithubMonitor {
    /// `owner/repository`.
    pub identifier: Option<Located<String>>,
    pub strip_prefix: Option<Located<String>>,
    pub strip_suffix: Option<Located<String>>,
    /// Deprecated prefix filter, still honoured.
    pub tag_filter: Option<Located<String>>,
    pub tag_filter_prefix: Option<Located<String>>,
    pub tag_filter_contains: Option<Located<String>>,
    /// Use tags, not GitHub releases.
    pub use_tag: bool,
}

/// `update.git`: the tags of the package's first `git-checkout` repository.
#[derive(Debug, Clone, Default)]
pub struct GitMonitor {
    pub strip_prefix: Option<Located<String>>,
    pub strip_suffix: Option<Located<String>>,
    pub tag_filter_prefix: Option<Located<String>>,
    pub tag_filter_contains: Option<Located<String>>,
}

/// `update.release-monitor`: a project of release-monitoring.org.
#[derive(Debug, Clone, Default)]
pub struct ReleaseMonitor {
    pub identifier: Option<Located<String>>,
    pub strip_prefix: Option<Located<String>>,
    pub strip_suffix: Option<Located<String>>,
    pub version_filter_prefix: Option<Located<String>>,
    pub version_filter_contains: Option<Located<String>>,
}

/// One `ignore-regex-patterns` entry.
#[derive(Debug, Clone)]
pub struct IgnorePattern {
    pub pattern: Located<String>,
    /// The compiled pattern, or why it does not compile.
    pub regex: Result<Regex, regex::Error>,
}

/// One `version-transform` entry.
#[derive(Debug, Clone)]
pub struct VersionTransform {
    pub pattern: Located<String>,
    pub replace: Located<String>,
    /// The compiled pattern, or why it does not compile (melange does not check it; the bot
    /// failed on the package then).
    pub regex: Result<Regex, regex::Error>,
}

/// Why a tag gives no version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagRejection {
    /// The tag does not start with the filter prefix (or does not contain the filter).
    Filtered { filter: String },
    /// The version matches an `ignore-regex-patterns` entry (or one that does not compile).
    Ignored { pattern: String },
    /// A `version-transform` pattern does not compile.
    Transform { pattern: String },
    /// A transform made the version longer than the substitution bound.
    TooLong,
}

/// The tag rules of whichever monitor reads tags (GitHub first, then git).
struct TagRules<'a> {
    filters: Vec<(&'a str, bool)>,
    strip_prefix: &'a str,
    strip_suffix: &'a str,
}

fn text(value: &Option<Located<String>>) -> &str {
    value.as_ref().map(|v| v.value.as_str()).unwrap_or("")
}

impl Update {
    /// The tag rules, when a tag-reading monitor is configured.
    fn tag_rules(&self) -> Option<TagRules<'_>> {
        if let Some(github) = &self.github {
            return Some(TagRules {
                filters: vec![
                    (text(&github.tag_filter), true),
                    (text(&github.tag_filter_prefix), true),
                    (text(&github.tag_filter_contains), false),
                ],
                strip_prefix: text(&github.strip_prefix),
                strip_suffix: text(&github.strip_suffix),
            });
        }
        self.git.as_ref().map(|git| TagRules {
            filters: vec![
                (text(&git.tag_filter_prefix), true),
                (text(&git.tag_filter_contains), false),
            ],
            strip_prefix: text(&git.strip_prefix),
            strip_suffix: text(&git.strip_suffix),
        })
    }

    /// Whether tags (of GitHub or of the git-checkout repository) drive this package's updates.
    pub fn reads_tags(&self) -> bool {
        self.github.is_some() || self.git.is_some()
    }

    /// The package version a tag stands for, as Wolfi's update bot computed it (module
    /// comment); `Ok(None)` when no tag-reading monitor is configured.
    pub fn version_from_tag(&self, tag: &str) -> Result<Option<String>, TagRejection> {
        let Some(rules) = self.tag_rules() else {
            return Ok(None);
        };
        for (filter, prefix) in &rules.filters {
            let keeps = filter.is_empty()
                || if *prefix {
                    tag.starts_with(filter)
                } else {
                    tag.contains(filter)
                };
            if !keeps {
                return Err(TagRejection::Filtered {
                    filter: filter.to_string(),
                });
            }
        }
        let mut version = tag;
        if !rules.strip_prefix.is_empty() {
            version = version.strip_prefix(rules.strip_prefix).unwrap_or(version);
        }
        if !rules.strip_suffix.is_empty() {
            version = version.strip_suffix(rules.strip_suffix).unwrap_or(version);
        }
        self.finish(version).map(Some)
    }

    /// The tag a version stands for, where the rules can be run backwards: `strip-prefix`,
    /// the version, `strip-suffix`; `None` without tag rules, or when a separator or a
    /// transform changed the tag in a way that cannot be undone.
    pub fn tag_for_version(&self, version: &str) -> Option<String> {
        let rules = self.tag_rules()?;
        if !self.version_transform.is_empty()
            || self
                .version_separator
                .as_deref()
                .is_some_and(|s| !s.is_empty())
        {
            return None;
        }
        let tag = format!("{}{version}{}", rules.strip_prefix, rules.strip_suffix);
        (self.version_from_tag(&tag) == Ok(Some(version.to_string()))).then_some(tag)
    }

    /// The package version a release-monitoring.org version stands for (`strip-prefix`,
    /// `strip-suffix`, the version filters, then as [`Update::version_from_tag`]); `Ok(None)`
    /// without a `release-monitor` block.
    pub fn version_from_monitor(&self, found: &str) -> Result<Option<String>, TagRejection> {
        let Some(monitor) = &self.release_monitor else {
            return Ok(None);
        };
        for (filter, prefix) in [
            (text(&monitor.version_filter_prefix), true),
            (text(&monitor.version_filter_contains), false),
        ] {
            let keeps = filter.is_empty()
                || if prefix {
                    found.starts_with(filter)
                } else {
                    found.contains(filter)
                };
            if !keeps {
                return Err(TagRejection::Filtered {
                    filter: filter.to_string(),
                });
            }
        }
        let mut version = found;
        let prefix = text(&monitor.strip_prefix);
        if !prefix.is_empty() {
            version = version.strip_prefix(prefix).unwrap_or(version);
        }
        let suffix = text(&monitor.strip_suffix);
        if !suffix.is_empty() {
            version = version.strip_suffix(suffix).unwrap_or(version);
        }
        self.finish(version).map(Some)
    }

    /// `ignore-regex-patterns`, `version-separator` and `version-transform` on a version.
    fn finish(&self, version: &str) -> Result<String, TagRejection> {
        for ignore in &self.ignore_regex_patterns {
            let skip = match &ignore.regex {
                Ok(regex) => regex.is_match(version),
                Err(_) => true,
            };
            if skip {
                return Err(TagRejection::Ignored {
                    pattern: ignore.pattern.value.clone(),
                });
            }
        }
        let mut version = version.to_string();
        if let Some(separator) = self.version_separator.as_deref().filter(|s| !s.is_empty()) {
            version = version.replace(separator, ".");
        }
        for transform in &self.version_transform {
            let Ok(regex) = &transform.regex else {
                return Err(TagRejection::Transform {
                    pattern: transform.pattern.value.clone(),
                });
            };
            version = replace_all(
                regex,
                &version,
                &transform.replace.value,
                MAX_SUBSTITUTED_BYTES,
            )
            .map_err(|_| TagRejection::TooLong)?;
        }
        // A `v` left before the number is not part of a package version: Wolfi's packages
        // whose tags are `v1.2.3` and that declare no `strip-prefix` are at `1.2.3` (16 of
        // wolfi-os's 2,912 tag-reading packages rely on it).
        if let Some(rest) = version.strip_prefix(['v', 'V'])
            && rest.starts_with(|c: char| c.is_ascii_digit())
        {
            version = rest.to_string();
        }
        Ok(version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::native::Position;

    fn located(text: &str) -> Option<Located<String>> {
        Some(Located::new(text.to_string(), Position::line(1)))
    }

    #[test]
    fn openssh_tags_become_versions() {
        let update = Update {
            present: true,
            enabled: true,
            github: Some(GithubMonitor {
                identifier: located("openssh/openssh-portable"),
                tag_filter_prefix: located("V_"),
                use_tag: true,
                ..GithubMonitor::default()
            }),
            version_transform: vec![VersionTransform {
                pattern: located(r"^V_(\d+)_(\d+)_P(\d+)$").unwrap(),
                replace: located("$1.${2}_p$3").unwrap(),
                regex: Regex::new(r"^V_(\d+)_(\d+)_P(\d+)$"),
            }],
            ..Update::default()
        };
        assert_eq!(
            update.version_from_tag("V_10_5_P1"),
            Ok(Some("10.5_p1".into()))
        );
        assert_eq!(
            update.version_from_tag("v1.0"),
            Err(TagRejection::Filtered {
                filter: "V_".into()
            })
        );
    }

    #[test]
    fn strip_ignore_and_separator() {
        let update = Update {
            present: true,
            git: Some(GitMonitor {
                strip_prefix: located("release-"),
                strip_suffix: located("-final"),
                ..GitMonitor::default()
            }),
            ignore_regex_patterns: vec![IgnorePattern {
                pattern: located("rc").unwrap(),
                regex: Regex::new("rc"),
            }],
            version_separator: Some("_".into()),
            ..Update::default()
        };
        assert_eq!(
            update.version_from_tag("release-1_2_3-final"),
            Ok(Some("1.2.3".into()))
        );
        assert_eq!(
            update.version_from_tag("release-1_3rc1"),
            Err(TagRejection::Ignored {
                pattern: "rc".into()
            })
        );
        assert_eq!(Update::default().version_from_tag("v1"), Ok(None));
        assert_eq!(
            update.tag_for_version("1.2.3"),
            None,
            "a separator cannot be undone"
        );
    }

    #[test]
    fn a_v_before_the_number_is_not_part_of_the_version() {
        let update = Update {
            present: true,
            github: Some(GithubMonitor {
                identifier: located("mahmoud/glom"),
                use_tag: true,
                ..GithubMonitor::default()
            }),
            ..Update::default()
        };
        assert_eq!(
            update.version_from_tag("v25.12.0"),
            Ok(Some("25.12.0".into()))
        );
        assert_eq!(
            update.version_from_tag("vendor-1"),
            Ok(Some("vendor-1".into()))
        );
    }

    #[test]
    fn tags_of_versions_run_the_rules_backwards() {
        let update = Update {
            present: true,
            github: Some(GithubMonitor {
                identifier: located("curl/curl"),
                strip_prefix: located("curl-"),
                ..GithubMonitor::default()
            }),
            ..Update::default()
        };
        assert_eq!(update.tag_for_version("8.1"), Some("curl-8.1".into()));
        assert_eq!(Update::default().tag_for_version("8.1"), None);
    }
}

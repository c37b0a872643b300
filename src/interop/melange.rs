//! `import melange`: a melange package YAML (Wolfi/Chainguard style) into a package.
//!
//! Read leniently: only the keys mindelta needs are declared, every other key of the (large)
//! melange schema is ignored. The version, the first `fetch` or `git-checkout`, every `patch`
//! step (nested pipelines included) and `update:` become the manifest; what has no place in a
//! manifest (cherry-picks, `expected-sha512`, …) is reported in `not_imported`, never guessed.
//! The mapping, field by field, is in docs/interop.md.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{
    ImportError, ImportedPackage, PatchFile, entry_from_header, header_metadata, install_package,
    report,
};
use crate::workspace::{Manifest, Releases, Upstream, UpstreamSource};

/// What to import and where it goes.
#[derive(Debug, Clone)]
pub struct MelangeImport {
    /// The melange YAML file.
    pub file: PathBuf,
    /// The package name (default: `package.name` of the YAML).
    pub name: Option<String>,
    /// Replace an existing package of the same name.
    pub force: bool,
}

#[derive(Debug, Deserialize)]
struct Melange {
    package: PackageInfo,
    #[serde(default)]
    vars: BTreeMap<String, String>,
    #[serde(default, rename = "var-transforms")]
    var_transforms: Vec<VarTransform>,
    #[serde(default)]
    pipeline: Vec<Step>,
    update: Option<Update>,
}

#[derive(Debug, Deserialize)]
struct PackageInfo {
    name: String,
    version: String,
}

#[derive(Debug, Deserialize)]
struct VarTransform {
    from: String,
    #[serde(rename = "match")]
    pattern: String,
    replace: String,
    to: String,
}

#[derive(Debug, Deserialize)]
struct Step {
    uses: Option<String>,
    with: Option<With>,
    pipeline: Option<Vec<Step>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct With {
    uri: Option<String>,
    expected_sha256: Option<String>,
    expected_sha512: Option<String>,
    repository: Option<String>,
    tag: Option<String>,
    branch: Option<String>,
    expected_commit: Option<String>,
    cherry_picks: Option<String>,
    patches: Option<String>,
    series: Option<String>,
    strip_components: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Update {
    enabled: Option<bool>,
    github: Option<TagRules>,
    git: Option<TagRules>,
    #[serde(rename = "release-monitor")]
    release_monitor: Option<ReleaseMonitor>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct TagRules {
    identifier: Option<String>,
    strip_prefix: Option<String>,
    strip_suffix: Option<String>,
    tag_filter: Option<String>,
    tag_filter_prefix: Option<String>,
    tag_filter_contains: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ReleaseMonitor {
    identifier: Option<String>,
}

/// One cherry-pick line of a `git-checkout` step: `[branch/]commit: comment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CherryPick {
    pub branch: Option<String>,
    pub commit: String,
    pub comment: String,
}

/// Parse a `cherry-picks:` block (blank lines and `#` comments skipped).
pub fn parse_cherry_picks(text: &str) -> Vec<CherryPick> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (reference, comment) = line.split_once(':').unwrap_or((line, ""));
            let (branch, commit) = match reference.trim().rsplit_once('/') {
                Some((branch, commit)) => (Some(branch.to_string()), commit),
                None => (None, reference.trim()),
            };
            CherryPick {
                branch,
                commit: commit.to_string(),
                comment: comment.trim().to_string(),
            }
        })
        .collect()
}

/// Substitutes melange's `${{…}}` expressions.
struct Substitution {
    values: BTreeMap<String, String>,
}

impl Substitution {
    fn new(melange: &Melange) -> Substitution {
        let mut values = BTreeMap::new();
        values.insert("package.name".to_string(), melange.package.name.clone());
        values.insert("package.version".to_string(), "{version}".to_string());
        for (key, value) in &melange.vars {
            values.insert(format!("vars.{key}"), value.clone());
        }
        let mut substitution = Substitution { values };
        // A transform depends on the concrete version, so its result is a literal for the
        // version being imported.
        let concrete = |text: &str, s: &Substitution| {
            s.apply(text).replace("{version}", &melange.package.version)
        };
        for transform in &melange.var_transforms {
            let from = concrete(&transform.from, &substitution);
            if let Ok(regex) = regex::Regex::new(&transform.pattern) {
                let to = regex
                    .replace_all(&from, transform.replace.as_str())
                    .into_owned();
                substitution
                    .values
                    .insert(format!("vars.{}", transform.to), to);
            }
        }
        substitution
    }

    fn apply(&self, text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${{") {
            let Some(end) = rest[start..].find("}}") else {
                break;
            };
            let key = rest[start + 3..start + end].trim();
            out.push_str(&rest[..start]);
            match self.values.get(key) {
                Some(value) => out.push_str(value),
                None => out.push_str(&rest[start..start + end + 2]),
            }
            rest = &rest[start + end + 2..];
        }
        out.push_str(rest);
        out
    }
}

/// Every step of the pipeline, nested pipelines included, in execution order.
fn flatten(steps: &[Step]) -> Vec<&Step> {
    let mut out = Vec::new();
    for step in steps {
        out.push(step);
        if let Some(inner) = &step.pipeline {
            out.extend(flatten(inner));
        }
    }
    out
}

/// Import a melange YAML into `patches_dir/<name>/`.
pub fn import_melange(
    patches_dir: &Path,
    options: &MelangeImport,
) -> Result<ImportedPackage, ImportError> {
    let path = &options.file;
    let invalid = |message: String| ImportError::Melange {
        path: path.clone(),
        message,
    };
    let text = fs_err::read_to_string(path)?;
    let melange: Melange = serde_saphyr::from_str(&text).map_err(|error| {
        let message = crate::workspace::manifest::yaml_message(&error);
        invalid(match error.location() {
            Some(at) => format!("line {}: {message}", at.line()),
            None => message,
        })
    })?;
    let name = options
        .name
        .clone()
        .unwrap_or_else(|| melange.package.name.clone());
    super::check_package_name(&name)?;
    let substitution = Substitution::new(&melange);
    let mut not_imported = Vec::new();
    let steps = flatten(&melange.pipeline);

    let fetches: Vec<&With> = steps
        .iter()
        .filter(|s| s.uses.as_deref() == Some("fetch"))
        .filter_map(|s| s.with.as_ref())
        .collect();
    let checkouts: Vec<&With> = steps
        .iter()
        .filter(|s| s.uses.as_deref() == Some("git-checkout"))
        .filter_map(|s| s.with.as_ref())
        .collect();
    for extra in fetches.iter().skip(1) {
        not_imported.push(format!(
            "another `fetch` step (`{}`): a manifest has one upstream",
            extra.uri.as_deref().unwrap_or("?")
        ));
    }
    for extra in checkouts.iter().skip(1) {
        not_imported.push(format!(
            "another `git-checkout` step (`{}`): a manifest has one upstream",
            extra.repository.as_deref().unwrap_or("?")
        ));
    }
    let checkout = checkouts.first().copied();
    if let Some(checkout) = checkout {
        if checkout.tag.is_none()
            && let Some(branch) = &checkout.branch
        {
            not_imported.push(format!(
                "`branch: {branch}`: a manifest follows tags (default `v{{version}}`, then `{{version}}`)"
            ));
        }
        for pick in parse_cherry_picks(checkout.cherry_picks.as_deref().unwrap_or("")) {
            not_imported.push(format!(
                "cherry-pick {}{}{}: melange applies it from the git history, there is no patch file (add it with `git format-patch -1 {}`)",
                pick.commit,
                pick.branch.map(|b| format!(" (branch {b})")).unwrap_or_default(),
                if pick.comment.is_empty() {
                    String::new()
                } else {
                    format!(" `{}`", pick.comment)
                },
                pick.commit,
            ));
        }
    }
    let update = melange.update.as_ref();
    let github_git = update
        .and_then(|u| u.github.as_ref())
        .and_then(|g| g.identifier.as_ref())
        .map(|id| format!("https://github.com/{id}.git"));
    let source = if let Some(fetch) = fetches.first() {
        let uri = fetch
            .uri
            .as_deref()
            .ok_or_else(|| invalid("a `fetch` step has no `uri`".into()))?;
        if fetch.expected_sha256.is_none()
            && let Some(sha512) = &fetch.expected_sha512
        {
            not_imported.push(format!(
                "`expected-sha512: {sha512}`: the manifest verifies tarballs by sha256; add `sha256` (or prepare with `--allow-unverified`)"
            ));
        }
        UpstreamSource::Tarball {
            url: substitution.apply(uri),
            sha256: fetch
                .expected_sha256
                .as_ref()
                .map(|s| s.trim().to_ascii_lowercase()),
            git: checkout
                .and_then(|c| c.repository.as_deref())
                .map(|r| substitution.apply(r))
                .or(github_git),
        }
    } else if let Some(checkout) = checkout {
        let repository = checkout
            .repository
            .as_deref()
            .ok_or_else(|| invalid("a `git-checkout` step has no `repository`".into()))?;
        UpstreamSource::Git {
            url: substitution.apply(repository),
            tag: checkout.tag.as_deref().map(|t| substitution.apply(t)),
            commit: checkout
                .expected_commit
                .as_deref()
                .map(|c| substitution.apply(c).trim().to_ascii_lowercase())
                .filter(|c| {
                    (7..=40).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_hexdigit())
                }),
        }
    } else {
        return Err(invalid(
            "no `fetch` or `git-checkout` step: the upstream source is unknown".into(),
        ));
    };

    let releases = match update {
        Some(update) if update.enabled == Some(false) => {
            not_imported.push("`update.enabled: false`: no release discovery".into());
            None
        }
        Some(update) => {
            if let Some(monitor) = &update.release_monitor {
                not_imported.push(format!(
                    "`release-monitor` id {}: discovery uses the git tags or a listing page",
                    monitor.identifier.as_deref().unwrap_or("?")
                ));
            }
            update
                .github
                .as_ref()
                .or(update.git.as_ref())
                .map(|rules| Releases {
                    pattern: Some(tag_pattern(rules, &mut not_imported)),
                    url: None,
                    prereleases: false,
                })
        }
        None => None,
    };

    let yaml_dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let mut files: Vec<PatchFile> = Vec::new();
    let mut patches = Vec::new();
    for step in steps.iter().filter(|s| s.uses.as_deref() == Some("patch")) {
        let with = step
            .with
            .as_ref()
            .ok_or_else(|| invalid("a `patch` step has no `with`".into()))?;
        let strip = match &with.strip_components {
            Some(text) => substitution.apply(text).trim().parse().map_err(|_| {
                invalid(format!(
                    "`strip-components` must be a number, found `{text}`"
                ))
            })?,
            None => 1,
        };
        let mut listed: Vec<(String, usize)> = with
            .patches
            .as_deref()
            .unwrap_or("")
            .split_whitespace()
            .map(|p| (substitution.apply(p), strip))
            .collect();
        if let Some(series) = &with.series {
            let series_path = locate(
                &yaml_dir,
                &melange.package.name,
                &substitution.apply(series),
            );
            let text = fs_err::read_to_string(&series_path)?;
            let prefix = Path::new(&substitution.apply(series))
                .parent()
                .map(|p| p.to_string_lossy().into_owned())
                .filter(|p| !p.is_empty());
            for entry in super::parse_series(&text, &series_path)? {
                let file = match &prefix {
                    Some(prefix) => format!("{prefix}/{}", entry.file),
                    None => entry.file,
                };
                listed.push((file, entry.strip));
            }
        }
        for (file, strip) in listed {
            crate::patch::path::safe_relative(file.as_bytes())
                .map_err(|e| invalid(format!("patch {e}")))?;
            if files.iter().any(|f| f.file == file) {
                return Err(invalid(format!("patch `{file}` is applied twice")));
            }
            let patch_path = locate(&yaml_dir, &melange.package.name, &file);
            let bytes = fs_err::read(&patch_path)?;
            let metadata = header_metadata(&patch_path, &bytes)?;
            patches.push(entry_from_header(&file, strip, &metadata));
            files.push(PatchFile { file, bytes });
        }
    }

    let manifest = Manifest {
        name: Some(name.clone()),
        upstream: Upstream {
            version: melange.package.version.trim().to_string(),
            source,
            releases,
            scheme: None,
            version_line: 0,
            native: None,
        },
        patches,
        expired: Vec::new(),
    };
    let dir = install_package(patches_dir, &name, &manifest, &files, options.force)?;
    Ok(report(&name, dir, &manifest, not_imported))
}

/// A patch file of a melange package: `<yaml folder>/<package>/<file>`, else next to the YAML.
fn locate(yaml_dir: &Path, package: &str, file: &str) -> PathBuf {
    let in_source_dir = yaml_dir.join(package).join(file);
    if in_source_dir.is_file() {
        in_source_dir
    } else {
        yaml_dir.join(file)
    }
}

/// A release pattern from melange's tag rules: the version is what remains of a tag once
/// `strip-prefix`/`strip-suffix` are removed; tag filters narrow the tags.
fn tag_pattern(rules: &TagRules, not_imported: &mut Vec<String>) -> String {
    let prefix = rules.strip_prefix.clone().unwrap_or_default();
    let suffix = rules.strip_suffix.clone().unwrap_or_default();
    let filter = rules
        .tag_filter
        .clone()
        .or_else(|| rules.tag_filter_prefix.clone())
        .unwrap_or_default();
    // An empty filter filters nothing (most packages have none).
    let version_start = match filter.strip_prefix(prefix.as_str()) {
        _ if filter.is_empty() => String::new(),
        Some(rest) => regex::escape(rest),
        None => {
            not_imported.push(format!(
                "tag filter `{filter}` does not start with `strip-prefix` `{prefix}`"
            ));
            String::new()
        }
    };
    if let Some(contains) = &rules.tag_filter_contains {
        not_imported.push(format!("`tag-filter-contains: {contains}`"));
    }
    format!(
        "^{}(?<version>{}[0-9][0-9A-Za-z.+~_-]*){}$",
        regex::escape(&prefix),
        version_start,
        regex::escape(&suffix)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cherry_pick_lines() {
        let picks = parse_cherry_picks(
            "\n  # a comment\n  main/abc1234def5678: fix the thing\n  0123456789abcdef0123456789abcdef01234567: no branch\n  release/1.x/fedcba9: nested branch\n",
        );
        assert_eq!(picks.len(), 3);
        assert_eq!(picks[0].branch.as_deref(), Some("main"));
        assert_eq!(picks[0].commit, "abc1234def5678");
        assert_eq!(picks[0].comment, "fix the thing");
        assert_eq!(picks[1].branch, None);
        assert_eq!(picks[2].branch.as_deref(), Some("release/1.x"));
    }

    #[test]
    fn scalars_keep_their_text() {
        let melange: Melange = serde_saphyr::from_str(
            "package:\n  name: x\n  version: 1.10\n  epoch: 3\nvars:\n  short: 1.0\nupdate:\n  release-monitor:\n    identifier: 5303\n  enabled: true\nunknown:\n  - [1, 2]\npipeline:\n  - uses: patch\n    with:\n      strip-components: 0\n      patches: a.patch\n    if: ${{build.arch}} == 'x86_64'\n",
        )
        .unwrap();
        assert_eq!(melange.package.version, "1.10");
        assert_eq!(melange.vars["short"], "1.0");
        assert_eq!(
            melange
                .update
                .unwrap()
                .release_monitor
                .unwrap()
                .identifier
                .as_deref(),
            Some("5303")
        );
        assert_eq!(
            melange.pipeline[0]
                .with
                .as_ref()
                .unwrap()
                .strip_components
                .as_deref(),
            Some("0")
        );
    }

    #[test]
    fn substitution_and_var_transforms() {
        let melange: Melange = serde_saphyr::from_str(
            "package:\n  name: icu\n  version: 74.2\nvars:\n  site: https://example.org\nvar-transforms:\n  - from: ${{package.version}}\n    match: \\.\n    replace: _\n    to: underscored\npipeline: []\n",
        )
        .unwrap();
        let substitution = Substitution::new(&melange);
        assert_eq!(
            substitution.apply("${{vars.site}}/${{package.name}}-${{package.version}}.tgz"),
            "https://example.org/icu-{version}.tgz"
        );
        assert_eq!(
            substitution.apply("icu4c-${{vars.underscored}}"),
            "icu4c-74_2"
        );
        assert_eq!(
            substitution.apply("${{ unknown.key }}"),
            "${{ unknown.key }}"
        );
    }

    #[test]
    fn tag_patterns() {
        let mut notes = Vec::new();
        let rules = TagRules {
            strip_prefix: Some("v".into()),
            tag_filter: Some("v1.".into()),
            ..TagRules::default()
        };
        let pattern = tag_pattern(&rules, &mut notes);
        assert_eq!(pattern, r"^v(?<version>1\.[0-9][0-9A-Za-z.+~_-]*)$");
        let regex = regex::Regex::new(&pattern).unwrap();
        assert_eq!(&regex.captures("v1.2.3").unwrap()["version"], "1.2.3");
        assert!(regex.captures("v2.0").is_none());
        assert!(notes.is_empty());
        let plain = tag_pattern(&TagRules::default(), &mut notes);
        assert!(regex::Regex::new(&plain).unwrap().is_match("2.0.1"));
        // A strip-prefix without a filter says nothing about filters.
        let stripped = TagRules {
            strip_prefix: Some("v".into()),
            ..TagRules::default()
        };
        assert!(
            regex::Regex::new(&tag_pattern(&stripped, &mut notes))
                .unwrap()
                .is_match("v2.0.1")
        );
        assert!(notes.is_empty(), "{notes:?}");
    }
}

//! `package.yaml`, schema version 1 (DESIGN.md §1): read, validate, and resolve templates.
//!
//! Reading goes through serde-saphyr with `deny_unknown_fields` everywhere, so a typo such as
//! `fixed_in:` for `fixed-in:` is an error naming the file, line and key rather than a silently
//! disabled expiry. Checks serde cannot express (exactly one source kind, a known status, a
//! well-formed checksum, safe patch paths, a `fixed-in` that is a version requirement) run
//! after, with the line of the offending entry and what to write instead; [`Manifest::load`]
//! also checks that every listed patch file is there.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::patch::path::safe_relative;
use crate::upstream::requirement::{FORMS, Requirement};

/// A manifest that could not be read or is invalid. `line` is 1-based (0 when unknown).
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read `{path}`")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {message}", location(path, *line))]
    Invalid {
        path: PathBuf,
        line: usize,
        message: String,
        hint: Option<String>,
    },
}

fn location(path: &Path, line: usize) -> String {
    if line == 0 {
        format!("`{}`", path.display())
    } else {
        format!("`{}` line {line}", path.display())
    }
}

impl ManifestError {
    /// What the user can do about it, when there is something to say.
    pub fn hint(&self) -> Option<&str> {
        match self {
            ManifestError::Invalid { hint, .. } => hint.as_deref(),
            ManifestError::Io { .. } => None,
        }
    }
}

/// The validated manifest of one package.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    pub name: Option<String>,
    pub upstream: Upstream,
    pub patches: Vec<PatchEntry>,
    pub expired: Vec<ExpiredEntry>,
}

/// Where upstream comes from and which release the patches target.
#[derive(Debug, Clone, PartialEq)]
pub struct Upstream {
    pub version: String,
    pub source: UpstreamSource,
    pub releases: Option<Releases>,
    pub scheme: Option<String>,
    /// Line of the `version:` key (for edits and findings).
    pub version_line: usize,
    /// The package as its native reader read it, when it was read in place (a melange file, a
    /// Debian source package): what this manifest has no place for (a tag computed for any
    /// version, integrity pins, component tarballs). `None` for `package.yaml`.
    pub native: Option<crate::native::NativeOrigin>,
}

/// Exactly one kind of upstream source, with `{version}` templates unresolved.
#[derive(Debug, Clone, PartialEq)]
pub enum UpstreamSource {
    Git {
        url: String,
        /// The tag template; `None` means the default `v{version}`, then `{version}`.
        tag: Option<String>,
        /// The integrity pin: the commit the pinned version's tag must resolve to (exit 6 if
        /// not); lower-case hex, 7 to 40 digits.
        commit: Option<String>,
    },
    Tarball {
        url: String,
        sha256: Option<String>,
        /// A git repository of the same project, for the history detectors.
        git: Option<String>,
    },
    Dir {
        path: String,
    },
}

/// How to discover newer releases.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Releases {
    pub pattern: Option<String>,
    pub url: Option<String>,
    #[serde(default)]
    pub prereleases: bool,
}

/// Where a patch stands upstream (Yocto's `Upstream-Status` vocabulary, lower case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PatchStatus {
    Pending,
    Submitted,
    Backport,
    Denied,
    Inappropriate,
    InactiveUpstream,
}

impl PatchStatus {
    /// All statuses, in the order the manifest documents them.
    pub const ALL: [PatchStatus; 6] = [
        PatchStatus::Pending,
        PatchStatus::Submitted,
        PatchStatus::Backport,
        PatchStatus::Denied,
        PatchStatus::Inappropriate,
        PatchStatus::InactiveUpstream,
    ];

    /// The manifest spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PatchStatus::Pending => "pending",
            PatchStatus::Submitted => "submitted",
            PatchStatus::Backport => "backport",
            PatchStatus::Denied => "denied",
            PatchStatus::Inappropriate => "inappropriate",
            PatchStatus::InactiveUpstream => "inactive-upstream",
        }
    }

    /// Parse a manifest or `Upstream-Status:` value, case-insensitively.
    pub fn parse(text: &str) -> Option<PatchStatus> {
        let wanted = text.trim().to_ascii_lowercase().replace(' ', "-");
        PatchStatus::ALL.into_iter().find(|s| s.as_str() == wanted)
    }
}

/// One entry of `patches:`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchEntry {
    pub file: String,
    pub reason: Option<String>,
    pub status: Option<PatchStatus>,
    pub upstream_commit: Option<String>,
    pub upstream_url: Option<String>,
    pub fixed_in: Option<String>,
    pub cves: Vec<String>,
    pub added: Option<String>,
    pub strip: usize,
    /// Dependencies upstream dropped for another (`replaced-dependencies: {old: new}`): when
    /// R no longer declares `old` but declares `new`, the `dependency-superseded` detector
    /// reports the replacement instead of `not-found` (evidence, never a proof).
    pub replaced_dependencies: Vec<(String, String)>,
    /// 1-based line of the entry in the manifest.
    pub line: usize,
}

impl PatchEntry {
    /// An entry for `file` with nothing else declared (strip 1, no line).
    pub fn new(file: impl Into<String>) -> PatchEntry {
        PatchEntry {
            file: file.into(),
            reason: None,
            status: None,
            upstream_commit: None,
            upstream_url: None,
            fixed_in: None,
            cves: Vec::new(),
            added: None,
            strip: 1,
            replaced_dependencies: Vec::new(),
            line: 0,
        }
    }
}

/// One entry of `expired:`, the audit trail of dropped patches.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExpiredEntry {
    pub file: String,
    pub release: String,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    name: Option<String>,
    upstream: Spanned<RawUpstream>,
    patches: Option<Vec<Spanned<RawPatchEntry>>>,
    expired: Option<Vec<ExpiredEntry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUpstream {
    version: Spanned<String>,
    git: Option<String>,
    tag: Option<String>,
    commit: Option<Spanned<String>>,
    tarball: Option<String>,
    sha256: Option<Spanned<String>>,
    dir: Option<String>,
    releases: Option<Releases>,
    scheme: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawPatchEntry {
    file: String,
    reason: Option<String>,
    status: Option<String>,
    upstream_commit: Option<String>,
    upstream_url: Option<String>,
    fixed_in: Option<Spanned<String>>,
    #[serde(default)]
    cves: Vec<String>,
    added: Option<String>,
    strip: Option<usize>,
    #[serde(default)]
    replaced_dependencies: std::collections::BTreeMap<String, String>,
}

const SCHEMES: [&str; 5] = ["default", "semver", "debian", "rpm", "calver"];

impl Manifest {
    /// Read and validate `package.yaml` at `path`, and check that every patch file it lists
    /// is in the package folder (the folder of `path`): a missing one would otherwise be
    /// judged `unknown` and never expire.
    pub fn load(path: &Path) -> Result<Manifest, ManifestError> {
        let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let manifest = Manifest::parse(&text, path)?;
        let folder = path.parent().unwrap_or(Path::new("."));
        manifest.check_patch_files(folder, path)?;
        Ok(manifest)
    }

    /// Every listed patch file is a file under `folder`; the first that is not is an error on
    /// its entry's line, with the unlisted file of the nearest name when there is one.
    fn check_patch_files(&self, folder: &Path, path: &Path) -> Result<(), ManifestError> {
        for entry in &self.patches {
            let file = folder.join(&entry.file);
            if file.is_file() {
                continue;
            }
            let what = if file.exists() {
                "is not a file"
            } else {
                "does not exist"
            };
            let guess = nearest_unlisted(folder, &entry.file, &self.patches)
                .map(|name| format!(" (did you mean `{name}`?)"))
                .unwrap_or_default();
            return Err(ManifestError::Invalid {
                path: path.to_path_buf(),
                line: entry.line,
                message: format!("patch file `{}` {what}{guess}", entry.file),
                hint: Some(
                    "restore the file, or correct or remove its entry under `patches:` \
                     (paths are relative to the package folder)"
                        .to_string(),
                ),
            });
        }
        Ok(())
    }

    /// Parse and validate manifest text; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Manifest, ManifestError> {
        let raw: RawManifest = serde_saphyr::from_str(text).map_err(|error| {
            let line = error.location().map(|l| l.line() as usize).unwrap_or(0);
            let message = yaml_message(&error);
            let hint = if message.contains("unknown field") {
                Some(
                    "check the spelling against the manifest format in the README \
                     (keys are kebab-case, e.g. `fixed-in`, `upstream-commit`)"
                        .to_string(),
                )
            } else if message.contains("expected a string") || message.contains("invalid type") {
                Some("quote versions and dates, e.g. `version: \"1.10\"`".to_string())
            } else {
                None
            };
            ManifestError::Invalid {
                path: path.to_path_buf(),
                line,
                message,
                hint,
            }
        })?;
        let invalid = |line: usize, message: String, hint: Option<&str>| ManifestError::Invalid {
            path: path.to_path_buf(),
            line,
            message,
            hint: hint.map(str::to_string),
        };

        let upstream_line = raw.upstream.referenced.line() as usize;
        let upstream = raw.upstream.value;
        let version_line = upstream.version.referenced.line() as usize;
        let version = upstream.version.value.trim().to_string();
        if version.is_empty() {
            return Err(invalid(
                version_line,
                "`upstream.version` is empty".into(),
                None,
            ));
        }
        let kinds = [
            upstream.git.is_some() && upstream.tarball.is_none(),
            upstream.tarball.is_some(),
            upstream.dir.is_some(),
        ];
        let count = kinds.iter().filter(|kind| **kind).count();
        if count != 1 || (upstream.dir.is_some() && upstream.git.is_some()) {
            return Err(invalid(
                upstream_line,
                "`upstream` needs exactly one source kind: `git`, `tarball` or `dir`".into(),
                Some(
                    "a tarball upstream may also name its `git` repository for the history detectors",
                ),
            ));
        }
        let sha256 = match upstream.sha256 {
            Some(sum) => {
                let value = sum.value.trim().to_ascii_lowercase();
                if value.len() != 64 || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(invalid(
                        sum.referenced.line() as usize,
                        format!("`sha256` must be 64 hexadecimal digits, found `{value}`"),
                        None,
                    ));
                }
                Some(value)
            }
            None => None,
        };
        if sha256.is_some() && upstream.tarball.is_none() {
            return Err(invalid(
                upstream_line,
                "`sha256` is only meaningful with a `tarball` upstream".into(),
                None,
            ));
        }
        let commit = match upstream.commit {
            Some(pin) => {
                let value = pin.value.trim().to_ascii_lowercase();
                let line = pin.referenced.line() as usize;
                if !(7..=40).contains(&value.len()) || !value.bytes().all(|b| b.is_ascii_hexdigit())
                {
                    return Err(invalid(
                        line,
                        format!(
                            "`commit` must be a commit id (7 to 40 hexadecimal digits), found `{value}`"
                        ),
                        None,
                    ));
                }
                if !kinds[0] {
                    return Err(invalid(
                        line,
                        "`commit` is only meaningful with a `git` upstream".into(),
                        None,
                    ));
                }
                Some(value)
            }
            None => None,
        };
        if upstream.tag.is_some() && upstream.git.is_none() {
            return Err(invalid(
                upstream_line,
                "`tag` is only meaningful with a `git` upstream".into(),
                None,
            ));
        }
        let source = if kinds[1] {
            UpstreamSource::Tarball {
                url: upstream.tarball.unwrap_or_default(),
                sha256,
                git: upstream.git,
            }
        } else if kinds[0] {
            UpstreamSource::Git {
                url: upstream.git.unwrap_or_default(),
                tag: upstream.tag,
                commit,
            }
        } else {
            UpstreamSource::Dir {
                path: upstream.dir.unwrap_or_default(),
            }
        };
        let scheme = match upstream.scheme {
            Some(scheme) if !SCHEMES.contains(&scheme.value.as_str()) => {
                return Err(invalid(
                    scheme.referenced.line() as usize,
                    format!("unknown version scheme `{}`", scheme.value),
                    Some("use one of `semver`, `debian`, `rpm`, `calver` (or leave it out)"),
                ));
            }
            Some(scheme) => Some(scheme.value),
            None => None,
        };

        let raw_patches = raw.patches.unwrap_or_default();
        let mut patches = Vec::with_capacity(raw_patches.len());
        let mut seen = std::collections::HashMap::new();
        for spanned in raw_patches {
            let line = spanned.referenced.line() as usize;
            let entry = spanned.value;
            if let Err(reason) = safe_relative(entry.file.as_bytes()) {
                return Err(invalid(
                    line,
                    format!("patch file {reason}"),
                    Some("patch files are paths relative to the package folder"),
                ));
            }
            if let Some(first) = seen.insert(entry.file.clone(), line) {
                return Err(invalid(
                    line,
                    format!(
                        "patch `{}` is listed twice (first at line {first})",
                        entry.file
                    ),
                    None,
                ));
            }
            let status = match entry.status.as_deref() {
                Some(text) => Some(PatchStatus::parse(text).ok_or_else(|| {
                    invalid(
                        line,
                        format!("patch `{}` has unknown status `{text}`", entry.file),
                        Some(
                            "use one of `pending`, `submitted`, `backport`, `denied`, \
                             `inappropriate`, `inactive-upstream`",
                        ),
                    )
                })?),
                None => None,
            };
            if let Some(commit) = &entry.upstream_commit
                && (commit.len() < 7 || !commit.bytes().all(|b| b.is_ascii_hexdigit()))
            {
                return Err(invalid(
                    line,
                    format!(
                        "patch `{}`: `upstream-commit` must be a commit id (7 to 40 hexadecimal digits), found `{commit}`",
                        entry.file
                    ),
                    None,
                ));
            }
            // A requirement that does not parse would never match a release: the patch would
            // silently never expire.
            let fixed_in = match entry.fixed_in {
                Some(spanned) => {
                    let text = spanned.value;
                    if let Err(error) = Requirement::parse(&text) {
                        let hint = match &error.suggestion {
                            Some(meant) => format!("write `{meant}`"),
                            None => format!("write a version requirement such as {FORMS}"),
                        };
                        return Err(invalid(
                            spanned.referenced.line() as usize,
                            format!(
                                "patch `{}` has an invalid `fixed-in` `{text}`: {}",
                                entry.file, error.problem
                            ),
                            Some(&hint),
                        ));
                    }
                    Some(text)
                }
                None => None,
            };
            patches.push(PatchEntry {
                file: entry.file,
                reason: entry.reason,
                status,
                upstream_commit: entry.upstream_commit.map(|c| c.to_ascii_lowercase()),
                upstream_url: entry.upstream_url,
                fixed_in,
                cves: entry.cves,
                added: entry.added,
                strip: entry.strip.unwrap_or(1),
                replaced_dependencies: entry.replaced_dependencies.into_iter().collect(),
                line,
            });
        }

        Ok(Manifest {
            name: raw.name,
            upstream: Upstream {
                version,
                source,
                releases: upstream.releases,
                scheme,
                version_line,
                native: None,
            },
            patches,
            expired: raw.expired.unwrap_or_default(),
        })
    }
}

impl Upstream {
    /// The tags to try for `version`, in order.
    pub fn tag_candidates(&self, version: &str) -> Vec<String> {
        if let Some(tags) = self.native.as_ref().and_then(|n| n.tag_candidates(version)) {
            return tags;
        }
        match &self.source {
            UpstreamSource::Git { tag: Some(t), .. } => vec![expand(t, version)],
            _ => vec![format!("v{version}"), version.to_string()],
        }
    }
}

/// The file beside a missing patch file that is not listed and whose name is nearest to it
/// (the same stem, or at most two edits away), for a "did you mean".
fn nearest_unlisted(folder: &Path, file: &str, listed: &[PatchEntry]) -> Option<String> {
    let (parent, name) = match file.rsplit_once('/') {
        Some((parent, name)) => (Some(parent), name),
        None => (None, file),
    };
    let entries =
        std::fs::read_dir(parent.map_or(folder.to_path_buf(), |p| folder.join(p))).ok()?;
    let stem = |name: &str| {
        name.rsplit_once('.')
            .map_or(name, |(stem, _)| stem)
            .to_string()
    };
    let mut best: Option<(usize, String)> = None;
    for entry in entries.flatten() {
        let Some(candidate) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        let relative = match parent {
            Some(parent) => format!("{parent}/{candidate}"),
            None => candidate.clone(),
        };
        if candidate == "package.yaml"
            || !entry.path().is_file()
            || listed.iter().any(|p| p.file == relative)
        {
            continue;
        }
        let distance = strsim::levenshtein(name, &candidate);
        if (distance <= 2 || stem(name) == stem(&candidate))
            && best.as_ref().is_none_or(|(d, _)| distance < *d)
        {
            best = Some((distance, relative));
        }
    }
    best.map(|(_, name)| name)
}

/// Replace `{version}` in a template.
pub fn expand(template: &str, version: &str) -> String {
    template.replace("{version}", version)
}

/// A serde-saphyr error as one sentence without a location (the caller's error prints it
/// once). Its limits against hostile YAML print as Rust debug text (`budget breached: Nodes
/// { nodes: 250001 }`), so they get a sentence of their own here.
pub(crate) fn yaml_message(error: &serde_saphyr::Error) -> String {
    use serde_saphyr::budget::BudgetBreach as B;
    // The breach may come wrapped with a snippet of the source or an alias's location.
    let mut inner = error.without_snippet();
    while let serde_saphyr::Error::AliasError { error, .. } = inner {
        inner = error.without_snippet();
    }
    let serde_saphyr::Error::Budget { breach, .. } = inner else {
        return clean_message(&error.to_string());
    };
    let what = match breach {
        B::Events { events } => format!("more than {events} YAML events"),
        B::Aliases { aliases } => format!("more than {aliases} aliases"),
        B::Anchors { anchors } => format!("more than {anchors} anchors"),
        B::Depth { depth } => format!("nesting deeper than {depth} levels"),
        B::Documents { documents } => format!("more than {documents} documents"),
        B::Nodes { nodes } => format!("more than {nodes} nodes"),
        B::ScalarBytes { total_scalar_bytes } => {
            format!("more than {total_scalar_bytes} bytes of values")
        }
        B::MergeKeys { merge_keys } => format!("more than {merge_keys} merge keys"),
        B::AliasAnchorRatio { aliases, anchors } => {
            format!("{aliases} aliases of {anchors} anchor(s)")
        }
        B::InputBytes { input_bytes } => format!("more than {input_bytes} bytes"),
        B::SequenceUnbalanced => return "the YAML structure is unbalanced".to_string(),
        _ => "too many aliases, anchors or nested values".to_string(),
    };
    format!("the YAML is too large or too complex to read safely: {what}")
}

/// The first line of a serde-saphyr message without its own `error:` and `line N column M:`
/// prefixes (the location is printed once, by the caller's error: `ManifestError`,
/// `PolicyError`).
pub(crate) fn clean_message(text: &str) -> String {
    let mut line = text.lines().next().unwrap_or(text).trim();
    line = line.strip_prefix("error:").unwrap_or(line).trim_start();
    if let Some(rest) = line.strip_prefix("line ")
        && let Some((_, message)) = rest.split_once(": ")
    {
        line = message;
    }
    line.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Manifest, ManifestError> {
        Manifest::parse(text, Path::new("patches/zlib/package.yaml"))
    }

    #[test]
    fn reads_the_documented_example() {
        let manifest = parse(
            "name: zlib\nupstream:\n  version: \"1.3\"\n  git: https://example.org/zlib.git\n  tag: \"v{version}\"\npatches:\n  - file: 0001-fix.patch\n    reason: Fix overflow\n    status: backport\n    upstream-commit: eff308af425b67093bab25f80f1ae950166bece1\n    fixed-in: \">=1.3.1\"\n    cves: [CVE-2022-37434]\n    added: 2022-08-08\n  - file: debian/0002.patch\n    strip: 0\n",
        )
        .unwrap();
        assert_eq!(manifest.upstream.version, "1.3");
        assert_eq!(manifest.patches.len(), 2);
        assert_eq!(manifest.patches[0].status, Some(PatchStatus::Backport));
        assert_eq!(manifest.patches[0].line, 7);
        assert_eq!(manifest.patches[1].strip, 0);
        assert_eq!(manifest.patches[1].line, 14);
        assert_eq!(manifest.upstream.tag_candidates("1.3"), vec!["v1.3"]);
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let error = parse(
            "upstream:\n  version: \"1.3\"\n  dir: ../src\npatches:\n  - file: a.patch\n    fixed_in: \">=2\"\n",
        )
        .unwrap_err();
        let text = error.to_string();
        assert!(text.contains("patches/zlib/package.yaml"), "{text}");
        assert!(text.contains("line 6"), "{text}");
        assert!(text.contains("fixed_in"), "{text}");
    }

    #[test]
    fn refuses_two_source_kinds_and_bad_status() {
        assert!(parse("upstream:\n  version: \"1\"\n  dir: a\n  tarball: b\n").is_err());
        let error = parse(
            "upstream:\n  version: \"1\"\n  dir: a\npatches:\n  - file: a.patch\n    status: merged\n",
        )
        .unwrap_err();
        assert!(error.to_string().contains("line 5"), "{error}");
        assert!(
            parse("upstream:\n  version: \"1\"\n  dir: a\npatches:\n  - file: ../x.patch\n")
                .is_err()
        );
    }

    #[test]
    fn a_fixed_in_that_is_no_requirement_names_its_line_and_the_spelling_meant() {
        let manifest = |fixed_in: &str| {
            format!(
                "upstream:\n  version: \"1\"\n  dir: a\npatches:\n  - file: a.patch\n    reason: x\n    fixed-in: \"{fixed_in}\"\n"
            )
        };
        let error = parse(&manifest("=>1.1")).unwrap_err();
        let text = error.to_string();
        assert!(text.contains("line 7"), "{text}");
        assert!(
            text.contains(
                "patch `a.patch` has an invalid `fixed-in` `=>1.1`: unknown operator `=>`"
            ),
            "{text}"
        );
        assert_eq!(error.hint(), Some("write `>=1.1`"));
        let error = parse(&manifest("banana")).unwrap_err();
        assert!(
            error.to_string().contains("`banana` is not a version"),
            "{error}"
        );
        assert!(error.hint().unwrap().contains("`>=1.3.1`"), "{error:?}");
        assert!(parse(&manifest(">=1.1, <2 || 0.9.x")).is_ok());
    }

    #[test]
    fn load_refuses_a_listed_patch_file_that_is_not_there() {
        let temp = tempfile::tempdir().unwrap();
        let path = temp.path().join("package.yaml");
        std::fs::write(
            &path,
            "upstream:\n  version: \"1\"\n  dir: a\npatches:\n  - file: 0001-fix.patch\n  - file: debian/0002-more.patch\n",
        )
        .unwrap();
        std::fs::write(temp.path().join("0001-fix.patch"), "x").unwrap();
        let error = Manifest::load(&path).unwrap_err();
        let text = error.to_string();
        assert!(text.contains("line 6"), "{text}");
        assert!(
            text.contains("patch file `debian/0002-more.patch` does not exist"),
            "{text}"
        );
        assert!(!text.contains("did you mean"), "{text}");
        assert!(error.hint().unwrap().contains("restore the file"));
        std::fs::create_dir(temp.path().join("debian")).unwrap();
        std::fs::write(temp.path().join("debian/0002-more.diff"), "x").unwrap();
        let text = Manifest::load(&path).unwrap_err().to_string();
        assert!(
            text.contains("(did you mean `debian/0002-more.diff`?)"),
            "{text}"
        );
        std::fs::write(temp.path().join("debian/0002-more.patch"), "x").unwrap();
        assert!(Manifest::load(&path).is_ok());
    }

    #[test]
    fn a_commit_pin_is_a_commit_id_of_a_git_upstream() {
        let manifest = parse(
            "upstream:\n  version: \"2.0\"\n  git: https://example.org/x.git\n  commit: 0123456789ABCDEF0123456789abcdef01234567\n",
        )
        .unwrap();
        assert!(matches!(
            manifest.upstream.source,
            UpstreamSource::Git { commit: Some(ref c), .. } if c == "0123456789abcdef0123456789abcdef01234567"
        ));
        let error = parse("upstream:\n  version: \"2.0\"\n  git: x\n  commit: main\n").unwrap_err();
        assert!(error.to_string().contains("line 4"), "{error}");
        assert!(parse("upstream:\n  version: \"2.0\"\n  dir: x\n  commit: 0123456\n").is_err());
    }

    #[test]
    fn default_tags_try_v_prefix_first() {
        let manifest =
            parse("upstream:\n  version: \"2.0\"\n  git: https://example.org/x.git\n").unwrap();
        assert_eq!(manifest.upstream.tag_candidates("2.0"), vec!["v2.0", "2.0"]);
    }
}

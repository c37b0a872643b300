//! What the steps of a melange package do at one version: sources (`git-checkout`, `fetch`),
//! bumps, and above all the patches, resolved to the files of the package folder.
//!
//! melange's `patch` pipeline (`pkg/build/pipelines/patch.yaml`) runs in the step's working
//! directory (`/home/build`, or `working-directory:` of the step or of its parent, relative to
//! `/home/build`). `patches:` is split on whitespace, and a word starting with `#` is dropped;
//! otherwise a `series:` file is read, one path a line, lines starting with `#` and empty lines
//! skipped. Every path is opened from the working directory (not from the series' folder, unlike
//! quilt), with `patch -p<strip-components> --fuzz=<fuzz>` (defaults 1 and 2). The package folder
//! `<pkg>/` is copied to `/home/build` before the build, so a path that lands in `/home/build/X`
//! is the file `<pkg>/X` when that exists, and otherwise a file of the build tree (the upstream
//! source, or made by an earlier step). `${{package.srcdir}}` is `/home/build`. A path leaving
//! `/home/build` is refused. Shell line continuations (`a.patch \` at a line end) are joined as a
//! shell joins them, and a lone `\` word is dropped.

use std::path::{Path, PathBuf};

use super::MelangeError;
use super::model::{
    Action, AtVersion, Bump, BumpFile, BumpFileLocation, BumpTool, CherryPick, Fetch, GitCheckout,
    MelangePackage, PatchTool, Step, StepId,
};
use super::raw::WithValue;
use super::substitution::Substitution;
use crate::native::{Position, line_of, read_text};

/// The build workspace inside melange's build environment.
pub(super) const WORKSPACE: &str = "/home/build";

/// The most bytes of a `series:` file read. A series lists patch names, a few kilobytes at most
/// (Wolfi's longest is under 1 KiB); 1 MiB keeps a mistaken or hostile file from being read
/// whole. Change it with [`super::MelangeOptions::max_series_bytes`].
pub const MAX_SERIES_BYTES: u64 = 1 << 20;

/// One patch the build applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchEntry {
    pub step: StepId,
    pub tool: PatchTool,
    /// The path as the step gives it (substituted).
    pub written: String,
    /// The path inside the build workspace (`/home/build`), normalised: `../x.patch` under
    /// `working-directory: build` is `x.patch`.
    pub workspace_path: String,
    /// The step's working directory, where the patch applies: an absolute, normalised path of
    /// the build environment (`/home/build/build`).
    pub directory: String,
    pub location: PatchLocation,
    /// `-p` level (`strip-components`, default 1; `git am` strips 1).
    pub strip: usize,
    /// `--fuzz` (melange's default 2); `None` for `git am`.
    pub fuzz: Option<usize>,
    /// Where the path is written.
    pub origin: PatchOrigin,
    /// The step's `if:` condition, as written: the patch applies only when it holds.
    pub condition: Option<String>,
}

/// Where a patch file is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatchLocation {
    /// In the package folder (`<pkg>/…`): the file itself.
    PackageFolder(PathBuf),
    /// Not in the package folder: part of the build tree (the upstream source, or made by an
    /// earlier step).
    BuildTree,
}

/// Where a patch path is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatchOrigin {
    /// A word of `patches:` in the package YAML.
    Yaml(Position),
    /// A line of a `series:` file of the package folder.
    Series { file: PathBuf, position: Position },
}

/// A `series:` file that is not in the package folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadSeries {
    pub step: StepId,
    pub workspace_path: String,
    pub position: Position,
}

/// A `runs:` line that applies a patch itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellPatch {
    pub step: StepId,
    pub position: Position,
    pub command: String,
}

/// Why a patch path is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchPathProblem {
    #[error("it resolves to `{0}`, outside the build workspace `/home/build`")]
    OutsideWorkspace(String),
    #[error("it is the package folder itself, not a file")]
    NotAFile,
    #[error("`{0}` leads outside the repository through a symbolic link")]
    LeavesRepository(PathBuf),
}

/// A step's effect at one version, added to `at`.
pub(super) fn interpret(
    package: &MelangePackage,
    step: &Step,
    scope: &Substitution,
    at: &mut AtVersion,
) -> Result<(), MelangeError> {
    if step.action == Action::Other {
        return Ok(());
    }
    let inputs = step
        .with
        .iter()
        .filter_map(|entry| match &entry.value.value {
            WithValue::Text(text) => Some((entry.key.value.as_str(), text.as_str())),
            _ => None,
        });
    let scope = scope.step(inputs);
    let context = Context {
        package,
        step,
        scope: &scope,
    };
    match step.action {
        Action::GitCheckout => {
            let cherry_picks = context
                .resolve("cherry-picks")?
                .map(|text| parse_cherry_picks(&text))
                .unwrap_or_default();
            let destination = context
                .resolve("destination")?
                .unwrap_or_else(|| ".".into());
            at.git_checkouts.push(GitCheckout {
                step: step.id.clone(),
                repository: context.resolve("repository")?,
                tag: context.resolve("tag")?,
                branch: context.resolve("branch")?,
                expected_commit: context.resolve("expected-commit")?,
                folder: context.folder(&destination)?,
                destination,
                cherry_picks,
            });
        }
        Action::Fetch => {
            let directory = context.resolve("directory")?.unwrap_or_else(|| ".".into());
            at.fetches.push(Fetch {
                step: step.id.clone(),
                uri: context.resolve("uri")?,
                expected_sha256: context.resolve("expected-sha256")?,
                expected_sha512: context.resolve("expected-sha512")?,
                extract: context.resolve("extract")?.as_deref().map(str::trim) != Some("false"),
                strip_components: context.number("strip-components", 1)?,
                folder: context.folder(&directory)?,
                directory,
            })
        }
        Action::Patch(tool) => context.patches(tool, at)?,
        Action::Bump(tool) => at.bumps.push(context.bump(tool)?),
        Action::Other => {}
    }
    Ok(())
}

struct Context<'a> {
    package: &'a MelangePackage,
    step: &'a Step,
    scope: &'a Substitution,
}

impl Context<'_> {
    fn error_at(
        &self,
        position: Position,
        key: &str,
    ) -> impl Fn(super::SubstitutionError) -> MelangeError {
        let path = self.package.file.clone();
        let key = key.to_string();
        move |source| MelangeError::Substitution {
            path: path.clone(),
            line: position.line,
            key: key.clone(),
            source,
        }
    }

    /// A `with:` value, substituted (`None` when absent or empty).
    fn resolve(&self, key: &str) -> Result<Option<String>, MelangeError> {
        let Some(value) = self.step.input(key) else {
            return Ok(None);
        };
        let WithValue::Text(text) = &value.value else {
            return Ok(None);
        };
        let resolved = self
            .scope
            .resolve(text)
            .map_err(self.error_at(value.position, key))?;
        Ok(Some(resolved).filter(|text| !text.trim().is_empty()))
    }

    /// A number input (melange's check: digits after leading whitespace, newlines dropped).
    fn number(&self, key: &str, default: usize) -> Result<usize, MelangeError> {
        let Some(text) = self.resolve(key)? else {
            return Ok(default);
        };
        let digits: String = text.trim_start().chars().filter(|c| *c != '\n').collect();
        digits.parse().map_err(|_| MelangeError::Number {
            path: self.package.file.clone(),
            line: self.step.input(key).map(|v| v.position.line).unwrap_or(0),
            key: key.to_string(),
            value: text,
        })
    }

    /// The step's working directory inside the build environment.
    fn working_directory(&self) -> Result<String, MelangeError> {
        let Some(written) = &self.step.effective_working_directory else {
            return Ok(WORKSPACE.into());
        };
        let line = self
            .step
            .working_directory
            .as_ref()
            .map(|w| w.position)
            .unwrap_or(self.step.position);
        let resolved = self
            .scope
            .resolve(written)
            .map_err(self.error_at(line, "working-directory"))?;
        Ok(if resolved.starts_with('/') {
            resolved
        } else {
            format!("{WORKSPACE}/{resolved}")
        })
    }

    /// The folder of the build environment a step writes `target` (relative to its working
    /// directory, or absolute) to, normalised.
    fn folder(&self, target: &str) -> Result<String, MelangeError> {
        let target = target.trim();
        Ok(normalise(&if target.starts_with('/') {
            target.to_string()
        } else {
            format!("{}/{target}", self.working_directory()?)
        }))
    }

    /// Where a path written in the step lands, and whether the package folder holds it.
    fn locate(
        &self,
        cwd: &str,
        written: &str,
        file: &Path,
        line: usize,
    ) -> Result<(String, PatchLocation), MelangeError> {
        let refuse = |problem| MelangeError::PatchPath {
            path: file.to_path_buf(),
            line,
            patch: written.to_string(),
            problem,
        };
        let absolute = normalise(&if written.starts_with('/') {
            written.to_string()
        } else {
            format!("{cwd}/{written}")
        });
        let relative = match absolute.strip_prefix(WORKSPACE) {
            Some("") => return Err(refuse(PatchPathProblem::NotAFile)),
            Some(rest) if rest.starts_with('/') => rest[1..].to_string(),
            _ => return Err(refuse(PatchPathProblem::OutsideWorkspace(absolute))),
        };
        let candidate = self.package.source_dir.join(&relative);
        if !candidate.is_file() {
            return Ok((relative, PatchLocation::BuildTree));
        }
        // A folder of the repository may be a link to another (Wolfi's `bazel-6 -> bazel`);
        // a link out of the repository is refused.
        let root = self
            .package
            .file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let inside = match (candidate.canonicalize(), root.canonicalize()) {
            (Ok(real), Ok(root)) => real.starts_with(root),
            _ => false,
        };
        if !inside {
            return Err(refuse(PatchPathProblem::LeavesRepository(candidate)));
        }
        Ok((relative, PatchLocation::PackageFolder(candidate)))
    }

    fn patches(&self, tool: PatchTool, at: &mut AtVersion) -> Result<(), MelangeError> {
        let cwd = self.working_directory()?;
        let (strip, fuzz) = match tool {
            PatchTool::Patch => (
                self.number("strip-components", 1)?,
                Some(self.number("fuzz", 2)?),
            ),
            PatchTool::GitAm => (1, None),
        };
        let condition = self.step.condition.as_ref().map(|c| c.value.clone());
        let directory = normalise(&cwd);
        let entry = |written: String, workspace_path, location, origin| PatchEntry {
            step: self.step.id.clone(),
            tool,
            written,
            workspace_path,
            directory: directory.clone(),
            location,
            strip,
            fuzz,
            origin,
            condition: condition.clone(),
        };
        let series = match tool {
            PatchTool::Patch => self.resolve("series")?,
            PatchTool::GitAm => None,
        };
        let yaml = self.package.file.clone();
        if let Some(series) = series {
            // melange reads `series:` when it is set, and `patches:` only otherwise.
            let value = self
                .step
                .input("series")
                .map(|v| v.position)
                .unwrap_or_default();
            let (relative, location) = self.locate(&cwd, series.trim(), &yaml, value.line)?;
            let PatchLocation::PackageFolder(file) = location else {
                at.unread_series.push(UnreadSeries {
                    step: self.step.id.clone(),
                    workspace_path: relative,
                    position: value,
                });
                return Ok(());
            };
            let text = read_text(&file, self.package.series_limit)?;
            for (written, position) in series_lines(&text) {
                let (relative, location) = self.locate(&cwd, &written, &file, position.line)?;
                at.patches.push(entry(
                    written,
                    relative,
                    location,
                    PatchOrigin::Series {
                        file: file.clone(),
                        position,
                    },
                ));
            }
            return Ok(());
        }
        let Some(value) = self.step.input("patches") else {
            return Ok(());
        };
        let WithValue::Text(text) = &value.value else {
            return Ok(());
        };
        for (raw, position) in words(&self.package.source_text, text, value.position) {
            let resolved = self
                .scope
                .resolve(&raw)
                .map_err(self.error_at(position, "patches"))?;
            for written in resolved.split_whitespace().filter(|w| !w.starts_with('#')) {
                let (relative, location) = self.locate(&cwd, written, &yaml, position.line)?;
                at.patches.push(entry(
                    written.to_string(),
                    relative,
                    location,
                    PatchOrigin::Yaml(position),
                ));
            }
        }
        Ok(())
    }

    /// A bump step: its inline items, the dependency files it reads (named by an input, or
    /// the defaults its pipeline looks for), where it runs and the pom it edits. The
    /// pipelines are melange's `go/bump`, `maven/pombump`, Wolfi's `rust/cargobump` (`cd
    /// cargoroot`, then `bump-file` unless `packages` is set) and Wolfi's `bump` (omnibump:
    /// `deps` is a file of the working directory when one exists there, else inline items;
    /// with none of `deps`, `properties`, `packages`, `replaces`, the default files of its
    /// `language`).
    fn bump(&self, tool: BumpTool) -> Result<Bump, MelangeError> {
        let cwd = self.working_directory()?;
        let mut files = Vec::new();
        let mut dependencies = Vec::new();
        for key in ["deps", "packages", "dependencies"] {
            let Some(text) = self.resolve(key)? else {
                continue;
            };
            let line = self.step.input(key).map(|v| v.position.line).unwrap_or(0);
            let single = text.split_whitespace().count() == 1;
            if single && tool == BumpTool::Omnibump && key == "deps" {
                match self.bump_file(&cwd, text.trim(), Some((key, line))) {
                    Some(file) if file.location != BumpFileLocation::BuildTree => {
                        files.push(file);
                        continue;
                    }
                    _ => {}
                }
            }
            dependencies.extend(super::pins::shell_words(&text).map(str::to_string));
        }
        let modroot = match tool {
            BumpTool::RustCargobump => self.resolve("cargoroot")?,
            BumpTool::MavenPombump => None,
            BumpTool::GoBump | BumpTool::Omnibump => self.resolve("modroot")?,
        }
        .unwrap_or_else(|| ".".into());
        let language = match tool {
            BumpTool::GoBump => "go".to_string(),
            BumpTool::RustCargobump => "rust".to_string(),
            BumpTool::MavenPombump => "java".to_string(),
            BumpTool::Omnibump => self
                .resolve("language")?
                .map(|l| l.trim().to_string())
                .unwrap_or_else(|| "auto".into()),
        };
        // Files named by an input, each with its default (`None`: no default).
        let named: &[(&str, Option<&str>)] = match tool {
            BumpTool::MavenPombump => &[
                ("patch-file", Some("./pombump-deps.yaml")),
                ("properties-file", Some("./pombump-properties.yaml")),
            ],
            BumpTool::RustCargobump if dependencies.is_empty() => {
                &[("bump-file", Some("./cargobump-deps.yaml"))]
            }
            BumpTool::Omnibump => &[("properties", None)],
            BumpTool::RustCargobump | BumpTool::GoBump => &[],
        };
        // cargobump reads its file after `cd cargoroot`.
        let file_dir = match tool {
            BumpTool::RustCargobump => format!("{cwd}/{modroot}"),
            _ => cwd.clone(),
        };
        for (key, default) in named {
            let line = self.step.input(key).map(|v| v.position.line).unwrap_or(0);
            let written = self.resolve(key)?;
            let default_file = default.and_then(|d| self.bump_file(&file_dir, d, None));
            let Some(written) = written else {
                files.extend(default_file.filter(|f| f.location != BumpFileLocation::BuildTree));
                continue;
            };
            if let Some(mut file) = self.bump_file(&file_dir, written.trim(), Some((key, line))) {
                // Without the input, the pipeline falls back to its default file.
                if let (Some(fallback), BumpFileLocation::PackageFolder(own)) =
                    (default_file, &file.location)
                    && let BumpFileLocation::PackageFolder(other) = fallback.location
                    && other != *own
                {
                    file.fallbacks.push(other);
                }
                files.push(file);
            }
        }
        let inputs_set = ["deps", "properties", "packages", "replaces"]
            .iter()
            .map(|key| self.resolve(key))
            .collect::<Result<Vec<_>, _>>()?
            .iter()
            .any(Option::is_some);
        if tool == BumpTool::Omnibump && !inputs_set {
            files.extend(self.omnibump_defaults(&cwd, &language));
        }
        let manifest = match tool {
            BumpTool::MavenPombump => {
                Some(self.resolve("pom")?.unwrap_or_else(|| "pom.xml".into()))
            }
            BumpTool::Omnibump => self.resolve("manifest")?,
            BumpTool::GoBump | BumpTool::RustCargobump => None,
        }
        .map(|m| m.trim().to_string());
        let properties = match tool {
            BumpTool::MavenPombump => self
                .resolve("properties")?
                .map(|t| super::pins::shell_words(&t).map(str::to_string).collect())
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        Ok(Bump {
            step: self.step.id.clone(),
            tool,
            dependencies,
            replaces: self
                .resolve("replaces")?
                .map(|t| super::pins::shell_words(&t).map(str::to_string).collect())
                .unwrap_or_default(),
            properties,
            modroot,
            working_directory: cwd,
            language,
            manifest,
            files,
        })
    }

    /// A dependency file at `written` from folder `dir` of the build environment; `input`:
    /// the input naming it and its line (`None` for a default, which is left out unless the
    /// package folder holds it).
    fn bump_file(
        &self,
        dir: &str,
        written: &str,
        input: Option<(&str, usize)>,
    ) -> Option<BumpFile> {
        let yaml = self.package.file.clone();
        let location = match self.locate(dir, written, &yaml, input.map_or(0, |(_, l)| l)) {
            Ok((_, PatchLocation::PackageFolder(path))) => BumpFileLocation::PackageFolder(path),
            Ok((_, PatchLocation::BuildTree)) => BumpFileLocation::BuildTree,
            Err(_) if input.is_none() => return None,
            Err(error) => BumpFileLocation::Refused(match error {
                MelangeError::PatchPath { problem, .. } => problem.to_string(),
                other => other.to_string(),
            }),
        };
        Some(BumpFile {
            input: input.map(|(key, line)| (key.to_string(), line)),
            written: written.to_string(),
            location,
            fallbacks: Vec::new(),
        })
    }

    /// The files omnibump's pipeline reads when none of `deps`, `properties`, `packages` and
    /// `replaces` is set: per `language`, the first of its list that the working directory
    /// holds (the rest are its fallbacks).
    fn omnibump_defaults(&self, cwd: &str, language: &str) -> Vec<BumpFile> {
        let (deps, properties): (&[&str], &[&str]) = match language {
            "rust" => (&["cargobump-deps.yaml", "deps.yaml"], &[]),
            "go" => (&["gobump-deps.yaml", "deps.yaml"], &[]),
            "java" => (
                &["pombump-deps.yaml", "deps.yaml"],
                &["pombump-properties.yaml", "properties.yaml"],
            ),
            "auto" => (
                &[
                    "cargobump-deps.yaml",
                    "gobump-deps.yaml",
                    "deps.yaml",
                    "pombump-deps.yaml",
                ],
                &["pombump-properties.yaml", "properties.yaml"],
            ),
            _ => (&[], &[]),
        };
        let mut files = Vec::new();
        for list in [deps, properties] {
            let mut found = list.iter().filter_map(|name| {
                self.bump_file(cwd, name, None)
                    .filter(|f| matches!(f.location, BumpFileLocation::PackageFolder(_)))
            });
            if let Some(mut first) = found.next() {
                first.fallbacks = found
                    .filter_map(|f| match f.location {
                        BumpFileLocation::PackageFolder(path) => Some(path),
                        _ => None,
                    })
                    .collect();
                files.push(first);
            }
        }
        files
    }
}

/// A path made absolute and normalised: `.` dropped, `..` taking one component off (never above
/// the root), empty components dropped.
fn normalise(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    format!("/{}", parts.join("/"))
}

/// The words of a `patches:` value with their positions in the YAML source: split on
/// whitespace, shell line continuations joined (`a\` + newline + `b` is `ab`; a lone `\` before
/// a newline separates nothing), words starting with `#` dropped (melange drops them as comment
/// lines of its generated series).
pub(super) fn words(source: &str, text: &str, value: Position) -> Vec<(String, Position)> {
    let joined = text.replace("\\\r\n", "").replace("\\\n", "");
    let mut search_from = value.offset.unwrap_or(0).min(source.len());
    let mut out = Vec::new();
    for word in joined.split_whitespace() {
        if word == "\\" || word.starts_with('#') {
            continue;
        }
        // The word as written: find it in the source after the previous one. A word that the
        // source does not hold as is (joined across a continuation, escaped in quotes) takes the
        // value's position.
        let position = match source[search_from..].find(word) {
            Some(found) => {
                let offset = search_from + found;
                search_from = offset + word.len();
                Position::span(line_of(source, offset), offset, word.len())
            }
            None => value,
        };
        out.push((word.to_string(), position));
    }
    out
}

/// The paths of a melange `series:` file: one a line, lines starting with `#` and blank lines
/// skipped, each with the line's position.
fn series_lines(text: &str) -> Vec<(String, Position)> {
    let mut out = Vec::new();
    let mut offset = 0;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let content = line.trim_end_matches(['\n', '\r']);
        let trimmed = content.trim();
        if !trimmed.is_empty() && !content.starts_with('#') {
            let start = offset + (content.len() - content.trim_start().len());
            out.push((
                trimmed.to_string(),
                Position::span(index + 1, start, trimmed.len()),
            ));
        }
        offset += line.len();
    }
    out
}

/// `cherry-picks:` lines: `[branch/]commit: comment`, `#` comments and blank lines skipped.
pub fn parse_cherry_picks(text: &str) -> Vec<CherryPick> {
    text.lines()
        .map(|line| {
            line.split_once('#')
                .map(|(code, _)| code)
                .unwrap_or(line)
                .trim()
        })
        .filter(|line| !line.is_empty())
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

/// Lines of a `runs:` script that apply a patch themselves, with their positions.
pub(super) fn shell_patches(source: &str, step: &Step) -> Vec<ShellPatch> {
    let Some(runs) = &step.runs else {
        return Vec::new();
    };
    let mut search_from = runs.position.offset.unwrap_or(0).min(source.len());
    let mut out = Vec::new();
    for line in runs.value.lines() {
        let command = line.trim();
        let applies = command
            .split(['|', ';', '&', '(', '`'])
            .map(str::trim)
            .any(|part| {
                let mut words = part.split_whitespace();
                match words.next() {
                    Some("patch") => part.contains('<') || part.contains("-i"),
                    Some("git") => matches!(words.next(), Some("apply" | "am")),
                    _ => false,
                }
            });
        if !applies {
            continue;
        }
        let position = match source[search_from..].find(command) {
            Some(found) => {
                let offset = search_from + found;
                search_from = offset + command.len();
                Position::span(line_of(source, offset), offset, command.len())
            }
            None => runs.position,
        };
        out.push(ShellPatch {
            step: step.id.clone(),
            position,
            command: command.to_string(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_normalise_inside_the_workspace() {
        assert_eq!(
            normalise("/home/build/build/../x.patch"),
            "/home/build/x.patch"
        );
        assert_eq!(
            normalise("/home/build/./a//b.patch"),
            "/home/build/a/b.patch"
        );
        assert_eq!(normalise("/home/build/../../../etc/passwd"), "/etc/passwd");
    }

    #[test]
    fn words_of_a_patches_value() {
        let source = "      patches: |\n        a.patch \\\n        b.patch\n        # c.patch\n        d\\\ne.patch\n";
        let text = "a.patch \\\nb.patch\n# c.patch\nd\\\ne.patch\n";
        let value = Position::span(1, 15, source.len() - 15);
        let found = words(source, text, value);
        let names: Vec<&str> = found.iter().map(|(w, _)| w.as_str()).collect();
        assert_eq!(names, ["a.patch", "b.patch", "c.patch", "de.patch"]);
        assert_eq!(found[0].1.line, 2);
        assert_eq!(found[1].1.line, 3);
        // `c.patch` follows a `#` word: melange keeps it (only the `#` word is dropped).
        assert_eq!(found[2].1.line, 4);
        // Joined across the continuation: not in the source as is.
        assert_eq!(found[3].1, value);
    }

    #[test]
    fn series_lines_skip_comments_and_blanks() {
        let lines = series_lines("# head\n\na.patch\n  b.patch\r\n#c.patch\n");
        assert_eq!(
            lines,
            vec![
                ("a.patch".to_string(), Position::span(3, 8, 7)),
                ("b.patch".to_string(), Position::span(4, 18, 7)),
            ]
        );
    }

    #[test]
    fn cherry_pick_lines() {
        let picks = parse_cherry_picks(
            "\n  # a comment\n  main/abc1234: fix the thing # why\n  release/1.x/fedcba9: nested\n",
        );
        assert_eq!(picks.len(), 2);
        assert_eq!(picks[0].branch.as_deref(), Some("main"));
        assert_eq!(picks[0].commit, "abc1234");
        assert_eq!(picks[0].comment, "fix the thing");
        assert_eq!(picks[1].branch.as_deref(), Some("release/1.x"));
    }
}

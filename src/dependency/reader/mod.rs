//! Manifest readers: from a manifest's bytes to the requirements it declares, each with its
//! line (R's side), and from the lines of one side of a hunk to what each line is (the
//! patch's side, which sees only fragments of a file).
//!
//! Structured formats are parsed with maintained parsers that keep positions (`roxmltree` for
//! XML, `toml` for TOML, `jsonc-parser` for JSON); line-oriented formats (go.mod, go.sum,
//! requirements, Gemfile.lock, gemspecs, Gradle scripts, yarn.lock, pnpm-lock.yaml) are read a
//! line at a time, as their own tools do. A hunk's lines are never a whole document, so the
//! patch side classifies lines with the small line grammar of each format, using the hunk's
//! context lines for the structure around a change (the `<artifactId>` above a `<version>`,
//! the `name =` above a lock file's `version =`).

pub mod cargo;
pub mod go;
pub mod gradle;
pub mod maven;
pub mod npm;
pub mod python;
pub mod ruby;
mod toml_file;

use super::DependencyOptions;
use super::model::{ManifestKind, Requirement, Section};
use thiserror::Error;

/// A manifest that could not be read.
#[derive(Debug, Error)]
pub enum ManifestError {
    /// The file is larger than the bound.
    #[error("`{file}` is {size} bytes, more than the {limit}-byte bound on a manifest")]
    TooLarge {
        file: String,
        size: usize,
        limit: usize,
    },
    /// The file nests deeper than the bound.
    #[error("`{file}` line {line}: nesting deeper than {limit} levels")]
    TooDeep {
        file: String,
        line: usize,
        limit: usize,
    },
    /// The file is not UTF-8 text.
    #[error("`{file}` is not UTF-8 text")]
    NotText { file: String },
    /// The file does not parse.
    #[error("`{file}` line {line}: {message}")]
    Syntax {
        file: String,
        line: usize,
        message: String,
    },
}

/// What one line of a hunk is, as far as dependencies go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineRole {
    /// The line declares a requirement.
    Requirement(Declared),
    /// The line declares several (a one-line array: `dependencies = ["a>=1", "b==2"]`).
    Several(Vec<Declared>),
    /// The line belongs to a lock file entry (a checksum, a `resolved` URL, a dependency
    /// list); `entry` is the entry's package name when the hunk shows it.
    Lock { entry: Option<String> },
    /// Nothing to judge: blank, a comment, punctuation, a table or block header, a name line
    /// that only introduces the requirement below it.
    Neutral,
    /// Anything else: the patch changes more than requirements.
    Other,
}

/// A requirement as one hunk line declares it (the patch side of [`Requirement`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    pub name: String,
    pub version: String,
    pub section: Section,
    pub property: Option<String>,
    pub qualifier: Option<String>,
    pub replaced_by: Option<String>,
}

impl Declared {
    /// A declaration of `name` at `version` in `section`.
    pub fn new(name: impl Into<String>, version: impl Into<String>, section: Section) -> Declared {
        Declared {
            name: name.into(),
            version: version.into(),
            section,
            property: None,
            qualifier: None,
            replaced_by: None,
        }
    }

    /// The requirement at `file`:`line`.
    pub fn at(self, file: &str, line: usize) -> Requirement {
        Requirement {
            name: self.name,
            version: self.version,
            section: self.section,
            file: file.to_string(),
            line,
            property: self.property,
            qualifier: self.qualifier,
            replaced_by: self.replaced_by,
        }
    }
}

/// Read every requirement `text` declares, as a manifest of `kind` at `file`.
pub fn read(
    kind: ManifestKind,
    file: &str,
    text: &[u8],
    options: &DependencyOptions,
) -> Result<Vec<Requirement>, ManifestError> {
    if text.len() > options.max_manifest_bytes {
        return Err(ManifestError::TooLarge {
            file: file.to_string(),
            size: text.len(),
            limit: options.max_manifest_bytes,
        });
    }
    let text = std::str::from_utf8(text).map_err(|_| ManifestError::NotText {
        file: file.to_string(),
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    use ManifestKind::*;
    match kind {
        GoMod => Ok(go::read_go_mod(file, text)),
        GoSum => Ok(Vec::new()),
        PackageJson => npm::read_package_json(file, text, options),
        PackageLock => npm::read_package_lock(file, text, options),
        YarnLock => Ok(npm::read_yarn_lock(file, text)),
        PnpmLock => Ok(npm::read_pnpm_lock(file, text)),
        CargoToml => cargo::read_cargo_toml(file, text, options),
        CargoLock => cargo::read_cargo_lock(file, text, options),
        Requirements => Ok(python::read_requirements(file, text)),
        Pyproject => python::read_pyproject(file, text, options),
        UvLock | PoetryLock => python::read_python_lock(file, text, options),
        Pom => maven::read_pom(file, text, options),
        GradleBuild => Ok(gradle::read_build_script(file, text, options)),
        GradleCatalog => gradle::read_catalog(file, text, options),
        Gemfile => Ok(ruby::read_gemfile(file, text)),
        GemfileLock => Ok(ruby::read_gemfile_lock(file, text)),
        Gemspec => Ok(ruby::read_gemspec(file, text)),
    }
}

/// Classify each line of one side of a hunk (context and removed lines, or context and added
/// lines, in order) of a manifest of `kind`. `heading` is the text after the hunk's `@@ … @@`
/// (git's function context: often the enclosing block, `require (` or `[dependencies]`).
pub fn classify(kind: ManifestKind, lines: &[&str], heading: &str) -> Vec<LineRole> {
    use ManifestKind::*;
    match kind {
        GoMod => go::classify_go_mod(lines, heading),
        GoSum => go::classify_go_sum(lines),
        PackageJson => npm::classify_package_json(lines, heading),
        PackageLock => npm::classify_package_lock(lines),
        YarnLock => npm::classify_yarn_lock(lines),
        PnpmLock => npm::classify_pnpm_lock(lines),
        CargoToml => cargo::classify_cargo_toml(lines, heading),
        CargoLock | UvLock | PoetryLock => cargo::classify_toml_lock(kind, lines),
        Requirements => python::classify_requirements(lines),
        Pyproject => python::classify_pyproject(lines, heading),
        Pom => maven::classify_pom(lines),
        GradleBuild => gradle::classify_build_script(lines),
        GradleCatalog => gradle::classify_catalog(lines, heading),
        Gemfile => ruby::classify_gemfile(lines),
        GemfileLock => ruby::classify_gemfile_lock(lines),
        Gemspec => ruby::classify_gemspec(lines),
    }
}

/// The 1-based line of byte `offset` in `text`, for a single look-up (an error).
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    1 + memchr::memchr_iter(b'\n', &text.as_bytes()[..offset]).count()
}

/// Line starts of a text, so that the many look-ups of one manifest cost a binary search each
/// (a scan per requirement would be quadratic on a large lock file).
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|at| at + 1));
        LineIndex { starts }
    }

    /// The 1-based line of byte `offset`.
    pub(crate) fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|start| *start <= offset)
    }
}

/// Refuse input that nests brackets deeper than `limit` before a recursive parser sees it
/// (JSON and TOML arrays and tables). Strings are skipped; the scan is linear.
pub(crate) fn check_nesting(file: &str, text: &str, limit: usize) -> Result<(), ManifestError> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut in_string: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match in_string {
            Some(quote) => {
                if b == b'\\' && quote == b'"' {
                    i += 1;
                } else if b == quote || b == b'\n' && quote == b'\'' {
                    in_string = None;
                }
            }
            None => match b {
                b'"' | b'\'' => in_string = Some(b),
                b'#' if bytes.get(i + 1) != Some(&b'{') => {
                    // A TOML comment (JSON has no `#` outside strings).
                    while i < bytes.len() && bytes[i] != b'\n' {
                        i += 1;
                    }
                }
                b'[' | b'{' => {
                    depth += 1;
                    if depth > limit {
                        return Err(ManifestError::TooDeep {
                            file: file.to_string(),
                            line: line_of(text, i),
                            limit,
                        });
                    }
                }
                b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
        i += 1;
    }
    Ok(())
}

/// The text inside the first pair of `quote` characters, and what follows it.
pub(crate) fn quoted(text: &str, quote: char) -> Option<(&str, &str)> {
    let start = text.find(quote)? + quote.len_utf8();
    let end = text[start..].find(quote)? + start;
    Some((&text[start..end], &text[end + quote.len_utf8()..]))
}

/// True for a line with no letter or digit (braces, brackets, commas): structure only.
pub(crate) fn is_punctuation(line: &str) -> bool {
    !line.chars().any(char::is_alphanumeric)
}

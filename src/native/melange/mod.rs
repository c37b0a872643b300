//! The melange reader: one package YAML of a melange repository (Wolfi, Chainguard) into a
//! [`MelangePackage`]: name, version, epoch, `vars`, `var-transforms`, every pipeline step
//! (the package's and every subpackage's, nested ones included) with its YAML position,
//! `git-checkout`/`fetch`/patch/bump steps, and the `update:` block; and, for any version, what
//! the package is there ([`MelangePackage::at`]: tag, URIs, patch files).
//!
//! Semantics are melange's own (chainguard-dev/melange: `pkg/config/config.go`,
//! `pkg/build/pipeline.go`, `pkg/build/compile.go`, `pkg/cond/subst.go`,
//! `pkg/build/pipelines/{patch,git-am,fetch,git-checkout}.yaml`); each module cites what it
//! follows. Unknown keys are ignored: a melange file has many keys mindelta does not use.

pub mod bump_file;
pub mod edit;
mod model;
mod patches;
pub mod pins;
mod raw;
mod read;
mod substitution;
mod update;

use std::path::{Path, PathBuf};

pub use model::{
    Action, AtVersion, Bump, BumpFile, BumpFileLocation, BumpTool, CherryPick, Fetch, GitCheckout,
    MelangePackage, PatchTool, PatchTree, RangeItem, Step, StepId, Subpackage, Var, VarTransform,
    WithEntry,
};
pub use patches::{
    MAX_SERIES_BYTES, PatchEntry, PatchLocation, PatchOrigin, PatchPathProblem, ShellPatch,
    UnreadSeries, parse_cherry_picks,
};
pub use raw::WithValue;
pub use substitution::{
    MAX_SUBSTITUTED_BYTES, REGEX_SIZE_LIMIT, Substitution, SubstitutionError, TransformError,
    compile_go_regex, replace_all,
};
pub use update::{
    GitMonitor, GithubMonitor, IgnorePattern, ReleaseMonitor, TagRejection, Update,
    VersionTransform,
};

use crate::native::FileReadError;

/// The most bytes of a package YAML read. The largest file of wolfi-os is 68 KB (ceph); 4 MiB
/// leaves a wide margin and keeps a huge file from being parsed. Change it with
/// [`MelangeOptions::max_file_bytes`].
pub const MAX_FILE_BYTES: u64 = 4 << 20;

/// How deep `pipeline:` may nest in a step. melange sets no bound; the deepest nesting in
/// wolfi-os is 2. The YAML parser's own depth limit (64 levels) would stop a deeper file too,
/// but this one says what is wrong. Change it with [`MelangeOptions::max_pipeline_depth`].
pub const MAX_PIPELINE_DEPTH: usize = 16;

/// Bounds of the reader, each against hostile input.
#[derive(Debug, Clone)]
pub struct MelangeOptions {
    /// See [`MAX_FILE_BYTES`].
    pub max_file_bytes: u64,
    /// See [`MAX_SERIES_BYTES`].
    pub max_series_bytes: u64,
    /// See [`MAX_PIPELINE_DEPTH`].
    pub max_pipeline_depth: usize,
    /// See [`MAX_SUBSTITUTED_BYTES`].
    pub max_substituted_bytes: usize,
    /// See [`REGEX_SIZE_LIMIT`].
    pub regex_size_limit: usize,
}

impl Default for MelangeOptions {
    fn default() -> MelangeOptions {
        MelangeOptions {
            max_file_bytes: MAX_FILE_BYTES,
            max_series_bytes: MAX_SERIES_BYTES,
            max_pipeline_depth: MAX_PIPELINE_DEPTH,
            max_substituted_bytes: MAX_SUBSTITUTED_BYTES,
            regex_size_limit: REGEX_SIZE_LIMIT,
        }
    }
}

/// Why a melange package could not be read, or not computed at a version.
#[derive(Debug, thiserror::Error)]
pub enum MelangeError {
    #[error(transparent)]
    File(#[from] FileReadError),
    #[error("`{path}` line {line}: {message}")]
    Yaml {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("`{path}` line {line}: `epoch` must be a whole number, found `{value}`")]
    Epoch {
        path: PathBuf,
        line: usize,
        value: String,
    },
    #[error("`{path}` line {line}: `{pattern}` is not a regular expression melange accepts")]
    Regex {
        path: PathBuf,
        line: usize,
        pattern: String,
        #[source]
        source: regex::Error,
    },
    #[error("`{path}` line {line}: cannot compute {source}")]
    Transform {
        path: PathBuf,
        line: usize,
        #[source]
        source: TransformError,
    },
    #[error("`{path}` line {line}: cannot compute `{key}`")]
    Substitution {
        path: PathBuf,
        line: usize,
        key: String,
        #[source]
        source: SubstitutionError,
    },
    #[error("`{path}` line {line}: `{key}` must be a whole number, found `{value}`")]
    Number {
        path: PathBuf,
        line: usize,
        key: String,
        value: String,
    },
    #[error("`{path}` line {line}: patch `{patch}` is refused: {problem}")]
    PatchPath {
        /// The package YAML, or the `series:` file that lists the patch.
        path: PathBuf,
        line: usize,
        patch: String,
        problem: PatchPathProblem,
    },
    #[error("`{path}` line {line}: pipelines nest deeper than {limit} levels")]
    TooDeep {
        path: PathBuf,
        line: usize,
        limit: usize,
    },
    #[error("`{path}` line {line}: subpackage range `{range}` is not defined under `data:`")]
    Range {
        path: PathBuf,
        line: usize,
        range: String,
    },
}

/// Read one package YAML. The patch files are located (in the package folder or not) but not
/// read; a `series:` file of the package folder is read.
pub fn read_package(path: &Path, options: &MelangeOptions) -> Result<MelangePackage, MelangeError> {
    let text = crate::native::read_text(path, options.max_file_bytes)?;
    read::package(path, &text, options)
}

/// Read package YAML text; `path` locates the package folder and names the file in errors.
pub fn parse_package(
    path: &Path,
    text: &str,
    options: &MelangeOptions,
) -> Result<MelangePackage, MelangeError> {
    read::package(path, text, options)
}

/// The package files of a melange repository: the top-level `*.yaml` files whose text has the
/// top-level `package:` and `pipeline:` (or `subpackages:`) keys melange needs, sorted by name.
/// Other YAML files (CI settings, `.yam.yaml`) are left out.
pub fn package_files(repository: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(repository)? {
        let path = entry?.path();
        if is_package_file(&path) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Whether `path` is a package file: a `*.yaml` file (not a link) whose text has the top-level
/// keys of a package. Only the first bytes are read; a file that cannot be read is not one.
pub fn is_package_file(path: &Path) -> bool {
    let is_file = std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file());
    is_file
        && path.extension().and_then(|e| e.to_str()) == Some("yaml")
        && read_head(path).is_ok_and(|head| is_package_text(&head))
}

/// Whether a folder is a melange repository: it holds at least one package file (the search
/// stops at the first).
pub fn is_repository(folder: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return false;
    };
    entries
        .flatten()
        .any(|entry| is_package_file(&entry.path()))
}

/// Whether YAML text looks like a melange package (top-level `package:` and `pipeline:` or
/// `subpackages:` keys).
pub fn is_package_text(text: &str) -> bool {
    let top = |key: &str| {
        text.lines().any(|line| {
            line.strip_prefix(key)
                .is_some_and(|rest| rest.starts_with(':'))
        })
    };
    top("package") && (top("pipeline") || top("subpackages"))
}

/// The first MiB of a file (the top-level keys of a package are in it).
fn read_head(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(1 << 20)
        .read_to_end(&mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests;

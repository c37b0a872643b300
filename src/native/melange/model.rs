//! The model of one melange package: what its YAML says, with positions, and what it means at
//! any version (the tag, the URIs, the patch files), computed by [`MelangePackage::at`].

use std::path::PathBuf;

use super::MelangeError;
use super::patches::{self, PatchEntry, ShellPatch, UnreadSeries};
use super::raw::WithValue;
use super::substitution::{CompiledTransform, Substitution, SubstitutionInput};
use super::update::Update;
use crate::native::{Located, Position};

/// One melange package file, read.
#[derive(Debug, Clone)]
pub struct MelangePackage {
    /// The package YAML.
    pub file: PathBuf,
    /// The folder melange copies into the build workspace, where patch files live: `<pkg>/`
    /// beside the YAML (Wolfi's Makefile passes `--source-dir ./<pkg>/`, `<pkg>` being the file
    /// name without `.yaml`).
    pub source_dir: PathBuf,
    pub name: Located<String>,
    /// `package.version` as written.
    pub version: Located<String>,
    /// `package.epoch` (0 and line 0 when absent).
    pub epoch: Located<u64>,
    pub description: String,
    /// `vars`, in file order.
    pub vars: Vec<Var>,
    /// `var-transforms`, in order.
    pub var_transforms: Vec<VarTransform>,
    /// The package's own `pipeline:`.
    pub pipeline: Vec<Step>,
    /// `subpackages:`; a ranged one (`range:`) appears once per item of its data, sorted by key
    /// as melange expands it.
    pub subpackages: Vec<Subpackage>,
    pub update: Update,
    /// Every patch the build applies, in pipeline order (the package's pipeline, then each
    /// subpackage's), computed at the package's own version.
    pub patches: Vec<PatchEntry>,
    /// `series:` files that are not in the package folder (made by an earlier step, or part of
    /// the upstream tree): their patches are known only once the tree is prepared.
    pub unread_series: Vec<UnreadSeries>,
    /// `runs:` steps that apply patches themselves (`patch -p1 < x.patch`, `git apply`,
    /// `git am`): mindelta does not follow shell, so these patches are not in `patches`.
    pub shell_patches: Vec<ShellPatch>,
    pub(super) limit: usize,
    pub(super) series_limit: u64,
    pub(super) source_text: std::sync::Arc<str>,
}

/// One `vars` entry.
#[derive(Debug, Clone)]
pub struct Var {
    pub name: Located<String>,
    pub value: Located<String>,
}

/// One `var-transforms` entry.
#[derive(Debug, Clone)]
pub struct VarTransform {
    pub from: Located<String>,
    pub pattern: Located<String>,
    pub replace: Located<String>,
    pub to: Located<String>,
    pub(super) compiled: CompiledTransform,
}

/// One subpackage (one item of a ranged subpackage).
#[derive(Debug, Clone)]
pub struct Subpackage {
    pub position: Position,
    /// The name as written (it may use `${{range.key}}`).
    pub name: Located<String>,
    /// The name computed at the package's own version.
    pub resolved_name: String,
    /// `range:` and the item of its data this copy stands for.
    pub range: Option<(Located<String>, RangeItem)>,
    pub condition: Option<Located<String>>,
    pub pipeline: Vec<Step>,
}

/// One item of a `data:` range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeItem {
    pub key: String,
    pub value: String,
}

/// Which pipeline a step belongs to, and where in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StepId {
    /// `None`: the package's pipeline; `Some(i)`: `subpackages[i]` of [`MelangePackage`].
    pub subpackage: Option<usize>,
    /// Indices from the top-level step down through nested `pipeline:`s.
    pub path: Vec<usize>,
}

/// One pipeline step, nested steps included.
#[derive(Debug, Clone)]
pub struct Step {
    pub id: StepId,
    /// The step's mapping (its first key).
    pub position: Position,
    pub name: Option<Located<String>>,
    pub uses: Option<Located<String>>,
    pub runs: Option<Located<String>>,
    /// `if:` as written.
    pub condition: Option<Located<String>>,
    /// `working-directory:` as written on this step.
    pub working_directory: Option<Located<String>>,
    /// The working directory in effect: this step's, else its parent's (melange propagates it
    /// down), as written (templated).
    pub effective_working_directory: Option<String>,
    /// `with:` entries in file order.
    pub with: Vec<WithEntry>,
    /// The `with:` mapping.
    pub with_position: Option<Position>,
    pub pipeline: Vec<Step>,
    /// What the step does, for the `uses:` mindelta knows.
    pub action: Action,
}

/// One `with:` entry.
#[derive(Debug, Clone)]
pub struct WithEntry {
    pub key: Located<String>,
    pub value: Located<WithValue>,
}

/// What a step does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `uses: git-checkout`.
    GitCheckout,
    /// `uses: fetch`.
    Fetch,
    /// `uses: patch` or `uses: git-am`.
    Patch(PatchTool),
    /// A dependency bump step.
    Bump(BumpTool),
    /// Anything else (`runs:`, build pipelines, …).
    Other,
}

/// The tool a patch step runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum PatchTool {
    /// melange's `patch` pipeline: GNU patch, `-p<strip-components>`, `--fuzz=<fuzz>`.
    Patch,
    /// melange's `git-am` pipeline.
    GitAm,
}

/// The dependency bump steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum BumpTool {
    /// `go/bump` (gobump): `deps`, `replaces`, `modroot`.
    GoBump,
    /// `bump` (Wolfi's omnibump pipeline): `deps` (inline or a file), `packages`, `replaces`,
    /// `properties`, `modroot`, `language`.
    Omnibump,
    /// `maven/pombump`: `dependencies`, `properties`, `patch-file`, `properties-file`, `pom`.
    MavenPombump,
    /// `rust/cargobump`.
    RustCargobump,
}

impl Action {
    pub(super) fn of(uses: Option<&str>) -> Action {
        match uses {
            Some("git-checkout") => Action::GitCheckout,
            Some("fetch") => Action::Fetch,
            Some("patch") => Action::Patch(PatchTool::Patch),
            Some("git-am") => Action::Patch(PatchTool::GitAm),
            Some("go/bump") => Action::Bump(BumpTool::GoBump),
            Some("bump") => Action::Bump(BumpTool::Omnibump),
            Some("maven/pombump") => Action::Bump(BumpTool::MavenPombump),
            Some("rust/cargobump") => Action::Bump(BumpTool::RustCargobump),
            _ => Action::Other,
        }
    }
}

impl Step {
    /// The text of a `with:` entry (`None` when absent, empty or not text).
    pub fn input(&self, key: &str) -> Option<&Located<WithValue>> {
        self.with
            .iter()
            .find(|entry| entry.key.value == key)
            .map(|entry| &entry.value)
    }

    /// The text of a `with:` entry, when it is text.
    pub fn input_text(&self, key: &str) -> Option<&str> {
        match &self.input(key)?.value {
            WithValue::Text(text) => Some(text),
            _ => None,
        }
    }

    /// This step and every step nested in it, in execution order.
    pub fn walk(&self) -> impl Iterator<Item = &Step> {
        let mut stack = vec![self];
        std::iter::from_fn(move || {
            let step = stack.pop()?;
            stack.extend(step.pipeline.iter().rev());
            Some(step)
        })
    }
}

/// A `git-checkout` step at one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitCheckout {
    pub step: StepId,
    pub repository: Option<String>,
    pub tag: Option<String>,
    pub branch: Option<String>,
    /// The integrity pin. It pins the package's own version: at another version it is the
    /// commit of the old one.
    pub expected_commit: Option<String>,
    /// Where the tree goes, relative to the workspace (`.` by default).
    pub destination: String,
    /// The folder of the build environment the tree lands in: the step's working directory
    /// joined with `destination`, normalised (`/home/build` by default).
    pub folder: String,
    pub cherry_picks: Vec<CherryPick>,
}

/// One `cherry-picks:` line: `[branch/]commit: comment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CherryPick {
    pub branch: Option<String>,
    pub commit: String,
    pub comment: String,
}

/// A `fetch` step at one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetch {
    pub step: StepId,
    pub uri: Option<String>,
    /// Integrity pins of the package's own version, as [`GitCheckout::expected_commit`].
    pub expected_sha256: Option<String>,
    pub expected_sha512: Option<String>,
    /// melange extracts unless `extract: false`.
    pub extract: bool,
    /// Components stripped at extraction (melange's default 1).
    pub strip_components: usize,
    /// Where the archive is extracted, relative to the workspace (`.` by default).
    pub directory: String,
    /// The folder of the build environment the tree lands in, as [`GitCheckout::folder`].
    pub folder: String,
}

/// A bump step at one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bump {
    pub step: StepId,
    pub tool: BumpTool,
    /// Whitespace-separated items of `deps`/`packages`/`dependencies` given inline.
    pub dependencies: Vec<String>,
    /// Items of `replaces`.
    pub replaces: Vec<String>,
    /// Items of pombump's inline `properties` (`property@value`).
    pub properties: Vec<String>,
    /// Where the tool runs, relative to the working directory: `modroot` (`.` by default;
    /// omnibump takes one a line), cargobump's `cargoroot`; `.` for pombump.
    pub modroot: String,
    /// The step's working directory in the build environment (`/home/build` or below).
    pub working_directory: String,
    /// The language the step bumps: omnibump's `language` (`auto` when not set); `go`, `rust`
    /// or `java` for the tools of one language.
    pub language: String,
    /// The pom.xml the step edits, relative to the working directory: pombump's `pom`
    /// (`pom.xml` by default), omnibump's `manifest` (`None`: `pom.xml` in each modroot).
    pub manifest: Option<String>,
    /// The dependency files the step reads (omnibump `deps: deps.yaml`, pombump's
    /// `patch-file`/`properties-file`, cargobump's `bump-file`, and the default files the
    /// pipelines look for).
    pub files: Vec<BumpFile>,
}

/// A dependency file a bump step reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BumpFile {
    /// The input that names it (`deps`, `patch-file`, …) and its line; `None` for a default
    /// file the pipeline picks by itself.
    pub input: Option<(String, usize)>,
    /// The path as the step gives it (substituted).
    pub written: String,
    pub location: BumpFileLocation,
    /// Files of the package folder the step would read in its place were it gone: a default
    /// further down the pipeline's list, or the default a removed input falls back to.
    pub fallbacks: Vec<PathBuf>,
}

/// Where a bump step's dependency file is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BumpFileLocation {
    /// In the package folder: the file itself.
    PackageFolder(PathBuf),
    /// Not in the package folder: made by an earlier step or part of the upstream tree, so
    /// not read.
    BuildTree,
    /// The path leaves the build workspace (or the repository through a link): refused.
    Refused(String),
}

/// What a package is at one version.
#[derive(Debug, Clone)]
pub struct AtVersion {
    pub version: String,
    /// Whether this is the version written in the file (the integrity pins hold only then).
    pub own_version: bool,
    pub substitution: Substitution,
    /// Every `git-checkout`, in pipeline order (the first one is the upstream).
    pub git_checkouts: Vec<GitCheckout>,
    /// Every `fetch`, in pipeline order.
    pub fetches: Vec<Fetch>,
    pub bumps: Vec<Bump>,
    pub patches: Vec<PatchEntry>,
    pub unread_series: Vec<UnreadSeries>,
}

impl AtVersion {
    /// The tag of the first `git-checkout`, if it has one.
    pub fn tag(&self) -> Option<&str> {
        self.git_checkouts.first()?.tag.as_deref()
    }

    /// The folder of the build environment that holds the upstream source: the first
    /// `git-checkout` of a repository's, else the first `fetch`'s, else the workspace (a
    /// package with neither builds from its own folder), as `native::package` picks the
    /// upstream.
    pub fn source_folder(&self) -> &str {
        self.git_checkouts
            .iter()
            .find(|checkout| checkout.repository.is_some())
            .map(|checkout| checkout.folder.as_str())
            .or_else(|| {
                self.fetches
                    .iter()
                    .find(|fetch| fetch.uri.is_some())
                    .map(|fetch| fetch.folder.as_str())
            })
            .unwrap_or(patches::WORKSPACE)
    }

    /// Which tree a patch of the package applies to: the upstream source (its root, or a
    /// folder of it), or another one.
    pub fn patch_tree(&self, patch: &PatchEntry) -> PatchTree {
        let source = self.source_folder();
        if patch.directory == source {
            return PatchTree::Source;
        }
        if let Some(inside) = patch.directory.strip_prefix(source)
            && let Some(inside) = inside.strip_prefix('/')
        {
            // The folder of another checkout inside the source is that checkout's tree.
            if !self.is_other_tree(&patch.directory) {
                return PatchTree::Inside(inside.to_string());
            }
        }
        let other = self
            .git_checkouts
            .iter()
            .filter(|checkout| checkout.folder != source)
            .find(|checkout| {
                patch.directory == checkout.folder
                    || patch
                        .directory
                        .starts_with(&format!("{}/", checkout.folder))
            });
        PatchTree::Elsewhere {
            directory: patch.directory.clone(),
            repository: other.and_then(|checkout| checkout.repository.clone()),
        }
    }

    /// Whether `directory` is in the tree of a checkout that is not the upstream source's.
    fn is_other_tree(&self, directory: &str) -> bool {
        let source = self.source_folder();
        self.git_checkouts.iter().any(|checkout| {
            checkout.folder != source
                && checkout.folder.len() > source.len()
                && (directory == checkout.folder
                    || directory.starts_with(&format!("{}/", checkout.folder)))
        })
    }
}

/// The tree a patch applies to, from its step's working directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatchTree {
    /// The upstream source's root: the patch's paths are paths of R.
    Source,
    /// A folder of the upstream source (`working-directory: src/lib` over the checkout): the
    /// patch's paths are relative to it.
    Inside(String),
    /// Not the upstream source: another `git-checkout`'s tree (`repository`), or a folder the
    /// build makes.
    Elsewhere {
        directory: String,
        repository: Option<String>,
    },
}

impl MelangePackage {
    /// Every step of the package (its pipeline, then each subpackage's), nested ones included,
    /// in execution order.
    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        self.pipeline
            .iter()
            .chain(self.subpackages.iter().flat_map(|s| s.pipeline.iter()))
            .flat_map(Step::walk)
    }

    /// The variables at `version`, var-transforms recomputed.
    pub fn substitution(&self, version: &str) -> Result<Substitution, MelangeError> {
        let vars: Vec<(String, String)> = self
            .vars
            .iter()
            .map(|v| (v.name.value.clone(), v.value.value.clone()))
            .collect();
        let transforms: Vec<CompiledTransform> = self
            .var_transforms
            .iter()
            .map(|t| t.compiled.clone())
            .collect();
        let mut names = vec![self.name.value.clone()];
        names.extend(self.subpackages.iter().map(|s| s.resolved_name.clone()));
        Substitution::new(&SubstitutionInput {
            name: &self.name.value,
            version,
            epoch: self.epoch.value,
            description: &self.description,
            vars: &vars,
            transforms: &transforms,
            package_names: &names,
            limit: self.limit,
        })
        .map_err(|source| {
            let line = self
                .var_transforms
                .get(source.index)
                .map(|t| t.from.position.line)
                .unwrap_or(0);
            MelangeError::Transform {
                path: self.file.clone(),
                line,
                source,
            }
        })
    }

    /// The package at `version`: its sources (tags, URIs), bumps and patches. A value that
    /// cannot be computed there (an undefined variable) is an error naming the line.
    pub fn at(&self, version: &str) -> Result<AtVersion, MelangeError> {
        let substitution = self.substitution(version)?;
        let mut at = AtVersion {
            version: version.to_string(),
            own_version: version == self.version.value,
            substitution: substitution.clone(),
            git_checkouts: Vec::new(),
            fetches: Vec::new(),
            bumps: Vec::new(),
            patches: Vec::new(),
            unread_series: Vec::new(),
        };
        let scopes = std::iter::once((substitution.clone(), &self.pipeline)).chain(
            self.subpackages.iter().map(|sub| {
                let range = sub
                    .range
                    .as_ref()
                    .map(|(_, item)| (item.key.as_str(), item.value.as_str()));
                (
                    substitution.subpackage(&sub.resolved_name, range),
                    &sub.pipeline,
                )
            }),
        );
        for (scope, pipeline) in scopes {
            for step in pipeline.iter().flat_map(Step::walk) {
                patches::interpret(self, step, &scope, &mut at)?;
            }
        }
        Ok(at)
    }

    /// The tag the first `git-checkout` takes at `version` (`Ok(None)`: no tag, e.g. a branch
    /// checkout or a `fetch` package).
    pub fn tag_at(&self, version: &str) -> Result<Option<String>, MelangeError> {
        Ok(self.at(version)?.tag().map(str::to_string))
    }

    /// The git repository whose history the history detectors can walk: the first
    /// `git-checkout`'s, else `update.github`'s, else one recognised in a `fetch` URI
    /// (`https://github.com/OWNER/REPO/archive/…`, `…/releases/download/…`, GitLab's
    /// `/-/archive/`).
    pub fn history_repository(&self) -> Option<String> {
        let at = self.at(&self.version.value).ok()?;
        if let Some(repository) = at.git_checkouts.iter().find_map(|c| c.repository.clone()) {
            return Some(repository);
        }
        if let Some(identifier) = self
            .update
            .github
            .as_ref()
            .and_then(|g| g.identifier.as_ref())
            .map(|i| i.value.trim())
            .filter(|i| i.split('/').count() == 2)
        {
            return Some(format!("https://github.com/{identifier}"));
        }
        at.fetches
            .iter()
            .filter_map(|f| f.uri.as_deref())
            .find_map(repository_of_archive_uri)
    }
}

/// The repository an archive URI of a forge belongs to.
fn repository_of_archive_uri(uri: &str) -> Option<String> {
    let rest = uri.strip_prefix("https://")?;
    let (host, path) = rest.split_once('/')?;
    let parts: Vec<&str> = path.split('/').collect();
    match host {
        "github.com" if parts.len() > 3 && matches!(parts[2], "archive" | "releases") => {
            Some(format!("https://github.com/{}/{}", parts[0], parts[1]))
        }
        _ => {
            let marker = parts.iter().position(|p| *p == "-")?;
            (parts.get(marker + 1) == Some(&"archive") && marker >= 2)
                .then(|| format!("https://{host}/{}", parts[..marker].join("/")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forge_archive_uris() {
        assert_eq!(
            repository_of_archive_uri("https://github.com/madler/zlib/archive/v1.3.tar.gz"),
            Some("https://github.com/madler/zlib".into())
        );
        assert_eq!(
            repository_of_archive_uri(
                "https://github.com/curl/curl/releases/download/curl-8_0/curl-8.0.tar.xz"
            ),
            Some("https://github.com/curl/curl".into())
        );
        assert_eq!(
            repository_of_archive_uri(
                "https://gitlab.gnome.org/GNOME/glib/-/archive/2.84.0/glib-2.84.0.tar.gz"
            ),
            Some("https://gitlab.gnome.org/GNOME/glib".into())
        );
        assert_eq!(
            repository_of_archive_uri("https://ftp.gnu.org/gnu/bash/bash-5.2.tar.gz"),
            None
        );
    }
}

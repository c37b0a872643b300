//! The bump steps of a melange package at its current version, as pins to judge: each step's
//! items (written inline, or entries of the dependency files it reads), the ecosystem of
//! each, and the manifests of R the step raises (a go.mod, `Cargo.lock` or pom.xml per
//! `modroot`, from the step's working directory, the upstream checkout's `destination` taken
//! off).
//!
//! The ecosystem is the tool's (`go/bump`, `rust/cargobump`, `maven/pombump`); for Wolfi's
//! `bump` (omnibump), its `language` (`go`, `rust`, `java`), and under `auto` the item's shape
//! as omnibump reads it: `groupId@artifactId@version` is Maven, a name of a crate's letters
//! only (`[A-Za-z0-9_-]`) a crate, anything else a Go module (a module path has a `.` or `/`).
//! npm's `name=version` and Python's `name==version`, and other languages, are not judged.

use std::path::{Path, PathBuf};

use crate::dependency::Ecosystem;
use crate::dependency::bump;
use crate::native::NativeOrigin;
use crate::native::melange::bump_file::{self, BumpFileEntry, EntryList};
use crate::native::melange::pins::PinInput;
use crate::native::melange::{Bump, BumpFileLocation, BumpTool, MelangePackage};
use crate::workspace::Package;

/// melange's build workspace, where the package folder is copied and steps run.
const WORKSPACE: &str = "/home/build";

/// What an item pins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ItemKind {
    /// A module, crate or artifact.
    Dependency,
    /// A Go `replaces` item: `name` pointed at `replaced_by`.
    Replace,
    /// A Maven version property.
    Property,
}

/// Where an item is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinSource {
    /// A word of a `with:` input, as the reader resolved it.
    Inline { input: PinInput, item: String },
    /// Entry `entry` (in [`bump_file::parse`] order) of the dependency file `file` of
    /// [`PinStep::files`].
    File { file: usize, entry: usize },
}

/// One pinned item of a step.
#[derive(Debug, Clone)]
pub(super) struct PinItem {
    pub ecosystem: Ecosystem,
    pub kind: ItemKind,
    pub name: String,
    pub version: String,
    pub replaced_by: Option<String>,
    /// A crate pinned at one locked copy (`rand@0.8.5` in cargobump's file).
    pub locked: Option<String>,
    pub source: PinSource,
}

/// An item or file that cannot be judged, and why (an error pin in `check`).
#[derive(Debug, Clone)]
pub(super) struct Problem {
    pub message: String,
    pub file: Option<usize>,
    pub line: Option<usize>,
}

/// A dependency file a step reads.
#[derive(Debug, Clone)]
pub(super) struct StepFile {
    /// Its path in the repository, and as shown (relative to the repository's root).
    pub path: Option<PathBuf>,
    pub shown: String,
    /// The input that names it (`None`: a default file).
    pub input: Option<String>,
    pub fallbacks: Vec<PathBuf>,
    /// Its entries, when it is in the package folder and reads.
    pub entries: Option<Vec<BumpFileEntry>>,
}

/// One bump step of the package at its version (a ranged subpackage gives one per item).
#[derive(Debug, Clone)]
pub(super) struct PinStep {
    pub tool: &'static str,
    /// The line of the step in the package file.
    pub line: usize,
    /// R's manifests the step raises, per ecosystem.
    pub go: Vec<String>,
    pub cargo: Vec<String>,
    pub maven: Vec<String>,
    pub items: Vec<PinItem>,
    pub files: Vec<StepFile>,
    pub problems: Vec<Problem>,
}

impl PinStep {
    /// R's manifests for `ecosystem`.
    pub fn manifests(&self, ecosystem: Ecosystem) -> &[String] {
        match ecosystem {
            Ecosystem::Go => &self.go,
            Ecosystem::Cargo => &self.cargo,
            _ => &self.maven,
        }
    }
}

pub(super) fn melange(package: &Package) -> Option<&MelangePackage> {
    match package.native()? {
        NativeOrigin::Melange(melange) => Some(melange),
        NativeOrigin::Debian(_) => None,
    }
}

/// The bump steps of `package` at its current version (none for a package that is not a
/// melange package, or whose steps cannot be read), with their dependency files read.
pub(super) fn read(package: &Package) -> Vec<PinStep> {
    let Some(melange) = melange(package) else {
        return Vec::new();
    };
    let Ok(at) = melange.at(&package.manifest.upstream.version) else {
        return Vec::new();
    };
    let root = package
        .native()
        .map(|n| n.workspace_root().to_path_buf())
        .unwrap_or_default();
    let destination = at
        .git_checkouts
        .first()
        .map_or(".", |checkout| checkout.destination.as_str());
    let mut steps = Vec::new();
    for bump in &at.bumps {
        let line = melange
            .steps()
            .find(|s| s.id == bump.step)
            .map_or(0, |s| s.position.line);
        let step = read_step(bump, line, destination, &root);
        if !step.items.is_empty() || !step.problems.is_empty() || !step.files.is_empty() {
            steps.push(step);
        }
    }
    steps
}

fn tool_name(tool: BumpTool) -> &'static str {
    match tool {
        BumpTool::GoBump => "go/bump",
        BumpTool::Omnibump => "bump",
        BumpTool::MavenPombump => "maven/pombump",
        BumpTool::RustCargobump => "rust/cargobump",
    }
}

fn read_step(bump: &Bump, line: usize, destination: &str, root: &Path) -> PinStep {
    let tool = tool_name(bump.tool);
    let language = match bump.tool {
        BumpTool::Omnibump => bump.language.as_str(),
        BumpTool::GoBump => "go",
        BumpTool::RustCargobump => "rust",
        BumpTool::MavenPombump => "java",
    };
    let roots: Vec<&str> = match bump.tool {
        BumpTool::MavenPombump => vec!["."],
        _ => {
            let roots: Vec<&str> = bump.modroot.split_whitespace().collect();
            if roots.is_empty() { vec!["."] } else { roots }
        }
    };
    let paths = |file: &str| -> Vec<String> {
        let mut list: Vec<String> = roots
            .iter()
            .filter_map(|r| tree_path(&bump.working_directory, &[r, file], destination))
            .collect();
        list.dedup();
        list
    };
    let maven = match &bump.manifest {
        Some(pom) => tree_path(&bump.working_directory, &[pom], destination)
            .into_iter()
            .collect(),
        None => paths("pom.xml"),
    };
    let mut step = PinStep {
        tool,
        line,
        go: paths("go.mod"),
        cargo: paths("Cargo.lock"),
        maven,
        items: Vec::new(),
        files: Vec::new(),
        problems: Vec::new(),
    };
    let problem = |message: String| Problem {
        message,
        file: None,
        line: None,
    };
    for (input, words) in [
        (PinInput::Dependencies, &bump.dependencies),
        (PinInput::Replaces, &bump.replaces),
        (PinInput::Properties, &bump.properties),
    ] {
        for word in words {
            let source = PinSource::Inline {
                input,
                item: word.clone(),
            };
            match inline_item(tool, language, input, word, source) {
                Ok(Some(item)) => step.items.push(item),
                Ok(None) => {}
                Err(message) => step.problems.push(problem(message)),
            }
        }
    }
    for file in &bump.files {
        let shown = |path: &Path| {
            path.strip_prefix(root)
                .unwrap_or(path)
                .to_string_lossy()
                .into_owned()
        };
        let index = step.files.len();
        let mut read = StepFile {
            path: None,
            shown: file.written.clone(),
            input: file.input.as_ref().map(|(key, _)| key.clone()),
            fallbacks: file.fallbacks.clone(),
            entries: None,
        };
        match &file.location {
            BumpFileLocation::PackageFolder(path) => {
                read.path = Some(path.clone());
                read.shown = shown(path);
                match bump_file::read(path) {
                    Ok((_, entries)) => {
                        for (entry_index, entry) in entries.iter().enumerate() {
                            let source = PinSource::File {
                                file: index,
                                entry: entry_index,
                            };
                            match file_item(language, entry, source) {
                                Ok(Some(item)) => step.items.push(item),
                                Ok(None) => {}
                                Err(message) => step.problems.push(Problem {
                                    message: format!(
                                        "`{}` line {}: {message}",
                                        read.shown, entry.line
                                    ),
                                    file: Some(index),
                                    line: Some(entry.line),
                                }),
                            }
                        }
                        read.entries = Some(entries);
                    }
                    Err(error) => step.problems.push(Problem {
                        message: error.to_string(),
                        file: Some(index),
                        line: None,
                    }),
                }
            }
            BumpFileLocation::BuildTree => {}
            BumpFileLocation::Refused(why) => step.problems.push(Problem {
                message: format!(
                    "the dependency file `{}` (line {}) is refused: {why}",
                    file.written,
                    file.input.as_ref().map_or(0, |(_, line)| *line)
                ),
                file: Some(index),
                line: None,
            }),
        }
        step.files.push(read);
    }
    step
}

/// The ecosystem of an item of an omnibump step under `language`, from its shape: `parts`
/// are its `@`-separated fields, `name` its (first) name.
fn ecosystem_of(language: &str, parts: usize, name: &str) -> Option<Ecosystem> {
    match language {
        "go" => Some(Ecosystem::Go),
        "rust" => Some(Ecosystem::Cargo),
        "java" | "maven" => Some(Ecosystem::Maven),
        "auto" | "" => {
            if parts >= 3 {
                Some(Ecosystem::Maven)
            } else if !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                Some(Ecosystem::Cargo)
            } else {
                Some(Ecosystem::Go)
            }
        }
        _ => None,
    }
}

/// An inline word as a pin: `Ok(None)` when the step's language is not judged.
fn inline_item(
    tool: &str,
    language: &str,
    input: PinInput,
    word: &str,
    source: PinSource,
) -> Result<Option<PinItem>, String> {
    let item = |ecosystem, kind, name: &str, version: &str| PinItem {
        ecosystem,
        kind,
        name: name.to_string(),
        version: version.to_string(),
        replaced_by: None,
        locked: None,
        source: source.clone(),
    };
    if input == PinInput::Replaces {
        // Go's `old=new@version`.
        let parsed = bump::parse("", word).map_err(|e| e.to_string())?;
        let module = parsed.into_iter().next().ok_or("empty `replaces` item")?;
        let mut pin = item(
            Ecosystem::Go,
            ItemKind::Replace,
            &module.module,
            &module.version,
        );
        pin.replaced_by = module.replaced_by;
        pin.kind = if pin.replaced_by.is_some() {
            ItemKind::Replace
        } else {
            ItemKind::Dependency
        };
        return Ok(Some(pin));
    }
    let parts: Vec<&str> = word.split('@').collect();
    if input == PinInput::Properties {
        return match parts.as_slice() {
            [property, value] if !property.is_empty() && !value.is_empty() => Ok(Some(item(
                Ecosystem::Maven,
                ItemKind::Property,
                property,
                value,
            ))),
            _ => Err(format!(
                "`{tool}` properties item `{word}` is not `property@value`"
            )),
        };
    }
    if word.contains('=') && language == "auto" {
        // npm (`a=1`) and Python (`a==1`) forms: not judged.
        return Ok(None);
    }
    let Some(ecosystem) = ecosystem_of(language, parts.len(), parts[0]) else {
        return Ok(None);
    };
    match ecosystem {
        Ecosystem::Go => {
            let parsed = bump::parse(word, "").map_err(|e| e.to_string())?;
            let module = parsed.into_iter().next().ok_or("empty `deps` item")?;
            Ok(Some(item(
                Ecosystem::Go,
                ItemKind::Dependency,
                &module.module,
                &module.version,
            )))
        }
        Ecosystem::Cargo => match parts.as_slice() {
            [name, version] if !name.is_empty() && !version.is_empty() => Ok(Some(item(
                Ecosystem::Cargo,
                ItemKind::Dependency,
                name,
                version,
            ))),
            _ => Err(format!("`{tool}` item `{word}` is not `crate@version`")),
        },
        _ => match parts.as_slice() {
            [group, artifact, version, ..]
                if parts.len() <= 5
                    && !group.is_empty()
                    && !artifact.is_empty()
                    && !version.is_empty() =>
            {
                Ok(Some(item(
                    Ecosystem::Maven,
                    ItemKind::Dependency,
                    &format!("{group}:{artifact}"),
                    version,
                )))
            }
            _ => Err(format!(
                "`{tool}` item `{word}` is not `groupId@artifactId@version`"
            )),
        },
    }
}

/// An entry of a dependency file as a pin: `Ok(None)` when it is not judged (a Go
/// `replaces` entry, a language not judged).
fn file_item(
    language: &str,
    entry: &BumpFileEntry,
    source: PinSource,
) -> Result<Option<PinItem>, String> {
    let field = |value: &Option<String>, key: &str| -> Result<String, String> {
        value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .ok_or_else(|| format!("the entry has no `{key}`"))
    };
    let item = |ecosystem, kind, name: String, version: String| PinItem {
        ecosystem,
        kind,
        name,
        version,
        replaced_by: None,
        locked: None,
        source: source.clone(),
    };
    match entry.list {
        EntryList::Replaces => Ok(None),
        EntryList::Properties => Ok(Some(item(
            Ecosystem::Maven,
            ItemKind::Property,
            field(&entry.property, "property")?,
            field(&entry.value, "value")?,
        ))),
        EntryList::Packages | EntryList::Patches => {
            let version = field(&entry.version, "version")?;
            if entry.group_id.is_some() || entry.artifact_id.is_some() {
                if !matches!(language, "auto" | "" | "java" | "maven") {
                    return Ok(None);
                }
                let group = field(&entry.group_id, "groupId")?;
                let artifact = field(&entry.artifact_id, "artifactId")?;
                return Ok(Some(item(
                    Ecosystem::Maven,
                    ItemKind::Dependency,
                    format!("{group}:{artifact}"),
                    version,
                )));
            }
            let name = field(&entry.name, "name")?;
            // cargobump's `name@version` raises that locked copy only.
            let (crate_name, locked) = match name.split_once('@') {
                Some((name, locked)) => (name.to_string(), Some(locked.to_string())),
                None => (name.clone(), None),
            };
            let ecosystem = if locked.is_some() && matches!(language, "auto" | "" | "rust") {
                Some(Ecosystem::Cargo)
            } else {
                ecosystem_of(language, 2, &name)
            };
            match ecosystem {
                Some(Ecosystem::Go) => Ok(Some(item(
                    Ecosystem::Go,
                    ItemKind::Dependency,
                    name,
                    version,
                ))),
                Some(Ecosystem::Cargo) => {
                    let mut pin = item(Ecosystem::Cargo, ItemKind::Dependency, crate_name, version);
                    pin.locked = locked;
                    Ok(Some(pin))
                }
                Some(_) => Err(format!(
                    "the entry `{name}` has no `groupId` and `artifactId`"
                )),
                None => Ok(None),
            }
        }
    }
}

/// The path in R of `parts` joined from the step's working directory (absolute, in melange's
/// build environment): `.` dropped, `..` taking one folder off, an absolute part starting
/// over, then the upstream checkout's `destination` taken off. `None` when the path leaves
/// the build workspace.
pub(super) fn tree_path(
    working_directory: &str,
    parts: &[&str],
    destination: &str,
) -> Option<String> {
    let mut path: Vec<&str> = Vec::new();
    for part in std::iter::once(working_directory).chain(parts.iter().copied()) {
        if part.starts_with('/') {
            path.clear();
        }
        for component in part.split('/') {
            match component {
                "" | "." => {}
                ".." => {
                    path.pop()?;
                }
                other => path.push(other),
            }
        }
    }
    let workspace: Vec<&str> = WORKSPACE.split('/').filter(|p| !p.is_empty()).collect();
    if !path.starts_with(&workspace) {
        return None;
    }
    path.drain(..workspace.len());
    let prefix: Vec<&str> = destination
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    if !prefix.is_empty() && path.starts_with(&prefix) {
        path.drain(..prefix.len());
    }
    (!path.is_empty()).then(|| path.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_is_a_path_of_the_checkout() {
        let at = |wd: &str, parts: &[&str], destination: &str| tree_path(wd, parts, destination);
        assert_eq!(
            at("/home/build", &[".", "go.mod"], "."),
            Some("go.mod".into())
        );
        assert_eq!(
            at("/home/build", &["./api/", "go.mod"], "."),
            Some("api/go.mod".into())
        );
        assert_eq!(
            at(
                "/home/build",
                &["dataplaneapi/cmd", "go.mod"],
                "dataplaneapi"
            ),
            Some("cmd/go.mod".into())
        );
        assert_eq!(
            at("/home/build", &["dataplaneapi", "go.mod"], "./dataplaneapi"),
            Some("go.mod".into())
        );
        // `working-directory: uv` over a checkout into `uv`.
        assert_eq!(
            at("/home/build/uv", &[".", "Cargo.lock"], "uv"),
            Some("Cargo.lock".into())
        );
        assert_eq!(
            at("/home/build/efs-utils", &["./src/proxy", "Cargo.lock"], "."),
            Some("efs-utils/src/proxy/Cargo.lock".into())
        );
        assert_eq!(
            at("/home/build/a", &["/home/build/b/pom.xml"], "."),
            Some("b/pom.xml".into())
        );
        assert_eq!(at("/home/build", &["../../etc", "pom.xml"], "."), None);
        assert_eq!(at("/tmp", &["pom.xml"], "."), None);
    }

    #[test]
    fn an_omnibump_item_is_judged_in_the_ecosystem_its_shape_says() {
        assert_eq!(
            ecosystem_of("auto", 2, "golang.org/x/net"),
            Some(Ecosystem::Go)
        );
        assert_eq!(ecosystem_of("auto", 2, "tokio"), Some(Ecosystem::Cargo));
        assert_eq!(ecosystem_of("auto", 3, "io.netty"), Some(Ecosystem::Maven));
        assert_eq!(ecosystem_of("auto", 2, "&anchor"), Some(Ecosystem::Go));
        assert_eq!(ecosystem_of("rust", 2, "x.y"), Some(Ecosystem::Cargo));
        assert_eq!(ecosystem_of("python", 2, "urllib3"), None);
        let source = || PinSource::Inline {
            input: PinInput::Dependencies,
            item: String::new(),
        };
        let item = inline_item(
            "bump",
            "auto",
            PinInput::Dependencies,
            "io.netty@netty-codec@4.1.125.Final@test",
            source(),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            (item.name.as_str(), item.version.as_str()),
            ("io.netty:netty-codec", "4.1.125.Final")
        );
        assert!(
            inline_item(
                "bump",
                "auto",
                PinInput::Dependencies,
                "fast-xml-parser=5.5.7",
                source()
            )
            .unwrap()
            .is_none()
        );
        assert!(
            inline_item(
                "rust/cargobump",
                "rust",
                PinInput::Dependencies,
                "tokio",
                source()
            )
            .is_err()
        );
        assert!(
            inline_item(
                "maven/pombump",
                "java",
                PinInput::Properties,
                "a@b@c",
                source()
            )
            .is_err()
        );
    }
}

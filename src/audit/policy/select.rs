//! Which packs an audit runs, and how they were chosen (docs/policies.md, "Which packs run"):
//!
//! 1. `--policy FILE|DIR`: those files, every rule judging every patch (the user named them);
//! 2. else the `policies:` list of the workspace's `mindelta.yaml`: each name is a pack of the
//!    workspace's `policies/` folder (its `name:` or file name) or a built-in pack, and every
//!    rule judges every patch (the workspace chose them);
//! 3. else the workspace's `policies/` folder, each pack judging the patches its `applies-to`
//!    selects (mindelta picked them);
//! 4. else the built-in packs (`builtin.rs`), each judging the patches its `applies-to` selects.

use std::path::{Path, PathBuf};

use super::builtin::{BUILTIN_PACKS, BuiltinPack, canonical_name};
use super::load::{PolicySource, pack_name, policy_files};
use super::{PolicyError, PolicySet};
use crate::workspace::config::WorkspaceConfig;

/// How the packs of an audit were chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyOrigin {
    /// `--policy` files and folders.
    Given,
    /// The `policies:` list of this `mindelta.yaml`.
    Config(PathBuf),
    /// The workspace's `policies/` folder.
    Folder(PathBuf),
    /// The built-in packs: the workspace has no `policies/` folder.
    Builtin,
}

/// The packs an audit runs, loaded, and how they were chosen.
#[derive(Debug)]
pub struct Selection {
    pub policies: PolicySet,
    pub origin: PolicyOrigin,
}

/// The packs an audit of the workspace at `root` runs: `given` (`--policy`), else the list of
/// `config`, else the `policies/` folder, else the built-in packs.
pub fn select(
    root: &Path,
    given: &[PathBuf],
    config: Option<&WorkspaceConfig>,
) -> Result<Selection, PolicyError> {
    if !given.is_empty() {
        return Ok(Selection {
            policies: PolicySet::load(given, root)?,
            origin: PolicyOrigin::Given,
        });
    }
    let folder = root.join("policies");
    let folder_files = if folder.is_dir() {
        policy_files(std::slice::from_ref(&folder))?
    } else {
        Vec::new()
    };
    if let Some(config) = config
        && let Some(names) = &config.policies
    {
        let mut sources = Vec::new();
        for (name, line) in names {
            let source =
                find_pack(name, &folder_files).ok_or_else(|| PolicyError::UnknownPack {
                    path: config.path.clone(),
                    line: *line,
                    name: name.clone(),
                    known: known_packs(&folder_files),
                })?;
            sources.push(source);
        }
        return Ok(Selection {
            policies: PolicySet::load_sources(&sources, root, false)?,
            origin: PolicyOrigin::Config(config.path.clone()),
        });
    }
    if folder.is_dir() {
        let sources: Vec<PolicySource> = folder_files.into_iter().map(PolicySource::File).collect();
        return Ok(Selection {
            policies: PolicySet::load_sources(&sources, root, true)?,
            origin: PolicyOrigin::Folder(folder),
        });
    }
    let sources: Vec<PolicySource> = BUILTIN_PACKS.iter().map(PolicySource::Builtin).collect();
    Ok(Selection {
        policies: PolicySet::load_sources(&sources, root, true)?,
        origin: PolicyOrigin::Builtin,
    })
}

/// The pack `name` names: a file of the workspace's `policies/` folder (by file name, then by
/// its `name:`), else a built-in pack.
fn find_pack(name: &str, folder_files: &[PathBuf]) -> Option<PolicySource> {
    let wanted = canonical_name(name);
    let by_stem = folder_files
        .iter()
        .find(|file| stem(file) == name || stem(file) == wanted);
    let by_name = || {
        folder_files.iter().find(|file| {
            std::fs::read_to_string(file)
                .ok()
                .and_then(|text| pack_name(&text))
                .is_some_and(|found| found == name || found == wanted)
        })
    };
    by_stem
        .or_else(by_name)
        .map(|file| PolicySource::File(file.clone()))
        .or_else(|| BuiltinPack::named(name).map(PolicySource::Builtin))
}

/// The names a `policies:` list may use, for the message of an unknown one.
fn known_packs(folder_files: &[PathBuf]) -> String {
    let mut names: Vec<String> = Vec::new();
    for pack in &BUILTIN_PACKS {
        names.push(match pack.alias {
            Some(alias) => format!("`{}` (or `{alias}`)", pack.name),
            None => format!("`{}`", pack.name),
        });
    }
    let builtin = names.join(", ");
    let mut local: Vec<String> = folder_files
        .iter()
        .map(|file| format!("`{}`", stem(file)))
        .collect();
    local.dedup();
    if local.is_empty() {
        format!("{builtin} (built in)")
    } else {
        format!(
            "{builtin} (built in) and the files of `policies/`: {}",
            local.join(", ")
        )
    }
}

fn stem(file: &Path) -> String {
    file.file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default()
}

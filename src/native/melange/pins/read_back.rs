//! The check of a pin edit: the new text of the package file must read as the old one less
//! the removed pins (`super::remove_pins`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::super::edit::{MelangeEditError, edit_error};
use super::super::model::{Bump, BumpTool, MelangePackage, StepId};
use super::super::{MelangeOptions, parse_package};
use super::PinInput;

/// The edited text must read as the old one less the removed pins: the same version and
/// patches, the same steps but the ones that went, and each bump step's items less those
/// removed.
pub(super) fn read_back(
    path: &Path,
    package: &MelangePackage,
    new: &str,
    removed: &BTreeMap<usize, Vec<(String, PinInput)>>,
    references: &BTreeMap<usize, Vec<String>>,
    gone_steps: &BTreeSet<usize>,
    options: &MelangeOptions,
) -> Result<(), MelangeEditError> {
    let refused = |what: String| {
        edit_error(
            path,
            format!("removing the pins would change more than them ({what}); nothing was changed"),
        )
    };
    let after = parse_package(path, new, options)
        .map_err(|error| edit_error(path, format!("the edited file does not read: {error}")))?;
    if after.version.value != package.version.value {
        return Err(refused("the version".into()));
    }
    let patches = |p: &MelangePackage| -> Vec<String> {
        p.patches.iter().map(|e| e.workspace_path.clone()).collect()
    };
    if patches(&after) != patches(package) {
        return Err(refused("the patches".into()));
    }
    // Every step as a shape: what it uses or runs; the steps that went are left out.
    let shape =
        |p: &MelangePackage, skip: &BTreeSet<usize>| -> Vec<(Option<String>, Option<String>)> {
            p.steps()
                .filter(|s| !skip.contains(&s.position.line))
                .map(|s| {
                    (
                        s.uses.as_ref().map(|u| u.value.clone()),
                        s.runs.as_ref().map(|r| r.value.clone()),
                    )
                })
                .collect()
        };
    if shape(&after, &BTreeSet::new()) != shape(package, gone_steps) {
        return Err(refused("the steps".into()));
    }
    let before_at = package.at(&package.version.value)?;
    let after_at = after.at(&after.version.value)?;
    let line_of = |id: &StepId| {
        package
            .steps()
            .find(|s| &s.id == id)
            .map_or(0, |s| s.position.line)
    };
    // Each bump step compared by what it does, not where it is (removed steps shift the
    // others): its items, where it runs, and the inputs naming its files (a default file the
    // pipeline finds by itself is the caller's to keep or delete).
    type Shape = (
        BumpTool,
        Vec<String>,
        Vec<String>,
        Vec<String>,
        String,
        String,
        String,
        Option<String>,
        Vec<String>,
    );
    let normal = |bump: &Bump, gone: &[String]| -> Shape {
        let mut dependencies = bump.dependencies.clone();
        let mut replaces = bump.replaces.clone();
        let mut properties = bump.properties.clone();
        dependencies.sort();
        replaces.sort();
        properties.sort();
        let mut named: Vec<String> = bump
            .files
            .iter()
            .filter_map(|f| f.input.as_ref().map(|(key, _)| key.clone()))
            .filter(|key| !gone.contains(key))
            .collect();
        named.sort();
        (
            bump.tool,
            dependencies,
            replaces,
            properties,
            bump.modroot.clone(),
            bump.working_directory.clone(),
            bump.language.clone(),
            bump.manifest.clone(),
            named,
        )
    };
    let mut expected: Vec<Shape> = Vec::new();
    for bump in &before_at.bumps {
        let line = line_of(&bump.step);
        if gone_steps.contains(&line) {
            continue;
        }
        let mut bump = bump.clone();
        for (item, input) in removed.get(&line).into_iter().flatten() {
            let list = match input {
                PinInput::Dependencies => &mut bump.dependencies,
                PinInput::Replaces => &mut bump.replaces,
                PinInput::Properties => &mut bump.properties,
            };
            if let Some(at) = list.iter().position(|i| i == item) {
                list.remove(at);
            }
        }
        let gone = references.get(&line).map_or(&[][..], Vec::as_slice);
        expected.push(normal(&bump, gone));
    }
    let found: Vec<Shape> = after_at.bumps.iter().map(|b| normal(b, &[])).collect();
    if expected != found {
        return Err(refused("the bump steps' other items".into()));
    }
    Ok(())
}

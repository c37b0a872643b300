//! From the YAML (`raw.rs`) to the model (`model.rs`): steps numbered and nested, working
//! directories propagated down as melange propagates them (`propagateChildPipelines`), ranged
//! subpackages expanded (`replaceSubpackages`), regular expressions compiled, and the package
//! computed at its own version.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde_saphyr::Spanned;

use super::model::{
    Action, MelangePackage, RangeItem, Step, StepId, Subpackage, Var, VarTransform, WithEntry,
};
use super::patches::shell_patches;
use super::raw::{RawConfiguration, RawStep, RawUpdate, Text};
use super::substitution::{CompiledTransform, Substitution, SubstitutionInput, compile_go_regex};
use super::update::{
    GitMonitor, GithubMonitor, IgnorePattern, ReleaseMonitor, Update, VersionTransform,
};
use super::{MelangeError, MelangeOptions};
use crate::native::{Located, Position};

pub(super) fn package(
    path: &Path,
    text: &str,
    options: &MelangeOptions,
) -> Result<MelangePackage, MelangeError> {
    let raw: RawConfiguration =
        serde_saphyr::from_str(text).map_err(|error| MelangeError::Yaml {
            path: path.to_path_buf(),
            line: error.location().map(|l| l.line() as usize).unwrap_or(0),
            message: crate::workspace::manifest::yaml_message(&error),
        })?;
    let reader = Reader { path, options };
    let info = raw.package.value;
    let name = Located::from_spanned(info.name);
    let version = Located::from_spanned(info.version);
    let epoch = match info.epoch {
        None => Located::new(0, Position::default()),
        Some(spanned) => {
            let position = Position::from_spanned(&spanned);
            let text = spanned.value.unwrap_or_default();
            let value = if text.trim().is_empty() {
                0
            } else {
                text.trim().parse().map_err(|_| MelangeError::Epoch {
                    path: path.to_path_buf(),
                    line: position.line,
                    value: text.clone(),
                })?
            };
            Located::new(value, position)
        }
    };
    let description = info.description.unwrap_or_default();
    let vars: Vec<Var> = raw
        .vars
        .map(|vars| vars.value.0)
        .unwrap_or_default()
        .into_iter()
        .map(|(key, value)| Var {
            name: Located::from_spanned(key),
            value: Located::from_spanned(value),
        })
        .collect();
    let mut var_transforms = Vec::new();
    for transform in raw.var_transforms.unwrap_or_default() {
        let transform = transform.value;
        let pattern = Located::from_spanned(transform.pattern);
        let regex = reader.regex(&pattern)?;
        let replace = optional_text(transform.replace);
        let from = Located::from_spanned(transform.from);
        let to = Located::from_spanned(transform.to);
        var_transforms.push(VarTransform {
            compiled: CompiledTransform {
                from: from.value.clone(),
                regex,
                replace: replace.value.clone(),
                to: to.value.clone(),
            },
            from,
            pattern,
            replace,
            to,
        });
    }

    // The variables at the package's own version, before the subpackage names are known (they
    // only add `targets.package.<name>`, which no subpackage name uses).
    let pairs: Vec<(String, String)> = vars
        .iter()
        .map(|v| (v.name.value.clone(), v.value.value.clone()))
        .collect();
    let compiled: Vec<CompiledTransform> =
        var_transforms.iter().map(|t| t.compiled.clone()).collect();
    let own = Substitution::new(&SubstitutionInput {
        name: &name.value,
        version: &version.value,
        epoch: epoch.value,
        description: &description,
        vars: &pairs,
        transforms: &compiled,
        package_names: &[],
        limit: options.max_substituted_bytes,
    })
    .map_err(|source| MelangeError::Transform {
        path: path.to_path_buf(),
        line: var_transforms
            .get(source.index)
            .map(|t| t.from.position.line)
            .unwrap_or(0),
        source,
    })?;

    let pipeline = reader.steps(&raw.pipeline.unwrap_or_default(), None, &[], None, 0)?;

    let mut data: BTreeMap<String, Vec<RangeItem>> = BTreeMap::new();
    for item in raw.data.unwrap_or_default() {
        let mut items: Vec<RangeItem> = item
            .items
            .map(|items| items.0)
            .unwrap_or_default()
            .into_iter()
            .map(|(key, value)| RangeItem {
                key: key.value,
                // `3.10:` with no value is the empty string, as Go reads it.
                value: value.unwrap_or_default(),
            })
            .collect();
        // melange sorts the keys so that the expansion is deterministic.
        items.sort_by(|a, b| a.key.cmp(&b.key));
        data.insert(item.name, items);
    }
    let mut subpackages = Vec::new();
    for raw_sub in raw.subpackages.unwrap_or_default() {
        let position = Position::from_spanned(&raw_sub);
        let sub = raw_sub.value;
        let sub_name = Located::from_spanned(sub.name);
        let condition = sub.condition.map(Located::from_spanned);
        // melange expands a subpackage only when `range` is not empty.
        let range = sub
            .range
            .map(Located::from_spanned)
            .filter(|range| !range.value.trim().is_empty());
        let items: Vec<Option<(Located<String>, RangeItem)>> = match &range {
            None => vec![None],
            Some(range) => data
                .get(range.value.trim())
                .ok_or_else(|| MelangeError::Range {
                    path: path.to_path_buf(),
                    line: range.position.line,
                    range: range.value.clone(),
                })?
                .iter()
                .map(|item| Some((range.clone(), item.clone())))
                .collect(),
        };
        let steps = sub.pipeline.unwrap_or_default();
        for item in items {
            let index = subpackages.len();
            let scope = own.subpackage(
                &sub_name.value,
                item.as_ref()
                    .map(|(_, item)| (item.key.as_str(), item.value.as_str())),
            );
            let resolved_name = scope
                .resolve_literal(&sub_name.value)
                .unwrap_or_else(|_| sub_name.value.clone());
            subpackages.push(Subpackage {
                position,
                name: sub_name.clone(),
                resolved_name,
                range: item,
                condition: condition.clone(),
                pipeline: reader.steps(&steps, Some(index), &[], None, 0)?,
            });
        }
    }

    let update = reader.update(raw.update, &own);
    let mut package = MelangePackage {
        file: path.to_path_buf(),
        source_dir: source_dir(path),
        name,
        version,
        epoch,
        description,
        vars,
        var_transforms,
        pipeline,
        subpackages,
        update,
        patches: Vec::new(),
        unread_series: Vec::new(),
        shell_patches: Vec::new(),
        limit: options.max_substituted_bytes,
        series_limit: options.max_series_bytes,
        source_text: Arc::from(text),
    };
    let shell: Vec<_> = package
        .steps()
        .flat_map(|step| shell_patches(text, step))
        .collect();
    let at = package.at(&package.version.value.clone())?;
    package.patches = at.patches;
    package.unread_series = at.unread_series;
    package.shell_patches = shell;
    Ok(package)
}

/// `<folder of the YAML>/<file name without .yaml>/`.
fn source_dir(path: &Path) -> std::path::PathBuf {
    let folder = path.parent().unwrap_or(Path::new(""));
    let stem = path
        .file_stem()
        .map(|s| s.to_os_string())
        .unwrap_or_default();
    folder.join(stem)
}

fn optional_text(spanned: Spanned<Option<String>>) -> Located<String> {
    let position = Position::from_spanned(&spanned);
    Located::new(spanned.value.unwrap_or_default(), position)
}

struct Reader<'a> {
    path: &'a Path,
    options: &'a MelangeOptions,
}

impl Reader<'_> {
    fn regex(&self, pattern: &Located<String>) -> Result<regex::Regex, MelangeError> {
        compile_go_regex(&pattern.value, self.options.regex_size_limit).map_err(|source| {
            MelangeError::Regex {
                path: self.path.to_path_buf(),
                line: pattern.position.line,
                pattern: pattern.value.clone(),
                source,
            }
        })
    }

    fn steps(
        &self,
        raw: &[Spanned<RawStep>],
        subpackage: Option<usize>,
        parent: &[usize],
        inherited: Option<&str>,
        depth: usize,
    ) -> Result<Vec<Step>, MelangeError> {
        let mut steps = Vec::with_capacity(raw.len());
        for (index, spanned) in raw.iter().enumerate() {
            let position = Position::from_spanned(spanned);
            if depth >= self.options.max_pipeline_depth {
                return Err(MelangeError::TooDeep {
                    path: self.path.to_path_buf(),
                    line: position.line,
                    limit: self.options.max_pipeline_depth,
                });
            }
            let step = &spanned.value;
            let mut path = parent.to_vec();
            path.push(index);
            let working_directory = step.working_directory.as_ref().map(located);
            // melange: a nested step without its own working directory takes its parent's.
            let effective = working_directory
                .as_ref()
                .map(|w| w.value.clone())
                .filter(|w| !w.is_empty())
                .or_else(|| inherited.map(str::to_string));
            let uses = step.uses.as_ref().map(located);
            let action = Action::of(uses.as_ref().map(|u| u.value.trim()));
            let with = step
                .with
                .as_ref()
                .map(|with| {
                    with.value
                        .0
                        .iter()
                        .map(|(key, value)| WithEntry {
                            key: located(key),
                            value: Located::new(value.value.clone(), Position::from_spanned(value)),
                        })
                        .collect()
                })
                .unwrap_or_default();
            let nested = match &step.pipeline {
                Some(inner) => {
                    self.steps(inner, subpackage, &path, effective.as_deref(), depth + 1)?
                }
                None => Vec::new(),
            };
            steps.push(Step {
                id: StepId { subpackage, path },
                position,
                name: step.name.as_ref().map(located),
                uses,
                runs: step.runs.as_ref().map(located),
                condition: step.condition.as_ref().map(located),
                working_directory,
                effective_working_directory: effective,
                with,
                with_position: step.with.as_ref().map(Position::from_spanned),
                pipeline: nested,
                action,
            });
        }
        Ok(steps)
    }

    fn update(&self, raw: Option<Spanned<RawUpdate>>, own: &Substitution) -> Update {
        let Some(raw) = raw else {
            return Update::default();
        };
        let raw = raw.value;
        // Filters and identifiers are substituted when melange parses the file; a value whose
        // substitution fails keeps its text.
        let substituted = |text: Option<Text>| {
            text.map(|text| {
                let mut value = located(&text);
                if let Ok(resolved) = own.resolve_literal(&value.value) {
                    value.value = resolved;
                }
                value
            })
        };
        let kept = |text: Option<Text>| text.map(|t| located(&t));
        let github = raw.github.map(|github| {
            let github = github.value;
            GithubMonitor {
                identifier: substituted(github.identifier),
                strip_prefix: kept(github.strip_prefix),
                strip_suffix: kept(github.strip_suffix),
                tag_filter: substituted(github.tag_filter),
                tag_filter_prefix: substituted(github.tag_filter_prefix),
                tag_filter_contains: substituted(github.tag_filter_contains),
                use_tag: github.use_tag.unwrap_or(false),
            }
        });
        let git = raw.git.map(|git| {
            let git = git.value;
            GitMonitor {
                strip_prefix: kept(git.strip_prefix),
                strip_suffix: kept(git.strip_suffix),
                tag_filter_prefix: substituted(git.tag_filter_prefix),
                tag_filter_contains: substituted(git.tag_filter_contains),
            }
        });
        let release_monitor = raw.release_monitor.map(|monitor| {
            let monitor = monitor.value;
            ReleaseMonitor {
                identifier: kept(monitor.identifier),
                strip_prefix: kept(monitor.strip_prefix),
                strip_suffix: kept(monitor.strip_suffix),
                version_filter_prefix: substituted(monitor.version_filter_prefix),
                version_filter_contains: substituted(monitor.version_filter_contains),
            }
        });
        let limit = self.options.regex_size_limit;
        Update {
            present: true,
            enabled: raw.enabled.map(|e| e.value).unwrap_or(false),
            manual: raw.manual.unwrap_or(false),
            github,
            git,
            release_monitor,
            ignore_regex_patterns: raw
                .ignore_regex_patterns
                .unwrap_or_default()
                .iter()
                .map(|pattern| {
                    let pattern = located(pattern);
                    let regex = compile_go_regex(&pattern.value, limit);
                    IgnorePattern { pattern, regex }
                })
                .collect(),
            version_transform: raw
                .version_transform
                .unwrap_or_default()
                .into_iter()
                .map(|transform| {
                    let transform = transform.value;
                    let pattern = Located::from_spanned(transform.pattern);
                    let regex = compile_go_regex(&pattern.value, limit);
                    VersionTransform {
                        pattern,
                        replace: optional_text(transform.replace),
                        regex,
                    }
                })
                .collect(),
            version_separator: raw.version_separator,
            enable_prerelease_tags: raw.enable_prerelease_tags.unwrap_or(false),
        }
    }
}

fn located(text: &Text) -> Located<String> {
    Located::new(text.value.clone(), Position::from_spanned(text))
}

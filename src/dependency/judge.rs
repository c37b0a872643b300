//! The judgement: how R stands to each dependency a patch changes, and what that makes of
//! the patch.
//!
//! For each change, R's manifest at the same path is read (once per file) and the dependency
//! looked up by name (Go: its effective version after R's own `replace` directives); a
//! dependency the manifest does not declare is looked for in R's lock file beside it (npm,
//! Cargo, Python, RubyGems), since a transitive pin (an npm override) is superseded when
//! upstream's own lock resolves to that version or a newer one. Every candidate R declares
//! must admit only versions at or above the patch's ([`super::version::compare`]).
//!
//! All superseded: `Expired` (`dependency-superseded`). Some: `Partial` (the rest still
//! needed; shrinking a lock file means a refresh). None, with a declaration older than the
//! patch's: `Needed`. None and nothing declared: `NotFound`, which never expires a patch.

use super::DependencyOptions;
use super::model::{Declaration, Ecosystem, ManifestKind, Outcome, Requirement, Section};
use super::patch::{Change, DependencyChange, DependencyPatch, LineLocation};
use super::reader::{self, go};
use super::version::{self, Comparison};
use std::collections::HashMap;
use std::rc::Rc;

/// A dependency upstream dropped for another, recorded by a maintainer: when R lacks `from`
/// but declares `to`, the outcome is [`Outcome::Replaced`] (evidence, never a proof).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement {
    pub from: String,
    pub to: String,
}

/// One change and its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judged {
    /// Index into [`DependencyPatch::changes`] (or the `go/bump` step's dependencies).
    pub change: usize,
    /// The dependency's name.
    pub name: String,
    pub outcome: Outcome,
}

/// What the outcomes make of the patch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DependencyVerdict {
    /// Every change is upstream: expire with reason `dependency-superseded`.
    Expired,
    /// Some changes are upstream, the others are not.
    Partial,
    /// No change is upstream, and R declares at least one of them older.
    Needed,
    /// No change is upstream and R declares none of them older: R lacks them, redirects them
    /// or declares versions that cannot be ordered. Nothing to say either way.
    NotFound,
}

/// The outcomes of every change, and the verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    pub dependencies: Vec<Judged>,
    pub verdict: DependencyVerdict,
}

/// How a partial patch shrinks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shrink {
    /// Drop these lines (the superseded changes'); keep the rest of the patch.
    Drop(Vec<LineLocation>),
    /// A superseded change lives in a lock file, which a hunk edit cannot shrink correctly:
    /// the patch needs a refresh (its lock files regenerated) instead.
    NeedsRefresh { files: Vec<String> },
}

impl Judgement {
    /// The verdict of a list of outcomes.
    pub fn verdict_of(outcomes: &[&Outcome]) -> DependencyVerdict {
        let superseded = outcomes.iter().filter(|o| o.is_superseded()).count();
        if !outcomes.is_empty() && superseded == outcomes.len() {
            DependencyVerdict::Expired
        } else if superseded > 0 {
            DependencyVerdict::Partial
        } else if outcomes
            .iter()
            .any(|o| matches!(o, Outcome::Older { .. } | Outcome::StillDeclared { .. }))
        {
            DependencyVerdict::Needed
        } else {
            DependencyVerdict::NotFound
        }
    }

    /// For a partial verdict, how the patch shrinks to the changes still needed.
    pub fn shrink(&self, patch: &DependencyPatch) -> Option<Shrink> {
        if self.verdict != DependencyVerdict::Partial {
            return None;
        }
        let superseded: Vec<&DependencyChange> = self
            .dependencies
            .iter()
            .filter(|j| j.outcome.is_superseded())
            .filter_map(|j| patch.changes.get(j.change))
            .collect();
        let mut locks: Vec<String> = superseded
            .iter()
            .flat_map(|c| c.lock_files.iter().cloned())
            .collect();
        locks.sort();
        locks.dedup();
        if !locks.is_empty() {
            return Some(Shrink::NeedsRefresh { files: locks });
        }
        let mut lines: Vec<LineLocation> = superseded
            .iter()
            .flat_map(|c| c.lines.iter().copied())
            .collect();
        lines.sort();
        lines.dedup();
        Some(Shrink::Drop(lines))
    }
}

/// One of R's manifests, parsed, with its requirements indexed by name (so judging many
/// changes against a large manifest stays linear).
struct Parsed {
    requirements: Vec<Requirement>,
    by_name: HashMap<String, Vec<usize>>,
}

impl Parsed {
    fn new(requirements: Vec<Requirement>) -> Parsed {
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, requirement) in requirements.iter().enumerate() {
            by_name.entry(requirement.name.clone()).or_default().push(i);
        }
        Parsed {
            requirements,
            by_name,
        }
    }

    /// The requirements named `name` (a Maven `:artifact` matches any group).
    fn named(&self, name: &str) -> Vec<&Requirement> {
        if name.starts_with(':') {
            return self
                .requirements
                .iter()
                .filter(|r| same_name(name, &r.name))
                .collect();
        }
        self.by_name.get(name).map_or_else(Vec::new, |list| {
            list.iter().map(|&i| &self.requirements[i]).collect()
        })
    }
}

/// R's manifests, each read and parsed once.
struct Release<'r> {
    read: &'r dyn Fn(&str) -> Option<Vec<u8>>,
    options: &'r DependencyOptions,
    files: HashMap<String, Option<Result<Rc<Parsed>, String>>>,
}

impl Release<'_> {
    /// R's requirements in `file` (`None`: R has no such file).
    fn requirements(&mut self, file: &str) -> Option<Result<Rc<Parsed>, String>> {
        if !self.files.contains_key(file) {
            let parsed = ManifestKind::from_path(file).and_then(|kind| {
                let bytes = (self.read)(file)?;
                Some(
                    reader::read(kind, file, &bytes, self.options)
                        .map(|list| Rc::new(Parsed::new(list)))
                        .map_err(|e| e.to_string()),
                )
            });
            self.files.insert(file.to_string(), parsed);
        }
        self.files.get(file)?.clone()
    }
}

/// The lock files that may sit beside a manifest of `ecosystem`.
fn lock_files(ecosystem: Ecosystem) -> &'static [&'static str] {
    match ecosystem {
        Ecosystem::Npm => &[
            "package-lock.json",
            "npm-shrinkwrap.json",
            "yarn.lock",
            "pnpm-lock.yaml",
        ],
        Ecosystem::Cargo => &["Cargo.lock"],
        Ecosystem::Python => &["uv.lock", "poetry.lock"],
        Ecosystem::RubyGems => &["Gemfile.lock"],
        Ecosystem::Go | Ecosystem::Maven | Ecosystem::Gradle => &[],
    }
}

/// The lock files R may hold beside the manifest at `path` (tree paths): the judge looks
/// for a dependency there when the manifest does not declare it. Empty for a lock file or a
/// path that is not a manifest.
pub fn lock_files_beside(path: &str) -> Vec<String> {
    match ManifestKind::from_path(path) {
        Some(kind) if !kind.is_lock() => lock_files(kind.ecosystem())
            .iter()
            .map(|lock| sibling(path, lock))
            .collect(),
        _ => Vec::new(),
    }
}

fn sibling(file: &str, name: &str) -> String {
    match file.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/{name}"),
        None => name.to_string(),
    }
}

fn declaration(requirement: &Requirement) -> Declaration {
    Declaration {
        version: requirement.version.clone(),
        file: requirement.file.clone(),
        line: requirement.line,
    }
}

/// True when `candidate` (in R) names the same dependency as the change: equal names, or a
/// Maven `:artifact` whose group the hunk did not show.
fn same_name(change_name: &str, candidate: &str) -> bool {
    change_name == candidate || change_name.starts_with(':') && candidate.ends_with(change_name)
}

/// The candidates R declares for a change, narrowed to the same section and qualifier where R
/// has such entries.
fn candidates<'a>(change: &DependencyChange, declared: &'a Parsed) -> Vec<&'a Requirement> {
    let property = change.section == Section::Property;
    let mut list: Vec<&Requirement> = declared
        .named(&change.name)
        .into_iter()
        .filter(|r| (r.section == Section::Property) == property)
        .filter(|r| {
            r.section != Section::Replace
                || matches!(change.section, Section::Replace | Section::Unknown)
        })
        .collect();
    if change.section == Section::Unknown {
        // The hunk did not show the section: every declaration R has must agree.
    } else if change.section == Section::Overrides {
        // An override forces every copy in the tree; R's direct requirement of the same
        // package says nothing of the transitive copies (R's lock does: see the fallback).
        list.retain(|r| r.section == Section::Overrides);
    } else if list.iter().any(|r| r.section == change.section) {
        list.retain(|r| r.section == change.section);
    }
    if change.qualifier.is_some() && list.iter().any(|r| r.qualifier == change.qualifier) {
        list.retain(|r| r.qualifier == change.qualifier);
    }
    list
}

/// Compare the patch's version with every candidate: superseded only when all are at or
/// above it; otherwise the first that is not decides. `list` is not empty.
pub(crate) fn compare_candidates(
    ecosystem: Ecosystem,
    patch: &str,
    list: &[&Requirement],
    options: &DependencyOptions,
) -> Outcome {
    let mut all_equal = true;
    for candidate in list {
        match version::compare(
            ecosystem,
            patch,
            &candidate.version,
            options.max_version_bytes,
        ) {
            Comparison::AtLeast { equal } => all_equal &= equal,
            Comparison::Below => {
                return Outcome::Older {
                    patch: patch.to_string(),
                    release: declaration(candidate),
                };
            }
            Comparison::Unordered { reason } => {
                return Outcome::Unordered {
                    patch: patch.to_string(),
                    release: declaration(candidate),
                    reason,
                };
            }
        }
    }
    let first = list[0];
    Outcome::Superseded {
        patch: patch.to_string(),
        release: declaration(first),
        equal: all_equal,
    }
}

/// The outcome of one Go module at version `patch` against R's go.mod requirements.
pub(crate) fn go_outcome(
    module: &str,
    patch: &str,
    file: &str,
    declared: &[Requirement],
    options: &DependencyOptions,
) -> Outcome {
    match go::effective(declared, module) {
        None => Outcome::NotFound {
            patch: patch.to_string(),
            file: file.to_string(),
        },
        Some(go::Effective::Redirected { to, requirement }) => Outcome::Replaced {
            patch: patch.to_string(),
            by: if requirement.version.is_empty() {
                to
            } else {
                format!("{to}@{}", requirement.version)
            },
            release: Some(declaration(&requirement)),
        },
        Some(go::Effective::Version(requirement)) => {
            compare_candidates(Ecosystem::Go, patch, &[&requirement], options)
        }
    }
}

/// Judge each change of `patch` against release R, whose files `read` returns by tree path
/// (`None` when R has no such file).
pub fn judge(
    patch: &DependencyPatch,
    read: &dyn Fn(&str) -> Option<Vec<u8>>,
    replacements: &[Replacement],
    options: &DependencyOptions,
) -> Judgement {
    let mut release = Release {
        read,
        options,
        files: HashMap::new(),
    };
    let mut dependencies = Vec::new();
    for (index, change) in patch.changes.iter().enumerate() {
        let outcome = judge_change(change, &mut release, replacements, options);
        dependencies.push(Judged {
            change: index,
            name: change.name.clone(),
            outcome,
        });
    }
    let outcomes: Vec<&Outcome> = dependencies.iter().map(|j| &j.outcome).collect();
    let verdict = Judgement::verdict_of(&outcomes);
    Judgement {
        dependencies,
        verdict,
    }
}

fn judge_change(
    change: &DependencyChange,
    release: &mut Release,
    replacements: &[Replacement],
    options: &DependencyOptions,
) -> Outcome {
    let declared: Rc<Parsed> = match release.requirements(&change.file) {
        Some(Ok(parsed)) => parsed,
        Some(Err(message)) => {
            return Outcome::Unreadable {
                file: change.file.clone(),
                message,
            };
        }
        None => Rc::new(Parsed::new(Vec::new())),
    };
    let Some(patch_version) = change.change.target().map(str::to_string) else {
        // A removal: upstream removed it too, or still declares it.
        let list = candidates(change, &declared);
        return match list.first() {
            Some(requirement) => Outcome::StillDeclared {
                release: declaration(requirement),
            },
            None => Outcome::AlsoRemoved {
                file: change.file.clone(),
            },
        };
    };
    if change.ecosystem == Ecosystem::Go
        && change.manifest == ManifestKind::GoMod
        && change.section != Section::Toolchain
    {
        let module: Vec<Requirement> = declared.named(&change.name).into_iter().cloned().collect();
        let outcome = go_outcome(&change.name, &patch_version, &change.file, &module, options);
        if !matches!(outcome, Outcome::NotFound { .. }) {
            return outcome;
        }
        return recorded_replacement(change, &patch_version, &declared, replacements)
            .unwrap_or(outcome);
    }
    let mut list = candidates(change, &declared);
    if list.is_empty() && change.section == Section::Toolchain && change.name == "toolchain" {
        list = declared
            .named("go")
            .into_iter()
            .filter(|r| r.section == Section::Toolchain)
            .collect();
    }
    // A dependency the patch adds is one upstream lacks unless R's manifest declares it: R's
    // lock resolving it as someone else's dependency does not make R require it. An override
    // is the exception — it exists to force those transitive copies.
    let lock_alone =
        !matches!(change.change, Change::Add { .. }) || change.section == Section::Overrides;
    if change.section == Section::Unknown && !change.manifest.is_lock() {
        // The line may be an override the hunk does not show: R's lock must agree too.
        let mut locked: Vec<Requirement> = Vec::new();
        for lock in lock_files(change.ecosystem) {
            if let Some(Ok(parsed)) = release.requirements(&sibling(&change.file, lock)) {
                locked.extend(parsed.named(&change.name).into_iter().cloned());
            }
        }
        if !list.is_empty() || lock_alone && !locked.is_empty() {
            let all: Vec<&Requirement> = list.into_iter().chain(locked.iter()).collect();
            return compare_candidates(change.ecosystem, &patch_version, &all, options);
        }
    } else if !list.is_empty() {
        return compare_candidates(change.ecosystem, &patch_version, &list, options);
    }
    // Not in the manifest: upstream's lock beside it may resolve the dependency.
    if !change.manifest.is_lock() && lock_alone {
        for lock in lock_files(change.ecosystem) {
            let path = sibling(&change.file, lock);
            if let Some(Ok(parsed)) = release.requirements(&path) {
                let locked: Vec<&Requirement> = parsed.named(&change.name);
                if !locked.is_empty() {
                    return compare_candidates(change.ecosystem, &patch_version, &locked, options);
                }
            }
        }
    }
    recorded_replacement(change, &patch_version, &declared, replacements).unwrap_or(
        Outcome::NotFound {
            patch: patch_version,
            file: change.file.clone(),
        },
    )
}

/// [`Outcome::Replaced`] when a maintainer recorded that upstream dropped the dependency for
/// another and R's manifest declares that other.
fn recorded_replacement(
    change: &DependencyChange,
    patch_version: &str,
    declared: &Parsed,
    replacements: &[Replacement],
) -> Option<Outcome> {
    let replacement = replacements.iter().find(|r| r.from == change.name)?;
    let to = *declared.named(&replacement.to).first()?;
    Some(Outcome::Replaced {
        patch: patch_version.to_string(),
        by: replacement.to.clone(),
        release: Some(declaration(to)),
    })
}

#[cfg(test)]
mod tests;

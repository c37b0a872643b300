//! Policies: YAML files of rules whose conditions are CEL expressions over the audit report
//! (DESIGN.md §6; the rule format, the fields and the functions are in docs/policies.md).
//!
//! Flow: `load.rs` reads the rule files → `compile.rs` compiles each expression with cel-rust
//! → `check.rs` walks it against the report's shape (`schema.rs`, derived from the report
//! types) so a misspelt field is a load error → `evaluate.rs` runs the rules over each package
//! under a [`Budget`] (`budget.rs`); `message.rs` turns CEL's errors into sentences.
//! `builtin.rs` holds the packs compiled into the binary, and `select.rs` picks the packs of an
//! audit: `--policy`, the workspace's `mindelta.yaml` list, its `policies/` folder, or the
//! built-in packs. A pack mindelta picks judges only the patches its `applies-to` selects.

mod budget;
pub mod builtin;
mod check;
mod compile;
mod evaluate;
mod load;
mod message;
mod schema;
mod select;

pub use budget::{Budget, DEFAULT_STEPS, DEFAULT_TIME, Exhausted};
pub use compile::CompileError;
pub use evaluate::{EvaluationError, to_cel};
pub use load::PolicySource;
pub use select::{PolicyOrigin, Selection, select};

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use cel::common::ast::IdedExpr;

use super::report::Severity;

/// A policy file that cannot be used. `line` is 1-based (0 when unknown).
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("cannot read policy `{}`", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` line {line}{}: {message}", path.display(), rule.as_ref().map(|r| format!(", rule `{r}`")).unwrap_or_default())]
    Invalid {
        path: PathBuf,
        line: usize,
        rule: Option<String>,
        message: String,
    },
    /// A rule's `when` or `require` that does not compile, or names a field the report does
    /// not have.
    #[error("`{}` line {line}, rule `{rule}`: `{which}`: {source}", path.display())]
    Expression {
        path: PathBuf,
        line: usize,
        rule: String,
        /// `when` or `require`.
        which: &'static str,
        #[source]
        source: CompileError,
    },
    /// A `policies:` list (of `mindelta.yaml`) names a pack that does not exist.
    #[error("`{}` line {line}: `policies`: no policy pack `{name}`: the packs are {known}", path.display())]
    UnknownPack {
        path: PathBuf,
        line: usize,
        name: String,
        /// The names that exist, in words.
        known: String,
    },
    /// A rule's evaluation exhausted its budget (see [`Budget`]).
    #[error("`{}` line {line}, rule `{rule}`: {}", path.display(), message::exhausted(*.exhausted, .budget))]
    Budget {
        path: PathBuf,
        line: usize,
        rule: String,
        exhausted: Exhausted,
        budget: Budget,
    },
}

/// What a rule is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// Evaluated once per patch, with `patch` and `package`.
    Patch,
    /// Evaluated once per package, with `package`.
    Package,
}

/// Where a patch rule's findings point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// The patch's entry in `package.yaml`.
    Manifest,
    /// The first line of the patch file (for rules about its header).
    Patch,
}

/// One policy file (or built-in pack), as loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pack {
    /// The pack's `name:`, else its file name without the extension.
    pub name: String,
    /// The policy file, as shown in findings (`built-in dep3.yaml` for a built-in pack).
    pub policy: String,
    /// The patches the pack judges, when mindelta picked it; `None`: every patch.
    pub scope: Option<Scope>,
}

/// The patches a pack judges (its `applies-to:`): those whose header has one of these fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// Field names, compared without regard to case; a trailing `*` matches any rest
    /// (`Bug-*`).
    pub header_fields: Vec<String>,
}

impl Scope {
    /// Whether a patch whose header has the fields `keys` is judged.
    pub fn admits(&self, keys: &[String]) -> bool {
        keys.iter().any(|key| {
            self.header_fields
                .iter()
                .any(|field| match field.strip_suffix('*') {
                    Some(prefix) => {
                        key.len() >= prefix.len()
                            && key.as_bytes()[..prefix.len()]
                                .eq_ignore_ascii_case(prefix.as_bytes())
                    }
                    None => key.eq_ignore_ascii_case(field),
                })
        })
    }

    /// The scope in words, for the note naming the packs in use.
    pub fn describe(&self) -> String {
        let mut fields: Vec<String> = self
            .header_fields
            .iter()
            .take(3)
            .map(|field| format!("`{field}:`"))
            .collect();
        if self.header_fields.len() > 3 {
            fields.push("…".into());
        }
        format!("patches whose header has {}", fields.join(", "))
    }
}

/// One compiled rule.
#[derive(Debug)]
pub struct Rule {
    pub id: String,
    pub severity: Severity,
    pub subject: Subject,
    pub anchor: Anchor,
    pub message: String,
    pub help: Option<String>,
    /// The policy file, as shown in findings (relative to the workspace root when inside it).
    pub policy: String,
    /// Line of the rule in its policy file.
    pub line: usize,
    /// `when` and `require`, compiled and instrumented with the budget's charges.
    when: Option<IdedExpr>,
    require: IdedExpr,
    /// The pack the rule belongs to (an index into the set's packs).
    pack: usize,
    /// Set once an evaluation exhausts the budget: the rule is not evaluated again, so a
    /// costly rule costs one budget, not one per patch.
    exhausted: OnceLock<Exhausted>,
}

/// The rules of every loaded policy file, compiled and checked.
pub struct PolicySet {
    rules: Vec<Rule>,
    packs: Vec<Pack>,
    env: Arc<cel::Env>,
    budget: Budget,
}

impl std::fmt::Debug for PolicySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicySet")
            .field("rules", &self.rules)
            .finish_non_exhaustive()
    }
}

impl Default for PolicySet {
    fn default() -> PolicySet {
        PolicySet {
            rules: Vec::new(),
            packs: Vec::new(),
            env: Arc::new(compile::environment()),
            budget: Budget::default(),
        }
    }
}

impl PolicySet {
    /// The same rules, each evaluation under `budget` (default: [`Budget::default`]).
    pub fn with_budget(mut self, budget: Budget) -> PolicySet {
        self.budget = budget;
        self
    }

    /// The rules, in load order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The packs, in load order.
    pub fn packs(&self) -> &[Pack] {
        &self.packs
    }

    /// True when no rule is loaded.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

#[cfg(test)]
mod tests;

//! Running the rules over one package: the report's JSON as CEL values, each rule under its
//! budget, a rule that fires becoming a [`Finding`] located in the manifest or the patch.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::compile::PACKAGE_VARIABLE;
use super::{Anchor, Budget, PolicyError, PolicySet, Rule, Subject, budget, message};
use crate::audit::report::{Finding, Location, PackageReport, Severity};

/// Why a rule's expression gave no answer; the rule then yields an `error` finding that says so.
#[derive(Debug, thiserror::Error)]
pub enum EvaluationError {
    #[error("`{which}` gave a value of type `{type_name}`, not a bool")]
    NotBool {
        /// `when` or `require`.
        which: &'static str,
        type_name: String,
    },
    #[error("`{which}`: {}", message::evaluation(source))]
    Failed {
        which: &'static str,
        #[source]
        source: cel::ExecutionError,
    },
}

impl PolicySet {
    /// Evaluate every rule over one package: the package rules' findings, then each patch's
    /// (in series order), each group in rule order. A rule that exhausts its budget (now or
    /// on an earlier package) is an error.
    pub fn evaluate(&self, package: &PackageReport) -> Result<Vec<Finding>, PolicyError> {
        if self.rules.is_empty() {
            return Ok(Vec::new());
        }
        let json = serde_json::to_value(package).unwrap_or_default();
        let patches: Vec<cel::Value> = json
            .get("patches")
            .and_then(|p| p.as_array())
            .map(|list| list.iter().map(to_cel).collect())
            .unwrap_or_default();
        let mut root = cel::Context::with_env(self.env.clone());
        root.add_variable_from_value(PACKAGE_VARIABLE, to_cel(&json));
        // The name is not a standard-library overload, so this cannot fail.
        let _ = root.add_function("version_compare", |a: Arc<String>, b: Arc<String>| -> i64 {
            match crate::upstream::version::compare(Default::default(), &a, &b) {
                std::cmp::Ordering::Less => -1,
                std::cmp::Ordering::Equal => 0,
                std::cmp::Ordering::Greater => 1,
            }
        });
        // Which packs judge which patches: a scoped pack judges the patches its `applies-to`
        // selects, and the package when it judges one of its patches.
        let admitted: Vec<Vec<bool>> = package
            .patches
            .iter()
            .map(|patch| {
                self.packs
                    .iter()
                    .map(|pack| {
                        pack.scope
                            .as_ref()
                            .is_none_or(|s| s.admits(&patch.header.keys))
                    })
                    .collect()
            })
            .collect();
        let package_admitted: Vec<bool> = (0..self.packs.len())
            .map(|pack| {
                self.packs[pack].scope.is_none() || admitted.iter().any(|patch| patch[pack])
            })
            .collect();
        // Package rules first, then each patch with every patch rule: the `patch` variable is
        // converted once per patch, not once per rule.
        let mut findings = Vec::new();
        for rule in self
            .rules
            .iter()
            .filter(|r| r.subject == Subject::Package && package_admitted[r.pack])
        {
            findings.extend(rule.judge(&root, package, None, self.budget)?);
        }
        if self.rules.iter().any(|rule| rule.subject == Subject::Patch) {
            for (index, value) in patches.iter().enumerate() {
                let judged = admitted.get(index);
                let mut scope = root.new_inner_scope();
                scope.add_variable_from_value("patch", value.clone());
                for rule in self.rules.iter().filter(|r| {
                    r.subject == Subject::Patch && judged.is_none_or(|packs| packs[r.pack])
                }) {
                    findings.extend(rule.judge(&scope, package, Some(index), self.budget)?);
                }
            }
        }
        Ok(findings)
    }
}

impl Rule {
    /// The finding of this rule for a package (or one of its patches), if it fires.
    fn judge(
        &self,
        context: &cel::Context,
        package: &PackageReport,
        patch: Option<usize>,
        budget: Budget,
    ) -> Result<Option<Finding>, PolicyError> {
        let exhausted = |exhausted| PolicyError::Budget {
            path: PathBuf::from(&self.policy),
            line: self.line,
            rule: self.id.clone(),
            exhausted,
            budget,
        };
        if let Some(kind) = self.exhausted.get() {
            return Err(exhausted(*kind));
        }
        let fires = budget::metered(budget, || self.fires(context)).inspect_err(|kind| {
            let _ = self.exhausted.set(*kind);
        });
        let patch = patch.and_then(|i| package.patches.get(i));
        let (severity, message) = match fires.map_err(exhausted)? {
            Ok(false) => return Ok(None),
            Ok(true) => (self.severity, self.message.clone()),
            Err(error) => (
                Severity::Error,
                format!(
                    "rule `{}` ({} line {}) cannot be evaluated: {error}",
                    self.id, self.policy, self.line
                ),
            ),
        };
        let location = match (patch, self.anchor) {
            (Some(patch), Anchor::Patch) => Location {
                file: patch.path.clone(),
                line: 1,
            },
            (Some(patch), Anchor::Manifest) => Location {
                file: package.manifest.clone(),
                line: patch.line,
            },
            (None, _) => Location {
                file: package.manifest.clone(),
                line: package.manifest_line,
            },
        };
        Ok(Some(Finding {
            rule: self.id.clone(),
            severity,
            package: package.name.clone(),
            patch: patch.map(|p| p.file.clone()),
            message,
            location,
            policy: self.policy.clone(),
            help: self.help.clone(),
        }))
    }

    fn fires(&self, context: &cel::Context) -> Result<bool, EvaluationError> {
        if let Some(when) = &self.when
            && !boolean(cel::Value::resolve(when, context), "when")?
        {
            return Ok(false);
        }
        Ok(!boolean(
            cel::Value::resolve(&self.require, context),
            "require",
        )?)
    }
}

fn boolean(result: cel::ResolveResult, which: &'static str) -> Result<bool, EvaluationError> {
    match result {
        Ok(cel::Value::Bool(value)) => Ok(value),
        Ok(other) => Err(EvaluationError::NotBool {
            which,
            type_name: other.type_of().to_string(),
        }),
        Err(source) => Err(EvaluationError::Failed { which, source }),
    }
}

/// A JSON value as a CEL value (integers stay `int`, so `patch.age_days > 90` works).
pub fn to_cel(value: &serde_json::Value) -> cel::Value {
    match value {
        serde_json::Value::Null => cel::Value::Null,
        serde_json::Value::Bool(b) => cel::Value::Bool(*b),
        serde_json::Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => cel::Value::Int(i),
            (None, Some(u)) => cel::Value::UInt(u),
            _ => cel::Value::Float(n.as_f64().unwrap_or_default()),
        },
        serde_json::Value::String(s) => cel::Value::String(Arc::new(s.clone())),
        serde_json::Value::Array(items) => {
            cel::Value::List(Arc::new(items.iter().map(to_cel).collect()))
        }
        serde_json::Value::Object(fields) => {
            let map: HashMap<cel::objects::Key, cel::Value> = fields
                .iter()
                .map(|(k, v)| (cel::objects::Key::from(k.as_str()), to_cel(v)))
                .collect();
            cel::Value::from(map)
        }
    }
}

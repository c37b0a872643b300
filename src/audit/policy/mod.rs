//! Policies: YAML files of rules whose conditions are CEL expressions over the audit report.
//!
//! A rule has an `id`, a `severity` (`error|warning|info`), a `subject` (`patch` or
//! `package`), a `message`, an optional `help`, an optional `at` (`manifest`, the default, or
//! `patch`: where a patch finding points), and two CEL expressions: `when` (default true) and
//! `require`. It fires when `when` is true and `require` is false. Expressions see `package`
//! (the package's JSON report) and, for patch rules, `patch` (one entry of
//! `package.patches`); absent optional fields are absent, so `has(patch.fixed_in)` works.
//! CEL's standard library is extended with its `strings` extension (`lowerAscii()`,
//! `split()`, `trim()`, …) and one function of ours: `version_compare(a, b)` (-1, 0 or 1, in
//! mindelta's default version order).
//!
//! Loading compiles every expression with cel-rust and walks its syntax tree against the
//! report schema below, so `patch.fixd_in` or `pakage.delta` is an error naming the file, the
//! line and the rule, not a rule that silently never fires. An expression that fails while
//! evaluating (a missing key without `has()`, a type mismatch) becomes an `error` finding of
//! that rule, so a broken rule is never mistaken for a passing one.
//!
//! Each evaluation of a rule runs under a [`Budget`] of steps and time (`budget.rs`); a rule
//! that exhausts it is a [`PolicyError::Budget`] naming the file, line and rule, and is not
//! evaluated again.

mod budget;
mod message;

pub use budget::{Budget, DEFAULT_STEPS, DEFAULT_TIME, Exhausted};

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::OnceLock;

use cel::common::ast::{EntryExpr, Expr, IdedExpr};
use serde::Deserialize;
use serde_saphyr::Spanned;

use super::report::{Finding, Location, PackageReport, Severity, relative};

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
    /// Set once an evaluation exhausts the budget: the rule is not evaluated again, so a
    /// costly rule costs one budget, not one per patch.
    exhausted: OnceLock<Exhausted>,
}

/// The rules of every loaded policy file, compiled and checked.
pub struct PolicySet {
    rules: Vec<Rule>,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    #[allow(dead_code)]
    name: Option<String>,
    #[allow(dead_code)]
    description: Option<String>,
    #[serde(default)]
    rules: Vec<Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    severity: Spanned<String>,
    subject: Spanned<String>,
    message: String,
    help: Option<String>,
    at: Option<Spanned<String>>,
    when: Option<Spanned<String>>,
    require: Spanned<String>,
}

impl Default for PolicySet {
    fn default() -> PolicySet {
        PolicySet {
            rules: Vec::new(),
            env: Arc::new(environment()),
            budget: Budget::default(),
        }
    }
}

impl PolicySet {
    /// Load policies from files and folders (a folder: its `*.yaml`/`*.yml` files, sorted).
    /// `root` is the workspace root, to show policy paths relative to it.
    pub fn load(paths: &[PathBuf], root: &Path) -> Result<PolicySet, PolicyError> {
        let mut files = Vec::new();
        for path in paths {
            if path.is_dir() {
                let entries = fs_err::read_dir(path).map_err(|source| PolicyError::Io {
                    path: path.clone(),
                    source,
                })?;
                let mut found: Vec<PathBuf> = entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| {
                        p.is_file() && p.extension().is_some_and(|e| e == "yaml" || e == "yml")
                    })
                    .collect();
                found.sort();
                files.extend(found);
            } else {
                files.push(path.clone());
            }
        }
        let mut set = PolicySet::default();
        let mut seen: HashMap<String, (String, usize)> = HashMap::new();
        for file in files {
            let text = std::fs::read_to_string(&file).map_err(|source| PolicyError::Io {
                path: file.clone(),
                source,
            })?;
            for rule in parse_policy(&text, &file, &relative(&file, root), &set.env)? {
                if let Some((policy, line)) = seen.get(&rule.id) {
                    return Err(PolicyError::Invalid {
                        path: file.clone(),
                        line: rule.line,
                        rule: Some(rule.id.clone()),
                        message: format!("the rule id is already used by `{policy}` line {line}"),
                    });
                }
                seen.insert(rule.id.clone(), (rule.policy.clone(), rule.line));
                set.rules.push(rule);
            }
        }
        Ok(set)
    }

    /// The same rules, each evaluation under `budget` (default: [`Budget::default`]).
    pub fn with_budget(mut self, budget: Budget) -> PolicySet {
        self.budget = budget;
        self
    }

    /// The rules, in load order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// True when no rule is loaded.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

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
        // Package rules first, then each patch with every patch rule: the `patch` variable is
        // converted once per patch, not once per rule.
        let mut findings = Vec::new();
        for rule in self.rules.iter().filter(|r| r.subject == Subject::Package) {
            findings.extend(rule.judge(&root, package, None, self.budget)?);
        }
        if self.rules.iter().any(|rule| rule.subject == Subject::Patch) {
            for (index, value) in patches.iter().enumerate() {
                let mut scope = root.new_inner_scope();
                scope.add_variable_from_value("patch", value.clone());
                for rule in self.rules.iter().filter(|r| r.subject == Subject::Patch) {
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

    fn fires(&self, context: &cel::Context) -> Result<bool, String> {
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

fn boolean(result: cel::ResolveResult, which: &str) -> Result<bool, String> {
    match result {
        Ok(cel::Value::Bool(value)) => Ok(value),
        Ok(other) => Err(format!(
            "`{which}` gave a value of type `{}`, not a bool",
            other.type_of()
        )),
        Err(error) => Err(format!("`{which}`: {}", message::evaluation(&error))),
    }
}

/// Parse and compile one policy file.
fn parse_policy(
    text: &str,
    path: &Path,
    shown: &str,
    env: &cel::Env,
) -> Result<Vec<Rule>, PolicyError> {
    let invalid = |line: usize, rule: Option<&str>, message: String| PolicyError::Invalid {
        path: path.to_path_buf(),
        line,
        rule: rule.map(str::to_string),
        message,
    };
    let raw: RawPolicy = serde_saphyr::from_str(text).map_err(|error| {
        let line = error.location().map(|l| l.line() as usize).unwrap_or(0);
        invalid(line, None, crate::workspace::manifest::yaml_message(&error))
    })?;
    let mut rules = Vec::new();
    for spanned in raw.rules {
        let line = spanned.referenced.line() as usize;
        let raw = spanned.value;
        let id = raw.id.trim().to_string();
        if id.is_empty() || id.contains(char::is_whitespace) {
            return Err(invalid(
                line,
                None,
                format!("rule id `{id}` must be one word"),
            ));
        }
        let severity = match raw.severity.value.as_str() {
            "error" => Severity::Error,
            "warning" => Severity::Warning,
            "info" => Severity::Info,
            other => {
                return Err(invalid(
                    raw.severity.referenced.line() as usize,
                    Some(&id),
                    format!("unknown severity `{other}`: use `error`, `warning` or `info`"),
                ));
            }
        };
        let subject = match raw.subject.value.as_str() {
            "patch" => Subject::Patch,
            "package" => Subject::Package,
            other => {
                return Err(invalid(
                    raw.subject.referenced.line() as usize,
                    Some(&id),
                    format!("unknown subject `{other}`: use `patch` or `package`"),
                ));
            }
        };
        let anchor = match raw.at.as_ref().map(|a| a.value.as_str()) {
            None | Some("manifest") => Anchor::Manifest,
            Some("patch") if subject == Subject::Patch => Anchor::Patch,
            Some(other) => {
                let at_line = raw
                    .at
                    .as_ref()
                    .map_or(line, |a| a.referenced.line() as usize);
                return Err(invalid(
                    at_line,
                    Some(&id),
                    format!("unknown `at: {other}`: use `manifest`, or `patch` for a patch rule"),
                ));
            }
        };
        let compile = |source: &Spanned<String>, which: &str| {
            compile(env, &source.value, subject).map_err(|message| {
                invalid(
                    source.referenced.line() as usize,
                    Some(&id),
                    format!("`{which}`: {message}"),
                )
            })
        };
        let when = match &raw.when {
            Some(when) => Some(compile(when, "when")?),
            None => None,
        };
        let require = compile(&raw.require, "require")?;
        rules.push(Rule {
            id: id.clone(),
            severity,
            subject,
            anchor,
            message: raw.message.trim().to_string(),
            help: raw.help.map(|h| h.trim().to_string()),
            policy: shown.to_string(),
            line,
            when,
            require,
            exhausted: OnceLock::new(),
        });
    }
    Ok(rules)
}

/// CEL's standard library plus its `strings` extension (`lowerAscii`, `split`, `trim`, …).
fn environment() -> cel::Env {
    let mut env = cel::Env::stdlib();
    // Declaring the extension's overloads on a fresh environment cannot conflict.
    let _ = env.add_extension(cel::extensions::strings);
    budget::register(&mut env);
    env
}

/// Compile one CEL expression, check its field references against the report schema and
/// instrument it for the budget.
fn compile(env: &cel::Env, source: &str, subject: Subject) -> Result<IdedExpr, String> {
    if source.trim().is_empty() {
        return Err("the expression is empty".into());
    }
    let source = unreserve_package(source);
    let program = env.compile(&source).map_err(|errors| {
        // "Incomplete `IndexContext`!" is the parser's own state, not a fact about the source;
        // the syntax error beside it says what is wrong.
        let internal = |msg: &str| msg.starts_with("Incomplete `");
        let keep_internal = errors.errors.iter().all(|e| internal(&e.msg));
        errors
            .errors
            .iter()
            .filter(|e| keep_internal || !internal(&e.msg))
            .map(|e| format!("{} (at {}:{})", e.msg, e.pos.0, e.pos.1))
            .collect::<Vec<_>>()
            .join("; ")
            .replace(PACKAGE_VARIABLE, "package")
    })?;
    let mut scope = vec![(PACKAGE_VARIABLE.to_string(), schema::package())];
    if subject == Subject::Patch {
        scope.push(("patch".to_string(), schema::patch()));
    }
    let mut errors = Vec::new();
    check(program.expression(), &mut scope, &mut errors);
    match errors.into_iter().next() {
        Some(error) => Err(error.replace(PACKAGE_VARIABLE, "package")),
        None => Ok(budget::instrument(
            program.expression(),
            &[PACKAGE_VARIABLE, "patch"],
        )),
    }
}

/// The name the `package` variable has inside CEL, where `package` is a reserved word. It has
/// the same length, so positions in CEL's error messages stay right.
const PACKAGE_VARIABLE: &str = "__pkg__";

/// Rename the identifier `package` (not a field `.package`, not inside a string literal) to
/// [`PACKAGE_VARIABLE`], so policies can write `package.delta.added` as the design says.
fn unreserve_package(source: &str) -> String {
    let bytes = source.as_bytes();
    let mut out = String::with_capacity(source.len());
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        if byte == b'"' || byte == b'\'' {
            // Copy a string literal verbatim (triple-quoted or not, with escapes).
            let triple = bytes[index..].starts_with(&[byte; 3]);
            let quote_len = if triple { 3 } else { 1 };
            let mut end = index + quote_len;
            while end < bytes.len() {
                if bytes[end] == b'\\' {
                    end += 2;
                    continue;
                }
                if bytes[end..].starts_with(&[byte; 3][..quote_len]) {
                    end += quote_len;
                    break;
                }
                end += 1;
            }
            let end = end.min(bytes.len());
            out.push_str(&source[index..end]);
            index = end;
        } else if byte == b'_' || byte.is_ascii_alphabetic() {
            let start = index;
            while index < bytes.len()
                && (bytes[index] == b'_' || bytes[index].is_ascii_alphanumeric())
            {
                index += 1;
            }
            let word = &source[start..index];
            let after_dot = source[..start].trim_end().ends_with('.');
            if word == "package" && !after_dot {
                out.push_str(PACKAGE_VARIABLE);
            } else {
                out.push_str(word);
            }
        } else {
            let width = source[index..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&source[index..index + width]);
            index += width;
        }
    }
    out
}

/// The shape of a report value, for checking field references.
#[derive(Debug, Clone)]
pub(crate) enum Shape {
    /// Anything (a computed value): not checked further.
    Any,
    /// A string, number or bool.
    Scalar,
    /// A list of values of one shape.
    List(Box<Shape>),
    /// An object with known fields.
    Object(Vec<(&'static str, Shape)>),
    /// A map with free keys (`by_status`).
    Map(Box<Shape>),
}

/// The known field tree of the report (keep in step with `report.rs`; a test checks it).
pub(crate) mod schema {
    use super::Shape::{self, *};

    fn object(fields: &[(&'static str, Shape)]) -> Shape {
        Object(fields.to_vec())
    }

    fn list(shape: Shape) -> Shape {
        List(Box::new(shape))
    }

    /// `patch.header`.
    pub fn header() -> Shape {
        object(&[
            ("subject", Scalar),
            ("author", Scalar),
            ("date", Scalar),
            ("description", Scalar),
            ("origin", Scalar),
            ("forwarded", Scalar),
            ("applied_upstream", Scalar),
            ("applied_in", Scalar),
            ("last_update", Scalar),
            ("upstream_status", Scalar),
            ("upstream_status_reason", Scalar),
            ("commit", Scalar),
            ("bugs", list(Scalar)),
            ("cves", list(Scalar)),
            ("upstream_commits", list(Scalar)),
            ("cve_tags", list(Scalar)),
            ("keys", list(Scalar)),
        ])
    }

    /// One patch (`patch`, or an element of `package.patches`).
    pub fn patch() -> Shape {
        object(&[
            ("file", Scalar),
            ("path", Scalar),
            ("line", Scalar),
            ("status", Scalar),
            ("reason", Scalar),
            ("age_days", Scalar),
            ("added", Scalar),
            ("fixed_in", Scalar),
            ("upstream_commit", Scalar),
            ("upstream_url", Scalar),
            ("cves", list(Scalar)),
            ("expiry", list(Scalar)),
            (
                "delta",
                object(&[("files", Scalar), ("added", Scalar), ("removed", Scalar)]),
            ),
            ("header", header()),
            ("verdict", Scalar),
            ("verdict_reason", Scalar),
        ])
    }

    /// One package (`package`).
    pub fn package() -> Shape {
        object(&[
            ("name", Scalar),
            ("version", Scalar),
            ("latest", Scalar),
            ("outdated", Scalar),
            (
                "upstream",
                object(&[
                    ("kind", Scalar),
                    ("url", Scalar),
                    ("sha256", Scalar),
                    ("git", Scalar),
                    ("releases", Scalar),
                ]),
            ),
            ("manifest", Scalar),
            ("manifest_line", Scalar),
            (
                "delta",
                object(&[
                    ("patches", Scalar),
                    ("files", Scalar),
                    ("added", Scalar),
                    ("removed", Scalar),
                ]),
            ),
            ("by_status", Map(Box::new(Scalar))),
            ("no_expiry", Scalar),
            ("cve_patches", Scalar),
            ("expired", Scalar),
            (
                "oldest_pending",
                object(&[
                    ("package", Scalar),
                    ("file", Scalar),
                    ("status", Scalar),
                    ("age_days", Scalar),
                ]),
            ),
            ("release", Scalar),
            ("by_verdict", Map(Box::new(Scalar))),
            ("patches", list(patch())),
        ])
    }
}

/// CEL's type names, which may appear as identifiers (`type(x) == string`).
const TYPE_NAMES: [&str; 11] = [
    "bool",
    "int",
    "uint",
    "double",
    "string",
    "bytes",
    "list",
    "map",
    "null_type",
    "type",
    "dyn",
];

/// Walk an expression; return the shape of its value and record reference errors.
fn check(expr: &IdedExpr, scope: &mut Vec<(String, Shape)>, errors: &mut Vec<String>) -> Shape {
    match &expr.expr {
        Expr::Ident(name) => {
            if let Some((_, shape)) = scope.iter().rev().find(|(n, _)| n == name) {
                return shape.clone();
            }
            if !TYPE_NAMES.contains(&name.as_str()) {
                let known: Vec<&str> = scope
                    .iter()
                    .filter(|(n, _)| !n.starts_with('@'))
                    .map(|(n, _)| n.as_str())
                    .collect();
                errors.push(if name == "patch" {
                    "`patch` is only available to rules with `subject: patch` (use `package.patches`)".to_string()
                } else {
                    format!("unknown name `{name}` (known: {})", known.join(", "))
                });
            }
            Shape::Any
        }
        Expr::Select(select) => {
            let operand = check(&select.operand, scope, errors);
            select_field(&operand, &select.field, &select.operand, errors)
        }
        Expr::Call(call) => {
            let target = call.target.as_ref().map(|t| check(t, scope, errors));
            let args: Vec<Shape> = call.args.iter().map(|a| check(a, scope, errors)).collect();
            if call.func_name == "_[_]" && args.len() == 2 {
                return match &args[0] {
                    Shape::List(element) => (**element).clone(),
                    Shape::Map(value) => (**value).clone(),
                    Shape::Object(_) => match &call.args[1].expr {
                        Expr::Literal(cel::common::ast::LiteralValue::String(key)) => {
                            select_field(&args[0], key.inner(), &call.args[0], errors)
                        }
                        _ => Shape::Any,
                    },
                    _ => Shape::Any,
                };
            }
            drop(target);
            Shape::Any
        }
        Expr::Comprehension(comprehension) => {
            let range = check(&comprehension.iter_range, scope, errors);
            let init = check(&comprehension.accu_init, scope, errors);
            let (first, second) = match &range {
                Shape::List(element) => ((**element).clone(), Shape::Any),
                Shape::Map(value) => (Shape::Scalar, (**value).clone()),
                Shape::Object(_) => (Shape::Scalar, Shape::Any),
                _ => (Shape::Any, Shape::Any),
            };
            // With two variables over a list, the first is the index.
            let (first, second) = match (&comprehension.iter_var2, &range) {
                (Some(_), Shape::List(element)) => (Shape::Scalar, (**element).clone()),
                _ => (first, second),
            };
            let depth = scope.len();
            scope.push((comprehension.iter_var.clone(), first));
            if let Some(var) = &comprehension.iter_var2 {
                scope.push((var.clone(), second));
            }
            scope.push((comprehension.accu_var.clone(), init));
            check(&comprehension.loop_cond, scope, errors);
            check(&comprehension.loop_step, scope, errors);
            let result = check(&comprehension.result, scope, errors);
            scope.truncate(depth);
            result
        }
        Expr::List(list) => {
            for element in &list.elements {
                check(element, scope, errors);
            }
            Shape::List(Box::new(Shape::Any))
        }
        Expr::Map(map) => {
            for entry in &map.entries {
                if let EntryExpr::MapEntry(entry) = &entry.expr {
                    check(&entry.key, scope, errors);
                    check(&entry.value, scope, errors);
                }
            }
            Shape::Map(Box::new(Shape::Any))
        }
        Expr::Struct(structure) => {
            for entry in &structure.entries {
                if let EntryExpr::StructField(field) = &entry.expr {
                    check(&field.value, scope, errors);
                }
            }
            Shape::Any
        }
        Expr::Literal(_) => Shape::Scalar,
        Expr::Unspecified => Shape::Any,
    }
}

/// The shape of `operand.field`, recording an error for a field the schema does not have.
fn select_field(
    operand: &Shape,
    field: &str,
    operand_expr: &IdedExpr,
    errors: &mut Vec<String>,
) -> Shape {
    match operand {
        Shape::Object(fields) => match fields.iter().find(|(name, _)| *name == field) {
            Some((_, shape)) => shape.clone(),
            None => {
                let names: Vec<&str> = fields.iter().map(|(name, _)| *name).collect();
                let mut message = format!(
                    "unknown field `{}.{field}`",
                    path_of(operand_expr).unwrap_or_else(|| "…".to_string())
                );
                if let Some(close) = closest(field, &names) {
                    message.push_str(&format!(" (did you mean `{close}`?)"));
                } else {
                    message.push_str(&format!(" (known: {})", names.join(", ")));
                }
                errors.push(message);
                Shape::Any
            }
        },
        Shape::Map(value) => (**value).clone(),
        Shape::Scalar | Shape::List(_) => {
            errors.push(format!(
                "`{}` has no field `{field}`",
                path_of(operand_expr).unwrap_or_else(|| "…".to_string())
            ));
            Shape::Any
        }
        Shape::Any => Shape::Any,
    }
}

/// `a.b.c` for a chain of selects on a name.
fn path_of(expr: &IdedExpr) -> Option<String> {
    match &expr.expr {
        Expr::Ident(name) => Some(name.clone()),
        Expr::Select(select) => Some(format!("{}.{}", path_of(&select.operand)?, select.field)),
        _ => None,
    }
}

/// The known name closest to `word` (edit distance at most 2), for a "did you mean".
fn closest<'a>(word: &str, names: &[&'a str]) -> Option<&'a str> {
    names
        .iter()
        .map(|name| (distance(word, name), *name))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, name)| name)
}

fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            current.push(
                (previous[j] + cost)
                    .min(previous[j + 1] + 1)
                    .min(current[j] + 1),
            );
        }
        previous = current;
    }
    previous[b.len()]
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

#[cfg(test)]
mod tests;

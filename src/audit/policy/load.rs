//! Reading policy files: the YAML rule format (serde-saphyr, with lines), each rule's fields
//! validated and its expressions compiled, rule ids unique across the files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::compile::compile;
use super::{Anchor, PolicyError, PolicySet, Rule, Subject};
use crate::audit::report::{Severity, relative};

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

impl PolicySet {
    /// Load policies from files and folders (a folder: its `*.yaml`/`*.yml` files, sorted).
    /// `root` is the workspace root, to show policy paths relative to it.
    pub fn load(paths: &[PathBuf], root: &Path) -> Result<PolicySet, PolicyError> {
        let mut files = Vec::new();
        for path in paths {
            if path.is_dir() {
                let entries = std::fs::read_dir(path).map_err(|source| PolicyError::Io {
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
        let compile = |source: &Spanned<String>, which: &'static str| {
            compile(env, &source.value, subject).map_err(|source_error| PolicyError::Expression {
                path: path.to_path_buf(),
                line: source.referenced.line() as usize,
                rule: id.clone(),
                which,
                source: source_error,
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

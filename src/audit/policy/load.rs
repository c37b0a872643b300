//! Reading policy files: the YAML rule format (serde-saphyr, with lines), the pack's
//! `applies-to`, each rule's fields validated and its expressions compiled, rule ids unique
//! across the files. A pack is read from a file or from the built-in text (`builtin.rs`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::builtin::BuiltinPack;
use super::compile::compile;
use super::{Anchor, Pack, PolicyError, PolicySet, Rule, Scope, Subject};
use crate::audit::report::{Severity, relative};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    name: Option<String>,
    #[allow(dead_code)]
    description: Option<String>,
    #[serde(rename = "applies-to")]
    applies_to: Option<Spanned<RawScope>>,
    #[serde(default)]
    rules: Vec<Spanned<RawRule>>,
}

/// `applies-to:` of a pack: the patches it judges when mindelta picks it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScope {
    #[serde(rename = "header-fields")]
    header_fields: Vec<Spanned<String>>,
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

/// Where a pack is read from.
#[derive(Debug, Clone)]
pub enum PolicySource {
    /// A policy file.
    File(PathBuf),
    /// A built-in pack.
    Builtin(&'static BuiltinPack),
}

impl PolicySet {
    /// Load policies from files and folders (a folder: its `*.yaml`/`*.yml` files, sorted).
    /// `root` is the workspace root, to show policy paths relative to it. The packs were named
    /// by the user, so every rule judges every patch (their `applies-to` is not used).
    pub fn load(paths: &[PathBuf], root: &Path) -> Result<PolicySet, PolicyError> {
        let sources: Vec<PolicySource> = policy_files(paths)?
            .into_iter()
            .map(PolicySource::File)
            .collect();
        PolicySet::load_sources(&sources, root, false)
    }

    /// Load the packs of `sources`, in order. With `scoped`, each pack judges only the patches
    /// its `applies-to` selects (mindelta picked the packs, the user did not name them).
    pub fn load_sources(
        sources: &[PolicySource],
        root: &Path,
        scoped: bool,
    ) -> Result<PolicySet, PolicyError> {
        let mut set = PolicySet::default();
        let mut seen: HashMap<String, (String, usize)> = HashMap::new();
        for source in sources {
            let (path, shown, text) = match source {
                PolicySource::File(file) => {
                    let text = std::fs::read_to_string(file).map_err(|source| PolicyError::Io {
                        path: file.clone(),
                        source,
                    })?;
                    (file.clone(), relative(file, root), text)
                }
                PolicySource::Builtin(pack) => (
                    PathBuf::from(pack.shown()),
                    pack.shown(),
                    pack.text.to_string(),
                ),
            };
            let index = set.packs.len();
            let (pack, rules) = parse_policy(&text, &path, &shown, &set.env, index)?;
            for rule in rules {
                if let Some((policy, line)) = seen.get(&rule.id) {
                    return Err(PolicyError::Invalid {
                        path: path.clone(),
                        line: rule.line,
                        rule: Some(rule.id.clone()),
                        message: format!("the rule id is already used by `{policy}` line {line}"),
                    });
                }
                seen.insert(rule.id.clone(), (rule.policy.clone(), rule.line));
                set.rules.push(rule);
            }
            set.packs.push(Pack {
                scope: if scoped { pack.scope } else { None },
                ..pack
            });
        }
        Ok(set)
    }
}

/// The policy files of `paths`: files as given, folders as their `*.yaml`/`*.yml` files,
/// sorted by name.
pub(super) fn policy_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, PolicyError> {
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
                .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

/// The `name:` of a policy file, read leniently (nothing else is checked): how a
/// `mindelta.yaml` list finds a pack of the workspace's `policies/` folder.
pub(super) fn pack_name(text: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Named {
        name: Option<String>,
    }
    serde_saphyr::from_str::<Named>(text)
        .ok()
        .and_then(|named| named.name)
        .map(|name| name.trim().to_string())
}

/// Parse and compile one policy file, the pack at `index` of its set.
fn parse_policy(
    text: &str,
    path: &Path,
    shown: &str,
    env: &cel::Env,
    index: usize,
) -> Result<(Pack, Vec<Rule>), PolicyError> {
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
    let scope = match raw.applies_to {
        None => None,
        Some(spanned) => {
            let mut header_fields = Vec::new();
            for field in spanned.value.header_fields {
                let name = field.value.trim();
                let body = name.strip_suffix('*').unwrap_or(name);
                if body.is_empty()
                    || !body
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                {
                    return Err(invalid(
                        field.referenced.line() as usize,
                        None,
                        format!(
                            "`applies-to.header-fields`: `{name}` is not a header field name (letters, digits and `-`, optionally ending in `*`)"
                        ),
                    ));
                }
                header_fields.push(name.to_string());
            }
            if header_fields.is_empty() {
                return Err(invalid(
                    spanned.referenced.line() as usize,
                    None,
                    "`applies-to.header-fields` is empty: name the header fields of the patches the pack judges, or leave `applies-to` out".into(),
                ));
            }
            Some(Scope { header_fields })
        }
    };
    let stem = path
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default();
    let pack = Pack {
        name: raw
            .name
            .as_deref()
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map_or(stem, str::to_string),
        policy: shown.to_string(),
        scope,
    };
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
            pack: index,
            exhausted: OnceLock::new(),
        });
    }
    Ok((pack, rules))
}

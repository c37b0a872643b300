//! The workspace's own settings: `mindelta.yaml` at the workspace root (in a Debian source
//! package, `debian/mindelta.yaml`: nothing of mindelta's outside `debian/`). Optional; today
//! it holds one key, `policies:`, the policy packs `audit` runs (docs/policies.md):
//!
//! ```yaml
//! policies: [delta-minimization, dep3]
//! ```
//!
//! Unknown keys and values of the wrong type are errors that name the file and line, as in a
//! manifest: a typo must never silently change which rules judge the patches.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::Workspace;
use super::manifest::yaml_message;

/// The file name of the settings.
pub const CONFIG_FILE: &str = "mindelta.yaml";

/// Bound on the size of `mindelta.yaml` (64 KiB): a list of pack names is a few hundred bytes.
pub const MAX_CONFIG_BYTES: u64 = 64 << 10;

/// The settings of a workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceConfig {
    /// The file they were read from.
    pub path: PathBuf,
    /// The policy packs `audit` runs (`policies:`), each with its line; `None` when the key
    /// is absent (mindelta picks the packs).
    pub policies: Option<Vec<(String, usize)>>,
}

/// Why `mindelta.yaml` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read `{}`", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file does not parse, has an unknown key or a value of the wrong type, or names
    /// something that does not exist. `line` is 1-based (0 when unknown).
    #[error("`{}` line {line}: {message}", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    policies: Option<Spanned<Vec<Spanned<String>>>>,
}

impl WorkspaceConfig {
    /// Read the settings at `path`; `Ok(None)` when there is no such file.
    pub fn load(path: &Path) -> Result<Option<WorkspaceConfig>, ConfigError> {
        let io = |source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = match std::fs::File::open(path) {
            Ok(file) => file,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(io(error)),
        };
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(
            &mut std::io::Read::take(file, MAX_CONFIG_BYTES + 1),
            &mut bytes,
        )
        .map_err(io)?;
        let invalid = |line: usize, message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            line,
            message,
        };
        if bytes.len() as u64 > MAX_CONFIG_BYTES {
            return Err(invalid(
                0,
                format!("the file is larger than {MAX_CONFIG_BYTES} bytes"),
            ));
        }
        let text = String::from_utf8(bytes).map_err(|_| invalid(0, "not UTF-8 text".into()))?;
        WorkspaceConfig::parse(&text, path).map(Some)
    }

    /// Parse the settings text of the file at `path` (for messages).
    pub fn parse(text: &str, path: &Path) -> Result<WorkspaceConfig, ConfigError> {
        let invalid = |line: usize, message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            line,
            message,
        };
        // A file of comments only is an empty configuration.
        let blank = text
            .lines()
            .all(|line| line.trim().is_empty() || line.trim_start().starts_with('#'));
        if blank {
            return Ok(WorkspaceConfig {
                path: path.to_path_buf(),
                policies: None,
            });
        }
        let raw: RawConfig = serde_saphyr::from_str(text).map_err(|error| {
            let line = error.location().map(|l| l.line() as usize).unwrap_or(0);
            let mut message = yaml_message(&error);
            if message.contains("unknown field") {
                message.push_str(" (the one key is `policies`, a list of policy pack names)");
            }
            invalid(line, message)
        })?;
        let policies = match raw.policies {
            None => None,
            Some(list) => {
                let mut names: Vec<(String, usize)> = Vec::new();
                for name in list.value {
                    let line = name.referenced.line() as usize;
                    let text = name.value.trim().to_string();
                    if text.is_empty() || text.contains(char::is_whitespace) {
                        return Err(invalid(
                            line,
                            format!("`policies`: `{text}` is not a policy pack name (one word)"),
                        ));
                    }
                    if let Some((_, first)) = names.iter().find(|(seen, _)| *seen == text) {
                        return Err(invalid(
                            line,
                            format!("`policies`: `{text}` is already listed on line {first}"),
                        ));
                    }
                    names.push((text, line));
                }
                Some(names)
            }
        };
        Ok(WorkspaceConfig {
            path: path.to_path_buf(),
            policies,
        })
    }
}

impl Workspace {
    /// Where the workspace's settings live: `mindelta.yaml` at the root, `debian/mindelta.yaml`
    /// in a Debian source package.
    pub fn config_path(&self) -> PathBuf {
        match self.kind {
            super::WorkspaceKind::Debian => self.root.join("debian").join(CONFIG_FILE),
            _ => self.root.join(CONFIG_FILE),
        }
    }

    /// The workspace's settings, `None` when it has no `mindelta.yaml`.
    pub fn config(&self) -> Result<Option<WorkspaceConfig>, ConfigError> {
        WorkspaceConfig::load(&self.config_path())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<WorkspaceConfig, ConfigError> {
        WorkspaceConfig::parse(text, Path::new("mindelta.yaml"))
    }

    #[test]
    fn reads_the_policies_list_with_lines() {
        let config = parse("# packs\npolicies:\n  - delta\n  - dep3\n").unwrap();
        assert_eq!(
            config.policies,
            Some(vec![("delta".into(), 3), ("dep3".into(), 4)])
        );
        assert_eq!(parse("policies: []\n").unwrap().policies, Some(vec![]));
        assert_eq!(parse("# nothing yet\n\n").unwrap().policies, None);
    }

    #[test]
    fn refuses_unknown_keys_wrong_types_and_repeats() {
        let error = parse("policy: [dep3]\n").unwrap_err().to_string();
        assert!(
            error.contains("line 1") && error.contains("policy"),
            "{error}"
        );
        let error = parse("policies: dep3\n").unwrap_err().to_string();
        assert!(error.contains("line 1"), "{error}");
        let error = parse("policies:\n  - dep3\n  - dep3\n")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("line 3") && error.contains("line 2"),
            "{error}"
        );
        let error = parse("policies:\n  - [a]\n").unwrap_err().to_string();
        assert!(error.contains("line 2"), "{error}");
    }
}

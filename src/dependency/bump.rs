//! melange's `go/bump` pipeline step: `deps` (`golang.org/x/net@v0.33.0 …`, whitespace
//! separated) raises modules, `replaces` (`old=new@version …`) adds `replace` directives.
//! Judged like a go.mod patch: each module's effective version in R's go.mod, after R's own
//! `replace` directives, must be at or above the step's.

use super::DependencyOptions;
use super::judge::{Judged, Judgement, go_outcome};
use super::model::{Declaration, Ecosystem, Outcome, Requirement};
use super::reader::go;
use super::version::{self, Comparison};
use std::collections::HashMap;
use thiserror::Error;

/// A `go/bump` step that does not parse.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum BumpError {
    /// A `deps` item is not `module@version`.
    #[error("`go/bump` deps item `{item}` is not `module@version`")]
    Dependency { item: String },
    /// A `replaces` item is not `old=new@version`.
    #[error("`go/bump` replaces item `{item}` is not `old=new@version`")]
    Replace { item: String },
}

/// One module the step sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BumpedModule {
    /// The module the step raises (for a replace: the old path).
    pub module: String,
    pub version: String,
    /// For a `replaces` item: the module it points the old one at.
    pub replaced_by: Option<String>,
}

/// Parse a step's `deps` and `replaces`.
pub fn parse(deps: &str, replaces: &str) -> Result<Vec<BumpedModule>, BumpError> {
    let mut modules = Vec::new();
    for item in deps.split_whitespace() {
        let (module, version) = item
            .rsplit_once('@')
            .filter(|(m, v)| !m.is_empty() && !v.is_empty())
            .ok_or_else(|| BumpError::Dependency {
                item: item.to_string(),
            })?;
        modules.push(BumpedModule {
            module: module.to_string(),
            version: version.to_string(),
            replaced_by: None,
        });
    }
    for item in replaces.split_whitespace() {
        let parsed = item.split_once('=').and_then(|(old, new)| {
            let (new, version) = new.rsplit_once('@')?;
            (!old.is_empty() && !new.is_empty() && !version.is_empty())
                .then_some((old, new, version))
        });
        let (old, new, version) = parsed.ok_or_else(|| BumpError::Replace {
            item: item.to_string(),
        })?;
        let replaced_by = (old != new).then(|| new.to_string());
        modules.push(BumpedModule {
            module: old.to_string(),
            version: version.to_string(),
            replaced_by,
        });
    }
    Ok(modules)
}

/// Judge a `go/bump` step against R's go.mod (`go_mod`, at tree path `file`).
pub fn judge_bump(
    deps: &str,
    replaces: &str,
    file: &str,
    go_mod: &[u8],
    options: &DependencyOptions,
) -> Result<Judgement, BumpError> {
    let modules = parse(deps, replaces)?;
    let declared = match super::reader::read(super::ManifestKind::GoMod, file, go_mod, options) {
        Ok(list) => Ok(list),
        Err(error) => Err(error.to_string()),
    };
    // R's declarations by module, so a long step stays linear.
    let mut by_module: HashMap<&str, Vec<Requirement>> = HashMap::new();
    if let Ok(list) = &declared {
        for requirement in list {
            by_module
                .entry(requirement.name.as_str())
                .or_default()
                .push(requirement.clone());
        }
    }
    let mut dependencies = Vec::new();
    for (index, bumped) in modules.iter().enumerate() {
        let module = by_module
            .get(bumped.module.as_str())
            .map_or(&[][..], Vec::as_slice);
        let outcome = match &declared {
            Err(message) => Outcome::Unreadable {
                file: file.to_string(),
                message: message.clone(),
            },
            Ok(_) => match &bumped.replaced_by {
                None => go_outcome(&bumped.module, &bumped.version, file, module, options),
                Some(target) => replace_outcome(bumped, target, file, module, options),
            },
        };
        dependencies.push(Judged {
            change: index,
            name: bumped.module.clone(),
            outcome,
        });
    }
    let outcomes: Vec<&Outcome> = dependencies.iter().map(|j| &j.outcome).collect();
    let verdict = Judgement::verdict_of(&outcomes);
    Ok(Judgement {
        dependencies,
        verdict,
    })
}

/// A step that points `old` at another module: superseded when R points it at the same module
/// at an equal or newer version; when R no longer requires `old` at all, not found.
fn replace_outcome(
    bumped: &BumpedModule,
    target: &str,
    file: &str,
    declared: &[Requirement],
    options: &DependencyOptions,
) -> Outcome {
    let patch = format!("{target}@{}", bumped.version);
    match go::effective(declared, &bumped.module) {
        Some(go::Effective::Redirected { to, requirement }) if to == target => {
            let release = Declaration {
                version: requirement.version.clone(),
                file: requirement.file.clone(),
                line: requirement.line,
            };
            match version::compare(
                Ecosystem::Go,
                &bumped.version,
                &requirement.version,
                options.max_version_bytes,
            ) {
                Comparison::AtLeast { equal } => Outcome::Superseded {
                    patch: bumped.version.clone(),
                    release,
                    equal,
                },
                Comparison::Below => Outcome::Older {
                    patch: bumped.version.clone(),
                    release,
                },
                Comparison::Unordered { reason } => Outcome::Unordered {
                    patch: bumped.version.clone(),
                    release,
                    reason,
                },
            }
        }
        Some(go::Effective::Redirected { to, requirement }) => Outcome::Replaced {
            patch,
            by: format!("{to}@{}", requirement.version),
            release: Some(Declaration {
                version: requirement.version.clone(),
                file: requirement.file.clone(),
                line: requirement.line,
            }),
        },
        Some(go::Effective::Version(requirement)) => Outcome::Older {
            patch,
            release: Declaration {
                version: requirement.version.clone(),
                file: requirement.file.clone(),
                line: requirement.line,
            },
        },
        None => Outcome::NotFound {
            patch,
            file: file.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dependency::judge::DependencyVerdict;

    const R_GO_MOD: &str = "module example.com/svc\n\ngo 1.22.0\n\nrequire (\n\tgithub.com/go-jose/go-jose/v3 v3.0.3\n\tgolang.org/x/crypto v0.21.0\n\tgolang.org/x/net v0.33.0\n\tgoogle.golang.org/protobuf v1.33.0\n)\n\nreplace golang.org/x/crypto => golang.org/x/crypto v0.31.0\n\nreplace github.com/docker/docker => github.com/moby/moby v26.1.5+incompatible\n";

    fn judge(deps: &str, replaces: &str) -> Judgement {
        judge_bump(
            deps,
            replaces,
            "go.mod",
            R_GO_MOD.as_bytes(),
            &DependencyOptions::default(),
        )
        .unwrap()
    }

    #[test]
    fn every_dependency_at_or_above_expires_the_step() {
        // crypto: R requires v0.21.0 but replaces it with v0.31.0, which is what counts.
        let judgement = judge(
            "golang.org/x/net@v0.33.0 golang.org/x/crypto@v0.31.0 github.com/go-jose/go-jose/v3@v3.0.1",
            "",
        );
        assert_eq!(judgement.verdict, DependencyVerdict::Expired);
        match &judgement.dependencies[1].outcome {
            Outcome::Superseded {
                release,
                equal: true,
                ..
            } => assert_eq!((release.version.as_str(), release.line), ("v0.31.0", 12)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn older_missing_and_redirected() {
        let judgement = judge(
            "golang.org/x/net@v0.34.0 google.golang.org/protobuf@v1.33.0",
            "",
        );
        assert_eq!(judgement.verdict, DependencyVerdict::Partial);
        assert!(matches!(
            judgement.dependencies[0].outcome,
            Outcome::Older { .. }
        ));
        let judgement = judge("golang.org/x/text@v0.14.0", "");
        assert_eq!(judgement.verdict, DependencyVerdict::NotFound);
        let judgement = judge(
            "",
            "github.com/docker/docker=github.com/moby/moby@v26.0.0+incompatible",
        );
        assert_eq!(judgement.verdict, DependencyVerdict::Expired);
        let judgement = judge(
            "",
            "github.com/docker/docker=github.com/moby/moby@v27.1.0+incompatible",
        );
        assert_eq!(judgement.verdict, DependencyVerdict::Needed);
        let judgement = judge("github.com/docker/docker@v26.1.5+incompatible", "");
        assert!(matches!(
            judgement.dependencies[0].outcome,
            Outcome::Replaced { .. }
        ));
        assert_eq!(judgement.verdict, DependencyVerdict::NotFound);
    }

    #[test]
    fn malformed_steps_are_errors() {
        assert_eq!(
            parse("golang.org/x/net", ""),
            Err(BumpError::Dependency {
                item: "golang.org/x/net".into()
            })
        );
        assert_eq!(
            parse("", "a=b"),
            Err(BumpError::Replace { item: "a=b".into() })
        );
        let modules = parse(
            "golang.org/x/net@v0.33.0\n  golang.org/x/crypto@v0.31.0",
            "a=a@v1.0.0",
        )
        .unwrap();
        assert_eq!(modules.len(), 3);
        assert_eq!(modules[2].replaced_by, None);
    }
}

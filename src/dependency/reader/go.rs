//! go.mod and go.sum. go.mod is line-oriented (`golang.org/x/mod/modfile`'s grammar):
//! directives `require`, `replace`, `go`, `toolchain` (and others this reader skips), each
//! single-line or as a `( … )` block, `//` comments, tokens optionally quoted. go.sum is only
//! a lock file: its lines (`module version[/go.mod] h1:hash`) ride with the go.mod change they
//! follow and are never judged on their own.

use super::{Declared, LineRole};
use crate::dependency::model::{Requirement, Section};

/// Which block a line is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    None,
    Require,
    Replace,
    /// `exclude`, `retract`, `tool`, `godebug`, `ignore`: not requirements.
    Other,
}

fn block_of(verb: &str) -> Block {
    match verb {
        "require" => Block::Require,
        "replace" => Block::Replace,
        _ => Block::Other,
    }
}

/// The line without its `//` comment, and whether the comment says `indirect`.
fn strip_comment(line: &str) -> (&str, bool) {
    match line.find("//") {
        Some(at) => (
            line[..at].trim(),
            line[at + 2..].trim().starts_with("indirect"),
        ),
        None => (line.trim(), false),
    }
}

fn unquote(token: &str) -> &str {
    token.trim_matches(|c| c == '"' || c == '`')
}

/// A `require` entry: `path version`.
fn require_entry(rest: &str) -> Option<Declared> {
    let tokens: Vec<&str> = rest.split_whitespace().collect();
    match tokens.as_slice() {
        [path, version] => Some(Declared::new(
            unquote(path),
            unquote(version),
            Section::Dependencies,
        )),
        _ => None,
    }
}

/// A `replace` entry: `old [version] => new [version]`. The requirement is named after the
/// old module; its version is the new one (empty for a local folder).
fn replace_entry(rest: &str) -> Option<Declared> {
    let (left, right) = rest.split_once("=>")?;
    let left: Vec<&str> = left.split_whitespace().map(unquote).collect();
    let right: Vec<&str> = right.split_whitespace().map(unquote).collect();
    let (old, old_version) = match left.as_slice() {
        [old] => (*old, None),
        [old, version] => (*old, Some(*version)),
        _ => return None,
    };
    let (new, new_version) = match right.as_slice() {
        [new] => (*new, ""),
        [new, version] => (*new, *version),
        _ => return None,
    };
    let mut declared = Declared::new(old, new_version, Section::Replace);
    declared.qualifier = old_version.map(str::to_string);
    if new != old {
        declared.replaced_by = Some(new.to_string());
    }
    Some(declared)
}

/// What one go.mod line declares, given the block it is in; `Err(block)` for a line that
/// opens or closes a block.
fn parse_line(line: &str, block: Block) -> Result<LineRole, Block> {
    let (code, _indirect) = strip_comment(line);
    if code.is_empty() {
        return Ok(LineRole::Neutral);
    }
    if code == ")" {
        return Err(Block::None);
    }
    let (verb, rest) = code.split_once(char::is_whitespace).unwrap_or((code, ""));
    let rest = rest.trim();
    let directive = matches!(
        verb,
        "module"
            | "go"
            | "toolchain"
            | "require"
            | "replace"
            | "exclude"
            | "retract"
            | "tool"
            | "godebug"
            | "ignore"
    );
    if directive && rest == "(" {
        return Err(block_of(verb));
    }
    let entry = |block: Block, rest: &str| -> LineRole {
        let declared = match block {
            Block::Require => require_entry(rest),
            Block::Replace => replace_entry(rest),
            _ => None,
        };
        declared.map_or(LineRole::Other, LineRole::Requirement)
    };
    if directive {
        return Ok(match verb {
            "go" => LineRole::Requirement(Declared::new("go", rest, Section::Toolchain)),
            "toolchain" => {
                LineRole::Requirement(Declared::new("toolchain", rest, Section::Toolchain))
            }
            "require" | "replace" => entry(block_of(verb), rest),
            _ => LineRole::Other,
        });
    }
    Ok(match block {
        Block::Require | Block::Replace => entry(block, code),
        Block::Other => LineRole::Other,
        // A hunk that starts inside a block whose opener it does not show: `=>` says replace,
        // two tokens say require.
        Block::None if code.contains("=>") => entry(Block::Replace, code),
        Block::None => entry(Block::Require, code),
    })
}

/// Every requirement, replacement and toolchain directive of a go.mod.
pub fn read_go_mod(file: &str, text: &str) -> Vec<Requirement> {
    let mut block = Block::None;
    let mut requirements = Vec::new();
    for (index, line) in text.lines().enumerate() {
        match parse_line(line, block) {
            Err(next) => block = next,
            Ok(LineRole::Requirement(declared)) => requirements.push(declared.at(file, index + 1)),
            Ok(_) => {}
        }
    }
    requirements.retain(|r| !r.name.is_empty());
    requirements
}

/// Classify a go.mod hunk side; `heading` (git's hunk heading, such as `require (`) gives the
/// block the hunk starts in.
pub fn classify_go_mod(lines: &[&str], heading: &str) -> Vec<LineRole> {
    let heading = heading.trim();
    let mut block = match heading.split_whitespace().collect::<Vec<_>>().as_slice() {
        [verb, "("] => block_of(verb),
        _ => Block::None,
    };
    lines
        .iter()
        .map(|line| match parse_line(line, block) {
            Err(next) => {
                block = next;
                LineRole::Neutral
            }
            Ok(role) => role,
        })
        .collect()
}

/// Classify a go.sum hunk side: every well-formed line is a lock line of its module.
pub fn classify_go_sum(lines: &[&str]) -> Vec<LineRole> {
    lines
        .iter()
        .map(|line| {
            let tokens: Vec<&str> = line.split_whitespace().collect();
            match tokens.as_slice() {
                [] => LineRole::Neutral,
                [module, _version, hash] if hash.starts_with("h1:") => LineRole::Lock {
                    entry: Some(module.to_string()),
                },
                _ => LineRole::Other,
            }
        })
        .collect()
}

/// The module's effective version in a go.mod after its own `replace` directives, as the go
/// command resolves it: a `replace` of the same path with a version wins (a versioned
/// `replace` only when the required version matches), a `replace` to another module or a
/// folder redirects it.
pub fn effective(requirements: &[Requirement], module: &str) -> Option<Effective> {
    let required = requirements
        .iter()
        .find(|r| r.section == Section::Dependencies && r.name == module);
    let replace = requirements.iter().rev().find(|r| {
        r.section == Section::Replace
            && r.name == module
            && match (&r.qualifier, required) {
                (Some(old), Some(req)) => *old == req.version,
                (Some(_), None) => false,
                (None, _) => true,
            }
    });
    match (replace, required) {
        (Some(replace), _) => Some(match &replace.replaced_by {
            None => Effective::Version(replace.clone()),
            Some(target) => Effective::Redirected {
                to: target.clone(),
                requirement: replace.clone(),
            },
        }),
        (None, Some(required)) => Some(Effective::Version(required.clone())),
        (None, None) => None,
    }
}

/// A module's version after `replace`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effective {
    /// The module at this requirement's version (a `require`, or a same-path `replace`).
    Version(Requirement),
    /// Replaced by another module or a local folder.
    Redirected {
        to: String,
        requirement: Requirement,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Modelled on Kubernetes' go.mod: blocks, indirect requirements, pseudo-versions,
    /// `+incompatible`, and a replace block pinning staging modules to local folders.
    pub(crate) const KUBERNETES_GO_MOD: &str = r#"// This is a generated file. Do not edit directly.

module k8s.io/kubernetes

go 1.22.0

godebug default=go1.22

require (
	github.com/Azure/go-ansiterm v0.0.0-20230124172434-306776ec8161
	github.com/blang/semver/v4 v4.0.0
	github.com/docker/docker v20.10.27+incompatible
	github.com/google/cel-go v0.17.8
	golang.org/x/net v0.23.0
	google.golang.org/grpc v1.58.3
	k8s.io/api v0.0.0
	k8s.io/utils v0.0.0-20230726121419-3b25d923346b
)

require (
	github.com/go-logr/logr v1.4.1 // indirect
	golang.org/x/crypto v0.21.0 // indirect
	"gopkg.in/yaml.v3" v3.0.1 // indirect
)

replace (
	k8s.io/api => ./staging/src/k8s.io/api
	golang.org/x/crypto => golang.org/x/crypto v0.31.0
	github.com/google/cel-go v0.17.8 => github.com/google/cel-go v0.17.7
)

replace github.com/docker/docker => github.com/moby/moby v26.1.5+incompatible

exclude github.com/google/cel-go v0.17.6
"#;

    #[test]
    fn reads_a_kubernetes_go_mod() {
        let requirements = read_go_mod("go.mod", KUBERNETES_GO_MOD);
        let find = |name: &str, section: Section| {
            requirements
                .iter()
                .find(|r| r.name == name && r.section == section)
                .unwrap_or_else(|| panic!("{name}"))
        };
        assert_eq!(find("go", Section::Toolchain).version, "1.22.0");
        let net = find("golang.org/x/net", Section::Dependencies);
        assert_eq!((net.version.as_str(), net.line), ("v0.23.0", 14));
        assert_eq!(
            find("gopkg.in/yaml.v3", Section::Dependencies).version,
            "v3.0.1"
        );
        assert_eq!(
            find("github.com/docker/docker", Section::Dependencies).version,
            "v20.10.27+incompatible"
        );
        let api = find("k8s.io/api", Section::Replace);
        assert_eq!(api.replaced_by.as_deref(), Some("./staging/src/k8s.io/api"));
        // The exclude line is not a requirement.
        assert_eq!(
            requirements
                .iter()
                .filter(|r| r.name == "github.com/google/cel-go")
                .count(),
            2
        );

        match effective(&requirements, "golang.org/x/crypto").unwrap() {
            Effective::Version(r) => assert_eq!((r.version.as_str(), r.line), ("v0.31.0", 28)),
            other => panic!("{other:?}"),
        }
        match effective(&requirements, "github.com/google/cel-go").unwrap() {
            Effective::Version(r) => assert_eq!(r.version, "v0.17.7"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            effective(&requirements, "k8s.io/api"),
            Some(Effective::Redirected { .. })
        ));
        assert!(matches!(
            effective(&requirements, "github.com/docker/docker"),
            Some(Effective::Redirected { to, .. }) if to == "github.com/moby/moby"
        ));
        match effective(&requirements, "golang.org/x/net").unwrap() {
            Effective::Version(r) => assert_eq!(r.version, "v0.23.0"),
            other => panic!("{other:?}"),
        }
        assert!(effective(&requirements, "golang.org/x/text").is_none());
    }

    #[test]
    fn classifies_hunk_lines() {
        let lines = [
            "\tgithub.com/google/cel-go v0.17.8",
            "\tgolang.org/x/net v0.33.0",
            ")",
            "",
            "module x",
        ];
        let roles = classify_go_mod(&lines, "require (");
        assert!(
            matches!(&roles[1], LineRole::Requirement(d) if d.name == "golang.org/x/net" && d.version == "v0.33.0")
        );
        assert_eq!(roles[2], LineRole::Neutral);
        assert_eq!(roles[4], LineRole::Other);
        let roles = classify_go_mod(
            &["\tgolang.org/x/crypto => golang.org/x/crypto v0.31.0"],
            "",
        );
        assert!(
            matches!(&roles[0], LineRole::Requirement(d) if d.section == Section::Replace && d.replaced_by.is_none())
        );
        let roles = classify_go_sum(&[
            "golang.org/x/net v0.33.0 h1:abc=",
            "golang.org/x/net v0.33.0/go.mod h1:def=",
        ]);
        assert!(
            roles
                .iter()
                .all(|r| matches!(r, LineRole::Lock { entry: Some(e) } if e == "golang.org/x/net"))
        );
    }
}

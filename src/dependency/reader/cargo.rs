//! Cargo: `Cargo.toml` (`[dependencies]`, `[dev-dependencies]`, `[build-dependencies]`, their
//! `[target.'…'.*]` forms, `[workspace.dependencies]`, `[patch.<registry>]`), and the TOML
//! lock files that share one shape, a `[[package]]` array of `name`/`version` tables:
//! `Cargo.lock`, `uv.lock` and `poetry.lock` (their patch-side classifier is here too).

use super::toml_file::{self, header, inline_field, key_value, string_value};
use super::{Declared, LineRole, ManifestError};
use crate::dependency::DependencyOptions;
use crate::dependency::model::{ManifestKind, Requirement, Section};
use toml::de::{DeTable, DeValue};

fn section_of(key: &str) -> Option<Section> {
    Some(match key {
        "dependencies" => Section::Dependencies,
        "dev-dependencies" | "dev_dependencies" => Section::DevDependencies,
        "build-dependencies" | "build_dependencies" => Section::BuildDependencies,
        _ => return None,
    })
}

/// One dependency entry (`name = "1.2"` or `name = { version = …, package = … }`).
fn entry(
    file: &str,
    text: &str,
    key: &str,
    value: &toml::Spanned<DeValue<'_>>,
    section: Section,
    qualifier: Option<&str>,
) -> Option<Requirement> {
    let (version, line, mut declared) = match value.get_ref() {
        DeValue::String(version) => (
            version.to_string(),
            toml_file::line(text, value),
            Declared::new(key, "", section),
        ),
        DeValue::Table(table) => {
            let (version, line) = toml_file::string_at(text, table, "version")?;
            let name = toml_file::string_at(text, table, "package").map_or(key, |(p, _)| p);
            let mut declared = Declared::new(name, "", section);
            declared.replaced_by = ["git", "path"]
                .iter()
                .find_map(|k| toml_file::string_at(text, table, k))
                .map(|(target, _)| target.to_string());
            (version.to_string(), line, declared)
        }
        _ => return None,
    };
    declared.version = version;
    declared.qualifier = qualifier.map(str::to_string);
    Some(declared.at(file, line))
}

fn read_dependency_tables(file: &str, text: &str, table: &DeTable<'_>, out: &mut Vec<Requirement>) {
    for (key, value) in table.iter() {
        if let (Some(section), Some(dependencies)) =
            (section_of(key.get_ref()), value.get_ref().as_table())
        {
            for (name, value) in dependencies.iter() {
                out.extend(entry(file, text, name.get_ref(), value, section, None));
            }
        }
    }
}

/// Every requirement of a Cargo.toml.
pub fn read_cargo_toml(
    file: &str,
    text: &str,
    options: &DependencyOptions,
) -> Result<Vec<Requirement>, ManifestError> {
    let document = toml_file::parse(file, text, options)?;
    let root = document.get_ref();
    let mut out = Vec::new();
    read_dependency_tables(file, text, root, &mut out);
    if let Some(targets) = toml_file::table(root, "target") {
        for (_, target) in targets.iter() {
            if let Some(target) = target.get_ref().as_table() {
                read_dependency_tables(file, text, target, &mut out);
            }
        }
    }
    if let Some(dependencies) =
        toml_file::table(root, "workspace").and_then(|w| toml_file::table(w, "dependencies"))
    {
        for (name, value) in dependencies.iter() {
            out.extend(entry(
                file,
                text,
                name.get_ref(),
                value,
                Section::Workspace,
                None,
            ));
        }
    }
    if let Some(patches) = toml_file::table(root, "patch") {
        for (registry, table) in patches.iter() {
            if let Some(table) = table.get_ref().as_table() {
                for (name, value) in table.iter() {
                    out.extend(entry(
                        file,
                        text,
                        name.get_ref(),
                        value,
                        Section::Replace,
                        Some(registry.get_ref()),
                    ));
                }
            }
        }
    }
    Ok(out)
}

/// Every locked package of a TOML lock file (`[[package]]` with `name` and `version`);
/// `normalize` applies PEP 503 to names (uv.lock, poetry.lock).
pub fn read_toml_lock(
    file: &str,
    text: &str,
    options: &DependencyOptions,
    normalize: bool,
) -> Result<Vec<Requirement>, ManifestError> {
    let document = toml_file::parse(file, text, options)?;
    let mut out = Vec::new();
    let Some(packages) =
        toml_file::get(document.get_ref(), "package").and_then(|p| p.get_ref().as_array())
    else {
        return Ok(out);
    };
    for package in packages.iter() {
        let Some(table) = package.get_ref().as_table() else {
            continue;
        };
        let (Some((name, _)), Some((version, line))) = (
            toml_file::string_at(text, table, "name"),
            toml_file::string_at(text, table, "version"),
        ) else {
            continue;
        };
        let name = if normalize {
            crate::dependency::version::python::normalize_name(name)
        } else {
            name.to_string()
        };
        out.push(Declared::new(name, version, Section::Lock).at(file, line));
    }
    Ok(out)
}

/// Every locked package of a Cargo.lock.
pub fn read_cargo_lock(
    file: &str,
    text: &str,
    options: &DependencyOptions,
) -> Result<Vec<Requirement>, ManifestError> {
    read_toml_lock(file, text, options, false)
}

/// Keys of `[package]`/`[workspace.package]` whose string values parse as version
/// requirements but are not dependencies.
const PACKAGE_KEYS: [&str; 8] = [
    "version",
    "edition",
    "rust-version",
    "name",
    "resolver",
    "license",
    "build",
    "links",
];

/// Which table a Cargo.toml line is in, from the headers the hunk shows.
#[derive(Debug, Clone, PartialEq)]
enum Table {
    Unknown,
    /// A dependency table (`[dependencies]`, `[workspace.dependencies]`, `[patch.x]`).
    Dependencies(Section, Option<String>),
    /// One dependency as a table (`[dependencies.serde]`).
    Dependency(String, Section),
    Other,
}

fn table_of(keys: &[String]) -> Table {
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let keys = match keys.as_slice() {
        ["target", _, rest @ ..] => rest,
        other => other,
    };
    match keys {
        [section] if section_of(section).is_some() => {
            Table::Dependencies(section_of(section).unwrap_or(Section::Dependencies), None)
        }
        ["workspace", "dependencies"] => Table::Dependencies(Section::Workspace, None),
        ["patch", registry] => Table::Dependencies(Section::Replace, Some(registry.to_string())),
        [section, name] if section_of(section).is_some() => Table::Dependency(
            name.to_string(),
            section_of(section).unwrap_or(Section::Dependencies),
        ),
        ["workspace", "dependencies", name] => {
            Table::Dependency(name.to_string(), Section::Workspace)
        }
        _ => Table::Other,
    }
}

/// Classify a Cargo.toml hunk side.
pub fn classify_cargo_toml(lines: &[&str], heading: &str) -> Vec<LineRole> {
    let mut table = header(heading).map_or(Table::Unknown, |keys| table_of(&keys));
    lines
        .iter()
        .map(|line| {
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                return LineRole::Neutral;
            }
            if let Some(keys) = trimmed.starts_with('[').then(|| header(trimmed)).flatten() {
                table = table_of(&keys);
                return LineRole::Neutral;
            }
            let Some((key, value)) = key_value(trimmed) else {
                return LineRole::Other;
            };
            let version = string_value(value).or_else(|| inline_field(value, "version"));
            match (&table, version) {
                (Table::Dependencies(section, qualifier), Some(version)) => {
                    let name = inline_field(value, "package").unwrap_or(&key);
                    let mut declared = Declared::new(name, version, *section);
                    declared.qualifier = qualifier.clone();
                    LineRole::Requirement(declared)
                }
                (Table::Dependency(name, section), Some(version)) if key == "version" => {
                    LineRole::Requirement(Declared::new(name.as_str(), version, *section))
                }
                (Table::Unknown, Some(version))
                    if !PACKAGE_KEYS.contains(&key.as_str())
                        && semver::VersionReq::parse(version).is_ok() =>
                {
                    LineRole::Requirement(Declared::new(
                        inline_field(value, "package").unwrap_or(&key),
                        version,
                        Section::Unknown,
                    ))
                }
                _ => LineRole::Other,
            }
        })
        .collect()
}

/// Classify a hunk side of a TOML lock file (Cargo.lock, uv.lock, poetry.lock): a package's
/// `version` line (with its `name` above it in the hunk) is a locked version; every other line
/// belongs to the lock.
pub fn classify_toml_lock(kind: ManifestKind, lines: &[&str]) -> Vec<LineRole> {
    let normalize = kind != ManifestKind::CargoLock;
    let mut entry: Option<String> = None;
    // A hunk may start inside a package table whose `[[package]]` line it does not show.
    let mut in_package = true;
    lines
        .iter()
        .map(|line| {
            let trimmed = line.trim();
            if trimmed.is_empty() {
                return LineRole::Neutral;
            }
            if let Some(keys) = trimmed.starts_with('[').then(|| header(trimmed)).flatten() {
                in_package = trimmed.starts_with("[[") && keys == ["package"];
                if in_package {
                    entry = None;
                }
                return LineRole::Lock {
                    entry: entry.clone(),
                };
            }
            if in_package && !line.starts_with([' ', '\t']) {
                match key_value(trimmed) {
                    Some((key, value)) if key == "name" => {
                        entry = string_value(value).map(|name| {
                            if normalize {
                                crate::dependency::version::python::normalize_name(name)
                            } else {
                                name.to_string()
                            }
                        });
                    }
                    Some((key, value)) if key == "version" => {
                        if let (Some(name), Some(version)) = (&entry, string_value(value)) {
                            return LineRole::Requirement(Declared::new(
                                name.as_str(),
                                version,
                                Section::Lock,
                            ));
                        }
                    }
                    _ => {}
                }
            }
            LineRole::Lock {
                entry: entry.clone(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Modelled on a workspace root like ripgrep's or tokio's, with a `[patch.crates-io]`
    /// carrying a fork and a renamed dependency.
    pub(crate) const CARGO_TOML: &str = r#"[package]
name = "tool"
version = "0.3.0"
edition = "2021"

[workspace]
members = ["crates/*"]

[workspace.dependencies]
serde = { version = "1.0.190", features = ["derive"] }

[dependencies]
regex = "1.10.2"
h2 = { version = "0.3.24", default-features = false }
rustls-old = { package = "rustls", version = "0.21.10" }
local = { path = "crates/local" }
shared = { workspace = true }

[dependencies.tokio]
version = "1.35.0"
features = ["full"]

[dev-dependencies]
tempfile = "3.8"

[target.'cfg(unix)'.dependencies]
nix = "0.27"

[patch.crates-io]
h2 = { git = "https://github.com/hyperium/h2", rev = "abcdef1" }
mio = { version = "0.8.11", path = "vendor/mio" }
"#;

    #[test]
    fn reads_cargo_toml() {
        let requirements =
            read_cargo_toml("Cargo.toml", CARGO_TOML, &DependencyOptions::default()).unwrap();
        let get = |name: &str, section: Section| {
            requirements
                .iter()
                .find(|r| r.name == name && r.section == section)
                .unwrap_or_else(|| panic!("{name}"))
        };
        assert_eq!(
            (
                get("regex", Section::Dependencies).version.as_str(),
                get("regex", Section::Dependencies).line
            ),
            ("1.10.2", 13)
        );
        assert_eq!(get("h2", Section::Dependencies).version, "0.3.24");
        assert_eq!(get("rustls", Section::Dependencies).version, "0.21.10");
        assert_eq!(get("tokio", Section::Dependencies).line, 20);
        assert_eq!(get("tempfile", Section::DevDependencies).version, "3.8");
        assert_eq!(get("nix", Section::Dependencies).version, "0.27");
        assert_eq!(get("serde", Section::Workspace).version, "1.0.190");
        let mio = get("mio", Section::Replace);
        assert_eq!(
            (
                mio.version.as_str(),
                mio.qualifier.as_deref(),
                mio.replaced_by.as_deref()
            ),
            ("0.8.11", Some("crates-io"), Some("vendor/mio"))
        );
        // A git patch has no version: nothing to compare.
        assert!(
            !requirements
                .iter()
                .any(|r| r.name == "h2" && r.section == Section::Replace)
        );
        assert!(
            !requirements
                .iter()
                .any(|r| r.name == "local" || r.name == "shared")
        );
    }

    #[test]
    fn reads_cargo_lock() {
        let lock = "version = 3\n\n[[package]]\nname = \"h2\"\nversion = \"0.3.26\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"81fe\"\n";
        let requirements =
            read_cargo_lock("Cargo.lock", lock, &DependencyOptions::default()).unwrap();
        assert_eq!(requirements.len(), 1);
        assert_eq!(
            (
                requirements[0].name.as_str(),
                requirements[0].version.as_str(),
                requirements[0].line
            ),
            ("h2", "0.3.26", 5)
        );
    }

    #[test]
    fn classifies_cargo_lines() {
        let roles = classify_cargo_toml(
            &[
                "[dependencies]",
                "h2 = { version = \"0.3.26\", default-features = false }",
                "[features]",
                "default = \"x\"",
            ],
            "",
        );
        assert!(
            matches!(&roles[1], LineRole::Requirement(d) if d.name == "h2" && d.version == "0.3.26")
        );
        assert_eq!(roles[3], LineRole::Other);
        let roles = classify_cargo_toml(
            &["version = \"1.36.0\"", "features = [\"full\"]"],
            "[dependencies.tokio]",
        );
        assert!(matches!(&roles[0], LineRole::Requirement(d) if d.name == "tokio"));
        assert_eq!(roles[1], LineRole::Other);
        // Without a header in view, the package's own version is not a requirement.
        let roles = classify_cargo_toml(&["version = \"0.3.1\"", "regex = \"1.10.3\""], "");
        assert_eq!(roles[0], LineRole::Other);
        assert!(matches!(&roles[1], LineRole::Requirement(_)));
        let roles = classify_toml_lock(
            ManifestKind::CargoLock,
            &[
                "[[package]]",
                "name = \"h2\"",
                "version = \"0.3.26\"",
                "checksum = \"x\"",
            ],
        );
        assert!(
            matches!(&roles[2], LineRole::Requirement(d) if d.name == "h2" && d.section == Section::Lock)
        );
        assert_eq!(
            roles[3],
            LineRole::Lock {
                entry: Some("h2".into())
            }
        );
    }
}

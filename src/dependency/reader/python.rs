//! Python: `requirements*.txt` (pip's format: PEP 508 lines with extras and markers, `\`
//! continuations, `--hash` options), `pyproject.toml` (PEP 621 `[project]` dependencies and
//! optional dependencies, PEP 735 `[dependency-groups]`, `[build-system] requires`, Poetry's
//! `[tool.poetry.*dependencies]` and groups), and the lock files `uv.lock` and `poetry.lock`
//! (read as TOML `[[package]]` arrays by `cargo.rs`). Names are PEP 503-normalized.

use super::toml_file::{self, header, inline_field, key_value, string_value};
use super::{Declared, LineRole, ManifestError};
use crate::dependency::DependencyOptions;
use crate::dependency::model::{Requirement, Section};
use crate::dependency::version::python::normalize_name;
use toml::de::{DeTable, DeValue};

/// A PEP 508 requirement string: normalized name, specifier (`>=2.31,<3`, or `""`) and
/// marker. `None` for what is not one (a URL requirement `name @ url` has no version: `None`).
pub fn parse_pep508(text: &str) -> Option<Declared> {
    let text = text.trim();
    let name_end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
        .unwrap_or(text.len());
    if name_end == 0 || !text.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return None;
    }
    let name = normalize_name(&text[..name_end]);
    let mut rest = text[name_end..].trim_start();
    if let Some(after) = rest.strip_prefix('[') {
        rest = after.split_once(']')?.1.trim_start(); // extras do not change the version
    }
    let (spec, marker) = match rest.split_once(';') {
        Some((spec, marker)) => (spec.trim(), Some(marker.trim())),
        None => (rest.trim(), None),
    };
    if spec.starts_with('@') {
        return None;
    }
    let spec = spec.trim_start_matches('(').trim_end_matches(')').trim();
    if !spec.is_empty() && !spec.starts_with(['=', '<', '>', '!', '~']) {
        return None;
    }
    let spec: String = spec.split_whitespace().collect();
    let mut declared = Declared::new(name, spec, Section::Dependencies);
    declared.qualifier = marker
        .filter(|m| !m.is_empty())
        .map(|m| m.split_whitespace().collect::<Vec<_>>().join(" "));
    Some(declared)
}

/// Every requirement of a requirements file. Options (`-r`, `-c`, `--index-url`, `-e`) and
/// URL requirements are skipped; a `\` continues a line.
pub fn read_requirements(file: &str, text: &str) -> Vec<Requirement> {
    let mut out = Vec::new();
    let mut logical = String::new();
    let mut start = 0;
    for (index, line) in text.lines().enumerate() {
        if logical.is_empty() {
            start = index + 1;
        }
        let code = strip_requirement_comment(line);
        match code.strip_suffix('\\') {
            Some(head) => {
                logical.push_str(head);
                logical.push(' ');
                continue;
            }
            None => logical.push_str(code),
        }
        let line_text = std::mem::take(&mut logical);
        let requirement = line_text.split(" --").next().unwrap_or("").trim();
        if requirement.starts_with('-') {
            continue;
        }
        if let Some(declared) = parse_pep508(requirement) {
            out.push(declared.at(file, start));
        }
    }
    out
}

/// A requirements line without its comment (`#` at the start or after white space).
fn strip_requirement_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            return line[..i].trim_end();
        }
    }
    line.trim_end()
}

fn read_pep508_array(
    file: &str,
    text: &str,
    value: &toml::Spanned<DeValue<'_>>,
    section: Section,
    out: &mut Vec<Requirement>,
) {
    let Some(array) = value.get_ref().as_array() else {
        return;
    };
    for item in array.iter() {
        if let Some(mut declared) = item.get_ref().as_str().and_then(parse_pep508) {
            declared.section = section;
            out.push(declared.at(file, toml_file::line(text, item)));
        }
    }
}

fn read_poetry_table(
    file: &str,
    text: &str,
    table: &DeTable<'_>,
    section: Section,
    out: &mut Vec<Requirement>,
) {
    for (name, value) in table.iter() {
        if name.get_ref() == "python" {
            continue;
        }
        let (version, line) = match value.get_ref() {
            DeValue::String(version) => (version.to_string(), toml_file::line(text, value)),
            DeValue::Table(spec) => match toml_file::string_at(text, spec, "version") {
                Some((version, line)) => (version.to_string(), line),
                None => continue,
            },
            _ => continue,
        };
        out.push(Declared::new(normalize_name(name.get_ref()), version, section).at(file, line));
    }
}

/// Every requirement of a pyproject.toml.
pub fn read_pyproject(
    file: &str,
    text: &str,
    options: &DependencyOptions,
) -> Result<Vec<Requirement>, ManifestError> {
    let document = toml_file::parse(file, text, options)?;
    let root = document.get_ref();
    let mut out = Vec::new();
    if let Some(project) = toml_file::table(root, "project") {
        if let Some(dependencies) = toml_file::get(project, "dependencies") {
            read_pep508_array(file, text, dependencies, Section::Dependencies, &mut out);
        }
        if let Some(extras) = toml_file::table(project, "optional-dependencies") {
            for (_, list) in extras.iter() {
                read_pep508_array(file, text, list, Section::OptionalDependencies, &mut out);
            }
        }
    }
    if let Some(groups) = toml_file::table(root, "dependency-groups") {
        for (_, list) in groups.iter() {
            read_pep508_array(file, text, list, Section::DevDependencies, &mut out);
        }
    }
    if let Some(requires) =
        toml_file::table(root, "build-system").and_then(|b| toml_file::get(b, "requires"))
    {
        read_pep508_array(file, text, requires, Section::BuildDependencies, &mut out);
    }
    if let Some(poetry) = toml_file::table(root, "tool").and_then(|t| toml_file::table(t, "poetry"))
    {
        if let Some(table) = toml_file::table(poetry, "dependencies") {
            read_poetry_table(file, text, table, Section::Dependencies, &mut out);
        }
        if let Some(table) = toml_file::table(poetry, "dev-dependencies") {
            read_poetry_table(file, text, table, Section::DevDependencies, &mut out);
        }
        if let Some(groups) = toml_file::table(poetry, "group") {
            for (_, group) in groups.iter() {
                if let Some(table) = group
                    .get_ref()
                    .as_table()
                    .and_then(|g| toml_file::table(g, "dependencies"))
                {
                    read_poetry_table(file, text, table, Section::OptionalDependencies, &mut out);
                }
            }
        }
    }
    Ok(out)
}

/// Every locked package of a uv.lock or poetry.lock.
pub fn read_python_lock(
    file: &str,
    text: &str,
    options: &DependencyOptions,
) -> Result<Vec<Requirement>, ManifestError> {
    super::cargo::read_toml_lock(file, text, options, true)
}

/// Classify a requirements-file hunk side.
pub fn classify_requirements(lines: &[&str]) -> Vec<LineRole> {
    let mut last: Option<String> = None;
    let mut continued = false;
    lines
        .iter()
        .map(|line| {
            let code = strip_requirement_comment(line);
            let was_continued = continued;
            continued = code.ends_with('\\');
            let code = code.trim_end_matches('\\').trim();
            if code.is_empty() {
                return LineRole::Neutral;
            }
            if code.starts_with("--hash") || was_continued && code.starts_with("--") {
                return LineRole::Lock {
                    entry: last.clone(),
                };
            }
            if code.starts_with('-') {
                return LineRole::Other;
            }
            let requirement = code.split(" --").next().unwrap_or(code);
            match parse_pep508(requirement) {
                Some(declared) => {
                    last = Some(declared.name.clone());
                    LineRole::Requirement(declared)
                }
                None => LineRole::Other,
            }
        })
        .collect()
}

/// Where a pyproject.toml line is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Place {
    Unknown,
    /// Inside an array of PEP 508 strings.
    Array(Section),
    /// A table whose keys are requirements (`[tool.poetry.dependencies]`).
    Poetry(Section),
    /// A table that is not about dependencies (`[project]` outside its arrays, `[tool.x]`).
    Other,
}

fn place_of(keys: &[String]) -> Place {
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    match keys.as_slice() {
        ["tool", "poetry", "dependencies"] => Place::Poetry(Section::Dependencies),
        ["tool", "poetry", "dev-dependencies"] => Place::Poetry(Section::DevDependencies),
        ["tool", "poetry", "group", _, "dependencies"] => {
            Place::Poetry(Section::OptionalDependencies)
        }
        ["project", "optional-dependencies"] | ["dependency-groups"] => {
            Place::Array(Section::OptionalDependencies)
        }
        _ => Place::Other,
    }
}

/// The PEP 508 strings of one array line (`"a>=1",` or `dependencies = ["a>=1", "b==2"]`).
fn array_strings(text: &str) -> Option<Vec<Declared>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some((inner, after)) = super::quoted(rest, '"').or_else(|| super::quoted(rest, '\''))
    {
        out.push(parse_pep508(inner)?);
        rest = after;
    }
    let leftover: String = rest
        .chars()
        .filter(|c| !matches!(c, ',' | ']' | '[' | ' ' | '\t'))
        .collect();
    (!out.is_empty() && (leftover.is_empty() || leftover.starts_with('#'))).then_some(out)
}

/// Classify a pyproject.toml hunk side.
pub fn classify_pyproject(lines: &[&str], heading: &str) -> Vec<LineRole> {
    let mut table: Vec<String> = header(heading).unwrap_or_default();
    let mut place = if table.is_empty() {
        Place::Unknown
    } else {
        place_of(&table)
    };
    let mut array: Option<Section> = None;
    lines
        .iter()
        .map(|line| {
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                return LineRole::Neutral;
            }
            if array.is_none()
                && trimmed.starts_with('[')
                && let Some(keys) = header(trimmed)
            {
                table = keys;
                place = place_of(&table);
                return LineRole::Neutral;
            }
            if let Some(section) = array {
                if trimmed.starts_with(']') {
                    array = None;
                    return LineRole::Neutral;
                }
                return match array_strings(trimmed) {
                    Some(mut list) => {
                        for declared in &mut list {
                            declared.section = section;
                        }
                        if trimmed.ends_with(']') {
                            array = None;
                        }
                        if list.len() == 1 {
                            LineRole::Requirement(list.remove(0))
                        } else {
                            LineRole::Several(list)
                        }
                    }
                    None => LineRole::Other,
                };
            }
            if let Some((key, value)) = key_value(trimmed) {
                let keys: Vec<&str> = table.iter().map(String::as_str).collect();
                let array_section = match (keys.as_slice(), key.as_str(), place) {
                    (["project"], "dependencies", _) => Some(Section::Dependencies),
                    (["build-system"], "requires", _) => Some(Section::BuildDependencies),
                    (_, _, Place::Array(section)) => Some(section),
                    _ => None,
                };
                if let Some(section) = array_section.filter(|_| value.starts_with('[')) {
                    if value.ends_with(']') {
                        let inner = &value[1..];
                        return match array_strings(inner) {
                            Some(mut list) => {
                                for declared in &mut list {
                                    declared.section = section;
                                }
                                if list.len() == 1 {
                                    LineRole::Requirement(list.remove(0))
                                } else {
                                    LineRole::Several(list)
                                }
                            }
                            None if inner.trim() == "]" => LineRole::Neutral,
                            None => LineRole::Other,
                        };
                    }
                    array = Some(section);
                    return LineRole::Neutral;
                }
                if let Place::Poetry(section) = place {
                    let version = string_value(value).or_else(|| inline_field(value, "version"));
                    return match version {
                        Some(version) if key != "python" => LineRole::Requirement(Declared::new(
                            normalize_name(&key),
                            version,
                            section,
                        )),
                        _ => LineRole::Other,
                    };
                }
                return LineRole::Other;
            }
            // A hunk inside an array whose opening it does not show.
            if (place == Place::Unknown || matches!(place, Place::Array(_)))
                && let Some(mut list) =
                    array_strings(trimmed).filter(|l| l.iter().all(|d| !d.version.is_empty()))
            {
                for declared in &mut list {
                    declared.section = match place {
                        Place::Array(section) => section,
                        _ => Section::Unknown,
                    };
                }
                return if list.len() == 1 {
                    LineRole::Requirement(list.remove(0))
                } else {
                    LineRole::Several(list)
                };
            }
            if super::is_punctuation(trimmed) {
                LineRole::Neutral
            } else {
                LineRole::Other
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Modelled on a Django project's requirements: pins, ranges, `~=`, extras, markers,
    /// hashes on continuation lines, options and comments.
    pub(crate) const REQUIREMENTS: &str = r#"# Production requirements
-r base.txt
--index-url https://pypi.org/simple
Django==4.2.11
requests[socks,security]>=2.31.0  # CVE-2023-32681
urllib3~=2.0.7
cryptography==42.0.4 \
    --hash=sha256:aaaa \
    --hash=sha256:bbbb
numpy==1.24.4; python_version < "3.9"
numpy==1.26.4; python_version >= "3.9"
Pillow >= 10.2.0
-e git+https://github.com/acme/lib.git#egg=lib
pkg @ https://example.org/pkg-1.0.tar.gz
"#;

    #[test]
    fn reads_requirements_with_extras_and_markers() {
        let requirements = read_requirements("requirements.txt", REQUIREMENTS);
        let names: Vec<(&str, &str, usize)> = requirements
            .iter()
            .map(|r| (r.name.as_str(), r.version.as_str(), r.line))
            .collect();
        assert_eq!(
            names,
            [
                ("django", "==4.2.11", 4),
                ("requests", ">=2.31.0", 5),
                ("urllib3", "~=2.0.7", 6),
                ("cryptography", "==42.0.4", 7),
                ("numpy", "==1.24.4", 10),
                ("numpy", "==1.26.4", 11),
                ("pillow", ">=10.2.0", 12),
            ]
        );
        assert_eq!(
            requirements[4].qualifier.as_deref(),
            Some("python_version < \"3.9\"")
        );
    }

    pub(crate) const PYPROJECT: &str = r#"[build-system]
requires = ["setuptools>=68", "wheel"]

[project]
name = "service"
version = "2.1.0"
dependencies = [
    "fastapi>=0.109.1",
    "starlette==0.36.2",
    "jinja2>=3.1.3; python_version >= '3.8'",
]

[project.optional-dependencies]
s3 = ["boto3>=1.34"]

[tool.poetry.dependencies]
python = "^3.10"
aiohttp = "^3.9.2"
gunicorn = { version = "^22.0.0", extras = ["gevent"] }

[tool.poetry.group.dev.dependencies]
pytest = "^8.0"
"#;

    #[test]
    fn reads_pyproject() {
        let requirements =
            read_pyproject("pyproject.toml", PYPROJECT, &DependencyOptions::default()).unwrap();
        let get = |name: &str| {
            requirements
                .iter()
                .find(|r| r.name == name)
                .unwrap_or_else(|| panic!("{name}"))
        };
        assert_eq!(
            (get("fastapi").version.as_str(), get("fastapi").line),
            (">=0.109.1", 8)
        );
        assert_eq!(
            get("jinja2").qualifier.as_deref(),
            Some("python_version >= '3.8'")
        );
        assert_eq!(get("boto3").section, Section::OptionalDependencies);
        assert_eq!(get("setuptools").section, Section::BuildDependencies);
        assert_eq!(
            (get("aiohttp").version.as_str(), get("aiohttp").line),
            ("^3.9.2", 18)
        );
        assert_eq!(get("gunicorn").version, "^22.0.0");
        assert_eq!(get("pytest").section, Section::OptionalDependencies);
        assert!(!requirements.iter().any(|r| r.name == "python"));
    }

    #[test]
    fn classifies_python_lines() {
        let roles = classify_requirements(&[
            "requests[socks]>=2.32.0 ; python_version >= \"3.8\"",
            "    --hash=sha256:x",
            "--index-url x",
        ]);
        assert!(
            matches!(&roles[0], LineRole::Requirement(d) if d.name == "requests" && d.version == ">=2.32.0")
        );
        assert_eq!(
            roles[1],
            LineRole::Lock {
                entry: Some("requests".into())
            }
        );
        assert_eq!(roles[2], LineRole::Other);
        let roles = classify_pyproject(
            &[
                "dependencies = [",
                "    \"fastapi>=0.110.0\",",
                "]",
                "version = \"2.2.0\"",
            ],
            "[project]",
        );
        assert!(
            matches!(&roles[1], LineRole::Requirement(d) if d.name == "fastapi" && d.section == Section::Dependencies)
        );
        assert_eq!(roles[3], LineRole::Other);
        let roles = classify_pyproject(&["aiohttp = \"^3.9.4\""], "[tool.poetry.dependencies]");
        assert!(matches!(&roles[0], LineRole::Requirement(d) if d.name == "aiohttp"));
        let roles = classify_pyproject(
            &["requires = [\"setuptools>=70\", \"wheel\"]"],
            "[build-system]",
        );
        assert!(matches!(&roles[0], LineRole::Several(list) if list.len() == 2));
    }
}

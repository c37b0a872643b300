//! npm: `package.json` (dependencies, devDependencies, peerDependencies, optionalDependencies,
//! npm `overrides`, Yarn `resolutions`, pnpm `pnpm.overrides`), and the lock files
//! `package-lock.json`/`npm-shrinkwrap.json` (v1 nested `dependencies`, v2/v3 `packages`),
//! `yarn.lock` (v1 and Berry) and `pnpm-lock.yaml` (v5 to v9). JSON goes through
//! `jsonc-parser`, which keeps byte ranges (so lines) and bounds its own nesting; the two text
//! lock formats are read a line at a time.

use super::{Declared, LineRole, ManifestError, check_nesting, line_of, quoted};
use crate::dependency::DependencyOptions;
use crate::dependency::model::{Requirement, Section};
use jsonc_parser::ast::{Object, Value};
use jsonc_parser::{CollectOptions, ParseOptions, parse_to_ast};

fn section_of(key: &str) -> Option<Section> {
    Some(match key {
        "dependencies" => Section::Dependencies,
        "devDependencies" => Section::DevDependencies,
        "peerDependencies" => Section::PeerDependencies,
        "optionalDependencies" => Section::OptionalDependencies,
        "overrides" | "resolutions" => Section::Overrides,
        _ => return None,
    })
}

fn parse_json<'a>(
    file: &str,
    text: &'a str,
    options: &DependencyOptions,
) -> Result<Option<Value<'a>>, ManifestError> {
    check_nesting(file, text, options.max_nesting)?;
    let result = parse_to_ast(text, &CollectOptions::default(), &ParseOptions::default()).map_err(
        |error| ManifestError::Syntax {
            file: file.to_string(),
            line: line_of(text, error.range().start),
            message: error.kind().to_string(),
        },
    )?;
    Ok(result.value)
}

/// The package name of an override or resolution key: `foo`, `foo@^1`, `@s/foo@2`,
/// `**/foo`, `a/**/@s/foo`; the selector after the name is the qualifier.
fn override_name(key: &str) -> (String, Option<String>) {
    let last = key.rsplit("**/").next().unwrap_or(key);
    let last = match last.rfind('/') {
        Some(at) if !last.starts_with('@') || last[..at].contains('/') => &last[at + 1..],
        _ => last,
    };
    match last.get(1..).and_then(|rest| rest.find('@')) {
        Some(at) => (last[..at + 1].to_string(), Some(last[at + 2..].to_string())),
        None => (last.to_string(), None),
    }
}

fn declared(name: &str, version: &str, section: Section) -> Declared {
    let mut declared = Declared::new(name, version, section);
    if let Some(alias) = version.strip_prefix("npm:") {
        let at = alias
            .get(1..)
            .and_then(|rest| rest.find('@'))
            .map_or(alias.len(), |at| at + 1);
        declared.replaced_by = Some(alias[..at].to_string());
    }
    declared
}

fn read_overrides(file: &str, text: &str, object: &Object, out: &mut Vec<Requirement>) {
    for property in &object.properties {
        let key = property.name.as_str();
        match &property.value {
            Value::StringLit(value) => {
                // `$foo` refers to the root's own requirement of foo: nothing of its own.
                if value.value.starts_with('$') {
                    continue;
                }
                let (name, selector) = if key == "." {
                    continue;
                } else {
                    override_name(key)
                };
                let mut declared = declared(&name, &value.value, Section::Overrides);
                declared.qualifier = selector;
                out.push(declared.at(file, line_of(text, value.range.start)));
            }
            Value::Object(nested) => {
                // `"foo": { ".": "1.2.3", "bar": "2.0" }`: `.` overrides foo itself.
                if let Some(own) = nested.get_string(".") {
                    let (name, selector) = override_name(key);
                    let mut declared = declared(&name, &own.value, Section::Overrides);
                    declared.qualifier = selector;
                    out.push(declared.at(file, line_of(text, own.range.start)));
                }
                read_overrides(file, text, nested, out);
            }
            _ => {}
        }
    }
}

/// Every requirement of a package.json.
pub fn read_package_json(
    file: &str,
    text: &str,
    options: &DependencyOptions,
) -> Result<Vec<Requirement>, ManifestError> {
    let Some(Value::Object(root)) = parse_json(file, text, options)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for property in &root.properties {
        let key = property.name.as_str();
        let Value::Object(object) = &property.value else {
            continue;
        };
        match (key, section_of(key)) {
            ("overrides" | "resolutions", _) => read_overrides(file, text, object, &mut out),
            ("pnpm", _) => {
                if let Some(overrides) = object.get_object("overrides") {
                    read_overrides(file, text, overrides, &mut out);
                }
            }
            (_, Some(section)) => {
                for dependency in &object.properties {
                    if let Value::StringLit(value) = &dependency.value {
                        let name = dependency.name.as_str();
                        out.push(
                            declared(name, &value.value, section)
                                .at(file, line_of(text, value.range.start)),
                        );
                    }
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// The package name at the end of a lock path: `node_modules/a/node_modules/@s/b` → `@s/b`.
fn lock_path_name(path: &str) -> &str {
    path.rsplit_once("node_modules/")
        .map_or(path, |(_, name)| name)
}

/// Every locked package of a package-lock.json (v2/v3 `packages`, else v1 `dependencies`).
pub fn read_package_lock(
    file: &str,
    text: &str,
    options: &DependencyOptions,
) -> Result<Vec<Requirement>, ManifestError> {
    let Some(Value::Object(root)) = parse_json(file, text, options)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    if let Some(packages) = root.get_object("packages") {
        for entry in &packages.properties {
            let path = entry.name.as_str();
            let Value::Object(object) = &entry.value else {
                continue;
            };
            if path.is_empty() || object.get("link").is_some() {
                continue;
            }
            if let Some(version) = object.get_string("version") {
                let mut declared =
                    Declared::new(lock_path_name(path), version.value.as_ref(), Section::Lock);
                declared.qualifier = Some(path.to_string());
                out.push(declared.at(file, line_of(text, version.range.start)));
            }
        }
        return Ok(out);
    }
    // v1: nested `dependencies`, iteratively (the nesting is bounded by `check_nesting`).
    let mut stack: Vec<(String, &Object)> = Vec::new();
    if let Some(dependencies) = root.get_object("dependencies") {
        stack.push((String::new(), dependencies));
    }
    while let Some((prefix, dependencies)) = stack.pop() {
        for entry in &dependencies.properties {
            let name = entry.name.as_str();
            let Value::Object(object) = &entry.value else {
                continue;
            };
            let path = format!("{prefix}node_modules/{name}");
            if let Some(version) = object.get_string("version") {
                let mut declared = Declared::new(name, version.value.as_ref(), Section::Lock);
                declared.qualifier = Some(path.clone());
                out.push(declared.at(file, line_of(text, version.range.start)));
            }
            if let Some(nested) = object.get_object("dependencies") {
                stack.push((format!("{path}/"), nested));
            }
        }
    }
    Ok(out)
}

/// The package name of a yarn.lock descriptor (`"@s/a@^1.0.0"`, `a@npm:^1.0.0`).
fn descriptor_name(descriptor: &str) -> Option<&str> {
    let descriptor = descriptor.trim().trim_matches('"');
    let at = descriptor.get(1..)?.find('@')? + 1;
    Some(&descriptor[..at])
}

/// The names of a yarn.lock entry header (`"a@^1", a@^1.2:`), if the line is one.
fn yarn_header(line: &str) -> Option<Vec<&str>> {
    if line.starts_with([' ', '\t', '#'])
        || !line.trim_end().ends_with(':')
        || line.trim().is_empty()
    {
        return None;
    }
    let header = line.trim_end().trim_end_matches(':');
    let mut names: Vec<&str> = header.split(", ").filter_map(descriptor_name).collect();
    names.dedup();
    (!names.is_empty()).then_some(names)
}

/// The version of a yarn.lock entry's `version "1.2.3"` (v1) or `version: 1.2.3` (Berry) line.
fn yarn_version(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("  version")?;
    let rest = rest.strip_prefix(':').unwrap_or(rest);
    (rest.starts_with(' ')).then(|| rest.trim().trim_matches('"'))
}

/// Every locked package of a yarn.lock.
pub fn read_yarn_lock(file: &str, text: &str) -> Vec<Requirement> {
    let mut out = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if let Some(names) = yarn_header(line) {
            current = names;
        } else if let Some(version) = yarn_version(line) {
            for name in &current {
                out.push(Declared::new(*name, version, Section::Lock).at(file, index + 1));
            }
        } else if !line.starts_with([' ', '\t']) {
            current.clear();
        }
    }
    out
}

/// Classify a yarn.lock hunk side: headers name the entry, `version` lines are locked
/// versions, everything else belongs to the entry.
pub fn classify_yarn_lock(lines: &[&str]) -> Vec<LineRole> {
    let mut current: Vec<String> = Vec::new();
    lines
        .iter()
        .map(|line| {
            if let Some(names) = yarn_header(line) {
                current = names.iter().map(|n| n.to_string()).collect();
                return LineRole::Lock {
                    entry: current.first().cloned(),
                };
            }
            match (yarn_version(line), current.first()) {
                (Some(version), Some(name)) => {
                    LineRole::Requirement(Declared::new(name.as_str(), version, Section::Lock))
                }
                _ if line.trim().is_empty() => LineRole::Neutral,
                _ => LineRole::Lock {
                    entry: current.first().cloned(),
                },
            }
        })
        .collect()
}

/// `name` and `version` of a pnpm-lock package key: `/a@1.2.3:`, `a@1.2.3(peer@1):`,
/// `/@s/a@1.2.3:`, v5 `/a/1.2.3:`.
fn pnpm_key(line: &str) -> Option<(String, String)> {
    let indent = line.len() - line.trim_start().len();
    if indent != 2 {
        return None;
    }
    let key = line.trim().strip_suffix(':')?.trim_matches(['\'', '"']);
    let key = key.strip_prefix('/').unwrap_or(key);
    let key = key.split('(').next().unwrap_or(key);
    if let Some(at) = key.get(1..).and_then(|rest| rest.rfind('@')) {
        let (name, version) = key.split_at(at + 1);
        return Some((name.to_string(), version[1..].to_string()));
    }
    // v5: `a/1.2.3` or `@s/a/1.2.3`.
    let (name, version) = key.rsplit_once('/')?;
    version
        .starts_with(|c: char| c.is_ascii_digit())
        .then(|| (name.to_string(), version.to_string()))
}

/// Every locked package of a pnpm-lock.yaml (its `packages:` section).
pub fn read_pnpm_lock(file: &str, text: &str) -> Vec<Requirement> {
    let mut out = Vec::new();
    let mut in_packages = false;
    for (index, line) in text.lines().enumerate() {
        if !line.starts_with([' ', '\t']) && !line.trim().is_empty() {
            in_packages = line.trim_end() == "packages:";
            continue;
        }
        if in_packages && let Some((name, version)) = pnpm_key(line) {
            out.push(Declared::new(name, version, Section::Lock).at(file, index + 1));
        }
    }
    out
}

/// Classify a pnpm-lock.yaml hunk side: package keys are locked versions; every other line
/// belongs to the lock.
pub fn classify_pnpm_lock(lines: &[&str]) -> Vec<LineRole> {
    let mut entry: Option<String> = None;
    lines
        .iter()
        .map(|line| {
            if let Some((name, version)) =
                pnpm_key(line).filter(|(_, v)| v.starts_with(|c: char| c.is_ascii_digit()))
            {
                entry = Some(name.clone());
                return LineRole::Requirement(Declared::new(name, version, Section::Lock));
            }
            if line.trim().is_empty() {
                LineRole::Neutral
            } else {
                LineRole::Lock {
                    entry: entry.clone(),
                }
            }
        })
        .collect()
}

/// One `"key": value` line of pretty-printed JSON: the key, and the string value if the
/// value is a string (`None` for `{`, `[` and other values).
fn json_line(line: &str) -> Option<(&str, Option<&str>)> {
    let trimmed = line.trim();
    let (key, rest) = quoted(trimmed, '"')?;
    if !trimmed.starts_with('"') {
        return None;
    }
    let rest = rest.trim_start().strip_prefix(':')?.trim();
    if rest.starts_with('"') {
        let (value, tail) = quoted(rest, '"')?;
        let tail = tail.trim();
        return (tail.is_empty() || tail == ",").then_some((key, Some(value)));
    }
    Some((key, None))
}

/// Fields of package.json whose lines are not requirements even when the value looks like a
/// range (`"version": "1.2.3"`).
const NOT_DEPENDENCY_KEYS: [&str; 12] = [
    "name",
    "version",
    "description",
    "main",
    "module",
    "types",
    "license",
    "type",
    "homepage",
    "packageManager",
    "node",
    "npm",
];

/// Classify a package.json hunk side. The section of a `"name": "range"` line is the
/// innermost `"key": {` the hunk shows above it; a line whose section the hunk does not show
/// counts as a requirement only when its value is an npm range and its key is not a known
/// package field.
pub fn classify_package_json(lines: &[&str], _heading: &str) -> Vec<LineRole> {
    let mut stack: Vec<String> = Vec::new();
    let mut roles = Vec::with_capacity(lines.len());
    for line in lines {
        let trimmed = line.trim();
        if let Some((key, None)) = json_line(line)
            && trimmed.ends_with('{')
        {
            stack.push(key.to_string());
            roles.push(LineRole::Neutral);
            continue;
        }
        if super::is_punctuation(trimmed) {
            // Closing braces pop the sections they close.
            for c in trimmed.chars() {
                if c == '}' {
                    stack.pop();
                }
            }
            roles.push(LineRole::Neutral);
            continue;
        }
        let role = match json_line(line) {
            Some((key, Some(value))) => {
                let section = stack.iter().rev().find_map(|k| {
                    section_of(k).or_else(|| (k == "pnpm").then_some(Section::Overrides))
                });
                let in_overrides = stack
                    .iter()
                    .any(|k| matches!(k.as_str(), "overrides" | "resolutions"));
                match (section, stack.is_empty()) {
                    (Some(section), _)
                        if !value.starts_with('$') && key != "." || in_overrides && key == "." =>
                    {
                        let name = if key == "." {
                            stack.last().cloned().unwrap_or_default()
                        } else {
                            key.to_string()
                        };
                        let section = if in_overrides {
                            Section::Overrides
                        } else {
                            section
                        };
                        let (name, selector) = if section == Section::Overrides {
                            override_name(&name)
                        } else {
                            (name, None)
                        };
                        let mut declared = declared(&name, value, section);
                        declared.qualifier = selector;
                        LineRole::Requirement(declared)
                    }
                    (None, true)
                        if !NOT_DEPENDENCY_KEYS.contains(&key)
                            && crate::dependency::version::npm::range_floor(value).is_some() =>
                    {
                        LineRole::Requirement(declared(key, value, Section::Unknown))
                    }
                    _ => LineRole::Other,
                }
            }
            _ => LineRole::Other,
        };
        roles.push(role);
    }
    roles
}

/// Classify a package-lock.json hunk side: an entry's `"version"` line is its locked version;
/// every other line belongs to the lock.
pub fn classify_package_lock(lines: &[&str]) -> Vec<LineRole> {
    const STRUCTURAL: [&str; 10] = [
        "dependencies",
        "requires",
        "packages",
        "devDependencies",
        "optionalDependencies",
        "peerDependencies",
        "peerDependenciesMeta",
        "engines",
        "funding",
        "bin",
    ];
    let mut entry: Option<String> = None;
    let mut path: Option<String> = None;
    lines
        .iter()
        .map(|line| {
            if line.trim().is_empty() {
                return LineRole::Neutral;
            }
            match json_line(line) {
                Some((key, None))
                    if line.trim_end().ends_with('{') && !STRUCTURAL.contains(&key) =>
                {
                    if key.is_empty() {
                        entry = None;
                        path = None;
                    } else {
                        entry = Some(lock_path_name(key).to_string());
                        path = Some(if key.contains("node_modules/") {
                            key.to_string()
                        } else {
                            format!("node_modules/{key}")
                        });
                    }
                    LineRole::Lock {
                        entry: entry.clone(),
                    }
                }
                Some(("version", Some(version))) if entry.is_some() => {
                    let mut declared =
                        Declared::new(entry.clone().unwrap_or_default(), version, Section::Lock);
                    declared.qualifier = path.clone();
                    LineRole::Requirement(declared)
                }
                _ => LineRole::Lock {
                    entry: entry.clone(),
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Modelled on a Backstage-style package.json: ranges in every section, npm `overrides`
    /// (flat, nested with `.`, selector keys, `$` references) and Yarn `resolutions`.
    pub(crate) const PACKAGE_JSON: &str = r#"{
  "name": "@acme/portal",
  "version": "1.4.0",
  "scripts": {
    "build": "tsc -b"
  },
  "dependencies": {
    "axios": "^1.6.0",
    "express": "~4.18.2",
    "string-width-cjs": "npm:string-width@^4.2.0",
    "left-pad": "github:stevemao/left-pad"
  },
  "devDependencies": {
    "typescript": "5.3.3"
  },
  "peerDependencies": {
    "react": ">=17 <19"
  },
  "overrides": {
    "follow-redirects": "1.15.4",
    "semver@^5": "5.7.2",
    "jsdom": {
      ".": "22.1.0",
      "tough-cookie": "4.1.3"
    },
    "axios": "$axios"
  },
  "resolutions": {
    "**/ws": "8.17.1"
  }
}
"#;

    fn options() -> DependencyOptions {
        DependencyOptions::default()
    }

    #[test]
    fn reads_package_json_sections_and_overrides() {
        let requirements = read_package_json("package.json", PACKAGE_JSON, &options()).unwrap();
        let get = |name: &str, section: Section| {
            requirements
                .iter()
                .find(|r| r.name == name && r.section == section)
                .unwrap_or_else(|| panic!("{name}"))
        };
        assert_eq!(
            (
                get("axios", Section::Dependencies).version.as_str(),
                get("axios", Section::Dependencies).line
            ),
            ("^1.6.0", 8)
        );
        assert_eq!(
            get("string-width-cjs", Section::Dependencies)
                .replaced_by
                .as_deref(),
            Some("string-width")
        );
        assert_eq!(get("react", Section::PeerDependencies).version, ">=17 <19");
        assert_eq!(get("follow-redirects", Section::Overrides).line, 20);
        let semver = get("semver", Section::Overrides);
        assert_eq!(
            (semver.version.as_str(), semver.qualifier.as_deref()),
            ("5.7.2", Some("^5"))
        );
        assert_eq!(get("jsdom", Section::Overrides).version, "22.1.0");
        assert_eq!(get("tough-cookie", Section::Overrides).version, "4.1.3");
        assert_eq!(get("ws", Section::Overrides).version, "8.17.1");
        // `$axios` refers to the root requirement: no override of its own.
        assert_eq!(requirements.iter().filter(|r| r.name == "axios").count(), 1);
        assert!(!requirements.iter().any(|r| r.name == "build"));
    }

    #[test]
    fn reads_lock_files() {
        let lock = r#"{
  "name": "x",
  "lockfileVersion": 3,
  "packages": {
    "": { "name": "x", "version": "1.0.0" },
    "node_modules/axios": {
      "version": "1.6.2",
      "resolved": "https://registry.npmjs.org/axios/-/axios-1.6.2.tgz"
    },
    "node_modules/a/node_modules/@s/b": { "version": "2.0.0" }
  }
}"#;
        let requirements = read_package_lock("package-lock.json", lock, &options()).unwrap();
        assert_eq!(requirements.len(), 2);
        assert_eq!(
            (
                requirements[0].name.as_str(),
                requirements[0].version.as_str(),
                requirements[0].line
            ),
            ("axios", "1.6.2", 7)
        );
        assert_eq!(requirements[1].name, "@s/b");

        let yarn = "# yarn lockfile v1\n\n\"@babel/code-frame@^7.0.0\", \"@babel/code-frame@^7.10.4\":\n  version \"7.12.13\"\n  resolved \"https://x\"\n\naxios@^1.6.0:\n  version \"1.6.2\"\n";
        let requirements = read_yarn_lock("yarn.lock", yarn);
        assert_eq!(requirements.len(), 2);
        assert_eq!(
            (requirements[0].name.as_str(), requirements[0].line),
            ("@babel/code-frame", 4)
        );
        assert_eq!(
            (
                requirements[1].name.as_str(),
                requirements[1].version.as_str()
            ),
            ("axios", "1.6.2")
        );
        let berry = "\"axios@npm:^1.6.0\":\n  version: 1.6.2\n  resolution: \"axios@npm:1.6.2\"\n";
        assert_eq!(read_yarn_lock("yarn.lock", berry)[0].version, "1.6.2");

        let pnpm = "lockfileVersion: '9.0'\n\nimporters:\n  .:\n    dependencies:\n      axios:\n        specifier: ^1.6.0\n        version: 1.6.2\n\npackages:\n\n  axios@1.6.2:\n    resolution: {integrity: sha512-x}\n\n  '@s/b@2.0.0(react@18.2.0)':\n    resolution: {integrity: sha512-y}\n";
        let requirements = read_pnpm_lock("pnpm-lock.yaml", pnpm);
        assert_eq!(requirements.len(), 2);
        assert_eq!(
            (
                requirements[0].name.as_str(),
                requirements[0].version.as_str(),
                requirements[0].line
            ),
            ("axios", "1.6.2", 12)
        );
        assert_eq!(
            (
                requirements[1].name.as_str(),
                requirements[1].version.as_str()
            ),
            ("@s/b", "2.0.0")
        );
        assert_eq!(
            pnpm_key("  /axios/1.6.2:"),
            Some(("axios".into(), "1.6.2".into()))
        );
    }

    #[test]
    fn classifies_package_json_lines() {
        let lines = [
            "  \"dependencies\": {",
            "    \"axios\": \"^1.7.4\",",
            "  },",
            "  \"scripts\": {",
            "    \"build\": \"tsc\"",
        ];
        let roles = classify_package_json(&lines, "");
        assert!(
            matches!(&roles[1], LineRole::Requirement(d) if d.name == "axios" && d.section == Section::Dependencies)
        );
        assert_eq!(roles[4], LineRole::Other);
        // Without the section in view: a range is a requirement, the package's own version is not.
        let roles = classify_package_json(
            &["    \"axios\": \"^1.7.4\",", "  \"version\": \"1.2.3\","],
            "",
        );
        assert!(matches!(&roles[0], LineRole::Requirement(d) if d.section == Section::Unknown));
        assert_eq!(roles[1], LineRole::Other);
        let roles = classify_package_json(
            &[
                "  \"overrides\": {",
                "    \"jsdom\": {",
                "      \".\": \"22.1.0\",",
            ],
            "",
        );
        assert!(
            matches!(&roles[2], LineRole::Requirement(d) if d.name == "jsdom" && d.section == Section::Overrides)
        );
    }

    #[test]
    fn classifies_lock_lines() {
        let lines = [
            "    \"node_modules/axios\": {",
            "      \"version\": \"1.7.4\",",
            "      \"integrity\": \"sha512-x\",",
        ];
        let roles = classify_package_lock(&lines);
        assert!(
            matches!(&roles[1], LineRole::Requirement(d) if d.name == "axios" && d.version == "1.7.4")
        );
        assert_eq!(
            roles[2],
            LineRole::Lock {
                entry: Some("axios".into())
            }
        );
        let roles = classify_yarn_lock(&[
            "axios@^1.7.4:",
            "  version \"1.7.4\"",
            "  integrity sha512-x",
        ]);
        assert!(matches!(&roles[1], LineRole::Requirement(d) if d.name == "axios"));
    }
}

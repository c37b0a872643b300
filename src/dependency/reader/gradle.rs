//! Gradle: build scripts (`build.gradle`, `build.gradle.kts`) and version catalogs
//! (`libs.versions.toml`). Scripts are programs, so they are read a line at a time for the
//! declarations that carry versions: `"group:name:version"` coordinates (any configuration,
//! `constraints { }`, `platform(…)`), the map form `group: 'g', name: 'n', version: 'v'`,
//! plugins `id("x") version "v"`, and version variables (`ext['tomcat.version'] = '…'`,
//! `val nettyVersion = "…"`, `set("netty.version", "…")`), with `$var`/`${var}` in a
//! coordinate resolved within the file. Catalogs are TOML: `[versions]` entries are
//! properties, `[libraries]`/`[plugins]` entries take their version or `version.ref`.

use super::toml_file::{self, header, inline_field, key_value, string_value};
use super::{Declared, LineRole, ManifestError};
use crate::dependency::DependencyOptions;
use crate::dependency::model::{Requirement, Section};
use regex::Regex;
use std::collections::HashMap;
use std::sync::LazyLock;
use toml::de::DeValue;

static COORDINATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"["']([A-Za-z0-9_.\-]+):([A-Za-z0-9_.\-]+):([^:"'@\s]+)(?::[A-Za-z0-9_.\-]+)?(?:@[A-Za-z0-9]+)?["']"#)
        .expect("a valid pattern")
});
static MAP_FORM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"group\s*[:=]\s*["']([^"']+)["']\s*,\s*name\s*[:=]\s*["']([^"']+)["']\s*,\s*version\s*[:=]\s*["']([^"']+)["']"#)
        .expect("a valid pattern")
});
static PLUGIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\bid\s*\(?\s*["']([^"']+)["']\s*\)?\s+version\s*\(?\s*["']([^"']+)["']"#)
        .expect("a valid pattern")
});
static VARIABLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r#"^\s*(?:ext\s*\[\s*["']([^"']+)["']\s*\]\s*=|(?:ext\.)?set\s*\(\s*["']([^"']+)["']\s*,|"#,
        r#"(?:def|val|var|ext\.)?\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(?::\s*String\s*)?(?:=|by\s+extra\s*\(?))\s*["']([^"'$]+)["']"#,
    ))
    .expect("a valid pattern")
});

/// Tracks the `constraints { … }` and `dependencyManagement { … }` blocks a script line is in,
/// by brace depth (strings with braces are rare in dependency blocks).
#[derive(Default)]
struct Blocks {
    depth: i64,
    management_at: Option<i64>,
}

impl Blocks {
    /// Feed one line; true when the line is inside (or opens) a management block.
    fn line(&mut self, line: &str) -> bool {
        let code = line.split("//").next().unwrap_or(line);
        if self.management_at.is_none()
            && (code.contains("constraints") || code.contains("dependencyManagement"))
            && code.contains('{')
        {
            self.management_at = Some(self.depth);
        }
        let inside = self.management_at.is_some();
        for c in code.chars() {
            match c {
                '{' => self.depth += 1,
                '}' => self.depth -= 1,
                _ => {}
            }
        }
        if self.management_at.is_some_and(|at| self.depth <= at) {
            self.management_at = None;
        }
        inside
    }
}

/// What one build-script line declares; `managed` puts coordinates in [`Section::Management`].
fn script_line(line: &str, managed: bool) -> Vec<Declared> {
    let code = line.split("//").next().unwrap_or(line);
    let mut out = Vec::new();
    for captures in COORDINATE.captures_iter(code) {
        out.push(Declared::new(
            format!("{}:{}", &captures[1], &captures[2]),
            &captures[3],
            Section::Dependencies,
        ));
    }
    if let Some(captures) = MAP_FORM.captures(code) {
        out.push(Declared::new(
            format!("{}:{}", &captures[1], &captures[2]),
            &captures[3],
            Section::Dependencies,
        ));
    }
    if let Some(captures) = PLUGIN.captures(code) {
        out.push(Declared::new(&captures[1], &captures[2], Section::Plugins));
    }
    if out.is_empty()
        && let Some(captures) = VARIABLE.captures(code)
    {
        let name = captures
            .get(1)
            .or(captures.get(2))
            .or(captures.get(3))
            .map_or("", |m| m.as_str());
        if crate::dependency::reader::maven::is_version_property(name) {
            out.push(Declared::new(name, &captures[4], Section::Property));
        }
    }
    if managed || code.contains("platform(") {
        for declared in &mut out {
            if declared.section == Section::Dependencies {
                declared.section = Section::Management;
            }
        }
    }
    out
}

/// Every requirement of a build script; `$var`/`${var}` versions are resolved from the
/// script's own version variables.
pub fn read_build_script(file: &str, text: &str, options: &DependencyOptions) -> Vec<Requirement> {
    let mut out: Vec<Requirement> = Vec::new();
    let mut blocks = Blocks::default();
    for (index, line) in text.lines().enumerate() {
        let managed = blocks.line(line);
        for declared in script_line(line, managed) {
            out.push(declared.at(file, index + 1));
        }
    }
    let variables: HashMap<String, (String, usize)> = out
        .iter()
        .filter(|r| r.section == Section::Property)
        .map(|r| (r.name.clone(), (r.version.clone(), r.line)))
        .collect();
    for requirement in &mut out {
        let reference = requirement
            .version
            .trim_start_matches('$')
            .trim_start_matches('{')
            .trim_end_matches('}');
        if requirement.version.starts_with('$')
            && let Some((value, line)) = variables.get(reference)
            && value.len() <= options.max_version_bytes
        {
            requirement.property = Some(reference.to_string());
            requirement.version = value.clone();
            requirement.line = *line;
        }
    }
    out
}

/// Classify a build-script hunk side: a line that declares versions is a requirement; blank
/// lines, comments and block punctuation are neutral; anything else is another change.
pub fn classify_build_script(lines: &[&str]) -> Vec<LineRole> {
    let mut blocks = Blocks::default();
    lines
        .iter()
        .map(|line| {
            let managed = blocks.line(line);
            let trimmed = line.trim();
            if trimmed.is_empty()
                || trimmed.starts_with("//")
                || trimmed.starts_with("/*")
                || trimmed.starts_with('*')
            {
                return LineRole::Neutral;
            }
            let mut declared = script_line(line, managed);
            match declared.len() {
                0 if super::is_punctuation(trimmed) => LineRole::Neutral,
                0 if trimmed.starts_with("because") => LineRole::Neutral,
                0 => LineRole::Other,
                1 => LineRole::Requirement(declared.remove(0)),
                _ => LineRole::Several(declared),
            }
        })
        .collect()
}

/// A catalog version: a string, or a rich version's `require`, `strictly` or `prefer`.
fn catalog_version<'a>(
    value: &'a toml::Spanned<DeValue<'a>>,
) -> Option<&'a toml::Spanned<DeValue<'a>>> {
    match value.get_ref() {
        DeValue::String(_) => Some(value),
        DeValue::Table(table) => ["require", "strictly", "prefer"]
            .iter()
            .find_map(|k| toml_file::get(table, k)),
        _ => None,
    }
}

/// Every requirement of a version catalog.
pub fn read_catalog(
    file: &str,
    text: &str,
    options: &DependencyOptions,
) -> Result<Vec<Requirement>, ManifestError> {
    let document = toml_file::parse(file, text, options)?;
    let root = document.get_ref();
    let mut out = Vec::new();
    let mut versions: HashMap<String, (String, usize)> = HashMap::new();
    if let Some(table) = toml_file::table(root, "versions") {
        for (name, value) in table.iter() {
            if let Some(version) =
                catalog_version(value).and_then(|v| v.get_ref().as_str().map(|s| (s, v)))
            {
                let line = toml_file::line(text, version.1);
                versions.insert(name.get_ref().to_string(), (version.0.to_string(), line));
                out.push(
                    Declared::new(name.get_ref().as_ref(), version.0, Section::Property)
                        .at(file, line),
                );
            }
        }
    }
    for (key, section, id_key) in [
        ("libraries", Section::Dependencies, "module"),
        ("plugins", Section::Plugins, "id"),
    ] {
        let Some(table) = toml_file::table(root, key) else {
            continue;
        };
        for (_, entry) in table.iter() {
            let (name, version, property, line) = match entry.get_ref() {
                DeValue::String(text_value) => {
                    let mut parts = text_value.rsplitn(2, ':');
                    let (Some(version), Some(name)) = (parts.next(), parts.next()) else {
                        continue;
                    };
                    (
                        name.to_string(),
                        version.to_string(),
                        None,
                        toml_file::line(text, entry),
                    )
                }
                DeValue::Table(spec) => {
                    let name = match toml_file::string_at(text, spec, id_key) {
                        Some((name, _)) => name.to_string(),
                        None => match (
                            toml_file::string_at(text, spec, "group"),
                            toml_file::string_at(text, spec, "name"),
                        ) {
                            (Some((group, _)), Some((name, _))) => format!("{group}:{name}"),
                            _ => continue,
                        },
                    };
                    let Some(version) = toml_file::get(spec, "version") else {
                        continue;
                    };
                    if let Some((reference, _)) = version
                        .get_ref()
                        .as_table()
                        .and_then(|t| toml_file::string_at(text, t, "ref"))
                    {
                        let Some((value, line)) = versions.get(reference) else {
                            continue;
                        };
                        (name, value.clone(), Some(reference.to_string()), *line)
                    } else if let Some(version) =
                        catalog_version(version).and_then(|v| v.get_ref().as_str().map(|s| (s, v)))
                    {
                        (
                            name,
                            version.0.to_string(),
                            None,
                            toml_file::line(text, version.1),
                        )
                    } else {
                        continue;
                    }
                }
                _ => continue,
            };
            let mut declared = Declared::new(name, version, section);
            declared.property = property;
            out.push(declared.at(file, line));
        }
    }
    Ok(out)
}

/// Classify a version catalog hunk side.
pub fn classify_catalog(lines: &[&str], heading: &str) -> Vec<LineRole> {
    let mut table: Option<String> = header(heading).and_then(|k| k.first().cloned());
    lines
        .iter()
        .map(|line| {
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                return LineRole::Neutral;
            }
            if trimmed.starts_with('[')
                && let Some(keys) = header(trimmed)
            {
                table = keys.first().cloned();
                return LineRole::Neutral;
            }
            let Some((key, value)) = key_value(trimmed) else {
                return LineRole::Other;
            };
            match table.as_deref() {
                Some("versions") => match string_value(value)
                    .or_else(|| inline_field(value, "require"))
                    .or_else(|| inline_field(value, "strictly"))
                {
                    Some(version) => {
                        LineRole::Requirement(Declared::new(key, version, Section::Property))
                    }
                    None => LineRole::Other,
                },
                Some(section @ ("libraries" | "plugins")) => {
                    let section = if section == "plugins" {
                        Section::Plugins
                    } else {
                        Section::Dependencies
                    };
                    if let Some(coordinate) = string_value(value)
                        && let Some((name, version)) = coordinate.rsplit_once(':')
                    {
                        return LineRole::Requirement(Declared::new(name, version, section));
                    }
                    let name = inline_field(value, "module")
                        .or_else(|| inline_field(value, "id"))
                        .map(str::to_string)
                        .or_else(|| {
                            Some(format!(
                                "{}:{}",
                                inline_field(value, "group")?,
                                inline_field(value, "name")?
                            ))
                        });
                    match (name, inline_field(value, "version")) {
                        (Some(name), Some(version)) => {
                            LineRole::Requirement(Declared::new(name, version, section))
                        }
                        _ => LineRole::Other,
                    }
                }
                _ => LineRole::Other,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Modelled on a Spring Boot service's build.gradle: Spring's dependency-management
    /// properties overridden for CVEs, coordinates in several forms, constraints.
    pub(crate) const BUILD_GRADLE: &str = r#"plugins {
    id 'org.springframework.boot' version '3.2.2'
    id 'java'
}

ext['tomcat.version'] = '10.1.18'
def nettyVersion = '4.1.100.Final'

dependencies {
    implementation 'org.springframework.boot:spring-boot-starter-web'
    implementation "io.netty:netty-handler:$nettyVersion"
    implementation group: 'org.yaml', name: 'snakeyaml', version: '2.2'
    runtimeOnly("com.h2database:h2:2.2.224")
    constraints {
        implementation('ch.qos.logback:logback-core:1.4.14') {
            because 'CVE-2023-6378'
        }
    }
}
"#;

    #[test]
    fn reads_build_scripts() {
        let requirements =
            read_build_script("build.gradle", BUILD_GRADLE, &DependencyOptions::default());
        let get = |name: &str| {
            requirements
                .iter()
                .find(|r| r.name == name)
                .unwrap_or_else(|| panic!("{name}"))
        };
        assert_eq!(
            (
                get("org.springframework.boot").version.as_str(),
                get("org.springframework.boot").section
            ),
            ("3.2.2", Section::Plugins)
        );
        assert_eq!(
            (
                get("tomcat.version").version.as_str(),
                get("tomcat.version").line
            ),
            ("10.1.18", 6)
        );
        let netty = get("io.netty:netty-handler");
        assert_eq!(
            (
                netty.version.as_str(),
                netty.line,
                netty.property.as_deref()
            ),
            ("4.1.100.Final", 7, Some("nettyVersion"))
        );
        assert_eq!(get("org.yaml:snakeyaml").version, "2.2");
        assert_eq!(get("com.h2database:h2").line, 13);
        assert_eq!(
            get("ch.qos.logback:logback-core").section,
            Section::Management
        );
        assert!(
            !requirements
                .iter()
                .any(|r| r.name.starts_with("org.springframework.boot:"))
        );
    }

    pub(crate) const CATALOG: &str = r#"[versions]
netty = "4.1.100.Final"
jackson = { strictly = "2.16.1" }

[libraries]
netty-handler = { module = "io.netty:netty-handler", version.ref = "netty" }
jackson-databind = { group = "com.fasterxml.jackson.core", name = "jackson-databind", version.ref = "jackson" }
guava = "com.google.guava:guava:33.0.0-jre"
okio = { module = "com.squareup.okio:okio", version = "3.6.0" }

[plugins]
spotless = { id = "com.diffplug.spotless", version = "6.25.0" }
"#;

    #[test]
    fn reads_catalogs() {
        let requirements = read_catalog(
            "gradle/libs.versions.toml",
            CATALOG,
            &DependencyOptions::default(),
        )
        .unwrap();
        let get = |name: &str| {
            requirements
                .iter()
                .find(|r| r.name == name)
                .unwrap_or_else(|| panic!("{name}"))
        };
        assert_eq!(
            (get("netty").section, get("netty").line),
            (Section::Property, 2)
        );
        let handler = get("io.netty:netty-handler");
        assert_eq!(
            (
                handler.version.as_str(),
                handler.line,
                handler.property.as_deref()
            ),
            ("4.1.100.Final", 2, Some("netty"))
        );
        assert_eq!(
            get("com.fasterxml.jackson.core:jackson-databind").version,
            "2.16.1"
        );
        assert_eq!(get("com.google.guava:guava").version, "33.0.0-jre");
        assert_eq!(get("com.squareup.okio:okio").line, 9);
        assert_eq!(get("com.diffplug.spotless").section, Section::Plugins);
    }

    #[test]
    fn classifies_gradle_lines() {
        let roles = classify_build_script(&[
            "    implementation(\"io.netty:netty-handler:4.1.108.Final\")",
            "        because 'CVE'",
            "    }",
            "    mainClass = 'x'",
        ]);
        assert!(
            matches!(&roles[0], LineRole::Requirement(d) if d.name == "io.netty:netty-handler")
        );
        assert_eq!(
            (roles[1].clone(), roles[2].clone(), roles[3].clone()),
            (LineRole::Neutral, LineRole::Neutral, LineRole::Other)
        );
        let roles = classify_catalog(
            &[
                "netty = \"4.1.108.Final\"",
                "[libraries]",
                "okio = { module = \"com.squareup.okio:okio\", version = \"3.9.0\" }",
            ],
            "[versions]",
        );
        assert!(matches!(&roles[0], LineRole::Requirement(d) if d.section == Section::Property));
        assert!(
            matches!(&roles[2], LineRole::Requirement(d) if d.name == "com.squareup.okio:okio" && d.version == "3.9.0")
        );
    }
}

//! Maven: `pom.xml`, parsed with `roxmltree` (positions kept; DTDs refused, so no entity
//! expansion at all, and a bound on the node count). Read: `<properties>` whose name says
//! version (`<netty.version>`), `<dependencies>`, `<dependencyManagement>`, `<build>`
//! `<plugins>`/`<pluginManagement>`, `<parent>`, and the same inside `<profiles>`. A
//! `${property}` version is resolved within the file (chains of properties too, and
//! `${project.version}`); one defined in a parent pom stays `${…}` and is not ordered.
//! The patch side reads a hunk's lines: a property line is a requirement of that property; a
//! `<version>` line is one of the `<groupId>:<artifactId>` the hunk shows around it.

use super::{Declared, LineIndex, LineRole, ManifestError};
use crate::dependency::DependencyOptions;
use crate::dependency::model::{Requirement, Section};
use roxmltree::{Document, Node, ParsingOptions};
use std::collections::HashMap;

/// How many lines around a `<version>` line are searched for its `<artifactId>` and
/// `<groupId>`: a dependency block is under 20 lines (exclusions included); the bound keeps a
/// hunk of many `<version>` lines linear.
const MAX_ARTIFACT_SCAN: usize = 64;

/// How many `${…}` indirections are followed before a version is left unresolved (a cycle
/// `a → b → a` must end; real poms chain one or two).
const MAX_PROPERTY_DEPTH: usize = 8;

fn child<'a, 'input>(node: Node<'a, 'input>, name: &str) -> Option<Node<'a, 'input>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn child_text<'a, 'input>(
    node: Node<'a, 'input>,
    name: &str,
) -> Option<(&'a str, Node<'a, 'input>)> {
    let element = child(node, name)?;
    Some((element.text()?.trim(), element))
}

/// True for a property that holds a version (`netty.version`, `nettyVersion`, `version.jackson`).
pub fn is_version_property(name: &str) -> bool {
    name.to_ascii_lowercase().contains("version") && name != "version"
}

struct Properties<'a> {
    values: HashMap<&'a str, (&'a str, usize)>,
    /// Longest resolved value: a version longer than the version bound is never ordered, and
    /// resolving a huge property into every dependency would multiply the file's size.
    max_len: usize,
}

impl Properties<'_> {
    /// Resolve `${…}` references; the line and property of the last one resolved. A value that
    /// would grow past `max_len` stays unresolved.
    fn resolve(&self, value: &str) -> (String, Option<(String, usize)>) {
        let mut value = value.to_string();
        let mut origin = None;
        for _ in 0..MAX_PROPERTY_DEPTH {
            let Some(start) = value.find("${") else { break };
            let Some(end) = value[start..].find('}').map(|e| e + start) else {
                break;
            };
            let name = &value[start + 2..end];
            let Some((replacement, line)) = self.values.get(name) else {
                break;
            };
            if value.len() - (end + 1 - start) + replacement.len() > self.max_len {
                break;
            }
            origin = Some((name.to_string(), *line));
            value = format!("{}{}{}", &value[..start], replacement, &value[end + 1..]);
        }
        (value, origin)
    }
}

/// Every requirement of a pom.xml.
pub fn read_pom(
    file: &str,
    text: &str,
    options: &DependencyOptions,
) -> Result<Vec<Requirement>, ManifestError> {
    let parsing = ParsingOptions {
        allow_dtd: false,
        nodes_limit: options.max_xml_nodes,
        ..ParsingOptions::default()
    };
    let document = Document::parse_with_options(text, parsing).map_err(|error| match error {
        roxmltree::Error::NodesLimitReached => ManifestError::TooLarge {
            file: file.to_string(),
            size: text.len(),
            limit: options.max_manifest_bytes,
        },
        other => ManifestError::Syntax {
            file: file.to_string(),
            line: other.pos().row as usize,
            message: other.to_string(),
        },
    })?;
    let lines = LineIndex::new(text);
    let project = document.root_element();
    let mut properties = Properties {
        values: HashMap::new(),
        max_len: options.max_version_bytes,
    };
    let mut out = Vec::new();
    if let Some(props) = child(project, "properties") {
        for property in props.children().filter(Node::is_element) {
            let name = property.tag_name().name();
            let value = property.text().unwrap_or("").trim();
            let line = lines.line(property.range().start);
            properties.values.insert(name, (value, line));
            if is_version_property(name) {
                out.push(Declared::new(name, value, Section::Property).at(file, line));
            }
        }
    }
    let own_version = child_text(project, "version")
        .or_else(|| child(project, "parent").and_then(|p| child_text(p, "version")))
        .map(|(v, node)| (v, lines.line(node.range().start)));
    if let Some((version, line)) = own_version {
        properties
            .values
            .entry("project.version")
            .or_insert((version, line));
    }

    let read_artifact =
        |node: Node, section: Section, default_group: &str, out: &mut Vec<Requirement>| {
            let Some((artifact, _)) = child_text(node, "artifactId") else {
                return;
            };
            let group = child_text(node, "groupId").map_or(default_group, |(g, _)| g);
            let Some((version, element)) = child_text(node, "version") else {
                return;
            };
            let (group, _) = properties.resolve(group);
            let (resolved, origin) = properties.resolve(version);
            let mut declared = Declared::new(format!("{group}:{artifact}"), resolved, section);
            let line = match origin {
                Some((property, line)) => {
                    declared.property = Some(property);
                    line
                }
                None => lines.line(element.range().start),
            };
            out.push(declared.at(file, line));
        };
    let mut scopes = vec![project];
    if let Some(profiles) = child(project, "profiles") {
        scopes.extend(
            profiles
                .children()
                .filter(|p| p.is_element() && p.tag_name().name() == "profile"),
        );
    }
    for scope in scopes {
        if let Some(dependencies) = child(scope, "dependencies") {
            for dependency in dependencies.children().filter(Node::is_element) {
                read_artifact(dependency, Section::Dependencies, "", &mut out);
            }
        }
        if let Some(dependencies) =
            child(scope, "dependencyManagement").and_then(|m| child(m, "dependencies"))
        {
            for dependency in dependencies.children().filter(Node::is_element) {
                read_artifact(dependency, Section::Management, "", &mut out);
            }
        }
        if let Some(build) = child(scope, "build") {
            let managed = child(build, "pluginManagement").and_then(|m| child(m, "plugins"));
            for plugins in [child(build, "plugins"), managed].into_iter().flatten() {
                for plugin in plugins.children().filter(Node::is_element) {
                    read_artifact(
                        plugin,
                        Section::Plugins,
                        "org.apache.maven.plugins",
                        &mut out,
                    );
                }
            }
        }
    }
    if let Some(parent) = child(project, "parent") {
        read_artifact(parent, Section::Parent, "", &mut out);
    }
    Ok(out)
}

/// A one-line element `<tag>text</tag>`: the tag and the text.
fn element_line(line: &str) -> Option<(&str, &str)> {
    let line = line.trim();
    let rest = line.strip_prefix('<')?;
    let (tag, rest) = rest.split_once('>')?;
    if tag.is_empty() || tag.contains([' ', '/', '!', '?']) {
        return None;
    }
    let text = rest
        .strip_suffix('>')?
        .strip_suffix(tag)?
        .strip_suffix("</")?;
    Some((tag, text.trim()))
}

/// Elements whose lines only give structure or name the artifact a `<version>` line versions.
const STRUCTURE: [&str; 10] = [
    "dependency",
    "dependencies",
    "dependencyManagement",
    "plugin",
    "plugins",
    "pluginManagement",
    "parent",
    "properties",
    "groupId",
    "artifactId",
];

fn is_structure(line: &str) -> bool {
    let trimmed = line.trim();
    if trimmed.is_empty() || trimmed.starts_with("<!--") && trimmed.ends_with("-->") {
        return true;
    }
    if let Some((tag, _)) = element_line(trimmed) {
        return STRUCTURE.contains(&tag);
    }
    let tag = trimmed
        .trim_start_matches('<')
        .trim_start_matches('/')
        .trim_end_matches('>');
    trimmed.starts_with('<') && STRUCTURE.contains(&tag)
}

/// The `groupId:artifactId` of the block around line `at` (searching both ways to the
/// block's bounds), if the hunk shows it.
fn artifact_around(lines: &[&str], at: usize) -> Option<(Option<String>, String)> {
    let bound = |line: &str| {
        matches!(
            line.trim(),
            "<dependency>"
                | "</dependency>"
                | "<plugin>"
                | "</plugin>"
                | "<parent>"
                | "</parent>"
                | "<dependencies>"
                | "</dependencies>"
                | "<plugins>"
                | "</plugins>"
        )
    };
    let mut group = None;
    let mut artifact = None;
    let mut scan = |line: &str| {
        if let Some((tag, text)) = element_line(line) {
            match tag {
                "groupId" if group.is_none() => group = Some(text.to_string()),
                "artifactId" if artifact.is_none() => artifact = Some(text.to_string()),
                _ => {}
            }
        }
    };
    for line in lines[..at].iter().rev().take(MAX_ARTIFACT_SCAN) {
        if bound(line) {
            break;
        }
        scan(line);
    }
    for line in lines[at + 1..].iter().take(MAX_ARTIFACT_SCAN) {
        if bound(line) {
            break;
        }
        scan(line);
    }
    let is_plugin = lines[..at]
        .iter()
        .rev()
        .take(MAX_ARTIFACT_SCAN)
        .find(|l| bound(l))
        .is_some_and(|l| l.trim() == "<plugin>");
    let group = group.or_else(|| is_plugin.then(|| "org.apache.maven.plugins".to_string()));
    Some((group, artifact?))
}

/// The section of the `<version>` line at `at`, from the containers the hunk shows above it:
/// `<dependencies>` under `<dependencyManagement>` is [`Section::Management`], under anything
/// else that the hunk shows (`<project>`, `</properties>`, a `<profile>`'s `<id>`) it is
/// [`Section::Dependencies`]; `<plugins>` is [`Section::Plugins`], `<parent>`
/// [`Section::Parent`]. When the hunk starts inside the block, the section is
/// [`Section::Unknown`] and R's declarations in every section must agree.
fn section_above(lines: &[&str], at: usize) -> Section {
    let mut in_dependencies = false;
    for line in lines[..at].iter().rev().take(MAX_ARTIFACT_SCAN) {
        let trimmed = line.trim();
        let tag = trimmed
            .strip_prefix('<')
            .and_then(|t| t.split(['>', ' ']).next())
            .unwrap_or("");
        // A whole element on one line (`<groupId>…</groupId>`, a sibling's `<version>`), a
        // comment or the bounds of a sibling dependency say nothing of the container.
        let whole = trimmed.contains("</") && !trimmed.starts_with("</");
        if whole || trimmed.starts_with("<!--") {
            continue;
        }
        match tag {
            "dependency" | "/dependency" | "exclusions" | "/exclusions" | "exclusion"
            | "/exclusion" | "" => {}
            "parent" if !in_dependencies => return Section::Parent,
            "plugin" | "plugins" | "pluginManagement" if !in_dependencies => {
                return Section::Plugins;
            }
            "dependencies" if !in_dependencies => in_dependencies = true,
            "dependencyManagement" if in_dependencies => return Section::Management,
            _ if in_dependencies => return Section::Dependencies,
            _ => return Section::Unknown,
        }
    }
    Section::Unknown
}

/// Classify a pom.xml hunk side.
pub fn classify_pom(lines: &[&str]) -> Vec<LineRole> {
    (0..lines.len())
        .map(|at| {
            let line = lines[at];
            if is_structure(line) {
                return LineRole::Neutral;
            }
            match element_line(line) {
                Some(("version", version)) => match artifact_around(lines, at) {
                    Some((group, artifact)) => {
                        let name = format!("{}:{artifact}", group.unwrap_or_default());
                        let mut declared = Declared::new(name, version, section_above(lines, at));
                        if let Some(property) =
                            version.strip_prefix("${").and_then(|v| v.strip_suffix('}'))
                        {
                            declared.property = Some(property.to_string());
                        }
                        LineRole::Requirement(declared)
                    }
                    None => LineRole::Other,
                },
                Some((tag, version)) if is_version_property(tag) => {
                    LineRole::Requirement(Declared::new(tag, version, Section::Property))
                }
                _ => LineRole::Other,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Modelled on a netty-based service pom: versions in `<properties>`, a
    /// `<dependencyManagement>` BOM import and pins, plugins, a chained property.
    pub(crate) const NETTY_POM: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.acme</groupId>
  <artifactId>gateway</artifactId>
  <version>3.2.0</version>

  <properties>
    <java.version>17</java.version>
    <netty.version>4.1.94.Final</netty.version>
    <jackson.version>2.15.2</jackson.version>
    <jackson-databind.version>${jackson.version}</jackson-databind.version>
    <tomcat.version>10.1.13</tomcat.version>
  </properties>

  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>io.netty</groupId>
        <artifactId>netty-bom</artifactId>
        <version>${netty.version}</version>
        <type>pom</type>
        <scope>import</scope>
      </dependency>
      <dependency>
        <groupId>org.apache.tomcat.embed</groupId>
        <artifactId>tomcat-embed-core</artifactId>
        <version>${tomcat.version}</version>
      </dependency>
    </dependencies>
  </dependencyManagement>

  <dependencies>
    <dependency>
      <groupId>com.fasterxml.jackson.core</groupId>
      <artifactId>jackson-databind</artifactId>
      <version>${jackson-databind.version}</version>
    </dependency>
    <dependency>
      <groupId>io.netty</groupId>
      <artifactId>netty-handler</artifactId>
    </dependency>
    <dependency>
      <groupId>org.yaml</groupId>
      <artifactId>snakeyaml</artifactId>
      <version>2.0</version>
    </dependency>
    <dependency>
      <groupId>com.acme</groupId>
      <artifactId>commons</artifactId>
      <version>${project.version}</version>
    </dependency>
  </dependencies>

  <build>
    <plugins>
      <plugin>
        <artifactId>maven-shade-plugin</artifactId>
        <version>3.5.0</version>
      </plugin>
    </plugins>
  </build>
</project>
"#;

    #[test]
    fn reads_properties_management_and_resolves_within_the_file() {
        let requirements = read_pom("pom.xml", NETTY_POM, &DependencyOptions::default()).unwrap();
        let get = |name: &str| {
            requirements
                .iter()
                .find(|r| r.name == name)
                .unwrap_or_else(|| panic!("{name}"))
        };
        let property = get("netty.version");
        assert_eq!(
            (property.section, property.version.as_str(), property.line),
            (Section::Property, "4.1.94.Final", 11)
        );
        let bom = get("io.netty:netty-bom");
        assert_eq!(
            (bom.section, bom.version.as_str(), bom.line),
            (Section::Management, "4.1.94.Final", 11)
        );
        assert_eq!(bom.property.as_deref(), Some("netty.version"));
        let databind = get("com.fasterxml.jackson.core:jackson-databind");
        assert_eq!(
            (databind.version.as_str(), databind.property.as_deref()),
            ("2.15.2", Some("jackson.version"))
        );
        assert_eq!(
            (
                get("org.yaml:snakeyaml").version.as_str(),
                get("org.yaml:snakeyaml").line
            ),
            ("2.0", 47)
        );
        assert_eq!(get("com.acme:commons").version, "3.2.0");
        assert_eq!(
            get("org.apache.maven.plugins:maven-shade-plugin").section,
            Section::Plugins
        );
        // A versionless (managed) dependency is not a requirement of its own.
        assert!(
            !requirements
                .iter()
                .any(|r| r.name == "io.netty:netty-handler")
        );
    }

    #[test]
    fn refuses_dtds_and_entities() {
        let laughs = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;\">]><project><version>&lol2;</version></project>";
        assert!(matches!(
            read_pom("pom.xml", laughs, &DependencyOptions::default()),
            Err(ManifestError::Syntax { .. })
        ));
    }

    #[test]
    fn classifies_pom_lines() {
        let lines = [
            "      <dependency>",
            "        <groupId>io.netty</groupId>",
            "        <artifactId>netty-codec-http</artifactId>",
            "        <version>4.1.108.Final</version>",
            "      </dependency>",
        ];
        let roles = classify_pom(&lines);
        assert!(
            matches!(&roles[3], LineRole::Requirement(d) if d.name == "io.netty:netty-codec-http" && d.version == "4.1.108.Final")
        );
        assert!(
            roles
                .iter()
                .enumerate()
                .all(|(i, r)| i == 3 || *r == LineRole::Neutral)
        );
        let roles = classify_pom(&[
            "    <netty.version>4.1.100.Final</netty.version>",
            "  <version>3.2.1</version>",
            "        <scope>test</scope>",
        ]);
        assert!(
            matches!(&roles[0], LineRole::Requirement(d) if d.section == Section::Property && d.name == "netty.version")
        );
        assert_eq!(roles[1], LineRole::Other);
        assert_eq!(roles[2], LineRole::Other);
    }

    #[test]
    fn a_hunk_version_takes_its_section_from_the_containers_above_it() {
        let section = |lines: &[&str]| match &classify_pom(lines)[lines.len() - 1] {
            LineRole::Requirement(declared) => declared.section,
            other => panic!("{other:?}"),
        };
        let managed = [
            "  <dependencyManagement>",
            "    <dependencies>",
            "      <dependency>",
            "        <groupId>a</groupId>",
            "        <artifactId>first</artifactId>",
            "        <version>1.0</version>",
            "      </dependency>",
            "      <dependency>",
            "        <groupId>b</groupId>",
            "        <artifactId>second</artifactId>",
            "        <version>2.0</version>",
        ];
        assert_eq!(section(&managed), Section::Management);
        assert_eq!(section(&managed[1..]), Section::Unknown);
        let direct = ["  </properties>", "  <dependencies>", "    <dependency>"];
        let direct = [&direct[..], &managed[3..6]].concat();
        assert_eq!(section(&direct), Section::Dependencies);
        let plugin = [
            "      <plugin>",
            "        <artifactId>maven-shade-plugin</artifactId>",
            "        <version>3.5.0</version>",
        ];
        assert_eq!(section(&plugin), Section::Plugins);
    }
}

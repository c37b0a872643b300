//! The issue's proof list, ecosystem by ecosystem: a patch in the shape real distributions
//! carry, release R's manifests modelled on real projects, and the verdict with its evidence.

use super::*;
use crate::dependency::patch::{Analysis, analyze};
use crate::patch::parse_patches;

/// Analyze `patch` and judge it against R's `files` (path, text).
fn run(patch: &str, files: &[(&str, &str)]) -> (DependencyPatch, Judgement) {
    let patches = parse_patches(patch.as_bytes()).unwrap();
    let options = DependencyOptions::default();
    let Analysis::Dependency(dependency_patch) = analyze(&patches[0], 1, &options) else {
        panic!(
            "not a dependency patch: {:?}",
            analyze(&patches[0], 1, &options)
        );
    };
    let files: HashMap<String, Vec<u8>> = files
        .iter()
        .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
        .collect();
    let read = move |path: &str| files.get(path).cloned();
    let judgement = judge(&dependency_patch, &read, &[], &options);
    (dependency_patch, judgement)
}

fn verdict(patch: &str, files: &[(&str, &str)]) -> DependencyVerdict {
    run(patch, files).1.verdict
}

/// A unified diff of one file that replaces `old` lines with `new` lines at line 10.
fn diff(path: &str, context_before: &[&str], old: &[&str], new: &[&str]) -> String {
    let mut text = format!("--- a/{path}\n+++ b/{path}\n");
    let before = context_before.len();
    text.push_str(&format!(
        "@@ -10,{} +10,{} @@\n",
        before + old.len(),
        before + new.len()
    ));
    for line in context_before {
        text.push_str(&format!(" {line}\n"));
    }
    for line in old {
        text.push_str(&format!("-{line}\n"));
    }
    for line in new {
        text.push_str(&format!("+{line}\n"));
    }
    text
}

// --- Go -------------------------------------------------------------------------------------

fn go_mod(net: &str, extra: &str) -> String {
    format!(
        "module k8s.io/kubernetes\n\ngo 1.22.0\n\nrequire (\n\tgithub.com/docker/docker v25.0.6+incompatible\n\tgolang.org/x/net {net}\n\tk8s.io/utils v0.0.0-20230726121419-3b25d923346b\n)\n{extra}"
    )
}

fn go_patch(old: &str, new: &str) -> String {
    diff(
        "go.mod",
        &["require ("],
        &[&format!("\tgolang.org/x/net {old}")],
        &[&format!("\tgolang.org/x/net {new}")],
    )
}

#[test]
fn go_superseded_equal_newer_and_older() {
    let patch = go_patch("v0.23.0", "v0.33.0");
    let (_, judgement) = run(&patch, &[("go.mod", &go_mod("v0.33.0", ""))]);
    assert_eq!(judgement.verdict, DependencyVerdict::Expired);
    match &judgement.dependencies[0].outcome {
        Outcome::Superseded {
            patch,
            release,
            equal,
        } => {
            assert_eq!(
                (
                    patch.as_str(),
                    release.version.as_str(),
                    release.file.as_str(),
                    release.line,
                    *equal
                ),
                ("v0.33.0", "v0.33.0", "go.mod", 7, true)
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        verdict(&patch, &[("go.mod", &go_mod("v0.35.0", ""))]),
        DependencyVerdict::Expired
    );
    assert_eq!(
        verdict(&patch, &[("go.mod", &go_mod("v0.30.0", ""))]),
        DependencyVerdict::Needed
    );
}

#[test]
fn go_replace_in_r_decides_the_effective_version() {
    let patch = go_patch("v0.23.0", "v0.33.0");
    // R requires an old version but replaces it with a newer one.
    let release = go_mod(
        "v0.23.0",
        "\nreplace golang.org/x/net => golang.org/x/net v0.34.0\n",
    );
    assert_eq!(
        verdict(&patch, &[("go.mod", &release)]),
        DependencyVerdict::Expired
    );
    // R requires a new version but replaces it with an old one.
    let release = go_mod(
        "v0.35.0",
        "\nreplace golang.org/x/net => golang.org/x/net v0.20.0\n",
    );
    assert_eq!(
        verdict(&patch, &[("go.mod", &release)]),
        DependencyVerdict::Needed
    );
    // R points the module at a fork: evidence, never a proof.
    let release = go_mod(
        "v0.35.0",
        "\nreplace golang.org/x/net => github.com/fork/net v0.40.0\n",
    );
    let (_, judgement) = run(&patch, &[("go.mod", &release)]);
    assert!(matches!(
        judgement.dependencies[0].outcome,
        Outcome::Replaced { .. }
    ));
    assert_eq!(judgement.verdict, DependencyVerdict::NotFound);
}

#[test]
fn go_pseudo_versions_and_incompatible() {
    let patch = diff(
        "go.mod",
        &["require ("],
        &[
            "\tk8s.io/utils v0.0.0-20230726121419-3b25d923346b",
            "\tgithub.com/docker/docker v24.0.9+incompatible",
        ],
        &[
            "\tk8s.io/utils v0.0.0-20240102154912-e7106e64919e",
            "\tgithub.com/docker/docker v25.0.6+incompatible",
        ],
    );
    let release = "module x\n\nrequire (\n\tgithub.com/docker/docker v26.1.5+incompatible\n\tk8s.io/utils v0.0.0-20240711033017-18e509b52bc8\n)\n";
    assert_eq!(
        verdict(&patch, &[("go.mod", release)]),
        DependencyVerdict::Expired
    );
    // An older pseudo-version in R (earlier timestamp) is older; the tag is still newer.
    let release = "module x\n\nrequire (\n\tgithub.com/docker/docker v26.1.5+incompatible\n\tk8s.io/utils v0.0.0-20231201000000-aaaaaaaaaaaa\n)\n";
    assert_eq!(
        verdict(&patch, &[("go.mod", release)]),
        DependencyVerdict::Partial
    );
    // A tagged release after the pseudo-version's base supersedes it.
    let release = "module x\n\nrequire (\n\tgithub.com/docker/docker v26.1.5+incompatible\n\tk8s.io/utils v0.1.0\n)\n";
    assert_eq!(
        verdict(&patch, &[("go.mod", release)]),
        DependencyVerdict::Expired
    );
}

#[test]
fn go_removed_dependency_is_not_found() {
    let patch = go_patch("v0.23.0", "v0.33.0");
    let release = "module x\n\ngo 1.22\n\nrequire github.com/docker/docker v26.1.5+incompatible\n";
    let (_, judgement) = run(&patch, &[("go.mod", release)]);
    assert!(
        matches!(&judgement.dependencies[0].outcome, Outcome::NotFound { file, .. } if file == "go.mod")
    );
    assert_eq!(judgement.verdict, DependencyVerdict::NotFound);
    // R without a go.mod at all.
    assert_eq!(verdict(&patch, &[]), DependencyVerdict::NotFound);
}

// --- npm ------------------------------------------------------------------------------------

const PACKAGE_JSON_R: &str = r#"{
  "name": "portal",
  "version": "2.0.0",
  "dependencies": {
    "axios": "^1.7.4",
    "express": "^4.19.2"
  },
  "overrides": {
    "follow-redirects": "^1.15.6"
  }
}
"#;

#[test]
fn npm_ranges_and_overrides() {
    let patch = diff(
        "package.json",
        &["  \"dependencies\": {"],
        &["    \"axios\": \"^1.6.0\","],
        &["    \"axios\": \"^1.7.4\","],
    );
    let (_, judgement) = run(&patch, &[("package.json", PACKAGE_JSON_R)]);
    assert_eq!(judgement.verdict, DependencyVerdict::Expired);
    assert!(
        matches!(&judgement.dependencies[0].outcome, Outcome::Superseded { release, equal: true, .. } if release.line == 5)
    );
    let patch = diff(
        "package.json",
        &["  \"dependencies\": {"],
        &["    \"axios\": \"^1.6.0\","],
        &["    \"axios\": \"^1.7.7\","],
    );
    assert_eq!(
        verdict(&patch, &[("package.json", PACKAGE_JSON_R)]),
        DependencyVerdict::Needed
    );
    // A range that admits older versions is not enough, whatever its upper end.
    let release = PACKAGE_JSON_R.replace("^1.7.4", ">=1.5.0 <2");
    let patch = diff(
        "package.json",
        &["  \"dependencies\": {"],
        &["    \"axios\": \"^1.6.0\","],
        &["    \"axios\": \"^1.7.4\","],
    );
    assert_eq!(
        verdict(&patch, &[("package.json", &release)]),
        DependencyVerdict::Needed
    );
    // An override the patch adds, which R declares itself.
    let patch = diff(
        "package.json",
        &["  \"overrides\": {"],
        &[],
        &["    \"follow-redirects\": \"1.15.6\","],
    );
    assert_eq!(
        verdict(&patch, &[("package.json", PACKAGE_JSON_R)]),
        DependencyVerdict::Expired
    );
}

#[test]
fn npm_line_whose_section_the_hunk_does_not_show() {
    // No `"dependencies": {` in view: the line could be an override, so R's lock must agree.
    let patch = diff(
        "package.json",
        &["    \"@babel/core\": \"^7.22.0\","],
        &["    \"axios\": \"^1.6.0\","],
        &["    \"axios\": \"^1.7.4\","],
    );
    assert_eq!(
        verdict(&patch, &[("package.json", PACKAGE_JSON_R)]),
        DependencyVerdict::Expired
    );
    let lock = r#"{"packages": {"node_modules/axios": {"version": "1.7.9"}, "node_modules/x/node_modules/axios": {"version": "1.6.0"}}}"#;
    assert_eq!(
        verdict(
            &patch,
            &[
                ("package.json", PACKAGE_JSON_R),
                ("package-lock.json", lock)
            ]
        ),
        DependencyVerdict::Needed
    );
}

#[test]
fn npm_override_superseded_by_upstreams_lock() {
    let patch = diff(
        "package.json",
        &["  \"overrides\": {"],
        &[],
        &["    \"cross-spawn\": \"7.0.5\","],
    );
    let lock = r#"{
  "lockfileVersion": 3,
  "packages": {
    "node_modules/cross-spawn": {
      "version": "7.0.6"
    }
  }
}"#;
    let (_, judgement) = run(
        &patch,
        &[
            ("package.json", PACKAGE_JSON_R),
            ("package-lock.json", lock),
        ],
    );
    assert_eq!(judgement.verdict, DependencyVerdict::Expired);
    assert!(
        matches!(&judgement.dependencies[0].outcome, Outcome::Superseded { release, .. } if release.file == "package-lock.json" && release.line == 5)
    );
    // Without a lock, the override's dependency is not declared: not found, no expiry.
    assert_eq!(
        verdict(&patch, &[("package.json", PACKAGE_JSON_R)]),
        DependencyVerdict::NotFound
    );
    // R requiring the package directly at a newer range does not cover its transitive copies.
    let direct = PACKAGE_JSON_R.replace(
        "\"express\": \"^4.19.2\"",
        "\"express\": \"^4.19.2\",\n    \"cross-spawn\": \"^7.0.6\"",
    );
    assert!(direct.contains("cross-spawn"));
    assert_eq!(
        verdict(&patch, &[("package.json", &direct)]),
        DependencyVerdict::NotFound
    );
    // Every locked copy must be at or above the pin.
    let two_copies = lock.replace(
        "    \"node_modules/cross-spawn\": {",
        "    \"node_modules/a/node_modules/cross-spawn\": {\n      \"version\": \"6.0.5\"\n    },\n    \"node_modules/cross-spawn\": {",
    );
    let files = [
        ("package.json", PACKAGE_JSON_R),
        ("package-lock.json", two_copies.as_str()),
    ];
    assert_eq!(verdict(&patch, &files), DependencyVerdict::Needed);
}

#[test]
fn an_added_direct_dependency_is_not_superseded_by_upstreams_lock_alone() {
    // code-server carried `"on-headers": "^1.1.0"` added to its dependencies; upstream's
    // lock resolving on-headers 1.1.0 for express does not make upstream require it.
    let lock = r#"{"packages": {"node_modules/cross-spawn": {"version": "7.0.6"}}}"#;
    let files = [
        ("package.json", PACKAGE_JSON_R),
        ("package-lock.json", lock),
    ];
    for context in [
        &["  \"dependencies\": {"][..],
        &["    \"express\": \"^4.19.2\","][..],
    ] {
        let patch = diff(
            "package.json",
            context,
            &[],
            &["    \"cross-spawn\": \"^7.0.5\","],
        );
        assert_eq!(verdict(&patch, &files), DependencyVerdict::NotFound);
    }
    // Raised, not added: the lock still speaks for a dependency R no longer declares directly.
    let patch = diff(
        "package.json",
        &["  \"dependencies\": {"],
        &["    \"cross-spawn\": \"^7.0.3\","],
        &["    \"cross-spawn\": \"^7.0.5\","],
    );
    assert_eq!(verdict(&patch, &files), DependencyVerdict::Expired);
}

#[test]
fn npm_partial_with_a_lock_file_needs_a_refresh() {
    let patch = format!(
        "{}{}",
        diff(
            "package.json",
            &["  \"dependencies\": {"],
            &["    \"axios\": \"^1.6.0\",", "    \"express\": \"^4.18.2\""],
            &["    \"axios\": \"^1.7.4\",", "    \"express\": \"^4.21.2\""],
        ),
        diff(
            "package-lock.json",
            &["    \"node_modules/axios\": {"],
            &["      \"version\": \"1.6.0\","],
            &["      \"version\": \"1.7.4\","],
        )
    );
    let (dependency_patch, judgement) = run(&patch, &[("package.json", PACKAGE_JSON_R)]);
    assert_eq!(judgement.verdict, DependencyVerdict::Partial);
    assert_eq!(
        dependency_patch
            .changes
            .iter()
            .find(|c| c.name == "axios")
            .unwrap()
            .lock_files,
        ["package-lock.json"]
    );
    assert_eq!(
        judgement.shrink(&dependency_patch),
        Some(Shrink::NeedsRefresh {
            files: vec!["package-lock.json".into()]
        })
    );
}

// --- Cargo ----------------------------------------------------------------------------------

const CARGO_TOML_R: &str = r#"[package]
name = "proxy"
version = "0.9.0"

[dependencies]
h2 = "0.4.4"
rustls = { version = "0.23.5", default-features = false }

[patch.crates-io]
mio = { version = "0.8.11", path = "vendor/mio" }
"#;

#[test]
fn cargo_requirements_and_patch_section() {
    let patch = diff(
        "Cargo.toml",
        &["[dependencies]"],
        &["h2 = \"0.3.24\""],
        &["h2 = \"0.4.4\""],
    );
    assert_eq!(
        verdict(&patch, &[("Cargo.toml", CARGO_TOML_R)]),
        DependencyVerdict::Expired
    );
    let patch = diff(
        "Cargo.toml",
        &["[dependencies]"],
        &["rustls = { version = \"0.21.10\" }"],
        &["rustls = { version = \"0.23.18\" }"],
    );
    assert_eq!(
        verdict(&patch, &[("Cargo.toml", CARGO_TOML_R)]),
        DependencyVerdict::Needed
    );
    let patch = diff(
        "Cargo.toml",
        &["[patch.crates-io]"],
        &["mio = { version = \"0.8.9\", path = \"vendor/mio\" }"],
        &["mio = { version = \"0.8.11\", path = \"vendor/mio\" }"],
    );
    let (_, judgement) = run(&patch, &[("Cargo.toml", CARGO_TOML_R)]);
    assert_eq!(judgement.verdict, DependencyVerdict::Expired);
    assert!(
        matches!(&judgement.dependencies[0].outcome, Outcome::Superseded { release, .. } if release.line == 10)
    );
}

#[test]
fn cargo_lock_only_bump() {
    let patch = diff(
        "Cargo.lock",
        &["[[package]]", "name = \"h2\""],
        &["version = \"0.3.24\"", "checksum = \"aaa\""],
        &["version = \"0.3.26\"", "checksum = \"bbb\""],
    );
    let lock =
        "version = 3\n\n[[package]]\nname = \"h2\"\nversion = \"0.4.5\"\nchecksum = \"ccc\"\n";
    let (dependency_patch, judgement) = run(&patch, &[("Cargo.lock", lock)]);
    assert_eq!(judgement.verdict, DependencyVerdict::Expired);
    assert!(dependency_patch.changes[0].needs_refresh());
    assert_eq!(dependency_patch.changes[0].lines.len(), 4);
}

// --- Python ---------------------------------------------------------------------------------

const REQUIREMENTS_R: &str = "Django==4.2.16\nrequests[socks]>=2.32.0  # security\nnumpy==1.24.4; python_version < \"3.9\"\nnumpy==1.26.4; python_version >= \"3.9\"\nurllib3~=2.2.2\n";

#[test]
fn python_extras_and_markers() {
    let patch = diff(
        "requirements.txt",
        &["Django==4.2.11"],
        &["requests[socks]>=2.31.0"],
        &["requests[socks]>=2.32.0"],
    );
    assert_eq!(
        verdict(&patch, &[("requirements.txt", REQUIREMENTS_R)]),
        DependencyVerdict::Expired
    );
    // The marker narrows the comparison to R's line with the same marker.
    let patch = diff(
        "requirements.txt",
        &[],
        &["numpy==1.26.0; python_version >= \"3.9\""],
        &["numpy==1.26.4; python_version >= \"3.9\""],
    );
    let (_, judgement) = run(&patch, &[("requirements.txt", REQUIREMENTS_R)]);
    assert_eq!(judgement.verdict, DependencyVerdict::Expired);
    assert!(
        matches!(&judgement.dependencies[0].outcome, Outcome::Superseded { release, .. } if release.line == 4)
    );
    // `~=2.2.2` admits 2.2.2, below the patch's 2.2.3.
    let patch = diff(
        "requirements.txt",
        &[],
        &["urllib3==2.2.1"],
        &["urllib3==2.2.3"],
    );
    assert_eq!(
        verdict(&patch, &[("requirements.txt", REQUIREMENTS_R)]),
        DependencyVerdict::Needed
    );
}

#[test]
fn python_pyproject_and_locks() {
    let pyproject = "[project]\nname = \"svc\"\ndependencies = [\n    \"jinja2>=3.1.4\",\n]\n";
    let patch = diff(
        "pyproject.toml",
        &["dependencies = ["],
        &["    \"jinja2>=3.1.3\","],
        &["    \"jinja2>=3.1.4\","],
    );
    assert_eq!(
        verdict(&patch, &[("pyproject.toml", pyproject)]),
        DependencyVerdict::Expired
    );
    let patch = diff(
        "uv.lock",
        &["[[package]]", "name = \"jinja2\""],
        &["version = \"3.1.3\""],
        &["version = \"3.1.4\""],
    );
    let lock = "version = 1\n\n[[package]]\nname = \"Jinja2\"\nversion = \"3.1.5\"\n";
    assert_eq!(
        verdict(&patch, &[("uv.lock", lock)]),
        DependencyVerdict::Expired
    );
}

// --- Maven ----------------------------------------------------------------------------------

fn pom(netty: &str, tomcat: &str) -> String {
    format!(
        r#"<project>
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.acme</groupId>
  <artifactId>gateway</artifactId>
  <version>3.3.0</version>
  <properties>
    <netty.version>{netty}</netty.version>
  </properties>
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>org.apache.tomcat.embed</groupId>
        <artifactId>tomcat-embed-core</artifactId>
        <version>{tomcat}</version>
      </dependency>
      <dependency>
        <groupId>io.netty</groupId>
        <artifactId>netty-bom</artifactId>
        <version>${{netty.version}}</version>
        <type>pom</type>
        <scope>import</scope>
      </dependency>
    </dependencies>
  </dependencyManagement>
</project>
"#
    )
}

#[test]
fn maven_properties_and_dependency_management() {
    let property = diff(
        "pom.xml",
        &["  <properties>"],
        &["    <netty.version>4.1.94.Final</netty.version>"],
        &["    <netty.version>4.1.100.Final</netty.version>"],
    );
    let managed = diff(
        "pom.xml",
        &[
            "      <dependency>",
            "        <groupId>org.apache.tomcat.embed</groupId>",
            "        <artifactId>tomcat-embed-core</artifactId>",
        ],
        &["        <version>10.1.13</version>"],
        &["        <version>10.1.16</version>"],
    );
    let both = format!(
        "{property}{}",
        managed.split_once("+++ b/pom.xml\n").unwrap().1
    );
    let (_, judgement) = run(&both, &[("pom.xml", &pom("4.1.108.Final", "10.1.16"))]);
    assert_eq!(judgement.verdict, DependencyVerdict::Expired);
    assert!(
        matches!(&judgement.dependencies[0].outcome, Outcome::Superseded { release, equal: false, .. } if release.line == 7)
    );
    assert!(
        matches!(&judgement.dependencies[1].outcome, Outcome::Superseded { release, equal: true, .. } if release.line == 14)
    );
    // Netty newer, tomcat older: partial, and a pom shrinks by dropping the property's lines.
    let (dependency_patch, judgement) =
        run(&both, &[("pom.xml", &pom("4.1.108.Final", "10.1.15"))]);
    assert_eq!(judgement.verdict, DependencyVerdict::Partial);
    let netty_lines = dependency_patch.changes[0].lines.clone();
    assert_eq!(
        judgement.shrink(&dependency_patch),
        Some(Shrink::Drop(netty_lines))
    );
    // `4.1.100.Final` and `4.1.100` are the same Maven version.
    assert_eq!(
        verdict(&property, &[("pom.xml", &pom("4.1.100", "10.1.16"))]),
        DependencyVerdict::Expired
    );
    // R dropped the property: not found.
    let without = pom("x", "10.1.16").replace("    <netty.version>x</netty.version>\n", "");
    assert_eq!(
        verdict(&property, &[("pom.xml", &without)]),
        DependencyVerdict::NotFound
    );
}

// --- RubyGems and Gradle --------------------------------------------------------------------

#[test]
fn rubygems_lock_and_gemspec() {
    let patch = diff(
        "Gemfile.lock",
        &["  specs:"],
        &["    rack (2.2.8)"],
        &["    rack (2.2.8.1)"],
    );
    let lock = "GEM\n  remote: https://rubygems.org/\n  specs:\n    rack (3.0.11)\n";
    assert_eq!(
        verdict(&patch, &[("Gemfile.lock", lock)]),
        DependencyVerdict::Expired
    );
    let patch = diff(
        "acme.gemspec",
        &[],
        &["  spec.add_dependency \"nokogiri\", \">= 1.15.0\""],
        &["  spec.add_dependency \"nokogiri\", \">= 1.16.5\""],
    );
    let gemspec =
        "Gem::Specification.new do |spec|\n  spec.add_dependency \"nokogiri\", \"~> 1.16\"\nend\n";
    assert_eq!(
        verdict(&patch, &[("acme.gemspec", gemspec)]),
        DependencyVerdict::Needed
    );
}

#[test]
fn gradle_catalog_and_script() {
    let patch = diff(
        "gradle/libs.versions.toml",
        &["[versions]"],
        &["netty = \"4.1.94.Final\""],
        &["netty = \"4.1.100.Final\""],
    );
    let catalog = "[versions]\nnetty = \"4.1.108.Final\"\n\n[libraries]\nnetty-handler = { module = \"io.netty:netty-handler\", version.ref = \"netty\" }\n";
    assert_eq!(
        verdict(&patch, &[("gradle/libs.versions.toml", catalog)]),
        DependencyVerdict::Expired
    );
    let patch = diff(
        "build.gradle",
        &["dependencies {"],
        &["    implementation 'org.yaml:snakeyaml:1.33'"],
        &["    implementation 'org.yaml:snakeyaml:2.0'"],
    );
    let script = "dependencies {\n    implementation 'org.yaml:snakeyaml:2.2'\n}\n";
    assert_eq!(
        verdict(&patch, &[("build.gradle", script)]),
        DependencyVerdict::Expired
    );
}

// --- What is not a dependency patch, and removals ---------------------------------------------

#[test]
fn a_removed_requirement_must_be_gone_from_r_too() {
    let patch = diff(
        "requirements.txt",
        &["Django==4.2.11"],
        &["pycrypto==2.6.1"],
        &[],
    );
    assert_eq!(
        verdict(&patch, &[("requirements.txt", "Django==4.2.16\n")]),
        DependencyVerdict::Expired
    );
    assert_eq!(
        verdict(&patch, &[("requirements.txt", "pycrypto==2.6.1\n")]),
        DependencyVerdict::Needed
    );
}

#[test]
fn an_unreadable_manifest_in_r_never_proves() {
    let patch = go_patch("v0.23.0", "v0.33.0");
    let files: HashMap<String, Vec<u8>> = [("go.mod".to_string(), vec![0xff, 0xfe])].into();
    let patches = parse_patches(patch.as_bytes()).unwrap();
    let options = DependencyOptions::default();
    let Analysis::Dependency(dependency_patch) = analyze(&patches[0], 1, &options) else {
        panic!()
    };
    let judgement = judge(&dependency_patch, &|p| files.get(p).cloned(), &[], &options);
    assert!(matches!(
        judgement.dependencies[0].outcome,
        Outcome::Unreadable { .. }
    ));
    assert_eq!(judgement.verdict, DependencyVerdict::NotFound);
}

#[test]
fn a_recorded_replacement_is_evidence_not_proof() {
    let patch = diff(
        "pom.xml",
        &[
            "      <dependency>",
            "        <groupId>io.netty</groupId>",
            "        <artifactId>netty-all</artifactId>",
        ],
        &["        <version>4.1.94.Final</version>"],
        &["        <version>4.1.100.Final</version>"],
    );
    let release = "<project><dependencies><dependency><groupId>io.netty</groupId><artifactId>netty-handler</artifactId><version>4.1.108.Final</version></dependency></dependencies></project>";
    let patches = parse_patches(patch.as_bytes()).unwrap();
    let options = DependencyOptions::default();
    let Analysis::Dependency(dependency_patch) = analyze(&patches[0], 1, &options) else {
        panic!()
    };
    let replacements = [Replacement {
        from: "io.netty:netty-all".into(),
        to: "io.netty:netty-handler".into(),
    }];
    let read = |p: &str| (p == "pom.xml").then(|| release.as_bytes().to_vec());
    let judgement = judge(&dependency_patch, &read, &replacements, &options);
    assert!(
        matches!(&judgement.dependencies[0].outcome, Outcome::Replaced { by, .. } if by == "io.netty:netty-handler")
    );
    assert_eq!(judgement.verdict, DependencyVerdict::NotFound);
}

//! Hostile manifests and patches for the dependency readers (`mindelta::dependency`): huge
//! files, deep nesting, entity bombs, absurd versions, and inputs shaped to make a reader
//! quadratic. Each is refused with a named error or bounded, never a crash or a hang.

use mindelta::dependency::judge::{DependencyVerdict, judge};
use mindelta::dependency::patch::{Analysis, NotDependency, analyze};
use mindelta::dependency::reader::read;
use mindelta::dependency::version::{Comparison, compare};
use mindelta::dependency::{
    DependencyOptions, Ecosystem, ManifestError, ManifestKind, Outcome, bump,
};
use mindelta::patch::parse_patches;
use std::collections::HashMap;

fn options() -> DependencyOptions {
    DependencyOptions::default()
}

fn read_error(
    kind: ManifestKind,
    file: &str,
    text: &[u8],
    options: &DependencyOptions,
) -> ManifestError {
    match read(kind, file, text, options) {
        Err(error) => error,
        Ok(list) => panic!("`{file}` was accepted with {} requirements", list.len()),
    }
}

#[test]
fn a_manifest_over_the_size_bound_is_refused_with_its_name() {
    let mut small = options();
    small.max_manifest_bytes = 1 << 20;
    let mut text = String::from("{\"dependencies\": {");
    while text.len() <= 2 << 20 {
        text.push_str(&format!("\"p{}\": \"1.0.0\", ", text.len()));
    }
    text.push_str("\"last\": \"1.0.0\"}}");
    let error = read_error(
        ManifestKind::PackageJson,
        "web/package.json",
        text.as_bytes(),
        &small,
    );
    assert!(matches!(error, ManifestError::TooLarge { limit, .. } if limit == 1 << 20));
    assert!(error.to_string().contains("`web/package.json`"), "{error}");
}

#[test]
fn deeply_nested_json_and_toml_are_refused_before_a_parser_recurses() {
    for (kind, file, text) in [
        (
            ManifestKind::PackageJson,
            "package.json",
            format!("{{\"overrides\": {}", "{\"a\": ".repeat(500_000)),
        ),
        (
            ManifestKind::PackageLock,
            "package-lock.json",
            "[".repeat(1_000_000),
        ),
        (
            ManifestKind::CargoToml,
            "Cargo.toml",
            format!("[dependencies]\nserde = {}", "[".repeat(1_000_000)),
        ),
        (
            ManifestKind::Pyproject,
            "pyproject.toml",
            format!("[project]\ndependencies = {}", "{a = ".repeat(300_000)),
        ),
        (
            ManifestKind::GradleCatalog,
            "gradle/libs.versions.toml",
            format!("[versions]\nx = {}", "[".repeat(1_000_000)),
        ),
    ] {
        let error = read_error(kind, file, text.as_bytes(), &options());
        assert!(
            matches!(error, ManifestError::TooDeep { limit: 256, .. }),
            "{file}: {error}"
        );
        assert!(
            error.to_string().contains("nesting deeper than 256 levels"),
            "{error}"
        );
    }
}

#[test]
fn deeply_nested_xml_is_read_without_recursion_or_bounded() {
    let depth = 200_000;
    let pom = format!(
        "<project>{}{}</project>",
        "<a>".repeat(depth),
        "</a>".repeat(depth)
    );
    // roxmltree parses iteratively: the pom reads (nothing declared) without exhausting the stack.
    assert_eq!(
        read(ManifestKind::Pom, "pom.xml", pom.as_bytes(), &options()).unwrap(),
        []
    );
    let mut small = options();
    small.max_xml_nodes = 10_000;
    let error = read_error(ManifestKind::Pom, "pom.xml", pom.as_bytes(), &small);
    assert!(matches!(error, ManifestError::TooLarge { .. }), "{error}");
}

#[test]
fn an_entity_bomb_is_refused_because_no_dtd_is_read() {
    let mut bomb =
        String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE project [\n  <!ENTITY lol \"lol\">\n");
    for level in 1..10 {
        let previous = if level == 1 {
            "lol".to_string()
        } else {
            format!("lol{}", level - 1)
        };
        bomb.push_str(&format!(
            "  <!ENTITY lol{level} \"{}\">\n",
            format!("&{previous};").repeat(10)
        ));
    }
    bomb.push_str(
        "]>\n<project><properties><x.version>&lol9;</x.version></properties></project>\n",
    );
    let error = read_error(ManifestKind::Pom, "pom.xml", bomb.as_bytes(), &options());
    assert!(matches!(error, ManifestError::Syntax { .. }), "{error}");
    assert!(error.to_string().contains("DTD"), "{error}");
    // An external entity is refused the same way (nothing is ever fetched or opened).
    let external = "<?xml version=\"1.0\"?><!DOCTYPE p [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><project><version>&x;</version></project>";
    assert!(matches!(
        read_error(
            ManifestKind::Pom,
            "pom.xml",
            external.as_bytes(),
            &options()
        ),
        ManifestError::Syntax { .. }
    ));
}

#[test]
fn absurd_versions_are_unordered_not_parsed() {
    let long_number = format!("v1.{}.0", "9".repeat(1 << 20));
    let nested_maven = "1-".repeat(500_000);
    let cases = [
        (Ecosystem::Go, "v1.0.0", long_number.as_str()),
        (Ecosystem::Maven, "1.0", nested_maven.as_str()),
        (Ecosystem::Gradle, "1.0", nested_maven.as_str()),
        (Ecosystem::Npm, "^1.0.0", &*"||1.0.0".repeat(300_000)),
        (Ecosystem::Python, ">=1.0", &*",>=1.0".repeat(300_000)),
        (Ecosystem::Cargo, "1.0", &*"1.".repeat(300_000)),
        (Ecosystem::RubyGems, ">= 1.0", &*"1.a".repeat(300_000)),
    ];
    for (ecosystem, patch, release) in cases {
        match compare(ecosystem, patch, release, options().max_version_bytes) {
            Comparison::Unordered { reason } => {
                assert!(reason.contains("longer than 256 bytes"), "{reason}")
            }
            other => panic!("{ecosystem}: {other:?}"),
        }
    }
    // Oddities within the bound order without panicking.
    for text in [
        "", "-", "..", "v", "v-", "1..-.-", "\u{0668}", "~>", "^", ">", "==",
    ] {
        for ecosystem in [
            Ecosystem::Go,
            Ecosystem::Npm,
            Ecosystem::Cargo,
            Ecosystem::Python,
            Ecosystem::Maven,
            Ecosystem::Gradle,
            Ecosystem::RubyGems,
        ] {
            let _ = compare(ecosystem, text, "1.0", 256);
            let _ = compare(ecosystem, "1.0", text, 256);
        }
    }
}

#[test]
fn a_patch_raising_to_an_absurd_version_is_not_a_dependency_patch() {
    let version = format!("v0.{}", "1".repeat(100_000));
    let patch = format!(
        "--- a/go.mod\n+++ b/go.mod\n@@ -1,3 +1,3 @@ require (\n \tgithub.com/a/b v1.0.0\n-\tgolang.org/x/net v0.23.0\n+\tgolang.org/x/net {version}\n )\n"
    );
    let patches = parse_patches(patch.as_bytes()).unwrap();
    assert!(matches!(
        analyze(&patches[0], 1, &options()),
        Analysis::NotDependency(NotDependency::Unordered { .. })
    ));
}

#[test]
fn a_huge_property_is_not_copied_into_every_dependency() {
    let big = "9".repeat(4 << 20);
    let mut pom = format!(
        "<project><properties><big.version>{big}</big.version><ok.version>1.2.3</ok.version></properties><dependencies>"
    );
    for i in 0..5_000 {
        let version = if i % 2 == 0 {
            "${big.version}"
        } else {
            "${ok.version}"
        };
        pom.push_str(&format!("<dependency><groupId>g</groupId><artifactId>a{i}</artifactId><version>{version}</version></dependency>"));
    }
    pom.push_str("</dependencies></project>");
    let requirements = read(ManifestKind::Pom, "pom.xml", pom.as_bytes(), &options()).unwrap();
    let total: usize = requirements.iter().map(|r| r.version.len()).sum();
    assert!(total < 16 << 20, "resolved versions hold {total} bytes");
    assert_eq!(
        requirements
            .iter()
            .find(|r| r.name == "g:a0")
            .unwrap()
            .version,
        "${big.version}"
    );
    assert_eq!(
        requirements
            .iter()
            .find(|r| r.name == "g:a1")
            .unwrap()
            .version,
        "1.2.3"
    );
    // A cycle of properties ends.
    let cycle = "<project><properties><a.version>${b.version}</a.version><b.version>${a.version}</b.version></properties><dependencies><dependency><groupId>g</groupId><artifactId>x</artifactId><version>${a.version}</version></dependency></dependencies></project>";
    assert!(
        read(ManifestKind::Pom, "pom.xml", cycle.as_bytes(), &options())
            .unwrap()
            .iter()
            .any(|r| r.name == "g:x")
    );
}

#[test]
fn many_changes_against_a_large_lock_stay_linear() {
    // 20 000 pins raised in one requirements file, judged against a lock-sized R: pairing and
    // look-ups are indexed (a pairwise search would make 4·10⁸ comparisons here).
    let count = 20_000;
    let mut patch =
        format!("--- a/requirements.txt\n+++ b/requirements.txt\n@@ -1,{count} +1,{count} @@\n");
    for i in 0..count {
        patch.push_str(&format!("-pkg{i}==1.0.0\n"));
    }
    for i in 0..count {
        patch.push_str(&format!("+pkg{i}==1.0.1\n"));
    }
    let patches = parse_patches(patch.as_bytes()).unwrap();
    let Analysis::Dependency(dependency_patch) = analyze(&patches[0], 1, &options()) else {
        panic!()
    };
    assert_eq!(dependency_patch.changes.len(), count);
    let release: String = (0..count)
        .map(|i| format!("pkg{i}==1.0.{}\n", i % 3))
        .collect();
    let files: HashMap<String, Vec<u8>> =
        [("requirements.txt".to_string(), release.into_bytes())].into();
    let judgement = judge(
        &dependency_patch,
        &|path| files.get(path).cloned(),
        &[],
        &options(),
    );
    assert_eq!(judgement.verdict, DependencyVerdict::Partial);
    let superseded = judgement
        .dependencies
        .iter()
        .filter(|j| j.outcome.is_superseded())
        .count();
    assert_eq!(superseded, count - count.div_ceil(3));
}

#[test]
fn a_many_version_hunk_of_a_pom_stays_linear() {
    let mut patch = String::from("--- a/pom.xml\n+++ b/pom.xml\n");
    // Each `<version>` line looks for its artifact at most 64 lines each way, not the whole hunk.
    let count = 5_000;
    patch.push_str(&format!("@@ -1,{count} +1,{count} @@\n"));
    for _ in 0..count {
        patch.push_str("-<version>1.0</version>\n");
    }
    for _ in 0..count {
        patch.push_str("+<version>2.0</version>\n");
    }
    let patches = parse_patches(patch.as_bytes()).unwrap();
    // No artifact in view: the project's own version, not a requirement.
    assert!(matches!(
        analyze(&patches[0], 1, &options()),
        Analysis::NotDependency(NotDependency::OtherChange { line: 1, .. })
    ));
}

#[test]
fn unreadable_manifests_in_r_are_evidence_not_crashes() {
    let patch = "--- a/package.json\n+++ b/package.json\n@@ -1,3 +1,3 @@\n   \"dependencies\": {\n-    \"axios\": \"^1.6.0\"\n+    \"axios\": \"^1.7.4\"\n   }\n";
    let patches = parse_patches(patch.as_bytes()).unwrap();
    let Analysis::Dependency(dependency_patch) = analyze(&patches[0], 1, &options()) else {
        panic!()
    };
    for release in [
        vec![0xff, 0xfe, 0x00],
        "{\"dependencies\": {\"axios\": ".as_bytes().to_vec(),
        "[".repeat(100_000).into_bytes(),
    ] {
        let judgement = judge(
            &dependency_patch,
            &|_| Some(release.clone()),
            &[],
            &options(),
        );
        assert!(
            matches!(&judgement.dependencies[0].outcome, Outcome::Unreadable { file, .. } if file == "package.json")
        );
        assert_eq!(judgement.verdict, DependencyVerdict::NotFound);
    }
}

#[test]
fn malformed_go_bump_steps_are_errors_and_huge_ones_are_bounded() {
    assert!(bump::judge_bump("golang.org/x/net", "", "go.mod", b"module x\n", &options()).is_err());
    let deps: String = (0..20_000)
        .map(|i| format!("example.com/m{i}@v1.0.{i} "))
        .collect();
    let go_mod: String = std::iter::once("module x\n\nrequire (\n".to_string())
        .chain((0..20_000).map(|i| format!("\texample.com/m{i} v1.0.{}\n", i + 1)))
        .chain(std::iter::once(")\n".to_string()))
        .collect();
    let judgement = bump::judge_bump(&deps, "", "go.mod", go_mod.as_bytes(), &options()).unwrap();
    assert_eq!(judgement.verdict, DependencyVerdict::Expired);
}

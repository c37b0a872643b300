//! Tests of policy loading, reference checks and evaluation.

use super::compile::unreserve_package;
use super::schema::{self, Shape};
use super::*;
use crate::audit::report::{
    Location, OldestPatch, PackageReport, PatchHeader, PatchReport, Severity, UpstreamReport,
};

fn load(text: &str) -> Result<PolicySet, PolicyError> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("policies").join("test.yaml");
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(&path, text).expect("write");
    PolicySet::load(&[dir.path().join("policies")], dir.path())
}

fn error_text(text: &str) -> String {
    load(text).expect_err("an invalid policy").to_string()
}

fn package() -> PackageReport {
    PackageReport {
        name: "demo".into(),
        version: "1.0".into(),
        manifest: "patches/demo/package.yaml".into(),
        manifest_line: 3,
        upstream: UpstreamReport {
            kind: "tarball".into(),
            url: "https://example.org/demo.tar.gz".into(),
            ..UpstreamReport::default()
        },
        patches: vec![
            PatchReport {
                file: "0001.patch".into(),
                path: "patches/demo/0001.patch".into(),
                line: 7,
                status: Some("backport".into()),
                fixed_in: Some(">=1.1".into()),
                ..PatchReport::default()
            },
            PatchReport {
                file: "0002.patch".into(),
                path: "patches/demo/0002.patch".into(),
                line: 9,
                status: Some("backport".into()),
                ..PatchReport::default()
            },
        ],
        ..PackageReport::default()
    }
}

const BACKPORT: &str = "rules:\n  - id: backport-expires\n    severity: error\n    subject: patch\n    message: A backport must say when it expires\n    when: patch.status == 'backport'\n    require: has(patch.fixed_in) || has(patch.upstream_commit)\n";

#[test]
fn a_rule_fires_where_require_is_false() {
    let set = load(BACKPORT).expect("policy");
    let findings = set.evaluate(&package()).unwrap();
    assert_eq!(findings.len(), 1, "{findings:?}");
    let finding = &findings[0];
    assert_eq!(finding.rule, "backport-expires");
    assert_eq!(finding.severity, Severity::Error);
    assert_eq!(finding.patch.as_deref(), Some("0002.patch"));
    assert_eq!(
        finding.location,
        Location {
            file: "patches/demo/package.yaml".into(),
            line: 9
        }
    );
    assert_eq!(finding.policy, "policies/test.yaml");
}

#[test]
fn package_rules_see_the_package_and_iterate_its_patches() {
    let set = load(
        "rules:\n  - id: checksum\n    severity: warning\n    subject: package\n    message: no checksum\n    when: package.upstream.kind == 'tarball'\n    require: has(package.upstream.sha256)\n  - id: all-expire\n    severity: info\n    subject: package\n    message: some patch does not expire\n    require: package.patches.all(p, size(p.expiry) > 0)\n",
    )
    .expect("policy");
    let findings = set.evaluate(&package()).unwrap();
    let rules: Vec<&str> = findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(rules, vec!["checksum", "all-expire"]);
    assert_eq!(findings[0].location.line, 3);
    assert_eq!(findings[0].patch, None);
}

#[test]
fn at_patch_points_to_the_patch_file() {
    let set = load(&BACKPORT.replace("    when:", "    at: patch\n    when:")).expect("policy");
    let findings = set.evaluate(&package()).unwrap();
    assert_eq!(
        findings[0].location,
        Location {
            file: "patches/demo/0002.patch".into(),
            line: 1
        }
    );
}

#[test]
fn an_unknown_field_names_file_line_rule_and_a_suggestion() {
    let text = error_text(&BACKPORT.replace("has(patch.fixed_in)", "has(patch.fixd_in)"));
    assert!(text.contains("test.yaml"), "{text}");
    assert!(text.contains("line 7"), "{text}");
    assert!(text.contains("rule `backport-expires`"), "{text}");
    assert!(text.contains("`patch.fixd_in`"), "{text}");
    assert!(text.contains("did you mean `fixed_in`"), "{text}");
}

#[test]
fn references_are_checked_inside_macros_and_nested_objects() {
    for (expression, wanted) in [
        ("package.patches.exists(p, p.fixd_in == '1')", "fixd_in"),
        ("patch.header.orign == 'x'", "orign"),
        ("pakage.delta.added < 10", "unknown name `pakage`"),
        ("package.delta.added.value < 10", "has no field"),
        ("package.patches[0].sttus == 'x'", "sttus"),
    ] {
        let text = error_text(&BACKPORT.replace(
            "has(patch.fixed_in) || has(patch.upstream_commit)",
            expression,
        ));
        assert!(text.contains(wanted), "{expression}: {text}");
    }
    // Map keys are free, loop variables are known, type names are allowed.
    for expression in [
        "package.by_status.pending < 3",
        "package.patches.all(p, p.header.cves.all(c, c.startsWith('CVE-')))",
        "type(patch.line) == int",
        "patch.header.upstream_status.lowerAscii() == patch.status",
        "patch.cves.exists(c, c.matches('^CVE-[0-9]+-[0-9]+$'))",
    ] {
        load(&BACKPORT.replace(
            "has(patch.fixed_in) || has(patch.upstream_commit)",
            expression,
        ))
        .unwrap_or_else(|e| panic!("{expression}: {e}"));
    }
}

#[test]
fn patch_is_unknown_to_package_rules() {
    let text = error_text(&BACKPORT.replace("subject: patch", "subject: package"));
    assert!(
        text.contains("only available to rules with `subject: patch`"),
        "{text}"
    );
}

#[test]
fn syntax_errors_and_bad_keys_are_located() {
    let text = error_text(&BACKPORT.replace("patch.status == 'backport'", "patch.status == "));
    assert!(text.contains("line 6") && text.contains("`when`"), "{text}");
    let text = error_text(&BACKPORT.replace("severity: error", "severity: fatal"));
    assert!(text.contains("line 3") && text.contains("fatal"), "{text}");
    let text = error_text(&BACKPORT.replace("    when:", "    wen:"));
    assert!(text.contains("line 6") && text.contains("wen"), "{text}");
    let text = error_text(&format!("{BACKPORT}{}", &BACKPORT[7..]));
    assert!(text.contains("already used"), "{text}");
}

#[test]
fn an_expression_that_fails_is_an_error_finding() {
    let set = load(&BACKPORT.replace(
        "has(patch.fixed_in) || has(patch.upstream_commit)",
        "patch.fixed_in != ''",
    ))
    .expect("policy");
    let findings = set.evaluate(&package()).unwrap();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].severity, Severity::Error);
    assert!(
        findings[0].message.contains("cannot be evaluated"),
        "{findings:?}"
    );
}

#[test]
fn version_compare_uses_mindelta_order() {
    let set = load(&BACKPORT.replace(
        "has(patch.fixed_in) || has(patch.upstream_commit)",
        "version_compare(package.version, '1.10') < 0 && version_compare('1.10', '1.9') == 1",
    ))
    .expect("policy");
    assert!(set.evaluate(&package()).unwrap().is_empty());
}

/// Every key of a fully populated report is in the schema, so no real field is refused.
#[test]
fn the_schema_covers_every_report_field() {
    let mut report = package();
    report.latest = Some("1.1".into());
    report.outdated = Some(true);
    report.upstream.sha256 = Some("0".repeat(64));
    report.upstream.git = Some("https://example.org/demo.git".into());
    report.by_status.insert("pending".into(), 1);
    report.oldest_pending = Some(OldestPatch {
        package: Some("demo".into()),
        file: "a".into(),
        status: "pending".into(),
        age_days: 3,
    });
    report.release = Some("1.1".into());
    report.by_verdict = Some([("needed".to_string(), 1)].into());
    report.patches[0] = PatchReport {
        reason: Some("r".into()),
        age_days: Some(1),
        added: Some("2026-01-01".into()),
        upstream_commit: Some("abc1234".into()),
        upstream_url: Some("u".into()),
        cves: vec!["CVE-1".into()],
        expiry: vec!["fixed-in".into()],
        verdict: Some("needed".into()),
        verdict_reason: Some("content".into()),
        header: PatchHeader {
            subject: Some("s".into()),
            author: Some("a".into()),
            date: Some("d".into()),
            description: Some("d".into()),
            origin: Some("o".into()),
            forwarded: Some("f".into()),
            applied_upstream: Some("a".into()),
            applied_in: Some("1".into()),
            last_update: Some("l".into()),
            upstream_status: Some("u".into()),
            upstream_status_reason: Some("r".into()),
            commit: Some("c".into()),
            bugs: vec!["b".into()],
            cves: vec!["c".into()],
            upstream_commits: vec!["c".into()],
            cve_tags: vec!["CVE-1".into()],
            keys: vec!["k".into()],
        },
        ..report.patches[0].clone()
    };
    let json = serde_json::to_value(&report).expect("json");
    let mut missing = Vec::new();
    covered(&json, &schema::package(), "package", &mut missing);
    assert!(missing.is_empty(), "not in the schema: {missing:?}");
}

fn covered(value: &serde_json::Value, shape: &Shape, path: &str, missing: &mut Vec<String>) {
    match (value, shape) {
        (serde_json::Value::Object(fields), Shape::Object(known)) => {
            for (key, value) in fields {
                match known.iter().find(|(name, _)| name == key) {
                    Some((_, shape)) => covered(value, shape, &format!("{path}.{key}"), missing),
                    None => missing.push(format!("{path}.{key}")),
                }
            }
        }
        (serde_json::Value::Array(items), Shape::List(element)) => {
            for item in items {
                covered(item, element, &format!("{path}[]"), missing);
            }
        }
        (serde_json::Value::Object(_), Shape::Map(_)) | (_, Shape::Scalar | Shape::Any) => {}
        _ => missing.push(format!("{path} (shape)")),
    }
}

#[test]
fn package_is_renamed_only_where_it_is_the_variable() {
    assert_eq!(
        unreserve_package("package.name == 'package' && x.package && packages"),
        "__pkg__.name == 'package' && x.package && packages"
    );
    assert_eq!(
        unreserve_package(r#"has(package.upstream.sha256) || "a\"package" == package.name"#),
        r#"has(__pkg__.upstream.sha256) || "a\"package" == __pkg__.name"#
    );
}

#[test]
fn a_rule_over_its_budget_is_an_error_once_and_then_not_evaluated_again() {
    let set = load(&BACKPORT.replace(
        "has(patch.fixed_in) || has(patch.upstream_commit)",
        "package.patches.all(p, package.patches.all(q, p.file != '' && q.file != ''))",
    ))
    .expect("policy")
    .with_budget(Budget {
        steps: 20,
        ..Budget::default()
    });
    let error = set.evaluate(&package()).expect_err("over budget");
    assert!(
        matches!(&error, PolicyError::Budget { rule, line: 2, exhausted: Exhausted::Steps, .. } if rule == "backport-expires"),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "`policies/test.yaml` line 2, rule `backport-expires`: the evaluation exceeded its budget of 20 steps"
    );
    // Tripped: the next package gets the same error without a second evaluation.
    assert_eq!(
        set.evaluate(&package())
            .expect_err("still over")
            .to_string(),
        error.to_string()
    );
    // Within budget, the same rule evaluates as before.
    let set = load(&BACKPORT.replace(
        "has(patch.fixed_in) || has(patch.upstream_commit)",
        "package.patches.all(p, package.patches.all(q, p.file != '' && q.file != ''))",
    ))
    .expect("policy");
    assert!(set.evaluate(&package()).unwrap().is_empty());
}

/// The shape read from the report types has their optional fields, lists and maps.
#[test]
fn the_schema_is_derived_from_the_report_types() {
    let Shape::Object(package) = schema::package() else {
        panic!("package is an object")
    };
    let field = |fields: &[(&str, Shape)], name: &str| {
        fields
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, shape)| shape.clone())
            .unwrap_or_else(|| panic!("no `{name}`"))
    };
    assert!(matches!(field(&package, "latest"), Shape::Scalar));
    assert!(matches!(field(&package, "by_verdict"), Shape::Map(_)));
    assert!(matches!(
        field(&package, "oldest_pending"),
        Shape::Object(_)
    ));
    let Shape::List(patch) = field(&package, "patches") else {
        panic!("patches is a list")
    };
    let Shape::Object(patch) = *patch else {
        panic!("a patch is an object")
    };
    let Shape::Object(header) = field(&patch, "header") else {
        panic!("header is an object")
    };
    assert!(matches!(field(&header, "cves"), Shape::List(_)));
    assert!(matches!(field(&patch, "verdict_reason"), Shape::Scalar));
}

/// A pack that judges only the patches with an `Upstream-Status:` line, when picked.
const SCOPED: &str = "name: scoped\napplies-to:\n  header-fields: [Upstream-Status, Bug-*]\nrules:\n  - id: all-patches\n    severity: info\n    subject: patch\n    message: seen\n    require: 'false'\n  - id: the-package\n    severity: info\n    subject: package\n    message: seen\n    require: 'false'\n";

fn with_keys(keys: [&[&str]; 2]) -> PackageReport {
    let mut package = package();
    for (patch, keys) in package.patches.iter_mut().zip(keys) {
        patch.header.keys = keys.iter().map(|k| k.to_string()).collect();
    }
    package
}

fn fired(set: &PolicySet, package: &PackageReport) -> Vec<String> {
    set.evaluate(package)
        .unwrap()
        .iter()
        .map(|f| format!("{}:{}", f.rule, f.patch.as_deref().unwrap_or("-")))
        .collect()
}

#[test]
fn a_picked_pack_judges_only_the_patches_its_applies_to_selects() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scoped.yaml");
    std::fs::write(&path, SCOPED).unwrap();
    let picked = PolicySet::load_sources(&[PolicySource::File(path.clone())], dir.path(), true)
        .expect("policy");
    assert_eq!(picked.packs()[0].name, "scoped");
    let package = with_keys([&["Description"], &["upstream-status", "From"]]);
    assert_eq!(
        fired(&picked, &package),
        vec!["the-package:-", "all-patches:0002.patch"]
    );
    // `Bug-*` matches any `Bug-<vendor>` field, in any case.
    let package = with_keys([&["bug-Debian"], &[]]);
    assert_eq!(
        fired(&picked, &package),
        vec!["the-package:-", "all-patches:0001.patch"]
    );
    // No patch selected: neither the patch rules nor the package rules run.
    assert!(fired(&picked, &with_keys([&["Bug"], &["Description"]])).is_empty());
    // Named by the user (`--policy`), the pack judges every patch.
    let named = PolicySet::load(&[path], dir.path()).expect("policy");
    assert_eq!(named.packs()[0].scope, None);
    assert_eq!(fired(&named, &with_keys([&[], &[]])).len(), 3);
}

#[test]
fn applies_to_is_checked_when_loading() {
    let text = error_text(&SCOPED.replace("[Upstream-Status, Bug-*]", "[Upstream Status]"));
    assert!(
        text.contains("line 3") && text.contains("`Upstream Status`"),
        "{text}"
    );
    let text = error_text(&SCOPED.replace("[Upstream-Status, Bug-*]", "[]"));
    assert!(text.contains("line 3") && text.contains("empty"), "{text}");
    let text = error_text(&SCOPED.replace("header-fields", "header-field"));
    assert!(
        text.contains("line 3") && text.contains("header-field"),
        "{text}"
    );
    let text = error_text(&SCOPED.replace("[Upstream-Status, Bug-*]", "Upstream-Status"));
    assert!(text.contains("line 3"), "{text}");
}

#[test]
fn the_built_in_packs_load_with_their_scopes() {
    let sources: Vec<PolicySource> = builtin::BUILTIN_PACKS
        .iter()
        .map(PolicySource::Builtin)
        .collect();
    let set = PolicySet::load_sources(&sources, std::path::Path::new("."), true).expect("packs");
    let names: Vec<&str> = set.packs().iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, vec!["delta-minimization", "dep3", "yocto"]);
    assert_eq!(set.packs()[0].scope, None);
    let dep3 = set.packs()[1].scope.as_ref().expect("dep3 is scoped");
    assert!(dep3.admits(&["Description".into()]));
    assert!(!dep3.admits(&["Subject".into(), "From".into(), "Upstream-Status".into()]));
    let yocto = set.packs()[2].scope.as_ref().expect("yocto is scoped");
    assert!(yocto.admits(&["Upstream-Status".into()]));
    assert!(!yocto.admits(&["Description".into()]));
    assert_eq!(set.packs()[1].policy, "built-in dep3.yaml");
    assert_eq!(builtin::canonical_name("delta"), "delta-minimization");
    assert_eq!(
        builtin::BuiltinPack::named("delta").map(|p| p.file),
        Some("delta-minimization.yaml")
    );
}

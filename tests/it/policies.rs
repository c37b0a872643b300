//! The shipped policy packs (`policies/*.yaml`): every rule fires on a small workspace made to
//! break it and stays quiet on one that follows it.
//!
//! Each case builds a one-package workspace (`patches/demo`, one patch), measures it with the
//! library's audit, optionally adjusts facts that need the network (`--check` verdicts, the
//! newest release), evaluates every shipped rule and looks for the case's rule id.

use std::path::{Path, PathBuf};

use mindelta::audit::report::{PackageReport, package_report, parse_date};
use mindelta::audit::{Finding, PolicySet};
use mindelta::workspace::Workspace;

/// One small workspace.
#[derive(Clone, Copy)]
struct Setup {
    /// Lines under `upstream:` after `version: "1.0"`.
    upstream: &'static str,
    /// Lines of the patch entry after `- file: 0001.patch` (each indented by four spaces).
    entry: &'static str,
    /// The patch header above the diff.
    header: &'static str,
    /// How many lines the patch adds.
    added: usize,
    /// A change to the measured report (facts that come from the network or `--check`).
    adjust: fn(&mut PackageReport),
}

const DIR: &str = "  dir: src\n";
const TARBALL: &str = "  tarball: https://example.org/demo-{version}.tar.gz\n";
const TARBALL_PINNED: &str = "  tarball: https://example.org/demo-{version}.tar.gz\n  sha256: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n";
/// A header and entry that satisfy every rule.
const GOOD_HEADER: &str = "Description: Fix the frobnicator\nAuthor: A Maintainer <a@example.org>\nForwarded: https://bugs.example.org/1\nUpstream-Status: Pending\nLast-Update: 2026-11-01\n";
const GOOD_ENTRY: &str =
    "    status: pending\n    added: 2026-11-01\n    reason: Fix the frobnicator\n";

fn keep(_: &mut PackageReport) {}

const BASE: Setup = Setup {
    upstream: DIR,
    entry: GOOD_ENTRY,
    header: GOOD_HEADER,
    added: 1,
    adjust: keep,
};

/// A rule, a workspace that breaks it, one that follows it.
struct Case {
    rule: &'static str,
    fires: Setup,
    passes: Setup,
}

fn cases() -> Vec<Case> {
    let case = |rule, fires, passes| Case {
        rule,
        fires,
        passes,
    };
    let header = |header| Setup { header, ..BASE };
    let entry = |entry| Setup { entry, ..BASE };
    vec![
        // delta-minimization.yaml
        case(
            "backport-expires",
            entry("    status: backport\n    added: 2026-11-01\n"),
            entry("    status: backport\n    added: 2026-11-01\n    fixed-in: \">=1.1\"\n"),
        ),
        case(
            "cve-fix-expires",
            entry("    status: pending\n    cves: [CVE-2026-1234]\n"),
            entry(
                "    status: pending\n    cves: [CVE-2026-1234]\n    upstream-commit: 0123456789abcdef0123456789abcdef01234567\n",
            ),
        ),
        case(
            "status-declared",
            Setup {
                entry: "    added: 2026-11-01\n",
                header: "Description: x\n",
                ..BASE
            },
            BASE,
        ),
        case(
            "patch-dated",
            Setup {
                entry: "    status: pending\n",
                header: "Description: x\n",
                ..BASE
            },
            entry("    status: pending\n    added: 2026-11-01\n"),
        ),
        case(
            "pending-reviewed",
            entry("    status: submitted\n    added: 2025-01-01\n"),
            entry("    status: submitted\n    added: 2026-07-01\n"),
        ),
        case(
            "reason-given",
            Setup {
                entry: "    status: pending\n",
                header: "",
                ..BASE
            },
            Setup {
                entry: "    status: pending\n    reason: Needed by the build\n",
                header: "",
                ..BASE
            },
        ),
        case(
            "expired-patch-dropped",
            Setup {
                adjust: |r| r.patches[0].verdict = Some("expired".into()),
                ..BASE
            },
            Setup {
                adjust: |r| r.patches[0].verdict = Some("needed".into()),
                ..BASE
            },
        ),
        case(
            "tarball-checksum",
            Setup {
                upstream: TARBALL,
                ..BASE
            },
            Setup {
                upstream: TARBALL_PINNED,
                ..BASE
            },
        ),
        case(
            "changed-lines-budget",
            Setup {
                added: 2001,
                ..BASE
            },
            Setup {
                added: 2000,
                ..BASE
            },
        ),
        case(
            "follows-upstream",
            Setup {
                adjust: |r| {
                    r.latest = Some("1.1".into());
                    r.outdated = Some(true);
                },
                ..BASE
            },
            Setup {
                adjust: |r| {
                    r.latest = Some("1.0".into());
                    r.outdated = Some(false);
                },
                ..BASE
            },
        ),
        // dep3.yaml
        case(
            "dep3-description",
            header("Author: A <a@example.org>\n"),
            header("Description: Fix it\nAuthor: A <a@example.org>\n"),
        ),
        case(
            "dep3-origin-or-author",
            header("Description: Fix it\n"),
            header("Description: Fix it\nOrigin: vendor, https://example.org/x\n"),
        ),
        case(
            "dep3-origin-category",
            header("Description: x\nOrigin: somewhere else\n"),
            header("Description: x\nOrigin: upstream, https://example.org/commit/0123abc\n"),
        ),
        case(
            "dep3-forwarded-valid",
            header("Description: x\nForwarded: maybe later\n"),
            header("Description: x\nForwarded: https://bugs.example.org/1\n"),
        ),
        case(
            "dep3-not-forwarded",
            header("Description: x\nForwarded: no\n"),
            header("Description: x\nForwarded: not-needed\n"),
        ),
        case(
            "dep3-forwarded-declared",
            header("Description: x\n"),
            header("Description: x\nOrigin: backport, https://example.org/commit/0123abc\n"),
        ),
        case(
            "dep3-submitted-forwarded",
            Setup {
                entry: "    status: submitted\n",
                header: "Description: x\nForwarded: no\n",
                ..BASE
            },
            Setup {
                entry: "    status: submitted\n",
                header: "Description: x\nForwarded: https://lists.example.org/1\n",
                ..BASE
            },
        ),
        case(
            "dep3-applied-upstream-consistent",
            header("Description: x\nApplied-Upstream: 1.0\n"),
            header("Description: x\nApplied-Upstream: 1.1, https://example.org/commit/0123abc\n"),
        ),
        case(
            "dep3-applied-upstream-expires",
            header("Description: x\nApplied-Upstream: 1.1\n"),
            Setup {
                entry: "    status: backport\n    fixed-in: \">=1.1\"\n",
                header: "Description: x\nApplied-Upstream: 1.1\n",
                ..BASE
            },
        ),
        case(
            "dep3-last-update-format",
            header("Description: x\nLast-Update: 1 May 2026\n"),
            header("Description: x\nLast-Update: 2026-05-01\n"),
        ),
        case(
            "dep3-bug-url",
            header("Description: x\nBug: 1234\n"),
            header("Description: x\nBug: https://bugs.example.org/1234\n"),
        ),
        // yocto.yaml
        case(
            "yocto-upstream-status-present",
            header("Description: x\n"),
            header("Description: x\nUpstream-Status: Pending\n"),
        ),
        case(
            "yocto-upstream-status-valid",
            header("Description: x\nUpstream-Status: Accepted\n"),
            Setup {
                entry: "    status: backport\n    fixed-in: \">=1.1\"\n",
                header: "Description: x\nUpstream-Status: Backport [https://example.org/commit/0123abc]\n",
                ..BASE
            },
        ),
        case(
            "yocto-inappropriate-reason",
            Setup {
                entry: "    status: inappropriate\n",
                header: "Description: x\nUpstream-Status: Inappropriate\n",
                ..BASE
            },
            Setup {
                entry: "    status: inappropriate\n",
                header: "Description: x\nUpstream-Status: Inappropriate [oe specific]\n",
                ..BASE
            },
        ),
        case(
            "yocto-submitted-where",
            Setup {
                entry: "    status: submitted\n",
                header: "Description: x\nUpstream-Status: Submitted\n",
                ..BASE
            },
            Setup {
                entry: "    status: submitted\n",
                header: "Description: x\nUpstream-Status: Submitted [https://lists.example.org/1]\n",
                ..BASE
            },
        ),
        case(
            "yocto-inactive-upstream-dated",
            Setup {
                entry: "    status: inactive-upstream\n",
                header: "Description: x\nUpstream-Status: Inactive-Upstream\n",
                ..BASE
            },
            Setup {
                entry: "    status: inactive-upstream\n",
                header: "Description: x\nUpstream-Status: Inactive-Upstream [lastrelease: 2019]\n",
                ..BASE
            },
        ),
        case(
            "yocto-status-agrees",
            Setup {
                entry: "    status: pending\n",
                header: "Description: x\nUpstream-Status: Submitted [https://lists.example.org/1]\n",
                ..BASE
            },
            Setup {
                entry: "    status: submitted\n",
                header: "Description: x\nUpstream-Status: Submitted [https://lists.example.org/1]\n",
                ..BASE
            },
        ),
        case(
            "yocto-cve-tagged",
            Setup {
                entry: "    status: pending\n    cves: [CVE-2026-1234]\n",
                ..BASE
            },
            Setup {
                entry: "    status: pending\n    cves: [CVE-2026-1234]\n",
                header: "Description: x\nUpstream-Status: Pending\nCVE: CVE-2026-1234\n",
                ..BASE
            },
        ),
        case(
            "yocto-cve-format",
            header("Description: x\nUpstream-Status: Pending\nCVE: 2026-1234\n"),
            header("Description: x\nUpstream-Status: Pending\nCVE: CVE-2026-1234 CVE-2026-5678\n"),
        ),
    ]
}

fn shipped_policies() -> PolicySet {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    PolicySet::load(&[root.join("policies")], root).expect("the shipped policies load")
}

/// Build the workspace of `setup`, audit it and return the findings.
fn findings(policies: &PolicySet, setup: &Setup) -> Vec<Finding> {
    let dir = tempfile::tempdir().expect("temp dir");
    let package = dir.path().join("patches/demo");
    std::fs::create_dir_all(&package).expect("mkdir");
    let manifest = format!(
        "upstream:\n  version: \"1.0\"\n{}patches:\n  - file: 0001.patch\n{}",
        setup.upstream, setup.entry
    );
    std::fs::write(package.join("package.yaml"), manifest).expect("manifest");
    let mut patch = String::from(setup.header);
    patch.push_str(&format!(
        "--- a/demo.c\n+++ b/demo.c\n@@ -1,1 +1,{} @@\n int main;\n",
        setup.added + 1
    ));
    for line in 0..setup.added {
        patch.push_str(&format!("+int added_{line};\n"));
    }
    std::fs::write(package.join("0001.patch"), patch).expect("patch");
    let workspace = Workspace::open(dir.path()).expect("workspace");
    let package = workspace.load("demo").expect("manifest loads");
    let today = parse_date("2026-12-01").expect("date");
    let mut report = package_report(&package, &workspace.root, today).expect("report");
    (setup.adjust)(&mut report);
    policies
        .evaluate(&report)
        .expect("the shipped rules stay within their budget")
}

#[test]
fn every_shipped_rule_fires_on_a_breaking_workspace_and_not_on_a_following_one() {
    let policies = shipped_policies();
    let mut failures = Vec::new();
    for case in cases() {
        let fired = findings(&policies, &case.fires);
        if !fired.iter().any(|f| f.rule == case.rule) {
            failures.push(format!("{} does not fire; findings: {fired:?}", case.rule));
        }
        let passed = findings(&policies, &case.passes);
        if let Some(finding) = passed.iter().find(|f| f.rule == case.rule) {
            failures.push(format!(
                "{} fires on the good workspace: {finding:?}",
                case.rule
            ));
        }
        // No rule may fail to evaluate on either workspace.
        for finding in fired.iter().chain(&passed) {
            if finding.message.contains("cannot be evaluated") {
                failures.push(format!("{}: {}", finding.rule, finding.message));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_shipped_rule_has_a_case() {
    let policies = shipped_policies();
    let covered: Vec<&str> = cases().iter().map(|c| c.rule).collect();
    let missing: Vec<&str> = policies
        .rules()
        .iter()
        .map(|r| r.id.as_str())
        .filter(|id| !covered.contains(id))
        .collect();
    assert!(missing.is_empty(), "rules without a test case: {missing:?}");
    assert_eq!(
        covered.len(),
        policies.rules().len(),
        "a case names an unknown rule"
    );
}

#[test]
fn the_good_workspace_passes_every_rule() {
    let policies = shipped_policies();
    let found = findings(&policies, &BASE);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn each_pack_loads_alone() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for pack in ["delta-minimization.yaml", "dep3.yaml", "yocto.yaml"] {
        let path: PathBuf = root.join("policies").join(pack);
        let set = PolicySet::load(&[path], root).unwrap_or_else(|e| panic!("{pack}: {e}"));
        assert!(!set.is_empty(), "{pack} has no rules");
        assert!(
            set.rules()
                .iter()
                .all(|r| r.policy == format!("policies/{pack}")),
            "{pack}"
        );
    }
}

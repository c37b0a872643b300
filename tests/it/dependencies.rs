//! The `dependency-superseded` detector through `check` and `expire`, on real git upstreams:
//! each test builds a repository whose release tags carry manifests (go.mod, pom.xml,
//! package.json, Cargo.toml, requirements.txt) declaring versions, takes its patch from `git
//! diff` on the pinned release, and judges it against later releases.

use crate::support;

use std::fs;
use std::path::Path;

use mindelta::expiry::{
    CheckOptions, DependencyOutcome, EvidenceResult, PackageCheck, PatchCheck, Verdict,
    check_package,
};
use mindelta::upstream::Fetcher;
use mindelta::workspace::Workspace;
use support::cli::{applies_exactly, mindelta, snapshot};
use support::git::GitRepo;

/// `mindelta --workspace ROOT ARGS…` with the cache in `temp`.
fn run(temp: &Path, root: &Path, args: &[&str]) -> std::process::Output {
    mindelta(&temp.join("cache"))
        .arg("--workspace")
        .arg(root)
        .args(args)
        .output()
        .unwrap()
}

/// An upstream repository: each release is a tag (`v<version>`) over these files.
fn upstream(dir: &Path, releases: &[(&str, &[(&str, &str)])]) -> GitRepo {
    let repo = GitRepo::new(dir);
    for (version, files) in releases {
        for (path, text) in *files {
            repo.write(path, text);
        }
        repo.commit(&format!("release {version}"));
        repo.tag(&format!("v{version}"));
    }
    repo
}

/// The patch `git diff` writes for `changes` (path, new text) made on release `version`.
fn patch_on(repo: &GitRepo, version: &str, changes: &[(&str, &str)]) -> String {
    repo.git(&["checkout", "-q", &format!("v{version}")]);
    for (path, text) in changes {
        repo.write(path, text);
    }
    let diff = repo.git(&["diff"]) + "\n";
    repo.git(&["checkout", "-q", "--", "."]);
    repo.git(&["checkout", "-q", "main"]);
    diff
}

/// Package `name` at version 1.0 of `repo`, with `patches` (file, extra manifest keys, text).
fn package(root: &Path, name: &str, repo: &GitRepo, patches: &[(&str, &str, &str)]) {
    let dir = root.join("patches").join(name);
    fs::create_dir_all(&dir).unwrap();
    let mut manifest = format!(
        "upstream:\n  version: \"1.0\"\n  git: {}\npatches:\n",
        repo.path().display()
    );
    for (file, keys, text) in patches {
        fs::write(dir.join(file), text).unwrap();
        manifest.push_str(&format!("  - file: {file}\n    added: 2026-01-02\n{keys}"));
    }
    fs::write(dir.join("package.yaml"), manifest).unwrap();
}

fn check(root: &Path, name: &str, release: &str) -> PackageCheck {
    let workspace = Workspace::open(root).unwrap();
    let package = workspace.load(name).unwrap();
    let fetcher = Fetcher::new(support::fetch_options(root.join("cache")), None);
    check_package(&package, release, &fetcher, &CheckOptions::default()).unwrap()
}

/// The only patch's verdict and its `dependency-superseded` evidence.
fn judged(root: &Path, name: &str, release: &str) -> (PatchCheck, EvidenceResult, String) {
    let checked = check(root, name, release);
    let patch = checked.patches.into_iter().next().unwrap();
    let evidence = patch
        .evidence
        .iter()
        .find(|e| e.detector.as_str() == "dependency-superseded")
        .expect("dependency-superseded evidence")
        .clone();
    (patch, evidence.result, evidence.detail)
}

// --- Go -------------------------------------------------------------------------------------

fn go_mod(jose: &str, crypto: &str, net: &str, docker: &str, utils: &str) -> String {
    format!(
        "module example.com/gateway\n\ngo 1.22\n\nrequire (\n\tgithub.com/docker/docker {docker}\n\tgithub.com/go-jose/go-jose/v3 {jose}\n\tgolang.org/x/crypto {crypto}\n\tgolang.org/x/net {net}\n\tk8s.io/utils {utils}\n)\n"
    )
}

const DOCKER: &str = "v25.0.5+incompatible";
const UTILS: &str = "v0.0.0-20230726121419-3b25d923346b";

/// Releases 1.0 (the pinned one), 1.1 (newer x/net, the same x/crypto), 1.2 (the same x/crypto,
/// an older x/net) and 1.3 (without x/net).
fn go_upstream(dir: &Path) -> GitRepo {
    let v10 = go_mod("v3.0.1", "v0.21.0", "v0.23.0", DOCKER, UTILS);
    let v11 = go_mod("v3.0.3", "v0.31.0", "v0.34.0", DOCKER, UTILS);
    let v12 = go_mod("v3.0.3", "v0.31.0", "v0.30.0", DOCKER, UTILS);
    let v13 = v11.replace("\tgolang.org/x/net v0.34.0\n", "");
    upstream(
        dir,
        &[
            ("1.0", &[("go.mod", &v10), ("main.go", "package main\n")]),
            ("1.1", &[("go.mod", &v11)]),
            ("1.2", &[("go.mod", &v12)]),
            ("1.3", &[("go.mod", &v13)]),
        ],
    )
}

/// The CVE bump of x/crypto and x/net, on 1.0's go.mod.
fn go_bump(repo: &GitRepo) -> String {
    let bumped = go_mod("v3.0.1", "v0.31.0", "v0.33.0", DOCKER, UTILS);
    patch_on(repo, "1.0", &[("go.mod", &bumped)])
}

#[test]
fn go_superseded_by_equal_and_newer_versions_expires_with_per_dependency_evidence() {
    let temp = tempfile::tempdir().unwrap();
    let repo = go_upstream(&temp.path().join("up"));
    let patch = go_bump(&repo);
    package(temp.path(), "gw", &repo, &[("cve-bump.patch", "", &patch)]);
    let (checked, result, detail) = judged(temp.path(), "gw", "1.1");
    assert_eq!(checked.verdict, Verdict::Expired, "{detail}");
    assert_eq!(
        checked.reason.map(|r| r.as_str()),
        Some("dependency-superseded")
    );
    assert_eq!(result, EvidenceResult::Proves);
    // Per dependency: the patch's version, R's, and R's file and line.
    assert!(
        detail.contains("`golang.org/x/crypto` v0.31.0: R has v0.31.0 at go.mod:8"),
        "{detail}"
    );
    assert!(
        detail.contains("`golang.org/x/net` v0.33.0: R has newer v0.34.0 at go.mod:9"),
        "{detail}"
    );
    let crypto = &checked.dependencies[0];
    assert_eq!(crypto.name, "golang.org/x/crypto");
    assert_eq!(crypto.outcome, DependencyOutcome::Superseded);
    assert!(crypto.equal);
    let release = crypto.release.as_ref().unwrap();
    assert_eq!((release.file.as_str(), release.line), ("go.mod", 8));
    assert!(!checked.dependencies[1].equal);
    // Against the pinned release the patch is needed, and the detector says why.
    let (checked, result, _) = judged(temp.path(), "gw", "1.0");
    assert_eq!(checked.verdict, Verdict::Needed);
    assert_eq!(result, EvidenceResult::Refutes);
}

#[test]
fn go_partial_when_r_has_one_raise_and_not_the_other() {
    let temp = tempfile::tempdir().unwrap();
    let repo = go_upstream(&temp.path().join("up"));
    let patch = go_bump(&repo);
    package(temp.path(), "gw", &repo, &[("cve-bump.patch", "", &patch)]);
    let (checked, result, detail) = judged(temp.path(), "gw", "1.2");
    assert_eq!(checked.verdict, Verdict::Partial, "{detail}");
    assert_eq!(result, EvidenceResult::Supports);
    assert!(
        detail.contains("1 of 2 dependencies are superseded in R")
            && detail.contains("`golang.org/x/net` v0.33.0: R has older v0.30.0 at go.mod:9"),
        "{detail}"
    );
}

#[test]
fn a_dependency_r_dropped_is_not_found_never_a_silent_expiry() {
    let temp = tempfile::tempdir().unwrap();
    let repo = go_upstream(&temp.path().join("up"));
    let v10 = go_mod("v3.0.1", "v0.21.0", "v0.23.0", DOCKER, UTILS);
    let net_only = patch_on(
        &repo,
        "1.0",
        &[("go.mod", &v10.replace("net v0.23.0", "net v0.33.0"))],
    );
    package(temp.path(), "gw", &repo, &[("net.patch", "", &net_only)]);
    let (checked, result, detail) = judged(temp.path(), "gw", "1.3");
    assert_ne!(checked.verdict, Verdict::Expired);
    assert_eq!(result, EvidenceResult::NotFound);
    assert_eq!(checked.dependencies[0].outcome, DependencyOutcome::NotFound);
    assert!(
        detail.contains("R does not declare it in go.mod"),
        "{detail}"
    );
    // With the whole bump, x/crypto superseded and x/net gone: partial, not expired.
    let patch = go_bump(&repo);
    package(temp.path(), "gw", &repo, &[("cve-bump.patch", "", &patch)]);
    let (checked, _, _) = judged(temp.path(), "gw", "1.3");
    assert_eq!(checked.verdict, Verdict::Partial);
    // A replacement recorded in the manifest is named, still not a proof.
    let jose = go_mod("v3.0.1", "v0.21.0", "v0.23.0", DOCKER, UTILS).replace(
        "github.com/go-jose/go-jose/v3 v3.0.1",
        "gopkg.in/square/go-jose.v2 v2.6.0",
    );
    let repo = upstream(
        &temp.path().join("up-jose"),
        &[
            ("1.0", &[("go.mod", &jose)]),
            (
                "1.1",
                &[(
                    "go.mod",
                    &go_mod("v3.0.3", "v0.21.0", "v0.23.0", DOCKER, UTILS),
                )],
            ),
        ],
    );
    let patch = patch_on(
        &repo,
        "1.0",
        &[(
            "go.mod",
            &jose.replace("go-jose.v2 v2.6.0", "go-jose.v2 v2.6.3"),
        )],
    );
    package(
        temp.path(),
        "gw",
        &repo,
        &[(
            "jose.patch",
            "    replaced-dependencies: {gopkg.in/square/go-jose.v2: github.com/go-jose/go-jose/v3}\n",
            &patch,
        )],
    );
    let (checked, result, detail) = judged(temp.path(), "gw", "1.1");
    assert_ne!(checked.verdict, Verdict::Expired);
    assert_eq!(result, EvidenceResult::NotFound);
    assert_eq!(checked.dependencies[0].outcome, DependencyOutcome::Replaced);
    assert!(
        detail.contains("R has `github.com/go-jose/go-jose/v3` instead at go.mod:7"),
        "{detail}"
    );
}

#[test]
fn go_pseudo_versions_and_incompatible_order_as_go_orders_them() {
    let temp = tempfile::tempdir().unwrap();
    let newer_utils = "v0.0.0-20241104100929-3ea5e8cea738";
    let older_utils = "v0.0.0-20231010123456-abcdef123456";
    let v10 = go_mod("v3.0.1", "v0.21.0", "v0.23.0", DOCKER, UTILS);
    let repo = upstream(
        &temp.path().join("up"),
        &[
            ("1.0", &[("go.mod", &v10)]),
            (
                "1.1",
                &[(
                    "go.mod",
                    &go_mod(
                        "v3.0.3",
                        "v0.21.0",
                        "v0.23.0",
                        "v26.1.5+incompatible",
                        newer_utils,
                    ),
                )],
            ),
            (
                "1.2",
                &[(
                    "go.mod",
                    &go_mod(
                        "v3.0.3",
                        "v0.21.0",
                        "v0.23.0",
                        "v26.1.5+incompatible",
                        older_utils,
                    ),
                )],
            ),
        ],
    );
    let bumped = v10
        .replace(DOCKER, "v25.0.6+incompatible")
        .replace(UTILS, "v0.0.0-20240102154912-e7106e64919e");
    let patch = patch_on(&repo, "1.0", &[("go.mod", &bumped)]);
    package(temp.path(), "gw", &repo, &[("pseudo.patch", "", &patch)]);
    let (checked, result, detail) = judged(temp.path(), "gw", "1.1");
    assert_eq!(checked.verdict, Verdict::Expired, "{detail}");
    assert_eq!(result, EvidenceResult::Proves);
    // An older pseudo-version (an earlier timestamp) in R: that part is still needed.
    let (checked, result, detail) = judged(temp.path(), "gw", "1.2");
    assert_eq!(checked.verdict, Verdict::Partial, "{detail}");
    assert_eq!(result, EvidenceResult::Supports);
    assert!(
        detail.contains(&format!("R has older {older_utils}")),
        "{detail}"
    );
}

#[test]
fn code_changes_beside_a_bump_and_lowered_versions_are_left_to_the_other_detectors() {
    let temp = tempfile::tempdir().unwrap();
    let repo = go_upstream(&temp.path().join("up"));
    let v10 = go_mod("v3.0.1", "v0.21.0", "v0.23.0", DOCKER, UTILS);
    let with_code = patch_on(
        &repo,
        "1.0",
        &[
            ("go.mod", &v10.replace("net v0.23.0", "net v0.33.0")),
            ("main.go", "package main\n\nfunc main() {}\n"),
        ],
    );
    let lowers = patch_on(
        &repo,
        "1.0",
        &[("go.mod", &v10.replace("net v0.23.0", "net v0.22.0"))],
    );
    package(temp.path(), "gw", &repo, &[("code.patch", "", &with_code)]);
    let (checked, result, detail) = judged(temp.path(), "gw", "1.1");
    assert_eq!(result, EvidenceResult::NotApplicable);
    assert!(
        detail.contains("`main.go` is not a dependency manifest"),
        "{detail}"
    );
    assert_ne!(checked.verdict, Verdict::Expired);
    assert!(checked.dependencies.is_empty());
    package(temp.path(), "gw", &repo, &[("lowers.patch", "", &lowers)]);
    let (_, result, detail) = judged(temp.path(), "gw", "1.1");
    assert_eq!(result, EvidenceResult::NotApplicable);
    assert!(detail.contains("lowers `golang.org/x/net`"), "{detail}");
}

// --- Maven ----------------------------------------------------------------------------------

fn pom(netty: &str, tomcat: &str, jackson: &str) -> String {
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
  <dependencies>
    <dependency>
      <groupId>com.fasterxml.jackson.core</groupId>
      <artifactId>jackson-databind</artifactId>
      <version>{jackson}</version>
    </dependency>
  </dependencies>
</project>
"#
    )
}

fn maven_upstream(dir: &Path) -> GitRepo {
    upstream(
        dir,
        &[
            (
                "1.0",
                &[("pom.xml", &pom("4.1.94.Final", "10.1.13", "2.15.0"))],
            ),
            (
                "1.1",
                &[("pom.xml", &pom("4.1.108.Final", "10.1.16", "2.17.1"))],
            ),
            (
                "1.2",
                &[("pom.xml", &pom("4.1.108.Final", "10.1.15", "2.17.1"))],
            ),
        ],
    )
}

/// netty's property and tomcat's managed version raised.
fn maven_bump(repo: &GitRepo) -> String {
    patch_on(
        repo,
        "1.0",
        &[("pom.xml", &pom("4.1.100.Final", "10.1.16", "2.15.0"))],
    )
}

#[test]
fn maven_properties_and_dependency_management() {
    let temp = tempfile::tempdir().unwrap();
    let repo = maven_upstream(&temp.path().join("up"));
    let patch = maven_bump(&repo);
    package(
        temp.path(),
        "gw",
        &repo,
        &[("netty-tomcat.patch", "", &patch)],
    );
    let (checked, result, detail) = judged(temp.path(), "gw", "1.1");
    assert_eq!(checked.verdict, Verdict::Expired, "{detail}");
    assert_eq!(result, EvidenceResult::Proves);
    assert!(
        detail.contains("`netty.version` 4.1.100.Final: R has newer 4.1.108.Final at pom.xml:7"),
        "{detail}"
    );
    assert!(
        detail.contains(
            "`org.apache.tomcat.embed:tomcat-embed-core` 10.1.16: R has 10.1.16 at pom.xml:14"
        ),
        "{detail}"
    );
    let sections: Vec<&str> = checked
        .dependencies
        .iter()
        .map(|d| d.section.as_str())
        .collect();
    assert_eq!(sections, ["property", "dependency-management"]);
    let (checked, result, _) = judged(temp.path(), "gw", "1.2");
    assert_eq!(checked.verdict, Verdict::Partial);
    assert_eq!(result, EvidenceResult::Supports);
}

/// `netty-tomcat.patch` of `root` raises tomcat only, against 1.2's pom, and applies to it
/// exactly (GNU patch and git).
fn assert_raises_tomcat_only_on_12(temp: &Path, root: &Path) {
    let shrunk = fs::read_to_string(root.join("patches/gw/netty-tomcat.patch")).unwrap();
    assert!(
        shrunk
            .contains("-        <version>10.1.15</version>\n+        <version>10.1.16</version>\n"),
        "{shrunk}"
    );
    assert!(!shrunk.contains("netty.version>4.1"), "{shrunk}");
    let tree = temp.join("r12");
    fs::create_dir_all(&tree).unwrap();
    fs::write(
        tree.join("pom.xml"),
        pom("4.1.108.Final", "10.1.15", "2.17.1"),
    )
    .unwrap();
    applies_exactly(&tree, &root.join("patches/gw/netty-tomcat.patch"));
}

#[test]
fn expire_shrinks_a_partial_pom_patch_to_the_raise_r_lacks() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("ws");
    let repo = maven_upstream(&temp.path().join("up"));
    let patch = maven_bump(&repo);
    package(&root, "gw", &repo, &[("netty-tomcat.patch", "", &patch)]);
    let output = run(
        temp.path(),
        &root,
        &["expire", "gw", "--release", "1.2", "--format", "json"],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["packages"][0]["shrunk"][0], "netty-tomcat.patch");
    assert_eq!(report["packages"][0]["version_moved"]["to"], "1.2");
    // The patch now raises tomcat only, against 1.2's pom, and applies to it exactly.
    assert_raises_tomcat_only_on_12(temp.path(), &root);
    // Judged again against 1.2, it is needed.
    let (checked, result, _) = judged(&root, "gw", "1.2");
    assert_eq!(checked.verdict, Verdict::Needed);
    assert_eq!(result, EvidenceResult::Refutes);
}

/// The upgrade carries a dependency patch that R supersedes in part as `expire` shrinks it:
/// rebuilt from R's own pom to the raise R lacks (its hunks hold 1.0's versions as context, so
/// neither the refresh nor a three-way merge could place them).
#[test]
fn upgrade_carries_a_partial_pom_patch_rebuilt_to_the_raise_r_lacks() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("ws");
    let repo = maven_upstream(&temp.path().join("up"));
    let patch = maven_bump(&repo);
    package(&root, "gw", &repo, &[("netty-tomcat.patch", "", &patch)]);
    let output = run(
        temp.path(),
        &root,
        &["upgrade", "gw", "--release", "1.2", "--format", "json"],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let step = &report["packages"][0]["patches"][0];
    assert_eq!(step["outcome"], "shrunk", "{report}");
    assert_eq!(step["reason"], "dependency-superseded", "{report}");
    assert_eq!(report["packages"][0]["status"], "finished", "{report}");
    assert_raises_tomcat_only_on_12(temp.path(), &root);
    let manifest = fs::read_to_string(root.join("patches/gw/package.yaml")).unwrap();
    assert!(manifest.contains("version: \"1.2\""), "{manifest}");
}

#[test]
fn a_pom_property_shared_with_other_artifacts_is_not_shrunk_by_editing_it() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("ws");
    // In 1.2 jackson's version is netty's property, which netty's BOM also uses: raising it in
    // R would raise netty too, so the patch needs a refresh and nothing changes.
    let shared = pom("2.15.0", "10.1.16", "${netty.version}");
    let repo = upstream(
        &temp.path().join("up"),
        &[
            (
                "1.0",
                &[("pom.xml", &pom("4.1.94.Final", "10.1.13", "2.15.0"))],
            ),
            ("1.2", &[("pom.xml", &shared)]),
        ],
    );
    let patch = patch_on(
        &repo,
        "1.0",
        &[("pom.xml", &pom("4.1.94.Final", "10.1.16", "2.15.2"))],
    );
    package(&root, "gw", &repo, &[("bump.patch", "", &patch)]);
    let (checked, _, detail) = judged(&root, "gw", "1.2");
    assert_eq!(checked.verdict, Verdict::Partial, "{detail}");
    let before = snapshot(&root);
    let output = run(temp.path(), &root, &["expire", "gw", "--release", "1.2"]);
    assert_eq!(output.status.code(), Some(3));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("needs a refresh"), "{stdout}");
    assert_eq!(snapshot(&root), before);
}

// --- npm ------------------------------------------------------------------------------------

fn package_json(axios: &str, overrides: &str) -> String {
    format!(
        "{{\n  \"name\": \"portal\",\n  \"version\": \"2.0.0\",\n  \"dependencies\": {{\n    \"axios\": \"{axios}\",\n    \"express\": \"^4.19.2\"\n  }},\n  \"overrides\": {{\n{overrides}    \"follow-redirects\": \"^1.15.6\"\n  }}\n}}\n"
    )
}

fn package_lock(cross_spawn: &str) -> String {
    format!(
        "{{\n  \"name\": \"portal\",\n  \"lockfileVersion\": 3,\n  \"packages\": {{\n    \"node_modules/cross-spawn\": {{\n      \"version\": \"{cross_spawn}\"\n    }}\n  }}\n}}\n"
    )
}

#[test]
fn npm_ranges_and_an_override_superseded_by_upstreams_lock() {
    let temp = tempfile::tempdir().unwrap();
    let repo = upstream(
        &temp.path().join("up"),
        &[
            (
                "1.0",
                &[
                    ("package.json", &package_json("^1.6.0", "")),
                    ("package-lock.json", &package_lock("7.0.3")),
                ],
            ),
            (
                "1.1",
                &[
                    ("package.json", &package_json("^1.7.7", "")),
                    ("package-lock.json", &package_lock("7.0.6")),
                ],
            ),
            (
                "1.2",
                &[
                    ("package.json", &package_json(">=1.5.0 <2", "")),
                    ("package-lock.json", &package_lock("7.0.6")),
                ],
            ),
        ],
    );
    let patch = patch_on(
        &repo,
        "1.0",
        &[(
            "package.json",
            &package_json("^1.7.4", "    \"cross-spawn\": \"7.0.5\",\n"),
        )],
    );
    package(temp.path(), "portal", &repo, &[("cves.patch", "", &patch)]);
    let (checked, result, detail) = judged(temp.path(), "portal", "1.1");
    assert_eq!(checked.verdict, Verdict::Expired, "{detail}");
    assert_eq!(result, EvidenceResult::Proves);
    assert!(
        detail.contains("`axios` ^1.7.4: R has newer ^1.7.7 at package.json:5"),
        "{detail}"
    );
    // The override is a transitive pin: upstream's own lock resolves it to 7.0.6.
    assert!(
        detail.contains("`cross-spawn` 7.0.5: R has newer 7.0.6 at package-lock.json:6"),
        "{detail}"
    );
    // A range that still admits older versions does not supersede the patch's `^1.7.4`.
    let (checked, _, detail) = judged(temp.path(), "portal", "1.2");
    assert_eq!(checked.verdict, Verdict::Partial, "{detail}");
    assert!(detail.contains("R has older >=1.5.0 <2"), "{detail}");
}

// --- Cargo ----------------------------------------------------------------------------------

fn cargo_toml(h2: &str, mio: &str) -> String {
    format!(
        "[package]\nname = \"proxy\"\nversion = \"0.9.0\"\n\n[dependencies]\nh2 = \"{h2}\"\nrustls = {{ version = \"0.23.5\", default-features = false }}\n\n[patch.crates-io]\nmio = {{ version = \"{mio}\", path = \"vendor/mio\" }}\n"
    )
}

#[test]
fn cargo_dependencies_and_patch_section() {
    let temp = tempfile::tempdir().unwrap();
    let repo = upstream(
        &temp.path().join("up"),
        &[
            ("1.0", &[("Cargo.toml", &cargo_toml("0.3.24", "0.8.9"))]),
            ("1.1", &[("Cargo.toml", &cargo_toml("0.4.4", "0.8.11"))]),
            ("1.2", &[("Cargo.toml", &cargo_toml("0.4.4", "0.8.10"))]),
        ],
    );
    let patch = patch_on(
        &repo,
        "1.0",
        &[("Cargo.toml", &cargo_toml("0.3.26", "0.8.11"))],
    );
    package(temp.path(), "proxy", &repo, &[("h2-mio.patch", "", &patch)]);
    let (checked, result, detail) = judged(temp.path(), "proxy", "1.1");
    assert_eq!(checked.verdict, Verdict::Expired, "{detail}");
    assert_eq!(result, EvidenceResult::Proves);
    let mio = checked
        .dependencies
        .iter()
        .find(|d| d.name == "mio")
        .unwrap();
    assert_eq!(mio.section, "replace");
    assert_eq!(mio.release.as_ref().unwrap().line, 10);
    let (checked, _, detail) = judged(temp.path(), "proxy", "1.2");
    assert_eq!(checked.verdict, Verdict::Partial, "{detail}");
    assert!(
        detail.contains("`mio` 0.8.11: R has older 0.8.10"),
        "{detail}"
    );
}

// --- Python ---------------------------------------------------------------------------------

fn requirements(django: &str, requests: &str, numpy: &str) -> String {
    format!(
        "Django=={django}\nrequests[socks]>={requests}  # security\nnumpy==1.24.4; python_version < \"3.9\"\nnumpy=={numpy}; python_version >= \"3.9\"\n"
    )
}

#[test]
fn python_extras_and_markers() {
    let temp = tempfile::tempdir().unwrap();
    let repo = upstream(
        &temp.path().join("up"),
        &[
            (
                "1.0",
                &[(
                    "requirements.txt",
                    &requirements("4.2.11", "2.31.0", "1.26.0"),
                )],
            ),
            (
                "1.1",
                &[(
                    "requirements.txt",
                    &requirements("4.2.16", "2.32.0", "1.26.4"),
                )],
            ),
        ],
    );
    let patch = patch_on(
        &repo,
        "1.0",
        &[(
            "requirements.txt",
            &requirements("4.2.11", "2.32.0", "1.26.4"),
        )],
    );
    package(temp.path(), "svc", &repo, &[("reqs.patch", "", &patch)]);
    let (checked, result, detail) = judged(temp.path(), "svc", "1.1");
    assert_eq!(checked.verdict, Verdict::Expired, "{detail}");
    assert_eq!(result, EvidenceResult::Proves);
    assert_eq!(
        checked.reason.map(|r| r.as_str()),
        Some("dependency-superseded")
    );
    // The marker picks R's line 4, not the older numpy of line 3.
    let numpy = checked
        .dependencies
        .iter()
        .find(|d| d.name == "numpy")
        .unwrap();
    assert_eq!(numpy.release.as_ref().unwrap().line, 4);
    assert!(numpy.equal);
}

// --- expire end to end ----------------------------------------------------------------------

#[test]
fn expire_drops_a_superseded_go_bump_and_records_why() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("ws");
    let repo = go_upstream(&temp.path().join("up"));
    let patch = go_bump(&repo);
    package(&root, "gw", &repo, &[("cve-bump.patch", "", &patch)]);
    let dir = root.join("patches/gw");
    let output = mindelta(&temp.path().join("cache"))
        .env("SOURCE_DATE_EPOCH", "1795780800")
        .args(["--workspace"])
        .arg(&root)
        .args(["expire", "gw", "--release", "1.1", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let expired = &report["packages"][0]["expired"][0];
    assert_eq!(expired["file"], "cve-bump.patch");
    assert_eq!(expired["reason"], "dependency-superseded");
    assert!(!dir.join("cve-bump.patch").exists());
    let manifest = fs::read_to_string(dir.join("package.yaml")).unwrap();
    assert!(manifest.contains("  version: \"1.1\"\n"), "{manifest}");
    assert!(
        manifest.contains(
            "  - file: cve-bump.patch\n    release: \"1.1\"\n    reason: dependency-superseded\n"
        ),
        "{manifest}"
    );
    assert!(
        manifest.contains("R has newer v0.34.0 at go.mod:9"),
        "{manifest}"
    );
    assert!(manifest.contains("    date: 2026-11-27\n"), "{manifest}");
    // Nothing is left to expire.
    let output = run(
        temp.path(),
        &root,
        &["check", "gw", "--release", "1.1", "--exit-code"],
    );
    assert!(output.status.success());
}

#[test]
fn expire_holds_a_partial_bump_whose_lock_file_needs_a_refresh() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("ws");
    let v10 = go_mod("v3.0.1", "v0.21.0", "v0.23.0", DOCKER, UTILS);
    let sum = |crypto: &str, net: &str| {
        format!(
            "golang.org/x/crypto {crypto} h1:crypto{crypto}=\ngolang.org/x/crypto {crypto}/go.mod h1:mod{crypto}=\ngolang.org/x/net {net} h1:net{net}=\ngolang.org/x/net {net}/go.mod h1:mod{net}=\n"
        )
    };
    let repo = upstream(
        &temp.path().join("up"),
        &[
            (
                "1.0",
                &[("go.mod", &v10), ("go.sum", &sum("v0.21.0", "v0.23.0"))],
            ),
            (
                "1.2",
                &[
                    (
                        "go.mod",
                        &go_mod("v3.0.3", "v0.31.0", "v0.30.0", DOCKER, UTILS),
                    ),
                    ("go.sum", &sum("v0.31.0", "v0.30.0")),
                ],
            ),
        ],
    );
    let patch = patch_on(
        &repo,
        "1.0",
        &[
            (
                "go.mod",
                &go_mod("v3.0.1", "v0.31.0", "v0.33.0", DOCKER, UTILS),
            ),
            ("go.sum", &sum("v0.31.0", "v0.33.0")),
        ],
    );
    package(&root, "gw", &repo, &[("cve-bump.patch", "", &patch)]);
    let (checked, _, detail) = judged(&root, "gw", "1.2");
    assert_eq!(checked.verdict, Verdict::Partial, "{detail}");
    let before = snapshot(&root);
    let output = run(
        temp.path(),
        &root,
        &["expire", "gw", "--release", "1.2", "--format", "json"],
    );
    assert_eq!(output.status.code(), Some(3));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let held = &report["packages"][0]["needs_refresh"][0];
    assert_eq!(held["file"], "cve-bump.patch");
    assert_eq!(held["verdict"], "partial");
    assert!(
        held["detail"].as_str().unwrap().contains("`go.sum`"),
        "{held}"
    );
    assert_eq!(report["packages"][0]["blocked"], true);
    assert_eq!(snapshot(&root), before);
    // The upgrade stops there for a person (the lock file is the tool's to regenerate), with
    // the reason; nothing in the package changed.
    let output = run(
        temp.path(),
        &root,
        &["upgrade", "gw", "--release", "1.2", "--format", "json"],
    );
    assert_eq!(output.status.code(), Some(3));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let step = &report["packages"][0]["patches"][0];
    assert_eq!(step["outcome"], "conflict", "{report}");
    let detail = step["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("needs a refresh:") && detail.contains("`go.sum`"),
        "{detail}"
    );
    assert_eq!(report["packages"][0]["stop"]["patch"], "cve-bump.patch");
    let patches = |snapshot: std::collections::BTreeMap<_, _>| {
        snapshot
            .into_iter()
            .filter(|(path, _): &(std::path::PathBuf, String)| {
                path.starts_with(root.join("patches"))
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(patches(snapshot(&root)), patches(before));
}

// --- audit ----------------------------------------------------------------------------------

#[test]
fn audit_lists_the_overrides_with_their_age_and_whether_upstream_supersedes_them() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("ws");
    let v10 = go_mod("v3.0.1", "v0.21.0", "v0.23.0", DOCKER, UTILS);
    let repo = upstream(
        &temp.path().join("up"),
        &[
            ("1.0", &[("go.mod", &v10)]),
            (
                "1.2",
                &[(
                    "go.mod",
                    &go_mod("v3.0.3", "v0.31.0", "v0.30.0", DOCKER, UTILS),
                )],
            ),
        ],
    );
    let patch = go_bump(&repo);
    package(&root, "gw", &repo, &[("cve-bump.patch", "", &patch)]);
    let audit = |format: &str, check: bool| {
        let mut command = mindelta(&temp.path().join("cache"));
        command
            .env("MINDELTA_NOW", "2026-03-03")
            .env("COLUMNS", "240")
            .args(["--workspace"])
            .arg(&root)
            .args(["audit", "--format", format]);
        if check {
            command.arg("--check");
        }
        let output = command.output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let report: serde_json::Value = serde_json::from_str(&audit("json", true)).unwrap();
    let package = &report["packages"][0];
    assert_eq!(package["patches"][0]["expiry"][0], "dependency-superseded");
    assert_eq!(package["no_expiry"], 0);
    let overrides = package["dependency_overrides"].as_array().unwrap();
    assert_eq!(overrides.len(), 2);
    let crypto = &overrides[0];
    assert_eq!(crypto["name"], "golang.org/x/crypto");
    assert_eq!(crypto["patch"], "cve-bump.patch");
    assert_eq!(crypto["from"], "v0.21.0");
    assert_eq!(crypto["to"], "v0.31.0");
    assert_eq!(crypto["age_days"], 60);
    assert_eq!(crypto["superseded"], true);
    assert_eq!(crypto["release_location"], "go.mod:8");
    let net = &overrides[1];
    assert_eq!(net["superseded"], false);
    assert_eq!(net["outcome"], "older");
    assert_eq!(net["release_version"], "v0.30.0");
    assert_eq!(report["summary"]["dependency_overrides"], 2);
    assert_eq!(report["summary"]["superseded_overrides"], 1);
    // Without `--check` nothing is said about upstream.
    let report: serde_json::Value = serde_json::from_str(&audit("json", false)).unwrap();
    let overrides = &report["packages"][0]["dependency_overrides"];
    assert!(overrides[0].get("superseded").is_none(), "{overrides}");
    assert!(report["summary"].get("superseded_overrides").is_none());

    let human = audit("human", true);
    assert!(
        human.contains("golang.org/x/net (go)")
            && human.contains("v0.23.0 -> v0.33.0")
            && human.contains("no: older (v0.30.0 at go.mod:9)")
            && human.contains("yes (v0.31.0 at go.mod:8)"),
        "{human}"
    );
    assert!(
        human.contains("2 dependency overrides (1 superseded upstream)"),
        "{human}"
    );
    let markdown = audit("markdown", true);
    assert!(
        markdown.contains("| gw | `cve-bump.patch` | `golang.org/x/crypto` (go) | v0.21.0 -> v0.31.0 | 60d | yes (v0.31.0 at go.mod:8) |"),
        "{markdown}"
    );
}

// --- melange `go/bump` pins -----------------------------------------------------------------

#[test]
fn melange_go_bump_pins_are_judged_module_by_module() {
    let temp = tempfile::tempdir().unwrap();
    let repo = go_upstream(&temp.path().join("up"));
    let commit = repo.git(&["rev-parse", "v1.0"]);
    let root = temp.path().join("os");
    fs::create_dir_all(root.join("gw")).unwrap();
    fs::write(
        root.join("gw.yaml"),
        format!(
            r#"package:
  name: gw
  version: "1.0"
  epoch: 0

pipeline:
  - uses: git-checkout
    with:
      repository: {}
      tag: v${{{{package.version}}}}
      expected-commit: {commit}

  - uses: go/bump
    with:
      deps: golang.org/x/crypto@v0.31.0 golang.org/x/net@v0.33.0 example.com/gone@v1.2.3

  - runs: go build ./...
"#,
            repo.path().display()
        ),
    )
    .unwrap();
    let output = mindelta(&temp.path().join("cache"))
        .arg("--workspace")
        .arg(&root)
        .args(["check", "gw", "--release", "1.2", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let pins = report["packages"][0]["pins"].as_array().unwrap();
    let verdict = |module: &str| {
        let pin = pins.iter().find(|p| p["module"] == module).unwrap();
        (
            pin["verdict"].as_str().unwrap().to_string(),
            pin["evidence"][0]["detail"].as_str().unwrap().to_string(),
        )
    };
    // 1.2 has x/crypto v0.31.0 and an older x/net, and never required example.com/gone.
    let (crypto, detail) = verdict("golang.org/x/crypto");
    assert_eq!(crypto, "expired");
    assert_eq!(
        detail,
        "`golang.org/x/crypto` v0.31.0: R has v0.31.0 at go.mod:8"
    );
    assert_eq!(pins[0]["reason"], "dependency-superseded");
    assert_eq!(pins[0]["tool"], "go/bump");
    assert_eq!(pins[0]["line"], 13);
    let (net, detail) = verdict("golang.org/x/net");
    assert_eq!(net, "needed");
    assert!(
        detail.contains("R has older v0.30.0 at go.mod:9"),
        "{detail}"
    );
    let (gone, detail) = verdict("example.com/gone");
    assert_eq!(gone, "unknown");
    assert!(
        detail.contains("R does not declare it in go.mod"),
        "{detail}"
    );
    // The human line names the step and the module.
    let output = mindelta(&temp.path().join("cache"))
        .arg("--workspace")
        .arg(&root)
        .args(["check", "gw", "--release", "1.2", "--exit-code"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(4));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("expired   go/bump golang.org/x/crypto@v0.31.0 (line 13)"),
        "{text}"
    );
    // `audit` lists the pins among the package's overrides; with `--check`, against the
    // newest release (1.3, which dropped x/net), which of them upstream supersedes.
    let output = mindelta(&temp.path().join("cache"))
        .arg("--workspace")
        .arg(&root)
        .args(["audit", "gw", "--check", "--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let overrides = report["packages"][0]["dependency_overrides"]
        .as_array()
        .unwrap_or_else(|| panic!("{report}"));
    let entry = |module: &str| overrides.iter().find(|o| o["name"] == module).unwrap();
    assert_eq!(entry("golang.org/x/crypto")["patch"], "go/bump (line 13)");
    assert_eq!(entry("golang.org/x/crypto")["change"], "pin");
    assert_eq!(entry("golang.org/x/crypto")["superseded"], true);
    assert_eq!(entry("golang.org/x/net")["superseded"], false);
    assert_eq!(entry("golang.org/x/net")["outcome"], "not-found");
    assert_eq!(report["summary"]["superseded_overrides"], 1);
}

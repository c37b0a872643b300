//! `expire` and `upgrade` drop the Go module pins of a melange package that the release already
//! satisfies: a real git upstream whose 1.2 go.mod raises some pinned modules and not others,
//! and a package file with `go/bump` and `bump` steps written in several YAML styles. Each
//! satisfied item leaves its step byte-exact, a step left without pins goes with its comment,
//! `replaces` items go too, and `--dry-run` writes nothing.

use crate::support;

use std::fs;
use std::path::{Path, PathBuf};

use support::cli::mindelta;
use support::git::GitRepo;

const GO_MOD_1_0: &str = "module example.com/gw\n\ngo 1.22\n\nrequire (\n\tgolang.org/x/crypto v0.21.0\n\tgolang.org/x/net v0.23.0\n\tgoogle.golang.org/grpc v1.62.0\n\tgithub.com/docker/docker v25.0.0+incompatible\n)\n\nreplace github.com/docker/docker => github.com/moby/moby v25.0.0+incompatible\n";

/// 1.2 raises x/crypto past the pin, meets the errors, zap and grpc pins exactly, points
/// docker at the pinned moby, and keeps x/net below its pin.
const GO_MOD_1_2: &str = "module example.com/gw\n\ngo 1.22\n\nrequire (\n\tgolang.org/x/crypto v0.32.0\n\tgolang.org/x/net v0.30.0\n\tgoogle.golang.org/grpc v1.64.1\n\tgithub.com/docker/docker v26.0.0+incompatible\n\tgithub.com/pkg/errors v0.9.1\n\tgo.uber.org/zap v1.27.0\n)\n\nreplace github.com/docker/docker => github.com/moby/moby v26.1.5+incompatible\n";

const FIX: &str = "--- a/fix.txt\n+++ b/fix.txt\n@@ -1 +1 @@\n-bug\n+fixed\n";
const KEEP: &str = "--- a/README\n+++ b/README\n@@ -1 +1 @@\n-hello\n+hello world\n";

/// The package's steps; the line numbers the tests name are these.
const STEPS: &str = r#"  - uses: patch
    with:
      patches: fix.patch keep.patch

  - uses: go/bump
    with:
      deps: golang.org/x/crypto@v0.31.0 golang.org/x/net@v0.33.0
      replaces: github.com/docker/docker=github.com/moby/moby@v26.1.5+incompatible

  # GHSA-0000-0000-0000: errors and zap
  - uses: go/bump
    with:
      deps: |
        github.com/pkg/errors@v0.9.1 \
        go.uber.org/zap@v1.27.0
      tidy: false

  - uses: bump
    with:
      deps: "google.golang.org/grpc@v1.64.1  golang.org/x/text@v0.21.0" # grpc: CVE-2024-7246

  - runs: go build ./...
"#;

struct Repository {
    _temp: tempfile::TempDir,
    root: PathBuf,
    cache: PathBuf,
    commit_1_0: String,
    commit_1_2: String,
}

fn upstream(dir: &Path) -> (GitRepo, String, String) {
    let repo = GitRepo::new(dir);
    repo.write("README", "hello\n")
        .write("fix.txt", "bug\n")
        .write("go.mod", GO_MOD_1_0)
        .write("api/go.mod", GO_MOD_1_0);
    let commit_1_0 = repo.commit("1.0");
    repo.tag("v1.0");
    repo.write("fix.txt", "fixed\n")
        .write("go.mod", GO_MOD_1_2)
        .write("api/go.mod", GO_MOD_1_2);
    let commit_1_2 = repo.commit("1.2");
    repo.tag("v1.2");
    (repo, commit_1_0, commit_1_2)
}

fn package_yaml(url: &str, commit: &str, steps: &str) -> String {
    format!(
        "package:\n  name: gw\n  version: \"1.0\"\n  epoch: 2\n\npipeline:\n  - uses: git-checkout\n    with:\n      repository: {url}\n      tag: v${{{{package.version}}}}\n      expected-commit: {commit}\n\n{steps}"
    )
}

fn repository(steps: &str) -> Repository {
    let temp = tempfile::tempdir().unwrap();
    let (repo, commit_1_0, commit_1_2) = upstream(&temp.path().join("upstream"));
    let root = temp.path().join("os");
    fs::create_dir_all(root.join("gw")).unwrap();
    fs::write(root.join("gw/fix.patch"), FIX).unwrap();
    fs::write(root.join("gw/keep.patch"), KEEP).unwrap();
    fs::write(
        root.join("gw.yaml"),
        package_yaml(&repo.path().display().to_string(), &commit_1_0, steps),
    )
    .unwrap();
    Repository {
        cache: temp.path().join("cache"),
        root,
        _temp: temp,
        commit_1_0,
        commit_1_2,
    }
}

fn run(repo: &Repository, args: &[&str]) -> std::process::Output {
    mindelta(&repo.cache)
        .env("SOURCE_DATE_EPOCH", "1795780800")
        .arg("--workspace")
        .arg(&repo.root)
        .args(args)
        .output()
        .unwrap()
}

fn json(output: &std::process::Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn note(item: &str, tool: &str, evidence: &str) -> String {
    format!(
        "# mindelta expire: dropped {item} from {tool} (upstream 1.2, dependency-superseded: {evidence}) 2026-11-27\n"
    )
}

/// The package file as expire leaves it at 1.2, but for the note of the dropped patch (its
/// evidence is the patch detectors', tested elsewhere): `patch_note` is that line.
fn expected(repo: &Repository, before: &str, patch_note: &str) -> String {
    let crypto = note(
        "golang.org/x/crypto@v0.31.0",
        "go/bump",
        "`golang.org/x/crypto` v0.31.0: R has newer v0.32.0 at go.mod:6",
    );
    let docker = note(
        "github.com/docker/docker=github.com/moby/moby@v26.1.5+incompatible",
        "go/bump",
        "`github.com/docker/docker` github.com/moby/moby@v26.1.5+incompatible: R has v26.1.5+incompatible at go.mod:14",
    );
    let errors = note(
        "github.com/pkg/errors@v0.9.1",
        "go/bump",
        "`github.com/pkg/errors` v0.9.1: R has v0.9.1 at go.mod:10",
    );
    let zap = note(
        "go.uber.org/zap@v1.27.0",
        "go/bump",
        "`go.uber.org/zap` v1.27.0: R has v1.27.0 at go.mod:11",
    );
    let grpc = note(
        "google.golang.org/grpc@v1.64.1",
        "bump",
        "`google.golang.org/grpc` v1.64.1: R has v1.64.1 at go.mod:8",
    );
    before
        .replace("version: \"1.0\"", "version: \"1.2\"")
        .replace("epoch: 2", "epoch: 0")
        .replace(&repo.commit_1_0, &repo.commit_1_2)
        .replace(
            "  - uses: patch\n    with:\n      patches: fix.patch keep.patch\n",
            &format!("{patch_note}  - uses: patch\n    with:\n      patches: keep.patch\n"),
        )
        .replace(
            "  - uses: go/bump\n    with:\n      deps: golang.org/x/crypto@v0.31.0 golang.org/x/net@v0.33.0\n      replaces: github.com/docker/docker=github.com/moby/moby@v26.1.5+incompatible\n",
            &format!("  {crypto}  {docker}  - uses: go/bump\n    with:\n      deps: golang.org/x/net@v0.33.0\n"),
        )
        .replace(
            "  # GHSA-0000-0000-0000: errors and zap\n  - uses: go/bump\n    with:\n      deps: |\n        github.com/pkg/errors@v0.9.1 \\\n        go.uber.org/zap@v1.27.0\n      tidy: false\n",
            &format!("  {errors}  {zap}"),
        )
        .replace(
            "  - uses: bump\n    with:\n      deps: \"google.golang.org/grpc@v1.64.1  golang.org/x/text@v0.21.0\"",
            &format!("  {grpc}  - uses: bump\n    with:\n      deps: \"golang.org/x/text@v0.21.0\""),
        )
}

/// The line `expire` wrote for the dropped patch.
fn patch_note(after: &str) -> String {
    after
        .lines()
        .find(|l| l.starts_with("  # mindelta expire: dropped fix.patch ("))
        .map(|l| format!("{l}\n"))
        .unwrap_or_else(|| panic!("no note for fix.patch:\n{after}"))
}

#[test]
fn expire_drops_exactly_the_pins_the_release_satisfies() {
    let repo = repository(STEPS);
    let yaml = repo.root.join("gw.yaml");
    let before = fs::read_to_string(&yaml).unwrap();
    let report = json(&run(
        &repo,
        &["expire", "gw", "--release", "1.2", "--format", "json"],
    ));
    let plan = &report["packages"][0];
    let pins = plan["expired_pins"].as_array().unwrap();
    let dropped: Vec<(&str, &str, &str, &str)> = pins
        .iter()
        .map(|p| {
            (
                p["step"].as_str().unwrap(),
                p["module"].as_str().unwrap(),
                p["version"].as_str().unwrap(),
                p["release_version"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        dropped,
        [
            (
                "go/bump (line 17)",
                "golang.org/x/crypto",
                "v0.31.0",
                "v0.32.0"
            ),
            (
                "go/bump (line 17)",
                "github.com/docker/docker",
                "v26.1.5+incompatible",
                "v26.1.5+incompatible"
            ),
            (
                "go/bump (line 23)",
                "github.com/pkg/errors",
                "v0.9.1",
                "v0.9.1"
            ),
            ("go/bump (line 23)", "go.uber.org/zap", "v1.27.0", "v1.27.0"),
            (
                "bump (line 30)",
                "google.golang.org/grpc",
                "v1.64.1",
                "v1.64.1"
            ),
        ],
        "{plan}"
    );
    assert_eq!(pins[1]["replaced_by"], "github.com/moby/moby");
    assert_eq!(
        pins[0]["evidence"],
        "`golang.org/x/crypto` v0.31.0: R has newer v0.32.0 at go.mod:6"
    );
    assert!(plan.get("held_pins").is_none(), "{plan}");
    assert_eq!(plan["expired"][0]["file"], "fix.patch");
    let after = fs::read_to_string(&yaml).unwrap();
    assert_eq!(after, expected(&repo, &before, &patch_note(&after)));
    assert!(!repo.root.join("gw/fix.patch").exists());
    // What stays is what R does not satisfy: x/net (R is older) and x/text (R does not have it).
    let check = json(&run(
        &repo,
        &["check", "gw", "--release", "1.2", "--format", "json"],
    ));
    let verdicts: Vec<(&str, &str)> = check["packages"][0]["pins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["module"].as_str().unwrap(),
                p["verdict"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        [
            ("golang.org/x/net", "needed"),
            ("golang.org/x/text", "unknown")
        ]
    );
    // A second run has nothing left to drop.
    let again = json(&run(
        &repo,
        &["expire", "gw", "--release", "1.2", "--format", "json"],
    ));
    assert!(
        again["packages"][0].get("expired_pins").is_none(),
        "{again}"
    );
    assert_eq!(fs::read_to_string(&yaml).unwrap(), after);
}

#[test]
fn dry_run_shows_the_diff_and_writes_nothing_and_the_human_report_names_each_pin() {
    let repo = repository(STEPS);
    let yaml = repo.root.join("gw.yaml");
    let before = fs::read_to_string(&yaml).unwrap();
    let output = run(&repo, &["expire", "gw", "--release", "1.2", "--dry-run"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let diff = String::from_utf8_lossy(&output.stdout);
    for line in [
        "-      deps: golang.org/x/crypto@v0.31.0 golang.org/x/net@v0.33.0\n",
        "+      deps: golang.org/x/net@v0.33.0\n",
        "-      replaces: github.com/docker/docker=github.com/moby/moby@v26.1.5+incompatible\n",
        "-  # GHSA-0000-0000-0000: errors and zap\n",
        "+      deps: \"golang.org/x/text@v0.21.0\" # grpc: CVE-2024-7246\n",
    ] {
        assert!(diff.contains(line), "{line}\n{diff}");
    }
    assert_eq!(fs::read_to_string(&yaml).unwrap(), before);
    assert!(repo.root.join("gw/fix.patch").exists());

    let output = run(&repo, &["expire", "gw", "--release", "1.2"]);
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains(
            "  expired    golang.org/x/crypto@v0.31.0 in go/bump (line 17)  (dependency-superseded: `golang.org/x/crypto` v0.31.0: R has newer v0.32.0 at go.mod:6)\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "  expired    github.com/docker/docker=github.com/moby/moby@v26.1.5+incompatible in go/bump (line 17)"
        ),
        "{text}"
    );
}

#[test]
fn upgrade_drops_the_same_pins_in_its_one_change_set() {
    let reference = repository(STEPS);
    let expired = run(&reference, &["expire", "gw", "--release", "1.2"]);
    assert!(expired.status.success());
    let by_expire = fs::read_to_string(reference.root.join("gw.yaml")).unwrap();

    let repo = repository(STEPS);
    let report = json(&run(
        &repo,
        &["upgrade", "gw", "--release", "1.2", "--format", "json"],
    ));
    let pins: Vec<&str> = report["packages"][0]["expired_pins"]
        .as_array()
        .unwrap_or_else(|| panic!("{report}"))
        .iter()
        .map(|p| p["module"].as_str().unwrap())
        .collect();
    assert_eq!(
        pins,
        [
            "golang.org/x/crypto",
            "github.com/docker/docker",
            "github.com/pkg/errors",
            "go.uber.org/zap",
            "google.golang.org/grpc"
        ]
    );
    let after = fs::read_to_string(repo.root.join("gw.yaml")).unwrap();
    // The same file as `expire` leaves, but for the patch's note (upgrade records its own).
    let without_patch_note = |text: &str| {
        text.lines()
            .filter(|l| !l.contains("dropped fix.patch") && !l.contains("repository:"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(without_patch_note(&after), without_patch_note(&by_expire));
    assert!(!repo.root.join(".mindelta/upgrade/gw").exists());
}

#[test]
fn a_ranged_step_keeps_a_pin_that_one_of_its_runs_still_needs() {
    // The subpackage's step runs once per module root: R's go.mod meets the pin, R's api/go.mod
    // does not (it is raised only in one of the two).
    let steps = "  - runs: go build ./...\n\ndata:\n  - name: roots\n    items:\n      main: .\n      api: ./api\n\nsubpackages:\n  - range: roots\n    name: gw-${{range.key}}\n    pipeline:\n      - uses: go/bump\n        with:\n          deps: go.uber.org/zap@v1.27.0 github.com/pkg/errors@v0.9.1\n          modroot: ${{range.value}}\n";
    let repo = repository(steps);
    let yaml = repo.root.join("gw.yaml");
    let upstream = repo.root.parent().unwrap().join("upstream");
    let up = GitRepo::new(&upstream);
    up.git(&["checkout", "-q", "v1.2"]);
    up.write(
        "api/go.mod",
        GO_MOD_1_2.replace("go.uber.org/zap v1.27.0", "go.uber.org/zap v1.26.0"),
    );
    up.commit("1.2.1");
    up.tag("v1.2.1");
    let before = fs::read_to_string(&yaml).unwrap();
    let report = json(&run(
        &repo,
        &["expire", "gw", "--release", "1.2.1", "--format", "json"],
    ));
    let plan = &report["packages"][0];
    assert_eq!(plan["expired_pins"][0]["module"], "github.com/pkg/errors");
    assert_eq!(plan["expired_pins"].as_array().unwrap().len(), 1, "{plan}");
    assert_eq!(plan["held_pins"][0]["module"], "go.uber.org/zap", "{plan}");
    assert!(
        plan["held_pins"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("`range`"),
        "{plan}"
    );
    let after = fs::read_to_string(&yaml).unwrap();
    assert!(
        after.contains(
            "          deps: go.uber.org/zap@v1.27.0\n          modroot: ${{range.value}}\n"
        ),
        "{after}"
    );
    assert!(before.contains("deps: go.uber.org/zap@v1.27.0 github.com/pkg/errors@v0.9.1"));
}

#[test]
fn upgrade_of_a_tarball_package_reads_the_go_mod_its_pins_need() {
    // `upgrade` extracts only what it reads from a cached tarball: R's go.mod must be part of
    // it, though no patch touches it.
    use support::http::{HttpServer, Reply};
    let tarball = |version: &str, fix: &str, go_mod: &str| {
        support::gzip(&support::tar(&[
            support::TarEntry::file(&format!("gw-{version}/fix.txt"), fix),
            support::TarEntry::file(&format!("gw-{version}/go.mod"), go_mod),
        ]))
    };
    let old = tarball("1.0", "bug\n", GO_MOD_1_0);
    let server = HttpServer::start([
        ("/gw-1.0.tar.gz", Reply::Bytes(old.clone())),
        (
            "/gw-1.2.tar.gz",
            Reply::Bytes(tarball("1.2", "bug\n", GO_MOD_1_2)),
        ),
    ]);
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("os");
    fs::create_dir_all(root.join("gw")).unwrap();
    fs::write(root.join("gw/fix.patch"), FIX).unwrap();
    fs::write(
        root.join("gw.yaml"),
        format!(
            "package:\n  name: gw\n  version: \"1.0\"\n  epoch: 0\n\npipeline:\n  - uses: fetch\n    with:\n      uri: {}\n      expected-sha256: {}\n\n  - uses: patch\n    with:\n      patches: fix.patch\n\n  - uses: go/bump\n    with:\n      deps: golang.org/x/crypto@v0.31.0 golang.org/x/net@v0.33.0\n",
            server.url("/gw-${{package.version}}.tar.gz"),
            support::sha256(&old)
        ),
    )
    .unwrap();
    let output = mindelta(&temp.path().join("cache"))
        .env("SOURCE_DATE_EPOCH", "1795780800")
        .arg("--workspace")
        .arg(&root)
        .args(["upgrade", "gw", "--release", "1.2", "--format", "json"])
        .output()
        .unwrap();
    let report = json(&output);
    assert_eq!(
        report["packages"][0]["expired_pins"][0]["module"], "golang.org/x/crypto",
        "{report}"
    );
    let after = fs::read_to_string(root.join("gw.yaml")).unwrap();
    assert!(
        after.contains("      deps: golang.org/x/net@v0.33.0\n"),
        "{after}"
    );
}

#[test]
fn go_pins_in_a_bump_deps_file_leave_the_file() {
    // Wolfi's `bump` reads `deps.yaml` of the package folder: Go modules as `name`/`version`.
    let steps = "  - uses: bump\n    with:\n      deps: deps.yaml\n      modroot: api\n\n  - runs: go build ./...\n";
    let repo = repository(steps);
    let deps = "packages:\n  # CVE-2024-45337\n  - name: golang.org/x/crypto\n    version: v0.31.0\n  - name: golang.org/x/net\n    version: v0.33.0\n  - name: google.golang.org/grpc\n    version: v1.64.1\n";
    fs::write(repo.root.join("gw/deps.yaml"), deps).unwrap();
    let check = json(&run(
        &repo,
        &["check", "gw", "--release", "1.2", "--format", "json"],
    ));
    let pins = check["packages"][0]["pins"].as_array().unwrap();
    let verdicts: Vec<(&str, &str, u64)> = pins
        .iter()
        .map(|p| {
            (
                p["module"].as_str().unwrap(),
                p["verdict"].as_str().unwrap(),
                p["deps_line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        [
            ("golang.org/x/crypto", "expired", 3),
            ("golang.org/x/net", "needed", 5),
            ("google.golang.org/grpc", "expired", 7),
        ]
    );
    assert_eq!(pins[0]["manifests"][0], "api/go.mod");
    assert_eq!(pins[0]["deps_file"], "gw/deps.yaml");
    let report = json(&run(
        &repo,
        &["expire", "gw", "--release", "1.2", "--format", "json"],
    ));
    let dropped: Vec<&str> = report["packages"][0]["expired_pins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["module"].as_str().unwrap())
        .collect();
    assert_eq!(dropped, ["golang.org/x/crypto", "google.golang.org/grpc"]);
    assert_eq!(
        fs::read_to_string(repo.root.join("gw/deps.yaml")).unwrap(),
        "packages:\n  - name: golang.org/x/net\n    version: v0.33.0\n"
    );
    let after = fs::read_to_string(repo.root.join("gw.yaml")).unwrap();
    assert!(
        after.contains("      deps: deps.yaml\n      modroot: api\n"),
        "{after}"
    );
}

//! The fleet examples of `examples/ci/` run as written: the GitHub Actions workflow and the
//! Kubernetes Indexed Job are read as YAML, their shell scripts run locally with the job index
//! each engine would give (GitHub's `strategy.job-index`, Kubernetes' `JOB_COMPLETION_INDEX`)
//! for N = 4, and the merged report must equal the unsharded one; the sharded `check` outputs
//! together must equal the unsharded `check`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::audit::{BAD_ENTRIES, FIX, GOOD_ENTRIES, LOCAL, json_of, mindelta, workspace};
use crate::support::git::GitRepo;

const SHARDS: usize = 4;

/// A workspace of 16 packages in a git repository, each with local upstream releases 1.0 and
/// 1.1 (1.1 holds the fix of every other package), so `--check` judges offline; every third
/// backport does not say when it expires (an error finding).
fn sixteen_packages(repo: &GitRepo) {
    for index in 0..16 {
        let name = format!("package-{index:02}");
        let fixed = if index % 2 == 0 {
            "strncpy(buf, name, 31);"
        } else {
            "strcpy(buf, name);"
        };
        repo.write(
            &format!("upstream/{name}-1.0/hello.c"),
            "int main() {\n  strcpy(buf, name);\n}\n",
        );
        repo.write(
            &format!("upstream/{name}-1.1/hello.c"),
            format!("int main() {{\n  {fixed}\n}}\n"),
        );
        for version in ["1.0", "1.1"] {
            repo.write(
                &format!("upstream/{name}-{version}/locale.c"),
                "void init() {\n}\n",
            );
        }
        repo.write(&format!("patches/{name}/0001-fix.patch"), FIX);
        repo.write(&format!("patches/{name}/0002-local.patch"), LOCAL);
        let entries = if index % 3 == 0 {
            BAD_ENTRIES
        } else {
            GOOD_ENTRIES
        };
        repo.write(
            &format!("patches/{name}/package.yaml"),
            format!(
                "upstream:\n  version: \"1.0\"\n  dir: ../../upstream/{name}-{{version}}\npatches:\n{entries}"
            ),
        );
    }
    // The policies of the audit tests' workspace.
    let temp = tempfile::tempdir().unwrap();
    workspace(temp.path(), GOOD_ENTRIES);
    repo.write(
        "policies/rules.yaml",
        fs::read_to_string(temp.path().join("policies/rules.yaml")).unwrap(),
    );
    repo.commit("sixteen packages");
}

/// The YAML documents of an example.
fn example(file: &str) -> Vec<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples/ci")
        .join(file);
    serde_saphyr::from_multiple(&fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{file} is not YAML: {e}"))
}

/// Run a CI script with `shell` in `dir`, `mindelta` (this build) first on the `PATH`; returns
/// the exit code. The scripts run as CI runs them: no `--offline`, no `--workspace`.
fn run_script(shell: &[&str], script: &str, dir: &Path, env: &[(&str, String)]) -> i32 {
    let binary = assert_cmd::cargo::cargo_bin("mindelta");
    let path = std::env::join_paths(
        std::iter::once(binary.parent().unwrap().to_path_buf()).chain(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        )),
    )
    .unwrap();
    let mut command = Command::new(shell[0]);
    command
        .args(&shell[1..])
        .arg(script)
        .current_dir(dir)
        .env("PATH", path)
        .env("MINDELTA_CACHE_DIR", dir.join(".cache"))
        .env("MINDELTA_NOW", "2026-12-01")
        .env("NO_COLOR", "1");
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    let code = output.status.code().unwrap();
    assert!(
        code == 0 || code == 4,
        "`{script}` exited {code}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    code
}

fn json_of_file(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// The `run:` scripts of a GitHub Actions job that call mindelta, in order.
fn github_scripts(workflow: &Value, job: &str) -> Vec<String> {
    workflow["jobs"][job]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|step| step["run"].as_str())
        .filter(|run| run.contains("mindelta "))
        .map(str::to_string)
        .collect()
}

/// The script of the one container of a Kubernetes Job (`command: [sh, -c]`, `args: [script]`).
fn kubernetes_script(job: &Value) -> String {
    let container = &job["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["command"], serde_json::json!(["sh", "-c"]));
    container["args"][0].as_str().unwrap().to_string()
}

/// Every check result of several `check --format json` documents, by package name.
fn checked_packages(documents: &[Value]) -> Vec<Value> {
    let mut packages: Vec<Value> = documents
        .iter()
        .flat_map(|d| d["packages"].as_array().unwrap().clone())
        .collect();
    packages.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    packages
}

#[test]
fn the_ci_examples_shard_four_ways_and_merge_to_the_unsharded_report() {
    let temp = tempfile::tempdir().unwrap();
    let repo = GitRepo::new(temp.path().join("workspace"));
    sixteen_packages(&repo);
    let root = repo.path();
    let unsharded = mindelta(root)
        .args(["audit", "--check", "--format", "json"])
        .output()
        .unwrap();
    let whole = json_of(&unsharded);
    assert_eq!(unsharded.status.code(), Some(4), "error findings");
    assert_eq!(whole["summary"]["packages"], 16);
    // Expired: the eight fixes 1.1 holds, and five more whose `fixed-in: >=1.1` 1.1 meets.
    assert_eq!(whole["summary"]["by_verdict"]["expired"], 13);
    let expired = &whole["packages"][0]["patches"][0];
    assert!(
        !expired["evidence"].as_array().unwrap().is_empty(),
        "verdicts carry their evidence: {expired}"
    );
    let check = mindelta(root)
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    let whole_check = checked_packages(&[json_of(&check)]);
    assert_eq!(whole_check.len(), 16);

    // GitHub Actions: four jobs of the matrix, `strategy.job-index` 0..4, then the report job.
    let workflow = &example("github-actions.yml")[0];
    let matrix = &workflow["jobs"]["shard"]["strategy"]["matrix"]["shard"];
    assert_eq!(matrix.as_array().unwrap().len(), SHARDS);
    let shard = github_scripts(workflow, "shard");
    assert_eq!(shard.len(), 1, "{shard:?}");
    let bash = ["bash", "-e", "-c"]; // GitHub's default shell: `bash -e {0}`
    for index in 0..SHARDS {
        let script = shard[0]
            .replace("${{ strategy.job-index }}", &index.to_string())
            .replace("${{ strategy.job-total }}", &SHARDS.to_string());
        assert!(!script.contains("${{"), "an expression left: {script}");
        run_script(&bash, &script, root, &[]);
    }
    let report = github_scripts(workflow, "report");
    assert_eq!(report.len(), 2, "{report:?}");
    assert_eq!(
        run_script(&bash, &report[0], root, &[]),
        0,
        "tolerates exit 4"
    );
    assert_eq!(
        run_script(&bash, &report[1], root, &[]),
        4,
        "the last step fails on error findings"
    );
    assert_eq!(json_of_file(&root.join("audit.json")), whole);
    let checks: Vec<Value> = (0..SHARDS)
        .map(|index| json_of_file(&root.join(format!("check-{index}.json"))))
        .collect();
    assert_eq!(checked_packages(&checks), whole_check);
    let page = fs::read_to_string(root.join("delta.html")).unwrap();
    let data = crate::report_html::page_data(&page);
    assert_eq!(data["p"].as_array().unwrap().len(), 16);
    assert_eq!(data["h"]["commits"], 1, "the merged page has the history");
    assert!(json_of_file(&root.join("audit.sarif"))["runs"].is_array());

    // Kubernetes: an Indexed Job of four completions (`JOB_COMPLETION_INDEX` 0..4), then the
    // report Job; `/reports` is the shared volume.
    let documents = example("kubernetes-job.yaml");
    let job = |name: &str| {
        documents
            .iter()
            .find(|d| d["kind"] == "Job" && d["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("no Job `{name}`"))
    };
    let audit_job = job("mindelta-audit");
    assert_eq!(audit_job["spec"]["completionMode"], "Indexed");
    assert_eq!(audit_job["spec"]["completions"], SHARDS);
    let reports = temp.path().join("reports");
    fs::create_dir(&reports).unwrap();
    let volume = |script: String| script.replace("/reports", &reports.display().to_string());
    let shard = volume(kubernetes_script(audit_job));
    for index in 0..SHARDS {
        let env = [("JOB_COMPLETION_INDEX", index.to_string())];
        run_script(&["sh", "-c"], &shard, root, &env);
    }
    let report = volume(kubernetes_script(job("mindelta-report")));
    assert_eq!(
        run_script(&["sh", "-c"], &report, root, &[]),
        4,
        "the report Job fails on error findings"
    );
    assert_eq!(json_of_file(&reports.join("audit.json")), whole);
    assert!(reports.join("delta.html").is_file());
    // The two engines split alike: job index K of one is job index K of the other.
    for index in 0..SHARDS {
        let name = format!("audit-{index}.json");
        assert_eq!(
            json_of_file(&root.join(&name)),
            json_of_file(&reports.join(&name))
        );
        let name = format!("check-{index}.json");
        assert_eq!(
            json_of_file(&root.join(&name)),
            json_of_file(&reports.join(&name))
        );
    }
}

//! Hostile `go/bump` pins for `expire`: a step with thousands of items, items full of shell
//! metacharacters (melange's pipelines put them in a shell script; mindelta never runs them),
//! items that look like YAML anchors and aliases, and values that are real anchors and aliases.
//! The edit is byte-exact apart from the items removed, or the pin is held with a clear reason.

use crate::support;

use std::fs;
use std::path::{Path, PathBuf};

use support::cli::mindelta;
use support::git::GitRepo;

/// An upstream at v1.0 (no requirement) and v1.1 requiring each of `modules` at its version.
fn upstream(dir: &Path, modules: &[(String, &str)]) -> GitRepo {
    let repo = GitRepo::new(dir);
    repo.write("go.mod", "module example.com/up\n\ngo 1.22\n");
    repo.commit("1.0");
    repo.tag("v1.0");
    let mut go_mod = String::from("module example.com/up\n\ngo 1.22\n\nrequire (\n");
    for (module, version) in modules {
        go_mod.push_str(&format!("\t{module} {version}\n"));
    }
    go_mod.push_str(")\n");
    repo.write("go.mod", go_mod);
    repo.commit("1.1");
    repo.tag("v1.1");
    repo
}

/// A melange repository with package `up` running `steps` after the checkout of `repo`.
fn workspace(temp: &Path, repo: &GitRepo, steps: &str) -> PathBuf {
    let root = temp.join("os");
    fs::create_dir_all(&root).unwrap();
    fs::write(
        root.join("up.yaml"),
        format!(
            "package:\n  name: up\n  version: \"1.0\"\n\npipeline:\n  - uses: git-checkout\n    with:\n      repository: {}\n      tag: v${{{{package.version}}}}\n\n{steps}",
            repo.path().display()
        ),
    )
    .unwrap();
    root
}

fn expire(temp: &Path, root: &Path) -> serde_json::Value {
    let output = mindelta(&temp.join("cache"))
        .current_dir(temp)
        .env("SOURCE_DATE_EPOCH", "1795780800")
        .arg("--workspace")
        .arg(root)
        .args(["expire", "up", "--release", "1.1", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Every file under `dir` whose name holds `word`.
fn found(dir: &Path, word: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in fs::read_dir(&folder).into_iter().flatten().flatten() {
            let path = entry.path();
            if entry.file_name().to_string_lossy().contains(word) {
                out.push(path.clone());
            }
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(path);
            }
        }
    }
    out
}

#[test]
fn a_step_with_thousands_of_items_loses_exactly_the_satisfied_ones() {
    const COUNT: usize = 3000;
    let temp = tempfile::tempdir().unwrap();
    let module = |i: usize| format!("example.com/m{i}");
    // R raises every even module past the pin and knows nothing of the odd ones.
    let declared: Vec<(String, &str)> = (0..COUNT)
        .step_by(2)
        .map(|i| (module(i), "v1.1.0"))
        .collect();
    let repo = upstream(&temp.path().join("upstream"), &declared);
    let items = |range: std::ops::Range<usize>, keep: &dyn Fn(usize) -> bool| -> Vec<String> {
        range
            .filter(|i| keep(*i))
            .map(|i| format!("{}@v1.0.0", module(i)))
            .collect()
    };
    let all = |_: usize| true;
    let odd = |i: usize| i % 2 == 1;
    let half = COUNT / 2;
    // One step on one line, one as a block of one item a line.
    let step = |first: &[String], second: &[String]| {
        format!(
            "  - uses: go/bump\n    with:\n      deps: {}\n\n  - uses: go/bump\n    with:\n      deps: |\n{}\n  - runs: go build\n",
            first.join(" "),
            second
                .iter()
                .map(|item| format!("        {item}\n"))
                .collect::<String>()
        )
    };
    let root = workspace(
        temp.path(),
        &repo,
        &step(&items(0..half, &all), &items(half..COUNT, &all)),
    );
    let report = expire(temp.path(), &root);
    let plan = &report["packages"][0];
    assert_eq!(
        plan["expired_pins"].as_array().unwrap().len(),
        half,
        "held: {}",
        plan["held_pins"]
    );
    assert!(plan.get("held_pins").is_none());
    // Byte for byte: the odd items stay, in order, and a note per even one stands above its step.
    let notes = |range: std::ops::Range<usize>| -> String {
        range
            .filter(|i| i % 2 == 0)
            .map(|i| {
                format!(
                    "  # mindelta expire: dropped {m}@v1.0.0 from go/bump (upstream 1.1, dependency-superseded: `{m}` v1.0.0: R has newer v1.1.0 at go.mod:{}) 2026-11-27\n",
                    6 + i / 2,
                    m = module(i)
                )
            })
            .collect()
    };
    let expected = step(&items(0..half, &odd), &items(half..COUNT, &odd))
        .replacen(
            "  - uses: go/bump",
            &format!("{}  - uses: go/bump", notes(0..half)),
            1,
        )
        .replace(
            "\n\n  - uses: go/bump\n    with:\n      deps: |\n",
            &format!(
                "\n\n{}  - uses: go/bump\n    with:\n      deps: |\n",
                notes(half..COUNT)
            ),
        );
    let after = fs::read_to_string(root.join("up.yaml")).unwrap();
    let (head, steps) = after.split_at(after.find("  - uses: go/bump").map_or(0, |at| {
        after[..at].rfind("\n\n").map_or(at, |blank| blank + 2)
    }));
    assert!(head.ends_with("tag: v${{package.version}}\n\n"), "{head}");
    assert_eq!(steps, expected);
}

#[test]
fn shell_metacharacters_and_anchor_lookalikes_are_text_never_run() {
    let temp = tempfile::tempdir().unwrap();
    let hostile = [
        "example.com/$(touch${IFS}pwned-1)",
        "example.com/a;touch${IFS}pwned-2;",
        "example.com/`touch${IFS}pwned-3`/v2",
        "example.com/x|touch${IFS}pwned-4",
        "&anchor",
        "*alias",
    ];
    let mut declared: Vec<(String, &str)> =
        hostile.iter().map(|m| (m.to_string(), "v1.0.0")).collect();
    declared.push(("example.com/keep&&touch${IFS}pwned-5".into(), "v1.0.0"));
    let repo = upstream(&temp.path().join("upstream"), &declared);
    let deps: Vec<String> = hostile[..4].iter().map(|m| format!("{m}@v1.0.0")).collect();
    let steps = format!(
        "  - uses: go/bump\n    with:\n      deps: {} example.com/keep&&touch${{IFS}}pwned-5@v2.0.0\n\n  - uses: bump\n    with:\n      deps: \"&anchor@v1.0.0 *alias@v1.0.0 example.com/kept@v1.0.0\"\n\n  - runs: go build\n",
        deps.join(" ")
    );
    let root = workspace(temp.path(), &repo, &steps);
    let before = fs::read_to_string(root.join("up.yaml")).unwrap();
    let report = expire(temp.path(), &root);
    let plan = &report["packages"][0];
    assert_eq!(plan["expired_pins"].as_array().unwrap().len(), 6, "{plan}");
    let after = fs::read_to_string(root.join("up.yaml")).unwrap();
    let kept = before
        .replace("version: \"1.0\"", "version: \"1.1\"")
        .replace(&format!("deps: {} ", deps.join(" ")), "deps: ")
        .replace(
            "deps: \"&anchor@v1.0.0 *alias@v1.0.0 example.com/kept@v1.0.0\"",
            "deps: \"example.com/kept@v1.0.0\"",
        );
    // Only notes were added to what is kept.
    let without_notes: String = after
        .split_inclusive('\n')
        .filter(|l| !l.starts_with("  # mindelta expire: dropped "))
        .collect();
    assert_eq!(without_notes, kept);
    // Nothing was run: no marker anywhere under the test's folder (the command's own folder).
    assert!(
        found(temp.path(), "pwned").is_empty(),
        "{:?}",
        found(temp.path(), "pwned")
    );
}

#[test]
fn real_anchors_and_aliases_are_held_with_the_reason_and_left_as_they_are() {
    let temp = tempfile::tempdir().unwrap();
    let repo = upstream(
        &temp.path().join("upstream"),
        &[
            ("example.com/shared".into(), "v1.1.0"),
            ("example.com/own".into(), "v1.1.0"),
        ],
    );
    let steps = "  - uses: go/bump\n    with:\n      deps: &shared example.com/shared@v1.0.0\n\n  - uses: go/bump\n    with:\n      deps: *shared\n\n  - uses: go/bump\n    with:\n      deps: example.com/own@v1.0.0\n\n  - runs: go build\n";
    let root = workspace(temp.path(), &repo, steps);
    let before = fs::read_to_string(root.join("up.yaml")).unwrap();
    let report = expire(temp.path(), &root);
    let plan = &report["packages"][0];
    let held: Vec<&str> = plan["held_pins"]
        .as_array()
        .unwrap_or_else(|| panic!("{plan}"))
        .iter()
        .map(|h| h["detail"].as_str().unwrap())
        .collect();
    assert_eq!(held.len(), 2, "{held:?}");
    assert!(
        held[0].contains(
            "line 13: `deps:` carries a YAML anchor that other steps may use; edit it by hand"
        ),
        "{held:?}"
    );
    assert!(
        held[1].contains("line 17: `deps:` is a YAML alias; edit it by hand"),
        "{held:?}"
    );
    assert_eq!(plan["expired_pins"][0]["module"], "example.com/own");
    let after = fs::read_to_string(root.join("up.yaml")).unwrap();
    assert!(after.contains("      deps: &shared example.com/shared@v1.0.0\n"));
    assert!(after.contains("      deps: *shared\n"));
    assert!(!before.is_empty() && !after.contains("deps: example.com/own"));
    // The human report says why each stays.
    let output = mindelta(&temp.path().join("cache"))
        .arg("--workspace")
        .arg(&root)
        .args(["expire", "up", "--release", "1.1"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{text}");
    assert!(
        text.contains("  kept       example.com/shared@v1.0.0 in go/bump (line 11)  (expired, but line 13: `deps:` carries a YAML anchor"),
        "{text}"
    );
    assert_eq!(fs::read_to_string(root.join("up.yaml")).unwrap(), after);
}

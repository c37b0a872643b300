//! What the Wolfi corpus (`bench/wolfi-corpus/`) found mindelta reading differently from melange,
//! each rebuilt here as a small melange repository with a real upstream git repository: the
//! package is read in place, prepared at its version, and checked against a release.

use crate::support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::cli::mindelta;
use support::git::GitRepo;

/// A melange repository holding one package, `demo`, at 1.0, whose upstream has tags `v1.0`
/// and `v1.1`.
struct Melange {
    _temp: tempfile::TempDir,
    root: PathBuf,
    cache: PathBuf,
}

impl Melange {
    /// `files` at 1.0 and at 1.1 (path, text), the package's extra YAML after its
    /// `git-checkout` step, and the patch files of its folder.
    fn new(
        files_1_0: &[(&str, &str)],
        files_1_1: &[(&str, &str)],
        steps: &str,
        patches: &[(&str, &[u8])],
    ) -> Melange {
        Melange::build(
            |upstream| {
                for (path, text) in files_1_0 {
                    upstream.write(path, text);
                }
            },
            |upstream| {
                for (path, text) in files_1_1 {
                    upstream.write(path, text);
                }
            },
            steps,
            patches,
        )
    }

    /// [`Melange::new`] with the upstream's 1.0 and 1.1 made by `at_1_0` and `at_1_1`.
    fn build(
        at_1_0: impl FnOnce(&GitRepo),
        at_1_1: impl FnOnce(&GitRepo),
        steps: &str,
        patches: &[(&str, &[u8])],
    ) -> Melange {
        let temp = tempfile::tempdir().unwrap();
        let upstream = GitRepo::new(temp.path().join("upstream"));
        at_1_0(&upstream);
        upstream.commit("1.0");
        upstream.tag("v1.0");
        at_1_1(&upstream);
        upstream.commit("1.1");
        upstream.tag("v1.1");
        let root = temp.path().join("os");
        fs::create_dir_all(root.join("demo")).unwrap();
        for (name, bytes) in patches {
            fs::write(root.join("demo").join(name), bytes).unwrap();
        }
        let yaml = format!(
            "package:\n  name: demo\n  version: \"1.0\"\n  epoch: 0\n\npipeline:\n  - uses: git-checkout\n    with:\n      repository: {}\n      tag: v${{{{package.version}}}}\n\n{steps}",
            upstream.path().display()
        );
        fs::write(root.join("demo.yaml"), yaml).unwrap();
        Melange {
            cache: temp.path().join("cache"),
            root,
            _temp: temp,
        }
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        mindelta(&self.cache)
            .arg("--workspace")
            .arg(&self.root)
            .args(args)
            .output()
            .unwrap()
    }

    /// `prepare demo` into `out/`, which it returns.
    fn prepare(&self) -> PathBuf {
        let out = self.root.parent().unwrap().join("out");
        let output = self.run(&["prepare", "demo", "--out", &out.to_string_lossy()]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        out
    }

    /// The verdict of every patch of `check demo --release RELEASE`, by file.
    fn verdicts(&self, release: &str) -> Vec<(String, String)> {
        let output = self.run(&["check", "demo", "--release", release, "--format", "json"]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        report["packages"][0]["patches"]
            .as_array()
            .unwrap_or_else(|| panic!("{report}"))
            .iter()
            .map(|p| {
                (
                    p["file"].as_str().unwrap().to_string(),
                    p["verdict"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }
}

/// GNU patch (what melange's `patch` pipeline runs) applies `patch` to a copy of `tree` at
/// `-p1 --fuzz=2`; the copy is returned.
fn gnu_patch(tree: &Path, patch: &Path) -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    support::cli::copy_tree(tree, copy.path());
    let output = Command::new("patch")
        .args(["-p1", "--fuzz=2", "--batch", "-i"])
        .arg(patch)
        .current_dir(copy.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "GNU patch: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    copy
}

const LONG: &str = "src/Some.Long.Project.Name/Some.Long.Project.Name.csproj";

/// A `diff --git` line an editor wrapped (the end of the path on a line of its own), as in
/// wolfi-os's promitor, or followed by an empty line, as in kubeflow-volumes-web-app: GNU patch
/// skips the stray line and reads the rest; so does mindelta (it was a parse error, verdict
/// `unknown`).
#[test]
fn a_wrapped_diff_git_line_is_read_as_gnu_patch_reads_it() {
    let before = "<Project>\n  <Version>1.11.1</Version>\n</Project>\n";
    let after = "<Project>\n  <Version>1.11.2</Version>\n</Project>\n";
    let body = format!(
        "index 45844e6..a2455b5 100644\n--- a/{LONG}\n+++ b/{LONG}\n@@ -1,3 +1,3 @@\n <Project>\n-  <Version>1.11.1</Version>\n+  <Version>1.11.2</Version>\n </Project>\n"
    );
    let (head, tail) = LONG.split_at(40);
    let wrapped = format!("diff --git a/{LONG} b/{head}\n{tail}\n{body}");
    let blank = format!("diff --git a/{LONG} b/{LONG}\n\n{body}");
    for patch in [wrapped, blank] {
        let melange = Melange::new(
            &[(LONG, before)],
            &[(LONG, after)],
            "  - uses: patch\n    with:\n      patches: bump.patch\n",
            &[("bump.patch", patch.as_bytes())],
        );
        let out = melange.prepare();
        assert_eq!(fs::read_to_string(out.join(LONG)).unwrap(), after);
        // The same tree as GNU patch gives on the pristine 1.0.
        let pristine = melange.root.parent().unwrap().join("pristine");
        fs::create_dir_all(pristine.join(Path::new(LONG).parent().unwrap())).unwrap();
        fs::write(pristine.join(LONG), before).unwrap();
        let gnu = gnu_patch(&pristine, &melange.root.join("demo/bump.patch"));
        assert_eq!(fs::read_to_string(gnu.path().join(LONG)).unwrap(), after);
        assert_eq!(
            melange.verdicts("1.1"),
            [("bump.patch".to_string(), "expired".to_string())],
            "{patch}"
        );
        assert_eq!(
            melange.verdicts("1.0"),
            [("bump.patch".to_string(), "needed".to_string())]
        );
    }
}

/// A last hunk whose header counts one context line more than the patch has (wolfi-os's gdcm
/// `numeric-limits.patch`): GNU patch takes the missing line as blank and, at melange's
/// `--fuzz=2`, applies the hunk although the file has `{` there. mindelta reads the line as
/// context it cannot see: the hunk applies at 1.0 and is found in 1.1 (it was `conflict`
/// everywhere, the made-up blank line matching nothing).
#[test]
fn a_context_line_the_patch_lacks_is_not_matched() {
    let header = "#include \"a.h\"\n#include \"b.h\"\n\nnamespace gdcm\n{\n\nclass X;\n}\n";
    let fixed = "#include \"a.h\"\n#include \"b.h\"\n#include <limits>\n\nnamespace gdcm\n{\n\nclass X;\n}\n";
    // `-1,5`: four lines follow, the fifth (`{`) is missing.
    let patch = "Add the missing include\n--- a/x.h\n+++ b/x.h\n@@ -1,5 +1,6 @@\n #include \"a.h\"\n #include \"b.h\"\n+#include <limits>\n \n namespace gdcm\n";
    let melange = Melange::new(
        &[("x.h", header)],
        &[("x.h", fixed)],
        "  - uses: patch\n    with:\n      patches: numeric-limits.patch\n",
        &[("numeric-limits.patch", patch.as_bytes())],
    );
    let out = melange.prepare();
    assert_eq!(fs::read_to_string(out.join("x.h")).unwrap(), fixed);
    let pristine = melange.root.parent().unwrap().join("pristine");
    fs::create_dir_all(&pristine).unwrap();
    fs::write(pristine.join("x.h"), header).unwrap();
    let gnu = gnu_patch(&pristine, &melange.root.join("demo/numeric-limits.patch"));
    assert_eq!(fs::read_to_string(gnu.path().join("x.h")).unwrap(), fixed);
    let verdict = |release| {
        let verdicts = melange.verdicts(release);
        assert_eq!(verdicts.len(), 1, "{verdicts:?}");
        verdicts[0].1.clone()
    };
    assert_eq!(verdict("1.0"), "needed");
    assert_eq!(verdict("1.1"), "expired");
}

/// A plain diff that names the file differently on its two sides (Alpine's, and wolfi-os's db
/// `atomic.patch`: `--- a/src/dbinc/atomic.h`, `+++ b/src/dbinc/atomic.h.change`) patches the
/// one of them that exists, as GNU patch and `apply` choose it. The content detector looked for
/// the change in `atomic.h.change`, which no release has: such a patch never expired.
#[test]
fn a_plain_diff_naming_two_files_is_judged_in_the_one_gnu_patch_patches() {
    let before = "int a;\nint cas(void);\nint b;\n";
    let after = "int a;\nint cas_db(void);\nint b;\n";
    let patch = "--- a/src/atomic.h\t2013-03-12 14:07:22.000000000 -0400\n+++ b/src/atomic.h.change\t2013-03-12 14:06:35.000000000 -0400\n@@ -1,3 +1,3 @@\n int a;\n-int cas(void);\n+int cas_db(void);\n int b;\n";
    let melange = Melange::new(
        &[("src/atomic.h", before)],
        &[("src/atomic.h", after)],
        "  - uses: patch\n    with:\n      patches: atomic.patch\n",
        &[("atomic.patch", patch.as_bytes())],
    );
    let out = melange.prepare();
    assert_eq!(fs::read_to_string(out.join("src/atomic.h")).unwrap(), after);
    assert!(!out.join("src/atomic.h.change").exists());
    let check = melange.run(&["check", "demo", "--release", "1.1", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    let patch = &report["packages"][0]["patches"][0];
    assert_eq!(patch["verdict"], "expired", "{report}");
    assert_eq!(patch["hunks"][0]["file"], "src/atomic.h", "{report}");
    assert_eq!(melange.verdicts("1.0")[0].1, "needed");
}

/// Which tree a melange patch step works in decides what it is judged against (they were all
/// judged as patches of the upstream's root): a step in a folder of the source
/// (`working-directory: web`) patches paths under that folder; a step in another checkout's
/// tree (wolfi-os's uv patches `opendal-reqsign`, a second `git-checkout`) is not a patch of R
/// at all, and is not judged. A folder the build makes outside the source (dotnet-6's
/// `/home/build/src`, a source tarball built from the upstream's files) is judged as before,
/// its files looked for in R by name.
#[test]
fn a_patch_is_judged_in_the_tree_its_step_works_in() {
    let change =
        |text: &str| format!("--- a/app.js\n+++ b/app.js\n@@ -1 +1 @@\n-{text}\n+{text} fixed\n");
    let other_dir = tempfile::tempdir().unwrap();
    let other = GitRepo::new(other_dir.path().join("other"));
    other.write("lib.rs", "other\n");
    other.commit("other");
    other.tag("v0.19.0");
    let steps = format!(
        "  - uses: patch\n    working-directory: web\n    with:\n      patches: ../web.patch\n\n  - uses: git-checkout\n    with:\n      repository: {}\n      tag: v0.19.0\n      destination: other\n\n  - uses: patch\n    working-directory: other\n    with:\n      patches: ../other.patch\n\n  - working-directory: /home/generated\n    pipeline:\n      - uses: patch\n        with:\n          patches: /home/build/generated.patch\n",
        other.path().display()
    );
    let web = change("web");
    let melange = Melange::new(
        &[("web/app.js", "web\n"), ("app.js", "root\n")],
        &[("web/app.js", "web fixed\n")],
        &steps,
        &[
            ("web.patch", web.as_bytes()),
            ("other.patch", change("root").as_bytes()),
            ("generated.patch", change("root").as_bytes()),
        ],
    );
    let output = melange.run(&["check", "demo", "--release", "1.1", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let patches = report["packages"][0]["patches"]
        .as_array()
        .unwrap_or_else(|| panic!("{report}"));
    let verdict = |file: &str| -> (String, String) {
        let patch = patches
            .iter()
            .find(|p| p["file"] == file)
            .unwrap_or_else(|| panic!("no {file} in {report}"));
        (
            patch["verdict"].as_str().unwrap().to_string(),
            patch["evidence"][0]["detail"].as_str().unwrap().to_string(),
        )
    };
    assert_eq!(verdict("web.patch").0, "expired", "{report}");
    let (other_verdict, why) = verdict("other.patch");
    assert_eq!(other_verdict, "unknown", "{report}");
    assert!(
        why.contains("/home/build/other") && why.contains("another checkout"),
        "{why}"
    );
    // Its `app.js` is looked for in R by name: R's own `app.js`, where it applies.
    assert_eq!(verdict("generated.patch").0, "needed", "{report}");
    // `prepare` applies it there too.
    let out = melange.prepare();
    assert_eq!(
        fs::read_to_string(out.join("web/app.js")).unwrap(),
        "web fixed\n"
    );
    // At 1.0 the step in `web` applies there.
    assert_eq!(
        melange
            .verdicts("1.0")
            .into_iter()
            .find(|(file, _)| file == "web.patch")
            .map(|(_, verdict)| verdict),
        Some("needed".to_string())
    );
}

/// A patch of a submodule's files (wolfi-os's code-server patches `lib/vscode`, jaeger
/// `jaeger-ui`; both check out with `recurse-submodules`): R's tree holds the submodule's
/// commit, not its files, so the patch is `unknown`, never `conflict`.
#[test]
fn a_patch_of_a_submodule_is_not_judged() {
    let melange = Melange::build(
        |upstream| {
            let vendor = GitRepo::new(upstream.path().join("vendor/lib"));
            vendor.write("x.c", "int x;\n");
            vendor.commit("vendored");
            upstream.write("main.c", "int main;\n");
        },
        |upstream| {
            upstream.write("main.c", "int main(void);\n");
        },
        "  - uses: patch\n    with:\n      patches: vendor.patch\n",
        &[(
            "vendor.patch",
            b"--- a/vendor/lib/x.c\n+++ b/vendor/lib/x.c\n@@ -1 +1 @@\n-int x;\n+int y;\n",
        )],
    );
    let output = melange.run(&["check", "demo", "--release", "1.1", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let patch = &report["packages"][0]["patches"][0];
    assert_eq!(patch["verdict"], "unknown", "{report}");
    let detail = patch["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["detector"] == "content")
        .map(|e| e["detail"].as_str().unwrap().to_string())
        .unwrap_or_default();
    assert!(detail.contains("`vendor/lib`, a submodule"), "{report}");
}

//! The applier's safety rules (DESIGN.md §4): hostile patches and hostile trees never make it
//! write outside the tree, never write through a symlink, never create a link that leaves the
//! tree, and never set setuid/setgid. Every test checks the folder around the tree too.

use std::collections::BTreeMap;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};

use mindelta::patch::apply::{ApplyError, ApplyOptions, WorkTree};
use mindelta::patch::parse_patches;

/// A temporary folder holding `tree/` (what patches apply to) and `outside/` (a victim).
struct Sandbox {
    _dir: tempfile::TempDir,
    root: PathBuf,
    /// The message of each refusal so far, the sandbox shown as `[ROOT]`.
    refusals: std::cell::RefCell<Vec<String>>,
}

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        std::fs::create_dir_all(root.join("tree/src")).unwrap();
        std::fs::create_dir_all(root.join("outside")).unwrap();
        std::fs::write(root.join("outside/victim.txt"), "secret\n").unwrap();
        std::fs::write(root.join("tree/src/main.c"), "int x;\n").unwrap();
        Sandbox {
            _dir: dir,
            root,
            refusals: Default::default(),
        }
    }

    fn tree(&self) -> PathBuf {
        self.root.join("tree")
    }

    /// Path → (bytes or link target, permission bits) for everything under the sandbox.
    fn snapshot(&self) -> BTreeMap<String, (Vec<u8>, u32)> {
        let mut out = BTreeMap::new();
        let mut stack = vec![self.root.clone()];
        while let Some(dir) = stack.pop() {
            for item in std::fs::read_dir(&dir).unwrap() {
                let path = item.unwrap().path();
                let name = path.strip_prefix(&self.root).unwrap().display().to_string();
                let meta = std::fs::symlink_metadata(&path).unwrap();
                if meta.file_type().is_symlink() {
                    let target = std::fs::read_link(&path).unwrap();
                    out.insert(name, (target.display().to_string().into_bytes(), 0));
                } else if meta.is_dir() {
                    out.insert(name, (Vec::new(), 1));
                    stack.push(path);
                } else {
                    let bytes = std::fs::read(&path).unwrap();
                    out.insert(name, (bytes, meta.permissions().mode() & 0o7777));
                }
            }
        }
        out
    }

    /// Everything outside `tree/`.
    fn outside(&self) -> BTreeMap<String, (Vec<u8>, u32)> {
        self.snapshot()
            .into_iter()
            .filter(|(path, _)| !path.starts_with("tree"))
            .collect()
    }

    /// Apply every patch of `text` in order and write; the first error is returned.
    fn apply(&self, text: &str, strip: usize) -> Result<(), ApplyError> {
        let patches = parse_patches(text.as_bytes()).expect("the test patch parses");
        let mut tree = WorkTree::open(&self.tree())?;
        let options = ApplyOptions {
            strip,
            ..ApplyOptions::default()
        };
        for patch in &patches {
            tree.apply(patch, &options)?;
        }
        tree.write().map(|_| ())
    }

    /// The messages of the refusals so far, one a line.
    fn refusals(&self) -> String {
        self.refusals.borrow().join("\n")
    }

    /// `text` must be refused as unsafe, and nothing at all may change.
    fn assert_refused(&self, text: &str, strip: usize) {
        let before = self.snapshot();
        let outside = self.outside();
        let result = self.apply(text, strip);
        assert!(
            matches!(result, Err(ApplyError::Unsafe { .. })),
            "expected an unsafe-path refusal, got {result:?}"
        );
        if let Err(error) = &result {
            let root = self.root.display().to_string();
            self.refusals
                .borrow_mut()
                .push(error.to_string().replace(&root, "[ROOT]"));
        }
        assert_eq!(
            self.outside(),
            outside,
            "something outside the tree changed"
        );
        assert_eq!(self.snapshot(), before, "a refused patch changed the tree");
    }
}

fn new_file(path: &str) -> String {
    format!("--- /dev/null\n+++ {path}\n@@ -0,0 +1 @@\n+evil\n")
}

#[test]
fn refuses_absolute_paths() {
    let sandbox = Sandbox::new();
    let target = sandbox.root.join("outside/evil.txt");
    sandbox.assert_refused(&new_file(&target.display().to_string()), 0);
    sandbox.assert_refused(
        &format!(
            "--- {0}\n+++ {0}\n@@ -1 +1 @@\n-secret\n+owned\n",
            sandbox.root.join("outside/victim.txt").display()
        ),
        0,
    );
    insta::assert_snapshot!(sandbox.refusals());
}

#[test]
fn refuses_parent_components() {
    let sandbox = Sandbox::new();
    sandbox.assert_refused(&new_file("b/../outside/evil.txt"), 1);
    sandbox.assert_refused(&new_file("b/src/../../outside/evil.txt"), 1);
    sandbox.assert_refused(
        "--- a/../outside/victim.txt\n+++ b/../outside/victim.txt\n@@ -1 +1 @@\n-secret\n+owned\n",
        1,
    );
    insta::assert_snapshot!(sandbox.refusals());
}

#[test]
fn refuses_git_renames_out_of_the_tree() {
    let sandbox = Sandbox::new();
    sandbox.assert_refused(
        "diff --git a/src/main.c b/../outside/main.c\nsimilarity index 100%\n\
         rename from src/main.c\nrename to ../outside/main.c\n",
        1,
    );
    insta::assert_snapshot!(sandbox.refusals());
}

#[test]
fn never_writes_through_a_symlinked_folder() {
    let sandbox = Sandbox::new();
    symlink("../outside", sandbox.tree().join("escape")).unwrap();
    sandbox.assert_refused(
        "--- a/escape/victim.txt\n+++ b/escape/victim.txt\n@@ -1 +1 @@\n-secret\n+owned\n",
        1,
    );
    sandbox.assert_refused(&new_file("b/escape/new.txt"), 1);
    sandbox.assert_refused(
        "diff --git a/escape/victim.txt b/escape/victim.txt\ndeleted file mode 100644\n\
         --- a/escape/victim.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-secret\n",
        1,
    );
    insta::assert_snapshot!(sandbox.refusals());
}

#[test]
fn never_writes_to_a_symlinks_target() {
    let sandbox = Sandbox::new();
    symlink("../outside/victim.txt", sandbox.tree().join("note.txt")).unwrap();
    sandbox.assert_refused(
        "--- a/note.txt\n+++ b/note.txt\n@@ -1 +1 @@\n-secret\n+owned\n",
        1,
    );
    insta::assert_snapshot!(sandbox.refusals());
}

#[test]
fn refuses_symlinks_that_leave_the_tree() {
    let sandbox = Sandbox::new();
    for target in ["/etc", "../outside", "../../x", "src/../../outside"] {
        sandbox.assert_refused(
            &format!(
                "diff --git a/link b/link\nnew file mode 120000\n--- /dev/null\n+++ b/link\n\
                 @@ -0,0 +1 @@\n+{target}\n\\ No newline at end of file\n"
            ),
            1,
        );
    }
    insta::assert_snapshot!(sandbox.refusals());
}

#[test]
fn refuses_a_path_through_a_link_the_same_series_created() {
    let sandbox = Sandbox::new();
    // The link itself stays inside the tree, but a later file would be written through it.
    let series = "diff --git a/src/up b/src/up\nnew file mode 120000\n--- /dev/null\n+++ b/src/up\n\
                  @@ -0,0 +1 @@\n+..\n\\ No newline at end of file\n\
                  diff --git a/src/up/x.txt b/src/up/x.txt\nnew file mode 100644\n--- /dev/null\n\
                  +++ b/src/up/x.txt\n@@ -0,0 +1 @@\n+x\n";
    sandbox.assert_refused(series, 1);
    insta::assert_snapshot!(sandbox.refusals());
}

#[test]
fn strips_setuid_and_setgid() {
    let sandbox = Sandbox::new();
    sandbox
        .apply(
            "diff --git a/tool b/tool\nnew file mode 106755\n--- /dev/null\n+++ b/tool\n\
             @@ -0,0 +1 @@\n+#!/bin/sh\n\
             diff --git a/src/main.c b/src/main.c\nold mode 100644\nnew mode 104755\n",
            1,
        )
        .unwrap();
    let mode = |path: &str| {
        std::fs::metadata(sandbox.tree().join(path))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777
    };
    assert_eq!(mode("tool"), 0o755);
    assert_eq!(mode("src/main.c"), 0o755);
}

#[test]
fn a_failing_patch_writes_nothing() {
    let sandbox = Sandbox::new();
    let before = sandbox.snapshot();
    let result = sandbox.apply(
        "--- /dev/null\n+++ b/src/new.c\n@@ -0,0 +1 @@\n+int y;\n\
         --- a/src/main.c\n+++ b/src/main.c\n@@ -1 +1 @@\n-int z;\n+int w;\n",
        1,
    );
    assert!(
        matches!(result, Err(ApplyError::HunkFailed { .. })),
        "{result:?}"
    );
    assert_eq!(sandbox.snapshot(), before);
}

#[test]
fn a_symlink_in_the_tree_is_replaced_not_followed() {
    let sandbox = Sandbox::new();
    symlink("../outside/victim.txt", sandbox.tree().join("link")).unwrap();
    // A git patch that changes the link's target (mode 120000) rewrites the link itself.
    sandbox
        .apply(
            "diff --git a/link b/link\nindex 1111111..2222222 120000\n--- a/link\n+++ b/link\n\
             @@ -1 +1 @@\n-../outside/victim.txt\n\\ No newline at end of file\n\
             +src/main.c\n\\ No newline at end of file\n",
            1,
        )
        .unwrap();
    assert_eq!(
        std::fs::read_link(sandbox.tree().join("link")).unwrap(),
        Path::new("src/main.c")
    );
    assert_eq!(
        std::fs::read(sandbox.root.join("outside/victim.txt")).unwrap(),
        b"secret\n"
    );
}

//! Helpers for the end-to-end tests of the command line: the binary with a private cache, tree
//! snapshots, copies of the example workspace, and the GNU patch / `git apply` oracles.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use assert_cmd::Command;
use sha2::{Digest, Sha256};

/// The `mindelta` binary with its cache in `cache` and colours off.
pub fn mindelta(cache: &Path) -> Command {
    let mut command = Command::cargo_bin("mindelta").expect("the binary is built");
    command
        .env("MINDELTA_CACHE_DIR", cache)
        .env("MINDELTA_RETRY_BACKOFF", "0")
        .env("NO_COLOR", "1");
    command
}

/// The repository's own example workspace.
pub fn example_workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Copy the folder `from` to `to`, recursively (regular files and folders).
pub fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A copy of the repository's example `hello` package and its upstream releases at `root`.
pub fn hello_workspace(root: &Path) {
    let source = example_workspace();
    copy_tree(&source.join("patches/hello"), &root.join("patches/hello"));
    copy_tree(
        &source.join("examples/upstream"),
        &root.join("examples/upstream"),
    );
}

/// Every file under `root` with the sha256 of its content.
pub fn snapshot(root: &Path) -> BTreeMap<PathBuf, String> {
    let mut files = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let digest = Sha256::digest(fs::read(&path).unwrap());
                files.insert(path, hex::encode(digest));
            }
        }
    }
    files
}

/// Check with GNU patch and `git apply` that `patch` applies to `tree` exactly: no offset, no
/// fuzz.
pub fn applies_exactly(tree: &Path, patch: &Path) {
    let output = Process::new("patch")
        .args(["-p1", "--dry-run", "--batch", "-i"])
        .arg(patch)
        .current_dir(tree)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "GNU patch: {text}");
    assert!(
        !text.contains("offset") && !text.contains("fuzz"),
        "GNU patch: {text}"
    );
    let output = Process::new("git")
        .args(["apply", "--check", "-v"])
        .arg(patch)
        .current_dir(tree)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "git apply: {text}");
}

/// `line 1;\n` … `line N;\n`: a file whose every line is distinct.
pub fn numbered(count: usize) -> String {
    (1..=count).map(|i| format!("line {i};\n")).collect()
}

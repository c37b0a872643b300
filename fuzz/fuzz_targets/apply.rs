//! Fuzz the applier: any bytes, parsed as patches and applied (forward, reverse, with fuzz)
//! to a small fixed tree, must never panic and never write outside the tree.
//!
//! The sandbox holds `tree/` (a few files, a folder and a symlink that points out of the tree)
//! and `outside/victim.txt`; after each run everything outside `tree/` must be as it was.
#![no_main]

use std::collections::BTreeMap;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use mindelta::patch::apply::{ApplyOptions, WorkTree};
use mindelta::patch::parse_patches;

fn build(sandbox: &Path) {
    let tree = sandbox.join("tree");
    std::fs::create_dir_all(tree.join("src")).expect("create the tree");
    std::fs::create_dir_all(sandbox.join("outside")).expect("create the victim folder");
    std::fs::write(sandbox.join("outside/victim.txt"), "secret\n").expect("write the victim");
    std::fs::write(
        tree.join("src/main.c"),
        "int main(void)\n{\n\treturn 0;\n}\n",
    )
    .expect("write a file");
    std::fs::write(tree.join("README"), "hello\r\nworld").expect("write a file");
    #[cfg(unix)]
    std::os::unix::fs::symlink("../outside", tree.join("escape")).expect("create a symlink");
}

/// Everything in the sandbox outside `tree/`: path → (bytes or link target).
fn outside(sandbox: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![sandbox.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = path
                .strip_prefix(sandbox)
                .unwrap_or(&path)
                .display()
                .to_string();
            if name == "tree" {
                continue;
            }
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path).unwrap_or_default();
                out.insert(name, target.display().to_string().into_bytes());
            } else if meta.is_dir() {
                out.insert(name, Vec::new());
                stack.push(path);
            } else {
                out.insert(name, std::fs::read(&path).unwrap_or_default());
            }
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Ok(patches) = parse_patches(data) else {
        return;
    };
    let sandbox = tempfile::tempdir().expect("create a sandbox");
    build(sandbox.path());
    let before = outside(sandbox.path());
    let variants = [
        ApplyOptions::default(),
        ApplyOptions {
            strip: 0,
            fuzz: 2,
            reverse: false,
        },
        ApplyOptions {
            strip: 1,
            fuzz: 0,
            reverse: true,
        },
    ];
    for options in &variants {
        let Ok(mut tree) = WorkTree::open(&sandbox.path().join("tree")) else {
            return;
        };
        for patch in &patches {
            // Errors are expected; panics and escapes are not.
            let _ = tree.check(patch, options);
            let _ = tree.apply(patch, options);
        }
        let _ = tree.write();
        assert_eq!(
            outside(sandbox.path()),
            before,
            "the applier wrote outside the tree"
        );
    }
});

//! Fuzz the applier: any bytes, parsed as patches and applied (forward, reverse, with fuzz)
//! to a small fixed tree, must never panic, never write outside the tree, never write into
//! `.git`, and never leave a symbolic link that leads out of the tree.
//!
//! The sandbox holds `tree/` (a few files, a `.git` folder, a symlink that points out of the
//! tree, and a link `a/s1 -> ..` for chains to build on) and `outside/victim.txt`. After each
//! run everything outside `tree/` and everything in `tree/.git` must be as it was; every path
//! in the tree must be one git accepts; every link the applier left must resolve inside the
//! tree. Seeds: `fuzz/seeds/apply/`; dictionary: `fuzz/patch.dict` (see README.md).
#![no_main]

use std::collections::BTreeMap;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use mindelta_patch::apply::{ApplyOptions, WorkTree};
use mindelta_patch::dotgit::verify_git_path;
use mindelta_patch::parse_patches;

/// The link planted to lead out of the tree before any patch runs: not the applier's doing.
const PLANTED_ESCAPE: &str = "escape";

fn build(sandbox: &Path) {
    let tree = sandbox.join("tree");
    std::fs::create_dir_all(tree.join("src")).expect("create the tree");
    std::fs::create_dir_all(tree.join("a")).expect("create a folder");
    std::fs::create_dir_all(tree.join(".git/hooks")).expect("create `.git`");
    std::fs::create_dir_all(sandbox.join("outside")).expect("create the victim folder");
    std::fs::write(sandbox.join("outside/victim.txt"), "secret\n").expect("write the victim");
    std::fs::write(tree.join(".git/config"), "[core]\n\tbare = false\n").expect("write a file");
    std::fs::write(
        tree.join("src/main.c"),
        "int main(void)\n{\n\treturn 0;\n}\n",
    )
    .expect("write a file");
    std::fs::write(tree.join("README"), "hello\r\nworld").expect("write a file");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("../outside", tree.join(PLANTED_ESCAPE))
            .expect("create a symlink");
        std::os::unix::fs::symlink("..", tree.join("a/s1")).expect("create a symlink");
    }
}

/// Everything in the sandbox outside `tree/`, and everything in `tree/.git`: path → (bytes or
/// link target).
fn guarded(sandbox: &Path) -> BTreeMap<String, Vec<u8>> {
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
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if name == "tree" {
                stack.push(path.join(".git"));
                continue;
            }
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

/// Panic if a path in the tree is one git refuses (other than the real `.git`), or if a link
/// other than the planted one resolves outside the tree.
fn assert_tree_is_sound(tree: &Path) {
    let root = tree.canonicalize().expect("the tree exists");
    let mut stack = vec![tree.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let relative = path.strip_prefix(tree).unwrap_or(&path);
            if relative == Path::new(".git") {
                continue;
            }
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            assert!(
                verify_git_path(relative.as_os_str().as_encoded_bytes(), kind.is_symlink()).is_ok(),
                "the applier wrote {relative:?}, a path git refuses"
            );
            if kind.is_symlink() {
                if relative != Path::new(PLANTED_ESCAPE)
                    && let Ok(resolved) = path.canonicalize()
                {
                    assert!(
                        resolved.starts_with(&root),
                        "the link {relative:?} leads out of the tree"
                    );
                }
            } else if kind.is_dir() {
                stack.push(path);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(patches) = parse_patches(data) else {
        return;
    };
    let sandbox = tempfile::tempdir().expect("create a sandbox");
    build(sandbox.path());
    let before = guarded(sandbox.path());
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
            guarded(sandbox.path()),
            before,
            "the applier wrote outside the tree or into `.git`"
        );
        assert_tree_is_sound(&sandbox.path().join("tree"));
    }
});

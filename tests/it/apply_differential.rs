//! The applier against the tools that define the right answer: every case is applied by
//! mindelta (the library), by `git apply` and by GNU `patch -p1`, each in its own copy of the
//! same tree, and the resulting trees must match byte for byte and mode for mode (GNU patch
//! is left out where it cannot express the case: binary payloads).
//!
//! Patches come from the corpus in `tests/data/apply/` or are made by git itself from a
//! before/after pair of trees (`git diff -M -C --binary`), so renames, copies, modes and
//! binary payloads are exactly what git writes. Property tests at the end check that
//! `diff_files` output applies and reverses.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use mindelta::patch::apply::{ApplyError, ApplyOptions, FileChange, WorkTree};
use mindelta::patch::diff::diff_files;
use mindelta::patch::{Patch, parse_patches};
use proptest::prelude::*;

/// One entry of a test tree: bytes, executable bit, or a symlink.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Entry {
    File(Vec<u8>),
    Executable(Vec<u8>),
    Link(String),
}

type Tree = Vec<(&'static str, Entry)>;

fn file(path: &'static str, bytes: &[u8]) -> (&'static str, Entry) {
    (path, Entry::File(bytes.to_vec()))
}

fn executable(path: &'static str, bytes: &[u8]) -> (&'static str, Entry) {
    (path, Entry::Executable(bytes.to_vec()))
}

fn link(path: &'static str, target: &str) -> (&'static str, Entry) {
    (path, Entry::Link(target.to_string()))
}

fn build(root: &Path, tree: &[(&'static str, Entry)]) {
    std::fs::create_dir_all(root).unwrap();
    for (path, entry) in tree {
        let full = root.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        match entry {
            Entry::File(bytes) => std::fs::write(&full, bytes).unwrap(),
            Entry::Executable(bytes) => {
                std::fs::write(&full, bytes).unwrap();
                set_executable(&full);
            }
            Entry::Link(target) => std::os::unix::fs::symlink(target, &full).unwrap(),
        }
    }
}

fn set_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Everything under `root` (but `.git`), as path → entry.
fn snapshot(root: &Path) -> BTreeMap<String, Entry> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for item in std::fs::read_dir(&dir).unwrap() {
            let item = item.unwrap();
            let path = item.path();
            let name = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if name == ".git" || name.ends_with(".orig") || name.ends_with(".rej") {
                continue;
            }
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path).unwrap();
                out.insert(name, Entry::Link(target.to_string_lossy().into_owned()));
            } else if meta.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                let entry = if meta.permissions().mode() & 0o111 != 0 {
                    Entry::Executable(bytes)
                } else {
                    Entry::File(bytes)
                };
                out.insert(name, entry);
            }
        }
    }
    out
}

fn hermetic(command: &mut Command) -> &mut Command {
    command
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.org")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.org")
        .env("GIT_AUTHOR_DATE", "1700000000 +0000")
        .env("GIT_COMMITTER_DATE", "1700000000 +0000")
        .env("LC_ALL", "C")
}

fn run(dir: &Path, program: &str, args: &[&str]) -> std::process::Output {
    hermetic(Command::new(program).args(args).current_dir(dir))
        .output()
        .unwrap_or_else(|error| panic!("cannot run {program}: {error}"))
}

/// The patch git writes for turning `before` into `after` (renames and copies detected,
/// binary payloads included).
fn git_patch(before: &[(&'static str, Entry)], after: &[(&'static str, Entry)]) -> Vec<u8> {
    let scratch = tempfile::tempdir().unwrap();
    let repo = scratch.path();
    build(repo, before);
    run(repo, "git", &["init", "-q"]);
    run(repo, "git", &["add", "-A"]);
    run(
        repo,
        "git",
        &["commit", "-q", "--allow-empty", "-m", "before"],
    );
    for item in std::fs::read_dir(repo).unwrap() {
        let path = item.unwrap().path();
        if path.file_name().is_some_and(|n| n == ".git") {
            continue;
        }
        if std::fs::symlink_metadata(&path).unwrap().is_dir() {
            std::fs::remove_dir_all(&path).unwrap();
        } else {
            std::fs::remove_file(&path).unwrap();
        }
    }
    build(repo, after);
    run(repo, "git", &["add", "-A"]);
    let output = run(
        repo,
        "git",
        &[
            "diff",
            "--cached",
            "-M",
            "-C",
            "--find-copies-harder",
            "--binary",
        ],
    );
    assert!(output.status.success());
    assert!(!output.stdout.is_empty(), "before and after are the same");
    output.stdout
}

/// Apply with the library: every patch of the input in order, then write.
fn apply_mindelta(dir: &Path, input: &[u8], options: &ApplyOptions) -> Result<(), ApplyError> {
    let patches: Vec<Patch> = parse_patches(input).expect("the corpus parses");
    let mut tree = WorkTree::open(dir)?;
    for patch in &patches {
        tree.apply(patch, options)?;
    }
    tree.write()?;
    Ok(())
}

struct Case {
    name: &'static str,
    before: Tree,
    patch: Vec<u8>,
    /// Extra `git apply` flags (`--unidiff-zero`).
    git_flags: &'static [&'static str],
    /// GNU patch can express this case.
    gnu: bool,
}

fn check(case: Case) {
    let scratch = tempfile::tempdir().unwrap();
    let patch_file = scratch.path().join("change.patch");
    std::fs::write(&patch_file, &case.patch).unwrap();
    let patch_arg = patch_file.to_str().unwrap();

    let ours = scratch.path().join("mindelta");
    build(&ours, &case.before);
    apply_mindelta(&ours, &case.patch, &ApplyOptions::default())
        .unwrap_or_else(|error| panic!("{}: mindelta failed: {error} ({error:?})", case.name));
    let ours = snapshot(&ours);

    let git = scratch.path().join("git");
    build(&git, &case.before);
    let mut args = vec!["apply", "-p1"];
    args.extend_from_slice(case.git_flags);
    args.push(patch_arg);
    let output = run(&git, "git", &args);
    assert!(
        output.status.success(),
        "{}: git apply failed: {}",
        case.name,
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        ours,
        snapshot(&git),
        "{}: mindelta and git apply differ",
        case.name
    );

    if case.gnu {
        let gnu = scratch.path().join("gnu");
        build(&gnu, &case.before);
        let output = run(
            &gnu,
            "patch",
            &[
                "-p1",
                "-s",
                "--batch",
                "--no-backup-if-mismatch",
                "-i",
                patch_arg,
            ],
        );
        assert!(
            output.status.success(),
            "{}: GNU patch failed: {}{}",
            case.name,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(
            ours,
            snapshot(&gnu),
            "{}: mindelta and GNU patch differ",
            case.name
        );
    }
}

fn corpus(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/apply")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn generated(name: &'static str, before: Tree, after: Tree, gnu: bool) -> Case {
    let patch = git_patch(&before, &after);
    Case {
        name,
        before,
        patch,
        git_flags: &[],
        gnu,
    }
}

fn numbered(count: usize) -> String {
    (1..=count).map(|i| format!("line {i}\n")).collect()
}

#[test]
fn modifications_with_offsets() {
    let base = numbered(40);
    let changed = base
        .replace("line 5\n", "line five\n")
        .replace("line 30\n", "line thirty\nline thirty-one-half\n");
    let mut case = generated(
        "offsets",
        vec![file("src/x.c", base.as_bytes())],
        vec![file("src/x.c", changed.as_bytes())],
        true,
    );
    // The tree the patch meets has three more lines on top: every hunk lands at offset 3.
    case.before = vec![file(
        "src/x.c",
        format!("new 1\nnew 2\nnew 3\n{base}").as_bytes(),
    )];
    check(case);
}

#[test]
fn hunk_at_end_of_file_and_no_newline() {
    check(generated(
        "append",
        vec![file("a.txt", numbered(10).as_bytes())],
        vec![file("a.txt", format!("{}tail\n", numbered(10)).as_bytes())],
        true,
    ));
    check(generated(
        "drop newline at end",
        vec![file("a.txt", b"one\ntwo\n")],
        vec![file("a.txt", b"one\ntwo")],
        true,
    ));
    check(generated(
        "add newline at end",
        vec![file("a.txt", b"one\ntwo")],
        vec![file("a.txt", b"one\ntwo\nthree\n")],
        true,
    ));
}

#[test]
fn crlf_content() {
    check(generated(
        "crlf",
        vec![file("dos.txt", b"one\r\ntwo\r\nthree\r\nfour\r\n")],
        vec![file("dos.txt", b"one\r\n2\r\nthree\r\nfour\r\nfive")],
        true,
    ));
}

#[test]
fn new_deleted_and_several_files() {
    check(generated(
        "new, deleted, several",
        vec![
            file("keep.txt", numbered(8).as_bytes()),
            file("old/gone.txt", b"bye\n"),
            file("empty-to-delete", b""),
        ],
        vec![
            file(
                "keep.txt",
                numbered(8).replace("line 4\n", "four\n").as_bytes(),
            ),
            file("new/dir/hello.txt", b"hello\n"),
            file("new/empty", b""),
        ],
        false,
    ));
}

#[test]
fn renames_copies_and_modes() {
    let body = numbered(20);
    check(generated(
        "pure rename",
        vec![file("a/old.txt", body.as_bytes())],
        vec![file("b/new.txt", body.as_bytes())],
        true,
    ));
    check(generated(
        "rename with edit",
        vec![file("old.txt", body.as_bytes())],
        vec![file(
            "new.txt",
            body.replace("line 10\n", "ten\n").as_bytes(),
        )],
        true,
    ));
    check(generated(
        "copy with edit",
        vec![file("src.txt", body.as_bytes())],
        vec![
            file("src.txt", body.as_bytes()),
            file("copy.txt", body.replace("line 2\n", "two\n").as_bytes()),
        ],
        true,
    ));
    check(generated(
        "mode change",
        vec![
            file("run.sh", b"echo hi\n"),
            executable("stop.sh", b"echo bye\n"),
        ],
        vec![
            executable("run.sh", b"echo hi\n"),
            file("stop.sh", b"echo bye\n"),
        ],
        true,
    ));
    check(generated(
        "mode change with edit",
        vec![file("run.sh", b"echo hi\n")],
        vec![executable("run.sh", b"echo hello\n")],
        true,
    ));
}

#[test]
fn symlinks_inside_the_tree() {
    check(generated(
        "new symlink",
        vec![file("dir/target.txt", b"t\n")],
        vec![
            file("dir/target.txt", b"t\n"),
            link("dir/link", "target.txt"),
        ],
        false,
    ));
}

#[test]
fn binary_literal_and_delta() {
    let mut big: Vec<u8> = (0..4096u32)
        .flat_map(|i| (i * 7919).to_le_bytes())
        .collect();
    big[0] = 0;
    let mut changed = big.clone();
    changed[100] ^= 0xff;
    changed.extend_from_slice(b"\0tail");
    check(generated(
        "binary",
        vec![file("blob.bin", &big), file("gone.bin", b"\0\x01\x02")],
        vec![file("blob.bin", &changed), file("new.bin", b"\0\xff\0")],
        false,
    ));
}

#[test]
fn format_patch_mail_series() {
    check(Case {
        name: "format-patch",
        before: vec![file("greet.txt", b"first\nhello\nlast\n")],
        patch: corpus("format-patch.mbox"),
        git_flags: &[],
        gnu: true,
    });
}

#[test]
fn quilt_plain_diff_with_timestamps() {
    check(Case {
        name: "quilt",
        before: vec![file(
            "src/main.c",
            b"#include \"x.h\"\n\nint main(void)\n{\n\treturn run();\n}\n",
        )],
        patch: corpus("quilt-plain.patch"),
        git_flags: &[],
        gnu: true,
    });
}

#[test]
fn context_less_hunks() {
    check(Case {
        name: "unidiff zero",
        before: vec![file("list.txt", b"one\ntwo\nthree\nfour\nfive\nsix\n")],
        patch: corpus("unidiff-zero.patch"),
        git_flags: &["--unidiff-zero"],
        gnu: true,
    });
}

#[test]
fn renamed_file_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let body = numbered(5);
    let before = vec![file("old.txt", body.as_bytes())];
    build(dir.path(), &before);
    let patch = git_patch(&before, &[file("new.txt", body.as_bytes())]);
    let patches = parse_patches(&patch).unwrap();
    let mut tree = WorkTree::open(dir.path()).unwrap();
    let applied = tree.apply(&patches[0], &ApplyOptions::default()).unwrap();
    assert_eq!(
        applied.files[0].change,
        FileChange::Renamed {
            from: "old.txt".into()
        }
    );
    // Applying it again: the rename already happened.
    let again = tree
        .apply(&patches[0], &ApplyOptions::default())
        .unwrap_err();
    assert!(
        matches!(again, ApplyError::AlreadyApplied { .. }),
        "{again:?}"
    );
}

#[test]
fn reverse_restores_the_tree() {
    let before = vec![
        file("a.txt", numbered(12).as_bytes()),
        file("b.txt", b"x\r\ny"),
    ];
    let after = vec![
        file(
            "a.txt",
            numbered(12).replace("line 6\n", "six\n").as_bytes(),
        ),
        file("c.txt", b"new\n"),
    ];
    let patch = git_patch(&before, &after);
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), &before);
    let expected = snapshot(dir.path());
    apply_mindelta(dir.path(), &patch, &ApplyOptions::default()).unwrap();
    let reverse = ApplyOptions {
        reverse: true,
        ..ApplyOptions::default()
    };
    apply_mindelta(dir.path(), &patch, &reverse).unwrap();
    assert_eq!(snapshot(dir.path()), expected);
}

fn text() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop::sample::select(vec![
            "a\n",
            "b\n",
            "{\n",
            "}\n",
            "\n",
            "c\r\n",
            "no newline",
        ]),
        0..30,
    )
    .prop_map(|lines| lines.concat().into_bytes())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// diff(a, b) applied to a tree holding a gives b, and reversing it gives a back.
    #[test]
    fn diff_then_apply_round_trips(a in text(), b in text(), context in 0usize..4) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f.txt"), &a).unwrap();
        let file_patch = diff_files("f.txt", "f.txt", &a, &b, context);
        let patch = Patch { files: vec![file_patch], ..Patch::default() };
        let mut tree = WorkTree::open(dir.path()).unwrap();
        if a != b {
            tree.apply(&patch, &ApplyOptions::default()).unwrap();
            tree.write().unwrap();
            prop_assert_eq!(std::fs::read(dir.path().join("f.txt")).unwrap(), b.clone());
            let mut tree = WorkTree::open(dir.path()).unwrap();
            let reverse = ApplyOptions { reverse: true, ..ApplyOptions::default() };
            tree.apply(&patch, &reverse).unwrap();
            tree.write().unwrap();
            prop_assert_eq!(std::fs::read(dir.path().join("f.txt")).unwrap(), a);
        }
    }
}

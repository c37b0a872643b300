//! The user's files: outputs, links in the workspace, interrupted and repeated commands.

use crate::support;

use support::cli::{hello_workspace, mindelta};

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

/// Every file under `root` (relative path → content), links read as their target path, and
/// mindelta's state folder `.mindelta/` (its lock files) left out.
fn files(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            let relative = path.strip_prefix(root).unwrap().to_path_buf();
            let kind = entry.file_type().unwrap();
            if kind.is_symlink() {
                let target = fs::read_link(&path).unwrap();
                out.insert(relative, target.as_os_str().as_encoded_bytes().to_vec());
            } else if kind.is_dir() {
                if relative != Path::new(".mindelta") {
                    walk(root, &path, out);
                }
            } else {
                out.insert(relative, fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `mindelta --workspace ROOT ARGS…` with its cache in `cache`.
fn run(cache: &Path, root: &Path, args: &[&str]) -> Output {
    mindelta(cache)
        .env("SOURCE_DATE_EPOCH", "1795780800")
        .arg("--workspace")
        .arg(root)
        .args(args)
        .output()
        .unwrap()
}

/// `prepare hello --offline --out OUT` (and `extra`).
fn prepare(cache: &Path, root: &Path, out: &Path, extra: &[&str]) -> Output {
    mindelta(cache)
        .arg("--workspace")
        .arg(root)
        .args(["prepare", "hello", "--offline", "--out"])
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn prepare_never_replaces_the_workspace_the_cache_or_a_folder_above_them() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("ws");
    hello_workspace(&root);
    fs::create_dir_all(root.join(".git/refs")).unwrap();
    fs::write(root.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    let cache = temp.path().join("home/.cache/mindelta");
    fs::create_dir_all(cache.join("git")).unwrap();
    fs::write(cache.join("git/mirror"), "cached").unwrap();
    let before = files(temp.path());

    let refused = [
        root.clone(),
        root.join("."),
        temp.path().to_path_buf(),
        root.join("patches/hello"),
        root.join(".git"),
        cache.clone(),
        cache.join("git"),
        temp.path().join("home"),
    ];
    for out in &refused {
        for force in [&[][..], &["--force"][..]] {
            let output = prepare(&cache, &root, out, force);
            let text = stderr(&output);
            assert_eq!(output.status.code(), Some(1), "{}: {text}", out.display());
            assert!(text.contains("`prepare` never"), "{text}");
            assert!(
                text.contains("hint: give the tree a folder of its own"),
                "{text}"
            );
            assert_eq!(files(temp.path()), before, "{} was touched", out.display());
        }
    }
    // Spelled through a link to the workspace, it is still the workspace.
    std::os::unix::fs::symlink(&root, temp.path().join("link")).unwrap();
    let output = prepare(
        &cache,
        &root,
        &temp.path().join("link/patches"),
        &["--force"],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(root.join("patches/hello/package.yaml").is_file());
    assert!(root.join(".git/HEAD").is_file());
}

#[test]
fn prepare_replaces_only_a_folder_it_wrote_an_empty_one_or_with_force() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("ws");
    hello_workspace(&root);
    let cache = temp.path().join("cache");

    // A folder of the user's: refused, with a hint, and left as it was.
    let mine = temp.path().join("build/hello");
    fs::create_dir_all(&mine).unwrap();
    fs::write(mine.join("notes.txt"), "my notes").unwrap();
    let output = prepare(&cache, &root, &mine, &[]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("did not write and it is not empty"), "{text}");
    assert!(text.contains("pass `--force`"), "{text}");
    assert_eq!(fs::read(mine.join("notes.txt")).unwrap(), b"my notes");
    assert!(!mine.join("hello.c").exists());

    // An empty folder is taken; the tree written there is replaced next time without `--force`.
    let out = temp.path().join("build/empty");
    fs::create_dir_all(&out).unwrap();
    for _ in 0..2 {
        let output = prepare(&cache, &root, &out, &[]);
        assert!(output.status.success(), "{}", stderr(&output));
        assert!(out.join("hello.c").is_file());
    }
    // The tree is upstream plus the patches, nothing else: the mark is beside it.
    assert!(!out.join(".mindelta-prepared").exists());
    assert!(temp.path().join("build/.empty.mindelta-prepared").is_file());

    // A folder the user put in its place is theirs again.
    fs::remove_dir_all(&out).unwrap();
    fs::create_dir_all(&out).unwrap();
    fs::write(out.join("notes.txt"), "mine now").unwrap();
    let output = prepare(&cache, &root, &out, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(fs::read(out.join("notes.txt")).unwrap(), b"mine now");

    // `--force` replaces a folder of the user's.
    let output = prepare(&cache, &root, &mine, &["--force"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!mine.join("notes.txt").exists());
    assert!(mine.join("hello.c").is_file());
}

/// The example workspace with its first patch moved to `outside/` and listed through the link
/// `patches/hello/ln -> outside`.
fn linked_patch(temp: &Path) -> (PathBuf, PathBuf) {
    let root = temp.join("ws");
    hello_workspace(&root);
    let dir = root.join("patches/hello");
    let outside = temp.join("outside");
    fs::create_dir_all(&outside).unwrap();
    let name = "0001-fix-name-overflow.patch";
    fs::rename(dir.join(name), outside.join(name)).unwrap();
    std::os::unix::fs::symlink(&outside, dir.join("ln")).unwrap();
    let manifest = fs::read_to_string(dir.join("package.yaml")).unwrap();
    fs::write(
        dir.join("package.yaml"),
        manifest.replace(&format!("file: {name}"), &format!("file: ln/{name}")),
    )
    .unwrap();
    (root, outside)
}

#[test]
fn a_patch_path_through_a_link_is_neither_read_nor_deleted() {
    let temp = tempfile::tempdir().unwrap();
    let (root, outside) = linked_patch(temp.path());
    let cache = temp.path().join("cache");
    let before = files(temp.path());

    // `expire` would drop the patch (fixed in 1.1) and delete its file: outside the package.
    let output = run(
        &cache,
        &root,
        &[
            "expire",
            "hello",
            "--release",
            "1.1",
            "--fuzz",
            "1",
            "--offline",
        ],
    );
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains("patches/hello/ln` is a symbolic link"),
        "{text}"
    );
    assert!(outside.join("0001-fix-name-overflow.patch").is_file());
    assert_eq!(files(temp.path()), before);

    // Nor is it read: not by `check`, `prepare` or `audit`.
    let output = run(
        &cache,
        &root,
        &["check", "hello", "--release", "1.1", "--offline"],
    );
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        stderr(&output)
    );
    assert!(all.contains("is a symbolic link"), "{all}");
    assert!(!all.contains("expired    ln/"), "{all}");
    let output = prepare(&cache, &root, &temp.path().join("out"), &[]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("is a symbolic link"), "{text}");
    let output = run(&cache, &root, &["audit", "hello", "--offline"]);
    assert!(
        stderr(&output).contains("is a symbolic link"),
        "{}",
        stderr(&output)
    );

    // A patch file that is itself a link is refused the same way.
    let dir = root.join("patches/hello");
    fs::remove_file(dir.join("ln")).unwrap();
    let manifest = fs::read_to_string(dir.join("package.yaml")).unwrap();
    fs::write(
        dir.join("package.yaml"),
        manifest.replace("file: ln/", "file: "),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        outside.join("0001-fix-name-overflow.patch"),
        dir.join("0001-fix-name-overflow.patch"),
    )
    .unwrap();
    let output = prepare(&cache, &root, &temp.path().join("out"), &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("0001-fix-name-overflow.patch` is a symbolic link"));
    assert!(outside.join("0001-fix-name-overflow.patch").is_file());
}

#[test]
fn a_killed_expire_leaves_the_old_or_the_new_state_after_the_next_command() {
    let temp = tempfile::tempdir().unwrap();
    let cache = temp.path().join("cache");
    let expire = [
        "expire",
        "hello",
        "--release",
        "1.1",
        "--fuzz",
        "1",
        "--offline",
    ];

    // The whole old and the whole new state: `hello` loses a patch, rewrites one, and moves
    // its version (three files).
    let reference = temp.path().join("reference");
    hello_workspace(&reference);
    let old = files(&reference);
    let output = run(&cache, &reference, &expire);
    assert!(output.status.success(), "{}", stderr(&output));
    let new = files(&reference);
    assert_ne!(old, new);

    let (mut rolled_back, mut finished) = (0, 0);
    for step in 1.. {
        let root = temp.path().join(format!("ws-{step}"));
        hello_workspace(&root);
        // Aborted as a kill would; run from the scratch folder, where a core dump would land.
        let output = mindelta(&cache)
            .current_dir(temp.path())
            .env("SOURCE_DATE_EPOCH", "1795780800")
            .env("MINDELTA_TEST_ABORT_AFTER_STEP", step.to_string())
            .arg("--workspace")
            .arg(&root)
            .args(expire)
            .output()
            .unwrap();
        if output.status.success() {
            // Past the last step: the commit ran to its end.
            assert!(step > 10, "only {step} steps: {}", stderr(&output));
            assert_eq!(files(&root), new);
            break;
        }
        assert_eq!(
            output.status.code(),
            None,
            "step {step}: killed, not failed"
        );

        // The next command, whatever it is, recovers first and says how.
        let journal = root.join(".mindelta/journal/hello.json").exists();
        let output = run(&cache, &root, &["list"]);
        let text = stderr(&output);
        assert!(output.status.success(), "step {step}: {text}");
        let state = files(&root);
        if !journal {
            // Killed after its last step, the removal of the journal: nothing to recover.
            assert_eq!(state, new, "step {step}");
            assert!(!text.contains("interrupted"), "step {step}: {text}");
        } else if state == old {
            rolled_back += 1;
            assert!(
                text.contains("`hello`: an interrupted `expire` was rolled back"),
                "step {step}: {text}"
            );
        } else {
            assert_eq!(state, new, "step {step}: neither the old nor the new state");
            finished += 1;
            assert!(
                text.contains("`hello`: an interrupted `expire` was finished"),
                "step {step}: {text}"
            );
        }
        assert_eq!(
            fs::read_dir(root.join(".mindelta/journal"))
                .unwrap()
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
                .count(),
            0,
            "step {step}: the journal is gone"
        );
        // And the one after has nothing left to say.
        let output = run(&cache, &root, &["list"]);
        assert!(!stderr(&output).contains("interrupted"), "step {step}");
    }
    assert!(rolled_back > 0 && finished > 0, "{rolled_back} {finished}");
}

#[test]
fn staging_folders_of_dead_runs_are_removed_and_live_ones_kept() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("ws");
    hello_workspace(&root);
    let cache = temp.path().join("cache");
    let build = temp.path().join("build");
    let out = build.join("hello");
    let staging = |build: &Path| -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(build)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with(".mindelta-prepare-"))
            .collect();
        names.sort();
        names
    };

    // What a killed run leaves (its tree half written), and a folder of a run still alive (it
    // holds the folder's lock).
    fs::create_dir_all(build.join(".mindelta-prepare-dead1/tree/src")).unwrap();
    fs::write(build.join(".mindelta-prepare-dead1/tree/src/big.c"), "x").unwrap();
    let live = build.join(".mindelta-prepare-live");
    fs::create_dir_all(live.join("tree")).unwrap();
    let lock = fs::File::open(&live).unwrap();
    lock.lock().unwrap();
    let output = prepare(&cache, &root, &out, &[]);
    let text = stderr(&output);
    assert!(output.status.success(), "{text}");
    assert!(
        text.contains("removed 1 staging folder(s) of killed runs"),
        "{text}"
    );
    assert_eq!(staging(&build), [".mindelta-prepare-live"]);
    assert!(out.join("hello.c").is_file());

    // A real run killed once its tree is staged: its folder goes at the next run, and the live
    // one goes once its owner is gone.
    let output = mindelta(&cache)
        .current_dir(temp.path())
        .env("MINDELTA_TEST_ABORT_AFTER_STEP", "1")
        .arg("--workspace")
        .arg(&root)
        .args(["prepare", "hello", "--offline", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), None, "killed: {}", stderr(&output));
    assert_eq!(staging(&build).len(), 2);
    drop(lock);
    let output = prepare(&cache, &root, &out, &[]);
    let text = stderr(&output);
    assert!(output.status.success(), "{text}");
    assert!(
        text.contains("removed 2 staging folder(s) of killed runs"),
        "{text}"
    );
    assert!(staging(&build).is_empty());
    assert!(out.join("hello.c").is_file());
}

#[test]
fn import_writes_files_with_the_usual_mode() {
    use std::os::unix::fs::PermissionsExt;
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("ws");
    fs::create_dir_all(&root).unwrap();
    let series = temp.path().join("series-dir");
    fs::create_dir_all(&series).unwrap();
    fs::write(series.join("series"), "fix.patch\n").unwrap();
    fs::write(
        series.join("fix.patch"),
        "--- a/greeting.txt\n+++ b/greeting.txt\n@@ -1 +1 @@\n-one\n+ONE\n",
    )
    .unwrap();
    let upstream = temp.path().join("upstream");
    fs::create_dir_all(&upstream).unwrap();
    fs::write(upstream.join("greeting.txt"), "one\n").unwrap();
    // The user's umask, set for the run: files are 0666 less it, as `git checkout` makes them.
    let output = std::process::Command::new("sh")
        .args(["-c", "umask 022 && exec \"$@\"", "sh"])
        .arg(assert_cmd::cargo::cargo_bin("mindelta"))
        .arg("--workspace")
        .arg(&root)
        .args(["import", "quilt"])
        .arg(&series)
        .args(["--name", "demo", "--version", "1.0", "--upstream-dir"])
        .arg(&upstream)
        .env("MINDELTA_CACHE_DIR", temp.path().join("cache"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let mode = |path: &Path| fs::metadata(path).unwrap().permissions().mode() & 0o7777;
    let dir = root.join("patches/demo");
    assert_eq!(mode(&dir.join("package.yaml")), 0o644);
    assert_eq!(mode(&dir.join("fix.patch")), 0o644);
}

/// `mindelta init DIR` run in `cwd`.
fn init(cwd: &Path, dir: &str) -> Output {
    mindelta(&cwd.join("cache"))
        .current_dir(cwd)
        .args(["init", dir])
        .output()
        .unwrap()
}

#[test]
fn init_refuses_a_link_or_a_file_where_the_workspace_goes() {
    let temp = tempfile::tempdir().unwrap();
    let outside = temp.path().join("outside");
    fs::create_dir(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, temp.path().join("link")).unwrap();
    fs::write(temp.path().join("file"), "a file\n").unwrap();
    for (dir, wanted) in [
        ("link", "`link` is a symbolic link"),
        ("file", "`file` exists and is not a folder"),
    ] {
        let output = init(temp.path(), dir);
        let stderr = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{dir}: {stderr}");
        assert!(stderr.contains(wanted), "{dir}: {stderr}");
    }
    assert!(
        files(&outside).is_empty(),
        "nothing written through the link"
    );
    assert_eq!(
        fs::read_to_string(temp.path().join("file")).unwrap(),
        "a file\n"
    );
}

#[test]
fn init_writes_through_no_link_inside_the_workspace() {
    let temp = tempfile::tempdir().unwrap();
    let outside = temp.path().join("outside");
    fs::create_dir(&outside).unwrap();
    fs::write(outside.join("secret"), "keep\n").unwrap();
    /// Puts something in the way in a workspace root, given a folder outside it.
    type Obstacle = fn(&Path, &Path);
    let cases: [(&str, Obstacle); 5] = [
        ("policies", |root, outside| {
            std::os::unix::fs::symlink(outside, root.join("policies")).unwrap()
        }),
        (".gitignore", |root, outside| {
            std::os::unix::fs::symlink(outside.join("secret"), root.join(".gitignore")).unwrap()
        }),
        ("policies/dep3.yaml", |root, outside| {
            fs::create_dir(root.join("policies")).unwrap();
            std::os::unix::fs::symlink(outside.join("secret"), root.join("policies/dep3.yaml"))
                .unwrap()
        }),
        ("patches", |root, _| {
            fs::write(root.join("patches"), "not a folder\n").unwrap()
        }),
        (".gitignore", |root, _| {
            fs::create_dir(root.join(".gitignore")).unwrap()
        }),
    ];
    for (index, (piece, make)) in cases.into_iter().enumerate() {
        let name = format!("ws{index}");
        let root = temp.path().join(&name);
        fs::create_dir(&root).unwrap();
        make(&root, &outside);
        let before = files(&root);
        let output = init(temp.path(), &name);
        let stderr = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{piece}: {stderr}");
        assert!(stderr.contains(piece), "{piece}: {stderr}");
        assert!(stderr.contains("nothing was written"), "{piece}: {stderr}");
        assert_eq!(files(&root), before, "{piece}: nothing written");
    }
    assert_eq!(files(&outside).len(), 1);
    assert_eq!(
        fs::read_to_string(outside.join("secret")).unwrap(),
        "keep\n"
    );
}

//! Patch ids against the oracle: `git patch-id --stable` on a generated history.
//!
//! A hermetic git repository (no user config, fixed identities and dates) gets ~300 commits of
//! varied kinds: edits, adds, deletes, renames, mode changes, CRLF files, files without a final
//! newline, binary files, several files per commit, whitespace-only changes, names that git
//! quotes. Its history is exported with `git format-patch` and `git log -p`, and
//! `stable_patch_ids` must print what git prints; `patch_id` on each parsed mail and on a
//! quilt-style `diff -urN` rewrite (-p0, -p1, -p2) must equal git's id of the same change. The
//! parser's round trip is checked on the same exports.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use mindelta::patch::parse_patches;
use mindelta::patch::patch_id::{patch_id, stable_patch_ids};
use mindelta::patch::write::write_patches;

/// A small deterministic random source (xorshift), so the history is the same on every run.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn git_command(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Ada Author")
        .env("GIT_AUTHOR_EMAIL", "ada@example.org")
        .env("GIT_COMMITTER_NAME", "Cy Committer")
        .env("GIT_COMMITTER_EMAIL", "cy@example.org")
        .env("GIT_AUTHOR_DATE", "2024-01-02T03:04:05Z")
        .env("GIT_COMMITTER_DATE", "2024-01-02T03:04:05Z")
        .env("LC_ALL", "C")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE");
    command
}

fn git(dir: &Path, args: &[&str]) -> Vec<u8> {
    git_with_input(dir, args, None)
}

fn git_with_input(dir: &Path, args: &[&str], input: Option<&[u8]>) -> Vec<u8> {
    let mut child = git_command(dir)
        .args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("git runs");
    if let Some(input) = input {
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let input = input.to_vec();
        std::thread::spawn(move || stdin.write_all(&input));
    }
    let output = child.wait_with_output().expect("git finishes");
    assert!(
        output.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// git's own `patch-id --stable` output, as pairs.
fn git_patch_ids(dir: &Path, input: &[u8]) -> Vec<(String, String)> {
    let output = git_with_input(dir, &["patch-id", "--stable"], Some(input));
    String::from_utf8(output)
        .expect("patch-id prints ASCII")
        .lines()
        .map(|line| {
            let (id, commit) = line.split_once(' ').expect("two columns");
            (id.to_string(), commit.to_string())
        })
        .collect()
}

const WORDS: &[&str] = &[
    "alpha",
    "beta",
    "gamma",
    "delta",
    "return 0;",
    "}",
    "{",
    "",
    "int x = 1;",
    "-- ",
    "--- x",
    "+++ y",
    "@@ -1 +1 @@",
    "diff --git a/q b/q",
    "\tindented",
    "trailing  ",
    "From nobody",
];

fn text_content(random: &mut Random, crlf: bool, final_newline: bool) -> Vec<u8> {
    let count = 1 + random.below(30);
    let mut out = Vec::new();
    for i in 0..count {
        out.extend_from_slice(WORDS[random.below(WORDS.len())].as_bytes());
        if i + 1 < count || final_newline {
            out.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
        }
    }
    out
}

fn edit_content(random: &mut Random, old: &[u8]) -> Vec<u8> {
    let crlf = old.windows(2).any(|w| w == b"\r\n");
    let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
    let mut lines: Vec<Vec<u8>> = old
        .split_inclusive(|b| *b == b'\n')
        .map(<[u8]>::to_vec)
        .collect();
    for _ in 0..1 + random.below(4) {
        let word = WORDS[random.below(WORDS.len())].as_bytes();
        let at = random.below(lines.len() + 1);
        match random.below(4) {
            0 if at < lines.len() => {
                lines.remove(at);
            }
            1 if at < lines.len() => {
                // Whitespace-only change.
                let line = &mut lines[at];
                line.insert(0, b' ');
            }
            _ => lines.insert(at, [word, eol].concat()),
        }
    }
    let mut out = lines.concat();
    if random.chance(10) {
        // Toggle the final newline.
        if out.ends_with(b"\n") {
            out.pop();
            if out.ends_with(b"\r") {
                out.pop();
            }
        } else {
            out.extend_from_slice(eol);
        }
    }
    out
}

fn binary_content(random: &mut Random) -> Vec<u8> {
    let size = random.below(3000);
    let mut out = vec![0u8, 1, 2, 255];
    out.extend((0..size).map(|_| (random.next() % 7) as u8));
    out
}

const NAMES: &[&str] = &[
    "src/main.c",
    "src/lib/util.c",
    "README",
    "doc/with space.txt",
    "t\u{e9}st.txt",
    "Makefile",
    "scripts/run.sh",
    "data/blob.bin",
    "quote\"d.txt",
    "deep/a/b/c/file.h",
];

/// Build the history; returns the repository directory (inside `root`).
fn build_history(root: &Path, commits: usize) -> PathBuf {
    let repo = root.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    let mut random = Random(0x9e37_79b9_7f4a_7c15);
    let mut files: Vec<String> = Vec::new();
    for number in 0..commits {
        let changes = if random.chance(20) {
            2 + random.below(3)
        } else {
            1
        };
        for _ in 0..changes {
            change_something(&repo, &mut random, &mut files, number);
        }
        git(&repo, &["add", "-A"]);
        git(
            &repo,
            &[
                "commit",
                "-q",
                "--allow-empty",
                "-m",
                &format!("change {number}\n\nBody of change {number}.\n"),
            ],
        );
    }
    repo
}

fn change_something(repo: &Path, random: &mut Random, files: &mut Vec<String>, number: usize) {
    let action = if files.len() < 3 { 0 } else { random.below(10) };
    match action {
        // Add a file: text (maybe CRLF / no final newline), binary or empty.
        0 | 1 => {
            let base = NAMES[random.below(NAMES.len())];
            let name = if files.iter().any(|f| f == base) {
                format!("{base}.{number}.{}", files.len())
            } else {
                base.to_string()
            };
            let content = if name.contains(".bin") || random.chance(8) {
                binary_content(random)
            } else if random.chance(5) {
                Vec::new()
            } else {
                let crlf = random.chance(20);
                let final_newline = !random.chance(15);
                text_content(random, crlf, final_newline)
            };
            write(repo, &name, &content);
            if random.chance(15) {
                set_executable(&repo.join(&name), true);
            }
            files.push(name);
        }
        // Delete a file.
        2 => {
            let name = files.remove(random.below(files.len()));
            std::fs::remove_file(repo.join(&name)).unwrap();
        }
        // Rename a file, sometimes with an edit.
        3 => {
            let at = random.below(files.len());
            let old = files[at].clone();
            let new = format!("moved/{number}-{}", old.replace('/', "_"));
            std::fs::create_dir_all(repo.join("moved")).unwrap();
            std::fs::rename(repo.join(&old), repo.join(&new)).unwrap();
            if random.chance(30) && !is_binary(&repo.join(&new)) {
                let content = std::fs::read(repo.join(&new)).unwrap();
                write(repo, &new, &edit_content(random, &content));
            }
            files[at] = new;
        }
        // Mode change, sometimes with an edit.
        4 => {
            let name = &files[random.below(files.len())];
            let path = repo.join(name);
            set_executable(&path, !is_executable(&path));
            if random.chance(30) && !is_binary(&path) {
                let content = std::fs::read(&path).unwrap();
                write(repo, name, &edit_content(random, &content));
            }
        }
        // Edit a file (binary files get new bytes).
        _ => {
            let name = &files[random.below(files.len())];
            let path = repo.join(name);
            let content = std::fs::read(&path).unwrap();
            let new = if is_binary(&path) {
                let mut bytes = content.clone();
                let at = random.below(bytes.len().max(1));
                bytes.insert(at.min(bytes.len()), 42);
                bytes
            } else {
                edit_content(random, &content)
            };
            write(repo, name, &new);
        }
    }
}

fn write(repo: &Path, name: &str, content: &[u8]) {
    let path = repo.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

fn is_binary(path: &Path) -> bool {
    std::fs::read(path).unwrap().contains(&0)
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o100 != 0
}

fn set_executable(path: &Path, executable: bool) {
    use std::os::unix::fs::PermissionsExt;
    let mode = if executable { 0o755 } else { 0o644 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

struct History {
    _root: tempfile::TempDir,
    repo: PathBuf,
}

fn history() -> &'static History {
    static HISTORY: std::sync::OnceLock<History> = std::sync::OnceLock::new();
    HISTORY.get_or_init(|| {
        let root = tempfile::tempdir().unwrap();
        let repo = build_history(root.path(), 300);
        History { _root: root, repo }
    })
}

fn assert_same_ids(input: &[u8], what: &str) {
    let repo = &history().repo;
    let expected = git_patch_ids(repo, input);
    assert!(
        expected.len() > 100,
        "{what}: git found {} ids",
        expected.len()
    );
    let actual = stable_patch_ids(input);
    assert_eq!(actual.len(), expected.len(), "{what}: number of ids");
    for (ours, theirs) in actual.iter().zip(&expected) {
        assert_eq!(ours, theirs, "{what}: patch id of commit {}", theirs.1);
    }
}

#[test]
fn format_patch_mbox_matches_git() {
    let repo = &history().repo;
    let mbox = git(repo, &["format-patch", "--stdout", "--root", "main"]);
    // The history covers the cases it claims to.
    let renames = git(repo, &["format-patch", "-M", "--stdout", "--root", "main"]);
    for needle in [
        &b"GIT binary patch\nliteral"[..],
        b"\ndelta ",
        b"\nrename from ",
        b"\nold mode 100644\nnew mode 100755",
        b"\ndeleted file mode",
        b"\r\n",
        b"\\ No newline at end of file",
        b"\"a/t\\303\\251st.txt",
        b"a/doc/with space.txt",
    ] {
        let found = |text: &[u8]| text.windows(needle.len()).any(|w| w == needle);
        assert!(
            found(&mbox) || found(&renames),
            "history lacks {}",
            String::from_utf8_lossy(needle)
        );
    }
    assert_same_ids(&mbox, "format-patch");
    assert_same_ids(&renames, "format-patch -M");
}

#[test]
fn log_p_matches_git() {
    let repo = &history().repo;
    for args in [
        &["log", "-p", "--root"][..],
        &["log", "-p", "--root", "-M", "--binary"][..],
        &["log", "-p", "--root", "--no-renames", "--full-index"][..],
    ] {
        let log = git(repo, args);
        assert_same_ids(&log, &args.join(" "));
    }
}

#[test]
fn parsed_mails_get_git_ids_and_round_trip() {
    let repo = &history().repo;
    for args in [
        &["format-patch", "--stdout", "--root", "main"][..],
        &["format-patch", "-M", "-C", "--stdout", "--root", "main"][..],
    ] {
        let mbox = git(repo, args);
        let expected: HashMap<String, String> = git_patch_ids(repo, &mbox)
            .into_iter()
            .map(|(id, commit)| (commit, id))
            .collect();
        let patches = parse_patches(&mbox).unwrap_or_else(|e| panic!("{args:?}: {e}"));
        assert_eq!(write_patches(&patches), mbox, "{args:?}: round trip");
        let mut compared = 0;
        for patch in &patches {
            let first_line = patch.header.split(|b| *b == b'\n').next().unwrap();
            let commit = String::from_utf8_lossy(&first_line[5..45]).into_owned();
            let ours = patch_id(patch, 1);
            assert_eq!(
                ours.as_ref(),
                expected.get(&commit),
                "{args:?}: commit {commit}"
            );
            compared += usize::from(ours.is_some());
        }
        assert!(compared > 100);
    }
}

/// A commit's change (as git diffs it, so the hunks are the same) rewritten the way quilt or
/// `diff -urN` writes it: no `diff --git`/`index`/mode lines, `Index:` or `diff -urN`
/// preambles, timestamps on `---`/`+++`, `pkg.orig/`/`pkg/` names moved for `strip` levels,
/// and epoch timestamps or `/dev/null` for created and deleted files. `None` when the change
/// has something a plain diff cannot say (binary, modes, files without hunks).
fn quilt_diff(repo: &Path, commit: &str, strip: usize, variant: usize) -> Option<Vec<u8>> {
    let (old_prefix, new_prefix) = match strip {
        0 => (String::new(), String::new()),
        1 => ("pkg.orig/".to_string(), "pkg/".to_string()),
        _ => ("top/pkg.orig/".to_string(), "top/pkg/".to_string()),
    };
    let diff = git(
        repo,
        &[
            "diff",
            "--no-renames",
            &format!("--src-prefix={old_prefix}"),
            &format!("--dst-prefix={new_prefix}"),
            &format!("{commit}^"),
            commit,
        ],
    );
    let lines: Vec<&[u8]> = diff.split_inclusive(|b| *b == b'\n').collect();
    let mut out = Vec::new();
    let mut at = 0;
    while at < lines.len() {
        let line = lines[at];
        if !line.starts_with(b"diff --git ") {
            out.extend_from_slice(line);
            at += 1;
            continue;
        }
        // The git header of one file: only creation, deletion and index lines are allowed.
        let mut end = at + 1;
        let mut created = false;
        let mut deleted = false;
        while end < lines.len() && !lines[end].starts_with(b"--- ") {
            let header = lines[end];
            if header == b"new file mode 100644\n" {
                created = true;
            } else if header == b"deleted file mode 100644\n" {
                deleted = true;
            } else if !header.starts_with(b"index ") {
                return None;
            }
            end += 1;
        }
        if end + 1 >= lines.len() || !lines[end + 1].starts_with(b"+++ ") {
            return None;
        }
        let new_name = trim(&lines[end + 1][4..]);
        let old_name = trim(&lines[end][4..]);
        let shown = if deleted { old_name } else { new_name };
        match variant % 3 {
            0 => {
                out.extend_from_slice(&[b"Index: ", shown, b"\n"].concat());
                out.extend_from_slice(&[b"=".repeat(67), b"\n".to_vec()].concat());
            }
            1 => out.extend_from_slice(&[b"diff -urN ", old_name, b" ", new_name, b"\n"].concat()),
            _ => {}
        }
        let epoch = b"\t1970-01-01 00:00:00.000000000 +0000\n";
        let stamp = b"\t2024-01-02 03:04:05.123456789 +0000\n";
        let by_epoch = variant.is_multiple_of(2);
        let old_line = match (created, by_epoch) {
            (true, true) => [
                b"--- ",
                &rename_side(new_name, &new_prefix, &old_prefix)[..],
                epoch,
            ]
            .concat(),
            (true, false) => [b"--- /dev/null", &stamp[..]].concat(),
            _ => [b"--- ", old_name, stamp].concat(),
        };
        let new_line = match (deleted, by_epoch) {
            (true, true) => [
                b"+++ ",
                &rename_side(old_name, &old_prefix, &new_prefix)[..],
                epoch,
            ]
            .concat(),
            (true, false) => [b"+++ /dev/null", &stamp[..]].concat(),
            _ => [b"+++ ", new_name, stamp].concat(),
        };
        out.extend_from_slice(&old_line);
        out.extend_from_slice(&new_line);
        at = end + 2;
    }
    (!out.is_empty()).then_some(out)
}

/// A name from a `---`/`+++` line, without git's trailing tab (written after names with spaces).
fn trim(text: &[u8]) -> &[u8] {
    let text = text.strip_suffix(b"\n").unwrap_or(text);
    text.strip_suffix(b"\t").unwrap_or(text)
}

/// The name of the other side of a created/deleted file (`pkg/x` → `pkg.orig/x`), quotes kept.
fn rename_side(name: &[u8], from: &str, to: &str) -> Vec<u8> {
    let (quote, path): (&[u8], &[u8]) = match name.strip_prefix(b"\"") {
        Some(rest) => (b"\"", rest),
        None => (b"", name),
    };
    let path = path.strip_prefix(from.as_bytes()).unwrap_or(path);
    [quote, to.as_bytes(), path].concat()
}

#[test]
fn quilt_rewrites_get_the_id_of_the_git_change() {
    let repo = &history().repo;
    // git's id of each commit's change written without rename detection.
    let log = git(repo, &["log", "-p", "--root", "--no-renames"]);
    let expected: HashMap<String, String> = git_patch_ids(repo, &log)
        .into_iter()
        .map(|(id, commit)| (commit, id))
        .collect();
    let commits = String::from_utf8(git(repo, &["rev-list", "--reverse", "main"])).unwrap();
    let mut compared = 0;
    for (number, commit) in commits.lines().enumerate().skip(1) {
        if !number.is_multiple_of(2) {
            continue;
        }
        for strip in [1, 0, 2] {
            let Some(diff) = quilt_diff(repo, commit, strip, number / 2 + strip) else {
                continue;
            };
            let patches = parse_patches(&diff).unwrap();
            assert_eq!(write_patches(&patches), diff, "round trip of {commit}");
            assert!(patches[0].files.iter().all(|f| !f.git));
            assert_eq!(
                patch_id(&patches[0], strip).as_ref(),
                expected.get(commit),
                "quilt -p{strip} rewrite of {commit}:\n{}",
                String::from_utf8_lossy(&diff)
            );
            compared += 1;
        }
    }
    assert!(compared > 60, "compared only {compared}");
}

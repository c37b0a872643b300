//! The README's tour is a test: every ```console block of README.md runs, and its output must
//! be what the block shows, so the README cannot drift from the program.
//!
//! Each block runs in a fresh copy of the example workspace (`patches/`, `policies/`,
//! `examples/`), offline (`--offline` is added after `mindelta`), with a private cache and a
//! fixed clock. A block's `$ mindelta …` lines are commands; the lines after one are its stdout
//! and stderr together, compared with trycmd's conventions: `...` on a line of its own matches
//! any lines, `[..]` matches any text within a line.
//!
//! An HTML comment right before a block (GitHub does not render it) sets the block up, one
//! directive per line after `readme-test:`:
//! - `set PACKAGE upstream.version V`: the package's manifest targets V;
//! - `write PATH` then the file's lines, up to a line `end`: a file of the workspace;
//! - `append PATH` then lines up to `end`: added at the end of a file of the workspace;
//! - `exit N`: every command of the block exits N (default 0);
//! - `skip REASON`: the block is not run (it needs the network, say).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::cli::{copy_tree, example_workspace};

/// The day audit ages count to, and the time of expiry records and SBOMs.
const NOW: &str = "2026-11-27";
const SOURCE_DATE_EPOCH: &str = "1795737600";

/// One ```console block and its set-up.
#[derive(Debug)]
struct Block {
    /// Line of the opening fence in README.md (1-based), for messages.
    line: usize,
    setup: Vec<Setup>,
    exit: i32,
    skip: Option<String>,
    /// Each command's words (after `mindelta`) and the output it must print.
    commands: Vec<(Vec<String>, Vec<String>)>,
}

#[derive(Debug)]
enum Setup {
    Version {
        package: String,
        version: String,
    },
    Write {
        path: String,
        text: String,
        append: bool,
    },
}

/// The blocks of a README, with the directives of the comment right before each.
fn blocks(readme: &str) -> Vec<Block> {
    let lines: Vec<&str> = readme.lines().collect();
    let mut blocks = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        if lines[index].trim() != "```console" {
            index += 1;
            continue;
        }
        let mut block = Block {
            line: index + 1,
            setup: Vec::new(),
            exit: 0,
            skip: None,
            commands: Vec::new(),
        };
        directives(&lines[..index], &mut block);
        index += 1;
        while index < lines.len() && lines[index].trim() != "```" {
            let line = lines[index];
            if let Some(command) = line.strip_prefix("$ ") {
                let words = words(command);
                assert_eq!(
                    words.first().map(String::as_str),
                    Some("mindelta"),
                    "README.md line {}: a console command must run `mindelta`",
                    index + 1
                );
                block.commands.push((words[1..].to_vec(), Vec::new()));
            } else {
                let (_, output) = block.commands.last_mut().unwrap_or_else(|| {
                    panic!("README.md line {}: output before a command", index + 1)
                });
                output.push(line.to_string());
            }
            index += 1;
        }
        blocks.push(block);
    }
    blocks
}

/// Read the `<!-- readme-test: … -->` comment that ends right before a block (blank lines
/// between are allowed).
fn directives(before: &[&str], block: &mut Block) {
    let mut end = before.len();
    while end > 0 && before[end - 1].trim().is_empty() {
        end -= 1;
    }
    if end == 0 || !before[end - 1].trim_end().ends_with("-->") {
        return;
    }
    let Some(start) = before[..end]
        .iter()
        .rposition(|line| line.trim_start().starts_with("<!--"))
    else {
        return;
    };
    let mut text: Vec<&str> = before[start..end].to_vec();
    let first = text[0].trim_start().trim_start_matches("<!--").trim();
    let Some(first) = first.strip_prefix("readme-test:") else {
        return;
    };
    text[0] = first;
    let last = text.len() - 1;
    text[last] = text[last].trim_end().trim_end_matches("-->");
    // A `write` body keeps its lines as they are (a diff's context lines start with a space).
    let mut lines = text.into_iter();
    while let Some(line) = lines.next() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let words = words(line);
        match words.iter().map(String::as_str).collect::<Vec<_>>()[..] {
            ["set", package, "upstream.version", version] => block.setup.push(Setup::Version {
                package: package.to_string(),
                version: version.to_string(),
            }),
            [verb @ ("write" | "append"), path] => {
                let mut content = String::new();
                for line in lines.by_ref().take_while(|l| l.trim() != "end") {
                    content.push_str(line);
                    content.push('\n');
                }
                block.setup.push(Setup::Write {
                    path: path.to_string(),
                    text: content,
                    append: verb == "append",
                });
            }
            ["exit", code] => block.exit = code.parse().expect("an exit code"),
            ["skip", ..] => block.skip = Some(words[1..].join(" ")),
            _ => panic!(
                "README.md line {}: unknown readme-test directive `{line}`",
                block.line
            ),
        }
    }
}

/// Shell-like words: whitespace-separated, `'…'` and `"…"` quoting.
fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quote = None;
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.get_or_insert_with(String::new).push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                word.get_or_insert_with(String::new);
            }
            (None, c) if c.is_whitespace() => words.extend(word.take()),
            (None, c) => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    words
}

/// Whether `actual` matches the `expected` lines (`...` any lines, `[..]` any text).
fn matches(expected: &[String], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first.trim() == "..." => {
            (0..=actual.len()).any(|skip| matches(rest, &actual[skip..]))
        }
        Some((first, rest)) => {
            !actual.is_empty() && line_matches(first, actual[0]) && matches(rest, &actual[1..])
        }
    }
}

fn line_matches(expected: &str, actual: &str) -> bool {
    let parts: Vec<&str> = expected.split("[..]").collect();
    if parts.len() == 1 {
        return expected.trim_end() == actual.trim_end();
    }
    let actual = actual.trim_end();
    let (first, last) = (parts[0], parts[parts.len() - 1].trim_end());
    let Some(mut rest) = actual.strip_prefix(first) else {
        return false;
    };
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// A fresh copy of the example workspace with the block's set-up.
fn workspace(block: &Block) -> tempfile::TempDir {
    let temp = tempfile::tempdir().expect("temp dir");
    let source = example_workspace();
    for folder in ["patches", "policies", "examples"] {
        copy_tree(&source.join(folder), &temp.path().join(folder));
    }
    for setup in &block.setup {
        match setup {
            Setup::Version { package, version } => {
                let manifest = temp
                    .path()
                    .join("patches")
                    .join(package)
                    .join("package.yaml");
                let text = std::fs::read_to_string(&manifest).expect("manifest");
                let mut done = false;
                let edited: Vec<String> = text
                    .lines()
                    .map(|line| {
                        if !done && line.trim_start().starts_with("version:") {
                            done = true;
                            format!("  version: \"{version}\"")
                        } else {
                            line.to_string()
                        }
                    })
                    .collect();
                assert!(done, "{}: no `version:`", manifest.display());
                std::fs::write(&manifest, edited.join("\n") + "\n").expect("write");
            }
            Setup::Write { path, text, append } => {
                let path = temp.path().join(path);
                std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
                let text = if *append {
                    std::fs::read_to_string(&path).unwrap_or_default() + text
                } else {
                    text.clone()
                };
                std::fs::write(path, text).expect("write");
            }
        }
    }
    temp
}

/// Run `mindelta --offline ARGS` in `dir`; stdout and stderr as one stream, and the exit code.
fn run(dir: &Path, cache: &Path, args: &[String]) -> (String, Option<i32>) {
    let binary: PathBuf = assert_cmd::cargo::cargo_bin("mindelta");
    // Through `sh` so both streams share one pipe and keep their order.
    let output = Command::new("sh")
        .arg("-c")
        .arg("exec \"$0\" --offline \"$@\" 2>&1")
        .arg(binary)
        .args(args)
        .current_dir(dir)
        .env("MINDELTA_CACHE_DIR", cache)
        .env("MINDELTA_NOW", NOW)
        .env("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .env_remove("MINDELTA_LOG")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("run mindelta");
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        output.status.code(),
    )
}

#[test]
fn every_console_block_of_the_readme_is_what_the_program_prints() {
    let readme = std::fs::read_to_string(example_workspace().join("README.md")).expect("README");
    let blocks = blocks(&readme);
    assert!(blocks.len() >= 8, "only {} console blocks", blocks.len());
    let mut failures = Vec::new();
    for block in &blocks {
        if block.skip.is_some() {
            continue;
        }
        let temp = workspace(block);
        let cache = tempfile::tempdir().expect("cache");
        for (args, expected) in &block.commands {
            let (output, code) = run(temp.path(), cache.path(), args);
            let actual: Vec<&str> = output.lines().collect();
            if code != Some(block.exit) || !matches(expected, &actual) {
                failures.push(format!(
                    "README.md line {}: `mindelta {}` exited {code:?} (README: {}) and printed\n{output}--- the README shows\n{}\n",
                    block.line,
                    args.join(" "),
                    block.exit,
                    expected.join("\n")
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_matcher_follows_trycmd_conventions() {
    let expected = |lines: &[&str]| lines.iter().map(|l| l.to_string()).collect::<Vec<_>>();
    assert!(matches(
        &expected(&["a", "...", "d"]),
        &["a", "b", "c", "d"]
    ));
    assert!(matches(&expected(&["...", "d"]), &["d"]));
    assert!(!matches(&expected(&["a", "d"]), &["a", "b", "d"]));
    assert!(matches(&expected(&["x [..] z"]), &["x yyy z"]));
    assert!(matches(
        &expected(&["[..]/hello-1.1"]),
        &["/tmp/w/hello-1.1"]
    ));
    assert!(!matches(&expected(&["x [..] z"]), &["x y"]));
    assert_eq!(
        words(r#"import quilt "a b" --name 'c'"#),
        vec!["import", "quilt", "a b", "--name", "c"]
    );
    let blocks = blocks(
        "<!-- readme-test: set hello upstream.version 1.1\n     exit 3 -->\n```console\n$ mindelta list\nout\n```\n",
    );
    assert_eq!(blocks.len(), 1);
    assert_eq!(blocks[0].exit, 3);
    assert!(matches!(&blocks[0].setup[..], [Setup::Version { version, .. }] if version == "1.1"));
    assert_eq!(blocks[0].commands[0].1, vec!["out"]);
}

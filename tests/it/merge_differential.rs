//! The three-way merge against `git merge-file -p --diff3`, the tool that defines the right
//! answer: the merged bytes must be identical and the number of conflict blocks must be git's
//! exit code. Inputs are (a) generated: seeded random line edits over a small alphabet so that
//! both sides touch the same lines, with LF, CRLF and mixed line ends and with or without a
//! final newline; (b) real: this crate's own sources, edited the way upstream and a patch edit
//! them (a line changed on both sides, a function moved on one side and edited on the other,
//! a block deleted, lines added at the same place), some in CRLF, some without final newline.
//!
//! Two differences are gix-merge's own and documented in `crates/patch/src/merge.rs`; a case may
//! differ from git only when the test proves it is one of them (see [`Explained`]). Run with
//! `--nocapture` to see the figures.

use std::path::{Path, PathBuf};
use std::process::Command;

use gix_imara_diff::{Algorithm, Diff, InternedInput, sources::byte_lines};
use mindelta::patch::merge::{MergeLabels, MergeOutcome, conflict_marker, merge3};

const LABELS: MergeLabels<'static> = MergeLabels {
    base: "base 1.0",
    ours: "patched",
    theirs: "release 2.0",
};

/// SplitMix64: a seeded, reproducible stream of numbers.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound.max(1) as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// One merge: the three sides and what the case is.
struct Case {
    name: String,
    base: Vec<u8>,
    ours: Vec<u8>,
    theirs: Vec<u8>,
}

/// What git made of a case.
struct GitMerge {
    content: Vec<u8>,
    conflicts: usize,
}

/// `git merge-file -p --diff3 -L ours -L base -L theirs` in a scratch folder, outside any
/// repository and with no configuration.
fn git_merge_file(dir: &Path, case: &Case) -> GitMerge {
    let ours = dir.join("ours");
    let base = dir.join("base");
    let theirs = dir.join("theirs");
    std::fs::write(&ours, &case.ours).unwrap();
    std::fs::write(&base, &case.base).unwrap();
    std::fs::write(&theirs, &case.theirs).unwrap();
    let output = Command::new("git")
        .args(["merge-file", "-p", "--diff3"])
        .args(["-L", LABELS.ours, "-L", LABELS.base, "-L", LABELS.theirs])
        .arg(&ours)
        .arg(&base)
        .arg(&theirs)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CEILING_DIRECTORIES", dir.parent().unwrap())
        .output()
        .expect("run git merge-file");
    let conflicts = output.status.code().expect("git merge-file exits");
    assert!(
        (0..=127).contains(&conflicts),
        "git merge-file failed on {}: {}",
        case.name,
        String::from_utf8_lossy(&output.stderr)
    );
    GitMerge {
        content: output.stdout,
        conflicts: conflicts as usize,
    }
}

/// The two ways gix-merge may differ from git, each proven for the case at hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Explained {
    /// gix-merge diffs each side with imara-diff's indent heuristic, `git merge-file` with
    /// none: an ambiguous run of added or removed lines (a "slider") sits elsewhere, so the
    /// blocks differ. Proven by: the heuristic moves a hunk of base→ours or base→theirs.
    IndentHeuristic,
    /// Both sides turn the same base lines into the same text but cut the change differently
    /// (one deletes `a` then `""`, the other `""` then `a`): git (`XDL_MERGE_EAGER`) keeps a
    /// block whose two sides are equal, gix-merge takes that text. Proven by: replacing every
    /// git block whose ours and theirs sections are equal by that section gives merge3's bytes.
    EqualSidesResolved,
}

/// How the cases came out against git.
#[derive(Debug, Default)]
struct Tally {
    cases: usize,
    conflicted: usize,
    indent_heuristic: usize,
    equal_sides: usize,
    unexplained: Vec<String>,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.cases += other.cases;
        self.conflicted += other.conflicted;
        self.indent_heuristic += other.indent_heuristic;
        self.equal_sides += other.equal_sides;
        self.unexplained.extend(other.unexplained);
    }

    fn report(&self, what: &str) {
        eprintln!(
            "{what}: {} cases, {} conflicted (git), identical to git except {} indent-heuristic \
             and {} equal-sides cases, {} unexplained",
            self.cases,
            self.conflicted,
            self.indent_heuristic,
            self.equal_sides,
            self.unexplained.len()
        );
        for difference in self.unexplained.iter().take(10) {
            eprintln!("{difference}");
        }
    }
}

/// Merge every case with both tools (on a few threads, each with its own scratch folder) and
/// compare.
fn compare(cases: &[Case]) -> Tally {
    let scratch = tempfile::tempdir().unwrap();
    let workers = 4;
    let chunk = cases.len().div_ceil(workers).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = cases
            .chunks(chunk)
            .enumerate()
            .map(|(worker, cases)| {
                let dir: PathBuf = scratch.path().join(format!("worker-{worker}"));
                std::fs::create_dir_all(&dir).unwrap();
                scope.spawn(move || {
                    let mut tally = Tally::default();
                    for case in cases {
                        compare_one(&dir, case, &mut tally);
                    }
                    tally
                })
            })
            .collect();
        let mut total = Tally::default();
        for handle in handles {
            total.add(handle.join().unwrap());
        }
        total
    })
}

fn compare_one(dir: &Path, case: &Case, tally: &mut Tally) {
    let git = git_merge_file(dir, case);
    let merged = merge3(&case.base, &case.ours, &case.theirs, &LABELS).unwrap();
    tally.cases += 1;
    if git.conflicts > 0 {
        tally.conflicted += 1;
    }
    check_regions(case, &merged);
    if merged.content() == git.content.as_slice() && merged.regions().len() == git.conflicts {
        return;
    }
    match explain(case, &git, &merged) {
        Some(Explained::IndentHeuristic) => tally.indent_heuristic += 1,
        Some(Explained::EqualSidesResolved) => tally.equal_sides += 1,
        None => tally.unexplained.push(format!(
            "{}: git {} conflicts, merge3 {}\n  base:   {}\n  ours:   {}\n  theirs: {}\n  \
             git:    {}\n  merge3: {}",
            case.name,
            git.conflicts,
            merged.regions().len(),
            escape(&case.base),
            escape(&case.ours),
            escape(&case.theirs),
            escape(&git.content),
            escape(merged.content()),
        )),
    }
}

fn escape(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

/// Which documented difference makes merge3 differ from git here, if one does.
fn explain(case: &Case, git: &GitMerge, merged: &MergeOutcome) -> Option<Explained> {
    let (resolved, left) = resolve_equal_sides(&git.content);
    if left < git.conflicts && resolved == merged.content() && left == merged.regions().len() {
        return Some(Explained::EqualSidesResolved);
    }
    let moved = |side: &[u8]| {
        let input = InternedInput::new(byte_lines(&case.base), byte_lines(side));
        let mut heuristic = Diff::compute(Algorithm::Myers, &input);
        heuristic.postprocess_lines(&input);
        let mut plain = Diff::compute(Algorithm::Myers, &input);
        plain.postprocess_no_heuristic(&input);
        !heuristic.hunks().eq(plain.hunks())
    };
    (moved(&case.ours) || moved(&case.theirs)).then_some(Explained::IndentHeuristic)
}

/// git's output with every block whose ours and theirs sections are equal replaced by that
/// section, and the number of blocks left.
fn resolve_equal_sides(content: &[u8]) -> (Vec<u8>, usize) {
    let is =
        |line: &[u8], marker: &str| line.strip_suffix(b"\r").unwrap_or(line) == marker.as_bytes();
    let open = format!("<<<<<<< {}", LABELS.ours);
    let base = format!("||||||| {}", LABELS.base);
    let close = format!(">>>>>>> {}", LABELS.theirs);
    let mut out = Vec::new();
    let mut left = 0;
    let mut lines = content.split_inclusive(|&byte| byte == b'\n');
    while let Some(line) = lines.next() {
        let bare = line.strip_suffix(b"\n").unwrap_or(line);
        if !is(bare, &open) {
            out.extend_from_slice(line);
            continue;
        }
        let mut sections: [Vec<u8>; 3] = Default::default();
        let mut block = line.to_vec();
        let mut section = 0;
        for line in lines.by_ref() {
            block.extend_from_slice(line);
            let bare = line.strip_suffix(b"\n").unwrap_or(line);
            if section == 0 && is(bare, &base) {
                section = 1;
            } else if section == 1 && is(bare, "=======") {
                section = 2;
            } else if section == 2 && is(bare, &close) {
                break;
            } else {
                sections[section].extend_from_slice(line);
            }
        }
        if sections[0] == sections[2] {
            out.extend_from_slice(&sections[0]);
        } else {
            out.extend_from_slice(&block);
            left += 1;
        }
    }
    (out, left)
}

/// The regions point at the blocks in the content, and `conflict_marker` finds the first.
fn check_regions(case: &Case, outcome: &MergeOutcome) {
    let lines: Vec<&[u8]> = outcome.content().split(|&byte| byte == b'\n').collect();
    for region in outcome.regions() {
        let open = lines[region.line - 1];
        let close = lines[region.line + region.lines - 2];
        assert!(
            open.starts_with(b"<<<<<<< patched") && close.starts_with(b">>>>>>> release 2.0"),
            "{}: region {region:?} is not a block",
            case.name
        );
    }
    match outcome {
        MergeOutcome::Clean(_) => {}
        MergeOutcome::Conflict { regions, content } => {
            assert!(!regions.is_empty(), "{}", case.name);
            // A file line that looks like a block may come first; never a later line.
            let found = conflict_marker(content).expect("a block is left");
            assert!(found <= regions[0].line, "{}", case.name);
        }
    }
}

// (a) Generated cases.

/// Lines that collide often: a small alphabet, some of them code-like, one empty.
const ALPHABET: &[&str] = &["a", "b", "c", "d", "e", "", "}", "x = 1;", "fn f() {"];

/// How the lines of a generated case end.
#[derive(Clone, Copy, Debug)]
enum Ending {
    Lf,
    Crlf,
    Mixed,
}

fn random_lines(random: &mut Random, count: usize) -> Vec<String> {
    (0..count)
        .map(|_| ALPHABET[random.below(ALPHABET.len())].to_string())
        .collect()
}

/// One to four random edits: insert, delete or replace a run of one to three lines.
fn edit(random: &mut Random, lines: &[String]) -> Vec<String> {
    let mut lines = lines.to_vec();
    for _ in 0..1 + random.below(4) {
        let at = random.below(lines.len() + 1);
        let length = 1 + random.below(3);
        let end = (at + length).min(lines.len());
        match random.below(3) {
            0 => {
                let new = random_lines(random, length);
                lines.splice(at..at, new);
            }
            1 => {
                lines.drain(at..end);
            }
            _ => {
                let count = 1 + random.below(3);
                let new = random_lines(random, count);
                lines.splice(at..end, new);
            }
        }
    }
    lines
}

fn render(random: &mut Random, lines: &[String], ending: Ending, final_newline: bool) -> Vec<u8> {
    let mut bytes = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        bytes.extend_from_slice(line.as_bytes());
        if index + 1 == lines.len() && !final_newline {
            break;
        }
        let crlf = match ending {
            Ending::Lf => false,
            Ending::Crlf => true,
            Ending::Mixed => random.chance(50),
        };
        bytes.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
    }
    bytes
}

fn generated_case(seed: u64) -> Case {
    let mut random = Random(seed);
    let count = random.below(16);
    let base = random_lines(&mut random, count);
    let ours = edit(&mut random, &base);
    // Sometimes theirs starts from ours' edits (identical changes on both sides).
    let theirs = if random.chance(20) {
        edit(&mut random, &ours)
    } else {
        edit(&mut random, &base)
    };
    let ending = match random.below(4) {
        0 | 1 => Ending::Lf,
        2 => Ending::Crlf,
        _ => Ending::Mixed,
    };
    let mut side = |lines: &[String]| {
        let final_newline = !random.chance(25);
        render(&mut random, lines, ending, final_newline)
    };
    Case {
        name: format!("generated seed {seed} ({ending:?})"),
        base: side(&base),
        ours: side(&ours),
        theirs: side(&theirs),
    }
}

/// 2000 generated cases: about 7 in 10 conflict. About 1% differ from git, each proven to be
/// a documented difference; a change in gix-merge that makes more differ fails the bound.
#[test]
fn generated_edits_merge_as_git_does() {
    let cases: Vec<Case> = (0..2000).map(generated_case).collect();
    let tally = compare(&cases);
    tally.report("generated");
    assert!(
        tally.unexplained.is_empty(),
        "{} differ",
        tally.unexplained.len()
    );
    assert!(
        tally.conflicted > tally.cases / 2,
        "too few conflicts: {tally:?}"
    );
    assert!(tally.conflicted < tally.cases, "no clean merge: {tally:?}");
    assert!(
        tally.indent_heuristic + tally.equal_sides <= tally.cases / 50,
        "more than 2% differ from git: {tally:?}"
    );
}

// (b) Real sources, edited as upstream and a patch would.

/// This crate's own sources, sorted, as they are when the test runs.
fn sources() -> Vec<(String, Vec<String>)> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|extension| extension == "rs") {
                found.push(path);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    walk(&root.join("src"), &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let name = path.strip_prefix(root).unwrap().display().to_string();
            (name, text.lines().map(str::to_string).collect())
        })
        .collect()
}

/// The lines of the first top-level item in `lines` after `from` that starts with `fn `/
/// `pub fn ` and ends with a `}` at column 0.
fn function(lines: &[String], from: usize) -> Option<std::ops::Range<usize>> {
    let start = (from..lines.len())
        .find(|&at| lines[at].starts_with("fn ") || lines[at].starts_with("pub fn "))?;
    let end = (start..lines.len()).find(|&at| lines[at] == "}")?;
    Some(start..end + 1)
}

/// A line inside `range` worth editing (not blank, not a lone brace).
fn editable(random: &mut Random, lines: &[String], range: std::ops::Range<usize>) -> Option<usize> {
    let candidates: Vec<usize> = range
        .filter(|&at| {
            let trimmed = lines[at].trim();
            !trimmed.is_empty() && trimmed != "}" && trimmed != "{"
        })
        .collect();
    (!candidates.is_empty()).then(|| candidates[random.below(candidates.len())])
}

fn edited(lines: &[String], at: usize, suffix: &str) -> Vec<String> {
    let mut lines = lines.to_vec();
    lines[at] = format!("{}{suffix}", lines[at]);
    lines
}

fn inserted(lines: &[String], at: usize, new: &[&str]) -> Vec<String> {
    let mut lines = lines.to_vec();
    lines.splice(at..at, new.iter().map(|line| line.to_string()));
    lines
}

/// The (scenario, ours, theirs) edits of one source file.
fn scenarios(
    random: &mut Random,
    base: &[String],
) -> Vec<(&'static str, Vec<String>, Vec<String>)> {
    let mut found = Vec::new();
    let length = base.len();
    if length < 8 {
        return found;
    }
    if let Some(at) = editable(random, base, 0..length) {
        found.push((
            "same line changed on both sides",
            edited(base, at, " // patched"),
            edited(base, at, " // upstream"),
        ));
    }
    if let (Some(top), Some(bottom)) = (
        editable(random, base, 0..length / 3),
        editable(random, base, 2 * length / 3..length),
    ) {
        found.push((
            "distant lines changed",
            edited(base, top, " // patched"),
            edited(base, bottom, " // upstream"),
        ));
    }
    let at = random.below(length);
    found.push((
        "lines added at the same place",
        inserted(base, at, &["    patched();"]),
        inserted(base, at, &["    upstream();", "    more_upstream();"]),
    ));
    found.push((
        "the same line added on both sides",
        inserted(base, at, &["// carried upstream"]),
        inserted(base, at, &["// carried upstream"]),
    ));
    if let Some(range) = function(base, random.below(length / 2))
        && let Some(inside) = editable(random, base, range.clone())
    {
        let ours = edited(base, inside, " // patched");
        let mut theirs = base.to_vec();
        let moved: Vec<String> = theirs.drain(range.clone()).collect();
        theirs.push(String::new());
        theirs.extend(moved);
        found.push((
            "function moved upstream, edited by the patch",
            ours.clone(),
            theirs,
        ));
        let mut theirs = base.to_vec();
        theirs.drain(range.clone());
        found.push((
            "function deleted upstream, edited by the patch",
            ours,
            theirs,
        ));
        // A patch that adds a function next to one upstream rewrote.
        let mut theirs = base.to_vec();
        theirs[range.start + 1..range.end - 1]
            .iter_mut()
            .for_each(|line| *line = line.replace("    ", "\t"));
        let ours = inserted(base, range.end, &["", "fn carried() {}"]);
        found.push(("function added after one upstream reindented", ours, theirs));
    }
    found
}

fn join(lines: &[String], end: &str, final_newline: bool) -> Vec<u8> {
    let mut text = lines.join(end);
    if final_newline && !lines.is_empty() {
        text.push_str(end);
    }
    text.into_bytes()
}

fn real_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for (index, (name, base)) in sources().into_iter().enumerate() {
        let mut random = Random(index as u64);
        // Every third file in CRLF, every third without a final newline (on every side).
        let (end, final_newline, variant) = match index % 3 {
            0 => ("\n", true, "LF"),
            1 => ("\r\n", true, "CRLF"),
            _ => ("\n", false, "no final newline"),
        };
        for (scenario, ours, theirs) in scenarios(&mut random, &base) {
            cases.push(Case {
                name: format!("{name}: {scenario} ({variant})"),
                base: join(&base, end, final_newline),
                ours: join(&ours, end, final_newline),
                theirs: join(&theirs, end, final_newline),
            });
        }
    }
    cases
}

/// Every source file of this crate, edited in up to seven ways.
#[test]
fn real_sources_merge_as_git_does() {
    let cases = real_cases();
    let tally = compare(&cases);
    tally.report("real sources");
    assert!(tally.cases > 500, "too few cases: {tally:?}");
    assert!(
        tally.unexplained.is_empty(),
        "{} differ",
        tally.unexplained.len()
    );
    assert!(
        tally.conflicted > tally.cases / 4,
        "too few conflicts: {tally:?}"
    );
    assert!(
        tally.indent_heuristic + tally.equal_sides <= tally.cases / 50,
        "more than 2% differ from git: {tally:?}"
    );
}

// Each documented difference, spelled out.

/// The indent heuristic: theirs adds `fn f() {`, `a`, `fn f() {` after a `fn f() {` line; git
/// places the addition after the existing line and it touches ours' deletion (a block); gix
/// slides it one line up, before that line, and the two changes no longer touch (clean).
#[test]
fn differs_from_git_where_the_indent_heuristic_moves_a_slider() {
    let case = generated_case(107);
    let git = git_merge_file(tempfile::tempdir().unwrap().path(), &case);
    let merged = merge3(&case.base, &case.ours, &case.theirs, &LABELS).unwrap();
    assert_eq!(git.conflicts, 1);
    assert!(matches!(merged, MergeOutcome::Clean(_)));
    assert_eq!(
        explain(&case, &git, &merged),
        Some(Explained::IndentHeuristic)
    );
}

/// Equal sides cut differently: from base `"" a ""`, ours deletes `a ""` and theirs `"" a`;
/// both leave `""`, git keeps the block (`""` on both sides), gix writes `""`.
#[test]
fn differs_from_git_where_both_sides_make_the_same_text_differently() {
    let case = generated_case(390);
    let git = git_merge_file(tempfile::tempdir().unwrap().path(), &case);
    let merged = merge3(&case.base, &case.ours, &case.theirs, &LABELS).unwrap();
    assert_eq!((git.conflicts, merged.regions().len()), (2, 1));
    assert_eq!(
        explain(&case, &git, &merged),
        Some(Explained::EqualSidesResolved)
    );
}

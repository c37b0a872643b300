//! Hostile inputs to the three-way merge (`mindelta::patch::merge::merge3`): binary sides, a
//! side over the size limit, huge repetitive files, files made of conflicts. Each is refused
//! with a message naming what to do, or merged to the exact expected bytes; none may hang,
//! panic or mangle a file.

use std::process::Command;

use mindelta::patch::merge::{
    BINARY_PROBE, MAX_MERGE_INPUT, MergeError, MergeLabels, MergeOutcome, conflict_marker, merge3,
};

const LABELS: MergeLabels<'static> = MergeLabels {
    base: "1.0",
    ours: "patched",
    theirs: "2.0",
};

#[test]
fn a_binary_side_is_refused_and_named() {
    let text = b"one\ntwo\nthree\n".to_vec();
    let mut binary = b"one\ntwo\n".to_vec();
    binary.extend_from_slice(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    for which in ["ours", "base", "theirs"] {
        let side = |name: &str| if name == which { &binary } else { &text };
        let error = merge3(side("base"), side("ours"), side("theirs"), &LABELS).unwrap_err();
        assert_eq!(error, MergeError::Binary { which });
        let message = error.to_string();
        assert!(
            message.starts_with(&format!("the {which} side is a binary file")),
            "{message}"
        );
    }
}

/// git's rule: a NUL byte only in the first 8000 bytes makes a file binary. Past them the file
/// is text, and the merge is git's, byte for byte.
#[test]
fn a_nul_byte_past_the_probe_is_text_as_in_git() {
    let mut base = "line\n".repeat(BINARY_PROBE / 5 + 10).into_bytes();
    base.extend_from_slice(b"tail \0 byte\nend\n");
    let mut ours = base.clone();
    ours.splice(0..0, b"patched\n".iter().copied());
    let mut theirs = base.clone();
    theirs.extend_from_slice(b"upstream\n");
    let merged = merge3(&base, &ours, &theirs, &LABELS).unwrap();

    let (git, conflicts) = git_merge_file(&base, &ours, &theirs);
    assert_eq!(conflicts, 0);
    assert_eq!(merged, MergeOutcome::Clean(git));

    // One byte earlier, inside the probe: binary.
    let mut early = base.clone();
    early[BINARY_PROBE - 1] = 0;
    let error = merge3(&early, &ours, &theirs, &LABELS).unwrap_err();
    assert_eq!(error, MergeError::Binary { which: "base" });
}

#[test]
fn a_side_over_the_limit_is_refused_with_the_sizes() {
    let huge = vec![b'a'; MAX_MERGE_INPUT as usize + 1];
    let small = b"a\n".to_vec();
    let error = merge3(&small, &small, &huge, &LABELS).unwrap_err();
    assert_eq!(
        error,
        MergeError::TooLarge {
            bytes: MAX_MERGE_INPUT + 1,
            limit: MAX_MERGE_INPUT
        }
    );
    let message = error.to_string();
    assert!(message.contains("67108865 bytes"), "{message}");
    assert!(message.contains("67108864-byte limit"), "{message}");
    assert!(message.contains("merge this file by hand"), "{message}");
    // Exactly at the limit is merged.
    let at_limit = vec![b'a'; MAX_MERGE_INPUT as usize];
    let merged = merge3(&at_limit, &at_limit, &at_limit, &LABELS).unwrap();
    assert_eq!(merged.content().len(), at_limit.len());
}

/// `git merge-file -p --diff3` with the same labels: the merged bytes and the exit code.
fn git_merge_file(base: &[u8], ours: &[u8], theirs: &[u8]) -> (Vec<u8>, usize) {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [("ours", ours), ("base", base), ("theirs", theirs)] {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    let output = Command::new("git")
        .args(["merge-file", "-p", "--diff3"])
        .args(["-L", LABELS.ours, "-L", LABELS.base, "-L", LABELS.theirs])
        .args(["ours", "base", "theirs"])
        .current_dir(dir.path())
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    let conflicts = output.status.code().unwrap();
    assert!((0..=127).contains(&conflicts), "git merge-file failed");
    (output.stdout, conflicts as usize)
}

fn join(lines: &[String]) -> Vec<u8> {
    (lines.join("\n") + "\n").into_bytes()
}

/// How many lines of `content` are exactly `line`.
fn occurrences(content: &[u8], line: &str) -> usize {
    content
        .split(|&byte| byte == b'\n')
        .filter(|candidate| *candidate == line.as_bytes())
        .count()
}

/// 200,000 identical lines on every side, ours and theirs each changing 40 scattered lines.
/// Every change is a slider in a sea of equal lines and git's own answer is not the obvious
/// one (it keeps a `same` line more next to each of theirs' changes): the merge must be git's,
/// byte for byte, and keep every change once.
#[test]
fn two_hundred_thousand_identical_lines_with_scattered_edits() {
    let base = vec!["same".to_string(); 200_000];
    let mut ours = base.clone();
    let mut theirs = base.clone();
    for index in 0..40 {
        let at = index * 4_999 + 17;
        ours[at] = format!("ours {index}");
        theirs[at + 2_000] = format!("theirs {index}");
    }
    let (base, ours, theirs) = (join(&base), join(&ours), join(&theirs));
    let merged = merge3(&base, &ours, &theirs, &LABELS).unwrap();
    let (git, conflicts) = git_merge_file(&base, &ours, &theirs);
    assert_eq!(conflicts, 0);
    assert!(matches!(merged, MergeOutcome::Clean(_)));
    assert!(
        merged.content() == git.as_slice(),
        "the merge differs from git's"
    );
    for index in 0..40 {
        assert_eq!(occurrences(merged.content(), &format!("ours {index}")), 1);
        assert_eq!(occurrences(merged.content(), &format!("theirs {index}")), 1);
    }
}

/// The same 200,000 lines with both sides changing the same 40 lines differently: git's 40
/// blocks, each where the regions say.
#[test]
fn two_hundred_thousand_identical_lines_with_forty_conflicts() {
    let base = vec!["same".to_string(); 200_000];
    let mut ours = base.clone();
    let mut theirs = base.clone();
    for index in 0..40 {
        let at = index * 4_999 + 17;
        ours[at] = format!("ours {index}");
        theirs[at] = format!("theirs {index}");
    }
    let (base, ours, theirs) = (join(&base), join(&ours), join(&theirs));
    let merged = merge3(&base, &ours, &theirs, &LABELS).unwrap();
    let (git, conflicts) = git_merge_file(&base, &ours, &theirs);
    assert_eq!(conflicts, 40);
    assert!(
        merged.content() == git.as_slice(),
        "the merge differs from git's"
    );
    let MergeOutcome::Conflict { content, regions } = &merged else {
        panic!("expected conflicts");
    };
    assert_eq!(regions.len(), 40);
    let lines: Vec<&[u8]> = content.split(|&byte| byte == b'\n').collect();
    for (index, region) in regions.iter().enumerate() {
        let block = &lines[region.line - 1..region.line - 1 + region.lines];
        assert_eq!(block[0], b"<<<<<<< patched");
        assert_eq!(block[block.len() - 1], b">>>>>>> 2.0");
        assert!(block.contains(&format!("ours {index}").as_bytes()));
        assert!(block.contains(&format!("theirs {index}").as_bytes()));
    }
    assert_eq!(conflict_marker(content), Some(regions[0].line));
}

/// A file that is nothing but conflicts (every other line changed on both sides) and lines
/// that look like markers: the regions are the real blocks only.
#[test]
fn twenty_thousand_conflicts_among_fake_markers() {
    let mut base = Vec::new();
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for index in 0..20_000 {
        let fake = match index % 3 {
            0 => "<<<<<<< patched",
            1 => "=======",
            _ => ">>>>>>> 2.0",
        };
        base.push(fake.to_string());
        ours.push(fake.to_string());
        theirs.push(fake.to_string());
        base.push(format!("base {index}"));
        ours.push(format!("ours {index}"));
        theirs.push(format!("theirs {index}"));
    }
    let (base, ours, theirs) = (join(&base), join(&ours), join(&theirs));
    let merged = merge3(&base, &ours, &theirs, &LABELS).unwrap();
    let (git, conflicts) = git_merge_file(&base, &ours, &theirs);
    assert!(
        merged.content() == git.as_slice(),
        "the merge differs from git's"
    );
    assert_eq!(conflicts, 127, "git counts at most 127");
    let regions = merged.regions();
    assert_eq!(regions.len(), 20_000);
    let lines: Vec<&[u8]> = merged.content().split(|&byte| byte == b'\n').collect();
    for (index, region) in regions.iter().enumerate() {
        // Before block k: k + 1 fake lines and k blocks of 7 lines.
        assert_eq!(region.line, index * 8 + 2);
        assert_eq!(region.lines, 7);
        assert_eq!(lines[region.line], format!("ours {index}").as_bytes());
        assert_eq!(lines[region.line + 2], format!("base {index}").as_bytes());
        assert_eq!(lines[region.line + 4], format!("theirs {index}").as_bytes());
    }
}

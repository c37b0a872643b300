//! The parser and writer are inverses: `write(parse(bytes)) == bytes` for the tricky patches in
//! `tests/data/patches/`, `parse(write(p)) == p` for generated `Patch` values (proptest), and
//! malformed patches fail with the right line. (The same round trip over a generated git
//! history, format-patch and quilt style, runs in `tests/patch_id.rs`.)

use std::path::{Path, PathBuf};

use mindelta::patch::binary::apply_delta;
use mindelta::patch::write::{write_patch, write_patches};
use mindelta::patch::{
    BinaryKind, BinaryPatch, FilePatch, Hunk, Line, LineKind, Patch, parse_patches,
};
use proptest::prelude::*;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/patches")
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(data_dir().join(name)).unwrap()
}

fn parse_one(name: &str) -> Patch {
    let mut patches = parse_patches(&read(name)).unwrap();
    assert_eq!(patches.len(), 1, "{name}");
    patches.remove(0)
}

#[test]
fn every_good_patch_round_trips() {
    let mut count = 0;
    for entry in std::fs::read_dir(data_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "patch") {
            let bytes = std::fs::read(&path).unwrap();
            let patches =
                parse_patches(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(
                write_patches(&patches),
                bytes,
                "{} does not round-trip",
                path.display()
            );
            count += 1;
        }
    }
    assert!(count >= 12);
}

#[test]
fn malformed_patches_name_the_line() {
    let cases = [
        ("ed-script.patch", 1, "ed script"),
        ("normal-diff.patch", 2, "normal diff"),
        ("short-hunk.patch", 3, "hunk ends early"),
        ("garbage-in-hunk.patch", 5, "unexpected line"),
        ("too-many-lines.patch", 6, "more lines"),
        ("bad-base85.patch", 5, "base85"),
        ("bad-hunk-header.patch", 3, "invalid hunk header"),
    ];
    for (name, line, words) in cases {
        let error = parse_patches(&read(&format!("bad/{name}"))).unwrap_err();
        assert_eq!(error.line, line, "{name}: {error}");
        assert!(error.message.contains(words), "{name}: {error}");
    }
}

#[test]
fn quilt_dep3_patch() {
    let patch = parse_one("quilt-dep3.patch");
    assert!(patch.header.starts_with(b"Description: Make"));
    assert_eq!(patch.files.len(), 2);
    let first = &patch.files[0];
    assert!(!first.git);
    assert_eq!(first.preamble.len(), 2);
    assert_eq!(first.old_target(1).unwrap(), b"src/frob.c");
    assert_eq!(first.new_target(1).unwrap(), b"src/frob.c");
    assert_eq!((first.hunks[0].old_count, first.hunks[0].new_count), (7, 8));
    // The note between the files is kept in front of the second file's preamble.
    assert_eq!(
        patch.files[1].preamble[0],
        b"A note a human left between two files.\n"
    );
    assert_eq!(patch.files[1].preamble.len(), 4);
    assert!(patch.trailer.is_empty());
}

#[test]
fn crlf_content_is_kept() {
    let patch = parse_one("crlf.patch");
    let lines = &patch.files[0].hunks[0].lines;
    assert_eq!(lines[1].text, b"second\r\n");
    assert_eq!(patch.files[0].new_path.as_deref(), Some(&b"b/win.txt"[..]));
    let mixed = parse_one("crlf-content-lf-patch.patch");
    assert_eq!(mixed.files[0].hunks[0].lines[2].text, b"echo two\r\n");
}

#[test]
fn no_newline_markers() {
    let patch = parse_one("no-newline.patch");
    let lines = &patch.files[0].hunks[0].lines;
    assert_eq!(lines[1].text, b"old last");
    assert_eq!(lines[2].text, b"new last");
    assert!(lines[1].no_newline_marker.is_some() && lines[2].no_newline_marker.is_some());
    assert!(lines[0].no_newline_marker.is_none());
}

#[test]
fn git_extended_headers() {
    let patch = parse_one("git-extended.patch");
    assert_eq!(patch.trailer, b"-- \n2.43.0\n\n");
    let files = &patch.files;
    assert_eq!(files.len(), 6);
    assert_eq!(
        files[0].rename,
        Some((b"old name.txt".to_vec(), b"new name.txt".to_vec()))
    );
    assert_eq!(files[0].old_path.as_deref(), Some(&b"a/old name.txt"[..]));
    assert_eq!(files[0].new_target(1).unwrap(), b"new name.txt");
    assert_eq!(
        files[1].copy,
        Some((b"src/a.c".to_vec(), b"src/b.c".to_vec()))
    );
    assert!(files[1].hunks.is_empty());
    assert_eq!(
        (files[2].old_mode, files[2].new_mode),
        (Some(0o100644), Some(0o100755))
    );
    assert!(files[3].is_new);
    assert_eq!(files[3].new_target(1).unwrap(), "tést.txt".as_bytes());
    assert!(files[4].is_delete);
    assert_eq!(files[4].old_mode, Some(0o100755));
    assert!(files[5].is_new && files[5].hunks.is_empty());
    assert_eq!(files[5].index, Some(("0000000".into(), "e69de29".into())));
}

#[test]
fn lines_that_look_like_headers_inside_hunks() {
    let patch = parse_one("signature-lookalikes.patch");
    assert_eq!(patch.files.len(), 1);
    let hunks = &patch.files[0].hunks;
    assert_eq!(hunks.len(), 2);
    assert_eq!(hunks[0].lines[1].kind, LineKind::Remove);
    // `--- ` inside a hunk is the removed line `-- ` (a mail signature marker), not a header.
    assert_eq!(hunks[0].lines[1].text, b"-- \n");
    assert_eq!(hunks[0].lines[3].kind, LineKind::Add);
    assert_eq!(hunks[0].lines[5].text, b"--- not a header\n");
    assert_eq!(hunks[1].lines[1].text, b"--- a/x\n");
    assert_eq!(hunks[1].lines[2].text, b"+++ b/x\n");
}

#[test]
fn omitted_counts_and_svn_and_diff_urn() {
    let patch = parse_one("omitted-counts.patch");
    let hunks = &patch.files[0].hunks;
    assert_eq!((hunks[0].old_count, hunks[0].new_count), (1, 1));
    assert_eq!((hunks[1].old_start, hunks[1].new_count), (5, 2));

    let svn = parse_one("svn.patch");
    assert_eq!(svn.files[0].old_path.as_deref(), Some(&b"trunk/main.c"[..]));
    assert_eq!(svn.files[0].preamble.len(), 2);

    let urn = parse_one("diff-urN.patch");
    assert_eq!(urn.header, b"Only in pkg: stray\n");
    assert_eq!(urn.files.len(), 3);
    assert!(urn.files[0].is_new && !urn.files[0].is_delete);
    assert!(urn.files[1].is_delete && !urn.files[1].is_new);
    let notice = &urn.files[2];
    assert!(notice.binary.as_ref().unwrap().forward.is_none());
    assert_eq!(notice.new_target(1).unwrap(), b"logo.png");
}

#[test]
fn binary_notice() {
    let patch = parse_one("binary-notice.patch");
    let file = &patch.files[0];
    assert!(file.git && file.hunks.is_empty());
    assert!(matches!(
        file.binary,
        Some(BinaryPatch { forward: None, .. })
    ));
}

#[test]
fn input_without_a_diff_is_refused() {
    // GNU patch: "Only garbage was found in the patch input"; git apply: "No valid patches".
    assert!(
        parse_patches(b"")
            .unwrap_err()
            .message
            .contains("input is empty")
    );
    let prose = parse_patches(&read("bad/prose-only.patch")).unwrap_err();
    assert_eq!(prose.line, 1);
    assert!(prose.message.contains("no diff found"), "{prose}");
}

#[test]
fn mbox_series_with_cover_letter() {
    let patches = parse_patches(&read("mbox-series.patch")).unwrap();
    assert_eq!(patches.len(), 3);
    assert!(patches[0].files.is_empty());
    assert!(patches[0].header.ends_with(b"-- \n2.43.0\n\n"));
    assert_eq!(patches[1].files.len(), 1);
    assert_eq!(patches[1].trailer, b"-- \n2.43.0\n\n\n");
    assert!(patches[2].header.starts_with(b"From 4444"));
}

#[test]
fn git_binary_literal_and_delta_payloads() {
    let patch = parse_one("binary-git.patch");
    let old: Vec<u8> = [
        &b"\0BIN"[..],
        &(0..3000u32)
            .map(|i| (i * 7 % 256) as u8)
            .collect::<Vec<_>>(),
    ]
    .concat();
    let mut new = old.clone();
    new[100..104].copy_from_slice(b"XYZW");
    new.extend_from_slice(b"tail");

    let blob = &patch.files[0];
    let binary = blob.binary.as_ref().unwrap();
    let forward = binary.forward.as_ref().unwrap();
    assert_eq!(forward.kind, BinaryKind::Delta);
    assert_eq!(apply_delta(&old, &forward.data).unwrap(), new);
    let reverse = binary.reverse.as_ref().unwrap();
    assert_eq!(apply_delta(&new, &reverse.data).unwrap(), old);
    assert!(apply_delta(&new, &forward.data).is_err());

    let small = patch.files[1].binary.as_ref().unwrap();
    let literal = small.forward.as_ref().unwrap();
    assert_eq!(literal.kind, BinaryKind::Literal);
    assert_eq!(&*literal.data, b"\0\x01\x02hello");
    assert!(patch.files[1].is_new);
    assert_eq!(&*small.reverse.as_ref().unwrap().data, b"");
}

// ---- parse(write(p)) == p for generated patches ----

const TEXTS: &[&str] = &[
    "",
    "x",
    "-- ",
    "--- a/x",
    "+++ b/x",
    "@@ -1 +1 @@",
    "\\ fake",
    "diff --git a/q b/q",
    "\tint",
    " lead",
    "From 0123",
];

fn hunk_line() -> impl Strategy<Value = (LineKind, Vec<u8>)> {
    (
        prop_oneof![
            Just(LineKind::Context),
            Just(LineKind::Remove),
            Just(LineKind::Add)
        ],
        prop::sample::select(TEXTS),
        any::<bool>(),
    )
        .prop_map(|(kind, text, crlf)| {
            let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
            (kind, [text.as_bytes(), eol].concat())
        })
}

fn hunk() -> impl Strategy<Value = Hunk> {
    (
        prop::collection::vec(hunk_line(), 0..8),
        0usize..500,
        0usize..500,
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(lines, old_start, new_start, no_newline, section)| {
            let mut lines: Vec<Line> = lines
                .into_iter()
                .map(|(kind, text)| Line {
                    kind,
                    text,
                    no_newline_marker: None,
                })
                .collect();
            if no_newline && let Some(last) = lines.last_mut() {
                last.text.pop();
                last.no_newline_marker = Some(b"\\ No newline at end of file\n".to_vec());
            }
            let old_count = lines.iter().filter(|l| l.kind != LineKind::Add).count();
            let new_count = lines.iter().filter(|l| l.kind != LineKind::Remove).count();
            let range = |start: usize, count: usize| {
                if count == 1 {
                    format!("{start}")
                } else {
                    format!("{start},{count}")
                }
            };
            let header_line = format!(
                "@@ -{} +{} @@{}\n",
                range(old_start, old_count),
                range(new_start, new_count),
                if section { " fn main()" } else { "" }
            )
            .into_bytes();
            Hunk {
                old_start,
                old_count,
                new_start,
                new_count,
                header_line,
                lines,
                missing_context: 0,
            }
        })
}

fn file_patch() -> impl Strategy<Value = FilePatch> {
    (
        0..5u8,
        prop::sample::select(&["x", "src/main.c", "dir/with space.txt"][..]),
        prop::collection::vec(hunk(), 1..4),
    )
        .prop_map(|(kind, name, hunks)| {
            let a = format!("a/{name}").into_bytes();
            let b = format!("b/{name}").into_bytes();
            let line = |s: String| s.into_bytes();
            let mut file = FilePatch {
                old_path: Some(a.clone()),
                new_path: Some(b.clone()),
                ..FilePatch::default()
            };
            match kind {
                // git text diff with index line
                0 => {
                    file.git = true;
                    file.preamble = vec![
                        line(format!("diff --git a/{name} b/{name}\n")),
                        line("index 1234abc..def5678 100644\n".into()),
                    ];
                    file.index = Some(("1234abc".into(), "def5678".into()));
                    file.old_line = Some(line(format!("--- a/{name}\n")));
                    file.new_line = Some(line(format!("+++ b/{name}\n")));
                    file.hunks = hunks;
                }
                // git new file
                1 => {
                    file.git = true;
                    file.is_new = true;
                    file.new_mode = Some(0o100644);
                    file.old_path = None;
                    file.preamble = vec![
                        line(format!("diff --git a/{name} b/{name}\n")),
                        line("new file mode 100644\n".into()),
                    ];
                    file.old_line = Some(line("--- /dev/null\n".into()));
                    file.new_line = Some(line(format!("+++ b/{name}\n")));
                    file.hunks = hunks;
                }
                // git mode change only
                2 => {
                    file.git = true;
                    file.old_mode = Some(0o100644);
                    file.new_mode = Some(0o100755);
                    file.preamble = vec![
                        line(format!("diff --git a/{name} b/{name}\n")),
                        line("old mode 100644\n".into()),
                        line("new mode 100755\n".into()),
                    ];
                }
                // quilt
                3 => {
                    let old = format!("pkg.orig/{name}");
                    let new = format!("pkg/{name}");
                    file.old_path = Some(old.clone().into_bytes());
                    file.new_path = Some(new.clone().into_bytes());
                    file.preamble = vec![
                        line(format!("Index: {new}\n")),
                        line(format!("{}\n", "=".repeat(67))),
                    ];
                    file.old_line = Some(line(format!(
                        "--- {old}\t2024-01-02 03:04:05.000000000 +0000\n"
                    )));
                    file.new_line = Some(line(format!(
                        "+++ {new}\t2024-01-02 03:04:06.000000000 +0000\n"
                    )));
                    file.hunks = hunks;
                }
                // git binary notice
                _ => {
                    file.git = true;
                    file.preamble = vec![
                        line(format!("diff --git a/{name} b/{name}\n")),
                        line("index 1111111..2222222 100644\n".into()),
                    ];
                    file.index = Some(("1111111".into(), "2222222".into()));
                    file.binary = Some(BinaryPatch {
                        raw: vec![line(format!("Binary files a/{name} and b/{name} differ\n"))],
                        forward: None,
                        reverse: None,
                    });
                }
            }
            file
        })
}

fn patch() -> impl Strategy<Value = Patch> {
    let headers = prop::sample::select(
        &[
            "",
            "Subject: [PATCH] x\n\n---\n x | 2 +-\n\n",
            "Description: fix\nOrigin: upstream\n\n",
            "From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001\nFrom: A <a@example.org>\n\n",
        ][..],
    );
    let trailers = prop::sample::select(&["", "-- \n2.43.0\n\n", "\n"][..]);
    (
        headers,
        prop::collection::vec((file_patch(), any::<bool>()), 1..4),
        trailers,
    )
        .prop_map(|(header, files, trailer)| Patch {
            header: header.as_bytes().to_vec(),
            files: files
                .into_iter()
                .enumerate()
                .map(|(index, (mut file, prose))| {
                    if index > 0 && prose {
                        file.preamble.insert(0, b"Some prose here.\n".to_vec());
                    }
                    file
                })
                .collect(),
            trailer: trailer.as_bytes().to_vec(),
        })
}

/// Pieces of patches, shuffled into inputs that are sometimes valid.
const FRAGMENTS: &[&[u8]] = &[
    b"--- a/x\n",
    b"+++ b/x\n",
    b"@@ -1,2 +1 @@\n",
    b" a\n",
    b"-b\n",
    b"+c\n",
    b"\\ No newline at end of file\n",
    b"diff --git a/x b/x\n",
    b"GIT binary patch\n",
    b"literal 3\n",
    b"Index: x\n",
    b"====\n",
    b"\n",
    b"1,2c\n",
    b".\n",
    b"-- \n",
];

proptest! {
    #[test]
    fn parse_of_write_is_identity(patch in patch()) {
        let bytes = write_patch(&patch);
        let parsed = parse_patches(&bytes).map_err(|e| {
            TestCaseError::fail(format!("{e}\n{}", String::from_utf8_lossy(&bytes)))
        })?;
        prop_assert_eq!(parsed.len(), 1);
        prop_assert_eq!(&parsed[0], &patch, "{}", String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn parser_never_panics(bytes in prop::collection::vec(
        prop::sample::select(FRAGMENTS),
        0..40,
    )) {
        let input = bytes.concat();
        if let Ok(patches) = parse_patches(&input) {
            let written = write_patches(&patches);
            // An empty line inside a hunk is the one thing written back differently (as ` `).
            if !input.windows(2).any(|w| w == b"\n\n") && !input.starts_with(b"\n") {
                prop_assert_eq!(&written, &input);
            }
            prop_assert_eq!(parse_patches(&written).unwrap(), patches);
        }
    }
}

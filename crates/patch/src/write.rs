//! The patch writer: `Patch` → bytes, the inverse of `parse::parse_patches`.
//!
//! Used wherever a patch goes back to disk (refresh, export, shrinking a partial patch). The
//! writer emits the raw lines the parser kept (header, preamble, `---`/`+++`, hunk headers,
//! binary payloads, trailer) and rebuilds hunk lines from their kind and text, so
//! `write_patch(parse(bytes))` is `bytes` for well-formed input.

use super::model::{FilePatch, Hunk, LineKind, Patch};

/// The bytes of one patch: header, file diffs, trailer.
pub fn write_patch(patch: &Patch) -> Vec<u8> {
    let mut out = Vec::with_capacity(estimate(patch));
    out.extend_from_slice(&patch.header);
    for file in &patch.files {
        write_file(file, &mut out);
    }
    out.extend_from_slice(&patch.trailer);
    out
}

/// The bytes of several patches, one after the other (an mbox or a concatenated series).
pub fn write_patches(patches: &[Patch]) -> Vec<u8> {
    let mut out = Vec::new();
    for patch in patches {
        out.extend_from_slice(&write_patch(patch));
    }
    out
}

/// Append one file diff.
pub fn write_file(file: &FilePatch, out: &mut Vec<u8>) {
    for line in &file.preamble {
        out.extend_from_slice(line);
    }
    if let Some(line) = &file.old_line {
        out.extend_from_slice(line);
    }
    if let Some(line) = &file.new_line {
        out.extend_from_slice(line);
    }
    for hunk in &file.hunks {
        write_hunk(hunk, out);
    }
    if let Some(binary) = &file.binary {
        for line in &binary.raw {
            out.extend_from_slice(line);
        }
    }
}

/// Append one hunk: its header line, then each line with its `' '`/`-`/`+` marker.
pub fn write_hunk(hunk: &Hunk, out: &mut Vec<u8>) {
    out.extend_from_slice(&hunk.header_line);
    for line in &hunk.lines {
        out.push(match line.kind {
            LineKind::Context => b' ',
            LineKind::Remove => b'-',
            LineKind::Add => b'+',
        });
        out.extend_from_slice(&line.text);
        if let Some(marker) = &line.no_newline_marker {
            out.push(b'\n');
            out.extend_from_slice(marker);
        }
    }
}

fn estimate(patch: &Patch) -> usize {
    let files: usize = patch
        .files
        .iter()
        .map(|f| {
            f.hunks
                .iter()
                .map(|h| {
                    h.header_line.len() + h.lines.iter().map(|l| l.text.len() + 1).sum::<usize>()
                })
                .sum::<usize>()
                + 200
        })
        .sum();
    patch.header.len() + patch.trailer.len() + files
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_patches;

    #[test]
    fn round_trips_a_mixed_patch() {
        let input: &[u8] = b"Subject: x\n\n---\ndiff --git a/x b/x\nindex 1..2 100644\n--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@ fn main\n a\r\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\nprose\nIndex: y\n===\n--- y.orig\t2020\n+++ y\t2021\n@@ -1 +1 @@\n--- \n++++\n-- \n2.43.0\n";
        let patches = parse_patches(input).unwrap();
        assert_eq!(write_patches(&patches), input);
    }
}

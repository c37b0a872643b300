//! Git's stable patch id (`git patch-id --stable`), byte for byte.
//!
//! The `patch-id` expiry detector compares a downstream patch with upstream commits by this
//! id, and `mindelta patch-id` prints it. `stable_patch_ids` replays the line-by-line state
//! machine of git's `builtin/patch-id.c` over raw bytes (quirks included: `index` lines feed
//! only binary diffs, the `diff` line after a binary diff is not hashed, a trailing empty
//! hash is added), so its output equals git's for any input. `patch_id` renders one parsed
//! patch as the git diff of the same change (a/ and b/ prefixes on `-p`-stripped paths) and
//! feeds that text to the same machine, which gives quilt-style diffs the id of their git twin.

use crate::path::git_quote_into;
use sha1::{Digest, Sha1};

use super::model::{FilePatch, LineKind, Patch};

const ZERO_ID: &str = "0000000000000000000000000000000000000000";

/// Exactly what `git patch-id --stable` prints for this input: one (patch_id, commit_id) pair
/// per patch found, commit id 40 zeros when the input names none (mbox `From <sha>` lines,
/// `commit <sha>` lines as in `git log -p`).
pub fn stable_patch_ids(input: &[u8]) -> Vec<(String, String)> {
    let mut reader = LineReader { input, at: 0 };
    let mut ids = Vec::new();
    let mut commit = ZERO_ID.to_string();
    while !reader.is_done() {
        let (length, result, next) = one_patch_id(&mut reader);
        if length > 0 {
            ids.push((hex(&result), commit));
        }
        commit = next.unwrap_or_else(|| ZERO_ID.to_string());
    }
    ids
}

/// The stable patch id of one parsed patch, with `-p strip` applied to its paths: for a git
/// diff this equals git's; for a plain (quilt-style: no `diff --git` line, timestamps on
/// `---`/`+++`, any -p level) diff it is the id git would give the same change written as a
/// git diff (a/ and b/ prefixes on the stripped paths). None if the patch has no file diffs.
///
/// Only the file diffs are hashed, never the header: the id is git's id of `git show <commit>`
/// for the commit the patch came from. (Fed a whole format-patch mail, git itself can differ
/// when the unindented message body holds a line starting with `diff ` or a commit id.)
pub fn patch_id(patch: &Patch, strip: usize) -> Option<String> {
    if patch.files.is_empty() {
        return None;
    }
    let text = git_rendering(patch, strip);
    stable_patch_ids(&text).into_iter().next().map(|(id, _)| id)
}

/// The patch as git would write it: what the id is computed over. Lines that git's patch id
/// never reads (hunk headers' line numbers, `\ No newline` markers) are written but ignored.
pub fn git_rendering(patch: &Patch, strip: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for file in &patch.files {
        render_file(file, strip, &mut out);
    }
    out
}

fn render_file(file: &FilePatch, strip: usize, out: &mut Vec<u8>) {
    let old = file.old_target(strip);
    let new = file.new_target(strip);
    let (Some(name_a), Some(name_b)) = (old.clone().or(new.clone()), new.or(old)) else {
        return;
    };
    out.extend_from_slice(b"diff --git ");
    git_quote_into(b"a/", &name_a, out);
    out.push(b' ');
    git_quote_into(b"b/", &name_b, out);
    out.push(b'\n');
    if file.git {
        // Git's own extended header lines, as written; `index` is handled below.
        let start = file
            .preamble
            .iter()
            .position(|l| l.starts_with(b"diff --git "))
            .map_or(file.preamble.len(), |p| p + 1);
        for line in &file.preamble[start..] {
            if !line.starts_with(b"index ") {
                push_line(line, out);
            }
        }
    } else {
        if file.is_new {
            let mode = file.new_mode.unwrap_or(0o100644);
            out.extend_from_slice(format!("new file mode {mode:o}\n").as_bytes());
        } else if file.is_delete {
            let mode = file.old_mode.unwrap_or(0o100644);
            out.extend_from_slice(format!("deleted file mode {mode:o}\n").as_bytes());
        }
    }
    if file.binary.is_some() {
        if let Some((old_id, new_id)) = &file.index {
            out.extend_from_slice(format!("index {old_id}..{new_id}\n").as_bytes());
        }
        out.extend_from_slice(b"GIT binary patch\n");
        return;
    }
    if file.hunks.is_empty() {
        return;
    }
    out.extend_from_slice(b"--- ");
    if file.is_new {
        out.extend_from_slice(b"/dev/null");
    } else {
        git_quote_into(b"a/", &name_a, out);
    }
    out.extend_from_slice(b"\n+++ ");
    if file.is_delete {
        out.extend_from_slice(b"/dev/null");
    } else {
        git_quote_into(b"b/", &name_b, out);
    }
    out.push(b'\n');
    for hunk in &file.hunks {
        out.extend_from_slice(
            format!(
                "@@ -{},{} +{},{} @@\n",
                hunk.old_start, hunk.old_count, hunk.new_start, hunk.new_count
            )
            .as_bytes(),
        );
        for line in &hunk.lines {
            out.push(match line.kind {
                LineKind::Context => b' ',
                LineKind::Remove => b'-',
                LineKind::Add => b'+',
            });
            push_line(&line.text, out);
        }
    }
}

/// Append a line, adding the `\n` a line without terminator lacks.
fn push_line(line: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(line);
    if line.last() != Some(&b'\n') {
        out.push(b'\n');
    }
}

/// Lines of the input as git's `strbuf_getwholeline` returns them, cut at a NUL byte the way
/// git's C string handling sees them.
struct LineReader<'a> {
    input: &'a [u8],
    at: usize,
}

impl<'a> LineReader<'a> {
    fn is_done(&self) -> bool {
        self.at >= self.input.len()
    }

    fn next_line(&mut self) -> Option<&'a [u8]> {
        if self.is_done() {
            return None;
        }
        let rest = &self.input[self.at..];
        let end = memchr::memchr(b'\n', rest).map_or(rest.len(), |p| p + 1);
        self.at += end;
        let line = &rest[..end];
        Some(match memchr::memchr(0, line) {
            Some(nul) => &line[..nul],
            None => line,
        })
    }
}

/// git's `isspace`: space, tab, newline, carriage return (not `\v`/`\f`).
fn is_git_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r')
}

/// 40 hex digits at the start of `text` (git's `get_oid_hex` for SHA-1).
fn leading_object_id(text: &[u8]) -> Option<String> {
    let id = text.get(..40)?;
    id.iter()
        .all(u8::is_ascii_hexdigit)
        .then(|| String::from_utf8_lossy(id).to_ascii_lowercase())
}

/// C's `atoi` over the digits git has already checked for.
fn atoi(text: &[u8]) -> i64 {
    text.iter()
        .take_while(|b| b.is_ascii_digit())
        .fold(0i64, |n, d| {
            n.saturating_mul(10).saturating_add(i64::from(d - b'0'))
        })
}

fn digit_span(text: &[u8]) -> usize {
    text.iter().take_while(|b| b.is_ascii_digit()).count()
}

/// git's `scan_hunk_header`: the old and new line counts, set as far as it gets.
fn scan_hunk_header(line: &[u8], before: &mut i64, after: &mut i64) {
    let q = &line[4.min(line.len())..];
    let mut n = digit_span(q);
    let mut q = q;
    if q.get(n) == Some(&b',') {
        q = &q[n + 1..];
        *before = atoi(q);
        n = digit_span(q);
    } else {
        *before = 1;
    }
    if n == 0 || q.get(n) != Some(&b' ') || q.get(n + 1) != Some(&b'+') {
        return;
    }
    let mut r = &q[n + 2..];
    n = digit_span(r);
    if r.get(n) == Some(&b',') {
        r = &r[n + 1..];
        *after = atoi(r);
    } else {
        *after = 1;
    }
}

/// Add a finished per-file SHA-1 into the running 20-byte sum (little-endian carry, as git).
fn flush_one_hunk(result: &mut [u8; 20], hasher: &mut Sha1) {
    let hash = std::mem::take(hasher).finalize();
    let mut carry: u16 = 0;
    for (sum, byte) in result.iter_mut().zip(hash.iter()) {
        carry += u16::from(*sum) + u16::from(*byte);
        *sum = carry as u8;
        carry >>= 8;
    }
}

/// git's `get_one_patchid` in stable mode: (bytes hashed, id, the next commit id if found).
fn one_patch_id(reader: &mut LineReader) -> (usize, [u8; 20], Option<String>) {
    let mut length = 0usize;
    let mut next = None;
    let (mut before, mut after): (i64, i64) = (-1, -1);
    let mut is_binary = false;
    let mut pre_id: Vec<u8> = Vec::new();
    let mut post_id: Vec<u8> = Vec::new();
    let mut hasher = Sha1::new();
    let mut result = [0u8; 20];
    let mut scratch = Vec::new();

    while let Some(line) = reader.next_line() {
        let mut p = line;
        let commit = line.strip_prefix(b"commit ");
        let from = line.strip_prefix(b"From ");
        if let Some(rest) = commit.or(from) {
            p = rest;
        } else if line.starts_with(b"\\ ") && line.len() > 12 {
            continue;
        }
        if let Some(id) = leading_object_id(p) {
            next = Some(id);
            break;
        }
        if length == 0 && !line.starts_with(b"diff ") {
            continue;
        }
        if before == -1 {
            if line.starts_with(b"GIT binary patch") || line.starts_with(b"Binary files") {
                is_binary = true;
                before = 0;
                hasher.update(&pre_id);
                hasher.update(&post_id);
                flush_one_hunk(&mut result, &mut hasher);
                continue;
            } else if let Some(rest) = line.strip_prefix(b"index ") {
                if let Some(dots) = memchr::memmem::find(line, b"..") {
                    let second = &line[dots..];
                    let end =
                        memchr::memchr(b' ', second).map_or(line.len() - 1, |space| dots + space);
                    let first_len = dots.saturating_sub(b"index ".len());
                    pre_id = rest[..first_len.min(rest.len())]
                        .iter()
                        .take(40)
                        .copied()
                        .collect();
                    post_id = line
                        .get(dots + 2..end.max(dots + 2))
                        .unwrap_or_default()
                        .iter()
                        .take(40)
                        .copied()
                        .collect();
                }
                continue;
            } else if line.starts_with(b"--- ") {
                before = 1;
                after = 1;
            } else if !line.first().is_some_and(u8::is_ascii_alphabetic) {
                break;
            }
        }
        if is_binary {
            if line.starts_with(b"diff ") {
                is_binary = false;
                before = -1;
            }
            continue;
        }
        if before == 0 && after == 0 {
            if line.starts_with(b"@@ -") {
                scan_hunk_header(line, &mut before, &mut after);
                continue;
            }
            if !line.starts_with(b"diff ") {
                break;
            }
            flush_one_hunk(&mut result, &mut hasher);
            before = -1;
            after = -1;
        }
        match line.first() {
            Some(b'-') => before -= 1,
            Some(b'+') => after -= 1,
            Some(b' ') => {
                before -= 1;
                after -= 1;
            }
            _ => {}
        }
        scratch.clear();
        scratch.extend(line.iter().copied().filter(|&b| !is_git_space(b)));
        length += scratch.len();
        hasher.update(&scratch);
    }
    flush_one_hunk(&mut result, &mut hasher);
    (length, result, next)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_patches;

    const GIT_DIFF: &[u8] = b"diff --git a/x b/x\nindex 1234567..89abcde 100644\n--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n";

    #[test]
    fn ignores_whitespace_and_line_numbers() {
        let moved = b"diff --git a/x b/x\nindex 1234567..89abcde 100644\n--- a/x\n+++ b/x\n@@ -10,2 +12,2 @@ ctx\n  a\n-b \n+c\t\n";
        let ids = stable_patch_ids(GIT_DIFF);
        assert_eq!(ids.len(), 1);
        assert_eq!(ids[0].1, ZERO_ID);
        assert_eq!(ids, stable_patch_ids(moved));
    }

    #[test]
    fn file_order_does_not_matter() {
        let y = b"diff --git a/y b/y\n--- a/y\n+++ b/y\n@@ -1 +1 @@\n-p\n+q\n";
        let xy = [GIT_DIFF, &y[..]].concat();
        let yx = [&y[..], GIT_DIFF].concat();
        assert_eq!(stable_patch_ids(&xy), stable_patch_ids(&yx));
        assert_ne!(stable_patch_ids(&xy), stable_patch_ids(GIT_DIFF));
    }

    #[test]
    fn quilt_diff_gets_the_id_of_its_git_twin() {
        let quilt = b"Index: pkg/x\n===================================================================\n--- pkg.orig/x\t2020-01-01 00:00:00.000000000 +0000\n+++ pkg/x\t2020-01-02 00:00:00.000000000 +0000\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n";
        let patch = &parse_patches(quilt).unwrap()[0];
        let git = stable_patch_ids(GIT_DIFF)[0].0.clone();
        assert_eq!(patch_id(patch, 1), Some(git.clone()));
        assert_ne!(patch_id(patch, 0), Some(git));
    }

    #[test]
    fn commit_lines_name_the_commit() {
        let sha = "0123456789abcdef0123456789abcdef01234567";
        let input = [format!("commit {sha}\n\n    msg\n\n").as_bytes(), GIT_DIFF].concat();
        assert_eq!(stable_patch_ids(&input)[0].1, sha);
    }

    #[test]
    fn quotes_like_git() {
        let mut out = Vec::new();
        git_quote_into(b"a/", "t\u{e9}st\"x".as_bytes(), &mut out);
        assert_eq!(out, b"\"a/t\\303\\251st\\\"x\"");
    }
}

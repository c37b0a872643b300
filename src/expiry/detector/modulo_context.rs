//! The looser hunk match behind the `present-modulo-context` evidence: a hunk whose context
//! churned upstream but whose change is there.
//!
//! `content` needs a hunk's whole post-image (context included) to call it present. Across a
//! large version gap the context is what changes (a renamed helper three lines below a fix),
//! so a fix that upstream has verbatim is reported `absent`. Here the context is not required
//! to match, only to anchor: a hunk is *present modulo context* when
//! - it adds lines: its added lines (whitespace ignored, blank lines dropped) are one
//!   contiguous block of R's file, one of the hunk's context lines is within
//!   [`ANCHOR_WINDOW`] lines of that block (the change sits where the patch put it, not in
//!   another function that happens to hold the same lines), and its removed lines are not one
//!   block of R's file;
//! - it only removes lines: its removed lines are not one block of R's file, and the seam the
//!   removal leaves (up to two context lines on each side, joined) is.
//!
//! Either way, the changed lines are substantive ([`MIN_CHARACTERS`] letters and digits
//! at least) and not lines another hunk of the same patch removes (a patch that moves code
//! finds its own added lines at the old place).
//!
//! Called by `content.rs` for hunks it found `absent`; the rules that turn this into a verdict
//! are in `verdict.rs` and `docs/expiry.md`.

use crate::patch::{Hunk, LineKind};

/// How many lines on each side of the added block may hold the hunk's context.
pub const ANCHOR_WINDOW: usize = 3;

/// The fewest letters and digits the changed lines of a hunk must hold to count.
pub const MIN_CHARACTERS: usize = 20;

/// Lines with all whitespace removed, blank ones dropped: the form every comparison here uses.
pub fn normalize<T: AsRef<[u8]>>(lines: &[T]) -> Vec<Vec<u8>> {
    lines
        .iter()
        .map(|l| squeeze(l.as_ref()))
        .filter(|l| !l.is_empty())
        .collect()
}

/// The normalized removed lines of a hunk (what another hunk must not re-add).
pub fn removed_block(hunk: &Hunk) -> Vec<Vec<u8>> {
    changed(hunk, LineKind::Remove)
}

/// Whether `hunk` is in R modulo its context: `old` and `new` are R's file (normalized) as
/// the pre- and post-image are looked for in it (the same file unless the patch renames it);
/// `others` are the removed blocks of the patch's other hunks.
pub fn is_present(hunk: &Hunk, old: &[Vec<u8>], new: &[Vec<u8>], others: &[Vec<Vec<u8>>]) -> bool {
    let added = changed(hunk, LineKind::Add);
    let removed = changed(hunk, LineKind::Remove);
    // The removed lines must be gone, except inside the added block (a line the hunk moves).
    let inside_added = |start: usize| {
        !added.is_empty()
            && occurrences(old, &added)
                .any(|a| a <= start && start + removed.len() <= a + added.len())
    };
    if !removed.is_empty() && occurrences(old, &removed).any(|start| !inside_added(start)) {
        return false;
    }
    if added.is_empty() {
        if !substantive(&removed) {
            return false;
        }
        let seam = seam(hunk);
        return seam.len() >= 2 && contains(new, &seam).is_some();
    }
    if !substantive(&added) || others.iter().any(|block| contains(block, &added).is_some()) {
        return false;
    }
    let context: Vec<Vec<u8>> = normalize(
        &hunk
            .lines
            .iter()
            .filter(|l| l.kind == LineKind::Context && carries_word(&l.text))
            .map(|l| l.text.as_slice())
            .collect::<Vec<_>>(),
    );
    occurrences(new, &added).any(|start| {
        let end = start + added.len();
        let before = &new[start.saturating_sub(ANCHOR_WINDOW)..start];
        let after = &new[end..(end + ANCHOR_WINDOW).min(new.len())];
        before
            .iter()
            .chain(after)
            .any(|line| context.contains(line))
    })
}

/// The normalized lines of `kind` of a hunk.
fn changed(hunk: &Hunk, kind: LineKind) -> Vec<Vec<u8>> {
    normalize(
        &hunk
            .lines
            .iter()
            .filter(|l| l.kind == kind)
            .map(|l| l.text.as_slice())
            .collect::<Vec<_>>(),
    )
}

/// Up to two non-blank context lines before the first change and after the last, joined.
fn seam(hunk: &Hunk) -> Vec<Vec<u8>> {
    let first = hunk.lines.iter().position(|l| l.kind != LineKind::Context);
    let last = hunk.lines.iter().rposition(|l| l.kind != LineKind::Context);
    let (Some(first), Some(last)) = (first, last) else {
        return Vec::new();
    };
    let before: Vec<&[u8]> = hunk.lines[..first]
        .iter()
        .map(|l| l.text.as_slice())
        .collect();
    let after: Vec<&[u8]> = hunk.lines[last + 1..]
        .iter()
        .map(|l| l.text.as_slice())
        .collect();
    let before = normalize(&before);
    let after = normalize(&after);
    if before.is_empty() || after.is_empty() {
        return Vec::new();
    }
    let mut seam: Vec<Vec<u8>> = before[before.len().saturating_sub(2)..].to_vec();
    seam.extend(after.into_iter().take(2));
    if seam.iter().filter(|l| carries_word(l)).count() < 2 {
        return Vec::new();
    }
    seam
}

/// Whether the lines hold at least [`MIN_CHARACTERS`] letters and digits.
fn substantive(lines: &[Vec<u8>]) -> bool {
    let characters: usize = lines
        .iter()
        .map(|l| l.iter().filter(|b| b.is_ascii_alphanumeric()).count())
        .sum();
    characters >= MIN_CHARACTERS
}

/// A line with at least three letters or digits: a context line that can anchor.
fn carries_word(line: &[u8]) -> bool {
    line.iter().filter(|b| b.is_ascii_alphanumeric()).count() >= 3
}

fn squeeze(line: &[u8]) -> Vec<u8> {
    line.iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect()
}

/// The first start of `block` in `lines`, if any.
fn contains(lines: &[Vec<u8>], block: &[Vec<u8>]) -> Option<usize> {
    occurrences(lines, block).next()
}

/// Every start of `block` as contiguous lines of `lines`.
fn occurrences<'a>(lines: &'a [Vec<u8>], block: &'a [Vec<u8>]) -> impl Iterator<Item = usize> + 'a {
    let count = if block.is_empty() || block.len() > lines.len() {
        0
    } else {
        lines.len() - block.len() + 1
    };
    (0..count).filter(move |&start| lines[start..start + block.len()] == *block)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patch::parse_patches;

    fn hunks(text: &str) -> Vec<Hunk> {
        let patch = format!("--- a/x\n+++ b/x\n{text}");
        parse_patches(patch.as_bytes()).unwrap()[0].files[0]
            .hunks
            .clone()
    }

    fn file(text: &str) -> Vec<Vec<u8>> {
        normalize(&text.lines().collect::<Vec<_>>())
    }

    const FIX: &str = "@@ -1,3 +1,4 @@\n if (check_host(host))\n-    free(fingerprint);\n+    failf(data, \"bad fingerprint\");\n+    free(fingerprint);\n     state(data, SSH_ERROR);\n";

    #[test]
    fn churned_context_around_a_present_change() {
        let h = &hunks(FIX)[0];
        let r = file(
            "if (check_host(host))\n  failf(data, \"bad fingerprint\");\n  free(fingerprint);\n  myssh_state(data, sshc, SSH_ERROR);\n",
        );
        assert!(is_present(h, &r, &r, &[]));
    }

    #[test]
    fn the_same_lines_elsewhere_do_not_count() {
        let h = &hunks(FIX)[0];
        let far = "if (check_host(host))\n  return;\na\nb\nc\nd\nvoid other(void) {\n  failf(data, \"bad fingerprint\");\n  free(fingerprint);\n}\n";
        assert!(!is_present(h, &file(far), &file(far), &[]));
    }

    #[test]
    fn moved_code_does_not_find_itself() {
        let patch = "@@ -1,2 +1,4 @@\n int a = 0;\n+value_length = length_of_the_pdu;\n+value = protocol_data;\n int b = 0;\n@@ -9,3 +11,1 @@\n success = true;\n-value_length = length_of_the_pdu;\n-value = protocol_data;\n";
        let hs = hunks(patch);
        let r = file(
            "int a = 0;\nvalue_length = length_of_the_pdu;\nvalue = protocol_data;\nint b = 0;\n",
        );
        assert!(!is_present(&hs[0], &r, &r, &[removed_block(&hs[1])]));
        assert!(is_present(&hs[0], &r, &r, &[]));
    }

    #[test]
    fn removal_needs_the_seam() {
        let h = &hunks(
            "@@ -1,4 +1,2 @@\n err = getaddrinfo(host, serv);\n-LDAP_MUTEX_LOCK(&ldap_int_resolv_mutex);\n-LDAP_MUTEX_UNLOCK(&ldap_int_resolv_mutex);\n if (err != 0) {\n",
        )[0];
        let joined = file("err = getaddrinfo(host, serv);\nif (err != 0) {\n");
        assert!(is_present(h, &joined, &joined, &[]));
        let rewritten = file("err = getaddrinfo(host, serv, flags);\nif (err != 0) {\n");
        assert!(!is_present(h, &rewritten, &rewritten, &[]));
    }

    #[test]
    fn small_changes_prove_nothing() {
        let h = &hunks("@@ -1,2 +1,3 @@\n int a;\n+x++;\n int b;\n")[0];
        let r = file("int a;\nx++;\nint b;\n");
        assert!(!is_present(h, &r, &r, &[]));
    }
}

//! What a patch's header says about itself: mail headers, DEP-3 and Yocto fields, commit ids.
//!
//! Reads `Patch::header` (the text above the first diff) after parsing. The workspace merges
//! this with the manifest (the manifest wins), the `upstream-commit` expiry detector checks
//! `commit`/`upstream_commits`, and audit reports status, CVEs and origin. Fields are
//! recognised line by line: `Key: value` at the start of a line, continuation lines (starting
//! with a space or tab) folded in; the scan stops at format-patch's `---` separator. Values are
//! read here too, for import and the expiry detectors alike: the version an `Applied-Upstream:`
//! names ([`fixed_in_version`]) and CVE ids in any text ([`cve_ids`]).

use std::sync::OnceLock;

use regex::Regex;

use super::parse::{is_mbox_from, trim_eol};

/// What a patch's header says about itself: mail headers (From, Subject with `[PATCH n/m]`
/// removed, Date), DEP-3 fields (Description/Subject, Origin, Forwarded, Applied-Upstream, Bug,
/// Bug-<Vendor>, Last-Update, Author, Reviewed-by), Yocto `Upstream-Status:` (value + optional
/// reason after it) and `CVE:` lines, `Git-commit:`, `(cherry picked from commit <id>)`, the
/// commit id of an mbox `From <sha>` line, and commit ids found in Origin / Applied-Upstream
/// URLs (…/commit/<hex>, commit:<hex>).
pub fn read_metadata(header: &[u8]) -> PatchMetadata {
    let mut metadata = PatchMetadata::default();
    let text = String::from_utf8_lossy(header);
    let lines: Vec<&str> = text
        .split_inclusive('\n')
        .map(|l| std::str::from_utf8(trim_eol(l.as_bytes())).unwrap_or(l))
        .collect();
    let mut is_mail = false;
    let mut in_mail_headers = false;
    let mut body: Vec<&str> = Vec::new();
    let mut description: Option<String> = None;
    let mut index = 0;
    while index < lines.len() {
        let line = lines[index];
        index += 1;
        if index == 1 && is_mbox_from(line.as_bytes()) {
            metadata.commit = Some(line[5..45].to_ascii_lowercase());
            is_mail = true;
            in_mail_headers = true;
            continue;
        }
        if line == "---" {
            break;
        }
        if let Some(id) = cherry_picked(line) {
            push_unique(&mut metadata.upstream_commits, id);
        }
        if line.trim().is_empty() {
            if in_mail_headers {
                in_mail_headers = false;
                continue;
            }
            body.push(line);
            continue;
        }
        let Some((key, first)) = field(line) else {
            if !in_mail_headers {
                body.push(line);
            }
            continue;
        };
        if index == 1 && matches!(key, "From" | "Subject" | "Date") {
            is_mail = true;
            in_mail_headers = true;
        }
        // Continuation lines: folded with a space; DEP-3 ` .` stands for an empty line.
        let mut folded = first.trim().to_string();
        let mut long = vec![first.trim().to_string()];
        while index < lines.len()
            && lines[index].starts_with([' ', '\t'])
            && !lines[index].trim().is_empty()
        {
            let more = lines[index].trim();
            long.push(if more == "." {
                String::new()
            } else {
                more.to_string()
            });
            if !folded.is_empty() {
                folded.push(' ');
            }
            folded.push_str(more);
            index += 1;
        }
        metadata.fields.push((key.to_string(), folded.clone()));
        apply_field(
            &mut metadata,
            key,
            &folded,
            &long,
            in_mail_headers,
            &mut description,
        );
    }
    if description.is_none() && (is_mail || !body.is_empty()) {
        let text = body.join("\n");
        let text = text.trim();
        if !text.is_empty() {
            description = Some(text.to_string());
        }
    }
    metadata.description = description;
    metadata
}

/// Everything [`read_metadata`] found in a patch header.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PatchMetadata {
    /// Mail `Subject:` without `[PATCH n/m]`, else the first line of the DEP-3 description.
    pub subject: Option<String>,
    /// The first line of a mail `Subject:` that continuation lines follow (`subject` has them
    /// folded in, as mail requires; a hand-written header often continues with the
    /// description instead).
    pub subject_line: Option<String>,
    /// Mail `From:` or DEP-3 `Author:`/`From:`.
    pub author: Option<String>,
    /// Mail `Date:`.
    pub date: Option<String>,
    /// DEP-3 `Description:`/`Subject:` (all lines), else the free text of the header or mail body.
    pub description: Option<String>,
    /// DEP-3 `Origin:`.
    pub origin: Option<String>,
    /// DEP-3 `Forwarded:`.
    pub forwarded: Option<String>,
    /// DEP-3 `Applied-Upstream:`.
    pub applied_upstream: Option<String>,
    /// DEP-3 `Bug:` and `Bug-<Vendor>:` values.
    pub bugs: Vec<String>,
    /// DEP-3 `Last-Update:`.
    pub last_update: Option<String>,
    /// Yocto `Upstream-Status:` value (`Backport`, `Pending`, `Submitted`, …).
    pub upstream_status: Option<String>,
    /// What follows the status (`[https://…]`, `[oe specific]`), brackets removed.
    pub upstream_status_reason: Option<String>,
    /// CVE ids from `CVE:` lines.
    pub cves: Vec<String>,
    /// The commit id of an mbox `From <sha>` line.
    pub commit: Option<String>,
    /// `Git-commit:`, `(cherry picked from commit …)`, commit ids in Origin/Applied-Upstream.
    pub upstream_commits: Vec<String>,
    /// Every `Key: value` field seen, in order, continuation lines folded.
    pub fields: Vec<(String, String)>,
}

/// `Key: value` at the start of a line (key: letters, digits, `-`, starting with a letter).
fn field(line: &str) -> Option<(&str, &str)> {
    let colon = line.find(':')?;
    let key = &line[..colon];
    let value = &line[colon + 1..];
    let valid = key.starts_with(|c: char| c.is_ascii_alphabetic())
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && (value.is_empty() || value.starts_with([' ', '\t']));
    valid.then_some((key, value))
}

fn apply_field(
    metadata: &mut PatchMetadata,
    key: &str,
    value: &str,
    long: &[String],
    mail_header: bool,
    description: &mut Option<String>,
) {
    let set = |slot: &mut Option<String>| {
        if slot.is_none() && !value.is_empty() {
            *slot = Some(value.to_string());
        }
    };
    match key.to_ascii_lowercase().as_str() {
        "subject" if mail_header => {
            metadata.subject = Some(strip_patch_prefix(&decode_encoded_words(value)));
            if long.len() > 1 {
                metadata.subject_line = Some(strip_patch_prefix(&decode_encoded_words(&long[0])));
            }
        }
        "from" if mail_header => metadata.author = Some(decode_encoded_words(value)),
        "date" if mail_header => set(&mut metadata.date),
        "description" | "subject" => {
            if description.is_none() {
                *description = Some(long.join("\n").trim().to_string());
            }
            if metadata.subject.is_none() {
                metadata.subject = long.first().filter(|s| !s.is_empty()).cloned();
            }
        }
        "author" | "from" => set(&mut metadata.author),
        "origin" => {
            set(&mut metadata.origin);
            for id in commit_ids_in(value) {
                push_unique(&mut metadata.upstream_commits, id);
            }
        }
        "applied-upstream" => {
            set(&mut metadata.applied_upstream);
            for id in commit_ids_in(value) {
                push_unique(&mut metadata.upstream_commits, id);
            }
        }
        "forwarded" => set(&mut metadata.forwarded),
        "last-update" => set(&mut metadata.last_update),
        "upstream-status" => {
            let (status, reason) = split_status(value);
            if metadata.upstream_status.is_none() {
                if status.eq_ignore_ascii_case("backport") {
                    for id in commit_ids_in(reason.as_deref().unwrap_or("")) {
                        push_unique(&mut metadata.upstream_commits, id);
                    }
                }
                metadata.upstream_status = Some(status);
                metadata.upstream_status_reason = reason;
            }
        }
        "cve" => {
            for id in cve_ids(value) {
                push_unique(&mut metadata.cves, id);
            }
        }
        "git-commit" => {
            if let Some(id) = leading_hex(value.trim()) {
                push_unique(&mut metadata.upstream_commits, id);
            }
        }
        other if (other == "bug" || other.starts_with("bug-")) && !value.is_empty() => {
            metadata.bugs.push(value.to_string());
        }
        _ => {}
    }
}

/// `Backport [https://…]` → (`Backport`, `https://…`); `Inappropriate [oe specific]`.
fn split_status(value: &str) -> (String, Option<String>) {
    let value = value.trim();
    let end = value
        .find(|c: char| c.is_whitespace() || c == '[')
        .unwrap_or(value.len());
    let status = value[..end].to_string();
    let rest = value[end..].trim();
    let rest = rest
        .strip_prefix('[')
        .map(|r| r.strip_suffix(']').unwrap_or(r))
        .unwrap_or(rest)
        .trim();
    (status, (!rest.is_empty()).then(|| rest.to_string()))
}

/// The version an `Applied-Upstream:` value names: the whole value (`1.2.3`, `v1.2.3`), or a
/// comma-separated part such as `version 1.2.3`, `in 1.2.3`, `upstream 1.2.3`.
pub fn fixed_in_version(value: &str) -> Option<String> {
    static VERSION: OnceLock<Regex> = OnceLock::new();
    let version = VERSION.get_or_init(|| {
        Regex::new(r"(?i)^(?:(?:upstream\s+)?(?:version|release|in)\s+)?v?([0-9]+(?:\.[0-9]+)+[0-9a-z.~+-]*)$")
            .expect("a valid regex")
    });
    value
        .split(',')
        .map(str::trim)
        .filter(|part| !part.contains("://"))
        .find_map(|part| version.captures(part).map(|c| c[1].to_string()))
}

/// CVE ids in free text (`CVE-YYYY-NNNN…`, any case), upper case, in order of appearance, each
/// once: the one CVE recogniser, for `CVE:` lines, prose, release notes and file names.
pub fn cve_ids(text: &str) -> Vec<String> {
    static CVE: OnceLock<Regex> = OnceLock::new();
    let cve =
        CVE.get_or_init(|| Regex::new(r"(?i)\bCVE-[0-9]{4}-[0-9]{4,}\b").expect("a valid regex"));
    let mut ids: Vec<String> = Vec::new();
    for found in cve.find_iter(text) {
        let id = found.as_str().to_ascii_uppercase();
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

/// `(cherry picked from commit <id>)`.
fn cherry_picked(line: &str) -> Option<String> {
    let at = line.find("(cherry picked from commit ")?;
    leading_hex(&line[at + "(cherry picked from commit ".len()..])
}

/// A commit id (7 to 64 hex digits) at the start of `text`, lower case.
fn leading_hex(text: &str) -> Option<String> {
    let length = text.chars().take_while(char::is_ascii_hexdigit).count();
    let next = text[length..].chars().next();
    ((7..=64).contains(&length) && !next.is_some_and(|c| c.is_ascii_alphanumeric()))
        .then(|| text[..length].to_ascii_lowercase())
}

/// Commit ids in an Origin / Applied-Upstream value: `commit:<hex>`, `…/commit/<hex>`,
/// `…/commits/<hex>`, cgit's `?id=<hex>`.
fn commit_ids_in(value: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for marker in [
        "commit:",
        "/commit/",
        "/commits/",
        "?id=",
        "&id=",
        "commit ",
    ] {
        let mut rest = value;
        while let Some(at) = rest.find(marker) {
            rest = &rest[at + marker.len()..];
            if let Some(id) = leading_hex(rest.trim_start()) {
                push_unique(&mut ids, id);
            }
        }
    }
    ids
}

fn push_unique(list: &mut Vec<String>, value: String) {
    if !list.contains(&value) {
        list.push(value);
    }
}

/// Remove leading `[PATCH v2 1/3]`-style tags (any bracketed group) and `Re:`.
fn strip_patch_prefix(subject: &str) -> String {
    let mut rest = subject.trim();
    loop {
        if let Some(inner) = rest.strip_prefix('[')
            && let Some(close) = inner.find(']')
        {
            rest = inner[close + 1..].trim_start();
            continue;
        }
        if let Some(after) = rest
            .get(..3)
            .filter(|re| re.eq_ignore_ascii_case("re:"))
            .and_then(|_| rest.get(3..))
        {
            rest = after.trim_start();
            continue;
        }
        return rest.to_string();
    }
}

/// Decode RFC 2047 encoded words (`=?UTF-8?q?caf=C3=A9?=`, `=?utf-8?b?…?=`).
fn decode_encoded_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut last_was_word = false;
    while let Some(start) = rest.find("=?") {
        let Some(word) = encoded_word(&rest[start..]) else {
            out.push_str(&rest[..start + 2]);
            rest = &rest[start + 2..];
            last_was_word = false;
            continue;
        };
        let between = &rest[..start];
        // Whitespace between two encoded words is dropped (RFC 2047 §6.2).
        if !(last_was_word && between.trim().is_empty()) {
            out.push_str(between);
        }
        out.push_str(&word.0);
        rest = &rest[start + word.1..];
        last_was_word = true;
    }
    out.push_str(rest);
    out
}

/// One encoded word at the start of `text`: its decoded text and length.
fn encoded_word(text: &str) -> Option<(String, usize)> {
    let body = text.strip_prefix("=?")?;
    let charset_end = body.find('?')?;
    let after_charset = &body[charset_end + 1..];
    let mut chars = after_charset.chars();
    let encoding = chars.next().filter(char::is_ascii)?.to_ascii_lowercase();
    if chars.next()? != '?' {
        return None;
    }
    let payload_and_rest = &after_charset[2..];
    let end = payload_and_rest.find("?=")?;
    let payload = &payload_and_rest[..end];
    let bytes = match encoding {
        'q' => decode_q(payload)?,
        'b' => decode_base64(payload)?,
        _ => return None,
    };
    let used = 2 + charset_end + 1 + 2 + end + 2;
    Some((String::from_utf8_lossy(&bytes).into_owned(), used))
}

fn decode_q(payload: &str) -> Option<Vec<u8>> {
    let bytes = payload.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'_' => out.push(b' '),
            b'=' => {
                let hex = std::str::from_utf8(bytes.get(at + 1..at + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                at += 2;
            }
            other => out.push(other),
        }
        at += 1;
    }
    Some(out)
}

fn decode_base64(payload: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0);
    for &c in payload.as_bytes() {
        if c == b'=' {
            break;
        }
        buffer = (buffer << 6) | value(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applied_upstream_versions() {
        assert_eq!(fixed_in_version("1.2.3").as_deref(), Some("1.2.3"));
        assert_eq!(fixed_in_version("v2.0rc1").as_deref(), Some("2.0rc1"));
        assert_eq!(
            fixed_in_version("https://x.org/commit/abc1234, version 1.2.3").as_deref(),
            Some("1.2.3")
        );
        assert_eq!(fixed_in_version("in 4.5").as_deref(), Some("4.5"));
        assert_eq!(fixed_in_version("https://x.org/v1.2/commit/abc1234"), None);
        assert_eq!(fixed_in_version("yes"), None);
    }

    #[test]
    fn cve_ids_in_free_text() {
        assert_eq!(
            cve_ids(
                "fixes cve-2022-37434 and CVE-2023-0001/CVE-2022-37434; not CVE-22-1 or xCVE-2020-12345"
            ),
            ["CVE-2022-37434", "CVE-2023-0001"]
        );
    }

    #[test]
    fn reads_a_format_patch_mail() {
        let header = b"From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001\nFrom: =?UTF-8?q?Ren=C3=A9=20Dev?= <rene@example.org>\nDate: Tue, 2 Jan 2024 03:04:05 +0000\nSubject: [PATCH v2 2/3] inflate: fix\n the overflow\n\nLonger text.\n\n(cherry picked from commit abcdef0123456789abcdef0123456789abcdef01)\nUpstream-Status: Backport [https://github.com/madler/zlib/commit/eff308af425b]\nCVE: CVE-2022-37434, CVE-2023-0001\nSigned-off-by: A <a@example.org>\n---\n x | 2 +-\n";
        let m = read_metadata(header);
        assert_eq!(
            m.commit.as_deref(),
            Some("0123456789abcdef0123456789abcdef01234567")
        );
        assert_eq!(m.author.as_deref(), Some("René Dev <rene@example.org>"));
        assert_eq!(m.subject.as_deref(), Some("inflate: fix the overflow"));
        assert_eq!(m.subject_line.as_deref(), Some("inflate: fix"));
        assert_eq!(m.date.as_deref(), Some("Tue, 2 Jan 2024 03:04:05 +0000"));
        assert_eq!(m.upstream_status.as_deref(), Some("Backport"));
        assert_eq!(
            m.upstream_status_reason.as_deref(),
            Some("https://github.com/madler/zlib/commit/eff308af425b")
        );
        assert_eq!(m.cves, vec!["CVE-2022-37434", "CVE-2023-0001"]);
        assert_eq!(
            m.upstream_commits,
            vec!["abcdef0123456789abcdef0123456789abcdef01", "eff308af425b"]
        );
        assert!(
            m.description
                .as_deref()
                .unwrap()
                .starts_with("Longer text.")
        );
        assert!(m.fields.iter().any(|(k, _)| k == "Signed-off-by"));
        assert!(!m.fields.iter().any(|(k, _)| k == "x"));
    }

    #[test]
    fn reads_dep3_fields() {
        let header = b"Description: Fix the build\n Longer explanation\n .\n second paragraph\nAuthor: Jane <jane@example.org>\nOrigin: upstream, https://git.example.org/cgit/p.git/commit/?id=1a2b3c4d5e6f\nBug-Debian: https://bugs.debian.org/123\nBug: https://example.org/issues/9\nForwarded: not-needed\nApplied-Upstream: 1.3.1, commit:0011223344556677\nLast-Update: 2024-01-02\nReviewed-by: Rev <r@example.org>\n---\n";
        let m = read_metadata(header);
        assert_eq!(m.subject.as_deref(), Some("Fix the build"));
        assert_eq!(
            m.description.as_deref(),
            Some("Fix the build\nLonger explanation\n\nsecond paragraph")
        );
        assert_eq!(m.author.as_deref(), Some("Jane <jane@example.org>"));
        assert_eq!(m.bugs.len(), 2);
        assert_eq!(m.forwarded.as_deref(), Some("not-needed"));
        assert_eq!(m.last_update.as_deref(), Some("2024-01-02"));
        assert_eq!(m.upstream_commits, vec!["1a2b3c4d5e6f", "0011223344556677"]);
        assert_eq!(m.fields[0].0, "Description");
        assert_eq!(m.fields.len(), 9);
    }

    #[test]
    fn yocto_status_with_reason_and_git_commit() {
        let m = read_metadata(
            b"Upstream-Status: Inappropriate [oe specific]\nGit-commit: DEADBEEF1234\n",
        );
        assert_eq!(m.upstream_status.as_deref(), Some("Inappropriate"));
        assert_eq!(m.upstream_status_reason.as_deref(), Some("oe specific"));
        assert_eq!(m.upstream_commits, vec!["deadbeef1234"]);
        assert_eq!(read_metadata(b"").description, None);
    }

    #[test]
    fn odd_text_does_not_panic() {
        for text in [
            "=?\u{e9}?\u{e9}?x?=",
            "=?a?\u{e9}?x?=",
            "\u{e9}\u{e9}x",
            "Re:",
            "[",
            "=?utf-8?q?=C?=",
        ] {
            let _ = decode_encoded_words(text);
            let _ = strip_patch_prefix(text);
            let _ = read_metadata(format!("Subject: {text}\nCVE: {text}\n").as_bytes());
        }
    }

    #[test]
    fn decodes_base64_words() {
        assert_eq!(decode_encoded_words("=?utf-8?b?Q2Fmw6k=?= x"), "Café x");
        assert_eq!(strip_patch_prefix("[PATCH 1/2] [RFC] Re: x"), "x");
    }
}

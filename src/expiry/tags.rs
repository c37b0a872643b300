//! R's tag in an upstream history: the tags the manifest names first, then any tag that names
//! R's version in another common spelling.
//!
//! A git upstream's `tag:` template says exactly how a version becomes a tag. A tarball
//! upstream that names its `git:` repository, or a repository a patch's commit URL points to,
//! has no template, and projects spell release tags in many ways: `v668`, `curl-8_14_1`,
//! `release_1_35`, `gdb-16.3-release`, `OpenSSL_1_1_1w`. A tag *names* version V when, after a
//! prefix (`v`, `curl-`, `release_`, `krb5-`: up to the first digit or a separator before a
//! digit, at most 32 bytes), its parts split at `.`, `_`, `-` and
//! where digits meet letters are V's parts split the same way (`V_9_2_P1` names `9.2p1`; a
//! `+dfsg`-style repack suffix of V dropped), optionally
//! followed by a `release` or `final` part. Pre-release tags (`-rc1`) never name a final
//! version, since their extra part does not match. When several tags name V and point to
//! different commits, a `v`-prefixed or bare tag wins, then the shortest name.

use super::history::History;
use crate::git::{ObjectId, Repository};

/// [`resolve_release_tag`] in a history.
pub fn resolve_in_history(
    history: &History,
    candidates: &[String],
    release: &str,
) -> Option<(String, ObjectId)> {
    resolve_release_tag(history.repository(), candidates, release)
}

/// The first of `candidates` that exists, else the tag naming `release` ([`names_version`]),
/// with the commit it points to.
pub fn resolve_release_tag(
    repo: &Repository,
    candidates: &[String],
    release: &str,
) -> Option<(String, ObjectId)> {
    if let Some(found) = repo.resolve_tag(candidates) {
        return Some(found);
    }
    let names = repo.tag_names().ok()?;
    let mut matching: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|tag| names_version(tag, release))
        .collect();
    matching.sort_by_key(|tag| (!plain_prefix(tag), tag.len(), tag.to_string()));
    matching
        .into_iter()
        .find_map(|tag| Some((tag.to_string(), repo.tag_commit(tag)?)))
}

/// Whether `tag` is a spelling of release `version` (see the module comment).
pub fn names_version(tag: &str, version: &str) -> bool {
    let version = version.split('+').next().unwrap_or(version);
    let wanted = parts(version);
    !wanted.is_empty() && version_starts(tag).any(|start| names_at(&tag[start..], &wanted))
}

/// Where a tag's version may start: at its first digit, and after any separator followed by a
/// digit (`krb5-1.21.3-final`, `gtk2-2.24`), with a prefix of at most 32 bytes.
fn version_starts(tag: &str) -> impl Iterator<Item = usize> + '_ {
    let bytes = tag.as_bytes();
    let first = bytes.iter().position(u8::is_ascii_digit);
    let after_separator = (1..bytes.len()).filter(move |&at| {
        matches!(bytes[at - 1], b'-' | b'_' | b'/') && bytes[at].is_ascii_digit()
    });
    first
        .into_iter()
        .chain(after_separator)
        .filter(|&start| start <= 32)
}

fn names_at(rest: &str, wanted: &[&str]) -> bool {
    let mut found = parts(rest);
    while found.len() > wanted.len()
        && found
            .last()
            .is_some_and(|p| p.eq_ignore_ascii_case("release") || p.eq_ignore_ascii_case("final"))
    {
        found.pop();
    }
    found.len() == wanted.len()
        && found
            .iter()
            .zip(wanted)
            .all(|(a, b)| a.eq_ignore_ascii_case(b))
}

/// The parts of a version: split at `.`, `_`, `-`, `~` and where digits meet letters
/// (`9.2p1` and `V_9_2_P1` both give 9, 2, p, 1).
fn parts(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    for piece in text.split(['.', '_', '-', '~']) {
        let mut start = 0;
        let bytes = piece.as_bytes();
        for at in 1..bytes.len() {
            if bytes[at].is_ascii_digit() != bytes[at - 1].is_ascii_digit() {
                parts.push(&piece[start..at]);
                start = at;
            }
        }
        parts.push(&piece[start..]);
    }
    parts
}

/// A tag with no prefix or just `v`: the most common spelling, preferred when several match.
fn plain_prefix(tag: &str) -> bool {
    let start = tag.find(|c: char| c.is_ascii_digit()).unwrap_or(0);
    matches!(&tag[..start], "" | "v" | "V")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_spellings_name_their_version() {
        assert!(names_version("v668", "668"));
        assert!(names_version("curl-8_14_1", "8.14.1"));
        assert!(names_version("release_1_35", "1.35+dfsg"));
        assert!(names_version("gdb-16.3-release", "16.3"));
        assert!(names_version("OpenSSL_1_1_1w", "1.1.1w"));
        assert!(names_version("10.2.0", "10.2.0"));
        assert!(names_version("v2.0.21", "2.0.21"));
        assert!(names_version("V_9_2_P1", "9.2p1"));
        assert!(names_version("krb5-1.21.3-final", "1.21.3"));
        assert!(names_version("gtk2-2.24", "2.24"));
        assert!(names_version("release/1.0", "1.0"));
    }

    #[test]
    fn other_versions_and_prereleases_do_not() {
        assert!(!names_version("v6680", "668"));
        assert!(!names_version("v1.35-rc1", "1.35"));
        assert!(!names_version("V_9_2_P2", "9.2p1"));
        assert!(!names_version("v1.3", "1.35"));
        assert!(!names_version("v1.35.1", "1.35"));
        assert!(!names_version("gtk2-2.25", "2.24"));
        assert!(!names_version("stable", "1.0"));
        assert!(!names_version("v1.0", ""));
    }

    #[test]
    fn prefers_plain_tags() {
        assert!(plain_prefix("v1.2"));
        assert!(plain_prefix("1.2"));
        assert!(!plain_prefix("release_1_2"));
    }
}

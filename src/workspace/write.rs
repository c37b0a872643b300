//! Writing a new `package.yaml` from a [`Manifest`]: the YAML text and the atomic write.
//!
//! `import` creates manifests that did not exist before, so there are no user comments or
//! formatting to keep (edits of existing manifests go through the lossless editor instead).
//! The text is emitted by hand, in the key order DESIGN.md §1 documents, so a generated
//! manifest reads like a hand-written one: plain scalars where YAML reads them back as the same
//! string, double quotes (with escapes) everywhere else — versions, dates, `>=` requirements,
//! anything with `: `, `#`, leading symbols or words YAML would turn into a boolean or a number.

use std::io::Write;
use std::path::Path;

use super::manifest::{Manifest, PatchEntry, UpstreamSource};

/// The YAML text of a manifest, keys in the documented order, optional keys left out.
pub fn manifest_yaml(manifest: &Manifest) -> String {
    let mut out = String::new();
    if let Some(name) = &manifest.name {
        push_key(&mut out, 0, "name", &scalar(name));
    }
    let upstream = &manifest.upstream;
    out.push_str("upstream:\n");
    push_key(&mut out, 1, "version", &quoted(&upstream.version));
    match &upstream.source {
        UpstreamSource::Git { url, tag, commit } => {
            push_key(&mut out, 1, "git", &scalar(url));
            if let Some(tag) = tag {
                push_key(&mut out, 1, "tag", &quoted(tag));
            }
            if let Some(commit) = commit {
                push_key(&mut out, 1, "commit", &quoted(commit));
            }
        }
        UpstreamSource::Tarball { url, sha256, git } => {
            push_key(&mut out, 1, "tarball", &scalar(url));
            if let Some(sha256) = sha256 {
                push_key(&mut out, 1, "sha256", &scalar(sha256));
            }
            if let Some(git) = git {
                push_key(&mut out, 1, "git", &scalar(git));
            }
        }
        UpstreamSource::Dir { path } => push_key(&mut out, 1, "dir", &scalar(path)),
    }
    if let Some(scheme) = &upstream.scheme {
        push_key(&mut out, 1, "scheme", &scalar(scheme));
    }
    if let Some(releases) = &upstream.releases {
        out.push_str("  releases:\n");
        if let Some(pattern) = &releases.pattern {
            push_key(&mut out, 2, "pattern", &single_quoted(pattern));
        }
        if let Some(url) = &releases.url {
            push_key(&mut out, 2, "url", &scalar(url));
        }
        if releases.prereleases {
            push_key(&mut out, 2, "prereleases", "true");
        }
    }
    if manifest.patches.is_empty() {
        out.push_str("patches: []\n");
    } else {
        out.push_str("patches:\n");
        for entry in &manifest.patches {
            push_patch(&mut out, entry);
        }
    }
    if !manifest.expired.is_empty() {
        out.push_str("expired:\n");
        for entry in &manifest.expired {
            out.push_str(&format!("  - file: {}\n", scalar(&entry.file)));
            push_key(&mut out, 2, "release", &quoted(&entry.release));
            push_key(&mut out, 2, "reason", &scalar(&entry.reason));
            if let Some(evidence) = &entry.evidence {
                push_key(&mut out, 2, "evidence", &scalar(evidence));
            }
            if let Some(date) = &entry.date {
                push_key(&mut out, 2, "date", &scalar(date));
            }
        }
    }
    out
}

fn push_patch(out: &mut String, entry: &PatchEntry) {
    out.push_str(&format!("  - file: {}\n", scalar(&entry.file)));
    if let Some(reason) = &entry.reason {
        push_key(out, 2, "reason", &scalar(reason));
    }
    if let Some(status) = entry.status {
        push_key(out, 2, "status", status.as_str());
    }
    if let Some(commit) = &entry.upstream_commit {
        push_key(out, 2, "upstream-commit", &scalar(commit));
    }
    if let Some(url) = &entry.upstream_url {
        push_key(out, 2, "upstream-url", &scalar(url));
    }
    if let Some(fixed_in) = &entry.fixed_in {
        push_key(out, 2, "fixed-in", &quoted(fixed_in));
    }
    if !entry.cves.is_empty() {
        let list: Vec<String> = entry.cves.iter().map(|c| scalar(c)).collect();
        push_key(out, 2, "cves", &format!("[{}]", list.join(", ")));
    }
    if let Some(added) = &entry.added {
        push_key(out, 2, "added", &scalar(added));
    }
    if entry.strip != 1 {
        push_key(out, 2, "strip", &entry.strip.to_string());
    }
    if !entry.replaced_dependencies.is_empty() {
        let pairs: Vec<String> = entry
            .replaced_dependencies
            .iter()
            .map(|(old, new)| format!("{}: {}", scalar(old), scalar(new)))
            .collect();
        push_key(
            out,
            2,
            "replaced-dependencies",
            &format!("{{{}}}", pairs.join(", ")),
        );
    }
}

fn push_key(out: &mut String, depth: usize, key: &str, value: &str) {
    for _ in 0..depth {
        out.push_str("  ");
    }
    out.push_str(key);
    out.push_str(": ");
    out.push_str(value);
    out.push('\n');
}

/// A scalar that YAML reads back as exactly `text` (a string): plain when that is safe,
/// double-quoted otherwise.
pub fn scalar(text: &str) -> String {
    if is_plain_safe(text) {
        text.to_string()
    } else {
        quoted(text)
    }
}

/// Plain style is safe for text that starts with a letter or `/` (or a digit, see below), holds no `: `, ` #`, flow
/// indicators or control characters, does not end in a space or `:`, and is not one of the
/// words YAML 1.1/1.2 read as booleans or null.
fn is_plain_safe(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    // A leading digit is plain only for names such as `0001-fix.patch`: a letter that no
    // number, date or time can hold, no `:` and no space.
    let numeric_start = first.is_ascii_digit()
        && !text.contains([':', ' '])
        && text
            .chars()
            .any(|c| c.is_ascii_alphabetic() && !"eEoOxXbB".contains(c));
    if !(first.is_ascii_alphabetic() || first == '/' || numeric_start) {
        return false;
    }
    if text.ends_with([' ', ':']) || text.contains(": ") || text.contains(" #") {
        return false;
    }
    if text
        .chars()
        .any(|c| c.is_control() || matches!(c, '[' | ']' | '{' | '}' | ',' | '"' | '\'' | '`'))
    {
        return false;
    }
    let lower = text.to_ascii_lowercase();
    !matches!(
        lower.as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | "null" | "nan" | "inf"
    )
}

/// A double-quoted scalar with YAML escapes.
pub fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A single-quoted scalar (no escapes inside, `'` doubled): regexes read best this way.
fn single_quoted(text: &str) -> String {
    if text.chars().any(char::is_control) {
        return quoted(text);
    }
    format!("'{}'", text.replace('\'', "''"))
}

/// Write `text` to `path` atomically: a temporary file in the same folder, fsync, rename.
/// A failure leaves `path` as it was. The file keeps the mode of the file it replaces; a new
/// file gets 0666 less the umask (0644 usually), as editors and `git checkout` create files —
/// not the 0600 of a temporary file.
pub fn write_atomically(path: &Path, text: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut file = tempfile::Builder::new()
        .prefix(".mindelta-")
        // The kernel takes the umask off this mode when it creates the file.
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)?;
    file.write_all(text)?;
    if let Ok(meta) = std::fs::metadata(path) {
        file.as_file().set_permissions(meta.permissions())?;
    }
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Write `text` to a new file at `path` atomically, as [`write_atomically`] does, but never
/// over an existing file: when `path` exists (a file, a folder, a link) by the time of the
/// rename, nothing is written and the error's kind is `AlreadyExists`.
pub fn write_new_atomically(path: &Path, text: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut file = tempfile::Builder::new()
        .prefix(".mindelta-")
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)?;
    file.write_all(text)?;
    file.as_file().sync_all()?;
    file.persist_noclobber(path).map_err(|e| e.error)?;
    Ok(())
}

/// Write `manifest` as a new `package.yaml` at `path`, atomically.
pub fn write_manifest(path: &Path, manifest: &Manifest) -> std::io::Result<()> {
    write_atomically(path, manifest_yaml(manifest).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::manifest::{ExpiredEntry, PatchStatus, Releases, Upstream};

    fn entry(file: &str) -> PatchEntry {
        PatchEntry::new(file)
    }

    /// Line numbers are facts of the text, not of the manifest: zero them to compare.
    fn without_lines(mut manifest: Manifest) -> Manifest {
        manifest.upstream.version_line = 0;
        for entry in &mut manifest.patches {
            entry.line = 0;
        }
        manifest
    }

    fn round_trip(manifest: &Manifest) -> Manifest {
        let text = manifest_yaml(manifest);
        let parsed = Manifest::parse(&text, Path::new("package.yaml"))
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        without_lines(parsed)
    }

    #[test]
    fn tricky_strings_read_back_unchanged() {
        let mut first = entry("debian/0001-fix: the #1 bug.patch");
        first.reason = Some("Fix: \"quoted\" \\ back\tslash #hash, [flow] {map} 'single'".into());
        first.status = Some(PatchStatus::InactiveUpstream);
        first.upstream_commit = Some("eff308af425b67093bab25f80f1ae950166bece1".into());
        first.upstream_url = Some("https://example.org/x?a=1&b=2#frag".into());
        first.fixed_in = Some(">=1.3.1, <2".into());
        first.cves = vec!["CVE-2022-37434".into(), "CVE-2023-1".into()];
        first.added = Some("2022-08-08".into());
        first.strip = 0;
        let mut second = entry("yes");
        second.reason = Some("- starts with a dash: and ends with a colon:".into());
        second.added = Some("Mon, 12 Aug 2024 10:00:00 +0200".into());
        for reason in [
            "true",
            "null",
            "1.0",
            "~",
            "@at",
            "* star",
            "% pct",
            "ünïcödé",
            "1e5",
            "0x1F",
            "12:30",
            "2022-08-08",
            "0001-a.patch",
        ] {
            let mut patch = entry(&format!("{reason}.patch"));
            patch.reason = Some(reason.into());
            let manifest = Manifest {
                name: Some(reason.into()),
                upstream: Upstream {
                    version: reason.into(),
                    source: UpstreamSource::Dir { path: "src".into() },
                    releases: None,
                    scheme: None,
                    version_line: 0,
                    native: None,
                },
                patches: vec![patch],
                expired: Vec::new(),
            };
            assert_eq!(round_trip(&manifest), manifest, "{reason}");
        }
        let manifest = Manifest {
            name: Some("zlib".into()),
            upstream: Upstream {
                version: "1.3".into(),
                source: UpstreamSource::Tarball {
                    url: "file:///srv/zlib-{version}.tar.xz".into(),
                    sha256: Some("ab".repeat(32)),
                    git: Some("https://github.com/madler/zlib.git".into()),
                },
                releases: Some(Releases {
                    pattern: Some(r"^v(?<version>[0-9]+(\.[0-9]+)+)$ it's".into()),
                    url: None,
                    prereleases: true,
                }),
                scheme: Some("semver".into()),
                version_line: 0,
                native: None,
            },
            patches: vec![first, second],
            expired: vec![ExpiredEntry {
                file: "old.patch".into(),
                release: "1.2".into(),
                reason: "patch-id".into(),
                evidence: Some("identical change in upstream commit 1a2b3c4 (v1.3.1)".into()),
                date: Some("2026-11-27".into()),
            }],
        };
        assert_eq!(round_trip(&manifest), manifest);
    }

    #[test]
    fn key_order_follows_the_documented_example() {
        let mut patch = entry("0001-fix.patch");
        patch.reason = Some("Fix overflow".into());
        patch.status = Some(PatchStatus::Backport);
        patch.fixed_in = Some(">=1.3.1".into());
        patch.cves = vec!["CVE-2022-37434".into()];
        patch.added = Some("2022-08-08".into());
        let manifest = Manifest {
            name: Some("zlib".into()),
            upstream: Upstream {
                version: "1.3".into(),
                source: UpstreamSource::Git {
                    url: "https://github.com/madler/zlib.git".into(),
                    tag: Some("v{version}".into()),
                    commit: None,
                },
                releases: None,
                scheme: None,
                version_line: 0,
                native: None,
            },
            patches: vec![patch],
            expired: Vec::new(),
        };
        assert_eq!(
            manifest_yaml(&manifest),
            "name: zlib\nupstream:\n  version: \"1.3\"\n  git: https://github.com/madler/zlib.git\n  tag: \"v{version}\"\npatches:\n  - file: 0001-fix.patch\n    reason: Fix overflow\n    status: backport\n    fixed-in: \">=1.3.1\"\n    cves: [CVE-2022-37434]\n    added: \"2022-08-08\"\n"
        );
    }

    #[test]
    fn atomic_write_replaces_the_file_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("package.yaml");
        std::fs::write(&path, "old").unwrap();
        write_atomically(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1);
        assert!(write_atomically(&dir.path().join("missing/package.yaml"), b"x").is_err());
    }

    #[test]
    fn a_new_file_never_replaces_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.yaml");
        write_new_atomically(&path, b"first").unwrap();
        let error = write_new_atomically(&path, b"second").unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        std::os::unix::fs::symlink("elsewhere", dir.path().join("link")).unwrap();
        assert!(write_new_atomically(&dir.path().join("link"), b"x").is_err());
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            2,
            "no temporary left"
        );
    }

    #[test]
    fn atomic_write_keeps_the_mode_or_uses_the_default() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let kept = dir.path().join("kept.yaml");
        std::fs::write(&kept, "old").unwrap();
        std::fs::set_permissions(&kept, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomically(&kept, b"new").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode(&kept), 0o640);
        // A new file: what `File::create` gives under the same umask (0666 less the umask).
        let reference = dir.path().join("reference");
        std::fs::write(&reference, "x").unwrap();
        let fresh = dir.path().join("fresh.yaml");
        write_atomically(&fresh, b"new").unwrap();
        assert_eq!(mode(&fresh), mode(&reference));
    }
}

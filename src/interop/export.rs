//! `export quilt`: a package's patches as a quilt series with DEP-3 headers.
//!
//! Each patch keeps its own bytes; the manifest facts its header does not already state are
//! added as DEP-3 fields above it (after the `From <sha>` line of a mail), never duplicated:
//! `Description:` (reason), `Origin: upstream, <url|commit:id>` (backport), `Applied-Upstream:`
//! (fixed-in version, commit), `Forwarded: no|yes|not-needed` (pending, submitted,
//! inappropriate), `Bug-Debian-Security:` tracker URLs (CVEs — Debian's own practice; DEP-3
//! has no CVE field), `Last-Update:` (added). Statuses DEP-3 cannot say (denied,
//! inactive-upstream) and facts an existing header contradicts are pinned with Yocto's
//! `Upstream-Status:`/`CVE:` fields, which an import reads first. The result is checked by
//! reading it back exactly as `import quilt` would; anything still different is reported.

use std::path::{Path, PathBuf};

use super::entry_from_header;
use crate::patch::metadata::{fixed_in_version, read_metadata};
use crate::patch::parse_patches;
use crate::workspace::{Package, PatchEntry, PatchStatus};

/// Why an export could not be done. The output folder is left as it was.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// A file that cannot be read or written (the error names it: `fs-err`).
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A patch of the package cannot be read (or is not inside the package's folder).
    #[error("cannot read `{path}`")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The staging folder beside `--out` cannot be made.
    #[error("cannot write `{path}`")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{path}` is not a patch I can read: {source}")]
    Patch {
        path: PathBuf,
        #[source]
        source: crate::patch::ParseError,
    },
    #[error("`{path}` exists and is not empty")]
    Exists { path: PathBuf },
}

impl ExportError {
    /// What the user can do about it, when there is something to say.
    pub fn hint(&self) -> Option<&str> {
        match self {
            ExportError::Exists { .. } => Some("choose another `--out` or pass `--force`"),
            _ => None,
        }
    }
}

/// What an export wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ExportedPackage {
    pub name: String,
    pub out: PathBuf,
    pub patches: Vec<ExportedPatch>,
}

/// One exported patch.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ExportedPatch {
    pub file: String,
    pub strip: usize,
    /// The header fields added above the patch's own header.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub added_fields: Vec<String>,
    /// Manifest facts the exported header cannot carry (they would read back differently).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lost: Vec<String>,
}

/// Write `package`'s series to `out` (`series` + the patches, subfolders kept). `out` must not
/// exist or be empty, unless `force`; the folder is written beside it and renamed into place.
pub fn export_quilt(
    package: &Package,
    out: &Path,
    force: bool,
) -> Result<ExportedPackage, ExportError> {
    let occupied = fs_err::read_dir(out).is_ok_and(|mut entries| entries.next().is_some());
    if occupied && !force {
        return Err(ExportError::Exists {
            path: out.to_path_buf(),
        });
    }
    let mut series = String::new();
    let mut exported = Vec::new();
    let mut files = Vec::new();
    for entry in &package.manifest.patches {
        let path = package.patch_path(entry);
        let bytes = package
            .read_patch(entry)
            .map_err(|source| ExportError::Read {
                path: path.clone(),
                source,
            })?;
        let Rewritten {
            bytes,
            added_fields,
            lost,
        } = with_header(entry, &bytes, &path)?;
        series.push_str(&entry.file);
        if entry.strip != 1 {
            series.push_str(&format!(" -p{}", entry.strip));
        }
        series.push('\n');
        exported.push(ExportedPatch {
            file: entry.file.clone(),
            strip: entry.strip,
            added_fields,
            lost,
        });
        files.push((entry.file.clone(), bytes));
    }

    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs_err::create_dir_all(parent)?;
    let staging = tempfile::Builder::new()
        .prefix(".mindelta-export-")
        .tempdir_in(parent)
        .map_err(|source| ExportError::Write {
            path: parent.to_path_buf(),
            source,
        })?;
    let tree = staging.path().join("series-dir");
    fs_err::create_dir_all(&tree)?;
    for (file, bytes) in &files {
        let path = tree.join(file);
        if let Some(folder) = path.parent() {
            fs_err::create_dir_all(folder)?;
        }
        fs_err::write(&path, bytes)?;
    }
    fs_err::write(tree.join("series"), &series)?;
    if out.exists() {
        let old = staging.path().join("old");
        fs_err::rename(out, &old)?;
        if let Err(error) = fs_err::rename(&tree, out) {
            let _ = fs_err::rename(&old, out);
            return Err(error.into());
        }
    } else {
        fs_err::rename(&tree, out)?;
    }
    drop(staging);
    Ok(ExportedPackage {
        name: package.name.clone(),
        out: out.to_path_buf(),
        patches: exported,
    })
}

/// What an import reads from these patch bytes.
fn reimport(entry: &PatchEntry, bytes: &[u8], path: &Path) -> Result<PatchEntry, ExportError> {
    let patches = parse_patches(bytes).map_err(|source| ExportError::Patch {
        path: path.to_path_buf(),
        source,
    })?;
    let metadata = patches
        .first()
        .map(|patch| read_metadata(&patch.header))
        .unwrap_or_default();
    Ok(entry_from_header(&entry.file, entry.strip, &metadata))
}

/// The patch bytes with the manifest facts its header lacks, the fields added, and the facts
/// that still read back differently.
fn with_header(entry: &PatchEntry, bytes: &[u8], path: &Path) -> Result<Rewritten, ExportError> {
    let current = reimport(entry, bytes, path)?;
    let mut fields: Vec<String> = Vec::new();
    if entry.reason.is_some() && entry.reason != current.reason {
        fields.push(format!(
            "Description: {}",
            entry.reason.as_deref().unwrap_or("")
        ));
    }
    let commit_in_url = match (&entry.upstream_url, &entry.upstream_commit) {
        (Some(url), Some(commit)) => url.to_ascii_lowercase().contains(commit.as_str()),
        _ => false,
    };
    let upstream_changed = entry.status != current.status
        || entry.upstream_url != current.upstream_url
        || entry.upstream_commit != current.upstream_commit;
    if upstream_changed {
        let category = if entry.status == Some(PatchStatus::Backport) {
            "upstream, "
        } else {
            ""
        };
        match (&entry.upstream_url, &entry.upstream_commit) {
            (Some(url), _) => fields.push(format!("Origin: {category}{url}")),
            (None, Some(commit)) => fields.push(format!("Origin: {category}commit:{commit}")),
            (None, None) if !category.is_empty() => fields.push("Origin: upstream".into()),
            (None, None) => {}
        }
    }
    let version = entry
        .fixed_in
        .as_deref()
        .and_then(|f| f.trim().strip_prefix(">="))
        .map(str::trim)
        .filter(|v| fixed_in_version(v).as_deref() == Some(*v));
    let extra_commit = entry
        .upstream_commit
        .as_ref()
        .filter(|_| upstream_changed && entry.upstream_url.is_some() && !commit_in_url);
    if version.is_some() && entry.fixed_in != current.fixed_in || extra_commit.is_some() {
        let mut parts = Vec::new();
        parts.extend(version.map(str::to_string));
        parts.extend(extra_commit.map(|c| format!("commit:{c}")));
        fields.push(format!("Applied-Upstream: {}", parts.join(", ")));
    }
    if entry.status != current.status {
        match entry.status {
            Some(PatchStatus::Pending) => fields.push("Forwarded: no".into()),
            Some(PatchStatus::Submitted) => fields.push("Forwarded: yes".into()),
            Some(PatchStatus::Inappropriate) => fields.push("Forwarded: not-needed".into()),
            _ => {}
        }
    }
    for cve in &entry.cves {
        if !current.cves.contains(cve) {
            fields.push(format!(
                "Bug-Debian-Security: https://security-tracker.debian.org/tracker/{cve}"
            ));
        }
    }
    if entry.added.is_some() && entry.added != current.added {
        fields.push(format!(
            "Last-Update: {}",
            entry.added.as_deref().unwrap_or("")
        ));
    }

    let mut out = insert_fields(bytes, &fields);
    let mut check = reimport(entry, &out, path)?;
    // Pin what DEP-3 could not say, or what an existing header contradicts, with the Yocto
    // fields an import reads before the DEP-3 ones.
    let mut pins = Vec::new();
    if check.status != entry.status
        && let Some(status) = entry.status
    {
        pins.push(format!("Upstream-Status: {}", yocto_status(status)));
    }
    if !pins.is_empty() {
        pins.extend(fields.iter().cloned());
        fields = pins;
        out = insert_fields(bytes, &fields);
        check = reimport(entry, &out, path)?;
    }
    let mut lost = Vec::new();
    // A fact the manifest leaves out is not lost when the header states one.
    let mut compare = |name: &str, wanted: Option<String>, found: Option<String>| {
        if wanted.is_some() && wanted != found {
            lost.push(format!(
                "{name}: manifest `{}`, header `{}`",
                wanted.unwrap_or_default(),
                found.unwrap_or_default()
            ));
        }
    };
    compare("reason", entry.reason.clone(), check.reason.clone());
    compare(
        "status",
        entry.status.map(|s| s.as_str().to_string()),
        check.status.map(|s| s.as_str().to_string()),
    );
    compare(
        "upstream-commit",
        entry.upstream_commit.clone(),
        check.upstream_commit.clone(),
    );
    compare(
        "upstream-url",
        entry.upstream_url.clone(),
        check.upstream_url.clone(),
    );
    compare("fixed-in", entry.fixed_in.clone(), check.fixed_in.clone());
    compare("added", entry.added.clone(), check.added.clone());
    if entry.cves.iter().any(|cve| !check.cves.contains(cve)) {
        lost.push(format!(
            "cves: manifest [{}], header [{}]",
            entry.cves.join(", "),
            check.cves.join(", ")
        ));
    }
    Ok(Rewritten {
        bytes: out,
        added_fields: fields,
        lost,
    })
}

/// A patch with its header completed from the manifest.
struct Rewritten {
    bytes: Vec<u8>,
    added_fields: Vec<String>,
    lost: Vec<String>,
}

fn yocto_status(status: PatchStatus) -> &'static str {
    match status {
        PatchStatus::Pending => "Pending",
        PatchStatus::Submitted => "Submitted",
        PatchStatus::Backport => "Backport",
        PatchStatus::Denied => "Denied",
        PatchStatus::Inappropriate => "Inappropriate",
        PatchStatus::InactiveUpstream => "Inactive-Upstream",
    }
}

/// `bytes` with `fields` inserted at the top of the header (after a mail's `From <sha>` line).
/// A blank line separates them from a header that does not start with a field of its own.
fn insert_fields(bytes: &[u8], fields: &[String]) -> Vec<u8> {
    if fields.is_empty() {
        return bytes.to_vec();
    }
    let crlf = bytes
        .iter()
        .position(|&b| b == b'\n')
        .is_some_and(|i| i > 0 && bytes[i - 1] == b'\r');
    let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
    let first_end = bytes
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| i + 1);
    let first_line = &bytes[..first_end];
    let (before, after) = if first_line.starts_with(b"From ") && !first_line.starts_with(b"From: ")
    {
        bytes.split_at(first_end)
    } else {
        bytes.split_at(0)
    };
    let mut out = Vec::with_capacity(bytes.len() + 64 * fields.len());
    out.extend_from_slice(before);
    for field in fields {
        out.extend_from_slice(field.as_bytes());
        out.extend_from_slice(eol);
    }
    if before.is_empty() && !starts_with_field(after) {
        out.extend_from_slice(eol);
    }
    out.extend_from_slice(after);
    out
}

/// True when the text starts with a `Key: value` line.
fn starts_with_field(text: &[u8]) -> bool {
    let line_end = text.iter().position(|&b| b == b'\n').unwrap_or(text.len());
    let line = &text[..line_end];
    let Some(colon) = line.iter().position(|&b| b == b':') else {
        return false;
    };
    let key = &line[..colon];
    !key.is_empty()
        && key[0].is_ascii_alphabetic()
        && key.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        && line
            .get(colon + 1)
            .is_none_or(|b| *b == b' ' || *b == b'\t' || *b == b'\r')
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIFF: &str = "--- a/f.txt\n+++ b/f.txt\n@@ -1 +1 @@\n-a\n+b\n";

    fn entry() -> PatchEntry {
        PatchEntry::new("x.patch")
    }

    fn header_of(bytes: &[u8]) -> String {
        let patches = parse_patches(bytes).unwrap();
        String::from_utf8(patches[0].header.clone()).unwrap()
    }

    #[test]
    fn a_bare_diff_gets_a_full_dep3_header() {
        let mut wanted = entry();
        wanted.reason = Some("Fix the thing".into());
        wanted.status = Some(PatchStatus::Backport);
        wanted.upstream_commit = Some("eff308af425b67093bab25f80f1ae950166bece1".into());
        wanted.upstream_url = Some("https://example.org/pr/12".into());
        wanted.fixed_in = Some(">=1.3.1".into());
        wanted.cves = vec!["CVE-2022-37434".into()];
        wanted.added = Some("2022-08-08".into());
        let Rewritten {
            bytes,
            added_fields: fields,
            lost,
        } = with_header(&wanted, DIFF.as_bytes(), Path::new("x.patch")).unwrap();
        assert!(lost.is_empty(), "{lost:?}");
        assert_eq!(
            header_of(&bytes),
            "Description: Fix the thing\nOrigin: upstream, https://example.org/pr/12\nApplied-Upstream: 1.3.1, commit:eff308af425b67093bab25f80f1ae950166bece1\nBug-Debian-Security: https://security-tracker.debian.org/tracker/CVE-2022-37434\nLast-Update: 2022-08-08\n\n"
        );
        assert_eq!(fields.len(), 5);
        assert!(bytes.ends_with(DIFF.as_bytes()));
    }

    #[test]
    fn statuses_without_dep3_words_are_pinned() {
        for status in PatchStatus::ALL {
            let mut wanted = entry();
            wanted.status = Some(status);
            let Rewritten { bytes, lost, .. } =
                with_header(&wanted, DIFF.as_bytes(), Path::new("x.patch")).unwrap();
            assert!(lost.is_empty(), "{status:?}: {lost:?}");
            let found = reimport(&wanted, &bytes, Path::new("x.patch")).unwrap();
            assert_eq!(found.status, Some(status));
        }
    }

    #[test]
    fn existing_fields_are_not_repeated_and_mails_keep_their_from_line() {
        let mail = format!(
            "From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001\nFrom: A <a@example.org>\nSubject: [PATCH] Fix the thing\n\nBody.\n---\n{DIFF}"
        );
        let mut wanted = reimport(&entry(), mail.as_bytes(), Path::new("x.patch")).unwrap();
        let same = with_header(&wanted, mail.as_bytes(), Path::new("x.patch")).unwrap();
        assert!(same.added_fields.is_empty());
        assert_eq!(same.bytes, mail.as_bytes());
        wanted.status = Some(PatchStatus::Pending);
        let Rewritten { bytes, lost, .. } =
            with_header(&wanted, mail.as_bytes(), Path::new("x.patch")).unwrap();
        assert!(lost.is_empty(), "{lost:?}");
        let text = String::from_utf8(bytes).unwrap();
        assert!(
            text.starts_with("From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001\nForwarded: no\nFrom: A"),
            "{text}"
        );
    }
}

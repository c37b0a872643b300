//! Interoperability with other patch-series formats: `import quilt`, `import melange` and
//! `export quilt`.
//!
//! Flow: a foreign series (`quilt.rs`: a `series` file and its patches; `melange.rs`: a melange
//! package YAML) → a [`Manifest`] whose patch entries mirror what each patch's own header says
//! (`entry_from_header`, via `patch::metadata`) → [`install_package`] writes the manifest and
//! copies the patch files, untouched, into `patches/<name>/` as one atomic step. `export.rs` goes
//! the other way: manifest → `series` + patches whose DEP-3 header carries the manifest facts
//! the header did not already state. docs/interop.md has the field mapping.

pub mod dir_template;
pub mod export;
pub mod melange;
pub mod quilt;

use std::path::{Path, PathBuf};

use crate::patch::metadata::{PatchMetadata, cve_ids, fixed_in_version, read_metadata};
use crate::patch::parse_patches;
use crate::workspace::write::manifest_yaml;
use crate::workspace::{Manifest, PatchEntry, PatchStatus};

pub use dir_template::{DirUpstream, dir_upstream};
pub use export::{ExportError, ExportedPackage, export_quilt};
pub use melange::{MelangeImport, import_melange};
pub use quilt::{QuiltImport, SeriesEntry, import_quilt, parse_series};

/// Why an import could not be done. Nothing in the workspace was changed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A file that cannot be read or written (the error names it: `fs-err`).
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A write whose error does not name its path (a staging folder, an atomic write).
    #[error("cannot write `{path}`")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{path}` line {line}: {message}")]
    Series {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("`{path}` is not a patch I can read: {source}")]
    Patch {
        path: PathBuf,
        #[source]
        source: crate::patch::ParseError,
    },
    #[error("patch `{path}` cannot be written into the package folder: {source}")]
    UnsafePath {
        path: String,
        #[source]
        source: crate::patch::path::UnsafePath,
    },
    #[error("`{path}`: {message}")]
    Melange { path: PathBuf, message: String },
    #[error("package `{name}` already exists at `{path}`")]
    Exists { name: String, path: PathBuf },
    #[error("`{name}` is not a valid package name (a single folder name is needed)")]
    BadName { name: String },
    #[error("the generated manifest does not validate: {0}")]
    Manifest(#[from] crate::workspace::ManifestError),
}

impl ImportError {
    /// What the user can do about it, when there is something to say.
    pub fn hint(&self) -> Option<&str> {
        match self {
            ImportError::Exists { .. } => Some("pass `--force` to replace it"),
            ImportError::Series { .. } => {
                Some("a series line is `PATCH [-pN]`; `#` starts a comment")
            }
            _ => None,
        }
    }
}

/// What an import did: the package written, its patches, and what could not be brought in.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportedPackage {
    pub name: String,
    /// The package folder (`patches/<name>`).
    pub dir: PathBuf,
    pub version: String,
    pub patches: Vec<ImportedPatch>,
    /// Things of the source format with no place in the manifest (cherry-picks, sha512
    /// checksums, `release-monitor` ids…), each a sentence naming what was left out.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_imported: Vec<String>,
}

/// One imported patch and the manifest facts read from its header.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportedPatch {
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<PatchStatus>,
    pub strip: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream_commit: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cves: Vec<String>,
}

/// A patch read from the source: its path relative to the package folder and its bytes.
#[derive(Debug, Clone)]
pub struct PatchFile {
    pub file: String,
    pub bytes: Vec<u8>,
}

/// Parse `bytes` as patches (so a broken file is refused at import, not at the next build) and
/// read the first patch's header.
pub fn header_metadata(path: &Path, bytes: &[u8]) -> Result<PatchMetadata, ImportError> {
    let patches = parse_patches(bytes).map_err(|source| ImportError::Patch {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(patches
        .first()
        .map(|patch| read_metadata(&patch.header))
        .unwrap_or_default())
}

/// The manifest entry for a patch at `file` with `-p` level `strip`, mirroring its header.
///
/// - `status`: `Upstream-Status:` (Yocto; `Accepted` is an old spelling of `Backport`), else
///   `Origin: upstream|backport` (or an Origin naming an upstream commit) → backport, else
///   `Applied-Upstream:` → backport, else `Forwarded:` (`not-needed` → inappropriate, `no` →
///   pending, anything else → submitted).
/// - `upstream-commit`: the first commit id of `Git-commit:`, cherry-pick lines, Origin or
///   Applied-Upstream URLs.
/// - `upstream-url`: the first URL of Origin, else of Applied-Upstream, else of
///   `Upstream-Status: Backport [<url>]`.
/// - `fixed-in`: `>=V` when Applied-Upstream names a version (`1.2.3`, `…, version 1.2.3`).
/// - `cves`: `CVE:` lines, then CVE ids in the Description/Subject, the Bug fields and the
///   file name.
/// - `added`: Last-Update; `reason`: the first line of Description/Subject.
pub fn entry_from_header(file: &str, strip: usize, metadata: &PatchMetadata) -> PatchEntry {
    let origin = metadata.origin.as_deref().unwrap_or("");
    let applied = metadata.applied_upstream.as_deref();
    let category = origin
        .split([',', ' '])
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    // A `vendor` or `other` origin names the distribution's own commits, not upstream's.
    let vendor = category == "vendor" || category == "other";
    let upstream_commit = metadata
        .upstream_commits
        .iter()
        .filter(|c| (7..=40).contains(&c.len()))
        .find(|c| !(vendor && origin.to_ascii_lowercase().contains(c.as_str())))
        .cloned();
    let status = metadata
        .upstream_status
        .as_deref()
        .and_then(status_from_yocto)
        .or_else(|| {
            let names_commit = upstream_commit.is_some() && origin.contains("://") && !vendor;
            (category == "upstream" || category == "backport" || names_commit)
                .then_some(PatchStatus::Backport)
        })
        .or_else(|| {
            applied
                .filter(|a| !a.trim().is_empty())
                .map(|_| PatchStatus::Backport)
        })
        .or_else(|| {
            metadata
                .forwarded
                .as_deref()
                .and_then(status_from_forwarded)
        });
    let backport_reason = metadata
        .upstream_status
        .as_deref()
        .filter(|s| s.eq_ignore_ascii_case("backport"))
        .and(metadata.upstream_status_reason.as_deref());
    let upstream_url = if vendor { None } else { first_url(origin) }
        .or_else(|| applied.and_then(first_url))
        .or_else(|| backport_reason.and_then(first_url));
    let reason = metadata
        .subject
        .clone()
        .or_else(|| {
            metadata
                .description
                .as_deref()
                .and_then(|d| d.lines().next())
                .map(str::to_string)
        })
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    let mut cves = metadata.cves.clone();
    let mut texts: Vec<&str> = Vec::new();
    texts.extend(metadata.subject.as_deref());
    texts.extend(metadata.description.as_deref());
    texts.extend(metadata.bugs.iter().map(String::as_str));
    texts.push(file);
    for text in texts {
        for cve in cve_ids(text) {
            if !cves.contains(&cve) {
                cves.push(cve);
            }
        }
    }
    PatchEntry {
        file: file.to_string(),
        reason,
        status,
        upstream_commit,
        upstream_url,
        fixed_in: applied.and_then(fixed_in_version).map(|v| format!(">={v}")),
        cves,
        added: metadata
            .last_update
            .as_deref()
            .map(|d| d.trim().to_string())
            .filter(|d| !d.is_empty()),
        strip,
        replaced_dependencies: Vec::new(),
        line: 0,
    }
}

/// Yocto `Upstream-Status:` → status (`Accepted` is the pre-2013 spelling of `Backport`).
fn status_from_yocto(value: &str) -> Option<PatchStatus> {
    if value.eq_ignore_ascii_case("accepted") {
        return Some(PatchStatus::Backport);
    }
    PatchStatus::parse(value)
}

/// DEP-3 `Forwarded:` → status.
fn status_from_forwarded(value: &str) -> Option<PatchStatus> {
    let value = value.trim().to_ascii_lowercase();
    match value.as_str() {
        "" => None,
        "not-needed" | "not needed" | "no-need" => Some(PatchStatus::Inappropriate),
        "no" => Some(PatchStatus::Pending),
        _ => Some(PatchStatus::Submitted),
    }
}

/// The first `scheme://…` URL in a header value.
fn first_url(value: &str) -> Option<String> {
    value
        .split(|c: char| c.is_whitespace() || c == ',' || c == '<' || c == '>')
        .find(|word| word.contains("://"))
        .map(|url| url.trim_end_matches(['.', ')', ';']).to_string())
}

/// A package name is one plain folder name.
pub fn check_package_name(name: &str) -> Result<(), ImportError> {
    let valid = !name.is_empty()
        && !name.starts_with('.')
        && !name.contains(['/', '\\', '\0'])
        && name.chars().all(|c| !c.is_control());
    if valid {
        Ok(())
    } else {
        Err(ImportError::BadName {
            name: name.to_string(),
        })
    }
}

/// Write `patches/<name>/` with `manifest` and `files` in one step: everything goes to a
/// staging folder inside `patches/` first, the manifest is validated by reading it back, and
/// the folder is renamed into place (an existing package is replaced only with `force`, and
/// only after the new one is complete).
pub fn install_package(
    patches_dir: &Path,
    name: &str,
    manifest: &Manifest,
    files: &[PatchFile],
    force: bool,
) -> Result<PathBuf, ImportError> {
    check_package_name(name)?;
    let target = patches_dir.join(name);
    if target.exists() && !force {
        return Err(ImportError::Exists {
            name: name.to_string(),
            path: target,
        });
    }
    let write_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ImportError::Write { path, source }
    };
    fs_err::create_dir_all(patches_dir)?;
    let staging = tempfile::Builder::new()
        .prefix(".mindelta-import-")
        .tempdir_in(patches_dir)
        .map_err(write_error(patches_dir))?;
    let package_dir = staging.path().join("package");
    for file in files {
        let relative =
            crate::patch::path::safe_relative(file.file.as_bytes()).map_err(|source| {
                ImportError::UnsafePath {
                    path: file.file.clone(),
                    source,
                }
            })?;
        let path = package_dir.join(relative);
        if let Some(parent) = path.parent() {
            fs_err::create_dir_all(parent)?;
        }
        fs_err::write(&path, &file.bytes)?;
    }
    fs_err::create_dir_all(&package_dir)?;
    let manifest_path = package_dir.join("package.yaml");
    let text = manifest_yaml(manifest);
    Manifest::parse(&text, &target.join("package.yaml"))?;
    crate::workspace::write::write_atomically(&manifest_path, text.as_bytes())
        .map_err(write_error(&manifest_path))?;
    if target.exists() {
        let old = staging.path().join("old");
        fs_err::rename(&target, &old)?;
        if let Err(error) = fs_err::rename(&package_dir, &target) {
            let _ = fs_err::rename(&old, &target);
            return Err(error.into());
        }
    } else {
        fs_err::rename(&package_dir, &target)?;
    }
    drop(staging);
    Ok(target)
}

/// The report of an import, from the manifest that was written.
fn report(
    name: &str,
    dir: PathBuf,
    manifest: &Manifest,
    not_imported: Vec<String>,
) -> ImportedPackage {
    ImportedPackage {
        name: name.to_string(),
        dir,
        version: manifest.upstream.version.clone(),
        patches: manifest
            .patches
            .iter()
            .map(|entry| ImportedPatch {
                file: entry.file.clone(),
                status: entry.status,
                strip: entry.strip,
                upstream_commit: entry.upstream_commit.clone(),
                cves: entry.cves.clone(),
            })
            .collect(),
        not_imported,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(header: &str, file: &str) -> PatchEntry {
        entry_from_header(file, 1, &read_metadata(header.as_bytes()))
    }

    #[test]
    fn dep3_fields_map_to_manifest_fields() {
        let found = entry(
            "Description: Fix heap overflow in inflateGetHeader\n Longer text about CVE-2022-37434.\nOrigin: upstream, https://github.com/madler/zlib/commit/eff308af425b67093bab25f80f1ae950166bece1\nApplied-Upstream: 1.2.13\nBug-Debian: https://bugs.debian.org/1016710\nLast-Update: 2022-08-08\n---\n",
            "CVE-2022-37434.patch",
        );
        assert_eq!(
            found.reason.as_deref(),
            Some("Fix heap overflow in inflateGetHeader")
        );
        assert_eq!(found.status, Some(PatchStatus::Backport));
        assert_eq!(
            found.upstream_commit.as_deref(),
            Some("eff308af425b67093bab25f80f1ae950166bece1")
        );
        assert_eq!(
            found.upstream_url.as_deref(),
            Some("https://github.com/madler/zlib/commit/eff308af425b67093bab25f80f1ae950166bece1")
        );
        assert_eq!(found.fixed_in.as_deref(), Some(">=1.2.13"));
        assert_eq!(found.cves, vec!["CVE-2022-37434"]);
        assert_eq!(found.added.as_deref(), Some("2022-08-08"));
    }

    #[test]
    fn forwarded_and_yocto_status() {
        let status = |header: &str| entry(header, "a.patch").status;
        assert_eq!(
            status("Forwarded: not-needed\n"),
            Some(PatchStatus::Inappropriate)
        );
        assert_eq!(status("Forwarded: no\n"), Some(PatchStatus::Pending));
        assert_eq!(
            status("Forwarded: https://lists.example.org/1\n"),
            Some(PatchStatus::Submitted)
        );
        assert_eq!(
            status("Upstream-Status: Inappropriate [oe specific]\nForwarded: no\n"),
            Some(PatchStatus::Inappropriate)
        );
        assert_eq!(
            status("Upstream-Status: Inactive-Upstream [lastcommit: 2019]\n"),
            Some(PatchStatus::InactiveUpstream)
        );
        assert_eq!(status("Description: x\n"), None);
        let yocto = entry(
            "Upstream-Status: Backport\nCVE: CVE-2023-1234 CVE-2023-5678\n",
            "b.patch",
        );
        assert_eq!(yocto.cves, vec!["CVE-2023-1234", "CVE-2023-5678"]);
        let linked = entry(
            "Upstream-Status: Backport [https://git.example.org/demo/commit/?id=0123456789abcdef0123456789abcdef01234567]\n",
            "c.patch",
        );
        assert_eq!(linked.status, Some(PatchStatus::Backport));
        assert_eq!(
            linked.upstream_commit.as_deref(),
            Some("0123456789abcdef0123456789abcdef01234567")
        );
        assert!(
            linked
                .upstream_url
                .unwrap()
                .starts_with("https://git.example.org/")
        );
    }

    #[test]
    fn package_names_are_single_folders() {
        assert!(check_package_name("zlib").is_ok());
        for bad in ["", ".hidden", "a/b", "..", "a\\b"] {
            assert!(check_package_name(bad).is_err(), "{bad}");
        }
    }
}

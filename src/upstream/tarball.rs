//! Tarball and zip upstreams: download, verify the checksum, cache, then extract.
//!
//! The cache is content-addressed (`<cache>/tarballs/<sha256>/<file name>`): a cached file whose
//! checksum matches is used without touching the network. A download goes to a temporary file in
//! this run's folder of the cache (`cache.rs`) and is hashed as it arrives (`http.rs`, which
//! also bounds its size and time); the checksum is verified before anything is extracted or
//! kept. `file://` URLs and plain paths are read in place, and need no network.
//!
//! Releases move: a tarball whose URL answers 404 is looked for in the other compressions of
//! [`COMPRESSIONS`] (bash's `bash-5.2.tar.gz` became `.tar.xz`), those the folder's listing page
//! links to, or, when that page cannot be read, those that a request finds. The checksum rules do
//! not change: a declared sha256 must match the archive found (a recompressed tarball has
//! another checksum, so a pinned release that moved is an integrity failure, never accepted).

use std::path::{Path, PathBuf};

use super::archive::{self, ArchiveLimits};
use super::cache::sha256_file;
use super::http::{self, Request, Sink};
use super::transfer::Watch;
use super::{FetchError, FetchErrorKind, Fetcher, Provenance};

/// Fetch (or find in the cache), verify and extract the archive at `url` into `dest`; returns
/// what was fetched and the root of the tree (its single top folder, if it has one).
pub(super) fn materialize(
    fetcher: &Fetcher,
    url: &str,
    sha256: Option<&str>,
    dest: &Path,
) -> Result<(Provenance, PathBuf), FetchError> {
    let options = fetcher.options();
    let expected = match sha256 {
        Some(sha) => Some(sha.trim().to_ascii_lowercase()),
        None if options.allow_unverified => None,
        None => {
            return Err(FetchError::MissingChecksum {
                url: url.to_owned(),
            });
        }
    };
    let (archive_path, actual, fetched) = match local_path(url) {
        Some(path) => {
            let actual = sha256_file(&path)?;
            verify(url, expected.as_deref(), &actual)?;
            (path, actual, None)
        }
        None => remote(fetcher, url, expected.as_deref())?,
    };
    let fetched_url = fetched.unwrap_or_else(|| url.to_owned());
    let root = archive::extract_release(&archive_path, dest, ArchiveLimits::from(options))?;
    let provenance = Provenance {
        kind: "tarball".into(),
        url: fetched_url,
        commit: None,
        sha256: Some(actual),
        tag: None,
    };
    Ok((provenance, root))
}

/// The archive at `url` as it is fetched now (a local file, the cached download of the URL, or
/// a new download under every bound of this fetcher), read through once to prove that it
/// unpacks ([`archive::validate`]: nothing is written): what a checksum is computed from when
/// none is declared. Returns its path, its sha256 and the URL it was fetched from.
pub(super) fn checked(fetcher: &Fetcher, url: &str) -> Result<super::CheckedArchive, FetchError> {
    let (path, sha256, fetched) = match local_path(url) {
        Some(path) => {
            let sha256 = sha256_file(&path)?;
            (path, sha256, None)
        }
        None => remote(fetcher, url, None)?,
    };
    let temp_root = fetcher.cache().temp_dir()?;
    let scratch = tempfile::Builder::new()
        .prefix("checksum-")
        .tempdir_in(&temp_root)
        .map_err(|e| FetchError::io(&temp_root, e))?;
    archive::validate(
        &path,
        scratch.path(),
        ArchiveLimits::from(fetcher.options()),
    )?;
    Ok(super::CheckedArchive {
        path,
        sha256,
        url: fetched.unwrap_or_else(|| url.to_owned()),
    })
}

/// The file a `file://` URL or a plain path names; `None` for a network URL.
fn local_path(url: &str) -> Option<PathBuf> {
    if let Some(rest) = url.strip_prefix("file://") {
        // `file:///abs/path` and `file://localhost/abs/path`.
        let rest = rest.strip_prefix("localhost").unwrap_or(rest);
        return Some(PathBuf::from(rest));
    }
    (!url.contains("://")).then(|| PathBuf::from(url))
}

fn verify(url: &str, expected: Option<&str>, actual: &str) -> Result<(), FetchError> {
    match expected {
        Some(expected) if expected != actual => Err(FetchError::Integrity {
            url: url.to_owned(),
            expected: expected.to_owned(),
            actual: actual.to_owned(),
        }),
        _ => Ok(()),
    }
}

/// The cached copy of a network archive, downloading it if needed; returns its path, its
/// sha256 and, when the URL answered 404 and another compression was found, that one's URL.
fn remote(
    fetcher: &Fetcher,
    url: &str,
    expected: Option<&str>,
) -> Result<(PathBuf, String, Option<String>), FetchError> {
    let cache = fetcher.cache();
    let known = expected
        .map(str::to_owned)
        .or_else(|| cache.recorded_sha256(url));
    if let Some(sha) = known
        && let Some(path) = cache.find_tarball(&sha)?
    {
        tracing::debug!(url, path = %path.display(), "tarball found in the cache");
        return Ok((path, sha, None));
    }
    if fetcher.options().offline {
        return Err(FetchError::NotCached {
            url: url.to_owned(),
        });
    }
    let gone = match download(fetcher, url, expected) {
        Err(gone @ FetchError::NotFound { .. }) => gone,
        other => return other.map(|(path, sha)| (path, sha, None)),
    };
    for candidate in recompressed(fetcher, url) {
        match download(fetcher, &candidate, expected) {
            Ok((path, sha)) => {
                tracing::warn!(
                    "`{url}` is gone (HTTP 404); using `{candidate}`, the same release in another compression"
                );
                cache.record_url(url, &sha)?;
                return Ok((path, sha, Some(candidate)));
            }
            Err(FetchError::NotFound { .. }) => continue,
            Err(error) if error.kind() == FetchErrorKind::Integrity => {
                return Err(FetchError::Recompressed {
                    url: url.to_owned(),
                    found: candidate,
                    source: Box::new(error),
                });
            }
            Err(error) => return Err(error),
        }
    }
    Err(gone)
}

/// Download `url` into the cache, verifying `expected`; returns the stored path and sha256.
fn download(
    fetcher: &Fetcher,
    url: &str,
    expected: Option<&str>,
) -> Result<(PathBuf, String), FetchError> {
    let cache = fetcher.cache();
    let temp_dir = cache.temp_dir()?;
    let mut temp = tempfile::Builder::new()
        .prefix("download-")
        .tempfile_in(&temp_dir)
        .map_err(|e| FetchError::io(&temp_dir, e))?;
    let temp_path = temp.path().to_path_buf();
    let request = Request {
        url,
        what: "release",
        max_bytes: fetcher.options().max_download_bytes,
    };
    let mut sink = Sink::File {
        file: temp.as_file_mut(),
        path: &temp_path,
    };
    let mut watch = Watch::new(fetcher.options(), fetcher.options().deadline);
    let actual = http::download(fetcher, request, &mut sink, &mut watch)?;
    verify(url, expected, &actual)?;
    let (file, temp_path) = temp.into_parts();
    drop(file);
    let stored = cache.store_tarball(&temp_path, &actual, &file_name(url))?;
    cache.record_url(url, &actual)?;
    Ok((stored, actual))
}

/// The compressions a source release is published in; a 404 for one tries the others.
pub const COMPRESSIONS: [&str; 5] = [".tar.gz", ".tar.xz", ".tar.bz2", ".tar.zst", ".tgz"];

/// The same release in the other [`COMPRESSIONS`], in that order, as far as they exist: those
/// the listing page of the URL's folder links to, or all of them (each is then requested, and
/// one that answers 404 is skipped) when that page cannot be read. A URL with a query or a
/// fragment, or of another kind of file, has none. There are at most four, whatever the page
/// holds.
fn recompressed(fetcher: &Fetcher, url: &str) -> Vec<String> {
    if url.contains(['?', '#']) {
        return Vec::new();
    }
    let Some((folder, file)) = url.rsplit_once('/') else {
        return Vec::new();
    };
    let Some(stem) = COMPRESSIONS
        .iter()
        .find_map(|suffix| file.strip_suffix(suffix))
        .filter(|stem| !stem.is_empty())
    else {
        return Vec::new();
    };
    let names: Vec<String> = COMPRESSIONS
        .iter()
        .map(|suffix| format!("{stem}{suffix}"))
        .filter(|name| name != file)
        .collect();
    let listed = match fetch_page(fetcher, &format!("{folder}/")) {
        Ok(page) => {
            let mut offered = std::collections::HashSet::new();
            for link in super::release::links(&page)
                .into_iter()
                .chain(super::release::words(&page))
            {
                let path = link.split(['?', '#']).next().unwrap_or(&link);
                if let Some(last) = path.rsplit('/').next()
                    && names.iter().any(|name| name == last)
                {
                    offered.insert(last.to_owned());
                }
            }
            names.into_iter().filter(|n| offered.contains(n)).collect()
        }
        Err(error) => {
            tracing::debug!(%error, folder, "no listing of the folder; requesting each compression");
            names
        }
    };
    listed
        .into_iter()
        .map(|name| format!("{folder}/{name}"))
        .collect()
}

/// The text of a page (a release listing) at `url`, with the retries of a download, within
/// [`super::FetchOptions::max_page_bytes`] and [`super::FetchOptions::lookup_deadline`];
/// `file://` URLs and plain paths are read in place. Pages are not cached: offline, a network
/// URL is [`FetchError::NotCached`].
pub(super) fn fetch_page(fetcher: &Fetcher, url: &str) -> Result<String, FetchError> {
    let options = fetcher.options();
    let bytes = match local_path(url) {
        Some(path) => {
            let file = fs_err::File::open(&path).map_err(|e| FetchError::io(&path, e))?;
            let mut page = Vec::new();
            std::io::Read::read_to_end(
                &mut std::io::Read::take(file, options.max_page_bytes.saturating_add(1)),
                &mut page,
            )
            .map_err(|e| FetchError::io(&path, e))?;
            if page.len() as u64 > options.max_page_bytes {
                return Err(FetchError::DownloadTooLarge {
                    url: url.to_owned(),
                    limit: options.max_page_bytes,
                    declared: None,
                });
            }
            page
        }
        None => {
            if options.offline {
                return Err(FetchError::NotCached {
                    url: url.to_owned(),
                });
            }
            let request = Request {
                url,
                what: "release listing",
                max_bytes: options.max_page_bytes,
            };
            let mut page = Vec::new();
            let mut watch = Watch::new(options, options.lookup_deadline);
            http::download(fetcher, request, &mut Sink::Memory(&mut page), &mut watch)?;
            page
        }
    };
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// A safe file name for the cached copy: the URL's last path segment.
pub(super) fn file_name(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let last = path.rsplit('/').next().unwrap_or("");
    let safe = !last.is_empty()
        && last != "."
        && last != ".."
        && !last.contains('\\')
        && !last.ends_with(".lock");
    if safe {
        last.to_owned()
    } else {
        "archive".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cached_files_after_the_url() {
        assert_eq!(
            file_name("https://h/zlib-1.3.tar.xz?x=1#y"),
            "zlib-1.3.tar.xz"
        );
        assert_eq!(file_name("https://h/"), "archive");
        assert_eq!(file_name("https://h/.."), "archive");
    }

    #[test]
    fn recognises_local_archives() {
        assert_eq!(
            local_path("file:///tmp/a.tgz"),
            Some(PathBuf::from("/tmp/a.tgz"))
        );
        assert_eq!(
            local_path("vendor/a.tgz"),
            Some(PathBuf::from("vendor/a.tgz"))
        );
        assert_eq!(local_path("https://h/a.tgz"), None);
    }

    #[test]
    fn requires_a_checksum_unless_allowed() {
        let temp = tempfile::tempdir().unwrap();
        let fetcher = Fetcher::new(super::super::FetchOptions::new(temp.path()), None);
        let error =
            materialize(&fetcher, "https://h/a.tgz", None, &temp.path().join("out")).unwrap_err();
        assert!(
            matches!(error, FetchError::MissingChecksum { .. }),
            "{error:?}"
        );
    }
}

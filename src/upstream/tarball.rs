//! Tarball and zip upstreams: download, verify the checksum, cache, then extract.
//!
//! The cache is content-addressed (`<cache>/tarballs/<sha256>/<file name>`): a cached file whose
//! checksum matches is used without touching the network. A download goes to a temporary file in
//! the cache and is hashed as it arrives; the checksum is verified before anything is extracted
//! or kept. Transient failures (connection reset, 5xx, a body cut short of its
//! `Content-Length`) are retried three times with a short backoff; a 4xx and a failed connect
//! (refused, unreachable, DNS) are reported at once. `file://` URLs and plain paths are read in
//! place, and need no network.
//!
//! HTTP is reqwest's blocking client over rustls with the `ring` crypto provider: no system
//! OpenSSL is linked (loading libssl and libcrypto cost every run of the binary, `apply`
//! included, close to a millisecond at start-up), and ring builds far faster than aws-lc.
//! Certificates are checked by rustls-platform-verifier, which on Linux reads the system's CA
//! bundle (`/etc/ssl/certs`, or `SSL_CERT_FILE`/`SSL_CERT_DIR`) with Rust code, so the trust
//! store is the machine's own, as with OpenSSL, with no bundled roots to go stale.

use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::cache::sha256_file;
use super::{FetchError, Fetcher, Provenance, archive};

/// Tries per download.
const TRIES: u32 = 3;
/// Wait before the second try; doubled before the third.
const BACKOFF: Duration = Duration::from_millis(200);
/// Bound on a stalled send or body read.
const STALL_TIMEOUT: Duration = Duration::from_secs(60);

/// Fetch (or find in the cache), verify and extract the archive at `url` into `dest`.
pub(super) fn materialize(
    fetcher: &Fetcher,
    url: &str,
    sha256: Option<&str>,
    dest: &Path,
) -> Result<Provenance, FetchError> {
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
    let (archive_path, actual) = match local_path(url) {
        Some(path) => {
            let actual = sha256_file(&path)?;
            verify(url, expected.as_deref(), &actual)?;
            (path, actual)
        }
        None => remote(fetcher, url, expected.as_deref())?,
    };
    archive::extract(&archive_path, dest, options.max_expanded_bytes)?;
    Ok(Provenance {
        kind: "tarball".into(),
        url: url.to_owned(),
        commit: None,
        sha256: Some(actual),
        tag: None,
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

/// The cached copy of a network archive, downloading it if needed; returns its path and sha256.
fn remote(
    fetcher: &Fetcher,
    url: &str,
    expected: Option<&str>,
) -> Result<(PathBuf, String), FetchError> {
    let cache = fetcher.cache();
    let known = expected
        .map(str::to_owned)
        .or_else(|| cache.recorded_sha256(url));
    if let Some(sha) = known
        && let Some(path) = cache.find_tarball(&sha)?
    {
        tracing::debug!(url, path = %path.display(), "tarball found in the cache");
        return Ok((path, sha));
    }
    if fetcher.options().offline {
        return Err(FetchError::NotCached {
            url: url.to_owned(),
        });
    }
    let temp_dir = cache.temp_dir()?;
    let mut temp =
        tempfile::NamedTempFile::new_in(&temp_dir).map_err(|e| FetchError::io(&temp_dir, e))?;
    let temp_path = temp.path().to_path_buf();
    let actual = download(fetcher, url, temp.as_file_mut(), &temp_path)?;
    verify(url, expected, &actual)?;
    let (file, temp_path) = temp.into_parts();
    drop(file);
    let stored = cache.store_tarball(&temp_path, &actual, &file_name(url))?;
    cache.record_url(url, &actual)?;
    Ok((stored, actual))
}

/// Bound on the size of a listing page.
const MAX_PAGE_BYTES: u64 = 16 << 20;

/// The text of a page (a release listing) at `url`, with the retries of a download; `file://`
/// URLs and plain paths are read in place. Pages are not cached: offline, a network URL is
/// [`FetchError::NotCached`].
pub(super) fn fetch_page(fetcher: &Fetcher, url: &str) -> Result<String, FetchError> {
    let bytes = match local_path(url) {
        Some(path) => fs_err::read(&path).map_err(|e| FetchError::io(&path, e))?,
        None => {
            if fetcher.options().offline {
                return Err(FetchError::NotCached {
                    url: url.to_owned(),
                });
            }
            let temp_dir = fetcher.cache().temp_dir()?;
            let mut temp = tempfile::NamedTempFile::new_in(&temp_dir)
                .map_err(|e| FetchError::io(&temp_dir, e))?;
            let temp_path = temp.path().to_path_buf();
            download(fetcher, url, temp.as_file_mut(), &temp_path)?;
            let length = temp
                .as_file()
                .metadata()
                .map_err(|e| FetchError::io(&temp_path, e))?
                .len();
            if length > MAX_PAGE_BYTES {
                return Err(FetchError::TooLarge {
                    archive: url.to_owned(),
                    limit: MAX_PAGE_BYTES,
                });
            }
            fs_err::read(&temp_path).map_err(|e| FetchError::io(&temp_path, e))?
        }
    };
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// A safe file name for the cached copy: the URL's last path segment.
fn file_name(url: &str) -> String {
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

/// Make `ring` the process's rustls crypto provider, once, before any HTTP client is built:
/// ours here and the one gix builds for git over https alike.
///
/// reqwest is built without a provider of its own (its default, aws-lc, is slow to build) and
/// takes the process default. An application embedding the library that installed another
/// provider first keeps it.
pub(super) fn use_ring_provider() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        // `Err` means a provider is already installed, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Why one try failed.
enum Failure {
    /// Worth another try.
    Transient(String),
    /// Final: report as is.
    Final(FetchError),
}

/// Download `url` into `file` with retries; returns the sha256 of the bytes.
fn download(
    fetcher: &Fetcher,
    url: &str,
    file: &mut std::fs::File,
    path: &Path,
) -> Result<String, FetchError> {
    use_ring_provider();
    let client = reqwest::blocking::Client::builder()
        .connect_timeout(fetcher.options().connect_timeout)
        .timeout(STALL_TIMEOUT)
        .build()
        .map_err(|error| FetchError::Unavailable {
            url: url.to_owned(),
            reason: format!("cannot set up the HTTP client: {error}"),
        })?;
    let mut last = String::new();
    for attempt in 1..=TRIES {
        if attempt > 1 {
            tracing::warn!(url, attempt, reason = %last, "retrying download");
            std::thread::sleep(BACKOFF * 2u32.pow(attempt - 2));
        }
        file.set_len(0).map_err(|e| FetchError::io(path, e))?;
        file.rewind().map_err(|e| FetchError::io(path, e))?;
        match try_download(fetcher, &client, url, file, path) {
            Ok(sha) => return Ok(sha),
            Err(Failure::Final(error)) => return Err(error),
            Err(Failure::Transient(reason)) => last = reason,
        }
    }
    Err(FetchError::Unavailable {
        url: url.to_owned(),
        reason: format!("{last} (after {TRIES} tries)"),
    })
}

/// One try: stream the body into `file`, hashing it.
fn try_download(
    fetcher: &Fetcher,
    client: &reqwest::blocking::Client,
    url: &str,
    file: &mut std::fs::File,
    path: &Path,
) -> Result<String, Failure> {
    let unavailable = |reason: String| {
        Failure::Final(FetchError::Unavailable {
            url: url.to_owned(),
            reason,
        })
    };
    let mut response = match client.get(url).send() {
        Ok(response) => response,
        Err(error) if error.is_connect() || error.is_builder() => {
            return Err(unavailable(error_chain(&error)));
        }
        Err(error) => return Err(Failure::Transient(error_chain(&error))),
    };
    let status = response.status();
    if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        return Err(Failure::Transient(format!("HTTP {status}")));
    }
    if !status.is_success() {
        return Err(unavailable(format!("HTTP {status}")));
    }
    let expected_length = response.content_length();
    let progress = fetcher.progress();
    if let Some(progress) = progress {
        progress.start(&format!("download {}", file_name(url)), expected_length);
    }
    let result = stream_body(&mut response, file, path, progress);
    if let Some(progress) = progress {
        progress.finish();
    }
    let (length, sha) = result?;
    if let Some(expected_length) = expected_length
        && length != expected_length
    {
        return Err(Failure::Transient(format!(
            "truncated body: got {length} of {expected_length} bytes"
        )));
    }
    Ok(sha)
}

/// Copy a response body into `file`; returns its length and sha256.
fn stream_body(
    body: &mut impl Read,
    file: &mut std::fs::File,
    path: &Path,
    progress: Option<&dyn super::Progress>,
) -> Result<(u64, String), Failure> {
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    let mut length = 0u64;
    loop {
        let read = match body.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => {
                return Err(Failure::Transient(format!(
                    "body interrupted after {length} bytes: {error}"
                )));
            }
        };
        hasher.update(&buffer[..read]);
        file.write_all(&buffer[..read])
            .map_err(|e| Failure::Final(FetchError::io(path, e)))?;
        length += read as u64;
        if let Some(progress) = progress {
            progress.advance(read as u64);
        }
    }
    file.flush()
        .map_err(|e| Failure::Final(FetchError::io(path, e)))?;
    Ok((length, hex::encode(hasher.finalize())))
}

/// An error and its causes on one line (reqwest's top-level message alone is vague; the
/// expiry detectors quote fetch errors this way too).
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
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

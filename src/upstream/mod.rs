//! Upstream sources: fetch the pristine tree a package's patches apply to.
//!
//! `prepare` (and the expiry detectors) ask a [`Fetcher`] to write an upstream release to a
//! folder. A source is a git repository at a tag (`git.rs`, kept as a bare mirror in the
//! cache), a checksummed tarball or zip (`tarball.rs`, content-addressed in the cache, unpacked
//! by `archive.rs`), or a local directory (`dir.rs`). Every writer goes through the same
//! vetted tree writer (`archive::TreeWriter`), so no source can write outside its destination.
//!
//! The library never prints: long work reports through the [`Progress`] trait, which the CLI
//! implements with a progress bar (or nothing when piped).

pub mod archive;
pub mod cache;
mod dir;
mod git;
mod http;
pub(crate) mod memory;
pub mod release;
pub mod release_tree;
pub mod requirement;
mod tarball;
mod transfer;
pub mod version;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::workspace::manifest::expand;
use crate::workspace::{Package, UpstreamSource};

pub use cache::Cache;
pub(crate) use http::error_chain;
pub use memory::DEFAULT_MAX_DECODER_MEMORY;
use transfer::seconds;
pub use transfer::{
    DEFAULT_DEADLINE, DEFAULT_LOOKUP_DEADLINE, DEFAULT_SPEED_LIMIT, DEFAULT_SPEED_TIME,
};

/// Where an upstream tree comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    /// A git URL or local path; tags tried in order (e.g. `["v1.3", "1.3"]`), the first that
    /// exists wins.
    Git { url: String, tags: Vec<String> },
    /// A tarball/zip URL (`http(s)://`, `file://` or a plain local path); `sha256` is required
    /// unless [`FetchOptions::allow_unverified`] is set.
    Tarball { url: String, sha256: Option<String> },
    /// A local directory tree.
    Dir { path: PathBuf },
}

impl SourceSpec {
    /// The upstream source of `package` at `version`, with templates and relative paths
    /// resolved (a local path is taken relative to the package folder). A package read in
    /// place takes it from its own format (a melange tag through its `var-transforms`, a Debian
    /// orig tarball beside the tree).
    pub fn of(package: &Package, version: &str) -> SourceSpec {
        let upstream = &package.manifest.upstream;
        if let Some(spec) = upstream
            .native
            .as_ref()
            .and_then(|n| n.source_spec(version))
        {
            return spec;
        }
        match &upstream.source {
            UpstreamSource::Git { url, .. } => SourceSpec::Git {
                url: local_or_url(package, &expand(url, version)),
                tags: upstream.tag_candidates(version),
            },
            UpstreamSource::Tarball { url, sha256, .. } => SourceSpec::Tarball {
                url: local_or_url(package, &expand(url, version)),
                sha256: sha256.clone(),
            },
            UpstreamSource::Dir { path } => SourceSpec::Dir {
                path: package.dir.join(expand(path, version)),
            },
        }
    }
}

/// The git repository holding the package's history: the git upstream itself, or the `git:`
/// a tarball upstream names. Local paths are taken relative to the package folder.
pub fn history_url(package: &Package) -> Option<String> {
    match &package.manifest.upstream.source {
        UpstreamSource::Git { url, .. } | UpstreamSource::Tarball { git: Some(url), .. } => {
            Some(local_or_url(package, url))
        }
        _ => None,
    }
}

/// URLs stay as they are; a local path is taken relative to the package folder.
pub(crate) fn local_or_url(package: &Package, location: &str) -> String {
    if location.contains("://") || location.starts_with("git@") || Path::new(location).is_absolute()
    {
        location.to_string()
    } else {
        package.dir.join(location).to_string_lossy().into_owned()
    }
}

/// Progress of long work (clone, download), implemented by the CLI.
pub trait Progress: Send + Sync {
    /// A new step begins; `total` is in bytes when known.
    fn start(&self, label: &str, total: Option<u64>);
    /// `bytes` more bytes were done.
    fn advance(&self, bytes: u64);
    /// The current step ended.
    fn finish(&self);
}

/// Default bound on the bytes an archive may expand to (8 GiB).
pub const DEFAULT_MAX_EXPANDED_BYTES: u64 = 8 << 30;
/// Default wait before the second try of a download (doubled before the third): long enough
/// for a server that failed once under load to recover, short enough not to stall a run.
pub const DEFAULT_RETRY_BACKOFF: Duration = Duration::from_millis(200);
/// Default bound on the time to open a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default bound on the size of one downloaded archive (4 GiB), enforced while it streams:
/// well above the largest source releases distributions build from (a whole web browser's
/// source is a few GB), low enough that an endless body stops long before a disk fills.
pub const DEFAULT_MAX_DOWNLOAD_BYTES: u64 = 4 << 30;
/// Default bound on the size of a release listing page (16 MiB), enforced while it streams:
/// the largest real listings (ftp.gnu.org's, kernel.org's) are a few hundred KB, and a page
/// is held in memory.
pub const DEFAULT_MAX_PAGE_BYTES: u64 = 16 << 20;

/// How the fetcher may reach the network and where it caches, and the bounds on what it
/// downloads and unpacks (`docs/bounds.md` lists each with its default).
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Root of the cache (`<cache>/git`, `<cache>/tarballs`).
    pub cache_dir: PathBuf,
    /// Never touch the network: use the cache or fail with [`FetchError::NotCached`].
    pub offline: bool,
    /// Accept a tarball without a declared checksum (its sha256 is reported in [`Provenance`]).
    pub allow_unverified: bool,
    /// Bound on the bytes an archive or tree may expand to.
    pub max_expanded_bytes: u64,
    /// Bound on the memory all running decompressors (xz dictionaries, zstd windows, git blobs)
    /// may hold together, across every worker of the process.
    pub max_decoder_memory: u64,
    /// Bound on the size of one downloaded archive, checked against `Content-Length` before
    /// the body and while it streams.
    pub max_download_bytes: u64,
    /// Bound on the size of a release listing page.
    pub max_page_bytes: u64,
    /// Bound on the time to open a connection, so an unreachable host fails fast.
    pub connect_timeout: Duration,
    /// Low-speed limit in bytes per second (0: none): a transfer slower than this for
    /// [`FetchOptions::speed_time`] fails, as with curl's `--speed-limit`.
    pub speed_limit: u64,
    /// How long a transfer may stay under [`FetchOptions::speed_limit`].
    pub speed_time: Duration,
    /// Overall deadline of one fetch of an archive or a git mirror, retries included.
    pub deadline: Duration,
    /// Overall deadline of one release look-up: a listing page or a remote's tag list.
    pub lookup_deadline: Duration,
    /// Wait before the second try of a failed download, doubled before the third (tests set
    /// it to zero: they never sleep).
    pub retry_backoff: Duration,
}

impl FetchOptions {
    /// Options with the defaults: online, checksums required, and every bound at its
    /// `DEFAULT_*` value.
    pub fn new(cache_dir: impl Into<PathBuf>) -> FetchOptions {
        FetchOptions {
            cache_dir: cache_dir.into(),
            offline: false,
            allow_unverified: false,
            max_expanded_bytes: DEFAULT_MAX_EXPANDED_BYTES,
            max_decoder_memory: DEFAULT_MAX_DECODER_MEMORY,
            max_download_bytes: DEFAULT_MAX_DOWNLOAD_BYTES,
            max_page_bytes: DEFAULT_MAX_PAGE_BYTES,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            speed_limit: DEFAULT_SPEED_LIMIT,
            speed_time: DEFAULT_SPEED_TIME,
            deadline: DEFAULT_DEADLINE,
            lookup_deadline: DEFAULT_LOOKUP_DEADLINE,
            retry_backoff: DEFAULT_RETRY_BACKOFF,
        }
    }
}

/// What was fetched, for the JSON output and the SBOM.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Provenance {
    /// `git`, `tarball` or `dir`.
    pub kind: String,
    /// The URL or path as given.
    pub url: String,
    /// The commit a git tag resolved to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The sha256 of a tarball (verified, or computed with `allow_unverified`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// The git tag that matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
}

/// Why an upstream could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// Network failure, 5xx, connection refused, truncated body: retryable later.
    #[error("upstream `{url}` is unavailable: {reason}")]
    Unavailable { url: String, reason: String },
    /// The server says the file does not exist (404, 410): not retryable.
    #[error("{what} not found: `{url}` answered HTTP {status}")]
    NotFound {
        /// `release` or `release listing`.
        what: &'static str,
        url: String,
        status: String,
    },
    /// The server redirects somewhere mindelta does not go (`file://`, …): not retryable.
    #[error(
        "`{url}` redirects to `{location}`, which is refused: only http and https redirects are followed"
    )]
    RefusedRedirect { url: String, location: String },
    /// The download is larger than [`FetchOptions::max_download_bytes`] (or the page cap).
    #[error("`{url}` is larger than the download limit of {limit} bytes{}", declared.map(|d| format!(" (it declares {d})")).unwrap_or_default())]
    DownloadTooLarge {
        url: String,
        limit: u64,
        declared: Option<u64>,
    },
    /// The transfer stayed under the low-speed limit: retryable later.
    #[error(
        "`{url}` is too slow: under {limit} bytes per second for {}",
        seconds(time)
    )]
    TooSlow {
        url: String,
        limit: u64,
        time: Duration,
    },
    /// The fetch did not finish within its deadline: retryable later.
    #[error("`{url}` did not finish within the deadline of {}", seconds(deadline))]
    DeadlineExceeded { url: String, deadline: Duration },
    /// The cached git mirror's object store is damaged and could not be replaced (offline, or
    /// still damaged after a fresh clone).
    #[error("the cached git mirror of `{url}` is damaged: {reason}")]
    CorruptMirror {
        url: String,
        /// The mirror's folder, to delete.
        path: PathBuf,
        reason: String,
        /// The fetch was offline (a run with the network would clone the mirror again).
        offline: bool,
    },
    /// The downloaded bytes do not have the declared checksum.
    #[error("checksum mismatch for `{url}`: expected sha256 {expected}, got {actual}")]
    Integrity {
        url: String,
        expected: String,
        actual: String,
    },
    /// The tarball's URL answered 404, and the same release in another compression (which the
    /// listing offers) does not have the declared checksum: a recompressed tarball is another
    /// file, never accepted under the old checksum.
    #[error(
        "`{url}` is gone (HTTP 404), and `{found}`, the same release in another compression, does not match the declared checksum"
    )]
    Recompressed {
        url: String,
        found: String,
        #[source]
        source: Box<FetchError>,
    },
    /// A tag resolved to another commit than the one pinned (melange's `expected-commit`).
    #[error("tag `{tag}` of `{url}` is commit {actual}, not the pinned {expected}")]
    CommitMismatch {
        url: String,
        tag: String,
        expected: String,
        actual: String,
    },
    /// The downloaded bytes do not have the declared checksum of another algorithm than
    /// sha256 (melange's `expected-sha512`).
    #[error("checksum mismatch for `{url}`: expected {algorithm} {expected}, got {actual}")]
    OtherChecksum {
        url: String,
        algorithm: &'static str,
        expected: String,
        actual: String,
    },
    /// Offline, and the cache does not hold what is needed.
    #[error("`{url}` is not in the cache and the network is off (`--offline`)")]
    NotCached { url: String },
    /// A tarball without a declared sha256.
    #[error("no sha256 declared for `{url}` (use `--allow-unverified` to accept it)")]
    MissingChecksum { url: String },
    /// None of the tags exists in the repository: the release does not exist there.
    #[error("no tag of `{url}` matches: tried {}", tried.join(", "))]
    NoSuchTag { url: String, tried: Vec<String> },
    /// A `dir` upstream has no folder for the release: the folder its template names (or its
    /// path) does not exist.
    #[error("`{path}` does not exist")]
    NoSuchFolder { path: String },
    /// A `dir` upstream whose path has no `{version}` holds one tree, the pinned release's.
    #[error(
        "the `dir` path `{path}` has no `{{version}}`, so it holds only the pinned release {pinned}"
    )]
    PinnedOnly { path: String, pinned: String },
    /// The release does not exist upstream ([`FetchErrorKind::NotFound`] named for a package by
    /// [`release::not_found`]): which package, and the releases that do exist.
    #[error(
        "no release {release} of `{package}`; known: {}",
        release::known_list(known)
    )]
    NoSuchRelease {
        package: String,
        release: String,
        /// The releases known to exist, newest first (the pinned one always among them).
        known: Vec<String>,
        #[source]
        source: Box<FetchError>,
    },
    /// An entry would escape the tree or is of a refused kind.
    #[error("unsafe entry `{entry}` in `{archive}`: {reason}")]
    UnsafeArchive {
        archive: String,
        entry: String,
        reason: String,
    },
    /// The tree would expand beyond the bound.
    #[error("`{archive}` expands beyond the limit of {limit} bytes")]
    TooLarge { archive: String, limit: u64 },
    /// Decompressing would need more memory than [`FetchOptions::max_decoder_memory`].
    #[error(
        "`{archive}` needs {needed} bytes of memory to decompress, more than the limit of {limit} bytes"
    )]
    DecoderMemory {
        archive: String,
        needed: u64,
        limit: u64,
    },
    /// A broken or unsupported archive.
    #[error("cannot read archive `{archive}`: {reason}")]
    BadArchive { archive: String, reason: String },
    /// A local file system error.
    #[error("I/O error on `{}`", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A local git error (the mirror could not be read), not a network failure.
    #[error("git error on `{url}`")]
    Git {
        url: String,
        #[source]
        source: Box<crate::git::GitError>,
    },
}

/// The class of a [`FetchError`], which picks the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchErrorKind {
    /// Network or server trouble: retry later (exit 5).
    Unavailable,
    /// The release does not exist upstream (no such tag or folder, HTTP 404 or 410): exit 5, and
    /// retrying gives the same answer.
    NotFound,
    /// Checksum mismatch: never retry (exit 6).
    Integrity,
    /// Bad input or local failure (exit 1).
    Invalid,
}

impl FetchError {
    /// The class of this error.
    pub fn kind(&self) -> FetchErrorKind {
        match self {
            FetchError::Unavailable { .. }
            | FetchError::NotCached { .. }
            | FetchError::RefusedRedirect { .. }
            | FetchError::TooSlow { .. }
            | FetchError::DeadlineExceeded { .. }
            | FetchError::CorruptMirror { .. } => FetchErrorKind::Unavailable,
            FetchError::Integrity { .. }
            | FetchError::Recompressed { .. }
            | FetchError::CommitMismatch { .. }
            | FetchError::OtherChecksum { .. } => FetchErrorKind::Integrity,
            FetchError::NotFound { .. }
            | FetchError::NoSuchTag { .. }
            | FetchError::NoSuchFolder { .. }
            | FetchError::PinnedOnly { .. }
            | FetchError::NoSuchRelease { .. } => FetchErrorKind::NotFound,
            _ => FetchErrorKind::Invalid,
        }
    }

    /// Whether the same command may succeed later without any change: a network failure, a
    /// slow server, a cache filled online. A release that does not exist, a refused redirect
    /// or a damaged mirror are [`FetchErrorKind::Unavailable`] too, but not retryable.
    pub fn retryable(&self) -> bool {
        matches!(
            self,
            FetchError::Unavailable { .. }
                | FetchError::NotCached { .. }
                | FetchError::TooSlow { .. }
                | FetchError::DeadlineExceeded { .. }
        )
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> FetchError {
        FetchError::Io {
            path: path.into(),
            source,
        }
    }
}

/// Fetches upstream trees through the cache.
pub struct Fetcher {
    options: FetchOptions,
    cache: Cache,
    progress: Option<Arc<dyn Progress>>,
}

/// A release archive read through once ([`Fetcher::checked_archive`]).
#[derive(Debug, Clone)]
pub struct CheckedArchive {
    /// The archive on disk: the local file, or the cache's copy.
    pub path: PathBuf,
    /// Its sha256, lower-case hex.
    pub sha256: String,
    /// The URL it was fetched from (another compression when the URL answered 404).
    pub url: String,
}

impl Fetcher {
    /// A fetcher with these options; `progress` receives clone and download progress.
    pub fn new(options: FetchOptions, progress: Option<Arc<dyn Progress>>) -> Fetcher {
        let cache = Cache::new(options.cache_dir.clone());
        Fetcher {
            options,
            cache,
            progress,
        }
    }

    /// The options this fetcher was made with.
    pub fn options(&self) -> &FetchOptions {
        &self.options
    }

    /// The cache this fetcher uses.
    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// Write the upstream tree to `dest` (must not exist; created).
    ///
    /// No `.git` in the result. A tarball's single top-level directory is stripped
    /// (`zlib-1.3/` → the tree itself), as Debian/Yocto tooling does, and its symbolic links
    /// are checked against the stripped tree, the one written. The tree is built in a
    /// staging folder beside `dest` and renamed into place, so a failure leaves no `dest`.
    pub fn materialize(&self, spec: &SourceSpec, dest: &Path) -> Result<Provenance, FetchError> {
        if std::fs::symlink_metadata(dest).is_ok() {
            return Err(FetchError::io(
                dest,
                std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "the destination already exists",
                ),
            ));
        }
        let parent = match dest.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs_err::create_dir_all(&parent).map_err(|e| FetchError::io(&parent, e))?;
        let staging = tempfile::Builder::new()
            .prefix(".mindelta-upstream-")
            .tempdir_in(&parent)
            .map_err(|e| FetchError::io(&parent, e))?;
        let tree = staging.path().join("tree");
        let (provenance, root) = match spec {
            SourceSpec::Git { url, tags } => (git::materialize(self, url, tags, &tree)?, tree),
            SourceSpec::Tarball { url, sha256 } => {
                tarball::materialize(self, url, sha256.as_deref(), &tree)?
            }
            SourceSpec::Dir { path } => (dir::materialize(path, &tree, &self.options)?, tree),
        };
        fs_err::rename(&root, dest).map_err(|e| FetchError::io(dest, e))?;
        Ok(provenance)
    }

    /// The sha256 of the archive at `url` as it is fetched now — a local file, the cached
    /// download of the URL, or a new download under every bound of this fetcher — once it is
    /// known to unpack (read through under the extraction's bounds, nothing written): what
    /// `import` writes when it is given no checksum.
    pub fn checksum(&self, url: &str) -> Result<String, FetchError> {
        Ok(self.checked_archive(url)?.sha256)
    }

    /// The archive at `url`, fetched as [`Fetcher::checksum`] does, with its path and sha256.
    pub fn checked_archive(&self, url: &str) -> Result<CheckedArchive, FetchError> {
        tarball::checked(self, url)
    }

    /// The bare mirror of a git upstream, brought up to date (unless offline); for the
    /// detectors that walk upstream history.
    pub fn git_mirror(&self, url: &str) -> Result<PathBuf, FetchError> {
        git::update_mirror(self, url)
    }

    /// The text of a web page (a release listing), with the connect timeout and retries of a
    /// download, bounded by [`FetchOptions::max_page_bytes`] and
    /// [`FetchOptions::lookup_deadline`]; `file://` URLs and plain paths are read in place.
    pub fn fetch_page(&self, url: &str) -> Result<String, FetchError> {
        tarball::fetch_page(self, url)
    }

    pub(crate) fn progress(&self) -> Option<&dyn Progress> {
        self.progress.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_pick_exit_classes() {
        let unavailable = FetchError::Unavailable {
            url: "u".into(),
            reason: "r".into(),
        };
        assert_eq!(unavailable.kind(), FetchErrorKind::Unavailable);
        let integrity = FetchError::Integrity {
            url: "u".into(),
            expected: "a".into(),
            actual: "b".into(),
        };
        assert_eq!(integrity.kind(), FetchErrorKind::Integrity);
        let tag = FetchError::NoSuchTag {
            url: "u".into(),
            tried: vec!["v1".into(), "1".into()],
        };
        assert_eq!(tag.kind(), FetchErrorKind::NotFound);
        assert!(tag.to_string().contains("v1, 1"));
    }

    #[test]
    fn provenance_leaves_out_missing_fields() {
        let provenance = Provenance {
            kind: "dir".into(),
            url: "vendor".into(),
            commit: None,
            sha256: None,
            tag: None,
        };
        let json = serde_json::to_string(&provenance).unwrap();
        assert_eq!(json, r#"{"kind":"dir","url":"vendor"}"#);
    }

    #[test]
    fn materialize_refuses_an_existing_destination() {
        let temp = tempfile::tempdir().unwrap();
        let fetcher = Fetcher::new(FetchOptions::new(temp.path().join("cache")), None);
        let source = temp.path().join("src");
        std::fs::create_dir(&source).unwrap();
        let error = fetcher
            .materialize(&SourceSpec::Dir { path: source }, temp.path())
            .unwrap_err();
        assert!(matches!(error, FetchError::Io { .. }), "{error:?}");
    }
}

//! The on-disk cache of upstream sources, shared by every workspace of a user.
//!
//! Layout under the cache root:
//! - `git/<sha256 of url>`: a bare mirror per git URL (`git.rs` clones and fetches it);
//! - `tarballs/<sha256>/<file name>`: content-addressed downloads (`tarball.rs`);
//! - `tarballs/by-url/<sha256 of url>`: the checksum last seen for a URL, so an unverified
//!   tarball can be found offline;
//! - `tmp/`: partial downloads and clones, renamed into place only once complete.
//!
//! Writers take an advisory lock (`<entry>.lock`) so concurrent runs do not fetch into the same
//! mirror at once.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::FetchError;

/// The cache root and its layout.
#[derive(Debug, Clone)]
pub struct Cache {
    root: PathBuf,
}

impl Cache {
    /// A cache rooted at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Cache {
        Cache { root: root.into() }
    }

    /// The cache root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the bare mirror of a git URL lives.
    pub fn git_mirror(&self, url: &str) -> PathBuf {
        self.root.join("git").join(sha256_hex(url.as_bytes()))
    }

    /// The folder holding the tarball with this sha256.
    pub fn tarball_dir(&self, sha256: &str) -> PathBuf {
        self.root.join("tarballs").join(sha256.to_ascii_lowercase())
    }

    /// A cached tarball with this sha256, verified; a corrupt copy is removed.
    pub fn find_tarball(&self, sha256: &str) -> Result<Option<PathBuf>, FetchError> {
        let dir = self.tarball_dir(sha256);
        let entries = match fs_err::read_dir(&dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(FetchError::io(&dir, error)),
        };
        for entry in entries {
            let entry = entry.map_err(|e| FetchError::io(&dir, e))?;
            let path = entry.path();
            if !entry.file_type().is_ok_and(|kind| kind.is_file()) {
                continue;
            }
            if sha256_file(&path)?.eq_ignore_ascii_case(sha256) {
                return Ok(Some(path));
            }
            tracing::warn!(path = %path.display(), "removing a corrupt cached tarball");
            fs_err::remove_file(&path).map_err(|e| FetchError::io(&path, e))?;
        }
        Ok(None)
    }

    /// Move a complete, verified download into the cache; returns its final path.
    pub fn store_tarball(
        &self,
        download: &Path,
        sha256: &str,
        file_name: &str,
    ) -> Result<PathBuf, FetchError> {
        let dir = self.tarball_dir(sha256);
        fs_err::create_dir_all(&dir).map_err(|e| FetchError::io(&dir, e))?;
        let path = dir.join(file_name);
        fs_err::rename(download, &path).map_err(|e| FetchError::io(&path, e))?;
        Ok(path)
    }

    /// Remember that `url` last had this checksum.
    pub fn record_url(&self, url: &str, sha256: &str) -> Result<(), FetchError> {
        let dir = self.root.join("tarballs").join("by-url");
        fs_err::create_dir_all(&dir).map_err(|e| FetchError::io(&dir, e))?;
        let path = dir.join(sha256_hex(url.as_bytes()));
        fs_err::write(&path, sha256).map_err(|e| FetchError::io(&path, e))
    }

    /// The checksum last recorded for `url`.
    pub fn recorded_sha256(&self, url: &str) -> Option<String> {
        let path = self
            .root
            .join("tarballs")
            .join("by-url")
            .join(sha256_hex(url.as_bytes()));
        let text = std::fs::read_to_string(path).ok()?;
        let text = text.trim();
        (text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())).then(|| text.to_owned())
    }

    /// The folder for partial downloads and clones (created).
    pub fn temp_dir(&self) -> Result<PathBuf, FetchError> {
        let dir = self.root.join("tmp");
        fs_err::create_dir_all(&dir).map_err(|e| FetchError::io(&dir, e))?;
        Ok(dir)
    }

    /// Take the advisory lock of a cache entry (held until the file is dropped).
    pub fn lock(&self, entry: &Path) -> Result<File, FetchError> {
        let mut name = entry.as_os_str().to_owned();
        name.push(".lock");
        let path = PathBuf::from(name);
        if let Some(parent) = path.parent() {
            fs_err::create_dir_all(parent).map_err(|e| FetchError::io(parent, e))?;
        }
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| FetchError::io(&path, e))?;
        file.lock().map_err(|e| FetchError::io(&path, e))?;
        Ok(file)
    }
}

/// Lower-case hex sha256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Lower-case hex sha256 of a file's content.
pub fn sha256_file(path: &Path) -> Result<String, FetchError> {
    let mut file = fs_err::File::open(path).map_err(|e| FetchError::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = file
            .read(&mut buffer)
            .map_err(|e| FetchError::io(path, e))?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_only_verified_tarballs() {
        let temp = tempfile::tempdir().unwrap();
        let cache = Cache::new(temp.path());
        let sha = sha256_hex(b"hello");
        assert!(cache.find_tarball(&sha).unwrap().is_none());
        let download = temp.path().join("download");
        std::fs::write(&download, b"hello").unwrap();
        let stored = cache.store_tarball(&download, &sha, "a.tar").unwrap();
        assert_eq!(cache.find_tarball(&sha).unwrap(), Some(stored.clone()));
        std::fs::write(&stored, b"corrupt").unwrap();
        assert!(cache.find_tarball(&sha).unwrap().is_none());
        assert!(!stored.exists(), "a corrupt copy is removed");
    }

    #[test]
    fn records_checksums_by_url() {
        let temp = tempfile::tempdir().unwrap();
        let cache = Cache::new(temp.path());
        let sha = sha256_hex(b"x");
        assert_eq!(cache.recorded_sha256("http://h/a.tgz"), None);
        cache.record_url("http://h/a.tgz", &sha).unwrap();
        assert_eq!(cache.recorded_sha256("http://h/a.tgz"), Some(sha));
        assert_ne!(cache.git_mirror("a"), cache.git_mirror("b"));
    }
}

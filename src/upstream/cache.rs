//! The on-disk cache of upstream sources, shared by every workspace of a user.
//!
//! Layout under the cache root:
//! - `git/<sha256 of url>`: a bare mirror per git URL (`git.rs` clones and fetches it);
//! - `tarballs/<sha256>/<file name>`: content-addressed downloads (`tarball.rs`);
//! - `tarballs/by-url/<sha256 of url>`: the checksum last seen for a URL, so an unverified
//!   tarball can be found offline;
//! - `tmp/run-<host>-<pid>-<start>/`: one folder per running process for its partial downloads
//!   and clones, renamed into place only once complete (`cache/run.rs`); the folders of dead
//!   runs are removed by the next run.
//!
//! The cache is untrusted input too. Nothing below the root is trusted, written or deleted
//! through a symbolic link: every folder on the way to an entry must be a real folder, files
//! are opened without following links, and an entry that is a link, or whose content does not
//! verify, is *replaced*: the whole entry is moved out of the way (into this run's folder) and
//! removed, never cleaned file by file in place. The root itself may be a link (a user's
//! choice of where the cache lives).
//!
//! Writers take an advisory lock (`<entry>.lock`) so concurrent runs do not fetch into the same
//! entry at once.

mod run;

use std::fs::File;
use std::io::{Read, Write};
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

    /// A cached tarball with this sha256, verified.
    ///
    /// An entry that is not a real folder holding only regular files with this checksum
    /// (a link, a file, a copy that no longer verifies) is replaced: removed whole, without
    /// following any link, and reported as not cached.
    pub fn find_tarball(&self, sha256: &str) -> Result<Option<PathBuf>, FetchError> {
        self.tidy();
        if !is_hex_digest(sha256) {
            return Ok(None);
        }
        let dir = self.tarball_dir(sha256);
        if !self.is_real_path(&dir)? {
            return Ok(None);
        }
        let _lock = self.lock(&dir)?;
        let meta = match std::fs::symlink_metadata(&dir) {
            Ok(meta) => meta,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(FetchError::io(&dir, error)),
        };
        if !meta.is_dir() {
            tracing::warn!(path = %dir.display(), "replacing a cache entry that is not a folder");
            self.discard(&dir)?;
            return Ok(None);
        }
        let mut found = None;
        let mut damaged = false;
        for entry in fs_err::read_dir(&dir).map_err(|e| FetchError::io(&dir, e))? {
            let entry = entry.map_err(|e| FetchError::io(&dir, e))?;
            let path = entry.path();
            // `file_type` does not follow links: a link here is damage, never followed.
            let is_file = entry.file_type().is_ok_and(|kind| kind.is_file());
            if is_file && sha256_cached(&path)?.eq_ignore_ascii_case(sha256) {
                found.get_or_insert(path);
            } else {
                damaged = true;
            }
        }
        if damaged {
            tracing::warn!(path = %dir.display(), "replacing a damaged cached tarball");
            self.discard(&dir)?;
            return Ok(None);
        }
        Ok(found)
    }

    /// Move a complete, verified download into the cache; returns its final path.
    pub fn store_tarball(
        &self,
        download: &Path,
        sha256: &str,
        file_name: &str,
    ) -> Result<PathBuf, FetchError> {
        if !is_hex_digest(sha256) {
            return Err(FetchError::io(
                download,
                std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a sha256"),
            ));
        }
        let tarballs = self.real_dir(&["tarballs"])?;
        let dir = tarballs.join(sha256.to_ascii_lowercase());
        let _lock = self.lock(&dir)?;
        match std::fs::symlink_metadata(&dir) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                self.discard(&dir)?;
                fs_err::create_dir(&dir).map_err(|e| FetchError::io(&dir, e))?;
            }
            Err(_) => fs_err::create_dir(&dir).map_err(|e| FetchError::io(&dir, e))?,
        }
        let path = dir.join(file_name);
        // `rename` replaces a link at `path` itself, never what it points to.
        fs_err::rename(download, &path).map_err(|e| FetchError::io(&path, e))?;
        Ok(path)
    }

    /// Remember that `url` last had this checksum (written beside, then renamed over the old
    /// record, so a link there is replaced, not written through).
    pub fn record_url(&self, url: &str, sha256: &str) -> Result<(), FetchError> {
        let dir = self.real_dir(&["tarballs", "by-url"])?;
        let path = dir.join(sha256_hex(url.as_bytes()));
        let mut temp =
            tempfile::NamedTempFile::new_in(&dir).map_err(|e| FetchError::io(&dir, e))?;
        temp.write_all(sha256.as_bytes())
            .map_err(|e| FetchError::io(temp.path(), e))?;
        temp.persist(&path)
            .map_err(|e| FetchError::io(&path, e.error))?;
        Ok(())
    }

    /// The checksum last recorded for `url` (a record reached through a link is ignored).
    pub fn recorded_sha256(&self, url: &str) -> Option<String> {
        let path = self
            .root
            .join("tarballs")
            .join("by-url")
            .join(sha256_hex(url.as_bytes()));
        if !self.is_real_path(&path).ok()? {
            return None;
        }
        let mut text = String::new();
        open_no_follow(&path)
            .ok()?
            .take(128)
            .read_to_string(&mut text)
            .ok()?;
        let text = text.trim();
        is_hex_digest(text).then(|| text.to_ascii_lowercase())
    }

    /// Remove what dead runs left in `tmp/` (once per process; no-op without a real `tmp/`).
    /// Every use of the cache calls this first, so litter goes even when all is cached.
    pub(crate) fn tidy(&self) {
        let tmp = self.root.join("tmp");
        if std::fs::symlink_metadata(&tmp).is_ok_and(|meta| meta.is_dir()) {
            run::sweep_once(&tmp);
        }
    }

    /// This run's folder for partial downloads and clones (created); the folders that dead
    /// runs left behind are removed the first time a process asks.
    pub fn temp_dir(&self) -> Result<PathBuf, FetchError> {
        let tmp = self.real_dir(&["tmp"])?;
        run::folder(&tmp)
    }

    /// Take the advisory lock of a cache entry (held until the file is dropped).
    pub fn lock(&self, entry: &Path) -> Result<File, FetchError> {
        let mut name = entry.as_os_str().to_owned();
        name.push(".lock");
        let path = PathBuf::from(name);
        if let Some(parent) = path.parent() {
            fs_err::create_dir_all(parent).map_err(|e| FetchError::io(parent, e))?;
        }
        let open = || {
            let mut options = File::options();
            options.create(true).truncate(false).write(true);
            no_follow(&mut options);
            options.open(&path)
        };
        let file = match open() {
            Ok(file) => file,
            Err(_) if is_link(&path) => {
                // A link where the lock file belongs: replace it, never lock what it names.
                fs_err::remove_file(&path).map_err(|e| FetchError::io(&path, e))?;
                open().map_err(|e| FetchError::io(&path, e))?
            }
            Err(error) => return Err(FetchError::io(&path, error)),
        };
        file.lock().map_err(|e| FetchError::io(&path, e))?;
        Ok(file)
    }

    /// The real folder `<root>/<parts…>`, created if missing; a link or a file on the way is
    /// removed (the link itself, never its target) and replaced by a folder.
    pub(crate) fn real_dir(&self, parts: &[&str]) -> Result<PathBuf, FetchError> {
        fs_err::create_dir_all(&self.root).map_err(|e| FetchError::io(&self.root, e))?;
        let mut path = self.root.clone();
        for part in parts {
            path.push(part);
            match std::fs::symlink_metadata(&path) {
                Ok(meta) if meta.is_dir() => continue,
                Ok(_) => {
                    tracing::warn!(path = %path.display(), "replacing a cache folder that is a link or a file");
                    fs_err::remove_file(&path).map_err(|e| FetchError::io(&path, e))?;
                }
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => return Err(FetchError::io(&path, error)),
            }
            match fs_err::create_dir(&path) {
                Ok(()) => {}
                // Another run made it first.
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(error) => return Err(FetchError::io(&path, error)),
            }
        }
        Ok(path)
    }

    /// Whether every folder between the root and `path` (excluded) is a real folder; a link
    /// on the way is removed and `false` returned, so nothing is read through it.
    pub(crate) fn is_real_path(&self, path: &Path) -> Result<bool, FetchError> {
        let Ok(relative) = path.strip_prefix(&self.root) else {
            return Ok(false);
        };
        let mut current = self.root.clone();
        let parents: Vec<_> = relative.components().collect();
        for component in parents.iter().take(parents.len().saturating_sub(1)) {
            current.push(component);
            match std::fs::symlink_metadata(&current) {
                Ok(meta) if meta.is_dir() => {}
                Ok(_) => {
                    tracing::warn!(path = %current.display(), "removing a link in the cache");
                    fs_err::remove_file(&current).map_err(|e| FetchError::io(&current, e))?;
                    return Ok(false);
                }
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(false),
                Err(error) => return Err(FetchError::io(&current, error)),
            }
        }
        Ok(true)
    }

    /// Remove a cache entry whole, never following a link: a link or a file is unlinked; a
    /// folder is first renamed into this run's folder (so no reader sees it half removed, and
    /// a kill mid-way leaves it where the next run removes it), then removed.
    pub(crate) fn discard(&self, path: &Path) -> Result<(), FetchError> {
        let meta = match std::fs::symlink_metadata(path) {
            Ok(meta) => meta,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(error) => return Err(FetchError::io(path, error)),
        };
        if !meta.is_dir() {
            return fs_err::remove_file(path).map_err(|e| FetchError::io(path, e));
        }
        let run = self.temp_dir()?;
        let aside = tempfile::Builder::new()
            .prefix("discarded-")
            .tempdir_in(&run)
            .map_err(|e| FetchError::io(&run, e))?;
        let target = aside.path().join("entry");
        fs_err::rename(path, &target).map_err(|e| FetchError::io(path, e))?;
        // `remove_dir_all` removes links inside, never what they point to.
        aside.close().map_err(|e| FetchError::io(&target, e))
    }
}

/// Whether `text` is a lower- or upper-case hex sha256 (a name safe to join to a path).
fn is_hex_digest(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether `path` is a symbolic link.
fn is_link(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_symlink())
}

/// Make `options` refuse to open a symbolic link (`O_NOFOLLOW`).
fn no_follow(options: &mut std::fs::OpenOptions) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    }
    #[cfg(not(unix))]
    {
        let _ = options;
    }
}

/// Open a file for reading, refusing a symbolic link.
fn open_no_follow(path: &Path) -> std::io::Result<File> {
    let mut options = File::options();
    options.read(true);
    no_follow(&mut options);
    options.open(path)
}

/// Lower-case hex sha256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Lower-case hex sha256 of a file's content.
pub fn sha256_file(path: &Path) -> Result<String, FetchError> {
    let mut file = fs_err::File::open(path).map_err(|e| FetchError::io(path, e))?;
    hash_reader(&mut file, path)
}

/// Lower-case hex sha256 of a file in the cache, refusing a symbolic link.
fn sha256_cached(path: &Path) -> Result<String, FetchError> {
    let mut file = open_no_follow(path).map_err(|e| FetchError::io(path, e))?;
    hash_reader(&mut file, path)
}

fn hash_reader(reader: &mut dyn Read, path: &Path) -> Result<String, FetchError> {
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = reader
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
        assert!(!cache.tarball_dir(&sha).exists(), "with its entry");
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

    #[cfg(unix)]
    #[test]
    fn never_writes_or_deletes_through_links() {
        let temp = tempfile::tempdir().unwrap();
        let victim = temp.path().join("victim");
        std::fs::create_dir(&victim).unwrap();
        std::fs::write(victim.join("keep.txt"), b"mine").unwrap();
        let cache = Cache::new(temp.path().join("cache"));
        let sha = sha256_hex(b"hello");
        std::fs::create_dir_all(cache.root().join("tarballs/by-url")).unwrap();
        std::os::unix::fs::symlink(&victim, cache.tarball_dir(&sha)).unwrap();
        let record = cache
            .root()
            .join("tarballs/by-url")
            .join(sha256_hex(b"http://h/a.tgz"));
        std::os::unix::fs::symlink(victim.join("keep.txt"), &record).unwrap();

        assert_eq!(cache.find_tarball(&sha).unwrap(), None);
        assert_eq!(cache.recorded_sha256("http://h/a.tgz"), None);
        cache.record_url("http://h/a.tgz", &sha).unwrap();
        assert_eq!(std::fs::read(victim.join("keep.txt")).unwrap(), b"mine");
        assert!(!is_link(&cache.tarball_dir(&sha)), "the link is gone");
        assert!(!is_link(&record), "the record replaced the link");
    }
}

//! The on-disk cache of patch ids: ids never change for a commit, so each history's are kept in
//! `<cache>/patch-ids/<sha256 of url>.tsv`, one `<commit>\t<patch id or ->` line each, appended
//! under the cache's advisory lock with a single write per batch; a torn last line (a crash
//! mid-write) is ignored when loading.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::git::ObjectId;
use crate::upstream::Cache;
use crate::upstream::cache::sha256_hex;

/// First line of a cache file: the format and the diff options the ids were computed with.
const CACHE_HEADER: &str = "# mindelta patch-ids v1 (git log -p defaults, renames on)";

/// Patch ids by commit, loaded from and appended to the on-disk cache.
pub struct PatchIdCache {
    /// The cache file; `None` keeps ids in memory only.
    path: Option<PathBuf>,
    /// The cache entry's lock target.
    cache: Option<Cache>,
    known: HashMap<ObjectId, Option<String>>,
}

impl PatchIdCache {
    /// The cache of the history at `url` under `cache_root` (empty if there is none yet).
    pub fn load(cache_root: &Path, url: &str) -> PatchIdCache {
        let path = cache_root
            .join("patch-ids")
            .join(format!("{}.tsv", sha256_hex(url.as_bytes())));
        let mut known = HashMap::new();
        if let Ok(text) = fs_err::read_to_string(&path) {
            for line in text.lines() {
                if let Some((commit, patch_id)) = parse_line(line) {
                    known.insert(commit, patch_id);
                }
            }
        }
        PatchIdCache {
            path: Some(path),
            cache: Some(Cache::new(cache_root)),
            known,
        }
    }

    /// A cache that lives in memory only.
    pub fn in_memory() -> PatchIdCache {
        PatchIdCache {
            path: None,
            cache: None,
            known: HashMap::new(),
        }
    }

    /// How many commits the cache knows.
    pub fn len(&self) -> usize {
        self.known.len()
    }

    /// Whether the cache knows no commit.
    pub fn is_empty(&self) -> bool {
        self.known.is_empty()
    }

    /// Whether the cache knows `commit`'s id (or that it has none).
    pub fn contains(&self, commit: &ObjectId) -> bool {
        self.known.contains_key(commit)
    }

    /// `commit`'s patch id, if the cache knows one.
    pub fn get(&self, commit: &ObjectId) -> Option<String> {
        self.known.get(commit).cloned().flatten()
    }

    /// Remember new ids, and append them to the file in one write under the lock. A cache
    /// that cannot be written is only a slower next run: it is logged, not an error.
    pub fn add(&mut self, ids: &[(ObjectId, Option<String>)]) {
        for (commit, patch_id) in ids {
            self.known.insert(*commit, patch_id.clone());
        }
        let (Some(path), Some(cache)) = (&self.path, &self.cache) else {
            return;
        };
        if ids.is_empty() {
            return;
        }
        if let Err(error) = append(cache, path, ids) {
            tracing::warn!(path = %path.display(), %error, "cannot write the patch-id cache");
        }
    }
}

fn append(cache: &Cache, path: &Path, ids: &[(ObjectId, Option<String>)]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        fs_err::create_dir_all(parent)?;
    }
    let _lock = cache.lock(path).map_err(std::io::Error::other)?;
    let new = !path.exists();
    let mut text = String::with_capacity(ids.len() * 82 + CACHE_HEADER.len() + 1);
    if new {
        text.push_str(CACHE_HEADER);
        text.push('\n');
    }
    for (commit, patch_id) in ids {
        text.push_str(&commit.to_string());
        text.push('\t');
        text.push_str(patch_id.as_deref().unwrap_or("-"));
        text.push('\n');
    }
    let mut file = fs_err::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_data()
}

fn parse_line(line: &str) -> Option<(ObjectId, Option<String>)> {
    let (commit, patch_id) = line.split_once('\t')?;
    let commit = ObjectId::from_hex(commit.as_bytes())?;
    let is_id = |s: &str| s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit());
    match patch_id {
        "-" => Some((commit, None)),
        id if is_id(id) => Some((commit, Some(id.to_string()))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_lines_round_trip_and_torn_lines_are_ignored() {
        let temp = tempfile::tempdir().unwrap();
        let mut cache = PatchIdCache::load(temp.path(), "https://example.org/x.git");
        assert!(cache.is_empty());
        let a: ObjectId = "0123456789abcdef0123456789abcdef01234567".parse().unwrap();
        let b: ObjectId = "89abcdef0123456789abcdef0123456789abcdef".parse().unwrap();
        cache.add(&[(a, Some("f".repeat(40))), (b, None)]);
        let path = cache.path.clone().unwrap();
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        file.write_all(b"0123456789abcdef0123456789abcd").unwrap();
        let loaded = PatchIdCache::load(temp.path(), "https://example.org/x.git");
        assert_eq!(loaded.len(), 2);
        assert_eq!(loaded.known[&a], Some("f".repeat(40)));
        assert_eq!(loaded.known[&b], None);
    }
}

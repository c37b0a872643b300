//! A stable split of the workspace's packages into N shards, for CI matrices.
//!
//! `--shard K/N` (accepted by `audit`, `check` and `prepare`) keeps the packages whose name
//! hashes to shard K: the 64-bit FNV-1a hash of the name's UTF-8 bytes, modulo N, plus one.
//! K is 1-based (`1/4` … `4/4`), so the N jobs of a matrix together see every package exactly
//! once. The hash depends on the name only, so a package stays in its shard when others are
//! added or removed, and the split is the same on every machine and every run.

use std::fmt;
use std::str::FromStr;

/// One shard of N: `index` is 1-based (`1..=count`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// Which shard, from 1 to `count`.
    pub index: usize,
    /// How many shards in all (at least 1).
    pub count: usize,
}

/// A `--shard` value that is not `K/N` with `1 <= K <= N`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid shard `{text}`: expected `K/N` with 1 <= K <= N (e.g. `2/4`)")]
pub struct ShardError {
    /// The text as given.
    pub text: String,
}

impl Shard {
    /// True when the package `name` belongs to this shard.
    pub fn contains(&self, name: &str) -> bool {
        in_shard(name, self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = ShardError;

    fn from_str(text: &str) -> Result<Shard, ShardError> {
        let error = || ShardError {
            text: text.to_string(),
        };
        let (index, count) = text.trim().split_once('/').ok_or_else(error)?;
        let index: usize = index.trim().parse().map_err(|_| error())?;
        let count: usize = count.trim().parse().map_err(|_| error())?;
        if count == 0 || index == 0 || index > count {
            return Err(error());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// True when the package `name` falls in shard `k` (1-based) of `n`:
/// `fnv1a64(name) % n + 1 == k`. With `n == 0` every package is in (no sharding).
pub fn in_shard(name: &str, k: usize, n: usize) -> bool {
    if n == 0 {
        return true;
    }
    (fnv1a64(name.as_bytes()) % n as u64) as usize + 1 == k
}

/// The 64-bit FNV-1a hash (offset basis 0xcbf29ce484222325, prime 0x100000001b3).
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_k_of_n() {
        assert_eq!("2/4".parse::<Shard>(), Ok(Shard { index: 2, count: 4 }));
        assert_eq!(
            "1/1".parse::<Shard>().map(|s| s.to_string()),
            Ok("1/1".into())
        );
        for bad in ["0/4", "5/4", "1/0", "2", "a/b", "-1/3", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn fnv_matches_reference_values() {
        // Published FNV-1a 64 test vectors.
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
    }

    #[test]
    fn every_name_is_in_exactly_one_shard() {
        let names: Vec<String> = (0..500).map(|i| format!("package-{i}")).collect();
        let mut sizes = [0usize; 4];
        for name in &names {
            let shards: Vec<usize> = (1..=4).filter(|k| in_shard(name, *k, 4)).collect();
            assert_eq!(shards.len(), 1, "{name}: {shards:?}");
            sizes[shards[0] - 1] += 1;
        }
        // A reasonable spread: no shard is empty or holds more than half.
        assert!(sizes.iter().all(|s| *s > 50 && *s < 250), "{sizes:?}");
        assert!(names.iter().all(|n| in_shard(n, 1, 1)));
    }
}

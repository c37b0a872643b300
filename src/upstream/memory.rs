//! The decompression memory budget, shared by every worker of the process.
//!
//! An xz dictionary, a zstd window and a git blob are sized by the input: a 468 KB `.tar.xz`
//! can ask for a 4 GiB dictionary. Each decoder therefore reserves what its header declares
//! *before* it allocates, and the reservations of all decoders running at once (`--jobs`
//! workers, the detectors' own extractions) add up to at most the limit: a worker whose
//! reservation does not fit waits for others to finish, and a single need larger than the
//! whole limit is refused at once. The pool is process-wide, so every `Fetcher` (and the
//! copies the detectors make of one) draws from the same budget.

use std::sync::{Condvar, Mutex};

/// Default bound on the memory all running decoders may hold together (1 GiB): `xz -9` needs
/// 65 MiB per archive and zstd's own default window limit is 128 MiB, so a dozen of the
/// largest ordinary archives fit at once, while a header asking for gigabytes is refused.
pub const DEFAULT_MAX_DECODER_MEMORY: u64 = 1 << 30;

/// The process's pool.
static POOL: Pool = Pool::new();

/// Memory held by running decoders, and a signal when some is given back.
#[derive(Debug)]
pub(crate) struct Pool {
    in_use: Mutex<u64>,
    freed: Condvar,
}

/// A need larger than the whole limit: it could never be granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OverLimit {
    pub needed: u64,
    pub limit: u64,
}

/// Memory held from the pool until dropped.
#[derive(Debug)]
pub(crate) struct Reservation<'p> {
    pool: &'p Pool,
    bytes: u64,
}

/// Reserve `bytes` from the process's pool under `limit`, waiting while other decoders hold
/// too much; refused at once if `bytes` alone is over `limit`.
pub(crate) fn reserve(bytes: u64, limit: u64) -> Result<Reservation<'static>, OverLimit> {
    POOL.reserve(bytes, limit)
}

impl Pool {
    pub(crate) const fn new() -> Pool {
        Pool {
            in_use: Mutex::new(0),
            freed: Condvar::new(),
        }
    }

    /// Reserve `bytes`, waiting until the pool's use plus `bytes` is within `limit`.
    ///
    /// A thread holds at most one reservation while it waits (an extraction or a blob read
    /// is never nested in another), so waiters never wait on each other.
    pub(crate) fn reserve(&self, bytes: u64, limit: u64) -> Result<Reservation<'_>, OverLimit> {
        if bytes > limit {
            return Err(OverLimit {
                needed: bytes,
                limit,
            });
        }
        let mut in_use = self.lock();
        while in_use.saturating_add(bytes) > limit {
            in_use = self
                .freed
                .wait(in_use)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        *in_use += bytes;
        Ok(Reservation { pool: self, bytes })
    }

    /// Reserve `bytes` only if that fits now (for tests of the accounting).
    #[cfg(test)]
    fn try_reserve(&self, bytes: u64, limit: u64) -> Option<Reservation<'_>> {
        let mut in_use = self.lock();
        if in_use.saturating_add(bytes) > limit {
            return None;
        }
        *in_use += bytes;
        Some(Reservation { pool: self, bytes })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, u64> {
        // The count stays consistent under a panic elsewhere: it is only ever added to and
        // subtracted from under the lock.
        self.in_use
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Reservation<'_> {
    /// The bytes held.
    pub(crate) fn bytes(&self) -> u64 {
        self.bytes
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        let mut in_use = self.pool.lock();
        *in_use = in_use.saturating_sub(self.bytes);
        drop(in_use);
        self.pool.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_add_up_to_the_limit_across_workers() {
        let pool = Pool::new();
        let first = pool.reserve(600, 1000).unwrap();
        assert!(
            pool.try_reserve(600, 1000).is_none(),
            "the sum would pass the limit"
        );
        let small = pool.try_reserve(400, 1000).unwrap();
        drop(first);
        assert!(
            pool.try_reserve(600, 1000).is_some(),
            "freed memory is reused"
        );
        drop(small);
        assert_eq!(
            pool.reserve(1001, 1000).unwrap_err(),
            OverLimit {
                needed: 1001,
                limit: 1000
            }
        );
    }

    #[test]
    fn a_waiting_worker_proceeds_once_memory_is_freed() {
        static SHARED: Pool = Pool::new();
        let held = SHARED.reserve(800, 1000).unwrap();
        let waiter = std::thread::spawn(|| SHARED.reserve(500, 1000).map(|r| r.bytes()));
        drop(held);
        assert_eq!(waiter.join().unwrap(), Ok(500));
    }
}

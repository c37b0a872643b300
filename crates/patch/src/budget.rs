//! The process-wide budget for bytes inflated from git binary payloads.
//!
//! A `GIT binary patch` payload declares its inflated size (`literal 1073741824`) and a zlib
//! stream of a few hundred KiB can inflate to that: 5.4 MB of such payloads once took 8.4 GB.
//! Every payload therefore reserves its declared size here before anything is allocated
//! (`parse` for `literal`/`delta` payloads, `apply` for the result of a delta), and the
//! reservation travels with the bytes (the parsed `BinaryHunk`, then the file in the applier's
//! tree) until the last holder drops them. The budget is one counter for the whole process, so
//! the bound is the sum over every thread: `--jobs N` and rayon workers share it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The default budget: 256 MiB of inflated binary payloads alive at once, in the whole process.
/// Binary files in downstream patches are icons, test data and firmware blobs of KiB to a few
/// MiB; a payload anywhere near this size would be a patch file of hundreds of MB. Change it with
/// [`set_binary_payload_budget`] (the CLI reads `MINDELTA_BINARY_PAYLOAD_BUDGET`).
pub const DEFAULT_BINARY_PAYLOAD_BUDGET: usize = 256 << 20;

/// The environment variable the command line reads to change the budget (bytes, or a number
/// with a `K`, `M` or `G` suffix for KiB, MiB, GiB).
pub const BINARY_PAYLOAD_BUDGET_VARIABLE: &str = "MINDELTA_BINARY_PAYLOAD_BUDGET";

/// A budget of bytes shared by every thread; the process uses one, [`global`].
#[derive(Debug)]
pub struct Budget {
    limit: AtomicUsize,
    reserved: AtomicUsize,
}

static GLOBAL: Budget = Budget::new(DEFAULT_BINARY_PAYLOAD_BUDGET);

/// The process-wide budget every binary payload reserves from.
pub fn global() -> &'static Budget {
    &GLOBAL
}

/// Set the process-wide budget (bytes of inflated binary payloads alive at once). Reservations
/// already made stay valid; new ones see the new limit.
pub fn set_binary_payload_budget(bytes: usize) {
    GLOBAL.limit.store(bytes, Ordering::Relaxed);
}

/// A reservation that did not fit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BudgetError {
    /// More than the whole budget, however much is free.
    #[error(
        "it declares {requested} bytes, more than the {limit}-byte budget for binary payloads \
         (set `{BINARY_PAYLOAD_BUDGET_VARIABLE}` to raise it)"
    )]
    TooLarge { requested: usize, limit: usize },
    /// Within the budget, but other payloads alive at the same time hold the rest.
    #[error(
        "it declares {requested} bytes and only {available} of the {limit}-byte budget for \
         binary payloads are free (set `{BINARY_PAYLOAD_BUDGET_VARIABLE}` to raise it)"
    )]
    Exhausted {
        requested: usize,
        available: usize,
        limit: usize,
    },
}

impl Budget {
    /// A budget of `limit` bytes, none reserved.
    pub const fn new(limit: usize) -> Budget {
        Budget {
            limit: AtomicUsize::new(limit),
            reserved: AtomicUsize::new(0),
        }
    }

    /// The limit in bytes.
    pub fn limit(&self) -> usize {
        self.limit.load(Ordering::Relaxed)
    }

    /// Bytes reserved now, over every thread.
    pub fn reserved(&self) -> usize {
        self.reserved.load(Ordering::Relaxed)
    }

    /// Reserve `bytes`, or say why they do not fit. The reservation is returned when the last
    /// clone of the [`Reservation`] is dropped.
    pub fn reserve(&'static self, bytes: usize) -> Result<Reservation, BudgetError> {
        let limit = self.limit();
        if bytes > limit {
            return Err(BudgetError::TooLarge {
                requested: bytes,
                limit,
            });
        }
        let mut current = self.reserved.load(Ordering::Relaxed);
        loop {
            let available = limit.saturating_sub(current);
            if bytes > available {
                return Err(BudgetError::Exhausted {
                    requested: bytes,
                    available,
                    limit,
                });
            }
            match self.reserved.compare_exchange_weak(
                current,
                current + bytes,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(actual) => current = actual,
            }
        }
        Ok(Reservation(Arc::new(Held {
            budget: self,
            bytes,
        })))
    }
}

/// Bytes taken from a [`Budget`]; clones share them, the last drop gives them back.
#[derive(Debug, Clone)]
pub struct Reservation(Arc<Held>);

#[derive(Debug)]
struct Held {
    budget: &'static Budget,
    bytes: usize,
}

impl Drop for Held {
    fn drop(&mut self) {
        self.budget.reserved.fetch_sub(self.bytes, Ordering::AcqRel);
    }
}

impl Reservation {
    /// The bytes reserved.
    pub fn bytes(&self) -> usize {
        self.0.bytes
    }
}

/// Two reservations compare equal: a share of the budget says nothing about the content it
/// pays for, and the model types that carry one compare by content.
impl PartialEq for Reservation {
    fn eq(&self, _other: &Reservation) -> bool {
        true
    }
}

impl Eq for Reservation {}

/// Bytes inflated from a binary payload, with the reservation that pays for them. Clones share
/// the bytes (no copy) and the reservation.
#[derive(Clone)]
pub struct Payload {
    bytes: Arc<Vec<u8>>,
    reservation: Reservation,
}

impl Payload {
    /// Bytes that were paid for by `reservation` (which must cover `bytes.len()`).
    pub fn new(bytes: Vec<u8>, reservation: Reservation) -> Payload {
        debug_assert!(bytes.len() <= reservation.bytes());
        Payload {
            bytes: Arc::new(bytes),
            reservation,
        }
    }

    /// Bytes built outside the parser (tests, callers that make a `BinaryHunk` by hand),
    /// reserved from the process-wide budget.
    pub fn reserve(bytes: Vec<u8>) -> Result<Payload, BudgetError> {
        let reservation = global().reserve(bytes.len())?;
        Ok(Payload::new(bytes, reservation))
    }

    /// The bytes, shared (for a file that takes them as its content without a copy).
    pub fn shared(&self) -> Arc<Vec<u8>> {
        Arc::clone(&self.bytes)
    }

    /// The reservation that pays for the bytes.
    pub fn reservation(&self) -> &Reservation {
        &self.reservation
    }
}

impl std::ops::Deref for Payload {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.bytes
    }
}

impl PartialEq for Payload {
    fn eq(&self, other: &Payload) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for Payload {}

impl std::fmt::Debug for Payload {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "Payload({} bytes)", self.bytes.len())
    }
}

/// A byte count as the environment variable gives it: digits, optionally followed by `K`, `M`
/// or `G` (powers of 1024, an `iB`/`B` after the letter allowed). `None` if it is not one.
pub fn parse_byte_count(text: &str) -> Option<usize> {
    let text = text.trim();
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let number: usize = text[..digits].parse().ok()?;
    let shift = match text[digits..].trim_start().to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        _ => return None,
    };
    number.checked_mul(1 << shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_bounds_the_sum_over_threads_and_refills_on_drop() {
        static BUDGET: Budget = Budget::new(1000);
        let held: Vec<Reservation> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..8)
                .map(|_| scope.spawn(|| BUDGET.reserve(300).ok()))
                .collect();
            workers
                .into_iter()
                .filter_map(|worker| worker.join().unwrap())
                .collect()
        });
        // Eight workers asked for 300 bytes each: only three fit in 1000.
        assert_eq!(held.len(), 3);
        assert_eq!(BUDGET.reserved(), 900);
        assert!(matches!(
            BUDGET.reserve(101),
            Err(BudgetError::Exhausted { available: 100, .. })
        ));
        let shared = held[0].clone();
        drop(held);
        assert_eq!(BUDGET.reserved(), 300, "a clone keeps its share");
        drop(shared);
        assert_eq!(BUDGET.reserved(), 0);
        assert!(matches!(
            BUDGET.reserve(1001),
            Err(BudgetError::TooLarge { limit: 1000, .. })
        ));
    }

    #[test]
    fn byte_counts() {
        assert_eq!(parse_byte_count("4096"), Some(4096));
        assert_eq!(parse_byte_count("64M"), Some(64 << 20));
        assert_eq!(parse_byte_count("1 GiB"), Some(1 << 30));
        assert_eq!(parse_byte_count("2k"), Some(2048));
        assert_eq!(parse_byte_count("lots"), None);
        assert_eq!(parse_byte_count("12T"), None);
    }
}

//! The time bounds of one fetch: an overall deadline, and a low-speed limit in the manner of
//! curl's `--speed-limit`/`--speed-time` (fail when fewer than `limit` bytes per second arrive
//! over `time`). A server that sends one byte every ten seconds never trips a per-read
//! timeout; it trips these.
//!
//! A [`Watch`] is started when a fetch starts (retries included) and asked after every read
//! whether the transfer may go on; the HTTP downloader checks it in its read loop, and the git
//! fetch in a watchdog thread that interrupts gix.

use std::time::{Duration, Instant};

use super::{FetchError, FetchOptions};

/// Default overall deadline of one fetch (a download with its retries, or a clone or fetch of
/// a git mirror): one hour, room for a large repository over a slow link; the low-speed limit
/// is what catches a stalled transfer early.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(60 * 60);
/// Default deadline of a release look-up (a listing page, a remote's tag list): a page is at
/// most 16 MiB and a tag list is small, so a minute is generous.
pub const DEFAULT_LOOKUP_DEADLINE: Duration = Duration::from_secs(60);
/// Default low-speed limit in bytes per second (1 KiB/s): far below any working link.
pub const DEFAULT_SPEED_LIMIT: u64 = 1024;
/// Default time a transfer may stay under the low-speed limit before it fails.
pub const DEFAULT_SPEED_TIME: Duration = Duration::from_secs(60);

/// Why a transfer was stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stall {
    /// The overall deadline passed.
    Deadline(Duration),
    /// Fewer than `limit` bytes per second arrived over `time`.
    TooSlow { limit: u64, time: Duration },
}

impl Stall {
    /// The error for a fetch of `url` stopped this way.
    pub(crate) fn into_error(self, url: &str) -> FetchError {
        match self {
            Stall::Deadline(deadline) => FetchError::DeadlineExceeded {
                url: url.to_owned(),
                deadline,
            },
            Stall::TooSlow { limit, time } => FetchError::TooSlow {
                url: url.to_owned(),
                limit,
                time,
            },
        }
    }
}

/// The clock of one fetch.
#[derive(Debug, Clone)]
pub(crate) struct Watch {
    started: Instant,
    deadline: Duration,
    speed_limit: u64,
    speed_time: Duration,
    /// Start of the current low-speed window, and the bytes counted when it began; `None`
    /// until [`Watch::begin_transfer`].
    window: Option<(Instant, u64)>,
}

impl Watch {
    /// A watch for a fetch that starts now, bounded by `deadline`.
    pub(crate) fn new(options: &FetchOptions, deadline: Duration) -> Watch {
        Watch {
            started: Instant::now(),
            deadline,
            speed_limit: options.speed_limit,
            speed_time: options.speed_time.max(Duration::from_millis(1)),
            window: None,
        }
    }

    /// Time left before the deadline.
    pub(crate) fn remaining(&self) -> Duration {
        self.deadline.saturating_sub(self.started.elapsed())
    }

    /// How long one read or one wait for an answer may block: until the low-speed window
    /// would close with nothing received, and never past the deadline.
    pub(crate) fn wait_bound(&self) -> Duration {
        let bound = if self.speed_limit > 0 {
            self.speed_time.min(self.remaining())
        } else {
            self.remaining()
        };
        bound.max(Duration::from_millis(1))
    }

    /// Bytes are about to flow (`total` counted so far): the low-speed window starts.
    pub(crate) fn begin_transfer(&mut self, total: u64) {
        self.window = Some((Instant::now(), total));
    }

    /// Whether the deadline is still ahead (between tries, where no bytes are expected).
    pub(crate) fn check_deadline(&self) -> Result<(), Stall> {
        if self.remaining().is_zero() {
            return Err(Stall::Deadline(self.deadline));
        }
        Ok(())
    }

    /// Whether the transfer may go on, `total` bytes having arrived so far.
    pub(crate) fn check(&mut self, total: u64) -> Result<(), Stall> {
        self.check_at(total, Instant::now())
    }

    /// [`Watch::check`] at the instant `now`.
    fn check_at(&mut self, total: u64, now: Instant) -> Result<(), Stall> {
        if now.saturating_duration_since(self.started) >= self.deadline {
            return Err(Stall::Deadline(self.deadline));
        }
        let Some((start, counted)) = self.window else {
            return Ok(());
        };
        if self.speed_limit == 0 {
            return Ok(());
        }
        let elapsed = now.saturating_duration_since(start);
        if elapsed < self.speed_time {
            return Ok(());
        }
        let received = total.saturating_sub(counted);
        let wanted = (self.speed_limit as f64 * elapsed.as_secs_f64()) as u64;
        if received < wanted {
            return Err(Stall::TooSlow {
                limit: self.speed_limit,
                time: self.speed_time,
            });
        }
        // Fast enough over this window: the next one starts now.
        self.window = Some((now, total));
        Ok(())
    }
}

/// A duration for messages: `1.5 s`, `60 s`.
pub(crate) fn seconds(duration: &Duration) -> String {
    let secs = duration.as_secs_f64();
    if secs.fract() == 0.0 {
        format!("{} s", duration.as_secs())
    } else {
        format!("{secs:.1} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(limit: u64, time: Duration) -> FetchOptions {
        FetchOptions {
            speed_limit: limit,
            speed_time: time,
            ..FetchOptions::new("unused")
        }
    }

    #[test]
    fn an_expired_deadline_stops_the_transfer() {
        let mut watch = Watch::new(&options(0, Duration::from_secs(1)), Duration::ZERO);
        assert_eq!(watch.check(0), Err(Stall::Deadline(Duration::ZERO)));
        assert_eq!(watch.wait_bound(), Duration::from_millis(1));
    }

    #[test]
    fn the_low_speed_window_starts_with_the_transfer() {
        let second = Duration::from_secs(1);
        let mut watch = Watch::new(&options(100, second), Duration::from_secs(60));
        let started = watch.started;
        let later = |seconds| started + Duration::from_secs(seconds);
        let (at_2, at_3, at_5) = (later(2), later(3), later(5));
        assert_eq!(
            watch.check_at(0, at_2),
            Ok(()),
            "no window before the transfer"
        );
        watch.window = Some((at_2, 0));
        // 150 bytes in the first second: fast enough, a new window starts.
        assert_eq!(watch.check_at(150, at_3), Ok(()));
        // 50 more in the next two seconds: under 100 bytes per second.
        assert_eq!(
            watch.check_at(200, at_5),
            Err(Stall::TooSlow {
                limit: 100,
                time: second
            })
        );
        assert_eq!(
            watch.check_at(200, later(61)),
            Err(Stall::Deadline(Duration::from_secs(60)))
        );
    }

    #[test]
    fn formats_seconds() {
        assert_eq!(seconds(&Duration::from_secs(60)), "60 s");
        assert_eq!(seconds(&Duration::from_millis(1500)), "1.5 s");
    }
}

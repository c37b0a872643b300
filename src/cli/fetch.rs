//! The bounds of downloads, archives and git fetches on the command line (the hints that go
//! with fetch errors are in `conversion.rs`).
//!
//! Each bound of `FetchOptions` is an option of the commands that fetch, also read from an
//! environment variable when not given (`docs/bounds.md` lists them with their defaults); they
//! are left out of `-h` and shown by `--help`. Sizes take `K`, `M`, `G` and `T` suffixes (powers of 1024), durations `s`,
//! `m` and `h` (plain numbers are bytes and seconds).

use std::time::Duration;

use mindelta::upstream::FetchOptions;

/// Options bounding what a fetch may download, unpack and wait for.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct FetchArgs {
    /// Largest archive to download [default: 4G] [env: MINDELTA_MAX_DOWNLOAD_SIZE]
    #[arg(long, value_name = "SIZE", value_parser = parse_size, hide_short_help = true)]
    max_download_size: Option<u64>,
    /// Largest release listing page to download [default: 16M] [env: MINDELTA_MAX_PAGE_SIZE]
    #[arg(long, value_name = "SIZE", value_parser = parse_size, hide_short_help = true)]
    max_page_size: Option<u64>,
    /// Largest size an archive or upstream tree may expand to [default: 8G] [env: MINDELTA_MAX_EXPANDED_SIZE]
    #[arg(long, value_name = "SIZE", value_parser = parse_size, hide_short_help = true)]
    max_expanded_size: Option<u64>,
    /// Memory all running decompressors may hold together [default: 1G] [env: MINDELTA_DECODER_MEMORY]
    #[arg(long, value_name = "SIZE", value_parser = parse_size, hide_short_help = true)]
    decoder_memory: Option<u64>,
    /// Overall time limit of one download or git fetch [default: 1h] [env: MINDELTA_FETCH_DEADLINE]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, hide_short_help = true)]
    fetch_deadline: Option<Duration>,
    /// Overall time limit of one release look-up (listing page, remote tags) [default: 60s;
    /// `audit`: 5s] [env: MINDELTA_LOOKUP_DEADLINE]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, hide_short_help = true)]
    lookup_deadline: Option<Duration>,
    /// Low-speed limit in bytes per second, 0 for none (as curl's `--speed-limit`) [default: 1K] [env: MINDELTA_SPEED_LIMIT]
    #[arg(long, value_name = "SIZE", value_parser = parse_size, hide_short_help = true)]
    speed_limit: Option<u64>,
    /// How long a transfer may stay under the low-speed limit [default: 60s] [env: MINDELTA_SPEED_TIME]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, hide_short_help = true)]
    speed_time: Option<Duration>,
    /// Wait before retrying a failed download, doubled before the last try [default: 0.2s] [env: MINDELTA_RETRY_BACKOFF]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, hide_short_help = true)]
    retry_backoff: Option<Duration>,
}

impl FetchArgs {
    /// Set the bounds given on the command line (or in the environment) in `options`.
    pub fn apply(&self, options: &mut FetchOptions) {
        let FetchArgs {
            max_download_size,
            max_page_size,
            max_expanded_size,
            decoder_memory,
            fetch_deadline,
            lookup_deadline,
            speed_limit,
            speed_time,
            retry_backoff,
        } = self.clone();
        let set = |value: Option<u64>, field: &mut u64| {
            if let Some(value) = value {
                *field = value;
            }
        };
        set(max_download_size, &mut options.max_download_bytes);
        set(max_page_size, &mut options.max_page_bytes);
        set(max_expanded_size, &mut options.max_expanded_bytes);
        set(decoder_memory, &mut options.max_decoder_memory);
        set(speed_limit, &mut options.speed_limit);
        options.deadline = fetch_deadline.unwrap_or(options.deadline);
        options.lookup_deadline = lookup_deadline.unwrap_or(options.lookup_deadline);
        options.speed_time = speed_time.unwrap_or(options.speed_time);
        options.retry_backoff = retry_backoff.unwrap_or(options.retry_backoff);
    }

    /// Each bound given here, else the one in `other`.
    pub fn or(self, other: FetchArgs) -> FetchArgs {
        FetchArgs {
            max_download_size: self.max_download_size.or(other.max_download_size),
            max_page_size: self.max_page_size.or(other.max_page_size),
            max_expanded_size: self.max_expanded_size.or(other.max_expanded_size),
            decoder_memory: self.decoder_memory.or(other.decoder_memory),
            fetch_deadline: self.fetch_deadline.or(other.fetch_deadline),
            lookup_deadline: self.lookup_deadline.or(other.lookup_deadline),
            speed_limit: self.speed_limit.or(other.speed_limit),
            speed_time: self.speed_time.or(other.speed_time),
            retry_backoff: self.retry_backoff.or(other.retry_backoff),
        }
    }

    /// Each bound given here, else the one its environment variable sets; a variable that is
    /// set but does not parse is an error naming it.
    pub fn or_env(self) -> Result<FetchArgs, String> {
        fn read<T>(name: &str, parse: fn(&str) -> Result<T, String>) -> Result<Option<T>, String> {
            match std::env::var_os(name) {
                None => Ok(None),
                Some(value) if value.is_empty() => Ok(None),
                Some(value) => {
                    let text = value.to_string_lossy();
                    parse(&text)
                        .map(Some)
                        .map_err(|error| format!("`{name}`: {error}"))
                }
            }
        }
        Ok(self.or(FetchArgs {
            max_download_size: read("MINDELTA_MAX_DOWNLOAD_SIZE", parse_size)?,
            max_page_size: read("MINDELTA_MAX_PAGE_SIZE", parse_size)?,
            max_expanded_size: read("MINDELTA_MAX_EXPANDED_SIZE", parse_size)?,
            decoder_memory: read("MINDELTA_DECODER_MEMORY", parse_size)?,
            fetch_deadline: read("MINDELTA_FETCH_DEADLINE", parse_duration)?,
            lookup_deadline: read("MINDELTA_LOOKUP_DEADLINE", parse_duration)?,
            speed_limit: read("MINDELTA_SPEED_LIMIT", parse_size)?,
            speed_time: read("MINDELTA_SPEED_TIME", parse_duration)?,
            retry_backoff: read("MINDELTA_RETRY_BACKOFF", parse_duration)?,
        }))
    }

    /// The look-up deadline given by the user, if any.
    pub fn lookup_deadline(&self) -> Option<Duration> {
        self.lookup_deadline
    }
}

/// `4096`, `512K`, `16M`, `4G`, `1T` (powers of 1024; `KiB`, `MB`… are accepted too).
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size (a number of bytes, with K, M, G or T)"))?;
    let shift = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        "T" | "TB" | "TIB" => 40,
        _ => return Err(format!("`{text}` has an unknown unit (use K, M, G or T)")),
    };
    number
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("`{text}` is too large"))
}

/// `30`, `1.5s`, `10m`, `2h` (plain numbers are seconds).
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, scale) = match text.char_indices().last() {
        Some((at, 's')) => (&text[..at], 1.0),
        Some((at, 'm')) => (&text[..at], 60.0),
        Some((at, 'h')) => (&text[..at], 3600.0),
        _ => (text, 1.0),
    };
    let seconds: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (seconds, or with s, m or h)"))?;
    Duration::try_from_secs_f64(seconds * scale).map_err(|_| format!("`{text}` is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sizes_and_durations() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("16M"), Ok(16 << 20));
        assert_eq!(parse_size("4GiB"), Ok(4 << 30));
        assert!(parse_size("4X").is_err());
        assert!(parse_size("").is_err());
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert!(parse_duration("-1").is_err());
        assert!(parse_duration("soon").is_err());
    }
}

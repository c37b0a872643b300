//! The delta over time: the commits `history::read_history` found, folded into one record per
//! calendar month (UTC) — patches carried and changed lines at the month's end, patches added
//! and expired during it, the median age of the patches carried. The figure a team practising
//! delta minimization reports; the definitions are in docs/report.md.
//!
//! Pure bookkeeping over the commits, oldest first: no git here. A package's state is replaced
//! whenever a commit changed its folder; a patch is the pair (package folder, `file:` entry).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::history::{HistoryRead, PackageState, PackageVersion};
use super::report::format_date;

/// At most this many months are reported (the newest): a century. A commit dated 1970 or 2999
/// by a broken clock must not make the report chart thousands of empty months.
pub const DEFAULT_MAX_MONTHS: usize = 1200;

/// Choices for folding a history into months.
#[derive(Debug, Clone, Copy)]
pub struct TimelineOptions {
    /// The day the last month is measured at (`MINDELTA_NOW` in the CLI); the months run up
    /// to this day's month when it is later than the last commit.
    pub today: time::Date,
    /// Months reported at most (the newest are kept).
    pub max_months: usize,
}

/// The delta month by month (the `history` of the JSON report).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    /// Commits that changed a watched path.
    pub commits: usize,
    /// The oldest and the newest of those commits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_commit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_commit: Option<String>,
    /// The repository is a shallow clone: the history starts later than the project did.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub shallow: bool,
    /// The walk stopped at its bound before the first commit.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
    /// Manifests and patches of the history that could not be read or parsed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unreadable: usize,
    /// One record per calendar month, oldest first, with no gaps.
    pub months: Vec<Month>,
}

fn is_zero(value: &usize) -> bool {
    *value == 0
}

/// One calendar month of the delta.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Month {
    /// `YYYY-MM`.
    pub month: String,
    /// Commits of the month that changed a watched path.
    pub commits: usize,
    /// Packages at the month's end.
    pub packages: usize,
    /// Patches carried at the month's end.
    pub patches: usize,
    /// Lines the carried patches add and remove, at the month's end.
    pub lines_added: usize,
    pub lines_removed: usize,
    /// Patches that entered a series during the month (the patches of the history's first
    /// commit are its starting point, not additions).
    pub patches_added: usize,
    /// Patches that left a series during the month (expired, dropped, or removed).
    pub patches_expired: usize,
    /// `patches_expired` by the reason of their `expired:` entry; `removed` when the patch
    /// left without one.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub expired_by_reason: BTreeMap<String, usize>,
    /// The median age in days of the patches carried at the month's end (or today, in the
    /// current month); absent when none is carried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub median_age_days: Option<i64>,
}

/// A patch being carried.
#[derive(Debug, Clone, Copy)]
struct Carried {
    /// The day it starts counting from: declared, else the commit that brought it.
    born: time::Date,
    lines_added: usize,
    lines_removed: usize,
}

/// Fold `read` into months.
pub fn timeline(read: &HistoryRead, options: &TimelineOptions) -> Timeline {
    let last = month_index(options.today);
    let mut fold = Fold {
        // Months before the reported window are folded (their state carries on) but not
        // recorded, so a commit dated in year 1 costs no more than one in the window.
        first_kept: last.saturating_sub(i32::try_from(options.max_months).unwrap_or(i32::MAX)) + 1,
        ..Fold::default()
    };
    let mut current: Option<i32> = None;
    for commit in &read.commits {
        // A commit dated after today (a broken clock) counts today; one dated before its
        // parent counts in the parent's month, so months never run backwards.
        let date = date_of(commit.time)
            .unwrap_or(options.today)
            .min(options.today);
        let month = current.map_or(month_index(date), |c| c.max(month_index(date)));
        if let Some(open) = current
            && month > open
        {
            fold.close_through(open, month - 1, options);
        }
        current = Some(month);
        fold.pending.commits += 1;
        for change in &commit.packages {
            fold.apply(&change.package, &change.state, date);
        }
        fold.started = true;
    }
    if let Some(open) = current {
        fold.close_through(open, open.max(last), options);
    }
    let months = fold.months;
    Timeline {
        commits: read.commits.len(),
        first_commit: read.commits.first().map(|c| c.commit.clone()),
        last_commit: read.commits.last().map(|c| c.commit.clone()),
        shallow: read.shallow,
        truncated: read.truncated,
        unreadable: read.unreadable,
        months,
    }
}

/// The running state.
#[derive(Default)]
struct Fold {
    packages: HashMap<String, Arc<PackageVersion>>,
    carried: HashMap<(String, String), Carried>,
    lines_added: usize,
    lines_removed: usize,
    /// Counters of the month being read.
    pending: Month,
    /// The first commit was read: from now on, a new patch is an addition.
    started: bool,
    /// The first month recorded (`month_index`); earlier ones are folded and dropped.
    first_kept: i32,
    months: Vec<Month>,
}

impl Fold {
    /// Replace a package's state with what a commit dated `date` left.
    fn apply(&mut self, package: &str, state: &PackageState, date: time::Date) {
        let empty = PackageVersion::default();
        let new = match state {
            PackageState::Present(version) => version.as_ref(),
            PackageState::Removed => &empty,
            PackageState::Unreadable => return,
        };
        let old = self.packages.get(package).cloned();
        let old_files: HashMap<&str, ()> = old
            .iter()
            .flat_map(|o| o.patches.iter().map(|p| (p.file.as_str(), ())))
            .collect();
        let new_files: HashMap<&str, ()> =
            new.patches.iter().map(|p| (p.file.as_str(), ())).collect();
        // Patches that left: the reason of an `expired:` entry this commit added, else `removed`.
        if let Some(old) = &old {
            for patch in &old.patches {
                if new_files.contains_key(patch.file.as_str()) {
                    continue;
                }
                let key = (package.to_string(), patch.file.clone());
                if let Some(carried) = self.carried.remove(&key) {
                    self.lines_added -= carried.lines_added;
                    self.lines_removed -= carried.lines_removed;
                    let reason = new
                        .expired
                        .iter()
                        .find(|mark| mark.file == patch.file && !old.expired.contains(mark))
                        .map_or("removed", |mark| mark.reason.as_str());
                    self.pending.patches_expired += 1;
                    *self
                        .pending
                        .expired_by_reason
                        .entry(reason.to_string())
                        .or_default() += 1;
                }
            }
        }
        for patch in &new.patches {
            let key = (package.to_string(), patch.file.clone());
            let born = match self.carried.get(&key) {
                Some(carried) if old_files.contains_key(patch.file.as_str()) => {
                    self.lines_added -= carried.lines_added;
                    self.lines_removed -= carried.lines_removed;
                    patch.declared.unwrap_or(carried.born)
                }
                // A file listed twice in one series counts once.
                Some(_) => continue,
                None => {
                    if self.started {
                        self.pending.patches_added += 1;
                    }
                    patch.declared.unwrap_or(date)
                }
            };
            self.lines_added += patch.lines_added;
            self.lines_removed += patch.lines_removed;
            self.carried.insert(
                key,
                Carried {
                    born,
                    lines_added: patch.lines_added,
                    lines_removed: patch.lines_removed,
                },
            );
        }
        match state {
            PackageState::Present(version) => {
                self.packages.insert(package.to_string(), version.clone());
            }
            _ => {
                self.packages.remove(package);
            }
        }
    }

    /// Record the months `from..=to`: the first with the pending counters, the rest (no
    /// commits) with the state carried over.
    fn close_through(&mut self, from: i32, to: i32, options: &TimelineOptions) {
        let mut start = from;
        if start < self.first_kept {
            // The counters belong to a month before the window, which is not recorded.
            self.pending = Month::default();
            start = self.first_kept;
        }
        for index in start..=to {
            let counters = std::mem::take(&mut self.pending);
            let (year, month) = (index.div_euclid(12), index.rem_euclid(12) as u8 + 1);
            let Ok(month) = time::Month::try_from(month) else {
                continue;
            };
            let measured = measure_day(year, month, options.today);
            self.months.push(Month {
                month: format!("{year:04}-{:02}", u8::from(month)),
                packages: self.packages.len(),
                patches: self.carried.len(),
                lines_added: self.lines_added,
                lines_removed: self.lines_removed,
                median_age_days: measured.and_then(|day| self.median_age(day)),
                ..counters
            });
        }
    }

    fn median_age(&self, day: time::Date) -> Option<i64> {
        let mut ages: Vec<i64> = self
            .carried
            .values()
            .map(|c| (day - c.born).whole_days())
            .collect();
        if ages.is_empty() {
            return None;
        }
        ages.sort_unstable();
        let middle = ages.len() / 2;
        Some(if ages.len() % 2 == 1 {
            ages[middle]
        } else {
            (ages[middle - 1] + ages[middle]).div_euclid(2)
        })
    }
}

/// The day a month is measured at: its last day, or `today` within the current month.
fn measure_day(year: i32, month: time::Month, today: time::Date) -> Option<time::Date> {
    let last = time::Date::from_calendar_date(year, month, month.length(year)).ok()?;
    let first = time::Date::from_calendar_date(year, month, 1).ok()?;
    Some(if today >= first && today <= last {
        today
    } else {
        last
    })
}

/// Months since year 0: `year * 12 + month - 1`.
fn month_index(date: time::Date) -> i32 {
    date.year() * 12 + i32::from(u8::from(date.month())) - 1
}

fn date_of(seconds: i64) -> Option<time::Date> {
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .map(|t| t.date())
}

/// `YYYY-MM-DD` of a commit time (for messages and the page).
pub fn commit_day(seconds: i64) -> Option<String> {
    date_of(seconds).map(format_date)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::history::{
        CommitChanges, ExpiredMark, PackageChange, PackageVersion, PatchVersion,
    };

    fn day(text: &str) -> time::Date {
        crate::audit::report::parse_date(text).expect("a date")
    }

    fn seconds(text: &str) -> i64 {
        day(text).midnight().assume_utc().unix_timestamp()
    }

    fn patch(file: &str, lines: usize, declared: Option<&str>) -> PatchVersion {
        PatchVersion {
            file: file.into(),
            lines_added: lines,
            lines_removed: 1,
            declared: declared.map(day),
        }
    }

    fn present(patches: Vec<PatchVersion>, expired: Vec<ExpiredMark>) -> PackageState {
        PackageState::Present(Arc::new(PackageVersion { patches, expired }))
    }

    fn commit(date: &str, packages: Vec<(&str, PackageState)>) -> CommitChanges {
        CommitChanges {
            commit: format!("c{date}"),
            time: seconds(date),
            packages: packages
                .into_iter()
                .map(|(package, state)| PackageChange {
                    package: package.into(),
                    state,
                })
                .collect(),
        }
    }

    fn options(today: &str) -> TimelineOptions {
        TimelineOptions {
            today: day(today),
            max_months: DEFAULT_MAX_MONTHS,
        }
    }

    #[test]
    fn months_carry_state_count_changes_and_have_no_gaps() {
        let read = HistoryRead {
            commits: vec![
                commit(
                    "2026-01-10",
                    vec![
                        (
                            "zlib",
                            present(
                                vec![patch("a", 3, Some("2025-12-01")), patch("b", 5, None)],
                                vec![],
                            ),
                        ),
                        ("curl", present(vec![patch("c", 10, None)], vec![])),
                    ],
                ),
                // February: nothing. March: zlib's `a` expires with a trail entry, `b`
                // is refreshed (more lines), `d` is added, curl's folder is deleted.
                commit(
                    "2026-03-05",
                    vec![
                        (
                            "zlib",
                            present(
                                vec![patch("b", 7, None), patch("d", 2, None)],
                                vec![ExpiredMark {
                                    file: "a".into(),
                                    release: "1.3.1".into(),
                                    reason: "patch-id".into(),
                                }],
                            ),
                        ),
                        ("curl", PackageState::Removed),
                    ],
                ),
                // A broken manifest changes nothing.
                commit("2026-03-20", vec![("zlib", PackageState::Unreadable)]),
            ],
            ..HistoryRead::default()
        };
        let timeline = timeline(&read, &options("2026-04-15"));
        let months: Vec<&str> = timeline.months.iter().map(|m| m.month.as_str()).collect();
        assert_eq!(months, ["2026-01", "2026-02", "2026-03", "2026-04"]);
        let [january, february, march, april] = &timeline.months[..] else {
            panic!("four months");
        };
        assert_eq!(
            (january.commits, january.packages, january.patches),
            (1, 2, 3)
        );
        assert_eq!((january.lines_added, january.lines_removed), (18, 3));
        assert_eq!(
            (january.patches_added, january.patches_expired),
            (0, 0),
            "the first commit is the starting point"
        );
        // Ages on 2026-01-31: a declared 2025-12-01 (61 days), b and c born 2026-01-10 (21).
        assert_eq!(january.median_age_days, Some(21));
        assert_eq!((february.commits, february.patches), (0, 3));
        assert_eq!(february.patches_added, 0);
        assert_eq!(february.median_age_days, Some(49));
        assert_eq!((march.commits, march.packages, march.patches), (2, 1, 2));
        assert_eq!((march.lines_added, march.lines_removed), (9, 2));
        assert_eq!((march.patches_added, march.patches_expired), (1, 2));
        assert_eq!(
            march.expired_by_reason,
            BTreeMap::from([("patch-id".to_string(), 1), ("removed".to_string(), 1)])
        );
        // b keeps the day it was first seen through its refresh (80 days on 2026-03-31), d
        // counts from 2026-03-05 (26); April is measured today (95 and 41).
        assert_eq!(march.median_age_days, Some(53));
        assert_eq!(april.median_age_days, Some(68));
        assert_eq!(timeline.commits, 3);
        assert_eq!(timeline.first_commit.as_deref(), Some("c2026-01-10"));
    }

    #[test]
    fn a_skewed_clock_never_moves_backwards_and_months_are_bounded() {
        let read = HistoryRead {
            commits: vec![
                commit(
                    "2026-05-01",
                    vec![("a", present(vec![patch("x", 1, None)], vec![]))],
                ),
                commit("2020-01-01", vec![("a", present(vec![], vec![]))]),
            ],
            ..HistoryRead::default()
        };
        let timeline = timeline(
            &read,
            &TimelineOptions {
                today: day("2026-07-01"),
                max_months: 2,
            },
        );
        let months: Vec<&str> = timeline.months.iter().map(|m| m.month.as_str()).collect();
        assert_eq!(months, ["2026-06", "2026-07"], "the newest two");
        assert_eq!(timeline.months[0].patches, 0);
        assert_eq!(timeline.months[0].median_age_days, None);
    }

    #[test]
    fn commits_from_the_far_past_or_the_future_stay_within_the_window() {
        let read = HistoryRead {
            commits: vec![
                // Year 1 (a broken clock): folded, not recorded month by month.
                commit(
                    "0001-01-01",
                    vec![("a", present(vec![patch("x", 1, None)], vec![]))],
                ),
                commit(
                    "2026-06-10",
                    vec![(
                        "a",
                        present(vec![patch("x", 1, None), patch("y", 2, None)], vec![]),
                    )],
                ),
                // Year 2999: counted today.
                commit(
                    "2999-12-31",
                    vec![("a", present(vec![patch("y", 2, None)], vec![]))],
                ),
            ],
            ..HistoryRead::default()
        };
        let timeline = timeline(&read, &options("2026-07-01"));
        assert_eq!(timeline.months.len(), DEFAULT_MAX_MONTHS);
        assert_eq!(timeline.months[0].month, "1926-08");
        let [.., june, july] = &timeline.months[..] else {
            panic!("months");
        };
        assert_eq!(
            (june.month.as_str(), june.patches, june.patches_added),
            ("2026-06", 2, 1)
        );
        assert_eq!(
            (july.month.as_str(), july.commits, july.patches_expired),
            ("2026-07", 1, 1)
        );
        assert_eq!(july.patches, 1);
        assert!(
            july.median_age_days.is_some_and(|age| age >= 0),
            "no age from the future"
        );
    }

    #[test]
    fn an_empty_history_has_no_months() {
        let timeline = timeline(&HistoryRead::default(), &options("2026-01-01"));
        assert!(timeline.months.is_empty());
        assert_eq!(timeline.commits, 0);
    }
}

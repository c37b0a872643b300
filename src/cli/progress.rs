//! Progress on stderr for long work: clones and downloads, the patch-id history walk and the
//! package counter of multi-package runs ("checking 12/40 packages").
//!
//! Every command makes one [`Bars`] from the context; it draws only when stderr is a terminal
//! and `-q` was not given (`Context::progress`), so piped output never changes. The bars share
//! one `MultiProgress`, so packages running in parallel each get their own line.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use mindelta::expiry::CountProgress;
use mindelta::upstream::Progress;

use super::Context;

/// The package counter's line.
const PACKAGES: &str = "{msg} {pos}/{len} packages";

/// The progress display of one command: nothing at all when disabled.
#[derive(Clone)]
pub struct Bars {
    multi: Option<MultiProgress>,
}

impl Bars {
    /// Bars for this command line: drawn on stderr when `Context::progress` says so.
    pub fn new(context: &Context) -> Bars {
        Bars::enabled(context.progress, ProgressDrawTarget::stderr())
    }

    fn enabled(enabled: bool, target: ProgressDrawTarget) -> Bars {
        Bars {
            multi: enabled.then(|| MultiProgress::with_draw_target(target)),
        }
    }

    /// The sink for clone and download progress (`Fetcher::new`), `None` when disabled.
    pub fn fetch(&self) -> Option<Arc<dyn Progress>> {
        let multi = self.multi.clone()?;
        Some(Arc::new(Transfers {
            multi,
            bars: Mutex::new(HashMap::new()),
        }))
    }

    /// A counter of packages done, `verb 12/40 packages`; it stays hidden for a single package.
    pub fn packages(&self, verb: &str, total: usize) -> Counter {
        let counter = Counter::new(self.multi.clone(), verb, PACKAGES, true);
        counter.start(total as u64);
        counter
    }

    /// The counter of packages for a library hook (`AuditOptions::progress`).
    pub fn package_hook(&self, verb: &str) -> Option<Arc<dyn CountProgress>> {
        let multi = self.multi.clone()?;
        Some(Arc::new(Counter::new(Some(multi), verb, PACKAGES, true)))
    }

    /// The patch-id walk of `package` (`CheckOptions::history_progress`).
    pub fn history(&self, package: &str) -> Option<Arc<dyn CountProgress>> {
        let multi = self.multi.clone()?;
        Some(Arc::new(Counter::new(
            Some(multi),
            &format!("{package}: patch ids"),
            "{msg} [{bar:30}] {pos}/{len} commits",
            false,
        )))
    }
}

/// Clone and download bars, one per worker thread: a fetch reports from the thread that runs
/// it, and parallel packages fetch on different threads.
struct Transfers {
    multi: MultiProgress,
    bars: Mutex<HashMap<ThreadId, ProgressBar>>,
}

impl Progress for Transfers {
    fn start(&self, label: &str, total: Option<u64>) {
        let bar = match total {
            Some(total) => ProgressBar::new(total).with_style(
                ProgressStyle::with_template(
                    "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            ),
            None => ProgressBar::new_spinner(),
        };
        // Into the display before the first draw, which would otherwise go to stderr directly.
        let bar = self.multi.add(bar);
        bar.set_message(label.to_string());
        if let Ok(mut bars) = self.bars.lock()
            && let Some(old) = bars.insert(std::thread::current().id(), bar)
        {
            old.finish_and_clear();
        }
    }

    fn advance(&self, bytes: u64) {
        if let Ok(bars) = self.bars.lock()
            && let Some(bar) = bars.get(&std::thread::current().id())
        {
            bar.inc(bytes);
        }
    }

    fn finish(&self) {
        if let Ok(mut bars) = self.bars.lock()
            && let Some(bar) = bars.remove(&std::thread::current().id())
        {
            bar.finish_and_clear();
        }
    }
}

/// A count of items done out of a total (packages, commits); inert when it has no display.
pub struct Counter {
    multi: Option<MultiProgress>,
    label: String,
    template: &'static str,
    /// Draw nothing when the total is a single item.
    hide_single: bool,
    bar: Mutex<Option<ProgressBar>>,
}

impl Counter {
    fn new(
        multi: Option<MultiProgress>,
        label: &str,
        template: &'static str,
        hide_single: bool,
    ) -> Counter {
        Counter {
            multi,
            label: label.to_string(),
            template,
            hide_single,
            bar: Mutex::new(None),
        }
    }

    /// One more item done.
    pub fn inc(&self) {
        self.advance(1);
    }

    /// Items done and the total, while the counter is drawn.
    #[cfg(test)]
    fn position(&self) -> Option<(u64, Option<u64>)> {
        let bar = self.bar.lock().ok()?;
        bar.as_ref().map(|bar| (bar.position(), bar.length()))
    }
}

impl CountProgress for Counter {
    fn start(&self, total: u64) {
        let Some(multi) = &self.multi else { return };
        if self.hide_single && total < 2 {
            return;
        }
        let bar = ProgressBar::new(total).with_style(
            ProgressStyle::with_template(self.template)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        // The counter stays above the transfer bars that come and go.
        let bar = multi.insert(0, bar);
        bar.set_message(self.label.clone());
        if let Ok(mut slot) = self.bar.lock()
            && let Some(old) = slot.replace(bar)
        {
            old.finish_and_clear();
        }
    }

    fn advance(&self, done: u64) {
        if let Ok(slot) = self.bar.lock()
            && let Some(bar) = slot.as_ref()
        {
            bar.inc(done);
        }
    }

    fn finish(&self) {
        if let Ok(mut slot) = self.bar.lock()
            && let Some(bar) = slot.take()
        {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Counter {
    fn drop(&mut self) {
        self.finish();
    }
}

impl fmt::Debug for Counter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Counter")
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_made_when_disabled() {
        let bars = Bars::enabled(false, ProgressDrawTarget::hidden());
        assert!(bars.fetch().is_none());
        assert!(bars.history("curl").is_none());
        assert!(bars.package_hook("auditing").is_none());
        let counter = bars.packages("checking", 40);
        counter.inc();
        assert_eq!(counter.position(), None);
    }

    #[test]
    fn the_package_counter_reaches_the_total() {
        let bars = Bars::enabled(true, ProgressDrawTarget::hidden());
        let counter = bars.packages("checking", 3);
        for _ in 0..3 {
            counter.inc();
        }
        assert_eq!(counter.position(), Some((3, Some(3))));
        counter.finish();
        assert_eq!(counter.position(), None);
    }

    #[test]
    fn a_single_package_gets_no_counter() {
        let bars = Bars::enabled(true, ProgressDrawTarget::hidden());
        assert_eq!(bars.packages("checking", 1).position(), None);
    }

    #[test]
    fn transfers_on_parallel_threads_keep_their_own_bars() {
        let transfers = Transfers {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::hidden()),
            bars: Mutex::new(HashMap::new()),
        };
        let started = std::sync::Barrier::new(3);
        let checked = std::sync::Barrier::new(3);
        std::thread::scope(|scope| {
            for bytes in [4, 6] {
                let (transfers, started, checked) = (&transfers, &started, &checked);
                scope.spawn(move || {
                    transfers.start("download x.tar.gz", Some(10));
                    transfers.advance(bytes);
                    started.wait();
                    checked.wait();
                    transfers.finish();
                });
            }
            started.wait();
            let mut done: Vec<u64> = transfers
                .bars
                .lock()
                .unwrap()
                .values()
                .map(ProgressBar::position)
                .collect();
            done.sort_unstable();
            assert_eq!(done, [4, 6]);
            checked.wait();
        });
        assert!(transfers.bars.lock().unwrap().is_empty());
    }
}

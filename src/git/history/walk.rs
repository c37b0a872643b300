//! The patch ids of many commits, computed on the current rayon pool's threads.
//!
//! Each thread keeps one renderer (its repository handle, open packs and cache of resolved objects)
//! for the whole walk and works through its own contiguous segment of the commits, newest
//! first: a commit's parent is usually the next commit, so its trees and the old versions of
//! its files are mostly in that thread's cache already. A thread that finishes early takes
//! blocks from the end of the segment with the most left. (`map_init` would rebuild the state,
//! cold, at every split rayon makes.)

use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::commit_patch::CommitRenderer;
use super::objects::{Packs, is_partial_clone};
use crate::git::{GitError, ObjectId as Oid};
use crate::patch::patch_id::stable_patch_ids;

/// Commits taken at a time.
const BLOCK: usize = 16;

/// What the walk found for one commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Walked {
    /// Its stable patch id (`None` for an empty change).
    Id(Option<String>),
    /// An object its diff needs is not in the repository, which is a partial clone: no id.
    Missing,
}

/// The stable patch id of each of `commits`, in their order. In a partial clone a commit whose
/// diff needs an object the clone lacks is [`Walked::Missing`]; anywhere else a missing object
/// is an error, like any other unreadable one.
pub fn compute_patch_ids(
    git_dir: &Path,
    commits: &[Oid],
    abbrev: u16,
    progress: Option<&(dyn Fn(u64) + Sync)>,
) -> Result<Vec<Walked>, GitError> {
    let packs = Arc::new(Packs::open(git_dir));
    let partial = is_partial_clone(git_dir);
    let workers = rayon::current_num_threads()
        .min(commits.len().div_ceil(BLOCK))
        .max(1);
    let segments = Segments::new(commits.len(), workers);
    let failed = AtomicBool::new(false);
    let outcomes = Mutex::new(Vec::new());
    rayon::scope(|scope| {
        for worker in 0..workers {
            let (segments, failed, outcomes, packs) = (&segments, &failed, &outcomes, &packs);
            scope.spawn(move |_| {
                let outcome = work(
                    git_dir, commits, abbrev, packs, segments, worker, failed, partial, progress,
                );
                if outcome.is_err() {
                    failed.store(true, Ordering::Relaxed);
                }
                outcomes
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .push(outcome);
            });
        }
    });
    let mut ids = vec![Walked::Id(None); commits.len()];
    let outcomes = outcomes
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    for outcome in outcomes {
        for (index, id) in outcome? {
            ids[index] = id;
        }
    }
    Ok(ids)
}

/// One thread's share: blocks of `commits` until none is left (or another thread failed).
#[allow(clippy::too_many_arguments)]
fn work(
    git_dir: &Path,
    commits: &[Oid],
    abbrev: u16,
    packs: &Arc<Packs>,
    segments: &Segments,
    worker: usize,
    failed: &AtomicBool,
    partial: bool,
    progress: Option<&(dyn Fn(u64) + Sync)>,
) -> Result<Vec<(usize, Walked)>, GitError> {
    // Each thread opens its own handle: gix's handles are not shared across threads (built
    // without gix's `parallel` feature).
    let repo = gix::open_opts(git_dir, gix::open::Options::isolated()).map_err(|source| {
        GitError::Open {
            path: git_dir.to_path_buf(),
            source: Box::new(source),
        }
    })?;
    let mut renderer = CommitRenderer::new(repo, packs.clone(), abbrev);
    let mut text = Vec::new();
    let mut done = Vec::new();
    while let Some(block) = segments.next(worker) {
        if failed.load(Ordering::Relaxed) {
            break;
        }
        for index in block {
            let walked = match renderer.render(commits[index], &mut text) {
                Ok(()) => Walked::Id(stable_patch_ids(&text).into_iter().next().map(|(id, _)| id)),
                Err(source) if partial && source.is_missing() => Walked::Missing,
                Err(source) => {
                    return Err(GitError::History {
                        path: git_dir.to_path_buf(),
                        source,
                    });
                }
            };
            done.push((index, walked));
            if let Some(progress) = progress {
                progress(1);
            }
        }
    }
    Ok(done)
}

/// The commits cut into blocks, and the blocks into one contiguous segment per thread. A
/// segment is `front << 32 | back` (block numbers): its owner takes from the front, others
/// from the back.
struct Segments {
    segments: Vec<AtomicU64>,
    len: usize,
}

impl Segments {
    fn new(len: usize, workers: usize) -> Segments {
        let blocks = len.div_ceil(BLOCK) as u64;
        let workers = workers as u64;
        let segments = (0..workers)
            .map(|w| AtomicU64::new((blocks * w / workers) << 32 | (blocks * (w + 1) / workers)))
            .collect();
        Segments { segments, len }
    }

    fn block(&self, block: u64) -> Range<usize> {
        let start = block as usize * BLOCK;
        start..(start + BLOCK).min(self.len)
    }

    /// The next block for `worker`: the front of its own segment, else the back of the
    /// segment with the most blocks left; `None` when all are taken.
    fn next(&self, worker: usize) -> Option<Range<usize>> {
        let own = &self.segments[worker];
        let mut state = own.load(Ordering::Acquire);
        while state >> 32 < state & 0xffff_ffff {
            match own.compare_exchange(
                state,
                state + (1 << 32),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Some(self.block(state >> 32)),
                Err(current) => state = current,
            }
        }
        loop {
            let (victim, state) = self
                .segments
                .iter()
                .map(|segment| (segment, segment.load(Ordering::Acquire)))
                .max_by_key(|(_, state)| (state & 0xffff_ffff).saturating_sub(state >> 32))?;
            if state >> 32 >= state & 0xffff_ffff {
                return None;
            }
            if victim
                .compare_exchange(state, state - 1, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                return Some(self.block((state & 0xffff_ffff) - 1));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_commit_is_taken_once() {
        for (len, workers) in [(0, 1), (1, 1), (100, 3), (1000, 2), (17, 4)] {
            let segments = Segments::new(len, workers);
            let mut taken = vec![0; len];
            // Worker 0 takes its segment, then steals everything else.
            while let Some(block) = segments.next(0) {
                for i in block {
                    taken[i] += 1;
                }
            }
            assert!(
                taken.iter().all(|&n| n == 1),
                "{len} commits, {workers} workers"
            );
        }
    }
}

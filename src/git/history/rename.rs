//! Git's rename pairing (`diffcore-rename.c`, git 2.47, `git log -p` defaults), so that the
//! patch ids of commits that rename files equal git's.
//!
//! The input is a commit's changes in tree order; added files are rename destinations and
//! deleted files are sources. Git pairs them in three rounds, and each is replayed here with
//! git's ties: exact renames by blob id (an unused source first, then one with the same base
//! name, then the first in path order; at most 100 candidates per destination); then pairs
//! whose base names are unique on both sides and score at least 75%; then, unless destinations
//! times sources exceed the rename limit (1000²), the best 4 sources of each destination by
//! similarity (50% at least), all candidates stably sorted by score then base name, taken
//! greedily. Similarity is git's `estimate_similarity`: the bytes of the source's spans that
//! the destination still has, over the larger size (`git_similarity`).

use std::collections::HashMap;

use crate::git::ObjectId as Oid;

use super::objects::ObjectError;

/// Git's `MAX_SCORE`: a similarity of 100%.
pub const MAX_SCORE: u64 = 60000;
/// Git's default `-M` threshold (50%).
const MINIMUM_SCORE: u64 = 30000;
/// The threshold of the base-name round: halfway between the minimum and 100%.
const MINIMUM_BASENAME_SCORE: u64 = MINIMUM_SCORE + (MAX_SCORE - MINIMUM_SCORE) / 2;
/// Git's `diff.renameLimit` default.
const RENAME_LIMIT: usize = 1000;
/// Candidates kept per destination (`NUM_CANDIDATE_PER_DST`).
const CANDIDATES_PER_DESTINATION: usize = 4;

/// One side of a change: a file of a tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Side {
    /// The path from the tree's root.
    pub path: Vec<u8>,
    /// The blob (or, for a submodule, the commit).
    pub id: Oid,
    /// The canonical git mode (`100644`, `100755`, `120000`, `160000`).
    pub mode: u32,
}

/// A file's change between two trees: added (`old` is `None`), deleted (`new` is `None`),
/// modified, or, after rename detection, renamed (different paths, `score` set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub old: Option<Side>,
    pub new: Option<Side>,
    /// The rename's similarity (0 to [`MAX_SCORE`]); 0 for other changes.
    pub score: u64,
}

/// The blob contents rename detection reads.
pub trait BlobSource {
    /// The content of a blob.
    fn blob(&mut self, id: Oid) -> Result<&[u8], ObjectError>;
}

/// Whether a mode is a regular file's.
pub fn is_regular(mode: u32) -> bool {
    mode & 0o170000 == 0o100000
}

/// Pair deleted and added files into renames as git does; the result keeps git's order (a
/// rename takes its destination's place, its source's deletion goes).
pub fn detect_renames(
    changes: Vec<Change>,
    blobs: &mut dyn BlobSource,
) -> Result<Vec<Change>, ObjectError> {
    let destinations: Vec<usize> = (0..changes.len())
        .filter(|&i| changes[i].old.is_none() && changes[i].new.is_some())
        .collect();
    let sources: Vec<usize> = (0..changes.len())
        .filter(|&i| changes[i].old.is_some() && changes[i].new.is_none())
        .collect();
    if destinations.is_empty() || sources.is_empty() {
        return Ok(changes);
    }
    let mut pairing = Pairing {
        changes: &changes,
        destinations: &destinations,
        sources: &sources,
        paired: vec![None; destinations.len()],
        used: vec![false; sources.len()],
        spans: HashMap::new(),
    };
    pairing.exact();
    pairing.by_basename(blobs)?;
    pairing.inexact(blobs)?;
    let Pairing { paired, used, .. } = pairing;

    let mut source_of = HashMap::new();
    for (d, pair) in paired.iter().enumerate() {
        if let Some((s, score)) = pair {
            source_of.insert(destinations[d], (sources[*s], *score));
        }
    }
    let used_changes: std::collections::HashSet<usize> = sources
        .iter()
        .zip(&used)
        .filter(|(_, used)| **used)
        .map(|(i, _)| *i)
        .collect();
    let mut out = Vec::with_capacity(changes.len());
    let mut changes: Vec<Option<Change>> = changes.into_iter().map(Some).collect();
    for i in 0..changes.len() {
        if used_changes.contains(&i) {
            continue;
        }
        if let Some(&(source, score)) = source_of.get(&i) {
            let old = changes[source].as_ref().and_then(|c| c.old.clone());
            if let Some(mut change) = changes[i].take() {
                change.old = old;
                change.score = score;
                out.push(change);
            }
        } else if let Some(change) = changes[i].take() {
            out.push(change);
        }
    }
    Ok(out)
}

/// A candidate pair of the inexact round (`struct diff_score`); `destination` is `None` for
/// an empty slot.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    source: usize,
    destination: Option<usize>,
    score: u64,
    name_score: u8,
}

/// Git's `score_compare`: better first (empty slots last, then higher score, then same
/// base name).
fn score_order(a: &Candidate, b: &Candidate) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a.destination, b.destination) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        _ if a.score == b.score => b.name_score.cmp(&a.name_score),
        _ => b.score.cmp(&a.score),
    }
}

struct Pairing<'a> {
    changes: &'a [Change],
    destinations: &'a [usize],
    sources: &'a [usize],
    /// For each destination: its source (index into `sources`) and score.
    paired: Vec<Option<(usize, u64)>>,
    used: Vec<bool>,
    /// Size and span counts of each blob read so far.
    spans: HashMap<Oid, (u64, Vec<(u32, u64)>)>,
}

impl Pairing<'_> {
    fn source(&self, s: usize) -> &Side {
        self.changes[self.sources[s]]
            .old
            .as_ref()
            .expect("a source has an old side")
    }

    fn destination(&self, d: usize) -> &Side {
        self.changes[self.destinations[d]]
            .new
            .as_ref()
            .expect("a destination has a new side")
    }

    fn record(&mut self, d: usize, s: usize, score: u64) {
        self.paired[d] = Some((s, score));
        self.used[s] = true;
    }

    /// The sources still available, in order (git culls used ones between rounds).
    fn remaining_sources(&self) -> Vec<usize> {
        (0..self.sources.len()).filter(|&s| !self.used[s]).collect()
    }

    /// `find_exact_renames`.
    fn exact(&mut self) {
        let mut by_id: HashMap<Oid, Vec<usize>> = HashMap::new();
        for s in 0..self.sources.len() {
            by_id.entry(self.source(s).id).or_default().push(s);
        }
        for d in 0..self.destinations.len() {
            let target = self.destination(d);
            let Some(candidates) = by_id.get(&target.id) else {
                continue;
            };
            let mut best = None;
            let mut best_score = 0;
            let mut budget = 100;
            for &s in candidates {
                let source = self.source(s);
                if (!is_regular(source.mode) || !is_regular(target.mode))
                    && source.mode != target.mode
                {
                    continue;
                }
                if self.used[s] {
                    continue;
                }
                let score = 1 + u8::from(basename_same(&source.path, &target.path));
                if score > best_score {
                    best = Some(s);
                    best_score = score;
                    if score == 2 {
                        break;
                    }
                }
                budget -= 1;
                if budget == 0 {
                    break;
                }
            }
            if let Some(s) = best {
                self.record(d, s, MAX_SCORE);
            }
        }
    }

    /// `find_basename_matches`: unique base names on both sides, 75% at least.
    fn by_basename(&mut self, blobs: &mut dyn BlobSource) -> Result<(), ObjectError> {
        let remaining = self.remaining_sources();
        let mut source_names: HashMap<&[u8], Option<usize>> = HashMap::new();
        for &s in &remaining {
            source_names
                .entry(basename(&self.source(s).path))
                .and_modify(|v| *v = None)
                .or_insert(Some(s));
        }
        let mut destination_names: HashMap<&[u8], Option<usize>> = HashMap::new();
        for d in 0..self.destinations.len() {
            if self.paired[d].is_none() {
                destination_names
                    .entry(basename(&self.destination(d).path))
                    .and_modify(|v| *v = None)
                    .or_insert(Some(d));
            }
        }
        let mut matches = Vec::new();
        for &s in &remaining {
            let name = basename(&self.source(s).path);
            if let (Some(Some(_)), Some(Some(d))) =
                (source_names.get(name), destination_names.get(name))
            {
                matches.push((s, *d));
            }
        }
        for (s, d) in matches {
            if self.paired[d].is_some() {
                continue;
            }
            let score = self.similarity(s, d, MINIMUM_BASENAME_SCORE, blobs)?;
            if score >= MINIMUM_BASENAME_SCORE {
                self.record(d, s, score);
            }
        }
        Ok(())
    }

    /// The similarity matrix, best 4 per destination, stably sorted, taken greedily.
    fn inexact(&mut self, blobs: &mut dyn BlobSource) -> Result<(), ObjectError> {
        let remaining = self.remaining_sources();
        let open: Vec<usize> = (0..self.destinations.len())
            .filter(|&d| self.paired[d].is_none())
            .collect();
        if open.is_empty() || remaining.is_empty() {
            return Ok(());
        }
        if open.len().saturating_mul(remaining.len()) > RENAME_LIMIT * RENAME_LIMIT {
            return Ok(());
        }
        let empty = Candidate {
            source: 0,
            destination: None,
            score: 0,
            name_score: 0,
        };
        let mut matrix = Vec::with_capacity(open.len() * CANDIDATES_PER_DESTINATION);
        for &d in &open {
            let mut best = [empty; CANDIDATES_PER_DESTINATION];
            for &s in &remaining {
                let candidate = Candidate {
                    source: s,
                    destination: Some(d),
                    score: self.similarity(s, d, MINIMUM_SCORE, blobs)?,
                    name_score: u8::from(basename_same(
                        &self.source(s).path,
                        &self.destination(d).path,
                    )),
                };
                let mut worst = 0;
                for i in 1..CANDIDATES_PER_DESTINATION {
                    if score_order(&best[i], &best[worst]).is_gt() {
                        worst = i;
                    }
                }
                if score_order(&best[worst], &candidate).is_gt() {
                    best[worst] = candidate;
                }
            }
            matrix.extend_from_slice(&best);
        }
        matrix.sort_by(score_order);
        for candidate in matrix {
            let Some(d) = candidate.destination else {
                break;
            };
            if candidate.score < MINIMUM_SCORE {
                break;
            }
            if self.paired[d].is_some() || self.used[candidate.source] {
                continue;
            }
            self.record(d, candidate.source, candidate.score);
        }
        Ok(())
    }

    /// `estimate_similarity`: 0 unless both are regular files of close enough sizes.
    fn similarity(
        &mut self,
        s: usize,
        d: usize,
        minimum: u64,
        blobs: &mut dyn BlobSource,
    ) -> Result<u64, ObjectError> {
        let (source, destination) = (self.source(s).clone(), self.destination(d).clone());
        if !is_regular(source.mode) || !is_regular(destination.mode) {
            return Ok(0);
        }
        for id in [source.id, destination.id] {
            if let std::collections::hash_map::Entry::Vacant(slot) = self.spans.entry(id) {
                let data = blobs.blob(id)?;
                slot.insert((data.len() as u64, span_counts(data)));
            }
        }
        let (source_size, source_spans) = &self.spans[&source.id];
        let (destination_size, destination_spans) = &self.spans[&destination.id];
        let max_size = (*source_size).max(*destination_size);
        let delta_size = max_size - (*source_size).min(*destination_size);
        if max_size * (MAX_SCORE - minimum) < delta_size * MAX_SCORE {
            return Ok(0);
        }
        if *destination_size == 0 {
            return Ok(0);
        }
        let copied = copied_bytes(source_spans, destination_spans);
        Ok(copied * MAX_SCORE / max_size)
    }
}

/// The path after its last `/`.
fn basename(path: &[u8]) -> &[u8] {
    match memchr::memrchr(b'/', path) {
        Some(slash) => &path[slash + 1..],
        None => path,
    }
}

/// Git's `basename_same`.
fn basename_same(a: &[u8], b: &[u8]) -> bool {
    basename(a) == basename(b)
}

/// Git's rename score of `src` → `dst` in percent: the bytes of `src`'s spans (lines, or 64
/// bytes runs) that `dst` still has, over the larger size (`diffcore-delta.c`).
pub fn git_similarity(src: &[u8], dst: &[u8]) -> u64 {
    let max_size = src.len().max(dst.len()) as u64;
    if dst.is_empty() || max_size == 0 {
        return 0;
    }
    let copied = copied_bytes(&span_counts(src), &span_counts(dst));
    copied * MAX_SCORE / max_size * 100 / MAX_SCORE
}

/// The bytes of `source`'s spans that `destination` has too: both are sorted by span hash,
/// so one merge walk (as git's `diffcore_count_changes`).
fn copied_bytes(source: &[(u32, u64)], destination: &[(u32, u64)]) -> u64 {
    let mut copied = 0;
    let mut others = destination.iter().peekable();
    for &(hash, count) in source {
        while others.next_if(|(other, _)| *other < hash).is_some() {}
        if let Some((_, other_count)) = others.next_if(|(other, _)| *other == hash) {
            copied += count.min(*other_count);
        }
    }
    copied
}

/// Byte counts per span hash, as git's `hash_chars`, sorted by hash.
fn span_counts(data: &[u8]) -> Vec<(u32, u64)> {
    const HASHBASE: u32 = 107927;
    let is_text = !data[..data.len().min(8000)].contains(&0);
    let mut spans = Vec::new();
    let (mut accum1, mut accum2, mut n) = (0u32, 0u32, 0u64);
    let mut rest = data;
    while let Some((&c, tail)) = rest.split_first() {
        rest = tail;
        if is_text && c == b'\r' && rest.first() == Some(&b'\n') {
            continue;
        }
        let old1 = accum1;
        accum1 = (accum1 << 7) ^ (accum2 >> 25);
        accum2 = (accum2 << 7) ^ (old1 >> 25);
        accum1 = accum1.wrapping_add(u32::from(c));
        n += 1;
        if n < 64 && c != b'\n' {
            continue;
        }
        let hash = accum1.wrapping_add(accum2.wrapping_mul(0x61)) % HASHBASE;
        spans.push((hash, n));
        (accum1, accum2, n) = (0, 0, 0);
    }
    if n > 0 {
        let hash = accum1.wrapping_add(accum2.wrapping_mul(0x61)) % HASHBASE;
        spans.push((hash, n));
    }
    spans.sort_unstable_by_key(|&(hash, _)| hash);
    spans.dedup_by(|(hash, count), (kept_hash, kept_count)| {
        let same = hash == kept_hash;
        if same {
            *kept_count += *count;
        }
        same
    });
    spans
}

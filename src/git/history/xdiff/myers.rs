//! Git's Myers search (`xdiffi.c`: `xdl_split`): the middle snake of a box of lines, with
//! git's heuristics that settle for a good enough split once the edit cost grows.

use super::{HEURISTIC_MIN_COST, K_HEURISTIC, LINE_MAX, SNAKE_COUNT};

/// Where Myers splits a box, and whether each half must be minimal (`xdpsplit_t`).
pub(super) struct Split {
    pub(super) i1: isize,
    pub(super) i2: isize,
    pub(super) min_low: bool,
    pub(super) min_high: bool,
}

/// The state of `xdl_split`: the classes of the kept lines and the two diagonal vectors (in
/// one buffer, each at its base offset).
pub(super) struct Search<'a> {
    pub(super) ha1: &'a [u32],
    pub(super) ha2: &'a [u32],
    pub(super) kv: &'a mut [isize],
    pub(super) forward: isize,
    pub(super) backward: isize,
    pub(super) max_cost: isize,
}

impl Search<'_> {
    fn f(&self, d: isize) -> isize {
        self.kv[(self.forward + d) as usize]
    }

    fn set_f(&mut self, d: isize, value: isize) {
        self.kv[(self.forward + d) as usize] = value;
    }

    fn b(&self, d: isize) -> isize {
        self.kv[(self.backward + d) as usize]
    }

    fn set_b(&mut self, d: isize, value: isize) {
        self.kv[(self.backward + d) as usize] = value;
    }

    pub(super) fn same(&self, i1: isize, i2: isize) -> bool {
        self.ha1[i1 as usize] == self.ha2[i2 as usize]
    }

    /// `xdl_split`: the middle snake of the box, or a good enough point when the cost grows.
    pub(super) fn split(
        &mut self,
        off1: isize,
        lim1: isize,
        off2: isize,
        lim2: isize,
        need_min: bool,
    ) -> Split {
        let (dmin, dmax) = (off1 - lim2, lim1 - off2);
        let (fmid, bmid) = (off1 - off2, lim1 - lim2);
        let odd = (fmid - bmid) & 1 != 0;
        let (mut fmin, mut fmax) = (fmid, fmid);
        let (mut bmin, mut bmax) = (bmid, bmid);
        self.set_f(fmid, off1);
        self.set_b(bmid, lim1);
        let mut ec = 1;
        loop {
            let mut got_snake = false;
            if fmin > dmin {
                fmin -= 1;
                self.set_f(fmin - 1, -1);
            } else {
                fmin += 1;
            }
            if fmax < dmax {
                fmax += 1;
                self.set_f(fmax + 1, -1);
            } else {
                fmax -= 1;
            }
            let mut d = fmax;
            while d >= fmin {
                let mut i1 = if self.f(d - 1) >= self.f(d + 1) {
                    self.f(d - 1) + 1
                } else {
                    self.f(d + 1)
                };
                let prev1 = i1;
                let mut i2 = i1 - d;
                while i1 < lim1 && i2 < lim2 && self.same(i1, i2) {
                    i1 += 1;
                    i2 += 1;
                }
                if i1 - prev1 > SNAKE_COUNT {
                    got_snake = true;
                }
                self.set_f(d, i1);
                if odd && bmin <= d && d <= bmax && self.b(d) <= i1 {
                    return Split {
                        i1,
                        i2,
                        min_low: true,
                        min_high: true,
                    };
                }
                d -= 2;
            }
            if bmin > dmin {
                bmin -= 1;
                self.set_b(bmin - 1, LINE_MAX);
            } else {
                bmin += 1;
            }
            if bmax < dmax {
                bmax += 1;
                self.set_b(bmax + 1, LINE_MAX);
            } else {
                bmax -= 1;
            }
            let mut d = bmax;
            while d >= bmin {
                let mut i1 = if self.b(d - 1) < self.b(d + 1) {
                    self.b(d - 1)
                } else {
                    self.b(d + 1) - 1
                };
                let prev1 = i1;
                let mut i2 = i1 - d;
                while i1 > off1 && i2 > off2 && self.same(i1 - 1, i2 - 1) {
                    i1 -= 1;
                    i2 -= 1;
                }
                if prev1 - i1 > SNAKE_COUNT {
                    got_snake = true;
                }
                self.set_b(d, i1);
                if !odd && fmin <= d && d <= fmax && i1 <= self.f(d) {
                    return Split {
                        i1,
                        i2,
                        min_low: true,
                        min_high: true,
                    };
                }
                d -= 2;
            }
            if need_min {
                ec += 1;
                continue;
            }
            if got_snake && ec > HEURISTIC_MIN_COST {
                if let Some(split) =
                    self.forward_snake(off1, lim1, off2, lim2, fmin, fmax, fmid, ec)
                {
                    return split;
                }
                if let Some(split) =
                    self.backward_snake(off1, lim1, off2, lim2, bmin, bmax, bmid, ec)
                {
                    return split;
                }
            }
            if ec >= self.max_cost {
                return self.furthest(off1, lim1, off2, lim2, (fmin, fmax), (bmin, bmax));
            }
            ec += 1;
        }
    }

    /// The forward diagonal that got furthest with a snake of `SNAKE_COUNT` lines behind it.
    #[allow(clippy::too_many_arguments)]
    fn forward_snake(
        &self,
        off1: isize,
        lim1: isize,
        off2: isize,
        lim2: isize,
        fmin: isize,
        fmax: isize,
        fmid: isize,
        ec: isize,
    ) -> Option<Split> {
        let mut best = 0;
        let mut found = (0, 0);
        let mut d = fmax;
        while d >= fmin {
            let dd = (d - fmid).abs();
            let i1 = self.f(d);
            let i2 = i1 - d;
            let v = (i1 - off1) + (i2 - off2) - dd;
            if v > K_HEURISTIC * ec
                && v > best
                && off1 + SNAKE_COUNT <= i1
                && i1 < lim1
                && off2 + SNAKE_COUNT <= i2
                && i2 < lim2
            {
                let mut k = 1;
                while self.same(i1 - k, i2 - k) {
                    if k == SNAKE_COUNT {
                        best = v;
                        found = (i1, i2);
                        break;
                    }
                    k += 1;
                }
            }
            d -= 2;
        }
        (best > 0).then_some(Split {
            i1: found.0,
            i2: found.1,
            min_low: true,
            min_high: false,
        })
    }

    /// The backward diagonal that got furthest with a snake of `SNAKE_COUNT` lines ahead.
    #[allow(clippy::too_many_arguments)]
    fn backward_snake(
        &self,
        off1: isize,
        lim1: isize,
        off2: isize,
        lim2: isize,
        bmin: isize,
        bmax: isize,
        bmid: isize,
        ec: isize,
    ) -> Option<Split> {
        let mut best = 0;
        let mut found = (0, 0);
        let mut d = bmax;
        while d >= bmin {
            let dd = (d - bmid).abs();
            let i1 = self.b(d);
            let i2 = i1 - d;
            let v = (lim1 - i1) + (lim2 - i2) - dd;
            if v > K_HEURISTIC * ec
                && v > best
                && off1 < i1
                && i1 <= lim1 - SNAKE_COUNT
                && off2 < i2
                && i2 <= lim2 - SNAKE_COUNT
            {
                let mut k = 0;
                while self.same(i1 + k, i2 + k) {
                    if k == SNAKE_COUNT - 1 {
                        best = v;
                        found = (i1, i2);
                        break;
                    }
                    k += 1;
                }
            }
            d -= 2;
        }
        (best > 0).then_some(Split {
            i1: found.0,
            i2: found.1,
            min_low: false,
            min_high: true,
        })
    }

    /// Too costly: the furthest-reaching path by `i1 + i2`, forward or backward.
    fn furthest(
        &self,
        off1: isize,
        lim1: isize,
        off2: isize,
        lim2: isize,
        (fmin, fmax): (isize, isize),
        (bmin, bmax): (isize, isize),
    ) -> Split {
        let (mut fbest, mut fbest1) = (-1, -1);
        let mut d = fmax;
        while d >= fmin {
            let mut i1 = self.f(d).min(lim1);
            let mut i2 = i1 - d;
            if lim2 < i2 {
                i1 = lim2 + d;
                i2 = lim2;
            }
            if fbest < i1 + i2 {
                fbest = i1 + i2;
                fbest1 = i1;
            }
            d -= 2;
        }
        let (mut bbest, mut bbest1) = (LINE_MAX, LINE_MAX);
        let mut d = bmax;
        while d >= bmin {
            let mut i1 = off1.max(self.b(d));
            let mut i2 = i1 - d;
            if i2 < off2 {
                i1 = off2 + d;
                i2 = off2;
            }
            if i1 + i2 < bbest {
                bbest = i1 + i2;
                bbest1 = i1;
            }
            d -= 2;
        }
        if (lim1 + lim2) - bbest < fbest - (off1 + off2) {
            Split {
                i1: fbest1,
                i2: fbest - fbest1,
                min_low: true,
                min_high: false,
            }
        } else {
            Split {
                i1: bbest1,
                i2: bbest - bbest1,
                min_low: false,
                min_high: true,
            }
        }
    }
}

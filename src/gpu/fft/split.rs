//! Composite lengths with a prime factor above 31 (2018 = 2·1009, 3093 = 3·1031, 8186 = 2·4093):
//! the mixed-radix four-step over sub-plans, `n = n1 · n2` with `n1` the smooth part of `n`
//! (prime factors ≤ 31, at most the workgroup length) and `n2` the rest, whose own plan is
//! Rader's (a prime) or again this one (the smooth part beyond the workgroup length). Bluestein
//! would take such a length through a padded power-of-two convolution (about 4× the memory
//! and three transforms of twice the length); this is two passes.
//!
//! With `x[j1·n2 + j2]` (index `j1` slow), the transform is
//! `X[k1 + n1·k2] = Σ_j2 w_n2^(j2·k2) · w_n^(j2·k1) · Σ_j1 w_n1^(j1·k1) · x[j1·n2 + j2]`:
//! 1. the `n2` lines of `n1` points (stride `n2`): one Stockham pass, the twiddle
//!    `w_n^(j2·k1)` on its store (as four-step's first pass), which writes `Y[j2, k1]` at
//!    `j2·n1 + k1`, i.e. already transposed;
//! 2. the lines of `n2` points along the middle axis of `[outer, n2, n1]` (stride `n1`): the
//!    sub-plan with `inner = n1` (Rader's fused kernel reads any stride), whose output
//!    `X[k1 + n1·k2]` at `k2·n1 + k1` is the natural order. No transpose pass, no twiddle pass.
//!
//! The other order (Rader's lines first, the smooth Stockham pass second with its transposed
//! store) needs the twiddle between them, which neither kernel applies: a third pass. Light
//! passes are not free on lavapipe: a bare 2-point pass over 2018 × 512 points took 18 ms,
//! Rader's lines of 1009 × 1024 38 ms.
//!
//! Along a middle axis each index above is times `inner`: step 1 reads and writes whole
//! `inner`-blocks, step 2 runs with `inner = n1 · inner`.

use std::sync::Arc;

use crate::error::Result;
use crate::gpu::array::GpuArray;
use crate::gpu::context::Gpu;
use crate::gpu::pool::PooledBuffer;

use super::long;
use super::plan::{
    Big, ODD_RADICES, Plan, PlanKind, capacity, four_step_table, plan, radices, table,
};
use super::rader::Rader;
use super::stockham::{Lines, MAX_RADIX, Stockham, passes};

/// A composite length's transform as a Stockham pass and a sub-plan, with its tables.
pub(crate) struct Split {
    /// The smooth factor (the Stockham pass' length).
    pub(crate) n1: usize,
    /// The other factor (the sub-plan's length).
    pub(crate) n2: usize,
    /// `w_n1^e`, then the two-level table of `w_n^e` (see [`Big`]).
    twiddles: wgpu::Buffer,
    big: Big,
    sub: Arc<Plan>,
}

/// `(n1, n2)` of `n` when it takes this route: a prime factor above 31 (not smooth), a smooth
/// factor above 1, a line within a binding (step 1 reads whole lines), and, once the smooth
/// part is taken out, a prime that takes Rader's route. `n1` is the whole smooth part when it
/// fits the workgroup (two passes), else its largest divisor that does (`n2` splits again).
/// Other such lengths (two primes above 31, or a prime beyond Rader's reach) take Bluestein.
pub(crate) fn factors(gpu: &Gpu, n: usize) -> Option<(usize, usize)> {
    if n < 2 || radices(n).is_some() || long::too_long(gpu, n) {
        return None;
    }
    let mut rest = n;
    for p in std::iter::once(2).chain(ODD_RADICES) {
        while rest % p == 0 {
            rest /= p;
        }
    }
    let smooth = n / rest;
    if smooth == 1 || !Rader::takes(gpu, rest) {
        return None;
    }
    let cap = capacity(gpu);
    let n1 = (1..=smooth.min(cap))
        .rev()
        .find(|&d| smooth % d == 0)
        .expect("1 divides the smooth part");
    Some((n1, n / n1))
}

impl Split {
    /// The plan of `n = n1 · n2` ([`factors`]).
    pub(crate) fn new(gpu: &Gpu, (n1, n2): (usize, usize)) -> Result<Split> {
        let (t1, big) = four_step_table(n1 * n2, n1);
        Ok(Split {
            n1,
            n2,
            twiddles: table(gpu, "fft twiddles", &t1)?,
            big,
            sub: plan(gpu, PlanKind::Complex, n2)?,
        })
    }

    /// [`Plan::run`] for this length: every line along the middle axis of `[outer, n, inner]`
    /// in `src` (spanning at most a binding: `Plan::run` moves longer ones), into a new buffer.
    pub(crate) fn run(
        &self,
        gpu: &Gpu,
        src: &wgpu::Buffer,
        outer: usize,
        inner: usize,
        inverse: bool,
        scale: f32,
    ) -> Result<PooledBuffer> {
        let (n1, n2) = (self.n1, self.n2);
        let n = n1 * n2;
        let tmp = gpu.buffer((outer * n * inner * 8) as u64, GpuArray::USAGE)?;
        // Line (o, j2, i) reads x[o, j1·n2 + j2, i] over j1 and writes Y at [o, j2·n1 + k1, i].
        let lines = Lines {
            batch: outer * n2 * inner,
            d1: n2,
            d2: inner,
            src: [n * inner, inner, 1, n2 * inner],
            dst: [n * inner, n1 * inner, 1, inner],
            scale: 1.0,
            inverse,
        };
        // A line of one pass (n1 ≤ 16, or a prime up to 31) is one butterfly: consecutive
        // invocations take consecutive lines either way, and the contiguous-line kernel packs
        // 1024 points per workgroup where the interleaved one takes 16 lines (32 points for
        // n1 = 2): 10–35 % faster over the whole transform on lavapipe. Longer lines keep
        // four-step's interleaved kernel (coalesced strided reads on GPUs).
        let interleaved = passes(n1, MAX_RADIX).is_some_and(|p| p.len() > 1);
        Stockham::new(gpu, n1, Some(self.big), interleaved).dispatch(
            gpu,
            &self.twiddles,
            src,
            tmp.buffer(),
            &lines,
        )?;
        let out = self
            .sub
            .run(gpu, tmp.buffer(), outer, n1 * inner, inverse, scale)?;
        Ok(out)
    }
}

//! The FFT's peak memory, worked out before any work: the buffers a transform holds at once
//! at its largest step, checked by [`budget::check`] (every buffer within `max_buffer_size`;
//! on a CPU adapter, all of them within the host's available memory). A transform that cannot
//! fit is an [`Error::OutOfMemory`](crate::Error::OutOfMemory) naming them, with no dispatch
//! and no plan made.
//!
//! The model follows the plans (`plan.rs`, `long.rs`, `split.rs`) and the per-axis steps
//! (`mod.rs`): a step holds the array it transforms and the plan's work arrays for it, output
//! included; the caller's input stays alive throughout. It is an upper bound of what the pool
//! holds at once (a buffer is counted from its allocation to the end of the plan step that
//! drops it).

use crate::error::Result;
use crate::gpu::array::GpuArray;
use crate::gpu::budget;
use crate::gpu::context::Gpu;

use super::long;
use super::plan::{capacity, four_step_split, radices};
use super::split;

/// The work arrays (bytes, output included) of the complex transform of the `outer · inner`
/// lines of `n` points along the middle axis of `[outer, n, inner]`, at their peak.
pub(crate) fn line_work(gpu: &Gpu, n: usize, outer: usize, inner: usize) -> Vec<u64> {
    let bytes = |count: usize| (count as u64).saturating_mul(8);
    let size = bytes(outer.saturating_mul(n).saturating_mul(inner));
    let then = |first: u64, rest: Vec<u64>| [vec![first], rest].concat();
    if size > gpu.info().max_buffer_size {
        // The check refuses this array itself: nothing further to model (and no padded length
        // to work out, which could overflow for such n).
        return vec![size];
    }
    if radices(n).is_some() {
        if n <= capacity(gpu) {
            return vec![size];
        }
        let cap = capacity(gpu);
        if four_step_split(n, cap).is_some() && !long::too_long(gpu, n) {
            // Four-step: the intermediate and the output.
            return vec![size, size];
        }
        let lines = outer.saturating_mul(inner);
        if inner > 1 {
            // A copy with the axis last, then its transform.
            return then(size, line_work(gpu, n, lines, 1));
        }
        // Six-step: a transposed copy beside the n1-point output, then the second transpose
        // beside the sub-plan's work (which is at least the size of its output).
        let n1 = long::split(n, cap, None).min(n);
        return then(size, line_work(gpu, n / n1, outer.saturating_mul(n1), 1));
    }
    if let Some((n1, n2)) = split::factors(gpu, n) {
        if inner > 1 && long::too_long(gpu, n.saturating_mul(inner)) {
            return then(size, line_work(gpu, n, outer.saturating_mul(inner), 1));
        }
        // The Stockham pass' output beside the sub-plan's work on it.
        return then(size, line_work(gpu, n2, outer, n1.saturating_mul(inner)));
    }
    // Bluestein: padded lines of m beside their transform's work. Rader's plan (primes) has
    // the same buffers with a padded length no larger (p − 1, or smooth ≥ 2p − 3), so this
    // bounds it too.
    let m = n.saturating_mul(2).saturating_sub(1).next_power_of_two();
    let lines = outer.saturating_mul(inner);
    if inner > 1 && long::too_long(gpu, m.saturating_mul(inner)) {
        return then(size, line_work(gpu, n, lines, 1));
    }
    then(bytes(lines.saturating_mul(m)), line_work(gpu, m, lines, 1))
}

/// The peak of a transform: `input` (bytes of the caller's array), then each step's live
/// arrays (the array it transforms, then its work arrays); the step with the largest total
/// is the peak.
pub(crate) struct Peak {
    input: u64,
    worst: Vec<u64>,
}

impl Peak {
    pub(crate) fn new(input: u64) -> Peak {
        Peak {
            input,
            worst: vec![],
        }
    }

    /// A step holding `buffers` at once.
    pub(crate) fn step(&mut self, buffers: Vec<u64>) {
        let total = |b: &[u64]| b.iter().fold(0u64, |t, &x| t.saturating_add(x));
        if total(&buffers) > total(&self.worst) {
            self.worst = buffers;
        }
    }

    /// The complex transform along the middle axis of `[outer, n, inner]`, held as `held`
    /// bytes.
    pub(crate) fn axis(&mut self, gpu: &Gpu, held: u64, (outer, n, inner): (usize, usize, usize)) {
        self.step([vec![held], line_work(gpu, n, outer, inner)].concat());
    }

    /// [`budget::check`] of the peak, naming `what` and the buffers.
    pub(crate) fn check(&self, gpu: &Gpu, what: &str) -> Result<()> {
        let buffers = [vec![self.input], self.worst.clone()].concat();
        budget::check(
            gpu,
            &format!("{what} (buffers of {buffers:?} bytes at its peak)"),
            &buffers,
        )
    }
}

/// `(outer, n, inner)` of `shape` around `axis`.
fn around(shape: &[usize], axis: usize) -> (usize, usize, usize) {
    let product = |s: &[usize]| s.iter().fold(1usize, |p, &x| p.saturating_mul(x));
    (
        product(&shape[..axis]),
        shape[axis],
        product(&shape[axis + 1..]),
    )
}

fn count(shape: &[usize]) -> u64 {
    shape.iter().fold(1u64, |p, &x| p.saturating_mul(x as u64))
}

/// The bytes of the caller's array that stay alive (none for a lazy or broadcast one, which
/// holds no buffer of its size).
fn input_bytes(a: &GpuArray) -> u64 {
    if a.is_lazy() || a.strides().contains(&0) {
        return 0;
    }
    (a.len() as u64).saturating_mul(a.dtype().itemsize() as u64)
}

impl Peak {
    /// The complex transform of an array of `shape` (its lengths already cropped or padded)
    /// along each of `axes`, from the last; a step along a leading axis whose lines span
    /// nearly a binding works on a copy with that axis last (`c2c_axis`).
    fn complex_axes(&mut self, gpu: &Gpu, shape: &[usize], axes: &[usize]) {
        let held = count(shape).saturating_mul(8);
        for &ax in axes.iter().rev() {
            let (outer, n, inner) = around(shape, ax);
            if inner > 1 && long::too_long(gpu, n.saturating_mul(inner)) {
                let lines = outer.saturating_mul(inner);
                self.step([vec![held, held], line_work(gpu, n, lines, 1)].concat());
            } else {
                self.axis(gpu, held, (outer, n, inner));
            }
        }
    }
}

impl Peak {
    /// The real step along the middle axis of `[outer, n, inner]` (`n` real points) beside
    /// `held`, to an output of `out` bytes: the half-length route, the paired one, or the
    /// complex one (a complex copy of the real data, or the Hermitian extension).
    fn real_step(
        &mut self,
        gpu: &Gpu,
        held: Vec<u64>,
        (outer, n, inner): (usize, usize, usize),
        out: u64,
    ) {
        let half = n / 2;
        let with = |rest: Vec<u64>| [held.clone(), rest].concat();
        if inner == 1 && n % 2 == 0 && !long::too_long(gpu, half + 1) {
            // The half-length transform, and the real pass before or after it.
            let split = (outer as u64).saturating_mul(8 * half as u64);
            self.step(with([vec![split], line_work(gpu, half, outer, 1)].concat()));
        } else if super::pair_fits(gpu, n, inner) {
            // The complex lines (packed or merged), their transform, then the split or unpack.
            let (lines, h) = super::pair_layout(outer, inner);
            let z = (lines as u64)
                .saturating_mul(n as u64)
                .saturating_mul(8 * h as u64);
            self.step(with([vec![z], line_work(gpu, n, lines, h)].concat()));
            self.step(with(vec![z, out]));
        } else {
            let full = (outer as u64)
                .saturating_mul(n as u64)
                .saturating_mul(inner as u64)
                .saturating_mul(8);
            self.step(with([vec![full], line_work(gpu, n, outer, inner)].concat()));
        }
    }
}

/// The shape after cropping or padding `axes` to `lens`.
fn resized(shape: &[usize], axes: &[usize], lens: &[usize]) -> Vec<usize> {
    let mut s = shape.to_vec();
    for (&ax, &len) in axes.iter().zip(lens) {
        s[ax] = len;
    }
    s
}

/// Checks the peak of a complex transform of `a` over `axes` (lengths `lens`).
pub(crate) fn check_complex(a: &GpuArray, axes: &[usize], lens: &[usize]) -> Result<()> {
    let shape = resized(a.shape(), axes, lens);
    let mut peak = Peak::new(input_bytes(a));
    peak.complex_axes(a.gpu(), &shape, axes);
    peak.check(a.gpu(), &format!("an FFT of shape {shape:?}"))
}

/// Checks the peak of a real transform of `a` over `axes` (lengths `lens`; for the inverse,
/// the last is the real output length): the real step along the last axis, the complex ones
/// along the others.
pub(crate) fn check_real(
    a: &GpuArray,
    axes: &[usize],
    lens: &[usize],
    inverse: bool,
) -> Result<()> {
    let gpu = a.gpu();
    let (Some(&last), Some(&n)) = (axes.last(), lens.last()) else {
        return Ok(());
    };
    let real_shape = resized(a.shape(), axes, lens);
    let mut complex_shape = real_shape.clone();
    complex_shape[last] = n / 2 + 1;
    let mut peak = Peak::new(input_bytes(a));
    let (outer, _, inner) = around(&real_shape, last);
    let (reals, complexes) = (count(&real_shape), count(&complex_shape));
    let (held, out) = if inverse {
        (complexes.saturating_mul(8), reals.saturating_mul(4))
    } else {
        (reals.saturating_mul(4), complexes.saturating_mul(8))
    };
    if inner > 1 && !super::pair_fits(gpu, n, inner) {
        // The lines moved last by a copy (`along_last`), transformed, and moved back.
        let lines = outer.saturating_mul(inner);
        peak.real_step(gpu, vec![held, held], (lines, n, 1), out);
        peak.step(vec![held, out, out]);
    } else {
        peak.real_step(gpu, vec![held], (outer, n, inner), out);
    }
    let others = &axes[..axes.len() - 1];
    peak.complex_axes(gpu, &complex_shape, others);
    let what = if inverse {
        "an inverse real FFT"
    } else {
        "a real FFT"
    };
    peak.check(gpu, &format!("{what} of shape {real_shape:?}"))
}

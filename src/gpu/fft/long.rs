//! Lines longer than one storage binding: the six-step transform, whose passes read and write
//! whole short lines (each within a binding window) and move data between them by transposes.
//!
//! With `n = n1 · n2` and `x[j1·n2 + j2]` (index `j1` slow), the transform is
//! `X[k1 + n1·k2] = Σ_j2 w_n2^(j2·k2) · w_n^(j2·k1) · Σ_j1 w_n1^(j1·k1) · x[j1·n2 + j2]`:
//! 1. transpose `[n1, n2]` to `[n2, n1]`: the `j1` runs become contiguous lines;
//! 2. transform those `n2` lines of `n1` points, times the twiddle `w_n^(j2·k1)` on their store
//!    (one Stockham pass: `n1` fits the workgroup);
//! 3. transpose `[n2, n1]` to `[n1, n2]`;
//! 4. transform the `n1` lines of `n2` points: any plan of that length, itself six-step when
//!    `n2` is longer than a binding (the recursive split above `cap²` points);
//! 5. transpose `[n1, n2]` to `[n2, n1]`: `X` in natural order.
//!
//! The transposes go through 16 × 16 tiles in workgroup memory (`shaders/transpose.wgsl`), in
//! blocks of rows and columns whose windows fit a binding (about `(bytes / binding)²`
//! dispatches), so every pass fits the binding; the array need only fit `max_buffer_size`. The per-line arithmetic of steps 2 and 4
//! is that of [`Plan::FourStep`] for the same split, so where both apply (lengths up to `cap²`)
//! the results are bit-identical: a line too long for one context's binding gives the same
//! answer as on a context whose binding holds it.

use std::sync::Arc;

use crate::error::Result;
use crate::gpu::array::GpuArray;
use crate::gpu::context::Gpu;
use crate::gpu::kernels::{Mode, Source, binding as binding_of, convert, submit_once};
use crate::gpu::pool::PooledBuffer;
use crate::view::dtype::Dtype;
use crate::view::layout::Layout;

use super::plan::{Big, Plan};
use super::stockham::{Lines, Stockham};

const TRANSPOSE_WGSL: &str = include_str!("../../../shaders/transpose.wgsl");

/// Whether lines of `len` complex64 points are too long for the passes that bind whole lines
/// (four-step's strided passes, the real transforms' helper passes): they must take the
/// six-step route. An eighth of the binding is left for alignment and neighbouring lines.
pub(crate) fn too_long(gpu: &Gpu, len: usize) -> bool {
    let binding = gpu.binding();
    (len as u64).saturating_mul(8) > binding - binding / 8
}

/// The split `n = n1 · n2` of a long line: four-step's balanced one when both halves fit the
/// workgroup (`cap` points), else the largest `n1 ≤ cap` (step 2 is then one Stockham pass and
/// `n2` recurses).
pub(crate) fn split(n: usize, cap: usize, balanced: Option<usize>) -> usize {
    balanced.unwrap_or_else(|| {
        (1..=cap.min(n))
            .rev()
            .find(|&n1| n % n1 == 0)
            .expect("1 divides n")
    })
}

/// A copy of the C-contiguous complex64 `[outer, a, b]` in `src` as `[outer, b, a]`: tiles
/// through workgroup memory (`shaders/transpose.wgsl`) in blocks whose windows fit a binding,
/// or, where no block fits (rows longer than a binding), the crate's strided copy.
fn transpose(
    gpu: &Gpu,
    src: &wgpu::Buffer,
    outer: usize,
    a: usize,
    b: usize,
) -> Result<PooledBuffer> {
    let (o, a, b) = (outer as u64, a as u64, b as u64);
    let plane = a * b;
    let binding = gpu.binding();
    let align = (gpu.inner.limits.min_storage_buffer_offset_alignment as u64).max(16);
    let room = (binding - 2 * align) / 8;
    let max_groups = gpu.inner.limits.max_compute_workgroups_per_dimension as u64;
    // Whole planes per dispatch when one fits; else blocks of 16-row (column) multiples.
    let (planes, rows, cols) = if plane <= room {
        ((room / plane).min(o), a, b)
    } else {
        let fit = |len: u64| (room / len.max(1)) / 16 * 16;
        (1, fit(b).min(a), fit(a).min(b))
    };
    let tiles_y = rows.div_ceil(16).max(1);
    let planes = planes.min(max_groups / tiles_y);
    if rows == 0 || cols == 0 || planes == 0 || cols.div_ceil(16) > max_groups {
        let layout = Layout::new(
            vec![outer, b as usize, a as usize],
            vec![plane as isize, 1, b as isize],
            0,
        );
        let source = Source {
            buffer: src,
            dtype: Dtype::C64,
            swap: false,
            layout: &layout,
        };
        return Ok(convert(gpu, source, Dtype::C64, Mode::Cast)?.into_buffer());
    }
    let dst = gpu.buffer((o * plane * 8).max(8), GpuArray::USAGE)?;
    let module = gpu.module("transpose.wgsl", TRANSPOSE_WGSL)?;
    let pipeline = gpu.pipeline("fft transpose", &module, &[])?;
    // The aligned window of elements [first, end) of `buffer`, and its first element.
    let window = |buffer: &wgpu::Buffer, first: u64, end: u64| {
        let start = first * 8 / align * align;
        ((start, (end * 8).min(buffer.size())), start / 8)
    };
    let mut o0 = 0;
    while o0 < o {
        let o1 = (o0 + planes).min(o);
        for i0 in (0..a).step_by(rows as usize) {
            let i1 = (i0 + rows).min(a);
            for j0 in (0..b).step_by(cols as usize) {
                let j1 = (j0 + cols).min(b);
                let last = (o1 - 1) * plane;
                let (s, s_first) = window(src, o0 * plane + i0 * b + j0, last + (i1 - 1) * b + j1);
                let (d, d_first) = window(
                    dst.buffer(),
                    o0 * plane + j0 * a + i0,
                    last + (j1 - 1) * a + i1,
                );
                let p = [a, b, i0, i1, j0, j1, s_first, d_first, o0, tiles_y].map(|v| v as u32);
                let params = gpu.replayed_params(&p)?;
                submit_once(
                    gpu,
                    "transposing FFT lines",
                    &pipeline,
                    &[
                        binding_of(src, s.0, s.1 - s.0),
                        binding_of(dst.buffer(), d.0, d.1 - d.0),
                        params.binding(),
                    ],
                    ((j1 - j0).div_ceil(16) as u32, ((o1 - o0) * tiles_y) as u32),
                    |_| {},
                )?;
            }
        }
        o0 = o1;
    }
    Ok(dst)
}

/// The six-step transform of the `outer` C-contiguous lines of `n1 · n2` points in `src`
/// (steps in the module docs), times `scale`; `twiddles` is `w_n1^e` followed by `big`'s
/// table, `sub` the plan of length `n2`.
pub(crate) fn run(
    gpu: &Gpu,
    (n1, twiddles, big): (usize, &wgpu::Buffer, Big),
    sub: &Arc<Plan>,
    src: &wgpu::Buffer,
    outer: usize,
    inverse: bool,
    scale: f32,
) -> Result<PooledBuffer> {
    let n = big.n;
    let n2 = n / n1;
    // 1. Columns to rows.
    let a = transpose(gpu, src, outer, n1, n2)?;
    // 2. The n2 lines of n1 points (row j2), times w_n^(j2·k1) on the store.
    let b = gpu.buffer((outer * n * 8) as u64, GpuArray::USAGE)?;
    let strides = [n, n1, 1, 1];
    let lines = Lines {
        batch: outer * n2,
        d1: n2,
        d2: 1,
        src: strides,
        dst: strides,
        scale: 1.0,
        inverse,
    };
    Stockham::new(gpu, n1, Some(big), false).dispatch(
        gpu,
        twiddles,
        a.buffer(),
        b.buffer(),
        &lines,
    )?;
    drop(a);
    // 3. Back to [n1, n2]; 4. the n1 lines of n2 points; 5. to natural order.
    let c = transpose(gpu, b.buffer(), outer, n2, n1)?;
    drop(b);
    let d = sub.run(gpu, c.buffer(), outer * n1, 1, inverse, scale)?;
    drop(c);
    transpose(gpu, d.buffer(), outer, n1, n2)
}

/// The transform of the lines along the middle axis of the C-contiguous `[outer, n, inner]`
/// in `src` through a copy with that axis last (for plans whose lines, `inner` apart, would
/// span more than a binding), and back.
pub(crate) fn along_a_copy(
    gpu: &Gpu,
    plan: &Plan,
    src: &wgpu::Buffer,
    (outer, n, inner): (usize, usize, usize),
    inverse: bool,
    scale: f32,
) -> Result<PooledBuffer> {
    let moved = transpose(gpu, src, outer, n, inner)?;
    let y = plan.run(gpu, moved.buffer(), outer * inner, 1, inverse, scale)?;
    drop(moved);
    transpose(gpu, y.buffer(), outer, inner, n)
}

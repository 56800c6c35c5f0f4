//! Box blur by running sums (`shaders/boxsum.wgsl`): the work per pixel does not grow with the
//! radius.
//!
//! Two passes over a C-contiguous `[h, w, c]` image, the vertical one reading the image in its
//! own type (`u8`, `u16` or `f32`), the horizontal one its `f32` result; an integer image is
//! rounded back by `from_unit_float` (one elementwise pass). Each invocation of a pass computes
//! a segment of `seg` consecutive outputs of a line: it sums the first window (`2r + 1` loads),
//! then moves it along, one value in and one out per output (two loads), so a pass costs about
//! `2 + (2r + 1) / seg` loads per output. With `seg = max(SEGMENT, 2r + 1)` that is at most 3.
//!
//! **Error.** A segment's running sum is restarted from scratch, so each mean has gone through
//! at most `2r + 2·seg` f32 additions of partial sums no larger than `(2r + 1)·max|x|`: its
//! error is at most `(2r + 2·seg + 1)·ε·max|x|` per pass (ε = 2⁻²⁴), against `(2r + 1)·ε·max|x|`
//! for a direct sum. Measured errors are far smaller (the bound adds every rounding error with
//! the same sign); `tests/filters_spatial.rs` checks against the bound for both passes.
//!
//! Used by [`box_blur`](super::box_blur) from [`RUNNING_MIN_RADIUS`] on, where the window is
//! no wider than the image along either axis (no folding of the window) and the image and its
//! `f32` result each fit one storage binding; elsewhere the blur runs the direct kernel.

use super::{Border, from_float};
use crate::error::Result;
use crate::gpu::array::GpuArray;
use crate::gpu::kernels::{groups_2d, submit_once};
use crate::view::dtype::Dtype;
use crate::view::layout::{Layout, Order};

const BOXSUM_WGSL: &str = concat!(
    include_str!("../../shaders/common.wgsl"),
    include_str!("../../shaders/boxsum.wgsl"),
);
/// Invocations per workgroup of `shaders/boxsum.wgsl`.
const WORKGROUP: u64 = 64;
/// The fewest outputs a segment of a line computes from one full window sum.
pub const SEGMENT: usize = 32;

/// The radius from which [`box_blur`](super::box_blur) runs by running sums (a window of 45
/// taps). Measured with `FILTERS_BENCH=box cargo bench --bench filters` on lavapipe (2 cores,
/// load 1.5–2), 2048 × 2048 RGB u8, in one run: the running sums took 300–313 ms at every radius
/// from 16 to 128; the direct kernel with as many taps 212, 273 and 328 ms at radius 16, 20 and
/// 24 (about 14 ms more a radius), so running sums win from about radius 22.
pub const RUNNING_MIN_RADIUS: usize = 22;

/// Outputs per segment for radius `r`: enough that the first window's loads are at most one per
/// output.
pub(crate) fn segment(r: usize) -> usize {
    SEGMENT.max(2 * r + 1)
}

/// The box blur of radius `radius` of the C-contiguous-able image `image` (`[h, w]` or
/// `[h, w, c]` of `u8`, `u16` or `f32`) as `[h, w, c]` of `out`, or `None` where the running
/// sums do not apply here (the image or its `f32` result larger than one storage binding).
pub(crate) fn box_blur(
    image: &GpuArray,
    radius: usize,
    border: Border,
    out: Dtype,
) -> Result<Option<GpuArray>> {
    let gpu = image.gpu();
    let s = image.shape();
    let (h, w, c) = (s[0], s[1], if s.len() == 3 { s[2] } else { 1 });
    let n = h * w * c;
    let f32_bytes = (n as u64 * 4).max(4);
    if f32_bytes > gpu.binding() || n >= u32::MAX as usize / 2 {
        return Ok(None);
    }
    let x = image.contiguous()?;
    if x.storage()?.buffer().size() > gpu.binding() {
        return Ok(None);
    }
    let (mode, cval) = border.code();
    let row = w * c;
    let seg = segment(radius);
    // (input, lines, length, per, jump, step) of the vertical then the horizontal pass.
    let vertical = pass(&x, [row, h, row, 0, row], (radius, seg), (mode, cval))?;
    let horizontal = pass(
        &vertical,
        [h * c, w, c, row, c],
        (radius, seg),
        (mode, cval),
    )?;
    let result = horizontal.reshape(&[h as isize, w as isize, c as isize])?;
    Ok(Some(from_float(&result, out)?))
}

/// One pass over the C-contiguous image `x`: lines `[lines, len, per, jump, step]` (see the
/// shader), as a flat `f32` array of the same number of elements.
fn pass(
    x: &GpuArray,
    [lines, len, per, jump, step]: [usize; 5],
    (radius, seg): (usize, usize),
    (mode, cval): (u32, f32),
) -> Result<GpuArray> {
    let gpu = x.gpu();
    let n = x.len();
    let buffer = gpu.buffer((n as u64 * 4).max(4), GpuArray::USAGE)?;
    let layout = Layout::contiguous(&[n], 1, Order::C)?;
    let result = GpuArray::from_parts(gpu.clone(), buffer, Dtype::F32, layout);
    if n == 0 {
        return Ok(result);
    }
    let module = gpu.module("boxsum.wgsl", BOXSUM_WGSL)?;
    let in_size = x.dtype().itemsize();
    let pipeline = gpu.pipeline(
        &format!("boxsum in {in_size}"),
        &module,
        &[("IN", in_size as f64)],
    )?;
    let invocations = (lines * len.div_ceil(seg)) as u64;
    let groups = groups_2d(invocations.div_ceil(WORKGROUP));
    // The radius is at most the line's length (no folding), so every count fits 32 bits.
    let params: [u32; 12] = [
        groups.0,
        lines as u32,
        len as u32,
        seg as u32,
        per as u32,
        jump as u32,
        step as u32,
        radius as u32,
        mode,
        cval.to_bits(),
        (1.0 / (2 * radius + 1) as f32).to_bits(),
        x.offset() as u32,
    ];
    let params = gpu.params(&params)?;
    submit_once(
        gpu,
        "running a box blur pass",
        &pipeline,
        &[
            x.storage()?.buffer().as_entire_binding(),
            result.storage()?.buffer().as_entire_binding(),
            params.binding(),
        ],
        groups,
        |_| {},
    )?;
    Ok(result)
}

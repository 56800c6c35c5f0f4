//! The edge taper's blur in the border bands only (`shaders/taper.wgsl`), by two direct passes
//! of 1-D kernels, instead of a 2-D FFT round trip of the whole image.
//!
//! [`taper_edges`](super::taper_edges) blends the image into a periodically blurred copy with
//! the weight `r(i)·r(j)`, which is 1 everywhere but within `width` pixels of an edge, so the
//! blurred copy is needed only there: in a 2048² image with a 19-pixel taper, 7 % of the pixels.
//!
//! **The same blur as the FFT.** The FFT definition multiplies the spectrum by the sampled
//! Gaussian transfer function `exp(−2π²σ²(fy² + fx²))`, a product of one factor per axis, so
//! the blur is separable: a periodic convolution along the rows with the 1-D kernel
//! `g_w = ifft(exp(−2π²σ² fx²))` of the row length, and along the columns with `g_h`. These
//! kernels are computed on the host in f64 (rustfft, `O(n log n)`), cut where the weight left
//! out, summed over both sides, is at most [`TAIL`], and folded onto at most `n` taps. So the
//! blurred copy differs from the exact f64 FFT definition by at most
//! `(2·TAIL + (lx + ly)·ε)·max|x|` (`lx`, `ly` the taps, ε = 2⁻²⁴ the f32 rounding of each
//! product and sum), and the tapered image by that plus a few ε: about 4e-6 for σ = 4.75
//! (55 taps a pass), against about 1e-6 for the f32 FFTs.
//!
//! **Cost.** Pass 1 computes the horizontal blur at the rows within `width + ry` of the top or
//! bottom and, in the other rows, at the band columns; pass 2 the vertical blur and the blend
//! at the band pixels, in place in a copy of the image (a buffer copy, or the image itself when
//! it was made for this call). Each invocation computes a run of [`RUN`] = 16 consecutive
//! positions along its pass's axis with a sliding window of inputs (see `shaders/taper.wgsl`):
//! `RUN − 1 + 2l` storage accesses for the run (`l` taps, each an input and a weight), about
//! 7.8 a position for `l = 55`, where one position per invocation took `2l` = 110. On lavapipe,
//! where every access costs about the same and arithmetic is nearly free, that took the taper
//! of a 2048² RGB image from about 930 ms to about 100 ms (load average about 6).
//!
//! Used where one image plane fits a storage binding (all planes at once where they fit one
//! together); elsewhere the taper runs the FFT round trip.

use rustfft::FftPlanner;
use rustfft::num_complex::Complex64;

use crate::error::Result;
use crate::gpu::array::GpuArray;
use crate::gpu::kernels::{binding, copy_buffers, groups_2d, storage_with, submit_once};
use crate::view::dtype::Dtype;
use crate::view::layout::{Layout, Order};

const TAPER_WGSL: &str = include_str!("../../../shaders/taper.wgsl");
/// Invocations per workgroup of `shaders/taper.wgsl`.
const WORKGROUP: u64 = 64;
/// Positions one invocation of `shaders/taper.wgsl` computes: a run along the pass's axis.
const RUN: usize = 16;

/// The four rectangles of a plane that pass `pass` (1: along rows, 2: down columns) of
/// `shaders/taper.wgsl` computes, each as `[i0, j0, rows, cols, runs per line, first
/// invocation]`, and the invocations per plane: the first `top` and last `bottom` rows (every
/// column), then the left and right `width` columns of the rows between. A line is a row of a
/// rectangle in pass 1, a column in pass 2; it is cut into runs of [`RUN`] positions.
fn regions(
    pass: u32,
    (h, w): (usize, usize),
    width: usize,
    (top, bottom): (usize, usize),
) -> ([[u32; 6]; 4], u32) {
    let middle = h - top - bottom;
    let rects = [
        (0, 0, top, w),
        (h - bottom, 0, bottom, w),
        (top, 0, middle, width),
        (top, w - width, middle, width),
    ];
    let mut start = 0usize;
    let regions = rects.map(|(i0, j0, rows, cols)| {
        let (lines, extent) = if pass == 1 {
            (rows, cols)
        } else {
            (cols, rows)
        };
        let runs = extent.div_ceil(RUN);
        let region = [i0, j0, rows, cols, runs, start].map(|v| v as u32);
        start += lines * runs;
        region
    });
    (regions, start as u32)
}

/// The largest weight, summed over both sides, that cutting a 1-D kernel leaves out: 2⁻²⁶,
/// a quarter of the f32 rounding of 1.
pub(crate) const TAIL: f64 = 1.0 / (1u64 << 26) as f64;

/// The periodic 1-D Gaussian kernel of an axis of `n` samples, the inverse DFT of the sampled
/// transfer function `exp(−2π²σ² f²)` (`f` the DFT frequencies, as `fftfreq(n)`), as taps and
/// the anchor: output `t` reads input `(t + u − anchor) mod n` with weight `taps[u]`. Cut to
/// the fewest taps `2r + 1` around the centre whose left-out weight is at most [`TAIL`], or all
/// `n` (anchor `n / 2`) where that is not fewer.
pub(crate) fn periodic_gaussian(n: usize, sigma: f64) -> (Vec<f32>, usize) {
    let mut g: Vec<Complex64> = (0..n)
        .map(|k| {
            let f = if 2 * k < n {
                k as f64
            } else {
                k as f64 - n as f64
            } / n as f64;
            Complex64::new(
                (-2.0 * (std::f64::consts::PI * sigma * f).powi(2)).exp(),
                0.0,
            )
        })
        .collect();
    FftPlanner::new().plan_fft_inverse(n).process(&mut g);
    // The kernel is even (g[t] = g[n − t]); its weight at distance d from the centre, both
    // sides, for d = 1 ..= n / 2 (once for the middle of an even n).
    let at = |t: usize| g[t % n].re / n as f64;
    let ring = |d: usize| {
        if 2 * d == n {
            at(d).abs()
        } else {
            2.0 * at(d).abs()
        }
    };
    // The smallest r whose left-out rings r + 1 ..= n / 2 weigh at most TAIL.
    let mut tail = 0.0;
    let mut r = n / 2;
    while r > 0 && tail + ring(r) <= TAIL {
        tail += ring(r);
        r -= 1;
    }
    let (len, anchor) = if 2 * r + 1 >= n {
        (n, n / 2)
    } else {
        (2 * r + 1, r)
    };
    let taps = (0..len).map(|u| at(u + n - anchor) as f32).collect();
    (taps, anchor)
}

/// [`taper_edges`](super::taper_edges) of C-contiguous float planes `x` (`[c, h, w]`, offset
/// 0; `fresh`: made for this call, so it may be updated in place) over `width` pixels
/// (`1 ≤ width ≤ min(h, w) / 2`), or `None` where one plane does not fit a storage binding.
/// All planes are computed by one dispatch a pass where they fit one binding together, else one
/// plane a dispatch through a window of the buffers (the same arithmetic, bit for bit).
pub(crate) fn band_taper(x: &GpuArray, width: usize, fresh: bool) -> Result<Option<GpuArray>> {
    let gpu = x.gpu();
    let (c, h, w) = (x.shape()[0], x.shape()[1], x.shape()[2]);
    let n = c * h * w;
    let bytes = n as u64 * 4;
    let plane_bytes = (h * w) as u64 * 4;
    let align = (gpu.inner.limits.min_storage_buffer_offset_alignment as u64).max(4);
    if n >= i32::MAX as usize {
        return Ok(None);
    }
    // (first plane, planes, window start in bytes) of each dispatch.
    let chunks: Vec<(usize, usize, u64)> = if bytes <= gpu.binding() {
        vec![(0, c, 0)]
    } else if plane_bytes + align <= gpu.binding() {
        (0..c)
            .map(|k| (k, 1, k as u64 * plane_bytes / align * align))
            .collect()
    } else {
        return Ok(None);
    };
    let sigma = width as f64 / 4.0;
    let (gx, rx) = periodic_gaussian(w, sigma);
    let (gy, ry) = periodic_gaussian(h, sigma);
    // The blend's ramp r(d) for d < width (distance from the nearer edge).
    let ramp: Vec<f32> = super::ramp(2 * width, width)[..width].to_vec();
    let weights: Vec<f32> = [&gx[..], &gy, &ramp].concat();
    let weights = storage_with(gpu, "taper weights", bytemuck::cast_slice(&weights));

    // The output: the image itself, or a copy of it (a buffer copy, no kernel).
    let out = if fresh {
        x.clone()
    } else {
        let buffer = gpu.buffer(bytes, GpuArray::USAGE)?;
        let layout = Layout::contiguous(&[c, h, w], 1, Order::C)?;
        let out = GpuArray::from_parts(gpu.clone(), buffer, Dtype::F32, layout);
        copy_buffers(
            gpu,
            "copying the image to taper",
            &[(x.storage()?.buffer(), 0, 0, bytes)],
            out.storage()?.buffer(),
        )?;
        out
    };
    let tmp = gpu.buffer(bytes, GpuArray::USAGE)?;
    let module = gpu.module("taper.wgsl", TAPER_WGSL)?;
    // Pass 1's row band reaches `ry` rows further than pass 2's (all rows when the two halves
    // meet); pass 2's is `width` rows at each edge (2·width ≤ h).
    let reach = width + ry;
    let (top1, bottom1) = if 2 * reach >= h {
        (h, 0)
    } else {
        (reach, reach)
    };
    for (pass, (top, bottom), src, dst) in [
        (1, (top1, bottom1), x.storage()?.buffer(), tmp.buffer()),
        (2, (width, width), tmp.buffer(), out.storage()?.buffer()),
    ] {
        let pipeline = gpu.pipeline(
            &format!("taper pass {pass} (runs of {RUN})"),
            &module,
            &[("PASS", pass as f64)],
        )?;
        let (regions, per_plane) = regions(pass, (h, w), width, (top, bottom));
        for &(first, planes, start) in &chunks {
            // The planes' first element, counted from the window's start.
            let off = (first as u64 * plane_bytes - start) / 4;
            let size = off * 4 + planes as u64 * plane_bytes;
            let groups = groups_2d((planes as u64 * per_plane as u64).div_ceil(WORKGROUP));
            // Every count is below 2^31 (n is).
            let mut params: Vec<u32> = vec![
                groups.0,
                planes as u32,
                h as u32,
                w as u32,
                width as u32,
                per_plane,
                gx.len() as u32,
                rx as u32,
                gy.len() as u32,
                ry as u32,
                off as u32,
                0,
            ];
            params.extend(regions.iter().flatten());
            let params = gpu.params(&params)?;
            submit_once(
                gpu,
                "tapering the edges",
                &pipeline,
                &[
                    binding(src, start, size),
                    binding(dst, start, size),
                    weights.as_entire_binding(),
                    params.binding(),
                ],
                groups,
                |_| {},
            )?;
        }
    }
    Ok(Some(out))
}

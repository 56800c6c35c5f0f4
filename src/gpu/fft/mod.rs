//! Discrete Fourier transforms on the GPU, with NumPy's names, parameters and conventions
//! (`numpy.fft`): [`fft`], [`ifft`], [`fft2`], [`ifft2`], [`fftn`], [`ifftn`], [`rfft`],
//! [`irfft`], [`rfft2`], [`irfft2`], [`rfftn`], [`irfftn`], and [`fftshift`], [`ifftshift`],
//! [`fftfreq`], [`rfftfreq`].
//!
//! Any GPU dtype goes in: complex transforms compute in complex64 (`astype(Dtype::C64)`), real
//! ones in float32 (complex input keeps its real part, as `astype` does). Inputs may be strided
//! views (transposed, sliced): they are gathered into a C-contiguous array first. Results are
//! C-contiguous. `n` / `s` crop or zero-pad the input along the transformed axes; `norm` is
//! [`Norm::Backward`] (no scaling forward, `1/n` inverse), [`Norm::Ortho`] or [`Norm::Forward`].
//! A transform is batched over every axis it does not transform.
//!
//! # Algorithms
//! - Lengths whose prime factors are all ≤ 31 ("smooth"): Stockham autosort in passes of
//!   radix up to 16, each a nested DFT of butterflies 8, 4, 2, 3, 5, 7, 11, 13 in registers
//!   (a prime 17 … 31 is a pass of its own; odd primes in the symmetric form, about a quarter
//!   of the naive DFT's multiplications), its twiddles from the
//!   table's power-of-two powers (4 loads per radix-16 butterfly) and, on CPU adapters, two
//!   neighbouring points or lines per `vec4` access where the layout allows (lavapipe's cost
//!   is its accesses: `src/gpu/fft/stockham.rs`). When a line fits the adapter's workgroup memory (`max_compute_workgroup_storage_size / 8`
//!   points: 4096 on lavapipe) it is read once, transformed there and written once; longer
//!   lines take two such passes (four-step, up to the square of that length; six-step
//!   beyond it or beyond a binding, below). Lines along a
//!   non-last axis are read and written with the axis stride, without a transpose pass.
//! - Prime lengths above 31: Rader's algorithm (`src/gpu/fft/rader.rs`), the DFT as a cyclic
//!   convolution of length p − 1 (through a smooth transform of length p − 1 when that is
//!   smooth, as for 4093 = 4·3·11·31 + 1, else of the smallest smooth length ≥ 2p − 3). When
//!   that convolution line fits the workgroup memory (4096 points on lavapipe: primes up to
//!   4093 with p − 1 smooth, about 2048 otherwise) and the array fits a binding, one
//!   generated kernel (`rader_kernel.rs`) does it
//!   all in one dispatch: the permuted load, the forward passes, the spectrum product, the
//!   inverse passes, the permuted store and `X[0]` (from the forward spectrum's `A[0]`).
//!   Otherwise six dispatches: two transforms of about the length's size and four light passes
//!   (permute, multiply, permute back, the zero-frequency sum).
//! - A smooth factor times a Rader prime (2018 = 2·1009): its Stockham pass with the four-step
//!   twiddle and a transposed store, then Rader's lines along the result (`src/gpu/fft/split.rs`).
//! - Other lengths with a prime factor above 31: Bluestein's chirp-z, a convolution through a
//!   power-of-two transform of length ≥ 2n − 1 (about 4× the memory and 3 transforms' time).
//! - Real transforms along the last axis of even length `n`: a complex transform of length
//!   `n/2` of the pairs `x[2j] + i·x[2j+1]` (the float32 buffer read as complex64, no copy) and
//!   one post-processing pass (`irfft`: one pre-processing pass, then the inverse). Along other
//!   axes, or for odd `n`, two neighbouring real lines a and b (columns 2c and 2c + 1 of a
//!   slab, or rows 2r and 2r + 1 along the last axis) go through one complex transform as
//!   `z = x_a + i·x_b` and are split by `X_a = (Z[k] + conj Z[n−k]) / 2`,
//!   `X_b = (Z[k] − conj Z[n−k]) / 2i` (`irfft`: merged, one inverse transform, real and
//!   imaginary parts): half the complex work. For an even number of columns z is the float32
//!   buffer itself read as complex64 (no packing pass; `irfft`'s result likewise). The pairing
//!   passes run in chunks of whole slabs or row pairs, so any array size takes this route; a
//!   slab beyond a binding is transformed as a copy with the axis last. A single odd line
//!   pairs with zeros (the complex transform's cost).
//! - Twiddles, chirps and Rader's kernel spectra are computed in f64 on the host, phases
//!   reduced in integers, and uploaded as f32 tables; plans (these tables) are cached per
//!   context by length, pipelines by their generated source.
//! - N-D plans: the first transform of a shape (input dtype, layout, axes, lengths, norm)
//!   records every dispatch it makes on a tape (`src/gpu/tape.rs`); a repeated one replays
//!   them on new buffers, with no planning, kernel lookup or parameter building
//!   (`Gpu::stats().replays`). Both caches keep the 256 most recently used plans of each kind
//!   (`src/gpu/cache.rs`), so ever new shapes do not accumulate plans.
//!
//! Arrays larger than one storage binding ([`GpuInfo::binding`](crate::GpuInfo::binding)) are
//! transformed in chunks of whole lines, each pass binding the windows of its buffers that hold
//! them (the helper passes likewise, in chunks of whole lines); lines along a leading axis that
//! span more than half a binding are transformed as a copy with that axis last. The arithmetic
//! of each line is the same, so chunked results are bit-identical.
//!
//! A line longer than a binding (7/8 of it: a 2^26-point line is 512 MiB) takes the six-step
//! route: tiled transposes, in blocks whose windows fit a binding, around one Stockham pass of
//! lines of `n1 ≤` the workgroup length (with the four-step twiddle on its store) and the
//! transform of lines of `n / n1` points, itself six-step when those are longer than a
//! binding (so lengths beyond the square of the workgroup length recurse). Where the four-step
//! plan also applies (up to that square) the per-line arithmetic is the same and the result
//! bit-identical. Bluestein's power-of-two transform takes the same route and its helper passes
//! split a line into pieces; a real transform of a line beyond a binding (odd, or whose
//! half-length line is beyond it) takes the complex route (about twice the cost): its split
//! pass reads `Z[k]` with `Z[n − k]`, which no one window holds. `fftshift`/`ifftshift` of an array larger than a binding roll
//! in slabs split where an axis wraps, each read through one window.
//!
//! Memory: before any work, each transform works out the buffers it holds at its peak (input,
//! work arrays, output) and returns [`Error::OutOfMemory`] naming them when one exceeds the
//! adapter's largest buffer or, on a CPU adapter, when together they exceed the host's
//! available memory.
//!
//! Limits: arrays and work arrays up to `max_buffer_size` (2047 MiB on lavapipe: 2^28 complex
//! points, Bluestein lengths up to 2^26); smooth lengths of any size within that. Rader's
//! algorithm serves primes whose lines fit a binding; longer prime lines take Bluestein.
//!
//! ```
//! use gpuarray::fft::{self, Norm};
//! use gpuarray::{Gpu, View};
//!
//! let gpu = Gpu::new()?;
//! let x = gpu.upload(&View::from_slice(&[1.0f32, 0.0, 0.0, 0.0], &[4])?)?;
//! let spectrum = fft::fft(&x, None, -1, Norm::Backward)?;                  // a delta: all ones
//! let back = fft::irfft(&fft::rfft(&x, None, -1, Norm::Backward)?, Some(4), -1, Norm::Backward)?;
//! let host = spectrum.to_host()?;
//! let ones = host.as_slice::<num_complex::Complex32>()?;
//! assert!(ones.iter().all(|z| (z.re - 1.0).abs() < 1e-6 && z.im.abs() < 1e-6));
//! assert!((back.to_host()?.as_slice::<f32>()?[0] - 1.0).abs() < 1e-6);
//! # Ok::<(), gpuarray::Error>(())
//! ```

mod long;
mod memory;
pub(crate) mod plan;
mod rader;
mod rader_kernel;
mod split;
mod stockham;
mod windows;

use crate::error::{Error, Result};
use crate::gpu::array::GpuArray;
use crate::gpu::context::Gpu;
use crate::gpu::pool::PooledBuffer;
use crate::gpu::tape::{self, Tape};
use crate::view::dtype::Dtype;
use crate::view::layout::{Layout, Order};
use crate::view::view::View;
use plan::{Aux, PlanKind, aux, plan};

/// Which direction is scaled, as NumPy's `norm` argument.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Norm {
    /// No scaling forward, `1/n` on the inverse (NumPy's default, `"backward"`).
    #[default]
    Backward,
    /// `1/√n` both ways (`"ortho"`).
    Ortho,
    /// `1/n` forward, no scaling on the inverse (`"forward"`).
    Forward,
}

impl Norm {
    fn scale(self, n: usize, inverse: bool) -> f32 {
        let n = n as f64;
        (match (self, inverse) {
            (Norm::Backward, false) | (Norm::Forward, true) => 1.0,
            (Norm::Ortho, _) => 1.0 / n.sqrt(),
            (Norm::Backward, true) | (Norm::Forward, false) => 1.0 / n,
        }) as f32
    }
}

/// The axis `axis` (negative: from the end) of an array of `ndim` dimensions.
fn axis_index(ndim: usize, axis: isize) -> Result<usize> {
    let a = if axis < 0 { axis + ndim as isize } else { axis };
    if a < 0 || a >= ndim as isize {
        return Err(Error::shape(format!(
            "axis {axis} is out of range for an array of {ndim} dimension(s)"
        )));
    }
    Ok(a as usize)
}

/// `(outer, n, inner)` of `shape` around `axis`.
fn split(shape: &[usize], axis: usize) -> (usize, usize, usize) {
    (
        shape[..axis].iter().product(),
        shape[axis],
        shape[axis + 1..].iter().product(),
    )
}

/// A new C-contiguous array over `buffer`.
fn array(gpu: &Gpu, buffer: PooledBuffer, dtype: Dtype, shape: &[usize]) -> Result<GpuArray> {
    Ok(GpuArray::from_parts(
        gpu.clone(),
        buffer,
        dtype,
        Layout::contiguous(shape, 1, Order::C)?,
    ))
}

/// A buffer for `count` elements of 8 bytes ([`Error::OutOfMemory`] beyond the adapter's
/// largest buffer, before any work).
fn buffer8(gpu: &Gpu, count: usize) -> Result<PooledBuffer> {
    let bytes = (count as u64).saturating_mul(8);
    let max = gpu.inner.limits.max_buffer_size;
    if bytes > max {
        return Err(Error::OutOfMemory(format!(
            "an FFT needing a work array of {bytes} bytes: larger than the largest buffer \
             ({max} bytes) on this adapter"
        )));
    }
    gpu.buffer(bytes.max(8), GpuArray::USAGE)
}

/// `a` as C-contiguous complex64 at offset 0.
fn complex(a: &GpuArray) -> Result<GpuArray> {
    if a.dtype == Dtype::C64 {
        a.contiguous()
    } else {
        a.astype(Dtype::C64)
    }
}

/// `a` as C-contiguous float32 at offset 0 (complex input keeps its real part).
fn real(a: &GpuArray) -> Result<GpuArray> {
    if a.dtype == Dtype::F32 {
        a.contiguous()
    } else {
        a.astype(Dtype::F32)
    }
}

/// `x` (C-contiguous, F32 or C64) cropped or zero-padded to `len` along `axis`.
fn resize(x: &GpuArray, axis: usize, len: usize) -> Result<GpuArray> {
    let shape = x.shape();
    if shape[axis] == len {
        return Ok(x.clone());
    }
    let words = (x.dtype.itemsize() / 4) as u32;
    let (outer, n, inner) = split(shape, axis);
    let mut out_shape = shape.to_vec();
    out_shape[axis] = len;
    // `len` is a parameter (NumPy's `n` / `s`): its product may exceed any memory, checked.
    let count = outer
        .checked_mul(len)
        .and_then(|v| v.checked_mul(inner))
        .unwrap_or(usize::MAX);
    let out = buffer8(&x.gpu, count)?;
    if count > 0 {
        aux(
            &x.gpu,
            Aux::Resize,
            words,
            count,
            x.storage()?.buffer(),
            out.buffer(),
            None,
            &[outer as u32, n as u32, len as u32, inner as u32],
        )?;
    }
    array(&x.gpu, out, x.dtype, &out_shape)
}

/// The complex transform along `axis` of `x` (C-contiguous complex64).
fn c2c_axis(x: &GpuArray, axis: usize, inverse: bool, norm: Norm) -> Result<GpuArray> {
    let gpu = &x.gpu;
    let (outer, n, inner) = split(x.shape(), axis);
    if x.is_empty() {
        return array(gpu, buffer8(gpu, 1)?, Dtype::C64, x.shape());
    }
    buffer8(gpu, x.len())?;
    // Lines along a leading axis are read `inner` elements apart: when one line spans nearly
    // a binding (an eighth is left for the neighbouring lines of a chunk and alignment),
    // transform a copy with the axis last (the copies are chunked).
    let span = (n as u64).saturating_mul(inner as u64).saturating_mul(8);
    if inner > 1 && span > gpu.binding() - gpu.binding() / 8 {
        let last = x.ndim() - 1;
        return along_last(x, axis, |moved| c2c_axis(moved, last, inverse, norm));
    }
    let p = plan(gpu, PlanKind::Complex, n)?;
    let out = p.run(
        gpu,
        x.storage()?.buffer(),
        outer,
        inner,
        inverse,
        norm.scale(n, inverse),
    )?;
    array(gpu, out, Dtype::C64, x.shape())
}

/// `f` (a transform along the last axis) applied to a C-contiguous copy of `x` with `axis`
/// moved last, its result moved back (the copies are chunked).
fn along_last(
    x: &GpuArray,
    axis: usize,
    f: impl FnOnce(&GpuArray) -> Result<GpuArray>,
) -> Result<GpuArray> {
    let ndim = x.ndim();
    let mut order: Vec<usize> = (0..ndim).filter(|&a| a != axis).collect();
    order.push(axis);
    let moved = x.permute(&order)?.contiguous()?;
    let y = f(&moved)?;
    drop(moved);
    let mut back = vec![0; ndim];
    for (i, &a) in order.iter().enumerate() {
        back[a] = i;
    }
    y.permute(&back)?.contiguous()
}

/// The complex lines `[outer', n, h]` into which the paired route packs the real lines of
/// `[outer, n, inner]`, two neighbours per complex line: columns `2c` and `2c + 1` of each
/// slab (`(outer, ⌈inner / 2⌉)`), or, along the last axis, rows `2r` and `2r + 1`
/// (`(⌈outer / 2⌉, 1)`).
fn pair_layout(outer: usize, inner: usize) -> (usize, usize) {
    if inner > 1 {
        (outer, inner.div_ceil(2))
    } else {
        (outer.div_ceil(2), 1)
    }
}

/// Whether the paired route's passes can run on lines of `n` points `inner` apart: their
/// chunks are whole groups of partner lines (a slab of `inner` lines, or two rows), and the
/// largest array of a group (real lines, complex lines, half spectra) must fit a binding, an
/// eighth left for alignment, as for `c2c_axis`' strided lines. The group does not depend on
/// the binding, so chunked and unchunked runs pair the same lines: bit-identical results.
fn pair_fits(gpu: &Gpu, n: usize, inner: usize) -> bool {
    let (_, h) = pair_layout(2, inner);
    let lines = inner.max(2) as u64;
    let n64 = n as u64;
    let biggest = n64
        .saturating_mul(h as u64)
        .max((n64 / 2 + 1).saturating_mul(lines))
        .max(n64.saturating_mul(lines) / 2 + 1)
        .saturating_mul(8);
    biggest <= gpu.binding() - gpu.binding() / 8
}

/// The real-to-complex transform along `axis` of `x` (C-contiguous float32): `n/2 + 1` outputs.
fn r2c_axis(x: &GpuArray, axis: usize, norm: Norm) -> Result<GpuArray> {
    let gpu = &x.gpu;
    let (outer, n, inner) = split(x.shape(), axis);
    let mut out_shape = x.shape().to_vec();
    out_shape[axis] = n / 2 + 1;
    if x.is_empty() {
        return array(gpu, buffer8(gpu, 1)?, Dtype::C64, &out_shape);
    }
    if inner == 1 && n % 2 == 0 && !long::too_long(gpu, n / 2 + 1) {
        // The float32 pairs (x[2j], x[2j+1]) are the complex64 z[j]: transform z, then split.
        let h = n / 2;
        buffer8(gpu, outer * (h + 1))?;
        let z = plan(gpu, PlanKind::Complex, h)?.run(
            gpu,
            x.storage()?.buffer(),
            outer,
            1,
            false,
            1.0,
        )?;
        let out = buffer8(gpu, outer * (h + 1))?;
        let twiddles = plan(gpu, PlanKind::Real, n)?;
        aux(
            gpu,
            Aux::R2cPost,
            2,
            outer * (h + 1),
            z.buffer(),
            out.buffer(),
            Some(twiddles.real_twiddles()),
            &[
                outer as u32,
                h as u32,
                (h + 1) as u32,
                1,
                norm.scale(n, false).to_bits(),
            ],
        )?;
        return array(gpu, out, Dtype::C64, &out_shape);
    }
    if inner > 1 && !pair_fits(gpu, n, inner) {
        // One slab's lines span more than a binding: pair (or halve) rows of a copy with the
        // axis last instead.
        let last = x.ndim() - 1;
        return along_last(x, axis, |moved| r2c_axis(moved, last, norm));
    }
    if pair_fits(gpu, n, inner) {
        // Two neighbouring real lines a and b as one complex line z = x_a + i·x_b, transformed,
        // then split: X_a = (Z[k] + conj Z[n−k]) / 2, X_b = (Z[k] − conj Z[n−k]) / 2i.
        let (lines, h) = pair_layout(outer, inner);
        let params = |scale: f32| {
            [
                outer as u32,
                n as u32,
                (n / 2 + 1) as u32,
                inner as u32,
                scale.to_bits(),
                0,
                h as u32,
            ]
        };
        let src = x.storage()?;
        // Columns 2c and 2c + 1 (an even number of them) are already the float32 pairs of the
        // complex64 z[.., c]: x's buffer is z, no packing pass.
        let packed = if inner % 2 == 0 {
            None
        } else {
            let z = buffer8(gpu, lines * n * h)?;
            aux(
                gpu,
                Aux::PairPack,
                2,
                lines * n * h,
                src.buffer(),
                z.buffer(),
                None,
                &params(1.0),
            )?;
            Some(z)
        };
        let z = packed.as_ref().map_or(src.buffer(), |z| z.buffer());
        let spectra = plan(gpu, PlanKind::Complex, n)?.run(gpu, z, lines, h, false, 1.0)?;
        drop(packed);
        let count = outer * (n / 2 + 1) * inner;
        let out = buffer8(gpu, count)?;
        aux(
            gpu,
            Aux::PairSplit,
            2,
            count,
            spectra.buffer(),
            out.buffer(),
            None,
            &params(norm.scale(n, false)),
        )?;
        return array(gpu, out, Dtype::C64, &out_shape);
    }
    // Lines longer than a binding (odd, or whose half-length lines are longer than a binding):
    // the complex route, whose passes split them, at twice the work.
    let y = c2c_axis(&x.astype(Dtype::C64)?, axis, false, norm)?;
    resize(&y, axis, n / 2 + 1)
}

/// The complex-to-real transform along `axis` of `x` (C-contiguous complex64) to `n` real
/// outputs; `x` is cropped or zero-padded to `n/2 + 1` first.
fn c2r_axis(x: &GpuArray, axis: usize, n: usize, norm: Norm) -> Result<GpuArray> {
    let gpu = &x.gpu;
    let x = resize(x, axis, n / 2 + 1)?;
    let (outer, m, inner) = split(x.shape(), axis);
    let mut out_shape = x.shape().to_vec();
    out_shape[axis] = n;
    if x.is_empty() {
        return array(gpu, buffer8(gpu, 1)?, Dtype::F32, &out_shape);
    }
    let scale = norm.scale(n, true);
    if inner == 1 && n % 2 == 0 && !long::too_long(gpu, n / 2 + 1) {
        let h = n / 2;
        let z = buffer8(gpu, outer * h)?;
        let twiddles = plan(gpu, PlanKind::Real, n)?;
        aux(
            gpu,
            Aux::C2rPre,
            2,
            outer * h,
            x.storage()?.buffer(),
            z.buffer(),
            Some(twiddles.real_twiddles()),
            &[outer as u32, h as u32, h as u32, 1, 1.0f32.to_bits()],
        )?;
        // The complex64 result z[j] is the float32 pair (x[2j], x[2j+1]).
        let out = plan(gpu, PlanKind::Complex, h)?.run(gpu, z.buffer(), outer, 1, true, scale)?;
        return array(gpu, out, Dtype::F32, &out_shape);
    }
    if inner > 1 && !pair_fits(gpu, n, inner) {
        let last = x.ndim() - 1;
        return along_last(&x, axis, |moved| c2r_axis(moved, last, n, norm));
    }
    if pair_fits(gpu, n, inner) {
        // The reverse of r2c_axis' pairing: Z = X_a + i·X_b over all n terms (the Hermitian
        // extensions), one inverse transform, x_a = Re z and x_b = Im z.
        let (lines, h) = pair_layout(outer, inner);
        let z = buffer8(gpu, lines * n * h)?;
        let mut params = [
            outer as u32,
            m as u32,
            n as u32,
            inner as u32,
            1.0f32.to_bits(),
            0,
            h as u32,
        ];
        aux(
            gpu,
            Aux::PairMerge,
            2,
            lines * n * h,
            x.storage()?.buffer(),
            z.buffer(),
            None,
            &params,
        )?;
        let z = plan(gpu, PlanKind::Complex, n)?.run(gpu, z.buffer(), lines, h, true, scale)?;
        if inner % 2 == 0 {
            // The complex64 [outer, n, inner / 2] is the float32 [outer, n, inner] already.
            return array(gpu, z, Dtype::F32, &out_shape);
        }
        let out = buffer8(gpu, (outer * n * inner).div_ceil(2))?;
        params[1] = n as u32;
        aux(
            gpu,
            Aux::PairUnpack,
            2,
            outer * n * inner,
            z.buffer(),
            out.buffer(),
            None,
            &params,
        )?;
        return array(gpu, out, Dtype::F32, &out_shape);
    }
    // Lines longer than a binding: the complex route (the Hermitian extension, then the
    // complex inverse), at twice the work.
    let full = buffer8(gpu, outer * n * inner)?;
    aux(
        gpu,
        Aux::Hermitian,
        2,
        outer * n * inner,
        x.storage()?.buffer(),
        full.buffer(),
        None,
        &[outer as u32, m as u32, n as u32, inner as u32],
    )?;
    let full = array(gpu, full, Dtype::C64, &out_shape)?;
    c2c_axis(&full, axis, true, norm)?.astype(Dtype::F32)
}

/// NumPy's `_cook_nd_args`: the axes (resolved) and the length along each. `s` without `axes`
/// means the last `s.len()` axes; neither means every axis. `real_inverse` gives the last
/// axis' default length as `2 (m - 1)` (irfftn).
fn cook(
    a: &GpuArray,
    s: Option<&[usize]>,
    axes: Option<&[isize]>,
    real_inverse: bool,
) -> Result<(Vec<usize>, Vec<usize>)> {
    let ndim = a.ndim();
    let axes: Vec<usize> = match (axes, s) {
        (Some(axes), _) => axes
            .iter()
            .map(|&ax| axis_index(ndim, ax))
            .collect::<Result<_>>()?,
        (None, Some(s)) => {
            if s.len() > ndim {
                return Err(Error::shape(format!(
                    "s {s:?} has more entries than the array has dimensions ({ndim})"
                )));
            }
            (ndim - s.len()..ndim).collect()
        }
        (None, None) => (0..ndim).collect(),
    };
    let lens: Vec<usize> = match s {
        Some(s) => {
            if s.len() != axes.len() {
                return Err(Error::shape(format!(
                    "s {s:?} and axes {axes:?} have different lengths"
                )));
            }
            s.to_vec()
        }
        None => {
            let mut lens: Vec<usize> = axes.iter().map(|&ax| a.shape()[ax]).collect();
            if real_inverse && let Some(last) = lens.last_mut() {
                *last = 2 * last.saturating_sub(1);
            }
            lens
        }
    };
    if let Some(i) = lens.iter().position(|&n| n == 0) {
        return Err(Error::shape(format!(
            "invalid number of FFT data points (0) along axis {}",
            axes[i]
        )));
    }
    Ok((axes, lens))
}

fn c2c_nd(
    a: &GpuArray,
    s: Option<&[usize]>,
    axes: Option<&[isize]>,
    inverse: bool,
    norm: Norm,
) -> Result<GpuArray> {
    let (axes, lens) = cook(a, s, axes, false)?;
    memory::check_complex(a, &axes, &lens)?;
    planned(a, Kind::Complex { inverse }, &axes, &lens, norm, || {
        let mut x = complex(a)?;
        for (&ax, &len) in axes.iter().zip(&lens) {
            x = resize(&x, ax, len)?;
        }
        for &ax in axes.iter().rev() {
            x = c2c_axis(&x, ax, inverse, norm)?;
        }
        Ok(x)
    })
}

/// Which transform an N-D plan is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    Complex { inverse: bool },
    Real,
    RealInverse,
}

/// What decides an N-D transform's dispatches, and so keys its plan: the transform, the
/// input's dtype, layout and buffer size (windows are clamped to it), the axes, their lengths
/// and the norm. The context's limits decide the rest, and plans are held per context.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct NdKey {
    kind: Kind,
    dtype: Dtype,
    layout: Layout,
    buffer: u64,
    axes: Vec<usize>,
    lens: Vec<usize>,
    norm: Norm,
}

/// An N-D transform's plan: every dispatch of its first run, on a [`Tape`], and the result's
/// dtype and layout. No tape when the run cannot be replayed; the transform then plans anew
/// each time.
struct NdPlan {
    tape: Option<Tape>,
    dtype: Dtype,
    layout: Layout,
}

/// Runs the N-D transform `run` of `a`, planned once per (transform, input dtype and
/// layout, axes, lengths, norm) and context.
///
/// The first call runs `run` with its dispatches recorded ([`tape::capture`]): which route
/// each axis takes, the 1-D plans and their kernels, every pass' parameters and work-buffer
/// sizes. A repeated call replays them on new buffers: its host work is taking the buffers and
/// binding them.
fn planned(
    a: &GpuArray,
    kind: Kind,
    axes: &[usize],
    lens: &[usize],
    norm: Norm,
    run: impl Fn() -> Result<GpuArray>,
) -> Result<GpuArray> {
    let gpu = &a.gpu;
    // A lazy input is evaluated first, outside the plan.
    let input = a.storage()?.buffer();
    let key = NdKey {
        kind,
        dtype: a.dtype,
        layout: a.layout.clone(),
        buffer: input.size(),
        axes: axes.to_vec(),
        lens: lens.to_vec(),
        norm,
    };
    let mut first = None;
    let plan = gpu.inner.cache.get_or_make(key, || {
        let (y, tape) = tape::capture(gpu, &[input], || {
            let y = run()?;
            let out = y.storage()?.buffer().clone();
            Ok((y, Some(out)))
        })?;
        let plan = NdPlan {
            tape,
            dtype: y.dtype,
            layout: y.layout.clone(),
        };
        first = Some(y);
        Ok(plan)
    })?;
    if let Some(y) = first {
        return Ok(y);
    }
    match &plan.tape {
        Some(tape) => {
            let buffer = tape.replay(gpu, "running a planned FFT", &[input])?;
            Ok(GpuArray::from_parts(
                gpu.clone(),
                buffer,
                plan.dtype,
                plan.layout.clone(),
            ))
        }
        None => run(),
    }
}

fn one(n: &Option<usize>) -> Option<&[usize]> {
    n.as_ref().map(std::slice::from_ref)
}

/// The 1-D discrete Fourier transform along `axis` (NumPy `fft.fft`): `n` crops or zero-pads
/// the input along the axis first.
pub fn fft(a: &GpuArray, n: Option<usize>, axis: isize, norm: Norm) -> Result<GpuArray> {
    c2c_nd(a, one(&n), Some(&[axis]), false, norm)
}

/// The inverse of [`fft`] (NumPy `fft.ifft`).
pub fn ifft(a: &GpuArray, n: Option<usize>, axis: isize, norm: Norm) -> Result<GpuArray> {
    c2c_nd(a, one(&n), Some(&[axis]), true, norm)
}

/// The 2-D transform (NumPy `fft.fft2`): [`fftn`] over `axes`, by default the last two.
pub fn fft2(
    a: &GpuArray,
    s: Option<&[usize]>,
    axes: Option<&[isize]>,
    norm: Norm,
) -> Result<GpuArray> {
    c2c_nd(a, s, Some(axes.unwrap_or(&[-2, -1])), false, norm)
}

/// The inverse of [`fft2`] (NumPy `fft.ifft2`).
pub fn ifft2(
    a: &GpuArray,
    s: Option<&[usize]>,
    axes: Option<&[isize]>,
    norm: Norm,
) -> Result<GpuArray> {
    c2c_nd(a, s, Some(axes.unwrap_or(&[-2, -1])), true, norm)
}

/// The N-D transform (NumPy `fft.fftn`) over `axes` (default: the last `s.len()` axes, or all),
/// each cropped or zero-padded to `s`.
pub fn fftn(
    a: &GpuArray,
    s: Option<&[usize]>,
    axes: Option<&[isize]>,
    norm: Norm,
) -> Result<GpuArray> {
    c2c_nd(a, s, axes, false, norm)
}

/// The inverse of [`fftn`] (NumPy `fft.ifftn`).
pub fn ifftn(
    a: &GpuArray,
    s: Option<&[usize]>,
    axes: Option<&[isize]>,
    norm: Norm,
) -> Result<GpuArray> {
    c2c_nd(a, s, axes, true, norm)
}

/// The transform of real input along `axis` (NumPy `fft.rfft`): the `n/2 + 1` non-negative
/// frequency terms, complex64.
pub fn rfft(a: &GpuArray, n: Option<usize>, axis: isize, norm: Norm) -> Result<GpuArray> {
    rfftn(a, one(&n), Some(&[axis]), norm)
}

/// The inverse of [`rfft`] (NumPy `fft.irfft`): `n` real outputs (default `2 (m - 1)` for `m`
/// inputs along the axis), float32. The input is cropped or zero-padded to `n/2 + 1`; the
/// imaginary parts of the zero (and, for even `n`, the Nyquist) term are ignored.
pub fn irfft(a: &GpuArray, n: Option<usize>, axis: isize, norm: Norm) -> Result<GpuArray> {
    irfftn(a, one(&n), Some(&[axis]), norm)
}

/// The 2-D transform of real input (NumPy `fft.rfft2`), by default over the last two axes.
pub fn rfft2(
    a: &GpuArray,
    s: Option<&[usize]>,
    axes: Option<&[isize]>,
    norm: Norm,
) -> Result<GpuArray> {
    rfftn(a, s, Some(axes.unwrap_or(&[-2, -1])), norm)
}

/// The inverse of [`rfft2`] (NumPy `fft.irfft2`).
pub fn irfft2(
    a: &GpuArray,
    s: Option<&[usize]>,
    axes: Option<&[isize]>,
    norm: Norm,
) -> Result<GpuArray> {
    irfftn(a, s, Some(axes.unwrap_or(&[-2, -1])), norm)
}

/// The N-D transform of real input (NumPy `fft.rfftn`): [`rfft`] along the last of `axes`,
/// then [`fft`] along the others.
pub fn rfftn(
    a: &GpuArray,
    s: Option<&[usize]>,
    axes: Option<&[isize]>,
    norm: Norm,
) -> Result<GpuArray> {
    let (axes, lens) = cook(a, s, axes, false)?;
    memory::check_real(a, &axes, &lens, false)?;
    let (&last, others) = axes
        .split_last()
        .ok_or_else(|| Error::shape("a real FFT needs at least one axis"))?;
    planned(a, Kind::Real, &axes, &lens, norm, || {
        let x = resize(&real(a)?, last, lens[axes.len() - 1])?;
        let mut x = r2c_axis(&x, last, norm)?;
        for (&ax, &len) in others.iter().zip(&lens) {
            x = resize(&x, ax, len)?;
        }
        for &ax in others.iter().rev() {
            x = c2c_axis(&x, ax, false, norm)?;
        }
        Ok(x)
    })
}

/// The inverse of [`rfftn`] (NumPy `fft.irfftn`): [`ifft`] along all but the last of `axes`,
/// then [`irfft`] along it; `s[-1]` (default `2 (m - 1)`) is the real output length.
pub fn irfftn(
    a: &GpuArray,
    s: Option<&[usize]>,
    axes: Option<&[isize]>,
    norm: Norm,
) -> Result<GpuArray> {
    let (axes, lens) = cook(a, s, axes, true)?;
    memory::check_real(a, &axes, &lens, true)?;
    let (&last, others) = axes
        .split_last()
        .ok_or_else(|| Error::shape("a real FFT needs at least one axis"))?;
    planned(a, Kind::RealInverse, &axes, &lens, norm, || {
        let mut x = complex(a)?;
        for (&ax, &len) in others.iter().zip(&lens) {
            x = resize(&x, ax, len)?;
        }
        for &ax in others.iter().rev() {
            x = c2c_axis(&x, ax, true, norm)?;
        }
        c2r_axis(&x, last, lens[axes.len() - 1], norm)
    })
}

/// `np.roll` of `a` by `shift[k]` along every axis k at once (any GPU dtype; 8- and 16-bit
/// types through a lossless round trip to 32 bits).
fn roll(a: &GpuArray, shift: &[usize]) -> Result<GpuArray> {
    let wide = match a.dtype {
        Dtype::Bool | Dtype::I8 | Dtype::U8 | Dtype::I16 | Dtype::U16 => Some(Dtype::I32),
        Dtype::F16 => Some(Dtype::F32),
        _ => None,
    };
    if let Some(wide) = wide {
        return roll(&a.astype(wide)?, shift)?.astype(a.dtype);
    }
    let x = a.contiguous()?;
    if x.is_empty() || shift.iter().all(|&s| s == 0) {
        return Ok(x);
    }
    let words = (x.dtype.itemsize() / 4) as u32;
    let out = buffer8(&x.gpu, x.len())?;
    let mut params = vec![0u32; 7];
    params.push(x.ndim() as u32);
    params.extend(x.shape().iter().map(|&n| n as u32));
    params.extend(shift.iter().map(|&n| n as u32));
    aux(
        &x.gpu,
        Aux::Roll,
        words,
        x.len(),
        x.storage()?.buffer(),
        out.buffer(),
        None,
        &params,
    )?;
    array(&x.gpu, out, x.dtype, x.shape())
}

fn shift(a: &GpuArray, axes: Option<&[isize]>, inverse: bool) -> Result<GpuArray> {
    let ndim = a.ndim();
    let axes: Vec<usize> = match axes {
        Some(axes) => axes
            .iter()
            .map(|&ax| axis_index(ndim, ax))
            .collect::<Result<_>>()?,
        None => (0..ndim).collect(),
    };
    let mut shifts = vec![0usize; ndim];
    for ax in axes {
        let n = a.shape()[ax];
        if n > 0 {
            let s = if inverse { n - n / 2 } else { n / 2 };
            shifts[ax] = (shifts[ax] + s) % n;
        }
    }
    roll(a, &shifts)
}

/// Moves the zero-frequency term to the centre (NumPy `fft.fftshift`) along `axes` (default:
/// all). Any GPU dtype; the result is C-contiguous.
pub fn fftshift(a: &GpuArray, axes: Option<&[isize]>) -> Result<GpuArray> {
    shift(a, axes, false)
}

/// The inverse of [`fftshift`] (NumPy `fft.ifftshift`; they differ for odd lengths).
pub fn ifftshift(a: &GpuArray, axes: Option<&[isize]>) -> Result<GpuArray> {
    shift(a, axes, true)
}

fn freqs(gpu: &Gpu, n: usize, d: f64, values: impl Iterator<Item = i64>) -> Result<GpuArray> {
    if n == 0 || d == 0.0 || !d.is_finite() {
        return Err(Error::shape(format!(
            "sample frequencies need n > 0 and a finite, nonzero spacing (n = {n}, d = {d})"
        )));
    }
    // Checked before the host vector is made: `n` is a parameter, not data.
    let max = gpu.inner.limits.max_buffer_size;
    if (n as u64).saturating_mul(4) > max {
        return Err(Error::OutOfMemory(format!(
            "{n} sample frequencies: more than this adapter's largest buffer ({max} bytes)"
        )));
    }
    let v: Vec<f32> = values.map(|k| (k as f64 / (n as f64 * d)) as f32).collect();
    gpu.upload(&View::from_slice(&v, &[v.len()])?)
}

/// The sample frequencies of [`fft`] for length `n` and sample spacing `d` (NumPy
/// `fft.fftfreq`): `[0, 1, …, ⌈n/2⌉ − 1, −⌊n/2⌋, …, −1] / (n·d)`, float32 (computed in f64).
pub fn fftfreq(gpu: &Gpu, n: usize, d: f64) -> Result<GpuArray> {
    let n_i = n as i64;
    let pos = (n_i - 1) / 2 + 1;
    freqs(gpu, n, d, (0..pos).chain(-(n_i / 2)..0))
}

/// The sample frequencies of [`rfft`] (NumPy `fft.rfftfreq`): `[0, 1, …, ⌊n/2⌋] / (n·d)`.
pub fn rfftfreq(gpu: &Gpu, n: usize, d: f64) -> Result<GpuArray> {
    freqs(gpu, n, d, 0..n as i64 / 2 + 1)
}

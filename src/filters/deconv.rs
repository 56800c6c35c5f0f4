//! Deconvolution: point-spread functions, edge tapering, periodic convolution and Wiener
//! deconvolution through the GPU FFT.
//!
//! **Convolution model.** A blur is the *periodic* (circular) convolution of the image with a
//! point-spread function (PSF): the PSF is zero-padded to the image size and rolled so that its
//! centre, element `[kh / 2, kw / 2]` (the middle one for odd sizes), sits at `(0, 0)`; then
//! `Y = H · X` in the 2-D DFT, channel by channel. [`convolve_periodic`] applies this model and
//! [`wiener_deconvolve`] inverts it. Real photos are not periodic: their opposite edges differ,
//! and a filter that assumes they meet rings along them. [`taper_edges`] first makes the edges
//! meet smoothly.
//!
//! PSFs are host arrays (`f32`, `[k, k]`, summing to 1): they are small, and the transfer
//! function `H` is computed from them once per call (zero-padded on the host, transformed on
//! the GPU; on a CPU adapter, a PSF of at most 32 × 32 by a direct DFT on the host in f64).

mod planes;
mod taper;

use std::f64::consts::PI;

use super::{from_float, interleave, number, to_float, to_float_dtype};
use crate::error::{Error, Result};
use crate::gpu::array::GpuArray;
use crate::gpu::context::Gpu;
use crate::gpu::fft::{self, Norm};
use crate::view::dtype::{Dtype, Kind};
use crate::view::layout::SliceArg;
use crate::view::view::{HostArray, View};

/// The largest side of a PSF the builders ([`psf_gaussian`], [`psf_motion`], [`psf_disk`])
/// make: 4095 × 4095 values (128 MiB in f64 while building). A PSF is applied to an image at
/// least as large as itself, and the builders' cost grows with its area.
pub const MAX_PSF_SIZE: usize = 4095;

/// `size` (the side of a PSF, from `what`) as a `usize`, or an [`Error::Parameter`] naming
/// `what` when it exceeds [`MAX_PSF_SIZE`]: checked before anything is allocated.
fn psf_side(size: f64, what: impl std::fmt::Display) -> Result<usize> {
    if size > MAX_PSF_SIZE as f64 {
        return Err(Error::Parameter(format!(
            "{what} gives a PSF of {size} × {size} pixels, more than the largest one made \
             ({MAX_PSF_SIZE} × {MAX_PSF_SIZE})"
        )));
    }
    Ok(size as usize)
}

/// `k · k` zeros, or [`Error::OutOfMemory`] when the host cannot hold them (never an abort).
fn zeros(k: usize) -> Result<Vec<f64>> {
    let mut v = Vec::new();
    v.try_reserve_exact(k * k)
        .map_err(|e| Error::OutOfMemory(format!("a PSF of {k} × {k} values on the host: {e}")))?;
    v.resize(k * k, 0.0);
    Ok(v)
}

/// A `[k, k]` f32 host array of `values` (row-major, f64), divided by their sum.
fn normalised(values: Vec<f64>, k: usize) -> Result<HostArray> {
    let total: f64 = values.iter().sum();
    let v: Vec<f32> = values.iter().map(|&x| (x / total) as f32).collect();
    HostArray::from_slice(&v, &[k, k])
}

/// Removes outer rings of a `[k, k]` kernel that hold (almost) nothing, keeping it centred: in
/// two passes over the values, whatever the number of rings removed.
fn trim(values: Vec<f64>, k: usize) -> (Vec<f64>, usize) {
    let c = k / 2;
    // ring[d]: the absolute weight at Chebyshev distance d from the middle pixel.
    let mut ring = vec![0.0f64; c + 1];
    for (n, v) in values.iter().enumerate() {
        ring[(n / k).abs_diff(c).max((n % k).abs_diff(c))] += v.abs();
    }
    let total: f64 = ring.iter().sum();
    let mut keep = c;
    while keep > 0 && ring[keep] <= 1e-9 * total {
        keep -= 1;
    }
    if keep == c {
        return (values, k);
    }
    let (lo, inner) = (c - keep, 2 * keep + 1);
    let values = (lo..lo + inner)
        .flat_map(|i| (lo..lo + inner).map(move |j| (i, j)))
        .map(|(i, j)| values[i * k + j])
        .collect();
    (values, inner)
}

/// The side of [`psf_motion`]'s PSF before trimming: odd, holding the segment spread over its
/// neighbours.
pub(crate) fn motion_size(length: f64) -> f64 {
    2.0 * ((length / 2.0).floor() + 1.0) + 1.0
}

/// The side of [`psf_disk`]'s PSF before trimming: odd, the smallest that holds the disk.
pub(crate) fn disk_size(radius: f64) -> f64 {
    2.0 * (radius - 0.5).ceil().max(0.0) + 1.0
}

/// A Gaussian PSF: `exp(−(i² + j²) / (2 σ²))` sampled at the pixel centres of a `size × size`
/// grid centred on its middle pixel, normalised to sum 1. `size` must be odd (the PSF has a
/// middle pixel); `3σ` on each side (`size = 2·⌈3σ⌉ + 1`) holds 99.7 % of a 1-D Gaussian. At
/// most [`MAX_PSF_SIZE`].
///
/// ```
/// let psf = gpuarray::filters::psf_gaussian(19, 3.0)?;
/// assert_eq!(psf.shape(), [19, 19]);
/// let sum: f32 = psf.as_slice::<f32>()?.iter().sum();
/// assert!((sum - 1.0).abs() < 1e-5);
/// # Ok::<(), gpuarray::Error>(())
/// ```
pub fn psf_gaussian(size: usize, sigma: f32) -> Result<HostArray> {
    let sigma = number("the Gaussian's sigma", sigma, true)?;
    if size % 2 == 0 {
        return Err(Error::shape(format!(
            "a Gaussian PSF has an odd size (a middle pixel), not {size}"
        )));
    }
    psf_side(size as f64, format_args!("a Gaussian PSF size of {size}"))?;
    let c = (size / 2) as f64;
    let mut values = zeros(size)?;
    for (n, v) in values.iter_mut().enumerate() {
        let (i, j) = ((n / size) as f64 - c, (n % size) as f64 - c);
        *v = (-(i * i + j * j) / (2.0 * sigma * sigma)).exp();
    }
    normalised(values, size)
}

/// A linear motion-blur PSF: a line segment of `length` pixels through the centre, at
/// `angle_degrees` counter-clockwise from the x axis (0° horizontal, 90° vertical, as seen on
/// screen with rows growing downwards), normalised to sum 1.
///
/// The segment is anti-aliased: it is sampled every 1/16 pixel and each sample is spread over
/// its four nearest pixels with bilinear weights, so that the PSF changes continuously with the
/// length and the angle (the two end pixels get partial weights). The PSF is square, of odd
/// size (the smallest that holds the spread segment), and point-symmetric about its middle
/// pixel. `length = 0` gives the identity (`[[1]]`). An error when the PSF would be larger than
/// [`MAX_PSF_SIZE`] (a length above about 4092).
///
/// ```
/// let psf = gpuarray::filters::psf_motion(9.0, 0.0)?;    // horizontal
/// assert_eq!(psf.shape(), [11, 11]);
/// let v = psf.as_slice::<f32>()?;
/// let row = &v[5 * 11..6 * 11];                          // all the weight is on the middle row
/// assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6);
/// assert!(row[2..9].iter().all(|&x| (x - row[5]).abs() < 1e-6) && row[0] < row[5]);
/// # Ok::<(), gpuarray::Error>(())
/// ```
pub fn psf_motion(length: f32, angle_degrees: f32) -> Result<HostArray> {
    let length = number("the motion length", length, false)?;
    if length < 0.0 {
        return Err(Error::Parameter(format!(
            "the motion length must be ≥ 0, not {length}"
        )));
    }
    let angle = number("the motion angle", angle_degrees, false)?.to_radians();
    let k = psf_side(
        motion_size(length),
        format_args!("a motion length of {length}"),
    )?;
    let half = k / 2;
    let mut values = zeros(k)?;
    let n = ((length * 16.0).ceil() as usize).max(1) + 1;
    let (cos, sin) = (angle.cos(), angle.sin());
    for s in 0..n {
        // Symmetric positions: sample s and n - 1 - s are exact negatives.
        let t = length * (2.0 * s as f64 - (n - 1) as f64) / (2.0 * (n - 1) as f64);
        let (x, y) = (half as f64 + t * cos, half as f64 - t * sin);
        let (x0, y0) = (x.floor(), y.floor());
        let (fx, fy) = (x - x0, y - y0);
        let (x0, y0) = (x0 as usize, y0 as usize);
        for (dy, wy) in [(0, 1.0 - fy), (1, fy)] {
            for (dx, wx) in [(0, 1.0 - fx), (1, fx)] {
                if wx * wy > 0.0 {
                    values[(y0 + dy) * k + x0 + dx] += wx * wy;
                }
            }
        }
    }
    let (values, k) = trim(values, k);
    normalised(values, k)
}

/// A disk (pillbox, out-of-focus) PSF of `radius` pixels: each pixel weighs the fraction of its
/// area inside the circle (estimated on a 16 × 16 grid of sub-samples), normalised to sum 1.
/// The size is odd, the smallest that holds the disk; the PSF has the disk's 8-fold symmetry.
/// At most [`MAX_PSF_SIZE`] (a radius up to 2047.5).
///
/// ```
/// let psf = gpuarray::filters::psf_disk(2.0)?;
/// assert_eq!(psf.shape(), [5, 5]);
/// let v = psf.as_slice::<f32>()?;
/// assert_eq!(v[12], v[11]);                 // full pixels inside the disk weigh the same
/// assert!(v[0] < 0.01 * v[12]);             // the corners barely touch it
/// # Ok::<(), gpuarray::Error>(())
/// ```
pub fn psf_disk(radius: f32) -> Result<HostArray> {
    let r = number("the disk radius", radius, true)?;
    const S: usize = 16;
    let k = psf_side(disk_size(r), format_args!("a disk radius of {r}"))?;
    let half = (k / 2) as f64;
    let mut values = zeros(k)?;
    for (n, v) in values.iter_mut().enumerate() {
        let (i, j) = ((n / k) as f64 - half, (n % k) as f64 - half);
        // The pixel's nearest and farthest points from the centre: pixels wholly inside or
        // outside the circle need no sub-samples (the same counts, in O(k) sub-sampled pixels).
        let near = (i.abs() - 0.5).max(0.0).powi(2) + (j.abs() - 0.5).max(0.0).powi(2);
        let far = (i.abs() + 0.5).powi(2) + (j.abs() + 0.5).powi(2);
        *v = if near > r * r {
            0.0
        } else if far <= r * r {
            (S * S) as f64
        } else {
            let mut inside = 0usize;
            for a in 0..S {
                for b in 0..S {
                    let y = i + (a as f64 + 0.5) / S as f64 - 0.5;
                    let x = j + (b as f64 + 0.5) / S as f64 - 0.5;
                    inside += usize::from(x * x + y * y <= r * r);
                }
            }
            inside as f64
        };
    }
    // A disk too small to hold a sub-sample lies within the middle pixel: the identity.
    if values.iter().all(|&v| v == 0.0) {
        values[k * k / 2] = 1.0;
    }
    let (values, k) = trim(values, k);
    normalised(values, k)
}

/// The PSF's values (row-major, f64) and shape, checked against an image of `h × w`.
fn psf_values(psf: &View<'_>, h: usize, w: usize) -> Result<(Vec<f64>, usize, usize)> {
    match psf.dtype() {
        Some(d) if d.kind() == Kind::Float => {}
        other => {
            return Err(Error::dtype(format!(
                "a PSF holds real floating-point values (float32 or float64), not {}",
                other.map_or_else(|| format!("format {}", psf.format()), |d| d.to_string())
            )));
        }
    }
    if psf.ndim() != 2 {
        return Err(Error::shape(format!(
            "a PSF is 2-D ([kh, kw]), not {}-D (shape {:?})",
            psf.ndim(),
            psf.shape()
        )));
    }
    let (kh, kw) = (psf.shape()[0], psf.shape()[1]);
    if kh == 0 || kw == 0 || kh > h || kw > w {
        return Err(Error::shape(format!(
            "the PSF ({kh} × {kw}) must be non-empty and no larger than the image ({h} × {w})"
        )));
    }
    let values = psf.astype(Dtype::F64)?;
    let values = values.as_slice::<f64>()?.to_vec();
    if let Some(bad) = values.iter().find(|v| !v.is_finite()) {
        return Err(Error::Parameter(format!(
            "the PSF holds a non-finite value ({bad})"
        )));
    }
    Ok((values, kh, kw))
}

/// The transfer function `H = rfft2(psf padded to h × w, centre rolled to (0, 0))`,
/// `[h, w/2 + 1]` complex64.
fn transfer(gpu: &crate::Gpu, psf: &View<'_>, h: usize, w: usize) -> Result<GpuArray> {
    transfer_with(gpu, psf, h, w, on_host(gpu, psf))
}

/// [`transfer`], made on the host ([`host_transfer`]) or by the GPU's FFT.
fn transfer_with(
    gpu: &crate::Gpu,
    psf: &View<'_>,
    h: usize,
    w: usize,
    host: bool,
) -> Result<GpuArray> {
    let (values, kh, kw) = psf_values(psf, h, w)?;
    if host {
        let hf = host_transfer(&values, (kh, kw), (h, w))?;
        return upload_spectrum(gpu, hf.iter().copied(), h, w);
    }
    let mut padded = vec![0.0f32; h * w];
    let (ci, cj) = (kh / 2, kw / 2);
    for i in 0..kh {
        for j in 0..kw {
            let (y, x) = ((i + h - ci) % h, (j + w - cj) % w);
            padded[y * w + x] += values[i * kw + j] as f32;
        }
    }
    let p = gpu.upload(&View::from_slice(&padded, &[h, w])?)?;
    fft::rfft2(&p, None, None, Norm::Backward)
}

/// The largest PSF side whose transfer function is computed on the host (see
/// [`host_transfer`]).
const HOST_PSF_SIDE: usize = 32;

/// Whether the transfer function of `psf` is made on the host: where the adapter is the CPU
/// (lavapipe, llvmpipe) and the PSF has at most [`HOST_PSF_SIDE`] rows and columns (see
/// [`host_transfer`]). Elsewhere the GPU's FFT makes it.
fn on_host(gpu: &Gpu, psf: &View<'_>) -> bool {
    let side = psf.shape().iter().copied().max().unwrap_or(0);
    gpu.info().device_type == wgpu::DeviceType::Cpu && side <= HOST_PSF_SIDE
}

/// The transfer function of a PSF of `kh × kw` `values` for an `h × w` image, `[h, w/2 + 1]`
/// row-major, computed on the host in f64.
///
/// The direct DFT of the PSF's few values, one axis at a time: `kh · kw · (w/2 + 1)` then
/// `h · kh · (w/2 + 1)` complex multiply-adds, about 40 M for a 19 × 19 PSF and a 2048 × 2048
/// image (tens of milliseconds), where a CPU adapter's real 2-D FFT of the padded PSF and the
/// elementwise passes of the Wiener filter take about a second. On a real GPU the FFT is far
/// faster than the host, so it keeps the GPU path.
fn host_transfer(
    values: &[f64],
    (kh, kw): (usize, usize),
    (h, w): (usize, usize),
) -> Result<Vec<num_complex::Complex64>> {
    use num_complex::Complex64;
    let wc = w / 2 + 1;
    // e^{−2πi·k·d/n} for the PSF offset d of tap `t` from its centre `c`, the product k·d
    // reduced mod n in integers so that the angle stays exact for large k.
    let twiddle = |k: usize, t: usize, c: usize, n: usize| {
        let d = (t + n - c) % n;
        let m = ((k as u64 * d as u64) % n as u64) as f64;
        Complex64::from_polar(1.0, -2.0 * PI * m / n as f64)
    };
    // Along the rows: a[i][kx] = Σ_j psf[i][j] · e^{−2πi·kx·(j − cj)/w}.
    let mut a = vec![Complex64::new(0.0, 0.0); kh * wc];
    for j in 0..kw {
        let col: Vec<Complex64> = (0..wc).map(|kx| twiddle(kx, j, kw / 2, w)).collect();
        for i in 0..kh {
            let v = values[i * kw + j];
            for (out, e) in a[i * wc..(i + 1) * wc].iter_mut().zip(&col) {
                *out += v * e;
            }
        }
    }
    // Along the columns: H[ky][kx] = Σ_i a[i][kx] · e^{−2πi·ky·(i − ci)/h}.
    let mut hf = Vec::new();
    hf.try_reserve_exact(h * wc).map_err(|e| {
        Error::OutOfMemory(format!(
            "a transfer function of {h} × {wc} values on the host: {e}"
        ))
    })?;
    hf.resize(h * wc, Complex64::new(0.0, 0.0));
    for (ky, row) in hf.chunks_exact_mut(wc).enumerate() {
        for i in 0..kh {
            let e = twiddle(ky, i, kh / 2, h);
            for (out, v) in row.iter_mut().zip(&a[i * wc..(i + 1) * wc]) {
                *out += e * v;
            }
        }
    }
    Ok(hf)
}

/// A spectrum `[h, w/2 + 1]` of f64 values, uploaded as complex64.
fn upload_spectrum(
    gpu: &Gpu,
    values: impl Iterator<Item = num_complex::Complex64>,
    h: usize,
    w: usize,
) -> Result<GpuArray> {
    let v: Vec<num_complex::Complex32> = values
        .map(|z| num_complex::Complex32::new(z.re as f32, z.im as f32))
        .collect();
    gpu.upload(&View::from_slice(&v, &[h, w / 2 + 1])?)
}

/// A float image as `[c, h, w]` (no copy): channels first, so the 2-D FFTs run over the last
/// two axes.
fn channels_first(x: &GpuArray) -> Result<GpuArray> {
    if x.ndim() == 2 {
        x.slice(&[SliceArg::NewAxis, SliceArg::ALL, SliceArg::ALL])
    } else {
        x.permute(&[2, 0, 1])
    }
}

/// Float planes `[c, h, w]` back to an image of `dtype` in the layout of `like` (`[h, w]` or
/// `[h, w, c]`): a `u8` RGB or RGBA result in one pass ([`planes::interleave_u8`]), else by
/// interleaving and converting.
fn to_image(y: &GpuArray, like: &GpuArray, dtype: Dtype) -> Result<GpuArray> {
    if dtype == Dtype::U8 && like.ndim() == 3 {
        if let Some(image) = planes::interleave_u8(y)? {
            return Ok(image);
        }
    }
    from_float(&channels_last(y, like)?, dtype)
}

/// `[c, h, w]` back to the layout of `like` (`[h, w]` or `[h, w, c]`).
fn channels_last(y: &GpuArray, like: &GpuArray) -> Result<GpuArray> {
    if like.ndim() == 2 {
        y.slice(&[0isize.into(), SliceArg::ALL, SliceArg::ALL])
    } else {
        interleave(y)
    }
}

/// Multiplies the spectrum of every channel of `image` by `filter` (`[h, w/2 + 1]`, real or
/// complex, a function of the float image's `h` and `w`) and transforms back.
fn filter_spectrum(
    image: &GpuArray,
    filter: impl FnOnce(&GpuArray, usize, usize) -> Result<GpuArray>,
) -> Result<GpuArray> {
    let (x, dtype) = to_float(image)?;
    let (h, w) = (x.shape()[0], x.shape()[1]);
    let g = filter(&x, h, w)?;
    let spectrum = fft::rfft2(&channels_first(&x)?, None, None, Norm::Backward)?;
    let y = fft::irfft2(&spectrum.mul(&g)?, Some(&[h, w]), None, Norm::Backward)?;
    to_image(&y, &x, dtype)
}

/// The periodic convolution of every channel of `image` with `psf` (see the module docs for
/// the model and the PSF's centre), through the GPU FFT: a blur that wraps around the edges.
/// Same shape and dtype out; integer images are rounded and clamped.
///
/// Errors: the PSF must be a 2-D float array no larger than the image.
///
/// ```
/// use gpuarray::{Gpu, View, filters::convolve_periodic};
/// let gpu = Gpu::new()?;
/// let x = gpu.upload(&View::from_slice(&[0.0f32, 0.0, 1.0, 0.0], &[1, 4])?)?;
/// let psf = [0.25f32, 0.5, 0.25];
/// let y = convolve_periodic(&x, &View::from_slice(&psf, &[1, 3])?)?.to_host()?;
/// let y = y.as_slice::<f32>()?;
/// assert!(y.iter().zip([0.0, 0.25, 0.5, 0.25]).all(|(a, b)| (a - b).abs() < 1e-6));
/// # Ok::<(), gpuarray::Error>(())
/// ```
pub fn convolve_periodic(image: &GpuArray, psf: &View<'_>) -> Result<GpuArray> {
    filter_spectrum(image, |x, h, w| transfer(x.gpu(), psf, h, w))
}

/// Wiener deconvolution: undoes a blur by the known `psf` (see the module docs for the model
/// and the PSF's centre), channel by channel:
///
/// `X = conj(H) · Y / (|H|² + nsr)`
///
/// with `Y` the 2-D DFT of the channel, `H` that of the PSF and `nsr` the noise-to-signal power
/// ratio (noise variance over signal variance, per frequency assumed constant): 0 is the plain
/// inverse filter (infinite where `H` vanishes), larger values suppress noise at the cost of
/// sharpness. For 1 % noise on a natural photo, about 1e-3. The result is the real part of the
/// inverse DFT, in the input's dtype (integer images rounded and clamped).
///
/// The filter assumes the blur wrapped around the edges; for a real photo, call
/// [`taper_edges`] first or the result rings along the borders. The FFTs run on the GPU
/// (`rfft2`/`irfft2`, any image size).
///
/// Errors: `nsr` must be finite and ≥ 0; the PSF a 2-D float (`f32`/`f64`) array with finite
/// values, no larger than the image; the image `[h, w]` or `[h, w, c]`, `u8`, `u16` or `f32`.
///
/// ```
/// use gpuarray::{Gpu, View, filters::{convolve_periodic, wiener_deconvolve}};
/// let gpu = Gpu::new()?;
/// let sharp: Vec<f32> = (0..64).map(|i| ((i * 7) % 5) as f32 / 4.0).collect();
/// let x = gpu.upload(&View::from_slice(&sharp, &[8, 8])?)?;
/// let psf = [0.1f32, 0.2, 0.4, 0.2, 0.1];
/// let psf = View::from_slice(&psf, &[1, 5])?;
/// let blurred = convolve_periodic(&x, &psf)?;
/// let restored = wiener_deconvolve(&blurred, &psf, 1e-6)?.to_host()?;
/// let err = restored.as_slice::<f32>()?.iter().zip(&sharp).map(|(a, b)| (a - b).abs());
/// assert!(err.fold(0.0, f32::max) < 1e-3);
/// # Ok::<(), gpuarray::Error>(())
/// ```
pub fn wiener_deconvolve(image: &GpuArray, psf: &View<'_>, nsr: f32) -> Result<GpuArray> {
    check_nsr(nsr)?;
    filter_spectrum(image, |x, h, w| wiener_filter(x.gpu(), psf, nsr, h, w))
}

fn check_nsr(nsr: f32) -> Result<()> {
    if !nsr.is_finite() || nsr < 0.0 {
        return Err(Error::Parameter(format!(
            "the noise-to-signal ratio nsr must be finite and ≥ 0, not {nsr}"
        )));
    }
    Ok(())
}

/// `conj(H) / (|H|² + nsr)` over `[h, w/2 + 1]`, `H` the transfer function of `psf`.
fn wiener_filter(gpu: &Gpu, psf: &View<'_>, nsr: f32, h: usize, w: usize) -> Result<GpuArray> {
    wiener_filter_with(gpu, psf, nsr, h, w, on_host(gpu, psf))
}

/// [`wiener_filter`], made on the host ([`host_transfer`], then the filter in f64) or by the
/// GPU.
fn wiener_filter_with(
    gpu: &Gpu,
    psf: &View<'_>,
    nsr: f32,
    h: usize,
    w: usize,
    host: bool,
) -> Result<GpuArray> {
    if host {
        let (values, kh, kw) = psf_values(psf, h, w)?;
        let hf = host_transfer(&values, (kh, kw), (h, w))?;
        let nsr = nsr as f64;
        return upload_spectrum(
            gpu,
            hf.iter().map(|z| z.conj() / (z.norm_sqr() + nsr)),
            h,
            w,
        );
    }
    let hf = transfer_with(gpu, psf, h, w, false)?;
    let (re, im) = (hf.real()?, hf.imag()?);
    let power = re.mul(&re)?.add(&im.mul(&im)?)?;
    hf.conj()?.div(&power.add(nsr as f64)?)
}

/// Raised-cosine weights `[n]`: rising from near 0 at both ends to 1 over `width` samples.
fn ramp(n: usize, width: usize) -> Vec<f32> {
    (0..n)
        .map(|i| {
            let d = i.min(n - 1 - i);
            if d >= width {
                1.0
            } else {
                (0.5 - 0.5 * (PI * (d as f64 + 0.5) / width as f64).cos()) as f32
            }
        })
        .collect()
}

/// Tapers the borders of `image` so that it is nearly periodic, as MATLAB's `edgetaper`: the
/// image is blended into a periodically blurred copy of itself (a Gaussian of `σ = width / 4`,
/// defined through the DFT: the spectrum times `exp(−2π²σ²(fy² + fx²))`, which wraps around
/// the edges) with the weight `w(i, j) = r(i) · r(j)`, where `r` rises from 0 at an edge to 1 at
/// `width` pixels from it as a raised cosine (`0.5 − 0.5 cos(π (d + 0.5) / width)` at distance
/// `d`). At the edges the result is the blurred copy, whose opposite edges meet smoothly, so an
/// FFT-based filter does not ring there; the interior is unchanged.
///
/// The blurred copy is computed only within `width` pixels of the edges, where it is used, by
/// two direct passes of the periodic 1-D kernels of that definition (cut where at most 2⁻²⁶ of
/// their weight is left out): within about `(2⁻²⁵ + (lx + ly)·2⁻²⁴)·max|x|` of the f64 DFT
/// definition, `lx`, `ly` the taps (55 each for a width of 19). Images one of whose float planes
/// does not fit a storage binding are blurred through the FFT instead (an f32 round trip).
///
/// Use a `width` of at least the PSF's size before [`wiener_deconvolve`]. `width = 0` returns
/// the image unchanged; `2·width` must not exceed the height or the width.
///
/// ```
/// use gpuarray::{Gpu, View, filters::taper_edges};
/// let gpu = Gpu::new()?;
/// let x: Vec<f32> = (0..400).map(|i| (i % 20) as f32 / 19.0).collect(); // a ramp: 0 | 1 at the edges
/// let t = taper_edges(&gpu.upload(&View::from_slice(&x, &[20, 20])?)?, 4)?.to_host()?;
/// let t = t.as_slice::<f32>()?;
/// assert!((t[10 * 20] - t[10 * 20 + 19]).abs() < 0.5);          // was 1: the edges nearly meet
/// assert!((t[10 * 20 + 10] - x[10 * 20 + 10]).abs() < 1e-6);    // the middle is untouched
/// # Ok::<(), gpuarray::Error>(())
/// ```
pub fn taper_edges(image: &GpuArray, width: usize) -> Result<GpuArray> {
    let dtype = to_float_dtype(image)?;
    if width == 0 {
        return Ok(image.clone());
    }
    let (planes, fresh) = float_planes(image, dtype)?;
    let tapered = taper_channels(&planes, fresh, width)?;
    to_image(&tapered, image, dtype)
}

/// The channels of `image` (of `dtype`, as [`to_float_dtype`] gives it) as C-contiguous float
/// planes `[c, h, w]`, in one pass (integer images converted to unit floats as they are
/// gathered; `u8` RGB and RGBA images by [`planes::unit_planes`]), and whether they were made
/// for this call (`false`: they are the image itself).
fn float_planes(image: &GpuArray, dtype: Dtype) -> Result<(GpuArray, bool)> {
    let planes = channels_first(image)?;
    Ok(match dtype {
        Dtype::F32 => {
            let shared = planes.is_c_contiguous() && planes.offset() == 0;
            (planes.contiguous()?, !shared)
        }
        _ => match planes::unit_planes(image)? {
            Some(planes) => (planes, true),
            None => (planes.to_unit_float()?, true),
        },
    })
}

/// [`taper_edges`] of C-contiguous float planes `[c, h, w]` (`fresh`: made for this call, so
/// the taper may write into them), giving contiguous `[c, h, w]`.
fn taper_channels(x: &GpuArray, fresh: bool, width: usize) -> Result<GpuArray> {
    let (h, w) = (x.shape()[1], x.shape()[2]);
    if width > h.min(w) / 2 {
        let side = width.saturating_mul(2);
        return Err(Error::shape(format!(
            "a taper of {width} pixels needs an image of at least {side} × {side} pixels, not \
             {h} × {w}"
        )));
    }
    if let Some(out) = taper::band_taper(x, width, fresh)? {
        return Ok(out);
    }
    // Planes larger than a binding: the blurred copy of the whole image through the FFT.
    let gpu = x.gpu();
    let sigma = width as f64 / 4.0;
    let fy = fft::fftfreq(gpu, h, 1.0)?.reshape(&[h as isize, 1])?;
    let fx = fft::rfftfreq(gpu, w, 1.0)?;
    let gauss = fy
        .mul(&fy)?
        .add(&fx.mul(&fx)?)?
        .mul(-2.0 * PI * PI * sigma * sigma)?
        .exp()?;
    let spectrum = fft::rfft2(x, None, None, Norm::Backward)?;
    let blurred = fft::irfft2(&spectrum.mul(&gauss)?, Some(&[h, w]), None, Norm::Backward)?;
    let rows = gpu.upload(&View::from_slice(&ramp(h, width), &[h, 1])?)?;
    let cols = gpu.upload(&View::from_slice(&ramp(w, width), &[w])?)?;
    let weight = rows.mul(&cols)?;
    let out = blurred.add(&weight.mul(&x.sub(&blurred)?)?)?;
    out.eval()?;
    Ok(out)
}

/// [`taper_edges`] over `taper` pixels, then [`wiener_deconvolve`], as one computation in
/// float: the channels are gathered once into float planes (integer images converted as they
/// are read), tapered there (the blur only in the border bands, see [`taper_edges`]), and
/// transformed by one batched real 2-D FFT of all the channels and its inverse; no rounding to
/// the image's dtype and no interleaving between the two steps. On a CPU adapter the Wiener
/// filter `conj(H) / (|H|² + nsr)` of a PSF of at most 32 × 32 is computed on the host in f64
/// (a direct DFT of its few values) rather than by a GPU FFT of the padded PSF. The CLI's
/// `deblur` op. Errors as the two functions'.
///
/// ```
/// use gpuarray::{Gpu, View, filters::{psf_gaussian, taper_edges, wiener_deblur, wiener_deconvolve}};
/// let gpu = Gpu::new()?;
/// let x: Vec<f32> = (0..32 * 32).map(|i| ((i * 7) % 11) as f32 / 10.0).collect();
/// let x = gpu.upload(&View::from_slice(&x, &[32, 32])?)?;
/// let psf = psf_gaussian(5, 1.0)?;
/// let one = wiener_deblur(&x, &psf.view(), 1e-3, 5)?.to_host()?;
/// let two = wiener_deconvolve(&taper_edges(&x, 5)?, &psf.view(), 1e-3)?.to_host()?;
/// let (one, two) = (one.as_slice::<f32>()?, two.as_slice::<f32>()?);
/// assert!(one.iter().zip(two).all(|(a, b)| (a - b).abs() < 1e-4));
/// # Ok::<(), gpuarray::Error>(())
/// ```
pub fn wiener_deblur(image: &GpuArray, psf: &View<'_>, nsr: f32, taper: usize) -> Result<GpuArray> {
    check_nsr(nsr)?;
    let dtype = to_float_dtype(image)?;
    let (h, w) = (image.shape()[0], image.shape()[1]);
    // The PSF is checked before any GPU work is recorded.
    psf_values(psf, h, w)?;
    let (planes, fresh) = float_planes(image, dtype)?;
    let tapered = if taper == 0 {
        planes
    } else {
        taper_channels(&planes, fresh, taper)?
    };
    let spectrum = fft::rfft2(&tapered, None, None, Norm::Backward)?;
    // The planes, the taper and the forward transform go to the GPU now, so that it computes
    // them while the host makes the Wiener filter (on a CPU adapter, the direct DFT of the PSF:
    // tens of milliseconds on the host, which the GPU would otherwise wait for).
    image.gpu().flush()?;
    let g = wiener_filter(image.gpu(), psf, nsr, h, w)?;
    let y = fft::irfft2(&spectrum.mul(&g)?, Some(&[h, w]), None, Norm::Backward)?;
    to_image(&y, image, dtype)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complex_values(a: &GpuArray) -> Vec<num_complex::Complex32> {
        a.to_host().unwrap().as_slice().unwrap().to_vec()
    }

    /// The host's direct DFT of a PSF (taken on CPU adapters, so by every other test here)
    /// against the GPU FFT route (taken on real GPUs): the transfer function within 1e-6 of
    /// its largest value 1 (f32 FFT rounding of a few hundred values), the Wiener filter
    /// `conj H / (|H|² + nsr)` within 1e-5 (its gain is at most 1 / (2 √nsr) = 5 here).
    #[test]
    fn host_and_gpu_transfer_functions_agree() {
        let gpu = Gpu::new().expect("GPU tests need an adapter");
        for (psf, (h, w)) in [
            (psf_gaussian(19, 3.0).unwrap(), (40, 50)),
            (psf_motion(9.0, 30.0).unwrap(), (33, 17)),
            (psf_disk(4.0).unwrap(), (64, 64)),
        ] {
            let psf = psf.view();
            let worst = |a: &GpuArray, b: &GpuArray| {
                let (a, b) = (complex_values(a), complex_values(b));
                assert_eq!(a.len(), b.len());
                a.iter()
                    .zip(&b)
                    .map(|(x, y)| (x - y).norm())
                    .fold(0f32, f32::max)
            };
            let host = transfer_with(&gpu, &psf, h, w, true).unwrap();
            let device = transfer_with(&gpu, &psf, h, w, false).unwrap();
            let err = worst(&host, &device);
            assert!(
                err <= 1e-6,
                "transfer {:?} on {h} × {w}: {err:.2e}",
                psf.shape()
            );
            let host = wiener_filter_with(&gpu, &psf, 0.01, h, w, true).unwrap();
            let device = wiener_filter_with(&gpu, &psf, 0.01, h, w, false).unwrap();
            let err = worst(&host, &device);
            assert!(
                err <= 1e-5,
                "Wiener {:?} on {h} × {w}: {err:.2e}",
                psf.shape()
            );
        }
    }
}

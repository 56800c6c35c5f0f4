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
//! the GPU).

use std::f64::consts::PI;

use super::{from_float, interleave, number, to_float};
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
    let (values, kh, kw) = psf_values(psf, h, w)?;
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

/// A float image as `[c, h, w]` (no copy): channels first, so the 2-D FFTs run over the last
/// two axes.
fn channels_first(x: &GpuArray) -> Result<GpuArray> {
    if x.ndim() == 2 {
        x.slice(&[SliceArg::NewAxis, SliceArg::ALL, SliceArg::ALL])
    } else {
        x.permute(&[2, 0, 1])
    }
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
    from_float(&channels_last(&y, &x)?, dtype)
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
    let hf = transfer(gpu, psf, h, w)?;
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
/// applied through the FFT, which wraps around the edges) with the weight
/// `w(i, j) = r(i) · r(j)`, where `r` rises from 0 at an edge to 1 at `width` pixels from it as
/// a raised cosine (`0.5 − 0.5 cos(π (d + 0.5) / width)` at distance `d`). At the edges the
/// result is the blurred copy, whose opposite edges meet smoothly, so an FFT-based filter does
/// not ring there; the interior is unchanged.
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
    let (x, dtype) = to_float(image)?;
    if width == 0 {
        return Ok(image.clone());
    }
    let tapered = taper_channels(&channels_first(&x)?, width)?;
    from_float(&channels_last(&tapered, &x)?, dtype)
}

/// [`taper_edges`] of float channels `[c, h, w]` (any strides), giving contiguous `[c, h, w]`.
fn taper_channels(x: &GpuArray, width: usize) -> Result<GpuArray> {
    let (h, w) = (x.shape()[1], x.shape()[2]);
    if width > h.min(w) / 2 {
        let side = width.saturating_mul(2);
        return Err(Error::shape(format!(
            "a taper of {width} pixels needs an image of at least {side} × {side} pixels, not \
             {h} × {w}"
        )));
    }
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
/// float: the tapered image stays on the GPU in float, channels first, between the two (no
/// rounding to the image's dtype, no interleaving and re-reading the channels), so it takes
/// two real 2-D FFTs of the channels fewer passes over memory than the two calls. The CLI's
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
    let (x, dtype) = to_float(image)?;
    let (h, w) = (x.shape()[0], x.shape()[1]);
    let g = wiener_filter(x.gpu(), psf, nsr, h, w)?;
    let channels = channels_first(&x)?;
    let tapered = if taper == 0 {
        channels
    } else {
        taper_channels(&channels, taper)?
    };
    let spectrum = fft::rfft2(&tapered, None, None, Norm::Backward)?;
    let y = fft::irfft2(&spectrum.mul(&g)?, Some(&[h, w]), None, Norm::Backward)?;
    from_float(&channels_last(&y, &x)?, dtype)
}

//! Colour operations: luma, gamma, the sRGB transfer functions, brightness and contrast,
//! histogram equalisation.
//!
//! Images are `[h, w]` or `[h, w, c]` arrays of `u8`, `u16` or `f32` (see the
//! [module docs](crate::filters)): integer images are processed as floats in [0, 1] and come
//! back in their own dtype, rounded and clamped; `f32` images are not clamped.
//!
//! **Alpha.** An image with 2 channels (grey + alpha) or 4 channels (RGBA) has an alpha channel,
//! its last one. The tone operations ([`gamma`], [`srgb_to_linear`], [`linear_to_srgb`],
//! [`brightness_contrast`], [`equalize_histogram`]) leave it unchanged; every other channel is
//! transformed.
//!
//! Everything but equalisation is a chain of lazy elementwise operations, run as one fused
//! kernel (plus the integer ↔ float conversions). Equalisation counts histograms on the GPU,
//! builds the cumulative distributions on the host (256 values per channel) and applies them
//! with a lookup kernel (`shaders/lut.wgsl`, in `gpu::histogram`).

use super::{check_image, from_float, number, to_float};
use crate::error::{Error, Result};
use crate::gpu::array::GpuArray;
use crate::gpu::ops::where_;
use crate::view::dtype::Dtype;
use crate::view::layout::SliceArg;
use crate::view::view::View;

/// Rec. 709 (and sRGB) luma weights of red, green and blue.
pub const REC709_LUMA: [f32; 3] = [0.2126, 0.7152, 0.0722];

/// How [`equalize_histogram`] treats colour images.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Equalize {
    /// Each colour channel gets its own equalisation (its own histogram and lookup table).
    /// Simple and exact, but it shifts hues.
    #[default]
    PerChannel,
    /// The luma ([`grayscale`]) is equalised and every colour channel is scaled by the same
    /// ratio `Y' / Y`, which keeps hue and saturation (channels that would exceed the range are
    /// clamped for integer images). Where `Y = 0` the colour channels become `Y'`.
    Luma,
}

/// Channel `k` of a 3-D image, `[h, w]` (no copy).
fn channel(x: &GpuArray, k: usize) -> Result<GpuArray> {
    x.slice(&[SliceArg::ALL, SliceArg::ALL, SliceArg::Index(k as isize)])
}

/// Whether a `[h, w, c]` image has an alpha channel (its last one): 2 or 4 channels.
fn has_alpha(x: &GpuArray) -> bool {
    x.ndim() == 3 && matches!(x.shape()[2], 2 | 4)
}

/// `transformed` on the colour channels and `x` on the alpha channel, if there is one.
fn keep_alpha(x: &GpuArray, transformed: &GpuArray) -> Result<GpuArray> {
    if !has_alpha(x) {
        return Ok(transformed.clone());
    }
    let c = x.shape()[2];
    let mask: Vec<u8> = (0..c).map(|k| u8::from(k + 1 < c)).collect();
    let mask = x.gpu().upload(&View::from_slice(&mask, &[c])?)?;
    where_(&mask, transformed, x)
}

/// The luma of a float image: `[h, w]` for `[h, w]` and `[h, w, c]` input.
fn luma(x: &GpuArray) -> Result<GpuArray> {
    if x.ndim() == 2 {
        return Ok(x.clone());
    }
    match x.shape()[2] {
        0 => Err(Error::shape(format!(
            "an image with no channels (shape {:?}) has no luma",
            x.shape()
        ))),
        1 | 2 => channel(x, 0),
        _ => {
            let [r, g, b] = REC709_LUMA.map(f64::from);
            let y = channel(x, 0)?.mul(r)?;
            let y = y.add(&channel(x, 1)?.mul(g)?)?;
            y.add(&channel(x, 2)?.mul(b)?)
        }
    }
}

/// The luma `Y = 0.2126 R + 0.7152 G + 0.0722 B` (Rec. 709 / sRGB weights) of the first three
/// channels, as a `[h, w]` image of the same dtype.
///
/// The weights are applied to the values as given: the image is **not** linearised first, so
/// for sRGB-encoded data this is the video "luma" Y′, not the CIE luminance (for that, apply
/// [`srgb_to_linear`] first and [`linear_to_srgb`] after). A `[h, w]` image is returned as it
/// is; with 1 or 2 channels (grey, grey + alpha) the result is channel 0; channels after the
/// third (alpha) are ignored.
///
/// ```
/// use gpuarray::{Gpu, View, filters::grayscale};
/// let gpu = Gpu::new()?;
/// let rgb = gpu.upload(&View::from_slice(&[255u8, 0, 0, 0, 255, 0], &[1, 2, 3])?)?;
/// let y = grayscale(&rgb)?.to_host()?;
/// assert_eq!(y.as_slice::<u8>()?, [54, 182]); // round(0.2126·255), round(0.7152·255)
/// # Ok::<(), gpuarray::Error>(())
/// ```
pub fn grayscale(image: &GpuArray) -> Result<GpuArray> {
    let (x, dtype) = to_float(image)?;
    if image.ndim() == 2 {
        return Ok(image.clone());
    }
    from_float(&luma(&x)?, dtype)
}

/// Gamma adjustment `x ↦ x^g` on the [0, 1] scale (`g > 1` darkens the mid-tones, `g < 1`
/// brightens them; 0 and 1 stay put). Negative values of `f32` images become 0 (a real power of
/// a negative number is not defined). `g` must be finite and positive.
///
/// ```
/// use gpuarray::{Gpu, View, filters::gamma};
/// let gpu = Gpu::new()?;
/// let x = gpu.upload(&View::from_slice(&[0.0f32, 0.25, 1.0, -1.0], &[2, 2])?)?;
/// let y = gamma(&x, 0.5)?.to_host()?;
/// assert_eq!(y.as_slice::<f32>()?, [0.0, 0.5, 1.0, 0.0]);
/// # Ok::<(), gpuarray::Error>(())
/// ```
pub fn gamma(image: &GpuArray, g: f32) -> Result<GpuArray> {
    let g = number("the gamma exponent", g, true)?;
    let (x, dtype) = to_float(image)?;
    let y = x.maximum(0.0)?.pow(g)?;
    from_float(&keep_alpha(&x, &y)?, dtype)
}

/// The sRGB decoding function of IEC 61966-2-1 on every colour channel (alpha unchanged):
/// `x / 12.92` for `x ≤ 0.04045`, else `((x + 0.055) / 1.055)^2.4`, on the [0, 1] scale.
///
/// For `u8` input the result is rounded back to `u8`, which loses shadow detail (linear light
/// needs more than 8 bits): convert to `f32` first (`to_unit_float`) to keep it.
///
/// ```
/// use gpuarray::{Gpu, View, filters::srgb_to_linear};
/// let gpu = Gpu::new()?;
/// let x = gpu.upload(&View::from_slice(&[0.0f32, 0.04045, 0.5, 1.0], &[2, 2])?)?;
/// let y = srgb_to_linear(&x)?.to_host()?;
/// let y = y.as_slice::<f32>()?;
/// assert!((y[1] - 0.04045 / 12.92).abs() < 1e-7 && (y[2] - 0.21404).abs() < 1e-5);
/// # Ok::<(), gpuarray::Error>(())
/// ```
pub fn srgb_to_linear(image: &GpuArray) -> Result<GpuArray> {
    let (x, dtype) = to_float(image)?;
    let low = x.div(12.92)?;
    let high = x.add(0.055)?.div(1.055)?.pow(2.4)?;
    let y = where_(&x.le(0.04045)?, &low, &high)?;
    from_float(&keep_alpha(&x, &y)?, dtype)
}

/// The sRGB encoding function of IEC 61966-2-1 on every colour channel (alpha unchanged):
/// `12.92 x` for `x ≤ 0.0031308`, else `1.055 x^(1/2.4) − 0.055`, on the [0, 1] scale. The
/// inverse of [`srgb_to_linear`].
///
/// ```
/// use gpuarray::{Gpu, View, filters::linear_to_srgb};
/// let gpu = Gpu::new()?;
/// let x = gpu.upload(&View::from_slice(&[0.0f32, 0.001, 0.21404, 1.0], &[4])?.reshape(&[2, 2])?)?;
/// let y = linear_to_srgb(&x)?.to_host()?;
/// let y = y.as_slice::<f32>()?;
/// assert!((y[1] - 0.01292).abs() < 1e-7 && (y[2] - 0.5).abs() < 1e-5 && (y[3] - 1.0).abs() < 1e-6);
/// # Ok::<(), gpuarray::Error>(())
/// ```
pub fn linear_to_srgb(image: &GpuArray) -> Result<GpuArray> {
    let (x, dtype) = to_float(image)?;
    let low = x.mul(12.92)?;
    let high = x.pow(1.0 / 2.4)?.mul(1.055)?.sub(0.055)?;
    let y = where_(&x.le(0.0031308)?, &low, &high)?;
    from_float(&keep_alpha(&x, &y)?, dtype)
}

/// Brightness and contrast on the [0, 1] scale:
/// `y = (x − 0.5) · contrast + 0.5 + brightness` on every colour channel (alpha unchanged).
/// `contrast = 1, brightness = 0` is the identity; `contrast` scales around mid-grey (0 gives
/// flat grey, negative inverts), `brightness` shifts. Integer results are clamped to their
/// range; `f32` results are not. Both numbers must be finite.
///
/// ```
/// use gpuarray::{Gpu, View, filters::brightness_contrast};
/// let gpu = Gpu::new()?;
/// let x = gpu.upload(&View::from_slice(&[0u8, 64, 128, 255], &[2, 2])?)?;
/// let y = brightness_contrast(&x, 0.1, 2.0)?.to_host()?;
/// assert_eq!(y.as_slice::<u8>()?, [0, 26, 154, 255]); // 2x − 102, clamped
/// # Ok::<(), gpuarray::Error>(())
/// ```
pub fn brightness_contrast(image: &GpuArray, brightness: f32, contrast: f32) -> Result<GpuArray> {
    let b = number("brightness", brightness, false)?;
    let c = number("contrast", contrast, false)?;
    let (x, dtype) = to_float(image)?;
    let y = x.sub(0.5)?.mul(c)?.add(0.5 + b)?;
    from_float(&keep_alpha(&x, &y)?, dtype)
}

/// The equalisation table of one histogram (OpenCV's `equalizeHist`): with `cdf` the cumulative
/// counts, `n` the total and `m` the count of the lowest value present,
/// `lut[v] = round(255 · (cdf[v] − m) / (n − m))` (halves up, exact integer arithmetic), 0 below
/// the lowest value present. An image with a single value (`n = m`) or none is left unchanged.
pub fn equalization_lut(hist: &[u32; 256]) -> [u8; 256] {
    let n: u64 = hist.iter().map(|&c| c as u64).sum();
    let m = hist.iter().find(|&&c| c > 0).map_or(0, |&c| c as u64);
    let mut lut = [0u8; 256];
    if n == m {
        for (v, l) in lut.iter_mut().enumerate() {
            *l = v as u8;
        }
        return lut;
    }
    let d = n - m;
    let mut cdf = 0u64;
    for (v, l) in lut.iter_mut().enumerate() {
        cdf += hist[v] as u64;
        let num = cdf.saturating_sub(m);
        *l = ((2 * 255 * num + d) / (2 * d)) as u8;
    }
    lut
}

/// The equalisation table of `u8` data, as f32 values in [0, 1].
fn lut_of(q: &GpuArray) -> Result<Vec<f32>> {
    let h = q.histogram_u8()?.to_host()?;
    let hist: [u32; 256] = h
        .as_slice::<u32>()?
        .try_into()
        .map_err(|_| Error::shape("a histogram of 256 bins"))?;
    Ok(equalization_lut(&hist)
        .iter()
        .map(|&v| v as f32 / 255.0)
        .collect())
}

/// Histogram equalisation: maps values through their cumulative distribution so that they
/// spread over the whole range, with 256 bins (OpenCV's `equalizeHist` definition, see
/// [`equalization_lut`]).
///
/// - `u8` images are equalised exactly on their 256 values.
/// - `u16` and `f32` images are quantised to 256 levels first (`round(255 x)`, `f32` values
///   clamped to [0, 1]); each pixel then takes the equalised value of its level, so the result
///   has at most 256 distinct values (in the input's dtype).
///
/// [`Equalize::PerChannel`] equalises every colour channel on its own; [`Equalize::Luma`]
/// equalises the luma ([`grayscale`], quantised the same way) and scales the colour channels by
/// `Y' / Y`. Alpha channels are left unchanged (see the module docs). The histograms are
/// counted on the GPU; the 256-entry tables are built on the host (one small download per
/// channel).
///
/// ```
/// use gpuarray::{Gpu, View, filters::{equalize_histogram, Equalize}};
/// let gpu = Gpu::new()?;
/// let x = gpu.upload(&View::from_slice(&[10u8, 10, 20, 30], &[2, 2])?)?;
/// let y = equalize_histogram(&x, Equalize::PerChannel)?.to_host()?;
/// assert_eq!(y.as_slice::<u8>()?, [0, 0, 128, 255]);
/// # Ok::<(), gpuarray::Error>(())
/// ```
pub fn equalize_histogram(image: &GpuArray, mode: Equalize) -> Result<GpuArray> {
    check_image(image)?;
    let dtype = image.dtype();
    let (x, _) = to_float(image)?;
    // A float image quantised to 256 levels.
    let quantise = |x: &GpuArray| x.from_unit_float(Dtype::U8);
    let colour = |x: &GpuArray| -> usize {
        match x.ndim() {
            2 => 1,
            _ if has_alpha(x) => x.shape()[2] - 1,
            _ => x.shape()[2],
        }
    };
    let out = match mode {
        Equalize::PerChannel => {
            let q = if dtype == Dtype::U8 {
                image.clone()
            } else {
                quantise(&x)?
            };
            let c = if q.ndim() == 2 { 1 } else { q.shape()[2] };
            let mut lut = Vec::with_capacity(c * 256);
            for k in 0..c {
                if k < colour(&q) {
                    let qk = if q.ndim() == 2 {
                        q.clone()
                    } else {
                        channel(&q, k)?
                    };
                    lut.extend(lut_of(&qk)?);
                } else {
                    lut.extend((0..256).map(|v| v as f32 / 255.0));
                }
            }
            let y = q.lookup_u8(&lut, c)?;
            if dtype == Dtype::U8 {
                y
            } else {
                // Alpha keeps its full precision.
                keep_alpha(&x, &y)?
            }
        }
        Equalize::Luma => {
            let y = luma(&x)?;
            let yq = quantise(&y)?;
            let y2 = yq.lookup_u8(&lut_of(&yq)?, 1)?;
            if x.ndim() == 2 {
                y2
            } else {
                let y = y.slice(&[SliceArg::ALL, SliceArg::ALL, SliceArg::NewAxis])?;
                let y2 = y2.slice(&[SliceArg::ALL, SliceArg::ALL, SliceArg::NewAxis])?;
                let scaled = where_(&y.gt(0.0)?, &x.mul(&y2)?.div(&y)?, &y2)?;
                keep_alpha(&x, &scaled)?
            }
        }
    };
    from_float(&out, dtype)
}

//! Image-level operations on GPU arrays: blur, sharpen, edges, colour, deconvolution.
//!
//! Images are `[height, width]` or `[height, width, channels]` arrays of `u8`, `u16` or `f32`.
//! Integer images are processed as floats in [0, 1] (`to_unit_float`) and come back in their own
//! dtype, rounded and clamped (`from_unit_float`); `f32` images stay `f32` and are not clamped.
//! Channels are filtered independently unless an operation says otherwise.

pub mod boxsum;
pub mod color;
pub mod deconv;
mod direct;
pub mod pipeline;
pub mod spatial;

pub use color::{
    Equalize, REC709_LUMA, brightness_contrast, equalization_lut, equalize_histogram, gamma,
    grayscale, linear_to_srgb, srgb_to_linear,
};
pub use deconv::{
    convolve_periodic, psf_disk, psf_gaussian, psf_motion, taper_edges, wiener_deblur,
    wiener_deconvolve,
};
pub use pipeline::{Op, Psf, op_list};
pub use spatial::{box_blur, convolve2d, gaussian_blur, sobel, unsharp_mask};

use crate::error::{Error, Result};
use crate::gpu::array::GpuArray;
use crate::view::dtype::Dtype;

/// What a filter reads outside the image.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum Border {
    /// The nearest edge pixel (`aaa|abcd|ddd`).
    #[default]
    Clamp,
    /// Mirrored without repeating the edge pixel (`dcb|abcd|cba`), as OpenCV's REFLECT_101 and
    /// SciPy's `mirror`.
    Reflect,
    /// Periodic (`bcd|abcd|abc`).
    Wrap,
    /// A constant value (in the units of the float image: [0, 1] for integer images).
    Constant(f32),
}

impl Border {
    /// The mode number and constant the filter shaders take (`border()` in
    /// `shaders/common.wgsl`): 0 clamp, 1 reflect, 2 wrap, 3 constant (with its value).
    pub(crate) fn code(self) -> (u32, f32) {
        match self {
            Border::Clamp => (0, 0.0),
            Border::Reflect => (1, 0.0),
            Border::Wrap => (2, 0.0),
            Border::Constant(v) => (3, v),
        }
    }
}

/// An image as `f32` (integer images scaled to [0, 1]), with the dtype to give back.
pub(crate) fn to_float(image: &GpuArray) -> Result<(GpuArray, Dtype)> {
    let dtype = to_float_dtype(image)?;
    let float = match dtype {
        Dtype::F32 => image.clone(),
        _ => image.to_unit_float()?,
    };
    Ok((float, dtype))
}

/// The dtype of an image that [`to_float`] accepts (`u8`, `u16` or `f32`), or the error it
/// gives; for filters that read the image in its own type.
pub(crate) fn to_float_dtype(image: &GpuArray) -> Result<Dtype> {
    check_image(image)?;
    match image.dtype() {
        dtype @ (Dtype::U8 | Dtype::U16 | Dtype::F32) => Ok(dtype),
        other => Err(Error::Dtype(format!(
            "image filters take uint8, uint16 or float32 images, not {other}"
        ))),
    }
}

/// A float result back in the image's original dtype.
pub(crate) fn from_float(result: &GpuArray, dtype: Dtype) -> Result<GpuArray> {
    match dtype {
        Dtype::U8 | Dtype::U16 => result.from_unit_float(dtype),
        _ => Ok(result.clone()),
    }
}

/// The value of a numeric parameter, or an [`Error::Parameter`] naming it: finite, and > 0 when
/// `positive`.
pub(crate) fn number(name: &str, value: f32, positive: bool) -> Result<f64> {
    if !value.is_finite() || (positive && value <= 0.0) {
        let what = if positive {
            "a finite number > 0"
        } else {
            "a finite number"
        };
        return Err(Error::Parameter(format!(
            "{name} must be {what}, not {value}"
        )));
    }
    Ok(value as f64)
}

/// Errors unless `image` has shape `[h, w]` or `[h, w, c]`.
pub(crate) fn check_image(image: &GpuArray) -> Result<()> {
    match image.ndim() {
        2 | 3 => {}
        n => {
            return Err(Error::Shape(format!(
                "an image has shape [height, width] or [height, width, channels], not {n} \
                 dimensions ({:?})",
                image.shape()
            )));
        }
    }
    // Filters work in f32: the image as f32, two intermediates and the output, at least.
    let f32_bytes = (image.len() as u64).saturating_mul(4);
    crate::gpu::budget::check(
        image.gpu(),
        &format!("filtering a {:?} image", image.shape()),
        &[f32_bytes; 4],
    )
}

/// Channel planes `[c, h, w]` as an interleaved image `[h, w, c]` (a pending elementwise
/// expression). A plain permutation would read every run of output values from `c` planes far
/// apart: for a large image more than one storage binding, which the chunked kernels cannot
/// bind. Selecting among the planes (each `[h, w, 1]`, broadcast) by the channel index reads
/// each plane through its own small window, so images of any size interleave.
pub(crate) fn interleave(planes: &GpuArray) -> Result<GpuArray> {
    use crate::view::layout::SliceArg;
    let c = planes.shape()[0];
    let plane = |k: usize| {
        planes.slice(&[
            SliceArg::Index(k as isize),
            SliceArg::ALL,
            SliceArg::ALL,
            SliceArg::NewAxis,
        ])
    };
    let index: Vec<u32> = (0..c as u32).collect();
    let index = planes
        .gpu()
        .upload(&crate::view::view::View::from_slice(&index, &[c])?)?;
    let mut out =
        plane(c.saturating_sub(1))?.broadcast_to(&[planes.shape()[1], planes.shape()[2], c])?;
    for k in (0..c.saturating_sub(1)).rev() {
        out = crate::gpu::ops::where_(&index.eq(k as f64)?, &plane(k)?, &out)?;
    }
    Ok(out)
}

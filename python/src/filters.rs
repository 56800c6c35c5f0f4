//! `ga.filters`: the Rust crate's image filters and PSF builders. Images are `[h, w]` or
//! `[h, w, c]` arrays of uint8, uint16 or float32; borders are `"clamp"`, `"reflect"`,
//! `"wrap"` or a number (a constant). Kernels and PSFs are host arrays (NumPy, HostArray, any
//! buffer).

use gpuarray::HostArray;
use gpuarray::filters::{self, Border, Equalize};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::array::{PyGpuArray, array_arg, run_on};
use crate::errors::OrRaise;
use crate::host::PyHostArray;
use crate::input::with_view;

/// A `border=` argument.
fn border_arg(border: &Bound<'_, PyAny>) -> PyResult<Border> {
    if let Ok(s) = border.extract::<String>() {
        return match s.as_str() {
            "clamp" | "nearest" | "edge" => Ok(Border::Clamp),
            "reflect" | "mirror" => Ok(Border::Reflect),
            "wrap" => Ok(Border::Wrap),
            other => Err(PyValueError::new_err(format!(
                "unknown border {other:?}: use \"clamp\", \"reflect\", \"wrap\" or a number"
            ))),
        };
    }
    Ok(Border::Constant(border.extract::<f32>()?))
}

/// Gaussian blur of standard deviation `sigma` pixels.
#[pyfunction]
#[pyo3(signature = (image, sigma, border = None))]
fn gaussian_blur(
    py: Python<'_>,
    image: &Bound<'_, PyAny>,
    sigma: f32,
    border: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyGpuArray> {
    let border = border.map(border_arg).transpose()?.unwrap_or_default();
    run_on(py, image, |a| filters::gaussian_blur(a, sigma, border))
}

/// Mean over a `(2 radius + 1)²` box.
#[pyfunction]
#[pyo3(signature = (image, radius, border = None))]
fn box_blur(
    py: Python<'_>,
    image: &Bound<'_, PyAny>,
    radius: usize,
    border: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyGpuArray> {
    let border = border.map(border_arg).transpose()?.unwrap_or_default();
    run_on(py, image, |a| filters::box_blur(a, radius, border))
}

/// `image + amount (image - gaussian_blur(image, sigma))`.
#[pyfunction]
#[pyo3(signature = (image, sigma, amount, border = None))]
fn unsharp_mask(
    py: Python<'_>,
    image: &Bound<'_, PyAny>,
    sigma: f32,
    amount: f32,
    border: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyGpuArray> {
    let border = border.map(border_arg).transpose()?.unwrap_or_default();
    run_on(py, image, |a| {
        filters::unsharp_mask(a, sigma, amount, border)
    })
}

/// Sobel gradient magnitude.
#[pyfunction]
#[pyo3(signature = (image, border = None))]
fn sobel(
    py: Python<'_>,
    image: &Bound<'_, PyAny>,
    border: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyGpuArray> {
    let border = border.map(border_arg).transpose()?.unwrap_or_default();
    run_on(py, image, |a| filters::sobel(a, border))
}

/// 2-D correlation with a host kernel (float32 or convertible), per channel.
#[pyfunction]
#[pyo3(signature = (image, kernel, border = None))]
fn convolve2d(
    py: Python<'_>,
    image: &Bound<'_, PyAny>,
    kernel: &Bound<'_, PyAny>,
    border: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyGpuArray> {
    let border = border.map(border_arg).transpose()?.unwrap_or_default();
    let a = array_arg(py, image)?;
    Ok(PyGpuArray::new(with_view(py, kernel, |k| {
        filters::convolve2d(&a, k, border)
    })?))
}

/// Rec. 709 luma of an RGB(A) image, `[h, w]`.
#[pyfunction]
fn grayscale(py: Python<'_>, image: &Bound<'_, PyAny>) -> PyResult<PyGpuArray> {
    run_on(py, image, filters::grayscale)
}

/// `x ** g` on values in [0, 1] (negative values become 0).
#[pyfunction]
fn gamma(py: Python<'_>, image: &Bound<'_, PyAny>, g: f32) -> PyResult<PyGpuArray> {
    run_on(py, image, |a| filters::gamma(a, g))
}

/// sRGB-encoded values to linear light.
#[pyfunction]
fn srgb_to_linear(py: Python<'_>, image: &Bound<'_, PyAny>) -> PyResult<PyGpuArray> {
    run_on(py, image, filters::srgb_to_linear)
}

/// Linear light to sRGB encoding.
#[pyfunction]
fn linear_to_srgb(py: Python<'_>, image: &Bound<'_, PyAny>) -> PyResult<PyGpuArray> {
    run_on(py, image, filters::linear_to_srgb)
}

/// `(x - 0.5) * contrast + 0.5 + brightness`.
#[pyfunction]
fn brightness_contrast(
    py: Python<'_>,
    image: &Bound<'_, PyAny>,
    brightness: f32,
    contrast: f32,
) -> PyResult<PyGpuArray> {
    run_on(py, image, |a| {
        filters::brightness_contrast(a, brightness, contrast)
    })
}

/// Histogram equalisation: `mode="per_channel"` (default) or `"luma"`.
#[pyfunction]
#[pyo3(signature = (image, mode = "per_channel"))]
fn equalize_histogram(
    py: Python<'_>,
    image: &Bound<'_, PyAny>,
    mode: &str,
) -> PyResult<PyGpuArray> {
    let mode = match mode {
        "per_channel" => Equalize::PerChannel,
        "luma" => Equalize::Luma,
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown mode {other:?}: use \"per_channel\" or \"luma\""
            )));
        }
    };
    run_on(py, image, |a| filters::equalize_histogram(a, mode))
}

/// Periodic convolution with a host PSF (centred at its middle), through the FFT.
#[pyfunction]
fn convolve_periodic(
    py: Python<'_>,
    image: &Bound<'_, PyAny>,
    psf: &Bound<'_, PyAny>,
) -> PyResult<PyGpuArray> {
    let a = array_arg(py, image)?;
    Ok(PyGpuArray::new(with_view(py, psf, |p| {
        filters::convolve_periodic(&a, p)
    })?))
}

/// Wiener deconvolution by a host PSF with noise-to-signal ratio `nsr`.
#[pyfunction]
fn wiener_deconvolve(
    py: Python<'_>,
    image: &Bound<'_, PyAny>,
    psf: &Bound<'_, PyAny>,
    nsr: f32,
) -> PyResult<PyGpuArray> {
    let a = array_arg(py, image)?;
    Ok(PyGpuArray::new(with_view(py, psf, |p| {
        filters::wiener_deconvolve(&a, p, nsr)
    })?))
}

/// Blends the outer `width` pixels into a periodically blurred copy (fewer FFT edge artefacts).
#[pyfunction]
fn taper_edges(py: Python<'_>, image: &Bound<'_, PyAny>, width: usize) -> PyResult<PyGpuArray> {
    run_on(py, image, |a| filters::taper_edges(a, width))
}

fn host(r: gpuarray::Result<HostArray>) -> PyResult<PyHostArray> {
    PyHostArray::from_host(r.or_raise()?)
}

/// A normalised gaussian PSF of `size × size` pixels.
#[pyfunction]
fn psf_gaussian(size: usize, sigma: f32) -> PyResult<PyHostArray> {
    host(filters::psf_gaussian(size, sigma))
}

/// A normalised linear motion-blur PSF.
#[pyfunction]
fn psf_motion(length: f32, angle: f32) -> PyResult<PyHostArray> {
    host(filters::psf_motion(length, angle))
}

/// A normalised disk (defocus) PSF.
#[pyfunction]
fn psf_disk(radius: f32) -> PyResult<PyHostArray> {
    host(filters::psf_disk(radius))
}

/// The `filters` submodule of `_gpuarray`.
pub fn module<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyModule>> {
    let m = PyModule::new(py, "filters")?;
    m.add_function(wrap_pyfunction!(gaussian_blur, &m)?)?;
    m.add_function(wrap_pyfunction!(box_blur, &m)?)?;
    m.add_function(wrap_pyfunction!(unsharp_mask, &m)?)?;
    m.add_function(wrap_pyfunction!(sobel, &m)?)?;
    m.add_function(wrap_pyfunction!(convolve2d, &m)?)?;
    m.add_function(wrap_pyfunction!(grayscale, &m)?)?;
    m.add_function(wrap_pyfunction!(gamma, &m)?)?;
    m.add_function(wrap_pyfunction!(srgb_to_linear, &m)?)?;
    m.add_function(wrap_pyfunction!(linear_to_srgb, &m)?)?;
    m.add_function(wrap_pyfunction!(brightness_contrast, &m)?)?;
    m.add_function(wrap_pyfunction!(equalize_histogram, &m)?)?;
    m.add_function(wrap_pyfunction!(convolve_periodic, &m)?)?;
    m.add_function(wrap_pyfunction!(wiener_deconvolve, &m)?)?;
    m.add_function(wrap_pyfunction!(taper_edges, &m)?)?;
    m.add_function(wrap_pyfunction!(psf_gaussian, &m)?)?;
    m.add_function(wrap_pyfunction!(psf_motion, &m)?)?;
    m.add_function(wrap_pyfunction!(psf_disk, &m)?)?;
    Ok(m)
}

//! `ga.fft`: numpy.fft's functions, names and arguments (`n`, `axis`, `s`, `axes`, `norm`), on
//! the Rust crate's planner. Results are complex64 (or float32 from the inverse real ones).

use gpuarray::fft::{self as transforms, Norm};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::array::{PyGpuArray, axes_arg, run_on};
use crate::errors::OrRaise;

/// NumPy's `norm` strings.
fn norm_arg(norm: Option<&str>) -> PyResult<Norm> {
    match norm {
        None | Some("backward") => Ok(Norm::Backward),
        Some("ortho") => Ok(Norm::Ortho),
        Some("forward") => Ok(Norm::Forward),
        Some(other) => Err(PyValueError::new_err(format!(
            "invalid norm {other:?}: use None, \"backward\", \"ortho\" or \"forward\""
        ))),
    }
}

macro_rules! one_axis {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[pyfunction]
        #[pyo3(signature = (a, n = None, axis = -1, norm = None))]
        fn $name(py: Python<'_>, a: &Bound<'_, PyAny>, n: Option<usize>, axis: isize, norm: Option<&str>) -> PyResult<PyGpuArray> {
            let norm = norm_arg(norm)?;
            run_on(py, a, |a| transforms::$name(a, n, axis, norm))
        }
    )*};
}

one_axis! {
    /// numpy.fft.fft
    fft;
    /// numpy.fft.ifft
    ifft;
    /// numpy.fft.rfft
    rfft;
    /// numpy.fft.irfft
    irfft;
}

macro_rules! many_axes {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[pyfunction]
        #[pyo3(signature = (a, s = None, axes = None, norm = None))]
        fn $name(py: Python<'_>, a: &Bound<'_, PyAny>, s: Option<Vec<usize>>, axes: Option<&Bound<'_, PyAny>>, norm: Option<&str>) -> PyResult<PyGpuArray> {
            let norm = norm_arg(norm)?;
            let axes = axes_arg(axes)?;
            run_on(py, a, |a| transforms::$name(a, s.as_deref(), axes.as_deref(), norm))
        }
    )*};
}

many_axes! {
    /// numpy.fft.fft2 (axes default to the last two)
    fft2;
    /// numpy.fft.ifft2
    ifft2;
    /// numpy.fft.rfft2
    rfft2;
    /// numpy.fft.irfft2
    irfft2;
    /// numpy.fft.fftn (axes default to the last len(s), or all)
    fftn;
    /// numpy.fft.ifftn
    ifftn;
    /// numpy.fft.rfftn
    rfftn;
    /// numpy.fft.irfftn
    irfftn;
}

/// numpy.fft.fftshift
#[pyfunction]
#[pyo3(signature = (x, axes = None))]
fn fftshift(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    axes: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyGpuArray> {
    let axes = axes_arg(axes)?;
    run_on(py, x, |a| transforms::fftshift(a, axes.as_deref()))
}

/// numpy.fft.ifftshift
#[pyfunction]
#[pyo3(signature = (x, axes = None))]
fn ifftshift(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    axes: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyGpuArray> {
    let axes = axes_arg(axes)?;
    run_on(py, x, |a| transforms::ifftshift(a, axes.as_deref()))
}

/// numpy.fft.fftfreq (float32, on `gpu` or the default context)
#[pyfunction]
#[pyo3(signature = (n, d = 1.0, gpu = None))]
fn fftfreq(
    py: Python<'_>,
    n: usize,
    d: f64,
    gpu: Option<&Bound<'_, crate::gpu::PyGpu>>,
) -> PyResult<PyGpuArray> {
    let gpu = crate::gpu::gpu_or_default(py, gpu)?;
    Ok(PyGpuArray::new(
        py.detach(|| transforms::fftfreq(&gpu, n, d)).or_raise()?,
    ))
}

/// numpy.fft.rfftfreq
#[pyfunction]
#[pyo3(signature = (n, d = 1.0, gpu = None))]
fn rfftfreq(
    py: Python<'_>,
    n: usize,
    d: f64,
    gpu: Option<&Bound<'_, crate::gpu::PyGpu>>,
) -> PyResult<PyGpuArray> {
    let gpu = crate::gpu::gpu_or_default(py, gpu)?;
    Ok(PyGpuArray::new(
        py.detach(|| transforms::rfftfreq(&gpu, n, d)).or_raise()?,
    ))
}

/// The `fft` submodule of `_gpuarray`.
pub fn module<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyModule>> {
    let m = PyModule::new(py, "fft")?;
    m.add_function(wrap_pyfunction!(fft, &m)?)?;
    m.add_function(wrap_pyfunction!(ifft, &m)?)?;
    m.add_function(wrap_pyfunction!(rfft, &m)?)?;
    m.add_function(wrap_pyfunction!(irfft, &m)?)?;
    m.add_function(wrap_pyfunction!(fft2, &m)?)?;
    m.add_function(wrap_pyfunction!(ifft2, &m)?)?;
    m.add_function(wrap_pyfunction!(rfft2, &m)?)?;
    m.add_function(wrap_pyfunction!(irfft2, &m)?)?;
    m.add_function(wrap_pyfunction!(fftn, &m)?)?;
    m.add_function(wrap_pyfunction!(ifftn, &m)?)?;
    m.add_function(wrap_pyfunction!(rfftn, &m)?)?;
    m.add_function(wrap_pyfunction!(irfftn, &m)?)?;
    m.add_function(wrap_pyfunction!(fftshift, &m)?)?;
    m.add_function(wrap_pyfunction!(ifftshift, &m)?)?;
    m.add_function(wrap_pyfunction!(fftfreq, &m)?)?;
    m.add_function(wrap_pyfunction!(rfftfreq, &m)?)?;
    Ok(m)
}

//! The `gpuarray._gpuarray` extension module: the Rust crate's GPU arrays for Python. The
//! Python package (`python/python/gpuarray`) re-exports it with NumPy-style module functions.
//!
//! One file per area: [`input`] (PEP 3118, `__array_interface__`) and [`dlpack`] bring data in,
//! [`array`] is `GpuArray`, [`host`] is `HostArray` (data out), [`fft`] and [`filters`] are the
//! submodules, [`gpu`] the context, [`errors`] and [`dtype`] the conversions, [`bench`] the
//! Rust baselines of the Python benchmark.

mod array;
mod bench;
mod dlpack;
mod dtype;
mod errors;
mod fft;
mod filters;
mod gpu;
mod host;
mod input;

use gpuarray::{Gpu, GpuArray};
use pyo3::exceptions::{PyBufferError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::array::{PyGpuArray, operand};
use crate::dtype::dtype_arg;
use crate::errors::OrRaise;
use crate::gpu::PyGpu;
use crate::input::Source;

/// Uploads any host object `asarray` accepts to `gpu`: a PEP 3118 exporter, then
/// `__array_interface__`, then `__dlpack__`. Returns the array and the host bytes it was read
/// from.
fn asarray_on(
    py: Python<'_>,
    obj: &Bound<'_, PyAny>,
    dtype: input::Convert,
    gpu: &Gpu,
) -> PyResult<(GpuArray, Source)> {
    match input::Exported::get(obj) {
        Ok(buffer) => input::from_buffer(py, &buffer, gpu, dtype),
        // Not an exporter (TypeError) or one that refuses FULL_RO (BufferError): try the others.
        Err(e) if e.is_instance_of::<PyTypeError>(py) || e.is_instance_of::<PyBufferError>(py) => {
            if let Ok(interface) = obj.getattr("__array_interface__") {
                let interface = interface
                    .cast_into::<PyDict>()
                    .map_err(|_| PyTypeError::new_err("__array_interface__ is not a dict"))?;
                return input::from_array_interface(py, obj, &interface, gpu, dtype);
            }
            if obj.hasattr("__dlpack__")? {
                return dlpack::from_dlpack(py, obj, gpu, dtype);
            }
            Err(PyTypeError::new_err(format!(
                "cannot make a GpuArray from {}: it exports no buffer (PEP 3118), no \
                 __array_interface__ and no __dlpack__ ({e})",
                obj.get_type().name()?
            )))
        }
        Err(e) => Err(e),
    }
}

/// `ga.asarray(obj, dtype=None, gpu=None)`: a GpuArray from any PEP 3118 exporter (NumPy,
/// memoryview, bytes, bytearray, array.array, ctypes, mmap), `__array_interface__` (PIL
/// images) or `__dlpack__` producer, uploaded once from its own memory. A GpuArray is returned
/// as it is (converted when `dtype` differs). 64-bit data needs `dtype=`.
#[pyfunction]
#[pyo3(signature = (obj, dtype = None, gpu = None))]
fn asarray(
    py: Python<'_>,
    obj: &Bound<'_, PyAny>,
    dtype: Option<&Bound<'_, PyAny>>,
    gpu: Option<&Bound<'_, PyGpu>>,
) -> PyResult<PyGpuArray> {
    let dtype = dtype.filter(|d| !d.is_none()).map(dtype_arg).transpose()?;
    if let Ok(a) = obj.cast::<PyGpuArray>() {
        let a = &a.get().inner;
        if let Some(g) = gpu
            && !gpu::same(&g.get().gpu, a.gpu())
        {
            return Err(pyo3::exceptions::PyValueError::new_err(
                "the array lives on another Gpu (download it with .get() and upload that)",
            ));
        }
        return Ok(PyGpuArray::new(match dtype {
            Some(d) if d != a.dtype() => py.detach(|| a.astype(d)).or_raise()?,
            _ => a.clone(),
        }));
    }
    let gpu = gpu::gpu_or_default(py, gpu)?;
    let (inner, source) = asarray_on(py, obj, dtype.into(), &gpu)?;
    Ok(PyGpuArray {
        inner,
        source: Some(source),
    })
}

/// `ga.from_dlpack(x, dtype=None, gpu=None)`: a GpuArray from a DLPack producer's CPU tensor.
#[pyfunction]
#[pyo3(signature = (x, dtype = None, gpu = None))]
fn from_dlpack(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    dtype: Option<&Bound<'_, PyAny>>,
    gpu: Option<&Bound<'_, PyGpu>>,
) -> PyResult<PyGpuArray> {
    let dtype = dtype.filter(|d| !d.is_none()).map(dtype_arg).transpose()?;
    let gpu = gpu::gpu_or_default(py, gpu)?;
    let (inner, source) = dlpack::from_dlpack(py, x, &gpu, dtype.into())?;
    Ok(PyGpuArray {
        inner,
        source: Some(source),
    })
}

/// The default context (opened on first use).
#[pyfunction]
fn default_gpu(py: Python<'_>) -> PyResult<PyGpu> {
    gpu::default_gpu(py)
}

/// `ga.NAME(x)` for the unary ufunc `name`.
#[pyfunction]
fn _unary(py: Python<'_>, name: &str, x: &Bound<'_, PyAny>) -> PyResult<PyGpuArray> {
    let a = match operand(py, x, None)? {
        array::Operand::Array(a) => a,
        array::Operand::Scalar(_) => {
            return Err(PyTypeError::new_err(format!(
                "ga.{name} takes an array, not a Python scalar"
            )));
        }
    };
    Ok(PyGpuArray::new(array::unary(&a, name)?))
}

/// `ga.NAME(x, y)` for the binary ufunc `name`.
#[pyfunction]
fn _binary(
    py: Python<'_>,
    name: &str,
    x: &Bound<'_, PyAny>,
    y: &Bound<'_, PyAny>,
) -> PyResult<PyGpuArray> {
    array::binary_any(py, name, x, y)
}

/// `ga.where(cond, x, y)`: `x` where `cond` is nonzero, else `y`, broadcast together.
#[pyfunction]
#[pyo3(name = "where")]
fn where_(
    py: Python<'_>,
    cond: &Bound<'_, PyAny>,
    x: &Bound<'_, PyAny>,
    y: &Bound<'_, PyAny>,
) -> PyResult<PyGpuArray> {
    let gpu = [cond, x, y].into_iter().find_map(|o| {
        o.cast::<PyGpuArray>()
            .ok()
            .map(|a| a.get().inner.gpu().clone())
    });
    let cond = match operand(py, cond, gpu.as_ref())? {
        array::Operand::Array(a) => a,
        array::Operand::Scalar(_) => {
            return Err(PyTypeError::new_err("ga.where needs an array condition"));
        }
    };
    let gpu = Some(cond.gpu().clone());
    let (x, y) = (operand(py, x, gpu.as_ref())?, operand(py, y, gpu.as_ref())?);
    Ok(PyGpuArray::new(
        gpuarray::where_(&cond, x.arg(), y.arg()).or_raise()?,
    ))
}

#[pymodule]
fn _gpuarray(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<PyGpu>()?;
    m.add_class::<PyGpuArray>()?;
    m.add_class::<host::PyHostArray>()?;
    m.add_function(wrap_pyfunction!(asarray, m)?)?;
    m.add_function(wrap_pyfunction!(from_dlpack, m)?)?;
    m.add_function(wrap_pyfunction!(default_gpu, m)?)?;
    m.add_function(wrap_pyfunction!(_unary, m)?)?;
    m.add_function(wrap_pyfunction!(_binary, m)?)?;
    m.add_function(wrap_pyfunction!(where_, m)?)?;
    m.add("UNARY", array::UNARY.to_vec())?;
    m.add("BINARY", array::BINARY.to_vec())?;
    m.add_submodule(&fft::module(py)?)?;
    m.add_submodule(&filters::module(py)?)?;
    m.add_submodule(&bench::module(py)?)?;
    Ok(())
}

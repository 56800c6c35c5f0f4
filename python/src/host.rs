//! `ga.HostArray`: downloaded data in host memory, exported without copying through the
//! buffer protocol (`memoryview(h)`, `np.asarray(h)`), `__array_interface__` (PIL's
//! `Image.fromarray(h)`) and DLPack (`np.from_dlpack(h)`). Read-only: consumers that need to
//! write take a copy.

use std::ffi::{CString, c_int};

use gpuarray::{Dtype, HostArray};
use pyo3::exceptions::{PyBufferError, PyTypeError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyComplex, PyDict, PyList, PyTuple};

use crate::array::dtype_object;
use crate::errors::OrRaise;

/// A read-only, C-contiguous array in host memory (what `GpuArray.get()` returns).
#[pyclass(name = "HostArray", module = "gpuarray", frozen)]
pub struct PyHostArray {
    pub host: HostArray,
    /// The PEP 3118 format, NUL-terminated for `Py_buffer.format`.
    format: CString,
    /// Shape and byte strides as `Py_ssize_t`, for `Py_buffer.shape` and `.strides`.
    shape: Vec<isize>,
    strides: Vec<isize>,
}

impl PyHostArray {
    pub fn from_host(host: HostArray) -> PyResult<PyHostArray> {
        let format = CString::new(host.format().to_string())
            .map_err(|_| PyTypeError::new_err("format string with a NUL byte"))?;
        let shape = host.shape().iter().map(|&n| n as isize).collect();
        let strides = host.strides().to_vec();
        Ok(PyHostArray {
            host,
            format,
            shape,
            strides,
        })
    }

    fn dtype_of(&self) -> PyResult<Dtype> {
        self.host
            .dtype()
            .ok_or_else(|| PyTypeError::new_err("a HostArray of a non-numeric format"))
    }

    /// The elements as (nested) Python lists, C order.
    pub fn tolist(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let dtype = self.dtype_of()?;
        let f16 = if dtype == Dtype::F16 {
            Some(self.host.view().astype(Dtype::F32).or_raise()?)
        } else {
            None
        };
        let (bytes, size) = match &f16 {
            Some(f) => (f.bytes(), 4),
            None => (self.host.bytes(), dtype.itemsize()),
        };
        let mut flat = Vec::with_capacity(self.host.len());
        for e in bytes.chunks_exact(size) {
            let word = |k: usize| <[u8; 4]>::try_from(&e[k..k + 4]).expect("4 bytes");
            let obj = match dtype {
                Dtype::Bool => (e[0] != 0).into_pyobject(py)?.to_owned().into_any(),
                Dtype::I8 => (e[0] as i8).into_pyobject(py)?.into_any(),
                Dtype::U8 => e[0].into_pyobject(py)?.into_any(),
                Dtype::I16 => i16::from_ne_bytes([e[0], e[1]])
                    .into_pyobject(py)?
                    .into_any(),
                Dtype::U16 => u16::from_ne_bytes([e[0], e[1]])
                    .into_pyobject(py)?
                    .into_any(),
                Dtype::I32 => i32::from_ne_bytes(word(0)).into_pyobject(py)?.into_any(),
                Dtype::U32 => u32::from_ne_bytes(word(0)).into_pyobject(py)?.into_any(),
                Dtype::F16 | Dtype::F32 => (f32::from_ne_bytes(word(0)) as f64)
                    .into_pyobject(py)?
                    .into_any(),
                Dtype::C64 => PyComplex::from_doubles(
                    py,
                    f32::from_ne_bytes(word(0)) as f64,
                    f32::from_ne_bytes(word(4)) as f64,
                )
                .into_any(),
                Dtype::I64 => i64::from_ne_bytes(e.try_into().expect("8"))
                    .into_pyobject(py)?
                    .into_any(),
                Dtype::U64 => u64::from_ne_bytes(e.try_into().expect("8"))
                    .into_pyobject(py)?
                    .into_any(),
                Dtype::F64 => f64::from_ne_bytes(e.try_into().expect("8"))
                    .into_pyobject(py)?
                    .into_any(),
                Dtype::C128 => PyComplex::from_doubles(
                    py,
                    f64::from_ne_bytes(e[..8].try_into().expect("8")),
                    f64::from_ne_bytes(e[8..].try_into().expect("8")),
                )
                .into_any(),
            };
            flat.push(obj);
        }
        nest(py, &mut flat.into_iter(), self.host.shape())
    }
}

/// Nested lists of `shape` from a C-order stream of elements (a 0-d array gives the element).
fn nest<'py>(
    py: Python<'py>,
    items: &mut impl Iterator<Item = Bound<'py, PyAny>>,
    shape: &[usize],
) -> PyResult<Py<PyAny>> {
    match shape.split_first() {
        None => Ok(items.next().expect("one element per index").unbind()),
        Some((&n, rest)) => {
            let list = PyList::empty(py);
            for _ in 0..n {
                list.append(nest(py, items, rest)?)?;
            }
            Ok(list.into_any().unbind())
        }
    }
}

#[pymethods]
impl PyHostArray {
    /// The buffer protocol: a read-only, C-contiguous export of the array's own memory. The
    /// `Py_buffer` holds a reference to this object, so the memory outlives every consumer.
    unsafe fn __getbuffer__(
        slf: Bound<'_, Self>,
        view: *mut ffi::Py_buffer,
        flags: c_int,
    ) -> PyResult<()> {
        if view.is_null() {
            return Err(PyBufferError::new_err("null Py_buffer"));
        }
        if flags & ffi::PyBUF_WRITABLE == ffi::PyBUF_WRITABLE {
            return Err(PyBufferError::new_err(
                "a HostArray is read-only (copy it to write: numpy.array(h))",
            ));
        }
        let me = slf.get();
        // SAFETY: `view` is a valid, writable Py_buffer (checked non-null above; CPython passes
        // one it owns). Every pointer stored in it points into `me`, which is immutable
        // (`frozen`) and kept alive by the strong reference stored in `view.obj`.
        unsafe {
            (*view).buf = me.host.bytes().as_ptr() as *mut _;
            (*view).len = me.host.bytes().len() as isize;
            (*view).readonly = 1;
            (*view).itemsize = me.host.itemsize() as isize;
            (*view).format = if flags & ffi::PyBUF_FORMAT == ffi::PyBUF_FORMAT {
                me.format.as_ptr() as *mut _
            } else {
                std::ptr::null_mut()
            };
            (*view).ndim = me.shape.len() as c_int;
            (*view).shape = if flags & ffi::PyBUF_ND == ffi::PyBUF_ND {
                me.shape.as_ptr() as *mut _
            } else {
                std::ptr::null_mut()
            };
            (*view).strides = if flags & ffi::PyBUF_STRIDES == ffi::PyBUF_STRIDES {
                me.strides.as_ptr() as *mut _
            } else {
                std::ptr::null_mut()
            };
            (*view).suboffsets = std::ptr::null_mut();
            (*view).internal = std::ptr::null_mut();
            (*view).obj = slf.into_any().into_ptr();
        }
        Ok(())
    }

    unsafe fn __releasebuffer__(&self, _view: *mut ffi::Py_buffer) {
        // Nothing was allocated per export; `view.obj` is released by CPython.
    }

    #[getter]
    fn shape<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.host.shape())
    }

    #[getter]
    fn strides<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.host.strides())
    }

    #[getter]
    fn dtype(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        dtype_object(py, self.dtype_of()?)
    }

    /// The PEP 3118 format string (`"f"`, `"B"`, `"Zf"`, ...).
    #[getter]
    fn format(&self) -> String {
        self.host.format().to_string()
    }

    #[getter]
    fn ndim(&self) -> usize {
        self.host.ndim()
    }

    #[getter]
    fn size(&self) -> usize {
        self.host.len()
    }

    #[getter]
    fn itemsize(&self) -> usize {
        self.host.itemsize()
    }

    #[getter]
    fn nbytes(&self) -> usize {
        self.host.nbytes()
    }

    /// NumPy's array interface (version 3): the address of this array's memory, read-only.
    /// Consumers (NumPy, PIL) keep a reference to this object while they use it.
    #[getter]
    fn __array_interface__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("version", 3)?;
        d.set_item("shape", self.shape(py)?)?;
        d.set_item("typestr", self.dtype_of()?.typestr())?;
        d.set_item("data", (self.host.bytes().as_ptr() as usize, true))?;
        d.set_item("strides", py.None())?;
        Ok(d)
    }

    /// DLPack export (CPU, read-only, no copy): a versioned capsule when `max_version` allows
    /// 1.x, else a legacy one. `copy=True` exports a copy; a `dl_device` other than the CPU is
    /// refused.
    #[pyo3(signature = (*, stream = None, max_version = None, dl_device = None, copy = None))]
    fn __dlpack__<'py>(
        slf: &Bound<'py, Self>,
        stream: Option<&Bound<'py, PyAny>>,
        max_version: Option<&Bound<'py, PyTuple>>,
        dl_device: Option<(i32, i32)>,
        copy: Option<bool>,
    ) -> PyResult<Bound<'py, pyo3::types::PyCapsule>> {
        let _ = stream; // CPU memory: there is no stream to synchronise with.
        if let Some((kind, _)) = dl_device
            && kind != 1
        {
            return Err(PyBufferError::new_err(format!(
                "a HostArray is in CPU memory (device type 1), not device type {kind}"
            )));
        }
        if copy == Some(true) {
            let copied = PyHostArray::from_host(slf.get().host.view().to_contiguous().or_raise()?)?;
            return crate::dlpack::export(&Bound::new(slf.py(), copied)?, max_version);
        }
        crate::dlpack::export(slf, max_version)
    }

    /// `(1, 0)`: the CPU.
    fn __dlpack_device__(&self) -> (i32, i32) {
        (1, 0)
    }

    /// The elements as nested Python lists.
    #[pyo3(name = "tolist")]
    fn py_tolist(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.tolist(py)
    }

    fn __len__(&self) -> PyResult<usize> {
        self.host
            .shape()
            .first()
            .copied()
            .ok_or_else(|| PyTypeError::new_err("len() of a 0-d array"))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let dtype = self.dtype_of()?;
        if self.host.len() <= 16 {
            let values = self.tolist(py)?;
            return Ok(format!(
                "HostArray({}, dtype={dtype})",
                values.bind(py).repr()?
            ));
        }
        Ok(format!(
            "HostArray(shape={:?}, dtype={dtype})",
            self.host.shape()
        ))
    }
}

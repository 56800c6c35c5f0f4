//! Python objects in: `ga.asarray(obj)` through the buffer protocol (PEP 3118),
//! `__array_interface__` (NumPy's version 3 protocol, as PIL images speak it) or DLPack. Each
//! path makes a [`View`] over the exporter's own memory and uploads it once: no host copy, no
//! NumPy. The upload itself gathers strided and byte-swapped data on the GPU.

use gpuarray::{ByteOrder, Dtype, Format, Gpu, GpuArray, Layout, View};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::errors::OrRaise;

/// What an upload read: the host address of its first byte and how many bytes it spans (for
/// tests that prove the upload came straight from the exporter's memory).
pub type Source = (usize, usize);

/// A buffer obtained with `PyObject_GetBuffer(PyBUF_FULL_RO)` (format, shape, strides,
/// read-only), released on drop. Unlike PyO3's `PyUntypedBuffer` it accepts exporters that leave
/// `strides` (ctypes) or `shape` NULL, as CPython allows for contiguous data.
pub struct Exported {
    raw: Box<ffi::Py_buffer>,
}

impl Exported {
    /// Asks `obj` for its buffer.
    pub fn get(obj: &Bound<'_, PyAny>) -> PyResult<Exported> {
        // SAFETY: Py_buffer is a plain C struct for which all-zero bytes are a valid value.
        let mut raw: Box<ffi::Py_buffer> = Box::new(unsafe { std::mem::zeroed() });
        // SAFETY: `obj` is a live object and `raw` a writable Py_buffer; on success the
        // exporter filled it and `Drop` releases it exactly once.
        if unsafe { ffi::PyObject_GetBuffer(obj.as_ptr(), &mut *raw, ffi::PyBUF_FULL_RO) } != 0 {
            return Err(PyErr::fetch(obj.py()));
        }
        Ok(Exported { raw })
    }

    /// The format, shape and byte strides (filled in for NULL shape or strides), and the
    /// address of the first element.
    fn parts(&self) -> PyResult<(Format, Vec<usize>, Vec<isize>, *const u8)> {
        let r = &*self.raw;
        let format = if r.format.is_null() {
            Format::parse("B")
        } else {
            // SAFETY: a non-null format is a NUL-terminated string owned by the exporter.
            let f = unsafe { std::ffi::CStr::from_ptr(r.format) };
            Format::parse(&f.to_string_lossy())
        }
        .or_raise()?;
        let ndim = usize::try_from(r.ndim).unwrap_or(0);
        let shape: Vec<usize> = if r.shape.is_null() {
            if ndim == 0 && r.itemsize == r.len {
                vec![]
            } else {
                vec![r.len as usize / r.itemsize.max(1) as usize]
            }
        } else {
            // SAFETY: a non-null shape has `ndim` entries.
            unsafe { std::slice::from_raw_parts(r.shape, ndim) }
                .iter()
                .map(|&n| n as usize)
                .collect()
        };
        let strides = if r.strides.is_null() || r.shape.is_null() {
            c_strides(&shape, r.itemsize as usize)
        } else {
            // SAFETY: non-null strides have `ndim` entries.
            unsafe { std::slice::from_raw_parts(r.strides, ndim) }.to_vec()
        };
        if !r.suboffsets.is_null() {
            // SAFETY: non-null suboffsets have `ndim` entries.
            let sub = unsafe { std::slice::from_raw_parts(r.suboffsets, ndim) };
            if sub.iter().any(|&o| o >= 0) {
                return Err(PyTypeError::new_err(
                    "indirect (PIL-style suboffsets) buffers are not supported",
                ));
            }
        }
        if format.itemsize() as isize != r.itemsize {
            return Err(PyValueError::new_err(format!(
                "the exporter's itemsize {} does not match its format {:?} ({} bytes)",
                r.itemsize,
                format.to_string(),
                format.itemsize()
            )));
        }
        Ok((format, shape, strides, r.buf as *const u8))
    }

    /// A view of the exported elements, valid while `self` is held.
    pub fn view(&self) -> PyResult<View<'_>> {
        let (format, shape, strides, first) = self.parts()?;
        // SAFETY: the exporter guarantees that every element its shape and strides reach is
        // readable and unchanged while the buffer is held, and the view borrows `self`.
        unsafe { raw_view(first, shape, strides, format) }
    }

    /// The whole buffer as bytes, when it is C-contiguous.
    pub fn contiguous_bytes(&self) -> PyResult<&[u8]> {
        let view = self.view()?;
        view.contiguous_bytes()
            .ok_or_else(|| PyValueError::new_err("the buffer is not contiguous"))
    }
}

impl Drop for Exported {
    fn drop(&mut self) {
        // SAFETY: `raw` was filled by a successful PyObject_GetBuffer and is released once. An
        // `Exported` is only created and dropped while attached to the interpreter (it is not
        // Send, so it never enters a `detach` closure).
        unsafe { ffi::PyBuffer_Release(&mut *self.raw) }
    }
}

/// The byte window `[lo, hi)` relative to the first element that a strided layout reaches, or
/// `None` when it is empty. Errors when the arithmetic overflows.
fn span(shape: &[usize], strides: &[isize], itemsize: usize) -> PyResult<Option<(isize, isize)>> {
    if shape.contains(&0) {
        return Ok(None);
    }
    let overflow = || PyValueError::new_err("shape and strides overflow the address space");
    let (mut lo, mut hi) = (0isize, 0isize);
    for (&n, &s) in shape.iter().zip(strides) {
        let n = isize::try_from(n).map_err(|_| overflow())?;
        let reach = (n - 1).checked_mul(s).ok_or_else(overflow)?;
        if reach < 0 {
            lo = lo.checked_add(reach).ok_or_else(overflow)?;
        } else {
            hi = hi.checked_add(reach).ok_or_else(overflow)?;
        }
    }
    let end = hi
        .checked_add(isize::try_from(itemsize).map_err(|_| overflow())?)
        .ok_or_else(overflow)?;
    Ok(Some((lo, end)))
}

/// An error when `format` is not one element of a GPU (or convertible) dtype, naming it.
fn element_dtype(format: &Format) -> PyResult<Dtype> {
    format.dtype().ok_or_else(|| {
        PyTypeError::new_err(format!(
            "buffer format {:?} is not a single number: gpuarray holds bool, integer, float and \
             complex elements, not structs, padding, sub-arrays or pointers",
            format.to_string()
        ))
    })
}

/// The dtype an upload makes.
#[derive(Clone, Copy, Debug)]
pub enum Convert {
    /// The exporter's own; 64-bit data is a `TypeError` that says to pass `dtype=`.
    Keep,
    /// The exporter's own, 64-bit dtypes narrowed to their 32-bit kin: for host operands of
    /// arithmetic (`g * np_array`), whose float64 NumPy would promote to and the GPU's type
    /// rules narrow to float32 anyway.
    Narrow,
    /// This dtype (NumPy `astype` semantics).
    To(Dtype),
}

impl From<Option<Dtype>> for Convert {
    fn from(dtype: Option<Dtype>) -> Convert {
        dtype.map_or(Convert::Keep, Convert::To)
    }
}

/// The 32-bit dtype the GPU holds 64-bit data in.
fn narrow(dtype: Dtype) -> Option<Dtype> {
    match dtype {
        Dtype::I64 => Some(Dtype::I32),
        Dtype::U64 => Some(Dtype::U32),
        Dtype::F64 => Some(Dtype::F32),
        Dtype::C128 => Some(Dtype::C64),
        _ => None,
    }
}

/// Uploads a view as `convert` says, with the GIL released.
pub fn upload(py: Python<'_>, gpu: &Gpu, view: &View<'_>, convert: Convert) -> PyResult<GpuArray> {
    let from = element_dtype(view.format())?;
    let to = match (convert, narrow(from)) {
        (Convert::Keep, Some(n)) => {
            return Err(PyTypeError::new_err(format!(
                "{from} data does not fit the GPU's 32-bit words: pass dtype= to convert while \
                 uploading (e.g. dtype=\"{n}\")"
            )));
        }
        (Convert::Narrow, Some(n)) => Some(n),
        (Convert::To(d), _) => Some(d),
        (_, None) => None,
    };
    py.detach(|| match to {
        None => gpu.upload(view),
        Some(d) => gpu.upload_as(view, d),
    })
    .or_raise()
}

/// A view of `shape`/byte `strides` elements whose first element is at `first`.
///
/// # Safety
/// Every byte the layout reaches from `first` (the window [`span`] computes) must be readable
/// and must stay unchanged and allocated for the lifetime `'a` the caller picks.
pub unsafe fn raw_view<'a>(
    first: *const u8,
    shape: Vec<usize>,
    strides: Vec<isize>,
    format: Format,
) -> PyResult<View<'a>> {
    let window = span(&shape, &strides, format.itemsize())?;
    let (data, offset): (&'a [u8], usize) = match window {
        None => (&[], 0),
        Some((lo, hi)) => {
            if first.is_null() {
                return Err(PyValueError::new_err(
                    "the exporter gave a null data pointer",
                ));
            }
            // SAFETY: the caller guarantees that the window [first + lo, first + hi) is readable
            // memory for 'a; `lo <= 0 < hi`, so the slice starts at or before the first element.
            let bytes = unsafe { std::slice::from_raw_parts(first.offset(lo), (hi - lo) as usize) };
            (bytes, lo.unsigned_abs())
        }
    };
    View::new(data, Layout::new(shape, strides, offset), format).or_raise()
}

/// Where a view's bytes start, and how many it spans.
fn source_of(view: &View<'_>) -> Source {
    (view.bytes().as_ptr() as usize, view.bytes().len())
}

/// Uploads any PEP 3118 exporter (`PyObject_GetBuffer` with `PyBUF_FULL_RO`: format, shape and
/// strides). The buffer is released when `buffer` is dropped, on success and on error.
pub fn from_buffer(
    py: Python<'_>,
    buffer: &Exported,
    gpu: &Gpu,
    dtype: Convert,
) -> PyResult<(GpuArray, Source)> {
    let view = buffer.view()?;
    let array = upload(py, gpu, &view, dtype)?;
    Ok((array, source_of(&view)))
}

/// The PEP 3118 format of a NumPy typestr (`"<f4"`, `"|u1"`, `">i2"`).
pub fn typestr_format(typestr: &str) -> PyResult<Format> {
    let (dtype, little) = Dtype::from_typestr(typestr).or_raise()?;
    let order = if little {
        ByteOrder::Little
    } else {
        ByteOrder::Big
    };
    Ok(Format::from_dtype_order(dtype, order))
}

/// C-contiguous byte strides of `shape`.
pub fn c_strides(shape: &[usize], itemsize: usize) -> Vec<isize> {
    let mut strides = vec![0isize; shape.len()];
    let mut step = itemsize as isize;
    for (s, &n) in strides.iter_mut().zip(shape).rev() {
        *s = step;
        step = step.saturating_mul(n.max(1) as isize);
    }
    strides
}

/// Uploads an object with `__array_interface__` (version 3): `data` is an `(address,
/// read_only)` pair into memory `obj` owns, or an object exporting the bytes (PIL gives
/// `bytes`), or absent (then `obj` itself exports them).
pub fn from_array_interface(
    py: Python<'_>,
    obj: &Bound<'_, PyAny>,
    interface: &Bound<'_, PyDict>,
    gpu: &Gpu,
    dtype: Convert,
) -> PyResult<(GpuArray, Source)> {
    let key = |k: &str| interface.get_item(k);
    let missing = |k: &str| PyValueError::new_err(format!("__array_interface__ has no {k:?}"));
    let shape: Vec<usize> = key("shape")?.ok_or_else(|| missing("shape"))?.extract()?;
    let typestr: String = key("typestr")?
        .ok_or_else(|| missing("typestr"))?
        .extract()?;
    if let Some(descr) = key("descr")? {
        let fields: Vec<Bound<'_, PyAny>> = descr.extract()?;
        if fields.len() > 1 {
            return Err(PyTypeError::new_err(format!(
                "__array_interface__ describes a struct of {} fields: gpuarray holds one number \
                 per element",
                fields.len()
            )));
        }
    }
    if key("mask")?.is_some_and(|m| !m.is_none()) {
        return Err(PyTypeError::new_err(
            "masked __array_interface__ data is not supported",
        ));
    }
    let format = typestr_format(&typestr)?;
    let strides: Vec<isize> = match key("strides")?.filter(|s| !s.is_none()) {
        Some(s) => s.extract()?,
        None => c_strides(&shape, format.itemsize()),
    };
    if strides.len() != shape.len() {
        return Err(PyValueError::new_err(format!(
            "__array_interface__ has {} strides for {} dimensions",
            strides.len(),
            shape.len()
        )));
    }
    let data = key("data")?.filter(|d| !d.is_none());
    match data {
        Some(pair) if pair.is_instance_of::<PyTuple>() => {
            let (address, _read_only): (usize, bool) = pair.extract()?;
            // SAFETY: the protocol's contract is that `address` points at memory owned by
            // `obj`, valid with this shape and these strides while `obj` lives; `obj` is borrowed
            // for the whole upload.
            let view = unsafe { raw_view(address as *const u8, shape, strides, format)? };
            let array = upload(py, gpu, &view, dtype)?;
            Ok((array, source_of(&view)))
        }
        exporter => {
            let exporter = exporter.unwrap_or_else(|| obj.clone());
            let offset: usize = match key("offset")? {
                Some(o) => o.extract()?,
                None => 0,
            };
            let buffer = Exported::get(&exporter)?;
            let bytes = buffer.contiguous_bytes()?;
            let view = View::new(bytes, Layout::new(shape, strides, offset), format).or_raise()?;
            let array = upload(py, gpu, &view, dtype)?;
            Ok((array, source_of(&view)))
        }
    }
}

/// Runs `f` on a host view of any PEP 3118 exporter (a PSF or kernel from NumPy, a HostArray,
/// ...), with the GIL released; the buffer is released afterwards.
pub fn with_view<T: Send>(
    py: Python<'_>,
    obj: &Bound<'_, PyAny>,
    f: impl FnOnce(&View<'_>) -> gpuarray::Result<T> + Send,
) -> PyResult<T> {
    let buffer = Exported::get(obj)?;
    let view = buffer.view()?;
    py.detach(|| f(&view)).or_raise()
}

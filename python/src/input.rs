//! Python objects in: `ga.asarray(obj)` through the buffer protocol (PEP 3118),
//! `__array_interface__` (NumPy's version 3 protocol, as PIL images speak it) or DLPack. Each
//! path makes a [`View`] over the exporter's own memory and uploads it once: no host copy, no
//! NumPy. The upload itself gathers strided and byte-swapped data on the GPU.

use gpuarray::{ByteOrder, Dtype, Format, Gpu, GpuArray, Layout, View};
use pyo3::buffer::PyUntypedBuffer;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::errors::OrRaise;

/// What an upload read: the host address of its first byte and how many bytes it spans (for
/// tests that prove the upload came straight from the exporter's memory).
pub type Source = (usize, usize);

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

/// Uploads a view (converted to `dtype` when given) with the GIL released. 64-bit data without
/// `dtype=` is a `TypeError` that says what to pass.
pub fn upload(
    py: Python<'_>,
    gpu: &Gpu,
    view: &View<'_>,
    dtype: Option<Dtype>,
) -> PyResult<GpuArray> {
    let from = element_dtype(view.format())?;
    if dtype.is_none() && matches!(from, Dtype::I64 | Dtype::U64 | Dtype::F64 | Dtype::C128) {
        let narrow = match from {
            Dtype::I64 => "int32",
            Dtype::U64 => "uint32",
            Dtype::C128 => "complex64",
            _ => "float32",
        };
        return Err(PyTypeError::new_err(format!(
            "{from} data does not fit the GPU's 32-bit words: pass dtype= to convert while \
             uploading (e.g. dtype=\"{narrow}\")"
        )));
    }
    py.detach(|| match dtype {
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
/// strides). The buffer is released when this returns, on success and on error.
pub fn from_buffer(
    py: Python<'_>,
    buffer: &PyUntypedBuffer,
    gpu: &Gpu,
    dtype: Option<Dtype>,
) -> PyResult<(GpuArray, Source)> {
    if buffer
        .suboffsets()
        .is_some_and(|s| s.iter().any(|&o| o >= 0))
    {
        return Err(PyTypeError::new_err(
            "indirect (PIL-style suboffsets) buffers are not supported",
        ));
    }
    let format = Format::parse(buffer.format().to_str().unwrap_or("?")).or_raise()?;
    if format.itemsize() != buffer.item_size() {
        return Err(PyValueError::new_err(format!(
            "the exporter's itemsize {} does not match its format {:?} ({} bytes)",
            buffer.item_size(),
            format.to_string(),
            format.itemsize()
        )));
    }
    // SAFETY: the exporter guarantees that every element its shape and strides reach is readable
    // while the buffer is held, and `buffer` is held (borrowed) until this function returns.
    let view = unsafe {
        raw_view(
            buffer.buf_ptr() as *const u8,
            buffer.shape().to_vec(),
            buffer.strides().to_vec(),
            format,
        )?
    };
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
    dtype: Option<Dtype>,
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
            let buffer = PyUntypedBuffer::get(&exporter)?;
            if !buffer.is_c_contiguous() {
                return Err(PyValueError::new_err(
                    "__array_interface__ data must be a contiguous buffer",
                ));
            }
            // SAFETY: a C-contiguous buffer's `len` bytes from `buf` are readable while it is
            // held; `buffer` lives until the end of this block.
            let bytes = unsafe {
                std::slice::from_raw_parts(buffer.buf_ptr() as *const u8, buffer.len_bytes())
            };
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
    let buffer = PyUntypedBuffer::get(obj)?;
    let format = Format::parse(buffer.format().to_str().unwrap_or("?")).or_raise()?;
    // SAFETY: as in `from_buffer`: the exporter keeps the elements readable while `buffer` is
    // held, which is until the end of this function.
    let view = unsafe {
        raw_view(
            buffer.buf_ptr() as *const u8,
            buffer.shape().to_vec(),
            buffer.strides().to_vec(),
            format,
        )?
    };
    py.detach(|| f(&view)).or_raise()
}

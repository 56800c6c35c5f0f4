//! DLPack on the CPU, both ways: `ga.from_dlpack(x)` / `ga.asarray(x)` read a producer's
//! tensor in place (versioned 1.x capsules and legacy ones), and `HostArray.__dlpack__`
//! exports the host array's memory without copying (read-only, versioned when the consumer
//! asks with `max_version`, legacy otherwise).
//!
//! The structs are DLPack's C ABI (`dlpack.h`, version 1.1), written out here: they are a few
//! `#[repr(C)]` declarations, and the crates that carry them pull in other PyO3 versions.

use std::ffi::{CStr, c_void};
use std::ptr::NonNull;

use gpuarray::{Dtype, Format, Gpu, GpuArray};
use pyo3::exceptions::{PyBufferError, PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyDict, PyTuple};

use crate::host::PyHostArray;
use crate::input::{Convert, Source, upload};

/// `DLDevice`.
#[repr(C)]
#[derive(Clone, Copy)]
struct DLDevice {
    device_type: i32,
    device_id: i32,
}

/// `kDLCPU`: host memory.
const CPU: i32 = 1;

/// `DLDataType`: a type code, bits per lane and lanes.
#[repr(C)]
#[derive(Clone, Copy)]
struct DLDataType {
    code: u8,
    bits: u8,
    lanes: u16,
}

/// `DLTensor`.
#[repr(C)]
struct DLTensor {
    data: *mut c_void,
    device: DLDevice,
    ndim: i32,
    dtype: DLDataType,
    shape: *mut i64,
    strides: *mut i64,
    byte_offset: u64,
}

/// `DLManagedTensor` (legacy, before DLPack 1.0).
#[repr(C)]
struct DLManagedTensor {
    dl_tensor: DLTensor,
    manager_ctx: *mut c_void,
    deleter: Option<unsafe extern "C" fn(*mut DLManagedTensor)>,
}

/// `DLPackVersion`.
#[repr(C)]
struct DLPackVersion {
    major: u32,
    minor: u32,
}

/// `DLManagedTensorVersioned` (DLPack 1.x).
#[repr(C)]
struct DLManagedTensorVersioned {
    version: DLPackVersion,
    manager_ctx: *mut c_void,
    deleter: Option<unsafe extern "C" fn(*mut DLManagedTensorVersioned)>,
    flags: u64,
    dl_tensor: DLTensor,
}

/// `DLPACK_FLAG_BITMASK_READ_ONLY`.
const READ_ONLY: u64 = 1;

const LEGACY: &CStr = c"dltensor";
const VERSIONED: &CStr = c"dltensor_versioned";
const USED_LEGACY: &CStr = c"used_dltensor";
const USED_VERSIONED: &CStr = c"used_dltensor_versioned";

/// The dtype of a DLPack type (`kDLInt` 0, `kDLUInt` 1, `kDLFloat` 2, `kDLComplex` 5,
/// `kDLBool` 6; one lane).
fn dtype_of(t: DLDataType) -> PyResult<Dtype> {
    let d = match (t.code, t.bits, t.lanes) {
        (0, 8, 1) => Dtype::I8,
        (0, 16, 1) => Dtype::I16,
        (0, 32, 1) => Dtype::I32,
        (0, 64, 1) => Dtype::I64,
        (1, 8, 1) => Dtype::U8,
        (1, 16, 1) => Dtype::U16,
        (1, 32, 1) => Dtype::U32,
        (1, 64, 1) => Dtype::U64,
        (2, 16, 1) => Dtype::F16,
        (2, 32, 1) => Dtype::F32,
        (2, 64, 1) => Dtype::F64,
        (5, 64, 1) => Dtype::C64,
        (5, 128, 1) => Dtype::C128,
        (6, 8, 1) => Dtype::Bool,
        (code, bits, lanes) => {
            return Err(PyTypeError::new_err(format!(
                "DLPack dtype (code {code}, {bits} bits, {lanes} lanes) has no gpuarray dtype \
                 (bfloat16 and vector lanes are not supported)"
            )));
        }
    };
    Ok(d)
}

/// The DLPack type of a dtype.
fn dl_dtype(d: Dtype) -> DLDataType {
    let code = match d.kind() {
        gpuarray::Kind::Int => 0,
        gpuarray::Kind::UInt => 1,
        gpuarray::Kind::Float => 2,
        gpuarray::Kind::Complex => 5,
        gpuarray::Kind::Bool => 6,
    };
    DLDataType {
        code,
        bits: (d.itemsize() * 8) as u8,
        lanes: 1,
    }
}

/// Uploads a `DLTensor` that lives in host memory.
///
/// # Safety
/// `t` must be a valid tensor whose memory stays allocated until this returns.
unsafe fn upload_tensor(
    py: Python<'_>,
    t: &DLTensor,
    gpu: &Gpu,
    dtype: Convert,
) -> PyResult<(GpuArray, Source)> {
    if t.device.device_type != CPU {
        return Err(PyValueError::new_err(format!(
            "DLPack tensor on device type {} (only CPU tensors, device type 1, are read; move \
             it to the host first)",
            t.device.device_type
        )));
    }
    let element = dtype_of(t.dtype)?;
    let itemsize = element.itemsize();
    let ndim = usize::try_from(t.ndim).map_err(|_| PyValueError::new_err("negative ndim"))?;
    let (shape, strides): (Vec<usize>, Vec<isize>) = if ndim == 0 {
        (vec![], vec![])
    } else {
        // SAFETY: a valid tensor has `ndim` shape entries, and `ndim` strides unless `strides`
        // is null (then it is C-contiguous).
        let shape = unsafe { std::slice::from_raw_parts(t.shape, ndim) };
        let shape = shape
            .iter()
            .map(|&n| usize::try_from(n).map_err(|_| PyValueError::new_err("negative extent")))
            .collect::<PyResult<Vec<_>>>()?;
        let strides = if t.strides.is_null() {
            crate::input::c_strides(&shape, itemsize)
        } else {
            // SAFETY: as above.
            let s = unsafe { std::slice::from_raw_parts(t.strides, ndim) };
            s.iter()
                .map(|&e| (e as isize).checked_mul(itemsize as isize))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| PyValueError::new_err("strides overflow"))?
        };
        (shape, strides)
    };
    let first = (t.data as *const u8).wrapping_add(t.byte_offset as usize);
    // SAFETY: the producer guarantees the tensor's elements are readable until its deleter is
    // called, which the caller does after this returns.
    let view =
        unsafe { crate::input::raw_view(first, shape, strides, Format::from_dtype(element))? };
    let array = upload(py, gpu, &view, dtype)?;
    Ok((array, (view.bytes().as_ptr() as usize, view.bytes().len())))
}

/// Reads a producer's tensor through `__dlpack__` (asking for a versioned capsule first, then a
/// legacy one), uploads it, and gives the tensor back (its deleter runs, on error too).
pub fn from_dlpack(
    py: Python<'_>,
    obj: &Bound<'_, PyAny>,
    gpu: &Gpu,
    dtype: Convert,
) -> PyResult<(GpuArray, Source)> {
    if let Ok(device) = obj.call_method0("__dlpack_device__") {
        let (kind, _id): (i32, i32) = device.extract()?;
        if kind != CPU {
            return Err(PyValueError::new_err(format!(
                "__dlpack_device__ is device type {kind}: only CPU tensors (1) are read"
            )));
        }
    }
    let kwargs = PyDict::new(py);
    kwargs.set_item("max_version", (1, 1))?;
    let capsule = match obj.call_method("__dlpack__", (), Some(&kwargs)) {
        Ok(c) => c,
        Err(e) if e.is_instance_of::<PyTypeError>(py) => obj.call_method0("__dlpack__")?,
        Err(e) => return Err(e),
    };
    let capsule = capsule
        .cast_into::<PyCapsule>()
        .map_err(|_| PyTypeError::new_err("__dlpack__ did not return a capsule"))?;
    let name = capsule.name()?.map(|n| {
        // SAFETY: the name pointer of a live capsule is a valid C string.
        unsafe { n.as_cstr() }.to_owned()
    });
    match name.as_deref() {
        Some(n) if n == VERSIONED => {
            let ptr = capsule
                .pointer_checked(Some(VERSIONED))?
                .cast::<DLManagedTensorVersioned>();
            // The consumer owns the tensor from here: rename the capsule so its destructor
            // leaves it alone, and call the deleter when done.
            rename(&capsule, USED_VERSIONED)?;
            // SAFETY: the capsule held a valid DLManagedTensorVersioned, which stays valid until
            // its deleter is called below.
            let result = unsafe {
                let managed = ptr.as_ref();
                if managed.version.major != 1 {
                    Err(PyValueError::new_err(format!(
                        "DLPack version {}.{} is not supported (1.x is)",
                        managed.version.major, managed.version.minor
                    )))
                } else {
                    upload_tensor(py, &managed.dl_tensor, gpu, dtype)
                }
            };
            // SAFETY: the tensor is ours (renamed capsule) and no longer used.
            unsafe {
                if let Some(deleter) = ptr.as_ref().deleter {
                    deleter(ptr.as_ptr());
                }
            }
            result
        }
        Some(n) if n == LEGACY => {
            let ptr = capsule
                .pointer_checked(Some(LEGACY))?
                .cast::<DLManagedTensor>();
            rename(&capsule, USED_LEGACY)?;
            // SAFETY: as above, for the legacy struct.
            let result = unsafe { upload_tensor(py, &ptr.as_ref().dl_tensor, gpu, dtype) };
            // SAFETY: as above.
            unsafe {
                if let Some(deleter) = ptr.as_ref().deleter {
                    deleter(ptr.as_ptr());
                }
            }
            result
        }
        other => Err(PyValueError::new_err(format!(
            "a DLPack capsule must be named \"dltensor\" or \"dltensor_versioned\" (unused), not \
             {other:?}"
        ))),
    }
}

fn rename(capsule: &Bound<'_, PyCapsule>, name: &'static CStr) -> PyResult<()> {
    // SAFETY: `capsule` is a live capsule and `name` a static C string (a capsule keeps the
    // pointer, not a copy).
    if unsafe { ffi::PyCapsule_SetName(capsule.as_ptr(), name.as_ptr()) } != 0 {
        return Err(PyErr::fetch(capsule.py()));
    }
    Ok(())
}

/// An exported tensor and what keeps its memory alive. `managed` comes first in a `repr(C)`
/// struct, so a pointer to it is a pointer to the whole export.
#[repr(C)]
struct Export<M> {
    managed: M,
    /// The HostArray whose memory the tensor points into.
    owner: Py<PyAny>,
    shape: Vec<i64>,
    strides: Vec<i64>,
}

/// The deleter of exported tensors: frees the export (dropping `owner` is safe without the
/// GIL: PyO3 defers the decref).
unsafe extern "C" fn delete_export<M>(managed: *mut M) {
    if !managed.is_null() {
        // SAFETY: `managed` is the first field of a `Box<Export<M>>` leaked by `export`.
        drop(unsafe { Box::from_raw(managed.cast::<Export<M>>()) });
    }
}

/// The capsule destructor: an unconsumed capsule deletes its tensor.
unsafe extern "C" fn drop_capsule(capsule: *mut ffi::PyObject) {
    // SAFETY: CPython calls this with the capsule being destroyed; the name tells which struct
    // it holds, and a renamed ("used_...") capsule belongs to its consumer.
    unsafe {
        if ffi::PyCapsule_IsValid(capsule, VERSIONED.as_ptr()) == 1 {
            let p = ffi::PyCapsule_GetPointer(capsule, VERSIONED.as_ptr());
            delete_export::<DLManagedTensorVersioned>(p.cast());
        } else if ffi::PyCapsule_IsValid(capsule, LEGACY.as_ptr()) == 1 {
            let p = ffi::PyCapsule_GetPointer(capsule, LEGACY.as_ptr());
            delete_export::<DLManagedTensor>(p.cast());
        }
    }
}

/// The `DLTensor` over a HostArray's memory (CPU, C-contiguous).
fn tensor(host: &PyHostArray, shape: &mut [i64], strides: &mut [i64]) -> PyResult<DLTensor> {
    let dtype = host
        .host
        .dtype()
        .ok_or_else(|| PyTypeError::new_err("non-numeric HostArray"))?;
    Ok(DLTensor {
        data: host.host.bytes().as_ptr() as *mut c_void,
        device: DLDevice {
            device_type: CPU,
            device_id: 0,
        },
        ndim: shape.len() as i32,
        dtype: dl_dtype(dtype),
        shape: shape.as_mut_ptr(),
        strides: strides.as_mut_ptr(),
        byte_offset: 0,
    })
}

/// `HostArray.__dlpack__`: a capsule over `owner`'s memory, versioned when `max_version`
/// allows 1.x.
pub fn export<'py>(
    owner: &Bound<'py, PyHostArray>,
    max_version: Option<&Bound<'py, PyTuple>>,
) -> PyResult<Bound<'py, PyCapsule>> {
    let py = owner.py();
    let host = owner.get();
    let itemsize = host.host.itemsize() as isize;
    let mut shape: Vec<i64> = host.host.shape().iter().map(|&n| n as i64).collect();
    let mut strides: Vec<i64> = host
        .host
        .strides()
        .iter()
        .map(|&s| (s / itemsize) as i64)
        .collect();
    let versioned = match max_version {
        Some(v) => v.get_item(0)?.extract::<u32>()? >= 1,
        None => false,
    };
    let dl_tensor = tensor(host, &mut shape, &mut strides)?;
    let owner_ref = owner.clone().into_any().unbind();
    // The Vecs' heap buffers do not move when the Vecs move into the box.
    let (pointer, name): (*mut c_void, &'static CStr) = if versioned {
        let export = Box::new(Export {
            managed: DLManagedTensorVersioned {
                version: DLPackVersion { major: 1, minor: 1 },
                manager_ctx: std::ptr::null_mut(),
                deleter: Some(delete_export::<DLManagedTensorVersioned>),
                flags: READ_ONLY,
                dl_tensor,
            },
            owner: owner_ref,
            shape,
            strides,
        });
        (Box::into_raw(export).cast(), VERSIONED)
    } else {
        let export = Box::new(Export {
            managed: DLManagedTensor {
                dl_tensor,
                manager_ctx: std::ptr::null_mut(),
                deleter: Some(delete_export::<DLManagedTensor>),
            },
            owner: owner_ref,
            shape,
            strides,
        });
        (Box::into_raw(export).cast(), LEGACY)
    };
    let pointer = NonNull::new(pointer).ok_or_else(|| PyBufferError::new_err("null export"))?;
    // SAFETY: `pointer` is a leaked `Box<Export<_>>` of the struct `name` says; the destructor
    // frees it unless a consumer renamed the capsule (then the consumer calls the deleter).
    let capsule = unsafe {
        PyCapsule::new_with_pointer_and_destructor(py, pointer, name, Some(drop_capsule))
    };
    if capsule.is_err() {
        // SAFETY: the capsule was not made, so the box is still ours.
        unsafe {
            if versioned {
                delete_export::<DLManagedTensorVersioned>(pointer.as_ptr().cast());
            } else {
                delete_export::<DLManagedTensor>(pointer.as_ptr().cast());
            }
        }
    }
    capsule
}

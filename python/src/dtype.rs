//! NumPy's dtype spellings (`"float32"`, `"<f4"`, `"f"`, `np.float32`, `np.dtype("f4")`,
//! `float`) as a [`Dtype`], without importing NumPy.

use gpuarray::{Dtype, Format};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyString, PyType};

/// The dtype named by NumPy's `name` (`"float32"`, `"bool"`, ...), also NumPy's aliases.
fn by_name(name: &str) -> Option<Dtype> {
    Some(match name {
        "bool" | "bool_" => Dtype::Bool,
        "int8" | "byte" => Dtype::I8,
        "uint8" | "ubyte" => Dtype::U8,
        "int16" | "short" => Dtype::I16,
        "uint16" | "ushort" => Dtype::U16,
        "int32" | "intc" => Dtype::I32,
        "uint32" | "uintc" => Dtype::U32,
        "int64" | "int" | "long" | "int_" | "intp" => Dtype::I64,
        "uint64" | "uint" | "ulong" | "uintp" => Dtype::U64,
        "float16" | "half" => Dtype::F16,
        "float32" | "single" => Dtype::F32,
        "float64" | "float" | "double" => Dtype::F64,
        "complex64" | "csingle" => Dtype::C64,
        "complex128" | "complex" | "cdouble" => Dtype::C128,
        _ => return None,
    })
}

/// A dtype from a string: a name, a NumPy typestr (`"<f4"`, `"u1"`) or a one-element PEP 3118
/// format (`"f"`, `"Zf"`, `"<H"`).
fn from_str(s: &str) -> Option<Dtype> {
    by_name(s)
        .or_else(|| Dtype::from_typestr(s).ok().map(|(d, _)| d))
        .or_else(|| Format::parse(s).ok().and_then(|f| f.dtype()))
}

/// The dtype `obj` spells: a string, a Python or NumPy scalar type, a `numpy.dtype`, or a
/// gpuarray array's `dtype`. A `TypeError` names what was not understood.
pub fn dtype_arg(obj: &Bound<'_, PyAny>) -> PyResult<Dtype> {
    let found = if let Ok(s) = obj.cast::<PyString>() {
        from_str(s.to_str()?)
    } else if let Ok(t) = obj.cast::<PyType>() {
        // Python's own types as NumPy reads them, then NumPy's scalar types by name.
        let name: String = t.getattr("__name__")?.extract()?;
        match name.as_str() {
            "int" => Some(Dtype::I64),
            "float" => Some(Dtype::F64),
            _ => by_name(&name),
        }
    } else if let Ok(typestr) = obj.getattr("str") {
        // A numpy.dtype: its typestr (`"<f4"`).
        typestr.extract::<String>().ok().and_then(|s| from_str(&s))
    } else {
        None
    };
    found.ok_or_else(|| {
        let shown = obj.repr().map(|r| r.to_string()).unwrap_or_default();
        PyTypeError::new_err(format!(
            "data type {shown} not understood: gpuarray holds bool, int8, uint8, int16, uint16, \
             int32, uint32, float16, float32 and complex64 (int64, uint64, float64 and \
             complex128 are converted on upload)"
        ))
    })
}

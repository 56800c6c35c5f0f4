//! `gpuarray::Error` as Python exceptions: each variant becomes the exception a NumPy user
//! expects for that kind of problem, carrying the Rust message (which names the problem).

use gpuarray::Error;
use pyo3::PyErr;
use pyo3::exceptions::{PyMemoryError, PyOSError, PyRuntimeError, PyTypeError, PyValueError};

/// The Python exception for a gpuarray error:
///
/// | `gpuarray::Error`                          | Python          |
/// |--------------------------------------------|-----------------|
/// | `Format`, `Dtype`                          | `TypeError`     |
/// | `Layout`, `Shape`, `Parameter`, `Unsupported`, `Image` | `ValueError` |
/// | `OutOfMemory`                              | `MemoryError`   |
/// | `Io`                                       | `OSError`       |
/// | `NoAdapter`, `Gpu`                         | `RuntimeError`  |
pub fn to_py(error: Error) -> PyErr {
    let message = error.to_string();
    match error {
        Error::Format { .. } | Error::Dtype(_) => PyTypeError::new_err(message),
        Error::Layout(_)
        | Error::Shape(_)
        | Error::Parameter(_)
        | Error::Unsupported(_)
        | Error::Image(_) => PyValueError::new_err(message),
        Error::OutOfMemory(_) => PyMemoryError::new_err(message),
        Error::Io(e) => PyOSError::new_err(e.to_string()),
        _ => PyRuntimeError::new_err(message),
    }
}

/// `?` for gpuarray results inside functions that return `PyResult`.
pub trait OrRaise<T> {
    /// The value, or the error as a Python exception (see [`to_py`]).
    fn or_raise(self) -> pyo3::PyResult<T>;
}

impl<T> OrRaise<T> for gpuarray::Result<T> {
    fn or_raise(self) -> pyo3::PyResult<T> {
        self.map_err(to_py)
    }
}

//! `ga.GpuArray`: an array in GPU memory with NumPy's attributes, operators, ufuncs,
//! reductions and basic indexing. Every method calls the Rust crate; GPU work runs with the GIL
//! released.

use gpuarray::gpu::ops::binary;
use gpuarray::{Arg, Dtype, GpuArray, Scalar, SliceArg};
use pyo3::exceptions::{PyIndexError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::pyclass::CompareOp;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyComplex, PyEllipsis, PyFloat, PyInt, PySlice, PyTuple};

use crate::dtype::dtype_arg;
use crate::errors::{OrRaise, to_py};
use crate::host::PyHostArray;
use crate::input::Source;

/// An N-dimensional array in GPU memory. Elementwise operations are lazy: a chain of them runs as
/// one fused kernel when its result is needed (`get()`, a reduction, an FFT, ...).
#[pyclass(name = "GpuArray", module = "gpuarray", frozen)]
pub struct PyGpuArray {
    pub inner: GpuArray,
    /// The host bytes an upload read from (address, length), for arrays made by `asarray`.
    pub source: Option<Source>,
}

impl PyGpuArray {
    pub fn new(inner: GpuArray) -> PyGpuArray {
        PyGpuArray {
            inner,
            source: None,
        }
    }
}

/// `numpy.dtype`, when NumPy is installed (imported once).
fn numpy_dtype(py: Python<'_>) -> Option<&Py<PyAny>> {
    static DTYPE: PyOnceLock<Option<Py<PyAny>>> = PyOnceLock::new();
    DTYPE
        .get_or_init(py, || {
            py.import("numpy")
                .and_then(|np| np.getattr("dtype"))
                .ok()
                .map(Bound::unbind)
        })
        .as_ref()
}

/// A dtype as Python sees it: a `numpy.dtype` when NumPy is there, else its name.
pub fn dtype_object(py: Python<'_>, dtype: Dtype) -> PyResult<Py<PyAny>> {
    let name = dtype.to_string();
    match numpy_dtype(py) {
        Some(np_dtype) => Ok(np_dtype.bind(py).call1((name,))?.unbind()),
        None => Ok(name.into_pyobject(py)?.into_any().unbind()),
    }
}

/// An operand of a binary operation: an array (uploaded if it came from the host) or a weak
/// Python scalar (NEP 50).
pub enum Operand {
    Array(GpuArray),
    Scalar(Scalar),
}

impl Operand {
    pub fn arg(&self) -> Arg<'_> {
        match self {
            Operand::Array(a) => Arg::Array(a),
            Operand::Scalar(s) => Arg::Scalar(*s),
        }
    }
}

/// `obj` as an operand next to arrays on `gpu`: GpuArrays as they are, Python `bool`/`int`/
/// `float` as weak scalars, complex scalars and host arrays (NumPy, buffers) uploaded.
pub fn operand(
    py: Python<'_>,
    obj: &Bound<'_, PyAny>,
    gpu: Option<&gpuarray::Gpu>,
) -> PyResult<Operand> {
    if let Ok(a) = obj.cast::<PyGpuArray>() {
        return Ok(Operand::Array(a.get().inner.clone()));
    }
    if obj.is_instance_of::<PyBool>() {
        return Ok(Operand::Scalar(Scalar::Bool(obj.extract()?)));
    }
    if obj.is_instance_of::<PyInt>() {
        let v: i64 = obj.extract().map_err(|_| {
            PyValueError::new_err(format!("the integer {obj} does not fit any GPU dtype"))
        })?;
        return Ok(Operand::Scalar(Scalar::Int(v)));
    }
    if obj.is_instance_of::<PyFloat>() {
        return Ok(Operand::Scalar(Scalar::Float(obj.extract()?)));
    }
    let gpu = match gpu {
        Some(g) => g.clone(),
        None => crate::gpu::default_gpu(py)?.gpu,
    };
    if let Ok(c) = obj.cast::<PyComplex>() {
        // No weak complex scalar in the Rust crate: a 0-d complex64 array.
        let value = [c.real() as f32, c.imag() as f32];
        let view = gpuarray::View::from_bytes(bytemuck_bytes(&value), &[], "Zf").or_raise()?;
        return Ok(Operand::Array(py.detach(|| gpu.upload(&view)).or_raise()?));
    }
    let (array, _) = crate::asarray_on(py, obj, crate::input::Convert::Narrow, &gpu)?;
    Ok(Operand::Array(array))
}

/// The bytes of two f32 (a complex64 value).
fn bytemuck_bytes(v: &[f32; 2]) -> &[u8] {
    // SAFETY: `[f32; 2]` is 8 initialised bytes with no padding; u8 has alignment 1.
    unsafe { std::slice::from_raw_parts(v.as_ptr().cast::<u8>(), 8) }
}

/// The array among two operands (for the context to upload host operands to).
fn gpu_of<'a>(a: &'a Bound<'_, PyAny>, b: &'a Bound<'_, PyAny>) -> Option<gpuarray::Gpu> {
    [a, b].into_iter().find_map(|x| {
        x.cast::<PyGpuArray>()
            .ok()
            .map(|g| g.get().inner.gpu().clone())
    })
}

/// A unary ufunc by NumPy name.
pub fn unary(a: &GpuArray, name: &str) -> PyResult<GpuArray> {
    let r = match name {
        "negative" => a.neg(),
        "positive" => Ok(a.clone()),
        "absolute" | "abs" => a.abs(),
        "sign" => a.sign(),
        "sqrt" => a.sqrt(),
        "square" => a.mul(a),
        "exp" => a.exp(),
        "exp2" => a.exp2(),
        "log" => a.log(),
        "log2" => a.log2(),
        "log10" => a.log10(),
        "log1p" => a.log1p(),
        "expm1" => a.expm1(),
        "sin" => a.sin(),
        "cos" => a.cos(),
        "tan" => a.tan(),
        "arcsin" => a.arcsin(),
        "arccos" => a.arccos(),
        "arctan" => a.arctan(),
        "sinh" => a.sinh(),
        "cosh" => a.cosh(),
        "tanh" => a.tanh(),
        "floor" => a.floor(),
        "ceil" => a.ceil(),
        "rint" | "round" => a.round(),
        "trunc" => a.trunc(),
        "logical_not" => a.logical_not(),
        "invert" | "bitwise_not" => a.invert(),
        "isnan" => a.isnan(),
        "isinf" => a.isinf(),
        "isfinite" => a.isfinite(),
        "real" => a.real(),
        "imag" => a.imag(),
        "conjugate" | "conj" => a.conj(),
        "angle" => a.angle(),
        _ => return Err(PyValueError::new_err(format!("no unary ufunc {name:?}"))),
    };
    r.or_raise()
}

/// The unary ufunc names `unary` knows (NumPy's spellings).
pub const UNARY: &[&str] = &[
    "negative",
    "positive",
    "absolute",
    "sign",
    "sqrt",
    "square",
    "exp",
    "exp2",
    "log",
    "log2",
    "log10",
    "log1p",
    "expm1",
    "sin",
    "cos",
    "tan",
    "arcsin",
    "arccos",
    "arctan",
    "sinh",
    "cosh",
    "tanh",
    "floor",
    "ceil",
    "rint",
    "trunc",
    "logical_not",
    "invert",
    "isnan",
    "isinf",
    "isfinite",
    "real",
    "imag",
    "conjugate",
    "angle",
];

/// The binary ufunc names `binary_op` knows (NumPy's spellings).
pub const BINARY: &[&str] = &[
    "add",
    "subtract",
    "multiply",
    "true_divide",
    "remainder",
    "floor_divide",
    "power",
    "minimum",
    "maximum",
    "arctan2",
    "equal",
    "not_equal",
    "less",
    "less_equal",
    "greater",
    "greater_equal",
    "logical_and",
    "logical_or",
    "logical_xor",
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
    "left_shift",
    "right_shift",
];

/// A binary ufunc by NumPy name.
pub fn binary_op(name: &str, a: Arg<'_>, b: Arg<'_>) -> PyResult<GpuArray> {
    let r = match name {
        "add" => binary::add(a, b),
        "subtract" => binary::sub(a, b),
        "multiply" => binary::mul(a, b),
        "true_divide" | "divide" => binary::div(a, b),
        "remainder" | "mod" => binary::rem(a, b),
        "floor_divide" => binary::floor_divide(a, b),
        "power" => binary::pow(a, b),
        "minimum" => binary::minimum(a, b),
        "maximum" => binary::maximum(a, b),
        "arctan2" => binary::arctan2(a, b),
        "equal" => binary::eq(a, b),
        "not_equal" => binary::ne(a, b),
        "less" => binary::lt(a, b),
        "less_equal" => binary::le(a, b),
        "greater" => binary::gt(a, b),
        "greater_equal" => binary::ge(a, b),
        "logical_and" => binary::logical_and(a, b),
        "logical_or" => binary::logical_or(a, b),
        "logical_xor" => binary::logical_xor(a, b),
        "bitwise_and" => binary::bitwise_and(a, b),
        "bitwise_or" => binary::bitwise_or(a, b),
        "bitwise_xor" => binary::bitwise_xor(a, b),
        "left_shift" => binary::left_shift(a, b),
        "right_shift" => binary::right_shift(a, b),
        _ => return Err(PyValueError::new_err(format!("no binary ufunc {name:?}"))),
    };
    r.or_raise()
}

/// `name(x, y)` for any operands (at least one an array, or a host array to upload).
pub fn binary_any(
    py: Python<'_>,
    name: &str,
    x: &Bound<'_, PyAny>,
    y: &Bound<'_, PyAny>,
) -> PyResult<PyGpuArray> {
    let gpu = gpu_of(x, y);
    let (a, b) = (operand(py, x, gpu.as_ref())?, operand(py, y, gpu.as_ref())?);
    Ok(PyGpuArray::new(binary_op(name, a.arg(), b.arg())?))
}

/// The array an operation reads: a GpuArray as it is, or anything `asarray` takes, uploaded to
/// the default context (64-bit data narrowed to 32 bits, as NumPy operands of arithmetic are).
pub fn array_arg(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<GpuArray> {
    match obj.cast::<PyGpuArray>() {
        Ok(g) => Ok(g.get().inner.clone()),
        Err(_) => {
            let gpu = crate::gpu::default_gpu(py)?.gpu;
            Ok(crate::asarray_on(py, obj, crate::input::Convert::Narrow, &gpu)?.0)
        }
    }
}

/// `f(obj as an array)` with the GIL released (FFTs, filters).
pub fn run_on(
    py: Python<'_>,
    obj: &Bound<'_, PyAny>,
    f: impl FnOnce(&GpuArray) -> gpuarray::Result<GpuArray> + Send,
) -> PyResult<PyGpuArray> {
    let a = array_arg(py, obj)?;
    Ok(PyGpuArray::new(py.detach(|| f(&a)).or_raise()?))
}

/// Axes as the Rust crate takes them: `None` (all), an int, or a sequence of ints.
pub fn axes_arg(axis: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Vec<isize>>> {
    match axis {
        None => Ok(None),
        Some(a) if a.is_none() => Ok(None),
        Some(a) => match a.extract::<isize>() {
            Ok(one) => Ok(Some(vec![one])),
            Err(_) => Ok(Some(a.extract::<Vec<isize>>().map_err(|_| {
                PyTypeError::new_err(format!(
                    "axis must be None, an int or a tuple of ints, not {a}"
                ))
            })?)),
        },
    }
}

/// A reduction error: axis problems are `ValueError`s in NumPy's `AxisError` sense.
fn reduce(
    py: Python<'_>,
    a: &GpuArray,
    f: impl FnOnce(&GpuArray) -> gpuarray::Result<GpuArray> + Send,
) -> PyResult<PyGpuArray> {
    Ok(PyGpuArray::new(py.detach(|| f(a)).or_raise()?))
}

/// A NumPy basic index (`int`, `slice`, `...`, `None` or a tuple of them) as slice arguments
/// for an array of `ndim` dimensions.
fn index_args(key: &Bound<'_, PyAny>, ndim: usize) -> PyResult<Vec<SliceArg>> {
    let items: Vec<Bound<'_, PyAny>> = match key.cast::<PyTuple>() {
        Ok(t) => t.iter().collect(),
        Err(_) => vec![key.clone()],
    };
    let mut args = Vec::with_capacity(items.len());
    let mut ellipsis = None;
    for item in &items {
        if item.is_none() {
            args.push(SliceArg::NewAxis);
        } else if item.is_instance_of::<PyEllipsis>() {
            if ellipsis.is_some() {
                return Err(PyIndexError::new_err(
                    "an index can only have a single ellipsis ('...')",
                ));
            }
            ellipsis = Some(args.len());
        } else if let Ok(s) = item.cast::<PySlice>() {
            let part = |name: &str| -> PyResult<Option<isize>> {
                let v = s.getattr(name)?;
                if v.is_none() {
                    Ok(None)
                } else {
                    Ok(Some(v.extract()?))
                }
            };
            let step = part("step")?.unwrap_or(1);
            if step == 0 {
                return Err(PyValueError::new_err("slice step cannot be zero"));
            }
            args.push(SliceArg::range(part("start")?, part("stop")?, step));
        } else if item.is_instance_of::<PyInt>() && !item.is_instance_of::<PyBool>() {
            args.push(SliceArg::Index(item.extract()?));
        } else if let Ok(i) = item.call_method0("__index__") {
            args.push(SliceArg::Index(i.extract()?));
        } else {
            return Err(PyIndexError::new_err(format!(
                "only integers, slices (`:`), ellipsis (`...`) and None are valid indices of a \
                 GpuArray, not {}",
                item.get_type().name()?
            )));
        }
    }
    let used = args
        .iter()
        .filter(|a| !matches!(a, SliceArg::NewAxis))
        .count();
    if used > ndim {
        return Err(PyIndexError::new_err(format!(
            "too many indices: the array has {ndim} dimensions but {used} were indexed"
        )));
    }
    if let Some(at) = ellipsis {
        args.splice(at..at, std::iter::repeat_n(SliceArg::ALL, ndim - used));
    }
    Ok(args)
}

/// Checks integer indices against their axes (NumPy's `IndexError`).
fn check_bounds(args: &[SliceArg], shape: &[usize]) -> PyResult<()> {
    let mut axis = 0;
    for arg in args {
        match *arg {
            SliceArg::NewAxis => continue,
            SliceArg::Index(i) => {
                let n = shape[axis] as isize;
                if i < -n || i >= n {
                    return Err(PyIndexError::new_err(format!(
                        "index {i} is out of bounds for axis {axis} with size {n}"
                    )));
                }
            }
            SliceArg::Range { .. } => {}
        }
        axis += 1;
    }
    Ok(())
}

impl PyGpuArray {
    fn binary(
        &self,
        py: Python<'_>,
        name: &str,
        other: &Bound<'_, PyAny>,
        reflected: bool,
    ) -> PyResult<PyGpuArray> {
        let other = operand(py, other, Some(self.inner.gpu()))?;
        let (me, other) = (Arg::Array(&self.inner), other.arg());
        let (a, b) = if reflected { (other, me) } else { (me, other) };
        Ok(PyGpuArray::new(binary_op(name, a, b)?))
    }

    /// A reduction over `axis` (None, an int or a tuple), with the GIL released.
    fn reduction(
        &self,
        py: Python<'_>,
        axis: Option<&Bound<'_, PyAny>>,
        keepdims: bool,
        op: fn(&GpuArray, Option<&[isize]>, bool) -> gpuarray::Result<GpuArray>,
    ) -> PyResult<PyGpuArray> {
        let axes = axes_arg(axis)?;
        reduce(py, &self.inner, |a| op(a, axes.as_deref(), keepdims))
    }

    fn wrap(r: gpuarray::Result<GpuArray>) -> PyResult<PyGpuArray> {
        Ok(PyGpuArray::new(r.or_raise()?))
    }

    /// Downloads with the GIL released.
    pub fn download(&self, py: Python<'_>) -> PyResult<gpuarray::HostArray> {
        let a = &self.inner;
        py.detach(|| a.to_host()).or_raise()
    }

    /// The value of a one-element array, as a Python scalar.
    fn item(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        if self.inner.len() != 1 {
            return Err(PyValueError::new_err(format!(
                "only one-element arrays convert to a Python scalar; this one has shape {:?}",
                self.inner.shape()
            )));
        }
        let host = self.download(py)?;
        let list = PyHostArray::from_host(host)?.tolist(py)?;
        let mut item = list.into_bound(py);
        while let Ok(l) = item.cast::<pyo3::types::PyList>() {
            let first = l.get_item(0)?;
            item = first;
        }
        Ok(item.unbind())
    }
}

#[pymethods]
impl PyGpuArray {
    /// NumPy ufuncs on GpuArrays are refused (`np.add(a, g)` would turn `g` into an object array);
    /// NumPy's operators then hand over to the reflected GpuArray methods.
    #[classattr]
    fn __array_ufunc__(py: Python<'_>) -> Py<PyAny> {
        py.None()
    }

    #[getter]
    fn shape<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.inner.shape())
    }

    #[getter]
    fn dtype(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        dtype_object(py, self.inner.dtype())
    }

    /// Byte strides, as NumPy would report them for the same layout in host memory.
    #[getter]
    fn strides<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let itemsize = self.inner.dtype().itemsize() as isize;
        PyTuple::new(py, self.inner.strides().iter().map(|s| s * itemsize))
    }

    #[getter]
    fn ndim(&self) -> usize {
        self.inner.ndim()
    }

    #[getter]
    fn size(&self) -> usize {
        self.inner.len()
    }

    #[getter]
    fn itemsize(&self) -> usize {
        self.inner.dtype().itemsize()
    }

    #[getter]
    fn nbytes(&self) -> usize {
        self.inner.len() * self.inner.dtype().itemsize()
    }

    /// The context the array lives on.
    #[getter]
    fn gpu(&self) -> crate::gpu::PyGpu {
        crate::gpu::PyGpu {
            gpu: self.inner.gpu().clone(),
        }
    }

    /// `(address, nbytes)` of the host memory this array was uploaded from by `asarray`, else
    /// `None` (for tests of zero-copy uploads).
    #[getter]
    fn _source(&self) -> Option<Source> {
        self.source
    }

    #[getter(T)]
    fn transposed(&self) -> PyGpuArray {
        PyGpuArray::new(self.inner.transpose())
    }

    #[getter]
    fn real(&self) -> PyResult<PyGpuArray> {
        Self::wrap(self.inner.real())
    }

    #[getter]
    fn imag(&self) -> PyResult<PyGpuArray> {
        Self::wrap(self.inner.imag())
    }

    fn conj(&self) -> PyResult<PyGpuArray> {
        Self::wrap(self.inner.conj())
    }

    /// Rounds half to even (`decimals=0` only).
    #[pyo3(signature = (decimals = 0))]
    fn round(&self, decimals: i32) -> PyResult<PyGpuArray> {
        if decimals != 0 {
            return Err(PyValueError::new_err("round: only decimals=0 is supported"));
        }
        Self::wrap(self.inner.round())
    }

    fn conjugate(&self) -> PyResult<PyGpuArray> {
        self.conj()
    }

    /// Downloads into a new host array (C order, native byte order).
    fn get(&self, py: Python<'_>) -> PyResult<PyHostArray> {
        PyHostArray::from_host(self.download(py)?)
    }

    /// A converted copy (NumPy `astype` semantics; float → int saturates, NaN → 0).
    fn astype(&self, py: Python<'_>, dtype: &Bound<'_, PyAny>) -> PyResult<PyGpuArray> {
        let d = dtype_arg(dtype)?;
        let a = &self.inner;
        Ok(PyGpuArray::new(py.detach(|| a.astype(d)).or_raise()?))
    }

    /// A C-contiguous copy.
    fn copy(&self, py: Python<'_>) -> PyResult<PyGpuArray> {
        let a = &self.inner;
        let r = py.detach(|| a.contiguous().and_then(|c| c.astype(c.dtype())));
        Ok(PyGpuArray::new(r.or_raise()?))
    }

    /// `transpose()` reverses the axes; `transpose(1, 0, 2)` or `transpose((1, 0, 2))` permutes.
    #[pyo3(signature = (*axes))]
    fn transpose(&self, axes: &Bound<'_, PyTuple>) -> PyResult<PyGpuArray> {
        let axes: Vec<isize> = match axes.len() {
            0 => return Ok(PyGpuArray::new(self.inner.transpose())),
            1 if !axes.get_item(0)?.is_instance_of::<PyInt>() => axes.get_item(0)?.extract()?,
            _ => axes.extract()?,
        };
        let ndim = self.inner.ndim() as isize;
        let axes = axes
            .iter()
            .map(|&a| {
                let n = if a < 0 { a + ndim } else { a };
                usize::try_from(n)
                    .ok()
                    .filter(|&n| (n as isize) < ndim)
                    .ok_or_else(|| {
                        PyValueError::new_err(format!(
                            "axis {a} is out of bounds for {ndim} dimensions"
                        ))
                    })
            })
            .collect::<PyResult<Vec<usize>>>()?;
        Self::wrap(self.inner.permute(&axes))
    }

    /// `reshape(2, 3)` or `reshape((2, -1))`: without copying when the strides allow it.
    #[pyo3(signature = (*shape))]
    fn reshape(&self, py: Python<'_>, shape: &Bound<'_, PyTuple>) -> PyResult<PyGpuArray> {
        let shape: Vec<isize> = if shape.len() == 1 && !shape.get_item(0)?.is_instance_of::<PyInt>()
        {
            shape.get_item(0)?.extract()?
        } else {
            shape.extract()?
        };
        let a = &self.inner;
        Ok(PyGpuArray::new(py.detach(|| a.reshape(&shape)).or_raise()?))
    }

    /// One flat copy (C order).
    fn ravel(&self, py: Python<'_>) -> PyResult<PyGpuArray> {
        let a = &self.inner;
        Ok(PyGpuArray::new(py.detach(|| a.reshape(&[-1])).or_raise()?))
    }

    #[pyo3(signature = (axis = None, keepdims = false))]
    fn sum(
        &self,
        py: Python<'_>,
        axis: Option<&Bound<'_, PyAny>>,
        keepdims: bool,
    ) -> PyResult<PyGpuArray> {
        self.reduction(py, axis, keepdims, GpuArray::sum)
    }

    #[pyo3(signature = (axis = None, keepdims = false))]
    fn prod(
        &self,
        py: Python<'_>,
        axis: Option<&Bound<'_, PyAny>>,
        keepdims: bool,
    ) -> PyResult<PyGpuArray> {
        self.reduction(py, axis, keepdims, GpuArray::prod)
    }

    #[pyo3(signature = (axis = None, keepdims = false))]
    fn min(
        &self,
        py: Python<'_>,
        axis: Option<&Bound<'_, PyAny>>,
        keepdims: bool,
    ) -> PyResult<PyGpuArray> {
        self.reduction(py, axis, keepdims, GpuArray::min)
    }

    #[pyo3(signature = (axis = None, keepdims = false))]
    fn max(
        &self,
        py: Python<'_>,
        axis: Option<&Bound<'_, PyAny>>,
        keepdims: bool,
    ) -> PyResult<PyGpuArray> {
        self.reduction(py, axis, keepdims, GpuArray::max)
    }

    #[pyo3(signature = (axis = None, keepdims = false))]
    fn all(
        &self,
        py: Python<'_>,
        axis: Option<&Bound<'_, PyAny>>,
        keepdims: bool,
    ) -> PyResult<PyGpuArray> {
        self.reduction(py, axis, keepdims, GpuArray::all)
    }

    #[pyo3(signature = (axis = None, keepdims = false))]
    fn any(
        &self,
        py: Python<'_>,
        axis: Option<&Bound<'_, PyAny>>,
        keepdims: bool,
    ) -> PyResult<PyGpuArray> {
        self.reduction(py, axis, keepdims, GpuArray::any)
    }

    #[pyo3(signature = (axis = None, keepdims = false))]
    fn mean(
        &self,
        py: Python<'_>,
        axis: Option<&Bound<'_, PyAny>>,
        keepdims: bool,
    ) -> PyResult<PyGpuArray> {
        self.reduction(py, axis, keepdims, GpuArray::mean)
    }

    #[pyo3(signature = (axis = None, ddof = 0, keepdims = false))]
    fn var(
        &self,
        py: Python<'_>,
        axis: Option<&Bound<'_, PyAny>>,
        ddof: usize,
        keepdims: bool,
    ) -> PyResult<PyGpuArray> {
        let axes = axes_arg(axis)?;
        reduce(py, &self.inner, |a| a.var(axes.as_deref(), ddof, keepdims))
    }

    #[pyo3(signature = (axis = None, ddof = 0, keepdims = false))]
    fn std(
        &self,
        py: Python<'_>,
        axis: Option<&Bound<'_, PyAny>>,
        ddof: usize,
        keepdims: bool,
    ) -> PyResult<PyGpuArray> {
        let axes = axes_arg(axis)?;
        reduce(py, &self.inner, |a| a.std(axes.as_deref(), ddof, keepdims))
    }

    #[pyo3(signature = (axis = None))]
    fn argmin(&self, py: Python<'_>, axis: Option<isize>) -> PyResult<PyGpuArray> {
        reduce(py, &self.inner, |a| a.argmin(axis))
    }

    #[pyo3(signature = (axis = None))]
    fn argmax(&self, py: Python<'_>, axis: Option<isize>) -> PyResult<PyGpuArray> {
        reduce(py, &self.inner, |a| a.argmax(axis))
    }

    /// `min(max(self, lo), hi)`.
    fn clip(
        &self,
        py: Python<'_>,
        lo: &Bound<'_, PyAny>,
        hi: &Bound<'_, PyAny>,
    ) -> PyResult<PyGpuArray> {
        let gpu = Some(self.inner.gpu());
        let (lo, hi) = (operand(py, lo, gpu)?, operand(py, hi, gpu)?);
        Self::wrap(self.inner.clip(lo.arg(), hi.arg()))
    }

    fn __getitem__(&self, key: &Bound<'_, PyAny>) -> PyResult<PyGpuArray> {
        let args = index_args(key, self.inner.ndim())?;
        check_bounds(&args, self.inner.shape())?;
        self.inner
            .slice(&args)
            .map(PyGpuArray::new)
            .map_err(|e| PyIndexError::new_err(to_py(e).to_string()))
    }

    fn __setitem__(&self, _key: &Bound<'_, PyAny>, _value: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(PyTypeError::new_err(
            "GpuArray does not support item assignment: GPU arrays are never written in place \
             (use ga.where to combine arrays)",
        ))
    }

    fn __len__(&self) -> PyResult<usize> {
        self.inner
            .shape()
            .first()
            .copied()
            .ok_or_else(|| PyTypeError::new_err("len() of a 0-d array"))
    }

    // The binary operators and their reflected forms (`2 - a` calls `a.__rsub__(2)`).

    fn __add__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<PyGpuArray> {
        self.binary(py, "add", other, false)
    }

    fn __radd__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<PyGpuArray> {
        self.binary(py, "add", other, true)
    }

    fn __sub__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<PyGpuArray> {
        self.binary(py, "subtract", other, false)
    }

    fn __rsub__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<PyGpuArray> {
        self.binary(py, "subtract", other, true)
    }

    fn __mul__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<PyGpuArray> {
        self.binary(py, "multiply", other, false)
    }

    fn __rmul__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<PyGpuArray> {
        self.binary(py, "multiply", other, true)
    }

    fn __truediv__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<PyGpuArray> {
        self.binary(py, "true_divide", other, false)
    }

    fn __rtruediv__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<PyGpuArray> {
        self.binary(py, "true_divide", other, true)
    }

    fn __floordiv__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<PyGpuArray> {
        self.binary(py, "floor_divide", other, false)
    }

    fn __rfloordiv__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<PyGpuArray> {
        self.binary(py, "floor_divide", other, true)
    }

    fn __mod__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<PyGpuArray> {
        self.binary(py, "remainder", other, false)
    }

    fn __rmod__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<PyGpuArray> {
        self.binary(py, "remainder", other, true)
    }

    fn __and__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<PyGpuArray> {
        self.binary(py, "bitwise_and", other, false)
    }

    fn __rand__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<PyGpuArray> {
        self.binary(py, "bitwise_and", other, true)
    }

    fn __or__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<PyGpuArray> {
        self.binary(py, "bitwise_or", other, false)
    }

    fn __ror__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<PyGpuArray> {
        self.binary(py, "bitwise_or", other, true)
    }

    fn __xor__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<PyGpuArray> {
        self.binary(py, "bitwise_xor", other, false)
    }

    fn __rxor__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<PyGpuArray> {
        self.binary(py, "bitwise_xor", other, true)
    }

    fn __lshift__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<PyGpuArray> {
        self.binary(py, "left_shift", other, false)
    }

    fn __rlshift__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<PyGpuArray> {
        self.binary(py, "left_shift", other, true)
    }

    fn __rshift__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<PyGpuArray> {
        self.binary(py, "right_shift", other, false)
    }

    fn __rrshift__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<PyGpuArray> {
        self.binary(py, "right_shift", other, true)
    }

    fn __neg__(&self) -> PyResult<PyGpuArray> {
        Self::wrap(self.inner.neg())
    }

    fn __pos__(&self) -> PyGpuArray {
        PyGpuArray::new(self.inner.clone())
    }

    fn __abs__(&self) -> PyResult<PyGpuArray> {
        Self::wrap(self.inner.abs())
    }

    fn __invert__(&self) -> PyResult<PyGpuArray> {
        Self::wrap(self.inner.invert())
    }

    fn __pow__(
        &self,
        py: Python<'_>,
        other: &Bound<'_, PyAny>,
        modulo: &Bound<'_, PyAny>,
    ) -> PyResult<PyGpuArray> {
        if !modulo.is_none() {
            return Err(PyTypeError::new_err(
                "pow() with a modulus is not supported",
            ));
        }
        self.binary(py, "power", other, false)
    }

    fn __rpow__(
        &self,
        py: Python<'_>,
        other: &Bound<'_, PyAny>,
        modulo: &Bound<'_, PyAny>,
    ) -> PyResult<PyGpuArray> {
        if !modulo.is_none() {
            return Err(PyTypeError::new_err(
                "pow() with a modulus is not supported",
            ));
        }
        self.binary(py, "power", other, true)
    }

    fn __richcmp__(
        &self,
        py: Python<'_>,
        other: &Bound<'_, PyAny>,
        op: CompareOp,
    ) -> PyResult<PyGpuArray> {
        let name = match op {
            CompareOp::Lt => "less",
            CompareOp::Le => "less_equal",
            CompareOp::Eq => "equal",
            CompareOp::Ne => "not_equal",
            CompareOp::Gt => "greater",
            CompareOp::Ge => "greater_equal",
        };
        self.binary(py, name, other, false)
    }

    fn __bool__(&self, py: Python<'_>) -> PyResult<bool> {
        self.item(py)?.bind(py).is_truthy()
    }

    fn __float__(&self, py: Python<'_>) -> PyResult<f64> {
        self.item(py)?.bind(py).call_method0("__float__")?.extract()
    }

    fn __int__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(self.item(py)?.bind(py).call_method0("__int__")?.unbind())
    }

    /// `np.asarray(a)`: downloads (`copy=False` raises: the data is in GPU memory).
    #[pyo3(signature = (dtype = None, copy = None))]
    fn __array__(
        &self,
        py: Python<'_>,
        dtype: Option<&Bound<'_, PyAny>>,
        copy: Option<bool>,
    ) -> PyResult<Py<PyAny>> {
        if copy == Some(false) {
            return Err(PyValueError::new_err(
                "a GpuArray cannot become a NumPy array without a copy (its data is in GPU \
                 memory); use copy=None or .get()",
            ));
        }
        let host = Py::new(py, self.get(py)?)?;
        let np = py.import("numpy")?;
        let kwargs = pyo3::types::PyDict::new(py);
        if let Some(d) = dtype {
            kwargs.set_item("dtype", d)?;
        }
        Ok(np.call_method("asarray", (host,), Some(&kwargs))?.unbind())
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let shape = self.inner.shape();
        let dtype = self.inner.dtype();
        if self.inner.len() <= 16 {
            let values = PyHostArray::from_host(self.download(py)?)?.tolist(py)?;
            return Ok(format!(
                "GpuArray({}, dtype={dtype})",
                values.bind(py).repr()?
            ));
        }
        let shape: Vec<String> = shape.iter().map(|n| n.to_string()).collect();
        let comma = if shape.len() == 1 { "," } else { "" };
        Ok(format!(
            "GpuArray(shape=({}{comma}), dtype={dtype})",
            shape.join(", ")
        ))
    }
}

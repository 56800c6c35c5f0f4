"""gpuarray: N-dimensional data to the GPU and back, through the buffer protocol.

    import numpy as np, gpuarray as ga
    a = ga.asarray(np.arange(6, dtype=np.float32).reshape(2, 3))   # one upload, no host copy
    b = ga.sqrt(a * 2 + 1).sum(axis=0)                              # one fused kernel, then a reduction
    np.asarray(b.get())                                             # the HostArray's memory, shared

`asarray` takes any PEP 3118 exporter (NumPy, memoryview, bytes, bytearray, array.array, ctypes,
mmap), objects with `__array_interface__` (PIL images of every mode) and DLPack producers.
`GpuArray.get()` returns a `HostArray` that exports PEP 3118, `__array_interface__` and DLPack.
NumPy is optional: nothing here imports it (dtypes are `numpy.dtype`s when it is installed).
"""

from . import _gpuarray
from ._gpuarray import Gpu, GpuArray, HostArray, asarray, default_gpu, from_dlpack
from . import fft, filters

__all__ = [
    "Gpu", "GpuArray", "HostArray", "asarray", "asnumpy", "default_gpu", "from_dlpack",
    "fft", "filters", "where", "clip",
    "sum", "prod", "min", "max", "amin", "amax", "all", "any", "mean", "var", "std",
    "argmin", "argmax", "astype", "transpose", "reshape", "conj",
]


def asnumpy(x):
    """A NumPy array of `x`'s values: a GpuArray is downloaded (the result shares the
    HostArray's read-only memory); anything else goes through `numpy.asarray`."""
    import numpy

    if isinstance(x, GpuArray):
        x = x.get()
    return numpy.asarray(x)


# The ufuncs: ga.sqrt(x), ga.add(x, y), ... with NumPy's names. Operands may be GpuArrays, host
# arrays (uploaded) or Python scalars (weak, NEP 50).
def _make_unary(name):
    def ufunc(x):
        return _gpuarray._unary(name, x)

    ufunc.__name__ = ufunc.__qualname__ = name
    ufunc.__doc__ = f"numpy.{name} on the GPU (lazy: fuses with the operations around it)."
    return ufunc


def _make_binary(name):
    def ufunc(x, y):
        return _gpuarray._binary(name, x, y)

    ufunc.__name__ = ufunc.__qualname__ = name
    ufunc.__doc__ = f"numpy.{name} on the GPU, with broadcasting (lazy)."
    return ufunc


_ALIASES = {
    "abs": "absolute", "bitwise_not": "invert", "round": "rint",
    "divide": "true_divide", "mod": "remainder", "pow": "power", "bitwise_invert": "invert",
}

for _name in _gpuarray.UNARY:
    globals()[_name] = _make_unary(_name)
    __all__.append(_name)
for _name in _gpuarray.BINARY:
    globals()[_name] = _make_binary(_name)
    __all__.append(_name)
for _alias, _name in _ALIASES.items():
    globals()[_alias] = globals()[_name]
    __all__.append(_alias)
del _name, _alias

where = _gpuarray.where


def _array(x):
    return x if isinstance(x, GpuArray) else asarray(x)


def clip(a, a_min, a_max):
    """`minimum(maximum(a, a_min), a_max)`, as numpy.clip."""
    return _array(a).clip(a_min, a_max)


def conj(x):
    return _array(x).conj()


def astype(x, dtype):
    return _array(x).astype(dtype)


def transpose(a, axes=None):
    return _array(a).transpose() if axes is None else _array(a).transpose(axes)


def reshape(a, shape):
    return _array(a).reshape(shape)


def _make_reduction(name, ddof=False):
    if ddof:
        def reduction(a, axis=None, ddof=0, keepdims=False):
            return getattr(_array(a), name)(axis=axis, ddof=ddof, keepdims=keepdims)
    else:
        def reduction(a, axis=None, keepdims=False):
            return getattr(_array(a), name)(axis=axis, keepdims=keepdims)

    reduction.__name__ = reduction.__qualname__ = name
    reduction.__doc__ = f"numpy.{name} on the GPU (axis: None, an int or a tuple)."
    return reduction


sum = _make_reduction("sum")
prod = _make_reduction("prod")
min = amin = _make_reduction("min")
max = amax = _make_reduction("max")
all = _make_reduction("all")
any = _make_reduction("any")
mean = _make_reduction("mean")
var = _make_reduction("var", ddof=True)
std = _make_reduction("std", ddof=True)


def argmin(a, axis=None):
    return _array(a).argmin(axis)


def argmax(a, axis=None):
    return _array(a).argmax(axis)

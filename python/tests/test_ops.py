"""GpuArray's operators, ufuncs, indexing and conversions against NumPy on random data.

Integer and bool results must be exact. Float results are compared with NumPy computing in
float64 and rounding to the GPU's dtype: rtol 1e-5, atol 1e-6 for float32 (the WGSL accuracy
bounds the Rust tests hold each function to are at most ~40 ulp = 2.4e-6 relative for exp over
[-20, 20], and 2^-21 absolute for log near 1), and rtol/atol 2e-3 for float16 (a few half ulps).
"""

import operator

import numpy as np
import pytest

import gpuarray as ga
from conftest import download
from test_input import random

NARROW = {np.dtype("float64"): np.float32, np.dtype("int64"): np.int32,
          np.dtype("uint64"): np.uint32, np.dtype("complex128"): np.complex64}


def narrowed(dtype):
    """NumPy's result dtype as the GPU holds it (64-bit types narrowed to 32 bits)."""
    return np.dtype(NARROW.get(np.dtype(dtype), dtype))


def check(got, want, exact=None, atol=None, rtol=None):
    """`got` (a GpuArray) against NumPy's `want`, in the dtype the GPU holds."""
    want = np.asarray(want)
    value = download(got)
    assert value.shape == want.shape
    kind = want.dtype.kind
    if exact or (exact is None and kind in "biu"):
        assert value.dtype == narrowed(want.dtype)
        np.testing.assert_array_equal(value, want.astype(narrowed(want.dtype)))
    else:
        tol = 2e-3 if value.dtype == np.float16 else 1e-5
        atol = max(atol or 0, tol / 10 if tol < 1e-3 else tol)
        np.testing.assert_allclose(value, want, rtol=max(rtol or 0, tol), atol=atol,
                                   equal_nan=True)


# Layouts of the operands: (shape of x, how to view x, shape of y, how to view y).
LAYOUTS = {
    "contiguous": ((4, 5), lambda v: v, (4, 5), lambda v: v),
    "strided": ((5, 8), lambda v: v[::2, 1::3], (6, 3), lambda v: v[1::2, :].T.T),
    "negative": ((4, 5), lambda v: v[::-1, ::-2], (4, 3), lambda v: v[:, ::-1]),
    "transposed": ((5, 4), lambda v: v.T, (4, 5), lambda v: v),
    "broadcast": ((4, 1, 3), lambda v: v, (5, 1), lambda v: v),
    "0-d": ((), lambda v: v, (3,), lambda v: v),
    "empty": ((0, 3), lambda v: v, (1, 3), lambda v: v),
}

ARITH = ["add", "subtract", "multiply", "maximum", "minimum", "equal", "not_equal", "less",
         "less_equal", "greater", "greater_equal"]
DTYPES = ["int8", "uint8", "int16", "uint16", "int32", "uint32", "float16", "float32"]


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("dtype", DTYPES + ["complex64", "bool"])
def test_binary_ufuncs_on_every_layout(gpu, rng, layout, dtype):
    xs, xv, ys, yv = LAYOUTS[layout]
    x, y = xv(random(rng, xs, dtype)), yv(random(rng, ys, dtype))
    a, b = ga.asarray(x), ga.asarray(y)
    names = ARITH if dtype not in ("complex64", "bool") else ["add", "multiply", "equal",
                                                               "not_equal"]
    with np.errstate(all="ignore"):
        for name in names:
            check(getattr(ga, name)(a, b), getattr(np, name)(x, y))
        if dtype != "bool":
            check(a - b if dtype != "bool" else a, x - y)
        if dtype in ("float16", "float32", "complex64"):
            check(a / b, x / y)


@pytest.mark.parametrize("dtype", DTYPES)
def test_integer_and_float_division_remainder_power(gpu, rng, dtype):
    x = random(rng, (6, 7), dtype)
    y = random(rng, (6, 7), dtype)
    y[y == 0] = 1  # NumPy warns on division by zero; the GPU gives 0 (see the Rust docs)
    if np.dtype(dtype).kind == "f":
        y = np.where(np.abs(y) < 0.1, 0.5, y).astype(dtype)
    a, b = ga.asarray(x), ga.asarray(y)
    with np.errstate(all="ignore"):
        check(a // b, x // y)
        check(a % b, x % y)
        # True division of integers is float32 on the GPU (NumPy: float64).
        check(a / b, (x / y).astype(np.float32) if np.dtype(dtype).kind in "iu" else x / y)
        e = (np.abs(random(rng, (6, 7), "int8")) % 4).astype(dtype)
        base = x if np.dtype(dtype).kind == "f" else (x % 7).astype(dtype)
        check(ga.asarray(base) ** ga.asarray(e), base ** e)


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "uint16", "int32", "uint32", "bool"])
def test_bitwise_and_shifts(gpu, rng, dtype):
    x, y = random(rng, (3, 9), dtype), random(rng, (3, 9), dtype)
    a, b = ga.asarray(x), ga.asarray(y)
    check(a & b, x & y)
    check(a | b, x | y)
    check(a ^ b, x ^ y)
    check(~a, ~x)
    if dtype != "bool":
        bits = np.dtype(dtype).itemsize * 8
        s = (np.abs(random(rng, (3, 9), "int8").astype(np.int64)) % bits).astype(dtype)
        check(a << ga.asarray(s), x << s)
        check(a >> ga.asarray(s), x >> s)


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int32", "float16", "float32"])
def test_python_scalars_are_weak(gpu, rng, dtype):
    x = random(rng, (4, 4), dtype)
    if np.dtype(dtype).kind in "iu":
        x = (x % 50).astype(dtype)
    a = ga.asarray(x)
    with np.errstate(all="ignore"):
        for op in [operator.add, operator.sub, operator.mul, operator.floordiv, operator.mod,
                   operator.lt, operator.ge, operator.eq, operator.ne]:
            check(op(a, 3), op(x, 3))
            check(op(3, a), op(3, x))
        check(a * 2.5, x * 2.5)
        check(2.5 - a, 2.5 - x)
        check(a / 4, x / 4)
        check(2 ** (ga.asarray(x % 5) if np.dtype(dtype).kind in "iu" else a / 8),
              2 ** (x % 5 if np.dtype(dtype).kind in "iu" else x / 8))
        check(a + True, x + True)
        check(-a, -x)
        check(abs(a), abs(x))
        check(+a, x)


def test_out_of_range_scalars_are_refused(gpu):
    a = ga.asarray(np.arange(4, dtype=np.int8))
    with pytest.raises(TypeError, match="out of bounds"):
        download(a + 1000)
    with pytest.raises(ValueError, match="fit"):
        a + 2**70


def test_numpy_operands_are_uploaded_on_either_side(gpu, rng):
    x = random(rng, (3, 4), "float32")
    y = random(rng, (4,), "float32")
    a = ga.asarray(x)
    check(a * y, x * y)
    check(y * a, y * x)  # NumPy's __mul__ defers: GpuArray.__array_ufunc__ is None
    check(y - a, y - x)
    assert isinstance(y + a, ga.GpuArray)
    check(a + 1j, x + 1j)


FLOAT_UNARY = {
    "sqrt": (0, 100), "exp": (-10, 10), "exp2": (-10, 10), "log": (0.01, 100),
    "log2": (0.01, 100), "log10": (0.01, 100), "log1p": (-0.9, 10), "expm1": (-5, 5),
    "sin": (-3.1, 3.1), "cos": (-3.1, 3.1), "tan": (-1, 1), "arcsin": (-1, 1),
    "arccos": (-1, 1), "arctan": (-10, 10), "sinh": (-5, 5), "cosh": (-5, 5),
    "tanh": (-5, 5), "floor": (-10, 10), "ceil": (-10, 10), "rint": (-10, 10),
    "trunc": (-10, 10), "absolute": (-10, 10), "negative": (-10, 10), "sign": (-10, 10),
    "square": (-10, 10),
}


# WGSL's absolute accuracy for the trigonometric functions (2^-11 for sin/cos on [-pi, pi], and
# inherited from atan2 for the inverse ones: the Rust tests hold them to the same); tan is
# sin/cos, so its error is 2^-11 / cos^2 <= 2^-9.6 on [-1, 1].
TRIG_ATOL = {"sin": 2**-11, "cos": 2**-11, "arcsin": 2**-11, "arccos": 2**-11,
             "arctan": 2**-11, "tan": 2**-9}


@pytest.mark.parametrize("name", list(FLOAT_UNARY))
@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_float_unary_ufuncs(gpu, rng, name, dtype):
    lo, hi = FLOAT_UNARY[name]
    x = rng.uniform(lo, hi, size=(7, 9)).astype(dtype)[::-1, ::2]
    got = getattr(ga, name)(ga.asarray(x))
    want = getattr(np, name)(x.astype(np.float64))
    # Float16 results come back as float16; compare at the precision of the input's dtype.
    check(got, want.astype(dtype), atol=TRIG_ATOL.get(name))


def test_predicates_logic_and_complex(gpu, rng):
    x = random(rng, (5, 6), "float32")
    x[0, 0], x[1, 1], x[2, 2] = np.nan, np.inf, -np.inf
    a = ga.asarray(x)
    for name in ["isnan", "isinf", "isfinite", "logical_not"]:
        check(getattr(ga, name)(a), getattr(np, name)(x))
    y = random(rng, (5, 6), "float32")
    for name in ["logical_and", "logical_or", "logical_xor"]:
        check(getattr(ga, name)(a, ga.asarray(y)), getattr(np, name)(x, y))
    # arctan2 on finite values (WGSL leaves atan2 of NaN undefined; lavapipe gives 0).
    check(ga.arctan2(a[1:], y[1:]), np.arctan2(x[1:], y[1:]), atol=2**-11)
    z = random(rng, (4, 3), "complex64")
    c = ga.asarray(z)
    check(c.real, z.real)
    check(c.imag, z.imag)
    check(c.conj(), z.conj())
    check(ga.conj(c), z.conj())
    check(abs(c), np.abs(z))
    check(ga.angle(c), np.angle(z))
    check(c * c - 1 / c, z * z - 1 / z)
    check(ga.sqrt(c), np.sqrt(z))
    check(ga.exp(c), np.exp(z))


def test_where_and_clip(gpu, rng):
    x, y = random(rng, (4, 5), "float32"), random(rng, (5,), "float32")
    a = ga.asarray(x)
    check(ga.where(a > 0, a, 0.0), np.where(x > 0, x, 0.0))
    check(ga.where(x > 0, y, a), np.where(x > 0, y, x))
    check(ga.clip(a, -0.5, 0.5), np.clip(x, -0.5, 0.5))
    check(a.clip(ga.asarray(y), 1.0), np.clip(x, y, 1.0))
    i = random(rng, (6,), "int16")
    check(ga.clip(i, -100, 100), np.clip(i, -100, 100))


INDICES = [
    0, -1, np.s_[1:3], np.s_[::-1], np.s_[..., 1], np.s_[None, :, 2], np.s_[1, ..., ::-2],
    np.s_[:, None, 1:4:2, None], np.s_[-2, -3, -1], np.s_[::2, ::-3, 1:], np.s_[...],
    np.s_[5:1:-1], np.s_[10:], np.s_[()],
]


@pytest.mark.parametrize("index", INDICES, ids=[str(i) for i in INDICES])
def test_basic_indexing(gpu, rng, index):
    x = random(rng, (6, 5, 4), "int32")
    check(ga.asarray(x)[index], x[index])
    check(ga.asarray(x.transpose(2, 0, 1))[index], x.transpose(2, 0, 1)[index])


def test_index_errors(gpu):
    a = ga.asarray(np.zeros((3, 4), np.float32))
    with pytest.raises(IndexError, match="out of bounds"):
        a[3]
    with pytest.raises(IndexError, match="out of bounds"):
        a[0, -5]
    with pytest.raises(IndexError, match="too many"):
        a[0, 0, 0]
    with pytest.raises(IndexError, match="single ellipsis"):
        a[..., ...]
    with pytest.raises(IndexError, match="valid indices"):
        a[[0, 1]]
    with pytest.raises(ValueError, match="step"):
        a[::0]
    with pytest.raises(TypeError, match="assignment"):
        a[0] = 1


def test_shape_methods_and_conversions(gpu, rng):
    x = random(rng, (2, 3, 4), "float32")
    a = ga.asarray(x)
    check(a.T, x.T)
    check(a.transpose(1, 0, 2), x.transpose(1, 0, 2))
    check(a.transpose((2, -3, 1)), x.transpose((2, 0, 1)))
    check(ga.transpose(a), x.T)
    check(a.reshape(6, 4), x.reshape(6, 4))
    check(a[:, ::-1].reshape((4, -1)), x[:, ::-1].reshape((4, -1)))
    check(ga.reshape(a, (-1,)), x.reshape(-1))
    check(a.ravel(), x.ravel())
    check(a.copy(), x)
    for dtype in ["int8", "uint16", "int32"]:
        # Float -> int truncates toward zero and saturates (NumPy leaves overflow undefined).
        info = np.iinfo(dtype)
        check(a.astype(dtype), np.clip(np.trunc(x), info.min, info.max).astype(dtype))
        check((a * 1000).astype(dtype), np.clip(np.trunc(x * 1000), info.min, info.max)
              .astype(dtype))
    check(a.astype("float16"), x.astype(np.float16))
    check(a.astype("complex64"), x.astype(np.complex64))
    check(a.astype(bool), x != 0)
    with pytest.raises(ValueError, match="shape"):
        a.reshape(5, 5)
    with pytest.raises(ValueError):
        a.transpose(0, 0, 1)
    with pytest.raises(TypeError, match="not understood"):
        a.astype("float128x")
    assert len(a) == 2
    assert float(ga.asarray(np.float32(2.5))) == 2.5
    assert int(ga.asarray(np.array([7], np.int16))) == 7
    assert bool(ga.asarray(np.array(True)))
    with pytest.raises(ValueError, match="one-element"):
        bool(a)


def test_mismatched_broadcast_shapes(gpu):
    a = ga.asarray(np.zeros((3, 4), np.float32))
    b = ga.asarray(np.zeros((3,), np.float32))
    with pytest.raises(ValueError, match="broadcast"):
        download(a + b)


def test_repr_shows_shape_dtype_and_small_values(gpu):
    assert repr(ga.asarray(np.array([1, 2], np.int16))) == "GpuArray([1, 2], dtype=int16)"
    assert repr(ga.asarray(np.zeros((100, 3), np.float32))) == \
        "GpuArray(shape=(100, 3), dtype=float32)"


def test_array_protocol_downloads(gpu, rng):
    x = random(rng, (3, 4), "uint16")
    a = ga.asarray(x)
    np.testing.assert_array_equal(np.asarray(a), x)
    np.testing.assert_array_equal(np.asarray(a, dtype=np.float64), x.astype(np.float64))
    np.testing.assert_array_equal(ga.asnumpy(a), x)
    with pytest.raises(ValueError, match="copy"):
        np.asarray(a, copy=False)

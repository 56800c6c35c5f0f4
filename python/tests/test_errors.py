"""Bad input: each a TypeError/ValueError/IndexError naming the problem, never a crash, and the
exporter's buffer always released (a bytearray can be resized afterwards)."""

import ctypes

import numpy as np
import pytest

import gpuarray as ga


class Padded(ctypes.Structure):
    _fields_ = [("a", ctypes.c_uint8), ("b", ctypes.c_int32)]  # 3 pad bytes between


class WithArray(ctypes.Structure):
    _fields_ = [("v", ctypes.c_float * 3)]


@pytest.mark.parametrize("obj,what", [
    (np.zeros(3, dtype=[("a", "f4"), ("b", "i2")]), "T{"),
    (np.zeros(2, dtype={"names": ["a"], "formats": ["i4"], "offsets": [4], "itemsize": 8}),
     "x"),
    ((Padded * 2)(), "T{"),
    ((WithArray * 2)(), "(3)"),
    (np.zeros(3, dtype="S4"), "4s"),
    (np.zeros(3, dtype="datetime64[s]"), ""),
], ids=["struct", "padding", "ctypes-struct", "sub-array", "bytes", "datetime"])
def test_formats_gpuarray_cannot_hold(gpu, obj, what):
    with pytest.raises((TypeError, ValueError)) as e:
        ga.asarray(obj)
    assert what in str(e.value)


def test_wide_dtypes_say_what_to_pass(gpu):
    with pytest.raises(TypeError, match='dtype="float32"'):
        ga.asarray(np.zeros(3))
    with pytest.raises(TypeError, match='dtype="complex64"'):
        ga.asarray(np.zeros(3, np.complex128))


def test_unknown_dtypes(gpu):
    for bad in ["float8", "<f3", "object", 3.5]:
        with pytest.raises(TypeError, match="not understood"):
            ga.asarray(np.zeros(3, np.float32), dtype=bad)


def test_non_exporters(gpu):
    for bad in [[1, 2, 3], "text", object(), None]:
        with pytest.raises(TypeError, match="cannot make a GpuArray"):
            ga.asarray(bad)


def test_buffers_are_released_after_errors(gpu):
    b = bytearray(8)
    with pytest.raises(TypeError):
        ga.asarray(memoryview(b).cast("d"))  # float64 without dtype=
    b.extend(b"x")  # BufferError if a view were still held
    with pytest.raises(ValueError):
        ga.asarray(b).reshape(4, 4)
    b.extend(b"y")


def test_bad_array_interfaces(gpu):
    class Iface:
        def __init__(self, d):
            self.__array_interface__ = d

    with pytest.raises(ValueError, match="shape"):
        ga.asarray(Iface({"typestr": "<f4", "data": b"1234", "version": 3}))
    with pytest.raises(ValueError, match="layout"):
        ga.asarray(Iface({"shape": (3,), "typestr": "<f4", "data": b"12345678", "version": 3}))
    with pytest.raises(TypeError, match="struct"):
        ga.asarray(Iface({"shape": (1,), "typestr": "|V8", "data": b"12345678",
                          "descr": [("a", "<f4"), ("b", "<f4")], "version": 3}))
    with pytest.raises(ValueError, match="null"):
        ga.asarray(Iface({"shape": (2,), "typestr": "<f4", "data": (0, True), "version": 3}))


def test_shapes_axes_and_contexts(gpu):
    a = ga.asarray(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="broadcast"):
        np.asarray((a + ga.asarray(np.zeros(4, np.float32))).get())
    with pytest.raises(ValueError):
        ga.fft.fft2(ga.asarray(np.zeros(4, np.complex64)))
    with pytest.raises(IndexError):
        a[2]
    other = ga.asarray(np.zeros((2, 3), np.float32), gpu=ga.Gpu())
    with pytest.raises(ValueError, match="different Gpu"):
        np.asarray((a * other).get())

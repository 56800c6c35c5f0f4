"""Data in: `ga.asarray` from every kind of exporter, one upload from the exporter's memory."""

import array
import ctypes
import mmap

import numpy as np
import pytest
from PIL import Image

import gpuarray as ga
from conftest import TESTDATA, download

# Every dtype the GPU holds, and the 64-bit ones that need dtype=.
GPU_DTYPES = ["bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "float16",
              "float32", "complex64"]
WIDE = {"int64": "int32", "uint64": "uint32", "float64": "float32", "complex128": "complex64"}


def random(rng, shape, dtype):
    dtype = np.dtype(dtype)
    if dtype == bool:
        return rng.random(shape) < 0.5
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
    if dtype.kind == "c":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("dtype", GPU_DTYPES)
def test_every_gpu_dtype_round_trips_exactly(gpu, rng, dtype):
    x = random(rng, (5, 7, 3), dtype)
    a = ga.asarray(x)
    assert a.shape == x.shape and a.dtype == x.dtype and a.ndim == 3 and a.size == x.size
    assert a.nbytes == x.nbytes and a.strides == x.strides
    np.testing.assert_array_equal(download(a), x)


@pytest.mark.parametrize("dtype", GPU_DTYPES)
@pytest.mark.parametrize(
    "index",
    [np.s_[::2, 1:, ::-1], np.s_[::-1, ::-3], np.s_[:, 2], np.s_[1:4, ::-2, 1:2], np.s_[3, 4]],
    ids=["steps", "negative", "column", "mixed", "0-d"],
)
def test_strided_and_negative_views_upload_from_the_exporter(gpu, rng, dtype, index):
    x = random(rng, (6, 9, 4), dtype).transpose(1, 0, 2)
    v = x[index]
    a = ga.asarray(v)
    np.testing.assert_array_equal(download(a), v)
    # One upload from the exporter's own memory: the bytes read start at the lowest element.
    address, nbytes = a._source
    lo = v.__array_interface__["data"][0] + sum(
        (n - 1) * s for n, s in zip(v.shape, v.strides) if s < 0
    )
    assert address == lo and nbytes <= x.nbytes


@pytest.mark.parametrize("dtype", [">i2", ">u2", ">i4", ">u4", ">f2", ">f4", ">c8"])
def test_non_native_byte_order_is_swapped_on_upload(gpu, rng, dtype):
    x = random(rng, (4, 5), np.dtype(dtype).newbyteorder("="))
    big = x.astype(dtype)
    np.testing.assert_array_equal(download(ga.asarray(big[:, ::-2])), x[:, ::-2])


def test_empty_and_zero_d(gpu):
    for x in [np.zeros((0,), np.float32), np.zeros((3, 0, 2), np.int16), np.float32(2.5),
              np.array(7, np.uint8)]:
        a = ga.asarray(x)
        assert a.shape == np.shape(x)
        np.testing.assert_array_equal(download(a), x)


@pytest.mark.parametrize("wide", list(WIDE))
def test_64_bit_data_needs_dtype(gpu, rng, wide):
    x = random(rng, (3, 4), wide)
    with pytest.raises(TypeError, match="dtype="):
        ga.asarray(x)
    a = ga.asarray(x[:, ::-1], dtype=WIDE[wide])
    assert a.dtype == np.dtype(WIDE[wide])
    np.testing.assert_array_equal(download(a), x[:, ::-1].astype(WIDE[wide]))


@pytest.mark.parametrize("spelling", ["float32", np.float32, "<f4", "f4", "f", np.dtype("f4")])
def test_dtype_spellings(gpu, spelling):
    a = ga.asarray(np.arange(4, dtype=np.int16), dtype=spelling)
    assert a.dtype == np.float32
    np.testing.assert_array_equal(download(a), [0, 1, 2, 3])


def test_python_buffers(gpu):
    np.testing.assert_array_equal(download(ga.asarray(b"\x01\x02\xff")), [1, 2, 255])
    np.testing.assert_array_equal(download(ga.asarray(bytearray(b"ab"))), [97, 98])
    f = array.array("f", [1.5, -2.0, 3.25])
    np.testing.assert_array_equal(download(ga.asarray(f)), [1.5, -2.0, 3.25])
    h = array.array("h", range(-3, 3))
    m = memoryview(h).cast("B").cast("h", (2, 3))
    np.testing.assert_array_equal(download(ga.asarray(m[::-1])), [[0, 1, 2], [-3, -2, -1]])
    c = (ctypes.c_int32 * 4)(5, 6, 7, -8)
    np.testing.assert_array_equal(download(ga.asarray(c)), [5, 6, 7, -8])
    grid = ((ctypes.c_uint16 * 3) * 2)((1, 2, 3), (4, 5, 6))
    np.testing.assert_array_equal(download(ga.asarray(grid)), [[1, 2, 3], [4, 5, 6]])
    with mmap.mmap(-1, 8) as mm:
        mm.write(bytes(range(8)))
        a = ga.asarray(mm)
        np.testing.assert_array_equal(download(a), range(8))


def test_the_exporter_stays_usable_and_its_buffer_is_released(gpu):
    b = bytearray(b"1234")
    ga.asarray(b)
    b.extend(b"5")  # would raise BufferError if the upload had kept the buffer
    with pytest.raises(TypeError):
        ga.asarray(np.zeros(3, dtype=[("a", "f4"), ("b", "i2")]))
    b.extend(b"6")
    m = memoryview(b)
    ga.asarray(m)
    m.release()
    b.extend(b"7")
    with pytest.raises(ValueError, match="released"):
        ga.asarray(m)


PIL_MODES = ["1", "L", "LA", "P", "RGB", "RGBA", "I;16", "I", "F"]


@pytest.mark.parametrize("mode", PIL_MODES)
def test_pil_images_of_every_mode(gpu, mode):
    photo = Image.open(TESTDATA / "coffee.png").convert(mode)
    want = np.asarray(photo)
    a = ga.asarray(photo)
    assert a.shape == want.shape and a.dtype == want.dtype
    # Mode "1" exports one byte per pixel (0 or 255) as bool: compare truth values.
    np.testing.assert_array_equal(download(a).astype(bool) if mode == "1" else download(a),
                                  want.astype(bool) if mode == "1" else want)


@pytest.mark.parametrize("dtype", GPU_DTYPES)
def test_dlpack_producers(gpu, rng, dtype):
    x = random(rng, (4, 6), dtype)[::-1, 1::2]
    a = ga.from_dlpack(x)
    np.testing.assert_array_equal(download(a), x)
    assert a._source[0] <= x.__array_interface__["data"][0]


class LegacyDLPack:
    """A producer of the pre-1.0 protocol: `__dlpack__()` without keyword arguments."""

    def __init__(self, x):
        self.x = x

    def __dlpack__(self, stream=None):
        return self.x.__dlpack__()

    def __dlpack_device__(self):
        return self.x.__dlpack_device__()


class OnlyDLPack(LegacyDLPack):
    """An object that speaks DLPack only (no buffer, no array interface): asarray finds it."""

    def __dlpack__(self, **kwargs):
        return self.x.__dlpack__(**kwargs)


def test_legacy_dlpack_and_asarray_fallback(gpu, rng):
    x = random(rng, (3, 5), "float32")
    np.testing.assert_array_equal(download(ga.from_dlpack(LegacyDLPack(x))), x)
    np.testing.assert_array_equal(download(ga.asarray(OnlyDLPack(x.T))), x.T)


def test_torch_cpu_tensors_if_installed(gpu):
    torch = pytest.importorskip("torch")  # optional: torch is not in the CI venv
    t = torch.arange(12, dtype=torch.float32).reshape(3, 4).T
    np.testing.assert_array_equal(download(ga.asarray(t)), t.numpy())


def test_array_interface_with_address(gpu, rng):
    x = random(rng, (4, 5), "uint16")

    class Interface:
        def __init__(self, a):
            self.a = a  # keeps the memory alive
            self.__array_interface__ = a[:, ::-2].__array_interface__

    np.testing.assert_array_equal(download(ga.asarray(Interface(x))), x[:, ::-2])


def test_gpuarray_input_is_returned_and_other_gpus_are_refused(gpu):
    a = ga.asarray(np.arange(3, dtype=np.int32))
    assert download(ga.asarray(a)).tolist() == [0, 1, 2]
    assert ga.asarray(a, dtype="float32").dtype == np.float32
    other = ga.Gpu()
    with pytest.raises(ValueError, match="another Gpu"):
        ga.asarray(a, gpu=other)
    b = ga.asarray(np.arange(3, dtype=np.int32), gpu=other)
    with pytest.raises(ValueError, match="different Gpu"):
        download(a + b)

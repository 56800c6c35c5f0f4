"""Data out: HostArray exports PEP 3118, __array_interface__ and DLPack without copying, keeps
its memory alive for every consumer, and is read-only. Also lifetimes and threads."""

import gc
import os
import struct
import threading
import time

import numpy as np
import pytest
from PIL import Image

import gpuarray as ga
from test_input import GPU_DTYPES, random

FORMATS = {"bool": "?", "int8": "b", "uint8": "B", "int16": "h", "uint16": "H", "int32": "i",
           "uint32": "I", "float16": "e", "float32": "f", "complex64": "Zf"}


def address(h):
    return h.__array_interface__["data"][0]


@pytest.mark.parametrize("dtype", GPU_DTYPES)
def test_memoryview_and_numpy_share_the_host_array(gpu, rng, dtype):
    x = random(rng, (3, 4, 5), dtype)
    h = ga.asarray(x[:, ::-1]).get()
    m = memoryview(h)
    assert m.format == FORMATS[dtype] and m.shape == (3, 4, 5) and m.readonly
    assert m.strides == h.strides == np.ascontiguousarray(x).strides
    assert h.shape == x.shape and h.dtype == x.dtype and h.nbytes == x.nbytes
    n = np.asarray(h)
    np.testing.assert_array_equal(n, x[:, ::-1])
    # Zero copy: NumPy's array is the HostArray's memory, read-only.
    assert n.__array_interface__["data"][0] == address(h)
    assert not n.flags.writeable
    with pytest.raises(ValueError):
        n[0] = 0
    with pytest.raises(TypeError):
        m.cast("B")[0] = 0  # the memoryview is read-only
    with pytest.raises((BufferError, TypeError)):
        struct.pack_into("B", h, 0, 1)  # asks for a writable buffer: refused
    # DLPack: versioned (NumPy asks with max_version) and legacy, both zero copy.
    d = np.from_dlpack(h)
    np.testing.assert_array_equal(d, x[:, ::-1])
    assert d.__array_interface__["data"][0] == address(h)
    assert h.__dlpack_device__() == (1, 0)
    back = ga.from_dlpack(h)
    assert back._source[0] == address(h)
    np.testing.assert_array_equal(np.asarray(back.get()), x[:, ::-1])


def test_legacy_dlpack_export_and_copy(gpu, rng):
    x = random(rng, (4, 3), "int16")
    h = ga.asarray(x).get()

    class Legacy:
        def __dlpack__(self):
            return h.__dlpack__()  # no max_version: a legacy capsule

        def __dlpack_device__(self):
            return h.__dlpack_device__()

    a = ga.from_dlpack(Legacy())
    assert a._source[0] == address(h)
    np.testing.assert_array_equal(np.asarray(a.get()), x)
    c = np.from_dlpack(h, copy=True)
    assert c.__array_interface__["data"][0] != address(h)
    np.testing.assert_array_equal(c, x)
    with pytest.raises(BufferError):
        h.__dlpack__(dl_device=(2, 0))
    # An unconsumed capsule frees its export when it is collected.
    h.__dlpack__(max_version=(1, 0))
    h.__dlpack__()
    gc.collect()


def test_consumers_keep_the_memory_alive(gpu, rng):
    x = random(rng, (64, 64), "float32")
    h = ga.asarray(x).get()
    n, m, d = np.asarray(h), memoryview(h), np.from_dlpack(h)
    del h
    gc.collect()
    ga.asarray(np.zeros((64, 64), np.float32)).get()  # reuse freed memory, if any was freed
    np.testing.assert_array_equal(n, x)
    np.testing.assert_array_equal(np.asarray(m), x)
    np.testing.assert_array_equal(d, x)


def test_pil_fromarray_takes_host_arrays_directly(gpu, rng):
    for shape, dtype, mode in [((8, 9), "uint8", "L"), ((8, 9, 3), "uint8", "RGB"),
                               ((8, 9, 4), "uint8", "RGBA"), ((8, 9), "float32", "F"),
                               ((8, 9), "uint16", "I;16")]:
        x = random(rng, shape, dtype)
        h = ga.asarray(x).get()
        img = Image.fromarray(h)
        assert img.mode == mode and img.size == (9, 8)
        np.testing.assert_array_equal(np.asarray(img), x)
        assert h.__array_interface__["typestr"] == np.dtype(dtype).str


def test_tolist_and_repr(gpu):
    h = ga.asarray(np.array([[1, 2], [3, 4]], np.uint8)).get()
    assert h.tolist() == [[1, 2], [3, 4]] and len(h) == 2
    assert repr(h) == "HostArray([[1, 2], [3, 4]], dtype=uint8)"
    z = ga.asarray(np.array([1 + 2j], np.complex64)).get()
    assert z.tolist() == [1 + 2j]


def rss():
    with open(f"/proc/{os.getpid()}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_ten_thousand_round_trips_use_bounded_memory(gpu, rng):
    x = random(rng, (64, 64), "float32")  # 16 KiB: 10^4 leaked copies would be 160 MiB
    for _ in range(500):  # warm up the buffer pool and the allocator
        np.asarray(ga.asarray(x).get())
    before = rss()
    for _ in range(10_000):
        h = ga.asarray(x).get()
        n = np.asarray(h)
    after = rss()
    np.testing.assert_array_equal(n, x)
    assert after - before < 32 << 20, f"RSS grew by {(after - before) >> 20} MiB"


def test_the_exporter_stays_alive_while_uploaded_from(gpu, rng):
    x = random(rng, (256, 256), "float32")
    a = ga.asarray(x[::-1])
    del x
    gc.collect()
    assert a.shape == (256, 256)
    assert np.asarray(a.get()).shape == (256, 256)


def test_four_threads_share_the_default_gpu(gpu, rng):
    inputs = [random(rng, (128, 96), "int32") % 1000 for _ in range(4)]
    results, errors = [None] * 4, []

    def work(k):
        try:
            x = inputs[k]
            out = []
            for i in range(20):
                a = ga.asarray(x)
                out.append(np.asarray(((a * 3 + i) % 7).sum(axis=0).get()))
            results[k] = out
        except Exception as e:  # reported below; a thread's exception is otherwise lost
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for k in range(4):
        for i in range(20):
            np.testing.assert_array_equal(results[k][i], ((inputs[k] * 3 + i) % 7).sum(axis=0))


def test_gpu_work_releases_the_gil(gpu, rng):
    # A Python thread keeps running while the main thread waits for a long transform and its
    # download. Held, the GIL would stop it for the whole call: its longest pause would be the
    # call's duration. Released, it pauses only at the interpreter's switch interval (5 ms).
    x = random(rng, (2048, 2048), "complex64")
    a = ga.asarray(x)
    np.asarray(ga.fft.fft2(a).get())  # compile the kernels first
    state = {"pause": 0.0, "watch": False, "stop": False}

    def spin():
        last = time.perf_counter()
        while not state["stop"]:
            now = time.perf_counter()
            if state["watch"]:
                state["pause"] = max(state["pause"], now - last)
            last = now

    t = threading.Thread(target=spin)
    t.start()
    time.sleep(0.02)
    state["watch"] = True
    start = time.perf_counter()
    np.asarray(ga.fft.fft2(a).get())
    elapsed = time.perf_counter() - start
    state["watch"] = False
    state["stop"] = True
    t.join()
    assert elapsed > 0.05, elapsed  # long enough to tell the two apart
    assert state["pause"] < 0.5 * elapsed, (state["pause"], elapsed)


def test_gpu_info_and_stats(gpu):
    info = gpu.info
    assert info["name"] and info["backend"] in ("vulkan", "gl", "metal", "dx12")
    before = gpu.stats["uploads"]
    ga.asarray(np.zeros(3, np.float32))
    assert gpu.stats["uploads"] == before + 1
    # Kernels are recorded and submitted in batches: a sum of a two-op chain is at least one
    # dispatch, and its download submits what was recorded.
    s0 = gpu.stats
    x = ga.asarray(np.arange(1000, dtype=np.float32))
    assert float(((x * 2) + 1).sum()) == 1000.0 * 999 + 1000
    s1 = gpu.stats
    assert s1["dispatches"] > s0["dispatches"]
    assert s1["submissions"] > s0["submissions"]
    assert s1["draws"] == s0["draws"]
    assert "Gpu(" in repr(gpu)

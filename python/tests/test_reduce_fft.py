"""Reductions and ga.fft against NumPy.

Float sums are pairwise in float32, whose error is bounded by ~log2(n) eps sum|x| (here
n <= 42, so ~5.4 eps = 6.4e-7 sum|x|): the tests allow 1e-6 sum|x|, plus 1e-5 of the largest
output for the division of means. Variances (two passes) get rtol 1e-4. Integer reductions
accumulate in 32 bits (the data is kept small enough not to wrap) and must be exact.

FFTs are checked against numpy.fft (float64) with an error relative to the largest output
magnitude of 1e-5: float32 FFTs have an RMS error of ~eps sqrt(log2 n) and the Rust tests
hold the worst case to 1e-6 relative L2 (3e-7 for smooth sizes).
"""

import numpy as np
import pytest

import gpuarray as ga
from conftest import download
from test_input import random
from test_ops import check


AXES = [None, 0, -1, (0, 2), (1,), (-1, 0, 1), ()]


def close_sum(got, want, x, axis, keepdims):
    scale = np.sum(np.abs(x.astype(np.float64)), axis=axis, keepdims=keepdims)
    value = download(got)
    assert value.shape == np.shape(want)
    assert np.all(np.abs(value - want) <= 1e-6 * scale + 1e-5 * np.max(np.abs(want), initial=1))


@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_float_reductions(gpu, rng, axis, keepdims):
    x = random(rng, (6, 7, 5), "float32")[:, ::-1, 1:]
    a = ga.asarray(x)
    close_sum(a.sum(axis=axis, keepdims=keepdims), x.sum(axis=axis, keepdims=keepdims), x,
              axis, keepdims)
    close_sum(ga.mean(a, axis, keepdims=keepdims), x.mean(axis=axis, keepdims=keepdims), x,
              axis, keepdims)
    check(a.min(axis=axis, keepdims=keepdims), x.min(axis=axis, keepdims=keepdims))
    check(ga.max(a, axis=axis, keepdims=keepdims), x.max(axis=axis, keepdims=keepdims))
    for ddof in [0, 1]:
        if axis == () and ddof == 1:
            continue  # N - ddof = 0: NaN on both sides (NumPy warns)
        check(a.var(axis=axis, ddof=ddof, keepdims=keepdims),
              x.astype(np.float64).var(axis=axis, ddof=ddof, keepdims=keepdims), rtol=1e-4,
              atol=1e-5)
        check(ga.std(a, axis=axis, ddof=ddof, keepdims=keepdims),
              x.astype(np.float64).std(axis=axis, ddof=ddof, keepdims=keepdims), rtol=1e-4,
              atol=1e-5)
    small = (x / 4 + 1).astype(np.float32)
    check(ga.prod(ga.asarray(small), axis=axis, keepdims=keepdims),
          small.astype(np.float64).prod(axis=axis, keepdims=keepdims), rtol=1e-4)


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "uint16", "int32", "uint32", "bool"])
def test_integer_reductions_are_exact(gpu, rng, dtype):
    x = random(rng, (9, 11), dtype)
    if dtype != "bool":
        x = (x % 100).astype(dtype)
    a = ga.asarray(x)
    for axis in [None, 0, 1]:
        np.testing.assert_array_equal(download(a.sum(axis=axis)), x.sum(axis=axis))
        if dtype != "bool":
            np.testing.assert_array_equal(download(a.min(axis=axis)), x.min(axis=axis))
            np.testing.assert_array_equal(download(a.max(axis=axis)), x.max(axis=axis))
        np.testing.assert_array_equal(download(a.any(axis=axis)), x.any(axis=axis))
        np.testing.assert_array_equal(download(ga.all(a, axis=axis)), x.all(axis=axis))


def test_argmin_argmax(gpu, rng):
    x = random(rng, (8, 13), "float32")
    x[3, 4] = np.nan
    a = ga.asarray(x)
    for axis in [None, 0, 1, -1]:
        np.testing.assert_array_equal(download(a.argmax(axis=axis)), np.argmax(x, axis=axis))
        np.testing.assert_array_equal(download(ga.argmin(a, axis)), np.argmin(x, axis=axis))


def test_reduction_errors(gpu):
    a = ga.asarray(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="axis"):
        a.sum(axis=2)
    with pytest.raises(ValueError):
        a.sum(axis=(0, 0))
    with pytest.raises(TypeError, match="axis"):
        a.sum(axis="rows")
    with pytest.raises(ValueError):
        ga.asarray(np.zeros((0,), np.float32)).max()


def close_fft(got, want):
    value = download(got)
    assert value.shape == want.shape
    np.testing.assert_allclose(value, want, rtol=0, atol=1e-5 * max(np.max(np.abs(want)), 1))


@pytest.mark.parametrize("n", [1, 8, 12, 17, 64, 100])
@pytest.mark.parametrize("norm", [None, "backward", "ortho", "forward"])
def test_1d_transforms(gpu, rng, n, norm):
    x = random(rng, (3, n), "complex64")
    r = random(rng, (n, 3), "float32")
    a = ga.asarray(x)
    close_fft(ga.fft.fft(a, norm=norm), np.fft.fft(x, norm=norm))
    close_fft(ga.fft.ifft(a, norm=norm), np.fft.ifft(x, norm=norm))
    close_fft(ga.fft.fft(a, n=n + 3, axis=-1, norm=norm), np.fft.fft(x, n=n + 3, norm=norm))
    close_fft(ga.fft.rfft(r, axis=0, norm=norm), np.fft.rfft(r, axis=0, norm=norm))
    if n > 1:
        spec = np.fft.rfft(r, axis=0)
        close_fft(ga.fft.irfft(spec.astype(np.complex64), n=n, axis=0, norm=norm),
                  np.fft.irfft(spec, n=n, axis=0, norm=norm))


def test_nd_transforms_and_helpers(gpu, rng):
    x = random(rng, (4, 6, 10), "float32")
    a = ga.asarray(x[:, ::-1])
    y = x[:, ::-1]
    close_fft(ga.fft.fft2(a), np.fft.fft2(y))
    close_fft(ga.fft.ifft2(a, s=(8, 5)), np.fft.ifft2(y, s=(8, 5)))
    close_fft(ga.fft.fftn(a, axes=(0, 2)), np.fft.fftn(y, axes=(0, 2)))
    close_fft(ga.fft.ifftn(a), np.fft.ifftn(y))
    close_fft(ga.fft.rfft2(a, norm="ortho"), np.fft.rfft2(y, norm="ortho"))
    close_fft(ga.fft.rfftn(a), np.fft.rfftn(y))
    spec = np.fft.rfft2(y)
    close_fft(ga.fft.irfft2(spec.astype(np.complex64), s=y.shape[-2:]),
              np.fft.irfft2(spec, s=y.shape[-2:]))
    close_fft(ga.fft.irfftn(np.fft.rfftn(y).astype(np.complex64), s=y.shape, axes=(0, 1, 2)),
              np.fft.irfftn(np.fft.rfftn(y), s=y.shape, axes=(0, 1, 2)))
    check(ga.fft.fftshift(a), np.fft.fftshift(y))
    check(ga.fft.ifftshift(a, axes=(1,)), np.fft.ifftshift(y, axes=(1,)))
    check(ga.fft.fftfreq(7, d=0.5), np.fft.fftfreq(7, d=0.5))
    check(ga.fft.rfftfreq(8), np.fft.rfftfreq(8))
    with pytest.raises(ValueError, match="norm"):
        ga.fft.fft(a, norm="sideways")
    with pytest.raises(ValueError):
        ga.fft.fft(a, axis=3)

"""ga.filters against SciPy/NumPy references of the same definitions.

Float32 filtering of [0, 1] images: a separable gaussian or box of radius r sums ~(2r+1)^2
products, so the float32 error is ~1e-6; the tests allow 2e-5 on [0, 1] values. uint8 results
may differ from the float64 reference by one level where the float32 value sits on a rounding
boundary.
"""

import numpy as np
import pytest
import scipy.ndimage as ndi

import gpuarray as ga
from conftest import download


@pytest.fixture
def image(rng):
    return rng.random((37, 45)).astype(np.float32)


def gaussian_kernel(sigma):
    radius = int(np.ceil(3 * sigma))
    t = np.arange(-radius, radius + 1)
    k = np.exp(-0.5 * (t / sigma) ** 2)
    return k / k.sum()


@pytest.mark.parametrize("border,mode", [("clamp", "nearest"), ("reflect", "mirror"),
                                         ("wrap", "wrap"), (0.25, "constant")])
def test_gaussian_box_and_convolve_with_every_border(gpu, image, border, mode):
    cval = border if isinstance(border, float) else 0.0
    k = gaussian_kernel(1.5)
    want = ndi.correlate1d(ndi.correlate1d(image.astype(np.float64), k, axis=0, mode=mode,
                                           cval=cval), k, axis=1, mode=mode, cval=cval)
    got = download(ga.filters.gaussian_blur(image, 1.5, border=border))
    np.testing.assert_allclose(got, want, atol=2e-5)
    box = np.full((5, 5), 1 / 25)
    want = ndi.correlate(image.astype(np.float64), box, mode=mode, cval=cval)
    np.testing.assert_allclose(download(ga.filters.box_blur(image, 2, border=border)), want,
                               atol=2e-5)
    kernel = np.arange(12, dtype=np.float32).reshape(3, 4) / 66
    # A true convolution with the origin at (kh // 2, kw // 2): SciPy's correlation with the
    # flipped kernel, shifted by one column for the even width.
    want = ndi.correlate(image.astype(np.float64), kernel[::-1, ::-1], mode=mode, cval=cval,
                         origin=(0, -1))
    got = download(ga.filters.convolve2d(ga.asarray(image), kernel, border=border))
    np.testing.assert_allclose(got, want, atol=2e-5)


def test_colour_filters_on_uint8(gpu, rng):
    rgb = rng.integers(0, 256, size=(20, 30, 3), dtype=np.uint8)
    unit = rgb / 255.0
    luma = unit @ np.array([0.2126, 0.7152, 0.0722])
    got = download(ga.filters.grayscale(rgb)).astype(int)
    assert got.dtype == np.int64 and np.max(np.abs(got - np.round(luma * 255))) <= 1
    got = download(ga.filters.gamma(ga.asarray(rgb), 0.5)).astype(int)
    assert np.max(np.abs(got - np.round(unit ** 0.5 * 255))) <= 1
    got = download(ga.filters.brightness_contrast(rgb, 0.1, 1.5)).astype(int)
    want = np.clip((unit - 0.5) * 1.5 + 0.5 + 0.1, 0, 1) * 255
    assert np.max(np.abs(got - np.round(want))) <= 1
    lin = np.where(unit <= 0.04045, unit / 12.92, ((unit + 0.055) / 1.055) ** 2.4)
    got = download(ga.filters.srgb_to_linear(unit.astype(np.float32)))
    np.testing.assert_allclose(got, lin, atol=2e-5)
    back = download(ga.filters.linear_to_srgb(lin.astype(np.float32)))
    np.testing.assert_allclose(back, unit, atol=2e-5)


def test_equalize_sobel_unsharp(gpu, rng):
    grey = (rng.random((32, 32)) ** 3 * 255).astype(np.uint8)
    eq = download(ga.filters.equalize_histogram(grey))
    assert eq.dtype == np.uint8 and eq.max() == 255
    # Equalisation is monotone: it keeps the order of grey levels.
    order = np.argsort(grey, axis=None, kind="stable")
    assert np.all(np.diff(eq.ravel()[order].astype(int)) >= 0)
    rgb = rng.integers(0, 256, size=(16, 16, 3), dtype=np.uint8)
    assert download(ga.filters.equalize_histogram(rgb, mode="luma")).shape == rgb.shape
    f = rng.random((20, 24)).astype(np.float32)
    gx = ndi.correlate(f.astype(np.float64), [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], mode="nearest")
    gy = ndi.correlate(f.astype(np.float64), [[-1, -2, -1], [0, 0, 0], [1, 2, 1]], mode="nearest")
    got = download(ga.filters.sobel(f))
    np.testing.assert_allclose(got, np.hypot(gx, gy), atol=1e-4)
    k = gaussian_kernel(2.0)
    blur = ndi.correlate1d(ndi.correlate1d(f.astype(np.float64), k, axis=0, mode="nearest"),
                           k, axis=1, mode="nearest")
    got = download(ga.filters.unsharp_mask(f, 2.0, 0.7))
    np.testing.assert_allclose(got, f + 0.7 * (f - blur), atol=5e-5)


def test_psfs_and_periodic_deconvolution(gpu, rng):
    psf = np.asarray(ga.filters.psf_gaussian(9, 1.5))
    assert psf.shape == (9, 9) and abs(psf.sum() - 1) < 1e-6
    assert abs(np.asarray(ga.filters.psf_motion(7, 30)).sum() - 1) < 1e-6
    assert abs(np.asarray(ga.filters.psf_disk(3)).sum() - 1) < 1e-6
    x = rng.random((32, 40)).astype(np.float32)
    # Periodic convolution: the PSF centred at its middle, circularly.
    pad = np.zeros_like(x, dtype=np.float64)
    pad[:9, :9] = psf
    pad = np.roll(pad, (-4, -4), axis=(0, 1))
    want = np.real(np.fft.ifft2(np.fft.fft2(x) * np.fft.fft2(pad)))
    blurred = ga.filters.convolve_periodic(x, psf)
    np.testing.assert_allclose(download(blurred), want, atol=2e-5)
    H = np.fft.fft2(pad)
    wiener = np.real(np.fft.ifft2(np.fft.fft2(want) * np.conj(H) / (np.abs(H) ** 2 + 1e-3)))
    got = download(ga.filters.wiener_deconvolve(blurred, psf, 1e-3))
    np.testing.assert_allclose(got, wiener, atol=1e-3)
    assert download(ga.filters.taper_edges(x, 6)).shape == x.shape


def test_filter_errors(gpu):
    with pytest.raises(ValueError, match="border"):
        ga.filters.gaussian_blur(np.zeros((4, 4), np.float32), 1.0, border="bounce")
    with pytest.raises(ValueError, match="sigma"):
        ga.filters.gaussian_blur(np.zeros((4, 4), np.float32), -1.0)
    with pytest.raises(ValueError, match="image"):
        ga.filters.sobel(np.zeros(4, np.float32))
    with pytest.raises(TypeError, match="image filters take"):
        ga.filters.sobel(np.zeros((4, 4), np.int32))
    with pytest.raises(ValueError, match="mode"):
        ga.filters.equalize_histogram(np.zeros((4, 4), np.uint8), mode="hue")

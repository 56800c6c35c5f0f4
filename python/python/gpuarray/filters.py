"""Image filters on the GPU (the Rust crate's `gpuarray::filters`).

Images are `[h, w]` or `[h, w, c]` arrays of uint8, uint16 or float32 (integer images are
processed in [0, 1] and come back in their own dtype). `border` is "clamp" (default),
"reflect", "wrap" or a number (a constant). Kernels and PSFs are host arrays (NumPy arrays,
HostArrays, any buffer); `psf_*` build them.
"""

from ._gpuarray import filters as _filters

gaussian_blur = _filters.gaussian_blur
box_blur = _filters.box_blur
unsharp_mask = _filters.unsharp_mask
sobel = _filters.sobel
convolve2d = _filters.convolve2d
grayscale = _filters.grayscale
gamma = _filters.gamma
srgb_to_linear = _filters.srgb_to_linear
linear_to_srgb = _filters.linear_to_srgb
brightness_contrast = _filters.brightness_contrast
equalize_histogram = _filters.equalize_histogram
convolve_periodic = _filters.convolve_periodic
wiener_deconvolve = _filters.wiener_deconvolve
taper_edges = _filters.taper_edges
psf_gaussian = _filters.psf_gaussian
psf_motion = _filters.psf_motion
psf_disk = _filters.psf_disk

__all__ = [
    "gaussian_blur", "box_blur", "unsharp_mask", "sobel", "convolve2d", "grayscale", "gamma",
    "srgb_to_linear", "linear_to_srgb", "brightness_contrast", "equalize_histogram",
    "convolve_periodic", "wiener_deconvolve", "taper_edges", "psf_gaussian", "psf_motion",
    "psf_disk",
]

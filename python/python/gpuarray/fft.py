"""numpy.fft on the GPU: the same names and arguments (`n`, `axis`, `s`, `axes`, `norm`).

Inputs may be GpuArrays or host arrays (uploaded). Results are complex64 (float32 from `irfft*`).
"""

from ._gpuarray import fft as _fft

fft = _fft.fft
ifft = _fft.ifft
rfft = _fft.rfft
irfft = _fft.irfft
fft2 = _fft.fft2
ifft2 = _fft.ifft2
rfft2 = _fft.rfft2
irfft2 = _fft.irfft2
fftn = _fft.fftn
ifftn = _fft.ifftn
rfftn = _fft.rfftn
irfftn = _fft.irfftn
fftshift = _fft.fftshift
ifftshift = _fft.ifftshift
fftfreq = _fft.fftfreq
rfftfreq = _fft.rfftfreq

__all__ = [
    "fft", "ifft", "rfft", "irfft", "fft2", "ifft2", "rfft2", "irfft2", "fftn", "ifftn",
    "rfftn", "irfftn", "fftshift", "ifftshift", "fftfreq", "rfftfreq",
]

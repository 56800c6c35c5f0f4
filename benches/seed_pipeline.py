#!/usr/bin/env python3
"""The seed's pipeline end to end, gpuarray against NumPy + Pillow, same machine, same run.

    decode JPEG -> Wiener deblur of each channel -> encode PNG, RGB 2048 x 2048

Both sides do the same steps with the same definitions (gpuarray's `filter --op deblur`):
a gaussian PSF of sigma 3 sampled on a (2*ceil(3 sigma) + 1)^2 grid and normalised; the edges
tapered as `filters::taper_edges` does (blend into a periodically gaussian-blurred copy,
sigma = width / 4, with raised-cosine weights over `width` = PSF size pixels); then
X = conj(H) Y / (|H|^2 + nsr) through a real 2-D FFT, the PSF centred at (0, 0); the result
rounded and clamped to 8 bits.

gpuarray runs as its command-line tool (`target/release/gpuarray filter ...`), so its time
includes starting the process and the GPU. Each side runs `--runs` times; the medians are
compared.

Usage (from the repository root, after `cargo build --release`):
    python3 benches/seed_pipeline.py [--runs 3] [--exe target/release/gpuarray]
`--exe` times another build of the CLI (e.g. `target/debug/gpuarray` of the test profile, as
`cargo test` leaves it), with `--stages` also the CLI's start alone (`gpuarray adapter`) and a
trivial op (decode, upload, download, encode) beside the deblur, to show where the time goes.
Needs python3 with numpy and pillow (pip install numpy pillow).
"""

import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image

SIZE = 2048
SIGMA = 3.0
NSR = 0.01


def psf_gaussian(sigma):
    r = math.ceil(3 * sigma)
    x = np.arange(-r, r + 1, dtype=np.float64)
    k = np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2 * sigma * sigma))
    return k / k.sum()


def transfer(psf, h, w):
    """rfft2 of the PSF zero-padded to h x w with its centre moved to (0, 0)."""
    kh, kw = psf.shape
    padded = np.zeros((h, w))
    padded[:kh, :kw] = psf
    padded = np.roll(padded, (-(kh // 2), -(kw // 2)), axis=(0, 1))
    return np.fft.rfft2(padded)


def ramp(n, width):
    d = np.minimum(np.arange(n), n - 1 - np.arange(n))
    return np.where(d >= width, 1.0, 0.5 - 0.5 * np.cos(np.pi * (d + 0.5) / width))


def taper(x, width):
    h, w = x.shape
    sigma = width / 4.0
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    g = np.exp(-2 * np.pi**2 * sigma**2 * (fy**2 + fx**2))
    blurred = np.fft.irfft2(np.fft.rfft2(x) * g, s=(h, w))
    weight = ramp(h, width)[:, None] * ramp(w, width)[None, :]
    return blurred + weight * (x - blurred)


def numpy_pipeline(src, dst):
    rgb = np.asarray(Image.open(src).convert("RGB"), dtype=np.float64) / 255.0
    h, w, _ = rgb.shape
    psf = psf_gaussian(SIGMA)
    hf = transfer(psf, h, w)
    wiener = np.conj(hf) / (np.abs(hf) ** 2 + NSR)
    out = np.empty_like(rgb)
    for c in range(3):
        x = taper(rgb[:, :, c], psf.shape[0])
        out[:, :, c] = np.fft.irfft2(np.fft.rfft2(x) * wiener, s=(h, w))
    img = np.clip(np.round(out * 255.0), 0, 255).astype(np.uint8)
    Image.fromarray(img).save(dst)


def gpuarray_pipeline(exe, src, dst):
    op = f"deblur:psf=gaussian,sigma={SIGMA},nsr={NSR}"
    subprocess.run([exe, "filter", src, "-o", dst, "--op", op], check=True,
                   stderr=subprocess.DEVNULL)


def timed(f, runs):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--exe", default=os.path.join("target", "release", "gpuarray"))
    parser.add_argument("--stages", action="store_true")
    args = parser.parse_args()
    exe = args.exe
    if not os.path.exists(exe):
        sys.exit(f"build the CLI first ({exe}): cargo build --release")
    with tempfile.TemporaryDirectory() as tmp:
        # A 2048 x 2048 JPEG made from the shipped photo.
        src = os.path.join(tmp, "input.jpg")
        Image.open("testdata/coffee.png").convert("RGB").resize((SIZE, SIZE), Image.BICUBIC).save(src, quality=92)
        ours, theirs = os.path.join(tmp, "gpuarray.png"), os.path.join(tmp, "numpy.png")
        t_ours = timed(lambda: gpuarray_pipeline(exe, src, ours), args.runs)
        t_theirs = timed(lambda: numpy_pipeline(src, theirs), args.runs)
        stages = []
        if args.stages:
            quiet = dict(check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            start = timed(lambda: subprocess.run([exe, "adapter"], **quiet), args.runs)
            trivial = os.path.join(tmp, "trivial.png")
            io = timed(lambda: subprocess.run(
                [exe, "filter", src, "-o", trivial, "--op", "gamma:g=1"], **quiet), args.runs)
            stages = [("process + GPU start (`gpuarray adapter`)", start),
                      ("+ decode, upload, gamma, download, encode", io),
                      ("+ deblur instead of gamma (the pipeline)", t_ours)]
        a = np.asarray(Image.open(ours), dtype=np.int16)
        b = np.asarray(Image.open(theirs), dtype=np.int16)
        diff = np.abs(a - b)
        adapter = subprocess.run([exe, "adapter"], capture_output=True, text=True).stdout.strip()
    print(f"seed pipeline, RGB {SIZE}x{SIZE}: decode JPEG -> Wiener deblur per channel -> encode PNG")
    print(f"adapter: {adapter}")
    print(f"  gpuarray CLI (process + GPU start included)  {t_ours * 1e3:9.1f} ms")
    print(f"  NumPy {np.__version__} + Pillow               {t_theirs * 1e3:9.1f} ms")
    print(f"  ratio = {t_theirs / t_ours:.2f}  (NumPy time / gpuarray time; > 1: gpuarray faster)")
    print(f"  outputs differ by at most {diff.max()} (mean {diff.mean():.4f}) levels of 255")
    for what, t in stages:
        print(f"  stage: {what:<44} {t * 1e3:9.1f} ms")


if __name__ == "__main__":
    main()

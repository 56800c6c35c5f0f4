#!/usr/bin/env bash
# The image pipeline on a lent GPU machine (issue 16, item 6): gpuarray beside CuPy and OpenCV
# in one run, one table.
#
#   1. the seed pipeline: RGB 2048² JPEG → edge taper → Wiener deblur (σ = 3 Gaussian PSF,
#      nsr 0.01) → PNG, as `benches/seed_pipeline.py` defines it: the gpuarray CLI (process and
#      GPU start included), the same steps in NumPy + Pillow (CPU) and in CuPy (`cupy.fft`,
#      decode and encode by Pillow on the host);
#   2. Gaussian blur σ = 3 of RGB u8 at 4 MP and 24 MP: gpuarray's `filters` bench (GPU
#      resident), `cupyx.scipy.ndimage.gaussian_filter` (GPU resident, per channel, truncate 3 as
#      gpuarray's radius ceil(3σ)) and OpenCV's `GaussianBlur` (CPU, all cores);
#   3. the fused 5-op elementwise chain over 16 Mi f32: gpuarray's `elementwise` bench (its own
#      table: fused / copy, fused / vec4) and the same chain as one CuPy expression, against
#      CuPy's device-to-device copy.
#
# It has not been run: no device was lent to the session that wrote it. Checked here with
# `bash -n` and its Python part run against NumPy + OpenCV on the CPU (CuPy rows print n/a).
#
# Prepare on the development machine (x86-64, like the device), from the repository root:
#
#     cargo build --release --bin gpuarray
#     cargo bench --no-run --bench filters --bench elementwise    # prints the bench binaries
#     mkdir -p .devbin && cp target/release/gpuarray .devbin/
#     cp target/release/deps/filters-<hash> .devbin/filters
#     cp target/release/deps/elementwise-<hash> .devbin/elementwise
#     echo /.devbin/ >> .git/info/exclude
#
# plus the Vulkan/EGL loaders as /work/.library/device/README.md says (`.gl`). Then one call:
#
#     run(command="bash benches/device/pipeline.sh", carry=[".devbin", ".gl"], timeout_s=540)
#
# The table goes to stdout and to $OUT/pipeline.txt. Environment: DEVBIN (default .devbin),
# RUNS (timed runs per case, default 5), QUICK=1 (only 4 MP, one run: a smoke test).
set -uo pipefail

cd "$(dirname "$0")/../.."
DEVBIN=${DEVBIN:-.devbin}
RUNS=${RUNS:-5}
OUT=${OUT:-$(mktemp -d)}
export PYTHONUNBUFFERED=1

# Loaders carried as .deb files (see the device README), and the NVIDIA driver's ICD files.
if compgen -G ".gl/*.deb" >/dev/null; then
    for f in .gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
fi
if [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
    export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
    export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
fi
export WGPU_BACKEND=${WGPU_BACKEND:-vulkan}

echo "== machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 || true
"$DEVBIN/gpuarray" adapter 2>&1 || echo "gpuarray adapter: failed (is $DEVBIN/gpuarray there?)"

# gpuarray's own benches print their tables; the rows the table below needs are parsed out of
# them by the Python part.
if [ -x "$DEVBIN/filters" ]; then
    echo "== gpuarray filters bench"
    # Only its Gaussian table (FILTERS_BENCH picks one; the box and convolve2d tables would
    # spend device time on rows the table below does not use).
    FILTERS_BENCH=gaussian timeout 240 "$DEVBIN/filters" --bench 2>&1 | tee "$OUT/filters.txt"
fi
if [ -x "$DEVBIN/elementwise" ]; then
    echo "== gpuarray elementwise bench"
    timeout 120 "$DEVBIN/elementwise" --bench 2>&1 | tee "$OUT/elementwise.txt"
fi

echo "== the pipeline beside CuPy and OpenCV"
timeout 300 python3 - "$DEVBIN" "$OUT" "$RUNS" "${QUICK:-0}" <<'PY' 2>&1 | tee "$OUT/pipeline.txt"
import math, os, re, statistics, subprocess, sys, tempfile, time

import numpy as np
from PIL import Image

devbin, out, runs, quick = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
if quick:
    runs = 1
try:
    import cupy as cp
    import cupyx.scipy.ndimage as cnd
    cp.cuda.runtime.getDeviceCount()
except Exception as e:  # no CuPy or no CUDA device: its rows say n/a
    print(f"CuPy unavailable: {e}")
    cp = None
try:
    import cv2
except Exception as e:
    print(f"OpenCV unavailable: {e}")
    cv2 = None

SIGMA, NSR = 3.0, 0.01
rows = []  # (section, what, ms, MP/s or None)


def median_time(f, n=runs, sync=None):
    f()  # warm-up (compiles, plans, caches)
    if sync:
        sync()
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        f()
        if sync:
            sync()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def gpu_sync():
    cp.cuda.Device().synchronize()


# --- 1. The seed pipeline (definitions as benches/seed_pipeline.py) ---
def psf_gaussian(xp, sigma):
    r = math.ceil(3 * sigma)
    x = xp.arange(-r, r + 1, dtype=xp.float64)
    k = xp.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2 * sigma * sigma))
    return k / k.sum()


def ramp(xp, n, width):
    i = xp.arange(n)
    d = xp.minimum(i, n - 1 - i)
    return xp.where(d >= width, 1.0, 0.5 - 0.5 * xp.cos(math.pi * (d + 0.5) / width))


def deblur(xp, rgb):
    """rgb: float64 [h, w, 3] in [0, 1] → uint8, all three channels batched."""
    h, w, _ = rgb.shape
    psf = psf_gaussian(xp, SIGMA)
    kh, kw = psf.shape
    padded = xp.zeros((h, w))
    padded[:kh, :kw] = psf
    padded = xp.roll(padded, (-(kh // 2), -(kw // 2)), axis=(0, 1))
    hf = xp.fft.rfft2(padded)
    wiener = xp.conj(hf) / (xp.abs(hf) ** 2 + NSR)
    width, s = kh, kh / 4.0
    fy = xp.fft.fftfreq(h)[:, None]
    fx = xp.fft.rfftfreq(w)[None, :]
    g = xp.exp(-2 * math.pi**2 * s**2 * (fy**2 + fx**2))
    x = xp.moveaxis(rgb, 2, 0)
    blurred = xp.fft.irfft2(xp.fft.rfft2(x) * g, s=(h, w))
    weight = ramp(xp, h, width)[:, None] * ramp(xp, w, width)[None, :]
    x = blurred + weight * (x - blurred)
    y = xp.fft.irfft2(xp.fft.rfft2(x) * wiener, s=(h, w))
    y = xp.clip(xp.round(xp.moveaxis(y, 0, 2) * 255.0), 0, 255).astype(xp.uint8)
    return y


tmp = tempfile.mkdtemp()
src = os.path.join(tmp, "input.jpg")
Image.open("testdata/coffee.png").convert("RGB").resize((2048, 2048), Image.BICUBIC).save(
    src, quality=92)


def numpy_seed():
    rgb = np.asarray(Image.open(src).convert("RGB"), dtype=np.float64) / 255.0
    Image.fromarray(deblur(np, rgb)).save(os.path.join(tmp, "numpy.png"))


def cupy_seed():
    rgb = np.asarray(Image.open(src).convert("RGB"))
    y = deblur(cp, cp.asarray(rgb, dtype=cp.float64) / 255.0)
    Image.fromarray(cp.asnumpy(y)).save(os.path.join(tmp, "cupy.png"))


exe = os.path.join(devbin, "gpuarray")


def gpuarray_seed():
    op = f"deblur:psf=gaussian,sigma={SIGMA},nsr={NSR}"
    subprocess.run([exe, "filter", src, "-o", os.path.join(tmp, "gpuarray.png"), "--op", op],
                   check=True, stderr=subprocess.DEVNULL)


seed = "seed pipeline 2048² RGB JPEG→PNG"
t_np = median_time(numpy_seed, max(1, min(runs, 3)))
rows.append((seed, f"NumPy {np.__version__} + Pillow (CPU)", t_np * 1e3, None))
if cp is not None:
    rows.append((seed, f"CuPy {cp.__version__} (+ Pillow decode/encode)",
                 median_time(cupy_seed) * 1e3, None))
if os.access(exe, os.X_OK):
    try:
        rows.append((seed, "gpuarray CLI (process start included)",
                     median_time(gpuarray_seed) * 1e3, None))
        a = np.asarray(Image.open(os.path.join(tmp, "gpuarray.png")), dtype=np.int16)
        b = np.asarray(Image.open(os.path.join(tmp, "numpy.png")), dtype=np.int16)
        print(f"seed pipeline: gpuarray and NumPy outputs differ by at most "
              f"{np.abs(a - b).max()} levels")
    except subprocess.CalledProcessError as e:
        print(f"gpuarray CLI failed: {e}")

# --- 2. Gaussian blur σ = 3, RGB u8 ---
photo = Image.open("testdata/coffee.png").convert("RGB")
for (hh, ww) in [(2048, 2048)] + ([] if quick else [(4000, 6000)]):
    img = np.asarray(photo.resize((ww, hh), Image.BICUBIC))
    mp = hh * ww / 1e6
    sec = f"gaussian blur σ=3, {ww}×{hh} RGB u8"
    if cv2 is not None:
        # ksize 2·ceil(3σ) + 1 = 19, as gpuarray's radius; BORDER_REPLICATE = Border::Clamp.
        t = median_time(lambda: cv2.GaussianBlur(img, (19, 19), SIGMA,
                                                 borderType=cv2.BORDER_REPLICATE))
        rows.append((sec, f"OpenCV {cv2.__version__} GaussianBlur (CPU, "
                          f"{cv2.getNumThreads()} threads)", t * 1e3, mp / t))
    if cp is not None:
        d = cp.asarray(img)
        t = median_time(lambda: cnd.gaussian_filter(d, (SIGMA, SIGMA, 0), mode="nearest",
                                                    truncate=3.0), sync=gpu_sync)
        rows.append((sec, "cupyx gaussian_filter (GPU resident)", t * 1e3, mp / t))

# gpuarray's blur rows, from its filters bench (GPU resident, 2048² RGB u8, σ = 3).
try:
    text = open(os.path.join(out, "filters.txt")).read()
    m = re.search(r"gaussian_blur \(GPU resident\)\s+([\d.]+)\s+([\d.]+)", text)
    if m:
        rows.append(("gaussian blur σ=3, 2048×2048 RGB u8",
                     "gpuarray gaussian_blur (GPU resident, filters bench)",
                     float(m.group(1)), float(m.group(2))))
except OSError:
    pass

# --- 3. The fused chain y = |(a·2 + b)·a − 1| over 16 Mi f32 ---
if cp is not None:
    n = 1 << 24
    a = cp.random.random(n, dtype=cp.float32)
    b = cp.random.random(n, dtype=cp.float32)
    chain = cp.ElementwiseKernel("float32 a, float32 b", "float32 y",
                                 "y = fabsf((a * 2.0f + b) * a - 1.0f)", "chain")
    dst = cp.empty_like(a)
    t_chain = median_time(lambda: chain(a, b, dst), sync=gpu_sync)
    t_copy = median_time(lambda: dst.__setitem__(slice(None), a), sync=gpu_sync)
    sec = "fused 5-op chain, 16 Mi f32"
    # Bytes moved: the chain reads two arrays and writes one; the copy reads one, writes one.
    rows.append((sec, "CuPy ElementwiseKernel (GB/s in the last column)", t_chain * 1e3,
                 3 * 4 * n / t_chain / 1e9))
    rows.append((sec, "CuPy device copy (GB/s)", t_copy * 1e3, 2 * 4 * n / t_copy / 1e9))
try:
    text = open(os.path.join(out, "elementwise.txt")).read()
    for line in text.splitlines():
        if "ratio" in line or "fused" in line.lower():
            print(f"gpuarray elementwise bench: {line.strip()}")
except OSError:
    pass

print()
print(f"{'case':<40} {'implementation':<56} {'ms':>10} {'MP/s':>10}")
for sec, what, ms, rate in rows:
    r = f"{rate:10.1f}" if rate is not None else f"{'':>10}"
    print(f"{sec:<40} {what:<56} {ms:10.1f} {r}")
by = {(s, w.split()[0]): ms for s, w, ms, _ in rows}
if (seed, "gpuarray") in by:
    print(f"seed pipeline: NumPy / gpuarray = {by[(seed, 'NumPy')] / by[(seed, 'gpuarray')]:.1f}"
          " (goal ≥ 20 on an H200)")
PY
echo "== done; tables in $OUT"

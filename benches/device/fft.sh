#!/usr/bin/env bash
# gpuarray's FFT on a lent NVIDIA machine (Vulkan) beside torch.fft (cuFFT) and cupy.fft, in one
# run, printed as one table (forward C2C complex64, ms, best of 10, data already on the GPU):
# 2048², 4096², 4096 × 1024 (1024 lines of 4096) and 2^24.
#
# NOT RUN YET: no device was lent to the session that wrote it. How to run it (see
# /work/.library/device/README.md), from the repository root on the machine without a GPU:
#
#   1. Build the bench here (release, so that the host side is not the bottleneck) and stage it:
#        cargo bench --bench fft --no-run --locked --all-features
#        echo /.bench/ >> .git/info/exclude; mkdir -p .bench
#        cp "$(ls -t target/release/deps/fft-* | grep -v '\.d$' | head -1)" .bench/fft
#   2. Stage the Vulkan loader as the device README says (the `.gl` folder of .deb files).
#   3. run(command="bash benches/device/fft.sh", carry=[".bench", ".gl"], timeout_s=300)
#
# torch and cupy are used if importable there (see the README's KINDS.md for what is installed;
# missing ones print "–"). Nothing here asserts anything about timings.
set -euo pipefail

if [ -d .gl ]; then
    for f in .gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
fi
if [ -e /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
    export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true

out=$(mktemp -d)
WGPU_BACKEND=vulkan FFT_BENCH=device .bench/fft | tee "$out/gpuarray.txt"

python3 - "$out/gpuarray.txt" <<'EOF'
import sys, time

cases = [("2048^2", (2048, 2048), 2), ("4096^2", (4096, 4096), 2),
         ("4096x1024", (1024, 4096), 1), ("2^24", (1 << 24,), 1)]
ours = dict(line.strip().split(",") for line in open(sys.argv[1]) if "," in line and not line.startswith("adapter"))

def best(run, sync, reps=10):
    run(); sync()
    times = []
    for _ in range(reps):
        t = time.perf_counter(); run(); sync(); times.append(time.perf_counter() - t)
    return min(times) * 1e3

cols = {}
try:
    import torch
    for name, shape, dims in cases:
        x = torch.randn(shape, dtype=torch.complex64, device="cuda")
        f = (lambda x=x: torch.fft.fft2(x)) if dims == 2 else (lambda x=x: torch.fft.fft(x))
        cols.setdefault("torch.fft", {})[name] = best(f, torch.cuda.synchronize)
except Exception as e:  # not installed, or no CUDA
    print("torch:", e)
try:
    import cupy
    for name, shape, dims in cases:
        x = (cupy.random.standard_normal(shape) + 0j).astype(cupy.complex64)
        f = (lambda x=x: cupy.fft.fft2(x)) if dims == 2 else (lambda x=x: cupy.fft.fft(x))
        cols.setdefault("cupy.fft", {})[name] = best(f, cupy.cuda.Device().synchronize)
except Exception as e:
    print("cupy:", e)

heads = ["gpuarray (Vulkan)"] + [k for k in ("torch.fft", "cupy.fft") if k in cols]
print("\n| case | " + " | ".join(heads + ["gpuarray / torch"]) + " |")
print("|---|" + "---:|" * (len(heads) + 1))
for name, _, _ in cases:
    g = float(ours.get(name, "nan"))
    row = [f"{g:.3f}"] + [f"{cols[k][name]:.3f}" for k in heads[1:]]
    ratio = f"{g / cols['torch.fft'][name]:.2f}" if "torch.fft" in cols else "–"
    print(f"| {name} | " + " | ".join(row + [ratio]) + " |")
EOF

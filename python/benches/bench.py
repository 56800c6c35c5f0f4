#!/usr/bin/env python3
"""The Python module's costs, in a table:

1. 64 MiB `ga.asarray(np_array).get()` against the Rust `gpu.upload(view)` + `to_host()` of
   the same bytes, timed inside Rust in the same process (ratio = Rust time / Python time; the
   goal is >= 0.9: the binding adds no copy).
2. Per-op Python overhead on tiny arrays: lazy `a + b`, and `(a + b).get()`, against the Rust
   calls (microseconds).
3. A fused 16 Mi-element chain `sqrt(|x * 2 - y|) + sin(x) * 0.5` (one kernel) against NumPy.

Run after `pip install ./python` (a release build) for meaningful figures:

    python python/benches/bench.py [--repeats 5]
"""

import argparse
import time

import numpy as np

import gpuarray as ga
from gpuarray._gpuarray import _bench


def best(f, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    gpu = ga.default_gpu()
    print(f"adapter: {gpu.info['name']} ({gpu.info['backend']})")
    rows = []

    # 1. 64 MiB round trip.
    nbytes = 64 << 20
    x = np.full(nbytes // 4, 1.5, np.float32)
    py = best(lambda: np.asarray(ga.asarray(x).get()), args.repeats)
    rust = _bench.roundtrip(gpu, nbytes, args.repeats)
    rows.append(("64 MiB asarray + get", f"{py * 1e3:.1f} ms", f"{rust * 1e3:.1f} ms",
                 f"{rust / py:.2f} (goal >= 0.9)"))

    # 2. Tiny arrays: per-op overhead.
    n = 2000
    a = ga.asarray(np.arange(4, dtype=np.float32))
    b = ga.asarray(np.arange(4, dtype=np.float32))
    t = time.perf_counter()
    for _ in range(n):
        a + b
    lazy_py = (time.perf_counter() - t) / n
    t = time.perf_counter()
    for _ in range(n // 10):
        (a + b).get()
    full_py = (time.perf_counter() - t) / (n // 10)
    lazy_rust, full_rust = _bench.tiny_ops(gpu, n // 10)
    rows.append(("tiny a + b (lazy)", f"{lazy_py * 1e6:.1f} us", f"{lazy_rust * 1e6:.1f} us",
                 f"{(lazy_py - lazy_rust) * 1e6:+.1f} us"))
    rows.append(("tiny (a + b).get()", f"{full_py * 1e6:.1f} us", f"{full_rust * 1e6:.1f} us",
                 f"{(full_py - full_rust) * 1e6:+.1f} us"))

    # 3. Fused chain against NumPy, 16 Mi elements.
    rng = np.random.default_rng(0)
    xs = rng.standard_normal(16 << 20).astype(np.float32)
    ys = rng.standard_normal(16 << 20).astype(np.float32)
    gx, gy = ga.asarray(xs), ga.asarray(ys)

    def chain_gpu():
        return (ga.sqrt(abs(gx * 2 - gy)) + ga.sin(gx) * 0.5).get()

    def chain_numpy():
        return np.sqrt(np.abs(xs * 2 - ys)) + np.sin(xs) * 0.5

    chain_gpu()  # compile the fused kernel once
    g, c = best(chain_gpu, args.repeats), best(chain_numpy, args.repeats)
    rows.append(("16 Mi fused chain (incl. download)", f"{g * 1e3:.1f} ms",
                 f"NumPy {c * 1e3:.1f} ms", f"{c / g:.2f}x NumPy"))

    widths = [max(len(r[i]) for r in rows + [("case", "Python", "Rust/NumPy", "ratio")])
              for i in range(4)]
    for r in [("case", "Python", "Rust/NumPy", "ratio")] + rows:
        print("  ".join(s.ljust(w) for s, w in zip(r, widths)))


if __name__ == "__main__":
    main()

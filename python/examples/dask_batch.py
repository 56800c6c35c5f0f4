#!/usr/bin/env python3
"""gpuarray on a dask.distributed cluster: one Gpu per worker process.

Two jobs:

1. `batch`: filters a directory of photos with `client.map`, one task per file. Each worker
   process opens its own context (`ga.default_gpu()`, on first use) and reads, filters and writes
   its files; only paths travel between processes.
2. `large_array`: a `dask.array` larger than one worker's memory budget through a gpuarray block
   function (`map_blocks`): each block is uploaded, computed on the GPU in one fused kernel and
   downloaded; dask streams the blocks, so no worker ever holds the whole array.

`WGPU_ADAPTER_NAME` picks a worker's adapter: on a machine with several GPUs run one worker per
GPU, each with its own value (see the README, "Many machines"). Without `--scheduler` the
script starts a LocalCluster of 2 worker processes.

    python python/examples/dask_batch.py PHOTOS_DIR OUT_DIR [--scheduler tcp://host:8786]
"""

import argparse
import os
import pathlib

import numpy as np


def filter_photo(src, dst, sigma=1.5, amount=0.8):
    """Sharpens one photo on this worker's GPU; returns the output path and the adapter name."""
    import gpuarray as ga
    from PIL import Image

    image = ga.asarray(Image.open(src).convert("RGB"))
    sharp = ga.filters.unsharp_mask(image, sigma, amount)
    Image.fromarray(sharp.get()).save(dst)
    return str(dst), ga.default_gpu().info["name"]


def gpu_block(block):
    """The block function: `sqrt(|x|) * 2 + 1` on the GPU, as a (writable) NumPy array."""
    import gpuarray as ga

    result = ga.sqrt(abs(ga.asarray(block))) * 2 + 1
    return np.array(result.get())  # a copy: dask may write into its blocks


def batch(client, src_dir, out_dir, **filter_args):
    """Filters every PNG/JPEG in `src_dir` into `out_dir`, one task per file."""
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    sources = sorted(p for p in pathlib.Path(src_dir).iterdir()
                     if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
    futures = client.map(filter_photo, sources, [out_dir / (p.stem + ".png") for p in sources],
                         **filter_args)
    return client.gather(futures)


def large_array(client, n=12288, chunk=1536, seed=0):
    """The sum of `gpu_block` over an n x n float32 array (n = 12288: 576 MiB), block by block.
    Returns (gpu result, the same map_blocks with NumPy)."""
    import dask.array as da

    x = da.random.default_rng(seed).standard_normal((n, n), chunks=chunk, dtype=np.float32)
    on_gpu = x.map_blocks(gpu_block, dtype=np.float32).sum(dtype=np.float64)
    on_cpu = x.map_blocks(lambda b: np.sqrt(np.abs(b)) * 2 + 1, dtype=np.float32).sum(
        dtype=np.float64)
    return client.compute([on_gpu, on_cpu], sync=True)


def local_cluster(workers=2, memory_limit="512MiB", adapter=None):
    """A LocalCluster of worker processes (one Gpu each), optionally on a named adapter."""
    from dask.distributed import LocalCluster

    env = {"WGPU_ADAPTER_NAME": adapter} if adapter else {}
    return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                        memory_limit=memory_limit, env=env, dashboard_address=":0")


def main():
    from dask.distributed import Client

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("src_dir")
    parser.add_argument("out_dir")
    parser.add_argument("--scheduler", help="address of a running scheduler (default: local)")
    parser.add_argument("--adapter", default=os.environ.get("WGPU_ADAPTER_NAME"),
                        help="adapter name for the local workers")
    parser.add_argument("--size", type=int, default=12288, help="side of the large array")
    args = parser.parse_args()
    cluster = None if args.scheduler else local_cluster(adapter=args.adapter)
    with Client(args.scheduler or cluster) as client:
        for path, adapter in batch(client, args.src_dir, args.out_dir):
            print(f"{path}  ({adapter})")
        gpu, cpu = large_array(client, n=args.size)
        print(f"sum over {args.size}^2 elements: GPU {gpu:.6e}, NumPy {cpu:.6e}")
    if cluster is not None:
        cluster.close()


if __name__ == "__main__":
    main()

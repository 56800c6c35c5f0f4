"""python/examples/dask_batch.py on a LocalCluster of 2 worker processes: a directory of photos
through client.map (one Gpu per worker), and a dask.array larger than one worker's memory
budget (576 MiB against 512 MiB; a worker with wgpu and NumPy loaded
already holds ~170 MiB, so a smaller budget would pause it) through a gpuarray block function."""

import importlib.util
import os
import pathlib

import numpy as np
import pytest
from PIL import Image

from conftest import TESTDATA

EXAMPLE = pathlib.Path(__file__).resolve().parents[1] / "examples" / "dask_batch.py"


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("dask_batch", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def client(example):
    from dask.distributed import Client

    # The workers pick the adapter by name, as on a real cluster; llvmpipe is the software
    # adapter on both Vulkan (lavapipe) and GL, whichever WGPU_BACKEND (inherited) says.
    cluster = example.local_cluster(workers=2, memory_limit="512MiB", adapter="llvmpipe")
    with Client(cluster) as c:
        yield c
    cluster.close()


def test_batch_of_photos(example, client, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for name in ["coffee", "chelsea", "camera"]:
        Image.open(TESTDATA / f"{name}.png").save(src / f"{name}.png")
    results = example.batch(client, src, tmp_path / "out")
    assert len(results) == 3
    for path, adapter in results:
        assert "llvmpipe" in adapter.lower()
        got = np.asarray(Image.open(path))
        # The same filter in this process, against the worker's output.
        want = example.filter_photo(src / pathlib.Path(path).name, tmp_path / "local.png")[0]
        np.testing.assert_array_equal(got, np.asarray(Image.open(want)))
    pids = client.run(os.getpid)
    assert len(set(pids.values())) == 2 and os.getpid() not in pids.values()


def test_large_array_through_map_blocks(example, client):
    gpu, cpu = example.large_array(client, n=12288, chunk=1536)
    # Each block's float32 sqrt/scale agrees to ~1e-7 relative; the float64 sums of 2^26 such
    # values agree to well within 1e-6 relative.
    assert abs(gpu - cpu) <= 1e-6 * abs(cpu)

"""Shared fixtures. Every test runs on the adapter `WGPU_BACKEND` picks (`.ci/test` runs the
suite on Vulkan/lavapipe and on GL/llvmpipe); a missing adapter is an error, never a skip."""

import pathlib

import numpy as np
import pytest

import gpuarray as ga

TESTDATA = pathlib.Path(__file__).resolve().parents[2] / "testdata"


@pytest.fixture(scope="session")
def gpu():
    # Raises RuntimeError (so every test using it errors) when there is no adapter.
    return ga.default_gpu()


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def download(a):
    """The values of a GpuArray as a NumPy array (through the HostArray's buffer)."""
    return np.asarray(a.get())

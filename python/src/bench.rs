//! `_gpuarray._bench`: the Rust side of python/benches/bench.py, timed inside Rust (no Python
//! objects), so the benchmark compares the Python path against the Rust calls it makes.

use std::time::Instant;

use gpuarray::{GpuArray, View};
use pyo3::prelude::*;

use crate::errors::OrRaise;
use crate::gpu::PyGpu;

/// Seconds per `gpu.upload(view)` + `to_host()` of `nbytes` bytes (f32), best of `repeats`.
#[pyfunction]
fn roundtrip(
    py: Python<'_>,
    gpu: &Bound<'_, PyGpu>,
    nbytes: usize,
    repeats: usize,
) -> PyResult<f64> {
    let gpu = gpu.get().gpu.clone();
    let data = vec![1.5f32; nbytes / 4];
    py.detach(|| {
        let view = View::from_slice(&data, &[data.len()])?;
        let mut best = f64::INFINITY;
        for _ in 0..repeats.max(1) {
            let t = Instant::now();
            let host = gpu.upload(&view)?.to_host()?;
            std::hint::black_box(host.bytes());
            drop(host); // freed inside the timing, as the Python side's HostArray is
            best = best.min(t.elapsed().as_secs_f64());
        }
        Ok(best)
    })
    .or_raise()
}

/// Seconds per lazy `a + b` and per `(a + b).to_host()` on 4-element f32 arrays (mean of
/// `repeats`).
#[pyfunction]
fn tiny_ops(py: Python<'_>, gpu: &Bound<'_, PyGpu>, repeats: usize) -> PyResult<(f64, f64)> {
    let gpu = gpu.get().gpu.clone();
    py.detach(|| {
        let x = [1.0f32, 2.0, 3.0, 4.0];
        let a = gpu.upload(&View::from_slice(&x, &[4])?)?;
        let b = gpu.upload(&View::from_slice(&x, &[4])?)?;
        let n = repeats.max(1);
        let t = Instant::now();
        for _ in 0..n {
            std::hint::black_box(a.add(&b)?);
        }
        let lazy = t.elapsed().as_secs_f64() / n as f64;
        let t = Instant::now();
        for _ in 0..n {
            let c: GpuArray = a.add(&b)?;
            std::hint::black_box(c.to_host()?);
        }
        Ok((lazy, t.elapsed().as_secs_f64() / n as f64))
    })
    .or_raise()
}

/// The `_bench` submodule.
pub fn module<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyModule>> {
    let m = PyModule::new(py, "_bench")?;
    m.add_function(wrap_pyfunction!(roundtrip, &m)?)?;
    m.add_function(wrap_pyfunction!(tiny_ops, &m)?)?;
    Ok(m)
}

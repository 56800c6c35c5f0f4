//! `ga.Gpu` and `ga.default_gpu()`: the context every array lives on.

use std::sync::OnceLock;

use gpuarray::{Gpu, GpuOptions};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::OrRaise;

/// A GPU context: one adapter, device and queue, shared by every array made on it.
///
/// `Gpu()` opens one by the usual rules (`WGPU_BACKEND`, `WGPU_ADAPTER_NAME`, `WGPU_POWER_PREF`);
/// `Gpu(adapter="llvmpipe")` takes the first adapter whose name contains the string. Contexts are
/// thread-safe: one serves every Python thread.
#[pyclass(name = "Gpu", module = "gpuarray", frozen)]
#[derive(Clone)]
pub struct PyGpu {
    pub gpu: Gpu,
}

/// The process-wide context `default_gpu()` returns, opened on first use.
static DEFAULT: OnceLock<PyGpu> = OnceLock::new();

/// The default context (opened with the GIL released the first time).
pub fn default_gpu(py: Python<'_>) -> PyResult<PyGpu> {
    if let Some(gpu) = DEFAULT.get() {
        return Ok(gpu.clone());
    }
    let gpu = py.detach(Gpu::new).or_raise()?;
    Ok(DEFAULT.get_or_init(|| PyGpu { gpu }).clone())
}

/// The context named by a `gpu=` argument, or the default one.
pub fn gpu_or_default(py: Python<'_>, gpu: Option<&Bound<'_, PyGpu>>) -> PyResult<Gpu> {
    match gpu {
        Some(g) => Ok(g.get().gpu.clone()),
        None => Ok(default_gpu(py)?.gpu),
    }
}

/// Whether two handles are the same context (clones share one device, so its address is the
/// context's identity).
pub fn same(a: &Gpu, b: &Gpu) -> bool {
    std::ptr::eq(a.device(), b.device())
}

#[pymethods]
impl PyGpu {
    #[new]
    #[pyo3(signature = (adapter = None))]
    fn new(py: Python<'_>, adapter: Option<String>) -> PyResult<PyGpu> {
        let mut options = GpuOptions::from_env();
        if adapter.is_some() {
            options.adapter_name = adapter;
        }
        let gpu = py.detach(|| Gpu::with_options(options)).or_raise()?;
        Ok(PyGpu { gpu })
    }

    /// The adapter in use and its limits, as a dict (`name`, `backend`, `device_type`,
    /// `driver`, `max_buffer_size`, `max_storage_binding`, `shader_f16`, ...).
    #[getter]
    fn info<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let i = self.gpu.info();
        let d = PyDict::new(py);
        d.set_item("name", &i.name)?;
        d.set_item("backend", format!("{:?}", i.backend).to_lowercase())?;
        d.set_item("device_type", format!("{:?}", i.device_type).to_lowercase())?;
        d.set_item("driver", &i.driver)?;
        d.set_item("max_buffer_size", i.max_buffer_size)?;
        d.set_item("max_storage_binding", i.max_storage_binding)?;
        d.set_item("max_workgroup_storage", i.max_workgroup_storage)?;
        d.set_item(
            "max_invocations_per_workgroup",
            i.max_invocations_per_workgroup,
        )?;
        d.set_item("shader_f16", i.shader_f16)?;
        Ok(d)
    }

    /// Counters of the work done so far, as a dict (`uploads`, `downloads`, `dispatches`,
    /// `submissions`, `draws`, `compiles`, `buffers_created`, `buffers_reused`, `pool_bytes`, `replays`).
    #[getter]
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.gpu.stats();
        let d = PyDict::new(py);
        d.set_item("uploads", s.uploads)?;
        d.set_item("downloads", s.downloads)?;
        d.set_item("dispatches", s.dispatches)?;
        d.set_item("submissions", s.submissions)?;
        d.set_item("draws", s.draws)?;
        d.set_item("compiles", s.compiles)?;
        d.set_item("buffers_created", s.buffers_created)?;
        d.set_item("buffers_reused", s.buffers_reused)?;
        d.set_item("pool_bytes", s.pool_bytes)?;
        d.set_item("replays", s.replays)?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!("Gpu({})", self.gpu.info())
    }
}

//! Memory checks made before any work: an op whose buffers cannot exist on this adapter, or
//! whose working set cannot fit its memory, is an [`Error::OutOfMemory`] naming the sizes at
//! once, instead of after the dispatches that come before its largest allocation.
//!
//! What wgpu 30 tells about memory: `Limits::max_buffer_size` (the largest buffer) and nothing
//! portable about the total. (`InstanceDescriptor::memory_budget_thresholds` makes D3D12 and
//! Vulkan fail resource creation past a percentage of the driver's budget, but reports no
//! figure.) So the rule is:
//! - every buffer of the op must fit `max_buffer_size`;
//! - on a CPU adapter (lavapipe, llvmpipe, WARP), whose device memory is host memory, the
//!   whole working set must fit the host's available memory (`MemAvailable` of
//!   `/proc/meminfo`, where there is one);
//! - on other adapters the total is not checked here: a driver out of memory is still caught
//!   by the error scopes as [`Error::OutOfMemory`], after the work that came before it.

use crate::error::{Error, Result};
use crate::gpu::context::Gpu;

/// Checks that `buffers` (the sizes in bytes of the buffers `what` needs at once) can exist on
/// `gpu` together.
pub(crate) fn check(gpu: &Gpu, what: &str, buffers: &[u64]) -> Result<()> {
    let info = gpu.info();
    let max = info.max_buffer_size;
    if let Some(&big) = buffers.iter().find(|&&b| b > max) {
        return Err(Error::OutOfMemory(format!(
            "{what} needs a buffer of {big} bytes; this adapter's largest is {max} bytes"
        )));
    }
    let total = buffers.iter().fold(0u64, |t, &b| t.saturating_add(b));
    if info.device_type == wgpu::DeviceType::Cpu
        && let Some(available) = host_available()
        && total > available
    {
        return Err(Error::OutOfMemory(format!(
            "{what} needs {total} bytes of buffers at once; this CPU adapter's memory is the \
             host's, of which {available} bytes are available"
        )));
    }
    Ok(())
}

/// The host memory available for new allocations, in bytes (Linux: `MemAvailable`).
fn host_available() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

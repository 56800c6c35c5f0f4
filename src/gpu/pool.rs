//! A pool of freed GPU buffers, so that repeated work allocates nothing on the device.
//!
//! Buffers are rounded up to size classes (at most 12.5 % larger than asked) and kept by
//! (class, usage) when dropped, up to a byte budget; past it they are released. When the device
//! is out of memory, the pool gives back every buffer it holds and the allocation is tried once
//! more, so memory kept for reuse never makes a new array fail.
//!
//! A dropped buffer may still be read by recorded commands that are not submitted yet (see
//! [`crate::gpu::dispatch`]): it is *retired* first and joins the free list only when the
//! batch is submitted (or when no batch is open), so that no upload can write into it before
//! those commands run.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};
use crate::gpu::context::{Counters, Gpu, lock};

/// Freed buffers by (size class, usage).
pub(crate) struct Pool {
    free: Mutex<HashMap<(u64, wgpu::BufferUsages), Vec<wgpu::Buffer>>>,
    /// Dropped buffers waiting for the open batch to be submitted.
    retired: Mutex<Vec<wgpu::Buffer>>,
    /// Bytes in `free` and `retired`.
    held: AtomicU64,
    capacity: u64,
}

/// A buffer that goes back to its pool when dropped.
pub(crate) struct PooledBuffer {
    buffer: Option<wgpu::Buffer>,
    pool: Arc<Pool>,
}

/// `size` rounded up to the next size class: a multiple of 256 with at most three significant
/// bits below its leading one (…, 1024, 1280, 1536, 1792, 2048, …).
pub(crate) fn size_class(size: u64) -> u64 {
    let size = size.max(256).next_multiple_of(256);
    let shift = (63 - size.leading_zeros()).saturating_sub(3);
    size.div_ceil(1 << shift) << shift
}

impl Pool {
    pub fn new(capacity: u64) -> Pool {
        Pool {
            free: Mutex::default(),
            retired: Mutex::default(),
            held: AtomicU64::new(0),
            capacity,
        }
    }

    pub fn held_bytes(&self) -> u64 {
        self.held.load(Ordering::Relaxed)
    }

    /// Keeps a dropped buffer until the batch that may still read it is submitted.
    fn retire(&self, buffer: wgpu::Buffer) {
        self.held.fetch_add(buffer.size(), Ordering::Relaxed);
        lock(&self.retired).push(buffer);
    }

    /// The buffers retired so far (their last use is recorded: the caller submits it).
    pub fn take_retired(&self) -> Vec<wgpu::Buffer> {
        let retired = std::mem::take(&mut *lock(&self.retired));
        for b in &retired {
            self.held.fetch_sub(b.size(), Ordering::Relaxed);
        }
        retired
    }

    /// Puts retired buffers whose last use is submitted on the free list.
    pub fn give_back_all(&self, buffers: Vec<wgpu::Buffer>) {
        for buffer in buffers {
            self.give_back(buffer);
        }
    }

    fn give_back(&self, buffer: wgpu::Buffer) {
        let size = buffer.size();
        // Buffers that would push the pool past its budget are released right away (the
        // commands submitted before keep what they use alive).
        if self.held.fetch_add(size, Ordering::Relaxed) + size > self.capacity {
            self.held.fetch_sub(size, Ordering::Relaxed);
            buffer.destroy();
            return;
        }
        lock(&self.free)
            .entry((size, buffer.usage()))
            .or_default()
            .push(buffer);
    }

    /// Releases every buffer held for reuse (memory pressure: the device ran out).
    fn release_all(&self) {
        let freed: Vec<wgpu::Buffer> = lock(&self.free).drain().flat_map(|(_, v)| v).collect();
        for buffer in freed {
            self.held.fetch_sub(buffer.size(), Ordering::Relaxed);
            buffer.destroy();
        }
    }

    fn take(&self, class: u64, usage: wgpu::BufferUsages) -> Option<wgpu::Buffer> {
        let buffer = lock(&self.free).get_mut(&(class, usage))?.pop()?;
        self.held.fetch_sub(class, Ordering::Relaxed);
        Some(buffer)
    }
}

impl PooledBuffer {
    pub fn buffer(&self) -> &wgpu::Buffer {
        self.buffer.as_ref().expect("only taken in drop")
    }
}

impl Drop for PooledBuffer {
    fn drop(&mut self) {
        if let Some(b) = self.buffer.take() {
            self.pool.retire(b);
        }
    }
}

impl Gpu {
    /// A buffer of at least `size` bytes with `usage`, from the pool when one is free.
    /// Sizes past the adapter's `max_buffer_size` are [`Error::OutOfMemory`].
    pub(crate) fn buffer(&self, size: u64, usage: wgpu::BufferUsages) -> Result<PooledBuffer> {
        let inner = &self.inner;
        let class = size_class(size);
        inner.queue.reclaim_if_idle();
        let max = inner.limits.max_buffer_size;
        if class > max {
            return Err(Error::OutOfMemory(format!(
                "a buffer of {size} bytes exceeds this adapter's largest buffer ({max} bytes)"
            )));
        }
        let buffer = match inner.pool.take(class, usage) {
            Some(b) => {
                Counters::bump(&inner.counters.buffers_reused);
                b
            }
            None => {
                let create = || {
                    self.scoped(&format!("allocating {class} bytes"), || {
                        inner.device.create_buffer(&wgpu::BufferDescriptor {
                            label: Some("gpuarray"),
                            size: class,
                            usage,
                            mapped_at_creation: false,
                        })
                    })
                };
                // Out of memory: the buffers kept for reuse are given back to the device and
                // the allocation is tried once more. Arrays alive are untouched either way.
                let b = match create() {
                    Err(Error::OutOfMemory(_)) if inner.pool.held_bytes() > 0 => {
                        // Retired buffers join the free list once their batch is submitted.
                        self.flush()?;
                        inner.pool.release_all();
                        // Destroyed buffers are freed when the device is next maintained.
                        self.wait()?;
                        create()?
                    }
                    other => other?,
                };
                Counters::bump(&inner.counters.buffers_created);
                b
            }
        };
        crate::gpu::tape::note_buffer(self, &buffer, class, usage);
        Ok(PooledBuffer {
            buffer: Some(buffer),
            pool: inner.pool.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::size_class;

    #[test]
    fn size_classes_waste_at_most_an_eighth() {
        assert_eq!(size_class(0), 256);
        assert_eq!(size_class(1000), 1024);
        assert_eq!(size_class(1025), 1280);
        assert_eq!(size_class(3 << 20), 3 << 20);
        for size in (1..200_000u64)
            .step_by(97)
            .chain([u32::MAX as u64, 1 << 40])
        {
            let c = size_class(size);
            assert!(c >= size && c % 256 == 0, "{size} -> {c}");
            assert!(
                c <= (size.max(256) as f64 * 1.125).ceil() as u64 + 256,
                "{size} -> {c}"
            );
        }
    }
}

//! The context's command stream: every kernel, copy and clear gpuarray runs is recorded here
//! and submitted in batches.
//!
//! Walk-through of one operation:
//!
//! 1. The operation takes its output buffer from the pool, then asks for its parameters' slot
//!    in the **parameter ring** ([`Gpu::params`]): a slice of a large buffer written with
//!    `queue.write_buffer`, never reused (a full ring is replaced by a new one), so a slot that
//!    recorded-but-unsubmitted commands read can never be overwritten.
//! 2. [`Gpu::record`] runs the recording inside the operation's own error scopes, on its own
//!    command encoder, and finishes the encoder *inside* those scopes: wgpu reports a pass's
//!    validation errors at `finish`, so an invalid operation is reported naming that operation,
//!    however many others share its batch. The finished command buffer joins the pending batch.
//! 3. The batch is submitted, in one `queue.submit`, when a result is needed (a download, a
//!    blit, anything that takes [`Gpu::queue`], [`Gpu::sync`]) or when [`MAX_PENDING`]
//!    command buffers wait.
//!
//! Ordering. `queue.write_buffer` lands before the *next* submission, so writing into a buffer
//! that pending commands still read would corrupt them. Parameter slots are never rewritten
//! (above); pooled buffers dropped while a batch is open go back to the free list only when
//! that batch is submitted ([`Pool::retire`], [`Pool::reclaim`]); a submission made elsewhere
//! through the context's queue ([`Queue::submit`], [`Gpu::queue`]) submits the pending batch
//! first, in the same call. Submission happens under the batch's lock, so batches from many
//! threads reach the GPU in the order they were recorded.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::Result;
use crate::gpu::context::{Gpu, lock};
use crate::gpu::pool::Pool;

/// Command buffers that may wait for submission: past it, the batch is submitted.
pub(crate) const MAX_PENDING: usize = 64;

/// Bytes of one parameter ring (replaced by a new one when full).
const RING_BYTES: u64 = 256 << 10;

/// The device queue with the context's pending batch in front of it.
pub(crate) struct Queue {
    queue: wgpu::Queue,
    pending: Mutex<Pending>,
    pool: std::sync::Arc<Pool>,
    submissions: AtomicU64,
}

/// What waits for the next submission.
#[derive(Default)]
struct Pending {
    /// Finished command buffers, in recording order.
    commands: Vec<wgpu::CommandBuffer>,
    /// The parameter ring being filled and its first free byte.
    ring: Option<(wgpu::Buffer, u64)>,
}

/// A parameter slot: `size` bytes of a ring buffer from `offset`.
pub(crate) struct Params {
    buffer: wgpu::Buffer,
    offset: u64,
    size: u64,
}

impl Params {
    /// `words` in a buffer of their own (not the ring), written before the next submission.
    fn own(gpu: &Gpu, words: &[u32]) -> Params {
        Params {
            buffer: crate::gpu::kernels::storage_with(
                gpu,
                "kernel parameters",
                bytemuck::cast_slice(words),
            ),
            offset: 0,
            size: ((words.len() * 4) as u64).max(4),
        }
    }

    /// The slot as a binding resource.
    pub fn binding(&self) -> wgpu::BindingResource<'_> {
        crate::gpu::kernels::binding(&self.buffer, self.offset, self.size)
    }

    /// The slot as a buffer binding.
    pub fn buffer_binding(&self) -> wgpu::BufferBinding<'_> {
        wgpu::BufferBinding {
            buffer: &self.buffer,
            offset: self.offset,
            size: wgpu::BufferSize::new(self.size),
        }
    }
}

impl Queue {
    pub fn new(queue: wgpu::Queue, pool: std::sync::Arc<Pool>) -> Queue {
        Queue {
            queue,
            pending: Mutex::default(),
            pool,
            submissions: AtomicU64::new(0),
        }
    }

    /// Submits the pending batch and then `commands`, in one submission.
    ///
    /// Anything submitted through the context's queue goes through here, so it runs after the
    /// work recorded before it.
    pub fn submit(&self, commands: impl IntoIterator<Item = wgpu::CommandBuffer>) {
        let mut pending = lock(&self.pending);
        let mut all = std::mem::take(&mut pending.commands);
        all.extend(commands);
        // Buffers freed up to now: their last use is in `all` or already submitted.
        let retired = self.pool.take_retired();
        self.queue.submit(all);
        self.submissions.fetch_add(1, Ordering::Relaxed);
        self.pool.give_back_all(retired);
    }

    /// `queue.write_buffer`: staged, lands before the next submission.
    pub fn write_buffer(&self, buffer: &wgpu::Buffer, offset: u64, data: &[u8]) {
        self.queue.write_buffer(buffer, offset, data);
    }

    /// The wgpu queue, once the pending batch is submitted (so that what the caller submits on
    /// it runs after it).
    pub fn flushed(&self) -> &wgpu::Queue {
        if self.has_pending() {
            self.submit([]);
        }
        &self.queue
    }

    /// Whether command buffers wait for submission.
    pub fn has_pending(&self) -> bool {
        !lock(&self.pending).commands.is_empty()
    }

    /// Returns the buffers freed while a batch was open to the pool, when no batch is open.
    pub fn reclaim_if_idle(&self) {
        let pending = lock(&self.pending);
        if pending.commands.is_empty() {
            self.pool.give_back_all(self.pool.take_retired());
        }
        drop(pending);
    }

    /// Submissions so far.
    pub fn submissions(&self) -> u64 {
        self.submissions.load(Ordering::Relaxed)
    }

    /// Adds `commands` to the batch; returns how many now wait.
    fn push(&self, commands: wgpu::CommandBuffer) -> usize {
        let mut pending = lock(&self.pending);
        pending.commands.push(commands);
        pending.commands.len()
    }
}

impl Gpu {
    /// Records commands into the context's stream: `f` records them on a fresh encoder, inside
    /// error scopes that name `what`, and the finished command buffer joins the pending batch
    /// (submitted when a result is needed). Nothing is recorded when `f` fails.
    ///
    /// `f` may run other operations (evaluate a lazy input, take a buffer): they are recorded
    /// before this one, in their own command buffers.
    pub(crate) fn record<T>(
        &self,
        what: &str,
        f: impl FnOnce(&mut wgpu::CommandEncoder) -> Result<T>,
    ) -> Result<T> {
        let (value, commands) = self.scoped(what, || -> Result<_> {
            let mut encoder = self
                .inner
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some(what) });
            let value = f(&mut encoder)?;
            // Inside the scopes: a pass's validation errors are raised here.
            Ok((value, encoder.finish()))
        })??;
        if self.inner.queue.push(commands) >= MAX_PENDING {
            self.flush()?;
        }
        Ok(value)
    }

    /// A slot of the parameter ring holding `words` (kernel parameters), written before the
    /// next submission and never rewritten.
    pub(crate) fn params(&self, words: &[u32]) -> Result<Params> {
        let limits = &self.inner.limits;
        let align = (limits.min_storage_buffer_offset_alignment)
            .max(limits.min_uniform_buffer_offset_alignment)
            .max(16) as u64;
        let size = ((words.len() * 4) as u64).max(4);
        let slot = size.next_multiple_of(align);
        if slot > RING_BYTES {
            // Larger than a ring (never for our kernels): a buffer of its own.
            return Ok(Params::own(self, words));
        }
        let (buffer, offset) = {
            let mut pending = lock(&self.inner.queue.pending);
            let full = pending
                .ring
                .as_ref()
                .is_none_or(|(_, used)| used + slot > RING_BYTES);
            if full {
                let ring = self.scoped("allocating the parameter ring", || {
                    self.inner.device.create_buffer(&wgpu::BufferDescriptor {
                        label: Some("parameter ring"),
                        size: RING_BYTES,
                        usage: wgpu::BufferUsages::STORAGE
                            | wgpu::BufferUsages::UNIFORM
                            | wgpu::BufferUsages::COPY_DST,
                        mapped_at_creation: false,
                    })
                })?;
                pending.ring = Some((ring, 0));
            }
            let (ring, used) = pending.ring.as_mut().expect("just made");
            let offset = *used;
            *used += slot;
            (ring.clone(), offset)
        };
        if !words.is_empty() {
            self.inner
                .queue
                .write_buffer(&buffer, offset, bytemuck::cast_slice(words));
        }
        crate::gpu::tape::note_params(self, &buffer, offset, words);
        Ok(Params {
            buffer,
            offset,
            size,
        })
    }

    /// Parameters of a pass that a tape may replay many times (the FFT's): a buffer of their
    /// own while a tape records, which the tape then binds again as it is, so a replay writes
    /// nothing (a ring slot would be written again on every replay); otherwise, when nothing
    /// will replay the pass, a slot of the ring ([`Gpu::params`]).
    pub(crate) fn replayed_params(&self, words: &[u32]) -> Result<Params> {
        if !crate::gpu::tape::recording(self) {
            return self.params(words);
        }
        Ok(Params::own(self, words))
    }

    /// Submits the pending batch (inside error scopes).
    pub(crate) fn flush(&self) -> Result<()> {
        if !self.inner.queue.has_pending() {
            return Ok(());
        }
        self.scoped("submitting recorded GPU work", || {
            self.inner.queue.submit([])
        })
    }

    /// Submits all recorded work and waits until the GPU has finished it.
    ///
    /// Operations are recorded and submitted in batches, when a result is needed (a download,
    /// a blit); this is for timing, or before handing buffers to code of one's own.
    ///
    /// ```
    /// use gpuarray::{Gpu, View};
    /// let gpu = Gpu::new()?;
    /// let a = gpu.upload(&View::from_slice(&[1.0f32, 2.0], &[2])?)?;
    /// let b = a.add(1.0)?;
    /// b.eval()?; // recorded
    /// gpu.sync()?; // submitted and finished
    /// # Ok::<(), gpuarray::Error>(())
    /// ```
    pub fn sync(&self) -> Result<()> {
        self.flush()?;
        self.wait()
    }
}

#[cfg(test)]
mod tests {
    use crate::error::Error;
    use crate::gpu::context::Gpu;
    use crate::gpu::kernels::{binding, submit_once};
    use crate::view::view::View;

    /// Invalid work recorded between valid operations of one batch: each failure is reported
    /// by the operation that recorded it, naming it, and the valid operations around it still
    /// give their results once the batch runs.
    #[test]
    fn an_invalid_op_inside_a_batch_is_reported_by_that_op() {
        let gpu = Gpu::new().expect("GPU tests need an adapter");
        let data: Vec<f32> = (0..1024).map(|i| i as f32).collect();
        let a = gpu
            .upload(&View::from_slice(&data, &[1024]).unwrap())
            .unwrap();
        let b = a.add(1.0).unwrap();
        b.eval().unwrap();
        let buffer = a.buffer().unwrap();

        // A copy at an unaligned offset: invalid when recorded (reported at `finish`).
        let err = gpu
            .record("an unaligned test copy", |encoder| {
                encoder.copy_buffer_to_buffer(buffer, 0, b.buffer().unwrap(), 3, 8);
                Ok(())
            })
            .unwrap_err();
        assert!(
            matches!(&err, Error::Gpu(m) if m.starts_with("an unaligned test copy")),
            "{err:?}"
        );

        // A dispatch past the workgroup-count limit: a pass error, raised when the encoder is
        // finished, inside the op's scopes.
        let c = a.mul(2.0).unwrap();
        c.eval().unwrap();
        let pipeline = gpu
            .generated_pipeline(
                "@group(0) @binding(0) var<storage, read_write> x: array<u32>;\n\
                 @compute @workgroup_size(1) fn main() { x[0] = 1u; }",
            )
            .unwrap();
        let scratch = gpu.buffer(256, crate::gpu::array::GpuArray::USAGE).unwrap();
        let too_many = gpu.inner.limits.max_compute_workgroups_per_dimension + 1;
        let err = submit_once(
            &gpu,
            "an oversized test dispatch",
            &pipeline,
            &[binding(scratch.buffer(), 0, 256)],
            (too_many, 1),
            |_| {},
        )
        .unwrap_err();
        assert!(
            matches!(&err, Error::Gpu(m) if m.starts_with("an oversized test dispatch")),
            "{err:?}"
        );

        // Nothing of the failed ops was queued; the valid ones run.
        let d = c.add(&b).unwrap();
        let got = d.to_host().unwrap();
        let want: Vec<f32> = data.iter().map(|v| v * 2.0 + v + 1.0).collect();
        assert_eq!(got.as_slice::<f32>().unwrap(), want);
    }
}

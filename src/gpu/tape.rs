//! Tapes: the dispatches of one operation, recorded while it runs once and replayed on new
//! buffers (the idea of CUDA graphs), so that repeating it for the same shapes does no host
//! work beyond binding: no planning, no kernel generation or lookup, no parameter tables.
//!
//! Walk-through:
//!
//! 1. [`capture`] runs an operation with a recorder active on this thread. Every dispatch it
//!    records (`kernels::dispatch_in`, the one place compute work is encoded) is noted with
//!    its pipeline, workgroup counts and bindings. Each bound buffer is classified:
//!    - an **input** (a buffer the caller named),
//!    - a **run buffer**: one the operation took from the pool ([`Gpu::buffer`]), remembered
//!      by its size and usage (a pooled buffer handed out again later in the run is a new run
//!      buffer),
//!    - a **parameter slot** of the ring ([`Gpu::params`]): its words are kept, and a replay
//!      writes them to a fresh slot,
//!    - anything else (tables, parameter buffers of their own): a **fixed** buffer, held by
//!      the tape and bound again as it is. Such buffers are written once, when made, so they
//!      hold the same values on every replay.
//!
//!    Work the tape cannot redo marks it *opaque* ([`opaque`]): commands recorded on an
//!    encoder directly (copies, clears), a host write into a run buffer, a binding that is not
//!    a buffer. An opaque tape is never replayed; its operation runs as before.
//! 2. [`Tape::replay`] takes new run buffers from the pool, at their first use, binds the
//!    caller's inputs in place of the recorded ones, and records the same dispatches, in as few
//!    command buffers as the buffers' lifetimes allow: a run buffer is given back after the
//!    command buffer holding its last use joins the batch, so the replay holds no more memory
//!    at once than the operation did.
//!
//! A tape is only valid for what decided the operation's dispatches: the caller keys it by
//! everything the operation's planning reads (shapes, strides, dtypes, the input buffers'
//! sizes, parameters), on one context (whose limits fixed the rest).

use std::cell::RefCell;
use std::collections::HashMap;

use crate::error::Result;
use crate::gpu::context::{Counters, Gpu};
use crate::gpu::pool::PooledBuffer;

/// Where a binding of a recorded dispatch points.
enum Slot {
    /// The caller's input `k` of [`Tape::replay`].
    Input(usize),
    /// Run buffer `i` (a pooled buffer the operation took).
    Run(usize),
    /// A slot of the parameter ring holding these words.
    Params(Vec<u32>),
    /// A buffer made before or during the run and not written by it from the host.
    Fixed(wgpu::Buffer),
}

/// One binding: its index in group 0, where it points, and the byte range.
struct Binding {
    index: u32,
    slot: Slot,
    offset: u64,
    size: Option<wgpu::BufferSize>,
}

/// One recorded dispatch.
struct Step {
    what: String,
    pipeline: wgpu::ComputePipeline,
    bindings: Vec<Binding>,
    groups: (u32, u32),
}

/// The dispatches of one run of an operation, replayable on new buffers.
pub(crate) struct Tape {
    steps: Vec<Step>,
    /// Size and usage of each run buffer.
    buffers: Vec<(u64, wgpu::BufferUsages)>,
    /// The run buffer holding the result.
    output: usize,
    /// For each step, the run buffers (the result's aside) last used by it: a replay's command
    /// buffer ends there, and they go back to the pool.
    releases: Vec<Vec<usize>>,
}

/// What a capture notes on this thread.
struct Recorder {
    /// The context captured (`Arc::as_ptr` of its inner state): work on others is ignored.
    gpu: usize,
    inputs: Vec<wgpu::Buffer>,
    /// The run buffer each pooled buffer is now (a buffer taken again is a new one).
    run: HashMap<wgpu::Buffer, usize>,
    buffers: Vec<(u64, wgpu::BufferUsages)>,
    /// Ring slots: `(ring, offset)` to the words written there.
    params: HashMap<(wgpu::Buffer, u64), Vec<u32>>,
    steps: Vec<Step>,
    /// Why the run cannot be replayed, if it cannot.
    opaque: Option<String>,
}

thread_local! {
    static RECORDER: RefCell<Option<Recorder>> = const { RefCell::new(None) };
}

fn id(gpu: &Gpu) -> usize {
    std::sync::Arc::as_ptr(&gpu.inner) as *const () as usize
}

/// Runs `f` on this thread's recorder, if one is capturing `gpu`.
fn with_recorder(gpu: &Gpu, f: impl FnOnce(&mut Recorder)) {
    RECORDER.with(|r| {
        if let Some(rec) = r.borrow_mut().as_mut()
            && rec.gpu == id(gpu)
        {
            f(rec)
        }
    })
}

/// Whether a tape is capturing `gpu` on this thread.
pub(crate) fn recording(gpu: &Gpu) -> bool {
    let mut yes = false;
    with_recorder(gpu, |_| yes = true);
    yes
}

/// Runs `op`, recording its dispatches on `gpu`; `inputs` are the buffers a replay will be
/// given in their place. Returns the result and the tape, `None` when the run cannot be
/// replayed (opaque work, a result that is not a fresh buffer of the run, or a capture
/// already active on this thread: the inner operation's work is then part of the outer one).
pub(crate) fn capture<T>(
    gpu: &Gpu,
    inputs: &[&wgpu::Buffer],
    op: impl FnOnce() -> Result<(T, Option<wgpu::Buffer>)>,
) -> Result<(T, Option<Tape>)> {
    let nested = RECORDER.with(|r| r.borrow().is_some());
    if nested {
        return op().map(|(value, _)| (value, None));
    }
    RECORDER.with(|r| {
        *r.borrow_mut() = Some(Recorder {
            gpu: id(gpu),
            inputs: inputs.iter().map(|&b| b.clone()).collect(),
            run: HashMap::new(),
            buffers: Vec::new(),
            params: HashMap::new(),
            steps: Vec::new(),
            opaque: None,
        })
    });
    let result = op();
    let rec = RECORDER
        .with(|r| r.borrow_mut().take())
        .expect("the recorder set above");
    let (value, output) = result?;
    let output = output.and_then(|b| rec.run.get(&b).copied());
    let tape = match (rec.opaque, output) {
        (None, Some(output)) => Some(Tape::new(rec.steps, rec.buffers, output)),
        _ => None,
    };
    Ok((value, tape))
}

/// Marks the capture on this thread (if any, of `gpu`) as not replayable, because of `why`.
pub(crate) fn opaque(gpu: &Gpu, why: &str) {
    with_recorder(gpu, |rec| {
        rec.opaque.get_or_insert_with(|| why.to_string());
    });
}

/// Notes that the operation took `buffer` (`size` bytes of `usage`) from the pool.
pub(crate) fn note_buffer(gpu: &Gpu, buffer: &wgpu::Buffer, size: u64, usage: wgpu::BufferUsages) {
    with_recorder(gpu, |rec| {
        rec.run.insert(buffer.clone(), rec.buffers.len());
        rec.buffers.push((size, usage));
    });
}

/// Notes a host write into `buffer`: a run buffer written from the host cannot be replayed.
pub(crate) fn note_write(gpu: &Gpu, buffer: &wgpu::Buffer) {
    with_recorder(gpu, |rec| {
        if rec.run.contains_key(buffer) {
            rec.opaque
                .get_or_insert_with(|| "a host write into a buffer of the run".to_string());
        }
    });
}

/// Notes a parameter slot: `words` at `offset` of the ring `ring`.
pub(crate) fn note_params(gpu: &Gpu, ring: &wgpu::Buffer, offset: u64, words: &[u32]) {
    with_recorder(gpu, |rec| {
        rec.params.insert((ring.clone(), offset), words.to_vec());
    });
}

/// Notes one dispatch of `pipeline` over `groups` with `entries` bound as group 0.
pub(crate) fn note_dispatch(
    gpu: &Gpu,
    what: &str,
    pipeline: &wgpu::ComputePipeline,
    entries: &[wgpu::BindGroupEntry<'_>],
    groups: (u32, u32),
) {
    with_recorder(gpu, |rec| {
        let mut bindings = Vec::with_capacity(entries.len());
        for e in entries {
            let wgpu::BindingResource::Buffer(b) = &e.resource else {
                rec.opaque
                    .get_or_insert_with(|| "a binding that is not a buffer".to_string());
                return;
            };
            let slot = if let Some(&i) = rec.run.get(b.buffer) {
                Slot::Run(i)
            } else if let Some(k) = rec.inputs.iter().position(|x| x == b.buffer) {
                Slot::Input(k)
            } else if let Some(words) = rec.params.get(&(b.buffer.clone(), b.offset)) {
                Slot::Params(words.clone())
            } else {
                Slot::Fixed(b.buffer.clone())
            };
            bindings.push(Binding {
                index: e.binding,
                slot,
                offset: b.offset,
                size: b.size,
            });
        }
        rec.steps.push(Step {
            what: what.to_string(),
            pipeline: pipeline.clone(),
            bindings,
            groups,
        });
    });
}

impl Tape {
    /// A tape of `steps`, with each run buffer released after its last use.
    fn new(steps: Vec<Step>, buffers: Vec<(u64, wgpu::BufferUsages)>, output: usize) -> Tape {
        let mut last = vec![None; buffers.len()];
        for (s, step) in steps.iter().enumerate() {
            for b in &step.bindings {
                if let Slot::Run(i) = b.slot {
                    last[i] = Some(s);
                }
            }
        }
        let mut releases = vec![Vec::new(); steps.len()];
        for (i, l) in last.into_iter().enumerate() {
            if let Some(s) = l
                && i != output
            {
                releases[s].push(i);
            }
        }
        Tape {
            steps,
            buffers,
            output,
            releases,
        }
    }

    /// Records the tape's dispatches again with `inputs` in place of the recorded inputs
    /// (buffers of the same sizes) and new run buffers; returns the result's buffer.
    pub(crate) fn replay(
        &self,
        gpu: &Gpu,
        what: &str,
        inputs: &[&wgpu::Buffer],
    ) -> Result<PooledBuffer> {
        let mut live: Vec<Option<PooledBuffer>> = (0..self.buffers.len()).map(|_| None).collect();
        let mut s0 = 0;
        while s0 < self.steps.len() {
            // One command buffer up to the next step that is some buffer's last use.
            let s1 = (s0..self.steps.len())
                .find(|&s| !self.releases[s].is_empty())
                .map_or(self.steps.len(), |s| s + 1);
            for step in &self.steps[s0..s1] {
                for b in &step.bindings {
                    if let Slot::Run(i) = b.slot
                        && live[i].is_none()
                    {
                        let (size, usage) = self.buffers[i];
                        live[i] = Some(gpu.buffer(size, usage)?);
                    }
                }
            }
            // Parameters first: a slot is written before the next submission.
            let params: Vec<Vec<_>> = self.steps[s0..s1]
                .iter()
                .map(|step| {
                    step.bindings
                        .iter()
                        .map(|b| match &b.slot {
                            Slot::Params(words) => gpu.params(words).map(Some),
                            _ => Ok(None),
                        })
                        .collect::<Result<_>>()
                })
                .collect::<Result<_>>()?;
            gpu.record(what, |encoder| {
                for (step, params) in self.steps[s0..s1].iter().zip(&params) {
                    let entries: Vec<wgpu::BindGroupEntry<'_>> = step
                        .bindings
                        .iter()
                        .zip(params)
                        .map(|(b, p)| {
                            let resource = match (&b.slot, p) {
                                (_, Some(p)) => p.binding(),
                                (Slot::Input(k), _) => buffer_at(inputs[*k], b),
                                (Slot::Run(i), _) => {
                                    buffer_at(live[*i].as_ref().expect("taken above").buffer(), b)
                                }
                                (Slot::Fixed(buffer), _) => buffer_at(buffer, b),
                                (Slot::Params(_), None) => unreachable!("written above"),
                            };
                            wgpu::BindGroupEntry {
                                binding: b.index,
                                resource,
                            }
                        })
                        .collect();
                    crate::gpu::kernels::dispatch_in(
                        gpu,
                        encoder,
                        &step.what,
                        &step.pipeline,
                        &entries,
                        step.groups,
                    );
                }
                Ok(())
            })?;
            // Given back once their last use is in the batch (the pool retires them until it
            // is submitted).
            for &i in self.releases[s0..s1].iter().flatten() {
                live[i] = None;
            }
            s0 = s1;
        }
        Counters::bump(&gpu.inner.counters.replays);
        match live[self.output].take() {
            Some(b) => Ok(b),
            // A result no dispatch touched (an empty array): a fresh buffer, as the run made.
            None => {
                let (size, usage) = self.buffers[self.output];
                gpu.buffer(size, usage)
            }
        }
    }
}

fn buffer_at<'a>(buffer: &'a wgpu::Buffer, b: &Binding) -> wgpu::BindingResource<'a> {
    wgpu::BindingResource::Buffer(wgpu::BufferBinding {
        buffer,
        offset: b.offset,
        size: b.size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gpu::array::GpuArray;
    use crate::view::view::View;

    fn upload(gpu: &Gpu, v: &[f32]) -> GpuArray {
        gpu.upload(&View::from_slice(v, &[v.len()]).unwrap())
            .unwrap()
    }

    /// An elementwise kernel taped on one input and replayed on another: the new input's
    /// values come out; the recorded input is not read.
    #[test]
    fn a_taped_kernel_replays_on_a_new_input() {
        let gpu = Gpu::new().expect("GPU tests need an adapter");
        let a = upload(&gpu, &[1.0, 2.0, 3.0, 4.0]);
        let b = upload(&gpu, &[10.0, 20.0, 30.0, 40.0]);
        let input = a.storage().unwrap().buffer();
        let (y, tape) = capture(&gpu, &[input], || {
            let y = a.mul(2.0)?.add(1.0)?;
            let out = y.storage()?.buffer().clone();
            Ok((y, Some(out)))
        })
        .unwrap();
        let tape = tape.expect("one kernel, no host writes: replayable");
        let replayed = tape
            .replay(&gpu, "a test replay", &[b.storage().unwrap().buffer()])
            .unwrap();
        let z = GpuArray::from_parts(gpu.clone(), replayed, y.dtype, y.layout.clone());
        assert_eq!(
            y.to_host().unwrap().as_slice::<f32>().unwrap(),
            [3.0, 5.0, 7.0, 9.0]
        );
        assert_eq!(
            z.to_host().unwrap().as_slice::<f32>().unwrap(),
            [21.0, 41.0, 61.0, 81.0]
        );
        assert_eq!(gpu.stats().replays, 1);
    }

    /// Work a tape cannot redo makes it opaque: an upload (a host write into a buffer of the
    /// run), a download, and a capture inside another (whose work belongs to the outer one).
    #[test]
    fn host_writes_downloads_and_nesting_are_not_taped() {
        let gpu = Gpu::new().expect("GPU tests need an adapter");
        let a = upload(&gpu, &[1.0, 2.0]);
        let input = a.storage().unwrap().buffer();
        let (_, tape) = capture(&gpu, &[input], || {
            let y = upload(&gpu, &[5.0, 6.0]).add(&a)?;
            let out = y.storage()?.buffer().clone();
            Ok((y, Some(out)))
        })
        .unwrap();
        assert!(tape.is_none(), "an upload inside the run");
        let (_, tape) = capture(&gpu, &[input], || {
            let y = a.add(1.0)?;
            y.to_host()?;
            let out = y.storage()?.buffer().clone();
            Ok((y, Some(out)))
        })
        .unwrap();
        assert!(tape.is_none(), "a download inside the run");
        let (inner, outer) = capture(&gpu, &[input], || {
            let (y, inner) = capture(&gpu, &[input], || {
                let y = a.add(1.0)?;
                let out = y.storage()?.buffer().clone();
                Ok((y, Some(out)))
            })?;
            let out = y.storage()?.buffer().clone();
            Ok((inner.is_none(), Some(out)))
        })
        .unwrap();
        assert!(inner, "a nested capture gives no tape");
        assert!(outer.is_some(), "the outer one holds the work");
        // The result must be a buffer of the run: the input itself is not.
        let (_, tape) = capture(&gpu, &[input], || Ok(((), Some(input.clone())))).unwrap();
        assert!(tape.is_none());
    }
}

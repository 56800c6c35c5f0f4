//! Blocked gather (`shaders/gather.wgsl`): C-contiguous copies of views whose consecutive
//! elements lie so far apart that 256 of them span more than one storage binding, e.g. a
//! transposed view of an array of hundreds of MiB.
//!
//! The elementwise kernels bind each input through a window that covers what a chunk of 256 or
//! more output elements reads; for such views no window fits. [`with_compact_inputs`] copies
//! those inputs first, and the kernel then runs on the copies. A copy is made in chunks of the
//! output, each read through every binding-sized window of the source that the chunk reaches:
//! at most `(output bytes / binding) × (source bytes / binding)` dispatches, each over one
//! chunk, so any view that fits `max_buffer_size` can be copied at a cost of up to
//! `max_buffer_size / binding` (16 on a 2 GiB adapter with 128 MiB bindings) times a plain
//! copy's.

use crate::error::{Error, Result};
use crate::gpu::context::Gpu;
use crate::gpu::kernels::{Input, binding, groups_2d, submit_once, window};
use crate::gpu::pool::PooledBuffer;
use crate::view::layout::{Layout, Order};

const GATHER_WGSL: &str = include_str!("../../shaders/gather.wgsl");
/// Threads per workgroup of `gather.wgsl`.
const WORKGROUP: u64 = 256;

/// Runs `run` on `inputs`, with every input that is not C-contiguous and whose elements span
/// more than one binding replaced by a C-contiguous copy (elements already broadcast to the
/// output shape, as [`Input`]s are). When no input is such, that is not what stopped the
/// kernel: an error.
pub(crate) fn with_compact_inputs<T>(
    gpu: &Gpu,
    inputs: &[Input<'_>],
    run: impl FnOnce(&[Input<'_>]) -> Result<T>,
) -> Result<T> {
    let spread = |input: &Input<'_>| {
        let n = input.layout.len() as u64;
        let (start, end, _) = window(gpu, input, 0, n);
        n > 0 && !input.layout.is_c_contiguous(1) && end - start > gpu.binding()
    };
    // The copies, and the C-contiguous layouts they hold (elements of the output shape).
    let mut copies: Vec<Option<(PooledBuffer, Layout)>> = vec![];
    for input in inputs {
        copies.push(if spread(input) {
            Some(compact(gpu, input)?)
        } else {
            None
        });
    }
    let compacted: Vec<Input<'_>> = inputs
        .iter()
        .zip(&copies)
        .map(|(input, copy)| match copy {
            Some((buffer, layout)) => Input {
                buffer: buffer.buffer(),
                layout,
                itemsize: input.itemsize,
            },
            None => Input {
                buffer: input.buffer,
                layout: input.layout,
                itemsize: input.itemsize,
            },
        })
        .collect();
    if copies.iter().all(Option::is_none) {
        return Err(Error::unsupported(
            "strides so large that 256 elements span more than one storage binding",
        ));
    }
    run(&compacted)
}

/// A C-contiguous copy of `input`'s elements, gathered in blocks.
fn compact(gpu: &Gpu, input: &Input<'_>) -> Result<(PooledBuffer, Layout)> {
    let shape = &input.layout.shape;
    let contiguous = Layout::contiguous(shape, 1, Order::C)?;
    let n = contiguous.len() as u64;
    let out = gpu.buffer(
        (n * input.itemsize as u64).next_multiple_of(4),
        crate::GpuArray::USAGE,
    )?;
    // In units of at most 4 bytes: an 8-byte element is two 4-byte units along a new last axis.
    let (unit, units) = match input.itemsize {
        8 => {
            let mut l = input.layout.clone();
            l.shape.push(2);
            l.strides.iter_mut().for_each(|s| *s *= 2);
            l.strides.push(1);
            l.offset *= 2;
            (4u64, l)
        }
        size => (size as u64, input.layout.clone()),
    };
    let view = Input {
        buffer: input.buffer,
        layout: &units,
        itemsize: unit as usize,
    };
    let module = gpu.module("gather.wgsl", GATHER_WGSL)?;
    let pipeline = gpu.pipeline(
        &format!("gather unit {unit}"),
        &module,
        &[("UNIT", unit as f64)],
    )?;
    let binding_size = gpu.binding();
    let align = (gpu.inner.limits.min_storage_buffer_offset_alignment as u64).max(16);
    // Output chunks of whole 1024-unit runs (aligned binding offsets), source windows of whole
    // alignment blocks.
    let chunk = (binding_size / unit / 1024 * 1024).max(1024);
    let step = binding_size / align * align;
    let total = units.len() as u64;
    let mut e0 = 0;
    while e0 < total {
        let e1 = (e0 + chunk).min(total);
        let count = e1 - e0;
        let (groups_x, groups_y) = groups_2d((count * unit).div_ceil(4).div_ceil(WORKGROUP));
        let (start, end, _) = window(gpu, &view, e0, e1);
        let mut ws = start;
        while ws < end {
            let we = (ws + step).min(end);
            let offset = (units.offset as u64).wrapping_sub(ws / unit) as u32;
            let mut params: Vec<u32> = vec![
                count as u32,
                e0 as u32,
                groups_x,
                units.ndim() as u32,
                ((we - ws) / unit) as u32,
            ];
            params.extend(units.shape.iter().map(|&d| d as u32));
            params.push(offset);
            params.extend(units.strides.iter().map(|&s| s as i32 as u32));
            let params = gpu.params(&params)?;
            let out_bytes = (count * unit).next_multiple_of(4);
            submit_once(
                gpu,
                "gathering a widely strided view",
                &pipeline,
                &[
                    binding(input.buffer, ws, we - ws),
                    binding(out.buffer(), e0 * unit, out_bytes),
                    params.binding(),
                ],
                (groups_x, groups_y),
                |_| {},
            )?;
            ws = we;
        }
        e0 = e1;
    }
    Ok((out, contiguous))
}

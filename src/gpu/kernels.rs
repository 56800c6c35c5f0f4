//! Dispatching `shaders/convert.wgsl`: strided gather, dtype conversion and byte swapping, in
//! chunks when an array is larger than one storage binding.

use crate::error::{Error, Result};
use crate::gpu::array::{GpuArray, dtype_code};
use crate::gpu::context::{Counters, Gpu};
use crate::gpu::gather;
use crate::gpu::pool::PooledBuffer;
use crate::view::dtype::Dtype;
use crate::view::layout::{Layout, Order};

const CONVERT_WGSL: &str = include_str!("../../shaders/convert.wgsl");
/// Threads per workgroup of the elementwise kernels.
const WORKGROUP: u64 = 256;
const MAX_GROUPS: u64 = 65535;

/// What the convert kernel does to each value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// NumPy `astype` (or a plain copy when the dtypes are equal).
    Cast = 0,
    /// Unsigned integers to float in [0, 1].
    ToUnit = 1,
    /// Float in [0, 1] to unsigned integers, rounded and clamped.
    FromUnit = 2,
}

/// The source of a conversion: a buffer, the dtype and byte order of its elements, and where the
/// elements lie in it (shape, strides and offset in elements).
pub(crate) struct Source<'a> {
    pub buffer: &'a wgpu::Buffer,
    pub dtype: Dtype,
    pub swap: bool,
    pub layout: &'a Layout,
}

/// Lowest and one-past-highest element index reached by the C-order flat index range
/// `[e0, e1)` of `layout` (non-empty range), exactly, in O(ndim).
///
/// The range is the set of indices lexicographically between `unravel(e0)` and
/// `unravel(e1 - 1)`. Walking the axes from the last, `best[tl][th]` is the extreme offset of the
/// remaining axes when the index so far equals the lower (`tl`) or upper (`th`) bound's prefix.
fn reach(layout: &Layout, e0: u64, e1: u64) -> (i128, i128) {
    let unravel = |mut e: u64| -> Vec<u64> {
        let mut idx = vec![0; layout.ndim()];
        for k in (0..layout.ndim()).rev() {
            let n = layout.shape[k] as u64;
            idx[k] = e % n;
            e /= n;
        }
        idx
    };
    let (lo_idx, hi_idx) = (unravel(e0), unravel(e1 - 1));
    let extreme = |sign: i128| -> i128 {
        // best[tl][th], for axes k.. ; None = no index satisfies the bounds.
        let mut best = [[Some(0i128); 2]; 2];
        for k in (0..layout.ndim()).rev() {
            let n = layout.shape[k] as u64;
            let s = layout.strides[k] as i128 * sign;
            let mut next = [[None; 2]; 2];
            for (tl, row) in next.iter_mut().enumerate() {
                for (th, cell) in row.iter_mut().enumerate() {
                    let a = if tl == 1 { lo_idx[k] } else { 0 };
                    let b = if th == 1 { hi_idx[k] } else { n - 1 };
                    if a > b {
                        continue;
                    }
                    let mut cands = vec![];
                    for i in [a, b] {
                        let rest = best[(tl == 1 && i == lo_idx[k]) as usize]
                            [(th == 1 && i == hi_idx[k]) as usize];
                        if let Some(r) = rest {
                            cands.push(i as i128 * s + r);
                        }
                    }
                    if a + 1 < b {
                        let i = if s > 0 { a + 1 } else { b - 1 };
                        if let Some(r) = best[0][0] {
                            cands.push(i as i128 * s + r);
                        }
                    }
                    *cell = cands.into_iter().min();
                }
            }
            best = next;
        }
        best[1][1].expect("a non-empty range reaches something") * sign
    };
    let base = layout.offset as i128;
    (base + extreme(1), base + extreme(-1) + 1)
}

/// Runs the convert kernel: the elements of `src`, in C order, converted to `dst` into a new
/// C-contiguous array.
pub(crate) fn convert(gpu: &Gpu, src: Source<'_>, dst: Dtype, mode: Mode) -> Result<GpuArray> {
    let module = gpu.module("convert.wgsl", CONVERT_WGSL)?;
    let contiguous = src.layout.is_c_contiguous(1);
    let key = format!(
        "convert {:?}->{dst:?} mode {mode:?} swap {} contiguous {contiguous}",
        src.dtype, src.swap
    );
    let constants = [
        ("SRC", dtype_code(src.dtype)? as f64),
        ("DST", dtype_code(dst)? as f64),
        ("MODE", mode as u32 as f64),
        ("SWAP", src.swap as u8 as f64),
        ("CONTIGUOUS", contiguous as u8 as f64),
    ];
    let pipeline = gpu.pipeline(&key, &module, &constants)?;
    let input = Input {
        buffer: src.buffer,
        layout: src.layout,
        itemsize: src.dtype.itemsize(),
    };
    let per = elements_per_invocation(dst);
    elementwise(gpu, &pipeline, &[input], &[], &src.layout.shape, dst, per)
}

/// Elements one invocation of a one-word-per-invocation kernel writes: a word's worth (4, 2 or
/// 1), or one complex64 element.
pub(crate) fn elements_per_invocation(dst: Dtype) -> u64 {
    (4 / dst.itemsize() as u64).max(1)
}

/// One input of an elementwise kernel: a buffer and where its elements lie (in elements, already
/// broadcast to the output shape).
pub(crate) struct Input<'a> {
    pub buffer: &'a wgpu::Buffer,
    pub layout: &'a Layout,
    pub itemsize: usize,
}

/// Runs an elementwise kernel over `shape` into a new C-contiguous array of `dst`.
///
/// The kernel's bindings are the inputs (0..k), the output (k) and the parameters (k + 1):
/// `[n, first, groups_x, ndim, shape[ndim], (offset, strides[ndim]) per input, scalars...]`.
/// Each invocation writes `per_invocation` consecutive elements. Arrays larger than one
/// storage binding run in chunks of whole 256-element runs, each input bound through a window
/// that covers exactly what the chunk reads.
pub(crate) fn elementwise(
    gpu: &Gpu,
    pipeline: &wgpu::ComputePipeline,
    inputs: &[Input<'_>],
    scalars: &[u32],
    shape: &[usize],
    dst: Dtype,
    per_invocation: u64,
) -> Result<GpuArray> {
    let layout = Layout::contiguous(shape, 1, Order::C)?;
    let n = layout.len() as u64;
    let out = gpu.buffer(
        (n * dst.itemsize() as u64).next_multiple_of(4),
        GpuArray::USAGE,
    )?;
    if n > 0 {
        dispatch(
            gpu,
            pipeline,
            inputs,
            scalars,
            shape,
            dst,
            &out,
            n,
            per_invocation,
        )?;
    }
    Ok(GpuArray::from_parts(gpu.clone(), out, dst, layout))
}

/// What [`window`] gives: the start byte, end byte and element offset of an input's window.
type Window = (u64, u64, u32);

#[allow(clippy::too_many_arguments)]
fn dispatch(
    gpu: &Gpu,
    pipeline: &wgpu::ComputePipeline,
    inputs: &[Input<'_>],
    scalars: &[u32],
    shape: &[usize],
    dst: Dtype,
    out: &PooledBuffer,
    n: u64,
    per_invocation: u64,
) -> Result<()> {
    if n > u32::MAX as u64 {
        return Err(Error::unsupported(format!(
            "arrays of more than {} elements",
            u32::MAX
        )));
    }
    let binding = gpu.binding();
    let dst_size = dst.itemsize() as u64;

    // Plan the chunks before recording any: whole 256-element runs keep every output binding
    // offset aligned, halved until each input's window fits a binding.
    let mut chunks: Vec<(u64, u64, Vec<Window>)> = Vec::new();
    let mut chunk = (binding / dst_size / 256 * 256).max(256);
    let mut e0 = 0u64;
    while e0 < n {
        let e1 = (e0 + chunk).min(n);
        // The window of each input this chunk reads: (start byte, end byte, element offset).
        let windows: Vec<Window> = inputs
            .iter()
            .map(|input| window(gpu, input, e0, e1))
            .collect();
        if windows.iter().any(|&(start, end, _)| end - start > binding) {
            if chunk == 256 {
                // 256 elements of an input span more than a binding (a transposed view of a
                // huge array): run on C-contiguous copies of such inputs, gathered in blocks.
                // Nothing was recorded yet.
                return gather::with_compact_inputs(gpu, inputs, |inputs| {
                    dispatch(
                        gpu,
                        pipeline,
                        inputs,
                        scalars,
                        shape,
                        dst,
                        out,
                        n,
                        per_invocation,
                    )
                });
            }
            chunk = (chunk / 2).next_multiple_of(256);
            continue;
        }
        chunks.push((e0, e1, windows));
        e0 = e1;
    }

    gpu.record("running an elementwise kernel", |encoder| {
        for (e0, e1, windows) in &chunks {
            let (e0, count) = (*e0, e1 - e0);
            let units = count.div_ceil(per_invocation);
            let (groups_x, groups_y) = groups_2d(units.div_ceil(WORKGROUP));
            let mut params: Vec<u32> = vec![count as u32, e0 as u32, groups_x, shape.len() as u32];
            params.extend(shape.iter().map(|&d| d as u32));
            for (input, &(_, _, offset)) in inputs.iter().zip(windows) {
                params.push(offset);
                params.extend(input.layout.strides.iter().map(|&s| s as i32 as u32));
            }
            params.extend_from_slice(scalars);
            let params = gpu.params(&params)?;
            // Whole 16-byte words: the fast path writes vec4<u32> (buffers are sized in 256s).
            let out_bytes = (count * dst_size).next_multiple_of(16);
            record_bound(
                gpu,
                encoder,
                pipeline,
                inputs,
                windows,
                (out.buffer(), e0 * dst_size, out_bytes),
                params.buffer_binding(),
                (groups_x, groups_y),
            );
        }
        Ok(())
    })
}

/// Records one chunk of a chunked kernel into `encoder`: the inputs bound through their
/// `windows` (bindings 0..k, as [`window`] gives them), the output's window `(buffer, start,
/// size)` (binding k) and the parameters (k + 1), over `groups` workgroups.
#[allow(clippy::too_many_arguments)]
#[allow(
    dead_code,
    reason = "kept for the filter and FFT kernels, which record their own chunks"
)]
pub(crate) fn record_chunk(
    gpu: &Gpu,
    encoder: &mut wgpu::CommandEncoder,
    pipeline: &wgpu::ComputePipeline,
    inputs: &[Input<'_>],
    windows: &[(u64, u64, u32)],
    out: (&wgpu::Buffer, u64, u64),
    params: &wgpu::Buffer,
    groups: (u32, u32),
) {
    let params = params.as_entire_buffer_binding();
    record_bound(gpu, encoder, pipeline, inputs, windows, out, params, groups);
}

/// [`record_chunk`] with the parameters bound from any slice of a buffer (a slot of the
/// parameter ring, [`Gpu::params`]).
#[allow(clippy::too_many_arguments)]
pub(crate) fn record_bound(
    gpu: &Gpu,
    encoder: &mut wgpu::CommandEncoder,
    pipeline: &wgpu::ComputePipeline,
    inputs: &[Input<'_>],
    windows: &[(u64, u64, u32)],
    (out, start, size): (&wgpu::Buffer, u64, u64),
    params: wgpu::BufferBinding<'_>,
    groups: (u32, u32),
) {
    let k = inputs.len() as u32;
    let mut entries: Vec<wgpu::BindGroupEntry<'_>> = inputs
        .iter()
        .zip(windows)
        .enumerate()
        .map(|(i, (input, &(first, end, _)))| entry(i as u32, input.buffer, first, end - first))
        .collect();
    entries.push(entry(k, out, start, size));
    entries.push(wgpu::BindGroupEntry {
        binding: k + 1,
        resource: wgpu::BindingResource::Buffer(params),
    });
    dispatch_in(gpu, encoder, "chunk", pipeline, &entries, groups);
}

/// Records one dispatch of `pipeline` over `groups` into `encoder`, with `entries` bound as
/// group 0, and counts it (and notes it on a tape being captured, [`crate::gpu::tape`]).
pub(crate) fn dispatch_in(
    gpu: &Gpu,
    encoder: &mut wgpu::CommandEncoder,
    what: &str,
    pipeline: &wgpu::ComputePipeline,
    entries: &[wgpu::BindGroupEntry<'_>],
    groups: (u32, u32),
) {
    let bind = gpu
        .inner
        .device
        .create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(what),
            layout: &pipeline.get_bind_group_layout(0),
            entries,
        });
    {
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some(what),
            timestamp_writes: None,
        });
        pass.set_pipeline(pipeline);
        pass.set_bind_group(0, &bind, &[]);
        pass.dispatch_workgroups(groups.0, groups.1, 1);
    }
    Counters::bump(&gpu.inner.counters.dispatches);
    crate::gpu::tape::note_dispatch(gpu, what, pipeline, entries, groups);
}

/// The part of `input`'s buffer that the flat elements `[e0, e1)` read: the start byte (aligned
/// for a binding offset), the end byte, and the offset of element `[0, ...]` in elements from
/// the start (wrapping, as the kernels compute).
pub(crate) fn window(gpu: &Gpu, input: &Input<'_>, e0: u64, e1: u64) -> (u64, u64, u32) {
    // 16-byte aligned windows, whole 16-byte words: kernels may read vec4<u32>.
    let align = (gpu.inner.limits.min_storage_buffer_offset_alignment as u64).max(16);
    let size = input.itemsize as u64;
    let (lo, hi) = reach(input.layout, e0, e1);
    let start = (lo as u64 * size) / align * align;
    let end = (hi as u64 * size)
        .next_multiple_of(16)
        .min(input.buffer.size());
    let offset = (input.layout.offset as u64).wrapping_sub(start / size) as u32;
    (start, end, offset)
}

/// A small read-only storage buffer holding `contents` (kernel parameters, weights, tables).
pub(crate) fn storage_with(gpu: &Gpu, label: &str, contents: &[u8]) -> wgpu::Buffer {
    buffer_with(gpu, label, contents, wgpu::BufferUsages::STORAGE)
}

/// A small buffer of `usage` (storage, uniform) holding `contents`.
///
/// Written through the queue (staged before the next submission) rather than mapped at
/// creation: on a lost device a mapping panics inside wgpu, while this gives an invalid buffer
/// whose use is an error caught like any other.
pub(crate) fn buffer_with(
    gpu: &Gpu,
    label: &str,
    contents: &[u8],
    usage: wgpu::BufferUsages,
) -> wgpu::Buffer {
    let size = (contents.len() as u64).next_multiple_of(wgpu::COPY_BUFFER_ALIGNMENT);
    let buffer = gpu.inner.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size: size.max(wgpu::COPY_BUFFER_ALIGNMENT),
        usage: usage | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    if size > 0 {
        let mut padded = contents.to_vec();
        padded.resize(size as usize, 0);
        gpu.inner.queue.write_buffer(&buffer, 0, &padded);
    }
    buffer
}

/// WGSL joining `terms` (at least one) as a balanced binary tree, `join(left, right)` at each
/// node, the left half the larger: `join(join(t0, t1), join(t2, t3))`. Generated kernels add
/// (the FFT butterflies) or combine (the reductions) this way, so rounding errors grow with the
/// tree's depth rather than the number of terms.
pub(crate) fn balanced(terms: &[String], join: &dyn Fn(String, String) -> String) -> String {
    match terms {
        [] => panic!("a balanced tree of no terms"),
        [one] => one.clone(),
        _ => {
            let (left, right) = terms.split_at(terms.len().div_ceil(2));
            join(balanced(left, join), balanced(right, join))
        }
    }
}

/// `n` workgroups as a 2-D grid (x at most 65535), for kernels that flatten `wg.y·gx + wg.x`.
pub(crate) fn groups_2d(n: u64) -> (u32, u32) {
    let x = n.clamp(1, MAX_GROUPS);
    (x as u32, n.div_ceil(x).max(1) as u32)
}

/// Records one dispatch of `pipeline` over `groups` into the context's stream, with
/// `resources` bound at 0, 1, ... of group 0, after whatever `before` records (e.g. clearing a
/// buffer), inside error scopes naming `what`. It is submitted with the batch
/// ([`crate::gpu::dispatch`]), when a result is needed.
pub(crate) fn submit_once(
    gpu: &Gpu,
    what: &str,
    pipeline: &wgpu::ComputePipeline,
    resources: &[wgpu::BindingResource<'_>],
    groups: (u32, u32),
    before: impl FnOnce(&mut wgpu::CommandEncoder),
) -> Result<()> {
    gpu.record(what, |encoder| {
        let entries: Vec<wgpu::BindGroupEntry<'_>> = resources
            .iter()
            .enumerate()
            .map(|(i, r)| wgpu::BindGroupEntry {
                binding: i as u32,
                resource: r.clone(),
            })
            .collect();
        before(encoder);
        dispatch_in(gpu, encoder, what, pipeline, &entries, groups);
        Ok(())
    })
}

/// Records, inside error scopes, each `(source, source offset, destination
/// offset, bytes)` of `copies` into `dst` (offsets and sizes multiples of 4).
pub(crate) fn copy_buffers(
    gpu: &Gpu,
    what: &str,
    copies: &[(&wgpu::Buffer, u64, u64, u64)],
    dst: &wgpu::Buffer,
) -> Result<()> {
    crate::gpu::tape::opaque(gpu, "buffer copies on the encoder");
    gpu.record(what, |encoder| {
        for &(src, from, to, bytes) in copies {
            encoder.copy_buffer_to_buffer(src, from, dst, to, bytes);
        }
        Ok(())
    })
}

/// Binding `binding` of group 0: `size` bytes of `buffer` from `offset` (a window).
fn entry(binding: u32, buffer: &wgpu::Buffer, offset: u64, size: u64) -> wgpu::BindGroupEntry<'_> {
    wgpu::BindGroupEntry {
        binding,
        resource: self::binding(buffer, offset, size),
    }
}

/// `size` bytes of `buffer` from `offset` (a window) as a binding resource.
pub(crate) fn binding(buffer: &wgpu::Buffer, offset: u64, size: u64) -> wgpu::BindingResource<'_> {
    wgpu::BindingResource::Buffer(wgpu::BufferBinding {
        buffer,
        offset,
        size: wgpu::BufferSize::new(size),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reach by brute force over every index in the range.
    fn brute(layout: &Layout, e0: u64, e1: u64) -> (i128, i128) {
        let offs: Vec<i128> = layout
            .offsets()
            .skip(e0 as usize)
            .take((e1 - e0) as usize)
            .map(|o| o as i128)
            .collect();
        (*offs.iter().min().unwrap(), offs.iter().max().unwrap() + 1)
    }

    #[test]
    fn reach_matches_brute_force() {
        let layouts = [
            Layout::new(vec![3, 4, 5], vec![20, 5, 1], 0),
            Layout::new(vec![3, 4, 5], vec![-20, 5, -1], 64),
            Layout::new(vec![4, 3, 2], vec![1, -8, 30], 40),
            Layout::new(vec![2, 1, 7], vec![0, 99, -3], 30),
            Layout::new(vec![6], vec![-2], 12),
            Layout::new(vec![], vec![], 5),
        ];
        for l in &layouts {
            let n = l.len() as u64;
            for e0 in 0..n {
                for e1 in e0 + 1..=n {
                    assert_eq!(reach(l, e0, e1), brute(l, e0, e1), "{l:?} [{e0}, {e1})");
                }
            }
        }
    }
}

//! RGB and RGBA `u8` images to float channel planes and back in one pass each way
//! (`shaders/planes.wgsl`), for the deconvolution filters, which work on planes `[c, h, w]`.
//!
//! The general route gives the same values, bit for bit: in, the strided convert kernel (one
//! access to read and one to write per value); out, an elementwise kernel that interleaves the
//! planes (`where` over the channel index: about five accesses per value) and then the convert
//! kernel (one and a quarter). On lavapipe, where every storage access costs about the same
//! whatever its width, one invocation here handles four pixels: a vec4 per plane and the
//! pixels' whole words, half an access per value either way. It applies to C-contiguous images
//! of 3 or 4 channels whose pixel count is a multiple of 4 (each plane starts at a whole vec4)
//! and that fit one storage binding; the callers take the general route for the rest.

use crate::error::Result;
use crate::gpu::array::GpuArray;
use crate::gpu::kernels::{binding, groups_2d, submit_once};
use crate::view::dtype::Dtype;
use crate::view::layout::{Layout, Order};

const PLANES_WGSL: &str = include_str!("../../../shaders/planes.wgsl");
/// Invocations per workgroup of `shaders/planes.wgsl`.
const WORKGROUP: u64 = 64;

/// Whether `shaders/planes.wgsl` handles an image of `c` channels and `pixels` pixels: 3 or 4
/// channels, a multiple of 4 pixels, the float planes within one binding, counts below 2^31.
fn applies(gpu: &crate::Gpu, c: usize, pixels: usize) -> bool {
    let float_bytes = (c * pixels) as u64 * 4;
    matches!(c, 3 | 4)
        && pixels > 0
        && pixels % 4 == 0
        && float_bytes <= gpu.binding()
        && c * pixels < i32::MAX as usize
}

/// Runs `shaders/planes.wgsl` in direction `dir` (0: planes → pixels, 1: pixels → planes).
fn run(
    planes: &wgpu::Buffer,
    pixels: &wgpu::Buffer,
    gpu: &crate::Gpu,
    c: usize,
    n: usize,
    dir: u32,
) -> Result<()> {
    let module = gpu.module("planes.wgsl", PLANES_WGSL)?;
    let pipeline = gpu.pipeline(
        &format!("planes dir {dir} channels {c}"),
        &module,
        &[("C", c as f64), ("DIR", dir as f64)],
    )?;
    let quads = (n / 4) as u64;
    let groups = groups_2d(quads.div_ceil(WORKGROUP));
    let params = gpu.params(&[groups.0, quads as u32])?;
    let float_bytes = (c * n) as u64 * 4;
    submit_once(
        gpu,
        if dir == 0 {
            "interleaving the channel planes as u8 pixels"
        } else {
            "splitting u8 pixels into float channel planes"
        },
        &pipeline,
        &[
            binding(planes, 0, float_bytes),
            binding(pixels, 0, c as u64 * n as u64),
            params.binding(),
        ],
        groups,
        |_| {},
    )
}

/// A `u8` image `[h, w, c]` as unit-float planes `[c, h, w]` (`x / 255`), or `None` where
/// [`applies`] says no or the image is not C-contiguous from offset 0.
pub(crate) fn unit_planes(image: &GpuArray) -> Result<Option<GpuArray>> {
    let gpu = image.gpu();
    if image.dtype() != Dtype::U8
        || image.ndim() != 3
        || !image.is_c_contiguous()
        || image.offset() != 0
    {
        return Ok(None);
    }
    let (h, w, c) = (image.shape()[0], image.shape()[1], image.shape()[2]);
    if !applies(gpu, c, h * w) {
        return Ok(None);
    }
    let out = gpu.buffer((c * h * w) as u64 * 4, GpuArray::USAGE)?;
    run(out.buffer(), image.storage()?.buffer(), gpu, c, h * w, 1)?;
    let layout = Layout::contiguous(&[c, h, w], 1, Order::C)?;
    Ok(Some(GpuArray::from_parts(
        gpu.clone(),
        out,
        Dtype::F32,
        layout,
    )))
}

/// Float planes `[c, h, w]` as a `u8` image `[h, w, c]` (`round(clamp(x, 0, 1) · 255)`, ties
/// to even, NaN → 0), or `None` where [`applies`] says no or the planes are not C-contiguous
/// f32 from offset 0.
pub(crate) fn interleave_u8(planes: &GpuArray) -> Result<Option<GpuArray>> {
    let gpu = planes.gpu();
    if planes.dtype() != Dtype::F32 || planes.ndim() != 3 {
        return Ok(None);
    }
    let (c, h, w) = (planes.shape()[0], planes.shape()[1], planes.shape()[2]);
    if !applies(gpu, c, h * w) {
        return Ok(None);
    }
    // Lazy planes are computed first; then their layout decides.
    let buffer = planes.storage()?.buffer();
    if !planes.is_c_contiguous() || planes.offset() != 0 {
        return Ok(None);
    }
    let out = gpu.buffer((c * h * w) as u64, GpuArray::USAGE)?;
    run(buffer, out.buffer(), gpu, c, h * w, 0)?;
    let layout = Layout::contiguous(&[h, w, c], 1, Order::C)?;
    Ok(Some(GpuArray::from_parts(
        gpu.clone(),
        out,
        Dtype::U8,
        layout,
    )))
}

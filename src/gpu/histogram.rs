//! Histograms of 8-bit data (`shaders/histogram.wgsl`), e.g. for histogram equalisation, and
//! lookup tables applied to it (`shaders/lut.wgsl`).

use crate::error::{Error, Result};
use crate::gpu::array::GpuArray;
use crate::gpu::kernels::{binding, groups_2d, submit_once};
use crate::view::dtype::Dtype;
use crate::view::layout::{Layout, Order};
use crate::view::view::View;

const HISTOGRAM_WGSL: &str = include_str!("../../shaders/histogram.wgsl");
const LUT_WGSL: &str = include_str!("../../shaders/lut.wgsl");
/// Bytes one workgroup counts: 256 invocations × 16 words × 4 bytes.
const BLOCK: u64 = 256 * 16 * 4;

impl GpuArray {
    /// How often each value 0..=255 occurs in `u8` data, as 256 `u32` counts: NumPy's
    /// `bincount(x.ravel(), minlength=256)`. Strided and lazy inputs are made contiguous first.
    ///
    /// ```
    /// use gpuarray::{Gpu, View};
    /// let gpu = Gpu::new()?;
    /// let a = gpu.upload(&View::from_slice(&[3u8, 0, 3, 255, 3], &[5])?)?;
    /// let h = a.histogram_u8()?.to_host()?;
    /// let h = h.as_slice::<u32>()?;
    /// assert_eq!((h[0], h[3], h[255], h.iter().sum::<u32>()), (1, 3, 1, 5));
    /// # Ok::<(), gpuarray::Error>(())
    /// ```
    pub fn histogram_u8(&self) -> Result<GpuArray> {
        if self.dtype != Dtype::U8 {
            return Err(Error::dtype(format!(
                "histogram_u8 counts uint8 data, not {} (convert with astype or from_unit_float)",
                self.dtype
            )));
        }
        let x = self.contiguous()?;
        let gpu = &self.gpu;
        let n = x.len() as u64;
        if n > u32::MAX as u64 {
            return Err(Error::unsupported("histograms of more than 2^32 elements"));
        }
        let counts = gpu.buffer(256 * 4, GpuArray::USAGE)?;
        let data = x.storage()?.buffer();
        let module = gpu.module("histogram.wgsl", HISTOGRAM_WGSL)?;
        let pipeline = gpu.pipeline("histogram", &module, &[])?;
        // Chunks of whole blocks, each bound through its own window of the data, add to the
        // same counts (a pooled buffer holds old data: they start from zero).
        let chunk = gpu.binding() / BLOCK * BLOCK;
        let mut start = 0;
        while start < n.max(1) {
            let len = chunk.min(n - start);
            let groups = groups_2d(len.div_ceil(BLOCK));
            let params = gpu.params(&[len as u32, groups.0])?;
            let resources = [
                binding(
                    data,
                    start,
                    len.next_multiple_of(4).min(data.size() - start),
                ),
                binding(counts.buffer(), 0, 256 * 4),
                params.binding(),
            ];
            submit_once(
                gpu,
                "counting a histogram",
                &pipeline,
                &resources,
                groups,
                |encoder| {
                    crate::gpu::tape::opaque(gpu, "a buffer cleared on the encoder");
                    if start == 0 {
                        encoder.clear_buffer(counts.buffer(), 0, Some(256 * 4))
                    }
                },
            )?;
            start += chunk;
        }
        Ok(GpuArray::from_parts(
            gpu.clone(),
            counts,
            Dtype::U32,
            Layout::contiguous(&[256], 1, Order::C)?,
        ))
    }
}

impl GpuArray {
    /// `out[i] = lut[(i % channels) * 256 + x[i]]` for contiguous `u8` data `x`, as `f32`.
    pub(crate) fn lookup_u8(&self, lut: &[f32], channels: usize) -> Result<GpuArray> {
        let x = self;
        if x.dtype != Dtype::U8 || lut.len() != channels * 256 || channels == 0 {
            return Err(Error::dtype(format!(
                "lookup_u8 maps uint8 data through tables of 256 values, not {} data through \
                 {} values for {channels} channels",
                x.dtype,
                lut.len()
            )));
        }
        let gpu = x.gpu();
        let x = x.contiguous()?;
        let n = x.len() as u64;
        let layout = Layout::contiguous(x.shape(), 1, Order::C)?;
        if n == 0 {
            return gpu
                .upload(&View::from_slice::<f32>(&[], &[0])?)?
                .reshape(&x.shape().iter().map(|&s| s as isize).collect::<Vec<_>>());
        }
        // Chunks start at a multiple of 256 elements (aligned binding offsets of the data and
        // of the f32 results) and of `channels` (so `i % channels` is still the channel).
        let step = 256 * channels as u64;
        let chunk = gpu.binding() / 4 / step * step;
        if chunk == 0 || n > u32::MAX as u64 {
            return Err(Error::unsupported(format!(
                "lookup tables over {channels} channels or {n} elements (at most {} and 2^32)",
                gpu.binding() / 4 / 256
            )));
        }
        let out = gpu.buffer(n * 4, GpuArray::USAGE)?;
        let table = gpu.upload(&View::from_slice(lut, &[lut.len()])?)?;
        let module = gpu.module("lut.wgsl", LUT_WGSL)?;
        let pipeline = gpu.pipeline("lut", &module, &[])?;
        let data = x.storage()?.buffer();
        let mut start = 0;
        while start < n {
            let len = chunk.min(n - start);
            let groups = groups_2d(len.div_ceil(256));
            let params = gpu.params(&[len as u32, channels as u32, groups.0 * 256, 0])?;
            let resources = [
                binding(
                    data,
                    start,
                    len.next_multiple_of(4).min(data.size() - start),
                ),
                table.storage()?.buffer().as_entire_binding(),
                binding(out.buffer(), start * 4, len * 4),
                params.binding(),
            ];
            submit_once(
                gpu,
                "applying a lookup table",
                &pipeline,
                &resources,
                groups,
                |_| {},
            )?;
            start += chunk;
        }
        Ok(GpuArray::from_parts(gpu.clone(), out, Dtype::F32, layout))
    }
}

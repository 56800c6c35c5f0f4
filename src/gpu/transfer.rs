//! Host views to GPU arrays and back.
//!
//! - A C-contiguous view in native byte order is written straight from its borrowed bytes into
//!   the storage buffer (`Queue::write_buffer`: one copy into wgpu's staging memory, no
//!   intermediate `Vec`).
//! - A strided view (sliced, stepped, negative strides, transposed) uploads the bytes it spans once
//!   and is gathered into a contiguous array on the GPU; a view in the other byte order is
//!   swapped in the same kernel.
//! - Download copies the buffer into a mappable buffer, maps it, and copies once into a
//!   [`HostArray`]. Polling happens inside: nothing to forget.

use std::sync::mpsc;

use crate::error::{Error, Result};
use crate::gpu::array::{GpuArray, dtype_code};
use crate::gpu::context::{Counters, Gpu};
use crate::gpu::kernels::{self, Mode, Source};
use crate::view::convert::Scalar;
use crate::view::dtype::Dtype;
use crate::view::layout::{Layout, Order};
use crate::view::view::{HostArray, View, ViewMut};

impl Gpu {
    /// Uploads a host view. Its dtype must be one the GPU holds (not `i64`, `u64`, `f64`,
    /// `complex128`: use [`upload_as`](Self::upload_as) for those).
    ///
    /// ```
    /// use gpuarray::{Gpu, View};
    /// let gpu = Gpu::new()?;
    /// let rgb = image::RgbImage::new(64, 48);
    /// let a = gpu.upload(&View::from_image(&rgb)?)?;
    /// assert_eq!(a.shape(), [48, 64, 3]);
    /// # Ok::<(), gpuarray::Error>(())
    /// ```
    pub fn upload(&self, view: &View<'_>) -> Result<GpuArray> {
        let scalar = Scalar::of(view.format()).ok_or_else(|| {
            Error::dtype(format!(
                "only numeric scalar formats go to the GPU, not {:?}",
                view.format().to_string()
            ))
        })?;
        dtype_code(scalar.dtype)?;
        Counters::bump(&self.inner.counters.uploads);
        let itemsize = scalar.dtype.itemsize();
        if view.is_empty() {
            let layout = Layout::contiguous(view.shape(), 1, Order::C)?;
            let buffer = self.buffer(4, GpuArray::USAGE)?;
            return Ok(GpuArray::from_parts(
                self.clone(),
                buffer,
                scalar.dtype,
                layout,
            ));
        }
        if !scalar.swap
            && let Some(bytes) = view.contiguous_bytes()
        {
            let layout = Layout::contiguous(view.shape(), 1, Order::C)?;
            let buffer = self.write_bytes(bytes)?;
            return Ok(GpuArray::from_parts(
                self.clone(),
                buffer,
                scalar.dtype,
                layout,
            ));
        }
        // Strided or byte-swapped: upload the span once, gather on the GPU.
        let Some((start, layout)) = element_window(view.layout(), itemsize) else {
            // Strides that are not whole elements, or elements not word-aligned relative to each
            // other: repack on the host (rare: only standard-size formats allow such layouts).
            return self.upload(&view.to_contiguous()?.view());
        };
        let span = view.layout().byte_range(itemsize).expect("not empty");
        let raw = self.write_bytes(&view.bytes()[start..span.end])?;
        let source = Source {
            buffer: raw.buffer(),
            dtype: scalar.dtype,
            swap: scalar.swap,
            layout: &layout,
        };
        kernels::convert(self, source, scalar.dtype, Mode::Cast)
    }

    /// Uploads a view converted to `dtype`: on the GPU between GPU dtypes, on the host (while
    /// copying, NumPy `astype` semantics) from the 64-bit dtypes, which the GPU cannot hold.
    ///
    /// ```
    /// use gpuarray::{Dtype, Gpu, View};
    /// let gpu = Gpu::new()?;
    /// let data = [1.5f64, -2.0, 1e10];
    /// assert!(gpu.upload(&View::from_slice(&data, &[3])?).is_err());
    /// let a = gpu.upload_as(&View::from_slice(&data, &[3])?, Dtype::F32)?;
    /// assert_eq!(a.to_host()?.as_slice::<f32>()?, [1.5, -2.0, 1e10]);
    /// # Ok::<(), gpuarray::Error>(())
    /// ```
    pub fn upload_as(&self, view: &View<'_>, dtype: Dtype) -> Result<GpuArray> {
        dtype_code(dtype)?;
        let from = view.dtype().ok_or_else(|| {
            Error::dtype(format!(
                "only numeric scalar formats go to the GPU, not {:?}",
                view.format().to_string()
            ))
        })?;
        if dtype_code(from).is_err() {
            return self.upload(&view.astype(dtype)?.view());
        }
        let a = self.upload(view)?;
        if from == dtype {
            Ok(a)
        } else {
            a.astype(dtype)
        }
    }

    /// A new buffer holding `bytes` (padded with zeros to whole words).
    fn write_bytes(&self, bytes: &[u8]) -> Result<crate::gpu::pool::PooledBuffer> {
        let size = (bytes.len() as u64).next_multiple_of(4);
        let buffer = self.buffer(size, GpuArray::USAGE)?;
        crate::gpu::tape::note_write(self, buffer.buffer());
        let whole = bytes.len() / 4 * 4;
        self.scoped("uploading", || {
            let queue = &self.inner.queue;
            if whole > 0 {
                queue.write_buffer(buffer.buffer(), 0, &bytes[..whole]);
            }
            if whole < bytes.len() {
                let mut tail = [0u8; 4];
                tail[..bytes.len() - whole].copy_from_slice(&bytes[whole..]);
                queue.write_buffer(buffer.buffer(), whole as u64, &tail);
            }
        })?;
        Ok(buffer)
    }
}

/// For a non-empty strided view: the byte where its uploaded window starts and its layout in
/// elements relative to that byte, or `None` when the elements cannot be addressed as whole
/// elements of a word-aligned window.
fn element_window(layout: &Layout, itemsize: usize) -> Option<(usize, Layout)> {
    let lo = layout.byte_range(itemsize)?.start;
    if layout
        .strides
        .iter()
        .zip(&layout.shape)
        .any(|(&s, &n)| n > 1 && s.unsigned_abs() % itemsize != 0)
    {
        return None;
    }
    // A word-aligned start at or below `lo` from which the elements lie at whole multiples of
    // the item size.
    let start = (0..=itemsize.max(4) / 4)
        .map(|k| (lo / 4).checked_sub(k).map(|w| w * 4))
        .map_while(|s| s)
        .find(|&s| (layout.offset - s) % itemsize == 0)?;
    let strides = layout
        .strides
        .iter()
        .map(|&s| s / itemsize as isize)
        .collect();
    let offset = (layout.offset - start) / itemsize;
    Some((start, Layout::new(layout.shape.clone(), strides, offset)))
}

impl GpuArray {
    /// Downloads into a new C-contiguous host array (native byte order).
    pub fn to_host(&self) -> Result<HostArray> {
        let mut host = HostArray::zeros(self.shape(), self.dtype)?;
        self.download_bytes(host.bytes_mut())?;
        Ok(host)
    }

    /// Downloads into an existing writable view of the same shape and dtype (any strides, any
    /// byte order).
    pub fn download_into(&self, dst: &mut ViewMut<'_>) -> Result<()> {
        if dst.shape() != self.shape() {
            return Err(Error::shape(format!(
                "cannot download shape {:?} into shape {:?}",
                self.shape(),
                dst.shape()
            )));
        }
        if dst.dtype() != Some(self.dtype) {
            return Err(Error::dtype(format!(
                "cannot download {} into a view of format {:?}",
                self.dtype,
                dst.format().to_string()
            )));
        }
        let native = Scalar::of(dst.format()).is_some_and(|s| !s.swap);
        if native && dst.is_c_contiguous() && !dst.is_empty() {
            let (start, len) = (dst.offset(), dst.nbytes());
            return self.download_bytes(&mut dst.bytes_mut()[start..start + len]);
        }
        dst.copy_from(&self.to_host()?.view())
    }

    /// Copies the elements, C order, into `out` (exactly `len × itemsize` bytes).
    fn download_bytes(&self, out: &mut [u8]) -> Result<()> {
        if out.is_empty() {
            return Ok(());
        }
        let array = self.contiguous()?;
        let gpu = &self.gpu;
        Counters::bump(&gpu.inner.counters.downloads);
        let size = (out.len() as u64).next_multiple_of(4);
        let staging = gpu.buffer(
            size,
            wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        )?;
        let source = array.storage()?.buffer();
        crate::gpu::tape::opaque(gpu, "a download");
        gpu.record("downloading", |encoder| {
            encoder.copy_buffer_to_buffer(source, 0, staging.buffer(), 0, size);
            Ok(())
        })?;
        read_mapped(gpu, staging.buffer(), size, |mapped| {
            out.copy_from_slice(&mapped[..out.len()])
        })
    }
}

/// Maps the first `size` bytes of a `MAP_READ` buffer once the GPU is done with it, lets `read`
/// see them, and unmaps. The recorded work (the copy into it among it) is submitted first.
pub(crate) fn read_mapped(
    gpu: &Gpu,
    staging: &wgpu::Buffer,
    size: u64,
    read: impl FnOnce(&[u8]),
) -> Result<()> {
    gpu.flush()?;
    let (tx, rx) = mpsc::channel();
    staging
        .slice(..size)
        .map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
    let what = "mapping a buffer for download";
    gpu.wait().map_err(|e| gpu.or_lost(what, e))?;
    rx.recv()
        .map_err(|_| Error::Gpu("the GPU dropped a buffer mapping".into()))
        .and_then(|r| r.map_err(|e| Error::Gpu(format!("{what}: {e}"))))
        .map_err(|e| gpu.or_lost(what, e))?;
    {
        let mapped = staging
            .get_mapped_range(..size)
            .map_err(|e| Error::Gpu(format!("reading a mapped buffer: {e}")))?;
        read(&mapped);
    }
    staging.unmap();
    Ok(())
}

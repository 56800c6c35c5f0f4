//! [`GpuArray`]: a dtype, shape, element strides and offset over a shared storage buffer.

use std::fmt;
use std::sync::{Arc, OnceLock};

use crate::error::{Error, Result};
use crate::gpu::context::Gpu;
use crate::gpu::elementwise::{self, Expr};
use crate::gpu::kernels::{self, Mode, Source};
use crate::gpu::pool::PooledBuffer;
use crate::view::dtype::Dtype;
use crate::view::layout::{Layout, SliceArg};

/// An N-dimensional array in GPU memory.
///
/// Storage is a buffer of 32-bit words: `bool`, `i8` and `u8` are packed four to a word,
/// `i16`, `u16` and `f16` two to a word, `complex64` takes two words. The 64-bit dtypes (`i64`,
/// `u64`, `f64`, `complex128`) do not live on the GPU: [`Gpu::upload_as`] converts them.
///
/// Slicing, transposing, reshaping and broadcasting change metadata only (shape, strides and
/// offset, counted in elements); the buffer is shared. Arrays are immutable: every operation
/// makes a new array.
///
/// ```
/// use gpuarray::{Gpu, SliceArg, View};
/// let gpu = Gpu::new()?;
/// let data: Vec<u8> = (0..24).collect();
/// let a = gpu.upload(&View::from_slice(&data, &[2, 3, 4])?)?;
/// let b = a.slice(&[SliceArg::ALL, SliceArg::step(-1), 2.into()])?; // no copy
/// let host = b.astype(gpuarray::Dtype::F32)?.to_host()?;
/// assert_eq!(host.as_slice::<f32>()?, [10.0, 6.0, 2.0, 22.0, 18.0, 14.0]);
/// # Ok::<(), gpuarray::Error>(())
/// ```
#[derive(Clone)]
pub struct GpuArray {
    pub(crate) gpu: Gpu,
    pub(crate) dtype: Dtype,
    /// Shape, strides and offset in elements, into the buffer of `data`.
    pub(crate) layout: Layout,
    pub(crate) data: Arc<Data>,
}

/// The elements behind one or more arrays: a buffer, or an expression that fills one (C order,
/// offset 0) the first time it is needed.
pub(crate) struct Data {
    buffer: OnceLock<PooledBuffer>,
    pub(crate) expr: Option<Expr>,
    /// Why an operator could not build this array (reported when it is used).
    error: Option<Error>,
}

/// The dtype code `shaders/convert.wgsl` knows (its position in [`GpuArray::DTYPES`]), or an
/// error for the 64-bit dtypes.
pub(crate) fn dtype_code(dtype: Dtype) -> Result<u32> {
    if let Some(code) = GpuArray::DTYPES.iter().position(|&d| d == dtype) {
        return Ok(code as u32);
    }
    let narrow = match dtype {
        Dtype::I64 => "I32",
        Dtype::U64 => "U32",
        Dtype::C128 => "C64",
        _ => "F32",
    };
    Err(Error::dtype(format!(
        "{dtype} does not live on the GPU (WGSL has no 64-bit types); convert explicitly with \
         Gpu::upload_as(view, Dtype::{narrow})"
    )))
}

impl Data {
    pub(crate) fn lazy(expr: Expr) -> Data {
        Data {
            buffer: OnceLock::new(),
            expr: Some(expr),
            error: None,
        }
    }
}

impl GpuArray {
    /// The dtypes that live on the GPU (not the 64-bit ones).
    pub const DTYPES: [Dtype; 10] = [
        Dtype::Bool,
        Dtype::I8,
        Dtype::U8,
        Dtype::I16,
        Dtype::U16,
        Dtype::I32,
        Dtype::U32,
        Dtype::F16,
        Dtype::F32,
        Dtype::C64,
    ];

    /// Usage of every array buffer.
    pub(crate) const USAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
        .union(wgpu::BufferUsages::COPY_SRC)
        .union(wgpu::BufferUsages::COPY_DST);

    pub(crate) fn from_parts(gpu: Gpu, buffer: PooledBuffer, dtype: Dtype, layout: Layout) -> Self {
        GpuArray {
            gpu,
            dtype,
            layout,
            data: Arc::new(Data {
                buffer: OnceLock::from(buffer),
                expr: None,
                error: None,
            }),
        }
    }

    /// The buffer of a freshly computed array that nothing else shares.
    pub(crate) fn into_buffer(self) -> PooledBuffer {
        Arc::try_unwrap(self.data)
            .ok()
            .and_then(|d| d.buffer.into_inner())
            .expect("a fresh result is computed and not shared")
    }

    fn with_layout(&self, layout: Layout) -> GpuArray {
        GpuArray {
            gpu: self.gpu.clone(),
            dtype: self.dtype,
            layout,
            data: self.data.clone(),
        }
    }

    /// The array an operator returns: `result`, or a 0-d placeholder holding its error, which
    /// every later use of the array reports.
    pub(crate) fn deferred(&self, result: Result<GpuArray>) -> GpuArray {
        result.unwrap_or_else(|error| GpuArray {
            gpu: self.gpu.clone(),
            dtype: Dtype::F32,
            layout: Layout::default(),
            data: Arc::new(Data {
                buffer: OnceLock::new(),
                expr: None,
                error: Some(error),
            }),
        })
    }

    /// The error an operator stored in this array, if any.
    pub(crate) fn check(&self) -> Result<()> {
        match &self.data.error {
            Some(e) => Err(e.replay()),
            None => Ok(()),
        }
    }

    /// The buffer behind the array, computing it first if the array is a pending expression.
    pub(crate) fn storage(&self) -> Result<&PooledBuffer> {
        if let Some(b) = self.data.buffer.get() {
            return Ok(b);
        }
        self.check()?;
        let expr = self
            .data
            .expr
            .as_ref()
            .expect("an array without a buffer has an expression");
        let buffer = elementwise::evaluate(&self.gpu, expr)?;
        // Another thread may have evaluated it meanwhile; either result is the same.
        let _ = self.data.buffer.set(buffer);
        Ok(self.data.buffer.get().expect("just set"))
    }

    /// Whether the elements are still a pending expression (not computed yet).
    pub fn is_lazy(&self) -> bool {
        self.data.buffer.get().is_none()
    }

    /// Computes a pending expression now (elementwise chains are lazy and fuse into one kernel
    /// when their result is needed). Does nothing for an array that is already computed.
    pub fn eval(&self) -> Result<&GpuArray> {
        self.storage()?;
        Ok(self)
    }

    /// The context the array lives in.
    pub fn gpu(&self) -> &Gpu {
        &self.gpu
    }

    /// The element type.
    pub fn dtype(&self) -> Dtype {
        self.dtype
    }

    /// Extent of each dimension.
    pub fn shape(&self) -> &[usize] {
        &self.layout.shape
    }

    /// Strides in elements (not bytes).
    pub fn strides(&self) -> &[isize] {
        &self.layout.strides
    }

    /// Offset of element `[0, 0, ...]` in the buffer, in elements.
    pub fn offset(&self) -> usize {
        self.layout.offset
    }

    /// Number of dimensions.
    pub fn ndim(&self) -> usize {
        self.layout.ndim()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.layout.len()
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.layout.is_empty()
    }

    /// Whether the elements are C-contiguous (CPython's rule) in the buffer.
    pub fn is_c_contiguous(&self) -> bool {
        self.layout.is_c_contiguous(1)
    }

    /// The storage buffer, for users with their own shaders. Elements are laid out as
    /// [`strides`](Self::strides) and [`offset`](Self::offset) say, packed as the type docs say.
    pub fn buffer(&self) -> Result<&wgpu::Buffer> {
        Ok(self.storage()?.buffer())
    }

    /// NumPy basic indexing, without copying (see [`Layout::slice`]).
    pub fn slice(&self, args: &[SliceArg]) -> Result<GpuArray> {
        self.check()?;
        Ok(self.with_layout(self.layout.slice(args)?))
    }

    /// Reverses the axes, without copying.
    pub fn transpose(&self) -> GpuArray {
        self.with_layout(self.layout.transpose())
    }

    /// Reorders the axes, without copying.
    pub fn permute(&self, axes: &[usize]) -> Result<GpuArray> {
        self.check()?;
        Ok(self.with_layout(self.layout.permute(axes)?))
    }

    /// Reshapes without copying when the strides allow it, else copies through
    /// [`contiguous`](Self::contiguous) first (the GPU copy is cheap, unlike on the host).
    pub fn reshape(&self, shape: &[isize]) -> Result<GpuArray> {
        self.check()?;
        match self.layout.reshape(shape, 1) {
            Ok(layout) => Ok(self.with_layout(layout)),
            Err(Error::Shape(msg)) if msg.contains("needs a copy") => {
                let c = self.contiguous()?;
                Ok(c.with_layout(c.layout.reshape(shape, 1)?))
            }
            Err(e) => Err(e),
        }
    }

    /// Broadcasts to `shape` by NumPy's rules (zero strides), without copying.
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<GpuArray> {
        self.check()?;
        Ok(self.with_layout(self.layout.broadcast_to(shape)?))
    }

    fn source(&self) -> Result<Source<'_>> {
        Ok(Source {
            buffer: self.storage()?.buffer(),
            dtype: self.dtype,
            swap: false,
            layout: &self.layout,
        })
    }

    /// A C-contiguous array with offset 0: the same array when it already is one, else a copy
    /// made by a gather kernel.
    pub fn contiguous(&self) -> Result<GpuArray> {
        if self.is_c_contiguous() && self.layout.offset == 0 {
            return Ok(self.clone());
        }
        kernels::convert(&self.gpu, self.source()?, self.dtype, Mode::Cast)
    }

    /// Converts to `dtype` on the GPU with NumPy's `astype` semantics: integers wrap, float →
    /// integer truncates toward zero and saturates at the type's range (NaN → 0; NumPy leaves
    /// these undefined), complex → real keeps the real part, anything → bool is "nonzero" (NaN
    /// included). The result is C-contiguous.
    pub fn astype(&self, dtype: Dtype) -> Result<GpuArray> {
        dtype_code(dtype)?;
        kernels::convert(&self.gpu, self.source()?, dtype, Mode::Cast)
    }

    /// `u8`/`u16` image data as `f32` in [0, 1] (`x / 255` or `x / 65535`).
    pub fn to_unit_float(&self) -> Result<GpuArray> {
        match self.dtype {
            Dtype::U8 | Dtype::U16 => {
                kernels::convert(&self.gpu, self.source()?, Dtype::F32, Mode::ToUnit)
            }
            other => Err(Error::dtype(format!(
                "to_unit_float takes uint8 or uint16 data, not {other}"
            ))),
        }
    }

    /// Float data in [0, 1] as `u8` or `u16`: clamped to [0, 1], scaled by 255 or 65535 and
    /// rounded to nearest (ties to even); NaN → 0.
    pub fn from_unit_float(&self, dtype: Dtype) -> Result<GpuArray> {
        match (self.dtype, dtype) {
            (Dtype::F16 | Dtype::F32, Dtype::U8 | Dtype::U16) => {
                kernels::convert(&self.gpu, self.source()?, dtype, Mode::FromUnit)
            }
            (from, to) => Err(Error::dtype(format!(
                "from_unit_float converts float16/float32 to uint8/uint16, not {from} to {to}"
            ))),
        }
    }
}

impl fmt::Debug for GpuArray {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GpuArray")
            .field("dtype", &self.dtype)
            .field("shape", &self.layout.shape)
            .field("strides", &self.layout.strides)
            .field("offset", &self.layout.offset)
            .finish()
    }
}

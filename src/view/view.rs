//! [`View`] and [`ViewMut`] borrow bytes with a layout and a format; [`HostArray`] owns them.
//!
//! Creating, slicing, transposing and reshaping a view never copies. Every view is validated when
//! it is made, so reading any element of it is always in bounds.

use std::fmt;

use bytemuck::{Pod, Zeroable};

use crate::error::{Error, Result};
use crate::view::convert::{Scalar, convert};
use crate::view::dtype::{Dtype, Element};
use crate::view::format::Format;
use crate::view::layout::{Layout, Order, SliceArg};

/// Read-only N-dimensional view of borrowed bytes.
///
/// ```
/// use gpuarray::{SliceArg, View};
/// let pixels: Vec<u8> = (0..24).collect();
/// let img = View::from_slice(&pixels, &[2, 4, 3])?; // [height, width, channels]
/// let green = img.slice(&[SliceArg::ALL, SliceArg::ALL, 1.into()])?;
/// assert_eq!(green.shape(), [2, 4]);
/// assert_eq!(green.strides(), [12, 3]);
/// assert_eq!(green.get::<u8>(&[1, 2])?, 12 + 6 + 1);
/// # Ok::<(), gpuarray::Error>(())
/// ```
#[derive(Clone)]
pub struct View<'a> {
    data: &'a [u8],
    layout: Layout,
    format: Format,
}

/// Writable N-dimensional view of mutably borrowed bytes. Its elements never alias.
///
/// A writable view can only be made from `&mut` data, so a writable view over read-only data
/// does not compile:
///
/// ```compile_fail
/// use gpuarray::ViewMut;
/// let data = [0u8; 4];
/// let v = ViewMut::from_slice(&data[..], &[4]); // expected `&mut [_]`
/// ```
pub struct ViewMut<'a> {
    data: &'a mut [u8],
    layout: Layout,
    format: Format,
}

/// 16 bytes aligned to 16: storage unit of a [`HostArray`], so every dtype is aligned.
#[derive(Clone, Copy, Pod, Zeroable)]
#[repr(C, align(16))]
struct Block([u8; 16]);

/// An owned, C-contiguous N-dimensional array in host memory, aligned for any dtype.
#[derive(Clone)]
pub struct HostArray {
    blocks: Vec<Block>,
    nbytes: usize,
    layout: Layout,
    format: Format,
}

fn scalar_for<T: Element>(format: &Format) -> Result<Scalar> {
    let scalar = Scalar::of(format).ok_or_else(|| {
        Error::dtype(format!(
            "format {:?} is not a single numeric element",
            format.to_string()
        ))
    })?;
    // Bool is stored as one byte, 0 or 1: read it as u8.
    let fits = scalar.dtype == T::DTYPE || (scalar.dtype == Dtype::Bool && T::DTYPE == Dtype::U8);
    if !fits {
        return Err(Error::dtype(format!(
            "the view holds {} (format {:?}), not {}",
            scalar.dtype,
            format.to_string(),
            T::DTYPE
        )));
    }
    Ok(scalar)
}

/// Methods shared by `View` and `ViewMut`, written once over the three fields they share.
macro_rules! view_metadata {
    () => {
        /// Extent of each dimension.
        pub fn shape(&self) -> &[usize] {
            &self.layout.shape
        }

        /// Byte strides of each dimension.
        pub fn strides(&self) -> &[isize] {
            &self.layout.strides
        }

        /// Byte offset of element `[0, 0, ...]` in the viewed bytes.
        pub fn offset(&self) -> usize {
            self.layout.offset
        }

        /// Shape, strides and offset together.
        pub fn layout(&self) -> &Layout {
            &self.layout
        }

        /// The element format.
        pub fn format(&self) -> &Format {
            &self.format
        }

        /// The dtype, when the format is one numeric scalar.
        pub fn dtype(&self) -> Option<Dtype> {
            self.format.dtype()
        }

        /// Bytes per element.
        pub fn itemsize(&self) -> usize {
            self.format.itemsize()
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

        /// Bytes the elements occupy (`len × itemsize`), not counting gaps between them.
        pub fn nbytes(&self) -> usize {
            self.len() * self.itemsize()
        }

        /// C-contiguous (CPython's rule).
        pub fn is_c_contiguous(&self) -> bool {
            self.layout.is_c_contiguous(self.itemsize())
        }

        /// F-contiguous (CPython's rule).
        pub fn is_f_contiguous(&self) -> bool {
            self.layout.is_f_contiguous(self.itemsize())
        }

        /// C- or F-contiguous.
        pub fn is_contiguous(&self) -> bool {
            self.layout.is_contiguous(self.itemsize())
        }

        /// Reads the element at `index`. `T` must be the view's dtype (`u8` also reads bool);
        /// elements stored in the other byte order are swapped.
        pub fn get<T: Element>(&self, index: &[usize]) -> Result<T> {
            self.view().get_impl(index)
        }

        /// Copies the elements, in C order, into an owned C-contiguous array of the same format.
        /// Fails only when the host allocation fails ([`Error::OutOfMemory`]).
        pub fn to_contiguous(&self) -> Result<HostArray> {
            self.view().to_contiguous_impl()
        }

        /// Converts the elements to `dtype` on the host (NumPy `astype` semantics: integers
        /// wrap, floats truncate and saturate into integers with NaN → 0, complex → real keeps
        /// the real part), into a native-order C-contiguous array.
        pub fn astype(&self, dtype: Dtype) -> Result<HostArray> {
            self.view().astype_impl(dtype)
        }

        /// The elements in C order as a `Vec<T>` (`T` must be the view's dtype).
        pub fn to_vec<T: Element>(&self) -> Result<Vec<T>> {
            Ok(self.view().iter::<T>()?.collect())
        }
    };
}

impl<'a> View<'a> {
    /// A view of `data` with the given layout and format, after checking that every element lies
    /// inside `data` and that strides respect the format's alignment.
    pub fn new(data: &'a [u8], layout: Layout, format: Format) -> Result<View<'a>> {
        layout.validate(format.itemsize(), format.alignment(), data.len())?;
        Ok(View {
            data,
            layout,
            format,
        })
    }

    /// A C-contiguous view of `data` (all of it) with `shape` and a format string.
    ///
    /// ```
    /// use gpuarray::View;
    /// let bytes = [0u8; 24];
    /// let v = View::from_bytes(&bytes, &[2, 3], "<f")?;
    /// assert_eq!(v.strides(), [12, 4]);
    /// assert!(View::from_bytes(&bytes, &[2, 4], "<f").is_err()); // 32 bytes needed
    /// # Ok::<(), gpuarray::Error>(())
    /// ```
    pub fn from_bytes(data: &'a [u8], shape: &[usize], format: &str) -> Result<View<'a>> {
        let format = Format::parse(format)?;
        let layout = exact_c_layout(shape, &format, data.len())?;
        View::new(data, layout, format)
    }

    /// A C-contiguous view of a typed slice, without copying.
    pub fn from_slice<T: Element>(data: &'a [T], shape: &[usize]) -> Result<View<'a>> {
        let format = Format::from_dtype(T::DTYPE);
        let bytes: &[u8] = bytemuck::cast_slice(data);
        let layout = exact_c_layout(shape, &format, bytes.len())?;
        View::new(bytes, layout, format)
    }

    /// The whole borrowed buffer (elements start at [`offset`](Self::offset)).
    pub fn bytes(&self) -> &'a [u8] {
        self.data
    }

    /// The elements' bytes as one slice when the view is C-contiguous, else `None`.
    pub fn contiguous_bytes(&self) -> Option<&'a [u8]> {
        if !self.is_c_contiguous() {
            return None;
        }
        let start = self.layout.offset.min(self.data.len());
        Some(&self.data[start..start + self.nbytes()])
    }

    fn view(&self) -> View<'a> {
        self.clone()
    }

    fn with_layout(&self, layout: Layout) -> Result<View<'a>> {
        View::new(self.data, layout, self.format.clone())
    }

    /// NumPy basic indexing (see [`Layout::slice`]).
    pub fn slice(&self, args: &[SliceArg]) -> Result<View<'a>> {
        self.with_layout(self.layout.slice(args)?)
    }

    /// `start:stop:step` along one axis.
    pub fn slice_axis(&self, axis: usize, arg: SliceArg) -> Result<View<'a>> {
        self.with_layout(self.layout.slice(&axis_args(axis, arg, self.ndim())?)?)
    }

    /// Selects position `index` of `axis` and drops that axis.
    pub fn index_axis(&self, axis: usize, index: isize) -> Result<View<'a>> {
        self.slice_axis(axis, SliceArg::Index(index))
    }

    /// Reverses the axes.
    pub fn transpose(&self) -> View<'a> {
        View {
            data: self.data,
            layout: self.layout.transpose(),
            format: self.format.clone(),
        }
    }

    /// Reorders the axes (see [`Layout::permute`]).
    pub fn permute(&self, axes: &[usize]) -> Result<View<'a>> {
        self.with_layout(self.layout.permute(axes)?)
    }

    /// Reshapes without copying, or errors saying a copy is needed (see [`Layout::reshape`]).
    pub fn reshape(&self, shape: &[isize]) -> Result<View<'a>> {
        self.with_layout(self.layout.reshape(shape, self.itemsize())?)
    }

    /// Broadcasts to `shape` (zero strides; a read-only view, see [`Layout::broadcast_to`]).
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<View<'a>> {
        self.with_layout(self.layout.broadcast_to(shape)?)
    }

    /// Reinterprets the bytes of a C-contiguous view with another format and shape, like
    /// Python's `memoryview.cast`. `shape` defaults to 1-D. Unlike CPython, any two formats may be
    /// cast into each other (not only to and from bytes) as long as the sizes work out.
    ///
    /// ```
    /// use gpuarray::View;
    /// let data = [1.0f32, 2.0, 3.0, 4.0];
    /// let v = View::from_slice(&data, &[4])?;
    /// let bytes = v.cast("B", None)?;
    /// assert_eq!(bytes.shape(), [16]);
    /// let pairs = bytes.cast("Zf", Some(&[2]))?;
    /// assert_eq!(pairs.get::<num_complex::Complex32>(&[1])?, num_complex::Complex32::new(3.0, 4.0));
    /// # Ok::<(), gpuarray::Error>(())
    /// ```
    pub fn cast(&self, format: &str, shape: Option<&[usize]>) -> Result<View<'a>> {
        let format = Format::parse(format)?;
        let layout = cast_layout(&self.layout, self.itemsize(), self.len(), &format, shape)?;
        View::new(self.data, layout, format)
    }

    /// Iterates the elements in C order as `T` (the view's dtype).
    pub fn iter<T: Element>(&self) -> Result<impl ExactSizeIterator<Item = T> + 'a> {
        let scalar = scalar_for::<T>(&self.format)?;
        let data = self.data;
        Ok(self
            .layout
            .offsets()
            .map(move |at| scalar.read(&data[at..])))
    }

    fn get_impl<T: Element>(&self, index: &[usize]) -> Result<T> {
        let scalar = scalar_for::<T>(&self.format)?;
        let at = self.layout.offset_of(index)?;
        Ok(scalar.read(&self.data[at..]))
    }

    fn to_contiguous_impl(&self) -> Result<HostArray> {
        let mut out = HostArray::alloc(self.layout.shape.clone(), self.format.clone())?;
        if let Some(bytes) = self.contiguous_bytes() {
            out.bytes_mut().copy_from_slice(bytes);
        } else {
            let n = self.itemsize();
            for (dst, at) in out
                .bytes_mut()
                .chunks_exact_mut(n)
                .zip(self.layout.offsets())
            {
                dst.copy_from_slice(&self.data[at..at + n]);
            }
        }
        Ok(out)
    }

    fn astype_impl(&self, dtype: Dtype) -> Result<HostArray> {
        let src = Scalar::of(&self.format).ok_or_else(|| {
            Error::dtype(format!(
                "astype needs a numeric scalar format, not {:?}",
                self.format.to_string()
            ))
        })?;
        let mut out = HostArray::zeros(&self.layout.shape, dtype)?;
        let n = dtype.itemsize();
        for (dst, at) in out
            .bytes_mut()
            .chunks_exact_mut(n)
            .zip(self.layout.offsets())
        {
            convert(src, &self.data[at..], dtype, dst);
        }
        Ok(out)
    }

    view_metadata!();
}

impl fmt::Debug for View<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_view(f, "View", &self.layout, &self.format, self.data.len())
    }
}

impl<'a> ViewMut<'a> {
    /// A writable view of `data`, after the checks of [`View::new`] and a check that no two
    /// elements overlap.
    pub fn new(data: &'a mut [u8], layout: Layout, format: Format) -> Result<ViewMut<'a>> {
        layout.validate(format.itemsize(), format.alignment(), data.len())?;
        layout.check_no_overlap(format.itemsize())?;
        Ok(ViewMut {
            data,
            layout,
            format,
        })
    }

    /// A C-contiguous writable view of `data` (all of it) with `shape` and a format string.
    pub fn from_bytes(data: &'a mut [u8], shape: &[usize], format: &str) -> Result<ViewMut<'a>> {
        let format = Format::parse(format)?;
        let layout = exact_c_layout(shape, &format, data.len())?;
        ViewMut::new(data, layout, format)
    }

    /// A C-contiguous writable view of a typed slice, without copying.
    pub fn from_slice<T: Element>(data: &'a mut [T], shape: &[usize]) -> Result<ViewMut<'a>> {
        let format = Format::from_dtype(T::DTYPE);
        let bytes: &mut [u8] = bytemuck::cast_slice_mut(data);
        let layout = exact_c_layout(shape, &format, bytes.len())?;
        ViewMut::new(bytes, layout, format)
    }

    /// A read-only view of the same elements.
    pub fn view(&self) -> View<'_> {
        View {
            data: self.data,
            layout: self.layout.clone(),
            format: self.format.clone(),
        }
    }

    /// Gives up writability, keeping the borrow.
    pub fn into_view(self) -> View<'a> {
        View {
            data: self.data,
            layout: self.layout,
            format: self.format,
        }
    }

    /// The whole borrowed buffer, writable.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        self.data
    }

    /// Gives up the view, keeping the mutable borrow of the whole buffer.
    pub fn into_bytes(self) -> &'a mut [u8] {
        self.data
    }

    fn with_layout(self, layout: Layout) -> Result<ViewMut<'a>> {
        ViewMut::new(self.data, layout, self.format)
    }

    /// NumPy basic indexing (see [`Layout::slice`]); [`SliceArg::NewAxis`] is fine here.
    pub fn slice(self, args: &[SliceArg]) -> Result<ViewMut<'a>> {
        let layout = self.layout.slice(args)?;
        self.with_layout(layout)
    }

    /// Reverses the axes.
    pub fn transpose(self) -> ViewMut<'a> {
        ViewMut {
            layout: self.layout.transpose(),
            data: self.data,
            format: self.format,
        }
    }

    /// Reorders the axes.
    pub fn permute(self, axes: &[usize]) -> Result<ViewMut<'a>> {
        let layout = self.layout.permute(axes)?;
        self.with_layout(layout)
    }

    /// Reshapes without copying, or errors saying a copy is needed.
    pub fn reshape(self, shape: &[isize]) -> Result<ViewMut<'a>> {
        let layout = self.layout.reshape(shape, self.itemsize())?;
        self.with_layout(layout)
    }

    /// Writes `value` at `index`, in the view's byte order. `T` must be the view's dtype.
    pub fn set<T: Element>(&mut self, index: &[usize], value: T) -> Result<()> {
        let scalar = scalar_for::<T>(&self.format)?;
        let at = self.layout.offset_of(index)?;
        scalar.store(bytemuck::bytes_of(&value), &mut self.data[at..]);
        Ok(())
    }

    /// Copies the elements of `src` into this view, in C order. Shapes must match, and formats
    /// must be equal or hold the same dtype (then bytes are swapped where the orders differ).
    pub fn copy_from(&mut self, src: &View<'_>) -> Result<()> {
        if src.shape() != self.shape() {
            return Err(Error::shape(format!(
                "cannot copy shape {:?} into shape {:?}",
                src.shape(),
                self.shape()
            )));
        }
        let n = self.itemsize();
        if src.format() == &self.format {
            for (to, from) in self.layout.offsets().zip(src.layout.offsets()) {
                self.data[to..to + n].copy_from_slice(&src.data[from..from + n]);
            }
            return Ok(());
        }
        let (Some(from), Some(to)) = (Scalar::of(src.format()), Scalar::of(&self.format)) else {
            return Err(self.format_mismatch(src));
        };
        if from.dtype != to.dtype {
            return Err(self.format_mismatch(src));
        }
        for (at, from_at) in self.layout.offsets().zip(src.layout.offsets()) {
            let native = from.load(&src.data[from_at..]);
            to.store(&native, &mut self.data[at..]);
        }
        Ok(())
    }

    fn format_mismatch(&self, src: &View<'_>) -> Error {
        Error::dtype(format!(
            "cannot copy format {:?} into format {:?}; convert with astype first",
            src.format().to_string(),
            self.format.to_string()
        ))
    }

    view_metadata!();
}

impl fmt::Debug for ViewMut<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_view(f, "ViewMut", &self.layout, &self.format, self.data.len())
    }
}

impl HostArray {
    /// A zero-filled array of `shape` and `format`.
    fn alloc(shape: Vec<usize>, format: Format) -> Result<HostArray> {
        let itemsize = format.itemsize();
        let layout = Layout::contiguous(&shape, itemsize, Order::C)?;
        let nbytes = layout
            .len()
            .checked_mul(itemsize)
            .ok_or_else(|| Error::layout(format!("shape {shape:?}: total size overflows")))?;
        layout.validate(itemsize, format.alignment(), nbytes)?;
        // A zeroed allocation (calloc): the pages are zero already, no pass writing zeros.
        let blocks = bytemuck::allocation::try_zeroed_vec::<Block>(nbytes.div_ceil(16))
            .map_err(|_| Error::OutOfMemory(format!("host allocation of {nbytes} bytes failed")))?;
        Ok(HostArray {
            blocks,
            nbytes,
            layout,
            format,
        })
    }

    /// A zero-filled array of `shape` and `dtype` (native byte order).
    pub fn zeros(shape: &[usize], dtype: Dtype) -> Result<HostArray> {
        HostArray::alloc(shape.to_vec(), Format::from_dtype(dtype))
    }

    /// An array holding a copy of `data` (C order) with `shape`.
    pub fn from_slice<T: Element>(data: &[T], shape: &[usize]) -> Result<HostArray> {
        View::from_slice(data, shape)?.to_contiguous()
    }

    /// An array holding a copy of `bytes` (C order) with `shape` and a format string.
    pub fn from_bytes(bytes: &[u8], shape: &[usize], format: &str) -> Result<HostArray> {
        View::from_bytes(bytes, shape, format)?.to_contiguous()
    }

    /// A read-only view of the whole array.
    pub fn view(&self) -> View<'_> {
        View {
            data: self.bytes(),
            layout: self.layout.clone(),
            format: self.format.clone(),
        }
    }

    /// A writable view of the whole array.
    pub fn view_mut(&mut self) -> ViewMut<'_> {
        let (layout, format) = (self.layout.clone(), self.format.clone());
        ViewMut {
            data: self.bytes_mut(),
            layout,
            format,
        }
    }

    /// The elements' bytes, C order.
    pub fn bytes(&self) -> &[u8] {
        &bytemuck::cast_slice(&self.blocks)[..self.nbytes]
    }

    /// The elements' bytes, C order, writable.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        &mut bytemuck::cast_slice_mut(&mut self.blocks)[..self.nbytes]
    }

    /// The elements as a typed slice (`T` must be the dtype, in native byte order).
    pub fn as_slice<T: Element>(&self) -> Result<&[T]> {
        self.check_native::<T>()?;
        Ok(bytemuck::cast_slice(self.bytes()))
    }

    /// The elements as a typed, writable slice.
    pub fn as_slice_mut<T: Element>(&mut self) -> Result<&mut [T]> {
        self.check_native::<T>()?;
        Ok(bytemuck::cast_slice_mut(self.bytes_mut()))
    }

    fn check_native<T: Element>(&self) -> Result<()> {
        let scalar = scalar_for::<T>(&self.format)?;
        if scalar.swap {
            return Err(Error::dtype(format!(
                "format {:?} is not in native byte order; use astype({}) or iterate the view",
                self.format.to_string(),
                scalar.dtype
            )));
        }
        Ok(())
    }

    view_metadata!();
}

impl fmt::Debug for HostArray {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_view(f, "HostArray", &self.layout, &self.format, self.nbytes)
    }
}

fn debug_view(
    f: &mut fmt::Formatter<'_>,
    name: &str,
    layout: &Layout,
    format: &Format,
    buffer: usize,
) -> fmt::Result {
    f.debug_struct(name)
        .field("shape", &layout.shape)
        .field("strides", &layout.strides)
        .field("offset", &layout.offset)
        .field("format", &format.to_string())
        .field("buffer_bytes", &buffer)
        .finish()
}

/// The C-contiguous layout of `shape` that covers exactly `len` bytes.
fn exact_c_layout(shape: &[usize], format: &Format, len: usize) -> Result<Layout> {
    let itemsize = format.itemsize();
    let layout = Layout::contiguous(shape, itemsize, Order::C)?;
    let need = layout.len().checked_mul(itemsize);
    if need != Some(len) {
        return Err(Error::shape(format!(
            "shape {shape:?} of {itemsize}-byte elements needs {} bytes, the buffer has {len}",
            need.map_or("more than usize::MAX".to_string(), |n| n.to_string())
        )));
    }
    Ok(layout)
}

/// Slice arguments that apply `arg` to `axis` only.
fn axis_args(axis: usize, arg: SliceArg, ndim: usize) -> Result<Vec<SliceArg>> {
    if axis >= ndim {
        return Err(Error::shape(format!(
            "axis {axis} is out of range for an array of {ndim} dimensions"
        )));
    }
    let mut args = vec![SliceArg::ALL; axis + 1];
    args[axis] = arg;
    Ok(args)
}

/// The layout of `memoryview.cast`: same bytes, new format and shape.
fn cast_layout(
    layout: &Layout,
    itemsize: usize,
    len: usize,
    format: &Format,
    shape: Option<&[usize]>,
) -> Result<Layout> {
    if !layout.is_c_contiguous(itemsize) {
        return Err(Error::layout(
            "cast needs a C-contiguous view; call to_contiguous() first",
        ));
    }
    let nbytes = len * itemsize;
    let new_item = format.itemsize();
    let shape = match shape {
        Some(s) => s.to_vec(),
        None if new_item > 0 && nbytes % new_item == 0 => vec![nbytes / new_item],
        None => {
            return Err(Error::shape(format!(
                "{nbytes} bytes are not a whole number of {new_item}-byte elements of {:?}",
                format.to_string()
            )));
        }
    };
    let mut out = Layout::contiguous(&shape, new_item, Order::C)?;
    if out.len().checked_mul(new_item) != Some(nbytes) {
        return Err(Error::shape(format!(
            "cast to shape {shape:?} of {new_item}-byte elements does not cover the view's \
             {nbytes} bytes"
        )));
    }
    out.offset = layout.offset;
    Ok(out)
}

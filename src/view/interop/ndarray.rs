//! `ndarray` array views as [`View`]/[`ViewMut`] and back, without copying (feature `ndarray`).
//!
//! Negative strides are kept both ways. An ndarray view must be contiguous in memory (in any
//! axis order, reversed axes included) to become a `View`: for a stepped slice, make the `View`
//! of the whole array and slice the `View`. (Borrowing the memory between a stepped slice's
//! elements would need `unsafe` code that a sibling `ArrayViewMut` could make unsound.)
//!
//! ```
//! use gpuarray::View;
//! use ndarray::{Array2, s};
//! let a = Array2::from_shape_fn((3, 4), |(i, j)| (10 * i + j) as f32);
//! let reversed = a.slice(s![..;-1, ..]);
//! let v = View::from_ndarray(&reversed)?;
//! assert_eq!(v.strides(), [-16, 4]);
//! assert_eq!(v.get::<f32>(&[0, 1])?, 21.0);
//! let back = v.to_ndarray::<f32>()?;
//! assert_eq!(back, reversed.into_dyn());
//! # Ok::<(), gpuarray::Error>(())
//! ```

use ndarray::{
    ArrayView, ArrayViewD, ArrayViewMut, ArrayViewMutD, Axis, Dimension, IxDyn, ShapeBuilder,
};

use crate::error::{Error, Result};
use crate::view::dtype::Element;
use crate::view::format::Format;
use crate::view::layout::Layout;
use crate::view::view::{View, ViewMut};

/// The [`Layout`] of an ndarray view whose memory starts at `base` (bytes), given its first
/// element's address.
fn layout_of<T>(shape: &[usize], strides: &[isize], base: *const T, first: *const T) -> Layout {
    let item = std::mem::size_of::<T>() as isize;
    Layout::new(
        shape.to_vec(),
        strides.iter().map(|&s| s * item).collect(),
        // Addresses compared as integers: no pointer arithmetic, no `unsafe`.
        first as usize - base as usize,
    )
}

fn not_contiguous() -> Error {
    Error::unsupported(
        "an ndarray view becomes a View only when its elements are contiguous in memory; \
         view the whole array and slice the View instead",
    )
}

/// Element shape and strides of a view for ndarray: absolute strides in elements from the lowest
/// element, the byte range it spans, and the axes to invert afterwards.
struct ForNdarray {
    shape: Vec<usize>,
    strides: Vec<usize>,
    bytes: std::ops::Range<usize>,
    inverted: Vec<usize>,
}

fn for_ndarray<T: Element>(layout: &Layout, format: &Format) -> Result<ForNdarray> {
    let scalar_ok = format.dtype() == Some(T::DTYPE) && format.is_native_order();
    if !scalar_ok {
        return Err(Error::dtype(format!(
            "ndarray needs native {} elements, the view has format {:?}",
            T::DTYPE,
            format.to_string()
        )));
    }
    let item = std::mem::size_of::<T>();
    let mut strides = Vec::with_capacity(layout.ndim());
    for (axis, &s) in layout.strides.iter().enumerate() {
        if s.unsigned_abs() % item != 0 {
            return Err(Error::unsupported(format!(
                "stride {s} of axis {axis} is not a whole number of {item}-byte elements"
            )));
        }
        strides.push(s.unsigned_abs() / item);
    }
    let inverted = (0..layout.ndim())
        .filter(|&k| layout.strides[k] < 0 && layout.shape[k] > 1)
        .collect();
    Ok(ForNdarray {
        shape: layout.shape.clone(),
        strides,
        bytes: layout.byte_range(item).unwrap_or(0..0),
        inverted,
    })
}

fn shape_error(e: ndarray::ShapeError) -> Error {
    Error::unsupported(format!("ndarray rejects this layout: {e}"))
}

fn misaligned<T: Element>() -> Error {
    Error::unsupported(format!(
        "the view's bytes are not aligned for {} in memory; copy with to_contiguous() first",
        T::DTYPE
    ))
}

impl<'a> View<'a> {
    /// A view of an ndarray view's memory (no copy). See the [module docs](self) for which
    /// ndarray views qualify.
    pub fn from_ndarray<T: Element, D: Dimension>(array: &ArrayView<'a, T, D>) -> Result<View<'a>> {
        let memory = array.to_slice_memory_order().ok_or_else(not_contiguous)?;
        let layout = layout_of(
            array.shape(),
            array.strides(),
            memory.as_ptr(),
            array.as_ptr(),
        );
        View::new(
            bytemuck::cast_slice(memory),
            layout,
            Format::from_dtype(T::DTYPE),
        )
    }

    /// The same elements as an ndarray view (no copy). `T` must be the view's dtype in native
    /// byte order, and the memory aligned for `T`.
    pub fn to_ndarray<T: Element>(&self) -> Result<ArrayViewD<'a, T>> {
        let nd = for_ndarray::<T>(self.layout(), self.format())?;
        let elems: &'a [T] =
            bytemuck::try_cast_slice(&self.bytes()[nd.bytes]).map_err(|_| misaligned::<T>())?;
        let mut out = ArrayView::from_shape(IxDyn(&nd.shape).strides(IxDyn(&nd.strides)), elems)
            .map_err(shape_error)?;
        nd.inverted.iter().for_each(|&k| out.invert_axis(Axis(k)));
        Ok(out)
    }
}

impl<'a> ViewMut<'a> {
    /// A writable view of an ndarray mutable view's memory (no copy).
    pub fn from_ndarray<T: Element, D: Dimension>(
        array: ArrayViewMut<'a, T, D>,
    ) -> Result<ViewMut<'a>> {
        let (shape, strides, first) = (
            array.shape().to_vec(),
            array.strides().to_vec(),
            array.as_ptr(),
        );
        let memory = array.into_slice_memory_order().ok_or_else(not_contiguous)?;
        let layout = layout_of(&shape, &strides, memory.as_ptr(), first);
        ViewMut::new(
            bytemuck::cast_slice_mut(memory),
            layout,
            Format::from_dtype(T::DTYPE),
        )
    }

    /// The same elements as a mutable ndarray view (no copy).
    pub fn into_ndarray<T: Element>(self) -> Result<ArrayViewMutD<'a, T>> {
        let nd = for_ndarray::<T>(self.layout(), self.format())?;
        let bytes = &mut self.into_bytes()[nd.bytes];
        let elems: &'a mut [T] =
            bytemuck::try_cast_slice_mut(bytes).map_err(|_| misaligned::<T>())?;
        let mut out = ArrayViewMut::from_shape(IxDyn(&nd.shape).strides(IxDyn(&nd.strides)), elems)
            .map_err(shape_error)?;
        nd.inverted.iter().for_each(|&k| out.invert_axis(Axis(k)));
        Ok(out)
    }
}

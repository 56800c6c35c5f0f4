//! Host-side buffer views: bytes + shape + strides + a PEP 3118 format. No GPU types here.
//!
//! - [`format`](mod@format): PEP 3118 format strings ([`Format`](format::Format)).
//! - [`dtype`]: scalar element types ([`Dtype`](dtype::Dtype)) and [`Element`](dtype::Element).
//! - [`layout`]: shape, byte strides, offset; validation and the no-copy transformations.
//! - [`view`](mod@view): [`View`](view::View), [`ViewMut`](view::ViewMut) and
//!   [`HostArray`](view::HostArray).
//! - [`interop`]: views of slices, `image` buffers and (feature `ndarray`) ndarray arrays.

pub(crate) mod convert;
pub mod dtype;
pub mod format;
pub mod interop;
pub mod layout;
#[allow(clippy::module_inception)]
pub mod view;

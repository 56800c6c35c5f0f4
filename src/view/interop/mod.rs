//! Views of other libraries' memory, and back.
//!
//! Typed slices and `Vec`s are covered by [`View::from_slice`](crate::View::from_slice) and
//! [`HostArray::from_slice`](crate::HostArray::from_slice).

pub mod image;
#[cfg(feature = "ndarray")]
pub mod ndarray;

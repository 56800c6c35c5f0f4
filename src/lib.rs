//! gpuarray: N-dimensional host data to the GPU and back.
#![forbid(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

pub mod error;
pub mod view;

pub use error::{Error, Result};
pub use view::dtype::{Dtype, Element, Kind};
pub use view::format::{ByteOrder, Code, Format, Item, ItemKind};

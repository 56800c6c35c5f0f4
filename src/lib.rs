#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod error;
pub mod view;

pub use error::{Error, Result};
pub use view::dtype::{Dtype, Element, Kind};
pub use view::format::{ByteOrder, Code, Format, Item, ItemKind};
pub use view::layout::{Layout, MAX_NDIM, Order, SliceArg};
pub use view::view::{HostArray, View, ViewMut};

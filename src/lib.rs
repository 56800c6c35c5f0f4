#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod error;
pub mod filters;
pub mod gpu;
pub mod media;
pub mod view;

pub use error::{Error, Result};
pub use gpu::array::GpuArray;
pub use gpu::blit;
pub use gpu::context::{Gpu, GpuInfo, GpuOptions, GpuStats};
pub use gpu::fft;
pub use gpu::ops::{Arg, where_};
pub use gpu::promote::Scalar;
pub use view::dtype::{Dtype, Element, Kind};
pub use view::format::{ByteOrder, Code, Format, Item, ItemKind};
pub use view::layout::{Layout, MAX_NDIM, Order, SliceArg};
pub use view::view::{HostArray, View, ViewMut};
/// The wgpu version gpuarray is built on, for users with their own render or compute code.
pub use wgpu;

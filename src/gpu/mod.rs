//! The GPU side: a context ([`Gpu`](context::Gpu)), arrays in GPU memory
//! ([`GpuArray`](array::GpuArray)), transfers and kernels. Everything runs through `wgpu`, on
//! whatever adapter is there: a discrete GPU, an integrated one, or Mesa's software drivers.

pub mod array;
pub mod blit;
pub(crate) mod budget;
pub(crate) mod cache;
pub mod context;
pub(crate) mod dispatch;
pub(crate) mod elementwise;
pub mod fft;
mod gather;
mod histogram;
pub(crate) mod kernels;
pub mod ops;
pub mod pipeline_cache;
mod pool;
pub mod promote;
mod reduce;
pub(crate) mod tape;
mod transfer;

//! Host-side buffer views: bytes + shape + strides + a PEP 3118 format. No GPU types here.

pub mod dtype;
pub mod format;

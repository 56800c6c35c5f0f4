//! deconv filters (being written).

//! spatial filters (being written).

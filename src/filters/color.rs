//! color filters (being written).

//! Empty: it exists so that cargo resolves this crate's build-dependency features (see
//! Cargo.toml).

fn main() {}

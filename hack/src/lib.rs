//! No code: this crate only unifies dependency features between the workspace's builds (see its
//! Cargo.toml).

//! Every shader in shaders/ parses and validates with naga, with no GPU involved.

use std::path::Path;

use gpuarray::gpu::context::validate_wgsl as validate;

#[test]
fn every_shader_file_validates() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "wgsl") {
            let mut source = std::fs::read_to_string(&path).unwrap();
            // Filter shaders are joined after the shared prelude at load time.
            if source.starts_with("// Joined after shaders/common.wgsl.") {
                source = std::fs::read_to_string(dir.join("common.wgsl")).unwrap() + &source;
            }
            if let Err(e) = validate(&source) {
                panic!("{}:\n{e}", path.display());
            }
            checked += 1;
        }
    }
    assert!(checked >= 1, "no shaders found in {}", dir.display());
}

#[test]
fn the_validator_rejects_a_broken_shader() {
    let err = validate("@compute @workgroup_size(1) fn main() { let x: u32 = 1.5; }").unwrap_err();
    assert!(err.contains("1.5") || err.contains("type"), "{err}");
}

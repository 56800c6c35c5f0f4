//! The command-line tool on real files.

use std::process::Command;

fn gpuarray(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gpuarray"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (out.status.success(), text(out.stdout), text(out.stderr))
}

#[test]
fn info_describes_the_view_of_each_image() {
    let (ok, out, err) = gpuarray(&["info", "testdata/coffee.png", "testdata/camera.png"]);
    assert!(ok, "{err}");
    for line in [
        "shape        [400, 600, 3]",
        "strides      [1800, 3, 1] bytes",
        "format       \"B\" (uint8)",
        "contiguous   C",
        "shape        [512, 512, 1]",
    ] {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }
}

#[test]
fn info_names_each_bad_file_and_goes_on() {
    let dir = std::env::temp_dir().join(format!("gpuarray-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let truncated = dir.join("truncated.png");
    let png = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/camera.png")).unwrap();
    std::fs::write(&truncated, &png[..png.len() / 2]).unwrap();
    let truncated = truncated.to_str().unwrap();
    let (ok, out, err) = gpuarray(&["info", "missing.png", truncated, "testdata/coffee.png"]);
    assert!(!ok);
    assert!(err.contains("missing.png: I/O error"), "{err}");
    assert!(err.contains(&format!("{truncated}: image error")), "{err}");
    assert!(err.contains("2 of 3 file(s) failed"), "{err}");
    assert!(
        out.contains("[400, 600, 3]"),
        "the good file is still described:\n{out}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn adapter_names_the_gpu_in_use() {
    let (ok, out, err) = gpuarray(&["adapter"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("bindings up to") && out.contains("MiB"),
        "{out}"
    );
    let gpu = gpuarray::Gpu::new().unwrap();
    assert!(out.contains(&gpu.info().name), "{out}");
}

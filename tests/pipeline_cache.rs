//! The persistent pipeline cache, through the CLI in fresh processes: a run that compiles
//! pipelines writes the cache file (Vulkan), the next process loads it and wgpu and the driver
//! accept it; a truncated, corrupt or foreign file is ignored with a warning and changes no
//! result; `GPUARRAY_CACHE_DIR=off` turns it off; OpenGL says it has none.
//!
//! (lavapipe's `vkGetPipelineCacheData` returns a header and no entries, so that a second
//! process builds its pipelines *from* the cache cannot be shown on this adapter; what is
//! checked is that the file is written, read back and accepted, and harmless when damaged.)

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const CLI: &str = env!("CARGO_BIN_EXE_gpuarray");

fn run(dir: &str, args: &[&str]) -> Output {
    let out = Command::new(CLI)
        .args(args)
        .env("GPUARRAY_CACHE_DIR", dir)
        .output()
        .expect("running the CLI");
    assert!(
        out.status.success(),
        "gpuarray {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `gpuarray adapter`'s line and the warnings it printed.
fn adapter(dir: &str) -> (String, String) {
    let out = run(dir, &["adapter"]);
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Blurs the test photo into `dir/name`; returns its bytes.
fn blur(dir: &Path, name: &str) -> Vec<u8> {
    let out = dir.join(name);
    run(
        dir.to_str().unwrap(),
        &[
            "filter",
            "testdata/coffee.png",
            "-o",
            out.to_str().unwrap(),
            "--op",
            "blur:sigma=2",
        ],
    );
    std::fs::read(out).unwrap()
}

fn cache_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("wgpu_pipeline_cache")
        })
        .collect()
}

#[test]
fn the_cache_is_written_reloaded_and_damage_is_harmless() {
    let dir = std::env::temp_dir().join(format!("gpuarray-pcache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.to_str().unwrap();

    let (first, _) = adapter(d);
    let reference = blur(&dir, "a.png");
    let (off, _) = adapter("off");
    if first.contains("(Gl,") {
        assert!(off.contains("pipeline cache none on this backend"), "{off}");
        assert!(
            first.contains("pipeline cache none on this backend"),
            "{first}"
        );
        assert!(cache_files(&dir).is_empty(), "no cache file on OpenGL");
        return;
    }
    assert!(off.contains("pipeline cache off"), "{off}");
    assert!(first.contains("(new)"), "an empty directory: {first}");
    let files = cache_files(&dir);
    assert_eq!(files.len(), 1, "one cache file: {files:?}");
    let file = &files[0];
    let bytes = std::fs::read(file).unwrap();
    assert!(bytes.starts_with(b"gpuarray-pcache1"), "our header");

    // A fresh process loads it, and wgpu and the driver accept it (no warning).
    let (second, warnings) = adapter(d);
    assert!(second.contains("(loaded)"), "{second}");
    assert!(!warnings.contains("pipeline cache"), "{warnings}");

    // Truncated, bit-flipped, foreign: ignored with a warning; results unchanged; the next run
    // that compiles writes a whole file again.
    let mut flipped = bytes.clone();
    *flipped.last_mut().unwrap() ^= 1;
    let damaged: [(&str, Vec<u8>); 3] = [
        ("truncated", bytes[..bytes.len() / 2].to_vec()),
        ("corrupt", flipped),
        ("foreign", std::fs::read("testdata/coffee.png").unwrap()),
    ];
    for (what, contents) in damaged {
        std::fs::write(file, &contents).unwrap();
        let (line, warnings) = adapter(d);
        assert!(line.contains("(new)"), "{what}: {line}");
        assert!(
            warnings.contains("ignoring the pipeline cache"),
            "{what}: warned? {warnings}"
        );
        assert_eq!(blur(&dir, "b.png"), reference, "{what}: the same output");
        let (line, _) = adapter(d);
        assert!(line.contains("(loaded)"), "{what}: rewritten whole: {line}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

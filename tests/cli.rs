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

/// A fresh scratch directory under the target directory.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn filter_lists_its_ops() {
    let (ok, out, err) = gpuarray(&["filter", "--list"]);
    assert!(ok, "{err}");
    for op in [
        "blur",
        "box",
        "sharpen",
        "edges",
        "grayscale",
        "gamma",
        "equalize",
        "deblur",
        "nsr",
    ] {
        assert!(out.contains(op), "--list does not mention {op}:\n{out}");
    }
}

/// `deblur` through the CLI (decode, the one-pass u8 planes, taper, FFTs, PNG) writes exactly
/// what the library computes from the same decoded photo.
#[test]
fn filter_deblur_writes_what_the_library_computes() {
    let dir = scratch("cli-filter-deblur");
    let out = dir.join("coffee-deblurred.png");
    let op = "deblur:psf=gaussian,sigma=1.5,nsr=0.01";
    let (ok, _, err) = gpuarray(&[
        "filter",
        "testdata/coffee.png",
        "-o",
        out.to_str().unwrap(),
        "--op",
        op,
    ]);
    assert!(ok, "{err}");
    let gpu = gpuarray::Gpu::new().unwrap();
    let photo = image::open(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/coffee.png")).unwrap();
    let a = gpu
        .upload(&gpuarray::View::from_dynamic_image(&photo).unwrap())
        .unwrap();
    let want = op
        .parse::<gpuarray::filters::Op>()
        .unwrap()
        .apply(&a, Default::default())
        .unwrap()
        .to_host()
        .unwrap();
    let got = image::open(&out).unwrap().into_rgb8();
    assert_eq!(got.as_raw(), want.bytes());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn filter_writes_what_the_library_computes() {
    let dir = scratch("cli-filter-one");
    let out = dir.join("coffee-sharp.png");
    let ops = [
        "--op",
        "blur:sigma=1.5",
        "--op",
        "sharpen:sigma=2,amount=0.5",
    ];
    let mut args = vec!["filter", "testdata/coffee.png", "-o", out.to_str().unwrap()];
    args.extend(ops);
    let (ok, _, err) = gpuarray(&args);
    assert!(ok, "{err}");
    assert!(err.contains("1 of 1 image(s) written, 0 failed"), "{err}");
    // The same ops through the library give the same pixels.
    let gpu = gpuarray::Gpu::new().unwrap();
    let photo = image::open(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/coffee.png")).unwrap();
    let mut a = gpu
        .upload(&gpuarray::View::from_dynamic_image(&photo).unwrap())
        .unwrap();
    for op in ["blur:sigma=1.5", "sharpen:sigma=2,amount=0.5"] {
        a = op
            .parse::<gpuarray::filters::Op>()
            .unwrap()
            .apply(&a, Default::default())
            .unwrap();
    }
    let want = a.to_host().unwrap();
    let got = image::open(&out).unwrap().into_rgb8();
    assert_eq!(got.as_raw(), want.bytes());
    // Nothing but the output was left in the directory.
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["coffee-sharp.png"]);
}

#[test]
fn a_batch_goes_on_past_bad_files_and_says_so() {
    let dir = scratch("cli-filter-batch");
    let inputs = dir.join("in");
    std::fs::create_dir_all(&inputs).unwrap();
    for name in ["coffee.png", "camera.png"] {
        std::fs::copy(
            format!("{}/testdata/{name}", env!("CARGO_MANIFEST_DIR")),
            inputs.join(name),
        )
        .unwrap();
    }
    let png = std::fs::read(inputs.join("camera.png")).unwrap();
    std::fs::write(inputs.join("broken.png"), &png[..png.len() / 3]).unwrap();
    std::fs::write(inputs.join("notes.png"), b"not an image at all").unwrap();
    let out = dir.join("out");
    let (ok, _, err) = gpuarray(&[
        "filter",
        inputs.to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
        "--op",
        "grayscale",
        "--op",
        "equalize",
    ]);
    assert!(!ok);
    assert!(err.contains("broken.png: image error"), "{err}");
    assert!(err.contains("notes.png: image error"), "{err}");
    assert!(err.contains("2 of 4 image(s) written, 2 failed"), "{err}");
    let mut written: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    written.sort();
    assert_eq!(
        written,
        ["camera.png", "coffee.png"],
        "no partial or temporary files"
    );
    let grey = image::open(out.join("coffee.png")).unwrap();
    assert_eq!(grey.color(), image::ColorType::L8);
}

#[test]
fn bad_arguments_name_the_problem() {
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "filter",
                "testdata/coffee.png",
                "-o",
                "x.png",
                "--op",
                "blurr",
            ],
            "unknown op \"blurr\"",
        ),
        (
            &[
                "filter",
                "testdata/coffee.png",
                "-o",
                "x.png",
                "--op",
                "blur",
            ],
            "blur needs sigma",
        ),
        (
            &[
                "filter",
                "testdata/coffee.png",
                "-o",
                "x.png",
                "--op",
                "blur:sigma=-2",
            ],
            "sigma must be > 0",
        ),
        (
            &[
                "filter",
                "testdata/coffee.png",
                "-o",
                "x.png",
                "--op",
                "blur:sigma=x",
            ],
            "not a finite number",
        ),
        (
            &[
                "filter",
                "testdata/coffee.png",
                "-o",
                "x.png",
                "--op",
                "blur:radius=2",
            ],
            "has no parameter \"radius\"",
        ),
        (
            &[
                "filter",
                "testdata/coffee.png",
                "-o",
                "x.png",
                "--op",
                "gamma:g",
            ],
            "not key=value",
        ),
        (
            &["filter", "testdata/coffee.png", "-o", "x.png"],
            "no --op given",
        ),
        (
            &["filter", "testdata/coffee.png", "--op", "edges"],
            "give an output",
        ),
        (
            &[
                "filter",
                "testdata/coffee.png",
                "testdata/camera.png",
                "-o",
                "x.png",
                "--op",
                "edges",
            ],
            "-o takes one input",
        ),
        (
            &[
                "filter",
                "testdata/coffee.png",
                "-o",
                "x.png",
                "--op",
                "edges",
                "--border",
                "mirror",
            ],
            "--border \"mirror\"",
        ),
    ];
    for (args, want) in cases {
        let (ok, _, err) = gpuarray(args);
        assert!(!ok, "{args:?} succeeded");
        assert!(err.contains(want), "{args:?}: {err}");
    }
    // A missing input is reported per file, and nothing is written.
    let dir = scratch("cli-filter-missing");
    let out = dir.join("x.png");
    let (ok, _, err) = gpuarray(&[
        "filter",
        "missing.png",
        "-o",
        out.to_str().unwrap(),
        "--op",
        "edges",
    ]);
    assert!(!ok && err.contains("missing.png: I/O error"), "{err}");
    assert!(!out.exists());
}

//! Every op the CLI offers parses with its defaults and runs on real photos, grey and colour.

mod common;

use common::gpu;
use gpuarray::filters::{Border, Op};
use gpuarray::{Dtype, View};

/// Each op with its required parameters, as a user would type it.
const STEPS: &[&str] = &[
    "blur:sigma=1.5",
    "box:radius=2",
    "sharpen",
    "sharpen:sigma=1,amount=2",
    "edges",
    "grayscale",
    "gamma:g=2.2",
    "srgb-to-linear",
    "linear-to-srgb",
    "brightness-contrast",
    "brightness-contrast:brightness=0.1,contrast=1.5",
    "equalize",
    "equalize:mode=luma",
    "deblur",
    "deblur:psf=motion,length=7,angle=30,nsr=0.02",
    "deblur:psf=disk,radius=3",
];

#[test]
fn every_listed_op_parses_and_runs() {
    let list = gpuarray::filters::op_list();
    for photo in ["coffee.png", "camera.png"] {
        let path = format!("{}/testdata/{photo}", env!("CARGO_MANIFEST_DIR"));
        let image = image::open(path).unwrap();
        let a = gpu()
            .upload(&View::from_dynamic_image(&image).unwrap())
            .unwrap();
        for step in STEPS {
            let name = step.split(':').next().unwrap();
            assert!(list.contains(name), "--list misses {name}");
            let op: Op = step.parse().unwrap_or_else(|e| panic!("{step}: {e}"));
            let out = op
                .apply(&a, Border::Reflect)
                .unwrap_or_else(|e| panic!("{photo} {step}: {e}"));
            let want: &[usize] = if name == "grayscale" {
                &a.shape()[..2]
            } else {
                a.shape()
            };
            assert_eq!(out.shape(), want, "{photo} {step}");
            assert_eq!(out.dtype(), Dtype::U8, "{photo} {step}");
            // It computes: the result downloads and has no out-of-range surprises.
            let host = out.to_host().unwrap();
            assert_eq!(host.bytes().len(), want.iter().product::<usize>());
        }
    }
}

#[test]
fn parameters_are_checked_by_name() {
    for (step, want) in [
        ("deblur:psf=gauss", "psf=\"gauss\""),
        ("deblur:nsr=-1", "nsr must be ≥ 0"),
        ("equalize:mode=hsv", "mode=\"hsv\""),
        ("box:radius=0", "radius=\"0\""),
        ("box:radius=1.5", "radius=\"1.5\""),
        ("gamma:g=2,g=3", "\"g\" is given twice"),
        ("brightness-contrast:contrast=-1", "contrast must be ≥ 0"),
    ] {
        let err = step.parse::<Op>().unwrap_err().to_string();
        assert!(err.contains(want), "{step}: {err}");
        assert!(err.starts_with("bad parameter"), "{step}: {err}");
    }
}

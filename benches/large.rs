//! Arrays larger than one storage binding against ones that fit: throughput (MP/s) of a
//! Gaussian blur σ = 3 and of `rfft2` on a 24 MP photo (6000 × 4000, chunked on a 128 MiB
//! binding: 288 MB of f32 RGB) and on a 3.8 MP one (2400 × 1600, unchunked; both sizes have only
//! factors 2, 3 and 5, so both FFTs take the same Stockham route: 2448 × 1632, a camera size, has
//! a factor 17 and would go through Bluestein), same run, same
//! adapter (printed first). The goal is a 24 MP rate of at least 0.8 of the 4 MP rate.
//!
//! Run with `cargo bench --bench large` (add `WGPU_BACKEND=gl` for OpenGL; `--profile test`
//! avoids a release build of wgpu). Each case: one warm-up, then the median of 3, GPU
//! resident (uploaded once, result left on the GPU, waited for). Nothing here asserts timings.
//!
//! - blur: `gaussian_blur(&rgb_u8, 3.0, Border::Reflect)`;
//! - rfft2: `rfft2` of the photo's grey channel as f32, over both axes.

mod common;

use common::{interleaved, sync};

use gpuarray::fft::{Norm, rfft2};
use gpuarray::filters::{Border, gaussian_blur};
use gpuarray::{Gpu, GpuArray, View};

/// `testdata/coffee.png` resized to `w × h` RGB u8, uploaded.
fn photo(gpu: &Gpu, w: u32, h: u32) -> GpuArray {
    let photo = image::open(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/coffee.png"))
        .expect("coffee.png")
        .into_rgb8();
    let rgb = image::imageops::resize(&photo, w, h, image::imageops::FilterType::Triangle);
    gpu.upload(&View::from_image(&rgb).expect("view"))
        .expect("upload")
}

fn main() {
    let gpu = Gpu::new().expect("an adapter");
    println!("{}", gpu.info());
    let sizes = [(2400u32, 1600u32), (6000, 4000)];
    println!(
        "\n{:<28} {:>12} {:>10} {:>10} {:>14}",
        "", "size", "ms", "MP/s", "vs 4 MP rate"
    );
    let mut base = [0f64; 2];
    for (w, h) in sizes {
        let rgb = photo(&gpu, w, h);
        let grey = gpuarray::filters::grayscale(&rgb)
            .and_then(|g| g.to_unit_float())
            .expect("grey");
        grey.eval().expect("eval");
        let mp = (w * h) as f64 / 1e6;
        let mut blur = || {
            let out = gaussian_blur(&rgb, 3.0, Border::Reflect).expect("blur");
            out.eval().expect("eval");
            sync(&gpu);
        };
        let mut fft = || {
            let out = rfft2(&grey, None, None, Norm::Backward).expect("rfft2");
            out.eval().expect("eval");
            sync(&gpu);
        };
        let t = interleaved(3, &mut [&mut blur, &mut fft]);
        for (k, (name, secs)) in ["gaussian_blur σ=3 (RGB u8)", "rfft2 (grey f32)"]
            .iter()
            .zip(&t)
            .enumerate()
        {
            let rate = mp / secs;
            if base[k] == 0.0 {
                base[k] = rate;
            }
            println!(
                "{name:<28} {:>12} {:>10.1} {:>10.2} {:>14.2}",
                format!("{w}×{h}"),
                secs * 1e3,
                rate,
                rate / base[k]
            );
        }
    }
}

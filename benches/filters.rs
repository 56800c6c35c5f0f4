//! Spatial filters: Gaussian blur on the GPU against `imageproc` on the CPU, and direct against
//! FFT `convolve2d` over kernel sizes (where [`FFT_MIN_TAPS`] comes from). One run, one adapter
//! (printed first); a program printing tables, every case timed interleaved round-robin, medians.
//!
//! Run with `cargo bench --bench filters` (add `WGPU_BACKEND=gl` for OpenGL). About a minute on
//! lavapipe with 2 cores.
//!
//! 1. **Gaussian blur**, σ = 3, of `testdata/coffee.png` resized to 2048 × 2048 RGB u8 (4.2 MP):
//!    - GPU resident: `gaussian_blur(&img, 3.0, Border::Clamp)` on an uploaded image, u8 result
//!      left on the GPU (two 19-tap passes, u8 read and written by the kernel itself);
//!    - GPU with transfers: upload + blur + download, host image to host image;
//!    - CPU: `imageproc::filter::gaussian_blur_f32(&rgb, 3.0)`, one thread (no rayon). Note that
//!      imageproc truncates its kernel at radius ceil(2σ) = 6 (13 taps) where gpuarray uses
//!      ceil(3σ) = 9 (19 taps): the CPU does about 2/3 of the arithmetic.
//!
//!    Megapixels per second = 4.19 MP / median time; `ratio` = GPU MP/s over CPU MP/s.
//! 2. **box_blur** of the same photo over radii 1–128, milliseconds and MP/s: the direct kernel
//!    below `RUNNING_MIN_RADIUS`, running sums from it (flat in the radius); beside radii 8–36,
//!    the direct kernel with as many taps (where the switch-over comes from).
//! 3. **convolve2d**, 512 × 512 RGB f32, `Border::Reflect`, square kernels k × k: the direct
//!    kernel (`Method::Direct`) against the FFT path (`Method::Fft`), milliseconds per call.
//!
//! `FILTERS_BENCH=gaussian` (`box`, `convolve`) runs one table; `FILTERS_BENCH_SIZES=3,5,9`
//! picks the convolution kernels.
//!
//! Every call ends with an empty submit and a blocking device poll, so the GPU work is done.
//! Nothing here asserts anything about timings.

mod common;

use common::{interleaved, sync};

use gpuarray::filters::boxsum::RUNNING_MIN_RADIUS;
use gpuarray::filters::spatial::{FFT_MIN_TAPS, Method, convolve2d_with};
use gpuarray::filters::{Border, box_blur, gaussian_blur};
use gpuarray::{Gpu, GpuArray, View};

const SIDE: u32 = 2048;

/// `testdata/coffee.png` resized to SIDE × SIDE RGB u8.
fn photo() -> image::RgbImage {
    let photo = image::open(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/coffee.png"))
        .expect("coffee.png")
        .into_rgb8();
    image::imageops::resize(&photo, SIDE, SIDE, image::imageops::FilterType::Triangle)
}

fn gaussian(gpu: &Gpu) {
    const SIGMA: f32 = 3.0;
    let rgb = photo();
    let view = View::from_image(&rgb).expect("view");
    let img = gpu.upload(&view).expect("upload");
    let mp = (SIDE * SIDE) as f64 / 1e6;

    let mut resident = || {
        let out = gaussian_blur(&img, SIGMA, Border::Clamp).expect("blur");
        out.eval().expect("eval");
        sync(gpu);
    };
    let mut transfers = || {
        let img = gpu.upload(&view).expect("upload");
        let out = gaussian_blur(&img, SIGMA, Border::Clamp).expect("blur");
        std::hint::black_box(out.to_host().expect("download"));
    };
    let mut cpu = || {
        std::hint::black_box(imageproc::filter::gaussian_blur_f32(&rgb, SIGMA));
    };
    let t = interleaved(5, &mut [&mut resident, &mut transfers, &mut cpu]);
    println!("\nGaussian blur, σ = {SIGMA}, {SIDE} × {SIDE} RGB u8 ({mp:.2} MP), median of 5");
    println!("{:<44} {:>10} {:>10}", "", "ms", "MP/s");
    let rows = [
        "gpuarray gaussian_blur (GPU resident)",
        "gpuarray upload + gaussian_blur + download",
        "imageproc gaussian_blur_f32 (CPU, 1 thread)",
    ];
    for (name, s) in rows.iter().zip(&t) {
        println!("{name:<44} {:>10.1} {:>10.1}", s * 1e3, mp / s);
    }
    println!("ratio = {:.2} (GPU resident / CPU MP/s)", t[2] / t[0]);
    println!("ratio = {:.2} (GPU with transfers / CPU MP/s)", t[2] / t[1]);
}

/// Box blur of the same photo over radii: direct below `RUNNING_MIN_RADIUS`, running sums from
/// it (the time should not grow with the radius). Beside each radius from 8 to 36, the direct
/// separable kernel with the same `2r + 1` taps (a Gaussian of σ just under r/3, whose kernel
/// reaches radius ⌈3σ⌉ = r; the direct kernel's cost depends on the tap count, not the
/// weights), so the switch-over can be read off one run.
fn boxes(gpu: &Gpu) {
    let rgb = photo();
    let img = gpu
        .upload(&View::from_image(&rgb).expect("view"))
        .expect("upload");
    let mp = (SIDE * SIDE) as f64 / 1e6;
    let radii = [1usize, 2, 4, 8, 15, 16, 20, 24, 32, 36, 128];
    let same_taps = |r: usize| (8..=36).contains(&r);
    let run = |img: &GpuArray, f: &dyn Fn(&GpuArray) -> gpuarray::Result<GpuArray>| {
        f(img).expect("blur").eval().expect("eval");
        sync(img.gpu());
    };
    let mut cases: Vec<Box<dyn FnMut()>> = vec![];
    for &r in &radii {
        let boxed = img.clone();
        cases.push(Box::new(move || {
            run(&boxed, &|x| box_blur(x, r, Border::Clamp))
        }));
        if same_taps(r) {
            let img = img.clone();
            let sigma = (r as f32 - 0.01) / 3.0;
            cases.push(Box::new(move || {
                run(&img, &|x| gaussian_blur(x, sigma, Border::Clamp))
            }));
        }
    }
    let mut refs: Vec<&mut dyn FnMut()> = cases.iter_mut().map(|c| c.as_mut() as _).collect();
    let t = interleaved(3, &mut refs);
    println!("\nbox_blur, {SIDE} × {SIDE} RGB u8, Border::Clamp, median of 3");
    println!(
        "{:>7} {:>16} {:>10} {:>10} {:>22}",
        "radius", "method", "ms", "MP/s", "direct, same taps (ms)"
    );
    let mut t = t.iter();
    for &r in &radii {
        let method = if r >= RUNNING_MIN_RADIUS {
            "running sums"
        } else {
            "direct"
        };
        let s = t.next().expect("a time per case");
        let direct = if same_taps(r) {
            format!("{:.1}", t.next().expect("a time per case") * 1e3)
        } else {
            String::new()
        };
        println!(
            "{r:>7} {method:>16} {:>10.1} {:>10.1} {direct:>22}",
            s * 1e3,
            mp / s
        );
    }
}

fn switch_over(gpu: &Gpu) {
    const SIDE: usize = 512;
    let data: Vec<f32> = (0..SIDE * SIDE * 3)
        .map(|i| ((i as u32).wrapping_mul(2_654_435_761) >> 8) as f32 / (1 << 24) as f32)
        .collect();
    let img = gpu
        .upload(&View::from_slice(&data, &[SIDE, SIDE, 3]).expect("view"))
        .expect("upload");
    println!("\nconvolve2d, {SIDE} × {SIDE} RGB f32, Border::Reflect, median of 3 (ms)");
    println!(
        "{:>7} {:>6} {:>10} {:>10} {:>8}",
        "kernel", "taps", "direct", "fft", "faster"
    );
    let sizes =
        std::env::var("FILTERS_BENCH_SIZES").unwrap_or_else(|_| "3,5,7,9,11,13,15,21,31".into());
    for k in sizes
        .split(',')
        .map(|k| k.parse::<usize>().expect("a kernel size"))
    {
        let weights: Vec<f32> = (0..k * k).map(|i| 1.0 / (1 + i) as f32).collect();
        let kernel = View::from_slice(&weights, &[k, k]).expect("kernel");
        let run = |method: Method| -> GpuArray {
            let out = convolve2d_with(&img, &kernel, Border::Reflect, method).expect("convolve");
            out.eval().expect("eval");
            sync(gpu);
            out
        };
        let t = interleaved(
            3,
            &mut [&mut || drop(run(Method::Direct)), &mut || {
                drop(run(Method::Fft))
            }],
        );
        println!(
            "{:>7} {:>6} {:>10.1} {:>10.1} {:>8}",
            format!("{k}×{k}"),
            k * k,
            t[0] * 1e3,
            t[1] * 1e3,
            if t[0] <= t[1] { "direct" } else { "fft" }
        );
    }
    println!("convolve2d goes through the FFT from {FFT_MIN_TAPS} taps");
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs nothing here.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let gpu = Gpu::new().expect("a GPU adapter");
    println!("adapter: {}", gpu.info());
    // FILTERS_BENCH=gaussian (box, convolve) runs one table; FILTERS_BENCH_SIZES=3,5 picks the
    // convolution kernels.
    let only = std::env::var("FILTERS_BENCH").unwrap_or_default();
    if only.is_empty() || only == "gaussian" {
        gaussian(&gpu);
    }
    if only.is_empty() || only == "box" {
        boxes(&gpu);
    }
    if only.is_empty() || only == "convolve" {
        switch_over(&gpu);
    }
}

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
//!
//! `LARGE_BENCH=real` times real transforms of arrays beyond half a binding instead (92 and 94
//! MiB of f32 on a 128 MiB binding): `rfft`/`irfft` along axis 0 of 4000 × 6000 and along the
//! odd last axis of 6000 × 4095, beside the even last axis of 4000 × 6000 (the half-length
//! route) and the complex route that `rfft` took there before (a complex copy, its transform,
//! the crop), each on a context of its own, whose pool after one run holds the buffers the
//! transform made ("work MiB": its working set beyond the input, capped by the pool's budget).

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

/// `LARGE_BENCH=real`: the real-transform cases of the module docs, interleaved.
fn real_transforms() {
    use gpuarray::fft::{fft, irfft, rfft};
    use gpuarray::{Dtype, SliceArg};
    #[derive(Clone, Copy)]
    enum Op {
        Rfft,
        Irfft,
        /// What `rfft` did before: a complex copy, the complex transform, the crop.
        Complex,
    }
    let cases: [(&str, [usize; 2], isize, Op); 7] = [
        ("rfft axis -1 (half-length)", [4000, 6000], -1, Op::Rfft),
        ("rfft axis 0", [4000, 6000], 0, Op::Rfft),
        ("  complex route", [4000, 6000], 0, Op::Complex),
        ("irfft axis 0", [4000, 6000], 0, Op::Irfft),
        ("rfft axis -1, odd", [6000, 4095], -1, Op::Rfft),
        ("  complex route", [6000, 4095], -1, Op::Complex),
        ("irfft axis -1, odd", [6000, 4095], -1, Op::Irfft),
    ];
    let mut runs: Vec<Box<dyn FnMut()>> = vec![];
    let mut work = vec![];
    for (i, &(_, shape, axis, op)) in cases.iter().enumerate() {
        let gpu = Gpu::new().expect("an adapter");
        if i == 0 {
            println!("{}", gpu.info());
        }
        let ax = axis.rem_euclid(2) as usize;
        let n = shape[ax];
        let x: Vec<f32> = (0..shape[0] * shape[1])
            .map(|i| ((i * 7919) % 1000) as f32 / 500.0 - 1.0)
            .collect();
        let x = gpu
            .upload(&View::from_slice(&x, &shape).expect("view"))
            .expect("upload");
        let input = match op {
            Op::Irfft => rfft(&x, None, axis, Norm::Backward).expect("rfft"),
            _ => x,
        };
        input.eval().expect("eval");
        sync(&gpu);
        let held = gpu.stats().pool_bytes;
        let context = gpu.clone();
        let mut run: Box<dyn FnMut()> = Box::new(move || {
            let out = match op {
                Op::Rfft => rfft(&input, None, axis, Norm::Backward),
                Op::Irfft => irfft(&input, Some(n), axis, Norm::Backward),
                Op::Complex => {
                    let z = fft(
                        &input.astype(Dtype::C64).expect("astype"),
                        None,
                        axis,
                        Norm::Backward,
                    )
                    .expect("fft");
                    let mut keep = [SliceArg::ALL; 2];
                    keep[ax] = SliceArg::range(None, Some(n as isize / 2 + 1), 1);
                    z.slice(&keep).and_then(|h| h.contiguous())
                }
            }
            .expect("transform");
            out.eval().expect("eval");
            sync(&gpu);
        });
        run();
        // The first run's buffers, all back in the pool (this context's only work so far).
        work.push(context.stats().pool_bytes - held);
        runs.push(run);
    }
    let mut refs: Vec<&mut dyn FnMut()> = runs.iter_mut().map(|r| &mut **r as _).collect();
    let t = interleaved(3, &mut refs);
    println!(
        "\n{:<28} {:>12} {:>10} {:>10}",
        "", "shape", "ms", "work MiB"
    );
    for (((name, shape, ..), secs), bytes) in cases.iter().zip(&t).zip(&work) {
        println!(
            "{name:<28} {:>12} {:>10.1} {:>10.0}",
            format!("{}×{}", shape[0], shape[1]),
            secs * 1e3,
            *bytes as f64 / (1 << 20) as f64
        );
    }
}

fn main() {
    if std::env::var("LARGE_BENCH").as_deref() == Ok("real") {
        return real_transforms();
    }
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

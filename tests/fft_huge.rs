//! The huge transform: a 2^26-point complex 1-D FFT (512 MiB, four times lavapipe's
//! 128 MiB binding) on the adapter's own binding, against rustfft in f64.
//!
//! `#[ignore]`d: it needs about 4 GiB of host memory (the data, its f64 reference, and
//! lavapipe's buffers, which live in host memory) and takes tens of seconds. `.ci/test` runs it
//! on Vulkan (`cargo test --test fft_huge -- --ignored`).

mod common;

use common::Rng;
use gpuarray::View;
use gpuarray::fft::{self, Norm};
use num_complex::Complex32;
use rustfft::num_complex::Complex;

/// 2^26 points: six-step (4096-point lines, then 16384-point four-step lines) through
/// transposes. Relative L2 ≤ 3e-7 against rustfft in f64 (the bound: three f32
/// Stockham passes and twiddles rounded once to f32, ~1.7e-7 measured at 2^16).
#[test]
#[ignore = "4 GiB of host memory and tens of seconds; .ci/test runs it on Vulkan"]
fn fft_of_2_pow_26_points() {
    let n = 1 << 26;
    let gpu = common::gpu();
    let mut rng = Rng::new(26);
    let x: Vec<Complex32> = (0..n)
        .map(|_| Complex32::new(rng.f64(-1.0, 1.0) as f32, rng.f64(-1.0, 1.0) as f32))
        .collect();
    let start = std::time::Instant::now();
    let a = gpu.upload(&View::from_slice(&x, &[n]).unwrap()).unwrap();
    let y = fft::fft(&a, None, -1, Norm::Backward)
        .and_then(|y| y.to_host())
        .unwrap_or_else(|e| panic!("fft of 2^26 points on {}: {e}", gpu.info()));
    let got: Vec<Complex32> = y.view().to_vec().unwrap();
    eprintln!("gpu (upload, fft, download): {:?}", start.elapsed());
    drop(a);
    let start = std::time::Instant::now();
    let mut want: Vec<Complex<f64>> = x
        .iter()
        .map(|v| Complex::new(v.re as f64, v.im as f64))
        .collect();
    drop(x);
    rustfft::FftPlanner::new()
        .plan_fft_forward(n)
        .process(&mut want);
    eprintln!("rustfft: {:?}", start.elapsed());
    let (mut err, mut norm) = (0.0f64, 0.0f64);
    for (g, w) in got.iter().zip(&want) {
        err += (g.re as f64 - w.re).powi(2) + (g.im as f64 - w.im).powi(2);
        norm += w.norm_sqr();
    }
    let rel = (err / norm).sqrt();
    eprintln!("2^26 points: relative L2 {rel:e}");
    assert!(rel <= 3e-7, "2^26 points: relative L2 {rel:e} > 3e-7");
}

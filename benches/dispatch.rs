//! Host overhead per kernel: 10⁴ tiny operations (256 `f32`), each one dispatch, timed from
//! the first call to the GPU being idle again, on one adapter (printed first).
//!
//! Run with `cargo bench --bench dispatch` (add `WGPU_BACKEND=gl` for OpenGL).
//!
//! The arrays are so small that the kernels themselves take next to nothing: what the table
//! shows is what one operation costs on the host — binding, recording, parameter upload,
//! submission — and how many submissions the work took (`Gpu::stats`). Cases:
//!
//! - **elementwise**: `b = (a + 1).eval()`, one generated kernel each.
//! - **astype**: `a.astype(i32)`, the convert kernel.
//! - **sum**: `a.sum(None, false)`, a one-pass reduction.
//! - **chain**: `x = (x + 1).eval()` 10⁴ times, each op reading the previous result (and
//!   dropping it), then one download: the case that batching must keep exact.
//! - **rfft2 16²**: `fft::rfft2` of a 16 × 16 `f32` array (3 dispatches), and **fft 1009**:
//!   `fft::fft` of 1009 points (Rader, 6 dispatches): what a repeated transform of one shape
//!   costs on the host, replayed from its plan (`Gpu::stats().replays`).
//!
//! Nothing here asserts anything about timings; the chain's result is checked.

mod common;

use std::time::Instant;

use common::sync;
use gpuarray::fft::{self, Norm};
use gpuarray::{Dtype, Gpu, GpuArray, View};

/// Operations per case.
const OPS: usize = 10_000;
/// Elements per array.
const N: usize = 256;

fn main() -> gpuarray::Result<()> {
    let gpu = Gpu::new()?;
    println!("adapter: {}", gpu.info());
    let data: Vec<f32> = (0..N).map(|i| i as f32).collect();
    let a = gpu.upload(&View::from_slice(&data, &[N])?)?;
    let square = gpu.upload(&View::from_slice(&data, &[16, 16])?)?;
    let prime: Vec<f32> = (0..1009).map(|i| (i % 7) as f32).collect();
    let prime = gpu.upload(&View::from_slice(&prime, &[1009])?)?;
    type Case<'a> = (&'a str, Box<dyn Fn() -> gpuarray::Result<()> + 'a>);
    let cases: Vec<Case<'_>> = vec![
        (
            "elementwise",
            Box::new(|| {
                for _ in 0..OPS {
                    a.add(1.0)?.eval()?;
                }
                Ok(())
            }),
        ),
        (
            "astype",
            Box::new(|| {
                for _ in 0..OPS {
                    a.astype(Dtype::I32)?;
                }
                Ok(())
            }),
        ),
        (
            "sum",
            Box::new(|| {
                for _ in 0..OPS {
                    a.sum(None, false)?;
                }
                Ok(())
            }),
        ),
        (
            "chain",
            Box::new(|| {
                let mut x: GpuArray = a.clone();
                for _ in 0..OPS {
                    x = x.add(1.0)?;
                    x.eval()?;
                }
                let host = x.to_host()?;
                let got = host.as_slice::<f32>()?;
                let want: Vec<f32> = data.iter().map(|v| v + OPS as f32).collect();
                assert_eq!(got, want, "the chain's result");
                Ok(())
            }),
        ),
        (
            "rfft2 16²",
            Box::new(|| {
                for _ in 0..OPS {
                    fft::rfft2(&square, None, None, Norm::Backward)?;
                }
                Ok(())
            }),
        ),
        (
            "fft 1009",
            Box::new(|| {
                for _ in 0..OPS {
                    fft::fft(&prime, None, -1, Norm::Backward)?;
                }
                Ok(())
            }),
        ),
    ];
    println!(
        "{:<12} {:>10} {:>12} {:>12} {:>12}",
        "case", "ops", "µs per op", "dispatches", "submissions"
    );
    for (name, case) in &cases {
        // Warm-up: pipelines compiled, pool filled.
        case()?;
        sync(&gpu);
        let before = gpu.stats();
        let start = Instant::now();
        case()?;
        sync(&gpu);
        let secs = start.elapsed().as_secs_f64();
        let after = gpu.stats();
        println!(
            "{:<12} {:>10} {:>12.1} {:>12} {:>12}",
            name,
            OPS,
            secs / OPS as f64 * 1e6,
            after.dispatches - before.dispatches,
            after.submissions - before.submissions,
        );
    }
    Ok(())
}

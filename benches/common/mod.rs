//! Shared by the benchmarks: waiting for the GPU, and timing cases side by side.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use gpuarray::Gpu;

/// Waits until the GPU has finished everything submitted, after flushing pending
/// `write_buffer`s with an empty submit.
pub fn sync(gpu: &Gpu) {
    gpu.queue().submit([]);
    gpu.device()
        .poll(wgpu::PollType::wait_indefinitely())
        .expect("waiting for the GPU");
}

/// Median seconds of each case, timed `iters` times round-robin (after one warm-up each), so
/// that drift in the machine's speed affects every case alike.
pub fn interleaved(iters: usize, cases: &mut [&mut dyn FnMut()]) -> Vec<f64> {
    for case in cases.iter_mut() {
        case();
    }
    let mut times: Vec<Vec<Duration>> = vec![vec![]; cases.len()];
    for _ in 0..iters {
        for (case, t) in cases.iter_mut().zip(&mut times) {
            let start = Instant::now();
            case();
            t.push(start.elapsed());
        }
    }
    times
        .into_iter()
        .map(|mut t| {
            t.sort();
            t[t.len() / 2].as_secs_f64()
        })
        .collect()
}

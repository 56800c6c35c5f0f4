//! Batched submission (`src/gpu/dispatch.rs`): operations are recorded and submitted when a
//! result is needed. These tests check that batching changes nothing a program can see:
//! results equal the unbatched ones bit for bit, buffers freed inside a batch are not reused
//! for uploads before the batch runs, parameters of many kernels in one batch stay apart,
//! submissions on `Gpu::queue` see the recorded work, and many threads share one stream.
//! Each compares against plain Rust loops on the host.

mod common;

use common::gpu;
use gpuarray::{GpuArray, View, wgpu};

/// `n` values `seed, seed + 1, ...` (exact in f32 below 2²⁴).
fn ramp(n: usize, seed: f32) -> Vec<f32> {
    (0..n).map(|i| seed + i as f32).collect()
}

fn upload(data: &[f32]) -> GpuArray {
    gpu()
        .upload(&View::from_slice(data, &[data.len()]).unwrap())
        .unwrap()
}

fn host(a: &GpuArray) -> Vec<f32> {
    a.to_host().unwrap().as_slice::<f32>().unwrap().to_vec()
}

/// A chain of kernels (elementwise, convert, reduction) evaluated one by one: once with a
/// `sync` after every operation (each its own submission), once batched. Both equal the host's
/// result exactly (integers and halves, exact in f32), and the batched run made far fewer
/// submissions than dispatches.
#[test]
fn batched_results_equal_unbatched_ones() {
    // A context of its own: its counters see only this test's work.
    let gpu = &gpuarray::Gpu::new().unwrap();
    let data = ramp(70_000, -35_000.0);
    let run = |sync_each: bool| -> (Vec<f32>, f32, Vec<i32>, u64, u64) {
        let before = gpu.stats();
        let mut x = gpu
            .upload(&View::from_slice(&data, &[data.len()]).unwrap())
            .unwrap();
        let mut keep = vec![];
        for k in 0..40 {
            x = x.mul(0.5).unwrap().add(k as f32).unwrap();
            x.eval().unwrap();
            keep.push(x.clone());
            if sync_each {
                gpu.sync().unwrap();
            }
        }
        let ints = x.astype(gpuarray::Dtype::I32).unwrap();
        let sum = x.abs().unwrap().sum(None, false).unwrap();
        if sync_each {
            gpu.sync().unwrap();
        }
        let after = gpu.stats();
        let sum = sum.to_host().unwrap().as_slice::<f32>().unwrap()[0];
        let ints = ints.to_host().unwrap().as_slice::<i32>().unwrap().to_vec();
        (
            host(&x),
            sum,
            ints,
            after.dispatches - before.dispatches,
            after.submissions - before.submissions,
        )
    };
    let (xs, s1, i1, d1, sub1) = run(true);
    let (xb, s2, i2, d2, sub2) = run(false);
    // The host: x ← x/2 + k, 40 times, in f32. Halving is exact, so each step has one rounding
    // (the addition), fused or not: the GPU must match bit for bit.
    let want: Vec<f32> = data
        .iter()
        .map(|&v| (0..40).fold(v, |x, k| x * 0.5 + k as f32))
        .collect();
    for (i, (&w, (&a, &b))) in want.iter().zip(xs.iter().zip(&xb)).enumerate() {
        assert_eq!(a.to_bits(), w.to_bits(), "synced result at {i}");
        assert_eq!(a.to_bits(), b.to_bits(), "batched result at {i}");
    }
    assert_eq!(i1, i2, "astype after the chain");
    assert_eq!(s1.to_bits(), s2.to_bits(), "sum after the chain");
    assert_eq!(d1, d2, "the same dispatches either way");
    assert!(
        sub1 >= 40 && sub2 * 4 < d2,
        "syncing after each op submitted {sub1} times; batching submitted {sub2} times for \
         {d2} dispatches"
    );
}

/// An array dropped while the kernel reading it waits for submission: its buffer must not
/// take the next upload (that write would land before the kernel runs and change its input).
#[test]
fn a_buffer_freed_inside_a_batch_is_not_reused_before_the_batch_runs() {
    let gpu = gpu();
    let n = 50_000;
    for round in 0..3 {
        let a = ramp(n, 1.0 + round as f32);
        let b = ramp(n, -1e6);
        let x = upload(&a);
        let y = x.mul(2.0).unwrap();
        y.eval().unwrap(); // recorded, not submitted
        drop(x);
        // Same size class as x: the pool would hand out x's buffer.
        let z = upload(&b);
        let want: Vec<f32> = a.iter().map(|v| v * 2.0).collect();
        assert_eq!(
            host(&y),
            want,
            "round {round}: the kernel read its own input"
        );
        assert_eq!(host(&z), b, "round {round}: the upload");
    }
    // Reuse still happens once the batch is submitted.
    let reused = gpu.stats().buffers_reused;
    drop(upload(&ramp(n, 0.0)));
    gpu.sync().unwrap();
    drop(upload(&ramp(n, 0.0)));
    assert!(
        gpu.stats().buffers_reused > reused,
        "pooled buffers come back"
    );
}

/// Many kernels in one batch, each with its own scalar parameter: the parameter slots of the
/// batch never overlap (a reused slot would give two kernels the same scalar), across more
/// than one batch.
#[test]
fn parameters_of_kernels_in_one_batch_stay_apart() {
    let data = ramp(1000, 0.0);
    let a = upload(&data);
    let outs: Vec<GpuArray> = (0..300)
        .map(|k| {
            let y = a.add(k as f32).unwrap();
            y.eval().unwrap();
            y
        })
        .collect();
    for (k, y) in outs.iter().enumerate() {
        let want: Vec<f32> = data.iter().map(|v| v + k as f32).collect();
        assert_eq!(host(y), want, "kernel {k}");
    }
}

/// Work submitted by the caller on `Gpu::queue` runs after what gpuarray recorded: a copy of a
/// just-recorded result into a buffer of the caller's own reads that result.
#[test]
fn the_public_queue_runs_after_recorded_work() {
    let gpu = gpu();
    let data = ramp(4096, 3.0);
    let y = upload(&data).mul(3.0).unwrap();
    y.eval().unwrap();
    let bytes = (data.len() * 4) as u64;
    let device = gpu.device();
    let staging = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("test staging"),
        size: bytes,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let mut encoder = device.create_command_encoder(&Default::default());
    encoder.copy_buffer_to_buffer(y.buffer().unwrap(), 0, &staging, 0, bytes);
    gpu.queue().submit([encoder.finish()]);
    staging
        .slice(..)
        .map_async(wgpu::MapMode::Read, |r| r.unwrap());
    device.poll(wgpu::PollType::wait_indefinitely()).unwrap();
    let got: Vec<f32> = bytemuck_cast(&staging.slice(..).get_mapped_range().unwrap());
    let want: Vec<f32> = data.iter().map(|v| v * 3.0).collect();
    assert_eq!(got, want);
}

fn bytemuck_cast(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_ne_bytes(c.try_into().unwrap()))
        .collect()
}

/// Four threads record chains on one context at once (batches interleave); each thread's
/// results are its own and exact.
#[test]
fn threads_share_one_stream() {
    let handles: Vec<_> = (0..4)
        .map(|t| {
            std::thread::spawn(move || {
                let data = ramp(3000, 1000.0 * t as f32);
                let mut x = upload(&data);
                for _ in 0..100 {
                    x = x.add(1.0).unwrap();
                    x.eval().unwrap();
                }
                let want: Vec<f32> = data.iter().map(|v| v + 100.0).collect();
                assert_eq!(host(&x), want, "thread {t}");
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

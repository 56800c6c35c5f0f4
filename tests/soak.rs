//! Soak and concurrency: many mixed operations of random sizes in one process with the pool's
//! bytes and the process' resident memory printed at intervals and bounded; and 8 threads doing
//! mixed work on one `Gpu` getting exactly what the same work gives done serially.
//!
//! Budget: `GPUARRAY_FUZZ=full` runs 10⁵ soak operations (as `.ci/run` does); otherwise 10³.

mod common;

use common::{Rng, gpu};
use gpuarray::fft::{self, Norm};
use gpuarray::filters::{self, Border};
use gpuarray::{GpuArray, View};

/// Resident set size of this process in bytes (Linux `/proc/self/statm`; 0 elsewhere).
fn rss() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

/// One mixed operation on fresh random data of a random size, seeded: its result on the host
/// as f32 values (complex results as their real parts).
fn mixed(rng: &mut Rng) -> Vec<f32> {
    let g = gpu();
    let (h, w) = (
        1 + rng.next_u64() as usize % 48,
        1 + rng.next_u64() as usize % 48,
    );
    let data: Vec<f32> = (0..h * w).map(|_| rng.f64(-1.0, 1.0) as f32).collect();
    let a = g
        .upload(&View::from_slice(&data, &[h, w]).unwrap())
        .unwrap();
    let out: GpuArray = match rng.next_u64() % 6 {
        0 => a
            .mul(1.5)
            .unwrap()
            .add(&a.sqrt().unwrap().abs().unwrap())
            .unwrap(),
        1 => a.sum(Some(&[1]), false).unwrap(),
        2 => a.max(Some(&[0]), false).unwrap(),
        3 => fft::fft2(&a, None, None, Norm::Ortho)
            .unwrap()
            .real()
            .unwrap(),
        4 => filters::gaussian_blur(&a, 1.5, Border::Reflect).unwrap(),
        _ => filters::box_blur(&a, 2, Border::Clamp).unwrap(),
    };
    out.to_host().unwrap().as_slice::<f32>().unwrap().to_vec()
}

#[test]
fn soak_keeps_pool_and_memory_bounded() {
    let ops = match std::env::var("GPUARRAY_FUZZ").as_deref() {
        Ok("full") => 100_000,
        _ => 1_000,
    };
    let g = gpu();
    let mut rng = Rng::new(7);
    // Warm up (pipelines compiled, pool filled), then measure from there.
    for _ in 0..200 {
        mixed(&mut rng);
    }
    let start = std::time::Instant::now();
    let (rss0, pool0) = (rss(), g.stats().pool_bytes);
    let mut peak = (rss0, pool0);
    eprintln!(
        "soak: start  rss {:>6} MiB  pool {:>6} KiB",
        rss0 >> 20,
        pool0 >> 10
    );
    for i in 1..=ops {
        mixed(&mut rng);
        if i % (ops / 4) == 0 {
            let (r, p) = (rss(), g.stats().pool_bytes);
            peak = (peak.0.max(r), peak.1.max(p));
            eprintln!(
                "soak: {i:>6}  rss {:>6} MiB  pool {:>6} KiB  ({:.1} s)",
                r >> 20,
                p >> 10,
                start.elapsed().as_secs_f64()
            );
        }
    }
    eprintln!(
        "soak: {ops} ops, peak rss {} MiB, peak pool {} KiB",
        peak.0 >> 20,
        peak.1 >> 10
    );
    // Inputs are at most 48 × 48 f32 (9 KiB; an FFT's work arrays a few times that): a pool
    // beyond 64 MiB, or resident memory growing by more than 256 MiB after the warm-up, is a
    // leak, not a working set.
    assert!(peak.1 <= 64 << 20, "pool grew to {} bytes", peak.1);
    assert!(
        peak.0 <= rss0 + (256 << 20),
        "rss grew from {rss0} to {} bytes",
        peak.0
    );
}

#[test]
fn eight_threads_on_one_gpu_equal_the_same_work_serially() {
    const THREADS: u64 = 8;
    const PER_THREAD: usize = 40;
    let work = |seed: u64| -> Vec<Vec<f32>> {
        let mut rng = Rng::new(1000 + seed);
        (0..PER_THREAD).map(|_| mixed(&mut rng)).collect()
    };
    let serial: Vec<Vec<Vec<f32>>> = (0..THREADS).map(work).collect();
    let parallel: Vec<Vec<Vec<f32>>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS).map(|t| s.spawn(move || work(t))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    // The same kernels on the same data: bit for bit the same results.
    for (t, (p, s)) in parallel.iter().zip(&serial).enumerate() {
        for (k, (a, b)) in p.iter().zip(s).enumerate() {
            let same =
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits());
            assert!(
                same,
                "thread {t}, operation {k}: differs from the serial run"
            );
        }
    }
}

//! N-D FFT plans (`src/gpu/tape.rs`, `fft::planned`): the first transform of a shape records
//! its dispatches, a repeated one replays them on new buffers. A replay must give what a
//! fresh plan gives, bit for bit (the same kernels on the same data), bind the new input (not
//! the recorded one), keep its buffers alive while its work is in flight, and do the same
//! dispatches with no compiles.
//!
//! Each case runs on two fresh contexts: on `a` the first input is planned and the second
//! replayed, on `b` the other way round, so every result is compared between a planned and
//! a replayed run. Two cases are also checked against rustfft in f64 (≤ 3e-7 relative L2, the
//! bound of `tests/gpu_fft.rs` for smooth lengths).

mod common;

use common::Rng;
use gpuarray::fft::{self, Norm};
use gpuarray::{Gpu, GpuArray, GpuOptions, View};
use num_complex::{Complex32, Complex64};
use rustfft::FftPlanner;

fn fresh() -> Gpu {
    Gpu::with_options(GpuOptions::from_env())
        .unwrap_or_else(|e| panic!("GPU tests need an adapter: {e}"))
}

fn complex_input(gpu: &Gpu, shape: &[usize], seed: u64) -> GpuArray {
    let mut rng = Rng::new(seed);
    let n: usize = shape.iter().product();
    let v: Vec<Complex32> = (0..n)
        .map(|_| Complex32::new(rng.f64(-1.0, 1.0) as f32, rng.f64(-1.0, 1.0) as f32))
        .collect();
    gpu.upload(&View::from_slice(&v, shape).unwrap()).unwrap()
}

fn real_input(gpu: &Gpu, shape: &[usize], seed: u64) -> GpuArray {
    let mut rng = Rng::new(seed);
    let n: usize = shape.iter().product();
    let v: Vec<f32> = (0..n).map(|_| rng.f64(-1.0, 1.0) as f32).collect();
    gpu.upload(&View::from_slice(&v, shape).unwrap()).unwrap()
}

fn byte_input(gpu: &Gpu, shape: &[usize], seed: u64) -> GpuArray {
    let n: usize = shape.iter().product();
    let v = Rng::new(seed).bytes(n);
    gpu.upload(&View::from_slice(&v, shape).unwrap()).unwrap()
}

/// The raw bytes of a result, for bit-for-bit comparison.
fn bytes(a: &GpuArray) -> Vec<u8> {
    a.to_host().unwrap().bytes().to_vec()
}

type Input = fn(&Gpu, u64) -> GpuArray;
type Op = fn(&GpuArray) -> gpuarray::Result<GpuArray>;

/// The cases: an input maker and a transform. Routes covered: smooth Stockham along
/// contiguous and strided axes, the half-length real route, paired odd real lines, Rader,
/// Bluestein, the split plan, padding (`s`), strided, u8 and lazy inputs, inverse real transforms.
fn cases() -> Vec<(&'static str, Input, Op)> {
    vec![
        (
            "fft2 c64 [48, 40]",
            |g, s| complex_input(g, &[48, 40], s),
            |x| fft::fft2(x, None, None, Norm::Backward),
        ),
        (
            "ifftn ortho c64 [16, 9, 10] axes [0, 2]",
            |g, s| complex_input(g, &[16, 9, 10], s),
            |x| fft::ifftn(x, None, Some(&[0, 2]), Norm::Ortho),
        ),
        (
            "rfft2 f32 [30, 40]",
            |g, s| real_input(g, &[30, 40], s),
            |x| fft::rfft2(x, None, None, Norm::Backward),
        ),
        (
            "rfftn f32 [9, 7, 5]",
            |g, s| real_input(g, &[9, 7, 5], s),
            |x| fft::rfftn(x, None, None, Norm::Forward),
        ),
        (
            "irfft2 c64 [32, 17] s [32, 32]",
            |g, s| complex_input(g, &[32, 17], s),
            |x| fft::irfft2(x, Some(&[32, 32]), None, Norm::Backward),
        ),
        (
            "fftn c64 [20, 11] padded to [24, 13] (radix 13)",
            |g, s| complex_input(g, &[20, 11], s),
            |x| fft::fftn(x, Some(&[24, 13]), None, Norm::Backward),
        ),
        (
            "fft c64 [3, 1009] (Rader)",
            |g, s| complex_input(g, &[3, 1009], s),
            |x| fft::fft(x, None, -1, Norm::Backward),
        ),
        (
            "ifft c64 [2, 1369] (Bluestein)",
            |g, s| complex_input(g, &[2, 1369], s),
            |x| fft::ifft(x, None, -1, Norm::Backward),
        ),
        (
            "fft2 c64 [74, 10] (split: a pass of 2, then Rader's 37, along axis 0)",
            |g, s| complex_input(g, &[74, 10], s),
            |x| fft::fft2(x, None, None, Norm::Backward),
        ),
        (
            "fft2 of a transposed view",
            |g, s| complex_input(g, &[24, 36], s).transpose(),
            |x| fft::fft2(x, None, None, Norm::Backward),
        ),
        (
            "rfft2 u8 [24, 32]",
            |g, s| byte_input(g, &[24, 32], s),
            |x| fft::rfft2(x, None, None, Norm::Backward),
        ),
        (
            "rfft2 of a lazy input (2x + 1)",
            |g, s| {
                real_input(g, &[16, 20], s)
                    .mul(2.0)
                    .unwrap()
                    .add(1.0)
                    .unwrap()
            },
            |x| fft::rfft2(x, None, None, Norm::Backward),
        ),
    ]
}

/// Runs `op` on inputs 1 and 2 of `input` on context `g` (the first planned, the second
/// replayed); returns both results and the dispatches and compiles of each call.
fn planned_then_replayed(
    g: &Gpu,
    input: Input,
    op: Op,
    seeds: [u64; 2],
) -> [(Vec<u8>, u64, u64); 2] {
    let mut out = Vec::new();
    for (i, seed) in seeds.into_iter().enumerate() {
        let x = input(g, seed);
        g.sync().unwrap();
        let before = g.stats();
        let y = op(&x).unwrap();
        g.sync().unwrap();
        let after = g.stats();
        assert_eq!(
            after.replays - before.replays,
            i as u64,
            "call {i}: the first call plans, the second replays"
        );
        out.push((
            bytes(&y),
            after.dispatches - before.dispatches,
            after.compiles - before.compiles,
        ));
    }
    [out[0].clone(), out[1].clone()]
}

#[test]
fn replays_match_fresh_plans_bit_for_bit() {
    for (name, input, op) in cases() {
        let (a, b) = (fresh(), fresh());
        let [a1, a2] = planned_then_replayed(&a, input, op, [1, 2]);
        let [b2, b1] = planned_then_replayed(&b, input, op, [2, 1]);
        assert!(
            a1.0 == b1.0,
            "{name}: input 1 planned (a) against replayed (b)"
        );
        assert!(
            a2.0 == b2.0,
            "{name}: input 2 replayed (a) against planned (b)"
        );
        assert!(a1.0 != a2.0, "{name}: the replay read the new input");
        assert_eq!(a2.1, b2.1, "{name}: a replay does the planned dispatches");
        assert!(a2.1 > 0, "{name}");
        assert_eq!(a2.2, 0, "{name}: a replay compiles nothing");
        eprintln!("{name}: {} dispatches, replayed bit for bit", a2.1);
    }
}

/// rustfft in f64 of `x` (`[rows, cols]`, C order) along both axes.
fn reference_2d(x: &[Complex64], rows: usize, cols: usize) -> Vec<Complex64> {
    let mut planner = FftPlanner::new();
    let mut y = x.to_vec();
    for row in y.chunks_mut(cols) {
        planner.plan_fft_forward(cols).process(row);
    }
    let mut col = vec![Complex64::new(0.0, 0.0); rows];
    for c in 0..cols {
        for r in 0..rows {
            col[r] = y[r * cols + c];
        }
        planner.plan_fft_forward(rows).process(&mut col);
        for r in 0..rows {
            y[r * cols + c] = col[r];
        }
    }
    y
}

fn rel_l2(got: &[Complex64], want: &[Complex64]) -> f64 {
    let num: f64 = got.iter().zip(want).map(|(g, w)| (g - w).norm_sqr()).sum();
    let den: f64 = want.iter().map(|w| w.norm_sqr()).sum();
    (num / den).sqrt()
}

fn complex_values(a: &GpuArray) -> Vec<Complex64> {
    let h = a.to_host().unwrap();
    h.as_slice::<Complex32>()
        .unwrap()
        .iter()
        .map(|z| Complex64::new(z.re as f64, z.im as f64))
        .collect()
}

/// Many replays in flight at once (no download between them, each input dropped at once):
/// each keeps its own buffers. Every rfft2 is checked against rustfft, every round trip
/// against its input.
#[test]
fn replays_in_flight_keep_their_buffers() {
    let g = fresh();
    let (rows, cols) = (64, 48);
    let mut kept = Vec::new();
    for seed in 0..8u64 {
        let x = real_input(&g, &[rows, cols], 100 + seed);
        let host: Vec<f32> = x.to_host().unwrap().as_slice::<f32>().unwrap().to_vec();
        let spectrum = fft::rfft2(&x, None, None, Norm::Backward).unwrap();
        drop(x);
        let back = fft::irfft2(&spectrum, Some(&[rows, cols]), None, Norm::Backward).unwrap();
        kept.push((host, spectrum, back));
    }
    assert_eq!(g.stats().replays, 2 * 7, "{}", g.stats());
    for (i, (host, spectrum, back)) in kept.iter().enumerate() {
        let x: Vec<Complex64> = host
            .iter()
            .map(|&v| Complex64::new(v as f64, 0.0))
            .collect();
        let full = reference_2d(&x, rows, cols);
        let half: Vec<Complex64> = full
            .chunks(cols)
            .flat_map(|row| row[..cols / 2 + 1].to_vec())
            .collect();
        let err = rel_l2(&complex_values(spectrum), &half);
        assert!(err <= 3e-7, "rfft2 {i}: {err:.2e}");
        let got = back.to_host().unwrap();
        let got = got.as_slice::<f32>().unwrap();
        let worst = got
            .iter()
            .zip(host)
            .map(|(g, w)| (g - w).abs())
            .fold(0f32, f32::max);
        // Round trip of values in [-1, 1]: a few f32 ulps of the spectrum's scale.
        assert!(worst <= 1e-5, "round trip {i}: {worst:.2e}");
    }
}

/// Plans on a context with a 64 KiB binding, whose transforms run in chunks: the replay
/// binds the same windows of the new buffers.
#[test]
fn chunked_transforms_replay() {
    let small = || {
        Gpu::with_options(GpuOptions {
            max_binding: Some(64 << 10),
            ..GpuOptions::from_env()
        })
        .unwrap_or_else(|e| panic!("GPU tests need an adapter: {e}"))
    };
    let cases: [(&str, Input, Op); 2] = [
        (
            "rfft2 f32 [256, 192]",
            |g, s| real_input(g, &[256, 192], s),
            |x| fft::rfft2(x, None, None, Norm::Backward),
        ),
        (
            "fft c64 [4096, 6] axis 0",
            |g, s| complex_input(g, &[4096, 6], s),
            |x| fft::fft(x, None, 0, Norm::Backward),
        ),
    ];
    for (name, input, op) in cases {
        let (a, b) = (small(), small());
        let [a1, a2] = planned_then_replayed(&a, input, op, [3, 4]);
        let [b2, b1] = planned_then_replayed(&b, input, op, [4, 3]);
        assert!(a1.0 == b1.0 && a2.0 == b2.0, "{name}");
        assert_eq!(a2.1, b2.1, "{name}");
        eprintln!(
            "{name}: {} dispatches in chunks, replayed bit for bit",
            a2.1
        );
    }
    // The first case's reference: the chunked replay against rustfft.
    let g = small();
    let _ = fft::rfft2(&real_input(&g, &[256, 192], 5), None, None, Norm::Backward).unwrap();
    let x = real_input(&g, &[256, 192], 6);
    let host: Vec<Complex64> = x
        .to_host()
        .unwrap()
        .as_slice::<f32>()
        .unwrap()
        .iter()
        .map(|&v| Complex64::new(v as f64, 0.0))
        .collect();
    let y = fft::rfft2(&x, None, None, Norm::Backward).unwrap();
    assert_eq!(g.stats().replays, 1);
    let full = reference_2d(&host, 256, 192);
    let half: Vec<Complex64> = full.chunks(192).flat_map(|r| r[..97].to_vec()).collect();
    let err = rel_l2(&complex_values(&y), &half);
    assert!(err <= 3e-7, "{err:.2e}");
}

//! `gpuarray::fft` against rustfft in f64 on random data.
//!
//! Tolerances (relative L2 error, ‖gpu − reference‖ / ‖reference‖):
//! - 3e-7 for lengths whose prime factors are ≤ 31 (Stockham passes, radix 2 … 31). The GPU
//!   computes in f32 (unit roundoff
//!   u = 2^-24 ≈ 6e-8); a well-implemented FFT's relative L2 error grows like O(√log n)·u, and
//!   the twiddles come from f64 tables with integer-reduced phases, so even 2^20 points stay
//!   around 1e-7. An odd-prime butterfly adds its sums as balanced trees, so a radix-31 pass
//!   costs a few roundings, like a radix-16 one. The input's own rounding to f32 is not counted: the reference transforms the
//!   same f32 values.
//! - 1e-6 for Rader (prime) lengths: two transforms of the convolution length and a
//!   multiplication by a spectrum rounded to f32, each adding a few u.
//! - 1e-6 for Bluestein lengths: three transforms of length m ≥ 2n − 1 and two chirp
//!   multiplications, each adding a few u.
//! - 1e-6 for inverse(forward(x)) against x.
//!
//! Sizes are small except one 2^20 1-D and one 1024² 2-D case, so the file runs in seconds on
//! lavapipe and llvmpipe. Measured errors are printed (`--nocapture`).

mod common;

use common::{Rng, gpu};
use gpuarray::fft::{self, Norm};
use gpuarray::{Dtype, Error, GpuArray, SliceArg, View};
use num_complex::{Complex32, Complex64};
use rustfft::FftPlanner;

type C = Complex64;

fn random(n: usize, seed: u64) -> Vec<C> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| {
            // Values exactly representable in f32, so the reference sees what the GPU sees.
            C::new(
                rng.f64(-1.0, 1.0) as f32 as f64,
                rng.f64(-1.0, 1.0) as f32 as f64,
            )
        })
        .collect()
}

fn random_real(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| rng.f64(-1.0, 1.0) as f32 as f64).collect()
}

fn upload(x: &[C], shape: &[usize]) -> GpuArray {
    let v: Vec<Complex32> = x
        .iter()
        .map(|z| Complex32::new(z.re as f32, z.im as f32))
        .collect();
    gpu().upload(&View::from_slice(&v, shape).unwrap()).unwrap()
}

fn upload_real(x: &[f64], shape: &[usize]) -> GpuArray {
    let v: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    gpu().upload(&View::from_slice(&v, shape).unwrap()).unwrap()
}

fn download(a: &GpuArray) -> Vec<C> {
    assert_eq!(a.dtype(), Dtype::C64);
    let h = a.to_host().unwrap();
    h.as_slice::<Complex32>()
        .unwrap()
        .iter()
        .map(|z| C::new(z.re as f64, z.im as f64))
        .collect()
}

fn download_real(a: &GpuArray) -> Vec<f64> {
    assert_eq!(a.dtype(), Dtype::F32);
    let h = a.to_host().unwrap();
    h.as_slice::<f32>()
        .unwrap()
        .iter()
        .map(|&v| v as f64)
        .collect()
}

fn rel_l2(got: &[C], want: &[C]) -> f64 {
    assert_eq!(got.len(), want.len());
    let num: f64 = got.iter().zip(want).map(|(g, w)| (g - w).norm_sqr()).sum();
    let den: f64 = want.iter().map(|w| w.norm_sqr()).sum();
    (num / den.max(1e-300)).sqrt()
}

fn rel_l2_real(got: &[f64], want: &[f64]) -> f64 {
    let c = |v: &[f64]| v.iter().map(|&x| C::new(x, 0.0)).collect::<Vec<_>>();
    rel_l2(&c(got), &c(want))
}

/// `(outer, n, inner)` around `axis`.
fn split(shape: &[usize], axis: usize) -> (usize, usize, usize) {
    (
        shape[..axis].iter().product(),
        shape[axis],
        shape[axis + 1..].iter().product(),
    )
}

/// The unnormalised transform along `axis`, in f64 with rustfft.
fn ref_axis(x: &mut [C], shape: &[usize], axis: usize, inverse: bool) {
    let (outer, n, inner) = split(shape, axis);
    let mut planner = FftPlanner::<f64>::new();
    let f = if inverse {
        planner.plan_fft_inverse(n)
    } else {
        planner.plan_fft_forward(n)
    };
    let mut line = vec![C::default(); n];
    for o in 0..outer {
        for i in 0..inner {
            for k in 0..n {
                line[k] = x[(o * n + k) * inner + i];
            }
            f.process(&mut line);
            for k in 0..n {
                x[(o * n + k) * inner + i] = line[k];
            }
        }
    }
}

/// `x` cropped or zero-padded to `len` along `axis`.
fn ref_resize(x: &[C], shape: &[usize], axis: usize, len: usize) -> (Vec<C>, Vec<usize>) {
    let (outer, n, inner) = split(shape, axis);
    let mut out = vec![C::default(); outer * len * inner];
    for o in 0..outer {
        for k in 0..n.min(len) {
            for i in 0..inner {
                out[(o * len + k) * inner + i] = x[(o * n + k) * inner + i];
            }
        }
    }
    let mut s = shape.to_vec();
    s[axis] = len;
    (out, s)
}

fn scale(x: &mut [C], f: f64) {
    x.iter_mut().for_each(|v| *v *= f);
}

/// Checks `fft` and `ifft` of one batched shape along `axis` against rustfft; returns the worst
/// relative L2 error.
fn check_c2c(shape: &[usize], axis: usize, tol: f64, seed: u64) -> f64 {
    let len = shape.iter().product();
    let x = random(len, seed);
    let a = upload(&x, shape);
    let mut worst: f64 = 0.0;
    for inverse in [false, true] {
        let got = if inverse {
            fft::ifft(&a, None, axis as isize, Norm::Backward)
        } else {
            fft::fft(&a, None, axis as isize, Norm::Backward)
        }
        .unwrap();
        assert_eq!(got.shape(), shape);
        let mut want = x.clone();
        ref_axis(&mut want, shape, axis, inverse);
        if inverse {
            scale(&mut want, 1.0 / shape[axis] as f64);
        }
        let err = rel_l2(&download(&got), &want);
        assert!(
            err <= tol,
            "{shape:?} axis {axis} inverse {inverse}: error {err:.3e} > {tol:.0e}"
        );
        worst = worst.max(err);
    }
    worst
}

#[test]
fn smooth_lengths_match_rustfft() {
    let mut worst: f64 = 0.0;
    // Workgroup-memory kernels (≤ 4096 points on lavapipe), then four-step lengths. Every
    // prime radix (2 … 31), the large ones twice in one line (121 = 11·11, 143 = 11·13), four
    // passes of 4, 7, 11, 13 (4004), and four-step over 6006 = 77 · 78 (passes 7, 11 and
    // 6, 13).
    for n in [
        1, 2, 3, 4, 5, 7, 8, 11, 13, 16, 17, 19, 23, 29, 30, 31, 32, 49, 64, 105, 121, 128, 143,
        243, 343, 360, 625, 1000, 1024, 2048, 4004, 4096, 8192, 6006, 65536,
    ] {
        let batch = (16384 / n).clamp(1, 3);
        let err = check_c2c(&[batch, n], 1, 3e-7, n as u64);
        eprintln!("c2c n = {n:6} (batch {batch}): max relative L2 error {err:.2e}");
        worst = worst.max(err);
    }
    eprintln!("c2c smooth lengths: worst {worst:.2e}");
}

#[test]
fn every_pass_shape_contiguous_and_strided() {
    // The kernel's pass shapes: one pass (n ≤ 16), two and three passes, odd primes joined to a
    // power-of-two pass (48 = 16·3, 240 = 16·15) or on their own (1715 = 7·7·7·5), the powers
    // of two split unevenly (2048 = 16·16·8). Contiguous lines in batches of 3 (not a multiple
    // of the lines per workgroup), and the same lengths along a strided axis with 5 lines
    // side by side (interleaved workgroups of up to 16 lines: 5 is not a multiple either).
    // On a CPU adapter, the even lengths of more than one pass whose passes have an even
    // number of butterflies (96 = 8·12, 2048, 3072) take their contiguous points in pairs
    // (one vec4 per two points), and 6 lines side by side take pairs of lines; 5 do not
    // (`stockham::Pair`): both kinds are checked. Passes of the large primes: 62 = 2·31,
    // 352 = 8·4·11 (points paired), 4092 = 12·11·31 (Rader's convolution for 4093).
    for n in [6, 12, 16, 48, 62, 96, 240, 352, 1715, 2048, 3072, 4092] {
        let err = check_c2c(&[3, n], 1, 3e-7, n as u64);
        let strided = check_c2c(&[n, 5], 0, 3e-7, n as u64 + 1);
        let pairs = check_c2c(&[n, 6], 0, 3e-7, n as u64 + 2);
        eprintln!(
            "c2c n = {n:5}: contiguous {err:.2e}, strided {strided:.2e}, strided pairs {pairs:.2e}"
        );
    }
}

#[test]
fn bluestein_lengths_match_rustfft() {
    // Lengths with a prime factor above 31 that neither Rader's plan (primes) nor the split
    // plan (a smooth factor times a Rader prime) takes: 37², 37·41 and 2·37².
    for n in [1369, 1517, 2738] {
        let err = check_c2c(&[2, n], 1, 1e-6, n as u64);
        eprintln!("c2c Bluestein n = {n:5}: max relative L2 error {err:.2e}");
    }
}

fn is_prime(n: usize) -> bool {
    n >= 2 && (2..).take_while(|d| d * d <= n).all(|d| n % d != 0)
}

#[test]
fn rader_prime_lengths_match_rustfft() {
    // Every prime from 37 to 64 (2 … 31 are butterflies: `smooth_lengths_match_rustfft`), then
    // a spread up to 4099 and one above: p − 1 smooth (a cyclic convolution of length p − 1:
    // 97, 1009, 4051; 331, 2003 and 4093 with factors 11 … 31; 8191, whose convolution of 8190
    // points takes the four-step route) or not (padded to a smooth length ≥ 2p − 3: 83 to
    // 165, 4099 to 8208). Each convolution length is a kernel to compile (cold, on llvmpipe,
    // seconds each): the spread is kept short. Batches of up to 3 lines (not a multiple of the
    // lines per workgroup).
    let mut lengths: Vec<usize> = (37..64).filter(|&n| is_prime(n)).collect();
    lengths.extend([83, 97, 331, 1009, 2003, 4051, 4093, 4099, 8191]);
    let mut worst: f64 = 0.0;
    for n in lengths {
        let batch = (16384 / n).clamp(1, 3);
        let err = check_c2c(&[batch, n], 1, 1e-6, n as u64);
        eprintln!("c2c prime n = {n:5} (batch {batch}): max relative L2 error {err:.2e}");
        worst = worst.max(err);
    }
    // The fused kernel (convolutions up to the workgroup length: 37 … 4093) over several
    // workgroups, the last one partial: 37 (m = 36) takes 28 lines per workgroup, 97 (m = 96) 10.
    for shape in [[100, 37], [23, 97]] {
        let err = check_c2c(&shape, 1, 1e-6, 5);
        eprintln!("c2c Rader {shape:?}: max relative L2 error {err:.2e}");
        worst = worst.max(err);
    }
    // Along a strided axis, 5 lines side by side, and the middle axis of a 3-D array (fused:
    // 37, 1009, 83 (padded convolution) and 4093; six dispatches: 4099).
    for (shape, axis) in [
        (&[37, 5][..], 0),
        (&[1009, 5], 0),
        (&[2, 83, 3], 1),
        (&[2, 4093, 3], 1),
        (&[2, 4099, 3], 1),
    ] {
        let err = check_c2c(shape, axis, 1e-6, 11);
        eprintln!("c2c Rader {shape:?} axis {axis}: max relative L2 error {err:.2e}");
        worst = worst.max(err);
    }
    eprintln!("c2c Rader: worst {worst:.2e}");
}

#[test]
fn fused_rader_takes_one_dispatch() {
    // A prime whose convolution fits the workgroup takes as many dispatches as its smooth
    // neighbour (one Stockham kernel): the fused Rader kernel, not the six-dispatch route.
    // A context of its own, so that tests running beside it do not add to its counts.
    let gpu = gpuarray::Gpu::new().expect("GPU tests need an adapter");
    let count = |n: usize| {
        let x: Vec<Complex32> = (0..3 * n).map(|j| Complex32::new(j as f32, 1.0)).collect();
        let a = gpu.upload(&View::from_slice(&x, &[3, n]).unwrap()).unwrap();
        let before = gpu.stats().dispatches;
        fft::fft(&a, None, -1, Norm::Backward).unwrap();
        gpu.stats().dispatches - before
    };
    assert_eq!(count(1009), count(1000));
    assert_eq!(count(4051), count(4050));
    // 4093: p − 1 = 4092 = 4·3·11·31 is smooth, so its convolution fits the workgroup.
    assert_eq!(count(4093), count(4096));
}

#[test]
fn split_lengths_match_rustfft() {
    // A smooth factor's Stockham pass, then Rader's lines (`src/gpu/fft/split.rs`): 2·37
    // (Rader's lines 2 apart, 100 of them: several workgroups of the fused kernel, the last
    // partial), 2·1009, 3·1031 (a padded convolution of 2070), 4·1009, 5·1009, 2·4093; a
    // smooth part beyond the workgroup length, 8192·37 = 4096 · (2·37): a pass of 4096, then
    // a sub-plan that splits again. Batches of up to 3 lines.
    let mut worst: f64 = 0.0;
    for (batch, n) in [
        (100, 74),
        (3, 2018),
        (3, 3093),
        (2, 4036),
        (2, 5045),
        (1, 8186),
        (1, 8192 * 37),
    ] {
        let err = check_c2c(&[batch, n], 1, 1e-6, n as u64);
        eprintln!("c2c split n = {n:6} (batch {batch}): max relative L2 error {err:.2e}");
        worst = worst.max(err);
    }
    // Along a strided axis (5 and 6 lines side by side) and the middle axis of a 3-D array.
    for (shape, axis) in [(&[2018, 5][..], 0), (&[4036, 6], 0), (&[2, 3093, 3], 1)] {
        let err = check_c2c(shape, axis, 1e-6, 13);
        eprintln!("c2c split {shape:?} axis {axis}: max relative L2 error {err:.2e}");
        worst = worst.max(err);
    }
    // Real transforms: the half-length route of 4036 (complex lines of 2018) and paired odd
    // lines of 3093 along axis 0.
    for (shape, axis) in [(&[2, 4036][..], 1), (&[3093, 2], 0)] {
        let err = check_real(shape, axis, 19);
        eprintln!("real split {shape:?} axis {axis}: max relative L2 error {err:.2e}");
        worst = worst.max(err);
    }
    worst = worst.max(check_norms(2018, 2, 17, 1e-6));
    eprintln!("c2c split: worst {worst:.2e}");
}

#[test]
fn split_lengths_take_two_dispatches() {
    // 2·1009 and 3·1031 take their smooth neighbour's one Stockham dispatch plus one (the
    // fused Rader kernel), where Bluestein took five (three light passes and two transforms
    // of 4096 or 8192 points). A context of its own, as in `fused_rader_takes_one_dispatch`.
    let gpu = gpuarray::Gpu::new().expect("GPU tests need an adapter");
    let count = |n: usize| {
        let x: Vec<Complex32> = (0..3 * n).map(|j| Complex32::new(j as f32, 1.0)).collect();
        let a = gpu.upload(&View::from_slice(&x, &[3, n]).unwrap()).unwrap();
        let before = gpu.stats().dispatches;
        fft::fft(&a, None, -1, Norm::Backward).unwrap();
        gpu.stats().dispatches - before
    };
    assert_eq!(count(2018), count(2016) + 1);
    assert_eq!(count(3093), count(3072) + 1);
}

#[test]
fn a_million_points() {
    let n = 1 << 20;
    let err = check_c2c(&[n], 0, 3e-7, 20);
    eprintln!("c2c n = 2^20: max relative L2 error {err:.2e}");
}

#[test]
fn fft2_of_1024_squared() {
    let shape = [1024, 1024];
    let x = random(1 << 20, 2);
    let got = fft::fft2(&upload(&x, &shape), None, None, Norm::Backward).unwrap();
    let mut want = x.clone();
    ref_axis(&mut want, &shape, 1, false);
    ref_axis(&mut want, &shape, 0, false);
    let err = rel_l2(&download(&got), &want);
    eprintln!("fft2 1024x1024: relative L2 error {err:.2e}");
    assert!(err <= 3e-7, "{err:.3e}");
}

#[test]
fn non_last_axes_and_three_dimensions() {
    // Axis 0 and 1 of a 3-D array (strided lines, no transpose), Rader (37) and radix 11 along
    // a middle axis.
    for (shape, axis) in [
        ([16, 3, 5], 0),
        ([4, 64, 3], 1),
        ([3, 37, 4], 1),
        ([3, 11, 4], 1),
        ([5, 7, 8], 2),
    ] {
        let tol = if shape[axis] == 37 { 1e-6 } else { 3e-7 };
        let err = check_c2c(&shape, axis, tol, 7);
        eprintln!("c2c {shape:?} axis {axis}: max relative L2 error {err:.2e}");
    }
    let shape = [6, 10, 12];
    let x = random(720, 3);
    let a = upload(&x, &shape);
    let mut want = x.clone();
    for ax in 0..3 {
        ref_axis(&mut want, &shape, ax, false);
    }
    let err = rel_l2(
        &download(&fft::fftn(&a, None, None, Norm::Backward).unwrap()),
        &want,
    );
    eprintln!("fftn {shape:?}: relative L2 error {err:.2e}");
    assert!(err <= 3e-7, "{err:.3e}");
    let back = fft::ifftn(
        &fft::fftn(&a, None, None, Norm::Backward).unwrap(),
        None,
        None,
        Norm::Backward,
    )
    .unwrap();
    let err = rel_l2(&download(&back), &x);
    assert!(err <= 1e-6, "{err:.3e}");
    // fft2 over axes (0, 2) with cropping and zero-padding.
    let got = fft::fft2(&a, Some(&[4, 16]), Some(&[0, 2]), Norm::Backward).unwrap();
    assert_eq!(got.shape(), [4, 10, 16]);
    let (w, s) = ref_resize(&x, &shape, 0, 4);
    let (mut w, s) = ref_resize(&w, &s, 2, 16);
    ref_axis(&mut w, &s, 2, false);
    ref_axis(&mut w, &s, 0, false);
    let err = rel_l2(&download(&got), &w);
    eprintln!("fft2 axes (0, 2), s = (4, 16): relative L2 error {err:.2e}");
    assert!(err <= 3e-7, "{err:.3e}");
}

#[test]
fn inverse_of_forward_is_identity() {
    for n in [8, 60, 13, 1009, 2003, 4093, 4096, 10000] {
        let x = random(2 * n, n as u64);
        let a = upload(&x, &[2, n]);
        for norm in [Norm::Backward, Norm::Ortho, Norm::Forward] {
            let f = fft::fft(&a, None, -1, norm).unwrap();
            let back = fft::ifft(&f, None, -1, norm).unwrap();
            let err = rel_l2(&download(&back), &x);
            assert!(err <= 1e-6, "n = {n} {norm:?}: {err:.3e}");
        }
    }
}

#[test]
fn analytic_cases() {
    let n = 360;
    // A delta at 0 → all ones.
    let mut delta = vec![C::default(); n];
    delta[0] = C::new(1.0, 0.0);
    let got = download(&fft::fft(&upload(&delta, &[n]), None, 0, Norm::Backward).unwrap());
    assert!(got.iter().all(|z| (z - C::new(1.0, 0.0)).norm() < 1e-6));
    // A sinusoid at bin k → a spike of height n at k, for a 7-smooth and a Rader length.
    for n in [360, 1009] {
        let k = 17;
        let x: Vec<C> = (0..n)
            .map(|j| {
                C::from_polar(
                    1.0,
                    2.0 * std::f64::consts::PI * ((k * j) % n) as f64 / n as f64,
                )
            })
            .collect();
        let got = download(&fft::fft(&upload(&x, &[n]), None, 0, Norm::Backward).unwrap());
        for (bin, z) in got.iter().enumerate() {
            let want = if bin == k { n as f64 } else { 0.0 };
            assert!(
                (z - C::new(want, 0.0)).norm() < 1e-3,
                "n {n} bin {bin}: {z}"
            );
        }
    }
}

/// Each norm with the forward and inverse scales NumPy gives it for `n` points.
fn norm_scales(n: usize) -> [(Norm, f64, f64); 3] {
    let nf = n as f64;
    [
        (Norm::Backward, 1.0, 1.0 / nf),
        (Norm::Ortho, 1.0 / nf.sqrt(), 1.0 / nf.sqrt()),
        (Norm::Forward, 1.0 / nf, 1.0),
    ]
}

/// fft and ifft of `rows` lines of `n` points in every norm, each within `tol` of the
/// reference scaled as NumPy does; the worst error.
fn check_norms(n: usize, rows: usize, seed: u64, tol: f64) -> f64 {
    let x = random(rows * n, seed);
    let a = upload(&x, &[rows, n]);
    let mut worst: f64 = 0.0;
    for (norm, fwd, inv) in norm_scales(n) {
        for inverse in [false, true] {
            let got = if inverse {
                fft::ifft(&a, None, 1, norm)
            } else {
                fft::fft(&a, None, 1, norm)
            }
            .unwrap();
            let mut want = x.clone();
            ref_axis(&mut want, &[rows, n], 1, inverse);
            scale(&mut want, if inverse { inv } else { fwd });
            let err = rel_l2(&download(&got), &want);
            assert!(err <= tol, "{n} {norm:?} inverse {inverse}: {err:.3e}");
            worst = worst.max(err);
        }
    }
    worst
}

#[test]
fn every_norm_mode() {
    let n = 48;
    check_norms(n, 3, 9, 3e-7);
    for (norm, fwd, _) in norm_scales(n) {
        // Real transforms scale the same way.
        let r = random_real(2 * n, 4);
        let got = fft::rfft(&upload_real(&r, &[2, n]), None, -1, norm).unwrap();
        let mut want: Vec<C> = r.iter().map(|&v| C::new(v, 0.0)).collect();
        ref_axis(&mut want, &[2, n], 1, false);
        scale(&mut want, fwd);
        let (want, _) = ref_resize(&want, &[2, n], 1, n / 2 + 1);
        let err = rel_l2(&download(&got), &want);
        assert!(err <= 3e-7, "rfft {norm:?}: {err:.3e}");
        let back = fft::irfft(&got, Some(n), -1, norm).unwrap();
        let err = rel_l2_real(&download_real(&back), &r);
        assert!(err <= 1e-6, "irfft {norm:?}: {err:.3e}");
    }
}

/// rfft and irfft of real data with `n` points along `axis` of `shape`.
fn check_real(shape: &[usize], axis: usize, seed: u64) -> f64 {
    let n = shape[axis];
    let r = random_real(shape.iter().product(), seed);
    let a = upload_real(&r, shape);
    let got = fft::rfft(&a, None, axis as isize, Norm::Backward).unwrap();
    let mut want: Vec<C> = r.iter().map(|&v| C::new(v, 0.0)).collect();
    ref_axis(&mut want, shape, axis, false);
    let (want, want_shape) = ref_resize(&want, shape, axis, n / 2 + 1);
    assert_eq!(got.shape(), want_shape);
    let tol = if fft_is_smooth(n) { 3e-7 } else { 1e-6 };
    let err = rel_l2(&download(&got), &want);
    assert!(err <= tol, "rfft {shape:?} axis {axis}: {err:.3e}");
    let back = fft::irfft(&got, Some(n), axis as isize, Norm::Backward).unwrap();
    assert_eq!(back.shape(), shape);
    let err_back = rel_l2_real(&download_real(&back), &r);
    assert!(
        err_back <= 1e-6,
        "irfft {shape:?} axis {axis}: {err_back:.3e}"
    );
    err.max(err_back)
}

fn fft_is_smooth(n: usize) -> bool {
    let mut n = n;
    for p in [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31] {
        while n % p == 0 {
            n /= p;
        }
    }
    n == 1
}

#[test]
fn real_transforms_odd_and_even() {
    for n in [
        1, 2, 3, 5, 8, 15, 16, 30, 100, 101, 1001, 1024, 4096, 8192, 4099,
    ] {
        let err = check_real(&[3, n], 1, n as u64);
        eprintln!("rfft/irfft n = {n:5}: max relative L2 error {err:.2e}");
    }
    // Along a non-last axis, and every axis of 3-D arrays: odd and even n, odd and even
    // numbers of lines (two real lines share one complex transform; an odd count leaves the
    // last one paired with zeros).
    for (shape, axis) in [
        (&[16, 3][..], 0),
        (&[9, 4, 2], 0),
        (&[2, 10, 3], 1),
        (&[5, 6, 7], 0),
        (&[5, 6, 7], 1),
        (&[5, 6, 7], 2),
        (&[8, 9, 3], 0),
        (&[8, 9, 3], 1),
        (&[8, 9, 3], 2),
        (&[3, 1009], 1),
        (&[1009, 2], 0),
    ] {
        let err = check_real(shape, axis, 5);
        eprintln!("rfft/irfft {shape:?} axis {axis}: max relative L2 error {err:.2e}");
    }
}

#[test]
fn irfft_ignores_imaginary_dc_and_nyquist_and_pads() {
    // irfft of a non-Hermitian half spectrum: NumPy drops Im X[0] and Im X[n/2].
    for n in [8, 9] {
        let m = n / 2 + 1;
        let spec = random(m, 11);
        let got =
            download_real(&fft::irfft(&upload(&spec, &[m]), Some(n), 0, Norm::Backward).unwrap());
        let mut full = vec![C::default(); n];
        for k in 0..n {
            full[k] = if k < m { spec[k] } else { spec[n - k].conj() };
        }
        full[0].im = 0.0;
        if n % 2 == 0 {
            full[n / 2].im = 0.0;
        }
        ref_axis(&mut full, &[n], 0, true);
        let want: Vec<f64> = full.iter().map(|z| z.re / n as f64).collect();
        let err = rel_l2_real(&got, &want);
        assert!(err <= 3e-7, "n = {n}: {err:.3e}");
    }
    // n larger than the input: zero-padded spectrum; default n = 2 (m - 1).
    let spec = random(5, 12);
    let a = upload(&spec, &[5]);
    assert_eq!(
        fft::irfft(&a, None, 0, Norm::Backward).unwrap().shape(),
        [8]
    );
    assert_eq!(
        fft::irfft(&a, Some(20), 0, Norm::Backward).unwrap().shape(),
        [20]
    );
}

#[test]
fn real_nd_transforms() {
    let shape = [4, 6, 10];
    let r = random_real(240, 13);
    let a = upload_real(&r, &shape);
    let got = fft::rfftn(&a, None, None, Norm::Backward).unwrap();
    assert_eq!(got.shape(), [4, 6, 6]);
    let mut want: Vec<C> = r.iter().map(|&v| C::new(v, 0.0)).collect();
    for ax in 0..3 {
        ref_axis(&mut want, &shape, ax, false);
    }
    let (want, _) = ref_resize(&want, &shape, 2, 6);
    let err = rel_l2(&download(&got), &want);
    eprintln!("rfftn {shape:?}: relative L2 error {err:.2e}");
    assert!(err <= 3e-7, "{err:.3e}");
    let back = fft::irfftn(&got, Some(&[4, 6, 10]), None, Norm::Backward).unwrap();
    let err = rel_l2_real(&download_real(&back), &r);
    assert!(err <= 1e-6, "{err:.3e}");
    // rfft2 / irfft2 over the last two axes, odd last length through s.
    let got = fft::rfft2(&a, Some(&[6, 9]), None, Norm::Ortho).unwrap();
    assert_eq!(got.shape(), [4, 6, 5]);
    let back = fft::irfft2(&got, Some(&[6, 9]), None, Norm::Ortho).unwrap();
    let (r9, _) = ref_resize(
        &r.iter().map(|&v| C::new(v, 0.0)).collect::<Vec<_>>(),
        &shape,
        2,
        9,
    );
    let err = rel_l2_real(
        &download_real(&back),
        &r9.iter().map(|z| z.re).collect::<Vec<_>>(),
    );
    assert!(err <= 1e-6, "{err:.3e}");
}

#[test]
fn strided_and_other_dtype_inputs() {
    // A transposed view: fft along axis 1 of a^T.
    let x = random(8 * 12, 21);
    let a = upload(&x, &[8, 12]);
    let t = a.transpose();
    let got = fft::fft(&t, None, 1, Norm::Backward).unwrap();
    assert_eq!(got.shape(), [12, 8]);
    let mut want: Vec<C> = (0..12 * 8).map(|e| x[(e % 8) * 12 + e / 8]).collect();
    ref_axis(&mut want, &[12, 8], 1, false);
    let err = rel_l2(&download(&got), &want);
    eprintln!("fft of a transposed view: relative L2 error {err:.2e}");
    assert!(err <= 3e-7, "{err:.3e}");
    // A reversed slice of real data.
    let r = random_real(40, 22);
    let a = upload_real(&r, &[40]);
    let s = a.slice(&[SliceArg::range(None, None, -2)]).unwrap();
    let got = fft::rfft(&s, None, 0, Norm::Backward).unwrap();
    let mut want: Vec<C> = (0..20).map(|k| C::new(r[39 - 2 * k], 0.0)).collect();
    ref_axis(&mut want, &[20], 0, false);
    let err = rel_l2(&download(&got), &want[..11]);
    assert!(err <= 3e-7, "{err:.3e}");
    // u8 data is promoted (to complex64 or float32).
    let bytes: Vec<u8> = (0..32).map(|i| (i * 37 % 251) as u8).collect();
    let a = gpu()
        .upload(&View::from_slice(&bytes, &[32]).unwrap())
        .unwrap();
    let mut want: Vec<C> = bytes.iter().map(|&b| C::new(b as f64, 0.0)).collect();
    ref_axis(&mut want, &[32], 0, false);
    let err = rel_l2(
        &download(&fft::fft(&a, None, 0, Norm::Backward).unwrap()),
        &want,
    );
    assert!(err <= 3e-7, "{err:.3e}");
    let err = rel_l2(
        &download(&fft::rfft(&a, None, 0, Norm::Backward).unwrap()),
        &want[..17],
    );
    assert!(err <= 3e-7, "{err:.3e}");
}

#[test]
fn n_crops_and_zero_pads() {
    let x = random(2 * 20, 31);
    let a = upload(&x, &[2, 20]);
    for n in [7, 20, 33] {
        let got = fft::fft(&a, Some(n), -1, Norm::Backward).unwrap();
        assert_eq!(got.shape(), [2, n]);
        let (mut want, s) = ref_resize(&x, &[2, 20], 1, n);
        ref_axis(&mut want, &s, 1, false);
        let tol = if n == 33 || n == 20 { 3e-7 } else { 1e-6 };
        let err = rel_l2(&download(&got), &want);
        assert!(err <= tol, "n {n}: {err:.3e}");
    }
}

#[test]
fn empty_batches_give_empty_results() {
    let a = upload(&[], &[0, 8]);
    assert_eq!(
        fft::fft(&a, None, 1, Norm::Backward).unwrap().shape(),
        [0, 8]
    );
    assert_eq!(
        fft::rfft(&a, None, 1, Norm::Backward).unwrap().shape(),
        [0, 5]
    );
    assert_eq!(
        fft::irfft(&a, None, 1, Norm::Backward).unwrap().shape(),
        [0, 14]
    );
}

#[test]
fn errors_name_the_problem() {
    let a = upload(&random(12, 1), &[3, 4]);
    let shape_err = |r: Result<GpuArray, Error>, what: &str| match r {
        Err(Error::Shape(msg)) => assert!(msg.contains(what), "{msg}"),
        other => panic!("expected a shape error about {what:?}, got {other:?}"),
    };
    shape_err(fft::fft(&a, Some(0), -1, Norm::Backward), "(0)");
    shape_err(fft::fft(&a, None, 2, Norm::Backward), "axis 2");
    shape_err(fft::ifft(&a, None, -3, Norm::Backward), "axis -3");
    shape_err(
        fft::fftn(&a, Some(&[4]), Some(&[0, 1]), Norm::Backward),
        "different lengths",
    );
    shape_err(
        fft::fftn(&a, Some(&[4, 4, 4]), None, Norm::Backward),
        "more entries",
    );
    shape_err(
        fft::rfftn(&a, None, Some(&[]), Norm::Backward),
        "at least one axis",
    );
    shape_err(
        fft::irfft(&upload(&random(1, 1), &[1]), None, 0, Norm::Backward),
        "(0)",
    );
    shape_err(fft::fft(&upload(&[], &[0]), None, 0, Norm::Backward), "(0)");
    shape_err(fft::fftfreq(gpu(), 0, 1.0), "n > 0");
    shape_err(fft::fftshift(&a, Some(&[5])), "axis 5");
}

#[test]
fn shifts_and_frequencies() {
    let v: Vec<f32> = (0..15).map(|i| i as f32).collect();
    let a = gpu()
        .upload(&View::from_slice(&v, &[3, 5]).unwrap())
        .unwrap();
    let host = |a: GpuArray| a.to_host().unwrap().as_slice::<f32>().unwrap().to_vec();
    // np.fft.fftshift(np.arange(15).reshape(3, 5))
    assert_eq!(
        host(fft::fftshift(&a, None).unwrap()),
        [
            13., 14., 10., 11., 12., 3., 4., 0., 1., 2., 8., 9., 5., 6., 7.
        ]
    );
    assert_eq!(
        host(fft::ifftshift(&fft::fftshift(&a, None).unwrap(), None).unwrap()),
        v
    );
    assert_eq!(
        host(fft::fftshift(&a, Some(&[-1])).unwrap()),
        [
            3., 4., 0., 1., 2., 8., 9., 5., 6., 7., 13., 14., 10., 11., 12.
        ]
    );
    // Packed dtypes keep their dtype.
    let bytes: Vec<u8> = (0..6).collect();
    let b = gpu()
        .upload(&View::from_slice(&bytes, &[6]).unwrap())
        .unwrap();
    let s = fft::fftshift(&b, None).unwrap();
    assert_eq!(s.dtype(), Dtype::U8);
    assert_eq!(
        s.to_host().unwrap().as_slice::<u8>().unwrap(),
        [3, 4, 5, 0, 1, 2]
    );
    // np.fft.fftfreq(5, 0.5), np.fft.fftfreq(4), np.fft.rfftfreq(5, 0.5)
    assert_eq!(
        host(fft::fftfreq(gpu(), 5, 0.5).unwrap()),
        [0.0, 0.4, 0.8, -0.8, -0.4]
    );
    assert_eq!(
        host(fft::fftfreq(gpu(), 4, 1.0).unwrap()),
        [0.0, 0.25, -0.5, -0.25]
    );
    assert_eq!(host(fft::rfftfreq(gpu(), 5, 0.5).unwrap()), [0.0, 0.4, 0.8]);
}

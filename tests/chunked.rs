//! Every op family on arrays larger than one storage binding: each op runs on a context with the
//! adapter's binding and on one with `max_binding = 64 KiB`, on arrays of a few MiB. The results
//! must be equal (bit for bit where the chunked arithmetic is the same, else within the op's
//! stated tolerance), and the chunked run must have used more dispatches, which proves that its
//! chunked path ran. Each unchunked path is checked against a CPU reference in its own test
//! file; here some results are checked against one too, so that the two runs cannot agree on a
//! wrong answer unnoticed.

mod common;

use common::Rng;
use gpuarray::fft::{self, Norm};
use gpuarray::filters::spatial::Method;
use gpuarray::filters::{self, Border, Equalize};
use gpuarray::gpu::context::MIN_BINDING;
use gpuarray::{Dtype, Gpu, GpuArray, GpuOptions, HostArray, Result, SliceArg, View};

/// The binding of the chunked runs.
const SMALL: u64 = 64 << 10;

/// Two contexts on the same adapter: the adapter's binding and [`SMALL`]. Each test makes its
/// own, since the dispatch counters are per context and tests run in parallel.
struct Pair {
    full: Gpu,
    small: Gpu,
}

fn pair() -> Pair {
    pair_with(SMALL)
}

/// [`pair`] with a chunked binding of `small` bytes.
fn pair_with(small: u64) -> Pair {
    let full = common::gpu().clone();
    let small_gpu = Gpu::with_options(GpuOptions {
        max_binding: Some(small),
        ..GpuOptions::from_env()
    })
    .unwrap_or_else(|e| panic!("GPU tests need an adapter: {e}"));
    // A fresh unchunked context too, unless the environment already chunks the shared one.
    let full = if full.info().binding == full.info().max_storage_binding {
        Gpu::with_options(GpuOptions::from_env()).unwrap()
    } else {
        full
    };
    assert_eq!(small_gpu.info().binding, small, "{}", small_gpu.info());
    assert!(full.info().binding > 16 * small, "{}", full.info());
    Pair {
        full,
        small: small_gpu,
    }
}

impl Pair {
    /// Runs `op` on both contexts and downloads the results (unchunked, chunked). Panics unless
    /// the chunked run used more dispatches than the unchunked one.
    fn run(&self, what: &str, op: impl Fn(&Gpu) -> Result<GpuArray>) -> (HostArray, HostArray) {
        let go = |gpu: &Gpu| {
            let before = gpu.stats().dispatches;
            let out = op(gpu)
                .and_then(|a| a.to_host())
                .unwrap_or_else(|e| panic!("{what} on {}: {e}", gpu.info()));
            (out, gpu.stats().dispatches - before)
        };
        let (full, n_full) = go(&self.full);
        let (small, n_small) = go(&self.small);
        assert!(
            n_small > n_full,
            "{what}: the chunked run made {n_small} dispatches, the unchunked one {n_full}"
        );
        assert_eq!(full.shape(), small.shape(), "{what}");
        assert_eq!(full.view().dtype(), small.view().dtype(), "{what}");
        (full, small)
    }

    /// [`run`](Self::run), with the two results equal bit for bit.
    fn same(&self, what: &str, op: impl Fn(&Gpu) -> Result<GpuArray>) -> HostArray {
        let (full, small) = self.run(what, op);
        assert!(
            bytes(&full) == bytes(&small),
            "{what}: chunked result differs"
        );
        full
    }

    /// [`run`](Self::run), with the results within `tol` of each other relative to the largest
    /// magnitude of the unchunked result.
    fn close(&self, what: &str, tol: f64, op: impl Fn(&Gpu) -> Result<GpuArray>) -> Vec<f64> {
        let (full, small) = self.run(what, op);
        let (a, b) = (f64s(&full), f64s(&small));
        let scale = a.iter().fold(0f64, |m, v| m.max(v.abs())).max(1e-30);
        let worst = a
            .iter()
            .zip(&b)
            .map(|(x, y)| (x - y).abs() / scale)
            .fold(0f64, f64::max);
        assert!(
            worst <= tol,
            "{what}: chunked differs by {worst:e} > {tol:e}"
        );
        a
    }
}

fn bytes(h: &HostArray) -> Vec<u8> {
    h.view().to_contiguous().unwrap().view().bytes().to_vec()
}

fn f64s(h: &HostArray) -> Vec<f64> {
    h.view().to_vec::<f64>().unwrap_or_else(|_| {
        let c = h.view().astype(Dtype::F64).unwrap();
        c.view().to_vec::<f64>().unwrap()
    })
}

fn upload<T: gpuarray::Element>(gpu: &Gpu, data: &[T], shape: &[usize]) -> Result<GpuArray> {
    gpu.upload(&View::from_slice(data, shape)?)
}

fn random_f32(seed: u64, n: usize) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| rng.f64(-1.0, 1.0) as f32).collect()
}

#[test]
fn the_binding_option_is_clamped_and_reported() {
    let p = pair();
    let text = p.small.info().to_string();
    assert!(text.contains("(64 KiB in use)"), "{text}");
    let tiny = Gpu::with_options(GpuOptions {
        max_binding: Some(1),
        ..GpuOptions::from_env()
    })
    .unwrap();
    assert_eq!(tiny.info().binding, MIN_BINDING, "a sane minimum");
    let huge = Gpu::with_options(GpuOptions {
        max_binding: Some(u64::MAX),
        ..GpuOptions::from_env()
    })
    .unwrap();
    let info = huge.info();
    assert!(info.binding <= info.max_storage_binding, "{info}");
    assert!(info.max_storage_binding - info.binding < 256, "{info}");
}

#[test]
fn elementwise_and_conversions() {
    let p = pair();
    let n = 1 << 20; // 4 MiB of f32
    let x = random_f32(1, n);
    let y = random_f32(2, n);
    p.same("fused (x·2 + y)²", |g| {
        let a = upload(g, &x, &[1024, 1024])?;
        let b = upload(g, &y, &[1024, 1024])?;
        let t = a.mul(2.0)?.add(&b)?;
        t.mul(&t)
    });
    // Chunks are whole runs of 256 output elements: 256 rows of 16 floats fit 64 KiB.
    p.same("transposed copy to u8", |g| {
        let a = upload(g, &x, &[65536, 16])?;
        a.transpose().add(1.0)?.mul(100.0)?.astype(Dtype::U8)
    });
}

/// Reductions over several axis sets, and argmin/argmax along every axis; one sum is also
/// checked against f64.
#[test]
fn reductions_over_axis_sets() {
    let p = pair();
    let shape = [64usize, 128, 96]; // 3 MiB of f32
    let n: usize = shape.iter().product();
    let x = random_f32(3, n);
    let axis_sets: [Option<&[isize]>; 6] = [
        None,
        Some(&[0]),
        Some(&[1]),
        Some(&[2]),
        Some(&[0, 2]),
        Some(&[1, 2]),
    ];
    for axes in axis_sets {
        // Reducing trailing axes of a contiguous array, chunks are whole blocks: the same
        // arithmetic, bit for bit. Along a leading axis, a column spans more than 64 KiB and
        // the chunked run adds halves of it: pairwise sums of 64 or 128 values in [-1, 1] in
        // another order differ by a few ε·Σ|x| ≈ 1e-5 of the largest sum at most.
        let trailing = matches!(axes, None | Some([2]) | Some([1, 2]));
        let sum = |g: &Gpu| upload(g, &x, &shape)?.sum(axes, false);
        let what = format!("sum over {axes:?}");
        let sum = if trailing {
            f64s(&p.same(&what, sum))
        } else {
            p.close(&what, 1e-5, sum)
        };
        if axes == Some(&[1, 2]) {
            // Pairwise f32 sums of 12288 values in [-1, 1]: |error| ≤ (32 + 8·2)·ε·Σ|x| ≈
            // 48 · 1.2e-7 · 6144 ≈ 0.035 at worst; 1e-3 leaves room only for a wrong sum.
            for (i, got) in sum.iter().enumerate() {
                let want: f64 = x[i * 12288..(i + 1) * 12288]
                    .iter()
                    .map(|&v| v as f64)
                    .sum();
                assert!((got - want).abs() < 1e-3, "sum[{i}] = {got}, want {want}");
            }
        }
        p.same(&format!("max over {axes:?}"), |g| {
            upload(g, &x, &shape)?.max(axes, true)
        });
        p.same(&format!("all over {axes:?}"), |g| {
            upload(g, &x, &shape)?.lt(0.999)?.all(axes, false)
        });
    }
    // argmin/argmax along a leading axis go through a contiguous copy with that axis last,
    // whose chunks of 256 values must fit: rows of 48 floats here.
    let narrow = [16384usize, 4, 12];
    for axis in [None, Some(0), Some(1), Some(2)] {
        p.same(&format!("argmax along {axis:?}"), |g| {
            upload(g, &x, &narrow)?.argmax(axis)
        });
        p.same(&format!("argmin along {axis:?}"), |g| {
            upload(g, &x, &narrow)?.argmin(axis)
        });
    }
    // A fused, strided input (every other row, transposed), reduced along the rows: its
    // columns span more than a binding, so the chunked run splits the rows in halves and adds
    // them (a different order: within 1e-5 of the largest sum, see complex_reductions).
    p.close("sum of a strided expression", 1e-5, |g| {
        // 16 columns: the elementwise chunks of 256 values of a column fit 64 KiB.
        let a = upload(g, &x, &[49152, 16])?;
        let t = a.slice(&[SliceArg::step(2), SliceArg::ALL])?.transpose();
        t.mul(&t)?.sum(Some(&[1]), false)
    });
    let bytes: Vec<u8> = Rng::new(4).bytes(4 << 20);
    p.same("sum of 4 Mi u8", |g| {
        upload(g, &bytes, &[2048, 2048])?.sum(None, false)
    });
    p.same("mean of u8 rows", |g| {
        upload(g, &bytes, &[2048, 2048])?.mean(Some(&[0]), false)
    });
}

/// complex64 sums: a 64 KiB binding holds only half of a block of 8192 complex values, so the
/// chunked blocks are smaller and the order differs; both are pairwise sums with errors of
/// about (32 + 8·passes)·ε relative to Σ|x|, so they agree within 1e-5 of the largest result.
#[test]
fn complex_reductions() {
    let p = pair();
    let x = random_f32(5, 1 << 20); // 512 Ki complex values, 4 MiB
    for axes in [None, Some(&[0isize][..]), Some(&[1])] {
        p.close(&format!("complex sum over {axes:?}"), 1e-5, |g| {
            let a = upload(g, &x, &[1024, 1024])?;
            let re = a.slice(&[SliceArg::ALL, SliceArg::range(None, Some(512), 1)])?;
            let im = a.slice(&[SliceArg::ALL, SliceArg::range(Some(512), None, 1)])?;
            let c = re.complex(&im)?;
            c.sum(axes, false)?.real()
        });
    }
}

/// Histograms count integers and lookup tables copy table entries: exact either way.
#[test]
fn histograms_lookup_tables_and_colour_ops() {
    let p = pair();
    let mut rng = Rng::new(6);
    // A 1536 × 1024 RGB image (4.5 MiB) with a skewed distribution, odd length for the tail.
    let img: Vec<u8> = (0..1536 * 1024 * 3)
        .map(|_| (rng.f64(0.0, 1.0).powi(3) * 255.0) as u8)
        .collect();
    let counts = p.same("histogram", |g| {
        upload(g, &img[1..], &[img.len() - 1])?.histogram_u8()
    });
    let counts = counts.view().to_vec::<u32>().unwrap();
    let mut want = [0u32; 256];
    for &v in &img[1..] {
        want[v as usize] += 1;
    }
    assert_eq!(counts, want, "histogram against a CPU count");
    for mode in [Equalize::PerChannel, Equalize::Luma] {
        p.same(&format!("equalize {mode:?}"), |g| {
            filters::equalize_histogram(&upload(g, &img, &[1536, 1024, 3])?, mode)
        });
    }
    p.same("grayscale, gamma, contrast", |g| {
        let x = upload(g, &img, &[1536, 1024, 3])?;
        let y = filters::gamma(&filters::grayscale(&x)?, 2.2)?;
        filters::brightness_contrast(&y, 0.1, 1.5)
    });
}

/// Direct filters in bands of rows with their halos, every border mode: the kernel's index
/// arithmetic is the same in bands, so the results are bit-identical.
#[test]
fn filters_in_bands_every_border_mode() {
    let p = pair();
    let mut rng = Rng::new(7);
    // 4096 × 128 RGB (6 MiB as f32): 25 rows of a σ = 3 blur's halo fit 64 KiB.
    let (h, w) = (4096, 128);
    let img: Vec<u8> = rng.bytes(h * w * 3);
    let kernel: Vec<f32> = (0..25)
        .map(|i| ((i * 7) % 11) as f32 / 50.0 - 0.1)
        .collect();
    let kernel = View::from_slice(&kernel, &[5, 5]).unwrap();
    for border in [
        Border::Clamp,
        Border::Reflect,
        Border::Wrap,
        Border::Constant(0.25),
    ] {
        let image = |g: &Gpu| upload(g, &img, &[h, w, 3]);
        p.same(&format!("gaussian σ=3 {border:?}"), |g| {
            filters::gaussian_blur(&image(g)?, 3.0, border)
        });
        p.same(&format!("box r=2 {border:?}"), |g| {
            filters::box_blur(&image(g)?, 2, border)
        });
        p.same(&format!("unsharp {border:?}"), |g| {
            filters::unsharp_mask(&image(g)?, 1.5, 0.8, border)
        });
        p.same(&format!("sobel {border:?}"), |g| {
            filters::sobel(&image(g)?, border)
        });
        p.same(&format!("direct 5×5 {border:?}"), |g| {
            filters::spatial::convolve2d_with(&image(g)?, &kernel, border, Method::Direct)
        });
    }
    // A transposed f32 view: its rows span the whole buffer, so it is gathered first (in
    // elementwise chunks of 256 values of a column: 32 columns fit 64 KiB), then filtered in
    // bands of rows of 16 KiB.
    let x = random_f32(8, 4096 * 32);
    p.same("sobel of a transposed view", |g| {
        let a = upload(g, &x, &[4096, 32])?.transpose();
        filters::sobel(&a, Border::Reflect)
    });
}

/// Transforms in chunks of whole lines: each line's arithmetic is the same, so the results are
/// bit-identical. Along a middle axis the lines are strided (read through the axis stride);
/// real transforms add their pre/post passes, Bluestein lengths their three helper passes.
#[test]
fn ffts_in_chunks_of_lines() {
    let p = pair();
    let x = random_f32(9, 1 << 20);
    let rows = |g: &Gpu| upload(g, &x, &[512, 2048]);
    let spectrum = p.same("rfft of 512 rows of 2048", |g| {
        fft::rfft(&rows(g)?, None, -1, Norm::Backward)
    });
    p.same("irfft of 512 rows", |g| {
        let z = fft::rfft(&rows(g)?, None, -1, Norm::Backward)?;
        fft::irfft(&z, Some(2048), -1, Norm::Ortho)
    });
    // One row against rustfft in f64: relative L2 ≤ 1e-6 (f32 Stockham of 1024 points:
    // about log2(n)·ε ≈ 1e-6 at worst; measured ~2e-7 in tests/gpu_fft.rs).
    let got: Vec<num_complex::Complex32> = spectrum.view().to_vec().unwrap();
    let mut want: Vec<rustfft::num_complex::Complex<f64>> = x[2048 * 7..2048 * 8]
        .iter()
        .map(|&v| rustfft::num_complex::Complex::new(v as f64, 0.0))
        .collect();
    rustfft::FftPlanner::new()
        .plan_fft_forward(2048)
        .process(&mut want);
    let row = &got[1025 * 7..1025 * 8];
    let err: f64 = row
        .iter()
        .zip(&want)
        .map(|(g, w)| (g.re as f64 - w.re).powi(2) + (g.im as f64 - w.im).powi(2))
        .sum::<f64>()
        .sqrt();
    let norm: f64 = want[..1025]
        .iter()
        .map(|w| w.norm_sqr())
        .sum::<f64>()
        .sqrt();
    assert!(err / norm < 1e-6, "rfft row 7: relative L2 {}", err / norm);

    p.same("fft of a prime length 1009 (Bluestein)", |g| {
        let a = upload(g, &x[..256 * 1009], &[256, 1009])?;
        fft::fft(&a, None, -1, Norm::Backward)
    });
    p.same("fft of 2·1009 (a Stockham pass, then Rader's)", |g| {
        let a = upload(g, &x[..128 * 2018], &[128, 2018])?;
        fft::ifft(&a, None, -1, Norm::Ortho)
    });
    p.same("ifft along a middle axis", |g| {
        let a = upload(g, &x[..64 * 256 * 16], &[64, 256, 16])?;
        fft::ifft(&a, None, 1, Norm::Forward)
    });
    // Lines of 2048 points 4 elements apart span 64 KiB: transformed as a copy with the axis
    // last, and copied back.
    p.same("fft along a middle axis through a copy", |g| {
        let a = upload(g, &x[..8 * 2048 * 4], &[8, 2048, 4])?;
        fft::fft(&a, None, 1, Norm::Backward)
    });
    p.same("fft2 over the last two axes", |g| {
        let a = upload(g, &x[..64 * 256 * 8], &[64, 256, 8])?;
        fft::fft2(&a.astype(Dtype::C64)?, None, None, Norm::Backward)
    });
    p.same("rfft2 and back over the last two axes", |g| {
        let a = upload(g, &x[..64 * 256 * 16], &[64, 256, 16])?;
        let z = fft::rfft2(&a, None, None, Norm::Backward)?;
        fft::irfft2(&z, Some(&[256, 16]), None, Norm::Backward)
    });
}

/// Lines of 16384 points take two Stockham passes (four-step) on lavapipe; a line is 128 KiB,
/// so these chunks are of 256 KiB.
#[test]
fn four_step_lines_in_chunks() {
    let p = pair_with(256 << 10);
    let x = random_f32(10, 1 << 20);
    p.same("fft of 32 lines of 16384", |g| {
        let a = upload(g, &x, &[32, 16384, 2])?;
        let c = a
            .slice(&[SliceArg::ALL, SliceArg::ALL, SliceArg::Index(0)])?
            .complex(&a.slice(&[SliceArg::ALL, SliceArg::ALL, SliceArg::Index(1)])?)?;
        fft::fft(&c, None, -1, Norm::Backward)
    });
}

type C64 = rustfft::num_complex::Complex<f64>;

/// The (re, im) values of a complex64 result, interleaved.
fn interleaved(h: &HostArray) -> Vec<f64> {
    let z: Vec<num_complex::Complex32> = h.view().to_vec().unwrap();
    z.iter().flat_map(|c| [c.re as f64, c.im as f64]).collect()
}

/// Relative L2 distance of `got` from `want`.
fn rel_l2(got: &[f64], want: &[f64]) -> f64 {
    let err: f64 = got.iter().zip(want).map(|(g, w)| (g - w).powi(2)).sum();
    let norm: f64 = want.iter().map(|w| w * w).sum();
    (err / norm).sqrt()
}

/// The transform of each of the `lines` consecutive lines of `x` in f64 with rustfft, as
/// interleaved (re, im) values; real input when `x` is real (`complex` false).
fn reference(x: &[f32], lines: usize, complex: bool, inverse: bool) -> Vec<f64> {
    let values: Vec<C64> = if complex {
        x.chunks(2)
            .map(|c| C64::new(c[0] as f64, c[1] as f64))
            .collect()
    } else {
        x.iter().map(|&v| C64::new(v as f64, 0.0)).collect()
    };
    let n = values.len() / lines;
    let mut planner = rustfft::FftPlanner::new();
    let f = if inverse {
        planner.plan_fft_inverse(n)
    } else {
        planner.plan_fft_forward(n)
    };
    let mut out = values;
    for line in out.chunks_mut(n) {
        f.process(line);
    }
    out.iter().flat_map(|c| [c.re, c.im]).collect()
}

/// `x` (interleaved complex, `lines` lines) cropped to the first `keep` terms of each line.
fn crop(x: &[f64], lines: usize, keep: usize) -> Vec<f64> {
    let n = x.len() / 2 / lines;
    x.chunks(2 * n)
        .flat_map(|l| l[..2 * keep].to_vec())
        .collect()
}

/// Lines several bindings long (a 64 KiB binding holds 8192 complex points; the six-step
/// route takes lines above 7/8 of that): smooth lengths, and Bluestein lengths whose inner
/// transform, or whose line itself, is longer than the binding (composites of primes above 31:
/// a prime takes Rader while its convolution fits a binding, see below, and a smooth factor
/// times such a prime the split plan).
///
/// Against rustfft in f64, relative L2: ≤ 3e-7 for smooth lengths (two or three f32 Stockham
/// passes, ~log2(n)·ε/√… ≈ 1e-7 measured), ≤ 1e-6 for Bluestein (three transforms of twice the
/// length and the chirp products). Chunked against unchunked: the six-step route does the
/// per-line arithmetic of the four-step plan of the same split, so complex transforms are
/// bit-identical; `rfft`/`irfft` of a line beyond a binding take the complex route (the
/// unchunked run the half-length one): each within 3e-7 of rustfft, so within 6e-7 of each
/// other (measured 2.1e-7 and 2.9e-7).
#[test]
fn lines_longer_than_a_binding() {
    let p = pair();
    let x = random_f32(12, 2 << 17);
    let cases: [(&str, usize, usize, f64); 4] = [
        ("2^16 points (512 KiB)", 1 << 16, 2, 3e-7),
        ("3·2^15 points (768 KiB)", 3 << 15, 1, 3e-7),
        (
            "4·37² points, inner transform 16384 (128 KiB)",
            4 * 37 * 37,
            2,
            1e-6,
        ),
        ("7·37² points (75 KiB), inner 32768", 7 * 37 * 37, 1, 1e-6),
    ];
    for (what, n, lines, tol) in cases {
        let data = &x[..2 * n * lines];
        let signal = |g: &Gpu| {
            let a = upload(g, data, &[lines, n, 2])?;
            let re = a.slice(&[SliceArg::ALL, SliceArg::ALL, SliceArg::Index(0)])?;
            re.complex(&a.slice(&[SliceArg::ALL, SliceArg::ALL, SliceArg::Index(1)])?)
        };
        for inverse in [false, true] {
            let what = format!(
                "{} of {lines} × {what}",
                if inverse { "ifft" } else { "fft" }
            );
            let got = interleaved(&p.same(&what, |g| {
                let a = signal(g)?;
                if inverse {
                    fft::ifft(&a, None, -1, Norm::Forward)
                } else {
                    fft::fft(&a, None, -1, Norm::Backward)
                }
            }));
            let err = rel_l2(&got, &reference(data, lines, true, inverse));
            eprintln!("{what}: relative L2 {err:e} against rustfft");
            assert!(err <= tol, "{what}: relative L2 {err:e} > {tol:e}");
        }
    }
    // Bluestein lines 4 elements apart: 37² points span 43 KiB (under 7/8 of the binding, so
    // not moved by `c2c_axis`), but their padded lines of 4096 span 128 KiB: transformed
    // through a copy with the axis last, same arithmetic.
    p.same("Bluestein fft along axis 0 of 1369 × 4", |g| {
        let a = upload(g, &x[..1369 * 4], &[1369, 4])?;
        fft::fft(&a, None, 0, Norm::Backward)
    });
    // Split lines (`src/gpu/fft/split.rs`) 7 elements apart: 2·509 points span 56 KiB, read in
    // place by the Stockham pass of 2; then Rader's lines of 509, 14 apart, whose padded
    // convolution (1015 points) spans 111 KiB: through a copy on the small binding, in place
    // on the full one.
    p.same("split fft along axis 0 of 1018 × 7", |g| {
        let a = upload(g, &x[..1018 * 7], &[1018, 7])?;
        fft::fft(&a, None, 0, Norm::Backward)
    });
    // Rader lines 9 elements apart: 1009 points span 71 KiB, so on the small binding the
    // lines are moved last by a copy and Rader's passes run in chunks of whole lines; on the
    // full binding they are read in place. The same values meet the same arithmetic.
    p.same("Rader fft along axis 0 of 1009 × 9", |g| {
        let a = upload(g, &x[..1009 * 9], &[1009, 9])?;
        fft::fft(&a, None, 0, Norm::Backward)
    });
    // A prime whose padded convolution (5002 = 2·41·61 has factors above 31: 10005 points, 78 KiB) is longer
    // than the small binding takes Bluestein there and Rader on the full binding: two
    // algorithms, each within 1e-6 of rustfft, so within 2e-6 of each other.
    let (full, small) = p.run("fft of the prime 5003", |g| {
        let a = upload(g, &x[..2 * 5003], &[5003, 2])?;
        let re = a.slice(&[SliceArg::ALL, SliceArg::Index(0)])?;
        fft::fft(
            &re.complex(&a.slice(&[SliceArg::ALL, SliceArg::Index(1)])?)?,
            None,
            -1,
            Norm::Backward,
        )
    });
    let err = rel_l2(&interleaved(&small), &interleaved(&full));
    eprintln!("fft of the prime 5003: Bluestein (chunked) against Rader, relative L2 {err:e}");
    assert!(
        err <= 2e-6,
        "fft of the prime 5003: the two routes differ by {err:e}"
    );
    // Real transforms of lines of 2^17 points: 2^16 + 1 complex terms (512 KiB).
    let (n, lines) = (1 << 17, 2);
    let data = &x[..n * lines];
    let real = |g: &Gpu| upload(g, data, &[lines, n]);
    let (full, small) = p.run("rfft of 2^17 points", |g| {
        fft::rfft(&real(g)?, None, -1, Norm::Backward)
    });
    let spectrum = interleaved(&full);
    let err = rel_l2(&interleaved(&small), &spectrum);
    eprintln!("rfft of 2^17 points: chunked against unchunked, relative L2 {err:e}");
    assert!(
        err <= 6e-7,
        "rfft of 2^17 points: chunked differs by {err:e}"
    );
    let want = crop(&reference(data, lines, false, false), lines, n / 2 + 1);
    let err = rel_l2(&spectrum, &want);
    eprintln!("rfft of 2^17 points: relative L2 {err:e} against rustfft");
    assert!(err <= 3e-7, "rfft of 2^17 points: relative L2 {err:e}");
    let (full, small) = p.run("irfft of 2^17 points", |g| {
        let z = fft::rfft(&real(g)?, None, -1, Norm::Backward)?;
        fft::irfft(&z, Some(n), -1, Norm::Backward)
    });
    let back = f64s(&full);
    let err = rel_l2(&f64s(&small), &back);
    eprintln!("irfft of 2^17 points: chunked against unchunked, relative L2 {err:e}");
    assert!(
        err <= 6e-7,
        "irfft of 2^17 points: chunked differs by {err:e}"
    );
    let want: Vec<f64> = data.iter().map(|&v| v as f64).collect();
    let err = rel_l2(&back, &want);
    eprintln!("irfft(rfft) of 2^17 points: relative L2 {err:e}");
    assert!(
        err <= 3e-7,
        "irfft(rfft) of 2^17 points: relative L2 {err:e}"
    );
}

/// The half spectra (`n/2 + 1` terms) of the real lines along `axis` of `x` (C order, `shape`),
/// with rustfft in f64: interleaved (re, im) in the order of the result `[outer, n/2 + 1, inner]`.
fn real_reference(x: &[f32], shape: &[usize], axis: usize) -> Vec<f64> {
    let outer: usize = shape[..axis].iter().product();
    let inner: usize = shape[axis + 1..].iter().product();
    let (n, m) = (shape[axis], shape[axis] / 2 + 1);
    let f = rustfft::FftPlanner::new().plan_fft_forward(n);
    let mut out = vec![0.0; 2 * outer * m * inner];
    for o in 0..outer {
        for i in 0..inner {
            let mut line: Vec<C64> = (0..n)
                .map(|j| C64::new(x[(o * n + j) * inner + i] as f64, 0.0))
                .collect();
            f.process(&mut line);
            for (k, z) in line[..m].iter().enumerate() {
                let at = 2 * ((o * m + k) * inner + i);
                out[at] = z.re;
                out[at + 1] = z.im;
            }
        }
    }
    out
}

/// Bytes the pool holds after `op` on a fresh context with the small binding: every buffer
/// the op (and its input's upload) made, all dropped by then, i.e. its working set.
fn work_bytes(op: impl Fn(&Gpu) -> Result<GpuArray>) -> u64 {
    let g = Gpu::with_options(GpuOptions {
        max_binding: Some(SMALL),
        ..GpuOptions::from_env()
    })
    .unwrap();
    op(&g).and_then(|a| a.to_host()).unwrap();
    g.sync().unwrap();
    g.stats().pool_bytes
}

/// Real transforms of arrays beyond a binding that used to take the complex route (twice the
/// work and memory) on the small binding: along a leading, a middle and the last axis, even
/// and odd lengths, even and odd numbers of partner lines. Two neighbouring lines share one
/// complex transform, so where one slab of lines (or a pair of rows) fits the binding the
/// chunked run pairs the same lines as the unchunked one: bit-identical. Where it does not
/// (axis 0 of a 2-D array beyond the binding), the small context transforms a copy with the
/// axis last (its rows halved or paired instead): each within 3e-7 of rustfft (f32 Stockham,
/// measured ~1e-7 in tests/gpu_fft.rs), so within 6e-7 of each other.
#[test]
fn real_transforms_beyond_half_a_binding() {
    let p = pair();
    let x = random_f32(14, 1 << 16);
    // (shape, axis, bit-identical): slabs of 48 KiB (even n and inner), of 17 KiB (odd n
    // and inner: packed), pairs of rows of 255 (odd n, 96 rows); whole arrays of 96 and 100
    // KiB along axis 0 (moved on the small binding).
    let cases: [(&[usize], usize, bool); 5] = [
        (&[4, 128, 96], 1, true),
        (&[6, 127, 33], 1, true),
        (&[96, 255], 1, true),
        (&[256, 96], 0, false),
        (&[255, 100], 0, false),
    ];
    for (shape, axis, same) in cases {
        let len: usize = shape.iter().product();
        let data = &x[..len];
        let real = |g: &Gpu| upload(g, data, shape);
        let what = format!("rfft of {shape:?} along axis {axis}");
        let forward = |g: &Gpu| fft::rfft(&real(g)?, None, axis as isize, Norm::Backward);
        let spectrum = if same {
            interleaved(&p.same(&what, forward))
        } else {
            let (full, small) = p.run(&what, forward);
            let err = rel_l2(&interleaved(&small), &interleaved(&full));
            assert!(err <= 6e-7, "{what}: chunked differs by {err:e}");
            interleaved(&full)
        };
        let err = rel_l2(&spectrum, &real_reference(data, shape, axis));
        eprintln!("{what}: relative L2 {err:e} against rustfft");
        assert!(err <= 3e-7, "{what}: relative L2 {err:e}");
        let what = format!("irfft(rfft) of {shape:?} along axis {axis}");
        let n = shape[axis];
        let back = |g: &Gpu| {
            let z = fft::rfft(&real(g)?, None, axis as isize, Norm::Ortho)?;
            fft::irfft(&z, Some(n), axis as isize, Norm::Ortho)
        };
        let back = if same {
            f64s(&p.same(&what, back))
        } else {
            let (full, small) = p.run(&what, back);
            let err = rel_l2(&f64s(&small), &f64s(&full));
            assert!(err <= 6e-7, "{what}: chunked differs by {err:e}");
            f64s(&full)
        };
        let want: Vec<f64> = data.iter().map(|&v| v as f64).collect();
        let err = rel_l2(&back, &want);
        eprintln!("{what}: relative L2 {err:e}");
        assert!(err <= 6e-7, "{what}: relative L2 {err:e}");
    }
    // rfftn with the real step along axis 0 (the last of `axes`), then the complex one.
    let what = "rfftn of 256 × 96 over axes [1, 0]";
    let shape = [256, 96];
    let (full, small) = p.run(what, |g| {
        fft::rfftn(
            &upload(g, &x[..256 * 96], &shape)?,
            None,
            Some(&[1, 0]),
            Norm::Backward,
        )
    });
    let err = rel_l2(&interleaved(&small), &interleaved(&full));
    assert!(err <= 6e-7, "{what}: chunked differs by {err:e}");
    // The reference: rustfft along axis 0 (real), then along axis 1.
    let half = real_reference(&x[..256 * 96], &shape, 0);
    let f = rustfft::FftPlanner::new().plan_fft_forward(96);
    let want: Vec<f64> = half
        .chunks(2 * 96)
        .flat_map(|row| {
            let mut line: Vec<C64> = row.chunks(2).map(|c| C64::new(c[0], c[1])).collect();
            f.process(&mut line);
            line.into_iter()
                .flat_map(|c| [c.re, c.im])
                .collect::<Vec<_>>()
        })
        .collect();
    let err = rel_l2(&interleaved(&full), &want);
    eprintln!("{what}: relative L2 {err:e} against rustfft");
    assert!(err <= 3e-7, "{what}: relative L2 {err:e}");

    // The route: the paired one holds the input, the spectra and the result (odd lines: and
    // the packed lines), the complex one also a complex copy of the input (twice its size)
    // and the full spectra before the crop.
    for (shape, axis) in [(&[4usize, 128, 96][..], 1isize), (&[96, 255], 1)] {
        let len: usize = shape.iter().product();
        let real = |g: &Gpu| upload(g, &x[..len], shape);
        let paired = work_bytes(|g| fft::rfft(&real(g)?, None, axis, Norm::Backward));
        let complex = work_bytes(|g| {
            let z = fft::fft(&real(g)?.astype(Dtype::C64)?, None, axis, Norm::Backward)?;
            let mut keep = vec![SliceArg::ALL; shape.len()];
            keep[axis as usize] =
                SliceArg::range(None, Some(shape[axis as usize] as isize / 2 + 1), 1);
            z.slice(&keep)?.contiguous()
        });
        eprintln!("rfft of {shape:?}: {paired} bytes of work, the complex route {complex}");
        assert!(
            4 * paired < 3 * complex,
            "rfft of {shape:?}: {paired} bytes of work, the complex route {complex}"
        );
    }
}

/// `fftshift`/`ifftshift` of arrays larger than a binding: the roll pass in chunks of slabs
/// split where an axis wraps (`src/gpu/fft/windows.rs`). A copy: bit-identical, and equal to
/// the roll done with plain loops.
#[test]
fn shifts_beyond_a_binding() {
    let p = pair();
    let x = random_f32(13, 1 << 19);
    let (h, w) = (500, 1000);
    let image = |g: &Gpu| upload(g, &x[..h * w], &[h, w]);
    let shifted = f64s(&p.same("fftshift of 500 × 1000 f32", |g| {
        fft::fftshift(&image(g)?, None)
    }));
    for (i, row) in shifted.chunks(w).enumerate() {
        for (j, &v) in row.iter().enumerate() {
            let (si, sj) = ((i + h - h / 2) % h, (j + w - w / 2) % w);
            assert_eq!(v, x[si * w + sj] as f64, "fftshift at [{i}, {j}]");
        }
    }
    p.same("ifftshift of 2^19 f32 (one axis)", |g| {
        let n = (1 << 19) - 1;
        fft::ifftshift(&upload(g, &x[..n], &[n])?, None)
    });
    p.same("ifftshift of a 3-D complex array over two axes", |g| {
        let a = upload(g, &x[..7 * 9 * 8192], &[7, 9, 8192])?.reshape(&[7, 9, 4096, 2])?;
        let c = a
            .slice(&[
                SliceArg::ALL,
                SliceArg::ALL,
                SliceArg::ALL,
                SliceArg::Index(0),
            ])?
            .complex(&a.slice(&[
                SliceArg::ALL,
                SliceArg::ALL,
                SliceArg::ALL,
                SliceArg::Index(1),
            ])?)?;
        fft::ifftshift(&c, Some(&[0, 2]))
    });
    p.same("fftshift of u8 (through i32)", |g| {
        let bytes: Vec<u8> = x.iter().map(|&v| (v * 100.0 + 128.0) as u8).collect();
        fft::fftshift(&upload(g, &bytes, &[1 << 10, 1 << 9])?, Some(&[-1]))
    });
}

/// The FFT filters: Wiener deconvolution, edge tapering and the FFT path of `convolve2d`, per
/// channel plane. A 64 KiB binding cannot hold one column of these spectra (the FFT lines along
/// the height), so these chunks are of 1 MiB: 768 rows of 129 complex values fit, three planes
/// do not. Same arithmetic per line: bit-identical.
#[test]
fn fft_filters_per_plane() {
    let p = pair_with(1 << 20);
    let mut rng = Rng::new(11);
    let (h, w) = (768, 256);
    let img: Vec<u8> = rng.bytes(h * w * 3);
    let psf = filters::psf_gaussian(9, 1.5).unwrap();
    let kernel: Vec<f32> = (0..121).map(|i| ((i * 5) % 13) as f32 / 300.0).collect();
    let kernel = View::from_slice(&kernel, &[11, 11]).unwrap();
    let image = |g: &Gpu| upload(g, &img, &[h, w, 3]);
    p.same("wiener", |g| {
        let t = filters::taper_edges(&image(g)?, 8)?;
        filters::wiener_deconvolve(&t, &psf.view(), 1e-3)
    });
    p.same("convolve2d through the FFT", |g| {
        filters::spatial::convolve2d_with(&image(g)?, &kernel, Border::Reflect, Method::Fft)
    });
}

/// Work beyond the adapter's largest buffer is refused before any dispatch, at once: the FFT
/// works out its peak memory (`src/gpu/fft/memory.rs`) for every kind of transform. Each
/// input here is a broadcast scalar (no memory of its size); what does not fit is the complex
/// copy, or only a work array (Bluestein's padded lines, the complex route of an odd real
/// length, the Hermitian extension), which the transforms used to reach after some of their
/// dispatches.
#[test]
fn out_of_memory_before_work() {
    // A context of its own: its dispatch counter sees no other test's work.
    let gpu = &Gpu::new().unwrap();
    let one = upload(gpu, &[1.0f32], &[1]).unwrap();
    let huge = |shape: &[usize]| {
        one.reshape(&[1; 4][..shape.len()])
            .unwrap()
            .broadcast_to(shape)
            .unwrap()
    };
    type Op<'a> = Box<dyn Fn() -> Result<GpuArray> + 'a>;
    let cases: Vec<(&str, Op)> = vec![
        // 2^28 complex values (2 GiB).
        (
            "fft of 2^28",
            Box::new(|| fft::fft(&huge(&[1 << 28]), None, -1, Norm::Backward)),
        ),
        (
            "Bluestein fft of 2^27 + 1 (padded lines of 2^29)",
            Box::new(|| fft::fft(&huge(&[(1 << 27) + 1]), None, -1, Norm::Backward)),
        ),
        (
            "fft2 of 16384 × 16385",
            Box::new(|| fft::fft2(&huge(&[1 << 14, (1 << 14) + 1]), None, None, Norm::Backward)),
        ),
        (
            "fftn padded to 1024 × 1024 × 512",
            Box::new(|| {
                fft::fftn(
                    &huge(&[4, 4, 4]),
                    Some(&[1024, 1024, 512]),
                    None,
                    Norm::Ortho,
                )
            }),
        ),
        (
            "rfft of odd 2^28 − 1 (the complex route)",
            Box::new(|| fft::rfft(&huge(&[(1 << 28) - 1]), None, -1, Norm::Backward)),
        ),
        (
            "irfft to odd 2^28 − 1 (the Hermitian extension)",
            Box::new(|| fft::irfft(&huge(&[1 << 27]), Some((1 << 28) - 1), -1, Norm::Backward)),
        ),
        (
            "rfft2 of 32768 × 32768",
            Box::new(|| fft::rfft2(&huge(&[1 << 15, 1 << 15]), None, None, Norm::Backward)),
        ),
    ];
    for (what, op) in cases {
        let before = gpu.stats().dispatches;
        let start = std::time::Instant::now();
        let err = op().map(|_| ()).unwrap_err();
        let took = start.elapsed();
        assert!(
            matches!(err, gpuarray::Error::OutOfMemory(_)),
            "{what}: {err}"
        );
        assert!(
            err.to_string().contains("bytes"),
            "{what}: names the sizes: {err}"
        );
        assert!(took.as_secs_f64() < 1.0, "{what}: took {took:?}");
        assert_eq!(
            gpu.stats().dispatches,
            before,
            "{what}: no dispatch before the error"
        );
    }
}

use gpuarray::blit::{BlitOptions, Blitter, Colormap, Filter, Region, Scaling, read_texture};
use gpuarray::wgpu;

/// Draws on both contexts of `p` with `draw` and reads the target back (unchunked, chunked);
/// panics unless the chunked run drew in more bands.
fn blit_both(
    p: &Pair,
    what: &str,
    draw: impl Fn(&Gpu) -> Result<wgpu::Texture>,
) -> (HostArray, HostArray) {
    let go = |gpu: &Gpu| {
        let before = gpu.stats().draws;
        let shown = draw(gpu)
            .and_then(|t| read_texture(gpu, &t))
            .unwrap_or_else(|e| panic!("{what} on {}: {e}", gpu.info()));
        (shown, gpu.stats().draws - before)
    };
    let (full, n_full) = go(&p.full);
    let (small, n_small) = go(&p.small);
    assert_eq!(n_full, 1, "{what}: the unchunked frame is drawn at once");
    assert!(
        n_small > 1,
        "{what}: the chunked run drew {n_small} bands, the unchunked one {n_full}"
    );
    (full, small)
}

/// `frame` drawn by a new [`Blitter`] onto a new `w × h` sRGB target.
fn draw(g: &Gpu, frame: &GpuArray, w: u32, h: u32, options: &BlitOptions) -> Result<wgpu::Texture> {
    let target = target(g, w, h);
    let blitter = Blitter::new(g, target.format())?;
    blitter.draw(frame, &target.create_view(&Default::default()), options)?;
    Ok(target)
}

/// A `w × h` sRGB texture to draw into and read back.
fn target(g: &Gpu, w: u32, h: u32) -> wgpu::Texture {
    g.device().create_texture(&wgpu::TextureDescriptor {
        label: None,
        size: wgpu::Extent3d {
            width: w,
            height: h,
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format: wgpu::TextureFormat::Rgba8UnormSrgb,
        usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
        view_formats: &[],
    })
}

/// Frames larger than one binding are drawn in bands of target rows, each bound to the frame
/// rows it samples: every fragment computes what it computes in one draw, so the pictures are
/// bit-identical, whatever the scaling, filter, colormap or layout; one is also checked against
/// the frame itself.
#[test]
fn blit_and_to_texture_in_bands() {
    let p = pair();
    let mut rng = Rng::new(12);
    // 1024 × 1024 RGB u8 (3 MiB; rows of 3 KiB) and 512 × 512 RGBA f32 (4 MiB; rows of 8 KiB).
    let rgb: Vec<u8> = rng.bytes(1024 * 1024 * 3);
    let rgba = random_f32(13, 512 * 512 * 4)
        .iter()
        .map(|v| v.abs())
        .collect::<Vec<f32>>();
    let (full, _) = blit_both(&p, "to_texture of a u8 frame", |g| {
        upload(g, &rgb, &[1024, 1024, 3])?.to_texture()
    });
    // 1:1 onto Rgba8Unorm is a copy: the frame itself, alpha 1.
    let shown = full.view().to_vec::<u8>().unwrap();
    for (i, (px, want)) in shown.chunks(4).zip(rgb.chunks(3)).enumerate() {
        assert_eq!((&px[..3], px[3]), (want, 255), "pixel {i}");
    }
    let same = |what: &str, draw: &dyn Fn(&Gpu) -> Result<wgpu::Texture>| {
        let (full, small) = blit_both(&p, what, draw);
        assert!(
            bytes(&full) == bytes(&small),
            "{what}: banded picture differs"
        );
    };
    same("to_texture of a flipped f32 frame", &|g| {
        let a = upload(g, &rgba, &[512, 512, 4])?;
        a.slice(&[SliceArg::step(-1), SliceArg::ALL, SliceArg::ALL])?
            .to_texture()
    });
    // Drawn onto targets of other sizes: down (a row of the target samples frame rows 1.7
    // apart), up, and a single channel through a colormap into a region with background.
    for (w, h) in [(700u32, 600u32), (1500, 1300)] {
        for filter in [Filter::Nearest, Filter::Linear] {
            let options = BlitOptions {
                filter,
                scaling: Scaling::Stretch,
                ..Default::default()
            };
            same(&format!("{filter:?} onto {w}×{h}"), &|g| {
                draw(g, &upload(g, &rgb, &[1024, 1024, 3])?, w, h, &options)
            });
        }
    }
    let options = BlitOptions {
        colormap: Some(Colormap::Viridis),
        range: (0.0, 0.8),
        region: Some(Region {
            x: 30,
            y: 20,
            width: 900,
            height: 500,
        }),
        background: Some([0.2, 0.4, 0.6, 1.0]),
        ..Default::default()
    };
    same(
        "a colormapped transposed channel, fitted into a region",
        &|g| {
            let a = upload(g, &rgba, &[512, 512, 4])?;
            let channel = a
                .slice(&[SliceArg::ALL, SliceArg::ALL, SliceArg::Index(1)])?
                .transpose();
            draw(g, &channel, 1000, 600, &options)
        },
    );
}

/// A frame whose rows lie too far apart for bands is drawn from a contiguous copy (recorded
/// into an encoder, it is an error), and a texture larger than the adapter's limit is an error,
/// not a panic.
#[test]
fn frames_beyond_bands_and_texture_limits() {
    let p = pair();
    // A transposed 64 × 8192 u8 frame: each of its rows reads every 64th byte of the 512 KiB
    // buffer. Drawn, it is copied first (rows of 8 KiB); recorded into an encoder, it is an
    // error.
    let x = Rng::new(14).bytes(8192 * 64);
    let (full, small) = blit_both(&p, "a transposed frame", |g| {
        upload(g, &x, &[8192, 64])?.transpose().to_texture()
    });
    assert!(bytes(&full) == bytes(&small), "banded copy differs");
    let frame = upload(&p.small, &x, &[8192, 64]).unwrap().transpose();
    let texture = frame.contiguous().unwrap().to_texture().unwrap();
    let blitter = Blitter::new(&p.small, texture.format()).unwrap();
    let mut encoder = p.small.device().create_command_encoder(&Default::default());
    let view = texture.create_view(&Default::default());
    let err = blitter
        .encode(&mut encoder, &frame, &view, &BlitOptions::default())
        .unwrap_err();
    assert!(err.to_string().contains("contiguous copy"), "{err}");
    let max = p.full.device().limits().max_texture_dimension_2d as usize;
    let wide = upload(&p.full, &[0.5f32], &[1, 1])
        .unwrap()
        .broadcast_to(&[1, max + 1])
        .unwrap();
    let err = wide.to_texture().unwrap_err();
    assert!(
        matches!(err, gpuarray::Error::Unsupported(_)) && err.to_string().contains("texture"),
        "{err}"
    );
}

/// Frames four of whose rows span more than a binding are drawn in column tiles: contiguous
/// copies of the columns a run of target columns samples (with a column of margin), each drawn
/// in bands, the shader indexing the frame's own columns. Every fragment computes what it does
/// in one draw, so the pictures are bit-identical; one 1:1 f32 picture is the frame itself.
#[test]
fn wide_frames_in_column_tiles() {
    let p = pair();
    // 16 × 8192 f32 (rows of 32 KiB: four are 128 KiB against the 64 KiB binding).
    let grey: Vec<f32> = random_f32(15, 8192 * 16).iter().map(|v| v.abs()).collect();
    let (full, small) = blit_both(&p, "to_texture of a wide f32 frame", |g| {
        upload(g, &grey, &[16, 8192])?.to_texture()
    });
    assert!(bytes(&full) == bytes(&small), "tiled picture differs");
    // 1:1 nearest onto Rgba32Float: the frame itself, bit for bit. Where that format is not
    // renderable (GL) the texture is Rgba16Float: within one f16 unit, 2^-10 (the driver may
    // truncate rather than round to nearest).
    match full.view().to_vec::<f32>() {
        Ok(shown) => {
            for (i, (px, want)) in shown.chunks(4).zip(&grey).enumerate() {
                assert_eq!(px[0].to_bits(), want.to_bits(), "pixel {i}");
            }
        }
        Err(_) => {
            let shown = full.view().to_vec::<half::f16>().unwrap();
            for (i, (px, want)) in shown.chunks(4).zip(&grey).enumerate() {
                let got = px[0].to_f32();
                assert!(
                    (got - want).abs() <= want * 2f32.powi(-10) + 1e-7,
                    "pixel {i}: {got} against {want}"
                );
            }
        }
    }
    // 40 × 6000 RGB u8 (rows of 18 000 bytes), shrunk and stretched across the tiles' edges,
    // nearest and bilinear, and flipped left to right (a negative column stride).
    let rgb: Vec<u8> = Rng::new(18).bytes(40 * 6000 * 3);
    for (w, h) in [(1000u32, 300u32), (7000, 50)] {
        for filter in [Filter::Nearest, Filter::Linear] {
            let options = BlitOptions {
                filter,
                scaling: Scaling::Stretch,
                ..Default::default()
            };
            let what = format!("a wide RGB frame, {filter:?} onto {w}×{h}");
            let (full, small) = blit_both(&p, &what, |g| {
                draw(g, &upload(g, &rgb, &[40, 6000, 3])?, w, h, &options)
            });
            assert!(
                bytes(&full) == bytes(&small),
                "{what}: tiled picture differs"
            );
        }
    }
    let (full, small) = blit_both(&p, "a flipped wide frame", |g| {
        let a = upload(g, &rgb, &[40, 6000, 3])?;
        let flipped = a.slice(&[SliceArg::ALL, SliceArg::step(-1), SliceArg::ALL])?;
        draw(g, &flipped, 1200, 80, &BlitOptions::default())
    });
    assert!(
        bytes(&full) == bytes(&small),
        "flipped: tiled picture differs"
    );
    // Recorded into the caller's encoder, the tiles' copies would not outlive it: an error.
    let frame = upload(&p.small, &rgb, &[40, 6000, 3]).unwrap();
    let texture = target(&p.small, 600, 40);
    let blitter = Blitter::new(&p.small, texture.format()).unwrap();
    let mut encoder = p.small.device().create_command_encoder(&Default::default());
    let err = blitter
        .encode(
            &mut encoder,
            &frame,
            &texture.create_view(&Default::default()),
            &BlitOptions::default(),
        )
        .unwrap_err();
    assert!(err.to_string().contains("Blitter::draw"), "{err}");
}

/// Views whose 256 consecutive elements span more than one binding (transposes of arrays of a
/// few MiB here, of hundreds of MiB on a real binding) are gathered in blocks into contiguous
/// copies, then copied, converted or combined like any other: copies are exact, so the results
/// are bit-identical, and one is checked against a CPU transpose.
#[test]
fn gathers_of_widely_strided_views() {
    let p = pair();
    // 512 × 512 f32 (1 MiB): a column of the transpose steps 2 KiB, so 256 of its elements
    // span 512 KiB. (Each array costs (1 MiB / 64 KiB)² = 256 dispatches chunked.)
    let x = random_f32(16, 1 << 18);
    let y = random_f32(17, 1 << 18);
    let t = p.same("a transposed copy", |g| {
        upload(g, &x, &[512, 512])?.transpose().contiguous()
    });
    let t = t.view().to_vec::<f32>().unwrap();
    for (i, got) in t.iter().enumerate() {
        let (r, c) = (i / 512, i % 512);
        assert_eq!(got.to_bits(), x[c * 512 + r].to_bits(), "[{r}, {c}]");
    }
    p.same("x·2 + yᵀ", |g| {
        let a = upload(g, &x, &[512, 512])?;
        let b = upload(g, &y, &[512, 512])?;
        a.mul(2.0)?.add(&b.transpose())
    });
    // Units of 1, 2 and 8 bytes: u8 → f32, f16 transposed, and complex64.
    let bytes_in = Rng::new(18).bytes(1024 * 1024);
    p.same("a transposed u8 view to f32", |g| {
        upload(g, &bytes_in, &[1024, 1024])?
            .transpose()
            .astype(Dtype::F32)
    });
    p.same("a transposed f16 copy", |g| {
        upload(g, &x, &[512, 512])?
            .astype(Dtype::F16)?
            .transpose()
            .contiguous()
    });
    p.same("a transposed complex64 copy", |g| {
        let a = upload(g, &x[..1 << 17], &[256, 512])?;
        let b = upload(g, &y[..1 << 17], &[256, 512])?;
        a.complex(&b)?.transpose().contiguous()
    });
}

/// Filters whose f32 working buffers cannot exist on the adapter are refused before any
/// dispatch, naming the sizes (see `gpu/budget.rs` for the rule), through the library and
/// through the CLI's ops.
#[test]
fn filters_out_of_memory_before_work() {
    // A context of its own: its dispatch counter sees no other test's work.
    let gpu = &Gpu::new().unwrap();
    let max = gpu.info().max_buffer_size;
    // A 40000 × 40000 RGB u8 image from a broadcast pixel: 4.8 GB as u8, 19 GB as f32, with no
    // memory until a filter allocates.
    let pixel = upload(gpu, &[10u8, 20, 30], &[1, 1, 3]).unwrap();
    let huge = pixel.broadcast_to(&[40000, 40000, 3]).unwrap();
    assert!(
        40000 * 40000 * 3 * 4 > max,
        "the test needs an image past {max} bytes"
    );
    let before = gpu.stats().dispatches;
    let ops: Vec<(&str, Result<GpuArray>)> = vec![
        ("blur", filters::gaussian_blur(&huge, 3.0, Border::Reflect)),
        ("sobel", filters::sobel(&huge, Border::Clamp)),
        (
            "equalize",
            filters::equalize_histogram(&huge, Equalize::Luma),
        ),
        (
            "deblur (CLI op)",
            "deblur:sigma=2"
                .parse::<filters::Op>()
                .unwrap()
                .apply(&huge, Border::Reflect),
        ),
    ];
    for (what, result) in ops {
        let err = result.err().unwrap_or_else(|| panic!("{what}: no error"));
        assert!(
            matches!(err, gpuarray::Error::OutOfMemory(_)),
            "{what}: {err}"
        );
        assert!(
            err.to_string().contains(&format!("{max} bytes")),
            "{what}: names the sizes: {err}"
        );
    }
    assert_eq!(
        gpu.stats().dispatches,
        before,
        "no dispatch before the errors"
    );
}

/// A 24 MP photo (6000 × 4000 RGB, 72 MB of u8, 288 MB as f32: chunked on any binding of
/// 128 MiB or less) made from `testdata/coffee.png`, on the adapter's real binding.
fn photo_24mp() -> Vec<u8> {
    let photo = image::open(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/coffee.png"))
        .expect("coffee.png")
        .into_rgb8();
    image::imageops::resize(&photo, 6000, 4000, image::imageops::FilterType::Triangle).into_raw()
}

/// Runs each of the CLI's `ops` (with the margin its result depends on around each pixel) on
/// the 24 MP photo and on its central 3000 × 2000 crop (a quarter of the pixels, which fits
/// one binding unchunked): the crop's interior must equal the photo's pixels there bit for bit,
/// since each pixel is computed by the same arithmetic whatever the bands.
fn photo_ops_match_their_crop(ops: &[(&str, usize)]) {
    let gpu = common::gpu();
    let pixels = photo_24mp();
    let (h, w, c) = (4000usize, 6000usize, 3usize);
    let (y0, x0, ch, cw) = (1000usize, 1500usize, 2000usize, 3000usize);
    let crop: Vec<u8> = (y0..y0 + ch)
        .flat_map(|y| pixels[(y * w + x0) * c..(y * w + x0 + cw) * c].to_vec())
        .collect();
    let full = upload(gpu, &pixels, &[h, w, c]).unwrap();
    let part = upload(gpu, &crop, &[ch, cw, c]).unwrap();
    for &(text, margin) in ops {
        let op: filters::Op = text.parse().unwrap();
        let run = |a: &GpuArray| {
            op.apply(a, Border::Reflect)
                .and_then(|r| r.to_host())
                .unwrap_or_else(|e| panic!("{text}: {e}"))
        };
        let (big, small) = (run(&full), run(&part));
        let channels = big.shape().get(2).copied().unwrap_or(1);
        let pixel = channels * big.view().itemsize();
        let (big, small) = (bytes(&big), bytes(&small));
        for y in margin..ch - margin {
            let row = |data: &[u8], width: usize, yy: usize, xx: usize| {
                let start = (yy * width + xx) * pixel;
                data[start..start + (cw - 2 * margin) * pixel].to_vec()
            };
            assert!(
                row(&small, cw, y, margin) == row(&big, w, y0 + y, x0 + margin),
                "{text}: crop row {y} differs from the photo's"
            );
        }
    }
}

/// Two cheap CLI ops at 24 MP, one pointwise and one 3 × 3 stencil in bands (the photo, its
/// crop and the checks cost most of this test).
#[test]
fn photo_24mp_cheap_ops_match_a_crop() {
    photo_ops_match_their_crop(&[("gamma:g=2.2", 0), ("edges", 1)]);
}

/// The costly CLI ops at 24 MP, run by hand (the whole test took 173 s on lavapipe in the test
/// profile, too much for CI): `cargo test --test chunked -- --ignored photo_24mp`. Deblur and
/// equalize are not local (periodic FFT, global histogram), so a crop cannot check them; they
/// are run to check they complete at this size.
#[test]
#[ignore = "about 3 minutes at 24 MP on lavapipe"]
fn photo_24mp_every_op() {
    photo_ops_match_their_crop(&[
        ("grayscale", 0),
        ("srgb-to-linear", 0),
        ("linear-to-srgb", 0),
        ("brightness-contrast:brightness=0.1,contrast=1.5", 0),
        ("blur:sigma=1", 3),
        ("box:radius=3", 3),
        ("blur:sigma=3", 9),
        ("sharpen:sigma=2,amount=1", 6),
    ]);
    let gpu = common::gpu();
    let full = upload(gpu, &photo_24mp(), &[4000, 6000, 3]).unwrap();
    for text in ["equalize", "deblur:sigma=2"] {
        let op: filters::Op = text.parse().unwrap();
        let out = op.apply(&full, Border::Reflect).and_then(|r| r.to_host());
        let out = out.unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(out.shape(), &[4000, 6000, 3], "{text}");
    }
}

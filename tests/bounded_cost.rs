//! Bounded cost: every op and parameter at its extremes either returns an error that names the
//! parameter, or a correct result in time proportional to the data. Each case runs under a
//! watchdog — a hang detector, not a speed assertion: a case still running after
//! [`WATCHDOG`] fails the test as a hang — and the table of cases with their times is printed
//! (`cargo test --test bounded_cost -- --nocapture`), slowest first.
//!
//! Results are compared with plain-Rust f64 references written from the definitions: the
//! blurs sum *every* offset of the kernel (`−r..=r`, hundreds of thousands of them) through the
//! border rule, the box blur counts how many window offsets land on each pixel with integer
//! arithmetic (any radius, `usize::MAX` too) — neither folds taps as the library does.
//!
//! Tolerance: `|gpu − ref| ≤ 1e-4 · scale`, `scale` the largest input magnitude (times
//! `1 + amount` for the unsharp mask, whose difference is amplified by `amount`). A folded
//! kernel of ≥ 81 taps runs through the FFT, whose f32 error is a few ε · log2(N) of the
//! image's magnitude (ε = 6e-8, N ≤ 2^12 here: ~1e-5); direct passes are within taps · ε.

mod common;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{Rng, gpu, up, values};
use gpuarray::fft::{self, Norm};
use gpuarray::filters::{self, Border, Op};
use gpuarray::{Error, GpuArray, View};

/// How long one case may run before it counts as a hang.
const WATCHDOG: Duration = Duration::from_secs(30);

const BORDERS: [Border; 4] = [
    Border::Clamp,
    Border::Reflect,
    Border::Wrap,
    Border::Constant(0.25),
];

/// Runs `f` on its own thread and waits at most [`WATCHDOG`] for it; returns its value and how
/// long it took. A case that panics, or is still running, fails the test with its name.
fn watched<T: Send + 'static>(
    what: &str,
    times: &mut Vec<(String, Duration)>,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (send, recv) = mpsc::channel();
    let start = Instant::now();
    std::thread::spawn(move || {
        let _ = send.send(f());
    });
    let value = match recv.recv_timeout(WATCHDOG) {
        Ok(v) => v,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what}: still running after {WATCHDOG:?} (a hang)")
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what}: panicked"),
    };
    times.push((what.to_string(), start.elapsed()));
    value
}

/// Prints the cases, slowest first, with the count and the total.
fn report(title: &str, mut times: Vec<(String, Duration)>) {
    times.sort_by_key(|t| std::cmp::Reverse(t.1));
    let total: Duration = times.iter().map(|t| t.1).sum();
    eprintln!(
        "{title}: {} cases in {:.2} s, slowest first:",
        times.len(),
        total.as_secs_f64()
    );
    for (what, t) in times.iter().take(12) {
        eprintln!("  {:>9.3} s  {what}", t.as_secs_f64());
    }
}

/// Errors unless `e` is a parameter or shape error whose message names `param`.
fn names(e: &Error, param: &str) {
    assert!(
        matches!(e, Error::Parameter(_) | Error::Shape(_)) && e.to_string().contains(param),
        "the error should name {param:?}: {e}"
    );
}

/// A float image `[h, w, c]` in f64, C order.
#[derive(Clone)]
struct Img {
    h: usize,
    w: usize,
    c: usize,
    v: Vec<f64>,
}

impl Img {
    /// Random values in [-1, 1), rounded to f32 (what the GPU sees).
    fn random(rng: &mut Rng, h: usize, w: usize, c: usize) -> Img {
        let v = (0..h * w * c)
            .map(|_| rng.f64(-1.0, 1.0) as f32 as f64)
            .collect();
        Img { h, w, c, v }
    }

    fn upload(&self) -> GpuArray {
        let data: Vec<f32> = self.v.iter().map(|&v| v as f32).collect();
        up(&data, &[self.h, self.w, self.c])
    }

    fn max_abs(&self) -> f64 {
        self.v.iter().fold(0.0, |m, v| m.max(v.abs()))
    }

    /// A 1-D pass along x (`along_x`) or y: `out = Σ_i k(i) · line[i]`, where `weights(pos, n)`
    /// gives, for output position `pos` on an axis of `n` pixels, `(pixel or None for the
    /// constant, weight)` pairs.
    fn pass(
        &self,
        along_x: bool,
        cval: f64,
        weights: &dyn Fn(i64, i64) -> Vec<(Option<i64>, f64)>,
    ) -> Img {
        let mut out = self.clone();
        let n = if along_x { self.w } else { self.h } as i64;
        for y in 0..self.h {
            for x in 0..self.w {
                let pos = if along_x { x } else { y } as i64;
                let taps = weights(pos, n);
                for c in 0..self.c {
                    out.v[(y * self.w + x) * self.c + c] = taps
                        .iter()
                        .map(|&(i, k)| {
                            k * i.map_or(cval, |i| {
                                let (yy, xx) = if along_x {
                                    (y, i as usize)
                                } else {
                                    (i as usize, x)
                                };
                                self.v[(yy * self.w + xx) * self.c + c]
                            })
                        })
                        .sum();
                }
            }
        }
        out
    }
}

/// The pixel that position `i` (any integer) reads on an axis of `n`, or None for the constant:
/// written with Euclidean remainders (the shader uses `abs` and `%`).
fn pixel(i: i64, n: i64, border: Border) -> Option<i64> {
    match border {
        Border::Clamp => Some(i.clamp(0, n - 1)),
        Border::Wrap => Some(i.rem_euclid(n)),
        Border::Constant(_) => (0..n).contains(&i).then_some(i),
        Border::Reflect if n == 1 => Some(0),
        Border::Reflect => {
            let p = 2 * n - 2;
            let m = i.rem_euclid(p);
            Some(if m >= n { p - m } else { m })
        }
    }
}

fn cval(border: Border) -> f64 {
    match border {
        Border::Constant(v) => v as f64,
        _ => 0.0,
    }
}

/// The Gaussian blur by its definition: every offset of radius `ceil(3σ)`, both passes.
fn ref_gaussian(x: &Img, sigma: f64, border: Border) -> Img {
    let r = (3.0 * sigma).ceil() as i64;
    let g: Vec<f64> = (-r..=r)
        .map(|t| (-(t * t) as f64 / (2.0 * sigma * sigma)).exp())
        .collect();
    let total: f64 = g.iter().sum();
    let taps = |pos: i64, n: i64| {
        (-r..=r)
            .map(|t| (pixel(pos + t, n, border), g[(t + r) as usize] / total))
            .collect::<Vec<_>>()
    };
    let rows = x.pass(true, cval(border), &taps);
    rows.pass(false, cval(border), &taps)
}

/// How many integers in `[lo, hi]` are `≡ a (mod p)`.
fn congruent(lo: i128, hi: i128, a: i128, p: i128) -> i128 {
    if hi < lo {
        return 0;
    }
    (hi - a).div_euclid(p) - (lo - 1 - a).div_euclid(p)
}

/// The box blur of any radius by counting, for each pixel, the window offsets that read it.
fn ref_box(x: &Img, radius: usize, border: Border) -> Img {
    let r = radius as i128;
    let size = (2 * r + 1) as f64;
    let taps = |pos: i64, n: i64| {
        let (lo, hi, n128) = (pos as i128 - r, pos as i128 + r, n as i128);
        let mut out = vec![];
        for i in 0..n {
            let i128_ = i as i128;
            let count = match border {
                Border::Clamp => {
                    let mut c = i128::from(lo <= i128_ && i128_ <= hi);
                    if i == 0 {
                        c = congruent(lo, hi.min(0), 0, 1);
                    }
                    if i == n - 1 {
                        c = congruent(lo.max(n128 - 1), hi, 0, 1);
                        if n == 1 {
                            c = 2 * r + 1;
                        }
                    }
                    c
                }
                Border::Constant(_) => i128::from(lo <= i128_ && i128_ <= hi),
                Border::Wrap => congruent(lo, hi, i128_, n128),
                Border::Reflect if n == 1 => 2 * r + 1,
                Border::Reflect => {
                    let p = 2 * n128 - 2;
                    let mirror = (p - i128_) % p;
                    congruent(lo, hi, i128_, p)
                        + if mirror != i128_ {
                            congruent(lo, hi, mirror, p)
                        } else {
                            0
                        }
                }
            };
            out.push((Some(i), count as f64 / size));
        }
        if let Border::Constant(_) = border {
            let inside: i128 = (0..n as i128).filter(|&i| lo <= i && i <= hi).count() as i128;
            out.push((None, (2 * r + 1 - inside) as f64 / size));
        }
        out
    };
    let rows = x.pass(true, cval(border), &taps);
    rows.pass(false, cval(border), &taps)
}

fn assert_close(what: &str, got: &GpuArray, want: &Img, scale: f64) {
    assert_eq!(got.shape(), [want.h, want.w, want.c], "{what}: shape");
    let got = values(got);
    let worst = got
        .iter()
        .zip(&want.v)
        .map(|(g, w)| (g - w).abs())
        .fold(0.0, f64::max);
    assert!(
        worst <= 1e-4 * scale,
        "{what}: off by {worst:.3e} (tolerance {:.3e})",
        1e-4 * scale
    );
}

/// The image sizes of the matrix and the sigmas tried on each: a pixel, a row, a column, small
/// odd and even ones (every kernel folded to a few direct taps), and one large enough that
/// the folded kernels reach the FFT path (≥ 81 taps).
const SIZES: [((usize, usize), [f64; 3]); 6] = [
    ((1, 1), [0.4, 2.0, 1e5]),
    ((1, 9), [0.4, 2.0, 1e5]),
    ((8, 1), [0.4, 2.0, 1e5]),
    ((5, 7), [0.4, 2.0, 1e5]),
    ((6, 4), [0.4, 40.0, 1e5]),
    ((37, 50), [15.0, 40.0, 1e3]),
];

#[test]
fn blurs_of_any_size_equal_their_definition() {
    gpu();
    let mut rng = Rng::new(15);
    let mut times = vec![];
    for ((h, w), sigmas) in SIZES {
        let x = Img::random(&mut rng, h, w, 2);
        let scale = x.max_abs().max(0.25);
        for border in BORDERS {
            for sigma in sigmas {
                let what = format!("gaussian_blur σ={sigma} {h}×{w} {border:?}");
                let a = x.upload();
                let got = watched(&what, &mut times, move || {
                    filters::gaussian_blur(&a, sigma as f32, border).unwrap()
                });
                assert_close(&what, &got, &ref_gaussian(&x, sigma, border), scale);
            }
            for radius in [0, 1, 5, 60, 100_000, usize::MAX] {
                let what = format!("box_blur r={radius} {h}×{w} {border:?}");
                let a = x.upload();
                let got = watched(&what, &mut times, move || {
                    filters::box_blur(&a, radius, border).unwrap()
                });
                assert_close(&what, &got, &ref_box(&x, radius, border), scale);
            }
            let (sigma, amount) = (5000.0, 1e9);
            let what = format!("unsharp_mask σ={sigma} amount={amount} {h}×{w} {border:?}");
            let a = x.upload();
            let got = watched(&what, &mut times, move || {
                filters::unsharp_mask(&a, sigma as f32, amount as f32, border).unwrap()
            });
            let blur = ref_gaussian(&x, sigma, border);
            let want = Img {
                v: x.v
                    .iter()
                    .zip(&blur.v)
                    .map(|(a, b)| a + amount * (a - b))
                    .collect(),
                ..x.clone()
            };
            assert_close(&what, &got, &want, scale * (1.0 + amount));
        }
    }
    report("blurs against their definitions", times);
}

/// The CLI's ops at the extremes of their parameters, on a real photo and on degenerate
/// images: each finishes (an error naming the parameter, or an image of the right shape).
#[test]
fn every_op_at_its_extremes_finishes_or_names_the_parameter() {
    let path = format!("{}/testdata/coffee.png", env!("CARGO_MANIFEST_DIR"));
    let photo = image::open(path).unwrap();
    let photo = gpu()
        .upload(&View::from_dynamic_image(&photo).unwrap())
        .unwrap();
    // (step, the parameter an error must name, or "" when it must succeed on the photo)
    let steps: &[(&str, &str)] = &[
        ("box:radius=100000", ""),
        ("box:radius=18446744073709551615", ""),
        ("blur:sigma=100000", ""),
        ("blur:sigma=1000000", ""),
        ("blur:sigma=1e30", "sigma"),
        ("blur:sigma=1e-30", ""),
        ("sharpen:sigma=5000,amount=1e9", ""),
        ("sharpen:sigma=1e-30,amount=-1e30", ""),
        ("deblur:sigma=10000", "sigma"),
        ("deblur:sigma=60", "sigma"),
        ("deblur:sigma=1e-30", ""),
        ("deblur:psf=motion,length=1e6", "length"),
        ("deblur:psf=motion,length=1e30,angle=1e30", "length"),
        ("deblur:psf=motion,length=150,angle=45", ""),
        ("deblur:psf=disk,radius=1e5", "radius"),
        ("deblur:psf=disk,radius=1e-30", ""),
        ("deblur:nsr=0", ""),
        ("deblur:nsr=3e38", ""),
        ("gamma:g=1e-30", ""),
        ("gamma:g=3e38", ""),
        ("brightness-contrast:brightness=3e38,contrast=3e38", ""),
        ("brightness-contrast:brightness=-3e38,contrast=0", ""),
        ("equalize", ""),
        ("equalize:mode=luma", ""),
        ("edges", ""),
        ("grayscale", ""),
        ("srgb-to-linear", ""),
        ("linear-to-srgb", ""),
    ];
    let mut times = vec![];
    let mut rng = Rng::new(16);
    for &(step, param) in steps {
        let op: Op = step.parse().unwrap();
        for border in [Border::Clamp, Border::Reflect] {
            let what = format!("{step} on the photo {border:?}");
            let a = photo.clone();
            let result = watched(&what, &mut times, move || {
                op.apply(&a, border).and_then(|y| y.to_host().map(|_| y))
            });
            match (result, param) {
                (Ok(y), "") => assert_eq!(y.shape()[..2], photo.shape()[..2], "{what}"),
                (Ok(_), p) => panic!("{what}: should be an error naming {p}"),
                (Err(e), "") => panic!("{what}: {e}"),
                (Err(e), p) => names(&e, p),
            }
        }
        // Degenerate images (u8 and f32, grey and colour): a result or an error, never a hang,
        // and a deblur error names its parameter.
        for (h, w, c) in [(1, 1, 1), (1, 13, 3), (13, 1, 3), (0, 5, 3), (2, 0, 1)] {
            let bytes = rng.bytes(h * w * c);
            let a = up(&bytes, &[h, w, c]);
            let what = format!("{step} on {h}×{w}×{c} u8");
            let result = watched(&what, &mut times, move || {
                op.apply(&a, Border::Wrap)
                    .and_then(|y| y.to_host().map(|_| y))
            });
            match result {
                Ok(y) => assert_eq!(y.shape()[..2], [h, w], "{what}"),
                Err(e) if step.starts_with("deblur") && param.is_empty() => {
                    // Too small to taper: the error says why and names the parameter.
                    assert!(e.to_string().contains("deblur"), "{what}: {e}");
                }
                Err(e) if !param.is_empty() => names(&e, param),
                Err(e) if step.starts_with("equalize") && h * w > 0 => {
                    panic!("{what}: {e}")
                }
                Err(e) => assert!(
                    !matches!(e, Error::Gpu(_) | Error::OutOfMemory(_)),
                    "{what}: {e}"
                ),
            }
        }
    }
    report("ops at their extremes", times);
}

/// The library's own parameters past what any image needs: errors naming them, before any
/// allocation (the PSF builders used to abort allocating 28.8 GB), or correct results.
#[test]
fn library_parameters_at_their_extremes() {
    let mut times = vec![];
    for (what, param, f) in [
        (
            "psf_gaussian(usize::MAX)",
            "size",
            Box::new(|| filters::psf_gaussian(usize::MAX, 1.0).map(drop))
                as Box<dyn FnOnce() -> gpuarray::Result<()> + Send>,
        ),
        (
            "psf_gaussian(60001, 1e4)",
            "size",
            Box::new(|| filters::psf_gaussian(60001, 1e4).map(drop)),
        ),
        (
            "psf_motion(1e6)",
            "length",
            Box::new(|| filters::psf_motion(1e6, 0.0).map(drop)),
        ),
        (
            "psf_motion(3e38)",
            "length",
            Box::new(|| filters::psf_motion(3e38, 10.0).map(drop)),
        ),
        (
            "psf_disk(1e5)",
            "radius",
            Box::new(|| filters::psf_disk(1e5).map(drop)),
        ),
        (
            "psf_disk(3e38)",
            "radius",
            Box::new(|| filters::psf_disk(3e38).map(drop)),
        ),
        (
            "gaussian_blur(σ = 3e38)",
            "sigma",
            Box::new(|| {
                filters::gaussian_blur(&up(&[0.5f32; 4], &[2, 2]), 3e38, Border::Clamp).map(drop)
            }),
        ),
        (
            "taper_edges(usize::MAX)",
            "taper",
            Box::new(|| filters::taper_edges(&up(&[0.5f32; 4], &[2, 2]), usize::MAX).map(drop)),
        ),
        (
            "fftfreq(2^50)",
            "frequencies",
            Box::new(|| fft::fftfreq(gpu(), 1 << 50, 1.0).map(drop)),
        ),
        (
            "fft(n = usize::MAX)",
            "FFT",
            Box::new(|| {
                fft::fft(
                    &up(&[1.0f32; 4], &[4]),
                    Some(usize::MAX),
                    -1,
                    Norm::Backward,
                )
                .map(drop)
            }),
        ),
        (
            "fft(n = 2^40)",
            "FFT",
            Box::new(|| {
                fft::fft(&up(&[1.0f32; 4], &[4]), Some(1 << 40), -1, Norm::Backward).map(drop)
            }),
        ),
        (
            "rfft(n = 2^40)",
            "FFT",
            Box::new(|| {
                fft::rfft(&up(&[1.0f32; 4], &[4]), Some(1 << 40), -1, Norm::Backward).map(drop)
            }),
        ),
        (
            "irfft(n = usize::MAX)",
            "FFT",
            Box::new(|| {
                fft::irfft(
                    &up(&[1.0f32; 4], &[4]),
                    Some(usize::MAX),
                    -1,
                    Norm::Backward,
                )
                .map(drop)
            }),
        ),
        (
            "fft2(s = [2^31, 2^31])",
            "FFT",
            Box::new(|| {
                fft::fft2(
                    &up(&[1.0f32; 4], &[2, 2]),
                    Some(&[1 << 31, 1 << 31]),
                    None,
                    Norm::Backward,
                )
                .map(drop)
            }),
        ),
        (
            "fft(n = 0)",
            "points",
            Box::new(|| fft::fft(&up(&[1.0f32; 4], &[4]), Some(0), -1, Norm::Backward).map(drop)),
        ),
    ] {
        let e = watched(what, &mut times, f).expect_err(what);
        assert!(
            e.to_string().contains(param) && !matches!(e, Error::Gpu(_)),
            "{what}: the error should name {param:?}: {e}"
        );
    }
    // The largest PSFs that are made: correct sums, in bounded time.
    for (what, f) in [
        (
            "psf_disk(2047.5)",
            Box::new(|| filters::psf_disk(2047.5))
                as Box<dyn FnOnce() -> gpuarray::Result<gpuarray::HostArray> + Send>,
        ),
        (
            "psf_motion(4092, 30°)",
            Box::new(|| filters::psf_motion(4092.0, 30.0)),
        ),
        (
            "psf_gaussian(4095, 1000)",
            Box::new(|| filters::psf_gaussian(4095, 1000.0)),
        ),
    ] {
        let psf = watched(what, &mut times, f).unwrap();
        let sum: f64 = psf
            .as_slice::<f32>()
            .unwrap()
            .iter()
            .map(|&v| v as f64)
            .sum();
        assert!((sum - 1.0).abs() < 1e-3, "{what}: sums to {sum}");
        assert!(psf.shape()[0] <= filters::deconv::MAX_PSF_SIZE, "{what}");
    }
    // Short transforms: n = 1 keeps the first sample (the DFT of one point is itself).
    let x = up(&[3.0f32, 1.0, 4.0, 1.0], &[4]);
    let y = watched("fft(n = 1)", &mut times, move || {
        fft::fft(&x, Some(1), -1, Norm::Backward)
            .unwrap()
            .real()
            .unwrap()
    });
    assert_eq!(values(&y), [3.0]);
    // Histograms and equalisation of empty images: all zero bins, empty results.
    let empty = up::<u8>(&[], &[0, 4, 3]);
    let e2 = empty.clone();
    let hist = watched("histogram_u8 of an empty image", &mut times, move || {
        e2.histogram_u8().unwrap()
    });
    assert!(values(&hist).iter().all(|&v| v == 0.0));
    for mode in [filters::Equalize::PerChannel, filters::Equalize::Luma] {
        let e = empty.clone();
        let out = watched("equalize an empty image", &mut times, move || {
            filters::equalize_histogram(&e, mode).unwrap()
        });
        assert_eq!(out.len(), 0);
    }
    report("library parameters at their extremes", times);
}

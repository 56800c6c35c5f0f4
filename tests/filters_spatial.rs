//! Spatial filters against CPU references written here in plain f64 loops (2-D windows, the
//! border rule by repeated folding: independent of the shader's arithmetic), on random data and
//! on the real photos, for every border mode.
//!
//! Tolerances:
//! - f32 results: `|gpu − ref| ≤ tol · Σ|k| · max|x|` (Σ|k| the kernel's L1 norm, 1 for the
//!   blurs). The GPU sums `kh · kw` products in f32: each product and each addition is off by at
//!   most ε = 6e-8 relative, so the error is ≤ taps · ε · Σ|k| · max|x| in the worst case and
//!   about √taps · ε in practice; 1e-5 covers up to ~150 taps worst-case (separable blurs: two
//!   passes of ≤ 2r + 1 taps). The FFT path has an error of a few ε · log2(N) · Σ|k| · max|x|
//!   (f32 transforms of the padded image): 1e-4 there.
//! - u8 results are compared after the same rounding (`round(clamp(v, 0, 1) · 255)`, ties to
//!   even): exact, except ±1 where the f64 reference lies within 1e-3 LSB of a rounding tie
//!   (n + 0.5), because the GPU's f32 result can fall on either side of such a tie. Those cases
//!   are counted and must be rare: at most 1 % of the values. (Exact ties are not rare
//!   everywhere: with `Border::Constant(0.25)`, 63.75 in 8-bit units, a 5 × 5 mean over an edge
//!   pixel reads 10 constants and 15 pixels, and hits n + 0.5 whenever the 15 sum to a multiple
//!   of 25: about 1 in 25 edge pixels. Which way each falls depends on the order of the f32
//!   sums, e.g. which of a separable filter's passes runs first.)

mod common;

use common::{Rng, up, values};
use gpuarray::filters::spatial::{FFT_MIN_TAPS, Method, convolve2d_with};
use gpuarray::filters::{Border, box_blur, boxsum, convolve2d, gaussian_blur, sobel, unsharp_mask};
use gpuarray::{Dtype, Error, GpuArray, SliceArg, View};

const BORDERS: [Border; 4] = [
    Border::Clamp,
    Border::Reflect,
    Border::Wrap,
    Border::Constant(0.25),
];

/// A float image in f64: `[h, w, c]`, C order.
#[derive(Clone)]
struct Img {
    h: usize,
    w: usize,
    c: usize,
    v: Vec<f64>,
}

impl Img {
    fn random(rng: &mut Rng, h: usize, w: usize, c: usize) -> Img {
        let v = (0..h * w * c).map(|_| rng.f64(-1.0, 1.0)).collect();
        Img { h, w, c, v }
    }

    /// The value at (y, x, ch) with the border rule, positions any integers.
    fn at(&self, y: i64, x: i64, ch: usize, border: Border) -> f64 {
        match (
            fold(y, self.h as i64, border),
            fold(x, self.w as i64, border),
        ) {
            (Some(y), Some(x)) => self.v[(y as usize * self.w + x as usize) * self.c + ch],
            _ => match border {
                Border::Constant(v) => v as f64,
                _ => unreachable!(),
            },
        }
    }

    /// Applies `f(y, x, ch)` to every position.
    fn map(&self, f: impl Fn(i64, i64, usize) -> f64) -> Img {
        let mut v = Vec::with_capacity(self.v.len());
        for y in 0..self.h as i64 {
            for x in 0..self.w as i64 {
                for ch in 0..self.c {
                    v.push(f(y, x, ch));
                }
            }
        }
        Img { v, ..*self }
    }

    fn max_abs(&self) -> f64 {
        self.v.iter().fold(0.0, |m, v| m.max(v.abs()))
    }
}

/// Where position `i` reads along an axis of length `n`, or None for the constant.
fn fold(mut i: i64, n: i64, border: Border) -> Option<i64> {
    match border {
        Border::Clamp => Some(i.clamp(0, n - 1)),
        Border::Wrap => Some(i.rem_euclid(n)),
        Border::Constant(_) => (0..n).contains(&i).then_some(i),
        Border::Reflect => {
            if n == 1 {
                return Some(0);
            }
            // Mirror at -0.0 and at n - 1 until inside: dcb|abcd|cba.
            while !(0..n).contains(&i) {
                i = if i < 0 { -i } else { 2 * (n - 1) - i };
            }
            Some(i)
        }
    }
}

/// SciPy's `ndimage.convolve` (origin 0): `Σ k[m, n] · x[y + kh/2 − m, x + kw/2 − n]`.
fn ref_convolve(x: &Img, k: &[f64], kh: usize, kw: usize, border: Border) -> Img {
    let (ch, cw) = ((kh / 2) as i64, (kw / 2) as i64);
    x.map(|y, xx, c| {
        let mut s = 0.0;
        for m in 0..kh {
            for n in 0..kw {
                s += k[m * kw + n] * x.at(y + ch - m as i64, xx + cw - n as i64, c, border);
            }
        }
        s
    })
}

/// Correlation with a centred odd kernel: `Σ k[i, j] · x[y + i − r, x + j − r]`.
fn ref_correlate(x: &Img, k: &[f64], size: usize, border: Border) -> Img {
    let r = (size / 2) as i64;
    x.map(|y, xx, c| {
        let mut s = 0.0;
        for i in 0..size {
            for j in 0..size {
                s += k[i * size + j] * x.at(y + i as i64 - r, xx + j as i64 - r, c, border);
            }
        }
        s
    })
}

/// The 2-D Gaussian kernel (outer product of the normalised 1-D one, radius ceil(3σ)).
fn gauss2d(sigma: f64) -> (Vec<f64>, usize) {
    let r = (3.0 * sigma).ceil() as i64;
    let g: Vec<f64> = (-r..=r)
        .map(|t| (-(t * t) as f64 / (2.0 * sigma * sigma)).exp())
        .collect();
    let s: f64 = g.iter().sum();
    let n = g.len();
    let k = (0..n * n).map(|i| g[i / n] * g[i % n] / (s * s)).collect();
    (k, n)
}

fn ref_sobel(x: &Img, border: Border) -> Img {
    let gx = [-1.0, 0.0, 1.0, -2.0, 0.0, 2.0, -1.0, 0.0, 1.0];
    let gy = [-1.0, -2.0, -1.0, 0.0, 0.0, 0.0, 1.0, 2.0, 1.0];
    let a = ref_correlate(x, &gx, 3, border);
    let b = ref_correlate(x, &gy, 3, border);
    let v = a.v.iter().zip(&b.v).map(|(p, q)| p.hypot(*q)).collect();
    Img { v, ..*x }
}

/// Checks an f32 result: `|gpu − ref| ≤ tol · scale` everywhere.
fn assert_close(what: &str, got: &GpuArray, want: &Img, tol: f64, scale: f64) {
    assert_eq!(got.dtype(), Dtype::F32, "{what}");
    let got = values(got);
    assert_eq!(got.len(), want.v.len(), "{what}");
    let worst = got
        .iter()
        .zip(&want.v)
        .map(|(g, w)| (g - w).abs())
        .fold(0.0, f64::max);
    assert!(
        worst <= tol * scale,
        "{what}: max error {worst:e} > {tol:e} · {scale}"
    );
}

/// Checks a u8 result against the reference rounded the same way (see the file docs).
fn assert_u8(what: &str, got: &GpuArray, want: &Img) {
    assert_eq!(got.dtype(), Dtype::U8, "{what}");
    let h = got.to_host().unwrap();
    let got = h.as_slice::<u8>().unwrap();
    assert_eq!(got.len(), want.v.len(), "{what}");
    let mut ties = 0;
    for (i, (&g, &w)) in got.iter().zip(&want.v).enumerate() {
        let s = w.clamp(0.0, 1.0) * 255.0;
        let r = s.round_ties_even();
        if g as f64 == r {
            continue;
        }
        let near_tie = (s - s.floor() - 0.5).abs() < 1e-3;
        assert!(
            near_tie && (g as f64 - r).abs() == 1.0,
            "{what}: element {i}: got {g}, want {r} (reference {s})"
        );
        ties += 1;
    }
    assert!(ties * 100 <= got.len(), "{what}: {ties} off-by-one ties");
}

fn upload_f32(x: &Img) -> GpuArray {
    let data: Vec<f32> = x.v.iter().map(|&v| v as f32).collect();
    up(&data, &[x.h, x.w, x.c])
}

/// The f32 values the GPU sees, back in f64 (so the reference starts from the same inputs).
fn as_f32(x: &Img) -> Img {
    let v = x.v.iter().map(|&v| v as f32 as f64).collect();
    Img { v, ..*x }
}

fn photo(name: &str) -> (Vec<u8>, [usize; 3]) {
    let path = format!("{}/testdata/{name}", env!("CARGO_MANIFEST_DIR"));
    let img = image::open(path).unwrap();
    let view = View::from_dynamic_image(&img).unwrap();
    let shape = [view.shape()[0], view.shape()[1], view.shape()[2]];
    (view.to_vec::<u8>().unwrap(), shape)
}

/// The u8 image as the floats the filters see (`x / 255`).
fn unit(data: &[u8], shape: [usize; 3]) -> Img {
    let v = data.iter().map(|&b| (b as f32 / 255.0) as f64).collect();
    Img {
        h: shape[0],
        w: shape[1],
        c: shape[2],
        v,
    }
}

fn kernel(rng: &mut Rng, kh: usize, kw: usize) -> Vec<f32> {
    (0..kh * kw).map(|_| rng.f64(-1.0, 1.0) as f32).collect()
}

fn l1(k: &[f32]) -> f64 {
    k.iter().map(|v| v.abs() as f64).sum()
}

#[test]
fn convolve2d_direct_matches_scipy_convolve_for_every_border() {
    let mut rng = Rng::new(1);
    let x = as_f32(&Img::random(&mut rng, 17, 23, 3));
    let g = upload_f32(&x);
    for (kh, kw) in [(3, 3), (4, 5), (1, 7), (6, 2)] {
        let k = kernel(&mut rng, kh, kw);
        let kd: Vec<f64> = k.iter().map(|&v| v as f64).collect();
        let kv = View::from_slice(&k, &[kh, kw]).unwrap();
        for border in BORDERS {
            let got = convolve2d_with(&g, &kv, border, Method::Direct).unwrap();
            assert_eq!(got.shape(), [17, 23, 3]);
            let want = ref_convolve(&x, &kd, kh, kw, border);
            assert_close(
                &format!("{kh}x{kw} {border:?}"),
                &got,
                &want,
                1e-5,
                l1(&k) * x.max_abs(),
            );
        }
    }
}

#[test]
fn convolve2d_of_a_grey_image_and_a_one_pixel_wide_one() {
    let mut rng = Rng::new(2);
    for (h, w) in [(9, 1), (1, 5), (13, 11)] {
        let x = as_f32(&Img::random(&mut rng, h, w, 1));
        let data: Vec<f32> = x.v.iter().map(|&v| v as f32).collect();
        let g = up(&data, &[h, w]);
        let k = kernel(&mut rng, 3, 4);
        let kd: Vec<f64> = k.iter().map(|&v| v as f64).collect();
        let kv = View::from_slice(&k, &[3, 4]).unwrap();
        for border in BORDERS {
            for method in [Method::Direct, Method::Fft] {
                let got = convolve2d_with(&g, &kv, border, method).unwrap();
                assert_eq!(got.shape(), [h, w]);
                let tol = if method == Method::Fft { 1e-4 } else { 1e-5 };
                let want = ref_convolve(&x, &kd, 3, 4, border);
                assert_close(
                    &format!("[{h}, {w}] {border:?} {method:?}"),
                    &got,
                    &want,
                    tol,
                    l1(&k) * x.max_abs(),
                );
            }
        }
    }
}

#[test]
fn convolve2d_fft_with_a_kernel_larger_than_the_image() {
    let mut rng = Rng::new(3);
    let x = as_f32(&Img::random(&mut rng, 13, 11, 2));
    let g = upload_f32(&x);
    let (kh, kw) = (21, 26);
    assert!(kh * kw >= FFT_MIN_TAPS, "Auto takes the FFT path here");
    let k = kernel(&mut rng, kh, kw);
    let kd: Vec<f64> = k.iter().map(|&v| v as f64).collect();
    let kv = View::from_slice(&k, &[kh, kw]).unwrap();
    for border in BORDERS {
        let got = convolve2d(&g, &kv, border).unwrap();
        let want = ref_convolve(&x, &kd, kh, kw, border);
        assert_close(
            &format!("{border:?}"),
            &got,
            &want,
            1e-4,
            l1(&k) * x.max_abs(),
        );
    }
}

#[test]
fn convolve2d_direct_and_fft_agree() {
    let mut rng = Rng::new(4);
    let x = as_f32(&Img::random(&mut rng, 61, 47, 3));
    let g = upload_f32(&x);
    for (kh, kw) in [(13, 13), (12, 9)] {
        let k = kernel(&mut rng, kh, kw);
        let kv = View::from_slice(&k, &[kh, kw]).unwrap();
        for border in BORDERS {
            let a = values(&convolve2d_with(&g, &kv, border, Method::Direct).unwrap());
            let b = values(&convolve2d_with(&g, &kv, border, Method::Fft).unwrap());
            let worst = a
                .iter()
                .zip(&b)
                .map(|(p, q)| (p - q).abs())
                .fold(0.0, f64::max);
            assert!(
                worst <= 1e-4 * l1(&k) * x.max_abs(),
                "{kh}x{kw} {border:?}: {worst:e}"
            );
        }
    }
}

#[test]
fn convolve2d_u8_photo_and_strided_channel() {
    let (data, shape) = photo("coffee.png");
    let g = up(&data, &shape);
    let x = unit(&data, shape);
    // A 5x5 smoothing kernel (weights ≥ 0, sum 1): the result stays in [0, 1].
    let k: Vec<f32> = (0..25)
        .map(|i| (1 + i % 5 + i / 5) as f32 / 125.0)
        .collect();
    let kd: Vec<f64> = k.iter().map(|&v| v as f64).collect();
    let kv = View::from_slice(&k, &[5, 5]).unwrap();
    let got = convolve2d(&g, &kv, Border::Reflect).unwrap();
    assert_eq!(got.shape(), shape);
    assert_u8(
        "coffee 5x5 reflect",
        &got,
        &ref_convolve(&x, &kd, 5, 5, Border::Reflect),
    );
    // The green channel, a strided [h, w] view, mirrored left-right.
    let green = g
        .slice(&[SliceArg::ALL, SliceArg::step(-1), 1.into()])
        .unwrap();
    let gx = Img {
        c: 1,
        v: (0..shape[0] * shape[1])
            .map(|p| x.v[(p / shape[1] * shape[1] + shape[1] - 1 - p % shape[1]) * 3 + 1])
            .collect(),
        ..x
    };
    let got = convolve2d(&green, &kv, Border::Wrap).unwrap();
    assert_eq!(got.shape(), [shape[0], shape[1]]);
    assert_u8(
        "green mirrored wrap",
        &got,
        &ref_convolve(&gx, &kd, 5, 5, Border::Wrap),
    );
}

#[test]
fn gaussian_blur_on_random_data_every_border() {
    let mut rng = Rng::new(5);
    let x = as_f32(&Img::random(&mut rng, 19, 25, 3));
    let g = upload_f32(&x);
    for sigma in [0.7f32, 2.0] {
        let (k, n) = gauss2d(sigma as f64);
        for border in BORDERS {
            let got = gaussian_blur(&g, sigma, border).unwrap();
            let want = ref_correlate(&x, &k, n, border);
            let scale = x.max_abs().max(0.25);
            assert_close(&format!("σ {sigma} {border:?}"), &got, &want, 1e-5, scale);
        }
    }
}

#[test]
fn gaussian_blur_on_the_photos() {
    let (data, shape) = photo("coffee.png");
    let g = up(&data, &shape);
    let x = unit(&data, shape);
    let (k, n) = gauss2d(1.2);
    for border in [Border::Reflect, Border::Constant(0.5)] {
        let got = gaussian_blur(&g, 1.2, border).unwrap();
        assert_eq!((got.shape(), got.dtype()), (&shape[..], Dtype::U8));
        assert_u8(
            &format!("coffee {border:?}"),
            &got,
            &ref_correlate(&x, &k, n, border),
        );
    }
    // camera.png as [h, w]: channel 0 of [h, w, 1] (a strided view).
    let (data, shape) = photo("camera.png");
    let g = up(&data, &shape)
        .slice(&[SliceArg::ALL, SliceArg::ALL, 0.into()])
        .unwrap();
    let x = unit(&data, shape);
    for border in [Border::Clamp, Border::Wrap] {
        let got = gaussian_blur(&g, 1.2, border).unwrap();
        assert_eq!(got.shape(), [512, 512]);
        assert_u8(
            &format!("camera {border:?}"),
            &got,
            &ref_correlate(&x, &k, n, border),
        );
    }
}

#[test]
fn box_blur_u8_u16_and_f32_every_border() {
    let mut rng = Rng::new(6);
    let (h, w) = (31, 29);
    let bytes = rng.bytes(h * w * 3);
    let g8 = up(&bytes, &[h, w, 3]);
    let x8 = unit(&bytes, [h, w, 3]);
    let words: Vec<u16> = (0..h * w).map(|_| rng.next_u64() as u16).collect();
    let g16 = up(&words, &[h, w]);
    let x16 = Img {
        h,
        w,
        c: 1,
        v: words.iter().map(|&v| (v as f32 / 65535.0) as f64).collect(),
    };
    let xf = as_f32(&Img::random(&mut rng, h, w, 3));
    let gf = upload_f32(&xf);
    for radius in [0usize, 2] {
        let n = 2 * radius + 1;
        let k = vec![1.0 / (n * n) as f64; n * n];
        for border in BORDERS {
            let what = format!("r {radius} {border:?}");
            let got = box_blur(&g8, radius, border).unwrap();
            assert_u8(&what, &got, &ref_correlate(&x8, &k, n, border));
            let got = box_blur(&g16, radius, border).unwrap();
            assert_eq!((got.shape(), got.dtype()), (&[h, w][..], Dtype::U16));
            let want = ref_correlate(&x16, &k, n, border);
            let got = values(&got);
            for (g, w) in got.iter().zip(&want.v) {
                assert!(
                    (g - w.clamp(0.0, 1.0) * 65535.0).abs() <= 0.51,
                    "{what} u16: {g} {w}"
                );
            }
            let got = box_blur(&gf, radius, border).unwrap();
            assert_close(&what, &got, &ref_correlate(&xf, &k, n, border), 1e-5, 1.0);
        }
    }
}

/// The box blur as two 1-D means in f64 (rows, then columns), the border rule by folding.
fn ref_box(x: &Img, r: usize, border: Border) -> Img {
    let r = r as i64;
    let n = (2 * r + 1) as f64;
    let rows = x.map(|y, xx, c| (-r..=r).map(|t| x.at(y, xx + t, c, border)).sum::<f64>() / n);
    rows.map(|y, xx, c| (-r..=r).map(|t| rows.at(y + t, xx, c, border)).sum::<f64>() / n)
}

/// Radii from `RUNNING_MIN_RADIUS` on run by running sums: lines of several segments (restarts
/// of the sum), a window wider than a segment, every border mode and dtype, against [`ref_box`].
/// f32 tolerance: the bound of `gpuarray::filters::boxsum` per pass, `(2r + 2·seg + 1)·ε`, for
/// two passes, plus 2ε for the scaling by a rounded `1/(2r + 1)`; u8 and u16 as above.
#[test]
fn box_blur_by_running_sums_every_border_and_dtype() {
    let mut rng = Rng::new(14);
    let (h, w) = (75, 70);
    let bytes = rng.bytes(h * w * 3);
    let g8 = up(&bytes, &[h, w, 3]);
    let x8 = unit(&bytes, [h, w, 3]);
    let words: Vec<u16> = (0..h * w).map(|_| rng.next_u64() as u16).collect();
    let g16 = up(&words, &[w, h]);
    let x16 = Img {
        h: w,
        w: h,
        c: 1,
        v: words.iter().map(|&v| (v as f32 / 65535.0) as f64).collect(),
    };
    let xf = as_f32(&Img::random(&mut rng, h, w, 3));
    let gf = upload_f32(&xf);
    // The smallest radius here runs by running sums.
    const { assert!(boxsum::RUNNING_MIN_RADIUS <= 22) };
    for radius in [22usize, 23, 40] {
        let seg = boxsum::SEGMENT.max(2 * radius + 1);
        let eps = f64::powi(2.0, -24);
        let tol = 1e-5f64.max(2.0 * (2 * radius + 2 * seg + 2) as f64 * eps);
        for border in BORDERS {
            let what = format!("r {radius} {border:?}");
            let got = box_blur(&g8, radius, border).unwrap();
            assert_u8(&what, &got, &ref_box(&x8, radius, border));
            let got = box_blur(&g16, radius, border).unwrap();
            assert_eq!((got.shape(), got.dtype()), (&[w, h][..], Dtype::U16));
            let want = ref_box(&x16, radius, border);
            for (g, w) in values(&got).iter().zip(&want.v) {
                assert!(
                    (g - w.clamp(0.0, 1.0) * 65535.0).abs() <= 0.5 + tol * 65535.0,
                    "{what} u16: {g} {w}"
                );
            }
            let got = box_blur(&gf, radius, border).unwrap();
            let scale = xf.max_abs().max(0.25);
            assert_close(&what, &got, &ref_box(&xf, radius, border), tol, scale);
        }
    }
}

#[test]
fn unsharp_mask_f32_and_clamped_u8() {
    let mut rng = Rng::new(7);
    let x = as_f32(&Img::random(&mut rng, 15, 21, 3));
    let g = upload_f32(&x);
    let (k, n) = gauss2d(1.0);
    for border in BORDERS {
        let blur = ref_correlate(&x, &k, n, border);
        let want = Img {
            v: x.v
                .iter()
                .zip(&blur.v)
                .map(|(a, b)| a + 1.5 * (a - b))
                .collect(),
            ..x
        };
        let got = unsharp_mask(&g, 1.0, 1.5, border).unwrap();
        assert_close(&format!("{border:?}"), &got, &want, 1e-5, 4.0);
    }
    let (data, shape) = photo("coffee.png");
    let gu = up(&data, &shape);
    let xu = unit(&data, shape);
    let blur = ref_correlate(&xu, &k, n, Border::Reflect);
    let want = Img {
        v: xu
            .v
            .iter()
            .zip(&blur.v)
            .map(|(a, b)| a + 2.0 * (a - b))
            .collect(),
        ..xu
    };
    let got = unsharp_mask(&gu, 1.0, 2.0, Border::Reflect).unwrap();
    assert_u8("coffee unsharp", &got, &want);
}

#[test]
fn sobel_f32_every_border_and_u8_photo() {
    let mut rng = Rng::new(8);
    let x = as_f32(&Img::random(&mut rng, 14, 19, 3));
    let g = upload_f32(&x);
    for border in BORDERS {
        let got = sobel(&g, border).unwrap();
        assert_close(
            &format!("{border:?}"),
            &got,
            &ref_sobel(&x, border),
            1e-5,
            8.0,
        );
    }
    // A transposed [w, h, 3] view of random data.
    let t = g.permute(&[1, 0, 2]).unwrap();
    let xt = Img {
        h: x.w,
        w: x.h,
        c: 3,
        v: (0..x.v.len())
            .map(|i| {
                let (p, ch) = (i / 3, i % 3);
                let (yy, xx) = (p / x.h, p % x.h);
                x.v[(xx * x.w + yy) * 3 + ch]
            })
            .collect(),
    };
    let got = sobel(&t, Border::Reflect).unwrap();
    assert_eq!(got.shape(), [19, 14, 3]);
    assert_close(
        "transposed",
        &got,
        &ref_sobel(&xt, Border::Reflect),
        1e-5,
        8.0,
    );
    let (data, shape) = photo("camera.png");
    let gu = up(&data, &shape);
    let xu = unit(&data, shape);
    let got = sobel(&gu, Border::Clamp).unwrap();
    assert_u8("camera sobel", &got, &ref_sobel(&xu, Border::Clamp));
}

#[test]
fn empty_images_give_empty_results() {
    let g = up::<f32>(&[], &[0, 5, 3]);
    let k = View::from_slice(&[1.0f32; 9], &[3, 3]).unwrap();
    assert_eq!(
        gaussian_blur(&g, 1.0, Border::Clamp).unwrap().shape(),
        [0, 5, 3]
    );
    assert_eq!(
        convolve2d_with(&g, &k, Border::Wrap, Method::Fft)
            .unwrap()
            .shape(),
        [0, 5, 3]
    );
    let g = up::<u8>(&[], &[4, 0]);
    let s = sobel(&g, Border::Reflect).unwrap();
    assert_eq!((s.shape(), s.dtype()), (&[4, 0][..], Dtype::U8));
}

#[test]
fn bad_inputs_are_errors() {
    let img = up(&[0.5f32; 12], &[3, 4]);
    for sigma in [0.0f32, -1.0, f32::NAN, f32::INFINITY] {
        let e = gaussian_blur(&img, sigma, Border::Clamp).unwrap_err();
        assert!(e.to_string().contains("sigma"), "{e}");
        let e = unsharp_mask(&img, sigma, 1.0, Border::Clamp).unwrap_err();
        assert!(e.to_string().contains("sigma"), "{e}");
    }
    let e = unsharp_mask(&img, 1.0, f32::NAN, Border::Clamp).unwrap_err();
    assert!(e.to_string().contains("amount"), "{e}");
    // Any radius is valid: the window is folded onto the image (tests/bounded_cost.rs checks
    // the values against the definition); a flat image stays flat.
    let flat = box_blur(&img, usize::MAX, Border::Clamp).unwrap();
    assert!(values(&flat).iter().all(|v| (v - 0.5).abs() < 1e-6));

    let empty = View::from_slice::<f32>(&[], &[0, 3]).unwrap();
    let e = convolve2d(&img, &empty, Border::Clamp).unwrap_err();
    assert!(
        matches!(e, Error::Shape(_)) && e.to_string().contains("tap"),
        "{e}"
    );
    let flat = View::from_slice(&[1.0f32; 3], &[3]).unwrap();
    let e = convolve2d(&img, &flat, Border::Clamp).unwrap_err();
    assert!(
        matches!(e, Error::Shape(_)) && e.to_string().contains("[kh, kw]"),
        "{e}"
    );
    let doubles = View::from_slice(&[1.0f64; 9], &[3, 3]).unwrap();
    let e = convolve2d(&img, &doubles, Border::Clamp).unwrap_err();
    assert!(
        matches!(e, Error::Dtype(_)) && e.to_string().contains("float32"),
        "{e}"
    );

    let k = View::from_slice(&[1.0f32; 9], &[3, 3]).unwrap();
    let line = up(&[0.5f32; 12], &[12]);
    let cube = up(&[0.5f32; 16], &[2, 2, 2, 2]);
    let ints = up(&[1i32; 12], &[3, 4]);
    for bad in [&line, &cube] {
        let e = convolve2d(bad, &k, Border::Clamp).unwrap_err();
        assert!(matches!(e, Error::Shape(_)), "{e}");
        assert!(matches!(
            sobel(bad, Border::Clamp).unwrap_err(),
            Error::Shape(_)
        ));
        assert!(matches!(
            gaussian_blur(bad, 1.0, Border::Clamp).unwrap_err(),
            Error::Shape(_)
        ));
        assert!(matches!(
            box_blur(bad, 1, Border::Clamp).unwrap_err(),
            Error::Shape(_)
        ));
        assert!(matches!(
            unsharp_mask(bad, 1.0, 1.0, Border::Clamp).unwrap_err(),
            Error::Shape(_)
        ));
    }
    let e = gaussian_blur(&ints, 1.0, Border::Clamp).unwrap_err();
    assert!(
        matches!(e, Error::Dtype(_)) && e.to_string().contains("int32"),
        "{e}"
    );
    assert!(matches!(
        convolve2d(&ints, &k, Border::Wrap).unwrap_err(),
        Error::Dtype(_)
    ));
}

/// The direct kernel's groups of 16 output elements on shapes where they cross rows (`w · c`
/// not a multiple of 16), images narrower or shorter than the kernel (no interior: every group
/// by the border rule) and a large odd one (interior, edge strips and groups across rows), in
/// every dtype read and written by the kernel itself, every border mode. Tolerances as in the
/// file docs; u16 within 0.51 of the f64 reference's 16-bit value (its rounding, plus the
/// f32 arithmetic's error of about 1e-7 of 65535).
#[test]
fn direct_kernel_groups_across_rows_tiny_images_and_every_dtype() {
    let shapes = [(3, 2, 3), (7, 1, 1), (2, 9, 2), (6, 5, 3), (41, 37, 3)];
    direct_every_dtype(12, (5, 3), &shapes);
}

/// A one-column kernel (a separable filter's vertical pass) over rows of a whole number of
/// groups (`w · c` a multiple of 16) runs its interior rows four at a time: numbers of
/// interior rows with and without a remainder of single rows, fewer than four, none (an image
/// shorter than the kernel); every dtype, every border mode, as above.
#[test]
fn direct_kernel_rows_in_blocks_every_dtype() {
    let shapes = [(30, 16, 3), (33, 32, 1), (9, 64, 1), (5, 48, 2)];
    direct_every_dtype(13, (7, 1), &shapes);
}

/// A direct kernel of more than 256 taps (17 × 17) reads its weights from a storage buffer
/// (a variant of the shader; smaller ones from a uniform array of 256): every border, on an
/// image with an interior and on one smaller than the kernel. Tolerance as in the file docs,
/// for 289 taps: the worst case 289 · ε = 1.7e-5 of Σ|k|·max|x|, so 2e-5.
#[test]
fn convolve2d_direct_with_more_than_256_taps() {
    let mut rng = Rng::new(14);
    let (kh, kw) = (17, 17);
    let k = kernel(&mut rng, kh, kw);
    let kd: Vec<f64> = k.iter().map(|&v| v as f64).collect();
    let kv = View::from_slice(&k, &[kh, kw]).unwrap();
    for (h, w, c) in [(23, 61, 2), (5, 7, 1)] {
        let x = as_f32(&Img::random(&mut rng, h, w, c));
        let g = upload_f32(&x);
        for border in BORDERS {
            let got = convolve2d_with(&g, &kv, border, Method::Direct).unwrap();
            let want = ref_convolve(&x, &kd, kh, kw, border);
            let scale = l1(&k) * x.max_abs().max(0.25);
            assert_close(
                &format!("[{h}, {w}, {c}] {border:?}"),
                &got,
                &want,
                2e-5,
                scale,
            );
        }
    }
}

/// A kernel more than one row high and one column wide over rows of a whole number of groups
/// runs its interior rows in pairs: 11, 8, 2 and 1 interior rows (and an image
/// whose interior is too narrow for any), every dtype, every border mode, as above.
#[test]
fn direct_kernel_rows_in_pairs_every_dtype() {
    // Three channels only (one pipeline per element type: a cold compile each); one channel
    // runs in the Sobel and photo tests.
    let shapes = [(13, 64, 3), (10, 48, 3), (4, 48, 3), (3, 48, 3), (7, 32, 3)];
    direct_every_dtype(15, (3, 5), &shapes);
}

/// `convolve2d` (direct) of random u8, u16 and f32 images of `shapes` (`[h, w, c]`) with a
/// `kh × kw` kernel of weights ≥ 0 summing to under 1 (integer results stay in range), every border,
/// against [`ref_convolve`].
fn direct_every_dtype(seed: u64, (kh, kw): (usize, usize), shapes: &[(usize, usize, usize)]) {
    let mut rng = Rng::new(seed);
    // Sum S / (S + 1): not a fraction with a small denominator, so that exact rounding ties of
    // u8 results stay rare.
    let k: Vec<f32> = (0..kh * kw).map(|i| (1 + i % 4) as f32).collect();
    let sum: f32 = k.iter().sum::<f32>() + 1.0;
    let k: Vec<f32> = k.iter().map(|v| v / sum).collect();
    let kd: Vec<f64> = k.iter().map(|&v| v as f64).collect();
    let kv = View::from_slice(&k, &[kh, kw]).unwrap();
    for &(h, w, c) in shapes {
        let bytes = rng.bytes(h * w * c);
        let words: Vec<u16> = (0..h * w * c).map(|_| rng.next_u64() as u16).collect();
        let xf = as_f32(&Img::random(&mut rng, h, w, c));
        let x8 = unit(&bytes, [h, w, c]);
        let x16 = Img {
            v: words.iter().map(|&v| (v as f32 / 65535.0) as f64).collect(),
            ..xf
        };
        let xf32: Vec<f32> = xf.v.iter().map(|&v| v as f32).collect();
        // Every border mode on images at offset 0; and, with one border mode (the rule only
        // touches the edge path), the same images as views starting `skip` elements into their
        // buffer: runs that start inside a 16-byte word, for every element type.
        let cases = BORDERS
            .iter()
            .map(|&b| (b, 0))
            .chain([(Border::Reflect, 5)]);
        for (border, skip) in cases {
            let what = format!("{kh}x{kw} [{h}, {w}, {c}] {border:?} at element {skip}");
            let conv = |g: &GpuArray| convolve2d_with(g, &kv, border, Method::Direct).unwrap();
            let got = conv(&at_offset(&xf32, [h, w, c], skip));
            let want = ref_convolve(&xf, &kd, kh, kw, border);
            assert_close(&what, &got, &want, 1e-5, xf.max_abs().max(0.25));
            let got = conv(&at_offset(&bytes, [h, w, c], skip));
            assert_u8(&what, &got, &ref_convolve(&x8, &kd, kh, kw, border));
            let got = conv(&at_offset(&words, [h, w, c], skip));
            assert_eq!(got.dtype(), Dtype::U16, "{what}");
            let want = ref_convolve(&x16, &kd, kh, kw, border);
            for (g, w) in values(&got).iter().zip(&want.v) {
                assert!(
                    (g - w.clamp(0.0, 1.0) * 65535.0).abs() <= 0.51,
                    "{what} u16: {g} {w}"
                );
            }
        }
    }
}

/// `data` as a C-contiguous `[h, w, c]` view that starts `skip` elements into its buffer (the
/// elements before it hold the largest value, which no result may read).
fn at_offset<T: gpuarray::Element + PartialOrd>(
    data: &[T],
    [h, w, c]: [usize; 3],
    skip: usize,
) -> GpuArray {
    let mut all = vec![
        *data
            .iter()
            .max_by(|a, b| a.partial_cmp(b).unwrap())
            .unwrap();
        skip
    ];
    all.extend_from_slice(data);
    let flat = up(&all, &[all.len()]);
    let view = flat
        .slice(&[SliceArg::range(Some(skip as isize), None, 1)])
        .unwrap()
        .reshape(&[h as isize, w as isize, c as isize])
        .unwrap();
    assert_eq!(view.offset(), skip, "a view, not a copy");
    view
}

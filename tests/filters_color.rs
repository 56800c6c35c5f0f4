//! Colour operations against plain-Rust references in f64, on a real photo and on random data.
//!
//! Tolerances. The GPU computes in f32: a linear combination of values in [0, 1] is within a few
//! ulps (≤ 1e-6) of the f64 value; `pow` (gamma, sRGB) goes through the driver's `exp2`/`log2`,
//! within about 2e-6 absolute / 1e-5 relative on lavapipe and llvmpipe, so those are checked to
//! 1e-5. Integer results are rounded once from that f32 value, so they must lie within half a
//! step of the exact f64 value, plus the f32 error scaled to the integer range (≤ 0.01 step):
//! a rounding boundary may fall either way, nothing more. Equalisation per channel of u8 data
//! is exact (integer histograms, the same integer definition).

mod common;

use common::{Rng, up, values};
use gpuarray::filters::{
    Equalize, brightness_contrast, equalize_histogram, gamma, grayscale, linear_to_srgb,
    srgb_to_linear,
};
use gpuarray::{Dtype, Error, GpuArray};

/// coffee.png: [400, 600, 3] u8.
fn coffee() -> (Vec<u8>, [usize; 3]) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/coffee.png");
    let img = image::open(path).unwrap().into_rgb8();
    let shape = [img.height() as usize, img.width() as usize, 3];
    (img.into_raw(), shape)
}

/// Checks integer results `got` against exact values `want` (in units of the integer type):
/// within half a step plus `slack`.
fn assert_rounded(got: &[f64], want: &[f64], slack: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= 0.5 + slack,
            "{what}: element {i}: got {g}, exact {w}"
        );
    }
}

fn assert_close(got: &[f64], want: &[f64], abs: f64, rel: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= abs + rel * w.abs(),
            "{what}: element {i}: got {g}, want {w}"
        );
    }
}

const LUMA: [f64; 3] = [0.2126, 0.7152, 0.0722];

#[test]
fn grayscale_of_a_photo_and_of_random_images() {
    let (rgb, shape) = coffee();
    let y = grayscale(&up(&rgb, &shape)).unwrap();
    assert_eq!((y.shape(), y.dtype()), (&shape[..2], Dtype::U8));
    let want: Vec<f64> = rgb
        .chunks(3)
        .map(|p| (0..3).map(|k| LUMA[k] * p[k] as f64).sum())
        .collect();
    assert_rounded(&values(&y), &want, 0.01, "grayscale u8");

    // f32 RGBA: alpha ignored, values outside [0, 1] kept (no clamping for f32).
    let mut rng = Rng::new(1);
    let x: Vec<f32> = (0..5 * 7 * 4).map(|_| rng.f64(-0.5, 1.5) as f32).collect();
    let y = grayscale(&up(&x, &[5, 7, 4])).unwrap();
    assert_eq!(y.shape(), [5, 7]);
    let want: Vec<f64> = x
        .chunks(4)
        .map(|p| (0..3).map(|k| LUMA[k] * p[k] as f64).sum())
        .collect();
    assert_close(&values(&y), &want, 1e-6, 0.0, "grayscale f32");

    // u16, strided (a mirrored view).
    let x: Vec<u16> = (0..6 * 5 * 3).map(|_| rng.next_u64() as u16).collect();
    let a = up(&x, &[6, 5, 3])
        .slice(&[gpuarray::SliceArg::ALL, gpuarray::SliceArg::step(-1)])
        .unwrap();
    let y = values(&grayscale(&a).unwrap());
    let mut want = vec![];
    for i in 0..6 {
        for j in (0..5).rev() {
            let p = &x[(i * 5 + j) * 3..][..3];
            want.push((0..3).map(|k| LUMA[k] * p[k] as f64).sum());
        }
    }
    assert_rounded(&y, &want, 0.01 * 257.0, "grayscale u16");

    // Grey in, grey out; 1 and 2 channels give channel 0.
    let g: Vec<u8> = rng.bytes(12);
    assert_eq!(
        values(&grayscale(&up(&g, &[3, 4])).unwrap()),
        values(&up(&g, &[3, 4]))
    );
    let first: Vec<f64> = g.iter().step_by(2).map(|&v| v as f64).collect();
    assert_eq!(values(&grayscale(&up(&g, &[2, 3, 2])).unwrap()), first);
}

fn srgb_to_linear_ref(x: f64) -> f64 {
    if x <= 0.04045 {
        x / 12.92
    } else {
        ((x + 0.055) / 1.055).powf(2.4)
    }
}

fn linear_to_srgb_ref(x: f64) -> f64 {
    if x <= 0.0031308 {
        12.92 * x
    } else {
        1.055 * x.powf(1.0 / 2.4) - 0.055
    }
}

#[test]
fn srgb_transfer_functions() {
    // Every u8 value, as a grey image.
    let all: Vec<u8> = (0..=255).collect();
    let a = up(&all, &[16, 16]);
    let unit = |v: &u8| *v as f64 / 255.0;
    let want: Vec<f64> = all
        .iter()
        .map(|v| 255.0 * srgb_to_linear_ref(unit(v)))
        .collect();
    assert_rounded(
        &values(&srgb_to_linear(&a).unwrap()),
        &want,
        0.01,
        "u8 decode",
    );
    let want: Vec<f64> = all
        .iter()
        .map(|v| 255.0 * linear_to_srgb_ref(unit(v)))
        .collect();
    assert_rounded(
        &values(&linear_to_srgb(&a).unwrap()),
        &want,
        0.01,
        "u8 encode",
    );

    // A dense f32 grid, both sides of each threshold, with an alpha channel left alone.
    let n = 4001;
    let x: Vec<f32> = (0..n * 2)
        .map(|i| {
            if i % 2 == 0 {
                (i / 2) as f32 / (n - 1) as f32
            } else {
                0.25
            }
        })
        .collect();
    let a = up(&x, &[1, n, 2]);
    let dec = srgb_to_linear(&a).unwrap();
    let enc = linear_to_srgb(&a).unwrap();
    let (d, e) = (values(&dec), values(&enc));
    for i in 0..n {
        let v = x[2 * i] as f64;
        let (dw, ew) = (srgb_to_linear_ref(v), linear_to_srgb_ref(v));
        assert!(
            (d[2 * i] - dw).abs() <= 1e-5 * dw.max(1e-2),
            "decode {v}: {} vs {dw}",
            d[2 * i]
        );
        assert!(
            (e[2 * i] - ew).abs() <= 1e-5 * ew.max(1e-2),
            "encode {v}: {} vs {ew}",
            e[2 * i]
        );
        assert_eq!((d[2 * i + 1], e[2 * i + 1]), (0.25, 0.25), "alpha");
    }
    // The two are inverses.
    let back = values(&linear_to_srgb(&dec).unwrap());
    for i in 0..n {
        assert!(
            (back[2 * i] - x[2 * i] as f64).abs() < 1e-5,
            "round trip at {}",
            x[2 * i]
        );
    }
}

#[test]
fn gamma_against_powf() {
    let mut rng = Rng::new(3);
    let x: Vec<f32> = (0..9 * 8 * 4).map(|_| rng.f64(-0.2, 1.2) as f32).collect();
    for g in [0.45f32, 1.0, 2.2] {
        let y = values(&gamma(&up(&x, &[9, 8, 4]), g).unwrap());
        let want: Vec<f64> = x
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                if i % 4 == 3 {
                    v as f64 // alpha
                } else {
                    (v as f64).max(0.0).powf(g as f64)
                }
            })
            .collect();
        assert_close(&y, &want, 2e-6, 1e-5, &format!("gamma {g}"));
    }
    let (rgb, shape) = coffee();
    let y = values(&gamma(&up(&rgb, &shape), 2.2).unwrap());
    let want: Vec<f64> = rgb
        .iter()
        .map(|&v| 255.0 * (v as f64 / 255.0).powf(2.2))
        .collect();
    assert_rounded(&y, &want, 0.01, "gamma u8 photo");
}

#[test]
fn brightness_and_contrast() {
    let bc = |x: f64, b: f64, c: f64| (x - 0.5) * c + 0.5 + b;
    let all: Vec<u8> = (0..=255).collect();
    for (b, c) in [(0.0f32, 1.0f32), (0.1, 1.5), (-0.2, 0.5), (0.0, -1.0)] {
        let y = values(&brightness_contrast(&up(&all, &[256, 1]), b, c).unwrap());
        let want: Vec<f64> = all
            .iter()
            .map(|&v| 255.0 * bc(v as f64 / 255.0, b as f64, c as f64).clamp(0.0, 1.0))
            .collect();
        assert_rounded(&y, &want, 0.01, &format!("u8 b={b} c={c}"));
    }
    // f32 RGBA: not clamped, alpha unchanged.
    let mut rng = Rng::new(4);
    let x: Vec<f32> = (0..6 * 4).map(|_| rng.f64(0.0, 1.0) as f32).collect();
    let y = values(&brightness_contrast(&up(&x, &[2, 3, 4]), 0.3, 3.0).unwrap());
    let want: Vec<f64> = x
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            if i % 4 == 3 {
                v as f64
            } else {
                bc(v as f64, 0.3, 3.0)
            }
        })
        .collect();
    assert_close(&y, &want, 1e-6, 0.0, "f32");
    assert!(y.iter().any(|&v| v > 1.0) && y.iter().any(|&v| v < 0.0));
    // u16.
    let x: Vec<u16> = (0..50).map(|_| rng.next_u64() as u16).collect();
    let y = values(&brightness_contrast(&up(&x, &[5, 10]), -0.05, 1.2).unwrap());
    let want: Vec<f64> = x
        .iter()
        .map(|&v| 65535.0 * bc(v as f64 / 65535.0, -0.05, 1.2).clamp(0.0, 1.0))
        .collect();
    assert_rounded(&y, &want, 0.01 * 257.0, "u16");
}

/// The CPU reference equalisation table (OpenCV's `equalizeHist`), in f64.
fn eq_table(values: impl Iterator<Item = u8>) -> Vec<f64> {
    let mut hist = [0u64; 256];
    for v in values {
        hist[v as usize] += 1;
    }
    let n: u64 = hist.iter().sum();
    let m = hist.iter().copied().find(|&c| c > 0).unwrap_or(0);
    let mut cdf = 0;
    (0..256)
        .map(|v| {
            cdf += hist[v];
            if n == m {
                v as f64
            } else {
                (255.0 * (cdf as f64 - m as f64).max(0.0) / (n - m) as f64).round()
            }
        })
        .collect()
}

#[test]
fn equalize_per_channel_is_exact_for_u8() {
    let (rgb, shape) = coffee();
    let y = equalize_histogram(&up(&rgb, &shape), Equalize::PerChannel).unwrap();
    assert_eq!((y.shape(), y.dtype()), (&shape[..], Dtype::U8));
    let y = values(&y);
    let tables: Vec<Vec<f64>> = (0..3)
        .map(|k| eq_table(rgb.iter().skip(k).step_by(3).copied()))
        .collect();
    let want: Vec<f64> = rgb
        .iter()
        .enumerate()
        .map(|(i, &v)| tables[i % 3][v as usize])
        .collect();
    assert_eq!(y, want);
    // Each channel now spans the full range.
    for k in 0..3 {
        let ch = y.iter().skip(k).step_by(3);
        assert_eq!(ch.clone().copied().fold(f64::MAX, f64::min), 0.0);
        assert_eq!(ch.copied().fold(0.0, f64::max), 255.0);
    }

    // RGBA: alpha untouched; a constant channel stays as it is; grey [h, w].
    let mut rng = Rng::new(5);
    let mut x = rng.bytes(7 * 9 * 4);
    for p in x.chunks_mut(4) {
        p[1] = 77;
        p[2] /= 8;
    }
    let y = values(&equalize_histogram(&up(&x, &[7, 9, 4]), Equalize::PerChannel).unwrap());
    let tables: Vec<Vec<f64>> = (0..3)
        .map(|k| eq_table(x.iter().skip(k).step_by(4).copied()))
        .collect();
    let want: Vec<f64> = x
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            if i % 4 == 3 {
                v as f64
            } else {
                tables[i % 4][v as usize]
            }
        })
        .collect();
    assert_eq!(y, want);
    assert!(y.iter().skip(1).step_by(4).all(|&v| v == 77.0));
    let g = rng.bytes(33 * 17);
    let y = values(&equalize_histogram(&up(&g, &[33, 17]), Equalize::Luma).unwrap());
    let t = eq_table(g.iter().copied());
    assert_eq!(y, g.iter().map(|&v| t[v as usize]).collect::<Vec<_>>());
}

#[test]
fn equalize_quantises_u16_and_f32_to_256_levels() {
    let mut rng = Rng::new(6);
    // u16: level round(v / 257) (no ties: 2v = 257·odd has no solution), result level · 257.
    let x: Vec<u16> = (0..40 * 3)
        .map(|_| (rng.next_u64() % 30000) as u16)
        .collect();
    let y = values(&equalize_histogram(&up(&x, &[8, 5, 3]), Equalize::PerChannel).unwrap());
    let level = |v: u16| (v as f64 / 257.0).round() as u8;
    let tables: Vec<Vec<f64>> = (0..3)
        .map(|k| eq_table(x.iter().skip(k).step_by(3).map(|&v| level(v))))
        .collect();
    let want: Vec<f64> = x
        .iter()
        .enumerate()
        .map(|(i, &v)| tables[i % 3][level(v) as usize] * 257.0)
        .collect();
    assert_eq!(y, want);
    // f32: clamped to [0, 1], level round(255 x) (random values avoid exact ties).
    let x: Vec<f32> = (0..300).map(|_| rng.f64(-0.1, 0.8) as f32).collect();
    let y = values(&equalize_histogram(&up(&x, &[20, 15]), Equalize::PerChannel).unwrap());
    let level = |v: f32| (255.0 * (v as f64).clamp(0.0, 1.0)).round() as u8;
    let t = eq_table(x.iter().map(|&v| level(v)));
    let want: Vec<f64> = x.iter().map(|&v| t[level(v) as usize] / 255.0).collect();
    assert_close(&y, &want, 1e-7, 0.0, "f32");
}

#[test]
fn equalize_luma_scales_the_channels() {
    let (rgb, shape) = coffee();
    let y = values(&equalize_histogram(&up(&rgb, &shape), Equalize::Luma).unwrap());
    let luma: Vec<f64> = rgb
        .chunks(3)
        .map(|p| (0..3).map(|k| LUMA[k] * p[k] as f64 / 255.0).sum())
        .collect();
    let t = eq_table(luma.iter().map(|&l| (255.0 * l).round() as u8));
    let mut checked = 0;
    for (i, p) in rgb.chunks(3).enumerate() {
        let l = luma[i] * 255.0;
        // A luma within f32 error of a rounding boundary may fall in either level.
        if (l - l.floor() - 0.5).abs() < 1e-3 {
            continue;
        }
        let l2 = t[l.round() as usize];
        for k in 0..3 {
            let want = if l > 0.0 {
                (p[k] as f64 * l2 / l).clamp(0.0, 255.0)
            } else {
                l2
            };
            let got = y[3 * i + k];
            assert!(
                (got - want).abs() <= 0.5 + 0.01,
                "pixel {i} channel {k}: {got} vs {want}"
            );
        }
        checked += 1;
    }
    assert!(checked > rgb.len() / 3 * 99 / 100, "{checked}");
    // The luma of the result is (nearly) equalised: its histogram is spread out.
    let out_luma: Vec<f64> = y
        .chunks(3)
        .map(|p| (0..3).map(|k| LUMA[k] * p[k]).sum())
        .collect();
    let mean = out_luma.iter().sum::<f64>() / out_luma.len() as f64;
    assert!(
        (mean - 127.5).abs() < 20.0,
        "mean luma after equalisation {mean}"
    );
}

#[test]
fn bad_inputs_name_the_problem() {
    let ints = up(&[1i32, 2, 3, 4], &[2, 2]);
    let err = |r: gpuarray::Result<GpuArray>| r.unwrap_err();
    assert!(matches!(err(grayscale(&ints)), Error::Dtype(m) if m.contains("int32")));
    assert!(matches!(
        err(equalize_histogram(&ints, Equalize::PerChannel)),
        Error::Dtype(m) if m.contains("int32")
    ));
    let line = up(&[0.5f32; 4], &[4]);
    assert!(matches!(err(gamma(&line, 2.0)), Error::Shape(m) if m.contains("1 dimensions")));
    let x = up(&[0.5f32; 4], &[2, 2]);
    assert!(matches!(err(gamma(&x, -1.0)), Error::Parameter(m) if m.contains("gamma")));
    assert!(matches!(err(gamma(&x, f32::NAN)), Error::Parameter(m) if m.contains("gamma")));
    assert!(matches!(
        err(brightness_contrast(&x, f32::INFINITY, 1.0)),
        Error::Parameter(m) if m.contains("brightness")
    ));
    let no_channels = up::<f32>(&[], &[2, 2, 0]);
    assert!(matches!(err(grayscale(&no_channels)), Error::Shape(m) if m.contains("no channels")));
}

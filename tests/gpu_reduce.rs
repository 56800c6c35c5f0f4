//! Reductions against plain-Rust references in f64: every op, several axis sets, keepdims,
//! strided and fused inputs, NaN, ties, empty and large arrays.

mod common;

use common::{Rng, gpu, up, values};
use gpuarray::{Dtype, GpuArray, HostArray, SliceArg, View};

/// Reference reduction: groups the elements of `x` (C order, `shape`) by their index over the
/// kept axes and folds each group with `f`, in f64.
fn reference(x: &[f64], shape: &[usize], axes: &[usize], f: &dyn Fn(&[f64]) -> f64) -> Vec<f64> {
    let kept: Vec<usize> = (0..shape.len()).filter(|a| !axes.contains(a)).collect();
    let m: usize = kept.iter().map(|&a| shape[a]).product();
    let mut groups = vec![vec![]; m];
    for (flat, &v) in x.iter().enumerate() {
        let mut rem = flat;
        let mut idx = vec![0; shape.len()];
        for a in (0..shape.len()).rev() {
            idx[a] = rem % shape[a];
            rem /= shape[a];
        }
        let g = kept.iter().fold(0, |acc, &a| acc * shape[a] + idx[a]);
        groups[g].push(v);
    }
    groups.iter().map(|g| f(g)).collect()
}

fn sum(g: &[f64]) -> f64 {
    g.iter().sum()
}

#[test]
fn float_reductions_over_every_axis_set() {
    let mut rng = Rng::new(20);
    let shape = [7usize, 300, 5];
    let n: usize = shape.iter().product();
    let x: Vec<f32> = (0..n).map(|_| rng.f64(-1.0, 1.0) as f32).collect();
    let xd: Vec<f64> = x.iter().map(|&v| v as f64).collect();
    let a = up(&x, &shape);
    let axis_sets: [Option<&[isize]>; 6] = [
        None,
        Some(&[0]),
        Some(&[1]),
        Some(&[-1]),
        Some(&[0, 2]),
        Some(&[2, 1]),
    ];
    for axes in axis_sets {
        let ax: Vec<usize> = match axes {
            None => vec![0, 1, 2],
            Some(a) => a
                .iter()
                .map(|&k| if k < 0 { (k + 3) as usize } else { k as usize })
                .collect(),
        };
        let r = |f: &dyn Fn(&[f64]) -> f64| reference(&xd, &shape, &ax, f);
        type F = fn(&GpuArray, Option<&[isize]>, bool) -> gpuarray::Result<GpuArray>;
        // Sums: pairwise in f32, within (8 + 8·passes)·ε of the sum of |x|.
        let cases: [(&str, F, Vec<f64>, f64); 4] = [
            ("sum", GpuArray::sum, r(&sum), 3e-6),
            (
                "mean",
                GpuArray::mean,
                r(&|g| sum(g) / g.len() as f64),
                3e-6,
            ),
            (
                "min",
                GpuArray::min,
                r(&|g| g.iter().cloned().fold(f64::INFINITY, f64::min)),
                0.0,
            ),
            (
                "max",
                GpuArray::max,
                r(&|g| g.iter().cloned().fold(f64::NEG_INFINITY, f64::max)),
                0.0,
            ),
        ];
        for (name, op, want, tol) in cases {
            for keepdims in [false, true] {
                let got = op(&a, axes, keepdims).unwrap();
                let want_shape: Vec<usize> = (0..3)
                    .filter_map(|k| {
                        if ax.contains(&k) {
                            keepdims.then_some(1)
                        } else {
                            Some(shape[k])
                        }
                    })
                    .collect();
                assert_eq!(
                    got.shape(),
                    want_shape,
                    "{name} {axes:?} keepdims {keepdims}"
                );
                let scale = r(&|g| {
                    g.iter().map(|v| v.abs()).sum::<f64>()
                        / if name == "mean" { g.len() as f64 } else { 1.0 }
                });
                for ((g, w), s) in values(&got).iter().zip(&want).zip(&scale) {
                    assert!(
                        (g - w).abs() <= tol * s.max(1e-30),
                        "{name} {axes:?}: {g} vs {w}"
                    );
                }
            }
        }
        // var and std with ddof 0 and 1.
        for ddof in [0usize, 1] {
            let var = |g: &[f64]| {
                let m = sum(g) / g.len() as f64;
                g.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (g.len() - ddof) as f64
            };
            let got = values(&a.var(axes, ddof, false).unwrap());
            let sd = values(&a.std(axes, ddof, false).unwrap());
            for ((g, s), w) in got.iter().zip(&sd).zip(r(&var)) {
                assert!(
                    (g - w).abs() <= 1e-5 * w,
                    "var {axes:?} ddof {ddof}: {g} vs {w}"
                );
                assert!(
                    (s - w.sqrt()).abs() <= 1e-5 * w.sqrt(),
                    "std {axes:?}: {s} vs {}",
                    w.sqrt()
                );
            }
        }
    }
}

#[test]
fn integer_bool_and_complex_reductions() {
    let mut rng = Rng::new(21);
    let shape = [13usize, 40];
    let n = 13 * 40;
    let xi: Vec<i16> = (0..n)
        .map(|_| (rng.next_u64() % 2001) as i16 - 1000)
        .collect();
    let a = up(&xi, &shape);
    let xd: Vec<f64> = xi.iter().map(|&v| v as f64).collect();
    // Integer sums accumulate in i32 (NumPy: int64): exact here.
    let s = a.sum(Some(&[1]), false).unwrap();
    assert_eq!(s.dtype(), Dtype::I32);
    assert_eq!(values(&s), reference(&xd, &shape, &[1], &sum));
    assert_eq!(a.min(None, false).unwrap().dtype(), Dtype::I16);
    assert_eq!(
        values(&a.max(Some(&[0]), false).unwrap()),
        reference(&xd, &shape, &[0], &|g| g
            .iter()
            .cloned()
            .fold(f64::MIN, f64::max))
    );
    let small: Vec<u8> = (0..n).map(|i| (i % 3) as u8).collect();
    let p = up(&small, &shape).prod(Some(&[0]), false).unwrap();
    assert_eq!(p.dtype(), Dtype::U32);
    let sd: Vec<f64> = small.iter().map(|&v| v as f64).collect();
    assert_eq!(
        values(&p),
        reference(&sd, &shape, &[0], &|g| g.iter().product())
    );
    // all / any over bools and numbers.
    let b = up(&small, &shape);
    assert_eq!(b.all(Some(&[1]), false).unwrap().dtype(), Dtype::Bool);
    assert_eq!(
        values(&b.all(Some(&[0]), false).unwrap()),
        reference(&sd, &shape, &[0], &|g| g.iter().all(|&v| v != 0.0) as u8
            as f64)
    );
    assert_eq!(values(&b.any(None, false).unwrap()), [1.0]);
    let bools = b.gt(1).unwrap();
    assert_eq!(
        values(&bools.sum(None, false).unwrap()),
        [small.iter().filter(|&&v| v > 1).count() as f64]
    );
    // Complex sums and means.
    let z: Vec<num_complex::Complex32> = (0..n)
        .map(|i| num_complex::Complex32::new(i as f32, -(i as f32) * 0.5))
        .collect();
    let zs = up(&z, &shape).sum(Some(&[1]), false).unwrap();
    let got = zs.to_host().unwrap();
    for (r, g) in got
        .as_slice::<num_complex::Complex32>()
        .unwrap()
        .iter()
        .enumerate()
    {
        let want: f32 = (0..40).map(|c| (r * 40 + c) as f32).sum();
        assert_eq!((g.re, g.im), (want, -want * 0.5));
    }
    assert!(
        up(&z, &shape).max(None, false).is_err(),
        "complex max is refused"
    );
}

#[test]
fn nan_ties_and_arg_reductions() {
    let x = up(&[3.0f32, 1.0, 7.0, 1.0, 7.0, 2.0], &[2, 3]);
    assert_eq!(values(&x.argmin(None).unwrap()), [1.0]);
    assert_eq!(
        values(&x.argmax(None).unwrap()),
        [2.0],
        "ties go to the first"
    );
    assert_eq!(values(&x.argmax(Some(1)).unwrap()), [2.0, 1.0]);
    assert_eq!(values(&x.argmin(Some(0)).unwrap()), [1.0, 0.0, 1.0]);
    assert_eq!(x.argmax(None).unwrap().dtype(), Dtype::I32);
    let nan = up(&[1.0f32, f32::NAN, 5.0, f32::NAN], &[4]);
    assert!(values(&nan.sum(None, false).unwrap())[0].is_nan());
    assert!(values(&nan.min(None, false).unwrap())[0].is_nan());
    assert!(values(&nan.max(None, false).unwrap())[0].is_nan());
    assert_eq!(
        values(&nan.argmax(None).unwrap()),
        [1.0],
        "the first NaN, as NumPy"
    );
    assert_eq!(values(&nan.argmin(None).unwrap()), [1.0]);
    // Empty reductions: sum is 0, mean is NaN, min has no identity.
    let e = up::<f32>(&[], &[0, 4]);
    assert_eq!(values(&e.sum(Some(&[0]), false).unwrap()), [0.0; 4]);
    assert!(
        values(&e.mean(Some(&[0]), false).unwrap())
            .iter()
            .all(|v| v.is_nan())
    );
    assert!(
        e.min(Some(&[0]), false)
            .unwrap_err()
            .to_string()
            .contains("no identity")
    );
    assert_eq!(e.sum(Some(&[1]), false).unwrap().shape(), [0]);
    // 0-d input; bad axes.
    let s = up(&[2.5f32], &[]);
    assert_eq!(values(&s.sum(None, false).unwrap()), [2.5]);
    assert!(
        x.sum(Some(&[2]), false)
            .unwrap_err()
            .to_string()
            .contains("out of bounds")
    );
    assert!(
        x.sum(Some(&[1, -1]), false)
            .unwrap_err()
            .to_string()
            .contains("repeated")
    );
}

#[test]
fn strided_broadcast_and_fused_inputs() {
    let gpu = gpuarray::Gpu::new().unwrap();
    let own =
        |v: &[f32], shape: &[usize]| gpu.upload(&View::from_slice(v, shape).unwrap()).unwrap();
    let data: Vec<f32> = (0..24).map(|i| i as f32).collect();
    let a = own(&data, &[4, 6]);
    // Over a transposed view: sums of the columns of a.
    assert_eq!(
        values(&a.transpose().sum(Some(&[1]), false).unwrap()),
        [36.0, 40.0, 44.0, 48.0, 52.0, 56.0]
    );
    // A fused producer: (a * a + 1) is computed inside the reduction kernel.
    let sq = &(&a * &a) + 1.0;
    let before = gpu.stats();
    let got = values(&sq.sum(Some(&[0]), false).unwrap());
    let after = gpu.stats();
    let want: Vec<f64> = (0..6)
        .map(|c| (0..4).map(|r| ((r * 6 + c) as f64).powi(2) + 1.0).sum())
        .collect();
    assert_eq!(got, want);
    assert!(sq.is_lazy(), "the producer was never materialised");
    // One reduction pass, plus the gather of the strided result view for the download.
    assert_eq!(after.dispatches - before.dispatches, 2);
    // A broadcast input: each row of [4, 6] + [6].
    let row = own(&[1.0; 6], &[6]);
    assert_eq!(
        values(&(&a + &row).sum(Some(&[1]), false).unwrap()),
        [21.0, 57.0, 93.0, 129.0]
    );
    // Per-channel means of an image: [h, w, 3] over (0, 1).
    let img: Vec<u8> = (0..(8 * 5 * 3))
        .map(|i| (i % 3 * 100 + i % 7) as u8)
        .collect();
    let means = values(
        &gpu.upload(&View::from_slice(&img, &[8, 5, 3]).unwrap())
            .unwrap()
            .mean(Some(&[0, 1]), false)
            .unwrap(),
    );
    for (c, mean) in means.iter().enumerate() {
        let want: f64 = img
            .iter()
            .skip(c)
            .step_by(3)
            .map(|&v| v as f64)
            .sum::<f64>()
            / 40.0;
        assert!((mean - want).abs() < 1e-4, "channel {c}: {mean} vs {want}");
    }
}

#[test]
fn sum_of_16m_floats_is_within_1e_6_of_f64() {
    let mut rng = Rng::new(22);
    let n = 1 << 24;
    let x: Vec<f32> = (0..n).map(|_| rng.f64(0.0, 1.0) as f32).collect();
    let want: f64 = x.iter().map(|&v| v as f64).sum();
    let a = up(&x, &[n]);
    let got = values(&a.sum(None, false).unwrap())[0];
    let rel = (got - want).abs() / want;
    eprintln!("sum of 2^24 f32: relative error {rel:.2e}");
    assert!(rel <= 1e-6, "{got} vs {want}: {rel:e}");
    // Mean of a [4096, 4096] view over one axis: many outputs, several passes each.
    let b = a.reshape(&[4096, 4096]).unwrap();
    let m = values(&b.mean(Some(&[0]), false).unwrap());
    let host = HostArray::from_slice(&x, &[4096, 4096]).unwrap();
    let v = host.view();
    for c in [0usize, 1234, 4095] {
        let want: f64 = (0..4096)
            .map(|r| v.get::<f32>(&[r, c]).unwrap() as f64)
            .sum::<f64>()
            / 4096.0;
        assert!(
            (m[c] - want).abs() <= 1e-6 * want,
            "column {c}: {} vs {want}",
            m[c]
        );
    }
}

#[test]
fn histograms_of_u8_data() {
    // The green channel of a real photo: a strided view, counted on the GPU.
    let photo = image::open(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/coffee.png"))
        .unwrap()
        .into_rgb8();
    let img = gpu().upload(&View::from_image(&photo).unwrap()).unwrap();
    let green = img
        .slice(&[gpuarray::SliceArg::ALL, gpuarray::SliceArg::ALL, 1.into()])
        .unwrap();
    let h = green.histogram_u8().unwrap().to_host().unwrap();
    let mut want = [0u32; 256];
    photo.pixels().for_each(|p| want[p.0[1] as usize] += 1);
    assert_eq!(h.as_slice::<u32>().unwrap(), want);
    // Many workgroups, a length that is not a multiple of 4, and a lazy producer.
    let mut rng = Rng::new(23);
    let n = 1_000_003;
    let bytes = rng.bytes(n);
    let a = up(&bytes, &[n]);
    let shifted = &a + 1; // wraps 255 → 0
    let got = shifted.histogram_u8().unwrap().to_host().unwrap();
    let mut want = [0u32; 256];
    bytes
        .iter()
        .for_each(|&b| want[b.wrapping_add(1) as usize] += 1);
    assert_eq!(got.as_slice::<u32>().unwrap(), want);
    // Other dtypes are refused by name.
    let f = up(&[1.0f32], &[1]);
    assert!(
        f.histogram_u8()
            .unwrap_err()
            .to_string()
            .contains("float32")
    );
}

/// The first pass reads four elements per load where rows are whole 16-byte words of 32-bit
/// inputs (here rows of 12 000, a block and a half each). Every op is checked there against
/// f64, with ties and NaN placed in different lanes and vectors, and on a fused expression
/// without a vector form, an i32 input, a view at an offset of 4 (still four-wide) and of 1
/// (one element at a time): the results must not depend on which path ran.
#[test]
fn four_wide_first_pass_every_op() {
    let mut rng = Rng::new(23);
    let (rows, cols) = (3usize, 12_000usize);
    let mut x: Vec<f32> = (0..rows * cols).map(|_| rng.f64(0.5, 1.5) as f32).collect();
    // Row 0: the maximum 9 twice (lanes 2 and 1 of vectors 10 and 2500), the minimum 0.25 at
    // the last element and at element 9001. Row 2 holds a NaN in lane 3 of its last block.
    for (i, v) in [(42, 9.0), (10_001, 9.0), (cols - 1, 0.25), (9001, 0.25)] {
        x[i] = v;
    }
    x[2 * cols + 11_999] = f32::NAN;
    let xd: Vec<f64> = x.iter().map(|&v| v as f64).collect();
    let row = |r: usize| &xd[r * cols..(r + 1) * cols];
    let a = up(&x, &[rows, cols]);
    let axis: Option<&[isize]> = Some(&[1]);
    // Pairwise f32 sums of 12 000 values near 1, with (32 + 2 + 8·2)·ε·Σ|x| ≈ 7e-2 at worst:
    // 1e-5 relative still fails a sum that drops or repeats a single element (≈ 1e-4).
    let close = |got: &[f64], want: &[f64], what: &str| {
        for (g, w) in got.iter().zip(want) {
            assert!(
                (g.is_nan() && w.is_nan()) || (g - w).abs() <= 1e-5 * w.abs(),
                "{what}: {g} vs {w}"
            );
        }
    };
    let sums: Vec<f64> = (0..rows).map(|r| row(r).iter().sum()).collect();
    close(&values(&a.sum(axis, false).unwrap()), &sums, "sum");
    let fold = |f: fn(f64, f64) -> f64, r: usize| {
        let v = row(r);
        if v.iter().any(|x| x.is_nan()) {
            f64::NAN
        } else {
            v.iter().copied().reduce(f).unwrap()
        }
    };
    let mins: Vec<f64> = (0..rows).map(|r| fold(f64::min, r)).collect();
    let maxs: Vec<f64> = (0..rows).map(|r| fold(f64::max, r)).collect();
    close(&values(&a.min(axis, false).unwrap()), &mins, "min");
    close(&values(&a.max(axis, false).unwrap()), &maxs, "max");
    let argmax = values(&a.argmax(Some(1)).unwrap());
    let argmin = values(&a.argmin(Some(1)).unwrap());
    assert_eq!((argmax[0], argmin[0]), (42.0, 9001.0), "first of the ties");
    assert_eq!((argmax[2], argmin[2]), (11_999.0, 11_999.0), "the NaN");
    let first = |r: usize, want: f64| row(r).iter().position(|&v| v == want).unwrap() as f64;
    assert_eq!(argmax[1], first(1, maxs[1]));
    assert_eq!(argmin[1], first(1, mins[1]));
    // prod of values within 1e-2 of 1 (the factors as f32 computes them: 0.9995 itself is
    // rounded): relative error (32 + 2 + 8·2)·ε ≈ 6e-6 at worst.
    let near1 = (&(&a * 1e-3) + 0.9995).prod(axis, false).unwrap();
    let want: Vec<f64> = (0..rows)
        .map(|r| {
            x[r * cols..(r + 1) * cols]
                .iter()
                .map(|&v| (v * 1e-3f32 + 0.9995f32) as f64)
                .product()
        })
        .collect();
    for (g, w) in values(&near1).iter().zip(&want) {
        assert!(
            (g.is_nan() && w.is_nan()) || (g - w).abs() <= 2e-5 * w,
            "prod: {g} vs {w}"
        );
    }
    // all/any of a comparison (a bool expression, lane by lane), exact.
    let lt = a.lt(1.4).unwrap();
    let all = values(&lt.all(axis, false).unwrap());
    let any = values(&a.gt(8.0).unwrap().any(axis, false).unwrap());
    for r in 0..rows {
        assert_eq!(
            all[r],
            row(r).iter().all(|&v| v < 1.4) as u8 as f64,
            "all {r}"
        );
        assert_eq!(
            any[r],
            row(r).iter().any(|&v| v > 8.0) as u8 as f64,
            "any {r}"
        );
    }
    // A fused op without a vector form (sqrt), evaluated lane by lane inside the reduction.
    let want: Vec<f64> = (0..rows)
        .map(|r| row(r).iter().map(|v| v.sqrt()).sum())
        .collect();
    close(
        &values(&a.sqrt().unwrap().sum(axis, false).unwrap()),
        &want,
        "sum of sqrt",
    );
    // i32 sums are exact.
    let ints: Vec<i32> = (0..rows * cols).map(|i| (i as i32 % 2001) - 1000).collect();
    let got = values(&up(&ints, &[rows, cols]).sum(axis, false).unwrap());
    for r in 0..rows {
        let want: i64 = ints[r * cols..(r + 1) * cols]
            .iter()
            .map(|&v| v as i64)
            .sum();
        assert_eq!(got[r], want as f64, "i32 sum {r}");
    }
    // Views at an offset of 4 elements (four-wide) and of 1 (one at a time), 24 000 long.
    let flat = a.reshape(&[(rows * cols) as isize]).unwrap();
    for start in [4usize, 1] {
        let v = flat
            .slice(&[SliceArg::range(
                Some(start as isize),
                Some(start as isize + 24_000),
                1,
            )])
            .unwrap();
        let want: f64 = xd[start..start + 24_000].iter().sum();
        close(
            &values(&v.sum(None, false).unwrap()),
            &[want],
            &format!("sum from {start}"),
        );
    }
}

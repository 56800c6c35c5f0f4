//! Elementwise operations against plain-Rust references: every op, every dtype it accepts,
//! contiguous, strided, broadcast, 0-d and empty inputs, and fusion into one dispatch.

mod common;

use common::{Rng, gpu, up};
use gpuarray::{Dtype, Element, GpuArray, SliceArg, View, where_};
use half::f16;
use num_complex::Complex32;
use std::f64::consts::PI;

fn down<T: Element>(a: &GpuArray) -> Vec<T> {
    a.to_host().unwrap().as_slice::<T>().unwrap().to_vec()
}

/// Random f32 values in [lo, hi) with a few specials mixed in when `specials`.
fn floats(rng: &mut Rng, n: usize, lo: f64, hi: f64, specials: bool) -> Vec<f32> {
    let mut v: Vec<f32> = (0..n).map(|_| rng.f64(lo, hi) as f32).collect();
    if specials {
        let s = [
            0.0,
            -0.0,
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            1.0,
            -1.0,
        ];
        for (k, x) in s.iter().enumerate() {
            v[k * 7 % n] = *x;
        }
    }
    v
}

/// Within `atol + rtol·|want|`, or both NaN, or equal (infinities).
fn close(got: f32, want: f64, atol: f64, rtol: f64) -> bool {
    (got.is_nan() && want.is_nan())
        || got as f64 == want
        || ((got as f64 - want).abs() <= atol + rtol * want.abs())
}

const ULP: f64 = f32::EPSILON as f64; // 2^-23

#[test]
fn float_unary_ops_match_f64_references() {
    let mut rng = Rng::new(10);
    type F = fn(f64) -> f64;
    type Op = fn(&GpuArray) -> gpuarray::Result<GpuArray>;
    type Case = (&'static str, Op, F, (f64, f64), f64, f64);
    // (name, op, reference, input range, atol, rtol). Tolerances are WGSL's stated accuracy
    // (WGSL spec, "Floating Point Accuracy") where it gives one; our own formulas (log1p, expm1,
    // sinh near 0, tanh for large |x|) are held to what they achieve on top of exp/log.
    let cases: Vec<Case> = vec![
        (
            "sqrt",
            GpuArray::sqrt,
            f64::sqrt,
            (-1.0, 1e6),
            0.0,
            0.5 * ULP,
        ),
        (
            "exp",
            GpuArray::exp,
            f64::exp,
            (-20.0, 20.0),
            0.0,
            (3.0 + 2.0 * 20.0) * ULP,
        ),
        (
            "exp2",
            GpuArray::exp2,
            f64::exp2,
            (-20.0, 20.0),
            0.0,
            (3.0 + 2.0 * 20.0) * ULP,
        ),
        (
            "log",
            GpuArray::log,
            f64::ln,
            (-1.0, 1e6),
            2f64.powi(-21),
            3.0 * ULP,
        ),
        (
            "log2",
            GpuArray::log2,
            f64::log2,
            (-1.0, 1e6),
            2f64.powi(-21),
            3.0 * ULP,
        ),
        (
            "log10",
            GpuArray::log10,
            f64::log10,
            (0.0, 1e6),
            2f64.powi(-21),
            4.0 * ULP,
        ),
        (
            "log1p",
            GpuArray::log1p,
            f64::ln_1p,
            (-0.999, 10.0),
            1e-7,
            8.0 * ULP,
        ),
        (
            "expm1",
            GpuArray::expm1,
            f64::exp_m1,
            (-5.0, 5.0),
            1e-7,
            16.0 * ULP,
        ),
        (
            "sin",
            GpuArray::sin,
            f64::sin,
            (-PI, PI),
            2f64.powi(-11),
            0.0,
        ),
        (
            "cos",
            GpuArray::cos,
            f64::cos,
            (-PI, PI),
            2f64.powi(-11),
            0.0,
        ),
        (
            "tan",
            GpuArray::tan,
            f64::tan,
            (-1.4, 1.4),
            2f64.powi(-10),
            2f64.powi(-10),
        ),
        (
            "arcsin",
            GpuArray::arcsin,
            f64::asin,
            (-1.2, 1.2),
            2f64.powi(-11),
            0.0,
        ),
        (
            "arccos",
            GpuArray::arccos,
            f64::acos,
            (-1.2, 1.2),
            2f64.powi(-11),
            0.0,
        ),
        (
            "arctan",
            GpuArray::arctan,
            f64::atan,
            (-100.0, 100.0),
            2f64.powi(-11),
            0.0,
        ),
        (
            "sinh",
            GpuArray::sinh,
            f64::sinh,
            (-10.0, 10.0),
            1e-7,
            64.0 * ULP,
        ),
        (
            "cosh",
            GpuArray::cosh,
            f64::cosh,
            (-10.0, 10.0),
            0.0,
            64.0 * ULP,
        ),
        (
            "tanh",
            GpuArray::tanh,
            f64::tanh,
            (-20.0, 20.0),
            1e-6,
            64.0 * ULP,
        ),
        ("floor", GpuArray::floor, f64::floor, (-1e3, 1e3), 0.0, 0.0),
        ("ceil", GpuArray::ceil, f64::ceil, (-1e3, 1e3), 0.0, 0.0),
        ("trunc", GpuArray::trunc, f64::trunc, (-1e3, 1e3), 0.0, 0.0),
        (
            "round",
            GpuArray::round,
            f64::round_ties_even,
            (-1e3, 1e3),
            0.0,
            0.0,
        ),
        ("abs", GpuArray::abs, f64::abs, (-1e3, 1e3), 0.0, 0.0),
        ("neg", GpuArray::neg, |x| -x, (-1e3, 1e3), 0.0, 0.0),
        (
            "sign",
            GpuArray::sign,
            |x| {
                if x.is_nan() {
                    x
                } else if x == 0.0 {
                    0.0
                } else {
                    x.signum()
                }
            },
            (-1e3, 1e3),
            0.0,
            0.0,
        ),
    ];
    for (name, op, reference, (lo, hi), atol, rtol) in cases {
        let mut x = floats(&mut rng, 4096, lo, hi, true);
        // Halves for rounding ties.
        x[100] = 2.5;
        x[101] = -3.5;
        let a = up(&x, &[64, 64]);
        let got = down::<f32>(&op(&a).unwrap());
        let mut worst = 0.0f64;
        for (g, &xi) in got.iter().zip(&x) {
            // The reference sees the f32 input exactly, computes in f64.
            let want = reference(xi as f64);
            assert!(
                close(*g, want, atol, rtol),
                "{name}({xi}) = {g}, want {want}"
            );
            if want.is_finite() && want != 0.0 {
                worst = worst.max((*g as f64 - want).abs() / want.abs());
            }
        }
        eprintln!(
            "{name}: worst relative error {worst:.2e} ({:.1} ULP)",
            worst / ULP
        );
        // Strided (transposed and reversed) input gives the same values.
        let t = op(&a.transpose().slice(&[SliceArg::step(-1)]).unwrap()).unwrap();
        let tv = a
            .transpose()
            .slice(&[SliceArg::step(-1)])
            .unwrap()
            .to_host()
            .unwrap();
        let tg = down::<f32>(&t);
        for (g, &xi) in tg.iter().zip(tv.as_slice::<f32>().unwrap()) {
            assert!(
                close(*g, reference(xi as f64), atol, rtol),
                "{name} strided ({xi})"
            );
        }
    }
}

#[test]
fn float_arithmetic_is_correctly_rounded() {
    let mut rng = Rng::new(11);
    let a = floats(&mut rng, 1000, -1e4, 1e4, true);
    let b = floats(&mut rng, 1000, -1e2, 1e2, false);
    let (ga, gb) = (up(&a, &[1000]), up(&b, &[1000]));
    let check = |name: &str, got: GpuArray, f: fn(f32, f32) -> f32| {
        for ((g, &x), &y) in down::<f32>(&got).iter().zip(&a).zip(&b) {
            let want = f(x, y);
            assert!(
                g.to_bits() == want.to_bits() || (g.is_nan() && want.is_nan()),
                "{name}: {x} {y} -> {g} want {want}"
            );
        }
    };
    // + − × ÷: 0 ULP (IEEE, as lavapipe and llvmpipe compute them).
    check("add", &ga + &gb, |x, y| x + y);
    check("sub", &ga - &gb, |x, y| x - y);
    check("mul", &ga * &gb, |x, y| x * y);
    check("div", &ga / &gb, |x, y| x / y);
    check("minimum", ga.minimum(&gb).unwrap(), |x, y| {
        if x.is_nan() || y.is_nan() {
            f32::NAN
        } else {
            x.min(y)
        }
    });
    check("maximum", ga.maximum(&gb).unwrap(), |x, y| {
        if x.is_nan() || y.is_nan() {
            f32::NAN
        } else {
            x.max(y)
        }
    });
    // NumPy's divmod: remainder with the divisor's sign; floor division consistent with it.
    // WGSL's `%` is `a - b·trunc(a/b)`, not an exact fmod: within 2 ULP of |a|.
    let rem = down::<f32>(&(&ga % &gb));
    let fdiv = down::<f32>(&ga.floor_divide(&gb).unwrap());
    for ((&x, &y), (r, q)) in a.iter().zip(&b).zip(rem.iter().zip(&fdiv)) {
        let m = x % y;
        let want = if m != 0.0 && ((y < 0.0) != (m < 0.0)) {
            m + y
        } else {
            m
        };
        let tol = 2.0 * f32::EPSILON * x.abs().max(y.abs());
        assert!(
            close(*r, want as f64, tol as f64, 0.0),
            "{x} % {y} = {r}, want {want}"
        );
        if x.is_finite() {
            let wq = ((x as f64) / (y as f64)).floor();
            assert!(
                (*q as f64 - wq).abs() <= 1.0,
                "{x} // {y} = {q}, want ~{wq}"
            );
        }
    }
    // Comparisons with NaN are false (ne true).
    let x = up(&[1.0f32, f32::NAN, 2.0], &[3]);
    let y = up(&[1.0f32, f32::NAN, 3.0], &[3]);
    assert_eq!(down::<u8>(&x.eq(&y).unwrap()), [1, 0, 0]);
    assert_eq!(down::<u8>(&x.ne(&y).unwrap()), [0, 1, 1]);
    assert_eq!(down::<u8>(&x.lt(&y).unwrap()), [0, 0, 1]);
    assert_eq!(down::<u8>(&x.ge(&y).unwrap()), [1, 0, 0]);
    // pow: C semantics for negative bases and zero exponents.
    let base = up(&[-2.0f32, -2.0, 0.0, 4.0, -8.0, 2.0], &[6]);
    let expo = up(&[3.0f32, 0.5, 0.0, 0.5, 2.0, -1.0], &[6]);
    let got = down::<f32>(&base.pow(&expo).unwrap());
    assert_eq!(&got[..1], &[-8.0]);
    assert!(got[1].is_nan());
    assert_eq!(&got[2..], &[1.0, 2.0, 64.0, 0.5]);
    let p = down::<f32>(&ga.abs().unwrap().pow(0.37).unwrap());
    for (g, &x) in p.iter().zip(&a) {
        assert!(
            close(*g, (x.abs() as f64).powf(0.37), 0.0, 64.0 * ULP),
            "|{x}|^0.37 = {g}"
        );
    }
}

/// Integer references with NumPy's semantics, computed in i64 and wrapped to the dtype.
fn wrap(v: i64, dtype: Dtype) -> i64 {
    match dtype {
        Dtype::I8 => v as i8 as i64,
        Dtype::U8 => v as u8 as i64,
        Dtype::I16 => v as i16 as i64,
        Dtype::U16 => v as u16 as i64,
        Dtype::I32 => v as i32 as i64,
        _ => v as u32 as i64,
    }
}

fn floor_div(x: i64, y: i64) -> i64 {
    if y == 0 {
        0
    } else {
        x.div_euclid(y)
            - if (x.rem_euclid(y) != 0) && y < 0 {
                1
            } else {
                0
            }
    }
}

fn py_rem(x: i64, y: i64) -> i64 {
    if y == 0 { 0 } else { x - y * floor_div(x, y) }
}

#[test]
fn integer_ops_are_exact_with_numpy_semantics() {
    let mut rng = Rng::new(12);
    for dtype in [
        Dtype::I8,
        Dtype::U8,
        Dtype::I16,
        Dtype::U16,
        Dtype::I32,
        Dtype::U32,
    ] {
        let n = 2000;
        let raw = |rng: &mut Rng| -> Vec<i64> {
            (0..n).map(|_| wrap(rng.next_u64() as i64, dtype)).collect()
        };
        let (mut xs, mut ys) = (raw(&mut rng), raw(&mut rng));
        ys[0] = 0; // division by zero
        ys[1] = 0;
        xs[2] = wrap(i64::MIN, dtype);
        ys[2] = wrap(-1, dtype);
        let to_dev = |v: &[i64]| {
            let host = gpuarray::HostArray::from_slice(v, &[n])
                .unwrap()
                .view()
                .astype(dtype)
                .unwrap();
            gpu().upload(&host.view()).unwrap()
        };
        let (a, b) = (to_dev(&xs), to_dev(&ys));
        let read = |g: &GpuArray| -> Vec<i64> {
            let h = g.to_host().unwrap();
            h.view()
                .astype(Dtype::I64)
                .unwrap()
                .as_slice::<i64>()
                .unwrap()
                .to_vec()
        };
        type R = fn(i64, i64) -> i64;
        let ops: Vec<(&str, GpuArray, R)> = vec![
            ("add", &a + &b, |x, y| x + y),
            ("sub", &a - &b, |x, y| x - y),
            ("mul", &a * &b, |x, y| x.wrapping_mul(y)),
            ("floor_divide", a.floor_divide(&b).unwrap(), floor_div),
            ("rem", &a % &b, py_rem),
            ("minimum", a.minimum(&b).unwrap(), |x, y| x.min(y)),
            ("maximum", a.maximum(&b).unwrap(), |x, y| x.max(y)),
            ("and", &a & &b, |x, y| x & y),
            ("or", &a | &b, |x, y| x | y),
            ("xor", &a ^ &b, |x, y| x ^ y),
        ];
        for (name, g, f) in ops {
            assert_eq!(g.dtype(), dtype, "{name}");
            let got = read(&g);
            for i in 0..n {
                let want = wrap(f(xs[i], ys[i]), dtype);
                assert_eq!(got[i], want, "{dtype} {name}({}, {})", xs[i], ys[i]);
            }
        }
        // Unary: neg, abs, invert; shifts by small amounts; pow with small exponents.
        let small: Vec<i64> = (0..n).map(|i| (i % 9) as i64).collect();
        let s = to_dev(&small);
        type Check<'a> = (&'a str, GpuArray, Box<dyn Fn(usize) -> i64 + 'a>);
        let checks: Vec<Check> = vec![
            ("neg", a.neg().unwrap(), Box::new(|i| -xs[i])),
            ("abs", a.abs().unwrap(), Box::new(|i| xs[i].abs())),
            ("invert", a.invert().unwrap(), Box::new(|i| !xs[i])),
            (
                "shl",
                a.left_shift(&s).unwrap(),
                Box::new(|i| xs[i] << small[i]),
            ),
            (
                "shr",
                a.right_shift(&s).unwrap(),
                Box::new(|i| xs[i] >> small[i]),
            ),
            (
                "pow",
                a.pow(&s).unwrap(),
                Box::new(|i| {
                    (0..small[i]).fold(1i64, |acc, _| wrap(acc.wrapping_mul(xs[i]), dtype))
                }),
            ),
        ];
        for (name, g, f) in checks {
            let got = read(&g);
            for i in 0..n {
                assert_eq!(
                    got[i],
                    wrap(f(i), dtype),
                    "{dtype} {name}({}, {})",
                    xs[i],
                    small[i]
                );
            }
        }
        // Comparisons.
        let lt = down::<u8>(&a.lt(&b).unwrap());
        for i in 0..n {
            assert_eq!(lt[i] == 1, xs[i] < ys[i], "{dtype} lt");
        }
    }
}

#[test]
fn broadcasting_scalars_and_edge_shapes() {
    // Per-channel math on an image: [h, w, 3] * [3].
    let img: Vec<f32> = (0..24).map(|i| i as f32).collect();
    let a = up(&img, &[2, 4, 3]);
    let gains = up(&[1.0f32, 0.5, 2.0], &[3]);
    let got = down::<f32>(&(&a * &gains));
    for (i, g) in got.iter().enumerate() {
        assert_eq!(*g, img[i] * [1.0, 0.5, 2.0][i % 3]);
    }
    // [4, 1] + [1, 5] → [4, 5]; scalars on either side; a transposed operand.
    let col = up(&[0i32, 10, 20, 30], &[4, 1]);
    let row = up(&[1i32, 2, 3, 4, 5], &[1, 5]);
    let s = &(&col + &row) * 2;
    assert_eq!(s.shape(), [4, 5]);
    assert_eq!(down::<i32>(&s)[7], (10 + 3) * 2);
    let r = 100 - &row.transpose();
    assert_eq!(
        (r.shape(), down::<i32>(&r)),
        (&[5, 1][..], vec![99, 98, 97, 96, 95])
    );
    // 0-d and empty.
    let z = up(&[3.0f32], &[]);
    assert_eq!(down::<f32>(&(&z * &a))[5], 15.0);
    let e = up::<f32>(&[], &[0, 3]);
    let ee = &(&e + &gains) * 2.0;
    assert_eq!(
        (ee.shape(), ee.to_host().unwrap().bytes().len()),
        (&[0, 3][..], 0)
    );
    // Shapes that do not broadcast: an error naming both, reported where the result is used.
    let bad = &a + &up(&[1.0f32, 2.0], &[2]);
    let err = bad.to_host().unwrap_err().to_string();
    assert!(err.contains("[2, 4, 3]") && err.contains("[2]"), "{err}");
    assert!(a.add(&up(&[1.0f32, 2.0], &[2])).is_err());
}

#[test]
fn promotion_follows_numpy_narrowed_to_32_bits() {
    let u = up(&[200u8, 10, 255], &[3]);
    let i = up(&[-100i8, 5, -1], &[3]);
    let s = &u + &i;
    assert_eq!(s.dtype(), Dtype::I16);
    assert_eq!(down::<i16>(&s), [100, 15, 254]);
    // A weak scalar keeps the array's dtype and wraps like it (u8 + 100).
    let w = &u + 100;
    assert_eq!((w.dtype(), down::<u8>(&w)), (Dtype::U8, vec![44, 110, 99]));
    // ... unless it does not fit (NEP 50).
    let err = (&u + 300).to_host().unwrap_err().to_string();
    assert!(err.contains("300") && err.contains("uint8"), "{err}");
    // Integer true division gives f32; float scalars make integer arrays f32.
    assert_eq!((&u / &u).dtype(), Dtype::F32);
    assert_eq!((&u * 0.5).dtype(), Dtype::F32);
    assert_eq!(down::<f32>(&(&u * 0.5)), [100.0, 5.0, 127.5]);
    // f16 arithmetic rounds to f16 after each operation, as NumPy does.
    let h: Vec<f16> = [0.1f32, 1000.0, 3.3]
        .iter()
        .map(|&x| f16::from_f32(x))
        .collect();
    let g = up(&h, &[3]);
    let got = down::<f16>(&(&(&g * &g) + 1.0));
    for (k, x) in h.iter().enumerate() {
        let want = f16::from_f32(f16::from_f32(x.to_f32() * x.to_f32()).to_f32() + 1.0);
        assert_eq!(got[k].to_bits(), want.to_bits(), "{x}² + 1");
    }
    // sqrt of u8 computes in f16, as NumPy's loops do.
    assert_eq!(u.sqrt().unwrap().dtype(), Dtype::F16);
    // bool: + is or, * is and, - is refused.
    let t = up(&[1u8, 0, 1], &[3]).astype(Dtype::Bool).unwrap();
    let f = up(&[0u8, 0, 1], &[3]).astype(Dtype::Bool).unwrap();
    assert_eq!(down::<u8>(&(&t + &f)), [1, 0, 1]);
    assert_eq!(down::<u8>(&(&t * &f)), [0, 0, 1]);
    assert!(t.sub(&f).unwrap_err().to_string().contains("logical_xor"));
}

#[test]
fn complex_ops_match_num_complex() {
    let mut rng = Rng::new(13);
    let n = 500;
    let za: Vec<Complex32> = (0..n)
        .map(|_| Complex32::new(rng.f64(-10.0, 10.0) as f32, rng.f64(-10.0, 10.0) as f32))
        .collect();
    let zb: Vec<Complex32> = (0..n)
        .map(|_| Complex32::new(rng.f64(-10.0, 10.0) as f32, rng.f64(-10.0, 10.0) as f32))
        .collect();
    let (a, b) = (up(&za, &[n]), up(&zb, &[n]));
    let c64 = |z: Complex32| num_complex::Complex64::new(z.re as f64, z.im as f64);
    let cclose = |g: Complex32, w: num_complex::Complex64, tol: f64| {
        (c64(g) - w).norm() <= tol * w.norm().max(1e-30)
    };
    type C = fn(num_complex::Complex64, num_complex::Complex64) -> num_complex::Complex64;
    let bin: Vec<(&str, GpuArray, C, f64)> = vec![
        ("mul", &a * &b, |x, y| x * y, 4.0 * ULP),
        ("div", &a / &b, |x, y| x / y, 8.0 * ULP),
        ("add", &a + &b, |x, y| x + y, 2.0 * ULP),
    ];
    for (name, g, f, tol) in bin {
        for (i, got) in down::<Complex32>(&g).iter().enumerate() {
            assert!(
                cclose(*got, f(c64(za[i]), c64(zb[i])), tol),
                "{name} {} {}",
                za[i],
                zb[i]
            );
        }
    }
    type U = fn(num_complex::Complex64) -> num_complex::Complex64;
    let un: Vec<(&str, GpuArray, U, f64)> = vec![
        ("exp", a.exp().unwrap(), |x| x.exp(), 1e-5),
        ("log", a.log().unwrap(), |x| x.ln(), 1e-5),
        ("sqrt", a.sqrt().unwrap(), |x| x.sqrt(), 4.0 * ULP),
        ("conj", a.conj().unwrap(), |x| x.conj(), 0.0),
    ];
    for (name, g, f, tol) in un {
        for (i, got) in down::<Complex32>(&g).iter().enumerate() {
            assert!(
                cclose(*got, f(c64(za[i])), tol),
                "{name}({}) = {got}",
                za[i]
            );
        }
    }
    let abs = down::<f32>(&a.abs().unwrap());
    let angle = down::<f32>(&a.angle().unwrap());
    let (re, im) = (
        down::<f32>(&a.real().unwrap()),
        down::<f32>(&a.imag().unwrap()),
    );
    for i in 0..n {
        assert!(close(abs[i], c64(za[i]).norm(), 0.0, 2.0 * ULP));
        assert!(close(angle[i], c64(za[i]).arg(), 2f64.powi(-11), 0.0));
        assert_eq!((re[i], im[i]), (za[i].re, za[i].im));
    }
    // complex(re, im) and back.
    let z = a.real().unwrap().complex(&a.imag().unwrap()).unwrap();
    assert_eq!(down::<Complex32>(&z), za);
    // No overflow in |z| for huge parts.
    let big = up(&[Complex32::new(3e30, 4e30)], &[1]);
    assert!(close(
        down::<f32>(&big.abs().unwrap())[0],
        5e30,
        0.0,
        2.0 * ULP
    ));
}

#[test]
fn where_clip_logical_and_predicates() {
    let x = up(&[-2.0f32, f32::NAN, 0.5, 7.0, f32::INFINITY, 0.0], &[6]);
    assert_eq!(down::<u8>(&x.isnan().unwrap()), [0, 1, 0, 0, 0, 0]);
    assert_eq!(down::<u8>(&x.isinf().unwrap()), [0, 0, 0, 0, 1, 0]);
    assert_eq!(down::<u8>(&x.isfinite().unwrap()), [1, 0, 1, 1, 0, 1]);
    assert_eq!(down::<u8>(&x.logical_not().unwrap()), [0, 0, 0, 0, 0, 1]);
    let c = x.clip(0.0, 1.0).unwrap();
    let got = down::<f32>(&c);
    assert_eq!(
        [got[0], got[2], got[3], got[4], got[5]],
        [0.0, 0.5, 1.0, 1.0, 0.0]
    );
    assert!(got[1].is_nan(), "clip keeps NaN, as NumPy");
    let w = where_(&x.gt(0.0).unwrap(), &x, -1.0).unwrap();
    let got = down::<f32>(&w);
    assert_eq!([got[0], got[1], got[2], got[5]], [-1.0, -1.0, 0.5, -1.0]);
    let m = up(&[1i32, 0, 3], &[3]);
    let k = up(&[0i32, 0, 2], &[3]);
    assert_eq!(down::<u8>(&m.logical_and(&k).unwrap()), [0, 0, 1]);
    assert_eq!(down::<u8>(&m.logical_or(&k).unwrap()), [1, 0, 1]);
    assert_eq!(down::<u8>(&m.logical_xor(&k).unwrap()), [1, 0, 0]);
    // where broadcasts its three operands and promotes x and y.
    let w = where_(&up(&[1u8, 0], &[2, 1]), &up(&[1i16, 2, 3], &[3]), 0.5).unwrap();
    assert_eq!((w.shape(), w.dtype()), (&[2, 3][..], Dtype::F32));
    assert_eq!(down::<f32>(&w), [1.0, 2.0, 3.0, 0.5, 0.5, 0.5]);
}

#[test]
fn a_chain_runs_as_one_dispatch_and_compiles_once() {
    // A context of its own: other tests running in parallel would move the shared counters.
    let gpu = &gpuarray::Gpu::new().unwrap();
    let own = |v: &[f32], n: usize| gpu.upload(&View::from_slice(v, &[n]).unwrap()).unwrap();
    let run = |n: usize, seed: u64| {
        let mut rng = Rng::new(seed);
        let (x, y, z) = (
            floats(&mut rng, n, 0.0, 10.0, false),
            floats(&mut rng, n, 0.0, 10.0, false),
            floats(&mut rng, n, 0.0, 10.0, false),
        );
        let (a, b, c) = (own(&x, n), own(&y, n), own(&z, n));
        let before = gpu.stats();
        let r = (&(&a * &b) + &c).sqrt().unwrap() * 2.0;
        assert!(r.is_lazy());
        let got = down::<f32>(&r);
        let after = gpu.stats();
        for i in 0..n {
            let want = ((x[i] * y[i] + z[i]).sqrt() * 2.0) as f64;
            assert!(close(got[i], want, 0.0, 2.0 * ULP), "{i}");
        }
        (
            after.dispatches - before.dispatches,
            after.compiles - before.compiles,
        )
    };
    let (dispatches, _) = run(1000, 1);
    assert_eq!(dispatches, 1, "((a * b + c).sqrt() * 2.0) is one kernel");
    // Other sizes and values, same structure: nothing new to compile.
    assert_eq!(run(777, 2), (1, 0));
    // A view of a lazy result evaluates the whole expression once, then slices it.
    let a = up(&[1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    let sq = &a * &a;
    let t = sq.transpose();
    assert_eq!(down::<f32>(&t), [1.0, 9.0, 4.0, 16.0]);
    assert!(
        !sq.is_lazy(),
        "the transposed view computed the shared data"
    );
    // In-place forms keep the dtype and the shape.
    let mut u = up(&[250u8, 3], &[2]);
    u += 10;
    assert_eq!((u.dtype(), down::<u8>(&u)), (Dtype::U8, vec![4, 13]));
    let mut f = up(&[1.0f32, 2.0], &[2]);
    f *= &up(&[3.0f32], &[1]);
    f -= 1.0;
    assert_eq!(down::<f32>(&f), [2.0, 5.0]);
    let mut small = up(&[1.0f32], &[1]);
    small += &up(&[1.0f32, 2.0], &[2]);
    assert!(
        small
            .to_host()
            .unwrap_err()
            .to_string()
            .contains("does not fit")
    );
}

#[test]
fn fused_kernels_run_in_chunks_past_one_binding() {
    // 40 Mi f32 elements (160 MiB, past lavapipe's 128 MiB binding): a reversed input, a
    // broadcast row and a scalar in one kernel, which runs in several windows.
    let gpu = gpu();
    let (rows, cols) = (10 * 1024, 4096);
    let n = rows * cols;
    assert!((n * 4) as u64 > gpu.info().max_storage_binding);
    let x: Vec<f32> = (0..n).map(|i| (i % 1000) as f32).collect();
    let row: Vec<f32> = (0..cols).map(|j| j as f32 * 0.5).collect();
    let a = up(&x, &[rows, cols]).slice(&[SliceArg::step(-1)]).unwrap();
    let r = up(&row, &[cols]);
    let y = &(&a * 2.0) + &r;
    let got = y.to_host().unwrap();
    let got = got.as_slice::<f32>().unwrap();
    for (i, j) in [
        (0, 0),
        (1, 7),
        (rows / 2, cols - 1),
        (rows - 1, 1234),
        (rows - 1, cols - 1),
    ] {
        let want = x[(rows - 1 - i) * cols + j] * 2.0 + row[j];
        assert_eq!(got[i * cols + j], want, "[{i}, {j}]");
    }
    // And a reduction over the same lazy expression, row sums of a slice of it.
    let s = y
        .slice(&[SliceArg::range(Some(0), Some(4), 1)])
        .unwrap()
        .sum(Some(&[1]), false)
        .unwrap();
    let s = s.to_host().unwrap();
    for (i, v) in s.as_slice::<f32>().unwrap().iter().enumerate() {
        let want: f64 = (0..cols)
            .map(|j| (x[(rows - 1 - i) * cols + j] * 2.0 + row[j]) as f64)
            .sum();
        assert!(
            (*v as f64 - want).abs() <= 1e-6 * want,
            "row {i}: {v} vs {want}"
        );
    }
}

#[test]
fn four_wide_and_general_kernels_agree() {
    // Contiguous 32-bit operands at offsets that are multiples of 4 run four elements per
    // invocation; at other offsets the general kernel runs. Both give the same values, tails
    // of 1 to 3 elements included.
    let x: Vec<f32> = (0..103).map(|i| i as f32 * 0.25 - 7.0).collect();
    let y: Vec<i32> = (0..103).map(|i| i * 3 - 50).collect();
    let (a, b) = (up(&x, &[103]), up(&y, &[103]));
    for start in [0isize, 1, 4, 5, 8] {
        for len in [1isize, 2, 3, 4, 13, 95] {
            let r = SliceArg::range(Some(start), Some(start + len), 1);
            let (sa, sb) = (a.slice(&[r]).unwrap(), b.slice(&[r]).unwrap());
            let got = down::<f32>(&(&(&sa * &sb) + 1.5).abs().unwrap());
            for (k, g) in got.iter().enumerate() {
                let i = start as usize + k;
                assert_eq!(
                    *g,
                    (x[i] * y[i] as f32 + 1.5).abs(),
                    "start {start} len {len} [{k}]"
                );
            }
        }
    }
}

//! Conversions on the GPU against the host reference (`View::astype`, itself checked against
//! Rust's `as` casts in tests/view.rs) and against plain Rust for the unit-float image scaling.

mod common;

use common::{Rng, gpu};
use gpuarray::{Dtype, GpuArray, HostArray, SliceArg, View};
use half::f16;
use num_complex::Complex32;

const GPU_DTYPES: [Dtype; 10] = GpuArray::DTYPES;

/// Values that exercise every conversion rule: signs, fractions, ties, out-of-range for every
/// integer type, infinities and NaN; stored as `dtype` through the host's own conversion.
fn source(dtype: Dtype, rng: &mut Rng) -> HostArray {
    let mut v: Vec<f32> = vec![
        0.0,
        -0.0,
        0.5,
        1.5,
        2.5,
        -0.5,
        -1.5,
        1.0,
        -1.0,
        127.0,
        128.0,
        -129.0,
        255.0,
        256.0,
        300.7,
        -300.7,
        32767.0,
        32768.0,
        65535.0,
        65536.0,
        -70000.0,
        2147483520.0,
        3e9,
        -3e9,
        5e9,
        1e20,
        -1e20,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        1e-8,
        65519.0,
        70000.0,
    ];
    v.extend((0..95).map(|_| rng.f64(-40000.0, 40000.0) as f32));
    // Complex sources get an imaginary part that must vanish (or count, for bool).
    let c: Vec<Complex32> = v
        .iter()
        .enumerate()
        .map(|(i, &x)| Complex32::new(x, (i % 3) as f32))
        .collect();
    let base = View::from_slice(&c, &[8, 16]).unwrap();
    base.astype(dtype).unwrap()
}

/// Whether two elements of `dtype` are the same: equal bits, or NaN in both (the payload of a
/// converted NaN is not specified: llvmpipe's GL gives 0x7fffffff where the host gives
/// 0x7fc00000).
fn same(dtype: Dtype, a: &[u8], b: &[u8]) -> bool {
    let nan = |c: &[u8]| match c.len() {
        2 => f16::from_le_bytes([c[0], c[1]]).is_nan(),
        4 => f32::from_le_bytes([c[0], c[1], c[2], c[3]]).is_nan(),
        _ => false,
    };
    let part = if dtype == Dtype::C64 {
        4
    } else {
        dtype.itemsize()
    };
    let float = matches!(dtype, Dtype::F16 | Dtype::F32 | Dtype::C64);
    a.chunks(part)
        .zip(b.chunks(part))
        .all(|(x, y)| x == y || (float && nan(x) && nan(y)))
}

#[test]
fn astype_matches_the_host_for_every_pair() {
    let gpu = gpu();
    let mut rng = Rng::new(3);
    for from in GPU_DTYPES {
        let host = source(from, &mut rng);
        let a = gpu.upload(&host.view()).unwrap();
        // Also through a strided (transposed, stepped) view on the GPU.
        let strided = a.transpose().slice(&[SliceArg::step(-3)]).unwrap();
        let host_strided = host
            .view()
            .transpose()
            .slice(&[SliceArg::step(-3)])
            .unwrap();
        for to in GPU_DTYPES {
            for (name, g, h) in [
                ("contiguous", &a, host.view()),
                ("strided", &strided, host_strided.clone()),
            ] {
                let got = g.astype(to).unwrap().to_host().unwrap();
                let want = h.astype(to).unwrap();
                // Every conversion is exact: integer casts wrap, float → int truncates and
                // saturates, int → float rounds once (all sources here are exact in f32), and
                // f32 → f16 rounds to nearest even on both sides. Only NaN payloads may differ.
                let n = got.bytes().len() / to.itemsize();
                let g = got.bytes().chunks(to.itemsize());
                let w = want.bytes().chunks(to.itemsize());
                if !g.clone().zip(w.clone()).all(|(g, w)| same(to, g, w)) {
                    let src = h.astype(Dtype::C64).unwrap();
                    let src = src.as_slice::<Complex32>().unwrap();
                    let bad: Vec<String> = g
                        .zip(w)
                        .enumerate()
                        .filter(|(_, (g, w))| !same(to, g, w))
                        .take(5)
                        .map(|(i, (g, w))| format!("#{i} from {}: got {g:?} want {w:?}", src[i]))
                        .collect();
                    panic!(
                        "{from} -> {to} ({name}): {} of {n} differ: {bad:#?}",
                        bad.len()
                    );
                }
            }
        }
    }
}

#[test]
fn unit_float_conversions_match_plain_rust() {
    let gpu = gpu();
    let bytes: Vec<u8> = (0..=255).collect();
    let words: Vec<u16> = (0..=65535).step_by(7).collect();
    let f = gpu
        .upload(&View::from_slice(&bytes, &[16, 16]).unwrap())
        .unwrap()
        .to_unit_float()
        .unwrap();
    let got = f.to_host().unwrap();
    // WGSL allows 2.5 ULP for division; lavapipe divides exactly. 1 ULP of slack is stated here.
    for (g, &b) in got.as_slice::<f32>().unwrap().iter().zip(&bytes) {
        let want = b as f32 / 255.0;
        assert!(
            (g - want).abs() <= f32::EPSILON * want,
            "{b}: {g} vs {want}"
        );
    }
    let w = gpu
        .upload(&View::from_slice(&words, &[words.len()]).unwrap())
        .unwrap();
    let got = w.to_unit_float().unwrap().to_host().unwrap();
    for (g, &x) in got.as_slice::<f32>().unwrap().iter().zip(&words) {
        let want = x as f32 / 65535.0;
        assert!(
            (g - want).abs() <= f32::EPSILON * want,
            "{x}: {g} vs {want}"
        );
    }
    // And back: clamp, scale, round half to even; NaN → 0. Round trips u8 → f32 → u8 exactly.
    let back = f.from_unit_float(Dtype::U8).unwrap().to_host().unwrap();
    assert_eq!(back.as_slice::<u8>().unwrap(), &bytes[..]);
    let xs = [
        -1.0f32,
        0.0,
        0.5 / 255.0,
        1.5 / 255.0,
        0.5,
        0.999,
        1.0,
        7.0,
        f32::NAN,
        f32::INFINITY,
    ];
    let a = gpu
        .upload(&View::from_slice(&xs, &[xs.len()]).unwrap())
        .unwrap();
    for (dtype, max) in [(Dtype::U8, 255.0f32), (Dtype::U16, 65535.0)] {
        let got = a
            .from_unit_float(dtype)
            .unwrap()
            .astype(Dtype::U32)
            .unwrap()
            .to_host()
            .unwrap();
        let want: Vec<u32> = xs
            .iter()
            .map(|&x| {
                if x.is_nan() {
                    0
                } else {
                    (x.clamp(0.0, 1.0) * max).round_ties_even() as u32
                }
            })
            .collect();
        assert_eq!(got.as_slice::<u32>().unwrap(), want, "{dtype}");
    }
    // f16 input works too.
    let h: Vec<f16> = xs.iter().map(|&x| f16::from_f32(x)).collect();
    let got = gpu
        .upload(&View::from_slice(&h, &[h.len()]).unwrap())
        .unwrap()
        .from_unit_float(Dtype::U8)
        .unwrap();
    let want: Vec<u8> = h
        .iter()
        .map(|x| x.to_f32())
        .map(|x| {
            if x.is_nan() {
                0
            } else {
                (x.clamp(0.0, 1.0) * 255.0).round_ties_even() as u8
            }
        })
        .collect();
    assert_eq!(got.to_host().unwrap().as_slice::<u8>().unwrap(), want);
    // Wrong dtypes are errors.
    assert!(
        a.to_unit_float()
            .unwrap_err()
            .to_string()
            .contains("uint8 or uint16")
    );
    assert!(
        w.from_unit_float(Dtype::U8)
            .unwrap_err()
            .to_string()
            .contains("uint16 to uint8")
    );
}

//! Fuzzing at scale (stable Rust, seeded generators, so every failure reproduces from its case
//! number): format strings, layout compositions against the byte-offset model, views converted
//! to images against direct indexing, and random GPU programs against a CPU model in f64. Each
//! target prints its case count and time.
//!
//! Budget: `GPUARRAY_FUZZ=full` runs the counts (10⁶ format strings, 10⁶ layouts, 10⁵
//! view → image conversions, 10⁴ GPU programs on the backend `WGPU_BACKEND` picks), as
//! `.ci/run` does; otherwise (the ordinary test run) 1 % of them.

mod common;

use std::time::Instant;

use common::{Rng, indices};

use gpuarray::{Format, Layout, SliceArg, View};

/// The case count for a target whose full budget is `full`.
fn budget(full: usize) -> usize {
    match std::env::var("GPUARRAY_FUZZ").as_deref() {
        Ok("full") => full,
        _ => full / 100,
    }
}

/// Prints what a target did.
fn done(target: &str, cases: usize, start: Instant, extra: &str) {
    let t = start.elapsed().as_secs_f64();
    eprintln!(
        "fuzz {target}: {cases} cases in {t:.2} s ({:.0} per second){extra}",
        cases as f64 / t
    );
}

// ---- format strings --------------------------------------------------------------------------

const CODES: &[&str] = &[
    "x", "c", "b", "B", "?", "h", "H", "i", "I", "l", "L", "q", "Q", "n", "N", "e", "f", "d", "s",
    "p", "P", "Zf", "Zd",
];

/// A format string from the grammar: items with byte orders, counts, names, sub-array shapes
/// and nested structs. `native` tracks the byte-order state: `n`, `N` and `P` exist only in
/// native mode (`@`, the default), as in `struct`.
fn gen_format(rng: &mut Rng, depth: usize, native: &mut bool, out: &mut String) {
    for _ in 0..1 + rng.below(4) {
        if rng.chance(25) {
            let order = rng.pick::<&str>(&["@", "=", "<", ">", "!"]);
            *native = *order == "@";
            out.push_str(order);
        }
        if rng.chance(15) {
            let dims = 1 + rng.below(3);
            let shape: Vec<String> = (0..dims).map(|_| (1 + rng.below(4)).to_string()).collect();
            out.push_str(&format!("({})", shape.join(",")));
        }
        if rng.chance(25) {
            out.push_str(&rng.below(12).to_string());
        }
        if depth < 2 && rng.chance(12) {
            out.push_str("T{");
            gen_format(rng, depth + 1, native, out);
            out.push('}');
        } else {
            let code = loop {
                let c = rng.pick::<&str>(CODES);
                if *native || !matches!(*c, "n" | "N" | "P") {
                    break c;
                }
            };
            out.push_str(code);
        }
        if rng.chance(15) {
            // Unique names (a repeated one is an error): the position in the string.
            out.push_str(&format!(":f{}:", out.len()));
        }
        if rng.chance(10) {
            out.push(' ');
        }
    }
}

/// A random edit of `s`: a character removed, replaced, inserted or a slice repeated.
fn mutate(rng: &mut Rng, s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    const ALPHABET: &[char] = &[
        '@', '=', '<', '>', '!', 'T', '{', '}', ':', '(', ')', ',', '0', '9', 'Z', 'f', 'x', 's',
        ' ', 'é', '\0', '-', '7',
    ];
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(chars.len() + 1);
        match rng.below(4) {
            0 if at < chars.len() => {
                chars.remove(at);
            }
            1 if at < chars.len() => chars[at] = *rng.pick(ALPHABET),
            2 => {
                let end = (at + rng.below(4)).min(chars.len());
                let piece: Vec<char> = chars[at..end].to_vec();
                chars.splice(at..at, piece);
            }
            _ => chars.insert(at, *rng.pick(ALPHABET)),
        }
    }
    chars.into_iter().collect()
}

/// Random bytes, made a string (invalid UTF-8 replaced): what a foreign exporter might hand.
fn random_bytes(rng: &mut Rng) -> String {
    let bytes: Vec<u8> = (0..rng.below(24)).map(|_| rng.next_u64() as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Parses `s`: a format prints a canonical form that parses back equal, with the same size; an
/// error points inside the input. Returns whether it parsed.
fn check_format(case: usize, s: &str) -> bool {
    match Format::parse(s) {
        Ok(f) => {
            let text = f.to_string();
            let again = Format::parse(&text)
                .unwrap_or_else(|e| panic!("case {case}: {s:?} printed as {text:?}: {e}"));
            assert_eq!(again, f, "case {case}: {s:?} → {text:?}");
            assert_eq!(again.itemsize(), f.itemsize(), "case {case}: {s:?}");
            true
        }
        Err(gpuarray::Error::Format { pos, .. }) => {
            assert!(pos <= s.len(), "case {case}: {s:?}: position {pos}");
            false
        }
        Err(e) => panic!("case {case}: {s:?}: not a format error: {e}"),
    }
}

#[test]
fn format_strings() {
    let cases = budget(1_000_000);
    let start = Instant::now();
    let mut rng = Rng::new(3118);
    let mut parsed = 0;
    for case in 0..cases {
        let mut s = String::new();
        gen_format(&mut rng, 0, &mut true, &mut s);
        let s = match case % 3 {
            0 => s,
            1 => mutate(&mut rng, &s),
            _ => random_bytes(&mut rng),
        };
        let ok = check_format(case, &s);
        assert!(
            ok || case % 3 != 0,
            "case {case}: the grammar's {s:?} does not parse"
        );
        parsed += usize::from(ok);
    }
    done(
        "format strings",
        cases,
        start,
        &format!(", {parsed} parsed"),
    );
}

// ---- layouts ---------------------------------------------------------------------------------

/// A layout with its model: every element's byte offset, in C order of the layout's shape.
struct Model {
    shape: Vec<usize>,
    offsets: Vec<i128>,
}

/// The C-order flat position of `index` in `shape`.
fn flat(shape: &[usize], index: &[usize]) -> usize {
    index.iter().zip(shape).fold(0, |acc, (&i, &n)| acc * n + i)
}

impl Model {
    fn of(l: &Layout) -> Model {
        let offsets = indices(&l.shape)
            .iter()
            .map(|idx| {
                l.offset as i128
                    + idx
                        .iter()
                        .zip(&l.strides)
                        .map(|(&i, &s)| i as i128 * s as i128)
                        .sum::<i128>()
            })
            .collect();
        Model {
            shape: l.shape.clone(),
            offsets,
        }
    }

    /// The model of a derived layout of `shape` whose element at index `i` is the parent's at
    /// `parent(i)`.
    fn derive(&self, shape: Vec<usize>, parent: impl Fn(&[usize]) -> Vec<usize>) -> Model {
        let offsets = indices(&shape)
            .iter()
            .map(|i| self.offsets[flat(&self.shape, &parent(i))])
            .collect();
        Model { shape, offsets }
    }
}

/// `range(n)[start:stop:step]` by walking.
fn positions(n: usize, start: Option<isize>, stop: Option<isize>, step: isize) -> Vec<usize> {
    let n = n as isize;
    let norm = |v: isize| if v < 0 { v + n } else { v };
    let (mut p, stop) = if step > 0 {
        (
            start.map_or(0, |v| norm(v).clamp(0, n)),
            stop.map_or(n, |v| norm(v).clamp(0, n)),
        )
    } else {
        (
            start.map_or(n - 1, |v| norm(v).clamp(-1, n - 1)),
            stop.map_or(-1, |v| norm(v).clamp(-1, n - 1)),
        )
    };
    let mut out = vec![];
    while (step > 0 && p < stop) || (step < 0 && p > stop) {
        out.push(p as usize);
        p += step;
    }
    out
}

/// One random operation on `l` and the model of its result, or None when the operation was
/// (rightly) refused.
fn step(rng: &mut Rng, l: &Layout, m: &Model, itemsize: usize) -> Option<(Layout, Model)> {
    let nd = l.ndim();
    match rng.below(4) {
        0 => {
            // Basic indexing, one argument per axis plus the odd new axis.
            let mut args = vec![];
            let mut picks: Vec<Option<Vec<usize>>> = vec![];
            for &n in &l.shape {
                if rng.chance(10) {
                    args.push(SliceArg::NewAxis);
                    picks.push(None);
                }
                let b = n as isize + 2;
                let bound = |rng: &mut Rng| {
                    rng.chance(70)
                        .then(|| rng.below(2 * b as usize + 1) as isize - b)
                };
                if rng.chance(20) && n > 0 {
                    let i = rng.below(2 * n) as isize - n as isize;
                    args.push(SliceArg::Index(i));
                    picks.push(Some(vec![
                        (if i < 0 { i + n as isize } else { i }) as usize,
                    ]));
                } else {
                    let (a, z) = (bound(rng), bound(rng));
                    let s = *rng.pick(&[1isize, 1, 2, 3, -1, -2]);
                    args.push(SliceArg::range(a, z, s));
                    picks.push(Some(positions(n, a, z, s)));
                }
            }
            let s = l.slice(&args).ok()?;
            let parent = |out: &[usize]| {
                let mut it = out.iter();
                let mut p = vec![];
                for (a, pick) in args.iter().zip(&picks) {
                    match (a, pick) {
                        (SliceArg::NewAxis, _) => {
                            it.next();
                        }
                        (SliceArg::Index(_), Some(v)) => p.push(v[0]),
                        (_, Some(v)) => p.push(v[*it.next().unwrap()]),
                        _ => unreachable!(),
                    }
                }
                p
            };
            let model = m.derive(s.shape.clone(), parent);
            Some((s, model))
        }
        1 => {
            let mut axes: Vec<usize> = (0..nd).collect();
            for i in (1..nd).rev() {
                axes.swap(i, rng.below(i + 1));
            }
            let p = l.permute(&axes).unwrap();
            let model = m.derive(p.shape.clone(), |out| {
                let mut idx = vec![0; nd];
                for (k, &a) in axes.iter().enumerate() {
                    idx[a] = out[k];
                }
                idx
            });
            Some((p, model))
        }
        2 => {
            // A random shape of the same size: the factors of each extent, regrouped.
            let mut factors: Vec<usize> = vec![];
            for &n in &l.shape {
                let mut n = n;
                for p in [2, 3] {
                    while n > 1 && n % p == 0 {
                        factors.push(p);
                        n /= p;
                    }
                }
                if n != 1 {
                    factors.push(n);
                }
            }
            let mut shape: Vec<isize> = vec![];
            for f in factors {
                match shape.last_mut() {
                    Some(last) if rng.chance(50) => *last *= f as isize,
                    _ => shape.push(f as isize),
                }
                if rng.chance(10) {
                    shape.push(1);
                }
            }
            if l.len() > 1 && rng.chance(30) && !shape.is_empty() {
                let k = rng.below(shape.len());
                shape[k] = -1;
            }
            match l.reshape(&shape, itemsize) {
                // The model: the same elements in the same C order.
                Ok(r) => {
                    let model = Model {
                        shape: r.shape.clone(),
                        offsets: m.offsets.clone(),
                    };
                    Some((r, model))
                }
                Err(gpuarray::Error::Shape(_)) => None,
                Err(e) => panic!("reshape {:?} to {shape:?}: {e}", l.shape),
            }
        }
        _ => {
            // Broadcasting: new leading axes, and extent-1 axes stretched.
            let lead = rng.below(3);
            let mut shape: Vec<usize> = (0..lead).map(|_| rng.below(4)).collect();
            shape.extend(l.shape.iter().map(|&n| {
                if n == 1 && rng.chance(50) {
                    rng.below(4)
                } else {
                    n
                }
            }));
            let b = l.broadcast_to(&shape).ok()?;
            let model = m.derive(shape.clone(), |out| {
                out[lead..]
                    .iter()
                    .zip(&l.shape)
                    .map(|(&i, &n)| if n == 1 { 0 } else { i })
                    .collect()
            });
            Some((b, model))
        }
    }
}

#[test]
fn layout_compositions() {
    let cases = budget(1_000_000);
    let start = Instant::now();
    let mut rng = Rng::new(15);
    let (mut valid, mut ops) = (0, 0);
    for case in 0..cases {
        let itemsize = *rng.pick(&[1usize, 2, 4, 8]);
        let nd = rng.below(5);
        let shape: Vec<usize> = (0..nd).map(|_| rng.below(5)).collect();
        let strides: Vec<isize> = (0..nd)
            .map(|_| (rng.below(25) as isize - 12) * itemsize as isize)
            .collect();
        let (offset, len) = (rng.below(200), rng.below(260));
        let l = Layout::new(shape, strides, offset);
        let m = Model::of(&l);
        let model_ok = m
            .offsets
            .iter()
            .all(|&o| o >= 0 && o + itemsize as i128 <= len as i128)
            && offset <= len;
        let ok = l.validate(itemsize, 1, len).is_ok();
        assert_eq!(
            ok, model_ok,
            "case {case}: {l:?} itemsize {itemsize} len {len}"
        );
        if !ok {
            continue;
        }
        valid += 1;
        let (mut l, mut m) = (l, m);
        for _ in 0..1 + rng.below(4) {
            let Some((next, model)) = step(&mut rng, &l, &m, itemsize) else {
                continue;
            };
            ops += 1;
            assert!(
                next.validate(itemsize, 1, len).is_ok(),
                "case {case}: {next:?}"
            );
            let got: Vec<i128> = next.offsets().map(|o| o as i128).collect();
            assert_eq!(got, model.offsets, "case {case}: {l:?} → {next:?}");
            (l, m) = (next, model);
        }
    }
    done(
        "layouts",
        cases,
        start,
        &format!(", {valid} valid, {ops} operations composed on them"),
    );
}

// ---- views to images -------------------------------------------------------------------------

#[test]
fn views_to_images() {
    let cases = budget(100_000);
    let start = Instant::now();
    let mut rng = Rng::new(42);
    let mut converted = 0;
    for case in 0..cases {
        let (h, w) = (1 + rng.below(7), 1 + rng.below(7));
        let c = *rng.pick(&[1usize, 2, 3, 4]);
        let data: Vec<u8> = (0..h * w * c).map(|_| rng.next_u64() as u8).collect();
        let base = View::from_slice(&data, &[h, w, c]).unwrap();
        // A random crop with steps (negative too), per spatial axis; the model picks the
        // same positions by walking.
        let mut arg = |n: usize| {
            let (a, s) = (rng.below(n) as isize, *rng.pick(&[1isize, 1, 2, -1, -2]));
            (
                SliceArg::range(Some(a), None, s),
                positions(n, Some(a), None, s),
            )
        };
        let ((ay, rows), (ax, cols)) = (arg(h), arg(w));
        let v = base.slice(&[ay, ax, SliceArg::ALL]).unwrap();
        let image = v
            .to_dynamic_image()
            .unwrap_or_else(|e| panic!("case {case}: {:?}: {e}", v.shape()));
        converted += 1;
        assert_eq!(
            (image.height() as usize, image.width() as usize),
            (rows.len(), cols.len()),
            "case {case}"
        );
        assert_eq!(image.color().channel_count() as usize, c, "case {case}");
        let want: Vec<u8> = rows
            .iter()
            .flat_map(|&y| cols.iter().map(move |&x| (y, x)))
            .flat_map(|(y, x)| data[(y * w + x) * c..(y * w + x + 1) * c].to_vec())
            .collect();
        assert_eq!(image.as_bytes(), want, "case {case}");
    }
    done(
        "views → images",
        cases,
        start,
        &format!(", {converted} converted"),
    );
}

// ---- GPU programs ----------------------------------------------------------------------------

/// A host array in f64, C order: the CPU model of a GPU program.
#[derive(Clone, Debug)]
struct Host {
    shape: Vec<usize>,
    v: Vec<f64>,
}

impl Host {
    fn at(&self, idx: &[usize]) -> f64 {
        self.v[flat(&self.shape, idx)]
    }
    fn map(&self, shape: Vec<usize>, f: impl Fn(&[usize]) -> f64) -> Host {
        let v = indices(&shape).iter().map(|i| f(i)).collect();
        Host { shape, v }
    }
}

/// One random program: an input (shapes with 0 and 1, reversed or transposed views), a chain
/// of elementwise ops with scalars and broadcast arrays, and an ending (download, a reduction
/// along an axis, or an FFT along an axis). Returns its description; panics on a disagreement.
fn program(rng: &mut Rng, case: usize) -> String {
    let gpu = common::gpu();
    let nd = 1 + rng.below(3);
    let shape: Vec<usize> = (0..nd)
        .map(|_| *rng.pick(&[0usize, 1, 2, 3, 5, 7]))
        .collect();
    let n: usize = shape.iter().product();
    let data: Vec<f32> = (0..n)
        .map(|_| (rng.below(2001) as f32 - 1000.0) / 250.0)
        .collect();
    let mut a = gpu
        .upload(&View::from_slice(&data, &shape).unwrap())
        .unwrap();
    let mut m = Host {
        shape: shape.clone(),
        v: data.iter().map(|&x| x as f64).collect(),
    };
    let mut what = format!("case {case}: {shape:?}");
    // A strided view: reversed first axis, or all axes transposed.
    match rng.below(3) {
        0 => {
            let mut args = vec![SliceArg::step(-1)];
            args.extend((1..nd).map(|_| SliceArg::ALL));
            a = a.slice(&args).unwrap();
            let n0 = m.shape[0];
            m = m.map(m.shape.clone(), |i| {
                let mut j = i.to_vec();
                j[0] = n0 - 1 - i[0];
                m.at(&j)
            });
            what += " [::-1]";
        }
        1 => {
            a = a.transpose();
            let shape: Vec<usize> = m.shape.iter().rev().copied().collect();
            m = m.map(shape, |i| {
                let j: Vec<usize> = i.iter().rev().copied().collect();
                m.at(&j)
            });
            what += " .T";
        }
        _ => {}
    }
    let f32r = |x: f64| x as f32 as f64;
    for _ in 0..1 + rng.below(3) {
        let op = rng.below(7);
        // The other operand of a binary op: a scalar, or an array broadcast along some axes.
        let other_shape: Vec<usize> = m
            .shape
            .iter()
            .map(|&n| if rng.chance(40) { 1 } else { n })
            .collect();
        let on: usize = other_shape.iter().product();
        let od: Vec<f32> = (0..on)
            .map(|_| (rng.below(401) as f32 - 200.0) / 100.0)
            .collect();
        let oh = Host {
            shape: other_shape.clone(),
            v: od.iter().map(|&x| x as f64).collect(),
        };
        let o = gpu
            .upload(&View::from_slice(&od, &other_shape).unwrap())
            .unwrap();
        let bval = |i: &[usize]| {
            let j: Vec<usize> = i
                .iter()
                .zip(&other_shape)
                .map(|(&k, &n)| if n == 1 { 0 } else { k })
                .collect();
            oh.at(&j)
        };
        let s = (rng.below(9) as f64 - 4.0) / 2.0;
        let (next, name): (_, &str) = match op {
            0 => (a.add(s).unwrap(), "+s"),
            1 => (a.mul(s).unwrap(), "*s"),
            2 => (a.sub(&o).unwrap(), "-b"),
            3 => (a.maximum(&o).unwrap(), "max b"),
            4 => (a.abs().unwrap(), "abs"),
            5 => (a.neg().unwrap(), "neg"),
            _ => (a.mul(&o).unwrap(), "*b"),
        };
        m = m.map(m.shape.clone(), |i| {
            let x = m.at(i);
            f32r(match op {
                0 => x + s,
                1 => x * s,
                2 => x - bval(i),
                3 => x.max(bval(i)),
                4 => x.abs(),
                5 => -x,
                _ => x * bval(i),
            })
        });
        a = next;
        what += &format!(" {name}");
    }
    let scale = 1.0 + m.v.iter().fold(0.0f64, |s, v| s.max(v.abs()));
    let close = |got: &[f64], want: &[f64], tol: f64, what: &str| {
        assert_eq!(got.len(), want.len(), "{what}: length");
        for (k, (g, w)) in got.iter().zip(want).enumerate() {
            assert!(
                (g - w).abs() <= tol,
                "{what}: element {k}: {g} against {w} (±{tol:e})"
            );
        }
    };
    let host = |a: &gpuarray::GpuArray| -> Vec<f64> {
        let h = a.to_host().unwrap();
        h.view()
            .astype(gpuarray::Dtype::F64)
            .unwrap()
            .as_slice::<f64>()
            .unwrap()
            .to_vec()
    };
    let nd = m.shape.len();
    let axis = rng.below(nd);
    let mut out_shape = m.shape.clone();
    out_shape.remove(axis);
    let line = |i: &[usize], k: usize| {
        let mut j = i.to_vec();
        j.insert(axis, k);
        m.at(&j)
    };
    match rng.below(4) {
        0 => {
            what += &format!(" sum(axis {axis})");
            let got = host(&a.sum(Some(&[axis as isize]), false).unwrap());
            let want = m.map(out_shape, |i| (0..m.shape[axis]).map(|k| line(i, k)).sum());
            // f32 sums of ≤ 7 terms of magnitude ≤ scale: a few ε · 7 · scale.
            close(&got, &want.v, 1e-5 * 7.0 * scale, &what);
        }
        1 if m.shape[axis] > 0 => {
            what += &format!(" max(axis {axis})");
            let got = host(&a.max(Some(&[axis as isize]), false).unwrap());
            let want = m.map(out_shape, |i| {
                (0..m.shape[axis])
                    .map(|k| line(i, k))
                    .fold(f64::MIN, f64::max)
            });
            close(&got, &want.v, 0.0, &what);
        }
        2 if m.shape[axis] > 0 => {
            what += &format!(" fft(axis {axis})");
            let y =
                gpuarray::fft::fft(&a, None, axis as isize, gpuarray::fft::Norm::Backward).unwrap();
            let (re, im) = (host(&y.real().unwrap()), host(&y.imag().unwrap()));
            let len = m.shape[axis];
            // The DFT by its definition, in f64, at every index (the transformed axis in place).
            let dft = |part: fn(f64) -> f64| {
                m.map(m.shape.clone(), |i| {
                    let rest: Vec<usize> = i
                        .iter()
                        .enumerate()
                        .filter(|&(d, _)| d != axis)
                        .map(|(_, &v)| v)
                        .collect();
                    (0..len)
                        .map(|t| {
                            let angle =
                                -2.0 * std::f64::consts::PI * (i[axis] * t) as f64 / len as f64;
                            line(&rest, t) * part(angle)
                        })
                        .sum()
                })
            };
            // f32 transforms of ≤ 7 points: within 1e-5 of Σ|x| ≤ 7 · scale.
            close(&re, &dft(f64::cos).v, 1e-5 * 7.0 * scale, &what);
            close(&im, &dft(f64::sin).v, 1e-5 * 7.0 * scale, &what);
        }
        _ => {
            what += " download";
            close(&host(&a), &m.v, 1e-6 * scale, &what);
        }
    }
    what
}

#[test]
fn gpu_programs() {
    let cases = budget(10_000);
    let gpu = common::gpu();
    let start = Instant::now();
    let compiles = gpu.stats().compiles;
    let mut rng = Rng::new(1);
    for case in 0..cases {
        program(&mut rng, case);
    }
    done(
        &format!("GPU programs ({:?})", gpu.info().backend),
        cases,
        start,
        &format!(", {} kernels compiled", gpu.stats().compiles - compiles),
    );
}

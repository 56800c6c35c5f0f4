//! FFT plans and kernels: the transform of every line along the middle axis of a C-contiguous
//! complex64 array seen as `[outer, n, inner]`, written to a new buffer.
//!
//! - Lengths whose prime factors are all ≤ 7 that fit the workgroup memory (lavapipe: 32 KiB,
//!   4096 points): one generated Stockham autosort kernel (radices 8, 4, 2, 3, 5, 7) that reads
//!   each line once into workgroup memory, runs every pass there and writes it once. Lines
//!   along a non-last axis are read and written with the axis stride: no transpose pass.
//! - Such lengths above that: four-step, `n = n1 · n2` with both halves fitting: `n1`-point
//!   transforms along stride `n2`, fused with the twiddle `w_n^(j2·k1)` on their store, then
//!   `n2`-point transforms whose store writes the transposed (natural) order. Two passes through
//!   global memory; lengths up to `cap²` (16 Mi points on lavapipe).
//! - Other lengths: Bluestein (chirp-z), as a convolution through a power-of-two transform of
//!   length `m ≥ 2n − 1`, whose chirp spectrum is computed on the host in f64.
//!
//! Twiddles and chirps are computed in f64 on the host with the phase reduced in integers
//! (`k·j mod n` before multiplying by `2π/n`) and uploaded as f32 tables.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};
use crate::gpu::array::GpuArray;
use crate::gpu::context::{Gpu, lock};
use crate::gpu::kernels::{
    Input, binding as binding_of, groups_2d, storage_with, submit_once, window,
};
use crate::gpu::pool::PooledBuffer;
use crate::view::layout::Layout;

const AUX_WGSL: &str = include_str!("../../../shaders/fft_aux.wgsl");

/// Plans by (kind, length), kept by the [`Gpu`] that made them.
pub(crate) type PlanCache = Mutex<HashMap<(PlanKind, usize), Arc<Plan>>>;

/// What a cached plan is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum PlanKind {
    /// A complex transform of length n.
    Complex,
    /// The post/pre-processing twiddles of a real transform of even length n.
    Real,
}

/// The helper passes of `shaders/fft_aux.wgsl`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Aux {
    Resize = 0,
    BluePre = 1,
    BlueMul = 2,
    BluePost = 3,
    R2cPost = 4,
    C2rPre = 5,
    Hermitian = 6,
    Roll = 7,
}

/// A complex transform of one length, with its tables on the GPU.
pub(crate) enum Plan {
    /// One Stockham kernel per line, in workgroup memory.
    Direct {
        n: usize,
        radices: Vec<usize>,
        twiddles: wgpu::Buffer,
    },
    /// Two Stockham passes through global memory.
    FourStep {
        n1: usize,
        n2: usize,
        radices1: Vec<usize>,
        radices2: Vec<usize>,
        /// `w_n1^e`, then the two-level table of `w_n^e` (see [`Big`]).
        twiddles1: wgpu::Buffer,
        big: Big,
        twiddles2: wgpu::Buffer,
    },
    /// Chirp-z through a power-of-two transform of length m.
    Bluestein {
        n: usize,
        m: usize,
        /// `exp(-πi j² / n)` for `j < n`.
        chirp: wgpu::Buffer,
        /// The spectrum of the conjugate chirp (wrapped to length m), divided by m.
        spectrum: wgpu::Buffer,
        inner: Arc<Plan>,
    },
    /// `w_n^k` for `k ≤ n / 2`: the twiddles of the real transforms' post- and pre-processing.
    Real { twiddles: wgpu::Buffer },
}

/// The four-step twiddle `w_n^e` as the product of two table entries:
/// `w_n^(e mod split) · w_n^(split · (e / split))`, at offsets `lo` and `hi` of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Big {
    n: usize,
    split: usize,
    lo: usize,
    hi: usize,
}

/// The radices of `n` (8s first, then 4 or 2, then 3, 5, 7), or `None` when n has a prime
/// factor above 7.
pub(crate) fn radices(n: usize) -> Option<Vec<usize>> {
    let mut rest = n;
    let mut twos = 0;
    while rest % 2 == 0 && rest > 1 {
        rest /= 2;
        twos += 1;
    }
    let mut out = vec![8; twos / 3];
    match twos % 3 {
        1 => out.push(2),
        2 => out.push(4),
        _ => {}
    }
    for p in [3, 5, 7] {
        while rest % p == 0 {
            rest /= p;
            out.push(p);
        }
    }
    (rest == 1).then_some(out)
}

/// `w_n^(k · step)` for `k < count`, `w_n = exp(-2πi / n)`, computed in f64 with the phase
/// reduced modulo n in integers, rounded to f32.
fn twiddles(n: usize, count: usize, step: usize) -> Vec<[f32; 2]> {
    (0..count)
        .map(|k| {
            let e = ((k as u128 * step as u128) % n as u128) as f64;
            let (s, c) = (-2.0 * std::f64::consts::PI * e / n as f64).sin_cos();
            [c as f32, s as f32]
        })
        .collect()
}

/// Largest number of complex64 points one workgroup holds.
pub(crate) fn capacity(gpu: &Gpu) -> usize {
    (gpu.inner.limits.max_compute_workgroup_storage_size as usize / 8).max(1)
}

fn table(gpu: &Gpu, what: &str, data: &[[f32; 2]]) -> Result<wgpu::Buffer> {
    let data: &[[f32; 2]] = if data.is_empty() { &[[0.0; 2]] } else { data };
    gpu.scoped(&format!("uploading {what}"), || {
        storage_with(gpu, what, bytemuck::cast_slice(data))
    })
}

/// The plan for `(kind, n)`, made once per context.
pub(crate) fn plan(gpu: &Gpu, kind: PlanKind, n: usize) -> Result<Arc<Plan>> {
    if let Some(p) = lock(&gpu.inner.fft_plans).get(&(kind, n)) {
        return Ok(p.clone());
    }
    let plan = Arc::new(make_plan(gpu, kind, n)?);
    lock(&gpu.inner.fft_plans).insert((kind, n), plan.clone());
    Ok(plan)
}

fn make_plan(gpu: &Gpu, kind: PlanKind, n: usize) -> Result<Plan> {
    if kind == PlanKind::Real {
        return Ok(Plan::Real {
            twiddles: table(gpu, "fft real twiddles", &twiddles(n, n / 2 + 1, 1))?,
        });
    }
    let cap = capacity(gpu);
    if let Some(r) = radices(n) {
        if n <= cap {
            return Ok(Plan::Direct {
                n,
                twiddles: table(gpu, "fft twiddles", &twiddles(n, n, 1))?,
                radices: r,
            });
        }
        // n1 · n2 = n with both fitting, as balanced as possible.
        let split = (1..=cap.min(n))
            .filter(|&n1| n % n1 == 0 && n / n1 <= cap)
            .min_by_key(|&n1| n1.abs_diff(n / n1));
        let Some(n1) = split else {
            return Err(Error::unsupported(format!(
                "an FFT of length {n}: lengths above {} (the square of the {cap} points one \
                 workgroup holds on this adapter) are not implemented",
                cap * cap
            )));
        };
        let n2 = n / n1;
        let split = (n as f64).sqrt().ceil() as usize;
        let mut t1 = twiddles(n1, n1, 1);
        let big = Big {
            n,
            split,
            lo: t1.len(),
            hi: t1.len() + split,
        };
        t1.extend(twiddles(n, split, 1));
        t1.extend(twiddles(n, n.div_ceil(split), split));
        return Ok(Plan::FourStep {
            n1,
            n2,
            radices1: radices(n1).expect("a factor of a 7-smooth number"),
            radices2: radices(n2).expect("a factor of a 7-smooth number"),
            twiddles1: table(gpu, "fft twiddles", &t1)?,
            big,
            twiddles2: table(gpu, "fft twiddles", &twiddles(n2, n2, 1))?,
        });
    }
    // Bluestein.
    let m = (2 * n - 1).next_power_of_two();
    let inner = plan(gpu, PlanKind::Complex, m)?;
    // chirp[j] = exp(-πi j² / n) = w_2n^(j² mod 2n).
    let chirp: Vec<[f64; 2]> = (0..n)
        .map(|j| {
            let e = ((j as u128 * j as u128) % (2 * n as u128)) as f64;
            let (s, c) = (-std::f64::consts::PI * e / n as f64).sin_cos();
            [c, s]
        })
        .collect();
    let mut b = vec![[0.0f64; 2]; m];
    for (j, c) in chirp.iter().enumerate() {
        b[j] = [c[0], -c[1]];
        if j > 0 {
            b[m - j] = [c[0], -c[1]];
        }
    }
    host_fft(&mut b);
    let spectrum: Vec<[f32; 2]> = b
        .iter()
        .map(|v| [(v[0] / m as f64) as f32, (v[1] / m as f64) as f32])
        .collect();
    let chirp: Vec<[f32; 2]> = chirp.iter().map(|c| [c[0] as f32, c[1] as f32]).collect();
    Ok(Plan::Bluestein {
        n,
        m,
        chirp: table(gpu, "fft chirp", &chirp)?,
        spectrum: table(gpu, "fft chirp spectrum", &spectrum)?,
        inner,
    })
}

/// An in-place forward radix-2 FFT in f64 (power-of-two length), for the Bluestein tables.
fn host_fft(x: &mut [[f64; 2]]) {
    let n = x.len();
    let bits = n.trailing_zeros();
    if n < 2 {
        return;
    }
    for i in 0..n {
        let j = i.reverse_bits() >> (usize::BITS - bits);
        if j > i {
            x.swap(i, j);
        }
    }
    let w: Vec<[f64; 2]> = (0..n / 2)
        .map(|k| {
            let (s, c) = (-2.0 * std::f64::consts::PI * k as f64 / n as f64).sin_cos();
            [c, s]
        })
        .collect();
    let mut len = 2;
    while len <= n {
        let step = n / len;
        for start in (0..n).step_by(len) {
            for k in 0..len / 2 {
                let t = w[k * step];
                let (a, b) = (x[start + k], x[start + k + len / 2]);
                let bt = [b[0] * t[0] - b[1] * t[1], b[0] * t[1] + b[1] * t[0]];
                x[start + k] = [a[0] + bt[0], a[1] + bt[1]];
                x[start + k + len / 2] = [a[0] - bt[0], a[1] - bt[1]];
            }
        }
        len *= 2;
    }
}

/// Where the lines of one Stockham dispatch are: line `b` has batch coordinates
/// `(b / (d1·d2), (b / d2) mod d1, b mod d2)`; its element k is at
/// `i0·s[0] + i1·s[1] + i2·s[2] + k·s[3]` in the source (`src`) and destination (`dst`).
struct Lines {
    batch: usize,
    d1: usize,
    d2: usize,
    src: [usize; 4],
    dst: [usize; 4],
    scale: f32,
    inverse: bool,
}

impl Plan {
    /// Transforms every line along the middle axis of the C-contiguous complex64 array
    /// `[outer, n, inner]` in `src` into a new buffer of the same shape, times `scale`.
    /// `inverse` flips the sign of the exponent (no 1/n: that is in `scale`).
    pub(crate) fn run(
        &self,
        gpu: &Gpu,
        src: &wgpu::Buffer,
        outer: usize,
        inner: usize,
        inverse: bool,
        scale: f32,
    ) -> Result<PooledBuffer> {
        match self {
            Plan::Direct {
                n,
                radices,
                twiddles,
            } => {
                let n = *n;
                let dst = gpu.buffer((outer * n * inner * 8) as u64, GpuArray::USAGE)?;
                let spec = Stockham::new(gpu, n, radices.clone(), None);
                let strides = [n * inner, 0, 1, inner];
                let lines = Lines {
                    batch: outer * inner,
                    d1: 1,
                    d2: inner,
                    src: strides,
                    dst: strides,
                    scale,
                    inverse,
                };
                spec.dispatch(gpu, twiddles, src, dst.buffer(), &lines)?;
                Ok(dst)
            }
            Plan::FourStep {
                n1,
                n2,
                radices1,
                radices2,
                twiddles1,
                big,
                twiddles2,
            } => {
                let (n1, n2) = (*n1, *n2);
                let n = n1 * n2;
                let size = (outer * n * inner * 8) as u64;
                let tmp = gpu.buffer(size, GpuArray::USAGE)?;
                let step1 = Stockham::new(gpu, n1, radices1.clone(), Some(*big));
                let strides = [n * inner, inner, 1, n2 * inner];
                let lines = Lines {
                    batch: outer * n2 * inner,
                    d1: n2,
                    d2: inner,
                    src: strides,
                    dst: strides,
                    scale: 1.0,
                    inverse,
                };
                step1.dispatch(gpu, twiddles1, src, tmp.buffer(), &lines)?;
                let dst = gpu.buffer(size, GpuArray::USAGE)?;
                let step2 = Stockham::new(gpu, n2, radices2.clone(), None);
                let lines = Lines {
                    batch: outer * n1 * inner,
                    d1: n1,
                    d2: inner,
                    src: [n * inner, n2 * inner, 1, inner],
                    dst: [n * inner, inner, 1, n1 * inner],
                    scale,
                    inverse,
                };
                step2.dispatch(gpu, twiddles2, tmp.buffer(), dst.buffer(), &lines)?;
                Ok(dst)
            }
            Plan::Bluestein {
                n,
                m,
                chirp,
                spectrum,
                inner: sub,
            } => {
                let (n, m) = (*n, *m);
                let batch = outer * inner;
                let words = |count: usize| (count * 8) as u64;
                let a = gpu.buffer(words(batch * m), GpuArray::USAGE)?;
                let params = |scale: f32| {
                    [
                        outer as u32,
                        n as u32,
                        0,
                        inner as u32,
                        scale.to_bits(),
                        inverse as u32,
                        m as u32,
                    ]
                };
                aux(
                    gpu,
                    Aux::BluePre,
                    2,
                    batch * m,
                    src,
                    a.buffer(),
                    Some(chirp),
                    &params(1.0),
                )?;
                let fa = sub.run(gpu, a.buffer(), batch, 1, false, 1.0)?;
                drop(a);
                let prod = gpu.buffer(words(batch * m), GpuArray::USAGE)?;
                aux(
                    gpu,
                    Aux::BlueMul,
                    2,
                    batch * m,
                    fa.buffer(),
                    prod.buffer(),
                    Some(spectrum),
                    &params(1.0),
                )?;
                drop(fa);
                let conv = sub.run(gpu, prod.buffer(), batch, 1, true, 1.0)?;
                drop(prod);
                let dst = gpu.buffer(words(outer * n * inner), GpuArray::USAGE)?;
                aux(
                    gpu,
                    Aux::BluePost,
                    2,
                    outer * n * inner,
                    conv.buffer(),
                    dst.buffer(),
                    Some(chirp),
                    &params(scale),
                )?;
                Ok(dst)
            }
            Plan::Real { .. } => unreachable!("a real plan holds twiddles only"),
        }
    }

    /// The twiddle table of a [`Plan::Real`].
    pub(crate) fn real_twiddles(&self) -> &wgpu::Buffer {
        match self {
            Plan::Real { twiddles } => twiddles,
            _ => unreachable!("asked a complex plan for real twiddles"),
        }
    }
}

/// Runs one helper pass of `shaders/fft_aux.wgsl` over `items` output elements. `params` are
/// `p[2..9]` of the shader's parameter words, then ROLL's (from `p[12]`).
///
/// Larger arrays than one storage binding run in chunks of whole groups (the output elements
/// that read one group of input elements, e.g. one line), `src` and `dst` each bound through
/// the window a chunk reads or writes. ROLL reads anywhere: it runs unchunked.
#[allow(clippy::too_many_arguments)]
pub(crate) fn aux(
    gpu: &Gpu,
    mode: Aux,
    words: u32,
    items: usize,
    src: &wgpu::Buffer,
    dst: &wgpu::Buffer,
    table: Option<&wgpu::Buffer>,
    params: &[u32],
) -> Result<()> {
    if items == 0 {
        return Ok(());
    }
    let module = gpu.module("fft_aux.wgsl", AUX_WGSL)?;
    let key = format!("fft aux {mode:?} words {words}");
    let pipeline = gpu.pipeline(
        &key,
        &module,
        &[("MODE", mode as u32 as f64), ("WORDS", words as f64)],
    )?;
    let mut fixed = params[..params.len().min(7)].to_vec();
    fixed.resize(7, 0);
    let q = |i: usize| fixed[i] as u64;
    // Output and input elements per group: [outer, len_in, len_out, inner, scale, conj, m].
    let (out_group, in_group) = match mode {
        Aux::Resize | Aux::Hermitian => (q(2) * q(3), q(1) * q(3)),
        Aux::BluePre => (q(3) * q(6), q(1) * q(3)),
        Aux::BlueMul => (1, 1),
        Aux::BluePost => (q(1) * q(3), q(3) * q(6)),
        Aux::R2cPost => (q(2), q(1)),
        Aux::C2rPre => (q(1), q(1) + 1),
        Aux::Roll => (items as u64, items as u64),
    };
    let elem = words as u64 * 4;
    let binding = gpu.binding();
    let align = (gpu.inner.limits.min_storage_buffer_offset_alignment as u64).max(16);
    let room = binding.saturating_sub(align + 16);
    let per_group = out_group.max(in_group).max(1) * elem;
    if per_group > room && (mode == Aux::Roll || src.size().max(dst.size()) > binding) {
        return Err(Error::unsupported(format!(
            "an FFT helper pass ({mode:?}) over groups of {per_group} bytes: larger than one \
             storage binding ({binding} bytes)"
        )));
    }
    let chunk = if per_group > room {
        u64::MAX
    } else {
        room / per_group
    };
    let groups_total = (items as u64).div_ceil(out_group.max(1));
    let mut g0 = 0;
    while g0 < groups_total {
        let g1 = g0.saturating_add(chunk).min(groups_total);
        let (e0, e1) = (g0 * out_group, (g1 * out_group).min(items as u64));
        let window = |buffer: &wgpu::Buffer, first: u64, end: u64| {
            let start = first * elem / align * align;
            let end = (end * elem)
                .next_multiple_of(4)
                .min(buffer.size())
                .max(start + 4);
            (start, end)
        };
        let (s0, s1) = if mode == Aux::Roll {
            (0, src.size())
        } else {
            window(src, g0 * in_group, g1 * in_group)
        };
        let (d0, d1) = window(dst, e0, e1);
        let (groups_x, groups_y) = groups_2d((e1 - e0).div_ceil(256));
        let mut p = vec![e1 as u32, groups_x];
        p.extend_from_slice(&fixed);
        p.extend([e0 as u32, (s0 / elem) as u32, (d0 / elem) as u32]);
        p.extend_from_slice(&params[params.len().min(7)..]);
        let table = table.unwrap_or(src);
        let params = storage_with(gpu, "fft params", bytemuck::cast_slice(&p));
        let resources = [
            binding_of(src, s0, s1 - s0),
            binding_of(dst, d0, d1 - d0),
            table.as_entire_binding(),
            params.as_entire_binding(),
        ];
        submit_once(
            gpu,
            &format!("FFT helper pass {mode:?}"),
            &pipeline,
            &resources,
            (groups_x, groups_y),
            |_| {},
        )?;
        g0 = g1;
    }
    Ok(())
}

/// One generated Stockham kernel: lines of length n, `lines` of them per workgroup, all passes
/// in workgroup memory; optionally the four-step twiddle on the store.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Stockham {
    n: usize,
    radices: Vec<usize>,
    lines: usize,
    workgroup: usize,
    big: Option<Big>,
}

/// An f32 WGSL literal.
fn lit(x: f64) -> String {
    format!("{:?}f", x as f32)
}

impl Stockham {
    fn new(gpu: &Gpu, n: usize, radices: Vec<usize>, big: Option<Big>) -> Self {
        let limits = &gpu.inner.limits;
        Stockham::with_limits(
            n,
            radices,
            big,
            capacity(gpu),
            limits
                .max_compute_invocations_per_workgroup
                .min(limits.max_compute_workgroup_size_x) as usize,
        )
    }

    fn with_limits(
        n: usize,
        radices: Vec<usize>,
        big: Option<Big>,
        cap: usize,
        max_invocations: usize,
    ) -> Self {
        // At least 1024 points per workgroup when short lines allow it.
        let lines = (1024 / n).clamp(1, (cap / n).max(1));
        let workgroup = (lines * n / 8)
            .next_power_of_two()
            .clamp(32, 256)
            .min(max_invocations);
        Stockham {
            n,
            radices,
            lines,
            workgroup,
            big,
        }
    }

    fn key(&self) -> String {
        format!("fft stockham {self:?}")
    }

    /// The kernel's WGSL source.
    pub(crate) fn wgsl(&self) -> String {
        let (n, lines, wg) = (self.n, self.lines, self.workgroup);
        let total = n * lines;
        // Sign of the exponent: -1 forward, +1 inverse.
        // Always forward: an inverse conjugates on load and on store (`p[13]` = -1).
        let sign = -1.0;
        let mut s = String::new();
        let w = &mut s;
        writeln!(
            w,
            "// Stockham FFT, n = {n}, radices {:?}, {lines} line(s) per workgroup, conjugated on load and store for an inverse.\n\
             // p: 0 lines, 1 workgroups along x, 2 d1, 3 d2, 4..8 source strides (i0, i1, i2, k),\n\
             // 8..12 destination strides, 12 scale (f32 bits), 13 -1.0 for an inverse, 14 the first line of\n\
             // this dispatch (p[0]: one past its last), 15 and 16 the elements of src and dst at the start of\n\
             // their bindings (windows of the buffers holding this dispatch's lines).\n\
             @group(0) @binding(0) var<storage, read> src: array<vec2<f32>>;\n\
             @group(0) @binding(1) var<storage, read_write> dst: array<vec2<f32>>;\n\
             @group(0) @binding(2) var<storage, read> tw: array<vec2<f32>>;\n\
             @group(0) @binding(3) var<storage, read> p: array<u32>;\n\
             var<workgroup> s: array<vec2<f32>, {total}>;\n\
             fn cmul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {{\n\
             \x20   return vec2<f32>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);\n\
             }}\n\
             fn twiddle(e: u32) -> vec2<f32> {{\n\
             \x20   return tw[e];\n\
             }}\n\
             fn base(b: u32, at: u32) -> u32 {{\n\
             \x20   let t = b / p[3];\n\
             \x20   return (t / p[2]) * p[at] + (t % p[2]) * p[at + 1u] + (b % p[3]) * p[at + 2u];\n\
             }}",
            self.radices,
        )
        .unwrap();
        if let Some(big) = self.big {
            writeln!(
                w,
                "fn big_twiddle(e: u32) -> vec2<f32> {{\n\
                 \x20   return cmul(twiddle({}u + e % {}u), twiddle({}u + e / {}u));\n\
                 }}",
                big.lo, big.split, big.hi, big.split
            )
            .unwrap();
            debug_assert!(big.n == n * (big.n / n));
        }
        writeln!(
            w,
            "@compute @workgroup_size({wg})\n\
             fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {{\n\
             \x20   let first = p[14] + (wid.y * p[1] + wid.x) * {lines}u;\n\
             \x20   let dir = bitcast<f32>(p[13]);\n\
             \x20   for (var e = lid; e < {total}u; e += {wg}u) {{\n\
             \x20       let b = first + e / {n}u;\n\
             \x20       var v = vec2<f32>(0.0);\n\
             \x20       if b < p[0] {{\n\
             \x20           v = src[base(b, 4u) + (e % {n}u) * p[7] - p[15]];\n\
             \x20           v.y = v.y * dir;\n\
             \x20       }}\n\
             \x20       s[e] = v;\n\
             \x20   }}\n\
             \x20   workgroupBarrier();"
        )
        .unwrap();
        let regs = self
            .radices
            .iter()
            .map(|&r| (total / r).div_ceil(wg) * r)
            .max()
            .unwrap_or(0);
        if regs > 0 {
            writeln!(w, "    var r: array<vec2<f32>, {regs}>;").unwrap();
        }
        let mut ns = 1;
        for &radix in &self.radices {
            let q = n / radix;
            let count = lines * q;
            let blocks = count.div_ceil(wg);
            let stride = n / (ns * radix);
            writeln!(w, "    // radix {radix}, {ns} point(s) done").unwrap();
            for jj in 0..blocks {
                let r0 = jj * radix;
                writeln!(
                    w,
                    "    {{\n\
                     \x20       let e = lid + {}u;\n\
                     \x20       if e < {count}u {{\n\
                     \x20           let j = e % {q}u;\n\
                     \x20           let at = (e / {q}u) * {n}u + j;",
                    jj * wg
                )
                .unwrap();
                for t in 0..radix {
                    writeln!(w, "            r[{}] = s[at + {}u];", r0 + t, t * q).unwrap();
                }
                if ns > 1 {
                    writeln!(w, "            let k = j % {ns}u;").unwrap();
                    for t in 1..radix {
                        writeln!(
                            w,
                            "            r[{i}] = cmul(r[{i}], twiddle(k * {}u));",
                            t * stride,
                            i = r0 + t
                        )
                        .unwrap();
                    }
                }
                dft(w, radix, sign, r0);
                writeln!(w, "        }}\n    }}").unwrap();
            }
            writeln!(w, "    workgroupBarrier();").unwrap();
            for jj in 0..blocks {
                let r0 = jj * radix;
                writeln!(
                    w,
                    "    {{\n\
                     \x20       let e = lid + {}u;\n\
                     \x20       if e < {count}u {{\n\
                     \x20           let j = e % {q}u;\n\
                     \x20           let k = j % {ns}u;\n\
                     \x20           let at = (e / {q}u) * {n}u + (j - k) * {radix}u + k;",
                    jj * wg
                )
                .unwrap();
                for t in 0..radix {
                    writeln!(w, "            s[at + {}u] = r[{}];", t * ns, r0 + t).unwrap();
                }
                writeln!(w, "        }}\n    }}").unwrap();
            }
            writeln!(w, "    workgroupBarrier();").unwrap();
            ns *= radix;
        }
        let big = if self.big.is_some() {
            "            v = cmul(v, big_twiddle(((b / p[3]) % p[2]) * k));\n"
        } else {
            ""
        };
        writeln!(
            w,
            "    // (tw[0] = 1: read so that the table stays in the pipeline's layout when no pass uses it.)\n\
             \x20   let scale = bitcast<f32>(p[12]) * tw[0].x;\n\
             \x20   for (var e = lid; e < {total}u; e += {wg}u) {{\n\
             \x20       let b = first + e / {n}u;\n\
             \x20       if b < p[0] {{\n\
             \x20           let k = e % {n}u;\n\
             \x20           var v = s[e] * scale;\n\
             {big}\
             \x20           v.y = v.y * dir;\n\
             \x20           dst[base(b, 8u) + k * p[11] - p[16]] = v;\n\
             \x20       }}\n\
             \x20   }}\n\
             }}"
        )
        .unwrap();
        s
    }

    fn dispatch(
        &self,
        gpu: &Gpu,
        twiddles: &wgpu::Buffer,
        src: &wgpu::Buffer,
        dst: &wgpu::Buffer,
        lines: &Lines,
    ) -> Result<()> {
        if lines.batch == 0 {
            return Ok(());
        }
        // The key names the kernel; its WGSL is generated (and validated) only on a miss.
        let pipeline = gpu.generated_pipeline_keyed(&self.key(), || self.wgsl())?;
        // The lines as a C-order [d0, d1, d2, n] layout of each buffer: lines [b0, b1) are its
        // flat elements [b0·n, b1·n), whose window `kernels::window` finds.
        let n = self.n;
        let shape = vec![lines.batch / (lines.d1 * lines.d2), lines.d1, lines.d2, n];
        let layout = |s: [usize; 4]| Layout::new(shape.clone(), s.map(|v| v as isize).to_vec(), 0);
        let (src_layout, dst_layout) = (layout(lines.src), layout(lines.dst));
        let binding = gpu.binding();
        // Chunks of whole workgroups of lines, halved until both windows fit a binding.
        let per = self.lines;
        let mut chunk = ((binding / (n as u64 * 8)) as usize / per * per).max(per);
        let mut b0 = 0;
        while b0 < lines.batch {
            let b1 = (b0 + chunk).min(lines.batch);
            let (e0, e1) = ((b0 * n) as u64, (b1 * n) as u64);
            let on = |buffer, layout| {
                let input = Input {
                    buffer,
                    layout,
                    itemsize: 8,
                };
                window(gpu, &input, e0, e1)
            };
            let (s, d) = (on(src, &src_layout), on(dst, &dst_layout));
            if s.1 - s.0 > binding || d.1 - d.0 > binding {
                if chunk == per {
                    return Err(Error::unsupported(format!(
                        "FFT lines of {n} points {} elements apart: {per} of them span more \
                         than one storage binding ({binding} bytes)",
                        lines.src[3].max(lines.dst[3])
                    )));
                }
                chunk = (chunk / 2).div_ceil(per) * per;
                continue;
            }
            let groups = (b1 - b0).div_ceil(per);
            let (groups_x, groups_y) = groups_2d(groups as u64);
            let mut p = vec![b1 as u32, groups_x, lines.d1 as u32, lines.d2 as u32];
            p.extend(lines.src.iter().map(|&x| x as u32));
            p.extend(lines.dst.iter().map(|&x| x as u32));
            p.push(lines.scale.to_bits());
            p.push(if lines.inverse { -1.0f32 } else { 1.0 }.to_bits());
            // The window's first element: the kernel subtracts it (wrapping) from each index.
            p.extend([b0 as u32, s.2.wrapping_neg(), d.2.wrapping_neg()]);
            let params = storage_with(gpu, "fft params", bytemuck::cast_slice(&p));
            let resources = [
                binding_of(src, s.0, s.1 - s.0),
                binding_of(dst, d.0, d.1 - d.0),
                twiddles.as_entire_binding(),
                params.as_entire_binding(),
            ];
            submit_once(
                gpu,
                &format!("FFT of length {n}"),
                &pipeline,
                &resources,
                (groups_x, groups_y),
                |_| {},
            )?;
            b0 = b1;
        }
        Ok(())
    }
}

/// Emits the DFT of `radix` points held in `r[r0..r0 + radix]`, in place, exponent sign `sign`.
fn dft(w: &mut String, radix: usize, sign: f64, r0: usize) {
    let x = |t: usize| format!("r[{}]", r0 + t);
    // Multiplication by sign·i.
    let rot = |v: &str| {
        if sign < 0.0 {
            format!("vec2<f32>({v}.y, -{v}.x)")
        } else {
            format!("vec2<f32>(-{v}.y, {v}.x)")
        }
    };
    let dft4 = |w: &mut String, ins: [String; 4], outs: [&str; 4]| {
        writeln!(
            w,
            "            let {o0}t0 = {} + {};\n\
             \x20           let {o0}t1 = {} - {};\n\
             \x20           let {o0}t2 = {} + {};\n\
             \x20           let {o0}d = {} - {};\n\
             \x20           let {o0}t3 = {};\n\
             \x20           let {} = {o0}t0 + {o0}t2;\n\
             \x20           let {} = {o0}t1 + {o0}t3;\n\
             \x20           let {} = {o0}t0 - {o0}t2;\n\
             \x20           let {} = {o0}t1 - {o0}t3;",
            ins[0],
            ins[2],
            ins[0],
            ins[2],
            ins[1],
            ins[3],
            ins[1],
            ins[3],
            rot(&format!("{}d", outs[0])),
            outs[0],
            outs[1],
            outs[2],
            outs[3],
            o0 = outs[0],
        )
        .unwrap();
    };
    w.push_str("            {\n");
    match radix {
        2 => {
            writeln!(
                w,
                "            let a = {}; let b = {};\n            {} = a + b; {} = a - b;",
                x(0),
                x(1),
                x(0),
                x(1)
            )
            .unwrap();
        }
        4 => {
            dft4(w, [x(0), x(1), x(2), x(3)], ["y0", "y1", "y2", "y3"]);
            for t in 0..4 {
                writeln!(w, "            {} = y{t};", x(t)).unwrap();
            }
        }
        8 => {
            dft4(w, [x(0), x(2), x(4), x(6)], ["e0", "e1", "e2", "e3"]);
            dft4(w, [x(1), x(3), x(5), x(7)], ["o0", "o1", "o2", "o3"]);
            let c = std::f64::consts::FRAC_1_SQRT_2;
            writeln!(
                w,
                "            let p1 = cmul(o1, vec2<f32>({}, {}));\n\
                 \x20           let p2 = {};\n\
                 \x20           let p3 = cmul(o3, vec2<f32>({}, {}));",
                lit(c),
                lit(sign * c),
                rot("o2"),
                lit(-c),
                lit(sign * c)
            )
            .unwrap();
            writeln!(
                w,
                "            {} = e0 + o0; {} = e0 - o0;\n\
                 \x20           {} = e1 + p1; {} = e1 - p1;\n\
                 \x20           {} = e2 + p2; {} = e2 - p2;\n\
                 \x20           {} = e3 + p3; {} = e3 - p3;",
                x(0),
                x(4),
                x(1),
                x(5),
                x(2),
                x(6),
                x(3),
                x(7)
            )
            .unwrap();
        }
        _ => {
            // Odd prime: y_q = Σ_t x_t · W^(t·q), W = exp(sign · 2πi / radix).
            for t in 0..radix {
                writeln!(w, "            let x{t} = {};", x(t)).unwrap();
            }
            for q in 0..radix {
                let mut sum = String::from("x0");
                for t in 1..radix {
                    let m = (t * q) % radix;
                    if m == 0 {
                        write!(sum, " + x{t}").unwrap();
                    } else {
                        let (s, c) =
                            (sign * 2.0 * std::f64::consts::PI * m as f64 / radix as f64).sin_cos();
                        write!(sum, " + cmul(x{t}, vec2<f32>({}, {}))", lit(c), lit(s)).unwrap();
                    }
                }
                writeln!(w, "            {} = {sum};", x(q)).unwrap();
            }
        }
    }
    w.push_str("            }\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn validate(source: &str) {
        let module = naga::front::wgsl::parse_str(source)
            .unwrap_or_else(|e| panic!("{}\n{source}", e.emit_to_string(source)));
        naga::valid::Validator::new(
            naga::valid::ValidationFlags::all(),
            naga::valid::Capabilities::empty(),
        )
        .validate(&module)
        .unwrap_or_else(|e| panic!("{}\n{source}", e.emit_to_string(source)));
    }

    #[test]
    fn radices_factor_seven_smooth_lengths() {
        assert_eq!(radices(1), Some(vec![]));
        assert_eq!(radices(4096), Some(vec![8, 8, 8, 8]));
        assert_eq!(radices(2 * 3 * 5 * 7), Some(vec![2, 3, 5, 7]));
        assert_eq!(radices(16), Some(vec![8, 2]));
        assert_eq!(radices(11), None);
        for n in 1..2000 {
            if let Some(r) = radices(n) {
                assert_eq!(r.iter().product::<usize>(), n);
            }
        }
    }

    #[test]
    fn generated_kernels_validate() {
        let big = Big {
            n: 1 << 20,
            split: 1024,
            lo: 1024,
            hi: 2048,
        };
        for (n, big) in [
            (1, None),
            (2, None),
            (105, None),
            (4096, None),
            (1024, Some(big)),
            (7 * 7 * 5 * 3 * 8, None),
        ] {
            let spec = Stockham::with_limits(n, radices(n).unwrap(), big, 4096, 256);
            validate(&spec.wgsl());
        }
    }

    #[test]
    fn host_fft_matches_the_definition() {
        let n = 16;
        let x: Vec<[f64; 2]> = (0..n).map(|j| [j as f64, (j * j % 7) as f64]).collect();
        let mut y = x.clone();
        host_fft(&mut y);
        for (k, yk) in y.iter().enumerate() {
            let mut acc = [0.0, 0.0];
            for (j, xj) in x.iter().enumerate() {
                let (s, c) = (-2.0 * std::f64::consts::PI * (j * k) as f64 / n as f64).sin_cos();
                acc[0] += xj[0] * c - xj[1] * s;
                acc[1] += xj[0] * s + xj[1] * c;
            }
            assert!((acc[0] - yk[0]).abs() < 1e-9 && (acc[1] - yk[1]).abs() < 1e-9);
        }
    }
}

//! FFT plans and kernels: the transform of every line along the middle axis of a C-contiguous
//! complex64 array seen as `[outer, n, inner]`, written to a new buffer.
//!
//! - Lengths whose prime factors are all ≤ 31 ("smooth", [`radices`]) that fit the workgroup
//!   memory (lavapipe: 32 KiB, 4096 points): one generated Stockham autosort kernel
//!   ([`stockham`](super::stockham): passes of radix up to 16 in registers, butterflies 8, 4,
//!   2, 3, 5, 7, 11, 13, and the primes 17 … 31 as a pass of their own) that reads each line
//!   once, keeps it in registers and workgroup memory between passes and writes it once. Lines
//!   along a non-last axis are read and written with the axis stride: no transpose pass.
//! - Such lengths above that: four-step, `n = n1 · n2` with both halves fitting: `n1`-point
//!   transforms along stride `n2`, fused with the twiddle `w_n^(j2·k1)` on their store, then
//!   `n2`-point transforms whose store writes the transposed (natural) order. Two passes through
//!   global memory; lengths up to `cap²` (16 Mi points on lavapipe) whose lines fit a binding.
//! - Longer lines: six-step ([`long`](super::long)), transposes around a Stockham pass and a
//!   sub-plan of length `n / n1`.
//! - Primes above 31: Rader ([`rader`](super::rader)), a cyclic convolution of `p − 1` points.
//! - A smooth factor times such a prime: a Stockham pass, then Rader's ([`split`](super::split)).
//! - Other lengths: Bluestein (chirp-z), as a convolution through a power-of-two transform of
//!   length `m ≥ 2n − 1`, whose chirp spectrum is computed on the host in f64. (A power of two,
//!   not the smallest smooth `m`, which can be up to 2× shorter: a power of two takes the
//!   fewest passes (radix 16) and, on CPU adapters, always pairs its points (`vec4`
//!   accesses), where a smooth length with few factors 2 does not; unmeasured trade.)
//!
//! Twiddles and chirps are computed in f64 on the host with the phase reduced in integers
//! (`k·j mod n` before multiplying by `2π/n`) and uploaded as f32 tables.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::gpu::array::GpuArray;
use crate::gpu::context::Gpu;
use crate::gpu::kernels::{binding as binding_of, groups_2d, storage_with, submit_once};
use crate::gpu::pool::PooledBuffer;

use super::long;
use super::rader::Rader;
use super::split::{self, Split};
use super::stockham::{Lines, Stockham};
use super::windows;

const AUX_WGSL: &str = include_str!("../../../shaders/fft_aux.wgsl");

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
    RaderPre = 8,
    RaderPost = 9,
    RaderDc = 10,
    PairPack = 11,
    PairSplit = 12,
    PairMerge = 13,
    PairUnpack = 14,
}

/// A complex transform of one length, with its tables on the GPU.
pub(crate) enum Plan {
    /// One Stockham kernel per line, in workgroup memory.
    Direct { n: usize, twiddles: wgpu::Buffer },
    /// Two Stockham passes through global memory.
    FourStep {
        n1: usize,
        n2: usize,
        /// `w_n1^e`, then the two-level table of `w_n^e` (see [`Big`]).
        twiddles1: wgpu::Buffer,
        big: Big,
        twiddles2: wgpu::Buffer,
    },
    /// Lines longer than one binding: six-step (transposes, `n1`-point lines with the twiddle,
    /// `sub`'s lines of `n / n1`), in [`long`](super::long).
    Long {
        n1: usize,
        /// `w_n1^e`, then the two-level table of `w_n^e`.
        twiddles1: wgpu::Buffer,
        big: Big,
        sub: Arc<Plan>,
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
    /// A prime length as a cyclic convolution ([`rader`](super::rader)).
    Rader(Rader),
    /// A smooth factor's Stockham pass, then a sub-plan of the rest ([`split`](super::split)).
    Split(Split),
    /// `w_n^k` for `k ≤ n / 2`: the twiddles of the real transforms' post- and pre-processing.
    Real { twiddles: wgpu::Buffer },
}

/// The four-step twiddle `w_n^e` as the product of two table entries:
/// `w_n^(e mod split) · w_n^(split · (e / split))`, at offsets `lo` and `hi` of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Big {
    pub n: usize,
    pub split: usize,
    pub lo: usize,
    pub hi: usize,
}

/// The odd primes a Stockham pass takes as a butterfly. 3, 5 and 7 join other butterflies in a
/// pass of radix up to [`MAX_RADIX`](super::stockham::MAX_RADIX) = 16; 11 and 13 fit such a pass
/// alone (VkFFT's largest radix is 13); 17 … 31 are a pass of their own. 31 is the bound: a
/// radix-R butterfly holds its R complex values and (symmetric form) `R − 1` sums and
/// differences, about 4R f32 registers per invocation: 124 at R = 31, within the 255 of an
/// NVIDIA thread at lower occupancy; above it, a length takes Rader's or Bluestein's route.
pub(crate) const ODD_RADICES: [usize; 10] = [3, 5, 7, 11, 13, 17, 19, 23, 29, 31];

/// The butterflies of `n` (8s first, then 4 or 2, then the odd primes in increasing order), or
/// `None` when n has a prime factor above 31 (the last of [`ODD_RADICES`]): "smooth" lengths
/// in this module's words.
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
    for p in ODD_RADICES {
        while rest % p == 0 {
            rest /= p;
            out.push(p);
        }
    }
    (rest == 1).then_some(out)
}

/// `w_n^(k · step)` for `k < count`, `w_n = exp(-2πi / n)`, computed in f64 with the phase
/// reduced modulo n in integers, rounded to f32.
pub(crate) fn twiddles(n: usize, count: usize, step: usize) -> Vec<[f32; 2]> {
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

pub(crate) fn table(gpu: &Gpu, what: &str, data: &[[f32; 2]]) -> Result<wgpu::Buffer> {
    let data: &[[f32; 2]] = if data.is_empty() { &[[0.0; 2]] } else { data };
    gpu.scoped(&format!("uploading {what}"), || {
        storage_with(gpu, what, bytemuck::cast_slice(data))
    })
}

/// The plan for `(kind, n)`, made once per context (in its [`Cache`](crate::gpu::cache::Cache)).
pub(crate) fn plan(gpu: &Gpu, kind: PlanKind, n: usize) -> Result<Arc<Plan>> {
    gpu.inner
        .cache
        .get_or_make((kind, n), || make_plan(gpu, kind, n))
}

/// Four-step's `n1` of `n = n1 · n2`: both fitting the workgroup (`cap` points), as balanced
/// as possible; `None` above `cap²`.
pub(crate) fn four_step_split(n: usize, cap: usize) -> Option<usize> {
    (1..=cap.min(n))
        .filter(|&n1| n % n1 == 0 && n / n1 <= cap)
        .min_by_key(|&n1| n1.abs_diff(n / n1))
}

fn make_plan(gpu: &Gpu, kind: PlanKind, n: usize) -> Result<Plan> {
    if kind == PlanKind::Real {
        return Ok(Plan::Real {
            twiddles: table(gpu, "fft real twiddles", &twiddles(n, n / 2 + 1, 1))?,
        });
    }
    let cap = capacity(gpu);
    if radices(n).is_some() {
        if n <= cap {
            return Ok(Plan::Direct {
                n,
                twiddles: table(gpu, "fft twiddles", &twiddles(n, n, 1))?,
            });
        }
        let balanced = four_step_split(n, cap);
        // Six-step for lines longer than a binding, or than four-step reaches (cap²).
        let n1 = match balanced {
            Some(n1) if !long::too_long(gpu, n) => n1,
            _ => {
                let n1 = long::split(n, cap, balanced);
                let (t1, big) = four_step_table(n, n1);
                return Ok(Plan::Long {
                    n1,
                    twiddles1: table(gpu, "fft twiddles", &t1)?,
                    big,
                    sub: plan(gpu, PlanKind::Complex, n / n1)?,
                });
            }
        };
        let n2 = n / n1;
        let (t1, big) = four_step_table(n, n1);
        return Ok(Plan::FourStep {
            n1,
            n2,
            twiddles1: table(gpu, "fft twiddles", &t1)?,
            big,
            twiddles2: table(gpu, "fft twiddles", &twiddles(n2, n2, 1))?,
        });
    }
    if let Some(rader) = Rader::new(gpu, n)? {
        return Ok(Plan::Rader(rader));
    }
    if let Some(factors) = split::factors(gpu, n) {
        return Ok(Plan::Split(Split::new(gpu, factors)?));
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

/// The first four-step table of `n = n1 · n2`: `w_n1^e` for `e < n1`, then the two-level table
/// of `w_n^e` that [`Big`] reads.
pub(crate) fn four_step_table(n: usize, n1: usize) -> (Vec<[f32; 2]>, Big) {
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
    (t1, big)
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

/// The seven parameters of the padded-line passes (`BLUE_*`, `RADER_*`): `[outer, n, 0, inner,
/// scale, inverse, m]`.
pub(crate) fn padded_params(
    (outer, n, inner, m): (usize, usize, usize, usize),
    inverse: bool,
    scale: f32,
) -> [u32; 7] {
    [
        outer as u32,
        n as u32,
        0,
        inner as u32,
        scale.to_bits(),
        inverse as u32,
        m as u32,
    ]
}

/// The convolution Bluestein's and Rader's plans share, for the lines of `n` along the middle
/// axis of `[outer, n, inner]` in `src`: the `pre` pass into `outer · inner` padded lines of `m`,
/// their forward transform (`sub`, length m), the product with a kernel spectrum (`mul`), the
/// inverse transform, and the `post` pass into a new buffer of the input's shape, times
/// `scale`. Each pass comes with the table it reads.
pub(crate) fn convolve(
    gpu: &Gpu,
    sub: &Plan,
    src: &wgpu::Buffer,
    (outer, n, inner, m): (usize, usize, usize, usize),
    (inverse, scale): (bool, f32),
    [pre, mul, post]: [(Aux, &wgpu::Buffer); 3],
) -> Result<PooledBuffer> {
    let batch = outer * inner;
    let words = |count: usize| (count * 8) as u64;
    let params = |scale: f32| padded_params((outer, n, inner, m), inverse, scale);
    let a = gpu.buffer(words(batch * m), GpuArray::USAGE)?;
    aux(
        gpu,
        pre.0,
        2,
        batch * m,
        src,
        a.buffer(),
        Some(pre.1),
        &params(1.0),
    )?;
    let fa = sub.run(gpu, a.buffer(), batch, 1, false, 1.0)?;
    drop(a);
    let prod = gpu.buffer(words(batch * m), GpuArray::USAGE)?;
    aux(
        gpu,
        mul.0,
        2,
        batch * m,
        fa.buffer(),
        prod.buffer(),
        Some(mul.1),
        &params(1.0),
    )?;
    drop(fa);
    let conv = sub.run(gpu, prod.buffer(), batch, 1, true, 1.0)?;
    drop(prod);
    let dst = gpu.buffer(words(outer * n * inner), GpuArray::USAGE)?;
    aux(
        gpu,
        post.0,
        2,
        outer * n * inner,
        conv.buffer(),
        dst.buffer(),
        Some(post.1),
        &params(scale),
    )?;
    Ok(dst)
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
            Plan::Direct { n, twiddles } => {
                let n = *n;
                let dst = gpu.buffer((outer * n * inner * 8) as u64, GpuArray::USAGE)?;
                let spec = Stockham::new(gpu, n, None, inner > 1);
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
                twiddles1,
                big,
                twiddles2,
            } => {
                let (n1, n2) = (*n1, *n2);
                let n = n1 * n2;
                let size = (outer * n * inner * 8) as u64;
                let tmp = gpu.buffer(size, GpuArray::USAGE)?;
                let step1 = Stockham::new(gpu, n1, Some(*big), true);
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
                let step2 = Stockham::new(gpu, n2, None, inner > 1);
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
            Plan::Long {
                n1,
                twiddles1,
                big,
                sub,
            } => {
                if inner > 1 {
                    return long::along_a_copy(
                        gpu,
                        self,
                        src,
                        (outer, big.n, inner),
                        inverse,
                        scale,
                    );
                }
                long::run(gpu, (*n1, twiddles1, *big), sub, src, outer, inverse, scale)
            }
            Plan::Bluestein { n, m, .. } if inner > 1 && long::too_long(gpu, *m * inner) => {
                // Bluestein's passes bind whole padded lines, `inner` apart: take a copy with
                // the axis last.
                long::along_a_copy(gpu, self, src, (outer, *n, inner), inverse, scale)
            }
            Plan::Bluestein {
                n,
                m,
                chirp,
                spectrum,
                inner: sub,
            } => convolve(
                gpu,
                sub,
                src,
                (outer, *n, inner, *m),
                (inverse, scale),
                [
                    (Aux::BluePre, chirp),
                    (Aux::BlueMul, spectrum),
                    (Aux::BluePost, chirp),
                ],
            ),
            Plan::Rader(rader) if inner > 1 && long::too_long(gpu, rader.m * inner) => {
                // Rader's passes, like Bluestein's, bind whole padded lines `inner` apart.
                long::along_a_copy(gpu, self, src, (outer, rader.n, inner), inverse, scale)
            }
            Plan::Rader(rader) => rader.run(gpu, src, outer, inner, inverse, scale),
            Plan::Split(s) if inner > 1 && long::too_long(gpu, s.n1 * s.n2 * inner) => {
                // The Stockham pass binds whole lines, `inner` apart.
                long::along_a_copy(gpu, self, src, (outer, s.n1 * s.n2, inner), inverse, scale)
            }
            Plan::Split(s) => s.run(gpu, src, outer, inner, inverse, scale),
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
/// Larger arrays than one storage binding run in chunks ([`windows::chunks`]: whole groups of
/// output elements that read one group of input elements, e.g. one line, or pieces of a group
/// larger than a binding), `src` and `dst` each bound through the window a chunk reads or
/// writes.
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
    let extra = &params[params.len().min(7)..];
    let elem = words as u64 * 4;
    let binding = gpu.binding();
    let align = (gpu.inner.limits.min_storage_buffer_offset_alignment as u64).max(16);
    let room = binding.saturating_sub(align + 16) / elem;
    let wide = |v: &[u32]| v.iter().map(|&x| x as u64).collect::<Vec<u64>>();
    let fixed_wide: [u64; 7] = wide(&fixed).try_into().expect("seven words");
    let (src_len, dst_len) = (src.size() / elem, dst.size() / elem);
    let chunks = if src.size().max(dst.size()) <= binding {
        None
    } else {
        windows::chunks(mode, &fixed_wide, &wide(extra), items as u64, src_len, room)
    };
    let chunks = match chunks {
        Some(chunks) => chunks,
        None if src.size().max(dst.size()) <= binding => vec![windows::Chunk {
            e0: 0,
            e1: items as u64,
            s0: 0,
            s1: src_len,
        }],
        None => {
            return Err(Error::unsupported(format!(
                "an FFT helper pass ({mode:?}) whose lines are larger than one storage \
                 binding ({binding} bytes)"
            )));
        }
    };
    for c in chunks {
        // Binding windows: aligned starts, whole words, at least one word.
        let window = |buffer: &wgpu::Buffer, first: u64, end: u64| {
            let start = first * elem / align * align;
            let end = (end * elem)
                .next_multiple_of(4)
                .min(buffer.size())
                .max(start + 4);
            (start, end)
        };
        let (s0, s1) = window(src, c.s0, c.s1);
        // PAIR_UNPACK's items are float32: its window in (two-word) elements.
        let (e0, e1) = match mode {
            Aux::PairUnpack => (c.e0 / 2, c.e1.div_ceil(2)),
            _ => (c.e0, c.e1),
        };
        let (d0, d1) = window(dst, e0, e1.min(dst_len));
        let (groups_x, groups_y) = groups_2d((c.e1 - c.e0).div_ceil(256));
        let mut p = vec![c.e1 as u32, groups_x];
        p.extend_from_slice(&fixed);
        p.extend([c.e0 as u32, (s0 / elem) as u32, (d0 / elem) as u32]);
        p.extend_from_slice(extra);
        let params = gpu.replayed_params(&p)?;
        // A pass without a table binds its source window there (unread; at least one vec2):
        // the whole source could exceed the adapter's binding limit.
        let table = match table {
            Some(t) => t.as_entire_binding(),
            None => binding_of(src, s0, (s1.max(s0 + 8)).min(src.size()) - s0),
        };
        let resources = [
            binding_of(src, s0, s1 - s0),
            binding_of(dst, d0, d1 - d0),
            table,
            params.binding(),
        ];
        submit_once(
            gpu,
            &format!("FFT helper pass {mode:?}"),
            &pipeline,
            &resources,
            (groups_x, groups_y),
            |_| {},
        )?;
    }
    Ok(())
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
    fn radices_factor_smooth_lengths() {
        assert_eq!(radices(1), Some(vec![]));
        assert_eq!(radices(4096), Some(vec![8, 8, 8, 8]));
        assert_eq!(radices(2 * 3 * 5 * 7), Some(vec![2, 3, 5, 7]));
        assert_eq!(radices(16), Some(vec![8, 2]));
        assert_eq!(radices(11), Some(vec![11]));
        assert_eq!(radices(4092), Some(vec![4, 3, 11, 31]));
        assert_eq!(radices(29 * 31 * 8), Some(vec![8, 29, 31]));
        assert_eq!(radices(37), None);
        assert_eq!(radices(2 * 31 * 37), None);
        for n in 1..5000 {
            // Smooth exactly when no prime factor exceeds 31.
            let (mut rest, mut largest, mut d) = (n, 1, 2);
            while rest > 1 {
                while rest % d == 0 {
                    rest /= d;
                    largest = d;
                }
                d += 1;
            }
            assert_eq!(radices(n).is_some(), largest <= 31, "{n}");
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
            // Every prime radix above 7, alone and beside others; four-step with radix 31.
            (11, None),
            (13, None),
            (17 * 2, None),
            (19 * 3, None),
            (23 * 4, None),
            (29 * 8, None),
            (4092, None),
            (4004, None),
            (1023, Some(big)),
        ] {
            for interleaved in [false, true] {
                let spec = Stockham::with_limits(n, big, interleaved, 4096, 256);
                validate(&spec.wgsl());
            }
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

//! Rader's algorithm: the DFT of a prime length `p` (above 31: smaller primes are Stockham
//! butterflies) as a cyclic convolution of length `p − 1`, done through a smooth transform
//! (prime factors ≤ 31, [`radices`]), so a prime costs about what a smooth length of the same
//! size does (Bluestein needs a power of two ≥ 2p − 1).
//!
//! With `g` a primitive root modulo `p`, every nonzero index is a power of `g`: writing the input
//! index `j = g^q` and the output index `k = g^(−r)` turns
//! `X[k] = x[0] + Σ_{j≥1} x[j]·w^(j·k)` (`w = exp(−2πi/p)`) into
//!
//! ```text
//! X[g^(−r)] = x[0] + Σ_q a[q]·b[r − q mod (p−1)],   a[q] = x[g^q],   b[s] = w^(g^(−s))
//! ```
//!
//! a cyclic convolution of length `L = p − 1`. It is computed as `IFFT(FFT(a) · FFT(b) / m)` with
//! `m = L` when `L` is smooth (4093: `L = 4092 = 4·3·11·31`), otherwise with both zero-padded
//! to the smallest smooth `m ≥ 2L − 1` (`b` wrapped around, as Bluestein does) so that the
//! linear convolution does not alias. Two more facts remove every separate term:
//! - `Σ_s b[s] = Σ_{j=1}^{p−1} w^j = −1`, so convolving `a[q] − x[0]` instead of `a[q]` adds
//!   `x[0]` to every output: the convolution is `X[g^(−r)]` itself.
//! - `X[0] = Σ_j x[j]`: one compensated (Kahan) sum per line, so its error does not grow with p.
//!
//! Passes (`shaders/fft_aux.wgsl`): RADER_PRE (the permuted, shifted input, zero-padded to m),
//! the forward m-point transform, BLUE_MUL (the spectrum of `b`, computed on the host in f64 and
//! divided by m), the inverse m-point transform, RADER_POST (the inverse permutation, the
//! scale) and RADER_DC (`X[0]`). The permutations `g^q mod p` and `r(k)` (`g^(−r(k)) = k`) are
//! one host table of f32 integers (exact below 2^24).

use std::sync::Arc;

use rustfft::FftPlanner;
use rustfft::num_complex::Complex64;

use crate::error::Result;
use crate::gpu::array::GpuArray;
use crate::gpu::context::Gpu;
use crate::gpu::pool::PooledBuffer;

use super::plan::{Aux, Plan, PlanKind, aux, convolve, padded_params, plan, radices};
use super::rader_kernel::RaderKernel;

/// Primes up to this take Rader's route: the permutation table holds indices as exact f32
/// integers.
const MAX_PRIME: usize = 1 << 24;

/// A prime length's transform as a cyclic convolution, with its tables on the GPU.
pub(crate) struct Rader {
    /// The prime length.
    pub(crate) n: usize,
    /// The convolution's transform length: `n − 1`, or a smooth length ≥ `2n − 3`.
    pub(crate) m: usize,
    /// `[g^q mod n, r(q)]` for `q < n` (f32 integers): where RADER_PRE reads the input of
    /// convolution slot q, and which slot RADER_POST reads for output q.
    perm: wgpu::Buffer,
    /// The spectrum of `b` (padded to m), divided by m.
    spectrum: wgpu::Buffer,
    /// The m-point transform.
    conv: Arc<Plan>,
    /// The fused kernel and its table, where the convolution line fits the workgroup memory.
    fused: Option<(RaderKernel, wgpu::Buffer)>,
}

/// Whether `n` is prime (trial division: `n` below [`MAX_PRIME`]).
fn is_prime(n: usize) -> bool {
    n >= 2 && (2..).take_while(|d| d * d <= n).all(|d| n % d != 0)
}

/// The distinct prime factors of `n`.
fn prime_factors(mut n: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut d = 2;
    while d * d <= n {
        if n % d == 0 {
            out.push(d);
            while n % d == 0 {
                n /= d;
            }
        }
        d += 1;
    }
    if n > 1 {
        out.push(n);
    }
    out
}

/// `base^e mod p`.
pub(super) fn pow_mod(mut base: u64, mut e: u64, p: u64) -> u64 {
    let mut acc = 1 % p;
    base %= p;
    while e > 0 {
        if e & 1 == 1 {
            acc = acc * base % p;
        }
        base = base * base % p;
        e >>= 1;
    }
    acc
}

/// The smallest primitive root modulo the prime `p`: `g^(L/q) ≠ 1` for every prime `q | L`.
fn primitive_root(p: usize) -> usize {
    let l = p - 1;
    let factors = prime_factors(l);
    (1..p)
        .find(|&g| {
            factors
                .iter()
                .all(|&q| pow_mod(g as u64, (l / q) as u64, p as u64) != 1)
        })
        .expect("a prime has a primitive root")
}

/// The convolution's transform length for the prime `p`: `p − 1` when it is smooth, else the
/// smallest smooth length ≥ `2(p − 1) − 1`.
fn conv_length(p: usize) -> usize {
    let l = p - 1;
    if radices(l).is_some() {
        return l;
    }
    (2 * l - 1..)
        .find(|&m| radices(m).is_some())
        .expect("smooth numbers are unbounded")
}

/// The host tables of the prime `p` with convolution length `m`: the permutation pairs and the
/// spectrum of `b` divided by m, in f64.
fn tables(p: usize, g: usize, m: usize) -> (Vec<[f32; 2]>, Vec<Complex64>) {
    let l = p - 1;
    // pow[q] = g^q mod p; slot[k] = r with g^(−r) = k, i.e. r = (L − log_g k) mod L.
    let mut pow = vec![0usize; l];
    let mut slot = vec![0usize; p];
    let mut v = 1;
    for (q, out) in pow.iter_mut().enumerate() {
        *out = v;
        slot[v] = (l - q) % l;
        v = v * g % p;
    }
    let perm = (0..p)
        .map(|q| [pow.get(q).copied().unwrap_or(0) as f32, slot[q] as f32])
        .collect();
    // b[s] = w^(g^(−s)) = w^(pow[(L − s) mod L]), the phase reduced in integers.
    let b = |s: usize| {
        let e = pow[(l - s % l) % l] as f64;
        Complex64::from_polar(1.0, -2.0 * std::f64::consts::PI * e / p as f64)
    };
    let mut padded = vec![Complex64::default(); m];
    if m == l {
        for (s, v) in padded.iter_mut().enumerate() {
            *v = b(s);
        }
    } else {
        // b at the differences −(L−1) … L−1 of a linear convolution, wrapped modulo m.
        for s in 0..l {
            padded[s] = b(s);
            if s > 0 {
                padded[m - s] = b(l - s);
            }
        }
    }
    FftPlanner::<f64>::new()
        .plan_fft_forward(m)
        .process(&mut padded);
    let spectrum = padded.iter().map(|v| v / m as f64).collect();
    (perm, spectrum)
}

impl Rader {
    /// Rader's plan for `n` if `n` is a prime that takes this route (above 31: smaller primes
    /// are Stockham butterflies).
    pub(crate) fn new(gpu: &Gpu, n: usize) -> Result<Option<Rader>> {
        if !Rader::takes(gpu, n) {
            return Ok(None);
        }
        let m = conv_length(n);
        let conv = plan(gpu, PlanKind::Complex, m)?;
        let g = primitive_root(n);
        let (perm, spectrum) = tables(n, g, m);
        let spectrum: Vec<[f32; 2]> = spectrum
            .iter()
            .map(|v| [v.re as f32, v.im as f32])
            .collect();
        let fused = match RaderKernel::new(gpu, n, g, m) {
            Some(kernel) => {
                let table = super::plan::table(gpu, "fft rader table", &kernel.table(&spectrum))?;
                Some((kernel, table))
            }
            None => None,
        };
        Ok(Some(Rader {
            fused,
            n,
            m,
            perm: super::plan::table(gpu, "fft rader permutation", &perm)?,
            spectrum: super::plan::table(gpu, "fft rader spectrum", &spectrum)?,
            conv,
        }))
    }

    /// Whether `n` takes Rader's route: a prime above 31 whose padded line fits a binding (its
    /// permuting passes read a whole padded line at once: longer ones take Bluestein, whose
    /// passes split a line).
    pub(crate) fn takes(gpu: &Gpu, n: usize) -> bool {
        radices(n).is_none()
            && n < MAX_PRIME
            && is_prime(n)
            && !super::long::too_long(gpu, conv_length(n))
    }

    /// [`Plan::run`] for a prime length: every line along the middle axis of
    /// `[outer, n, inner]` in `src`, into a new buffer.
    pub(crate) fn run(
        &self,
        gpu: &Gpu,
        src: &wgpu::Buffer,
        outer: usize,
        inner: usize,
        inverse: bool,
        scale: f32,
    ) -> Result<PooledBuffer> {
        if let Some((kernel, table)) = &self.fused {
            // One dispatch (per chunk of lines within a binding).
            let dst = gpu.buffer((outer * self.n * inner * 8) as u64, GpuArray::USAGE)?;
            let lines = (outer, inner);
            if kernel.dispatch(gpu, table, src, dst.buffer(), lines, inverse, scale)? {
                return Ok(dst);
            }
        }
        let shape = (outer, self.n, inner, self.m);
        let dst = convolve(
            gpu,
            &self.conv,
            src,
            shape,
            (inverse, scale),
            [
                (Aux::RaderPre, &self.perm),
                (Aux::BlueMul, &self.spectrum),
                (Aux::RaderPost, &self.perm),
            ],
        )?;
        // X[0]: the sum of each line, over the output.
        aux(
            gpu,
            Aux::RaderDc,
            2,
            outer * self.n * inner,
            src,
            dst.buffer(),
            None,
            &padded_params(shape, inverse, scale),
        )?;
        Ok(dst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The DFT by its definition, in f64.
    fn dft(x: &[Complex64]) -> Vec<Complex64> {
        let n = x.len();
        (0..n)
            .map(|k| {
                x.iter()
                    .enumerate()
                    .map(|(j, v)| {
                        let e = (j * k % n) as f64;
                        v * Complex64::from_polar(1.0, -2.0 * std::f64::consts::PI * e / n as f64)
                    })
                    .sum()
            })
            .collect()
    }

    /// The passes' arithmetic on the host in f64: permute and shift, convolve through the
    /// spectrum, permute back, sum for X[0].
    fn rader_on_host(x: &[Complex64]) -> Vec<Complex64> {
        let p = x.len();
        let m = conv_length(p);
        let (perm, spectrum) = tables(p, primitive_root(p), m);
        let mut planner = FftPlanner::<f64>::new();
        let mut a = vec![Complex64::default(); m];
        for q in 0..p - 1 {
            a[q] = x[perm[q][0] as usize] - x[0];
        }
        planner.plan_fft_forward(m).process(&mut a);
        a.iter_mut().zip(&spectrum).for_each(|(v, s)| *v *= s);
        planner.plan_fft_inverse(m).process(&mut a);
        let mut out: Vec<Complex64> = (0..p).map(|k| a[perm[k][1] as usize]).collect();
        out[0] = x.iter().sum();
        out
    }

    #[test]
    fn primitive_roots_generate_every_nonzero_residue() {
        for p in [11, 13, 17, 23, 1009, 4093, 4099] {
            let g = primitive_root(p);
            let mut seen = vec![false; p];
            let mut v = 1;
            for _ in 0..p - 1 {
                assert!(!seen[v], "{g} is not a primitive root of {p}");
                seen[v] = true;
                v = v * g % p;
            }
        }
        assert_eq!(primitive_root(23), 5);
    }

    #[test]
    fn convolution_lengths_are_smooth_and_long_enough() {
        assert_eq!(conv_length(1009), 1008);
        // p − 1 with factors 11 … 31: cyclic, no padding (4093 was padded to 8192).
        assert_eq!(conv_length(4093), 4092);
        assert_eq!(conv_length(2003), 2002);
        assert_eq!(conv_length(8191), 8190);
        // 4098 = 2·3·683, 82 = 2·41: padded (8208 = 16·27·19, 165 = 3·5·11).
        assert_eq!(conv_length(4099), 8208);
        assert_eq!(conv_length(83), 165);
        for p in (37..5000).filter(|&p| is_prime(p)) {
            let m = conv_length(p);
            assert!(radices(m).is_some());
            assert!(m == p - 1 || m >= 2 * p - 3, "{p}: {m}");
        }
    }

    #[test]
    fn the_tables_give_the_dft() {
        // Cyclic (p − 1 = 12, 1008 and 4092 = 4·3·11·31) and padded (p − 1 = 82 = 2·41,
        // 1030 = 2·5·103) cases.
        for p in [13, 83, 1009, 1031, 4093] {
            let x: Vec<Complex64> = (0..p)
                .map(|j| Complex64::new((j % 7) as f64 - 3.0, (j * j % 5) as f64))
                .collect();
            let want = dft(&x);
            let got = rader_on_host(&x);
            let err = got
                .iter()
                .zip(&want)
                .map(|(g, w)| (g - w).norm())
                .fold(0.0, f64::max);
            assert!(err < 1e-8 * p as f64, "p = {p}: {err:e}");
        }
    }
}

//! Rader's algorithm fused into one generated kernel: for a prime `p` whose convolution line of
//! `m` points fits the workgroup memory, every line of a batch in one dispatch — the permuted
//! load, the forward m-point Stockham passes, the product with the kernel's spectrum, the
//! inverse passes and the permuted store, with `X[0]` on the side. The six-dispatch route of
//! [`rader`](super::rader) remains for what does not fit.
//!
//! Walk-through of one line (`L = p − 1`, `g` the primitive root, `w = exp(−2πi/p)`; the
//! notation of [`rader`](super::rader)):
//! 1. **Load** (the first forward pass): slot `q` of the convolution gets `x[g^q] − x[0]`
//!    (zero for `L ≤ q < m`). A pass reads the `R` points `j + t·Q` (`Q = m / R`), so
//!    `g^(j + t·Q) = g^j · (g^Q)^t mod p`: one table read (`g^j`) per `R` points, then
//!    multiplications by a constant of the source modulo the constant `p`.
//! 2. **Forward**: the Stockham passes of `m` ([`passes`], butterflies by [`dft_nested`]), in
//!    registers and workgroup memory. The last one holds the spectrum `A` in natural order.
//! 3. **Spectrum product** in registers, on the last forward pass' outputs: `A[o] · B[o] / m`
//!    (the host's f64 spectrum), conjugated, so that the inverse is again a forward transform:
//!    `IFFT(Y) = conj(FFT(conj Y))` and every pass uses one twiddle table.
//! 4. **Inverse**: the same passes in reverse order. The first of them (radix `R` of the
//!    forward's last, no twiddles) reads the points `j + t·m/R`, which are exactly the outputs
//!    the forward's last pass holds for the same `j`: it follows in the same registers, with
//!    no trip through workgroup memory between them (two accesses per point and two barriers
//!    fewer). The last inverse pass writes convolution slot `o < L`, which is
//!    `X[g^(−o)]` (the shift by `x[0]` above folds `x[0]` into every output), at
//!    `g^(−o) = g^(−j) · (g^(−S))^t mod p` for the pass' points `o = j + t·S`.
//! 5. **`X[0]`**: `Σ_j x[j] = A[0] + p·x[0]`, because `A[0] = Σ_q (x[g^q] − x[0])` padded with
//!    zeros. `A[0]` is the forward transform's own sum (pairwise by construction: its error
//!    grows like `log m`, not `m`), so the invocation holding it stores `X[0]` during step 3;
//!    no reduction pass.
//!
//! An inverse transform conjugates on load and on store (`p[5]` = −1), as the Stockham kernel
//! does. Cost per point (lavapipe counts memory accesses): a gather, a spectrum read, a store
//! and two workgroup-memory accesses per pass boundary (`2P − 2` boundaries for `P` passes) —
//! one dispatch, where the six-dispatch route takes every point through global memory about
//! twelve times.

use std::fmt::Write as _;

use crate::error::Result;
use crate::gpu::context::Gpu;
use crate::gpu::kernels::{Input, binding as binding_of, groups_2d, submit_once, window};
use crate::view::layout::Layout;

use super::plan::capacity;
use super::rader::pow_mod;
use super::stockham::{MAX_RADIX, dft_nested, passes, twiddle_powers};

/// The fused kernel of one prime `p` with convolution length `m` (smooth, `m ≤ capacity`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct RaderKernel {
    p: usize,
    m: usize,
    /// The primitive root modulo p.
    g: usize,
    passes: Vec<Vec<usize>>,
    /// Lines per workgroup.
    lines: usize,
    workgroup: usize,
}

/// `g^e mod p`.
fn power(g: usize, e: usize, p: usize) -> usize {
    pow_mod(g as u64, e as u64, p as u64) as usize
}

/// The workgroup size (at most `max`) for passes of `(radix, butterflies)` on a CPU adapter,
/// given the power of two `pow2` of other adapters: lavapipe runs an access for every SIMD lane of the workgroup
/// (8 lanes of 32 bits), idle or not (a loop with a mask test per lane), so the multiple of 8
/// that leaves the fewest lanes idle over the passes (radix × butterflies, rounded up to whole
/// workgroups), the largest of equals. No pass takes more rounds of the workgroup than with
/// `pow2`: each round is a copy of the pass' code, and a cold compile of the kernel (GL) costs
/// seconds already. 4092 ([4·3], [11], [31]: 341, 372 and 132 butterflies, two rounds, two and
/// one with 256): 192, 14784 lane slots for 12276 points, where 256 runs 19712.
fn lean_workgroup(items: &[(usize, usize)], pow2: usize, max: usize) -> usize {
    let rounds = |w: usize| items.iter().map(move |&(_, n)| n.div_ceil(w));
    (1..=max.min(256) / 8)
        .rev()
        .map(|k| 8 * k)
        .filter(|&w| rounds(w).zip(rounds(pow2)).all(|(a, b)| a <= b))
        .min_by_key(|&w| {
            items
                .iter()
                .map(|&(radix, n)| radix * n.div_ceil(w) * w)
                .sum::<usize>()
        })
        .unwrap_or(pow2)
}

impl RaderKernel {
    /// The fused kernel for the prime `p` (primitive root `g`, convolution length `m`) on
    /// `gpu`, or `None` when the convolution line does not fit the workgroup memory.
    pub(crate) fn new(gpu: &Gpu, p: usize, g: usize, m: usize) -> Option<Self> {
        let limits = &gpu.inner.limits;
        let invocations = limits
            .max_compute_invocations_per_workgroup
            .min(limits.max_compute_workgroup_size_x) as usize;
        let cpu = gpu.info().device_type == wgpu::DeviceType::Cpu;
        RaderKernel::with_limits(p, g, m, capacity(gpu), invocations, cpu)
    }

    /// `cpu`: a workgroup sized for lavapipe's lanes ([`lean_workgroup`]); other adapters keep
    /// the Stockham kernel's power of two.
    pub(crate) fn with_limits(
        p: usize,
        g: usize,
        m: usize,
        cap: usize,
        max_invocations: usize,
        cpu: bool,
    ) -> Option<Self> {
        // The index products `g^j · c` stay below p² < 2^32.
        if m > cap || p >= 1 << 16 {
            return None;
        }
        let passes = passes(m, MAX_RADIX)?;
        // The Stockham kernel's rule: about 1024 points per workgroup when short lines allow.
        let lines = (1024 / m).clamp(1, cap / m);
        // (radix, butterflies) of each pass.
        let items: Vec<(usize, usize)> = passes
            .iter()
            .map(|f| {
                let radix = f.iter().product::<usize>();
                (radix, lines * m / radix)
            })
            .collect();
        let fewest = items.iter().map(|&(_, n)| n).min().unwrap_or(1);
        let pow2 = fewest
            .next_power_of_two()
            .clamp(32, 256)
            .min(max_invocations);
        let workgroup = if cpu {
            lean_workgroup(&items, pow2, max_invocations)
        } else {
            pow2
        };
        Some(RaderKernel {
            p,
            m,
            g,
            passes,
            lines,
            workgroup,
        })
    }

    fn key(&self) -> String {
        format!("fft rader fused {self:?}")
    }

    /// The kernel's one table: `w_m^e` for `e < m` (the passes' twiddles), the kernel spectrum
    /// divided by m (`spectrum`, m entries), then `(g^q mod p, g^(−q) mod p)` as exact f32
    /// integers for `q < m` (`q` taken modulo `p − 1`).
    pub(crate) fn table(&self, spectrum: &[[f32; 2]]) -> Vec<[f32; 2]> {
        let (p, m, l) = (self.p, self.m, self.p - 1);
        let mut out = super::plan::twiddles(m, m, 1);
        out.extend_from_slice(spectrum);
        let mut pow = vec![0usize; l];
        let mut v = 1;
        for e in pow.iter_mut() {
            *e = v;
            v = v * self.g % p;
        }
        out.extend((0..m).map(|q| [pow[q % l] as f32, pow[(l - q % l) % l] as f32]));
        out
    }

    /// The kernel's WGSL source.
    pub(crate) fn wgsl(&self) -> String {
        let (p, m, lines, wg) = (self.p, self.m, self.lines, self.workgroup);
        let l = p - 1;
        let mut s = String::new();
        let w = &mut s;
        writeln!(
            w,
            "// Rader's algorithm fused: p = {p}, g = {g}, convolution of m = {m} points, passes {:?},\n\
             // {lines} line(s) per workgroup (src/gpu/fft/rader_kernel.rs).\n\
             // p: 0 one past the last line of this dispatch, 1 workgroups along x, 2 inner (the lines'\n\
             // stride), 3 the first line, 4 scale (f32 bits), 5 -1.0 for an inverse (f32 bits), 6 and 7\n\
             // the elements of src and dst at the start of their bindings (windows of the buffers).\n\
             // tab: [0, m) w_m^e, [m, 2m) the kernel spectrum / m, [2m, 3m) (g^q, g^-q) mod p.\n\
             @group(0) @binding(0) var<storage, read> src: array<vec2<f32>>;\n\
             @group(0) @binding(1) var<storage, read_write> dst: array<vec2<f32>>;\n\
             @group(0) @binding(2) var<storage, read> tab: array<vec2<f32>>;\n\
             @group(0) @binding(3) var<storage, read> p: array<u32>;\n\
             var<workgroup> s: array<vec2<f32>, {}>;\n\
             fn cmul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {{\n\
             \x20   return vec2<f32>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);\n\
             }}\n\
             fn twiddle(e: u32) -> vec2<f32> {{\n\
             \x20   return tab[e];\n\
             }}\n\
             // Where line b starts in the arrays ([outer, p, inner], C order); the bindings start p[6]\n\
             // (src) and p[7] (dst) elements in.\n\
             fn line_base(b: u32) -> u32 {{\n\
             \x20   return (b / p[2]) * {p}u * p[2] + b % p[2];\n\
             }}\n\
             @compute @workgroup_size({wg})\n\
             fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {{\n\
             \x20   let first = p[3] + (wid.y * p[1] + wid.x) * {lines}u;\n\
             \x20   let inner = p[2];\n\
             \x20   let scale = bitcast<f32>(p[4]);\n\
             \x20   let dir = bitcast<f32>(p[5]);",
            self.passes,
            lines * m,
            g = self.g,
        )
        .unwrap();
        let counts: Vec<(usize, usize)> = self
            .passes
            .iter()
            .map(|f| {
                let radix: usize = f.iter().product();
                (radix, (lines * (m / radix)).div_ceil(wg))
            })
            .collect();
        let regs = counts.iter().map(|&(r, b)| r * b).max().unwrap_or(1);
        writeln!(w, "    var r: array<vec2<f32>, {regs}>;").unwrap();
        // The stages: forward passes 0 … P−2; the last forward pass and the first inverse pass
        // as one (the same radix on the same points: no trip through workgroup memory between
        // them); the other inverse passes in reverse order (see the module docs).
        let radix_of = |pi: usize| self.passes[pi].iter().product::<usize>();
        let last = self.passes.len() - 1;
        let mut forward_ns = Vec::new();
        let mut ns = 1;
        for pi in 0..=last {
            forward_ns.push(ns);
            ns *= radix_of(pi);
        }
        // Each stage: its halves (pass, points done, inverse).
        let mut stages: Vec<Vec<(usize, usize, bool)>> = (0..last)
            .map(|pi| vec![(pi, forward_ns[pi], false)])
            .collect();
        stages.push(vec![(last, forward_ns[last], false), (last, 1, true)]);
        let mut ns = radix_of(last);
        for pi in (0..last).rev() {
            stages.push(vec![(pi, ns, true)]);
            ns *= radix_of(pi);
        }
        for (si, stage) in stages.iter().enumerate() {
            let (radix, blocks) = counts[stage[0].0];
            let q = m / radix;
            let count = lines * q;
            let (load, store) = (si == 0, si + 1 == stages.len());
            // Points done before the stage's last half: where its outputs go.
            let out_ns = stage[stage.len() - 1].1;
            let halves: Vec<String> = stage
                .iter()
                .map(|&(pi, ns, inverse)| {
                    format!(
                        "{} pass {pi} ({ns} point(s) done)",
                        if inverse { "inverse" } else { "forward" }
                    )
                })
                .collect();
            writeln!(
                w,
                "    // stage {si}: radix {radix} = {:?}, {}",
                self.passes[stage[0].0],
                halves.join(", then the spectrum product and the ")
            )
            .unwrap();
            // The item header: line l of the workgroup, index j in it, whether it exists.
            let head = |w: &mut String, jj: usize| {
                writeln!(
                    w,
                    "    {{\n\
                     \x20       let i = lid + {}u;\n\
                     \x20       let l = i / {q}u;\n\
                     \x20       let j = i % {q}u;\n\
                     \x20       let ok = i < {count}u && first + l < p[0];",
                    jj * wg
                )
                .unwrap();
            };
            // Where output o of the stage is, relative to the item's first register.
            let mut outs = Vec::new();
            for jj in 0..blocks {
                let r0 = jj * radix;
                head(w, jj);
                if load {
                    // Slot j + t·Q reads x[g^(j + t·Q)] − x[0]; g^Q mod p is a constant.
                    let step = power(self.g, q, p);
                    for t in 0..radix {
                        writeln!(w, "        r[{}] = vec2<f32>(0.0);", r0 + t).unwrap();
                    }
                    writeln!(
                        w,
                        "        if ok {{\n\
                         \x20           let b = line_base(first + l) - p[6];\n\
                         \x20           var x0 = src[b];\n\
                         \x20           x0.y = x0.y * dir;\n\
                         \x20           var e = u32(tab[{}u + j].x);",
                        2 * m
                    )
                    .unwrap();
                    for t in 0..radix {
                        let i = r0 + t;
                        // Padding slots (q ≥ L) stay zero.
                        let guard = if m > l {
                            format!("if j + {}u < {l}u ", t * q)
                        } else {
                            String::new()
                        };
                        writeln!(
                            w,
                            "            {guard}{{\n\
                             \x20               var v = src[b + e * inner];\n\
                             \x20               v.y = v.y * dir;\n\
                             \x20               r[{i}] = v - x0;\n\
                             \x20           }}"
                        )
                        .unwrap();
                        if t + 1 < radix {
                            writeln!(w, "            e = e * {step}u % {p}u;").unwrap();
                        }
                    }
                    writeln!(w, "        }}").unwrap();
                } else {
                    writeln!(
                        w,
                        "        if i < {count}u {{\n            let at = l * {m}u + j;"
                    )
                    .unwrap();
                    for t in 0..radix {
                        writeln!(w, "            r[{}] = s[at + {}u];", r0 + t, t * q).unwrap();
                    }
                    writeln!(w, "        }}").unwrap();
                }
                // The registers of input t of the next DFT.
                let mut slots: Vec<usize> = (r0..r0 + radix).collect();
                for &(pi, ns, inverse) in stage {
                    if ns > 1 {
                        // (Only a stage's first half has points done: its slots are in order.)
                        twiddle_powers(w, &format!("j % {ns}u"), m / (ns * radix), radix, &[r0]);
                    }
                    let names: Vec<String> = slots.iter().map(|i| format!("r[{i}]")).collect();
                    let perm = dft_nested(w, &names, &self.passes[pi], -1.0);
                    slots = perm.iter().map(|&k| slots[k]).collect();
                    if !inverse && stage.len() > 1 {
                        // The spectrum A in natural order (output t is A[j + t·ns]): times the
                        // kernel's, conjugated, in place. A[0] gives X[0] = A[0] + p·x[0].
                        writeln!(
                            w,
                            "        if ok && j == 0u {{\n\
                             \x20           let b = line_base(first + l);\n\
                             \x20           var x0 = src[b - p[6]];\n\
                             \x20           x0.y = x0.y * dir;\n\
                             \x20           var v = (r[{}] + {p}.0f * x0) * scale;\n\
                             \x20           v.y = v.y * dir;\n\
                             \x20           dst[b - p[7]] = v;\n\
                             \x20       }}",
                            slots[0]
                        )
                        .unwrap();
                        for (t, &at) in slots.iter().enumerate() {
                            writeln!(
                                w,
                                "        {{\n\
                                 \x20           let v = cmul(r[{at}], tab[{}u + j]);\n\
                                 \x20           r[{at}] = vec2<f32>(v.x, -v.y);\n\
                                 \x20       }}",
                                m + t * ns
                            )
                            .unwrap();
                        }
                    }
                }
                outs = slots.iter().map(|&i| i - r0).collect();
                writeln!(w, "    }}").unwrap();
            }
            // Workgroup memory is overwritten only after every read of it in this stage.
            if !load && !store {
                writeln!(w, "    workgroupBarrier();").unwrap();
            }
            for jj in 0..blocks {
                let r0 = jj * radix;
                head(w, jj);
                if store {
                    // Slot o = j + t·S is X[g^(−o)]: conjugated back (the inverse's
                    // conjugation), then once more for an inverse transform.
                    let step = power(self.g, l - out_ns % l, p);
                    writeln!(
                        w,
                        "        if ok {{\n\
                         \x20           let b = line_base(first + l) - p[7];\n\
                         \x20           var e = u32(tab[{}u + j].y);",
                        2 * m
                    )
                    .unwrap();
                    for (t, at) in outs.iter().enumerate() {
                        let guard = if m > l {
                            format!("if j + {}u < {l}u ", t * out_ns)
                        } else {
                            String::new()
                        };
                        writeln!(
                            w,
                            "            {guard}{{\n\
                             \x20               var v = r[{}] * scale;\n\
                             \x20               v.y = -v.y * dir;\n\
                             \x20               dst[b + e * inner] = v;\n\
                             \x20           }}",
                            r0 + at
                        )
                        .unwrap();
                        if t + 1 < outs.len() {
                            writeln!(w, "            e = e * {step}u % {p}u;").unwrap();
                        }
                    }
                    writeln!(w, "        }}").unwrap();
                } else {
                    writeln!(
                        w,
                        "        if i < {count}u {{\n\
                         \x20           let k = j % {out_ns}u;\n\
                         \x20           let at = l * {m}u + (j - k) * {radix}u + k;"
                    )
                    .unwrap();
                    for (t, from) in outs.iter().enumerate() {
                        writeln!(w, "            s[at + {}u] = r[{}];", t * out_ns, r0 + from)
                            .unwrap();
                    }
                    writeln!(w, "        }}").unwrap();
                }
                writeln!(w, "    }}").unwrap();
            }
            if !store {
                writeln!(w, "    workgroupBarrier();").unwrap();
            }
        }
        w.push_str("}\n");
        s
    }

    /// Records the transform of the `outer · inner` lines of `[outer, p, inner]` in `src` into
    /// `dst`, times `scale`, in chunks of whole workgroups of lines whose windows fit one
    /// binding (each line's arithmetic is the same, so chunked results are bit-identical).
    /// Returns `false`, having recorded nothing, when one workgroup's lines span more than a
    /// binding (lines far apart): the caller takes the six-dispatch route.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn dispatch(
        &self,
        gpu: &Gpu,
        table: &wgpu::Buffer,
        src: &wgpu::Buffer,
        dst: &wgpu::Buffer,
        (outer, inner): (usize, usize),
        inverse: bool,
        scale: f32,
    ) -> Result<bool> {
        let (p, per) = (self.p, self.lines);
        let batch = outer * inner;
        // Line b = (o, i) as row b of a [outer, inner, p] layout: lines [b0, b1) are its flat
        // elements [b0·p, b1·p), whose window `kernels::window` finds.
        let layout = Layout::new(
            vec![outer, inner, p],
            vec![(p * inner) as isize, 1, inner as isize],
            0,
        );
        let on = |buffer, e0, e1| {
            let input = Input {
                buffer,
                layout: &layout,
                itemsize: 8,
            };
            window(gpu, &input, e0, e1)
        };
        // Every chunk is planned before any is recorded: halved until both windows fit.
        let binding = gpu.binding();
        let mut chunk = ((binding / (p as u64 * 8)) as usize / per * per).max(per);
        let mut chunks = Vec::new();
        let mut b0 = 0;
        while b0 < batch {
            let b1 = (b0 + chunk).min(batch);
            let (e0, e1) = ((b0 * p) as u64, (b1 * p) as u64);
            let (s, d) = (on(src, e0, e1), on(dst, e0, e1));
            if s.1 - s.0 > binding || d.1 - d.0 > binding {
                if chunk == per {
                    return Ok(false);
                }
                chunk = (chunk / 2).div_ceil(per) * per;
                continue;
            }
            chunks.push((b0, b1, s, d));
            b0 = b1;
        }
        let pipeline = gpu.generated_pipeline_keyed(&self.key(), || self.wgsl())?;
        let dir = if inverse { -1.0f32 } else { 1.0 };
        for (b0, b1, s, d) in chunks {
            let (groups_x, groups_y) = groups_2d((b1 - b0).div_ceil(per) as u64);
            // The window's first element: the kernel subtracts it (wrapping) from each index.
            let params = [
                b1 as u32,
                groups_x,
                inner as u32,
                b0 as u32,
                scale.to_bits(),
                dir.to_bits(),
                s.2.wrapping_neg(),
                d.2.wrapping_neg(),
            ];
            let params = gpu.replayed_params(&params)?;
            let resources = [
                binding_of(src, s.0, s.1 - s.0),
                binding_of(dst, d.0, d.1 - d.0),
                table.as_entire_binding(),
                params.binding(),
            ];
            submit_once(
                gpu,
                &format!("FFT of prime length {p} (Rader, fused)"),
                &pipeline,
                &resources,
                (groups_x, groups_y),
                |_| {},
            )?;
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gpu::context::validate_wgsl;

    /// The kernel's index arithmetic on the host: the first pass' `g^(j + t·Q)` and the last
    /// pass' `g^(−(j + t·S))`, stepped by the constants from the table's `g^j`, `g^(−j)`.
    #[test]
    fn stepped_powers_match_the_definition() {
        for (p, g, m) in [
            (13, 2, 12),
            (1009, 11, 1008),
            (23, 5, 45),
            (2003, 5, 4032),
            (4093, 2, 4092),
        ] {
            let kernel = RaderKernel::with_limits(p, g, m, 4096, 256, true).expect("fits");
            let table = kernel.table(&vec![[0.0; 2]; m]);
            let radix = |f: &Vec<usize>| f.iter().product::<usize>();
            let q = m / radix(&kernel.passes[0]);
            let last = kernel.passes.last().expect("a pass");
            let ns = m / radix(last);
            for j in 0..q {
                let mut e = table[2 * m + j][0] as usize;
                for t in 0..radix(&kernel.passes[0]) {
                    assert_eq!(e, power(g, (j + t * q) % (p - 1), p), "{p}: load {j} {t}");
                    e = e * power(g, q, p) % p;
                }
            }
            for j in 0..ns {
                let mut e = table[2 * m + j][1] as usize;
                for t in 0..radix(last) {
                    let o = (j + t * ns) % (p - 1);
                    assert_eq!(e * power(g, o, p) % p, 1, "{p}: store {j} {t}");
                    e = e * power(g, p - 1 - ns % (p - 1), p) % p;
                }
            }
        }
    }

    #[test]
    fn generated_kernels_validate() {
        // One pass (11: m = 10), several, several lines per workgroup, padded lines
        // (23: m = 45 ≥ 2·22 − 1; 83: m = 165 = 3·5·11; 2003: m = 4032), and passes of radix
        // 11, 13 and 31 (2003: m = 2002 = 2·7·11·13; 4093: m = 4092 = 12·11·31).
        for (p, g, m) in [
            (11, 2, 10),
            (97, 5, 96),
            (1009, 11, 1008),
            (23, 5, 45),
            (83, 2, 165),
            (2003, 5, 4032),
            (2003, 5, 2002),
            (4093, 2, 4092),
        ] {
            // Both workgroup rules (CPU adapters' lean one, the power of two).
            for cpu in [false, true] {
                let kernel = RaderKernel::with_limits(p, g, m, 4096, 256, cpu).expect("fits");
                let source = kernel.wgsl();
                validate_wgsl(&source).unwrap_or_else(|e| panic!("{e}\n{source}"));
            }
        }
        // 4093's convolution fits (m = p − 1 = 4092); padded to 8192 it would not.
        assert!(RaderKernel::with_limits(4093, 2, 4092, 4096, 256, true).is_some());
        assert!(RaderKernel::with_limits(4093, 2, 8192, 4096, 256, true).is_none());
    }

    #[test]
    fn lean_workgroups_leave_few_lanes_idle() {
        // 4092 = [4·3] [11] [31]: 192 lanes (24 SIMD groups of 8) in two, two and one rounds as
        // 256, 14784 lane slots for 12276 points; 136 would take 13600 in three, three and one.
        assert_eq!(
            lean_workgroup(&[(12, 341), (11, 372), (31, 132)], 256, 1024),
            192
        );
        // 1008 = [8·2] [3·3] [7] (64: one, two and three rounds): 72 in one, two and two.
        assert_eq!(
            lean_workgroup(&[(16, 63), (9, 112), (7, 144)], 64, 1024),
            72
        );
        // 2002 = [2·7] [11] [13], one round each: 184.
        assert_eq!(
            lean_workgroup(&[(14, 143), (11, 182), (13, 154)], 256, 1024),
            184
        );
        // Within an adapter's limit of 128 (two rounds each): 96.
        assert_eq!(
            lean_workgroup(&[(14, 143), (11, 182), (13, 154)], 128, 128),
            96
        );
        // 4050 = [2·3] [3·3] [3·5] [5] (256: three, two, two and four rounds): 232.
        assert_eq!(
            lean_workgroup(&[(6, 675), (9, 450), (15, 270), (5, 810)], 256, 1024),
            232
        );
        for p in [37, 41, 1009, 2003, 4093] {
            let kernel = RaderKernel::with_limits(p, 2, p - 1, 4096, 256, true).expect("fits");
            assert_eq!(kernel.workgroup % 8, 0, "{p}");
        }
    }
}

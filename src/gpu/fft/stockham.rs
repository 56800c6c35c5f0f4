//! The generated Stockham kernel: every line of a batch transformed by one workgroup (or
//! several lines by one), all passes in registers and workgroup memory.
//!
//! A line of length `n` is split into passes of radix `R` (each a product of the butterflies
//! 8, 4, 2, 3, 5, 7, 11, 13, at most [`MAX_RADIX`], or one prime 17 … 31 alone: see
//! [`ODD_RADICES`](super::plan::ODD_RADICES)): a pass reads `R` points of a line `n / R` apart,
//! multiplies them by the pass' twiddles (from the plan's table), transforms them in registers
//! (a nested Cooley–Tukey DFT whose inner twiddles are constants) and writes them in Stockham's
//! autosort order. The first pass reads global memory and the last writes it directly, so a
//! line of `P` passes costs `2P − 3` workgroup barriers (none for one pass) and two trips
//! through workgroup memory fewer than a kernel that stages the line there first.
//!
//! Where each line starts (three divisions by runtime values) is computed once per line (or,
//! with several lines per workgroup, once per `R` points), not per element; the in-line arithmetic divides only by constants of the generated source.
//! Lines along a strided axis (`interleaved`) are taken several per workgroup with consecutive
//! invocations on neighbouring lines, so each load and store of a warp is one contiguous run.
//!
//! # Costs
//! On lavapipe a non-uniform load or store costs about the same whatever its width, and the
//! arithmetic next to nothing, so a kernel costs its accesses per point:
//! - **Twiddles**: a butterfly of radix R reads only `w^(2^b·k)` from the table (R = 16: 4
//!   loads, not 15) and multiplies the others together ([`twiddle_powers`]).
//! - **Pairs** ([`Pair`], CPU adapters only): where the layout allows, an invocation takes two
//!   butterflies whose points are neighbours in memory on both sides — `j` and `j + 1` of a
//!   contiguous line, or one `j` of two neighbouring interleaved lines (which then share their
//!   twiddles) — and moves both with one `vec4<f32>` access, in global and workgroup memory.
//!
//! A line of 4096 points (3 passes of 16) went from 7.9 accesses per point to 6.5 (twiddles),
//! then 3.5 (contiguous pairs) or 3.25 (interleaved pairs, shared twiddles).

use std::fmt::Write as _;

use crate::error::{Error, Result};
use crate::gpu::context::Gpu;
use crate::gpu::kernels::{Input, balanced, binding as binding_of, groups_2d, submit_once, window};
use crate::view::layout::Layout;

use super::plan::{Big, capacity, radices};

/// The largest radix of one pass made of several butterflies, done in registers. 16 keeps a
/// pass within the registers of real GPUs (32 complex values per invocation at most, with the
/// temporaries) while taking 4096 points in 3 passes; lavapipe measured: see `benches/fft.rs`.
/// A prime above it (17 … 31) is a pass of its own, one butterfly of that radix.
pub(crate) const MAX_RADIX: usize = 16;

/// Where the lines of one Stockham dispatch are: line `b` has batch coordinates
/// `(b / (d1·d2), (b / d2) mod d1, b mod d2)`; its element k is at
/// `i0·s[0] + i1·s[1] + i2·s[2] + k·s[3]` in the source (`src`) and destination (`dst`).
pub(crate) struct Lines {
    pub batch: usize,
    pub d1: usize,
    pub d2: usize,
    pub src: [usize; 4],
    pub dst: [usize; 4],
    pub scale: f32,
    pub inverse: bool,
}

/// The passes of a length-`n` transform: the butterflies ([`radices`]: 8, 4, 2 and odd primes
/// up to 31) of each pass, whose product is its radix (≤ `max`, or one prime above `max`
/// alone), or `None` when n has a prime factor above 31.
///
/// The powers of two are spread over as few passes as `max` allows, as evenly as possible
/// (4096 = 16·16·16, 2048 = 16·16·8); the odd primes join the pass they fit in, or make their
/// own (4092 = 12·11·31).
pub(crate) fn passes(n: usize, max: usize) -> Option<Vec<Vec<usize>>> {
    let subs = radices(n)?;
    let twos = n.trailing_zeros() as usize;
    let max_bits = (max.max(2).ilog2() as usize).max(1);
    let count = twos.div_ceil(max_bits);
    let mut out: Vec<Vec<usize>> = (0..count)
        .map(|i| {
            let bits = twos / count + usize::from(i < twos % count);
            radices(1 << bits).expect("a power of two")
        })
        .collect();
    for p in subs.into_iter().filter(|&r| r % 2 == 1) {
        let fits = out
            .iter_mut()
            .filter(|f| f.iter().product::<usize>() * p <= max)
            .min_by_key(|f| f.iter().product::<usize>());
        match fits {
            Some(f) => f.push(p),
            None => out.push(vec![p]),
        }
    }
    if out.is_empty() {
        out.push(vec![1]);
    }
    Some(out)
}

/// How an invocation takes its points, so that (paired) every load and store moves two
/// neighbouring complex values as one `vec4<f32>`: on lavapipe an access costs about the same
/// whatever its width, so pairing halves the kernel's accesses (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Pair {
    /// One butterfly per item, one `vec2<f32>` access per point.
    None,
    /// Butterflies `j` and `j + 1` of one line (lines contiguous on both sides); the first
    /// pass' stores take two outputs of one butterfly.
    Points,
    /// Butterfly `j` of lines `l` and `l + 1`, neighbours in memory on both sides (interleaved
    /// lines); they share their twiddles. Workgroup memory holds the lines point after point.
    /// `rows`: the pair's lines are neighbours along d1, so the second's four-step twiddle
    /// row is the next one (else along d2, the same row).
    Lines { rows: bool },
}

/// One generated Stockham kernel: lines of length n, `lines` of them per workgroup;
/// optionally the four-step twiddle on the store.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Stockham {
    n: usize,
    passes: Vec<Vec<usize>>,
    lines: usize,
    workgroup: usize,
    big: Option<Big>,
    /// Consecutive invocations take consecutive lines (for lines along a strided axis).
    interleaved: bool,
    /// Chosen per dispatch ([`Stockham::paired`]): `Pair::None` until then.
    pair: Pair,
}

/// An f32 WGSL literal.
fn lit(x: f64) -> String {
    format!("{:?}f", x as f32)
}

impl Stockham {
    /// The kernel for lines of `n` points (smooth: [`radices`]) on `gpu`.
    pub(crate) fn new(gpu: &Gpu, n: usize, big: Option<Big>, interleaved: bool) -> Self {
        let limits = &gpu.inner.limits;
        Stockham::with_limits(
            n,
            big,
            interleaved,
            capacity(gpu),
            limits
                .max_compute_invocations_per_workgroup
                .min(limits.max_compute_workgroup_size_x) as usize,
        )
    }

    pub(crate) fn with_limits(
        n: usize,
        big: Option<Big>,
        interleaved: bool,
        cap: usize,
        max_invocations: usize,
    ) -> Self {
        let passes = passes(n, MAX_RADIX).expect("a smooth length");
        // At least 1024 points per workgroup when short lines allow it; strided lines as many
        // as fit (up to 16), for longer contiguous runs of each load and store.
        let want = if interleaved {
            (cap / n).min(16)
        } else {
            1024 / n
        };
        let lines = want.clamp(1, (cap / n).max(1));
        let widest = passes
            .iter()
            .map(|f| f.iter().product::<usize>())
            .max()
            .unwrap_or(1);
        let workgroup = (lines * n / widest)
            .next_power_of_two()
            .clamp(32, 256)
            .min(max_invocations);
        Stockham {
            n,
            passes,
            lines,
            workgroup,
            big,
            interleaved,
            pair: Pair::None,
        }
    }

    /// This kernel taking its points in pairs for the lines of `lines` where the adapter is a
    /// CPU one (lavapipe, llvmpipe: an access costs about the same whatever its width). Real
    /// GPUs keep one point per access: pairing doubles each invocation's registers and is
    /// unmeasured there. Results are bit-identical either way (the same operations on every
    /// point).
    fn paired(&self, gpu: &Gpu, lines: &Lines) -> Stockham {
        if gpu.info().device_type == wgpu::DeviceType::Cpu {
            self.pairing(lines)
        } else {
            self.clone()
        }
    }

    /// This kernel taking its points in pairs for the lines of `lines` where their layout
    /// allows (every pair of neighbouring points, or of neighbouring lines, one aligned `vec4`
    /// on both sides), else unpaired.
    fn pairing(&self, lines: &Lines) -> Stockham {
        let unpaired = self.clone();
        if lines.batch < 2 {
            return unpaired;
        }
        let n = self.n;
        // The strides of every batch axis longer than one, on both sides.
        let extents = [lines.batch / (lines.d1 * lines.d2), lines.d1, lines.d2];
        let even_except = |strides: &[usize; 4], odd: usize| {
            (0..3).all(|a| a == odd || extents[a] < 2 || strides[a] % 2 == 0)
        };
        let pair = if !self.interleaved {
            // Points j, j + 1: unit steps along the line, even line starts, and every pass
            // with an even number of butterflies per line (the first of them of even radix,
            // so later passes have an even number of points done).
            let ok = n % 2 == 0
                && self.passes.len() > 1
                && self
                    .passes
                    .iter()
                    .all(|f| (n / f.iter().product::<usize>()) % 2 == 0)
                && lines.src[3] == 1
                && lines.dst[3] == 1
                && even_except(&lines.src, 3)
                && even_except(&lines.dst, 3);
            if !ok {
                return unpaired;
            }
            Pair::Points
        } else {
            // Lines l, l + 1: neighbours along the innermost batch axis longer than one (d2, else
            // d1), unit steps along it, an even number of lines along it (pairs never straddle
            // rows), even steps elsewhere (aligned vec4s: not the odd widths of real
            // transforms' columns, 1025 for 2048), and an even number of lines per workgroup.
            let axis = if lines.d2 > 1 { 2 } else { 1 };
            let row = if axis == 2 { lines.d2 } else { lines.d1 };
            let ok = self.lines % 2 == 0
                && row % 2 == 0
                && lines.src[axis] == 1
                && lines.dst[axis] == 1
                && even_except(&lines.src, axis)
                && even_except(&lines.dst, axis)
                && lines.src[3] % 2 == 0
                && lines.dst[3] % 2 == 0;
            if !ok {
                return unpaired;
            }
            Pair::Lines { rows: axis == 1 }
        };
        let widest = self
            .passes
            .iter()
            .map(|f| f.iter().product::<usize>())
            .max()
            .unwrap_or(1);
        let workgroup = (self.lines * n / widest / 2)
            .next_power_of_two()
            .clamp(32, 256)
            .min(self.workgroup);
        Stockham {
            pair,
            workgroup,
            ..unpaired
        }
    }

    fn key(&self) -> String {
        format!("fft stockham {self:?}")
    }

    /// The kernel's WGSL source.
    pub(crate) fn wgsl(&self) -> String {
        let (n, lines, wg) = (self.n, self.lines, self.workgroup);
        let total = n * lines;
        let pair = self.pair;
        let paired = pair != Pair::None;
        // One access moves one point (vec2) or, paired, two neighbouring points (vec4).
        let (el, per) = if paired {
            ("vec4<f32>", 2)
        } else {
            ("vec2<f32>", 1)
        };
        // Always forward: an inverse conjugates on load and on store (`p[13]` = -1).
        let sign = -1.0;
        let mut s = String::new();
        let w = &mut s;
        writeln!(
            w,
            "// Stockham FFT, n = {n}, passes {:?}, {lines} line(s) per workgroup{}, pairs: {pair:?}, conjugated on load and store for an inverse.\n\
             // p: 0 lines, 1 workgroups along x, 2 d1, 3 d2, 4..8 source strides (i0, i1, i2, k),\n\
             // 8..12 destination strides, 12 scale (f32 bits), 13 -1.0 for an inverse, 14 the first line of\n\
             // this dispatch (p[0]: one past its last), 15 and 16 the elements of src and dst at the start of\n\
             // their bindings (windows of the buffers holding this dispatch's lines).\n\
             @group(0) @binding(0) var<storage, read> src: array<{el}>;\n\
             @group(0) @binding(1) var<storage, read_write> dst: array<{el}>;\n\
             @group(0) @binding(2) var<storage, read> tw: array<vec2<f32>>;\n\
             @group(0) @binding(3) var<storage, read> p: array<u32>;\n\
             fn cmul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {{\n\
             \x20   return vec2<f32>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);\n\
             }}\n\
             fn twiddle(e: u32) -> vec2<f32> {{\n\
             \x20   return tw[e];\n\
             }}\n\
             // Line b: its first source element, its first destination element (both relative to\n\
             // their windows) and its index along d1 (the four-step twiddle's row).\n\
             fn line_info(b: u32) -> vec3<u32> {{\n\
             \x20   let t = b / p[3];\n\
             \x20   let i0 = t / p[2];\n\
             \x20   let i1 = t % p[2];\n\
             \x20   let i2 = b % p[3];\n\
             \x20   return vec3<u32>(i0 * p[4] + i1 * p[5] + i2 * p[6] - p[15], i0 * p[8] + i1 * p[9] + i2 * p[10] - p[16], i1);\n\
             }}",
            self.passes,
            if self.interleaved { " (interleaved)" } else { "" },
        )
        .unwrap();
        if self.passes.len() > 1 {
            writeln!(w, "var<workgroup> s: array<{el}, {}>;", total / per).unwrap();
        }
        if let Some(big) = self.big {
            writeln!(
                w,
                "fn big_twiddle(e: u32) -> vec2<f32> {{\n\
                 \x20   return cmul(twiddle({}u + e % {}u), twiddle({}u + e / {}u));\n\
                 }}",
                big.lo, big.split, big.hi, big.split
            )
            .unwrap();
        }
        writeln!(
            w,
            "@compute @workgroup_size({wg})\n\
             fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {{\n\
             \x20   let first = p[14] + (wid.y * p[1] + wid.x) * {lines}u;\n\
             \x20   let dir = bitcast<f32>(p[13]);\n\
             \x20   // (tw[0] = 1: read so that the table stays in the pipeline's layout when no pass uses it.)\n\
             \x20   let scale = bitcast<f32>(p[12]) * tw[0].x;"
        )
        .unwrap();
        if lines == 1 {
            writeln!(w, "    let li0 = line_info(first);").unwrap();
        }
        // (radix, items per invocation) of each pass; an item is one butterfly, or two paired.
        let counts: Vec<(usize, usize)> = self
            .passes
            .iter()
            .map(|f| {
                let radix: usize = f.iter().product();
                let blocks = (lines * (n / radix) / per).div_ceil(wg);
                (radix, blocks)
            })
            .collect();
        let regs = counts.iter().map(|&(r, b)| r * b * per).max().unwrap_or(1);
        writeln!(w, "    var r: array<vec2<f32>, {regs}>;").unwrap();
        // Workgroup memory index of point `e` of line `l`: line after line, or (lines paired)
        // point after point, so that the two points of a pair are neighbours.
        let at = |e: &str| match pair {
            Pair::Lines { .. } => format!("(({e}) * {lines}u + l) / 2u"),
            Pair::Points => format!("(l * {n}u + {e}) / 2u"),
            Pair::None => format!("l * {n}u + {e}"),
        };
        let last = self.passes.len() - 1;
        let mut ns = 1;
        for (pi, factors) in self.passes.iter().enumerate() {
            let (radix, blocks) = counts[pi];
            let q = n / radix;
            let items = lines * q / per;
            let stride = n / (ns * radix);
            writeln!(
                w,
                "    // pass {pi}: radix {radix} = {factors:?}, {ns} point(s) done"
            )
            .unwrap();
            // The item header: line l, index j in it (the first of a pair), and whether the
            // line exists.
            let head = |w: &mut String, jj: usize| {
                let (l, j) = match (pair, self.interleaved) {
                    (Pair::Points, _) => {
                        (format!("i / {}u", q / 2), format!("(i % {}u) * 2u", q / 2))
                    }
                    (Pair::Lines { .. }, _) => (
                        format!("(i % {}u) * 2u", lines / 2),
                        format!("i / {}u", lines / 2),
                    ),
                    (Pair::None, true) => (format!("i % {lines}u"), format!("i / {lines}u")),
                    (Pair::None, false) => (format!("i / {q}u"), format!("i % {q}u")),
                };
                // Several lines: where each starts is worked out per item (R points), not kept
                // in workgroup memory (which the line itself fills on some adapters).
                let li = if lines > 1 {
                    "line_info(first + l)".to_string()
                } else {
                    "li0".to_string()
                };
                writeln!(
                    w,
                    "    {{\n\
                     \x20       let i = lid + {}u;\n\
                     \x20       let l = {l};\n\
                     \x20       let j = {j};\n\
                     \x20       let li = {li};\n\
                     \x20       let ok = i < {items}u && first + l < p[0];",
                    jj * wg
                )
                .unwrap();
            };
            // The registers of item jj: the butterfly (of j, or of line l) and its pair's.
            let regs_of = |jj: usize, second: bool| jj * radix * per + usize::from(second) * radix;
            // Read, twiddle and transform every item of this pass.
            let mut perm = Vec::new();
            for jj in 0..blocks {
                let (ra, rb) = (regs_of(jj, false), regs_of(jj, true));
                head(w, jj);
                if pi == 0 {
                    for t in 0..radix * per {
                        writeln!(w, "        r[{}] = vec2<f32>(0.0);", ra + t).unwrap();
                    }
                    writeln!(w, "        if ok {{").unwrap();
                    for t in 0..radix {
                        let e = match pair {
                            Pair::Points => format!("(li.x + j + {}u) / 2u", t * q),
                            Pair::Lines { .. } => format!("(li.x + (j + {}u) * p[7]) / 2u", t * q),
                            Pair::None => format!("li.x + (j + {}u) * p[7]", t * q),
                        };
                        if paired {
                            writeln!(
                                w,
                                "            let v{t} = src[{e}];\n\
                                 \x20           r[{}] = vec2<f32>(v{t}.x, v{t}.y * dir);\n\
                                 \x20           r[{}] = vec2<f32>(v{t}.z, v{t}.w * dir);",
                                ra + t,
                                rb + t
                            )
                            .unwrap();
                        } else {
                            writeln!(
                                w,
                                "            r[{i}] = src[{e}];\n\
                                 \x20           r[{i}].y = r[{i}].y * dir;",
                                i = ra + t
                            )
                            .unwrap();
                        }
                    }
                    writeln!(w, "        }}").unwrap();
                } else {
                    writeln!(w, "        if i < {items}u {{").unwrap();
                    for t in 0..radix {
                        let e = at(&format!("j + {}u", t * q));
                        if paired {
                            writeln!(
                                w,
                                "            let v{t} = s[{e}];\n\
                                 \x20           r[{}] = v{t}.xy;\n\
                                 \x20           r[{}] = v{t}.zw;",
                                ra + t,
                                rb + t
                            )
                            .unwrap();
                        } else {
                            writeln!(w, "            r[{}] = s[{e}];", ra + t).unwrap();
                        }
                    }
                    writeln!(w, "        }}").unwrap();
                }
                if ns > 1 {
                    // Paired lines share j, hence their twiddles; paired points each have theirs.
                    match pair {
                        Pair::Lines { .. } => {
                            twiddle_powers(w, &format!("j % {ns}u"), stride, radix, &[ra, rb])
                        }
                        Pair::Points => {
                            twiddle_powers(w, &format!("j % {ns}u"), stride, radix, &[ra]);
                            twiddle_powers(w, &format!("(j + 1u) % {ns}u"), stride, radix, &[rb]);
                        }
                        Pair::None => {
                            twiddle_powers(w, &format!("j % {ns}u"), stride, radix, &[ra])
                        }
                    }
                }
                for base in if paired { vec![ra, rb] } else { vec![ra] } {
                    let slots: Vec<String> =
                        (0..radix).map(|t| format!("r[{}]", base + t)).collect();
                    perm = dft_nested(w, &slots, factors, sign);
                }
                writeln!(w, "    }}").unwrap();
            }
            // Workgroup memory is overwritten only after every read of it in this pass.
            if pi > 0 && pi < last {
                writeln!(w, "    workgroupBarrier();").unwrap();
            }
            // Write every item: to workgroup memory, or (last pass) to the destination.
            for jj in 0..blocks {
                let (ra, rb) = (regs_of(jj, false), regs_of(jj, true));
                head(w, jj);
                if pi == last {
                    writeln!(w, "        if ok {{").unwrap();
                    for (t, &from) in perm.iter().enumerate() {
                        // Output o of the line (the pair's first), scaled, four-step twiddled
                        // and conjugated back for an inverse.
                        // (`e`: the exponent of the four-step twiddle, row times column.)
                        let value = |w: &mut String, v: &str, reg: usize, e: &str| {
                            writeln!(w, "                var {v} = r[{reg}] * scale;").unwrap();
                            if self.big.is_some() {
                                writeln!(w, "                {v} = cmul({v}, big_twiddle({e}));")
                                    .unwrap();
                            }
                            writeln!(w, "                {v}.y = {v}.y * dir;").unwrap();
                        };
                        writeln!(
                            w,
                            "            {{\n                let o = j + {}u;",
                            t * ns
                        )
                        .unwrap();
                        value(w, "v", ra + from, "li.z * o");
                        match pair {
                            Pair::None => {
                                writeln!(w, "                dst[li.y + o * p[11]] = v;").unwrap()
                            }
                            Pair::Points => {
                                value(w, "u", rb + from, "li.z * (o + 1u)");
                                writeln!(
                                    w,
                                    "                dst[(li.y + o) / 2u] = vec4<f32>(v, u);"
                                )
                                .unwrap();
                            }
                            Pair::Lines { rows } => {
                                // The second line's four-step twiddle row.
                                let row = if rows { "(li.z + 1u)" } else { "li.z" };
                                value(w, "u", rb + from, &format!("{row} * o"));
                                writeln!(
                                    w,
                                    "                dst[(li.y + o * p[11]) / 2u] = vec4<f32>(v, u);"
                                )
                                .unwrap();
                            }
                        }
                        writeln!(w, "            }}").unwrap();
                    }
                    writeln!(w, "        }}").unwrap();
                } else {
                    writeln!(
                        w,
                        "        if i < {items}u {{\n\
                         \x20           let k = j % {ns}u;\n\
                         \x20           let e = (j - k) * {radix}u + k;"
                    )
                    .unwrap();
                    match pair {
                        Pair::None => {
                            for (t, from) in perm.iter().enumerate() {
                                let e = at(&format!("e + {}u", t * ns));
                                writeln!(w, "            s[{e}] = r[{}];", ra + from).unwrap();
                            }
                        }
                        // Paired points with one point done: a butterfly's outputs are
                        // neighbours (e = j·R), so each access takes two outputs of one.
                        Pair::Points if ns == 1 => {
                            for (base, off) in [(ra, ""), (rb, &*format!(" + {radix}u"))] {
                                for t in (0..radix).step_by(2) {
                                    let e = at(&format!("e{off} + {t}u"));
                                    writeln!(
                                        w,
                                        "            s[{e}] = vec4<f32>(r[{}], r[{}]);",
                                        base + perm[t],
                                        base + perm[t + 1]
                                    )
                                    .unwrap();
                                }
                            }
                        }
                        Pair::Points | Pair::Lines { .. } => {
                            for (t, from) in perm.iter().enumerate() {
                                let e = at(&format!("e + {}u", t * ns));
                                writeln!(
                                    w,
                                    "            s[{e}] = vec4<f32>(r[{}], r[{}]);",
                                    ra + from,
                                    rb + from
                                )
                                .unwrap();
                            }
                        }
                    }
                    writeln!(w, "        }}").unwrap();
                }
                writeln!(w, "    }}").unwrap();
            }
            if pi < last {
                writeln!(w, "    workgroupBarrier();").unwrap();
            }
            ns *= radix;
        }
        w.push_str("}\n");
        s
    }

    /// Records the transform of every line of `lines` from `src` to `dst`, in chunks of whole
    /// workgroups whose windows fit one binding.
    pub(crate) fn dispatch(
        &self,
        gpu: &Gpu,
        twiddles: &wgpu::Buffer,
        src: &wgpu::Buffer,
        dst: &wgpu::Buffer,
        lines: &Lines,
    ) -> Result<()> {
        self.dispatch_from(gpu, twiddles, src, dst, lines, 0)
    }

    /// [`Stockham::dispatch`] of the lines from `b0` on. Where the lines of one workgroup span
    /// more than a binding (they straddle two planes of a strided axis), the rest goes through
    /// the same kernel taking one line per workgroup.
    fn dispatch_from(
        &self,
        gpu: &Gpu,
        twiddles: &wgpu::Buffer,
        src: &wgpu::Buffer,
        dst: &wgpu::Buffer,
        lines: &Lines,
        mut b0: usize,
    ) -> Result<()> {
        if lines.batch == 0 {
            return Ok(());
        }
        if self.pair == Pair::None && b0 == 0 {
            let spec = self.paired(gpu, lines);
            if spec.pair != Pair::None {
                return spec.dispatch_from(gpu, twiddles, src, dst, lines, b0);
            }
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
                if chunk == per && per > 1 {
                    let one =
                        Stockham::with_limits(n, self.big, self.interleaved, n, self.workgroup);
                    return one.dispatch_from(gpu, twiddles, src, dst, lines, b0);
                }
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
            let params = gpu.replayed_params(&p)?;
            let resources = [
                binding_of(src, s.0, s.1 - s.0),
                binding_of(dst, d.0, d.1 - d.0),
                twiddles.as_entire_binding(),
                params.binding(),
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

/// Emits the twiddles of one butterfly of a pass: `r[base + t] *= w^(t·k·stride)` for
/// `0 < t < radix` and each `base`, `w = w_n` of the kernel's table (its WGSL `twiddle(e)`).
/// Only the powers `w^(2^b·k·stride)` are read (⌊log2(radix − 1)⌋ + 1 loads instead of
/// `radix − 1`); the others are products of them, `w^t = w^(t − h) · w^h` with `h` the highest
/// power of two in `t`: at most ⌊log2(radix − 1)⌋ products (three up to radix 16, four up to 31)
/// of correctly rounded table values (a few f32 roundings, like the butterflies' own), not a
/// chain of `t` multiplications.
pub(crate) fn twiddle_powers(
    w: &mut String,
    k: &str,
    stride: usize,
    radix: usize,
    bases: &[usize],
) {
    writeln!(w, "        {{\n            let e = ({k}) * {stride}u;").unwrap();
    for t in 1..radix {
        let h = 1 << t.ilog2();
        if t == h {
            writeln!(w, "            let w{t} = twiddle(e * {t}u);").unwrap();
        } else {
            writeln!(w, "            let w{t} = cmul(w{}, w{h});", t - h).unwrap();
        }
        for base in bases {
            writeln!(w, "            r[{i}] = cmul(r[{i}], w{t});", i = base + t).unwrap();
        }
    }
    w.push_str("        }\n");
}

/// Emits the DFT of the points in `slots` (WGSL lvalues), in place, as nested Cooley–Tukey
/// over `factors` (whose product is `slots.len()`), exponent sign `sign`. Returns where each
/// output went: output k is in `slots[perm[k]]` (the digit reversal is left to the caller's
/// store, so no values move).
///
/// With `R = a·b` (`a` the first factor): `b` DFTs of `a` points `x[b·n1 + n2]`, the constant
/// twiddles `W_R^(n2·k1)`, then `a` DFTs of `b` points; `X[k1 + a·k2]` ends in the slot of
/// `(k1, k2)`.
pub(crate) fn dft_nested(
    w: &mut String,
    slots: &[String],
    factors: &[usize],
    sign: f64,
) -> Vec<usize> {
    let r = slots.len();
    if factors.len() <= 1 {
        if r > 1 {
            dft(w, slots, sign);
        }
        return (0..r).collect();
    }
    let a = factors[0];
    let b = r / a;
    for n2 in 0..b {
        let sub: Vec<String> = (0..a).map(|n1| slots[b * n1 + n2].clone()).collect();
        dft(w, &sub, sign);
    }
    for k1 in 1..a {
        for n2 in 1..b {
            rotate(w, &slots[b * k1 + n2], n2 * k1 % r, r, sign);
        }
    }
    let mut perm = vec![0; r];
    for k1 in 0..a {
        let sub: Vec<String> = (0..b).map(|n2| slots[b * k1 + n2].clone()).collect();
        let inner = dft_nested(w, &sub, &factors[1..], sign);
        for (k2, &at) in inner.iter().enumerate() {
            perm[k1 + a * k2] = b * k1 + at;
        }
    }
    perm
}

/// Emits `v *= exp(sign · 2πi · e / r)`: exact for multiples of a quarter turn.
fn rotate(w: &mut String, v: &str, e: usize, r: usize, sign: f64) {
    if e == 0 {
        return;
    }
    let rot = if 4 * e % r == 0 {
        // sign·i, −1 or −sign·i.
        match (4 * e / r, sign < 0.0) {
            (2, _) => format!("-{v}"),
            (1, true) | (3, false) => format!("vec2<f32>({v}.y, -{v}.x)"),
            _ => format!("vec2<f32>(-{v}.y, {v}.x)"),
        }
    } else {
        let (s, c) = (sign * 2.0 * std::f64::consts::PI * e as f64 / r as f64).sin_cos();
        format!("cmul({v}, vec2<f32>({}, {}))", lit(c), lit(s))
    };
    writeln!(w, "        {v} = {rot};").unwrap();
}

/// Emits the DFT of the points in `slots` (one butterfly: 2, 4, 8 or an odd prime), in place,
/// exponent sign `sign`.
///
/// An odd prime `R` takes the symmetric form: with `h = (R − 1) / 2`, the sums
/// `s_t = x_t + x_(R−t)` and differences `d_t = x_t − x_(R−t)` (`0 < t ≤ h`) give
/// `y_q = a_q + i·b_q` and `y_(R−q) = a_q − i·b_q` for `0 < q ≤ h`, with the real-coefficient
/// sums `a_q = x_0 + Σ_t cos(θ_tq)·s_t` and `b_q = Σ_t sin(θ_tq)·d_t`
/// (`θ_tq = sign·2π·(t·q mod R)/R`): `4h²` real multiplications instead of the `4(R − 1)²` of
/// `R − 1` complex products per output. Each sum is added as a balanced tree (its rounding
/// error grows like `log2 h`, not `h`).
fn dft(w: &mut String, slots: &[String], sign: f64) {
    let radix = slots.len();
    let x = |t: usize| slots[t].clone();
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
            // Odd prime R, symmetric form (see above); W = exp(sign · 2πi / R).
            let h = radix / 2;
            for t in 0..radix {
                writeln!(w, "            let x{t} = {};", x(t)).unwrap();
            }
            for t in 1..=h {
                writeln!(
                    w,
                    "            let s{t} = x{t} + x{r}; let d{t} = x{t} - x{r};",
                    r = radix - t
                )
                .unwrap();
            }
            let mut dc = vec!["x0".to_string()];
            dc.extend((1..=h).map(|t| format!("s{t}")));
            writeln!(w, "            {} = {};", x(0), tree_sum(&dc)).unwrap();
            for q in 1..=h {
                let angle = |t: usize| {
                    sign * 2.0 * std::f64::consts::PI * ((t * q) % radix) as f64 / radix as f64
                };
                let mut a = vec!["x0".to_string()];
                a.extend((1..=h).map(|t| format!("{} * s{t}", lit(angle(t).cos()))));
                let b: Vec<String> = (1..=h)
                    .map(|t| format!("{} * d{t}", lit(angle(t).sin())))
                    .collect();
                writeln!(
                    w,
                    "            let a{q} = {};\n\
                     \x20           let b{q} = {};\n\
                     \x20           {} = vec2<f32>(a{q}.x - b{q}.y, a{q}.y + b{q}.x);\n\
                     \x20           {} = vec2<f32>(a{q}.x + b{q}.y, a{q}.y - b{q}.x);",
                    tree_sum(&a),
                    tree_sum(&b),
                    x(q),
                    x(radix - q)
                )
                .unwrap();
            }
        }
    }
    w.push_str("            }\n");
}

/// `terms` added as a balanced tree: `((t0 + t1) + (t2 + t3)) + …`.
fn tree_sum(terms: &[String]) -> String {
    if terms.is_empty() {
        return "vec2<f32>(0.0)".to_string();
    }
    balanced(terms, &|a, b| format!("({a} + {b})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_cover_the_length_within_the_radix_bound() {
        assert_eq!(
            passes(4096, 16),
            Some(vec![vec![8, 2], vec![8, 2], vec![8, 2]])
        );
        assert_eq!(
            passes(2048, 16),
            Some(vec![vec![8, 2], vec![8, 2], vec![8]])
        );
        assert_eq!(passes(1, 16), Some(vec![vec![1]]));
        assert_eq!(passes(15, 16), Some(vec![vec![3, 5]]));
        // 11 and 13 fit a pass only alone; 17 … 31 exceed the bound and make their own.
        assert_eq!(passes(11, 16), Some(vec![vec![11]]));
        assert_eq!(passes(22, 16), Some(vec![vec![2], vec![11]]));
        assert_eq!(passes(4092, 16), Some(vec![vec![4, 3], vec![11], vec![31]]));
        assert_eq!(
            passes(4004, 16),
            Some(vec![vec![4], vec![7], vec![11], vec![13]])
        );
        assert_eq!(passes(37, 16), None);
        assert_eq!(passes(2 * 37, 16), None);
        for max in [8, 16, 64] {
            for n in 1..5000 {
                let smooth = radices(n).is_some();
                assert_eq!(passes(n, max).is_some(), smooth, "{n}");
                if let Some(p) = passes(n, max) {
                    let radices: Vec<usize> = p.iter().map(|f| f.iter().product()).collect();
                    assert_eq!(radices.iter().product::<usize>(), n, "{n}: {p:?}");
                    // Within the bound, or one prime above it (at most 31) alone.
                    for f in &p {
                        let r: usize = f.iter().product();
                        assert!(r <= max || (f.len() == 1 && r <= 31), "{n}: {p:?}");
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod pairing_tests {
    use super::*;
    use crate::gpu::context::validate_wgsl;

    fn lines(batch: usize, (d1, d2): (usize, usize), src: [usize; 4], dst: [usize; 4]) -> Lines {
        Lines {
            batch,
            d1,
            d2,
            src,
            dst,
            scale: 1.0,
            inverse: false,
        }
    }

    /// `batch` contiguous rows of `n` points.
    fn rows(n: usize, batch: usize) -> Lines {
        lines(batch, (1, 1), [n, 0, 1, 1], [n, 0, 1, 1])
    }

    /// The first `batch` columns of `[n, width]` (its rows `n` points).
    fn columns(n: usize, batch: usize, width: usize) -> Lines {
        let s = [n * width, 0, 1, width];
        lines(batch, (1, width), s, s)
    }

    #[test]
    fn pairs_where_the_layout_allows_and_every_variant_validates() {
        let big = Big {
            n: 1 << 20,
            split: 1024,
            lo: 1024,
            hi: 2048,
        };
        // Four-step's steps for 2^20: columns of [1024, 1024] (lines along d1, with the
        // twiddle), then rows stored with stride 1024.
        let step1 = lines(
            1024,
            (1024, 1),
            [1 << 20, 1, 1, 1024],
            [1 << 20, 1, 1, 1024],
        );
        let step2 = lines(
            1024,
            (1024, 1),
            [1 << 20, 1024, 1, 1],
            [1 << 20, 1, 1, 1024],
        );
        let (points, none) = (Pair::Points, Pair::None);
        let (along_d2, along_d1) = (Pair::Lines { rows: false }, Pair::Lines { rows: true });
        // (n, four-step twiddle, interleaved, lines, expected pairing).
        let cases = [
            // Contiguous rows of 4096, 2048, 96 (= 8 · 12): points paired. One pass (16), an
            // odd count of first-pass butterflies (48 = 16 · 3), an odd length, a strided
            // store: unpaired.
            (4096, None, false, rows(4096, 3), points),
            (2048, None, false, rows(2048, 5), points),
            (96, None, false, rows(96, 3), points),
            (16, None, false, rows(16, 3), none),
            (48, None, false, rows(48, 3), none),
            (105, None, false, rows(105, 3), none),
            // Radix 11 and 31 passes: 352 = 8·4·11 and 1984 = 8·8·31 pair their points (every
            // pass has an even number of butterflies), 4092 = 12·11·31 does not (341).
            (352, None, false, rows(352, 3), points),
            (1984, None, false, rows(1984, 3), points),
            (4092, None, false, rows(4092, 3), none),
            (1024, None, false, step2, none),
            // Columns: pairs of lines along d2 or (four-step) d1; not an odd width (odd steps
            // along the lines: 1025, 5).
            (2048, None, true, columns(2048, 2048, 2048), along_d2),
            (1024, Some(big), true, step1, along_d1),
            (48, None, true, columns(48, 6, 6), along_d2),
            (2048, None, true, columns(2048, 1025, 1025), none),
            (48, None, true, columns(48, 5, 5), none),
            (62, None, true, columns(62, 6, 6), along_d2),
            (4004, None, true, columns(4004, 4, 4), none),
        ];
        for (n, big, interleaved, lines, want) in cases {
            let spec = Stockham::with_limits(n, big, interleaved, 4096, 256).pairing(&lines);
            assert_eq!(spec.pair, want, "n = {n}, interleaved {interleaved}");
            let source = spec.wgsl();
            validate_wgsl(&source).unwrap_or_else(|e| panic!("{e}\n{source}"));
        }
    }
}

// Joined after shaders/common.wgsl.
// 2-D correlation of every channel of a C-contiguous [h, w, c] image of u8, u16 or f32 with a
// float32 kernel, reading outside the image by a border rule, written C-contiguous [h, w, c] as
// u8, u16 or f32 (src/filters/direct.rs):
//
//     out[y, x, ch] = Σ_{i < kh, j < kw} k[i, j] · in_b[y + i − ay, x + j − ax, ch]
//
// Integer images are read as unit floats (v / 255 or v / 65535, exactly as `to_unit_float`) and
// written rounded and clamped (as `from_unit_float`), inside this kernel: no conversion passes.
// Both sides are bound as arrays of 16-byte `vec4<u32>` words, 8- and 16-bit values packed in
// them (DESIGN.md); the windows are 16-byte aligned and whole 16-byte words (`window()` in
// src/gpu/kernels.rs, and every buffer is a whole number of them).
//
// Cost model (a CPU driver, lavapipe): a storage access is a loop over the SIMD lanes (a mask
// and a bounds test per lane), its components loaded inside one such loop, so a `vec4<u32>`
// access (16 u8, 8 u16 or 4 f32 values) costs far less than four `u32` ones. Every access here
// is a whole `vec4<u32>`; values that start inside a word are shifted into place with register
// arithmetic (cheap).
//
// Each invocation computes one *group* of 16 consecutive output elements (in C order): one, two
// or four output words of 16 bytes (u8, u16, f32), written whole: no two invocations write one
// word. In C order, element e's tap (i, j) reads input element e + (i − ay)·W + (j − ax)·c
// (W = w·c): the group's 16 outputs read, for tap (i, j), the 16 consecutive inputs from
// e + (i − ay)·W + (j − ax)·c, and for tap (i, j + 1) the same run moved c elements on. That
// holds where the group lies in one row and every tap of its pixels inside the image: the
// interior. There the kernel keeps those 16 inputs in registers as a sliding *window*: for each
// kernel row it loads the first run, and for each further tap shifts the window by c; the
// elements that enter over four taps (4·c ≤ 16) are loaded as one run: 2 (u8), 3 (u16) or 5 (f32)
// loads a kernel row and 4 taps, rather than c a tap; four groups share one window (WIDE). Groups elsewhere (the edge strips, groups
// across two rows) take the per-element path with the border rule. Two pipelines (INTERIOR)
// rather than a branch: a CPU driver runs both sides of a branch under a mask.
//
// A one-column kernel (a separable filter's vertical pass) over rows of a whole number of groups
// runs its interior four rows per invocation (BLOCK): the four rows' windows are kernel rows
// i .. i + 3 of one column, so moving down a row loads one run, not four; where every run starts
// on a 16-byte word (ALIGNED) a run of u8 is one load. Its edge groups (rows above and below the
// interior) read a run a tap too, from the row the border rule gives.
//
// A kernel more than one row high and one column wide over such rows runs its interior two
// rows per invocation (BLOCK = 2 with WIDE): the upper row's kernel rows 1 .. kh − 1 are the
// lower row's 0 .. kh − 2, so the two rows' 2·kh windows are kh + 1 loads of windows.
//
// The parameters and the weights are uniform buffers and the edge path's index arithmetic has
// no integer division (`divmod`): both matter more than the arithmetic on a CPU driver (see
// their declarations).
//
// Compile time: every loop over taps has a run-time trip count (the kernel's size and the border
// mode are parameters, not constants), and the values of a group are named vectors, not arrays,
// so the code does not grow with the kernel, and one pipeline per (element types, channels,
// path) serves every kernel: llvmpipe compiles each in well under a second (a kernel unrolled
// per size, with arrays of a span's values, took minutes per test file on GL). The window's
// move by c needs c fixed (CH) so that its register moves are constant.
//
// A dispatch covers `seg_count` segments of groups, `seg_width` invocations each (excess ones
// return), flattened from a 2-D grid of 64-wide workgroups. Segment g is, by `kind`:
//   0: the groups [first, last) (one segment);
//   1: the interior groups of row row0 + g, those whose 16 elements lie in columns x0..x1;
//   2: the groups between the interior of row row0 + g and that of the next row (edge groups).

struct Params {
    // Workgroups along x, to flatten a 2-D dispatch.
    groups_x: u32,
    kind: u32,
    seg_count: u32,
    seg_width: u32,
    first: u32,
    last: u32,
    row0: u32,
    // Interior columns [x0, x1).
    x0: u32,
    x1: u32,
    // Elements per row (w · c) and channels, of input and output alike.
    row: u32,
    chans: u32,
    // Output elements in all: groups past it are not written.
    n: u32,
    // Input rows and columns, for the border rule.
    in_h: i32,
    in_w: i32,
    // The anchor: output (y, x) reads input row y − ay with kernel row 0.
    ay: i32,
    ax: i32,
    cval: f32,
    // Input element of pixel (0, 0, 0), from the start of the bound window.
    in_off: i32,
    // Added (wrapping) to an output word's index (16-byte words): the output is bound through a
    // window.
    out_off: u32,
    // The kernel's rows and columns, and the border mode: 0 clamp, 1 reflect-101, 2 wrap,
    // 3 constant.
    kh: i32,
    kw: i32,
    mode: u32,
    // (To a whole 16 bytes, as a uniform buffer binds it.)
    pad0: u32,
    pad1: u32,
}

// Channels (elements per pixel): the interior window moves CH elements a tap (the edge path
// reads `p.chans`).
override CH: u32 = 1u;
// Bytes per element of the input and the output: 1 (u8), 2 (u16) or 4 (f32).
override IN: u32 = 4u;
override OUT: u32 = 4u;
override INTERIOR: bool = false;
// Output rows per interior invocation: 1, or 4 for a one-column kernel (a vertical pass) over
// rows of a whole number of groups (W a multiple of 16), where 4 rows share the kernel's
// runs: kh + 3 runs loaded for 4 groups, rather than 4·kh; or 2 (with WIDE) for a kernel
// more than one row high and one column wide over such rows: kh + 1 windows loaded for two
// rows of four groups, rather than 2·kh (`interior_pair`).
override BLOCK: u32 = 1u;
// Interior invocations of a kernel more than one column wide compute four consecutive groups
// (the last of a row's interior the four that end it): one window of 64 inputs, so the
// elements entering over four taps are one run of loads for 64 outputs rather than 16.
override WIDE: bool = false;
// Every run the kernel loads starts on a 16-byte word (the host's promise: the image's start
// and its rows are whole words, BLOCK only): a run is 1 (u8), 2 (u16) or 4 (f32) loads.
override ALIGNED: bool = false;

@group(0) @binding(0) var<storage, read> src: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<u32>>;
// The parameters and the weights are uniform buffers, not storage: on a CPU driver a uniform
// load at a constant offset (every parameter) is one scalar load for all the SIMD lanes, and
// one at a varying offset (a weight, indexed by the loop counters) a gather without branches,
// where every storage load is a loop over the lanes with a mask and a bounds test per lane
// (`emit_load_ubo` / `emit_load_mem` in Mesa's `lp_bld_nir_soa.c`).
@group(0) @binding(3) var<uniform> p: Params;
// The kernel's weights in C order, four a 16-byte word (uniform arrays have a 16-byte
// stride): up to 256 taps. src/filters/direct.rs replaces these two declarations (the lines
// from `// WEIGHTS` to `// END WEIGHTS`) by a storage array for larger kernels.
// WEIGHTS
@group(0) @binding(1) var<uniform> weights: array<vec4<f32>, 64>;
fn weight(i: i32) -> f32 {
    return weights[i / 4][i % 4];
}
// END WEIGHTS

// Largest value of an integer type, as unit float 1.
fn unit_max(size: u32) -> f32 {
    return select(255.0, 65535.0, size == 2u);
}

// Value k (0-based) of the word `w` of IN-byte elements, as a float.
fn unpack(w: u32, k: u32) -> f32 {
    switch IN {
        case 1u: {
            return f32((w >> (k * 8u)) & 0xffu) / 255.0;
        }
        case 2u: {
            return f32((w >> (k * 16u)) & 0xffffu) / 65535.0;
        }
        default: {
            return bitcast<f32>(w);
        }
    }
}

// Input element i (i ≥ 0, from the window's start) as a float: one load.
fn load1(i: u32) -> f32 {
    let per_word = 4u / IN;
    let w = i / per_word;
    return unpack(src[w / 4u][w % 4u], i % per_word);
}

// Output element e (global, C order) by the border rule.
fn edge_value(e: u32) -> f32 {
    let yr = divmod(i32(e), i32(p.row));
    let xc = divmod(yr.y, i32(p.chans));
    let y = yr.x;
    let x = xc.x;
    let ch = xc.y;
    let y0 = y - p.ay;
    let x0 = x - p.ax;
    let row = i32(p.row);
    let c = i32(p.chans);
    var acc = 0.0;
    for (var i = 0; i < p.kh; i++) {
        let yy = border(y0 + i, p.in_h, p.mode);
        for (var j = 0; j < p.kw; j++) {
            let xx = border(x0 + j, p.in_w, p.mode);
            var v = p.cval;
            if yy >= 0 && xx >= 0 {
                v = load1(u32(p.in_off + yy * row + xx * c + ch));
            }
            acc += weight(i * p.kw + j) * v;
        }
    }
    return acc;
}

// First group of row y whose elements all lie in columns x0.. and last + 1 of those that end
// before column x1.
fn interior_groups(y: u32) -> vec2<u32> {
    let start = y * p.row;
    return vec2((start + p.x0 * p.chans + 15u) / 16u, (start + p.x1 * p.chans) / 16u);
}

// A float result as an integer of OUT bytes: round(clamp(v, 0, 1) · max), NaN → 0.
fn to_int(v: f32) -> u32 {
    let nan = (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
    return u32(select(round(clamp(v, 0.0, 1.0) * unit_max(OUT)), 0.0, nan));
}

// 16 consecutive elements (or sums) as four vectors. Named vectors rather than an array: the
// compiler keeps them in registers whether or not it unrolls the loops around them (an array
// indexed in a loop it does not unroll goes to memory, lane by lane, on a CPU driver).
struct Run {
    a: vec4<f32>,
    b: vec4<f32>,
    c: vec4<f32>,
    d: vec4<f32>,
}

// Bits [s, s + 32) of the 64-bit pairs (hi:lo), s < 32, four at a time.
fn join(lo: vec4<u32>, hi: vec4<u32>, s: u32) -> vec4<u32> {
    return select((lo >> vec4(s)) | (hi << vec4(32u - s)), lo, s == 0u);
}

// Words k .. k + 3 (k < 4) of the eight words lo, hi.
fn words(lo: vec4<u32>, hi: vec4<u32>, k: u32) -> vec4<u32> {
    var w = lo;
    w = select(w, vec4(lo.yzw, hi.x), k == 1u);
    w = select(w, vec4(lo.zw, hi.xy), k == 2u);
    w = select(w, vec4(lo.w, hi.xyz), k == 3u);
    return w;
}

// A word of four u8 (two u16) values as floats, v / 255 (v / 65535) exactly as `load1`.
fn bytes4(w: u32) -> vec4<f32> {
    return vec4<f32>(vec4(w & 0xffu, (w >> 8u) & 0xffu, (w >> 16u) & 0xffu, w >> 24u)) / 255.0;
}

fn halves4(w: vec2<u32>) -> vec4<f32> {
    return vec4<f32>(vec4(w.x & 0xffffu, w.x >> 16u, w.y & 0xffffu, w.y >> 16u)) / 65535.0;
}

fn floats(w: vec4<u32>) -> vec4<f32> {
    return bitcast<vec4<f32>>(w);
}

// The 16 input elements from element b (≥ 0) on, as floats: the 16-byte words that hold them
// (u8: 2, u16: 3, f32: 5; ALIGNED: 1, 2, 4), shifted into place.
fn run16(b: u32) -> Run {
    switch IN {
        case 1u: {
            if ALIGNED {
                let w = src[b / 16u];
                return Run(bytes4(w.x), bytes4(w.y), bytes4(w.z), bytes4(w.w));
            }
            // Words f .. f + 4 hold the 16 bytes; the byte shift s moves them into place.
            let f = b / 4u;
            return bytes16(src[f / 4u], src[f / 4u + 1u], f % 4u, (b % 4u) * 8u);
        }
        case 2u: {
            if ALIGNED {
                let l0 = src[b / 8u];
                let l1 = src[b / 8u + 1u];
                return Run(halves4(l0.xy), halves4(l0.zw), halves4(l1.xy), halves4(l1.zw));
            }
            let f = b / 2u;
            let q = f / 4u;
            return halves16(src[q], src[q + 1u], src[q + 2u], f % 4u, (b % 2u) * 16u);
        }
        default: {
            let q = b / 4u;
            if ALIGNED {
                return Run(floats(src[q]), floats(src[q + 1u]), floats(src[q + 2u]), floats(src[q + 3u]));
            }
            return floats16(src[q], src[q + 1u], src[q + 2u], src[q + 3u], src[q + 4u], b % 4u);
        }
    }
}

// The unaligned cases of `run16` from the words loaded: u8 from word k (< 4) of l0 on,
// shifted right by s bits; u16 likewise from three words; f32 from element k of l0.
fn bytes16(l0: vec4<u32>, l1: vec4<u32>, k: u32, s: u32) -> Run {
    let w0 = words(l0, l1, k);
    let w = join(w0, vec4(w0.yzw, l1[k]), s);
    return Run(bytes4(w.x), bytes4(w.y), bytes4(w.z), bytes4(w.w));
}

fn halves16(l0: vec4<u32>, l1: vec4<u32>, l2: vec4<u32>, k: u32, s: u32) -> Run {
    let w0 = words(l0, l1, k);
    let w1 = words(l1, l2, k);
    let lo = join(w0, vec4(w0.yzw, w1.x), s);
    let hi = join(w1, vec4(w1.yzw, l2[k]), s);
    return Run(halves4(lo.xy), halves4(lo.zw), halves4(hi.xy), halves4(hi.zw));
}

fn floats16(l0: vec4<u32>, l1: vec4<u32>, l2: vec4<u32>, l3: vec4<u32>, l4: vec4<u32>, k: u32) -> Run {
    return Run(
        floats(words(l0, l1, k)),
        floats(words(l1, l2, k)),
        floats(words(l2, l3, k)),
        floats(words(l3, l4, k)),
    );
}

// The 64 input elements from element b (≥ 0) on as four runs (a WIDE window, never ALIGNED):
// the four `run16` from b, b + 16, b + 32, b + 48, from one span of words (u8: 5, u16: 9,
// f32: 17 loads, where the four would load 8, 12 and 20; the same words, the same values).
fn run64(b: u32) -> array<Run, 4> {
    switch IN {
        case 1u: {
            let f = b / 4u;
            let q = f / 4u;
            let k = f % 4u;
            let s = (b % 4u) * 8u;
            let l0 = src[q];
            let l1 = src[q + 1u];
            let l2 = src[q + 2u];
            let l3 = src[q + 3u];
            let l4 = src[q + 4u];
            return array(bytes16(l0, l1, k, s), bytes16(l1, l2, k, s), bytes16(l2, l3, k, s), bytes16(l3, l4, k, s));
        }
        case 2u: {
            let f = b / 2u;
            let q = f / 4u;
            let k = f % 4u;
            let s = (b % 2u) * 16u;
            let l0 = src[q];
            let l1 = src[q + 1u];
            let l2 = src[q + 2u];
            let l3 = src[q + 3u];
            let l4 = src[q + 4u];
            let l5 = src[q + 5u];
            let l6 = src[q + 6u];
            let l7 = src[q + 7u];
            let l8 = src[q + 8u];
            return array(
                halves16(l0, l1, l2, k, s),
                halves16(l2, l3, l4, k, s),
                halves16(l4, l5, l6, k, s),
                halves16(l6, l7, l8, k, s),
            );
        }
        default: {
            let q = b / 4u;
            let k = b % 4u;
            let l0 = src[q];
            let l1 = src[q + 1u];
            let l2 = src[q + 2u];
            let l3 = src[q + 3u];
            let l4 = src[q + 4u];
            let l5 = src[q + 5u];
            let l6 = src[q + 6u];
            let l7 = src[q + 7u];
            let l8 = src[q + 8u];
            let l9 = src[q + 9u];
            let l10 = src[q + 10u];
            let l11 = src[q + 11u];
            let l12 = src[q + 12u];
            let l13 = src[q + 13u];
            let l14 = src[q + 14u];
            let l15 = src[q + 15u];
            let l16 = src[q + 16u];
            return array(
                floats16(l0, l1, l2, l3, l4, k),
                floats16(l4, l5, l6, l7, l8, k),
                floats16(l8, l9, l10, l11, l12, k),
                floats16(l12, l13, l14, l15, l16, k),
            );
        }
    }
}

// The run from element b whose first 4·CH elements (CH < 4) enter a window over four taps
// (`part`): for f32 only the words that hold those (2, 3 or 4 loads rather than 5); the rest
// of the run is not used.
fn run_entering(b: u32) -> Run {
    if IN != 4u || CH >= 4u || ALIGNED {
        return run16(b);
    }
    let q = b / 4u;
    let k = b % 4u;
    let l0 = src[q];
    let l1 = src[q + 1u];
    var l2 = l1;
    var l3 = l1;
    if CH >= 2u {
        l2 = src[q + 2u];
    }
    if CH >= 3u {
        l3 = src[q + 3u];
    }
    return Run(floats(words(l0, l1, k)), floats(words(l1, l2, k)), floats(words(l2, l3, k)), vec4(0.0));
}

// The 4 input elements from b (≥ 0), as floats: two loads.
fn head4(b: u32) -> vec4<f32> {
    let per_word = 4u / IN;
    let f = b / per_word;
    let l0 = src[f / 4u];
    let l1 = src[f / 4u + 1u];
    let w = words(l0, l1, f % 4u);
    let s = (b % per_word) * IN * 8u;
    switch IN {
        case 1u: {
            return bytes4(join(w, w.yzwx, s).x);
        }
        case 2u: {
            return halves4(join(w, w.yzwx, s).xy);
        }
        default: {
            return floats(w);
        }
    }
}

// The run `v` moved CH elements on (CH ≤ 4), the first CH values of `n` entering at its end.
fn shift_in(v: Run, n: vec4<f32>) -> Run {
    switch CH {
        case 1u: {
            return Run(
                vec4(v.a.yzw, v.b.x),
                vec4(v.b.yzw, v.c.x),
                vec4(v.c.yzw, v.d.x),
                vec4(v.d.yzw, n.x),
            );
        }
        case 2u: {
            return Run(
                vec4(v.a.zw, v.b.xy),
                vec4(v.b.zw, v.c.xy),
                vec4(v.c.zw, v.d.xy),
                vec4(v.d.zw, n.xy),
            );
        }
        case 3u: {
            return Run(
                vec4(v.a.w, v.b.xyz),
                vec4(v.b.w, v.c.xyz),
                vec4(v.c.w, v.d.xyz),
                vec4(v.d.w, n.xyz),
            );
        }
        default: {
            return Run(v.b, v.c, v.d, n);
        }
    }
}

// Elements t·CH .. (t + 1)·CH of the run q (t < 4, CH ≤ 4), in the first CH components: what
// enters the window at the t-th of four moves.
fn part(q: Run, t: u32) -> vec4<f32> {
    switch CH {
        case 1u: {
            return vec4(q.a[t]);
        }
        case 2u: {
            let h = select(q.b, q.a, t < 2u);
            return select(h.zwxy, h, t % 2u == 0u);
        }
        case 3u: {
            switch t {
                case 0u: {
                    return q.a;
                }
                case 1u: {
                    return vec4(q.a.w, q.b.xyz);
                }
                case 2u: {
                    return vec4(q.b.zw, q.c.xy);
                }
                default: {
                    return vec4(q.c.yzw, q.d.x);
                }
            }
        }
        default: {
            switch t {
                case 0u: {
                    return q.a;
                }
                case 1u: {
                    return q.b;
                }
                case 2u: {
                    return q.c;
                }
                default: {
                    return q.d;
                }
            }
        }
    }
}

fn madd(acc: Run, w: f32, v: Run) -> Run {
    return Run(acc.a + w * v.a, acc.b + w * v.b, acc.c + w * v.c, acc.d + w * v.d);
}

// Four consecutive interior groups from output element e (WIDE): one window of 64 inputs slid
// along each kernel row; the 4·CH elements entering over four taps loaded as one run.
fn interior_wide(e: u32) -> array<Run, 4> {
    var a0 = Run(vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0));
    var a1 = a0;
    var a2 = a0;
    var a3 = a0;
    let base = p.in_off + i32(e) - p.ay * i32(p.row) - p.ax * i32(CH);
    for (var i = 0; i < p.kh; i++) {
        var b = u32(base + i * i32(p.row));
        let w = run64(b);
        var v0 = w[0];
        var v1 = w[1];
        var v2 = w[2];
        var v3 = w[3];
        let k = i * p.kw;
        var j = 0;
        if CH <= 4u {
            // Four taps and four moves at a time while a tap follows them.
            for (; j + 4 < p.kw; j += 4) {
                let q = run_entering(b + 64u);
                for (var t = 0u; t < 4u; t++) {
                    let wt = weight(k + j + i32(t));
                    a0 = madd(a0, wt, v0);
                    a1 = madd(a1, wt, v1);
                    a2 = madd(a2, wt, v2);
                    a3 = madd(a3, wt, v3);
                    v0 = shift_in(v0, v1.a);
                    v1 = shift_in(v1, v2.a);
                    v2 = shift_in(v2, v3.a);
                    v3 = shift_in(v3, part(q, t));
                }
                b += 4u * CH;
            }
        }
        for (; j < p.kw; j++) {
            let wt = weight(k + j);
            a0 = madd(a0, wt, v0);
            a1 = madd(a1, wt, v1);
            a2 = madd(a2, wt, v2);
            a3 = madd(a3, wt, v3);
            if j + 1 < p.kw {
                if CH > 4u {
                    let w = run64(b + CH);
                    v0 = w[0];
                    v1 = w[1];
                    v2 = w[2];
                    v3 = w[3];
                } else {
                    v0 = shift_in(v0, v1.a);
                    v1 = shift_in(v1, v2.a);
                    v2 = shift_in(v2, v3.a);
                    v3 = shift_in(v3, head4(b + 64u));
                }
                b += CH;
            }
        }
    }
    return array(a0, a1, a2, a3);
}

// Two rows of four consecutive interior groups (BLOCK = 2, WIDE): from output element e and
// the four groups one row below (rows of whole groups). Input row i of the pair's window is
// kernel row i of the upper output row and kernel row i − 1 of the lower one, so kh + 1
// windows are loaded for both rows rather than 2·kh; each output's products are added in the
// same order as `interior_wide` adds them (bit for bit the same sums).
fn interior_pair(e: u32) -> array<Run, 8> {
    var a0 = Run(vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0));
    var a1 = a0;
    var a2 = a0;
    var a3 = a0;
    var c0 = a0;
    var c1 = a0;
    var c2 = a0;
    var c3 = a0;
    let base = p.in_off + i32(e) - p.ay * i32(p.row) - p.ax * i32(CH);
    for (var i = 0; i <= p.kh; i++) {
        let upper = i < p.kh;
        let lower = i > 0;
        // The upper row's weights of this row, and the lower row's (kernel row i − 1).
        let k = i * p.kw;
        let k1 = max(k - p.kw, 0);
        var b = u32(base + i * i32(p.row));
        let w = run64(b);
        var v0 = w[0];
        var v1 = w[1];
        var v2 = w[2];
        var v3 = w[3];
        var j = 0;
        if CH <= 4u {
            for (; j + 4 < p.kw; j += 4) {
                let q = run_entering(b + 64u);
                for (var t = 0u; t < 4u; t++) {
                    if upper {
                        let wt = weight(k + j + i32(t));
                        a0 = madd(a0, wt, v0);
                        a1 = madd(a1, wt, v1);
                        a2 = madd(a2, wt, v2);
                        a3 = madd(a3, wt, v3);
                    }
                    if lower {
                        let wt = weight(k1 + j + i32(t));
                        c0 = madd(c0, wt, v0);
                        c1 = madd(c1, wt, v1);
                        c2 = madd(c2, wt, v2);
                        c3 = madd(c3, wt, v3);
                    }
                    v0 = shift_in(v0, v1.a);
                    v1 = shift_in(v1, v2.a);
                    v2 = shift_in(v2, v3.a);
                    v3 = shift_in(v3, part(q, t));
                }
                b += 4u * CH;
            }
        }
        for (; j < p.kw; j++) {
            if upper {
                let wt = weight(k + j);
                a0 = madd(a0, wt, v0);
                a1 = madd(a1, wt, v1);
                a2 = madd(a2, wt, v2);
                a3 = madd(a3, wt, v3);
            }
            if lower {
                let wt = weight(k1 + j);
                c0 = madd(c0, wt, v0);
                c1 = madd(c1, wt, v1);
                c2 = madd(c2, wt, v2);
                c3 = madd(c3, wt, v3);
            }
            if j + 1 < p.kw {
                if CH > 4u {
                    let w = run64(b + CH);
                    v0 = w[0];
                    v1 = w[1];
                    v2 = w[2];
                    v3 = w[3];
                } else {
                    v0 = shift_in(v0, v1.a);
                    v1 = shift_in(v1, v2.a);
                    v2 = shift_in(v2, v3.a);
                    v3 = shift_in(v3, head4(b + 64u));
                }
                b += CH;
            }
        }
    }
    return array(a0, a1, a2, a3, c0, c1, c2, c3);
}

// The interior group from output element e: for each kernel row, a window of 16 inputs slid
// along the row's taps (see the header).
fn interior(e: u32) -> Run {
    var acc = Run(vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0));
    let base = p.in_off + i32(e) - p.ay * i32(p.row) - p.ax * i32(CH);
    for (var i = 0; i < p.kh; i++) {
        var b = u32(base + i * i32(p.row));
        var v = run16(b);
        for (var j = 0; j < p.kw; j++) {
            acc = madd(acc, weight(i * p.kw + j), v);
            if j + 1 < p.kw {
                if CH > 4u {
                    v = run16(b + CH);
                } else {
                    v = shift_in(v, head4(b + 16u));
                }
                b += CH;
            }
        }
    }
    return acc;
}

// The edge group from output element e of a one-column kernel over rows of whole groups
// (BLOCK): a run a tap, from the row the border rule gives.
fn edge_rows(e: u32) -> Run {
    let yc = divmod(i32(e), i32(p.row));
    let y = yc.x - p.ay;
    let column = u32(yc.y);
    var acc = Run(vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0));
    for (var i = 0; i < p.kh; i++) {
        let yy = border(y + i, p.in_h, p.mode);
        var v = Run(vec4(p.cval), vec4(p.cval), vec4(p.cval), vec4(p.cval));
        if yy >= 0 {
            v = run16(u32(p.in_off + yy * i32(p.row)) + column);
        }
        acc = madd(acc, weight(i), v);
    }
    return acc;
}

// The interior groups g, g + G, g + 2G, g + 3G (G groups a row: W = 16·G) of a one-column
// kernel, from output element e: four output rows slide down one window of four runs, one
// run loaded per kernel row.
fn interior_block(e: u32, g: u32) {
    let row = p.row;
    var b = u32(p.in_off + i32(e) - p.ay * i32(row));
    var a0 = Run(vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0));
    var a1 = a0;
    var a2 = a0;
    var a3 = a0;
    var r0 = run16(b);
    var r1 = run16(b + row);
    var r2 = run16(b + 2u * row);
    var r3 = run16(b + 3u * row);
    for (var i = 0; i < p.kh; i++) {
        let wt = weight(i);
        a0 = madd(a0, wt, r0);
        a1 = madd(a1, wt, r1);
        a2 = madd(a2, wt, r2);
        a3 = madd(a3, wt, r3);
        if i + 1 < p.kh {
            r0 = r1;
            r1 = r2;
            r2 = r3;
            b += row;
            r3 = run16(b + 3u * row);
        }
    }
    let groups = row / 16u;
    store16(g, a0);
    store16(g + groups, a1);
    store16(g + 2u * groups, a2);
    store16(g + 3u * groups, a3);
}

// Four results as the bytes of a word (OUT = 1), or as the halves of two (OUT = 2).
fn pack4(v: vec4<f32>) -> u32 {
    return to_int(v.x) | (to_int(v.y) << 8u) | (to_int(v.z) << 16u) | (to_int(v.w) << 24u);
}

fn pack2x2(v: vec4<f32>) -> vec2<u32> {
    return vec2(to_int(v.x) | (to_int(v.y) << 16u), to_int(v.z) | (to_int(v.w) << 16u));
}

// Writes the groups g0 .. g0 + 3 from g on (the WIDE path's four groups).
fn store_four(g0: u32, g: u32, r0: Run, r1: Run, r2: Run, r3: Run) {
    if g0 >= g {
        store16(g0, r0);
    }
    if g0 + 1u >= g {
        store16(g0 + 1u, r1);
    }
    if g0 + 2u >= g {
        store16(g0 + 2u, r2);
    }
    store16(g0 + 3u, r3);
}

// Writes the group g's 16 results: 1 (u8), 2 (u16) or 4 (f32) whole 16-byte words.
fn store16(g: u32, v: Run) {
    switch OUT {
        case 1u: {
            dst[g + p.out_off] = vec4(pack4(v.a), pack4(v.b), pack4(v.c), pack4(v.d));
        }
        case 2u: {
            dst[2u * g + p.out_off] = vec4(pack2x2(v.a), pack2x2(v.b));
            dst[2u * g + 1u + p.out_off] = vec4(pack2x2(v.c), pack2x2(v.d));
        }
        default: {
            let at = 4u * g + p.out_off;
            dst[at] = bitcast<vec4<u32>>(v.a);
            dst[at + 1u] = bitcast<vec4<u32>>(v.b);
            dst[at + 2u] = bitcast<vec4<u32>>(v.c);
            dst[at + 3u] = bitcast<vec4<u32>>(v.d);
        }
    }
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let t = (wg.y * p.groups_x + wg.x) * 64u + lid;
    let st = divmod(i32(t), i32(p.seg_width));
    let seg = u32(st.x);
    if seg >= p.seg_count {
        return;
    }
    var range = vec2(p.first, p.last);
    if p.kind == 1u {
        range = interior_groups(p.row0 + seg * BLOCK);
    } else if p.kind == 2u {
        range = vec2(interior_groups(p.row0 + seg).y, interior_groups(p.row0 + seg + 1u).x);
    }
    let g = range.x + select(1u, 4u, WIDE) * u32(st.y);
    if g >= range.y {
        return;
    }
    let e = 16u * g;
    if INTERIOR {
        // Every tap of the group's elements lies inside the image, and the group inside the
        // output (p.n): all 16 are written.
        if BLOCK == 4u {
            interior_block(e, g);
        } else if WIDE {
            // Four groups from g; for the last (up to three) of a row's interior, the four that
            // end there, of which the groups before g are another invocation's (the host
            // leaves interiors of fewer than four groups to the edge path).
            let g0 = min(g, range.y - 4u);
            if BLOCK == 2u {
                // And the four below them (rows of whole groups: the same columns).
                let eight = interior_pair(16u * g0);
                let below = p.row / 16u;
                store_four(g0, g, eight[0], eight[1], eight[2], eight[3]);
                store_four(g0 + below, g + below, eight[4], eight[5], eight[6], eight[7]);
            } else {
                let four = interior_wide(16u * g0);
                store_four(g0, g, four[0], four[1], four[2], four[3]);
            }
        } else {
            store16(g, interior(e));
        }
        return;
    }
    if BLOCK == 4u {
        // A one-column kernel over rows of whole groups: the group lies in one row, and every
        // tap's column inside the image, so each tap reads one run, from the row the border
        // rule gives (or the constant).
        store16(g, edge_rows(e));
        return;
    }
    // The edge path, four elements at a time (a run-time loop: small code); elements past p.n
    // are written as zeros.
    var v = Run(vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0));
    for (var q = 0u; q < 4u; q++) {
        var four = vec4(0.0);
        for (var k = 0u; k < 4u; k++) {
            let at = e + 4u * q + k;
            if at < p.n {
                four[k] = edge_value(at);
            }
        }
        switch q {
            case 0u: {
                v.a = four;
            }
            case 1u: {
                v.b = four;
            }
            case 2u: {
                v.c = four;
            }
            default: {
                v.d = four;
            }
        }
    }
    store16(g, v);
}

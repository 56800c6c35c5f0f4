// Joined after shaders/common.wgsl.
// 2-D correlation of every channel of a C-contiguous [h, w, c] image of u8, u16 or f32 with a
// float32 kernel, reading outside the image by a border rule, written C-contiguous [h, w, c] as
// u8, u16 or f32 (src/filters/direct.rs):
//
//     out[y, x, ch] = Σ_{i < kh, j < kw} k[i, j] · in_b[y + i − ay, x + j − ax, ch]
//
// Integer images are read as unit floats (v / 255 or v / 65535, exactly as `to_unit_float`) and
// written rounded and clamped (as `from_unit_float`), inside this kernel: no conversion passes.
// Both sides are arrays of 32-bit words, 8- and 16-bit values packed in them (DESIGN.md).
//
// Each invocation computes one *group* of 16 consecutive output elements (in C order), whole
// output words for every type: no two invocations write one word. In C order, element e's tap
// (i, j) reads input element e + (i − ay)·W + (j − ax)·c (W = w·c): the group's 16 outputs read,
// for tap (i, j), the 16 consecutive inputs from e + (i − ay)·W + (j − ax)·c, and for tap
// (i, j + 1) the same run moved c elements on. That holds where the group lies in one row and
// every tap of its pixels inside the image: the interior. There the kernel keeps those 16 inputs
// in registers as a sliding *window*: for each kernel row it loads the first run (as whole words,
// shifted into place when it starts inside a word), and for each further tap shifts the window
// by c and loads only the c new elements: 16 + (kw − 1)·c loads per kernel row for 16 outputs,
// rather than 16·kw. (On a CPU driver every storage load is a per-lane loop: the loads, not the
// arithmetic, are the cost.) Groups elsewhere (the edge strips, groups across two rows) take the
// per-element path with the border rule. Two pipelines (INTERIOR) rather than a branch: a CPU
// driver runs both sides of a branch under a mask.
//
// A one-column kernel (a separable filter's vertical pass) over rows of a whole number of groups
// runs its interior four rows per invocation (BLOCK): the four rows' windows are kernel rows
// i .. i + 3 of one column, so moving down a row loads one run, not four.
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
    // Added (wrapping) to an output word's index: the output is bound through a window.
    out_off: u32,
    // The kernel's rows and columns, and the border mode: 0 clamp, 1 reflect-101, 2 wrap,
    // 3 constant.
    kh: i32,
    kw: i32,
    mode: u32,
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
// runs: kh + 3 runs loaded for 4 groups, rather than 4·kh.
override BLOCK: u32 = 1u;
// Interior invocations of a kernel more than one column wide compute two consecutive groups
// (the last of a row's interior alone): one window of 32 inputs, so a tap's move loads CH
// values for 32 outputs rather than 16.
override PAIR: bool = false;

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;
@group(0) @binding(3) var<storage, read> p: Params;

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

// Input element i (i ≥ 0, from the window's start) as a float.
fn load1(i: u32) -> f32 {
    let per_word = 4u / IN;
    return unpack(src[i / per_word], i % per_word);
}

// Output element e (global, C order) by the border rule.
fn edge_value(e: u32) -> f32 {
    let y = i32(e / p.row);
    let r = e % p.row;
    let x = i32(r / p.chans);
    let ch = i32(r % p.chans);
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
            acc += weights[i * p.kw + j] * v;
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

// Bits [s, s + 32) of the 64-bit pair (hi:lo), s < 32.
fn join(lo: u32, hi: u32, s: u32) -> u32 {
    return select((lo >> s) | (hi << (32u - s)), lo, s == 0u);
}

// A word of four u8 (two u16) values as floats, v / 255 (v / 65535) exactly as `load1`.
fn bytes4(w: u32) -> vec4<f32> {
    return vec4<f32>(vec4(w & 0xffu, (w >> 8u) & 0xffu, (w >> 16u) & 0xffu, w >> 24u)) / 255.0;
}

fn halves2(w: u32) -> vec2<f32> {
    return vec2<f32>(vec2(w & 0xffffu, w >> 16u)) / 65535.0;
}

// The 16 input elements from element b (≥ 0) on, as floats: whole words, the integer types'
// shifted into place when b starts inside a word.
fn run16(b: u32) -> Run {
    switch IN {
        case 1u: {
            // Five words hold 16 bytes from any start.
            let f = b / 4u;
            let s = (b % 4u) * 8u;
            let w0 = src[f];
            let w1 = src[f + 1u];
            let w2 = src[f + 2u];
            let w3 = src[f + 3u];
            let w4 = src[f + 4u];
            return Run(
                bytes4(join(w0, w1, s)),
                bytes4(join(w1, w2, s)),
                bytes4(join(w2, w3, s)),
                bytes4(join(w3, w4, s)),
            );
        }
        case 2u: {
            let f = b / 2u;
            let s = (b % 2u) * 16u;
            var w: array<u32, 9>;
            w[0] = src[f];
            w[1] = src[f + 1u];
            w[2] = src[f + 2u];
            w[3] = src[f + 3u];
            w[4] = src[f + 4u];
            w[5] = src[f + 5u];
            w[6] = src[f + 6u];
            w[7] = src[f + 7u];
            w[8] = src[f + 8u];
            return Run(
                vec4(halves2(join(w[0], w[1], s)), halves2(join(w[1], w[2], s))),
                vec4(halves2(join(w[2], w[3], s)), halves2(join(w[3], w[4], s))),
                vec4(halves2(join(w[4], w[5], s)), halves2(join(w[5], w[6], s))),
                vec4(halves2(join(w[6], w[7], s)), halves2(join(w[7], w[8], s))),
            );
        }
        default: {
            return Run(f32x4(b), f32x4(b + 4u), f32x4(b + 8u), f32x4(b + 12u));
        }
    }
}

fn f32x4(b: u32) -> vec4<f32> {
    return bitcast<vec4<f32>>(vec4(src[b], src[b + 1u], src[b + 2u], src[b + 3u]));
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

// The CH (≤ 4) input elements from b, in the first CH components.
fn incoming(b: u32) -> vec4<f32> {
    switch CH {
        case 1u: {
            return vec4(load1(b), 0.0, 0.0, 0.0);
        }
        case 2u: {
            return vec4(load1(b), load1(b + 1u), 0.0, 0.0);
        }
        case 3u: {
            return vec4(load1(b), load1(b + 1u), load1(b + 2u), 0.0);
        }
        default: {
            return vec4(load1(b), load1(b + 1u), load1(b + 2u), load1(b + 3u));
        }
    }
}

// The run `v` of the elements from b moved CH elements on: the CH new ones loaded (from
// b + 16); past 4 channels, the run loaded anew.
fn slide(v: Run, b: u32) -> Run {
    if CH > 4u {
        return run16(b + CH);
    }
    return shift_in(v, incoming(b + 16u));
}

// Two consecutive interior groups from output element e (PAIR): one window of 32 inputs slid
// along each kernel row, CH loads a tap for 32 outputs.
fn interior_pair(e: u32) -> array<Run, 2> {
    var lo = Run(vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0));
    var hi = lo;
    let base = p.in_off + i32(e) - p.ay * i32(p.row) - p.ax * i32(CH);
    for (var i = 0; i < p.kh; i++) {
        var b = u32(base + i * i32(p.row));
        var v = run16(b);
        var u = run16(b + 16u);
        for (var j = 0; j < p.kw; j++) {
            let wt = weights[i * p.kw + j];
            lo = madd(lo, wt, v);
            hi = madd(hi, wt, u);
            if j + 1 < p.kw {
                if CH > 4u {
                    v = run16(b + CH);
                    u = run16(b + CH + 16u);
                } else {
                    v = shift_in(v, u.a);
                    u = shift_in(u, incoming(b + 32u));
                }
                b += CH;
            }
        }
    }
    return array(lo, hi);
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
            let wt = weights[i * p.kw + j];
            acc.a += wt * v.a;
            acc.b += wt * v.b;
            acc.c += wt * v.c;
            acc.d += wt * v.d;
            if j + 1 < p.kw {
                v = slide(v, b);
                b += CH;
            }
        }
    }
    return acc;
}

fn madd(acc: Run, w: f32, v: Run) -> Run {
    return Run(acc.a + w * v.a, acc.b + w * v.b, acc.c + w * v.c, acc.d + w * v.d);
}

// Writes the group g's 16 results.
fn store16(g: u32, v: Run) {
    store4(g, 0u, v.a);
    store4(g, 1u, v.b);
    store4(g, 2u, v.c);
    store4(g, 3u, v.d);
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
        let wt = weights[i];
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

// Four results as the bytes of a word (OUT = 1) or two as the halves (OUT = 2, .xy).
fn pack4(v: vec4<f32>) -> u32 {
    return to_int(v.x) | (to_int(v.y) << 8u) | (to_int(v.z) << 16u) | (to_int(v.w) << 24u);
}

fn pack2(v: vec2<f32>) -> u32 {
    return to_int(v.x) | (to_int(v.y) << 16u);
}

// Writes the 4 results `v` of output elements 4k.. (k counted in whole groups from g's).
fn store4(g: u32, k: u32, v: vec4<f32>) {
    switch OUT {
        case 1u: {
            dst[4u * g + k + p.out_off] = pack4(v);
        }
        case 2u: {
            dst[8u * g + 2u * k + p.out_off] = pack2(v.xy);
            dst[8u * g + 2u * k + 1u + p.out_off] = pack2(v.zw);
        }
        default: {
            let at = 16u * g + 4u * k + p.out_off;
            let u = bitcast<vec4<u32>>(v);
            dst[at] = u.x;
            dst[at + 1u] = u.y;
            dst[at + 2u] = u.z;
            dst[at + 3u] = u.w;
        }
    }
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let t = (wg.y * p.groups_x + wg.x) * 64u + lid;
    let seg = t / p.seg_width;
    if seg >= p.seg_count {
        return;
    }
    var range = vec2(p.first, p.last);
    if p.kind == 1u {
        range = interior_groups(p.row0 + seg * BLOCK);
    } else if p.kind == 2u {
        range = vec2(interior_groups(p.row0 + seg).y, interior_groups(p.row0 + seg + 1u).x);
    }
    let g = range.x + select(1u, 2u, PAIR) * (t % p.seg_width);
    if g >= range.y {
        return;
    }
    let e = 16u * g;
    let words = arrayLength(&dst);
    if INTERIOR {
        // Every tap of the group's elements lies inside the image, and the group inside the
        // output (p.n): all 16 are written.
        if BLOCK == 4u {
            interior_block(e, g);
        } else if PAIR && g + 1u < range.y {
            let two = interior_pair(e);
            store16(g, two[0]);
            store16(g + 1u, two[1]);
        } else {
            store16(g, interior(e));
        }
        return;
    }
    // The edge path, one output word at a time (a run-time loop: small code); elements past
    // p.n are written as zeros.
    let per_word = 4u / OUT;
    for (var k = 0u; k < 16u / per_word; k++) {
        var word = 0u;
        for (var b = 0u; b < per_word; b++) {
            let at = e + k * per_word + b;
            var v = 0.0;
            if at < p.n {
                v = edge_value(at);
            }
            if OUT == 4u {
                word = bitcast<u32>(v);
            } else {
                word |= to_int(v) << (b * OUT * 8u);
            }
        }
        let index = 16u / per_word * g + k + p.out_off;
        if index < words {
            dst[index] = word;
        }
    }
}

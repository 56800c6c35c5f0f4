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
// (i, j) reads input element e + (i − ay)·W + (j − ax)·c (W = w·c): for kernel row i, the
// group's taps read the span of 16 + (kw − 1)·c consecutive input elements from
// e + (i − ay)·W − ax·c. That holds where the group lies in one row and every tap of its pixels
// inside the image: the interior. There each kernel row's span is loaded once, as whole words
// (shifted into place when it starts inside a word), converted to floats in registers, and all
// kw · 16 products are taken from it: about (16 + (kw − 1)·c) / 16 words loaded per output and
// kernel row, rather than kw. (On a CPU driver every storage load is a per-lane loop: the
// loads, not the arithmetic, are the cost.) Groups elsewhere (the edge strips, groups across two
// rows) take the per-element path with the border rule. Two pipelines (INTERIOR) rather than a
// branch: a CPU driver runs both sides of a branch under a mask.
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
}

// Kernel size, border mode, channels and element types, fixed per pipeline so that the loops
// have constant trip counts (they unroll, and the span's registers are indexed by constants)
// and the type and border switches fold away.
override KH: i32 = 1;
override KW: i32 = 1;
// 0 clamp, 1 reflect-101, 2 wrap, 3 constant.
override MODE: u32 = 0u;
// Channels (elements per pixel).
override CH: u32 = 1u;
// Bytes per element of the input and the output: 1 (u8), 2 (u16) or 4 (f32).
override IN: u32 = 4u;
override OUT: u32 = 4u;
override INTERIOR: bool = false;
// Input elements of one kernel row's span, and the words that hold it (one more when it starts
// inside a word). At most MAX_SPAN: the host checks.
override SPAN: u32 = 16u + u32(KW - 1) * CH;
override PER_WORD: u32 = 4u / IN;
override SPAN_WORDS: u32 = (SPAN + PER_WORD - 1u) / PER_WORD + 1u;
const MAX_SPAN: u32 = 256u;
const MAX_SPAN_WORDS: u32 = 257u;

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;
@group(0) @binding(3) var<storage, read> p: Params;

// Largest value of an integer type, as unit float 1.
fn unit_max(size: u32) -> f32 {
    return select(255.0, 65535.0, size == 2u);
}

// Input element i (i ≥ 0, from the window's start) as a float.
fn load1(i: u32) -> f32 {
    switch IN {
        case 1u: {
            return f32((src[i >> 2u] >> ((i & 3u) * 8u)) & 0xffu) / 255.0;
        }
        case 2u: {
            return f32((src[i >> 1u] >> ((i & 1u) * 16u)) & 0xffffu) / 65535.0;
        }
        default: {
            return bitcast<f32>(src[i]);
        }
    }
}

// The index position `i` (any integer) reads along an axis of length `n`, or -1 for the
// constant (the same rule as shaders/convolve.wgsl).
fn border(i: i32, n: i32) -> i32 {
    if i >= 0 && i < n {
        return i;
    }
    switch MODE {
        case 0u: {
            return clamp(i, 0, n - 1);
        }
        case 1u: {
            // dcb|abcd|cba: symmetric about 0, period 2n - 2. Remainders of non-negative values
            // only: `%` of a negative operand is undefined in GLSL.
            if n == 1 {
                return 0;
            }
            let period = 2 * n - 2;
            let m = abs(i) % period;
            return select(m, period - m, m >= n);
        }
        case 2u: {
            if i >= 0 {
                return i % n;
            }
            return n - 1 - (-i - 1) % n;
        }
        default: {
            return -1;
        }
    }
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
    for (var i = 0; i < KH; i++) {
        let yy = border(y0 + i, p.in_h);
        for (var j = 0; j < KW; j++) {
            let xx = border(x0 + j, p.in_w);
            var v = p.cval;
            if yy >= 0 && xx >= 0 {
                v = load1(u32(p.in_off + yy * row + xx * c + ch));
            }
            acc += weights[i * KW + j] * v;
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

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let t = (wg.y * p.groups_x + wg.x) * 64u + lid;
    let seg = t / p.seg_width;
    if seg >= p.seg_count {
        return;
    }
    var range = vec2(p.first, p.last);
    if p.kind == 1u {
        range = interior_groups(p.row0 + seg);
    } else if p.kind == 2u {
        range = vec2(interior_groups(p.row0 + seg).y, interior_groups(p.row0 + seg + 1u).x);
    }
    let g = range.x + t % p.seg_width;
    if g >= range.y {
        return;
    }
    let e = 16u * g;
    var acc: array<f32, 16>;
    if INTERIOR {
        // Every tap of the group's elements lies inside the image: one span per kernel row.
        let base = p.in_off + i32(e) - p.ay * i32(p.row) - p.ax * i32(CH);
        for (var i = 0; i < KH; i++) {
            let b = u32(base + i * i32(p.row));
            // The span's words, shifted so that element 0 starts word 0 (integer types).
            var words: array<u32, MAX_SPAN_WORDS>;
            let first = b / PER_WORD;
            let shift = (b % PER_WORD) * IN * 8u;
            for (var k = 0u; k < SPAN_WORDS; k++) {
                words[k] = src[first + k];
            }
            if IN < 4u && shift != 0u {
                for (var k = 0u; k + 1u < SPAN_WORDS; k++) {
                    words[k] = (words[k] >> shift) | (words[k + 1u] << (32u - shift));
                }
            }
            var v: array<f32, MAX_SPAN>;
            for (var q = 0u; q < SPAN; q++) {
                switch IN {
                    case 1u: {
                        v[q] = f32((words[q / 4u] >> ((q % 4u) * 8u)) & 0xffu) / 255.0;
                    }
                    case 2u: {
                        v[q] = f32((words[q / 2u] >> ((q % 2u) * 16u)) & 0xffffu) / 65535.0;
                    }
                    default: {
                        v[q] = bitcast<f32>(words[q]);
                    }
                }
            }
            for (var j = 0u; j < u32(KW); j++) {
                let wt = weights[i * KW + i32(j)];
                for (var q = 0u; q < 16u; q++) {
                    acc[q] += wt * v[q + j * CH];
                }
            }
        }
    } else {
        for (var q = 0u; q < 16u; q++) {
            if e + q < p.n {
                acc[q] = edge_value(e + q);
            }
        }
    }
    // Elements past p.n are written as zeros.
    let words = arrayLength(&dst);
    for (var q = 0u; q < 16u; q++) {
        if e + q >= p.n {
            acc[q] = 0.0;
        }
    }
    switch OUT {
        case 1u: {
            for (var k = 0u; k < 4u; k++) {
                let word = to_int(acc[4u * k]) | (to_int(acc[4u * k + 1u]) << 8u)
                    | (to_int(acc[4u * k + 2u]) << 16u) | (to_int(acc[4u * k + 3u]) << 24u);
                let at = 4u * g + k + p.out_off;
                if at < words {
                    dst[at] = word;
                }
            }
        }
        case 2u: {
            for (var k = 0u; k < 8u; k++) {
                let word = to_int(acc[2u * k]) | (to_int(acc[2u * k + 1u]) << 16u);
                let at = 8u * g + k + p.out_off;
                if at < words {
                    dst[at] = word;
                }
            }
        }
        default: {
            for (var k = 0u; k < 16u; k++) {
                let at = e + k + p.out_off;
                if at < words {
                    dst[at] = bitcast<u32>(acc[k]);
                }
            }
        }
    }
}

// Joined after shaders/common.wgsl.
// One pass of a box blur by running sums (src/filters/boxsum.rs): the mean of the 2r + 1
// values around each position of every line along one axis of a C-contiguous [h, w, c] image
// of u8, u16 or f32, outside the image by a border rule, written as f32 in the same layout:
//
//     out[i] = (1 / (2r + 1)) · Σ_{t = −r..r} in_b[i + t]      (i along the line)
//
// The work per output does not grow with r: each invocation computes a *segment* of `seg`
// consecutive outputs of one line, summing the first window in full (2r + 1 loads) and then
// moving it one position per output, adding the value that enters and subtracting the one that
// leaves (two loads). Restarting the sum every segment bounds its f32 error: at most
// (2r + 2·seg) additions of values ≤ max|x| · (2r + 1) in magnitude, so the mean is off by at most
// (2r + 2·seg + 1)·ε·max|x| (ε = 2^-24).
//
// A line l starts at element (l / per) · jump + l % per and steps `step` elements: the vertical
// pass has per = W (= w·c), step = W (jump unused); the horizontal one per = c, jump = W,
// step = c. Adjacent invocations take adjacent lines (lanes read neighbouring elements in the
// vertical pass).

struct Params {
    // Workgroups along x, to flatten a 2-D dispatch.
    groups_x: u32,
    lines: u32,
    // Positions along a line, and outputs per segment.
    len: u32,
    seg: u32,
    per: u32,
    jump: u32,
    step: u32,
    radius: u32,
    // 0 clamp, 1 reflect-101, 2 wrap, 3 constant.
    mode: u32,
    cval: f32,
    // 1 / (2r + 1).
    scale: f32,
    // Input element of the image's first, from the start of the buffer.
    in_off: u32,
}

// Bytes per input element: 1 (u8, read as v / 255), 2 (u16, v / 65535) or 4 (f32).
override IN: u32 = 4u;

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<storage, read> p: Params;

// Input element i as a float.
fn load1(i: u32) -> f32 {
    switch IN {
        case 1u: {
            return f32((src[i / 4u] >> ((i % 4u) * 8u)) & 0xffu) / 255.0;
        }
        case 2u: {
            return f32((src[i / 2u] >> ((i % 2u) * 16u)) & 0xffffu) / 65535.0;
        }
        default: {
            return bitcast<f32>(src[i]);
        }
    }
}

// The value at position i (any integer) of the line from element `start`, by the border rule.
fn at(start: u32, i: i32) -> f32 {
    let k = border(i, i32(p.len), p.mode);
    if k < 0 {
        return p.cval;
    }
    return inside(start, u32(k));
}

// The value at position k (inside the line) of the line from element `start`.
fn inside(start: u32, k: u32) -> f32 {
    return load1(p.in_off + start + k * p.step);
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let t = (wg.y * p.groups_x + wg.x) * 64u + lid;
    let l = t % p.lines;
    let first = (t / p.lines) * p.seg;
    if first >= p.len {
        return;
    }
    let start = (l / p.per) * p.jump + l % p.per;
    let r = i32(p.radius);
    let n = i32(p.len);
    let i0 = i32(first);
    let last = i32(min(first + p.seg, p.len));
    // Outputs [a, b) read inside the line only (i − r ≥ 0, i + r + 1 < n): they take loops
    // without the border rule's arithmetic (a CPU driver runs every branch of it under a mask),
    // the few others loops with it. Each loop's trip count is shared by neighbouring lanes.
    let a = clamp(r, i0, last);
    let b = clamp(n - r - 1, a, last);
    var sum = 0.0;
    // The first window [i0 − r, i0 + r].
    let lo = clamp(i0 - r, 0, n);
    let hi = clamp(i0 + r + 1, lo, n);
    for (var k = i0 - r; k < lo; k++) {
        sum += at(start, k);
    }
    for (var k = lo; k < hi; k++) {
        sum += inside(start, u32(k));
    }
    for (var k = hi; k <= i0 + r; k++) {
        sum += at(start, k);
    }
    // Output i, then the window moved to i + 1: i + r + 1 enters, i − r leaves.
    for (var i = i0; i < a; i++) {
        dst[start + u32(i) * p.step] = sum * p.scale;
        sum += at(start, i + r + 1) - at(start, i - r);
    }
    for (var i = a; i < b; i++) {
        dst[start + u32(i) * p.step] = sum * p.scale;
        sum += inside(start, u32(i + r + 1)) - inside(start, u32(i - r));
    }
    for (var i = b; i < last; i++) {
        dst[start + u32(i) * p.step] = sum * p.scale;
        sum += at(start, i + r + 1) - at(start, i - r);
    }
}

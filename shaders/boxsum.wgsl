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

// The index position `i` (any integer) reads along an axis of length `n`, or -1 for the
// constant (the same rule as shaders/convolve.wgsl).
fn border(i: i32, n: i32) -> i32 {
    if i >= 0 && i < n {
        return i;
    }
    switch p.mode {
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

// The value at position i (any integer) of the line from element `start`.
fn at(start: u32, i: i32) -> f32 {
    let k = border(i, i32(p.len));
    if k < 0 {
        return p.cval;
    }
    return load1(p.in_off + start + u32(k) * p.step);
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
    let i0 = i32(first);
    var sum = 0.0;
    for (var k = -r; k <= r; k++) {
        sum += at(start, i0 + k);
    }
    let last = min(first + p.seg, p.len);
    for (var i = i0; i < i32(last); i++) {
        dst[start + u32(i) * p.step] = sum * p.scale;
        sum += at(start, i + r + 1) - at(start, i - r);
    }
}

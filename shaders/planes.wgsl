// Interleaved 8-bit pixels ⇄ float channel planes, for the deconvolution filters
// (src/filters/deconv/planes.rs), in one pass each way:
//
//   DIR 0: planes f32 [C, n] → pixels u8 [n, C]: round(clamp(x, 0, 1) · 255), ties to even,
//          NaN → 0 (as `from_unit_float`);
//   DIR 1: pixels u8 [n, C] → planes f32 [C, n]: x / 255 (as `to_unit_float`).
//
// The same values, bit for bit, as the general route (an interleaving elementwise kernel and
// the convert kernel, or the strided convert kernel), with fewer storage accesses: on lavapipe
// every access costs about the same whatever its width, so one invocation handles a quad of
// four pixels, one vec4 per plane and C whole words of pixels (C = 3: 12 bytes, three words;
// C = 4: four). That is 2·C accesses for 4·C values, where the general route takes about six
// per value out and two in. n is a multiple of 4 (the host checks), so each plane starts at a
// whole vec4.

// Channels: 3 or 4.
override C: u32 = 3u;
override DIR: u32 = 0u;

struct Params {
    // Workgroups along x, to flatten a 2-D dispatch.
    groups_x: u32,
    // Pixel quads: n / 4, also the planes' stride in vec4.
    quads: u32,
}

// Both bindings are read_write, the direction decides which is read.
@group(0) @binding(0) var<storage, read_write> planes: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> pixels: array<u32>;
@group(0) @binding(2) var<storage, read> p: Params;

// NaN test on the bits: drivers may compile float comparisons assuming no NaN.
fn is_nan(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

fn to_u8(x: f32) -> u32 {
    // NaN → 0 before clamp, whose NaN result is not specified.
    return u32(select(round(clamp(x, 0.0, 1.0) * 255.0), 0.0, is_nan(x)));
}

fn pack(a: f32, b: f32, c: f32, d: f32) -> u32 {
    return to_u8(a) | (to_u8(b) << 8u) | (to_u8(c) << 16u) | (to_u8(d) << 24u);
}

// Byte `k` of `word` as a unit float.
fn unit(word: u32, k: u32) -> f32 {
    return f32((word >> (8u * k)) & 0xffu) / 255.0;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let q = (wg.y * p.groups_x + wg.x) * 64u + lid;
    let quads = p.quads;
    if q >= quads {
        return;
    }
    let at = C * q;
    if DIR == 0u {
        let r = planes[q];
        let g = planes[quads + q];
        let b = planes[2u * quads + q];
        if C == 3u {
            pixels[at] = pack(r.x, g.x, b.x, r.y);
            pixels[at + 1u] = pack(g.y, b.y, r.z, g.z);
            pixels[at + 2u] = pack(b.z, r.w, g.w, b.w);
        } else {
            let a = planes[3u * quads + q];
            pixels[at] = pack(r.x, g.x, b.x, a.x);
            pixels[at + 1u] = pack(r.y, g.y, b.y, a.y);
            pixels[at + 2u] = pack(r.z, g.z, b.z, a.z);
            pixels[at + 3u] = pack(r.w, g.w, b.w, a.w);
        }
    } else {
        let w0 = pixels[at];
        let w1 = pixels[at + 1u];
        let w2 = pixels[at + 2u];
        if C == 3u {
            planes[q] = vec4(unit(w0, 0u), unit(w0, 3u), unit(w1, 2u), unit(w2, 1u));
            planes[quads + q] = vec4(unit(w0, 1u), unit(w1, 0u), unit(w1, 3u), unit(w2, 2u));
            planes[2u * quads + q] = vec4(unit(w0, 2u), unit(w1, 1u), unit(w2, 0u), unit(w2, 3u));
        } else {
            let w3 = pixels[at + 3u];
            planes[q] = vec4(unit(w0, 0u), unit(w1, 0u), unit(w2, 0u), unit(w3, 0u));
            planes[quads + q] = vec4(unit(w0, 1u), unit(w1, 1u), unit(w2, 1u), unit(w3, 1u));
            planes[2u * quads + q] = vec4(unit(w0, 2u), unit(w1, 2u), unit(w2, 2u), unit(w3, 2u));
            planes[3u * quads + q] = vec4(unit(w0, 3u), unit(w1, 3u), unit(w2, 3u), unit(w3, 3u));
        }
    }
}

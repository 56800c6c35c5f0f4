// Draws a frame straight from its storage buffer onto a render target (src/gpu/blit.rs).
//
// One triangle covers the target region (the viewport). Each fragment maps its pixel centre to
// frame coordinates, samples the frame (nearest, or bilinear in linear light), applies the
// colormap of a single-channel frame, and hands the target the encoding it expects: linear light
// for sRGB formats (the GPU encodes on write), sRGB-encoded values for the others.

// What a pipeline is specialised for (pipeline-overridable constants): a CPU driver runs every
// branch of a fragment shader under a mask, so paths a draw does not take are compiled out.
// u8 elements packed four to a word (else f32).
override IS_U8: bool;
// 1 to 4: grey, grey + alpha, RGB, RGBA.
override CHANNELS: u32;
override LINEAR_FILTER: bool;
override USE_COLORMAP: bool;
// The frame holds linear light rather than sRGB-encoded values.
override FRAME_LINEAR: bool;
// The target wants linear light (sRGB formats).
override TARGET_LINEAR: bool;
// Pixels of the region the frame does not cover get `background` (else they are left alone).
override HAS_BACKGROUND: bool;

struct Params {
    // Element [y, x, c] of the frame is element offset + y·sy + x·sx + c·sc of `frame`.
    height: i32,
    width: i32,
    offset: i32,
    sy: i32,
    sx: i32,
    sc: i32,
    // The colormap's table index of value v is ⌊(v − vmin)·vscale·256⌋, clamped to 0..=255.
    vmin: f32,
    vscale: f32,
    // Frame coordinates (x, y) of a fragment: (position.xy − origin) · scale. Pixel centres of
    // the frame lie at i + 0.5.
    origin: vec2<f32>,
    scale: vec2<f32>,
    // RGBA of the region not covered by the frame, sRGB-encoded.
    background: vec4<f32>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> frame: array<u32>;
// 256 sRGB-encoded colours (alpha 1).
@group(0) @binding(2) var<uniform> table: array<vec4<f32>, 256>;

@vertex
fn vs_main(@builtin(vertex_index) i: u32) -> @builtin(position) vec4<f32> {
    // (-1, -1), (3, -1), (-1, 3): one triangle over the whole viewport.
    let xy = vec2<f32>(f32((i << 1u) & 2u), f32(i & 2u)) * 2.0 - 1.0;
    return vec4<f32>(xy, 0.0, 1.0);
}

fn load(y: i32, x: i32, c: i32) -> f32 {
    let i = u32(p.offset + y * p.sy + x * p.sx + c * p.sc);
    if IS_U8 {
        return f32(extractBits(frame[i >> 2u], (i & 3u) * 8u, 8u)) / 255.0;
    }
    return bitcast<f32>(frame[i]);
}

// RGBA of frame pixel (x, y), in the frame's own encoding.
fn texel(y: i32, x: i32) -> vec4<f32> {
    let v = load(y, x, 0);
    switch CHANNELS {
        case 1u: {
            return vec4<f32>(v, v, v, 1.0);
        }
        case 2u: {
            return vec4<f32>(v, v, v, load(y, x, 1));
        }
        case 3u: {
            return vec4<f32>(v, load(y, x, 1), load(y, x, 2), 1.0);
        }
        default: {
            return vec4<f32>(v, load(y, x, 1), load(y, x, 2), load(y, x, 3));
        }
    }
}

fn colormap(v: f32) -> vec4<f32> {
    // NaN is "bad" data: transparent black, as matplotlib draws it.
    if (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u {
        return vec4<f32>(0.0);
    }
    let t = clamp((v - p.vmin) * p.vscale, 0.0, 1.0);
    return table[min(u32(t * 256.0), 255u)];
}

// The sRGB transfer functions (IEC 61966-2-1), on values clamped to [0, 1].
fn srgb_to_linear(c: vec4<f32>) -> vec4<f32> {
    let e = clamp(c.rgb, vec3<f32>(0.0), vec3<f32>(1.0));
    let l = select(pow((e + 0.055) / 1.055, vec3<f32>(2.4)), e / 12.92, e <= vec3<f32>(0.04045));
    return vec4<f32>(l, c.a);
}

fn linear_to_srgb(c: vec4<f32>) -> vec4<f32> {
    let l = clamp(c.rgb, vec3<f32>(0.0), vec3<f32>(1.0));
    let curve = 1.055 * pow(l, vec3<f32>(1.0 / 2.4)) - 0.055;
    let e = select(curve, l * 12.92, l <= vec3<f32>(0.0031308));
    return vec4<f32>(e, c.a);
}

// `c` in linear light (`linear`) or sRGB-encoded, converted to what the target wants. Values
// whose encoding already matches pass unchanged.
fn finish(c: vec4<f32>, linear: bool) -> vec4<f32> {
    if TARGET_LINEAR && !linear {
        return srgb_to_linear(c);
    }
    if !TARGET_LINEAR && linear {
        return linear_to_srgb(c);
    }
    return c;
}

@fragment
fn fs_main(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
    let s = (position.xy - p.origin) * p.scale;
    let size = vec2<f32>(f32(p.width), f32(p.height));
    if any(s < vec2<f32>(0.0)) || any(s >= size) {
        if !HAS_BACKGROUND {
            discard;
        }
        return finish(p.background, false);
    }
    let last = vec2<i32>(p.width - 1, p.height - 1);
    if !LINEAR_FILTER {
        let i = min(vec2<i32>(s), last);
        if USE_COLORMAP {
            return finish(colormap(load(i.y, i.x, 0)), false);
        }
        return finish(texel(i.y, i.x), FRAME_LINEAR);
    }
    // Bilinear: the four pixels around s − 0.5, clamped to the edge.
    let t = s - 0.5;
    let f = fract(t);
    let base = vec2<i32>(floor(t));
    let i0 = clamp(base, vec2<i32>(0), last);
    let i1 = clamp(base + 1, vec2<i32>(0), last);
    if USE_COLORMAP {
        // Data is interpolated, then mapped.
        let top = mix(load(i0.y, i0.x, 0), load(i0.y, i1.x, 0), f.x);
        let bottom = mix(load(i1.y, i0.x, 0), load(i1.y, i1.x, 0), f.x);
        return finish(colormap(mix(top, bottom, f.y)), false);
    }
    var a = texel(i0.y, i0.x);
    var b = texel(i0.y, i1.x);
    var c = texel(i1.y, i0.x);
    var d = texel(i1.y, i1.x);
    if !FRAME_LINEAR {
        a = srgb_to_linear(a);
        b = srgb_to_linear(b);
        c = srgb_to_linear(c);
        d = srgb_to_linear(d);
    }
    return finish(mix(mix(a, b, f.x), mix(c, d, f.x), f.y), true);
}

// Strided gather + dtype conversion: dst[e] = convert(src[offset + Σ index_k(e) · stride_k]).
//
// One kernel for `contiguous()`, `astype()`, the gather after a strided upload, byte swapping and
// the unit-float conversions of images. The element types are pipeline-overridable constants, so
// each (SRC, DST, MODE, SWAP) pipeline is specialised by the compiler: the switches below fold
// away.
//
// Storage on the GPU is an array of 32-bit words: 8-bit types pack four to a word, 16-bit types
// two (f16 through unpack2x16float / pack2x16float), 32-bit types one, complex64 two words
// (re, im). Each invocation produces one whole output word (or one complex element), so no two
// invocations ever write the same word.
//
// All index arithmetic is u32 with wrap-around: negative strides arrive as two's complement and
// the wrapped sum is the right element index within the bound window.

// Dtype codes (gpu::kernels::code).
const BOOL: u32 = 0u;
const I8: u32 = 1u;
const U8: u32 = 2u;
const I16: u32 = 3u;
const U16: u32 = 4u;
const I32: u32 = 5u;
const U32: u32 = 6u;
const F16: u32 = 7u;
const F32: u32 = 8u;
const C64: u32 = 9u;

override SRC: u32 = F32;
override DST: u32 = F32;
// 0: NumPy astype. 1: unsigned integers → float in [0, 1] (x / max). 2: float in [0, 1] → unsigned
// integers (round half to even of clamp(x, 0, 1) · max).
override MODE: u32 = 0u;
// The source is in the opposite byte order: swap bytes within each element (each part of a
// complex number) before reading it.
override SWAP: bool = false;
// The source is C-contiguous: element e is at offset + e, with no per-dimension division (which
// dominated the kernel on lavapipe).
override CONTIGUOUS: bool = false;

struct Params {
    // Elements in this dispatch.
    n: u32,
    // Flat (C-order) index of this dispatch's first element in the whole array.
    first: u32,
    // Workgroups along x, to flatten a 2-D dispatch.
    groups_x: u32,
    ndim: u32,
    // shape[0..ndim]; then the source's element offset in the bound window (may wrap) and its
    // strides[0..ndim] (elements, two's complement).
    dims: array<u32>,
}

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@group(0) @binding(2) var<storage, read> params: Params;

fn size_of(code: u32) -> u32 {
    switch code {
        case BOOL, I8, U8: { return 1u; }
        case I16, U16, F16: { return 2u; }
        case C64: { return 8u; }
        default: { return 4u; }
    }
}

fn is_float(code: u32) -> bool {
    return code == F16 || code == F32 || code == C64;
}

fn swap16(x: u32) -> u32 {
    return ((x & 0xffu) << 8u) | ((x >> 8u) & 0xffu);
}

fn swap32(x: u32) -> u32 {
    return (x << 24u) | ((x & 0xff00u) << 8u) | ((x >> 8u) & 0xff00u) | (x >> 24u);
}

// Source element index of flat element `e` (C order).
fn src_index(e: u32) -> u32 {
    let ndim = params.ndim;
    if CONTIGUOUS {
        return params.dims[ndim] + e;
    }
    var rem = e;
    var index = params.dims[ndim];
    for (var k = ndim; k > 0u; k--) {
        let extent = params.dims[k - 1u];
        index += (rem % extent) * params.dims[ndim + k];
        rem /= extent;
    }
    return index;
}

// Raw bits of source element i: low part in .x, high word (complex imaginary part) in .y.
fn load_bits(i: u32) -> vec2<u32> {
    switch size_of(SRC) {
        case 1u: {
            return vec2((src[i >> 2u] >> ((i & 3u) * 8u)) & 0xffu, 0u);
        }
        case 2u: {
            let h = (src[i >> 1u] >> ((i & 1u) * 16u)) & 0xffffu;
            return vec2(select(h, swap16(h), SWAP), 0u);
        }
        case 8u: {
            let re = src[2u * i];
            let im = src[2u * i + 1u];
            return select(vec2(re, im), vec2(swap32(re), swap32(im)), SWAP);
        }
        default: {
            return vec2(select(src[i], swap32(src[i]), SWAP), 0u);
        }
    }
}

// An integer or bool source as 32 two's-complement bits (signed types sign-extended).
fn as_int(b: u32) -> u32 {
    switch SRC {
        case BOOL: { return u32(b != 0u); }
        case I8: { return bitcast<u32>(bitcast<i32>(b << 24u) >> 24u); }
        case I16: { return bitcast<u32>(bitcast<i32>(b << 16u) >> 16u); }
        default: { return b; }
    }
}

// Any source as a complex f32 (real sources have im = 0).
fn as_float(b: vec2<u32>) -> vec2<f32> {
    switch SRC {
        case F16: { return vec2(unpack2x16float(b.x).x, 0.0); }
        case F32: { return vec2(bitcast<f32>(b.x), 0.0); }
        case C64: { return bitcast<vec2<f32>>(b); }
        case I8, I16, I32: { return vec2(f32(bitcast<i32>(as_int(b.x))), 0.0); }
        default: { return vec2(f32(as_int(b.x)), 0.0); }
    }
}

// Largest value of an unsigned source or destination, for the unit-float modes.
fn unit_max(code: u32) -> f32 {
    return select(255.0, 65535.0, size_of(code) == 2u);
}

// NaN and zero tests on the bits: drivers may compile float comparisons assuming no NaN.
fn is_nan(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

fn is_zero(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7fffffffu) == 0u;
}

// A float converted to an integer destination: NaN → 0, truncation toward zero, saturation at the
// type's range (the bounds are exact in f32; i32/u32 saturate to their extreme values).
fn float_to_int(x: f32) -> u32 {
    if is_nan(x) {
        return 0u;
    }
    switch DST {
        case I8: { return bitcast<u32>(i32(clamp(x, -128.0, 127.0))); }
        case U8: { return u32(clamp(x, 0.0, 255.0)); }
        case I16: { return bitcast<u32>(i32(clamp(x, -32768.0, 32767.0))); }
        case U16: { return u32(clamp(x, 0.0, 65535.0)); }
        case I32: {
            if x >= 2147483648.0 {
                return 0x7fffffffu;
            }
            return bitcast<u32>(i32(max(x, -2147483648.0)));
        }
        default: {
            if x >= 4294967296.0 {
                return 0xffffffffu;
            }
            return u32(max(x, 0.0));
        }
    }
}

// Source element i converted to the destination type, as bits (complex: both words).
fn convert(i: u32) -> vec2<u32> {
    let b = load_bits(i);
    if SRC == DST && MODE == 0u {
        // A copy: the bits as they are (NaN payloads included).
        return b;
    }
    if DST == BOOL {
        if is_float(SRC) {
            let v = as_float(b);
            // NaN counts as nonzero, as in NumPy.
            return vec2(u32(!(is_zero(v.x) && is_zero(v.y))), 0u);
        }
        return vec2(u32(b.x != 0u), 0u);
    }
    if DST == F16 || DST == F32 || DST == C64 {
        var v = as_float(b);
        if MODE == 1u {
            v = v / unit_max(SRC);
        }
        switch DST {
            case F16: { return vec2(pack2x16float(vec2(v.x, 0.0)) & 0xffffu, 0u); }
            case F32: { return vec2(bitcast<u32>(v.x), 0u); }
            default: { return bitcast<vec2<u32>>(v); }
        }
    }
    // Integer destination.
    if is_float(SRC) {
        var x = as_float(b).x;
        if MODE == 2u {
            // NaN → 0 before clamp, whose NaN result is not specified.
            x = select(round(clamp(x, 0.0, 1.0) * unit_max(DST)), 0.0, is_nan(x));
        }
        return vec2(float_to_int(x), 0u);
    }
    // Integer → integer wraps: the low bits are kept when the word is packed.
    return vec2(as_int(b.x), 0u);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let unit = (wg.y * params.groups_x + wg.x) * 256u + lid;
    let size = size_of(DST);
    if size == 8u {
        if unit >= params.n {
            return;
        }
        let v = convert(src_index(params.first + unit));
        dst[2u * unit] = v.x;
        dst[2u * unit + 1u] = v.y;
        return;
    }
    // One output word: 4 / size elements.
    let per_word = 4u / size;
    let first = unit * per_word;
    if first >= params.n {
        return;
    }
    let bits = size * 8u;
    let mask = select((1u << bits) - 1u, 0xffffffffu, bits == 32u);
    var word = 0u;
    for (var k = 0u; k < per_word; k++) {
        if first + k < params.n {
            let v = convert(src_index(params.first + first + k)).x & mask;
            word |= v << (k * bits);
        }
    }
    dst[unit] = word;
}

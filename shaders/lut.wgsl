// A lookup table applied to u8 data (four values per 32-bit word): out[i] = lut[c * 256 + x[i]]
// with c = i % channels, so interleaved channels ([h, w, c] images) each have their own table.
// The output is f32, one value per element (used by histogram equalisation).

struct Params {
    // Number of elements.
    n: u32,
    // Tables in `lut` (the extent of the last axis of the data).
    channels: u32,
    // Invocations along x, to flatten a 2-D dispatch.
    width: u32,
    pad: u32,
}

@group(0) @binding(0) var<storage, read> data: array<u32>;
@group(0) @binding(1) var<storage, read> lut: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.y * params.width + gid.x;
    if i >= params.n {
        return;
    }
    let v = (data[i / 4u] >> ((i % 4u) * 8u)) & 0xffu;
    out[i] = lut[(i % params.channels) * 256u + v];
}

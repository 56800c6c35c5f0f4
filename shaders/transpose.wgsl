// Transposes of 8-byte elements (complex64, copied as bits): each plane [a, b] of a C-contiguous
// [outer, a, b] to [b, a], in 16 × 16 tiles through workgroup memory, so that both the reads and
// the writes of a workgroup are runs of consecutive elements (src/gpu/fft/long.rs).
//
// A dispatch covers planes [o0, o0 + planes), input rows [i0, i1) and columns [j0, j1), through
// windows of both buffers: p[0] a, p[1] b, p[2] i0, p[3] i1, p[4] j0, p[5] j1, p[6] and p[7]
// the elements of src and dst at the start of their bindings, p[8] o0, p[9] the tile rows per
// plane (workgroup y = plane · p[9] + tile row).

@group(0) @binding(0) var<storage, read> src: array<vec2<u32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec2<u32>>;
@group(0) @binding(2) var<storage, read> p: array<u32>;

// One column of padding: the transposed reads of the tile fall in different banks.
var<workgroup> tile: array<vec2<u32>, 272>;

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let a = p[0];
    let b = p[1];
    let plane = p[8] + wid.y / p[9];
    let row0 = p[2] + (wid.y % p[9]) * 16u;
    let col0 = p[4] + wid.x * 16u;
    let base = plane * a * b;
    let i = row0 + lid.y;
    let j = col0 + lid.x;
    if i < p[3] && j < p[5] {
        tile[lid.y * 17u + lid.x] = src[base + i * b + j - p[6]];
    }
    workgroupBarrier();
    // Output row col0 + lid.y (an input column), output column row0 + lid.x (an input row).
    let oi = col0 + lid.y;
    let oj = row0 + lid.x;
    if oi < p[5] && oj < p[3] {
        dst[base + oi * a + oj - p[7]] = tile[lid.x * 17u + lid.y];
    }
}

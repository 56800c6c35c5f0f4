// Blocked gather (src/gpu/gather.rs): a C-contiguous copy of a strided view whose consecutive
// elements lie too far apart for one storage binding (a transposed view of a huge array).
//
// The source is read through windows of at most one binding. One dispatch covers one chunk of
// the output and one window of the source: each invocation writes one output word, taking the
// units (bytes, half-words or words) whose source lies in the bound window and keeping the
// others, which the dispatches of the other windows write. The windows partition what the chunk
// reads, so after all of them every unit holds its element.
//
// Index arithmetic is u32 with wrap-around, as in convert.wgsl: an element before the window
// wraps to a huge index, one after it lies past the window's end; both are skipped.

// Bytes per unit: 1, 2 or 4 (8-byte elements arrive as two 4-byte units).
override UNIT: u32 = 4u;

struct Params {
    // Units in this chunk of the output.
    n: u32,
    // Flat (C-order) index of the chunk's first unit in the whole view.
    first: u32,
    // Workgroups along x, to flatten a 2-D dispatch.
    groups_x: u32,
    ndim: u32,
    // Units in the bound source window.
    window: u32,
    // shape[0..ndim]; then the view's unit offset from the window's start (may wrap) and its
    // strides[0..ndim] (units, two's complement).
    dims: array<u32>,
}

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@group(0) @binding(2) var<storage, read> params: Params;

// Window index of flat unit `e` (C order).
fn src_index(e: u32) -> u32 {
    let ndim = params.ndim;
    var rem = e;
    var index = params.dims[ndim];
    for (var k = ndim; k > 0u; k--) {
        let extent = params.dims[k - 1u];
        index += (rem % extent) * params.dims[ndim + k];
        rem /= extent;
    }
    return index;
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let word = (wg.y * params.groups_x + wg.x) * 256u + li;
    let per = 4u / UNIT;
    let e0 = word * per;
    if e0 >= params.n {
        return;
    }
    var out = dst[word];
    for (var j = 0u; j < per; j++) {
        let e = e0 + j;
        if e >= params.n {
            break;
        }
        let i = src_index(params.first + e);
        if i < params.window {
            let byte = i * UNIT;
            let v = extractBits(src[byte >> 2u], (byte & 3u) * 8u, UNIT * 8u);
            out = insertBits(out, v, j * UNIT * 8u, UNIT * 8u);
        }
    }
    dst[word] = out;
}

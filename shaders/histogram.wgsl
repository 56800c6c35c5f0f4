// Counts of each byte value in u8 data (four values per 32-bit word): numpy.bincount(x,
// minlength=256). Each workgroup counts its words in workgroup memory, then adds its 256 counts
// to the global ones: one global atomic per bin per workgroup, not per element.

struct Params {
    // Number of bytes (elements).
    n: u32,
    // Workgroups along x, to flatten a 2-D dispatch.
    groups_x: u32,
}

// Words each invocation reads.
const PER_THREAD: u32 = 16u;

@group(0) @binding(0) var<storage, read> data: array<u32>;
@group(0) @binding(1) var<storage, read_write> counts: array<atomic<u32>, 256>;
@group(0) @binding(2) var<storage, read> params: Params;

var<workgroup> local: array<atomic<u32>, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    atomicStore(&local[lid], 0u);
    workgroupBarrier();
    let block = wg.y * params.groups_x + wg.x;
    for (var k = 0u; k < PER_THREAD; k++) {
        let w = (block * PER_THREAD + k) * 256u + lid;
        let first = w * 4u;
        if first < params.n {
            let word = data[w];
            for (var b = 0u; b < 4u; b++) {
                if first + b < params.n {
                    atomicAdd(&local[(word >> (b * 8u)) & 0xffu], 1u);
                }
            }
        }
    }
    workgroupBarrier();
    let c = atomicLoad(&local[lid]);
    if c > 0u {
        atomicAdd(&counts[lid], c);
    }
}

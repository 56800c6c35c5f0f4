// Short-time frames of signals and their overlap-add (src/media/audio/stft.rs).
//
// Signals are float32 [channels, len] read through their element offset and strides; frames are
// C-contiguous float32 [channels, frames, n_fft]. Frame t starts at sample t * hop + first when
// framing (first = -pad for the whole signal; a block of frames of a long signal is framed from
// the part of the signal it covers), at t * hop - pad in the overlap-add (pad is n_fft / 2 with
// centre padding, else 0); samples outside the signal read as zero (librosa's and scipy's zero
// padding). `window` holds n_fft values: the analysis window, already zero-padded to
// n_fft and centred when it is shorter.
//
//   OLA = false  frame: out[c, t, k] = window[k] * x[c, t * hop + k + first]
//   OLA = true   overlap-add: out[c, j] = Σ_t window[k] frames[c, t, k] / Σ_t window[k]²,
//                k = j + pad - t * hop over the frames t that cover sample j (0 where the window
//                sum is below `tiny`): the least-squares inverse of framing (Griffin and Lim), exact
//                wherever the squared windows overlap to a non-zero sum.
//
// One invocation per output element, 256 per workgroup, workgroups flattened from a 2-D grid.

override OLA: bool = false;

struct Params {
    // Output elements of this dispatch.
    count: u32,
    // Workgroups along x.
    groups_x: u32,
    channels: u32,
    // Signal length (frame: input, overlap-add: output).
    len: u32,
    n_fft: u32,
    hop: u32,
    pad: u32,
    // Frames: frame: how many to make, overlap-add: how many there are.
    frames: u32,
    // Frame: the sample where frame 0 starts (negative inside the front padding).
    first: i32,
    // Frame: the signal's offset and strides in elements.
    in_off: u32,
    in_sc: i32,
    in_sn: i32,
    // Overlap-add: the smallest window-square sum divided by.
    tiny: f32,
}

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read> window: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@group(0) @binding(3) var<storage, read> p: Params;

fn frame(e: u32) -> f32 {
    let k = e % p.n_fft;
    let t = (e / p.n_fft) % p.frames;
    let c = e / (p.n_fft * p.frames);
    // Position in the signal, as a signed value (negative inside the front padding).
    let j = i32(t * p.hop + k) + p.first;
    if j < 0 || j >= i32(p.len) {
        return 0.0;
    }
    let at = i32(p.in_off) + i32(c) * p.in_sc + j * p.in_sn;
    return window[k] * src[u32(at)];
}

fn overlap_add(e: u32) -> f32 {
    let j = e % p.len;
    let c = e / p.len;
    let i = j + p.pad;
    // Frames t with t * hop <= i < t * hop + n_fft.
    var first = 0u;
    if i >= p.n_fft {
        first = (i - p.n_fft) / p.hop + 1u;
    }
    let last = min(i / p.hop, p.frames - 1u);
    var sum = 0.0;
    var weight = 0.0;
    for (var t = first; t <= last; t += 1u) {
        let k = i - t * p.hop;
        let w = window[k];
        sum += w * src[(c * p.frames + t) * p.n_fft + k];
        weight += w * w;
    }
    if weight < p.tiny {
        return 0.0;
    }
    return sum / weight;
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let e = (wg.y * p.groups_x + wg.x) * 256u + li;
    if e >= p.count {
        return;
    }
    if OLA {
        dst[e] = overlap_add(e);
    } else {
        dst[e] = frame(e);
    }
}

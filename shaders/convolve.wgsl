// Joined after shaders/common.wgsl.
// 2-D correlation of every channel of a float32 image with a float32 kernel, reading outside the
// image by a border rule (src/filters/spatial.rs):
//
//     out[y, x, c] = Σ_{i < kh, j < kw} k[i, j] · in_b[y + i − ay, x + j − ax, c]
//
// where in_b is the input extended by the border mode. The input is read through its element
// strides and offset (any view of a float32 buffer); the output is written with the given
// strides, so a pass can also write channel-planar ([c, h, w]) data. One invocation per output
// element of a rectangle of the output, 256 per workgroup, workgroups flattened from a 2-D grid.
//
// A pass is several dispatches: one over the interior, whose windows lie wholly inside the
// image, by a pipeline without border arithmetic (INTERIOR), and up to four over the edge strips
// around it. Two pipelines rather than a branch: a CPU driver runs both sides of a branch under
// a mask, so the branch cost the interior the border's arithmetic (3× slower on lavapipe).

struct Params {
    chans: u32,
    // Workgroups along x, to flatten a 2-D dispatch.
    groups_x: u32,
    in_h: i32,
    in_w: i32,
    kh: i32,
    kw: i32,
    // The anchor: output (y, x) reads input row y - ay with kernel row 0.
    ay: i32,
    ax: i32,
    // 0 clamp, 1 reflect-101, 2 wrap, 3 constant.
    mode: u32,
    cval: f32,
    // Input offset and strides, in elements.
    in_off: i32,
    in_sy: i32,
    in_sx: i32,
    in_sc: i32,
    // Output strides, in elements.
    out_sy: u32,
    out_sx: u32,
    out_sc: u32,
    // Added to every output index (wrapping): the output is bound through a window of the
    // rows a band writes (src/filters/spatial.rs), and so is the input (in_off).
    out_off: u32,
    // The rectangle of output pixels this dispatch computes.
    rect_y: u32,
    rect_x: u32,
    rect_h: u32,
    rect_w: u32,
}

// Kernel size and border mode, fixed per pipeline so that the tap loops have constant trip
// counts (a 3x3 or a 19-tap pass unrolls; several times faster on lavapipe) and the border
// switch folds away. The same values are in Params for reference.
override KH: i32 = 1;
override KW: i32 = 1;
override MODE: u32 = 0u;
// Every window of this dispatch lies inside the image.
override INTERIOR: bool = false;

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@group(0) @binding(3) var<storage, read> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let t = (wg.y * p.groups_x + wg.x) * 256u + lid;
    if t >= p.rect_h * p.rect_w * p.chans {
        return;
    }
    let ch = t % p.chans;
    let px = t / p.chans;
    let x = p.rect_x + px % p.rect_w;
    let y = p.rect_y + px / p.rect_w;
    let y0 = i32(y) - p.ay;
    let x0 = i32(x) - p.ax;
    let base = p.in_off + i32(ch) * p.in_sc;
    let kh = KH;
    let kw = KW;
    let sy = p.in_sy;
    let sx = p.in_sx;
    var acc = 0.0;
    if INTERIOR {
        for (var i = 0; i < kh; i++) {
            let row = base + (y0 + i) * sy + x0 * sx;
            let krow = i * kw;
            for (var j = 0; j < kw; j++) {
                acc += weights[krow + j] * src[row + j * sx];
            }
        }
    } else {
        for (var i = 0; i < kh; i++) {
            let yy = border(y0 + i, p.in_h, MODE);
            let krow = i * kw;
            for (var j = 0; j < kw; j++) {
                let xx = border(x0 + j, p.in_w, MODE);
                var v = p.cval;
                if yy >= 0 && xx >= 0 {
                    v = src[base + yy * sy + xx * sx];
                }
                acc += weights[krow + j] * v;
            }
        }
    }
    dst[p.out_off + y * p.out_sy + x * p.out_sx + ch * p.out_sc] = acc;
}

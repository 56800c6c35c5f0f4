// Edge tapering of float channel planes (src/filters/deconv/taper.rs): the image blended into
// a periodically Gaussian-blurred copy of itself near its borders, as `taper_edges` defines it,
// with the blur computed only where it is needed, by two direct passes of 1-D kernels.
//
// The image is C-contiguous f32 [c, h, w] (the planes of one dispatch: all, or one of them when
// they do not fit one binding together). The blend weight r(i)·r(j) is 1 (the pixel kept)
// wherever both the row i and the column j lie at least `width` pixels from the edges, so the
// blurred copy is needed only in the *band*: rows within `width` of the top or bottom, and
// columns within `width` of the left or right. The blur is separable and periodic:
//
//   PASS 1 (horizontal): tmp[k, i, j] = Σ_u gx[u] · x[k, i, (j + u − rx) mod w]
//   PASS 2 (vertical, blend): b = Σ_u gy[u] · tmp[k, (i + u − ry) mod h, j],
//                             out[k, i, j] = b + r(i)·r(j) · (x[k, i, j] − b)   (band pixels)
//
// Pass 1 reads `src` = x and writes `dst` = tmp; pass 2 reads `src` = tmp and updates
// `dst` = out in place, which holds x before (a copy of it, or x itself), so no buffer is bound
// both read-only and writable.
//
// Pass 2's band pixels read tmp at rows within `width + ry` of the top or bottom (every
// column) and, in the other rows, at band columns only; pass 1 computes exactly those
// positions. Both passes enumerate their positions the same way: per channel, a *row band*
// (the first `top` rows and the last `bottom` rows, every column) and then the *column band*
// of the rows between (columns j < width and j ≥ w − width). The kernels are folded to at most
// the axis length (rx ≤ w / 2, ry ≤ h / 2), so one conditional add or subtract wraps an index.
// Pixels outside pass 2's band are not written.

struct Params {
    // Workgroups along x, to flatten a 2-D dispatch.
    groups_x: u32,
    c: u32,
    h: u32,
    w: u32,
    // The band's half-width in pixels (the taper's width).
    width: u32,
    // This pass's row band: the first `top` and the last `bottom` rows.
    top: u32,
    bottom: u32,
    // Taps and anchors of the horizontal and vertical kernels, in `weights` after each other
    // (gx, then gy, then the ramp r(0..width)).
    lx: u32,
    rx: u32,
    ly: u32,
    ry: u32,
    // Element of plane 0's first, from the start of the bound windows.
    off: u32,
}

// 1: the horizontal pass (x → tmp); 2: the vertical pass and the blend (tmp, x → out).
override PASS: u32 = 1u;

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<storage, read> weights: array<f32>;
@group(0) @binding(3) var<storage, read> p: Params;

// The ramp weight of a position at distance `d` from the nearer edge.
fn ramp(d: u32) -> f32 {
    if d < p.width {
        return weights[p.lx + p.ly + d];
    }
    return 1.0;
}

// `v` (in (−n, 2n)) wrapped into [0, n).
fn wrap(v: i32, n: i32) -> u32 {
    return u32(select(select(v, v - n, v >= n), v + n, v < 0));
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    var t = (wg.y * p.groups_x + wg.x) * 64u + lid;
    let band = p.top + p.bottom;
    let rows = band * p.w;
    let cols = (p.h - band) * 2u * p.width;
    if t >= p.c * (rows + cols) {
        return;
    }
    // The position (k, i, j) of invocation t.
    var k: u32;
    var i: u32;
    var j: u32;
    if t < p.c * rows {
        k = t / rows;
        t -= k * rows;
        let r = t / p.w;
        j = t - r * p.w;
        i = select(p.h - band + r, r, r < p.top);
    } else {
        t -= p.c * rows;
        let per = 2u * p.width;
        k = t / cols;
        t -= k * cols;
        let r = t / per;
        let q = t - r * per;
        i = p.top + r;
        j = select(p.w - per + q, q, q < p.width);
    }
    let plane = p.off + k * p.h * p.w;
    let h = i32(p.h);
    let w = i32(p.w);
    if PASS == 1u {
        let row = plane + i * p.w;
        let j0 = i32(j) - i32(p.rx);
        var s = 0.0;
        for (var u = 0u; u < p.lx; u++) {
            s += weights[u] * src[row + wrap(j0 + i32(u), w)];
        }
        dst[row + j] = s;
    } else {
        let i0 = i32(i) - i32(p.ry);
        var b = 0.0;
        for (var u = 0u; u < p.ly; u++) {
            b += weights[p.lx + u] * src[plane + wrap(i0 + i32(u), h) * p.w + j];
        }
        let at = plane + i * p.w + j;
        let weight = ramp(min(i, p.h - 1u - i)) * ramp(min(j, p.w - 1u - j));
        dst[at] = b + weight * (dst[at] - b);
    }
}

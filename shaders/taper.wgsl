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
// positions. Each pass covers its positions as four rectangles of a plane (`regions`: the row
// band's top and bottom rows, every column; the column band's left and right columns of the
// rows between), cut into *runs* of up to R = 16 consecutive positions along the pass's axis
// (along a row in pass 1, down a column in pass 2), one run per invocation.
//
// **Sliding window.** On lavapipe every storage access costs about the same, whatever it
// reads, and arithmetic is nearly free (see the crate's notes on the cost model), so what
// counts is accesses per output. One output per invocation reads L inputs and L weights (L
// taps, 55 for a 19-pixel taper): 2L accesses. A run of R outputs shares its inputs: a window
// of R values slides along the axis, one new input and one weight read per tap, each used by
// all R accumulators: R − 1 + 2L accesses for R outputs, about 2L / R each (7.8 instead of 110
// for L = 55). The window and the accumulators are four vec4 each, shifted by swizzles: a
// function-local array indexed by a loop variable would be memory on lavapipe (an alloca,
// accessed like storage), so every index here is static.
//
// Positions beyond a run's end (a run shorter than R at a rectangle's edge) are computed from
// wrapped, in-bounds inputs and not written. Pixels outside pass 2's band are not written.

struct Region {
    // The rectangle's first row and column, and its extent.
    i0: u32,
    j0: u32,
    rows: u32,
    cols: u32,
    // Runs per line (a row in pass 1, a column in pass 2): ⌈extent along the axis / R⌉.
    runs: u32,
    // The rectangle's first invocation, counted within a plane.
    start: u32,
}

struct Params {
    // Workgroups along x, to flatten a 2-D dispatch.
    groups_x: u32,
    c: u32,
    h: u32,
    w: u32,
    // The band's half-width in pixels (the taper's width).
    width: u32,
    // Invocations per plane (all four rectangles).
    per_plane: u32,
    // Taps and anchors of the horizontal and vertical kernels, in `weights` after each other
    // (gx, then gy, then the ramp r(0..width)).
    lx: u32,
    rx: u32,
    ly: u32,
    ry: u32,
    // Element of plane 0's first, from the start of the bound windows.
    off: u32,
    pad: u32,
    regions: array<Region, 4>,
}

// 1: the horizontal pass (x → tmp); 2: the vertical pass and the blend (tmp, x → out).
override PASS: u32 = 1u;

// Positions per invocation (the window's length): four vec4.
const R: u32 = 16u;

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<storage, read> weights: array<f32>;
@group(0) @binding(3) var<storage, read> p: Params;

// Input `e` of the current line: element `first + ((base + e) mod n) · step` of `src`.
fn input(first: u32, base: u32, e: u32, n: u32, step: u32) -> f32 {
    return src[first + (base + e) % n * step];
}

// Window slots e .. e + 3.
fn input4(first: u32, base: u32, e: u32, n: u32, step: u32) -> vec4<f32> {
    return vec4(
        input(first, base, e, n, step),
        input(first, base, e + 1u, n, step),
        input(first, base, e + 2u, n, step),
        input(first, base, e + 3u, n, step),
    );
}

// The ramp weight of a position at distance `d` from the nearer edge (`at`: where the ramp
// starts in `weights`).
fn ramp(d: u32, width: u32, at: u32) -> f32 {
    if d < width {
        return weights[at + d];
    }
    return 1.0;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let per_plane = p.per_plane;
    let flat = (wg.y * p.groups_x + wg.x) * 64u + lid;
    if flat >= p.c * per_plane {
        return;
    }
    let k = flat / per_plane;
    let t = flat - k * per_plane;
    // The rectangle: the last whose first invocation is at most t (empty ones share their
    // successor's start and are passed over).
    var g = 0u;
    if t >= p.regions[1].start {
        g = 1u;
    }
    if t >= p.regions[2].start {
        g = 2u;
    }
    if t >= p.regions[3].start {
        g = 3u;
    }
    let region = p.regions[g];
    let q = t - region.start;
    let line = q / region.runs;
    let run = q - line * region.runs;
    let h = p.h;
    let w = p.w;
    let plane = p.off + k * h * w;
    // The run's first position (i, j), its length m, and the line: its first element, the
    // step between its elements, its length n, the kernel's taps, anchor and first weight.
    var i: u32;
    var j: u32;
    var m: u32;
    var first: u32;
    var step: u32;
    var n: u32;
    var taps: u32;
    var anchor: u32;
    var wfirst: u32;
    if PASS == 1u {
        i = region.i0 + line;
        j = region.j0 + run * R;
        m = min(R, region.cols - run * R);
        first = plane + i * w;
        step = 1u;
        n = w;
        taps = p.lx;
        anchor = p.rx;
        wfirst = 0u;
    } else {
        i = region.i0 + run * R;
        j = region.j0 + line;
        m = min(R, region.rows - run * R);
        first = plane + j;
        step = w;
        n = h;
        taps = p.ly;
        anchor = p.ry;
        wfirst = p.lx;
    }
    // Window slot s at tap u holds the line's element (start − anchor + u + s) mod n, start the
    // run's first position along the line; `base` is start − anchor + 2n (never negative, and
    // base + s + u < 3n + R: no u32 overflow for a plane that fits a binding).
    let start = select(i, j, PASS == 1u);
    let base = start + 2u * n - anchor;
    var wa = input4(first, base, 0u, n, step);
    var wb = input4(first, base, 4u, n, step);
    var wc = input4(first, base, 8u, n, step);
    var wd = vec4(
        input(first, base, 12u, n, step),
        input(first, base, 13u, n, step),
        input(first, base, 14u, n, step),
        0.0,
    );
    var aa = vec4(0.0);
    var ab = vec4(0.0);
    var ac = vec4(0.0);
    var ad = vec4(0.0);
    for (var u = 0u; u < taps; u++) {
        wd.w = input(first, base, u + 15u, n, step);
        let g = weights[wfirst + u];
        aa += g * wa;
        ab += g * wb;
        ac += g * wc;
        ad += g * wd;
        wa = vec4(wa.yzw, wb.x);
        wb = vec4(wb.yzw, wc.x);
        wc = vec4(wc.yzw, wd.x);
        wd = vec4(wd.yzw, 0.0);
    }
    if PASS == 1u {
        let at = first + j;
        for (var o = 0u; o < m; o++) {
            dst[at + o] = pick(aa, ab, ac, ad, o);
        }
    } else {
        let width = p.width;
        let rat = p.lx + p.ly;
        let rj = ramp(min(j, w - 1u - j), width, rat);
        for (var o = 0u; o < m; o++) {
            let b = pick(aa, ab, ac, ad, o);
            let row = i + o;
            let at = first + row * w;
            let weight = ramp(min(row, h - 1u - row), width, rat) * rj;
            dst[at] = b + weight * (dst[at] - b);
        }
    }
}

// Accumulator `o` (< 16) of the four vec4: selected component by component, with no indexing
// of a local array (which would be memory on lavapipe).
fn pick(aa: vec4<f32>, ab: vec4<f32>, ac: vec4<f32>, ad: vec4<f32>, o: u32) -> f32 {
    let v = select(select(aa, ab, o >= 4u), select(ac, ad, o >= 12u), o >= 8u);
    let c = o & 3u;
    return select(select(v.x, v.y, c == 1u), select(v.z, v.w, c == 3u), c >= 2u);
}

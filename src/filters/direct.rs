//! The direct correlation kernel (`shaders/correlate.wgsl`): same-size 2-D correlation of a
//! `u8`, `u16` or `f32` image, read and written in its own type, 16 outputs per invocation.
//!
//! This is what [`gaussian_blur`](super::gaussian_blur), [`box_blur`](super::box_blur),
//! [`sobel`](super::sobel) and direct [`convolve2d`](super::convolve2d) run. The image is made
//! C-contiguous (`[h, w, c]`, `W = w·c` elements a row) so that in C order every output element's
//! tap lies at a fixed distance from it: 16 consecutive outputs read, for each tap, 16
//! consecutive inputs, and the next tap of the row the same run moved `c` on. The output is cut
//! into *groups* of 16 elements (whole words of every type), and each dispatch covers runs of
//! groups (see the shader's header):
//!
//! - the **interior** of each row: groups whose elements' windows lie inside the image, a window
//!   of inputs in registers slid along each kernel row and no border arithmetic: four groups an
//!   invocation for a kernel wider than one column (two rows of them for a kernel also more
//!   than one row high over rows of whole groups: `kh + 1` windows for both rows), four rows
//!   an invocation for a one-column kernel over rows of whole groups (`kh + 3` runs of 16);
//! - the **edges**: the groups above the first interior row, between the interiors of two rows
//!   (the left and right strips, and a group across two rows) and below the last, computed
//!   element by element through the border rule; for a one-column kernel over rows of whole
//!   groups, a run a tap from the row the border rule gives.
//!
//! Every load and store is a whole 16-byte word (`vec4<u32>`: 16 u8, 8 u16 or 4 f32 values), the
//! values shifted into place in registers. On a CPU driver (lavapipe, Mesa 22.3) each storage
//! access is a loop over the SIMD lanes with a mask test and a bounds test per lane, the
//! access's components loaded inside one such loop (`emit_load_mem` in Mesa's
//! `lp_bld_nir_soa.c`), so fewer, wider accesses cost less. The vertical pass of a u8 Gaussian
//! blur loads `(kh + 3) / 64` words per output and stores 1/4 (f32); the horizontal pass loads
//! about 0.7 per output and kernel row (four 16-value runs, then one per four taps, for 64
//! outputs) and stores 1/16 (u8).
//!
//! Images larger than one storage binding run in bands of whole rows with their halos, as the
//! general pass of [`spatial`](super::spatial) does (and through the same `band_source`): a
//! band starts at a group boundary (its first row times `W` a multiple of 16) so no two bands
//! write one word, and its groups are computed the same way as unchunked, bit for bit.

use super::spatial::{band_source, binding_of, to_i32};
use super::{Border, to_float_dtype};
use crate::error::{Error, Result};
use crate::gpu::array::GpuArray;
use crate::gpu::kernels::{groups_2d, storage_with, submit_once};
use crate::view::dtype::Dtype;
use crate::view::layout::{Layout, Order};

const CORRELATE_WGSL: &str = concat!(
    include_str!("../../shaders/common.wgsl"),
    include_str!("../../shaders/correlate.wgsl"),
);
/// Invocations per workgroup of `shaders/correlate.wgsl`.
const WORKGROUP: u64 = 64;
/// Output elements per invocation (a group).
const GROUP: usize = 16;
/// Output rows per invocation of the blocked interior pipeline (`BLOCK` in the shader).
const BLOCK: usize = 4;
/// Output rows per invocation of the paired interior pipeline of a 2-D kernel (`BLOCK` = 2
/// with `WIDE` in the shader).
const PAIR: usize = 2;
/// Groups per interior invocation of a kernel wider than one column (`WIDE` in the shader).
const WIDE: usize = 4;
/// Taps of the largest kernel whose weights the shader reads from a uniform buffer (its
/// `weights` array); larger ones (only a direct [`convolve2d`](super::convolve2d) asked for
/// explicitly) read them from a storage buffer, in a variant of the module.
const MAX_UNIFORM_TAPS: usize = 256;
/// Words of the shader's `Params` (a uniform buffer: a whole 16 bytes).
const PARAMS: usize = 24;

/// `shaders/correlate.wgsl` with its weights in a storage buffer (any number of taps): the
/// lines from `// WEIGHTS` to `// END WEIGHTS` replaced.
fn storage_weights_wgsl() -> &'static str {
    static SOURCE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SOURCE.get_or_init(|| {
        let (start, end) = ("// WEIGHTS\n", "// END WEIGHTS\n");
        let a = CORRELATE_WGSL
            .find(start)
            .expect("the shader marks its weights");
        let b = CORRELATE_WGSL[a..]
            .find(end)
            .expect("the shader marks its weights")
            + a;
        format!(
            "{}@group(0) @binding(1) var<storage, read> weights: array<f32>;\n\
             fn weight(i: i32) -> f32 {{\n    return weights[i];\n}}\n{}",
            &CORRELATE_WGSL[..a],
            &CORRELATE_WGSL[b + end.len()..]
        )
    })
}

/// A correlation kernel: `kh × kw` weights in C order, and the anchor `(ay, ax)`: output
/// `(y, x)` reads input `(y − ay + i, x − ax + j)` with weight `(i, j)`.
pub(crate) struct Taps<'a> {
    pub weights: &'a [f32],
    pub kh: usize,
    pub kw: usize,
    pub ay: usize,
    pub ax: usize,
}

/// The same-size correlation of every channel of `image` (`[h, w]` or `[h, w, c]` of `u8`,
/// `u16` or `f32`, any strides) with `taps`, outside the image by `border`, as a C-contiguous
/// `[h, w, c]` array of `out` (`u8`, `u16` or `f32`). Integer input is read as unit floats, an
/// integer output written as `from_unit_float` would round and clamp it.
pub(crate) fn correlate(
    image: &GpuArray,
    taps: &Taps<'_>,
    border: Border,
    out: Dtype,
) -> Result<GpuArray> {
    let gpu = image.gpu();
    let s = image.shape();
    let (h, w, c) = (s[0], s[1], if s.len() == 3 { s[2] } else { 1 });
    let (row, n) = (w * c, h * w * c);
    if n > i32::MAX as usize - 4 {
        return Err(Error::unsupported(format!(
            "a filter result of shape [{h}, {w}, {c}]: 2^31 elements or more"
        )));
    }
    let out_size = out.itemsize();
    // Whole groups: the last group's words are written whole.
    let bytes = (n.div_ceil(GROUP) * GROUP * out_size).max(4) as u64;
    let buffer = gpu.buffer(bytes, GpuArray::USAGE)?;
    let layout = Layout::contiguous(&[h, w, c], 1, Order::C)?;
    if n == 0 {
        return Ok(GpuArray::from_parts(gpu.clone(), buffer, out, layout));
    }
    to_float_dtype(image)?;
    let mut x = image.contiguous()?;

    // Rows per band: a multiple of `step` (so a band starts at a group boundary), the output
    // rows and the input rows they read (with the halo) each within a binding, less room for
    // aligning a window's start.
    let align = (gpu.inner.limits.min_storage_buffer_offset_alignment as u64).max(16);
    let room = gpu.binding().saturating_sub(align + 32);
    let step = (GROUP / gcd(row, GROUP)) as u64;
    let band_rows = |x: &GpuArray| -> usize {
        let in_row = (row * x.dtype().itemsize()) as u64;
        let rows = (room / (row * out_size) as u64)
            .min((room / in_row).saturating_sub(taps.kh as u64 - 1));
        (rows / step * step) as usize
    };
    let mut band = band_rows(&x);
    if band < h && x.dtype().itemsize() < 4 && (row * x.dtype().itemsize()) % 4 != 0 {
        // A band may gather its rows (wrap-around), copied whole words at a time: rows of a
        // whole number of words only. As floats (the same values the kernel reads).
        x = x.to_unit_float()?;
        band = band_rows(&x);
    }
    if band == 0 {
        return Err(Error::unsupported(format!(
            "filtering with a kernel of {} rows an image of rows of {} bytes: {} rows do not fit \
             one storage binding ({} bytes)",
            taps.kh,
            row * x.dtype().itemsize(),
            taps.kh - 1 + step as usize,
            gpu.binding(),
        )));
    }

    // The weights: a uniform slot of MAX_UNIFORM_TAPS (the shader's array), or for a larger
    // kernel a storage buffer and the module that reads one.
    let uniform = taps.weights.len() <= MAX_UNIFORM_TAPS;
    let (module, slot, storage) = if uniform {
        let mut words = [0u32; MAX_UNIFORM_TAPS];
        for (w, v) in words.iter_mut().zip(taps.weights) {
            *w = v.to_bits();
        }
        (
            gpu.module("correlate.wgsl", CORRELATE_WGSL)?,
            Some(gpu.params(&words)?),
            None,
        )
    } else {
        (
            gpu.module("correlate.wgsl storage weights", storage_weights_wgsl())?,
            None,
            Some(storage_with(
                gpu,
                "correlate weights",
                bytemuck::cast_slice(taps.weights),
            )),
        )
    };
    let weights = match (&slot, &storage) {
        (Some(slot), _) => slot.binding(),
        (None, Some(buffer)) => buffer.as_entire_binding(),
        (None, None) => unreachable!("one of the two is made"),
    };
    let (mode, cval) = border.code();
    let in_size = x.dtype().itemsize();
    // One pipeline per element types and channels (and path): the kernel's size and the
    // border mode are parameters (see the shader's header on compile time).
    let pipeline = |interior: bool, block: usize, wide: bool, aligned: bool| {
        let ch = if interior { c } else { 0 };
        gpu.pipeline(
            &format!(
                "correlate in {in_size} out {out_size} channels {ch} interior {interior} \
                 rows {block} wide {wide} aligned {aligned} uniform weights {uniform}"
            ),
            &module,
            &[
                ("IN", in_size as f64),
                ("OUT", out_size as f64),
                ("CH", ch.max(1) as f64),
                ("INTERIOR", interior as u8 as f64),
                ("BLOCK", block as f64),
                ("WIDE", wide as u8 as f64),
                ("ALIGNED", aligned as u8 as f64),
            ],
        )
    };
    // A kernel wider than one column: interior groups four at a time.
    let wide = taps.kw > 1;
    let interior = pipeline(true, 1, wide, false)?;
    // A one-column kernel over rows of whole groups (rows of whole 16-byte words): interior
    // rows BLOCK at a time, and edge groups a run a tap, from the row the border rule gives.
    // Each in two variants: for an image that starts on a 16-byte word (ALIGNED: then every
    // run does) and for one that does not.
    let rows_of_groups = taps.kw == 1 && row % GROUP == 0;
    // (Built when a band needs one: a cold shader cache compiles only the variants used.)
    let by_rows = |aligned: bool| -> Result<_> {
        Ok((
            pipeline(true, BLOCK, false, aligned)?,
            pipeline(false, BLOCK, false, aligned)?,
        ))
    };
    // Otherwise the edges element by element.
    let plain_edges = (!rows_of_groups)
        .then(|| pipeline(false, 1, false, false))
        .transpose()?;

    // The interior: rows and columns whose windows lie inside the image. Too narrow a strip of
    // columns (under six groups' elements: four whole groups, for the shader's WIDE path) is
    // left to the edge path.
    let inside = |anchor: usize, k: usize, len: usize| {
        let lo = anchor.min(len);
        let hi = (len + anchor + 1).saturating_sub(k).clamp(lo, len);
        (lo, hi)
    };
    let (iy0, iy1) = inside(taps.ay, taps.kh, h);
    let (mut ix0, mut ix1) = inside(taps.ax, taps.kw, w);
    if (ix1 - ix0) * c < (WIDE + 2) * GROUP {
        (ix0, ix1) = (0, 0);
    }
    // A kernel more than one row high and one column wide over rows of whole groups:
    // interior rows in pairs (the lower row's groups are the upper's plus a row). Built only
    // where there is a pair (a cold compile of a large kernel).
    let paired = (wide && taps.kh > 1 && row % GROUP == 0 && iy1 - iy0 >= PAIR && ix0 < ix1)
        .then(|| pipeline(true, PAIR, true, false))
        .transpose()?;
    // The groups [lo, hi) of row y whose elements lie in the interior columns (the shader's
    // `interior_groups`).
    let groups_of = |y: usize| {
        (
            (y * row + ix0 * c).div_ceil(GROUP),
            (y * row + ix1 * c) / GROUP,
        )
    };

    for y0 in (0..h).step_by(band) {
        let y1 = (y0 + band).min(h);
        let source = band_source(&x, (taps.kh, taps.ay as isize), border, (y0, y1))?;
        // This band's groups [g0, g1), and the output window that holds them.
        let (g0, g1) = (y0 * row / GROUP, (y1 * row).div_ceil(GROUP));
        let start = (g0 * GROUP * out_size) as u64 / align * align;
        let end = ((g1 * GROUP * out_size) as u64).min(buffer.buffer().size());
        let base: [u32; PARAMS] = [
            0, // groups along x
            0, // kind
            0, // segments
            0, // segment width
            0, // first
            0, // last
            0, // first row
            ix0 as u32,
            ix1 as u32,
            row as u32,
            c as u32,
            n as u32,
            to_i32(source.h, "image height")? as u32,
            w as u32,
            to_i32(taps.ay as isize + source.shift, "kernel anchor")? as u32,
            taps.ax as u32,
            cval.to_bits(),
            to_i32(source.offset, "image offset")? as u32,
            (start / 16).wrapping_neg() as u32,
            to_i32(taps.kh, "kernel height")? as u32,
            to_i32(taps.kw, "kernel width")? as u32,
            mode,
            0,
            0,
        ];
        // (kind, first, last, first row, segments, segment width) of each dispatch.
        let (a, b) = (iy0.max(y0), iy1.min(y1));
        let mut runs = vec![];
        // The pipelines for this band's image start.
        // (The offset is negative for a band whose window starts past the image's start.)
        let aligned = (source.offset * in_size as i64).rem_euclid(16) == 0;
        let variant = rows_of_groups.then(|| by_rows(aligned)).transpose()?;
        let (blocked, edges) = match (&variant, &plain_edges) {
            (Some((interior, edges)), _) => (Some(interior), edges),
            (None, Some(edges)) => (None, edges),
            (None, None) => unreachable!("one of the two is built"),
        };
        if a < b && ix0 < ix1 {
            let gap = ((w - ix1 + ix0) * c).div_ceil(GROUP) + 2;
            // Invocations a row's interior needs (groups, or fours of them), one spare.
            let width = ((ix1 - ix0) * c).div_ceil(if wide { WIDE * GROUP } else { GROUP }) + 1;
            // Whole blocks of rows, then the rows left one at a time.
            let mut a1 = a;
            if let Some(blocked) = blocked {
                let blocks = (b - a) / BLOCK;
                runs.push((blocked, 1, 0, 0, a, blocks, width));
                a1 = a + blocks * BLOCK;
            }
            if let Some(paired) = &paired {
                let pairs = (b - a) / PAIR;
                runs.push((paired, 1, 0, 0, a, pairs, width));
                a1 = a + pairs * PAIR;
            }
            runs.push((&interior, 1, 0, 0, a1, b - a1, width));
            runs.push((edges, 0, g0, groups_of(a).0, 0, 1, groups_of(a).0 - g0));
            if !rows_of_groups {
                // (Rows of whole groups, all columns inside: no groups between two rows.)
                runs.push((edges, 2, 0, 0, a, b - a - 1, gap));
            }
            runs.push((
                edges,
                0,
                groups_of(b - 1).1,
                g1,
                0,
                1,
                g1 - groups_of(b - 1).1,
            ));
        } else {
            runs.push((edges, 0, g0, g1, 0, 1, g1 - g0));
        }
        for (pipeline, kind, first, last, row0, segments, width) in runs {
            let invocations = (segments * width) as u64;
            if invocations == 0 {
                continue;
            }
            let groups = groups_2d(invocations.div_ceil(WORKGROUP));
            let mut params = base;
            params[..7].copy_from_slice(&[
                groups.0,
                kind,
                segments as u32,
                width as u32,
                first as u32,
                last as u32,
                row0 as u32,
            ]);
            let params = gpu.params(&params)?;
            submit_once(
                gpu,
                "running a correlation",
                pipeline,
                &[
                    binding_of(source.buffer(), source.window),
                    weights.clone(),
                    binding_of(buffer.buffer(), (start, end)),
                    params.binding(),
                ],
                groups,
                |_| {},
            )?;
        }
    }
    Ok(GpuArray::from_parts(gpu.clone(), buffer, out, layout))
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

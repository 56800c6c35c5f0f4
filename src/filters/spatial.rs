//! Spatial filters: 2-D convolution (direct or through the FFT), Gaussian and box blur, unsharp
//! masking and the Sobel gradient magnitude.
//!
//! Every filter takes an image `[h, w]` or `[h, w, c]` of `u8`, `u16` or `f32` (any strides, lazy
//! elementwise chains too), filters each channel on its own in `f32` (integer images scaled to
//! [0, 1], see [`crate::filters`]) and gives back the same shape and dtype. Outside the image,
//! pixels are read by the [`Border`] rule; the direct kernel (`shaders/correlate.wgsl`) applies
//! the rule in its index arithmetic, so nothing is padded or copied for it.
//!
//! Images larger than one storage binding are filtered in bands of rows with their halos (see
//! `correlate`), up to the adapter's largest buffer and fewer than 2^31 elements; `kh` input
//! rows and one output row must fit a binding.

use super::boxsum;
use super::direct::{self, Taps};
use super::{Border, check_image, from_float, interleave, number, to_float, to_float_dtype};
use crate::error::{Error, Result};
use crate::gpu::array::GpuArray;
use crate::gpu::context::Gpu;
use crate::gpu::fft::{self, Norm};
use crate::gpu::kernels::{
    Input, binding, copy_buffers, groups_2d, storage_with, submit_once, window,
};
use crate::view::dtype::Dtype;
use crate::view::layout::{Layout, Order, SliceArg};
use crate::view::view::View;

const CONVOLVE_WGSL: &str = concat!(
    include_str!("../../shaders/common.wgsl"),
    include_str!("../../shaders/convolve.wgsl"),
);

/// Kernel taps (`kh · kw`) from which [`convolve2d`] goes through the FFT.
///
/// Measured with `cargo bench --bench filters` on lavapipe (2 cores), 512 × 512 RGB: see
/// [`convolve2d`].
pub const FFT_MIN_TAPS: usize = 256;

/// Taps from which one pass of a separable filter (a 1-D kernel along the rows or the columns)
/// goes through 1-D FFTs. Not re-measured since the direct kernel's 16-byte accesses (it was
/// [`FFT_MIN_TAPS`]'s old value, 81).
const PASS_FFT_MIN_TAPS: usize = 81;

/// How [`convolve2d_with`] computes a convolution.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Method {
    /// Direct for kernels of fewer than [`FFT_MIN_TAPS`] taps, else the FFT.
    #[default]
    Auto,
    /// One pass of `shaders/correlate.wgsl`: `kh · kw` multiply-adds per output value.
    Direct,
    /// Padded by the border rule, multiplied in the frequency domain (`rfft2`/`irfft2`), cropped.
    Fft,
}

/// An image's float data seen as `[h, w, c]`: sizes and element strides.
#[derive(Clone, Copy, Debug)]
struct Dims {
    h: usize,
    w: usize,
    c: usize,
    /// Strides of y, x and channel, in elements.
    strides: [isize; 3],
}

impl Dims {
    fn of(x: &GpuArray) -> Dims {
        let (s, st) = (x.shape(), x.strides());
        let c = if s.len() == 3 { s[2] } else { 1 };
        let sc = if s.len() == 3 { st[2] } else { 0 };
        Dims {
            h: s[0],
            w: s[1],
            c,
            strides: [st[0], st[1], sc],
        }
    }

    fn len(&self) -> usize {
        self.h * self.w * self.c
    }
}

/// A correlation pass: `out[y, x, c] = Σ_{i,j} weights[i·kw + j] · in_b[y + i − ay, x + j − ax,
/// c]`, over an output of `out_h × out_w` (any size: the border rule supplies what lies outside
/// the input), written `[out_h, out_w, c]` or, when `planar`, `[c, out_h, out_w]`
/// (C-contiguous).
struct Pass<'a> {
    weights: &'a [f32],
    kh: usize,
    kw: usize,
    ay: isize,
    ax: isize,
    out_h: usize,
    out_w: usize,
    planar: bool,
}

pub(super) fn to_i32(v: impl TryInto<i32>, what: &str) -> Result<i32> {
    v.try_into().map_err(|_| {
        Error::unsupported(format!(
            "{what} beyond the 32-bit index range of the filter kernel"
        ))
    })
}

/// Runs one [`Pass`] over the float image `x` (`f32`, `[h, w]` or `[h, w, c]`, any strides).
///
/// The output is computed in bands of whole rows, each small enough that the input rows it
/// reads (its halo of `kh − 1` rows included) and the output rows it writes each fit one
/// storage binding ([`GpuInfo::binding`](crate::GpuInfo::binding)); an image that fits is one
/// band. A band binds the input through the window that holds every row its border rule maps
/// to, and the output through the window of its rows, so the kernel's index arithmetic is the
/// same as unchunked and so are the results, bit for bit. Where the rule maps a band's rows far
/// apart (wrap-around at the top and bottom), the rows it reads are first gathered in order
/// into a small contiguous array. Channel-planar output runs one channel at a time.
fn correlate(x: &GpuArray, pass: &Pass<'_>, border: Border) -> Result<GpuArray> {
    let gpu = x.gpu();
    let binding = gpu.binding();
    let mut x = x.clone();
    let d = Dims::of(&x);
    let n = pass.out_h * pass.out_w * d.c;
    let (out_shape, out_strides) = if pass.planar {
        (
            vec![d.c, pass.out_h, pass.out_w],
            [pass.out_w, 1, pass.out_h * pass.out_w],
        )
    } else {
        (
            vec![pass.out_h, pass.out_w, d.c],
            [pass.out_w * d.c, d.c, 1],
        )
    };
    if n > i32::MAX as usize {
        return Err(Error::unsupported(format!(
            "a filter result of shape {out_shape:?}: 2^31 elements or more"
        )));
    }
    let out = gpu.buffer((n as u64 * 4).max(4), GpuArray::USAGE)?;
    let layout = Layout::contiguous(&out_shape, 1, Order::C)?;
    if n == 0 {
        return Ok(GpuArray::from_parts(gpu.clone(), out, Dtype::F32, layout));
    }
    let (mode, cval) = border.code();
    let weights = storage_with(gpu, "convolve weights", bytemuck::cast_slice(pass.weights));
    let module = gpu.module("convolve.wgsl", CONVOLVE_WGSL)?;
    let (kh, kw) = (pass.kh as f64, pass.kw as f64);
    let interior = gpu.pipeline(
        &format!("convolve {}x{} interior", pass.kh, pass.kw),
        &module,
        &[("KH", kh), ("KW", kw), ("INTERIOR", 1.0)],
    )?;
    let edges = gpu.pipeline(
        &format!("convolve {}x{} mode {mode}", pass.kh, pass.kw),
        &module,
        &[("KH", kh), ("KW", kw), ("MODE", mode as f64)],
    )?;

    // Rows per band: the output rows and the input rows they read (a row's span through the
    // strides, plus the halo) each within a binding, less room for aligning a window's start.
    let room =
        binding.saturating_sub(gpu.inner.limits.min_storage_buffer_offset_alignment as u64 + 32);
    let out_row = 4 * (pass.out_w * if pass.planar { 1 } else { d.c }) as u64;
    let band_rows = |x: &GpuArray| -> u64 {
        let in_row = row_span(x).max(1);
        (room / out_row).min((room / in_row).saturating_sub(pass.kh as u64 - 1))
    };
    if band_rows(&x) == 0 && !x.is_c_contiguous() {
        // Strides spread a row over too much of the buffer (e.g. a transposed view): gather.
        x = x.contiguous()?;
    }
    let band = band_rows(&x) as usize;
    if band == 0 {
        return Err(Error::unsupported(format!(
            "filtering with a kernel of {} rows an image of rows of {} bytes (result rows of {out_row} \
             bytes): {} rows do not fit one storage binding ({binding} bytes)",
            pass.kh,
            row_span(&x),
            pass.kh,
        )));
    }
    let d = Dims::of(&x);
    let rects = rectangles(pass, &d);
    let channels: Vec<Option<usize>> = if pass.planar && d.c > 1 {
        (0..d.c).map(Some).collect()
    } else {
        vec![None]
    };
    for ch in channels {
        for y0 in (0..pass.out_h).step_by(band) {
            let y1 = (y0 + band).min(pass.out_h);
            let source = band_source(&x, (pass.kh, pass.ay), border, (y0, y1))?;
            // The output rows [y0, y1) (of channel `ch`), bound from an aligned offset.
            let plane = ch.map_or(0, |c| c * out_strides[2]);
            let first = (plane + y0 * out_strides[0]) as u64 * 4;
            let last =
                (plane + (y1 - 1) * out_strides[0] + (pass.out_w - 1) * out_strides[1]) as u64 * 4
                    + 4
                    + if ch.is_none() {
                        4 * (d.c as u64 - 1)
                    } else {
                        0
                    };
            let align = (gpu.inner.limits.min_storage_buffer_offset_alignment as u64).max(16);
            let start = first / align * align;
            let end = last.next_multiple_of(4).min(out.buffer().size());
            let in_off = source.offset + ch.map_or(0, |c| c as i64 * source.strides[2] as i64);
            let params: [u32; 18] = [
                if ch.is_some() { 1 } else { d.c as u32 },
                0, // groups along x, per rectangle
                to_i32(source.h, "image height")? as u32,
                to_i32(d.w, "image width")? as u32,
                to_i32(pass.kh, "kernel height")? as u32,
                to_i32(pass.kw, "kernel width")? as u32,
                to_i32(pass.ay + source.shift, "kernel anchor")? as u32,
                to_i32(pass.ax, "kernel anchor")? as u32,
                mode,
                cval.to_bits(),
                to_i32(in_off, "image offset")? as u32,
                to_i32(source.strides[0], "image stride")? as u32,
                to_i32(source.strides[1], "image stride")? as u32,
                to_i32(source.strides[2], "image stride")? as u32,
                out_strides[0] as u32,
                out_strides[1] as u32,
                out_strides[2] as u32,
                ((plane as u64).wrapping_sub(start / 4)) as u32,
            ];
            let c = if ch.is_some() { 1 } else { d.c };
            for (rect, pipeline) in rects
                .iter()
                .zip([&interior, &edges, &edges, &edges, &edges])
            {
                // This band's part of the rectangle.
                let (ry0, ry1) = (rect[0].max(y0), (rect[0] + rect[2]).min(y1));
                if ry0 >= ry1 || rect[3] == 0 {
                    continue;
                }
                let rect = [ry0, rect[1], ry1 - ry0, rect[3]];
                let count = (rect[2] * rect[3] * c) as u64;
                let groups = groups_2d(count.div_ceil(256));
                let mut params = params.to_vec();
                params[1] = groups.0;
                params.extend(rect.map(|v| v as u32));
                let params = gpu.params(&params)?;
                submit_once(
                    gpu,
                    "running a convolution",
                    pipeline,
                    &[
                        binding_of(source.buffer(), source.window),
                        weights.as_entire_binding(),
                        binding_of(out.buffer(), (start, end)),
                        params.binding(),
                    ],
                    groups,
                    |_| {},
                )?;
            }
        }
    }
    Ok(GpuArray::from_parts(gpu.clone(), out, Dtype::F32, layout))
}

pub(super) fn binding_of(
    buffer: &wgpu::Buffer,
    (start, end): (u64, u64),
) -> wgpu::BindingResource<'_> {
    binding(buffer, start, end - start)
}

/// Bytes of the buffer one row of the image `x` spans through its strides.
fn row_span(x: &GpuArray) -> u64 {
    let d = Dims::of(x);
    let extent = |n: usize, s: isize| (n.max(1) as u64 - 1) * s.unsigned_abs() as u64;
    4 * (extent(d.w, d.strides[1]) + extent(d.c, d.strides[2]) + 1)
}

/// Where a band of output rows reads its input: a window of the image's buffer, or a gathered
/// copy of the rows it reads. The kernel's parameters are rewritten for it: the input's height,
/// offset (in elements from the window's start) and strides, and a shift of the anchor.
pub(super) struct BandSource {
    /// The image, or the gathered rows.
    array: GpuArray,
    /// Bytes `[start, end)` of its buffer to bind.
    pub window: (u64, u64),
    /// Element offset of pixel (0, 0, 0) from the window's start.
    pub offset: i64,
    strides: [isize; 3],
    pub h: usize,
    /// Added to the anchor `ay`: gathered rows start at the band's first input row.
    pub shift: isize,
}

impl BandSource {
    pub(super) fn buffer(&self) -> &wgpu::Buffer {
        self.array
            .storage()
            .expect("a band's source is computed")
            .buffer()
    }
}

/// The input row that virtual row `i` (any integer) of an image of `n` rows reads by the border
/// rule, as `border()` in `shaders/common.wgsl` computes it; `None` for the constant.
fn border_row(i: i64, n: i64, border: Border) -> Option<i64> {
    if (0..n).contains(&i) {
        return Some(i);
    }
    match border {
        Border::Clamp => Some(i.clamp(0, n - 1)),
        Border::Reflect if n == 1 => Some(0),
        Border::Reflect => {
            let period = 2 * n - 2;
            let m = i.abs() % period;
            Some(if m >= n { period - m } else { m })
        }
        Border::Wrap => Some(i.rem_euclid(n)),
        Border::Constant(_) => None,
    }
}

/// The input of output rows `[y0, y1)` of a pass of a kernel of `kh` rows anchored at row `ay`
/// over the image `x` (any dtype; gathered rows of a whole number of 32-bit words).
pub(super) fn band_source(
    x: &GpuArray,
    (kh, ay): (usize, isize),
    border: Border,
    (y0, y1): (usize, usize),
) -> Result<BandSource> {
    let gpu = x.gpu();
    let d = Dims::of(x);
    let itemsize = x.dtype().itemsize();
    // Virtual rows [v0, v1) are read; the rows they map to span [lo, hi].
    let v0 = y0 as i64 - ay as i64;
    let v1 = y1 as i64 - ay as i64 + kh as i64 - 1;
    let rows: Vec<i64> = (v0..v1)
        .filter_map(|v| border_row(v, d.h as i64, border))
        .collect();
    let (lo, hi) = match (rows.iter().min(), rows.iter().max()) {
        (Some(&lo), Some(&hi)) => (lo as usize, hi as usize),
        // Only the constant is read (a band of padding below or above the image).
        _ => (0, 0),
    };
    let layout = |h: usize, strides: [isize; 3], offset: usize| {
        Layout::new(vec![h, d.w, d.c], strides.to_vec(), offset)
    };
    let storage = x.storage()?;
    let rows_layout = layout(
        hi - lo + 1,
        d.strides,
        (x.offset() as isize + lo as isize * d.strides[0]) as usize,
    );
    let input = Input {
        buffer: storage.buffer(),
        layout: &rows_layout,
        itemsize,
    };
    let (start, end, _) = window(gpu, &input, 0, rows_layout.len() as u64);
    if end - start <= gpu.binding() {
        return Ok(BandSource {
            array: x.clone(),
            window: (start, end),
            offset: x.offset() as i64 - (start / itemsize as u64) as i64,
            strides: d.strides,
            h: d.h,
            shift: 0,
        });
    }
    // Gather the rows read, in order, from runs of consecutive (or reversed) rows.
    let mut parts = vec![];
    let mut i = 0;
    while i < rows.len() {
        let step = if i + 1 < rows.len() && (rows[i + 1] - rows[i]).abs() == 1 {
            rows[i + 1] - rows[i]
        } else {
            1
        };
        let mut j = i + 1;
        while j < rows.len() && rows[j] - rows[j - 1] == step {
            j += 1;
        }
        let stop = rows[i] + step * (j - i) as i64;
        let mut args = vec![SliceArg::ALL; x.ndim()];
        args[0] = SliceArg::range(
            Some(rows[i] as isize),
            (stop >= 0).then_some(stop as isize),
            step as isize,
        );
        parts.push(x.slice(&args)?.contiguous()?);
        i = j;
    }
    let gathered = concat_rows(gpu, &parts, rows.len(), &d)?;
    let strides = [(d.w * d.c) as isize, d.c as isize, 1];
    let size = gathered.storage()?.buffer().size();
    Ok(BandSource {
        array: gathered,
        window: (
            0,
            (rows.len() * d.w * d.c * itemsize)
                .next_multiple_of(16)
                .min(size as usize) as u64,
        ),
        offset: 0,
        strides,
        h: rows.len(),
        shift: v0 as isize,
    })
}

/// The contiguous `[h, w, c]` images `parts` one after another along the rows (`h` in all), of
/// rows of a whole number of 32-bit words.
fn concat_rows(gpu: &Gpu, parts: &[GpuArray], h: usize, d: &Dims) -> Result<GpuArray> {
    let dtype = parts[0].dtype();
    let out = gpu.buffer(
        (h * d.w * d.c * dtype.itemsize()).max(4) as u64,
        GpuArray::USAGE,
    )?;
    let mut copies = vec![];
    let mut at = 0;
    for part in parts {
        let bytes = (part.len() * dtype.itemsize()) as u64;
        copies.push((part.storage()?.buffer(), 0, at, bytes));
        at += bytes;
    }
    copy_buffers(gpu, "gathering the rows of a band", &copies, out.buffer())?;
    Ok(GpuArray::from_parts(
        gpu.clone(),
        out,
        dtype,
        Layout::contiguous(&[h, d.w, d.c], 1, Order::C)?,
    ))
}

/// The output rectangles `[y, x, h, w]` of a pass: first the interior, whose windows lie wholly
/// inside the image, then the strips above, below, left and right of it (any may be empty).
fn rectangles(pass: &Pass<'_>, d: &Dims) -> [[usize; 4]; 5] {
    // Output row y reads input rows y − ay .. y − ay + kh: inside for ay ≤ y ≤ h − kh + ay.
    let inside = |anchor: isize, k: usize, n: usize, out: usize| {
        let (anchor, k, n, out) = (anchor as i64, k as i64, n as i64, out as i64);
        let lo = anchor.clamp(0, out);
        let hi = (n - k + anchor + 1).clamp(lo, out);
        (lo as usize, hi as usize)
    };
    let (y0, y1) = inside(pass.ay, pass.kh, d.h, pass.out_h);
    let (x0, x1) = inside(pass.ax, pass.kw, d.w, pass.out_w);
    let (h, w) = (pass.out_h, pass.out_w);
    [
        [y0, x0, y1 - y0, x1 - x0],
        [0, 0, y0, w],
        [y1, 0, h - y1, w],
        [y0, 0, y1 - y0, x0],
        [y0, x1, y1 - y0, w - x1],
    ]
}

/// `y` (`[h, w, c]`, from a pass) in the shape of the image it came from (`[h, w]` or
/// `[h, w, c]`).
fn like(y: GpuArray, image: &GpuArray) -> Result<GpuArray> {
    if image.ndim() == 2 {
        let s = image.shape();
        y.reshape(&[s[0] as isize, s[1] as isize])
    } else {
        Ok(y)
    }
}

/// A same-size correlation of the image `x` (`u8`, `u16` or `f32`) with `weights` (`kh × kw`)
/// anchored at `(ay, ax)`, as `[h, w, c]` of `out`, by the kernel of [`direct`](super::direct).
fn same(
    x: &GpuArray,
    weights: &[f32],
    (kh, kw): (usize, usize),
    (ay, ax): (usize, usize),
    border: Border,
    out: Dtype,
) -> Result<GpuArray> {
    let taps = Taps {
        weights,
        kh,
        kw,
        ay,
        ax,
    };
    direct::correlate(x, &taps, border, out)
}

/// One pass of a separable filter: the symmetric 1-D kernel `taps` (odd length, centred) along
/// the rows (`along_x`) or the columns of the float image `x`, as `[h, w, c]`. Short kernels run
/// directly (`taps.len()` multiply-adds per value); from `PASS_FFT_MIN_TAPS` (81) taps on, through 1-D
/// FFTs along the rows (columns: of the transposed view, which copies nothing), whose cost
/// does not grow with the kernel.
fn pass_1d(x: &GpuArray, taps: &[f32], along_x: bool, border: Border) -> Result<GpuArray> {
    let (r, n) = (taps.len() / 2, taps.len());
    let fft = n >= PASS_FFT_MIN_TAPS && Dims::of(x).len() > 0;
    match (fft, along_x) {
        (false, true) => same(x, taps, (1, n), (0, r), border, Dtype::F32),
        (false, false) => same(x, taps, (n, 1), (r, 0), border, Dtype::F32),
        (true, true) => rows_fft(x, taps, border),
        (true, false) => {
            let swap: &[usize] = if x.ndim() == 2 { &[1, 0] } else { &[1, 0, 2] };
            rows_fft(&x.permute(swap)?, taps, border)?
                .permute(&[1, 0, 2])?
                .contiguous()
        }
    }
}

/// The correlation of every row of the float image `x` with the symmetric kernel `taps` (odd
/// length, centred), as `[h, w, c]`: each row padded by the border rule to a fast length
/// `≥ w + taps − 1` (no wrap-around in the values kept, as in [`convolve_fft`]), multiplied by
/// the kernel's spectrum (`rfft`/`irfft` along the rows; symmetric, so convolution and
/// correlation agree) and cropped.
fn rows_fft(x: &GpuArray, taps: &[f32], border: Border) -> Result<GpuArray> {
    let d = Dims::of(x);
    let k = taps.len();
    let nw = fast_len(d.w + k - 1, true);
    let padded = correlate(
        x,
        &Pass {
            weights: &[1.0],
            kh: 1,
            kw: 1,
            ay: 0,
            ax: (k / 2) as isize,
            out_h: d.h,
            out_w: nw,
            planar: true,
        },
        border,
    )?;
    let mut kpad = vec![0f32; nw];
    kpad[..k].copy_from_slice(taps);
    let kernel = x.gpu().upload(&View::from_slice(&kpad, &[nw])?)?;
    let spectrum = fft::rfft(&padded, None, -1, Norm::Backward)?;
    let kspectrum = fft::rfft(&kernel, None, -1, Norm::Backward)?;
    let full = fft::irfft(&spectrum.mul(&kspectrum)?, Some(nw), -1, Norm::Backward)?;
    let x0 = (k - 1) as isize;
    full.slice(&[
        SliceArg::ALL,
        SliceArg::ALL,
        SliceArg::range(Some(x0), Some(x0 + d.w as isize), 1),
    ])?
    .permute(&[1, 2, 0])?
    .contiguous()
}

/// A separable correlation with a symmetric 1-D kernel along x, then along y, of the image
/// `image` (`u8`, `u16` or `f32`), as `[h, w, c]` of `out`. `taps(n)` gives the kernel (odd
/// length, centred) for an axis of `n` pixels, folded by [`fold`] so that it has no more taps
/// than the border rule tells apart on that axis.
///
/// Two direct passes, the vertical one first: it reads the image in its own type, the
/// horizontal one writes `out`; the intermediate is `f32`. A pass of `PASS_FFT_MIN_TAPS` (81) taps or more goes through the FFT,
/// in floats.
fn separable(
    image: &GpuArray,
    taps: impl Fn(usize) -> Vec<f32>,
    border: Border,
    out: Dtype,
) -> Result<GpuArray> {
    let d = Dims::of(image);
    let (tx, ty) = (taps(d.w), taps(d.h));
    if tx.len().max(ty.len()) < PASS_FFT_MIN_TAPS || d.len() == 0 {
        // Columns first: that pass reads the image's own (narrower) type, one span per tap; the
        // row pass then reads each f32 span once for all its taps (see `direct`).
        let (rx, ry) = (tx.len() / 2, ty.len() / 2);
        let columns = same(image, &ty, (ty.len(), 1), (ry, 0), border, Dtype::F32)?;
        return same(&columns, &tx, (1, tx.len()), (0, rx), border, out);
    }
    let (x, _) = to_float(image)?;
    let rows = pass_1d(&x, &tx, true, border)?;
    from_float(&pass_1d(&rows, &ty, false, border)?, out)
}

/// A symmetric 1-D kernel of radius `r` folded for an axis of `n` pixels read through `border`:
/// offsets that read the same pixel from every output position are merged into one tap, so the
/// kernel has at most `4n` taps however large `r` is, and gives the same result as the whole
/// kernel. `class(t0, step)` is the kernel's weight summed over the offsets `t0, t0 + step, …`
/// up to `r` (the offset `t0` alone when `step` is 0). Returns the normalised taps (sum 1), odd length,
/// centred.
///
/// Offsets `t ≥ 0` (the negative ones mirror them) read, from output position `y < n`:
/// - clamp: for `t ≥ n − 1`, the last pixel (`y + t ≥ n − 1`), from every `y`: one tap `n − 1`;
/// - constant: for `t ≥ n`, the constant (`y + t ≥ n`): one tap `n`;
/// - wrap (period `n`) and reflect (`dcb|abcd|cba`, period `2n − 2`): the border rule is
///   periodic, so `t` and `t mod period` read the same pixel: taps `0 … period − 1`.
pub(crate) fn fold(
    r: usize,
    n: usize,
    border: Border,
    class: impl Fn(usize, usize) -> f64,
) -> Vec<f32> {
    let single = |t: usize| class(t, 0);
    // The largest tap the border rule tells apart, and how the offsets beyond it are merged.
    let (radius, half): (usize, Vec<f64>) = match border {
        _ if n == 0 => (0, vec![1.0]),
        Border::Clamp | Border::Constant(_) => {
            let edge = if matches!(border, Border::Clamp) {
                n - 1
            } else {
                n
            };
            if r <= edge {
                (r, (0..=r).map(single).collect())
            } else if edge == 0 {
                (0, vec![1.0])
            } else {
                let mut half: Vec<f64> = (0..edge).map(single).collect();
                half.push(class(edge, 1));
                (edge, half)
            }
        }
        Border::Wrap | Border::Reflect => {
            let period = match border {
                Border::Wrap => n,
                _ => (2 * n).saturating_sub(2).max(1),
            };
            if r < period {
                (r, (0..=r).map(single).collect())
            } else {
                // Offset 0 also collects ±period, ±2·period, … (both signs).
                let mut half = vec![single(0) + 2.0 * class(period, period)];
                half.extend((1..period).map(|t| class(t, period)));
                (period - 1, half)
            }
        }
    };
    let total = half[0] + 2.0 * half[1..].iter().sum::<f64>();
    (0..=2 * radius)
        .map(|i| (half[i.abs_diff(radius)] / total) as f32)
        .collect()
}

/// The smallest `n ≥ target` whose prime factors are all ≤ 7 (the FFT's fast lengths), even
/// when `even` (the real transform's fast path).
fn fast_len(target: usize, even: bool) -> usize {
    let mut n = target.max(1);
    loop {
        let mut m = n;
        for p in [2, 3, 5, 7] {
            while m % p == 0 {
                m /= p;
            }
        }
        if m == 1 && (!even || n % 2 == 0) {
            return n;
        }
        n += 1;
    }
}

/// The FFT path of [`convolve2d`]: `kernel` (`kh × kw`, not flipped) on the float image `x`.
fn convolve_fft(
    x: &GpuArray,
    kernel: &[f32],
    (kh, kw): (usize, usize),
    border: Border,
) -> Result<GpuArray> {
    let d = Dims::of(x);
    // P[p, q] = in_b[p − ay, q − ax]: with these anchors, out[y, x] = Σ k[m, n] · P[y + kh − 1 −
    // m, x + kw − 1 − n], the full linear convolution of P and k read at (y + kh − 1, x + kw −
    // 1). Those terms read P[y .. y + kh − 1] only, so a circular convolution over any length
    // ≥ h + kh − 1 (and w + kw − 1) has no wrap-around in them.
    let (ay, ax) = (kh - 1 - kh / 2, kw - 1 - kw / 2);
    let nh = fast_len(d.h + kh - 1, false);
    let nw = fast_len(d.w + kw - 1, true);
    let padded = correlate(
        x,
        &Pass {
            weights: &[1.0],
            kh: 1,
            kw: 1,
            ay: ay as isize,
            ax: ax as isize,
            out_h: nh,
            out_w: nw,
            planar: true,
        },
        border,
    )?;
    let mut kpad = vec![0f32; nh * nw];
    for i in 0..kh {
        kpad[i * nw..i * nw + kw].copy_from_slice(&kernel[i * kw..(i + 1) * kw]);
    }
    let k = x.gpu().upload(&View::from_slice(&kpad, &[nh, nw])?)?;
    let spectrum = fft::rfft2(&padded, None, None, Norm::Backward)?;
    let kspectrum = fft::rfft2(&k, None, None, Norm::Backward)?;
    let product = spectrum.mul(&kspectrum)?;
    let full = fft::irfft2(&product, Some(&[nh, nw]), None, Norm::Backward)?;
    let (y0, x0) = ((kh - 1) as isize, (kw - 1) as isize);
    interleave(&full.slice(&[
        SliceArg::ALL,
        SliceArg::range(Some(y0), Some(y0 + d.h as isize), 1),
        SliceArg::range(Some(x0), Some(x0 + d.w as isize), 1),
    ])?)?
    .contiguous()
}

/// The kernel as `f32` values in C order, with its height and width, or an error naming what is
/// wrong with it.
fn kernel_values(kernel: &View<'_>) -> Result<(Vec<f32>, usize, usize)> {
    if kernel.dtype() != Some(Dtype::F32) {
        return Err(Error::dtype(format!(
            "a convolution kernel is float32, not {:?} (format {})",
            kernel.dtype(),
            kernel.format()
        )));
    }
    if kernel.ndim() != 2 {
        return Err(Error::shape(format!(
            "a convolution kernel has shape [kh, kw], not {:?}",
            kernel.shape()
        )));
    }
    let (kh, kw) = (kernel.shape()[0], kernel.shape()[1]);
    if kh == 0 || kw == 0 {
        return Err(Error::shape(format!(
            "a convolution kernel needs at least one tap, not shape [{kh}, {kw}]"
        )));
    }
    to_i32(kh * kw, "kernel size")?;
    Ok((kernel.to_vec::<f32>()?, kh, kw))
}

/// The 2-D convolution of every channel of `image` with `kernel` (`[kh, kw]`, float32, any
/// size, odd or even), outside the image by `border`: a true convolution (the kernel flipped),
/// as `scipy.ndimage.convolve(image, kernel, mode=..., origin=0)` per channel:
///
/// ```text
/// out[y, x] = Σ_{m < kh, n < kw} kernel[m, n] · image[y + kh/2 − m, x + kw/2 − n]   (integer /)
/// ```
///
/// so the kernel's origin is `(kh/2, kw/2)`, its centre for odd sizes. (For correlation, pass
/// the kernel flipped in both axes: `kernel.slice(&[SliceArg::step(-1), SliceArg::step(-1)])`.)
///
/// Kernels of fewer than [`FFT_MIN_TAPS`] (256, i.e. 16 × 16) taps run directly (`kh · kw`
/// multiply-adds per output value); larger ones through the FFT: the image is padded by the
/// border rule to fast lengths ≥ `h + kh − 1` by `w + kw − 1`, multiplied by the kernel's
/// spectrum (`rfft2`/`irfft2`) and cropped, which costs about the same for any kernel size and
/// handles kernels larger than the image. The switch-over was measured on lavapipe (2 CPU
/// cores, load 3) on a 512 × 512 RGB f32 image with `FILTERS_BENCH=convolve cargo bench --bench
/// filters`: direct 15 × 15 took 96 ms against 139 ms by FFT, direct 17 × 17 137 ms against
/// 107 ms (the FFT path costs 105–140 ms for every kernel up to 31 × 31). The FFT path is
/// less exact (f32 transforms: errors of about 1e-6 of `Σ|k| · max|image|` rather than 1e-7);
/// [`convolve2d_with`] picks a path.
pub fn convolve2d(image: &GpuArray, kernel: &View<'_>, border: Border) -> Result<GpuArray> {
    convolve2d_with(image, kernel, border, Method::Auto)
}

/// [`convolve2d`] by the given [`Method`].
pub fn convolve2d_with(
    image: &GpuArray,
    kernel: &View<'_>,
    border: Border,
    method: Method,
) -> Result<GpuArray> {
    check_image(image)?;
    let (k, kh, kw) = kernel_values(kernel)?;
    let dtype = to_float_dtype(image)?;
    let fft = match method {
        Method::Auto => kh * kw >= FFT_MIN_TAPS,
        Method::Direct => false,
        Method::Fft => true,
    };
    if fft && !image.is_empty() {
        let (x, _) = to_float(image)?;
        let y = convolve_fft(&x, &k, (kh, kw), border)?;
        return from_float(&like(y, image)?, dtype);
    }
    // Convolution = correlation with the flipped kernel, anchored so that the origin is
    // (kh/2, kw/2) of the unflipped one; the image read and written in its own type.
    let flipped: Vec<f32> = k.iter().rev().copied().collect();
    let anchor = (kh - 1 - kh / 2, kw - 1 - kw / 2);
    like(
        same(image, &flipped, (kh, kw), anchor, border, dtype)?,
        image,
    )
}

/// The largest Gaussian radius `ceil(3σ)` a blur accepts: its weights cost one `exp` per
/// offset on the host (2^24 of them: about 0.1 s), whatever the image, before they are folded
/// onto at most `4n` taps for an axis of `n` pixels (see [`gaussian_blur`]).
pub const MAX_GAUSSIAN_RADIUS: usize = 1 << 24;

/// The 1-D Gaussian kernel of radius `ceil(3σ)`, weights `exp(−t² / 2σ²)` computed in f64, as a
/// function of the axis length that gives it folded for `border` (see [`fold`]) and normalised.
fn gaussian_taps(sigma: f32, border: Border) -> Result<impl Fn(usize) -> Vec<f32>> {
    let s = number("the Gaussian's sigma (kernel radius ceil(3σ))", sigma, true)?;
    let r = (3.0 * s).ceil();
    if r > MAX_GAUSSIAN_RADIUS as f64 {
        return Err(Error::Parameter(format!(
            "the Gaussian's sigma must be at most {} (a kernel radius ceil(3σ) of at most \
             {MAX_GAUSSIAN_RADIUS} pixels), not {sigma}",
            MAX_GAUSSIAN_RADIUS / 3
        )));
    }
    let r = r as usize;
    let weight = move |t: usize| (-(t as f64).powi(2) / (2.0 * s * s)).exp();
    Ok(move |n: usize| {
        fold(r, n, border, |t0, step| match step {
            0 => weight(t0),
            _ => (t0..=r).step_by(step).map(weight).sum(),
        })
    })
}

/// The Gaussian blur of every channel of `image` with standard deviation `sigma` pixels.
///
/// Separable: a horizontal then a vertical pass of the 1-D kernel `exp(−t² / 2σ²)` for
/// `t = −r..=r`, radius `r = ceil(3σ)` (99.7 % of the mass), weights computed in f64 on the host
/// and normalised to sum to 1 (so a flat image stays flat, and [`Border::Constant`] is exact:
/// the vertical pass reads the constant outside the image just as a 2-D kernel would). The
/// result equals the 2-D convolution with the outer product of the two kernels. An error if
/// `sigma` is not finite and positive, or above `MAX_GAUSSIAN_RADIUS / 3` (5.6 million pixels).
///
/// Cost: a kernel wider than the image is folded first: the taps that read the same pixel from
/// every output position under the border rule (all those past the edge for
/// [`Border::Clamp`] and [`Border::Constant`], those a period apart for [`Border::Wrap`] and
/// [`Border::Reflect`]) are merged into one, which leaves at most `4n` taps along an axis of
/// `n` pixels and the same result. Passes of 81 taps or more run through the FFT
/// (see [`convolve2d`]), so any `sigma` costs time proportional to the image (times its log).
///
/// ```
/// use gpuarray::filters::{Border, gaussian_blur};
/// use gpuarray::{Gpu, View};
///
/// let gpu = Gpu::new()?;
/// let photo = image::open("testdata/camera.png")?.into_luma8(); // 512 × 512 grey
/// let img = gpu.upload(&View::from_image(&photo)?)?;           // [512, 512, 1] u8
/// let blurred = gaussian_blur(&img, 2.0, Border::Reflect)?;    // [512, 512, 1] u8
/// assert_eq!(blurred.shape(), img.shape());
/// let flat = gpu.upload(&View::from_slice(&[0.5f32; 35], &[5, 7])?)?;
/// let out = gaussian_blur(&flat, 1.5, Border::Clamp)?.to_host()?;
/// assert!(out.as_slice::<f32>()?.iter().all(|v| (v - 0.5).abs() < 1e-6));
/// # Ok::<(), gpuarray::Error>(())
/// ```
pub fn gaussian_blur(image: &GpuArray, sigma: f32, border: Border) -> Result<GpuArray> {
    check_image(image)?;
    let taps = gaussian_taps(sigma, border)?;
    let dtype = to_float_dtype(image)?;
    like(separable(image, taps, border, dtype)?, image)
}

/// The mean over the `(2r + 1) × (2r + 1)` window around each pixel of every channel, outside the
/// image by `border`: separable, a horizontal then a vertical pass of `2r + 1` weights
/// `1 / (2r + 1)`. `radius` 0 gives the image back (as a copy). Any radius: a window wider than
/// the image costs no more than one as wide as the image (the taps that read the same pixels
/// are merged, see [`gaussian_blur`]), so a huge radius gives, e.g. for [`Border::Clamp`], the
/// mean of the image extended by its edge pixels, in time proportional to the image.
///
/// From radius [`RUNNING_MIN_RADIUS`](boxsum::RUNNING_MIN_RADIUS) (22) on, where the window
/// is no wider than the image, the two passes run by running sums (one value in and one out
/// per output, restarted every segment of at least 32 outputs), so the cost per pixel does not
/// grow with the radius; the f32 error is then at most `(2r + 2·seg + 1)·ε·max|x|` per pass (seg =
/// max(32, 2r + 1)), against `(2r + 1)·ε·max|x|` for direct sums.
pub fn box_blur(image: &GpuArray, radius: usize, border: Border) -> Result<GpuArray> {
    check_image(image)?;
    // Every offset weighs the same: a class of offsets weighs its count.
    let taps = |n: usize| {
        fold(radius, n, border, |t0, step| match step {
            0 => 1.0,
            _ if t0 > radius => 0.0,
            _ => ((radius - t0) / step + 1) as f64,
        })
    };
    let dtype = to_float_dtype(image)?;
    // Running sums where the window is not folded along either axis (it is no wider than the
    // border rule tells apart): the same weights, at a cost that does not grow with the radius.
    let d = Dims::of(image);
    let unfolded = |n: usize| taps(n).len() / 2 == radius;
    if radius >= boxsum::RUNNING_MIN_RADIUS && d.len() > 0 && unfolded(d.h) && unfolded(d.w) {
        if let Some(y) = boxsum::box_blur(image, radius, border, dtype)? {
            return like(y, image);
        }
    }
    like(separable(image, taps, border, dtype)?, image)
}

/// Sharpening by unsharp masking: `image + amount · (image − gaussian_blur(image, sigma))`, the
/// blur as [`gaussian_blur`] (in float, before rounding), the rest one fused elementwise kernel.
/// Integer images are clamped to their range when rounded back to their type; `f32` images are
/// not clamped. An error if `sigma` is not finite and positive or `amount` is not finite.
pub fn unsharp_mask(image: &GpuArray, sigma: f32, amount: f32, border: Border) -> Result<GpuArray> {
    check_image(image)?;
    let taps = gaussian_taps(sigma, border)?;
    number("the unsharp mask's amount", amount, false)?;
    let (x, dtype) = to_float(image)?;
    let blur = like(separable(image, taps, border, Dtype::F32)?, image)?;
    let sharp = x.sub(&blur)?.mul(amount)?.add(&x)?;
    from_float(&sharp, dtype)
}

/// The Sobel gradient magnitude `sqrt(gx² + gy²)` of every channel, outside the image by
/// `border`, with the unnormalised 3 × 3 kernels (as OpenCV's `Sobel(ksize=3)` and SciPy's
/// `ndimage.sobel`): `gx` correlates with `[[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]`, `gy` with its
/// transpose. A unit step edge gives 4, the largest magnitude `4√2`; integer images are
/// clamped to their range (a magnitude ≥ 1 saturates), `f32` images are not scaled.
pub fn sobel(image: &GpuArray, border: Border) -> Result<GpuArray> {
    check_image(image)?;
    let dtype = to_float_dtype(image)?;
    const GX: [f32; 9] = [-1.0, 0.0, 1.0, -2.0, 0.0, 2.0, -1.0, 0.0, 1.0];
    const GY: [f32; 9] = [-1.0, -2.0, -1.0, 0.0, 0.0, 0.0, 1.0, 2.0, 1.0];
    let gx = same(image, &GX, (3, 3), (1, 1), border, Dtype::F32)?;
    let gy = same(image, &GY, (3, 3), (1, 1), border, Dtype::F32)?;
    let magnitude = gx.mul(&gx)?.add(&gy.mul(&gy)?)?.sqrt()?;
    from_float(&like(magnitude, image)?, dtype)
}

//! Blitting: frames drawn onto offscreen textures, read back and compared pixel by pixel with a
//! CPU model of what each target pixel should show, written here from the documented rules
//! (f64, plain loops).
//!
//! Every comparison is of the colour a display shows: sRGB-encoded values in [0, 1]. That is
//! what a non-sRGB target stores, and what an sRGB target stores after the GPU's encoding.
//! Tolerances, per stored format:
//! - 8-bit: 1/255. Rounding the shader's output to 8 bits is within 0.5/255, and the GPU's sRGB
//!   encoding of an sRGB target (with the shader's f32 decode before it) may add up to another
//!   0.5/255. Where no conversion happens (a `u8` frame on an `Rgba8Unorm` target, nearest) the
//!   test demands exact bytes.
//! - f16: 5e-4: one f16 step below 1.0 (2^-11; Vulkan lets the f32 → f16 conversion of a
//!   render target write round toward zero, and lavapipe does) plus the f32 error of `pow`.
//! - f32: 2e-5: the shader's f32 `pow` (a few ULP, see tests/gpu_elementwise.rs) and
//!   interpolation, on values ≤ 1.
//!
//! A target pixel whose centre falls within 1e-3 frame pixels of a texel edge (or of the frame's
//! edge) may show either side: the GPU computes the mapping in f32, the model in f64. The model
//! lists every admissible colour of such a pixel.

mod common;

use common::{Rng, gpu, up};
use gpuarray::blit::{
    BlitOptions, Blitter, Colormap, Encoding, Filter, Region, Scaling, read_texture,
};
use gpuarray::{Dtype, Error, GpuArray, SliceArg, wgpu};

type Rgba = [f64; 4];

const FORMATS: [wgpu::TextureFormat; 6] = [
    wgpu::TextureFormat::Rgba8Unorm,
    wgpu::TextureFormat::Rgba8UnormSrgb,
    wgpu::TextureFormat::Bgra8Unorm,
    wgpu::TextureFormat::Bgra8UnormSrgb,
    wgpu::TextureFormat::Rgba16Float,
    wgpu::TextureFormat::Rgba32Float,
];

/// Whether this adapter can render to `format`. The formats above are core WebGPU, but OpenGL
/// ES (llvmpipe through wgpu's GL backend) cannot render to `Rgba32Float`: tests skip such a
/// format after checking the capability, and say so.
fn renderable(format: wgpu::TextureFormat) -> bool {
    let ok = gpu()
        .adapter()
        .get_texture_format_features(format)
        .allowed_usages
        .contains(wgpu::TextureUsages::RENDER_ATTACHMENT);
    if !ok {
        eprintln!("skipping {format:?}: this adapter cannot render to it");
    }
    ok
}

/// The most precise float format this adapter renders to.
fn float_format() -> wgpu::TextureFormat {
    if renderable(wgpu::TextureFormat::Rgba32Float) {
        wgpu::TextureFormat::Rgba32Float
    } else {
        wgpu::TextureFormat::Rgba16Float
    }
}

fn tolerance(format: wgpu::TextureFormat) -> f64 {
    match format {
        wgpu::TextureFormat::Rgba16Float => 5e-4,
        wgpu::TextureFormat::Rgba32Float => 2e-5,
        _ => 1.0 / 255.0 + 1e-9,
    }
}

/// A frame's values on the host, `[h, w, c]`, as f64 in [0, 1] (u8 / 255).
struct Frame {
    h: usize,
    w: usize,
    c: usize,
    data: Vec<f64>,
}

impl Frame {
    fn at(&self, y: usize, x: usize, ch: usize) -> f64 {
        self.data[(y * self.w + x) * self.c + ch]
    }

    /// RGBA of pixel (x, y) by the channel rules: grey, grey + alpha, RGB, RGBA.
    fn texel(&self, y: usize, x: usize) -> Rgba {
        let v = |ch| self.at(y, x, ch);
        match self.c {
            1 => [v(0), v(0), v(0), 1.0],
            2 => [v(0), v(0), v(0), v(1)],
            3 => [v(0), v(1), v(2), 1.0],
            _ => [v(0), v(1), v(2), v(3)],
        }
    }
}

/// Random frame data: u8 frames get every byte value, f32 frames values in [0, 1].
fn random_frame(rng: &mut Rng, h: usize, w: usize, c: usize, dtype: Dtype) -> (GpuArray, Frame) {
    let n = h * w * c;
    let (array, data) = if dtype == Dtype::U8 {
        let bytes = rng.bytes(n);
        let data = bytes.iter().map(|&b| b as f64 / 255.0).collect();
        (up(&bytes, &[h, w, c]), data)
    } else {
        let v: Vec<f32> = (0..n).map(|_| rng.f64(0.0, 1.0) as f32).collect();
        (up(&v, &[h, w, c]), v.iter().map(|&x| x as f64).collect())
    };
    (array, Frame { h, w, c, data })
}

fn decode(v: f64) -> f64 {
    let v = v.clamp(0.0, 1.0);
    if v <= 0.04045 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

fn encode(v: f64) -> f64 {
    let v = v.clamp(0.0, 1.0);
    if v <= 0.0031308 {
        v * 12.92
    } else {
        1.055 * v.powf(1.0 / 2.4) - 0.055
    }
}

fn map_rgb(c: Rgba, f: fn(f64) -> f64) -> Rgba {
    [f(c[0]), f(c[1]), f(c[2]), c[3]]
}

/// WGSL's `mix`, with its formula (which decides what infinities give).
fn mix(a: f64, b: f64, t: f64) -> f64 {
    a * (1.0 - t) + b * t
}

fn lerp(a: Rgba, b: Rgba, t: f64) -> Rgba {
    std::array::from_fn(|i| mix(a[i], b[i], t))
}

/// Candidate indices of `floor(s)` (both sides when `s` is within 1e-3 of an integer).
fn floors(s: f64) -> Vec<i64> {
    let f = s.floor() as i64;
    let near = s - s.floor();
    if near < 1e-3 {
        vec![f, f - 1]
    } else if near > 1.0 - 1e-3 {
        vec![f, f + 1]
    } else {
        vec![f]
    }
}

/// The colours target pixel `(px, py)` may show (sRGB-encoded), or `untouched` where nothing
/// may be drawn.
fn model_pixel(
    frame: &Frame,
    options: &BlitOptions,
    region: Region,
    (px, py): (u32, u32),
    untouched: Rgba,
) -> Vec<Rgba> {
    let inside_region = px >= region.x
        && py >= region.y
        && px < region.x + region.width
        && py < region.y + region.height;
    if !inside_region {
        return vec![untouched];
    }
    let outside = options.background.map_or(untouched, |b| b.map(f64::from));
    if frame.h == 0 || frame.w == 0 {
        return vec![outside];
    }
    // Where the frame lies: the documented scaling rules, centred on whole pixels.
    let (fw, fh) = (frame.w as f64, frame.h as f64);
    let (rw, rh) = (region.width as f64, region.height as f64);
    let (kx, ky) = match options.scaling {
        Scaling::Stretch => (rw / fw, rh / fh),
        Scaling::Fit => ((rw / fw).min(rh / fh), (rw / fw).min(rh / fh)),
        Scaling::Fill => ((rw / fw).max(rh / fh), (rw / fw).max(rh / fh)),
    };
    let ox = region.x as f64 + ((rw - fw * kx) / 2.0).floor();
    let oy = region.y as f64 + ((rh - fh * ky) / 2.0).floor();
    let sx = (px as f64 + 0.5 - ox) / kx;
    let sy = (py as f64 + 0.5 - oy) / ky;

    let (lo, hi) = (options.range.0 as f64, options.range.1 as f64);
    let table = options.colormap.map(Colormap::table);
    // Colours a value may get from the colormap (both neighbours near a bin edge).
    let colormapped = |v: f64| -> Vec<Rgba> {
        let table = table.as_ref().expect("a colormap");
        if v.is_nan() {
            return vec![[0.0; 4]];
        }
        let t = ((v - lo) / (hi - lo)).clamp(0.0, 1.0) * 256.0;
        floors(t)
            .into_iter()
            .map(|i| {
                let c = table[i.clamp(0, 255) as usize];
                [c[0], c[1], c[2], 255].map(|b| b as f64 / 255.0)
            })
            .collect()
    };
    let linear_frame = options.encoding == Encoding::Linear;
    let mut out = Vec::new();
    let (xs, ys) = (floors(sx), floors(sy));
    let covered = |i: i64, n: usize| i >= 0 && (i as usize) < n;
    if xs.iter().any(|&x| !covered(x, frame.w)) || ys.iter().any(|&y| !covered(y, frame.h)) {
        out.push(outside);
    }
    if !(xs.iter().any(|&x| covered(x, frame.w)) && ys.iter().any(|&y| covered(y, frame.h))) {
        return out;
    }
    let clamp = |i: i64, n: usize| i.clamp(0, n as i64 - 1) as usize;
    match options.filter {
        Filter::Nearest => {
            for &y in &ys {
                for &x in &xs {
                    let (y, x) = (clamp(y, frame.h), clamp(x, frame.w));
                    if table.is_some() {
                        out.extend(colormapped(frame.at(y, x, 0)));
                    } else if linear_frame {
                        out.push(map_rgb(frame.texel(y, x), encode));
                    } else {
                        out.push(frame.texel(y, x));
                    }
                }
            }
        }
        Filter::Linear => {
            let (tx, ty) = (sx - 0.5, sy - 0.5);
            let (x0, y0) = (tx.floor() as i64, ty.floor() as i64);
            let (fx, fy) = (tx - tx.floor(), ty - ty.floor());
            let (xa, xb) = (clamp(x0, frame.w), clamp(x0 + 1, frame.w));
            let (ya, yb) = (clamp(y0, frame.h), clamp(y0 + 1, frame.h));
            if table.is_some() {
                let v = |y, x| frame.at(y, x, 0);
                let top = mix(v(ya, xa), v(ya, xb), fx);
                let bottom = mix(v(yb, xa), v(yb, xb), fx);
                out.extend(colormapped(mix(top, bottom, fy)));
                // Interpolating an infinity gives NaN or the infinity, depending on how the
                // driver evaluates `mix` (Vulkan and GL differ here).
                if [v(ya, xa), v(ya, xb), v(yb, xa), v(yb, xb)]
                    .iter()
                    .any(|t| t.is_infinite())
                {
                    out.extend(colormapped(f64::NAN));
                    out.extend(colormapped(f64::INFINITY));
                    out.extend(colormapped(f64::NEG_INFINITY));
                }
            } else {
                let tap = |y, x| {
                    let t = frame.texel(y, x);
                    if linear_frame { t } else { map_rgb(t, decode) }
                };
                let top = lerp(tap(ya, xa), tap(ya, xb), fx);
                let bottom = lerp(tap(yb, xa), tap(yb, xb), fx);
                out.push(map_rgb(lerp(top, bottom, fy), encode));
            }
        }
    }
    out
}

/// A target texture of `format`, cleared to `clear` (given in stored values).
fn target(format: wgpu::TextureFormat, w: u32, h: u32, clear: Rgba) -> wgpu::Texture {
    let gpu = gpu();
    let texture = gpu.device().create_texture(&wgpu::TextureDescriptor {
        label: Some("test target"),
        size: wgpu::Extent3d {
            width: w,
            height: h,
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format,
        usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
        view_formats: &[],
    });
    // A clear colour is linear for sRGB formats: decode so the stored value is `clear`.
    let c = if format.is_srgb() {
        map_rgb(clear, decode)
    } else {
        clear
    };
    let mut encoder = gpu.device().create_command_encoder(&Default::default());
    encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
        color_attachments: &[Some(wgpu::RenderPassColorAttachment {
            view: &texture.create_view(&Default::default()),
            depth_slice: None,
            resolve_target: None,
            ops: wgpu::Operations {
                load: wgpu::LoadOp::Clear(wgpu::Color {
                    r: c[0],
                    g: c[1],
                    b: c[2],
                    a: c[3],
                }),
                store: wgpu::StoreOp::Store,
            },
        })],
        ..Default::default()
    });
    gpu.queue().submit([encoder.finish()]);
    texture
}

/// The target's pixels as RGBA f64 in [0, 1].
fn pixels(texture: &wgpu::Texture) -> Vec<Rgba> {
    let host = read_texture(gpu(), texture).unwrap();
    let v: Vec<f64> = host.view().astype(Dtype::F64).unwrap().to_vec().unwrap();
    let scale = if host.dtype() == Some(Dtype::U8) {
        255.0
    } else {
        1.0
    };
    v.chunks_exact(4)
        .map(|p| std::array::from_fn(|i| p[i] / scale))
        .collect()
}

const UNTOUCHED: Rgba = [0.2, 0.4, 0.6, 1.0];

/// Draws `frame` with `options` onto a fresh `w × h` target of `format` and checks every pixel
/// against the model. Returns the largest error seen.
fn check(
    array: &GpuArray,
    frame: &Frame,
    format: wgpu::TextureFormat,
    (w, h): (u32, u32),
    options: &BlitOptions,
    what: &str,
) -> f64 {
    let texture = target(format, w, h, UNTOUCHED);
    let blitter = Blitter::new(gpu(), format).unwrap();
    blitter
        .draw(array, &texture.create_view(&Default::default()), options)
        .unwrap();
    compare(&texture, frame, options, tolerance(format), what)
}

fn compare(
    texture: &wgpu::Texture,
    frame: &Frame,
    options: &BlitOptions,
    tol: f64,
    what: &str,
) -> f64 {
    let (w, h) = (texture.width(), texture.height());
    let region = options.region.unwrap_or(Region {
        x: 0,
        y: 0,
        width: w,
        height: h,
    });
    // The untouched colour as the target stores it.
    let untouched = UNTOUCHED.map(|v| {
        if texture.format() == wgpu::TextureFormat::Rgba16Float {
            half::f16::from_f64(v).to_f64()
        } else if texture.format() == wgpu::TextureFormat::Rgba32Float {
            v as f32 as f64
        } else {
            (v * 255.0).round() / 255.0
        }
    });
    let got = pixels(texture);
    let mut worst = 0.0f64;
    for py in 0..h {
        for px in 0..w {
            let shown = got[(py * w + px) as usize];
            let allowed = model_pixel(frame, options, region, (px, py), untouched);
            let err = allowed
                .iter()
                .map(|c| (0..4).map(|i| (c[i] - shown[i]).abs()).fold(0.0, f64::max))
                .fold(f64::INFINITY, f64::min);
            assert!(
                err <= tol,
                "{what}: pixel ({px}, {py}) shows {shown:?}, expected one of {allowed:?} \
                 (error {err:.3e} > {tol:.1e})"
            );
            worst = worst.max(err);
        }
    }
    worst
}

#[test]
fn every_layout_dtype_and_target_format_one_to_one() {
    let mut rng = Rng::new(1);
    for dtype in [Dtype::U8, Dtype::F32] {
        for channels in [0, 1, 2, 3, 4] {
            // channels 0: a 2-D frame [h, w].
            let (array, frame) = random_frame(&mut rng, 9, 13, channels.max(1), dtype);
            let array = if channels == 0 {
                array.reshape(&[9, 13]).unwrap()
            } else {
                array
            };
            for format in FORMATS.into_iter().filter(|&f| renderable(f)) {
                for options in [
                    BlitOptions::nearest(),
                    BlitOptions::default(),
                    BlitOptions {
                        scaling: Scaling::Stretch,
                        ..BlitOptions::nearest()
                    },
                ] {
                    let what = format!("{dtype} {:?} on {format:?}", array.shape());
                    check(&array, &frame, format, (13, 9), &options, &what);
                }
            }
        }
    }
}

#[test]
fn u8_frames_on_rgba8_targets_are_copied_exactly() {
    let mut rng = Rng::new(2);
    for channels in [1, 3, 4] {
        let (array, frame) = random_frame(&mut rng, 31, 17, channels, Dtype::U8);
        let worst = check(
            &array,
            &frame,
            wgpu::TextureFormat::Rgba8Unorm,
            (17, 31),
            &BlitOptions::nearest(),
            "exact copy",
        );
        assert_eq!(worst, 0.0, "{channels} channels");
        let worst = check(
            &array,
            &frame,
            wgpu::TextureFormat::Bgra8Unorm,
            (17, 31),
            &BlitOptions::nearest(),
            "exact copy to BGRA",
        );
        assert_eq!(worst, 0.0, "{channels} channels, BGRA");
    }
}

#[test]
fn scaling_filters_backgrounds_and_regions() {
    let mut rng = Rng::new(3);
    let (array, frame) = random_frame(&mut rng, 5, 7, 3, Dtype::F32);
    let regions = [
        None,
        Some(Region {
            x: 1,
            y: 2,
            width: 7,
            height: 8,
        }),
    ];
    for format in [wgpu::TextureFormat::Rgba8UnormSrgb, float_format()] {
        for scaling in [Scaling::Fit, Scaling::Fill, Scaling::Stretch] {
            for filter in [Filter::Nearest, Filter::Linear] {
                for background in [Some([1.0, 0.5, 0.0, 1.0]), None] {
                    for region in regions {
                        let options = BlitOptions {
                            scaling,
                            filter,
                            background,
                            region,
                            ..Default::default()
                        };
                        // Wider than the frame, and taller: both letterbox directions.
                        for size in [(23, 11), (9, 16)] {
                            let what = format!("{options:?} {size:?} on {format:?}");
                            check(&array, &frame, format, size, &options, &what);
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn strided_flipped_transposed_broadcast_and_lazy_frames() {
    let mut rng = Rng::new(4);
    let (array, frame) = random_frame(&mut rng, 8, 10, 4, Dtype::U8);
    let host = |f: &dyn Fn(usize, usize, usize) -> f64, h: usize, w: usize, c: usize| Frame {
        h,
        w,
        c,
        data: (0..h * w * c)
            .map(|i| f(i / (w * c), i / c % w, i % c))
            .collect(),
    };
    let cases: Vec<(GpuArray, Frame, &str)> = vec![
        (
            // Every other column, rows reversed.
            array
                .slice(&[SliceArg::step(-1), SliceArg::range(Some(0), None, 2)])
                .unwrap(),
            host(&|y, x, c| frame.at(7 - y, 2 * x, c), 8, 5, 4),
            "rows reversed, every other column",
        ),
        (
            array.permute(&[1, 0, 2]).unwrap(),
            host(&|y, x, c| frame.at(x, y, c), 10, 8, 4),
            "transposed",
        ),
        (
            // RGB channels reversed (BGR), alpha dropped.
            array
                .slice(&[
                    SliceArg::ALL,
                    SliceArg::ALL,
                    SliceArg::range(Some(2), None, -1),
                ])
                .unwrap(),
            host(&|y, x, c| frame.at(y, x, 2 - c), 8, 10, 3),
            "channels reversed",
        ),
        (
            // One channel broadcast to three (a zero stride).
            array
                .slice(&[
                    SliceArg::ALL,
                    SliceArg::ALL,
                    SliceArg::range(Some(1), Some(2), 1),
                ])
                .unwrap()
                .broadcast_to(&[8, 10, 3])
                .unwrap(),
            host(&|y, x, _| frame.at(y, x, 1), 8, 10, 3),
            "green broadcast to RGB",
        ),
    ];
    for (a, f, what) in &cases {
        check(
            a,
            f,
            wgpu::TextureFormat::Rgba8Unorm,
            (f.w as u32, f.h as u32),
            &BlitOptions::nearest(),
            what,
        );
    }
    // A pending expression is computed and drawn.
    let unit = array.to_unit_float().unwrap();
    let lazy = &unit * 0.5 + 0.25;
    assert!(lazy.is_lazy());
    let expected = host(&|y, x, c| frame.at(y, x, c) * 0.5 + 0.25, 8, 10, 4);
    check(
        &lazy,
        &expected,
        float_format(),
        (10, 8),
        &BlitOptions::default(),
        "lazy",
    );
}

#[test]
fn colormaps_on_single_channel_data() {
    let mut rng = Rng::new(5);
    let (h, w) = (6, 11);
    let mut v: Vec<f32> = (0..h * w).map(|_| rng.f64(-1.5, 3.5) as f32).collect();
    // Out of range both ways, infinities and NaN.
    v[..4].copy_from_slice(&[f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -7.0]);
    let array = up(&v, &[h, w]);
    let frame = Frame {
        h,
        w,
        c: 1,
        data: v.iter().map(|&x| x as f64).collect(),
    };
    for colormap in [
        Colormap::Viridis,
        Colormap::Magma,
        Colormap::Inferno,
        Colormap::Plasma,
        Colormap::Cividis,
        Colormap::Turbo,
        Colormap::Gray,
    ] {
        for format in [
            wgpu::TextureFormat::Rgba8Unorm,
            wgpu::TextureFormat::Bgra8UnormSrgb,
        ] {
            for filter in [Filter::Nearest, Filter::Linear] {
                let options = BlitOptions {
                    colormap: Some(colormap),
                    range: (-1.0, 3.0),
                    filter,
                    scaling: Scaling::Stretch,
                    ..Default::default()
                };
                let what = format!("{colormap:?} {filter:?} on {format:?}");
                // 1:1 and magnified 3×.
                check(&array, &frame, format, (11, 6), &options, &what);
                check(&array, &frame, format, (33, 18), &options, &what);
            }
        }
    }
}

#[test]
fn linear_light_frames_are_encoded_for_display() {
    let mut rng = Rng::new(6);
    let (array, frame) = random_frame(&mut rng, 7, 9, 3, Dtype::F32);
    for format in FORMATS.into_iter().filter(|&f| renderable(f)) {
        for filter in [Filter::Nearest, Filter::Linear] {
            let options = BlitOptions {
                encoding: Encoding::Linear,
                filter,
                ..Default::default()
            };
            let what = format!("linear frame {filter:?} on {format:?}");
            check(&array, &frame, format, (18, 14), &options, &what);
        }
    }
}

#[test]
fn draws_recorded_into_one_encoder_keep_their_own_parameters() {
    // Two frames side by side in one pass sequence: each draw has its own parameters.
    let mut rng = Rng::new(7);
    let (a, fa) = random_frame(&mut rng, 4, 4, 3, Dtype::U8);
    let (b, fb) = random_frame(&mut rng, 4, 4, 1, Dtype::F32);
    let format = wgpu::TextureFormat::Rgba8Unorm;
    let texture = target(format, 16, 8, UNTOUCHED);
    let view = texture.create_view(&Default::default());
    let blitter = Blitter::new(gpu(), format).unwrap();
    let left = BlitOptions {
        region: Some(Region {
            x: 0,
            y: 0,
            width: 8,
            height: 8,
        }),
        ..BlitOptions::nearest()
    };
    let right = BlitOptions {
        region: Some(Region {
            x: 8,
            y: 0,
            width: 8,
            height: 8,
        }),
        colormap: Some(Colormap::Magma),
        ..BlitOptions::default()
    };
    let mut encoder = gpu().device().create_command_encoder(&Default::default());
    blitter.encode(&mut encoder, &a, &view, &left).unwrap();
    blitter.encode(&mut encoder, &b, &view, &right).unwrap();
    gpu().queue().submit([encoder.finish()]);
    let tol = tolerance(format);
    // Each half checked on its own: the model leaves the other half untouched, so compare only
    // the half's columns.
    let got = pixels(&texture);
    for (frame, options, xs) in [(&fa, &left, 0..8), (&fb, &right, 8..16)] {
        for py in 0..8 {
            for px in xs.clone() {
                let shown = got[(py * 16 + px) as usize];
                let region = options.region.unwrap();
                let allowed = model_pixel(frame, options, region, (px, py), UNTOUCHED);
                let ok = allowed
                    .iter()
                    .any(|c| (0..4).all(|i| (c[i] - shown[i]).abs() <= tol));
                assert!(ok, "({px}, {py}): {shown:?} not in {allowed:?}");
            }
        }
    }
}

#[test]
fn to_texture_holds_the_frame_unchanged() {
    let mut rng = Rng::new(8);
    let gpu = gpu();
    // u8 RGB → Rgba8Unorm, alpha 255.
    let bytes = rng.bytes(5 * 6 * 3);
    let texture = up(&bytes, &[5, 6, 3]).to_texture().unwrap();
    assert_eq!(texture.format(), wgpu::TextureFormat::Rgba8Unorm);
    let back = read_texture(gpu, &texture).unwrap();
    let back = back.as_slice::<u8>().unwrap();
    for (p, q) in bytes.chunks_exact(3).zip(back.chunks_exact(4)) {
        assert_eq!(&q[..3], p);
        assert_eq!(q[3], 255);
    }
    // f32 RGBA → Rgba32Float, bit for bit (out-of-range values too: no conversion happens);
    // Rgba16Float, within one f16 step, where the adapter cannot render to Rgba32Float.
    let v: Vec<f32> = (0..4 * 3 * 4).map(|_| rng.f64(-0.5, 1.5) as f32).collect();
    let texture = up(&v, &[4, 3, 4]).to_texture().unwrap();
    assert_eq!(texture.format(), float_format());
    let back: Vec<f32> = read_texture(gpu, &texture)
        .unwrap()
        .view()
        .astype(Dtype::F32)
        .unwrap()
        .to_vec()
        .unwrap();
    if texture.format() == wgpu::TextureFormat::Rgba32Float {
        assert_eq!(back, v);
    } else {
        for (b, x) in back.iter().zip(&v) {
            assert!((b - x).abs() <= x.abs() / 1024.0, "{x} stored as {b}");
        }
    }
    // Grey into an sRGB texture: the same colours, encoded by the GPU (within one step).
    let grey = rng.bytes(7 * 5);
    let texture = up(&grey, &[7, 5])
        .to_texture_as(wgpu::TextureFormat::Rgba8UnormSrgb)
        .unwrap();
    let back = read_texture(gpu, &texture).unwrap();
    for (g, q) in grey
        .iter()
        .zip(back.as_slice::<u8>().unwrap().chunks_exact(4))
    {
        for &c in &q[..3] {
            assert!(c.abs_diff(*g) <= 1, "grey {g} stored as {q:?}");
        }
    }
}

#[test]
fn empty_frames_show_only_the_background() {
    let array = up::<u8>(&[], &[0, 5, 3]);
    let frame = Frame {
        h: 0,
        w: 5,
        c: 3,
        data: vec![],
    };
    check(
        &array,
        &frame,
        wgpu::TextureFormat::Rgba8Unorm,
        (4, 4),
        &BlitOptions::default(),
        "empty frame",
    );
}

#[test]
fn bad_frames_targets_and_options_are_errors() {
    let gpu = gpu();
    let format = wgpu::TextureFormat::Rgba8Unorm;
    let blitter = Blitter::new(gpu, format).unwrap();
    let texture = target(format, 8, 8, UNTOUCHED);
    let view = texture.create_view(&Default::default());
    let rgb = up(&[0u8; 4 * 4 * 3], &[4, 4, 3]);
    let draw = |frame: &GpuArray, options: &BlitOptions| blitter.draw(frame, &view, options);
    let ok = BlitOptions::default();

    let e = draw(&up(&[0i32; 16], &[4, 4]), &ok).unwrap_err();
    assert!(matches!(e, Error::Dtype(_)), "{e}");
    for shape in [&[48][..], &[4, 4, 3, 1], &[2, 2, 12]] {
        let e = draw(
            &rgb.reshape(&shape.iter().map(|&d| d as isize).collect::<Vec<_>>())
                .unwrap(),
            &ok,
        )
        .unwrap_err();
        assert!(matches!(e, Error::Shape(_)), "{shape:?}: {e}");
    }
    let colormap_on_rgb = BlitOptions {
        colormap: Some(Colormap::Viridis),
        ..ok
    };
    let e = draw(&rgb, &colormap_on_rgb).unwrap_err();
    assert!(
        matches!(e, Error::Shape(_)) && e.to_string().contains("single-channel"),
        "{e}"
    );
    for range in [
        (1.0, 1.0),
        (2.0, 1.0),
        (0.0, f32::INFINITY),
        (f32::NAN, 1.0),
    ] {
        let e = draw(&rgb, &BlitOptions { range, ..ok }).unwrap_err();
        assert!(matches!(e, Error::Parameter(_)), "{range:?}: {e}");
    }
    let outside = Region {
        x: 4,
        y: 0,
        width: 5,
        height: 8,
    };
    let e = draw(
        &rgb,
        &BlitOptions {
            region: Some(outside),
            ..ok
        },
    )
    .unwrap_err();
    assert!(
        matches!(e, Error::Parameter(_)) && e.to_string().contains("region"),
        "{e}"
    );
    let e = draw(
        &rgb,
        &BlitOptions {
            background: Some([f32::NAN, 0.0, 0.0, 1.0]),
            ..ok
        },
    )
    .unwrap_err();
    assert!(matches!(e, Error::Parameter(_)), "{e}");

    // A target of another format, and one that cannot be rendered to.
    let red = target(wgpu::TextureFormat::R8Unorm, 4, 4, UNTOUCHED);
    let e = blitter
        .draw(&rgb, &red.create_view(&Default::default()), &ok)
        .unwrap_err();
    assert!(
        matches!(e, Error::Parameter(_)) && e.to_string().contains("R8Unorm"),
        "{e}"
    );
    let sampled_only = gpu.device().create_texture(&wgpu::TextureDescriptor {
        label: None,
        size: wgpu::Extent3d {
            width: 4,
            height: 4,
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format,
        usage: wgpu::TextureUsages::TEXTURE_BINDING,
        view_formats: &[],
    });
    let e = blitter
        .draw(&rgb, &sampled_only.create_view(&Default::default()), &ok)
        .unwrap_err();
    assert!(e.to_string().contains("RENDER_ATTACHMENT"), "{e}");
    let e = read_texture(gpu, &sampled_only).unwrap_err();
    assert!(e.to_string().contains("COPY_SRC"), "{e}");
    let e = Blitter::new(gpu, wgpu::TextureFormat::Depth32Float)
        .err()
        .unwrap();
    assert!(matches!(e, Error::Unsupported(_)), "{e}");

    // An operator's deferred error is reported by the draw.
    let bad = &up(&[1u8; 4], &[2, 2]) + 300;
    let e = draw(&bad, &ok).unwrap_err();
    assert!(e.to_string().contains("300"), "{e}");
    // Empty frames have no texture.
    let e = up::<u8>(&[], &[0, 3]).to_texture().unwrap_err();
    assert!(matches!(e, Error::Unsupported(_)), "{e}");

    // The blitter still works after all that.
    draw(&rgb, &ok).unwrap();
}

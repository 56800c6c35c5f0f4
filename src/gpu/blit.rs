//! Drawing GPU arrays onto textures — a window's surface or an offscreen target — with no round
//! trip through host memory: the frame goes from its storage buffer to the target in one render
//! pass (`shaders/blit.wgsl`).
//!
//! A frame is a [`GpuArray`] of shape `[h, w]` or `[h, w, c]` with `c` in 1..=4 (grey, grey +
//! alpha, RGB, RGBA), `u8` or `f32` in [0, 1], with any strides: a slice, a flipped or transposed
//! view, or a pending elementwise expression (computed first) can be drawn as it is.
//!
//! A frame larger than one storage binding is drawn in bands of target rows, each bound to the
//! frame rows it samples (pixels are the same as in one draw; [`GpuStats::draws`] counts the
//! bands). [`Blitter::draw`] draws a frame whose rows lie further apart (a transposed view of a
//! large array) from a contiguous copy, and a frame four of whose rows span more than a binding
//! (rows of millions of pixels) in column tiles: contiguous copies of the frame columns each run
//! of target columns samples, each drawn in bands, the shader indexing the frame's own columns,
//! so again every pixel is computed as in one draw. [`Blitter::encode`] refuses such a frame (the
//! copies would not outlive the caller's encoder).
//!
//! [`GpuStats::draws`]: crate::gpu::context::GpuStats::draws
//!
//! Colour handling:
//! - A frame holds sRGB-encoded values by default, like image files and like every filter of
//!   [`filters`](crate::filters); [`Encoding::Linear`] says it holds linear light instead.
//! - Targets with an sRGB format (`*UnormSrgb`) are given linear light, which the GPU encodes on
//!   write; every other format is given sRGB-encoded values, which is what a display shows
//!   through a non-sRGB surface. Values already in the target's encoding pass unchanged, so a
//!   `u8` frame drawn 1:1 onto an `Rgba8Unorm` texture is copied exactly.
//! - Bilinear filtering interpolates in linear light, as the GPU's own sampling of an sRGB
//!   texture does.
//! - A single-channel frame may be shown through a [`Colormap`] (an FFT magnitude, a depth map):
//!   [`BlitOptions::range`] is mapped onto the colormap's 256 colours, NaN is transparent black.
//!
//! ```
//! use gpuarray::blit::{read_texture, BlitOptions, Blitter, Scaling};
//! use gpuarray::{wgpu, Gpu, View};
//!
//! let gpu = Gpu::new()?;
//! // A 2×2 RGB frame ...
//! let pixels = [255u8, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255];
//! let frame = gpu.upload(&View::from_slice(&pixels, &[2, 2, 3])?)?;
//! // ... drawn onto a 4×4 offscreen texture (a window surface works the same way).
//! let texture = gpu.device().create_texture(&wgpu::TextureDescriptor {
//!     label: None,
//!     size: wgpu::Extent3d { width: 4, height: 4, depth_or_array_layers: 1 },
//!     mip_level_count: 1,
//!     sample_count: 1,
//!     dimension: wgpu::TextureDimension::D2,
//!     format: wgpu::TextureFormat::Rgba8Unorm,
//!     usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
//!     view_formats: &[],
//! });
//! let view = texture.create_view(&Default::default());
//! let blitter = Blitter::new(&gpu, texture.format())?;
//! let options = BlitOptions { scaling: Scaling::Stretch, ..BlitOptions::nearest() };
//! blitter.draw(&frame, &view, &options)?;
//! // Pixel (3, 0) of the target shows frame pixel (1, 0): green.
//! let shown = read_texture(&gpu, &texture)?;
//! assert_eq!(shown.get::<u8>(&[0, 3, 1])?, 255);
//! assert_eq!(shown.get::<u8>(&[0, 3, 0])?, 0);
//! # Ok::<(), gpuarray::Error>(())
//! ```

use std::collections::HashMap;
use std::sync::Mutex;

use crate::error::{Error, Result};
use crate::gpu::array::GpuArray;
use crate::gpu::context::{Counters, Gpu, lock};
use crate::gpu::kernels::{self, Input, window};
use crate::gpu::pool::PooledBuffer;
use crate::gpu::transfer::read_mapped;
use crate::view::dtype::Dtype;
use crate::view::layout::SliceArg;
use crate::view::view::HostArray;

const BLIT_WGSL: &str = include_str!("../../shaders/blit.wgsl");

/// How a frame is scaled into the target region.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Scaling {
    /// As large as fits whole, aspect ratio kept, centred; the rest is background.
    #[default]
    Fit,
    /// As small as covers the region, aspect ratio kept, centred; the overflow is cropped.
    Fill,
    /// Exactly the region, aspect ratio not kept.
    Stretch,
}

/// How frame pixels are sampled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Filter {
    /// The frame pixel under each target pixel's centre (crisp pixels).
    Nearest,
    /// Bilinear between the four nearest frame pixels, in linear light, clamped at the edges.
    #[default]
    Linear,
}

/// What a frame's values mean.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// sRGB-encoded values, as in image files (and what every filter returns).
    #[default]
    Srgb,
    /// Linear light (e.g. physically computed intensities).
    Linear,
}

/// Colormaps for single-channel frames: grey, and the perceptually uniform ones of matplotlib
/// (sampled from the [`colorous`] crate's gradients) plus Turbo.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Colormap {
    /// Black to white.
    Gray,
    /// matplotlib's default: dark blue, green, yellow.
    Viridis,
    /// Black, purple, orange, light yellow.
    Magma,
    /// Black, purple, orange, yellow.
    Inferno,
    /// Blue, purple, orange, yellow.
    Plasma,
    /// Viridis made readable with colour-vision deficiency.
    Cividis,
    /// Google's improved rainbow.
    Turbo,
}

impl Colormap {
    /// The 256 sRGB colours of the map; value `v` of the range `(lo, hi)` shows colour
    /// `⌊(v − lo) / (hi − lo) · 256⌋`, clamped to 0..=255 (matplotlib's rule).
    pub fn table(self) -> [[u8; 3]; 256] {
        let gradient = match self {
            Colormap::Gray => return std::array::from_fn(|i| [i as u8; 3]),
            Colormap::Viridis => colorous::VIRIDIS,
            Colormap::Magma => colorous::MAGMA,
            Colormap::Inferno => colorous::INFERNO,
            Colormap::Plasma => colorous::PLASMA,
            Colormap::Cividis => colorous::CIVIDIS,
            Colormap::Turbo => colorous::TURBO,
        };
        std::array::from_fn(|i| gradient.eval_rational(i, 256).as_array())
    }
}

/// A rectangle of the target, in pixels from its top-left corner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Region {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width (at least 1).
    pub width: u32,
    /// Height (at least 1).
    pub height: u32,
}

/// How [`Blitter::draw`] shows a frame. `Default` fits the frame into the whole target with
/// bilinear filtering over an opaque black background.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BlitOptions {
    /// Fit, fill or stretch into the region.
    pub scaling: Scaling,
    /// Nearest or bilinear sampling.
    pub filter: Filter,
    /// A colormap for a single-channel frame; `None` shows it grey.
    pub colormap: Option<Colormap>,
    /// The values mapped to the colormap's first and last colour (`lo < hi`, both finite).
    pub range: (f32, f32),
    /// What the frame's values mean (ignored with a colormap, whose colours are sRGB).
    pub encoding: Encoding,
    /// RGBA (sRGB-encoded, in [0, 1]) of the region's pixels that the frame does not cover;
    /// `None` leaves them as they were.
    pub background: Option<[f32; 4]>,
    /// The part of the target to draw in; `None` is the whole target. Pixels outside it are
    /// never touched.
    pub region: Option<Region>,
}

impl Default for BlitOptions {
    fn default() -> Self {
        BlitOptions {
            scaling: Scaling::Fit,
            filter: Filter::Linear,
            colormap: None,
            range: (0.0, 1.0),
            encoding: Encoding::Srgb,
            background: Some([0.0, 0.0, 0.0, 1.0]),
            region: None,
        }
    }
}

impl BlitOptions {
    /// The defaults with nearest sampling (crisp pixels).
    pub fn nearest() -> Self {
        BlitOptions {
            filter: Filter::Nearest,
            ..Default::default()
        }
    }
}

/// The shader's parameters (`Params` in `shaders/blit.wgsl`).
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    height: i32,
    width: i32,
    offset: i32,
    sy: i32,
    sx: i32,
    sc: i32,
    vmin: f32,
    vscale: f32,
    origin: [f32; 2],
    scale: [f32; 2],
    background: [f32; 4],
}

/// What a pipeline is specialised for (the shader's `override` constants).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Variant {
    is_u8: bool,
    channels: u32,
    linear_filter: bool,
    use_colormap: bool,
    frame_linear: bool,
    has_background: bool,
}

/// Draws frames onto textures of one format. Render pipelines are built on first use of each
/// kind of frame and options (dtype, channels, filter, colormap, encoding, background) and kept
/// by the [`Gpu`] for every blitter of the same format.
pub struct Blitter {
    gpu: Gpu,
    format: wgpu::TextureFormat,
    layout: wgpu::BindGroupLayout,
    /// Colormap tables, uploaded on first use.
    tables: Mutex<HashMap<Option<Colormap>, wgpu::Buffer>>,
    /// Bound in place of the frame when it is empty (a binding cannot be).
    empty: wgpu::Buffer,
}

/// A draw checked and bound, ready to record.
struct Prepared {
    pipeline: wgpu::RenderPipeline,
    /// The target rectangle each bind group draws.
    bands: Vec<(Rect, wgpu::BindGroup)>,
    region: Region,
    /// The column tiles' copies the bind groups read (none when the frame is drawn in bands
    /// of rows): they must live until the draw is submitted.
    tiles: Vec<GpuArray>,
}

/// Target columns `[u0, u1)` and rows `[t0, t1)`.
type Rect = ((u32, u32), (u32, u32));

/// The target columns `[u0, u1)` one column tile draws, and its copy of the frame columns
/// `[c0, ..)` those sample (`None`: the frame itself, all its columns).
type ColumnTile = ((u32, u32), Option<(usize, GpuArray)>);

impl Blitter {
    /// A blitter for targets of `format` (a surface's configured format, or an offscreen
    /// texture's). The format must be a renderable colour format of this adapter.
    pub fn new(gpu: &Gpu, format: wgpu::TextureFormat) -> Result<Blitter> {
        let adapter = gpu.adapter();
        let downlevel = adapter.get_downlevel_capabilities();
        if !downlevel
            .flags
            .contains(wgpu::DownlevelFlags::FRAGMENT_STORAGE)
        {
            return Err(Error::unsupported(format!(
                "{} cannot read storage buffers in fragment shaders, which blitting needs",
                gpu.info().name
            )));
        }
        if !renders_to(gpu, format) || format.has_depth_aspect() || format.has_stencil_aspect() {
            return Err(Error::unsupported(format!(
                "{format:?} is not a colour format {} can render to",
                gpu.info().name
            )));
        }
        let entry = |binding, ty| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::FRAGMENT,
            ty: wgpu::BindingType::Buffer {
                ty,
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        };
        let device = gpu.device();
        // Parameters, the frame, the colormap.
        let (layout, empty) = gpu.scoped("creating the blitter", || {
            let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some("gpuarray blit"),
                entries: &[
                    entry(0, wgpu::BufferBindingType::Uniform),
                    entry(1, wgpu::BufferBindingType::Storage { read_only: true }),
                    entry(2, wgpu::BufferBindingType::Uniform),
                ],
            });
            let empty = device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("gpuarray blit: empty frame"),
                size: 16,
                usage: wgpu::BufferUsages::STORAGE,
                mapped_at_creation: false,
            });
            (layout, empty)
        })?;
        Ok(Blitter {
            gpu: gpu.clone(),
            format,
            layout,
            tables: Mutex::default(),
            empty,
        })
    }

    /// The target format this blitter draws to.
    pub fn format(&self) -> wgpu::TextureFormat {
        self.format
    }

    /// Draws `frame` onto `target` (a view of mip level 0 of a texture of this blitter's
    /// format, or its sRGB / non-sRGB twin) and submits the work.
    pub fn draw(
        &self,
        frame: &GpuArray,
        target: &wgpu::TextureView,
        options: &BlitOptions,
    ) -> Result<()> {
        // A frame whose rows lie too far apart for bands (a transposed view of a large array)
        // is drawn from a contiguous copy, kept until the draw is submitted.
        frame_shape(frame)?;
        let copy;
        let frame = if bandable(&self.gpu, frame)? || frame.is_c_contiguous() {
            frame
        } else {
            copy = frame.contiguous()?;
            &copy
        };
        let prepared = self.prepare(frame, target, options)?;
        let device = self.gpu.device();
        self.gpu.scoped("blitting a frame", || {
            let mut encoder = device.create_command_encoder(&Default::default());
            self.record(&mut encoder, target, &prepared);
            self.gpu.queue().submit([encoder.finish()]);
        })
    }

    /// Records the draw of [`draw`](Self::draw) into `encoder` without submitting it, for
    /// callers with their own passes. `frame` must outlive the submission: a dropped array's
    /// buffer returns to gpuarray's pool, and later work may overwrite it before the encoder
    /// runs.
    pub fn encode(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        frame: &GpuArray,
        target: &wgpu::TextureView,
        options: &BlitOptions,
    ) -> Result<()> {
        let prepared = self.prepare(frame, target, options)?;
        if !prepared.tiles.is_empty() {
            // The tiles' copies would be dropped (back to the pool) before `encoder` runs.
            return Err(Error::unsupported(format!(
                "recording a frame of shape {:?} and strides {:?}: four of its rows span more \
                 than one storage binding ({} bytes); record a contiguous copy \
                 (GpuArray::contiguous) if its rows are narrow enough, or use Blitter::draw, \
                 which draws it in column tiles of copies and submits at once",
                frame.shape(),
                frame.strides(),
                self.gpu.binding()
            )));
        }
        self.record(encoder, target, &prepared);
        Ok(())
    }

    fn record(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        target: &wgpu::TextureView,
        prepared: &Prepared,
    ) {
        crate::gpu::tape::opaque(&self.gpu, "a draw");
        let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("gpuarray blit"),
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view: target,
                depth_slice: None,
                resolve_target: None,
                ops: wgpu::Operations {
                    // The shader covers the whole region; everything else stays as it was.
                    load: wgpu::LoadOp::Load,
                    store: wgpu::StoreOp::Store,
                },
            })],
            ..Default::default()
        });
        let r = prepared.region;
        pass.set_viewport(
            r.x as f32,
            r.y as f32,
            r.width as f32,
            r.height as f32,
            0.0,
            1.0,
        );
        pass.set_pipeline(&prepared.pipeline);
        // Each band draws the same triangle over the region, clipped to its columns and rows.
        for &(((u0, u1), (t0, t1)), ref bind) in &prepared.bands {
            pass.set_scissor_rect(u0, t0, u1 - u0, t1 - t0);
            pass.set_bind_group(0, bind, &[]);
            pass.draw(0..3, 0..1);
            Counters::bump(&self.gpu.inner.counters.draws);
        }
    }

    /// Checks the frame, target and options, and binds the frame's buffer and the parameters.
    fn prepare(
        &self,
        frame: &GpuArray,
        target: &wgpu::TextureView,
        options: &BlitOptions,
    ) -> Result<Prepared> {
        let (height, width, channels) = frame_shape(frame)?;
        let texture = target.texture();
        if texture.format().remove_srgb_suffix() != self.format.remove_srgb_suffix() {
            return Err(Error::Parameter(format!(
                "this blitter draws to {:?} targets, not {:?} (make a Blitter for that format)",
                self.format,
                texture.format()
            )));
        }
        if !texture
            .usage()
            .contains(wgpu::TextureUsages::RENDER_ATTACHMENT)
        {
            return Err(Error::Parameter(
                "the target texture needs TextureUsages::RENDER_ATTACHMENT".into(),
            ));
        }
        let region = options.region.unwrap_or(Region {
            x: 0,
            y: 0,
            width: texture.width(),
            height: texture.height(),
        });
        if region.width == 0
            || region.height == 0
            || region.x as u64 + region.width as u64 > texture.width() as u64
            || region.y as u64 + region.height as u64 > texture.height() as u64
        {
            return Err(Error::Parameter(format!(
                "region {region:?} is empty or not inside the {}×{} target",
                texture.width(),
                texture.height()
            )));
        }
        let (lo, hi) = options.range;
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return Err(Error::Parameter(format!(
                "range ({lo}, {hi}) must be finite with lo < hi"
            )));
        }
        if options.colormap.is_some() && channels != 1 {
            return Err(Error::shape(format!(
                "a colormap shows single-channel frames ([h, w] or [h, w, 1]), not {:?}",
                frame.shape()
            )));
        }
        if let Some(bg) = options.background
            && !bg.iter().all(|v| v.is_finite())
        {
            return Err(Error::Parameter(format!(
                "background {bg:?} must be finite"
            )));
        }

        let (origin, scale) = mapping(options.scaling, (width, height), region);
        let linear_filter = options.filter == Filter::Linear
            // At 1:1 on whole pixels, bilinear sampling hits pixel centres: nearest is the same
            // and four times cheaper.
            && !(scale == [1.0, 1.0] && origin.iter().all(|o| o.fract() == 0.0));
        // The frame's buffer, bound through the window its elements lie in: the whole frame
        // when it fits one binding, else bands of target rows, each bound to the frame rows it
        // samples. A frame four of whose rows do not fit is first cut into column tiles
        // (contiguous copies of the columns some target columns sample), each drawn so.
        let mut bands = vec![];
        let mut tiles = vec![];
        for (columns, tile) in
            self.column_tiles(frame, region, origin[0], scale[0], linear_filter)?
        {
            let (source, c0) = match &tile {
                Some((c0, copy)) => (copy, *c0),
                None => (frame, 0),
            };
            let strides = source.strides();
            let sc = if source.ndim() == 3 { strides[2] } else { 0 };
            let storage = if source.is_empty() {
                None
            } else {
                Some(source.storage()?)
            };
            for (rows, (start, end, offset)) in
                self.bands(source, region, origin[1], scale[1], linear_filter)?
            {
                let buffer = storage.map_or(&self.empty, |s| s.buffer());
                // The shader indexes with the frame's own columns (the same arithmetic as
                // one draw); a tile's offset is taken back to column 0 (i32 arithmetic wraps).
                let offset = offset.wrapping_sub((c0 as i64 * strides[1] as i64) as u32);
                let params = Params {
                    height: height as i32,
                    width: width as i32,
                    offset: offset as i32,
                    sy: strides[0] as i32,
                    sx: strides[1] as i32,
                    sc: sc as i32,
                    vmin: lo,
                    vscale: 1.0 / (hi - lo),
                    origin,
                    scale,
                    background: options.background.unwrap_or_default(),
                };
                bands.push((
                    (columns, rows),
                    self.bind(buffer, (start, end), &params, options.colormap)?,
                ));
            }
            if let Some((_, copy)) = tile {
                tiles.push(copy);
            }
        }
        let pipeline = self.pipeline(Variant {
            is_u8: frame.dtype == Dtype::U8,
            channels: channels as u32,
            linear_filter,
            use_colormap: options.colormap.is_some(),
            frame_linear: options.encoding == Encoding::Linear,
            has_background: options.background.is_some(),
        })?;
        Ok(Prepared {
            pipeline,
            bands,
            region,
            tiles,
        })
    }

    /// The column tiles a frame is drawn in: one, the frame itself over all of `region`'s
    /// columns, when four of its rows fit one binding (see [`bandable`]); else runs of target
    /// columns `[u0, u1)`, each with a contiguous copy of the frame columns `[c0, c1)` it
    /// samples (with a column of margin each side, as [`bands`](Self::bands) takes rows), so
    /// narrow that four of the copy's rows fit. Target column `u` samples frame column `⌊s⌋`
    /// (nearest) or `⌊s − ½⌋` and the next (bilinear) at `s = (u + ½ − origin_x) · scale_x`.
    fn column_tiles(
        &self,
        frame: &GpuArray,
        region: Region,
        origin_x: f32,
        scale_x: f32,
        linear_filter: bool,
    ) -> Result<Vec<ColumnTile>> {
        let all = (region.x, region.x + region.width);
        if bandable(&self.gpu, frame)? {
            return Ok(vec![(all, None)]);
        }
        let (_, width, channels) = frame_shape(frame)?;
        let pixel = (channels * frame.dtype.itemsize()) as u64;
        // Four rows of a tile within one binding, less the window's alignment slack.
        let align = self.gpu.inner.limits.min_storage_buffer_offset_alignment as u64;
        let most = (self.gpu.binding().saturating_sub(align) / (4 * pixel)) as usize;
        let columns = |u: (u32, u32)| sampled(u, origin_x, scale_x, width, linear_filter);
        let fits = |u0: u32, u1: u32| {
            let (c0, c1) = columns((u0, u1));
            c1 - c0 <= most
        };
        let Some(runs) = runs(all, fits) else {
            return Err(Error::unsupported(format!(
                "drawing a frame of shape {:?}: four rows of even a few of its columns span more \
                 than one storage binding ({} bytes)",
                frame.shape(),
                self.gpu.binding()
            )));
        };
        let mut tiles = vec![];
        for (u0, u1) in runs {
            let (c0, c1) = columns((u0, u1));
            let mut index = vec![
                SliceArg::ALL,
                SliceArg::Range {
                    start: Some(c0 as isize),
                    stop: Some(c1 as isize),
                    step: 1,
                },
            ];
            if frame.ndim() == 3 {
                index.push(SliceArg::ALL);
            }
            let copy = frame.slice(&index)?.contiguous()?;
            tiles.push(((u0, u1), Some((c0, copy))));
        }
        Ok(tiles)
    }

    /// The bands a frame is drawn in: target rows `[t0, t1)` of `region`, each with the window
    /// of the frame's buffer its fragments read (start byte, end byte, the shader's element
    /// offset of frame pixel (0, 0) from the start). One band over the whole region when the
    /// frame fits the binding in use.
    ///
    /// A target row samples frame row `⌊s⌋` (nearest) or rows `⌊s − ½⌋` and the one after
    /// (bilinear) at `s = (t + ½ − origin_y) · scale_y`; a band's window covers its frame rows
    /// with a row of margin each side for rounding, so bands only need four frame rows to fit
    /// one binding (see [`bandable`]), and each band's pixels are computed exactly as in one draw.
    #[allow(clippy::type_complexity)]
    fn bands(
        &self,
        frame: &GpuArray,
        region: Region,
        origin_y: f32,
        scale_y: f32,
        linear_filter: bool,
    ) -> Result<Vec<((u32, u32), (u64, u64, u32))>> {
        let all = (region.y, region.y + region.height);
        if frame.is_empty() {
            return Ok(vec![(all, (0, 16, 0))]);
        }
        let storage = frame.storage()?;
        let gpu = &self.gpu;
        let limit = gpu.binding();
        let height = frame.shape()[0];
        let rows_window = |r0, r1| rows_window(gpu, frame, storage, r0, r1);
        let whole = rows_window(0, height);
        if whole.1 - whole.0 <= limit {
            return Ok(vec![(all, whole)]);
        }
        // The frame rows target rows [t0, t1) sample, with a row of margin each side.
        let window = |t: (u32, u32)| {
            let (r0, r1) = sampled(t, origin_y, scale_y, height, linear_filter);
            rows_window(r0, r1)
        };
        let fits = |t0: u32, t1: u32| {
            let w = window((t0, t1));
            w.1 - w.0 <= limit
        };
        let Some(runs) = runs(all, fits) else {
            return Err(Error::unsupported(format!(
                "drawing a frame of shape {:?} and strides {:?}: four of its rows span more than \
                 one storage binding ({limit} bytes); draw a contiguous copy \
                 (GpuArray::contiguous) or a smaller frame",
                frame.shape(),
                frame.strides()
            )));
        };
        Ok(runs.into_iter().map(|t| (t, window(t))).collect())
    }

    /// The bind group of one band: its parameters, its window `[start, end)` of `buffer`, and
    /// the colormap.
    fn bind(
        &self,
        buffer: &wgpu::Buffer,
        (start, end): (u64, u64),
        params: &Params,
        colormap: Option<Colormap>,
    ) -> Result<wgpu::BindGroup> {
        let gpu = &self.gpu;
        let table = self.table(colormap)?;
        gpu.scoped("binding a frame", || {
            let uniform = kernels::buffer_with(
                gpu,
                "gpuarray blit parameters",
                bytemuck::bytes_of(params),
                wgpu::BufferUsages::UNIFORM,
            );
            gpu.device().create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("gpuarray blit"),
                layout: &self.layout,
                entries: &[
                    wgpu::BindGroupEntry {
                        binding: 0,
                        resource: uniform.as_entire_binding(),
                    },
                    wgpu::BindGroupEntry {
                        binding: 1,
                        resource: kernels::binding(buffer, start, end - start),
                    },
                    wgpu::BindGroupEntry {
                        binding: 2,
                        resource: table.as_entire_binding(),
                    },
                ],
            })
        })
    }

    /// The render pipeline of one variant of `shaders/blit.wgsl` for this blitter's format.
    fn pipeline(&self, v: Variant) -> Result<wgpu::RenderPipeline> {
        let format = self.format;
        let key = format!("blit {format:?} {v:?}");
        let module = self.gpu.module("blit.wgsl", BLIT_WGSL)?;
        let flag = |b: bool| b as u8 as f64;
        let constants = [
            ("IS_U8", flag(v.is_u8)),
            ("CHANNELS", v.channels as f64),
            ("LINEAR_FILTER", flag(v.linear_filter)),
            ("USE_COLORMAP", flag(v.use_colormap)),
            ("FRAME_LINEAR", flag(v.frame_linear)),
            ("TARGET_LINEAR", flag(format.is_srgb())),
            ("HAS_BACKGROUND", flag(v.has_background)),
        ];
        self.gpu.render_pipeline(&key, |device| {
            let layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some("gpuarray blit"),
                bind_group_layouts: &[Some(&self.layout)],
                immediate_size: 0,
            });
            let options = wgpu::PipelineCompilationOptions {
                constants: &constants,
                ..Default::default()
            };
            device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                label: Some("gpuarray blit"),
                layout: Some(&layout),
                vertex: wgpu::VertexState {
                    module: &module,
                    entry_point: Some("vs_main"),
                    compilation_options: options.clone(),
                    buffers: &[],
                },
                primitive: wgpu::PrimitiveState::default(),
                depth_stencil: None,
                multisample: wgpu::MultisampleState::default(),
                fragment: Some(wgpu::FragmentState {
                    module: &module,
                    entry_point: Some("fs_main"),
                    compilation_options: options,
                    targets: &[Some(wgpu::ColorTargetState {
                        format,
                        blend: None,
                        write_mask: wgpu::ColorWrites::ALL,
                    })],
                }),
                multiview_mask: None,
                cache: None,
            })
        })
    }

    /// The uniform buffer of a colormap's 256 colours (grey when there is none).
    fn table(&self, colormap: Option<Colormap>) -> Result<wgpu::Buffer> {
        if let Some(buffer) = lock(&self.tables).get(&colormap) {
            return Ok(buffer.clone());
        }
        let colours: Vec<[f32; 4]> = colormap
            .unwrap_or(Colormap::Gray)
            .table()
            .iter()
            .map(|c| [c[0], c[1], c[2], 255].map(|v| v as f32 / 255.0))
            .collect();
        let buffer = self.gpu.scoped("uploading a colormap", || {
            kernels::buffer_with(
                &self.gpu,
                "gpuarray colormap",
                bytemuck::cast_slice(&colours),
                wgpu::BufferUsages::UNIFORM,
            )
        })?;
        lock(&self.tables).insert(colormap, buffer.clone());
        Ok(buffer)
    }
}

impl std::fmt::Debug for Blitter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blitter")
            .field("format", &self.format)
            .field("adapter", &self.gpu.info().name)
            .finish_non_exhaustive()
    }
}

/// The window of `frame`'s rows `[r0, r1)` in its buffer, as [`window`] gives it, with the
/// offset taken back to row 0: the shader indexes with absolute rows (its i32 arithmetic
/// wraps).
fn rows_window(
    gpu: &Gpu,
    frame: &GpuArray,
    storage: &PooledBuffer,
    r0: usize,
    r1: usize,
) -> (u64, u64, u32) {
    let mut layout = frame.layout.clone();
    layout.shape[0] = r1 - r0;
    layout.offset = (layout.offset as isize + r0 as isize * layout.strides[0]) as usize;
    let input = Input {
        buffer: storage.buffer(),
        layout: &layout,
        itemsize: frame.dtype.itemsize(),
    };
    let (start, end, offset) = window(gpu, &input, 0, layout.len() as u64);
    let back = (r0 as i64 * layout.strides[0] as i64) as u32;
    (start, end, offset.wrapping_sub(back))
}

/// The frame positions `[first, last)` (rows or columns, `len` of them) that target positions
/// `[t0, t1)` sample at `s = (t + ½ − origin) · scale` (`⌊s⌋` nearest; `⌊s − ½⌋` and the next
/// bilinear), with one position of margin each side for rounding, clamped to the frame.
fn sampled(
    (t0, t1): (u32, u32),
    origin: f32,
    scale: f32,
    len: usize,
    linear: bool,
) -> (usize, usize) {
    let s = |t: f64| (t - origin as f64) * scale as f64;
    let shift = if linear { 0.5 } else { 0.0 };
    let first = (s(t0 as f64 + 0.5) - shift).floor() - 1.0;
    let last = (s(t1 as f64 - 0.5) - shift).floor() + 2.0;
    let clamp = |p: f64| p.clamp(0.0, (len - 1) as f64) as usize;
    (clamp(first), clamp(last) + 1)
}

/// `[from, to)` cut into runs, each the longest from its start for which `fits(start, end)`
/// holds (doubling, then bisection), or `None` when a single position does not fit.
fn runs((from, to): (u32, u32), fits: impl Fn(u32, u32) -> bool) -> Option<Vec<(u32, u32)>> {
    let mut out = vec![];
    let mut start = from;
    while start < to {
        if !fits(start, start + 1) {
            return None;
        }
        let (mut good, mut step) = (start + 1, 1u32);
        while good < to {
            let next = (good + step).min(to);
            match fits(start, next) {
                true => (good, step) = (next, step * 2),
                false if step == 1 => break,
                false => step /= 2,
            }
        }
        out.push((start, good));
        start = good;
    }
    Some(out)
}

/// Whether `frame` can be drawn in bands (or at once): four of its rows fit one binding.
fn bandable(gpu: &Gpu, frame: &GpuArray) -> Result<bool> {
    if frame.is_empty() {
        return Ok(true);
    }
    let rows = frame.shape()[0].min(4);
    let (start, end, _) = rows_window(gpu, frame, frame.storage()?, 0, rows);
    Ok(end - start <= gpu.binding())
}

/// Whether the adapter can render to textures of `format`.
fn renders_to(gpu: &Gpu, format: wgpu::TextureFormat) -> bool {
    gpu.adapter()
        .get_texture_format_features(format)
        .allowed_usages
        .contains(wgpu::TextureUsages::RENDER_ATTACHMENT)
}

/// `(height, width, channels)` of a frame, or an error naming what is wrong with it.
fn frame_shape(frame: &GpuArray) -> Result<(usize, usize, usize)> {
    frame.check()?;
    if !matches!(frame.dtype, Dtype::U8 | Dtype::F32) {
        return Err(Error::dtype(format!(
            "frames are u8 or f32 in [0, 1], not {} (convert with astype(Dtype::F32) or \
             from_unit_float(Dtype::U8))",
            frame.dtype
        )));
    }
    let (h, w, c) = match *frame.shape() {
        [h, w] => (h, w, 1),
        [h, w, c @ 1..=4] => (h, w, c),
        _ => {
            return Err(Error::shape(format!(
                "a frame is [h, w] or [h, w, c] with 1 to 4 channels, not {:?}",
                frame.shape()
            )));
        }
    };
    let fits = |v: usize| i32::try_from(v).is_ok();
    if !(fits(h) && fits(w) && frame.strides().iter().all(|&s| i32::try_from(s).is_ok())) {
        return Err(Error::unsupported(format!(
            "frames of shape {:?} and strides {:?} (dimensions and strides must fit in i32)",
            frame.shape(),
            frame.strides()
        )));
    }
    Ok((h, w, c))
}

/// Where a `w × h` frame lies in `region` under `scaling`: the target position of frame
/// coordinate (0, 0) and the frame pixels per target pixel. The frame is centred on whole
/// target pixels, so a 1:1 fit maps pixels exactly.
fn mapping(scaling: Scaling, (w, h): (usize, usize), region: Region) -> ([f32; 2], [f32; 2]) {
    let (rw, rh) = (region.width as f64, region.height as f64);
    if w == 0 || h == 0 {
        // Nothing to draw: every pixel maps to (0, 0), outside an empty frame.
        return ([0.0; 2], [0.0; 2]);
    }
    let (fw, fh) = (w as f64, h as f64);
    let (kx, ky) = match scaling {
        Scaling::Stretch => (rw / fw, rh / fh),
        Scaling::Fit => {
            let k = (rw / fw).min(rh / fh);
            (k, k)
        }
        Scaling::Fill => {
            let k = (rw / fw).max(rh / fh);
            (k, k)
        }
    };
    let x = region.x as f64 + ((rw - fw * kx) / 2.0).floor();
    let y = region.y as f64 + ((rh - fh * ky) / 2.0).floor();
    ([x as f32, y as f32], [(1.0 / kx) as f32, (1.0 / ky) as f32])
}

impl GpuArray {
    /// This frame (see [`blit`](crate::gpu::blit)) as a new texture of its own size, for render
    /// code of your own, holding the frame's values unchanged (grey is repeated into RGB,
    /// missing alpha is 1): `Rgba8Unorm` for `u8` frames, `Rgba32Float` for `f32` ones. Where
    /// the adapter cannot render to `Rgba32Float` (OpenGL ES), `f32` frames become
    /// `Rgba16Float`, rounded to f16. The texture can be sampled, copied and rendered to.
    pub fn to_texture(&self) -> Result<wgpu::Texture> {
        let float32 = wgpu::TextureFormat::Rgba32Float;
        let format = match self.dtype {
            Dtype::U8 => wgpu::TextureFormat::Rgba8Unorm,
            _ if renders_to(&self.gpu, float32) => float32,
            _ => wgpu::TextureFormat::Rgba16Float,
        };
        self.to_texture_as(format)
    }

    /// [`to_texture`](Self::to_texture) with a format of your choice (any renderable colour
    /// format; an sRGB format stores the same colours, encoded by the GPU).
    pub fn to_texture_as(&self, format: wgpu::TextureFormat) -> Result<wgpu::Texture> {
        let (height, width, _) = frame_shape(self)?;
        let texture = render_target(&self.gpu, width, height, format, "gpuarray frame")?;
        let blitter = Blitter::new(&self.gpu, format)?;
        let options = BlitOptions {
            scaling: Scaling::Stretch,
            background: None,
            ..BlitOptions::nearest()
        };
        blitter.draw(self, &texture.create_view(&Default::default()), &options)?;
        Ok(texture)
    }
}

/// A new `width × height` texture of `format` to draw into, sample, copy and read back (every
/// usage [`GpuArray::to_texture_as`] promises), created inside error scopes; a side of 0 or past
/// the adapter's texture limit is an [`Error::Unsupported`].
pub(crate) fn render_target(
    gpu: &Gpu,
    width: usize,
    height: usize,
    format: wgpu::TextureFormat,
    label: &str,
) -> Result<wgpu::Texture> {
    let max = gpu.inner.limits.max_texture_dimension_2d as usize;
    if height == 0 || width == 0 || height > max || width > max {
        return Err(Error::unsupported(format!(
            "a texture of {width}×{height} (each side must be 1 to {max})"
        )));
    }
    gpu.scoped("creating a texture", || {
        gpu.device().create_texture(&wgpu::TextureDescriptor {
            label: Some(label),
            size: wgpu::Extent3d {
                width: width as u32,
                height: height as u32,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format,
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT
                | wgpu::TextureUsages::TEXTURE_BINDING
                | wgpu::TextureUsages::COPY_SRC
                | wgpu::TextureUsages::COPY_DST,
            view_formats: &[],
        })
    })
}

/// Reads mip level 0 of a 2-D texture back to the host: `[h, w, 4]` RGBA for four-channel
/// formats (BGRA formats are reordered to RGBA), `[h, w]` for one-channel ones. 8-bit unorm
/// formats give `u8`, `*16Float` gives `f16`, `*32Float` gives `f32`. The texture needs
/// `COPY_SRC` usage. For tests, screenshots and headless rendering.
pub fn read_texture(gpu: &Gpu, texture: &wgpu::Texture) -> Result<HostArray> {
    use wgpu::TextureFormat as F;
    let format = texture.format();
    let (dtype, channels, bgra) = match format {
        F::Rgba8Unorm | F::Rgba8UnormSrgb => (Dtype::U8, 4, false),
        F::Bgra8Unorm | F::Bgra8UnormSrgb => (Dtype::U8, 4, true),
        F::R8Unorm => (Dtype::U8, 1, false),
        F::Rgba16Float => (Dtype::F16, 4, false),
        F::R16Float => (Dtype::F16, 1, false),
        F::Rgba32Float => (Dtype::F32, 4, false),
        F::R32Float => (Dtype::F32, 1, false),
        other => {
            return Err(Error::unsupported(format!(
                "reading back {other:?} textures (Rgba8/Bgra8 unorm and sRGB, R8Unorm, \
                 Rgba16Float, R16Float, Rgba32Float and R32Float are read)"
            )));
        }
    };
    if texture.dimension() != wgpu::TextureDimension::D2 || texture.sample_count() != 1 {
        return Err(Error::unsupported(
            "reading back textures other than single-sampled 2-D ones",
        ));
    }
    if !texture.usage().contains(wgpu::TextureUsages::COPY_SRC) {
        return Err(Error::Parameter(
            "the texture needs TextureUsages::COPY_SRC to be read back".into(),
        ));
    }
    let (w, h) = (texture.width() as usize, texture.height() as usize);
    let pixel = channels * dtype.itemsize();
    let row = w * pixel;
    // Buffer rows of a texture copy are 256-byte aligned.
    let padded = row.next_multiple_of(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT as usize);
    let size = (padded * h) as u64;
    let shape: &[usize] = if channels == 1 { &[h, w] } else { &[h, w, 4] };
    let mut host = HostArray::zeros(shape, dtype)?;
    let staging = gpu.buffer(
        size,
        wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
    )?;
    gpu.scoped("reading back a texture", || {
        let mut encoder = gpu.device().create_command_encoder(&Default::default());
        encoder.copy_texture_to_buffer(
            texture.as_image_copy(),
            wgpu::TexelCopyBufferInfo {
                buffer: staging.buffer(),
                layout: wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(padded as u32),
                    rows_per_image: Some(h as u32),
                },
            },
            texture.size(),
        );
        gpu.queue().submit([encoder.finish()]);
    })?;
    let out = host.bytes_mut();
    read_mapped(gpu, staging.buffer(), size, |mapped| {
        for (dst, src) in out.chunks_exact_mut(row).zip(mapped.chunks_exact(padded)) {
            dst.copy_from_slice(&src[..row]);
            if bgra {
                dst.chunks_exact_mut(4).for_each(|p| p.swap(0, 2));
            }
        }
    })?;
    Ok(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_to_one_fit_maps_pixels_exactly() {
        let region = Region {
            x: 0,
            y: 0,
            width: 600,
            height: 400,
        };
        assert_eq!(
            mapping(Scaling::Fit, (600, 400), region),
            ([0.0, 0.0], [1.0, 1.0])
        );
        // Letterboxed on whole pixels: 600×400 in 800×800 is scaled by 4/3, centred vertically.
        let big = Region {
            width: 800,
            height: 800,
            ..region
        };
        let (origin, scale) = mapping(Scaling::Fit, (600, 400), big);
        assert_eq!(origin, [0.0, 133.0]);
        assert_eq!(scale, [0.75, 0.75]);
        let (origin, _) = mapping(Scaling::Fill, (600, 400), big);
        assert_eq!(origin, [-200.0, 0.0]);
    }

    #[test]
    fn colormap_tables_are_the_published_ones() {
        // matplotlib's viridis starts at #440154 and ends at #fde725.
        let viridis = Colormap::Viridis.table();
        assert_eq!(viridis[0], [0x44, 0x01, 0x54]);
        assert_eq!(viridis[255], [0xfd, 0xe7, 0x25]);
        assert_eq!(Colormap::Gray.table()[128], [128; 3]);
    }
}

//! A live GPU pipeline in a window: the frame never leaves the GPU between compute and screen.
//!
//! The photo is uploaded once. Every frame, gpuarray filters it on the GPU (a Gaussian blur
//! whose σ breathes over time, by default) and the Blitter draws the resulting `f32` array
//! straight onto the window's surface texture: no download, no upload, no staging texture the
//! caller has to manage.
//!
//! ```sh
//! cargo run --release --example blit_window                    # interactive
//! cargo run --release --example blit_window -- --mode edges --size 1024x768
//! cargo run --release --example blit_window -- --frames 30 --screenshot target/shot.png
//! cargo run --release --example blit_window -- --video clip.y4m   # a video instead of the photo
//! ```
//!
//! `--video FILE.y4m` plays a Y4M file (8-bit 4:2:0, 4:2:2 or 4:4:4, as
//! `ffmpeg -i in.mp4 -f yuv4mpegpipe clip.y4m` writes it) through the same live pipeline: each
//! frame's planes are uploaded, converted to RGB on the GPU (BT.601) and filtered by the mode,
//! one frame per redraw, looping at the end (`Space` pauses it).
//!
//! Keys: `1` blur, `2` sharpen (unsharp mask), `3` edges (Sobel of the luma, through a colormap),
//! `4` an ideal low-pass through the FFT, `5` the magnitude spectrum through a colormap; `Space`
//! pauses, `S` cycles the scaling (fit, fill, stretch), `F` toggles nearest/linear filtering, `Esc`
//! or `Q` quits. The title shows the mode and the frame rate.
//!
//! `--frames N` draws exactly N frames with a fixed time step (`t = frame / 60` s, so every run
//! draws the same frames) and exits. `--screenshot PATH` then reads the window back from the X
//! server (X11 only) and saves it: `.ci/window` runs it under Xvfb and `tests/blit_window.rs`
//! checks the picture against a CPU reference.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use gpuarray::blit::{BlitOptions, Blitter, Colormap, Filter, Scaling};
use gpuarray::fft::{self, Norm};
use gpuarray::filters::{Border, gaussian_blur, grayscale, sobel, unsharp_mask};
use gpuarray::media::video::{Frame, FrameReader, Matrix, yuv_to_rgb};
use gpuarray::{Dtype, Gpu, GpuArray, View};
use winit::application::ApplicationHandler;
use winit::dpi::PhysicalSize;
use winit::event::{ElementState, WindowEvent};
use winit::event_loop::{ActiveEventLoop, EventLoop};
use winit::keyboard::{Key, NamedKey};
use winit::window::{Window, WindowId};

/// What the pipeline computes each frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Mode {
    /// Gaussian blur, σ from 0.5 to 4.5 pixels and back every 2 s.
    Blur,
    /// Unsharp mask (σ = 2), its amount breathing between 0 and 3.
    Sharpen,
    /// Sobel gradient magnitude of the luma, blurred as in `blur` first, through a colormap.
    Edges,
    /// An ideal (circular) low-pass through the FFT, its cutoff breathing: it rings.
    Lowpass,
    /// The magnitude spectrum of the blurred luma, log(1 + 100·|F|), zero frequency in the centre,
    /// through a colormap: the blur's σ breathing shrinks and grows it.
    Spectrum,
}

/// Command line.
#[derive(Parser, Debug)]
#[command(about = "A live gpuarray pipeline drawn into a window, never leaving the GPU")]
struct Args {
    /// Draw exactly N frames with a fixed time step (t = frame / 60 s), then exit.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    frames: Option<u64>,
    /// What to compute (keys 1-4 switch it).
    #[arg(long, value_enum, default_value_t = Mode::Blur)]
    mode: Mode,
    /// The window's inner size in pixels, WxH (default: the photo's size).
    #[arg(long, value_name = "WxH", value_parser = parse_size)]
    size: Option<PhysicalSize<u32>>,
    /// After the last frame, save the window's contents, read back from the X server, as a PNG
    /// (X11 only; needs --frames).
    #[arg(long, value_name = "PATH", requires = "frames")]
    screenshot: Option<PathBuf>,
    /// The photo.
    #[arg(long, default_value = "testdata/coffee.png")]
    image: PathBuf,
    /// A Y4M video to play through the pipeline instead of the photo (looped).
    #[arg(long, value_name = "FILE.y4m")]
    video: Option<PathBuf>,
}

/// A Y4M file played frame by frame, from the start again at its end.
struct Video {
    path: PathBuf,
    reader: FrameReader<std::fs::File>,
}

impl Video {
    fn open(path: &Path) -> Result<Video, Box<dyn Error>> {
        let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Video {
            path: path.to_path_buf(),
            reader: FrameReader::y4m(file)?,
        })
    }

    /// The next frame on the GPU as f32 R'G'B' `[h, w, 3]` in [0, 1] (mono: `[h, w, 1]`).
    fn next(&mut self, gpu: &Gpu) -> Result<GpuArray, Box<dyn Error>> {
        let frame = match self.reader.next_frame()? {
            Some(frame) => frame,
            None => {
                *self = Video::open(&self.path)?;
                self.reader.next_frame()?.ok_or("the video has no frames")?
            }
        };
        let Frame::Yuv(frame) = frame else {
            return Err("a Y4M stream gives Y'CbCr frames".into());
        };
        Ok(yuv_to_rgb(gpu, &frame, Matrix::Bt601)?.to_unit_float()?)
    }
}

fn parse_size(s: &str) -> Result<PhysicalSize<u32>, String> {
    let parse = |v: &str| v.trim().parse::<u32>().ok().filter(|&n| n > 0);
    match s.split_once(['x', 'X']) {
        Some((w, h)) => match (parse(w), parse(h)) {
            (Some(w), Some(h)) => Ok(PhysicalSize::new(w, h)),
            _ => Err(format!("{s:?}: width and height must be positive integers")),
        },
        None => Err(format!("{s:?} is not WxH, e.g. 800x600")),
    }
}

/// The blur's σ at time `t` seconds: from 0.5 to 4.5 pixels and back every 2 s.
/// `tests/blit_window.rs` computes the same value for the last frame of `--frames 30`.
fn sigma(t: f64) -> f32 {
    (0.5 + 4.0 * 0.5 * (1.0 - (std::f64::consts::TAU * t / 2.0).cos())) as f32
}

/// A value from 0 to 1 and back every 2 s, for the other modes.
fn wave(t: f64) -> f32 {
    (0.5 * (1.0 - (std::f64::consts::TAU * t / 2.0).cos())) as f32
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = Args::parse();
    if args.screenshot.is_some() && !cfg!(target_os = "linux") {
        return Err("--screenshot reads the window back from an X server: Linux (X11) only".into());
    }

    // 1. The event loop, and a wgpu instance that knows the display it will present to (wgpu
    //    30: the display handle goes into the descriptor; WGPU_BACKEND etc. are honoured).
    let event_loop = EventLoop::new()?;
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_with_display_handle_from_env(
        Box::new(event_loop.owned_display_handle()),
    ));

    // 2. The rest happens in the application's event handlers: winit creates windows once the
    //    event loop runs (`resumed`, which calls `State::new` below). Errors end the loop and
    //    come back here, so the process exits nonzero.
    let mut app = App {
        args,
        instance,
        state: None,
        error: None,
    };
    event_loop.run_app(&mut app)?;
    match app.error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

struct App {
    args: Args,
    instance: wgpu::Instance,
    state: Option<State>,
    error: Option<Box<dyn Error>>,
}

/// Everything that exists once the window does.
struct State {
    instance: wgpu::Instance,
    window: Arc<Window>,
    surface: wgpu::Surface<'static>,
    config: wgpu::SurfaceConfiguration,
    gpu: Gpu,
    blitter: Blitter,
    opts: BlitOptions,
    /// The photo (or the video's current frame), `[h, w, 3]` f32 in [0, 1] (sRGB-encoded
    /// values, as in the file).
    photo: GpuArray,
    /// The video playing instead of the photo, if any.
    video: Option<Video>,
    /// Its luma `[h, w]`, for the edges.
    luma: GpuArray,
    /// `fy² + fx²` over the photo's `rfft2` spectrum, `[h, w/2 + 1, 1]`, for the low-pass.
    radius2: GpuArray,
    mode: Mode,
    paused: bool,
    /// Animation time in seconds.
    t: f64,
    last_tick: Instant,
    /// The last computed frame and what it was computed for, reused while nothing changes.
    frame: Option<(Mode, f64, GpuArray)>,
    /// Frames presented so far.
    presented: u64,
    /// Frame-rate meter: frames since `fps_since`.
    fps_frames: u32,
    fps_since: Instant,
    fps: f64,
}

impl State {
    fn new(
        instance: &wgpu::Instance,
        args: &Args,
        event_loop: &ActiveEventLoop,
    ) -> Result<State, Box<dyn Error>> {
        // 3. The photo, decoded on the host once, and a window of its size (or --size) in
        //    physical pixels, so that at the photo's size one screen pixel is one photo pixel
        //    whatever the scale factor. The surface shares the window's ownership.
        //    With --video, no photo: the window takes the video's size.
        let mut video = args.video.as_deref().map(Video::open).transpose()?;
        let (photo, native) = match video.as_ref().map(|v| v.reader.container()) {
            Some(gpuarray::media::video::Container::Y4m { width, height, .. }) => {
                (None, PhysicalSize::new(*width as u32, *height as u32))
            }
            _ => {
                let photo = image::open(&args.image)
                    .map_err(|e| format!("{}: {e}", args.image.display()))?
                    .into_rgb8();
                let size = PhysicalSize::new(photo.width(), photo.height());
                (Some(photo), size)
            }
        };
        let size = args.size.unwrap_or(native);
        let window = Arc::new(
            event_loop.create_window(
                Window::default_attributes()
                    .with_title("gpuarray blit_window")
                    .with_inner_size(size),
            )?,
        );
        let surface = instance.create_surface(window.clone())?;

        // 4. An adapter that can present to this surface (WGPU_BACKEND, WGPU_ADAPTER_NAME
        //    honoured), and gpuarray's context on it: the arrays and the surface share one device.
        let adapter = pollster::block_on(wgpu::util::initialize_adapter_from_env_or_default(
            instance,
            Some(&surface),
        ))?;
        let gpu = Gpu::from_adapter(adapter)?;
        println!("adapter: {}", gpu.info());

        // 5. The surface format: an sRGB one where offered (the GPU then encodes the linear
        //    values the Blitter writes).
        let size = window.inner_size();
        let mut config = surface
            .get_default_config(gpu.adapter(), size.width.max(1), size.height.max(1))
            .ok_or("the adapter cannot present to this window")?;
        let caps = surface.get_capabilities(gpu.adapter());
        config.format = caps
            .formats
            .iter()
            .copied()
            .find(|f| f.is_srgb())
            .unwrap_or(config.format);
        config.present_mode = wgpu::PresentMode::AutoVsync;
        surface.configure(gpu.device(), &config);
        println!(
            "surface: {:?}, {}x{}, {:?}",
            config.format, config.width, config.height, config.present_mode
        );

        // 6. The photo on the GPU: uploaded once as u8 [h, w, 3], converted once to f32 [0, 1].
        //    A video's first frame takes the photo's place.
        let photo = match (video.as_mut(), photo) {
            (Some(video), _) => video.next(&gpu)?,
            (None, Some(photo)) => gpu.upload(&View::from_image(&photo)?)?.to_unit_float()?,
            (None, None) => unreachable!("no video means a photo"),
        };
        let luma = grayscale(&photo)?;

        //    The low-pass's squared radial frequency, fy² + fx² in cycles per pixel, for the
        //    spectrum rfft2 gives over axes 0 and 1: [h, 1, 1] + [1, w/2 + 1, 1], broadcast.
        let (h, w) = (photo.shape()[0], photo.shape()[1]);
        let fy = fft::fftfreq(&gpu, h, 1.0)?.reshape(&[h as isize, 1, 1])?;
        let fx = fft::rfftfreq(&gpu, w, 1.0)?.reshape(&[1, (w / 2 + 1) as isize, 1])?;
        let radius2 = fy.mul(&fy)?.add(&fx.mul(&fx)?)?;
        radius2.eval()?;

        // 7. The Blitter: one render pipeline for the surface's format.
        let blitter = Blitter::new(&gpu, config.format)?;
        let now = Instant::now();
        Ok(State {
            instance: instance.clone(),
            window,
            surface,
            config,
            gpu,
            blitter,
            opts: BlitOptions::default(),
            photo,
            video,
            luma,
            radius2,
            mode: args.mode,
            paused: false,
            t: 0.0,
            last_tick: now,
            frame: None,
            presented: 0,
            fps_frames: 0,
            fps_since: now,
            fps: 0.0,
        })
    }
}

/// What [`State::redraw`] says about the loop.
enum Done {
    More,
    Finished,
}

impl ApplicationHandler for App {
    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        if self.state.is_some() {
            return;
        }
        match State::new(&self.instance, &self.args, event_loop) {
            Ok(state) => {
                state.window.request_redraw();
                self.state = Some(state);
            }
            Err(e) => self.fail(event_loop, e),
        }
    }

    fn window_event(&mut self, event_loop: &ActiveEventLoop, _: WindowId, event: WindowEvent) {
        let Some(state) = self.state.as_mut() else {
            return;
        };
        match event {
            WindowEvent::CloseRequested => event_loop.exit(),
            // 8. A new size: configure the surface again (zero while minimised: wait for a real
            //    one). Keys switch modes and options.
            WindowEvent::Resized(size) => state.resize(size),
            WindowEvent::KeyboardInput { event, .. } if event.state == ElementState::Pressed => {
                state.key(&event.logical_key, event_loop)
            }
            // 9. A frame: compute, draw, present, and ask for the next one at once.
            WindowEvent::RedrawRequested => match state.redraw(&self.args) {
                Ok(Done::More) => state.window.request_redraw(),
                Ok(Done::Finished) => event_loop.exit(),
                Err(e) => self.fail(event_loop, e),
            },
            _ => {}
        }
    }
}

impl App {
    /// Ends the event loop with an error, which `main` returns.
    fn fail(&mut self, event_loop: &ActiveEventLoop, e: Box<dyn Error>) {
        self.error.get_or_insert(e);
        event_loop.exit();
    }
}

impl State {
    fn resize(&mut self, size: PhysicalSize<u32>) {
        if size.width > 0 && size.height > 0 {
            self.config.width = size.width;
            self.config.height = size.height;
            self.surface.configure(self.gpu.device(), &self.config);
        }
    }

    /// Handles a key press.
    fn key(&mut self, key: &Key, event_loop: &ActiveEventLoop) {
        match key.as_ref() {
            Key::Named(NamedKey::Escape) | Key::Character("q" | "Q") => event_loop.exit(),
            Key::Named(NamedKey::Space) => self.paused = !self.paused,
            Key::Character("1") => self.mode = Mode::Blur,
            Key::Character("2") => self.mode = Mode::Sharpen,
            Key::Character("3") => self.mode = Mode::Edges,
            Key::Character("4") => self.mode = Mode::Lowpass,
            Key::Character("5") => self.mode = Mode::Spectrum,
            Key::Character("s" | "S") => {
                self.opts.scaling = match self.opts.scaling {
                    Scaling::Fit => Scaling::Fill,
                    Scaling::Fill => Scaling::Stretch,
                    _ => Scaling::Fit,
                }
            }
            Key::Character("f" | "F") => {
                self.opts.filter = match self.opts.filter {
                    Filter::Linear => Filter::Nearest,
                    _ => Filter::Linear,
                }
            }
            _ => {}
        }
        self.update_title();
    }

    /// The frame for the current mode at time `t`, computed on the GPU: `[h, w, 3]` or, for the
    /// edges, `[h, w]` (which the Blitter shows through a colormap).
    fn compute(&self, t: f64) -> Result<GpuArray, Box<dyn Error>> {
        let frame = match self.mode {
            Mode::Blur => gaussian_blur(&self.photo, sigma(t), Border::Reflect)?,
            // f32 filters do not clamp: the Blitter would, but say it here.
            Mode::Sharpen => {
                unsharp_mask(&self.photo, 2.0, 3.0 * wave(t), Border::Reflect)?.clip(0.0, 1.0)?
            }
            Mode::Edges => sobel(
                &gaussian_blur(&self.luma, sigma(t), Border::Reflect)?,
                Border::Reflect,
            )?,
            Mode::Lowpass => {
                // Keep the frequencies within `cutoff` cycles per pixel (0.01 to 0.25): the
                // spectrum [h, w/2 + 1, 3] times a 0/1 disc, back to [h, w, 3].
                let (h, w) = (self.photo.shape()[0], self.photo.shape()[1]);
                let cutoff = 0.01 + 0.24 * wave(t) as f64;
                let disc = self.radius2.le(cutoff * cutoff)?.cast(Dtype::F32)?;
                let spectrum = fft::rfft2(&self.photo, None, Some(&[0, 1]), Norm::Backward)?;
                let kept = spectrum.mul(&disc)?;
                fft::irfft2(&kept, Some(&[h, w]), Some(&[0, 1]), Norm::Backward)?.clip(0.0, 1.0)?
            }
            Mode::Spectrum => {
                // |F| of the blurred luma (orthonormal: the mean sits at about 250), centred and
                // log-scaled, log(1 + 100·|F|); one channel, which the Blitter maps through
                // viridis.
                let blurred = gaussian_blur(&self.luma, sigma(t), Border::Reflect)?;
                let spectrum = fft::fft2(&blurred, None, None, Norm::Ortho)?;
                (&fft::fftshift(&spectrum, None)?.abs()? * 100.0).log1p()?
            }
        };
        Ok(frame)
    }

    fn redraw(&mut self, args: &Args) -> Result<Done, Box<dyn Error>> {
        // The animation clock: a fixed step with --frames (the last frame is drawn twice when a
        // screenshot follows, see below), the wall clock otherwise.
        let now = Instant::now();
        if let Some(n) = args.frames {
            self.t = self.presented.min(n.saturating_sub(1)) as f64 / 60.0;
        } else if !self.paused {
            self.t += (now - self.last_tick).as_secs_f64();
        }
        self.last_tick = now;

        // 10. With a video, its next frame (held while paused), converted to RGB on the GPU.
        if let (false, true, Some(video)) = (self.paused, self.presented > 0, self.video.as_mut()) {
            self.photo = video.next(&self.gpu)?;
            self.luma = grayscale(&self.photo)?;
            self.frame = None;
        }
        //     The frame, computed on the GPU (reused while paused and in the same mode).
        let frame = match &self.frame {
            Some((mode, t, frame)) if *mode == self.mode && *t == self.t => frame.clone(),
            _ => {
                let frame = self.compute(self.t)?;
                self.frame = Some((self.mode, self.t, frame.clone()));
                frame
            }
        };
        // The edges and the spectrum are one channel, shown through a colormap.
        (self.opts.colormap, self.opts.range) = match self.mode {
            Mode::Edges => (Some(Colormap::Magma), (0.0, 0.5)),
            Mode::Spectrum => (Some(Colormap::Viridis), (0.0, 8.0)),
            _ => (None, (0.0, 1.0)),
        };

        // 11. The surface's next texture. Outdated (resized under us): configure it again and
        //     skip this frame; lost: make a new surface, configure it, skip; a timeout or an
        //     occluded window: skip. A validation error is an error.
        let texture = match self.surface.get_current_texture() {
            wgpu::CurrentSurfaceTexture::Success(t) => t,
            wgpu::CurrentSurfaceTexture::Suboptimal(t) => {
                // Usable now; configured again after presenting.
                self.present(t, &frame)?;
                self.resize(self.window.inner_size());
                return self.presented_one(args);
            }
            wgpu::CurrentSurfaceTexture::Timeout | wgpu::CurrentSurfaceTexture::Occluded => {
                return Ok(Done::More);
            }
            wgpu::CurrentSurfaceTexture::Outdated => {
                self.resize(self.window.inner_size());
                return Ok(Done::More);
            }
            wgpu::CurrentSurfaceTexture::Lost => {
                self.surface = self.instance.create_surface(self.window.clone())?;
                self.resize(self.window.inner_size());
                return Ok(Done::More);
            }
            wgpu::CurrentSurfaceTexture::Validation => {
                return Err("the surface texture could not be acquired (validation error)".into());
            }
        };
        self.present(texture, &frame)?;
        self.presented_one(args)
    }

    /// Draws `frame` onto the surface texture and presents it.
    fn present(
        &mut self,
        texture: wgpu::SurfaceTexture,
        frame: &GpuArray,
    ) -> Result<(), Box<dyn Error>> {
        let view = texture
            .texture
            .create_view(&wgpu::TextureViewDescriptor::default());
        // 12. The blit: the f32 array is read from its storage buffer and written to the
        //     surface texture in one render pass; then the texture is presented.
        self.blitter.draw(frame, &view, &self.opts)?;
        self.window.pre_present_notify();
        self.gpu.queue().present(texture);
        Ok(())
    }

    /// Counts a presented frame: the frame-rate meter, and the end of a --frames run.
    fn presented_one(&mut self, args: &Args) -> Result<Done, Box<dyn Error>> {
        self.presented += 1;
        self.fps_frames += 1;
        let since = self.fps_since.elapsed();
        if since >= Duration::from_millis(500) {
            self.fps = self.fps_frames as f64 / since.as_secs_f64();
            self.fps_frames = 0;
            self.fps_since = Instant::now();
            self.update_title();
        }
        let Some(n) = args.frames else {
            return Ok(Done::More);
        };
        match &args.screenshot {
            // 13. The screenshot: frame n is drawn twice, so whichever of the two the X server
            //     shows, it is frame n; the queue is waited for, and a short pause lets the
            //     presentation finish. Then the pixels come from the X server, as any screenshot
            //     tool's do.
            Some(path) if self.presented == n + 1 => {
                self.gpu
                    .device()
                    .poll(wgpu::PollType::wait_indefinitely())?;
                std::thread::sleep(Duration::from_millis(200));
                screenshot(&self.window, path)?;
                println!(
                    "{n} frames (t = {:.4} s, σ = {}), screenshot {}",
                    self.t,
                    sigma(self.t),
                    path.display()
                );
                Ok(Done::Finished)
            }
            None if self.presented == n => {
                println!("{n} frames (t = {:.4} s)", self.t);
                Ok(Done::Finished)
            }
            _ => Ok(Done::More),
        }
    }

    fn update_title(&self) {
        let what = match self.mode {
            Mode::Blur => format!("blur σ = {:.2}", sigma(self.t)),
            Mode::Sharpen => format!("sharpen amount {:.2}", 3.0 * wave(self.t)),
            Mode::Edges => format!("edges σ = {:.2}", sigma(self.t)),
            Mode::Lowpass => format!("low-pass {:.3} cycles/px", 0.01 + 0.24 * wave(self.t)),
            Mode::Spectrum => format!("spectrum of the blur σ = {:.2}", sigma(self.t)),
        };
        self.window.set_title(&format!(
            "gpuarray blit_window: {what}, {:.1} fps, {:?} {:?}{}",
            self.fps,
            self.opts.scaling,
            self.opts.filter,
            if self.paused { " (paused)" } else { "" }
        ));
    }
}

/// Reads the window's pixels back from the X server (GetImage on the window) and saves them as
/// an RGB PNG.
#[cfg(target_os = "linux")]
fn screenshot(window: &Window, path: &Path) -> Result<(), Box<dyn Error>> {
    use raw_window_handle::{HasWindowHandle, RawWindowHandle};
    use x11rb::connection::Connection;
    use x11rb::protocol::xproto::{ConnectionExt as _, ImageFormat, ImageOrder};

    let id = match window.window_handle()?.as_raw() {
        RawWindowHandle::Xlib(h) => u32::try_from(h.window)?,
        RawWindowHandle::Xcb(h) => h.window.get(),
        other => return Err(format!("--screenshot needs an X11 window, not {other:?}").into()),
    };
    // A connection of our own to the server named by DISPLAY (x11rb's pure-Rust one).
    let (conn, _) = x11rb::connect(None)?;
    let geometry = conn.get_geometry(id)?.reply()?;
    let (w, h) = (geometry.width, geometry.height);
    let image = conn
        .get_image(ImageFormat::Z_PIXMAP, id, 0, 0, w, h, !0)?
        .reply()?;

    // Decode the server's pixel format: bits per pixel and row padding from the pixmap format
    // of the image's depth, channel masks from its visual, byte order from the setup.
    let setup = conn.setup();
    let format = setup
        .pixmap_formats
        .iter()
        .find(|f| f.depth == image.depth)
        .ok_or("the X server lists no pixmap format for the window's depth")?;
    let visual = setup
        .roots
        .iter()
        .flat_map(|s| &s.allowed_depths)
        .flat_map(|d| &d.visuals)
        .find(|v| v.visual_id == image.visual)
        .ok_or("the window's visual is not in the X server's list")?;
    let bytes_pp = match format.bits_per_pixel {
        b @ (16 | 24 | 32) => b as usize / 8,
        b => return Err(format!("{b} bits per pixel: not a true-colour image").into()),
    };
    let pad = format.scanline_pad as usize;
    let stride = (w as usize * format.bits_per_pixel as usize).div_ceil(pad) * pad / 8;
    if image.data.len() < stride * h as usize {
        return Err("GetImage returned fewer bytes than the window's size needs".into());
    }
    let lsb = setup.image_byte_order == ImageOrder::LSB_FIRST;
    let channel = |pixel: u32, mask: u32| -> u8 {
        if mask == 0 {
            return 0;
        }
        let v = (pixel & mask) >> mask.trailing_zeros();
        let max = mask >> mask.trailing_zeros();
        ((v as u64 * 255 + max as u64 / 2) / max as u64) as u8
    };
    let mut rgb = image::RgbImage::new(w as u32, h as u32);
    for (y, row) in image.data.chunks(stride).take(h as usize).enumerate() {
        for (x, px) in row.chunks(bytes_pp).take(w as usize).enumerate() {
            let pixel = px.iter().enumerate().fold(0u32, |acc, (i, &b)| {
                let shift = if lsb { i } else { bytes_pp - 1 - i } * 8;
                acc | (b as u32) << shift
            });
            rgb.put_pixel(
                x as u32,
                y as u32,
                image::Rgb([
                    channel(pixel, visual.red_mask),
                    channel(pixel, visual.green_mask),
                    channel(pixel, visual.blue_mask),
                ]),
            );
        }
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    rgb.save(path)?;
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn screenshot(_: &Window, _: &Path) -> Result<(), Box<dyn Error>> {
    Err("--screenshot reads the window back from an X server: Linux (X11) only".into())
}

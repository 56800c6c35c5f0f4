//! Renders frames of a live GPU pipeline offscreen — no window, no display — and writes the last
//! one as a PNG: what a test, a server or a batch job does with the blitter.
//!
//! ```sh
//! cargo run --release --example headless_blit -- --frames 60 --out target/headless_blit.png
//! ```
//!
//! The pipeline is the one of `examples/blit_window.rs` in its blur mode: the photo is uploaded
//! once, each frame blurs it with a radius that breathes over time, and the result is drawn
//! into an offscreen texture, letterboxed with bilinear filtering. The frame never visits host
//! memory until the last one is read back for the PNG.

use std::error::Error;
use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use gpuarray::blit::{BlitOptions, Blitter, read_texture};
use gpuarray::filters::{Border, gaussian_blur};
use gpuarray::{Gpu, View, wgpu};

#[derive(Parser)]
struct Args {
    /// The image to show.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/coffee.png"))]
    image: PathBuf,
    /// How many frames to render (at 60 frames per second of animation time).
    #[arg(long, default_value_t = 60)]
    frames: u32,
    /// Size of the offscreen target, WIDTHxHEIGHT.
    #[arg(long, default_value = "800x600", value_parser = parse_size)]
    size: (u32, u32),
    /// Where to write the last frame.
    #[arg(long, default_value = "target/headless_blit.png")]
    out: PathBuf,
}

fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s.split_once('x').ok_or("expected WIDTHxHEIGHT")?;
    let n = |v: &str| v.parse::<u32>().map_err(|e| format!("{v:?}: {e}"));
    Ok((n(w)?, n(h)?))
}

/// The blur radius at animation time `t` seconds: between 0.5 and 6 pixels, period 4 s.
fn sigma(t: f32) -> f32 {
    0.5 + 5.5 * (0.5 - 0.5 * (t * std::f32::consts::TAU / 4.0).cos())
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = Args::parse();

    // 1. A GPU context on the best adapter (lavapipe or llvmpipe where there is no GPU).
    let gpu = Gpu::new()?;
    println!("adapter: {}", gpu.info());

    // 2. The photo, uploaded once and turned into f32 in [0, 1] on the GPU.
    let photo = image::open(&args.image)?.into_rgb8();
    let image = gpu.upload(&View::from_image(&photo)?)?.to_unit_float()?;

    // 3. The offscreen target: what a window's surface texture is, minus the window. sRGB, so
    //    the blitter hands it linear light and the GPU encodes, as on most surfaces.
    let (width, height) = args.size;
    let format = wgpu::TextureFormat::Rgba8UnormSrgb;
    let target = gpu.device().create_texture(&wgpu::TextureDescriptor {
        label: Some("offscreen target"),
        size: wgpu::Extent3d {
            width,
            height,
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format,
        usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
        view_formats: &[],
    });
    let view = target.create_view(&Default::default());
    let blitter = Blitter::new(&gpu, format)?;
    let options = BlitOptions::default(); // fit, bilinear, black letterbox

    // 4. The frames: compute on the GPU, draw from the result's buffer.
    let start = Instant::now();
    for n in 0..args.frames {
        let t = n as f32 / 60.0;
        let frame = gaussian_blur(&image, sigma(t), Border::Reflect)?;
        blitter.draw(&frame, &view, &options)?;
    }
    // 5. Read the target back (the only host transfer) and write it.
    let pixels = read_texture(&gpu, &target)?;
    let seconds = start.elapsed().as_secs_f64();
    pixels.view().to_dynamic_image()?.save(&args.out)?;
    println!(
        "{} frames of {}×{} in {seconds:.2} s ({:.1} frames/s); last frame (σ = {:.2}) in {}",
        args.frames,
        width,
        height,
        args.frames as f64 / seconds,
        sigma(args.frames.saturating_sub(1) as f32 / 60.0),
        args.out.display()
    );
    Ok(())
}

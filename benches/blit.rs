//! Blitting: frames per second of a live pipeline whose frames stay on the GPU from compute to
//! screen, against the same pipeline with a download and a re-upload per frame — what a CPU
//! framebuffer crate such as `pixels` does (it uploads a host frame on every draw). One run, one
//! adapter (printed first); every case timed interleaved round-robin, medians.
//!
//! Run with `cargo bench --bench blit` (add `WGPU_BACKEND=gl` for OpenGL). About half a minute
//! on lavapipe with 2 cores.
//!
//! The frame is `testdata/coffee.png` resized to 1920 × 1080 RGBA u8, uploaded once. The target
//! is a 1920 × 1080 `Bgra8UnormSrgb` texture (a typical window surface format), drawn 1:1 with
//! bilinear filtering. Per frame:
//! 1. **on the GPU**: `gaussian_blur(σ = 2)` → `Blitter::draw`;
//! 2. **round trip**: `gaussian_blur(σ = 2)` → `to_host` → `upload` → `Blitter::draw`;
//! 3. the same two with a light colour operation, `gamma(0.8)` (u8 → f32 → u8, fused), in place
//!    of the blur: the round trip's share grows as the compute shrinks;
//! 4. the parts: the blur alone, the draw alone, and the download + upload alone;
//! 5. the device's own `copy_buffer_to_buffer` of the frame's 8.3 MB, for scale.
//!
//! Every case ends with a blocking device poll, so its GPU work is done. `ratio` is the fps of
//! (1) over the fps of (2), then the same for (3); a last ratio compares the draw alone with the
//! device copy. Nothing here asserts anything about timings.

mod common;

use common::{interleaved, sync};
use gpuarray::blit::{BlitOptions, Blitter};
use gpuarray::filters::{Border, gamma, gaussian_blur};
use gpuarray::{Gpu, View};

const WIDTH: u32 = 1920;
const HEIGHT: u32 = 1080;
const SIGMA: f32 = 2.0;
const ITERS: usize = 15;

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs nothing here.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let gpu = Gpu::new().expect("a GPU adapter");
    println!("adapter: {}", gpu.info());

    let photo = image::open(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/coffee.png"))
        .expect("coffee.png")
        .into_rgba8();
    let rgba =
        image::imageops::resize(&photo, WIDTH, HEIGHT, image::imageops::FilterType::Triangle);
    let frame = gpu
        .upload(&View::from_image(&rgba).expect("view"))
        .expect("upload");

    let format = wgpu::TextureFormat::Bgra8UnormSrgb;
    let target = gpu.device().create_texture(&wgpu::TextureDescriptor {
        label: Some("offscreen target"),
        size: wgpu::Extent3d {
            width: WIDTH,
            height: HEIGHT,
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format,
        usage: wgpu::TextureUsages::RENDER_ATTACHMENT,
        view_formats: &[],
    });
    let view = target.create_view(&Default::default());
    let blitter = Blitter::new(&gpu, format).expect("blitter");
    let options = BlitOptions::default();
    let bytes = (WIDTH * HEIGHT * 4) as u64;
    let copy_dst = gpu.device().create_buffer(&wgpu::BufferDescriptor {
        label: Some("copy destination"),
        size: bytes,
        usage: wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let blurred = gaussian_blur(&frame, SIGMA, Border::Reflect).expect("blur");

    let mut on_gpu = || {
        let out = gaussian_blur(&frame, SIGMA, Border::Reflect).expect("blur");
        blitter.draw(&out, &view, &options).expect("draw");
        sync(&gpu);
    };
    let mut round_trip = || {
        let out = gaussian_blur(&frame, SIGMA, Border::Reflect).expect("blur");
        let host = out.to_host().expect("download");
        let again = gpu.upload(&host.view()).expect("upload");
        blitter.draw(&again, &view, &options).expect("draw");
        sync(&gpu);
    };
    let mut gamma_on_gpu = || {
        let out = gamma(&frame, 0.8).expect("gamma");
        blitter.draw(&out, &view, &options).expect("draw");
        sync(&gpu);
    };
    let mut gamma_round_trip = || {
        let out = gamma(&frame, 0.8).expect("gamma");
        let host = out.to_host().expect("download");
        let again = gpu.upload(&host.view()).expect("upload");
        blitter.draw(&again, &view, &options).expect("draw");
        sync(&gpu);
    };
    let mut blur_only = || {
        let out = gaussian_blur(&frame, SIGMA, Border::Reflect).expect("blur");
        out.eval().expect("eval");
        sync(&gpu);
    };
    let mut draw_only = || {
        blitter.draw(&blurred, &view, &options).expect("draw");
        sync(&gpu);
    };
    let mut transfer_only = || {
        let host = blurred.to_host().expect("download");
        std::hint::black_box(gpu.upload(&host.view()).expect("upload"));
        sync(&gpu);
    };
    let source = frame.buffer().expect("buffer");
    let mut device_copy = || {
        let mut encoder = gpu.device().create_command_encoder(&Default::default());
        encoder.copy_buffer_to_buffer(source, 0, &copy_dst, 0, bytes);
        gpu.queue().submit([encoder.finish()]);
        sync(&gpu);
    };
    let t = interleaved(
        ITERS,
        &mut [
            &mut on_gpu,
            &mut round_trip,
            &mut gamma_on_gpu,
            &mut gamma_round_trip,
            &mut blur_only,
            &mut draw_only,
            &mut transfer_only,
            &mut device_copy,
        ],
    );

    println!(
        "\n{WIDTH} × {HEIGHT} RGBA u8, blur σ = {SIGMA} then blit onto {format:?}, \
         median of {ITERS} interleaved"
    );
    println!("{:<52} {:>9} {:>9}", "per frame", "ms", "fps");
    let rows = [
        "on the GPU: blur → draw",
        "round trip: blur → download → upload → draw",
        "on the GPU: gamma → draw",
        "round trip: gamma → download → upload → draw",
        "  blur alone",
        "  draw alone",
        "  download + upload alone",
        "  device copy_buffer_to_buffer of the frame",
    ];
    for (name, s) in rows.iter().zip(&t) {
        println!("{name:<52} {:>9.2} {:>9.1}", s * 1e3, 1.0 / s);
    }
    println!(
        "ratio = {:.2} (blur: fps on the GPU / fps with a round trip per frame)",
        t[1] / t[0]
    );
    println!(
        "ratio = {:.2} (gamma: fps on the GPU / fps with a round trip per frame)",
        t[3] / t[2]
    );
    println!(
        "ratio = {:.2} (no compute: (download + upload + draw) / draw, from the parts)",
        (t[6] + t[5]) / t[5]
    );
    println!(
        "ratio = {:.2} (draw speed / device copy speed: both read and write the frame's bytes)",
        t[7] / t[5]
    );
}

//! Device loss: `device.destroy()` (wgpu's way to lose a device) while arrays exist and work is
//! queued. Every later operation returns `Error::Gpu` naming the loss, nothing panics,
//! `is_lost()` says so, and a new `Gpu` works.

mod common;

use gpuarray::blit::{BlitOptions, Blitter, Colormap, read_texture};
use gpuarray::fft::{self, Norm};
use gpuarray::filters::{self, Border};
use gpuarray::{Error, Gpu, View, wgpu};

/// Errors unless `r` is an `Error::Gpu` that says the device was lost.
fn lost<T>(what: &str, r: gpuarray::Result<T>) {
    match r {
        Err(Error::Gpu(m)) if m.contains("lost") => {}
        Err(e) => panic!("{what}: should be Error::Gpu naming the loss, not {e:?}"),
        Ok(_) => panic!("{what}: should fail on a lost device"),
    }
}

#[test]
fn a_destroyed_device_fails_every_later_op_and_a_new_gpu_works() {
    let gpu = Gpu::new().unwrap();
    let data: Vec<f32> = (0..64 * 64).map(|i| (i % 17) as f32 / 16.0).collect();
    let a = gpu
        .upload(&View::from_slice(&data, &[64, 64]).unwrap())
        .unwrap();
    let b = a.mul(2.0).unwrap().add(&a).unwrap(); // lazy, not yet run
    let blurred = filters::gaussian_blur(&a, 2.0, Border::Clamp).unwrap(); // recorded
    assert!(!gpu.is_lost());

    gpu.device().destroy();

    // The loss is seen by the next operation at the latest.
    lost("download of queued work", blurred.to_host());
    assert!(gpu.is_lost(), "is_lost() after destroy");
    lost("evaluating a lazy chain", b.to_host());
    lost("download of an uploaded array", a.to_host());
    lost(
        "upload",
        gpu.upload(&View::from_slice(&data, &[64, 64]).unwrap()),
    );
    lost("elementwise", a.sqrt().and_then(|s| s.to_host()));
    lost("reduction", a.sum(None, false));
    lost("fft", fft::fft2(&a, None, None, Norm::Backward));
    lost("filter", filters::box_blur(&a, 3, Border::Wrap));
    lost("contiguous copy", a.transpose().contiguous());

    // A new context works, and computes the right thing.
    let fresh = Gpu::new().unwrap();
    assert!(!fresh.is_lost());
    let a = fresh
        .upload(&View::from_slice(&data, &[64, 64]).unwrap())
        .unwrap();
    let sum = a.sum(None, false).unwrap().to_host().unwrap();
    let want: f64 = data.iter().map(|&v| v as f64).sum();
    // f32 pairwise sum of 4096 values ≤ 1: within 1e-6 relative.
    assert!((sum.as_slice::<f32>().unwrap()[0] as f64 - want).abs() < 1e-6 * want);
}

/// The blitter after a loss: drawing with a blitter made before it, making a new one,
/// `to_texture` and reading a texture back are each an `Error::Gpu` naming the loss, never a
/// panic inside wgpu (its buffers are written through the queue, not mapped at creation).
#[test]
fn blits_after_a_loss_are_errors() {
    let gpu = Gpu::new().unwrap();
    let pixels: Vec<u8> = (0..16 * 16).map(|i| i as u8).collect();
    let frame = gpu
        .upload(&View::from_slice(&pixels, &[16, 16]).unwrap())
        .unwrap();
    let format = wgpu::TextureFormat::Rgba8Unorm;
    let blitter = Blitter::new(&gpu, format).unwrap();
    let texture = frame.to_texture().unwrap();
    // A working blit first (the colormap table and the pipeline are cached from here on).
    let options = BlitOptions {
        colormap: Some(Colormap::Viridis),
        ..BlitOptions::nearest()
    };
    let view = texture.create_view(&Default::default());
    blitter.draw(&frame, &view, &options).unwrap();

    gpu.device().destroy();

    lost(
        "blit with a cached pipeline",
        blitter.draw(&frame, &view, &options),
    );
    assert!(gpu.is_lost(), "is_lost() after destroy");
    let grey = BlitOptions::nearest();
    lost(
        "blit with another colormap",
        blitter.draw(&frame, &view, &grey),
    );
    lost("a new blitter", Blitter::new(&gpu, format));
    lost("to_texture", frame.to_texture());
    lost("read_texture", read_texture(&gpu, &texture));
}

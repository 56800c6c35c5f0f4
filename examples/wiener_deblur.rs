//! De-blurring a photo with a Wiener filter, step by step.
//!
//! A sharp photo is blurred on the GPU with a known Gaussian point-spread function (σ = 3)
//! and 1 % Gaussian noise is added, as a camera out of focus would record it. The Wiener
//! filter then undoes the blur through the GPU FFT. The blurred and the restored images are
//! written as PNGs, and the PSNR of each against the original is printed.
//!
//! ```sh
//! cargo run --release --example wiener_deblur [OUTPUT_DIR] [IMAGE]
//! ```
//!
//! `OUTPUT_DIR` defaults to `target/wiener_deblur`, `IMAGE` to `testdata/coffee.png`.

use std::path::PathBuf;

use gpuarray::filters::{convolve_periodic, psf_gaussian, wiener_deconvolve};
use gpuarray::{Dtype, Gpu, View};

/// The peak signal-to-noise ratio of `x` against `reference` (u8 data), in dB.
fn psnr(x: &[u8], reference: &[u8]) -> f64 {
    let mse = x
        .iter()
        .zip(reference)
        .map(|(&a, &b)| (a as f64 - b as f64).powi(2))
        .sum::<f64>()
        / x.len() as f64;
    10.0 * (255.0 * 255.0 / mse).log10()
}

/// Deterministic Gaussian noise (SplitMix64 and Box–Muller), so every run prints the same.
fn gaussian_noise(n: usize, sigma: f64, seed: u64) -> Vec<f32> {
    let mut state = seed;
    let mut uniform = move || {
        state = state.wrapping_add(0x9E3779B97F4A7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| {
            let (u, v) = (1.0 - uniform(), uniform()); // u in (0, 1]
            (sigma * (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
        })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out_dir = PathBuf::from(args.next().unwrap_or_else(|| "target/wiener_deblur".into()));
    let input = args.next().unwrap_or_else(|| "testdata/coffee.png".into());
    std::fs::create_dir_all(&out_dir)?;

    // 1. The photo, as a [height, width, 3] u8 view of the decoded pixels (no copy), uploaded.
    let gpu = Gpu::new()?;
    println!("adapter: {}", gpu.info());
    let photo = image::open(&input)?.into_rgb8();
    let original = gpu.upload(&View::from_image(&photo)?)?;
    let shape = original.shape().to_vec();
    println!("{input}: {shape:?}");

    // 2. The point-spread function: a normalised 19 × 19 Gaussian, σ = 3 (a host array).
    let psf = psf_gaussian(19, 3.0)?;

    // 3. The blur: a periodic convolution through the FFT on the GPU, in f32 [0, 1]. Then 1 %
    //    Gaussian noise (σ = 0.01), and back to u8, rounded and clamped, like a saved photo.
    let sharp = original.to_unit_float()?;
    let blurred = convolve_periodic(&sharp, &psf.view())?;
    let noise = gaussian_noise(original.len(), 0.01, 2024);
    let noise = gpu.upload(&View::from_slice(&noise, &shape)?)?;
    let blurred = (&blurred + &noise).from_unit_float(Dtype::U8)?;

    // 4. The Wiener filter, X = conj(H)·Y / (|H|² + nsr), per channel. nsr, the ratio of the
    //    noise power to the signal power, is about 1e-4 / 0.05 = 2e-3 here (noise variance over
    //    the photo's variance); a little more (3e-3) trades sharpness for less noise. Expect a
    //    gain of under 2 dB: a σ = 3 blur leaves |H|² below the noise above ~0.14 cycles per
    //    pixel, and no linear filter brings those frequencies back (see
    //    tests/filters_deconv.rs for the oracle bound).
    let restored = wiener_deconvolve(&blurred, &psf.view(), 3e-3)?;

    // 5. Download both, save them, and measure how close each is to the original.
    let blurred = blurred.to_host()?;
    let restored = restored.to_host()?;
    for (name, image) in [("blurred.png", &blurred), ("restored.png", &restored)] {
        let path = out_dir.join(name);
        image.view().to_dynamic_image()?.save(&path)?;
        println!("wrote {}", path.display());
    }
    let reference = photo.as_raw();
    let before = psnr(blurred.as_slice::<u8>()?, reference);
    let after = psnr(restored.as_slice::<u8>()?, reference);
    println!("PSNR blurred  {before:6.2} dB");
    println!("PSNR restored {after:6.2} dB  ({:+.2} dB)", after - before);
    Ok(())
}

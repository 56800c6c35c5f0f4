//! Equalise the green channel of a photo and stretch the red one to the full range, with a
//! histogram, reductions and broadcasting on the GPU; the blue channel is left as it is.
//!
//! ```sh
//! cargo run --release --example channel_equalize [OUTPUT_DIR] [IMAGE]
//! ```
//!
//! `OUTPUT_DIR` defaults to `target/channel_equalize`, `IMAGE` to `testdata/chelsea.png`.

use std::path::PathBuf;

use gpuarray::filters::{Equalize, equalize_histogram};
use gpuarray::{Dtype, Gpu, SliceArg, View, where_};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out_dir = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "target/channel_equalize".into()),
    );
    let input = args.next().unwrap_or_else(|| "testdata/chelsea.png".into());
    std::fs::create_dir_all(&out_dir)?;

    let gpu = Gpu::new()?;
    let photo = image::open(&input)?.into_rgb8();
    let rgb8 = gpu.upload(&View::from_image(&photo)?)?; // [h, w, 3] u8
    let rgb = rgb8.to_unit_float()?; // f32 in [0, 1]
    let channel =
        |a: &gpuarray::GpuArray, k: isize| a.slice(&[SliceArg::ALL, SliceArg::ALL, k.into()]);

    // Green: histogram equalisation of the u8 channel (a strided view: no copy until needed).
    let green = equalize_histogram(&channel(&rgb8, 1)?, Equalize::PerChannel)?.to_unit_float()?;

    // Red: (r − min) / (max − min), with the extremes as 0-d arrays that broadcast.
    let red = channel(&rgb, 0)?;
    let (lo, hi) = (red.min(None, false)?, red.max(None, false)?);
    let red = &(&red - &lo) / &(&hi - &lo);

    // Put them back: [h, w, 1] planes broadcast against a [3] channel index, one fused kernel.
    let index = gpu.upload(&View::from_slice(&[0u8, 1, 2], &[3])?)?;
    let plane =
        |a: &gpuarray::GpuArray| a.slice(&[SliceArg::ALL, SliceArg::ALL, SliceArg::NewAxis]);
    let out = where_(
        &index.eq(0)?,
        &plane(&red)?,
        &where_(&index.eq(1)?, &plane(&green)?, &rgb)?,
    )?;
    let out = out.from_unit_float(Dtype::U8)?.to_host()?;

    let stats = |k: usize| {
        let v = out.as_slice::<u8>().unwrap().iter().skip(k).step_by(3);
        (*v.clone().min().unwrap(), *v.max().unwrap())
    };
    let before = |k: usize| {
        let v = photo.as_raw().iter().skip(k).step_by(3);
        (*v.clone().min().unwrap(), *v.max().unwrap())
    };
    for (k, name) in ["red", "green", "blue"].iter().enumerate() {
        println!("{name:5}: range {:?} -> {:?}", before(k), stats(k));
    }
    let path = out_dir.join("equalized.png");
    out.view().to_dynamic_image()?.save(&path)?;
    println!("wrote {}", path.display());
    Ok(())
}

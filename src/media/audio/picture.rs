//! Spectrograms as pictures, coloured on the GPU by the blitter's colormaps.

use crate::error::{Error, Result};
use crate::gpu::array::GpuArray;
use crate::gpu::blit::{BlitOptions, Blitter, Colormap, Scaling, read_texture, render_target};
use crate::media::audio::stft::{Scale, Stft, spectrogram};
use crate::view::layout::SliceArg;
use crate::view::view::HostArray;

/// The dB spectrogram of a signal (`[len]` or `[channels, len]`; channels are averaged first)
/// as an sRGB picture `[height, width, 4]` u8: time left to right, frequency bottom to top,
/// `range` dB below the peak up to the peak spread over `colormap`. The picture is one pixel
/// per frame and bin, scaled down (bilinear) to at most `max_side` pixels a side and the
/// adapter's texture limit.
pub fn spectrogram_image(
    x: &GpuArray,
    stft: &Stft,
    colormap: Colormap,
    range: f32,
    max_side: usize,
) -> Result<HostArray> {
    let mono = match x.ndim() {
        2 => x.mean(Some(&[0]), false)?,
        _ => x.clone(),
    };
    let db = spectrogram(&mono, stft, Scale::Db { range })?;
    // [1, frames, bins] -> [bins, frames], the highest frequency in the top row.
    let (frames, bins) = (db.shape()[1], db.shape()[2]);
    if frames == 0 {
        return Err(Error::shape(
            "a signal too short for one frame has no spectrogram",
        ));
    }
    let picture = db
        .reshape(&[frames as isize, bins as isize])?
        .transpose()
        .slice(&[SliceArg::step(-1), SliceArg::ALL])?
        .contiguous()?;
    let peak = picture.max(None, false)?.to_host()?.as_slice::<f32>()?[0];
    let gpu = x.gpu();
    let limit = (gpu.device().limits().max_texture_dimension_2d as usize).min(max_side.max(1));
    let (width, height) = (frames.min(limit), bins.min(limit));
    let format = wgpu::TextureFormat::Rgba8UnormSrgb;
    let target = render_target(gpu, width, height, format, "spectrogram")?;
    let options = BlitOptions {
        scaling: Scaling::Stretch,
        colormap: Some(colormap),
        // The floor sits at the bottom of the map, the peak at its top colour.
        range: (peak - range, peak),
        ..BlitOptions::nearest()
    };
    let options = if (width, height) == (frames, bins) {
        options
    } else {
        BlitOptions {
            filter: crate::gpu::blit::Filter::Linear,
            ..options
        }
    };
    Blitter::new(gpu, format)?.draw(
        &picture,
        &target.create_view(&Default::default()),
        &options,
    )?;
    read_texture(gpu, &target)
}

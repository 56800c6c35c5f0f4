//! `image` buffers as views of shape `[height, width, channels]`, and views back as images.
//!
//! The format comes from the pixel type (`u8` → `"B"`, `u16` → `"H"`, `f32` → `"f"`), so there is
//! no "mode" to think about: an `RgbImage` is a `[h, w, 3]` view of `u8`, a `Rgba32FImage` a
//! `[h, w, 4]` view of `f32`, a grey image `[h, w, 1]`.
//!
//! ```
//! use gpuarray::View;
//! let img = image::RgbImage::from_fn(4, 2, |x, y| image::Rgb([x as u8, y as u8, 7]));
//! let view = View::from_image(&img)?;
//! assert_eq!(view.shape(), [2, 4, 3]);
//! assert_eq!(view.get::<u8>(&[1, 3, 0])?, 3);
//! let back = view.to_dynamic_image()?;
//! assert_eq!(back.as_rgb8(), Some(&img));
//! # Ok::<(), gpuarray::Error>(())
//! ```

use std::ops::Deref;

use image::flat::FlatSamples;
use image::{DynamicImage, ImageBuffer, Pixel};

use crate::error::{Error, Result};
use crate::view::dtype::{Dtype, Element};
use crate::view::format::Format;
use crate::view::layout::Layout;
use crate::view::view::View;

impl<'a> View<'a> {
    /// A `[height, width, channels]` view of an image buffer's own bytes (no copy).
    pub fn from_image<P, C>(image: &'a ImageBuffer<P, C>) -> Result<View<'a>>
    where
        P: Pixel,
        P::Subpixel: Element,
        C: Deref<Target = [P::Subpixel]>,
    {
        let (w, h) = image.dimensions();
        let c = P::CHANNEL_COUNT as usize;
        // `as_raw` may hold more samples than the image uses; view only the image's part.
        let used = (h as usize) * (w as usize) * c;
        let samples = image.as_raw().get(..used).ok_or_else(|| {
            Error::layout(format!("image buffer holds fewer than {used} samples"))
        })?;
        View::from_slice(samples, &[h as usize, w as usize, c])
    }

    /// A `[height, width, channels]` view of any [`DynamicImage`] (no copy).
    pub fn from_dynamic_image(image: &'a DynamicImage) -> Result<View<'a>> {
        match image {
            DynamicImage::ImageLuma8(i) => View::from_image(i),
            DynamicImage::ImageLumaA8(i) => View::from_image(i),
            DynamicImage::ImageRgb8(i) => View::from_image(i),
            DynamicImage::ImageRgba8(i) => View::from_image(i),
            DynamicImage::ImageLuma16(i) => View::from_image(i),
            DynamicImage::ImageLumaA16(i) => View::from_image(i),
            DynamicImage::ImageRgb16(i) => View::from_image(i),
            DynamicImage::ImageRgba16(i) => View::from_image(i),
            DynamicImage::ImageRgb32F(i) => View::from_image(i),
            DynamicImage::ImageRgba32F(i) => View::from_image(i),
            other => Err(Error::unsupported(format!(
                "image colour type {:?}",
                other.color()
            ))),
        }
    }

    /// A `[height, width, channels]` view of [`FlatSamples`], honouring its strides (so a
    /// planar or padded layout is viewed as it is, with no copy).
    pub fn from_flat_samples<T, B>(flat: &'a FlatSamples<B>) -> Result<View<'a>>
    where
        T: Element,
        B: AsRef<[T]>,
    {
        let l = &flat.layout;
        let item = std::mem::size_of::<T>();
        let stride = |s: usize| -> Result<isize> {
            s.checked_mul(item)
                .and_then(|b| isize::try_from(b).ok())
                .ok_or_else(|| Error::layout(format!("sample stride {s} overflows")))
        };
        let layout = Layout::new(
            vec![l.height as usize, l.width as usize, l.channels as usize],
            vec![
                stride(l.height_stride)?,
                stride(l.width_stride)?,
                stride(l.channel_stride)?,
            ],
            0,
        );
        let bytes: &[u8] = bytemuck::cast_slice(flat.samples.as_ref());
        View::new(bytes, layout, Format::from_dtype(T::DTYPE))
    }

    /// `(height, width, channels)` of a view that can be an image: shape `[h, w]` or
    /// `[h, w, c]` with `c` in 1..=4.
    fn image_dims(&self) -> Result<(u32, u32, usize)> {
        let (h, w, c) = match *self.shape() {
            [h, w] => (h, w, 1),
            [h, w, c] => (h, w, c),
            _ => {
                return Err(Error::shape(format!(
                    "an image needs shape [height, width] or [height, width, channels], not {:?}",
                    self.shape()
                )));
            }
        };
        let dim = |n: usize, what: &str| {
            u32::try_from(n)
                .map_err(|_| Error::shape(format!("image {what} {n} does not fit in u32")))
        };
        Ok((dim(h, "height")?, dim(w, "width")?, c))
    }

    /// Copies the view into an [`ImageBuffer`] of pixel type `P`; the shape's channel count and
    /// the dtype must match `P`.
    pub fn to_image_buffer<P>(&self) -> Result<ImageBuffer<P, Vec<P::Subpixel>>>
    where
        P: Pixel,
        P::Subpixel: Element,
    {
        let (h, w, c) = self.image_dims()?;
        if c != P::CHANNEL_COUNT as usize {
            return Err(Error::shape(format!(
                "shape {:?} has {c} channels, the pixel type has {}",
                self.shape(),
                P::CHANNEL_COUNT
            )));
        }
        let samples = self.to_vec::<P::Subpixel>()?;
        ImageBuffer::from_raw(w, h, samples)
            .ok_or_else(|| Error::shape("sample count does not match the image size".to_string()))
    }

    /// Copies the view into the [`DynamicImage`] its shape and dtype call for: 1–4 channels of
    /// `u8` or `u16` (L, LA, RGB, RGBA) or 3–4 channels of `f32`. Other dtypes are an error that
    /// suggests a conversion.
    pub fn to_dynamic_image(&self) -> Result<DynamicImage> {
        let (_, _, c) = self.image_dims()?;
        let dtype = self.dtype();
        use image::{Luma, LumaA, Rgb, Rgba};
        Ok(match (dtype, c) {
            (Some(Dtype::U8), 1) => self.to_image_buffer::<Luma<u8>>()?.into(),
            (Some(Dtype::U8), 2) => self.to_image_buffer::<LumaA<u8>>()?.into(),
            (Some(Dtype::U8), 3) => self.to_image_buffer::<Rgb<u8>>()?.into(),
            (Some(Dtype::U8), 4) => self.to_image_buffer::<Rgba<u8>>()?.into(),
            (Some(Dtype::U16), 1) => self.to_image_buffer::<Luma<u16>>()?.into(),
            (Some(Dtype::U16), 2) => self.to_image_buffer::<LumaA<u16>>()?.into(),
            (Some(Dtype::U16), 3) => self.to_image_buffer::<Rgb<u16>>()?.into(),
            (Some(Dtype::U16), 4) => self.to_image_buffer::<Rgba<u16>>()?.into(),
            (Some(Dtype::F32), 3) => self.to_image_buffer::<Rgb<f32>>()?.into(),
            (Some(Dtype::F32), 4) => self.to_image_buffer::<Rgba<f32>>()?.into(),
            (_, 1..=4) => {
                return Err(Error::dtype(format!(
                    "no image colour type holds {c} channel(s) of {}; convert with astype to \
                     uint8 or uint16 (or float32 with 3 or 4 channels)",
                    dtype.map_or_else(
                        || format!("format {:?}", self.format().to_string()),
                        |d| d.to_string()
                    )
                )));
            }
            _ => {
                return Err(Error::shape(format!(
                    "an image has 1 to 4 channels, shape {:?} has {c}",
                    self.shape()
                )));
            }
        })
    }
}

//! `image` buffers as views and back: every colour type, zero copy, strides honoured.

use gpuarray::{Dtype, Error, HostArray, SliceArg, View};
use image::flat::{FlatSamples, SampleLayout};
use image::{DynamicImage, GenericImageView, ImageBuffer, Pixel, Rgb};

fn photo() -> DynamicImage {
    image::open(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/coffee.png")).unwrap()
}

#[test]
fn rgb_view_points_at_the_image_bytes() {
    let img = photo().into_rgb8();
    let view = View::from_image(&img).unwrap();
    assert_eq!(view.bytes().as_ptr(), img.as_raw().as_ptr());
    assert_eq!(view.shape(), [400, 600, 3]);
    assert_eq!(view.strides(), [1800, 3, 1]);
    assert_eq!(view.format().to_string(), "B");
    // Every pixel reads back through the view.
    for (x, y, p) in img.enumerate_pixels() {
        for c in 0..3 {
            assert_eq!(
                view.get::<u8>(&[y as usize, x as usize, c]).unwrap(),
                p.0[c]
            );
        }
    }
    // A channel slice is still the image's memory.
    let green = view
        .slice(&[SliceArg::ALL, SliceArg::ALL, 1.into()])
        .unwrap();
    assert_eq!(green.bytes().as_ptr(), img.as_raw().as_ptr());
    assert_eq!((green.offset(), green.strides()), (1, &[1800isize, 3][..]));
}

/// Builds a small image of pixel type `P` from a deterministic pattern, views it as a dynamic
/// image, and checks shape, dtype, values and the round trip back.
fn check_colour_type<P>(dtype: Dtype, make: fn(u32, u32, u8) -> P::Subpixel) -> DynamicImage
where
    P: Pixel,
    P::Subpixel: gpuarray::Element + PartialEq + std::fmt::Debug,
    DynamicImage: From<ImageBuffer<P, Vec<P::Subpixel>>>,
{
    let (w, h) = (5u32, 3u32);
    let c = P::CHANNEL_COUNT;
    let raw: Vec<P::Subpixel> = (0..h)
        .flat_map(|y| (0..w).flat_map(move |x| (0..c).map(move |k| make(x, y, k))))
        .collect();
    let buf = ImageBuffer::<P, _>::from_raw(w, h, raw).unwrap();
    let dynamic: DynamicImage = buf.into();
    let view = View::from_dynamic_image(&dynamic).unwrap();
    assert_eq!(view.shape(), [3, 5, c as usize], "{:?}", dynamic.color());
    assert_eq!(view.dtype(), Some(dtype));
    assert_eq!(
        view.bytes().as_ptr(),
        dynamic.as_bytes().as_ptr(),
        "zero copy"
    );
    assert_eq!(
        view.get::<P::Subpixel>(&[2, 4, c as usize - 1]).unwrap(),
        make(4, 2, c - 1)
    );
    let back = view.to_dynamic_image().unwrap();
    assert_eq!(back, dynamic);
    dynamic
}

#[test]
fn every_colour_type_round_trips() {
    use image::{Luma, LumaA, Rgb, Rgba};
    let b = |x: u32, y: u32, k: u8| (x * 40 + y * 7 + k as u32) as u8;
    let w = |x: u32, y: u32, k: u8| (x * 9000 + y * 77 + k as u32) as u16;
    let f = |x: u32, y: u32, k: u8| x as f32 * 0.25 - y as f32 + k as f32 / 8.0;
    check_colour_type::<Luma<u8>>(Dtype::U8, b);
    check_colour_type::<LumaA<u8>>(Dtype::U8, b);
    check_colour_type::<Rgb<u8>>(Dtype::U8, b);
    check_colour_type::<Rgba<u8>>(Dtype::U8, b);
    check_colour_type::<Luma<u16>>(Dtype::U16, w);
    check_colour_type::<LumaA<u16>>(Dtype::U16, w);
    check_colour_type::<Rgb<u16>>(Dtype::U16, w);
    check_colour_type::<Rgba<u16>>(Dtype::U16, w);
    check_colour_type::<Rgb<f32>>(Dtype::F32, f);
    check_colour_type::<Rgba<f32>>(Dtype::F32, f);
}

#[test]
fn flat_samples_strides_are_honoured() {
    // The image crate's own flat samples of a real photo: same view as from_image.
    let img = photo().into_rgb8();
    let flat = img.as_flat_samples();
    let view = View::from_flat_samples(&flat).unwrap();
    assert_eq!(view.bytes().as_ptr(), img.as_raw().as_ptr());
    assert_eq!(
        (view.shape(), view.strides()),
        (&[400, 600, 3][..], &[1800isize, 3, 1][..])
    );
    // A planar 2×3 RGB layout (all reds, then all greens, then all blues), as u16.
    let planar: Vec<u16> = (0..18).collect();
    let flat = FlatSamples {
        samples: &planar[..],
        layout: SampleLayout {
            channels: 3,
            channel_stride: 6,
            width: 3,
            width_stride: 1,
            height: 2,
            height_stride: 3,
        },
        color_hint: None,
    };
    let view = View::from_flat_samples(&flat).unwrap();
    assert_eq!(view.strides(), [6, 2, 12]);
    assert_eq!(view.get::<u16>(&[1, 2, 2]).unwrap(), 12 + 3 + 2);
    let rgb = view.to_image_buffer::<Rgb<u16>>().unwrap();
    assert_eq!(rgb.get_pixel(2, 1).0, [5, 11, 17]);
    // Samples that the layout runs past are an error, not a read out of bounds.
    let short = FlatSamples {
        samples: &planar[..17],
        ..flat
    };
    assert!(matches!(
        View::from_flat_samples(&short),
        Err(Error::Layout(_))
    ));
}

#[test]
fn views_that_cannot_be_images_say_why() {
    let f = HostArray::zeros(&[4, 4], Dtype::F32).unwrap();
    let err = f.view().to_dynamic_image().unwrap_err().to_string();
    assert!(
        err.contains("1 channel(s) of float32") && err.contains("astype"),
        "{err}"
    );
    let five = HostArray::zeros(&[2, 2, 5], Dtype::U8).unwrap();
    assert!(
        five.view()
            .to_dynamic_image()
            .unwrap_err()
            .to_string()
            .contains("1 to 4 channels")
    );
    let flat = HostArray::zeros(&[16], Dtype::U8).unwrap();
    assert!(
        flat.view()
            .to_dynamic_image()
            .unwrap_err()
            .to_string()
            .contains("[height, width]")
    );
    let ints = HostArray::zeros(&[2, 2, 3], Dtype::I32).unwrap();
    assert!(matches!(
        ints.view().to_dynamic_image(),
        Err(Error::Dtype(_))
    ));
    let rgb = HostArray::zeros(&[2, 2, 4], Dtype::U8).unwrap();
    assert!(
        rgb.view()
            .to_image_buffer::<Rgb<u8>>()
            .unwrap_err()
            .to_string()
            .contains("4 channels")
    );
}

#[test]
fn a_processed_view_becomes_an_image() {
    // Mirror the photo and keep its green channel: views only, then one copy into an image.
    let photo = photo();
    let view = View::from_dynamic_image(&photo).unwrap();
    let mirrored = view
        .slice(&[SliceArg::ALL, SliceArg::step(-1), 1.into()])
        .unwrap();
    let out = mirrored.to_dynamic_image().unwrap();
    let rgb = photo.to_rgb8();
    assert_eq!(out.dimensions(), (600, 400));
    let grey = out.as_luma8().unwrap();
    assert_eq!(grey.get_pixel(0, 10).0[0], rgb.get_pixel(599, 10).0[1]);
    assert_eq!(grey.get_pixel(599, 399).0[0], rgb.get_pixel(0, 399).0[1]);
}

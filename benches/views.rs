//! Creating a view of an RGB image and slicing a channel out of it: metadata work only, so the
//! time must not grow with the image size. Run with `cargo bench --bench views`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use gpuarray::{SliceArg, View};
use image::RgbImage;

fn view_and_slice(c: &mut Criterion) {
    let mut group = c.benchmark_group("view_of_rgb_image");
    for (w, h) in [(640u32, 480u32), (3840, 2160)] {
        let img = RgbImage::new(w, h);
        let id = format!("{w}x{h}");
        group.bench_with_input(BenchmarkId::new("view", &id), &img, |b, img| {
            b.iter(|| View::from_image(black_box(img)).unwrap())
        });
        group.bench_with_input(
            BenchmarkId::new("view+green_channel", &id),
            &img,
            |b, img| {
                b.iter(|| {
                    View::from_image(black_box(img))
                        .unwrap()
                        .slice(&[SliceArg::ALL, SliceArg::ALL, SliceArg::Index(1)])
                        .unwrap()
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, view_and_slice);
criterion_main!(benches);

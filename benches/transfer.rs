//! Host ↔ GPU transfer throughput, gpuarray against raw wgpu on the same adapter.
//!
//! Run with `cargo bench --bench transfer` (add `WGPU_BACKEND=gl` for OpenGL). One `Gpu` serves
//! every measurement; its adapter is printed first.
//!
//! 1. Round trip of 64 MiB (`u32`, shape `[16 Mi]`): `Gpu::upload` + `GpuArray::download_into` a
//!    preallocated host `Vec` (no host allocation per iteration), against raw wgpu on the same
//!    device and queue with buffers created once (`write_buffer` + `copy_buffer_to_buffer` +
//!    submit + `map_async` + wait + copy out of the mapped range + unmap). `to_host()` (a fresh
//!    64 MiB host array per iteration) is measured too, for reference.
//! 2. Strided uploads gathered on the GPU (every second column of a 4096×4096 `u32` array, the
//!    transpose of a 2048×2048 `f32` array) against a contiguous upload of the same number of
//!    bytes. Each iteration ends with an empty submit (which flushes `write_buffer`'s pending
//!    copy) and a blocking device poll, so the GPU work is finished: `Gpu` has no public sync.
//!
//! Criterion reports throughputs; afterwards a summary times both sides of each comparison
//! itself, interleaved, in the same run, and prints the medians and `ratio = X.XX` lines. Nothing
//! here asserts anything about timings.

mod common;

use common::sync;

use std::hint::black_box;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use gpuarray::{Gpu, SliceArg, View, ViewMut};

const MIB: usize = 1 << 20;
/// Elements of the round-trip array: 64 MiB of `u32`.
const ROUND_TRIP_LEN: usize = 16 << 20;
/// Iterations per side in the summary.
const SUMMARY_ITERS: usize = 15;

/// The raw-wgpu round trip: buffers created once, reused every iteration.
struct Raw {
    storage: wgpu::Buffer,
    staging: wgpu::Buffer,
}

impl Raw {
    fn new(gpu: &Gpu, size: u64) -> Raw {
        let device = gpu.device();
        let buffer = |usage| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("raw bench"),
                size,
                usage,
                mapped_at_creation: false,
            })
        };
        Raw {
            storage: buffer(
                wgpu::BufferUsages::STORAGE
                    | wgpu::BufferUsages::COPY_SRC
                    | wgpu::BufferUsages::COPY_DST,
            ),
            staging: buffer(wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST),
        }
    }

    fn round_trip(&self, gpu: &Gpu, input: &[u8], out: &mut [u8]) {
        let (device, queue) = (gpu.device(), gpu.queue());
        let size = input.len() as u64;
        queue.write_buffer(&self.storage, 0, input);
        let mut encoder = device.create_command_encoder(&Default::default());
        encoder.copy_buffer_to_buffer(&self.storage, 0, &self.staging, 0, size);
        queue.submit([encoder.finish()]);
        let (tx, rx) = mpsc::channel();
        self.staging
            .slice(..size)
            .map_async(wgpu::MapMode::Read, move |r| {
                let _ = tx.send(r);
            });
        device
            .poll(wgpu::PollType::wait_indefinitely())
            .expect("waiting for the GPU");
        rx.recv().expect("map callback").expect("mapping");
        {
            let mapped = self.staging.get_mapped_range(..size).expect("mapped range");
            out.copy_from_slice(&mapped);
        }
        self.staging.unmap();
    }
}

/// Input data for the benches: `n` words that are not all equal.
fn words(n: usize) -> Vec<u32> {
    (0..n as u32)
        .map(|i| i.wrapping_mul(2_654_435_761))
        .collect()
}

struct Data {
    round_trip: Vec<u32>,
    /// 4096×4096 `u32` (64 MiB), viewed with every second column.
    wide: Vec<u32>,
    /// 2048×2048 `f32` (16 MiB), viewed transposed.
    square: Vec<f32>,
}

impl Data {
    fn new() -> Data {
        Data {
            round_trip: words(ROUND_TRIP_LEN),
            wide: words(4096 * 4096),
            square: words(2048 * 2048).into_iter().map(|w| w as f32).collect(),
        }
    }

    fn every_second_column(&self) -> View<'_> {
        View::from_slice(&self.wide, &[4096, 4096])
            .unwrap()
            .slice(&[SliceArg::ALL, SliceArg::step(2)])
            .unwrap()
    }

    fn transposed(&self) -> View<'_> {
        View::from_slice(&self.square, &[2048, 2048])
            .unwrap()
            .transpose()
    }
}

fn gpuarray_round_trip(gpu: &Gpu, data: &[u32], out: &mut [u32]) {
    let a = gpu
        .upload(&View::from_slice(data, &[data.len()]).unwrap())
        .unwrap();
    let n = out.len();
    a.download_into(&mut ViewMut::from_slice(out, &[n]).unwrap())
        .unwrap();
}

fn upload_and_sync(gpu: &Gpu, view: &View<'_>) {
    let a = gpu.upload(view).unwrap();
    sync(gpu);
    drop(black_box(a));
}

/// Checks once, before timing, that both round trips and both gathers return the right data.
fn check(gpu: &Gpu, data: &Data, raw: &Raw) {
    let input = &data.round_trip;
    let mut out = vec![0u32; input.len()];
    gpuarray_round_trip(gpu, input, &mut out);
    assert!(out == *input, "gpuarray round trip returned other data");
    let mut out_bytes = vec![0u8; input.len() * 4];
    raw.round_trip(gpu, bytemuck::cast_slice(input), &mut out_bytes);
    assert!(
        out_bytes == bytemuck::cast_slice::<u32, u8>(input),
        "raw round trip returned other data"
    );
    let cols = gpu
        .upload(&data.every_second_column())
        .unwrap()
        .to_host()
        .unwrap();
    let want: Vec<u32> = data.every_second_column().iter().unwrap().collect();
    assert!(cols.as_slice::<u32>().unwrap() == want, "step(2) gather");
    let t = gpu.upload(&data.transposed()).unwrap().to_host().unwrap();
    let want: Vec<f32> = data.transposed().iter().unwrap().collect();
    assert!(t.as_slice::<f32>().unwrap() == want, "transpose gather");
}

fn bench_round_trip(c: &mut Criterion, gpu: &Gpu, data: &Data, raw: &Raw) {
    let input = &data.round_trip;
    let mut out = vec![0u32; input.len()];
    let mut out_bytes = vec![0u8; input.len() * 4];
    let mut group = c.benchmark_group("round_trip_64MiB");
    group.throughput(Throughput::Bytes(2 * (input.len() * 4) as u64));
    group.bench_function("gpuarray upload+download_into", |b| {
        b.iter(|| gpuarray_round_trip(gpu, black_box(input), &mut out))
    });
    group.bench_function("gpuarray upload+to_host", |b| {
        b.iter(|| {
            let a = gpu
                .upload(&View::from_slice(black_box(input), &[input.len()]).unwrap())
                .unwrap();
            a.to_host().unwrap()
        })
    });
    group.bench_function("raw wgpu", |b| {
        b.iter(|| raw.round_trip(gpu, bytemuck::cast_slice(black_box(input)), &mut out_bytes))
    });
    group.finish();
}

fn bench_strided(c: &mut Criterion, gpu: &Gpu, data: &Data) {
    let cases: [(&str, View<'_>, usize); 2] = [
        (
            "u32 4096x4096 [:, ::2]",
            data.every_second_column(),
            4096 * 2048,
        ),
        ("f32 2048x2048 .T", data.transposed(), 2048 * 2048),
    ];
    let mut group = c.benchmark_group("upload");
    for (name, view, len) in &cases {
        let bytes = len * 4;
        let contiguous = View::from_slice(&data.round_trip[..*len], &[*len]).unwrap();
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_with_input(BenchmarkId::new("strided", name), view, |b, v| {
            b.iter(|| upload_and_sync(gpu, v))
        });
        group.bench_with_input(
            BenchmarkId::new("contiguous", format!("{} MiB", bytes / MIB)),
            &contiguous,
            |b, v| b.iter(|| upload_and_sync(gpu, v)),
        );
    }
    group.finish();
}

/// Median of `SUMMARY_ITERS` timings of `a` and of `b`, run alternately (after one warm-up each).
fn median_pair(mut a: impl FnMut(), mut b: impl FnMut()) -> (Duration, Duration) {
    a();
    b();
    let (mut ta, mut tb) = (vec![], vec![]);
    for _ in 0..SUMMARY_ITERS {
        let t = Instant::now();
        a();
        ta.push(t.elapsed());
        let t = Instant::now();
        b();
        tb.push(t.elapsed());
    }
    ta.sort();
    tb.sort();
    (ta[SUMMARY_ITERS / 2], tb[SUMMARY_ITERS / 2])
}

fn gib_s(bytes: usize, t: Duration) -> f64 {
    bytes as f64 / t.as_secs_f64() / (1u64 << 30) as f64
}

fn summary(gpu: &Gpu, data: &Data, raw: &Raw) {
    println!(
        "\n=== summary: medians of {SUMMARY_ITERS} interleaved iterations, same run, same adapter ==="
    );
    println!("adapter: {}", gpu.info());
    let line = |what: &str, bytes: usize, t: Duration| {
        println!(
            "  {what:<44} {:>9.2} ms  {:>7.3} GiB/s",
            t.as_secs_f64() * 1e3,
            gib_s(bytes, t)
        );
    };

    let input = &data.round_trip;
    let rt_bytes = 2 * input.len() * 4;
    let mut out = vec![0u32; input.len()];
    let mut out_bytes = vec![0u8; input.len() * 4];
    let (t_lib, t_raw) = median_pair(
        || gpuarray_round_trip(gpu, input, &mut out),
        || raw.round_trip(gpu, bytemuck::cast_slice(input), &mut out_bytes),
    );
    println!("round trip of 64 MiB (throughput counts 2 × 64 MiB):");
    line("gpuarray upload + download_into", rt_bytes, t_lib);
    line("raw wgpu", rt_bytes, t_raw);
    println!(
        "  ratio = {:.2}  (gpuarray download_into / raw wgpu throughput; goal >= 0.90)",
        t_raw.as_secs_f64() / t_lib.as_secs_f64()
    );
    let (t_host, t_raw) = median_pair(
        || {
            let a = gpu
                .upload(&View::from_slice(input, &[input.len()]).unwrap())
                .unwrap();
            black_box(a.to_host().unwrap());
        },
        || raw.round_trip(gpu, bytemuck::cast_slice(input), &mut out_bytes),
    );
    line("gpuarray upload + to_host (allocates)", rt_bytes, t_host);
    line("raw wgpu", rt_bytes, t_raw);
    println!(
        "  ratio = {:.2}  (gpuarray to_host / raw wgpu throughput)",
        t_raw.as_secs_f64() / t_host.as_secs_f64()
    );

    // The strided upload writes the whole span of the view (here: the backing array) and then
    // gathers; the span's contiguous upload shows how much of the time is the gather kernel.
    let cases = [
        (
            "u32 4096x4096 [:, ::2] (32 MiB)",
            data.every_second_column(),
            View::from_slice(&data.wide, &[data.wide.len()]).unwrap(),
        ),
        (
            "f32 2048x2048 .T (16 MiB)",
            data.transposed(),
            View::from_slice(&data.square, &[data.square.len()]).unwrap(),
        ),
    ];
    for (name, view, span) in &cases {
        let len = view.len();
        let bytes = len * 4;
        let contiguous = View::from_slice(&data.round_trip[..len], &[len]).unwrap();
        let (t_strided, t_contiguous) = median_pair(
            || upload_and_sync(gpu, view),
            || upload_and_sync(gpu, &contiguous),
        );
        println!("upload of {name}, then wait:");
        line("strided, gathered on the GPU", bytes, t_strided);
        line("contiguous, same bytes", bytes, t_contiguous);
        println!(
            "  ratio = {:.2}  (strided / contiguous upload throughput)",
            t_contiguous.as_secs_f64() / t_strided.as_secs_f64()
        );
        let (_, t_span) = median_pair(|| {}, || upload_and_sync(gpu, span));
        line(
            &format!(
                "(contiguous upload of the {} MiB span)",
                span.nbytes() / MIB
            ),
            span.nbytes(),
            t_span,
        );
    }
    println!("gpu stats: {}", gpu.stats());
}

fn main() {
    let gpu = Gpu::new().expect("no GPU adapter (install mesa-vulkan-drivers for lavapipe)");
    println!("adapter: {}", gpu.info());
    let data = Data::new();
    let raw = Raw::new(&gpu, (ROUND_TRIP_LEN * 4) as u64);
    check(&gpu, &data, &raw);

    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    bench_round_trip(&mut c, &gpu, &data, &raw);
    bench_strided(&mut c, &gpu, &data);
    c.final_summary();

    summary(&gpu, &data, &raw);
}

//! Fused elementwise kernels and reductions against what the adapter itself can do, on 16 Mi
//! `f32` elements (64 MiB per array), all in one run on one adapter (printed first).
//!
//! Run with `cargo bench --bench elementwise` (add `WGPU_BACKEND=gl` for OpenGL).
//!
//! 1. **fused**: `y = ((a * 2 + b) * a - 1).abs()`, five elementwise ops over two inputs, built
//!    lazily and run by `.eval()` as one generated kernel (checked once with `Gpu::stats`: one
//!    dispatch). It reads 2 × 64 MiB and writes 64 MiB.
//! 2. **copy** (a): raw wgpu `copy_buffer_to_buffer` of 64 MiB between two buffers created once.
//!    Reads and writes 64 MiB.
//! 3. **vec4 kernel** (b): a hand-written WGSL kernel `b = a * 2 + 1` over `array<vec4<f32>>`,
//!    workgroup 256 (2-D dispatch when needed), pipeline and bind group built once, through raw
//!    wgpu. Reads and writes 64 MiB.
//! 4. **unfused**: the same five ops with `.eval()` after each (five dispatches, four
//!    intermediate arrays).
//! 5. **sum**: `a.sum(None, false)` of the 16 Mi array (reads 64 MiB).
//!
//! Effective bandwidth = bytes read + bytes written (as listed above) / time. Every iteration
//! ends with an empty submit and a blocking device poll, so the GPU work is finished: `Gpu` has
//! no public sync. Results are checked once against the CPU before anything is timed.
//!
//! Criterion reports each case; afterwards a summary times all of them itself, interleaved
//! round-robin in the same run, and prints the medians and `ratio = X.XX` lines:
//! fused / copy (a) and fused / vec4 kernel (b) effective bandwidth, fused over unfused speed-up,
//! and sum / copy read bandwidth. The summary also times the hand-written kernel with one `f32`
//! per invocation (`array<f32>`), to show how much of a gap is the element width alone. On lavapipe the copy is a `memcpy` that no compute kernel
//! reaches, so (a) is printed but (b) is the comparison that says something about the generated
//! kernel there. Nothing here asserts anything about timings.

mod common;

use common::{interleaved, sync};

use std::hint::black_box;
use std::sync::mpsc;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput};
use gpuarray::{Gpu, GpuArray, View};
use wgpu::util::DeviceExt;

/// Elements per array: 16 Mi `f32`, 64 MiB.
const N: usize = 16 << 20;
const BYTES: u64 = (N * 4) as u64;
/// Iterations per case in the summary (odd, so the median is one of them).
const SUMMARY_ITERS: usize = 11;
/// Threads per workgroup of the hand-written kernel.
const WORKGROUP: u32 = 256;

/// The hand-written reference kernel: one op per element, vec4 loads and stores.
const VEC4_WGSL: &str = r"
@group(0) @binding(0) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4<f32>>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = (wg.y * groups.x + wg.x) * 256u + lid;
    if i < arrayLength(&dst) {
        dst[i] = src[i] * 2.0 + 1.0;
    }
}
";

/// The same op one `f32` per invocation (a diagnostic: how much of the gap to the vec4 kernel
/// is the element width alone).
const SCALAR_WGSL: &str = r"
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = (wg.y * groups.x + wg.x) * 256u + lid;
    if i < arrayLength(&dst) {
        dst[i] = src[i] * 2.0 + 1.0;
    }
}
";

/// Deterministic inputs in [-1, 1) that are not all equal.
fn inputs() -> (Vec<f32>, Vec<f32>) {
    let f = |seed: u32| -> Vec<f32> {
        (0..N as u32)
            .map(|i| {
                let h = (i ^ seed).wrapping_mul(2_654_435_761) >> 8;
                h as f32 / (1 << 23) as f32 - 1.0
            })
            .collect()
    };
    (f(0), f(0x9e37_79b9))
}

/// The fused chain (lazy; nothing runs until it is evaluated).
fn chain(a: &GpuArray, b: &GpuArray) -> GpuArray {
    ((a * 2.0 + b) * a - 1.0).abs().expect("abs")
}

fn chain_cpu(a: f32, b: f32) -> f32 {
    ((a * 2.0 + b) * a - 1.0).abs()
}

fn fused(gpu: &Gpu, a: &GpuArray, b: &GpuArray) -> GpuArray {
    let y = chain(a, b);
    y.eval().expect("fused eval");
    sync(gpu);
    y
}

/// The same five ops, each evaluated on its own (five dispatches, four intermediate arrays).
fn unfused(gpu: &Gpu, a: &GpuArray, b: &GpuArray) -> GpuArray {
    let ev = |x: GpuArray| {
        x.eval().expect("unfused eval");
        x
    };
    let t = ev(a * 2.0);
    let t = ev(&t + b);
    let t = ev(&t * a);
    let t = ev(&t - 1.0);
    let y = ev(t.abs().expect("abs"));
    sync(gpu);
    y
}

fn sum(gpu: &Gpu, a: &GpuArray) -> GpuArray {
    let s = a.sum(None, false).expect("sum");
    sync(gpu);
    s
}

/// A raw-wgpu kernel `dst = src * 2 + 1` with its pipeline, bind group and grid built once.
struct Kernel {
    pipeline: wgpu::ComputePipeline,
    bind: wgpu::BindGroup,
    groups: (u32, u32),
}

impl Kernel {
    /// `per_invocation`: elements each invocation handles.
    fn new(
        gpu: &Gpu,
        wgsl: &str,
        per_invocation: u32,
        src: &wgpu::Buffer,
        dst: &wgpu::Buffer,
    ) -> Kernel {
        let device = gpu.device();
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("a*2+1"),
            source: wgpu::ShaderSource::Wgsl(wgsl.into()),
        });
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some("a*2+1"),
            layout: None,
            module: &module,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        });
        let bind = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("a*2+1"),
            layout: &pipeline.get_bind_group_layout(0),
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: src.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: dst.as_entire_binding(),
                },
            ],
        });
        let groups = (N as u32 / per_invocation).div_ceil(WORKGROUP);
        let max = device.limits().max_compute_workgroups_per_dimension;
        let x = groups.min(max);
        Kernel {
            pipeline,
            bind,
            groups: (x, groups.div_ceil(x)),
        }
    }

    fn run(&self, gpu: &Gpu) {
        let mut encoder = gpu.device().create_command_encoder(&Default::default());
        {
            let mut pass = encoder.begin_compute_pass(&Default::default());
            pass.set_pipeline(&self.pipeline);
            pass.set_bind_group(0, &self.bind, &[]);
            pass.dispatch_workgroups(self.groups.0, self.groups.1, 1);
        }
        gpu.queue().submit([encoder.finish()]);
        sync(gpu);
    }
}

/// Raw wgpu on the same device: two 64 MiB buffers for the copy, and the vec4 and scalar kernels
/// reading the first into a third.
struct Raw {
    src: wgpu::Buffer,
    copy_dst: wgpu::Buffer,
    kernel_dst: wgpu::Buffer,
    vec4: Kernel,
    scalar: Kernel,
}

impl Raw {
    fn new(gpu: &Gpu, a: &[f32]) -> Raw {
        let device = gpu.device();
        let usage = wgpu::BufferUsages::STORAGE
            | wgpu::BufferUsages::COPY_SRC
            | wgpu::BufferUsages::COPY_DST;
        let src = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("bench src"),
            contents: bytemuck::cast_slice(a),
            usage,
        });
        let empty = |label| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: BYTES,
                usage,
                mapped_at_creation: false,
            })
        };
        let copy_dst = empty("bench copy dst");
        let kernel_dst = empty("bench kernel dst");
        let vec4 = Kernel::new(gpu, VEC4_WGSL, 4, &src, &kernel_dst);
        let scalar = Kernel::new(gpu, SCALAR_WGSL, 1, &src, &kernel_dst);
        Raw {
            src,
            copy_dst,
            kernel_dst,
            vec4,
            scalar,
        }
    }

    fn copy(&self, gpu: &Gpu) {
        let mut encoder = gpu.device().create_command_encoder(&Default::default());
        encoder.copy_buffer_to_buffer(&self.src, 0, &self.copy_dst, 0, BYTES);
        gpu.queue().submit([encoder.finish()]);
        sync(gpu);
    }

    fn kernel(&self, gpu: &Gpu) {
        self.vec4.run(gpu);
    }
}

/// Reads a 64 MiB buffer back (for the correctness check only).
fn read_back(gpu: &Gpu, buffer: &wgpu::Buffer) -> Vec<f32> {
    let device = gpu.device();
    let staging = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("bench read back"),
        size: BYTES,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let mut encoder = device.create_command_encoder(&Default::default());
    encoder.copy_buffer_to_buffer(buffer, 0, &staging, 0, BYTES);
    gpu.queue().submit([encoder.finish()]);
    let (tx, rx) = mpsc::channel();
    staging.slice(..).map_async(wgpu::MapMode::Read, move |r| {
        let _ = tx.send(r);
    });
    device
        .poll(wgpu::PollType::wait_indefinitely())
        .expect("waiting for the GPU");
    rx.recv().expect("map callback").expect("mapping");
    let out = bytemuck::cast_slice(&staging.get_mapped_range(..).expect("mapped range")).to_vec();
    staging.unmap();
    out
}

/// Indices checked against the CPU: both ends and a spread in between.
fn probes() -> impl Iterator<Item = usize> {
    (0..1000).map(|k| k * (N / 1000) + k % 7).chain([N - 1])
}

fn close(got: f32, want: f32) -> bool {
    (got - want).abs() <= 1e-5 * want.abs().max(1.0)
}

/// Checks every case once, before timing, and that the fused chain is one dispatch.
fn check(gpu: &Gpu, a: &GpuArray, b: &GpuArray, host: &(Vec<f32>, Vec<f32>), raw: &Raw) {
    let (ha, hb) = host;
    let before = gpu.stats();
    let y = chain(a, b);
    y.eval().expect("fused eval");
    sync(gpu);
    let after = gpu.stats();
    let dispatches = after.dispatches - before.dispatches;
    println!(
        "fused 5-op chain: {dispatches} dispatch(es), {} compile(s) on first use",
        after.compiles - before.compiles
    );
    assert_eq!(dispatches, 1, "the fused chain must be one dispatch");
    let before = gpu.stats().dispatches;
    let yu = unfused(gpu, a, b);
    let unfused_dispatches = gpu.stats().dispatches - before;
    println!("unfused chain: {unfused_dispatches} dispatches");
    assert_eq!(
        unfused_dispatches, 5,
        "the unfused chain is five dispatches"
    );

    let y = y.to_host().expect("download fused");
    let y = y.as_slice::<f32>().expect("f32");
    let yu = yu.to_host().expect("download unfused");
    let yu = yu.as_slice::<f32>().expect("f32");
    raw.copy(gpu);
    let copied = read_back(gpu, &raw.copy_dst);
    raw.scalar.run(gpu);
    let scalar = read_back(gpu, &raw.kernel_dst);
    raw.kernel(gpu);
    let kernel = read_back(gpu, &raw.kernel_dst);
    for i in probes() {
        let want = chain_cpu(ha[i], hb[i]);
        assert!(close(y[i], want), "fused [{i}]: {} != {want}", y[i]);
        assert!(close(yu[i], want), "unfused [{i}]: {} != {want}", yu[i]);
        assert!(copied[i] == ha[i], "copy [{i}]");
        let want = ha[i] * 2.0 + 1.0;
        assert!(close(scalar[i], want), "scalar [{i}]");
        assert!(
            close(kernel[i], want),
            "vec4 [{i}]: {} != {want}",
            kernel[i]
        );
    }

    let s = sum(gpu, a).to_host().expect("download sum");
    let s = s.as_slice::<f32>().expect("f32")[0] as f64;
    let want: f64 = ha.iter().map(|&x| x as f64).sum();
    let scale: f64 = ha.iter().map(|&x| x.abs() as f64).sum();
    assert!(
        (s - want).abs() <= 1e-5 * scale,
        "sum: {s} != {want} (scale {scale})"
    );
    println!(
        "results checked against the CPU (fused, unfused, copy, vec4 and scalar kernels, sum)"
    );
}

fn bench(c: &mut Criterion, gpu: &Gpu, a: &GpuArray, b: &GpuArray, raw: &Raw) {
    let mut group = c.benchmark_group("elementwise_16Mi_f32");
    // One iteration takes tens of milliseconds on a software driver: no linear ramp.
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Bytes(3 * BYTES));
    group.bench_function("fused 5 ops, eval (2 reads + 1 write)", |bch| {
        bch.iter(|| fused(gpu, black_box(a), black_box(b)))
    });
    group.bench_function("unfused 5 ops, 5 evals (same logical bytes)", |bch| {
        bch.iter(|| unfused(gpu, black_box(a), black_box(b)))
    });
    group.throughput(Throughput::Bytes(2 * BYTES));
    group.bench_function("raw copy_buffer_to_buffer (read + write)", |bch| {
        bch.iter(|| raw.copy(gpu))
    });
    group.bench_function("raw vec4 kernel a*2+1 (read + write)", |bch| {
        bch.iter(|| raw.kernel(gpu))
    });
    group.throughput(Throughput::Bytes(BYTES));
    group.bench_function("sum(None) (read)", |bch| {
        bch.iter(|| sum(gpu, black_box(a)))
    });
    group.finish();
}

/// Medians of `SUMMARY_ITERS` timings of each case, run round-robin.
fn medians(cases: &mut [&mut dyn FnMut()]) -> Vec<Duration> {
    interleaved(SUMMARY_ITERS, cases)
        .into_iter()
        .map(Duration::from_secs_f64)
        .collect()
}

fn gb_s(bytes: u64, t: Duration) -> f64 {
    bytes as f64 / t.as_secs_f64() / 1e9
}

fn summary(gpu: &Gpu, a: &GpuArray, b: &GpuArray, raw: &Raw) {
    println!(
        "\n=== summary: medians of {SUMMARY_ITERS} interleaved iterations, same run, same adapter ==="
    );
    println!("adapter: {}", gpu.info());
    let t = medians(&mut [
        &mut || drop(black_box(fused(gpu, a, b))),
        &mut || drop(black_box(unfused(gpu, a, b))),
        &mut || raw.copy(gpu),
        &mut || raw.kernel(gpu),
        &mut || drop(black_box(sum(gpu, a))),
        &mut || raw.scalar.run(gpu),
    ]);
    let (t_fused, t_unfused, t_copy, t_kernel, t_sum, t_scalar) =
        (t[0], t[1], t[2], t[3], t[4], t[5]);
    println!(
        "  {:<44} {:>9} {:>13} {:>9}",
        "16 Mi f32 (64 MiB per array)", "time", "bytes moved", "GB/s"
    );
    let line = |what: &str, bytes: u64, t: Duration| {
        println!(
            "  {what:<44} {:>6.2} ms {:>9} MiB {:>9.2}",
            t.as_secs_f64() * 1e3,
            bytes >> 20,
            gb_s(bytes, t)
        );
    };
    line("fused 5 ops, one dispatch (2 R + 1 W)", 3 * BYTES, t_fused);
    line(
        "unfused 5 ops, 5 dispatches (same 2 R + 1 W)",
        3 * BYTES,
        t_unfused,
    );
    line("(a) raw copy_buffer_to_buffer (R + W)", 2 * BYTES, t_copy);
    line("(b) raw vec4 kernel a*2+1 (R + W)", 2 * BYTES, t_kernel);
    line(
        "(raw scalar kernel a*2+1, one f32 each)",
        2 * BYTES,
        t_scalar,
    );
    line("sum(None) (R)", BYTES, t_sum);
    line("(copy, counting its read only)", BYTES, t_copy);
    let fused_bw = gb_s(3 * BYTES, t_fused);
    println!(
        "  ratio = {:.2}  (a: fused / copy effective bandwidth; goal >= 0.85 on a real GPU)",
        fused_bw / gb_s(2 * BYTES, t_copy)
    );
    println!(
        "  ratio = {:.2}  (b: fused / hand-written vec4 kernel effective bandwidth; goal >= 0.90)",
        fused_bw / gb_s(2 * BYTES, t_kernel)
    );
    println!(
        "  ratio = {:.2}  (fused / raw scalar kernel effective bandwidth; diagnostic)",
        fused_bw / gb_s(2 * BYTES, t_scalar)
    );
    println!(
        "  ratio = {:.2}  (fused speed-up: unfused time / fused time)",
        t_unfused.as_secs_f64() / t_fused.as_secs_f64()
    );
    println!(
        "  ratio = {:.2}  (sum / copy read bandwidth)",
        gb_s(BYTES, t_sum) / gb_s(BYTES, t_copy)
    );
    println!("gpu stats: {}", gpu.stats());
}

fn main() {
    let gpu = Gpu::new().expect("no GPU adapter (install mesa-vulkan-drivers for lavapipe)");
    println!("adapter: {}", gpu.info());
    let host = inputs();
    let upload = |x: &[f32]| {
        gpu.upload(&View::from_slice(x, &[N]).expect("view"))
            .expect("upload")
    };
    let (a, b) = (upload(&host.0), upload(&host.1));
    let raw = Raw::new(&gpu, &host.0);
    sync(&gpu);
    check(&gpu, &a, &b, &host, &raw);

    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    bench(&mut c, &gpu, &a, &b, &raw);
    c.final_summary();

    summary(&gpu, &a, &b, &raw);
}

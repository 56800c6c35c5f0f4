//! `cargo bench --bench fft`: gpuarray's FFT against rustfft (f32, one thread) on this machine,
//! printed as tables. On a machine without a GPU this measures Mesa's software drivers
//! (lavapipe by default, llvmpipe with `WGPU_BACKEND=gl`): CPU code either way.
//!
//! GPU times are wall-clock from the call to the end of the GPU work (`Gpu::sync`), data
//! already on the GPU, plans and pipelines warmed up; best of a few runs. "GB/s" counts the bytes
//! every pass through global memory reads and writes (complex64: 8 bytes, float32: 4).
//!
//! `FFT_BENCH=main` prints the four main cases only (a quick comparison of kernel changes);
//! `FFT_BENCH=device` the device script's cases; `FFT_BENCH=primes` the primes and prime
//! factors beside their smooth neighbours only, `FFT_ROUNDS` (default 5) rounds of every case
//! interleaved, and the median ratio (a noisy machine moves the rounds together, not the ratio).
//!
//! Also writes `target/bench/fft.svg`: ns per N·log2 N over N = 2^10…2^22 and some lengths
//! that are not powers of two (primes among them), gpuarray against rustfft.

use std::time::{Duration, Instant};

use gpuarray::fft::{self, Norm};
use gpuarray::{Gpu, GpuArray, View};
use num_complex::Complex32;
use plotters::prelude::*;
use rustfft::FftPlanner;

fn best<T>(reps: usize, mut f: impl FnMut() -> T) -> Duration {
    f(); // warm-up: plans, pipelines, buffers
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap()
}

fn gpu_time(gpu: &Gpu, reps: usize, f: impl Fn() -> GpuArray) -> Duration {
    best(reps, || {
        let out = f();
        // Work is recorded into a batch (src/gpu/dispatch.rs): submit it and wait for the end.
        gpu.sync().unwrap();
        out
    })
}

fn data(n: usize) -> Vec<Complex32> {
    (0..n)
        .map(|i| Complex32::new((i % 7) as f32 - 3.0, (i % 5) as f32 * 0.5))
        .collect()
}

/// rustfft along the rows of `[rows, n]`, then (2-D) along the columns by transposing.
fn cpu_fft(x: &mut [Complex32], rows: usize, n: usize, two_d: bool) {
    let mut planner = FftPlanner::<f32>::new();
    planner.plan_fft_forward(n).process(x);
    if two_d {
        let mut t = vec![Complex32::default(); x.len()];
        transpose(x, &mut t, rows, n);
        planner.plan_fft_forward(rows).process(&mut t);
        transpose(&t, x, n, rows);
    }
}

fn transpose(a: &[Complex32], b: &mut [Complex32], rows: usize, cols: usize) {
    for r in 0..rows {
        for c in 0..cols {
            b[c * rows + r] = a[r * cols + c];
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// `FFT_BENCH=device`: only the cases of `benches/device/fft.sh` (2048², 4096², 4096 × 1024,
/// 2^24, forward C2C), as `case,ms` lines for that script to join with torch and CuPy.
fn device_cases(gpu: &Gpu) {
    for (name, shape) in [
        ("2048^2", vec![2048, 2048]),
        ("4096^2", vec![4096, 4096]),
        ("4096x1024", vec![1024, 4096]),
        ("2^24", vec![1 << 24]),
    ] {
        let x = data(shape.iter().product());
        let a = gpu.upload(&View::from_slice(&x, &shape).unwrap()).unwrap();
        let t = if shape.len() == 2 && shape[0] == shape[1] {
            gpu_time(gpu, 10, || {
                fft::fft2(&a, None, None, Norm::Backward).unwrap()
            })
        } else {
            gpu_time(gpu, 10, || fft::fft(&a, None, -1, Norm::Backward).unwrap())
        };
        println!("{name},{:.3}", ms(t));
    }
}

/// The (smooth neighbour, prime, rows) cases of the prime table. 1009, 2003 (2002 = 2·7·11·13),
/// 4051 and 4093 (4092 = 4·3·11·31): the fused kernel on a cyclic convolution of p − 1 points;
/// 4099: six dispatches (a padded convolution of 8208). Composite lengths with a prime factor
/// above 31 (2018 = 2·1009, 3093 = 3·1031, 4036 = 4·1009, 8186 = 2·4093): a Stockham pass of
/// the smooth factor, then Rader's plan (`src/gpu/fft/split.rs`), beside smooth neighbours.
const PRIMES: [(usize, usize, usize); 11] = [
    (1000, 1009, 1024),
    (2000, 2003, 512),
    (4050, 4051, 256),
    (4096, 4093, 256),
    (4096, 4099, 256),
    (2000, 2018, 512),
    (2016, 2018, 512),
    (3000, 3093, 256),
    (3072, 3093, 256),
    (4050, 4036, 256),
    (8192, 8186, 128),
];

/// The prime table of the full run: GPU and rustfft times, each prime beside its neighbour.
fn prime_lengths(gpu: &Gpu) {
    println!(
        "\nPrime lengths and prime factors (Rader) beside smooth neighbours, 1-D C2C:\n\n\
         | case | GPU ms | rustfft ms | GPU / rustfft | GPU / smooth neighbour |\n\
         |---|---:|---:|---:|---:|"
    );
    for (smooth, prime, rows) in PRIMES {
        let mut neighbour = Duration::ZERO;
        for n in [smooth, prime] {
            let x = data(rows * n);
            let a = gpu
                .upload(&View::from_slice(&x, &[rows, n]).unwrap())
                .unwrap();
            let t = gpu_time(gpu, 4, || fft::fft(&a, None, -1, Norm::Backward).unwrap());
            let cpu = best(3, || cpu_fft(&mut x.clone(), rows, n, false));
            if n == smooth {
                neighbour = t;
            }
            println!(
                "| C2C 1-D {n} × {rows} | {:.1} | {:.1} | {:.2} | {:.2} |",
                ms(t),
                ms(cpu),
                t.as_secs_f64() / cpu.as_secs_f64(),
                t.as_secs_f64() / neighbour.as_secs_f64()
            );
        }
    }
}

/// `FFT_BENCH=primes`: each prime against its smooth neighbour, GPU only, in `FFT_ROUNDS`
/// rounds that visit every case in turn; the medians of each length's time and of the ratio.
fn prime_rounds(gpu: &Gpu) {
    let rounds: usize = std::env::var("FFT_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let arrays: Vec<[GpuArray; 2]> = PRIMES
        .iter()
        .map(|&(smooth, prime, rows)| {
            [smooth, prime].map(|n| {
                gpu.upload(&View::from_slice(&data(rows * n), &[rows, n]).unwrap())
                    .unwrap()
            })
        })
        .collect();
    // times[case] = (smooth, prime) per round.
    let mut times = vec![Vec::new(); PRIMES.len()];
    for _ in 0..rounds {
        for (case, pair) in arrays.iter().enumerate() {
            let [s, p] = pair
                .each_ref()
                .map(|a| gpu_time(gpu, 3, || fft::fft(a, None, -1, Norm::Backward).unwrap()));
            times[case].push((ms(s), ms(p)));
        }
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "\nPrimes beside smooth neighbours, 1-D C2C, medians of {rounds} interleaved rounds:\n\n\
         | case | smooth ms | prime ms | prime / smooth | per round |\n\
         |---|---:|---:|---:|---|"
    );
    for (&(smooth, prime, rows), t) in PRIMES.iter().zip(&times) {
        let ratios: Vec<f64> = t.iter().map(|(s, p)| p / s).collect();
        let each: Vec<String> = ratios.iter().map(|r| format!("{r:.2}")).collect();
        println!(
            "| {prime} / {smooth} × {rows} | {:.1} | {:.1} | {:.2} | {} |",
            median(t.iter().map(|v| v.0).collect()),
            median(t.iter().map(|v| v.1).collect()),
            median(ratios),
            each.join(" ")
        );
    }
}

fn main() {
    let gpu = Gpu::new().expect("an adapter");
    println!("adapter: {}", gpu.info());
    if std::env::var("FFT_BENCH").as_deref() == Ok("device") {
        return device_cases(&gpu);
    }
    if std::env::var("FFT_BENCH").as_deref() == Ok("primes") {
        return prime_rounds(&gpu);
    }
    println!("CPU baseline: rustfft 6, f32, one thread\n");
    println!(
        "| case | GPU ms | passes | GB/s | rustfft ms | GPU / rustfft |\n\
         |---|---:|---:|---:|---:|---:|"
    );
    let upload = |x: &[Complex32], shape: &[usize]| {
        gpu.upload(&View::from_slice(x, shape).unwrap()).unwrap()
    };
    let row = |name: &str, t: Duration, passes: usize, bytes: f64, cpu: Duration| {
        println!(
            "| {name} | {:.1} | {passes} | {:.2} | {:.1} | {:.2} |",
            ms(t),
            bytes / t.as_secs_f64() / 1e9,
            ms(cpu),
            t.as_secs_f64() / cpu.as_secs_f64()
        );
    };

    // 1-D batched: 1024 transforms of 4096 points (one pass in workgroup memory).
    let (rows, n) = (1024, 4096);
    let x = data(rows * n);
    let a = upload(&x, &[rows, n]);
    let t = gpu_time(&gpu, 5, || fft::fft(&a, None, -1, Norm::Backward).unwrap());
    let cpu = best(3, || cpu_fft(&mut x.clone(), rows, n, false));
    row("C2C 1-D 4096 × 1024", t, 1, 16.0 * (rows * n) as f64, cpu);

    // 1-D 2^20 (four-step: two passes).
    let n = 1 << 20;
    let x = data(n);
    let a = upload(&x, &[n]);
    let t = gpu_time(&gpu, 5, || fft::fft(&a, None, -1, Norm::Backward).unwrap());
    let cpu = best(3, || cpu_fft(&mut x.clone(), 1, n, false));
    row("C2C 1-D 2^20", t, 2, 2.0 * 16.0 * n as f64, cpu);

    // 2-D 2048²: one pass per axis (axis 0 read and written with stride 2048).
    let n = 2048;
    let x = data(n * n);
    let a = upload(&x, &[n, n]);
    let t = gpu_time(&gpu, 3, || {
        fft::fft2(&a, None, None, Norm::Backward).unwrap()
    });
    let cpu = best(2, || cpu_fft(&mut x.clone(), n, n, true));
    row("C2C 2-D 2048²", t, 2, 2.0 * 16.0 * (n * n) as f64, cpu);

    // R2C 2-D 2048²: half-length rows (f32 in, 1024 complex out), split pass (to 1025),
    // columns. The baseline is rustfft's C2C of the same data (rustfft has no R2C).
    let real: Vec<f32> = x.iter().map(|z| z.re).collect();
    let r = gpu
        .upload(&View::from_slice(&real, &[n, n]).unwrap())
        .unwrap();
    let t = gpu_time(&gpu, 3, || {
        fft::rfft2(&r, None, None, Norm::Backward).unwrap()
    });
    let half = (n * n) as f64 * 4.0;
    let spec = (n * (n / 2 + 1)) as f64 * 8.0;
    row(
        "R2C 2-D 2048² (rustfft: C2C)",
        t,
        3,
        2.0 * half + (half + spec) + 2.0 * spec,
        cpu,
    );

    if std::env::var("FFT_BENCH").as_deref() == Ok("main") {
        return; // `FFT_BENCH=main`: the four cases above only (quick kernel comparisons).
    }

    prime_lengths(&gpu);

    println!(
        "\n1-D C2C over N, batched to 2^20 points in all (batch = max(1, 2^20 / N)):\n\n\
         | N | batch | GPU ms | GPU ns / (batch·N·log2 N) | rustfft ms | rustfft ns / (batch·N·log2 N) |\n\
         |---:|---:|---:|---:|---:|---:|"
    );
    // (N, GPU ns, rustfft ns) per N·log2 N: powers of two, then other lengths.
    let mut powers = Vec::new();
    let mut others = Vec::new();
    let lengths = (10..=22).map(|log| 1usize << log).chain([
        1000, 1009, 2018, 3000, 3093, 4093, 4099, 10000, 65537, 100000, 1000000,
    ]);
    for n in lengths {
        let batch = ((1 << 20) / n).max(1);
        let x = data(batch * n);
        let a = upload(&x, &[batch, n]);
        let reps = if n >= 1 << 21 { 2 } else { 4 };
        let t = gpu_time(&gpu, reps, || {
            fft::fft(&a, None, -1, Norm::Backward).unwrap()
        });
        let cpu = best(reps, || cpu_fft(&mut x.clone(), batch, n, false));
        let work = batch as f64 * n as f64 * (n as f64).log2();
        let per = |d: Duration| d.as_secs_f64() * 1e9 / work;
        let name = if n.is_power_of_two() {
            format!("2^{}", n.trailing_zeros())
        } else {
            n.to_string()
        };
        println!(
            "| {name} | {batch} | {:.1} | {:.3} | {:.1} | {:.3} |",
            ms(t),
            per(t),
            ms(cpu),
            per(cpu)
        );
        let point = (n as f64, per(t), per(cpu));
        if n.is_power_of_two() {
            powers.push(point);
        } else {
            others.push(point);
        }
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench/fft.svg");
    let adapter = format!("{} ({:?})", gpu.info().name, gpu.info().backend);
    match chart(&path, &adapter, &powers, &others) {
        Ok(()) => println!("\nchart: {}", path.display()),
        Err(e) => println!("\nchart not written ({}): {e}", path.display()),
    }
}

/// A chart point: N, then GPU and rustfft ns per N·log2 N.
type Point = (f64, f64, f64);

/// The ns per N·log2 N chart: lines through the powers of two, marks at the other lengths.
fn chart(
    path: &std::path::Path,
    adapter: &str,
    powers: &[Point],
    others: &[Point],
) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(path.parent().expect("a file in a folder"))?;
    let all = powers.iter().chain(others);
    let top = all.clone().map(|p| p.1.max(p.2)).fold(0.0, f64::max) * 1.1;
    let (left, right) = all
        .map(|p| p.0)
        .fold((f64::MAX, 0.0f64), |(a, b), n| (a.min(n), b.max(n)));
    let root = SVGBackend::new(path, (900, 560)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "1-D C2C FFT, f32, batched to 2^20 points: ns per N·log2 N",
            ("sans-serif", 20),
        )
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d((left * 0.8..right * 1.25).log_scale(), 0.0..top)?;
    chart
        .configure_mesh()
        .x_desc(format!("N (on {adapter})"))
        .y_desc("ns / (batch·N·log2 N)")
        .draw()?;
    for (name, colour, cpu) in [("gpuarray", BLUE, false), ("rustfft (1 thread)", RED, true)] {
        // The measurement of a point this series plots.
        let pick = move |p: &Point| (p.0, if cpu { p.2 } else { p.1 });
        chart
            .draw_series(LineSeries::new(
                powers.iter().map(pick),
                colour.stroke_width(2),
            ))?
            .label(format!("{name}, N = 2^k"))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour));
        chart
            .draw_series(
                others
                    .iter()
                    .map(|p| Circle::new(pick(p), 4, colour.filled())),
            )?
            .label(format!("{name}, other N (1000, primes, 10^k, ...)"))
            .legend(move |(x, y)| Circle::new((x + 10, y), 4, colour.filled()));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

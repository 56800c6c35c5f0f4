//! `cargo bench --bench media`: audio and video throughput on this machine, printed as tables.
//!
//! - Audio: the STFT (n_fft 2048, hop 512, Hann, centred) of `GPUARRAY_BENCH_MINUTES` (default
//!   10) minutes of 48 kHz stereo, on the GPU (signal already uploaded, frames transformed in
//!   blocks that fit one storage binding, each block's spectrum computed to the end of the GPU
//!   work) against rustfft (f32 complex FFT per frame, one thread) on the CPU, same run.
//! - Video: frames/s of 1920×1080 rgb24 through blur σ=2 with `gpuarray::media::video::run`,
//!   overlapped (upload, compute and download on three threads) against serial, from memory
//!   to memory; and `ffmpeg -vf gblur=sigma=2` on the same raw frames (pipe in, pipe out).
//!
//! On a machine without a GPU this measures Mesa's software drivers (CPU code either way).

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Instant;

use gpuarray::filters::Border;
use gpuarray::media::audio::Stft;
use gpuarray::media::video::{self, FrameReader, FrameWriter, Pipeline, PixFmt, StreamOptions};
use gpuarray::{Gpu, View};
use num_complex::Complex32;
use rustfft::FftPlanner;

fn main() {
    let gpu = Gpu::new().expect("a GPU adapter");
    println!("adapter: {}", gpu.info());
    audio(&gpu);
    video(&gpu);
}

fn audio(gpu: &Gpu) {
    let minutes: f64 = std::env::var("GPUARRAY_BENCH_MINUTES")
        .ok()
        .and_then(|m| m.parse().ok())
        .unwrap_or(10.0);
    let (rate, channels) = (48_000usize, 2usize);
    let len = (minutes * 60.0 * rate as f64) as usize;
    let x: Vec<f32> = (0..channels * len)
        .map(|i| ((i as f64 * 0.001).sin() * 0.5 + ((i * 7919) % 1000) as f64 * 1e-4) as f32)
        .collect();
    let stft = Stft::new(2048, 512).unwrap();
    let frames = stft.frames(len);
    let signal = gpu
        .upload(&View::from_slice(&x, &[channels, len]).unwrap())
        .unwrap();
    // Blocks of frames whose framed signal (f32) fits 64 MiB.
    let block = ((64 << 20) / (4 * 2048 * channels)).max(1);
    let run_gpu = |frames: usize| {
        let mut start = 0;
        while start < frames {
            let end = (start + block).min(frames);
            let spectrum = stft.forward_range(&signal, start..end).unwrap();
            spectrum.eval().unwrap();
            start = end;
        }
        gpu.device()
            .poll(wgpu::PollType::wait_indefinitely())
            .unwrap();
    };
    run_gpu(block.min(frames)); // warm-up: pipelines, plans, buffers
    let t = Instant::now();
    run_gpu(frames);
    let gpu_s = t.elapsed().as_secs_f64();

    let window = stft.window_values();
    let fft = FftPlanner::<f32>::new().plan_fft_forward(2048);
    let t = Instant::now();
    let mut buf = vec![Complex32::default(); 2048];
    let mut checksum = 0.0f32;
    for c in 0..channels {
        let xc = &x[c * len..(c + 1) * len];
        for f in 0..frames {
            for (k, slot) in buf.iter_mut().enumerate() {
                let j = (f * 512 + k) as isize - 1024;
                let v = if j >= 0 && (j as usize) < len {
                    xc[j as usize]
                } else {
                    0.0
                };
                *slot = Complex32::new(v * window[k], 0.0);
            }
            fft.process(&mut buf);
            checksum += buf[1].re;
        }
    }
    let cpu_s = t.elapsed().as_secs_f64();
    std::hint::black_box(checksum);
    let mb = (channels * len * 4) as f64 / 1e6;
    println!(
        "\nSTFT of {minutes} min of 48 kHz stereo (n_fft 2048, hop 512): {frames} frames × {channels} channels"
    );
    println!("| implementation | seconds | × real time | MB/s of signal |");
    println!("| --- | ---: | ---: | ---: |");
    for (name, s) in [
        ("gpuarray (GPU)", gpu_s),
        ("rustfft (CPU, 1 thread)", cpu_s),
    ] {
        println!(
            "| {name} | {s:.2} | {:.1} | {:.1} |",
            minutes * 60.0 / s,
            mb / s
        );
    }
}

fn video(gpu: &Gpu) {
    let (w, h) = (1920usize, 1080usize);
    let n: usize = std::env::var("GPUARRAY_BENCH_FRAMES")
        .ok()
        .and_then(|m| m.parse().ok())
        .unwrap_or(12);
    let source = format!("testsrc2=size={w}x{h}:rate=30");
    let raw = Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            &source,
            "-frames:v",
            &n.to_string(),
        ])
        .args(["-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .output()
        .expect("ffmpeg (.ci/install installs it)")
        .stdout;
    assert_eq!(raw.len(), w * h * 3 * n);
    let ours = |overlapped: bool| {
        let reader = FrameReader::raw(raw.as_slice(), w, h, PixFmt::Rgb24);
        let writer = FrameWriter::raw(Vec::with_capacity(raw.len()));
        let mut pipeline = Pipeline::new(vec!["blur:sigma=2".parse().unwrap()], Border::Clamp);
        let options = StreamOptions {
            overlapped,
            ..Default::default()
        };
        let t = Instant::now();
        let (frames, _) = video::run(gpu, reader, writer, &mut pipeline, options).unwrap();
        assert_eq!(frames, n);
        n as f64 / t.elapsed().as_secs_f64()
    };
    ours(true); // warm-up: pipelines
    let overlapped = ours(true);
    let serial = ours(false);
    let ffmpeg = {
        let t = Instant::now();
        let mut child = Command::new("ffmpeg")
            .args([
                "-v",
                "error",
                "-f",
                "rawvideo",
                "-pix_fmt",
                "rgb24",
                "-s",
                &format!("{w}x{h}"),
            ])
            .args(["-i", "-", "-vf", "gblur=sigma=2", "-f", "rawvideo", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("ffmpeg");
        let mut stdin = child.stdin.take().unwrap();
        let data = raw.clone();
        let feeder = std::thread::spawn(move || stdin.write_all(&data));
        let out = child.wait_with_output().unwrap();
        feeder.join().unwrap().unwrap();
        assert_eq!(out.stdout.len(), raw.len());
        n as f64 / t.elapsed().as_secs_f64()
    };
    println!(
        "\n{n} frames of {w}×{h} rgb24 through blur σ=2 (memory to memory; ffmpeg: pipe to pipe)"
    );
    println!("| pipeline | frames/s |");
    println!("| --- | ---: |");
    println!("| gpuarray video, overlapped | {overlapped:.2} |");
    println!("| gpuarray video, serial | {serial:.2} |");
    println!("| ffmpeg -vf gblur=sigma=2 | {ffmpeg:.2} |");
}

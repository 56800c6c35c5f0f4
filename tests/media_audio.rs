//! Audio: WAV/FLAC/MP3/Ogg samples as views (against the files sox and ffmpeg write), and every
//! GPU operation of `media::audio` against a CPU reference in f64 (rustfft), on real speech made
//! by espeak-ng (testdata/speech.wav) and on random signals.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Rng, gpu, up};
use gpuarray::media::audio::{
    self, Audio, Band, Denoise, Level, SampleFormat, Scale, Stft, Window,
};
use gpuarray::{Dtype, GpuArray};
use num_complex::Complex64;
use rustfft::FftPlanner;

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name)
}

/// A fresh directory for one test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gpuarray-media-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs a program (sox, ffmpeg) that the test needs; a missing one fails the test.
fn run(program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} is needed (.ci/install installs it): {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The speech as f64 in full-scale units, and its sample rate.
fn speech() -> (Vec<f64>, u32) {
    let a = Audio::open(testdata("speech.wav")).unwrap();
    let v = a.view().astype(Dtype::F64).unwrap();
    let s = v
        .as_slice::<f64>()
        .unwrap()
        .iter()
        .map(|x| x / 32768.0)
        .collect();
    (s, a.sample_rate())
}

fn host(a: &GpuArray) -> Vec<f64> {
    common::values(a)
}

fn rms(v: &[f64]) -> f64 {
    (v.iter().map(|x| x * x).sum::<f64>() / v.len() as f64).sqrt()
}

// ---- Views of decoded samples ----

#[test]
fn wav_is_an_interleaved_view_in_the_files_sample_type() {
    let a = Audio::open(testdata("speech.wav")).unwrap();
    assert_eq!(a.sample_rate(), 22050);
    assert_eq!((a.frames(), a.channels()), (97583, 1));
    assert_eq!(a.format(), SampleFormat::S16);
    let v = a.view();
    assert_eq!(v.shape(), [97583, 1]);
    assert_eq!(v.dtype(), Some(Dtype::I16));
    assert!(!a.is_planar());
}

#[test]
fn every_wav_sample_format_reads_and_writes_back_bit_exact() {
    let dir = scratch("wav-formats");
    let (reference, _) = speech();
    let src = testdata("speech.wav");
    // sox converts without dither (-D): 24- and 32-bit integers and floats hold the 16-bit
    // samples exactly; 8 bits round them (one step of 1/128 at most).
    let cases: &[(&str, &[&str], SampleFormat, f64)] = &[
        (
            "u8.wav",
            &["-b", "8", "-e", "unsigned-integer"],
            SampleFormat::S8,
            1.0 / 128.0,
        ),
        ("s24.wav", &["-b", "24"], SampleFormat::S24, 0.0),
        (
            "s32.wav",
            &["-b", "32", "-e", "signed-integer"],
            SampleFormat::S32,
            0.0,
        ),
        (
            "f32.wav",
            &["-b", "32", "-e", "floating-point"],
            SampleFormat::F32,
            0.0,
        ),
        ("stereo.wav", &["-c", "2"], SampleFormat::S16, 0.0),
    ];
    for &(name, args, format, tolerance) in cases {
        let path = dir.join(name);
        let mut sox: Vec<&str> = vec!["-D", src.to_str().unwrap()];
        sox.extend(args);
        sox.push(path.to_str().unwrap());
        run("sox", &sox);
        let a = Audio::open(&path).unwrap();
        assert_eq!(a.format(), format, "{name}");
        let channels = a.channels();
        assert_eq!(a.view().shape(), [reference.len(), channels], "{name}");
        // On the GPU, [channels, frames] in full-scale units.
        let x = host(&a.upload(gpu()).unwrap());
        for c in 0..channels {
            for (i, want) in reference.iter().enumerate() {
                let got = x[c * reference.len() + i];
                assert!(
                    (got - want).abs() <= tolerance + 1e-7,
                    "{name} [{c}, {i}]: {got} vs {want}"
                );
            }
        }
        // Written back, the same bytes of samples; through the GPU, the same samples.
        let again = dir.join(format!("again-{name}"));
        a.write_wav(std::fs::File::create(&again).unwrap()).unwrap();
        assert_eq!(Audio::open(&again).unwrap(), a, "{name}");
        let through = Audio::from_gpu(&a.upload(gpu()).unwrap(), a.sample_rate(), format).unwrap();
        assert_eq!(through, a, "{name}");
    }
}

#[test]
fn flac_decodes_to_the_wav_samples_and_hands_out_the_decoders_buffers() {
    let (reference, rate) = speech();
    let a = Audio::open(testdata("speech.flac")).unwrap();
    assert!(a.is_planar());
    assert_eq!(
        (a.sample_rate(), a.channels(), a.format()),
        (rate, 1, SampleFormat::S16)
    );
    let v = a.view().to_vec::<f32>().unwrap();
    assert_eq!(v.len(), reference.len());
    for (i, (g, w)) in v.iter().zip(&reference).enumerate() {
        assert!((*g as f64 - w).abs() < 1e-7, "[{i}] {g} vs {w}");
    }
    // Packet by packet, views of the decoder's own planes.
    let (mut frames, mut first) = (0, None);
    audio::decode_blocks(testdata("speech.flac"), |block| {
        assert_eq!(block.planes.len(), 1);
        assert_eq!(block.sample_rate, rate);
        frames += block.planes[0].len();
        first.get_or_insert(block.planes[0].dtype());
        Ok(())
    })
    .unwrap();
    assert_eq!(frames, reference.len());
    assert!(first.flatten().is_some());
}

/// The lag (within ±`max_lag`) at which `b` best matches `a`, and the normalised correlation.
fn best_match(a: &[f64], b: &[f64], max_lag: usize) -> (isize, f64) {
    let window = 22050.min(a.len() - 2 * max_lag);
    let start = max_lag + 10000.min(a.len() - window - 2 * max_lag);
    let seg = &a[start..start + window];
    let ea = seg.iter().map(|x| x * x).sum::<f64>().sqrt();
    let mut best = (0, -1.0);
    for lag in -(max_lag as isize)..=max_lag as isize {
        let s = (start as isize + lag) as usize;
        if s + window > b.len() {
            continue;
        }
        let other = &b[s..s + window];
        let eb = other.iter().map(|x| x * x).sum::<f64>().sqrt();
        let dot: f64 = seg.iter().zip(other).map(|(x, y)| x * y).sum();
        let r = dot / (ea * eb).max(1e-30);
        if r > best.1 {
            best = (lag, r);
        }
    }
    best
}

#[test]
fn mp3_and_ogg_vorbis_made_by_ffmpeg_decode_to_the_speech() {
    let dir = scratch("lossy");
    let (reference, rate) = speech();
    for (name, codec, quality) in [
        ("speech.mp3", "libmp3lame", ["-b:a", "128k"]),
        ("speech.ogg", "libvorbis", ["-q:a", "6"]),
    ] {
        let path = dir.join(name);
        let src = testdata("speech.wav");
        let mut args = vec![
            "-v",
            "error",
            "-y",
            "-i",
            src.to_str().unwrap(),
            "-c:a",
            codec,
        ];
        let path_text = path.to_str().unwrap().to_string();
        args.extend(quality);
        args.push(&path_text);
        run("ffmpeg", &args);
        let a = Audio::open(&path).unwrap();
        assert_eq!((a.sample_rate(), a.channels()), (rate, 1), "{name}");
        // Lossy codecs: the same speech, maybe shifted by the encoder's delay (at most one
        // MP3 frame of 1152 samples), correlating above 0.98 with the original.
        let got: Vec<f64> = a
            .view()
            .to_vec::<f32>()
            .unwrap()
            .iter()
            .map(|&x| x as f64)
            .collect();
        assert!(
            got.len().abs_diff(reference.len()) <= 2 * 1152,
            "{name}: {} samples",
            got.len()
        );
        let (lag, r) = best_match(&reference, &got, 1200);
        assert!(r > 0.98, "{name}: correlation {r} at lag {lag}");
    }
}

#[test]
fn truncated_and_corrupt_files_are_errors() {
    let dir = scratch("bad");
    let wav = std::fs::read(testdata("speech.wav")).unwrap();
    let flac = std::fs::read(testdata("speech.flac")).unwrap();
    let cases = [
        ("cut.wav", wav[..wav.len() / 2 + 1].to_vec()),
        ("header.wav", wav[..30].to_vec()),
        ("cut.flac", flac[..flac.len() / 2].to_vec()),
        ("noise.flac", Rng::new(3).bytes(5000)),
        ("empty.wav", vec![]),
    ];
    for (name, bytes) in cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let e = Audio::open(&path).expect_err(name);
        assert!(!e.to_string().is_empty(), "{name}");
    }
    let e = Audio::open(dir.join("cut.wav")).unwrap_err().to_string();
    assert!(e.contains("truncated"), "{e}");
}

// ---- STFT, ISTFT, spectrograms ----

/// The STFT in f64 on the CPU, by the definition: frames of `x` (zero outside) starting at
/// `t·hop − pad`, times the window zero-padded to n_fft and centred, through rustfft.
fn stft_reference(x: &[f64], stft: &Stft, center: bool) -> Vec<Vec<Complex64>> {
    let n = stft.n_fft();
    let pad = if center { n / 2 } else { 0 };
    let window: Vec<f64> = stft.window_values().iter().map(|&w| w as f64).collect();
    let fft = FftPlanner::new().plan_fft_forward(n);
    (0..stft.frames(x.len()))
        .map(|t| {
            let mut buf: Vec<Complex64> = (0..n)
                .map(|k| {
                    let j = (t * stft.hop() + k) as isize - pad as isize;
                    let v = if j >= 0 && (j as usize) < x.len() {
                        x[j as usize]
                    } else {
                        0.0
                    };
                    Complex64::new(v * window[k], 0.0)
                })
                .collect();
            fft.process(&mut buf);
            buf.truncate(n / 2 + 1);
            buf
        })
        .collect()
}

fn random_signal(seed: u64, channels: usize, len: usize) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    (0..channels * len)
        .map(|_| rng.f64(-1.0, 1.0) as f32)
        .collect()
}

#[test]
fn stft_matches_rustfft_in_f64() {
    let (channels, len) = (2, 5001);
    let x = random_signal(1, channels, len);
    let cases = [
        (Stft::new(512, 128).unwrap(), true),
        (
            Stft::new(400, 160)
                .unwrap()
                .with_window(Window::Hamming, 300)
                .unwrap()
                .with_center(false),
            false,
        ),
        (
            Stft::new(300, 75)
                .unwrap()
                .with_window(Window::Rectangular, 300)
                .unwrap(),
            true,
        ),
    ];
    for (stft, center) in cases {
        let got = stft.forward(&up(&x, &[channels, len])).unwrap();
        let frames = stft.frames(len);
        assert_eq!(got.shape(), [channels, frames, stft.bins()]);
        let got = got.to_host().unwrap();
        let got = got.as_slice::<num_complex::Complex32>().unwrap();
        for c in 0..channels {
            let xs: Vec<f64> = x[c * len..(c + 1) * len]
                .iter()
                .map(|&v| v as f64)
                .collect();
            let want = stft_reference(&xs, &stft, center);
            let peak = want.iter().flatten().map(|z| z.norm()).fold(0.0, f64::max);
            for (t, row) in want.iter().enumerate() {
                for (k, w) in row.iter().enumerate() {
                    let g = got[(c * frames + t) * stft.bins() + k];
                    let err = (Complex64::new(g.re as f64, g.im as f64) - w).norm();
                    // f32 input and twiddles: about 1e-7 of the peak per butterfly level.
                    assert!(err <= 2e-6 * peak, "{stft:?} [{c}, {t}, {k}]: {g} vs {w}");
                }
            }
        }
    }
}

#[test]
fn stft_in_blocks_of_frames_equals_the_whole() {
    // forward_range frames only the samples its frames cover (how a signal larger than one
    // storage binding is transformed): the blocks together are the whole STFT.
    let (channels, len) = (2, 9000);
    let x = up(&random_signal(5, channels, len), &[channels, len]);
    for stft in [
        Stft::new(512, 128).unwrap(),
        Stft::new(256, 100).unwrap().with_center(false),
    ] {
        let frames = stft.frames(len);
        let whole = common::values(&stft.forward(&x).unwrap().real().unwrap());
        let mut blocks = vec![vec![]; channels];
        for range in [0..1, 1..7, 7..frames - 3, frames - 3..frames] {
            let n = range.len();
            let part = common::values(&stft.forward_range(&x, range).unwrap().real().unwrap());
            for (c, block) in blocks.iter_mut().enumerate() {
                block.extend_from_slice(&part[c * n * stft.bins()..(c + 1) * n * stft.bins()]);
            }
        }
        let blocks = blocks.concat();
        assert_eq!(blocks.len(), whole.len());
        let peak = whole.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for (i, (b, w)) in blocks.iter().zip(&whole).enumerate() {
            // The same arithmetic on the same samples; only the FFT's batch size differs.
            assert!((b - w).abs() <= 1e-6 * peak, "{stft:?} [{i}]: {b} vs {w}");
        }
    }
    assert!(
        Stft::new(512, 128)
            .unwrap()
            .forward_range(&x, 0..1000)
            .is_err()
    );
}

#[test]
fn istft_of_stft_gives_the_speech_back_within_1e_6() {
    let (s, _) = speech();
    let x: Vec<f32> = s.iter().map(|&v| v as f32).collect();
    let xs = up(&x, &[1, x.len()]);
    for (n_fft, hop, window) in [
        (2048, 512, Window::Hann),
        (1024, 256, Window::Hamming),
        (512, 256, Window::Hann),
        (256, 128, Window::Rectangular),
    ] {
        let spec = audio::stft(&xs, n_fft, hop, window).unwrap();
        let back = host(&audio::istft(&spec, n_fft, hop, window, Some(x.len())).unwrap());
        assert_eq!(back.len(), x.len());
        let err: f64 = back
            .iter()
            .zip(&s)
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
            .sqrt();
        let norm: f64 = s.iter().map(|v| v * v).sum::<f64>().sqrt();
        // The issue's bound: ‖ISTFT(STFT(x)) − x‖ / ‖x‖ ≤ 1e-6 (f32 throughout).
        assert!(
            err / norm <= 1e-6,
            "n_fft {n_fft} hop {hop} {window:?}: {}",
            err / norm
        );
    }
}

#[test]
fn spectrogram_power_and_db_match_the_reference() {
    let (s, _) = speech();
    let s = &s[..20000];
    let x: Vec<f32> = s.iter().map(|&v| v as f32).collect();
    let stft = Stft::new(1024, 256).unwrap();
    let want = stft_reference(s, &stft, true);
    let power_want: Vec<f64> = want.iter().flatten().map(|z| z.norm_sqr()).collect();
    let peak = power_want.iter().cloned().fold(0.0, f64::max);
    let xs = up(&x, &[x.len()]);
    let power = host(&audio::spectrogram(&xs, &stft, Scale::Power).unwrap());
    for (i, (g, w)) in power.iter().zip(&power_want).enumerate() {
        // Relative to the peak power: twice the STFT's relative error, plus margin.
        assert!((g - w).abs() <= 1e-5 * peak, "[{i}] {g} vs {w}");
    }
    let db = host(&audio::spectrogram(&xs, &stft, Scale::Db { range: 60.0 }).unwrap());
    let top = 10.0 * peak.log10();
    for (i, (g, w)) in db.iter().zip(&power_want).enumerate() {
        let want = (10.0 * w.max(1e-10).log10()).max(top - 60.0);
        // dB of values ≥ 60 dB below the peak: 1e-5 of the peak is ≤ 0.05 dB there.
        assert!((g - want).abs() <= 0.05, "[{i}] {g} dB vs {want} dB");
    }
}

// ---- Filters ----

/// Amplitude of the tone at `f` Hz in the middle 80 % of `x` (projection on cos and sin).
fn tone_amplitude(x: &[f64], f: f64, rate: f64) -> f64 {
    let (a, b) = (x.len() / 10, x.len() * 9 / 10);
    let (mut c, mut s) = (0.0, 0.0);
    for (i, v) in x.iter().enumerate().take(b).skip(a) {
        let ph = 2.0 * std::f64::consts::PI * f * i as f64 / rate;
        c += v * ph.cos();
        s += v * ph.sin();
    }
    2.0 * (c * c + s * s).sqrt() / (b - a) as f64
}

#[test]
fn filters_stop_tones_by_60_db_and_pass_them_within_0_1_db() {
    let rate = 22050.0;
    let n = 22050;
    let tones = [440.0, 1234.5, 3000.0, 6100.0, 9000.0];
    let x: Vec<f32> = (0..n)
        .map(|i| {
            let t = i as f64 / rate;
            tones
                .iter()
                .map(|f| 0.18 * (2.0 * std::f64::consts::PI * f * t + f).sin())
                .sum::<f64>() as f32
        })
        .collect();
    let xs = up(&x, &[1, n]);
    let width = 400.0;
    // (band, tones kept, tones removed); every tone is ≥ width/2 from an edge.
    let cases = [
        (
            Band::Lowpass { cutoff: 2000.0 },
            vec![440.0, 1234.5],
            vec![3000.0, 6100.0, 9000.0],
        ),
        (
            Band::Highpass { cutoff: 2000.0 },
            vec![3000.0, 6100.0, 9000.0],
            vec![440.0, 1234.5],
        ),
        (
            Band::Bandpass {
                low: 2500.0,
                high: 7000.0,
            },
            vec![3000.0, 6100.0],
            vec![440.0, 1234.5, 9000.0],
        ),
        (
            Band::Notch {
                low: 2500.0,
                high: 7000.0,
            },
            vec![440.0, 1234.5, 9000.0],
            vec![3000.0, 6100.0],
        ),
    ];
    for (band, kept, removed) in cases {
        let y = host(&audio::filter(&xs, rate, band, width).unwrap());
        assert_eq!(y.len(), n);
        for f in kept {
            let db = 20.0 * (tone_amplitude(&y, f, rate) / 0.18).log10();
            assert!(db.abs() <= 0.1, "{band:?}: {f} Hz changed by {db:.3} dB");
        }
        for f in removed {
            let db = 20.0 * (tone_amplitude(&y, f, rate) / 0.18).log10();
            assert!(db <= -60.0, "{band:?}: {f} Hz only {db:.1} dB down");
        }
    }
}

#[test]
fn lowpass_matches_the_same_mask_applied_in_f64() {
    let (s, rate) = speech();
    let s = &s[..30000];
    let rate = rate as f64;
    let x: Vec<f32> = s.iter().map(|&v| v as f32).collect();
    let (cutoff, width) = (2500.0, 300.0);
    let got =
        host(&audio::filter(&up(&x, &[x.len()]), rate, Band::Lowpass { cutoff }, width).unwrap());
    // The reference: the raised-cosine mask on the FFT of the signal zero-padded as the
    // library pads it (8·rate/width samples, to a length of factors 2, 3, 5, 7).
    let n = (s.len() + (8.0 * rate / width).ceil() as usize..)
        .find(|&m| {
            let mut m = m;
            for p in [2, 3, 5, 7] {
                while m % p == 0 {
                    m /= p;
                }
            }
            m == 1
        })
        .unwrap();
    let mut buf: Vec<Complex64> = (0..n)
        .map(|i| Complex64::new(*s.get(i).unwrap_or(&0.0), 0.0))
        .collect();
    let mut planner = FftPlanner::new();
    planner.plan_fft_forward(n).process(&mut buf);
    for (k, z) in buf.iter_mut().enumerate() {
        let f = k.min(n - k) as f64 * rate / n as f64;
        let t = ((f - (cutoff - width / 2.0)) / width).clamp(0.0, 1.0);
        *z *= 0.5 + 0.5 * (std::f64::consts::PI * t).cos();
    }
    planner.plan_fft_inverse(n).process(&mut buf);
    for (i, g) in got.iter().enumerate() {
        let w = buf[i].re / n as f64;
        // f32 FFTs of ~30k points: errors around 1e-7 of the signal's scale (peak 0.75).
        assert!((g - w).abs() <= 2e-6, "[{i}] {g} vs {w}");
    }
}

#[test]
fn filter_arguments_are_checked() {
    let xs = up(&[0.0f32; 64], &[64]);
    let e = |band, width| {
        audio::filter(&xs, 8000.0, band, width)
            .unwrap_err()
            .to_string()
    };
    assert!(e(Band::Lowpass { cutoff: 4001.0 }, 10.0).contains("Nyquist"));
    assert!(e(Band::Lowpass { cutoff: -1.0 }, 10.0).contains("cutoff"));
    assert!(
        e(
            Band::Bandpass {
                low: 100.0,
                high: 5000.0
            },
            10.0
        )
        .contains("high")
    );
    assert!(
        e(
            Band::Notch {
                low: 300.0,
                high: 200.0
            },
            10.0
        )
        .contains("low")
    );
    assert!(e(Band::Highpass { cutoff: 100.0 }, 0.0).contains("width"));
    assert!(audio::filter(&xs, 0.0, Band::Lowpass { cutoff: 1.0 }, 1.0).is_err());
    assert!(Stft::new(1024, 0).unwrap_err().to_string().contains("hop"));
    let e = Stft::new(512, 128)
        .unwrap()
        .with_window(Window::Hann, 1024)
        .unwrap_err();
    assert!(e.to_string().contains("n_fft"), "{e}");
    assert!(
        audio::resample_rate(&xs, 8000, 0)
            .unwrap_err()
            .to_string()
            .contains("to")
    );
    assert!(
        audio::resample_rate(&xs, 0, 8000)
            .unwrap_err()
            .to_string()
            .contains("from")
    );
    assert!(audio::resample(&xs, 0).is_err());
}

// ---- Resampling ----

/// scipy.signal.resample(x, num) for real x, in f64 through rustfft.
fn resample_reference(x: &[f64], num: usize) -> Vec<f64> {
    let n = x.len();
    let mut planner = FftPlanner::new();
    let mut spec: Vec<Complex64> = x.iter().map(|&v| Complex64::new(v, 0.0)).collect();
    planner.plan_fft_forward(n).process(&mut spec);
    let kept = num.min(n);
    let mut y = vec![Complex64::new(0.0, 0.0); num];
    let nyq = kept / 2 + 1;
    // Positive frequencies 0..nyq, and their mirror for a real result.
    let m = nyq.min(n / 2 + 1);
    y[..m].copy_from_slice(&spec[..m]);
    if kept % 2 == 0 && num != n {
        y[kept / 2] *= if num < n { 2.0 } else { 0.5 };
    }
    // irfft: Hermitian extension of bins 0..=num/2 (the Nyquist bin's imaginary part dropped).
    let half = num / 2;
    if num % 2 == 0 {
        y[half] = Complex64::new(y[half].re, 0.0);
    }
    for k in 1..num.div_ceil(2) {
        y[num - k] = y[k].conj();
    }
    planner.plan_fft_inverse(num).process(&mut y);
    y.iter()
        .map(|z| z.re / num as f64 * (num as f64 / n as f64))
        .collect()
}

#[test]
fn resample_matches_scipy_formula_in_f64() {
    let x = random_signal(9, 1, 1000);
    let xs64: Vec<f64> = x.iter().map(|&v| v as f64).collect();
    for num in [1000, 2177, 1600, 999, 725, 512, 1] {
        let got = host(&audio::resample(&up(&x, &[1000]), num).unwrap());
        let want = resample_reference(&xs64, num);
        assert_eq!(got.len(), num);
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            // Random data in ±1: f32 FFT errors ~1e-6 of that scale.
            assert!((g - w).abs() <= 1e-5, "num {num} [{i}]: {g} vs {w}");
        }
    }
}

#[test]
fn resampling_in_blocks_agrees_with_one_transform_away_from_the_ends() {
    let (s, rate) = speech();
    // A whole number of 441-sample periods (22 050 Hz = 441 · 50), so that the single
    // transform's output samples fall exactly at k·from/to, where the blocks put theirs.
    let x: Vec<f32> = s[..s.len() / 441 * 441].iter().map(|&v| v as f32).collect();
    let xs = up(&x, &[1, x.len()]);
    for to in [16000, 48000] {
        let whole = host(&audio::resample_rate_in_blocks(&xs, rate, to, usize::MAX).unwrap());
        let blocks = host(&audio::resample_rate_in_blocks(&xs, rate, to, 8192).unwrap());
        assert_eq!(
            whole.len(),
            ((x.len() as u64 * to as u64 + rate as u64 / 2) / rate as u64) as usize
        );
        assert_eq!(blocks.len(), whole.len());
        // Away from the signal's ends (where the single transform wraps around), the blocks
        // differ from it by their own edge ringing, which 4096 samples of overlap damp to
        // well under 1e-3 of the speech's RMS.
        let m = whole.len() / 20;
        let diff: Vec<f64> = whole[m..whole.len() - m]
            .iter()
            .zip(&blocks[m..])
            .map(|(a, b)| a - b)
            .collect();
        assert!(
            rms(&diff) <= 1e-3 * rms(&whole),
            "to {to}: {} vs {}",
            rms(&diff),
            rms(&whole)
        );
    }
}

// ---- Levels ----

#[test]
fn gain_and_normalize_reach_their_levels() {
    let (s, _) = speech();
    let x: Vec<f32> = s.iter().map(|&v| v as f32).collect();
    let xs = up(&x, &[1, x.len()]);
    let g = host(&audio::gain(&xs, 6.0).unwrap());
    for (a, b) in g.iter().zip(&s).step_by(97) {
        assert!((a - b * 10f64.powf(0.3)).abs() <= 1e-6);
    }
    let peak = host(&audio::normalize(&xs, Level::Peak, -1.0).unwrap());
    let max = peak.iter().map(|v| v.abs()).fold(0.0, f64::max);
    assert!((max - 10f64.powf(-1.0 / 20.0)).abs() <= 1e-6, "{max}");
    let loud = host(&audio::normalize(&xs, Level::Rms, -20.0).unwrap());
    assert!((rms(&loud) - 0.1).abs() <= 1e-5, "{}", rms(&loud));
    let silence = host(&audio::normalize(&up(&[0.0f32; 16], &[16]), Level::Peak, 0.0).unwrap());
    assert!(silence.iter().all(|&v| v == 0.0));
}

// ---- Denoising ----

#[test]
fn denoise_raises_the_snr_of_noisy_speech() {
    let dir = scratch("denoise");
    let noise = dir.join("noise.wav");
    let noisy = dir.join("noisy.wav");
    run(
        "sox",
        &[
            "-n",
            "-r",
            "22050",
            "-c",
            "1",
            "-b",
            "16",
            noise.to_str().unwrap(),
            "synth",
            "4.5",
            "whitenoise",
            "vol",
            "0.03",
        ],
    );
    run(
        "sox",
        &[
            "-m",
            "-v",
            "1",
            testdata("speech.wav").to_str().unwrap(),
            "-v",
            "1",
            noise.to_str().unwrap(),
            noisy.to_str().unwrap(),
            "trim",
            "0",
            "97583s",
        ],
    );
    let (clean, _) = speech();
    let a = Audio::open(&noisy).unwrap();
    let x = a.upload(gpu()).unwrap();
    let snr = |y: &[f64]| {
        let e: Vec<f64> = y.iter().zip(&clean).map(|(a, b)| a - b).collect();
        20.0 * (rms(&clean) / rms(&e)).log10()
    };
    let before = snr(&host(&x));
    let stft = Stft::new(1024, 256).unwrap();
    let y = host(&audio::denoise(&x, &stft, Denoise::default()).unwrap());
    assert_eq!(y.len(), clean.len());
    let after = snr(&y);
    eprintln!("SNR {before:.2} dB -> {after:.2} dB");
    assert!(after >= before + 3.0, "SNR {before:.2} dB -> {after:.2} dB");
}

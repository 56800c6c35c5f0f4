//! Video streams: ffmpeg's own frames (testsrc2) piped through `gpuarray video` and back, each
//! frame bit-exact against `gpuarray filter` on that frame; Y4M read and written in every chroma
//! layout, the colour conversion against ffmpeg's; truncated streams. And the `audio` and
//! `spectrogram` commands on real speech.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::gpu;
use gpuarray::blit::Colormap;
use gpuarray::media::audio::Audio;
use gpuarray::media::video::{
    Chroma, Frame, FrameReader, FrameWriter, Matrix, PixFmt, rgb_to_yuv, yuv_to_rgb,
};

const BIN: &str = env!("CARGO_BIN_EXE_gpuarray");

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gpuarray-video-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs a program with `stdin` piped in; returns (status ok, stdout, stderr).
fn pipe(program: &str, args: &[&str], stdin: &[u8]) -> (bool, Vec<u8>, String) {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program} is needed (.ci/install installs it): {e}"));
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    (
        out.status.success(),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ok(program: &str, args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let (success, stdout, stderr) = pipe(program, args, stdin);
    assert!(success, "{program} {args:?}: {stderr}");
    stdout
}

/// `frames` frames of ffmpeg's testsrc2 pattern, `size` (WxH), in `pix_fmt` raw or `y4m`.
fn testsrc(size: &str, frames: usize, format: &[&str]) -> Vec<u8> {
    let source = format!("testsrc2=size={size}:rate=30");
    let frames = frames.to_string();
    let mut args = vec![
        "-v",
        "error",
        "-f",
        "lavfi",
        "-i",
        &source,
        "-frames:v",
        &frames,
    ];
    args.extend(format);
    args.push("-");
    ok("ffmpeg", &args, &[])
}

/// A Y4M stream decoded by ffmpeg to raw frames of `pix_fmt`.
fn decode_y4m(y4m: &[u8], pix_fmt: &str, flags: &[&str]) -> Vec<u8> {
    let mut args = vec!["-v", "error", "-f", "yuv4mpegpipe", "-i", "-"];
    args.extend(flags);
    args.extend(["-f", "rawvideo", "-pix_fmt", pix_fmt, "-"]);
    ok("ffmpeg", &args, y4m)
}

#[test]
fn an_ffmpeg_pipe_through_gpuarray_video_matches_gpuarray_filter_frame_by_frame() {
    let dir = scratch("pipe");
    let (w, h, n) = (640, 360, 60);
    let raw = testsrc("640x360", n, &["-f", "rawvideo", "-pix_fmt", "rgb24"]);
    assert_eq!(raw.len(), w * h * 3 * n);
    let out = ok(
        BIN,
        &[
            "video",
            "-",
            "-o",
            "-",
            "--size",
            "640x360",
            "--pix-fmt",
            "rgb24",
            "--op",
            "blur:sigma=2",
            "--op",
            "sharpen:sigma=1,amount=0.5",
        ],
        &raw,
    );
    assert_eq!(out.len(), raw.len(), "the frame count");
    // ffmpeg reads the result back: 60 frames.
    let png_dir = dir.join("frames");
    std::fs::create_dir_all(&png_dir).unwrap();
    let pattern = png_dir.join("out%02d.png");
    ok(
        "ffmpeg",
        &[
            "-v",
            "error",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-s",
            "640x360",
            "-i",
            "-",
            pattern.to_str().unwrap(),
        ],
        &out,
    );
    assert_eq!(std::fs::read_dir(&png_dir).unwrap().count(), n);
    // Frame k, extracted by ffmpeg as PNG and filtered by `gpuarray filter`, is bit-exact.
    for k in [0, 17, 59] {
        let png = dir.join(format!("in{k}.png"));
        let select = format!("select=eq(n\\,{k})");
        let source = "testsrc2=size=640x360:rate=30";
        ok(
            "ffmpeg",
            &[
                "-v",
                "error",
                "-f",
                "lavfi",
                "-i",
                source,
                "-vf",
                &select,
                "-frames:v",
                "1",
                png.to_str().unwrap(),
            ],
            &[],
        );
        let filtered = dir.join(format!("filtered{k}.png"));
        ok(
            BIN,
            &[
                "filter",
                png.to_str().unwrap(),
                "-o",
                filtered.to_str().unwrap(),
                "--op",
                "blur:sigma=2",
                "--op",
                "sharpen:sigma=1,amount=0.5",
            ],
            &[],
        );
        let want = image::open(&filtered).unwrap().into_rgb8().into_raw();
        let frame = &out[k * w * h * 3..(k + 1) * w * h * 3];
        assert!(
            frame == want.as_slice(),
            "frame {k} differs from gpuarray filter"
        );
    }
}

#[test]
fn overlapped_and_serial_runs_write_the_same_bytes_and_temporal_mean_averages() {
    let raw = testsrc("160x90", 12, &["-f", "rawvideo", "-pix_fmt", "gray"]);
    let args = |serial: bool| {
        let mut a = vec![
            "video",
            "-",
            "-o",
            "-",
            "--size",
            "160x90",
            "--pix-fmt",
            "gray",
            "--op",
            "temporal-mean:frames=3",
            "--op",
            "edges",
        ];
        if serial {
            a.push("--serial");
        }
        a
    };
    let overlapped = ok(BIN, &args(false), &raw);
    let serial = ok(BIN, &args(true), &raw);
    assert_eq!(overlapped, serial);
    // temporal-mean alone: frame 5 is the rounded mean of frames 3, 4 and 5.
    let mean = ok(
        BIN,
        &[
            "video",
            "-",
            "-o",
            "-",
            "--size",
            "160x90",
            "--pix-fmt",
            "gray",
            "--op",
            "temporal-mean:frames=3",
        ],
        &raw,
    );
    let px = 160 * 90;
    for i in (0..px).step_by(37) {
        let want = (raw[3 * px + i] as f64 + raw[4 * px + i] as f64 + raw[5 * px + i] as f64) / 3.0;
        let got = mean[5 * px + i] as f64;
        assert!(
            (got - want).abs() <= 0.5 + 1e-4,
            "pixel {i}: {got} vs {want}"
        );
    }
}

#[test]
fn y4m_round_trips_in_every_chroma_layout() {
    for (pix_fmt, chroma) in [
        ("yuv420p", Chroma::C420),
        ("yuv422p", Chroma::C422),
        ("yuv444p", Chroma::C444),
        ("gray", Chroma::Mono),
    ] {
        let y4m = testsrc("64x48", 3, &["-f", "yuv4mpegpipe", "-pix_fmt", pix_fmt]);
        let mut reader = FrameReader::y4m(y4m.as_slice()).unwrap();
        let mut writer =
            FrameWriter::y4m(Vec::new(), vec!["F30:1".into(), "Ip".into(), "A1:1".into()]);
        let mut frames = 0;
        while let Some(frame) = reader.next_frame().unwrap() {
            let Frame::Yuv(f) = &frame else {
                panic!("Y4M frames are Y'CbCr")
            };
            assert_eq!(f.chroma, chroma, "{pix_fmt}");
            let planes = f.planes().unwrap();
            assert_eq!(planes[0].shape(), [48, 64]);
            if let Some((ch, cw)) = chroma.plane(64, 48) {
                assert_eq!(planes[1].shape(), [ch, cw], "{pix_fmt}");
                assert_eq!(planes[2].shape(), [ch, cw], "{pix_fmt}");
            }
            writer.write_frame(&frame).unwrap();
            frames += 1;
        }
        assert_eq!(frames, 3);
        let written = writer.finish().unwrap();
        // The same frames back (ffmpeg's header may carry extra fields: compare the frames).
        let strip = |b: &[u8]| b[b.iter().position(|&c| c == b'\n').unwrap()..].to_vec();
        assert_eq!(strip(&written), strip(&y4m), "{pix_fmt}");
        // ffmpeg reads what was written.
        let raw = decode_y4m(&written, pix_fmt, &[]);
        assert_eq!(
            raw.len(),
            3 * gpuarray::media::video::YuvFrame::len_of(64, 48, chroma)
        );
    }
}

#[test]
fn y4m_colour_conversion_matches_ffmpeg_and_round_trips() {
    // 4:4:4, where no chroma filter is involved: gpuarray's BT.601 against ffmpeg's.
    let y4m = testsrc("128x72", 1, &["-f", "yuv4mpegpipe", "-pix_fmt", "yuv444p"]);
    let rgb = decode_y4m(
        &y4m,
        "rgb24",
        &["-sws_flags", "accurate_rnd+full_chroma_int"],
    );
    let mut reader = FrameReader::y4m(y4m.as_slice()).unwrap();
    let Some(Frame::Yuv(frame)) = reader.next_frame().unwrap() else {
        panic!()
    };
    let ours = yuv_to_rgb(gpu(), &frame, Matrix::Bt601)
        .unwrap()
        .to_host()
        .unwrap();
    assert_eq!(ours.shape(), [72, 128, 3]);
    let ours = ours.as_slice::<u8>().unwrap();
    // swscale's fixed-point arithmetic rounds differently: within 2 levels of 255.
    let worst = ours
        .iter()
        .zip(&rgb)
        .map(|(a, b)| a.abs_diff(*b))
        .max()
        .unwrap();
    assert!(worst <= 2, "max difference {worst}");
    // Y'CbCr -> R'G'B' -> Y'CbCr in every layout and matrix, of frames ffmpeg encoded with
    // that matrix: the luma comes back within rounding, except where chroma averaging and
    // gamut clipping of testsrc2's saturated colour bars move it (mean error ≤ 1 level).
    for pix_fmt in ["yuv420p", "yuv422p", "yuv444p"] {
        for (matrix, name) in [(Matrix::Bt601, "bt601"), (Matrix::Bt709, "bt709")] {
            let scale = format!("scale=out_color_matrix={name}");
            let y4m = testsrc(
                "64x48",
                1,
                &["-vf", &scale, "-f", "yuv4mpegpipe", "-pix_fmt", pix_fmt],
            );
            let mut reader = FrameReader::y4m(y4m.as_slice()).unwrap();
            let Some(Frame::Yuv(frame)) = reader.next_frame().unwrap() else {
                panic!()
            };
            let rgb = yuv_to_rgb(gpu(), &frame, matrix).unwrap();
            let back = rgb_to_yuv(&rgb, frame.chroma, matrix).unwrap();
            assert_eq!(back.data.len(), frame.data.len());
            let luma = 64 * 48;
            let err: f64 = back.data[..luma]
                .iter()
                .zip(&frame.data[..luma])
                .map(|(a, b)| a.abs_diff(*b) as f64)
                .sum::<f64>()
                / luma as f64;
            assert!(err <= 1.0, "{pix_fmt} {name}: mean luma error {err}");
        }
    }
}

#[test]
fn truncated_streams_and_bad_arguments_are_errors_naming_the_problem() {
    let dir = scratch("bad");
    let raw = testsrc("64x48", 4, &["-f", "rawvideo", "-pix_fmt", "rgb24"]);
    let cut = &raw[..raw.len() - 100];
    let (success, _, stderr) = pipe(
        BIN,
        &["video", "-", "-o", "-", "--size", "64x48", "--op", "edges"],
        cut,
    );
    assert!(!success);
    assert!(stderr.contains("frame 3"), "{stderr}");
    // A file output: nothing left behind.
    let out = dir.join("out.raw");
    let (success, _, stderr) = pipe(
        BIN,
        &[
            "video",
            "-",
            "-o",
            out.to_str().unwrap(),
            "--size",
            "64x48",
            "--op",
            "edges",
        ],
        cut,
    );
    assert!(!success, "{stderr}");
    assert!(
        std::fs::read_dir(&dir).unwrap().next().is_none(),
        "a partial output was left"
    );
    // Y4M cut inside frame 1.
    let y4m = testsrc("64x48", 2, &["-f", "yuv4mpegpipe", "-pix_fmt", "yuv420p"]);
    let (success, _, stderr) = pipe(
        BIN,
        &["video", "-", "-o", "-", "--op", "edges"],
        &y4m[..y4m.len() - 10],
    );
    assert!(!success);
    assert!(stderr.contains("frame 1"), "{stderr}");
    for (args, needle) in [
        (vec!["--size", "64x48", "--pix-fmt", "yuv9"], "pixel format"),
        (vec!["--size", "64by48"], "--size"),
        (vec![], "--size"),
    ] {
        let mut all = vec!["video", "-", "-o", "-", "--op", "edges"];
        all.extend(args);
        let (success, _, stderr) = pipe(BIN, &all, &raw);
        assert!(!success && stderr.contains(needle), "{all:?}: {stderr}");
    }
    let (success, _, stderr) = pipe(
        BIN,
        &[
            "video",
            "-",
            "-o",
            "-",
            "--size",
            "64x48",
            "--op",
            "temporal-mean:frames=0",
        ],
        &raw,
    );
    assert!(!success && stderr.contains("frames"), "{stderr}");
    // A raw pixel format as FrameReader reads it: 16-bit little-endian.
    let r16 = testsrc("8x4", 1, &["-f", "rawvideo", "-pix_fmt", "rgb48le"]);
    let mut reader = FrameReader::raw(r16.as_slice(), 8, 4, PixFmt::Rgb48le);
    let Some(Frame::Packed(f)) = reader.next_frame().unwrap() else {
        panic!()
    };
    assert_eq!(f.shape(), [4, 8, 3]);
    assert_eq!(
        f.as_slice::<u16>().unwrap()[0],
        u16::from_le_bytes([r16[0], r16[1]])
    );
}

#[test]
fn audio_command_filters_a_batch_and_goes_on_past_a_bad_file() {
    let dir = scratch("audio-cli");
    let inputs = dir.join("in");
    std::fs::create_dir_all(&inputs).unwrap();
    std::fs::copy(testdata("speech.wav"), inputs.join("a.wav")).unwrap();
    std::fs::copy(testdata("speech.flac"), inputs.join("b.flac")).unwrap();
    std::fs::write(inputs.join("c.wav"), b"RIFF not really").unwrap();
    let out = dir.join("out");
    let (success, _, stderr) = pipe(
        BIN,
        &[
            "audio",
            inputs.to_str().unwrap(),
            "--out-dir",
            out.to_str().unwrap(),
            "--op",
            "highpass:cutoff=100",
            "--op",
            "normalize:mode=peak,level=-3",
            "--format",
            "s24",
        ],
        &[],
    );
    assert!(!success, "a bad file fails the batch");
    assert!(
        stderr.contains("c.wav") && stderr.contains("2 of 3"),
        "{stderr}"
    );
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["a.wav", "b.wav"], "no partial file");
    for name in names {
        let a = Audio::open(out.join(&name)).unwrap();
        assert_eq!(a.format(), gpuarray::media::audio::SampleFormat::S24);
        let peak = a
            .view()
            .to_vec::<i32>()
            .unwrap()
            .iter()
            .map(|v| v.unsigned_abs())
            .max()
            .unwrap() as f64
            / (1 << 23) as f64;
        assert!(
            (20.0 * peak.log10() + 3.0).abs() < 0.01,
            "{name}: peak {peak}"
        );
    }
    // One file to -o: an op out of range fails it, a resample writes the new rate.
    let speech = testdata("speech.wav");
    let out = dir.join("x.wav");
    let one = |op: &str| {
        let args = [
            "audio",
            speech.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--op",
            op,
        ];
        pipe(BIN, &args, &[])
    };
    let (success, _, stderr) = one("lowpass:cutoff=20000");
    assert!(!success && stderr.contains("Nyquist"), "{stderr}");
    let (success, _, stderr) = one("resample:rate=16000");
    assert!(success, "{stderr}");
    assert_eq!(Audio::open(dir.join("x.wav")).unwrap().sample_rate(), 16000);
}

#[test]
fn spectrogram_command_draws_the_db_spectrogram_through_a_colormap() {
    let dir = scratch("spectrogram");
    let png = dir.join("speech.png");
    ok(
        BIN,
        &[
            "spectrogram",
            testdata("speech.wav").to_str().unwrap(),
            "-o",
            png.to_str().unwrap(),
            "--n-fft",
            "512",
            "--hop",
            "256",
            "--colormap",
            "viridis",
        ],
        &[],
    );
    let img = image::open(&png).unwrap().into_rgb8();
    // One pixel per frame (1 + 97583/256) and bin (257).
    assert_eq!(img.dimensions(), (1 + 97583 / 256, 257));
    let table = Colormap::Viridis.table();
    // Every pixel is a viridis colour; the brightest (the peak) and the darkest (the floor)
    // are both there.
    let index = |p: &image::Rgb<u8>| table.iter().position(|c| *c == p.0);
    assert!(img.pixels().all(|p| index(p).is_some()));
    assert!(img.pixels().any(|p| index(p) == Some(255)));
    assert!(img.pixels().any(|p| index(p) == Some(0)));
    // Speech energy sits low: the bottom half of the picture is brighter than the top.
    let mean = |rows: std::ops::Range<u32>| {
        let (mut s, mut n) = (0.0, 0.0);
        for y in rows {
            for x in 0..img.width() {
                s += index(img.get_pixel(x, y)).unwrap() as f64;
                n += 1.0;
            }
        }
        s / n
    };
    assert!(mean(200..257) > mean(0..60) + 20.0);
}

#[test]
fn animated_gif_and_apng_frames_come_through_image_as_ffmpeg_decodes_them() {
    let dir = scratch("animation");
    for (name, format) in [("anim.gif", "gif"), ("anim.png", "apng")] {
        let path = dir.join(name);
        let path_text = path.to_str().unwrap();
        ok(
            "ffmpeg",
            &[
                "-v",
                "error",
                "-f",
                "lavfi",
                "-i",
                "testsrc2=size=64x48:rate=10",
                "-frames:v",
                "5",
                "-f",
                format,
                path_text,
            ],
            &[],
        );
        // brightness-contrast with its defaults is the identity on 8-bit frames.
        let ours = ok(
            BIN,
            &["video", path_text, "-o", "-", "--op", "brightness-contrast"],
            &[],
        );
        let want = ok(
            "ffmpeg",
            &[
                "-v", "error", "-i", path_text, "-f", "rawvideo", "-pix_fmt", "rgba", "-",
            ],
            &[],
        );
        assert_eq!(ours.len(), 5 * 64 * 48 * 4, "{name}: 5 RGBA frames");
        assert!(
            ours == want,
            "{name}: the frames differ from ffmpeg's decoding"
        );
    }
}

//! Decompression bombs: a small file of every format the CLI reads declares a huge image
//! (10⁹–10¹⁰ pixels, 1–120 GB decoded). The real binary (`gpuarray info`) must refuse each one
//! with an error naming the file, before allocating: it runs under `ulimit -v` of 1 GiB, so an
//! attempt to allocate the image would abort the process (a signal, not an exit code) rather
//! than pass. Each run is watched: still running after 30 s is a hang.
//!
//! Audio and video too: a WAV, a FLAC and a Y4M file whose headers declare 4 GB to 550 GB,
//! and raw frames of 65536 × 65536 over a 100-byte file, through the library (in a child
//! process that caps its own address space) and through `gpuarray audio` / `gpuarray video`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The CRC-32 of PNG chunks (ISO 3309, reflected, polynomial 0xEDB88320), bit by bit.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend((data.len() as u32).to_be_bytes());
    let mut body = kind.to_vec();
    body.extend(data);
    out.extend(&body);
    out.extend(crc32(&body).to_be_bytes());
}

/// A PNG whose header says `w × h` RGB, with an empty (valid) zlib stream as its data.
fn png(w: u32, h: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    png_chunk(&mut out, b"IHDR", &ihdr);
    png_chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    png_chunk(&mut out, b"IEND", &[]);
    out
}

fn le16(v: u16) -> [u8; 2] {
    v.to_le_bytes()
}
fn le32(v: u32) -> [u8; 4] {
    v.to_le_bytes()
}

/// Each format's bomb: (file name, bytes, the decoded size it declares).
fn bombs() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let mut v = vec![];
    v.push((
        "bomb.png",
        png(100_000, 100_000),
        "100000 × 100000 RGB8: 30 GB",
    ));

    // BMP: BITMAPINFOHEADER, 24 bits per pixel, bottom-up rows.
    let mut bmp = b"BM".to_vec();
    bmp.extend(le32(54 + 16));
    bmp.extend([0; 4]);
    bmp.extend(le32(54));
    bmp.extend(le32(40));
    bmp.extend(100_000i32.to_le_bytes());
    bmp.extend(100_000i32.to_le_bytes());
    bmp.extend(le16(1));
    bmp.extend(le16(24));
    bmp.extend([0; 24]);
    bmp.extend([0; 16]);
    v.push(("bomb.bmp", bmp, "100000 × 100000 RGB8: 30 GB"));

    v.push((
        "bomb.ppm",
        b"P6\n100000 100000\n255\n\0\0\0".to_vec(),
        "100000 × 100000 RGB8: 30 GB",
    ));

    // TGA: uncompressed true colour, 32 bits per pixel.
    let mut tga = vec![0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    tga.extend(le16(65535));
    tga.extend(le16(65535));
    tga.extend([32, 8, 0, 0, 0, 0]);
    v.push(("bomb.tga", tga, "65535 × 65535 RGBA8: 17 GB"));

    // QOI: under the format's own 400 M pixel cap, so the limit is the decoder's.
    let mut qoi = b"qoif".to_vec();
    qoi.extend(19_000u32.to_be_bytes());
    qoi.extend(19_000u32.to_be_bytes());
    qoi.extend([4, 0]);
    qoi.extend([0, 0, 0, 0, 0, 0, 0, 1]);
    v.push(("bomb.qoi", qoi, "19000 × 19000 RGBA8: 1.4 GB"));

    v.push((
        "bomb.hdr",
        b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 100000 +X 100000\n\0\0\0\0".to_vec(),
        "100000 × 100000 RGB32F: 120 GB",
    ));

    // GIF: logical screen and one frame of 65535 × 65535, no colour table, empty data.
    let mut gif = b"GIF89a".to_vec();
    gif.extend(le16(65535));
    gif.extend(le16(65535));
    gif.extend([0, 0, 0]);
    gif.push(0x2c);
    gif.extend([0, 0, 0, 0]);
    gif.extend(le16(65535));
    gif.extend(le16(65535));
    gif.extend([0, 8, 0, 0x3b]);
    v.push(("bomb.gif", gif, "65535 × 65535 RGBA8: 17 GB"));

    // ICO: one 256 × 256 entry holding the PNG bomb.
    let inner = png(100_000, 100_000);
    let mut ico = vec![0, 0, 1, 0, 1, 0, 0, 0, 0, 0];
    ico.extend(le16(1));
    ico.extend(le16(32));
    ico.extend(le32(inner.len() as u32));
    ico.extend(le32(22));
    ico.extend(inner);
    v.push(("bomb.ico", ico, "a PNG entry of 100000 × 100000: 30 GB"));

    // WebP lossless: 14-bit dimensions (minus one), 16383 × 16383 with alpha. (16384, the
    // format's largest, reads back as 0 in image-webp 0.2's header parser: not a bomb.)
    let (w1, h1) = (16382u32, 16382u32);
    let bits = w1 | (h1 << 14) | (1 << 28);
    let mut vp8l = vec![0x2f];
    vp8l.extend(le32(bits));
    vp8l.extend([0; 8]);
    let mut webp = b"RIFF".to_vec();
    webp.extend(le32(4 + 8 + vp8l.len() as u32));
    webp.extend(b"WEBPVP8L");
    webp.extend(le32(vp8l.len() as u32));
    webp.extend(vp8l);
    v.push(("bomb.webp", webp, "16383 × 16383 RGBA8: 1 GB"));

    // TIFF (little-endian): one 8-bit grey strip of 100000 × 100000.
    let entries: [(u16, u16, u32); 9] = [
        (256, 4, 100_000), // ImageWidth
        (257, 4, 100_000), // ImageLength
        (258, 3, 8),       // BitsPerSample
        (259, 3, 1),       // Compression: none
        (262, 3, 1),       // PhotometricInterpretation: black is zero
        (273, 4, 8),       // StripOffsets
        (277, 3, 1),       // SamplesPerPixel
        (278, 4, 100_000), // RowsPerStrip
        (279, 4, 1),       // StripByteCounts
    ];
    let mut tiff = b"II*\0".to_vec();
    tiff.extend(le32(8));
    tiff.extend(le16(entries.len() as u16));
    for (tag, kind, value) in entries {
        tiff.extend(le16(tag));
        tiff.extend(le16(kind));
        tiff.extend(le32(1));
        tiff.extend(le32(value));
    }
    tiff.extend(le32(0));
    v.push(("bomb.tiff", tiff, "100000 × 100000 grey8: 10 GB"));

    // JPEG: a baseline frame header of 65535 × 65535, three components, with its tables.
    let mut jpeg = vec![0xff, 0xd8];
    jpeg.extend([0xff, 0xdb, 0, 67, 0]);
    jpeg.extend([1u8; 64]);
    jpeg.extend([0xff, 0xc0, 0, 17, 8, 0xff, 0xff, 0xff, 0xff, 3]);
    for id in 1..=3u8 {
        jpeg.extend([id, 0x11, 0]);
    }
    // One DC and one AC Huffman table, each of a single 1-bit code.
    for class in [0x00u8, 0x10] {
        jpeg.extend([0xff, 0xc4, 0, 20, class]);
        let mut counts = [0u8; 16];
        counts[0] = 1;
        jpeg.extend(counts);
        jpeg.push(0);
    }
    jpeg.extend([0xff, 0xda, 0, 12, 3, 1, 0, 2, 0, 3, 0, 0, 63, 0]);
    jpeg.extend([0; 16]);
    jpeg.extend([0xff, 0xd9]);
    v.push(("bomb.jpg", jpeg, "65535 × 65535 RGB8: 12.9 GB"));

    // OpenEXR: float B, G, R channels over a data window of 100000 × 100000, scanlines.
    let mut exr = vec![0x76, 0x2f, 0x31, 0x01, 2, 0, 0, 0];
    let mut attr = |name: &str, kind: &str, value: &[u8]| {
        exr.extend(name.as_bytes());
        exr.push(0);
        exr.extend(kind.as_bytes());
        exr.push(0);
        exr.extend(le32(value.len() as u32));
        exr.extend(value);
    };
    let mut chlist = vec![];
    for name in [b"B", b"G", b"R"] {
        chlist.extend(name);
        chlist.push(0);
        chlist.extend(2i32.to_le_bytes());
        chlist.extend([0, 0, 0, 0]);
        chlist.extend(1i32.to_le_bytes());
        chlist.extend(1i32.to_le_bytes());
    }
    chlist.push(0);
    let window: Vec<u8> = [0i32, 0, 99_999, 99_999]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    attr("channels", "chlist", &chlist);
    attr("compression", "compression", &[0]);
    attr("dataWindow", "box2i", &window);
    attr("displayWindow", "box2i", &window);
    attr("lineOrder", "lineOrder", &[0]);
    attr("pixelAspectRatio", "float", &1.0f32.to_le_bytes());
    attr("screenWindowCenter", "v2f", &[0; 8]);
    attr("screenWindowWidth", "float", &1.0f32.to_le_bytes());
    exr.push(0);
    exr.extend([0; 64]);
    v.push(("bomb.exr", exr, "100000 × 100000 RGB32F: 120 GB"));
    v
}

/// Runs the binary with `args` under `ulimit -v` (1 GiB) with a 30 s watchdog: (exit code or
/// None for a signal, stderr, time).
fn run_limited<S: AsRef<std::ffi::OsStr> + std::fmt::Debug>(
    args: &[S],
) -> (Option<i32>, String, Duration) {
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg("ulimit -v 1048576 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_gpuarray"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().unwrap();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            return (status.code(), err, start.elapsed());
        }
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("gpuarray {args:?}: still running after 30 s (a hang)");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gpuarray-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn every_format_refuses_a_decompression_bomb_before_allocating() {
    let dir = scratch("bombs");
    // The limit is low enough to catch an allocation of the image, high enough for the tool:
    // a real photo decodes under it.
    let photo = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/coffee.png"));
    let (code, err, _) = run_limited(&["info".as_ref(), photo.as_os_str()]);
    assert_eq!(code, Some(0), "a real photo under the same limit: {err}");

    let mut table = vec![];
    for (name, bytes, declared) in bombs() {
        let path = dir.join(name);
        std::fs::write(&path, &bytes).unwrap();
        let (code, err, time) = run_limited(&["info".as_ref(), path.as_os_str()]);
        assert_eq!(
            code,
            Some(1),
            "{name} ({declared}): the tool should fail with exit code 1, not crash: {err}"
        );
        let line = err.lines().next().unwrap_or_default().to_string();
        assert!(
            line.starts_with(&format!("{}: image error", path.display())),
            "{name}: the error names the file: {err}"
        );
        table.push(format!(
            "  {name:<10} {:>5} bytes, declares {declared:<40} {:>6.3} s  {}",
            bytes.len(),
            time.as_secs_f64(),
            line.split(": image error: ").nth(1).unwrap_or(&line)
        ));
    }
    eprintln!("decompression bombs, each refused under ulimit -v 1 GiB:");
    for line in &table {
        eprintln!("{line}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Audio and video bombs: a small file whose header declares a huge length or frame size.
/// (file name, bytes, what it declares.)
fn media_bombs() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    // WAV: 16-bit mono PCM whose data chunk says 4 GB (2³¹ samples), followed by 16 bytes.
    let mut wav = b"RIFF".to_vec();
    wav.extend(le32(0xFFFF_FFFF));
    wav.extend(b"WAVEfmt ");
    wav.extend(le32(16));
    wav.extend(le16(1)); // PCM
    wav.extend(le16(1)); // mono
    wav.extend(le32(8000));
    wav.extend(le32(16000));
    wav.extend(le16(2));
    wav.extend(le16(16));
    wav.extend(b"data");
    wav.extend(le32(0xFFFF_FFF0));
    wav.extend([0; 16]);

    // FLAC: a STREAMINFO that declares 2³⁶ − 1 stereo samples at 44.1 kHz, and no frames.
    let mut flac = b"fLaC".to_vec();
    flac.extend([0x80, 0, 0, 34]); // the last metadata block: STREAMINFO, 34 bytes
    flac.extend(4096u16.to_be_bytes()); // min block size
    flac.extend(65535u16.to_be_bytes()); // max block size
    flac.extend([0; 6]); // min and max frame sizes unknown
    // 20 bits rate, 3 bits channels − 1, 5 bits bits − 1, 36 bits total samples.
    let packed: u64 = (44_100 << 44) | (1 << 41) | (15 << 36) | ((1 << 36) - 1);
    flac.extend(packed.to_be_bytes());
    flac.extend([0; 16]); // MD5
    // Y4M: 65536 × 65536 4:4:4 frames (12 GiB each), one FRAME header and 100 bytes.
    let mut y4m = b"YUV4MPEG2 W65536 H65536 F25:1 C444\nFRAME\n".to_vec();
    y4m.extend([0; 100]);
    vec![
        ("bomb.wav", wav, "2^31 16-bit samples: 4 GB"),
        ("bomb.flac", flac, "2^36 stereo samples: 550 GB as f32"),
        ("bomb.y4m", y4m, "65536 x 65536 4:4:4 frames: 12 GiB each"),
    ]
}

/// The environment variable that makes the ignored `media_child` test run the library side
/// (its value: the directory holding the bombs).
const MEDIA_CHILD: &str = "GPUARRAY_MEDIA_BOMBS";

/// The library side, in a child process that caps its own address space at 512 MiB above
/// what it uses: `Audio::open` and `FrameReader` refuse each bomb with an error (an attempt
/// to allocate what the header declares would abort the process).
#[test]
#[ignore = "the child process of audio_and_video_bombs_are_refused (needs its address-space cap)"]
fn media_child() {
    use gpuarray::media::audio::Audio;
    use gpuarray::media::video::{FrameReader, PixFmt};
    let dir = PathBuf::from(std::env::var_os(MEDIA_CHILD).expect("run by its parent test"));
    common::cap_address_space(512 << 20);
    let refused = |what: &str, r: gpuarray::Result<()>| match r {
        Err(e) => println!("{what}: refused: {e}"),
        Ok(()) => panic!("{what}: a bomb should be an error"),
    };
    refused("wav", Audio::open(dir.join("bomb.wav")).map(drop));
    refused("flac", Audio::open(dir.join("bomb.flac")).map(drop));
    let y4m = std::fs::File::open(dir.join("bomb.y4m")).unwrap();
    refused(
        "y4m",
        FrameReader::y4m(y4m).and_then(|mut r| r.next_frame().map(drop)),
    );
    // Raw frames whose size comes from the caller: 65536 × 65536 RGBA (16 GiB) over 100 bytes.
    refused(
        "raw",
        FrameReader::raw(&[0u8; 100][..], 65536, 65536, PixFmt::Rgba)
            .next_frame()
            .map(drop),
    );
}

#[test]
fn audio_and_video_bombs_are_refused() {
    let dir = scratch("media-bombs");
    for (name, bytes, _) in media_bombs() {
        std::fs::write(dir.join(name), bytes).unwrap();
    }

    // The library, in a child under its own cap.
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "media_child", "--nocapture"])
        .env(MEDIA_CHILD, &dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the library child must exit 0, not {:?} (an abort is a failure): {stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    for what in ["wav", "flac", "y4m", "raw"] {
        assert!(
            stdout.contains(&format!("{what}: refused")),
            "{what}: {stdout}"
        );
    }

    // The CLI under `ulimit -v` of 1 GiB: each bomb is exit code 1 and an error naming the
    // input, and the same commands work on real files under the same limit.
    let testdata = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata"));
    let path = |p: &Path| p.to_str().unwrap().to_string();
    let out_wav = path(&dir.join("out.wav"));
    let out_video = path(&dir.join("out.video"));
    let real = [
        vec![
            "audio".into(),
            path(&testdata.join("speech.wav")),
            "-o".into(),
            out_wav.clone(),
            "--op".into(),
            "gain:db=-1".into(),
        ],
        vec![
            "audio".into(),
            path(&testdata.join("speech.flac")),
            "-o".into(),
            out_wav.clone(),
            "--op".into(),
            "gain:db=-1".into(),
        ],
    ];
    for args in &real {
        let (code, err, _) = run_limited(args);
        assert_eq!(
            code,
            Some(0),
            "{args:?} on a real file under the same limit: {err}"
        );
    }
    let mut table = vec![];
    let mut cases: Vec<(Vec<String>, &str)> = vec![];
    for (name, _, declared) in media_bombs() {
        let input = path(&dir.join(name));
        let args = if name.ends_with(".y4m") {
            vec![
                "video".into(),
                input,
                "-o".into(),
                out_video.clone(),
                "--op".into(),
                "edges".into(),
            ]
        } else {
            vec![
                "audio".into(),
                input,
                "-o".into(),
                out_wav.clone(),
                "--op".into(),
                "gain:db=-1".into(),
            ]
        };
        cases.push((args, declared));
    }
    let raw = path(&dir.join("short.raw"));
    std::fs::write(&raw, [0u8; 100]).unwrap();
    cases.push((
        [
            "video",
            &raw,
            "-o",
            &out_video,
            "--size",
            "65536x65536",
            "--pix-fmt",
            "rgba",
            "--op",
            "edges",
        ]
        .map(String::from)
        .to_vec(),
        "raw 65536 x 65536 RGBA frames: 16 GiB each",
    ));
    for (args, declared) in &cases {
        let (code, err, time) = run_limited(args);
        assert_eq!(
            code,
            Some(1),
            "{args:?} ({declared}): exit code 1, not a crash: {err}"
        );
        // `audio` names the file of a batch; `video` has one input and names the command.
        let line = err
            .lines()
            .find(|l| l.starts_with(&args[1]) || l.starts_with(&format!("gpuarray {}:", args[0])))
            .unwrap_or_else(|| panic!("{args:?}: the error names the input or command: {err}"));
        table.push(format!(
            "  {:<8} {:<45} {:>6.3} s  {line}",
            args[0],
            declared,
            time.as_secs_f64(),
        ));
    }
    eprintln!("audio and video bombs, each refused under ulimit -v 1 GiB:");
    for line in &table {
        eprintln!("{line}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

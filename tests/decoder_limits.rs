//! Decompression bombs: a small file of every format the CLI reads declares a huge image
//! (10⁹–10¹⁰ pixels, 1–120 GB decoded). The real binary (`gpuarray info`) must refuse each one
//! with an error naming the file, before allocating: it runs under `ulimit -v` of 1 GiB, so an
//! attempt to allocate the image would abort the process (a signal, not an exit code) rather
//! than pass. Each run is watched: still running after 30 s is a hang.

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

/// Runs the binary under `ulimit -v` (1 GiB) with a 30 s watchdog: (exit code or None for a
/// signal, stderr, time).
fn run_limited(args: &[&Path]) -> (Option<i32>, String, Duration) {
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg("ulimit -v 1048576 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_gpuarray"))
        .arg("info")
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
            panic!("gpuarray info {args:?}: still running after 30 s (a hang)");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gpuarray-bombs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn every_format_refuses_a_decompression_bomb_before_allocating() {
    let dir = scratch();
    // The limit is low enough to catch an allocation of the image, high enough for the tool:
    // a real photo decodes under it.
    let photo = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/coffee.png"));
    let (code, err, _) = run_limited(&[photo]);
    assert_eq!(code, Some(0), "a real photo under the same limit: {err}");

    let mut table = vec![];
    for (name, bytes, declared) in bombs() {
        let path = dir.join(name);
        std::fs::write(&path, &bytes).unwrap();
        let (code, err, time) = run_limited(&[&path]);
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

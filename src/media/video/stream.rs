//! Reading and writing frame streams: raw frames (ffmpeg's `-f rawvideo`) and Y4M.

use std::io::{BufRead, BufReader, BufWriter, Read, Write};

use crate::error::{Error, Result};
use crate::media::video::format::{Chroma, PixFmt};
use crate::view::view::{HostArray, View};

/// One frame on the host.
#[derive(Clone, Debug)]
pub enum Frame {
    /// Interleaved samples `[height, width, channels]` (u8 or u16).
    Packed(HostArray),
    /// Y'CbCr planes.
    Yuv(YuvFrame),
}

/// An 8-bit Y'CbCr frame as Y4M stores it: the Y plane, then Cb and Cr, in one buffer.
#[derive(Clone, Debug, PartialEq)]
pub struct YuvFrame {
    /// The planes' bytes, one after another.
    pub data: Vec<u8>,
    /// Luma width.
    pub width: usize,
    /// Luma height.
    pub height: usize,
    /// Chroma layout.
    pub chroma: Chroma,
}

impl YuvFrame {
    /// The bytes a frame of this size and layout takes.
    pub fn len_of(width: usize, height: usize, chroma: Chroma) -> usize {
        width * height + chroma.plane(width, height).map_or(0, |(h, w)| 2 * h * w)
    }

    /// The planes as views with their own shapes: Y `[height, width]`, then (unless mono) Cb
    /// and Cr `[chroma height, chroma width]`. No copy.
    pub fn planes(&self) -> Result<Vec<View<'_>>> {
        let luma = self.width * self.height;
        let mut planes = vec![View::from_slice(
            &self.data[..luma],
            &[self.height, self.width],
        )?];
        if let Some((h, w)) = self.chroma.plane(self.width, self.height) {
            for k in 0..2 {
                let start = luma + k * h * w;
                planes.push(View::from_slice(&self.data[start..start + h * w], &[h, w])?);
            }
        }
        Ok(planes)
    }
}

/// The container of a stream.
#[derive(Clone, Debug, PartialEq)]
pub enum Container {
    /// Raw frames of one size and pixel format, back to back.
    Raw {
        /// Pixels per row.
        width: usize,
        /// Rows.
        height: usize,
        /// Pixel format.
        pix_fmt: PixFmt,
    },
    /// A Y4M stream: its size, chroma layout and the other header fields, kept as written.
    Y4m {
        /// Pixels per row.
        width: usize,
        /// Rows.
        height: usize,
        /// Chroma layout.
        chroma: Chroma,
        /// The other header fields (`F30:1`, `Ip`, `A1:1`, ...), passed through.
        fields: Vec<String>,
    },
}

const Y4M_MAGIC: &[u8] = b"YUV4MPEG2";

/// Reads frames one at a time from a byte stream.
pub struct FrameReader<R: Read> {
    inner: BufReader<R>,
    container: Container,
    index: usize,
}

/// An error about frame `index` of a stream.
fn frame_error(index: usize, what: impl std::fmt::Display) -> Error {
    Error::Io(std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("frame {index}: {what}"),
    ))
}

impl<R: Read> FrameReader<R> {
    /// A reader of raw frames of `width × height` in `pix_fmt`.
    pub fn raw(inner: R, width: usize, height: usize, pix_fmt: PixFmt) -> FrameReader<R> {
        FrameReader {
            inner: BufReader::with_capacity(1 << 20, inner),
            container: Container::Raw {
                width,
                height,
                pix_fmt,
            },
            index: 0,
        }
    }

    /// A reader of a Y4M stream (its header is read now).
    pub fn y4m(inner: R) -> Result<FrameReader<R>> {
        FrameReader::y4m_from(BufReader::with_capacity(1 << 20, inner))
    }

    fn y4m_from(mut inner: BufReader<R>) -> Result<FrameReader<R>> {
        let mut line = vec![];
        inner.read_until(b'\n', &mut line)?;
        let bad = |why: &str| {
            Error::Io(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("Y4M header: {why}"),
            ))
        };
        if !line.starts_with(Y4M_MAGIC) || line.last() != Some(&b'\n') {
            return Err(bad(
                "not a YUV4MPEG2 stream (or a header without its newline)",
            ));
        }
        let text = std::str::from_utf8(&line[Y4M_MAGIC.len()..line.len() - 1])
            .map_err(|_| bad("not ASCII"))?;
        let (mut width, mut height, mut chroma, mut fields) = (0, 0, Chroma::C420, vec![]);
        for field in text.split(' ').filter(|f| !f.is_empty()) {
            let (tag, value) = field.split_at(1);
            match tag {
                "W" => width = value.parse().map_err(|_| bad("a bad width"))?,
                "H" => height = value.parse().map_err(|_| bad("a bad height"))?,
                "C" => chroma = Chroma::parse(value)?,
                _ => fields.push(field.to_string()),
            }
        }
        if width == 0 || height == 0 || width > 1 << 16 || height > 1 << 16 {
            return Err(bad(&format!(
                "size {width}x{height} (each side 1 to 65536)"
            )));
        }
        Ok(FrameReader {
            inner,
            container: Container::Y4m {
                width,
                height,
                chroma,
                fields,
            },
            index: 0,
        })
    }

    /// A reader of whichever the stream is: Y4M when it starts with `YUV4MPEG2`, else raw frames
    /// of `raw` (an error when no `--size`/`--pix-fmt` was given for them).
    pub fn detect(inner: R, raw: Option<(usize, usize, PixFmt)>) -> Result<FrameReader<R>> {
        let mut inner = BufReader::with_capacity(1 << 20, inner);
        let head = inner.fill_buf()?;
        if head.starts_with(Y4M_MAGIC) {
            return FrameReader::y4m_from(inner);
        }
        let (w, h, pix_fmt) = raw.ok_or_else(|| {
            Error::Parameter(
                "the input is not Y4M: give --size WxH and --pix-fmt for raw frames".into(),
            )
        })?;
        Ok(FrameReader {
            container: Container::Raw {
                width: w,
                height: h,
                pix_fmt,
            },
            inner,
            index: 0,
        })
    }

    /// The stream's container.
    pub fn container(&self) -> &Container {
        &self.container
    }

    /// Frames read so far.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The next `len` bytes of the stream: `None` at a clean end (no byte), an error naming
    /// the frame when the stream ends inside it.
    ///
    /// The buffer grows with what the stream holds (at most 64 MiB reserved ahead), so a
    /// header that declares a huge frame over a short stream costs only the bytes that are
    /// there, and a frame the host cannot hold is [`Error::OutOfMemory`] (std's `read_to_end`
    /// reserves fallibly), never an abort.
    fn fill(&mut self, len: usize, started: bool) -> Result<Option<Vec<u8>>> {
        let index = self.index;
        let oom = || Error::OutOfMemory(format!("frame {index}: {len} bytes on the host"));
        let mut buf = vec![];
        buf.try_reserve_exact(len.min(64 << 20))
            .map_err(|_| oom())?;
        match (&mut self.inner).take(len as u64).read_to_end(&mut buf) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::OutOfMemory => return Err(oom()),
            Err(e) => return Err(e.into()),
        }
        let got = buf.len();
        if got == 0 && !started {
            return Ok(None);
        }
        if got < len {
            return Err(frame_error(
                self.index,
                format!(
                    "the stream ends after {got} of its {len} bytes (a truncated stream, or a \
                     wrong --size / --pix-fmt)"
                ),
            ));
        }
        Ok(Some(buf))
    }

    /// The next frame, `None` at the end of the stream.
    pub fn next_frame(&mut self) -> Result<Option<Frame>> {
        let frame = match self.container.clone() {
            Container::Raw {
                width,
                height,
                pix_fmt,
            } => {
                let c = pix_fmt.channels();
                let bytes = width * height * c * pix_fmt.dtype().itemsize();
                let Some(buf) = self.fill(bytes, false)? else {
                    return Ok(None);
                };
                Frame::Packed(HostArray::from_bytes(
                    &buf,
                    &[height, width, c],
                    pix_fmt.format(),
                )?)
            }
            Container::Y4m {
                width,
                height,
                chroma,
                ..
            } => {
                let mut line = vec![];
                self.inner.read_until(b'\n', &mut line)?;
                if line.is_empty() {
                    return Ok(None);
                }
                if !line.starts_with(b"FRAME") || line.last() != Some(&b'\n') {
                    return Err(frame_error(
                        self.index,
                        "no FRAME header (a corrupt or truncated Y4M stream)",
                    ));
                }
                let len = YuvFrame::len_of(width, height, chroma);
                let data = self
                    .fill(len, true)?
                    .ok_or_else(|| frame_error(self.index, "no samples after FRAME"))?;
                Frame::Yuv(YuvFrame {
                    data,
                    width,
                    height,
                    chroma,
                })
            }
        };
        self.index += 1;
        Ok(Some(frame))
    }
}

/// Where a stream's frames come from: [`FrameReader`] (raw and Y4M byte streams) or
/// [`AnimationReader`](crate::media::video::AnimationReader) (GIF and APNG files).
pub trait FrameSource: Send {
    /// The next frame, `None` at the end of the stream.
    fn next_frame(&mut self) -> Result<Option<Frame>>;
    /// Frames read so far (the index of the next one).
    fn index(&self) -> usize;
}

impl<R: Read + Send> FrameSource for FrameReader<R> {
    fn next_frame(&mut self) -> Result<Option<Frame>> {
        FrameReader::next_frame(self)
    }

    fn index(&self) -> usize {
        FrameReader::index(self)
    }
}

impl<S: FrameSource + ?Sized> FrameSource for Box<S> {
    fn next_frame(&mut self) -> Result<Option<Frame>> {
        (**self).next_frame()
    }

    fn index(&self) -> usize {
        (**self).index()
    }
}

/// Writes frames to a byte stream: raw samples, or Y4M with the input's header fields.
pub struct FrameWriter<W: Write> {
    inner: BufWriter<W>,
    /// The Y4M header fields to write before the first frame (`None`: raw output).
    y4m: Option<Vec<String>>,
    header_written: bool,
}

impl<W: Write> FrameWriter<W> {
    /// A writer of raw frames (their samples back to back, 16-bit ones little-endian).
    pub fn raw(inner: W) -> FrameWriter<W> {
        FrameWriter {
            inner: BufWriter::with_capacity(1 << 20, inner),
            y4m: None,
            header_written: false,
        }
    }

    /// A writer of a Y4M stream with these header fields (besides W, H and C).
    pub fn y4m(inner: W, fields: Vec<String>) -> FrameWriter<W> {
        FrameWriter {
            inner: BufWriter::with_capacity(1 << 20, inner),
            y4m: Some(fields),
            header_written: false,
        }
    }

    /// Writes one frame. Y4M output takes [`Frame::Yuv`] frames (the header is written before
    /// the first, with its size and chroma layout); raw output takes [`Frame::Packed`] ones.
    pub fn write_frame(&mut self, frame: &Frame) -> Result<()> {
        match (frame, &self.y4m) {
            (Frame::Yuv(f), Some(fields)) => {
                if !self.header_written {
                    let mut header =
                        format!("YUV4MPEG2 W{} H{} {}", f.width, f.height, f.chroma.tag());
                    for field in fields {
                        header.push(' ');
                        header.push_str(field);
                    }
                    header.push('\n');
                    self.inner.write_all(header.as_bytes())?;
                    self.header_written = true;
                }
                self.inner.write_all(b"FRAME\n")?;
                self.inner.write_all(&f.data)?;
            }
            (Frame::Packed(a), None) => {
                let a = a.to_contiguous()?;
                if a.itemsize() == 2 {
                    for v in a.as_slice::<u16>()? {
                        self.inner.write_all(&v.to_le_bytes())?;
                    }
                } else {
                    self.inner.write_all(a.bytes())?;
                }
            }
            _ => {
                return Err(Error::unsupported(
                    "a Y'CbCr frame to a raw stream, or a packed frame to a Y4M one",
                ));
            }
        }
        Ok(())
    }

    /// Flushes the stream and returns the writer.
    pub fn finish(self) -> Result<W> {
        self.inner
            .into_inner()
            .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))
    }
}

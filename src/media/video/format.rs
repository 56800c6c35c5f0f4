//! Frame formats: ffmpeg's rawvideo pixel formats and Y4M's chroma layouts.

use std::str::FromStr;

use crate::error::{Error, Result};
use crate::view::dtype::Dtype;

/// A pixel format of raw frames, named as ffmpeg's `-pix_fmt`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PixFmt {
    /// 8-bit grey.
    Gray,
    /// 8-bit RGB, interleaved.
    Rgb24,
    /// 8-bit RGBA, interleaved.
    Rgba,
    /// 16-bit little-endian grey.
    Gray16le,
    /// 16-bit little-endian RGB, interleaved.
    Rgb48le,
}

impl PixFmt {
    /// Channels per pixel.
    pub fn channels(self) -> usize {
        match self {
            PixFmt::Gray | PixFmt::Gray16le => 1,
            PixFmt::Rgb24 | PixFmt::Rgb48le => 3,
            PixFmt::Rgba => 4,
        }
    }

    /// The dtype of one sample.
    pub fn dtype(self) -> Dtype {
        match self {
            PixFmt::Gray16le | PixFmt::Rgb48le => Dtype::U16,
            _ => Dtype::U8,
        }
    }

    /// The PEP 3118 format of one sample (little-endian for the 16-bit formats).
    pub fn format(self) -> &'static str {
        match self.dtype() {
            Dtype::U16 => "<H",
            _ => "B",
        }
    }

    /// The format of frames of `channels` samples of `dtype` (what an op's result is written
    /// as), if there is one.
    pub fn of(dtype: Dtype, channels: usize) -> Option<PixFmt> {
        Some(match (dtype, channels) {
            (Dtype::U8, 1) => PixFmt::Gray,
            (Dtype::U8, 3) => PixFmt::Rgb24,
            (Dtype::U8, 4) => PixFmt::Rgba,
            (Dtype::U16, 1) => PixFmt::Gray16le,
            (Dtype::U16, 3) => PixFmt::Rgb48le,
            _ => return None,
        })
    }

    /// ffmpeg's name.
    pub fn name(self) -> &'static str {
        match self {
            PixFmt::Gray => "gray",
            PixFmt::Rgb24 => "rgb24",
            PixFmt::Rgba => "rgba",
            PixFmt::Gray16le => "gray16le",
            PixFmt::Rgb48le => "rgb48le",
        }
    }
}

impl FromStr for PixFmt {
    type Err = Error;

    fn from_str(s: &str) -> Result<PixFmt> {
        Ok(match s {
            "gray" => PixFmt::Gray,
            "rgb24" => PixFmt::Rgb24,
            "rgba" => PixFmt::Rgba,
            "gray16le" => PixFmt::Gray16le,
            "rgb48le" => PixFmt::Rgb48le,
            _ => {
                return Err(Error::Parameter(format!(
                    "unknown pixel format {s:?} (gray, rgb24, rgba, gray16le, rgb48le)"
                )));
            }
        })
    }
}

/// `WxH`, both ≥ 1, as `--size` takes it.
pub fn parse_size(s: &str) -> Result<(usize, usize)> {
    let bad = || Error::Parameter(format!("--size {s:?} is not WIDTHxHEIGHT (e.g. 1920x1080)"));
    let (w, h) = s.split_once('x').ok_or_else(bad)?;
    let (w, h) = (
        w.parse::<usize>().map_err(|_| bad())?,
        h.parse::<usize>().map_err(|_| bad())?,
    );
    if w == 0 || h == 0 || w > 1 << 16 || h > 1 << 16 {
        return Err(Error::Parameter(format!(
            "--size {s:?}: width and height must be 1 to 65536"
        )));
    }
    Ok((w, h))
}

/// Chroma subsampling of a Y4M stream (8 bits per sample).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Chroma {
    /// Half width, half height (`C420jpeg`, `C420paldv`, `C420mpeg2`, `C420`; the default).
    C420,
    /// Half width (`C422`).
    C422,
    /// Full resolution (`C444`).
    C444,
    /// Luma only (`Cmono`).
    Mono,
}

impl Chroma {
    /// The chroma plane's `(height, width)` for a `width × height` frame (none for mono).
    pub fn plane(self, width: usize, height: usize) -> Option<(usize, usize)> {
        match self {
            Chroma::C420 => Some((height.div_ceil(2), width.div_ceil(2))),
            Chroma::C422 => Some((height, width.div_ceil(2))),
            Chroma::C444 => Some((height, width)),
            Chroma::Mono => None,
        }
    }

    /// Vertical and horizontal subsampling factors.
    pub fn factors(self) -> (usize, usize) {
        match self {
            Chroma::C420 => (2, 2),
            Chroma::C422 => (1, 2),
            Chroma::C444 | Chroma::Mono => (1, 1),
        }
    }

    /// The header tag written (`C420jpeg` for 4:2:0, centred chroma as averaging makes it).
    pub fn tag(self) -> &'static str {
        match self {
            Chroma::C420 => "C420jpeg",
            Chroma::C422 => "C422",
            Chroma::C444 => "C444",
            Chroma::Mono => "Cmono",
        }
    }

    /// The layout of a header tag (without the leading `C`), or an error for the ones that are
    /// not 8-bit 4:2:0, 4:2:2, 4:4:4 or mono.
    pub fn parse(tag: &str) -> Result<Chroma> {
        Ok(match tag {
            "420jpeg" | "420paldv" | "420mpeg2" | "420" => Chroma::C420,
            "422" => Chroma::C422,
            "444" => Chroma::C444,
            "mono" => Chroma::Mono,
            other => {
                return Err(Error::unsupported(format!(
                    "Y4M colour space C{other} (8-bit 420, 422, 444 and mono are read)"
                )));
            }
        })
    }
}

/// The matrix between Y'CbCr and R'G'B' (limited range, as video is stored).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Matrix {
    /// ITU-R BT.601 (standard definition; ffmpeg's assumption when a stream does not say).
    #[default]
    Bt601,
    /// ITU-R BT.709 (high definition).
    Bt709,
}

impl Matrix {
    /// The luma weights of red and blue, `(Kr, Kb)`.
    pub fn weights(self) -> (f64, f64) {
        match self {
            Matrix::Bt601 => (0.299, 0.114),
            Matrix::Bt709 => (0.2126, 0.0722),
        }
    }
}

impl FromStr for Matrix {
    type Err = Error;

    fn from_str(s: &str) -> Result<Matrix> {
        match s {
            "bt601" | "601" => Ok(Matrix::Bt601),
            "bt709" | "709" => Ok(Matrix::Bt709),
            _ => Err(Error::Parameter(format!(
                "colour matrix {s:?} is not bt601 or bt709"
            ))),
        }
    }
}

//! Audio: decoded samples as views, and the math on them on the GPU.
//!
//! [`Audio`] holds the samples a decoder produced, in its own buffer, with the sample rate
//! beside them: WAV files through `hound` (8/16/24/32-bit integer and 32-bit float, read and
//! written) are interleaved `[frames, channels]` in the file's sample type; FLAC, MP3 and Ogg
//! Vorbis through `symphonia` (read) are planar `[channels, frames]` float32. [`Audio::view`] is
//! a [`View`] of that buffer, no copy. [`decode_blocks`] hands out symphonia's own decoded
//! buffers, packet by packet, as zero-copy views of each channel.
//!
//! On the GPU a signal is float32 `[channels, len]` in full-scale units (±1):
//! [`Audio::upload`] makes one (the transpose and the integer scaling run on the GPU),
//! [`Audio::from_gpu`] brings one back in a sample format of your choice. The operations —
//! [`stft()`], [`istft`], [`spectrogram`], [`filter`], [`resample`], [`gain`], [`normalize`],
//! [`denoise`] — are in the modules [`stft`](mod@stft) and [`ops`].
//!
//! ```no_run
//! use gpuarray::Gpu;
//! use gpuarray::media::audio::{self, Audio, Band, SampleFormat};
//! let gpu = Gpu::new()?;
//! let speech = Audio::open("testdata/speech.wav")?;            // [frames, 1] int16, 16 kHz
//! let x = speech.upload(&gpu)?;                                   // [1, frames] f32 on the GPU
//! let rate = speech.sample_rate() as f64;
//! let y = audio::filter(&x, rate, Band::Lowpass { cutoff: 3000.0 }, 200.0)?;
//! let out = Audio::from_gpu(&y, speech.sample_rate(), SampleFormat::S16)?;
//! out.write_wav(std::fs::File::create("lowpassed.wav")?)?;
//! # Ok::<(), gpuarray::Error>(())
//! ```

pub mod op;
pub mod ops;
pub mod picture;
pub mod stft;

pub use op::{AudioOp, audio_op_list};
pub use ops::{
    Band, Denoise, Level, RESAMPLE_BLOCK, denoise, filter, gain, normalize, resample,
    resample_rate, resample_rate_in_blocks,
};
pub use picture::spectrogram_image;
pub use stft::{Scale, Stft, Window, istft, scaled, spectrogram, stft};

use std::io::{Read, Seek, Write};
use std::path::Path;

use symphonia::core::audio::{Audio as _, GenericAudioBufferRef};
use symphonia::core::codecs::CodecParameters;
use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;

use crate::error::{Error, Result};
use crate::gpu::array::GpuArray;
use crate::gpu::context::Gpu;
use crate::view::dtype::Dtype;
use crate::view::view::View;

/// How samples are stored, in a file or in memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SampleFormat {
    /// 8-bit integers (unsigned in WAV files; held as `i8` around 0, as hound reads them).
    S8,
    /// 16-bit integers.
    S16,
    /// 24-bit integers (held in `i32`, ±2²³).
    S24,
    /// 32-bit integers.
    S32,
    /// 32-bit floats (±1 full scale).
    F32,
}

impl SampleFormat {
    /// Bits per sample.
    pub fn bits(self) -> u16 {
        match self {
            SampleFormat::S8 => 8,
            SampleFormat::S16 => 16,
            SampleFormat::S24 => 24,
            SampleFormat::S32 => 32,
            SampleFormat::F32 => 32,
        }
    }

    /// The value of full scale: `2^(bits − 1)` for integers, 1 for floats.
    pub fn full_scale(self) -> f64 {
        match self {
            SampleFormat::F32 => 1.0,
            other => (1u64 << (other.bits() - 1)) as f64,
        }
    }

    /// The dtype samples of this format are held in.
    pub fn dtype(self) -> Dtype {
        match self {
            SampleFormat::S8 => Dtype::I8,
            SampleFormat::S16 => Dtype::I16,
            SampleFormat::S24 | SampleFormat::S32 => Dtype::I32,
            SampleFormat::F32 => Dtype::F32,
        }
    }
}

impl std::str::FromStr for SampleFormat {
    type Err = Error;

    fn from_str(s: &str) -> Result<SampleFormat> {
        Ok(match s {
            "u8" | "s8" => SampleFormat::S8,
            "s16" => SampleFormat::S16,
            "s24" => SampleFormat::S24,
            "s32" => SampleFormat::S32,
            "f32" => SampleFormat::F32,
            _ => {
                return Err(Error::Parameter(format!(
                    "sample format {s:?} is not u8, s16, s24, s32 or f32"
                )));
            }
        })
    }
}

/// The samples of an [`Audio`], in the decoder's own buffer.
#[derive(Clone, Debug, PartialEq)]
enum Samples {
    I8(Vec<i8>),
    I16(Vec<i16>),
    I32(Vec<i32>),
    F32(Vec<f32>),
}

/// Decoded audio: samples, their layout and format, and the sample rate.
#[derive(Clone, Debug, PartialEq)]
pub struct Audio {
    samples: Samples,
    channels: usize,
    frames: usize,
    planar: bool,
    format: SampleFormat,
    sample_rate: u32,
}

/// An error for a file that is not valid audio.
fn invalid(what: impl std::fmt::Display) -> Error {
    Error::Io(std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        what.to_string(),
    ))
}

impl Audio {
    /// Reads an audio file: WAV (by its `RIFF` header) through hound, anything else (FLAC, MP3,
    /// Ogg Vorbis) through symphonia. A truncated or corrupt file is an error.
    pub fn open(path: impl AsRef<Path>) -> Result<Audio> {
        let path = path.as_ref();
        let bytes = std::fs::read(path)?;
        if bytes.starts_with(b"RIFF") || bytes.starts_with(b"RIFX") {
            Audio::read_wav(std::io::Cursor::new(bytes))
        } else {
            let ext = path.extension().and_then(|e| e.to_str());
            Audio::decode(std::io::Cursor::new(bytes), ext)
        }
    }

    /// Reads a WAV stream: interleaved `[frames, channels]` in the file's sample format.
    pub fn read_wav(reader: impl Read) -> Result<Audio> {
        let reader = hound::WavReader::new(reader).map_err(|e| invalid(format!("WAV: {e}")))?;
        let spec = reader.spec();
        let channels = spec.channels as usize;
        if channels == 0 || spec.sample_rate == 0 {
            return Err(invalid(
                "WAV: a header with 0 channels or a sample rate of 0",
            ));
        }
        fn all<S: hound::Sample, R: Read>(r: hound::WavReader<R>) -> Result<Vec<S>> {
            let declared = r.len() as usize;
            let samples = r
                .into_samples::<S>()
                .collect::<std::result::Result<Vec<S>, _>>()
                .map_err(|e| invalid(format!("WAV data: {e} (truncated or corrupt)")))?;
            if samples.len() != declared {
                return Err(invalid(format!(
                    "WAV data: {} of the {declared} samples the header declares (truncated)",
                    samples.len()
                )));
            }
            Ok(samples)
        }
        let (samples, format) = match (spec.sample_format, spec.bits_per_sample) {
            (hound::SampleFormat::Float, 32) => (Samples::F32(all(reader)?), SampleFormat::F32),
            (hound::SampleFormat::Int, 8) => (Samples::I8(all(reader)?), SampleFormat::S8),
            (hound::SampleFormat::Int, 16) => (Samples::I16(all(reader)?), SampleFormat::S16),
            (hound::SampleFormat::Int, 24) => (Samples::I32(all(reader)?), SampleFormat::S24),
            (hound::SampleFormat::Int, 32) => (Samples::I32(all(reader)?), SampleFormat::S32),
            (kind, bits) => {
                return Err(Error::unsupported(format!(
                    "WAV files of {bits}-bit {kind:?} samples (8/16/24/32-bit integers and \
                     32-bit floats are read)"
                )));
            }
        };
        let len = match &samples {
            Samples::I8(v) => v.len(),
            Samples::I16(v) => v.len(),
            Samples::I32(v) => v.len(),
            Samples::F32(v) => v.len(),
        };
        if len % channels != 0 {
            return Err(invalid(format!(
                "WAV data: {len} samples are not whole frames of {channels} channels (truncated)"
            )));
        }
        Ok(Audio {
            samples,
            channels,
            frames: len / channels,
            planar: false,
            format,
            sample_rate: spec.sample_rate,
        })
    }

    /// Decodes a FLAC, MP3 or Ogg Vorbis stream (`extension` is a hint for the prober):
    /// planar `[channels, frames]` float32, the format of the file's samples kept as
    /// [`format`](Self::format) (16-bit for lossy codecs).
    pub fn decode(source: std::io::Cursor<Vec<u8>>, extension: Option<&str>) -> Result<Audio> {
        let mut planes: Vec<Vec<f32>> = vec![];
        let mut scratch: Vec<Vec<f32>> = vec![];
        let mut rate = 0;
        let mut bits = 16;
        decode_source(source, extension, &mut |buffer, params_bits| {
            rate = buffer.spec().rate();
            bits = params_bits.unwrap_or(16);
            buffer.copy_to_vecs_planar::<f32>(&mut scratch);
            planes.resize_with(scratch.len(), Vec::new);
            for (plane, new) in planes.iter_mut().zip(&scratch) {
                plane.extend_from_slice(&new[..buffer.frames()]);
            }
            Ok(())
        })?;
        let channels = planes.len();
        if channels == 0 || rate == 0 {
            return Err(invalid("an audio stream with no decoded samples"));
        }
        let frames = planes[0].len();
        let format = match bits {
            0..=8 => SampleFormat::S8,
            9..=16 => SampleFormat::S16,
            17..=24 => SampleFormat::S24,
            _ => SampleFormat::S32,
        };
        Ok(Audio {
            samples: Samples::F32(planes.concat()),
            channels,
            frames,
            planar: true,
            format,
            sample_rate: rate,
        })
    }

    /// The samples: `[frames, channels]` (interleaved) or `[channels, frames]` (planar), of the
    /// buffer the decoder filled (no copy).
    pub fn view(&self) -> View<'_> {
        let shape = if self.planar {
            [self.channels, self.frames]
        } else {
            [self.frames, self.channels]
        };
        let view = match &self.samples {
            Samples::I8(v) => View::from_slice(v, &shape),
            Samples::I16(v) => View::from_slice(v, &shape),
            Samples::I32(v) => View::from_slice(v, &shape),
            Samples::F32(v) => View::from_slice(v, &shape),
        };
        view.expect("the shape matches the sample count")
    }

    /// Samples per second.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Channels.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Samples per channel.
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Whether the view is planar `[channels, frames]` (else interleaved `[frames, channels]`).
    pub fn is_planar(&self) -> bool {
        self.planar
    }

    /// The format of the source's samples (what [`write_wav`](Self::write_wav) writes).
    pub fn format(&self) -> SampleFormat {
        self.format
    }

    /// The samples on the GPU as float32 `[channels, frames]` in full-scale units: one upload
    /// of the view, then the transpose (for interleaved data) and the scaling of integers by
    /// `1/2^(bits−1)` in one gather on the GPU.
    pub fn upload(&self, gpu: &Gpu) -> Result<GpuArray> {
        let raw = gpu.upload(&self.view())?;
        let planar = if self.planar { raw } else { raw.transpose() };
        let float = planar.astype(Dtype::F32)?;
        match self.samples {
            Samples::F32(_) => Ok(float),
            _ => float.mul(1.0 / self.format.full_scale()),
        }
    }

    /// A float32 GPU signal `[channels, frames]` (or `[frames]`, one channel) in full-scale
    /// units back on the host as interleaved samples of `format`: integers are clipped to
    /// their range and rounded on the GPU.
    pub fn from_gpu(x: &GpuArray, sample_rate: u32, format: SampleFormat) -> Result<Audio> {
        if sample_rate == 0 {
            return Err(Error::Parameter("a sample rate of 0 Hz".into()));
        }
        let x = match x.ndim() {
            1 => x.reshape(&[1, -1])?,
            2 => x.clone(),
            n => {
                return Err(Error::shape(format!(
                    "a signal is [channels, frames] or [frames], not {n} dimensions"
                )));
            }
        };
        let (channels, frames) = (x.shape()[0], x.shape()[1]);
        let interleaved = x.transpose();
        let samples = if format == SampleFormat::F32 {
            Samples::F32(
                interleaved
                    .astype(Dtype::F32)?
                    .to_host()?
                    .as_slice()?
                    .to_vec(),
            )
        } else {
            let scale = format.full_scale();
            let ints = interleaved
                .mul(scale)?
                .round()?
                .clip(-scale, scale - 1.0)?
                .astype(format.dtype())?
                .to_host()?;
            match format {
                SampleFormat::S8 => Samples::I8(ints.as_slice()?.to_vec()),
                SampleFormat::S16 => Samples::I16(ints.as_slice()?.to_vec()),
                _ => Samples::I32(ints.as_slice()?.to_vec()),
            }
        };
        Ok(Audio {
            samples,
            channels,
            frames,
            planar: false,
            format,
            sample_rate,
        })
    }

    /// Writes the samples as a WAV stream in their [`format`](Self::format) (planar audio is
    /// interleaved on the way; float samples of an integer format are scaled and rounded).
    pub fn write_wav(&self, writer: impl Write + Seek) -> Result<()> {
        let spec = hound::WavSpec {
            channels: u16::try_from(self.channels).map_err(|_| {
                Error::unsupported(format!("WAV files of {} channels", self.channels))
            })?,
            sample_rate: self.sample_rate,
            bits_per_sample: self.format.bits(),
            sample_format: if self.format == SampleFormat::F32 {
                hound::SampleFormat::Float
            } else {
                hound::SampleFormat::Int
            },
        };
        let wav = |e: hound::Error| match e {
            hound::Error::IoError(e) => Error::Io(e),
            other => invalid(format!("WAV: {other}")),
        };
        let mut out = hound::WavWriter::new(writer, spec).map_err(wav)?;
        // Frame-major order, whichever layout the samples are in.
        let (c, f) = (self.channels, self.frames);
        let index = |i: usize| {
            if self.planar { (i % c) * f + i / c } else { i }
        };
        let scale = self.format.full_scale();
        for i in 0..c * f {
            let j = index(i);
            match (&self.samples, self.format) {
                (Samples::I8(v), _) => out.write_sample(v[j]),
                (Samples::I16(v), _) => out.write_sample(v[j]),
                (Samples::I32(v), _) => out.write_sample(v[j]),
                (Samples::F32(v), SampleFormat::F32) => out.write_sample(v[j]),
                (Samples::F32(v), format) => {
                    let s = (v[j] as f64 * scale).round().clamp(-scale, scale - 1.0) as i32;
                    match format {
                        SampleFormat::S8 => out.write_sample(s as i8),
                        SampleFormat::S16 => out.write_sample(s as i16),
                        _ => out.write_sample(s),
                    }
                }
            }
            .map_err(wav)?;
        }
        out.finalize().map_err(wav)
    }
}

/// One decoded packet: each channel's samples as a zero-copy view of the decoder's own buffer
/// (`[frames]`, in the decoder's sample type; 24-bit samples, which have no PEP 3118 type, are
/// widened to `i32` in a copy).
#[derive(Debug)]
pub struct Block<'a> {
    /// One view per channel.
    pub planes: Vec<View<'a>>,
    /// Samples per second.
    pub sample_rate: u32,
}

/// Decodes a FLAC, MP3 or Ogg Vorbis file packet by packet, calling `each` with views of the
/// decoder's buffers (valid during the call).
pub fn decode_blocks(
    path: impl AsRef<Path>,
    mut each: impl FnMut(&Block<'_>) -> Result<()>,
) -> Result<()> {
    let path = path.as_ref();
    let bytes = std::fs::read(path)?;
    let ext = path.extension().and_then(|e| e.to_str());
    decode_source(std::io::Cursor::new(bytes), ext, &mut |buffer, _| {
        let frames = buffer.frames();
        let sample_rate = buffer.spec().rate();
        let mut widened: Vec<Vec<i32>> = vec![];
        macro_rules! planes {
            ($buf:expr) => {
                (0..$buf.num_planes())
                    .map(|i| {
                        let plane = &$buf.plane(i).expect("a plane per channel")[..frames];
                        View::from_slice(plane, &[frames])
                    })
                    .collect::<Result<Vec<_>>>()?
            };
        }
        let planes = match &buffer {
            GenericAudioBufferRef::U8(b) => planes!(b),
            GenericAudioBufferRef::U16(b) => planes!(b),
            GenericAudioBufferRef::U32(b) => planes!(b),
            GenericAudioBufferRef::S8(b) => planes!(b),
            GenericAudioBufferRef::S16(b) => planes!(b),
            GenericAudioBufferRef::S32(b) => planes!(b),
            GenericAudioBufferRef::F32(b) => planes!(b),
            GenericAudioBufferRef::F64(b) => planes!(b),
            GenericAudioBufferRef::S24(_) | GenericAudioBufferRef::U24(_) => {
                buffer.copy_to_vecs_planar::<i32>(&mut widened);
                widened
                    .iter()
                    .map(|p| View::from_slice(&p[..frames], &[frames]))
                    .collect::<Result<Vec<_>>>()?
            }
        };
        each(&Block {
            planes,
            sample_rate,
        })
    })
}

/// The decode loop shared by [`Audio::decode`] and [`decode_blocks`]: probes the container,
/// decodes every packet of its default audio track and calls `each` with the decoder's buffer
/// and the track's bits per sample. Any error of the container or codec is an error (a
/// truncated or corrupt file does not decode to a shorter signal silently).
fn decode_source(
    source: std::io::Cursor<Vec<u8>>,
    extension: Option<&str>,
    each: &mut dyn FnMut(GenericAudioBufferRef<'_>, Option<u32>) -> Result<()>,
) -> Result<()> {
    let codec = |e: symphonia::core::errors::Error| match e {
        symphonia::core::errors::Error::IoError(e)
            if e.kind() == std::io::ErrorKind::UnexpectedEof =>
        {
            invalid(format!("audio stream: {e} (truncated)"))
        }
        symphonia::core::errors::Error::IoError(e) => Error::Io(e),
        other => invalid(format!("audio stream: {other}")),
    };
    let mut hint = Hint::new();
    if let Some(ext) = extension {
        hint.with_extension(ext);
    }
    let stream = MediaSourceStream::new(Box::new(source), Default::default());
    let mut format = symphonia::default::get_probe()
        .probe(
            &hint,
            stream,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(codec)?;
    let track = format
        .default_track(TrackType::Audio)
        .ok_or_else(|| invalid("no audio track"))?;
    let id = track.id;
    let Some(CodecParameters::Audio(params)) = track.codec_params.clone() else {
        return Err(invalid("an audio track without codec parameters"));
    };
    let bits = params.bits_per_sample;
    let mut decoder = symphonia::default::get_codecs()
        .make_audio_decoder(&params, &AudioDecoderOptions::default())
        .map_err(codec)?;
    while let Some(packet) = format.next_packet().map_err(codec)? {
        if packet.track_id != id {
            continue;
        }
        let buffer = decoder.decode(&packet).map_err(codec)?;
        each(buffer, bits)?;
    }
    Ok(())
}

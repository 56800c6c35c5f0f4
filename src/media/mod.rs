//! Audio and video: decoded samples and frames as views, the math on them on the GPU.
//!
//! - [`audio`]: WAV/FLAC/MP3/Ogg samples as views, STFT and its inverse, spectrograms, FFT
//!   filters, resampling, gain, normalisation and denoising.
//! - [`video`]: frame streams (raw frames on a pipe as ffmpeg writes them, Y4M), through the
//!   [`filters::Op`](crate::filters::Op) pipeline with upload, compute and download overlapped.

pub mod audio;
pub mod video;

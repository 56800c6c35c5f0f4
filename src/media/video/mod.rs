//! Video: frame streams through the filter ops on the GPU.
//!
//! - [`FrameReader`] / [`FrameWriter`]: raw frames as ffmpeg's `-f rawvideo` writes them
//!   ([`PixFmt`]: gray, rgb24, rgba, gray16le, rgb48le) and Y4M streams (8-bit 4:2:0, 4:2:2,
//!   4:4:4 and mono), whose Y, Cb and Cr planes are views with their own shapes
//!   ([`YuvFrame::planes`]); [`AnimationReader`]: animated GIF and APNG files through `image`.
//! - [`yuv_to_rgb`] / [`rgb_to_yuv`]: BT.601 or BT.709 conversion on the GPU, for the ops that
//!   need R'G'B'.
//! - [`Pipeline`] and [`run`]: every `filter` op per frame plus `temporal-mean:frames=N`, with
//!   upload of frame n+1, compute on n and download of n−1 on three threads.
//!
//! ```no_run
//! use gpuarray::Gpu;
//! use gpuarray::filters::Border;
//! use gpuarray::media::video::{self, FrameReader, FrameWriter, PixFmt, Pipeline, VideoOp};
//! let gpu = Gpu::new()?;
//! let reader = FrameReader::raw(std::io::stdin(), 1920, 1080, PixFmt::Rgb24);
//! let writer = FrameWriter::raw(std::io::stdout());
//! let ops = vec!["blur:sigma=2".parse::<VideoOp>()?];
//! let mut pipeline = Pipeline::new(ops, Border::Clamp);
//! let (frames, _) = video::run(&gpu, reader, writer, &mut pipeline, Default::default())?;
//! eprintln!("{frames} frames");
//! # Ok::<(), gpuarray::Error>(())
//! ```

pub mod animation;
pub mod color;
pub mod format;
pub mod pipeline;
pub mod stream;

pub use animation::AnimationReader;
pub use color::{rgb_to_yuv, yuv_to_rgb};
pub use format::{Chroma, Matrix, PixFmt, parse_size};
pub use pipeline::{Pipeline, StreamOptions, VideoOp, run};
pub use stream::{Container, Frame, FrameReader, FrameSource, FrameWriter, YuvFrame};

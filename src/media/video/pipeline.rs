//! Frames through filter ops on the GPU, with upload, compute and download overlapped.

use std::collections::VecDeque;
use std::io::Write;
use std::str::FromStr;
use std::sync::mpsc;
use std::thread;

use crate::error::{Error, Result};
use crate::filters::pipeline::{Spec, Step, p};
use crate::filters::{Border, Op, from_float, to_float};
use crate::gpu::array::GpuArray;
use crate::gpu::context::Gpu;
use crate::media::video::color::{rgb_to_yuv, yuv_to_rgb};
use crate::media::video::format::{Chroma, Matrix};
use crate::media::video::stream::{Frame, FrameSource, FrameWriter};

/// One step of a video pipeline: an image op of `filter`, or a temporal one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum VideoOp {
    /// A [`filters::Op`](crate::filters::Op) on each frame.
    Image(Op),
    /// The mean of the last `frames` frames (fewer at the start): a running mean that
    /// denoises a static scene.
    TemporalMean {
        /// The window, ≥ 1.
        frames: usize,
    },
}

const TEMPORAL: &[Spec] = &[Spec {
    name: "temporal-mean",
    doc: "the mean of the last N frames (a running mean; denoises a static scene)",
    params: &[p("frames", None, "N, an integer ≥ 1")],
}];

impl FromStr for VideoOp {
    type Err = Error;

    fn from_str(step: &str) -> Result<VideoOp> {
        if step.split(':').next() == Some("temporal-mean") {
            let args = Step::parse(step, TEMPORAL, "gpuarray video")?;
            return Ok(VideoOp::TemporalMean {
                frames: args.integer("frames", 1)?,
            });
        }
        step.parse().map(VideoOp::Image)
    }
}

/// The ops of a stream and the state the temporal ones keep (the frames in their windows).
pub struct Pipeline {
    ops: Vec<VideoOp>,
    border: Border,
    history: Vec<VecDeque<GpuArray>>,
}

impl Pipeline {
    /// A pipeline of `ops`, in order, filters reading outside the frame by `border`.
    pub fn new(ops: Vec<VideoOp>, border: Border) -> Pipeline {
        let history = vec![VecDeque::new(); ops.len()];
        Pipeline {
            ops,
            border,
            history,
        }
    }

    /// Runs the ops on the next frame of the stream (`[h, w, c]`, u8, u16 or f32).
    pub fn process(&mut self, frame: &GpuArray) -> Result<GpuArray> {
        let mut x = frame.clone();
        for (op, history) in self.ops.iter().zip(&mut self.history) {
            x = match op {
                VideoOp::Image(op) => op.apply(&x, self.border)?,
                VideoOp::TemporalMean { frames } => {
                    let (float, dtype) = to_float(&x)?;
                    float.eval()?;
                    history.push_back(float);
                    if history.len() > *frames {
                        history.pop_front();
                    }
                    // One fused kernel: the sum of the window's frames over their count.
                    let mut sum = history[0].clone();
                    for f in history.iter().skip(1) {
                        sum = sum.add(f)?;
                    }
                    from_float(&sum.div(history.len() as f64)?, dtype)?
                }
            };
        }
        x.eval()?;
        Ok(x)
    }
}

/// How frames are converted around the ops.
#[derive(Clone, Copy, Debug)]
pub struct StreamOptions {
    /// The matrix of Y'CbCr streams (Y4M).
    pub matrix: Matrix,
    /// Upload, compute and download on three threads (`false`: one after another, on one).
    pub overlapped: bool,
}

impl Default for StreamOptions {
    fn default() -> Self {
        StreamOptions {
            matrix: Matrix::Bt601,
            overlapped: true,
        }
    }
}

/// A frame on the GPU, and the chroma layout to give it back in (Y4M input).
struct Uploaded {
    array: GpuArray,
    chroma: Option<Chroma>,
}

fn upload(gpu: &Gpu, frame: &Frame, matrix: Matrix) -> Result<Uploaded> {
    Ok(match frame {
        Frame::Packed(a) => Uploaded {
            array: gpu.upload(&a.view())?,
            chroma: None,
        },
        Frame::Yuv(f) => Uploaded {
            array: yuv_to_rgb(gpu, f, matrix)?,
            chroma: Some(f.chroma),
        },
    })
}

fn download(result: &Uploaded, matrix: Matrix) -> Result<Frame> {
    Ok(match result.chroma {
        Some(chroma) => Frame::Yuv(rgb_to_yuv(&result.array, chroma, matrix)?),
        None => Frame::Packed(result.array.to_host()?),
    })
}

/// Names the frame an error happened in.
fn at(index: usize, e: Error) -> Error {
    let text = e.to_string();
    if text.contains(&format!("frame {index}:")) {
        e
    } else {
        Error::Io(std::io::Error::other(format!("frame {index}: {text}")))
    }
}

/// Runs every frame of `reader` through `pipeline` into `writer`, returning the number of
/// frames written. Overlapped, a reader thread reads and uploads frame n+1 while this thread
/// computes frame n and a writer thread downloads and writes frame n−1; the channels between
/// them hold one frame each, so memory stays bounded whatever the stream's length. The first
/// error (naming its frame) stops the stream.
pub fn run<S, W>(
    gpu: &Gpu,
    mut reader: S,
    mut writer: FrameWriter<W>,
    pipeline: &mut Pipeline,
    options: StreamOptions,
) -> Result<(usize, FrameWriter<W>)>
where
    S: FrameSource,
    W: Write + Send,
{
    let matrix = options.matrix;
    if !options.overlapped {
        let mut index = 0;
        while let Some(frame) = reader.next_frame()? {
            let mut step = || -> Result<()> {
                let up = upload(gpu, &frame, matrix)?;
                let array = pipeline.process(&up.array)?;
                let out = download(&Uploaded { array, ..up }, matrix)?;
                writer.write_frame(&out)
            };
            step().map_err(|e| at(index, e))?;
            index += 1;
        }
        return Ok((index, writer));
    }
    thread::scope(|scope| {
        let (to_compute, uploaded) = mpsc::sync_channel::<Result<Uploaded>>(1);
        let (to_writer, computed) = mpsc::sync_channel::<Uploaded>(1);
        let reading = scope.spawn(move || {
            loop {
                let index = reader.index();
                let next = match reader.next_frame() {
                    Ok(Some(frame)) => upload(gpu, &frame, matrix).map_err(|e| at(index, e)),
                    Ok(None) => break,
                    Err(e) => Err(at(index, e)),
                };
                let failed = next.is_err();
                if to_compute.send(next).is_err() || failed {
                    break;
                }
            }
        });
        let writing = scope.spawn(move || -> Result<(usize, FrameWriter<W>)> {
            let mut index = 0;
            for result in computed {
                let frame = download(&result, matrix).map_err(|e| at(index, e))?;
                writer.write_frame(&frame).map_err(|e| at(index, e))?;
                index += 1;
            }
            Ok((index, writer))
        });
        let mut failure = None;
        for (index, next) in uploaded.into_iter().enumerate() {
            let computed = next.and_then(|up| {
                let array = pipeline.process(&up.array).map_err(|e| at(index, e))?;
                Ok(Uploaded { array, ..up })
            });
            match computed {
                Ok(c) => {
                    if to_writer.send(c).is_err() {
                        break;
                    }
                }
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        drop(to_writer);
        let _ = reading.join();
        let written = writing
            .join()
            .map_err(|_| Error::Io(std::io::Error::other("the writer thread panicked")))?;
        match failure {
            Some(e) => Err(e),
            None => written,
        }
    })
}

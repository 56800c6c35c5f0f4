//! The short-time Fourier transform on the GPU, its inverse by overlap-add, and spectrograms.
//!
//! Conventions are librosa's (and `scipy.signal.stft`'s with `boundary="zeros"`): frame `t`
//! starts at sample `t·hop`, or at `t·hop − n_fft/2` with centre padding (the default), samples
//! outside the signal are zeros, and each frame is multiplied by a periodic window (zero-padded
//! to `n_fft` and centred when it is shorter) before a real FFT. Signals are float32 arrays
//! `[len]` or `[channels, len]` (time last, any strides); spectra are complex64
//! `[channels, frames, n_fft/2 + 1]`.
//!
//! Framing and overlap-add are one small kernel each (`shaders/frames.wgsl`); the transforms are
//! [`fft::rfft`] and [`fft::irfft`] along the last axis, batched over every frame at once.

use std::ops::Range;

use crate::error::{Error, Result};
use crate::fft::{self, Norm};
use crate::gpu::array::GpuArray;
use crate::gpu::kernels::{groups_2d, storage_with, submit_once};
use crate::view::dtype::Dtype;
use crate::view::layout::{Layout, Order, SliceArg};

const FRAMES_WGSL: &str = include_str!("../../../shaders/frames.wgsl");

/// The analysis window of a short-time transform (periodic, as `scipy.signal.get_window` with
/// `fftbins=True` and librosa).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Window {
    /// `0.5 − 0.5·cos(2πn/N)`: constant overlap-add at hops of N/2, N/3, N/4, ...
    #[default]
    Hann,
    /// `0.54 − 0.46·cos(2πn/N)`.
    Hamming,
    /// All ones.
    Rectangular,
}

impl Window {
    /// The `len` window values, computed in f64.
    pub fn values(self, len: usize) -> Vec<f64> {
        let n = len as f64;
        (0..len)
            .map(|i| {
                let c = (2.0 * std::f64::consts::PI * i as f64 / n).cos();
                match self {
                    Window::Hann => 0.5 - 0.5 * c,
                    Window::Hamming => 0.54 - 0.46 * c,
                    Window::Rectangular => 1.0,
                }
            })
            .collect()
    }
}

impl std::str::FromStr for Window {
    type Err = Error;

    fn from_str(s: &str) -> Result<Window> {
        match s {
            "hann" => Ok(Window::Hann),
            "hamming" => Ok(Window::Hamming),
            "rect" | "rectangular" | "boxcar" => Ok(Window::Rectangular),
            _ => Err(Error::Parameter(format!(
                "window {s:?} is not hann, hamming or rectangular"
            ))),
        }
    }
}

/// The parameters of a short-time Fourier transform, checked when made.
///
/// ```
/// use gpuarray::media::audio::{Stft, Window};
/// let stft = Stft::new(2048, 512)?;                       // Hann, centred, as librosa
/// assert_eq!(stft.frames(48_000), 1 + 48_000 / 512);
/// assert!(Stft::new(1024, 0).is_err());                     // hop 0
/// assert!(stft.with_window(Window::Hamming, 4096).is_err()); // window longer than n_fft
/// # Ok::<(), gpuarray::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stft {
    n_fft: usize,
    hop: usize,
    window: Window,
    win_length: usize,
    center: bool,
}

impl Stft {
    /// `n_fft` points per frame (≥ 2), frames `hop` samples apart (≥ 1), a Hann window of
    /// `n_fft` points, centre padding.
    pub fn new(n_fft: usize, hop: usize) -> Result<Stft> {
        if n_fft < 2 {
            return Err(Error::Parameter(format!("n_fft must be ≥ 2, not {n_fft}")));
        }
        if hop == 0 {
            return Err(Error::Parameter("hop must be ≥ 1, not 0".into()));
        }
        if n_fft > u32::MAX as usize / 2 || hop > u32::MAX as usize {
            return Err(Error::Parameter(format!(
                "n_fft {n_fft} or hop {hop} beyond the 32-bit range of the kernels"
            )));
        }
        Ok(Stft {
            n_fft,
            hop,
            window: Window::Hann,
            win_length: n_fft,
            center: true,
        })
    }

    /// The same with another window of `win_length` points (1 ..= n_fft), centred in the frame.
    pub fn with_window(self, window: Window, win_length: usize) -> Result<Stft> {
        if win_length == 0 || win_length > self.n_fft {
            return Err(Error::Parameter(format!(
                "the window length must be 1 to n_fft = {}, not {win_length} (n_fft is smaller \
                 than the window)",
                self.n_fft
            )));
        }
        Ok(Stft {
            window,
            win_length,
            ..self
        })
    }

    /// The same with (`true`) or without centre padding.
    pub fn with_center(self, center: bool) -> Stft {
        Stft { center, ..self }
    }

    /// Points per frame.
    pub fn n_fft(&self) -> usize {
        self.n_fft
    }

    /// Samples between frames.
    pub fn hop(&self) -> usize {
        self.hop
    }

    /// Frequency bins of the spectrum: `n_fft/2 + 1`.
    pub fn bins(&self) -> usize {
        self.n_fft / 2 + 1
    }

    /// The padding in front of the signal (`n_fft/2` when centred).
    fn pad(&self) -> usize {
        if self.center { self.n_fft / 2 } else { 0 }
    }

    /// The number of frames of a signal of `len` samples: `1 + len/hop` when centred (librosa),
    /// else `1 + (len − n_fft)/hop` (0 for a signal shorter than a frame).
    pub fn frames(&self, len: usize) -> usize {
        let padded = len + 2 * self.pad();
        if padded < self.n_fft {
            0
        } else {
            1 + (padded - self.n_fft) / self.hop
        }
    }

    /// The window as `n_fft` values: zero-padded and centred when it is shorter.
    pub fn window_values(&self) -> Vec<f32> {
        let mut w = vec![0.0f32; self.n_fft];
        let start = (self.n_fft - self.win_length) / 2;
        for (slot, v) in w[start..]
            .iter_mut()
            .zip(self.window.values(self.win_length))
        {
            *slot = v as f32;
        }
        w
    }

    /// The spectrum of every frame: complex64 `[channels, frames, bins]` for a float32 signal
    /// `[channels, len]` (a `[len]` signal is one channel).
    pub fn forward(&self, x: &GpuArray) -> Result<GpuArray> {
        let len = signal(x)?.1;
        self.forward_range(x, 0..self.frames(len))
    }

    /// The spectra of frames `range` only: only the samples those frames cover are gathered
    /// and framed, so a signal or an STFT larger than one storage binding is transformed a
    /// block of frames at a time.
    pub fn forward_range(&self, x: &GpuArray, range: Range<usize>) -> Result<GpuArray> {
        let (x, len) = signal(x)?;
        let total = self.frames(len);
        if range.start > range.end || range.end > total {
            return Err(Error::Parameter(format!(
                "frames {range:?} of a signal with {total} frames"
            )));
        }
        let channels = x.shape()[0];
        let frames = range.end - range.start;
        // Only the samples these frames cover are framed: a block of a long signal needs a
        // gather of its part, not a binding of the whole.
        let start = (range.start * self.hop) as i64 - self.pad() as i64;
        let end = start + (frames.saturating_sub(1) * self.hop + self.n_fft) as i64;
        let (s0, s1) = (start.max(0) as usize, (end.max(0) as usize).min(len));
        let part = if (s0, s1) == (0, len) {
            x
        } else {
            x.slice(&[
                SliceArg::ALL,
                SliceArg::range(Some(s0 as isize), Some(s1.max(s0) as isize), 1),
            ])?
            .contiguous()?
        };
        let first = start - s0 as i64;
        let out_shape = [channels, frames, self.n_fft];
        let framed = run_frames(self, &part, &out_shape, s1.max(s0) - s0, first, false)?;
        fft::rfft(&framed, None, -1, Norm::Backward)
    }

    /// The signal of `len` samples (default: as many as the frames cover, `(frames − 1)·hop`
    /// when centred) whose STFT is `spectrum` (`[channels, frames, bins]` or `[frames, bins]`),
    /// by weighted overlap-add: exact wherever the squared windows overlap to a non-zero sum
    /// (the constant overlap-add windows at their hops, and more).
    pub fn inverse(&self, spectrum: &GpuArray, len: Option<usize>) -> Result<GpuArray> {
        let spectrum = match spectrum.ndim() {
            2 => spectrum.reshape(&[1, -1, spectrum.shape()[1] as isize])?,
            3 => spectrum.clone(),
            n => {
                return Err(Error::shape(format!(
                    "a spectrum is [frames, bins] or [channels, frames, bins], not {n} \
                     dimensions"
                )));
            }
        };
        let (channels, frames, bins) = (
            spectrum.shape()[0],
            spectrum.shape()[1],
            spectrum.shape()[2],
        );
        if bins != self.bins() {
            return Err(Error::shape(format!(
                "a spectrum of {bins} bins for n_fft = {} (which has {})",
                self.n_fft,
                self.bins()
            )));
        }
        if frames == 0 {
            return Err(Error::shape("a spectrum of 0 frames has no signal"));
        }
        let covered = (frames - 1) * self.hop + self.n_fft;
        let len = len.unwrap_or(covered.saturating_sub(2 * self.pad()));
        let frames_signal = fft::irfft(&spectrum, Some(self.n_fft), -1, Norm::Backward)?;
        run_frames(self, &frames_signal, &[channels, len], len, 0, true)
    }
}

/// A signal as float32 `[channels, len]` (a `[len]` one as one channel), and its length.
fn signal(x: &GpuArray) -> Result<(GpuArray, usize)> {
    let x = match x.ndim() {
        1 => x.reshape(&[1, -1])?,
        2 => x.clone(),
        n => {
            return Err(Error::shape(format!(
                "a signal is [len] or [channels, len], not {n} dimensions ({:?})",
                x.shape()
            )));
        }
    };
    let x = if x.dtype() == Dtype::F32 {
        x
    } else {
        x.astype(Dtype::F32)?
    };
    let len = x.shape()[1];
    Ok((x, len))
}

/// One dispatch of `shaders/frames.wgsl`: framing (`ola = false`, `x` a signal, `len` its
/// length, frame 0 starting at sample `first`) or overlap-add (`ola = true`, `x` C-contiguous
/// frames, `len` the output length).
fn run_frames(
    stft: &Stft,
    x: &GpuArray,
    out_shape: &[usize],
    len: usize,
    first: i64,
    ola: bool,
) -> Result<GpuArray> {
    let gpu = x.gpu();
    let binding = gpu.inner.limits.max_storage_buffer_binding_size;
    let mut x = x.clone();
    if ola || x.storage()?.buffer().size() > binding {
        x = x.contiguous()?;
    }
    let count: usize = out_shape.iter().product();
    let out_bytes = (count as u64).saturating_mul(4);
    let too_big = |what: &str, bytes: u64| {
        Error::unsupported(format!(
            "{what} of {bytes} bytes: larger than one storage binding ({binding} bytes) on this \
             adapter; transform fewer frames at a time (Stft::forward_range)"
        ))
    };
    let in_bytes = x.storage()?.buffer().size();
    if in_bytes > binding {
        return Err(too_big("a signal", in_bytes));
    }
    if out_bytes > binding || count > u32::MAX as usize {
        return Err(too_big("a result", out_bytes));
    }
    let out = gpu.buffer(out_bytes.max(4), GpuArray::USAGE)?;
    let layout = Layout::contiguous(out_shape, 1, Order::C)?;
    if count == 0 {
        return Ok(GpuArray::from_parts(gpu.clone(), out, Dtype::F32, layout));
    }
    let to_u32 = |v: usize, what: &str| {
        u32::try_from(v).map_err(|_| {
            Error::unsupported(format!("{what} {v} beyond the 32-bit range of the kernel"))
        })
    };
    let to_i32 = |v: isize, what: &str| {
        i32::try_from(v).map_err(|_| {
            Error::unsupported(format!("{what} {v} beyond the 32-bit range of the kernel"))
        })
    };
    let groups = groups_2d((count as u64).div_ceil(256));
    let frames = if ola { x.shape()[1] } else { out_shape[1] };
    let (in_sc, in_sn) = if ola {
        (0, 0)
    } else {
        (
            to_i32(x.strides()[0], "signal stride")?,
            to_i32(x.strides()[1], "signal stride")?,
        )
    };
    let params: [u32; 13] = [
        count as u32,
        groups.0,
        to_u32(out_shape[0], "channels")?,
        to_u32(len, "signal length")?,
        stft.n_fft as u32,
        stft.hop as u32,
        stft.pad() as u32,
        to_u32(frames, "frame count")?,
        i32::try_from(first).map_err(|_| {
            Error::unsupported(format!(
                "frame start {first} beyond the 32-bit range of the kernel"
            ))
        })? as u32,
        to_u32(x.offset(), "signal offset")?,
        in_sc as u32,
        in_sn as u32,
        1e-30f32.to_bits(),
    ];
    let window = storage_with(
        gpu,
        "stft window",
        bytemuck::cast_slice(&stft.window_values()),
    );
    let params = gpu.params(&params)?;
    let module = gpu.module("frames.wgsl", FRAMES_WGSL)?;
    let pipeline = gpu.pipeline(
        if ola { "overlap-add" } else { "frames" },
        &module,
        &[("OLA", ola as u8 as f64)],
    )?;
    submit_once(
        gpu,
        if ola {
            "running an overlap-add"
        } else {
            "framing a signal"
        },
        &pipeline,
        &[
            x.storage()?.buffer().as_entire_binding(),
            window.as_entire_binding(),
            wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                buffer: out.buffer(),
                offset: 0,
                size: wgpu::BufferSize::new(out_bytes),
            }),
            params.binding(),
        ],
        groups,
        |_| {},
    )?;
    Ok(GpuArray::from_parts(gpu.clone(), out, Dtype::F32, layout))
}

/// `stft(x, n_fft, hop, window)` with a window of `n_fft` points and centre padding: complex64
/// `[channels, frames, n_fft/2 + 1]` (see [`Stft`]).
pub fn stft(x: &GpuArray, n_fft: usize, hop: usize, window: Window) -> Result<GpuArray> {
    Stft::new(n_fft, hop)?
        .with_window(window, n_fft)?
        .forward(x)
}

/// The inverse of [`stft`] by overlap-add, `len` samples long (default: what the frames cover).
pub fn istft(
    spectrum: &GpuArray,
    n_fft: usize,
    hop: usize,
    window: Window,
    len: Option<usize>,
) -> Result<GpuArray> {
    Stft::new(n_fft, hop)?
        .with_window(window, n_fft)?
        .inverse(spectrum, len)
}

/// How [`spectrogram`] scales the spectrum.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scale {
    /// `|X|`.
    Magnitude,
    /// `|X|²`.
    Power,
    /// `10·log10(max(|X|², 1e−10))`, and nothing lower than the peak minus `range` dB
    /// (librosa's `power_to_db` with `ref=1`, `amin=1e-10`, `top_db=range`).
    Db {
        /// The range below the peak that is kept (the floor is `peak − range`), > 0.
        range: f32,
    },
}

/// The spectrogram of a float32 signal `[len]` or `[channels, len]`: float32
/// `[channels, frames, bins]`, scaled by `scale`.
pub fn spectrogram(x: &GpuArray, stft: &Stft, scale: Scale) -> Result<GpuArray> {
    scaled(&stft.forward(x)?, scale)
}

/// A complex spectrum scaled by `scale` (see [`spectrogram`]).
pub fn scaled(spectrum: &GpuArray, scale: Scale) -> Result<GpuArray> {
    let magnitude = spectrum.abs()?;
    match scale {
        Scale::Magnitude => Ok(magnitude),
        Scale::Power => magnitude.mul(&magnitude),
        Scale::Db { range } => {
            if !(range.is_finite() && range > 0.0) {
                return Err(Error::Parameter(format!(
                    "the dB range must be a finite number > 0, not {range}"
                )));
            }
            let power = magnitude.mul(&magnitude)?;
            let db = power.maximum(1e-10f32)?.log10()?.mul(10.0f32)?;
            db.eval()?;
            let floor = db.max(None, false)?.sub(range)?;
            db.maximum(&floor)
        }
    }
}

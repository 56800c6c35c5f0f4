//! Audio operations on the GPU: FFT filters, resampling, gain, normalisation and denoising.
//!
//! Signals are float32 `[len]` or `[channels, len]` arrays (time last), in full-scale units
//! (±1), as [`Audio::upload`](super::Audio::upload) makes them. Each operation is a short chain
//! of the crate's public FFT, elementwise and reduction calls.

use crate::error::{Error, Result};
use crate::fft::{self, Norm};
use crate::gpu::array::GpuArray;
use crate::media::audio::stft::Stft;
use crate::view::dtype::Dtype;
use crate::view::layout::SliceArg;
use crate::view::view::View;

/// The band an FFT [`filter`] keeps or removes, in Hz.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Band {
    /// Keeps frequencies below `cutoff`.
    Lowpass {
        /// Hz.
        cutoff: f64,
    },
    /// Keeps frequencies above `cutoff`.
    Highpass {
        /// Hz.
        cutoff: f64,
    },
    /// Keeps frequencies between `low` and `high`.
    Bandpass {
        /// Hz.
        low: f64,
        /// Hz.
        high: f64,
    },
    /// Removes frequencies between `low` and `high` (a band-stop).
    Notch {
        /// Hz.
        low: f64,
        /// Hz.
        high: f64,
    },
}

/// A frequency parameter: finite, in `[0, nyquist]`, or an error naming it.
fn frequency(name: &str, f: f64, nyquist: f64) -> Result<f64> {
    if !f.is_finite() || f < 0.0 {
        return Err(Error::Parameter(format!(
            "{name} = {f} Hz: a frequency must be ≥ 0"
        )));
    }
    if f > nyquist {
        return Err(Error::Parameter(format!(
            "{name} = {f} Hz is above the Nyquist frequency ({nyquist} Hz)"
        )));
    }
    Ok(f)
}

/// A sample rate: > 0, or an error.
fn rate(name: &str, r: f64) -> Result<f64> {
    if !(r.is_finite() && r > 0.0) {
        return Err(Error::Parameter(format!(
            "{name} must be a sample rate > 0 Hz, not {r}"
        )));
    }
    Ok(r)
}

/// The smallest length ≥ `n` whose prime factors are all ≤ 7 (the FFT's fast lengths).
fn fast_len(n: usize) -> usize {
    (n.max(1)..)
        .find(|&m| {
            let mut m = m;
            for p in [2, 3, 5, 7] {
                while m % p == 0 {
                    m /= p;
                }
            }
            m == 1
        })
        .unwrap_or(n)
}

/// Time (the last axis) of a signal, and the signal as float32.
fn time_len(x: &GpuArray) -> Result<(GpuArray, usize)> {
    if x.ndim() == 0 {
        return Err(Error::shape("a signal has a time axis; this array is 0-d"));
    }
    let x = if x.dtype() == Dtype::F32 {
        x.clone()
    } else {
        x.astype(Dtype::F32)?
    };
    let len = x.shape()[x.ndim() - 1];
    Ok((x, len))
}

/// The gain of a raised-cosine low-pass edge at `f` (an array of frequencies): 1 below
/// `cutoff − width/2`, 0 above `cutoff + width/2`, `(1 + cos(π·t))/2` between
/// (`t` from 0 to 1 across the transition).
fn lowpass_gain(f: &GpuArray, cutoff: f64, width: f64) -> Result<GpuArray> {
    let t = f.sub(cutoff - width / 2.0)?.div(width)?.clip(0.0, 1.0)?;
    t.mul(std::f64::consts::PI)?.cos()?.mul(0.5)?.add(0.5)
}

/// Filters a signal `[.., len]` sampled at `sample_rate` Hz by a zero-phase FFT filter that
/// keeps or removes `band`, each edge a raised-cosine transition `width` Hz wide centred on the
/// edge frequency.
///
/// The signal is zero-padded by `8·rate/width` samples (the filter's impulse response has died
/// away by then) to a fast FFT length, so the result is the linear, not circular, convolution
/// with the filter. The whole signal is one transform (up to 16 Mi samples on lavapipe).
pub fn filter(x: &GpuArray, sample_rate: f64, band: Band, width: f64) -> Result<GpuArray> {
    let sample_rate = rate("sample rate", sample_rate)?;
    let nyquist = sample_rate / 2.0;
    if !(width.is_finite() && width > 0.0) {
        return Err(Error::Parameter(format!(
            "the transition width must be > 0 Hz, not {width}"
        )));
    }
    match band {
        Band::Lowpass { cutoff } | Band::Highpass { cutoff } => {
            frequency("cutoff", cutoff, nyquist)?;
        }
        Band::Bandpass { low, high } | Band::Notch { low, high } => {
            frequency("low", low, nyquist)?;
            frequency("high", high, nyquist)?;
            if low >= high {
                return Err(Error::Parameter(format!(
                    "low = {low} Hz must be below high = {high} Hz"
                )));
            }
        }
    }
    let (x, len) = time_len(x)?;
    let margin = (8.0 * sample_rate / width).ceil().min(len as f64 + 1.0) as usize;
    let n = fast_len(len + margin);
    let spectrum = fft::rfft(&x, Some(n), -1, Norm::Backward)?;
    let f = fft::rfftfreq(x.gpu(), n, 1.0 / sample_rate)?;
    let gain = match band {
        Band::Lowpass { cutoff } => lowpass_gain(&f, cutoff, width)?,
        Band::Highpass { cutoff } => lowpass_gain(&f, cutoff, width)?.neg()?.add(1.0)?,
        Band::Bandpass { low, high } => {
            lowpass_gain(&f, high, width)?.sub(&lowpass_gain(&f, low, width)?)?
        }
        Band::Notch { low, high } => lowpass_gain(&f, low, width)?
            .sub(&lowpass_gain(&f, high, width)?)?
            .add(1.0)?,
    };
    let y = fft::irfft(&spectrum.mul(&gain)?, Some(n), -1, Norm::Backward)?;
    let mut crop = vec![SliceArg::ALL; y.ndim()];
    crop[y.ndim() - 1] = SliceArg::range(Some(0), Some(len as isize), 1);
    y.slice(&crop)?.contiguous()
}

/// `num` samples with the spectrum of `x` along its last axis, as `scipy.signal.resample(x,
/// num)`: the rFFT cropped or zero-padded to `num/2 + 1` terms (an even-length Nyquist term
/// doubled when it becomes the new Nyquist term, halved when it is split), inverted and scaled
/// by `num/len`. The signal is treated as periodic.
pub fn resample(x: &GpuArray, num: usize) -> Result<GpuArray> {
    let (x, len) = time_len(x)?;
    resample_padded(&x, len, num)
}

/// [`resample`] of `x` zero-padded (or cropped) to `len` samples.
fn resample_padded(x: &GpuArray, len: usize, num: usize) -> Result<GpuArray> {
    if num == 0 {
        return Err(Error::Parameter(
            "resample to 0 samples: num must be ≥ 1".into(),
        ));
    }
    if len == 0 {
        return Err(Error::shape("resampling a signal of 0 samples"));
    }
    let spectrum = fft::rfft(x, Some(len), -1, Norm::Backward)?;
    let kept = num.min(len);
    let mut weights = vec![1.0f32; len / 2 + 1];
    if kept % 2 == 0 && num != len {
        weights[kept / 2] = if num < len { 2.0 } else { 0.5 };
    }
    let weights = x
        .gpu()
        .upload(&View::from_slice(&weights, &[weights.len()])?)?;
    let y = fft::irfft(&spectrum.mul(&weights)?, Some(num), -1, Norm::Backward)?;
    y.mul(num as f64 / len as f64)
}

/// Input samples per block of [`resample_rate`].
pub const RESAMPLE_BLOCK: usize = 1 << 20;

/// A signal sampled at `from` Hz resampled to `to` Hz (integer rates, ≥ 1): `round(len·to/from)`
/// samples. Signals up to [`RESAMPLE_BLOCK`] samples are one [`resample`]; longer ones go per
/// block (see [`resample_rate_in_blocks`]).
pub fn resample_rate(x: &GpuArray, from: u32, to: u32) -> Result<GpuArray> {
    resample_rate_in_blocks(x, from, to, RESAMPLE_BLOCK)
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// [`resample_rate`] with blocks of about `block` input samples: each block is resampled with
/// `max(block/4, 4096)` samples of its neighbours on each side (the FFT method's edge ringing
/// dies away across them) and the middle is kept. Block edges fall on whole periods of both
/// rates (`from/gcd` input samples, `to/gcd` output samples), so output sample `k` lies exactly
/// at input time `k·from/to`; the last block is zero-padded to a whole period. A signal of at
/// most `block` samples is one [`resample`] of the whole (whose samples lie at
/// `k·len/round(len·to/from)`, as SciPy's do).
pub fn resample_rate_in_blocks(x: &GpuArray, from: u32, to: u32, block: usize) -> Result<GpuArray> {
    rate("from", from as f64)?;
    rate("to", to as f64)?;
    let (x, len) = time_len(x)?;
    if len == 0 {
        return Err(Error::shape("resampling a signal of 0 samples"));
    }
    let total = ((len as u128 * to as u128 + from as u128 / 2) / from as u128) as usize;
    if len <= block {
        return resample(&x, total.max(1));
    }
    // Inputs of p samples are outputs of q samples.
    let g = gcd(from as u64, to as u64);
    let (p, q) = ((from as u64 / g) as usize, (to as u64 / g) as usize);
    let block = block.div_ceil(p).max(1) * p;
    let margin = (block / 4).max(4096).div_ceil(p) * p;
    let leading: usize = x.shape()[..x.ndim() - 1].iter().product();
    let flat = x.reshape(&[leading as isize, len as isize])?;
    let mut out = vec![0.0f32; leading * total];
    let mut start = 0;
    while start < len {
        let end = (start + block).min(len);
        let (s0, s1) = (start.saturating_sub(margin), (end + margin).min(len));
        let seg = flat.slice(&[
            SliceArg::ALL,
            SliceArg::range(Some(s0 as isize), Some(s1 as isize), 1),
        ])?;
        // Whole periods of the input rate, zero-padded at the signal's end.
        let padded = (s1 - s0).div_ceil(p) * p;
        let y = resample_padded(&seg, padded, padded / p * q)?;
        let (o0, o1) = (start / p * q, (end * q).div_ceil(p).min(total));
        let local = o0 - s0 / p * q;
        let kept = y.slice(&[
            SliceArg::ALL,
            SliceArg::range(Some(local as isize), Some((local + o1 - o0) as isize), 1),
        ])?;
        let host = kept.to_host()?;
        let values = host.as_slice::<f32>()?;
        for c in 0..leading {
            out[c * total + o0..c * total + o1]
                .copy_from_slice(&values[c * (o1 - o0)..(c + 1) * (o1 - o0)]);
        }
        start = end;
    }
    let mut shape = x.shape().to_vec();
    *shape.last_mut().expect("a time axis") = total;
    x.gpu().upload(&View::from_slice(&out, &shape)?)
}

/// `x` scaled by `db` decibels (`10^(db/20)`).
pub fn gain(x: &GpuArray, db: f64) -> Result<GpuArray> {
    if !db.is_finite() {
        return Err(Error::Parameter(format!(
            "gain must be a finite number of dB, not {db}"
        )));
    }
    x.mul(10f64.powf(db / 20.0))
}

/// What [`normalize`] brings to the target level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// The largest |sample| of all channels.
    Peak,
    /// The root mean square of all samples.
    Rms,
}

/// `x` scaled so that its peak or RMS (over all channels together, so their balance is kept)
/// is `target_db` dB full scale. Silence stays silence.
pub fn normalize(x: &GpuArray, level: Level, target_db: f64) -> Result<GpuArray> {
    if !target_db.is_finite() {
        return Err(Error::Parameter(format!(
            "the target level must be a finite number of dB, not {target_db}"
        )));
    }
    let (x, _) = time_len(x)?;
    let measured = match level {
        Level::Peak => x.abs()?.max(None, false)?,
        Level::Rms => x.mul(&x)?.mean(None, false)?.sqrt()?,
    };
    // The level reduces to a 0-d array that stays on the GPU; 1e-20 keeps silence at 0.
    let scale = measured.maximum(1e-20f32)?.pow(-1.0f32)?;
    x.mul(&scale)?.mul(10f64.powf(target_db / 20.0))
}

/// The settings of [`denoise`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Denoise {
    /// The fraction (0, 1] of frames, the quietest, that the noise profile is taken from.
    pub quiet_fraction: f64,
    /// How many times the noise power is subtracted (≥ 0; 1 is plain spectral subtraction).
    pub strength: f64,
    /// The smallest gain of the mask (0 to 1), which keeps "musical noise" down.
    pub floor: f64,
}

impl Default for Denoise {
    fn default() -> Self {
        Denoise {
            quiet_fraction: 0.1,
            strength: 1.5,
            floor: 0.05,
        }
    }
}

/// Spectral gating: the noise power spectrum of each channel is the mean power of its quietest
/// frames (by total power), and every STFT bin is scaled by the soft mask
/// `max(sqrt(max(1 − strength·noise/power, 0)), floor)`; the result is the inverse STFT, as long
/// as `x`. `x` is `[len]` or `[channels, len]`.
pub fn denoise(x: &GpuArray, stft: &Stft, settings: Denoise) -> Result<GpuArray> {
    let Denoise {
        quiet_fraction,
        strength,
        floor,
    } = settings;
    if !(quiet_fraction > 0.0 && quiet_fraction <= 1.0) {
        return Err(Error::Parameter(format!(
            "quiet_fraction must be in (0, 1], not {quiet_fraction}"
        )));
    }
    if !(strength.is_finite() && strength >= 0.0) {
        return Err(Error::Parameter(format!(
            "strength must be a finite number ≥ 0, not {strength}"
        )));
    }
    if !(0.0..=1.0).contains(&floor) {
        return Err(Error::Parameter(format!(
            "floor must be in [0, 1], not {floor}"
        )));
    }
    let (x, len) = time_len(x)?;
    let spectrum = stft.forward(&x)?;
    let (channels, frames) = (spectrum.shape()[0], spectrum.shape()[1]);
    if frames == 0 {
        return Ok(x);
    }
    let magnitude = spectrum.abs()?;
    let power = magnitude.mul(&magnitude)?;
    power.eval()?;
    // The quietest frames of each channel, chosen on the host from one value per frame.
    let energy = power.sum(Some(&[-1]), false)?.to_host()?;
    let energy = energy.as_slice::<f32>()?;
    let quiet = ((frames as f64 * quiet_fraction).ceil() as usize).clamp(1, frames);
    let mut weights = vec![0.0f32; channels * frames];
    for c in 0..channels {
        let row = &energy[c * frames..(c + 1) * frames];
        let mut order: Vec<usize> = (0..frames).collect();
        order.sort_by(|&a, &b| row[a].total_cmp(&row[b]));
        for &t in &order[..quiet] {
            weights[c * frames + t] = 1.0 / quiet as f32;
        }
    }
    let weights = x
        .gpu()
        .upload(&View::from_slice(&weights, &[channels, frames, 1])?)?;
    let noise = power.mul(&weights)?.sum(Some(&[1]), true)?;
    let mask = noise
        .mul(strength)?
        .div(&power.add(1e-30f32)?)?
        .neg()?
        .add(1.0)?
        .maximum(0.0)?
        .sqrt()?
        .maximum(floor)?;
    let y = stft.inverse(&spectrum.mul(&mask)?, Some(len))?;
    if x.ndim() == 1 {
        y.reshape(&[len as isize])
    } else {
        Ok(y)
    }
}

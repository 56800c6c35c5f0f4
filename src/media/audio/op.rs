//! Audio operations as text, `NAME[:key=value,...]`, as `gpuarray audio --op` takes them.
//!
//! ```
//! use gpuarray::media::audio::AudioOp;
//! let op: AudioOp = "lowpass:cutoff=3000,width=200".parse()?;
//! assert!("lowpass:cutoff=-1".parse::<AudioOp>().is_err());
//! assert!("resample:rate=0".parse::<AudioOp>().is_err());
//! # Ok::<(), gpuarray::Error>(())
//! ```

use std::str::FromStr;

use crate::error::{Error, Result};
use crate::filters::pipeline::{Spec, Step, bad, list, p};
use crate::gpu::array::GpuArray;
use crate::media::audio::ops::{self, Band, Denoise, Level};
use crate::media::audio::stft::{Stft, Window};

/// One step of an audio pipeline.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AudioOp {
    /// An FFT filter keeping or removing a band, with raised-cosine edges `width` Hz wide.
    Filter {
        /// The band.
        band: Band,
        /// The transition width in Hz.
        width: f64,
    },
    /// A new sample rate (FFT method, per block).
    Resample {
        /// Hz.
        rate: u32,
    },
    /// Gain in dB.
    Gain {
        /// dB.
        db: f64,
    },
    /// Peak or RMS normalisation to a level in dB full scale.
    Normalize {
        /// What is measured.
        level: Level,
        /// dBFS.
        target: f64,
    },
    /// Spectral gating.
    Denoise {
        /// The mask's settings.
        settings: Denoise,
        /// Frame length of the STFT.
        n_fft: usize,
    },
}

const SPECS: &[Spec] = &[
    Spec {
        name: "lowpass",
        doc: "FFT low-pass with a raised-cosine edge",
        params: &[
            p("cutoff", None, "Hz, 0 to Nyquist"),
            p("width", Some("100"), "transition width in Hz, > 0"),
        ],
    },
    Spec {
        name: "highpass",
        doc: "FFT high-pass with a raised-cosine edge",
        params: &[
            p("cutoff", None, "Hz, 0 to Nyquist"),
            p("width", Some("100"), "transition width in Hz, > 0"),
        ],
    },
    Spec {
        name: "bandpass",
        doc: "FFT band-pass: keeps low..high",
        params: &[
            p("low", None, "Hz"),
            p("high", None, "Hz, above low, at most Nyquist"),
            p("width", Some("100"), "transition width in Hz, > 0"),
        ],
    },
    Spec {
        name: "notch",
        doc: "FFT band-stop: removes low..high",
        params: &[
            p("low", None, "Hz"),
            p("high", None, "Hz, above low, at most Nyquist"),
            p("width", Some("20"), "transition width in Hz, > 0"),
        ],
    },
    Spec {
        name: "resample",
        doc: "a new sample rate (FFT method, as scipy.signal.resample, per block)",
        params: &[p("rate", None, "Hz, an integer ≥ 1")],
    },
    Spec {
        name: "gain",
        doc: "multiply by 10^(db/20)",
        params: &[p("db", None, "dB")],
    },
    Spec {
        name: "normalize",
        doc: "scale every channel by one factor to a peak or RMS level",
        params: &[
            p("mode", Some("peak"), "`peak` or `rms`"),
            p("level", Some("-1"), "target in dB full scale"),
        ],
    },
    Spec {
        name: "denoise",
        doc: "spectral gating: noise profile from the quietest frames, soft mask",
        params: &[
            p(
                "quiet",
                Some("0.1"),
                "fraction of frames the noise is measured in, (0, 1]",
            ),
            p(
                "strength",
                Some("1.5"),
                "times the noise power subtracted, ≥ 0",
            ),
            p("floor", Some("0.05"), "smallest gain, 0 to 1"),
            p(
                "n_fft",
                Some("1024"),
                "STFT frame length (hop n_fft/4, Hann)",
            ),
        ],
    },
];

/// The text `gpuarray audio --list` prints.
pub fn audio_op_list() -> String {
    list(SPECS)
}

impl FromStr for AudioOp {
    type Err = Error;

    fn from_str(step: &str) -> Result<AudioOp> {
        let args = Step::parse(step, SPECS, "gpuarray audio")?;
        let hz = |k: &str| args.non_negative(k).map(f64::from);
        let width = || args.positive("width").map(f64::from);
        Ok(match args.spec.name {
            "lowpass" => AudioOp::Filter {
                band: Band::Lowpass {
                    cutoff: hz("cutoff")?,
                },
                width: width()?,
            },
            "highpass" => AudioOp::Filter {
                band: Band::Highpass {
                    cutoff: hz("cutoff")?,
                },
                width: width()?,
            },
            "bandpass" | "notch" => {
                let (low, high) = (hz("low")?, hz("high")?);
                if low >= high {
                    return Err(bad(
                        step,
                        format!("low ({low}) must be below high ({high})"),
                    ));
                }
                let band = if args.spec.name == "notch" {
                    Band::Notch { low, high }
                } else {
                    Band::Bandpass { low, high }
                };
                AudioOp::Filter {
                    band,
                    width: width()?,
                }
            }
            "resample" => AudioOp::Resample {
                rate: u32::try_from(args.integer("rate", 1)?)
                    .map_err(|_| bad(step, "rate beyond 32 bits"))?,
            },
            "gain" => AudioOp::Gain {
                db: args.num("db")? as f64,
            },
            "normalize" => AudioOp::Normalize {
                level: match args.text("mode")? {
                    "peak" => Level::Peak,
                    "rms" => Level::Rms,
                    other => return Err(bad(step, format!("mode={other:?} is not peak or rms"))),
                },
                target: args.num("level")? as f64,
            },
            "denoise" => {
                let settings = Denoise {
                    quiet_fraction: args.positive("quiet")? as f64,
                    strength: args.non_negative("strength")? as f64,
                    floor: args.non_negative("floor")? as f64,
                };
                if settings.quiet_fraction > 1.0 || settings.floor > 1.0 {
                    return Err(bad(step, "quiet and floor must be at most 1"));
                }
                AudioOp::Denoise {
                    settings,
                    n_fft: args.integer("n_fft", 4)?,
                }
            }
            _ => unreachable!("every spec has a case"),
        })
    }
}

impl AudioOp {
    /// Applies the step to a float32 signal `[channels, len]` sampled at `rate` Hz: the new
    /// signal and its sample rate.
    pub fn apply(&self, x: &GpuArray, rate: u32) -> Result<(GpuArray, u32)> {
        Ok(match *self {
            AudioOp::Filter { band, width } => (ops::filter(x, rate as f64, band, width)?, rate),
            AudioOp::Resample { rate: to } => (ops::resample_rate(x, rate, to)?, to),
            AudioOp::Gain { db } => (ops::gain(x, db)?, rate),
            AudioOp::Normalize { level, target } => (ops::normalize(x, level, target)?, rate),
            AudioOp::Denoise { settings, n_fft } => {
                let stft = Stft::new(n_fft, n_fft / 4)?.with_window(Window::Hann, n_fft)?;
                (ops::denoise(x, &stft, settings)?, rate)
            }
        })
    }
}

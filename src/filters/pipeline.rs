//! Filter pipelines as text: `NAME[:key=value,...]` steps, as the CLI's `--op` takes them.
//!
//! ```
//! use gpuarray::filters::Op;
//! let op: Op = "blur:sigma=2.5".parse()?;
//! assert_eq!(op, Op::Blur { sigma: 2.5 });
//! assert!("blur:sigma=-1".parse::<Op>().is_err());
//! # Ok::<(), gpuarray::Error>(())
//! ```

use std::fmt::Write;
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::filters::{self, Border, Equalize, deconv};
use crate::gpu::array::GpuArray;

/// How `deblur` models the blur it undoes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Psf {
    /// A gaussian of standard deviation `sigma` pixels.
    Gaussian {
        /// Standard deviation in pixels.
        sigma: f32,
    },
    /// Linear motion of `length` pixels at `angle` degrees (counter-clockwise from the x axis).
    Motion {
        /// Length in pixels.
        length: f32,
        /// Direction in degrees.
        angle: f32,
    },
    /// A defocus disk of `radius` pixels.
    Disk {
        /// Radius in pixels.
        radius: f32,
    },
}

/// One step of a filter pipeline.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    /// Gaussian blur.
    Blur {
        /// Standard deviation in pixels.
        sigma: f32,
    },
    /// Box (mean) blur over `(2·radius + 1)²` pixels.
    BoxBlur {
        /// Half-width in pixels.
        radius: usize,
    },
    /// Unsharp mask: `image + amount·(image − blur(image, sigma))`.
    Sharpen {
        /// Standard deviation of the blur.
        sigma: f32,
        /// Strength.
        amount: f32,
    },
    /// Sobel gradient magnitude.
    Edges,
    /// Rec. 709 luma, one channel.
    Grayscale,
    /// `x^g`.
    Gamma {
        /// The exponent.
        g: f32,
    },
    /// sRGB-encoded values to linear light.
    SrgbToLinear,
    /// Linear light to sRGB encoding.
    LinearToSrgb,
    /// Brightness and contrast.
    BrightnessContrast {
        /// Added after the contrast change.
        brightness: f32,
        /// Factor around mid-grey.
        contrast: f32,
    },
    /// Histogram equalisation, per channel or of the luma.
    Equalize {
        /// Equalise the luma (and scale the channels with it) instead of each channel.
        luma: bool,
    },
    /// Wiener deconvolution with a known blur, after tapering the edges.
    Deblur {
        /// The blur to undo.
        psf: Psf,
        /// Noise-to-signal power ratio.
        nsr: f32,
    },
}

/// A parameter of an op: its name, its default (`None`: required) and what it means.
pub(crate) struct Param {
    name: &'static str,
    default: Option<&'static str>,
    doc: &'static str,
}

/// An op as `--list` documents it.
pub(crate) struct Spec {
    pub(crate) name: &'static str,
    pub(crate) doc: &'static str,
    pub(crate) params: &'static [Param],
}

pub(crate) const fn p(
    name: &'static str,
    default: Option<&'static str>,
    doc: &'static str,
) -> Param {
    Param { name, default, doc }
}

const SPECS: &[Spec] = &[
    Spec {
        name: "blur",
        doc: "gaussian blur (separable)",
        params: &[p("sigma", None, "standard deviation in pixels, > 0")],
    },
    Spec {
        name: "box",
        doc: "box (mean) blur over (2·radius + 1)² pixels",
        params: &[p("radius", None, "half-width in pixels, ≥ 1")],
    },
    Spec {
        name: "sharpen",
        doc: "unsharp mask: image + amount·(image − blur)",
        params: &[
            p("sigma", Some("2"), "standard deviation of the blur, > 0"),
            p("amount", Some("1"), "strength"),
        ],
    },
    Spec {
        name: "edges",
        doc: "Sobel gradient magnitude per channel",
        params: &[],
    },
    Spec {
        name: "grayscale",
        doc: "Rec. 709 luma of the first three channels, one channel out",
        params: &[],
    },
    Spec {
        name: "gamma",
        doc: "x^g on values in [0, 1]",
        params: &[p("g", None, "the exponent, > 0")],
    },
    Spec {
        name: "srgb-to-linear",
        doc: "sRGB-encoded values to linear light (IEC 61966-2-1)",
        params: &[],
    },
    Spec {
        name: "linear-to-srgb",
        doc: "linear light to sRGB encoding (IEC 61966-2-1)",
        params: &[],
    },
    Spec {
        name: "brightness-contrast",
        doc: "(x − 0.5)·contrast + 0.5 + brightness",
        params: &[
            p("brightness", Some("0"), "added, in units of the full range"),
            p("contrast", Some("1"), "factor around mid-grey, ≥ 0"),
        ],
    },
    Spec {
        name: "equalize",
        doc: "histogram equalisation of 8-bit images",
        params: &[p(
            "mode",
            Some("channels"),
            "`channels` (each one) or `luma`",
        )],
    },
    Spec {
        name: "deblur",
        doc: "Wiener deconvolution of a known blur (edges tapered first)",
        params: &[
            p("psf", Some("gaussian"), "`gaussian`, `motion` or `disk`"),
            p("sigma", Some("3"), "gaussian: standard deviation in pixels"),
            p("length", Some("9"), "motion: length in pixels"),
            p("angle", Some("0"), "motion: direction in degrees"),
            p("radius", Some("4"), "disk: radius in pixels"),
            p("nsr", Some("0.01"), "noise-to-signal power ratio, ≥ 0"),
        ],
    },
];

/// The text `gpuarray filter --list` prints: every op and its parameters.
pub fn op_list() -> String {
    list(SPECS)
}

/// Every op of `specs` and its parameters, as `--list` prints them.
pub(crate) fn list(specs: &[Spec]) -> String {
    let mut s = String::from("ops (chained in order with --op NAME[:key=value,...]):\n");
    for spec in specs {
        let _ = writeln!(s, "\n  {:<20} {}", spec.name, spec.doc);
        for param in spec.params {
            let default = param
                .default
                .map_or("required".to_string(), |d| format!("default {d}"));
            let _ = writeln!(s, "      {:<12} {} ({default})", param.name, param.doc);
        }
    }
    s
}

/// An error naming the step and what is wrong with it.
pub(crate) fn bad(step: &str, reason: impl std::fmt::Display) -> Error {
    Error::Parameter(format!("--op {step:?}: {reason}"))
}

/// One `NAME[:key=value,...]` step checked against its spec: every key known to the op and
/// given once. Values are read by name, falling back to the spec's defaults.
pub(crate) struct Step<'a> {
    pub(crate) step: &'a str,
    pub(crate) spec: &'static Spec,
    given: Vec<(&'a str, &'a str)>,
}

impl<'a> Step<'a> {
    /// Parses `step` against `specs`; `command` names the `--list` that shows them.
    pub(crate) fn parse(step: &'a str, specs: &'static [Spec], command: &str) -> Result<Self> {
        let (name, args) = step.split_once(':').unwrap_or((step, ""));
        let spec = specs.iter().find(|s| s.name == name).ok_or_else(|| {
            bad(
                step,
                format!("unknown op {name:?}; `{command} --list` shows the ops"),
            )
        })?;
        let mut given: Vec<(&str, &str)> = vec![];
        for pair in args.split(',').filter(|a| !a.is_empty()) {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| bad(step, format!("{pair:?} is not key=value")))?;
            if !spec.params.iter().any(|p| p.name == key) {
                let known: Vec<&str> = spec.params.iter().map(|p| p.name).collect();
                return Err(bad(
                    step,
                    format!("{name} has no parameter {key:?} (it takes {known:?})"),
                ));
            }
            if given.iter().any(|(k, _)| *k == key) {
                return Err(bad(step, format!("{key:?} is given twice")));
            }
            given.push((key, value));
        }
        Ok(Step { step, spec, given })
    }

    /// The text of `key`: as given, else its default, else an error.
    pub(crate) fn text(&self, key: &str) -> Result<&'a str> {
        self.given
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
            .or_else(|| self.spec.params.iter().find(|p| p.name == key)?.default)
            .ok_or_else(|| bad(self.step, format!("{} needs {key}=...", self.spec.name)))
    }

    /// `key` as a finite number.
    pub(crate) fn num(&self, key: &str) -> Result<f32> {
        let t = self.text(key)?;
        t.parse::<f32>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| bad(self.step, format!("{key}={t:?} is not a finite number")))
    }

    /// `key` as a finite number > 0.
    pub(crate) fn positive(&self, key: &str) -> Result<f32> {
        let v = self.num(key)?;
        if v > 0.0 {
            Ok(v)
        } else {
            Err(bad(self.step, format!("{key} must be > 0, not {v}")))
        }
    }

    /// `key` as a finite number ≥ 0.
    pub(crate) fn non_negative(&self, key: &str) -> Result<f32> {
        let v = self.num(key)?;
        if v >= 0.0 {
            Ok(v)
        } else {
            Err(bad(self.step, format!("{key} must be ≥ 0, not {v}")))
        }
    }

    /// `key` as an integer ≥ `min`.
    pub(crate) fn integer(&self, key: &str, min: usize) -> Result<usize> {
        let t = self.text(key)?;
        t.parse::<usize>()
            .ok()
            .filter(|&r| r >= min)
            .ok_or_else(|| bad(self.step, format!("{key}={t:?} is not an integer ≥ {min}")))
    }
}

impl FromStr for Op {
    type Err = Error;

    fn from_str(step: &str) -> Result<Op> {
        let args = Step::parse(step, SPECS, "gpuarray filter")?;
        let text = |k: &str| args.text(k);
        let num = |k: &str| args.num(k);
        let positive = |k: &str| args.positive(k);
        let non_negative = |k: &str| args.non_negative(k);
        let name = args.spec.name;
        Ok(match name {
            "blur" => Op::Blur {
                sigma: positive("sigma")?,
            },
            "box" => Op::BoxBlur {
                radius: args.integer("radius", 1)?,
            },
            "sharpen" => Op::Sharpen {
                sigma: positive("sigma")?,
                amount: num("amount")?,
            },
            "edges" => Op::Edges,
            "grayscale" => Op::Grayscale,
            "gamma" => Op::Gamma { g: positive("g")? },
            "srgb-to-linear" => Op::SrgbToLinear,
            "linear-to-srgb" => Op::LinearToSrgb,
            "brightness-contrast" => Op::BrightnessContrast {
                brightness: num("brightness")?,
                contrast: non_negative("contrast")?,
            },
            "equalize" => Op::Equalize {
                luma: match text("mode")? {
                    "channels" => false,
                    "luma" => true,
                    other => {
                        return Err(bad(
                            step,
                            format!("mode={other:?} is not `channels` or `luma`"),
                        ));
                    }
                },
            },
            "deblur" => {
                let psf = match text("psf")? {
                    "gaussian" => Psf::Gaussian {
                        sigma: positive("sigma")?,
                    },
                    "motion" => Psf::Motion {
                        length: positive("length")?,
                        angle: num("angle")?,
                    },
                    "disk" => Psf::Disk {
                        radius: positive("radius")?,
                    },
                    other => {
                        return Err(bad(
                            step,
                            format!("psf={other:?} is not `gaussian`, `motion` or `disk`"),
                        ));
                    }
                };
                Op::Deblur {
                    psf,
                    nsr: non_negative("nsr")?,
                }
            }
            _ => unreachable!("every spec has a case"),
        })
    }
}

impl Op {
    /// Applies the step to an image (`[h, w]` or `[h, w, c]`; u8, u16 or f32).
    pub fn apply(&self, image: &GpuArray, border: Border) -> Result<GpuArray> {
        match *self {
            Op::Blur { sigma } => filters::gaussian_blur(image, sigma, border),
            Op::BoxBlur { radius } => filters::box_blur(image, radius, border),
            Op::Sharpen { sigma, amount } => filters::unsharp_mask(image, sigma, amount, border),
            Op::Edges => filters::sobel(image, border),
            Op::Grayscale => filters::grayscale(image),
            Op::Gamma { g } => filters::gamma(image, g),
            Op::SrgbToLinear => filters::srgb_to_linear(image),
            Op::LinearToSrgb => filters::linear_to_srgb(image),
            Op::BrightnessContrast {
                brightness,
                contrast,
            } => filters::brightness_contrast(image, brightness, contrast),
            Op::Equalize { luma } => filters::equalize_histogram(
                image,
                if luma {
                    Equalize::Luma
                } else {
                    Equalize::PerChannel
                },
            ),
            Op::Deblur { psf, nsr } => {
                filters::check_image(image)?;
                let (h, w) = (image.shape()[0], image.shape()[1]);
                let (side, param) = match psf {
                    Psf::Gaussian { sigma } => (
                        2.0 * (3.0 * sigma as f64).ceil() + 1.0,
                        format!("sigma={sigma}"),
                    ),
                    Psf::Motion { length, .. } => (
                        deconv::motion_size(length as f64),
                        format!("length={length}"),
                    ),
                    Psf::Disk { radius } => {
                        (deconv::disk_size(radius as f64), format!("radius={radius}"))
                    }
                };
                // The PSF must fit in the image, and the edges are tapered over its size on
                // each side: checked on its size before it is made (then again once trimmed).
                let fits = |k: f64| 2.0 * k.max(4.0) <= h.min(w) as f64;
                let refuse = |k: f64| {
                    Error::Parameter(format!(
                        "deblur: {param} gives a PSF of {k} × {k} pixels; deblurring tapers the \
                         edges over the PSF's size, which needs an image of at least {0} × {0} \
                         pixels, not {h} × {w}",
                        2.0 * k.max(4.0)
                    ))
                };
                if side > h.min(w) as f64 {
                    return Err(refuse(side));
                }
                let kernel = match psf {
                    Psf::Gaussian { sigma } => filters::psf_gaussian(side as usize, sigma)?,
                    Psf::Motion { length, angle } => filters::psf_motion(length, angle)?,
                    Psf::Disk { radius } => filters::psf_disk(radius)?,
                };
                let kh = kernel.shape()[0];
                if !fits(kh as f64) {
                    return Err(refuse(kh as f64));
                }
                filters::wiener_deblur(image, &kernel.view(), nsr, kh.max(4))
            }
        }
    }
}

//! The `gpuarray` command-line tool: a thin layer over the library.

mod output;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;

use clap::{Parser, Subcommand};
use gpuarray::filters::{Border, Op, op_list};
use gpuarray::{Error, Gpu, GpuArray, HostArray, Result, View};
use image::{DynamicImage, ImageFormat};
use indicatif::{ProgressBar, ProgressStyle};
use signal_hook::consts::SIGINT;

#[derive(Parser)]
#[command(
    version,
    about = "Move N-dimensional images and arrays to the GPU and back"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show the view each image becomes: shape, strides, format, itemsize, contiguity.
    Info {
        /// Image files (any format the `image` crate reads).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Show the GPU adapter gpuarray picks (honours WGPU_BACKEND, WGPU_ADAPTER_NAME,
    /// WGPU_POWER_PREF) and its limits.
    Adapter,
    /// Filter images on the GPU: the ops run in order, on every file of a batch.
    Filter(FilterArgs),
}

#[derive(clap::Args)]
struct FilterArgs {
    /// Image files, or directories whose images are all processed.
    #[arg(required_unless_present = "list")]
    inputs: Vec<PathBuf>,
    /// The output file (one input only); its extension picks the format.
    #[arg(short, long, conflicts_with = "out_dir")]
    output: Option<PathBuf>,
    /// The output directory (created if missing); outputs keep their input's file name.
    #[arg(long)]
    out_dir: Option<PathBuf>,
    /// An op `NAME[:key=value,...]`; repeat to chain ops (see --list).
    #[arg(long = "op", value_name = "NAME[:k=v,...]")]
    ops: Vec<String>,
    /// What filters read outside the image: clamp, reflect, wrap or constant=VALUE.
    #[arg(long, default_value = "clamp")]
    border: String,
    /// List the ops and their parameters.
    #[arg(long)]
    list: bool,
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Info { files } => {
            let failed = files
                .iter()
                .filter(|file| {
                    info(file)
                        .inspect_err(|e| eprintln!("{}: {e}", file.display()))
                        .is_err()
                })
                .count();
            if failed > 0 {
                eprintln!("{failed} of {} file(s) failed", files.len());
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Command::Adapter => match Gpu::new() {
            Ok(gpu) => {
                println!("{}", gpu.info());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        },
        Command::Filter(args) => filter(args),
    }
}

/// Reads and decodes an image file, keeping "no such file" (Io) apart from "not a valid image".
fn read_image(file: &Path) -> Result<DynamicImage> {
    let bytes = std::fs::read(file)?;
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes));
    // The contents decide, the extension is the fallback: TGA has no signature to guess from.
    if let Ok(format) = ImageFormat::from_path(file) {
        reader.set_format(format);
    }
    // `image`'s default limits: no decoder allocates more than 512 MiB, so a small file that
    // declares a huge image (a decompression bomb) is an error before anything is allocated
    // (tests/decoder_limits.rs tries one for every format).
    let mut reader = reader.with_guessed_format()?;
    reader.limits(image::Limits::default());
    Ok(reader.decode()?)
}

/// Prints the view of one image file.
fn info(file: &Path) -> Result<()> {
    let image = read_image(file)?;
    let view = View::from_dynamic_image(&image)?;
    let contiguity = match (view.is_c_contiguous(), view.is_f_contiguous()) {
        (true, true) => "C and F",
        (true, false) => "C",
        (false, true) => "F",
        (false, false) => "none",
    };
    let dtype = view
        .dtype()
        .map_or_else(|| "-".to_string(), |d| d.to_string());
    println!("{}", file.display());
    println!("  colour type  {:?}", image.color());
    println!("  shape        {:?}", view.shape());
    println!("  strides      {:?} bytes", view.strides());
    println!("  format       {:?} ({dtype})", view.format().to_string());
    println!("  itemsize     {}", view.itemsize());
    println!("  nbytes       {}", view.nbytes());
    println!("  contiguous   {contiguity}");
    Ok(())
}

fn parse_border(text: &str) -> Result<Border> {
    Ok(match text {
        "clamp" => Border::Clamp,
        "reflect" => Border::Reflect,
        "wrap" => Border::Wrap,
        _ => {
            let value = text
                .strip_prefix("constant=")
                .and_then(|v| v.parse::<f32>().ok())
                .filter(|v| v.is_finite())
                .ok_or_else(|| {
                    Error::Parameter(format!(
                        "--border {text:?} is not clamp, reflect, wrap or constant=VALUE"
                    ))
                })?;
            Border::Constant(value)
        }
    })
}

/// One file of a batch and where its result goes.
struct Job {
    input: PathBuf,
    output: PathBuf,
}

/// The files of a batch: files as given, directories expanded to the images in them.
fn jobs(args: &FilterArgs) -> Result<Vec<Job>> {
    let mut inputs = vec![];
    for path in &args.inputs {
        if path.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(path)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && ImageFormat::from_path(p).is_ok())
                .collect();
            files.sort();
            inputs.extend(files);
        } else {
            inputs.push(path.clone());
        }
    }
    match (&args.output, &args.out_dir) {
        (Some(output), None) if inputs.len() == 1 => Ok(vec![Job {
            input: inputs.remove(0),
            output: output.clone(),
        }]),
        (Some(_), None) => Err(Error::Parameter(format!(
            "-o takes one input, {} were given; use --out-dir for a batch",
            inputs.len()
        ))),
        (None, Some(dir)) => {
            std::fs::create_dir_all(dir)?;
            Ok(inputs
                .into_iter()
                .map(|input| {
                    let name = input.file_name().map(PathBuf::from).unwrap_or_default();
                    Job {
                        output: dir.join(name),
                        input,
                    }
                })
                .collect())
        }
        _ => Err(Error::Parameter(
            "give an output: -o FILE (one input) or --out-dir DIR".into(),
        )),
    }
}

/// Uploads a decoded image, runs the ops, downloads the result.
fn process(gpu: &Gpu, image: &DynamicImage, ops: &[Op], border: Border) -> Result<HostArray> {
    let mut array: GpuArray = gpu.upload(&View::from_dynamic_image(image)?)?;
    for op in ops {
        array = op.apply(&array, border)?;
    }
    array.to_host()
}

/// Encodes `result` to `output` through a temporary file in the same directory, renamed into
/// place, so that no partial file is ever left (see [`output`]). Colour types the format cannot hold (16-bit or
/// float data in JPEG, float in PNG, ...) are converted to 8 bits per channel.
fn write_image(result: &HostArray, output: &Path) -> Result<()> {
    let format = ImageFormat::from_path(output)?;
    let image = match result.view().to_dynamic_image() {
        Ok(image) => image,
        // Float data of 1 or 2 channels: as 16-bit grey.
        Err(Error::Dtype(_)) => {
            let scaled = result.view().astype(gpuarray::Dtype::F32)?;
            let v: Vec<u16> = scaled
                .as_slice::<f32>()?
                .iter()
                .map(|x| (x.clamp(0.0, 1.0) * 65535.0).round() as u16)
                .collect();
            HostArray::from_slice(&v, result.shape())?
                .view()
                .to_dynamic_image()?
        }
        Err(e) => return Err(e),
    };
    output::write_atomically(output, |temp| {
        Ok(image.save_with_format(temp, format).or_else(|_| {
            let eight_bit = match image.color().channel_count() {
                1 => DynamicImage::ImageLuma8(image.to_luma8()),
                2 => DynamicImage::ImageLumaA8(image.to_luma_alpha8()),
                3 => DynamicImage::ImageRgb8(image.to_rgb8()),
                _ => DynamicImage::ImageRgba8(image.to_rgba8()),
            };
            eight_bit.save_with_format(temp, format)
        })?)
    })
}

/// `gpuarray filter`: decode, GPU work and encode run on three threads, so that one image
/// decodes while another computes and a third is written.
///
/// SIGINT stops the batch after the file being written (a second one exits at once; its
/// temporary is removed by the next run), reports what was done and exits with 130.
fn filter(args: FilterArgs) -> ExitCode {
    if args.list {
        print!("{}", op_list());
        return ExitCode::SUCCESS;
    }
    let interrupted = Arc::new(AtomicBool::new(false));
    for register in [
        signal_hook::flag::register_conditional_shutdown(SIGINT, 130, interrupted.clone()),
        signal_hook::flag::register(SIGINT, interrupted.clone()),
    ] {
        if let Err(e) = register {
            eprintln!("gpuarray filter: cannot handle SIGINT: {e}");
            return ExitCode::from(2);
        }
    }
    let setup = || -> Result<(Vec<Op>, Border, Vec<Job>, Gpu)> {
        if args.ops.is_empty() {
            return Err(Error::Parameter(
                "no --op given; `gpuarray filter --list` shows the ops".into(),
            ));
        }
        let ops = args
            .ops
            .iter()
            .map(|s| s.parse::<Op>())
            .collect::<Result<Vec<_>>>()?;
        let border = parse_border(&args.border)?;
        let jobs = jobs(&args)?;
        Ok((ops, border, jobs, Gpu::new()?))
    };
    let (ops, border, jobs, gpu) = match setup() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("gpuarray filter: {e}");
            return ExitCode::from(2);
        }
    };
    // Temporaries that killed runs left in the output directories.
    let mut dirs: Vec<&Path> = jobs.iter().filter_map(|j| j.output.parent()).collect();
    dirs.sort();
    dirs.dedup();
    let stale: usize = dirs
        .iter()
        .map(|d| {
            output::clean_stale(if d.as_os_str().is_empty() {
                Path::new(".")
            } else {
                d
            })
        })
        .sum();
    if stale > 0 {
        eprintln!("removed {stale} temporary file(s) left by an interrupted run");
    }
    let total = jobs.len();
    let bar = ProgressBar::new(total as u64).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    type Decoded = (Job, Result<DynamicImage>);
    type Computed = (Job, Result<HostArray>);
    let (to_gpu, decoded) = mpsc::sync_channel::<Decoded>(2);
    let (to_encoder, computed) = mpsc::sync_channel::<Computed>(2);
    let stop = interrupted.clone();
    let decoder = thread::spawn(move || {
        for job in jobs {
            if stop.load(Ordering::SeqCst) {
                break;
            }
            let image = read_image(&job.input);
            if to_gpu.send((job, image)).is_err() {
                break;
            }
        }
    });
    let encoder_bar = bar.clone();
    let stop = interrupted.clone();
    let encoder = thread::spawn(move || {
        let (mut written, mut failed) = (0usize, 0usize);
        for (job, result) in computed {
            if stop.load(Ordering::SeqCst) {
                break;
            }
            encoder_bar.set_message(job.input.display().to_string());
            match result.and_then(|r| write_image(&r, &job.output)) {
                Ok(()) => written += 1,
                Err(e) => {
                    encoder_bar.suspend(|| eprintln!("{}: {e}", job.input.display()));
                    failed += 1;
                }
            }
            encoder_bar.inc(1);
        }
        (written, failed)
    });
    for (job, image) in decoded {
        if interrupted.load(Ordering::SeqCst) {
            break;
        }
        let result = image.and_then(|image| process(&gpu, &image, &ops, border));
        // A lost device fails every later file too: this one is reported, the rest not tried.
        if to_encoder.send((job, result)).is_err() || gpu.is_lost() {
            break;
        }
    }
    drop(to_encoder);
    let _ = decoder.join();
    let (written, failed) = encoder.join().unwrap_or_default();
    bar.finish_and_clear();
    let summary = format!("{written} of {total} image(s) written, {failed} failed");
    let left = total - written - failed;
    if interrupted.load(Ordering::SeqCst) {
        eprintln!("interrupted: {summary}, {left} not processed");
        return ExitCode::from(130);
    }
    if gpu.is_lost() {
        eprintln!("the GPU device was lost: {summary}, {left} not processed");
        return ExitCode::from(3);
    }
    eprintln!("{summary}");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

//! The `gpuarray` command-line tool: a thin layer over the library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc;
use std::thread;

use clap::{Parser, Subcommand};
use gpuarray::filters::{Border, Op, op_list};
use gpuarray::{Error, Gpu, GpuArray, HostArray, Result, View};
use image::{DynamicImage, ImageFormat};
use indicatif::{ProgressBar, ProgressStyle};

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
    Ok(image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()?
        .decode()?)
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
/// place, so that no partial file is ever left. Colour types the format cannot hold (16-bit or
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
    let name = output.file_name().unwrap_or_default().to_string_lossy();
    let temp = output.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let saved = image.save_with_format(&temp, format).or_else(|_| {
        let eight_bit = match image.color().channel_count() {
            1 => DynamicImage::ImageLuma8(image.to_luma8()),
            2 => DynamicImage::ImageLumaA8(image.to_luma_alpha8()),
            3 => DynamicImage::ImageRgb8(image.to_rgb8()),
            _ => DynamicImage::ImageRgba8(image.to_rgba8()),
        };
        eight_bit.save_with_format(&temp, format)
    });
    let result = saved
        .map_err(Error::from)
        .and_then(|()| std::fs::rename(&temp, output).map_err(Error::from));
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// `gpuarray filter`: decode, GPU work and encode run on three threads, so that one image
/// decodes while another computes and a third is written.
fn filter(args: FilterArgs) -> ExitCode {
    if args.list {
        print!("{}", op_list());
        return ExitCode::SUCCESS;
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
    let total = jobs.len();
    let bar = ProgressBar::new(total as u64).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    type Decoded = (Job, Result<DynamicImage>);
    type Computed = (Job, Result<HostArray>);
    let (to_gpu, decoded) = mpsc::sync_channel::<Decoded>(2);
    let (to_encoder, computed) = mpsc::sync_channel::<Computed>(2);
    let decoder = thread::spawn(move || {
        for job in jobs {
            let image = read_image(&job.input);
            if to_gpu.send((job, image)).is_err() {
                break;
            }
        }
    });
    let encoder_bar = bar.clone();
    let encoder = thread::spawn(move || {
        let mut failed = vec![];
        for (job, result) in computed {
            encoder_bar.set_message(job.input.display().to_string());
            if let Err(e) = result.and_then(|r| write_image(&r, &job.output)) {
                encoder_bar.suspend(|| eprintln!("{}: {e}", job.input.display()));
                failed.push(job.input);
            }
            encoder_bar.inc(1);
        }
        failed
    });
    for (job, image) in decoded {
        let result = image.and_then(|image| process(&gpu, &image, &ops, border));
        if to_encoder.send((job, result)).is_err() {
            break;
        }
    }
    drop(to_encoder);
    let _ = decoder.join();
    let failed = encoder.join().unwrap_or_default();
    bar.finish_and_clear();
    eprintln!(
        "{} of {total} image(s) written, {} failed",
        total - failed.len(),
        failed.len()
    );
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

//! The `gpuarray` command-line tool: a thin layer over the library.

mod output;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;

use clap::{Parser, Subcommand};
use gpuarray::blit::Colormap;
use gpuarray::filters::{Border, Op, op_list};
use gpuarray::media::audio::{
    Audio, AudioOp, SampleFormat, Stft, audio_op_list, spectrogram_image,
};
use gpuarray::media::video::{
    AnimationReader, Container, FrameReader, FrameSource, FrameWriter, Matrix, Pipeline, PixFmt,
    StreamOptions, VideoOp, parse_size,
};
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
    /// Process audio files (WAV, FLAC, MP3, Ogg Vorbis) on the GPU, writing WAV: the ops run in
    /// order, on every file of a batch.
    Audio(AudioArgs),
    /// Draw the dB spectrogram of an audio file as a PNG, coloured on the GPU.
    Spectrogram(SpectrogramArgs),
    /// Filter a video stream frame by frame on the GPU: raw frames (--size, --pix-fmt) or Y4M,
    /// from a file or stdin to a file or stdout.
    Video(VideoArgs),
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

#[derive(clap::Args)]
struct AudioArgs {
    /// Audio files, or directories whose audio files are all processed.
    #[arg(required_unless_present = "list")]
    inputs: Vec<PathBuf>,
    /// The output WAV file (one input only).
    #[arg(short, long, conflicts_with = "out_dir")]
    output: Option<PathBuf>,
    /// The output directory (created if missing); outputs are NAME.wav.
    #[arg(long)]
    out_dir: Option<PathBuf>,
    /// An op `NAME[:key=value,...]`; repeat to chain ops (see --list).
    #[arg(long = "op", value_name = "NAME[:k=v,...]")]
    ops: Vec<String>,
    /// The output sample format: u8, s16, s24, s32 or f32 (default: the input's).
    #[arg(long)]
    format: Option<String>,
    /// List the ops and their parameters.
    #[arg(long)]
    list: bool,
}

#[derive(clap::Args)]
struct SpectrogramArgs {
    /// An audio file.
    input: PathBuf,
    /// The PNG to write.
    #[arg(short, long)]
    output: PathBuf,
    /// Points per STFT frame.
    #[arg(long, default_value_t = 2048)]
    n_fft: usize,
    /// Samples between frames.
    #[arg(long, default_value_t = 512)]
    hop: usize,
    /// gray, viridis, magma, inferno, plasma, cividis or turbo.
    #[arg(long, default_value = "magma")]
    colormap: String,
    /// dB below the peak shown.
    #[arg(long, default_value_t = 80.0)]
    range: f32,
    /// The longest side of the picture in pixels (longer spectrograms are scaled down).
    #[arg(long, default_value_t = 4096)]
    max_size: usize,
}

#[derive(clap::Args)]
struct VideoArgs {
    /// The input: a raw or Y4M stream file, `-` for stdin (the default), or an animated GIF or
    /// APNG file (written out as raw rgba frames).
    #[arg(default_value = "-")]
    input: String,
    /// The output file, or `-` for stdout: Y4M for Y4M input, raw frames for raw input.
    #[arg(short, long)]
    output: String,
    /// Raw input frames: WIDTHxHEIGHT.
    #[arg(long)]
    size: Option<String>,
    /// Raw input frames: gray, rgb24, rgba, gray16le or rgb48le.
    #[arg(long, default_value = "rgb24")]
    pix_fmt: String,
    /// An op `NAME[:key=value,...]` (every op of `filter --list`, and temporal-mean:frames=N);
    /// repeat to chain ops.
    #[arg(long = "op", value_name = "NAME[:k=v,...]", required = true)]
    ops: Vec<String>,
    /// What filters read outside the frame: clamp, reflect, wrap or constant=VALUE.
    #[arg(long, default_value = "clamp")]
    border: String,
    /// The Y'CbCr matrix of Y4M streams: bt601 or bt709.
    #[arg(long, default_value = "bt601")]
    matrix: String,
    /// Upload, compute and download one after another instead of overlapped (for comparison).
    #[arg(long)]
    serial: bool,
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
        Command::Audio(args) => audio(args),
        Command::Spectrogram(args) => report("spectrogram", spectrogram(args)),
        Command::Video(args) => report("video", video(args)),
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

/// The files of a batch: files as given, directories expanded to the files in them that
/// `wanted` accepts; each output is `-o` (one input) or the input's name in `--out-dir`, with
/// the extension `ext` when one is given.
fn jobs(
    paths: &[PathBuf],
    output: &Option<PathBuf>,
    out_dir: &Option<PathBuf>,
    wanted: fn(&Path) -> bool,
    ext: Option<&str>,
) -> Result<Vec<Job>> {
    let mut inputs = vec![];
    for path in paths {
        if path.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(path)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && wanted(p))
                .collect();
            files.sort();
            inputs.extend(files);
        } else {
            inputs.push(path.clone());
        }
    }
    match (output, out_dir) {
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
                    let mut name = input.file_name().map(PathBuf::from).unwrap_or_default();
                    if let Some(ext) = ext {
                        name.set_extension(ext);
                    }
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

/// `gpuarray filter`: decode, GPU work and encode run on three threads ([`batch`]), so that one
/// image decodes while another computes and a third is written.
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
        let is_image = |p: &Path| ImageFormat::from_path(p).is_ok();
        let jobs = jobs(&args.inputs, &args.output, &args.out_dir, is_image, None)?;
        Ok((ops, border, jobs, Gpu::new()?))
    };
    let (ops, border, jobs, gpu) = match setup() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("gpuarray filter: {e}");
            return ExitCode::from(2);
        }
    };
    batch(
        &gpu,
        jobs,
        read_image,
        |image| process(&gpu, &image, &ops, border),
        write_image,
        "image",
    )
}

/// Runs a batch on three threads, so that one file decodes while another computes and a third
/// is written: `read` and `write` on their own threads, `compute` (the GPU work) on this one.
/// A file that fails is reported and the batch goes on; the exit code says whether any failed.
///
/// Temporaries that killed runs left in the output directories are removed first. SIGINT stops
/// the batch after the file being written (a second one exits at once; its temporary is removed
/// by the next run), reports what was done and exits with 130; a lost GPU device stops it with
/// exit code 3.
fn batch<T: Send + 'static, R: Send + 'static>(
    gpu: &Gpu,
    jobs: Vec<Job>,
    read: fn(&Path) -> Result<T>,
    mut compute: impl FnMut(T) -> Result<R>,
    write: fn(&R, &Path) -> Result<()>,
    noun: &str,
) -> ExitCode {
    let interrupted = Arc::new(AtomicBool::new(false));
    for register in [
        signal_hook::flag::register_conditional_shutdown(SIGINT, 130, interrupted.clone()),
        signal_hook::flag::register(SIGINT, interrupted.clone()),
    ] {
        if let Err(e) = register {
            eprintln!("gpuarray: cannot handle SIGINT: {e}");
            return ExitCode::from(2);
        }
    }
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
    // Rendezvous channels: each stage holds one file at a time (the decoder's next image waits
    // in its hands until the GPU takes it), so a batch of 24 MP photos holds about three images
    // of host memory, whatever its length.
    let (to_gpu, decoded) = mpsc::sync_channel::<(Job, Result<T>)>(0);
    let (to_encoder, computed) = mpsc::sync_channel::<(Job, Result<R>)>(0);
    let stop = interrupted.clone();
    let decoder = thread::spawn(move || {
        for job in jobs {
            if stop.load(Ordering::SeqCst) {
                break;
            }
            let input = read(&job.input);
            if to_gpu.send((job, input)).is_err() {
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
            match result.and_then(|r| write(&r, &job.output)) {
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
    for (job, input) in decoded {
        if interrupted.load(Ordering::SeqCst) {
            break;
        }
        let result = input.and_then(&mut compute);
        // A lost device fails every later file too: this one is reported, the rest not tried.
        if to_encoder.send((job, result)).is_err() || gpu.is_lost() {
            break;
        }
    }
    drop(to_encoder);
    let _ = decoder.join();
    let (written, failed) = encoder.join().unwrap_or_default();
    bar.finish_and_clear();
    let summary = format!("{written} of {total} {noun}(s) written, {failed} failed");
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

/// Prints a command's error and gives its exit code: 2 for bad arguments, 1 for the rest.
fn report(command: &str, result: Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gpuarray {command}: {e}");
            if matches!(e, Error::Parameter(_)) {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// Whether a file's extension is one `gpuarray audio` reads.
fn is_audio(path: &Path) -> bool {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    ["wav", "wave", "flac", "mp3", "ogg", "oga"].contains(&ext.to_ascii_lowercase().as_str())
}

/// Writes `audio` as a WAV file, atomically.
fn write_wav(audio: &Audio, output: &Path) -> Result<()> {
    output::write_atomically(output, |temp| audio.write_wav(std::fs::File::create(temp)?))
}

/// `gpuarray audio`: decode, GPU work and encode overlapped as in `filter`.
fn audio(args: AudioArgs) -> ExitCode {
    if args.list {
        print!("{}", audio_op_list());
        return ExitCode::SUCCESS;
    }
    /// The ops, the output sample format, the files and the context.
    type Setup = (Vec<AudioOp>, Option<SampleFormat>, Vec<Job>, Gpu);
    let setup = || -> Result<Setup> {
        if args.ops.is_empty() {
            return Err(Error::Parameter(
                "no --op given; `gpuarray audio --list` shows the ops".into(),
            ));
        }
        let ops = args
            .ops
            .iter()
            .map(|s| s.parse::<AudioOp>())
            .collect::<Result<Vec<_>>>()?;
        let format = args.format.as_deref().map(str::parse).transpose()?;
        let jobs = jobs(
            &args.inputs,
            &args.output,
            &args.out_dir,
            is_audio,
            Some("wav"),
        )?;
        Ok((ops, format, jobs, Gpu::new()?))
    };
    let (ops, format, jobs, gpu) = match setup() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("gpuarray audio: {e}");
            return ExitCode::from(2);
        }
    };
    let compute = |input: Audio| -> Result<Audio> {
        let mut signal = input.upload(&gpu)?;
        let mut rate = input.sample_rate();
        for op in &ops {
            (signal, rate) = op.apply(&signal, rate)?;
        }
        Audio::from_gpu(&signal, rate, format.unwrap_or(input.format()))
    };
    batch(
        &gpu,
        jobs,
        |p| Audio::open(p),
        compute,
        write_wav,
        "audio file",
    )
}

/// `gpuarray spectrogram`.
fn spectrogram(args: SpectrogramArgs) -> Result<()> {
    let colormap = match args.colormap.as_str() {
        "gray" => Colormap::Gray,
        "viridis" => Colormap::Viridis,
        "magma" => Colormap::Magma,
        "inferno" => Colormap::Inferno,
        "plasma" => Colormap::Plasma,
        "cividis" => Colormap::Cividis,
        "turbo" => Colormap::Turbo,
        other => {
            return Err(Error::Parameter(format!(
                "--colormap {other:?} is not gray, viridis, magma, inferno, plasma, cividis or \
                 turbo"
            )));
        }
    };
    let stft = Stft::new(args.n_fft, args.hop)?;
    let format = ImageFormat::from_path(&args.output)?;
    let input = Audio::open(&args.input)?;
    let gpu = Gpu::new()?;
    let picture = spectrogram_image(
        &input.upload(&gpu)?,
        &stft,
        colormap,
        args.range,
        args.max_size,
    )?;
    let rgb = DynamicImage::ImageRgba8(picture.view().to_dynamic_image()?.into_rgba8()).into_rgb8();
    output::write_atomically(&args.output, |temp| Ok(rgb.save_with_format(temp, format)?))
}

/// `gpuarray video`: frames from a file or stdin through the ops to a file or stdout.
fn video(args: VideoArgs) -> Result<()> {
    let ops = args
        .ops
        .iter()
        .map(|s| s.parse::<VideoOp>())
        .collect::<Result<Vec<_>>>()?;
    let border = parse_border(&args.border)?;
    let matrix: Matrix = args.matrix.parse()?;
    let raw = match &args.size {
        Some(size) => {
            let (w, h) = parse_size(size)?;
            Some((w, h, args.pix_fmt.parse::<PixFmt>()?))
        }
        None => None,
    };
    // The source, and the Y4M header fields to write when it is Y4M (else raw frames out).
    let is_animation = [".gif", ".png", ".apng"]
        .iter()
        .any(|e| args.input.to_ascii_lowercase().ends_with(e));
    let (reader, y4m): (Box<dyn FrameSource>, Option<Vec<String>>) = if is_animation {
        (Box::new(AnimationReader::open(&args.input)?), None)
    } else {
        let input: Box<dyn Read + Send> = if args.input == "-" {
            Box::new(std::io::stdin())
        } else {
            Box::new(std::fs::File::open(&args.input)?)
        };
        let reader = FrameReader::detect(input, raw)?;
        let fields = match reader.container() {
            Container::Y4m { fields, .. } => Some(fields.clone()),
            Container::Raw { .. } => None,
        };
        (Box::new(reader), fields)
    };
    let gpu = Gpu::new()?;
    let mut pipeline = Pipeline::new(ops, border);
    let options = StreamOptions {
        matrix,
        overlapped: !args.serial,
    };
    let start = std::time::Instant::now();
    let run = |output: Box<dyn Write + Send>| -> Result<usize> {
        let writer = match y4m {
            Some(fields) => FrameWriter::y4m(output, fields),
            None => FrameWriter::raw(output),
        };
        let (frames, writer) =
            gpuarray::media::video::run(&gpu, reader, writer, &mut pipeline, options)?;
        writer.finish()?.flush()?;
        Ok(frames)
    };
    let frames = if args.output == "-" {
        run(Box::new(std::io::stdout()))?
    } else {
        let mut frames = 0;
        output::write_atomically(Path::new(&args.output), |temp| {
            frames = run(Box::new(std::fs::File::create(temp)?))?;
            Ok(())
        })?;
        frames
    };
    let seconds = start.elapsed().as_secs_f64();
    eprintln!(
        "{frames} frame(s) in {seconds:.2} s ({:.1} frames/s)",
        frames as f64 / seconds.max(1e-9)
    );
    Ok(())
}

//! The `gpuarray` command-line tool: a thin layer over the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use gpuarray::{Result, View};

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
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Info { files } => {
            let mut failed = 0;
            for file in &files {
                if let Err(e) = info(file) {
                    eprintln!("{}: {e}", file.display());
                    failed += 1;
                }
            }
            if failed > 0 {
                eprintln!("{failed} of {} file(s) failed", files.len());
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Command::Adapter => match gpuarray::Gpu::new() {
            Ok(gpu) => {
                println!("{}", gpu.info());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        },
    }
}

/// Prints the view of one image file.
fn info(file: &PathBuf) -> Result<()> {
    // Reading first keeps "no such file" (Io) apart from "not a valid image" (Image).
    let bytes = std::fs::read(file)?;
    let image = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()?
        .decode()?;
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

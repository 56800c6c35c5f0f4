//! The shortest complete GPU program: upload a host array, compute on the GPU, download.
//!
//! ```sh
//! cargo run --example headless_compute
//! ```

use gpuarray::{Gpu, View};

fn main() -> gpuarray::Result<()> {
    // The best adapter there is (a software one on a machine without a GPU).
    let gpu = Gpu::new()?;

    // Upload: any host view goes in; here a plain slice with a shape.
    let x: Vec<f32> = (0..8).map(|i| i as f32).collect();
    let a = gpu.upload(&View::from_slice(&x, &[2, 4])?)?;

    // Compute: elementwise operations are lazy and fuse into one kernel; the reduction reads
    // that pending chain directly.
    let y = (&(&a * &a) + 1.0).sqrt()?;
    let row_sums = y.sum(Some(&[1]), false)?;

    // Download: the kernels run when the result is needed.
    let y = y.to_host()?;
    let sums = row_sums.to_host()?;
    println!("adapter: {}", gpu.info());
    println!("sqrt(x² + 1) = {:?}", y.as_slice::<f32>()?);
    println!("row sums     = {:?}", sums.as_slice::<f32>()?);
    Ok(())
}

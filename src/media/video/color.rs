//! Y'CbCr ↔ R'G'B' on the GPU (8-bit, limited range: Y' in 16..235, Cb and Cr in 16..240), by
//! the BT.601 or BT.709 matrix, with chroma upsampled by repetition and downsampled by the mean
//! of each block (odd sizes: the block's top-left sample).

use crate::error::{Error, Result};
use crate::gpu::array::GpuArray;
use crate::gpu::context::Gpu;
use crate::gpu::ops::where_;
use crate::media::video::format::{Chroma, Matrix};
use crate::media::video::stream::YuvFrame;
use crate::view::dtype::Dtype;
use crate::view::layout::SliceArg;
use crate::view::view::View;

/// `[h, w]` planes stacked into `[h, w, n]` (one fused kernel).
fn stack(gpu: &Gpu, planes: &[GpuArray]) -> Result<GpuArray> {
    let index: Vec<u8> = (0..planes.len() as u8).collect();
    let channel = gpu.upload(&View::from_slice(&index, &[1, 1, planes.len()])?)?;
    let column = |p: &GpuArray| p.reshape(&[p.shape()[0] as isize, p.shape()[1] as isize, 1]);
    let mut out = column(&planes[planes.len() - 1])?;
    for (k, plane) in planes.iter().enumerate().rev().skip(1) {
        out = where_(&channel.eq(k as u8)?, &column(plane)?, &out)?;
    }
    Ok(out)
}

/// A chroma plane `[ch, cw]` repeated up to the luma size `[height, width]`.
fn upsample(
    c: &GpuArray,
    (sy, sx): (usize, usize),
    height: usize,
    width: usize,
) -> Result<GpuArray> {
    if (sy, sx) == (1, 1) {
        return Ok(c.clone());
    }
    let (ch, cw) = (c.shape()[0], c.shape()[1]);
    let full = c
        .reshape(&[ch as isize, 1, cw as isize, 1])?
        .broadcast_to(&[ch, sy, cw, sx])?
        .reshape(&[(ch * sy) as isize, (cw * sx) as isize])?;
    full.slice(&[
        SliceArg::range(None, Some(height as isize), 1),
        SliceArg::range(None, Some(width as isize), 1),
    ])
}

/// A full-resolution chroma plane `[height, width]` down to `[ch, cw]`.
fn downsample(c: &GpuArray, (sy, sx): (usize, usize)) -> Result<GpuArray> {
    if (sy, sx) == (1, 1) {
        return Ok(c.clone());
    }
    let (h, w) = (c.shape()[0], c.shape()[1]);
    if h % sy == 0 && w % sx == 0 {
        c.reshape(&[
            (h / sy) as isize,
            sy as isize,
            (w / sx) as isize,
            sx as isize,
        ])?
        .mean(Some(&[1, 3]), false)
    } else {
        c.slice(&[SliceArg::step(sy as isize), SliceArg::step(sx as isize)])
    }
}

/// An 8-bit Y'CbCr frame as 8-bit R'G'B' `[height, width, 3]` on the GPU (mono: `[h, w, 1]`,
/// the luma expanded to full range).
pub fn yuv_to_rgb(gpu: &Gpu, frame: &YuvFrame, matrix: Matrix) -> Result<GpuArray> {
    let planes = frame.planes()?;
    let luma = gpu.upload(&planes[0])?.astype(Dtype::F32)?;
    let y = luma.sub(16.0)?.div(219.0)?;
    if frame.chroma == Chroma::Mono {
        let (h, w) = (frame.height as isize, frame.width as isize);
        return y.reshape(&[h, w, 1])?.from_unit_float(Dtype::U8);
    }
    let factors = frame.chroma.factors();
    let chroma = |k: usize| -> Result<GpuArray> {
        let c = gpu.upload(&planes[k])?;
        upsample(&c, factors, frame.height, frame.width)?
            .astype(Dtype::F32)?
            .sub(128.0)?
            .div(224.0)
    };
    let (cb, cr) = (chroma(1)?, chroma(2)?);
    let (kr, kb) = matrix.weights();
    let kg = 1.0 - kr - kb;
    let r = y.add(&cr.mul(2.0 * (1.0 - kr))?)?;
    let b = y.add(&cb.mul(2.0 * (1.0 - kb))?)?;
    let g = y
        .sub(&cr.mul(2.0 * kr * (1.0 - kr) / kg)?)?
        .sub(&cb.mul(2.0 * kb * (1.0 - kb) / kg)?)?;
    stack(gpu, &[r, g, b])?.from_unit_float(Dtype::U8)
}

/// An R'G'B' frame on the GPU (`[h, w, c]`, u8, u16 or f32 in [0, 1]; one channel is luma,
/// four is RGBA with alpha dropped) as an 8-bit Y'CbCr frame of `chroma` (mono for a
/// one-channel frame), downloaded.
pub fn rgb_to_yuv(rgb: &GpuArray, chroma: Chroma, matrix: Matrix) -> Result<YuvFrame> {
    let (height, width, channels) = match *rgb.shape() {
        [h, w] => (h, w, 1),
        [h, w, c] => (h, w, c),
        _ => {
            return Err(Error::shape(format!(
                "a frame is [h, w] or [h, w, c], not {:?}",
                rgb.shape()
            )));
        }
    };
    let float = match rgb.dtype() {
        Dtype::U8 | Dtype::U16 => rgb.to_unit_float()?,
        _ => rgb.astype(Dtype::F32)?,
    };
    let channel = |k: usize| -> Result<GpuArray> {
        let mut index = vec![SliceArg::ALL, SliceArg::ALL];
        if rgb.ndim() == 3 {
            index.push(SliceArg::Index(k as isize));
        }
        float.slice(&index)
    };
    let to_u8 = |x: GpuArray| -> Result<Vec<u8>> {
        Ok(x.round()?
            .clip(0.0, 255.0)?
            .astype(Dtype::U8)?
            .to_host()?
            .as_slice::<u8>()?
            .to_vec())
    };
    if channels == 1 || chroma == Chroma::Mono {
        let luma = if channels >= 3 {
            let (kr, kb) = matrix.weights();
            channel(0)?
                .mul(kr)?
                .add(&channel(1)?.mul(1.0 - kr - kb)?)?
                .add(&channel(2)?.mul(kb)?)?
        } else {
            channel(0)?
        };
        return Ok(YuvFrame {
            data: to_u8(luma.mul(219.0)?.add(16.0)?)?,
            width,
            height,
            chroma: Chroma::Mono,
        });
    }
    if channels == 2 {
        return Err(Error::shape(
            "a two-channel frame (grey and alpha) has no colour to write as Y'CbCr",
        ));
    }
    let (kr, kb) = matrix.weights();
    let (r, g, b) = (channel(0)?, channel(1)?, channel(2)?);
    let yp = r.mul(kr)?.add(&g.mul(1.0 - kr - kb)?)?.add(&b.mul(kb)?)?;
    yp.eval()?;
    let cb = b.sub(&yp)?.mul(224.0 / (2.0 * (1.0 - kb)))?.add(128.0)?;
    let cr = r.sub(&yp)?.mul(224.0 / (2.0 * (1.0 - kr)))?.add(128.0)?;
    let factors = chroma.factors();
    let mut data = to_u8(yp.mul(219.0)?.add(16.0)?)?;
    data.extend(to_u8(downsample(&cb, factors)?)?);
    data.extend(to_u8(downsample(&cr, factors)?)?);
    Ok(YuvFrame {
        data,
        width,
        height,
        chroma,
    })
}

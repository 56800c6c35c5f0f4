//! Reading and writing single elements from bytes in either byte order, and dtype conversion.

use half::f16;

use crate::view::dtype::{Dtype, Element, Kind};
use crate::view::format::Format;

/// How to decode one element of a scalar format: its dtype and whether its bytes are in the
/// opposite of this machine's byte order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Scalar {
    pub dtype: Dtype,
    pub swap: bool,
}

impl Scalar {
    pub fn of(format: &Format) -> Option<Scalar> {
        let dtype = format.dtype()?;
        // One-byte elements read the same in either byte order.
        Some(Scalar {
            dtype,
            swap: dtype.itemsize() > 1 && !format.is_native_order(),
        })
    }

    /// Bytes per byte-swapped unit: a complex number swaps its two parts separately.
    fn component(self) -> usize {
        match self.dtype.kind() {
            Kind::Complex => self.dtype.itemsize() / 2,
            _ => self.dtype.itemsize(),
        }
    }

    /// Copies one element's bytes into native order.
    pub fn load(self, bytes: &[u8]) -> [u8; 16] {
        let n = self.dtype.itemsize();
        let mut buf = [0u8; 16];
        buf[..n].copy_from_slice(&bytes[..n]);
        if self.swap {
            buf[..n]
                .chunks_mut(self.component())
                .for_each(<[u8]>::reverse);
        }
        buf
    }

    /// Stores one element given in native order into `out`, in this scalar's byte order.
    pub fn store(self, native: &[u8], out: &mut [u8]) {
        let n = self.dtype.itemsize();
        out[..n].copy_from_slice(&native[..n]);
        if self.swap {
            out[..n]
                .chunks_mut(self.component())
                .for_each(<[u8]>::reverse);
        }
    }

    /// Reads a typed element; `T` must hold this dtype (checked by the caller).
    pub fn read<T: Element>(self, bytes: &[u8]) -> T {
        let buf = self.load(bytes);
        bytemuck::pod_read_unaligned(&buf[..std::mem::size_of::<T>()])
    }
}

/// One element's value, wide enough for every dtype.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Value {
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Complex(f64, f64),
}

fn decode(dtype: Dtype, b: &[u8; 16]) -> Value {
    let a2 = |i: usize| [b[i], b[i + 1]];
    let a4 = |i: usize| [b[i], b[i + 1], b[i + 2], b[i + 3]];
    let a8 = |i: usize| std::array::from_fn::<u8, 8, _>(|k| b[i + k]);
    match dtype {
        Dtype::Bool => Value::Bool(b[0] != 0),
        Dtype::I8 => Value::Int(b[0] as i8 as i64),
        Dtype::U8 => Value::UInt(b[0] as u64),
        Dtype::I16 => Value::Int(i16::from_ne_bytes(a2(0)) as i64),
        Dtype::U16 => Value::UInt(u16::from_ne_bytes(a2(0)) as u64),
        Dtype::I32 => Value::Int(i32::from_ne_bytes(a4(0)) as i64),
        Dtype::U32 => Value::UInt(u32::from_ne_bytes(a4(0)) as u64),
        Dtype::I64 => Value::Int(i64::from_ne_bytes(a8(0))),
        Dtype::U64 => Value::UInt(u64::from_ne_bytes(a8(0))),
        Dtype::F16 => Value::Float(f16::from_ne_bytes(a2(0)).to_f64()),
        Dtype::F32 => Value::Float(f32::from_ne_bytes(a4(0)) as f64),
        Dtype::F64 => Value::Float(f64::from_ne_bytes(a8(0))),
        Dtype::C64 => Value::Complex(
            f32::from_ne_bytes(a4(0)) as f64,
            f32::from_ne_bytes(a4(4)) as f64,
        ),
        Dtype::C128 => Value::Complex(f64::from_ne_bytes(a8(0)), f64::from_ne_bytes(a8(8))),
    }
}

/// Writes `v` as `dtype` in native order. NumPy's `astype` semantics: integers wrap modulo the
/// target width, floats convert to integers by truncation toward zero and saturate (NaN → 0),
/// complex → real drops the imaginary part, anything → bool is "nonzero".
fn encode(dtype: Dtype, v: Value, out: &mut [u8]) {
    // The value as each kind of number. `as` between integers wraps; float → int saturates.
    let (int, uint, float, imag) = match v {
        Value::Bool(b) => (b as i64, b as u64, b as u8 as f64, 0.0),
        Value::Int(i) => (i, i as u64, i as f64, 0.0),
        Value::UInt(u) => (u as i64, u, u as f64, 0.0),
        Value::Float(f) => (f as i64, f as u64, f, 0.0),
        Value::Complex(re, im) => (re as i64, re as u64, re, im),
    };
    let nonzero = match v {
        Value::Bool(b) => b,
        Value::Int(i) => i != 0,
        Value::UInt(u) => u != 0,
        Value::Float(f) => f != 0.0,
        Value::Complex(re, im) => re != 0.0 || im != 0.0,
    };
    // Narrow integer targets from a float saturate at their own range, as in Rust's `as`.
    let narrow = |lo: f64, hi: f64| -> Option<f64> {
        matches!(v, Value::Float(_) | Value::Complex(..)).then(|| {
            if float.is_nan() {
                0.0
            } else {
                float.clamp(lo, hi)
            }
        })
    };
    let mut put = |bytes: &[u8]| out[..bytes.len()].copy_from_slice(bytes);
    match dtype {
        Dtype::Bool => put(&[nonzero as u8]),
        Dtype::I8 => put(&narrow(-128.0, 127.0)
            .map_or(int as i8, |f| f as i8)
            .to_ne_bytes()),
        Dtype::U8 => put(&narrow(0.0, 255.0)
            .map_or(uint as u8, |f| f as u8)
            .to_ne_bytes()),
        Dtype::I16 => {
            put(&(narrow(-32768.0, 32767.0).map_or(int as i16, |f| f as i16)).to_ne_bytes())
        }
        Dtype::U16 => put(&(narrow(0.0, 65535.0).map_or(uint as u16, |f| f as u16)).to_ne_bytes()),
        Dtype::I32 => put(&(narrow(i32::MIN as f64, i32::MAX as f64)
            .map_or(int as i32, |f| f as i32))
        .to_ne_bytes()),
        Dtype::U32 => {
            put(&(narrow(0.0, u32::MAX as f64).map_or(uint as u32, |f| f as u32)).to_ne_bytes())
        }
        Dtype::I64 => put(&int.to_ne_bytes()),
        Dtype::U64 => put(&uint.to_ne_bytes()),
        Dtype::F16 => put(&f16::from_f64(float).to_ne_bytes()),
        Dtype::F32 => put(&(float as f32).to_ne_bytes()),
        Dtype::F64 => put(&float.to_ne_bytes()),
        Dtype::C64 => {
            put(&(float as f32).to_ne_bytes());
            out[4..8].copy_from_slice(&(imag as f32).to_ne_bytes());
        }
        Dtype::C128 => {
            put(&float.to_ne_bytes());
            out[8..16].copy_from_slice(&imag.to_ne_bytes());
        }
    }
}

/// Converts one element from `src` (its bytes at `from`) to `to` (native order) in `out`.
pub(crate) fn convert(src: Scalar, from: &[u8], to: Dtype, out: &mut [u8]) {
    encode(to, decode(src.dtype, &src.load(from)), out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cast(v: Value, to: Dtype) -> [u8; 16] {
        let mut out = [0u8; 16];
        encode(to, v, &mut out);
        out
    }

    #[test]
    fn numpy_cast_rules() {
        // Integers wrap.
        assert_eq!(cast(Value::Int(300), Dtype::U8)[0], 44);
        assert_eq!(
            cast(Value::Int(-1), Dtype::U16)[..2],
            65535u16.to_ne_bytes()
        );
        // Floats truncate toward zero and saturate; NaN is 0.
        assert_eq!(cast(Value::Float(-1.7), Dtype::I8)[0] as i8, -1);
        assert_eq!(cast(Value::Float(300.0), Dtype::U8)[0], 255);
        assert_eq!(cast(Value::Float(-5.0), Dtype::U8)[0], 0);
        assert_eq!(
            cast(Value::Float(f64::NAN), Dtype::I32)[..4],
            0i32.to_ne_bytes()
        );
        // Complex → real keeps the real part; anything → bool is "nonzero".
        assert_eq!(
            cast(Value::Complex(2.5, 9.0), Dtype::F64)[..8],
            2.5f64.to_ne_bytes()
        );
        assert_eq!(cast(Value::Complex(0.0, 1.0), Dtype::Bool)[0], 1);
        assert_eq!(cast(Value::Float(f64::NAN), Dtype::Bool)[0], 1);
        assert_eq!(cast(Value::Float(0.0), Dtype::Bool)[0], 0);
        // f16 rounds to nearest.
        assert_eq!(
            cast(Value::Float(1.0 / 3.0), Dtype::F16)[..2],
            f16::from_f64(1.0 / 3.0).to_ne_bytes()
        );
    }

    #[test]
    fn byte_swapped_complex_swaps_each_part() {
        let s = Scalar {
            dtype: Dtype::C64,
            swap: true,
        };
        let mut be = [0u8; 8];
        be[..4].copy_from_slice(&1.5f32.to_be_bytes());
        be[4..].copy_from_slice(&(-2.0f32).to_be_bytes());
        let z: num_complex::Complex<f32> = s.read(&be);
        assert_eq!(z, num_complex::Complex::new(1.5, -2.0));
    }
}

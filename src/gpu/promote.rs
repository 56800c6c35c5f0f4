//! Type promotion: NumPy's rules (NEP 50) restricted to the dtypes the GPU holds.
//!
//! Between arrays, the result is NumPy's `result_type`, except that where NumPy would go to a
//! 64-bit type the 32-bit type of the same kind is taken (as JAX does without x64):
//!
//! | operands                         | NumPy       | gpuarray |
//! |----------------------------------|-------------|----------|
//! | same dtype                       | that dtype  | same     |
//! | `bool` with `x`                  | `x`         | same     |
//! | signed with unsigned, e.g. i8 + u8 | next signed (`i16`) | same |
//! | `i32` + `u32` (or smaller signed with `u32`) | `i64` | **`i32`** |
//! | 8-bit int + `f16`                | `f16`       | same     |
//! | 16-bit int + `f16`, any int ≤ 16 bits + `f32` | `f32` | same |
//! | 32-bit int + `f16`/`f32`         | `f64`       | **`f32`** |
//! | anything + `c64`                 | `c64` or `c128` | **`c64`** |
//!
//! Rust scalars are NumPy's "weak" Python scalars: an integer takes the array's dtype (a `u8`
//! array plus `2` stays `u8`; a value that does not fit is an error, as in NEP 50), a float takes
//! the array's float or complex dtype and turns integer arrays into `f32` (NumPy: `f64`).
//!
//! Functions that need floats (`sqrt`, `exp`, `sin`, true division, ...) take integer inputs
//! as NumPy's loops do: 8-bit and bool as `f16`, 16-bit as `f32`, 32-bit as `f32` (NumPy: `f64`).

use crate::error::{Error, Result};
use crate::view::dtype::{Dtype, Kind};

/// The dtype two array operands promote to.
pub(crate) fn promote(a: Dtype, b: Dtype) -> Dtype {
    use Kind::*;
    if a == b {
        return a;
    }
    let (ka, kb) = (a.kind(), b.kind());
    match (ka, kb) {
        (Bool, _) => b,
        (_, Bool) => a,
        (Complex, _) | (_, Complex) => Dtype::C64,
        (Float, Float) => larger(a, b),
        (Float, Int | UInt) => larger(a, float_for(b)),
        (Int | UInt, Float) => larger(b, float_for(a)),
        (Int, Int) | (UInt, UInt) => larger(a, b),
        (Int, UInt) => mixed_int(a, b),
        (UInt, Int) => mixed_int(b, a),
    }
}

fn larger(a: Dtype, b: Dtype) -> Dtype {
    if a.itemsize() >= b.itemsize() { a } else { b }
}

/// A signed and an unsigned integer: the smallest signed type holding both (i32 at most).
fn mixed_int(signed: Dtype, unsigned: Dtype) -> Dtype {
    if signed.itemsize() > unsigned.itemsize() {
        return signed;
    }
    match unsigned {
        Dtype::U8 => Dtype::I16,
        _ => Dtype::I32,
    }
}

/// The float dtype NumPy's loops compute a float function of `dtype` in (narrowed to f32).
pub(crate) fn float_for(dtype: Dtype) -> Dtype {
    match dtype {
        Dtype::Bool | Dtype::I8 | Dtype::U8 => Dtype::F16,
        Dtype::F16 | Dtype::C64 => dtype,
        _ => Dtype::F32,
    }
}

/// A Rust scalar operand: NumPy's weak Python scalar.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar {
    /// An integer (`i32`, `i64`, `u32`, ... in Rust).
    Int(i64),
    /// A float (`f32`, `f64`).
    Float(f64),
    /// A boolean.
    Bool(bool),
}

impl Scalar {
    /// The dtype a weak scalar takes next to an array of `array` dtype (NEP 50).
    pub(crate) fn dtype_with(self, array: Dtype) -> Result<Dtype> {
        Ok(match (self, array.kind()) {
            (Scalar::Bool(_), _) => array,
            (Scalar::Int(_), Kind::Bool) => Dtype::I32,
            (Scalar::Int(v), Kind::Int | Kind::UInt) => {
                let (lo, hi) = int_range(array);
                if (v as i128) < lo || (v as i128) > hi {
                    return Err(Error::dtype(format!(
                        "the integer {v} is out of bounds for {array} (NEP 50: a scalar takes \
                         the array's dtype; cast the array with astype first)"
                    )));
                }
                array
            }
            (Scalar::Int(_), _) => array,
            (Scalar::Float(_), Kind::Bool | Kind::Int | Kind::UInt) => Dtype::F32,
            (Scalar::Float(_), _) => array,
        })
    }

    /// The dtype a scalar has on its own (e.g. `full`): i32, f32 or bool.
    pub(crate) fn default_dtype(self) -> Dtype {
        match self {
            Scalar::Int(_) => Dtype::I32,
            Scalar::Float(_) => Dtype::F32,
            Scalar::Bool(_) => Dtype::Bool,
        }
    }

    /// The 32-bit words of this value as `dtype`'s compute type (complex: two words).
    pub(crate) fn bits(self, dtype: Dtype) -> Vec<u32> {
        let f = match self {
            Scalar::Int(v) => v as f64,
            Scalar::Float(v) => v,
            Scalar::Bool(b) => b as u8 as f64,
        };
        let i = match self {
            Scalar::Int(v) => v,
            Scalar::Float(v) => v as i64,
            Scalar::Bool(b) => b as i64,
        };
        match dtype {
            Dtype::Bool => vec![(f != 0.0) as u32],
            Dtype::I8 | Dtype::I16 | Dtype::I32 | Dtype::I64 => vec![i as i32 as u32],
            Dtype::U8 | Dtype::U16 | Dtype::U32 | Dtype::U64 => vec![i as u32],
            Dtype::F16 => vec![half::f16::from_f64(f).to_f32().to_bits()],
            Dtype::F32 | Dtype::F64 => vec![(f as f32).to_bits()],
            Dtype::C64 | Dtype::C128 => vec![(f as f32).to_bits(), 0],
        }
    }
}

/// The value range of an integer dtype.
fn int_range(dtype: Dtype) -> (i128, i128) {
    let bits = dtype.itemsize() as u32 * 8;
    match dtype.kind() {
        Kind::Int => (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1),
        _ => (0, (1i128 << bits) - 1),
    }
}

macro_rules! scalar_from {
    ($($t:ty => $v:ident),*) => {
        $(impl From<$t> for Scalar {
            fn from(x: $t) -> Scalar {
                Scalar::$v(x.into())
            }
        })*
    };
}

scalar_from!(i8 => Int, i16 => Int, i32 => Int, i64 => Int, u8 => Int, u16 => Int, u32 => Int,
    f32 => Float, f64 => Float, bool => Bool);

#[cfg(test)]
mod tests {
    use super::*;
    use Dtype::*;

    #[test]
    fn promotion_table() {
        // (a, b, result): NumPy's result_type, narrowed to 32 bits where NumPy gives 64.
        let table = [
            (Bool, U8, U8),
            (I8, U8, I16),
            (I16, U8, I16),
            (U16, I8, I32),
            (U32, I32, I32),
            (U32, I8, I32),
            (U8, U16, U16),
            (I8, F16, F16),
            (U8, F16, F16),
            (I16, F16, F32),
            (U16, F32, F32),
            (I32, F16, F32),
            (I32, F32, F32),
            (F16, F32, F32),
            (F16, C64, C64),
            (I32, C64, C64),
            (Bool, F16, F16),
        ];
        for (a, b, want) in table {
            assert_eq!(promote(a, b), want, "{a} + {b}");
            assert_eq!(promote(b, a), want, "{b} + {a}");
        }
    }

    #[test]
    fn weak_scalars() {
        assert_eq!(Scalar::Int(2).dtype_with(U8).unwrap(), U8);
        assert!(
            Scalar::Int(300)
                .dtype_with(U8)
                .unwrap_err()
                .to_string()
                .contains("out of bounds")
        );
        assert!(Scalar::Int(-1).dtype_with(U16).is_err());
        assert_eq!(Scalar::Int(2).dtype_with(F16).unwrap(), F16);
        assert_eq!(Scalar::Float(0.5).dtype_with(U8).unwrap(), F32);
        assert_eq!(Scalar::Float(0.5).dtype_with(F16).unwrap(), F16);
        assert_eq!(Scalar::Int(1).dtype_with(Bool).unwrap(), I32);
    }
}

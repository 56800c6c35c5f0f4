//! The elementwise API: NumPy's ufuncs as methods and free functions, and Rust's operators.
//!
//! Every operation is lazy (see [`GpuArray::eval`]): a chain of them runs as one fused kernel
//! when its result is needed. Broadcasting and type promotion follow NumPy (see
//! [`promote`](crate::gpu::promote) for the table). Integer division and remainder by zero give 0
//! (NumPy's result, without its warning); `i32::MIN // -1` wraps.
//!
//! The methods return `Result`. Rust's operators (`&a + &b`, `&a * 2.0`, `1.0 - &a`, `-&a`,
//! `a += &b`) cannot: they return an array that holds the error, if any, and report it when the
//! array is evaluated, downloaded or used in a method.
//!
//! ```
//! use gpuarray::{Gpu, View};
//! let gpu = Gpu::new()?;
//! let a = gpu.upload(&View::from_slice(&[1.0f32, 4.0, 9.0], &[3])?)?;
//! let b = gpu.upload(&View::from_slice(&[1.0f32, 2.0, 3.0], &[3])?)?;
//! let c = (&(&a * &b) + 1.0).sqrt()? * 2.0; // one kernel, run by to_host
//! assert_eq!(c.to_host()?.as_slice::<f32>()?, [2.0 * 2f32.sqrt(), 6.0, 2.0 * 28f32.sqrt()]);
//! # Ok::<(), gpuarray::Error>(())
//! ```

use std::ops;

use crate::error::Result;
use crate::gpu::array::GpuArray;
use crate::gpu::elementwise::{self, Bin, Operand, Un};
use crate::gpu::promote::Scalar;
use crate::view::dtype::Dtype;

/// An operand of a binary operation: an array or a Rust scalar (NumPy's weak Python scalar).
#[derive(Clone, Copy)]
pub enum Arg<'a> {
    /// An array.
    Array(&'a GpuArray),
    /// A scalar.
    Scalar(Scalar),
}

impl<'a> From<&'a GpuArray> for Arg<'a> {
    fn from(a: &'a GpuArray) -> Self {
        Arg::Array(a)
    }
}

macro_rules! arg_from_scalar {
    ($($t:ty),*) => {$(
        impl From<$t> for Arg<'_> {
            fn from(x: $t) -> Self {
                Arg::Scalar(x.into())
            }
        }
    )*};
}
arg_from_scalar!(i8, i16, i32, i64, u8, u16, u32, f32, f64, bool);

impl<'a> Arg<'a> {
    fn operand(self) -> Operand<'a> {
        match self {
            Arg::Array(a) => Operand::Array(a),
            Arg::Scalar(s) => Operand::Scalar(s),
        }
    }
}

macro_rules! unary_methods {
    ($($(#[$doc:meta])* $name:ident => $op:ident,)*) => {
        impl GpuArray {
            $(
                $(#[$doc])*
                pub fn $name(&self) -> Result<GpuArray> {
                    self.check()?;
                    elementwise::unary(self, Un::$op)
                }
            )*
        }
    };
}

unary_methods! {
    /// `-x` (integers wrap; not defined for bool).
    neg => Neg,
    /// `|x|`; the magnitude (as f32) for complex.
    abs => Abs,
    /// -1, 0 or 1 (NaN stays NaN).
    sign => Sign,
    /// Square root (complex too; NaN for negative reals).
    sqrt => Sqrt,
    /// `e^x` (complex too).
    exp => Exp,
    /// `2^x`.
    exp2 => Exp2,
    /// Natural logarithm (complex too; -inf at 0, NaN below).
    log => Log,
    /// Base-2 logarithm.
    log2 => Log2,
    /// Base-10 logarithm.
    log10 => Log10,
    /// `ln(1 + x)`, accurate near 0.
    log1p => Log1p,
    /// `e^x - 1`, accurate near 0.
    expm1 => Expm1,
    /// Sine.
    sin => Sin,
    /// Cosine.
    cos => Cos,
    /// Tangent.
    tan => Tan,
    /// Inverse sine (NaN outside [-1, 1]).
    arcsin => Arcsin,
    /// Inverse cosine (NaN outside [-1, 1]).
    arccos => Arccos,
    /// Inverse tangent.
    arctan => Arctan,
    /// Hyperbolic sine.
    sinh => Sinh,
    /// Hyperbolic cosine.
    cosh => Cosh,
    /// Hyperbolic tangent.
    tanh => Tanh,
    /// Largest integer ≤ x (integers become floats, as in NumPy).
    floor => Floor,
    /// Smallest integer ≥ x.
    ceil => Ceil,
    /// Round half to even (integers unchanged).
    round => Round,
    /// Round toward zero.
    trunc => Trunc,
    /// Logical not: `x == 0`, as bool.
    logical_not => Not,
    /// Bitwise not (integers and bool).
    invert => Invert,
    /// NaN test (complex: either part).
    isnan => IsNan,
    /// Infinity test.
    isinf => IsInf,
    /// Neither NaN nor infinite.
    isfinite => IsFinite,
    /// Real part (the value itself for real dtypes).
    real => Real,
    /// Imaginary part (zeros for real dtypes).
    imag => Imag,
    /// Complex conjugate.
    conj => Conj,
    /// Argument of a complex number (`atan2(im, re)`), as f32.
    angle => Angle,
}

macro_rules! binary_methods {
    ($($(#[$doc:meta])* $name:ident => $op:ident,)*) => {
        impl GpuArray {
            $(
                $(#[$doc])*
                pub fn $name<'a>(&self, other: impl Into<Arg<'a>>) -> Result<GpuArray> {
                    self.check()?;
                    let other = other.into();
                    if let Arg::Array(o) = other { o.check()?; }
                    elementwise::binary(Operand::Array(self), other.operand(), Bin::$op)
                }
            )*
        }

        /// The binary ufuncs as free functions whose operands may both be arrays or either one a
        /// scalar, as NumPy's `np.subtract(2, a)`: the scalar-first forms that Rust's operators
        /// cover only for `+ - * / % & | ^`, and that bindings need for reflected operators
        /// (Python's `2 ** a`).
        ///
        /// ```
        /// use gpuarray::gpu::ops::binary;
        /// use gpuarray::{Gpu, View};
        /// let gpu = Gpu::new()?;
        /// let a = gpu.upload(&View::from_slice(&[1.0f32, 2.0, 3.0], &[3])?)?;
        /// let p = binary::pow(2.0, &a)?;                     // 2 ** a, float32
        /// assert_eq!(p.to_host()?.as_slice::<f32>()?, [2.0, 4.0, 8.0]);
        /// let q = binary::floor_divide(7, &a.astype(gpuarray::Dtype::I32)?)?;
        /// assert_eq!(q.to_host()?.as_slice::<i32>()?, [7, 3, 2]);
        /// # Ok::<(), gpuarray::Error>(())
        /// ```
        pub mod binary {
            use super::*;
            $(
                #[doc = concat!("The free form of [`GpuArray::", stringify!($name), "`].")]
                pub fn $name<'a, 'b>(a: impl Into<Arg<'a>>, b: impl Into<Arg<'b>>) -> Result<GpuArray> {
                    let (a, b) = (a.into(), b.into());
                    for x in [a, b] {
                        if let Arg::Array(x) = x { x.check()?; }
                    }
                    elementwise::binary(a.operand(), b.operand(), Bin::$op)
                }
            )*
        }
    };
}

binary_methods! {
    /// `self + other` (bool: or).
    add => Add,
    /// `self - other`.
    sub => Sub,
    /// `self * other` (bool: and; complex multiply).
    mul => Mul,
    /// True division: integers give f32 (NumPy: f64); complex divide by Smith's method.
    div => Div,
    /// `self % other` with the sign of the divisor, as NumPy (`x % 0` is 0 for integers).
    rem => Rem,
    /// Floor division (`x // 0` is 0 for integers).
    floor_divide => FloorDiv,
    /// `self ** other` (integer powers exact; a negative integer exponent gives `1 / x^|e|`
    /// truncated).
    pow => Pow,
    /// Elementwise minimum (NaN propagates).
    minimum => Min,
    /// Elementwise maximum (NaN propagates).
    maximum => Max,
    /// `atan2(self, other)`.
    arctan2 => Arctan2,
    /// `self == other`.
    eq => Eq,
    /// `self != other`.
    ne => Ne,
    /// `self < other` (complex: lexicographic, as NumPy sorts).
    lt => Lt,
    /// `self <= other`.
    le => Le,
    /// `self > other`.
    gt => Gt,
    /// `self >= other`.
    ge => Ge,
    /// Logical and of the truth values.
    logical_and => And,
    /// Logical or.
    logical_or => Or,
    /// Logical exclusive or.
    logical_xor => Xor,
    /// Bitwise and (integers and bool).
    bitwise_and => BitAnd,
    /// Bitwise or.
    bitwise_or => BitOr,
    /// Bitwise exclusive or.
    bitwise_xor => BitXor,
    /// Left shift (shifts past the width give 0).
    left_shift => Shl,
    /// Right shift (arithmetic for signed types).
    right_shift => Shr,
}

impl GpuArray {
    /// `min(max(self, lo), hi)`, as NumPy's `clip`.
    pub fn clip<'a, 'b>(&self, lo: impl Into<Arg<'a>>, hi: impl Into<Arg<'b>>) -> Result<GpuArray> {
        self.maximum(lo)?.minimum(hi)
    }

    /// A complex array from real and imaginary parts (any real dtypes, computed in f32).
    pub fn complex<'a>(&self, imag: impl Into<Arg<'a>>) -> Result<GpuArray> {
        self.check()?;
        elementwise::binary(
            Operand::Array(self),
            imag.into().operand(),
            Bin::MakeComplex,
        )
    }

    /// Converts to `dtype` lazily, so the conversion fuses with the operations around it (same
    /// rules as [`astype`](Self::astype)).
    pub fn cast(&self, dtype: Dtype) -> Result<GpuArray> {
        self.check()?;
        elementwise::cast(self, dtype)
    }
}

/// `where(cond, x, y)`: `x` where `cond` is nonzero, else `y`, broadcast together.
pub fn where_<'a, 'b>(
    cond: &GpuArray,
    x: impl Into<Arg<'a>>,
    y: impl Into<Arg<'b>>,
) -> Result<GpuArray> {
    cond.check()?;
    elementwise::select(cond, x.into().operand(), y.into().operand())
}

// Rust operators: errors travel inside the result (see the module docs).

macro_rules! operator {
    ($trait:ident, $method:ident, $op:ident) => {
        impl ops::$trait<&GpuArray> for &GpuArray {
            type Output = GpuArray;
            fn $method(self, rhs: &GpuArray) -> GpuArray {
                self.deferred(self.$op(rhs))
            }
        }
        impl ops::$trait<GpuArray> for GpuArray {
            type Output = GpuArray;
            fn $method(self, rhs: GpuArray) -> GpuArray {
                ops::$trait::$method(&self, &rhs)
            }
        }
        impl ops::$trait<&GpuArray> for GpuArray {
            type Output = GpuArray;
            fn $method(self, rhs: &GpuArray) -> GpuArray {
                ops::$trait::$method(&self, rhs)
            }
        }
        // One integer and one float type, so that literals (`2`, `0.5`) infer without suffixes;
        // the value is what matters (scalars are weak, see the module docs).
        operator!(@scalars $trait, $method, $op, i64, f64);
    };
    (@scalars $trait:ident, $method:ident, $op:ident, $($t:ty),*) => {$(
        impl ops::$trait<$t> for &GpuArray {
            type Output = GpuArray;
            fn $method(self, rhs: $t) -> GpuArray {
                self.deferred(self.$op(rhs))
            }
        }
        impl ops::$trait<$t> for GpuArray {
            type Output = GpuArray;
            fn $method(self, rhs: $t) -> GpuArray {
                ops::$trait::$method(&self, rhs)
            }
        }
        impl ops::$trait<&GpuArray> for $t {
            type Output = GpuArray;
            fn $method(self, rhs: &GpuArray) -> GpuArray {
                let r = rhs.check().and_then(|()| elementwise::binary(
                    Operand::Scalar(self.into()),
                    Operand::Array(rhs),
                    Bin::$trait,
                ));
                rhs.deferred(r)
            }
        }
        impl ops::$trait<GpuArray> for $t {
            type Output = GpuArray;
            fn $method(self, rhs: GpuArray) -> GpuArray {
                ops::$trait::$method(self, &rhs)
            }
        }
    )*};
}

operator!(Add, add, add);
operator!(Sub, sub, sub);
operator!(Mul, mul, mul);
operator!(Div, div, div);
operator!(Rem, rem, rem);
operator!(BitAnd, bitand, bitwise_and);
operator!(BitOr, bitor, bitwise_or);
operator!(BitXor, bitxor, bitwise_xor);

impl ops::Neg for &GpuArray {
    type Output = GpuArray;
    fn neg(self) -> GpuArray {
        self.deferred(GpuArray::neg(self))
    }
}

impl ops::Neg for GpuArray {
    type Output = GpuArray;
    fn neg(self) -> GpuArray {
        -&self
    }
}

macro_rules! assign_operator {
    ($trait:ident, $method:ident, $op:ident) => {
        impl ops::$trait<&GpuArray> for GpuArray {
            /// In place as NumPy: the result is cast back to this array's dtype and must keep its
            /// shape. The variable now names the new (lazy) values; views taken from it before
            /// keep the old ones, since GPU arrays are never written in place.
            fn $method(&mut self, rhs: &GpuArray) {
                *self = self.assign_result(self.$op(rhs));
            }
        }
        impl<T: Into<Scalar> + Copy> ops::$trait<T> for GpuArray
        where
            for<'a> Arg<'a>: From<T>,
        {
            fn $method(&mut self, rhs: T) {
                *self = self.assign_result(self.$op(rhs));
            }
        }
    };
}

assign_operator!(AddAssign, add_assign, add);
assign_operator!(SubAssign, sub_assign, sub);
assign_operator!(MulAssign, mul_assign, mul);
assign_operator!(DivAssign, div_assign, div);
assign_operator!(RemAssign, rem_assign, rem);

impl GpuArray {
    fn assign_result(&self, result: Result<GpuArray>) -> GpuArray {
        let r = result.and_then(|r| {
            if r.shape() != self.shape() {
                return Err(crate::Error::shape(format!(
                    "in-place result of shape {:?} does not fit shape {:?}",
                    r.shape(),
                    self.shape()
                )));
            }
            r.cast(self.dtype)
        });
        self.deferred(r)
    }
}

//! Scalar element types ([`Dtype`]) and the Rust types that hold them ([`Element`]).

use std::fmt;

use half::f16;
use num_complex::Complex;

use crate::error::{Error, Result};

/// The scalar element types gpuarray computes with.
///
/// Every dtype has a PEP 3118 format code ([`Dtype::format`]) and a NumPy typestr
/// ([`Dtype::typestr`], [`Dtype::from_typestr`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dtype {
    /// `bool`, one byte, 0 or 1.
    Bool,
    /// `i8`.
    I8,
    /// `u8`.
    U8,
    /// `i16`.
    I16,
    /// `u16`.
    U16,
    /// `i32`.
    I32,
    /// `u32`.
    U32,
    /// `i64`.
    I64,
    /// `u64`.
    U64,
    /// IEEE binary16 ([`half::f16`]).
    F16,
    /// `f32`.
    F32,
    /// `f64`.
    F64,
    /// Complex of two `f32` ([`num_complex::Complex32`]).
    C64,
    /// Complex of two `f64` ([`num_complex::Complex64`]).
    C128,
}

/// What kind of number a [`Dtype`] holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `Bool`.
    Bool,
    /// Signed integers.
    Int,
    /// Unsigned integers.
    UInt,
    /// Real floating point.
    Float,
    /// Complex floating point.
    Complex,
}

impl Dtype {
    /// Every dtype, in promotion order within each kind.
    pub const ALL: [Dtype; 14] = [
        Dtype::Bool,
        Dtype::I8,
        Dtype::U8,
        Dtype::I16,
        Dtype::U16,
        Dtype::I32,
        Dtype::U32,
        Dtype::I64,
        Dtype::U64,
        Dtype::F16,
        Dtype::F32,
        Dtype::F64,
        Dtype::C64,
        Dtype::C128,
    ];

    /// Size of one element in bytes.
    pub const fn itemsize(self) -> usize {
        match self {
            Dtype::Bool | Dtype::I8 | Dtype::U8 => 1,
            Dtype::I16 | Dtype::U16 | Dtype::F16 => 2,
            Dtype::I32 | Dtype::U32 | Dtype::F32 => 4,
            Dtype::I64 | Dtype::U64 | Dtype::F64 | Dtype::C64 => 8,
            Dtype::C128 => 16,
        }
    }

    /// Natural alignment in bytes (that of the Rust type holding it).
    pub const fn alignment(self) -> usize {
        match self {
            Dtype::C64 => 4,
            Dtype::C128 => 8,
            other => other.itemsize(),
        }
    }

    /// The kind of number.
    pub const fn kind(self) -> Kind {
        match self {
            Dtype::Bool => Kind::Bool,
            Dtype::I8 | Dtype::I16 | Dtype::I32 | Dtype::I64 => Kind::Int,
            Dtype::U8 | Dtype::U16 | Dtype::U32 | Dtype::U64 => Kind::UInt,
            Dtype::F16 | Dtype::F32 | Dtype::F64 => Kind::Float,
            Dtype::C64 | Dtype::C128 => Kind::Complex,
        }
    }

    /// The PEP 3118 format string of one native element (`"f"`, `"B"`, `"Zd"`, ...).
    pub const fn format(self) -> &'static str {
        match self {
            Dtype::Bool => "?",
            Dtype::I8 => "b",
            Dtype::U8 => "B",
            Dtype::I16 => "h",
            Dtype::U16 => "H",
            Dtype::I32 => "i",
            Dtype::U32 => "I",
            Dtype::I64 => "q",
            Dtype::U64 => "Q",
            Dtype::F16 => "e",
            Dtype::F32 => "f",
            Dtype::F64 => "d",
            Dtype::C64 => "Zf",
            Dtype::C128 => "Zd",
        }
    }

    /// The NumPy typestr in this machine's byte order: `"<f4"`, `"|u1"`, `"<c8"`, ...
    pub fn typestr(self) -> String {
        let order = if self.itemsize() == 1 {
            '|'
        } else if cfg!(target_endian = "little") {
            '<'
        } else {
            '>'
        };
        let kind = match self.kind() {
            Kind::Bool => 'b',
            Kind::Int => 'i',
            Kind::UInt => 'u',
            Kind::Float => 'f',
            Kind::Complex => 'c',
        };
        format!("{order}{kind}{}", self.itemsize())
    }

    /// Parses a NumPy typestr (`"<f4"`, `">i2"`, `"|u1"`, `"=c8"`, `"f8"`) into the dtype and
    /// whether its bytes are little-endian.
    ///
    /// ```
    /// use gpuarray::Dtype;
    /// assert_eq!(Dtype::from_typestr(">i2")?, (Dtype::I16, false));
    /// assert_eq!(Dtype::from_typestr("|u1")?, (Dtype::U8, cfg!(target_endian = "little")));
    /// # Ok::<(), gpuarray::Error>(())
    /// ```
    pub fn from_typestr(s: &str) -> Result<(Dtype, bool)> {
        let err = |pos: usize, reason: &str| Error::Format {
            input: s.to_owned(),
            pos,
            reason: reason.to_owned(),
        };
        let native_little = cfg!(target_endian = "little");
        let (little, rest, pos) = match s.chars().next() {
            Some('<') => (true, &s[1..], 1),
            Some('>') => (false, &s[1..], 1),
            Some('|') | Some('=') => (native_little, &s[1..], 1),
            Some(_) => (native_little, s, 0),
            None => return Err(err(0, "empty typestr")),
        };
        let mut chars = rest.chars();
        let kind = chars
            .next()
            .ok_or_else(|| err(pos, "missing kind character"))?;
        let size: usize = chars
            .as_str()
            .parse()
            .map_err(|_| err(pos + 1, "expected the item size in bytes after the kind"))?;
        let dtype = match (kind, size) {
            ('b', 1) | ('?', 1) => Dtype::Bool,
            ('i', 1) => Dtype::I8,
            ('u', 1) => Dtype::U8,
            ('i', 2) => Dtype::I16,
            ('u', 2) => Dtype::U16,
            ('i', 4) => Dtype::I32,
            ('u', 4) => Dtype::U32,
            ('i', 8) => Dtype::I64,
            ('u', 8) => Dtype::U64,
            ('f', 2) => Dtype::F16,
            ('f', 4) => Dtype::F32,
            ('f', 8) => Dtype::F64,
            ('c', 8) => Dtype::C64,
            ('c', 16) => Dtype::C128,
            _ => return Err(err(pos, "no gpuarray dtype has this kind and size")),
        };
        Ok((dtype, little))
    }
}

impl fmt::Display for Dtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Dtype::Bool => "bool",
            Dtype::I8 => "int8",
            Dtype::U8 => "uint8",
            Dtype::I16 => "int16",
            Dtype::U16 => "uint16",
            Dtype::I32 => "int32",
            Dtype::U32 => "uint32",
            Dtype::I64 => "int64",
            Dtype::U64 => "uint64",
            Dtype::F16 => "float16",
            Dtype::F32 => "float32",
            Dtype::F64 => "float64",
            Dtype::C64 => "complex64",
            Dtype::C128 => "complex128",
        };
        f.write_str(name)
    }
}

/// A Rust type that holds one element of a [`Dtype`]: the bridge between typed slices and views.
///
/// `bool` is not an `Element` (not every byte is a valid `bool`); bool data is read as `u8`.
pub trait Element: bytemuck::Pod + Send + Sync + 'static {
    /// The dtype this type holds.
    const DTYPE: Dtype;
}

macro_rules! element {
    ($($t:ty => $d:ident),* $(,)?) => {
        $(impl Element for $t { const DTYPE: Dtype = Dtype::$d; })*
    };
}

element! {
    i8 => I8, u8 => U8, i16 => I16, u16 => U16, i32 => I32, u32 => U32, i64 => I64,
    u64 => U64, f16 => F16, f32 => F32, f64 => F64, Complex<f32> => C64, Complex<f64> => C128,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typestrs_round_trip() {
        for d in Dtype::ALL {
            let s = d.typestr();
            assert_eq!(
                Dtype::from_typestr(&s).unwrap(),
                (d, cfg!(target_endian = "little"))
            );
            assert_eq!(s.len(), 3 + (d.itemsize() >= 10) as usize, "{s}");
        }
        assert_eq!(Dtype::F32.typestr(), "<f4");
        assert_eq!(Dtype::U8.typestr(), "|u1");
        assert_eq!(Dtype::C128.typestr(), "<c16");
        assert_eq!(Dtype::from_typestr(">c8").unwrap(), (Dtype::C64, false));
        for bad in ["", "<", "<f", "<f3", "<x4", "f4x"] {
            assert!(
                matches!(Dtype::from_typestr(bad), Err(Error::Format { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn all_lists_variants_in_declaration_order() {
        for (i, d) in Dtype::ALL.iter().enumerate() {
            assert_eq!(*d as usize, i);
        }
    }
}

//! PEP 3118 format strings: the full `struct`-module grammar plus PEP 3118's extensions.
//!
//! STUB: the parser is being written; the public API below is fixed.

use std::fmt;

use crate::error::{Error, Result};
use crate::view::dtype::Dtype;

/// Byte order and size mode, set by a prefix character and in force until the next one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum ByteOrder {
    /// `@` (the default): native order, native sizes, native alignment.
    #[default]
    Native,
    /// `=`: native order, standard sizes, no alignment.
    NativeStandard,
    /// `<`: little-endian, standard sizes, no alignment.
    Little,
    /// `>` or `!`: big-endian, standard sizes, no alignment.
    Big,
}

/// One element code of the grammar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Code {
    /// `x`: a pad byte.
    Pad,
    /// `c`: a one-byte character.
    Char,
    /// `b`.
    I8,
    /// `B`.
    U8,
    /// `?`.
    Bool,
    /// `h`.
    Short,
    /// `H`.
    UShort,
    /// `i`.
    Int,
    /// `I`.
    UInt,
    /// `l`.
    Long,
    /// `L`.
    ULong,
    /// `q`.
    LongLong,
    /// `Q`.
    ULongLong,
    /// `n` (`ssize_t`, native mode only).
    SSize,
    /// `N` (`size_t`, native mode only).
    Size,
    /// `e`.
    F16,
    /// `f`.
    F32,
    /// `d`.
    F64,
    /// `Zf`.
    C64,
    /// `Zd`.
    C128,
    /// `s`: a byte string; the count is its length.
    Bytes,
    /// `p`: a Pascal string; the count is its length.
    PascalString,
    /// `P`: a pointer (`void *`, native mode only).
    Pointer,
}

/// What one item of a format holds.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ItemKind {
    /// A code from the grammar.
    Code(Code),
    /// `T{...}`: a nested struct.
    Struct(Format),
}

/// One item of a format: `[(shape)][count]code[:name:]` in a byte order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Item {
    /// The byte order in force for this item.
    pub order: ByteOrder,
    /// Sub-array shape from `(2,3)`; empty when absent.
    pub shape: Vec<usize>,
    /// Repeat count (for `s` and `p`: the string length; for `x`: the number of pad bytes).
    pub count: usize,
    /// What the item holds.
    pub kind: ItemKind,
    /// Field name from `:name:`.
    pub name: Option<String>,
}

/// A parsed PEP 3118 format string.
///
/// ```
/// use gpuarray::{Dtype, Format};
/// let f = Format::parse("<f")?;
/// assert_eq!(f.itemsize(), 4);
/// assert_eq!(f.dtype(), Some(Dtype::F32));
/// # Ok::<(), gpuarray::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Format {
    items: Vec<Item>,
}

impl Format {
    /// Parses a format string.
    pub fn parse(input: &str) -> Result<Format> {
        let _ = input;
        Err(Error::Format {
            input: input.to_owned(),
            pos: 0,
            reason: "parser not written yet".into(),
        })
    }

    /// The native format of one element of `dtype`.
    pub fn from_dtype(dtype: Dtype) -> Format {
        Format::from_dtype_order(dtype, ByteOrder::Native)
    }

    /// One element of `dtype` in the given byte order.
    pub fn from_dtype_order(dtype: Dtype, order: ByteOrder) -> Format {
        let code = match dtype {
            Dtype::Bool => Code::Bool,
            Dtype::I8 => Code::I8,
            Dtype::U8 => Code::U8,
            Dtype::I16 => Code::Short,
            Dtype::U16 => Code::UShort,
            Dtype::I32 => Code::Int,
            Dtype::U32 => Code::UInt,
            Dtype::I64 => Code::LongLong,
            Dtype::U64 => Code::ULongLong,
            Dtype::F16 => Code::F16,
            Dtype::F32 => Code::F32,
            Dtype::F64 => Code::F64,
            Dtype::C64 => Code::C64,
            Dtype::C128 => Code::C128,
        };
        Format {
            items: vec![Item {
                order,
                shape: Vec::new(),
                count: 1,
                kind: ItemKind::Code(code),
                name: None,
            }],
        }
    }

    /// The items, in order.
    pub fn items(&self) -> &[Item] {
        &self.items
    }

    /// Size of one element in bytes, as Python's `struct.calcsize` gives it.
    pub fn itemsize(&self) -> usize {
        todo!()
    }

    /// Alignment of one element: the largest native alignment of its items in `@` mode, 1 in the
    /// standard-size modes.
    pub fn alignment(&self) -> usize {
        todo!()
    }

    /// The dtype of a format that is one scalar element (any byte order, any name), else `None`.
    pub fn dtype(&self) -> Option<Dtype> {
        todo!()
    }

    /// Whether every item is stored in this machine's byte order.
    pub fn is_native_order(&self) -> bool {
        todo!()
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let _ = f;
        todo!()
    }
}

impl std::str::FromStr for Format {
    type Err = Error;
    fn from_str(s: &str) -> Result<Format> {
        Format::parse(s)
    }
}

//! PEP 3118 format strings: the full `struct`-module grammar plus PEP 3118's extensions.
//!
//! # Grammar
//!
//! A format is a sequence of items, each `[prefix][(shape)][prefix][count]code[:name:]`:
//!
//! - byte-order prefixes `@` (native, the default), `=`, `<`, `>` and `!` (same as `>`) may appear
//!   at the start and between items. A prefix is stream state: it stays in force for all later
//!   items until the next prefix, *also past the `}` of the `T{...}` it appears in* (as in
//!   NumPy). A prefix may stand before or after a sub-array shape.
//! - codes `x c b B ? h H i I l L q Q n N e f d s p P Zf Zd`; `n`, `N` and `P` only in `@` mode.
//! - a repeat count directly before the code (`3f`); for `s` and `p` it is the string length, for
//!   `x` the number of pad bytes. `0i` is valid (zero bytes, still aligned in `@` mode).
//! - `T{...}` nested structs (`T{}` is valid, size 0), up to 64 levels deep.
//! - `(2,3)` sub-array shapes (whitespace around the numbers allowed).
//! - `:name:` field names after an item (anything but `:`, not empty, unique within a struct).
//! - whitespace between tokens is ignored (not inside a number, between a count and its code, or
//!   inside `Zf`/`T{`).
//!
//! # Sizes
//!
//! `@` uses the C sizes and alignments of this machine; the other modes use the standard sizes
//! (`h`: 2, `i l`: 4, `q`: 8, ...) and no alignment.
//!
//! For every string Python's `struct` module accepts, [`Format::itemsize`] equals
//! `struct.calcsize`: in `@` mode each item starts at a multiple of its alignment and there is
//! no trailing padding (`"ic"` is 5 bytes, `"ci"` 8).
//!
//! For the PEP 3118 extensions (`Z`, `T{}`, shapes, names, prefixes after the start) the layout
//! follows NumPy's `numpy._core._internal._dtype_from_pep3118`:
//!
//! - count and shape multiply the item's size;
//! - a `T{...}` struct's alignment is the lcm of the alignments of its items placed in `@` mode
//!   (1 if there are none), and if `@` is in force at its `}`, its size is padded to a multiple
//!   of that alignment (C `sizeof`);
//! - whether an item is aligned depends on the byte order in force *after* it; for a struct that
//!   is the order its last prefix left in force (a NumPy quirk kept for compatibility:
//!   `"cT{i<b}"` places the struct at offset 1).
//!
//! Deliberate differences from NumPy:
//!
//! - at the top level we add no trailing padding (the `struct` rule; NumPy pads the top level to
//!   its alignment too: `"T{i}c"` is 8 bytes there, 5 here);
//! - we also accept `p`, `n`, `N`, `P`, whitespace, and a prefix before a sub-array shape
//!   (`"<(2)f"`);
//! - we reject an unterminated `T{` and an unmatched `}` (NumPy closes or stops silently), empty
//!   field names (`"i::"`), and `g`, `Zg`, `O`, `w`, `^`, which gpuarray cannot represent.
//!
//! Differences from `struct`: everything PEP 3118 adds, and prefixes after the start (also a
//! lone trailing prefix at the top level, `"i<"`, which changes nothing).
//!
//! Sizes are limited to `isize::MAX` bytes; larger counts or shapes are errors.

use std::fmt;
use std::sync::{Arc, LazyLock};

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
    /// The byte order in force for this item (for a `T{...}` item: the one in force at its `T{`,
    /// which its items inherit).
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
    // Shared, so that cloning a format (every view holds one) is a reference-count increment.
    items: Arc<[Item]>,
    // Derived from `items` once, as every view asks for them often.
    size: usize,
    align: usize,
}

impl Format {
    /// Parses a format string.
    ///
    /// ```
    /// use gpuarray::{ByteOrder, Code, Format, ItemKind};
    /// let f = Format::parse("<T{(2,3)f:m: Zd:z:} 3x")?;
    /// assert_eq!(f.items().len(), 2);
    /// assert_eq!(f.items()[0].order, ByteOrder::Little);
    /// assert_eq!(f.items()[1].kind, ItemKind::Code(Code::Pad));
    /// assert_eq!(f.itemsize(), 24 + 16 + 3);
    ///
    /// let err = Format::parse("3i4y").unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "bad format string \"3i4y\" at byte 3: unknown format code 'y'"
    /// );
    /// # Ok::<(), gpuarray::Error>(())
    /// ```
    pub fn parse(input: &str) -> Result<Format> {
        let mut parser = Parser {
            input,
            bytes: input.as_bytes(),
            pos: 0,
            state: ByteOrder::Native,
            depth: 0,
        };
        let items = parser.level(None)?;
        Ok(Format::from_items(items))
    }

    /// The native format of one element of `dtype`.
    pub fn from_dtype(dtype: Dtype) -> Format {
        // Views of typed slices and images ask for these all the time: build each once.
        static NATIVE: LazyLock<Vec<Format>> = LazyLock::new(|| {
            Dtype::ALL
                .iter()
                .map(|&d| Format::from_dtype_order(d, ByteOrder::Native))
                .collect()
        });
        // `Dtype::ALL` lists the variants in declaration order.
        NATIVE[dtype as usize].clone()
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
        Format::from_items(vec![Item {
            order,
            shape: Vec::new(),
            count: 1,
            kind: ItemKind::Code(code),
            name: None,
        }])
    }

    /// A format of `items`, with its size and alignment worked out.
    fn from_items(items: Vec<Item>) -> Format {
        let mut format = Format {
            items: items.into(),
            size: 0,
            align: 1,
        };
        let layout = format.layout(None);
        (format.size, format.align) = (layout.size, layout.align);
        format
    }

    /// The items, in order.
    pub fn items(&self) -> &[Item] {
        &self.items
    }

    /// The layout of the top level; parsing checked that it does not overflow.
    fn layout(&self, offsets: Option<&mut Vec<usize>>) -> Layout {
        layout_items(&self.items, ByteOrder::Native, false, offsets).unwrap_or(Layout {
            size: MAX_SIZE,
            align: 1,
            end: ByteOrder::Native,
        })
    }

    /// Size of one element in bytes, as Python's `struct.calcsize` gives it (NumPy's rules for
    /// what `struct` does not know; no trailing padding at the top level, see the module docs).
    ///
    /// ```
    /// use gpuarray::Format;
    /// assert_eq!(Format::parse("ci")?.itemsize(), 8); // `i` aligned to 4
    /// assert_eq!(Format::parse("ic")?.itemsize(), 5); // no trailing padding
    /// assert_eq!(Format::parse("<ci")?.itemsize(), 5); // no alignment in standard mode
    /// assert_eq!(Format::parse("T{ic}")?.itemsize(), 8); // a struct is padded like C
    /// assert_eq!(Format::parse("(2,3)10s")?.itemsize(), 60);
    /// # Ok::<(), gpuarray::Error>(())
    /// ```
    pub fn itemsize(&self) -> usize {
        self.size
    }

    /// Alignment of one element: the lcm (for these powers of two: the largest) of the native
    /// alignments of its items in `@` mode, 1 when every item is in a standard-size mode.
    pub fn alignment(&self) -> usize {
        self.align
    }

    /// Byte offset of each item of [`Format::items`] within one element.
    ///
    /// ```
    /// use gpuarray::Format;
    /// assert_eq!(Format::parse("c i 3s d")?.offsets(), vec![0, 4, 8, 16]);
    /// # Ok::<(), gpuarray::Error>(())
    /// ```
    pub fn offsets(&self) -> Vec<usize> {
        let mut offsets = Vec::with_capacity(self.items.len());
        self.layout(Some(&mut offsets));
        offsets
    }

    /// The dtype of a format that is one scalar element (any byte order, any name), else `None`.
    pub fn dtype(&self) -> Option<Dtype> {
        let [item] = &self.items[..] else {
            return None;
        };
        if item.count != 1 || !item.shape.is_empty() {
            return None;
        }
        let ItemKind::Code(code) = item.kind else {
            return None;
        };
        let int = |signed: bool| {
            let (size, _) = code.size_align(item.order);
            match (size, signed) {
                (1, true) => Some(Dtype::I8),
                (1, false) => Some(Dtype::U8),
                (2, true) => Some(Dtype::I16),
                (2, false) => Some(Dtype::U16),
                (4, true) => Some(Dtype::I32),
                (4, false) => Some(Dtype::U32),
                (8, true) => Some(Dtype::I64),
                (8, false) => Some(Dtype::U64),
                _ => None,
            }
        };
        match code {
            Code::Bool => Some(Dtype::Bool),
            Code::I8 | Code::Short | Code::Int | Code::Long | Code::LongLong | Code::SSize => {
                int(true)
            }
            Code::U8 | Code::UShort | Code::UInt | Code::ULong | Code::ULongLong | Code::Size => {
                int(false)
            }
            Code::F16 => Some(Dtype::F16),
            Code::F32 => Some(Dtype::F32),
            Code::F64 => Some(Dtype::F64),
            Code::C64 => Some(Dtype::C64),
            Code::C128 => Some(Dtype::C128),
            Code::Pad | Code::Char | Code::Bytes | Code::PascalString | Code::Pointer => None,
        }
    }

    /// Whether every item (inside structs too) is stored in this machine's byte order: `@`, `=`,
    /// and `<` or `>` where that is the machine's order. One-byte items count too: `">B"` is not
    /// native order on a little-endian machine.
    pub fn is_native_order(&self) -> bool {
        self.items.iter().all(|item| match &item.kind {
            ItemKind::Code(_) => item.order.is_native(),
            ItemKind::Struct(inner) => inner.is_native_order(),
        })
    }
}

/// Writes `items`, which start with `state` in force; returns the state in force after them.
fn write_items(
    f: &mut fmt::Formatter<'_>,
    items: &[Item],
    mut state: ByteOrder,
) -> std::result::Result<ByteOrder, fmt::Error> {
    use fmt::Write;
    for item in items {
        if !item.shape.is_empty() {
            f.write_char('(')?;
            for (i, d) in item.shape.iter().enumerate() {
                if i > 0 {
                    f.write_char(',')?;
                }
                write!(f, "{d}")?;
            }
            f.write_char(')')?;
        }
        if item.order != state {
            f.write_char(item.order.prefix())?;
            state = item.order;
        }
        if item.count != 1 {
            write!(f, "{}", item.count)?;
        }
        match &item.kind {
            ItemKind::Code(code) => f.write_str(code.as_str())?,
            ItemKind::Struct(inner) => {
                f.write_str("T{")?;
                state = write_items(f, &inner.items, state)?;
                f.write_char('}')?;
            }
        }
        if let Some(name) = &item.name {
            write!(f, ":{name}:")?;
        }
    }
    Ok(state)
}

/// The canonical form: a prefix only where the byte order changes (`>` for big-endian), shapes
/// before the prefix, counts only when not 1, no whitespace. It parses back to an equal
/// [`Format`].
///
/// ```
/// use gpuarray::Format;
/// let f = Format::parse("! 2h (2, 3) 1d :x: = T{ i } l")?;
/// assert_eq!(f.to_string(), ">2h(2,3)d:x:=T{i}l");
/// assert_eq!(Format::parse(&f.to_string())?, f);
/// # Ok::<(), gpuarray::Error>(())
/// ```
impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_items(f, &self.items, ByteOrder::Native).map(|_| ())
    }
}

impl std::str::FromStr for Format {
    type Err = Error;
    fn from_str(s: &str) -> Result<Format> {
        Format::parse(s)
    }
}

/// Largest size (in bytes) of a format, an item or a count: no allocation can be larger.
const MAX_SIZE: usize = isize::MAX as usize;

/// Deepest `T{...}` nesting accepted (the parser recurses once per level).
const MAX_DEPTH: usize = 64;

impl ByteOrder {
    /// The prefix character that selects this mode (`>` for [`ByteOrder::Big`]).
    pub const fn prefix(self) -> char {
        match self {
            ByteOrder::Native => '@',
            ByteOrder::NativeStandard => '=',
            ByteOrder::Little => '<',
            ByteOrder::Big => '>',
        }
    }

    /// The mode selected by a prefix character (`@ = < > !`), else `None`.
    pub const fn from_prefix(c: char) -> Option<ByteOrder> {
        match c {
            '@' => Some(ByteOrder::Native),
            '=' => Some(ByteOrder::NativeStandard),
            '<' => Some(ByteOrder::Little),
            '>' | '!' => Some(ByteOrder::Big),
            _ => None,
        }
    }

    /// Whether data in this mode is stored in this machine's byte order.
    pub const fn is_native(self) -> bool {
        match self {
            ByteOrder::Native | ByteOrder::NativeStandard => true,
            ByteOrder::Little => cfg!(target_endian = "little"),
            ByteOrder::Big => cfg!(target_endian = "big"),
        }
    }
}

impl Code {
    /// The code as it is written in a format string (`"i"`, `"Zf"`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            Code::Pad => "x",
            Code::Char => "c",
            Code::I8 => "b",
            Code::U8 => "B",
            Code::Bool => "?",
            Code::Short => "h",
            Code::UShort => "H",
            Code::Int => "i",
            Code::UInt => "I",
            Code::Long => "l",
            Code::ULong => "L",
            Code::LongLong => "q",
            Code::ULongLong => "Q",
            Code::SSize => "n",
            Code::Size => "N",
            Code::F16 => "e",
            Code::F32 => "f",
            Code::F64 => "d",
            Code::C64 => "Zf",
            Code::C128 => "Zd",
            Code::Bytes => "s",
            Code::PascalString => "p",
            Code::Pointer => "P",
        }
    }

    /// The one-character code `c` (not `Zf`/`Zd`, which take two characters).
    const fn from_char(c: u8) -> Option<Code> {
        Some(match c {
            b'x' => Code::Pad,
            b'c' => Code::Char,
            b'b' => Code::I8,
            b'B' => Code::U8,
            b'?' => Code::Bool,
            b'h' => Code::Short,
            b'H' => Code::UShort,
            b'i' => Code::Int,
            b'I' => Code::UInt,
            b'l' => Code::Long,
            b'L' => Code::ULong,
            b'q' => Code::LongLong,
            b'Q' => Code::ULongLong,
            b'n' => Code::SSize,
            b'N' => Code::Size,
            b'e' => Code::F16,
            b'f' => Code::F32,
            b'd' => Code::F64,
            b's' => Code::Bytes,
            b'p' => Code::PascalString,
            b'P' => Code::Pointer,
            _ => return None,
        })
    }

    /// Whether the code exists only in native `@` mode (`n`, `N`, `P`).
    pub const fn native_only(self) -> bool {
        matches!(self, Code::SSize | Code::Size | Code::Pointer)
    }

    /// Size and alignment of one element of this code in `order`. The standard-size modes have
    /// no alignment (1). `n`, `N` and `P` have their native size in every mode (they are
    /// rejected outside `@` by the parser).
    pub const fn size_align(self, order: ByteOrder) -> (usize, usize) {
        use std::ffi::{c_char, c_int, c_long, c_longlong, c_short};
        use std::mem::{align_of, size_of};
        let native = matches!(order, ByteOrder::Native);
        let (size, align) = match self {
            Code::Pad | Code::Bytes | Code::PascalString => (1, 1),
            Code::Char => (size_of::<c_char>(), align_of::<c_char>()),
            Code::I8 | Code::U8 => (size_of::<i8>(), align_of::<i8>()),
            Code::Bool => (size_of::<bool>(), align_of::<bool>()),
            Code::Short | Code::UShort => {
                if native {
                    (size_of::<c_short>(), align_of::<c_short>())
                } else {
                    (2, 1)
                }
            }
            Code::Int | Code::UInt => {
                if native {
                    (size_of::<c_int>(), align_of::<c_int>())
                } else {
                    (4, 1)
                }
            }
            Code::Long | Code::ULong => {
                if native {
                    (size_of::<c_long>(), align_of::<c_long>())
                } else {
                    (4, 1)
                }
            }
            Code::LongLong | Code::ULongLong => {
                if native {
                    (size_of::<c_longlong>(), align_of::<c_longlong>())
                } else {
                    (8, 1)
                }
            }
            Code::SSize => (size_of::<isize>(), align_of::<isize>()),
            Code::Size => (size_of::<usize>(), align_of::<usize>()),
            Code::Pointer => (size_of::<*const u8>(), align_of::<*const u8>()),
            Code::F16 => (size_of::<half::f16>(), align_of::<half::f16>()),
            Code::F32 => (size_of::<f32>(), align_of::<f32>()),
            Code::F64 => (size_of::<f64>(), align_of::<f64>()),
            Code::C64 => (
                size_of::<num_complex::Complex32>(),
                align_of::<num_complex::Complex32>(),
            ),
            Code::C128 => (
                size_of::<num_complex::Complex64>(),
                align_of::<num_complex::Complex64>(),
            ),
        };
        if native { (size, align) } else { (size, 1) }
    }
}

/// The layout of one level of items (the top level or the inside of one `T{...}`).
struct Layout {
    /// Size in bytes (with trailing padding for a nested struct, see the module docs).
    size: usize,
    /// Common alignment: lcm of the alignments of the items placed in `@` mode.
    align: usize,
    /// The byte order in force after the last item (it carries over past a `}`).
    end: ByteOrder,
}

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// `a` rounded up to a multiple of `align` (>= 1), `None` on overflow.
fn align_up(a: usize, align: usize) -> Option<usize> {
    match a % align {
        0 => Some(a),
        r => a.checked_add(align - r),
    }
}

/// The product of a sub-array shape, `None` on overflow (a zero dimension makes it 0).
fn shape_product(shape: &[usize]) -> Option<usize> {
    if shape.contains(&0) {
        return Some(0);
    }
    shape.iter().try_fold(1usize, |p, &d| p.checked_mul(d))
}

/// Lays out `items`, which start in byte order `state`, following NumPy's
/// `__dtype_from_pep3118`: in `@` mode each item starts at a multiple of its alignment; a nested
/// struct (`nested`) that ends in `@` mode gets trailing padding to its common alignment.
/// `offsets` receives the offset of each item. On overflow past [`MAX_SIZE`] the error is the
/// index of the item that overflowed (`items.len()` for the trailing padding).
fn layout_items(
    items: &[Item],
    mut state: ByteOrder,
    nested: bool,
    mut offsets: Option<&mut Vec<usize>>,
) -> std::result::Result<Layout, usize> {
    let mut offset = 0usize;
    let mut common = 1usize;
    for (i, item) in items.iter().enumerate() {
        let (size, align) = match &item.kind {
            ItemKind::Code(code) => {
                state = item.order;
                code.size_align(item.order)
            }
            ItemKind::Struct(inner) => {
                let l = layout_items(&inner.items, item.order, true, None).map_err(|_| i)?;
                state = l.end;
                (l.size, l.align)
            }
        };
        // NumPy decides on alignment by the byte order in force *after* the item (for a struct:
        // the order its last item left in force).
        if state == ByteOrder::Native {
            offset = align_up(offset, align).ok_or(i)?;
            common = common / gcd(common, align) * align;
        }
        if let Some(o) = offsets.as_deref_mut() {
            o.push(offset);
        }
        let total = shape_product(&item.shape)
            .and_then(|n| n.checked_mul(item.count))
            .and_then(|n| n.checked_mul(size))
            .and_then(|n| n.checked_add(offset))
            .filter(|&n| n <= MAX_SIZE)
            .ok_or(i)?;
        offset = total;
    }
    let mut size = offset;
    if nested && state == ByteOrder::Native {
        size = align_up(size, common)
            .filter(|&n| n <= MAX_SIZE)
            .ok_or(items.len())?;
    }
    Ok(Layout {
        size,
        align: common,
        end: state,
    })
}

/// Characters that end a token: they are never format codes.
fn is_structural(c: u8) -> bool {
    is_space(c)
        || matches!(
            c,
            b'{' | b'}' | b'(' | b')' | b':' | b',' | b'@' | b'=' | b'<' | b'>' | b'!'
        )
}

/// Whitespace as Python's `struct` skips it (ASCII, vertical tab included).
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c')
}

struct Parser<'a> {
    input: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// The byte order in force (stream state, carried across `}`).
    state: ByteOrder,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn err<T>(&self, pos: usize, reason: impl Into<String>) -> Result<T> {
        Err(Error::Format {
            input: self.input.to_owned(),
            pos,
            reason: reason.into(),
        })
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(is_space) {
            self.pos += 1;
        }
    }

    /// Consumes a byte-order prefix if there is one.
    fn prefix(&mut self) -> bool {
        match self.peek().and_then(|c| ByteOrder::from_prefix(c as char)) {
            Some(order) => {
                self.state = order;
                self.pos += 1;
                true
            }
            None => false,
        }
    }

    /// Consumes a run of digits; `None` if there is none.
    fn number(&mut self, too_large: &str) -> Result<Option<usize>> {
        let start = self.pos;
        let mut n = 0usize;
        while let Some(c @ b'0'..=b'9') = self.peek() {
            n = match n
                .checked_mul(10)
                .and_then(|n| n.checked_add(usize::from(c - b'0')))
            {
                Some(n) if n <= MAX_SIZE => n,
                _ => return self.err(start, too_large),
            };
            self.pos += 1;
        }
        Ok((self.pos > start).then_some(n))
    }

    /// The character at `pos`, for messages.
    fn char_at(&self, pos: usize) -> char {
        self.input[pos..].chars().next().unwrap_or('?')
    }

    /// `(d0,d1,...)`, the `(` is next.
    fn shape(&mut self) -> Result<Vec<usize>> {
        let open = self.pos;
        self.pos += 1;
        let mut shape = Vec::new();
        loop {
            self.skip_space();
            let at = self.pos;
            let dim = self.number("sub-array dimension too large")?;
            self.skip_space();
            match (dim, self.peek()) {
                (_, None) => return self.err(open, "unterminated '('"),
                (None, Some(b')')) if shape.is_empty() => {
                    return self.err(at, "empty sub-array shape");
                }
                (None, Some(b')' | b',')) => {
                    return self.err(at, "missing dimension in sub-array shape");
                }
                (Some(d), Some(b',')) => {
                    shape.push(d);
                    self.pos += 1;
                }
                (Some(d), Some(b')')) => {
                    shape.push(d);
                    self.pos += 1;
                    return Ok(shape);
                }
                (_, Some(_)) => {
                    let c = self.char_at(self.pos);
                    return self.err(self.pos, format!("unexpected {c:?} in sub-array shape"));
                }
            }
        }
    }

    /// One level of items, up to the end of input (top level, `open` is `None`) or up to and
    /// including the `}` of the `T{` at `open`.
    fn level(&mut self, open: Option<usize>) -> Result<Vec<Item>> {
        let state_in = self.state;
        let mut items: Vec<Item> = Vec::new();
        let mut starts: Vec<usize> = Vec::new();
        let mut names = std::collections::HashSet::new();
        let end = loop {
            self.skip_space();
            match (self.peek(), open) {
                (None, None) => break self.pos,
                (None, Some(t)) => return self.err(t, "unterminated 'T{'"),
                (Some(b'}'), Some(_)) => {
                    self.pos += 1;
                    break self.pos - 1;
                }
                _ => {}
            }
            let start = self.pos;
            if self.prefix() {
                self.skip_space();
                match (self.peek(), open) {
                    // A prefix with nothing after it changes nothing at the top level
                    // (`struct` accepts "<" alone).
                    (None, None) => break self.pos,
                    (None, Some(t)) => return self.err(t, "unterminated 'T{'"),
                    (Some(b'}'), Some(_)) => {
                        return self.err(start, "byte-order prefix with no item after it");
                    }
                    _ => {}
                }
            }
            let mut shape = Vec::new();
            let shape_at = self.pos;
            if self.peek() == Some(b'(') {
                shape = self.shape()?;
                self.skip_space();
                if self.prefix() {
                    self.skip_space();
                }
            }
            let count_at = self.pos;
            let count = self.number("count too large")?;
            let code_at = self.pos;
            // A struct's order is the one in force at its `T{`: its items start in it.
            let order = self.state;
            let c = self.peek();
            let kind = match (c, c.and_then(Code::from_char)) {
                (Some(b'T'), _) => {
                    if self.bytes.get(code_at + 1) != Some(&b'{') {
                        return self.err(code_at, "'T' must be followed by '{'");
                    }
                    if self.depth >= MAX_DEPTH {
                        return self.err(
                            code_at,
                            format!("structs nested too deep (more than {MAX_DEPTH} levels)"),
                        );
                    }
                    self.pos += 2;
                    self.depth += 1;
                    let inner = self.level(Some(code_at))?;
                    self.depth -= 1;
                    ItemKind::Struct(Format::from_items(inner))
                }
                (Some(b'Z'), _) => {
                    let code = match self.bytes.get(code_at + 1) {
                        Some(b'f') => Code::C64,
                        Some(b'd') => Code::C128,
                        _ => return self.err(code_at, "'Z' must be followed by 'f' or 'd'"),
                    };
                    self.pos += 2;
                    ItemKind::Code(code)
                }
                (_, Some(code)) => {
                    if code.native_only() && self.state != ByteOrder::Native {
                        return self.err(
                            code_at,
                            format!("'{}' is only allowed in native '@' mode", code.as_str()),
                        );
                    }
                    self.pos += 1;
                    ItemKind::Code(code)
                }
                (Some(c), None) if !is_structural(c) => {
                    let c = self.char_at(code_at);
                    return self.err(code_at, format!("unknown format code {c:?}"));
                }
                // End of input or a character that cannot be a code.
                _ => {
                    if count.is_some() {
                        return self.err(count_at, "repeat count with no code after it");
                    }
                    if !shape.is_empty() {
                        return self.err(shape_at, "sub-array shape with no code after it");
                    }
                    let reason = match c {
                        Some(b'}') => "unmatched '}'",
                        Some(b')') => "unmatched ')'",
                        Some(b'{') => "'{' without 'T' before it",
                        Some(b':') => "field name with no item before it",
                        Some(b',') => "',' outside a sub-array shape",
                        _ => "two byte-order prefixes in a row",
                    };
                    return self.err(code_at, reason);
                }
            };
            let after = self.pos;
            self.skip_space();
            let name = if self.peek() == Some(b':') {
                let colon = self.pos;
                let input: &'a str = self.input;
                let Some(len) = input[colon + 1..].find(':') else {
                    return self.err(colon, "field name without its closing ':'");
                };
                let name = &input[colon + 1..colon + 1 + len];
                if name.is_empty() {
                    return self.err(colon, "empty field name");
                }
                if !names.insert(name) {
                    return self.err(colon, format!("duplicate field name {name:?}"));
                }
                self.pos = colon + len + 2;
                Some(name.to_owned())
            } else {
                self.pos = after;
                None
            };
            starts.push(start);
            items.push(Item {
                order,
                shape,
                count: count.unwrap_or(1),
                kind,
                name,
            });
        };
        let nested = open.is_some();
        if let Err(i) = layout_items(&items, state_in, nested, None) {
            let pos = starts.get(i).copied().unwrap_or(end);
            return self.err(pos, "format too large (size over isize::MAX bytes)");
        }
        Ok(items)
    }
}

//! Shape, byte strides and offset: validation, contiguity, slicing, transposing, reshaping.
//!
//! A [`Layout`] says where each element of an N-dimensional array lies in a flat byte buffer:
//! the element at index `[i0, i1, ...]` starts at byte `offset + Σ ik·strides[k]`. Strides are
//! in bytes and may be negative or zero. A layout on its own is just numbers; [`Layout::validate`]
//! checks it against an item size and a buffer length with CPython's `verify_structure` rule:
//! every byte of every reachable element lies inside the buffer. All arithmetic is checked, so a
//! layout whose extents overflow is an error, never a wrap-around.

use std::cmp::Ordering;
use std::ops::{Range, RangeFrom, RangeFull, RangeInclusive, RangeTo};

use crate::error::{Error, Result};

/// The largest number of dimensions a layout may have (CPython's and NumPy's limit).
pub const MAX_NDIM: usize = 64;

/// Shape, byte strides and byte offset of an N-dimensional array in a flat buffer.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Layout {
    /// Extent of each dimension.
    pub shape: Vec<usize>,
    /// Bytes from one element to the next along each dimension (negative and zero allowed).
    pub strides: Vec<isize>,
    /// Byte offset of element `[0, 0, ...]` from the start of the buffer.
    pub offset: usize,
}

/// One argument of [`Layout::slice`], like one entry of a NumPy index tuple.
///
/// Ranges convert into it (`1..4`, `..`, `2..`), and so do integers (an index that drops the axis).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SliceArg {
    /// An index: selects one position and drops the axis. Negative counts from the end.
    Index(isize),
    /// `start:stop:step` with Python's semantics: negative positions count from the end, bounds
    /// are clamped, a negative step walks backwards. `step` must not be zero.
    Range {
        /// First position (default: the start, or the end for a negative step).
        start: Option<isize>,
        /// One past the last position (default: the end, or before the start for a negative step).
        stop: Option<isize>,
        /// Distance between positions.
        step: isize,
    },
    /// Inserts a new axis of extent 1.
    NewAxis,
}

impl SliceArg {
    /// The whole axis, `:`.
    pub const ALL: SliceArg = SliceArg::Range {
        start: None,
        stop: None,
        step: 1,
    };

    /// `start:stop:step`.
    pub fn range(start: Option<isize>, stop: Option<isize>, step: isize) -> SliceArg {
        SliceArg::Range { start, stop, step }
    }

    /// `::step`: the whole axis with a step (negative reverses).
    pub fn step(step: isize) -> SliceArg {
        SliceArg::Range {
            start: None,
            stop: None,
            step,
        }
    }
}

impl From<isize> for SliceArg {
    fn from(i: isize) -> Self {
        SliceArg::Index(i)
    }
}
impl From<Range<isize>> for SliceArg {
    fn from(r: Range<isize>) -> Self {
        SliceArg::range(Some(r.start), Some(r.end), 1)
    }
}
impl From<RangeInclusive<isize>> for SliceArg {
    fn from(r: RangeInclusive<isize>) -> Self {
        let stop = if *r.end() == -1 {
            None
        } else {
            Some(r.end() + 1)
        };
        SliceArg::range(Some(*r.start()), stop, 1)
    }
}
impl From<RangeFrom<isize>> for SliceArg {
    fn from(r: RangeFrom<isize>) -> Self {
        SliceArg::range(Some(r.start), None, 1)
    }
}
impl From<RangeTo<isize>> for SliceArg {
    fn from(r: RangeTo<isize>) -> Self {
        SliceArg::range(None, Some(r.end), 1)
    }
}
impl From<RangeFull> for SliceArg {
    fn from(_: RangeFull) -> Self {
        SliceArg::ALL
    }
}

/// Which memory order a contiguous layout has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Order {
    /// Row-major: the last index varies fastest.
    C,
    /// Column-major: the first index varies fastest.
    F,
}

fn overflow(what: &str) -> Error {
    Error::layout(format!("{what} overflows the address space"))
}

impl Layout {
    /// A layout from its parts, unvalidated.
    pub fn new(shape: Vec<usize>, strides: Vec<isize>, offset: usize) -> Layout {
        Layout {
            shape,
            strides,
            offset,
        }
    }

    /// The contiguous layout of `shape` in the given order, at offset 0.
    ///
    /// ```
    /// use gpuarray::{Layout, Order};
    /// let l = Layout::contiguous(&[2, 3], 4, Order::C)?;
    /// assert_eq!(l.strides, [12, 4]);
    /// let l = Layout::contiguous(&[2, 3], 4, Order::F)?;
    /// assert_eq!(l.strides, [4, 8]);
    /// # Ok::<(), gpuarray::Error>(())
    /// ```
    pub fn contiguous(shape: &[usize], itemsize: usize, order: Order) -> Result<Layout> {
        check_ndim(shape.len())?;
        let mut strides = vec![0isize; shape.len()];
        let mut step = isize::try_from(itemsize).map_err(|_| overflow("the item size"))?;
        let mut fill = |k: usize| -> Result<()> {
            strides[k] = step;
            // Extent 0 leaves the stride chain as it is; the array is empty anyway.
            let n = isize::try_from(shape[k].max(1)).map_err(|_| overflow("the shape"))?;
            step = step
                .checked_mul(n)
                .ok_or_else(|| overflow("the array size"))?;
            Ok(())
        };
        match order {
            Order::C => (0..shape.len()).rev().try_for_each(&mut fill)?,
            Order::F => (0..shape.len()).try_for_each(&mut fill)?,
        }
        Ok(Layout::new(shape.to_vec(), strides, 0))
    }

    /// Number of dimensions.
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// Number of elements (1 for a 0-d layout). Saturates on overflow, which
    /// [`validate`](Layout::validate) rules out.
    pub fn len(&self) -> usize {
        self.shape
            .iter()
            .try_fold(1usize, |acc, &n| acc.checked_mul(n))
            .unwrap_or(usize::MAX)
    }

    /// Whether the layout has no elements.
    pub fn is_empty(&self) -> bool {
        self.shape.contains(&0)
    }

    /// Checks the layout against an element of `itemsize` bytes that must be aligned to
    /// `alignment` bytes (1 for formats with standard sizes), in a buffer of `buffer_len` bytes.
    ///
    /// Accepted: zero-size arrays, 0-d layouts, extent-1 dimensions with any stride, negative and
    /// zero strides (read-only aliasing is fine here; writable views also call
    /// [`check_no_overlap`](Layout::check_no_overlap)).
    pub fn validate(&self, itemsize: usize, alignment: usize, buffer_len: usize) -> Result<()> {
        if self.shape.len() != self.strides.len() {
            return Err(Error::layout(format!(
                "shape has {} dimensions but strides has {}",
                self.shape.len(),
                self.strides.len()
            )));
        }
        check_ndim(self.ndim())?;
        if itemsize == 0 {
            return Err(Error::layout(
                "zero itemsize: an element must have at least one byte",
            ));
        }
        let total = self
            .shape
            .iter()
            .try_fold(itemsize, |acc, &n| acc.checked_mul(n))
            .filter(|&n| n <= isize::MAX as usize)
            .ok_or_else(|| {
                Error::layout(format!(
                    "shape {:?} of {itemsize}-byte items: total size overflows",
                    self.shape
                ))
            })?;
        if self.offset > buffer_len {
            return Err(Error::layout(format!(
                "offset {} lies past the end of the {buffer_len}-byte buffer",
                self.offset
            )));
        }
        if total == 0 {
            return Ok(());
        }
        let alignment = alignment.max(1) as isize;
        // Alignments are powers of two in practice: test with a mask, not a division.
        let misaligned = |s: isize| match alignment.count_ones() {
            1 => s & (alignment - 1) != 0,
            _ => s % alignment != 0,
        };
        for (axis, (&n, &s)) in self.shape.iter().zip(&self.strides).enumerate() {
            if n > 1 && misaligned(s) {
                return Err(Error::layout(format!(
                    "stride {s} of axis {axis} is not a multiple of the element alignment {alignment}"
                )));
            }
        }
        let (lo, hi) = self.extent(itemsize)?;
        if lo < 0 || hi > buffer_len as isize {
            let (side, byte) = if lo < 0 { ("before", lo) } else { ("past", hi) };
            return Err(Error::layout(format!(
                "shape {:?} with strides {:?} at offset {} reaches byte {byte}, {side} the \
                 {buffer_len}-byte buffer",
                self.shape, self.strides, self.offset
            )));
        }
        Ok(())
    }

    /// Lowest byte and one past the highest byte that the elements touch, relative to the buffer
    /// start, with checked arithmetic. Meaningless for an empty layout.
    fn extent(&self, itemsize: usize) -> Result<(isize, isize)> {
        let ext = || overflow("extent × stride");
        let mut lo = isize::try_from(self.offset).map_err(|_| ext())?;
        let mut hi = lo.checked_add(itemsize as isize).ok_or_else(ext)?;
        for (&n, &s) in self.shape.iter().zip(&self.strides) {
            let n = isize::try_from(n).map_err(|_| ext())?;
            let reach = (n - 1).checked_mul(s).ok_or_else(ext)?;
            if reach < 0 {
                lo = lo.checked_add(reach).ok_or_else(ext)?;
            } else {
                hi = hi.checked_add(reach).ok_or_else(ext)?;
            }
        }
        Ok((lo, hi))
    }

    /// The byte range the elements touch (for a valid, non-empty layout); `None` when empty.
    pub fn byte_range(&self, itemsize: usize) -> Option<Range<usize>> {
        if self.is_empty() {
            return None;
        }
        let (lo, hi) = self.extent(itemsize).ok()?;
        Some(usize::try_from(lo).ok()?..usize::try_from(hi).ok()?)
    }

    /// Errors if two different indices can reach overlapping bytes, as writable views require.
    ///
    /// The test is the sufficient condition "sorted by |stride|, each stride steps over
    /// everything the smaller ones span": it accepts every layout that slicing, transposing and
    /// reshaping a contiguous array can make, and rejects zero strides and overlaps. (A few exotic
    /// interleaved layouts that do not overlap are rejected too.)
    pub fn check_no_overlap(&self, itemsize: usize) -> Result<()> {
        if self.is_empty() {
            return Ok(());
        }
        let mut dims: Vec<(usize, usize)> = self
            .shape
            .iter()
            .zip(&self.strides)
            .filter(|&(&n, _)| n > 1)
            .map(|(&n, &s)| (n, s.unsigned_abs()))
            .collect();
        dims.sort_by_key(|&(_, s)| s);
        let mut span = itemsize;
        for (n, s) in dims {
            if s < span {
                return Err(Error::layout(format!(
                    "a writable view needs elements that do not alias, but strides {:?} with \
                     shape {:?} make {itemsize}-byte elements overlap",
                    self.strides, self.shape
                )));
            }
            span = span.saturating_add((n - 1).saturating_mul(s));
        }
        Ok(())
    }

    /// C (row-major) contiguity by CPython's rule: dimensions of extent 1 never break it, an
    /// empty layout is contiguous, and a 0-d layout is both C and F contiguous.
    pub fn is_c_contiguous(&self, itemsize: usize) -> bool {
        self.is_contiguous_in(itemsize, (0..self.ndim()).rev())
    }

    /// F (column-major) contiguity, by the same rules as [`is_c_contiguous`](Self::is_c_contiguous).
    pub fn is_f_contiguous(&self, itemsize: usize) -> bool {
        self.is_contiguous_in(itemsize, 0..self.ndim())
    }

    /// C or F contiguous.
    pub fn is_contiguous(&self, itemsize: usize) -> bool {
        self.is_c_contiguous(itemsize) || self.is_f_contiguous(itemsize)
    }

    fn is_contiguous_in(&self, itemsize: usize, axes: impl Iterator<Item = usize>) -> bool {
        if self.is_empty() {
            return true;
        }
        let mut expected = itemsize as isize;
        for k in axes {
            let n = self.shape[k];
            if n == 1 {
                continue;
            }
            if self.strides[k] != expected {
                return false;
            }
            expected = expected.saturating_mul(n as isize);
        }
        true
    }

    /// Byte offset of the element at `index`, or an error naming the axis that is out of bounds.
    pub fn offset_of(&self, index: &[usize]) -> Result<usize> {
        if index.len() != self.ndim() {
            return Err(Error::shape(format!(
                "index {index:?} has {} entries but the array has {} dimensions",
                index.len(),
                self.ndim()
            )));
        }
        let mut off = self.offset as isize;
        for (axis, ((&i, &n), &s)) in index.iter().zip(&self.shape).zip(&self.strides).enumerate() {
            if i >= n {
                return Err(Error::shape(format!(
                    "index {i} is out of bounds for axis {axis} with size {n}"
                )));
            }
            off = (i as isize)
                .checked_mul(s)
                .and_then(|d| off.checked_add(d))
                .ok_or_else(|| overflow("index × stride"))?;
        }
        usize::try_from(off)
            .map_err(|_| Error::layout(format!("index {index:?} lies before the buffer")))
    }

    /// Byte offsets of all elements in C order (last index fastest).
    pub fn offsets(&self) -> Offsets {
        Offsets::new(self)
    }

    /// Applies NumPy-style basic indexing: one [`SliceArg`] per axis from the left, missing
    /// trailing axes taken whole. Indices drop their axis; [`SliceArg::NewAxis`] adds one.
    ///
    /// ```
    /// use gpuarray::{Layout, Order, SliceArg};
    /// let l = Layout::contiguous(&[4, 6], 1, Order::C)?;
    /// // l[1:3, ::-2]
    /// let s = l.slice(&[(1..3).into(), SliceArg::step(-2)])?;
    /// assert_eq!((s.shape, s.strides, s.offset), (vec![2, 3], vec![6, -2], 6 + 5));
    /// # Ok::<(), gpuarray::Error>(())
    /// ```
    pub fn slice(&self, args: &[SliceArg]) -> Result<Layout> {
        let consumed = args
            .iter()
            .filter(|a| !matches!(a, SliceArg::NewAxis))
            .count();
        if consumed > self.ndim() {
            return Err(Error::shape(format!(
                "too many indices: {consumed} for an array of {} dimensions",
                self.ndim()
            )));
        }
        let mut out = Layout::new(Vec::new(), Vec::new(), self.offset);
        let mut off = self.offset as isize;
        let mut axis = 0;
        for arg in args {
            match *arg {
                SliceArg::NewAxis => {
                    out.shape.push(1);
                    out.strides.push(0);
                }
                SliceArg::Index(i) => {
                    let n = self.shape[axis];
                    let pos = if i < 0 { i + n as isize } else { i };
                    if pos < 0 || pos >= n as isize {
                        return Err(Error::shape(format!(
                            "index {i} is out of bounds for axis {axis} with size {n}"
                        )));
                    }
                    off = pos
                        .checked_mul(self.strides[axis])
                        .and_then(|d| off.checked_add(d))
                        .ok_or_else(|| overflow("index × stride"))?;
                    axis += 1;
                }
                SliceArg::Range { start, stop, step } => {
                    let n = self.shape[axis];
                    let (first, len) = adjust_slice(n, start, stop, step)
                        .map_err(|e| Error::shape(format!("slice of axis {axis}: {e}")))?;
                    if len > 0 {
                        off = first
                            .checked_mul(self.strides[axis])
                            .and_then(|d| off.checked_add(d))
                            .ok_or_else(|| overflow("start × stride"))?;
                    }
                    let stride = if len > 1 {
                        self.strides[axis]
                            .checked_mul(step)
                            .ok_or_else(|| overflow("stride × step"))?
                    } else {
                        self.strides[axis]
                    };
                    out.shape.push(len);
                    out.strides.push(stride);
                    axis += 1;
                }
            }
        }
        out.shape.extend_from_slice(&self.shape[axis..]);
        out.strides.extend_from_slice(&self.strides[axis..]);
        check_ndim(out.ndim())?;
        // `off` is the offset of an element of the (valid) parent, or unchanged: non-negative.
        out.offset = if out.is_empty() {
            self.offset
        } else {
            off as usize
        };
        Ok(out)
    }

    /// Reverses the order of the axes.
    pub fn transpose(&self) -> Layout {
        Layout::new(
            self.shape.iter().rev().copied().collect(),
            self.strides.iter().rev().copied().collect(),
            self.offset,
        )
    }

    /// Reorders the axes: axis `k` of the result is axis `axes[k]` of `self`.
    pub fn permute(&self, axes: &[usize]) -> Result<Layout> {
        let mut seen = vec![false; self.ndim()];
        if axes.len() != self.ndim() {
            return Err(Error::shape(format!(
                "axes {axes:?} do not match an array of {} dimensions",
                self.ndim()
            )));
        }
        for &a in axes {
            if a >= self.ndim() || std::mem::replace(&mut seen[a], true) {
                return Err(Error::shape(format!(
                    "axes {axes:?} are not a permutation of 0..{}",
                    self.ndim()
                )));
            }
        }
        Ok(Layout::new(
            axes.iter().map(|&a| self.shape[a]).collect(),
            axes.iter().map(|&a| self.strides[a]).collect(),
            self.offset,
        ))
    }

    /// A C-order reshape that copies nothing, or an error that says a copy is needed.
    ///
    /// One entry of `shape` may be `-1`: it is inferred from the others. Follows NumPy's
    /// `_attempt_nocopy_reshape`: runs of old axes that are contiguous with each other can be
    /// split and merged freely.
    pub fn reshape(&self, shape: &[isize], itemsize: usize) -> Result<Layout> {
        let new_shape = infer_shape(shape, self.len())?;
        check_ndim(new_shape.len())?;
        if self.is_empty() {
            let mut l = Layout::contiguous(&new_shape, itemsize, Order::C)?;
            l.offset = self.offset;
            return Ok(l);
        }
        let strides = nocopy_reshape_strides(self, &new_shape, itemsize).ok_or_else(|| {
            Error::shape(format!(
                "reshaping shape {:?} with strides {:?} into {new_shape:?} needs a copy; \
                 call to_contiguous() first",
                self.shape, self.strides
            ))
        })?;
        Ok(Layout::new(new_shape, strides, self.offset))
    }

    /// Broadcasts to `shape` by NumPy's rules (align on the right; extent-1 axes stretch with
    /// stride 0; new leading axes get stride 0). The result aliases: read-only views only.
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Layout> {
        check_ndim(shape.len())?;
        let err = || {
            Error::shape(format!(
                "shape {:?} cannot be broadcast to {shape:?}",
                self.shape
            ))
        };
        if shape.len() < self.ndim() {
            return Err(err());
        }
        let lead = shape.len() - self.ndim();
        let mut strides = vec![0isize; shape.len()];
        for k in 0..self.ndim() {
            let (n, target) = (self.shape[k], shape[lead + k]);
            strides[lead + k] = match (n == target, n) {
                (true, _) => self.strides[k],
                (false, 1) => 0,
                _ => return Err(err()),
            };
        }
        Ok(Layout::new(shape.to_vec(), strides, self.offset))
    }
}

fn check_ndim(ndim: usize) -> Result<()> {
    if ndim > MAX_NDIM {
        return Err(Error::layout(format!(
            "{ndim} dimensions exceed the limit of {MAX_NDIM}"
        )));
    }
    Ok(())
}

/// Python's `PySlice_AdjustIndices`: the first position and the number of positions.
fn adjust_slice(
    n: usize,
    start: Option<isize>,
    stop: Option<isize>,
    step: isize,
) -> Result<(isize, usize), String> {
    if step == 0 {
        return Err("slice step cannot be zero".into());
    }
    let n = n as isize;
    let clamp = |v: isize, lo: isize, hi: isize| {
        let v = if v < 0 { v.saturating_add(n) } else { v };
        v.clamp(lo, hi)
    };
    let (start, stop) = if step > 0 {
        (
            start.map_or(0, |v| clamp(v, 0, n)),
            stop.map_or(n, |v| clamp(v, 0, n)),
        )
    } else {
        (
            start.map_or(n - 1, |v| clamp(v, -1, n - 1)),
            stop.map_or(-1, |v| clamp(v, -1, n - 1)),
        )
    };
    let len = match (step > 0, start.cmp(&stop)) {
        (true, Ordering::Less) => (stop - start - 1) / step + 1,
        (false, Ordering::Greater) => (start - stop - 1) / (-step) + 1,
        _ => 0,
    };
    Ok((start, len as usize))
}

/// Resolves one `-1` in a requested shape against the element count.
fn infer_shape(shape: &[isize], len: usize) -> Result<Vec<usize>> {
    let err = || {
        Error::shape(format!(
            "cannot reshape an array of size {len} into shape {shape:?}"
        ))
    };
    let mut unknown = None;
    let mut known = 1usize;
    for (k, &n) in shape.iter().enumerate() {
        match n {
            -1 if unknown.is_none() => unknown = Some(k),
            -1 => return Err(Error::shape("only one dimension of a reshape can be -1")),
            n if n < 0 => return Err(Error::shape(format!("negative extent {n} in reshape"))),
            n => known = known.checked_mul(n as usize).ok_or_else(err)?,
        }
    }
    let mut out: Vec<usize> = shape.iter().map(|&n| n.max(0) as usize).collect();
    match unknown {
        Some(k) if known != 0 && len % known == 0 => out[k] = len / known,
        Some(_) => return Err(err()),
        None if known != len => return Err(err()),
        None => {}
    }
    Ok(out)
}

/// NumPy's `_attempt_nocopy_reshape` for C order. Both layouts have the same, non-zero size.
fn nocopy_reshape_strides(
    old: &Layout,
    new_shape: &[usize],
    itemsize: usize,
) -> Option<Vec<isize>> {
    // Extent-1 axes carry no information about the memory; drop them.
    let (od, os): (Vec<usize>, Vec<isize>) = old
        .shape
        .iter()
        .zip(&old.strides)
        .filter(|&(&n, _)| n != 1)
        .map(|(&n, &s)| (n, s))
        .unzip();
    let mut ns = vec![0isize; new_shape.len()];
    let (mut oi, mut oj, mut ni, mut nj) = (0, 1, 0, 1);
    while ni < new_shape.len() && oi < od.len() {
        let mut np = new_shape[ni];
        let mut op = od[oi];
        while np != op {
            if np < op {
                np *= new_shape[nj];
                nj += 1;
            } else {
                op *= od[oj];
                oj += 1;
            }
        }
        // The old axes oi..oj must form one contiguous run to be split differently.
        for ok in oi..oj - 1 {
            if os[ok] != od[ok + 1] as isize * os[ok + 1] {
                return None;
            }
        }
        ns[nj - 1] = os[oj - 1];
        for nk in (ni + 1..nj).rev() {
            ns[nk - 1] = ns[nk] * new_shape[nk] as isize;
        }
        ni = nj;
        nj += 1;
        oi = oj;
        oj += 1;
    }
    // Trailing extent-1 axes of the new shape.
    let last = if ni >= 1 {
        ns[ni - 1]
    } else {
        itemsize as isize
    };
    for s in &mut ns[ni..] {
        *s = last;
    }
    Some(ns)
}

/// Iterator over the byte offsets of a layout's elements in C order. See [`Layout::offsets`].
#[derive(Clone, Debug)]
pub struct Offsets {
    shape: Vec<usize>,
    strides: Vec<isize>,
    index: Vec<usize>,
    next: isize,
    remaining: usize,
}

impl Offsets {
    fn new(layout: &Layout) -> Offsets {
        Offsets {
            shape: layout.shape.clone(),
            strides: layout.strides.clone(),
            index: vec![0; layout.ndim()],
            next: layout.offset as isize,
            remaining: layout.len(),
        }
    }
}

impl Iterator for Offsets {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let current = self.next;
        // Odometer step: bump the last axis, carrying into earlier ones. Wrapping arithmetic:
        // offsets of a validated layout never wrap, and an unvalidated one must not panic.
        for k in (0..self.shape.len()).rev() {
            self.index[k] += 1;
            self.next = self.next.wrapping_add(self.strides[k]);
            if self.index[k] < self.shape[k] {
                break;
            }
            self.next = self
                .next
                .wrapping_sub(self.strides[k].wrapping_mul(self.shape[k] as isize));
            self.index[k] = 0;
        }
        Some(current as usize)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for Offsets {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_slice_semantics() {
        // (n, start, stop, step) -> list(range(n)[start:stop:step])
        type Case = (usize, Option<isize>, Option<isize>, isize, &'static [isize]);
        let cases: &[Case] = &[
            (5, None, None, 1, &[0, 1, 2, 3, 4]),
            (5, None, None, -1, &[4, 3, 2, 1, 0]),
            (5, Some(1), Some(4), 2, &[1, 3]),
            (5, Some(-2), None, 1, &[3, 4]),
            (5, Some(10), None, 1, &[]),
            (5, None, Some(-10), -1, &[4, 3, 2, 1, 0]),
            (5, Some(3), Some(0), -1, &[3, 2, 1]),
            (5, Some(-1), Some(-6), -2, &[4, 2, 0]),
            (0, None, None, -1, &[]),
            (5, Some(4), Some(1), 1, &[]),
        ];
        for &(n, start, stop, step, want) in cases {
            let (first, len) = adjust_slice(n, start, stop, step).unwrap();
            let got: Vec<isize> = (0..len as isize).map(|i| first + i * step).collect();
            assert_eq!(got, want, "{n} [{start:?}:{stop:?}:{step}]");
        }
        assert!(adjust_slice(3, None, None, 0).is_err());
    }
}

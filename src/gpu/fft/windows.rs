//! Where each dispatch of an FFT helper pass (`shaders/fft_aux.wgsl`, [`aux`](super::plan::aux))
//! reads and writes: the chunks of a pass over an array larger than one storage binding.
//!
//! A pass writes its output elements in order; a chunk is a run `[e0, e1)` of them, and reads
//! one run `[s0, s1)` of its input. Three kinds of chunk, from the cheapest:
//! - everything, when both buffers fit one binding;
//! - whole groups (the output elements that read one group of input elements, e.g. one line)
//!   as many as fit a binding;
//! - pieces of one group, when a group is larger than a binding: for the modes whose reads
//!   within a group are one contiguous run per piece (crop/pad, Bluestein's passes, the
//!   Hermitian extension, which reads the mirrored half backwards) and for ROLL, split where an
//!   axis wraps around. The real-transform passes read `Z[k]` and `Z[h − k]` together: their
//!   lines must fit a binding (longer ones take the complex route, `mod.rs`); the paired ones
//!   read two neighbouring lines, so their groups are whole slabs or row pairs.

use super::plan::Aux;

/// One dispatch: output elements `[e0, e1)`, reading input elements `[s0, s1)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Chunk {
    pub e0: u64,
    pub e1: u64,
    pub s0: u64,
    pub s1: u64,
}

/// The chunks of a pass of `mode` over `items` output elements, from `src_len` input
/// elements, each chunk's runs at most `room` elements (one binding less alignment slack).
/// `fixed` are the shader's `[outer, len_in, len_out, inner, scale, conj, m]`, `roll` ROLL's
/// `[ndim, shape.., shift..]`. `None`: this pass cannot be split so (its groups are larger
/// than `room` and it reads them out of order).
pub(crate) fn chunks(
    mode: Aux,
    fixed: &[u64; 7],
    roll: &[u64],
    items: u64,
    src_len: u64,
    room: u64,
) -> Option<Vec<Chunk>> {
    let all = Chunk {
        e0: 0,
        e1: items,
        s0: 0,
        s1: src_len,
    };
    if items <= room && src_len <= room {
        return Some(vec![all]);
    }
    if mode == Aux::Roll {
        return Some(roll_chunks(roll, room));
    }
    let [_, len_in, len_out, inner, _, _, m] = *fixed;
    // Output and input elements per group.
    let (out_group, in_group) = match mode {
        Aux::Resize | Aux::Hermitian => (len_out * inner, len_in * inner),
        Aux::BluePre => (inner * m, len_in * inner),
        Aux::BlueMul => (1, 1),
        Aux::BluePost => (len_in * inner, inner * m),
        Aux::R2cPost => (len_out, len_in),
        Aux::C2rPre => (len_in, len_in + 1),
        Aux::RaderPre => (inner * m, len_in * inner),
        Aux::RaderPost => (len_in * inner, inner * m),
        Aux::RaderDc => (len_in * inner, len_in * inner),
        Aux::PairPack | Aux::PairSplit | Aux::PairMerge | Aux::PairUnpack => {
            return pair_chunks(mode, fixed, items, src_len, room);
        }
        Aux::Roll => unreachable!(),
    };
    let groups = items.div_ceil(out_group.max(1));
    let per_group = out_group.max(in_group).max(1);
    let mut out = vec![];
    if per_group <= room {
        let step = room / per_group;
        let mut g0 = 0;
        while g0 < groups {
            let g1 = (g0 + step).min(groups);
            out.push(Chunk {
                e0: g0 * out_group,
                e1: (g1 * out_group).min(items),
                s0: g0 * in_group,
                s1: (g1 * in_group).min(src_len),
            });
            g0 = g1;
        }
        return Some(out);
    }
    // Pieces of one group. Output offset r within group g reads input offset:
    // - crop/pad, Bluestein's pre-pass (one line per group, inner = 1): r itself, below the
    //   input's length (the rest are zeros and read nothing);
    // - Bluestein's post-pass (inner = 1): r, of a line of m;
    // - Hermitian: r below `len_in·inner`, then (n − k)·inner + i for r = k·inner + i.
    let piece = room / 2;
    let hermitian_split = len_in * inner;
    match mode {
        Aux::Resize => {}
        Aux::BluePre | Aux::BluePost if inner == 1 => {}
        Aux::Hermitian if 2 * inner <= piece => {}
        _ => return None,
    }
    for g in 0..groups {
        let (base, src_base) = (g * out_group, g * in_group);
        let end = out_group.min(items - base);
        let mut r0 = 0;
        while r0 < end {
            let mut r1 = (r0 + piece).min(end);
            if mode == Aux::Hermitian && r0 < hermitian_split {
                r1 = r1.min(hermitian_split);
            }
            let (s0, s1) = if mode == Aux::Hermitian && r0 >= hermitian_split {
                let (k0, k1) = (r0 / inner, (r1 - 1) / inner);
                ((len_out - k1) * inner, (len_out - k0 + 1) * inner)
            } else {
                // Reads of the zero padding: an element of the group, read by nothing.
                let cap = in_group.saturating_sub(1);
                (r0.min(cap), r1.min(in_group).max(r0.min(cap) + 1))
            };
            out.push(Chunk {
                e0: base + r0,
                e1: base + r1,
                s0: src_base + s0,
                s1: src_base + s1.min(in_group),
            });
            r0 = r1;
        }
    }
    Some(out)
}

/// The chunks of the paired real-transform passes (`shaders/fft_aux.wgsl` modes 11-14): whole
/// groups of the lines that pair with each other, i.e. slabs of `inner` lines (one index of
/// the outer axes; pairs are neighbouring columns) or, for `inner = 1`, pairs of rows. The
/// real arrays are counted in float32 elements as items (PAIR_UNPACK's output) and in
/// complex64 elements as input runs (PAIR_PACK's input: two floats each, rounded outwards).
/// `None` when one group is larger than `room` (the caller moves the axis last first).
fn pair_chunks(
    mode: Aux,
    fixed: &[u64; 7],
    items: u64,
    src_len: u64,
    room: u64,
) -> Option<Vec<Chunk>> {
    let [outer, len_in, len_out, inner, _, _, h] = *fixed;
    let n = if mode == Aux::PairMerge {
        len_out
    } else {
        len_in
    };
    let m = n / 2 + 1;
    // Per group: real values, complex64 line points (z), half-spectrum terms (X).
    let (groups, reals, z, x) = if inner > 1 {
        (outer, n * inner, n * h, m * inner)
    } else {
        (outer.div_ceil(2), 2 * n, n, 2 * m)
    };
    let (out_group, in_group) = match mode {
        Aux::PairPack => (z, reals),
        Aux::PairSplit => (x, z),
        Aux::PairMerge => (z, x),
        _ => (reals, z),
    };
    // In complex64 elements (a run of floats may start and end mid-element).
    let elems = |count: u64, real: bool| if real { count / 2 + 1 } else { count };
    let per = elems(out_group, mode == Aux::PairUnpack).max(elems(in_group, mode == Aux::PairPack));
    if per.max(1) > room {
        return None;
    }
    let step = room / per.max(1);
    let mut out = vec![];
    let mut g0 = 0;
    while g0 < groups {
        let g1 = (g0 + step).min(groups);
        let (s0, s1) = if mode == Aux::PairPack {
            (g0 * reals / 2, (g1 * reals).div_ceil(2))
        } else {
            (g0 * in_group, g1 * in_group)
        };
        out.push(Chunk {
            e0: g0 * out_group,
            e1: (g1 * out_group).min(items),
            s0,
            s1: s1.min(src_len),
        });
        g0 = g1;
    }
    Some(out)
}

/// The chunks of `np.roll` over all axes at once (`roll` = `[ndim, shape.., shift..]`):
/// whole slabs of the first axis whose slab fits `room` (the axes before it one index at a
/// time), split where that axis wraps around, so that each chunk reads one contiguous run.
fn roll_chunks(roll: &[u64], room: u64) -> Vec<Chunk> {
    let ndim = roll[0] as usize;
    let (shape, shift) = (&roll[1..1 + ndim], &roll[1 + ndim..1 + 2 * ndim]);
    // The first axis k whose slab (one index of it) fits.
    let slab = |k: usize| shape[k + 1..].iter().product::<u64>();
    let k = (0..ndim).find(|&k| slab(k) <= room).unwrap_or(ndim - 1);
    let (n, s, inner) = (shape[k], shift[k], slab(k));
    let per = (room / inner.max(1)).max(1);
    let prefix: u64 = shape[..k].iter().product();
    let mut out = vec![];
    for p in 0..prefix {
        // The input's index along the axes before k: each rolled back by its shift.
        let (mut rest, mut q, mut step) = (p, 0, 1);
        for a in (0..k).rev() {
            let idx = rest % shape[a];
            rest /= shape[a];
            q += (idx + shape[a] - shift[a]) % shape[a] * step;
            step *= shape[a];
        }
        let mut a = 0;
        while a < n {
            // Output index a reads input index (a − s) mod n: contiguous up to the wrap at s.
            let wrap = if a < s { s } else { n };
            let b = (a + per).min(wrap);
            let from = (a + n - s) % n;
            out.push(Chunk {
                e0: (p * n + a) * inner,
                e1: (p * n + b) * inner,
                s0: (q * n + from) * inner,
                s1: (q * n + from + b - a) * inner,
            });
            a = b;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The input element each output element of `mode` reads (the shader's index arithmetic,
    /// for the modes that read one), or `None` for zero padding.
    fn reads(mode: Aux, f: &[u64; 7], roll: &[u64], e: u64) -> Option<u64> {
        let [_, len_in, len_out, inner, _, _, m] = *f;
        match mode {
            Aux::Resize => {
                let (i, k, o) = (e % inner, (e / inner) % len_out, e / inner / len_out);
                (k < len_in).then_some((o * len_in + k) * inner + i)
            }
            Aux::BluePre => {
                let (j, b) = (e % m, e / m);
                (j < len_in).then_some(((b / inner) * len_in + j) * inner + b % inner)
            }
            Aux::BluePost => {
                let (i, k, o) = (e % inner, (e / inner) % len_in, e / inner / len_in);
                Some((o * inner + i) * m + k)
            }
            Aux::Hermitian => {
                let n = len_out;
                let (i, k, o) = (e % inner, (e / inner) % n, e / inner / n);
                Some(if k < len_in {
                    (o * len_in + k) * inner + i
                } else {
                    (o * len_in + n - k) * inner + i
                })
            }
            Aux::Roll => {
                let ndim = roll[0] as usize;
                let (mut rest, mut at, mut step) = (e, 0, 1);
                for a in (0..ndim).rev() {
                    let (n, s) = (roll[1 + a], roll[1 + ndim + a]);
                    at += ((rest % n) + n - s) % n * step;
                    rest /= n;
                    step *= n;
                }
                Some(at)
            }
            _ => unreachable!(),
        }
    }

    /// The chunks cover every output once, in order, each within `room`, and every read of a
    /// chunk lies in its input run.
    fn check(mode: Aux, f: [u64; 7], roll: &[u64], items: u64, src_len: u64, room: u64) {
        let chunks = chunks(mode, &f, roll, items, src_len, room).expect("splits");
        let mut next = 0;
        for c in &chunks {
            assert_eq!(c.e0, next, "{mode:?} {chunks:?}");
            assert!(
                c.e1 > c.e0 && c.e1 - c.e0 <= room && c.s1 - c.s0 <= room,
                "{c:?}"
            );
            assert!(c.s0 < c.s1 && c.s1 <= src_len, "{mode:?} {c:?}");
            for e in c.e0..c.e1 {
                if let Some(s) = reads(mode, &f, roll, e) {
                    assert!((c.s0..c.s1).contains(&s), "{mode:?} {e} reads {s}: {c:?}");
                }
            }
            next = c.e1;
        }
        assert_eq!(next, items, "{mode:?}");
    }

    #[test]
    fn chunks_cover_the_output_and_hold_their_reads() {
        for room in [7, 16, 1000] {
            // Crop and pad, with inner axes.
            check(Aux::Resize, [3, 40, 50, 2, 0, 0, 0], &[], 300, 240, room);
            check(Aux::Resize, [3, 40, 25, 2, 0, 0, 0], &[], 150, 240, room);
            check(Aux::BluePre, [2, 30, 30, 1, 0, 0, 64], &[], 128, 60, room);
            check(Aux::BluePost, [2, 30, 30, 1, 0, 0, 64], &[], 60, 128, room);
            for inner in [1, 3] {
                let items = 2 * 41 * inner;
                let f = [2, 21, 41, inner, 0, 0, 0];
                check(Aux::Hermitian, f, &[], items, 2 * 21 * inner, room.max(12));
            }
            check(Aux::Roll, [0; 7], &[1, 97, 40], 97, 97, room);
            check(Aux::Roll, [0; 7], &[3, 5, 6, 7, 2, 0, 3], 210, 210, room);
            check(Aux::Roll, [0; 7], &[2, 3, 50, 1, 49], 150, 150, room);
        }
    }

    /// The input elements (complex64; PAIR_PACK's floats halved) that output item `e` of a
    /// paired pass reads: the shader's index arithmetic (`shaders/fft_aux.wgsl` modes 11-14).
    fn pair_reads(mode: Aux, f: &[u64; 7], e: u64) -> Vec<u64> {
        let [outer, len_in, len_out, inner, _, _, h] = *f;
        let n = if mode == Aux::PairMerge {
            len_out
        } else {
            len_in
        };
        let m = n / 2 + 1;
        let line = |a: u64, c: u64, part: u64| {
            let (b, ok) = if inner > 1 {
                (a * inner + 2 * c + part, 2 * c + part < inner)
            } else {
                (2 * a + part, 2 * a + part < outer)
            };
            ok.then_some(b)
        };
        let first = |o: u64, i: u64| {
            if inner > 1 {
                o * n * h + i / 2
            } else {
                (o / 2) * n
            }
        };
        match mode {
            Aux::PairPack | Aux::PairMerge => {
                let (c, k, a) = (e % h, (e / h) % n, e / h / n);
                (0..2)
                    .filter_map(|part| line(a, c, part))
                    .map(|b| {
                        let (o, i) = (b / inner, b % inner);
                        if mode == Aux::PairPack {
                            ((o * n + k) * inner + i) / 2
                        } else if k < m {
                            (o * m + k) * inner + i
                        } else {
                            (o * m + n - k) * inner + i
                        }
                    })
                    .collect()
            }
            Aux::PairSplit => {
                let (i, k, o) = (e % inner, (e / inner) % m, e / inner / m);
                vec![first(o, i) + k * h, first(o, i) + ((n - k) % n) * h]
            }
            _ => {
                let (i, k, o) = (e % inner, (e / inner) % n, e / inner / n);
                vec![first(o, i) + k * h]
            }
        }
    }

    /// The paired passes' chunks (whole slabs, or row pairs) cover every output once, in order,
    /// and hold every read; a group larger than the room does not split.
    #[test]
    fn paired_chunks_hold_both_lines() {
        for (outer, inner, n) in [
            (5u64, 1u64, 7u64),
            (4, 1, 8),
            (3, 6, 5),
            (2, 7, 8),
            (3, 4, 9),
        ] {
            let (lines, h) = if inner > 1 {
                (outer, inner.div_ceil(2))
            } else {
                (outer.div_ceil(2), 1)
            };
            let m = n / 2 + 1;
            let (reals, z, x) = (outer * n * inner, lines * n * h, outer * m * inner);
            for (mode, items, src_len) in [
                (Aux::PairPack, z, reals.div_ceil(2)),
                (Aux::PairSplit, x, z),
                (Aux::PairMerge, z, x),
                (Aux::PairUnpack, reals, z),
            ] {
                let f = match mode {
                    Aux::PairMerge => [outer, m, n, inner, 0, 0, h],
                    Aux::PairSplit => [outer, n, m, inner, 0, 0, h],
                    _ => [outer, n, n, inner, 0, 0, h],
                };
                let mut split = false;
                for room in [4, 12, 30, 60] {
                    let Some(chunks) = chunks(mode, &f, &[], items, src_len, room) else {
                        continue;
                    };
                    split |= chunks.len() > 1;
                    let mut next = 0;
                    for c in &chunks {
                        assert_eq!(c.e0, next, "{mode:?} {f:?} {chunks:?}");
                        assert!(c.e1 > c.e0 && c.s0 < c.s1 && c.s1 <= src_len, "{c:?}");
                        let width = if mode == Aux::PairUnpack {
                            c.e1.div_ceil(2) - c.e0 / 2
                        } else {
                            c.e1 - c.e0
                        };
                        assert!(width <= room && c.s1 - c.s0 <= room, "{mode:?} {c:?}");
                        for e in c.e0..c.e1 {
                            for s in pair_reads(mode, &f, e) {
                                assert!((c.s0..c.s1).contains(&s), "{mode:?} {f:?} {e}: {s} {c:?}");
                            }
                        }
                        next = c.e1;
                    }
                    assert_eq!(next, items, "{mode:?} {f:?}");
                }
                assert!(split, "{mode:?} {f:?}: some room splits it");
            }
        }
    }

    #[test]
    fn real_transform_lines_beyond_room_do_not_split() {
        assert_eq!(
            chunks(Aux::R2cPost, &[1, 64, 65, 1, 0, 0, 0], &[], 65, 64, 32),
            None
        );
    }
}

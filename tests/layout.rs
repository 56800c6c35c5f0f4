//! Layouts against a naive model that enumerates every element's byte offset.

mod common;

use common::indices;
use gpuarray::{Layout, Order, SliceArg};
use proptest::prelude::*;

/// Byte offset of each element in C order, in i128 so the model itself cannot overflow.
fn model_offsets(l: &Layout) -> Vec<i128> {
    indices(&l.shape)
        .iter()
        .map(|idx| {
            l.offset as i128
                + idx
                    .iter()
                    .zip(&l.strides)
                    .map(|(&i, &s)| i as i128 * s as i128)
                    .sum::<i128>()
        })
        .collect()
}

/// The model's validity rule: every byte of every element inside the buffer.
fn model_valid(l: &Layout, itemsize: usize, len: usize) -> bool {
    model_offsets(l)
        .iter()
        .all(|&o| o >= 0 && o + itemsize as i128 <= len as i128)
        && l.offset <= len
}

/// Consecutive offsets in the given enumeration order.
fn model_consecutive(offsets: &[i128], itemsize: usize) -> bool {
    offsets
        .iter()
        .enumerate()
        .all(|(k, &o)| o == offsets[0] + (k * itemsize) as i128)
}

/// Positions `range(n)[start:stop:step]` picks, computed by walking, not by formula.
fn model_positions(n: usize, start: Option<isize>, stop: Option<isize>, step: isize) -> Vec<usize> {
    let n = n as isize;
    let norm = |v: isize| if v < 0 { v + n } else { v };
    let mut out = vec![];
    if step > 0 {
        let mut p = start.map_or(0, |v| norm(v).clamp(0, n));
        let stop = stop.map_or(n, |v| norm(v).clamp(0, n));
        while p < stop {
            out.push(p as usize);
            p += step;
        }
    } else {
        let mut p = start.map_or(n - 1, |v| norm(v).clamp(-1, n - 1));
        let stop = stop.map_or(-1, |v| norm(v).clamp(-1, n - 1));
        while p > stop {
            out.push(p as usize);
            p += step;
        }
    }
    out
}

fn arb_layout() -> impl Strategy<Value = (Layout, usize, usize)> {
    (prop::sample::select(vec![1usize, 2, 4, 8]), 0usize..5)
        .prop_flat_map(|(itemsize, ndim)| {
            (
                Just(itemsize),
                prop::collection::vec(0usize..5, ndim),
                prop::collection::vec(-12isize..12, ndim),
                0usize..200,
                0usize..260,
            )
        })
        .prop_map(|(itemsize, shape, strides, offset, len)| {
            let strides = strides.iter().map(|&s| s * itemsize as isize).collect();
            (Layout::new(shape, strides, offset), itemsize, len)
        })
}

/// A valid layout: a random one over a buffer just big enough for it.
fn arb_valid_layout() -> impl Strategy<Value = (Layout, usize, usize)> {
    arb_layout().prop_map(|(mut l, itemsize, _)| {
        let offs = model_offsets(&l);
        let lo = offs.iter().copied().min().unwrap_or(0).min(0);
        l.offset = (l.offset as i128 - lo) as usize;
        let hi = model_offsets(&l).into_iter().max().unwrap_or(0) as usize + itemsize;
        let len = hi.max(l.offset);
        (l, itemsize, len)
    })
}

fn arb_slice_arg(n: usize) -> impl Strategy<Value = SliceArg> {
    let n = n as isize;
    let bound = prop::option::of(-n - 2..n + 3);
    prop_oneof![
        (bound.clone(), bound, prop_oneof![1isize..4, -4isize..0])
            .prop_map(|(a, b, s)| SliceArg::range(a, b, s)),
        (-n.max(1)..n.max(1)).prop_map(SliceArg::Index),
        Just(SliceArg::NewAxis),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn validate_agrees_with_model((l, itemsize, len) in arb_layout()) {
        let got = l.validate(itemsize, 1, len);
        prop_assert_eq!(got.is_ok(), model_valid(&l, itemsize, len), "{:?} {:?}", l, got);
    }

    #[test]
    fn offsets_and_contiguity_agree_with_model((l, itemsize, len) in arb_valid_layout()) {
        prop_assert!(l.validate(itemsize, 1, len).is_ok());
        let model = model_offsets(&l);
        let got: Vec<i128> = l.offsets().map(|o| o as i128).collect();
        prop_assert_eq!(&got, &model);
        prop_assert_eq!(l.is_c_contiguous(itemsize), model_consecutive(&model, itemsize));
        let f_model = model_offsets(&l.transpose());
        prop_assert_eq!(l.is_f_contiguous(itemsize), model_consecutive(&f_model, itemsize));
        match l.byte_range(itemsize) {
            None => prop_assert!(model.is_empty()),
            Some(r) => {
                prop_assert_eq!(r.start as i128, *model.iter().min().unwrap());
                prop_assert_eq!(r.end as i128, model.iter().max().unwrap() + itemsize as i128);
            }
        }
    }

    #[test]
    fn slicing_composes_like_the_model(
        ((l, itemsize, len), args) in arb_valid_layout().prop_flat_map(|t| {
            let args: Vec<_> = t.0.shape.iter().map(|&n| arb_slice_arg(n)).collect();
            (Just(t), args)
        })
    ) {
        let Ok(s) = l.slice(&args) else {
            // Only an out-of-range index may fail.
            prop_assert!(args.iter().filter(|a| !matches!(a, SliceArg::NewAxis)).zip(&l.shape).any(|(a, &n)| matches!(*a,
                SliceArg::Index(i) if i >= n as isize || i < -(n as isize))));
            return Ok(());
        };
        prop_assert!(s.validate(itemsize, 1, len).is_ok());
        // Model: map each index of the result back to an index of the parent.
        let mut picks: Vec<Option<Vec<usize>>> = vec![]; // None = new axis
        for (a, &n) in args.iter().filter(|a| !matches!(a, SliceArg::NewAxis)).zip(&l.shape) {
            picks.push(Some(match *a {
                SliceArg::Index(i) => vec![if i < 0 { (i + n as isize) as usize } else { i as usize }],
                SliceArg::Range { start, stop, step } => model_positions(n, start, stop, step),
                SliceArg::NewAxis => unreachable!(),
            }));
        }
        let parent_index = |out_idx: &[usize]| -> Vec<usize> {
            let mut it = out_idx.iter();
            let mut parent = vec![];
            for (k, a) in args.iter().enumerate() {
                match a {
                    SliceArg::NewAxis => { it.next(); }
                    SliceArg::Index(_) => {
                        let axis = args[..k].iter().filter(|a| !matches!(a, SliceArg::NewAxis)).count();
                        parent.push(picks[axis].as_ref().unwrap()[0]);
                    }
                    SliceArg::Range { .. } => {
                        let axis = args[..k].iter().filter(|a| !matches!(a, SliceArg::NewAxis)).count();
                        parent.push(picks[axis].as_ref().unwrap()[*it.next().unwrap()]);
                    }
                }
            }
            parent.extend(it.copied());
            parent
        };
        let want: Vec<usize> = indices(&s.shape)
            .iter()
            .map(|idx| l.offset_of(&parent_index(idx)).unwrap())
            .collect();
        let got: Vec<usize> = s.offsets().collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn permute_and_transpose_move_indices((l, itemsize, len) in arb_valid_layout(), seed in any::<u64>()) {
        let n = l.ndim();
        let mut axes: Vec<usize> = (0..n).collect();
        // A seeded Fisher–Yates shuffle.
        let mut r = seed;
        for k in (1..n).rev() {
            r = r.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            axes.swap(k, (r >> 33) as usize % (k + 1));
        }
        let p = l.permute(&axes).unwrap();
        prop_assert!(p.validate(itemsize, 1, len).is_ok());
        for idx in indices(&p.shape) {
            let mut parent = vec![0; n];
            for (k, &a) in axes.iter().enumerate() { parent[a] = idx[k]; }
            prop_assert_eq!(p.offset_of(&idx).unwrap(), l.offset_of(&parent).unwrap());
        }
        let t = l.transpose();
        prop_assert_eq!(t.transpose(), l.clone());
        let rev: Vec<usize> = (0..n).rev().collect();
        prop_assert_eq!(t, l.permute(&rev).unwrap());
    }

    #[test]
    fn reshape_keeps_c_order_offsets(
        (l, itemsize, len) in arb_valid_layout(),
        split in prop::collection::vec(1usize..4, 0..4),
    ) {
        // Try the flat shape, and a shape made by factoring the size differently.
        let size = l.len();
        let mut target: Vec<isize> = split.iter().map(|&k| k as isize).collect();
        let known: usize = split.iter().product();
        if size % known == 0 { target.push(-1) } else { target = vec![size as isize] }
        let before: Vec<usize> = l.offsets().collect();
        for shape in [vec![-1], target] {
            match l.reshape(&shape, itemsize) {
                Ok(r) => {
                    prop_assert!(r.validate(itemsize, 1, len).is_ok());
                    prop_assert_eq!(r.len(), size);
                    if size > 0 {
                        prop_assert_eq!(r.offsets().collect::<Vec<_>>(), before.clone());
                    }
                }
                Err(e) => {
                    // A copy-free reshape always exists for a C-contiguous array.
                    prop_assert!(!l.is_c_contiguous(itemsize), "{:?} -> {:?}: {}", l, shape, e);
                    prop_assert!(e.to_string().contains("needs a copy"));
                }
            }
        }
    }

    #[test]
    fn no_overlap_check_is_sound((l, itemsize, len) in arb_valid_layout()) {
        if l.check_no_overlap(itemsize).is_ok() {
            let mut offs = model_offsets(&l);
            offs.sort();
            prop_assert!(offs.windows(2).all(|w| w[1] - w[0] >= itemsize as i128), "{:?}", l);
        }
        let _ = len;
    }

    #[test]
    fn broadcast_repeats_elements((l, itemsize, len) in arb_valid_layout(), lead in 0usize..3) {
        let mut target: Vec<usize> = vec![2; lead];
        target.extend(l.shape.iter().map(|&n| if n == 1 { 3 } else { n }));
        let b = l.broadcast_to(&target).unwrap();
        prop_assert!(b.validate(itemsize, 1, len).is_ok());
        for idx in indices(&b.shape) {
            let src: Vec<usize> = idx[lead..].iter().zip(&l.shape).map(|(&i, &n)| if n == 1 { 0 } else { i }).collect();
            prop_assert_eq!(b.offset_of(&idx).unwrap(), l.offset_of(&src).unwrap());
        }
    }
}

#[test]
fn bad_layouts_name_the_problem() {
    let cases: &[(Layout, usize, usize, &str)] = &[
        (
            Layout::new(vec![2, 3], vec![12], 0),
            4,
            24,
            "shape has 2 dimensions but strides has 1",
        ),
        (
            Layout::new(vec![1; 65], vec![0; 65], 0),
            1,
            1,
            "65 dimensions exceed the limit of 64",
        ),
        (Layout::new(vec![4], vec![1], 0), 0, 4, "zero itemsize"),
        (
            Layout::new(vec![usize::MAX, 2], vec![1, 1], 0),
            1,
            4,
            "total size overflows",
        ),
        (
            Layout::new(vec![1 << 40, 1 << 30], vec![1, 1], 0),
            1,
            4,
            "total size overflows",
        ),
        (
            Layout::new(vec![3], vec![isize::MAX / 2 + 1], 0),
            1,
            4,
            "overflows",
        ),
        (
            Layout::new(vec![2, 3], vec![12, 4], 4),
            4,
            24,
            "reaches byte 28, past the 24-byte buffer",
        ),
        (
            Layout::new(vec![3], vec![-4], 4),
            4,
            12,
            "reaches byte -4, before the 12-byte buffer",
        ),
        (
            Layout::new(vec![2], vec![4], 30),
            4,
            24,
            "offset 30 lies past the end",
        ),
    ];
    for (l, itemsize, len, want) in cases {
        let err = l.validate(*itemsize, 1, *len).unwrap_err().to_string();
        assert!(err.contains(want), "{l:?}: got {err:?}, want {want:?}");
    }
    // Alignment: a 4-aligned element may not sit at a stride of 6.
    let err = Layout::new(vec![2], vec![6], 0)
        .validate(4, 4, 16)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("stride 6 of axis 0 is not a multiple of the element alignment 4"),
        "{err}"
    );
    // ...but standard-size formats (alignment 1) may, and extent-1 axes may have any stride.
    Layout::new(vec![2], vec![6], 0).validate(4, 1, 16).unwrap();
    Layout::new(vec![1, 2], vec![7, 4], 0)
        .validate(4, 4, 8)
        .unwrap();
}

#[test]
fn accepted_edge_cases() {
    // Zero-size arrays, whatever the strides; 0-d layouts; extent-1 axes with any stride.
    Layout::new(vec![0, 5], vec![1 << 40, -(1 << 40)], 0)
        .validate(4, 4, 0)
        .unwrap();
    Layout::new(vec![], vec![], 4).validate(4, 4, 8).unwrap();
    Layout::new(vec![1, 1], vec![isize::MAX, isize::MIN], 0)
        .validate(8, 8, 8)
        .unwrap();
    let zero_d = Layout::new(vec![], vec![], 0);
    assert!(zero_d.is_c_contiguous(4) && zero_d.is_f_contiguous(4));
    assert_eq!(zero_d.offsets().collect::<Vec<_>>(), [0]);
    let empty = Layout::new(vec![3, 0], vec![5, 3], 0);
    assert!(empty.is_c_contiguous(4) && empty.is_f_contiguous(4));
    assert_eq!(empty.offsets().count(), 0);
}

#[test]
fn writable_layouts_must_not_alias() {
    for (shape, strides) in [
        (vec![3], vec![0]),
        (vec![2, 2], vec![4, 4]),
        (vec![4], vec![2]),
    ] {
        let err = Layout::new(shape, strides, 0)
            .check_no_overlap(4)
            .unwrap_err()
            .to_string();
        assert!(err.contains("do not alias"), "{err}");
    }
    Layout::new(vec![3, 4], vec![-16, 4], 32)
        .check_no_overlap(4)
        .unwrap();
    Layout::new(vec![3, 1], vec![4, 0], 0)
        .check_no_overlap(4)
        .unwrap();
}

#[test]
fn reshape_errors() {
    let l = Layout::contiguous(&[2, 3], 4, Order::C).unwrap();
    assert_eq!(l.reshape(&[3, -1], 4).unwrap().shape, [3, 2]);
    assert!(
        l.reshape(&[4, -1], 4)
            .unwrap_err()
            .to_string()
            .contains("cannot reshape an array of size 6")
    );
    assert!(
        l.reshape(&[-1, -1], 4)
            .unwrap_err()
            .to_string()
            .contains("only one dimension")
    );
    let t = l.transpose();
    assert!(
        t.reshape(&[6], 4)
            .unwrap_err()
            .to_string()
            .contains("needs a copy")
    );
    // Splitting a transposed axis is fine: no copy needed.
    let r = t.reshape(&[3, 1, 2], 4).unwrap();
    assert_eq!(
        r.offsets().collect::<Vec<_>>(),
        t.offsets().collect::<Vec<_>>()
    );
}

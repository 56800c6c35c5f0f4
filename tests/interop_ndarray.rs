//! ndarray views as `View`/`ViewMut` and back, without copying (feature `ndarray`).
#![cfg(feature = "ndarray")]

use gpuarray::{SliceArg, View, ViewMut};
use ndarray::{Array3, ArrayViewD, Axis, s};

fn cube() -> Array3<f64> {
    Array3::from_shape_fn((3, 4, 5), |(i, j, k)| (100 * i + 10 * j + k) as f64)
}

#[test]
fn ndarray_to_view_keeps_memory_and_strides() {
    let a = cube();
    let mut cases = vec![
        a.view(),
        a.view().reversed_axes(),
        a.slice(s![..;-1, .., ..;-1]),
    ];
    let mut permuted = a.view();
    permuted.swap_axes(0, 2);
    permuted.invert_axis(Axis(1));
    cases.push(permuted);
    for nd in cases {
        let v = View::from_ndarray(&nd).unwrap();
        assert_eq!(v.shape(), nd.shape());
        let want: Vec<isize> = nd.strides().iter().map(|s| s * 8).collect();
        assert_eq!(v.strides(), want);
        // Same elements in the same logical order, read through our layout.
        assert_eq!(
            v.to_vec::<f64>().unwrap(),
            nd.iter().copied().collect::<Vec<_>>()
        );
        // And back: the identical ndarray view (same pointer, same strides).
        let back: ArrayViewD<f64> = v.to_ndarray().unwrap();
        assert_eq!(back.as_ptr(), nd.as_ptr());
        assert_eq!(back.strides(), nd.strides());
        assert_eq!(back, nd.into_dyn());
    }
}

#[test]
fn stepped_ndarray_slices_are_refused_but_view_slices_work() {
    let a = cube();
    let err = View::from_ndarray(&a.slice(s![.., ..;2, ..]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("contiguous in memory"), "{err}");
    // The supported route: view the whole array, then slice the View.
    let v = View::from_ndarray(&a.view()).unwrap();
    let stepped = v.slice(&[SliceArg::ALL, SliceArg::step(-2)]).unwrap();
    let nd = stepped.to_ndarray::<f64>().unwrap();
    assert_eq!(nd, a.slice(s![.., ..;-2, ..]).into_dyn());
}

#[test]
fn writes_through_both_kinds_of_view() {
    let mut a = cube();
    let mut w = ViewMut::from_ndarray(a.slice_mut(s![.., .., ..;-1])).unwrap();
    w.set::<f64>(&[2, 3, 0], -1.0).unwrap();
    assert_eq!(a[[2, 3, 4]], -1.0);
    let view = ViewMut::from_ndarray(a.view_mut()).unwrap();
    let mut nd = view.into_ndarray::<f64>().unwrap();
    nd[[0, 0, 0]] = 42.0;
    assert_eq!(a[[0, 0, 0]], 42.0);
}

#[test]
fn wrong_dtype_or_misaligned_bytes_are_errors() {
    let a = cube();
    let v = View::from_ndarray(&a.view()).unwrap();
    assert!(
        v.to_ndarray::<f32>()
            .unwrap_err()
            .to_string()
            .contains("float32")
    );
    // f64 elements starting one byte into a buffer cannot be an ndarray view.
    let words = [0u64; 5];
    let bytes: &[u8] = bytemuck::cast_slice(&words);
    let odd = View::from_bytes(&bytes[1..33], &[4], "<d").unwrap();
    assert!(
        odd.to_ndarray::<f64>()
            .unwrap_err()
            .to_string()
            .contains("not aligned")
    );
}

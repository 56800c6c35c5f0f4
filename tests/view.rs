//! Views and host arrays: typed access, byte order, copies, conversions and rejected input.

use gpuarray::{Dtype, Error, Format, HostArray, Layout, SliceArg, View, ViewMut};
use half::f16;
use num_complex::Complex;

fn iota(n: usize) -> Vec<f32> {
    (0..n).map(|i| i as f32).collect()
}

#[test]
fn creating_a_view_never_copies() {
    let data = iota(24);
    let v = View::from_slice(&data, &[2, 3, 4]).unwrap();
    let t = v.transpose().slice(&[SliceArg::step(-1)]).unwrap();
    for w in [&v, &t] {
        assert_eq!(w.bytes().as_ptr(), data.as_ptr().cast::<u8>());
    }
    assert_eq!(t.shape(), [4, 3, 2]);
    assert_eq!(t.get::<f32>(&[0, 2, 1]).unwrap(), data[12 + 2 * 4 + 3]);
}

#[test]
fn typed_access_and_iteration_in_c_order() {
    let data = iota(12);
    let v = View::from_slice(&data, &[3, 4]).unwrap();
    let t = v.transpose();
    assert_eq!(t.get::<f32>(&[3, 1]).unwrap(), 7.0);
    let want: Vec<f32> = (0..4)
        .flat_map(|j| (0..3).map(move |i| (4 * i + j) as f32))
        .collect();
    assert_eq!(t.to_vec::<f32>().unwrap(), want);
    assert!(!t.is_c_contiguous() && t.is_f_contiguous());
    let c = t.to_contiguous().unwrap();
    assert!(c.is_c_contiguous());
    assert_eq!(c.as_slice::<f32>().unwrap(), want);
    // Wrong type: an error that names both.
    let err = v.get::<i32>(&[0, 0]).unwrap_err().to_string();
    assert!(err.contains("float32") && err.contains("int32"), "{err}");
    let err = v.get::<f32>(&[3, 0]).unwrap_err().to_string();
    assert!(
        err.contains("index 3 is out of bounds for axis 0 with size 3"),
        "{err}"
    );
}

#[test]
fn big_endian_elements_are_swapped() {
    let values = [1.5f32, -2.25, 1e30];
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_be_bytes()).collect();
    let v = View::from_bytes(&bytes, &[3], ">f").unwrap();
    assert_eq!(v.to_vec::<f32>().unwrap(), values);
    let z: Vec<u8> = [1.0f64, -3.0]
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect();
    let zv = View::from_bytes(&z, &[], "!Zd").unwrap();
    assert_eq!(
        zv.get::<Complex<f64>>(&[]).unwrap(),
        Complex::new(1.0, -3.0)
    );
    // astype writes native order; as_slice refuses swapped data with a hint.
    let native = v.astype(Dtype::F32).unwrap();
    assert_eq!(native.as_slice::<f32>().unwrap(), values);
    let copy = v.to_contiguous().unwrap();
    assert!(
        copy.as_slice::<f32>()
            .unwrap_err()
            .to_string()
            .contains("not in native byte order")
    );
    // Writing through a big-endian view stores big-endian bytes.
    let mut out = vec![0u8; 4];
    let mut w = ViewMut::from_bytes(&mut out, &[2], ">h").unwrap();
    w.set::<i16>(&[1], -2).unwrap();
    assert_eq!(out, [0, 0, 0xff, 0xfe]);
}

#[test]
fn astype_matches_plain_rust_casts() {
    let data: Vec<f32> = vec![
        -300.7,
        -1.5,
        -0.0,
        0.49,
        1.5,
        254.9,
        70000.0,
        f32::NAN,
        f32::INFINITY,
    ];
    let v = View::from_slice(&data, &[3, 3]).unwrap();
    // Over a transposed (strided) view too.
    for view in [v.clone(), v.transpose()] {
        let src = view.to_vec::<f32>().unwrap();
        let check = |dtype: Dtype| view.astype(dtype).unwrap();
        assert_eq!(
            check(Dtype::U8).as_slice::<u8>().unwrap(),
            src.iter().map(|&x| x as u8).collect::<Vec<_>>()
        );
        assert_eq!(
            check(Dtype::I16).as_slice::<i16>().unwrap(),
            src.iter().map(|&x| x as i16).collect::<Vec<_>>()
        );
        assert_eq!(
            check(Dtype::I64).as_slice::<i64>().unwrap(),
            src.iter().map(|&x| x as i64).collect::<Vec<_>>()
        );
        let f = check(Dtype::F16);
        let want: Vec<u16> = src.iter().map(|&x| f16::from_f32(x).to_bits()).collect();
        let got: Vec<u16> = f
            .as_slice::<f16>()
            .unwrap()
            .iter()
            .map(|h| h.to_bits())
            .collect();
        assert_eq!(got, want);
        let c = check(Dtype::C64);
        for (z, &x) in c.as_slice::<Complex<f32>>().unwrap().iter().zip(&src) {
            assert!(z.re.to_bits() == x.to_bits() && z.im == 0.0);
        }
        assert_eq!(
            check(Dtype::Bool).as_slice::<u8>().unwrap(),
            src.iter().map(|&x| (x != 0.0) as u8).collect::<Vec<_>>()
        );
    }
    // Integers wrap like Rust's `as`.
    let ints: Vec<i32> = vec![-1, 256, 70000, i32::MIN];
    let u = View::from_slice(&ints, &[4])
        .unwrap()
        .astype(Dtype::U16)
        .unwrap();
    assert_eq!(
        u.as_slice::<u16>().unwrap(),
        ints.iter().map(|&x| x as u16).collect::<Vec<_>>()
    );
    // Non-numeric formats have no dtype to convert from.
    let raw = [0u8; 6];
    let err = View::from_bytes(&raw, &[2], "3s")
        .unwrap()
        .astype(Dtype::U8)
        .unwrap_err();
    assert!(matches!(err, Error::Dtype(_)), "{err}");
}

#[test]
fn reshape_broadcast_and_cast() {
    let data = iota(24);
    let v = View::from_slice(&data, &[2, 3, 4]).unwrap();
    let r = v.reshape(&[6, -1]).unwrap();
    assert_eq!((r.shape(), r.strides()), (&[6, 4][..], &[16, 4][..]));
    let err = v.transpose().reshape(&[24]).unwrap_err().to_string();
    assert!(err.contains("needs a copy"), "{err}");
    let row = v.index_axis(0, 1).unwrap().index_axis(0, -1).unwrap();
    let b = row.broadcast_to(&[5, 4]).unwrap();
    assert_eq!(b.strides(), [0, 4]);
    assert_eq!(b.get::<f32>(&[4, 3]).unwrap(), 23.0);
    let err = row.broadcast_to(&[5, 3]).unwrap_err().to_string();
    assert!(err.contains("cannot be broadcast"), "{err}");
    // memoryview.cast: f32 bytes as u8, then as [2, 6] complex pairs.
    let bytes = v.cast("B", None).unwrap();
    assert_eq!(bytes.shape(), [96]);
    let z = bytes.cast("Zf", Some(&[2, 6])).unwrap();
    assert_eq!(
        z.get::<Complex<f32>>(&[1, 5]).unwrap(),
        Complex::new(22.0, 23.0)
    );
    assert!(
        v.transpose()
            .cast("B", None)
            .unwrap_err()
            .to_string()
            .contains("C-contiguous")
    );
    assert!(
        bytes
            .cast("d", Some(&[5]))
            .unwrap_err()
            .to_string()
            .contains("does not cover")
    );
}

#[test]
fn zero_d_empty_and_size_one_views() {
    let x = [7u16];
    let s = View::from_slice(&x, &[]).unwrap();
    assert_eq!((s.ndim(), s.len(), s.get::<u16>(&[]).unwrap()), (0, 1, 7));
    assert!(s.is_c_contiguous() && s.is_f_contiguous());
    let none: [f64; 0] = [];
    let e = View::from_slice(&none, &[3, 0, 2]).unwrap();
    assert!(e.is_empty() && e.is_c_contiguous());
    assert_eq!(e.to_contiguous().unwrap().bytes().len(), 0);
    assert_eq!(e.astype(Dtype::U8).unwrap().shape(), [3, 0, 2]);
    let data = iota(3);
    let odd = View::new(
        bytemuck::cast_slice(&data),
        Layout::new(vec![1, 3, 1], vec![1000, 4, -77], 0),
        Format::from_dtype(Dtype::F32),
    )
    .unwrap();
    assert!(odd.is_c_contiguous() && odd.is_f_contiguous());
}

#[test]
fn host_arrays_are_aligned_for_every_dtype() {
    for dtype in Dtype::ALL {
        let a = HostArray::zeros(&[3, 5], dtype).unwrap();
        assert_eq!(a.bytes().len(), 15 * dtype.itemsize());
        assert_eq!(a.bytes().as_ptr() as usize % 16, 0, "{dtype}");
    }
    let mut a = HostArray::from_slice(&[1i32, 2, 3, 4, 5, 6], &[2, 3]).unwrap();
    a.view_mut().set::<i32>(&[1, 2], 60).unwrap();
    assert_eq!(a.as_slice::<i32>().unwrap(), [1, 2, 3, 4, 5, 60]);
    a.as_slice_mut::<i32>().unwrap()[0] = 10;
    assert_eq!(a.view().get::<i32>(&[0, 0]).unwrap(), 10);
}

#[test]
fn writable_views_copy_and_refuse_aliasing() {
    let src = iota(6);
    let mut dst = vec![0f32; 6];
    let from = View::from_slice(&src, &[2, 3]).unwrap().transpose();
    let mut to = ViewMut::from_slice(&mut dst, &[3, 2]).unwrap();
    to.copy_from(&from).unwrap();
    assert_eq!(dst, [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
    // Reversed rows are fine to write; aliasing strides are not.
    let mut buf = vec![0u8; 16];
    let rev = ViewMut::new(
        &mut buf,
        Layout::new(vec![4], vec![-4], 12),
        Format::from_dtype(Dtype::F32),
    )
    .unwrap();
    assert_eq!(rev.strides(), [-4]);
    let err = ViewMut::new(
        &mut buf,
        Layout::new(vec![4], vec![0], 0),
        Format::from_dtype(Dtype::F32),
    )
    .unwrap_err();
    assert!(err.to_string().contains("do not alias"), "{err}");
    let err = ViewMut::new(
        &mut buf,
        Layout::new(vec![2, 2], vec![2, 2], 0),
        Format::from_dtype(Dtype::I16),
    )
    .unwrap_err();
    assert!(err.to_string().contains("do not alias"), "{err}");
    // A shape/format mismatch in copy_from names both.
    let mut small = vec![0f32; 4];
    let err = ViewMut::from_slice(&mut small, &[4])
        .unwrap()
        .copy_from(&from)
        .unwrap_err()
        .to_string();
    assert!(err.contains("[3, 2]") && err.contains("[4]"), "{err}");
}

#[test]
fn bad_views_are_errors() {
    let bytes = [0u8; 24];
    let err = View::from_bytes(&bytes, &[2, 4], "<f")
        .unwrap_err()
        .to_string();
    assert!(err.contains("needs 32 bytes, the buffer has 24"), "{err}");
    let err = View::from_bytes(&bytes, &[2], "q?")
        .unwrap_err()
        .to_string();
    assert!(err.contains("needs 18 bytes"), "{err}");
    assert!(matches!(
        View::from_bytes(&bytes, &[2], "y"),
        Err(Error::Format { .. })
    ));
    let err = View::from_bytes(&bytes, &[], "").unwrap_err().to_string();
    assert!(
        err.contains("needs 0 bytes") || err.contains("zero itemsize"),
        "{err}"
    );
    let err = View::new(
        &bytes,
        Layout::new(vec![3], vec![2], 0),
        Format::parse("i").unwrap(),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("not a multiple of the element alignment 4"),
        "{err}"
    );
    // A standard-size format has no alignment: stride 2 over 4-byte ints is allowed (read-only).
    let v = View::new(
        &bytes,
        Layout::new(vec![3], vec![2], 0),
        Format::parse("<i").unwrap(),
    )
    .unwrap();
    assert_eq!(v.len(), 3);
    let err = View::new(
        &bytes,
        Layout::new(vec![3], vec![8], 12),
        Format::parse("d").unwrap(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("past the 24-byte buffer"), "{err}");
}

//! Host views to the GPU and back: bit-exact for every GPU dtype and every kind of layout.

mod common;

use common::{Rng, gpu};
use gpuarray::{Dtype, Error, Format, GpuArray, HostArray, Layout, SliceArg, View, ViewMut};

const GPU_DTYPES: [Dtype; 10] = GpuArray::DTYPES;

/// Random bytes for `n` elements of `dtype` (any bit pattern, NaNs included; bool 0 or 1).
fn random_bytes(rng: &mut Rng, dtype: Dtype, n: usize) -> Vec<u8> {
    let mut b = rng.bytes(n * dtype.itemsize());
    if dtype == Dtype::Bool {
        b.iter_mut().for_each(|x| *x &= 1);
    }
    b
}

/// Runs `check` on named views of a [6, 5, 4] array: every kind of layout the issue lists.
fn with_layouts(base: &View<'_>, mut check: impl FnMut(&str, &View<'_>)) {
    use SliceArg::{Index, NewAxis};
    const ALL: SliceArg = SliceArg::ALL;
    let step = SliceArg::step;
    let r = |a, b| SliceArg::range(Some(a), Some(b), 1);
    let cases: Vec<(&str, View<'_>)> = vec![
        ("contiguous", base.clone()),
        (
            "stepped",
            base.slice(&[step(2), r(1, 5), step(-1)]).unwrap(),
        ),
        ("negative", base.slice(&[step(-1)]).unwrap()),
        ("transposed", base.transpose()),
        ("permuted", base.permute(&[1, 2, 0]).unwrap()),
        ("0-d", base.slice(&[Index(2), Index(3), Index(1)]).unwrap()),
        ("empty", base.slice(&[r(2, 2)]).unwrap()),
        (
            "size-1 axes",
            base.slice(&[r(1, 2), ALL, r(3, 4), NewAxis]).unwrap(),
        ),
        (
            "broadcast",
            base.slice(&[Index(1), NewAxis])
                .unwrap()
                .broadcast_to(&[3, 5, 4])
                .unwrap(),
        ),
        ("odd column", base.slice(&[ALL, Index(3)]).unwrap()),
    ];
    for (name, v) in &cases {
        check(name, v);
    }
}

#[test]
fn round_trip_is_bit_exact_for_every_dtype_and_layout() {
    let gpu = gpu();
    let mut rng = Rng::new(1);
    for dtype in GPU_DTYPES {
        let bytes = random_bytes(&mut rng, dtype, 120);
        let base = View::from_bytes(&bytes, &[6, 5, 4], dtype.format()).unwrap();
        with_layouts(&base, |name, v| {
            let want = v.to_contiguous().unwrap();
            let a = gpu
                .upload(v)
                .unwrap_or_else(|e| panic!("{dtype} {name}: {e}"));
            assert_eq!((a.shape(), a.dtype()), (v.shape(), dtype), "{dtype} {name}");
            let got = a.to_host().unwrap();
            assert_eq!(got.bytes(), want.bytes(), "{dtype} {name}");
        });
        // The same slicing done on the GPU, as metadata, then gathered by the download.
        let a = gpu.upload(&base).unwrap();
        let args = [
            SliceArg::step(-2),
            SliceArg::range(Some(1), None, 2),
            SliceArg::Index(-1),
        ];
        let want = base.slice(&args).unwrap().to_contiguous().unwrap();
        let got = a.slice(&args).unwrap().to_host().unwrap();
        assert_eq!(got.bytes(), want.bytes(), "{dtype} sliced on the GPU");
        let got = a
            .permute(&[2, 0, 1])
            .unwrap()
            .contiguous()
            .unwrap()
            .to_host()
            .unwrap();
        let want = base.permute(&[2, 0, 1]).unwrap().to_contiguous().unwrap();
        assert_eq!(got.bytes(), want.bytes(), "{dtype} permuted on the GPU");
    }
}

/// Bytes of `native` with each element (each half of a complex) reversed, written out by hand.
fn swapped(native: &[u8], dtype: Dtype) -> Vec<u8> {
    let part = if dtype == Dtype::C64 {
        4
    } else {
        dtype.itemsize()
    };
    native
        .chunks(part)
        .flat_map(|c| c.iter().rev().copied().collect::<Vec<_>>())
        .collect()
}

#[test]
fn other_byte_order_is_swapped_on_the_gpu() {
    let gpu = gpu();
    let mut rng = Rng::new(2);
    let other = if cfg!(target_endian = "little") {
        ">"
    } else {
        "<"
    };
    for dtype in GPU_DTYPES.into_iter().filter(|d| d.itemsize() > 1) {
        let native = random_bytes(&mut rng, dtype, 60);
        let foreign = swapped(&native, dtype);
        let format = format!("{other}{}", dtype.format());
        let v = View::from_bytes(&foreign, &[3, 4, 5], &format).unwrap();
        let want = View::from_bytes(&native, &[3, 4, 5], dtype.format()).unwrap();
        for (name, v, want) in [
            ("contiguous", v.clone(), want.clone()),
            ("transposed", v.transpose(), want.transpose()),
        ] {
            let got = gpu.upload(&v).unwrap().to_host().unwrap();
            assert_eq!(got.format(), &Format::from_dtype(dtype), "{dtype} {name}");
            assert_eq!(
                got.bytes(),
                want.to_contiguous().unwrap().bytes(),
                "{dtype} {name}"
            );
        }
        // And back into a foreign-order view.
        let a = gpu.upload(&want).unwrap();
        let mut out = vec![0u8; foreign.len()];
        a.download_into(&mut ViewMut::from_bytes(&mut out, &[3, 4, 5], &format).unwrap())
            .unwrap();
        assert_eq!(out, foreign, "{dtype} download into {format}");
    }
}

#[test]
fn download_into_strided_views() {
    let gpu = gpu();
    let data: Vec<f32> = (0..24).map(|i| i as f32 * 0.5).collect();
    let a = gpu
        .upload(&View::from_slice(&data, &[4, 6]).unwrap())
        .unwrap();
    // Into the transpose of a [6, 4] buffer: the buffer then holds the transpose.
    let mut buf = vec![0f32; 24];
    let mut t = ViewMut::from_slice(&mut buf, &[6, 4]).unwrap().transpose();
    a.download_into(&mut t).unwrap();
    for i in 0..4 {
        for j in 0..6 {
            assert_eq!(buf[j * 4 + i], data[i * 6 + j]);
        }
    }
    // Into a contiguous view at an offset of a larger buffer.
    let mut big = vec![-1f32; 30];
    let mut v = ViewMut::new(
        bytemuck::cast_slice_mut(&mut big),
        Layout::new(vec![4, 6], vec![24, 4], 12),
        Format::from_dtype(Dtype::F32),
    )
    .unwrap();
    a.download_into(&mut v).unwrap();
    assert_eq!(&big[3..27], &data[..]);
    assert_eq!((big[2], big[27]), (-1.0, -1.0));
    // Wrong shape or dtype: errors that name both.
    let mut small = vec![0f32; 6];
    let err = a
        .download_into(&mut ViewMut::from_slice(&mut small, &[6]).unwrap())
        .unwrap_err();
    assert!(
        err.to_string().contains("[4, 6]") && err.to_string().contains("[6]"),
        "{err}"
    );
    let mut ints = vec![0i32; 24];
    let err = a
        .download_into(&mut ViewMut::from_slice(&mut ints, &[4, 6]).unwrap())
        .unwrap_err();
    assert!(matches!(err, Error::Dtype(_)), "{err}");
}

#[test]
fn sixty_four_bit_dtypes_need_an_explicit_conversion() {
    let gpu = gpu();
    let data = [1.25f64, -3.5, 1e300, f64::NAN];
    let v = View::from_slice(&data, &[4]).unwrap();
    let err = gpu.upload(&v).unwrap_err().to_string();
    assert!(
        err.contains("float64") && err.contains("upload_as"),
        "{err}"
    );
    let a = gpu.upload_as(&v, Dtype::F32).unwrap();
    let got = a.to_host().unwrap();
    let want: Vec<f32> = data.iter().map(|&x| x as f32).collect();
    assert_eq!(
        got.as_slice::<f32>()
            .unwrap()
            .iter()
            .map(|x| x.to_bits())
            .collect::<Vec<_>>(),
        want.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
    );
    let ints = [i64::MAX, -1, 5];
    let a = gpu
        .upload_as(&View::from_slice(&ints, &[3]).unwrap(), Dtype::I32)
        .unwrap();
    assert_eq!(a.to_host().unwrap().as_slice::<i32>().unwrap(), [-1, -1, 5]);
    assert!(matches!(a.astype(Dtype::F64), Err(Error::Dtype(_))));
    // Non-numeric formats are refused by name.
    let raw = [0u8; 8];
    let err = gpu
        .upload(&View::from_bytes(&raw, &[2], "2s2x").unwrap())
        .unwrap_err();
    assert!(err.to_string().contains("2s2x"), "{err}");
}

#[test]
fn empty_and_zero_d_arrays() {
    let gpu = gpu();
    let none: [u16; 0] = [];
    let a = gpu
        .upload(&View::from_slice(&none, &[0, 3]).unwrap())
        .unwrap();
    assert_eq!((a.shape(), a.len()), (&[0, 3][..], 0));
    let h = a.astype(Dtype::F32).unwrap().to_host().unwrap();
    assert_eq!((h.shape(), h.bytes().len()), (&[0, 3][..], 0));
    let one = [7i8];
    let a = gpu.upload(&View::from_slice(&one, &[]).unwrap()).unwrap();
    assert_eq!(a.ndim(), 0);
    assert_eq!(
        a.astype(Dtype::I32)
            .unwrap()
            .to_host()
            .unwrap()
            .as_slice::<i32>()
            .unwrap(),
        [7]
    );
    let h: HostArray = a.to_host().unwrap();
    assert_eq!(h.view().get::<i8>(&[]).unwrap(), 7);
}

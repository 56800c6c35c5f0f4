//! The context: adapter choice, errors returned as values, large arrays in chunks, buffer reuse,
//! and one context shared by threads.

mod common;

use common::{Rng, gpu};
use gpuarray::{Dtype, Error, Gpu, GpuOptions, SliceArg, View};

#[test]
fn info_names_the_adapter_and_its_limits() {
    let info = gpu().info();
    let text = info.to_string();
    assert!(!info.name.is_empty() && text.contains(&info.name), "{text}");
    assert!(
        info.max_storage_binding >= 128 << 20,
        "the adapter's own limits are requested: {text}"
    );
    assert!(info.max_workgroup_storage >= 16 << 10, "{text}");
}

#[test]
fn adapter_options_are_honoured() {
    let err = Gpu::with_options(GpuOptions {
        adapter_name: Some("no adapter is called this".into()),
        ..Default::default()
    })
    .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::NoAdapter(_)), "{msg}");
    assert!(
        msg.contains("backends tried") && msg.contains("mesa-vulkan-drivers"),
        "{msg}"
    );
    // A software adapter can always be asked for on this machine's Mesa drivers.
    let soft = Gpu::with_options(GpuOptions {
        force_software: true,
        ..GpuOptions::from_env()
    })
    .unwrap();
    assert_eq!(soft.info().device_type, wgpu::DeviceType::Cpu);
    // Choosing by (part of) the name finds the same adapter again.
    let name = gpu()
        .info()
        .name
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let again = Gpu::with_options(GpuOptions {
        adapter_name: Some(name.to_uppercase()),
        ..GpuOptions::from_env()
    })
    .unwrap();
    assert!(again.info().name.contains(&name));
}

fn round_trip_works(gpu: &Gpu) {
    let data: Vec<u16> = (0..1000).collect();
    let a = gpu
        .upload(&View::from_slice(&data, &[10, 100]).unwrap())
        .unwrap();
    assert_eq!(
        a.transpose()
            .to_host()
            .unwrap()
            .view()
            .get::<u16>(&[99, 9])
            .unwrap(),
        999
    );
}

#[test]
fn errors_come_back_as_values_and_the_context_keeps_working() {
    let gpu = gpu();
    // An absurd allocation: one element broadcast to 2^40 elements, then made contiguous.
    let one = [1.0f32];
    let huge = gpu
        .upload(&View::from_slice(&one, &[1, 1]).unwrap())
        .unwrap()
        .broadcast_to(&[1 << 20, 1 << 20])
        .unwrap();
    let err = huge.contiguous().unwrap_err();
    assert!(matches!(err, Error::OutOfMemory(_)), "{err}");
    assert!(err.to_string().contains("largest buffer"), "{err}");
    round_trip_works(gpu);
    // An invalid shader: the driver's validation error is caught by an error scope.
    let err = gpu
        .check_shader("@compute @workgroup_size(1) fn main() { let x: u32 = 1.5; }")
        .unwrap_err();
    assert!(matches!(err, Error::Gpu(_)), "{err}");
    gpu.check_shader("@compute @workgroup_size(1) fn main() { let x: u32 = 1u; }")
        .unwrap();
    round_trip_works(gpu);
}

#[test]
fn arrays_larger_than_one_binding_are_chunked() {
    let gpu = gpu();
    let binding = gpu.info().max_storage_binding as usize;
    // 1.25 bindings of u8: the gather of a reversed view reads and writes across chunks.
    let n = binding + binding / 4 + 3;
    let mut rng = Rng::new(4);
    let data = rng.bytes(n);
    let v = View::from_slice(&data, &[n]).unwrap();
    let rev = gpu
        .upload(&v.slice(&[SliceArg::step(-1)]).unwrap())
        .unwrap();
    let back = rev.to_host().unwrap();
    let bytes = back.bytes();
    assert_eq!(bytes.len(), n);
    assert!(
        bytes.iter().zip(data.iter().rev()).all(|(a, b)| a == b),
        "reversed gather"
    );
    // A conversion whose output (4 bytes per element) spans several bindings.
    let quarter = gpu
        .upload(
            &v.slice(&[SliceArg::range(None, Some(n as isize / 2), 1)])
                .unwrap(),
        )
        .unwrap();
    let f = quarter.to_unit_float().unwrap().to_host().unwrap();
    let f = f.as_slice::<f32>().unwrap();
    for i in (0..n / 2).step_by(9973).chain([n / 2 - 1]) {
        assert_eq!(f[i], data[i] as f32 / 255.0, "element {i}");
    }
    drop(back);
    round_trip_works(gpu);
}

#[test]
fn buffers_are_reused_and_memory_stays_bounded() {
    // A context of its own, so other tests' buffers do not count.
    let gpu = Gpu::new().unwrap();
    let data: Vec<f32> = (0..(1 << 18)).map(|i| i as f32).collect();
    let v = View::from_slice(&data, &[512, 512]).unwrap();
    for i in 0..1000 {
        let a = gpu.upload(&v).unwrap();
        let h = if i % 2 == 0 {
            a.to_host()
        } else {
            a.transpose().to_host()
        }
        .unwrap();
        assert_eq!(
            h.as_slice::<f32>().unwrap()[1],
            if i % 2 == 0 { 1.0 } else { 512.0 }
        );
    }
    let stats = gpu.stats();
    // Each cycle needs at most an array buffer, a gather output and a staging buffer.
    assert!(stats.buffers_created <= 6, "{stats:?}");
    assert!(stats.buffers_reused >= 2000, "{stats:?}");
    assert!(stats.pool_bytes <= 6 * (1 << 20), "{stats:?}");
}

#[test]
fn one_context_serves_many_threads() {
    let gpu = gpu().clone();
    let handles: Vec<_> = (0..4u32)
        .map(|t| {
            let gpu = gpu.clone();
            std::thread::spawn(move || {
                for round in 0..100u32 {
                    let data: Vec<u32> = (0..1000).map(|i| i * 7 + t * 100_000 + round).collect();
                    let a = gpu
                        .upload(&View::from_slice(&data, &[25, 40]).unwrap())
                        .unwrap();
                    let back = if round % 2 == 0 {
                        a.to_host().unwrap().as_slice::<u32>().unwrap().to_vec()
                    } else {
                        let f = a.astype(Dtype::F32).unwrap().astype(Dtype::U32).unwrap();
                        f.to_host().unwrap().as_slice::<u32>().unwrap().to_vec()
                    };
                    assert_eq!(back, data, "thread {t} round {round}");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

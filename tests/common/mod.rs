//! Shared by the GPU tests: one context per test binary, and deterministic random data.
#![allow(dead_code)]

use std::sync::OnceLock;

use gpuarray::{Dtype, Element, Gpu, GpuArray, View};

/// The context every GPU test uses. A machine without an adapter fails the tests: they never
/// pass by skipping.
pub fn gpu() -> &'static Gpu {
    static GPU: OnceLock<Gpu> = OnceLock::new();
    GPU.get_or_init(|| {
        let gpu = Gpu::new().unwrap_or_else(|e| panic!("GPU tests need an adapter: {e}"));
        eprintln!("adapter: {}", gpu.info());
        gpu
    })
}

/// A small deterministic generator (SplitMix64), so failures reproduce.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E3779B97F4A7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
        z ^ (z >> 31)
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }

    /// Uniform in [lo, hi).
    pub fn f64(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True `percent` % of the time.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    /// One of `items`, uniformly.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Every index of `shape` in C order.
pub fn indices(shape: &[usize]) -> Vec<Vec<usize>> {
    let mut out = vec![vec![]];
    for &n in shape {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                (0..n).map(move |i| {
                    let mut p = prefix.clone();
                    p.push(i);
                    p
                })
            })
            .collect();
    }
    out
}

/// Uploads a typed slice with `shape` to the shared context.
pub fn up<T: Element>(data: &[T], shape: &[usize]) -> GpuArray {
    gpu()
        .upload(&View::from_slice(data, shape).unwrap())
        .unwrap()
}

/// The values of an array as f64, whatever its dtype.
pub fn values(a: &GpuArray) -> Vec<f64> {
    let h = a.to_host().unwrap();
    h.view()
        .astype(Dtype::F64)
        .unwrap()
        .as_slice::<f64>()
        .unwrap()
        .to_vec()
}

/// Caps this process's address space (`RLIMIT_AS`) at `headroom` bytes above what it uses now
/// (`VmSize` in /proc/self/status), so that a large allocation after it fails for real, never
/// endangering the machine. For child processes of the tests; returns the cap.
pub fn cap_address_space(headroom: u64) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let vm_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmSize:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("VmSize in /proc/self/status");
    let cap = vm_kib * 1024 + headroom;
    rustix::process::setrlimit(
        rustix::process::Resource::As,
        rustix::process::Rlimit {
            current: Some(cap),
            maximum: None,
        },
    )
    .expect("setrlimit(RLIMIT_AS)");
    cap
}

//! [`Gpu`]: the adapter, device and queue, their limits, error scopes and the caches.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::error::{Error, Result};
use crate::gpu::dispatch::Queue;
use crate::gpu::pipeline_cache::{self, DiskCache, PipelineCacheState};
use crate::gpu::pool::Pool;

/// How to choose an adapter. [`GpuOptions::from_env`] reads the usual wgpu variables.
#[derive(Clone, Debug, Default)]
pub struct GpuOptions {
    /// Backends to try (`None`: all that are compiled in).
    pub backends: Option<wgpu::Backends>,
    /// Prefer a discrete (`HighPerformance`) or an integrated (`LowPower`) GPU.
    pub power_preference: Option<wgpu::PowerPreference>,
    /// Take the first adapter whose name contains this (case-insensitive).
    pub adapter_name: Option<String>,
    /// Take a software (CPU) adapter such as lavapipe or llvmpipe even when a GPU is present.
    pub force_software: bool,
    /// The largest storage binding gpuarray uses, in bytes (`None`: the adapter's). Arrays larger
    /// than it are processed in chunks, so a small value exercises the chunked paths on small
    /// data. It is clamped to the adapter's limit and to at least [`MIN_BINDING`], and rounded
    /// down to the adapter's binding offset alignment; [`GpuInfo::binding`] says what is used.
    pub max_binding: Option<u64>,
}

/// The smallest storage binding gpuarray works with, in bytes: one block of every kernel (8192
/// complex values of a reduction, a row band of a filter) fits in it.
pub const MIN_BINDING: u64 = 64 << 10;

impl GpuOptions {
    /// Options from `WGPU_BACKEND` (e.g. `vulkan`, `gl`, `vulkan,metal`), `WGPU_ADAPTER_NAME`,
    /// `WGPU_POWER_PREF` (`high`, `low`, `none`) and `GPUARRAY_MAX_BINDING` (bytes, e.g.
    /// `65536`). An unparsable `GPUARRAY_MAX_BINDING` is ignored here; [`Gpu::new`] reports it
    /// (through [`GpuOptions::try_from_env`]).
    pub fn from_env() -> GpuOptions {
        GpuOptions {
            backends: wgpu::Backends::from_env(),
            power_preference: wgpu::PowerPreference::from_env(),
            adapter_name: std::env::var("WGPU_ADAPTER_NAME")
                .ok()
                .filter(|s| !s.is_empty()),
            force_software: false,
            max_binding: max_binding_from_env().ok().flatten(),
        }
    }

    /// [`GpuOptions::from_env`], with an unparsable `GPUARRAY_MAX_BINDING` an error.
    pub fn try_from_env() -> Result<GpuOptions> {
        Ok(GpuOptions {
            max_binding: max_binding_from_env()?,
            ..GpuOptions::from_env()
        })
    }
}

/// `GPUARRAY_MAX_BINDING` in bytes (unset or empty: `None`).
fn max_binding_from_env() -> Result<Option<u64>> {
    match std::env::var("GPUARRAY_MAX_BINDING") {
        Ok(s) if !s.trim().is_empty() => s.trim().parse().map(Some).map_err(|_| {
            Error::unsupported(format!(
                "GPUARRAY_MAX_BINDING={s:?}: expected a number of bytes, e.g. 65536"
            ))
        }),
        _ => Ok(None),
    }
}

/// The binding size in use: `requested` (or the adapter's limit) clamped to the adapter's limit
/// and to at least [`MIN_BINDING`], rounded down to a multiple of the binding offset alignment
/// (and of 16 bytes, the widest load of the kernels) so that windows at multiples of it are
/// valid binding offsets.
pub(crate) fn binding_in_use(requested: Option<u64>, limits: &wgpu::Limits) -> u64 {
    let adapter = limits.max_storage_buffer_binding_size;
    let align = (limits.min_storage_buffer_offset_alignment as u64).max(16);
    let want = requested.unwrap_or(adapter).min(adapter).max(MIN_BINDING);
    (want / align * align).max(align)
}

/// What [`Gpu::info`] reports: the adapter in use and the limits that matter to gpuarray.
#[derive(Clone, Debug)]
pub struct GpuInfo {
    /// Adapter name, e.g. `llvmpipe (LLVM 15.0.6, 256 bits)`.
    pub name: String,
    /// Vulkan, Metal, Dx12 or Gl.
    pub backend: wgpu::Backend,
    /// Discrete, integrated, virtual, CPU (software) or other.
    pub device_type: wgpu::DeviceType,
    /// Driver name and version.
    pub driver: String,
    /// Largest buffer, in bytes.
    pub max_buffer_size: u64,
    /// Largest storage-buffer binding of the adapter, in bytes.
    pub max_storage_binding: u64,
    /// The storage binding gpuarray uses, in bytes ([`GpuOptions::max_binding`] or the
    /// adapter's): larger arrays are processed in chunks. Every chunking decision reads this.
    pub binding: u64,
    /// Workgroup (shared) memory per workgroup, in bytes.
    pub max_workgroup_storage: u32,
    /// Invocations per workgroup.
    pub max_invocations_per_workgroup: u32,
    /// Whether the device has native f16 arithmetic (`shader-f16`).
    pub shader_f16: bool,
    /// Where compiled pipelines are kept between processes, or why they are not
    /// ([`crate::gpu::pipeline_cache`]).
    pub pipeline_cache: PipelineCacheState,
}

impl fmt::Display for GpuInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({:?}, {:?}, driver {}); buffers up to {} MiB, bindings up to {} MiB \
             ({} KiB in use), {} KiB workgroup memory, {} invocations per workgroup, shader-f16 {}, \
             pipeline cache {}",
            self.name,
            self.backend,
            self.device_type,
            if self.driver.is_empty() {
                "?"
            } else {
                &self.driver
            },
            self.max_buffer_size >> 20,
            self.max_storage_binding >> 20,
            self.binding >> 10,
            self.max_workgroup_storage >> 10,
            self.max_invocations_per_workgroup,
            if self.shader_f16 { "yes" } else { "no" },
            self.pipeline_cache,
        )
    }
}

/// Counters of the work a [`Gpu`] did, for tests and benchmarks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GpuStats {
    /// Compute dispatches.
    pub dispatches: u64,
    /// Render draws ([`blit`](crate::blit): one per band of a frame drawn in bands).
    pub draws: u64,
    /// Queue submissions: recorded work goes to the GPU in batches, when a result is needed
    /// (see [`Gpu::sync`]), so this is usually far below `dispatches`.
    pub submissions: u64,
    /// Compute pipelines compiled (cache misses).
    pub compiles: u64,
    /// Host → GPU transfers.
    pub uploads: u64,
    /// GPU → host transfers.
    pub downloads: u64,
    /// Buffers created on the device.
    pub buffers_created: u64,
    /// Buffers taken from the pool instead.
    pub buffers_reused: u64,
    /// Bytes held by the pool for reuse right now.
    pub pool_bytes: u64,
    /// Operations replayed from a recorded plan instead of planned anew (repeated FFTs of one
    /// shape: see [`fft`](crate::fft)).
    pub replays: u64,
}

impl fmt::Display for GpuStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} uploads, {} downloads, {} dispatches in {} submissions, {} draws, {} compiles, \
             {} buffers created, {} reused, {} MiB pooled, {} replays",
            self.uploads,
            self.downloads,
            self.dispatches,
            self.submissions,
            self.draws,
            self.compiles,
            self.buffers_created,
            self.buffers_reused,
            self.pool_bytes >> 20,
            self.replays
        )
    }
}

#[derive(Default)]
pub(crate) struct Counters {
    pub dispatches: AtomicU64,
    pub draws: AtomicU64,
    pub compiles: AtomicU64,
    pub uploads: AtomicU64,
    pub downloads: AtomicU64,
    pub buffers_created: AtomicU64,
    pub buffers_reused: AtomicU64,
    pub replays: AtomicU64,
}

impl Counters {
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// The GPU context: one adapter, its device and queue, and the caches that make repeated work
/// cheap (compiled pipelines, a pool of freed buffers).
///
/// `Gpu` is `Clone + Send + Sync`: clones share everything, so one context serves many threads.
///
/// ```
/// let gpu = gpuarray::Gpu::new()?;
/// println!("{}", gpu.info());
/// # Ok::<(), gpuarray::Error>(())
/// ```
#[derive(Clone)]
pub struct Gpu {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub device: wgpu::Device,
    /// The queue behind the context's command stream (`dispatch.rs`): submitting on it
    /// submits the recorded work first.
    pub queue: Queue,
    pub info: GpuInfo,
    pub limits: wgpu::Limits,
    pub pipelines: Mutex<HashMap<String, wgpu::ComputePipeline>>,
    pub render_pipelines: Mutex<HashMap<String, wgpu::RenderPipeline>>,
    pub modules: Mutex<HashMap<&'static str, wgpu::ShaderModule>>,
    pub pool: Arc<Pool>,
    pub counters: Counters,
    pub lost: Arc<AtomicBool>,
    /// What modules made once for this context (FFT plans), by their own key types.
    pub cache: crate::gpu::cache::Cache,
    pub adapter: wgpu::Adapter,
    /// The persistent pipeline cache (`pipeline_cache.rs`), saved when the context is dropped.
    pub pipeline_cache: Option<DiskCache>,
}

/// Locks a mutex, recovering the data if another thread panicked while holding it (our caches
/// stay consistent: every insert is a single operation).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn type_rank(t: wgpu::DeviceType, pref: Option<wgpu::PowerPreference>) -> u8 {
    use wgpu::DeviceType::*;
    let low_power = pref == Some(wgpu::PowerPreference::LowPower);
    match t {
        DiscreteGpu if !low_power => 0,
        IntegratedGpu if low_power => 0,
        DiscreteGpu | IntegratedGpu => 1,
        VirtualGpu => 2,
        Other => 3,
        Cpu => 4,
    }
}

fn backend_rank(b: wgpu::Backend) -> u8 {
    match b {
        wgpu::Backend::Vulkan | wgpu::Backend::Metal | wgpu::Backend::Dx12 => 0,
        _ => 1,
    }
}

impl Gpu {
    /// The best adapter by [`GpuOptions::from_env`]: a discrete GPU before an integrated one
    /// before a software adapter, Vulkan/Metal/DX12 before OpenGL.
    pub fn new() -> Result<Gpu> {
        Gpu::with_options(GpuOptions::try_from_env()?)
    }

    /// An adapter chosen by `options`.
    pub fn with_options(options: GpuOptions) -> Result<Gpu> {
        let backends = options.backends.unwrap_or(wgpu::Backends::all());
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
        desc.backends = backends;
        let instance = wgpu::Instance::new(desc);
        let adapters = pollster::block_on(instance.enumerate_adapters(backends));
        let found: Vec<String> = adapters
            .iter()
            .map(|a| {
                let i = a.get_info();
                format!("{} ({:?}, {:?})", i.name, i.backend, i.device_type)
            })
            .collect();
        let chosen = adapters
            .into_iter()
            .filter(|a| {
                let info = a.get_info();
                let name_ok = options
                    .adapter_name
                    .as_ref()
                    .is_none_or(|want| info.name.to_lowercase().contains(&want.to_lowercase()));
                let soft_ok = !options.force_software || info.device_type == wgpu::DeviceType::Cpu;
                name_ok && soft_ok
            })
            .min_by_key(|a| {
                let info = a.get_info();
                (
                    type_rank(info.device_type, options.power_preference),
                    backend_rank(info.backend),
                )
            });
        let Some(adapter) = chosen else {
            let mut why = format!("backends tried: {backends:?}; ");
            if found.is_empty() {
                why += "no adapter found";
            } else {
                why += &format!("found {} but none matches", found.join(", "));
                if let Some(name) = &options.adapter_name {
                    why += &format!(" WGPU_ADAPTER_NAME={name:?}");
                }
                if options.force_software {
                    why += " (a software adapter was asked for)";
                }
            }
            why += ". Without a GPU, install a software driver: on Debian/Ubuntu \
                    `apt-get install mesa-vulkan-drivers libvulkan1` (Vulkan: lavapipe) or \
                    `libegl1 libgl1-mesa-dri` (OpenGL: llvmpipe)";
            return Err(Error::NoAdapter(why));
        };
        Gpu::from_adapter_with(adapter, options.max_binding)
    }

    /// A context on an adapter the caller chose, e.g. one that can present to a window surface
    /// (`wgpu::util::initialize_adapter_from_env_or_default(&instance, Some(&surface))`). The
    /// device gets the adapter's full limits, as with [`Gpu::new`].
    pub fn from_adapter(adapter: wgpu::Adapter) -> Result<Gpu> {
        Gpu::from_adapter_with(adapter, None)
    }

    /// [`Gpu::from_adapter`] using storage bindings of at most `max_binding` bytes (see
    /// [`GpuOptions::max_binding`]).
    pub fn from_adapter_with(adapter: wgpu::Adapter, max_binding: Option<u64>) -> Result<Gpu> {
        let a = adapter.get_info();
        let limits = adapter.limits();
        let features =
            adapter.features() & wgpu::Features::SHADER_F16 | pipeline_cache::features(&adapter);
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("gpuarray"),
            required_features: features,
            // All the adapter offers: lavapipe's 128 MiB bindings and 32 KiB workgroup memory.
            required_limits: limits.clone(),
            ..Default::default()
        }))
        .map_err(|e| Error::Gpu(format!("requesting a device from {}: {e}", a.name)))?;
        // wgpu's default handler panics; ours reports. Errors of our own calls are caught by
        // error scopes before they get here.
        device.on_uncaptured_error(Arc::new(|e: wgpu::Error| {
            eprintln!("gpuarray: uncaptured GPU error: {e}");
        }));
        let lost = Arc::new(AtomicBool::new(false));
        let flag = lost.clone();
        device.set_device_lost_callback(move |reason, message| {
            flag.store(true, Ordering::SeqCst);
            eprintln!("gpuarray: GPU device lost ({reason:?}): {message}");
        });
        let (pipeline_cache, cache_state) = pipeline_cache::open(&device, &a);
        let info = GpuInfo {
            name: a.name.clone(),
            backend: a.backend,
            device_type: a.device_type,
            driver: format!("{} {}", a.driver, a.driver_info).trim().to_string(),
            max_buffer_size: limits.max_buffer_size,
            max_storage_binding: limits.max_storage_buffer_binding_size,
            binding: binding_in_use(max_binding, &limits),
            max_workgroup_storage: limits.max_compute_workgroup_storage_size,
            max_invocations_per_workgroup: limits.max_compute_invocations_per_workgroup,
            shader_f16: features.contains(wgpu::Features::SHADER_F16),
            pipeline_cache: cache_state,
        };
        let pool = Arc::new(Pool::new(pool_capacity(&info)));
        let queue = Queue::new(queue, pool.clone());
        Ok(Gpu {
            inner: Arc::new(Inner {
                device,
                queue,
                info,
                limits,
                pipelines: Mutex::default(),
                render_pipelines: Mutex::default(),
                modules: Mutex::default(),
                pool,
                counters: Counters::default(),
                lost,
                cache: Default::default(),
                adapter,
                pipeline_cache,
            }),
        })
    }

    /// The adapter in use and its limits.
    pub fn info(&self) -> &GpuInfo {
        &self.inner.info
    }

    /// The storage binding size in use, in bytes ([`GpuInfo::binding`]).
    pub(crate) fn binding(&self) -> u64 {
        self.inner.info.binding
    }

    /// Work counters (dispatches, compiles, transfers, buffer reuse).
    pub fn stats(&self) -> GpuStats {
        let c = &self.inner.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        GpuStats {
            dispatches: get(&c.dispatches),
            draws: get(&c.draws),
            submissions: self.inner.queue.submissions(),
            compiles: get(&c.compiles),
            uploads: get(&c.uploads),
            downloads: get(&c.downloads),
            buffers_created: get(&c.buffers_created),
            buffers_reused: get(&c.buffers_reused),
            pool_bytes: self.inner.pool.held_bytes(),
            replays: get(&c.replays),
        }
    }

    /// Whether the device was lost (destroyed, reset by the driver, unplugged): every later
    /// operation on this context and its arrays is an [`Error::Gpu`] saying so. A long-running
    /// program that sees it makes a new `Gpu` (and uploads its data again).
    pub fn is_lost(&self) -> bool {
        self.inner.lost.load(Ordering::SeqCst)
    }

    /// The wgpu adapter the device was requested from (e.g. for a surface's capabilities).
    pub fn adapter(&self) -> &wgpu::Adapter {
        &self.inner.adapter
    }

    /// The wgpu device, for users with their own render or compute code.
    pub fn device(&self) -> &wgpu::Device {
        &self.inner.device
    }

    /// The wgpu queue, for users with their own render or compute code. gpuarray records its
    /// work and submits it in batches: this submits what is recorded first, so that what the
    /// caller submits on the queue runs after it (and sees its results).
    pub fn queue(&self) -> &wgpu::Queue {
        self.inner.queue.flushed()
    }

    /// Runs `f` inside validation, out-of-memory and internal error scopes and turns what they
    /// caught into [`Error::Gpu`] / [`Error::OutOfMemory`]. `what` says what was being done.
    pub(crate) fn scoped<T>(&self, what: &str, f: impl FnOnce() -> T) -> Result<T> {
        if self.inner.lost.load(Ordering::SeqCst) {
            return Err(Error::Gpu(format!("{what}: the GPU device was lost")));
        }
        let device = &self.inner.device;
        let oom = device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let internal = device.push_error_scope(wgpu::ErrorFilter::Internal);
        let validation = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let value = f();
        // Scopes pop innermost first.
        let validation = pollster::block_on(validation.pop());
        let internal = pollster::block_on(internal.pop());
        let oom = pollster::block_on(oom.pop());
        if let Some(e) = oom {
            return Err(self.or_lost(what, Error::OutOfMemory(format!("{what}: {e}"))));
        }
        if let Some(e) = validation.or(internal) {
            return Err(self.or_lost(what, Error::Gpu(format!("{what}: {e}"))));
        }
        Ok(value)
    }

    /// `error`, or the loss of the device when that is what caused it. wgpu runs the
    /// device-lost callback of a destroyed device only once its queue has drained, so this
    /// waits for the queue (an error path: the wait costs nothing on the way that works).
    pub(crate) fn or_lost(&self, what: &str, error: Error) -> Error {
        let _ = self.wait();
        if self.is_lost() {
            Error::Gpu(format!("{what}: the GPU device was lost"))
        } else {
            error
        }
    }

    /// Waits until the queue has finished all submitted work.
    pub(crate) fn wait(&self) -> Result<()> {
        self.inner
            .device
            .poll(wgpu::PollType::wait_indefinitely())
            .map(|_| ())
            .map_err(|e| Error::Gpu(format!("waiting for the GPU: {e}")))
    }

    /// The shader module compiled from `source` (cached by `name`).
    pub(crate) fn module(&self, name: &'static str, source: &str) -> Result<wgpu::ShaderModule> {
        if let Some(m) = lock(&self.inner.modules).get(name) {
            return Ok(m.clone());
        }
        let module = self.scoped(&format!("compiling shader {name}"), || {
            self.inner
                .device
                .create_shader_module(wgpu::ShaderModuleDescriptor {
                    label: Some(name),
                    source: wgpu::ShaderSource::Wgsl(source.into()),
                })
        })?;
        lock(&self.inner.modules).insert(name, module.clone());
        Ok(module)
    }

    /// The compute pipeline for entry point `main` of `module` specialised with `constants`,
    /// compiled once per `key`.
    pub(crate) fn pipeline(
        &self,
        key: &str,
        module: &wgpu::ShaderModule,
        constants: &[(&str, f64)],
    ) -> Result<wgpu::ComputePipeline> {
        if let Some(p) = lock(&self.inner.pipelines).get(key) {
            return Ok(p.clone());
        }
        let pipeline = self.scoped(&format!("building pipeline {key}"), || {
            self.inner
                .device
                .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                    label: Some(key),
                    layout: None,
                    module,
                    entry_point: Some("main"),
                    compilation_options: wgpu::PipelineCompilationOptions {
                        constants,
                        // Our kernels write workgroup memory before reading it. Zero-filling
                        // becomes a huge array constant on OpenGL that llvmpipe takes seconds to
                        // compile.
                        zero_initialize_workgroup_memory: false,
                    },
                    cache: self.inner.pipeline_cache.as_ref().map(|c| &c.cache),
                })
        })?;
        if let Some(c) = &self.inner.pipeline_cache {
            c.touch();
        }
        Counters::bump(&self.inner.counters.compiles);
        lock(&self.inner.pipelines).insert(key.to_string(), pipeline.clone());
        Ok(pipeline)
    }

    /// The render pipeline `build` makes, built once per `key` inside error scopes.
    pub(crate) fn render_pipeline(
        &self,
        key: &str,
        build: impl FnOnce(&wgpu::Device) -> wgpu::RenderPipeline,
    ) -> Result<wgpu::RenderPipeline> {
        if let Some(p) = lock(&self.inner.render_pipelines).get(key) {
            return Ok(p.clone());
        }
        let pipeline = self.scoped(&format!("building pipeline {key}"), || {
            build(&self.inner.device)
        })?;
        Counters::bump(&self.inner.counters.compiles);
        lock(&self.inner.render_pipelines).insert(key.to_string(), pipeline.clone());
        Ok(pipeline)
    }

    /// The pipeline of a generated kernel (entry point `main`), cached by its source. The source
    /// is validated with naga first, so a code-generation bug is an error naming the problem,
    /// never a driver crash.
    pub(crate) fn generated_pipeline(&self, source: &str) -> Result<wgpu::ComputePipeline> {
        self.generated_pipeline_keyed(source, || source.to_string())
    }

    /// [`generated_pipeline`](Self::generated_pipeline) cached by `key`, with the source built
    /// only on a cache miss.
    pub(crate) fn generated_pipeline_keyed(
        &self,
        key: &str,
        source: impl FnOnce() -> String,
    ) -> Result<wgpu::ComputePipeline> {
        if let Some(p) = lock(&self.inner.pipelines).get(key) {
            return Ok(p.clone());
        }
        let source = source();
        validate_wgsl(&source)
            .map_err(|e| Error::Gpu(format!("generated kernel is invalid: {e}")))?;
        let module = self.scoped("compiling a generated kernel", || {
            self.inner
                .device
                .create_shader_module(wgpu::ShaderModuleDescriptor {
                    label: Some("generated"),
                    source: wgpu::ShaderSource::Wgsl(source.into()),
                })
        })?;
        self.pipeline(key, &module, &[])
    }

    /// Compiles WGSL `source` as a shader module inside error scopes and returns what the driver
    /// said about it: a way to check a shader, and to see that errors come back as values.
    pub fn check_shader(&self, source: &str) -> Result<()> {
        self.scoped("compiling a shader", || {
            self.inner
                .device
                .create_shader_module(wgpu::ShaderModuleDescriptor {
                    label: Some("check_shader"),
                    source: wgpu::ShaderSource::Wgsl(source.into()),
                })
        })
        .map(drop)
    }
}

/// Parses and validates WGSL with naga, with the capabilities wgpu grants every backend.
pub fn validate_wgsl(source: &str) -> std::result::Result<(), String> {
    let module = naga::front::wgsl::parse_str(source).map_err(|e| e.emit_to_string(source))?;
    naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        // pack2x16float/unpack2x16float are core WGSL; naga lists them as a capability.
        naga::valid::Capabilities::SHADER_FLOAT16_IN_FLOAT32,
    )
    .validate(&module)
    .map_err(|e| e.emit_to_string(source))?;
    Ok(())
}

/// How many bytes of freed buffers the pool keeps: a quarter of the largest buffer, at least
/// 64 MiB and at most 1 GiB.
fn pool_capacity(info: &GpuInfo) -> u64 {
    (info.max_buffer_size / 4).clamp(64 << 20, 1 << 30)
}

impl fmt::Debug for Gpu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gpu")
            .field("info", &self.inner.info)
            .finish()
    }
}

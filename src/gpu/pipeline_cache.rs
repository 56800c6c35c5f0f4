//! The persistent pipeline cache: wgpu's [`wgpu::PipelineCache`] kept on disk, so that a later
//! process finds the driver's compiled pipelines instead of compiling them again.
//!
//! - **Where**: `$GPUARRAY_CACHE_DIR` (`off` disables the cache), else
//!   `$XDG_CACHE_HOME/gpuarray`, else `~/.cache/gpuarray`; one file per adapter and driver,
//!   named by [`wgpu::util::pipeline_cache_key`] (Vulkan only: the other backends have no
//!   pipeline cache to give).
//! - **Format**: our header (magic, payload length, CRC-32 of the payload) and wgpu's data.
//!   wgpu checks its own header (version, adapter, length) but not the payload, so the CRC
//!   keeps a corrupt file from reaching the driver. A file that fails either check is ignored
//!   with a warning; the cache then starts empty and the file is replaced when saved.
//! - **When**: loaded when the [`Gpu`](crate::Gpu) is made, saved when it is dropped if it
//!   compiled anything, written to a temporary file in the same directory and renamed into
//!   place, so that a reader only ever sees a whole file (two processes saving at once: the
//!   last rename wins, both files whole).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// What [`GpuInfo::pipeline_cache`](crate::GpuInfo::pipeline_cache) reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PipelineCacheState {
    /// Pipelines are cached in `path`; `loaded` says whether this process started from its
    /// contents (false: no file yet, or one that was ignored with a warning).
    File {
        /// The cache file.
        path: PathBuf,
        /// Whether the file's pipelines were loaded and accepted by wgpu and the driver.
        loaded: bool,
    },
    /// The backend or adapter has no pipeline cache (OpenGL, or no `PIPELINE_CACHE` feature).
    Unsupported,
    /// Turned off with `GPUARRAY_CACHE_DIR=off`, or no cache directory could be found.
    Off,
}

impl fmt::Display for PipelineCacheState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PipelineCacheState::File { path, loaded } => write!(
                f,
                "{} ({})",
                path.display(),
                if *loaded { "loaded" } else { "new" }
            ),
            PipelineCacheState::Unsupported => write!(f, "none on this backend"),
            PipelineCacheState::Off => write!(f, "off"),
        }
    }
}

/// What our header starts with.
const MAGIC: &[u8; 16] = b"gpuarray-pcache1";
/// Magic, payload length (u64 LE), CRC-32 of the payload (u32 LE).
const HEADER: usize = 16 + 8 + 4;

/// The cache directory the environment asks for (`None`: off).
pub(crate) fn directory() -> Option<PathBuf> {
    let env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = env("GPUARRAY_CACHE_DIR") {
        return (dir != "off").then(|| PathBuf::from(dir));
    }
    env("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| Path::new(&h).join(".cache")))
        .map(|d| d.join("gpuarray"))
}

/// A pipeline cache backed by a file.
pub(crate) struct DiskCache {
    pub cache: wgpu::PipelineCache,
    path: PathBuf,
    /// Whether a pipeline was compiled since loading (so there is something new to save).
    dirty: AtomicBool,
}

/// The device features the cache needs, where the adapter has them.
pub(crate) fn features(adapter: &wgpu::Adapter) -> wgpu::Features {
    adapter.features() & wgpu::Features::PIPELINE_CACHE
}

/// The cache for `device`, loaded from disk (or empty), and what `info` should say about it.
pub(crate) fn open(
    device: &wgpu::Device,
    adapter: &wgpu::AdapterInfo,
) -> (Option<DiskCache>, PipelineCacheState) {
    let key = wgpu::util::pipeline_cache_key(adapter);
    let (Some(key), true) = (
        key,
        device.features().contains(wgpu::Features::PIPELINE_CACHE),
    ) else {
        return (None, PipelineCacheState::Unsupported);
    };
    let Some(dir) = directory() else {
        return (None, PipelineCacheState::Off);
    };
    let path = dir.join(key);
    let data = match std::fs::read(&path) {
        Ok(bytes) => match payload(&bytes) {
            Ok(data) => Some(data.to_vec()),
            Err(why) => {
                eprintln!(
                    "gpuarray: ignoring the pipeline cache {}: {why}",
                    path.display()
                );
                None
            }
        },
        Err(_) => None,
    };
    let create = |data: Option<&[u8]>, fallback: bool| {
        // SAFETY: `data` is what `PipelineCache::get_data` returned in an earlier process (our
        // CRC over it matched), read from the file named by this adapter's
        // `pipeline_cache_key`; wgpu checks its own header (version, adapter, driver, length)
        // and the driver checks its own.
        unsafe {
            device.create_pipeline_cache(&wgpu::PipelineCacheDescriptor {
                label: Some("gpuarray pipeline cache"),
                data,
                fallback,
            })
        }
    };
    // Without fallback, data that wgpu would not use is an error we can report.
    let loaded = data.as_deref().and_then(|data| {
        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let cache = create(Some(data), false);
        match pollster::block_on(scope.pop()) {
            None => Some(cache),
            Some(e) => {
                eprintln!(
                    "gpuarray: ignoring the pipeline cache {} (another driver's?): {e}",
                    path.display()
                );
                None
            }
        }
    });
    let state = PipelineCacheState::File {
        path: path.clone(),
        loaded: loaded.is_some(),
    };
    let disk = DiskCache {
        cache: loaded.unwrap_or_else(|| create(None, true)),
        path,
        dirty: AtomicBool::new(false),
    };
    (Some(disk), state)
}

/// The wgpu data inside a cache file, or why the file is not one of ours or is damaged.
fn payload(bytes: &[u8]) -> Result<&[u8], &'static str> {
    if bytes.len() < HEADER || &bytes[..16] != MAGIC {
        return Err("not a gpuarray pipeline cache");
    }
    let len = u64::from_le_bytes(bytes[16..24].try_into().expect("8 bytes"));
    let crc = u32::from_le_bytes(bytes[24..28].try_into().expect("4 bytes"));
    let data = &bytes[HEADER..];
    if data.len() as u64 != len {
        return Err("truncated or extended");
    }
    if crc32fast::hash(data) != crc {
        return Err("corrupt (checksum mismatch)");
    }
    Ok(data)
}

/// `data` with our header in front.
fn framed(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + data.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(data.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(data).to_le_bytes());
    out.extend_from_slice(data);
    out
}

impl DiskCache {
    /// Notes that a pipeline was compiled (through the cache).
    pub fn touch(&self) {
        self.dirty.store(true, Ordering::Relaxed);
    }

    /// Writes the cache to its file if anything was compiled since it was loaded.
    pub fn save(&self) -> std::io::Result<()> {
        if !self.dirty.swap(false, Ordering::Relaxed) {
            return Ok(());
        }
        let Some(data) = self.cache.get_data() else {
            return Ok(());
        };
        let dir = self.path.parent().expect("a file in a directory");
        std::fs::create_dir_all(dir)?;
        let name = self.path.file_name().unwrap_or_default().to_string_lossy();
        let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let result =
            std::fs::write(&temp, framed(&data)).and_then(|()| std::fs::rename(&temp, &self.path));
        if result.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        result
    }
}

impl Drop for DiskCache {
    fn drop(&mut self) {
        if let Err(e) = self.save() {
            eprintln!(
                "gpuarray: could not save the pipeline cache {}: {e}",
                self.path.display()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_damage_is_caught() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
        let file = framed(&data);
        assert_eq!(payload(&file), Ok(&data[..]));
        assert!(payload(&file[..file.len() - 1]).is_err(), "truncated");
        assert!(payload(&file[..10]).is_err(), "shorter than the header");
        let mut longer = file.clone();
        longer.push(0);
        assert!(payload(&longer).is_err(), "extended");
        for at in [0, 20, 25, HEADER, file.len() - 1] {
            let mut bad = file.clone();
            bad[at] ^= 0x10;
            assert!(payload(&bad).is_err(), "a flipped bit at byte {at}");
        }
        assert!(payload(b"\x89PNG\r\n\x1a\n and more bytes here").is_err());
    }
}

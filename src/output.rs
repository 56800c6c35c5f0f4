//! Atomic output files for the CLI's batches: every result is written to a temporary file in
//! its final directory and renamed into place, so that a final name only ever holds a complete
//! file, whatever happens to the process (an error, SIGINT, `kill -9`, a full disk).
//!
//! Temporary names are recognisable: `.{name}.{pid}.gpuarray-tmp`. A process killed before it
//! could remove its own leaves them behind; the next batch into the same directory removes
//! those whose process is gone ([`clean_stale`]).

use std::path::{Path, PathBuf};

use gpuarray::{Error, Result};

/// What every temporary name ends with.
const SUFFIX: &str = ".gpuarray-tmp";

/// The temporary name for `output` written by this process.
fn temp_path(output: &Path) -> PathBuf {
    let name = output.file_name().unwrap_or_default().to_string_lossy();
    output.with_file_name(format!(".{name}.{}{SUFFIX}", std::process::id()))
}

/// The process id in a temporary name of ours, if `name` is one.
fn temp_owner(name: &str) -> Option<u32> {
    let stem = name.strip_prefix('.')?.strip_suffix(SUFFIX)?;
    stem.rsplit_once('.')?.1.parse().ok()
}

/// Whether process `pid` may still be running (and writing its temporaries). Where there is
/// no `/proc` to ask, every other process counts as alive, so nothing of theirs is removed.
fn alive(pid: u32) -> bool {
    pid == std::process::id()
        || !Path::new("/proc/self").exists()
        || Path::new(&format!("/proc/{pid}")).exists()
}

/// Removes the temporaries that dead processes left in `dir`; returns how many.
pub fn clean_stale(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name();
            temp_owner(&name.to_string_lossy()).is_some_and(|pid| !alive(pid))
        })
        .filter(|e| std::fs::remove_file(e.path()).is_ok())
        .count()
}

/// Where a result for `output` really goes: the file a symbolic link points to (so the link
/// stays a link and its target gets the new contents), else `output` itself. A dangling link
/// is an error rather than a file created wherever it points.
pub fn destination(output: &Path) -> Result<PathBuf> {
    match std::fs::symlink_metadata(output) {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(output).map_err(|e| {
            Error::Io(std::io::Error::new(
                e.kind(),
                format!("{} is a symbolic link to nowhere: {e}", output.display()),
            ))
        }),
        Ok(m) if m.is_dir() => Err(Error::Io(std::io::Error::new(
            std::io::ErrorKind::IsADirectory,
            format!("the output {} is a directory", output.display()),
        ))),
        _ => Ok(output.to_path_buf()),
    }
}

/// Writes `output` atomically: `write` fills a temporary file next to it, which is then
/// renamed into place; on any error the temporary is removed and `output` is untouched.
pub fn write_atomically(output: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let output = destination(output)?;
    let temp = temp_path(&output);
    let result = write(&temp).and_then(|()| std::fs::rename(&temp, &output).map_err(Error::from));
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names_carry_their_process() {
        let t = temp_path(Path::new("out/photo.v2.png"));
        assert_eq!(
            t,
            Path::new(&format!(
                "out/.photo.v2.png.{}.gpuarray-tmp",
                std::process::id()
            ))
        );
        assert_eq!(
            temp_owner(&t.file_name().unwrap().to_string_lossy()),
            Some(std::process::id())
        );
        assert_eq!(temp_owner(".photo.png.tmp"), None);
        assert_eq!(temp_owner("photo.png"), None);
        assert_eq!(temp_owner(".x.notapid.gpuarray-tmp"), None);
    }
}

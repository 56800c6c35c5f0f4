//! The CLI's batches under faults, driving the real binary: `kill -9` and SIGINT in the middle
//! of a batch, a full disk (`ulimit -f`), a read-only output directory, an output path that is
//! a directory, a symbolic link as the output, the input as its own output, and 1000 files with
//! mixed failures. Each time: every failure reported per file, the summary exact, and no final
//! name holding anything but a complete image (temporaries, named `.NAME.PID.gpuarray-tmp`, are
//! removed by the next run into the directory).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_gpuarray");

/// A fresh scratch directory under the target directory.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `n` PNGs `f0000.png …` of `size × size` RGB noise (seeded by their index) in `dir`.
fn pngs(dir: &Path, n: usize, size: u32) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).unwrap();
    (0..n)
        .map(|i| {
            let mut state = (i as u32).wrapping_mul(2_654_435_761) | 1;
            let img = image::RgbImage::from_fn(size, size, |_, _| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                image::Rgb([state as u8, (state >> 8) as u8, (state >> 16) as u8])
            });
            let path = dir.join(format!("f{i:04}.png"));
            img.save(&path).unwrap();
            path
        })
        .collect()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn filter(args: &[&str]) -> Output {
    Command::new(BIN).arg("filter").args(args).output().unwrap()
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

fn is_temp(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(".gpuarray-tmp")
}

/// Every file at a final name in `dir` decodes completely to `size × size`; returns how many.
fn all_complete(dir: &Path, size: u32) -> usize {
    let finals: Vec<String> = names(dir).into_iter().filter(|n| !is_temp(n)).collect();
    for name in &finals {
        let img = image::open(dir.join(name))
            .unwrap_or_else(|e| panic!("{name} at its final name is not a complete image: {e}"));
        assert_eq!((img.width(), img.height()), (size, size), "{name}");
    }
    finals.len()
}

/// Starts a batch of `inputs` into `out`, waits until `at_least` outputs exist, then returns
/// the running child.
fn start_batch(inputs: &Path, out: &Path, at_least: usize) -> std::process::Child {
    let child = Command::new(BIN)
        .args([
            "filter",
            inputs.to_str().unwrap(),
            "--out-dir",
            out.to_str().unwrap(),
        ])
        .args(["--op", "blur:sigma=2", "--op", "edges"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while names(out).iter().filter(|n| !is_temp(n)).count() < at_least {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the batch does not progress"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child
}

/// A process id that is not running (for a planted stale temporary).
fn dead_pid() -> u32 {
    (100_000..)
        .find(|p| !Path::new(&format!("/proc/{p}")).exists())
        .unwrap()
}

#[test]
fn kill_9_leaves_only_complete_files_and_the_next_run_cleans_up() {
    let dir = scratch("faults-kill9");
    let (inputs, out) = (dir.join("in"), dir.join("out"));
    pngs(&inputs, 200, 96);
    std::fs::create_dir_all(&out).unwrap();
    let mut child = start_batch(&inputs, &out, 10);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let done = all_complete(&out, 96);
    assert!(
        (10..200).contains(&done),
        "killed mid-batch: {done} of 200 written"
    );

    // A stale temporary of a dead process goes; one of a live process (this test) stays.
    let stale = format!(".f0001.png.{}.gpuarray-tmp", dead_pid());
    let live = format!(".f0002.png.{}.gpuarray-tmp", std::process::id());
    std::fs::write(out.join(&stale), b"half an image").unwrap();
    std::fs::write(out.join(&live), b"being written").unwrap();
    let before = names(&out).iter().filter(|n| is_temp(n)).count();
    let one = inputs.join("f0000.png");
    let o = filter(&[
        one.to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
        "--op",
        "edges",
    ]);
    let err = text(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains(&format!("removed {} temporary file(s)", before - 1)),
        "{before} temporaries, all but the live one removed: {err}"
    );
    let temps: Vec<String> = names(&out).into_iter().filter(|n| is_temp(n)).collect();
    assert_eq!(temps, [live]);
}

#[test]
fn sigint_stops_after_the_current_file_and_exits_130() {
    let dir = scratch("faults-sigint");
    let (inputs, out) = (dir.join("in"), dir.join("out"));
    pngs(&inputs, 200, 96);
    std::fs::create_dir_all(&out).unwrap();
    let child = start_batch(&inputs, &out, 5);
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let o = child.wait_with_output().unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(130), "{err}");
    let done = all_complete(&out, 96);
    assert!(
        names(&out).iter().all(|n| !is_temp(n)),
        "no temporaries: {:?}",
        names(&out)
    );
    assert!(
        err.contains(&format!(
            "interrupted: {done} of 200 image(s) written, 0 failed, {} not processed",
            200 - done
        )),
        "{done} written: {err}"
    );
    assert!(done < 200, "stopped early");
}

#[test]
fn a_full_disk_fails_the_files_that_do_not_fit_and_no_others() {
    let dir = scratch("faults-full");
    let (inputs, out) = (dir.join("in"), dir.join("out"));
    // Small images fit under the limit (64 KiB per file), large ones do not.
    pngs(&inputs.join("small"), 3, 16);
    let big = pngs(&inputs.join("big"), 2, 256);
    std::fs::create_dir_all(&out).unwrap();
    // `ulimit -f` makes a write past it raise SIGXFSZ; ignored (as a shell's trap leaves it for
    // the program it runs), the write fails with EFBIG, as on a full disk.
    let o = Command::new("bash")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 64; exec \"$0\" filter \"$1\" \"$2\" --out-dir \"$3\" --op edges")
        .arg(BIN)
        .args([inputs.join("small"), inputs.join("big"), out.clone()])
        .output()
        .unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    for b in &big {
        assert!(
            err.contains(&format!("{}: ", b.display())),
            "{} reported: {err}",
            b.display()
        );
    }
    assert!(err.contains("3 of 5 image(s) written, 2 failed"), "{err}");
    assert_eq!(
        names(&out),
        ["f0000.png", "f0001.png", "f0002.png"],
        "no partial files"
    );
    assert_eq!(all_complete(&out, 16), 3);
}

#[test]
fn a_read_only_output_directory_fails_each_file() {
    let dir = scratch("faults-readonly");
    let (inputs, out) = (dir.join("in"), dir.join("out"));
    pngs(&inputs, 3, 16);
    std::fs::create_dir_all(&out).unwrap();
    // Root writes through permission bits, so a read-only file system it is (a read-only
    // tmpfs); anyone else gets a directory without write permission.
    let root = Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
    if root {
        let mount = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                "ro,size=1m",
                "tmpfs",
                out.to_str().unwrap(),
            ])
            .status()
            .unwrap();
        assert!(
            mount.success(),
            "mounting a read-only tmpfs (needs CAP_SYS_ADMIN)"
        );
    } else {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o555)).unwrap();
    }
    let o = filter(&[
        inputs.to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
        "--op",
        "edges",
    ]);
    if root {
        Command::new("umount").arg(&out).status().unwrap();
    }
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let why = if root {
        "Read-only file system"
    } else {
        "Permission denied"
    };
    for i in 0..3 {
        let line = err.lines().find(|l| l.contains(&format!("f000{i}.png: ")));
        assert!(
            line.is_some_and(|l| l.contains(why)),
            "f000{i}.png: {why}: {err}"
        );
    }
    assert!(err.contains("0 of 3 image(s) written, 3 failed"), "{err}");
}

#[test]
fn awkward_output_paths() {
    let dir = scratch("faults-paths");
    let input = &pngs(&dir.join("in"), 1, 16)[0];
    let input_s = input.to_str().unwrap();

    // An output path that is a directory: an error, the directory untouched.
    let as_dir = dir.join("taken.png");
    std::fs::create_dir_all(as_dir.join("inside")).unwrap();
    let o = filter(&[input_s, "-o", as_dir.to_str().unwrap(), "--op", "edges"]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("is a directory") && err.contains("0 of 1"),
        "{err}"
    );
    assert_eq!(names(&as_dir), ["inside"]);
    assert!(names(&dir).iter().all(|n| !is_temp(n)));

    // A symbolic link: the file it points to gets the result, the link stays a link.
    let target = dir.join("target.png");
    std::fs::write(&target, b"old contents").unwrap();
    let link = dir.join("link.png");
    std::os::unix::fs::symlink("target.png", &link).unwrap();
    let o = filter(&[input_s, "-o", link.to_str().unwrap(), "--op", "grayscale"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(image::open(&target).unwrap().color(), image::ColorType::L8);

    // A dangling link: an error, nothing created.
    let dangling = dir.join("dangling.png");
    std::os::unix::fs::symlink("nowhere/at/all.png", &dangling).unwrap();
    let o = filter(&[
        input_s,
        "-o",
        dangling.to_str().unwrap(),
        "--op",
        "grayscale",
    ]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("symbolic link to nowhere"), "{err}");

    // The input as its own output: replaced in place, atomically.
    let own = dir.join("own.png");
    std::fs::copy(input, &own).unwrap();
    let o = filter(&[
        own.to_str().unwrap(),
        "-o",
        own.to_str().unwrap(),
        "--op",
        "grayscale",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let img = image::open(&own).unwrap();
    assert_eq!((img.color(), img.width()), (image::ColorType::L8, 16));
    assert!(names(&dir).iter().all(|n| !is_temp(n)), "{:?}", names(&dir));
}

#[test]
fn a_thousand_files_with_mixed_failures_are_each_reported() {
    let dir = scratch("faults-thousand");
    let (inputs, out) = (dir.join("in"), dir.join("out"));
    let files = pngs(&inputs, 1000, 8);
    std::fs::create_dir_all(&out).unwrap();
    let good = std::fs::read(&files[0]).unwrap();
    let mut bad = vec![];
    for (i, f) in files.iter().enumerate() {
        let name = f.file_name().unwrap().to_str().unwrap().to_string();
        match i % 10 {
            3 => std::fs::write(f, &good[..good.len() / 2]).unwrap(), // truncated
            7 => std::fs::write(f, b"not an image").unwrap(),         // garbage
            _ if i % 97 == 5 => std::fs::write(f, b"").unwrap(),      // empty
            // A directory already at the output name: the write fails.
            _ if i % 89 == 1 => std::fs::create_dir(out.join(&name)).unwrap(),
            _ => continue,
        }
        bad.push(name);
    }
    let o = filter(&[
        inputs.to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
        "--op",
        "sharpen",
    ]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let reported: Vec<&str> = err
        .lines()
        .filter(|l| l.contains(": I/O error") || l.contains(": image error"))
        .collect();
    assert_eq!(
        reported.len(),
        bad.len(),
        "one line per failed file:\n{err}"
    );
    for name in &bad {
        assert!(err.contains(&format!("{name}: ")), "{name} reported");
    }
    let written = 1000 - bad.len();
    assert!(
        err.contains(&format!(
            "{written} of 1000 image(s) written, {} failed",
            bad.len()
        )),
        "{err}"
    );
    // Every output that is a file is complete; the directories in the way are still there.
    let finals: Vec<String> = names(&out)
        .into_iter()
        .filter(|n| out.join(n).is_file())
        .collect();
    assert_eq!(finals.len(), written);
    for n in &finals {
        image::open(out.join(n)).unwrap_or_else(|e| panic!("{n}: {e}"));
    }
    assert!(names(&out).iter().all(|n| !is_temp(n)));
}

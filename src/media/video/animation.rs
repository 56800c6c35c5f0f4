//! Animated GIF and APNG files as frame streams, decoded by the `image` crate.

use std::io::BufReader;
use std::path::Path;
use std::sync::mpsc;
use std::thread;

use image::AnimationDecoder;
use image::codecs::gif::GifDecoder;
use image::codecs::png::PngDecoder;

use crate::error::{Error, Result};
use crate::media::video::stream::{Frame, FrameSource};
use crate::view::view::HostArray;

/// The frames of an animated GIF or APNG as RGBA `[height, width, 4]` u8, composited as the
/// format says (each frame is the whole canvas). A thread decodes them one ahead of the reader,
/// so memory holds two frames whatever the animation's length.
pub struct AnimationReader {
    frames: mpsc::Receiver<Result<HostArray>>,
    index: usize,
}

impl AnimationReader {
    /// Opens `path` (GIF, or a PNG with an animation; a still PNG is one frame).
    pub fn open(path: impl AsRef<Path>) -> Result<AnimationReader> {
        let path = path.as_ref().to_path_buf();
        // Fail early, on this thread, for a file that is not there.
        std::fs::metadata(&path)?;
        let (send, frames) = mpsc::sync_channel(1);
        thread::spawn(move || {
            let decode = || -> Result<image::Frames<'static>> {
                let file = BufReader::new(std::fs::File::open(&path)?);
                let is_gif = path
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("gif"));
                Ok(if is_gif {
                    GifDecoder::new(file)?.into_frames()
                } else {
                    let png = PngDecoder::new(file)?;
                    if !png.is_apng()? {
                        return Err(Error::unsupported(
                            "a still PNG as a video (animated GIF and APNG files are read)",
                        ));
                    }
                    png.apng()?.into_frames()
                })
            };
            let frames = match decode() {
                Ok(frames) => frames,
                Err(e) => {
                    let _ = send.send(Err(e));
                    return;
                }
            };
            for frame in frames {
                let frame = frame.map_err(Error::from).and_then(|f| {
                    let rgba = f.into_buffer();
                    let (w, h) = rgba.dimensions();
                    HostArray::from_bytes(&rgba.into_raw(), &[h as usize, w as usize, 4], "B")
                });
                let failed = frame.is_err();
                if send.send(frame).is_err() || failed {
                    return;
                }
            }
        });
        Ok(AnimationReader { frames, index: 0 })
    }
}

impl FrameSource for AnimationReader {
    fn next_frame(&mut self) -> Result<Option<Frame>> {
        match self.frames.recv() {
            Ok(frame) => {
                let frame = frame?;
                self.index += 1;
                Ok(Some(Frame::Packed(frame)))
            }
            Err(_) => Ok(None),
        }
    }

    fn index(&self) -> usize {
        self.index
    }
}

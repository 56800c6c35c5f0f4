//! The one error type of the crate.

/// Everything that can go wrong in gpuarray. Each variant names the problem; no public function
/// panics on bad input.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A PEP 3118 format string (or NumPy typestr) that does not parse.
    #[error("bad format string {input:?} at byte {pos}: {reason}")]
    Format {
        /// The whole string that was given.
        input: String,
        /// Byte position of the problem in `input`.
        pos: usize,
        /// What is wrong there.
        reason: String,
    },
    /// Shape, strides and offset that do not describe valid memory in the buffer.
    #[error("bad layout: {0}")]
    Layout(String),
    /// A shape that does not fit the operation (reshape, broadcast, image conversion, ...).
    #[error("bad shape: {0}")]
    Shape(String),
    /// An element type that does not fit the operation.
    #[error("bad dtype: {0}")]
    Dtype(String),
    /// Valid input that this library (or this adapter) does not support.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// No GPU adapter could be found.
    #[error("no GPU adapter: {0}")]
    NoAdapter(String),
    /// A validation or device error reported by the GPU driver.
    #[error("GPU error: {0}")]
    Gpu(String),
    /// The GPU ran out of memory.
    #[error("GPU out of memory: {0}")]
    OutOfMemory(String),
    /// A parameter of an operation that is unknown, missing or out of range.
    #[error("bad parameter: {0}")]
    Parameter(String),
    /// A file could not be read or written.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// An image could not be decoded or encoded.
    #[error("image error: {0}")]
    Image(#[from] image::ImageError),
}

/// `Result` with [`Error`] as the error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The same error again (for errors stored in a value and reported at each use).
    pub(crate) fn replay(&self) -> Error {
        match self {
            Error::Format { input, pos, reason } => Error::Format {
                input: input.clone(),
                pos: *pos,
                reason: reason.clone(),
            },
            Error::Layout(m) => Error::Layout(m.clone()),
            Error::Shape(m) => Error::Shape(m.clone()),
            Error::Dtype(m) => Error::Dtype(m.clone()),
            Error::Unsupported(m) => Error::Unsupported(m.clone()),
            Error::NoAdapter(m) => Error::NoAdapter(m.clone()),
            Error::Gpu(m) => Error::Gpu(m.clone()),
            Error::OutOfMemory(m) => Error::OutOfMemory(m.clone()),
            Error::Parameter(m) => Error::Parameter(m.clone()),
            Error::Io(e) => Error::Io(std::io::Error::new(e.kind(), e.to_string())),
            Error::Image(e) => Error::Io(std::io::Error::other(e.to_string())),
        }
    }

    pub(crate) fn layout(msg: impl Into<String>) -> Self {
        Error::Layout(msg.into())
    }
    pub(crate) fn shape(msg: impl Into<String>) -> Self {
        Error::Shape(msg.into())
    }
    pub(crate) fn dtype(msg: impl Into<String>) -> Self {
        Error::Dtype(msg.into())
    }
    pub(crate) fn unsupported(msg: impl Into<String>) -> Self {
        Error::Unsupported(msg.into())
    }
}

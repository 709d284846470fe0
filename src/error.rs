//! The one error type for everything a user can get wrong: files, the
//! shapes and values of their arrays, labels and configuration.
//!
//! Programmer errors (two internal ops handed arrays of mismatched
//! shapes) are not here: those panic with a message, because no input a
//! user gives can reach them once the data has been validated.

use std::path::PathBuf;

/// What went wrong with a user's input, with enough context to fix it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be opened, read or written. (The I/O error is
    /// part of the message, not a separate cause, so it prints once.)
    #[error("{path}: {cause}")]
    Io { path: PathBuf, cause: std::io::Error },

    /// A file exists but is not a readable `.npy` / `.npz` array.
    #[error("{path}: not a readable .npy array: {reason}")]
    NotNpy { path: PathBuf, reason: String },

    /// An array has a dtype lamina cannot use for its role.
    #[error("{path}: array {array} has dtype {found}, expected {expected}")]
    Dtype { path: PathBuf, array: String, expected: String, found: String },

    /// An array has the wrong shape, alone or against another array.
    #[error("{path}: array {array} has shape {found}, expected {expected}")]
    Shape { path: PathBuf, array: String, expected: String, found: String },

    /// A value inside an array is not allowed (NaN, label out of range,
    /// a row that is not a probability distribution, ...).
    #[error("{path}: array {array}, {index}: {problem}")]
    Value { path: PathBuf, array: String, index: String, problem: String },

    /// A configuration value is out of its range or inconsistent.
    #[error("invalid configuration: {0}")]
    Config(String),

    /// Training produced a loss that is not finite: the learning rate is
    /// too high for the data, or the data are badly scaled.
    #[error(
        "training diverged in mode {mode}, epoch {epoch}, batch {batch}: \
         the {task} loss is {value}; nothing was saved (try a lower --lr \
         or check the normalisation)"
    )]
    Diverged {
        mode: String,
        epoch: usize,
        batch: usize,
        task: &'static str,
        value: f32,
    },

    /// A saved model or metrics file is malformed.
    #[error("{path}: {reason}")]
    Format { path: PathBuf, reason: String },
}

/// Shorthand for results whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, cause: std::io::Error) -> Error {
        Error::Io { path: path.into(), cause }
    }
}

//! lamina: a multi-task 1D U-Net for cortical depth profiles.
//!
//! The data path, one module per stage:
//!
//! ```text
//! files (.npy) -> data::Dataset -> data::Batches -> engine::Tape
//!   -> losses (ops::softmax_ce) -> train::Adam -> train::metrics -> report
//! ```
//!
//! * [`engine`]: the reverse-mode tape, parameters and the float trait.
//! * [`ops`]: each differentiable op, forward and backward side by side.
//! * [`model`]: the configurable U-Net with its classification branch.
//! * [`data`]: reading, validating, splitting and normalising profiles,
//!   and the synthetic generator.
//! * [`train`]: optimisers, training modes, metrics and reports.

mod atomic;
pub mod data;
pub mod engine;
pub mod error;
pub mod experiment;
pub mod model;
pub mod ops;
pub mod report;
pub mod saved;
pub mod train;

pub use error::{Error, Result};

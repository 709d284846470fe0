//! Everything between files on disk and index batches for the trainer:
//! reading and writing `.npy` arrays, validating a dataset, splitting it
//! into train and test, normalising profiles, ordering batches, and the
//! synthetic generator used as the default data.
//!
//! This module owns the user's data and its validation: once
//! [`load`] returns, every shape and label is known to be consistent, so
//! later stages may panic on mismatches instead of returning errors. It
//! knows nothing of models, losses or training.
//!
//! # Example
//!
//! ```
//! use lamina::data::{self, Batches, DataFiles, NormMode, Normalizer};
//! use lamina::data::{Split, SynthConfig};
//!
//! # fn main() -> lamina::Result<()> {
//! let dir = std::env::temp_dir().join("lamina-doc-data-example");
//! let cfg = SynthConfig { n: 36, ..SynthConfig::default() };
//! data::write_dir(&data::generate(&cfg), &dir)?;
//!
//! let ds = data::load(&DataFiles::in_dir(&dir), 6, 18)?;
//! let groups = data::load_groups(&dir.join("hemi.npy"), ds.len())?;
//! let split = Split::ByGroup { groups, test_group: 1 };
//! let (train, test) = data::split_indices(ds.len(), &split)?;
//! let (train, test) = (ds.take(&train), ds.take(&test));
//!
//! let norm = Normalizer::fit(&train.x, NormMode::Dataset)?;
//! let x = norm.apply(&train.x);
//! for batch in Batches::new(train.len(), 8, Some(1)) {
//!     assert!(batch.len() <= 8 && x.row(batch[0]).len() == 256);
//! }
//! assert_eq!((train.len(), test.len()), (18, 18));
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok(())
//! # }
//! ```

mod areas;
mod batches;
mod check;
mod dataset;
mod labels;
mod normalize;
pub mod npy;
mod split;
mod synth;
#[cfg(test)]
mod testutil;

pub use areas::{AREAS, AreaStats, N_LAYERS};
pub use batches::Batches;
pub use dataset::{DataFiles, Dataset, load, load_groups, load_x};
pub use labels::Labels;
pub use normalize::{NormMode, Normalizer, PROFILE_EPS};
pub use split::{Split, split_indices};
pub use synth::{SynthConfig, generate, write_dir};

//! The main job as a library: prepare a data set (load or synthesise,
//! split, normalise), train one mode for some epochs, and compare modes
//! on the same data, seed and schedule.
//!
//! The binary and `examples/compare.rs` are thin shells over this file.

use std::path::PathBuf;
use std::time::Instant;

use crate::data::{self, DataFiles, Dataset, NormMode, Normalizer, Split};
use crate::engine::Params;
use crate::model::{UNet, UNetConfig};
use crate::train::{EpochRecord, Mode, TrainConfig, Trainer};
use crate::{Error, Result};

/// Where the profiles come from.
#[derive(Clone, Debug)]
pub enum Source {
    /// `.npy` files named one by one (or found in a folder).
    Files(DataFiles),
    /// The embedded synthetic generator, calibrated on BigBrain
    /// statistics: `n` profiles of length `length`.
    Synthetic { n: usize, length: usize, seed: u64 },
}

/// How to split, as a user says it.
#[derive(Clone, Debug)]
pub enum SplitChoice {
    /// By a group array file (`--split-by hemi.npy --test-group 1`).
    ByGroupFile { path: PathBuf, test_group: i64 },
    /// At random.
    Random { test_fraction: f64, seed: u64 },
}

/// A data set ready to train on: normalised train and test parts.
pub struct Prepared {
    pub train: Dataset,
    pub test: Dataset,
    pub normalizer: Normalizer,
    /// One line saying what was loaded and how it was split.
    pub description: String,
    /// The split that made `train` and `test`.
    pub split: SplitChoice,
}

/// Loads (or generates), splits and normalises the data.
///
/// # Errors
///
/// Every [`Error`] of [`data::load`] and [`data::load_groups`] for bad
/// files, and [`Error::Config`] for an impossible split or a training
/// part that cannot be normalised.
pub fn prepare(
    source: &Source,
    split: &SplitChoice,
    norm: NormMode,
    n_layers: usize,
    n_areas: usize,
) -> Result<Prepared> {
    let (all, what) = match source {
        Source::Files(files) => {
            let ds = data::load(files, n_layers, n_areas)?;
            (ds, format!("{}", files.x.display()))
        }
        Source::Synthetic { n, length, seed } => {
            if n_layers != data::N_LAYERS || n_areas != data::AREAS.len() {
                return Err(Error::Config(format!(
                    "the synthetic data has {} layers and {} areas, not {n_layers} and {n_areas}",
                    data::N_LAYERS,
                    data::AREAS.len()
                )));
            }
            let cfg = data::SynthConfig {
                n: *n,
                length: *length,
                seed: *seed,
                ..Default::default()
            };
            (data::generate(&cfg), format!("synthetic profiles (seed {seed})"))
        }
    };

    let (mut train, mut test, how) = split_data(&all, split)?;
    warn_unlabelled(&train, "training");
    warn_unlabelled(&test, "test");

    let normalizer = Normalizer::fit(&train.x, norm)?;
    train.x = normalizer.apply(&train.x);
    test.x = normalizer.apply(&test.x);
    let description = format!(
        "{what}: {} profiles of length {}, {how}: {} train, {} test, {norm} normalisation",
        all.len(),
        all.profile_len(),
        train.len(),
        test.len()
    );
    Ok(Prepared { train, test, normalizer, description, split: split.clone() })
}

/// Splits `all` into (train, test) and says how, in words.
///
/// # Errors
///
/// [`Error`]s of [`data::load_groups`] for a bad group file, and
/// [`Error::Config`] for a split that leaves a part empty.
pub fn split_data(
    all: &Dataset,
    split: &SplitChoice,
) -> Result<(Dataset, Dataset, String)> {
    let (split, how) = match split {
        SplitChoice::ByGroupFile { path, test_group } => {
            let groups = data::load_groups(path, all.len())?;
            let how =
                format!("test = group {test_group} of {}", path.display());
            (Split::ByGroup { groups, test_group: *test_group }, how)
        }
        SplitChoice::Random { test_fraction, seed } => {
            let how = format!(
                "random {:.0}% test (seed {seed})",
                test_fraction * 100.0
            );
            (Split::Random { test_fraction: *test_fraction, seed: *seed }, how)
        }
    };
    let (train_idx, test_idx) = data::split_indices(all.len(), &split)
        .map_err(|e| match e {
            Error::Config(msg) => {
                Error::Config(format!("split ({how}): {msg}"))
            }
            e => e,
        })?;
    Ok((all.take(&train_idx), all.take(&test_idx), how))
}

/// Warns when a task has no labelled row in a part: its loss and
/// accuracy are then reported as 0 and mean nothing.
fn warn_unlabelled(part: &Dataset, name: &str) {
    for (labels, task) in [(&part.seg, "layer"), (&part.cls, "area")] {
        if labels.n_labelled() == 0 {
            log::warn!(
                "the {name} part has no {task} label (all -1 or zero \
                 rows): its {task} loss and accuracy read n/a"
            );
        }
    }
}

/// A finished run of one mode.
pub struct RunResult {
    pub mode: Mode,
    /// The seed of the weights, batch order and dropout.
    pub seed: u64,
    pub net: UNet,
    pub params: Params<f32>,
    pub records: Vec<EpochRecord>,
    /// Wall time of all training steps (evaluation excluded).
    pub train_seconds: f64,
    /// Wall time of the whole run, evaluation included.
    pub total_seconds: f64,
}

impl RunResult {
    /// The last epoch's record.
    pub fn last(&self) -> &EpochRecord {
        self.records.last().expect("a run has at least one epoch")
    }
}

/// Callbacks a run reports through: `batch(done, total)` after each
/// batch, `epoch(record)` after each epoch.
pub struct Observer<'a> {
    pub batch: &'a mut dyn FnMut(usize, usize),
    pub epoch: &'a mut dyn FnMut(&EpochRecord),
}

/// Trains one mode from fresh weights drawn from `train.seed`.
///
/// # Errors
///
/// [`Error::Config`] for an invalid model or training configuration, or
/// a model length that differs from the data's; [`Error::Diverged`] if a
/// loss stops being finite.
pub fn run_mode(
    data: &Prepared,
    model: &UNetConfig,
    train: &TrainConfig,
    observer: &mut Observer<'_>,
) -> Result<RunResult> {
    train.validate()?;
    if model.length != data.train.profile_len() {
        return Err(Error::Config(format!(
            "the model expects profiles of length {}, the data has {}",
            model.length,
            data.train.profile_len()
        )));
    }
    let (trains_seg, trains_cls) = train.mode.trained_heads();
    for (trains, labels, task) in [
        (trains_seg, &data.train.seg, "layer"),
        (trains_cls, &data.train.cls, "area"),
    ] {
        if trains && labels.n_labelled() == 0 {
            return Err(Error::Config(format!(
                "mode {} trains on {task} labels, but the training part has \
                 none (all -1 or zero rows)",
                train.mode
            )));
        }
    }
    let (net, params) = UNet::init::<f32>(model.clone(), train.seed)?;
    let start = Instant::now();
    let mut trainer = Trainer::new(&net, params, train.clone());
    let mut records = Vec::new();
    for _ in 0..train.epochs {
        let record = trainer.epoch_with_metrics(
            &data.train,
            Some(&data.test),
            observer.batch,
        )?;
        (observer.epoch)(&record);
        records.push(record);
    }
    let train_seconds = records.iter().map(|r| r.train_seconds).sum();
    let params = trainer.params;
    Ok(RunResult {
        mode: train.mode,
        seed: train.seed,
        net,
        params,
        records,
        train_seconds,
        total_seconds: start.elapsed().as_secs_f64(),
    })
}

/// The modes `lamina compare` runs when none are named.
pub fn default_modes() -> Vec<Mode> {
    ["seg", "cls", "joint:0.5", "joint:1", "alternating"]
        .iter()
        .map(|m| m.parse().expect("valid default mode"))
        .collect()
}

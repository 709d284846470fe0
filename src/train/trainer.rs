//! The training loop: epochs of shuffled batches, one [`train_batch`]
//! each, and the metrics recorded after every epoch.
//!
//! All randomness comes from the run's seed: the weights (the model's
//! `init`), the batch order of each epoch and dropout. Every mode run
//! with the same seed therefore sees the same initial weights and the
//! same batches, which is what makes modes comparable, and what makes
//! `joint:1` reproduce `seg` bit for bit.

use std::time::Instant;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::{Adam, AdamConfig, Batch, Metrics, Mode, evaluate, train_batch};
use crate::data::{Batches, Dataset};
use crate::engine::Params;
use crate::model::{Part, UNet};
use crate::{Error, Result};

/// The schedule of one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub mode: Mode,
    pub epochs: usize,
    pub batch_size: usize,
    pub adam: AdamConfig,
    /// Seeds the weights, the batch order and dropout.
    pub seed: u64,
    /// Profiles per forward pass when evaluating.
    pub eval_batch: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            mode: Mode::Joint { alpha: 0.5 },
            epochs: 5,
            batch_size: 32,
            adam: AdamConfig::default(),
            seed: 0,
            eval_batch: 64,
        }
    }
}

impl TrainConfig {
    /// Checks the schedule and Adam's settings.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the first value out of range.
    pub fn validate(&self) -> Result<()> {
        let bad = |msg: String| Err(Error::Config(msg));
        for (name, v) in [
            ("epochs", self.epochs),
            ("batch size", self.batch_size),
            ("evaluation batch size", self.eval_batch),
        ] {
            if v == 0 {
                return bad(format!("{name} must be at least 1"));
            }
        }
        let a = &self.adam;
        if !(a.lr.is_finite() && a.lr > 0.0) {
            return bad(format!(
                "learning rate {} must be a positive number",
                a.lr
            ));
        }
        if !((0.0..1.0).contains(&a.beta1) && (0.0..1.0).contains(&a.beta2)) {
            return bad(format!(
                "Adam betas {} and {} must be in [0, 1)",
                a.beta1, a.beta2
            ));
        }
        if !(a.eps.is_finite() && a.eps > 0.0) {
            return bad(format!(
                "Adam epsilon {} must be a positive number",
                a.eps
            ));
        }
        Ok(())
    }
}

/// What one epoch measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    pub mode: String,
    /// 1 for the first epoch.
    pub epoch: usize,
    /// Wall time of the epoch's training steps, evaluation excluded.
    pub train_seconds: f64,
    pub train: Metrics,
    pub test: Option<Metrics>,
}

/// Derives independent seeds for the streams of one run.
fn stream_seed(seed: u64, stream: u64) -> u64 {
    // SplitMix64 finaliser over seed and stream.
    let mut z = seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The optimisers a mode trains with, each owning its parts.
pub fn optimizers_for(
    mode: Mode,
    net: &UNet,
    params: &Params<f32>,
    adam: AdamConfig,
) -> Vec<Adam> {
    let owning = |parts: &[Part]| Adam::new(adam, net.params_in(parts), params);
    match mode {
        Mode::Seg => vec![owning(&Part::SEG)],
        Mode::Cls => vec![owning(&Part::CLS)],
        Mode::Joint { .. } | Mode::Sum => vec![owning(&Part::ALL)],
        Mode::Alternating { .. } => {
            vec![owning(&Part::SEG), owning(&Part::CLS)]
        }
    }
}

/// The whole state of a run between two epochs.
pub struct Trainer<'n> {
    pub net: &'n UNet,
    pub params: Params<f32>,
    pub optimizers: Vec<Adam>,
    pub config: TrainConfig,
    /// Epochs completed.
    pub epoch: usize,
    dropout_rng: ChaCha8Rng,
}

impl<'n> Trainer<'n> {
    /// A run starting from `params` (normally fresh from `UNet::init`
    /// with `config.seed`).
    pub fn new(
        net: &'n UNet,
        params: Params<f32>,
        config: TrainConfig,
    ) -> Self {
        let optimizers = optimizers_for(config.mode, net, &params, config.adam);
        let dropout_rng =
            ChaCha8Rng::seed_from_u64(stream_seed(config.seed, 1));
        Trainer { net, params, optimizers, config, epoch: 0, dropout_rng }
    }

    /// One pass over `train` in this epoch's shuffled order. `on_batch`
    /// hears `(profiles done, profiles in all)` after each batch.
    ///
    /// # Errors
    ///
    /// [`Error::Diverged`] as soon as a batch's loss is not finite; the
    /// parameters are then not worth saving.
    pub fn train_epoch(
        &mut self,
        train: &Dataset,
        on_batch: &mut dyn FnMut(usize, usize),
    ) -> Result<()> {
        let order_seed =
            stream_seed(self.config.seed, 1000 + self.epoch as u64);
        let batches =
            Batches::new(train.len(), self.config.batch_size, Some(order_seed));
        let mut done = 0;
        for (index, idx) in batches.enumerate() {
            let batch = Batch::gather(train, &idx);
            let losses = train_batch(
                self.net,
                &mut self.params,
                &mut self.optimizers,
                self.config.mode,
                &batch,
                index,
                &mut self.dropout_rng,
            );
            let tasks = [("layer", losses.seg), ("area", losses.cls)];
            if let Some((task, value)) = tasks
                .into_iter()
                .find_map(|(t, v)| v.filter(|v| !v.is_finite()).map(|v| (t, v)))
            {
                return Err(Error::Diverged {
                    mode: self.config.mode.to_string(),
                    epoch: self.epoch + 1,
                    batch: index + 1,
                    task,
                    value,
                });
            }
            done += idx.len();
            on_batch(done, train.len());
        }
        self.epoch += 1;
        Ok(())
    }

    /// Trains one epoch and measures both parts afterwards.
    pub fn epoch_with_metrics(
        &mut self,
        train: &Dataset,
        test: Option<&Dataset>,
        on_batch: &mut dyn FnMut(usize, usize),
    ) -> Result<EpochRecord> {
        let start = Instant::now();
        self.train_epoch(train, on_batch)?;
        let train_seconds = start.elapsed().as_secs_f64();
        let eval = |data: &Dataset| {
            evaluate(self.net, &self.params, data, self.config.eval_batch)
        };
        Ok(EpochRecord {
            mode: self.config.mode.to_string(),
            epoch: self.epoch,
            train_seconds,
            train: eval(train),
            test: test.map(eval),
        })
    }
}

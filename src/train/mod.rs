//! Training: batches onto tapes, losses per mode, the Adam optimisers,
//! the epoch loop and the metrics it records.

mod adam;
mod batch;
mod metrics;
mod mode;
mod step;
mod trainer;

pub use adam::{Adam, AdamConfig};
pub use batch::{Batch, targets};
pub use metrics::{Metrics, argmax, evaluate, predict};
pub use mode::{Mode, Order};
pub use step::{StepLosses, TaskLosses, task_losses, train_batch};
pub use trainer::{EpochRecord, TrainConfig, Trainer, optimizers_for};

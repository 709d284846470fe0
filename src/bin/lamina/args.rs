//! The command line: subcommands and their flags.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "lamina",
    version,
    about = "Segment cortical depth profiles into layers and classify their area with a multi-task 1D U-Net"
)]
pub struct Cli {
    /// More log output (-v: decisions, -vv: details).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, global = true)]
    pub threads: Option<usize>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Train one mode and save the model and its per-epoch metrics.
    Train(TrainArgs),
    /// Train several modes on the same data, seed and schedule, and
    /// print their held-out metrics side by side.
    Compare(CompareArgs),
    /// Predict layers and area probabilities for profiles.
    Predict(PredictArgs),
    /// Metrics of a saved model on a labelled data set.
    Evaluate(EvaluateArgs),
    /// Write synthetic profiles (the embedded default data) as .npy.
    Synth(SynthArgs),
}

/// The files of a labelled data set.
#[derive(Args, Debug, Clone)]
pub struct FileArgs {
    /// Folder with X.npy, Y_seg.npy, Y_cls.npy (and hemi.npy). For
    /// train and compare, without --data or --x synthetic profiles are
    /// generated (the embedded default).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Profiles, (N, L, 1) or (N, L), float32 or float64 (with --data,
    /// replaces the folder's X.npy; likewise --y-seg and --y-cls).
    #[arg(long)]
    pub x: Option<PathBuf>,
    /// Layer labels, (N, L) integers or (N, L, C) probabilities.
    #[arg(long)]
    pub y_seg: Option<PathBuf>,
    /// Area labels, (N,) integers or (N, K) probabilities.
    #[arg(long)]
    pub y_cls: Option<PathBuf>,
}

/// How to split profiles into a training and a test part.
#[derive(Args, Debug, Clone)]
pub struct SplitArgs {
    /// Group per profile, (N,) integers (e.g. hemi.npy). By default a
    /// folder's hemi.npy is used when present.
    #[arg(long, conflicts_with = "test_fraction")]
    pub split_by: Option<PathBuf>,
    /// The group held out for testing [default: 1].
    #[arg(long, allow_negative_numbers = true)]
    pub test_group: Option<i64>,
    /// Split at random with this test fraction instead of by group.
    #[arg(long, conflicts_with = "test_group")]
    pub test_fraction: Option<f64>,
}

/// Which data, how to split it, how to normalise it.
#[derive(Args, Debug, Clone)]
pub struct DataArgs {
    #[command(flatten)]
    pub files: FileArgs,

    #[command(flatten)]
    pub split: SplitArgs,

    /// z-score with training statistics: dataset, profile or none.
    #[arg(long, default_value = "dataset")]
    pub norm: String,

    /// Number of synthetic profiles when no data is given.
    #[arg(long, default_value_t = 3600)]
    pub synth_n: usize,
}

/// The shape of the model.
#[derive(Args, Debug, Clone)]
pub struct ModelArgs {
    /// A JSON file with the model configuration (flags below override it).
    #[arg(long)]
    pub model_config: Option<PathBuf>,
    /// Layer classes [default: 6].
    #[arg(long)]
    pub n_layers: Option<usize>,
    /// Areas [default: 18].
    #[arg(long)]
    pub n_areas: Option<usize>,
    /// Encoder filters per level [default: 16,32,64,128].
    #[arg(long, value_delimiter = ',')]
    pub filters: Option<Vec<usize>>,
    /// Channels of the bottleneck [default: 256].
    #[arg(long)]
    pub bottleneck: Option<usize>,
    /// Convolution kernel size, odd [default: 3].
    #[arg(long)]
    pub kernel: Option<usize>,
    /// Hidden width of the classification head [default: 64].
    #[arg(long)]
    pub cls_hidden: Option<usize>,
    /// Upsampling in the decoder: transposed or nearest
    /// [default: transposed].
    #[arg(long)]
    pub upsample: Option<String>,
    /// Dropout after the bottleneck, training only [default: 0].
    #[arg(long)]
    pub dropout: Option<f64>,
}

/// The schedule.
#[derive(Args, Debug, Clone)]
pub struct ScheduleArgs {
    /// Passes over the training part.
    #[arg(long, default_value_t = 5)]
    pub epochs: usize,
    /// Profiles per optimisation step.
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    /// Adam learning rate (each Adam in the alternating mode).
    #[arg(long, default_value_t = 1e-3, allow_negative_numbers = true)]
    pub lr: f32,
    /// Seeds the weights, batch order, dropout and random split.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

#[derive(Args, Debug)]
pub struct TrainArgs {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub schedule: ScheduleArgs,
    /// seg, cls, sum, joint, alternating; or joint:ALPHA,
    /// alternating[:K][:cls-first] (K: batches per classification step).
    #[arg(long, default_value = "joint")]
    pub mode: String,
    /// alpha for --mode joint, the weight of the layer loss [default: 0.5].
    #[arg(long, allow_negative_numbers = true)]
    pub alpha: Option<f32>,
    /// Where the model and metrics go.
    #[arg(long, default_value = "runs/train")]
    pub out: PathBuf,
    /// Replace files in --out that an earlier lamina run did not write.
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct CompareArgs {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub schedule: ScheduleArgs,
    /// Modes to compare (default: seg,cls,joint:0.5,joint:1,alternating).
    #[arg(long, value_delimiter = ',')]
    pub modes: Option<Vec<String>>,
    /// Train every mode once per seed (e.g. 0,1,2) and report the mean
    /// and spread across seeds; replaces --seed.
    #[arg(long, value_delimiter = ',', conflicts_with = "seed")]
    pub seeds: Option<Vec<u64>>,
    /// Where each mode's model and metrics go, one folder per mode.
    #[arg(long, default_value = "runs/compare")]
    pub out: PathBuf,
    /// Replace files in --out that an earlier lamina run did not write.
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct PredictArgs {
    /// Folder of a saved model (model.json, model.npz).
    #[arg(long)]
    pub model: PathBuf,
    /// Profiles to predict, (N, L, 1) or (N, L).
    #[arg(long)]
    pub x: PathBuf,
    /// Folder for layers.npy (N, L) uint8 and areas.npy (N, K) float32.
    #[arg(long)]
    pub out: PathBuf,
    /// Replace files in --out that an earlier lamina run did not write.
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct EvaluateArgs {
    /// Folder of a saved model.
    #[arg(long)]
    pub model: PathBuf,
    #[command(flatten)]
    pub files: FileArgs,
    /// Which profiles to score: with a group file (--split-by, or
    /// hemi.npy in the folder) only the test group, as in training.
    #[command(flatten)]
    pub split: SplitArgs,
    /// Score every profile, ignoring any group file.
    #[arg(long, conflicts_with_all = ["split_by", "test_group", "test_fraction"])]
    pub all: bool,
}

#[derive(Args, Debug)]
pub struct SynthArgs {
    /// Number of profiles.
    #[arg(long, default_value_t = 3600)]
    pub n: usize,
    /// Samples per profile.
    #[arg(long, default_value_t = 256)]
    pub length: usize,
    /// Seeds the generator: the same seed gives the same profiles.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Replace X.npy, Y_seg.npy, Y_cls.npy, hemi.npy already in --out.
    #[arg(long)]
    pub force: bool,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
}

//! The real BigBrain profiles of `../shared/data/bigbrain/dk18-small`,
//! which sit beside the checkout in development and CI but not on a
//! user's machine (`LAMINA_BIGBRAIN=DIR` points elsewhere). Without
//! them each test prints that it skipped and passes.

use std::path::PathBuf;

use lamina::data::{DataFiles, NormMode};
use lamina::experiment::{self, Observer, Source, SplitChoice};
use lamina::model::UNetConfig;
use lamina::train::{AdamConfig, Mode, TrainConfig};

/// The data folder: `LAMINA_BIGBRAIN` if set, else beside the checkout.
fn bigbrain() -> Option<PathBuf> {
    let dir = match std::env::var_os("LAMINA_BIGBRAIN") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/data/bigbrain/dk18-small"),
    };
    if dir.join("X.npy").is_file() {
        Some(dir)
    } else {
        eprintln!(
            "skipped: {} not found (the BigBrain data is not shipped with \
             lamina; set LAMINA_BIGBRAIN to its dk18-small folder)",
            dir.display()
        );
        None
    }
}

#[test]
fn loads_validates_and_splits_by_hemisphere() {
    let Some(dir) = bigbrain() else { return };
    let ds = lamina::data::load(&DataFiles::in_dir(&dir), 6, 18).unwrap();
    assert_eq!((ds.len(), ds.profile_len()), (17_975, 256));
    assert_eq!(ds.seg.n_classes_hint(), 6);
    assert_eq!(ds.cls.n_classes_hint(), 18);

    let source = Source::Files(DataFiles::in_dir(&dir));
    let split =
        SplitChoice::ByGroupFile { path: dir.join("hemi.npy"), test_group: 1 };
    let data =
        experiment::prepare(&source, &split, NormMode::Dataset, 6, 18).unwrap();
    assert_eq!((data.train.len(), data.test.len()), (9_000, 8_975));
    // Raw grey values of about 35,000 to 65,000 are z-scored.
    let mean = data.train.x.mean().unwrap();
    assert!(mean.abs() < 1e-3, "train mean after normalising: {mean}");
    assert!(data.normalizer.mean > 35_000.0 && data.normalizer.mean < 65_000.0);
}

#[test]
fn a_short_run_on_real_profiles_learns_layers() {
    let Some(dir) = bigbrain() else { return };
    let source = Source::Files(DataFiles::in_dir(&dir));
    let split =
        SplitChoice::ByGroupFile { path: dir.join("hemi.npy"), test_group: 1 };
    let mut data =
        experiment::prepare(&source, &split, NormMode::Dataset, 6, 18).unwrap();
    // A subset keeps the test short: 2,000 left, 1,000 right profiles.
    let every = |n: usize, k: usize| (0..n).step_by(k).collect::<Vec<_>>();
    data.train = data.train.take(&every(9_000, 4)[..2_000]);
    data.test = data.test.take(&every(8_975, 8)[..1_000]);

    let cfg = TrainConfig {
        mode: Mode::Joint { alpha: 0.5 },
        epochs: 3,
        adam: AdamConfig { lr: 3e-3, ..AdamConfig::default() },
        ..TrainConfig::default()
    };
    let mut observer = Observer { batch: &mut |_, _| {}, epoch: &mut |_| {} };
    let run = experiment::run_mode(
        &data,
        &UNetConfig::default(),
        &cfg,
        &mut observer,
    )
    .unwrap();
    let test = run.last().test.unwrap();
    // A model that has learnt nothing but the most common layer gets
    // about 0.3; the depth-only prior of the data's README is 0.748.
    eprintln!("held-out after 3 epochs: {test:?}");
    assert!(test.seg_acc > 0.6, "held-out layer accuracy {}", test.seg_acc);
    assert!(test.seg_loss < run.records[0].test.unwrap().seg_loss * 1.05);
}

//! End-to-end training on small synthetic data: both tasks learn, and
//! the two sanity checks of the field hold bit for bit:
//! `joint:1` trains exactly as `seg`, and `joint:0` trains the trunk and
//! classification head exactly as `cls`.

use lamina::data::NormMode;
use lamina::engine::Params;
use lamina::experiment::{
    self, Observer, Prepared, RunResult, Source, SplitChoice,
};
use lamina::model::{Part, UNetConfig};
use lamina::train::{AdamConfig, Mode, TrainConfig};

fn small_model() -> UNetConfig {
    UNetConfig {
        filters: vec![8, 16, 32],
        bottleneck: 32,
        cls_hidden: 32,
        ..UNetConfig::default()
    }
}

fn synthetic(n: usize) -> Prepared {
    let source = Source::Synthetic { n, length: 256, seed: 3 };
    let split = SplitChoice::Random { test_fraction: 0.2, seed: 3 };
    experiment::prepare(&source, &split, NormMode::Dataset, 6, 18).unwrap()
}

fn run(data: &Prepared, mode: &str, epochs: usize, lr: f32) -> RunResult {
    let cfg = TrainConfig {
        mode: mode.parse().unwrap(),
        epochs,
        batch_size: 32,
        adam: AdamConfig { lr, ..AdamConfig::default() },
        seed: 11,
        eval_batch: 128,
    };
    let mut observer = Observer { batch: &mut |_, _| {}, epoch: &mut |_| {} };
    experiment::run_mode(data, &small_model(), &cfg, &mut observer).unwrap()
}

/// Asserts the parameters of `parts` are bitwise equal in both runs.
fn assert_same_bits(a: &RunResult, b: &RunResult, parts: &[Part]) -> usize {
    let mut compared = 0;
    for id in a.net.params_in(parts) {
        let (x, y) = (a.params.get(id), b.params.get(id));
        let same =
            x.iter().zip(y.iter()).all(|(p, q)| p.to_bits() == q.to_bits());
        assert!(
            same,
            "{} differs between {} and {}",
            a.params.name(id),
            a.mode,
            b.mode
        );
        compared += x.len();
    }
    compared
}

fn changed(
    a: &Params<f32>,
    b: &Params<f32>,
    ids: &[lamina::engine::ParamId],
) -> bool {
    ids.iter().any(|&id| a.get(id) != b.get(id))
}

#[test]
fn both_tasks_learn_well_above_chance() {
    let data = synthetic(1440);
    let result = run(&data, "joint:0.5", 15, 3e-3);
    let test = result.last().test.unwrap();
    // Chance is 1/18 = 0.056 for areas; for layers, always guessing the
    // thickest layer (III) gets about 0.3.
    assert!(test.seg_acc > 0.70, "layer accuracy {}", test.seg_acc);
    assert!(test.cls_acc > 0.25, "area accuracy {}", test.cls_acc);
    let first = &result.records[0];
    assert!(test.seg_loss < first.test.unwrap().seg_loss);
    assert!(test.cls_loss < first.test.unwrap().cls_loss);
}

#[test]
fn joint_alpha_one_is_bitwise_seg() {
    let data = synthetic(360);
    let seg = run(&data, "seg", 2, 1e-3);
    let joint = run(&data, "joint:1", 2, 1e-3);

    let n = assert_same_bits(&seg, &joint, &Part::ALL);
    assert_eq!(n, seg.params.num_scalars());
    for (a, b) in seg.records.iter().zip(&joint.records) {
        assert_eq!(a.train, b.train, "epoch {}", a.epoch);
        assert_eq!(a.test, b.test, "epoch {}", a.epoch);
    }

    // The check has teeth: training moved the segmentation weights, and
    // a joint run with a little classification moves them differently.
    let (fresh_net, fresh) =
        lamina::model::UNet::init::<f32>(small_model(), 11).unwrap();
    assert!(changed(&fresh, &seg.params, &fresh_net.params_in(&Part::SEG)));
    assert!(!changed(
        &fresh,
        &seg.params,
        &fresh_net.params_in(&[Part::ClsHead])
    ));
    let mixed = run(&data, "joint:0.99", 2, 1e-3);
    assert!(changed(
        &seg.params,
        &mixed.params,
        &fresh_net.params_in(&Part::TRUNK)
    ));
}

#[test]
fn joint_alpha_zero_is_bitwise_cls_on_trunk_and_cls_head() {
    let data = synthetic(360);
    let cls = run(&data, "cls", 2, 1e-3);
    let joint = run(&data, "joint:0", 2, 1e-3);

    assert_same_bits(&cls, &joint, &Part::CLS);
    for (a, b) in cls.records.iter().zip(&joint.records) {
        assert_eq!(a.test.unwrap().cls_acc, b.test.unwrap().cls_acc);
        assert_eq!(a.test.unwrap().cls_loss, b.test.unwrap().cls_loss);
    }
    // Neither run trains the decoder: it stays at its initial values.
    let (net, fresh) =
        lamina::model::UNet::init::<f32>(small_model(), 11).unwrap();
    let decoder = net.params_in(&[Part::Decoder, Part::SegHead]);
    assert!(!changed(&fresh, &cls.params, &decoder));
    assert!(!changed(&fresh, &joint.params, &decoder));
}

#[test]
fn alternating_steps_both_optimisers_and_differs_from_joint() {
    let data = synthetic(360);
    let alt = run(&data, "alternating", 1, 1e-3);
    let joint = run(&data, "joint:0.5", 1, 1e-3);
    let (net, fresh) =
        lamina::model::UNet::init::<f32>(small_model(), 11).unwrap();
    assert!(changed(&fresh, &alt.params, &net.params_in(&[Part::ClsHead])));
    assert!(changed(&fresh, &alt.params, &net.params_in(&[Part::SegHead])));
    assert!(changed(&alt.params, &joint.params, &net.params_in(&Part::TRUNK)));
}

#[test]
fn mode_strings_cover_the_issue_modes() {
    let modes: Vec<Mode> = experiment::default_modes();
    let names: Vec<String> = modes.iter().map(|m| m.to_string()).collect();
    assert_eq!(names, ["seg", "cls", "joint:0.5", "joint:1", "alternating"]);
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let data = synthetic(144);
    let in_pool = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| run(&data, "alternating", 1, 1e-3))
    };
    let (one, three) = (in_pool(1), in_pool(3));
    let n = assert_same_bits(&one, &three, &Part::ALL);
    assert_eq!(n, one.params.num_scalars());
    assert_eq!(one.records[0].test, three.records[0].test);
}

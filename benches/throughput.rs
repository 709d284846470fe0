//! Training and inference throughput of the default model, in profiles
//! per second, as medians over repeats with their spread. Compare with
//! `../shared/reference/torch_unet.py` run on the same machine, one at a
//! time, with nothing else running:
//!
//! ```text
//! cargo bench --bench throughput              # all cores
//! cargo bench --bench throughput -- --threads 1
//! ```

use std::time::Instant;

use lamina::data::{Dataset, Labels};
use lamina::model::{UNet, UNetConfig};
use lamina::train::{
    Batch, Mode, Order, TrainConfig, Trainer, evaluate, train_batch,
};
use ndarray::{Array1, Array2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Random profiles and labels (values do not change the work done).
fn random_data(n: usize, len: usize) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let x = Array2::from_shape_simple_fn((n, len), || {
        rng.random_range(-1.0..1.0f32)
    });
    let seg =
        Array2::from_shape_simple_fn((n, len), || rng.random_range(0..6i32));
    let cls = Array1::from_shape_simple_fn(n, || rng.random_range(0..18i32));
    Dataset {
        x,
        seg: Labels::Classes(seg.into_dyn()),
        cls: Labels::Classes(cls.into_dyn()),
    }
}

/// Runs `f` (which processes `items` profiles) until a repeat takes at
/// least `min_s`; returns the median, min and max rate of `repeats`.
fn measure(
    items: usize,
    repeats: usize,
    min_s: f64,
    mut f: impl FnMut(),
) -> (f64, f64, f64) {
    f();
    let t = Instant::now();
    f();
    let inner = ((min_s / t.elapsed().as_secs_f64()).ceil() as usize).max(1);
    let mut rates: Vec<f64> = (0..repeats)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..inner {
                f();
            }
            (inner * items) as f64 / t.elapsed().as_secs_f64()
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    (rates[rates.len() / 2], rates[0], rates[rates.len() - 1])
}

/// As in the binary: the allocator lamina ships with.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--threads") {
        let n = args[i + 1].parse().expect("--threads N");
        rayon::ThreadPoolBuilder::new().num_threads(n).build_global().unwrap();
    }
    let repeats = 7;
    println!("threads: {}", rayon::current_num_threads());

    let (net, params) = UNet::init::<f32>(UNetConfig::default(), 0).unwrap();
    for (label, mode, b) in [
        ("train joint B=16", Mode::Joint { alpha: 0.5 }, 16),
        ("train joint B=32", Mode::Joint { alpha: 0.5 }, 32),
        ("train joint B=128", Mode::Joint { alpha: 0.5 }, 128),
        (
            "alternating B=32",
            Mode::Alternating { ratio: 1, order: Order::SegFirst },
            32,
        ),
    ] {
        let data = random_data(b, 256);
        let batch = Batch::gather(&data, &(0..b).collect::<Vec<_>>());
        let cfg = TrainConfig { mode, ..TrainConfig::default() };
        let mut trainer = Trainer::new(&net, params.clone(), cfg);
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let (med, lo, hi) = measure(b, repeats, 1.0, || {
            train_batch(
                &net,
                &mut trainer.params,
                &mut trainer.optimizers,
                mode,
                &batch,
                0,
                &mut rng,
            );
        });
        println!(
            "{label:<20} {med:8.1} profiles/s  [min {lo:.1}, max {hi:.1}]"
        );
    }

    for b in [64, 256] {
        let data = random_data(1024, 256);
        let (med, lo, hi) = measure(1024, repeats, 1.0, || {
            evaluate(&net, &params, &data, b);
        });
        println!(
            "{:<20} {med:8.1} profiles/s  [min {lo:.1}, max {hi:.1}]",
            format!("evaluate B={b}")
        );
    }
}

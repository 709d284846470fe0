//! Joint against alternating optimisation, side by side.
//!
//! One joint run (one Adam, `alpha * L_seg + (1 - alpha) * L_cls`) and
//! one alternating run (two Adams stepping the shared trunk in turn),
//! from the same initial weights, on the same batches; then the
//! held-out metrics of both and the per-epoch curves.
//!
//! ```text
//! cargo run --release --example compare                 # synthetic data
//! cargo run --release --example compare -- --data DIR   # X.npy, Y_seg.npy, Y_cls.npy (+ hemi.npy)
//! ```

use std::path::PathBuf;

use clap::Parser;
use lamina::data::{DataFiles, NormMode};
use lamina::experiment::{self, Observer, Source, SplitChoice};
use lamina::model::UNetConfig;
use lamina::report;
use lamina::train::{Mode, Order, TrainConfig};

#[derive(Parser)]
struct Args {
    /// Folder with X.npy, Y_seg.npy, Y_cls.npy (and hemi.npy to split
    /// by hemisphere). Without it, synthetic profiles are generated.
    #[arg(long)]
    data: Option<PathBuf>,
    #[arg(long, default_value_t = 5)]
    epochs: usize,
    /// alpha of the joint loss.
    #[arg(long, default_value_t = 0.5)]
    alpha: f32,
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

/// mimalloc keeps freed blocks for reuse; glibc returns large ones to
/// the OS and faults them back in on the next step (see DESIGN.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    match run(Args::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), lamina::Error> {
    let (source, split) = match &args.data {
        Some(dir) => {
            let hemi = dir.join("hemi.npy");
            let split = if hemi.is_file() {
                SplitChoice::ByGroupFile { path: hemi, test_group: 1 }
            } else {
                SplitChoice::Random { test_fraction: 0.2, seed: args.seed }
            };
            (Source::Files(DataFiles::in_dir(dir)), split)
        }
        None => (
            Source::Synthetic { n: 3600, length: 256, seed: args.seed },
            SplitChoice::Random { test_fraction: 0.2, seed: args.seed },
        ),
    };
    let data = experiment::prepare(&source, &split, NormMode::Dataset, 6, 18)?;
    println!("{}", data.description);

    let modes = [
        Mode::Joint { alpha: args.alpha },
        Mode::Alternating { ratio: 1, order: Order::SegFirst },
    ];
    let mut runs = Vec::new();
    for mode in modes {
        let cfg = TrainConfig {
            mode,
            epochs: args.epochs,
            seed: args.seed,
            ..TrainConfig::default()
        };
        let mut observer = Observer {
            batch: &mut |_, _| {},
            epoch: &mut |r| println!("{}", report::epoch_line(r)),
        };
        let model = UNetConfig {
            length: data.train.profile_len(),
            ..UNetConfig::default()
        };
        runs.push(experiment::run_mode(&data, &model, &cfg, &mut observer)?);
    }
    println!("\n{}", report::compare_table(&runs));

    let (joint, alt) =
        (runs[0].last().test.unwrap(), runs[1].last().test.unwrap());
    println!(
        "alternating - joint, held out: layer accuracy {:+.3}, area accuracy {:+.3}",
        alt.seg_acc - joint.seg_acc,
        alt.cls_acc - joint.cls_acc
    );
    Ok(())
}

//! The `lamina` command: a thin shell over the library. Parses flags,
//! turns them into the library's configurations, and reports progress.

mod args;

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};

use args::{
    Cli, Command, DataArgs, FileArgs, ModelArgs, ScheduleArgs, SplitArgs,
};
use lamina::data::{self, DataFiles, NormMode};
use lamina::experiment::{
    self, Observer, Prepared, RunResult, Source, SplitChoice,
};
use lamina::model::{UNet, UNetConfig};
use lamina::train::{AdamConfig, EpochRecord, Mode, TrainConfig};
use lamina::{report, saved};

/// mimalloc keeps freed blocks for reuse; glibc returns large ones to
/// the OS and faults them back in on the next step (see DESIGN.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = match cli.verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    env_logger::Builder::from_env(
        env_logger::Env::default().default_filter_or(level),
    )
    .format_timestamp(None)
    .init();

    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    if let Some(n) = cli.threads {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        if n == 0 {
            bail!("--threads must be at least 1");
        }
        if n > cores {
            log::warn!(
                "--threads {n} is more than the {cores} cores here; expect it to be slower"
            );
        }
        rayon::ThreadPoolBuilder::new().num_threads(n).build_global()?;
    }
    log::info!("{} worker threads", rayon::current_num_threads());
    match cli.command {
        Command::Train(a) => train(a),
        Command::Compare(a) => compare(a),
        Command::Predict(a) => predict(a),
        Command::Evaluate(a) => evaluate(a),
        Command::Synth(a) => synth(a),
    }
}

/// A profile length a `--model-config` file states, with the file.
type DeclaredLength = Option<(std::path::PathBuf, usize)>;

/// The model configuration: defaults, then a JSON file, then flags; and
/// the length the file states, if it states one.
fn model_config(a: &ModelArgs) -> Result<(UNetConfig, DeclaredLength)> {
    let mut declared_length = None;
    let mut cfg = match &a.model_config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("{}", path.display()))?;
            let cfg: UNetConfig =
                serde_json::from_str(&text).with_context(|| {
                    format!("{}: not a model configuration", path.display())
                })?;
            // The length comes from the data; a file may state it only
            // to have it checked.
            let value: serde_json::Value =
                serde_json::from_str(&text).expect("parsed above");
            if value.get("length").is_some() {
                declared_length = Some((path.clone(), cfg.length));
            }
            cfg
        }
        None => UNetConfig::default(),
    };
    if let Some(v) = a.n_layers {
        cfg.n_layers = v;
    }
    if let Some(v) = a.n_areas {
        cfg.n_areas = v;
    }
    if let Some(v) = &a.filters {
        cfg.filters = v.clone();
    }
    if let Some(v) = a.bottleneck {
        cfg.bottleneck = v;
    }
    if let Some(v) = a.kernel {
        cfg.kernel = v;
    }
    if let Some(v) = a.cls_hidden {
        cfg.cls_hidden = v;
    }
    if let Some(v) = &a.upsample {
        cfg.upsample = v.parse()?;
    }
    if let Some(v) = a.dropout {
        cfg.dropout = v;
    }
    Ok((cfg, declared_length))
}

/// The files named by `--data` and `--x/--y-seg/--y-cls`, if any; a
/// file flag overrides that file of the folder.
fn data_files(a: &FileArgs) -> Result<Option<DataFiles>> {
    let mut files = match (&a.data, &a.x) {
        (Some(dir), _) => {
            if !dir.exists() {
                bail!("--data {}: no such folder", dir.display());
            }
            if !dir.is_dir() {
                bail!("--data {}: not a folder", dir.display());
            }
            DataFiles::in_dir(dir)
        }
        (None, Some(x)) => {
            let (Some(s), Some(c)) = (&a.y_seg, &a.y_cls) else {
                bail!(
                    "--x needs --y-seg and --y-cls too (or name a folder with --data)"
                );
            };
            DataFiles { x: x.clone(), y_seg: s.clone(), y_cls: c.clone() }
        }
        (None, None) => return Ok(None),
    };
    if let Some(x) = &a.x {
        files.x = x.clone();
    }
    if let Some(s) = &a.y_seg {
        files.y_seg = s.clone();
    }
    if let Some(c) = &a.y_cls {
        files.y_cls = c.clone();
    }
    Ok(Some(files))
}

/// Fails unless profiles from `path` have the model's length.
fn check_length(path: &Path, found: usize, net: &UNet) -> Result<()> {
    if found != net.config.length {
        bail!(
            "{}: profiles have {found} samples, the model expects {}",
            path.display(),
            net.config.length
        );
    }
    Ok(())
}

/// The split the flags ask for, `None` when they name none and the data
/// folder has no `hemi.npy`.
fn split_choice(
    dir: Option<&Path>,
    a: &SplitArgs,
    seed: u64,
) -> Result<Option<SplitChoice>> {
    let hemi = dir.map(|d| d.join("hemi.npy")).filter(|p| p.is_file());
    let test_group = a.test_group.unwrap_or(1);
    Ok(match (a.test_fraction, &a.split_by, hemi) {
        (Some(test_fraction), _, _) => {
            Some(SplitChoice::Random { test_fraction, seed })
        }
        (None, Some(path), _) => {
            Some(SplitChoice::ByGroupFile { path: path.clone(), test_group })
        }
        (None, None, Some(path)) => {
            log::info!(
                "splitting by {} (found beside the data)",
                path.display()
            );
            Some(SplitChoice::ByGroupFile { path, test_group })
        }
        (None, None, None) if a.test_group.is_some() => bail!(
            "--test-group needs a group file: --split-by FILE, or hemi.npy \
             in the --data folder"
        ),
        (None, None, None) => None,
    })
}

/// Loads or generates, splits and normalises the data.
fn prepare(
    a: &DataArgs,
    model: &mut UNetConfig,
    declared: &DeclaredLength,
    seed: u64,
) -> Result<Prepared> {
    model.validate_sizes()?;
    let files = data_files(&a.files)?;
    let source = match files {
        Some(files) => Source::Files(files),
        None => Source::Synthetic { n: a.synth_n, length: model.length, seed },
    };
    let split = match split_choice(a.files.data.as_deref(), &a.split, seed)? {
        Some(split) => split,
        None => {
            if matches!(source, Source::Files(_)) {
                log::warn!(
                    "no group file: testing on a random 20% of the profiles; \
                     neighbouring cortical profiles are near-duplicates, so \
                     split real data with --split-by (e.g. hemi.npy)"
                );
            }
            SplitChoice::Random { test_fraction: 0.2, seed }
        }
    };
    let norm: NormMode = a.norm.parse()?;
    let prepared = experiment::prepare(
        &source,
        &split,
        norm,
        model.n_layers,
        model.n_areas,
    )?;
    model.length = prepared.train.profile_len();
    if let Some((path, length)) =
        declared.as_ref().filter(|d| d.1 != model.length)
    {
        bail!(
            "{} sets length {length}, but the data's profiles have {} samples",
            path.display(),
            model.length
        );
    }
    model.validate_length().with_context(|| {
        format!(
            "the data's profiles have {} samples, which this model cannot take",
            model.length
        )
    })?;
    eprintln!("{}", prepared.description);
    Ok(prepared)
}

fn schedule(s: &ScheduleArgs, mode: Mode) -> TrainConfig {
    TrainConfig {
        mode,
        epochs: s.epochs,
        batch_size: s.batch_size,
        adam: AdamConfig { lr: s.lr, ..AdamConfig::default() },
        seed: s.seed,
        ..TrainConfig::default()
    }
}

/// Trains one mode with a progress bar on a terminal, a line per epoch.
fn run_with_progress(
    data: &Prepared,
    model: &UNetConfig,
    cfg: &TrainConfig,
) -> Result<RunResult> {
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(data.train.len() as u64);
        let style = ProgressStyle::with_template(
            "{prefix} [{bar:30}] {pos}/{len} profiles, {eta} left",
        )
        .expect("valid template")
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(format!("{} epoch 1", cfg.mode));
        Some(bar)
    } else {
        None
    };
    let mut on_batch = |done: usize, _total: usize| {
        if let Some(b) = &bar {
            b.set_position(done as u64);
        }
    };
    let mut on_epoch = |r: &EpochRecord| {
        let line = report::epoch_line(r);
        match &bar {
            Some(b) => {
                b.println(line);
                b.set_prefix(format!("{} epoch {}", r.mode, r.epoch + 1));
                b.set_position(0);
            }
            None => eprintln!("{line}"),
        }
    };
    let mut observer = Observer { batch: &mut on_batch, epoch: &mut on_epoch };
    let result = experiment::run_mode(data, model, cfg, &mut observer);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Ok(result?)
}

/// Saves a run's model and metrics into `dir`.
fn save_run(
    dir: &Path,
    run: &RunResult,
    data: &Prepared,
    cfg: &TrainConfig,
) -> Result<()> {
    let card = saved::ModelCard {
        format: saved::FORMAT.into(),
        model: run.net.config.clone(),
        normalizer: data.normalizer.clone(),
        train: cfg.clone(),
        epochs_done: run.records.len(),
        random_split: match data.split {
            SplitChoice::Random { test_fraction, seed } => {
                Some(saved::RandomSplit { test_fraction, seed })
            }
            SplitChoice::ByGroupFile { .. } => None,
        },
    };
    saved::save(dir, &run.net, &run.params, &card)?;
    report::write_metrics(dir, &run.records)?;
    Ok(())
}

/// The files a run writes into its folder.
const RUN_FILES: [&str; 4] =
    ["model.npz", "model.json", "metrics.csv", "metrics.json"];

/// Fails early, before any work, if `dir` cannot be created or written,
/// if one of the files to be written there is in the way (a folder of
/// that name), or if one exists and `dir` is not an earlier lamina run
/// (unless `force`): a run never fails after writing half of its files,
/// nor replaces a file lamina did not write.
fn ensure_outputs(dir: &Path, names: &[&str], force: bool) -> Result<()> {
    ensure_dir(dir)?;
    let probe = dir.join(format!(".lamina-write-test-{}", std::process::id()));
    std::fs::write(&probe, b"")
        .with_context(|| format!("cannot write into {}", dir.display()))?;
    let _ = std::fs::remove_file(&probe);

    let earlier_run = is_lamina_output(dir);
    for name in names {
        let path = dir.join(name);
        if path.is_dir() {
            bail!(
                "cannot write {}: a folder of that name is in the way",
                path.display()
            );
        }
        if path.exists() && !earlier_run && !force {
            bail!(
                "{} exists and {} holds no earlier lamina run: choose another \
                 --out, or pass --force to replace it",
                path.display(),
                dir.display()
            );
        }
    }
    Ok(())
}

/// The format tag of the `predictions.json` that `predict` leaves.
const PREDICTIONS_FORMAT: &str = "lamina-predictions-1";

/// Whether `dir` holds what lamina writes: a model card, a comparison
/// or predictions.
fn is_lamina_output(dir: &Path) -> bool {
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name)).unwrap_or_default()
    };
    read("model.json").contains(saved::FORMAT)
        || read("predictions.json").contains(PREDICTIONS_FORMAT)
        || dir.join("compare.json").is_file()
}

/// Warns when the output folder is the data folder.
fn warn_if_data_folder(out: &Path, data: &DataArgs) {
    let same = |a: &Path, b: &Path| matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b);
    if let Some(dir) = data.files.data.as_deref().filter(|d| same(d, out)) {
        log::warn!(
            "--out is the data folder {}: the model and metrics go beside \
             the data",
            dir.display()
        );
    }
}

/// Fails early if `dir` cannot be created, before any training.
fn ensure_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| {
        format!("cannot create output folder {}", dir.display())
    })
}

fn train(a: args::TrainArgs) -> Result<()> {
    let mut mode: Mode = a.mode.parse()?;
    if let Some(alpha) = a.alpha {
        if a.mode.contains(':') {
            bail!("--mode {} already sets alpha; drop --alpha {alpha}", a.mode);
        }
        match mode {
            Mode::Joint { .. } if (0.0..=1.0).contains(&alpha) => {
                mode = Mode::Joint { alpha }
            }
            Mode::Joint { .. } => bail!("--alpha {alpha}: must be in [0, 1]"),
            _ => bail!("--alpha applies to --mode joint only, not {mode}"),
        }
    }
    let (mut model, declared) = model_config(&a.model)?;
    let cfg = schedule(&a.schedule, mode);
    cfg.validate()?;
    let data = prepare(&a.data, &mut model, &declared, cfg.seed)?;
    warn_if_data_folder(&a.out, &a.data);
    ensure_outputs(&a.out, &RUN_FILES, a.force)?;

    let run = run_with_progress(&data, &model, &cfg)?;
    save_run(&a.out, &run, &data, &cfg)?;
    eprintln!("model and metrics written to {}", a.out.display());
    Ok(())
}

fn compare(a: args::CompareArgs) -> Result<()> {
    let modes: Vec<Mode> = match &a.modes {
        Some(list) => {
            list.iter().map(|m| m.parse()).collect::<Result<_, _>>()?
        }
        None => experiment::default_modes(),
    };
    let seeds = a.seeds.clone().unwrap_or_else(|| vec![a.schedule.seed]);
    if seeds.is_empty() {
        bail!("--seeds needs at least one seed");
    }
    // One run per mode and seed, each in its own folder.
    let mut plan = Vec::new();
    for &mode in &modes {
        for &seed in &seeds {
            let mut folder = mode.to_string().replace(':', "_");
            if seeds.len() > 1 {
                folder = format!("{folder}_seed{seed}");
            }
            if plan.iter().any(|(_, _, f): &(Mode, u64, String)| *f == folder) {
                if seeds.len() == 1 {
                    bail!("--modes names {mode} twice");
                }
                bail!("--modes and --seeds name {mode} with seed {seed} twice");
            }
            plan.push((mode, seed, folder));
        }
    }
    let (mut model, declared) = model_config(&a.model)?;
    for &mode in &modes {
        schedule(&a.schedule, mode).validate()?;
    }
    let data = prepare(&a.data, &mut model, &declared, seeds[0])?;
    warn_if_data_folder(&a.out, &a.data);
    ensure_outputs(&a.out, &["compare.md", "compare.json"], a.force)?;
    for (_, _, folder) in &plan {
        ensure_outputs(&a.out.join(folder), &RUN_FILES, a.force)?;
    }

    let mut runs = Vec::new();
    for (mode, seed, folder) in &plan {
        let cfg = TrainConfig { seed: *seed, ..schedule(&a.schedule, *mode) };
        let run = run_with_progress(&data, &model, &cfg)?;
        save_run(&a.out.join(folder), &run, &data, &cfg)?;
        runs.push(run);
    }

    let table = if seeds.len() > 1 {
        report::seeds_table(&runs)
    } else {
        report::compare_table(&runs)
    };
    println!(
        "\nHeld-out metrics after {} epoch(s) ({}):\n\n{table}",
        a.schedule.epochs, data.description
    );
    lamina::report::write_compare(&a.out, &runs, &data.description)?;
    eprintln!("models, metrics and compare.md written to {}", a.out.display());
    Ok(())
}

fn predict(a: args::PredictArgs) -> Result<()> {
    let (net, params, card) = saved::load(&a.model)?;
    let x = data::load_x(&a.x)?;
    check_length(&a.x, x.ncols(), &net)?;
    ensure_outputs(
        &a.out,
        &["layers.npy", "areas.npy", "predictions.json"],
        a.force,
    )?;
    let x = card.normalizer.apply(&x);
    let (layers, areas) =
        lamina::train::predict(&net, &params, &x, card.train.eval_batch);
    data::npy::write(&a.out.join("layers.npy"), &layers)?;
    data::npy::write(&a.out.join("areas.npy"), &areas)?;
    let card = serde_json::json!({
        "format": PREDICTIONS_FORMAT,
        "model": a.model,
        "x": a.x,
        "layers": layers.dim(),
        "areas": areas.dim(),
    });
    let text = serde_json::to_string_pretty(&card)?;
    std::fs::write(a.out.join("predictions.json"), text)
        .with_context(|| format!("cannot write {}", a.out.display()))?;
    eprintln!(
        "wrote layers.npy {:?} and areas.npy {:?} to {}",
        layers.dim(),
        areas.dim(),
        a.out.display()
    );
    Ok(())
}

fn evaluate(a: args::EvaluateArgs) -> Result<()> {
    let (net, params, card) = saved::load(&a.model)?;
    let Some(files) = data_files(&a.files)? else {
        bail!(
            "name the data to evaluate on with --data DIR or --x/--y-seg/--y-cls"
        );
    };
    let all = data::load(&files, net.config.n_layers, net.config.n_areas)?;
    check_length(&files.x, all.profile_len(), &net)?;
    let split = if a.all {
        None
    } else {
        split_choice(a.files.data.as_deref(), &a.split, card.train.seed)?
    };
    // Without a group file, the random split of training, if it had one.
    let trained_split = card.random_split.filter(|_| !a.all).map(|r| {
        SplitChoice::Random { test_fraction: r.test_fraction, seed: r.seed }
    });
    let (mut ds, scope) = match (split, trained_split) {
        (Some(split), _) => {
            let (_, test, how) = experiment::split_data(&all, &split)?;
            (test, format!("the test part ({how})"))
        }
        (None, Some(split)) => {
            let (_, test, how) = experiment::split_data(&all, &split)?;
            let note = "the random split of training; held out only if \
                        this is the data the model was trained on";
            (test, format!("the test part ({how}: {note})"))
        }
        (None, None) => (all, "every profile".to_string()),
    };
    ds.x = card.normalizer.apply(&ds.x);
    let m = lamina::train::evaluate(&net, &params, &ds, card.train.eval_batch);
    println!(
        "scored {} profiles: {scope}\nlayer accuracy {:.4}\narea accuracy {:.4}\nlayer loss {:.4}\narea loss {:.4}",
        ds.len(),
        m.seg_acc,
        m.cls_acc,
        m.seg_loss,
        m.cls_loss
    );
    Ok(())
}

fn synth(a: args::SynthArgs) -> Result<()> {
    if a.n == 0 || a.length == 0 {
        bail!("--n and --length must be at least 1");
    }
    let names = ["X.npy", "Y_seg.npy", "Y_cls.npy", "hemi.npy"];
    ensure_dir(&a.out)?;
    let existing = names.iter().find(|n| a.out.join(n).exists());
    if let Some(name) = existing.filter(|_| !a.force) {
        bail!(
            "{} already exists: choose another --out, or pass --force to \
             replace the data there",
            a.out.join(name).display()
        );
    }
    if !a.length.is_multiple_of(16) {
        log::warn!(
            "profiles of length {} cannot feed the default four-level \
             U-Net (it needs a multiple of 16)",
            a.length
        );
    }
    let cfg = data::SynthConfig {
        n: a.n,
        length: a.length,
        seed: a.seed,
        ..Default::default()
    };
    let ds = data::generate(&cfg);
    data::write_dir(&ds, &a.out)?;
    eprintln!(
        "wrote {} synthetic profiles of length {} to {}",
        a.n,
        a.length,
        a.out.display()
    );
    Ok(())
}

//! The `lamina` binary as a user drives it: each command's happy path on
//! small synthetic data, and the mistakes a user makes, each of which
//! must exit non-zero, say what is wrong and leave earlier outputs
//! intact.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A scratch folder removed at the end of the test.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let dir = std::env::temp_dir()
            .join(format!("lamina-cli-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn lamina(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lamina")).args(args).output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A tiny model, so each training run takes well under a second.
const TINY: [&str; 8] = [
    "--filters",
    "4,8",
    "--bottleneck",
    "8",
    "--cls-hidden",
    "8",
    "--synth-n",
    "144",
];

fn train_tiny(out: &Path, extra: &[&str]) -> Output {
    let mut args =
        vec!["train", "--epochs", "1", "--out", out.to_str().unwrap()];
    args.extend(TINY);
    args.extend(extra);
    lamina(&args)
}

fn evaluate(model: &Path, data: &Path, extra: &[&str]) -> Output {
    let (model, data) = (model.to_str().unwrap(), data.to_str().unwrap());
    let mut args = vec!["evaluate", "--model", model, "--data", data];
    args.extend(extra);
    lamina(&args)
}

fn predict(model: &Path, x: &Path, out: &Path) -> Output {
    lamina(&[
        "predict",
        "--model",
        model.to_str().unwrap(),
        "--x",
        x.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ])
}

fn synth(dir: &Path, n: &str) {
    let out = lamina(&["synth", "--n", n, "--out", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn train_evaluate_predict_round_trip() {
    let s = Scratch::new("round");
    let data = s.join("data");
    synth(&data, "144");
    let model = s.join("model");
    let out = train_tiny(&model, &["--data", data.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    for f in ["model.npz", "model.json", "metrics.csv", "metrics.json"] {
        assert!(model.join(f).is_file(), "{f} missing");
    }
    // The folder's hemi.npy splits it: 72 profiles per group.
    assert!(stderr(&out).contains("72 train, 72 test"), "{}", stderr(&out));

    let out = evaluate(&model, &data, &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(text.starts_with("scored 72 profiles: the test part"), "{text}");
    let out = evaluate(&model, &data, &["--all"]);
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .starts_with("scored 144 profiles: every profile")
    );

    let pred = s.join("pred");
    let out = predict(&model, &data.join("X.npy"), &pred);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("layers.npy (144, 256) and areas.npy (144, 18)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_diverging_run_fails_and_keeps_the_old_model() {
    let s = Scratch::new("diverge");
    let model = s.join("model");
    assert!(train_tiny(&model, &[]).status.success());
    let before = std::fs::read(model.join("model.npz")).unwrap();

    let out = train_tiny(&model, &["--lr", "1e12"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("training diverged"), "{}", stderr(&out));
    assert_eq!(std::fs::read(model.join("model.npz")).unwrap(), before);
}

#[test]
fn bad_flags_are_refused_before_any_work() {
    let s = Scratch::new("flags");
    let out_dir = s.join("never");
    let cases: [(&[&str], &str); 5] = [
        (&["--lr", "nan"], "learning rate NaN"),
        (&["--lr=-1"], "learning rate -1"),
        (&["--mode", "joint:0.3", "--alpha", "0.7"], "already sets alpha"),
        (&["--test-group", "3"], "--test-group needs a group file"),
        (&["--kernel", "4"], "kernel 4 must be odd"),
    ];
    for (extra, message) in cases {
        let out = train_tiny(&out_dir, extra);
        assert!(!out.status.success(), "{extra:?} succeeded");
        assert!(stderr(&out).contains(message), "{extra:?}: {}", stderr(&out));
        assert!(!out_dir.join("model.npz").exists());
    }
    let out = lamina(&[
        "compare",
        "--modes",
        "seg,seg",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(stderr(&out).contains("names seg twice"), "{}", stderr(&out));
}

#[test]
fn bad_data_names_the_file_and_writes_nothing() {
    let s = Scratch::new("data");
    let data = s.join("data");
    synth(&data, "36");
    // Y_cls of another data set: 18 profiles where X has 36.
    synth(&s.join("other"), "18");
    std::fs::copy(s.join("other/Y_cls.npy"), data.join("Y_cls.npy")).unwrap();
    let out_dir = s.join("out");
    let out = train_tiny(&out_dir, &["--data", data.to_str().unwrap()]);
    assert!(!out.status.success());
    let msg = stderr(&out);
    assert!(
        msg.contains("Y_cls.npy")
            && msg.contains("(36,)")
            && msg.contains("(18,)"),
        "{msg}"
    );
    assert!(!out_dir.join("model.npz").exists());
    assert_eq!(msg.matches("No such file").count(), 0);

    let out =
        train_tiny(&out_dir, &["--data", s.join("missing").to_str().unwrap()]);
    assert!(stderr(&out).contains("no such folder"), "{}", stderr(&out));
}

#[test]
fn a_folder_in_the_way_stops_the_run_before_training() {
    let s = Scratch::new("inway");
    let model = s.join("model");
    std::fs::create_dir_all(model.join("metrics.json")).unwrap();
    let out = train_tiny(&model, &[]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("a folder of that name is in the way"));
    assert!(!model.join("model.npz").exists());
}

#[test]
fn files_lamina_did_not_write_are_kept_unless_forced() {
    let s = Scratch::new("keep");
    let data = s.join("data");
    synth(&data, "36");
    let before = std::fs::read(data.join("X.npy")).unwrap();
    let out = lamina(&["synth", "--n", "18", "--out", data.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("X.npy already exists"), "{}", stderr(&out));
    assert_eq!(std::fs::read(data.join("X.npy")).unwrap(), before);

    // A user's own metrics.csv in --out is not an earlier lamina run.
    let out_dir = s.join("mine");
    std::fs::create_dir_all(&out_dir).unwrap();
    std::fs::write(out_dir.join("metrics.csv"), "my notes").unwrap();
    let out = train_tiny(&out_dir, &[]);
    assert!(
        stderr(&out).contains("holds no earlier lamina run"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(out_dir.join("metrics.csv")).unwrap(),
        "my notes"
    );
    assert!(train_tiny(&out_dir, &["--force"]).status.success());
}

#[test]
fn model_flags_are_blamed_on_themselves_and_unlabelled_tasks_refused() {
    let s = Scratch::new("blame");
    let out = train_tiny(&s.join("a"), &["--kernel", "0"]);
    let msg = stderr(&out);
    assert!(
        msg.contains("kernel 0 must be odd") && !msg.contains("data"),
        "{msg}"
    );

    // Area labels all -1: the cls mode has nothing to learn from.
    let data = s.join("data");
    synth(&data, "36");
    let y = std::fs::read(data.join("Y_cls.npy")).unwrap();
    let header = y.len() - 36 * 8; // int64 labels after the header
    let mut unlabelled = y[..header].to_vec();
    unlabelled.extend(std::iter::repeat_n(0xffu8, 36 * 8));
    std::fs::write(data.join("Y_cls.npy"), unlabelled).unwrap();
    let out = train_tiny(
        &s.join("b"),
        &["--data", data.to_str().unwrap(), "--mode", "cls"],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out)
            .contains("trains on area labels, but the training part has none"),
        "{}",
        stderr(&out)
    );
    let out = train_tiny(
        &s.join("c"),
        &["--data", data.to_str().unwrap(), "--mode", "seg"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let csv = std::fs::read_to_string(s.join("c/metrics.csv")).unwrap();
    // No area labels: the area cells are empty, not 0.
    assert!(csv.lines().nth(1).unwrap().contains(",,"), "{csv}");
}

#[test]
fn predict_replaces_its_own_output_and_evaluate_reuses_a_random_split() {
    let s = Scratch::new("again");
    let data = s.join("data");
    synth(&data, "60");
    std::fs::remove_file(data.join("hemi.npy")).unwrap();
    let model = s.join("model");
    let out = train_tiny(&model, &["--data", data.to_str().unwrap()]);
    assert!(stderr(&out).contains("random 20% test"), "{}", stderr(&out));

    let eval = evaluate(&model, &data, &[]);
    let text = String::from_utf8_lossy(&eval.stdout);
    assert!(
        text.starts_with("scored 12 profiles: the test part (random 20%"),
        "{text}"
    );

    let pred = s.join("pred");
    for _ in 0..2 {
        let out = predict(&model, &data.join("X.npy"), &pred);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    assert!(pred.join("predictions.json").is_file());
}

#[test]
fn bad_input_creates_no_output_folder() {
    let s = Scratch::new("nofolder");
    let out_dir = s.join("never");
    let out =
        train_tiny(&out_dir, &["--data", s.join("missing").to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(!out_dir.exists());
}

#[test]
fn compare_over_seeds_reports_mean_and_spread() {
    let s = Scratch::new("seeds");
    let out_dir = s.join("cmp");
    let mut args = vec![
        "compare",
        "--modes",
        "seg,joint:0.5",
        "--seeds",
        "1,2",
        "--epochs",
        "1",
        "--out",
        out_dir.to_str().unwrap(),
    ];
    args.extend(TINY);
    let out = lamina(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("| seg | 2 |") && table.contains(" ± "), "{table}");
    for folder in
        ["seg_seed1", "seg_seed2", "joint_0.5_seed1", "joint_0.5_seed2"]
    {
        assert!(out_dir.join(folder).join("model.npz").is_file(), "{folder}");
    }
    let json = std::fs::read_to_string(out_dir.join("compare.json")).unwrap();
    assert!(json.contains("\"seed\": 2"), "{json}");
}

//! What a run leaves behind for people and for later tools: per-epoch
//! metrics as CSV and JSON, and the comparison table of modes.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use crate::Result;
use crate::atomic::write_atomic;
use crate::experiment::RunResult;
use crate::train::{EpochRecord, Metrics};

/// The CSV header of [`metrics_csv`].
const CSV_HEADER: &str = "mode,epoch,train_seconds,\
train_seg_loss,train_cls_loss,train_seg_acc,train_cls_acc,\
test_seg_loss,test_cls_loss,test_seg_acc,test_cls_acc";

/// One row per epoch; the test columns are empty without a test part.
pub fn metrics_csv(records: &[EpochRecord]) -> String {
    let mut out = String::from(CSV_HEADER);
    out.push('\n');
    let cells = |m: Option<&Metrics>| match m {
        Some(m) => [m.seg_loss, m.cls_loss, m.seg_acc, m.cls_acc]
            .map(|v| if v.is_nan() { String::new() } else { format!("{v:.6}") })
            .join(","),
        None => ",,,".to_string(),
    };
    for r in records {
        let _ = writeln!(
            out,
            "{},{},{:.3},{},{}",
            r.mode,
            r.epoch,
            r.train_seconds,
            cells(Some(&r.train)),
            cells(r.test.as_ref())
        );
    }
    out
}

/// Writes `metrics.csv` and `metrics.json` into `dir`.
///
/// # Errors
///
/// [`crate::Error::Io`] if a file cannot be written.
pub fn write_metrics(dir: &Path, records: &[EpochRecord]) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| crate::Error::io(dir, e))?;
    let csv = metrics_csv(records);
    write_atomic(&dir.join("metrics.csv"), |w| w.write_all(csv.as_bytes()))?;
    let json =
        serde_json::to_string_pretty(records).expect("records serialise");
    write_atomic(&dir.join("metrics.json"), |w| w.write_all(json.as_bytes()))
}

/// `v` with `digits` decimals, or `n/a` for NaN (a task without labels).
pub fn number(v: f64, digits: usize) -> String {
    if v.is_nan() { "n/a".to_string() } else { format!("{v:.digits$}") }
}

/// One line for an epoch, as printed while training: accuracy and loss
/// of each task as `train/test`.
pub fn epoch_line(r: &EpochRecord) -> String {
    let t = r.test.as_ref();
    let pair = |train: f64, test: Option<f64>, digits: usize| match test {
        Some(v) => format!("{}/{}", number(train, digits), number(v, digits)),
        None => number(train, digits),
    };
    format!(
        "{} epoch {} ({:.1}s) {}: layer acc {} loss {}, area acc {} loss {}",
        r.mode,
        r.epoch,
        r.train_seconds,
        if t.is_some() { "train/test" } else { "train" },
        pair(r.train.seg_acc, t.map(|m| m.seg_acc), 3),
        pair(r.train.seg_loss, t.map(|m| m.seg_loss), 3),
        pair(r.train.cls_acc, t.map(|m| m.cls_acc), 3),
        pair(r.train.cls_loss, t.map(|m| m.cls_loss), 3),
    )
}

/// The held-out table of a comparison, as Markdown. A head the mode
/// does not train shows `-`: its untrained scores are chance, not
/// results.
pub fn compare_table(runs: &[RunResult]) -> String {
    let mut out = String::from(
        "| mode | epochs | layer acc | area acc | layer loss | area loss | train s/epoch | wall s |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for run in runs {
        let last = run.last();
        let t = last.test.unwrap_or_default();
        let cell = |trained: bool, v: f64| {
            if trained { number(v, 3) } else { "-".to_string() }
        };
        let (seg, cls) = run.mode.trained_heads();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {:.1} | {:.0} |",
            run.mode,
            last.epoch,
            cell(seg, t.seg_acc),
            cell(cls, t.cls_acc),
            cell(seg, t.seg_loss),
            cell(cls, t.cls_loss),
            run.train_seconds / run.records.len() as f64,
            run.total_seconds
        );
    }
    out
}

/// Mean and sample standard deviation; the deviation is NaN for one value.
fn mean_sd(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var =
        values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

/// The held-out table of a comparison over several seeds, as Markdown:
/// per mode, the mean and standard deviation across seeds of the last
/// epoch's accuracies. A difference between two modes smaller than these
/// deviations is not an effect of the mode.
pub fn seeds_table(runs: &[RunResult]) -> String {
    let mut out = String::from(
        "| mode | seeds | layer acc (mean ± sd) | area acc (mean ± sd) |\n\
         |---|---|---|---|\n",
    );
    let mut modes: Vec<String> = Vec::new();
    for run in runs {
        if !modes.contains(&run.mode.to_string()) {
            modes.push(run.mode.to_string());
        }
    }
    for mode in modes {
        let group: Vec<&RunResult> =
            runs.iter().filter(|r| r.mode.to_string() == mode).collect();
        let (seg, cls) = group[0].mode.trained_heads();
        let test = |f: fn(&Metrics) -> f64| -> Vec<f64> {
            group
                .iter()
                .map(|r| f(&r.last().test.unwrap_or_default()))
                .collect()
        };
        let cell = |trained: bool, values: Vec<f64>| {
            if !trained {
                return "-".to_string();
            }
            let (m, sd) = mean_sd(&values);
            format!("{} ± {}", number(m, 3), number(sd, 3))
        };
        let _ = writeln!(
            out,
            "| {mode} | {} | {} | {} |",
            group.len(),
            cell(seg, test(|m| m.seg_acc)),
            cell(cls, test(|m| m.cls_acc))
        );
    }
    out
}

/// Writes `compare.md` (the table) and `compare.json` (every run's
/// records) into `dir`.
///
/// # Errors
///
/// [`crate::Error::Io`] if a file cannot be written.
pub fn write_compare(
    dir: &Path,
    runs: &[RunResult],
    description: &str,
) -> Result<()> {
    let seeds: Vec<u64> = runs.iter().map(|r| r.seed).collect();
    let several = seeds.iter().any(|&s| s != seeds[0]);
    let table = if several { seeds_table(runs) } else { compare_table(runs) };
    let md = format!("{description}\n\n{table}");
    write_atomic(&dir.join("compare.md"), |w| w.write_all(md.as_bytes()))?;
    let all: Vec<serde_json::Value> = runs
        .iter()
        .map(|r| {
            serde_json::json!({
                "mode": r.mode.to_string(),
                "seed": r.seed,
                "train_seconds": r.train_seconds,
                "records": r.records,
            })
        })
        .collect();
    let json = serde_json::json!({ "data": description, "runs": all });
    let text = serde_json::to_string_pretty(&json).expect("records serialise");
    write_atomic(&dir.join("compare.json"), |w| w.write_all(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(epoch: usize, test: bool) -> EpochRecord {
        let m = Metrics {
            seg_loss: 0.5,
            cls_loss: 2.0,
            seg_acc: 0.75,
            cls_acc: 0.25,
        };
        EpochRecord {
            mode: "joint:0.5".into(),
            epoch,
            train_seconds: 1.5,
            train: m,
            test: test.then_some(m),
        }
    }

    #[test]
    fn epoch_line_pairs_train_and_test() {
        assert_eq!(
            epoch_line(&record(3, true)),
            "joint:0.5 epoch 3 (1.5s) train/test: layer acc 0.750/0.750 \
             loss 0.500/0.500, area acc 0.250/0.250 loss 2.000/2.000"
        );
        assert!(
            epoch_line(&record(1, false))
                .contains("train: layer acc 0.750 loss")
        );
    }

    #[test]
    fn mean_and_sample_sd() {
        let (m, sd) = mean_sd(&[0.7, 0.8, 0.9]);
        assert!((m - 0.8).abs() < 1e-12 && (sd - 0.1).abs() < 1e-12);
        assert!(mean_sd(&[0.5]).1.is_nan());
    }

    #[test]
    fn csv_has_one_row_per_epoch_and_blank_test_cells_without_test() {
        let csv = metrics_csv(&[record(1, true), record(2, false)]);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].split(',').count(), 11);
        assert_eq!(
            lines[1],
            "joint:0.5,1,1.500,0.500000,2.000000,0.750000,0.250000,0.500000,2.000000,0.750000,0.250000"
        );
        assert!(lines[2].ends_with("0.250000,,,,"));
    }
}

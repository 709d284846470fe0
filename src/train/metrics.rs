//! Held-out and training metrics, and predictions, from forward passes
//! in evaluation mode (no dropout, no optimiser).

use ndarray::{Array2, ArrayView2, Axis, s};
use serde::{Deserialize, Serialize};

use super::{Batch, task_losses};
use crate::data::Dataset;
use crate::engine::{Params, Tape};
use crate::model::UNet;

/// The four numbers reported for one part of the data. A task with no
/// labelled row in the part has NaN for both of its numbers (written
/// `n/a`, an empty CSV cell, or JSON `null`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Mean cross-entropy over labelled samples.
    pub seg_loss: f64,
    /// Mean cross-entropy over labelled profiles.
    pub cls_loss: f64,
    /// Share of labelled samples whose layer is predicted right.
    pub seg_acc: f64,
    /// Share of labelled profiles whose area is predicted right.
    pub cls_acc: f64,
}

/// Running sums over batches.
#[derive(Default)]
struct Tally {
    seg_loss: f64,
    seg_n: usize,
    seg_right: usize,
    cls_loss: f64,
    cls_n: usize,
    cls_right: usize,
}

/// Counts rows whose argmax equals a label (`-1` rows are skipped).
fn count_right(logits: ArrayView2<'_, f32>, labels: &[i32]) -> (usize, usize) {
    let mut right = 0;
    let mut labelled = 0;
    for (row, &label) in logits.rows().into_iter().zip(labels) {
        if label < 0 {
            continue;
        }
        labelled += 1;
        if argmax(row.iter().copied()) == label as usize {
            right += 1;
        }
    }
    (right, labelled)
}

/// The index of the largest value; the first one on ties.
pub fn argmax(values: impl Iterator<Item = f32>) -> usize {
    let mut best = (0, f32::NEG_INFINITY);
    for (i, v) in values.enumerate() {
        if v > best.1 {
            best = (i, v);
        }
    }
    best.0
}

/// Metrics of the model on every profile of `data`, in chunks of
/// `batch_size` profiles.
pub fn evaluate(
    net: &UNet,
    params: &Params<f32>,
    data: &Dataset,
    batch_size: usize,
) -> Metrics {
    let mut t = Tally::default();
    let seg_labels = data.seg.argmax_classes();
    let cls_labels = data.cls.argmax_classes();
    let (seg_labels, cls_labels) = (
        seg_labels.as_slice().expect("std"),
        cls_labels.as_slice().expect("std"),
    );
    let len = data.profile_len();

    for start in (0..data.len()).step_by(batch_size.max(1)) {
        let idx: Vec<usize> =
            (start..(start + batch_size).min(data.len())).collect();
        let batch = Batch::gather(data, &idx);
        let mut tape = Tape::new(params);
        let losses = task_losses(net, &mut tape, &batch, true, true, None);
        let (seg, cls) = (losses.seg.expect("seg"), losses.cls.expect("cls"));

        let seg_logits = tape_logits(&tape, seg);
        let rows = &seg_labels[start * len..(start + idx.len()) * len];
        let (right, n) = count_right(seg_logits.view(), rows);
        t.seg_loss += tape.scalar(seg) as f64 * n as f64;
        t.seg_right += right;
        t.seg_n += n;

        let cls_logits = tape_logits(&tape, cls);
        let rows = &cls_labels[start..start + idx.len()];
        let (right, n) = count_right(cls_logits.view(), rows);
        t.cls_loss += tape.scalar(cls) as f64 * n as f64;
        t.cls_right += right;
        t.cls_n += n;
    }

    let ratio = |a: f64, n: usize| if n == 0 { f64::NAN } else { a / n as f64 };
    Metrics {
        seg_loss: ratio(t.seg_loss, t.seg_n),
        cls_loss: ratio(t.cls_loss, t.cls_n),
        seg_acc: ratio(t.seg_right as f64, t.seg_n),
        cls_acc: ratio(t.cls_right as f64, t.cls_n),
    }
}

/// The logits a loss node was computed from, as `(rows, classes)`.
fn tape_logits(tape: &Tape<'_, f32>, loss: crate::engine::Var) -> Array2<f32> {
    let logits = tape.logits_of(loss);
    let k = *logits.shape().last().expect("classes axis");
    let rows = logits.len() / k;
    logits.to_owned().into_shape_with_order((rows, k)).expect("contiguous")
}

/// Predicted layer per sample `(N, L)` and area probabilities `(N, K)`
/// for normalised profiles `x (N, L)`.
pub fn predict(
    net: &UNet,
    params: &Params<f32>,
    x: &Array2<f32>,
    batch_size: usize,
) -> (Array2<u8>, Array2<f32>) {
    let (n, len) = x.dim();
    let mut layers = Array2::zeros((n, len));
    let mut areas = Array2::zeros((n, net.config.n_areas));

    for start in (0..n).step_by(batch_size.max(1)) {
        let end = (start + batch_size).min(n);
        let chunk = x.slice(s![start..end, ..]).to_owned();
        let chunk = chunk
            .into_shape_with_order((end - start, len, 1))
            .expect("contiguous")
            .into_dyn();
        let mut tape = Tape::new(params);
        let input = tape.input(chunk);
        let enc = net.encode(&mut tape, input, None);
        let seg = net.segment(&mut tape, &enc);
        let cls = net.classify(&mut tape, &enc);

        let seg = tape.value(seg);
        let k = net.config.n_layers;
        for (i, row) in seg.as_slice().expect("std").chunks_exact(k).enumerate()
        {
            layers[[start + i / len, i % len]] =
                argmax(row.iter().copied()) as u8;
        }
        let logits =
            tape.value(cls).into_dimensionality::<ndarray::Ix2>().expect("2d");
        for (mut out, row) in areas
            .slice_mut(s![start..end, ..])
            .axis_iter_mut(Axis(0))
            .zip(logits.rows())
        {
            let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let exp: Vec<f32> = row.iter().map(|&z| (z - max).exp()).collect();
            let sum: f32 = exp.iter().sum();
            for (o, e) in out.iter_mut().zip(&exp) {
                *o = e / sum;
            }
        }
    }
    (layers, areas)
}

//! Fixed values: the forward and backward of each op on tiny inputs,
//! against numbers computed independently with numpy.
//!
//! `tests/reference/fixed_values.py` computes every forward pass from the
//! definition of the op and every backward pass by complex-step
//! differentiation of that forward, then prints the constants pasted at
//! the bottom of this file. A mistake the Rust forward and backward share
//! (a flipped kernel, a wrong padding, a mean over the wrong count) passes
//! the finite-difference checks of `gradients.rs`; it does not pass these.
//! numpy is needed only to regenerate the constants, never to run this.
//!
//! Each op runs on a tape with its inputs made by `input_with_grad`; the
//! upstream gradient `dy` enters as `weighted_sum(y, dy)`, whose gradient
//! with respect to `y` is `dy`.

use lamina::engine::{Params, Tape, Var};
use lamina::ops::softmax_ce::Targets;
use ndarray::{ArrayD, IxDyn};
use numpy::*;

/// Allowed difference, relative to `max(1, |expected|)`. The inputs are
/// multiples of 1/8, so most results are exact; the rest differ from
/// numpy only by summation order and by the rounding of the complex
/// step, both near 1e-16.
const TOL: f64 = 1e-12;

/// Runs `op` on `inputs`, each `(shape, values)` and differentiable, then
/// backward from `sum(dy * y)`. Returns `y` and each input's gradient.
fn forward_backward<F>(
    inputs: &[(&[usize], &[f64])],
    dy: &[f64],
    op: F,
) -> (Vec<f64>, Vec<Vec<f64>>)
where
    F: Fn(&mut Tape<'_, f64>, &[Var]) -> Var,
{
    let params = Params::new();
    let mut tape = Tape::new(&params);
    let vars: Vec<Var> = inputs
        .iter()
        .map(|&(shape, v)| tape.input_with_grad(array(shape, v)))
        .collect();
    let y = op(&mut tape, &vars);

    let y_shape = tape.value(y).shape().to_vec();
    let total = tape.weighted_sum(y, array(&y_shape, dy));
    let grads = tape.backward(total);
    let dx = vars.iter().map(|&v| flat(grads.input(v).unwrap())).collect();
    (flat(&tape.value(y).to_owned()), dx)
}

fn array(shape: &[usize], values: &[f64]) -> ArrayD<f64> {
    ArrayD::from_shape_vec(IxDyn(shape), values.to_vec()).unwrap()
}

fn flat(a: &ArrayD<f64>) -> Vec<f64> {
    a.iter().copied().collect()
}

/// Asserts `got` matches `want` element by element, naming the worst.
#[track_caller]
fn assert_close(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let (mut worst, mut at) = (0.0f64, 0);
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let err = (g - w).abs() / w.abs().max(1.0);
        if err > worst || err.is_nan() {
            (worst, at) = (err, i);
        }
    }
    assert!(
        worst <= TOL,
        "{what}: element {at} is {} but numpy gives {}, rel diff {worst:.2e}",
        got[at],
        want[at]
    );
}

#[test]
fn conv1d_matches_numpy() {
    let inputs: [(&[usize], &[f64]); 3] =
        [(&[2, 4, 2], &CONV1D_X), (&[3, 2, 2], &CONV1D_W), (&[2], &CONV1D_B)];
    let (y, d) = forward_backward(&inputs, &CONV1D_DY, |tape, v| {
        tape.conv1d(v[0], v[1], v[2])
    });
    assert_close("conv1d y", &y, &CONV1D_Y);
    assert_close("conv1d dx", &d[0], &CONV1D_DX);
    assert_close("conv1d dw", &d[1], &CONV1D_DW);
    assert_close("conv1d db", &d[2], &CONV1D_DB);
}

/// The same numbers with the weight and bias as parameters, whose
/// gradients come back through `Grads::param`.
#[test]
fn conv1d_matches_numpy_with_parameters() {
    let mut params = Params::new();
    let w = params.add("w", array(&[3, 2, 2], &CONV1D_W));
    let b = params.add("b", array(&[2], &CONV1D_B));
    let mut tape = Tape::new(&params);
    let x = tape.input(array(&[2, 4, 2], &CONV1D_X));
    let (wv, bv) = (tape.param(w), tape.param(b));
    let y = tape.conv1d(x, wv, bv);
    let total = tape.weighted_sum(y, array(&[2, 4, 2], &CONV1D_DY));
    let grads = tape.backward(total);

    assert_close("conv1d y", &flat(&tape.value(y).to_owned()), &CONV1D_Y);
    assert_close("conv1d dw", &flat(grads.param(w).unwrap()), &CONV1D_DW);
    assert_close("conv1d db", &flat(grads.param(b).unwrap()), &CONV1D_DB);
    assert!(grads.input(x).is_none(), "x was recorded without a gradient");
}

#[test]
fn conv_transpose2_matches_numpy() {
    let inputs: [(&[usize], &[f64]); 3] =
        [(&[2, 3, 2], &CONVT_X), (&[2, 2, 3], &CONVT_W), (&[3], &CONVT_B)];
    let (y, d) = forward_backward(&inputs, &CONVT_DY, |tape, v| {
        tape.conv_transpose2(v[0], v[1], v[2])
    });
    assert_close("conv_transpose2 y", &y, &CONVT_Y);
    assert_close("conv_transpose2 dx", &d[0], &CONVT_DX);
    assert_close("conv_transpose2 dw", &d[1], &CONVT_DW);
    assert_close("conv_transpose2 db", &d[2], &CONVT_DB);
}

/// Odd length 5, the last sample dropped, and a tie whose gradient goes
/// to the first sample of the pair.
#[test]
fn maxpool2_matches_numpy() {
    let inputs: [(&[usize], &[f64]); 1] = [(&[2, 5, 2], &MAXPOOL_X)];
    let (y, d) =
        forward_backward(&inputs, &MAXPOOL_DY, |tape, v| tape.maxpool2(v[0]));
    assert_close("maxpool2 y", &y, &MAXPOOL_Y);
    assert_close("maxpool2 dx", &d[0], &MAXPOOL_DX);
}

#[test]
fn upsample2_matches_numpy() {
    let inputs: [(&[usize], &[f64]); 1] = [(&[2, 3, 2], &UPSAMPLE_X)];
    let (y, d) =
        forward_backward(&inputs, &UPSAMPLE_DY, |tape, v| tape.upsample2(v[0]));
    assert_close("upsample2 y", &y, &UPSAMPLE_Y);
    assert_close("upsample2 dx", &d[0], &UPSAMPLE_DX);
}

#[test]
fn dense_matches_numpy() {
    let inputs: [(&[usize], &[f64]); 3] =
        [(&[3, 4], &DENSE_X), (&[4, 2], &DENSE_W), (&[2], &DENSE_B)];
    let (y, d) = forward_backward(&inputs, &DENSE_DY, |tape, v| {
        tape.dense(v[0], v[1], v[2])
    });
    assert_close("dense y", &y, &DENSE_Y);
    assert_close("dense dx", &d[0], &DENSE_DX);
    assert_close("dense dw", &d[1], &DENSE_DW);
    assert_close("dense db", &d[2], &DENSE_DB);
}

#[test]
fn global_avg_pool_matches_numpy() {
    let inputs: [(&[usize], &[f64]); 1] = [(&[2, 3, 2], &GAP_X)];
    let (y, d) = forward_backward(&inputs, &GAP_DY, |tape, v| {
        tape.global_avg_pool(v[0])
    });
    assert_close("global_avg_pool y", &y, &GAP_Y);
    assert_close("global_avg_pool dx", &d[0], &GAP_DX);
}

/// Runs `dloss * softmax_ce(logits, targets)` and returns the unscaled
/// loss and the gradient of the scaled one.
fn softmax_ce(
    shape: &[usize],
    logits: &[f64],
    targets: Targets<f64>,
    dloss: f64,
) -> (f64, Vec<f64>) {
    let params = Params::new();
    let mut tape = Tape::new(&params);
    let z = tape.input_with_grad(array(shape, logits));
    let loss = tape.softmax_ce(z, targets);
    let scaled = tape.scale(loss, dloss);
    let grads = tape.backward(scaled);
    (tape.scalar(loss), flat(grads.input(z).unwrap()))
}

/// Per position `(B, L, K)`, position `[0, 2]` unlabelled, upstream
/// gradient 0.5: the mean is over the five labelled positions.
#[test]
fn softmax_ce_per_position_matches_numpy() {
    let targets = Targets::Classes(CE_CLASSES.to_vec());
    let (loss, dz) = softmax_ce(&[2, 3, 3], &CE_LOGITS, targets, 0.5);
    assert_close("softmax_ce loss", &[loss], &[CE_LOSS]);
    assert_close("softmax_ce dlogits", &dz, &CE_DLOGITS);
    assert_eq!(&dz[6..9], &[0.0; 3], "the unlabelled row has no gradient");
}

/// Per sample `(B, K)` with soft targets, the middle row all zero.
#[test]
fn softmax_ce_soft_targets_match_numpy() {
    let targets = Targets::Probs(CE_SOFT_PROBS.to_vec());
    let (loss, dz) = softmax_ce(&[3, 3], &CE_SOFT_LOGITS, targets, 1.0);
    assert_close("softmax_ce soft loss", &[loss], &[CE_SOFT_LOSS]);
    assert_close("softmax_ce soft dlogits", &dz, &CE_SOFT_DLOGITS);
}

// ---------------------------------------------------------------------
// Everything below was printed by
//     python3 tests/reference/fixed_values.py
// and pasted unchanged.
// ---------------------------------------------------------------------

/// Printed by tests/reference/fixed_values.py with numpy 2.4.6.
#[rustfmt::skip]
mod numpy {

// conv1d: x (2, 4, 2), w (3, 2, 2), b (2), dy (2, 4, 2)
pub const CONV1D_X: [f64; 16] = [
    -0.875, -0.25, 0.375, 1.0, -0.5, 0.125, 0.75, -0.75, -0.125, 0.5, -1.0,
    -0.375, 0.25, 0.875, -0.625, 0.0,
];
pub const CONV1D_W: [f64; 12] = [
    -0.625, 0.25, -1.0, -0.125, 0.75, -0.5, 0.375, -0.875, 0.0, 0.875, -0.375,
    0.5,
];
pub const CONV1D_B: [f64; 2] = [
    -0.375, 0.0,
];
pub const CONV1D_DY: [f64; 16] = [
    -0.75, 0.625, -0.125, -0.875, 0.5, -0.25, -1.0, 0.375, -0.375, 1.0, 0.25,
    -0.5, 0.875, 0.125, -0.625, 0.75,
];
pub const CONV1D_Y: [f64; 16] = [
    -1.5, 1.484375, 1.03125, -1.625, -1.65625, 0.390625, 0.09375, 0.140625,
    -0.140625, -1.4375, -2.015625, 1.390625, 1.140625, -1.640625, -1.875,
    0.265625,
];
pub const CONV1D_DX: [f64; 16] = [
    -1.015625, -0.5937499999999999, 0.515625, 0.84375, 0.453125,
    0.9687500000000002, -1.15625, -1.015625, -1.0625, -1.203125,
    0.7968750000000001, 0.28125, 0.734375, 0.40625, -0.734375,
    -1.1562499999999998,
];
pub const CONV1D_DW: [f64; 12] = [
    -0.265625, 0.6093749999999999, -0.34375, 0.375, 0.015624999999999913,
    -0.53125, 1.359375, -0.546875, 0.046875, -0.7187499999999998,
    -0.7812500000000001, -0.109375,
];
pub const CONV1D_DB: [f64; 2] = [
    -1.25, 1.25,
];

// conv_transpose2: x (2, 3, 2), w (2, 2, 3), b (3), dy (2, 6, 3)
pub const CONVT_X: [f64; 12] = [
    -0.5, -0.125, 0.25, 0.625, 1.0, -0.75, -0.375, 0.0, 0.375, 0.75, -1.0,
    -0.625,
];
pub const CONVT_W: [f64; 12] = [
    -0.125, 0.5, -1.0, -0.375, 0.25, 0.875, -0.625, 0.0, 0.625, -0.875, -0.25,
    0.375,
];
pub const CONVT_B: [f64; 3] = [
    -0.75, -0.25, 0.25,
];
pub const CONVT_DY: [f64; 36] = [
    -0.875, 0.0, 0.875, -0.375, 0.5, -0.75, 0.125, 1.0, -0.25, 0.625, -0.625,
    0.25, -1.0, -0.125, 0.75, -0.5, 0.375, -0.875, 0.0, 0.875, -0.375, 0.5,
    -0.75, 0.125, 1.0, -0.25, 0.625, -0.625, 0.25, -1.0, -0.125, 0.75, -0.5,
    0.375, -0.875, 0.0,
];
pub const CONVT_Y: [f64; 36] = [
    -0.640625, -0.53125, 0.640625, -0.328125, -0.21875, -0.109375, -1.015625,
    0.03125, 0.546875, -1.453125, -0.40625, 0.640625, -0.59375, 0.0625,
    -1.40625, -0.71875, -0.0625, 0.59375, -0.703125, -0.4375, 0.625, -0.515625,
    -0.25, 0.015625, -1.078125, 0.125, 0.53125, -1.640625, -0.4375, 0.765625,
    -0.390625, -0.90625, 0.703125, 0.421875, -0.09375, -0.609375,
];
pub const CONVT_DX: [f64; 12] = [
    -1.0, 1.015625, 0.5, -0.3125, -0.9218750000000001, 1.015625, 0.578125,
    -0.3125, -1.109375, 0.21875, 0.65625, -0.3125,
];
pub const CONVT_DW: [f64; 12] = [
    -0.03125, -1.046875, 1.125, 1.7656250000000002, 0.0625, -0.046875,
    -0.9531249999999999, 1.21875, -0.8593750000000001, 0.109375, 0.0, 0.15625,
];
pub const CONVT_DB: [f64; 3] = [
    -0.875, 1.125, -1.125,
];

// maxpool2: x (2, 5, 2), dy (2, 2, 2); a tie at x[1, 2:4, 1]
pub const MAXPOOL_X: [f64; 20] = [
    -0.75, -0.125, 0.5, -1.0, -0.375, 0.25, 0.875, -0.625, 0.0, 0.625, -0.875,
    -0.25, 0.375, 1.0, -0.5, 0.25, 0.75, 0.25, -0.125, 0.5,
];
pub const MAXPOOL_DY: [f64; 8] = [
    -0.875, -0.5, -0.125, 0.25, 0.625, 1.0, -0.75, -0.375,
];
pub const MAXPOOL_Y: [f64; 8] = [
    0.5, -0.125, 0.875, 0.25, 0.375, 1.0, 0.75, 0.25,
];
pub const MAXPOOL_DX: [f64; 20] = [
    0.0, -0.5, -0.875, 0.0, 0.0, 0.25, -0.125, 0.0, 0.0, 0.0, 0.0, 0.0, 0.625,
    1.0, 0.0, -0.375, -0.75, 0.0, 0.0, 0.0,
];

// upsample2: x (2, 3, 2), dy (2, 6, 2)
pub const UPSAMPLE_X: [f64; 12] = [
    -0.625, -0.25, 0.125, 0.5, 0.875, -0.875, -0.5, -0.125, 0.25, 0.625, 1.0,
    -0.75,
];
pub const UPSAMPLE_DY: [f64; 24] = [
    -0.5, 0.125, 0.75, -0.75, -0.125, 0.5, -1.0, -0.375, 0.25, 0.875, -0.625,
    0.0, 0.625, -0.875, -0.25, 0.375, 1.0, -0.5, 0.125, 0.75, -0.75, -0.125,
    0.5, -1.0,
];
pub const UPSAMPLE_Y: [f64; 24] = [
    -0.625, -0.25, -0.625, -0.25, 0.125, 0.5, 0.125, 0.5, 0.875, -0.875, 0.875,
    -0.875, -0.5, -0.125, -0.5, -0.125, 0.25, 0.625, 0.25, 0.625, 1.0, -0.75,
    1.0, -0.75,
];
pub const UPSAMPLE_DX: [f64; 12] = [
    0.25, -0.625, -1.125, 0.125, -0.375, 0.875, 0.375, -0.5, 1.125, 0.25,
    -0.25, -1.125,
];

// dense: x (3, 4), w (4, 2), b (2), dy (3, 2)
pub const DENSE_X: [f64; 12] = [
    -0.75, 0.125, 1.0, -0.25, 0.625, -0.625, 0.25, -1.0, -0.125, 0.75, -0.5,
    0.375,
];
pub const DENSE_W: [f64; 8] = [
    -0.25, 0.125, 0.5, 0.875, -0.875, -0.5, -0.125, 0.25,
];
pub const DENSE_B: [f64; 2] = [
    -0.875, -0.25,
];
pub const DENSE_DY: [f64; 6] = [
    -0.625, -0.125, 0.375, 0.875, -0.75, -0.25,
];
pub const DENSE_Y: [f64; 6] = [
    -1.46875, -0.796875, -1.4375, -1.09375, -0.078125, 0.734375,
];
pub const DENSE_DX: [f64; 12] = [
    0.140625, -0.421875, 0.609375, 0.046875, 0.015625, 0.9531249999999999,
    -0.765625, 0.171875, 0.15625, -0.59375, 0.78125, 0.03125,
];
pub const DENSE_DW: [f64; 8] = [
    0.7968750000000001, 0.671875, -0.875, -0.75, -0.15625, 0.21875, -0.5,
    -0.9375,
];
pub const DENSE_DB: [f64; 2] = [
    -1.0, 0.5,
];

// global_avg_pool: x (2, 3, 2), dy (2, 2)
pub const GAP_X: [f64; 12] = [
    -0.375, 0.5, -0.75, 0.125, 1.0, -0.25, 0.625, -0.625, 0.25, -1.0, -0.125,
    0.75,
];
pub const GAP_DY: [f64; 4] = [
    -0.75, -0.375, 0.0, 0.375,
];
pub const GAP_Y: [f64; 4] = [
    -0.041666666666666664, 0.125, 0.25, -0.2916666666666667,
];
pub const GAP_DX: [f64; 12] = [
    -0.25, -0.125, -0.25, -0.125, -0.25, -0.125, 0.0, 0.125, 0.0, 0.125, 0.0,
    0.125,
];

// softmax_ce per position: logits (2, 3, 3) * 2, classes, dloss 0.5
pub const CE_LOGITS: [f64; 18] = [
    -1.25, 0.0, 1.25, -1.75, -0.5, 0.75, 2.0, -1.0, 0.25, 1.5, -1.5, -0.25,
    1.0, -2.0, -0.75, 0.5, 1.75, -1.25,
];
pub const CE_CLASSES: [i32; 6] = [0, 2, -1, 1, 1, 0];
pub const CE_LOSS: f64 = 2.214198235699107;
pub const CE_DLOGITS: [f64; 18] = [
    -0.09400222046848858, 0.020934307548219695, 0.07306791292026889,
    0.005997779531511429, 0.020934307548219695, -0.026932087079731125, 0.0,
    0.0, 0.0, 0.08172865842741431, -0.09593096969526052, 0.014202311267846239,
    0.08172865842741431, -0.09593096969526052, 0.014202311267846239,
    -0.07855971406281856, 0.07483395102680943, 0.003725763036009143,
];

// softmax_ce soft targets: logits (3, 3) * 2, probs, row 1 zero
pub const CE_SOFT_LOGITS: [f64; 9] = [
    -1.0, 0.75, -1.75, 0.0, 1.75, -0.75, 1.0, -1.5, 0.25,
];
pub const CE_SOFT_PROBS: [f64; 9] = [
    0.25, 0.5, 0.25, 0.0, 0.0, 0.0, 0.125, 0.125, 0.75,
];
pub const CE_SOFT_LOSS: f64 = 1.3032212689022222;
pub const CE_SOFT_DLOGITS: [f64; 9] = [
    -0.05581470472972986, 0.1481338853025432, -0.09231918057281326, 0.0, 0.0,
    0.0, 0.25915685676145145, -0.036096797355368644, -0.22306005940608287,
];
}

//! Gradient checks: every op's backward pass against central finite
//! differences in `f64`, the same for a small composed U-Net, the `f32`
//! path against the `f64` one, and the parameter count of the default
//! model.
//!
//! A check builds a scalar on a tape, takes its gradient with
//! `Tape::backward`, and compares every element with the central
//! difference `(f(x + h) - f(x - h)) / 2h`, h = 1e-5. The error of one
//! element is `|analytic - numeric| / max(1, |analytic|, |numeric|)` and
//! must stay at most 1e-6. Ops with a non-scalar output are reduced with
//! `weighted_sum` against random weights, so each output element carries
//! its own upstream gradient. Op inputs stay at least 1e-3 away from the
//! kinks of ReLU and max, a hundred steps away.
//!
//! Values in these checks tell the shrinker nothing, so each proptest
//! case draws a shape and a seed, and every value comes from the seed.
//! Run with `--nocapture` to see the largest error of every check.

use lamina::engine::{Float, ParamId, Params, Tape, Var};
use lamina::model::{UNet, UNetConfig, Upsample};
use lamina::ops::softmax_ce::Targets;
use ndarray::{ArrayD, IxDyn};
use proptest::prelude::*;
use proptest::sample::select;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The largest relative error allowed between analytic and numeric.
const TOL: f64 = 1e-6;

/// The step of the central differences.
const H: f64 = 1e-5;

// ---------------------------------------------------------------------
// The checker
// ---------------------------------------------------------------------

/// A value a check differentiates with respect to.
#[derive(Clone, Copy, Debug)]
enum Wrt {
    /// The i-th input handed to the closure.
    Input(usize),
    Param(ParamId),
}

/// What one check saw.
#[derive(Debug)]
struct Outcome {
    /// The largest relative error over the elements compared.
    max_err: f64,
    /// Elements compared.
    checked: usize,
    /// Of those, elements with a nonzero analytic gradient.
    nonzero: usize,
    /// Elements skipped because a kink lay within the step.
    kinks: usize,
}

/// Compares the gradient of the scalar that `build` records with central
/// differences, for every element of every input and parameter.
///
/// `build` gets a tape over `params` and one variable per input (made
/// with `input_with_grad`), and returns the scalar. With `guard_kinks`,
/// an element that fails is estimated again with step h / 10; if the two
/// estimates disagree, a kink of ReLU or max lies within the step, the
/// difference means nothing there, and the element is counted in
/// `kinks` instead of failing.
///
/// # Panics
///
/// If any element is off by more than [`TOL`], naming the worst ones.
fn check_gradients<F>(
    label: &str,
    inputs: &[ArrayD<f64>],
    params: &Params<f64>,
    guard_kinks: bool,
    build: F,
) -> Outcome
where
    F: Fn(&mut Tape<'_, f64>, &[Var]) -> Var,
{
    // The analytic gradients, from one backward pass; a value the
    // scalar does not depend on has gradient zero.
    let mut tape = Tape::new(params);
    let vars: Vec<Var> =
        inputs.iter().map(|x| tape.input_with_grad(x.clone())).collect();
    let root = build(&mut tape, &vars);
    let grads = tape.backward(root);
    let mut analytic = Vec::new();
    for (i, (x, &v)) in inputs.iter().zip(&vars).enumerate() {
        let g = grads.input(v).cloned();
        analytic.push((Wrt::Input(i), g.unwrap_or(ArrayD::zeros(x.dim()))));
    }
    for id in params.ids() {
        let g = grads.param(id).cloned();
        let zeros = || ArrayD::zeros(params.get(id).dim());
        analytic.push((Wrt::Param(id), g.unwrap_or_else(zeros)));
    }

    // The numeric ones, one element at a time, on private copies.
    let mut xs = inputs.to_vec();
    let mut ps = params.clone();
    let mut out = Outcome { max_err: 0.0, checked: 0, nonzero: 0, kinks: 0 };
    let mut failures = Vec::new();
    for (wrt, g) in &analytic {
        for (j, &a) in g.iter().enumerate() {
            let mut numeric =
                |h| central_difference(&build, &mut xs, &mut ps, *wrt, j, h);
            let n = numeric(H);
            let err = rel_err(a, n);
            if err > TOL && guard_kinks && rel_err(n, numeric(H / 10.0)) > TOL {
                out.kinks += 1;
                continue;
            }
            out.checked += 1;
            out.nonzero += usize::from(a != 0.0);
            out.max_err = out.max_err.max(err);
            if err > TOL {
                let name = element_name(params, *wrt, g.shape(), j);
                failures.push((err, format!("{name}: {a:e} vs {n:e}")));
            }
        }
    }

    eprintln!(
        "{label}: max rel err {:.1e} over {} elements ({} nonzero), {} \
         on kinks",
        out.max_err, out.checked, out.nonzero, out.kinks
    );
    if !failures.is_empty() {
        failures.sort_by(|a, b| b.0.total_cmp(&a.0));
        let worst: Vec<String> = failures
            .iter()
            .take(8)
            .map(|(e, what)| format!("  {what} (rel err {e:.2e})"))
            .collect();
        panic!(
            "{label}: {} of {} elements off by more than {TOL:e}, largest \
             {:.2e}; analytic vs numeric:\n{}",
            failures.len(),
            out.checked,
            failures[0].0,
            worst.join("\n")
        );
    }
    out
}

/// `(f(v + h) - f(v - h)) / (2h)` for element `j` of `wrt`, which is
/// restored afterwards. Divides by the step actually taken, which is
/// not exactly `2h` in floating point.
fn central_difference<F>(
    build: &F,
    xs: &mut [ArrayD<f64>],
    ps: &mut Params<f64>,
    wrt: Wrt,
    j: usize,
    h: f64,
) -> f64
where
    F: Fn(&mut Tape<'_, f64>, &[Var]) -> Var,
{
    let v = *slot(xs, ps, wrt, j);
    let (up, down) = (v + h, v - h);
    *slot(xs, ps, wrt, j) = up;
    let f_up = evaluate(build, xs, ps);
    *slot(xs, ps, wrt, j) = down;
    let f_down = evaluate(build, xs, ps);
    *slot(xs, ps, wrt, j) = v;
    (f_up - f_down) / (up - down)
}

fn slot<'a>(
    xs: &'a mut [ArrayD<f64>],
    ps: &'a mut Params<f64>,
    wrt: Wrt,
    j: usize,
) -> &'a mut f64 {
    let a = match wrt {
        Wrt::Input(i) => &mut xs[i],
        Wrt::Param(id) => ps.get_mut(id),
    };
    &mut a.as_slice_mut().expect("standard layout")[j]
}

/// The scalar `build` records, on a fresh tape.
fn evaluate<F>(build: &F, xs: &[ArrayD<f64>], ps: &Params<f64>) -> f64
where
    F: Fn(&mut Tape<'_, f64>, &[Var]) -> Var,
{
    let mut tape = Tape::new(ps);
    let vars: Vec<Var> =
        xs.iter().map(|x| tape.input_with_grad(x.clone())).collect();
    let root = build(&mut tape, &vars);
    tape.scalar(root)
}

fn rel_err(a: f64, b: f64) -> f64 {
    (a - b).abs() / 1f64.max(a.abs()).max(b.abs())
}

/// `x[1, 2, 0]` or `enc0.conv1.w[0, 1, 1]`: element `j` of a value.
fn element_name(
    params: &Params<f64>,
    wrt: Wrt,
    shape: &[usize],
    mut j: usize,
) -> String {
    let mut index = vec![0; shape.len()];
    for (d, &n) in shape.iter().enumerate().rev() {
        index[d] = j % n;
        j /= n;
    }
    match wrt {
        Wrt::Input(i) => format!("input {i} {index:?}"),
        Wrt::Param(id) => format!("{} {index:?}", params.name(id)),
    }
}

// ---------------------------------------------------------------------
// Random values
// ---------------------------------------------------------------------

fn uniform(
    rng: &mut ChaCha8Rng,
    shape: &[usize],
    lo: f64,
    hi: f64,
) -> ArrayD<f64> {
    ArrayD::from_shape_simple_fn(IxDyn(shape), || rng.random_range(lo..hi))
}

/// Values in `+-[1e-3, 1]`: never within 1e-3 of the ReLU kink.
fn off_zero(rng: &mut ChaCha8Rng, shape: &[usize]) -> ArrayD<f64> {
    uniform(rng, shape, 1e-3, 1.0)
        .mapv_into(|v| if rng.random::<bool>() { v } else { -v })
}

/// `(B, L, C)` values whose pooled pairs `(2l, 2l + 1)` differ by at
/// least 1e-3, so no maximum is near a tie.
fn distinct_pairs(rng: &mut ChaCha8Rng, shape: &[usize]) -> ArrayD<f64> {
    let mut x = uniform(rng, shape, -1.0, 1.0);
    let (len, c) = (shape[1], shape[2]);
    for profile in x.as_slice_mut().unwrap().chunks_exact_mut(len * c) {
        for pair in profile.chunks_exact_mut(2 * c) {
            let (first, second) = pair.split_at_mut(c);
            for (a, b) in first.iter().zip(second) {
                if (*a - *b).abs() < 1e-3 {
                    *b = *a + 2e-3;
                }
            }
        }
    }
    x
}

/// One class index per row, each row unlabelled (-1) with probability
/// `p_ignored`.
fn classes(
    rng: &mut ChaCha8Rng,
    rows: usize,
    k: usize,
    p_ignored: f64,
) -> Vec<i32> {
    (0..rows)
        .map(|_| {
            if rng.random_bool(p_ignored) {
                -1
            } else {
                rng.random_range(0..k as i32)
            }
        })
        .collect()
}

/// Probability rows, `soft` ones or one-hot, some of them all zero
/// (unlabelled).
fn prob_rows(
    rng: &mut ChaCha8Rng,
    rows: usize,
    k: usize,
    soft: bool,
) -> Vec<f64> {
    let mut t = vec![0.0; rows * k];
    for row in t.chunks_exact_mut(k) {
        if rng.random_bool(0.2) {
            continue;
        }
        if soft {
            row.iter_mut().for_each(|p| *p = rng.random_range(0.01..1.0));
            let sum: f64 = row.iter().sum();
            row.iter_mut().for_each(|p| *p /= sum);
        } else {
            row[rng.random_range(0..k)] = 1.0;
        }
    }
    t
}

fn config(cases: u32) -> ProptestConfig {
    // No regression files: values come from seeds, shown on failure.
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(cases)
    }
}

/// A store holding the given arrays, named `w`, `b`, ... in order.
fn store(arrays: Vec<(&str, ArrayD<f64>)>) -> (Params<f64>, Vec<ParamId>) {
    let mut params = Params::new();
    let ids = arrays.into_iter().map(|(n, a)| params.add(n, a)).collect();
    (params, ids)
}

fn no_params() -> Params<f64> {
    Params::new()
}

// ---------------------------------------------------------------------
// One op at a time
// ---------------------------------------------------------------------

proptest! {
    #![proptest_config(config(64))]

    /// Gradients wrt x (an input), w and b (parameters).
    #[test]
    fn conv1d_gradients(
        batch in 1usize..=4,
        len in 1usize..=64,
        c_in in 1usize..=8,
        c_out in 1usize..=8,
        kernel in select(vec![1usize, 3, 5]),
        seed in any::<u64>(),
    ) {
        let rng = &mut ChaCha8Rng::seed_from_u64(seed);
        let x = uniform(rng, &[batch, len, c_in], -1.0, 1.0);
        let (params, ids) = store(vec![
            ("w", uniform(rng, &[kernel, c_in, c_out], -1.0, 1.0)),
            ("b", uniform(rng, &[c_out], -1.0, 1.0)),
        ]);
        let weights = uniform(rng, &[batch, len, c_out], -1.0, 1.0);

        check_gradients("conv1d", &[x], &params, false, |tape, xs| {
            let (w, b) = (tape.param(ids[0]), tape.param(ids[1]));
            let y = tape.conv1d(xs[0], w, b);
            tape.weighted_sum(y, weights.clone())
        });
    }

    #[test]
    fn conv_transpose2_gradients(
        batch in 1usize..=4,
        len in 1usize..=64,
        c_in in 1usize..=8,
        c_out in 1usize..=8,
        seed in any::<u64>(),
    ) {
        let rng = &mut ChaCha8Rng::seed_from_u64(seed);
        let x = uniform(rng, &[batch, len, c_in], -1.0, 1.0);
        let (params, ids) = store(vec![
            ("w", uniform(rng, &[2, c_in, c_out], -1.0, 1.0)),
            ("b", uniform(rng, &[c_out], -1.0, 1.0)),
        ]);
        let weights = uniform(rng, &[batch, 2 * len, c_out], -1.0, 1.0);

        check_gradients("conv_transpose2", &[x], &params, false, |tape, xs| {
            let (w, b) = (tape.param(ids[0]), tape.param(ids[1]));
            let y = tape.conv_transpose2(xs[0], w, b);
            tape.weighted_sum(y, weights.clone())
        });
    }

    #[test]
    fn upsample2_gradients(
        batch in 1usize..=4,
        len in 1usize..=64,
        c in 1usize..=8,
        seed in any::<u64>(),
    ) {
        let rng = &mut ChaCha8Rng::seed_from_u64(seed);
        let x = uniform(rng, &[batch, len, c], -1.0, 1.0);
        let weights = uniform(rng, &[batch, 2 * len, c], -1.0, 1.0);

        check_gradients("upsample2", &[x], &no_params(), false, |tape, xs| {
            let y = tape.upsample2(xs[0]);
            tape.weighted_sum(y, weights.clone())
        });
    }

    /// Odd lengths drop the last sample, whose gradient must be zero;
    /// length 1 gives an empty output.
    #[test]
    fn maxpool2_gradients(
        batch in 1usize..=4,
        len in 1usize..=64,
        c in 1usize..=8,
        seed in any::<u64>(),
    ) {
        let rng = &mut ChaCha8Rng::seed_from_u64(seed);
        let x = distinct_pairs(rng, &[batch, len, c]);
        let weights = uniform(rng, &[batch, len / 2, c], -1.0, 1.0);

        check_gradients("maxpool2", &[x], &no_params(), false, |tape, xs| {
            let y = tape.maxpool2(xs[0]);
            tape.weighted_sum(y, weights.clone())
        });
    }

    #[test]
    fn concat_gradients(
        batch in 1usize..=4,
        len in 1usize..=64,
        ca in 1usize..=8,
        cb in 1usize..=8,
        seed in any::<u64>(),
    ) {
        let rng = &mut ChaCha8Rng::seed_from_u64(seed);
        let a = uniform(rng, &[batch, len, ca], -1.0, 1.0);
        let b = uniform(rng, &[batch, len, cb], -1.0, 1.0);
        let weights = uniform(rng, &[batch, len, ca + cb], -1.0, 1.0);

        check_gradients("concat", &[a, b], &no_params(), false, |tape, xs| {
            let y = tape.concat(xs[0], xs[1]);
            tape.weighted_sum(y, weights.clone())
        });
    }

    #[test]
    fn relu_gradients(
        batch in 1usize..=4,
        len in 1usize..=64,
        c in 1usize..=8,
        seed in any::<u64>(),
    ) {
        let rng = &mut ChaCha8Rng::seed_from_u64(seed);
        let x = off_zero(rng, &[batch, len, c]);
        let weights = uniform(rng, &[batch, len, c], -1.0, 1.0);

        check_gradients("relu", &[x], &no_params(), false, |tape, xs| {
            let y = tape.relu(xs[0]);
            tape.weighted_sum(y, weights.clone())
        });
    }

    /// `a + b`, and `a + a`: a value read twice gets both gradients.
    #[test]
    fn add_gradients(
        batch in 1usize..=4,
        len in 1usize..=64,
        c in 1usize..=8,
        seed in any::<u64>(),
    ) {
        let rng = &mut ChaCha8Rng::seed_from_u64(seed);
        let shape = [batch, len, c];
        let a = uniform(rng, &shape, -1.0, 1.0);
        let b = uniform(rng, &shape, -1.0, 1.0);
        let weights = uniform(rng, &shape, -1.0, 1.0);

        let sum = |tape: &mut Tape<'_, f64>, xs: &[Var]| {
            let y = tape.add(xs[0], xs[1]);
            tape.weighted_sum(y, weights.clone())
        };
        check_gradients("add", &[a.clone(), b], &no_params(), false, sum);
        let twice = |tape: &mut Tape<'_, f64>, xs: &[Var]| {
            let y = tape.add(xs[0], xs[0]);
            tape.weighted_sum(y, weights.clone())
        };
        let out = check_gradients("a + a", &[a], &no_params(), false, twice);
        prop_assert_eq!(out.checked, batch * len * c);
    }

    #[test]
    fn scale_gradients(
        batch in 1usize..=4,
        len in 1usize..=64,
        c in 1usize..=8,
        factor in -3.0f64..3.0,
        seed in any::<u64>(),
    ) {
        let rng = &mut ChaCha8Rng::seed_from_u64(seed);
        let x = uniform(rng, &[batch, len, c], -1.0, 1.0);
        let weights = uniform(rng, &[batch, len, c], -1.0, 1.0);

        check_gradients("scale", &[x], &no_params(), false, |tape, xs| {
            let y = tape.scale(xs[0], factor);
            tape.weighted_sum(y, weights.clone())
        });
    }

    #[test]
    fn global_avg_pool_gradients(
        batch in 1usize..=4,
        len in 1usize..=64,
        c in 1usize..=8,
        seed in any::<u64>(),
    ) {
        let rng = &mut ChaCha8Rng::seed_from_u64(seed);
        let x = uniform(rng, &[batch, len, c], -1.0, 1.0);
        let weights = uniform(rng, &[batch, c], -1.0, 1.0);

        let mean = |tape: &mut Tape<'_, f64>, xs: &[Var]| {
            let y = tape.global_avg_pool(xs[0]);
            tape.weighted_sum(y, weights.clone())
        };
        check_gradients("global_avg_pool", &[x], &no_params(), false, mean);
    }

    /// `x (N, F)` an input, `w (F, G)` and `b (G)` parameters.
    #[test]
    fn dense_gradients(
        rows in 1usize..=64,
        f in 1usize..=8,
        g in 1usize..=8,
        seed in any::<u64>(),
    ) {
        let rng = &mut ChaCha8Rng::seed_from_u64(seed);
        let x = uniform(rng, &[rows, f], -1.0, 1.0);
        let (params, ids) = store(vec![
            ("w", uniform(rng, &[f, g], -1.0, 1.0)),
            ("b", uniform(rng, &[g], -1.0, 1.0)),
        ]);
        let weights = uniform(rng, &[rows, g], -1.0, 1.0);

        check_gradients("dense", &[x], &params, false, |tape, xs| {
            let (w, b) = (tape.param(ids[0]), tape.param(ids[1]));
            let y = tape.dense(xs[0], w, b);
            tape.weighted_sum(y, weights.clone())
        });
    }
}

/// The weight gradient of conv1d splits its `K * Ci` rows into tasks of
/// 32; random shapes above reach a second task only for K = 5 with 7 or
/// 8 input channels, so these shapes make sure of two and three tasks.
#[test]
fn conv1d_gradients_with_wide_windows() {
    let shapes = [(2, 9, 8, 3, 5), (1, 5, 13, 2, 5), (3, 4, 16, 4, 3)];
    for (seed, (batch, len, c_in, c_out, kernel)) in
        shapes.into_iter().enumerate()
    {
        let rng = &mut ChaCha8Rng::seed_from_u64(seed as u64);
        let x = uniform(rng, &[batch, len, c_in], -1.0, 1.0);
        let (params, ids) = store(vec![
            ("w", uniform(rng, &[kernel, c_in, c_out], -1.0, 1.0)),
            ("b", uniform(rng, &[c_out], -1.0, 1.0)),
        ]);
        let weights = uniform(rng, &[batch, len, c_out], -1.0, 1.0);

        check_gradients("conv1d wide", &[x], &params, false, |tape, xs| {
            let (w, b) = (tape.param(ids[0]), tape.param(ids[1]));
            let y = tape.conv1d(xs[0], w, b);
            tape.weighted_sum(y, weights.clone())
        });
    }
}

// ---------------------------------------------------------------------
// Softmax cross-entropy
// ---------------------------------------------------------------------

/// Checks `dloss * softmax_ce(logits, targets)`: the factor stands for
/// the upstream gradient a weighted total of losses would pass down.
fn check_softmax_ce(
    label: &str,
    logits: ArrayD<f64>,
    targets: Targets<f64>,
    dloss: f64,
) {
    check_gradients(label, &[logits], &no_params(), false, |tape, xs| {
        let loss = tape.softmax_ce(xs[0], targets.clone());
        tape.scale(loss, dloss)
    });
}

proptest! {
    #![proptest_config(config(64))]

    /// Per position, `(B, L, K)`, about one row in five unlabelled.
    #[test]
    fn softmax_ce_per_position_gradients(
        batch in 1usize..=4,
        len in 1usize..=64,
        k in 1usize..=8,
        dloss in 0.5f64..2.0,
        seed in any::<u64>(),
    ) {
        let rng = &mut ChaCha8Rng::seed_from_u64(seed);
        let logits = uniform(rng, &[batch, len, k], -3.0, 3.0);
        let targets = Targets::Classes(classes(rng, batch * len, k, 0.2));
        check_softmax_ce("softmax_ce (B, L, K)", logits, targets, dloss);
    }

    /// Per sample, `(B, K)`, with unlabelled samples.
    #[test]
    fn softmax_ce_per_sample_gradients(
        batch in 1usize..=4,
        k in 1usize..=8,
        dloss in 0.5f64..2.0,
        seed in any::<u64>(),
    ) {
        let rng = &mut ChaCha8Rng::seed_from_u64(seed);
        let logits = uniform(rng, &[batch, k], -3.0, 3.0);
        let targets = Targets::Classes(classes(rng, batch, k, 0.3));
        check_softmax_ce("softmax_ce (B, K)", logits, targets, dloss);
    }

    /// Probability targets, one-hot and soft, with zero rows.
    #[test]
    fn softmax_ce_prob_target_gradients(
        batch in 1usize..=4,
        len in 1usize..=64,
        k in 1usize..=8,
        soft: bool,
        seed in any::<u64>(),
    ) {
        let rng = &mut ChaCha8Rng::seed_from_u64(seed);
        let logits = uniform(rng, &[batch, len, k], -3.0, 3.0);
        let targets = Targets::Probs(prob_rows(rng, batch * len, k, soft));
        check_softmax_ce("softmax_ce probs", logits, targets, 1.0);
    }

    /// One-hot probability rows give the loss and gradient of the
    /// matching class indices.
    #[test]
    fn softmax_ce_one_hot_equals_classes(
        rows in 1usize..=64,
        k in 1usize..=8,
        seed in any::<u64>(),
    ) {
        let rng = &mut ChaCha8Rng::seed_from_u64(seed);
        let logits = uniform(rng, &[rows, k], -3.0, 3.0);
        let c = classes(rng, rows, k, 0.2);
        let mut one_hot = vec![0.0; rows * k];
        for (r, &c) in c.iter().enumerate().filter(|(_, c)| **c >= 0) {
            one_hot[r * k + c as usize] = 1.0;
        }

        let by_class = loss_and_grad(&logits, Targets::Classes(c));
        let by_prob = loss_and_grad(&logits, Targets::Probs(one_hot));
        prop_assert!((by_class.0 - by_prob.0).abs() <= 1e-14);
        for (a, b) in by_class.1.iter().zip(&by_prob.1) {
            prop_assert!((a - b).abs() <= 1e-15, "{} vs {}", a, b);
        }
    }

    /// With no labelled row the loss is 0 and every gradient is 0, not
    /// NaN, for both kinds of targets.
    #[test]
    fn softmax_ce_all_ignored_is_zero(
        batch in 1usize..=4,
        len in 1usize..=64,
        k in 1usize..=8,
        seed in any::<u64>(),
    ) {
        let rng = &mut ChaCha8Rng::seed_from_u64(seed);
        let logits = uniform(rng, &[batch, len, k], -3.0, 3.0);
        for targets in [
            Targets::Classes(vec![-1; batch * len]),
            Targets::Probs(vec![0.0; batch * len * k]),
        ] {
            let (loss, grad) = loss_and_grad(&logits, targets);
            prop_assert_eq!(loss, 0.0);
            prop_assert!(grad.iter().all(|&g| g == 0.0), "{:?}", grad);
        }
    }
}

fn loss_and_grad(
    logits: &ArrayD<f64>,
    targets: Targets<f64>,
) -> (f64, ArrayD<f64>) {
    let params = no_params();
    let mut tape = Tape::new(&params);
    let z = tape.input_with_grad(logits.clone());
    let loss = tape.softmax_ce(z, targets);
    let grads = tape.backward(loss);
    (tape.scalar(loss), grads.input(z).expect("logits need a gradient").clone())
}

// ---------------------------------------------------------------------
// Dropout
// ---------------------------------------------------------------------

/// The mask dropout draws from `seed`: dropout applied to ones.
fn dropout_mask(shape: &[usize], p: f64, seed: u64) -> ArrayD<f64> {
    let params = no_params();
    let mut tape = Tape::new(&params);
    let ones = tape.input(ArrayD::ones(IxDyn(shape)));
    let rng = &mut ChaCha8Rng::seed_from_u64(seed);
    let y = tape.dropout(ones, p, rng);
    tape.value(y).to_owned()
}

proptest! {
    #![proptest_config(config(64))]

    /// With a fixed mask, dropout is `y = mask * x`: its gradient is
    /// exactly `mask * upstream`, and the same seed draws the same mask.
    #[test]
    fn dropout_gradient_is_mask_times_upstream(
        batch in 1usize..=4,
        len in 1usize..=64,
        c in 1usize..=8,
        p in 0.0f64..0.9,
        seed in any::<u64>(),
    ) {
        let shape = [batch, len, c];
        let rng = &mut ChaCha8Rng::seed_from_u64(seed);
        let x = uniform(rng, &shape, -1.0, 1.0);
        let weights = uniform(rng, &shape, -1.0, 1.0);

        // The mask: kept elements scaled by 1 / (1 - p), the rest zero,
        // and drawn again identically from the same seed.
        let mask = dropout_mask(&shape, p, seed);
        let keep = 1.0 / (1.0 - p);
        prop_assert!(mask.iter().all(|&m| m == 0.0 || m == keep));
        prop_assert_eq!(&mask, &dropout_mask(&shape, p, seed));

        // Forward and backward with that mask.
        let params = no_params();
        let mut tape = Tape::new(&params);
        let xv = tape.input_with_grad(x.clone());
        let y = tape.dropout(xv, p, &mut ChaCha8Rng::seed_from_u64(seed));
        let total = tape.weighted_sum(y, weights.clone());
        let grads = tape.backward(total);
        prop_assert_eq!(tape.value(y).to_owned(), &mask * &x);
        prop_assert_eq!(grads.input(xv).unwrap(), &(&mask * &weights));

        // And finite differences, the mask drawn anew on every tape.
        check_gradients("dropout", &[x], &params, false, |tape, xs| {
            let rng = &mut ChaCha8Rng::seed_from_u64(seed);
            let y = tape.dropout(xs[0], p, rng);
            tape.weighted_sum(y, weights.clone())
        });
    }
}

// ---------------------------------------------------------------------
// The composed network
// ---------------------------------------------------------------------

/// A two-level U-Net with every part, small enough to differentiate
/// numerically with respect to each of its ~400 parameters.
fn small_config(length: usize, upsample: Upsample) -> UNetConfig {
    UNetConfig {
        length,
        in_channels: 1,
        n_layers: 3,
        n_areas: 4,
        filters: vec![2, 3],
        bottleneck: 4,
        kernel: 3,
        cls_hidden: 3,
        upsample,
        dropout: 0.0,
    }
}

/// Inputs and targets for a batch of three: layer labels with about one
/// position in six unlabelled, and the second sample without an area.
struct Batch {
    x: ArrayD<f64>,
    seg: Vec<i32>,
    cls: Vec<i32>,
}

fn batch(config: &UNetConfig, batch: usize, seed: u64) -> Batch {
    let rng = &mut ChaCha8Rng::seed_from_u64(seed);
    let shape = [batch, config.length, config.in_channels];
    let x = uniform(rng, &shape, -2.0, 2.0);
    let seg = classes(rng, batch * config.length, config.n_layers, 1.0 / 6.0);
    let mut cls = classes(rng, batch, config.n_areas, 0.0);
    if batch > 1 {
        cls[1] = -1;
    }
    Batch { x, seg, cls }
}

/// Redraws every bias in `[0.05, 0.5)`. With two or three channels a
/// level, the default initialisation leaves whole levels dead (all
/// ReLUs off) for some seeds, and a dead level has gradient zero, which
/// checks nothing. Positive biases keep most units on.
fn lift_biases(params: &mut Params<f64>, seed: u64) {
    let rng = &mut ChaCha8Rng::seed_from_u64(seed);
    for id in params.ids() {
        if params.name(id).ends_with(".b") {
            params.get_mut(id).mapv_inplace(|_| rng.random_range(0.05..0.5));
        }
    }
}

/// Which loss a network check differentiates.
#[derive(Clone, Copy, Debug)]
enum Loss {
    Seg,
    Cls,
    /// `seg + 0.5 * cls`, both heads on one tape.
    Joint,
}

fn record_loss(
    net: &UNet,
    tape: &mut Tape<'_, f64>,
    x: Var,
    data: &Batch,
    loss: Loss,
) -> Var {
    let enc = net.encode(tape, x, None);
    let seg = |tape: &mut Tape<'_, f64>| {
        let logits = net.segment(tape, &enc);
        tape.softmax_ce(logits, Targets::Classes(data.seg.clone()))
    };
    let cls = |tape: &mut Tape<'_, f64>| {
        let logits = net.classify(tape, &enc);
        tape.softmax_ce(logits, Targets::Classes(data.cls.clone()))
    };
    match loss {
        Loss::Seg => seg(tape),
        Loss::Cls => cls(tape),
        Loss::Joint => {
            let (s, c) = (seg(tape), cls(tape));
            let c = tape.scale(c, 0.5);
            tape.add(s, c)
        }
    }
}

/// Every parameter and the input, for both losses and their sum, on a
/// few seeds of both upsampling kinds. Kinks detected by the h / 10
/// estimate are skipped, and must stay rare.
#[test]
fn unet_gradients_match_finite_differences() {
    let cases = [
        (8, Upsample::Transposed, 0),
        (16, Upsample::Transposed, 1),
        (8, Upsample::Nearest, 2),
        (16, Upsample::Nearest, 3),
    ];
    let (mut worst, mut checked, mut kinks) = (0.0f64, 0, 0);
    for (length, upsample, seed) in cases {
        let config = small_config(length, upsample);
        let (net, mut params) =
            UNet::init::<f64>(config.clone(), seed).unwrap();
        lift_biases(&mut params, seed);
        let data = batch(&config, 3, 100 + seed);

        for loss in [Loss::Seg, Loss::Cls, Loss::Joint] {
            let label =
                format!("unet L={length} {upsample:?} seed {seed} {loss:?}");
            let build = |tape: &mut Tape<'_, f64>, xs: &[Var]| {
                record_loss(&net, tape, xs[0], &data, loss)
            };
            let x = std::slice::from_ref(&data.x);
            let out = check_gradients(&label, x, &params, true, build);
            assert!(out.kinks * 100 <= out.checked, "{label}: {out:?}");
            if let Loss::Joint = loss {
                // Most of the network must be alive to be checked at all.
                assert!(out.nonzero * 5 >= out.checked * 4, "{label}: {out:?}");
            }
            worst = worst.max(out.max_err);
            checked += out.checked;
            kinks += out.kinks;
        }
    }
    eprintln!("unet: max rel err {worst:.1e} over {checked}, {kinks} on kinks");
}

/// The checker itself: a ReLU input 3e-6 from its kink, inside the step,
/// fails the plain check and is skipped by the guarded one, while its
/// neighbours are still compared.
#[test]
fn kink_guard_skips_only_elements_within_a_step() {
    let x = ArrayD::from_shape_vec(IxDyn(&[1, 3, 1]), vec![0.5, 3e-6, -0.5]);
    let x = x.unwrap();
    let weights = ArrayD::from_elem(IxDyn(&[1, 3, 1]), 1.0);
    let build = |tape: &mut Tape<'_, f64>, xs: &[Var]| {
        let y = tape.relu(xs[0]);
        tape.weighted_sum(y, weights.clone())
    };

    let inputs = std::slice::from_ref(&x);
    let out =
        check_gradients("relu at a kink", inputs, &no_params(), true, build);
    assert_eq!((out.checked, out.kinks, out.nonzero), (2, 1, 1));
    let plain = std::panic::catch_unwind(|| {
        check_gradients("relu at a kink", &[x], &no_params(), false, build)
    });
    assert!(plain.is_err(), "the plain check must fail at the kink");
}

// ---------------------------------------------------------------------
// f32 against f64
// ---------------------------------------------------------------------

/// The seg and cls losses of one batch and their gradients (every
/// parameter in id order, then the input), as `f64`.
fn losses_and_grads<T: Float>(
    net: &UNet,
    params: &Params<T>,
    data: &Batch,
) -> Vec<(f64, Vec<ArrayD<f64>>)> {
    let mut tape = Tape::new(params);
    let x = tape.input_with_grad(data.x.mapv(T::of));
    let enc = net.encode(&mut tape, x, None);
    let seg = net.segment(&mut tape, &enc);
    let seg = tape.softmax_ce(seg, Targets::Classes(data.seg.clone()));
    let cls = net.classify(&mut tape, &enc);
    let cls = tape.softmax_ce(cls, Targets::Classes(data.cls.clone()));

    // Two backward passes over the one tape.
    [seg, cls]
        .into_iter()
        .map(|loss| {
            let grads = tape.backward(loss);
            let mut all: Vec<ArrayD<f64>> = params
                .ids()
                .map(|id| match grads.param(id) {
                    Some(g) => g.mapv(|v| v.f64()),
                    None => ArrayD::zeros(params.get(id).dim()),
                })
                .collect();
            all.push(grads.input(x).unwrap().mapv(|v| v.f64()));
            (tape.scalar(loss).f64(), all)
        })
        .collect()
}

/// Runs `config` in `f32` and in `f64` on the same values (rounded to
/// `f32` first, so both types hold them exactly) and returns the largest
/// relative difference of the losses and of the gradients. `lift` gives
/// the small network positive biases, as in the finite-difference check.
///
/// Tolerances: losses within 1e-5 relative, each gradient within 1e-3
/// of its largest magnitude. `f32` keeps 24 bits (6e-8 relative); a
/// convolution of the default model sums up to `K * C` = 768 products,
/// each layer adds its own rounding, and ~20 layers forward and back
/// compound it. A gradient also passes ReLU and max decisions that a
/// value within rounding of the kink may take differently in each type.
/// Measured: losses agree to ~1e-7 and gradients to ~2e-6 of their
/// scale, margins of about 100 and 400, while a conversion slip or a
/// kernel that differs between the types is off by far more.
fn compare_precisions(
    config: UNetConfig,
    n: usize,
    seed: u64,
    lift: bool,
) -> (f64, f64) {
    let (net, mut params) = UNet::init::<f64>(config.clone(), seed).unwrap();
    if lift {
        lift_biases(&mut params, seed);
    }
    let p32: Params<f32> = params.cast();
    let p64: Params<f64> = p32.cast();
    let mut data = batch(&config, n, seed);
    data.x.mapv_inplace(|v| v as f32 as f64);

    let single = losses_and_grads(&net, &p32, &data);
    let double = losses_and_grads(&net, &p64, &data);
    let (mut loss_err, mut grad_err) = (0.0f64, 0.0f64);
    for ((l32, g32), (l64, g64)) in single.iter().zip(&double) {
        let err = (l32 - l64).abs() / l64.abs();
        assert!(err <= 1e-5, "losses {l32} (f32) and {l64} (f64)");
        loss_err = loss_err.max(err);

        for (i, (a, b)) in g32.iter().zip(g64).enumerate() {
            let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let diff = (a - b).iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let what = match params_name(&p64, i) {
                Some(name) => name,
                None => "input".to_string(),
            };
            assert!(
                diff <= 1e-3 * scale,
                "{what}: f32 and f64 gradients differ by {diff:e} of {scale:e}"
            );
            if scale > 0.0 {
                grad_err = grad_err.max(diff / scale);
            }
        }
    }
    (loss_err, grad_err)
}

fn params_name(params: &Params<f64>, i: usize) -> Option<String> {
    (i < params.len()).then(|| params.name(ParamId(i)).to_string())
}

#[test]
fn f32_matches_f64_on_small_network() {
    for (upsample, seed) in [(Upsample::Transposed, 0), (Upsample::Nearest, 1)]
    {
        let (loss, grad) =
            compare_precisions(small_config(16, upsample), 3, seed, true);
        eprintln!(
            "small {upsample:?}: loss rel {loss:.1e}, grad rel {grad:.1e}"
        );
    }
}

#[test]
fn f32_matches_f64_on_default_network() {
    let (loss, grad) = compare_precisions(UNetConfig::default(), 2, 7, false);
    eprintln!("default: loss rel {loss:.1e}, grad rel {grad:.1e}");
}

#[test]
fn default_model_has_694_808_parameters() {
    let (_, params) = UNet::init::<f32>(UNetConfig::default(), 0).unwrap();
    assert_eq!(params.num_scalars(), 694_808);
}

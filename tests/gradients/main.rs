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

mod network;
mod ops;

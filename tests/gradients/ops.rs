//! One op at a time: each backward kernel against finite differences,
//! over random shapes and values.

use super::*;

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

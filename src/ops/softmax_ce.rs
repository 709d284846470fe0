//! Softmax cross-entropy from logits, mean over labelled rows.
//!
//! `logits (R, K)`: R is the batch for the area task and batch * length
//! for the layer task (the tape flattens all axes but the last). Targets
//! are class indices or probability rows. A row with no label (index -1,
//! or a probability row of zeros) contributes nothing, and the mean is
//! over labelled rows only; with none labelled the loss is 0 and so is
//! every gradient, never NaN.
//!
//! For one row with target distribution `t` (sum `s`, 1 or 0):
//! `loss = s * logsumexp(z) - t . z`, `dz = s * softmax(z) - t`.

use crate::engine::Float;

/// What a row should have been.
#[derive(Clone, Debug, PartialEq)]
pub enum Targets<T> {
    /// One class index per row; -1 means no label.
    Classes(Vec<i32>),
    /// `R * K` probabilities, row-major; a row of zeros means no label.
    Probs(Vec<T>),
}

/// The loss and the softmax probabilities of every row (for backward).
pub struct SoftmaxCe<T> {
    pub loss: T,
    pub probs: Vec<T>,
    pub labelled: usize,
}

/// Mean cross-entropy of `logits (R, K)` against `targets`.
///
/// # Panics
///
/// If a class index is outside `-1..K` or the sizes disagree; data is
/// validated before it reaches the tape, so that is a bug.
pub fn softmax_ce_forward<T: Float>(
    logits: &[T],
    k: usize,
    targets: &Targets<T>,
) -> SoftmaxCe<T> {
    let rows = logits.len() / k;
    let mut probs = vec![T::zero(); logits.len()];
    let mut total = 0.0f64;
    let mut labelled = 0;
    for r in 0..rows {
        let z = &logits[r * k..(r + 1) * k];
        let p = &mut probs[r * k..(r + 1) * k];
        let max = z.iter().fold(T::neg_infinity(), |m, &v| m.max(v));
        let mut sum = T::zero();
        for (p, &z) in p.iter_mut().zip(z) {
            *p = (z - max).exp();
            sum += *p;
        }
        for p in p.iter_mut() {
            *p = *p / sum;
        }
        let lse = max + sum.ln();

        let row_loss = match targets {
            Targets::Classes(c) => match c[r] {
                -1 => None,
                c => {
                    assert!((c as usize) < k, "softmax_ce: class {c} of {k}");
                    Some(lse - z[c as usize])
                }
            },
            Targets::Probs(t) => {
                let t = &t[r * k..(r + 1) * k];
                let s: T = t.iter().copied().sum();
                let dot: T = t.iter().zip(z).map(|(&t, &z)| t * z).sum();
                (s > T::zero()).then(|| s * lse - dot)
            }
        };
        if let Some(l) = row_loss {
            total += l.f64();
            labelled += 1;
        }
    }
    let loss =
        if labelled == 0 { T::zero() } else { T::of(total / labelled as f64) };
    SoftmaxCe { loss, probs, labelled }
}

/// `dlogits += dloss * (s * softmax - t) / labelled`.
pub fn softmax_ce_backward<T: Float>(
    probs: &[T],
    k: usize,
    targets: &Targets<T>,
    labelled: usize,
    dloss: T,
    dlogits: &mut [T],
) {
    if labelled == 0 {
        return;
    }
    let scale = dloss / T::of(labelled as f64);
    for (r, (p, d)) in
        probs.chunks_exact(k).zip(dlogits.chunks_exact_mut(k)).enumerate()
    {
        match targets {
            Targets::Classes(c) => {
                if c[r] < 0 {
                    continue;
                }
                for (j, (&p, d)) in p.iter().zip(d.iter_mut()).enumerate() {
                    let t =
                        if j == c[r] as usize { T::one() } else { T::zero() };
                    *d += scale * (p - t);
                }
            }
            Targets::Probs(t) => {
                let t = &t[r * k..(r + 1) * k];
                let s: T = t.iter().copied().sum();
                for ((&p, &t), d) in p.iter().zip(t).zip(d.iter_mut()) {
                    *d += scale * (s * p - t);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_logits_give_log_k() {
        let out =
            softmax_ce_forward(&[0.0f64; 6], 3, &Targets::Classes(vec![0, 2]));
        assert!((out.loss - 3f64.ln()).abs() < 1e-15);
        assert_eq!(out.labelled, 2);
    }

    #[test]
    fn by_hand_with_ignored_row() {
        // Row 0: z = [1, 2], class 1: loss = ln(e + e^2) - 2 = 0.31326169.
        // Row 1 ignored. Gradient of row 0: softmax - onehot
        // = [0.26894142, -0.26894142].
        let t = Targets::Classes(vec![1, -1]);
        let z = [1.0f64, 2.0, 50.0, -50.0];
        let out = softmax_ce_forward(&z, 2, &t);
        assert!((out.loss - 0.313_261_687_518_222_8).abs() < 1e-12);
        let mut dz = [0.0; 4];
        softmax_ce_backward(&out.probs, 2, &t, out.labelled, 1.0, &mut dz);
        assert!((dz[0] - 0.268_941_421_369_995_1).abs() < 1e-12);
        assert!((dz[1] + 0.268_941_421_369_995_1).abs() < 1e-12);
        assert_eq!(&dz[2..], &[0.0, 0.0]);
    }

    #[test]
    fn one_hot_probs_match_class_indices() {
        let z = [0.3f64, -1.0, 2.0, 0.5, 0.5, 0.1];
        let a = softmax_ce_forward(&z, 3, &Targets::Classes(vec![2, 0]));
        let probs = Targets::Probs(vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
        let b = softmax_ce_forward(&z, 3, &probs);
        assert!((a.loss - b.loss).abs() < 1e-15);
    }

    #[test]
    fn all_ignored_is_zero_not_nan() {
        let t = Targets::Classes(vec![-1, -1]);
        let out = softmax_ce_forward(&[1.0f32, 2.0, 3.0, 4.0], 2, &t);
        assert_eq!(out.loss, 0.0);
        let mut dz = [0.0f32; 4];
        softmax_ce_backward(&out.probs, 2, &t, out.labelled, 1.0, &mut dz);
        assert_eq!(dz, [0.0; 4]);
    }
}

//! One batch as the tape wants it: inputs `(B, L, 1)` and the targets of
//! both tasks, gathered from a (normalised) [`Dataset`].

use ndarray::{ArrayD, Axis, IxDyn};

use crate::data::{Dataset, Labels};
use crate::ops::softmax_ce::Targets;

/// Inputs and targets of one batch.
pub struct Batch {
    /// `(B, L, 1)` profiles.
    pub x: ArrayD<f32>,
    /// One row per sample: `B * L` rows.
    pub seg: Targets<f32>,
    /// One row per profile: `B` rows.
    pub cls: Targets<f32>,
}

impl Batch {
    /// The profiles `idx` of `data`, in that order.
    pub fn gather(data: &Dataset, idx: &[usize]) -> Batch {
        let x = data.x.select(Axis(0), idx);
        let (b, l) = x.dim();
        let x = x.into_shape_with_order(IxDyn(&[b, l, 1])).expect("contiguous");
        Batch {
            x,
            seg: targets(&data.seg.take(idx)),
            cls: targets(&data.cls.take(idx)),
        }
    }

    /// The number of profiles.
    pub fn len(&self) -> usize {
        self.x.shape()[0]
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Flattens labels into the rows the loss reads.
pub fn targets(labels: &Labels) -> Targets<f32> {
    match labels {
        Labels::Classes(c) => Targets::Classes(c.iter().copied().collect()),
        Labels::Probs(p) => Targets::Probs(p.iter().copied().collect()),
    }
}

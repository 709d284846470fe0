//! Targets for one task, as class indices or as probabilities.
//!
//! A label row is what one prediction is scored against: a profile for
//! the area task, a sample of a profile for the layer task. This file
//! owns how rows are stored, selected and turned into class indices;
//! checking them against a number of classes is left to the loader.

use ndarray::{ArrayD, Axis};

/// Targets for one task. Rows: N for the area task, N*L for the layer
/// task.
#[derive(Clone, Debug, PartialEq)]
pub enum Labels {
    /// Class index per item; shape (N,) for areas or (N, L) for layers.
    /// -1 = no label (ignored by the loss).
    Classes(ArrayD<i32>),
    /// Probabilities per item; shape (N, K) or (N, L, K). A row of all
    /// zeros = no label.
    Probs(ArrayD<f32>),
}

impl Labels {
    /// The number of profiles N (the length of axis 0).
    pub fn len(&self) -> usize {
        self.row_shape().first().copied().unwrap_or(0)
    }

    /// True when there are no profiles.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The shape of the label rows: (N,) or (N, L), without the class
    /// axis of probabilities.
    pub fn row_shape(&self) -> &[usize] {
        match self {
            Labels::Classes(c) => c.shape(),
            Labels::Probs(p) => &p.shape()[..p.ndim() - 1],
        }
    }

    /// A lower bound on the number of classes: K for probabilities, one
    /// more than the largest label for class indices (0 if no row is
    /// labelled). The true count comes from the configuration.
    pub fn n_classes_hint(&self) -> usize {
        match self {
            Labels::Classes(c) => {
                let max = c.iter().copied().max().unwrap_or(-1);
                (max + 1).max(0) as usize
            }
            Labels::Probs(p) => p.shape()[p.ndim() - 1],
        }
    }

    /// The items `idx` along axis 0, in the given order (repeats
    /// allowed).
    ///
    /// # Panics
    ///
    /// Panics if an index is `>= self.len()`.
    pub fn take(&self, idx: &[usize]) -> Labels {
        match self {
            Labels::Classes(c) => Labels::Classes(c.select(Axis(0), idx)),
            Labels::Probs(p) => Labels::Probs(p.select(Axis(0), idx)),
        }
    }

    /// The class index of every row, -1 where a row has no label. For
    /// probabilities this is the argmax of the row, the lowest index on
    /// ties.
    pub fn argmax_classes(&self) -> ArrayD<i32> {
        match self {
            Labels::Classes(c) => c.clone(),
            Labels::Probs(p) => p.map_axis(Axis(p.ndim() - 1), |row| {
                let mut best = -1;
                let mut best_p = 0.0;
                for (k, &v) in row.iter().enumerate() {
                    if v > best_p {
                        best = k as i32;
                        best_p = v;
                    }
                }
                best
            }),
        }
    }

    /// Whether each row carries a label (a class >= 0, or probabilities
    /// that are not all zero); shape [`Labels::row_shape`].
    pub fn is_labelled(&self) -> ArrayD<bool> {
        match self {
            Labels::Classes(c) => c.mapv(|k| k >= 0),
            Labels::Probs(p) => p.map_axis(Axis(p.ndim() - 1), |row| {
                row.iter().any(|&v| v != 0.0)
            }),
        }
    }

    /// The number of rows that carry a label.
    pub fn n_labelled(&self) -> usize {
        self.is_labelled().iter().filter(|&&b| b).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{IxDyn, array};

    fn probs() -> Labels {
        // Three profiles of two samples, three classes.
        let p = array![
            [[0.2, 0.5, 0.3], [0.0, 0.0, 0.0]],
            [[0.4, 0.4, 0.2], [0.0, 0.0, 1.0]],
            [[1.0, 0.0, 0.0], [0.1, 0.1, 0.8]],
        ];
        Labels::Probs(p.into_dyn())
    }

    #[test]
    fn len_rows_and_hint() {
        let c = Labels::Classes(array![[0, 2], [-1, 1]].into_dyn());
        assert_eq!(c.len(), 2);
        assert_eq!(c.row_shape(), &[2, 2]);
        assert_eq!(c.n_classes_hint(), 3);
        assert_eq!(probs().len(), 3);
        assert_eq!(probs().row_shape(), &[3, 2]);
        assert_eq!(probs().n_classes_hint(), 3);
        let none = Labels::Classes(array![-1, -1].into_dyn());
        assert_eq!(none.n_classes_hint(), 0);
    }

    #[test]
    fn take_keeps_order_and_repeats() {
        let c = Labels::Classes(array![5, 6, 7, 8].into_dyn());
        let t = c.take(&[3, 0, 3]);
        assert_eq!(t, Labels::Classes(array![8, 5, 8].into_dyn()));
        let Labels::Probs(p) = probs().take(&[2, 0]) else { panic!() };
        assert_eq!(p.shape(), &[2, 2, 3]);
        assert_eq!(p[[0, 1, 2]], 0.8);
        assert_eq!(p[[1, 0, 1]], 0.5);
    }

    #[test]
    fn argmax_ties_go_low_and_zero_rows_are_unlabelled() {
        let got = probs().argmax_classes();
        let want = array![[1, -1], [0, 2], [0, 2]].into_dyn();
        assert_eq!(got, want);
        let labelled = probs().is_labelled();
        assert!(!labelled[IxDyn(&[0, 1])]);
        assert_eq!(probs().n_labelled(), 5);
    }

    #[test]
    fn classes_argmax_is_identity() {
        let c = Labels::Classes(array![[0, -1], [3, 1]].into_dyn());
        assert_eq!(c.argmax_classes(), array![[0, -1], [3, 1]].into_dyn());
        assert_eq!(c.n_labelled(), 3);
    }
}

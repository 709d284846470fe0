//! The order in which one epoch visits the training profiles, as
//! batches of indices.
//!
//! Shuffling uses a ChaCha8 generator seeded per epoch by the caller, so
//! a run is reproducible while every epoch sees a different order. This
//! file hands out indices only; gathering the profiles is the trainer's.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// An iterator over index batches covering `0..n` exactly once.
#[derive(Clone, Debug)]
pub struct Batches {
    order: Vec<usize>,
    batch_size: usize,
    next: usize,
}

impl Batches {
    /// Batches of `batch_size` indices of `0..n` (the last may be
    /// smaller), in order when `shuffle_seed` is `None`, otherwise in a
    /// Fisher-Yates shuffle by `ChaCha8Rng::seed_from_u64(seed)`.
    ///
    /// # Panics
    ///
    /// Panics if `batch_size` is 0.
    pub fn new(
        n: usize,
        batch_size: usize,
        shuffle_seed: Option<u64>,
    ) -> Batches {
        assert!(batch_size > 0, "batch size must be at least 1");
        let mut order: Vec<usize> = (0..n).collect();
        if let Some(seed) = shuffle_seed {
            order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
        }
        Batches { order, batch_size, next: 0 }
    }

    /// The number of batches in the whole epoch, `ceil(n / batch_size)`.
    pub fn n_batches(&self) -> usize {
        self.order.len().div_ceil(self.batch_size)
    }
}

impl Iterator for Batches {
    type Item = Vec<usize>;

    fn next(&mut self) -> Option<Vec<usize>> {
        if self.next >= self.order.len() {
            return None;
        }
        let end = (self.next + self.batch_size).min(self.order.len());
        let batch = self.order[self.next..end].to_vec();
        self.next = end;
        Some(batch)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = (self.order.len() - self.next).div_ceil(self.batch_size);
        (left, Some(left))
    }
}

impl ExactSizeIterator for Batches {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unshuffled_batches_are_in_order_with_a_short_tail() {
        let b: Vec<Vec<usize>> = Batches::new(7, 3, None).collect();
        assert_eq!(b, vec![vec![0, 1, 2], vec![3, 4, 5], vec![6]]);
        assert_eq!(Batches::new(7, 3, None).n_batches(), 3);
        assert_eq!(Batches::new(7, 3, None).len(), 3);
        assert_eq!(Batches::new(0, 3, None).count(), 0);
    }

    #[test]
    fn shuffled_batches_cover_every_index_once() {
        let batches: Vec<Vec<usize>> = Batches::new(103, 10, Some(5)).collect();
        assert_eq!(batches.len(), 11);
        assert!(batches[..10].iter().all(|b| b.len() == 10));
        assert_eq!(batches[10].len(), 3);
        let mut all: Vec<usize> = batches.concat();
        assert_ne!(all, (0..103).collect::<Vec<_>>(), "must be shuffled");
        all.sort_unstable();
        assert_eq!(all, (0..103).collect::<Vec<_>>());
    }

    #[test]
    fn same_seed_same_order_other_seed_other_order() {
        let a: Vec<_> = Batches::new(50, 8, Some(42)).collect();
        let b: Vec<_> = Batches::new(50, 8, Some(42)).collect();
        let c: Vec<_> = Batches::new(50, 8, Some(43)).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    #[should_panic(expected = "batch size")]
    fn zero_batch_size_panics() {
        let _ = Batches::new(4, 0, None);
    }
}

//! Dividing profiles into a train and a test set, by group (such as the
//! hemisphere) or at random.
//!
//! Neighbouring profiles of the cortex are near-duplicates, so a random
//! split inflates test scores; splitting by group is the honest default
//! for real data. This file only computes index lists; taking the
//! profiles is [`Dataset::take`](super::Dataset::take).

use std::collections::BTreeSet;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::{Error, Result};

/// How to choose the test profiles.
#[derive(Clone, Debug, PartialEq)]
pub enum Split {
    /// Test on the profiles whose group is `test_group`, train on all
    /// others. `groups` holds one id per profile.
    ByGroup { groups: Vec<i64>, test_group: i64 },
    /// Test on a random `test_fraction` of the profiles (rounded, at
    /// least one), drawn with a generator seeded by `seed`.
    Random { test_fraction: f64, seed: u64 },
}

/// The (train, test) indices of `n` profiles, each sorted ascending.
///
/// # Errors
///
/// [`Error::Config`] if the group array does not have `n` entries, the
/// test group has no profile or holds them all, the fraction is not in
/// (0, 1), or the fraction leaves the train or test set empty.
pub fn split_indices(
    n: usize,
    split: &Split,
) -> Result<(Vec<usize>, Vec<usize>)> {
    match split {
        Split::ByGroup { groups, test_group } => {
            by_group(n, groups, *test_group)
        }
        Split::Random { test_fraction, seed } => {
            random(n, *test_fraction, *seed)
        }
    }
}

fn by_group(
    n: usize,
    groups: &[i64],
    test_group: i64,
) -> Result<(Vec<usize>, Vec<usize>)> {
    if groups.len() != n {
        return Err(Error::Config(format!(
            "the group array has {} entries but the data has {n} profiles",
            groups.len()
        )));
    }
    let (test, train): (Vec<usize>, Vec<usize>) =
        (0..n).partition(|&i| groups[i] == test_group);

    if test.is_empty() {
        let present: BTreeSet<i64> = groups.iter().copied().collect();
        let present: Vec<String> =
            present.iter().map(|g| g.to_string()).collect();
        return Err(Error::Config(format!(
            "test group {test_group} has no profile; the groups present \
             are {}",
            present.join(", ")
        )));
    }
    if train.is_empty() {
        return Err(Error::Config(format!(
            "all {n} profiles are in test group {test_group}, which leaves \
             nothing to train on"
        )));
    }
    log::debug!(
        "split by group {test_group}: {} train, {}",
        train.len(),
        test.len()
    );
    Ok((train, test))
}

fn random(
    n: usize,
    test_fraction: f64,
    seed: u64,
) -> Result<(Vec<usize>, Vec<usize>)> {
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        return Err(Error::Config(format!(
            "test fraction {test_fraction} is not strictly between 0 and 1"
        )));
    }
    let n_test = ((n as f64 * test_fraction).round() as usize).max(1);
    if n_test >= n {
        return Err(Error::Config(format!(
            "a test fraction of {test_fraction} of {n} profiles leaves \
             nothing to train on"
        )));
    }

    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let mut test = order[..n_test].to_vec();
    let mut train = order[n_test..].to_vec();
    test.sort_unstable();
    train.sort_unstable();
    Ok((train, test))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by(groups: &[i64], test_group: i64) -> Split {
        Split::ByGroup { groups: groups.to_vec(), test_group }
    }

    #[test]
    fn by_group_puts_the_group_in_test() {
        let split = by(&[0, 1, 1, 0, 2, 1], 1);
        let (train, test) = split_indices(6, &split).unwrap();
        assert_eq!(train, vec![0, 3, 4]);
        assert_eq!(test, vec![1, 2, 5]);
    }

    #[test]
    fn by_group_errors() {
        let e = split_indices(4, &by(&[0, 1, 0], 1)).unwrap_err();
        assert!(matches!(e, Error::Config(_)));
        assert!(e.to_string().contains("3 entries"), "{e}");

        let e = split_indices(3, &by(&[0, 2, 0], 1)).unwrap_err();
        assert!(matches!(e, Error::Config(_)));
        assert!(e.to_string().contains("groups present are 0, 2"), "{e}");

        let e = split_indices(2, &by(&[1, 1], 1)).unwrap_err();
        assert!(matches!(e, Error::Config(_)));
        assert!(e.to_string().contains("nothing to train on"), "{e}");
    }

    #[test]
    fn random_sizes_disjoint_and_deterministic() {
        let split = Split::Random { test_fraction: 0.25, seed: 7 };
        let (train, test) = split_indices(10, &split).unwrap();
        assert_eq!((train.len(), test.len()), (7, 3));
        let mut all: Vec<usize> = train.iter().chain(&test).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        assert!(train.windows(2).all(|w| w[0] < w[1]));
        assert!(test.windows(2).all(|w| w[0] < w[1]));

        assert_eq!(split_indices(10, &split).unwrap(), (train, test.clone()));
        let other = Split::Random { test_fraction: 0.25, seed: 8 };
        let (_, test8) = split_indices(1000, &other).unwrap();
        let (_, test7) = split_indices(1000, &split).unwrap();
        assert_eq!((test7.len(), test8.len()), (250, 250));
        assert_ne!(test7, test8);
    }

    #[test]
    fn random_fraction_errors() {
        for f in [0.0, 1.0, -0.1, 1.5, f64::NAN] {
            let split = Split::Random { test_fraction: f, seed: 0 };
            let e = split_indices(10, &split).unwrap_err();
            assert!(matches!(e, Error::Config(_)), "{f}: {e}");
        }
        let split = Split::Random { test_fraction: 0.9, seed: 0 };
        assert!(split_indices(1, &split).is_err());
        // A tiny fraction still tests on one profile.
        let split = Split::Random { test_fraction: 0.01, seed: 0 };
        assert_eq!(split_indices(10, &split).unwrap().1.len(), 1);
    }
}

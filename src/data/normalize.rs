//! Bringing raw grey values (about 35,000 to 65,000 in the BigBrain) to
//! a scale a network can train on.
//!
//! A [`Normalizer`] is fitted on the training profiles only and saved
//! with the model, so that test data and later predictions are scaled
//! the same way. Statistics are computed in `f64`, in row-major order,
//! so a fit is reproducible to the bit.

use std::fmt;
use std::str::FromStr;

use ndarray::{Array2, Axis};

use crate::{Error, Result};

/// Added to each profile's standard deviation in [`NormMode::Profile`],
/// so a constant profile maps to zeros rather than NaN.
pub const PROFILE_EPS: f64 = 1e-6;

/// Which statistics z-score the profiles.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum NormMode {
    /// One mean and standard deviation for all values of the training
    /// set.
    Dataset,
    /// Each profile by its own mean and standard deviation.
    Profile,
    /// Raw values, unchanged.
    None,
}

impl fmt::Display for NormMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NormMode::Dataset => "dataset",
            NormMode::Profile => "profile",
            NormMode::None => "none",
        })
    }
}

impl FromStr for NormMode {
    type Err = Error;

    fn from_str(s: &str) -> Result<NormMode> {
        match s {
            "dataset" => Ok(NormMode::Dataset),
            "profile" => Ok(NormMode::Profile),
            "none" => Ok(NormMode::None),
            _ => Err(Error::Config(format!(
                "unknown normalisation {s:?}; expected dataset, profile or \
                 none"
            ))),
        }
    }
}

/// A fitted normalisation: the mode, and the mean and (population)
/// standard deviation of every value of the data it was fitted on.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Normalizer {
    pub mode: NormMode,
    pub mean: f64,
    pub std: f64,
}

impl Normalizer {
    /// Fits on the profiles `x` (N, L). The mean and standard deviation
    /// are recorded in every mode; only [`NormMode::Dataset`] uses them.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] if `x` is empty, holds a NaN or infinite value,
    /// or (unless the mode is `None`) has the same value everywhere.
    pub fn fit(x: &Array2<f32>, mode: NormMode) -> Result<Normalizer> {
        if x.is_empty() {
            let msg = "cannot fit a normaliser on an empty array";
            return Err(Error::Config(msg.into()));
        }
        if let Some(((i, j), v)) =
            x.indexed_iter().find(|(_, v)| !v.is_finite())
        {
            return Err(Error::Config(format!(
                "cannot normalise: profile {i}, sample {j} is {v}"
            )));
        }

        let (mean, std) = mean_std(x.iter());
        if std == 0.0 && mode != NormMode::None {
            return Err(Error::Config(format!(
                "every value of the training profiles equals {mean}, so \
                 they carry no signal and cannot be normalised ({mode} \
                 mode); check X"
            )));
        }
        log::debug!("normaliser ({mode}): mean {mean}, std {std}");
        Ok(Normalizer { mode, mean, std })
    }

    /// The profiles `x` (N, L), normalised.
    ///
    /// `Dataset`: `(x - mean) / std`. `Profile`: `(x - mean_p) / (std_p +
    /// PROFILE_EPS)` with each profile's own population statistics, so a
    /// constant profile becomes all zeros. `None`: a copy of `x`.
    pub fn apply(&self, x: &Array2<f32>) -> Array2<f32> {
        match self.mode {
            NormMode::None => x.clone(),
            NormMode::Dataset => {
                let (mean, std) = (self.mean, self.std);
                x.mapv(|v| ((f64::from(v) - mean) / std) as f32)
            }
            NormMode::Profile => {
                let mut out = x.clone();
                for mut row in out.axis_iter_mut(Axis(0)) {
                    let (mean, std) = mean_std(row.iter());
                    let scale = 1.0 / (std + PROFILE_EPS);
                    row.mapv_inplace(|v| {
                        ((f64::from(v) - mean) * scale) as f32
                    });
                }
                out
            }
        }
    }
}

/// Mean and population standard deviation, two passes in `f64`.
fn mean_std<'a>(values: impl Iterator<Item = &'a f32> + Clone) -> (f64, f64) {
    let (mut sum, mut count) = (0.0, 0usize);
    for &v in values.clone() {
        sum += f64::from(v);
        count += 1;
    }
    let mean = sum / count.max(1) as f64;
    let sq: f64 = values.map(|&v| (f64::from(v) - mean).powi(2)).sum();
    (mean, (sq / count.max(1) as f64).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn close(a: f32, b: f64) -> bool {
        (f64::from(a) - b).abs() < 1e-5
    }

    #[test]
    fn dataset_mode_matches_hand_values() {
        // Values 1, 2, 3, 5, 5, 5: mean 3.5, variance 15.5 / 6.
        let x = array![[1.0f32, 2.0, 3.0], [5.0, 5.0, 5.0]];
        let norm = Normalizer::fit(&x, NormMode::Dataset).unwrap();
        let std = (15.5f64 / 6.0).sqrt();
        assert_eq!(norm.mean, 3.5);
        assert!((norm.std - std).abs() < 1e-12);
        let y = norm.apply(&x);
        assert!(close(y[[0, 0]], -2.5 / std), "{}", y[[0, 0]]);
        assert!(close(y[[1, 2]], 1.5 / std), "{}", y[[1, 2]]);
        assert!(close(y[[0, 0]], -1.5554275420956378));
    }

    #[test]
    fn profile_mode_uses_each_profile_and_keeps_constants_finite() {
        let x = array![[1.0f32, 2.0, 3.0], [5.0, 5.0, 5.0]];
        let norm = Normalizer::fit(&x, NormMode::Profile).unwrap();
        assert_eq!(norm.mean, 3.5);
        let y = norm.apply(&x);
        // Row 0: mean 2, population std sqrt(2/3).
        let s = (2.0f64 / 3.0).sqrt() + PROFILE_EPS;
        assert!(close(y[[0, 0]], -1.0 / s), "{}", y[[0, 0]]);
        assert_eq!(y[[0, 1]], 0.0);
        assert!(close(y[[0, 2]], 1.0 / s));
        assert_eq!(y.row(1).to_vec(), vec![0.0, 0.0, 0.0]);
    }

    #[test]
    fn none_mode_is_identity() {
        let x = array![[40000.0f32, 41000.5]];
        let norm = Normalizer::fit(&x, NormMode::None).unwrap();
        assert_eq!(norm.apply(&x), x);
        let flat = array![[7.0f32, 7.0]];
        assert!(Normalizer::fit(&flat, NormMode::None).is_ok());
    }

    #[test]
    fn constant_empty_or_nan_data_is_refused() {
        let flat = array![[7.0f32, 7.0], [7.0, 7.0]];
        for mode in [NormMode::Dataset, NormMode::Profile] {
            let e = Normalizer::fit(&flat, mode).unwrap_err();
            assert!(matches!(e, Error::Config(_)));
            assert!(e.to_string().contains("equals 7"), "{e}");
        }
        let empty = Array2::<f32>::zeros((0, 4));
        assert!(Normalizer::fit(&empty, NormMode::Dataset).is_err());
        let nan = array![[1.0f32, f32::NAN]];
        let e = Normalizer::fit(&nan, NormMode::Dataset).unwrap_err();
        assert!(e.to_string().contains("profile 0, sample 1"), "{e}");
    }

    #[test]
    fn modes_serialise_lowercase_and_parse() {
        let json = serde_json::to_string(&NormMode::Profile).unwrap();
        assert_eq!(json, "\"profile\"");
        let norm = Normalizer { mode: NormMode::Dataset, mean: 1.5, std: 2.0 };
        let json = serde_json::to_string(&norm).unwrap();
        assert_eq!(json, r#"{"mode":"dataset","mean":1.5,"std":2.0}"#);
        let back: Normalizer = serde_json::from_str(&json).unwrap();
        assert_eq!(back, norm);
        assert_eq!("none".parse::<NormMode>().unwrap(), NormMode::None);
        assert!("zscore".parse::<NormMode>().is_err());
    }
}

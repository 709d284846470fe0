//! A dataset of profiles with their layer and area labels, and loading
//! one from the three `.npy` files Keras users keep (X, Y_seg, Y_cls).
//!
//! Loading checks everything a user can get wrong (dtypes, shapes
//! against each other and against the number of classes, labels, NaNs)
//! and names the file, the array and the first bad profile and sample.
//! Value checks live in `check`; splitting and normalising come later.

use std::path::{Path, PathBuf};

use ndarray::{Array2, ArrayD, Axis, Ix2, IxDyn};

use super::check::{self, shape_str};
use super::labels::Labels;
use super::npy::{self, NpyArray};
use crate::{Error, Result};

/// Profiles with their targets, every shape consistent.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// (N, L) raw profile values, index 0 = pial surface.
    pub x: Array2<f32>,
    /// Layer labels per sample: (N, L) or (N, L, n_layers).
    pub seg: Labels,
    /// Area labels per profile: (N,) or (N, n_areas).
    pub cls: Labels,
}

impl Dataset {
    /// The number of profiles N.
    pub fn len(&self) -> usize {
        self.x.nrows()
    }

    /// True when there are no profiles.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of samples per profile L.
    pub fn profile_len(&self) -> usize {
        self.x.ncols()
    }

    /// The profiles `idx`, in the given order, with their labels.
    ///
    /// # Panics
    ///
    /// Panics if an index is `>= self.len()`.
    pub fn take(&self, idx: &[usize]) -> Dataset {
        Dataset {
            x: self.x.select(Axis(0), idx),
            seg: self.seg.take(idx),
            cls: self.cls.take(idx),
        }
    }
}

/// Where the three arrays of a dataset live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataFiles {
    pub x: PathBuf,
    pub y_seg: PathBuf,
    pub y_cls: PathBuf,
}

impl DataFiles {
    /// `X.npy`, `Y_seg.npy` and `Y_cls.npy` in `dir`.
    pub fn in_dir(dir: &Path) -> DataFiles {
        DataFiles {
            x: dir.join("X.npy"),
            y_seg: dir.join("Y_seg.npy"),
            y_cls: dir.join("Y_cls.npy"),
        }
    }
}

/// Reads and validates a dataset.
///
/// X is (N, L) or (N, L, 1), float32 or float64. Y_seg is (N, L) of
/// integers in `0..n_layers` or (N, L, n_layers) float probabilities;
/// Y_cls is (N,) integers in `0..n_areas` or (N, n_areas) floats. An
/// integer label -1, or an all-zero probability row, means no label.
///
/// # Errors
///
/// [`Error::Config`] if `n_layers` or `n_areas` is 0; from reading, the
/// errors of [`npy::read`]; [`Error::Dtype`] for integer X, float labels
/// without a class axis, or integer labels with one; [`Error::Shape`]
/// for N = 0, L = 0, or a Y whose N, L or class count disagrees;
/// [`Error::Value`] for a NaN or infinite X, a label out of range or a
/// probability row that is not a distribution.
pub fn load(
    files: &DataFiles,
    n_layers: usize,
    n_areas: usize,
) -> Result<Dataset> {
    if n_layers == 0 || n_areas == 0 {
        return Err(Error::Config(format!(
            "need at least one layer and one area, got {n_layers} layers \
             and {n_areas} areas"
        )));
    }
    let x = load_x(&files.x)?;
    let (n, l) = x.dim();

    let seg = npy::read(&files.y_seg, "Y_seg")?;
    let seg = labels(&files.y_seg, "Y_seg", seg, &[n, l], n_layers, "layer")?;
    let cls = npy::read(&files.y_cls, "Y_cls")?;
    let cls = labels(&files.y_cls, "Y_cls", cls, &[n], n_areas, "area")?;

    log::info!("loaded {n} profiles of {l} samples from {}", files.x.display());
    Ok(Dataset { x, seg, cls })
}

/// Reads a group id per profile, such as `hemi.npy` (0 = left).
///
/// # Errors
///
/// The errors of [`npy::read`]; [`Error::Dtype`] if the array is not of
/// an integer dtype; [`Error::Shape`] if its shape is not (n,).
pub fn load_groups(path: &Path, n: usize) -> Result<Vec<i64>> {
    let name = path.file_stem().unwrap_or_default().to_string_lossy();
    let values = match npy::read(path, &name)? {
        NpyArray::Int { values, .. } => values,
        other => {
            return Err(Error::Dtype {
                path: path.into(),
                array: name.into(),
                expected: "an integer dtype (one group id per profile)".into(),
                found: other.dtype().into(),
            });
        }
    };
    if values.shape() != [n] {
        return Err(Error::Shape {
            path: path.into(),
            array: name.into(),
            expected: format!("({n},): one group id per profile of X"),
            found: shape_str(values.shape()),
        });
    }
    Ok(values.into_iter().collect())
}

/// X as (N, L) float32, checked for shape, dtype and finite values.
pub fn load_x(path: &Path) -> Result<Array2<f32>> {
    let raw = npy::read(path, "X")?;
    let found = raw.shape().to_vec();
    let shape_err = |expected: &str| Error::Shape {
        path: path.into(),
        array: "X".into(),
        expected: expected.into(),
        found: shape_str(&found),
    };
    let (n, l) = match found[..] {
        [n, l] | [n, l, 1] => (n, l),
        _ => return Err(shape_err("(N, L) or (N, L, 1)")),
    };
    if n == 0 {
        return Err(shape_err("at least one profile (N >= 1)"));
    }
    if l == 0 {
        return Err(shape_err("at least one sample per profile (L >= 1)"));
    }

    let x: ArrayD<f32> = match raw {
        NpyArray::F32(a) => a,
        NpyArray::F64(a) => a.mapv(|v| v as f32),
        NpyArray::Int { dtype, .. } => {
            return Err(Error::Dtype {
                path: path.into(),
                array: "X".into(),
                expected: "float32 or float64".into(),
                found: dtype,
            });
        }
    };
    let x = x.into_shape_with_order(IxDyn(&[n, l])).expect("n * l values");
    let x = x.into_dimensionality::<Ix2>().expect("a 2-D shape");
    check::finite_x(path, &x)?;
    Ok(x)
}

/// One task's labels: integers of shape `rows`, or float probabilities
/// of shape `rows + [n_classes]`, with their values checked.
fn labels(
    path: &Path,
    array: &str,
    raw: NpyArray,
    rows: &[usize],
    n_classes: usize,
    kind: &str,
) -> Result<Labels> {
    // Keras users keep integer labels as (N, L, 1) or (N, 1): drop the
    // trailing axis of length 1.
    let raw = match raw {
        NpyArray::Int { values, dtype }
            if values.ndim() == rows.len() + 1
                && values.shape()[rows.len()] == 1 =>
        {
            let values = values.index_axis_move(Axis(rows.len()), 0);
            NpyArray::Int { values, dtype }
        }
        other => other,
    };
    let mut with_k = rows.to_vec();
    with_k.push(n_classes);
    let (rows_str, k_str) = (shape_str(rows), shape_str(&with_k));
    let ndim = raw.shape().len();
    let dtype_err = |expected: String| Error::Dtype {
        path: path.into(),
        array: array.into(),
        expected,
        found: raw.dtype().into(),
    };

    // The dtype says which layout was meant, so check it first.
    let is_int = matches!(raw, NpyArray::Int { .. });
    if !is_int && ndim == rows.len() {
        return Err(dtype_err(format!(
            "integer {kind} labels for shape {rows_str} \
             (floats are for one-hot {k_str})"
        )));
    }
    if is_int && ndim == rows.len() + 1 {
        return Err(dtype_err(format!(
            "float32 or float64 for one-hot {kind} labels {k_str} \
             (integer labels have shape {rows_str})"
        )));
    }
    let want = if is_int { rows } else { &with_k[..] };
    if raw.shape() != want {
        let of = match rows {
            [n, l] => format!("{n} profiles of {l} samples"),
            _ => format!("{} profiles", rows[0]),
        };
        return Err(Error::Shape {
            path: path.into(),
            array: array.into(),
            expected: format!(
                "{} ({kind} labels for X's {of}: integers {rows_str} \
                 or one-hot over {n_classes} {kind}s {k_str})",
                shape_str(want)
            ),
            found: shape_str(raw.shape()),
        });
    }

    let labels = match raw {
        NpyArray::Int { values, .. } => Labels::Classes(check::classes(
            path, array, &values, n_classes, kind,
        )?),
        NpyArray::F32(p) => Labels::Probs(check::probs(path, array, &p)?),
        NpyArray::F64(p) => Labels::Probs(check::probs(path, array, &p)?),
    };
    Ok(labels)
}

#[cfg(test)]
#[path = "dataset_tests.rs"]
mod tests;

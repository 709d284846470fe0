//! The value checks behind [`load`](super::load): finite profiles, class
//! indices in range and probability rows that are distributions.
//!
//! Each check walks the array in C order and stops at the first bad
//! element, naming it by profile and sample so the user can find it in
//! their own array. Shapes and dtypes are checked by the loader first.

use std::path::Path;

use ndarray::{Array2, ArrayD, Axis, Dimension};

use crate::{Error, Result};

/// Probability rows must sum to 1 within this tolerance.
pub const SUM_TOLERANCE: f64 = 1e-3;

/// A shape the way numpy prints it: `(3, 256)`, `(3,)`.
pub fn shape_str(shape: &[usize]) -> String {
    match shape {
        [n] => format!("({n},)"),
        _ => {
            let dims: Vec<String> =
                shape.iter().map(|d| d.to_string()).collect();
            format!("({})", dims.join(", "))
        }
    }
}

/// Where a row of a data array sits: `profile 2` or `profile 2, sample
/// 5`.
pub fn place(index: &[usize]) -> String {
    match index {
        [i] => format!("profile {i}"),
        [i, j] => format!("profile {i}, sample {j}"),
        _ => format!("index {index:?}"),
    }
}

/// The C-order multi-index of the flat position `flat` in `shape`.
pub fn unravel(mut flat: usize, shape: &[usize]) -> Vec<usize> {
    let mut index = vec![0; shape.len()];
    for (i, &d) in shape.iter().enumerate().rev() {
        index[i] = flat % d.max(1);
        flat /= d.max(1);
    }
    index
}

/// Fails at the first NaN or infinite value of the profiles `x`.
///
/// # Errors
///
/// [`Error::Value`] naming the profile and sample.
pub fn finite_x(path: &Path, x: &Array2<f32>) -> Result<()> {
    let bad = x.indexed_iter().find(|(_, v)| !v.is_finite());
    let Some(((i, j), v)) = bad else { return Ok(()) };
    let problem = if v.is_nan() {
        "value is NaN; profiles must be finite".to_string()
    } else {
        format!("value is {v} (beyond the float32 range); must be finite")
    };
    Err(Error::Value {
        path: path.into(),
        array: "X".into(),
        index: place(&[i, j]),
        problem,
    })
}

/// Class indices as `i32`, each in `0..n_classes` or -1 for no label.
///
/// # Errors
///
/// [`Error::Value`] at the first label out of range; `kind` ("layer",
/// "area") names the task in the message.
pub fn classes(
    path: &Path,
    array: &str,
    values: &ArrayD<i64>,
    n_classes: usize,
    kind: &str,
) -> Result<ArrayD<i32>> {
    let ok = |v: i64| v == -1 || (0 <= v && v < n_classes as i64);
    let bad = values.indexed_iter().find(|&(_, &v)| !ok(v));
    let Some((index, v)) = bad else {
        return Ok(values.mapv(|v| v as i32));
    };
    let max = n_classes - 1;
    Err(Error::Value {
        path: path.into(),
        array: array.into(),
        index: place(index.slice()),
        problem: format!(
            "label {v} is out of range: {kind} labels must be in 0..={max}, \
             or -1 for no label"
        ),
    })
}

/// Probability rows along the last axis as `f32`, each a distribution
/// (non-negative, summing to 1) or all zeros for no label.
///
/// # Errors
///
/// [`Error::Value`] at the first row with a non-finite or negative
/// entry, or a sum off 1 by more than [`SUM_TOLERANCE`].
pub fn probs<T: Copy + Into<f64>>(
    path: &Path,
    array: &str,
    values: &ArrayD<T>,
) -> Result<ArrayD<f32>> {
    let shape = values.shape();
    let (row_shape, k) = shape.split_at(shape.len() - 1);
    let n_rows = row_shape.iter().product();
    let flat = values.as_standard_layout();
    let rows = flat.view().into_shape_with_order((n_rows, k[0])).unwrap();

    for (r, row) in rows.axis_iter(Axis(0)).enumerate() {
        let Some(problem) = row_problem(row.iter().map(|&v| v.into())) else {
            continue;
        };
        return Err(Error::Value {
            path: path.into(),
            array: array.into(),
            index: place(&unravel(r, row_shape)),
            problem,
        });
    }
    Ok(values.mapv(|v| v.into() as f32))
}

/// What is wrong with one probability row, if anything.
fn row_problem(row: impl Iterator<Item = f64>) -> Option<String> {
    let mut sum = 0.0;
    for (k, v) in row.enumerate() {
        if !v.is_finite() {
            return Some(format!("probability of class {k} is {v}"));
        }
        if v < 0.0 {
            return Some(format!("probability of class {k} is negative ({v})"));
        }
        sum += v;
    }
    if sum != 0.0 && (sum - 1.0).abs() > SUM_TOLERANCE {
        return Some(format!(
            "probabilities sum to {sum:.4}, not 1 (within {SUM_TOLERANCE}); \
             an all-zero row means no label"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn formats_shapes_and_places() {
        assert_eq!(shape_str(&[3]), "(3,)");
        assert_eq!(shape_str(&[3, 256, 1]), "(3, 256, 1)");
        assert_eq!(place(&[4]), "profile 4");
        assert_eq!(place(&[4, 7]), "profile 4, sample 7");
        assert_eq!(unravel(7, &[2, 3, 2]), vec![1, 0, 1]);
    }

    #[test]
    fn rows_zero_one_hot_and_soft_pass() {
        let p = array![[0.0f32, 0.0, 0.0], [0.0, 1.0, 0.0], [0.2, 0.3, 0.5]];
        let got = probs(Path::new("p.npy"), "Y_cls", &p.into_dyn()).unwrap();
        assert_eq!(got[[2, 2]], 0.5);
        assert_eq!(row_problem([0.5, 0.5004].into_iter()), None);
        assert!(row_problem([0.5, 0.502].into_iter()).is_some());
    }

    #[test]
    fn first_bad_row_is_named() {
        let mut p = ndarray::Array3::<f64>::zeros((2, 3, 2));
        p[[1, 2, 0]] = -0.5;
        p[[1, 2, 1]] = 1.5;
        let e = probs(Path::new("s.npy"), "Y_seg", &p.into_dyn()).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("profile 1, sample 2"), "{msg}");
        assert!(msg.contains("negative"), "{msg}");
    }
}

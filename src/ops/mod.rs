//! Every differentiable op, as plain kernels over slices: a forward and
//! its backward side by side, with the same argument names (`x, w, b, y`
//! and `dx, dw, db, dy`). Backward kernels *accumulate* into their
//! outputs (`+=`), so a value used twice simply receives two calls.
//!
//! The kernels know nothing of the tape; [`crate::engine::Tape`] records
//! which one ran and calls its backward. A faster kernel replaces one
//! here without touching the tape or the model.

pub mod conv1d;
pub mod conv_transpose;
pub mod dense;
pub mod elementwise;
pub mod pool;
pub mod softmax_ce;

use crate::engine::Float;

/// `db[c] += sum over rows of dy[row, c]`, rows in order.
pub(crate) fn sum_rows<T: Float>(dy: &[T], cols: usize, db: &mut [T]) {
    for row in dy.chunks_exact(cols) {
        for (d, &v) in db.iter_mut().zip(row) {
            *d += v;
        }
    }
}

//! Dense (fully connected) layer: `y (N, G) = x (N, F) * w (F, G) + b (G)`.

use crate::engine::{Float, Mat, gemm};

/// `y = x w + b`; `y` is overwritten.
pub fn dense_forward<T: Float>(
    x: &[T],
    w: &[T],
    b: &[T],
    rows: usize,
    y: &mut [T],
) {
    let (f, g) = (w.len() / b.len(), b.len());
    assert_eq!(x.len(), rows * f, "dense: input size");
    assert_eq!(y.len(), rows * g, "dense: output size");
    for row in y.chunks_exact_mut(g) {
        row.copy_from_slice(b);
    }
    gemm(T::one(), Mat::rows(x, rows, f), Mat::rows(w, f, g), T::one(), y, g);
}

/// `dx += dy w^T`.
pub fn dense_backward_input<T: Float>(
    dy: &[T],
    w: &[T],
    rows: usize,
    dx: &mut [T],
) {
    let f = dx.len() / rows.max(1);
    let g = w.len() / f.max(1);
    gemm(
        T::one(),
        Mat::rows(dy, rows, g),
        Mat::rows(w, f, g).t(),
        T::one(),
        dx,
        f,
    );
}

/// `dw += x^T dy`, `db += sum of dy rows`.
pub fn dense_backward_weight<T: Float>(
    x: &[T],
    dy: &[T],
    rows: usize,
    dw: &mut [T],
    db: &mut [T],
) {
    let g = db.len();
    let f = dw.len() / g;
    gemm(
        T::one(),
        Mat::rows(x, rows, f).t(),
        Mat::rows(dy, rows, g),
        T::one(),
        dw,
        g,
    );
    super::sum_rows(dy, g, db);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_by_hand() {
        // x = [1 2], w = [[1 0 -1], [2 1 0]], b = [0 0 1] -> [5 2 0].
        let w = [1.0f64, 0.0, -1.0, 2.0, 1.0, 0.0];
        let mut y = [0.0f64; 3];
        dense_forward(&[1.0, 2.0], &w, &[0.0, 0.0, 1.0], 1, &mut y);
        assert_eq!(y, [5.0, 2.0, 0.0]);

        let dy = [1.0f64, 1.0, 1.0];
        let mut dx = [0.0f64; 2];
        dense_backward_input(&dy, &w, 1, &mut dx);
        assert_eq!(dx, [0.0, 3.0]);
        let (mut dw, mut db) = ([0.0f64; 6], [0.0f64; 3]);
        dense_backward_weight(&[1.0, 2.0], &dy, 1, &mut dw, &mut db);
        assert_eq!(dw, [1.0, 1.0, 1.0, 2.0, 2.0, 2.0]);
        assert_eq!(db, [1.0, 1.0, 1.0]);
    }
}

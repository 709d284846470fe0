//! Transposed convolution with kernel 2 and stride 2: doubles the length.
//!
//! Layout: `x (B, L, Ci)`, `w (2, Ci, Co)`, `b (Co)`, `y (B, 2L, Co)`, with
//! `y[b, 2l + j, o] = b[o] + sum_i x[b, l, i] w[j, i, o]`. Output rows
//! `2l` and `2l + 1` are adjacent in memory, so each tap `j` is one
//! matrix product writing every other row of `y`.

use rayon::prelude::*;

use crate::engine::{Float, Mat, gemm};

/// The sizes of one transposed convolution (`len` is the input length).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvT2Shape {
    pub batch: usize,
    pub len: usize,
    pub c_in: usize,
    pub c_out: usize,
}

/// `y = convT(x, w) + b`; `y (B, 2L, Co)` is overwritten.
pub fn conv_transpose2_forward<T: Float>(
    s: &ConvT2Shape,
    x: &[T],
    w: &[T],
    b: &[T],
    y: &mut [T],
) {
    check(s, x, w, y);
    assert_eq!(b.len(), s.c_out, "conv_transpose2: bias length");
    let (ci, co) = (s.c_in, s.c_out);

    y.par_chunks_mut(2 * s.len * co).enumerate().for_each(|(n, y_b)| {
        for row in y_b.chunks_exact_mut(co) {
            row.copy_from_slice(b);
        }
        let x_b =
            Mat::rows(&x[n * s.len * ci..(n + 1) * s.len * ci], s.len, ci);
        for j in 0..2 {
            let w_j = Mat::rows(&w[j * ci * co..(j + 1) * ci * co], ci, co);
            gemm(T::one(), x_b, w_j, T::one(), &mut y_b[j * co..], 2 * co);
        }
    });
}

/// `dx += d(loss)/dx = sum_j dy_j * w_j^T`.
pub fn conv_transpose2_backward_input<T: Float>(
    s: &ConvT2Shape,
    dy: &[T],
    w: &[T],
    dx: &mut [T],
) {
    check(s, dx, w, dy);
    let (ci, co) = (s.c_in, s.c_out);

    dx.par_chunks_mut(s.len * ci).enumerate().for_each(|(n, dx_b)| {
        let dy_b = &dy[n * 2 * s.len * co..(n + 1) * 2 * s.len * co];
        for j in 0..2 {
            let dy_j = Mat::strided(&dy_b[j * co..], s.len, co, 2 * co, 1);
            let w_j = Mat::rows(&w[j * ci * co..(j + 1) * ci * co], ci, co);
            gemm(T::one(), dy_j, w_j.t(), T::one(), dx_b, ci);
        }
    });
}

/// `dw += x^T dy_j` for each tap, `db += sum of dy rows`.
pub fn conv_transpose2_backward_weight<T: Float>(
    s: &ConvT2Shape,
    x: &[T],
    dy: &[T],
    dw: &mut [T],
    db: &mut [T],
) {
    check(s, x, dw, dy);
    assert_eq!(db.len(), s.c_out, "conv_transpose2: bias gradient length");
    let (ci, co) = (s.c_in, s.c_out);
    let rows = s.batch * s.len;

    // One product per tap over the whole batch: the sum over profiles is
    // inside the product, in a fixed order.
    dw.par_chunks_mut(ci * co).enumerate().for_each(|(j, dw_j)| {
        let x_all = Mat::rows(x, rows, ci);
        let dy_j = Mat::strided(&dy[j * co..], rows, co, 2 * co, 1);
        gemm(T::one(), x_all.t(), dy_j, T::one(), dw_j, co);
    });

    super::sum_rows(dy, co, db);
}

fn check<T>(s: &ConvT2Shape, x: &[T], w: &[T], y: &[T]) {
    assert_eq!(x.len(), s.batch * s.len * s.c_in, "conv_transpose2: input");
    assert_eq!(w.len(), 2 * s.c_in * s.c_out, "conv_transpose2: weight");
    assert_eq!(y.len(), s.batch * 2 * s.len * s.c_out, "conv_transpose2: out");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_by_hand() {
        // x = [1, 2] (one channel), taps w = [10, 20], bias 1:
        // y = [1*10+1, 1*20+1, 2*10+1, 2*20+1].
        let s = ConvT2Shape { batch: 1, len: 2, c_in: 1, c_out: 1 };
        let mut y = [0.0f64; 4];
        conv_transpose2_forward(&s, &[1.0, 2.0], &[10.0, 20.0], &[1.0], &mut y);
        assert_eq!(y, [11.0, 21.0, 21.0, 41.0]);
    }

    #[test]
    fn backward_by_hand() {
        let s = ConvT2Shape { batch: 1, len: 2, c_in: 1, c_out: 1 };
        let dy = [1.0f64, 2.0, 3.0, 4.0];
        let mut dx = [0.0f64; 2];
        conv_transpose2_backward_input(&s, &dy, &[10.0, 20.0], &mut dx);
        // dx[0] = 1*10 + 2*20, dx[1] = 3*10 + 4*20
        assert_eq!(dx, [50.0, 110.0]);
        let (mut dw, mut db) = ([0.0f64; 2], [0.0f64]);
        conv_transpose2_backward_weight(&s, &[1.0, 2.0], &dy, &mut dw, &mut db);
        // dw[0] = 1*1 + 2*3, dw[1] = 1*2 + 2*4
        assert_eq!((dw, db), ([7.0, 10.0], [10.0]));
    }
}

//! The float trait the engine is generic over, and the one place that
//! calls the matrix-product kernels of `matrixmultiply`.
//!
//! Training runs in `f32`. Gradient checks run the very same ops in `f64`
//! so that central finite differences are accurate to ~1e-8; that is the
//! only reason the engine is generic.

use std::fmt::Debug;
use std::iter::Sum;
use std::ops::{AddAssign, MulAssign, SubAssign};

/// A float type the engine can run in: `f32` or `f64`.
pub trait Float:
    num_traits::Float
    + AddAssign
    + SubAssign
    + MulAssign
    + Sum
    + Default
    + Debug
    + Send
    + Sync
    + ndarray::ScalarOperand
    + 'static
{
    /// Converts from `f64`, rounding to nearest.
    fn of(x: f64) -> Self;

    /// Converts to `f64`, exactly.
    fn f64(self) -> f64;

    /// `c = alpha * a * b + beta * c` on raw strided matrices.
    ///
    /// # Safety
    ///
    /// As for `matrixmultiply::sgemm`: every element the strides reach
    /// must lie inside its allocation, and `c` must not alias `a` or `b`
    /// nor itself. [`gemm`] checks all of that before calling this.
    #[allow(clippy::too_many_arguments)]
    unsafe fn gemm_raw(
        m: usize,
        k: usize,
        n: usize,
        alpha: Self,
        a: *const Self,
        rsa: isize,
        csa: isize,
        b: *const Self,
        rsb: isize,
        csb: isize,
        beta: Self,
        c: *mut Self,
        rsc: isize,
        csc: isize,
    );
}

macro_rules! impl_float {
    ($t:ty, $kernel:path) => {
        impl Float for $t {
            fn of(x: f64) -> Self {
                x as $t
            }

            fn f64(self) -> f64 {
                self as f64
            }

            unsafe fn gemm_raw(
                m: usize,
                k: usize,
                n: usize,
                alpha: Self,
                a: *const Self,
                rsa: isize,
                csa: isize,
                b: *const Self,
                rsb: isize,
                csb: isize,
                beta: Self,
                c: *mut Self,
                rsc: isize,
                csc: isize,
            ) {
                // SAFETY: forwarded contract, see the trait method.
                unsafe {
                    $kernel(
                        m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc,
                        csc,
                    )
                }
            }
        }
    };
}

impl_float!(f32, matrixmultiply::sgemm);
impl_float!(f64, matrixmultiply::dgemm);

/// A read-only strided matrix over a slice: element `(i, j)` is
/// `data[i * row_stride + j * col_stride]`. Rows may overlap, which is
/// how a convolution reads its input without an im2col copy.
#[derive(Clone, Copy, Debug)]
pub struct Mat<'a, T> {
    pub data: &'a [T],
    pub rows: usize,
    pub cols: usize,
    pub row_stride: usize,
    pub col_stride: usize,
}

impl<'a, T> Mat<'a, T> {
    /// A dense row-major matrix.
    pub fn rows(data: &'a [T], rows: usize, cols: usize) -> Self {
        Mat { data, rows, cols, row_stride: cols, col_stride: 1 }
    }

    /// A matrix with explicit strides.
    pub fn strided(
        data: &'a [T],
        rows: usize,
        cols: usize,
        row_stride: usize,
        col_stride: usize,
    ) -> Self {
        Mat { data, rows, cols, row_stride, col_stride }
    }

    /// The transpose, as a view of the same data.
    pub fn t(self) -> Self {
        Mat {
            data: self.data,
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
        }
    }

    fn reach(&self) -> usize {
        if self.rows == 0 || self.cols == 0 {
            return 0;
        }
        (self.rows - 1) * self.row_stride
            + (self.cols - 1) * self.col_stride
            + 1
    }
}

/// `c = alpha * a * b + beta * c`, where `c` is row-major with row stride
/// `c_row_stride` (at least `b.cols`) inside the slice `c`.
///
/// # Panics
///
/// If the inner dimensions disagree, or a matrix reaches past its slice.
pub fn gemm<T: Float>(
    alpha: T,
    a: Mat<'_, T>,
    b: Mat<'_, T>,
    beta: T,
    c: &mut [T],
    c_row_stride: usize,
) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert_eq!(k, b.rows, "gemm: inner dimensions {k} and {}", b.rows);
    assert!(a.reach() <= a.data.len(), "gemm: a reaches past its slice");
    assert!(b.reach() <= b.data.len(), "gemm: b reaches past its slice");
    assert!(n <= c_row_stride || m <= 1, "gemm: rows of c overlap");
    let c_reach = if m == 0 || n == 0 { 0 } else { (m - 1) * c_row_stride + n };
    assert!(c_reach <= c.len(), "gemm: c reaches past its slice");
    if m == 0 || n == 0 {
        return;
    }

    // SAFETY: the asserts above keep every access inside the three
    // slices; `c` is a unique borrow with non-overlapping rows, so it
    // aliases neither `a`, `b` nor itself.
    unsafe {
        T::gemm_raw(
            m,
            k,
            n,
            alpha,
            a.data.as_ptr(),
            a.row_stride as isize,
            a.col_stride as isize,
            b.data.as_ptr(),
            b.row_stride as isize,
            b.col_stride as isize,
            beta,
            c.as_mut_ptr(),
            c_row_stride as isize,
            1,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gemm_matches_hand_product() {
        // [1 2; 3 4] * [5 6; 7 8] = [19 22; 43 50]
        let a = [1.0f64, 2.0, 3.0, 4.0];
        let b = [5.0f64, 6.0, 7.0, 8.0];
        let mut c = [1.0f64; 4];
        gemm(1.0, Mat::rows(&a, 2, 2), Mat::rows(&b, 2, 2), 1.0, &mut c, 2);
        assert_eq!(c, [20.0, 23.0, 44.0, 51.0]);
    }

    #[test]
    fn gemm_reads_overlapping_rows() {
        // Rows [0 1 2], [1 2 3]: a sliding window, as conv1d uses.
        let a = [0.0f32, 1.0, 2.0, 3.0];
        let b = [1.0f32, 1.0, 1.0];
        let mut c = [0.0f32; 2];
        let window = Mat::strided(&a, 2, 3, 1, 1);
        gemm(1.0, window, Mat::rows(&b, 3, 1), 0.0, &mut c, 1);
        assert_eq!(c, [3.0, 6.0]);
    }

    #[test]
    #[should_panic(expected = "reaches past")]
    fn gemm_rejects_short_slices() {
        let a = [0.0f32; 3];
        let mut c = [0.0f32; 4];
        gemm(1.0, Mat::rows(&a, 2, 2), Mat::rows(&a, 2, 2), 0.0, &mut c, 2);
    }
}

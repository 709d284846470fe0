//! 1D convolution with an odd kernel, 'same' zero padding, stride 1 and
//! a bias, on `(batch, length, channels)` arrays.
//!
//! Layout: `x (B, L, Ci)`, `w (K, Ci, Co)`, `b (Co)`, `y (B, L, Co)`.
//! With channels last, the `K * Ci` inputs that one output position reads
//! are contiguous in the padded input, and the window of position `l + 1`
//! starts `Ci` elements after that of `l`. Pad every profile with `p`
//! zero rows on each side and lay the profiles end to end: then the
//! windows of *all* positions of *all* profiles are the rows of one
//! strided matrix `xpad[B*(L+2p) - 2p, K*Ci]` (row stride `Ci`), and the
//! whole batch is one matrix product with `w[K*Ci, Co]`, with no im2col
//! copy. The `2p` rows that straddle two profiles are computed and
//! dropped; in exchange the weights are packed once per product instead
//! of once per profile.
//!
//! Parallelism: threads take fixed blocks of output rows, never parts of
//! a sum, so results are the same bits for any thread count.

use rayon::prelude::*;

use crate::engine::{Float, Mat, gemm};

/// Rows of a product one task computes (fixed: never from the thread
/// count, so the split cannot change any result).
const ROWS_PER_TASK: usize = 128;

/// The sizes of one convolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv1dShape {
    pub batch: usize,
    pub len: usize,
    pub c_in: usize,
    pub c_out: usize,
    pub kernel: usize,
}

impl Conv1dShape {
    /// Zero padding on each side: `kernel / 2`.
    pub fn pad(&self) -> usize {
        self.kernel / 2
    }

    fn padded_len(&self) -> usize {
        self.len + 2 * self.pad()
    }

    /// Rows of the batch-wide window matrix: every position of the
    /// padded profiles laid end to end, less the last `2p`.
    fn window_rows(&self) -> usize {
        self.batch * self.padded_len() - 2 * self.pad()
    }
}

/// Copies `x (B, L, C)` into `(B, L + 2p, C)` with `p` zero rows on each
/// side of every profile.
pub(crate) fn pad_profiles<T: Float>(
    x: &[T],
    batch: usize,
    len: usize,
    channels: usize,
    pad: usize,
) -> Vec<T> {
    let row = len * channels;
    let padded_row = (len + 2 * pad) * channels;
    let mut out = vec![T::zero(); batch * padded_row];
    out.par_chunks_mut(padded_row).zip(x.par_chunks(row)).for_each(
        |(dst, src)| {
            dst[pad * channels..pad * channels + row].copy_from_slice(src);
        },
    );
    out
}

/// `out[rows, n] = windows(src)[rows, width] * w[width, n]`, where row
/// `r` of the window matrix starts at `src[r * stride]`; in parallel
/// over fixed blocks of rows.
fn windows_times<T: Float>(
    src: &[T],
    stride: usize,
    width: usize,
    w: Mat<'_, T>,
    out: &mut [T],
) {
    let n = w.cols;
    out.par_chunks_mut(ROWS_PER_TASK * n).enumerate().for_each(|(t, out_t)| {
        let rows = out_t.len() / n;
        let a = Mat::strided(
            &src[t * ROWS_PER_TASK * stride..],
            rows,
            width,
            stride,
            1,
        );
        gemm(T::one(), a, w, T::zero(), out_t, n);
    });
}

/// `y = conv(x, w) + b`; `y` is overwritten.
///
/// # Panics
///
/// If the kernel is even or a slice does not match `s`.
pub fn conv1d_forward<T: Float>(
    s: &Conv1dShape,
    x: &[T],
    w: &[T],
    b: &[T],
    y: &mut [T],
) {
    check(s, x, w, y);
    assert_eq!(b.len(), s.c_out, "conv1d: bias length");
    let (p, lp, co) = (s.pad(), s.padded_len(), s.c_out);
    let window = s.kernel * s.c_in;
    let w = Mat::rows(w, window, co);
    if s.batch == 0 {
        return;
    }

    let xpad = pad_profiles(x, s.batch, s.len, s.c_in, p);
    let mut y_ext = vec![T::zero(); s.window_rows() * co];
    windows_times(&xpad, s.c_in, window, w, &mut y_ext);

    // Keep the rows of real positions, adding the bias.
    y.par_chunks_mut(s.len * co).enumerate().for_each(|(i, y_b)| {
        let src = &y_ext[i * lp * co..][..s.len * co];
        for (dst, src) in y_b.chunks_exact_mut(co).zip(src.chunks_exact(co)) {
            for ((d, &v), &bias) in dst.iter_mut().zip(src).zip(b) {
                *d = v + bias;
            }
        }
    });
}

/// `dx += d(loss)/dx`: a convolution of the padded `dy` with the kernel
/// flipped in position and transposed in channels.
pub fn conv1d_backward_input<T: Float>(
    s: &Conv1dShape,
    dy: &[T],
    w: &[T],
    dx: &mut [T],
) {
    check(s, dx, w, dy);
    let (k, ci, co) = (s.kernel, s.c_in, s.c_out);
    let lp = s.padded_len();
    if s.batch == 0 {
        return;
    }

    // w_flip[k', o, i] = w[K - 1 - k', i, o]
    let mut w_flip = vec![T::zero(); w.len()];
    for kk in 0..k {
        for i in 0..ci {
            for o in 0..co {
                w_flip[((k - 1 - kk) * co + o) * ci + i] =
                    w[(kk * ci + i) * co + o];
            }
        }
    }

    let dypad = pad_profiles(dy, s.batch, s.len, co, s.pad());
    let mut dx_ext = vec![T::zero(); s.window_rows() * ci];
    windows_times(
        &dypad,
        co,
        k * co,
        Mat::rows(&w_flip, k * co, ci),
        &mut dx_ext,
    );

    dx.par_chunks_mut(s.len * ci).enumerate().for_each(|(i, dx_b)| {
        super::elementwise::axpy(
            T::one(),
            &dx_ext[i * lp * ci..][..s.len * ci],
            dx_b,
        );
    });
}

/// `dw += d(loss)/dw` and `db += d(loss)/db`.
///
/// `dw[(k, i), o] = sum over all window rows q of xpad[q + k, i] *
/// dy_ext[q, o]`, where `dy_ext` is `dy` with zero rows where a window
/// straddles two profiles, which is the padded `dy` shifted by `p` rows.
pub fn conv1d_backward_weight<T: Float>(
    s: &Conv1dShape,
    x: &[T],
    dy: &[T],
    dw: &mut [T],
    db: &mut [T],
) {
    check(s, x, dw, dy);
    assert_eq!(db.len(), s.c_out, "conv1d: bias gradient length");
    let (p, co) = (s.pad(), s.c_out);
    let window = s.kernel * s.c_in;
    if s.batch == 0 {
        return;
    }
    let xpad = pad_profiles(x, s.batch, s.len, s.c_in, p);
    let dypad = pad_profiles(dy, s.batch, s.len, co, p);
    let rows = s.window_rows();
    let dy_ext = Mat::rows(&dypad[p * co..], rows, co);

    // Row r of dw is column r of the window matrix: one product per
    // fixed block of rows, each summing over every window row in order.
    dw.par_chunks_mut(ROWS_PER_TASK * co).enumerate().for_each(|(t, dw_t)| {
        let r0 = t * ROWS_PER_TASK;
        let a_t = Mat::strided(&xpad[r0..], dw_t.len() / co, rows, 1, s.c_in);
        gemm(T::one(), a_t, dy_ext, T::one(), dw_t, co);
    });
    debug_assert!(window * co == dw.len());

    super::sum_rows(dy, co, db);
}

fn check<T>(s: &Conv1dShape, x: &[T], w: &[T], y: &[T]) {
    assert!(s.kernel % 2 == 1, "conv1d: kernel {} is not odd", s.kernel);
    assert_eq!(x.len(), s.batch * s.len * s.c_in, "conv1d: input size");
    assert_eq!(w.len(), s.kernel * s.c_in * s.c_out, "conv1d: weight size");
    assert_eq!(y.len(), s.batch * s.len * s.c_out, "conv1d: output size");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Direct definition, for comparison:
    /// y[b, l, o] = b[o] + sum_k sum_i x[b, l + k - p, i] w[k, i, o].
    fn naive(s: &Conv1dShape, x: &[f64], w: &[f64], b: &[f64]) -> Vec<f64> {
        let p = s.pad() as isize;
        let mut y = vec![0.0; s.batch * s.len * s.c_out];
        for n in 0..s.batch {
            for l in 0..s.len {
                for o in 0..s.c_out {
                    let mut acc = b[o];
                    for k in 0..s.kernel {
                        let src = l as isize + k as isize - p;
                        if src < 0 || src >= s.len as isize {
                            continue;
                        }
                        for i in 0..s.c_in {
                            acc += x[(n * s.len + src as usize) * s.c_in + i]
                                * w[(k * s.c_in + i) * s.c_out + o];
                        }
                    }
                    y[(n * s.len + l) * s.c_out + o] = acc;
                }
            }
        }
        y
    }

    #[test]
    fn forward_by_hand() {
        // One channel, kernel [1, 2, 3], bias 0.5, x = [1, 2, 3]:
        // y0 = 0*1 + 1*2 + 2*3 + .5 = 8.5, y1 = 1 + 4 + 9 + .5 = 14.5,
        // y2 = 2 + 6 + 0 + .5 = 8.5.
        let s = Conv1dShape { batch: 1, len: 3, c_in: 1, c_out: 1, kernel: 3 };
        let mut y = [0.0f64; 3];
        conv1d_forward(&s, &[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0], &[0.5], &mut y);
        assert_eq!(y, [8.5, 14.5, 8.5]);
    }

    #[test]
    fn forward_matches_direct_sum() {
        let s = Conv1dShape { batch: 3, len: 7, c_in: 2, c_out: 3, kernel: 5 };
        let x: Vec<f64> =
            (0..42).map(|i| ((i * 7) % 11) as f64 - 5.0).collect();
        let w: Vec<f64> = (0..30).map(|i| ((i * 5) % 7) as f64 / 7.0).collect();
        let b = [0.1, -0.2, 0.3];
        let mut y = vec![0.0; 63];
        conv1d_forward(&s, &x, &w, &b, &mut y);
        let want = naive(&s, &x, &w, &b);
        for (g, w) in y.iter().zip(&want) {
            assert!((g - w).abs() < 1e-12, "{g} vs {w}");
        }
    }

    #[test]
    fn gradients_accumulate() {
        let s = Conv1dShape { batch: 1, len: 2, c_in: 1, c_out: 1, kernel: 1 };
        let mut dw = [10.0f64];
        let mut db = [1.0f64];
        conv1d_backward_weight(&s, &[2.0, 3.0], &[1.0, 1.0], &mut dw, &mut db);
        assert_eq!((dw, db), ([15.0], [3.0]));
        let mut dx = [1.0f64, 1.0];
        conv1d_backward_input(&s, &[1.0, 2.0], &[3.0], &mut dx);
        assert_eq!(dx, [4.0, 7.0]);
    }
}

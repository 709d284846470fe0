//! Ops that act on each element or on channels alone: ReLU, addition,
//! scaling by a constant, concatenation along channels, and dropout.

use rand::Rng;

use crate::engine::Float;

/// `y = max(x, 0)`.
pub fn relu_forward<T: Float>(x: &[T], y: &mut [T]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y = if x > T::zero() { x } else { T::zero() };
    }
}

/// `dx += dy` where `x > 0` (the kink at 0 gets gradient 0).
pub fn relu_backward<T: Float>(x: &[T], dy: &[T], dx: &mut [T]) {
    for ((dx, &dy), &x) in dx.iter_mut().zip(dy).zip(x) {
        if x > T::zero() {
            *dx += dy;
        }
    }
}

/// `dx += c * dy`, the backward of `y = c * x` (and, with `c = 1`, of
/// each side of an addition).
pub fn axpy<T: Float>(c: T, dy: &[T], dx: &mut [T]) {
    assert_eq!(dx.len(), dy.len(), "axpy: sizes");
    for (dx, &dy) in dx.iter_mut().zip(dy) {
        *dx += c * dy;
    }
}

/// `y[.., :ca] = a`, `y[.., ca:] = b` for rows of `ca` and `cb` channels.
pub fn concat_forward<T: Float>(
    a: &[T],
    ca: usize,
    b: &[T],
    cb: usize,
    y: &mut [T],
) {
    let rows = a.len() / ca;
    assert_eq!(b.len(), rows * cb, "concat: rows of a and b differ");
    assert_eq!(y.len(), rows * (ca + cb), "concat: output size");
    for ((y, a), b) in y
        .chunks_exact_mut(ca + cb)
        .zip(a.chunks_exact(ca))
        .zip(b.chunks_exact(cb))
    {
        y[..ca].copy_from_slice(a);
        y[ca..].copy_from_slice(b);
    }
}

/// `da += dy[.., :ca]`, `db += dy[.., ca:]`.
pub fn concat_backward<T: Float>(
    dy: &[T],
    da: &mut [T],
    ca: usize,
    db: &mut [T],
    cb: usize,
) {
    for ((dy, da), db) in dy
        .chunks_exact(ca + cb)
        .zip(da.chunks_exact_mut(ca))
        .zip(db.chunks_exact_mut(cb))
    {
        axpy(T::one(), &dy[..ca], da);
        axpy(T::one(), &dy[ca..], db);
    }
}

/// A dropout mask: each element kept with probability `1 - p` and then
/// scaled by `1 / (1 - p)`, else zero. `y = mask * x`, `dx += mask * dy`.
///
/// # Panics
///
/// If `p` is not in `[0, 1)`.
pub fn dropout_mask<T: Float>(
    len: usize,
    p: f64,
    rng: &mut impl Rng,
) -> Vec<T> {
    assert!((0.0..1.0).contains(&p), "dropout: p = {p} not in [0, 1)");
    let keep = T::of(1.0 / (1.0 - p));
    (0..len)
        .map(|_| if rng.random::<f64>() < p { T::zero() } else { keep })
        .collect()
}

/// `y = a * b` element by element (dropout applies its mask with this).
pub fn mul_forward<T: Float>(a: &[T], b: &[T], y: &mut [T]) {
    for ((y, &a), &b) in y.iter_mut().zip(a).zip(b) {
        *y = a * b;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn relu_by_hand() {
        let x = [-1.0f64, 0.0, 2.0];
        let mut y = [9.0; 3];
        relu_forward(&x, &mut y);
        assert_eq!(y, [0.0, 0.0, 2.0]);
        let mut dx = [1.0; 3];
        relu_backward(&x, &[5.0, 5.0, 5.0], &mut dx);
        assert_eq!(dx, [1.0, 1.0, 6.0]);
    }

    #[test]
    fn concat_by_hand() {
        let mut y = [0.0f64; 6];
        concat_forward(&[1.0, 2.0], 1, &[3.0, 4.0, 5.0, 6.0], 2, &mut y);
        assert_eq!(y, [1.0, 3.0, 4.0, 2.0, 5.0, 6.0]);
        let (mut da, mut db) = ([0.0f64; 2], [0.0f64; 4]);
        concat_backward(&y, &mut da, 1, &mut db, 2);
        assert_eq!((da, db), ([1.0, 2.0], [3.0, 4.0, 5.0, 6.0]));
    }

    #[test]
    fn dropout_keeps_expected_share_and_scales() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mask: Vec<f64> = dropout_mask(10_000, 0.25, &mut rng);
        let kept = mask.iter().filter(|&&m| m != 0.0).count();
        assert!((7300..7700).contains(&kept), "kept {kept}");
        assert!(
            mask.iter().all(|&m| m == 0.0 || (m - 4.0 / 3.0).abs() < 1e-12)
        );
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        assert_eq!(mask, dropout_mask::<f64>(10_000, 0.25, &mut rng));
    }
}

//! Length-changing ops without weights: max pooling by 2, nearest
//! upsampling by 2, and global average pooling over length.
//!
//! All on `(B, L, C)` arrays. Max pooling of an odd length drops the last
//! sample, as PyTorch does. Where the two samples of a pair tie, the
//! gradient goes to the first one, always.

use crate::engine::Float;

/// `y[b, l, c] = max(x[b, 2l, c], x[b, 2l + 1, c])`, `y (B, L/2, C)`.
pub fn maxpool2_forward<T: Float>(
    x: &[T],
    batch: usize,
    len: usize,
    channels: usize,
    y: &mut [T],
) {
    let half = len / 2;
    assert_eq!(x.len(), batch * len * channels, "maxpool2: input size");
    assert_eq!(y.len(), batch * half * channels, "maxpool2: output size");
    for n in 0..batch {
        for l in 0..half {
            let first = &x[(n * len + 2 * l) * channels..][..channels];
            let second = &x[(n * len + 2 * l + 1) * channels..][..channels];
            let out = &mut y[(n * half + l) * channels..][..channels];
            for c in 0..channels {
                out[c] =
                    if first[c] >= second[c] { first[c] } else { second[c] };
            }
        }
    }
}

/// `dx += dy` routed to the sample each maximum came from.
pub fn maxpool2_backward<T: Float>(
    x: &[T],
    dy: &[T],
    batch: usize,
    len: usize,
    channels: usize,
    dx: &mut [T],
) {
    let half = len / 2;
    assert_eq!(dx.len(), batch * len * channels, "maxpool2: dx size");
    assert_eq!(dy.len(), batch * half * channels, "maxpool2: dy size");
    for n in 0..batch {
        for l in 0..half {
            let i0 = (n * len + 2 * l) * channels;
            let i1 = i0 + channels;
            let d = &dy[(n * half + l) * channels..][..channels];
            for c in 0..channels {
                let to = if x[i0 + c] >= x[i1 + c] { i0 } else { i1 };
                dx[to + c] += d[c];
            }
        }
    }
}

/// `y[b, 2l + j, c] = x[b, l, c]`, `y (B, 2L, C)`.
pub fn upsample2_forward<T: Float>(x: &[T], channels: usize, y: &mut [T]) {
    assert_eq!(y.len(), 2 * x.len(), "upsample2: output size");
    for (src, dst) in
        x.chunks_exact(channels).zip(y.chunks_exact_mut(2 * channels))
    {
        dst[..channels].copy_from_slice(src);
        dst[channels..].copy_from_slice(src);
    }
}

/// `dx[b, l, c] += dy[b, 2l, c] + dy[b, 2l + 1, c]`.
pub fn upsample2_backward<T: Float>(dy: &[T], channels: usize, dx: &mut [T]) {
    assert_eq!(dy.len(), 2 * dx.len(), "upsample2: dy size");
    for (d, src) in
        dx.chunks_exact_mut(channels).zip(dy.chunks_exact(2 * channels))
    {
        for c in 0..channels {
            d[c] += src[c] + src[channels + c];
        }
    }
}

/// `y[b, c] = mean over l of x[b, l, c]`, `y (B, C)`.
pub fn global_avg_pool_forward<T: Float>(
    x: &[T],
    batch: usize,
    len: usize,
    channels: usize,
    y: &mut [T],
) {
    assert_eq!(x.len(), batch * len * channels, "global_avg_pool: input");
    assert_eq!(y.len(), batch * channels, "global_avg_pool: output");
    let inv = T::one() / T::of(len as f64);
    for n in 0..batch {
        let out = &mut y[n * channels..][..channels];
        out.fill(T::zero());
        for row in
            x[n * len * channels..][..len * channels].chunks_exact(channels)
        {
            for c in 0..channels {
                out[c] += row[c];
            }
        }
        for v in out.iter_mut() {
            *v *= inv;
        }
    }
}

/// `dx[b, l, c] += dy[b, c] / L`.
pub fn global_avg_pool_backward<T: Float>(
    dy: &[T],
    batch: usize,
    len: usize,
    channels: usize,
    dx: &mut [T],
) {
    assert_eq!(dx.len(), batch * len * channels, "global_avg_pool: dx");
    let inv = T::one() / T::of(len as f64);
    for n in 0..batch {
        let d = &dy[n * channels..][..channels];
        for row in dx[n * len * channels..][..len * channels]
            .chunks_exact_mut(channels)
        {
            for c in 0..channels {
                row[c] += d[c] * inv;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maxpool_by_hand_with_tie_to_first() {
        // One profile, L = 5 (last sample dropped), one channel.
        let x = [1.0f64, 3.0, 2.0, 2.0, 9.0];
        let mut y = [0.0; 2];
        maxpool2_forward(&x, 1, 5, 1, &mut y);
        assert_eq!(y, [3.0, 2.0]);
        let mut dx = [0.0; 5];
        maxpool2_backward(&x, &[10.0, 20.0], 1, 5, 1, &mut dx);
        assert_eq!(dx, [0.0, 10.0, 20.0, 0.0, 0.0]);
    }

    #[test]
    fn upsample_by_hand() {
        // L = 2, C = 2.
        let mut y = [0.0f64; 8];
        upsample2_forward(&[1.0, 2.0, 3.0, 4.0], 2, &mut y);
        assert_eq!(y, [1.0, 2.0, 1.0, 2.0, 3.0, 4.0, 3.0, 4.0]);
        let mut dx = [0.0f64; 4];
        upsample2_backward(
            &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
            2,
            &mut dx,
        );
        assert_eq!(dx, [4.0, 6.0, 12.0, 14.0]);
    }

    #[test]
    fn global_avg_pool_by_hand() {
        // B = 1, L = 2, C = 2: means of columns [1, 3] and [2, 6].
        let mut y = [0.0f64; 2];
        global_avg_pool_forward(&[1.0, 2.0, 3.0, 6.0], 1, 2, 2, &mut y);
        assert_eq!(y, [2.0, 4.0]);
        let mut dx = [0.0f64; 4];
        global_avg_pool_backward(&[2.0, 4.0], 1, 2, 2, &mut dx);
        assert_eq!(dx, [1.0, 2.0, 1.0, 2.0]);
    }
}

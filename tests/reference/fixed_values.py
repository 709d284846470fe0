"""Reference values for tests/fixed_values.rs, computed with numpy alone.

Forward passes are written from the definition of each op, one loop or
sum per formula, with no reference to the Rust kernels. Backward values
are not derived by hand: they are the gradient of
`sum(dy * forward(inputs))` with respect to each input, taken by
complex-step differentiation of those same forward functions,

    d/dv f(v) = Im f(v + i * 1e-30) / 1e-30,

which is exact to rounding for the polynomial, max and exp/log
expressions used here (no subtraction of nearby values, unlike finite
differences). So a mistake the Rust forward and backward share cannot
hide, and a slip in the complex step is caught by a central-difference
cross-check below.

Inputs are multiples of 1/8 (exact in binary), made by `grid`, and are
printed with the outputs. Run

    python3 tests/reference/fixed_values.py > /tmp/fixed_values.txt

and paste the printed constants into tests/fixed_values.rs. numpy is
needed only to run this script, never to run the Rust tests.
"""

import numpy as np

STEP = 1e-30


def grid(shape, a, b):
    """Multiples of 1/8 in [-1, 1]: ((a * i + b) mod 17 - 8) / 8."""
    n = int(np.prod(shape))
    return np.array([((a * i + b) % 17 - 8) / 8 for i in range(n)]).reshape(
        shape
    )


# ---------------------------------------------------------------------
# Forward passes, from the definitions. Layout (batch, length, channels).
# ---------------------------------------------------------------------


def conv1d(x, w, b):
    """'Same' convolution, odd kernel K, zero padding K // 2:
    y[n, l, o] = b[o] + sum_k sum_i x[n, l + k - K // 2, i] w[k, i, o]."""
    batch, length, _ = x.shape
    kernel, _, c_out = w.shape
    pad = kernel // 2
    y = np.zeros((batch, length, c_out), dtype=np.result_type(x, w, b))
    for n in range(batch):
        for l in range(length):
            y[n, l] = b
            for k in range(kernel):
                src = l + k - pad
                if 0 <= src < length:
                    y[n, l] += x[n, src] @ w[k]
    return y


def conv_transpose2(x, w, b):
    """Kernel 2, stride 2:
    y[n, 2l + j, o] = b[o] + sum_i x[n, l, i] w[j, i, o]."""
    batch, length, _ = x.shape
    c_out = w.shape[2]
    y = np.zeros((batch, 2 * length, c_out), dtype=np.result_type(x, w, b))
    for n in range(batch):
        for l in range(length):
            for j in range(2):
                y[n, 2 * l + j] = b + x[n, l] @ w[j]
    return y


def maxpool2(x):
    """y[n, l, c] = max(x[n, 2l, c], x[n, 2l + 1, c]); an odd last sample
    is dropped. Compared on real parts (the complex step rides along),
    a tie picks the first sample."""
    batch, length, channels = x.shape
    y = np.zeros((batch, length // 2, channels), dtype=x.dtype)
    for n in range(batch):
        for l in range(length // 2):
            for c in range(channels):
                a, b = x[n, 2 * l, c], x[n, 2 * l + 1, c]
                y[n, l, c] = a if a.real >= b.real else b
    return y


def upsample2(x):
    """Nearest neighbour: y[n, 2l + j, c] = x[n, l, c]."""
    return np.repeat(x, 2, axis=1)


def dense(x, w, b):
    """y[r, g] = b[g] + sum_f x[r, f] w[f, g]."""
    return x @ w + b


def global_avg_pool(x):
    """y[n, c] = mean over l of x[n, l, c]."""
    return x.sum(axis=1) / x.shape[1]


def softmax_ce(logits, targets):
    """Mean over labelled rows of -sum_j t_j log softmax(z)_j, where t is
    one-hot (class index, -1 = unlabelled) or a probability row (all
    zero = unlabelled). logsumexp is shifted by the real row maximum."""
    k = logits.shape[-1]
    z = logits.reshape(-1, k)
    total, labelled = 0, 0
    for r in range(z.shape[0]):
        if targets.dtype.kind == "i":
            if targets.reshape(-1)[r] < 0:
                continue
            t = np.zeros(k)
            t[targets.reshape(-1)[r]] = 1.0
        else:
            t = targets.reshape(-1, k)[r]
            if t.sum() == 0:
                continue
        m = z[r].real.max()
        log_softmax = z[r] - m - np.log(np.exp(z[r] - m).sum())
        total = total - (t * log_softmax).sum()
        labelled += 1
    return total / labelled if labelled else 0.0 * total


# ---------------------------------------------------------------------
# Gradients by complex step, cross-checked by central differences.
# ---------------------------------------------------------------------


def grad(f, args, which, dy, ties=()):
    """d sum(dy * f(*args)) / d args[which], by complex step. Elements in
    `ties` sit on a kink of max, where a central difference averages the
    two sides; the cross-check skips them."""
    args = [np.asarray(a, dtype=complex) for a in args]
    out = np.zeros(args[which].shape)
    for idx in np.ndindex(out.shape):
        nudged = [a.copy() for a in args]
        nudged[which][idx] += 1j * STEP
        out[idx] = (np.asarray(dy) * f(*nudged)).sum().imag / STEP
    cross_check(f, args, which, dy, out, ties)
    return out


def cross_check(f, args, which, dy, g, ties, h=1e-6):
    """Central differences must agree with the complex step to ~1e-8."""
    real = [a.real.copy() for a in args]
    for idx in np.ndindex(g.shape):
        if idx in ties:
            continue
        up = [a.copy() for a in real]
        down = [a.copy() for a in real]
        up[which][idx] += h
        down[which][idx] -= h
        s_up = (np.asarray(dy) * f(*up)).sum()
        s_down = (np.asarray(dy) * f(*down)).sum()
        numeric = (s_up - s_down) / (2 * h)
        assert abs(numeric - g[idx]) < 1e-7 * max(1.0, abs(g[idx])), (
            f"complex step {g[idx]} vs central difference {numeric}"
        )


# ---------------------------------------------------------------------
# Printing, as Rust constants.
# ---------------------------------------------------------------------


def emit(name, values, width=79):
    """`pub const NAME: [f64; n] = [...];`, row-major, in the shortest
    repr that round-trips (so the Rust literal is the same double),
    wrapped to `width` columns."""
    flat = [repr(float(v)) for v in np.ravel(np.real(values))]
    print(f"pub const {name}: [f64; {len(flat)}] = [")
    line = "   "
    for v in flat:
        if len(line) + len(v) + 2 > width:
            print(line)
            line = "   "
        line += f" {v},"
    print(line)
    print("];")


def emit_scalar(name, value):
    print(f"pub const {name}: f64 = {float(np.real(value))!r};")


def emit_ints(name, values):
    flat = [str(int(v)) for v in np.ravel(values)]
    print(f"pub const {name}: [i32; {len(flat)}] = [{', '.join(flat)}];")


def case(title):
    print()
    print(f"// {title}")


# ---------------------------------------------------------------------
# The cases.
# ---------------------------------------------------------------------


def main():
    # One module, kept as printed: rustfmt would put each long literal
    # on a line of its own.
    print(f"/// Printed by tests/reference/fixed_values.py with numpy "
          f"{np.__version__}.")
    print("#[rustfmt::skip]")
    print("mod numpy {")

    case("conv1d: x (2, 4, 2), w (3, 2, 2), b (2), dy (2, 4, 2)")
    x, w, b = grid((2, 4, 2), 5, 1), grid((3, 2, 2), 7, 3), grid((2,), 3, 5)
    dy = grid((2, 4, 2), 11, 2)
    for name, v in [("X", x), ("W", w), ("B", b), ("DY", dy)]:
        emit(f"CONV1D_{name}", v)
    emit("CONV1D_Y", conv1d(x, w, b))
    for i, name in enumerate(["DX", "DW", "DB"]):
        emit(f"CONV1D_{name}", grad(conv1d, [x, w, b], i, dy))

    case("conv_transpose2: x (2, 3, 2), w (2, 2, 3), b (3), dy (2, 6, 3)")
    x, w, b = grid((2, 3, 2), 3, 4), grid((2, 2, 3), 5, 7), grid((3,), 4, 2)
    dy = grid((2, 6, 3), 7, 1)
    for name, v in [("X", x), ("W", w), ("B", b), ("DY", dy)]:
        emit(f"CONVT_{name}", v)
    emit("CONVT_Y", conv_transpose2(x, w, b))
    for i, name in enumerate(["DX", "DW", "DB"]):
        emit(f"CONVT_{name}", grad(conv_transpose2, [x, w, b], i, dy))

    # Odd length 5 (the last sample is dropped) and, at [1, 2:4, 1], a
    # tie of 0.25 and 0.25, whose gradient goes to the first sample.
    case("maxpool2: x (2, 5, 2), dy (2, 2, 2); a tie at x[1, 2:4, 1]")
    x = grid((2, 5, 2), 5, 2)
    x[1, 2, 1] = x[1, 3, 1] = 0.25
    dy = grid((2, 2, 2), 3, 1)
    emit("MAXPOOL_X", x)
    emit("MAXPOOL_DY", dy)
    emit("MAXPOOL_Y", maxpool2(x))
    ties = [(1, 2, 1), (1, 3, 1)]
    emit("MAXPOOL_DX", grad(maxpool2, [x], 0, dy, ties))

    case("upsample2: x (2, 3, 2), dy (2, 6, 2)")
    x, dy = grid((2, 3, 2), 3, 3), grid((2, 6, 2), 5, 4)
    emit("UPSAMPLE_X", x)
    emit("UPSAMPLE_DY", dy)
    emit("UPSAMPLE_Y", upsample2(x))
    emit("UPSAMPLE_DX", grad(upsample2, [x], 0, dy))

    case("dense: x (3, 4), w (4, 2), b (2), dy (3, 2)")
    x, w, b = grid((3, 4), 7, 2), grid((4, 2), 3, 6), grid((2,), 5, 1)
    dy = grid((3, 2), 4, 3)
    for name, v in [("X", x), ("W", w), ("B", b), ("DY", dy)]:
        emit(f"DENSE_{name}", v)
    emit("DENSE_Y", dense(x, w, b))
    for i, name in enumerate(["DX", "DW", "DB"]):
        emit(f"DENSE_{name}", grad(dense, [x, w, b], i, dy))

    case("global_avg_pool: x (2, 3, 2), dy (2, 2)")
    x, dy = grid((2, 3, 2), 7, 5), grid((2, 2), 3, 2)
    emit("GAP_X", x)
    emit("GAP_DY", dy)
    emit("GAP_Y", global_avg_pool(x))
    emit("GAP_DX", grad(global_avg_pool, [x], 0, dy))

    # Per position: logits (B, L, K), position [0, 2] unlabelled; the
    # loss is scaled by an upstream gradient of 0.5.
    case("softmax_ce per position: logits (2, 3, 3) * 2, classes, dloss 0.5")
    z = 2 * grid((2, 3, 3), 5, 3)
    classes = np.array([[0, 2, -1], [1, 1, 0]])
    emit("CE_LOGITS", z)
    emit_ints("CE_CLASSES", classes)
    emit_scalar("CE_LOSS", softmax_ce(z, classes))
    emit("CE_DLOGITS", grad(lambda z: softmax_ce(z, classes), [z], 0, 0.5))

    # Per sample with soft targets: logits (B, K), row 1 unlabelled.
    case("softmax_ce soft targets: logits (3, 3) * 2, probs, row 1 zero")
    z = 2 * grid((3, 3), 7, 4)
    probs = np.array([[0.25, 0.5, 0.25], [0, 0, 0], [0.125, 0.125, 0.75]])
    emit("CE_SOFT_LOGITS", z)
    emit("CE_SOFT_PROBS", probs)
    emit_scalar("CE_SOFT_LOSS", softmax_ce(z, probs))
    emit("CE_SOFT_DLOGITS", grad(lambda z: softmax_ce(z, probs), [z], 0, 1.0))
    print("}")


if __name__ == "__main__":
    main()

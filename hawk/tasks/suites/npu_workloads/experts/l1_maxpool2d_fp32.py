import pypto

N, C, H, W = 1, 64, 112, 112
KSIZE, STRIDE, PAD = 3, 2, 1
HO = (H + 2 * PAD - KSIZE) // STRIDE + 1
WO = (W + 2 * PAD - KSIZE) // STRIDE + 1


def _max(a, b):
    # where(a > b, a, b) is exact and, on multi-axis tiles, about 5x faster than pypto.maximum in
    # the simulator (392 x 1024 fp32: 10.7 us vs 53.4 us; on 1-D tiles both take the same).
    return pypto.where(pypto.gt(a, b), a, b)


def _segments(n_in, n_out):
    """Output positions grouped by the taps that land inside the input (the rest are padding)."""
    groups = []
    for i in range(n_out):
        taps = tuple(k for k in range(KSIZE) if 0 <= STRIDE * i - PAD + k < n_in)
        if groups and groups[-1][2] == taps:
            groups[-1][1] = i + 1
        else:
            groups.append([i, i + 1, taps])
    return groups


def _pool_axis1(x, a, n_in, n_out, b):
    """Max over the window along axis 1 of an [a, n_in, b] tensor -> [a, n_out, b].

    pypto slices take no step, so the stride comes from a free reshape: [a, n_in, b] as
    [a, n_in / STRIDE, STRIDE * b] puts input row STRIDE * j + r at (j, r * b : (r + 1) * b).
    Tap k of output row i reads input row STRIDE * i - PAD + k = STRIDE * (i + q) + r, i.e. the
    slice [i + q, r * b : (r + 1) * b]: one shifted contiguous slice per tap. Padding taps are
    left out by computing each run of rows with the same valid taps separately.
    """
    groups = pypto.reshape(x, [a, n_in // STRIDE, STRIDE * b])
    pieces = []
    for lo, hi, taps in _segments(n_in, n_out):
        acc = None
        for k in taps:
            q, r = divmod(k - PAD, STRIDE)
            tap = groups[:, lo + q : hi + q, r * b : (r + 1) * b]
            acc = tap if acc is None else _max(acc, tap)
        pieces.append(acc)
    return pypto.concat(pieces, 1)


def kernel(
    x: pypto.Tensor([N, C, H, W], pypto.DT_FP32),
    out: pypto.Tensor([N, C, HO, WO], pypto.DT_FP32),
):
    r = N * C
    # Tiles: one channel's whole plane per tile at each stage ([1, 56, 112] rows pass, [1, 112, 56]
    # columns pass, two channels for the last transpose). Measured: 13.3 us; [1, 56, 112] for every
    # stage 16.7 us; [8, 8, 112] 56.5 us; with pypto.maximum instead of where(gt) 114 us.
    pypto.set_vec_tile_shapes(1, 56, 112)
    rows = _pool_axis1(pypto.reshape(x, [r, H, W]), r, H, HO, W)  # [r, HO, W]
    pypto.set_vec_tile_shapes(1, 56, 112)
    cols_first = pypto.transpose(rows, 1, 2)  # [r, W, HO]: the width axis becomes axis 1
    pypto.set_vec_tile_shapes(1, 112, 56)
    cols = _pool_axis1(cols_first, r, W, WO, HO)  # [r, WO, HO]
    pypto.set_vec_tile_shapes(2, 56, 56)
    out.move(pypto.reshape(pypto.transpose(cols, 1, 2), [N, C, HO, WO]))

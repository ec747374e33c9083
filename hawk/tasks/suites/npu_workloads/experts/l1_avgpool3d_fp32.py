import pypto

N, C, T, H, W = 1, 128, 8, 28, 28
KSIZE, STRIDE, PAD = 3, 2, 1
TO, HO, WO = (T + 1) // 2, (H + 1) // 2, (W + 1) // 2


def _runs(n_in, n_out):
    """Output positions grouped by equal windows: (lo, hi, in-range taps, divisor with padding)."""
    runs = []
    for i in range(n_out):
        start = STRIDE * i - PAD
        taps = tuple(k for k in range(KSIZE) if 0 <= start + k < n_in)
        count = min(start + KSIZE, n_in + PAD) - start  # count_include_pad=True
        if runs and runs[-1][2:] == [taps, count]:
            runs[-1][1] = i + 1
        else:
            runs.append([i, i + 1, taps, count])
    return runs


def _pool_axis1(x, a, n_in, n_out, b):
    """Average over the window along axis 1 of an [a, n_in, b] tensor -> [a, n_out, b].

    Slices take no step: the reshape [a, n_in / STRIDE, STRIDE * b] puts input row STRIDE * j + r
    at (j, r * b : (r + 1) * b), so each tap is one shifted contiguous slice. Border rows (windows
    reaching into the padding) are computed apart with their in-range taps only.
    """
    groups = pypto.reshape(x, [a, n_in // STRIDE, STRIDE * b])
    pieces = []
    for lo, hi, taps, count in _runs(n_in, n_out):
        acc = None
        for k in taps:
            q, r = divmod(k - PAD, STRIDE)
            tap = groups[:, lo + q : hi + q, r * b : (r + 1) * b]
            acc = tap if acc is None else pypto.add(acc, tap)
        pieces.append(pypto.mul(acc, 1.0 / count))
    return pypto.concat(pieces, 1)


def kernel(
    x: pypto.Tensor([N, C, T, H, W], pypto.DT_FP32),
    out: pypto.Tensor([N, C, TO, HO, WO], pypto.DT_FP32),
):
    # Channels last: after one transpose every pooled axis is a middle axis whose slices are whole
    # rows of C = 128 channels (512 B), so no pass works on the unaligned 28- or 14-wide rows of
    # the NCDHW layout (pooling W in place needs a transpose per pass and 112-byte rows: 67.7 us;
    # this form 62.9 us). Each pass still goes through GM and reads every tap as its own slice:
    # the kernel is bound by copies (MTE), ~15x the roofline.
    pypto.set_vec_tile_shapes(128, 128)
    xt = pypto.transpose(pypto.reshape(x, [C, T * H * W]), 0, 1)  # [T*H*W, C]
    pypto.set_vec_tile_shapes(1, 2, 6272)
    pt = _pool_axis1(xt, 1, T, TO, H * W * C)  # frames: [1, TO, H*W*C]
    pypto.set_vec_tile_shapes(1, 14, 896)
    ph = _pool_axis1(pt, TO, H, HO, W * C)  # rows: [TO, HO, W*C]
    pypto.set_vec_tile_shapes(14, 14, 128)
    pw = _pool_axis1(ph, TO * HO, W, WO, C)  # columns: [TO*HO, WO, C]
    pypto.set_vec_tile_shapes(128, 128)
    back = pypto.transpose(pypto.reshape(pw, [TO * HO * WO, C]), 0, 1)  # [C, TO*HO*WO]
    out.move(pypto.reshape(back, [N, C, TO, HO, WO]))

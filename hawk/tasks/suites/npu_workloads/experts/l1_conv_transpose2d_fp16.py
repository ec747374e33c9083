import pypto

CI, CO, H, W = 128, 64, 16, 16
HW = H * W


def kernel(
    x: pypto.Tensor([1, CI, H, W], pypto.DT_FP16),
    up_weight: pypto.Tensor([CI, CO, 2, 2], pypto.DT_FP16),
    up_bias: pypto.Tensor([CO], pypto.DT_FP16),
    out: pypto.Tensor([1, CO, 2 * H, 2 * W], pypto.DT_FP16),
):
    # Transposed conv, kernel 2 = stride 2: the taps never overlap, so out[o, 2i+a, 2j+b] =
    # sum_c W[c, o, a, b] x[c, i, j] + bias[o]: ONE matmul gives all four taps,
    # y[o*4 + a*2 + b, i*W + j] = W[CI, CO*4]^T @ x[CI, H*W] (a_trans: the cube reads W transposed).
    # (pypto.conv(..., transposed=True) raises "not supported yet".)
    pypto.set_vec_tile_shapes(32, 256)
    x2 = pypto.reshape(x, [CI, HW])
    w2 = pypto.reshape(up_weight, [CI, CO * 4])
    pypto.set_cube_tile_shapes([128, 128], [128, 128], [256, 256])
    y = pypto.matmul(w2, x2, pypto.DT_FP16, a_trans=True)  # [CO*4, HW]
    # The hard part is the stride-2 interleave of the last axis (column 2j + b). A second, exact
    # matmul with a 0/1 permutation P [2W, 2W] (row b*W + j -> column 2j + b) does it on the cube:
    # 30 us. Interleaving with a concat along a size-1 trailing axis also passes but takes 129.8 us
    # (tiles with a 1-wide tail). P is built from arange / eq / where (no extra kernel inputs).
    pypto.set_vec_tile_shapes(16, 32)
    col = pypto.cast(pypto.arange(2 * W), pypto.DT_FP32)
    col_b = pypto.expand_clone(pypto.reshape(col, [1, 2 * W]), [W, 2 * W])
    blocks = []
    for b in range(2):
        target = pypto.add(pypto.mul(pypto.cast(pypto.arange(W), pypto.DT_FP32), 2.0), float(b))  # 2j + b
        hit = pypto.eq(pypto.expand_clone(pypto.reshape(target, [W, 1]), [W, 2 * W]), col_b)
        blocks.append(pypto.where(hit, 1.0, 0.0))
    perm = pypto.cast(pypto.concat(blocks, 0), pypto.DT_FP16)  # [2W, 2W]
    pypto.set_vec_tile_shapes(16, 1, 2, 16, 16)
    y5 = pypto.reshape(y, [CO, 2, 2, H, W])  # (o, a, b, i, j)
    rows_a = []
    for a in range(2):
        pypto.set_vec_tile_shapes(16, 1, 2, 16, 16)
        ya = pypto.reshape(pypto.view(y5, [CO, 1, 2, H, W], [0, a, 0, 0, 0]), [CO, 2, H, W])
        pypto.set_vec_tile_shapes(16, 2, 16, 16)
        ya = pypto.reshape(pypto.transpose(ya, 1, 2), [CO * H, 2 * W])  # row (o, i): [b=0 | b=1]
        pypto.set_cube_tile_shapes([128, 128], [32, 32], [32, 32])
        za = pypto.matmul(ya, perm, pypto.DT_FP32)  # [CO*H, 2W], column 2j + b; exact (one term)
        pypto.set_vec_tile_shapes(64, 32)
        rows_a.append(pypto.reshape(za, [CO, H, 1, 2 * W]))
    # Row interleave (2i + a) is cheap: whole rows of 2W, a concat on a non-tail axis.
    pypto.set_vec_tile_shapes(16, 16, 2, 32)
    z = pypto.reshape(pypto.concat(rows_a, 2), [CO, 2 * H * 2 * W])
    pypto.set_vec_tile_shapes(16, 1024)
    bias = pypto.cast(pypto.reshape(up_bias, [CO, 1]), pypto.DT_FP32)
    out.move(pypto.reshape(pypto.cast(pypto.add(z, bias), pypto.DT_FP16), [1, CO, 2 * H, 2 * W]))

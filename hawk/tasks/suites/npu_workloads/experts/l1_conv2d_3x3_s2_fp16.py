import pypto

C, H, W, CO = 64, 56, 56, 128
HP, WP = H + 2, W + 2  # the zero-padded map
HO, WO = H // 2, W // 2  # stride 2
K = 9 * C  # im2col depth: 3 x 3 taps x input channels


def kernel(
    x: pypto.Tensor([1, C, H, W], pypto.DT_FP16),
    conv_weight: pypto.Tensor([CO, C, 3, 3], pypto.DT_FP16),
    out: pypto.Tensor([1, CO, HO, WO], pypto.DT_FP16),
):
    # im2col matmul on the cube (pypto.conv has no CPU-calculator op: `ExecuteOperation error: op CONV`):
    # out[CO, HO*WO] = W2[CO, 9C] @ cols[9C, HO*WO]. Stride 2 makes each tap window a strided view,
    # which pypto.view cannot express; the strides are taken apart instead:
    # - columns: ONE exact selection matmul xp_rows [C*HP, WP] @ S [WP, 3*WO], column kw*WO + j
    #   of S picking padded column 2j + kw (a single 1.0 per column: no rounding);
    # - rows: a reshape to row pairs [C, HP/2, 2 * 3*WO]: padded row 2i + kh is pair i + kh//2,
    #   half kh%2, so every tap is a plain view.
    pypto.set_vec_tile_shapes(32, 30, 64)  # 16 channels: 43.6 us, 32: 40.8 us (fp16 tail: 16k elements)
    x3 = pypto.reshape(x, [C, H, W])
    zero_row = pypto.zeros([C, 1, W], dtype=pypto.DT_FP16)
    xh = pypto.concat([zero_row, x3, zero_row], 1)
    zero_col = pypto.zeros([C, HP, 1], dtype=pypto.DT_FP16)
    xp = pypto.concat([zero_col, xh, zero_col], 2)  # [C, HP, WP]
    # S from arange / eq / where (no extra kernel inputs).
    pypto.set_vec_tile_shapes(64, 96)
    row = pypto.expand_clone(pypto.reshape(pypto.cast(pypto.arange(WP), pypto.DT_FP32), [WP, 1]), [WP, WO])
    blocks = []
    for kw in range(3):  # (list comprehensions are not parsed inside a kernel)
        want = pypto.add(pypto.mul(pypto.cast(pypto.arange(WO), pypto.DT_FP32), 2.0), float(kw))  # 2j + kw
        hit = pypto.eq(row, pypto.expand_clone(pypto.reshape(want, [1, WO]), [WP, WO]))
        blocks.append(pypto.where(hit, 1.0, 0.0))
    select = pypto.cast(pypto.concat(blocks, 1), pypto.DT_FP16)  # [WP, 3*WO]
    pypto.set_vec_tile_shapes(32, 30, 64)
    xrows = pypto.reshape(xp, [C * HP, WP])
    # 256-row blocks: 15 cube tasks (128-row blocks: 48.1 us); K = WP = 58 fits one L0 tile.
    pypto.set_cube_tile_shapes([256, 256], [64, 64], [96, 96])
    xs = pypto.matmul(xrows, select, pypto.DT_FP16)  # [C*HP, 3*WO]
    pypto.set_vec_tile_shapes(32, 30, 64)
    pairs = pypto.reshape(xs, [C, HP // 2, 2 * 3 * WO])
    taps = []
    for kh in range(3):
        for kw in range(3):
            taps.append(pypto.view(pairs, [C, HO, WO], [0, kh // 2, (kh % 2) * 3 * WO + kw * WO]))
    cols = pypto.concat(taps, 0)  # [9C, HO, WO], row t*C + c
    pypto.set_vec_tile_shapes(64, 784)
    cols2 = pypto.reshape(cols, [K, HO * WO])
    # The weight [CO, C, 3, 3] is channel-major: reorder it tap-major to match cols.
    pypto.set_vec_tile_shapes(16, 64, 16)
    w2 = pypto.reshape(pypto.transpose(pypto.reshape(conv_weight, [CO, C, 9]), 1, 2), [CO, K])
    # 64 x 112 output blocks (14 cube tasks), the whole K = 576 staged in L1 once.
    pypto.set_cube_tile_shapes([64, 64], [192, 576], [112, 112])
    y = pypto.matmul(w2, cols2, pypto.DT_FP16)
    pypto.set_vec_tile_shapes(64, 784)
    out.move(pypto.reshape(y, [1, CO, HO, WO]))

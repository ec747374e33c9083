import pypto

C, H, W, CO = 128, 28, 28, 128
K = 9 * C  # im2col depth: 3 x 3 taps x input channels


def kernel(
    x: pypto.Tensor([1, C, H, W], pypto.DT_FP16),
    conv_weight: pypto.Tensor([CO, C, 3, 3], pypto.DT_FP16),
    out: pypto.Tensor([1, CO, H, W], pypto.DT_FP16),
):
    # pypto.conv compiles but the CPU calculator has no CONV op (`ExecuteOperation error: op CONV`),
    # so the convolution is an im2col matmul on the cube: out[CO, H*W] = W2[CO, 9C] @ cols[9C, H*W].
    # Padding 1: concat zero rows and columns (pypto.pad pads only right/bottom).
    # 64 x 30 x 32 fp16 tiles (120 KiB) fit UB; smaller tiles cost more tasks (8 rows: 42 us, 64: 30 us).
    pypto.set_vec_tile_shapes(64, 30, 32)
    x3 = pypto.reshape(x, [C, H, W])
    zero_row = pypto.zeros([C, 1, W], dtype=pypto.DT_FP16)
    xh = pypto.concat([zero_row, x3, zero_row], 1)  # [C, H+2, W]
    zero_col = pypto.zeros([C, H + 2, 1], dtype=pypto.DT_FP16)
    xp = pypto.concat([zero_col, xh, zero_col], 2)  # [C, H+2, W+2]
    # Each tap (kh, kw) is a shifted window of the padded map; stacking the 9 windows tap-major
    # gives cols row t*C + c. (List comprehensions are not parsed inside a kernel: use loops.)
    taps = []
    for kh in range(3):
        for kw in range(3):
            taps.append(pypto.view(xp, [C, H, W], [0, kh, kw]))
    cols = pypto.concat(taps, 0)  # [9C, H, W]
    pypto.set_vec_tile_shapes(64, 784)
    cols2 = pypto.reshape(cols, [K, H * W])
    # The weight [CO, C, 3, 3] is channel-major: reorder it tap-major to match cols.
    pypto.set_vec_tile_shapes(16, 128, 16)
    w_tap_major = pypto.transpose(pypto.reshape(conv_weight, [CO, C, 9]), 1, 2)  # [CO, 9, C]
    w2 = pypto.reshape(w_tap_major, [CO, K])
    # 64 x 112 output blocks (2 x 7 = 14 cube tasks), the whole K = 1152 staged in L1 once
    # (64x1152 + 1152x112 fp16 = 400 KiB < 512 KiB); fp32 accumulation, one rounding to fp16.
    pypto.set_cube_tile_shapes([64, 64], [128, 1152], [112, 112])
    y = pypto.matmul(w2, cols2, pypto.DT_FP16)
    out.move(pypto.reshape(y, [1, CO, H, W]))

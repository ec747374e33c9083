import pypto

C, CO, L = 80, 512, 512
K = 3 * C  # im2col depth: 3 taps x input channels


def kernel(
    x: pypto.Tensor([1, C, L], pypto.DT_FP16),
    conv_weight: pypto.Tensor([CO, C, 3], pypto.DT_FP16),
    conv_bias: pypto.Tensor([CO], pypto.DT_FP16),
    out: pypto.Tensor([1, CO, L], pypto.DT_FP16),
):
    # im2col matmul on the cube (pypto.conv has no CPU-calculator op: `ExecuteOperation error: op CONV`):
    # out[CO, L] = W2[CO, 3C] @ cols[3C, L] + bias. In 1-D every tap is a contiguous view of the
    # zero-padded rows, shifted by k.
    # All 80 channels per tile (84 KiB: a concat's input and output fit UB): 31.6 us; 16 rows 39.7 us.
    pypto.set_vec_tile_shapes(80, 528)  # fp16 tail: a multiple of 16 elements (32 bytes)
    x2 = pypto.reshape(x, [C, L])
    edge = pypto.zeros([C, 1], dtype=pypto.DT_FP16)
    xp = pypto.concat([edge, x2, edge], 1)  # [C, L+2]: padding 1 on both sides
    taps = []
    for k in range(3):  # (list comprehensions are not parsed inside a kernel)
        taps.append(pypto.view(xp, [C, L], [0, k]))
    cols = pypto.concat(taps, 0)  # [3C, L], row k*C + c
    # The weight [CO, C, 3] is channel-major: make it tap-major to match cols.
    pypto.set_vec_tile_shapes(64, 3, 80)
    w2 = pypto.reshape(pypto.transpose(conv_weight, 1, 2), [CO, K])
    # 128 x 128 output blocks (16 cube tasks), all of K = 240 in one L0 tile; fp32 result for the bias.
    pypto.set_cube_tile_shapes([128, 128], [240, 240], [128, 128])
    y = pypto.matmul(w2, cols, pypto.DT_FP32)
    # 16 x 512 fp32: the add's two inputs and output fit UB (64 rows overflow UB).
    # Folding the bias into the matmul (a ones row in cols, K padded to 256) measured the same.
    pypto.set_vec_tile_shapes(16, 512)
    b = pypto.cast(pypto.reshape(conv_bias, [CO, 1]), pypto.DT_FP32)
    out.move(pypto.reshape(pypto.cast(pypto.add(y, b), pypto.DT_FP16), [1, CO, L]))

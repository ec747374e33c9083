import math

import pypto

T, H, I = 128, 768, 3072
K_TANH = 2.0 * math.sqrt(2.0 / math.pi)  # 2u = K_TANH * (x + 0.044715 x^3)


def kernel(
    x: pypto.Tensor([T, H], pypto.DT_FP16),
    c_fc_weight: pypto.Tensor([I, H], pypto.DT_FP16),
    c_fc_bias: pypto.Tensor([I], pypto.DT_FP16),
    c_proj_weight: pypto.Tensor([H, I], pypto.DT_FP16),
    c_proj_bias: pypto.Tensor([H], pypto.DT_FP16),
    out: pypto.Tensor([T, H], pypto.DT_FP16),
):
    # Up: x @ W_fc^T + b_fc (weights are [out, in]: b_trans; bias added on the cube's bias path),
    # fp32 accumulation. 128 x 128 output blocks: 24, one per cube core; all of K = 768 in L1
    # (A + B = 384 KiB), 128 deep in L0.
    pypto.set_cube_tile_shapes([128, 128], [128, 768], [128, 128])
    y = pypto.matmul(
        x, c_fc_weight, pypto.DT_FP32, b_trans=True, extend_params={"bias_tensor": pypto.reshape(c_fc_bias, [1, I])}
    )
    # GELU(tanh) = y * sigmoid(2u) = y / (1 + exp(-2u)), in fp32 (-2u capped so exp cannot
    # overflow); tiles nest in the 128 x 128 cube blocks. Rounded to fp16 once, as the next
    # product's operand.
    pypto.set_vec_tile_shapes(64, 128)
    neg2u = pypto.mul(pypto.add(y, pypto.mul(pypto.mul(pypto.mul(y, y), y), 0.044715)), -K_TANH)
    h = pypto.cast(pypto.div(y, pypto.add(pypto.exp(pypto.minimum(neg2u, 80.0)), 1.0)), pypto.DT_FP16)
    # Down: [128 x 3072] x [3072 x 768] + b_proj. N = 768 gives few output blocks, so the cube
    # works on narrower n tiles (64 in L0, 128 in L1) and K streams through L1 768 deep
    # (4 steps; A 192 KiB + B 192 KiB of L1's 512 KiB), 64 deep in L0: measured 10% faster than
    # the up projection's tiling here. A kL1 of 1536 would overflow L1, which pypto 0.2.0 does
    # not reject (the simulation then silently reports no time).
    pypto.set_cube_tile_shapes([128, 128], [64, 768], [64, 128])
    z = pypto.matmul(
        h, c_proj_weight, pypto.DT_FP32, b_trans=True, extend_params={"bias_tensor": pypto.reshape(c_proj_bias, [1, H])}
    )
    out.move(pypto.cast(z, pypto.DT_FP16))

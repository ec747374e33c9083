import math

import pypto

T, H, I = 256, 768, 3072
K_TANH = 2.0 * math.sqrt(2.0 / math.pi)  # 2u = K_TANH * (x + 0.044715 x^3)


def kernel(
    x: pypto.Tensor([T, H], pypto.DT_FP16),
    c_fc_weight: pypto.Tensor([I, H], pypto.DT_FP16),
    c_fc_bias: pypto.Tensor([I], pypto.DT_FP16),
    out: pypto.Tensor([T, I], pypto.DT_FP16),
):
    # x @ W^T (W is [out, in], so b_trans) with fp32 accumulation; the bias rides on the cube's
    # bias path (it is turned to fp32 there), so the matmul already yields x W^T + b.
    # 128 x 128 output blocks: 2 x 24 = 48 blocks, two full waves on the 24 cube cores;
    # k is 128 in L0 (32 KiB per operand) and the whole K = 768 in L1 (384 KiB for A + B).
    pypto.set_cube_tile_shapes([128, 128], [128, 768], [128, 128])
    bias = pypto.reshape(c_fc_bias, [1, I])
    y = pypto.matmul(x, c_fc_weight, pypto.DT_FP32, b_trans=True, extend_params={"bias_tensor": bias})
    # GELU(tanh) in fp32: 0.5 y (1 + tanh(u)) = y * sigmoid(2u) = y / (1 + exp(-2u)).
    # -2u is capped at 80 so exp never overflows to inf (the cap only bites for y < -9.6,
    # where GELU is below 1e-33 anyway).
    # The epilogue tiles nest in the 128 x 128 cube blocks.
    pypto.set_vec_tile_shapes(64, 128)
    y3 = pypto.mul(pypto.mul(y, y), y)
    neg2u = pypto.mul(pypto.add(y, pypto.mul(y3, 0.044715)), -K_TANH)
    e = pypto.exp(pypto.minimum(neg2u, 80.0))
    out.move(pypto.cast(pypto.div(y, pypto.add(e, 1.0)), pypto.DT_FP16))

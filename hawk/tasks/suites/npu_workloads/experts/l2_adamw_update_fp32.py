import math

import pypto

R, C = 2048, 1024
N = R * C
LR, BETA1, BETA2, EPS, WEIGHT_DECAY, STEP = 1e-3, 0.9, 0.999, 1e-8, 0.01, 10
BC1 = 1.0 - BETA1**STEP
BC2 = 1.0 - BETA2**STEP
TILE = 16384


def kernel(
    param: pypto.Tensor([R, C], pypto.DT_FP32),
    grad: pypto.Tensor([R, C], pypto.DT_FP32),
    exp_avg: pypto.Tensor([R, C], pypto.DT_FP32),
    exp_avg_sq: pypto.Tensor([R, C], pypto.DT_FP32),
    out0: pypto.Tensor([R, C], pypto.DT_FP32),
    out1: pypto.Tensor([R, C], pypto.DT_FP32),
    out2: pypto.Tensor([R, C], pypto.DT_FP32),
):
    # Pure streaming: 4 tensors in, 3 out, read and written once. The whole step is one
    # elementwise chain on the flat 1-D view (1-D tiles beat 2-D ones here); 16,384 fp32
    # (64 KiB) per tile keeps every binary op's two inputs and output within UB, 128 tiles.
    # Bias corrections and the decoupled weight decay are folded into scalar constants.
    pypto.set_vec_tile_shapes(TILE)
    p = pypto.reshape(param, [N])
    g = pypto.reshape(grad, [N])
    m = pypto.add(pypto.mul(pypto.reshape(exp_avg, [N]), BETA1), pypto.mul(g, 1.0 - BETA1))
    v = pypto.add(pypto.mul(pypto.reshape(exp_avg_sq, [N]), BETA2), pypto.mul(pypto.mul(g, g), 1.0 - BETA2))
    denom = pypto.add(pypto.mul(pypto.sqrt(v), 1.0 / math.sqrt(BC2)), EPS)
    newp = pypto.sub(pypto.mul(p, 1.0 - LR * WEIGHT_DECAY), pypto.div(pypto.mul(m, LR / BC1), denom))
    out0.move(pypto.reshape(newp, [R, C]))
    out1.move(pypto.reshape(m, [R, C]))
    out2.move(pypto.reshape(v, [R, C]))

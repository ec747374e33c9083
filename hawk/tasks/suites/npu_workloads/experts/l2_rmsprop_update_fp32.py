import pypto

R, C = 3072, 1024
N = R * C
LR, ALPHA, EPS, WEIGHT_DECAY = 1e-3, 0.99, 1e-8, 1e-4
TILE = 16384


def kernel(
    param: pypto.Tensor([R, C], pypto.DT_FP32),
    grad: pypto.Tensor([R, C], pypto.DT_FP32),
    square_avg: pypto.Tensor([R, C], pypto.DT_FP32),
    out0: pypto.Tensor([R, C], pypto.DT_FP32),
    out1: pypto.Tensor([R, C], pypto.DT_FP32),
):
    # Streaming: 3 tensors in, 2 out. One elementwise chain on the flat 1-D view, 16,384 fp32
    # (64 KiB) per tile so a binary op's inputs and output fit UB; 192 tiles.
    pypto.set_vec_tile_shapes(TILE)
    p = pypto.reshape(param, [N])
    g = pypto.add(pypto.reshape(grad, [N]), pypto.mul(p, WEIGHT_DECAY))
    sq = pypto.add(pypto.mul(pypto.reshape(square_avg, [N]), ALPHA), pypto.mul(pypto.mul(g, g), 1.0 - ALPHA))
    avg = pypto.add(pypto.sqrt(sq), EPS)
    out0.move(pypto.reshape(pypto.sub(p, pypto.div(pypto.mul(g, LR), avg)), [R, C]))
    out1.move(pypto.reshape(sq, [R, C]))

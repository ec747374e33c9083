import pypto

T, F = 1024, 2048


def kernel(
    x: pypto.Tensor([T, F], pypto.DT_FP32),
    out: pypto.Tensor([T, F], pypto.DT_FP32),
):
    # 16 x 1024 fp32 = 64 KiB per tile: a binary op (two inputs + one output) uses exactly the
    # 192 KiB of UB, the largest tile that fits; 128 tiles spread over the 48 vector cores.
    pypto.set_vec_tile_shapes(16, 1024)
    # silu(x) = x / (1 + exp(-x)): one exp, one add and one div per element, no ones tensor.
    denom = pypto.add(pypto.exp(pypto.neg(x)), 1.0)
    out.move(pypto.div(x, denom))

import pypto

M, N = 256, 512


def kernel(
    x: pypto.Tensor([M, N], pypto.DT_FP32),
    y: pypto.Tensor([M, N], pypto.DT_FP32),
    out: pypto.Tensor([M, N], pypto.DT_FP32),
):
    pypto.set_vec_tile_shapes(16, 512)
    out.move(pypto.add(pypto.mul(pypto.exp(x), y), x))

import pypto

M, N = 256, 512


def kernel(
    x: pypto.Tensor([M, N], pypto.DT_FP32),
    y: pypto.Tensor([M, N], pypto.DT_FP32),
    out: pypto.Tensor([M, N], pypto.DT_FP32),
):
    pypto.set_vec_tile_shapes(64, 512)  # 64 x 512 x 4 B x 2 buffers > UB
    out.move(pypto.add(pypto.mul(pypto.exp(x), y), x))

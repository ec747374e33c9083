import pypto

T, H = 512, 2048
ALPHA = 0.5


def kernel(
    x: pypto.Tensor([T, H], pypto.DT_FP32),
    bias: pypto.Tensor([H], pypto.DT_FP32),
    out: pypto.Tensor([T, H], pypto.DT_FP32),
):
    # 16 x 1024 fp32 = 64 KiB per tile: the bias add (x tile + broadcast bias + output) stays
    # within the 192 KiB of UB. 64 tiles over the 48 vector cores.
    pypto.set_vec_tile_shapes(16, 1024)
    b = pypto.reshape(bias, [1, H])
    out.move(pypto.relu(pypto.add(pypto.mul(x, ALPHA), b)))

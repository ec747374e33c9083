import pypto

T, H = 256, 4096
EPS = 1e-6
ROWS = 4


def kernel(
    x: pypto.Tensor([T, H], pypto.DT_BF16),
    weight: pypto.Tensor([H], pypto.DT_BF16),
    out: pypto.Tensor([T, H], pypto.DT_BF16),
):
    # Whole rows per tile (the mean of squares is an in-tile reduction), sized for the fp32
    # statistics: 4 tokens x 4096 = 64 KiB per fp32 tensor; 64 tiles over the 48 vector cores.
    # Measured: 4 rows 19.7 us, 2 rows 21.0 us, 1 row 22.4 us; 8 rows do not fit UB.
    pypto.set_vec_tile_shapes(ROWS, H)
    xf = pypto.cast(x, pypto.DT_FP32)
    ms = pypto.mul(pypto.sum(pypto.mul(xf, xf), -1, keepdim=True), 1.0 / H)  # [T, 1]
    normed = pypto.cast(pypto.mul(xf, pypto.rsqrt(pypto.add(ms, EPS))), pypto.DT_BF16)
    # weight * normed in bf16, as the model does
    out.move(pypto.mul(normed, pypto.reshape(weight, [1, H])))

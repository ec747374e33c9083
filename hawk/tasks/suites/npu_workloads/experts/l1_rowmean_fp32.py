import pypto

T, H = 1024, 1024


def kernel(
    x: pypto.Tensor([T, H], pypto.DT_FP32),
    out: pypto.Tensor([T, 1], pypto.DT_FP32),
):
    # Whole rows per tile so each row's sum finishes inside one tile. A row sum needs its input,
    # a half-size scratch buffer and the result in UB: 22 x 1024 fp32 = 88 + 44 KiB fits.
    # 47 tiles make one round over the 48 vector cores (16-row tiles: 64 tiles, 12.2 us vs 9.0 us).
    # mean = sum * (1 / H).
    pypto.set_vec_tile_shapes(22, H)
    out.move(pypto.mul(pypto.sum(x, -1, keepdim=True), 1.0 / H))

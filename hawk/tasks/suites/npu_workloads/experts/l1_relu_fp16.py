import pypto

T, F = 1024, 2048


def kernel(
    x: pypto.Tensor([T, F], pypto.DT_FP16),
    out: pypto.Tensor([T, F], pypto.DT_FP16),
):
    # ReLU is exact in fp16, so no cast. A unary op keeps input + output in UB:
    # 24 x 2048 fp16 = 96 KiB each = 192 KiB, all of UB. 43 tiles make one round over the
    # 48 vector cores (16-row tiles: 64 tiles, two rounds, 13.1 us vs 9.7 us).
    pypto.set_vec_tile_shapes(24, F)
    out.move(pypto.relu(x))

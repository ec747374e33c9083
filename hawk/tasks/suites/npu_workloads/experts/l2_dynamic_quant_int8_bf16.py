import pypto

T, H = 128, 14336


def kernel(
    x: pypto.Tensor([T, H], pypto.DT_BF16),
    smooth_scale: pypto.Tensor([H], pypto.DT_FP32),
    out0: pypto.Tensor([T, H], pypto.DT_INT8),
    out1: pypto.Tensor([T, 1], pypto.DT_FP32),
):
    # Whole rows per tile (the absmax is an in-tile reduction): one token of 14336 channels,
    # 56 KiB per fp32 operand, so the smoothing multiply (two inputs + output) fits UB; 128 tiles.
    pypto.set_vec_tile_shapes(1, H)
    xs = pypto.mul(pypto.cast(x, pypto.DT_FP32), pypto.reshape(smooth_scale, [1, H]))
    amax = pypto.amax(pypto.abs(xs), -1, keepdim=True)  # [T, 1]
    scale = pypto.mul(pypto.maximum(amax, 1e-5), 1.0 / 127.0)
    # round half to even (torch.round), then saturate to the int8 range
    q = pypto.cast(pypto.div(xs, scale), pypto.DT_INT8, pypto.CastMode.CAST_RINT, pypto.SaturationMode.ON)
    out0.move(q)
    out1.move(scale)

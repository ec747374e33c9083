import pypto


def kernel(x: pypto.Tensor([256, 512], pypto.DT_FP32), y: pypto.Tensor([256, 512], pypto.DT_FP32),
           out: pypto.Tensor([256, 512], pypto.DT_FP32)):
    pypto.set_vec_tile_shapes(16, 512)
    out.move(pypto.add(x, y)

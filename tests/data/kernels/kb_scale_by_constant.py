import pypto

ROWS, COLS = 64, 512


def kernel(
    x: pypto.Tensor([ROWS, COLS], pypto.DT_FP32),
    out: pypto.Tensor([ROWS, COLS], pypto.DT_FP32),
    factor: float,
):
    # The task's scalar input arrives last, after every tensor, as a Python float: pypto's jit
    # compiles its value into the program.
    pypto.set_vec_tile_shapes(64, 512)
    out.move(pypto.mul(x, factor))

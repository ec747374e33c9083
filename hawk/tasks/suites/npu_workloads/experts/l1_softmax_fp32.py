import pypto

NH, SQ, SK = 12, 128, 1024


def kernel(
    scores: pypto.Tensor([NH, SQ, SK], pypto.DT_FP32),
    out: pypto.Tensor([NH, SQ, SK], pypto.DT_FP32),
):
    # A tile holds whole rows (all 1024 keys), so the row max and row sum never cross tiles
    # (splitting the keys over two tiles also compiles, but measured 26 us instead of 20 us).
    # 16 rows x 1024 fp32 = 64 KiB: a broadcast binary op (tile + [16, 1] column + output) and
    # a row reduce (input + half-size scratch + result) both fit the 192 KiB UB.
    # 12 x 128 / 16 = 96 tiles = exactly two rounds over the 48 vector cores.
    pypto.set_vec_tile_shapes(1, 16, SK)
    row_max = pypto.amax(scores, -1, keepdim=True)  # subtract the max: exp never overflows
    e = pypto.exp(pypto.sub(scores, row_max))
    row_sum = pypto.sum(e, -1, keepdim=True)
    out.move(pypto.div(e, row_sum))

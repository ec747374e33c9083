import pypto

SK = 1024
P = 512  # query rows per loop iteration


def kernel(
    scores: pypto.Tensor([pypto.DYNAMIC, SK], pypto.DT_FP32),
    out: pypto.Tensor([pypto.DYNAMIC, SK], pypto.DT_FP32),
):
    # Loop iterations run one after another, so a ragged length is not walked in shrinking
    # loop_unroll pieces (each one costs a full iteration); instead fixed pieces of 512 rows, the
    # last a view whose valid_shape is the rest (1000 rows: 2 iterations).
    # A tile holds whole rows (all 1024 keys), so the row max and row sum never cross tiles:
    # 16 x 1024 fp32 = 64 KiB, a broadcast binary op (tile + [16, 1] column + output) fits UB.
    rows = scores.shape[0]
    for j in pypto.loop((rows + P - 1) // P, name="Q", idx_name="q"):
        i = j * P
        valid = pypto.min(i + P, rows) - i
        pypto.set_vec_tile_shapes(16, SK)
        s = pypto.view(scores, [P, SK], [i, 0], valid_shape=[valid, SK])
        e = pypto.exp(pypto.sub(s, pypto.amax(s, -1, keepdim=True)))  # max first: exp <= 1
        pypto.assemble(pypto.div(e, pypto.sum(e, -1, keepdim=True)), [i, 0], out)

import pypto

HIDDEN = 256


def kernel(
    x: pypto.Tensor([pypto.DYNAMIC, HIDDEN], pypto.DT_FP32),
    out: pypto.Tensor([pypto.DYNAMIC, HIDDEN], pypto.DT_FP32),
):
    # Rows in chunks of 8, then 4, 2, 1 for the ragged rest; each chunk's result is assembled
    # into `out` at its row offset.
    rows = x.shape[0]
    for i, n in pypto.loop_unroll(0, rows, 1, name="ROWS", idx_name="r", unroll_list=[8, 4, 1]):
        pypto.set_vec_tile_shapes(4, HIDDEN)
        t = x[i : i + n, :]
        mean_sq = pypto.mul(pypto.sum(pypto.mul(t, t), -1, keepdim=True), 1.0 / HIDDEN)
        pypto.assemble(pypto.mul(t, pypto.rsqrt(pypto.add(mean_sq, 1e-6))), [i, 0], out)

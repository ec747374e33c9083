import pypto

S, T = 64, 4096


def kernel(
    logp: pypto.Tensor([S, T], pypto.DT_FP32),
    out: pypto.Tensor([S, T], pypto.DT_FP32),
):
    # Exclusive scan as a shifted inclusive scan: the scan of logp[:, :T-1] written at column 1,
    # zeros at column 0 (exact; cumsum(x) - x takes 11.6 us and one more rounding; a concat of a
    # zero column before the scan 14.6 us; this form 8.6 us).
    # pypto.cumsum transposes each tile in UB through a 16-row scratch: a [r, L] fp32 tile needs
    # about 16 * L * 4 bytes more, so L = 4096 overflows UB (Alloc tensor ... size [262144]
    # exceeds MEM_UB, allocated by TRANSPOSE_VNCHWCONV) and so does [8, 2048]. Tiles of 1024
    # along the scan axis work: pypto carries the running sum from tile to tile.
    pypto.set_vec_tile_shapes(8, 1024)
    pypto.assemble(pypto.cumsum(logp[:, 0 : T - 1], 1), [0, 1], out)
    pypto.assemble(pypto.mul(logp[:, 0:1], 0.0), [0, 0], out)

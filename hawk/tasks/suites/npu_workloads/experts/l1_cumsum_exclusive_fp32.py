import pypto

S, T = 64, 4096


def kernel(
    logp: pypto.Tensor([S, T], pypto.DT_FP32),
    out: pypto.Tensor([S, T], pypto.DT_FP32),
):
    # Exclusive scan = inclusive scan minus the element itself (one rounding more than a shifted
    # scan; within 2e-5 here). pypto.cumsum transposes each tile in UB through a 16-row scratch:
    # a [r, L] fp32 tile needs about 16 * L * 4 bytes more, so L = 4096 overflows UB (Alloc tensor
    # ... size [262144] exceeds MEM_UB, allocated by TRANSPOSE_VNCHWCONV) and so does [8, 2048].
    # Tiles of 1024 along the scan axis work: pypto carries the running sum from tile to tile.
    # Measured: [8, 1024] 11.6 us, [16, 1024] 21.6 us; a blocked scan (per-1024 cumsum, block
    # carries by a second cumsum, one add) 23.1 us.
    pypto.set_vec_tile_shapes(8, 1024)
    out.move(pypto.sub(pypto.cumsum(logp, 1), logp))

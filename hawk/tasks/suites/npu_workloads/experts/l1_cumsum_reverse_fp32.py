import pypto

R, T = 128, 2048


def kernel(
    rewards: pypto.Tensor([R, T], pypto.DT_FP32),
    out: pypto.Tensor([R, T], pypto.DT_FP32),
):
    # pypto has no flip, and slices take no negative step. A reverse (suffix) scan is the row total
    # minus the inclusive scan plus the element: sum(x[t:]) = sum(x) - cumsum(x)[t] + x[t].
    # An exact alternative flips through pypto.index_select with an arange(T - 1, -1, -1) index
    # (cast to DT_INT32) before and after the scan: correct, but 4.6x slower (128 x 1024: 21.0 us
    # against 4.6 us for this form).
    # The row sum takes whole rows ([8, 2048]); pypto.cumsum's in-UB transpose needs a 16-row
    # scratch of the tile's length, so the scan and the rest use [8, 1024] tiles (the running sum
    # carries from tile to tile). Measured: 15.8 us; everything on [8, 1024] 17.2 us.
    pypto.set_vec_tile_shapes(8, 2048)
    total = pypto.sum(rewards, 1, True)
    pypto.set_vec_tile_shapes(8, 1024)
    out.move(pypto.add(pypto.sub(total, pypto.cumsum(rewards, 1)), rewards))

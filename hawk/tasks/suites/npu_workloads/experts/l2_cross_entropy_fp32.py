import pypto

T, V = 64, 32000
C = 8  # vocabulary chunks per token (the [T, C] partials must be >= 32 bytes per row)
W = V // C  # 4000 fp32 per chunk, 32-byte aligned
SMOOTHING = 0.1
RT = 4  # chunks per tile: 16,000 fp32 = 62.5 KiB


def kernel(
    logits: pypto.Tensor([T, V], pypto.DT_FP32),
    target: pypto.Tensor([T], pypto.DT_INT32),
    out: pypto.Tensor([T], pypto.DT_FP32),
):
    # The vocabulary row (125 KiB fp32) is too long for one tile, so every row statistic is
    # taken in two steps on the [T, C, W] view: per-chunk partials in-tile (last axis), then a
    # [T, C] reduction. Pass 1 reads the logits once for the chunk max, the chunk sum (for the
    # smoothing term mean(-log p) = lse - mean(x)) and the target logit; pass 2 for the sum of
    # exp(x - max).
    # The target logit without a gather: pypto.gather on [64, 32000] stages the whole source
    # in UB (`Alloc tensor ... size [8192000] exceeds MEM_UB`), so a one-hot select is used:
    # column index (arange, exact in fp32) == target, summed per chunk.
    # Measured: 2 chunks per tile 91.3 us, 1 chunk 129.1 us, 4 chunks 72.7 us (vec_nbuffer
    # {-1: 2}: 76.6 us); the same on the plain [T, V] view with a [1, 16000] tile (reductions
    # across tiles) crashes the simulator (`[SIMULATION]: hasCall=0 ... BuildFunction`).
    x3 = pypto.reshape(logits, [T, C, W])
    pypto.set_vec_tile_shapes(W)
    col = pypto.reshape(pypto.arange(0.0, float(V), 1.0), [1, C, W])
    # broadcasts expand one axis per operand: widen [T, 1, 1] to [T, C, 1] first
    pypto.set_vec_tile_shapes(T, C, 1)
    tgt = pypto.expand_clone(pypto.reshape(pypto.cast(target, pypto.DT_FP32), [T, 1, 1]), [T, C, 1])
    pypto.set_vec_tile_shapes(1, RT, W)
    cmax = pypto.amax(x3, -1, keepdim=True)  # [T, C, 1]
    csx = pypto.sum(x3, -1, keepdim=True)
    cxt = pypto.sum(pypto.where(pypto.eq(col, tgt), x3, 0.0), -1, keepdim=True)
    pypto.set_vec_tile_shapes(T, C)
    m = pypto.amax(pypto.reshape(cmax, [T, C]), -1, keepdim=True)  # [T, 1]
    sx = pypto.sum(pypto.reshape(csx, [T, C]), -1, keepdim=True)
    xt = pypto.sum(pypto.reshape(cxt, [T, C]), -1, keepdim=True)
    pypto.set_vec_tile_shapes(T, C, 1)
    m3 = pypto.expand_clone(pypto.reshape(m, [T, 1, 1]), [T, C, 1])
    pypto.set_vec_tile_shapes(1, RT, W)
    cs = pypto.sum(pypto.exp(pypto.sub(x3, m3)), -1, keepdim=True)  # [T, C, 1]
    pypto.set_vec_tile_shapes(T, C)
    lse = pypto.add(m, pypto.log(pypto.sum(pypto.reshape(cs, [T, C]), -1, keepdim=True)))
    nll = pypto.sub(lse, xt)  # -log p[target]
    smooth = pypto.sub(lse, pypto.mul(sx, 1.0 / V))  # mean over the vocabulary of -log p
    loss = pypto.add(pypto.mul(nll, 1.0 - SMOOTHING), pypto.mul(smooth, SMOOTHING))
    pypto.set_vec_tile_shapes(T)
    out.move(pypto.reshape(loss, [T]))

import pypto

T, C = 32, 16


def kernel(
    logits: pypto.Tensor([T, C], pypto.DT_FP32),
    labels: pypto.Tensor([T], pypto.DT_INT64),
    out: pypto.Tensor([1], pypto.DT_FP32),
):
    # int64 labels arrive as DT_INT64; a cast to fp32 is exact for class ids below 2^24, and the
    # target logit is a one-hot select (column index == label). The 0-d mean loss is a [1] output.
    pypto.set_vec_tile_shapes(T, C)
    col = pypto.reshape(pypto.arange(0.0, float(C), 1.0), [1, C])
    tgt = pypto.reshape(pypto.cast(labels, pypto.DT_FP32), [T, 1])
    m = pypto.amax(logits, -1, keepdim=True)
    lse = pypto.add(m, pypto.log(pypto.sum(pypto.exp(pypto.sub(logits, m)), -1, keepdim=True)))
    xt = pypto.sum(pypto.where(pypto.eq(col, tgt), logits, 0.0), -1, keepdim=True)
    pypto.set_vec_tile_shapes(1, T)
    total = pypto.sum(pypto.reshape(pypto.sub(lse, xt), [1, T]), -1, keepdim=True)  # [1, 1]
    out.move(pypto.reshape(pypto.mul(total, 1.0 / T), [1]))

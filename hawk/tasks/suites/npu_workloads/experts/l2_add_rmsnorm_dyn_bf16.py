import pypto

H = 4096
EPS = 1e-5


def kernel(
    x: pypto.Tensor([pypto.DYNAMIC, H], pypto.DT_BF16),
    residual: pypto.Tensor([pypto.DYNAMIC, H], pypto.DT_BF16),
    weight: pypto.Tensor([H], pypto.DT_BF16),
    out0: pypto.Tensor([pypto.DYNAMIC, H], pypto.DT_BF16),
    out1: pypto.Tensor([pypto.DYNAMIC, H], pypto.DT_BF16),
):
    # Loop iterations run one after another, so the whole decode batch (up to 64 tokens) is one
    # piece; a ragged batch is finished with pieces of 16, 4 and 1 tokens.
    # A tile is 4 tokens x the whole hidden dim (the row reduction stays in the tile):
    # 64 KiB per fp32 operand, a binary op's 3 operands fill the 192 KiB UB.
    rows = x.shape[0]
    for i, n in pypto.loop_unroll(0, rows, 1, name="TOK", idx_name="t", unroll_list=[64, 16, 4, 1]):
        pypto.set_vec_tile_shapes(4, H)
        w = pypto.reshape(weight, [1, H])
        h = pypto.add(x[i : i + n, :], residual[i : i + n, :])  # bf16 add, as the model does
        hf = pypto.cast(h, pypto.DT_FP32)
        ms = pypto.mul(pypto.sum(pypto.mul(hf, hf), -1, keepdim=True), 1.0 / H)
        normed = pypto.cast(pypto.mul(hf, pypto.rsqrt(pypto.add(ms, EPS))), pypto.DT_BF16)
        pypto.assemble(pypto.mul(normed, w), [i, 0], out0)
        pypto.assemble(h, [i, 0], out1)

import pypto

I = 14336
CW = I // 4  # 3584 columns per tile


def kernel(
    x: pypto.Tensor([pypto.DYNAMIC, I], pypto.DT_BF16),
    out: pypto.Tensor([pypto.DYNAMIC, I], pypto.DT_BF16),
):
    # Loop iterations run one after another, so the whole decode batch is one piece (64 tokens),
    # the ragged rest in 16 / 4 / 1. Tiles of 4 tokens x 3584 columns (14336 elements, 56 KiB
    # per fp32 operand, so div's two inputs and output fit UB): a full batch is 64 tiles.
    rows = x.shape[0]
    for i, n in pypto.loop_unroll(0, rows, 1, name="TOK", idx_name="t", unroll_list=[64, 16, 4, 1]):
        pypto.set_vec_tile_shapes(4, CW)
        xf = pypto.cast(x[i : i + n, :], pypto.DT_FP32)
        # silu(x) = x / (1 + exp(-x)) in fp32, one rounding to bf16
        y = pypto.div(xf, pypto.add(pypto.exp(pypto.neg(xf)), 1.0))
        pypto.assemble(pypto.cast(y, pypto.DT_BF16), [i, 0], out)

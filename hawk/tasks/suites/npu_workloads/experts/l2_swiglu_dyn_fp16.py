import pypto

I = 11008
CW = I // 4  # 2752 columns per tile


def kernel(
    gate: pypto.Tensor([pypto.DYNAMIC, I], pypto.DT_FP16),
    up: pypto.Tensor([pypto.DYNAMIC, I], pypto.DT_FP16),
    out: pypto.Tensor([pypto.DYNAMIC, I], pypto.DT_FP16),
):
    # Loop iterations run one after another, so the whole decode batch is one piece (64 tokens),
    # the ragged rest in 16 / 4 / 1. Tiles of 4 tokens x 2752 columns (11008 elements, 43 KiB
    # per fp32 operand): a full batch is 64 tiles over the 48 vector cores.
    rows = gate.shape[0]
    for i, n in pypto.loop_unroll(0, rows, 1, name="TOK", idx_name="t", unroll_list=[64, 16, 4, 1]):
        pypto.set_vec_tile_shapes(4, CW)
        g = pypto.cast(gate[i : i + n, :], pypto.DT_FP32)
        # silu(g) = g / (1 + exp(-g)) in fp32, rounded to fp16 as F.silu's output is; the product
        # with up is then an fp16 mul, like the model's.
        silu = pypto.cast(pypto.div(g, pypto.add(pypto.exp(pypto.neg(g)), 1.0)), pypto.DT_FP16)
        pypto.assemble(pypto.mul(silu, up[i : i + n, :]), [i, 0], out)

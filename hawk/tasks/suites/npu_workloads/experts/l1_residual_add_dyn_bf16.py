import pypto

H = 2048
P = 512  # tokens per loop iteration


def kernel(
    x: pypto.Tensor([pypto.DYNAMIC, H], pypto.DT_BF16),
    h: pypto.Tensor([pypto.DYNAMIC, H], pypto.DT_BF16),
    out: pypto.Tensor([pypto.DYNAMIC, H], pypto.DT_BF16),
):
    # Loop iterations run one after another, so a ragged length is not walked in shrinking
    # loop_unroll pieces (each one costs a full iteration); instead fixed pieces of 512 tokens,
    # the last a view whose valid_shape is the rest (1000 tokens: 2 iterations).
    # One add per element; pypto widens a bf16 add to fp32, so a tile is 8 tokens x 2048
    # (64 KiB per fp32 operand: 2 inputs + output fill the 192 KiB UB; 16 rows overflow it).
    rows = x.shape[0]
    for j in pypto.loop((rows + P - 1) // P, name="TOK", idx_name="t"):
        i = j * P
        valid = pypto.min(i + P, rows) - i
        pypto.set_vec_tile_shapes(8, H)
        a = pypto.view(x, [P, H], [i, 0], valid_shape=[valid, H])
        b = pypto.view(h, [P, H], [i, 0], valid_shape=[valid, H])
        pypto.assemble(pypto.add(a, b), [i, 0], out)

import math

import pypto

F = 3072
C = math.sqrt(2.0 / math.pi)
A = 0.044715
P = 512  # tokens per loop iteration


def kernel(
    x: pypto.Tensor([pypto.DYNAMIC, F], pypto.DT_FP16),
    out: pypto.Tensor([pypto.DYNAMIC, F], pypto.DT_FP16),
):
    # Loop iterations run one after another, so a ragged length is not walked in shrinking
    # loop_unroll pieces (each one costs a full iteration); instead fixed pieces of 512 tokens,
    # the last a view whose valid_shape is the rest (1000 tokens: 2 iterations).
    # Tiles of 8 tokens x 3072 (24576 fp16, 48 KiB): the fp32 chain (96 KiB per operand) would
    # not fit a binary op, so the math runs in fp16 (max abs error ~2e-3 against the 1e-2
    # tolerance; exp overflows to inf for x < ~-3.5 and x / inf = -0, gelu there to within 1e-3).
    rows = x.shape[0]
    for j in pypto.loop((rows + P - 1) // P, name="TOK", idx_name="t"):
        i = j * P
        valid = pypto.min(i + P, rows) - i
        pypto.set_vec_tile_shapes(8, F)
        xt = pypto.view(x, [P, F], [i, 0], valid_shape=[valid, F])
        # gelu_tanh(x) = x * sigmoid(2z) = x / (1 + exp(-2z)), z = x (C + C A x^2): one exp, no tanh
        neg2z = pypto.mul(xt, pypto.add(pypto.mul(pypto.mul(xt, xt), -2.0 * C * A), -2.0 * C))
        pypto.assemble(pypto.div(xt, pypto.add(pypto.exp(neg2z), 1.0)), [i, 0], out)

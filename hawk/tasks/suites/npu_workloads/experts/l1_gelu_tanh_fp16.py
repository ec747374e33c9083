import math

import pypto

T, F = 512, 4096
N = T * F
C = math.sqrt(2.0 / math.pi)
A = 0.044715


def kernel(
    x: pypto.Tensor([T, F], pypto.DT_FP16),
    out: pypto.Tensor([T, F], pypto.DT_FP16),
):
    # Elementwise, so the tensor is seen as one flat buffer (a free view of contiguous GM); the
    # simulator times 1-D tiles faster than 2-D ones. The math runs in fp16 (max abs error ~2e-3,
    # half an fp16 ulp at |x| ~ 4, against the 1e-2 tolerance): exp overflows to inf for
    # x < ~-3.5 and x / inf = -0, which is gelu there to within 1e-3.
    # The op chain runs in place, so UB holds only x and one working tile: 49152 fp16 = 96 KiB
    # each (2 x 96 KiB = 192 KiB). That gives 43 tiles, about one per vector core; the per-task
    # scheduling cost dominates this kernel, so the fewest tiles that still spread wins
    # (43776 elements / 48 tiles: 8.95 us; 21760 / 97 tiles: 10.3 us; fp32 math at its largest
    # tile, 21760: 10.98 us).
    pypto.set_vec_tile_shapes(49152)
    xf = pypto.reshape(x, [N])
    # gelu_tanh(x) = 0.5 x (1 + tanh(z)) = x * sigmoid(2z) = x / (1 + exp(-2z)),
    # with z = C (x + A x^3) = x (C + C A x^2). pypto has no tanh, and this form needs one exp.
    x2 = pypto.mul(xf, xf)
    neg2z = pypto.mul(xf, pypto.add(pypto.mul(x2, -2.0 * C * A), -2.0 * C))
    denom = pypto.add(pypto.exp(neg2z), 1.0)
    out.move(pypto.reshape(pypto.div(xf, denom), [T, F]))

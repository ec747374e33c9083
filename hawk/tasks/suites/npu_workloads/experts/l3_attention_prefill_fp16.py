import math

import pypto

B, NH, S, D = 1, 8, 256, 64
SCALE = 1.0 / math.sqrt(D)
NEG = -1.0e9  # additive mask for future keys: exp(NEG - rowmax) is exactly 0 in fp32


def kernel(
    q: pypto.Tensor([B, NH, S, D], pypto.DT_FP16),
    k: pypto.Tensor([B, NH, S, D], pypto.DT_FP16),
    v: pypto.Tensor([B, NH, S, D], pypto.DT_FP16),
    out: pypto.Tensor([B, NH, S, D], pypto.DT_FP16),
):
    # Scores = Q K^T per head (batched over B x NH; K read transposed with b_trans), fp32.
    # Blocks of 128 queries x all 256 keys; K = head_dim = 64 in one step (2 blocks per head).
    pypto.set_cube_tile_shapes([128, 128], [64, 64], [256, 256])
    s = pypto.matmul(q, k, pypto.DT_FP32, b_trans=True)
    # Causal mask built on chip (pypto.triu has no simulator pipe in 0.2.0, so compare
    # positions instead): bias[i, j] = NEG where key j is after query i, else 0; shared by
    # every head through broadcasting.
    pypto.set_vec_tile_shapes(64, S)
    rows = pypto.reshape(pypto.arange(S), [S, 1])
    cols = pypto.reshape(pypto.arange(S), [1, S])
    bias = pypto.reshape(pypto.where(pypto.gt(cols, rows), NEG, 0.0), [1, 1, S, S])
    # Softmax over keys, fp32: 64 query rows x all 256 keys of one head per tile (64 KiB), so the
    # row max and row sum are in-tile. (The tile shape must have the rank of the op's output:
    # set a 4-d shape before the first 4-d vector op.)
    pypto.set_vec_tile_shapes(1, 1, 64, S)
    z = pypto.add(pypto.mul(s, SCALE), bias)
    e = pypto.exp(pypto.sub(z, pypto.amax(z, -1, keepdim=True)))
    p = pypto.cast(pypto.div(e, pypto.sum(e, -1, keepdim=True)), pypto.DT_FP16)
    # O = P V: fp16 probabilities on the cube, fp32 accumulation over all 256 keys held in L1.
    pypto.set_cube_tile_shapes([128, 128], [128, 256], [64, 64])
    o = pypto.matmul(p, v, pypto.DT_FP32)
    pypto.set_vec_tile_shapes(1, 1, 128, D)
    out.move(pypto.cast(o, pypto.DT_FP16))

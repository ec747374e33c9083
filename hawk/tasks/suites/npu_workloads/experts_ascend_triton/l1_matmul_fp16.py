"""C = A @ B for 1024 x 1024 x 1024 fp16 (fp32 accumulation, fp16 result).

A kernel with tl.dot runs on the cube cores, so the grid is the 20 cube cores of the Ascend910B4;
each program walks output tiles in steps of 20. A 128 x 256 tile has a 128 KiB fp32 accumulator,
exactly L0C; the K loop streams 128 x 128 and 128 x 256 fp16 operand tiles through L1.
"""

import triton
import triton.language as tl

CUBE_CORES = 20


@triton.jit
def matmul_tiles(a_ptr, b_ptr, c_ptr, M: tl.constexpr, N: tl.constexpr, K: tl.constexpr,
                 BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr):  # fmt: skip
    pid = tl.program_id(0)
    n_prog = tl.num_programs(0)
    tiles_n = N // BN
    for tile in range(pid, (M // BM) * tiles_n, n_prog):
        rm = (tile // tiles_n) * BM + tl.arange(0, BM)
        rn = (tile % tiles_n) * BN + tl.arange(0, BN)
        rk = tl.arange(0, BK)
        acc = tl.zeros((BM, BN), dtype=tl.float32)
        for k in range(0, K, BK):
            a = tl.load(a_ptr + rm[:, None] * K + (k + rk)[None, :])
            b = tl.load(b_ptr + (k + rk)[:, None] * N + rn[None, :])
            acc = tl.dot(a, b, acc)
        tl.store(c_ptr + rm[:, None] * N + rn[None, :], acc.to(tl.float16))


def kernel(a, b, out):
    M, K = a.shape
    N = b.shape[1]
    matmul_tiles[(CUBE_CORES,)](a, b, out, M, N, K, BM=128, BN=256, BK=128)

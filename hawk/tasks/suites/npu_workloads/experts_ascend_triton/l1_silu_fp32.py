"""SiLU (x * sigmoid(x)) on [1024, 2048] fp32, flattened to 2M elements.

Grid = the 40 vector cores; each program strides over 8 KiB blocks (2048 fp32), a multiple of the
32-byte UB block, so input, sigmoid temporaries and output double-buffer well inside UB.
"""

import triton
import triton.language as tl

VECTOR_CORES = 40


@triton.jit
def silu_blocks(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    n_prog = tl.num_programs(0)
    for block in range(pid, tl.cdiv(n, BLOCK), n_prog):
        offs = block * BLOCK + tl.arange(0, BLOCK)
        mask = offs < n
        x = tl.load(x_ptr + offs, mask=mask, other=0.0)
        y = x / (1.0 + tl.exp(-x))
        tl.store(out_ptr + offs, y, mask=mask)


def kernel(x, out):
    silu_blocks[(VECTOR_CORES,)](x, out, x.numel(), BLOCK=2048)

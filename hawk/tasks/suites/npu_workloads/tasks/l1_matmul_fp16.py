"""Square GEMM as in transformer projections (hidden 1024 -> 1024 on 1024 tokens), fp16 in and out."""

import torch
import torch.nn as nn

M = K = N = 1024


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a, b):
        # fp32 accumulation, one rounding to fp16: what the NPU cube (and cuBLAS) does. It is also
        # ~100x faster than a CPU fp16 matmul, which keeps the reference cheap.
        return torch.matmul(a.float(), b.float()).to(torch.float16)


def get_inputs():
    return [torch.randn(M, K, dtype=torch.float16), torch.randn(K, N, dtype=torch.float16)]


def get_init_inputs():
    return []

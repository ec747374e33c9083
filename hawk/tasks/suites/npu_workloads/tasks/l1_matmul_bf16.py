"""Rectangular GEMM as in a LLaMA-style down/out projection (512 tokens, K=2048 -> N=1024), bf16."""

import torch
import torch.nn as nn

M, K, N = 512, 2048, 1024


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a, b):
        # fp32 accumulation, one rounding to bf16: what the NPU cube (and cuBLAS) does. It is also
        # far faster than a CPU bf16 matmul, which keeps the reference cheap.
        return torch.matmul(a.float(), b.float()).to(torch.bfloat16)


def get_inputs():
    return [torch.randn(M, K, dtype=torch.bfloat16), torch.randn(K, N, dtype=torch.bfloat16)]


def get_init_inputs():
    return []

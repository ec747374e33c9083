"""LLaMA-3.2-1B attention output projection (nn.Linear 2048 -> 2048, no bias) on fp16 tokens, decode, 1..64 tokens (dynamic M)."""

import torch
import torch.nn as nn

TOKENS, IN_FEATURES, OUT_FEATURES = 64, 2048, 2048


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(IN_FEATURES, OUT_FEATURES, bias=False, dtype=torch.float16)

    def forward(self, x):
        # y = x @ W^T with fp32 accumulation and one rounding to fp16, as the NPU cube (and cuBLAS)
        # computes it; also far faster than a CPU fp16 matmul, which keeps the reference cheap.
        return torch.nn.functional.linear(x.float(), self.proj.weight.float()).to(torch.float16)


def get_inputs():
    return [torch.randn(TOKENS, IN_FEATURES, dtype=torch.float16)]


def get_init_inputs():
    return []


def get_input_shapes():
    return [{"TOKENS": 1}, {"TOKENS": 7}, {"TOKENS": 64}]  # 7: a ragged tail

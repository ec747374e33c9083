"""LLaMA-2/3-7B/8B decoder RMSNorm (hidden 4096, eps 1e-6) on bf16 decode batches of 1..64 tokens."""

import torch
import torch.nn as nn

TOKENS, HIDDEN = 64, 4096
EPS = 1e-6


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter((1.0 + 0.1 * torch.randn(HIDDEN)).to(torch.bfloat16))

    def forward(self, x):
        xf = x.float()  # statistics in fp32, as LlamaRMSNorm does
        var = xf.pow(2).mean(-1, keepdim=True)
        normed = (xf * torch.rsqrt(var + EPS)).to(torch.bfloat16)
        return self.weight * normed


def get_inputs():
    return [torch.randn(TOKENS, HIDDEN, dtype=torch.bfloat16)]


def get_init_inputs():
    return []


def get_input_shapes():
    return [{"TOKENS": 1}, {"TOKENS": 7}, {"TOKENS": 64}]  # 7: a ragged tail (4 + 2 + 1)

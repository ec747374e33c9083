"""LLaMA / Qwen decoder RMSNorm (HF LlamaRMSNorm, eps 1e-6) on fp16 hidden states."""

import torch
import torch.nn as nn

TOKENS, HIDDEN = 512, 2048
EPS = 1e-6


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter((1.0 + 0.1 * torch.randn(HIDDEN)).to(torch.float16))

    def forward(self, x):
        xf = x.float()  # statistics in fp32, as LlamaRMSNorm does
        var = xf.pow(2).mean(-1, keepdim=True)
        normed = (xf * torch.rsqrt(var + EPS)).to(torch.float16)
        return self.weight * normed


def get_inputs():
    return [torch.randn(TOKENS, HIDDEN, dtype=torch.float16)]


def get_init_inputs():
    return []

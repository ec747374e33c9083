"""Qwen3 decoder RMSNorm (HF Qwen3RMSNorm, eps 1e-6) on bf16 hidden states, hidden 4096.

Shapes from Qwen3-8B (hidden_size 4096, rms_norm_eps 1e-6), 256 tokens. As Qwen3RMSNorm does:
statistics in fp32, normalized states rounded back to bf16, then multiplied by the bf16 weight.
"""

import torch
import torch.nn as nn

TOKENS, HIDDEN = 256, 4096
EPS = 1e-6


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter((1.0 + 0.1 * torch.randn(HIDDEN)).to(torch.bfloat16))

    def forward(self, x):
        xf = x.float()
        var = xf.pow(2).mean(-1, keepdim=True)
        normed = (xf * torch.rsqrt(var + EPS)).to(torch.bfloat16)
        return self.weight * normed


def get_inputs():
    return [torch.randn(TOKENS, HIDDEN).to(torch.bfloat16)]


def get_init_inputs():
    return []

"""LLaMA-3-8B decoder layer: residual add + RMSNorm (vLLM fused_add_rms_norm, hidden 4096), bf16 decode batches of 1..64 tokens."""

import torch
import torch.nn as nn

TOKENS, HIDDEN = 64, 4096
EPS = 1e-5  # LLaMA-3 rms_norm_eps


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter((1.0 + 0.1 * torch.randn(HIDDEN)).to(torch.bfloat16))

    def forward(self, x, residual):
        h = x + residual  # the new residual stream (bf16, as in the model)
        hf = h.float()
        var = hf.pow(2).mean(-1, keepdim=True)
        normed = (hf * torch.rsqrt(var + EPS)).to(torch.bfloat16)
        return self.weight * normed, h


def get_inputs():
    return [
        torch.randn(TOKENS, HIDDEN, dtype=torch.bfloat16),
        torch.randn(TOKENS, HIDDEN, dtype=torch.bfloat16),
    ]


def get_init_inputs():
    return []


def get_input_shapes():
    return [{"TOKENS": 1}, {"TOKENS": 13}, {"TOKENS": 64}]  # 13: a ragged tail

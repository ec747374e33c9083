"""Gating in MoE routers and GLU variants (e.g. DeepSeek-V3 sigmoid router scores): sigmoid on bf16."""

import torch
import torch.nn as nn

TOKENS, HIDDEN = 2048, 1024


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.sigmoid(x)


def get_inputs():
    return [torch.randn(TOKENS, HIDDEN, dtype=torch.bfloat16)]


def get_init_inputs():
    return []

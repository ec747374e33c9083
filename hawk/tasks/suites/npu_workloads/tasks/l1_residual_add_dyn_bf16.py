"""LLaMA-3.2-1B residual connection: x + h on the bf16 residual stream (hidden 2048), prefill, 128..2048 tokens."""

import torch
import torch.nn as nn

TOKENS, HIDDEN = 2048, 2048


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x, h):
        return x + h


def get_inputs():
    return [
        torch.randn(TOKENS, HIDDEN, dtype=torch.bfloat16),
        torch.randn(TOKENS, HIDDEN, dtype=torch.bfloat16),
    ]


def get_init_inputs():
    return []


def get_input_shapes():
    return [{"TOKENS": 128}, {"TOKENS": 1000}, {"TOKENS": 2048}]  # 1000: a ragged tail

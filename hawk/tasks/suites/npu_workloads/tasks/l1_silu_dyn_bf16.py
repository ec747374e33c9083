"""LLaMA-3-8B MLP gate activation: SiLU on the bf16 gate projection (intermediate 14336), decode batches of 1..64 tokens."""

import torch
import torch.nn as nn

TOKENS, INTERMEDIATE = 64, 14336


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.nn.functional.silu(x)


def get_inputs():
    return [2.0 * torch.randn(TOKENS, INTERMEDIATE, dtype=torch.bfloat16)]


def get_init_inputs():
    return []


def get_input_shapes():
    return [{"TOKENS": 1}, {"TOKENS": 7}, {"TOKENS": 64}]  # 7: a ragged tail

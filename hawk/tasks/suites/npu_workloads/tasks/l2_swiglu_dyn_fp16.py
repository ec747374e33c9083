"""LLaMA-2-7B MLP activation: SwiGLU silu(gate) * up on the fp16 projections (intermediate 11008), decode batches of 1..64 tokens."""

import torch
import torch.nn as nn
import torch.nn.functional as F

TOKENS, INTERMEDIATE = 64, 11008


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, gate, up):
        return F.silu(gate) * up


def get_inputs():
    return [
        2.0 * torch.randn(TOKENS, INTERMEDIATE, dtype=torch.float16),
        torch.randn(TOKENS, INTERMEDIATE, dtype=torch.float16),
    ]


def get_init_inputs():
    return []


def get_input_shapes():
    return [{"TOKENS": 1}, {"TOKENS": 7}, {"TOKENS": 64}]  # 7: a ragged tail

"""SwiGLU gate: silu(gate) * up for 512 tokens x 2816 (LLaMA-style FFN), fp16."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, gate, up):
        return torch.nn.functional.silu(gate) * up


def get_inputs():
    return [torch.randn(512, 2816, dtype=torch.float16), torch.randn(512, 2816, dtype=torch.float16)]


def get_init_inputs():
    return []

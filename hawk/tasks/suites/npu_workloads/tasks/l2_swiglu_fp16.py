"""LLaMA MLP activation: SwiGLU, silu(gate_proj(x)) * up_proj(x), on the two projections (fp16)."""

import torch
import torch.nn as nn
import torch.nn.functional as F

TOKENS, INTERMEDIATE = 512, 2816


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

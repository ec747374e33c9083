"""LLaMA decoder MLP block: down_proj(silu(gate_proj(x)) * up_proj(x)), no biases, fp16."""

import torch
import torch.nn as nn
import torch.nn.functional as F

TOKENS, HIDDEN, INTERMEDIATE = 128, 1024, 2816


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.gate_proj = nn.Linear(HIDDEN, INTERMEDIATE, bias=False).to(torch.float16)
        self.up_proj = nn.Linear(HIDDEN, INTERMEDIATE, bias=False).to(torch.float16)
        self.down_proj = nn.Linear(INTERMEDIATE, HIDDEN, bias=False).to(torch.float16)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


def get_inputs():
    return [torch.randn(TOKENS, HIDDEN, dtype=torch.float16)]


def get_init_inputs():
    return []

"""LLaMA-3.2-1B MLP front half: silu(gate_proj(x)) * up_proj(x) (hidden 2048 -> intermediate 8192, no biases), fp16, decode, 1..64 tokens (dynamic M)."""

import torch
import torch.nn as nn
import torch.nn.functional as F

TOKENS, HIDDEN, INTERMEDIATE = 64, 2048, 8192


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.gate_proj = nn.Linear(HIDDEN, INTERMEDIATE, bias=False, dtype=torch.float16)
        self.up_proj = nn.Linear(HIDDEN, INTERMEDIATE, bias=False, dtype=torch.float16)

    def forward(self, x):
        # each projection accumulates in fp32 and rounds to fp16 once (as the NPU cube and cuBLAS
        # do); the activation and product then run on the fp16 projections, as in the model
        xf = x.float()
        g = F.linear(xf, self.gate_proj.weight.float()).to(torch.float16)
        u = F.linear(xf, self.up_proj.weight.float()).to(torch.float16)
        return F.silu(g) * u


def get_inputs():
    return [torch.randn(TOKENS, HIDDEN, dtype=torch.float16)]


def get_init_inputs():
    return []


def get_input_shapes():
    return [{"TOKENS": 1}, {"TOKENS": 7}, {"TOKENS": 64}]  # 7: a ragged tail

"""LLaMA decoder layer: attention output projection (o_proj, no bias) + residual add, fp16."""

import torch
import torch.nn as nn

TOKENS, HIDDEN = 512, 1024


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.o_proj = nn.Linear(HIDDEN, HIDDEN, bias=False).to(torch.float16)

    def forward(self, attn_out, residual):
        return residual + self.o_proj(attn_out)


def get_inputs():
    return [
        torch.randn(TOKENS, HIDDEN, dtype=torch.float16),
        torch.randn(TOKENS, HIDDEN, dtype=torch.float16),
    ]


def get_init_inputs():
    return []

"""SwiGLU MLP gate activation (LLaMA / Qwen FFN): SiLU on the fp32 gate projection."""

import torch
import torch.nn as nn

TOKENS, FFN = 1024, 2048


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.nn.functional.silu(x)


def get_inputs():
    return [torch.randn(TOKENS, FFN)]


def get_init_inputs():
    return []

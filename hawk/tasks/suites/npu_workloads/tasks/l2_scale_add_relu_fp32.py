"""Fused scale + bias + ReLU epilogue (e.g. a scaled linear / conv output in an MLP block): relu(x * alpha + bias), fp32."""

import torch
import torch.nn as nn

TOKENS, HIDDEN = 512, 2048
ALPHA = 0.5


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.bias = nn.Parameter(0.1 * torch.randn(HIDDEN))

    def forward(self, x):
        return torch.relu(x * ALPHA + self.bias)


def get_inputs():
    return [torch.randn(TOKENS, HIDDEN)]


def get_init_inputs():
    return []

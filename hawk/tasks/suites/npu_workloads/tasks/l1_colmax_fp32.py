"""Per-channel activation max over tokens (SmoothQuant / FP8 calibration statistics), fp32."""

import torch
import torch.nn as nn

TOKENS, HIDDEN = 2048, 1024


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.amax(x, dim=0)


def get_inputs():
    return [torch.randn(TOKENS, HIDDEN)]


def get_init_inputs():
    return []

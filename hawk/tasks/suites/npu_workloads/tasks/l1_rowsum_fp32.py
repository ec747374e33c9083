"""Per-token reduction over the hidden dim (e.g. the sum in mean pooling or a loss normalizer), fp32."""

import torch
import torch.nn as nn

TOKENS, HIDDEN = 2048, 1024


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.sum(x, dim=-1)


def get_inputs():
    return [torch.randn(TOKENS, HIDDEN)]


def get_init_inputs():
    return []

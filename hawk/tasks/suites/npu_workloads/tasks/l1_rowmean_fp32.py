"""Per-token mean over the hidden dim (mean pooling / the statistic of LayerNorm), keepdim, fp32."""

import torch
import torch.nn as nn

TOKENS, HIDDEN = 1024, 1024


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.mean(x, dim=-1, keepdim=True)


def get_inputs():
    return [torch.randn(TOKENS, HIDDEN)]


def get_init_inputs():
    return []
